"""Command line options and argument definitions shared by the gnt-* tools.

Layer 6 (entry points); part of `ganeti.cli`, which re-exports every public
name of this module.  It holds the optparse machinery with Ganeti's extra
value types (sizes, key=value lists, ident:key=value, yes/no booleans,
comma lists, "default"-or-float), the common options of every tool as
module constants, and the positional argument classes used by the command
tables.

An option that feeds an opcode parameter uses the parameter's name as its
``dest`` and borrows the parameter's description from the opcode tables
(`ParamDoc`), so the two cannot drift apart; such options carry
``opcode_param=True`` so tests can check them against the opcode a command
builds.  This module must not talk to the master or print anything.
"""

import copy
import optparse
from typing import Optional

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import utils


#: Prefix of a key (or ident) meaning "set to False" in key=value options
NO_PREFIX = "no_"
#: Prefix of a key (or ident) meaning "reset to default" (value None)
UN_PREFIX = "-"

#: Accepted words of the "bool" option type
_BOOL_TRUE = frozenset([constants.VALUE_TRUE, "yes"])
_BOOL_FALSE = frozenset([constants.VALUE_FALSE, "no"])

#: Names accepted by --priority, mapped to opcode priorities
_PRIONAME_TO_VALUE = {
  "low": constants.OP_PRIO_LOW,
  "normal": constants.OP_PRIO_NORMAL,
  "high": constants.OP_PRIO_HIGH,
  }
#: Choices of --priority, lowest priority first as in Ganeti's help text
_PRIORITY_NAMES = ["low", "normal", "high"]


def PriorityNameToValue(name: str) -> int:
  """Return the opcode priority for a --priority name.

  @raise errors.OpPrereqError: the name is not low, normal or high

  """
  try:
    return _PRIONAME_TO_VALUE[name]
  except KeyError:
    raise errors.OpPrereqError("Unknown priority name '%s', expected one of"
                               " %s" % (name, ", ".join(_PRIORITY_NAMES)),
                               errors.ECODE_INVAL) from None


def ParamDoc(name: str, op_class: Optional[type] = None) -> str:
  """Return the description of an opcode parameter, for option help.

  @param op_class: the opcode to take it from; by default the first
    opcode (by OP_ID) that has the parameter
  @raise errors.ProgrammerError: no such parameter

  """
  if op_class is not None:
    candidates = [op_class]
  else:
    candidates = [opcodes.OP_MAPPING[op_id]
                  for op_id in sorted(opcodes.OP_MAPPING)]
  for klass in candidates:
    try:
      return klass.GetParam(name).doc
    except KeyError:
      continue
  where = op_class.OP_ID if op_class is not None else "any opcode"
  raise errors.ProgrammerError("Parameter '%s' is not known to %s, cannot"
                               " borrow its description" % (name, where))


# Value types of the options


def _SplitKeyVal(opt: str, data: str) -> dict:
  """Parse "k=v,k2,no_k3,-k4" into a dict (see cli.md 3.1).

  @raise errors.ParameterError: a key is given twice

  """
  result = {}
  if not data:
    return result
  for elem in utils.UnescapeAndSplit(data, sep=","):
    if "=" in elem:
      (key, value) = elem.split("=", 1)
    elif elem.startswith(NO_PREFIX):
      (key, value) = (elem[len(NO_PREFIX):], False)
    elif elem.startswith(UN_PREFIX):
      (key, value) = (elem[len(UN_PREFIX):], None)
    else:
      (key, value) = (elem, True)
    if key in result:
      raise errors.ParameterError("Duplicate key '%s' in option %s" %
                                  (key, opt))
    result[key] = value
  return result


def check_key_val(option, opt, value):  # pylint: disable=W0613
  """optparse checker of the "keyval" type: a key=value list."""
  return _SplitKeyVal(opt, value)


