"""Tests of ganeti.backend_os: finding OS definitions and running them.

The first part checks OS directories written by the tests; the second runs
the scripts of the test OS definitions in test/data/os for instances of a
virtual node.
"""

import os
import shutil
import stat
import subprocess

import pytest

from ganeti import backend
from ganeti import backend_os
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster


SCRIPTS = ("create", "import", "export", "rename")


def _MakeOS(top, name, api="20\n", scripts=SCRIPTS + ("verify", ),
            variants=None, parameters="", mode=0o755):
  path = top / name
  path.mkdir(parents=True)
  if api is not None:
    (path / constants.OS_API_FILE).write_text(api)
  for script in scripts:
    (path / script).write_text("#!/bin/sh\nexit 0\n")
    os.chmod(path / script, mode)
  if variants is not None:
    (path / constants.OS_VARIANTS_FILE).write_text(variants)
  if parameters is not None:
    (path / constants.OS_PARAMETERS_FILE).write_text(parameters)
  return str(path)


def _ByName(entries):
  return dict((entry[0], entry) for entry in entries)


def test_diagnose_reports_valid_and_invalid_definitions(tmp_path):
  top = tmp_path / "os"
  good = _MakeOS(top, "debootstrap", variants="default\n\nminimal\n",
                 parameters="dhcp Use DHCP\nproxy  The proxy to use\nflag\n")
  old = _MakeOS(top, "legacy", api="10\n", scripts=SCRIPTS,
                parameters=None)
  _MakeOS(top, "noverify", scripts=SCRIPTS)
  _MakeOS(top, "badapi", api="twenty\n")
  _MakeOS(top, "oldapi", api="5\n")
  _MakeOS(top, "noapi", api=None)
  _MakeOS(top, "noexec", mode=0o644)
  _MakeOS(top, "noparams", parameters=None)
  _MakeOS(top, "dir.name")
  (top / "README").write_text("not an OS")
  (top / ".hidden").mkdir()

  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert sorted(result) == ["README", "badapi", "debootstrap", "dir.name",
                            "legacy", "noapi", "noexec", "noparams",
                            "noverify", "oldapi"]
  assert result["debootstrap"] == (
    "debootstrap", good, True, "", ["default", "minimal"],
    [["dhcp", "Use DHCP"], ["proxy", "The proxy to use"], ["flag", ""]],
    [20])
  assert result["legacy"] == ("legacy", old, True, "", [], [], [10])

  def diag(name):
    entry = result[name]
    assert entry[2] is False and entry[4:] == ([], [], [])
    return entry[3]

  assert "File 'verify' under path" in diag("noverify")
  assert "is missing" in diag("noverify")
  assert "can't be converted to integer" in diag("badapi")
  assert "API version mismatch" in diag("oldapi")
  assert "found 5, want 10, 15, 20" in diag("oldapi")
  assert "Required file 'ganeti_api_version' not found" in diag("noapi")
  assert "is not executable" in diag("noexec")
  assert "'parameters.list'" in diag("noparams")
  assert "not found in search path" in diag("dir.name")
  assert "not found in search path" in diag("README")


def test_variants_need_api_15(tmp_path):
  top = tmp_path / "os"
  _MakeOS(top, "v10", api="10\n", scripts=SCRIPTS, variants="a\nb\n",
          parameters=None)
  _MakeOS(top, "v15", api="10\n15\n", scripts=SCRIPTS, variants="a\nb\n",
          parameters=None)
  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert result["v10"][4] == []
  assert result["v15"][4] == ["a", "b"]
  assert result["v15"][6] == [10, 15]


def test_unsupported_higher_version_still_requires_its_files(tmp_path):
  top = tmp_path / "os"
  _MakeOS(top, "future", api="20\n30\n", scripts=SCRIPTS)
  entry = backend.DiagnoseOS([str(top)])[0]
  assert entry[2] is False and "'verify'" in entry[3]


