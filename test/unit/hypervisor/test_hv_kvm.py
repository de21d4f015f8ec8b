"""KVMHypervisor without qemu: parameters, consoles, migration data, QMP.

The life cycle with real guests is in test_hv_kvm_qemu.py.
"""

import json
import os
import socket
import threading

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import vcluster
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor import hv_kvm_cmd
from ganeti.hypervisor import hv_kvm_netdev
from ganeti.hypervisor import hv_kvm_qmp


def _Hvp(**overrides):
  hvp = dict(constants.HVC_DEFAULTS[constants.HT_KVM])
  hvp.update(overrides)
  return hvp


def _Instance(hvp=None, port=None, name="inst1.example.com"):
  return objects.Instance(name=name, primary_node="node1.example.com",
                          hypervisor=constants.HT_KVM,
                          hvparams=hvp or _Hvp(),
                          beparams={constants.BE_MAXMEM: 128,
                                    constants.BE_VCPUS: 1},
                          nics=[], disks=[], network_port=port)


# --- parameters -------------------------------------------------------------

def testEveryDefaultParameterIsKnownAndValid():
  assert set(constants.HVC_DEFAULTS[constants.HT_KVM]) <= \
    set(hv_kvm.KVMHypervisor.PARAMETERS)
  hv_kvm.KVMHypervisor.CheckParameterSyntax(_Hvp())


@pytest.mark.parametrize("overrides,message", [
  ({"boot_order": "usb"}, "boot_order"),
  ({"nic_type": "tulip"}, "nic_type"),
  ({"disk_type": "floppy"}, "disk_type"),
  ({"cdrom_disk_type": "virtio"}, "cdrom_disk_type"),
  ({"usb_mouse": "trackball"}, "usb_mouse"),
  ({"disk_cache": "unsafe"}, "disk_cache"),
  ({"security_model": "selinux"}, "security_model"),
  ({"kvm_flag": "maybe"}, "kvm_flag"),
  ({"reboot_behavior": "halt"}, "reboot_behavior"),
  ({"migration_mode": "teleport"}, "migration_mode"),
  ({"migration_port": 70000}, "migration_port"),
  ({"migration_bandwidth": -1}, "migration_bandwidth"),
  ({"migration_downtime": -5}, "migration_downtime"),
  ({"cpu_mask": "0-x"}, "cpu_mask"),
  ({"cpu_mask": "1-0"}, "cpu_mask"),
  ({"vnc_bind_address": "vnc.example.com"}, "vnc_bind_address"),
  ({"kernel_path": "relative/vmlinuz"}, "kernel_path"),
  ({"serial_speed": 12345}, "serial_speed"),
  ({"spice_image_compression": "jpeg2000", "spice_bind": "0.0.0.0"},
   "spice_image_compression"),
  ({"acpi": "yes"}, "acpi"),
  ({"no_such_parameter": 1}, "no_such_parameter"),
  ])
def testSingleParameterErrors(overrides, message):
  with pytest.raises(errors.HypervisorError, match=message):
    hv_kvm.KVMHypervisor.CheckParameterSyntax(_Hvp(**overrides))


@pytest.mark.parametrize("overrides,message", [
  ({"kernel_path": "/boot/vmlinuz", "root_path": ""}, "root_path"),
  ({"boot_order": "cdrom"}, "cdrom_image_path"),
  ({"boot_order": "floppy"}, "floppy_image_path"),
  ({"security_model": "user"}, "security_domain"),
  ({"security_model": "pool", "security_domain": "nobody"},
   "security_domain"),
  ({"vnc_tls": True}, "VNC bind address"),
  ({"vnc_password_file": "/etc/pw"}, "VNC bind address"),
  ({"vnc_bind_address": "0.0.0.0", "vnc_x509_path": "/etc/x509"},
   "vnc_tls"),
  ({"vnc_bind_address": "0.0.0.0", "vnc_tls": True,
    "vnc_x509_verify": True}, "vnc_x509_path"),
  ({"vnc_bind_address": "0.0.0.0", "spice_bind": "0.0.0.0"},
   "cannot both"),
  ({"spice_use_tls": True}, "SPICE bind"),
  ({"spice_bind": "192.0.2.1", "spice_ip_version": 6}, "not an IPv6"),
  ])
def testParameterCombinations(overrides, message):
  with pytest.raises(errors.HypervisorError, match=message):
    hv_kvm.KVMHypervisor.CheckParameterSyntax(_Hvp(**overrides))


