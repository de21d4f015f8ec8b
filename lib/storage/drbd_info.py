"""What the DRBD kernel module reports: /proc/drbd and ``drbdsetup show``.

Layer 3 (node side).  DRBD8Info reads the kernel's status file
(/proc/drbd) of DRBD 8.0 to 8.4: the module version from its first line
and, per minor, the connection state, the roles, the disk states and the
resync progress (DRBD8Status).  DRBD8ShowInfo parses the configuration a
device really has, as printed by ``drbdsetup show`` (the 8.0/8.3 flat
layout and the 8.4 resource/volume layout), with pyparsing, into the local
disk, the meta device and the local and remote network addresses.

Pure parsing: nothing here runs commands; the device code in drbd.py
feeds these classes with what the kernel and drbdsetup printed.
"""

import re
from typing import Dict, List, Optional, Tuple

import pyparsing as pyp

from ganeti import errors
from ganeti import utils


#: Where the kernel publishes the DRBD status
PROC_DRBD = "/proc/drbd"

#: Where the kernel module shows the usermode helper it calls
USERMODE_HELPER_FILE = "/sys/module/drbd/parameters/usermode_helper"


def _Fail(msg: str, *args) -> None:
  if args:
    msg = msg % args
  raise errors.BlockDeviceError(msg)


class DRBD8Status(object):
  """The state of one minor, parsed from its lines of /proc/drbd.

  @ivar minor: the minor number
  @ivar cstatus: connection state (Connected, StandAlone, SyncTarget...)
  @ivar lrole: local role (Primary, Secondary, Unknown) or None
  @ivar rrole: the peer's role or None
  @ivar ldisk: local disk state (UpToDate, Diskless, Inconsistent...)
  @ivar rdisk: the peer's disk state
  @ivar sync_percent: resync progress in percent, None when not syncing
  @ivar est_time: estimated seconds until the resync ends, or None
  @ivar sync_speed: current resync speed in KiB/s, or None

  """
  CS_UNCONFIGURED = "Unconfigured"
  CS_STANDALONE = "StandAlone"
  CS_WFCONNECTION = "WFConnection"
  CS_WFREPORTPARAMS = "WFReportParams"
  CS_CONNECTED = "Connected"
  CS_STARTINGSYNCS = "StartingSyncS"
  CS_STARTINGSYNCT = "StartingSyncT"
  CS_WFBITMAPS = "WFBitMapS"
  CS_WFBITMAPT = "WFBitMapT"
  CS_WFSYNCUUID = "WFSyncUUID"
  CS_SYNCSOURCE = "SyncSource"
  CS_SYNCTARGET = "SyncTarget"
  CS_PAUSEDSYNCS = "PausedSyncS"
  CS_PAUSEDSYNCT = "PausedSyncT"

  #: Connection states in which a resync is under way or about to start
  CSET_SYNC = frozenset([
    CS_WFREPORTPARAMS, CS_STARTINGSYNCS, CS_STARTINGSYNCT, CS_WFBITMAPS,
    CS_WFBITMAPT, CS_WFSYNCUUID, CS_SYNCSOURCE, CS_SYNCTARGET,
    CS_PAUSEDSYNCS, CS_PAUSEDSYNCT,
    ])

  DS_DISKLESS = "Diskless"
  DS_UPTODATE = "UpToDate"
  DS_INCONSISTENT = "Inconsistent"

  RO_PRIMARY = "Primary"
  RO_SECONDARY = "Secondary"
  RO_UNKNOWN = "Unknown"

  _HEAD_RE = re.compile(r"^\s*(\d+):\s*cs:(\S+)"
                        r"(?:\s+(?:st|ro):([^/\s]+)/(\S+)"
                        r"\s+ds:([^/\s]+)/(\S+))?")
  _PERCENT_RE = re.compile(r"sync'ed:\s*([0-9.]+)%")
  _FINISH_RE = re.compile(r"finish:\s*(\d+):(\d+):(\d+)")
  _SPEED_RE = re.compile(r"speed:\s*([0-9,]+)")

  def __init__(self, text: str):
    match = self._HEAD_RE.match(text)
    if not match:
      _Fail("Cannot parse DRBD status line %r", text.splitlines()[0]
            if text else text)
    self.text = text
    self.minor = int(match.group(1))
    self.cstatus = match.group(2)
    (self.lrole, self.rrole, self.ldisk, self.rdisk) = match.group(3, 4, 5, 6)

    self.is_unconfigured = self.cstatus == self.CS_UNCONFIGURED
    self.is_in_use = not self.is_unconfigured
    self.is_standalone = self.cstatus == self.CS_STANDALONE
    self.is_wfconn = self.cstatus == self.CS_WFCONNECTION
    self.is_connected = self.cstatus == self.CS_CONNECTED
    self.is_in_resync = self.cstatus in self.CSET_SYNC

    self.is_primary = self.lrole == self.RO_PRIMARY
    self.is_secondary = self.lrole == self.RO_SECONDARY
    self.peer_primary = self.rrole == self.RO_PRIMARY
    self.peer_secondary = self.rrole == self.RO_SECONDARY
    self.both_primary = self.is_primary and self.peer_primary

    self.is_diskless = self.ldisk == self.DS_DISKLESS
    self.is_disk_uptodate = self.ldisk == self.DS_UPTODATE
    self.peer_disk_uptodate = self.rdisk == self.DS_UPTODATE

    self.sync_percent: Optional[float] = None
    self.est_time: Optional[int] = None
    self.sync_speed: Optional[int] = None
    percent = self._PERCENT_RE.search(text)
    if percent:
      self.sync_percent = float(percent.group(1))
      finish = self._FINISH_RE.search(text)
      if finish:
        (hours, minutes, seconds) = [int(v) for v in finish.groups()]
        self.est_time = hours * 3600 + minutes * 60 + seconds
      speed = self._SPEED_RE.search(text)
      if speed:
        self.sync_speed = int(speed.group(1).replace(",", ""))
    elif self.is_in_resync:
      # the resync is being set up and has not printed progress yet
      self.sync_percent = 0.0

  def __repr__(self):
    return ("<DRBD8Status minor=%s cs=%s ro=%s/%s ds=%s/%s sync=%s>" %
            (self.minor, self.cstatus, self.lrole, self.rrole, self.ldisk,
             self.rdisk, self.sync_percent))


