"""In-memory jobs of the queue: opcodes, status machine, file format.

Layer 5 (master side), part of jqueue. A `_QueuedJob` holds its
`_QueuedOpCode` objects; both convert to and from the JSON structure of the
job files (spec/daemons-and-files.md section 5) and answer the job fields of
QueryJobs/WaitForJobChanges. The job status is never stored: it is derived
from the opcode statuses. This module does no I/O and takes no locks: the
queue (jqueue) serialises every change and writes the files.
"""

import time

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti import serializer
from ganeti import utils
from ganeti import jstore


#: Result given to opcodes canceled by request
CANCEL_RESULT = "Job canceled by request"

#: Error message of opcodes following a failed one
PRECEDING_FAILED_MSG = "Preceding opcode failed"


def TimeStampNow():
  """The current time as ``[seconds, microseconds]``, the wire form."""
  return utils.SplitTime(time.time())


def EncodeOpError(err):
  """Wire form of an opcode failure.

  Exceptions outside Ganeti's hierarchy are wrapped in OpExecError, and
  arguments that JSON cannot carry are turned into text, so the result can
  always be written to the job file.

  """
  if not isinstance(err, errors.GenericError):
    err = errors.OpExecError("%s: %s" % (err.__class__.__name__, err))
  encoded = errors.EncodeException(err)
  if not IsSerializable(encoded):
    encoded = errors.EncodeException(
      err.__class__(*[str(arg) for arg in err.args]))
  return encoded


def IsSerializable(value):
  """Whether a value can be written as JSON."""
  try:
    serializer.DumpJson(value)
  except errors.ProgrammerError:
    return False
  return True


def CalcJobStatus(op_statuses):
  """Derive a job's status from its opcodes' statuses (in order).

  Any canceling/error/canceled opcode decides (the first one found);
  otherwise the last waiting or running opcode; all success gives success;
  anything else is still queued.

  """
  status = constants.JOB_STATUS_QUEUED
  all_success = True
  for op_status in op_statuses:
    if op_status == constants.OP_STATUS_SUCCESS:
      continue
    all_success = False
    if op_status == constants.OP_STATUS_QUEUED:
      pass
    elif op_status == constants.OP_STATUS_WAITING:
      status = constants.JOB_STATUS_WAITING
    elif op_status == constants.OP_STATUS_RUNNING:
      status = constants.JOB_STATUS_RUNNING
    elif op_status == constants.OP_STATUS_CANCELING:
      return constants.JOB_STATUS_CANCELING
    elif op_status == constants.OP_STATUS_ERROR:
      return constants.JOB_STATUS_ERROR
    elif op_status == constants.OP_STATUS_CANCELED:
      return constants.JOB_STATUS_CANCELED
    else:
      raise errors.ProgrammerError("Unknown opcode status %r" % (op_status, ))
  if all_success:
    return constants.JOB_STATUS_SUCCESS
  return status


def _CheckTimestamp(value, what):
  if value is None:
    return None
  if (isinstance(value, (list, tuple)) and len(value) == 2 and
      all(isinstance(i, int) and not isinstance(i, bool) for i in value)):
    return list(value)
  raise errors.JobFileCorrupted("Invalid %s %r: expected [seconds,"
                                " microseconds] or null" % (what, value))


def _CheckLogEntry(entry):
  if not (isinstance(entry, (list, tuple)) and len(entry) == 4):
    raise errors.JobFileCorrupted("Invalid log entry %r: expected [serial,"
                                  " timestamp, type, message]" % (entry, ))
  (serial, timestamp, log_type, message) = entry
  if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
    raise errors.JobFileCorrupted("Invalid log serial %r in entry %r"
                                  % (serial, entry))
  if timestamp is None:
    raise errors.JobFileCorrupted("Log entry %r has no timestamp" % (entry, ))
  if not isinstance(log_type, str):
    raise errors.JobFileCorrupted("Invalid log type %r in entry %r"
                                  % (log_type, entry))
  return [serial, _CheckTimestamp(timestamp, "log timestamp"), log_type,
          message]


