"""Tests of ganeti.storage.bdev: dispatch from configuration disks to
device classes, with real file and loop devices where they work."""

import os
import subprocess
import sys

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.storage import base
from ganeti.storage import bdev
from ganeti.storage import blockdev
from ganeti.storage import filestorage
from ganeti.storage import lvm


FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"
MIB = 1024 * 1024


@pytest.fixture
def node1(as_node):
  root = as_node("node1")
  os.makedirs(pathutils.DATA_DIR, exist_ok=True)
  os.makedirs(os.path.dirname(pathutils.SSCONF_LOCK_FILE), exist_ok=True)
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_FILE_STORAGE_DIR: FILE_DIR,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: SHARED_DIR,
    })
  return root


def _Disk(dev_type, physical_id, size=4, params=None, children=None):
  return objects.Disk(dev_type=dev_type, logical_id=physical_id,
                      physical_id=physical_id, size=size,
                      params=params if params is not None else {},
                      children=children, iv_name="disk/0",
                      mode=constants.DISK_RDWR)


class _Recording(base.BlockDev):
  """Records how the dispatcher built it."""
  created = []

  def __init__(self, unique_id, children, size, params, _run_cmd=None):
    base.BlockDev.__init__(self, unique_id, children, size, params)
    self.dev_path = "/dev/rec/%s" % unique_id[1]
    self.assembled = False
    self.attached = unique_id[1] != "absent"

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None):
    dev = cls(unique_id, children, size_mib, params)
    cls.created.append((dev, excl_stor))
    return dev

  def Attach(self):
    return self.attached

  def Assemble(self):
    self.assembled = True


def test_device_map_covers_the_node_types():
  assert bdev.DEV_MAP[constants.LD_LV] is lvm.LogicalVolume
  assert bdev.DEV_MAP[constants.LD_FILE] is filestorage.FileStorage
  assert bdev.DEV_MAP[constants.LD_BLOCKDEV] is \
    blockdev.PersistentBlockDevice
  assert set(bdev.DEV_MAP) | bdev.UNSUPPORTED_TYPES == \
    constants.LOGICAL_DISK_TYPES


def test_drbd_is_loaded_on_first_use_only():
  code = ("import sys; from ganeti.storage import bdev; "
          "print('ganeti.storage.drbd' in sys.modules)")
  proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                        text=True, timeout=60)
  assert proc.returncode == 0, proc.stderr
  assert proc.stdout.strip() == "False"


def test_drbd_entry_is_the_drbd8_class():
  # needs helper D's module; fails loudly until it exists
  from ganeti.storage import drbd
  assert bdev.DEV_MAP[constants.LD_DRBD8] is drbd.DRBD8Dev
  assert bdev.GetDeviceClass(constants.LD_DRBD8) is drbd.DRBD8Dev
  assert issubclass(drbd.DRBD8Dev, base.BlockDev)
  assert dict(bdev.DEV_MAP.items())[constants.LD_DRBD8] is drbd.DRBD8Dev


def test_unsupported_and_unknown_types_are_refused():
  disk = _Disk(constants.LD_RBD, ("rbd", "vol1"))
  for call in (lambda: bdev.Create(disk, [], False),
               lambda: bdev.Assemble(disk, []),
               lambda: bdev.FindDevice(disk, [])):
    with pytest.raises(errors.BlockDeviceError,
                       match="'rbd' is not supported"):
      call()
  with pytest.raises(errors.BlockDeviceError,
                     match="Invalid block device type 'tape'"):
    bdev.FindDevice(_Disk("tape", ("a", "b")), [])


def test_physical_id_must_be_set(node1):
  disk = _Disk(constants.LD_FILE, None)
  disk.logical_id = (constants.FD_LOOP, FILE_DIR + "/i/d")
  with pytest.raises(errors.BlockDeviceError,
                     match="Physical id of file disk disk/0"):
    bdev.Create(disk, [], False)


