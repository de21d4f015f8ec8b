"""gnt-instance: instance administration (cli.md 8.4).

Layer 6 (entry points).  Every command that changes something builds one
opcode per instance and submits it: ``add`` and ``batch-create``
OP_INSTANCE_CREATE, ``remove`` OP_INSTANCE_REMOVE, ``startup``,
``shutdown`` and ``reboot`` their opcodes (one job per selected instance,
with the selection modes of 2.6: names, nodes, primary/secondary nodes,
the whole cluster, instance or node tags), ``reinstall``, ``rename``,
``modify`` (OP_INSTANCE_SET_PARAMS), the disk commands (activate,
deactivate, grow, recreate) and the tag commands.  ``info`` formats the
result of OP_INSTANCE_QUERY_DATA; ``list``, ``list-fields`` and
``console`` read the master's query2 "instance" resource over LUXI.
Nothing here touches the configuration or the nodes directly; only
``console`` runs a local program (the console command, or ssh to the
node with it).
"""

import json
import os
from typing import Any, Dict, List, Optional, Tuple

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import opcodes
from ganeti import pathutils
from ganeti import qlang
from ganeti import utils
from ganeti import vcluster
from ganeti.cli import (ABSOLUTE_OPT, ArgHost, ArgInstance, ArgUnknown,
                        ArgFile, DRY_RUN_OPT, FIELDS_OPT, FILTER_OPT,
                        FORCE_OPT, FORCE_MULTIPLE_OPT, FORCE_VARIANT_OPT,
                        HVOPTS_OPT,
                        IDENTIFY_DEFAULTS_OPT, IGNORE_FAILURES_OPT,
                        IGNORE_IPOLICY_OPT, IGNORE_OFFLINE_OPT,
                        IGNORE_SECONDARIES_OPT, IGNORE_SIZE_OPT,
                        INSTANCE_CREATE_OPTS, NOHDR_OPT,
                        NODE_PLACEMENT_OPT, NOIPCHECK_OPT, NONAMECHECK_OPT,
                        NOSTART_OPT, NO_INSTALL_OPT, NO_REMEMBER_OPT,
                        NWSYNC_OPT, OFFLINE_INST_OPT, ONLINE_INST_OPT,
                        OS_OPT, PRIORITY_OPT, REBOOT_TYPE_OPT,
                        ROMAN_OPT, RUNTIME_MEM_OPT, SELECT_OS_OPT, SEP_OPT,
                        SHOWCMD_OPT, SHUTDOWN_TIMEOUT_OPT,
                        STARTUP_PAUSED_OPT, STATIC_OPT, SUBMIT_OPTS,
                        TIMEOUT_OPT, UNITS_OPT, VERBOSE_OPT, CliOption)
from ganeti.cli_output import ToRoman
from ganeti.client import tags_common


# --- instance selection (startup, shutdown, reboot, reinstall) ---------------

#: Selection modes: how the positional arguments are read
EXPAND_CLUSTER = "cluster"
EXPAND_NODES_BOTH = "nodes"
EXPAND_NODES_PRI = "nodes-pri"
EXPAND_NODES_SEC = "nodes-sec"
EXPAND_NODES_BOTH_BY_TAGS = "nodes-by-tags"
EXPAND_NODES_PRI_BY_TAGS = "nodes-pri-by-tags"
EXPAND_NODES_SEC_BY_TAGS = "nodes-sec-by-tags"
EXPAND_INSTANCES = "instances"
EXPAND_INSTANCES_BY_TAGS = "instances-by-tags"

#: Node modes -> (nodes chosen by tags, take primaries, take secondaries)
_NODE_MODES = {
  EXPAND_NODES_BOTH: (False, True, True),
  EXPAND_NODES_PRI: (False, True, False),
  EXPAND_NODES_SEC: (False, False, True),
  EXPAND_NODES_BOTH_BY_TAGS: (True, True, True),
  EXPAND_NODES_PRI_BY_TAGS: (True, True, False),
  EXPAND_NODES_SEC_BY_TAGS: (True, False, True),
  }


def _ModeOption(flag: str, mode: str, text: str) -> CliOption:
  return CliOption(flag, dest="multi_mode", action="store_const", const=mode,
                   help=text)


_SELECTION_OPTS = [
  _ModeOption("--instance", EXPAND_INSTANCES,
              "Filter by instance name (default)"),
  _ModeOption("--node", EXPAND_NODES_BOTH,
              "Filter by nodes (primary and secondary)"),
  _ModeOption("--primary", EXPAND_NODES_PRI, "Filter by nodes (primary"
              " only)"),
  _ModeOption("--secondary", EXPAND_NODES_SEC, "Filter by nodes (secondary"
              " only)"),
  _ModeOption("--all", EXPAND_CLUSTER, "Select all instances in the"
              " cluster"),
  _ModeOption("--tags", EXPAND_INSTANCES_BY_TAGS, "Filter by instance"
              " tags"),
  _ModeOption("--node-tags", EXPAND_NODES_BOTH_BY_TAGS, "Filter by node tags"
              " (primary and secondary nodes)"),
  _ModeOption("--pri-node-tags", EXPAND_NODES_PRI_BY_TAGS, "Filter by node"
              " tags (primary nodes only)"),
  _ModeOption("--sec-node-tags", EXPAND_NODES_SEC_BY_TAGS, "Filter by node"
              " tags (secondary nodes only)"),
  ]


def _QueryRows(cl, resource: str, fields: List[str],
               qfilter: Optional[list]) -> List[list]:
  """Rows of a query2 answer; values the master could not give are None."""
  response = cl.Query(resource, fields, qfilter)
  return [[value if status == constants.RS_NORMAL else None
           for (status, value) in row]
          for row in response["data"]]


def ExpandMultiNames(mode: str, names: List[str], cl=None) -> List[str]:
  """The instances a selection mode and its arguments stand for.

  @param mode: one of the EXPAND_* modes
  @param names: instance names, node names or tags, per mode
  @return: instance names, in the master's order (names as requested for
    EXPAND_INSTANCES, node order then primaries before secondaries for
    the node modes), without duplicates
  @raise errors.OpPrereqError: arguments where none are allowed, none
    where some are needed, or an unknown mode

  """
  if cl is None:
    cl = cli.GetClient()
  if mode == EXPAND_CLUSTER:
    if names:
      raise errors.OpPrereqError("Cluster filter mode takes no arguments",
                                 errors.ECODE_INVAL)
    return [row[0] for row in _QueryRows(cl, constants.QR_INSTANCE,
                                         ["name"], None)]
  if mode == EXPAND_INSTANCES:
    if not names:
      raise errors.OpPrereqError("No instance names passed",
                                 errors.ECODE_INVAL)
    rows = _QueryRows(cl, constants.QR_INSTANCE, ["name"],
                      qlang.MakeSimpleFilter("name", names))
    return _Unique(row[0] for row in rows)
  if mode == EXPAND_INSTANCES_BY_TAGS:
    if not names:
      raise errors.OpPrereqError("No instance tags passed",
                                 errors.ECODE_INVAL)
    wanted = frozenset(names)
    rows = _QueryRows(cl, constants.QR_INSTANCE, ["name", "tags"], None)
    return [name for (name, tags) in rows if wanted.intersection(tags or [])]
  if mode in _NODE_MODES:
    (by_tags, primaries, secondaries) = _NODE_MODES[mode]
    if not names:
      raise errors.OpPrereqError("No node %s passed" %
                                 ("tags" if by_tags else "names"),
                                 errors.ECODE_INVAL)
    fields = ["name", "pinst_list", "sinst_list", "tags"]
    if by_tags:
      wanted = frozenset(names)
      rows = [row for row in _QueryRows(cl, constants.QR_NODE, fields, None)
              if wanted.intersection(row[3] or [])]
    else:
      rows = _QueryRows(cl, constants.QR_NODE, fields,
                        qlang.MakeSimpleFilter("name", names))
    selected = []
    for (_, pinst, sinst, _) in rows:
      if primaries:
        selected.extend(pinst or [])
      if secondaries:
        selected.extend(sinst or [])
    return _Unique(selected)
  raise errors.OpPrereqError("Unknown selection mode '%s'" % mode,
                             errors.ECODE_INVAL)