class _QueuedOpCode:
  """One opcode of a job, with its execution state.

  ``priority`` starts as the opcode's submitted priority and is raised
  (lowered numerically) by the queue while the opcode fails to get its
  locks; it is stored in the job file.

  """
  __slots__ = ["input", "status", "result", "log", "priority",
               "start_timestamp", "exec_timestamp", "end_timestamp"]

  def __init__(self, op):
    if not isinstance(op, opcodes.OpCode):
      raise errors.ProgrammerError("A queued opcode needs an opcode object,"
                                   " got %r" % (op, ))
    self.input = op
    self.status = constants.OP_STATUS_QUEUED
    self.result = None
    self.log = []
    self.priority = getattr(op, "priority", constants.OP_PRIO_DEFAULT)
    self.start_timestamp = None
    self.exec_timestamp = None
    self.end_timestamp = None

  @classmethod
  def Restore(cls, state):
    """Rebuild an opcode from its job-file form.

    @raise errors.JobFileCorrupted: a key is missing or has a wrong value

    """
    if not isinstance(state, dict):
      raise errors.JobFileCorrupted("Opcode entry is not an object: %r"
                                    % (state, ))
    missing = [key for key in ("input", "status") if key not in state]
    if missing:
      raise errors.JobFileCorrupted("Opcode entry lacks %s"
                                    % ", ".join(missing))
    try:
      op = opcodes.OpCode.LoadOpCode(state["input"])
    except errors.GenericError as err:
      raise errors.JobFileCorrupted("Opcode input cannot be loaded: %s"
                                    % (err, ))
    obj = cls(op)
    status = state["status"]
    if status not in constants.OP_STATUS_ALL:
      raise errors.JobFileCorrupted("Unknown opcode status %r" % (status, ))
    obj.status = status
    obj.result = state.get("result")
    log = state.get("log", [])
    if not isinstance(log, list):
      raise errors.JobFileCorrupted("Opcode log is not a list: %r" % (log, ))
    obj.log = [_CheckLogEntry(entry) for entry in log]
    priority = state.get("priority", obj.priority)
    if (not isinstance(priority, int) or isinstance(priority, bool) or
        not constants.OP_PRIO_HIGHEST <= priority <= constants.OP_PRIO_LOWEST):
      raise errors.JobFileCorrupted("Invalid opcode priority %r" %
                                    (priority, ))
    obj.priority = priority
    for name in ("start_timestamp", "exec_timestamp", "end_timestamp"):
      setattr(obj, name, _CheckTimestamp(state.get(name), "opcode " + name))
    return obj

  def Serialize(self):
    """The job-file form of this opcode."""
    return {
      "input": self.input.ToDict(),
      "status": self.status,
      "result": self.result,
      "log": [list(entry) for entry in self.log],
      "priority": self.priority,
      "start_timestamp": self.start_timestamp,
      "exec_timestamp": self.exec_timestamp,
      "end_timestamp": self.end_timestamp,
      }


def _JobTimestamp(value):
  """Query2 value of an optional job timestamp."""
  if value is None:
    return (constants.RS_UNAVAIL, None)
  return (constants.RS_NORMAL, value)


