"""Running jobs: one opcode per worker turn, dependencies, change waiting.

Layer 5 (master side), part of jqueue. `_JobProcessor` advances a job by
one opcode (or one failed lock attempt) and tells the worker whether the
job is finished, goes back into the pool, or waits for other jobs; the
`_OpExecCallbacks` are mcpu's link back into the job; `_JobDependencyManager`
parks jobs whose opcodes depend on unfinished jobs; `JobFileWatcher`
blocks WaitForJobChanges callers until a job file changes (inotify).

All job state is changed under the queue's lock (``queue._lock``) through
the queue's ``_UpdateJobUnlocked``; the opcode itself runs without it.
Lock order: dependency manager lock, then queue lock; never the reverse.
This module must not parse LUXI requests nor touch cluster locks itself.
"""

import logging
import os
import struct
import threading
import time
import warnings

with warnings.catch_warnings():
  # pyinotify imports asyncore, deprecated in Python 3.11; it only uses it
  # for its asyncore notifier, which we do not
  warnings.simplefilter("ignore", DeprecationWarning)
  import pyinotify

from ganeti import constants
from ganeti import errors
from ganeti import mcpu
from ganeti import serializer
from ganeti.jqueue_job import (CANCEL_RESULT, PRECEDING_FAILED_MSG,
                               EncodeOpError, IsSerializable, TimeStampNow)


class CancelJob(Exception):
  """Raised inside mcpu's callbacks when the job was canceled meanwhile."""


class _OpExecCallbacks(mcpu.OpExecCbBase):
  """What mcpu may do to the job of the opcode it executes."""

  def __init__(self, queue, job, op):
    super().__init__()
    self._queue = queue
    self._job = job
    self._op = op

  def _CheckCancelUnlocked(self):
    if self._op.status == constants.OP_STATUS_CANCELING:
      logging.debug("Job %s: canceling opcode", self._job.id)
      raise CancelJob()

  def NotifyStart(self):
    """All locks are held: the opcode changes from waiting to running.

    @raise CancelJob: the job was canceled while waiting for its locks

    """
    queue = self._queue
    with queue._lock:
      self._CheckCancelUnlocked()
      if self._op.status != constants.OP_STATUS_WAITING:
        raise errors.ProgrammerError("Job %s: NotifyStart for an opcode in"
                                     " status %s" % (self._job.id,
                                                     self._op.status))
      self._op.status = constants.OP_STATUS_RUNNING
      self._op.exec_timestamp = TimeStampNow()
      queue._UpdateJobUnlocked(self._job)

  def Feedback(self, *args):
    """Append a log entry: ``(message)`` or ``(log type, message)``.

    Log entries are written to the job file but not replicated (they would
    cost one RPC round per message).

    """
    if len(args) == 1:
      (log_type, message) = (constants.ELOG_MESSAGE, args[0])
    elif len(args) == 2:
      (log_type, message) = args
    else:
      raise errors.ProgrammerError("Feedback takes (message) or (type,"
                                   " message), got %d arguments" % len(args))
    queue = self._queue
    with queue._lock:
      self._job.AddLogEntry(self._op, log_type, message)
      queue._UpdateJobUnlocked(self._job, replicate=False)

  def CheckCancel(self):
    """@raise CancelJob: the job was canceled"""
    with self._queue._lock:
      self._CheckCancelUnlocked()

  def CurrentPriority(self):
    """The opcode's current (possibly raised) priority."""
    return self._op.priority

  def SubmitManyJobs(self, jobs):
    """Submit jobs on behalf of the running opcode (see JobQueue)."""
    return self._queue.SubmitManyJobs(jobs)


