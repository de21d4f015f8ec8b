"""The master's job queue: submission, execution, waiting, archiving.

Layer 5 (master side). `JobQueue` owns the queue directory while masterd
runs (its lock file stays locked), allocates job ids from the serial file,
keeps every unarchived job in memory and writes each change of a job to its
file (atomically, fsynced) before anybody can see it, calling the
replication hook for the master candidates. Jobs run in a priority worker
pool, one opcode per worker turn (design 2.3: priorities act between
opcodes and between lock attempts). The job model is in jqueue_job, the
execution machinery in jqueue_exec.

The queue lock guards the in-memory state; under it the only I/O is the
writing (and replication) of queue files. This module must not answer
LUXI itself, and must not run opcodes other than through mcpu.
"""

import logging
import os
import threading
import time

from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import locking
from ganeti import mcpu
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer
from ganeti import utils
from ganeti import workerpool
# re-exported: the job model and the executor are part of this module's API
from ganeti.jqueue_job import (  # pylint: disable=unused-import
  CANCEL_RESULT, JOB_FIELDS, CalcJobStatus, CheckJobFields, EncodeOpError,
  GetQueryRow, TimeStampNow, _QueuedJob, _QueuedOpCode)
from ganeti.jqueue_exec import (  # pylint: disable=unused-import
  CancelJob, _JobDependencyManager, _JobProcessor, _OpExecCallbacks,
  _OpExecContext)
from ganeti import jqueue_exec


#: Number of worker threads running jobs
JOBQUEUE_THREADS = 25

#: job ids reserved per write of the serial file
SERIAL_BLOCK = 64

#: No new job is accepted while this many jobs are in the queue directory
JOB_QUEUE_SIZE_HARD_LIMIT = constants.JOB_QUEUE_SIZE_HARD_LIMIT

#: Above this many jobs a warning is logged for every new job
JOB_QUEUE_SIZE_SOFT_LIMIT = int(constants.JOB_QUEUE_SIZE_HARD_LIMIT * 0.8)

#: Seconds to wait for the queue's lock file at start-up
QUEUE_LOCK_TIMEOUT = 10.0

#: Result of opcodes found running when the queue is opened
UNCLEAN_SHUTDOWN_MSG = "Unclean master daemon shutdown"

#: Jobs archived per batch by AutoArchiveJobs
_ARCHIVE_BATCH = 10


class _JobQueueWorker(workerpool.BaseWorker):
  """Worker thread advancing one job per task."""

  def RunTask(self, job):  # pylint: disable=W0221
    """Give the job one turn: an opcode, or one attempt at its locks.

    @raise workerpool.DeferTask: the job goes back into the pool

    """
    queue = job.queue
    name = "job/%s" % job.id
    self.SetTaskName(name)
    locking.SetOwnerName(name)
    try:
      proc = mcpu.Processor(queue.context, job.id)
      result = _JobProcessor(queue, proc.ExecOpCode, job,
                             queue._timeout_strategy_factory)()
    except Exception as err:  # pylint: disable=W0703
      # the worker is a boundary: a bug must not leave the job hanging
      logging.exception("Job %s: processing failed unexpectedly", job.id)
      queue._FailJobOnBug(job, err)
      result = _JobProcessor.FINISHED
    finally:
      locking.SetOwnerName(None)

    if result == _JobProcessor.FINISHED:
      queue.depmgr.NotifyWaiters(job.id)
    elif result == _JobProcessor.DEFER:
      raise workerpool.DeferTask(priority=job.CalcPriority())
    elif result != _JobProcessor.WAITDEP:
      raise errors.ProgrammerError("Job %s: unknown processor result %r"
                                   % (job.id, result))


def _CheckNumber(value, what):
  if isinstance(value, bool) or not isinstance(value, (int, float)):
    raise errors.ParameterError("%s must be a number, got %r" % (what, value))
  return value


def _OpSummaries(ops):
  """Summaries of submitted opcodes (loaded or not) for error messages."""
  result = []
  for op in ops if isinstance(ops, (list, tuple)) else []:
    if isinstance(op, opcodes.OpCode):
      result.append(op.Summary())
    elif isinstance(op, dict) and isinstance(op.get(opcodes.OP_ID_KEY), str):
      result.append(op[opcodes.OP_ID_KEY][len("OP_"):])
    else:
      result.append(repr(op))
  return ", ".join(result)