def check_ident_key_val(option, opt, value):  # pylint: disable=W0613
  """optparse checker of "identkeyval": ``ident[:k=v,...]`` (cli.md 3.2).

  ``no_ident`` gives (ident, False), ``-ident`` (not followed by a digit,
  so negative indices still work) gives (ident, None); neither may carry
  key=value pairs.

  @raise errors.ParameterError: options after a removal, duplicate keys

  """
  if ":" in value:
    (ident, rest) = value.split(":", 1)
  else:
    (ident, rest) = (value, "")

  if ident.startswith(NO_PREFIX):
    removal = (ident[len(NO_PREFIX):], False)
  elif (ident.startswith(UN_PREFIX) and
        (len(ident) == len(UN_PREFIX) or
         not ident[len(UN_PREFIX)].isdigit())):
    removal = (ident[len(UN_PREFIX):], None)
  else:
    return (ident, _SplitKeyVal(opt, rest))
  if rest:
    raise errors.ParameterError("Cannot pass options when removing parameter"
                                " groups: %s (option %s)" % (value, opt))
  return removal


def check_unit(option, opt, value):  # pylint: disable=W0613
  """optparse checker of "unit": a size in MiB (cli.md 3.3)."""
  try:
    return utils.ParseUnit(value)
  except errors.UnitParseError as err:
    raise optparse.OptionValueError("option %s: %s" % (opt, err)) from None


def check_bool(option, opt, value):  # pylint: disable=W0613
  """optparse checker of "bool": yes/no/true/false, any case.

  @raise errors.ParameterError: any other word (exit code 1, as in Ganeti)

  """
  lowered = value.lower()
  if lowered in _BOOL_FALSE:
    return False
  if lowered in _BOOL_TRUE:
    return True
  raise errors.ParameterError("Invalid boolean value '%s' for option %s" %
                              (value, opt))


def check_list(option, opt, value):  # pylint: disable=W0613
  """optparse checker of "list": comma list, backslash escapes a comma."""
  if not value:
    return []
  return utils.UnescapeAndSplit(value)


def check_maybefloat(option, opt, value):  # pylint: disable=W0613
  """optparse checker of "maybefloat": a float or the word "default"."""
  lowered = value.lower()
  if lowered == constants.VALUE_DEFAULT:
    return lowered
  try:
    return float(value)
  except ValueError:
    raise optparse.OptionValueError("option %s: invalid value '%s', expected"
                                    " a number or '%s'" %
                                    (opt, value, constants.VALUE_DEFAULT)) \
      from None


class CliOption(optparse.Option):
  """An optparse option with Ganeti's value types.

  Extra attributes: ``completion_suggest`` (values offered by shell
  completion) and ``opcode_param`` (true when ``dest`` names the opcode
  parameter the option fills).

  """
  ATTRS = optparse.Option.ATTRS + ["completion_suggest", "opcode_param"]
  TYPES = optparse.Option.TYPES + ("identkeyval", "keyval", "unit", "bool",
                                   "list", "maybefloat")
  TYPE_CHECKER = copy.copy(optparse.Option.TYPE_CHECKER)
  TYPE_CHECKER["identkeyval"] = check_ident_key_val
  TYPE_CHECKER["keyval"] = check_key_val
  TYPE_CHECKER["unit"] = check_unit
  TYPE_CHECKER["bool"] = check_bool
  TYPE_CHECKER["list"] = check_list
  TYPE_CHECKER["maybefloat"] = check_maybefloat

  def take_action(self, action, dest, opt, value, values, parser):
    if action == "append":
      # optparse appends to the default list itself, so a list default
      # would collect the values of every parse in this process
      setattr(values, dest, list(getattr(values, dest, None) or []) + [value])
      return 1
    return optparse.Option.take_action(self, action, dest, opt, value,
                                       values, parser)


#: Shorter name used by command modules
cli_option = CliOption  # pylint: disable=C0103


def ParamOption(*opt_strings, dest: str, op_class: Optional[type] = None,
                help_prefix: str = "", **kwargs) -> CliOption:
  """Build an option that fills the opcode parameter ``dest``.

  The help text is the parameter's description (optionally prefixed, e.g.
  for negated flags), so it is written once, in the opcode table.

  @raise errors.ProgrammerError: ``dest`` is not an opcode parameter

  """
  doc = ParamDoc(dest, op_class)
  return CliOption(*opt_strings, dest=dest, opcode_param=True,
                   help=help_prefix + doc, **kwargs)


# Positional arguments of the command tables