class DRBD8Info(object):
  """The contents of /proc/drbd: module version and per-minor status."""

  _VERSION_RE = re.compile(r"^version:\s*(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?"
                           r"(\S*)\s+\(api:(\d+)/proto:(\d+)(?:-(\d+))?\)")
  _MINOR_RE = re.compile(r"^\s*(\d+):\s*cs:")

  def __init__(self, lines: List[str]):
    self._lines = list(lines)
    self._version = self._ParseVersion(self._lines)
    self._minor_text = self._JoinLinesPerMinor(self._lines)

  @classmethod
  def CreateFromLines(cls, lines) -> "DRBD8Info":
    """Parses the given lines (or text) of /proc/drbd."""
    if isinstance(lines, str):
      lines = lines.splitlines()
    return cls(lines)

  @classmethod
  def CreateFromFile(cls, filename: str = PROC_DRBD) -> "DRBD8Info":
    """Reads and parses the kernel's status file.

    @raise errors.BlockDeviceError: the file cannot be read (no module)

    """
    try:
      text = utils.ReadFile(filename)
    except EnvironmentError as err:
      _Fail("Cannot read %s (is the DRBD kernel module loaded?): %s",
            filename, err.strerror or err)
    return cls.CreateFromLines(text)

  @classmethod
  def _ParseVersion(cls, lines: List[str]) -> Optional[Dict[str, object]]:
    for line in lines:
      match = cls._VERSION_RE.match(line)
      if match:
        (k_major, k_minor, k_point, k_fix, k_extra, api, proto,
         proto2) = match.groups()
        version: Dict[str, object] = {
          "k_major": int(k_major),
          "k_minor": int(k_minor),
          "k_point": int(k_point),
          "api": int(api),
          "proto": int(proto),
          }
        if k_fix is not None:
          version["k_fix"] = int(k_fix)
        if k_extra:
          version["k_extra"] = k_extra
        if proto2 is not None:
          version["proto2"] = int(proto2)
        return version
    return None

  @classmethod
  def _JoinLinesPerMinor(cls, lines: List[str]) -> Dict[int, str]:
    """Groups each minor's head line with its indented detail lines."""
    result: Dict[int, List[str]] = {}
    current: Optional[int] = None
    for line in lines:
      if not line.strip():
        continue
      match = cls._MINOR_RE.match(line)
      if match:
        current = int(match.group(1))
        result[current] = [line.strip()]
      elif current is not None and line[:1].isspace():
        result[current].append(line.strip())
      else:
        current = None
    return dict((minor, "\n".join(text)) for (minor, text) in result.items())

  def GetVersion(self) -> Dict[str, object]:
    """The module version: k_major, k_minor, k_point, api, proto and,
    when printed, k_fix, k_extra and proto2.

    @raise errors.BlockDeviceError: there is no version line

    """
    if self._version is None:
      _Fail("Cannot find the DRBD version in the status file (first"
            " line: %r)", self._lines[0] if self._lines else "")
    return dict(self._version)

  def GetVersionString(self) -> str:
    """The version as DRBD prints it, e.g. "8.3.1 (api:88/proto:86-89)"."""
    ver = self.GetVersion()
    text = "%d.%d.%d" % (ver["k_major"], ver["k_minor"], ver["k_point"])
    if "k_fix" in ver:
      text += ".%d" % ver["k_fix"]
    text += ver.get("k_extra", "")
    text += " (api:%d/proto:%d" % (ver["api"], ver["proto"])
    if "proto2" in ver:
      text += "-%d" % ver["proto2"]
    return text + ")"

  def GetMinors(self) -> List[int]:
    """Every minor listed, configured or not, in ascending order."""
    return sorted(self._minor_text)

  def GetUsedMinors(self) -> List[int]:
    """The minors that are configured (in use), in ascending order."""
    return [minor for minor in self.GetMinors()
            if self.GetMinorStatus(minor).is_in_use]

  def HasMinorStatus(self, minor: int) -> bool:
    return minor in self._minor_text

  def GetMinorStatus(self, minor: int) -> DRBD8Status:
    """The status of ``minor``.

    @raise errors.BlockDeviceError: the minor is not listed

    """
    if minor not in self._minor_text:
      _Fail("Minor %s not found in the DRBD status file", minor)
    return DRBD8Status(self._minor_text[minor])


