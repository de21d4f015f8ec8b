"""LVM logical volumes as block devices, and the LVM reports they need.

Layer 3 (node side).  LogicalVolume (constants.LD_LV, unique_id (vg, lv))
creates volumes with lvcreate (striped from the disk parameter
constants.LDP_STRIPES, falling back to fewer stripes when the free space
is badly spread), removes (lvremove -f), renames (lvrename), grows
(lvextend, rounded to whole stripes), activates (lvchange -ay), tags
(lvchange --addtag) and snapshots (lvcreate -s) them, and finds them with
lvs.  The parsers of ``vgs``, ``pvs`` and ``lvs`` output are module
functions so that captured output can be checked without LVM; they return
the same shapes as backend_lvm's, which may reuse them.

Every command goes through the device's runner (utils.RunCmd unless a test
injects one) with the C locale and LVM's descriptor warnings silenced.
"""

import logging
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import utils
from ganeti.storage import base


#: Separator asked from vgs and pvs; it cannot occur in LVM names
SEP = "|"

#: Separator of lvs reports (the one of the captured samples)
LVS_SEP = ";"

#: Environment of every LVM command
LVM_ENV = {
  "LC_ALL": "C",
  "LVM_SUPPRESS_FD_WARNINGS": "1",
  }

_MIB = 1024 * 1024

_REPORT_OPTS = ["--noheadings", "--nosuffix", "--units=m", "--unbuffered",
                "--separator=" + SEP]

#: Columns of the full logical volume report (one line per segment), in
#: the order of the captured ``lvs_lv.txt`` sample
LVS_REPORT_FIELDS = (
  "lv_uuid", "lv_name", "lv_attr", "lv_major", "lv_minor",
  "lv_kernel_major", "lv_kernel_minor", "lv_size", "seg_count", "lv_tags",
  "modules", "vg_uuid", "vg_name", "segtype", "seg_start", "seg_start_pe",
  "seg_size", "seg_tags", "seg_pe_ranges", "devices",
  )

#: Columns LogicalVolume.Attach asks for
LVS_ATTACH_FIELDS = (
  "lv_attr", "lv_kernel_major", "lv_kernel_minor", "lv_size",
  "vg_extent_size", "stripes", "devices",
  )

_INT_FIELDS = frozenset(["lv_major", "lv_minor", "lv_kernel_major",
                         "lv_kernel_minor", "seg_count", "seg_start_pe",
                         "stripes"])
_BYTES_FIELDS = frozenset(["lv_size", "seg_start", "seg_size",
                           "vg_extent_size"])

_VALID_NAME_RE = re.compile(r"^[a-zA-Z0-9+_.-]*$")
_INVALID_NAMES = frozenset([".", "..", "snapshot", "pvmove"])
_INVALID_SUBSTRINGS = ("_mlog", "_mimage")

#: Allocation policies tried in turn when growing a volume
GROW_ALLOC_POLICIES = ("contiguous", "cling", "normal")


def _Run(cmd: List[str], runner: Optional[base.Runner]):
  return base.RunCommand(cmd, runner=runner, env=LVM_ENV)


# -- parsers --------------------------------------------------------------

def ParseMiB(value: str, line: str) -> int:
  try:
    return int(round(float(value)))
  except ValueError:
    raise ValueError("Invalid size '%s' in LVM output line '%s'" %
                     (value, line)) from None


def SplitLines(output: str, nfields: int, tool: str, sep: str = SEP):
  """Yields (line, fields) of each well-formed line; others are logged."""
  for line in output.splitlines():
    line = line.strip()
    if not line:
      continue
    fields = line.split(sep)
    if len(fields) != nfields:
      logging.error("Ignoring invalid line in %s output (expected %d"
                    " fields): '%s'", tool, nfields, line)
      continue
    yield (line, [field.strip() for field in fields])


def ParseVgsOutput(output: str) -> List[Tuple[str, int, int]]:
  """Parses ``vgs -o vg_name,vg_size,vg_free`` output (sizes in MiB).

  @return: list of (name, size MiB, free MiB) in output order
  @raise ValueError: a size is not a number

  """
  return [(name, ParseMiB(size, line), ParseMiB(free, line))
          for (line, (name, size, free)) in SplitLines(output, 3, "vgs")]


