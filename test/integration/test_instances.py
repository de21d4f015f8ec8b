"""The instance life cycle on a live virtual cluster.

Real masterd and noded processes on virtual nodes, driven through
``gnt-instance`` (the real command line, through each node's ``cmd``
wrapper).  The OS definitions of test/data/os are installed on every node;
the ``dummy`` OS writes a recognisable header to the start of each disk, so
the tests can see that the installation reached the right device.

- the fake hypervisor runs the whole life cycle for every disk template that
  can run in this kernel (diskless, file, sharedfile, blockdev over a loop
  device);
- a file-backed KVM instance runs as a real qemu process, whose command
  line is checked;
- an OS script failing, a disk creation failing and a node daemon killed
  mid-operation each leave the configuration and the disks as before.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from ganeti import constants
from ganeti import serializer
from ganeti import utils

OS_SOURCE = os.path.join(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))), "data", "os")
DUMMY_OS = "dummy+default"
HEADER = b"GANETI-DUMMY-OS name="


def _InstallOses(cluster, extra=None):
  """Copy test/data/os (and ``extra`` {name: create script}) to each node."""
  for node in cluster.nodes:
    top = cluster.Path(node, "OS_SEARCH_PATH")[0]
    os.makedirs(top, exist_ok=True)
    for name in os.listdir(OS_SOURCE):
      shutil.copytree(os.path.join(OS_SOURCE, name), os.path.join(top, name),
                      symlinks=True, dirs_exist_ok=True)
    for (name, create) in (extra or {}).items():
      target = os.path.join(top, name)
      shutil.copytree(os.path.join(OS_SOURCE, "dummy"), target,
                      symlinks=True, dirs_exist_ok=True)
      with open(os.path.join(target, "create"), "w") as handle:
        handle.write(create)
      os.chmod(os.path.join(target, "create"), 0o755)


def _Config(cluster):
  path = cluster.Path(cluster.master, "CLUSTER_CONF_FILE")
  return serializer.LoadJson(utils.ReadFile(path))


def _Gnt(cluster, *argv, check=True):
  return cluster.Run(cluster.master, list(argv), check=check)


def _ListStatus(cluster, name):
  result = _Gnt(cluster, "gnt-instance", "list", "--no-headers",
                "--separator=|", "-o", "name,status,pnode", name)
  return result.stdout.strip().split("|")


def _FileDisk(cluster, node, name, idx=0):
  return os.path.join(cluster.Root(node), "srv/ganeti/file-storage", name,
                      "disk%d" % idx)


def _SharedDisk(cluster, name, idx=0):
  return os.path.join(cluster.dir, "shared",
                      "srv/ganeti/shared-file-storage", name,
                      "disk%d" % idx)


def _ReadHeader(path):
  with open(path, "rb") as handle:
    return handle.read(512)


class _LoopDevice:
  """A loop device over a sparse file, detached at the end."""

  def __init__(self, directory, size_mib):
    self.backing = os.path.join(directory, "loop-backing")
    with open(self.backing, "wb") as handle:
      handle.truncate(size_mib * 1024 * 1024)
    result = subprocess.run(["losetup", "-f", "--show", self.backing],
                            capture_output=True, text=True, check=True)
    self.path = result.stdout.strip()

  def Detach(self):
    subprocess.run(["losetup", "-d", self.path], capture_output=True)


@pytest.fixture
def bridge():
  """A bridge of this test's own for the instances' NICs, removed after."""
  name = "gntb%d" % (os.getpid() % 100000)
  subprocess.run(["ip", "link", "add", "name", name, "type", "bridge"],
                 check=True, capture_output=True)
  subprocess.run(["ip", "link", "set", name, "up"], check=True,
                 capture_output=True)
  try:
    yield name
  finally:
    subprocess.run(["ip", "link", "del", name], capture_output=True)


@pytest.fixture
def cluster(virtual_cluster):
  result = virtual_cluster(2)
  _InstallOses(result)
  return result


def _LifeCycle(cluster, name, template, disk_args, node, disk_path,
               nic_args=("--no-nics", )):
  _Gnt(cluster, "gnt-instance", "add", "-t", template, "-o", DUMMY_OS,
       "-n", node, "--no-name-check", "--no-ip-check", "-H", "fake",
       "-B", "memory=128", *disk_args, *nic_args, name)
  assert _ListStatus(cluster, name) == [name, "running", node]
  config = _Config(cluster)
  assert config["instances"][name]["disk_template"] == template
  assert config["instances"][name]["admin_state"] == constants.ADMINST_UP
  for nic in config["instances"][name]["nics"]:
    # generated from the cluster's MAC prefix
    assert nic["mac"].startswith(config["cluster"]["mac_prefix"] + ":")
    assert len(nic["mac"].split(":")) == 6
  if disk_path:
    header = _ReadHeader(disk_path)
    if template in constants.DTS_MUST_ADOPT:
      # adopted devices keep their data: no OS is installed on them (2.6)
      assert header.startswith(b"ADOPTED DATA")
    else:
      assert header.startswith(HEADER + name.encode() + b" variant=default")

  _Gnt(cluster, "gnt-instance", "reboot", name)
  assert _ListStatus(cluster, name)[1] == "running"
  _Gnt(cluster, "gnt-instance", "modify", "-B", "memory=256", name)
  assert _Config(cluster)["instances"][name]["beparams"]["maxmem"] == 256
  _Gnt(cluster, "gnt-instance", "shutdown", name)
  assert _ListStatus(cluster, name)[1] == "ADMIN_down"
  _Gnt(cluster, "gnt-instance", "startup", name)
  assert _ListStatus(cluster, name)[1] == "running"
  info = _Gnt(cluster, "gnt-instance", "info", name).stdout
  assert "Instance name: %s" % name in info
  _Gnt(cluster, "gnt-instance", "remove", "-f", name)
  assert name not in _Config(cluster)["instances"]
  assert _Gnt(cluster, "gnt-instance", "list", "--no-headers", "-o",
              "name").stdout.strip() == ""


def test_fake_life_cycle_every_runnable_template(cluster, tmp_path, bridge):
  (node1, node2) = cluster.nodes[:2]
  _LifeCycle(cluster, "diskless1", constants.DT_DISKLESS, [], node1, None,
             nic_args=["--net", "0:link=%s" % bridge])

  disk = _FileDisk(cluster, node2, "file1")
  _LifeCycle(cluster, "file1", constants.DT_FILE,
             ["--disk", "0:size=16M"], node2, disk)
  assert not os.path.exists(disk)
  assert not os.path.exists(os.path.dirname(disk))

  disk = _SharedDisk(cluster, "shared1")
  _LifeCycle(cluster, "shared1", constants.DT_SHARED_FILE,
             ["--disk", "0:size=16M"], node1, disk)
  assert not os.path.exists(disk)

  loop = _LoopDevice(str(tmp_path), 16)
  try:
    with open(loop.path, "r+b") as handle:
      handle.write(b"ADOPTED DATA")
    _LifeCycle(cluster, "block1", constants.DT_BLOCK,
               ["--disk", "0:adopt=%s" % loop.path], node2, loop.path)
    # adopted devices are the administrator's: removal leaves them alone
    assert os.path.exists(loop.path)
  finally:
    loop.Detach()


def test_kvm_file_instance_runs_real_qemu(virtual_cluster, bridge):
  cluster = virtual_cluster(2, init_options=[
    "--enabled-hypervisors", "kvm,fake",
    "-H", "kvm:kernel_path=,initrd_path=,vnc_bind_address=,"
    "serial_console=true"])
  _InstallOses(cluster)
  node = cluster.nodes[1]
  name = "kvm1"
  _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk", "0:size=32M",
       "-o", DUMMY_OS, "-n", node, "--no-name-check", "--no-ip-check",
       "-B", "memory=64", "--net", "0:link=%s" % bridge, name)
  disk = _FileDisk(cluster, node, name)
  # the NIC is a tap device that kvm-ifup put on the bridge
  ports = os.listdir("/sys/class/net/%s/brif" % bridge)
  assert len(ports) == 1 and ports[0].startswith("tap")
  assert _ReadHeader(disk).startswith(HEADER + name.encode())
  assert _ListStatus(cluster, name) == [name, "running", node]

  pid_file = os.path.join(cluster.Path(node, "KVM_PIDS_DIR"), name)
  pid = int(utils.ReadFile(pid_file).strip())
  cmdline = utils.ReadFile("/proc/%d/cmdline" % pid).split("\0")
  assert cmdline[0].endswith("qemu-system-x86_64") or "kvm" in cmdline[0]
  assert cmdline[cmdline.index("-m") + 1] == "64"
  drives = [arg.split(",")[0][len("file="):] for arg in cmdline
            if arg.startswith("file=")]
  # qemu opens the disk through its link in the node's instance-disks dir
  assert [os.path.realpath(path) for path in drives] == [disk]
  assert drives[0] == os.path.join(cluster.Path(node, "DISK_LINKS_DIR"),
                                   "%s:0" % name)

  # no guest OS answers ACPI here: a soft reboot restarts qemu at once,
  # the others wait for the shutdown timeout first
  _Gnt(cluster, "gnt-instance", "reboot", "--type", "soft", name)
  assert _ListStatus(cluster, name)[1] == "running"
  console = _Gnt(cluster, "gnt-instance", "console", "--show-cmd",
                 name).stdout
  assert name in console

  _Gnt(cluster, "gnt-instance", "modify", "-B", "memory=96", name)
  _Gnt(cluster, "gnt-instance", "reboot", "--type", "full",
       "--shutdown-timeout", "1", name)
  pid = int(utils.ReadFile(pid_file).strip())
  cmdline = utils.ReadFile("/proc/%d/cmdline" % pid).split("\0")
  assert cmdline[cmdline.index("-m") + 1] == "96"

  _Gnt(cluster, "gnt-instance", "shutdown", "--timeout", "2", name)
  assert _ListStatus(cluster, name)[1] == "ADMIN_down"
  cluster.WaitFor(lambda: not os.path.exists("/proc/%d" % pid),
                  what="qemu to exit")
  assert os.listdir("/sys/class/net/%s/brif" % bridge) == []
  _Gnt(cluster, "gnt-instance", "remove", "-f", name)
  assert not os.path.exists(disk)


def _AssertClean(cluster, name, node):
  assert name not in _Config(cluster)["instances"]
  assert not os.path.exists(os.path.dirname(_FileDisk(cluster, node, name)))


def test_failing_os_script_leaves_nothing(cluster):
  node = cluster.nodes[1]
  result = _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk",
                "0:size=8M", "-o", "failing", "-n", node, "--no-name-check",
                "--no-ip-check", "-H", "fake", "--no-nics", "broken1",
                check=False)
  assert result.returncode != 0
  assert "OS create script failed" in result.stderr + result.stdout
  _AssertClean(cluster, "broken1", node)


def test_failing_disk_creation_rolls_back(cluster):
  node = cluster.nodes[0]
  # the second disk's place is taken by a directory, so creating it fails
  # after the first disk was made
  blocker = _FileDisk(cluster, node, "broken2", 1)
  os.makedirs(blocker)
  result = _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk",
                "0:size=8M", "--disk", "1:size=8M", "-o", DUMMY_OS, "-n",
                node, "--no-name-check", "--no-ip-check", "-H", "fake",
                "--no-nics", "broken2", check=False)
  assert result.returncode != 0
  assert "broken2" not in _Config(cluster)["instances"]
  assert not os.path.exists(_FileDisk(cluster, node, "broken2", 0))
  os.rmdir(blocker)


def test_noded_killed_mid_install_leaves_nothing(virtual_cluster, tmp_path):
  cluster = virtual_cluster(2)
  marker = os.path.join(str(tmp_path), "create-started")
  _InstallOses(cluster, extra={"slow": "#!/bin/sh\ntouch %s\nsleep 5\n"
                               "exit 0\n" % marker})
  node = cluster.nodes[1]
  argv = [os.path.join(cluster.Root(cluster.master), "cmd"), "gnt-instance",
          "add", "-t", "file", "--disk", "0:size=8M", "-o", "slow+default",
          "-n", node, "--no-name-check", "--no-ip-check", "-H", "fake",
          "--no-nics", "victim1"]
  proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
  try:
    cluster.WaitFor(lambda: os.path.exists(marker), timeout=60,
                    what="the OS create script to start")
    pid = cluster.NodedPid(node)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    cluster.StartNoded(node)
    (output, _) = proc.communicate(timeout=120)
  finally:
    if proc.poll() is None:
      proc.kill()
  assert proc.returncode != 0, output
  _AssertClean(cluster, "victim1", node)


def test_instance_commands_on_a_live_cluster(cluster, tmp_path):
  """The other gnt-instance commands, end to end on file disks."""
  (node1, node2) = cluster.nodes[:2]
  batch = os.path.join(str(tmp_path), "batch.json")
  with open(batch, "w") as handle:
    handle.write(serializer.DumpJson({
      "app1": {"template": "file", "os": DUMMY_OS, "disk_size": [16],
               "primary_node": node1, "hypervisor": "fake", "nics": [],
               "ip_check": False, "name_check": False},
      "app2": {"template": "diskless", "os": DUMMY_OS, "nics": [],
               "primary_node": node2, "hypervisor": "fake", "start": False,
               "ip_check": False, "name_check": False},
      }))
  _Gnt(cluster, "gnt-instance", "batch-create", batch)
  assert _ListStatus(cluster, "app1") == ["app1", "running", node1]
  assert _ListStatus(cluster, "app2") == ["app2", "ADMIN_down", node2]

  # disks: deactivate needs the instance down, grow and activate
  _Gnt(cluster, "gnt-instance", "shutdown", "app1")
  _Gnt(cluster, "gnt-instance", "deactivate-disks", "app1")
  _Gnt(cluster, "gnt-instance", "grow-disk", "app1", "0", "8M")
  disk = _FileDisk(cluster, node1, "app1")
  assert os.path.getsize(disk) == 24 * 1024 * 1024
  assert _Config(cluster)["instances"]["app1"]["disks"][0]["size"] == 24
  result = _Gnt(cluster, "gnt-instance", "activate-disks", "app1")
  assert "app1" in result.stdout or disk in result.stdout
  _Gnt(cluster, "gnt-instance", "deactivate-disks", "app1")

  # a second disk and a NIC, then reinstall on both disks with a variant
  _Gnt(cluster, "gnt-instance", "modify", "--disk", "add:size=8M", "app1")
  assert os.path.exists(_FileDisk(cluster, node1, "app1", 1))
  _Gnt(cluster, "gnt-instance", "modify", "--disk", "1:mode=ro", "app1")
  assert _Config(cluster)["instances"]["app1"]["disks"][1]["mode"] == "ro"
  _Gnt(cluster, "gnt-instance", "modify", "--disk", "1:mode=rw", "app1")
  _Gnt(cluster, "gnt-instance", "reinstall", "-f", "-o", "dummy+minimal",
       "app1")
  for idx in (0, 1):
    header = _ReadHeader(_FileDisk(cluster, node1, "app1", idx))
    assert header.startswith(HEADER + b"app1 variant=minimal disk=%d" % idx)
    assert b"reinstall=1" in header
  _Gnt(cluster, "gnt-instance", "modify", "--disk", "remove", "app1")
  assert not os.path.exists(_FileDisk(cluster, node1, "app1", 1))

  # rename (with the name check: the virtual cluster's hosts file is its
  # DNS) moves the disks' directory and runs the OS rename script
  new_name = "app9.vcluster.test"
  with open(cluster.hosts_file, "a") as handle:
    handle.write("%s.200 %s app9\n" %
                 (cluster.base_address.rsplit(".", 1)[0], new_name))
  _Gnt(cluster, "gnt-instance", "rename", "--no-ip-check", "app1",
       "app9")
  assert new_name in _Config(cluster)["instances"]
  assert os.path.exists(_FileDisk(cluster, node1, new_name))
  assert not os.path.exists(os.path.dirname(disk))

  # tags, start with temporary parameters, listing by field and filter
  _Gnt(cluster, "gnt-instance", "add-tags", new_name, "role:db")
  assert _Gnt(cluster, "gnt-instance", "list-tags",
              new_name).stdout.split() == ["role:db"]
  _Gnt(cluster, "gnt-instance", "startup", "-B", "memory=64", new_name)
  rows = _Gnt(cluster, "gnt-instance", "list", "--no-headers",
              "--separator=|", "-o", "name,oper_ram,be/maxmem,tags",
              "-F", "status == \"running\"").stdout.split()
  assert rows == ["%s|64|128|role:db" % new_name]
  info = _Gnt(cluster, "gnt-instance", "info", new_name).stdout
  assert "State: configured to be up, actual state is up" in info
  # console of the fake hypervisor: a message, not a command
  result = _Gnt(cluster, "gnt-instance", "console", new_name)
  assert result.stdout == "Console not available for fake hypervisor\n"

  # selections of several instances (no prompt with --force-multiple)
  _Gnt(cluster, "gnt-instance", "startup", "--all", "--force-multiple")
  assert _ListStatus(cluster, "app2")[1] == "running"
  _Gnt(cluster, "gnt-instance", "shutdown", "--primary", "--force-multiple",
       node2)
  assert _ListStatus(cluster, "app2")[1] == "ADMIN_down"
  assert _ListStatus(cluster, new_name)[1] == "running"
  result = _Gnt(cluster, "gnt-instance", "reboot", "--all", check=False)
  assert result.returncode != 0  # several instances and no terminal
  fields = _Gnt(cluster, "gnt-instance", "list-fields", "--no-headers",
                "name", "status", "oper_ram").stdout.splitlines()
  assert [line.split()[0] for line in fields] == ["name", "status",
                                                  "oper_ram"]

  # bad input: unknown instance, unknown OS, bad disk size, duplicate name
  for argv in (["gnt-instance", "startup", "nosuch"],
               ["gnt-instance", "add", "-t", "file", "--disk", "0:size=8M",
                "-o", "nosuchos", "-n", node1, "--no-name-check",
                "--no-ip-check", "--no-nics", "app3"],
               ["gnt-instance", "add", "-t", "file", "--disk", "0:size=8Q",
                "-o", DUMMY_OS, "-n", node1, "--no-name-check",
                "--no-ip-check", "--no-nics", "app3"],
               ["gnt-instance", "add", "-t", "diskless", "-o", DUMMY_OS,
                "-n", node1, "--no-name-check", "--no-ip-check",
                "--no-nics", "app2"]):
    result = _Gnt(cluster, *argv, check=False)
    assert result.returncode != 0, argv
    assert "Traceback" not in result.stderr, result.stderr
  assert sorted(_Config(cluster)["instances"]) == ["app2", new_name]

  _Gnt(cluster, "gnt-instance", "remove", "-f", new_name)
  _Gnt(cluster, "gnt-instance", "remove", "-f", "app2")
  assert _Config(cluster)["instances"] == {}
  assert not os.path.exists(os.path.dirname(_FileDisk(cluster, node1,
                                                      new_name)))


def test_new_disks_are_wiped_when_the_cluster_asks(cluster):
  node = cluster.nodes[1]
  _Gnt(cluster, "gnt-cluster", "modify", "--prealloc-wipe-disks", "yes")
  result = _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk",
                "0:size=20M", "-o", DUMMY_OS, "-n", node, "--no-name-check",
                "--no-ip-check", "-H", "fake", "--no-nics", "--no-start",
                "wiped1")
  assert "Wiping disk 0" in result.stdout
  disk = _FileDisk(cluster, node, "wiped1")
  # zeroes were written over the whole sparse file: every block is
  # allocated now, and the OS header came after the wipe
  assert os.stat(disk).st_blocks * 512 >= 20 * 1024 * 1024
  assert _ReadHeader(disk).startswith(HEADER + b"wiped1")


def _InstallHook(cluster, hpath, phase, record_dir, exit_code=0):
  """A hook script on every node that records its environment."""
  for node in cluster.nodes:
    hook_dir = os.path.join(cluster.Path(node, "HOOKS_BASE_DIR"),
                            "%s-%s.d" % (hpath, phase))
    os.makedirs(hook_dir, exist_ok=True)
    script = os.path.join(hook_dir, "50record")
    with open(script, "w") as handle:
      handle.write("#!/bin/sh\nenv > %s/%s-%s-%s.env\nexit %d\n" %
                   (record_dir, hpath, phase, node, exit_code))
    os.chmod(script, 0o755)


def _ReadEnv(path):
  result = {}
  for line in utils.ReadFile(path).splitlines():
    (key, _, value) = line.partition("=")
    result[key] = value
  return result


def test_instance_hooks_run_on_the_nodes_with_the_spec_environment(
    cluster, tmp_path):
  (node1, node2) = cluster.nodes[:2]
  record = str(tmp_path)
  _InstallHook(cluster, "instance-add", "pre", record)
  _InstallHook(cluster, "instance-add", "post", record)
  _InstallHook(cluster, "instance-stop", "post", record)
  _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk", "0:size=8M",
       "-o", DUMMY_OS, "-n", node2, "--no-name-check", "--no-ip-check",
       "-H", "fake", "-B", "memory=96", "--no-nics", "hooked1")

  # pre and post on the master and the primary, nowhere else
  written = sorted(os.listdir(record))
  assert written == sorted("instance-add-%s-%s.env" % (phase, node)
                           for phase in ("pre", "post")
                           for node in (node1, node2))
  env = _ReadEnv(os.path.join(record, "instance-add-pre-%s.env" % node2))
  expected = {
    "GANETI_HOOKS_VERSION": "2", "GANETI_HOOKS_PHASE": "pre",
    "GANETI_HOOKS_PATH": "instance-add",
    "GANETI_OP_CODE": "OP_INSTANCE_CREATE",
    "GANETI_OBJECT_TYPE": "INSTANCE", "GANETI_MASTER": node1,
    "GANETI_CLUSTER": cluster.cluster_name, "GANETI_OP_TARGET": "hooked1",
    "GANETI_INSTANCE_NAME": "hooked1", "GANETI_INSTANCE_PRIMARY": node2,
    "GANETI_INSTANCE_SECONDARIES": "", "GANETI_INSTANCE_OS_TYPE": DUMMY_OS,
    "GANETI_INSTANCE_DISK_TEMPLATE": "file",
    "GANETI_INSTANCE_HYPERVISOR": "fake", "GANETI_INSTANCE_MAXMEM": "96",
    "GANETI_INSTANCE_NIC_COUNT": "0", "GANETI_INSTANCE_DISK_COUNT": "1",
    "GANETI_INSTANCE_DISK0_SIZE": "8", "GANETI_INSTANCE_DISK0_MODE": "rw",
    "GANETI_ADD_MODE": "create", "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
    }
  assert dict((key, env.get(key)) for key in expected) == expected
  post = _ReadEnv(os.path.join(record, "instance-add-post-%s.env" % node1))
  assert post["GANETI_HOOKS_PHASE"] == "post"
  assert post["GANETI_POST_INSTANCE_NAME"] == "hooked1"

  _Gnt(cluster, "gnt-instance", "shutdown", "--timeout", "5", "hooked1")
  env = _ReadEnv(os.path.join(record, "instance-stop-post-%s.env" % node2))
  assert env["GANETI_TIMEOUT"] == "5"
  assert env["GANETI_HOOKS_PATH"] == "instance-stop"

  # a failing pre hook stops the operation before anything is made
  _InstallHook(cluster, "instance-add", "pre", record, exit_code=1)
  result = _Gnt(cluster, "gnt-instance", "add", "-t", "file", "--disk",
                "0:size=8M", "-o", DUMMY_OS, "-n", node2, "--no-name-check",
                "--no-ip-check", "-H", "fake", "--no-nics", "hooked2",
                check=False)
  assert result.returncode != 0
  assert "50record" in result.stdout + result.stderr
  _AssertClean(cluster, "hooked2", node2)
