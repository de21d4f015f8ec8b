"""gnt-debug: debugging commands (cli.md 8.8): delay and locks.

Layer 6 (entry points).  ``delay`` submits an OP_TEST_DELAY job (through
`cli.SubmitOrSend`, so --submit, --dry-run and --priority work); ``locks``
lists the master's locks with a LUXI ``Query("lock", ...)``.  The other
gnt-debug commands of Ganeti (submit-job, iallocator, test-jobqueue) come
with later issues.  Nothing here may touch the master's state directly.
"""

import time

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import utils
from ganeti.cli import (ArgUnknown, DRY_RUN_OPT, FIELDS_OPT,
                        INTERVAL_OPT, NOHDR_OPT, PRIORITY_OPT, ParamOption,
                        SEP_OPT, SUBMIT_OPTS, VERBOSE_OPT)


#: Fields shown by "gnt-debug locks" without -o
_LIST_LOCKS_DEF_FIELDS = ["name", "mode", "owner", "pending"]


def _BuildDelayOp(opts, args) -> opcodes.OpTestDelay:
  """The OP_TEST_DELAY of "gnt-debug delay" (generic options not applied).

  @raise errors.OpPrereqError: the duration is not a number

  """
  try:
    duration = float(args[0])
  except ValueError:
    raise errors.OpPrereqError("Invalid duration '%s': expected a number of"
                               " seconds" % args[0],
                               errors.ECODE_INVAL) from None
  return opcodes.OpTestDelay(**cli.OpcodeArgs(opcodes.OpTestDelay, opts,
                                              duration=duration))


@cli.OpcodeCommand(opcodes.OpTestDelay)
def Delay(opts, args) -> int:
  """gnt-debug delay DURATION: sleep in a job on the master and/or nodes."""
  cli.SubmitOrSend(_BuildDelayOp(opts, args), opts)
  return constants.EXIT_SUCCESS


def _DashIfEmpty(fn):
  """Show "-" for a lock's empty mode/owner/pending value."""
  def wrapper(value):
    if not value:
      return "-"
    return fn(value)
  return wrapper


def _FormatPending(value) -> str:
  return utils.CommaJoin("%s:%s" % (mode, ",".join(str(t) for t in threads))
                         for (mode, threads) in value)


def _FormatOwners(value) -> str:
  return ",".join(str(owner) for owner in value)


#: How lock values are shown (cli.md 8.8)
_LOCKS_FORMAT = {
  "mode": (_DashIfEmpty(str), False),
  "owner": (_DashIfEmpty(_FormatOwners), False),
  "pending": (_DashIfEmpty(_FormatPending), False),
  }


def ListLocks(opts, args, _sleep_fn=time.sleep) -> int:  # pylint: disable=W0613
  """gnt-debug locks: list the master's locks, optionally repeatedly."""
  fields = cli.ParseFields(opts.output, _LIST_LOCKS_DEF_FIELDS)
  if opts.interval is not None and opts.interval < 1:
    raise errors.OpPrereqError("Invalid interval %s: expected at least one"
                               " second" % opts.interval, errors.ECODE_INVAL)
  client = cli.GetClient()
  while True:
    ret = cli.GenericList(constants.QR_LOCK, fields, None, None,
                          opts.separator, not opts.no_headers,
                          cl=client, format_override=_LOCKS_FORMAT,
                          verbose=opts.verbose)
    if ret != constants.EXIT_SUCCESS or not opts.interval:
      return ret
    cli.ToStdout("")
    _sleep_fn(opts.interval)


_NO_MASTER_OPT = ParamOption("--no-master", dest="on_master", default=True,
                             action="store_false",
                             op_class=opcodes.OpTestDelay,
                             help_prefix="Turn off: ")
_ON_NODES_OPT = ParamOption("-n", dest="on_nodes", default=[],
                            action="append", metavar="NODE",
                            op_class=opcodes.OpTestDelay)
_REPEAT_OPT = ParamOption("-r", "--repeat", dest="repeat", type="int",
                          default=0, metavar="N",
                          op_class=opcodes.OpTestDelay)

commands = {
  "delay": (
    Delay, [ArgUnknown(min=1, max=1)],
    [_NO_MASTER_OPT, _ON_NODES_OPT, _REPEAT_OPT, DRY_RUN_OPT,
     PRIORITY_OPT] + SUBMIT_OPTS,
    "[opts...] <duration>", "Executes a TestDelay OpCode"),
  "locks": (
    ListLocks, cli.ARGS_NONE,
    [NOHDR_OPT, SEP_OPT, FIELDS_OPT, INTERVAL_OPT, VERBOSE_OPT],
    "[--interval N]", "Show a list of locks in the master daemon"),
  }

#: "allocator" is Ganeti's alias of the iallocator command, which comes
#: with the iallocator issue; no alias may point to a missing command
aliases = {}


def Main() -> int:
  """Entry point of scripts/gnt-debug."""
  return cli.GenericMain(commands, aliases=aliases)

