"""gnt-os: guest operating systems of the cluster (cli.md 8.6).

Layer 6 (entry points).  ``list``, ``info`` and ``diagnose`` submit
OP_OS_DIAGNOSE and format its rows: ``list`` the usable OSes (one line per
variant), ``info`` each OS's flags, API versions, variants and parameters,
``diagnose`` what every node reported for every OS it has.  The master's
LUOsDiagnose (cmdlib.query_lus) asks the nodes; nothing is read from disk
here.  ``modify`` changes the cluster's settings for one OS (its
hypervisor parameters, OS parameters, hidden and blacklisted flags) with
OP_CLUSTER_SET_PARAMS.
"""

from typing import Any, Dict, List, Optional, Tuple

from ganeti import cli
from ganeti import constants
from ganeti import opcodes
from ganeti import utils
from ganeti.cli import (ARGS_ONE_OS, ArgOs, CliOption, DRY_RUN_OPT,
                        NOHDR_OPT, PRIORITY_OPT, SUBMIT_OPT, ToStderr,
                        ToStdout)


#: Options of gnt-os modify (the names Ganeti 2.6 gives them)
HVLIST_OPT = CliOption("-H", "--hypervisor-parameters", dest="hvparams",
                       type="identkeyval", action="append", default=[],
                       help="Hypervisor and hypervisor options, in the"
                       " format hypervisor:option=value,option=value,...")
OSPARAMS_OPT = CliOption("-O", "--os-parameters", dest="osparams",
                         type="keyval", default={},
                         help="OS parameters")
HID_OS_OPT = CliOption("--hidden", dest="hidden", type="bool", default=None,
                       metavar="yes|no",
                       help="Sets the hidden flag on the OS")
BLK_OS_OPT = CliOption("--blacklisted", dest="blacklisted", type="bool",
                       default=None, metavar="yes|no",
                       help="Sets the blacklisted flag on the OS")

#: The fields gnt-os info asks for, in the order it unpacks them
_INFO_FIELDS = ["name", "valid", "variants", "parameters", "api_versions",
                "blacklisted", "hidden"]


#: The fields gnt-os diagnose asks for, in the order it unpacks them
_DIAGNOSE_FIELDS = ["name", "valid", "variants", "node_status", "hidden",
                    "blacklisted"]


def CalculateOSNames(name: str, variants: List[str]) -> List[str]:
  """The names an OS is usable under: ``name+variant`` each, or ``name``."""
  if variants:
    return ["%s+%s" % (name, variant) for variant in variants]
  return [name]


@cli.OpcodeCommand(opcodes.OpOsDiagnose)
def ListOS(opts: Any, args: List[str]) -> int:  # pylint: disable=W0613
  """gnt-os list: the valid, visible OSes, one row per variant."""
  op = opcodes.OpOsDiagnose(output_fields=["name", "variants"], names=[])
  result = cli.SubmitOpCode(op, opts=opts)
  if not result:
    ToStderr("Can't get the OS list")
    return constants.EXIT_FAILURE
  rows = [[os_name] for (name, variants) in result
          for os_name in CalculateOSNames(name, variants)]
  headers = None if opts.no_headers else {"name": "Name"}
  for line in cli.GenerateTable(headers=headers, fields=["name"],
                                separator=None, data=rows):
    ToStdout(line)
  return constants.EXIT_SUCCESS


def _OsStatus(valid: bool, message: str) -> str:
  return "valid" if valid else "invalid - %s" % message


def _DescribeEntry(entry: List[Any]) -> str:
  """One node's first (used) definition of an OS, as diagnose prints it."""
  (path, valid, message, variants, parameters, api_versions) = entry
  text = "%s (path: %s)" % (_OsStatus(valid, message), path)
  if api_versions:
    text += " [API versions: %s]" % utils.CommaJoin(api_versions)
    max_api = max(api_versions)
  else:
    text += " [no API versions declared]"
    max_api = 0
  # variants arrived with API 15, parameters with API 20
  if max_api >= constants.OS_API_V15:
    text += (" [variants: %s]" % utils.CommaJoin(variants) if variants
             else " [no variants]")
  if max_api >= constants.OS_API_V20:
    text += (" [parameters: %s]" %
             utils.CommaJoin(pair[0] for pair in parameters)
             if parameters else " [no parameters]")
  return text


def FormatDiagnosis(name: str, variants: List[str],
                    node_status: Dict[str, List[Any]], hidden: bool,
                    blacklisted: bool) -> Tuple[List[str], bool]:
  """The lines of one OS in ``gnt-os diagnose``; also whether it is good.

  An OS is good when every node that answered has a valid first
  definition of it; shadowed definitions further down the search path are
  listed below their node as ``[hidden]``.

  """
  good_nodes = {}
  bad_nodes = {}
  shadowed = {}
  for (node, entries) in node_status.items():
    if not entries:
      bad_nodes[node] = "OS not found"
      shadowed[node] = []
      continue
    (first, rest) = (entries[0], entries[1:])
    (good_nodes if first[1] else bad_nodes)[node] = _DescribeEntry(first)
    shadowed[node] = ["    [hidden] path: %s, status: %s" %
                      (entry[0], _OsStatus(entry[1], entry[2]))
                      for entry in rest]
  if good_nodes and not bad_nodes:
    status = "valid"
  elif bad_nodes and not good_nodes:
    status = "invalid"
  else:
    status = "partial valid"
  header = "OS: %s [global status: %s]" % (name, status)
  if hidden:
    header += " [hidden]"
  if blacklisted:
    header += " [blacklisted]"
  lines = [header]
  if variants:
    lines.append("  Variants: [%s]" % utils.CommaJoin(variants))
  for per_node in (good_nodes, bad_nodes):
    for node in utils.NiceSort(per_node):
      lines.append("  Node: %s, status: %s" % (node, per_node[node]))
      lines.extend(shadowed[node])
  lines.append("")
  return (lines, status == "valid")