def ParsePvsOutput(output: str) -> List[Tuple[str, str, int, int, str]]:
  """Parses ``pvs -o pv_name,vg_name,pv_size,pv_free,pv_attr`` output.

  @return: list of (pv name, vg name or "", size MiB, free MiB, attributes)
  @raise ValueError: a size is not a number

  """
  return [(pv_name, vg_name, ParseMiB(size, line), ParseMiB(free, line),
           attr)
          for (line, (pv_name, vg_name, size, free, attr)) in
          SplitLines(output, 5, "pvs")]


def _ParseBytes(value: str, field: str, line: str) -> int:
  """Parses a size printed with --units=b ("1073741824B" or plain)."""
  text = value.strip()
  if text.upper().endswith("B"):
    text = text[:-1]
  try:
    return int(round(float(text)))
  except ValueError:
    raise ValueError("Invalid size '%s' of field %s in lvs output line '%s'"
                     % (value, field, line)) from None


def _ParseInt(value: str, field: str, line: str) -> int:
  try:
    return int(value.strip())
  except ValueError:
    raise ValueError("Invalid number '%s' of field %s in lvs output line"
                     " '%s'" % (value, field, line)) from None


def ParseLvsReport(output: str, fields: Sequence[str],
                   sep: str = LVS_SEP) -> List[Dict[str, object]]:
  """Parses ``lvs --noheadings --units=b --separator=SEP -o FIELDS`` output.

  Sizes (lv_size, seg_size, seg_start, vg_extent_size) become integers in
  bytes, kernel numbers and counts integers (-1 stays -1), everything else
  stays a string.  Lines with the wrong number of fields (warnings) are
  logged and skipped.

  @return: one dict per line (segment), keyed by field name
  @raise ValueError: a size or number field does not parse

  """
  rows = []
  for (line, values) in SplitLines(output, len(fields), "lvs", sep=sep):
    row: Dict[str, object] = {}
    for (field, value) in zip(fields, values):
      if field in _BYTES_FIELDS:
        row[field] = _ParseBytes(value, field, line)
      elif field in _INT_FIELDS:
        row[field] = _ParseInt(value, field, line)
      else:
        row[field] = value
    rows.append(row)
  return rows


def ParseDevicesField(value: str) -> List[str]:
  """Turns an lvs ``devices`` value ("/dev/sda5(0),/dev/sdb(12)") into
  the list of physical volume names.

  """
  result = []
  for item in value.split(","):
    item = item.strip()
    if not item:
      continue
    paren = item.find("(")
    if paren >= 0:
      item = item[:paren]
    if item not in result:
      result.append(item)
  return result


def IsDegradedAttr(attr: str) -> bool:
  """Whether an lv_attr value says data is missing.

  Old LVM marks a volume whose physical volume is gone as virtual ("v" in
  the first column); newer releases set "p" (partial) in the ninth.

  """
  return attr[:1] == "v" or (len(attr) >= 9 and attr[8] == "p")


def MergeLvsReport(rows: Sequence[Dict[str, object]]
                   ) -> Dict[str, Dict[str, object]]:
  """Merges the per-segment rows of LVS_REPORT_FIELDS into one per volume.

  @return: dict "vg/lv" -> {name, vg, uuid, attr, size (MiB), size_bytes,
      kernel_major, kernel_minor, tags (list), segments (count), segtypes
      (list), pvs (list of physical volume names), active, open, degraded}

  """
  result: Dict[str, Dict[str, object]] = {}
  for row in rows:
    key = "%s/%s" % (row["vg_name"], row["lv_name"])
    entry = result.get(key)
    if entry is None:
      attr = str(row["lv_attr"])
      tags = [tag for tag in str(row.get("lv_tags", "")).split(",") if tag]
      entry = {
        "name": row["lv_name"],
        "vg": row["vg_name"],
        "uuid": row.get("lv_uuid"),
        "attr": attr,
        "size_bytes": row["lv_size"],
        "size": int(row["lv_size"]) // _MIB,
        "kernel_major": row.get("lv_kernel_major"),
        "kernel_minor": row.get("lv_kernel_minor"),
        "tags": tags,
        "segments": row.get("seg_count"),
        "segtypes": [],
        "pvs": [],
        "active": len(attr) > 4 and attr[4] == "a",
        "open": len(attr) > 5 and attr[5] == "o",
        "degraded": IsDegradedAttr(attr),
        }
      result[key] = entry
    segtype = row.get("segtype")
    if segtype and segtype not in entry["segtypes"]:
      entry["segtypes"].append(segtype)
    for pv in ParseDevicesField(str(row.get("devices", ""))):
      if pv not in entry["pvs"]:
        entry["pvs"].append(pv)
  return result