def _Unique(names) -> List[str]:
  seen = set()
  result = []
  for name in names:
    if name not in seen:
      seen.add(name)
      result.append(name)
  return result


def _EnsureInstancesExist(cl, names: List[str]) -> None:
  """Refuse unknown instances before asking the user anything.

  @raise errors.OpPrereqError: ``Instance '<name>' does not exist``

  """
  for name in names:
    try:
      rows = _QueryRows(cl, constants.QR_INSTANCE, ["name"],
                        qlang.MakeSimpleFilter("name", [name]))
    except errors.OpPrereqError as err:
      if len(err.args) > 1 and err.args[1] != errors.ECODE_NOENT:
        raise
      rows = []
    if not rows or rows[0][0] is None:
      raise errors.OpPrereqError("Instance '%s' does not exist" % name,
                                 errors.ECODE_NOENT)


def _RunManyOps(opts: Any, args: List[str], operation: str,
                build_fn) -> int:
  """Run one job per selected instance (startup, shutdown, reboot).

  More than one instance, or any selection mode but names, asks for
  confirmation unless ``--force-multiple``.  With ``--submit`` the job
  ids are printed, else every job is waited for.

  @return: 0 if every job succeeded, else 1

  """
  mode = opts.multi_mode or EXPAND_INSTANCES
  cl = cli.GetClient()
  names = ExpandMultiNames(mode, args, cl=cl)
  if not names:
    if mode == EXPAND_CLUSTER:
      cli.ToStdout("Cluster is empty, no instances to %s", operation)
      return constants.EXIT_SUCCESS
    raise errors.OpPrereqError("Selection filter does not match any"
                               " instances", errors.ECODE_INVAL)
  multi = mode != EXPAND_INSTANCES or len(names) > 1
  if multi and not opts.force_multi and \
      not cli.ConfirmOperation(names, "instances", operation):
    return constants.EXIT_FAILURE
  jex = cli.JobExecutor(cl=cl, verbose=multi, opts=opts)
  for name in names:
    jex.QueueJob(name, build_fn(name, opts))
  results = jex.WaitOrShow(not opts.submit_only)
  if all(row[0] for row in results):
    return constants.EXIT_SUCCESS
  return constants.EXIT_FAILURE


# --- value parsing -----------------------------------------------------------

def _CheckIndexedDicts(kind: str, values: List[tuple]) -> List[dict]:
  """``--disk``/``--net`` pairs as a list indexed by N (gaps become {}).

  @raise errors.OpPrereqError: an index that is not a non-negative
    integer, or a removal form (``no_N``/``-N``) instead of parameters

  """
  indexed = []
  for (ident, params) in values:
    try:
      idx = int(ident)
    except (TypeError, ValueError):
      raise errors.OpPrereqError("Invalid %s index passed: '%s'" %
                                 (kind, ident), errors.ECODE_INVAL) from None
    if idx < 0:
      raise errors.OpPrereqError("Invalid %s index passed: '%s'" %
                                 (kind, ident), errors.ECODE_INVAL)
    if not isinstance(params, dict):
      raise errors.OpPrereqError("Invalid %s/%d value: expected dict, got"
                                 " %s" % (kind, idx, params),
                                 errors.ECODE_INVAL)
    indexed.append((idx, dict(params)))
  if not indexed:
    return []
  result = [{} for _ in range(max(idx for (idx, _) in indexed) + 1)]
  for (idx, params) in indexed:
    result[idx] = params
  return result


def _ParseSize(value: Any, what: str) -> int:
  try:
    return utils.ParseUnit(value)
  except (errors.UnitParseError, TypeError, ValueError) as err:
    raise errors.OpPrereqError("Invalid disk size for %s: %s" % (what, err),
                               errors.ECODE_INVAL) from None


def BuildNics(opts: Any, mode: str = constants.INSTANCE_CREATE) -> List[dict]:
  """The ``nics`` of OP_INSTANCE_CREATE from ``--net``/``--no-nics``.

  Without either, a create gets one NIC with cluster defaults and an
  import none (the export's NICs are used).

  """
  if opts.nics:
    nics = _CheckIndexedDicts("nic", opts.nics)
    for nic in nics:
      utils.ForceDictType(nic, constants.INIC_PARAMS_TYPES)
    return nics
  if opts.no_nics or mode != constants.INSTANCE_CREATE:
    return []
  return [{}]


def BuildDisks(opts: Any, mode: str = constants.INSTANCE_CREATE) -> List[dict]:
  """The ``disks`` of OP_INSTANCE_CREATE from ``--disk``/``-s``.

  Sizes are parsed (rounded up to 4 MiB); adopted disks get size 0 (the
  master reads the real size).

  @raise errors.OpPrereqError: the client-side checks of cli.md 8.4

  """
  template = opts.disk_template
  if template == constants.DT_DISKLESS:
    if opts.disks or opts.sd_size is not None:
      raise errors.OpPrereqError("Diskless instance but disk information"
                                 " passed", errors.ECODE_INVAL)
    return []
  if opts.disks and opts.sd_size is not None:
    raise errors.OpPrereqError("Please use either the '--disk' or '-s'"
                               " option", errors.ECODE_INVAL)
  if opts.sd_size is not None:
    return [{constants.IDISK_SIZE: opts.sd_size}]
  if not opts.disks:
    if mode == constants.INSTANCE_CREATE:
      raise errors.OpPrereqError("No disk information specified",
                                 errors.ECODE_INVAL)
    return []
  disks = _CheckIndexedDicts("disk", opts.disks)
  for (idx, disk) in enumerate(disks):
    if not disk:
      # an index skipped on the command line; the master refuses it
      continue
    if constants.IDISK_SIZE in disk:
      if constants.IDISK_ADOPT in disk:
        raise errors.OpPrereqError("Only one of 'size' and 'adopt' allowed"
                                   " (disk %d)" % idx, errors.ECODE_INVAL)
      disk[constants.IDISK_SIZE] = _ParseSize(disk[constants.IDISK_SIZE],
                                              "disk %d" % idx)
    elif constants.IDISK_ADOPT in disk:
      if mode != constants.INSTANCE_CREATE:
        raise errors.OpPrereqError("Disk adoption not allowed for instance"
                                   " import", errors.ECODE_INVAL)
      disk[constants.IDISK_SIZE] = 0
    else:
      raise errors.OpPrereqError("Missing size or adoption source for disk"
                                 " %d" % idx, errors.ECODE_INVAL)
  return disks


def _SplitHypervisor(value: Optional[tuple]) -> Tuple[Optional[str], dict]:
  """(hypervisor, hvparams) of ``-H hv:k=v,...`` (None, {} without it)."""
  if not value:
    return (None, {})
  (hvname, hvparams) = value
  if not isinstance(hvparams, dict):
    raise errors.OpPrereqError("Hypervisor parameters of '%s' cannot be"
                               " removed here" % hvname, errors.ECODE_INVAL)
  return (hvname, dict(hvparams))


def _CheckHvParams(hvparams: dict) -> None:
  """Coerce hypervisor parameter values; the global ones are refused.

  @raise errors.OpPrereqError: a cluster-global parameter

  """
  utils.ForceDictType(hvparams, constants.HVS_PARAMETER_TYPES)
  globals_given = sorted(set(hvparams) & constants.HVC_GLOBALS)
  if globals_given:
    raise errors.OpPrereqError("Hypervisor parameter(s) %s are cluster-wide"
                               " and cannot be set per instance" %
                               utils.CommaJoin(globals_given),
                               errors.ECODE_INVAL)


# --- add, batch-create -------------------------------------------------------

