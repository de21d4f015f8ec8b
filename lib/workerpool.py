"""Priority worker pool: a fixed set of threads running queued tasks.

Layer 5 (master side).  The job queue hands every job to this pool, and
other master code may use it for blocking work.  Tasks wait in a heap
ordered by (priority, arrival): a lower priority number runs first, and
among equal priorities the older task runs first.  A queued task's
priority can be changed (it keeps its place in arrival order), and a
running task can put itself back in the queue by raising DeferTask (it
then counts as a new arrival).  The pool can be paused (SetActive),
resized, drained (Quiesce) and stopped (TerminateWorkers).

A task is a sequence of arguments for the worker class's RunTask method;
what a task means is up to the caller.  This module must not know about
jobs, opcodes or locks, and must not import anything above the base layer.
"""

import heapq
import itertools
import logging
import threading
import time
from typing import Any, Dict, Hashable, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors


class DeferTask(Exception):
  """Raised by a running task to go back into the queue.

  The task is queued again as a new arrival with the same arguments and
  task id, at ``priority`` if given, otherwise at the priority it ran with.
  """

  def __init__(self, priority: Optional[int] = None):
    super().__init__(priority)
    if priority is not None:
      _CheckPriority(priority, "deferred task priority")
    self.priority = priority


def _CheckPriority(priority: Any, what: str) -> None:
  # bool is an int subclass, but True as a priority is always a mistake
  if not isinstance(priority, int) or isinstance(priority, bool):
    raise errors.ProgrammerError("%s must be an integer, not %r" %
                                 (what, priority))


def _CheckTaskId(task_id: Any) -> None:
  if task_id is None:
    return
  try:
    hash(task_id)
  except TypeError:
    raise errors.ProgrammerError("Task id must be hashable, not %r" %
                                 (task_id, ))


def _CheckArgs(args: Any) -> Tuple:
  if not isinstance(args, (tuple, list)):
    raise errors.ProgrammerError("Task arguments must be a tuple or list,"
                                 " not %r" % (args, ))
  return tuple(args)


def _CheckWorkerCount(num_workers: Any) -> None:
  if (not isinstance(num_workers, int) or isinstance(num_workers, bool) or
      num_workers < 0):
    raise errors.ProgrammerError("Number of workers must be a non-negative"
                                 " integer, not %r" % (num_workers, ))


class _Task:
  """One queued or running task.

  ``entry`` is the heap item currently standing for the task; heap items
  left behind by a priority change are recognised as stale because they
  are no longer the task's entry, and are skipped when popped.
  """

  __slots__ = ["priority", "seq", "task_id", "args", "entry"]

  def __init__(self, priority: int, seq: int, task_id: Optional[Hashable],
               args: Tuple):
    self.priority = priority
    self.seq = seq
    self.task_id = task_id
    self.args = args
    self.entry: Optional[Tuple[int, int, int, "_Task"]] = None


