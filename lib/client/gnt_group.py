"""gnt-group: node group administration (cli.md 8.3).

Layer 6 (entry points).  ``add``, ``remove``, ``rename``, ``modify`` and
``assign-nodes`` each build one opcode (OP_GROUP_ADD, OP_GROUP_REMOVE,
OP_GROUP_RENAME, OP_GROUP_SET_PARAMS, OP_GROUP_ASSIGN_NODES) and submit
it; the group LUs in cmdlib.group do the work.  The parameter and
instance policy options are gnt-cluster's (imported, not restated).  The
listing commands (list, list-fields, info) and tags arrive with the query
framework; evacuate with instance mobility.

Nothing here changes the configuration directly.
"""

from typing import Any, List, Optional

from ganeti import cli
from ganeti.client import tags_common
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import opcodes
from ganeti import qlang
from ganeti import utils
from ganeti.cli import (ArgGroup, ArgNode, ArgUnknown, DRY_RUN_OPT,
                        FIELDS_OPT, FILTER_OPT, FORCE_OPT, NOHDR_OPT,
                        PRIORITY_OPT, ParamOption, SEP_OPT, SUBMIT_OPTS,
                        ToStdout, VERBOSE_OPT)
from ganeti.client.gnt_cluster import (DISK_PARAMS_OPT, DISK_STATE_OPT,
                                       HV_STATE_OPT, INSTANCE_POLICY_OPTS,
                                       NODE_PARAMS_OPT)


_ALLOC_POLICY_OPT = ParamOption("--alloc-policy", dest="alloc_policy",
                                type="choice", default=None,
                                choices=list(constants.VALID_ALLOC_POLICIES),
                                metavar="<policy>",
                                op_class=opcodes.OpGroupAdd)


def _GroupIPolicy(opts: Any, modify: bool) -> Optional[dict]:
  """The group instance policy asked for by the --specs-*/--ipolicy-* options.

  In ``modify``, the word "default" (any case) removes a group override.
  The result is None when no policy option was given.

  @raise errors.OpPrereqError: std given, or invalid values

  """
  # the template list arrives as ["default"]
  allowed = ([constants.VALUE_DEFAULT, [constants.VALUE_DEFAULT]] if modify
             else [])
  specs = {}
  for name in ("ispecs_mem_size", "ispecs_cpu_count", "ispecs_disk_count",
               "ispecs_disk_size", "ispecs_nic_count"):
    values = dict(getattr(opts, name) or {})
    if modify:
      for (key, value) in values.items():
        if isinstance(value, str) and value.lower() == constants.VALUE_DEFAULT:
          values[key] = constants.VALUE_DEFAULT
    specs[name] = values
  # Ganeti 2.6 accepts --ipolicy-disk-templates in add but ignores it
  templates = opts.ipolicy_disk_templates if modify else None
  try:
    ipolicy = objects.CreateIPolicyFromOpts(
      ipolicy_disk_templates=templates,
      ipolicy_vcpu_ratio=opts.ipolicy_vcpu_ratio,
      ipolicy_spindle_ratio=opts.ipolicy_spindle_ratio,
      group_ipolicy=True, allowed_values=allowed, **specs)
  except errors.ConfigurationError as err:
    raise errors.OpPrereqError("Invalid instance policy options: %s" % err,
                               errors.ECODE_INVAL) from None
  if all(not value for value in ipolicy.values()):
    return None
  return ipolicy


def _States(opts: Any) -> dict:
  """hv_state and disk_state opcode values from their options."""
  return {
    "hv_state": dict(opts.hv_state or []),
    "disk_state": (utils.FlatToDict(opts.disk_state)
                   if opts.disk_state else {}),
    }


def BuildAddOpcode(opts: Any, args: List[str]) -> opcodes.OpGroupAdd:
  """The opcode of ``gnt-group add GROUP``."""
  return opcodes.OpGroupAdd(group_name=args[0], ndparams=opts.ndparams,
                            alloc_policy=opts.alloc_policy,
                            diskparams=dict(opts.diskparams or []),
                            ipolicy=_GroupIPolicy(opts, False),
                            **_States(opts))


def BuildSetParamsOpcode(opts: Any,
                         args: List[str]) -> opcodes.OpGroupSetParams:
  """The opcode of ``gnt-group modify GROUP``.

  As in Ganeti 2.6, a command without options still submits a job (its
  empty containers count as given) that changes nothing.

  """
  return opcodes.OpGroupSetParams(group_name=args[0], ndparams=opts.ndparams,
                                  alloc_policy=opts.alloc_policy,
                                  diskparams=dict(opts.diskparams or []),
                                  ipolicy=_GroupIPolicy(opts, True),
                                  **_States(opts))


@cli.OpcodeCommand(opcodes.OpGroupAdd)
def AddGroup(opts: Any, args: List[str]) -> int:
  """gnt-group add GROUP: create a node group."""
  cli.SubmitOrSend(BuildAddOpcode(opts, args), opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpGroupAssignNodes)
def AssignNodes(opts: Any, args: List[str]) -> int:
  """gnt-group assign-nodes GROUP NODE...: move nodes into a group."""
  op = opcodes.OpGroupAssignNodes(group_name=args[0], nodes=args[1:],
                                  force=opts.force)
  cli.SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpGroupSetParams)