def test_non_regular_files_are_refused(tmp_path):
  top = tmp_path / "os"
  path = _MakeOS(top, "weird")
  os.unlink(os.path.join(path, "rename"))
  os.mkdir(os.path.join(path, "rename"))
  os.mkdir(top / "weird2")
  os.mkdir(top / "weird2" / constants.OS_API_FILE)
  result = _ByName(backend.DiagnoseOS([str(top)]))
  assert "'rename' under path" in result["weird"][3]
  assert "not a regular file" in result["weird"][3]
  assert "not a regular file" in result["weird2"][3]


def test_symlinked_scripts_are_fine(tmp_path):
  top = tmp_path / "os"
  path = _MakeOS(top, "linked")
  os.rename(os.path.join(path, "create"), tmp_path / "real-create")
  os.symlink(tmp_path / "real-create", os.path.join(path, "create"))
  assert backend.DiagnoseOS([str(top)])[0][2] is True


def test_shadowed_definitions_are_listed_from_each_directory(tmp_path):
  first = tmp_path / "a"
  second = tmp_path / "b"
  _MakeOS(first, "image")
  _MakeOS(second, "image", api="bad\n")
  entries = backend.DiagnoseOS([str(first), str(tmp_path / "missing"),
                                str(second)])
  assert [(e[1], e[2]) for e in entries] == [
    (str(first / "image"), True), (str(second / "image"), False)]


def test_default_search_path_is_the_node_s(tmp_path, monkeypatch):
  node = "node1.example.com"
  root = tmp_path / node
  root.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", node)
  pathutils.Reload()
  try:
    _MakeOS(root / "srv/ganeti", "os/noop")
    entries = [e for e in backend.DiagnoseOS() if e[1].startswith(str(root))]
    assert entries[0][:3] == ("noop", str(root / "srv/ganeti/os/noop"),
                              True)
    found = backend.ReadOSFromDisk("noop+variant")
    assert isinstance(found, objects.OS)
    assert found.path == str(root / "srv/ganeti/os/noop")
    assert found.verify_script == found.path + "/verify"
    assert found.api_versions == [20]
  finally:
    monkeypatch.undo()
    pathutils.Reload()


def test_read_os_from_disk_failures(tmp_path):
  _MakeOS(tmp_path, "broken", api="1\n")
  with pytest.raises(backend.RPCFail, match="API version mismatch"):
    backend.ReadOSFromDisk("broken", base_dir=str(tmp_path))
  with pytest.raises(backend.RPCFail, match="Directory for OS nothere"):
    backend.ReadOSFromDisk("nothere", base_dir=str(tmp_path))
  obj = backend_os.TryReadOSFromDisk("broken", base_dir=str(tmp_path))
  assert isinstance(obj, str)


def test_api_file_edge_cases(tmp_path):
  _MakeOS(tmp_path, "empty", api="\n\n")
  _MakeOS(tmp_path, "binary", api=None)
  (tmp_path / "binary" / constants.OS_API_FILE).write_bytes(b"\xff\xfe\n")
  _MakeOS(tmp_path, "spaces", api="  20  \n\n 15\n")
  result = _ByName(backend.DiagnoseOS([str(tmp_path)]))
  assert "lists no version" in result["empty"][3]
  assert "not text" in result["binary"][3]
  assert result["spaces"][2] is True and result["spaces"][6] == [15, 20]


# --- Running the scripts: the test OS definitions of test/data/os -----------
#
# These run the real scripts of test/data/os (dummy, failing, api10 and the
# debootstrap look-alike) for instances whose disks are file disks of a
# virtual node: the files exist under the node's root, and the storage
# layer finds them (storage.bdev.FindDevice) as it does for noded.

DATA_OS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, "data", "os")
NODE = "node1.example.com"
NODE2 = "node2.example.com"
INSTANCE = "inst1.example.com"
FILE_DIR = "/srv/ganeti/file-storage"
#: Driver of adopted block devices (Ganeti's BLOCKDEV_DRIVER_MANUAL)
BLOCKDEV_MANUAL = getattr(constants, "BLOCKDEV_DRIVER_MANUAL", "manual")
DISK_MIB = 1