@pytest.mark.parametrize("overrides", [
  {"kernel_path": "", "root_path": ""},
  {"boot_order": "cdrom", "cdrom_image_path": "/srv/cd.iso"},
  {"security_model": "user", "security_domain": "kvm"},
  {"security_model": "pool"},
  {"vnc_bind_address": "0.0.0.0", "vnc_tls": True,
   "vnc_x509_path": "/etc/x509", "vnc_x509_verify": True,
   "vnc_password_file": "/etc/pw"},
  {"vnc_bind_address": "/var/run/vnc"},
  {"spice_bind": "eth0", "spice_ip_version": 4},
  {"cpu_mask": "0-1,3"},
  {"cpu_mask": "0:1:all"},
  {"serial_speed": 115200},
  {"machine_version": "pc"},
  {"kvm_flag": "disabled"},
  ])
def testAcceptedCombinations(overrides):
  hv_kvm.KVMHypervisor.CheckParameterSyntax(_Hvp(**overrides))


def testValidateParametersLooksAtTheNode(tmp_path):
  hv = hv_kvm.KVMHypervisor(kvm_path="/bin/true")
  kernel = tmp_path / "vmlinuz"
  kernel.write_text("x")
  hv.ValidateParameters(_Hvp(kernel_path=str(kernel)))
  with pytest.raises(errors.HypervisorError, match="kernel_path"):
    hv.ValidateParameters(_Hvp(kernel_path=str(tmp_path / "missing")))
  with pytest.raises(errors.HypervisorError, match="mem_path"):
    hv.ValidateParameters(_Hvp(kernel_path=str(kernel),
                               mem_path=str(tmp_path / "nohuge")))
  with pytest.raises(errors.HypervisorError, match="security_domain"):
    hv.ValidateParameters(_Hvp(kernel_path=str(kernel),
                               security_model="user",
                               security_domain="no-such-user-kvmtest"))
  with pytest.raises(errors.HypervisorError, match="kvm binary"):
    hv_kvm.KVMHypervisor(kvm_path=str(tmp_path / "kvm")).ValidateParameters(
      _Hvp(kernel_path=str(kernel)))


# --- consoles ---------------------------------------------------------------

def testSerialConsoleCommand():
  inst = _Instance()
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, inst.hvparams,
                                                    inst.beparams)
  console.Validate()
  paths = hv_kvm_cmd.InstancePaths(inst.name)
  assert console.kind == constants.CONS_SSH
  assert console.host == "node1.example.com"
  assert console.user == hv_base.SSH_CONSOLE_USER
  assert console.command == [
    hv_kvm_netdev.FindConsoleWrapper(), hv_kvm.SOCAT_PATH, inst.name,
    paths.monitor, "STDIO,raw,echo=0,escape=0x1d",
    "UNIX-CONNECT:%s" % paths.serial]
  assert os.path.isfile(console.command[0])


def testSerialConsoleUsesThePrimaryNodeRoot(tmp_path, monkeypatch):
  for node in ("master", "node1.example.com"):
    (tmp_path / node).mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(tmp_path / "master"))
  monkeypatch.setenv("GANETI_HOSTNAME", "master")
  pathutils.Reload()
  try:
    inst = _Instance()
    console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, inst.hvparams,
                                                      inst.beparams)
    serial = console.command[-1]
    assert serial == ("UNIX-CONNECT:%s/node1.example.com/var/run/ganeti/"
                      "kvm-hypervisor/ctrl/inst1.example.com.serial" %
                      tmp_path)
    assert console.command[3].startswith(str(tmp_path / "node1.example.com"))
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


def testVncConsole():
  hvp = _Hvp(serial_console=False, vnc_bind_address="0.0.0.0")
  inst = _Instance(hvp, port=5907)
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, hvp, {})
  console.Validate()
  assert (console.kind, console.host, console.port, console.display) == \
    (constants.CONS_VNC, "node1.example.com", 5907, 7)
  hvp[constants.HV_VNC_BIND_ADDRESS] = "192.0.2.9"
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, hvp, {})
  assert console.host == "192.0.2.9"


