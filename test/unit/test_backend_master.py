"""Tests of ganeti.backend_master: master IP on lo, master daemons."""

import os
import random
import signal
import subprocess
import textwrap

import pytest

from ganeti import backend
from ganeti import backend_master
from ganeti import constants
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"


@pytest.fixture
def vnode(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  ssconf.SimpleStore().WriteFiles({"cluster_name": "cl.example.com",
                                   "master_node": NODE})
  return root


def _LoAddresses():
  out = subprocess.run(["ip", "-o", "-4", "address", "show", "dev", "lo"],
                       check=True, capture_output=True, text=True).stdout
  return [line.split()[3].split("/")[0] for line in out.splitlines()]


@pytest.fixture
def master_ip():
  """A 127.x address nobody else uses; removed from lo afterwards."""
  address = "127.%d.%d.%d" % (random.randint(200, 250), random.randint(0, 255),
                              random.randint(1, 254))
  assert address not in _LoAddresses()
  yield address
  if address in _LoAddresses():
    subprocess.run(["ip", "address", "del", address + "/32", "dev", "lo"],
                   check=True)


def _Params(ip, netmask=32, netdev="lo"):
  return objects.MasterNetworkParameters(name=NODE, ip=ip, netmask=netmask,
                                         netdev=netdev, ip_family=2)


def _Hook(phase, name, body):
  directory = os.path.join(pathutils.HOOKS_BASE_DIR, "%s-%s.d" % (name,
                                                                  phase))
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, "record")
  utils.WriteFile(path, data="#!/bin/sh\n" + body, mode=0o755)


def test_master_ip_up_and_down_on_lo(vnode, master_ip, tmp_path):
  log = tmp_path / "hooks"
  for phase in ("pre", "post"):
    for name in ("master-ip-turnup", "master-ip-turndown"):
      _Hook(phase, name, "echo $GANETI_HOOKS_PATH-$GANETI_HOOKS_PHASE"
            " $GANETI_MASTER_IP $GANETI_MASTER_NETMASK"
            " $GANETI_CLUSTER_IP_VERSION $GANETI_OP_CODE >> %s\n" % log)
  backend.ActivateMasterIp(_Params(master_ip), False)
  assert master_ip in _LoAddresses()
  # a second activation finds it up and succeeds
  backend.ActivateMasterIp(_Params(master_ip).ToDict(), False)
  backend.DeactivateMasterIp(_Params(master_ip), False)
  assert master_ip not in _LoAddresses()
  backend.DeactivateMasterIp(_Params(master_ip), False)
  lines = log.read_text().splitlines()
  assert lines[:2] == [
    "master-ip-turnup-pre %s 32 4 OP_CLUSTER_IP_TURNUP" % master_ip,
    "master-ip-turnup-post %s 32 4 OP_CLUSTER_IP_TURNUP" % master_ip]
  assert lines[4] == ("master-ip-turndown-pre %s 32 4"
                      " OP_CLUSTER_IP_TURNDOWN" % master_ip)
  assert len(lines) == 8


def test_failing_pre_hook_keeps_the_ip_down(vnode, master_ip):
  _Hook("pre", "master-ip-turnup", "echo no; exit 1\n")
  with pytest.raises(backend.RPCFail, match="Pre hooks of master-ip-turnup"):
    backend.ActivateMasterIp(_Params(master_ip), False)
  assert master_ip not in _LoAddresses()


def test_ip_command_lines():
  params = _Params("192.0.2.10", netmask=24, netdev="eth0")
  assert backend_master.BuildIpCommand(backend_master.MASTER_START,
                                       params) == \
    ["ip", "address", "add", "192.0.2.10/24", "dev", "eth0"]
  assert backend_master.BuildIpCommand(backend_master.MASTER_STOP,
                                       params) == \
    ["ip", "address", "del", "192.0.2.10/24", "dev", "eth0"]
  with pytest.raises(Exception, match="Unknown master IP action"):
    backend_master.BuildIpCommand("restart", params)


def test_master_ip_env():
  env = backend_master.BuildMasterIpEnv(_Params("2001:db8::1", netmask=64))
  assert env == {"MASTER_NETDEV": "lo", "MASTER_IP": "2001:db8::1",
                 "MASTER_NETMASK": "64", "CLUSTER_IP_VERSION": "6"}


def test_external_setup_script(vnode, tmp_path):
  log = tmp_path / "script"
  os.makedirs(os.path.dirname(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT))
  utils.WriteFile(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT, mode=0o755,
                  data="#!/bin/sh\necho \"$1 $MASTER_IP $MASTER_NETDEV"
                  " $MASTER_NETMASK $CLUSTER_IP_VERSION\" >> %s\n"
                  "[ \"$1\" = start ] || { echo cannot stop; exit 2; }\n" %
                  log)
  backend.ActivateMasterIp(_Params("127.0.0.1", netmask=8), True)
  assert log.read_text() == "start 127.0.0.1 lo 8 4\n"
  with pytest.raises(backend.RPCFail, match="Failed to stop the master IP"
                     " with .*exit code 2.*cannot stop"):
    backend.DeactivateMasterIp(_Params("127.0.0.1", netmask=8), True)