def BuildCreateOp(opts: Any, args: List[str],
                  mode: str = constants.INSTANCE_CREATE) -> opcodes.OpCode:
  """OP_INSTANCE_CREATE of ``gnt-instance add`` (generic options unset)."""
  (pnode, snode) = cli.SplitNodeOption(opts.node)
  (hypervisor, hvparams) = _SplitHypervisor(opts.hypervisor)
  _CheckHvParams(hvparams)
  beparams = dict(opts.beparams)
  utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT)
  if mode == constants.INSTANCE_CREATE and not opts.os:
    raise errors.OpPrereqError("No OS given: use -o/--os-type",
                               errors.ECODE_INVAL)
  return opcodes.OpInstanceCreate(
    instance_name=args[0],
    mode=mode,
    disks=BuildDisks(opts, mode),
    disk_template=opts.disk_template,
    nics=BuildNics(opts, mode),
    pnode=pnode,
    snode=snode,
    ip_check=opts.ip_check,
    name_check=opts.name_check,
    wait_for_sync=opts.wait_for_sync,
    file_storage_dir=opts.file_storage_dir,
    file_driver=opts.file_driver,
    iallocator=opts.iallocator,
    hypervisor=hypervisor,
    hvparams=hvparams,
    beparams=beparams,
    osparams=dict(opts.osparams),
    start=opts.start and not opts.no_install,
    os_type=opts.os,
    force_variant=opts.force_variant,
    no_install=opts.no_install,
    identify_defaults=opts.identify_defaults,
    ignore_ipolicy=opts.ignore_ipolicy,
    tags=list(opts.tags or []))


@cli.OpcodeCommand(opcodes.OpInstanceCreate)
def AddInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance add -t TEMPLATE -o OS ... NAME: create an instance."""
  if not opts.disk_template:
    raise errors.OpPrereqError("No disk template given: use -t/"
                               "--disk-template", errors.ECODE_INVAL)
  cli.SubmitOrSend(BuildCreateOp(opts, args), opts, cl=cli.GetClient())
  return constants.EXIT_SUCCESS


#: Keys of a batch-create instance spec and their defaults (2.6 format)
_BATCH_DEFAULTS = {
  "disk_size": [20 * 1024],
  "backend": {},
  "iallocator": None,
  "primary_node": None,
  "secondary_node": None,
  "nics": None,
  "start": True,
  "ip_check": True,
  "name_check": True,
  "hypervisor": None,
  "hvparams": {},
  "file_storage_dir": None,
  "force_variant": False,
  "file_driver": constants.FD_DEFAULT,
  }
#: Keys a batch-create spec must have
_BATCH_REQUIRED = ["template", "os"]


def BuildBatchOp(name: str, spec: Dict[str, Any]) -> opcodes.OpCode:
  """OP_INSTANCE_CREATE for one entry of a batch-create file.

  @raise errors.OpPrereqError: a missing or invalid key

  """
  if not isinstance(spec, dict):
    raise errors.OpPrereqError("Definition of instance %s is not a dict" %
                               name, errors.ECODE_INVAL)
  known = set(_BATCH_DEFAULTS) | set(_BATCH_REQUIRED) | \
    set(constants.INIC_PARAMS) | set(["bridge"])
  unknown = sorted(set(spec) - known)
  if unknown:
    raise errors.OpPrereqError("Unknown key(s) %s in the definition of"
                               " instance %s" % (utils.CommaJoin(unknown),
                                                 name), errors.ECODE_INVAL)
  missing = [key for key in _BATCH_REQUIRED if key not in spec]
  if missing:
    raise errors.OpPrereqError("Missing key(s) %s in the definition of"
                               " instance %s" % (utils.CommaJoin(missing),
                                                 name), errors.ECODE_INVAL)
  values = dict(_BATCH_DEFAULTS)
  if spec["template"] == constants.DT_DISKLESS:
    values["disk_size"] = []
  values.update(spec)
  if values["primary_node"] is None and values["iallocator"] is None:
    raise errors.OpPrereqError("You have to provide at least a primary_node"
                               " or an iallocator (instance %s)" % name,
                               errors.ECODE_INVAL)
  if not isinstance(values["hvparams"], dict):
    raise errors.OpPrereqError("Hypervisor parameters must be a dict"
                               " (instance %s)" % name, errors.ECODE_INVAL)
  if not isinstance(values["backend"], dict):
    raise errors.OpPrereqError("Backend parameters must be a dict"
                               " (instance %s)" % name, errors.ECODE_INVAL)
  if not isinstance(values["disk_size"], list):
    raise errors.OpPrereqError("disk_size must be a list (instance %s)" %
                               name, errors.ECODE_INVAL)
  disks = [{constants.IDISK_SIZE: _ParseSize(size, "instance %s" % name)}
           for size in values["disk_size"]]
  beparams = dict(values["backend"])
  utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT)
  hvparams = dict(values["hvparams"])
  _CheckHvParams(hvparams)

  single_nic = dict((key, spec[key]) for key in sorted(constants.INIC_PARAMS)
                    if key in spec)
  if values["nics"] is not None:
    if single_nic:
      raise errors.OpPrereqError("'nics' list incompatible with using"
                                 " individual nic fields as well (instance"
                                 " %s)" % name, errors.ECODE_INVAL)
    if not isinstance(values["nics"], list):
      raise errors.OpPrereqError("'nics' must be a list (instance %s)" %
                                 name, errors.ECODE_INVAL)
    nics = [dict(nic) for nic in values["nics"]]
  elif single_nic:
    nics = [single_nic]
  else:
    nics = [{}]

  return opcodes.OpInstanceCreate(
    instance_name=name,
    mode=constants.INSTANCE_CREATE,
    disks=disks,
    disk_template=values["template"],
    os_type=values["os"],
    force_variant=values["force_variant"],
    pnode=values["primary_node"],
    snode=values["secondary_node"],
    nics=nics,
    start=values["start"],
    ip_check=values["ip_check"],
    name_check=values["name_check"],
    wait_for_sync=True,
    iallocator=values["iallocator"],
    hypervisor=values["hypervisor"],
    hvparams=hvparams,
    beparams=beparams,
    file_storage_dir=values["file_storage_dir"],
    file_driver=values["file_driver"])


@cli.OpcodeCommand(opcodes.OpInstanceCreate)
def BatchCreate(opts: Any, args: List[str]) -> int:
  """gnt-instance batch-create FILE: one creation job per instance.

  The jobs are submitted, not waited for; each gives a line
  ``<job id>: <instance>``.

  """
  try:
    with open(args[0], encoding="utf-8") as handle:
      data = json.load(handle)
  except (OSError, ValueError) as err:
    cli.ToStderr("Can't parse the instance definition file: %s", err)
    return constants.EXIT_FAILURE
  if not isinstance(data, dict):
    cli.ToStderr("The instance definition file is not in dict format.")
    return constants.EXIT_FAILURE
  ops = [(name, BuildBatchOp(name, data[name]))
         for name in utils.NiceSort(data)]
  jex = cli.JobExecutor(cl=cli.GetClient(), opts=opts)
  for (name, op) in ops:
    jex.QueueJob(name, op)
  results = jex.WaitOrShow(False)
  if all(row[0] for row in results):
    return constants.EXIT_SUCCESS
  return constants.EXIT_FAILURE


# --- remove, rename, reinstall -----------------------------------------------

@cli.OpcodeCommand(opcodes.OpInstanceRemove)
def RemoveInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance remove NAME: remove an instance and its disks."""
  name = args[0]
  cl = cli.GetClient()
  if not opts.force:
    _EnsureInstancesExist(cl, [name])
    if not cli.AskUser("This will remove the volumes of the instance %s"
                       " (including mirrors), thus removing all the data"
                       " of the instance. Continue?" % name):
      return constants.EXIT_FAILURE
  op = opcodes.OpInstanceRemove(instance_name=name,
                                ignore_failures=opts.ignore_failures,
                                shutdown_timeout=opts.shutdown_timeout)
  cli.SubmitOrSend(op, opts, cl=cl)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpInstanceRename)
def RenameInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance rename OLD NEW."""
  (old, new) = args
  if not opts.name_check and \
      not cli.AskUser("As you disabled the check of the DNS entry, please"
                      " verify that '%s' is a FQDN. Continue?" % new):
    return constants.EXIT_FAILURE
  op = opcodes.OpInstanceRename(instance_name=old, new_name=new,
                                ip_check=opts.ip_check,
                                name_check=opts.name_check)
  result = cli.SubmitOrSend(op, opts, cl=cli.GetClient())
  if result:
    cli.ToStdout("Instance '%s' renamed to '%s'", old, result)
  return constants.EXIT_SUCCESS


def _OsNames(name: str, variants: Optional[List[str]]) -> List[str]:
  if variants:
    return ["%s+%s" % (name, variant) for variant in variants]
  return [name]


def _SelectOs(opts: Any, cl) -> Optional[str]:
  """Let the user pick an OS from a numbered list; None when aborted."""
  op = opcodes.OpOsDiagnose(output_fields=["name", "variants"], names=[])
  result = cli.SubmitOpCode(op, cl=cl, opts=opts)
  if not result:
    raise errors.OpExecError("Can't get the OS list")
  cli.ToStdout("Available OS templates:")
  choices = []
  for (name, variants) in result:
    for entry in _OsNames(name, variants):
      cli.ToStdout("%3s: %s", len(choices), entry)
      choices.append(("%s" % len(choices), entry, entry))
  choices.append(("x", None, "Exit gnt-instance reinstall"))
  return cli.AskUser("Enter OS template number (or x to abort):", choices)


@cli.OpcodeCommand(opcodes.OpInstanceReinstall)
def ReinstallInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance reinstall [SEL] NAME...: reinstall the OS."""
  mode = opts.multi_mode or EXPAND_INSTANCES
  cl = cli.GetClient()
  names = ExpandMultiNames(mode, args, cl=cl)
  if not names:
    raise errors.OpPrereqError("Selection filter does not match any"
                               " instances", errors.ECODE_INVAL)
  if opts.select_os:
    os_name = _SelectOs(opts, cl)
    if os_name is None:
      cli.ToStderr("User aborted reinstall, exiting")
      return constants.EXIT_FAILURE
  else:
    os_name = opts.os
  if os_name is not None:
    os_msg = "change the OS to '%s'" % os_name
  else:
    os_msg = "keep the same OS"

  multi = mode != EXPAND_INSTANCES or len(names) > 1
  if multi:
    if not opts.force_multi and \
        not cli.ConfirmOperation(names, "instances", "reinstall",
                                 extra="Note: this will remove *all* data"
                                 " for the below instances! It will %s.\n" %
                                 os_msg):
      return constants.EXIT_FAILURE
  elif not (opts.force or opts.force_multi):
    if not cli.AskUser("This will reinstall the instance '%s' (and %s) which"
                       " removes all data. Continue?" % (names[0], os_msg)):
      return constants.EXIT_FAILURE

  jex = cli.JobExecutor(cl=cl, verbose=multi, opts=opts)
  for name in names:
    jex.QueueJob(name, opcodes.OpInstanceReinstall(
      instance_name=name, os_type=os_name, force_variant=opts.force_variant,
      osparams=dict(opts.osparams) if opts.osparams else None))
  results = jex.WaitOrShow(not opts.submit_only)
  if all(row[0] for row in results):
    return constants.EXIT_SUCCESS
  return constants.EXIT_FAILURE


# --- startup, shutdown, reboot -----------------------------------------------

def BuildStartupOp(name: str, opts: Any) -> opcodes.OpCode:
  """OP_INSTANCE_STARTUP; -H/-B apply to this start only."""
  op = opcodes.OpInstanceStartup(
    instance_name=name, force=opts.force,
    ignore_offline_nodes=opts.ignore_offline_nodes,
    no_remember=opts.no_remember, startup_paused=opts.startup_paused)
  if opts.hvparams:
    hvparams = dict(opts.hvparams)
    _CheckHvParams(hvparams)
    op.hvparams = hvparams
  if opts.beparams:
    beparams = dict(opts.beparams)
    utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT)
    op.beparams = beparams
  return op


def BuildShutdownOp(name: str, opts: Any) -> opcodes.OpCode:
  return opcodes.OpInstanceShutdown(
    instance_name=name, timeout=opts.timeout,
    ignore_offline_nodes=opts.ignore_offline_nodes,
    no_remember=opts.no_remember)


def BuildRebootOp(name: str, opts: Any) -> opcodes.OpCode:
  return opcodes.OpInstanceReboot(
    instance_name=name, reboot_type=opts.reboot_type,
    ignore_secondaries=opts.ignore_secondaries,
    shutdown_timeout=opts.shutdown_timeout)


@cli.OpcodeCommand(opcodes.OpInstanceStartup)
def StartupInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance startup [SEL] NAME...: start instances."""
  return _RunManyOps(opts, args, "startup", BuildStartupOp)


@cli.OpcodeCommand(opcodes.OpInstanceShutdown)
def ShutdownInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance shutdown [SEL] NAME...: stop instances."""
  return _RunManyOps(opts, args, "shutdown", BuildShutdownOp)


@cli.OpcodeCommand(opcodes.OpInstanceReboot)
def RebootInstance(opts: Any, args: List[str]) -> int:
  """gnt-instance reboot [SEL] NAME...: reboot instances."""
  return _RunManyOps(opts, args, "reboot", BuildRebootOp)


# --- disks -------------------------------------------------------------------

@cli.OpcodeCommand(opcodes.OpInstanceActivateDisks)
def ActivateDisks(opts: Any, args: List[str]) -> int:
  """gnt-instance activate-disks NAME: print node:disk:device lines."""
  op = opcodes.OpInstanceActivateDisks(instance_name=args[0],
                                       ignore_size=opts.ignore_size)
  for (node, iv_name, device) in cli.SubmitOrSend(op, opts,
                                                  cl=cli.GetClient()) or []:
    cli.ToStdout("%s:%s:%s", node, iv_name, device)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpInstanceDeactivateDisks)
def DeactivateDisks(opts: Any, args: List[str]) -> int:
  """gnt-instance deactivate-disks NAME."""
  op = opcodes.OpInstanceDeactivateDisks(instance_name=args[0],
                                         force=opts.force)
  cli.SubmitOrSend(op, opts, cl=cli.GetClient())
  return constants.EXIT_SUCCESS


def BuildGrowDiskOp(opts: Any, args: List[str]) -> opcodes.OpCode:
  (name, disk, amount) = args
  try:
    idx = int(disk)
  except ValueError:
    raise errors.OpPrereqError("Invalid disk index: '%s'" % disk,
                               errors.ECODE_INVAL) from None
  try:
    size = utils.ParseUnit(amount)
  except errors.UnitParseError:
    raise errors.OpPrereqError("Can't parse the given amount '%s'" % amount,
                               errors.ECODE_INVAL) from None
  return opcodes.OpInstanceGrowDisk(instance_name=name, disk=idx,
                                    amount=size,
                                    wait_for_sync=opts.wait_for_sync,
                                    absolute=opts.absolute)


@cli.OpcodeCommand(opcodes.OpInstanceGrowDisk)
def GrowDisk(opts: Any, args: List[str]) -> int:
  """gnt-instance grow-disk NAME DISK AMOUNT."""
  cli.SubmitOrSend(BuildGrowDiskOp(opts, args), opts, cl=cli.GetClient())
  return constants.EXIT_SUCCESS


