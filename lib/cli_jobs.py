"""Submitting opcodes and following jobs, for the gnt-* tools.

Layer 6 (entry points); part of `ganeti.cli`, which re-exports every public
name of this module.  It applies the generic options to opcodes
(`SetGenericOpcodeOpts`), submits jobs, polls them with the LUXI
``WaitForJobChange`` loop of luxi.md 4.2 while printing their log messages
(`PollJob`), turns a failed job back into the exception its opcode raised,
handles ``--submit`` (`SubmitOrSend`) and waits for several jobs at once
(`JobExecutor`, cli.md 4.3).

It talks to the master only through `luxi.Client`; it does not parse
command lines or print tables.
"""

import itertools
import time
from typing import Any, Callable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import utils
from ganeti.cli_opts import PriorityNameToValue
from ganeti.cli_output import (FormatError, JobSubmittedException,
                               ToStderr, ToStdout)


#: How many jobs `JobExecutor` asks about in one status query
_CHOOSE_BATCH = 25

#: Job statuses after which the wait loop stops (once no log is pending)
_POLL_END_STATUSES = frozenset([
  constants.JOB_STATUS_SUCCESS,
  constants.JOB_STATUS_ERROR,
  constants.JOB_STATUS_CANCELING,
  constants.JOB_STATUS_CANCELED,
  ])


def GetClient() -> luxi.Client:
  """Return a LUXI client for this node's master socket.

  The connection is made by the first call; `GenericMain` explains a
  missing master (not in a cluster, not the master node) when that fails.

  """
  return luxi.Client()


def SetGenericOpcodeOpts(opcode_list: List[Any], options: Any) -> None:
  """Apply -d, --dry-run and --priority to every opcode (cli.md 4.1).

  @param options: parsed options, or None to leave the opcodes alone

  """
  if not options:
    return
  for op in opcode_list:
    op.debug_level = getattr(options, "debug_level", 0)
    if hasattr(options, "dry_run"):
      op.dry_run = options.dry_run
    priority = getattr(options, "priority", None)
    if priority is not None:
      op.priority = PriorityNameToValue(priority)


def SendJob(ops: List[Any], cl: Optional[luxi.Client] = None) -> Any:
  """Submit one job made of ``ops``; return its id."""
  if cl is None:
    cl = GetClient()
  return cl.SubmitJob(ops)


def FormatLogMessage(log_type: str, log_msg: Any) -> str:
  """Text of a job log message; non-message types are shown via str()."""
  if log_type != constants.ELOG_MESSAGE or not isinstance(log_msg, str):
    log_msg = str(log_msg)
  return utils.SafeEncode(log_msg)


class JobPollCbBase(object):
  """Where `GenericPollJob` gets job data from."""

  def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                           prev_log_serial):
    """Like luxi.Client.WaitForJobChangeOnce."""
    raise errors.ProgrammerError("%s must override WaitForJobChangeOnce" %
                                 self.__class__.__name__)

  def QueryJobs(self, job_ids, fields):
    """Like luxi.Client.QueryJobs."""
    raise errors.ProgrammerError("%s must override QueryJobs" %
                                 self.__class__.__name__)


class JobPollReportCbBase(object):
  """What `GenericPollJob` tells about a job while it waits."""

  def ReportLogMessage(self, job_id, serial, timestamp, log_type, log_msg):
    """Called once per new job log entry."""
    raise errors.ProgrammerError("%s must override ReportLogMessage" %
                                 self.__class__.__name__)

  def ReportNotChanged(self, job_id, status):
    """Called when a wait ended without any change of the job."""
    raise errors.ProgrammerError("%s must override ReportNotChanged" %
                                 self.__class__.__name__)


class _LuxiJobPollCb(JobPollCbBase):
  def __init__(self, cl: luxi.Client):
    JobPollCbBase.__init__(self)
    self.cl = cl

  def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                           prev_log_serial):
    return self.cl.WaitForJobChangeOnce(job_id, fields, prev_job_info,
                                        prev_log_serial)

  def QueryJobs(self, job_ids, fields):
    return self.cl.QueryJobs(job_ids, fields)