class _Argument(object):
  """A positional argument kind taking between ``min`` and ``max`` words.

  ``max`` None means unlimited.

  """

  def __init__(self, min=0, max=None):  # pylint: disable=W0622
    if not isinstance(min, int) or min < 0:
      raise errors.ProgrammerError("Argument minimum must be a non-negative"
                                   " integer, got %r" % (min, ))
    if max is not None and (not isinstance(max, int) or max < min):
      raise errors.ProgrammerError("Argument maximum must be None or an"
                                   " integer >= minimum %s, got %r" %
                                   (min, max))
    self.min = min
    self.max = max

  def __repr__(self):
    return "<%s min=%s max=%s>" % (self.__class__.__name__, self.min,
                                   self.max)


class ArgSuggest(_Argument):
  """An argument offering fixed choices to completion (any value accepted)."""

  def __init__(self, min=0, max=None, choices=None):  # pylint: disable=W0622
    _Argument.__init__(self, min=min, max=max)
    self.choices = choices

  def __repr__(self):
    return "<%s min=%s max=%s choices=%r>" % (self.__class__.__name__,
                                               self.min, self.max,
                                               self.choices)


class ArgChoice(ArgSuggest):
  """An argument that must be one of ``choices`` (checked by the command)."""


class ArgUnknown(_Argument):
  """An argument of unknown kind."""


class ArgInstance(_Argument):
  """An instance name."""


class ArgNode(_Argument):
  """A node name."""


class ArgGroup(_Argument):
  """A node group name or UUID."""


class ArgJobId(_Argument):
  """A job id."""


class ArgFile(_Argument):
  """A file name."""


class ArgCommand(_Argument):
  """A command line to run."""


class ArgHost(_Argument):
  """A host name."""


class ArgOs(_Argument):
  """An OS name."""


ARGS_NONE = []
ARGS_MANY_INSTANCES = [ArgInstance()]
ARGS_MANY_NODES = [ArgNode()]
ARGS_MANY_GROUPS = [ArgGroup()]
ARGS_ONE_INSTANCE = [ArgInstance(min=1, max=1)]
ARGS_ONE_NODE = [ArgNode(min=1, max=1)]
ARGS_ONE_GROUP = [ArgGroup(min=1, max=1)]
ARGS_ONE_OS = [ArgOs(min=1, max=1)]


class ArgumentCountError(Exception):
  """A command got a number of positional arguments its table refuses.

  Not a Ganeti error: `GenericMain` prints it as ``Error: <msg>`` and
  exits with 1.

  """


def CheckArguments(cmd: str, args_def: Optional[list], args: list) -> None:
  """Check the number of positional arguments against a command's table.

  Only the last argument definition may take a variable number of words.
  ``args_def`` None turns the check off.

  @raise ArgumentCountError: wrong number of arguments, with Ganeti's text
  @raise errors.ProgrammerError: a variable-count definition is not last

  """
  if args_def is None:
    return
  for arg in args_def[:-1]:
    if arg.max is None or arg.min != arg.max:
      raise errors.ProgrammerError("Only the last argument of command '%s'"
                                   " may have a variable count" % cmd)
  min_count = sum(arg.min for arg in args_def)
  if any(arg.max is None for arg in args_def):
    max_count = None
  else:
    max_count = sum(arg.max for arg in args_def)
  count = len(args)
  if max_count == 0:
    if count:
      raise ArgumentCountError("Command %s expects no arguments" % cmd)
  elif min_count == max_count:
    if count != min_count:
      raise ArgumentCountError("Command %s expects %d argument(s)" %
                               (cmd, min_count))
  elif max_count is not None and count > max_count:
    raise ArgumentCountError("Command %s expects only %d argument(s)" %
                             (cmd, max_count))
  elif count < min_count:
    raise ArgumentCountError("Command %s expects at least %d argument(s)" %
                             (cmd, min_count))


# Common options (cli.md section 2)

DEBUG_OPT = CliOption("-d", "--debug", default=0, action="count",
                      dest="debug_level", opcode_param=True,
                      help="Increase debugging level (repeat for more);"
                      " also sets the opcodes' debug level")

NOHDR_OPT = CliOption("--no-headers", default=False, action="store_true",
                      dest="no_headers",
                      help="Don't display column headers")

SEP_OPT = CliOption("--separator", default=None, action="store",
                    dest="separator",
                    help="Separator between output fields (defaults to"
                    " one space; a separator also turns off padding and"
                    " human-readable units)")

UNITS_OPT = CliOption("--units", default=None, dest="units",
                      choices=["h", "m", "g", "t"],
                      help="Units for size fields: h (human readable,"
                      " default), m, g or t")
