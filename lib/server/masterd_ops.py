"""How the master daemon answers each LUXI method.

Layer 6 (entry).  `ClientOps` checks the arguments of a request (count and
types, with messages naming the argument), then hands it to the job queue,
the lock manager or the configuration of the master's context.  The query2
answers for the "lock" and "job" resources, QueryConfigValues,
QueryClusterInfo, QueryTags and the watcher pause file are built here
until the query framework takes them over; the other classic queries answer
with an OpPrereqError saying so.  `ProcessRequest` turns one request text
into one response text and never raises.

It must not touch sockets (masterd.py does) and must not change the
configuration: every change goes through a job.
"""

import logging
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from ganeti import constants
from ganeti import errors
from ganeti import ht
from ganeti import luxi
from ganeti import opcodes
from ganeti import pathutils
from ganeti import utils
from ganeti import query
from ganeti.cmdlib import cluster as cmdlib_cluster
from ganeti.cmdlib import query as cmdlib_query



class ArgumentError(Exception):
  """A LUXI request had the wrong number or kinds of arguments.

  Not a Ganeti error: it goes back as a plain failure string, as the 2.6
  master answered argument mistakes.

  """


# -- query2 field definitions ------------------------------------------------


def NormalizeJobId(job_id: Any) -> int:
  """A job id as int; ints and decimal strings are accepted.

  @raise errors.OpPrereqError: anything else (ECODE_INVAL)

  """
  if ht.TJobId(job_id):
    return int(job_id)
  raise errors.OpPrereqError("Invalid job ID %r: expected a non-negative"
                             " integer or decimal string" % (job_id, ),
                             errors.ECODE_INVAL)


def _CheckOldStyleFields(fields: list, known: Any) -> None:
  unknown = [name for name in fields if name not in known]
  if unknown:
    raise errors.OpPrereqError("Unknown output fields selected: %s" %
                               utils.CommaJoin(unknown), errors.ECODE_INVAL)


# -- watcher pause -----------------------------------------------------------


def SetWatcherPause(until: Any, now: Optional[float] = None) -> Any:
  """Pause the watcher until ``until`` (None: stop pausing).

  @raise errors.GenericError: the time is in the past

  """
  filename = pathutils.WATCHER_PAUSEFILE
  if until is None:
    logging.info("Watcher pause cleared")
    utils.RemoveFile(filename)
    return None
  if now is None:
    now = time.time()
  if until < now:
    raise errors.GenericError("Unable to set pause end time in the past")
  logging.info("Pausing the watcher until %s", until)
  utils.WriteFile(filename, data="%d\n" % int(until))
  return until


# -- cluster information -----------------------------------------------------


def GetTags(cfg: Any, kind: str, name: Any) -> List[str]:
  """Tags of the cluster, a node, a node group or an instance.

  @raise errors.OpPrereqError: unknown kind (ECODE_INVAL) or object
      (ECODE_NOENT)

  """
  if kind == constants.TAG_CLUSTER:
    obj = cfg.GetClusterInfo()
  elif kind == constants.TAG_NODE:
    full = cfg.ExpandNodeName(name) if isinstance(name, str) else None
    obj = cfg.GetNodeInfo(full) if full else None
    if obj is None:
      raise errors.OpPrereqError("Node '%s' not known" % (name, ),
                                 errors.ECODE_NOENT)
  elif kind == constants.TAG_INSTANCE:
    full = cfg.ExpandInstanceName(name) if isinstance(name, str) else None
    obj = cfg.GetInstanceInfo(full) if full else None
    if obj is None:
      raise errors.OpPrereqError("Instance '%s' not known" % (name, ),
                                 errors.ECODE_NOENT)
  elif kind == constants.TAG_NODEGROUP:
    if not isinstance(name, str) or not name:
      raise errors.OpPrereqError("Node group '%s' not found" % (name, ),
                                 errors.ECODE_NOENT)
    obj = cfg.GetNodeGroup(cfg.LookupNodeGroup(name))
  else:
    raise errors.OpPrereqError("Invalid tag kind '%s', expected one of %s" %
                               (kind, utils.CommaJoin(
                                 sorted(constants.VALID_TAG_TYPES))),
                               errors.ECODE_INVAL)
  return sorted(obj.GetTags())


# -- argument checking -------------------------------------------------------


class _Arg(NamedTuple):
  name: str
  check: Callable[[Any], bool]
  description: str