class _OpExecContext:
  """State of one opcode across worker turns: lock timeouts, dependencies.

  The lock timeout strategy hands out growing timeouts; when it is used up
  the opcode's priority rises one step (towards OP_PRIO_HIGHEST) and a new
  strategy starts. At the highest priority an exhausted strategy means a
  blocking acquire (timeout None).

  """
  def __init__(self, op, index, log_prefix, timeout_strategy_factory):
    self.op = op
    self.index = index
    self.log_prefix = log_prefix
    self.jobdeps = [list(dep) for dep in
                    (getattr(op.input, "depends", None) or [])]
    self._strategy_factory = timeout_strategy_factory
    self._strategy = timeout_strategy_factory()
    self._timeout = self._strategy.NextAttempt()
    #: whether the job file shows the opcode as waiting (see __call__)
    self.waiting_written = False

  def GetNextLockTimeout(self):
    """Seconds for the next lock attempt, or None for a blocking one."""
    return self._timeout

  def CheckPriorityIncrease(self):
    """Advance after a lock timeout, raising the priority if due.

    @return: whether the opcode's priority changed

    """
    self._timeout = self._strategy.NextAttempt()
    op = self.op
    if self._timeout is None and op.priority > constants.OP_PRIO_HIGHEST:
      op.priority -= 1
      logging.debug("%s: raising priority to %s", self.log_prefix,
                    op.priority)
      self._strategy = self._strategy_factory()
      self._timeout = self._strategy.NextAttempt()
      return True
    return False