#: Job fields of QueryJobs, WaitForJobChanges and the query2 job resource:
#: name -> (title, kind, description, getter returning (status, value))
JOB_FIELDS = {
  "id": ("ID", constants.QFT_NUMBER, "Job ID",
         lambda job: (constants.RS_NORMAL, job.id)),
  "status": ("Status", constants.QFT_TEXT, "Job status",
             lambda job: (constants.RS_NORMAL, job.CalcStatus())),
  "priority": ("Priority", constants.QFT_NUMBER,
               "Current job priority (lowest of its unfinished opcodes)",
               lambda job: (constants.RS_NORMAL, job.CalcPriority())),
  "ops": ("OpCodes", constants.QFT_OTHER, "List of all opcodes",
          lambda job: (constants.RS_NORMAL,
                       [op.input.ToDict() for op in job.ops])),
  "summary": ("Summary", constants.QFT_OTHER,
              "List of per-opcode summaries",
              lambda job: (constants.RS_NORMAL,
                           [op.input.Summary() for op in job.ops])),
  "opstatus": ("OpCode_status", constants.QFT_OTHER,
               "List of opcode statuses",
               lambda job: (constants.RS_NORMAL,
                            [op.status for op in job.ops])),
  "opresult": ("OpCode_result", constants.QFT_OTHER,
               "List of opcode results",
               lambda job: (constants.RS_NORMAL,
                            [op.result for op in job.ops])),
  "oplog": ("OpCode_log", constants.QFT_OTHER, "List of opcode logs",
            lambda job: (constants.RS_NORMAL,
                         [[list(e) for e in op.log] for op in job.ops])),
  "oppriority": ("OpCode_prio", constants.QFT_OTHER,
                 "List of opcode priorities",
                 lambda job: (constants.RS_NORMAL,
                              [op.priority for op in job.ops])),
  "opstart": ("OpCode_start", constants.QFT_OTHER,
              "List of opcode start times (before acquiring locks)",
              lambda job: (constants.RS_NORMAL,
                           [op.start_timestamp for op in job.ops])),
  "opexec": ("OpCode_exec", constants.QFT_OTHER,
             "List of opcode execution start times (after acquiring locks)",
             lambda job: (constants.RS_NORMAL,
                          [op.exec_timestamp for op in job.ops])),
  "opend": ("OpCode_end", constants.QFT_OTHER, "List of opcode end times",
            lambda job: (constants.RS_NORMAL,
                         [op.end_timestamp for op in job.ops])),
  "received_ts": ("Received", constants.QFT_OTHER, "Job receive time",
                  lambda job: (constants.RS_NORMAL, job.received_timestamp)),
  "start_ts": ("Start", constants.QFT_OTHER, "Job start time",
               lambda job: _JobTimestamp(job.start_timestamp)),
  "end_ts": ("End", constants.QFT_OTHER, "Job end time",
             lambda job: _JobTimestamp(job.end_timestamp)),
  }


def CheckJobFields(fields):
  """Refuse a field list that is not a list of known job field names.

  @raise errors.OpPrereqError: unknown fields (ECODE_INVAL)

  """
  if not isinstance(fields, (list, tuple)) or \
      not all(isinstance(name, str) for name in fields):
    raise errors.OpPrereqError("Job fields must be a list of field names,"
                               " got %r" % (fields, ), errors.ECODE_INVAL)
  unknown = [name for name in fields if name not in JOB_FIELDS]
  if unknown:
    raise errors.OpPrereqError("Unknown output fields selected: %s"
                               % ", ".join(unknown), errors.ECODE_INVAL)


def GetQueryRow(job_id, job, fields):
  """Query2 row ``[[status, value], ...]`` of a job (None: missing job).

  A missing job has every field but ``id`` unavailable.

  """
  row = []
  for name in fields:
    if job is not None:
      (status, value) = JOB_FIELDS[name][3](job)
    elif name == "id":
      (status, value) = (constants.RS_NORMAL, job_id)
    else:
      (status, value) = (constants.RS_UNAVAIL, None)
    row.append([status, value])
  return row


