"""Block device calls of the node backend (blockdev_* and drbd_*).

Layer 3 (node side).  The master sends `objects.Disk` trees (as dicts)
whose ``physical_id`` is already set for this node (the drbd_* calls set
it here, from the node addresses they carry).  These functions walk the
trees through ``ganeti.storage.bdev``: children are created before their
parent, assembled before their parent and shut down after it; a device is
created on a secondary node only where the disk says so
(``CreateOnSecondary``).  They also keep the node's two records of active
devices: the block device cache (one file per device under
``pathutils.BDEV_CACHE_DIR`` naming its owner, role and visible name) and
the instance disk symlinks (``pathutils.DISK_LINKS_DIR/<instance>:<idx>``
pointing to the device, which the hypervisors use).  Storage errors become
``RPCFail`` with the device named.

This module must not import master-side or wire modules and must not know
about hypervisors (backend_instance uses the helpers here to hand devices
to them).
"""

import errno
import logging
import os
from typing import Any, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.backend_base import Fail, GetMyName, RPCFail, ToConfigObject


DISK_SEPARATOR = constants.DISK_SEPARATOR
MAX_WIPE_CHUNK = constants.MAX_WIPE_CHUNK
MIN_WIPE_CHUNK_PERCENT = constants.MIN_WIPE_CHUNK_PERCENT
DD_CMD = constants.DD_CMD

#: Block size of the wipe runs (offsets and sizes are in MiB)
_WIPE_BLOCK_SIZE = 1024 * 1024

#: Prefix removed from device paths when naming their cache file
_DEV_PREFIX = "/dev/"

#: Seconds drbd_attach_net waits for the peers to connect
DRBD_ATTACH_TIMEOUT = 2 * 60

#: Seconds drbd_wait_sync polls a device that is not yet connected
DRBD_CONNECT_WAIT = 15


def _Bdev():
  """The storage dispatcher (imported when first needed)."""
  from ganeti.storage import bdev  # pylint: disable=C0415
  return bdev


# Argument conversion

def ToDisk(value: Any) -> objects.Disk:
  """An objects.Disk from the wire form (or a Disk, unchanged).

  @raise RPCFail: not a disk description

  """
  return ToConfigObject(objects.Disk, value, "disk")


def ToDiskList(value: Any) -> List[objects.Disk]:
  """A list of objects.Disk from the wire form.

  @raise RPCFail: not a list of disk descriptions

  """
  if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
    Fail("Invalid disk list: expected a list, got %s", type(value).__name__)
  return [ToDisk(item) for item in value]


def _CheckMiB(value: Any, what: str) -> int:
  if isinstance(value, bool) or not isinstance(value, int):
    Fail("Invalid %s %r: expected an integer number of MiB", what, value)
  return value


# The block device cache

def _CachePath(dev_path: str) -> str:
  """The cache file recording the state of ``dev_path``."""
  if dev_path.startswith(_DEV_PREFIX):
    dev_path = dev_path[len(_DEV_PREFIX):]
  return utils.PathJoin(pathutils.BDEV_CACHE_DIR,
                        "bdev_%s" % dev_path.strip("/").replace("/", "_"))


def UpdateDevCache(dev_path: Optional[str], owner: str, on_primary: bool,
                   iv_name: Optional[str]) -> None:
  """Records that ``dev_path`` is assembled for ``owner``.

  The file holds ``<owner> <primary|secondary> <iv_name|not_visible>``;
  failing to write it is logged, never fatal (it is informational).

  """
  if not dev_path:
    logging.error("Not recording a block device without a path in the"
                  " cache (owner %s)", owner)
    return
  state = "primary" if on_primary else "secondary"
  if iv_name is None:
    iv_name = "not_visible"
  try:
    utils.WriteFile(_CachePath(dev_path),
                    data="%s %s %s\n" % (owner, state, iv_name))
  except EnvironmentError as err:
    logging.error("Cannot update the block device cache for %s: %s",
                  dev_path, err)


def RemoveDevCache(dev_path: Optional[str]) -> None:
  """Forgets ``dev_path`` in the cache (errors are logged only)."""
  if not dev_path:
    return
  try:
    utils.RemoveFile(_CachePath(dev_path))
  except EnvironmentError as err:
    logging.error("Cannot remove the block device cache entry of %s: %s",
                  dev_path, err)