def BuildRecreateDisksOp(opts: Any, args: List[str]) -> opcodes.OpCode:
  """OP_INSTANCE_RECREATE_DISKS: ``--disk N[:size=..,mode=..]``, ``-n``."""
  disks = []
  for (ident, params) in opts.disks:
    try:
      idx = int(ident)
    except (TypeError, ValueError):
      raise errors.OpPrereqError("Invalid disk index passed: '%s'" % ident,
                                 errors.ECODE_INVAL) from None
    if idx < 0 or not isinstance(params, dict):
      raise errors.OpPrereqError("Invalid disk/%s value" % ident,
                                 errors.ECODE_INVAL)
    params = dict(params)
    if constants.IDISK_SIZE in params:
      params[constants.IDISK_SIZE] = _ParseSize(params[constants.IDISK_SIZE],
                                                "disk %d" % idx)
    disks.append([idx, params])
  nodes = []
  if opts.node:
    nodes = [name for name in cli.SplitNodeOption(opts.node) if name]
  return opcodes.OpInstanceRecreateDisks(instance_name=args[0], disks=disks,
                                         nodes=nodes)


@cli.OpcodeCommand(opcodes.OpInstanceRecreateDisks)
def RecreateDisks(opts: Any, args: List[str]) -> int:
  """gnt-instance recreate-disks [--disk N:..] [-n P[:S]] NAME."""
  cli.SubmitOrSend(BuildRecreateDisksOp(opts, args), opts,
                   cl=cli.GetClient())
  return constants.EXIT_SUCCESS


# --- modify ------------------------------------------------------------------

_MOD_ACTIONS = (constants.DDM_ADD, constants.DDM_MODIFY, constants.DDM_REMOVE)


def ConvertModifications(kind: str, mods: List[tuple]) -> List[list]:
  """``--disk``/``--net`` values of modify as ``[[op, index, params]]``.

  Accepted forms: ``add[:k=v]`` (append), ``remove`` (last), ``N:k=v``
  (modify N), ``N:add,k=v``, ``N:remove``, ``N:modify,k=v``.

  @raise errors.OpPrereqError: more than one action in an item, an
    index that is not an integer, parameters given with a removal

  """
  result = []
  for (ident, params) in mods:
    if not isinstance(params, dict):
      raise errors.OpPrereqError("Invalid %s modification '%s'" %
                                 (kind, ident), errors.ECODE_INVAL)
    params = dict(params)
    if ident in (constants.DDM_ADD, constants.DDM_REMOVE):
      (action, idx) = (ident, -1)
    else:
      try:
        idx = int(ident)
      except (TypeError, ValueError):
        raise errors.OpPrereqError("Non-numeric index '%s' in %s"
                                   " modification" % (ident, kind),
                                   errors.ECODE_INVAL) from None
      flags = [name for name in _MOD_ACTIONS if name in params]
      if len(flags) > 1:
        raise errors.OpPrereqError("Cannot do more than one of %s at the"
                                   " same time on %s %s" %
                                   (utils.CommaJoin(flags), kind, idx),
                                   errors.ECODE_INVAL)
      action = flags[0] if flags else constants.DDM_MODIFY
      for name in flags:
        del params[name]
    if action == constants.DDM_REMOVE and params:
      raise errors.OpPrereqError("Not accepting parameters on removal",
                                 errors.ECODE_INVAL)
    result.append([action, idx, params])
  return result


def _DefaultsToMarker(params: dict) -> dict:
  """Lower-case any ``default`` value (it removes the instance override)."""
  result = {}
  for (key, value) in params.items():
    if isinstance(value, str) and value.lower() == constants.VALUE_DEFAULT:
      value = constants.VALUE_DEFAULT
    result[key] = value
  return result


def BuildSetParamsOp(opts: Any, args: List[str]) -> Optional[opcodes.OpCode]:
  """OP_INSTANCE_SET_PARAMS of ``gnt-instance modify``.

  @return: None when no change was asked for
  @raise errors.OpPrereqError: invalid combinations (cli.md 8.4)

  """
  if not (opts.nics or opts.disks or opts.disk_template or opts.hvparams or
          opts.beparams or opts.os or opts.osparams or opts.offline_inst or
          opts.online_inst or opts.runtime_mem):
    return None
  if opts.offline_inst and opts.online_inst:
    raise errors.OpPrereqError("Can't use --offline and --online at the same"
                               " time", errors.ECODE_INVAL)
  beparams = _DefaultsToMarker(opts.beparams)
  utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT,
                      allowed_values=[constants.VALUE_DEFAULT])
  hvparams = _DefaultsToMarker(opts.hvparams)
  utils.ForceDictType(hvparams, constants.HVS_PARAMETER_TYPES,
                      allowed_values=[constants.VALUE_DEFAULT])

  disks = ConvertModifications("disk", opts.disks)
  for (action, _, params) in disks:
    if action == constants.DDM_ADD:
      if constants.IDISK_SIZE not in params:
        raise errors.OpPrereqError("Missing required parameter 'size'",
                                   errors.ECODE_INVAL)
      params[constants.IDISK_SIZE] = _ParseSize(params[constants.IDISK_SIZE],
                                                "the new disk")
  nics = ConvertModifications("NIC", opts.nics)
  for (_, _, params) in nics:
    utils.ForceDictType(params, constants.INIC_PARAMS_TYPES)

  if opts.disk_template in constants.DTS_INT_MIRROR and not opts.node:
    raise errors.OpPrereqError("Changing the disk template to a mirrored one"
                               " requires specifying a secondary node",
                               errors.ECODE_INVAL)
  if opts.offline_inst:
    offline = True
  elif opts.online_inst:
    offline = False
  else:
    offline = None
  return opcodes.OpInstanceSetParams(
    instance_name=args[0], nics=nics, disks=disks,
    disk_template=opts.disk_template, remote_node=opts.node,
    hvparams=hvparams, beparams=beparams, runtime_mem=opts.runtime_mem,
    os_name=opts.os, osparams=dict(opts.osparams) if opts.osparams else None,
    force_variant=opts.force_variant, force=opts.force,
    wait_for_sync=opts.wait_for_sync, offline=offline,
    ignore_ipolicy=opts.ignore_ipolicy)


@cli.OpcodeCommand(opcodes.OpInstanceSetParams)
def SetInstanceParams(opts: Any, args: List[str]) -> int:
  """gnt-instance modify ... NAME: change parameters, disks and NICs."""
  op = BuildSetParamsOp(opts, args)
  if op is None:
    cli.ToStderr("Please give at least one of the parameters.")
    return constants.EXIT_FAILURE
  result = cli.SubmitOrSend(op, opts, cl=cli.GetClient())
  if result:
    cli.ToStdout("Modified instance %s", args[0])
    for (param, value) in result:
      cli.ToStdout(" - %-5s -> %s", param, value)
    cli.ToStdout("Please don't forget that most parameters take effect"
                 " only at the next (re)start of the instance initiated by"
                 " ganeti; restarting from within the instance will"
                 " not be enough.")
  return constants.EXIT_SUCCESS


# --- list, list-fields -------------------------------------------------------

#: Default fields of gnt-instance list (2.6 code, cli.md 8.4)
_LIST_DEF_FIELDS = ["name", "hypervisor", "os", "pnode", "status",
                    "oper_ram"]

#: Fields gnt-instance list prints comma-joined
_LIST_FORMAT = dict.fromkeys(
  ["tags", "disk.sizes", "nic.macs", "nic.ips", "nic.modes", "nic.links",
   "nic.bridges", "snodes", "snodes.group", "snodes.group.uuid"],
  (lambda value: ",".join(str(item) for item in value), False))


def ListInstances(opts: Any, args: List[str]) -> int:
  """gnt-instance list [-o FIELDS] [NAME...|FILTER]: instance table."""
  fields = cli.ParseFields(opts.output, _LIST_DEF_FIELDS)
  return cli.GenericList(constants.QR_INSTANCE, fields, args, opts.units,
                         opts.separator, not opts.no_headers,
                         format_override=_LIST_FORMAT, verbose=opts.verbose,
                         namefield="name", force_filter=opts.force_filter)


def ListInstanceFields(opts: Any, args: List[str]) -> int:
  """gnt-instance list-fields [FIELD...]."""
  return cli.GenericListFields(constants.QR_INSTANCE, args, opts.separator,
                               not opts.no_headers)


# --- info --------------------------------------------------------------------