def GetUsermodeHelper(filename: str = USERMODE_HELPER_FILE) -> str:
  """The usermode helper the DRBD module calls (e.g. /bin/true).

  @raise errors.BlockDeviceError: the file cannot be read or is empty

  """
  try:
    helper = utils.ReadFile(filename).strip()
  except EnvironmentError as err:
    _Fail("Cannot read the DRBD usermode helper from %s (is the DRBD kernel"
          " module loaded?): %s", filename, err.strerror or err)
  if not helper:
    _Fail("The DRBD usermode helper in %s is empty", filename)
  return helper


def CheckUsermodeHelper(expected: str,
                        filename: str = USERMODE_HELPER_FILE) -> str:
  """Checks that the module calls ``expected`` as its usermode helper.

  @return: the helper
  @raise errors.BlockDeviceError: unreadable, or a different helper

  """
  helper = GetUsermodeHelper(filename=filename)
  if helper != expected:
    _Fail("The DRBD usermode helper is %r, but the cluster wants %r",
          helper, expected)
  return helper


# -- drbdsetup show ---------------------------------------------------------

class _Value(object):
  """One value of a ``drbdsetup show`` statement.

  @ivar kind: "word", "quoted", "index" (a bracketed number) or "addr6"
      (an IPv6 address in brackets with its port)

  """
  __slots__ = ["kind", "value"]

  def __init__(self, kind: str, value):
    self.kind = kind
    self.value = value

  def __repr__(self):
    return "%s:%r" % (self.kind, self.value)


class ShowSection(object):
  """A ``name [arg] { ... }`` block of the ``drbdsetup show`` output.

  @ivar statements: list of (keyword, [_Value]) in output order
  @ivar sections: the nested blocks

  """
  def __init__(self, name: str, arg: Optional[str], body):
    self.name = name
    self.arg = arg
    self.statements: List[Tuple[str, List[_Value]]] = []
    self.sections: List["ShowSection"] = []
    for item in body:
      if isinstance(item, ShowSection):
        self.sections.append(item)
      else:
        self.statements.append(item)

  def Find(self, name: str) -> Optional["ShowSection"]:
    """The first nested section called ``name``."""
    for section in self.sections:
      if section.name == name:
        return section
    return None

  def Get(self, keyword: str) -> Optional[List[_Value]]:
    """The values of the first statement ``keyword``, or None."""
    for (key, values) in self.statements:
      if key == keyword:
        return values
    return None

  def Options(self) -> Dict[str, str]:
    """The statements as {keyword: first value}, defaults included."""
    result = {}
    for (key, values) in self.statements:
      plain = [val for val in values
               if not (val.kind == "word" and val.value == "_is_default")]
      result[key] = str(plain[0].value) if plain else ""
    return result


def _BuildShowGrammar():
  lbrace = pyp.Suppress("{")
  rbrace = pyp.Suppress("}")
  semi = pyp.Suppress(";")
  word = pyp.Word(pyp.alphanums + "_-/.:+=,@*")
  quoted = pyp.QuotedString('"', esc_char="\\")
  quoted.set_parse_action(lambda toks: _Value("quoted", toks[0]))
  index = pyp.Suppress("[") + pyp.Word(pyp.nums) + pyp.Suppress("]")
  index.set_parse_action(lambda toks: _Value("index", int(toks[0])))
  addr6 = pyp.Regex(r"\[[0-9A-Fa-f:.]+\]:\d+")
  addr6.set_parse_action(lambda toks: _Value("addr6", toks[0]))
  plain = word.copy().set_parse_action(lambda toks: _Value("word", toks[0]))
  value = quoted | addr6 | index | plain

  statement = word + pyp.Group(pyp.ZeroOrMore(value)) + semi
  statement.set_parse_action(lambda toks: (toks[0], list(toks[1])))

  section = pyp.Forward()
  header = word + pyp.Optional(word, default=None) + lbrace
  section <<= (header + pyp.Group(pyp.ZeroOrMore(section | statement)) +
               rbrace)
  section.set_parse_action(lambda toks: ShowSection(toks[0], toks[1],
                                                    list(toks[2])))
  grammar = pyp.ZeroOrMore(section | statement) + pyp.StringEnd()
  grammar.ignore(pyp.python_style_comment)
  return grammar