def ReadDevCache(dev_path: str) -> Optional[List[str]]:
  """The cache entry of ``dev_path`` as [owner, state, iv_name], or None."""
  try:
    return utils.ReadFile(_CachePath(dev_path)).split()
  except EnvironmentError:
    return None


# Instance disk symlinks

def GetDiskLinkPath(instance_name: str, idx: int) -> str:
  """The symlink naming disk ``idx`` of ``instance_name`` on this node."""
  return utils.PathJoin(pathutils.DISK_LINKS_DIR, "%s%s%d" %
                        (instance_name, DISK_SEPARATOR, idx))


def LinkDisk(instance_name: str, dev_path: str, idx: int) -> str:
  """Points the disk symlink of (instance, idx) to ``dev_path``.

  A link already pointing elsewhere is replaced.

  @return: the symlink's path
  @raise EnvironmentError: the link cannot be made

  """
  link = GetDiskLinkPath(instance_name, idx)
  utils.EnsureDirs([(pathutils.DISK_LINKS_DIR, 0o755)])
  try:
    os.symlink(dev_path, link)
  except OSError as err:
    if err.errno != errno.EEXIST:
      raise
    if not os.path.islink(link) or os.readlink(link) != dev_path:
      os.remove(link)
      os.symlink(dev_path, link)
  return link


def RemoveDiskLinks(instance_name: str, count: int) -> None:
  """Removes the disk symlinks 0..count-1 of an instance (errors logged)."""
  for idx in range(count):
    link = GetDiskLinkPath(instance_name, idx)
    if os.path.islink(link):
      try:
        os.remove(link)
      except OSError as err:
        logging.error("Cannot remove disk symlink %s: %s", link, err)


# Tree walks

def FindTree(disk: objects.Disk):
  """The attached device of ``disk`` (children looked up first), or None.

  @raise errors.BlockDeviceError: from the storage layer

  """
  children = [FindTree(child) for child in disk.children or []]
  return _Bdev().FindDevice(disk, children)


def _FindOrFail(disk: objects.Disk, what: str):
  """The attached device of ``disk``; RPCFail when missing or on error."""
  try:
    device = FindTree(disk)
  except errors.BlockDeviceError as err:
    Fail("Cannot find block device %s for %s: %s", disk, what, err)
  if device is None:
    Fail("Block device %s not found on node %s (needed for %s)", disk,
         GetMyName(), what)
  return device


def AssembleTree(disk: objects.Disk, owner: str, as_primary: bool):
  """Activates ``disk``'s tree on this node, children first.

  A child may fail as long as enough siblings remain for the parent to
  work (``ChildrenNeeded``; DRBD runs diskless).  Devices that are not
  assembled on secondaries are skipped there.

  @return: the device, or True when the device itself is not assembled
      on this (secondary) node
  @raise errors.BlockDeviceError: from the storage layer

  """
  children = []
  if disk.children:
    needed = disk.ChildrenNeeded()
    if needed == -1:
      may_fail = 0
    else:
      may_fail = len(disk.children) - needed
    for child in disk.children:
      try:
        cdev = AssembleTree(child, owner, as_primary)
      except errors.BlockDeviceError as err:
        if children.count(None) >= may_fail:
          raise
        logging.error("Could not assemble child %s of %s, going on without"
                      " it: %s", child, disk, err)
        cdev = None
      if cdev is True:
        cdev = None
      children.append(cdev)
  if not (as_primary or disk.AssembleOnSecondary()):
    return True
  device = _Bdev().Assemble(disk, children)
  if as_primary or disk.OpenOnSecondary():
    device.Open()
  UpdateDevCache(device.dev_path, owner, as_primary, disk.iv_name)
  return device


def _RemoveQuietly(devices) -> None:
  """Removes devices created by a create call that then failed."""
  for device in reversed(devices):
    try:
      device.Remove()
    except errors.BlockDeviceError as err:
      logging.error("Cannot remove %s while undoing a failed creation: %s",
                    device.dev_path, err)


