"""Framework of the gnt-* command line tools.

Layer 6 (entry points).  A tool (lib/client/gnt_*.py) declares a command
table and calls `GenericMain`, which parses the command line with Ganeti's
conventions (cli.md 1: options before arguments, --version, usage listing,
aliases, default arguments from the environment), logs the command line
to the commands log, runs the command and turns any error into the
message and exit code of cli.md 6.

A command table maps a command name to a tuple
``(function, argument definitions, options, usage, description)``; the
function gets ``(options, args)`` and returns the exit code.  Argument
definitions are lists of `ArgJobId`, `ArgNode`, ... (min/max counts); None
turns the count check off.

The building blocks live in sub-modules and are re-exported here, so tools
only import `ganeti.cli`: options and argument kinds (cli_opts), output,
tables, confirmations and error formatting (cli_output), job submission
and polling (cli_jobs).  Nothing here may be imported by lower layers; the
master is reached only through `luxi.Client`.
"""

import logging
import optparse
import os
import shlex
import sys
import textwrap
from typing import Any, Dict, Iterable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import qlang
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils

# pylint: disable=W0401,W0614
from ganeti.cli_opts import *
from ganeti.cli_opts import _PRIONAME_TO_VALUE  # noqa: F401
from ganeti.cli_output import *
from ganeti.cli_jobs import *
from ganeti.cli_opts import ArgumentCountError, CheckArguments, COMMON_OPTS
from ganeti.cli_output import (AskUser, FormatError, FormatQueryResult,
                               GenerateTable, JobSubmittedException,
                               ToStderr, ToStdout, WarnUnknownFields,
                               QR_UNKNOWN)
from ganeti.cli_jobs import GetClient


#: Version string shown by --version (Ganeti shows its VCS description)
_VCS_VERSION = "v%s" % constants.RELEASE_VERSION

#: Width of the command list of the usage text
_USAGE_WIDTH = 79


class _UsageRequest(Exception):
  """The command line asked for (or needs) the list of commands."""

  def __init__(self, exit_code: int):
    Exception.__init__(self, exit_code)
    self.exit_code = exit_code


def _ShowUsage(binary: str, commands: Dict[str, tuple]) -> None:
  """Print the list of commands (cli.md 1, "No/unknown command")."""
  ToStdout("Usage: %s {command} [options...] [argument...]", binary)
  ToStdout("%s <command> --help to see details, or man %s", binary, binary)
  ToStdout("")
  width = min(60, max(len(" %s" % cmd) for cmd in commands))
  ToStdout("Commands:")
  for cmd in sorted(commands):
    help_lines = textwrap.wrap(commands[cmd][4], _USAGE_WIDTH - 3 - width)
    ToStdout("%-*s - %s", width, " %s" % cmd, help_lines.pop(0))
    for line in help_lines:
      ToStdout("%-*s   %s", width, "", line)
  ToStdout("")


def _CheckCommandTable(commands: Dict[str, tuple],
                       aliases: Dict[str, str]) -> None:
  for (name, entry) in commands.items():
    if not (isinstance(entry, tuple) and len(entry) == 5 and
            callable(entry[0]) and isinstance(entry[2], list) and
            isinstance(entry[3], str) and isinstance(entry[4], str)):
      raise errors.ProgrammerError("Command '%s' must be (function, args,"
                                   " options, usage, description), got %r" %
                                   (name, entry))
  for (alias, target) in aliases.items():
    if alias in commands:
      raise errors.ProgrammerError("Alias '%s' overrides an existing"
                                   " command" % alias)
    if target not in commands:
      raise errors.ProgrammerError("Alias '%s' points to unknown command"
                                   " '%s'" % (alias, target))


def _BuildParser(binary: str, cmd: str, entry: tuple) -> optparse.OptionParser:
  (_, _, options, usage, description) = entry
  option_list = list(options)
  for opt in COMMON_OPTS:
    if opt not in option_list:
      option_list.append(opt)
  parser = optparse.OptionParser(option_list=option_list,
                                 description=description,
                                 usage="%%prog %s [options] %s" % (cmd, usage),
                                 prog=binary)
  # Ganeti convention: everything after the first argument is an argument.
  parser.disable_interspersed_args()
  return parser


