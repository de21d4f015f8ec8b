"""Tests of ganeti.storage.blockdev: adopting real loop devices."""

import os
import subprocess

import pytest

from ganeti import errors
from ganeti.storage import blockdev


MANUAL = blockdev.BLOCKDEV_DRIVER_MANUAL
MIB = 1024 * 1024


@pytest.fixture
def loop_dev(tmp_path):
  """A 16 MiB loop device over a sparse file, detached afterwards."""
  image = tmp_path / "disk.img"
  with open(image, "wb") as handle:
    handle.truncate(16 * MIB)
  path = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                        capture_output=True, text=True).stdout.strip()
  try:
    yield path
  finally:
    subprocess.run(["losetup", "-d", path], check=True)


def test_create_adopts_an_existing_loop_device(loop_dev):
  dev = blockdev.PersistentBlockDevice.Create((MANUAL, loop_dev), [], 16, {},
                                              False)
  st = os.stat(loop_dev)
  assert dev.attached
  assert dev.dev_path == loop_dev
  assert dev.unique_id == (MANUAL, loop_dev)
  assert (dev.major, dev.minor) == (os.major(st.st_rdev),
                                    os.minor(st.st_rdev))
  assert dev.major == 7
  assert dev.GetActualSize() == 16 * MIB
  status = dev.CombinedSyncStatus()
  assert (status.dev_path, status.major, status.minor) == \
    (loop_dev, dev.major, dev.minor)
  assert status.is_degraded is False


def test_life_cycle_leaves_the_device_alone(loop_dev):
  with open(loop_dev, "r+b") as handle:
    handle.write(b"admin data")
  dev = blockdev.PersistentBlockDevice((MANUAL, loop_dev), None, 16, {})
  dev.Assemble()
  dev.Open()
  dev.Close()
  dev.Shutdown()
  dev.Remove()
  assert not dev.attached
  assert os.path.exists(loop_dev)
  with open(loop_dev, "rb") as handle:
    assert handle.read(10) == b"admin data"
  again = blockdev.PersistentBlockDevice((MANUAL, loop_dev), None, 16, {})
  assert again.attached


def test_grow_rename_snapshot_are_refused(loop_dev):
  dev = blockdev.PersistentBlockDevice((MANUAL, loop_dev), None, 16, {})
  with pytest.raises(errors.BlockDeviceError,
                     match="'%s' cannot be grown" % loop_dev):
    dev.Grow(8, False, True)
  with pytest.raises(errors.BlockDeviceError,
                     match="'%s' cannot be renamed" % loop_dev):
    dev.Rename((MANUAL, "/dev/loop99"))
  with pytest.raises(errors.BlockDeviceError, match="snapshots"):
    dev.Snapshot(8)
  assert dev.GetActualSize() == 16 * MIB


def test_symlink_to_a_device_is_accepted(loop_dev, tmp_path):
  # like /dev/disk/by-id/... links: the real path is what counts
  link = tmp_path / "by-id-disk"
  os.symlink(loop_dev, str(link))
  dev = blockdev.PersistentBlockDevice.Create((MANUAL, str(link)), [], 16,
                                              {}, False)
  assert dev.attached and dev.dev_path == str(link)
  assert dev.GetActualSize() == 16 * MIB


def test_non_block_devices_are_refused(tmp_path):
  with pytest.raises(errors.BlockDeviceError,
                     match="'/dev/null' is not a block device"):
    blockdev.PersistentBlockDevice.Create((MANUAL, "/dev/null"), [], 1, {},
                                          False)
  dev = blockdev.PersistentBlockDevice((MANUAL, "/dev/null"), None, 1, {})
  assert not dev.attached
  with pytest.raises(errors.BlockDeviceError, match="not a block device"):
    dev.Assemble()
  with pytest.raises(errors.BlockDeviceError,
                     match="/dev/no-such-disk-s6.*No such file"):
    blockdev.PersistentBlockDevice.Create(
      (MANUAL, "/dev/no-such-disk-s6"), [], 1, {}, False)


def test_paths_outside_dev_are_refused(tmp_path, loop_dev):
  image = tmp_path / "plain.img"
  image.write_bytes(b"x")
  with pytest.raises(errors.BlockDeviceError, match="outside /dev"):
    blockdev.PersistentBlockDevice.Create((MANUAL, str(image)), [], 1, {},
                                          False)
  with pytest.raises(errors.BlockDeviceError, match="outside /dev"):
    blockdev.PersistentBlockDevice((MANUAL, loop_dev + "/../../etc/passwd"),
                                   None, 1, {})
  with pytest.raises(errors.BlockDeviceError, match="not an absolute path"):
    blockdev.PersistentBlockDevice((MANUAL, "dev/loop0"), None, 1, {})


def test_invalid_ids_are_refused(loop_dev):
  with pytest.raises(errors.BlockDeviceError, match="driver 'auto'"):
    blockdev.PersistentBlockDevice(("auto", loop_dev), None, 1, {})
  with pytest.raises(errors.BlockDeviceError, match="expected"):
    blockdev.PersistentBlockDevice((MANUAL,), None, 1, {})
  with pytest.raises(errors.BlockDeviceError, match="children"):
    blockdev.PersistentBlockDevice((MANUAL, loop_dev), [object()], 1, {})
  with pytest.raises(errors.BlockDeviceError, match="Exclusive"):
    blockdev.PersistentBlockDevice.Create((MANUAL, loop_dev), [], 1, {},
                                          True)