class _JobProcessor:
  """Advances a job by one step; returns FINISHED, DEFER or WAITDEP."""
  (FINISHED, DEFER, WAITDEP) = range(1, 4)

  def __init__(self, queue, opexec_fn, job, timeout_strategy_factory):
    self.queue = queue
    self.opexec_fn = opexec_fn
    self.job = job
    self._timeout_strategy_factory = timeout_strategy_factory

  def _FindNextOpcodeUnlocked(self):
    job = self.job
    if job.cur_opctx is not None:
      return job.cur_opctx
    for (idx, op) in enumerate(job.ops):
      if op.status not in constants.OPS_FINALIZED:
        prefix = "Job %s/opcode %s (%s)" % (job.id, idx, op.input.OP_ID)
        job.cur_opctx = _OpExecContext(op, idx, prefix,
                                       self._timeout_strategy_factory)
        return job.cur_opctx
    raise errors.ProgrammerError("Job %s has no unfinished opcode" % job.id)

  def __call__(self):
    queue = self.queue
    job = self.job
    with queue._lock:
      if job.IsFinalized() or not queue._IsManagedUnlocked(job):
        # canceled while queued, or archived: nothing left to do
        return self.FINISHED
      opctx = self._FindNextOpcodeUnlocked()
      op = opctx.op
      if op.status == constants.OP_STATUS_CANCELING:
        return self._FinishUnlocked(opctx, constants.OP_STATUS_CANCELING,
                                    None)
      if op.status == constants.OP_STATUS_QUEUED:
        op.status = constants.OP_STATUS_WAITING
        op.start_timestamp = TimeStampNow()
        if job.start_timestamp is None:
          job.start_timestamp = op.start_timestamp
        # Most opcodes get their locks at once and are running a moment
        # later, so the waiting state is not written here (and, as clients
        # are woken by file changes, not announced): the file shows it once
        # a lock attempt timed out.  A master restart treats a queued and a
        # waiting job alike, and the running state is always on disk before
        # the opcode executes.
      elif op.status != constants.OP_STATUS_WAITING:
        raise errors.ProgrammerError("%s: cannot start an opcode in status"
                                     " %s" % (opctx.log_prefix, op.status))

    depresult = self._CheckDependencies(opctx)
    if depresult is not None:
      return depresult

    (status, result) = self._ExecOpCodeUnlocked(opctx)
    with queue._lock:
      return self._FinishUnlocked(opctx, status, result)

  def _CheckDependencies(self, opctx):
    """Work through the opcode's dependencies.

    @return: None to go on executing, or the processor's result

    """
    depmgr = self.queue.depmgr
    while opctx.jobdeps:
      (dep_id, dep_status) = opctx.jobdeps[0]
      (result, msg) = depmgr.CheckAndRegister(self.job, dep_id, dep_status)
      logging.debug("%s: %s", opctx.log_prefix, msg)
      if result == depmgr.WAIT:
        return self.WAITDEP
      if result == depmgr.CONTINUE:
        opctx.jobdeps.pop(0)
        continue
      with self.queue._lock:
        if result == depmgr.CANCEL:
          return self._FinishUnlocked(opctx, constants.OP_STATUS_CANCELING,
                                      None)
        return self._FinishUnlocked(opctx, constants.OP_STATUS_ERROR,
                                    EncodeOpError(errors.OpExecError(msg)))
    return None

  def _ExecOpCodeUnlocked(self, opctx):
    """Run the opcode through mcpu, without the queue lock.

    @return: (opcode status, result)

    """
    op = opctx.op
    timeout = opctx.GetNextLockTimeout()
    cbs = _OpExecCallbacks(self.queue, self.job, op)
    try:
      result = self.opexec_fn(op.input, cbs, timeout=timeout,
                              priority=op.priority)
    except mcpu.LockAcquireTimeout:
      if timeout is None:
        raise errors.ProgrammerError("%s: lock timeout although no timeout"
                                     " was given" % opctx.log_prefix)
      logging.debug("%s: locks not acquired within %s seconds",
                    opctx.log_prefix, timeout)
      return (constants.OP_STATUS_WAITING, None)
    except CancelJob:
      return (constants.OP_STATUS_CANCELING, None)
    except errors.GenericError as err:
      logging.info("%s failed: %s", opctx.log_prefix, errors.FormatError(err))
      return (constants.OP_STATUS_ERROR, EncodeOpError(err))
    except Exception as err:  # pylint: disable=W0703
      # the job is a boundary: any failure of the opcode ends in its result
      logging.exception("%s: unexpected error", opctx.log_prefix)
      return (constants.OP_STATUS_ERROR, EncodeOpError(err))
    if not IsSerializable(result):
      err = errors.OpResultError("Result of %s cannot be stored as JSON: %r"
                                 % (opctx.log_prefix, result))
      return (constants.OP_STATUS_ERROR, EncodeOpError(err))
    # tuples and the like become what a reader of the job file gets
    return (constants.OP_STATUS_SUCCESS,
            serializer.LoadJson(serializer.DumpJson(result)))

  def _FinishUnlocked(self, opctx, status, result):
    """Record the outcome of a step; the queue lock must be held."""
    queue = self.queue
    job = self.job
    op = opctx.op

    if status == constants.OP_STATUS_WAITING:
      if op.status == constants.OP_STATUS_CANCELING:
        status = constants.OP_STATUS_CANCELING
      else:
        if opctx.CheckPriorityIncrease() or not opctx.waiting_written:
          queue._UpdateJobUnlocked(job)
          opctx.waiting_written = True
        job.cur_opctx = opctx
        return self.DEFER

    op.end_timestamp = TimeStampNow()
    job.cur_opctx = None
    if status == constants.OP_STATUS_SUCCESS:
      op.status = status
      op.result = result
      finalize = (opctx.index == len(job.ops) - 1)
    elif status == constants.OP_STATUS_ERROR:
      op.status = status
      op.result = result
      job.MarkUnfinishedOps(constants.OP_STATUS_ERROR,
                            EncodeOpError(errors.OpExecError(
                              PRECEDING_FAILED_MSG)))
      finalize = True
    elif status == constants.OP_STATUS_CANCELING:
      job.MarkUnfinishedOps(constants.OP_STATUS_CANCELED, CANCEL_RESULT)
      finalize = True
    else:
      raise errors.ProgrammerError("%s: unknown outcome status %r"
                                   % (opctx.log_prefix, status))
    if finalize:
      job.Finalize()
      logging.info("Finished job %s, status = %s", job.id, job.CalcStatus())
    queue._UpdateJobUnlocked(job)
    if finalize:
      return self.FINISHED
    return self.DEFER