# -- queries --------------------------------------------------------------

def _Report(cmd: List[str], what: str, runner) -> str:
  result = _Run(cmd, runner)
  if result.failed:
    base.ThrowError("Cannot list %s: %s", what, base.FormatFailure(result))
  return result.stdout


def GetPVInfo(vg_names: Sequence[str], filter_allocatable: bool = True,
              _run_cmd: Optional[base.Runner] = None
              ) -> List[Tuple[str, str, int, int, str]]:
  """Returns the physical volumes of the given volume groups.

  @param filter_allocatable: leave out PVs not marked allocatable
  @return: list of (pv name, vg name, size MiB, free MiB, attributes)
  @raise errors.BlockDeviceError: pvs failed or printed nonsense

  """
  output = _Report(["pvs"] + _REPORT_OPTS +
                   ["-o", "pv_name,vg_name,pv_size,pv_free,pv_attr"],
                   "physical volumes", _run_cmd)
  try:
    pvs = ParsePvsOutput(output)
  except ValueError as err:
    base.ThrowError("Cannot parse the list of physical volumes: %s", err)
  wanted = frozenset(vg_names)
  return [pv for pv in pvs
          if pv[1] in wanted and
          (not filter_allocatable or pv[4].startswith("a"))]


def GetVGInfo(vg_names: Sequence[str],
              _run_cmd: Optional[base.Runner] = None
              ) -> Dict[str, Tuple[int, int]]:
  """Returns size and free space of the named volume groups that exist.

  @return: dict name -> (size MiB, free MiB)
  @raise errors.BlockDeviceError: vgs failed or printed nonsense

  """
  output = _Report(["vgs"] + _REPORT_OPTS +
                   ["-o", "vg_name,vg_size,vg_free"], "volume groups",
                   _run_cmd)
  try:
    vgs = ParseVgsOutput(output)
  except ValueError as err:
    base.ThrowError("Cannot parse the list of volume groups: %s", err)
  wanted = frozenset(vg_names)
  return dict((name, (size, free)) for (name, size, free) in vgs
              if name in wanted)


def LvsCommand(fields: Sequence[str], targets: Sequence[str]) -> List[str]:
  """The lvs command line reporting ``fields`` of ``targets``."""
  return (["lvs", "--noheadings", "--units=b", "--separator=" + LVS_SEP,
           "-o", ",".join(fields)] + list(targets))


def ListLogicalVolumes(vg_names: Sequence[str],
                       _run_cmd: Optional[base.Runner] = None
                       ) -> Dict[str, Dict[str, object]]:
  """Returns every logical volume of the given volume groups.

  @return: see MergeLvsReport
  @raise errors.BlockDeviceError: lvs failed (e.g. an unknown volume group)
      or printed nonsense

  """
  output = _Report(LvsCommand(LVS_REPORT_FIELDS, vg_names),
                   "logical volumes", _run_cmd)
  try:
    return MergeLvsReport(ParseLvsReport(output, LVS_REPORT_FIELDS))
  except (ValueError, KeyError) as err:
    base.ThrowError("Cannot parse the list of logical volumes: %s", err)


def CheckLvmName(name: str, what: str) -> None:
  """Refuses names LVM would reject or misinterpret.

  @raise errors.BlockDeviceError: naming the bad value

  """
  if (not isinstance(name, str) or not name or
      not _VALID_NAME_RE.match(name) or name in _INVALID_NAMES or
      any(sub in name for sub in _INVALID_SUBSTRINGS)):
    base.ThrowError("Invalid LVM %s name %r", what, name)


def _CheckUniqueId(unique_id) -> Tuple[str, str]:
  if not isinstance(unique_id, (tuple, list)) or len(unique_id) != 2:
    base.ThrowError("Invalid logical volume id %r: expected (vg, lv)",
                    unique_id)
  (vg_name, lv_name) = unique_id
  CheckLvmName(vg_name, "volume group")
  CheckLvmName(lv_name, "logical volume")
  return (vg_name, lv_name)