def FormatParameterDict(custom: Optional[dict], actual: Optional[dict],
                        level: int) -> List[str]:
  """``- key: value`` lines; inherited values read ``default (<value>)``."""
  indent = "  " * level
  custom = custom or {}
  lines = []
  for key in sorted(actual or {}):
    value = actual[key]
    if isinstance(value, dict):
      lines.append("%s- %s:" % (indent, key))
      lines.extend(FormatParameterDict(custom.get(key), value, level + 1))
    elif key in custom:
      lines.append("%s- %s: %s" % (indent, key, custom[key]))
    else:
      lines.append("%s- %s: default (%s)" % (indent, key, value))
  return lines


#: Order of the values of a block device status given as a list
_STATUS_KEYS = ["dev_path", "major", "minor", "sync_percent",
                "estimated_time", "is_degraded", "ldisk_status"]


def _StatusTuple(status: Any) -> Optional[tuple]:
  """A block device status (dict or 7-item list) as a tuple; None if none."""
  if not status:
    return None
  if isinstance(status, dict):
    return tuple(status.get(key) for key in _STATUS_KEYS)
  if isinstance(status, (list, tuple)) and len(status) == len(_STATUS_KEYS):
    return tuple(status)
  raise errors.OpExecError("Malformed block device status: %r" % (status, ))


def _FormatDevStatus(dev_type: str, status: Any, roman: bool) -> str:
  """The ``on primary``/``on secondary`` text of a device."""
  values = _StatusTuple(status)
  if values is None:
    return "not active"
  (path, major, minor, sync_percent, eta, degraded, ldisk) = values
  text = "%s (%s:%s)" % (path,
                         "N/A" if major is None else ToRoman(major, roman),
                         "N/A" if minor is None else ToRoman(minor, roman))
  if dev_type == constants.LD_DRBD8:
    if sync_percent is None:
      sync = "in sync"
    elif eta:
      sync = "*RECOVERING* %5.2f%%, ETA %ss" % (sync_percent,
                                                ToRoman(eta, roman))
    else:
      sync = "*RECOVERING* %5.2f%%, ETA unknown" % sync_percent
    text += " %s, status %s" % (sync, "*DEGRADED*" if degraded else "ok")
    if ldisk == constants.LDS_FAULTY:
      text += " *MISSING DISK*"
    elif ldisk == constants.LDS_UNKNOWN:
      text += " *UNCERTAIN STATE*"
  elif dev_type == constants.LD_LV and ldisk == constants.LDS_FAULTY:
    text += " *FAILED* (failed drive?)"
  return text


def _LogicalIdItems(dev_type: str, logical_id: Any, roman: bool) -> list:
  """(key, value) items describing a logical id."""
  if dev_type == constants.LD_DRBD8 and len(logical_id) == 6:
    (node_a, node_b, port, minor_a, minor_b, secret) = logical_id
    return [("nodeA", "%s, minor=%s" % (node_a, ToRoman(minor_a, roman))),
            ("nodeB", "%s, minor=%s" % (node_b, ToRoman(minor_b, roman))),
            ("port", ToRoman(port, roman)),
            ("auth key", secret)]
  if dev_type == constants.LD_LV and len(logical_id) == 2:
    return [("logical_id", "%s/%s" % tuple(logical_id))]
  return [("logical_id", str(logical_id))]


def _KeyValueLines(items: list, level: int) -> List[str]:
  """Lines of (key, value) items aligned on the longest key; other items
  are pre-formatted line lists (children), kept as they are."""
  indent = "  " * level
  width = max([len(item[0]) for item in items if isinstance(item, tuple)] or
              [0])
  lines = []
  for item in items:
    if isinstance(item, tuple):
      (key, value) = item
      lines.append("%s%s:%s %s" % (indent, key, " " * (width - len(key)),
                                   value))
    elif isinstance(item, str):
      lines.append(indent + item)
    else:
      lines.extend(item)
  return lines


def FormatDisk(idx: int, disk: Dict[str, Any], level: int, roman: bool,
               top_level: bool = True) -> List[str]:
  """The lines describing one disk (and its children) of ``info``."""
  indent = "  " * level
  if top_level:
    title = disk.get("iv_name") or "disk %s" % ToRoman(idx, roman)
  else:
    title = "child %s" % ToRoman(idx, roman)
  size = disk.get("size")
  if isinstance(size, int):
    size = utils.FormatUnit(size, "h")
  dev_type = disk.get("dev_type")
  lines = ["%s- %s: %s, size %s" % (indent, title, dev_type, size)]
  items = []
  if top_level:
    items.append(("access mode", disk.get("mode")))
  if disk.get("logical_id") is not None:
    items.extend(_LogicalIdItems(dev_type, disk["logical_id"], roman))
  elif disk.get("physical_id") is not None:
    items.append("physical_id:")
    items.append(["%s  %s" % ("  " * (level + 1), disk["physical_id"])])
  if disk.get("pstatus"):
    items.append(("on primary", _FormatDevStatus(dev_type, disk["pstatus"],
                                                 roman)))
  if disk.get("sstatus"):
    items.append(("on secondary",
                  _FormatDevStatus(dev_type, disk["sstatus"], roman)))
  if disk.get("children"):
    items.append("child devices:")
    for (c_idx, child) in enumerate(disk["children"]):
      items.append(FormatDisk(c_idx, child, level + 2, roman,
                              top_level=False))
  lines.extend(_KeyValueLines(items, level + 1))
  return lines


def _VncConsoleText(info: Dict[str, Any]) -> Optional[str]:
  """Where the VNC console of an instance listens, or None."""
  address = (info.get("hv_actual") or {}).get(constants.HV_VNC_BIND_ADDRESS)
  port = info.get("network_port")
  if not address:
    return None
  pnode = info.get("pnode")
  display = (int(port) - constants.VNC_BASE_PORT) if port is not None else 0
  if display > 0 and address == constants.IP4_ADDRESS_ANY:
    return "%s:%s (display %s)" % (pnode, port, display)
  if display > 0 and netutils.IP4Address.IsValid(address):
    return "%s:%s (node %s) (display %s)" % (address, port, pnode, display)
  # anything else is a path (a unix socket)
  return "%s:%s" % (pnode, address)


def FormatInstanceInfo(info: Dict[str, Any], roman: bool = False
                       ) -> List[str]:
  """The lines ``gnt-instance info`` prints for one instance.

  @param info: one value of OP_INSTANCE_QUERY_DATA's result

  """
  state = "State: configured to be %s" % info["config_state"]
  if info.get("run_state"):
    state += ", actual state is %s" % info["run_state"]
  secondaries = zip(info.get("snodes") or [],
                    info.get("snodes_group_names") or [],
                    info.get("snodes_group_uuids") or [])
  lines = [
    "Instance name: %s" % info["name"],
    "UUID: %s" % info["uuid"],
    "Serial number: %s" % ToRoman(info["serial_no"], roman),
    "Creation time: %s" % utils.FormatTime(info["ctime"]),
    "Modification time: %s" % utils.FormatTime(info["mtime"]),
    state,
    "  Nodes:",
    "    - primary: %s" % info["pnode"],
    "      group: %s (UUID %s)" % (info.get("pnode_group_name"),
                                   info.get("pnode_group_uuid")),
    "    - secondaries: %s" % utils.CommaJoin(
      "%s (group %s, group UUID %s)" % entry for entry in secondaries),
    "  Operating system: %s" % info["os"],
    ]
  lines.extend(FormatParameterDict(info.get("os_instance"),
                                   info.get("os_actual"), 2))
  if info.get("network_port") is not None:
    lines.append("  Allocated network port: %s" %
                 ToRoman(info["network_port"], roman))
  lines.append("  Hypervisor: %s" % info["hypervisor"])
  vnc = _VncConsoleText(info)
  if vnc:
    lines.append("    - console connection: vnc to %s" % vnc)
  lines.extend(FormatParameterDict(info.get("hv_instance"),
                                   info.get("hv_actual"), 2))
  lines.append("  Hardware:")
  be_actual = dict(info.get("be_actual") or {})
  if constants.BE_MAXMEM in be_actual:
    # the legacy name of the maximum memory, still shown by 2.6
    be_actual[constants.BE_MEMORY] = be_actual[constants.BE_MAXMEM]
  lines.extend(FormatParameterDict(info.get("be_instance"), be_actual, 2))
  lines.append("    - NICs:")
  for (idx, (ip, mac, mode, link)) in enumerate(info.get("nics") or []):
    lines.append("      - nic/%d: MAC: %s, IP: %s, mode: %s, link: %s" %
                 (idx, mac, ip, mode, link))
  lines.append("  Disk template: %s" % info["disk_template"])
  lines.append("  Disks:")
  for (idx, disk) in enumerate(info.get("disks") or []):
    lines.extend(FormatDisk(idx, disk, 2, roman))
  return lines