def _CreateTree(disk: objects.Disk, owner: str, on_primary: bool, info: str,
                excl_stor: bool, created: list):
  """Creates ``disk`` on this node, creating missing children first.

  Children that exist already (created by an earlier call) are reused.
  Every device made here is appended to ``created``.

  @raise errors.BlockDeviceError: from the storage layer
  @raise RPCFail: a missing child that may not be created here

  """
  children = []
  for child in disk.children or []:
    cdev = FindTree(child)
    if cdev is None:
      if not (on_primary or child.CreateOnSecondary()):
        Fail("Child device %s of %s does not exist and is not created on"
             " secondary nodes", child, disk)
      cdev = _CreateTree(child, owner, on_primary, info, excl_stor, created)
    else:
      assembled = AssembleTree(child, owner, on_primary)
      if assembled is not True:
        cdev = assembled
    if on_primary or disk.AssembleOnSecondary():
      cdev.Open()
    children.append(cdev)

  device = _Bdev().Create(disk, children, excl_stor)
  created.append(device)
  if on_primary or disk.AssembleOnSecondary():
    device.Assemble()
    if on_primary or disk.OpenOnSecondary():
      device.Open(force=True)
    UpdateDevCache(device.dev_path, owner, on_primary, disk.iv_name)
  device.SetInfo(info)
  return device


def BlockdevCreate(disk, size: int, owner: str, on_primary: bool, info: str,
                   excl_stor: bool) -> list:
  """Creates a block device tree (blockdev_create).

  @param disk: the disk (physical_id set for this node)
  @param size: size in MiB of the top device
  @param owner: the instance's name
  @param on_primary: whether this node is the instance's primary
  @param info: text stored with the device (LV tag, ...)
  @param excl_stor: exclusive storage (one PV per LV)
  @return: the top device's unique_id, as a list
  @raise RPCFail: bad arguments or a storage error; devices this call
      created are removed again

  """
  disk = ToDisk(disk)
  disk.size = _CheckMiB(size, "size")
  created = []
  try:
    device = _CreateTree(disk, str(owner), bool(on_primary), info or "",
                         bool(excl_stor), created)
  except errors.BlockDeviceError as err:
    _RemoveQuietly(created)
    Fail("Cannot create block device %s: %s", disk, err)
  except RPCFail:
    _RemoveQuietly(created)
    raise
  return list(device.unique_id)


def BlockdevRemove(disk) -> None:
  """Removes a device tree (blockdev_remove); missing devices are fine.

  @raise RPCFail: some part could not be removed (all messages joined)

  """
  disk = ToDisk(disk)
  msgs = []
  try:
    device = FindTree(disk)
  except errors.BlockDeviceError as err:
    logging.info("Cannot look up %s before removing it: %s", disk, err)
    device = None
  if device is not None:
    dev_path = device.dev_path
    try:
      device.Remove()
    except errors.BlockDeviceError as err:
      msgs.append("Cannot remove %s: %s" % (disk, err))
    else:
      RemoveDevCache(dev_path)
  for child in disk.children or []:
    try:
      BlockdevRemove(child)
    except RPCFail as err:
      msgs.append(str(err))
  if msgs:
    Fail("; ".join(msgs))


def BlockdevAssemble(disk, owner: str, on_primary: bool, idx: int):
  """Activates a device tree (blockdev_assemble).

  @return: on the primary ``[dev_path, link_name]`` (the instance's disk
      symlink ``<owner>:<idx>`` is made), on a secondary True
  @raise RPCFail: the device cannot be assembled or linked

  """
  disk = ToDisk(disk)
  try:
    result = AssembleTree(disk, owner, bool(on_primary))
  except errors.BlockDeviceError as err:
    Fail("Cannot assemble block device %s: %s", disk, err, exc=True)
  if not on_primary:
    return True
  try:
    link_name = LinkDisk(owner, result.dev_path, idx)
  except EnvironmentError as err:
    Fail("Cannot make the symlink for disk %s of %s: %s", idx, owner, err)
  return [result.dev_path, link_name]


def BlockdevShutdown(disk) -> None:
  """Deactivates a device tree, parent before children (blockdev_shutdown).

  @raise RPCFail: some part could not be shut down (all messages joined)

  """
  disk = ToDisk(disk)
  msgs = []
  try:
    device = FindTree(disk)
  except errors.BlockDeviceError as err:
    device = None
    msgs.append("Cannot look up %s: %s" % (disk, err))
  if device is not None:
    dev_path = device.dev_path
    try:
      device.Shutdown()
    except errors.BlockDeviceError as err:
      msgs.append("Cannot shut down %s: %s" % (disk, err))
    else:
      RemoveDevCache(dev_path)
  for child in disk.children or []:
    try:
      BlockdevShutdown(child)
    except RPCFail as err:
      msgs.append(str(err))
  if msgs:
    Fail("; ".join(msgs))