class _JobDependencyManager:
  """Jobs waiting for other jobs to finish.

  ``getstatus_fn(job_id)`` gives a job's status (None if it does not
  exist, archived jobs included); ``enqueue_fn(jobs)`` puts jobs back into
  the worker pool. Both are called without this manager's lock held by the
  caller; getstatus_fn is called with it held (it takes the queue lock).

  """
  (WAIT, ERROR, CANCEL, CONTINUE, WRONGSTATUS) = range(1, 6)

  def __init__(self, getstatus_fn, enqueue_fn):
    self._getstatus_fn = getstatus_fn
    self._enqueue_fn = enqueue_fn
    self._lock = threading.Lock()
    # dependency job id -> set of jobs waiting for it
    self._waiters = {}

  def JobWaiting(self, job):
    """Whether a job is parked here."""
    with self._lock:
      return any(job in jobs for jobs in self._waiters.values())

  def GetWaitingJobIds(self):
    """{dependency job id: sorted ids of the jobs waiting for it}."""
    with self._lock:
      return dict((dep_id, sorted(job.id for job in jobs))
                  for (dep_id, jobs) in self._waiters.items() if jobs)

  def CheckAndRegister(self, job, dep_job_id, dep_status):
    """Check one dependency of a job, parking the job if it must wait.

    @param dep_job_id: the job depended upon (int)
    @param dep_status: acceptable final statuses (empty: any)
    @return: (one of WAIT/ERROR/CANCEL/CONTINUE/WRONGSTATUS, message)

    """
    dep_job_id = int(dep_job_id)
    if dep_job_id == job.id:
      return (self.ERROR, "Job can't depend on itself")
    with self._lock:
      if self._getstatus_fn(job.id) == constants.JOB_STATUS_CANCELING:
        return (self.CANCEL, "Job %s was canceled while waiting for job %s"
                % (job.id, dep_job_id))
      status = self._getstatus_fn(dep_job_id)
      if status is None:
        return (self.ERROR, "Dependency job %s not found" % dep_job_id)
      if status not in constants.JOBS_FINALIZED:
        self._waiters.setdefault(dep_job_id, set()).add(job)
        return (self.WAIT, "Need to wait for job %s, wanted status '%s'"
                % (dep_job_id, ",".join(dep_status)))
    if (status == constants.JOB_STATUS_CANCELED and
        constants.JOB_STATUS_CANCELED not in dep_status):
      return (self.CANCEL, "Dependency job %s was cancelled" % dep_job_id)
    if not dep_status or status in dep_status:
      return (self.CONTINUE, "Dependency job %s finished with status '%s'"
              % (dep_job_id, status))
    return (self.WRONGSTATUS,
            "Dependency job %s finished with status '%s', not one of '%s' as"
            " required" % (dep_job_id, status, ",".join(dep_status)))

  def NotifyWaiters(self, job_id):
    """A job finished: put the jobs waiting for it back into the pool."""
    with self._lock:
      jobs = self._waiters.pop(job_id, None)
    if jobs:
      logging.debug("Re-adding %d jobs that waited for job %s", len(jobs),
                    job_id)
      self._enqueue_fn(sorted(jobs, key=lambda job: job.id))

  def ReleaseJob(self, job):
    """Stop parking a job (it was canceled); re-enqueue it if it was here.

    @return: whether the job was waiting here

    """
    found = False
    with self._lock:
      for (dep_id, jobs) in list(self._waiters.items()):
        if job in jobs:
          found = True
          jobs.discard(job)
          if not jobs:
            del self._waiters[dep_id]
    if found:
      self._enqueue_fn([job])
    return found