@cli.OpcodeCommand(opcodes.OpInstanceQueryData)
def ShowInstanceConfig(opts: Any, args: List[str]) -> int:
  """gnt-instance info [-s] {--all | NAME...}."""
  if not args and not opts.show_all:
    cli.ToStderr("No instance selected. Please pass in --all if you want to"
                 " query all instances.\nNote that this can take a long time"
                 " on a big cluster.")
    return constants.EXIT_FAILURE
  if args and opts.show_all:
    cli.ToStderr("Cannot use --all if you specify instance names.")
    return constants.EXIT_FAILURE
  op = opcodes.OpInstanceQueryData(instances=args, static=opts.static,
                                   use_locking=not opts.static)
  result = cli.SubmitOpCode(op, cl=cli.GetClient(), opts=opts)
  if not result:
    cli.ToStdout("No instances.")
    return constants.EXIT_FAILURE
  # in the requested order (the master expands short names), the rest
  # (all with --all) sorted like every listing
  order = []
  for wanted in args:
    for name in result:
      if name not in order and (name == wanted or
                                name.startswith(wanted + ".")):
        order.append(name)
        break
  order += utils.NiceSort(name for name in result if name not in order)
  for name in order:
    for line in FormatInstanceInfo(result[name], roman=opts.roman_integers):
      cli.ToStdout(line)
  return constants.EXIT_SUCCESS


# --- console -----------------------------------------------------------------

def _IsLocalNode(node: str) -> bool:
  """Whether the console command of ``node`` can run here without ssh.

  True for this very host and, in a virtual cluster, for every node (they
  all live on this machine and are not reachable by ssh).

  """
  if vcluster.IsVirtualCluster():
    return True
  try:
    myself = netutils.Hostname.GetSysName()
  except errors.GenericError:
    return False
  return node == myself


def BuildSshConsoleCommand(console: Dict[str, Any], cluster_name: str,
                           local: bool) -> List[str]:
  """The argument list running an ssh-kind console.

  Locally the console's own command; elsewhere ssh to the node with a
  terminal, checking the node's key against the cluster's known_hosts.

  """
  command = console["command"]
  if local:
    if isinstance(command, str):
      return ["/bin/sh", "-c", command]
    return [str(arg) for arg in command]
  if not isinstance(command, str):
    command = utils.ShellQuoteArgs([str(arg) for arg in command])
  return ["ssh", "-oEscapeChar=none", "-oBatchMode=yes",
          "-oHashKnownHosts=no",
          "-oGlobalKnownHostsFile=%s" % pathutils.SSH_KNOWN_HOSTS_FILE,
          "-oUserKnownHostsFile=/dev/null", "-oCheckHostIp=no",
          "-oStrictHostKeyChecking=yes",
          "-oHostKeyAlias=%s" % cluster_name, "-t",
          "-l", console.get("user") or "root",
          console["host"], command]


def DoConsole(console: Dict[str, Any], show_command: bool,
              cluster_name: str, _exec_fn=None, _local_fn=None) -> int:
  """Show or open an instance console (cli.md 8.4, console).

  An ssh-kind console replaces this process with the command (or prints
  it with ``--show-cmd``); the other kinds print where to connect.

  """
  if _exec_fn is None:
    _exec_fn = os.execvp
  if _local_fn is None:
    _local_fn = _IsLocalNode
  kind = console.get("kind")
  if kind == constants.CONS_MESSAGE:
    cli.ToStdout("%s", console.get("message"))
  elif kind == constants.CONS_VNC:
    cli.ToStdout("Instance %s has VNC listening on %s:%s (display %s),"
                 " URL <vnc://%s:%s/>", console["instance"], console["host"],
                 console["port"], console.get("display"), console["host"],
                 console["port"])
  elif kind == constants.CONS_SPICE:
    cli.ToStdout("Instance %s has SPICE listening on %s:%s",
                 console["instance"], console["host"], console["port"])
  elif kind == constants.CONS_SSH:
    argv = BuildSshConsoleCommand(console, cluster_name,
                                  _local_fn(console["host"]))
    if show_command:
      cli.ToStdout("%s", utils.ShellQuoteArgs(argv))
    else:
      try:
        _exec_fn(argv[0], argv)
      except OSError as err:
        raise errors.OpExecError("Connection to console of instance %s"
                                 " failed: cannot run %s: %s" %
                                 (console["instance"], argv[0], err)) \
          from None
  else:
    raise errors.OpExecError("Unknown console kind '%s' for instance %s" %
                             (kind, console.get("instance")))
  return constants.EXIT_SUCCESS


def ConnectToInstanceConsole(opts: Any, args: List[str]) -> int:
  """gnt-instance console [--show-cmd] NAME."""
  name = args[0]
  cl = cli.GetClient()
  (cluster_name, ) = cl.QueryConfigValues(["cluster_name"])
  rows = _QueryRows(cl, constants.QR_INSTANCE, ["name", "console",
                                                "oper_state"],
                    qlang.MakeSimpleFilter("name", [name]))
  if not rows:
    raise errors.OpPrereqError("Instance '%s' does not exist" % name,
                               errors.ECODE_NOENT)
  (full_name, console, running) = rows[0]
  if not console:
    if running:
      raise errors.OpExecError("Console information for instance %s is"
                               " unavailable" % full_name)
    raise errors.OpExecError("Instance %s is not running, can't get"
                             " console" % full_name)
  return DoConsole(console, opts.show_command, cluster_name)


# --- command table -----------------------------------------------------------

_INFO_ALL_OPT = CliOption("--all", dest="show_all", default=False,
                          action="store_true",
                          help="Show info on all instances on the cluster."
                          " This can take a long time to run, use wisely")
_MODIFY_OS_OPT = CliOption("-o", "--os-type", dest="os", default=None,
                           metavar="<os>",
                           help="Change the instance's OS without"
                           " reinstalling")
_MODIFY_TEMPLATE_OPT = CliOption(
  "-t", "--disk-template", dest="disk_template", default=None,
  metavar="TEMPLATE", choices=sorted(constants.DISK_TEMPLATES),
  help="Convert the disks to this template (plain or drbd)")
_MODIFY_NODE_OPT = CliOption("-n", "--node", dest="node", default=None,
                             metavar="NODE",
                             help="Secondary node (conversion to drbd)")
_RECREATE_DISK_OPT = CliOption("--disk", dest="disks", action="append",
                               default=[], type="identkeyval",
                               metavar="N[:size=SIZE,mode=MODE]",
                               help="Disk to recreate, optionally with a new"
                               " size or mode (repeatable; default all)")
_REINSTALL_OS_OPT = CliOption("-o", "--os-type", dest="os", default=None,
                              metavar="<os>",
                              help="Install this OS instead of the current"
                              " one")
_TEMP_BACKEND_OPT = CliOption("-B", "--backend-parameters", dest="beparams",
                              type="keyval", default={}, metavar="k=v,...",
                              help="Temporary backend parameters")
_TEMP_HV_OPT = CliOption("-H", "--hypervisor-parameters", dest="hvparams",
                         type="keyval", default={}, metavar="k=v,...",
                         help="Temporary hypervisor parameters")