class DRBD8ShowInfo(object):
  """Parser of ``drbdsetup show`` output (DRBD 8.0, 8.3 and 8.4)."""

  _GRAMMAR = None

  @classmethod
  def _Grammar(cls):
    if cls._GRAMMAR is None:
      cls._GRAMMAR = _BuildShowGrammar()
    return cls._GRAMMAR

  @classmethod
  def Parse(cls, show_data: str) -> ShowSection:
    """Parses the output into a top-level section named "" holding the
    top-level blocks and statements.

    @raise errors.BlockDeviceError: the output does not parse

    """
    try:
      items = cls._Grammar().parse_string(show_data, parse_all=True)
    except pyp.ParseBaseException as err:
      _Fail("Cannot parse 'drbdsetup show' output: %s (line %r)", err,
            getattr(err, "line", ""))
    return ShowSection("", None, list(items))

  @staticmethod
  def _ParseAddress(values: List[_Value]) -> Tuple[str, int]:
    """(host, port) of an ``address [ipv4|ipv6] host:port`` statement."""
    items = list(values)
    if items and items[0].kind == "word" and items[0].value in ("ipv4",
                                                               "ipv6"):
      items = items[1:]
    if len(items) != 1:
      _Fail("Cannot parse address statement %r", values)
    text = str(items[0].value)
    if items[0].kind == "addr6":
      (host, port) = text[1:].split("]:", 1)
    else:
      (host, sep, port) = text.rpartition(":")
      if not sep or not host:
        _Fail("Cannot parse address %r", text)
    try:
      return (host, int(port))
    except ValueError:
      _Fail("Invalid port in address %r", text)

  @staticmethod
  def _Path(values: List[_Value]) -> str:
    if not values:
      _Fail("Missing path in 'drbdsetup show' output")
    return str(values[0].value)

  @classmethod
  def GetDevInfo(cls, show_data: Optional[str]) -> Dict[str, object]:
    """The interesting parts of a device's configuration.

    @return: dict with, when configured: ``local_dev`` (data device),
        ``meta_dev``, ``meta_index`` (an int, or None for flexible
        external meta data), ``local_addr`` and ``remote_addr`` ((host,
        port) tuples), ``minor`` (8.3/8.4 "device minor N") or ``device``
        (8.0 path), ``protocol``, and the option blocks ``disk``, ``net``,
        ``syncer`` as dicts; an empty dict for empty output

    """
    data: Dict[str, object] = {}
    if not show_data or not show_data.strip():
      return data
    top = cls.Parse(show_data)
    root = top
    resource = top.Find("resource")
    if resource is not None:
      data["resource"] = resource.arg
      root = resource
    protocol = root.Get("protocol")
    if protocol:
      data["protocol"] = str(protocol[0].value)
    for block in ("net", "disk", "syncer", "options"):
      section = root.Find(block)
      if section is not None:
        data[block] = section.Options()

    this_host = root.Find("_this_host")
    if this_host is not None:
      address = this_host.Get("address")
      if address is not None:
        data["local_addr"] = cls._ParseAddress(address)
      volume = this_host.Find("volume")
      holder = volume if volume is not None else this_host
      if volume is not None:
        data["volume"] = volume.arg
        vol_disk = volume.Find("disk")
        if vol_disk is not None:
          data.setdefault("disk", {}).update(vol_disk.Options())
      device = holder.Get("device")
      if device:
        if device[0].kind == "word" and device[0].value == "minor":
          data["minor"] = int(device[1].value)
        else:
          data["device"] = str(device[0].value)
      disk = holder.Get("disk")
      if disk is not None:
        data["local_dev"] = cls._Path(disk)
      meta = holder.Get("meta-disk")
      if meta is None:
        meta = holder.Get("flexible-meta-disk")
      if meta is not None:
        data["meta_dev"] = cls._Path(meta)
        indexes = [val.value for val in meta if val.kind == "index"]
        data["meta_index"] = indexes[0] if indexes else None

    remote = root.Find("_remote_host")
    if remote is not None:
      address = remote.Get("address")
      if address is not None:
        data["remote_addr"] = cls._ParseAddress(address)
    return data