def _LoadOps(ops):
  """Opcode objects from what a client submitted (objects or dicts).

  @raise errors.GenericError: not a non-empty list of loadable opcodes

  """
  if not isinstance(ops, (list, tuple)):
    raise errors.GenericError("A job must be a list of opcodes, got %r"
                              % (ops, ))
  if not ops:
    raise errors.GenericError("A job must contain at least one opcode")
  result = []
  for op in ops:
    if isinstance(op, opcodes.OpCode):
      result.append(op)
    else:
      result.append(opcodes.OpCode.LoadOpCode(op))
  return result


def _NormalizeDependencies(op):
  """Store resolved dependencies with integer job ids."""
  depends = getattr(op, opcodes.DEPEND_ATTR, None)
  if depends:
    setattr(op, opcodes.DEPEND_ATTR,
            [[jstore.ParseJobId(dep_id), list(statuses)]
             for (dep_id, statuses) in depends])


def _LoadJobFile(filename, job_id, queue):
  """Read and parse one job file.

  @return: the job, or None if the file does not exist
  @raise errors.JobFileCorrupted: the file is unreadable or not a job

  """
  try:
    data = utils.ReadFile(filename)
  except FileNotFoundError:
    return None
  except (EnvironmentError, errors.GenericError) as err:
    raise errors.JobFileCorrupted("Cannot read job file %s: %s"
                                  % (filename, err))
  try:
    state = serializer.LoadJson(data)
  except errors.ParseError as err:
    raise errors.JobFileCorrupted("Job file %s is not valid JSON: %s"
                                  % (filename, err))
  try:
    job = _QueuedJob.Restore(queue, state)
  except errors.JobFileCorrupted as err:
    raise errors.JobFileCorrupted("Job file %s: %s" % (filename, err))
  if job.id != job_id:
    raise errors.JobFileCorrupted("Job file %s holds job %s" %
                                  (filename, job.id))
  return job


def LoadJobFromDisk(job_id, try_archived):
  """A read-only copy of a job as stored in its file.

  @param try_archived: look in the archive too
  @return: the job (not managed by any queue), or None if it does not
      exist or its file cannot be parsed

  """
  job_id = jstore.ParseJobId(job_id)
  filenames = [jstore.GetJobFilename(job_id)]
  if try_archived:
    filenames.append(jstore.GetArchivedJobFilename(job_id))
  for filename in filenames:
    try:
      job = _LoadJobFile(filename, job_id, None)
    except errors.JobFileCorrupted as err:
      logging.warning("Cannot load job %s: %s", job_id, err)
      return None
    if job is not None:
      return job
  return None


#: Seconds a reader waits for a job file write before answering anyway
_DURABLE_WAIT = 10.0


class _JobFileState:
  """Write ordering of one job file (see JobQueue._FlushJobWrites).

  ``seq`` counts the snapshots taken under the queue lock, ``written_seq``
  is the newest one on disk; ``written`` is signalled whenever that
  changes, so readers can wait until what they saw in memory is durable.

  """
  __slots__ = ["filename", "lock", "written", "seq", "written_seq",
               "archived"]

  def __init__(self, filename):
    self.filename = filename
    self.lock = threading.Lock()
    self.written = threading.Condition(self.lock)
    self.seq = 0
    self.written_seq = 0
    self.archived = False

  def WaitWritten(self, seq, timeout):
    """Wait until snapshot ``seq`` (or a newer one) is on disk.

    @return: whether it is (False after ``timeout`` seconds, e.g. when
        the write failed)

    """
    with self.lock:
      return self.written.wait_for(
        lambda: self.archived or self.written_seq >= seq, timeout)