def test_missing_external_script(vnode):
  with pytest.raises(backend.RPCFail, match="Cannot run the master IP setup"
                     " script"):
    backend.ActivateMasterIp(_Params("127.0.0.1", netmask=8), True)


@pytest.mark.parametrize("params,match", [
  ("lo", "expected a dict, got str"),
  ({"ip": "127.0.0.1", "bogus": 1}, "Invalid master network parameters"),
  ({"ip": "999.0.0.1", "netmask": 32, "netdev": "lo"}, "Invalid master IP"),
  ({"ip": "127.0.0.1", "netmask": 32, "netdev": "nosuchdev0"},
   "no such interface"),
  ({"ip": "127.0.0.1", "netmask": 33, "netdev": "lo"}, "Invalid master"
   " netmask 33"),
  ({"ip": "127.0.0.1", "netmask": "32", "netdev": "lo"}, "Invalid master"
   " netmask"),
  ])
def test_bad_master_params(vnode, params, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.ActivateMasterIp(params, False)


def test_ip_command_failure_is_reported(vnode, monkeypatch):
  monkeypatch.setenv("PATH", "/nonexistent")
  with pytest.raises(backend.RPCFail, match="Cannot run 'ip address add"):
    backend.ActivateMasterIp(_Params("127.254.254.254"), False)


# Master daemons, through the real daemon-util and a small stand-in daemon

_FAKE_DAEMON = textwrap.dedent("""\
  import os, signal, sys, time
  from ganeti import pathutils, utils
  name = os.path.basename(sys.argv[0])
  code = os.environ.get("F2_FAKE_EXIT")
  if code:
    sys.stderr.write("fake %s refuses to start\\n" % name)
    sys.exit(int(code))
  wpipe = utils.Daemonize(os.path.join(pathutils.LOG_DIR, name + ".log"))
  pidfd = utils.WritePidFile(pathutils.GetPidFilename(name))
  utils.WriteFile(os.path.join(pathutils.RUN_DIR, name + ".args"),
                  data=" ".join(sys.argv[1:]))
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
  os.close(wpipe)
  while True:
    time.sleep(1)
  """)


@pytest.fixture
def fake_daemons(vnode, tmp_path, monkeypatch):
  ddir = tmp_path / "daemons"
  ddir.mkdir()
  (ddir / constants.MASTERD).write_text(_FAKE_DAEMON)
  monkeypatch.setenv("GANETI_DAEMONS_DIR", str(ddir))
  yield ddir
  for name in constants.DAEMONS:
    pid = utils.ReadLockedPidFile(pathutils.GetPidFilename(name))
    if pid:
      os.kill(pid, signal.SIGKILL)


def _Args(name):
  with open(os.path.join(pathutils.RUN_DIR, name + ".args")) as handle:
    return handle.read()


def test_start_and_stop_master_daemons(fake_daemons):
  backend.StartMasterDaemons(True)
  pid = utils.ReadLockedPidFile(pathutils.GetPidFilename(constants.MASTERD))
  assert pid and utils.IsProcessAlive(pid)
  assert _Args(constants.MASTERD) == "--no-voting --yes-do-it"
  backend.StopMasterDaemons()
  assert utils.ReadLockedPidFile(
    pathutils.GetPidFilename(constants.MASTERD)) is None


def test_start_master_daemons_with_voting(fake_daemons):
  backend.StartMasterDaemons(False)
  assert _Args(constants.MASTERD) == ""
  backend.StopMasterDaemons()


def test_start_master_daemons_failure(fake_daemons, monkeypatch):
  monkeypatch.setenv("F2_FAKE_EXIT", "1")
  with pytest.raises(backend.RPCFail, match="Cannot start the Ganeti master"
                     " daemons: .*fake ganeti-masterd refuses to start"):
    backend.StartMasterDaemons(False)


def test_start_master_daemons_rejects_bad_flag():
  with pytest.raises(backend.RPCFail, match="no_voting"):
    backend.StartMasterDaemons("yes")


def test_daemon_util_is_found():
  assert os.path.basename(backend.FindDaemonUtil()) == "daemon-util"


def test_stop_master_daemons_failure(tmp_path):
  broken = tmp_path / "daemon-util"
  broken.write_text("import sys\nsys.stderr.write('broken tool')\n"
                    "sys.exit(3)\n")
  with pytest.raises(backend.RPCFail, match="Cannot stop the Ganeti master"
                     " daemons: exited with exit code 3 \\(broken tool\\)"):
    backend.StopMasterDaemons(_daemon_util=str(broken))