@pytest.fixture
def vnode(tmp_path, monkeypatch):
  """A virtual node (root under tmp_path) whose OS search path is
  test/data/os; file storage under the node's /srv/ganeti/file-storage."""
  root = tmp_path / "cluster" / NODE
  root.mkdir(parents=True)
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", NODE)
  pathutils.Reload()
  try:
    # the directories a node's daemons create at start-up
    os.makedirs(pathutils.DATA_DIR, exist_ok=True)
    os.makedirs(pathutils.LOG_DIR, exist_ok=True)
    store = ssconf.SimpleStore()
    for (key, value) in ((ssconf.SS_FILE_STORAGE_DIR, FILE_DIR),
                         (ssconf.SS_SHARED_FILE_STORAGE_DIR,
                          "/srv/ganeti/shared-file-storage")):
      with open(store.KeyToFilename(key), "w") as handle:
        handle.write(value + "\n")
    monkeypatch.setattr(pathutils, "OS_SEARCH_PATH",
                        [os.path.normpath(DATA_OS_DIR)])
    yield root
  finally:
    monkeypatch.undo()
    pathutils.Reload()


def _FileDisk(name, idx, size=DISK_MIB, mode=constants.DISK_RDWR):
  """A file disk of instance ``name``, its file created on the node."""
  path = "%s/%s/disk%d" % (FILE_DIR, name, idx)
  local = vcluster.AddNodePrefix(path)
  os.makedirs(os.path.dirname(local), exist_ok=True)
  with open(local, "wb") as handle:
    handle.truncate(size * 1024 * 1024)
  return objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=(constants.FD_LOOP, path),
                      physical_id=(constants.FD_LOOP, path), size=size,
                      mode=mode, iv_name="disk/%d" % idx, children=[],
                      params={})


def _Instance(os_name="dummy+minimal", name=INSTANCE, disks=2, **kwargs):
  values = dict(
    name=name, primary_node=NODE, os=os_name,
    hypervisor=constants.HT_KVM,
    hvparams={"kernel_path": "/boot/vmlinuz", "serial_console": True,
              constants.HV_DISK_TYPE: "paravirtual",
              constants.HV_NIC_TYPE: "e1000"},
    beparams={"maxmem": 128, "minmem": 64, "vcpus": 2,
              "auto_balance": True},
    osparams={"label": "hello", "level": "3"},
    admin_state=constants.ADMINST_DOWN,
    nics=[objects.NIC(mac="aa:00:00:11:22:33", ip="192.0.2.10",
                      nicparams={constants.NIC_MODE:
                                 constants.NIC_MODE_BRIDGED,
                                 constants.NIC_LINK: "br0"}),
          objects.NIC(mac="aa:00:00:11:22:34", ip=None,
                      nicparams={constants.NIC_MODE:
                                 constants.NIC_MODE_ROUTED,
                                 constants.NIC_LINK: ""})],
    disks=[_FileDisk(name, idx) for idx in range(disks)],
    disk_template=constants.DT_FILE, uuid="0b2d-inst1",
    ctime=1349433405.27, mtime=1349433406.5, serial_no=3)
  values.update(kwargs)
  return objects.Instance(**values)


def _DiskFile(instance, idx):
  return vcluster.AddNodePrefix(instance.disks[idx].logical_id[1])


def _FirstLine(path):
  with open(path, "rb") as handle:
    return handle.read(512).split(b"\n")[0].rstrip(b"\0").decode()


def _Logs(kind):
  if not os.path.isdir(pathutils.LOG_OS_DIR):
    return []
  return sorted(name for name in os.listdir(pathutils.LOG_OS_DIR)
                if name.startswith(kind + "-"))


def _ReadLog(name):
  return utils.ReadFile(os.path.join(pathutils.LOG_OS_DIR, name))