#: inotify events in the queue directory that may mean a job file changed:
#: atomic writes rename into place, other writers close the file.  Renames
#: away (IN_MOVED_FROM) are left out on purpose: pyinotify keeps a record of
#: every such move for a minute and scans them all on each event, which
#: grows with the job rate; the queue wakes waiters itself when archiving.
_WATCH_MASK = (pyinotify.IN_MOVED_TO | pyinotify.IN_CLOSE_WRITE |
               pyinotify.IN_DELETE)


#: struct inotify_event without its name: wd, mask, cookie, len
_INOTIFY_EVENT = struct.Struct("iIII")
#: bytes read from the inotify descriptor at once (many events)
_READ_SIZE = 64 * 1024


def ParseInotifyEvents(data):
  """The file names of the raw inotify events in ``data``.

  @return: the names in order, or None when the kernel's queue overflowed
      (events were lost: every waiter must look again)

  """
  names = []
  offset = 0
  size = _INOTIFY_EVENT.size
  while offset + size <= len(data):
    (_, mask, _, length) = _INOTIFY_EVENT.unpack_from(data, offset)
    offset += size
    if mask & pyinotify.IN_Q_OVERFLOW:
      return None
    name = data[offset:offset + length].rstrip(b"\0")
    offset += length
    if name:
      names.append(name.decode("utf-8", "replace"))
  return names


class JobFileWatcher:
  """One inotify watch on the queue directory, shared by all waiters.

  The directory is watched, not the files: job files are replaced by
  renames, which would end a watch on the file itself.  A thread reads the
  events and wakes the waiters registered for the file that changed, so a
  waiting client costs one threading.Event, not an inotify instance of its
  own (creating one is expensive: pyinotify looks up libc each time).

  """
  #: how often the reader thread looks at its stop flag (milliseconds)
  _POLL_MS = 200

  def __init__(self, directory):
    self._lock = threading.Lock()
    self._waiters = {}
    self._stopping = False
    self._wm = pyinotify.WatchManager()
    # only its check_events (a poll on the descriptor) is used
    self._notifier = pyinotify.Notifier(self._wm)
    try:
      self._wm.add_watch(directory, _WATCH_MASK, quiet=False)
    except pyinotify.WatchManagerError as err:
      self._notifier.stop()
      raise errors.InotifyError("Cannot watch %s for job file changes: %s"
                                % (directory, err))
    except BaseException:
      self._notifier.stop()
      raise
    self._thread = threading.Thread(target=self._Run, daemon=True,
                                    name="JobFileWatcher")
    self._thread.start()

  def _Run(self):
    notifier = self._notifier
    fd = self._wm.get_fd()
    try:
      while not self._stopping:
        if notifier.check_events(timeout=self._POLL_MS):
          # pyinotify keeps the watch; the events are read here: its own
          # reader builds several objects per event (and their repr), which
          # cost more than the rest of a no-op job
          names = ParseInotifyEvents(os.read(fd, _READ_SIZE))
          if names is None:
            self._WakeAll()
          else:
            for name in names:
              self.FileChanged(name)
    except Exception:  # pylint: disable=W0703
      logging.exception("Job file watcher failed; waiting clients fall back"
                        " to their timeouts")
    finally:
      self._stopping = True
      self._WakeAll()

  def _WakeAll(self):
    with self._lock:
      for events in self._waiters.values():
        for event in events:
          event.set()

  def FileChanged(self, basename):
    """Wake the waiters of one file (called by the reader thread)."""
    with self._lock:
      for event in self._waiters.get(basename, ()):
        event.set()

  def Watch(self, filename):
    """A waiter for one file; use it as a context manager."""
    if self._stopping:
      raise errors.InotifyError("Job file watcher is stopped")
    return _JobFileChangesWaiter(self, os.path.basename(filename))

  def _Register(self, basename, event):
    with self._lock:
      self._waiters.setdefault(basename, set()).add(event)

  def _Unregister(self, basename, event):
    with self._lock:
      events = self._waiters.get(basename)
      if events is not None:
        events.discard(event)
        if not events:
          del self._waiters[basename]

  def Close(self):
    """Stop the reader thread and drop the inotify instance."""
    if self._stopping and not self._thread.is_alive():
      return
    self._stopping = True
    self._thread.join()
    self._notifier.stop()


