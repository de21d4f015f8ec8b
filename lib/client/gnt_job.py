"""gnt-job: list, inspect, follow, cancel and archive jobs (cli.md 8.5).

Layer 6 (entry points).  Every command is a direct LUXI call (no opcode is
submitted): job queries, CancelJob, ArchiveJob, AutoArchiveJobs and the
WaitForJobChange loop of `cli.PollJob`.  It must not touch the job queue
files itself.
"""

from typing import Any, List

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import utils
from ganeti.cli import (ArgJobId, ArgSuggest, ArgUnknown, FIELDS_OPT,
                        NOHDR_OPT, SEP_OPT, VERBOSE_OPT, CliOption,
                        FormatTimestamp, ToStderr, ToStdout)


#: Fields shown by "gnt-job list" without -o
_LIST_DEF_FIELDS = ["id", "status", "summary"]

#: Statuses as shown to users; anything else is a bug on the master side
_USER_JOB_STATUS = {
  constants.JOB_STATUS_QUEUED: "queued",
  constants.JOB_STATUS_WAITING: "waiting",
  constants.JOB_STATUS_CANCELING: "canceling",
  constants.JOB_STATUS_RUNNING: "running",
  constants.JOB_STATUS_CANCELED: "canceled",
  constants.JOB_STATUS_SUCCESS: "success",
  constants.JOB_STATUS_ERROR: "error",
  }

#: Fields "gnt-job info" needs, in the order it unpacks them
_INFO_FIELDS = ["id", "status", "ops", "opresult", "opstatus", "oplog",
                "opstart", "opexec", "opend", "received_ts", "start_ts",
                "end_ts"]


def _FormatStatus(value: Any) -> str:
  try:
    return _USER_JOB_STATUS[value]
  except KeyError:
    raise errors.OpExecError("Unknown job status '%s' received from the"
                             " master" % (value, )) from None


def _FormatTimestamps(value: Any) -> str:
  if not isinstance(value, (list, tuple)):
    return str(value)
  return str([FormatTimestamp(item) for item in value])


def _FormatSummary(value: Any) -> str:
  if not isinstance(value, (list, tuple)):
    return str(value)
  return ",".join(str(item) for item in value)


#: Formatters overriding the generic ones of cli.FormatQueryResult
_JOB_LIST_FORMAT = {
  "status": (_FormatStatus, False),
  "summary": (_FormatSummary, False),
  "opstart": (_FormatTimestamps, False),
  "opexec": (_FormatTimestamps, False),
  "opend": (_FormatTimestamps, False),
  }


def _ParseJobIds(args: List[str]) -> List[int]:
  """Check job ids given on the command line.

  @raise errors.OpPrereqError: an id is not a non-negative integer

  """
  result = []
  for arg in args:
    text = arg.strip()
    if not text.isdigit():
      raise errors.OpPrereqError("Invalid job ID '%s': expected a"
                                 " non-negative integer" % arg,
                                 errors.ECODE_INVAL)
    result.append(int(text))
  return result


def _SelectByStatus(client, job_ids: List[int], statuses) -> List[int]:
  """Ids of the jobs (all, or those given) whose status is in ``statuses``.

  The master's job query answers filters on job ids only until the query
  language lands, so the status filter is applied here, on a first query
  of ids and statuses.

  """
  if job_ids:
    qfilter = [constants.QLANG_OP_OR] + [[constants.QLANG_OP_EQUAL, "id",
                                          job_id] for job_id in job_ids]
  else:
    qfilter = None
  response = client.Query(constants.QR_JOB, ["id", "status"], qfilter)
  result = []
  for ((_, job_id), (status_rs, status)) in response["data"]:
    if status_rs == constants.RS_NORMAL and status in statuses:
      result.append(job_id)
  return result


def ListJobs(opts, args) -> int:
  """gnt-job list [-o FIELDS] [--pending|--running|--error|--finished]
  [JOBID...]."""
  fields = cli.ParseFields(opts.output, _LIST_DEF_FIELDS)
  job_ids = _ParseJobIds(args)
  client = cli.GetClient()
  if opts.status_filter:
    job_ids = _SelectByStatus(client, job_ids, opts.status_filter)
    if not job_ids:
      # nothing matches: only the header (and unknown-field warnings)
      response = client.QueryFields(constants.QR_JOB, fields)
      response = {"fields": response["fields"], "data": []}
      (_, lines) = cli.FormatQueryResult(response, separator=opts.separator,
                                         header=not opts.no_headers,
                                         format_override=_JOB_LIST_FORMAT,
                                         verbose=opts.verbose)
      unknown = cli.WarnUnknownFields(response["fields"])
      for line in lines:
        ToStdout(line)
      if unknown:
        return constants.EXIT_UNKNOWN_FIELD
      return constants.EXIT_SUCCESS
  return cli.GenericList(constants.QR_JOB, fields,
                         [str(job_id) for job_id in job_ids], None,
                         opts.separator, not opts.no_headers, cl=client,
                         format_override=_JOB_LIST_FORMAT,
                         verbose=opts.verbose, namefield="id",
                         isnumeric=True)


