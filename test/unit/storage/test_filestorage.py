"""Tests of ganeti.storage.filestorage: real sparse files on virtual nodes,
path confinement, and the node-local mapping of file and sharedfile paths."""

import os

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti import vcluster
from ganeti.storage import filestorage


FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"
MIB = 1024 * 1024


def _SetupNode(as_node, name, file_dir=FILE_DIR, shared_dir=SHARED_DIR):
  """Makes this process virtual node ``name`` with the storage dirs in
  its ssconf."""
  root = as_node(name)
  os.makedirs(pathutils.DATA_DIR, exist_ok=True)
  os.makedirs(os.path.dirname(pathutils.SSCONF_LOCK_FILE), exist_ok=True)
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_FILE_STORAGE_DIR: file_dir,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: shared_dir,
    })
  return root


@pytest.fixture
def node1(as_node):
  return _SetupNode(as_node, "node1")


def _FileDev(path, size=10):
  return filestorage.FileStorage((constants.FD_LOOP, path), None, size, {})


def test_create_makes_a_sparse_file_in_the_node_root(node1):
  path = FILE_DIR + "/inst1.example.com/disk0"
  dev = filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 64, {},
                                       False)
  local = str(node1) + path
  assert dev.dev_path == local
  assert dev.unique_id == (constants.FD_LOOP, path)
  assert dev.attached
  st = os.stat(local)
  assert st.st_size == 64 * MIB
  # sparse: far fewer blocks than the size
  assert st.st_blocks * 512 < MIB
  assert dev.GetActualSize() == 64 * MIB
  assert dev.GetUsedBytes() < MIB
  assert os.stat(os.path.dirname(local)).st_mode & 0o777 == 0o750
  status = dev.CombinedSyncStatus()
  assert status.dev_path == local and status.is_degraded is False


def test_create_refuses_an_existing_file(node1):
  path = FILE_DIR + "/inst1/disk0"
  filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 1, {}, False)
  with pytest.raises(errors.BlockDeviceError,
                     match="inst1/disk0.*exists already"):
    filestorage.FileStorage.Create((constants.FD_BLKTAP, path), [], 1, {},
                                   False)


def test_attach_assemble_and_remove(node1):
  path = FILE_DIR + "/inst1/disk1"
  dev = _FileDev(path)
  assert not dev.attached
  with pytest.raises(errors.BlockDeviceError, match="does not exist"):
    dev.Assemble()
  filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 2, {}, False)
  dev = _FileDev(path)
  assert dev.attached
  dev.Assemble()
  dev.Open()
  dev.Close()
  dev.Shutdown()
  assert os.path.isfile(dev.dev_path)
  dev.Remove()
  assert not os.path.exists(dev.dev_path) and not dev.attached
  # removing again is fine
  dev.Remove()
  with pytest.raises(errors.BlockDeviceError, match="size of file device"):
    dev.GetActualSize()


def test_grow_extends_the_file(node1):
  path = FILE_DIR + "/inst1/disk0"
  dev = filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 4, {},
                                       False)
  dev.Grow(6, True, True)
  assert dev.GetActualSize() == 4 * MIB
  dev.Grow(6, False, False)
  assert dev.GetActualSize() == 4 * MIB
  dev.Grow(6, False, True)
  assert os.stat(dev.dev_path).st_size == 10 * MIB
  with pytest.raises(errors.BlockDeviceError, match="shrink"):
    dev.Grow(-1, False, True)


def test_data_survives_rename(node1):
  path = FILE_DIR + "/inst1/disk0"
  dev = filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 1, {},
                                       False)
  with open(dev.dev_path, "r+b") as handle:
    handle.write(b"payload")
  old_local = dev.dev_path
  new_path = FILE_DIR + "/inst2/disk0"
  dev.Rename((constants.FD_LOOP, new_path))
  assert dev.unique_id == (constants.FD_LOOP, new_path)
  assert dev.dev_path == str(node1) + new_path
  assert not os.path.exists(old_local)
  with open(dev.dev_path, "rb") as handle:
    assert handle.read(7) == b"payload"
  other = filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 1, {},
                                         False)
  with pytest.raises(errors.BlockDeviceError, match="exists already"):
    other.Rename((constants.FD_LOOP, new_path))
  with pytest.raises(errors.BlockDeviceError, match="same storage directory"):
    other.Rename((constants.FD_LOOP, SHARED_DIR + "/inst1/disk0"))