#: Ganeti's name for UNITS_OPT
USEUNITS_OPT = UNITS_OPT

FIELDS_OPT = CliOption("-o", "--output", dest="output", action="store",
                       type="string", metavar="FIELDS",
                       help="Comma separated list of output fields; a"
                       " leading '+' appends to the default list")

FILTER_OPT = CliOption("-F", "--filter", dest="force_filter",
                       action="store_true", default=False,
                       help="Whether to force an argument to be treated as"
                       " a query filter")

FORCE_OPT = CliOption("-f", "--force", dest="force", action="store_true",
                      default=False, help="Force the operation (no"
                      " confirmation)")

CONFIRM_OPT = CliOption("--yes", dest="confirm", action="store_true",
                        default=False, help="Do not ask for confirmation")

YES_DOIT_OPT = CliOption("--yes-do-it", "--ya-rly", dest="yes_do_it",
                         action="store_true", default=False,
                         help="Really do it (for dangerous operations)")

VERBOSE_OPT = CliOption("-v", "--verbose", default=False,
                        action="store_true", dest="verbose",
                        help="Increase the verbosity of the operation")

SUBMIT_OPT = CliOption("--submit", dest="submit_only", default=False,
                       action="store_true",
                       help="Submit the job and return the job ID, but"
                       " don't wait for the job to finish")

PRINT_JOBID_OPT = CliOption("--print-jobid", dest="print_jobid",
                            default=False, action="store_true",
                            help="Additionally print the job ID as the first"
                            " line on standard output (for scripting)")

#: Options of commands that can return before their job ends (later
#: Ganeti's --print-jobid comes with --submit)
SUBMIT_OPTS = [SUBMIT_OPT, PRINT_JOBID_OPT]

DRY_RUN_OPT = ParamOption("--dry-run", dest="dry_run", default=False,
                          action="store_true")

PRIORITY_OPT = CliOption("--priority", default=None, dest="priority",
                         metavar="|".join(_PRIORITY_NAMES),
                         choices=_PRIORITY_NAMES, opcode_param=True,
                         help="Priority for opcode processing (%s)" %
                         ", ".join(_PRIORITY_NAMES))

TAG_SRC_OPT = CliOption("--from", dest="tags_source", default=None,
                        metavar="FILE",
                        help="File with tag names, one per line ('-' for"
                        " standard input)")

TAG_ADD_OPT = ParamOption("--tags", dest="tags", default=None,
                          type="list", metavar="TAG,...",
                          op_class=opcodes.OpInstanceCreate)

IALLOCATOR_OPT = ParamOption("-I", "--iallocator", metavar="<NAME>",
                             dest="iallocator", default=None, type="string",
                             help_prefix="Iallocator plugin to use: ")

EARLY_RELEASE_OPT = ParamOption("--early-release", dest="early_release",
                                default=False, action="store_true")

IGNORE_IPOLICY_OPT = ParamOption("--ignore-ipolicy", dest="ignore_ipolicy",
                                 default=False, action="store_true")

SHUTDOWN_TIMEOUT_OPT = ParamOption(
  "--shutdown-timeout", dest="shutdown_timeout", type="int",
  default=constants.DEFAULT_SHUTDOWN_TIMEOUT, metavar="SECONDS")

TIMEOUT_OPT = ParamOption("--timeout", dest="timeout", type="int",
                          default=constants.DEFAULT_SHUTDOWN_TIMEOUT,
                          metavar="SECONDS",
                          op_class=opcodes.OpInstanceShutdown)

NO_REMEMBER_OPT = ParamOption("--no-remember", dest="no_remember",
                              default=False, action="store_true")

IGNORE_OFFLINE_OPT = ParamOption("--ignore-offline",
                                 dest="ignore_offline_nodes", default=False,
                                 action="store_true")

IGNORE_CONSIST_OPT = ParamOption("--ignore-consistency",
                                 dest="ignore_consistency", default=False,
                                 action="store_true")

NWSYNC_OPT = ParamOption("--no-wait-for-sync", dest="wait_for_sync",
                         default=True, action="store_false",
                         help_prefix="Turn off: ")

OOB_TIMEOUT_OPT = CliOption("--oob-timeout", dest="oob_timeout", type="int",
                            default=constants.OOB_TIMEOUT,
                            help="Maximum time to wait for the out-of-band"
                            " helper (seconds)")