def BlockdevFind(disk) -> Optional[dict]:
  """The status of an attached device, or None (blockdev_find).

  @return: objects.BlockDevStatus as a dict
  @raise RPCFail: storage error

  """
  disk = ToDisk(disk)
  try:
    device = FindTree(disk)
    if device is None:
      return None
    return device.GetSyncStatus().ToDict()
  except errors.BlockDeviceError as err:
    Fail("Cannot find block device %s: %s", disk, err, exc=True)


def BlockdevGetmirrorstatus(disks) -> list:
  """Combined sync status of each disk (blockdev_getmirrorstatus).

  @return: one ``[True, BlockDevStatus dict]`` or ``[False, reason]`` per
      disk, in order

  """
  result = []
  for disk in ToDiskList(disks):
    try:
      device = FindTree(disk)
      if device is None:
        result.append([False, "Cannot find block device %s" % disk])
        continue
      result.append([True, device.CombinedSyncStatus().ToDict()])
    except errors.BlockDeviceError as err:
      logging.error("Cannot get the mirror status of %s: %s", disk, err)
      result.append([False, "Cannot get the status of %s: %s" % (disk, err)])
  return result


def BlockdevGetsize(disks) -> List[Optional[int]]:
  """The real size in bytes of each disk, None where unknown
  (blockdev_getsize).

  """
  result = []
  for disk in ToDiskList(disks):
    try:
      device = FindTree(disk)
      result.append(None if device is None else device.GetActualSize())
    except errors.BlockDeviceError as err:
      logging.warning("Cannot get the size of %s: %s", disk, err)
      result.append(None)
  return result


def BlockdevGrow(disk, amount: int, dryrun: bool, backingstore: bool) -> None:
  """Grows a device by ``amount`` MiB (blockdev_grow).

  @param dryrun: only check that the growth is possible
  @param backingstore: grow the backing storage (LVs) rather than the
      device on top (DRBD)
  @raise RPCFail: device missing or the growth failed

  """
  disk = ToDisk(disk)
  amount = _CheckMiB(amount, "amount")
  if amount < 0:
    Fail("Cannot grow %s by a negative amount (%d MiB)", disk, amount)
  device = _FindOrFail(disk, "growing")
  try:
    device.Grow(amount, bool(dryrun), bool(backingstore))
  except errors.BlockDeviceError as err:
    Fail("Failed to grow block device %s: %s", disk, err, exc=True)


def BlockdevRename(devlist) -> None:
  """Renames devices (blockdev_rename).

  @param devlist: list of ``[disk, new unique_id]``
  @raise RPCFail: some device missing or not renamed (all messages joined)

  """
  if isinstance(devlist, (str, dict)) or not isinstance(devlist,
                                                        (list, tuple)):
    Fail("Invalid rename list: expected a list of [disk, new id]")
  msgs = []
  for entry in devlist:
    if not isinstance(entry, (list, tuple)) or len(entry) != 2:
      Fail("Invalid rename entry %r: expected [disk, new id]", entry)
    (disk, new_id) = (ToDisk(entry[0]), tuple(entry[1]))
    try:
      device = FindTree(disk)
      if device is None:
        msgs.append("Cannot find device %s to rename it" % disk)
        continue
      old_path = device.dev_path
      device.Rename(new_id)
      if device.dev_path != old_path:
        RemoveDevCache(old_path)
    except errors.BlockDeviceError as err:
      msgs.append("Cannot rename %s to %s: %s" % (disk, new_id, err))
  if msgs:
    Fail("; ".join(msgs))