def ListJobFields(opts, args) -> int:
  """gnt-job list-fields [FIELD...]."""
  return cli.GenericListFields(constants.QR_JOB, args, opts.separator,
                               not opts.no_headers)


def ArchiveJobs(opts, args) -> int:  # pylint: disable=W0613
  """gnt-job archive JOBID...: move finished jobs to the archive."""
  client = cli.GetClient()
  rcode = constants.EXIT_SUCCESS
  for (arg, job_id) in zip(args, _ParseJobIds(args)):
    if not client.ArchiveJob(job_id):
      ToStderr("Failed to archive job with ID '%s'", arg)
      rcode = constants.EXIT_FAILURE
  return rcode


def AutoArchiveJobs(opts, args) -> int:  # pylint: disable=W0613
  """gnt-job autoarchive {AGE|all}: archive finished jobs older than AGE."""
  if args[0] == "all":
    age = -1
  else:
    age = cli.ParseTimespec(args[0])
  (archived, left) = cli.GetClient().AutoArchiveJobs(age)
  ToStdout("Archived %s jobs, %s unchecked left", archived, left)
  return constants.EXIT_SUCCESS


def CancelJobs(opts, args) -> int:  # pylint: disable=W0613
  """gnt-job cancel JOBID...: cancel queued or waiting jobs."""
  client = cli.GetClient()
  result = constants.EXIT_SUCCESS
  for job_id in _ParseJobIds(args):
    (success, msg) = client.CancelJob(job_id)
    if not success:
      result = constants.EXIT_FAILURE
    ToStdout("%s", msg)
  return result


def _Delta(later: Any, earlier: Any) -> float:
  return utils.MergeTime(later) - utils.MergeTime(earlier)


def _IsTimestamp(value: Any) -> bool:
  return isinstance(value, (list, tuple)) and len(value) == 2


def _FormatResultItem(value: Any) -> str:
  if isinstance(value, (list, tuple)):
    return ", ".join(str(item) for item in value)
  return str(value)


def _ShowOneJob(out, job_id, status, ops, opresult, opstatus, oplog,
                opstart, opexec, opend, recv_ts, start_ts, end_ts) -> None:
  """Print the `gnt-job info` block of one job; ``out(level, text)``."""
  out(0, "Job ID: %s" % job_id)
  out(1, "Status: %s" % _FormatStatus(status))

  if _IsTimestamp(recv_ts):
    out(1, "Received:         %s" % FormatTimestamp(recv_ts))
  else:
    out(1, "Missing received timestamp (%s)" % (recv_ts, ))
  if _IsTimestamp(start_ts):
    delta = ""
    if _IsTimestamp(recv_ts):
      delta = " (delta %.6fs)" % _Delta(start_ts, recv_ts)
    out(1, "Processing start: %s%s" % (FormatTimestamp(start_ts), delta))
  else:
    out(1, "Processing start: unknown (%s)" % (start_ts, ))
  if _IsTimestamp(end_ts):
    delta = ""
    if _IsTimestamp(start_ts):
      delta = " (delta %.6fs)" % _Delta(end_ts, start_ts)
    out(1, "Processing end:   %s%s" % (FormatTimestamp(end_ts), delta))
  else:
    out(1, "Processing end:   unknown (%s)" % (end_ts, ))
  if _IsTimestamp(end_ts) and _IsTimestamp(recv_ts):
    out(1, "Total processing time: %.6f seconds" % _Delta(end_ts, recv_ts))
  else:
    out(1, "Total processing time: N/A")

  out(1, "Opcodes:")
  for (opcode, result, op_status, log, s_ts, x_ts, e_ts) in \
      zip(ops, opresult, opstatus, oplog, opstart, opexec, opend):
    out(2, "%s" % opcode.get("OP_ID", "?"))
    out(3, "Status: %s" % _FormatStatus(op_status))
    for (ts, label, missing) in [
        (s_ts, "Processing start: ", "No processing start time"),
        (x_ts, "Execution start:  ", "No execution start time"),
        (e_ts, "Processing end:   ", "No processing end time")]:
      if _IsTimestamp(ts):
        out(3, label + FormatTimestamp(ts))
      else:
        out(3, missing)
    out(3, "Input fields:")
    for key in utils.NiceSort(opcode.keys()):
      if key == "OP_ID":
        continue
      value = opcode[key]
      if isinstance(value, (list, tuple)):
        value = ",".join(str(item) for item in value)
      out(4, "%s: %s" % (key, value))

    if result is None:
      out(3, "No output data")
    elif isinstance(result, (list, tuple)):
      if result:
        out(3, "Result:")
        for elem in result:
          out(4, _FormatResultItem(elem))
      else:
        out(3, "Result: empty sequence")
    elif isinstance(result, dict):
      if result:
        out(3, "Result:")
        for key in utils.NiceSort(result.keys()):
          out(4, "%s: %s" % (key, _FormatResultItem(result[key])))
      else:
        out(3, "Result: empty dictionary")
    else:
      out(3, "Result: %s" % (result, ))

    out(3, "Execution log:")
    for (serial, log_ts, log_type, log_msg) in log:
      out(4, "%s:%s:%s %s" % (serial, FormatTimestamp(log_ts), log_type,
                              cli.FormatLogMessage(log_type, log_msg)))


