"""gnt-os: guest operating systems of the cluster (cli.md 8.6).

Layer 6 (entry points).  ``list`` and ``diagnose`` submit OP_OS_DIAGNOSE
and format its rows: ``list`` the usable OSes (one line per variant),
``diagnose`` what every node reported for every OS it has.  The master's
LUOsDiagnose (cmdlib.query_lus) asks the nodes; nothing is read from disk
here.  ``info`` and ``modify`` are not part of this tool yet.
"""

from typing import Any, Dict, List, Tuple

from ganeti import cli
from ganeti import constants
from ganeti import opcodes
from ganeti import utils
from ganeti.cli import NOHDR_OPT, PRIORITY_OPT, ToStderr, ToStdout


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


commands = {
  "list": (
    ListOS, [], [NOHDR_OPT, PRIORITY_OPT], "",
    "Lists all valid operating systems on the cluster"),
  "diagnose": (
    DiagnoseOS, [], [PRIORITY_OPT], "",
    "Diagnose all operating systems"),
  }

aliases = {}


def Main():
  """Entry point of scripts/gnt-os."""
  return cli.GenericMain(commands, aliases=aliases)