class LogicalVolume(base.BlockDev):
  """A logical volume of LVM (constants.LD_LV).

  @ivar vg_name: the volume group
  @ivar lv_name: the volume's name
  @ivar pe_size: extent size of the volume group in bytes (after Attach)
  @ivar stripe_count: stripes of the first segment (after Attach)
  @ivar pv_names: physical volumes holding the data (after Attach)

  """
  _CMD_ENV = LVM_ENV

  def __init__(self, unique_id, children, size, params, _run_cmd=None):
    if children:
      base.ThrowError("Logical volume %r cannot have children", unique_id)
    (vg_name, lv_name) = _CheckUniqueId(unique_id)
    base.BlockDev.__init__(self, (vg_name, lv_name), children, size,
                           params, _run_cmd=_run_cmd)
    self.vg_name = vg_name
    self.lv_name = lv_name
    self.dev_path = utils.PathJoin("/dev", vg_name, lv_name)
    self.pe_size: Optional[int] = None
    self.stripe_count: Optional[int] = None
    self.pv_names: List[str] = []
    self.lv_size: Optional[int] = None
    self.active = False
    self._degraded = True
    self.Attach()

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None) -> "LogicalVolume":
    """Creates the volume with lvcreate, striped as the parameters say.

    The physical volumes are passed to lvcreate, most free space first.
    When the wanted stripes do not fit, fewer are tried, down to one.
    With ``excl_stor`` only empty physical volumes are used.

    """
    if children:
      base.ThrowError("Logical volume %r cannot have children", unique_id)
    (vg_name, lv_name) = _CheckUniqueId(unique_id)
    name = "%s/%s" % (vg_name, lv_name)
    pvs = GetPVInfo([vg_name], _run_cmd=_run_cmd)
    if excl_stor:
      pvs = [pv for pv in pvs if pv[3] == pv[2]]
    if not pvs:
      base.ThrowError("Cannot create logical volume %s: no %sphysical"
                      " volumes in volume group %s", name,
                      "empty " if excl_stor else "allocatable ", vg_name)
    pvs.sort(key=lambda pv: pv[3], reverse=True)
    pv_names = [pv[0] for pv in pvs]
    if any(":" in pv_name for pv_name in pv_names):
      base.ThrowError("Cannot create logical volume %s: physical volume"
                      " names containing ':' are not supported (%s)", name,
                      utils.CommaJoin(pv_names))
    free = sum(pv[3] for pv in pvs)
    if free < size_mib:
      base.ThrowError("Not enough free space for logical volume %s: required"
                      " %d MiB, available %d MiB", name, size_mib, free)
    params = params or {}
    wanted = params.get(constants.LDP_STRIPES,
                        constants.DISK_LD_DEFAULTS[constants.LD_LV]
                        [constants.LDP_STRIPES])
    try:
      wanted = int(wanted)
    except (TypeError, ValueError):
      base.ThrowError("Invalid stripes parameter %r for logical volume %s",
                      wanted, name)
    if wanted < 1:
      base.ThrowError("Invalid stripes parameter %r for logical volume %s",
                      wanted, name)
    stripes = min(wanted, len(pv_names))
    if stripes < wanted:
      logging.warning("Creating %s with %d stripes instead of %d: only %d"
                      " physical volumes", name, stripes, wanted,
                      len(pv_names))
    cmd = ["lvcreate", "-L", "%dm" % size_mib, "-n", lv_name]
    result = None
    for count in range(stripes, 0, -1):
      result = _Run(cmd + ["-i", str(count), vg_name] + pv_names, _run_cmd)
      if not result.failed:
        break
    if result.failed:
      base.ThrowError("Cannot create logical volume %s: %s", name,
                      base.FormatFailure(result))
    return cls((vg_name, lv_name), children, size_mib, params,
               _run_cmd=_run_cmd)

  def Attach(self) -> bool:
    """Looks the volume up with lvs, reading kernel numbers and layout."""
    self.attached = False
    result = self._Run(LvsCommand(LVS_ATTACH_FIELDS, [self.dev_path]))
    if result.failed:
      logging.debug("Logical volume %s not found: %s", self.dev_path,
                    base.FormatFailure(result))
      return False
    try:
      rows = ParseLvsReport(result.stdout, LVS_ATTACH_FIELDS)
    except ValueError as err:
      logging.error("Cannot parse lvs output for %s: %s", self.dev_path, err)
      return False
    if not rows:
      logging.error("lvs printed nothing usable for %s: %r", self.dev_path,
                    result.output)
      return False
    first = rows[0]
    attr = str(first["lv_attr"])
    if len(attr) < 6:
      logging.error("Invalid lv_attr %r of %s", attr, self.dev_path)
      return False
    major = first["lv_kernel_major"]
    minor = first["lv_kernel_minor"]
    self.major = major if major >= 0 else None
    self.minor = minor if minor >= 0 else None
    self.lv_size = first["lv_size"]
    self.pe_size = first["vg_extent_size"]
    self.stripe_count = max(1, first["stripes"])
    pvs: List[str] = []
    for row in rows:
      for pv in ParseDevicesField(str(row["devices"])):
        if pv not in pvs:
          pvs.append(pv)
    self.pv_names = pvs
    self.active = attr[4] == "a"
    self._degraded = IsDegradedAttr(attr)
    self.attached = True
    return True

  def Assemble(self) -> None:
    """Activates the volume (lvchange -ay)."""
    result = self._Run(["lvchange", "-ay", self.dev_path])
    if result.failed:
      base.ThrowError("Cannot activate logical volume %s: %s", self.dev_path,
                      base.FormatFailure(result))
    self.Attach()

  def Deactivate(self) -> None:
    """Deactivates the volume (lvchange -an).

    Not part of Shutdown: as in Ganeti, a shut down volume stays active,
    since deactivating a volume another user holds open would fail.

    """
    result = self._Run(["lvchange", "-an", self.dev_path])
    if result.failed:
      base.ThrowError("Cannot deactivate logical volume %s: %s",
                      self.dev_path, base.FormatFailure(result))
    self.Attach()

  def Shutdown(self) -> None:
    """Nothing to do: logical volumes stay active."""

  def Remove(self) -> None:
    """Removes the volume (lvremove -f); a missing volume is fine."""
    if not self.attached and not self.Attach():
      logging.info("Logical volume %s does not exist, nothing to remove",
                   self.dev_path)
      return
    result = self._Run(["lvremove", "-f", "%s/%s" % (self.vg_name,
                                                      self.lv_name)])
    if result.failed:
      base.ThrowError("Cannot remove logical volume %s: %s", self.dev_path,
                      base.FormatFailure(result))
    self.attached = False

  def Rename(self, new_id) -> None:
    """Renames the volume inside its volume group (lvrename)."""
    (new_vg, new_name) = _CheckUniqueId(new_id)
    if new_vg != self.vg_name:
      base.ThrowError("Cannot move logical volume %s to volume group %s:"
                      " only renames inside %s are possible", self.dev_path,
                      new_vg, self.vg_name)
    result = self._Run(["lvrename", self.vg_name, self.lv_name, new_name])
    if result.failed:
      base.ThrowError("Cannot rename logical volume %s to %s: %s",
                      self.dev_path, new_name, base.FormatFailure(result))
    self.lv_name = new_name
    self.unique_id = (new_vg, new_name)
    self.dev_path = utils.PathJoin("/dev", self.vg_name, new_name)

  def Grow(self, amount_mib: int, dryrun: bool, backingstore: bool) -> None:
    """Extends the volume by ``amount_mib``, rounded up to whole stripes.

    Tries the allocation policies contiguous, cling and normal in turn.

    """
    if not backingstore:
      return
    if (self.pe_size is None or self.stripe_count is None) and \
        not self.Attach():
      base.ThrowError("Cannot grow logical volume %s: it cannot be found",
                      self.dev_path)
    full_stripe = self.pe_size * self.stripe_count
    amount = amount_mib * _MIB
    rest = amount % full_stripe
    if rest:
      amount += full_stripe - rest
    amount_mib = (amount + _MIB - 1) // _MIB
    cmd = ["lvextend", "-L", "+%dm" % amount_mib]
    if dryrun:
      cmd.append("--test")
    result = None
    for policy in GROW_ALLOC_POLICIES:
      result = self._Run(cmd + ["--alloc", policy, self.dev_path])
      if not result.failed:
        return
    base.ThrowError("Cannot grow logical volume %s by %d MiB: %s",
                    self.dev_path, amount_mib, base.FormatFailure(result))

  def GetSyncStatus(self):
    """Never syncing; degraded (local disk faulty) when data is missing."""
    status = base.BlockDev.GetSyncStatus(self)
    status.is_degraded = self._degraded
    status.ldisk_status = (constants.LDS_FAULTY if self._degraded
                           else constants.LDS_OKAY)
    return status

  def SetInfo(self, text: str) -> None:
    """Tags the volume with ``text`` made valid for LVM (lvchange)."""
    tag = re.sub(r"^[^A-Za-z0-9_+.]", "_", text)
    tag = re.sub(r"[^-A-Za-z0-9_+.]", "_", tag)[:128]
    result = self._Run(["lvchange", "--addtag", tag, self.dev_path])
    if result.failed:
      base.ThrowError("Cannot tag logical volume %s with %r: %s",
                      self.dev_path, tag, base.FormatFailure(result))

  def Snapshot(self, snap_size: int) -> Tuple[str, str]:
    """Creates the snapshot ``<lv>.snap`` of ``snap_size`` MiB for exports.

    An old snapshot of that name is removed first.

    @return: (vg, snapshot lv)

    """
    snap_name = self.lv_name + ".snap"
    old = LogicalVolume((self.vg_name, snap_name), None, snap_size,
                        self.params, _run_cmd=self._run_cmd)
    if old.attached:
      base.IgnoreError(old.Remove)
    vg_info = GetVGInfo([self.vg_name], _run_cmd=self._run_cmd)
    if self.vg_name not in vg_info:
      base.ThrowError("Cannot snapshot %s: volume group %s not found",
                      self.dev_path, self.vg_name)
    free = vg_info[self.vg_name][1]
    if free < snap_size:
      base.ThrowError("Not enough free space to snapshot %s: required %d MiB,"
                      " available %d MiB", self.dev_path, snap_size, free)
    result = self._Run(["lvcreate", "-L", "%dm" % snap_size, "-s", "-n",
                        snap_name, self.dev_path])
    if result.failed:
      base.ThrowError("Cannot snapshot logical volume %s: %s", self.dev_path,
                      base.FormatFailure(result))
    return (self.vg_name, snap_name)