_TFieldList = ht.TListOf(ht.TString)
_TOpList = ht.TAnd(ht.TListOf(ht.TDict), ht.TTrue)
_TNames = ht.TListOf(ht.TString)

_A_JOB_ID = _Arg("job_id", ht.TJobId,
                 "a job ID (non-negative integer or decimal string)")
_A_FIELDS = _Arg("fields", _TFieldList, "a list of field names")
_A_MAYBE_FIELDS = _Arg("fields", ht.TOr(ht.TNone, _TFieldList),
                       "null or a list of field names")
_A_WHAT = _Arg("what", ht.TString, "a resource name")
_A_USE_LOCKING = _Arg("use_locking", ht.TBool, "a boolean")
_A_NAMES = _Arg("names", _TNames, "a list of names")

#: method -> (required args, optional trailing args)
_SIGNATURES: Dict[str, tuple] = {
  luxi.REQ_SUBMIT_JOB: ([_Arg("ops", _TOpList,
                              "a non-empty list of opcode objects")], []),
  luxi.REQ_SUBMIT_MANY_JOBS: ([_Arg("jobs", ht.TListOf(_TOpList),
                                    "a list of jobs, each a non-empty list of"
                                    " opcode objects")], []),
  luxi.REQ_CANCEL_JOB: ([_A_JOB_ID],
                        [_Arg("kill", ht.TBool, "a boolean")]),
  luxi.REQ_ARCHIVE_JOB: ([_A_JOB_ID], []),
  luxi.REQ_AUTO_ARCHIVE_JOBS: ([_Arg("age", ht.TNumber,
                                     "a number of seconds (-1 for all)"),
                                _Arg("timeout", ht.TNonNegativeNumber,
                                     "a non-negative number of seconds")],
                               []),
  luxi.REQ_WAIT_FOR_JOB_CHANGE: ([_A_JOB_ID, _A_FIELDS,
                                  _Arg("prev_job_info", ht.TMaybeList,
                                       "null or a list"),
                                  _Arg("prev_log_serial",
                                       ht.TMaybe(ht.TInt),
                                       "null or an integer"),
                                  _Arg("timeout", ht.TNonNegativeNumber,
                                       "a non-negative number of seconds")],
                                 []),
  luxi.REQ_QUERY: ([_A_WHAT, _A_FIELDS,
                    _Arg("qfilter", ht.TOr(ht.TNone, ht.TList),
                         "null or a filter list")], []),
  luxi.REQ_QUERY_FIELDS: ([_A_WHAT, _A_MAYBE_FIELDS], []),
  luxi.REQ_QUERY_JOBS: ([_Arg("job_ids", ht.TOr(ht.TNone,
                                                ht.TListOf(ht.TJobId)),
                              "null or a list of job IDs"), _A_FIELDS], []),
  luxi.REQ_QUERY_INSTANCES: ([_A_NAMES, _A_FIELDS, _A_USE_LOCKING], []),
  luxi.REQ_QUERY_NODES: ([_A_NAMES, _A_FIELDS, _A_USE_LOCKING], []),
  luxi.REQ_QUERY_GROUPS: ([_A_NAMES, _A_FIELDS, _A_USE_LOCKING], []),
  luxi.REQ_QUERY_EXPORTS: ([_Arg("nodes", _TNames, "a list of node names"),
                            _A_USE_LOCKING], []),
  luxi.REQ_QUERY_CONFIG_VALUES: ([_A_FIELDS], []),
  luxi.REQ_QUERY_CLUSTER_INFO: ([], []),
  luxi.REQ_QUERY_TAGS: ([_Arg("kind", ht.TString, "a tag kind"),
                         _Arg("name", ht.TOr(ht.TNone, ht.TString),
                              "an object name")], []),
  luxi.REQ_SET_DRAIN_FLAG: ([_Arg("drain_flag", ht.TBool, "a boolean")], []),
  luxi.REQ_SET_WATCHER_PAUSE: ([_Arg("until", ht.TOr(ht.TNone, ht.TNumber),
                                     "null or a Unix time")], []),
  }