def SetGroupParams(opts: Any, args: List[str]) -> int:
  """gnt-group modify GROUP: change a group's parameters."""
  result = cli.SubmitOrSend(BuildSetParamsOpcode(opts, args), opts)
  if result:
    ToStdout("Modified node group %s", args[0])
    for (param, change) in result:
      ToStdout(" - %-5s -> %s", param, change)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpGroupRemove)
def RemoveGroup(opts: Any, args: List[str]) -> int:
  """gnt-group remove GROUP: remove an empty node group."""
  cli.SubmitOrSend(opcodes.OpGroupRemove(group_name=args[0]), opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpGroupRename)
def RenameGroup(opts: Any, args: List[str]) -> int:
  """gnt-group rename OLD NEW: give a node group a new name."""
  op = opcodes.OpGroupRename(group_name=args[0], new_name=args[1])
  cli.SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


_PARAM_OPTS = [_ALLOC_POLICY_OPT, NODE_PARAMS_OPT, DISK_PARAMS_OPT,
               HV_STATE_OPT, DISK_STATE_OPT] + INSTANCE_POLICY_OPTS

#: Default fields of gnt-group list (cli.md 8.3)
_LIST_DEF_FIELDS = ["name", "node_cnt", "pinst_cnt", "alloc_policy",
                    "ndparams"]


def _FormatDict(value: Any) -> str:
  if not value:
    return "(empty)"
  return ", ".join("%s=%s" % (key, value[key]) for key in sorted(value))


#: Column formats of gnt-group list: (formatter, align right)
_LIST_FORMAT = {
  "node_list": (",".join, False),
  "pinst_list": (",".join, False),
  "ndparams": (_FormatDict, False),
  }


def ListGroups(opts: Any, args: List[str]) -> int:
  """gnt-group list [-o FIELDS] [GROUP...|FILTER]."""
  fields = cli.ParseFields(opts.output, _LIST_DEF_FIELDS)
  return cli.GenericList(constants.QR_GROUP, fields, args, None,
                         opts.separator, not opts.no_headers,
                         format_override=_LIST_FORMAT, verbose=opts.verbose,
                         namefield="name", force_filter=opts.force_filter)


def ListGroupFields(opts: Any, args: List[str]) -> int:
  """gnt-group list-fields [FIELD...]."""
  return cli.GenericListFields(constants.QR_GROUP, args, opts.separator,
                               not opts.no_headers)


def _InfoLines(title: str, value: Any, indent: int) -> List[str]:
  lines = ["%s%s:" % (" " * indent, title)]
  for key in sorted(value or {}):
    item = value[key]
    if isinstance(item, dict):
      lines.extend(_InfoLines("- %s" % key, item, indent + 2))
    else:
      lines.append("%s- %s: %s" % (" " * (indent + 2), key, item))
  return lines


def ShowGroupInfo(opts: Any, args: List[str]) -> int:  # pylint: disable=W0613
  """gnt-group info [GROUP...]: parameters of the groups."""
  client = cli.GetClient()
  qfilter = qlang.MakeSimpleFilter("name", args) if args else None
  response = client.Query(constants.QR_GROUP,
                          ["name", "ndparams", "diskparams", "ipolicy"],
                          qfilter)
  for row in response["data"]:
    ((_, name), (_, ndparams), (_, diskparams), (_, ipolicy)) = row
    ToStdout("Node group: %s", name)
    for line in (_InfoLines("Node parameters", ndparams, 2) +
                 _InfoLines("Disk parameters", diskparams, 2) +
                 _InfoLines("Instance policy", ipolicy, 2)):
      ToStdout(line)
  return constants.EXIT_SUCCESS


commands = {
  "add": (
    AddGroup, [ArgGroup(min=1, max=1)],
    [DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS + _PARAM_OPTS,
    "<group_name>", "Add a new node group to the cluster"),
  "assign-nodes": (
    AssignNodes, [ArgGroup(min=1, max=1), ArgNode(min=1)],
    [DRY_RUN_OPT, FORCE_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "<group_name> <node>...", "Assign nodes to a group"),
  "modify": (
    SetGroupParams, [ArgGroup(min=1, max=1)],
    [DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS + _PARAM_OPTS,
    "<group_name>", "Alters the parameters of a node group"),
  "remove": (
    RemoveGroup, [ArgGroup(min=1, max=1)],
    [DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "[--dry-run] <group-name>",
    "Remove an (empty) node group from the cluster"),
  "list": (
    ListGroups, [ArgGroup()],
    [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT, FILTER_OPT],
    "[<group_name>...]", "Lists the node groups in the cluster"),
  "list-fields": (
    ListGroupFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
    "[fields...]", "Lists all available fields for node groups"),
  "info": (
    ShowGroupInfo, [ArgGroup()], [],
    "[<group_name>...]", "Show node group information"),
  "rename": (
    RenameGroup, [ArgGroup(min=2, max=2)],
    [DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "[--dry-run] <group-name> <new-name>", "Rename a node group"),
  }

commands.update(tags_common.TagCommands(constants.TAG_NODEGROUP))

aliases = {}


def Main():
  """Entry point of scripts/gnt-group."""
  return cli.GenericMain(commands, aliases=aliases)
