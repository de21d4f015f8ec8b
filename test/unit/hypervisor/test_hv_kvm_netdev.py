"""Tap devices and the kvm-ifup script (ganeti.hypervisor.hv_kvm_netdev).

The tap and script tests use the real tun driver, a bridge created for the
test and a routing table of its own; all of them are removed afterwards.
"""

import os
import subprocess

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.hypervisor import hv_kvm_netdev


CHECKOUT_TOOLS = os.path.normpath(os.path.join(os.path.dirname(__file__),
                                               "..", "..", "..", "tools"))
IFUP = os.path.join(CHECKOUT_TOOLS, "kvm-ifup")


def _Nic(mode, link, ip=None, mac="aa:00:00:00:00:01"):
  return objects.NIC(mac=mac, ip=ip, nicparams={constants.NIC_MODE: mode,
                                                constants.NIC_LINK: link})


def testIfupEnvironmentBridged():
  env = hv_kvm_netdev.IfupEnvironment(
    "inst1", ["web", "prod"], _Nic(constants.NIC_MODE_BRIDGED, "br0"), "tap3")
  assert env == {"INSTANCE": "inst1", "MAC": "aa:00:00:00:00:01",
                 "MODE": "bridged", "LINK": "br0", "BRIDGE": "br0",
                 "INTERFACE": "tap3", "TAGS": "web prod"}


def testIfupEnvironmentRouted():
  env = hv_kvm_netdev.IfupEnvironment(
    "inst1", [], _Nic(constants.NIC_MODE_ROUTED, "", ip="192.0.2.5"), "tap0")
  assert env == {"INSTANCE": "inst1", "MAC": "aa:00:00:00:00:01",
                 "MODE": "routed", "LINK": "", "IP": "192.0.2.5",
                 "INTERFACE": "tap0", "TAGS": ""}


class _Runner(object):
  def __init__(self, failed=False):
    self.calls = []
    self.failed = failed

  def __call__(self, cmd, env=None):
    self.calls.append((cmd, env))
    return utils.RunResult(1 if self.failed else 0, None,
                           "", "bridge missing" if self.failed else "",
                           " ".join(cmd), None, None)


def testConfigureTapRunsTheScript():
  runner = _Runner()
  hv_kvm_netdev.ConfigureTap("/x/kvm-ifup", "inst1", ["a"],
                             _Nic(constants.NIC_MODE_BRIDGED, "br0"), "tap1",
                             run_cmd=runner)
  ((cmd, env), ) = runner.calls
  assert cmd == ["/x/kvm-ifup"]
  assert env["INTERFACE"] == "tap1" and env["LINK"] == "br0"


def testConfigureTapFailureNamesTheInterface():
  with pytest.raises(errors.HypervisorError) as err:
    hv_kvm_netdev.ConfigureTap("/x/kvm-ifup", "inst1", [],
                               _Nic(constants.NIC_MODE_BRIDGED, "br9"),
                               "tap1", run_cmd=_Runner(failed=True))
  message = str(err.value)
  assert "tap1" in message and "inst1" in message and "br9" in message
  assert "bridge missing" in message


def testFindIfupScriptPrefersTheAdministratorsScript(tmp_path, monkeypatch):
  (tmp_path / "n1").mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(tmp_path / "n1"))
  monkeypatch.setenv("GANETI_HOSTNAME", "n1")
  pathutils.Reload()
  try:
    fallback = (pathutils.KVM_IFUP if os.path.isfile(pathutils.KVM_IFUP)
                else IFUP)
    assert hv_kvm_netdev.FindIfupScript() == fallback
    custom = os.path.join(pathutils.CONF_DIR, "kvm-vif-bridge")
    os.makedirs(pathutils.CONF_DIR)
    utils.WriteFile(custom, data="#!/bin/sh\n", mode=0o755)
    assert hv_kvm_netdev.FindIfupScript() == custom
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


def testShippedScriptsAreExecutable():
  for name in ("kvm-ifup", "kvm-console-wrapper"):
    assert os.access(os.path.join(CHECKOUT_TOOLS, name), os.X_OK)


def testNicFiles(tmp_path):
  nics_dir = str(tmp_path / "nic" / "inst1")
  hv_kvm_netdev.WriteNicFiles(nics_dir, ["tap4", "tap7"])
  assert hv_kvm_netdev.ReadNicFiles(nics_dir) == ["tap4", "tap7"]
  hv_kvm_netdev.WriteNicFiles(nics_dir, ["tap9"])
  assert hv_kvm_netdev.ReadNicFiles(nics_dir) == ["tap9"]
  hv_kvm_netdev.RemoveNicFiles(nics_dir)
  assert not os.path.exists(nics_dir)
  assert hv_kvm_netdev.ReadNicFiles(nics_dir) == []
  hv_kvm_netdev.RemoveNicFiles(nics_dir)


def _Link(name):
  return os.path.exists("/sys/class/net/%s" % name)


def testOpenTapCreatesAnInheritableTap():
  (name, fd) = hv_kvm_netdev.OpenTap()
  try:
    assert name.startswith("tap")
    assert _Link(name)
    assert os.get_inheritable(fd)
  finally:
    os.close(fd)
  assert not _Link(name)


def _RunIfup(env):
  full = dict(os.environ)
  full.update(env)
  return subprocess.run([IFUP], env=full, capture_output=True, text=True)


@pytest.fixture
def tap():
  (name, fd) = hv_kvm_netdev.OpenTap()
  yield name
  os.close(fd)


@pytest.fixture
def bridge():
  name = "kqnbr%d" % (os.getpid() % 10000)
  subprocess.run(["ip", "link", "add", "name", name, "type", "bridge"],
                 check=True)
  yield name
  subprocess.run(["ip", "link", "del", name], check=False)


def testIfupScriptBridged(tap, bridge):
  result = _RunIfup({"INSTANCE": "inst1", "MODE": "bridged", "LINK": bridge,
                     "INTERFACE": tap, "MAC": "aa:00:00:00:00:01"})
  assert result.returncode == 0, result.stderr
  assert os.path.basename(os.readlink("/sys/class/net/%s/master" % tap)) \
    == bridge
  # IFF_UP
  assert int(utils.ReadFile("/sys/class/net/%s/flags" % tap), 16) & 0x1


def testIfupScriptMissingBridge(tap):
  result = _RunIfup({"INSTANCE": "inst1", "MODE": "bridged",
                     "LINK": "kqnobr0", "INTERFACE": tap})
  assert result.returncode != 0
  assert "kqnobr0" in result.stderr


def testIfupScriptRoutedMainTable(tap):
  ip = "198.51.100.%d" % (os.getpid() % 200 + 20)
  result = _RunIfup({"INSTANCE": "inst1", "MODE": "routed", "LINK": "",
                     "IP": ip, "INTERFACE": tap})
  try:
    assert result.returncode == 0, result.stderr
    routes = subprocess.run(["ip", "route", "show", ip], check=True,
                            capture_output=True, text=True).stdout
    assert "dev %s proto static" % tap in routes
  finally:
    subprocess.run(["ip", "route", "del", ip], check=False,
                   stderr=subprocess.DEVNULL)


def testIfupScriptUnknownMode(tap):
  result = _RunIfup({"INSTANCE": "inst1", "MODE": "openvswitch",
                     "INTERFACE": tap})
  assert result.returncode != 0
  assert "unknown NIC mode" in result.stderr