class FeedbackFnJobPollReportCb(JobPollReportCbBase):
  """Hands every log entry to ``feedback_fn((timestamp, type, message))``."""

  def __init__(self, feedback_fn: Callable[[tuple], None]):
    JobPollReportCbBase.__init__(self)
    self.feedback_fn = feedback_fn

  def ReportLogMessage(self, job_id, serial, timestamp, log_type, log_msg):
    self.feedback_fn((timestamp, log_type, log_msg))

  def ReportNotChanged(self, job_id, status):
    """Nothing to tell: the feedback function only wants log entries."""


class StdioJobPollReportCb(JobPollReportCbBase):
  """Prints log entries to stdout and waiting notices to stderr (once)."""

  def __init__(self):
    JobPollReportCbBase.__init__(self)
    self.notified_queued = False
    self.notified_waitlock = False

  def ReportLogMessage(self, job_id, serial, timestamp, log_type, log_msg):
    ToStdout("%s %s", time.ctime(utils.MergeTime(timestamp)),
             FormatLogMessage(log_type, log_msg))

  def ReportNotChanged(self, job_id, status):
    if status == constants.JOB_STATUS_QUEUED and not self.notified_queued:
      ToStderr("Job %s is waiting in queue", job_id)
      self.notified_queued = True
    elif (status == constants.JOB_STATUS_WAITING and
          not self.notified_waitlock):
      ToStderr("Job %s is trying to acquire all necessary locks", job_id)
      self.notified_waitlock = True


def _CheckLogEntry(job_id: Any, entry: Any) -> tuple:
  if not (isinstance(entry, (list, tuple)) and len(entry) == 4 and
          isinstance(entry[0], int)):
    raise errors.OpExecError("Malformed log entry of job %s: %r" %
                             (job_id, entry))
  return tuple(entry)


def GenericPollJob(job_id: Any, cbs: JobPollCbBase,
                   report_cbs: JobPollReportCbBase) -> list:
  """Wait for a job to finish, reporting its log; return its op results.

  @raise errors.JobLost: the master does not know the job (any more)
  @raise errors.OpExecError: the job was canceled, or failed without an
    encoded error
  @raise errors.GenericError: (a subclass) the error the failed opcode
    raised, re-created from its wire form

  """
  prev_job_info = None
  prev_log_serial = None
  status = None
  while True:
    result = cbs.WaitForJobChangeOnce(job_id, ["status"], prev_job_info,
                                      prev_log_serial)
    if not result:
      raise errors.JobLost("Job with id %s lost" % job_id)
    if result == constants.JOB_NOTCHANGED:
      report_cbs.ReportNotChanged(job_id, status)
      continue
    if not (isinstance(result, (list, tuple)) and len(result) == 2 and
            isinstance(result[0], (list, tuple)) and len(result[0]) == 1):
      raise errors.OpExecError("Malformed answer while waiting for job %s:"
                               " %r" % (job_id, result))
    (job_info, log_entries) = result
    status = job_info[0]
    if log_entries:
      for entry in log_entries:
        (serial, timestamp, log_type, message) = _CheckLogEntry(job_id, entry)
        report_cbs.ReportLogMessage(job_id, serial, timestamp, log_type,
                                    message)
        if prev_log_serial is None or serial > prev_log_serial:
          prev_log_serial = serial
    elif status in _POLL_END_STATUSES:
      break
    prev_job_info = job_info

  jobs = cbs.QueryJobs([job_id], ["status", "opstatus", "opresult"])
  if not jobs or jobs[0] is None or jobs[0][0] is None:
    raise errors.JobLost("Job with id %s lost" % job_id)
  (status, opstatus, opresult) = jobs[0]

  if status == constants.JOB_STATUS_SUCCESS:
    return opresult
  if status in (constants.JOB_STATUS_CANCELING, constants.JOB_STATUS_CANCELED):
    raise errors.OpExecError("Job was canceled")

  has_ok = False
  for (idx, (op_status, msg)) in enumerate(zip(opstatus, opresult)):
    if op_status == constants.OP_STATUS_SUCCESS:
      has_ok = True
    elif op_status == constants.OP_STATUS_ERROR:
      errors.MaybeRaise(msg)
      if has_ok:
        raise errors.OpExecError("partial failure (opcode %d): %s" %
                                 (idx, msg))
      raise errors.OpExecError(str(msg))
  # no opcode says why the job failed; show what we have
  raise errors.OpExecError("Job %s ended with status %s, opcode results: %s"
                           % (job_id, status, opresult))