def test_dispatch_passes_children_and_filled_params(monkeypatch):
  monkeypatch.setitem(bdev.DEV_MAP, constants.LD_LV, _Recording)
  monkeypatch.setattr(_Recording, "created", [])
  child1 = _Recording(("c", "one"), None, 1, {})
  child2 = _Recording(("c", "two"), None, 1, {})
  disk = _Disk(constants.LD_LV, ("xenvg", "data"), size=100,
               params={"custom": 1})
  dev = bdev.Create(disk, [child1, child2], True)
  assert _Recording.created == [(dev, True)]
  assert dev.children == [child1, child2]
  assert dev.size == 100
  assert dev.params == {constants.LDP_STRIPES: 1, "custom": 1}
  disk.params = {constants.LDP_STRIPES: 3}
  dev = bdev.Assemble(disk, [child1, None])
  assert dev.assembled and dev.children == [child1, None]
  assert dev.params == {constants.LDP_STRIPES: 3}
  found = bdev.FindDevice(disk, None)
  assert found.attached and found.children == []
  assert bdev.FindDevice(_Disk(constants.LD_LV, ("xenvg", "absent")),
                         []) is None


def test_file_disk_life_cycle(node1):
  path = FILE_DIR + "/inst1.example.com/disk0"
  disk = _Disk(constants.LD_FILE, (constants.FD_LOOP, path), size=8)
  assert bdev.FindDevice(disk, []) is None
  created = bdev.Create(disk, [], False)
  assert isinstance(created, filestorage.FileStorage)
  assert created.dev_path == str(node1) + path
  assert os.path.getsize(created.dev_path) == 8 * MIB
  found = bdev.FindDevice(disk, [])
  assert found.dev_path == created.dev_path
  assembled = bdev.Assemble(disk, [])
  assert assembled.attached
  assembled.Grow(2, False, True)
  assert bdev.FindDevice(disk, []).GetActualSize() == 10 * MIB
  assembled.Remove()
  assert bdev.FindDevice(disk, []) is None
  with pytest.raises(errors.BlockDeviceError, match="does not exist"):
    bdev.Assemble(disk, [])


def test_file_disk_outside_storage_is_refused(node1):
  disk = _Disk(constants.LD_FILE, (constants.FD_LOOP, "/etc/ganeti-evil"))
  with pytest.raises(errors.BlockDeviceError, match="/etc/ganeti-evil"):
    bdev.Create(disk, [], False)


def test_lv_disk_goes_through_lvm_commands(monkeypatch):
  calls = []

  def _FakeRunCmd(cmd, env=None, **_):
    calls.append((list(cmd), env))
    return utils.RunResult(5, None, "", "  Failed to find logical volume",
                           utils.ShellQuoteArgs(cmd), 0, None)

  monkeypatch.setattr(utils, "RunCmd", _FakeRunCmd)
  disk = _Disk(constants.LD_LV, ("xenvg", "inst1.disk0"), size=1024)
  assert bdev.FindDevice(disk, []) is None
  ((cmd, env), ) = calls
  assert cmd[0] == "lvs" and cmd[-1] == "/dev/xenvg/inst1.disk0"
  assert env["LVM_SUPPRESS_FD_WARNINGS"] == "1"
  with pytest.raises(errors.BlockDeviceError,
                     match="/dev/xenvg/inst1.disk0.*Failed to find"):
    bdev.Assemble(disk, [])
  assert calls[-1][0] == ["lvchange", "-ay", "/dev/xenvg/inst1.disk0"]


@pytest.fixture
def loop_dev(tmp_path):
  image = tmp_path / "disk.img"
  with open(image, "wb") as handle:
    handle.truncate(8 * MIB)
  path = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                        capture_output=True, text=True).stdout.strip()
  try:
    yield path
  finally:
    subprocess.run(["losetup", "-d", path], check=True)


def test_blockdev_disk_adoption(loop_dev):
  disk = _Disk(constants.LD_BLOCKDEV,
               (blockdev.BLOCKDEV_DRIVER_MANUAL, loop_dev), size=8)
  dev = bdev.Create(disk, [], False)
  assert dev.attached and dev.major == 7
  assert bdev.FindDevice(disk, []).GetActualSize() == 8 * MIB
  assert bdev.Assemble(disk, []).dev_path == loop_dev
  missing = _Disk(constants.LD_BLOCKDEV,
                  (blockdev.BLOCKDEV_DRIVER_MANUAL, "/dev/no-such-s6"))
  assert bdev.FindDevice(missing, []) is None
  with pytest.raises(errors.BlockDeviceError, match="/dev/no-such-s6"):
    bdev.Create(missing, [], False)
