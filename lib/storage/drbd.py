"""DRBD 8 mirrored block devices (constants.LD_DRBD8).

Layer 3 (node side).  DRBD8Dev is the local half of a network mirror
between two nodes.  Its unique_id (the disk's physical_id for this node)
is (local ip, local port, remote ip, remote port, minor, secret); its
children are the data and the meta data logical volumes, or none when the
device runs diskless.  The node learns what the kernel has from /proc/drbd
(drbd_info.DRBD8Info: module version, connection state, roles, disk
states, resync progress) and ``drbdsetup show`` (drbd_info.DRBD8ShowInfo:
the disk and network a minor is really configured with), and changes it
with drbdsetup and drbdmeta, whose syntax (8.0-8.3 or 8.4) is chosen from
the module version (drbd_cmdgen).

Life cycle: Create initialises the meta data (after checking and wiping
the meta device); Assemble attaches the local disk and the network,
repairing a half-configured minor; Open/Close switch primary/secondary;
DisconnectNet/AttachNet take the network down and up (multi-master for
live migration); Shutdown and Remove take the minor down; Grow resizes
after the data volume grew; Rename keeps the minor and changes the
peer/secret.  Every command goes through the device's runner (utils.RunCmd
unless a test injects one) and every failure is an errors.BlockDeviceError
naming the minor and the command's output.
"""

import logging
import time
from typing import Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import utils
from ganeti.storage import base
from ganeti.storage import drbd_cmdgen
from ganeti.storage import drbd_info

# Re-exported for callers that only import this module
DRBD8Info = drbd_info.DRBD8Info
DRBD8Status = drbd_info.DRBD8Status
DRBD8ShowInfo = drbd_info.DRBD8ShowInfo

#: Highest minor handed out by FindUnusedMinor
MAX_MINORS = 255

#: Size limits of the meta data device (bytes): DRBD needs 128 MiB for
#: external meta data of up to 4 TiB; more than 1 GiB is a configuration
#: error (a data volume given as meta device, say)
META_SIZE_MIN = 128 * 1024 * 1024
META_SIZE_MAX = 1024 * 1024 * 1024

_MIB = 1024 * 1024


def _CheckUniqueId(unique_id):
  """Validates a DRBD physical id and returns it as a tuple."""
  if not isinstance(unique_id, (tuple, list)) or len(unique_id) != 6:
    base.ThrowError("Invalid DRBD device id %r: expected (local ip, local"
                    " port, remote ip, remote port, minor, secret)",
                    unique_id)
  (lhost, lport, rhost, rport, minor, secret) = unique_id
  if isinstance(minor, bool) or not isinstance(minor, int) or minor < 0:
    base.ThrowError("Invalid DRBD minor %r in device id %r", minor,
                    unique_id)
  for port in (lport, rport):
    if port is not None and (isinstance(port, bool) or
                             not isinstance(port, int) or
                             not 0 < port < 65536):
      base.ThrowError("Invalid DRBD port %r in device id %r", port,
                      unique_id)
  if lhost is not None and lhost == rhost and lport == rport:
    base.ThrowError("Invalid DRBD device id %r: local and remote address"
                    " are the same", unique_id)
  return (lhost, lport, rhost, rport, minor, secret)


def _AddressFamily(lhost: str, rhost: str) -> str:
  """"ipv4" or "ipv6" for a pair of addresses of the same family."""
  if netutils.IP6Address.IsValid(lhost):
    if not netutils.IP6Address.IsValid(rhost):
      base.ThrowError("DRBD addresses of different families: %s and %s",
                      lhost, rhost)
    return "ipv6"
  if netutils.IP4Address.IsValid(lhost):
    if not netutils.IP4Address.IsValid(rhost):
      base.ThrowError("DRBD addresses of different families: %s and %s",
                      lhost, rhost)
    return "ipv4"
  base.ThrowError("Invalid DRBD local address %r", lhost)


def ReadProcInfo(proc_file: str = drbd_info.PROC_DRBD) -> DRBD8Info:
  """Parses the kernel's DRBD status file; BlockDeviceError if missing."""
  return DRBD8Info.CreateFromFile(filename=proc_file)