# -- repairing a volume group ------------------------------------------------

#: vgreduce's word that the metadata was written back consistent
_VGREDUCE_OK = "Wrote out consistent volume group"

#: vgreduce (LVM 2.02.66 and later) asking for --force because partial
#: volumes remain
_VGREDUCE_WANTS_FORCE = "vgreduce --removemissing --force"

#: What LVM prints while a physical volume of a group is missing
_MISSING_PV = "Couldn't find device with uuid"


def VgReduceNeedsForce(output: str) -> bool:
  """Whether ``vgreduce --removemissing`` output calls for a forced run.

  Its exit code cannot be trusted (old releases fail even when they fixed
  the group), so the output decides: anything but a consistent write, or
  an explicit request for --force, means another run with --force.

  """
  return _VGREDUCE_OK not in output or _VGREDUCE_WANTS_FORCE in output


def VgsReportsMissingPvs(output: str) -> bool:
  """Whether vgs output shows a group with physical volumes missing."""
  return _MISSING_PV in output


def RemoveMissingPVs(vg_name: str,
                     _run_cmd: Optional[base.Runner] = None) -> str:
  """Drops missing physical volumes from a volume group's metadata.

  Runs ``vgreduce --removemissing``, again with ``--force`` when partial
  volumes remain, then checks with vgs that the group is whole again.
  Volumes that lived on the missing disks are lost, as with Ganeti's
  fix-consistency operation.

  @return: the output of the vgreduce run(s)
  @raise errors.BlockDeviceError: the group is still not consistent

  """
  CheckLvmName(vg_name, "volume group")
  result = _Run(["vgreduce", "--removemissing", vg_name], _run_cmd)
  output = result.output
  if VgReduceNeedsForce(output):
    result = _Run(["vgreduce", "--removemissing", "--force", vg_name],
                  _run_cmd)
    output += "\n" + result.output
  check = _Run(["vgs", "--noheadings", "--nosuffix", vg_name], _run_cmd)
  if check.failed or VgsReportsMissingPvs(check.output):
    base.ThrowError("Volume group %s is still not consistent; vgreduce"
                    " output: %r; vgs output: %r", vg_name, output,
                    check.output)
  return output
