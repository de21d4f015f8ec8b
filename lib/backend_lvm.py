"""LVM facts for the node backend: volume groups, physical and logical volumes.

Layer 3 (node side).  Runs ``vgs``, ``pvs`` and ``lvs`` with fixed,
machine-readable options and parses their output into plain values (sizes
in MiB) for node_info and node_verify.  The parsers are separate functions
so that captured output can be checked without LVM.

This module only reads: it must not create, change or remove volumes (that
is the storage layer's job) and must not import master-side modules.
"""

import logging
from typing import Dict, List, Optional, Sequence, Tuple

from ganeti import utils
from ganeti.backend_base import Fail
# the output parsers are the storage layer's; re-exported for the backend
from ganeti.storage.lvm import (  # pylint: disable=W0611
  SEP, ParseMiB, SplitLines, ParseVgsOutput, ParsePvsOutput)


#: Field separator asked from the LVM tools; cannot occur in LVM names

#: Environment for the LVM tools: C locale for "." as decimal point, and no
#: complaints about descriptors inherited from the daemon
_LVM_ENV = {
  "LC_ALL": "C",
  "LVM_SUPPRESS_FD_WARNINGS": "1",
  }

_COMMON_OPTS = ["--noheadings", "--nosuffix", "--units=m", "--unbuffered",
                "--separator=" + SEP]


def _RunLvmTool(args: List[str], what: str) -> str:
  """Runs an LVM reporting tool and returns its standard output.

  @raise RPCFail: the tool is missing or failed

  """
  try:
    result = utils.RunCmd(args, env=_LVM_ENV)
  except Exception as err:  # pylint: disable=W0703
    Fail("Cannot list %s: %s", what, err)
  if result.failed:
    Fail("Cannot list %s: '%s' failed (%s): %s", what, result.cmd,
         result.fail_reason, result.output.strip())
  return result.stdout


def ParseLvsOutput(output: str) -> Dict[str, Tuple[int, bool, bool]]:
  """Parses ``lvs -o vg_name,lv_name,lv_size,lv_attr`` output.

  Virtual volumes (attribute "v") are left out, as they hold no data.

  @return: dict "vg/lv" -> (size MiB, inactive, online)
  @raise ValueError: a size is not a number

  """
  result = {}
  for (line, (vg_name, lv_name, size, attr)) in \
      SplitLines(output, 4, "lvs"):
    if len(attr) < 6:
      logging.error("Ignoring lvs line with short attributes: '%s'", line)
      continue
    if attr[0] == "v":
      continue
    inactive = attr[4] == "-"
    online = attr[5] == "o"
    result["%s/%s" % (vg_name, lv_name)] = (ParseMiB(size, line), inactive,
                                            online)
  return result


def _Parse(parser, output: str, what: str):
  try:
    return parser(output)
  except ValueError as err:
    Fail("Cannot parse the list of %s: %s", what, err)


def ListVolumeGroups() -> Dict[str, Tuple[int, int]]:
  """Returns every volume group of the node.

  @return: dict name -> (size MiB, free MiB)
  @raise RPCFail: vgs missing or failing

  """
  output = _RunLvmTool(["vgs"] + _COMMON_OPTS +
                       ["-o", "vg_name,vg_size,vg_free"], "volume groups")
  return dict((name, (size, free)) for (name, size, free) in
              _Parse(ParseVgsOutput, output, "volume groups"))


def GetVgSpace(vg_names: Sequence[str]) -> Dict[str, Optional[Tuple[int,
                                                                     int]]]:
  """Returns (size, free) in MiB for each named volume group.

  A volume group missing on this node maps to None: that is information
  for the master, not a failure of the call.

  """
  known = ListVolumeGroups()
  return dict((name, known.get(name)) for name in vg_names)


def GetPVInfo(vg_names: Sequence[str], filter_allocatable: bool = True
              ) -> List[Tuple[int, str, str]]:
  """Returns the physical volumes of the given volume groups.

  @param filter_allocatable: leave out PVs not marked allocatable
  @return: list of (free MiB, pv name, vg name), as node_verify sends them
  @raise RPCFail: pvs missing or failing

  """
  output = _RunLvmTool(["pvs"] + _COMMON_OPTS +
                       ["-o", "pv_name,vg_name,pv_size,pv_free,pv_attr"],
                       "physical volumes")
  wanted = frozenset(vg_names)
  result = []
  for (pv_name, vg_name, _, free, attr) in \
      _Parse(ParsePvsOutput, output, "physical volumes"):
    if vg_name not in wanted:
      continue
    if filter_allocatable and not attr.startswith("a"):
      continue
    result.append((free, pv_name, vg_name))
  return result


def GetVolumeList(vg_names: Sequence[str]) -> Dict[str, Tuple[int, bool,
                                                                bool]]:
  """Returns the logical volumes of the given volume groups.

  @return: dict "vg/lv" -> (size MiB, inactive, online)
  @raise RPCFail: lvs missing or failing (e.g. an unknown volume group)

  """
  output = _RunLvmTool(["lvs"] + _COMMON_OPTS +
                       ["-o", "vg_name,lv_name,lv_size,lv_attr"] +
                       list(vg_names), "logical volumes")
  return _Parse(ParseLvsOutput, output, "logical volumes")