def test_environment_of_an_instance_follows_the_spec(vnode):
  inst = _Instance()
  inst_os = backend.ReadOSFromDisk(inst.os)
  env = backend_os.OSEnvironment(inst.ToDict(), inst_os, debug=1)
  assert env == {
    "OS_API_VERSION": "20",
    "OS_NAME": "dummy",
    "OS_VARIANT": "minimal",
    "DEBUG_LEVEL": "1",
    "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
    "OSP_LABEL": "hello",
    "OSP_LEVEL": "3",
    "INSTANCE_NAME": INSTANCE,
    "INSTANCE_OS": "dummy+minimal",
    "INSTANCE_UUID": "0b2d-inst1",
    "INSTANCE_CTIME": "1349433405.27",
    "INSTANCE_MTIME": "1349433406.5",
    "INSTANCE_PRIMARY_NODE": NODE,
    "INSTANCE_SECONDARY_NODES": "",
    "HYPERVISOR": "kvm",
    "DISK_COUNT": "2",
    "DISK_0_PATH": _DiskFile(inst, 0),
    "DISK_0_ACCESS": "rw",
    "DISK_0_FRONTEND_TYPE": "paravirtual",
    "DISK_0_BACKEND_TYPE": "file:loop",
    "DISK_1_PATH": _DiskFile(inst, 1),
    "DISK_1_ACCESS": "rw",
    "DISK_1_FRONTEND_TYPE": "paravirtual",
    "DISK_1_BACKEND_TYPE": "file:loop",
    "NIC_COUNT": "2",
    "NIC_0_MAC": "aa:00:00:11:22:33",
    "NIC_0_IP": "192.0.2.10",
    "NIC_0_MODE": "bridged",
    "NIC_0_BRIDGE": "br0",
    "NIC_0_LINK": "br0",
    "NIC_0_FRONTEND_TYPE": "e1000",
    "NIC_1_MAC": "aa:00:00:11:22:34",
    "NIC_1_MODE": "routed",
    "NIC_1_FRONTEND_TYPE": "e1000",
    "INSTANCE_BE_maxmem": "128",
    "INSTANCE_BE_minmem": "64",
    "INSTANCE_BE_vcpus": "2",
    "INSTANCE_BE_auto_balance": "True",
    "INSTANCE_HV_kernel_path": "/boot/vmlinuz",
    "INSTANCE_HV_serial_console": "True",
    "INSTANCE_HV_disk_type": "paravirtual",
    "INSTANCE_HV_nic_type": "e1000",
    }
  # the disk paths are the node's own (under its root)
  assert env["DISK_0_PATH"].startswith(str(vnode) + FILE_DIR + "/")


def test_environment_without_type_parameters_or_nic_params(vnode):
  inst = _Instance(hvparams={}, disks=1, osparams={},
                   nics=[objects.NIC(mac="aa:00:00:00:00:01", ip=None,
                                     nicparams={})])
  inst.disks[0].mode = constants.DISK_RDONLY
  env = backend_os.OSEnvironment(inst, backend.ReadOSFromDisk("dummy"))
  assert "DISK_0_FRONTEND_TYPE" not in env
  assert "NIC_0_FRONTEND_TYPE" not in env
  assert env["DISK_0_ACCESS"] == "ro"
  assert not [key for key in env if key.startswith(("OSP_", "INSTANCE_HV"))]
  # NIC parameters not filled by the caller: the cluster defaults
  assert (env["NIC_0_MODE"], env["NIC_0_LINK"], env["NIC_0_BRIDGE"]) == (
    "bridged", constants.DEFAULT_BRIDGE, constants.DEFAULT_BRIDGE)
  assert "NIC_0_IP" not in env


def test_core_environment_variants_and_versions(vnode):
  dummy = backend.ReadOSFromDisk("dummy")
  env = backend_os.OSCoreEnv("dummy", dummy, {"Label": "x y"})
  # no variant given: the first one of variants.list
  assert env == {"OS_API_VERSION": "20", "OS_NAME": "dummy",
                 "OS_VARIANT": "default", "DEBUG_LEVEL": "0",
                 "PATH": constants.OS_SCRIPTS_PATH, "OSP_LABEL": "x y"}
  api10 = backend.ReadOSFromDisk("api10")
  env = backend_os.OSCoreEnv("api10+whatever", api10, None, debug=1)
  assert (env["OS_API_VERSION"], env["OS_VARIANT"], env["DEBUG_LEVEL"]) == (
    "10", "", "1")
  # a variant is only passed from API 15 on
  v10 = objects.OS(name="old", path="/x", api_versions=[10],
                   supported_variants=["a"], supported_parameters=[])
  assert backend_os.OSCoreEnv("old+a", v10, {})["OS_VARIANT"] == ""
  v15 = objects.OS(name="mid", path="/x", api_versions=[10, 15],
                   supported_variants=["a", "b"], supported_parameters=[])
  env = backend_os.OSCoreEnv("mid+b", v15, {})
  assert (env["OS_API_VERSION"], env["OS_VARIANT"]) == ("15", "b")
  with pytest.raises(backend.RPCFail, match="no supported API version"):
    backend_os.OSCoreEnv("x", objects.OS(name="x", path="/x",
                                         api_versions=[5]), {})


