"""Command lines of drbdsetup and drbdmeta for DRBD 8.0-8.3 and 8.4.

Layer 3 (node side).  DRBD changed its user interface in 8.4: up to 8.3
every drbdsetup call names the device (``drbdsetup /dev/drbdN disk ...``)
and creates it on demand (``--create-device``), options are short flags;
from 8.4 devices live in resources (``resourceN`` here, one volume each),
must be created explicitly (new-resource, new-minor), and options are
long ``--name value`` pairs.  DRBD83CmdGenerator and DRBD84CmdGenerator
build the argument lists for each; GetCmdGenerator picks one from the
module version found in /proc/drbd (drbd_info.DRBD8Info.GetVersion).

Disk parameters come from the disk's filled diskparams (constants.LDP_*):
resync rate or dynamic resync controller, disabled barriers/flushes/drain,
metadata flushes, and free-form extra disk and network options.  Nothing
here runs a command.
"""

import shlex
from typing import Dict, List, Optional

from ganeti import constants
from ganeti import errors


#: Kernel major number of DRBD devices
DRBD_MAJOR = 147

#: Argument list of a command
Cmd = List[str]


def _Fail(msg: str, *args) -> None:
  if args:
    msg = msg % args
  raise errors.BlockDeviceError(msg)


def DevPath(minor: int) -> str:
  """The device node of a minor."""
  return "/dev/drbd%d" % minor


def FormatAddress(family: str, host: str, port: int) -> str:
  """An address the way drbdsetup takes it: ``ipv4:HOST:PORT`` or
  ``ipv6:[HOST]:PORT``."""
  if family == "ipv6":
    return "ipv6:[%s]:%s" % (host, port)
  return "%s:%s:%s" % (family, host, port)


def _Param(params: Dict, name: str):
  """A disk parameter, from the DRBD defaults when missing."""
  if name in params:
    return params[name]
  return constants.DISK_LD_DEFAULTS[constants.LD_DRBD8][name]


def _Custom(text) -> List[str]:
  """Splits free-form extra options like a shell would."""
  if not text:
    return []
  try:
    return shlex.split(text)
  except ValueError as err:
    _Fail("Invalid custom DRBD options %r: %s", text, err)


def ParseBarriers(value) -> frozenset:
  """The set of disabled barrier kinds from the LDP_BARRIERS parameter
  (a string of DRBD_B_* letters, "n" for none).

  @raise errors.BlockDeviceError: not one of DRBD_VALID_BARRIER_OPT

  """
  if value is None or value == "":
    value = constants.DRBD_B_NONE
  if isinstance(value, (list, tuple, set, frozenset)):
    chosen = frozenset(value)
  else:
    chosen = frozenset(str(value))
  if chosen not in constants.DRBD_VALID_BARRIER_OPT:
    _Fail("Invalid disabled-barriers value %r: use one of %s", value,
          ", ".join(sorted("".join(sorted(opt))
                           for opt in constants.DRBD_VALID_BARRIER_OPT)))
  return chosen


class BaseDRBDCmdGenerator(object):
  """What both command syntaxes share.

  @ivar version: the module version dict of DRBD8Info.GetVersion

  """
  def __init__(self, version: Dict[str, object]):
    self.version = dict(version)

  def _VersionTuple(self):
    return (self.version["k_major"], self.version["k_minor"],
            self.version["k_point"])

  def _CheckDynamicResync(self) -> None:
    if self._VersionTuple() < (8, 3, 9):
      _Fail("The dynamic resync speed controller needs DRBD 8.3.9 or newer,"
            " this node has %d.%d.%d", *self._VersionTuple())

  @staticmethod
  def _DynamicResyncArgs(params: Dict) -> List[str]:
    return ["--c-plan-ahead", str(_Param(params, constants.LDP_PLAN_AHEAD)),
            "--c-fill-target",
            str(_Param(params, constants.LDP_FILL_TARGET)),
            "--c-delay-target",
            str(_Param(params, constants.LDP_DELAY_TARGET)),
            "--c-max-rate", str(_Param(params, constants.LDP_MAX_RATE)),
            "--c-min-rate", str(_Param(params, constants.LDP_MIN_RATE))]

  def GenNewMinorCmds(self, minor: int) -> List[Cmd]:
    """Commands creating the minor before it is configured (8.4 only)."""
    return []