def PollJob(job_id: Any, cl: Optional[luxi.Client] = None,
            feedback_fn: Optional[Callable[[tuple], None]] = None,
            reporter: Optional[JobPollReportCbBase] = None) -> list:
  """Wait for a job, printing its log (or feeding ``feedback_fn``).

  @return: the list of opcode results
  @raise errors.GenericError: see `GenericPollJob`

  """
  if cl is None:
    cl = GetClient()
  if reporter is None:
    if feedback_fn:
      reporter = FeedbackFnJobPollReportCb(feedback_fn)
    else:
      reporter = StdioJobPollReportCb()
  elif feedback_fn:
    raise errors.ProgrammerError("Can't specify reporter and feedback"
                                 " function")
  return GenericPollJob(job_id, _LuxiJobPollCb(cl), reporter)


def _MaybePrintJobId(opts: Any, job_id: Any) -> None:
  if opts and getattr(opts, "print_jobid", False):
    ToStdout("%s", job_id)


def SubmitOpCode(op: Any, cl: Optional[luxi.Client] = None,
                 feedback_fn: Optional[Callable[[tuple], None]] = None,
                 opts: Any = None,
                 reporter: Optional[JobPollReportCbBase] = None) -> Any:
  """Run one opcode as a job and wait for it; return its result."""
  if cl is None:
    cl = GetClient()
  SetGenericOpcodeOpts([op], opts)
  job_id = SendJob([op], cl=cl)
  _MaybePrintJobId(opts, job_id)
  return PollJob(job_id, cl=cl, feedback_fn=feedback_fn,
                 reporter=reporter)[0]


def SubmitOrSend(op: Any, opts: Any, cl: Optional[luxi.Client] = None,
                 feedback_fn: Optional[Callable[[tuple], None]] = None) -> Any:
  """Like `SubmitOpCode`, but with ``--submit`` only submit the job.

  With ``--print-jobid`` the job id is also the first line on stdout.

  @raise JobSubmittedException: with ``--submit``, carrying the job id
    (`GenericMain` prints ``JobID: <id>`` and exits with 0)

  """
  if opts and getattr(opts, "submit_only", False):
    job = [op]
    SetGenericOpcodeOpts(job, opts)
    job_id = SendJob(job, cl=cl)
    _MaybePrintJobId(opts, job_id)
    raise JobSubmittedException(job_id)
  return SubmitOpCode(op, cl=cl, feedback_fn=feedback_fn, opts=opts)


def OpcodeArgs(op_class: type, opts: Any, **fixed) -> dict:
  """Collect an opcode's own parameters from parsed options.

  Every option whose ``dest`` is a parameter of ``op_class`` (and not a
  common parameter, which `SetGenericOpcodeOpts` handles) contributes its
  value; ``fixed`` values (from positional arguments) win.

  """
  result = {}
  for name in op_class.GetParamNames(include_common=False):
    if hasattr(opts, name):
      result[name] = getattr(opts, name)
  result.update(fixed)
  return result


def OpcodeCommand(op_class: type) -> Callable:
  """Mark a command function as building opcodes of ``op_class``.

  Tests use the mark to check that every option of the command that
  feeds an opcode parameter names a real parameter of that opcode.

  """
  def wrapper(fn):
    fn.opcode_class = op_class
    return fn
  return wrapper