class BaseWorker(threading.Thread):
  """A pool thread; subclasses implement RunTask(self, *args).

  The thread is a daemon thread named "<pool name><worker id>"; while a task
  runs, SetTaskName appends "/<task name>" to it so thread dumps and log
  lines show what each worker is busy with.
  """

  def __init__(self, pool: "WorkerPool", worker_id: Any):
    self._base_name = "%s%s" % (pool.name, worker_id)
    super().__init__(name=self._base_name, daemon=True)
    self.pool = pool
    self.worker_id = worker_id
    # Both guarded by the pool's lock
    self._current_task: Optional[_Task] = None
    self._terminate = False

  def ShouldTerminate(self) -> bool:
    """Whether the pool asked this worker to stop after its current task."""
    with self.pool._lock:
      return self._terminate

  def _RequireTask(self, what: str) -> _Task:
    task = self._current_task
    if task is None:
      raise errors.ProgrammerError("%s called on worker %s while it runs no"
                                   " task" % (what, self._base_name))
    return task

  def GetCurrentPriority(self) -> int:
    """Priority of the task being run; only valid while a task runs."""
    return self._RequireTask("GetCurrentPriority").priority

  def SetTaskName(self, taskname: str) -> None:
    """Name the running task in the thread's name, until the task ends."""
    self._RequireTask("SetTaskName")
    if not isinstance(taskname, str) or not taskname:
      raise errors.ProgrammerError("Task name must be a non-empty string,"
                                   " not %r" % (taskname, ))
    self.name = "%s/%s" % (self._base_name, taskname)

  def RunTask(self, *args) -> None:
    """Run one task; the arguments are those given to AddTask."""
    raise errors.ProgrammerError("Worker class %s does not override RunTask" %
                                 self.__class__.__name__)

  def run(self) -> None:
    pool = self.pool
    try:
      while True:
        with pool._lock:
          task = pool._WaitForTaskUnlocked(self)
          if task is None:
            return
          self._current_task = task

        requeue_priority = None
        try:
          logging.debug("Worker %s starting task %r (priority %s)",
                        self._base_name, task.args, task.priority)
          self.RunTask(*task.args)
          logging.debug("Worker %s finished task %r", self._base_name,
                        task.args)
        except DeferTask as err:
          requeue_priority = (task.priority if err.priority is None
                              else err.priority)
          logging.debug("Worker %s defers task %r to priority %s",
                        self._base_name, task.args, requeue_priority)
        except BaseException:  # pylint: disable=W0703
          # The worker is a process boundary: a failing task must not take
          # the thread (and with it the pool's capacity) down; even
          # SystemExit only ends a thread, so it is a task bug like any other.
          logging.exception("Unhandled exception in task %r on worker %s",
                            task.args, self._base_name)
        finally:
          with pool._lock:
            if requeue_priority is not None:
              pool._AddTaskUnlocked(task.args, requeue_priority,
                                    task.task_id)
            self._current_task = None
            self.name = self._base_name
            pool._worker_to_pool.notify_all()
    finally:
      with pool._lock:
        pool._WorkerExitedUnlocked(self)