def CheckArguments(method: str, args: list) -> list:
  """Check count and types of a method's arguments.

  @return: the arguments, optional ones filled with None
  @raise ArgumentError: unknown method, wrong count or a wrong type

  """
  signature = _SIGNATURES.get(method)
  if signature is None:
    raise ArgumentError("Invalid operation '%s'" % (method, ))
  (required, optional) = signature
  if not len(required) <= len(args) <= len(required) + len(optional):
    names = [arg.name for arg in required] + \
            ["[%s]" % arg.name for arg in optional]
    raise ArgumentError("Method %s takes %s argument(s) (%s), got %d" %
                        (method, len(required) if not optional else
                         "%d-%d" % (len(required),
                                    len(required) + len(optional)),
                         ", ".join(names), len(args)))
  for (spec, value) in zip(required + optional, args):
    if not spec.check(value):
      raise ArgumentError("Argument '%s' of method %s must be %s, got %r" %
                          (spec.name, method, spec.description, value))
  return list(args) + [None] * (len(required) + len(optional) - len(args))


def _LoadOps(ops: list) -> list:
  return [opcodes.OpCode.LoadOpCode(data) for data in ops]


# -- dispatching -------------------------------------------------------------


class ClientOps:
  """Answers LUXI requests from the master's context.

  The context has ``cfg`` (ConfigWriter), ``glm`` (GanetiLockManager) and
  ``jobqueue`` (JobQueue).

  """
  def __init__(self, context: Any):
    self.context = context
    self._handlers: Dict[str, Callable[..., Any]] = {
      luxi.REQ_SUBMIT_JOB: self._SubmitJob,
      luxi.REQ_SUBMIT_MANY_JOBS: self._SubmitManyJobs,
      luxi.REQ_CANCEL_JOB: self._CancelJob,
      luxi.REQ_ARCHIVE_JOB: self._ArchiveJob,
      luxi.REQ_AUTO_ARCHIVE_JOBS: self._AutoArchiveJobs,
      luxi.REQ_WAIT_FOR_JOB_CHANGE: self._WaitForJobChange,
      luxi.REQ_QUERY: self._Query,
      luxi.REQ_QUERY_FIELDS: self._QueryFields,
      luxi.REQ_QUERY_JOBS: self._QueryJobs,
      luxi.REQ_QUERY_INSTANCES: self._OldStyle(constants.QR_INSTANCE),
      luxi.REQ_QUERY_NODES: self._OldStyle(constants.QR_NODE),
      luxi.REQ_QUERY_GROUPS: self._OldStyle(constants.QR_GROUP),
      luxi.REQ_QUERY_EXPORTS: self._QueryExports,
      luxi.REQ_QUERY_CONFIG_VALUES: self._QueryConfigValues,
      luxi.REQ_QUERY_CLUSTER_INFO: self._QueryClusterInfo,
      luxi.REQ_QUERY_TAGS: self._QueryTags,
      luxi.REQ_SET_DRAIN_FLAG: self._SetDrainFlag,
      luxi.REQ_SET_WATCHER_PAUSE: self._SetWatcherPause,
      }
    missing = set(luxi.REQ_ALL) ^ set(self._handlers)
    if missing:
      raise errors.ProgrammerError("LUXI methods without handler or"
                                   " unknown: %s" % sorted(missing))

  def HandleRequest(self, method: str, args: list) -> Any:
    """Answer one request.

    @raise ArgumentError: unknown method or bad arguments
    @raise errors.GenericError: the request was refused or failed

    """
    args = CheckArguments(method, args)
    return self._handlers[method](*args)

  def _OldStyle(self, what: str) -> Callable[..., Any]:
    def fn(names, fields, use_locking):
      if use_locking:
        raise errors.OpPrereqError("Sync queries are not allowed",
                                   errors.ECODE_INVAL)
      return cmdlib_query.OldStyleQuery(self.context, what, names, fields)
    return fn

  def _QueryExports(self, nodes, use_locking):
    """node -> export names, or False for a node that could not be asked."""
    if use_locking:
      raise errors.OpPrereqError("Sync queries are not allowed",
                                 errors.ECODE_INVAL)
    cfg = self.context.cfg
    names = cmdlib_query.ExpandNodeNames(cfg, nodes or None)
    answers = cmdlib_query.ListExportsByNode(cfg, self.context.rpc, names)
    return dict((node, exports if exports is not None else False)
                for (node, exports) in answers.items())

  @property
  def _queue(self) -> Any:
    queue = self.context.jobqueue
    if queue is None:
      raise errors.JobQueueError("The job queue is not available")
    return queue

  def _SubmitJob(self, ops):
    logging.info("Received new job")
    return self._queue.SubmitJob(_LoadOps(ops))

  def _SubmitManyJobs(self, jobs):
    logging.info("Received multiple jobs (%d)", len(jobs))
    return self._queue.SubmitManyJobs([_LoadOps(ops) for ops in jobs])

  def _CancelJob(self, job_id, kill):
    if kill:
      raise errors.OpPrereqError("Killing running jobs is not supported by"
                                 " this master", errors.ECODE_INVAL)
    job_id = NormalizeJobId(job_id)
    logging.info("Received job cancel request for %s", job_id)
    (success, message) = self._queue.CancelJob(job_id)
    return [success, message]

  def _ArchiveJob(self, job_id):
    job_id = NormalizeJobId(job_id)
    logging.info("Received job archive request for %s", job_id)
    return self._queue.ArchiveJob(job_id)

  def _AutoArchiveJobs(self, age, timeout):
    logging.info("Received job autoarchive request for age %s, timeout %s",
                 age, timeout)
    (archived, not_checked) = self._queue.AutoArchiveJobs(age, timeout)
    return [archived, not_checked]

  def _WaitForJobChange(self, job_id, fields, prev_job_info, prev_log_serial,
                        timeout):
    _CheckOldStyleFields(fields, query.JOB_FIELDS)
    return self._queue.WaitForJobChanges(NormalizeJobId(job_id), fields,
                                         prev_job_info, prev_log_serial,
                                         timeout)

  def _QueryJobs(self, job_ids, fields):
    _CheckOldStyleFields(fields, query.JOB_FIELDS)
    if job_ids is not None:
      job_ids = [NormalizeJobId(job_id) for job_id in job_ids]
    rows = self._queue.QueryJobs(job_ids, fields)
    if job_ids is None:
      return rows
    # an unknown job still yields a row: its id, then nulls
    result = []
    for (job_id, row) in zip(job_ids, rows):
      if row is None:
        row = [job_id if name == "id" else None for name in fields]
      result.append(row)
    return result

  def _Query(self, what, fields, qfilter):
    return cmdlib_query.Query(self.context, what, fields, qfilter)

  @staticmethod
  def _QueryFields(what, fields):
    return cmdlib_query.QueryFields(what, fields)

  def _QueryConfigValues(self, fields):
    return cmdlib_cluster.GetConfigValues(self.context.cfg, fields)

  def _QueryClusterInfo(self):
    return cmdlib_cluster.GetClusterInfo(self.context.cfg)

  def _QueryTags(self, kind, name):
    return GetTags(self.context.cfg, kind, name)

  def _SetDrainFlag(self, drain_flag):
    logging.info("Setting the job queue drain flag to %s", drain_flag)
    self._queue.SetDrainFlag(drain_flag)
    return True

  @staticmethod
  def _SetWatcherPause(until):
    return SetWatcherPause(until)