class DRBD83CmdGenerator(BaseDRBDCmdGenerator):
  """drbdsetup/drbdmeta syntax of DRBD 8.0 up to 8.3."""

  def __init__(self, version):
    BaseDRBDCmdGenerator.__init__(self, version)
    (vmaj, vmin, _) = self._VersionTuple()
    if vmaj != 8 or vmin > 3:
      _Fail("DRBD %s.%s is not handled by the 8.0-8.3 command syntax", vmaj,
            vmin)

  def GenShowCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "show"]

  def GenInitMetaCmd(self, minor: int, meta_dev: str) -> Cmd:
    return ["drbdmeta", "--force", DevPath(minor), "v08", meta_dev, "0",
            "create-md"]

  def GenDiskBarrierArgs(self, params: Dict) -> List[str]:
    """Options disabling barriers, flushes and drain, and meta flushes.

    8.0.12 introduced the flush options; the barrier and drain options
    came with 8.2.7.

    """
    disabled = ParseBarriers(_Param(params, constants.LDP_BARRIERS))
    no_meta_flush = bool(_Param(params, constants.LDP_NO_META_FLUSH))
    version = self._VersionTuple()
    args = []

    def _Need(minimum, what):
      if version < minimum:
        _Fail("Cannot disable %s: DRBD %d.%d.%d does not support it"
              " (needs %d.%d.%d)", what, *(version + minimum))

    if constants.DRBD_B_DISK_BARRIERS in disabled:
      _Need((8, 2, 7), "disk barriers")
      args.append("--no-disk-barrier")
    if constants.DRBD_B_DISK_FLUSH in disabled:
      _Need((8, 0, 12), "disk flushes")
      args.append("--no-disk-flushes")
    if constants.DRBD_B_DISK_DRAIN in disabled:
      _Need((8, 2, 7), "disk drain")
      args.append("--no-disk-drain")
    if no_meta_flush:
      _Need((8, 0, 12), "meta data flushes")
      args.append("--no-md-flushes")
    return args

  def GenLocalInitCmds(self, minor: int, data_dev: str, meta_dev: str,
                       size_mib: Optional[int], params: Dict) -> List[Cmd]:
    args = ["drbdsetup", DevPath(minor), "disk", data_dev, meta_dev, "0",
            "-e", "detach", "--create-device"]
    if size_mib:
      args.extend(["-d", "%dm" % size_mib])
    args.extend(self.GenDiskBarrierArgs(params))
    args.extend(_Custom(_Param(params, constants.LDP_DISK_CUSTOM)))
    return [args]

  def GenNetInitCmds(self, minor: int, family: str, lhost: str, lport: int,
                     rhost: str, rport: int, protocol: str, dual_pri: bool,
                     hmac: Optional[str], secret: Optional[str],
                     params: Dict) -> List[Cmd]:
    args = ["drbdsetup", DevPath(minor), "net",
            FormatAddress(family, lhost, lport),
            FormatAddress(family, rhost, rport), protocol,
            "-A", "discard-zero-changes", "-B", "consensus",
            "--create-device"]
    if dual_pri:
      args.append("-m")
    if hmac and secret:
      args.extend(["-a", hmac, "-x", secret])
    args.extend(_Custom(_Param(params, constants.LDP_NET_CUSTOM)))
    return [args]

  def GenSyncParamsCmd(self, minor: int, params: Dict) -> Cmd:
    args = ["drbdsetup", DevPath(minor), "syncer"]
    if _Param(params, constants.LDP_DYNAMIC_RESYNC):
      self._CheckDynamicResync()
      args.extend(self._DynamicResyncArgs(params))
    else:
      args.extend(["-r", "%d" % int(_Param(params,
                                           constants.LDP_RESYNC_RATE))])
    args.append("--create-device")
    return args

  def GenPauseSyncCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "pause-sync"]

  def GenResumeSyncCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "resume-sync"]

  def GenPrimaryCmd(self, minor: int, force: bool) -> Cmd:
    args = ["drbdsetup", DevPath(minor), "primary"]
    if force:
      args.append("-o")
    return args

  def GenSecondaryCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "secondary"]

  def GenDetachCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "detach"]

  def GenDisconnectCmd(self, minor: int, family: str, lhost: str,
                       lport: int, rhost: str, rport: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "disconnect"]

  def GenDownCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "down"]

  def GenResizeCmd(self, minor: int, size_mib: int) -> Cmd:
    return ["drbdsetup", DevPath(minor), "resize", "-s", "%dm" % size_mib]


