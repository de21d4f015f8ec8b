"""Dispatcher from configuration disks to this node's block devices.

Layer 3 (node side).  The backend hands an objects.Disk whose physical_id
was set for this node, together with the BlockDev objects of its children
(which it created, found or assembled first, so that DRBD gets its backing
volumes); this module picks the device class for the disk's dev_type
(DEV_MAP) and creates, finds or assembles the device.  The disk's
parameters are completed with constants.DISK_LD_DEFAULTS for its type.

The DRBD class is imported on first use, so the other device types work
without it.
"""

from typing import Dict, List, Optional

from ganeti import constants
from ganeti.storage import base
from ganeti.storage import blockdev
from ganeti.storage import filestorage
from ganeti.storage import lvm


def _ImportDrbd():
  from ganeti.storage import drbd  # pylint: disable=C0415
  return drbd.DRBD8Dev


class _DeviceMap(dict):
  """A dict whose callable-loader values are replaced on first access.

  Values wrapped in _Lazy are resolved (and cached) by __getitem__ and
  get, so callers always see real device classes.

  """
  def __getitem__(self, key):
    value = dict.__getitem__(self, key)
    if isinstance(value, _Lazy):
      value = value.loader()
      dict.__setitem__(self, key, value)
    return value

  def get(self, key, default=None):
    if key not in self:
      return default
    return self[key]

  def values(self):
    return [self[key] for key in self]

  def items(self):
    return [(key, self[key]) for key in self]


class _Lazy(object):
  """Marks a DEV_MAP entry imported on first use."""
  def __init__(self, loader):
    self.loader = loader


#: dev_type -> device class (DRBD imported on first use)
DEV_MAP: Dict[str, type] = _DeviceMap({
  constants.LD_LV: lvm.LogicalVolume,
  constants.LD_DRBD8: _Lazy(_ImportDrbd),
  constants.LD_FILE: filestorage.FileStorage,
  constants.LD_BLOCKDEV: blockdev.PersistentBlockDevice,
  })

#: Device types known to the configuration that this node cannot handle
UNSUPPORTED_TYPES = frozenset([constants.LD_RBD])


def GetDeviceClass(dev_type: str):
  """Returns the BlockDev subclass handling ``dev_type``.

  @raise errors.BlockDeviceError: unknown or unsupported type

  """
  if dev_type in UNSUPPORTED_TYPES:
    base.ThrowError("Disk type '%s' is not supported by this node", dev_type)
  if dev_type not in DEV_MAP:
    base.ThrowError("Invalid block device type %r", dev_type)
  try:
    return DEV_MAP[dev_type]
  except ImportError as err:
    base.ThrowError("Support for disk type '%s' cannot be loaded: %s",
                    dev_type, err)


def _Describe(disk) -> str:
  return "%s disk %s (%r)" % (disk.dev_type, disk.iv_name or "?",
                              disk.physical_id)


def FillParams(disk) -> dict:
  """The disk's parameters completed with the defaults of its type."""
  params = dict(constants.DISK_LD_DEFAULTS.get(disk.dev_type, {}))
  params.update(disk.params or {})
  return params


def _CheckDisk(disk) -> None:
  if not disk.physical_id:
    base.ThrowError("Physical id of %s is not set for this node",
                    _Describe(disk))
  if disk.size is None:
    base.ThrowError("Size of %s is not known", _Describe(disk))


def _Children(children) -> List[Optional[base.BlockDev]]:
  return list(children or [])


def FindDevice(disk, children) -> Optional[base.BlockDev]:
  """Returns the device of ``disk`` if it exists on this node.

  @param children: the BlockDev objects (or None) of the disk's children
  @return: the attached device, or None when it is not there
  @raise errors.BlockDeviceError: invalid disk or unsupported type

  """
  cls = GetDeviceClass(disk.dev_type)
  _CheckDisk(disk)
  device = cls(disk.physical_id, _Children(children), disk.size,
               FillParams(disk))
  if not device.attached:
    return None
  return device


def Assemble(disk, children) -> base.BlockDev:
  """Activates the device of ``disk`` and returns it.

  @param children: the assembled BlockDev objects of the disk's children
  @raise errors.BlockDeviceError: the device cannot be assembled

  """
  cls = GetDeviceClass(disk.dev_type)
  _CheckDisk(disk)
  device = cls(disk.physical_id, _Children(children), disk.size,
               FillParams(disk))
  device.Assemble()
  return device


def Create(disk, children, excl_stor) -> base.BlockDev:
  """Creates the device of ``disk`` on this node.

  @param children: the already created BlockDev objects of the children
  @param excl_stor: whether exclusive storage is wanted (LVs only)
  @raise errors.BlockDeviceError: creation failed

  """
  cls = GetDeviceClass(disk.dev_type)
  _CheckDisk(disk)
  return cls.Create(disk.physical_id, _Children(children), disk.size,
                    FillParams(disk), excl_stor)