class JobExecutor(object):
  """Submits several jobs and waits for all of them (cli.md 4.3)."""

  def __init__(self, cl: Optional[luxi.Client] = None, verbose: bool = True,
               opts: Any = None,
               feedback_fn: Optional[Callable[[tuple], None]] = None):
    self.queue = []
    if cl is None:
      cl = GetClient()
    self.cl = cl
    self.verbose = verbose
    self.jobs = []
    self.opts = opts
    self.feedback_fn = feedback_fn
    self._counter = itertools.count()

  @staticmethod
  def _IfName(name: Optional[str], fmt: str) -> str:
    return fmt % name if name else ""

  def QueueJob(self, name: Optional[str], *ops) -> None:
    """Queue a job made of ``ops`` for submission by `SubmitPending`."""
    SetGenericOpcodeOpts(ops, self.opts)
    self.queue.append((next(self._counter), name, ops))

  def AddJobId(self, name: Optional[str], status: bool, job_id: Any) -> None:
    """Add a job submitted elsewhere (e.g. returned by an opcode)."""
    self.jobs.append((next(self._counter), status, job_id, name))

  def SubmitPending(self, each: bool = False) -> None:
    """Submit the queued jobs, in one request unless ``each``."""
    if each:
      results = [[True, self.cl.SubmitJob(list(ops))]
                 for (_, _, ops) in self.queue]
    else:
      results = self.cl.SubmitManyJobs([list(ops)
                                        for (_, _, ops) in self.queue])
    for ((status, data), (idx, name, _)) in zip(results, self.queue):
      self.jobs.append((idx, status, data, name))
    self.queue = []

  def _ChooseJob(self) -> tuple:
    """Pick a job that is running or gone before those still waiting."""
    batch = self.jobs[:_CHOOSE_BATCH]
    result = self.cl.QueryJobs([job[2] for job in batch], ["status"])
    for (job, status) in zip(batch, result):
      if (isinstance(status, list) and status and
          status[0] in (constants.JOB_STATUS_QUEUED,
                        constants.JOB_STATUS_WAITING,
                        constants.JOB_STATUS_CANCELING)):
        continue
      self.jobs.remove(job)
      return job
    return self.jobs.pop(0)

  def GetResults(self) -> List[tuple]:
    """Wait for every job; return [(success, result or error text)].

    Results come in the order the jobs were queued or added.

    """
    results = []
    if not self.jobs:
      self.SubmitPending()
    if self.verbose:
      ok_jobs = [row[2] for row in self.jobs if row[1]]
      if ok_jobs:
        ToStdout("Submitted jobs %s", utils.CommaJoin(ok_jobs))

    failures = [row for row in self.jobs if not row[1]]
    self.jobs = [row for row in self.jobs if row[1]]
    for (idx, _, msg, name) in failures:
      ToStderr("Failed to submit job%s: %s", self._IfName(name, " for %s"),
               msg)
      results.append((idx, False, msg))

    while self.jobs:
      (idx, _, job_id, name) = self._ChooseJob()
      ToStdout("Waiting for job %s%s ...", job_id,
               self._IfName(name, " for %s"))
      try:
        job_result = PollJob(job_id, cl=self.cl, feedback_fn=self.feedback_fn)
        success = True
      except errors.JobLost as err:
        (_, job_result) = FormatError(err)
        ToStderr("Job %s%s has been archived, cannot check its result",
                 job_id, self._IfName(name, " for %s"))
        success = False
      except errors.GenericError as err:
        (_, job_result) = FormatError(err)
        success = False
        ToStderr("Job %s%s has failed: %s", job_id,
                 self._IfName(name, " for %s"), job_result)
      results.append((idx, success, job_result))

    results.sort(key=lambda item: item[0])
    return [item[1:] for item in results]

  def WaitOrShow(self, wait: bool) -> List[tuple]:
    """Wait for the jobs, or (``--submit``) print "<id>: <name>" lines."""
    if wait:
      return self.GetResults()
    if not self.jobs:
      self.SubmitPending()
    for (_, status, result, name) in self.jobs:
      if status:
        ToStdout("%s: %s", result, name)
      else:
        ToStderr("Failure for %s: %s", name, result)
    return [row[1:3] for row in self.jobs]