_MODIFY_BACKEND_OPT = CliOption("-B", "--backend-parameters",
                                dest="beparams", type="keyval", default={},
                                metavar="k=v,...",
                                help="Backend parameters to change"
                                " (\"default\" removes an override)")
_MODIFY_OSPARAMS_OPT = CliOption("-O", "--os-parameters", dest="osparams",
                                 type="keyval", default={},
                                 metavar="k=v,...",
                                 help="OS parameters to change")
_MODIFY_NET_OPT = CliOption("--net", dest="nics", action="append",
                            default=[], type="identkeyval",
                            metavar="{add|remove|N}[:k=v,...]",
                            help="NIC change: add[:k=v], remove, N:k=v,"
                            " N:add,k=v or N:remove (repeatable)")
_MODIFY_DISK_OPT = CliOption("--disk", dest="disks", action="append",
                             default=[], type="identkeyval",
                             metavar="{add|remove|N}[:k=v,...]",
                             help="Disk change: add:size=S, remove,"
                             " N:mode=ro|rw, N:add,size=S or N:remove"
                             " (repeatable)")

_ADD_OPTS = INSTANCE_CREATE_OPTS + [
  NOSTART_OPT, OS_OPT, FORCE_VARIANT_OPT, NO_INSTALL_OPT,
  IDENTIFY_DEFAULTS_OPT]

commands = {
  "add": (
    AddInstance, [ArgHost(min=1, max=1)], _ADD_OPTS,
    "-t <disk_template> -o <os> {-n <node>[:<secondary>] | -I <alloc>}"
    " [--disk N:size=SIZE,mode=MODE | -s SIZE] [--net N:mac=..,ip=..]"
    " [-B k=v,..] [-H hv:k=v,..] [-O k=v,..] <instance_name>",
    "Creates and adds a new instance to the cluster"),
  "batch-create": (
    BatchCreate, [ArgFile(min=1, max=1)], [DRY_RUN_OPT, PRIORITY_OPT],
    "<instances.json>",
    "Create a bunch of instances based on specs in the file."),
  "console": (
    ConnectToInstanceConsole, [ArgInstance(min=1, max=1)],
    [SHOWCMD_OPT, PRIORITY_OPT],
    "[--show-cmd] <instance_name>", "Opens a console on the specified"
    " instance"),
  "list": (
    ListInstances, [ArgInstance()],
    [NOHDR_OPT, SEP_OPT, UNITS_OPT, FIELDS_OPT, VERBOSE_OPT, FILTER_OPT],
    "[<instance_name>...|<filter>]",
    "Lists the instances and their status. The available fields can be"
    " shown using the \"list-fields\" command (see the man page for"
    " details). The default field list is (in order): %s." %
    utils.CommaJoin(_LIST_DEF_FIELDS)),
  "list-fields": (
    ListInstanceFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
    "[fields...]", "Lists all available fields for instances"),
  "info": (
    ShowInstanceConfig, [ArgInstance()],
    [STATIC_OPT, _INFO_ALL_OPT, ROMAN_OPT, PRIORITY_OPT],
    "[-s] {--all | <instance_name>...}",
    "Show information on the specified instance(s)"),
  "reinstall": (
    ReinstallInstance, [ArgInstance()],
    [FORCE_OPT, _REINSTALL_OS_OPT, FORCE_VARIANT_OPT, SELECT_OS_OPT,
     _MODIFY_OSPARAMS_OPT, FORCE_MULTIPLE_OPT, DRY_RUN_OPT, PRIORITY_OPT] +
    _SELECTION_OPTS + SUBMIT_OPTS,
    "[-f] [-o <os>] [--select-os] <instance_name>...",
    "Reinstall a stopped instance"),
  "remove": (
    RemoveInstance, [ArgInstance(min=1, max=1)],
    [FORCE_OPT, SHUTDOWN_TIMEOUT_OPT, IGNORE_FAILURES_OPT, DRY_RUN_OPT,
     PRIORITY_OPT] + SUBMIT_OPTS,
    "[-f] <instance_name>", "Shuts down the instance and removes it"),
  "rename": (
    RenameInstance,
    [ArgInstance(min=1, max=1), ArgHost(min=1, max=1)],
    [NOIPCHECK_OPT, NONAMECHECK_OPT, DRY_RUN_OPT, PRIORITY_OPT] +
    SUBMIT_OPTS,
    "<instance_name> <new_name>", "Rename the instance"),
  "modify": (
    SetInstanceParams, [ArgInstance(min=1, max=1)],
    [FORCE_OPT, _MODIFY_BACKEND_OPT, HVOPTS_OPT, _MODIFY_OSPARAMS_OPT,
     _MODIFY_OS_OPT, FORCE_VARIANT_OPT, _MODIFY_TEMPLATE_OPT,
     _MODIFY_NODE_OPT, NWSYNC_OPT, _MODIFY_NET_OPT, _MODIFY_DISK_OPT,
     RUNTIME_MEM_OPT, OFFLINE_INST_OPT, ONLINE_INST_OPT, IGNORE_IPOLICY_OPT,
     DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "<instance_name>", "Alters the parameters of an instance"),
  "shutdown": (
    ShutdownInstance, [ArgInstance()],
    [TIMEOUT_OPT, IGNORE_OFFLINE_OPT, NO_REMEMBER_OPT, FORCE_MULTIPLE_OPT,
     DRY_RUN_OPT, PRIORITY_OPT] + _SELECTION_OPTS + SUBMIT_OPTS,
    "<instance_name>...", "Stops an instance"),
  "startup": (
    StartupInstance, [ArgInstance()],
    [FORCE_OPT, IGNORE_OFFLINE_OPT, NO_REMEMBER_OPT, STARTUP_PAUSED_OPT,
     _TEMP_HV_OPT, _TEMP_BACKEND_OPT, FORCE_MULTIPLE_OPT, DRY_RUN_OPT,
     PRIORITY_OPT] + _SELECTION_OPTS + SUBMIT_OPTS,
    "<instance_name>...", "Starts an instance"),
  "reboot": (
    RebootInstance, [ArgInstance()],
    [REBOOT_TYPE_OPT, IGNORE_SECONDARIES_OPT, SHUTDOWN_TIMEOUT_OPT,
     FORCE_MULTIPLE_OPT, DRY_RUN_OPT, PRIORITY_OPT] + _SELECTION_OPTS +
    SUBMIT_OPTS,
    "[-t <type>] <instance_name>...", "Reboots an instance"),
  "activate-disks": (
    ActivateDisks, [ArgInstance(min=1, max=1)],
    [IGNORE_SIZE_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "<instance_name>", "Activate an instance's disks"),
  "deactivate-disks": (
    DeactivateDisks, [ArgInstance(min=1, max=1)],
    [FORCE_OPT, DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "[-f] <instance_name>", "Deactivate an instance's disks"),
  "recreate-disks": (
    RecreateDisks, [ArgInstance(min=1, max=1)],
    [_RECREATE_DISK_OPT, NODE_PLACEMENT_OPT, DRY_RUN_OPT, PRIORITY_OPT] +
    SUBMIT_OPTS,
    "[--disk N[:size=S,mode=M]] [-n node[:secondary]] <instance_name>",
    "Recreate an instance's disks"),
  "grow-disk": (
    GrowDisk,
    [ArgInstance(min=1, max=1), ArgUnknown(min=1, max=1),
     ArgUnknown(min=1, max=1)],
    [NWSYNC_OPT, ABSOLUTE_OPT, DRY_RUN_OPT, PRIORITY_OPT] + SUBMIT_OPTS,
    "<instance_name> <disk> <size>", "Grow an instance's disk"),
  }

commands.update(tags_common.TagCommands(constants.TAG_INSTANCE))

aliases = {
  "start": "startup",
  "stop": "shutdown",
  "show": "info",
  }


def Main():
  """Entry point of scripts/gnt-instance (GNT_INSTANCE_LIST feeds list)."""
  return cli.GenericMain(commands, aliases=aliases, env_override={"list"})
