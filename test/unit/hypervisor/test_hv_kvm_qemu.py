"""The KVM hypervisor with real qemu guests.

Each guest has 32 MiB of memory, a sparse raw file as its only disk and no
operating system: the BIOS finds nothing to boot and idles, which is all
these tests need.  /dev/kvm is used when it works, emulation otherwise.
Node roots live in a short directory under /tmp (unix socket paths are
limited to 107 bytes); every qemu started below that directory is killed
when a test ends, whatever its outcome.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import psutil
import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor import hv_kvm_cmd
from ganeti.hypervisor import hv_kvm_netdev
from ganeti.hypervisor import hv_kvm_qmp


QEMU = hv_kvm_cmd.KVM_PATH


def _KvmUsable():
  try:
    fd = os.open("/dev/kvm", os.O_RDWR)
  except OSError:
    return False
  os.close(fd)
  return True


KVM_FLAG = (constants.HT_KVM_ENABLED if _KvmUsable()
            else constants.HT_KVM_DISABLED)


@pytest.fixture(scope="module", autouse=True)
def _need_qemu():
  if not os.access(QEMU, os.X_OK):
    pytest.fail("qemu (%s) is needed by these tests and is missing" % QEMU)


def _QemuBelow(base):
  found = []
  for proc in psutil.process_iter(["cmdline"]):
    cmdline = proc.info.get("cmdline") or []
    if any(base in arg for arg in cmdline) and "-name" in cmdline:
      found.append(proc)
  return found


class _Cluster(object):
  """Virtual node roots below one short base directory."""

  def __init__(self, base, monkeypatch):
    self.base = base
    self._mp = monkeypatch

  def Node(self, name):
    root = os.path.join(self.base, name)
    os.makedirs(root, exist_ok=True)
    self._mp.setenv("GANETI_ROOTDIR", root)
    self._mp.setenv("GANETI_HOSTNAME", name)
    pathutils.Reload()
    return root

  def Disk(self, name="disk0", size=1 << 20):
    path = os.path.join(self.base, name)
    with open(path, "wb") as handle:
      handle.truncate(size)
    return path


@pytest.fixture
def cluster(monkeypatch):
  base = tempfile.mkdtemp(prefix="kq", dir="/tmp")
  try:
    yield _Cluster(base, monkeypatch)
  finally:
    for proc in _QemuBelow(base):
      try:
        proc.kill()
        proc.wait(10)
      except psutil.Error:
        pass
    monkeypatch.delenv("GANETI_ROOTDIR", raising=False)
    monkeypatch.delenv("GANETI_HOSTNAME", raising=False)
    pathutils.Reload()
    shutil.rmtree(base, ignore_errors=True)


def _FreePort(address="127.0.0.1"):
  sock = socket.socket()
  try:
    sock.bind((address, 0))
    return sock.getsockname()[1]
  finally:
    sock.close()


def _Instance(name="i1", nics=None, port=None, **hvp_overrides):
  hvp = dict(constants.HVC_DEFAULTS[constants.HT_KVM])
  hvp[constants.HV_KERNEL_PATH] = ""
  hvp[constants.HV_KVM_FLAG] = KVM_FLAG
  hvp.update(hvp_overrides)
  inst = objects.Instance(name=name, primary_node="n1", os="none",
                          hypervisor=constants.HT_KVM, hvparams=hvp,
                          beparams={constants.BE_MAXMEM: 32,
                                    constants.BE_MINMEM: 32,
                                    constants.BE_VCPUS: 1},
                          nics=nics or [], disks=[], network_port=port,
                          tags=[])
  return inst


def _Disks(path):
  return [(objects.Disk(dev_type=constants.LD_FILE, size=1,
                        mode=constants.DISK_RDWR), path)]


def _Pid(name="i1"):
  pid = int(utils.ReadFile(hv_kvm_cmd.InstancePaths(name).pidfile))
  return pid


def _Status(name="i1"):
  return hv_kvm_qmp.Execute(hv_kvm_cmd.InstancePaths(name).qmp,
                            "query-status")["status"]


def testStartInfoListAndCommandLine(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  disk = cluster.Disk()
  hv.StartInstance(inst, _Disks(disk), False)
  paths = hv_kvm_cmd.InstancePaths("i1")
  pid = _Pid()
  assert hv.ListInstances() == ["i1"]
  info = hv.GetInstanceInfo("i1")
  assert info[:5] == ("i1", pid, 32, 1, "running")
  assert info[5] >= 0
  (all_info, ) = hv.GetAllInstancesInfo()
  assert all_info[:5] == info[:5]
  # The process runs exactly the saved command plus the per-start part
  (cmd, nics, hvp) = hv._LoadRuntime("i1")
  assert nics == [] and hvp == inst.hvparams
  assert psutil.Process(pid).cmdline() == cmd + ["-net", "none", "-S"]
  assert "file=%s,format=raw,if=virtio" % disk in cmd
  for sock in paths.Sockets():
    assert os.path.exists(sock)
  hv.StopInstance(inst, force=True)
  assert hv.ListInstances() == []
  assert hv.GetInstanceInfo("i1") is None
  assert not psutil.pid_exists(pid) or \
    psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
  assert not os.path.exists(paths.pidfile)
  assert not any(os.path.exists(sock) for sock in paths.Sockets())


def testStartPausedAndDoubleStart(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  hv.StartInstance(inst, _Disks(cluster.Disk()), True)
  assert hv.GetInstanceInfo("i1")[4] == "paused"
  with pytest.raises(errors.HypervisorError, match="already running"):
    hv.StartInstance(inst, _Disks(cluster.Disk("d2")), False)
  hv_kvm_qmp.Execute(hv_kvm_cmd.InstancePaths("i1").qmp, "cont")
  assert _Status() == "running"
  with pytest.raises(errors.HypervisorError, match="still running"):
    hv.CleanupInstance("i1")
  hv.StopInstance(inst, force=True)
  hv.CleanupInstance("i1")
  assert hv.ListInstances() == []


def testStopSendsAcpiThenKillsAfterTimeout(cluster, monkeypatch):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  pid = _Pid()
  sent = []
  real_execute = hv_kvm_qmp.Execute

  def _Spy(path, command, arguments=None, timeout=10.0):
    sent.append(command)
    return real_execute(path, command, arguments, timeout)

  monkeypatch.setattr(hv_kvm_qmp, "Execute", _Spy)
  # Without a timeout: the power button is pressed and the call returns;
  # a guest without an OS ignores it and keeps running
  hv.StopInstance(inst)
  assert sent == ["system_powerdown"]
  assert hv.ListInstances() == ["i1"]
  start = time.monotonic()
  hv.StopInstance(inst, retry=True, timeout=1)
  elapsed = time.monotonic() - start
  assert sent == ["system_powerdown", "system_powerdown"]
  assert elapsed >= 1.0
  assert hv.ListInstances() == []
  assert not _ProcessAlive(pid)


def testStopWithoutAcpiKills(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(acpi=False)
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  assert "-no-acpi" in psutil.Process(_Pid()).cmdline()
  hv.StopInstance(inst)
  assert hv.ListInstances() == []


def _ProcessAlive(pid):
  try:
    return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
  except psutil.NoSuchProcess:
    return False


def testRebootStartsAFreshProcessFromTheRuntime(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  old_pid = _Pid()
  old_cmd = psutil.Process(old_pid).cmdline()
  hv.RebootInstance(inst)
  new_pid = _Pid()
  assert new_pid != old_pid
  assert not _ProcessAlive(old_pid)
  assert psutil.Process(new_pid).cmdline() == old_cmd
  assert _Status() == "running"
  hv.StopInstance(inst, force=True)
  with pytest.raises(errors.HypervisorError, match="not running"):
    hv.RebootInstance(inst)


def testNewHypervisorObjectFindsRunningGuest(cluster):
  cluster.Node("n1")
  inst = _Instance()
  hv_kvm.KVMHypervisor().StartInstance(inst, _Disks(cluster.Disk()), False)
  pid = _Pid()
  # A restarted node daemon builds a new object and reloads pathutils
  pathutils.Reload()
  hv = hv_kvm.KVMHypervisor()
  assert hv.ListInstances() == ["i1"]
  assert hv.GetInstanceInfo("i1")[1] == pid
  hv.StopInstance(inst, force=True)
  assert hv.ListInstances() == []


def testStalePidFileIsNotAnInstance(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  paths = hv_kvm_cmd.InstancePaths("ghost")
  os.makedirs(pathutils.KVM_PIDS_DIR)
  # Our own pid: alive, but not a qemu named "ghost"
  utils.WriteFile(paths.pidfile, data="%d\n" % os.getpid())
  assert hv.ListInstances() == []
  assert hv.GetInstanceInfo("ghost") is None
  hv.CleanupInstance("ghost")
  assert not os.path.exists(paths.pidfile)


def testBalloon(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  # No guest driver: qemu accepts the target, memory stays as it was
  hv.BalloonInstanceMemory(inst, 16)
  assert hv.GetInstanceInfo("i1")[2] == 32
  hv.StopInstance(inst, force=True)
  with pytest.raises(errors.HypervisorError, match="not running"):
    hv.BalloonInstanceMemory(inst, 16)


def testCpuPinning(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(cpu_mask="0")
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  proc = psutil.Process(_Pid())
  for thread in proc.threads():
    assert os.sched_getaffinity(thread.id) == {0}
  hv.StopInstance(inst, force=True)


def testPerVcpuPinning(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(cpu_mask="0:all")
  inst.beparams[constants.BE_VCPUS] = 2
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  vcpus = hv_kvm_qmp.Execute(hv_kvm_cmd.InstancePaths("i1").qmp,
                             "query-cpus-fast")
  by_index = dict((v["cpu-index"], v["thread-id"]) for v in vcpus)
  assert os.sched_getaffinity(by_index[0]) == {0}
  assert os.sched_getaffinity(by_index[1]) == \
    set(range(psutil.cpu_count()))
  hv.StopInstance(inst, force=True)


def testVncConsoleAnswersRfb(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  display = _FreePort() % 1000 + 100
  port = constants.VNC_BASE_PORT + display
  inst = _Instance(port=port, vnc_bind_address="127.0.0.1",
                   serial_console=False)
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
    assert sock.recv(12).startswith(b"RFB 003.")
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, inst.hvparams,
                                                    inst.beparams)
  assert (console.kind, console.host, console.port, console.display) == \
    (constants.CONS_VNC, "127.0.0.1", port, display)
  hv.StopInstance(inst, force=True)


def testSerialSocketCarriesTheConsole(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  paths = hv_kvm_cmd.InstancePaths("i1")
  console = hv_kvm.KVMHypervisor.GetInstanceConsole(inst, inst.hvparams,
                                                    inst.beparams)
  assert console.command[-1] == "UNIX-CONNECT:%s" % paths.serial
  # socat (what the console command runs) can connect to the serial line
  result = utils.RunCmd([hv_kvm.SOCAT_PATH, "-u", "OPEN:/dev/null",
                         "UNIX-CONNECT:%s" % paths.serial], timeout=10)
  assert not result.failed, result.output
  hv.StopInstance(inst, force=True)


def testSecurityPoolTakesAndReleasesUid(cluster):
  cluster.Node("n1")
  nobody = 65534
  ss = ssconf.SimpleStore()
  os.makedirs(os.path.dirname(ss.KeyToFilename(ssconf.SS_UID_POOL)),
              exist_ok=True)
  utils.WriteFile(ss.KeyToFilename(ssconf.SS_UID_POOL),
                  data="%d-%d\n" % (nobody, nobody))
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(security_model=constants.HT_SM_POOL)
  disk = cluster.Disk()
  hv.StartInstance(inst, _Disks(disk), False)
  paths = hv_kvm_cmd.InstancePaths("i1")
  proc = psutil.Process(_Pid())
  assert proc.uids().effective == nobody
  assert proc.cmdline()[-2:] == ["-runas", "nobody"]
  assert utils.ReadFile(paths.uidfile).strip() == str(nobody)
  lock_file = os.path.join(pathutils.UIDPOOL_LOCKDIR, str(nobody))
  assert os.path.exists(lock_file)
  # The only uid of the pool is taken: a second instance cannot start
  with pytest.raises(errors.LockError):
    hv.StartInstance(_Instance(name="i2",
                               security_model=constants.HT_SM_POOL),
                     _Disks(cluster.Disk("d2")), False)
  hv.StopInstance(inst, force=True)
  assert not os.path.exists(paths.uidfile)
  assert not os.path.exists(lock_file)


def testSecurityUserRunsAsDomain(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(security_model=constants.HT_SM_USER,
                   security_domain="nobody")
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  assert psutil.Process(_Pid()).uids().effective == 65534
  hv.StopInstance(inst, force=True)


def testChrootDirectoryIsCreatedAndRemoved(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(use_chroot=True)
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  paths = hv_kvm_cmd.InstancePaths("i1")
  assert os.path.realpath("/proc/%d/root" % _Pid()) == paths.chroot
  hv.StopInstance(inst, force=True)
  assert not os.path.exists(paths.chroot)


def _Bridge(name):
  subprocess.run(["ip", "link", "add", "name", name, "type", "bridge"],
                 check=True)


def _DelLink(name):
  subprocess.run(["ip", "link", "del", name], check=False,
                 stderr=subprocess.DEVNULL)


def testBridgedNicOnTap(cluster):
  cluster.Node("n1")
  bridge = "kqbr%d" % (os.getpid() % 10000)
  _Bridge(bridge)
  try:
    hv = hv_kvm.KVMHypervisor()
    nic = objects.NIC(mac="aa:00:00:12:34:56", ip=None,
                      nicparams={constants.NIC_MODE: constants.NIC_MODE_BRIDGED,
                                 constants.NIC_LINK: bridge})
    inst = _Instance(nics=[nic])
    hv.StartInstance(inst, _Disks(cluster.Disk()), False)
    paths = hv_kvm_cmd.InstancePaths("i1")
    (tap, ) = hv_kvm_netdev.ReadNicFiles(paths.nics_dir)
    assert os.path.basename(os.readlink("/sys/class/net/%s/master" % tap)) \
      == bridge
    cmdline = psutil.Process(_Pid()).cmdline()
    netdev = cmdline[cmdline.index("-netdev") + 1]
    assert netdev.startswith("tap,id=netdev0,fd=")
    assert cmdline[cmdline.index("-netdev") + 3] == \
      "virtio-net-pci,netdev=netdev0,mac=aa:00:00:12:34:56"
    hv.StopInstance(inst, force=True)
    assert not os.path.exists("/sys/class/net/%s" % tap)
    assert hv_kvm_netdev.ReadNicFiles(paths.nics_dir) == []
  finally:
    _DelLink(bridge)


def testBridgedNicOnMissingBridgeFails(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  nic = objects.NIC(mac="aa:00:00:12:34:57", ip=None,
                    nicparams={constants.NIC_MODE: constants.NIC_MODE_BRIDGED,
                               constants.NIC_LINK: "kqnobridge0"})
  inst = _Instance(nics=[nic])
  with pytest.raises(errors.HypervisorError, match="kqnobridge0"):
    hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  assert hv.ListInstances() == []


def testRoutedNicAddsRouteInTable(cluster):
  cluster.Node("n1")
  table = "4%d" % (os.getpid() % 1000 + 1000)
  ip = "198.51.100.%d" % (os.getpid() % 200 + 10)
  hv = hv_kvm.KVMHypervisor()
  nic = objects.NIC(mac="aa:00:00:12:34:58", ip=ip,
                    nicparams={constants.NIC_MODE: constants.NIC_MODE_ROUTED,
                               constants.NIC_LINK: table})
  inst = _Instance(nics=[nic], nic_type=constants.HT_NIC_E1000)
  try:
    hv.StartInstance(inst, _Disks(cluster.Disk()), False)
    (tap, ) = hv_kvm_netdev.ReadNicFiles(
      hv_kvm_cmd.InstancePaths("i1").nics_dir)
    routes = subprocess.run(["ip", "route", "show", "table", table],
                            check=True, capture_output=True,
                            text=True).stdout
    assert "%s dev %s proto static" % (ip, tap) in routes
    assert utils.ReadFile("/proc/sys/net/ipv4/conf/%s/proxy_arp" %
                          tap).strip() == "1"
    hv.StopInstance(inst, force=True)
    routes = subprocess.run(["ip", "route", "show", "table", table],
                            check=True, capture_output=True,
                            text=True).stdout
    assert ip not in routes
  finally:
    subprocess.run(["ip", "route", "flush", "table", table], check=False,
                   stderr=subprocess.DEVNULL)


def _WaitMigration(hv, inst, timeout=60):
  end = time.monotonic() + timeout
  while True:
    status = hv.GetMigrationStatus(inst)
    if status.status != hv_base.HV_MIGRATION_ACTIVE:
      return status
    assert time.monotonic() < end, "migration did not finish"
    time.sleep(0.1)


def testLiveMigrationBetweenTwoNodes(cluster):
  target_ip = "127.0.0.2"
  port = _FreePort(target_ip)
  disk = cluster.Disk()
  inst = _Instance(migration_port=port, migration_bandwidth=1000)
  hv = hv_kvm.KVMHypervisor()

  cluster.Node("n1")
  hv.StartInstance(inst, _Disks(disk), False)
  source_pid = _Pid()
  info = hv.MigrationInfo(inst)
  assert cluster.base + "/n1" not in info

  root2 = cluster.Node("n2")
  hv.AcceptInstance(inst, info, target_ip)
  target_pid = _Pid()
  cmdline = psutil.Process(target_pid).cmdline()
  assert cmdline[-2:] == ["-incoming", "tcp:%s:%d" % (target_ip, port)]
  assert cmdline[cmdline.index("-pidfile") + 1].startswith(root2 + "/")
  assert _Status() == "inmigrate"

  cluster.Node("n1")
  hv.MigrateInstance(inst, target_ip, True)
  status = _WaitMigration(hv, inst)
  assert status.status == hv_base.HV_MIGRATION_COMPLETED
  assert status.total_ram > 0
  assert status.transferred_ram > 0
  hv.FinalizeMigrationSource(inst, True, True)
  assert hv.ListInstances() == []
  assert not _ProcessAlive(source_pid)

  cluster.Node("n2")
  hv.FinalizeMigrationDst(inst, info, True)
  assert hv.ListInstances() == ["i1"]
  assert hv.GetInstanceInfo("i1")[1] == target_pid
  assert _Status() == "running"
  (cmd, _, _) = hv._LoadRuntime("i1")
  assert cmd[cmd.index("-pidfile") + 1].startswith(root2 + "/")
  # The migrated instance is a normal one on its new node
  hv.RebootInstance(inst)
  assert _Status() == "running"
  hv.StopInstance(inst, force=True)
  assert hv.ListInstances() == []


def testFailedNonLiveMigrationResumesSource(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  # Nobody listens on this port
  port = _FreePort("127.0.0.3")
  inst = _Instance(migration_port=port)
  hv.StartInstance(inst, _Disks(cluster.Disk()), False)
  hv.MigrateInstance(inst, "127.0.0.3", False)
  status = _WaitMigration(hv, inst)
  assert status.status in hv_base.HV_MIGRATION_FAILED_STATUSES
  assert _Status() != "running"
  hv.FinalizeMigrationSource(inst, False, False)
  assert _Status() == "running"
  hv.StopInstance(inst, force=True)


def testAbortedIncomingMigrationIsKilled(cluster):
  root = cluster.Node("n2")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance(migration_port=_FreePort("127.0.0.2"))
  cluster.Node("n1")
  hv.StartInstance(inst, _Disks(cluster.Disk()), True)
  info = hv.MigrationInfo(inst)
  hv.StopInstance(inst, force=True)
  assert cluster.Node("n2") == root
  hv.AcceptInstance(inst, info, "127.0.0.2")
  assert hv.ListInstances() == ["i1"]
  hv.FinalizeMigrationDst(inst, info, False)
  assert hv.ListInstances() == []
  assert not os.path.exists(hv_kvm_cmd.InstancePaths("i1").pidfile)


def testMigrateRefusesStoppedInstance(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  with pytest.raises(errors.HypervisorError, match="not running"):
    hv.MigrateInstance(_Instance(), "127.0.0.2", True)


def testStartFailureReportsQemuOutput(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  inst = _Instance()
  with pytest.raises(errors.HypervisorError) as err:
    hv.StartInstance(inst, _Disks(os.path.join(cluster.base, "missing")),
                     False)
  assert "Failed to start instance i1" in str(err.value)
  assert "missing" in str(err.value)
  assert hv.ListInstances() == []


def testVerifyAndNodeInfo(cluster):
  cluster.Node("n1")
  hv = hv_kvm.KVMHypervisor()
  assert hv.Verify() is None
  info = hv.GetNodeInfo()
  assert info["memory_total"] > 0
  assert 0 <= info["memory_free"] <= info["memory_total"]
  assert info["cpu_total"] == psutil.cpu_count()
  assert hv_kvm.KVMHypervisor(kvm_path="/nonexistent/kvm").Verify() == \
    ("The kvm binary ('/nonexistent/kvm') does not exist or is not"
     " executable")