def GetUsedMinors(proc_file: str = drbd_info.PROC_DRBD) -> List[int]:
  """The configured minors of this node."""
  return ReadProcInfo(proc_file).GetUsedMinors()


def FindUnusedMinor(proc_file: str = drbd_info.PROC_DRBD) -> int:
  """The lowest minor that is not configured.

  @raise errors.BlockDeviceError: every minor up to MAX_MINORS is in use

  """
  used = set(GetUsedMinors(proc_file))
  for minor in range(MAX_MINORS + 1):
    if minor not in used:
      return minor
  base.ThrowError("No free DRBD minor: all %d are in use", MAX_MINORS + 1)


def GetUsermodeHelper(filename: str = drbd_info.USERMODE_HELPER_FILE) -> str:
  """The usermode helper the kernel module calls."""
  return drbd_info.GetUsermodeHelper(filename=filename)


def CheckUsermodeHelper(expected: str,
                        filename: str = drbd_info.USERMODE_HELPER_FILE
                        ) -> str:
  """Checks the module's usermode helper against the cluster's."""
  return drbd_info.CheckUsermodeHelper(expected, filename=filename)


class DRBD8Dev(base.BlockDev):
  """The local half of a DRBD 8 mirror.

  @ivar version: the module version (DRBD8Info.GetVersion)

  """
  #: Seconds to wait for the kernel to show a new network configuration
  NET_CHECK_TIMEOUT = 10.0
  #: Seconds to wait for a device to go standalone on DisconnectNet
  NET_RECONFIG_TIMEOUT = 60.0

  def __init__(self, unique_id, children, size, params, _run_cmd=None,
               _proc_file: Optional[str] = None):
    unique_id = _CheckUniqueId(unique_id)
    children = list(children or [])
    if children and None in children:
      # a backing volume is missing: run diskless
      children = []
    if len(children) not in (0, 2):
      base.ThrowError("drbd%d: a DRBD device needs two children (data and"
                      " meta), got %d", unique_id[4], len(children))
    base.BlockDev.__init__(self, unique_id, children, size, params,
                           _run_cmd=_run_cmd)
    (self._lhost, self._lport, self._rhost, self._rport, self._aminor,
     self._secret) = unique_id
    self._proc_file = _proc_file or drbd_info.PROC_DRBD
    self.version = ReadProcInfo(self._proc_file).GetVersion()
    self._cmd_gen = drbd_cmdgen.GetCmdGenerator(self.version)
    self.Attach()

  # -- kernel state ---------------------------------------------------------

  def _ProcInfo(self) -> DRBD8Info:
    return ReadProcInfo(self._proc_file)

  def _MinorInUse(self, minor: int) -> bool:
    info = self._ProcInfo()
    return (info.HasMinorStatus(minor) and
            info.GetMinorStatus(minor).is_in_use)

  def GetProcStatus(self) -> DRBD8Status:
    """The /proc/drbd status of this (attached) device."""
    if self.minor is None:
      base.ThrowError("drbd%d: GetProcStatus() called while not attached",
                      self._aminor)
    info = self._ProcInfo()
    if not info.HasMinorStatus(self.minor):
      base.ThrowError("drbd%d: cannot find the minor in %s", self.minor,
                      self._proc_file)
    return info.GetMinorStatus(self.minor)

  def _GetShowData(self, minor: int) -> Optional[str]:
    """What ``drbdsetup show`` prints for the minor, None on failure."""
    result = self._Run(self._cmd_gen.GenShowCmd(minor))
    if result.failed:
      logging.error("drbd%d: cannot read the configuration: %s", minor,
                    base.FormatFailure(result))
      return None
    return result.stdout

  def _GetDevInfo(self, minor: int) -> Dict[str, object]:
    return DRBD8ShowInfo.GetDevInfo(self._GetShowData(minor))

  def _HasNet(self) -> bool:
    return None not in (self._lhost, self._lport, self._rhost, self._rport)

  def _MatchesLocal(self, info: Dict[str, object]) -> bool:
    """Whether the minor's disk configuration is our children's."""
    if self.children:
      (data, meta) = self.children
      return (info.get("local_dev") == data.dev_path and
              info.get("meta_dev") == meta.dev_path and
              info.get("meta_index", -1) in (0, None))
    return "local_dev" not in info and "meta_dev" not in info

  def _MatchesNet(self, info: Dict[str, object]) -> bool:
    """Whether the minor's network configuration is our unique_id's."""
    if not self._HasNet():
      return "local_addr" not in info and "remote_addr" not in info
    return (info.get("local_addr") == (self._lhost, self._lport) and
            info.get("remote_addr") == (self._rhost, self._rport))

  def _SetFromMinor(self, minor: Optional[int]) -> None:
    if minor is None:
      self.dev_path = None
      self.major = None
      self.minor = None
      self.attached = False
    else:
      self.dev_path = drbd_cmdgen.DevPath(minor)
      self.major = drbd_cmdgen.DRBD_MAJOR
      self.minor = minor
      self.attached = True

  def Attach(self) -> bool:
    """Finds our minor among the configured ones of /proc/drbd."""
    try:
      in_use = self._MinorInUse(self._aminor)
    except errors.BlockDeviceError as err:
      logging.error("drbd%d: cannot read the DRBD status: %s", self._aminor,
                    err)
      in_use = False
    self._SetFromMinor(self._aminor if in_use else None)
    return self.attached

  # -- configuring the minor ------------------------------------------------

  def _RunOrFail(self, cmd: List[str], what: str, minor: int) -> None:
    result = self._Run(cmd)
    if result.failed:
      base.ThrowError("drbd%d: %s: %s", minor, what,
                      base.FormatFailure(result))

  def _EnsureMinor(self, minor: int) -> None:
    """Creates the minor first where the DRBD release wants that (8.4)."""
    cmds = self._cmd_gen.GenNewMinorCmds(minor)
    if cmds and not self._MinorInUse(minor):
      for cmd in cmds:
        self._RunOrFail(cmd, "cannot create the device", minor)

  def _AssembleLocal(self, minor: int, data_dev: str, meta_dev: str,
                     size_mib: Optional[int]) -> None:
    """Attaches the local data and meta devices to the minor."""
    self._EnsureMinor(minor)
    for cmd in self._cmd_gen.GenLocalInitCmds(minor, data_dev, meta_dev,
                                              size_mib, self.params):
      self._RunOrFail(cmd, "cannot attach the local disk", minor)

  def _AssembleNet(self, minor: int, dual_pri: bool = False) -> None:
    """Configures the network of the minor and waits until the kernel
    shows it; without network data, makes sure there is no network."""
    if not self._HasNet():
      self._ShutdownNet(minor)
      return
    family = _AddressFamily(self._lhost, self._rhost)
    self._EnsureMinor(minor)
    cmds = self._cmd_gen.GenNetInitCmds(
      minor, family, self._lhost, self._lport, self._rhost, self._rport,
      constants.DRBD_NET_PROTOCOL, dual_pri,
      constants.DRBD_HMAC_ALG if self._secret else None, self._secret,
      self.params)
    for cmd in cmds:
      self._RunOrFail(cmd, "cannot set up the network", minor)

    def _Check():
      if not self._MatchesNet(self._GetDevInfo(minor)):
        raise utils.RetryAgain()

    try:
      utils.Retry(_Check, 1.0, self.NET_CHECK_TIMEOUT)
    except utils.RetryTimeout:
      base.ThrowError("drbd%d: timeout while configuring the network (the"
                      " kernel does not show %s:%s - %s:%s)", minor,
                      self._lhost, self._lport, self._rhost, self._rport)

  def _ShutdownLocal(self, minor: int) -> None:
    self._RunOrFail(self._cmd_gen.GenDetachCmd(minor),
                    "cannot detach the local disk", minor)

  def _ShutdownNet(self, minor: int) -> None:
    """Disconnects the minor.  Without network data in our id, the
    addresses the kernel has are used (DRBD 8.4 names them); a minor
    without network is left alone then."""
    if self._HasNet():
      addrs = (self._lhost, self._lport, self._rhost, self._rport)
    else:
      info = self._GetDevInfo(minor)
      if "local_addr" not in info or "remote_addr" not in info:
        return
      addrs = info["local_addr"] + info["remote_addr"]
    family = _AddressFamily(addrs[0], addrs[2])
    self._RunOrFail(self._cmd_gen.GenDisconnectCmd(minor, family, *addrs),
                    "cannot shut down the network", minor)

  def _ShutdownAll(self, minor: int) -> None:
    self._RunOrFail(self._cmd_gen.GenDownCmd(minor),
                    "cannot shut down the device", minor)

  # -- life cycle -----------------------------------------------------------

  @classmethod
  def _CheckMetaSize(cls, meta_dev: str, runner) -> int:
    """Checks the meta device's size; returns it in bytes."""
    result = base.RunCommand(["blockdev", "--getsize64", meta_dev],
                             runner=runner)
    if result.failed:
      base.ThrowError("Cannot get the size of meta device %s: %s", meta_dev,
                      base.FormatFailure(result))
    try:
      size = int(result.stdout.strip())
    except ValueError:
      base.ThrowError("Invalid output of '%s': %r", result.cmd,
                      result.output)
    if size < META_SIZE_MIN:
      base.ThrowError("Meta device %s too small (%.2f MiB, at least %d MiB"
                      " needed)", meta_dev, size / _MIB,
                      META_SIZE_MIN // _MIB)
    if size > META_SIZE_MAX:
      base.ThrowError("Meta device %s too big (%.2f MiB, at most %d MiB"
                      " allowed)", meta_dev, size / _MIB,
                      META_SIZE_MAX // _MIB)
    return size

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None, _proc_file: Optional[str] = None) -> "DRBD8Dev":
    """Initialises the meta data of a new device and returns it.

    The minor must be free.  The meta device is assembled, its size
    checked, wiped with zeroes (so drbdmeta finds no old signature) and
    given fresh DRBD meta data.  The device is not assembled.

    """
    (_, _, _, _, minor, _) = _CheckUniqueId(unique_id)
    children = list(children or [])
    if len(children) != 2 or None in children:
      base.ThrowError("drbd%d: cannot create a DRBD device without its data"
                      " and meta devices", minor)
    if excl_stor:
      base.ThrowError("drbd%d: DRBD devices do not support exclusive"
                      " storage", minor)
    proc_file = _proc_file or drbd_info.PROC_DRBD
    info = ReadProcInfo(proc_file)
    cmd_gen = drbd_cmdgen.GetCmdGenerator(info.GetVersion())
    if info.HasMinorStatus(minor) and info.GetMinorStatus(minor).is_in_use:
      base.ThrowError("drbd%d: minor is already in use at Create() time",
                      minor)
    meta = children[1]
    meta.Assemble()
    if not meta.Attach() or not meta.dev_path:
      base.ThrowError("drbd%d: cannot find the meta device %r", minor, meta)
    meta_size = cls._CheckMetaSize(meta.dev_path, _run_cmd)
    wipe = ["dd", "if=/dev/zero", "of=%s" % meta.dev_path, "bs=1M",
            "count=%d" % (meta_size // _MIB), "oflag=direct"]
    result = base.RunCommand(wipe, runner=_run_cmd)
    if result.failed:
      base.ThrowError("drbd%d: cannot wipe the meta device %s: %s", minor,
                      meta.dev_path, base.FormatFailure(result))
    result = base.RunCommand(cmd_gen.GenInitMetaCmd(minor, meta.dev_path),
                             runner=_run_cmd)
    if result.failed:
      base.ThrowError("drbd%d: cannot initialise the meta data on %s: %s",
                      minor, meta.dev_path, base.FormatFailure(result))
    return cls(unique_id, children, size_mib, params, _run_cmd=_run_cmd,
               _proc_file=proc_file)

  def Assemble(self) -> None:
    """Brings the minor to our configuration: local disk (unless
    diskless) and network (unless the id has none), then sync params.

    A minor that is not configured at all is set up directly; one that
    is configured is checked with ``drbdsetup show`` and completed or
    corrected.

    """
    self.Attach()
    if self.minor is None:
      self._FastAssemble()
    else:
      self._SlowAssemble()
    msgs = self.SetSyncParams(self.params)
    if msgs:
      base.ThrowError("drbd%d: cannot set the synchronization parameters:"
                      " %s", self._aminor, "; ".join(msgs))

  def _FastAssemble(self) -> None:
    minor = self._aminor
    if self.children:
      self._AssembleLocal(minor, self.children[0].dev_path,
                          self.children[1].dev_path, self.size)
    if self._HasNet():
      self._AssembleNet(minor)
    self._SetFromMinor(minor)

  def _SlowAssemble(self) -> None:
    minor = self._aminor
    info = self._GetDevInfo(minor)
    match_l = self._MatchesLocal(info)
    match_r = self._MatchesNet(info)
    if not match_l and "local_dev" not in info and self.children:
      # network only (diskless so far): attach our disk
      self._AssembleLocal(minor, self.children[0].dev_path,
                          self.children[1].dev_path, self.size)
      info = self._GetDevInfo(minor)
      match_l = self._MatchesLocal(info)
      if not match_l:
        base.ThrowError("drbd%d: the local disk was attached, but"
                        " 'drbdsetup show' does not show it", minor)
    if not match_l:
      base.ThrowError("drbd%d: the minor is in use with another local disk"
                      " (%s, meta %s) than ours", minor,
                      info.get("local_dev"), info.get("meta_dev"))
    if match_r:
      self._SetFromMinor(minor)
      return
    if "local_addr" in info:
      # our disk, but connected to another peer: reconnect to ours
      try:
        self._ShutdownNet(minor)
      except errors.BlockDeviceError as err:
        base.ThrowError("drbd%d: the device has our local disk but another"
                        " peer, and cannot be disconnected: %s", minor, err)
    self._AssembleNet(minor)
    self._SetFromMinor(minor)

  def Shutdown(self) -> None:
    """Takes the minor down (disk and network); fine when not there."""
    if self.minor is None and not self.Attach():
      logging.info("drbd%d: not attached during Shutdown()", self._aminor)
      return
    minor = self.minor
    self._SetFromMinor(None)
    self._ShutdownAll(minor)

  def Remove(self) -> None:
    """Removing a DRBD device means shutting it down; the meta data goes
    with the meta volume."""
    self.Shutdown()

  def Rename(self, new_id) -> None:
    """Changes the peer, ports or secret; the minor must stay the same.

    A device whose network is configured must be disconnected first
    (DisconnectNet) when the network part changes; the new network is set
    up by the next AttachNet or Assemble.

    """
    new_id = _CheckUniqueId(new_id)
    if new_id[4] != self._aminor:
      base.ThrowError("drbd%d: cannot change the minor of a DRBD device to"
                      " %d", self._aminor, new_id[4])
    if (self.minor is not None and new_id[:4] != self.unique_id[:4] and
        "local_addr" in self._GetDevInfo(self.minor)):
      base.ThrowError("drbd%d: the network is still configured; disconnect"
                      " it before changing the peer", self.minor)
    self.unique_id = new_id
    (self._lhost, self._lport, self._rhost, self._rport, self._aminor,
     self._secret) = new_id

  def Open(self, force: bool = False) -> None:
    """Makes the device primary (forced: even with outdated data)."""
    if self.minor is None:
      base.ThrowError("drbd%d: cannot make the device primary: not"
                      " attached", self._aminor)
    self._RunOrFail(self._cmd_gen.GenPrimaryCmd(self.minor, force),
                    "cannot make the device primary", self.minor)

  def Close(self) -> None:
    """Makes the device secondary."""
    if self.minor is None:
      base.ThrowError("drbd%d: cannot make the device secondary: not"
                      " attached", self._aminor)
    self._RunOrFail(self._cmd_gen.GenSecondaryCmd(self.minor),
                    "cannot make the device secondary", self.minor)

  # -- network --------------------------------------------------------------

  def _CheckNetReconfig(self, what: str) -> None:
    if self.minor is None:
      base.ThrowError("drbd%d: device not attached in %s", self._aminor,
                      what)
    if not self._HasNet():
      base.ThrowError("drbd%d: the device id has no network data in %s",
                      self.minor, what)

  def DisconnectNet(self) -> None:
    """Puts the device in standalone mode, retrying the disconnect until
    /proc/drbd shows StandAlone (a peer reconnecting at the same moment
    can make the kernel forget the first request)."""
    self._CheckNetReconfig("DisconnectNet()")
    minor = self.minor
    ever = [base.IgnoreError(self._ShutdownNet, minor)]

    def _Wait():
      if self.GetProcStatus().is_standalone:
        return
      ever[0] = base.IgnoreError(self._ShutdownNet, minor) or ever[0]
      raise utils.RetryAgain()

    start = time.time()
    try:
      utils.Retry(_Wait, (0.1, 1.5, 2.0), self.NET_RECONFIG_TIMEOUT)
    except utils.RetryTimeout:
      if ever[0]:
        base.ThrowError("drbd%d: the device did not react to the disconnect"
                        " command in time", minor)
      base.ThrowError("drbd%d: cannot shut down the network, even after"
                      " several attempts", minor)
    elapsed = time.time() - start
    if elapsed > self.NET_RECONFIG_TIMEOUT * 0.25:
      logging.info("drbd%d: DisconnectNet took %.3f seconds", minor, elapsed)

  def AttachNet(self, multimaster: bool) -> None:
    """Connects a standalone device to its peer, allowing two primaries
    with ``multimaster``."""
    self._CheckNetReconfig("AttachNet()")
    if not self.GetProcStatus().is_standalone:
      base.ThrowError("drbd%d: the device is not standalone in AttachNet()",
                      self.minor)
    self._AssembleNet(self.minor, dual_pri=multimaster)

  # -- disks (replace-disks) ------------------------------------------------

  def AddChildren(self, devices) -> None:
    """Attaches new data and meta devices to a diskless device."""
    if self.minor is None:
      base.ThrowError("drbd%d: cannot add children: not attached",
                      self._aminor)
    devices = list(devices or [])
    if len(devices) != 2 or None in devices:
      base.ThrowError("drbd%d: need two devices (data and meta) to add",
                      self.minor)
    if "local_dev" in self._GetDevInfo(self.minor):
      base.ThrowError("drbd%d: cannot add children: the device has a local"
                      " disk", self.minor)
    (data, meta) = devices
    if not data.dev_path or not meta.dev_path:
      base.ThrowError("drbd%d: the new devices are not attached",
                      self.minor)
    self._CheckMetaSize(meta.dev_path, self._run_cmd)
    self._AssembleLocal(self.minor, data.dev_path, meta.dev_path, self.size)
    self.children = devices

  def RemoveChildren(self, devices) -> None:
    """Detaches the local disk (the given devices must be ours)."""
    if self.minor is None:
      base.ThrowError("drbd%d: cannot remove children: not attached",
                      self._aminor)
    info = self._GetDevInfo(self.minor)
    if "local_dev" not in info:
      return
    if len(self.children) != 2:
      base.ThrowError("drbd%d: the device has a local disk but we do not"
                      " know its children", self.minor)
    if self.children[0].dev_path != info["local_dev"]:
      base.ThrowError("drbd%d: the device uses %s, not our data device %s",
                      self.minor, info["local_dev"],
                      self.children[0].dev_path)
    paths = [getattr(dev, "dev_path", dev) for dev in devices or []]
    for (child, path) in zip(self.children, paths):
      if path != child.dev_path:
        base.ThrowError("drbd%d: device %s is not a child (%s)", self.minor,
                        path, child.dev_path)
    self._ShutdownLocal(self.minor)
    self.children = []

  # -- synchronisation ------------------------------------------------------

  def SetSyncParams(self, params) -> List[str]:
    """Applies resync rate or the dynamic resync controller."""
    if self.minor is None:
      msg = "drbd%d: not attached during SetSyncParams" % self._aminor
      logging.info(msg)
      return [msg]
    msgs = base.BlockDev.SetSyncParams(self, params)
    try:
      cmd = self._cmd_gen.GenSyncParamsCmd(self.minor, params)
    except errors.BlockDeviceError as err:
      msgs.append(str(err))
      return msgs
    result = self._Run(cmd)
    if result.failed:
      msg = ("drbd%d: cannot change the synchronization parameters: %s" %
             (self.minor, base.FormatFailure(result)))
      logging.error(msg)
      msgs.append(msg)
    return msgs

  def PauseResumeSync(self, pause: bool) -> bool:
    """Pauses or resumes the resync of this device and its children."""
    if self.minor is None:
      logging.info("drbd%d: not attached during PauseResumeSync",
                   self._aminor)
      return False
    ok = base.BlockDev.PauseResumeSync(self, pause)
    cmd = (self._cmd_gen.GenPauseSyncCmd(self.minor) if pause
           else self._cmd_gen.GenResumeSyncCmd(self.minor))
    result = self._Run(cmd)
    if result.failed:
      logging.error("drbd%d: cannot %s the resync: %s", self.minor,
                    "pause" if pause else "resume",
                    base.FormatFailure(result))
      return False
    return ok

  def GetSyncStatus(self) -> objects.BlockDevStatus:
    """Mirror status from /proc/drbd.

    Degraded unless connected with an up-to-date local disk; the local
    disk status is okay when up to date, faulty when diskless, unknown
    otherwise (inconsistent, outdated, attaching...).

    """
    if self.minor is None:
      base.ThrowError("drbd%d: GetSyncStatus() called while not attached",
                      self._aminor)
    stats = self.GetProcStatus()
    is_degraded = not stats.is_connected or not stats.is_disk_uptodate
    if stats.is_disk_uptodate:
      ldisk = constants.LDS_OKAY
    elif stats.is_diskless:
      ldisk = constants.LDS_FAULTY
    else:
      ldisk = constants.LDS_UNKNOWN
    return objects.BlockDevStatus(dev_path=self.dev_path, major=self.major,
                                  minor=self.minor,
                                  sync_percent=stats.sync_percent,
                                  estimated_time=stats.est_time,
                                  is_degraded=is_degraded,
                                  ldisk_status=ldisk)

  def WaitForConnect(self, timeout: float) -> DRBD8Status:
    """Waits until the device is connected or resyncing.

    @raise errors.BlockDeviceError: not within ``timeout`` seconds

    """
    def _Check():
      status = self.GetProcStatus()
      if not (status.is_connected or status.is_in_resync):
        raise utils.RetryAgain(status)
      return status
    try:
      return utils.Retry(_Check, (0.1, 1.5, 5.0), timeout)
    except utils.RetryTimeout as err:
      base.ThrowError("drbd%d: not connected after %s seconds (%s)",
                      self._aminor, timeout, err.args[0] if err.args else "")

  def WaitForSync(self, timeout: float) -> objects.BlockDevStatus:
    """Waits until no resync runs and returns the final status.

    @raise errors.BlockDeviceError: still resyncing after ``timeout``

    """
    def _Check():
      status = self.GetProcStatus()
      if status.is_in_resync:
        raise utils.RetryAgain(status)
    try:
      utils.Retry(_Check, (0.5, 1.5, 5.0), timeout)
    except utils.RetryTimeout as err:
      base.ThrowError("drbd%d: still resyncing after %s seconds (%s)",
                      self._aminor, timeout, err.args[0] if err.args else "")
    return self.GetSyncStatus()

  # -- size -----------------------------------------------------------------

  def Grow(self, amount_mib: int, dryrun: bool, backingstore: bool) -> None:
    """Grows the data volume (backingstore) or resizes DRBD over it."""
    if self.minor is None:
      base.ThrowError("drbd%d: Grow called while not attached", self._aminor)
    if len(self.children) != 2 or None in self.children:
      base.ThrowError("drbd%d: cannot grow a diskless device", self.minor)
    self.children[0].Grow(amount_mib, dryrun, backingstore)
    if dryrun or backingstore:
      # DRBD has no dry-run; the backing storage is the child's business
      return
    self._RunOrFail(self._cmd_gen.GenResizeCmd(self.minor,
                                               self.size + amount_mib),
                    "resize failed", self.minor)
    self.size += amount_mib