def test_os_add_writes_every_disk_and_keeps_a_log(vnode):
  inst = _Instance()
  backend_os.InstanceOsAdd(inst.ToDict(), False, 0)
  for idx in (0, 1):
    assert _FirstLine(_DiskFile(inst, idx)) == (
      "GANETI-DUMMY-OS name=%s variant=minimal disk=%d api=20 label=hello"
      " reinstall=0" % (INSTANCE, idx))
    # written in place: the disk keeps its size
    assert os.path.getsize(_DiskFile(inst, idx)) == DISK_MIB * 1024 * 1024
  [log] = _Logs("add")
  assert log.startswith("add-dummy+minimal-%s-" % INSTANCE)
  assert log.endswith(".log")
  assert len(log) == len("add-dummy+minimal-%s-2012-10-05_12_00_00.log" %
                         INSTANCE)
  text = _ReadLog(log)
  assert ("creating %s (dummy+minimal) on %s, hypervisor kvm, 2 disk(s),"
          " 2 nic(s)" % (INSTANCE, NODE)) in text
  assert "reinstalling" not in text
  mode = stat.S_IMODE(os.stat(pathutils.LOG_OS_DIR).st_mode)
  assert mode == 0o750


def test_reinstall_is_told_to_the_script(vnode):
  inst = _Instance(os_name="dummy")
  backend_os.InstanceOsAdd(inst, True, 1)
  assert _FirstLine(_DiskFile(inst, 0)).endswith(
    "variant=default disk=0 api=20 label=hello reinstall=1")
  assert "reinstalling" in _ReadLog(_Logs("add")[0])


def test_failing_create_reports_the_log_tail(vnode):
  inst = _Instance(os_name="failing", disks=1)
  with pytest.raises(backend.RPCFail) as info:
    backend_os.InstanceOsAdd(inst.ToDict(), False, 0)
  assert str(info.value) == (
    "OS create script failed (exited with exit code 1), last lines in the"
    " log file:\nfailing-os: starting the installation of %s\n"
    "failing-os: something broke while installing %s" % (INSTANCE, INSTANCE))
  [log] = _Logs("add")
  assert log.startswith("add-failing-%s-" % INSTANCE)


def _CopyOS(tmp_path, name, new_name):
  target = tmp_path / "os" / new_name
  shutil.copytree(os.path.join(DATA_OS_DIR, name), target)
  return target


def test_create_running_too_long_is_stopped(vnode, tmp_path, monkeypatch):
  target = _CopyOS(tmp_path, "failing", "slow")
  (target / "create").write_text("#!/bin/sh\necho started\nsleep 60\n")
  monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [str(tmp_path / "os")])
  monkeypatch.setattr(backend_os, "CREATE_TIMEOUT", 0.5)
  inst = _Instance(os_name="slow", disks=1)
  with pytest.raises(backend.RPCFail,
                     match="terminated after timeout of 0.50 seconds") as info:
    backend_os.InstanceOsAdd(inst, False, 0)
  assert str(info.value).endswith("log file:\nstarted")