class WorkerPool:
  """A named pool of ``worker_class`` threads sharing one priority queue."""

  def __init__(self, name: str, num_workers: int, worker_class: type):
    if not isinstance(name, str):
      raise errors.ProgrammerError("Worker pool name must be a string, not %r"
                                   % (name, ))
    if not (isinstance(worker_class, type) and
            issubclass(worker_class, BaseWorker)):
      raise errors.ProgrammerError("Worker class must be a subclass of"
                                   " BaseWorker, not %r" % (worker_class, ))
    _CheckWorkerCount(num_workers)

    self.name = name
    self._worker_class = worker_class

    # One lock for all state; the conditions tell workers about new tasks
    # (or termination) and tell waiting callers about finished tasks.
    self._lock = threading.Lock()
    self._pool_to_worker = threading.Condition(self._lock)
    self._worker_to_pool = threading.Condition(self._lock)

    self._active = True
    self._terminated = False
    self._last_worker_id = 0
    self._workers: List[BaseWorker] = []
    # Workers asked to stop but possibly still running their last task
    self._termworkers: List[BaseWorker] = []

    self._seq = itertools.count()
    self._pushes = itertools.count()
    self._heap: List[Tuple[int, int, int, _Task]] = []
    self._num_queued = 0
    # task id -> queued tasks with that id (a dict keeps arrival order)
    self._by_id: Dict[Hashable, Dict[_Task, None]] = {}

    with self._lock:
      self._ResizeUnlocked(num_workers)

  def __repr__(self) -> str:
    return ("<%s %r workers=%d queued=%d active=%s>" %
            (self.__class__.__name__, self.name, len(self._workers),
             self._num_queued, self._active))

  # Queue handling (all with the lock held)

  def _CheckUsableUnlocked(self) -> None:
    if self._terminated:
      raise errors.ProgrammerError("Worker pool %s has been terminated" %
                                   self.name)

  def _PushUnlocked(self, task: _Task) -> None:
    # The push counter breaks ties between a task's stale and live items
    # (a priority changed and then changed back), so tasks never compare
    task.entry = (task.priority, task.seq, next(self._pushes), task)
    heapq.heappush(self._heap, task.entry)

  def _AddTaskUnlocked(self, args: Tuple, priority: int,
                       task_id: Optional[Hashable]) -> None:
    task = _Task(priority, next(self._seq), task_id, args)
    self._PushUnlocked(task)
    self._num_queued += 1
    if task_id is not None:
      self._by_id.setdefault(task_id, {})[task] = None
    # one task needs one worker: waking them all would have every idle
    # thread race for the lock only to go back to sleep
    self._pool_to_worker.notify()

  def _PopTaskUnlocked(self) -> Optional[_Task]:
    while self._heap:
      entry = heapq.heappop(self._heap)
      task = entry[3]
      if task.entry is not entry:
        continue  # superseded by a priority change
      task.entry = None
      self._num_queued -= 1
      if task.task_id is not None:
        same_id = self._by_id[task.task_id]
        del same_id[task]
        if not same_id:
          del self._by_id[task.task_id]
      return task
    return None

  def _CompactUnlocked(self) -> None:
    # Priority changes leave stale heap items behind; rebuild the heap once
    # they outnumber the live ones so memory stays proportional to the queue.
    if len(self._heap) > 2 * self._num_queued + 16:
      self._heap = [entry for entry in self._heap if entry[3].entry is entry]
      heapq.heapify(self._heap)

  def _WaitForTaskUnlocked(self, worker: BaseWorker) -> Optional[_Task]:
    """Block until there is a task for ``worker``; None tells it to exit."""
    while True:
      if worker._terminate:
        if self._active and self._num_queued:
          # the wake-up this worker took may have been meant for a task
          self._pool_to_worker.notify()
        return None
      if self._active:
        task = self._PopTaskUnlocked()
        if task is not None:
          return task
      self._pool_to_worker.wait()

  def _HasRunningTasksUnlocked(self) -> bool:
    return any(worker._current_task is not None
               for worker in self._workers + self._termworkers)

  # Worker handling (all with the lock held)

  def _WorkerExitedUnlocked(self, worker: BaseWorker) -> None:
    if worker in self._workers:
      # Only reached if the pool's own bookkeeping failed in this thread;
      # the worker no longer serves the queue, so stop counting it
      logging.error("Worker %s of pool %s exited unexpectedly",
                    worker.name, self.name)
      self._workers.remove(worker)
    if worker in self._termworkers:
      self._termworkers.remove(worker)
    self._worker_to_pool.notify_all()

  def _ResizeUnlocked(self, num_workers: int) -> List[BaseWorker]:
    """Start or stop workers; returns the workers told to stop."""
    current = len(self._workers)
    if num_workers > current:
      for _ in range(num_workers - current):
        self._last_worker_id += 1
        worker = self._worker_class(self, self._last_worker_id)
        self._workers.append(worker)
        worker.start()
      return []
    if num_workers == current:
      return []
    # Idle workers go first, newest first, so that shrinking interrupts
    # as little as possible and returns as soon as it can
    order = sorted(self._workers,
                   key=lambda w: (w._current_task is None, w.worker_id),
                   reverse=True)
    stopping = order[:current - num_workers]
    for worker in stopping:
      worker._terminate = True
      self._workers.remove(worker)
      self._termworkers.append(worker)
    self._pool_to_worker.notify_all()
    return stopping

  def _CheckNotWorker(self, what: str) -> None:
    current = threading.current_thread()
    if isinstance(current, BaseWorker) and current.pool is self:
      raise errors.ProgrammerError("%s of pool %s called from its own worker"
                                   " %s would wait for itself" %
                                   (what, self.name, current.name))

  # Public interface

  def AddTask(self, args: Sequence, priority: int = constants.OP_PRIO_DEFAULT,
              task_id: Optional[Hashable] = None) -> None:
    """Queue one task: ``args`` go to the worker's RunTask.

    Lower priority numbers run first; ``task_id`` (any hashable, several
    tasks may share one) lets ChangeTaskPriority find the task later.
    """
    args = _CheckArgs(args)
    _CheckPriority(priority, "Task priority")
    _CheckTaskId(task_id)
    with self._lock:
      self._CheckUsableUnlocked()
      self._AddTaskUnlocked(args, priority, task_id)

  def AddManyTasks(self, tasks: Sequence[Sequence],
                   priority: Any = constants.OP_PRIO_DEFAULT,
                   task_id: Optional[Sequence[Optional[Hashable]]] = None
                   ) -> None:
    """Queue several tasks at once, in the given order.

    ``priority`` is one integer for all tasks or a list with one per task;
    ``task_id`` is None or a list with one id (or None) per task.  Nothing
    is queued if any item is invalid.
    """
    if not isinstance(tasks, (tuple, list)):
      raise errors.ProgrammerError("Tasks must be given as a list, not %r" %
                                   (tasks, ))
    all_args = [_CheckArgs(args) for args in tasks]

    if isinstance(priority, (tuple, list)):
      if len(priority) != len(all_args):
        raise errors.ProgrammerError("Got %d priorities for %d tasks" %
                                     (len(priority), len(all_args)))
      priorities = list(priority)
    else:
      priorities = [priority] * len(all_args)
    for prio in priorities:
      _CheckPriority(prio, "Task priority")

    if task_id is None:
      task_ids = [None] * len(all_args)
    elif isinstance(task_id, (tuple, list)):
      if len(task_id) != len(all_args):
        raise errors.ProgrammerError("Got %d task ids for %d tasks" %
                                     (len(task_id), len(all_args)))
      task_ids = list(task_id)
    else:
      raise errors.ProgrammerError("Task ids for AddManyTasks must be None"
                                   " or a list, not %r" % (task_id, ))
    for tid in task_ids:
      _CheckTaskId(tid)

    with self._lock:
      self._CheckUsableUnlocked()
      for args, prio, tid in zip(all_args, priorities, task_ids):
        self._AddTaskUnlocked(args, prio, tid)

  def ChangeTaskPriority(self, task_id: Hashable, priority: int) -> bool:
    """Give every queued task with ``task_id`` a new priority.

    The tasks keep their place among tasks of the same priority.  Returns
    False if no queued task has this id (running tasks are not affected).
    """
    _CheckPriority(priority, "Task priority")
    if task_id is None:
      raise errors.ProgrammerError("Task id to change priority of must not"
                                   " be None")
    _CheckTaskId(task_id)
    with self._lock:
      tasks = self._by_id.get(task_id)
      if not tasks:
        return False
      for task in tasks:
        if task.priority != priority:
          task.priority = priority
          self._PushUnlocked(task)
      self._CompactUnlocked()
      self._pool_to_worker.notify_all()
      return True

  def SetActive(self, active: bool) -> None:
    """Pause (False) or resume (True) handing out queued tasks.

    Running tasks are not interrupted, and tasks can be added while paused.
    """
    if not isinstance(active, bool):
      raise errors.ProgrammerError("SetActive needs a boolean, not %r" %
                                   (active, ))
    with self._lock:
      self._active = active
      if active:
        self._pool_to_worker.notify_all()

  def HasRunningTasks(self) -> bool:
    """Whether any worker is running a task right now."""
    with self._lock:
      return self._HasRunningTasksUnlocked()

  def Quiesce(self, timeout: Optional[float] = None) -> bool:
    """Wait until no task is queued or running.

    A paused pool with queued tasks is only idle once re-activated (or
    after a resize from zero workers), so callers doing that may pass a
    ``timeout`` in seconds.  Returns True when idle, False on timeout.
    """
    self._CheckNotWorker("Quiesce")
    deadline = None if timeout is None else time.monotonic() + timeout
    with self._lock:
      while self._num_queued or self._HasRunningTasksUnlocked():
        if deadline is None:
          self._worker_to_pool.wait()
        else:
          remaining = deadline - time.monotonic()
          if remaining <= 0:
            return False
          self._worker_to_pool.wait(remaining)
      return True

  def Resize(self, num_workers: int) -> None:
    """Grow or shrink the pool to ``num_workers`` threads.

    Workers removed by shrinking finish their running task first; Resize
    returns once they have exited (except the calling worker itself, when
    a task shrinks its own pool).  Queued tasks stay queued.
    """
    _CheckWorkerCount(num_workers)
    with self._lock:
      self._CheckUsableUnlocked()
      stopping = self._ResizeUnlocked(num_workers)
    current = threading.current_thread()
    for worker in stopping:
      if worker is not current:
        worker.join()

  def TerminateWorkers(self) -> None:
    """Stop every worker, waiting for running tasks to finish.

    Tasks still queued are never run.  The pool cannot be used afterwards.
    """
    self._CheckNotWorker("TerminateWorkers")
    logging.debug("Terminating workers of pool %s", self.name)
    with self._lock:
      if self._terminated:
        return
      self._ResizeUnlocked(0)
      stopping = list(self._termworkers)
    for worker in stopping:
      worker.join()
    with self._lock:
      self._terminated = True
      if self._num_queued:
        logging.info("Pool %s terminated with %d tasks never run",
                     self.name, self._num_queued)
    logging.debug("All workers of pool %s terminated", self.name)

  def GetWorkerInfo(self) -> List[Tuple[str, Optional[int]]]:
    """(thread name, priority of its task or None) for every worker.

    Meant for debugging; workers being stopped are included.
    """
    with self._lock:
      workers = sorted(self._workers + self._termworkers,
                       key=lambda w: w.worker_id)
      return [(worker.name, None if worker._current_task is None
               else worker._current_task.priority)
              for worker in workers]
