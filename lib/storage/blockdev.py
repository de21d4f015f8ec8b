"""Adopted block devices (the blockdev disk template).

Layer 3 (node side).  A PersistentBlockDevice (constants.LD_BLOCKDEV,
unique_id (BLOCKDEV_DRIVER_MANUAL, path)) is a block device the
administrator made and handed to the cluster: a partition, a SAN LUN, a
loop device.  The cluster never creates, grows, renames or destroys it:
Create only checks that it exists, Remove forgets it.  The path must be
absolute and lead (symbolic links resolved, as /dev/disk/by-id/... do) to a
block special file below /dev.  Block devices belong to the machine, so
the path is never moved under a virtual node's root.
"""

import os
import stat

from ganeti import constants
from ganeti import utils
from ganeti.storage import base


BLOCKDEV_DRIVER_MANUAL = constants.BLOCKDEV_DRIVER_MANUAL
BLOCKDEV_DRIVERS = constants.BLOCKDEV_DRIVERS

#: Every adopted device must resolve to a path below this directory
DEV_DIR = "/dev"


def _CheckUniqueId(unique_id):
  if not isinstance(unique_id, (tuple, list)) or len(unique_id) != 2:
    base.ThrowError("Invalid block device id %r: expected (driver, path)",
                    unique_id)
  (driver, path) = unique_id
  if driver not in BLOCKDEV_DRIVERS:
    base.ThrowError("Invalid block device driver %r for '%s' (valid: %s)",
                    driver, path, utils.CommaJoin(sorted(BLOCKDEV_DRIVERS)))
  if not isinstance(path, str) or not os.path.isabs(path) or "\0" in path:
    base.ThrowError("Invalid block device path %r: not an absolute path",
                    path)
  real = os.path.realpath(path)
  if not utils.IsBelowDir(DEV_DIR, real):
    base.ThrowError("Block device path '%s' leads to '%s', outside %s", path,
                    real, DEV_DIR)
  return (driver, path)


class PersistentBlockDevice(base.BlockDev):
  """An existing block device adopted by an instance."""

  def __init__(self, unique_id, children, size, params, _run_cmd=None):
    if children:
      base.ThrowError("Block device %r cannot have children", unique_id)
    (driver, path) = _CheckUniqueId(unique_id)
    base.BlockDev.__init__(self, (driver, path), children, size, params,
                           _run_cmd=_run_cmd)
    self.driver = driver
    self.dev_path = path
    self.Attach()

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None) -> "PersistentBlockDevice":
    """Adopts the device: it must exist and be a block device.

    @raise errors.BlockDeviceError: it does not, or the id is invalid

    """
    if excl_stor:
      base.ThrowError("Exclusive storage is not possible for adopted block"
                      " device %r", unique_id)
    device = cls(unique_id, children, size_mib, params, _run_cmd=_run_cmd)
    if not device.attached:
      device.Check()
    return device

  def Check(self) -> None:
    """Raises an error saying why the device is not usable.

    @raise errors.BlockDeviceError: always, unless the device is fine

    """
    try:
      st = os.stat(self.dev_path)
    except OSError as err:
      base.ThrowError("Block device '%s' cannot be used: %s", self.dev_path,
                      err.strerror or err)
    if not stat.S_ISBLK(st.st_mode):
      base.ThrowError("'%s' is not a block device", self.dev_path)

  def Attach(self) -> bool:
    """Finds the device, reading its major and minor numbers."""
    self.attached = False
    try:
      st = os.stat(self.dev_path)
    except OSError:
      return False
    if not stat.S_ISBLK(st.st_mode):
      return False
    self.major = os.major(st.st_rdev)
    self.minor = os.minor(st.st_rdev)
    self.attached = True
    return True

  def Assemble(self) -> None:
    """Nothing to activate; the device must be there."""
    if not self.Attach():
      self.Check()

  def Remove(self) -> None:
    """Nothing to destroy: the device belongs to the administrator."""
    self.attached = False

  def Rename(self, new_id) -> None:
    base.ThrowError("Adopted block device '%s' cannot be renamed",
                    self.dev_path)

  def Grow(self, amount_mib: int, dryrun: bool, backingstore: bool) -> None:
    base.ThrowError("Adopted block device '%s' cannot be grown",
                    self.dev_path)