def test_scripts_get_a_reset_environment(vnode, tmp_path, monkeypatch):
  target = _CopyOS(tmp_path, "dummy", "envdump")
  dump = tmp_path / "env.txt"
  (target / "create").write_text("#!/bin/sh\n/usr/bin/env > %s\n" % dump)
  (target / "verify").write_text("#!/bin/sh\necho \"$@\" > %s.args\n"
                                 "/usr/bin/env > %s\n" % (dump, dump))
  monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [str(tmp_path / "os")])
  monkeypatch.setenv("SOME_NODE_SECRET", "leak")
  inst = _Instance(os_name="envdump+default", disks=1)

  def _Dumped():
    lines = dump.read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines)
    # variables the shell adds for itself; LC_ALL=C comes from RunCmd
    for name in ("PWD", "SHLVL", "_", "OLDPWD", "LC_ALL"):
      env.pop(name, None)
    return env

  backend_os.InstanceOsAdd(inst, True, 0)
  expected = backend_os.OSEnvironment(inst, backend.ReadOSFromDisk("envdump"))
  expected["INSTANCE_REINSTALL"] = "1"
  assert _Dumped() == expected

  assert backend_os.ValidateOS(True, "envdump+minimal",
                               [constants.OS_VALIDATE_PARAMETERS],
                               {"label": "a b"})
  assert _Dumped() == {"OS_API_VERSION": "20", "OS_NAME": "envdump",
                       "OS_VARIANT": "minimal", "DEBUG_LEVEL": "0",
                       "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
                       "OSP_LABEL": "a b"}
  assert (tmp_path / "env.txt.args").read_text() == "parameters\n"


def test_rename_script_sees_old_and_new_names(vnode):
  inst = _Instance()
  backend_os.InstanceOsAdd(inst, False, 0)
  inst.name = "inst2.example.com"
  backend_os.RunRenameInstance(inst.ToDict(), INSTANCE, 0)
  assert _FirstLine(_DiskFile(inst, 1)).startswith(
    "GANETI-DUMMY-OS name=inst2.example.com variant=minimal disk=1 ")
  [log] = _Logs("rename")
  assert log.startswith("rename-dummy+minimal-%s-inst2.example.com-" %
                        INSTANCE)
  assert ("renaming %s to inst2.example.com" % INSTANCE) in _ReadLog(log)
  # the script checks the old name; a wrong one makes it fail
  with pytest.raises(backend.RPCFail, match="(?s)OS rename script failed"
                     r" \(exited with exit code 1\).*\n.*does not carry"
                     " the header of wrong.example.com"):
    backend_os.RunRenameInstance(inst, "wrong.example.com", 0)


def test_validate_os(vnode):
  params = [constants.OS_VALIDATE_PARAMETERS]
  assert backend_os.ValidateOS(True, "dummy", params, {"level": "7"}) is True
  assert backend_os.ValidateOS(True, "dummy+default", params, {}) is True
  with pytest.raises(backend.RPCFail) as info:
    backend_os.ValidateOS(True, "dummy", params, {"level": "high"})
  assert str(info.value) == (
    "OS validation script failed (exited with exit code 1), output:"
    " dummy-os[verify]: error: invalid value for parameter level: 'high'\n")
  with pytest.raises(backend.RPCFail, match="The following parameters are"
                     " not supported by the OS dummy: colour, size"):
    backend_os.ValidateOS(True, "dummy", params,
                          {"size": "1", "colour": "red", "level": "1"})
  with pytest.raises(backend.RPCFail, match="Unknown OS validation checks:"
                     " disks"):
    backend_os.ValidateOS(True, "dummy", ["disks"], {})
  # missing OS: an error only when required
  assert backend_os.ValidateOS(False, "nothere", params, {}) is False
  with pytest.raises(backend.RPCFail, match="Directory for OS nothere"):
    backend_os.ValidateOS(True, "nothere", params, {})
  # below API 20 there is no verify script: nothing to check
  assert backend_os.ValidateOS(True, "api10", params, {"any": "x"}) is True