def ShowJobs(opts, args) -> int:  # pylint: disable=W0613
  """gnt-job info JOBID...: show everything about jobs."""
  def out(level, text):
    ToStdout("%s%s", "  " * level, text)

  job_ids = _ParseJobIds(args)
  rows = cli.GetClient().QueryJobs(job_ids, _INFO_FIELDS)
  first = True
  for (job_id, row) in zip(job_ids, rows):
    if not first:
      out(0, "")
    first = False
    if row is None or row[1] is None:
      out(0, "Job ID %s not found" % job_id)
      continue
    _ShowOneJob(out, *row)
  return constants.EXIT_SUCCESS


def WatchJob(opts, args) -> int:  # pylint: disable=W0613
  """gnt-job watch JOBID: print the job's log until it finishes."""
  (job_id, ) = _ParseJobIds(args)
  msg = "Output from job %s follows" % job_id
  ToStdout(msg)
  ToStdout("-" * len(msg))
  retcode = constants.EXIT_SUCCESS
  try:
    cli.PollJob(job_id)
  except errors.GenericError as err:
    (retcode, job_result) = cli.FormatError(err)
    ToStderr("Job %s failed: %s", job_id, job_result)
  return retcode


_PENDING_OPT = CliOption("--pending", default=None, action="store_const",
                         dest="status_filter",
                         const=constants.JOBS_PENDING,
                         help="Show only jobs pending execution")
_RUNNING_OPT = CliOption("--running", default=None, action="store_const",
                         dest="status_filter",
                         const=frozenset([constants.JOB_STATUS_RUNNING]),
                         help="Show jobs currently running only")
_ERROR_OPT = CliOption("--error", default=None, action="store_const",
                       dest="status_filter",
                       const=frozenset([constants.JOB_STATUS_ERROR]),
                       help="Show failed jobs only")
_FINISHED_OPT = CliOption("--finished", default=None, action="store_const",
                          dest="status_filter",
                          const=constants.JOBS_FINALIZED,
                          help="Show finished jobs only")

commands = {
  "list": (
    ListJobs, [ArgJobId()],
    [NOHDR_OPT, SEP_OPT, FIELDS_OPT, VERBOSE_OPT, _PENDING_OPT,
     _RUNNING_OPT, _ERROR_OPT, _FINISHED_OPT],
    "[job_id ...]",
    "Lists the jobs and their status. The available fields can be shown"
    " using the \"list-fields\" command (see the man page for details)."
    " The default field list is (in order): %s." %
    utils.CommaJoin(_LIST_DEF_FIELDS)),
  "list-fields": (
    ListJobFields, [ArgUnknown()],
    [NOHDR_OPT, SEP_OPT],
    "[fields...]",
    "Lists all available fields for jobs"),
  "archive": (
    ArchiveJobs, [ArgJobId(min=1)], [],
    "<job-id> [<job-id> ...]", "Archive specified jobs"),
  "autoarchive": (
    AutoArchiveJobs,
    [ArgSuggest(min=1, max=1, choices=["1d", "1w", "4w", "all"])],
    [],
    "<age>", "Auto archive jobs older than the given age"),
  "cancel": (
    CancelJobs, [ArgJobId(min=1)], [],
    "<job-id> [<job-id> ...]", "Cancel jobs"),
  "info": (
    ShowJobs, [ArgJobId(min=1)], [],
    "<job-id> [<job-id> ...]",
    "Show detailed information about the specified jobs"),
  "watch": (
    WatchJob, [ArgJobId(min=1, max=1)], [],
    "<job-id>", "Follows a job and prints its output as it arrives"),
  }

#: Ganeti's alias for info
aliases = {
  "show": "info",
  }


def Main() -> int:
  """Entry point of scripts/gnt-job."""
  return cli.GenericMain(commands, aliases=aliases)