class _QueueLock:
  """The queue's lock; job files changed under it are written after it.

  Writing, syncing and replicating a job file takes about a millisecond;
  done under the queue lock, every job would wait for every other job's
  disk writes.  Instead the changes are snapshotted under the lock and
  written by the same thread right after it releases the lock, before the
  ``with`` block is left, so a caller still returns only once its changes
  are on disk.

  """
  def __init__(self, flush_fn):
    self._lock = threading.Lock()
    self._local = threading.local()
    self._flush_fn = flush_fn

  def __enter__(self):
    self._lock.acquire()
    self._local.pending = []
    return self

  def __exit__(self, exc_type, exc_value, traceback):
    pending = self._local.pending
    self._local.pending = None
    self._lock.release()
    if pending:
      self._flush_fn(pending)

  def locked(self):
    return self._lock.locked()

  def TakePendingWrites(self):
    """Take this thread's queued writes to write them itself (lock held)."""
    pending = self._local.pending
    self._local.pending = []
    return pending

  def AddPendingWrite(self, item):
    """Queue a write for when this thread releases the lock."""
    pending = getattr(self._local, "pending", None)
    if pending is None or not self._lock.locked():
      raise errors.ProgrammerError("Job file written without the queue lock")
    pending.append(item)


class JobQueue:
  """The job queue of the master daemon.

  @ivar context: masterd's context (cfg, glm, rpc) given to mcpu
  @ivar depmgr: the dependency manager

  """
  def __init__(self, context, replication_fn=None, rename_fn=None,
               _timeout_strategy_factory=None, _num_workers=None):
    """Open the queue: lock it, inspect every job, start the workers.

    @param context: masterd's context (attributes cfg, glm, rpc)
    @param replication_fn: called as ``replication_fn(file_name, content)``
        after every replicated write of a queue file (job files, serial)
    @param rename_fn: called as ``rename_fn([(old, new), ...])`` after job
        files were archived (renamed)
    @param _timeout_strategy_factory: builds the lock timeout strategy of
        an opcode (tests use fast ones)
    @param _num_workers: number of worker threads (tests)
    @raise errors.LockError: another process holds the queue
    @raise errors.JobQueueError: the queue files are unusable

    """
    self.context = context
    self._replication_fn = replication_fn
    self._rename_fn = rename_fn
    if _timeout_strategy_factory is None:
      _timeout_strategy_factory = locking.LockAttemptTimeoutStrategy
    self._timeout_strategy_factory = _timeout_strategy_factory
    if _num_workers is None:
      _num_workers = JOBQUEUE_THREADS

    self._lock = _QueueLock(self._FlushJobWrites)
    self._file_states = {}
    self._jobs = {}
    self._accepting_jobs = True
    self._wpool = None
    self.depmgr = _JobDependencyManager(self._GetJobStatusForDependencies,
                                        self._EnqueueJobs)

    self._queue_filelock = jstore.InitAndVerifyQueue(
      must_lock=True, timeout=QUEUE_LOCK_TIMEOUT)
    self._watcher = None
    try:
      self._file_writer = jstore.JobFileWriter(pathutils.QUEUE_DIR)
      self._watcher = self._StartWatcher()
      self._last_serial = jstore.ReadSerial()
      self._reserved_serial = self._last_serial
      self._wpool = workerpool.WorkerPool("Jq", _num_workers, _JobQueueWorker)
      try:
        restart = self._InspectQueue()
        self._EnqueueJobs(restart)
      except BaseException:
        self._wpool.TerminateWorkers()
        raise
    except BaseException:
      if self._watcher is not None:
        self._watcher.Close()
      self._queue_filelock.Close()
      raise

  @staticmethod
  def _StartWatcher():
    """The inotify watcher of WaitForJobChanges, or None (then polling)."""
    try:
      return jqueue_exec.JobFileWatcher(pathutils.QUEUE_DIR)
    except (errors.InotifyError, OSError) as err:
      logging.warning("No inotify on %s (%s); WaitForJobChanges falls back"
                      " to polling", pathutils.QUEUE_DIR, err)
      return None

  # Start-up

  def _InspectQueue(self):
    """Load every job file and settle jobs interrupted by a restart.

    @return: the jobs to run again, in id order

    """
    job_ids = jstore.ListJobIds()
    logging.info("Inspecting job queue: %d job files", len(job_ids))
    restart = []
    with self._lock:
      if job_ids and job_ids[-1] > self._last_serial:
        # never hand out an id that exists already
        logging.warning("Job %s exists but the serial file says %s;"
                        " continuing after the highest job id", job_ids[-1],
                        self._last_serial)
        self._last_serial = self._reserved_serial = job_ids[-1]
        self._WriteAndReplicateFileUnlocked(
          pathutils.JOB_QUEUE_SERIAL_FILE,
          jstore.FormatSerial(self._last_serial))
      for job_id in job_ids:
        filename = jstore.GetJobFilename(job_id)
        try:
          job = _LoadJobFile(filename, job_id, self)
        except errors.JobFileCorrupted as err:
          logging.error("Moving unusable job file to the archive: %s", err)
          self._RenameFilesUnlocked(
            [(filename, jstore.GetArchivedJobFilename(job_id))])
          continue
        if job is None:
          continue
        self._jobs[job_id] = job
        status = job.CalcStatus()
        if status == constants.JOB_STATUS_QUEUED:
          restart.append(job)
        elif status == constants.JOB_STATUS_WAITING:
          job.MarkUnfinishedOps(constants.OP_STATUS_QUEUED, None)
          self._UpdateJobUnlocked(job)
          restart.append(job)
        elif status == constants.JOB_STATUS_RUNNING:
          logging.warning("Job %s was running when the master stopped;"
                          " marking it failed", job_id)
          job.MarkUnfinishedOps(constants.OP_STATUS_ERROR, EncodeOpError(
            errors.OpExecError(UNCLEAN_SHUTDOWN_MSG)))
          job.Finalize()
          self._UpdateJobUnlocked(job)
        elif status == constants.JOB_STATUS_CANCELING:
          job.MarkUnfinishedOps(constants.OP_STATUS_CANCELED, CANCEL_RESULT)
          job.Finalize()
          self._UpdateJobUnlocked(job)
    logging.info("Job queue inspected: %d jobs, %d to run", len(self._jobs),
                 len(restart))
    return restart

  # File writing (queue lock held)

  def _IsManagedUnlocked(self, job):
    return self._jobs.get(job.id) is job

  def _WriteAndReplicateFileUnlocked(self, filename, data, replicate=True):
    # every change is synced; the directory is not (see WriteFile)
    self._file_writer.Write(filename, data)
    if replicate and self._replication_fn is not None:
      try:
        self._replication_fn(filename, data)
      except Exception:  # pylint: disable=W0703
        # the local copy is written; a candidate missing an update is
        # repaired by the next write of the file
        logging.exception("Replicating %s failed", filename)

  def _UpdateJobUnlocked(self, job, replicate=True):
    """Write a job's file (and replicate it unless told not to)."""
    if not self._IsManagedUnlocked(job):
      raise errors.ProgrammerError("Job %s is not (or no longer) managed by"
                                   " this queue; not writing it" % job.id)
    data = serializer.DumpJson(job.Serialize())
    state = self._file_states.get(job.id)
    if state is None:
      state = self._file_states[job.id] = _JobFileState(
        jstore.GetJobFilename(job.id))
    state.seq += 1
    self._lock.AddPendingWrite((state, state.seq, data, replicate))

  def _FlushJobWrites(self, pending):
    """Write job files snapshotted under the queue lock (lock not held).

    Each job's writes stay in order through its file state: a snapshot
    older than what is on disk already is skipped, and nothing is written
    for an archived job.

    """
    for (state, seq, data, replicate) in pending:
      with state.lock:
        if state.archived or seq <= state.written_seq:
          continue
        self._WriteAndReplicateFileUnlocked(state.filename, data,
                                            replicate=replicate)
        state.written_seq = seq
        state.written.notify_all()

  def _PrepareArchivalUnlocked(self, job):
    """Bring a job's file up to date and stop further writes to it."""
    state = self._file_states.pop(job.id, None)
    if state is None:
      return
    with state.lock:
      if state.written_seq < state.seq:
        self._WriteAndReplicateFileUnlocked(
          state.filename, serializer.DumpJson(job.Serialize()))
        state.written_seq = state.seq
      state.archived = True
      state.written.notify_all()

  def _RenameFilesUnlocked(self, renames):
    """Rename queue files (archiving); failures are logged and skipped.

    @return: the renames that were done

    """
    done = []
    for (old, new) in renames:
      try:
        utils.RenameFile(old, new, mkdir=True,
                         mkdir_mode=jstore.QUEUE_DIR_MODE)
      except OSError as err:
        logging.error("Cannot rename %s to %s: %s", old, new, err)
        continue
      done.append((old, new))
    if self._watcher is not None:
      # moves out of the queue directory are not watched (see
      # jqueue_exec._WATCH_MASK), so clients waiting for these jobs are
      # told here
      for (old, _) in done:
        self._watcher.FileChanged(os.path.basename(old))
    if done and self._rename_fn is not None:
      try:
        self._rename_fn(done)
      except Exception:  # pylint: disable=W0703
        logging.exception("Replicating the renames %s failed", done)
    return done

  def _NewSerialsUnlocked(self, count):
    """Allocate job ids.

    The serial file holds the highest id reserved, written before any id
    of a block is handed out; blocks of SERIAL_BLOCK ids spare most
    submissions a synced write.  After a restart numbering continues
    behind the block, so an id is never used twice (gaps are harmless).

    """
    if count <= 0:
      return []
    serial = self._last_serial + count
    if serial > self._reserved_serial:
      reserved = serial + SERIAL_BLOCK - 1
      self._WriteAndReplicateFileUnlocked(pathutils.JOB_QUEUE_SERIAL_FILE,
                                          jstore.FormatSerial(reserved))
      self._reserved_serial = reserved
    result = list(range(self._last_serial + 1, serial + 1))
    self._last_serial = serial
    return result

  # Submission

  def _CheckAcceptingUnlocked(self):
    if not self._accepting_jobs:
      raise errors.JobQueueError("Job queue is shutting down, refusing job")
    if jstore.CheckDrainFlag():
      raise errors.JobQueueDrainError("Job queue is drained, refusing job")

  def _SubmitJobUnlocked(self, job_id, ops):
    """Create, write and register one job (dependencies already absolute).

    @raise errors.GenericError: queue full, bad priority or dependencies

    """
    size = len(self._jobs)
    if size >= JOB_QUEUE_SIZE_HARD_LIMIT:
      raise errors.JobQueueFull("Job queue is full: %d jobs, the limit is %d;"
                                " archive finished jobs (gnt-job archive)"
                                % (size, JOB_QUEUE_SIZE_HARD_LIMIT))
    if size >= JOB_QUEUE_SIZE_SOFT_LIMIT:
      logging.warning("Job queue holds %d jobs, above the soft limit of %d",
                      size, JOB_QUEUE_SIZE_SOFT_LIMIT)
    for (idx, op) in enumerate(ops):
      opcodes.CheckSubmitPriority(op, idx)
      opcodes.CheckDependencies(getattr(op, opcodes.DEPEND_ATTR, None), False)
      _NormalizeDependencies(op)
    job = _QueuedJob(self, job_id, ops)
    self._jobs[job_id] = job
    # written by _WriteNewJobs once the lock is released
    self._UpdateJobUnlocked(job)
    logging.debug("Added job %s: %s", job_id, _OpSummaries(ops))
    return job

  def _WriteNewJobs(self, jobs, pending):
    """Write the files of just-submitted jobs (queue lock not held).

    A job whose file cannot be written is forgotten again: it was never
    handed to a worker, and its submitter gets the error.

    @return: list of (job, error) for the jobs that could not be written

    """
    by_file = dict((item[0].filename, item) for item in pending)
    failed = []
    for job in jobs:
      try:
        self._FlushJobWrites([by_file[jstore.GetJobFilename(job.id)]])
      except Exception as err:  # pylint: disable=W0703
        logging.error("Cannot write the file of new job %s: %s", job.id, err)
        failed.append((job, err))
    if failed:
      with self._lock:
        for (job, _) in failed:
          if self._jobs.get(job.id) is job:
            del self._jobs[job.id]
          self._file_states.pop(job.id, None)
    return failed

  def _EnqueueJobs(self, jobs):
    """Hand jobs to the worker pool at their current priority."""
    if not jobs:
      return
    self._wpool.AddManyTasks([(job, ) for job in jobs],
                             priority=[job.CalcPriority() for job in jobs],
                             task_id=[job.id for job in jobs])

  def SubmitJob(self, ops):
    """Add a job to the queue.

    @param ops: list of opcodes (objects or their dict form)
    @return: the job id (int)
    @raise errors.JobQueueDrainError: the queue is drained
    @raise errors.JobQueueError: the queue is shutting down
    @raise errors.JobQueueFull: too many jobs in the queue
    @raise errors.GenericError: invalid opcodes, priorities or dependencies

    """
    with self._lock:
      self._CheckAcceptingUnlocked()
      (job_id, ) = self._NewSerialsUnlocked(1)
      job = self._SubmitJobUnlocked(job_id, _LoadOps(ops))
      pending = self._lock.TakePendingWrites()
    for (_, err) in self._WriteNewJobs([job], pending):
      raise errors.JobQueueError("Cannot write job %s: %s" % (job_id, err))
    self._EnqueueJobs([job])
    return job_id

  def SubmitManyJobs(self, jobs):
    """Add several jobs; problems of one job do not stop the others.

    Negative job ids in dependencies name earlier jobs of the same call
    (-1 the previous one). Ids are allocated for all jobs up front.

    @return: ``[[True, job id], ...]`` or ``[False, message]`` per job
    @raise errors.JobQueueDrainError: the queue is drained
    @raise errors.JobQueueError: the queue is shutting down

    """
    if not isinstance(jobs, (list, tuple)):
      raise errors.GenericError("SubmitManyJobs needs a list of jobs, got %r"
                                % (jobs, ))
    results = []
    added = []
    with self._lock:
      self._CheckAcceptingUnlocked()
      all_ids = self._NewSerialsUnlocked(len(jobs))
      for (idx, (job_id, ops)) in enumerate(zip(all_ids, jobs)):
        try:
          loaded = _LoadOps(ops)
          for op in loaded:
            opcodes.CheckDependencies(getattr(op, opcodes.DEPEND_ATTR, None),
                                      True)
        except errors.GenericError as err:
          results.append([False, "%s; opcodes %s" %
                          (err, _OpSummaries(ops))])
          continue
        try:
          for op in loaded:
            depends = getattr(op, opcodes.DEPEND_ATTR, None)
            if depends:
              setattr(op, opcodes.DEPEND_ATTR,
                      opcodes.ResolveRelativeDependencies(depends,
                                                          all_ids[:idx]))
        except errors.GenericError as err:
          results.append([False, str(err)])
          continue
        try:
          job = self._SubmitJobUnlocked(job_id, loaded)
        except errors.GenericError as err:
          results.append([False, "%s; opcodes %s" %
                          (err, _OpSummaries(loaded))])
          continue
        results.append([True, job_id])
        added.append(job)
      pending = self._lock.TakePendingWrites()
    failed = dict((job.id, err) for (job, err) in
                  self._WriteNewJobs(added, pending))
    for result in results:
      if result[0] and result[1] in failed:
        result[:] = [False, "Cannot write job %s: %s" %
                     (result[1], failed[result[1]])]
    self._EnqueueJobs([job for job in added if job.id not in failed])
    return results

  # Status, waiting, queries

  def _GetJobStatusForDependencies(self, job_id):
    with self._lock:
      job = self._jobs.get(job_id)
      if job is not None:
        return job.CalcStatus()
    job = LoadJobFromDisk(job_id, True)
    if job is None:
      return None
    return job.CalcStatus()

  def WaitForJobChanges(self, job_id, fields, prev_job_info, prev_log_serial,
                        timeout):
    """Wait until a job changes from what the client saw last.

    @param fields: job fields the client watches
    @param prev_job_info: the fields' values the client has (or None)
    @param prev_log_serial: highest log serial the client has (or None)
    @param timeout: seconds to wait at most
    @return: ``[job_info, new_log_entries]``, JOB_NOTCHANGED on timeout,
        or None if the job does not exist

    """
    job_id = jstore.ParseJobId(job_id)
    CheckJobFields(fields)
    timeout = _CheckNumber(timeout, "WaitForJobChanges timeout")
    if prev_log_serial is not None:
      _CheckNumber(prev_log_serial, "Previous log serial")
    prev_job_info = jqueue_exec.NormalizeJobInfo(prev_job_info)

    def _Check():
      # the queue's memory is the truth for its jobs; what it says is only
      # told once it is on disk too (files are written just after a
      # change), so a client never sees a state a crash could take back;
      # archived jobs are read from disk
      with self._lock:
        job = self._jobs.get(job_id)
        if job is not None:
          result = jqueue_exec.CheckForChanges(job, fields, prev_job_info,
                                               prev_log_serial)
          durable = self._DurabilityMarkUnlocked(job_id)
      if job is not None:
        self._WaitDurable([durable])
        return result
      job = LoadJobFromDisk(job_id, True)
      if job is None:
        raise errors.JobLost()
      return jqueue_exec.CheckForChanges(job, fields, prev_job_info,
                                         prev_log_serial)

    return jqueue_exec.WaitForJobChanges(
      jstore.GetJobFilename(job_id), _Check, max(0, timeout),
      watcher=self._watcher)

  def GetJobsForQuery(self, job_ids):
    """(job id, job or None) pairs; all queue jobs for an empty list."""
    if not job_ids:
      with self._lock:
        return [(job_id, self._jobs[job_id]) for job_id in sorted(self._jobs)]
    if not isinstance(job_ids, (list, tuple)):
      raise errors.ParameterError("Job IDs must be a list, got %r"
                                  % (job_ids, ))
    parsed = [jstore.ParseJobId(job_id) for job_id in job_ids]
    with self._lock:
      found = [(job_id, self._jobs.get(job_id)) for job_id in parsed]
    return [(job_id, job if job is not None
             else LoadJobFromDisk(job_id, True))
            for (job_id, job) in found]

  def QueryJobsQuery2(self, job_ids, fields):
    """Query2 rows ``[[status, value], ...]`` of jobs (see QueryJobs)."""
    CheckJobFields(fields)
    pairs = self.GetJobsForQuery(job_ids)
    with self._lock:
      rows = [GetQueryRow(job_id, job, fields) for (job_id, job) in pairs]
      durable = [self._DurabilityMarkUnlocked(job_id)
                 for (job_id, _) in pairs]
    self._WaitDurable(durable)
    return rows

  def _DurabilityMarkUnlocked(self, job_id):
    """(file state, snapshot) a reader of the job's memory must wait for."""
    state = self._file_states.get(job_id)
    if state is None:
      return None
    return (state, state.seq)

  @staticmethod
  def _WaitDurable(marks):
    """Wait until the snapshots readers saw are on disk (lock not held)."""
    for mark in marks:
      if mark is None:
        continue
      (state, seq) = mark
      if not state.WaitWritten(seq, _DURABLE_WAIT):
        logging.warning("Job file %s is still not written after %s seconds;"
                        " answering from memory", state.filename,
                        _DURABLE_WAIT)

  def QueryJobs(self, job_ids, fields):
    """Old-style rows of job fields.

    @param job_ids: job ids (ints or decimal strings); None or empty for
        every job in the queue (not archived), in id order
    @param fields: job field names (see JOB_FIELDS)
    @return: one row per job; an unknown job gives its id and None values

    """
    rows = self.QueryJobsQuery2(job_ids, fields)
    return [[value if status == constants.RS_NORMAL else None
             for (status, value) in row] for row in rows]

  # Cancel, archive, drain

  def CancelJob(self, job_id):
    """Cancel a queued or waiting job.

    @return: (success, message)

    """
    job_id = jstore.ParseJobId(job_id)
    with self._lock:
      job = self._jobs.get(job_id)
      if job is None:
        return (False, "Job %s not found" % job_id)
      (success, msg) = job.Cancel()
      if success:
        self._UpdateJobUnlocked(job)
      finalized = job.IsFinalized()
    logging.info("Cancel of job %s: %s", job_id, msg)
    if success:
      if finalized:
        self.depmgr.NotifyWaiters(job_id)
      else:
        # a job parked for its dependencies must see the cancel now
        self.depmgr.ReleaseJob(job)
    return (success, msg)

  def _ArchiveJobsUnlocked(self, jobs):
    """Move finalized jobs to the archive; returns how many were moved."""
    renames = {}
    for job in jobs:
      if not job.IsFinalized():
        logging.debug("Job %s is not finalized, not archiving it", job.id)
        continue
      self._PrepareArchivalUnlocked(job)
      renames[job.id] = (jstore.GetJobFilename(job.id),
                         jstore.GetArchivedJobFilename(job.id))
    done = set(old for (old, _) in self._RenameFilesUnlocked(
      [renames[job_id] for job_id in sorted(renames)]))
    count = 0
    for (job_id, (old, _)) in renames.items():
      if old in done:
        del self._jobs[job_id]
        count += 1
    return count

  def ArchiveJob(self, job_id):
    """Archive a finalized job.

    @return: whether the job was archived (False: unknown or unfinished)

    """
    job_id = jstore.ParseJobId(job_id)
    with self._lock:
      job = self._jobs.get(job_id)
      if job is None:
        logging.debug("Job %s not found, not archiving it", job_id)
        return False
      return self._ArchiveJobsUnlocked([job]) == 1

  def AutoArchiveJobs(self, age, timeout):
    """Archive finalized jobs older than ``age`` seconds.

    A job's age counts from its end (else start, else receive) time;
    ``age == -1`` archives every finalized job. Jobs are examined in id
    order until ``timeout`` seconds have passed.

    @return: (number archived, number of jobs not examined)

    """
    _CheckNumber(age, "Archive age")
    _CheckNumber(timeout, "Archive timeout")
    end_time = time.time() + timeout
    with self._lock:
      all_ids = sorted(self._jobs)
    archived = 0
    examined = 0
    pending = []
    for job_id in all_ids:
      if time.time() > end_time:
        break
      examined += 1
      with self._lock:
        job = self._jobs.get(job_id)
        if job is None or not job.IsFinalized():
          continue
        ref = (job.end_timestamp or job.start_timestamp or
               job.received_timestamp)
        if age == -1 or ref is None or time.time() - ref[0] > age:
          pending.append(job)
        if len(pending) >= _ARCHIVE_BATCH:
          archived += self._ArchiveJobsUnlocked(pending)
          pending = []
    if pending:
      with self._lock:
        archived += self._ArchiveJobsUnlocked(pending)
    logging.info("Auto-archive: %d jobs archived, %d not examined", archived,
                 len(all_ids) - examined)
    return (archived, len(all_ids) - examined)

  @staticmethod
  def SetDrainFlag(drain_flag):
    """Set or clear the drain flag (refuse new jobs); returns True."""
    return jstore.SetDrainFlag(drain_flag)

  # Shutdown

  def PrepareShutdown(self):
    """Stop accepting and starting jobs.

    @return: whether jobs are still running (call again until False)

    """
    with self._lock:
      if self._accepting_jobs:
        self._accepting_jobs = False
        self._wpool.SetActive(False)
    return self._wpool.HasRunningTasks()

  def Shutdown(self):
    """Stop the workers (after their current turn) and unlock the queue."""
    with self._lock:
      self._accepting_jobs = False
    self._wpool.SetActive(False)
    self._wpool.TerminateWorkers()
    if self._watcher is not None:
      self._watcher.Close()
    self._queue_filelock.Close()

  # Bugs

  def _FailJobOnBug(self, job, err):
    """Finish a job whose processing raised unexpectedly."""
    try:
      with self._lock:
        if job.IsFinalized() or not self._IsManagedUnlocked(job):
          return
        job.cur_opctx = None
        job.MarkUnfinishedOps(constants.OP_STATUS_ERROR, EncodeOpError(err))
        job.Finalize()
        # the file is written when the lock is released
        self._UpdateJobUnlocked(job)
    except Exception:  # pylint: disable=W0703
      logging.exception("Job %s: cannot record the failure", job.id)