def BlockdevClose(instance_name: Optional[str], disks) -> None:
  """Closes devices (secondary mode for DRBD) and drops the instance's
  disk symlinks (blockdev_close).

  @raise RPCFail: a device is missing or cannot be closed

  """
  disks = ToDiskList(disks)
  devices = [_FindOrFail(disk, "closing") for disk in disks]
  msgs = []
  for device in devices:
    try:
      device.Close()
    except errors.BlockDeviceError as err:
      msgs.append(str(err))
  if msgs:
    Fail("Cannot close (make secondary) the devices: %s", ", ".join(msgs))
  if instance_name:
    RemoveDiskLinks(instance_name, len(disks))


# Wiping

def WipeChunkSize(size_mib: int) -> int:
  """MiB wiped per dd run for a range of ``size_mib``."""
  return max(1, min(MAX_WIPE_CHUNK,
                    int(size_mib * MIN_WIPE_CHUNK_PERCENT / 100)))


def _SupportsDirectIo(path: str) -> bool:
  """Whether ``path`` can be opened for writing with O_DIRECT."""
  flag = getattr(os, "O_DIRECT", None)
  if flag is None:
    return False
  try:
    fd = os.open(path, os.O_WRONLY | flag)
  except OSError as err:
    if err.errno == errno.EINVAL:
      return False
    Fail("Cannot open %s for wiping: %s", path, err)
  os.close(fd)
  return True


def WipeCommands(path: str, offset: int, size: int,
                 direct: bool) -> List[List[str]]:
  """The dd command lines wiping ``size`` MiB of ``path`` from ``offset``."""
  chunk = WipeChunkSize(size)
  cmds = []
  done = 0
  while done < size:
    count = min(chunk, size - done)
    cmd = [DD_CMD, "if=/dev/zero", "of=%s" % path, "bs=%d" % _WIPE_BLOCK_SIZE,
           "seek=%d" % (offset + done), "count=%d" % count]
    if direct:
      cmd.append("oflag=direct")
    # never truncate a file-backed device after the wiped range
    cmd.append("conv=notrunc")
    cmds.append(cmd)
    done += count
  return cmds


def BlockdevWipe(disk, offset: int, size: int) -> None:
  """Overwrites ``size`` MiB of a device with zeros from ``offset`` MiB
  (blockdev_wipe).

  @raise RPCFail: device missing, range outside the device, dd failing

  """
  disk = ToDisk(disk)
  offset = _CheckMiB(offset, "offset")
  size = _CheckMiB(size, "size")
  if offset < 0:
    Fail("Cannot wipe %s: negative offset %d", disk, offset)
  if size < 0:
    Fail("Cannot wipe %s: negative size %d", disk, size)
  try:
    device = FindTree(disk)
  except errors.BlockDeviceError as err:
    Fail("Cannot wipe %s: %s", disk, err)
  if device is None:
    Fail("Cannot wipe device %s: device not found", disk.iv_name or disk)
  dev_size = device.size
  if offset > dev_size:
    Fail("Cannot wipe %s: offset %d MiB is beyond the device's size (%d"
         " MiB)", disk, offset, dev_size)
  if offset + size > dev_size:
    Fail("Cannot wipe %s: offset %d MiB and size %d MiB go beyond the"
         " device's size (%d MiB)", disk, offset, size, dev_size)
  if size == 0:
    return
  path = device.dev_path
  for cmd in WipeCommands(path, offset, size, _SupportsDirectIo(path)):
    result = utils.RunCmd(cmd)
    if result.failed:
      Fail("Wipe command '%s' failed (%s): %s", result.cmd,
           result.fail_reason, result.output.strip())


# DRBD network calls

def _FindDrbdDisks(nodes_ip, disks) -> list:
  """The attached devices of ``disks``, physical ids set for this node."""
  if not isinstance(nodes_ip, dict):
    Fail("Invalid node address map %r: expected a dict", nodes_ip)
  disks = ToDiskList(disks)
  my_name = GetMyName()
  for disk in disks:
    try:
      disk.SetPhysicalID(my_name, nodes_ip)
    except errors.ConfigurationError as err:
      Fail("Cannot compute the local view of %s: %s", disk, err)
  return [_FindOrFail(disk, "a DRBD network change") for disk in disks]


def DrbdDisconnectNet(nodes_ip, disks) -> None:
  """Puts DRBD devices in standalone mode (drbd_disconnect_net).

  @raise RPCFail: a device is missing or refuses

  """
  for device in _FindDrbdDisks(nodes_ip, disks):
    try:
      device.DisconnectNet()
    except errors.BlockDeviceError as err:
      Fail("Cannot switch %s to standalone mode: %s", device.dev_path, err,
           exc=True)