POWER_DELAY_OPT = CliOption("--power-delay", dest="power_delay",
                            type="float", default=constants.OOB_POWER_DELAY,
                            help="Time in seconds to wait between powering"
                            " on nodes")

ROMAN_OPT = CliOption("--roman", dest="roman_integers", default=False,
                      action="store_true",
                      help="Use roman numbers for positive integers")

INTERVAL_OPT = CliOption("--interval", dest="interval", type="int",
                         default=None, metavar="SECONDS",
                         help="Repeat the listing every SECONDS seconds")

#: Options every command accepts
COMMON_OPTS = [DEBUG_OPT]

#: Options every command submitting an opcode should offer
COMMON_CREATE_OPTS = [DRY_RUN_OPT, PRIORITY_OPT]


# Options of the instance commands (gnt-instance; the creation options are
# shared with gnt-backup import)

def SplitNodeOption(value: Optional[str]) -> tuple:
  """Split the value of ``-n pnode[:snode]`` into (pnode, snode).

  snode is None when no colon is given; an empty value gives (None, None).

  """
  if not value:
    return (None, None)
  if ":" in value:
    (pnode, snode) = value.split(":", 1)
    return (pnode, snode or None)
  return (value, None)


DISK_OPT = CliOption("--disk", dest="disks", action="append", default=[],
                     type="identkeyval", metavar="N:size=SIZE,mode=MODE",
                     help="Disk parameters: N:size=SIZE (or adopt=LV),"
                     " mode=ro|rw, vg=VG, metavg=VG (repeatable)")

NET_OPT = CliOption("--net", dest="nics", action="append", default=[],
                    type="identkeyval", metavar="N:mac=MAC,ip=IP,...",
                    help="NIC parameters: N:mac=..,ip=..,mode=..,link=.."
                    " (repeatable)")

NONICS_OPT = CliOption("--no-nics", dest="no_nics", default=False,
                       action="store_true",
                       help="Create the instance without network interfaces")

OS_SIZE_OPT = CliOption("-s", "--os-size", dest="sd_size", type="unit",
                        default=None, metavar="SIZE",
                        help="Size of the single disk (shorthand for"
                        " --disk 0:size=SIZE)")

NODE_PLACEMENT_OPT = CliOption("-n", "--node", dest="node", default=None,
                               metavar="NODE[:SECONDARY_NODE]",
                               help="Target node and optional secondary"
                               " node")

DISK_TEMPLATE_OPT = ParamOption("-t", "--disk-template",
                                dest="disk_template", default=None,
                                metavar="TEMPLATE",
                                choices=sorted(constants.DISK_TEMPLATES),
                                op_class=opcodes.OpInstanceCreate)

OS_OPT = CliOption("-o", "--os-type", dest="os", default=None,
                   metavar="<os>",
                   help="What OS to run (name or name+variant)")

FORCE_VARIANT_OPT = ParamOption("--force-variant", dest="force_variant",
                                default=False, action="store_true",
                                op_class=opcodes.OpInstanceCreate)

BACKEND_OPT = ParamOption("-B", "--backend-parameters", dest="beparams",
                          type="keyval", default={},
                          op_class=opcodes.OpInstanceCreate)

HYPERVISOR_OPT = CliOption("-H", "--hypervisor-parameters",
                           dest="hypervisor", type="identkeyval",
                           default=None, metavar="HYPERVISOR[:k=v,...]",
                           help="Hypervisor and its parameters")

HVOPTS_OPT = CliOption("-H", "--hypervisor-parameters", dest="hvparams",
                       type="keyval", default={}, metavar="k=v,...",
                       help="Hypervisor parameters")

OSPARAMS_OPT = ParamOption("-O", "--os-parameters", dest="osparams",
                           type="keyval", default={},
                           op_class=opcodes.OpInstanceCreate)

NOSTART_OPT = ParamOption("--no-start", dest="start", default=True,
                          action="store_false", help_prefix="Turn off: ",
                          op_class=opcodes.OpInstanceCreate)

NO_INSTALL_OPT = ParamOption("--no-install", dest="no_install",
                             default=False, action="store_true",
                             op_class=opcodes.OpInstanceCreate)

NOIPCHECK_OPT = CliOption("--no-ip-check", dest="ip_check", default=True,
                          action="store_false",
                          help="Don't check that the instance's IP is"
                          " alive")

