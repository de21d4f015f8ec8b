"""The abstract block device every storage type of the node derives from.

Layer 3 (node side).  A BlockDev stands for one device on this node,
identified by the ``unique_id`` the master computed for the node (the
disk's physical_id), with its already-built children (DRBD's backing
volumes).  Its life cycle is: Create (classmethod, makes a new device) or
the constructor plus Attach (finds an existing one), Assemble (makes it
usable), Open/Close (primary/secondary for mirrored devices), Shutdown
(stops using it) and Remove (destroys it).

Every failure raises errors.BlockDeviceError, through ThrowError, with a
message naming the device and, for external commands, their output.  All
commands run through a runner (utils.RunCmd by default); device classes
accept ``_run_cmd`` so tests can record the exact argument lists.
"""

import logging
from typing import Callable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils


#: Signature of a command runner: takes the argument list, returns a
#: utils.RunResult
Runner = Callable[[List[str]], "utils.RunResult"]


def ThrowError(msg: str, *args) -> None:
  """Logs and raises errors.BlockDeviceError with a formatted message.

  @raise errors.BlockDeviceError: always

  """
  if args:
    msg = msg % args
  logging.error(msg)
  raise errors.BlockDeviceError(msg)


def IgnoreError(fn, *args, **kwargs) -> bool:
  """Calls ``fn``, logging instead of raising a BlockDeviceError.

  @return: whether the call succeeded

  """
  try:
    fn(*args, **kwargs)
    return True
  except errors.BlockDeviceError as err:
    logging.warning("Ignoring error of %s: %s",
                    getattr(fn, "__name__", fn), err)
    return False


def RunCommand(cmd: List[str], runner: Optional[Runner] = None,
               env=None) -> "utils.RunResult":
  """Runs an external command for a device.

  With no ``runner`` the command goes to utils.RunCmd with ``env``; a
  missing program becomes a BlockDeviceError instead of an OpExecError.

  """
  if runner is not None:
    return runner(cmd)
  try:
    return utils.RunCmd(cmd, env=env)
  except errors.OpExecError as err:
    ThrowError("Cannot run '%s': %s", utils.ShellQuoteArgs(cmd), err)


def FormatFailure(result) -> str:
  """One-line description of a failed command: command, reason, output."""
  return "'%s' failed (%s): %s" % (result.cmd, result.fail_reason,
                                   result.output.strip())