class _JobFileChangesWaiter:
  """Waits for changes of one job file, through a JobFileWatcher."""
  def __init__(self, watcher, basename):
    self._watcher = watcher
    self._basename = basename
    self._event = threading.Event()
    watcher._Register(basename, self._event)  # pylint: disable=W0212

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.Close()

  def Close(self):
    """Stop listening for this file."""
    self._watcher._Unregister(self._basename, self._event)  # pylint: disable=W0212

  def Wait(self, timeout):
    """Wait until the job file changed or ``timeout`` seconds passed.

    @return: whether the file changed

    """
    if self._event.wait(max(0.0, timeout)):
      self._event.clear()
      return True
    return False


class _PrivateWatch:
  """A watcher of its own for one wait (when no shared watcher is given)."""
  def __init__(self, filename):
    self._watcher = JobFileWatcher(os.path.dirname(filename))
    try:
      self._waiter = self._watcher.Watch(filename)
    except BaseException:
      self._watcher.Close()
      raise

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self._waiter.Close()
    self._watcher.Close()

  def Wait(self, timeout):
    return self._waiter.Wait(timeout)


class _PollingWaiter:
  """Fallback when inotify is unavailable: re-check every 0.1 seconds."""
  INTERVAL = 0.1

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    pass

  def Wait(self, timeout):
    """Sleep for the poll interval (at most ``timeout``); always True."""
    time.sleep(max(0.0, min(timeout, self.INTERVAL)))
    return True


def _MakeWaiter(filename, watcher=None):
  try:
    if watcher is not None:
      return watcher.Watch(filename)
    return _PrivateWatch(filename)
  except (errors.InotifyError, OSError) as err:
    logging.warning("No inotify for %s (%s); WaitForJobChanges falls back to"
                    " polling", filename, err)
    return _PollingWaiter()


def NormalizeJobInfo(job_info):
  """A job_info as the client sees it (after a JSON round trip)."""
  if job_info is None:
    return None
  return serializer.LoadJson(serializer.DumpJson(job_info))


def CheckForChanges(job, fields, prev_job_info, prev_log_serial):
  """The answer for a waiting client, or None if there is nothing new.

  @param prev_job_info: the client's job_info, already normalized

  """
  status = job.CalcStatus()
  job_info = NormalizeJobInfo(job.GetInfo(fields))
  log_entries = job.GetLogEntries(prev_log_serial)
  if (status not in (constants.JOB_STATUS_QUEUED,
                     constants.JOB_STATUS_WAITING,
                     constants.JOB_STATUS_RUNNING) or
      job_info != prev_job_info or log_entries):
    return [job_info, log_entries]
  return None


def WaitForJobChanges(filename, check_fn, timeout, watcher=None):
  """Wait until a job differs from what the client has seen.

  @param filename: the job file whose changes wake us up
  @param check_fn: returns the answer (see L{CheckForChanges}) or None
      when nothing changed; raises errors.JobLost if the job is gone
  @param watcher: the queue's JobFileWatcher (a private one is made
      for this call when None)
  @return: ``[job_info, log_entries]``, JOB_NOTCHANGED after ``timeout``
      seconds without change, or None if the job does not exist

  """
  deadline = time.monotonic() + timeout
  try:
    result = check_fn()
    if result is not None:
      return result
    with _MakeWaiter(filename, watcher) as waiter:
      # a change between the first check and the watch would be missed,
      # hence this second look
      while True:
        result = check_fn()
        if result is not None:
          return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
          return constants.JOB_NOTCHANGED
        waiter.Wait(remaining)
  except errors.JobLost:
    return None