def test_export_and_import_one_disk(vnode, tmp_path):
  inst = _Instance()
  backend_os.InstanceOsAdd(inst, False, 0)
  image = str(tmp_path / "disk1.img")
  backend_os.RunImportExportScript(inst.ToDict(), constants.IEM_EXPORT, 1,
                                   image)
  with open(_DiskFile(inst, 1), "rb") as handle:
    original = handle.read()
  with open(image, "rb") as handle:
    assert handle.read() == original
  [log] = _Logs("export")
  assert log.startswith("export-dummy+minimal-%s-disk1-" % INSTANCE)
  # the data went to the file, the diagnostics to the log
  assert "disk 1 from %s" % _DiskFile(inst, 1) in _ReadLog(log)

  with open(_DiskFile(inst, 0), "r+b") as handle:
    handle.write(b"\0" * 512)
  assert _FirstLine(_DiskFile(inst, 0)) == ""
  backend_os.RunImportExportScript(inst, constants.IEM_IMPORT, 0, image)
  # disk 1's image restored into disk 0
  assert _FirstLine(_DiskFile(inst, 0)).startswith(
    "GANETI-DUMMY-OS name=%s variant=minimal disk=1 " % INSTANCE)
  assert os.path.getsize(_DiskFile(inst, 0)) == DISK_MIB * 1024 * 1024
  [log] = _Logs("import")
  assert log.startswith("import-dummy+minimal-%s-disk0-" % INSTANCE)

  env = backend_os.OSImportExportEnv(inst, backend.ReadOSFromDisk("dummy"),
                                     constants.IEM_IMPORT, 1)
  assert (env["IMPORT_DEVICE"], env["IMPORT_INDEX"]) == (
    _DiskFile(inst, 1), "1")
  assert "EXPORT_DEVICE" not in env
  with pytest.raises(backend.RPCFail, match="has no disk 2"):
    backend_os.RunImportExportScript(inst, constants.IEM_EXPORT, 2, image)
  with pytest.raises(backend.RPCFail, match="Unknown import/export mode"):
    backend_os.RunImportExportScript(inst, "copy", 0, image)


def test_api10_os_installs(vnode):
  inst = _Instance(os_name="api10", disks=1, osparams={})
  backend_os.InstanceOsAdd(inst, False, 0)
  assert _FirstLine(_DiskFile(inst, 0)) == "GANETI-API10-OS name=%s" % \
    INSTANCE
  inst.name = "inst3.example.com"
  backend_os.RunRenameInstance(inst, INSTANCE, 0)
  [log] = _Logs("rename")
  assert "renamed %s to inst3.example.com" % INSTANCE in _ReadLog(log)


def test_disks_must_be_set_up(vnode):
  inst = _Instance(disks=1)
  os.unlink(_DiskFile(inst, 0))
  with pytest.raises(backend.RPCFail, match="is not set up"):
    backend_os.InstanceOsAdd(inst, False, 0)
  assert not os.path.exists(_DiskFile(inst, 0))
  assert _Logs("add") == []


def test_unusable_os_fails_before_running(vnode):
  inst = _Instance(os_name="nothere+x", disks=1)
  with pytest.raises(backend.RPCFail, match="Directory for OS nothere not"
                     " found"):
    backend_os.InstanceOsAdd(inst, False, 0)
  with pytest.raises(backend.RPCFail, match="Invalid instance description"):
    backend_os.InstanceOsAdd(["not", "an", "instance"], False, 0)


def test_log_names_are_checked(vnode):
  with pytest.raises(errors.ProgrammerError):
    backend_os.InstanceLogName("add", "dummy", "../escape")
  name = backend_os.InstanceLogName("import", "dummy+x", "inst1", "disk0")
  assert os.path.dirname(name) == pathutils.LOG_OS_DIR
  assert os.path.basename(name).startswith("import-dummy+x-inst1-disk0-")


# --- An OS definition from outside the project ------------------------------