class _QueuedJob:
  """A job: an ordered list of opcodes executed one after the other.

  ``queue`` is the owning JobQueue (None for read-only copies loaded from
  disk). ``cur_opctx`` carries the execution context of the opcode being
  processed across worker turns (lock timeouts, dependencies); it is never
  stored.

  """
  def __init__(self, queue, job_id, ops):
    if not ops:
      raise errors.GenericError("Job %s has no opcodes; a job needs at least"
                                " one" % (job_id, ))
    self.queue = queue
    self.id = jstore.ParseJobId(job_id)
    self.ops = [_QueuedOpCode(op) for op in ops]
    self.log_serial = 0
    self.received_timestamp = TimeStampNow()
    self.start_timestamp = None
    self.end_timestamp = None
    self.cur_opctx = None

  def __repr__(self):
    return "<%s id=%s status=%s>" % (self.__class__.__name__, self.id,
                                     self.CalcStatus())

  @classmethod
  def Restore(cls, queue, state):
    """Rebuild a job from its job-file form.

    @raise errors.JobFileCorrupted: the data does not describe a job

    """
    if not isinstance(state, dict):
      raise errors.JobFileCorrupted("Job data is not an object: %r"
                                    % (state, ))
    for key in ("id", "ops"):
      if key not in state:
        raise errors.JobFileCorrupted("Job data lacks '%s'" % key)
    try:
      job_id = jstore.ParseJobId(state["id"])
    except errors.ParameterError as err:
      raise errors.JobFileCorrupted(str(err))
    ops = state["ops"]
    if not isinstance(ops, list) or not ops:
      raise errors.JobFileCorrupted("Job %s: 'ops' must be a non-empty list"
                                    % job_id)
    obj = cls.__new__(cls)
    obj.queue = queue
    obj.id = job_id
    obj.ops = [_QueuedOpCode.Restore(op) for op in ops]
    obj.log_serial = max([entry[0] for op in obj.ops for entry in op.log],
                         default=0)
    obj.received_timestamp = _CheckTimestamp(state.get("received_timestamp"),
                                             "received_timestamp")
    obj.start_timestamp = _CheckTimestamp(state.get("start_timestamp"),
                                          "start_timestamp")
    obj.end_timestamp = _CheckTimestamp(state.get("end_timestamp"),
                                        "end_timestamp")
    obj.cur_opctx = None
    return obj

  def Serialize(self):
    """The job-file form of this job (ids are written as integers)."""
    return {
      "id": self.id,
      "ops": [op.Serialize() for op in self.ops],
      "received_timestamp": self.received_timestamp,
      "start_timestamp": self.start_timestamp,
      "end_timestamp": self.end_timestamp,
      }

  def CalcStatus(self):
    """The job status derived from the opcode statuses."""
    return CalcJobStatus([op.status for op in self.ops])

  def CalcPriority(self):
    """Most urgent priority of the unfinished opcodes (default if none)."""
    prios = [op.priority for op in self.ops
             if op.status not in constants.OPS_FINALIZED]
    return min(prios, default=constants.OP_PRIO_DEFAULT)

  def IsFinalized(self):
    """Whether the job has reached a final status."""
    return self.CalcStatus() in constants.JOBS_FINALIZED

  def GetLogEntries(self, newer_than):
    """Log entries (of all opcodes) with a serial above ``newer_than``.

    @param newer_than: a log serial, or None for every entry

    """
    if newer_than is None:
      serial = -1
    else:
      serial = newer_than
    return [list(entry) for op in self.ops for entry in op.log
            if entry[0] > serial]

  def GetInfo(self, fields):
    """Old-style values of job fields (unavailable values become None).

    @raise errors.OpPrereqError: unknown field

    """
    CheckJobFields(fields)
    return [value for (_, value) in GetQueryRow(self.id, self, fields)]

  def AddLogEntry(self, op, log_type, message):
    """Append a log entry with the next serial to an opcode of this job.

    @return: the new entry

    """
    if log_type not in constants.ELOG_TYPES:
      raise errors.ProgrammerError("Job %s: unknown log entry type %r"
                                   % (self.id, log_type))
    if IsSerializable(message):
      # store what readers of the job file get (lists, not tuples)
      message = serializer.LoadJson(serializer.DumpJson(message))
    else:
      message = str(message)
    self.log_serial += 1
    entry = [self.log_serial, TimeStampNow(), log_type, message]
    op.log.append(entry)
    return entry

  def MarkUnfinishedOps(self, status, result):
    """Give every unfinished opcode a status and a result.

    @raise errors.ProgrammerError: a finished opcode follows an unfinished
        one (the job would be inconsistent)

    """
    seen_unfinished = False
    for op in self.ops:
      if op.status in constants.OPS_FINALIZED:
        if seen_unfinished:
          raise errors.ProgrammerError("Job %s: finished opcode after an"
                                       " unfinished one" % self.id)
        continue
      seen_unfinished = True
      op.status = status
      op.result = result

  def Finalize(self):
    """Record the job's end time."""
    self.end_timestamp = TimeStampNow()

  def Cancel(self):
    """Cancel the job if it has not started executing.

    A queued job is canceled at once; a waiting one is marked canceling and
    its worker finishes the cancellation when it next looks at it.

    @return: (success, message)

    """
    status = self.CalcStatus()
    if status == constants.JOB_STATUS_QUEUED:
      self.MarkUnfinishedOps(constants.OP_STATUS_CANCELED, CANCEL_RESULT)
      self.Finalize()
      return (True, "Job %s canceled" % self.id)
    if status == constants.JOB_STATUS_WAITING:
      self.MarkUnfinishedOps(constants.OP_STATUS_CANCELING, None)
      return (True, "Job %s will be canceled" % self.id)
    return (False, "Job %s is no longer waiting in the queue" % self.id)