NONAMECHECK_OPT = CliOption("--no-name-check", dest="name_check",
                            default=True, action="store_false",
                            help="Don't check that the instance's name is"
                            " resolvable")

FILESTORE_DIR_OPT = ParamOption("--file-storage-dir",
                                dest="file_storage_dir", default=None,
                                metavar="<DIR>",
                                op_class=opcodes.OpInstanceCreate)

FILESTORE_DRIVER_OPT = ParamOption("--file-driver", dest="file_driver",
                                   default=constants.FD_DEFAULT,
                                   metavar="<DRIVER>",
                                   choices=sorted(constants.FILE_DRIVER),
                                   op_class=opcodes.OpInstanceCreate)

IDENTIFY_DEFAULTS_OPT = ParamOption("--identify-defaults",
                                    dest="identify_defaults", default=False,
                                    action="store_true",
                                    op_class=opcodes.OpInstanceCreate)

IGNORE_FAILURES_OPT = ParamOption("--ignore-failures",
                                  dest="ignore_failures", default=False,
                                  action="store_true",
                                  op_class=opcodes.OpInstanceRemove)

STARTUP_PAUSED_OPT = ParamOption("--paused", dest="startup_paused",
                                 default=False, action="store_true",
                                 op_class=opcodes.OpInstanceStartup)

IGNORE_SECONDARIES_OPT = ParamOption("--ignore-secondaries",
                                     dest="ignore_secondaries",
                                     default=False, action="store_true",
                                     op_class=opcodes.OpInstanceReboot)

REBOOT_TYPE_OPT = ParamOption("-t", "--type", dest="reboot_type",
                              default=constants.INSTANCE_REBOOT_HARD,
                              metavar="<REBOOT>",
                              choices=[constants.INSTANCE_REBOOT_SOFT,
                                       constants.INSTANCE_REBOOT_HARD,
                                       constants.INSTANCE_REBOOT_FULL],
                              op_class=opcodes.OpInstanceReboot)

STATIC_OPT = ParamOption("-s", "--static", dest="static", default=False,
                         action="store_true",
                         op_class=opcodes.OpInstanceQueryData)

SHOWCMD_OPT = CliOption("--show-cmd", dest="show_command", default=False,
                        action="store_true",
                        help="Show the command instead of running it")

IGNORE_SIZE_OPT = ParamOption("--ignore-size", dest="ignore_size",
                              default=False, action="store_true",
                              op_class=opcodes.OpInstanceActivateDisks)

ABSOLUTE_OPT = ParamOption("--absolute", dest="absolute", default=False,
                           action="store_true",
                           op_class=opcodes.OpInstanceGrowDisk)

RUNTIME_MEM_OPT = CliOption("-m", "--runtime-memory", dest="runtime_mem",
                            type="unit", default=None, metavar="SIZE",
                            help="New runtime memory of the running"
                            " instance")

OFFLINE_INST_OPT = CliOption("--offline", dest="offline_inst",
                             default=False, action="store_true",
                             help="Mark the instance offline")

ONLINE_INST_OPT = CliOption("--online", dest="online_inst", default=False,
                            action="store_true",
                            help="Mark the instance back online (down)")

SELECT_OS_OPT = CliOption("--select-os", dest="select_os", default=False,
                          action="store_true",
                          help="Interactive OS reinstall: choose the OS"
                          " from a list")

FORCE_MULTIPLE_OPT = CliOption("--force-multiple", dest="force_multi",
                               default=False, action="store_true",
                               help="Do not ask for confirmation when more"
                               " than one instance is affected")

#: Options of instance creation shared by gnt-instance add and
#: gnt-backup import
INSTANCE_CREATE_OPTS = [
  BACKEND_OPT, DISK_OPT, DISK_TEMPLATE_OPT, FILESTORE_DIR_OPT,
  FILESTORE_DRIVER_OPT, HYPERVISOR_OPT, IALLOCATOR_OPT, NET_OPT,
  NODE_PLACEMENT_OPT, NOIPCHECK_OPT, NONAMECHECK_OPT, NONICS_OPT,
  NWSYNC_OPT, OSPARAMS_OPT, OS_SIZE_OPT, SUBMIT_OPT, PRINT_JOBID_OPT,
  TAG_ADD_OPT, DRY_RUN_OPT, PRIORITY_OPT, IGNORE_IPOLICY_OPT,
  ]