def testSpiceConsole():
  hvp = _Hvp(serial_console=False, spice_bind="192.0.2.4")
  inst = _Instance(hvp, port=11000)
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, hvp, {})
  console.Validate()
  assert (console.kind, console.host, console.port) == \
    (constants.CONS_SPICE, "192.0.2.4", 11000)
  hvp[constants.HV_KVM_SPICE_BIND] = "eth0"
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, hvp, {})
  assert console.host == "node1.example.com"


def testNoConsole():
  hvp = _Hvp(serial_console=False)
  inst = _Instance(hvp)
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, hvp, {})
  console.Validate()
  assert console.kind == constants.CONS_MESSAGE
  assert "inst1.example.com" in console.message


def testAncillaryFiles():
  (files, optional) = hv_kvm.KVMHypervisor.GetAncillaryFiles()
  script = os.path.join(pathutils.CONF_DIR, "kvm-vif-bridge")
  assert files == [script]
  assert optional == [script]


# --- runtime and migration data ---------------------------------------------

def testMigrationInfoIsNodeIndependent(tmp_path, monkeypatch):
  nic = objects.NIC(mac="aa:00:00:00:00:01", ip="192.0.2.3",
                    nicparams={constants.NIC_MODE: constants.NIC_MODE_ROUTED,
                               constants.NIC_LINK: "100"})
  inst = _Instance()
  inst.nics = [nic]
  hv = hv_kvm.KVMHypervisor()
  roots = {}
  for node in ("n1", "n2"):
    roots[node] = tmp_path / node
    roots[node].mkdir()

  def _Switch(node):
    monkeypatch.setenv("GANETI_ROOTDIR", str(roots[node]))
    monkeypatch.setenv("GANETI_HOSTNAME", node)
    pathutils.Reload()

  try:
    _Switch("n1")
    runtime = hv._GenerateRuntime(inst, [])
    hv._EnsureDirs()
    paths = hv_kvm_cmd.InstancePaths(inst.name)
    with open(paths.runtime, "w") as handle:
      handle.write(hv._RuntimeToText(runtime))
    info = hv.MigrationInfo(inst)
    assert str(roots["n1"]) not in info
    _Switch("n2")
    (cmd, nics, hvp) = hv._LocalRuntime(inst, info)
    n2_paths = hv_kvm_cmd.InstancePaths(inst.name)
    assert cmd[cmd.index("-pidfile") + 1] == n2_paths.pidfile
    assert "unix:%s,server=on,wait=off" % n2_paths.qmp in cmd
    assert [n.ToDict() for n in nics] == [nic.ToDict()]
    assert hvp == inst.hvparams
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


def testMigrationInfoOnPhysicalNodeIsTheRuntime(tmp_path, monkeypatch):
  assert not vcluster.IsVirtualCluster()
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  runtime = hv._RuntimeToText(hv._GenerateRuntime(inst, []))
  monkeypatch.setattr(hv_kvm.utils, "ReadFile", lambda path: runtime)
  assert hv.MigrationInfo(inst) == runtime
  assert json.loads(runtime)[0][0] == hv_kvm_cmd.KVM_PATH


def testInvalidRuntimeData():
  with pytest.raises(errors.HypervisorError, match="Invalid KVM runtime"):
    hv_kvm.KVMHypervisor._ParseRuntime("[1, 2]", "inst1")
  with pytest.raises(errors.HypervisorError, match="Invalid KVM runtime"):
    hv_kvm.KVMHypervisor._ParseRuntime("not json", "inst1")


def testNothingRunsOnAnEmptyNode(tmp_path, monkeypatch):
  (tmp_path / "n1").mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(tmp_path / "n1"))
  monkeypatch.setenv("GANETI_HOSTNAME", "n1")
  pathutils.Reload()
  try:
    hv = hv_kvm.KVMHypervisor()
    assert hv.ListInstances() == []
    assert hv.GetAllInstancesInfo() == []
    assert hv.GetInstanceInfo("inst1") is None
    hv.CleanupInstance("inst1")
    hv.StopInstance(_Instance(), force=True)
    with pytest.raises(errors.HypervisorError, match="not running"):
      hv.RebootInstance(_Instance())
    with pytest.raises(errors.HypervisorError, match="not running"):
      hv.GetMigrationStatus(_Instance())
    with pytest.raises(errors.HypervisorError, match="not running"):
      hv.MigrateInstance(_Instance(), "192.0.2.1", True)
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