def DrbdAttachNet(nodes_ip, disks, instance_name: str,
                  multimaster: bool, _timeout=DRBD_ATTACH_TIMEOUT) -> None:
  """Connects DRBD devices to their peers (drbd_attach_net).

  In multi-master mode (live migration) the instance's disk symlinks are
  made and the devices switched to primary once connected.  A device that
  drops to standalone while the peers reconfigure is attached again.

  @raise RPCFail: a device is missing, refuses, or does not connect within
      the timeout

  """
  devices = _FindDrbdDisks(nodes_ip, disks)
  if multimaster:
    for (idx, device) in enumerate(devices):
      try:
        LinkDisk(instance_name, device.dev_path, idx)
      except EnvironmentError as err:
        Fail("Cannot make the symlink for disk %d of %s: %s", idx,
             instance_name, err)
  for device in devices:
    try:
      device.AttachNet(bool(multimaster))
    except errors.BlockDeviceError as err:
      Fail("Cannot attach %s to the network: %s", device.dev_path, err)

  def _Check():
    connected = True
    for device in devices:
      status = device.GetProcStatus()
      connected = connected and (status.is_connected or status.is_in_resync)
      if status.is_standalone:
        try:
          device.AttachNet(bool(multimaster))
        except errors.BlockDeviceError as err:
          Fail("Cannot attach %s to the network: %s", device.dev_path, err)
    if not connected:
      raise utils.RetryAgain()

  try:
    utils.Retry(_Check, (0.1, 1.5, 5.0), _timeout)
  except utils.RetryTimeout:
    Fail("Timeout while waiting for the DRBD devices to connect")
  if multimaster:
    for device in devices:
      try:
        device.Open()
      except errors.BlockDeviceError as err:
        Fail("Cannot switch %s to primary mode: %s", device.dev_path, err)


def DrbdWaitSync(nodes_ip, disks, _wait=DRBD_CONNECT_WAIT) -> list:
  """Reports the resync of DRBD devices (drbd_wait_sync).

  @return: ``[all done, lowest sync percentage]``
  @raise RPCFail: a device is missing or stays disconnected

  """
  def _Connected(device):
    status = device.GetProcStatus()
    if not (status.is_connected or status.is_in_resync):
      raise utils.RetryAgain()
    return status

  alldone = True
  min_resync = 100
  for device in _FindDrbdDisks(nodes_ip, disks):
    try:
      status = utils.Retry(_Connected, 1, _wait, args=[device])
    except utils.RetryTimeout:
      Fail("DRBD device %s is neither connected nor resyncing",
           device.dev_path)
    alldone = alldone and not status.is_in_resync
    if status.sync_percent is not None:
      min_resync = min(min_resync, status.sync_percent)
  return [alldone, min_resync]


# Instance directories of the file and sharedfile templates

def _FileStorageDirCall(fn, what: str, *paths) -> None:
  for path in paths:
    if not isinstance(path, str) or not path:
      Fail("Invalid file storage directory %r for %s", path, what)
  try:
    fn(*paths)
  except errors.BlockDeviceError as err:
    Fail("Cannot %s file storage directory: %s", what, err)


def FileStorageDirCreate(path: str) -> None:
  """Creates an instance's directory for file disks (file_storage_dir_create).

  @raise RPCFail: the path is outside the storage directories, or exists
      and is no directory, or cannot be made

  """
  _FileStorageDirCall(_Filestorage().CreateFileStorageDir, "create", path)


def FileStorageDirRemove(path: str) -> None:
  """Removes an instance's empty directory (file_storage_dir_remove).

  @raise RPCFail: the path is refused, or the directory is not empty

  """
  _FileStorageDirCall(_Filestorage().RemoveFileStorageDir, "remove", path)


def FileStorageDirRename(old_path: str, new_path: str) -> None:
  """Renames an instance's directory (file_storage_dir_rename).

  @raise RPCFail: paths refused or the rename failed

  """
  _FileStorageDirCall(_Filestorage().RenameFileStorageDir, "rename",
                      old_path, new_path)


def _Filestorage():
  from ganeti.storage import filestorage  # pylint: disable=C0415
  return filestorage