def ParseArgs(binary: str, argv: List[str], commands: Dict[str, tuple],
              aliases: Optional[Dict[str, str]] = None,
              env_override: Iterable[str] = frozenset()) -> tuple:
  """Parse a command line against a command table.

  @param argv: the full command line (``argv[0]`` is the program)
  @return: (function, options, args)
  @raise _UsageRequest: no/unknown command or --version (after printing)
  @raise SystemExit: optparse usage errors (code 2) and --help (code 0)
  @raise ArgumentCountError: wrong number of positional arguments
  @raise errors.ParameterError: an option value was refused by a
    Ganeti-specific type (duplicate keys, bad booleans)

  """
  if aliases is None:
    aliases = {}
  _CheckCommandTable(commands, aliases)

  if len(argv) > 1 and argv[1] == "--version":
    ToStdout("%s (ganeti %s) %s", binary, _VCS_VERSION,
             constants.RELEASE_VERSION)
    raise _UsageRequest(constants.EXIT_SUCCESS)

  cmd = argv[1] if len(argv) > 1 else None
  if cmd in aliases:
    cmd = aliases[cmd]
  if cmd not in commands:
    _ShowUsage(binary, commands)
    if cmd in ("-h", "--help"):
      raise _UsageRequest(constants.EXIT_SUCCESS)
    raise _UsageRequest(constants.EXIT_FAILURE)

  argv = list(argv)
  if cmd in env_override:
    env_name = ("%s_%s" % (binary.replace("-", "_"), cmd)).upper()
    env_args = os.environ.get(env_name)
    if env_args:
      argv[2:2] = shlex.split(env_args)

  entry = commands[cmd]
  parser = _BuildParser(binary, cmd, entry)
  (options, args) = parser.parse_args(args=argv[2:])
  CheckArguments(cmd, entry[1], args)
  return (entry[0], options, args)


def _SetupCommandLogging(logname: str, debug: int) -> None:
  """Log to the commands log (if it can be written) and, with -d, stderr."""
  utils.SetupLogging(pathutils.LOG_COMMANDS, logname, debug=debug,
                     stderr_logging=True)


def _ExplainNoMaster(err: luxi.NoMasterError) -> errors.GenericError:
  """Say why no master answered, as far as this node knows (cli.md 1).

  @return: an OpPrereqError when this node is not in a cluster or not the
    master, else ``err`` itself

  """
  try:
    (master, myself) = ssconf.GetMasterAndMyself()
  except errors.ConfigurationError:
    return errors.OpPrereqError("Cluster not initialized or this machine is"
                                " not part of a cluster",
                                errors.ECODE_INVAL)
  except errors.GenericError:
    return err
  if master != myself:
    return errors.OpPrereqError("This is not the master node, please connect"
                                " to node '%s' and rerun the command" %
                                master, errors.ECODE_INVAL)
  return err


def GenericMain(commands: Dict[str, tuple],
                override: Optional[Dict[str, Any]] = None,
                aliases: Optional[Dict[str, str]] = None,
                env_override: Iterable[str] = frozenset(),
                argv: Optional[List[str]] = None) -> int:
  """Run a gnt-* tool; return its exit code.

  @param override: option values forced after parsing
  @param aliases: alias -> command name
  @param env_override: commands taking default arguments from the
    environment variable ``<BINARY>_<COMMAND>``
  @param argv: the command line (default sys.argv)

  """
  if argv is None:
    argv = sys.argv
  if argv:
    binary = os.path.basename(argv[0]) or argv[0]
    if len(argv) >= 2:
      logname = utils.ShellQuoteArgs([binary, argv[1]])
    else:
      logname = binary
    cmdline = utils.ShellQuoteArgs([binary] + list(argv[1:]))
  else:
    binary = "<unknown program>"
    logname = binary
    cmdline = "<unknown>"
    argv = [binary]

  try:
    (func, options, args) = ParseArgs(binary, argv, commands,
                                      aliases=aliases,
                                      env_override=env_override)
  except _UsageRequest as req:
    return req.exit_code
  except ArgumentCountError as err:
    ToStderr("Error: %s", err)
    return constants.EXIT_FAILURE
  except errors.ParameterError as err:
    (_, err_msg) = FormatError(err)
    ToStderr(err_msg)
    return constants.EXIT_FAILURE

  if override is not None:
    for (key, value) in override.items():
      setattr(options, key, value)

  _SetupCommandLogging(logname, options.debug_level)
  logging.info("Command line: %s", cmdline)

  try:
    result = func(options, args)
  except luxi.NoMasterError as err:
    (result, err_msg) = FormatError(_ExplainNoMaster(err))
    logging.exception("Error during command processing")
    ToStderr(err_msg)
  except (errors.GenericError, JobSubmittedException) as err:
    (result, err_msg) = FormatError(err)
    logging.exception("Error during command processing")
    ToStderr(err_msg)
  except KeyboardInterrupt:
    result = constants.EXIT_FAILURE
    ToStderr("Aborted. Note that if the operation created any jobs, they"
             " might have been submitted and will continue to run in the"
             " background.")
  except BrokenPipeError:
    # whoever read our output went away; nothing left to tell
    result = constants.EXIT_FAILURE
  return result