class BlockDev(object):
  """A block device of this node.

  @ivar unique_id: the device's identity on this node (the physical_id)
  @ivar children: the child devices (BlockDev or None for a missing one)
  @ivar size: size in MiB as recorded in the configuration
  @ivar params: the disk's filled disk parameters (constants.LDP_*)
  @ivar dev_path: path of the device node (or file) once known
  @ivar major: kernel major number, None when unknown
  @ivar minor: kernel minor number, None when unknown
  @ivar attached: whether the device was found on the node

  """
  #: Environment given to this device type's commands
  _CMD_ENV: Optional[dict] = None

  def __init__(self, unique_id, children, size, params,
               _run_cmd: Optional[Runner] = None):
    self.unique_id = unique_id
    self.children = list(children or [])
    self.size = size
    self.params = dict(params or {})
    self.dev_path: Optional[str] = None
    self.major: Optional[int] = None
    self.minor: Optional[int] = None
    self.attached = False
    self._run_cmd = _run_cmd

  def __repr__(self):
    return ("<%s: unique_id=%r, children=%r, dev_path=%r, attached=%s,"
            " major=%r, minor=%r>" %
            (self.__class__.__name__, self.unique_id, self.children,
             self.dev_path, self.attached, self.major, self.minor))

  # -- helpers for subclasses -------------------------------------------

  def _Run(self, cmd: List[str]):
    """Runs a command with this device's runner and environment."""
    return RunCommand(cmd, runner=self._run_cmd, env=self._CMD_ENV)

  def _Name(self) -> str:
    """How error messages name this device."""
    return self.dev_path or repr(self.unique_id)

  # -- life cycle ---------------------------------------------------------

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd: Optional[Runner] = None) -> "BlockDev":
    """Creates a new device on the node and returns it attached.

    ``children`` are already created.

    @raise errors.BlockDeviceError: creation failed or is not possible

    """
    raise errors.ProgrammerError("Device type %s does not implement Create" %
                                 cls.__name__)

  def Attach(self) -> bool:
    """Finds the device on the node, filling dev_path, major and minor.

    @return: whether it was found (also stored in ``attached``)

    """
    raise errors.ProgrammerError("Device type %s does not implement Attach" %
                                 self.__class__.__name__)

  def Assemble(self) -> None:
    """Makes the device usable (activation); children are assembled.

    The default does nothing, for devices that are always usable.

    """

  def Open(self, force: bool = False) -> None:
    """Makes the device ready for I/O (primary role for mirrors)."""

  def Close(self) -> None:
    """Notifies the device that it is no longer used for I/O."""

  def Shutdown(self) -> None:
    """Stops using the device; it is left intact for a later Assemble."""

  def Remove(self) -> None:
    """Destroys the device and its data."""
    raise errors.ProgrammerError("Device type %s does not implement Remove" %
                                 self.__class__.__name__)

  def Rename(self, new_id) -> None:
    """Gives the device a new identity (unique_id)."""
    ThrowError("Device %s (%s) cannot be renamed", self._Name(),
               self.__class__.__name__)

  def Grow(self, amount_mib: int, dryrun: bool, backingstore: bool) -> None:
    """Grows the device by ``amount_mib``.

    @param dryrun: only check that growing is possible
    @param backingstore: whether to grow the backing storage (leaf
        devices act only then) or the device above it (DRBD)

    """
    ThrowError("Device %s (%s) cannot be grown", self._Name(),
               self.__class__.__name__)

  def Snapshot(self, snap_size: int):
    """Creates a snapshot for an export; only logical volumes can."""
    ThrowError("Device %s (%s) does not support snapshots", self._Name(),
               self.__class__.__name__)

  def SetInfo(self, text: str) -> None:
    """Records ``text`` (the owning instance) on the device, if possible."""

  # -- synchronisation ----------------------------------------------------

  def SetSyncParams(self, params) -> List[str]:
    """Applies resync parameters to the device and its children.

    @return: list of error messages, empty on success

    """
    result = []
    for child in self.children:
      if child is not None:
        result.extend(child.SetSyncParams(params))
    return result

  def PauseResumeSync(self, pause: bool) -> bool:
    """Pauses or resumes the resync of the device and its children.

    @return: whether every device accepted

    """
    result = True
    for child in self.children:
      if child is not None:
        result = child.PauseResumeSync(pause) and result
    return result

  def GetSyncStatus(self) -> objects.BlockDevStatus:
    """Returns the device's own mirror status.

    A non-mirrored device is never syncing, never degraded and its local
    disk is fine.

    """
    return objects.BlockDevStatus(dev_path=self.dev_path, major=self.major,
                                  minor=self.minor, sync_percent=None,
                                  estimated_time=None, is_degraded=False,
                                  ldisk_status=constants.LDS_OKAY)

  def CombinedSyncStatus(self) -> objects.BlockDevStatus:
    """Returns the status of the device merged with its children's.

    The least synced percentage, the longest estimated time, degraded if
    any part is, and the worst local disk status.

    """
    status = self.GetSyncStatus()
    percent = status.sync_percent
    est_time = status.estimated_time
    degraded = status.is_degraded
    ldisk = status.ldisk_status
    for child in self.children:
      if child is None:
        continue
      cstatus = child.GetSyncStatus()
      if cstatus.sync_percent is not None:
        percent = (cstatus.sync_percent if percent is None
                   else min(percent, cstatus.sync_percent))
      if cstatus.estimated_time is not None:
        est_time = (cstatus.estimated_time if est_time is None
                    else max(est_time, cstatus.estimated_time))
      degraded = bool(degraded or cstatus.is_degraded)
      if cstatus.ldisk_status is not None:
        ldisk = (cstatus.ldisk_status if ldisk is None
                 else max(ldisk, cstatus.ldisk_status))
    return objects.BlockDevStatus(dev_path=self.dev_path, major=self.major,
                                  minor=self.minor, sync_percent=percent,
                                  estimated_time=est_time,
                                  is_degraded=degraded, ldisk_status=ldisk)

  # -- size -----------------------------------------------------------------

  def GetActualSize(self) -> int:
    """Returns the size of the device in bytes, asking the kernel.

    @raise errors.BlockDeviceError: device not attached or the size
        cannot be read

    """
    if not self.attached or not self.dev_path:
      ThrowError("Cannot get the size of device %s: not attached",
                 self._Name())
    result = self._Run(["blockdev", "--getsize64", self.dev_path])
    if result.failed:
      ThrowError("Cannot get the size of device %s: %s", self.dev_path,
                 FormatFailure(result))
    try:
      return int(result.stdout.strip())
    except ValueError:
      ThrowError("Cannot get the size of device %s: invalid output of"
                 " '%s': %r", self.dev_path, result.cmd, result.output)