@pytest.mark.parametrize("path", [
  FILE_DIR + "/../escape/disk0",
  FILE_DIR + "/inst1/../../../etc/passwd",
  FILE_DIR,
  FILE_DIR + "/",
  "/srv/ganeti/file-storage-other/disk0",
  "/etc/passwd",
  "/",
  "relative/disk0",
  "",
  None,
  ])
def test_paths_outside_the_storage_dirs_are_refused(node1, path):
  with pytest.raises(errors.BlockDeviceError) as excinfo:
    filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 1, {},
                                   False)
  assert repr(path)[1:-1] in str(excinfo.value) or str(path) in \
    str(excinfo.value)
  with pytest.raises(errors.BlockDeviceError):
    _FileDev(path)
  # nothing was created anywhere below the node
  created = [os.path.join(d, f) for (d, _, files) in os.walk(str(node1))
             for f in files if not f.startswith("ssconf_") and
             not f.endswith(".lock")]
  assert created == []


def test_symlinks_leading_out_are_refused(node1, tmp_path):
  outside = tmp_path / "outside"
  outside.mkdir()
  local_dir = str(node1) + FILE_DIR
  os.makedirs(local_dir)
  os.symlink(str(outside), local_dir + "/evil")
  with pytest.raises(errors.BlockDeviceError,
                     match="outside the storage directory"):
    filestorage.FileStorage.Create((constants.FD_LOOP,
                                    FILE_DIR + "/evil/disk0"), [], 1, {},
                                   False)
  assert os.listdir(str(outside)) == []
  os.symlink("/etc/passwd", local_dir + "/passwd")
  with pytest.raises(errors.BlockDeviceError, match="outside"):
    _FileDev(FILE_DIR + "/passwd")
  # a link that stays inside is fine
  os.makedirs(local_dir + "/real")
  os.symlink(local_dir + "/real", local_dir + "/alias")
  dev = filestorage.FileStorage.Create(
    (constants.FD_LOOP, FILE_DIR + "/alias/disk0"), [], 1, {}, False)
  assert os.path.isfile(local_dir + "/real/disk0")
  assert dev.attached


def test_invalid_driver_and_children_are_refused(node1):
  with pytest.raises(errors.BlockDeviceError, match="Invalid file driver"):
    filestorage.FileStorage(
      ("floppy", FILE_DIR + "/i/d"), None, 1, {})
  with pytest.raises(errors.BlockDeviceError, match="children"):
    filestorage.FileStorage.Create((constants.FD_LOOP, FILE_DIR + "/i/d"),
                                   [object()], 1, {}, False)
  with pytest.raises(errors.BlockDeviceError, match="Exclusive storage"):
    filestorage.FileStorage.Create((constants.FD_LOOP, FILE_DIR + "/i/d"),
                                   [], 1, {}, True)


def test_unconfigured_storage_refuses_everything(as_node):
  _SetupNode(as_node, "node1", file_dir="", shared_dir="")
  with pytest.raises(errors.BlockDeviceError, match="not configured"):
    _FileDev(FILE_DIR + "/i/d")


def test_missing_ssconf_is_an_error(as_node):
  as_node("bare")
  with pytest.raises(errors.BlockDeviceError,
                     match="file storage directories.*ssconf"):
    _FileDev(FILE_DIR + "/i/d")