class DRBD84CmdGenerator(BaseDRBDCmdGenerator):
  """drbdsetup/drbdmeta syntax of DRBD 8.4: one resource per minor
  (``resource<minor>``, volume 0), flexible external meta data."""

  def __init__(self, version):
    BaseDRBDCmdGenerator.__init__(self, version)
    (vmaj, vmin, _) = self._VersionTuple()
    if vmaj != 8 or vmin < 4:
      _Fail("DRBD %s.%s is not handled by the 8.4 command syntax", vmaj,
            vmin)

  @staticmethod
  def GetResource(minor: int) -> str:
    return "resource%d" % minor

  def GenNewMinorCmds(self, minor: int) -> List[Cmd]:
    resource = self.GetResource(minor)
    return [["drbdsetup", "new-resource", resource],
            ["drbdsetup", "new-minor", resource, str(minor), "0"]]

  def GenShowCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "show", self.GetResource(minor)]

  def GenInitMetaCmd(self, minor: int, meta_dev: str) -> Cmd:
    return ["drbdmeta", "--force", DevPath(minor), "v08", meta_dev,
            "flex-external", "create-md"]

  def GenDiskBarrierArgs(self, params: Dict) -> List[str]:
    disabled = ParseBarriers(_Param(params, constants.LDP_BARRIERS))
    args = []
    if constants.DRBD_B_DISK_BARRIERS in disabled:
      args.append("--disk-barrier=no")
    if constants.DRBD_B_DISK_FLUSH in disabled:
      args.append("--disk-flushes=no")
    if constants.DRBD_B_DISK_DRAIN in disabled:
      args.append("--disk-drain=no")
    if _Param(params, constants.LDP_NO_META_FLUSH):
      args.append("--md-flushes=no")
    return args

  def GenLocalInitCmds(self, minor: int, data_dev: str, meta_dev: str,
                       size_mib: Optional[int], params: Dict) -> List[Cmd]:
    # the activity log must be applied before drbdsetup accepts the disk
    cmds = [["drbdmeta", DevPath(minor), "v08", meta_dev, "flex-external",
             "apply-al"]]
    args = ["drbdsetup", "attach", str(minor), data_dev, meta_dev,
            "flexible", "--on-io-error=detach"]
    if size_mib:
      args.extend(["--size", "%dm" % size_mib])
    args.extend(self.GenDiskBarrierArgs(params))
    args.extend(_Custom(_Param(params, constants.LDP_DISK_CUSTOM)))
    cmds.append(args)
    return cmds

  def GenNetInitCmds(self, minor: int, family: str, lhost: str, lport: int,
                     rhost: str, rport: int, protocol: str, dual_pri: bool,
                     hmac: Optional[str], secret: Optional[str],
                     params: Dict) -> List[Cmd]:
    args = ["drbdsetup", "connect", self.GetResource(minor),
            FormatAddress(family, lhost, lport),
            FormatAddress(family, rhost, rport),
            "--protocol", protocol,
            "--after-sb-0pri", "discard-zero-changes",
            "--after-sb-1pri", "consensus"]
    if dual_pri:
      args.append("--allow-two-primaries")
    if hmac and secret:
      args.extend(["--cram-hmac-alg", hmac, "--shared-secret", secret])
    args.extend(_Custom(_Param(params, constants.LDP_NET_CUSTOM)))
    return [args]

  def GenSyncParamsCmd(self, minor: int, params: Dict) -> Cmd:
    args = ["drbdsetup", "disk-options", str(minor)]
    if _Param(params, constants.LDP_DYNAMIC_RESYNC):
      args.extend(self._DynamicResyncArgs(params))
    else:
      args.extend(["--resync-rate", "%d" % int(
        _Param(params, constants.LDP_RESYNC_RATE))])
    return args

  def GenPauseSyncCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "pause-sync", str(minor)]

  def GenResumeSyncCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "resume-sync", str(minor)]

  def GenPrimaryCmd(self, minor: int, force: bool) -> Cmd:
    args = ["drbdsetup", "primary", str(minor)]
    if force:
      args.append("--force")
    return args

  def GenSecondaryCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "secondary", str(minor)]

  def GenDetachCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "detach", str(minor)]

  def GenDisconnectCmd(self, minor: int, family: str, lhost: str,
                       lport: int, rhost: str, rport: int) -> Cmd:
    return ["drbdsetup", "disconnect", FormatAddress(family, lhost, lport),
            FormatAddress(family, rhost, rport)]

  def GenDownCmd(self, minor: int) -> Cmd:
    return ["drbdsetup", "down", self.GetResource(minor)]

  def GenResizeCmd(self, minor: int, size_mib: int) -> Cmd:
    return ["drbdsetup", "resize", str(minor), "--size", "%dm" % size_mib]


def GetCmdGenerator(version: Dict[str, object]) -> BaseDRBDCmdGenerator:
  """The command generator for a module version (DRBD8Info.GetVersion).

  @raise errors.BlockDeviceError: not DRBD 8

  """
  if version.get("k_major") != 8:
    _Fail("Unsupported DRBD version %s.%s: only DRBD 8 is supported",
          version.get("k_major"), version.get("k_minor"))
  if version["k_minor"] >= 4:
    return DRBD84CmdGenerator(version)
  return DRBD83CmdGenerator(version)