def test_debootstrap_style_os_runs_unchanged(vnode, tmp_path):
  """test/data/os/debootstrap has the shape of Debian's
  ganeti-instance-debootstrap: bash scripts sourcing common.sh from the
  working directory, reading INSTANCE_NAME, HYPERVISOR, DISK_COUNT,
  DISK_0_PATH, DISK_1_PATH (swap), OS_API_VERSION, OS_VARIANT (with a
  config file per variant), OLD_INSTANCE_NAME, EXPORT_DEVICE and
  IMPORT_DEVICE, NIC_<n>_MAC/IP, INSTANCE_HV_serial_console."""
  entry = _ByName(backend.DiagnoseOS())["debootstrap"]
  assert entry[2:5] == (True, "", ["default", "minimal"])
  assert entry[6] == [10, 15, 20]

  inst = _Instance(os_name="debootstrap+minimal", osparams={})
  backend_os.InstanceOsAdd(inst.ToDict(), False, 0)
  with open(_DiskFile(inst, 0), "rb") as handle:
    rootfs = handle.read(4096).split(b"\0")[0].decode()
  assert rootfs.splitlines() == [
    "ROOTFS suite=squeeze variant=minimal pkgs=",
    "hostname=%s" % INSTANCE,
    "hypervisor=kvm",
    "inittab=ttyS0",
    "nic0 mac=aa:00:00:11:22:33 ip=192.0.2.10",
    "nic1 mac=aa:00:00:11:22:34 ip=dhcp",
    "fstab=/dev/sda2 swap",
    "END"]
  assert _FirstLine(_DiskFile(inst, 1)) == "SWAPSPACE2"

  inst.name = "web.example.com"
  backend_os.RunRenameInstance(inst, INSTANCE, 0)
  with open(_DiskFile(inst, 0), "rb") as handle:
    assert b"\nhostname=web.example.com\n" in handle.read(4096)

  image = str(tmp_path / "root.img")
  backend_os.RunImportExportScript(inst, constants.IEM_EXPORT, 0, image)
  exported = utils.ReadFile(image)
  assert exported.startswith("ROOTFS suite=squeeze variant=minimal")
  assert exported.endswith("END\n")
  with open(_DiskFile(inst, 0), "r+b") as handle:
    handle.write(b"\0" * 4096)
  backend_os.RunImportExportScript(inst, constants.IEM_IMPORT, 0, image)
  with open(_DiskFile(inst, 0), "rb") as handle:
    assert handle.read(len(exported)).decode() == exported

  # a variant the OS does not publish is refused by its own scripts
  inst.os = "debootstrap+sid"
  with pytest.raises(backend.RPCFail, match="Unofficial variant sid is"
                     " unsupported"):
    backend_os.InstanceOsAdd(inst, True, 0)
  # and a missing disk 0 is reported by common.sh
  empty = _Instance(os_name="debootstrap", disks=0, name="empty.example.com")
  with pytest.raises(backend.RPCFail, match="At least one disk is needed"):
    backend_os.InstanceOsAdd(empty, False, 0)
  assert backend_os.ValidateOS(True, "debootstrap",
                               [constants.OS_VALIDATE_PARAMETERS], {})


def test_data_os_definitions_are_valid(vnode):
  result = _ByName(backend.DiagnoseOS())
  assert set(result) >= set(["dummy", "failing", "api10", "debootstrap"])
  assert result["dummy"][2:] == (
    True, "", ["default", "minimal"],
    [["label", "Free text written into the header of every disk"],
     ["level", "Install level, a single digit 0-9 (checked by verify)"]],
    [10, 15, 20])
  assert result["failing"][2] is True and result["failing"][6] == [20]
  assert result["api10"][2:] == (True, "", [], [], [10])


def test_blockdev_disks_are_block_backends(vnode, tmp_path):
  """A disk adopted from a real (loop) block device: backend type block."""
  backing = tmp_path / "backing.img"
  with open(backing, "wb") as handle:
    handle.truncate(DISK_MIB * 1024 * 1024)
  try:
    loop = subprocess.run(["losetup", "-f", "--show", str(backing)],
                          check=True, capture_output=True,
                          text=True).stdout.strip()
  except (OSError, subprocess.CalledProcessError) as err:
    pytest.fail("this test needs loop devices (losetup -f): %s" % err)
  try:
    disk = objects.Disk(dev_type=constants.LD_BLOCKDEV,
                        logical_id=(BLOCKDEV_MANUAL, loop),
                        physical_id=(BLOCKDEV_MANUAL, loop),
                        size=DISK_MIB, mode=constants.DISK_RDWR,
                        iv_name="disk/0", children=[], params={})
    inst = _Instance(disks=0, disk_template=constants.DT_BLOCK)
    inst.disks = [disk]
    env = backend_os.OSEnvironment(inst, backend.ReadOSFromDisk("dummy"))
    assert (env["DISK_0_PATH"], env["DISK_0_BACKEND_TYPE"]) == (loop,
                                                                "block")
    backend_os.InstanceOsAdd(inst, False, 0)
    with open(loop, "rb") as handle:
      assert handle.read(512).startswith(
        b"GANETI-DUMMY-OS name=%s variant=minimal disk=0 " %
        INSTANCE.encode())
  finally:
    subprocess.run(["losetup", "-d", loop], check=True)