def test_shared_files_are_seen_by_every_node(as_node):
  root1 = _SetupNode(as_node, "node1")
  path = SHARED_DIR + "/inst1/disk0"
  dev = filestorage.FileStorage.Create((constants.FD_LOOP, path), [], 3, {},
                                       False)
  cluster_dir = os.path.dirname(str(root1))
  assert dev.dev_path == cluster_dir + "/shared" + path
  assert dev.dev_path == vcluster.AddSharedPrefix(path)
  with open(dev.dev_path, "r+b") as handle:
    handle.write(b"from node1")
  _SetupNode(as_node, "node2")
  seen = _FileDev(path)
  assert seen.attached and seen.dev_path == dev.dev_path
  assert seen.GetActualSize() == 3 * MIB
  with open(seen.dev_path, "rb") as handle:
    assert handle.read(10) == b"from node1"
  # plain file storage is per node: node2 does not see node1's files
  filestorage.FileStorage.Create((constants.FD_LOOP,
                                  FILE_DIR + "/inst1/disk0"), [], 1, {},
                                 False)
  assert not os.path.exists(str(root1) + FILE_DIR + "/inst1/disk0")


def test_local_path_on_a_physical_node():
  dirs = (FILE_DIR, SHARED_DIR)
  assert not vcluster.IsVirtualCluster()
  assert filestorage.LocalPath(FILE_DIR + "/i//d", _dirs=dirs) == \
    FILE_DIR + "/i/d"
  assert filestorage.LocalPath(SHARED_DIR + "/i/d", _dirs=dirs) == \
    SHARED_DIR + "/i/d"
  assert filestorage.CheckFileStoragePath(SHARED_DIR + "/x", _dirs=dirs) == \
    (SHARED_DIR, True)
  assert filestorage.CheckFileStoragePath(FILE_DIR + "/x/y", _dirs=dirs) == \
    (FILE_DIR, False)
  # the more specific directory wins when one is inside the other
  nested = ("/srv/fs", "/srv/fs/shared")
  assert filestorage.CheckFileStoragePath("/srv/fs/shared/i/d",
                                          _dirs=nested) == \
    ("/srv/fs/shared", True)
  with pytest.raises(errors.BlockDeviceError, match="not below"):
    filestorage.CheckFileStoragePath("/srv/other/d", _dirs=dirs)


def test_local_path_on_a_virtual_node(node1):
  assert filestorage.LocalPath(FILE_DIR + "/i/d") == \
    str(node1) + FILE_DIR + "/i/d"
  assert filestorage.LocalPath(SHARED_DIR + "/i/d") == \
    os.path.dirname(str(node1)) + "/shared" + SHARED_DIR + "/i/d"


def test_instance_directories(node1):
  inst_dir = FILE_DIR + "/inst1.example.com"
  local = filestorage.CreateFileStorageDir(inst_dir)
  assert local == str(node1) + inst_dir and os.path.isdir(local)
  filestorage.CreateFileStorageDir(inst_dir)
  filestorage.FileStorage.Create((constants.FD_LOOP, inst_dir + "/disk0"),
                                 [], 1, {}, False)
  with pytest.raises(errors.BlockDeviceError, match="not empty.*disk0"):
    filestorage.RemoveFileStorageDir(inst_dir)
  filestorage.RenameFileStorageDir(inst_dir, FILE_DIR + "/renamed")
  new_local = str(node1) + FILE_DIR + "/renamed"
  assert os.path.isfile(new_local + "/disk0") and not os.path.exists(local)
  # done already: no error
  filestorage.RenameFileStorageDir(inst_dir, FILE_DIR + "/renamed")
  _FileDev(FILE_DIR + "/renamed/disk0").Remove()
  filestorage.RemoveFileStorageDir(FILE_DIR + "/renamed")
  assert not os.path.exists(new_local)
  filestorage.RemoveFileStorageDir(FILE_DIR + "/renamed")
  with pytest.raises(errors.BlockDeviceError, match="not below"):
    filestorage.RemoveFileStorageDir("/tmp")
  with pytest.raises(errors.BlockDeviceError, match="same storage"):
    filestorage.RenameFileStorageDir(FILE_DIR + "/a", SHARED_DIR + "/a")
  open(str(node1) + FILE_DIR + "/plainfile", "w").close()
  with pytest.raises(errors.BlockDeviceError, match="not a directory"):
    filestorage.RemoveFileStorageDir(FILE_DIR + "/plainfile")
  with pytest.raises(errors.BlockDeviceError, match="not a directory"):
    filestorage.CreateFileStorageDir(FILE_DIR + "/plainfile")