def testLongSocketPathIsRefused(tmp_path, monkeypatch):
  root = tmp_path / ("n" * 60)
  root.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", "n" * 60)
  pathutils.Reload()
  try:
    hv = hv_kvm.KVMHypervisor()
    with pytest.raises(errors.HypervisorError, match="107 the kernel"):
      hv.StartInstance(_Instance(_Hvp(kernel_path="")), [], False)
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


# --- QMP against a scripted server ------------------------------------------

class _FakeQmpServer(object):
  """Answers QMP on a unix socket from a script of (request, answers)."""

  def __init__(self, path, script, greeting=None):
    self.path = path
    self.script = list(script)
    self.received = []
    self.greeting = greeting or {"QMP": {"version": {}, "capabilities": []}}
    self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    self.sock.bind(path)
    self.sock.listen(1)
    self.thread = threading.Thread(target=self._Serve, daemon=True)
    self.thread.start()

  def _Serve(self):
    (conn, _) = self.sock.accept()
    with conn:
      conn.sendall((json.dumps(self.greeting) + "\r\n").encode())
      buf = b""
      for answers in self.script:
        while b"\n" not in buf:
          data = conn.recv(4096)
          if not data:
            return
          buf += data
        (line, buf) = buf.split(b"\n", 1)
        self.received.append(json.loads(line))
        for answer in answers:
          conn.sendall((json.dumps(answer) + "\r\n").encode())

  def Close(self):
    self.thread.join(5)
    self.sock.close()


@pytest.fixture
def qmp_path(tmp_path):
  return str(tmp_path / "q.sock")


def testQmpNegotiatesAndSkipsEvents(qmp_path):
  server = _FakeQmpServer(qmp_path, [
    [{"return": {}}],
    [{"event": "RESUME", "data": {}}, {"return": {"status": "running"}}],
    ])
  with hv_kvm_qmp.QmpConnection(qmp_path) as qmp:
    assert qmp.Execute("query-status") == {"status": "running"}
    assert [e["event"] for e in qmp.events] == ["RESUME"]
  server.Close()
  assert server.received == [{"execute": "qmp_capabilities"},
                             {"execute": "query-status"}]


def testQmpArgumentsAndErrors(qmp_path):
  server = _FakeQmpServer(qmp_path, [
    [{"return": {}}],
    [{"error": {"class": "CommandNotFound",
                "desc": "The command migrate_set_speed has not been found"}}],
    ])
  with hv_kvm_qmp.QmpConnection(qmp_path) as qmp:
    with pytest.raises(hv_kvm_qmp.QmpCommandError) as err:
      qmp.Execute("migrate_set_speed", {"value": 1024})
  server.Close()
  assert err.value.error_class == "CommandNotFound"
  assert "migrate_set_speed" in str(err.value)
  assert server.received[1] == {"execute": "migrate_set_speed",
                                "arguments": {"value": 1024}}


def testQmpRefusesWrongGreeting(qmp_path):
  server = _FakeQmpServer(qmp_path, [], greeting={"hello": 1})
  with pytest.raises(errors.HypervisorError, match="not a QMP server"):
    hv_kvm_qmp.QmpConnection(qmp_path).Connect()
  server.Close()


def testQmpTimeout(qmp_path):
  # The server greets and then never answers
  server = _FakeQmpServer(qmp_path, [[]])
  qmp = hv_kvm_qmp.QmpConnection(qmp_path, timeout=0.3)
  with pytest.raises(errors.HypervisorError, match="Timeout"):
    qmp.Connect()
  server.Close()


def testQmpMissingSocketAndNonSocket(tmp_path):
  with pytest.raises(errors.HypervisorError, match="does not exist"):
    hv_kvm_qmp.Execute(str(tmp_path / "none.qmp"), "query-status")
  (tmp_path / "file").write_text("")
  with pytest.raises(errors.HypervisorError, match="not a socket"):
    hv_kvm_qmp.Execute(str(tmp_path / "file"), "query-status")


def testQmpClosedByPeer(qmp_path):
  server = _FakeQmpServer(qmp_path, [[{"return": {}}]])
  with hv_kvm_qmp.QmpConnection(qmp_path) as qmp:
    server.Close()
    with pytest.raises(errors.HypervisorError, match="closed by qemu"):
      qmp.Execute("query-status")


def testQmpNeedsConnection(qmp_path):
  with pytest.raises(errors.ProgrammerError):
    hv_kvm_qmp.QmpConnection(qmp_path).Execute("query-status")