def GenericList(resource: str, fields: List[str], names: List[str],
                unit: Optional[str], separator: Optional[str], header: bool,
                cl: Optional[luxi.Client] = None,
                format_override: Optional[dict] = None,
                verbose: bool = False, namefield: Optional[str] = None,
                qfilter: Optional[list] = None,
                isnumeric: bool = False, force_filter: bool = False) -> int:
  """List a query2 resource as a table (cli.md 7); return the exit code.

  @param names: the command's arguments: item names or globs (by
      ``namefield``), or one filter expression (cli.md 7.4)
  @param qfilter: an extra filter, combined with the names by "and"
  @param force_filter: treat the single argument as a filter (``-F``)
  @return: EXIT_SUCCESS, or EXIT_UNKNOWN_FIELD if a field was unknown

  """
  if names:
    if namefield is None:
      raise errors.OpPrereqError("Resource '%s' cannot be restricted to"
                                 " names" % resource, errors.ECODE_INVAL)
    name_filter = qlang.MakeFilter(names, force_filter, namefield=namefield,
                                   isnumeric=isnumeric)
    if qfilter is None:
      qfilter = name_filter
    else:
      qfilter = [constants.QLANG_OP_AND, name_filter, qfilter]
  if cl is None:
    cl = GetClient()
  response = cl.Query(resource, fields, qfilter)
  (status, lines) = FormatQueryResult(response, units=unit,
                                      separator=separator, header=header,
                                      format_override=format_override,
                                      verbose=verbose)
  found_unknown = WarnUnknownFields(response["fields"])
  for line in lines:
    ToStdout(line)
  if found_unknown or status == QR_UNKNOWN:
    return constants.EXIT_UNKNOWN_FIELD
  return constants.EXIT_SUCCESS


def GenericListFields(resource: str, fields: List[str],
                      separator: Optional[str], header: bool,
                      cl: Optional[luxi.Client] = None) -> int:
  """List the fields of a query2 resource (cli.md 7.5)."""
  if cl is None:
    cl = GetClient()
  response = cl.QueryFields(resource, fields or None)
  if not (isinstance(response, dict) and
          isinstance(response.get("fields"), list)):
    raise errors.OpExecError("Malformed field list from the master: %r" %
                             (response, ))
  found_unknown = WarnUnknownFields(response["fields"])
  rows = [[str(fdef["name"]), str(fdef["title"]), str(fdef.get("doc", ""))]
          for fdef in response["fields"]]
  headers = {"name": "Name", "title": "Title", "doc": "Description"}
  for line in GenerateTable(headers if header else None,
                            ["name", "title", "doc"], separator, rows):
    ToStdout(line)
  if found_unknown:
    return constants.EXIT_UNKNOWN_FIELD
  return constants.EXIT_SUCCESS



#: Above this many objects the confirmation offers to show the list instead
#: of printing it with the question (cli.md 5)
_CONFIRM_LIST_MAX = 20


def ConfirmOperation(names: List[str], list_type: str, text: str,
                     extra: str = "") -> bool:
  """Ask whether an operation on several objects may go on (cli.md 5).

  @param names: the affected objects
  @param list_type: what they are, plural ("instances")
  @param text: the operation's name ("shutdown")
  @param extra: text put before the question (ending with a newline)
  @return: True when the user agreed

  """
  question = ("The %s will operate on %d %s.\n%sDo you want to continue?" %
              (text, len(names), list_type, extra))
  listing = "\nAffected %s:\n%s" % (list_type,
                                    "\n".join("  %s" % name
                                              for name in names))
  yes = ("y", True, "Yes, execute the %s" % text)
  no = ("n", False, "No, abort the %s" % text)
  if len(names) <= _CONFIRM_LIST_MAX:
    return AskUser(question + listing, [yes, no])
  view = ("v", "v", "View the list of affected %s" % list_type)
  answer = AskUser(question, [yes, view, no])
  if answer == "v":
    answer = AskUser(question + listing, [yes, no])
  return answer is True