@cli.OpcodeCommand(opcodes.OpOsDiagnose)
def DiagnoseOS(opts: Any, args: List[str]) -> int:  # pylint: disable=W0613
  """gnt-os diagnose: per-node status of every OS; 1 if any is not valid."""
  op = opcodes.OpOsDiagnose(output_fields=_DIAGNOSE_FIELDS, names=[])
  result = cli.SubmitOpCode(op, opts=opts)
  if not result:
    ToStderr("Can't get the OS list")
    return constants.EXIT_FAILURE
  all_good = True
  for (name, _, variants, node_status, hidden, blacklisted) in result:
    (lines, good) = FormatDiagnosis(name, variants, node_status, hidden,
                                    blacklisted)
    all_good = all_good and good
    for line in lines:
      ToStdout(line)
  return constants.EXIT_SUCCESS if all_good else constants.EXIT_FAILURE


def FormatOsInfo(name: str, valid: bool, variants: List[str],
                 parameters: List[List[str]], api_versions: List[int],
                 blacklisted: bool, hidden: bool) -> List[str]:
  """The lines of one OS in ``gnt-os info`` (blank line included)."""
  lines = ["%s:" % name,
           "  - valid: %s" % valid,
           "  - hidden: %s" % hidden,
           "  - blacklisted: %s" % blacklisted]
  if valid:
    lines.append("  - API versions:")
    lines.extend("    - %s" % version for version in sorted(api_versions))
    lines.append("  - variants:")
    lines.extend("    - %s" % variant for variant in variants)
    lines.append("  - parameters:")
    lines.extend("    - %s: %s" % (pname, pdoc)
                 for (pname, pdoc) in parameters)
  lines.append("")
  return lines


@cli.OpcodeCommand(opcodes.OpOsDiagnose)
def ShowOSInfo(opts: Any, args: List[str]) -> int:
  """gnt-os info [OS...]: every OS, or the named ones, in detail.

  As in Ganeti 2.6 all OSes are asked for (hidden, blacklisted and invalid
  ones included) and the names given pick from them; a name no node knows
  is still printed, with nothing after it.

  """
  op = opcodes.OpOsDiagnose(output_fields=_INFO_FIELDS, names=[])
  result = cli.SubmitOpCode(op, opts=opts)
  if not result:
    ToStderr("Can't get the OS list")
    return constants.EXIT_FAILURE
  wanted = list(args)
  for (name, valid, variants, parameters, api_versions, blacklisted,
       hidden) in result:
    if args:
      if name not in wanted:
        continue
      wanted.remove(name)
    for line in FormatOsInfo(name, valid, variants, parameters,
                             api_versions, blacklisted, hidden):
      ToStdout(line)
  for name in wanted:
    ToStdout("%s: ", name)
    ToStdout("")
  return constants.EXIT_SUCCESS


def _FlagEdit(os_name: str, flag: Optional[bool]
              ) -> Optional[List[List[str]]]:
  """The OS list edit setting (True) or clearing (False) a flag."""
  if flag is None:
    return None
  if flag:
    return [[constants.DDM_ADD, os_name]]
  return [[constants.DDM_REMOVE, os_name]]


def BuildModifyOpcode(opts: Any, os_name: str
                      ) -> Optional[opcodes.OpClusterSetParams]:
  """The OP_CLUSTER_SET_PARAMS of ``gnt-os modify``; None if nothing given.

  The OS does not need to exist: its settings are cluster settings.

  """
  os_hvp = None
  if opts.hvparams:
    os_hvp = {os_name: dict(opts.hvparams)}
  osparams = None
  if opts.osparams:
    osparams = {os_name: dict(opts.osparams)}
  hidden = _FlagEdit(os_name, opts.hidden)
  blacklisted = _FlagEdit(os_name, opts.blacklisted)
  if not (os_hvp or osparams or hidden or blacklisted):
    return None
  return opcodes.OpClusterSetParams(os_hvp=os_hvp, osparams=osparams,
                                    hidden_os=hidden,
                                    blacklisted_os=blacklisted)


@cli.OpcodeCommand(opcodes.OpClusterSetParams)
def ModifyOS(opts: Any, args: List[str]) -> int:
  """gnt-os modify: the cluster's parameters and flags of one OS."""
  op = BuildModifyOpcode(opts, args[0])
  if op is None:
    ToStderr("At least one of OS parameters or hypervisor parameters"
             " must be passed")
    return constants.EXIT_FAILURE
  cli.SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


commands = {
  "list": (
    ListOS, [], [NOHDR_OPT, PRIORITY_OPT], "",
    "Lists all valid operating systems on the cluster"),
  "diagnose": (
    DiagnoseOS, [], [PRIORITY_OPT], "",
    "Diagnose all operating systems"),
  "info": (
    ShowOSInfo, [ArgOs()], [PRIORITY_OPT], "",
    "Show detailed information about operating systems"),
  "modify": (
    ModifyOS, ARGS_ONE_OS,
    [HVLIST_OPT, OSPARAMS_OPT, DRY_RUN_OPT, PRIORITY_OPT, HID_OS_OPT,
     BLK_OS_OPT, SUBMIT_OPT],
    "", "Modify the OS parameters"),
  }

#: Command aliases
aliases = {
  "show": "info",
  }


def Main():
  """Entry point of scripts/gnt-os."""
  return cli.GenericMain(commands, aliases=aliases)