def _Failure(message: str) -> str:
  return luxi.FormatResponse(False, "Caught exception: %s" % message,
                             version=constants.LUXI_VERSION)


def ProcessRequest(ops: ClientOps, message: bytes) -> str:
  """Turn one request text into one response text; never raises.

  Ganeti errors go back encoded (the client re-raises the same class);
  protocol mistakes, argument errors and unexpected failures go back as a
  "Caught exception: ..." string.

  """
  try:
    (method, args, version) = luxi.ParseRequest(message)
  except luxi.ProtocolError as err:
    logging.warning("Malformed LUXI request: %s", err)
    return _Failure(str(err))

  try:
    if version is not None and version != constants.LUXI_VERSION:
      raise errors.LuxiError("LUXI version mismatch, server %s, request %s" %
                             (constants.LUXI_VERSION, version))
    result = ops.HandleRequest(method, args)
    return luxi.FormatResponse(True, result, version=constants.LUXI_VERSION)
  except ArgumentError as err:
    logging.info("Refused LUXI request %s: %s", method, err)
    return _Failure(str(err))
  except errors.GenericError as err:
    logging.info("LUXI request %s failed: %s", method,
                 errors.FormatError(err))
    try:
      return luxi.FormatResponse(False, errors.EncodeException(err),
                                 version=constants.LUXI_VERSION)
    except errors.ProgrammerError as enc_err:
      return _Failure("%s (and its arguments cannot be sent: %s)" %
                      (err, enc_err))
  except Exception as err:  # pylint: disable=W0703
    logging.exception("Unexpected error while handling LUXI request %s",
                      method)
    return _Failure("%s: %s" % (err.__class__.__name__, err))


def ProcessFrame(ops: ClientOps, message: bytes) -> bytes:
  """ProcessRequest plus the wire encoding of the response."""
  return luxi.EncodeMessage(ProcessRequest(ops, message))

