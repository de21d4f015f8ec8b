"""Tests for ganeti.workerpool: priority order, deferral, resize, shutdown."""

import heapq
import logging
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import workerpool


WAIT = 5.0  # seconds; every wait below polls against this deadline


def _WaitFor(fn, timeout=WAIT):
  deadline = time.monotonic() + timeout
  while not fn():
    if time.monotonic() > deadline:
      raise AssertionError("condition not reached within %s seconds" %
                           timeout)
    time.sleep(0.002)


class _CallWorker(workerpool.BaseWorker):
  """Runs tasks of the form (fn, *args) as fn(worker, *args)."""

  def RunTask(self, fn, *args):
    fn(self, *args)


class _Recorder:
  """Thread-safe log of what ran, usable as a task function."""

  def __init__(self):
    self.lock = threading.Lock()
    self.done = []

  def __call__(self, worker, value):
    with self.lock:
      self.done.append(value)

  def Snapshot(self):
    with self.lock:
      return list(self.done)


@pytest.fixture
def make_pool():
  pools = []

  def _Make(num_workers=1, name="TestPool", worker_class=_CallWorker):
    pool = workerpool.WorkerPool(name, num_workers, worker_class)
    pools.append(pool)
    return pool

  yield _Make
  for pool in pools:
    pool.TerminateWorkers()


def _RunPaused(pool, add_fn):
  """Queue tasks on a paused pool, then run them all."""
  pool.SetActive(False)
  add_fn()
  pool.SetActive(True)
  assert pool.Quiesce(timeout=WAIT)


# Construction and bad input


def test_workers_are_named_daemon_threads(make_pool):
  pool = make_pool(3, name="Jobs")
  names = [name for name, _ in pool.GetWorkerInfo()]
  assert names == ["Jobs1", "Jobs2", "Jobs3"]
  for thread in threading.enumerate():
    if isinstance(thread, workerpool.BaseWorker) and thread.pool is pool:
      assert thread.daemon
      assert thread.is_alive()


@pytest.mark.parametrize("name, num, cls, match", [
  (None, 1, _CallWorker, "name must be a string"),
  ("P", -1, _CallWorker, "non-negative integer"),
  ("P", True, _CallWorker, "non-negative integer"),
  ("P", "2", _CallWorker, "non-negative integer"),
  ("P", 1, threading.Thread, "subclass of BaseWorker"),
  ("P", 1, object, "subclass of BaseWorker"),
  ("P", 1, "_CallWorker", "subclass of BaseWorker"),
])
def test_constructor_rejects_bad_arguments(name, num, cls, match):
  with pytest.raises(errors.ProgrammerError, match=match):
    workerpool.WorkerPool(name, num, cls)


def test_pool_with_zero_workers_only_queues(make_pool):
  rec = _Recorder()
  pool = make_pool(0)
  pool.AddTask((rec, 1))
  assert pool.Quiesce(timeout=0.05) is False
  pool.Resize(1)
  assert pool.Quiesce(timeout=WAIT)
  assert rec.Snapshot() == [1]


@pytest.mark.parametrize("args, kwargs, match", [
  ("abc", {}, "tuple or list"),
  (None, {}, "tuple or list"),
  ((1, ), {"priority": "0"}, "priority must be an integer"),
  ((1, ), {"priority": 1.5}, "priority must be an integer"),
  ((1, ), {"priority": False}, "priority must be an integer"),
  ((1, ), {"task_id": []}, "hashable"),
])
def test_add_task_rejects_bad_input(make_pool, args, kwargs, match):
  pool = make_pool(0)
  with pytest.raises(errors.ProgrammerError, match=match):
    pool.AddTask(args, **kwargs)


@pytest.mark.parametrize("tasks, kwargs, match", [
  ("ab", {}, "must be given as a list"),
  ([(1, ), 2], {}, "tuple or list"),
  ([(1, ), (2, )], {"priority": [1]}, "2 tasks"),
  ([(1, ), (2, )], {"priority": [1, None]}, "priority must be an integer"),
  ([(1, ), (2, )], {"task_id": [1]}, "Got 1 task ids for 2 tasks"),
  ([(1, ), (2, )], {"task_id": 7}, "None or a list"),
  ([(1, ), (2, )], {"task_id": [1, {}]}, "hashable"),
])
def test_add_many_tasks_rejects_bad_input_atomically(make_pool, tasks,
                                                     kwargs, match):
  rec = _Recorder()
  pool = make_pool(1)
  with pytest.raises(errors.ProgrammerError, match=match):
    pool.AddManyTasks(tasks, **kwargs)
  # nothing from the rejected batch was queued
  pool.AddTask((rec, "after"))
  assert pool.Quiesce(timeout=WAIT)
  assert rec.Snapshot() == ["after"]


def test_other_methods_reject_bad_input(make_pool):
  pool = make_pool(0)
  with pytest.raises(errors.ProgrammerError, match="boolean"):
    pool.SetActive(1)
  with pytest.raises(errors.ProgrammerError, match="must not be None"):
    pool.ChangeTaskPriority(None, 0)
  with pytest.raises(errors.ProgrammerError, match="priority must be an"):
    pool.ChangeTaskPriority(1, "high")
  with pytest.raises(errors.ProgrammerError, match="hashable"):
    pool.ChangeTaskPriority([1], 0)
  with pytest.raises(errors.ProgrammerError, match="non-negative"):
    pool.Resize(-2)
  with pytest.raises(errors.ProgrammerError, match="deferred task priority"):
    workerpool.DeferTask(priority="later")


def test_worker_without_runtask_logs_and_survives(make_pool, caplog):
  pool = make_pool(1, worker_class=workerpool.BaseWorker)
  with caplog.at_level(logging.ERROR):
    pool.AddTask((1, ))
    assert pool.Quiesce(timeout=WAIT)
  assert "does not override RunTask" in caplog.text
  assert len(pool.GetWorkerInfo()) == 1


# Ordering and priorities


def test_tasks_run_by_priority_then_arrival(make_pool):
  rec = _Recorder()
  pool = make_pool(1)
  items = [("a", 5), ("b", 0), ("c", 5), ("d", -10), ("e", 0), ("f", 19)]

  def _Add():
    for value, prio in items:
      pool.AddTask((rec, value), priority=prio)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["d", "b", "e", "a", "c", "f"]


def test_default_priority_is_op_prio_default(make_pool):
  seen = []
  pool = make_pool(1)
  pool.AddTask((lambda w: seen.append(w.GetCurrentPriority()), ))
  assert pool.Quiesce(timeout=WAIT)
  assert seen == [constants.OP_PRIO_DEFAULT]


def test_add_many_tasks_with_lists_and_scalar(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    pool.AddManyTasks([(rec, "x"), (rec, "y"), (rec, "z")],
                      priority=[3, 1, 2], task_id=[10, None, 12])
    pool.AddManyTasks([[rec, "p"], [rec, "q"]], priority=2)
    pool.AddManyTasks([])

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["y", "z", "p", "q", "x"]


def test_change_priority_reorders_queued_tasks(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((rec, "a"), priority=0, task_id=1)
    pool.AddTask((rec, "b"), priority=0, task_id=2)
    pool.AddTask((rec, "c"), priority=5, task_id=3)
    assert pool.ChangeTaskPriority(3, -5)
    assert pool.ChangeTaskPriority(1, 1)
    assert not pool.ChangeTaskPriority(99, 0)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["c", "b", "a"]


def test_change_priority_keeps_arrival_order(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((rec, "late"), priority=5, task_id="late")
    pool.AddTask((rec, "early"), priority=0)
    pool.AddTask((rec, "new"), priority=0)
    # "late" arrived first, so at equal priority it goes before the others
    assert pool.ChangeTaskPriority("late", 0)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["late", "early", "new"]


def test_change_priority_back_and_forth(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((rec, "a"), priority=0, task_id="a")
    pool.AddTask((rec, "b"), priority=1)
    for prio in [3, 0, 3, 0, 2, 2]:
      assert pool.ChangeTaskPriority("a", prio)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["b", "a"]


def test_change_priority_affects_all_tasks_sharing_an_id(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((rec, "s1"), priority=5, task_id="shared")
    pool.AddTask((rec, "o"), priority=0)
    pool.AddTask((rec, "s2"), priority=7, task_id="shared")
    assert pool.ChangeTaskPriority("shared", -1)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["s1", "s2", "o"]


def test_change_priority_of_finished_task_is_false(make_pool):
  rec = _Recorder()
  pool = make_pool(1)
  pool.AddTask((rec, 1), task_id=7)
  assert pool.Quiesce(timeout=WAIT)
  assert not pool.ChangeTaskPriority(7, -20)


def test_many_priority_changes_keep_queue_consistent(make_pool):
  rec = _Recorder()
  pool = make_pool(1)

  def _Add():
    for i in range(20):
      pool.AddTask((rec, i), priority=0, task_id=i)
    for round_ in range(30):
      for i in range(20):
        pool.ChangeTaskPriority(i, (i * 7 + round_) % 11)

  _RunPaused(pool, _Add)
  # last round: priority (i * 7 + 29) % 11, ties by arrival (= i)
  expected = sorted(range(20), key=lambda i: ((i * 7 + 29) % 11, i))
  assert rec.Snapshot() == expected
  assert len(pool._heap) == 0  # pylint: disable=W0212


# Deferral


def _DeferOnce(worker, rec, value, new_prio, seen):
  if value not in seen:
    seen.add(value)
    rec(worker, "defer-" + value)
    raise workerpool.DeferTask(priority=new_prio)
  rec(worker, value)


def test_defer_without_priority_requeues_as_new_arrival(make_pool):
  rec = _Recorder()
  seen = set()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((_DeferOnce, rec, "d", None, seen), priority=0)
    pool.AddTask((rec, "x"), priority=0)
    pool.AddTask((rec, "y"), priority=1)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["defer-d", "x", "d", "y"]


def test_defer_with_new_priority(make_pool):
  rec = _Recorder()
  seen = set()
  pool = make_pool(1)

  def _Add():
    pool.AddTask((_DeferOnce, rec, "low", 10, seen), priority=0)
    pool.AddTask((_DeferOnce, rec, "high", -10, seen), priority=1)
    pool.AddTask((rec, "x"), priority=0)
    pool.AddTask((rec, "y"), priority=5)

  _RunPaused(pool, _Add)
  assert rec.Snapshot() == ["defer-low", "x", "defer-high", "high", "y",
                            "low"]


def test_deferred_task_keeps_its_id(make_pool):
  rec = _Recorder()
  seen = set()
  pool = make_pool(1)
  gate = threading.Event()
  changed = []

  def _Block(worker):
    assert gate.wait(WAIT)

  def _Change(worker):
    changed.append(pool.ChangeTaskPriority("job", -20))

  pool.AddTask((_Block, ), priority=-20)
  pool.AddTask((_DeferOnce, rec, "job", 5, seen), priority=-5, task_id="job")
  pool.AddTask((_Change, ), priority=0)
  pool.AddTask((rec, "other"), priority=1)
  gate.set()
  assert pool.Quiesce(timeout=WAIT)
  assert changed == [True]
  assert rec.Snapshot() == ["defer-job", "job", "other"]


# Worker facilities


def test_current_priority_and_task_name(make_pool):
  seen = []
  pool = make_pool(1, name="Named")

  def _Task(worker):
    seen.append((worker.GetCurrentPriority(), threading.current_thread().name))
    worker.SetTaskName("job-42")
    seen.append(threading.current_thread().name)
    seen.append(pool.GetWorkerInfo())

  pool.AddTask((_Task, ), priority=-7)
  assert pool.Quiesce(timeout=WAIT)
  assert seen == [(-7, "Named1"), "Named1/job-42", [("Named1/job-42", -7)]]
  assert pool.GetWorkerInfo() == [("Named1", None)]


def test_worker_methods_outside_a_task_raise(make_pool):
  pool = make_pool(1)
  worker = [t for t in threading.enumerate()
            if isinstance(t, workerpool.BaseWorker) and t.pool is pool][0]
  with pytest.raises(errors.ProgrammerError, match="runs no task"):
    worker.GetCurrentPriority()
  with pytest.raises(errors.ProgrammerError, match="runs no task"):
    worker.SetTaskName("x")
  assert not worker.ShouldTerminate()


def test_set_task_name_rejects_bad_names(make_pool):
  errs = []
  pool = make_pool(1)

  def _Task(worker):
    for name in ["", None, 3]:
      try:
        worker.SetTaskName(name)
      except errors.ProgrammerError as err:
        errs.append(str(err))

  pool.AddTask((_Task, ))
  assert pool.Quiesce(timeout=WAIT)
  assert len(errs) == 3
  assert all("non-empty string" in msg for msg in errs)


def test_exceptions_are_logged_and_worker_continues(make_pool, caplog):
  rec = _Recorder()
  pool = make_pool(1, name="Err")

  def _Fail(worker):
    raise ValueError("task blew up")

  with caplog.at_level(logging.ERROR):
    pool.AddTask((_Fail, ))
    pool.AddTask((rec, "after"))
    assert pool.Quiesce(timeout=WAIT)
  assert rec.Snapshot() == ["after"]
  records = [r for r in caplog.records if "Err1" in r.getMessage()]
  assert records and records[0].exc_info is not None
  assert "task blew up" in caplog.text
  assert len(pool.GetWorkerInfo()) == 1


def test_system_exit_in_task_does_not_kill_worker(make_pool, caplog):
  rec = _Recorder()
  pool = make_pool(1, name="Exit")

  def _Exit(worker):
    raise SystemExit(3)

  with caplog.at_level(logging.ERROR):
    pool.AddTask((_Exit, ))
    pool.AddTask((rec, 1))
    assert pool.Quiesce(timeout=WAIT)
  assert "Unhandled exception" in caplog.text
  assert rec.Snapshot() == [1]
  assert pool.GetWorkerInfo() == [("Exit1", None)]


def test_tasks_added_from_inside_a_task(make_pool):
  rec = _Recorder()
  pool = make_pool(2)

  def _Spawn(worker, depth):
    rec(worker, depth)
    if depth < 5:
      pool.AddTask((_Spawn, depth + 1), priority=worker.GetCurrentPriority())
      pool.AddManyTasks([(rec, "leaf%d" % depth)])

  pool.AddTask((_Spawn, 0))
  assert pool.Quiesce(timeout=WAIT)
  done = rec.Snapshot()
  assert sorted(d for d in done if isinstance(d, int)) == list(range(6))
  assert sorted(d for d in done if isinstance(d, str)) == \
    sorted("leaf%d" % i for i in range(5))


# Concurrency, resizing, quiescing


def test_many_tasks_on_four_workers_run_exactly_once(make_pool):
  rec = _Recorder()
  threads = set()
  lock = threading.Lock()
  pool = make_pool(4, name="Four")

  def _Task(worker, value):
    with lock:
      threads.add(worker.name)
    rec(worker, value)

  pool.AddManyTasks([(_Task, i) for i in range(500)],
                    priority=[i % 7 for i in range(500)])
  for i in range(500, 1000):
    pool.AddTask((_Task, i), priority=i % 3, task_id=i % 10)
  assert pool.Quiesce(timeout=WAIT)
  done = rec.Snapshot()
  assert len(done) == 1000
  assert sorted(done) == list(range(1000))
  assert threads <= {"Four1", "Four2", "Four3", "Four4"}


def _Concurrency(pool, count):
  """True if ``count`` tasks can run at the same time on ``pool``."""
  barrier = threading.Barrier(count, timeout=1.0)
  results = []

  def _Meet(worker):
    try:
      barrier.wait()
      results.append(True)
    except threading.BrokenBarrierError:
      results.append(False)

  for _ in range(count):
    pool.AddTask((_Meet, ))
  assert pool.Quiesce(timeout=WAIT)
  return all(results)


def test_resize_up_adds_workers(make_pool):
  pool = make_pool(1, name="Grow")
  pool.Resize(4)
  assert [n for n, _ in pool.GetWorkerInfo()] == \
    ["Grow1", "Grow2", "Grow3", "Grow4"]
  assert _Concurrency(pool, 4)


def test_resize_down_lets_running_tasks_finish(make_pool):
  rec = _Recorder()
  pool = make_pool(3, name="Shrink")
  started = threading.Event()
  gate = threading.Event()

  def _Slow(worker):
    started.set()
    assert gate.wait(WAIT)
    rec(worker, "slow")

  pool.AddTask((_Slow, ))
  assert started.wait(WAIT)
  # idle workers are stopped first, so shrinking to one returns at once
  pool.Resize(1)
  assert len(pool.GetWorkerInfo()) == 1
  assert pool.HasRunningTasks()
  resized = threading.Event()

  def _ShrinkToZero():
    pool.Resize(0)
    resized.set()

  shrinker = threading.Thread(target=_ShrinkToZero, daemon=True)
  shrinker.start()
  # Resize(0) waits for the busy worker to finish its task
  assert not resized.wait(0.05)
  gate.set()
  assert resized.wait(WAIT)
  shrinker.join(WAIT)
  assert rec.Snapshot() == ["slow"]
  assert pool.GetWorkerInfo() == []
  assert not pool.HasRunningTasks()
  # queued tasks wait for workers to come back
  pool.AddTask((rec, "queued"))
  assert pool.Quiesce(timeout=0.05) is False
  pool.Resize(2)
  assert pool.Quiesce(timeout=WAIT)
  assert rec.Snapshot() == ["slow", "queued"]
  assert [n for n, _ in pool.GetWorkerInfo()] == ["Shrink4", "Shrink5"]


def test_task_may_shrink_its_own_pool(make_pool):
  rec = _Recorder()
  pool = make_pool(2)

  def _ShrinkSelf(worker):
    pool.Resize(0)
    rec(worker, worker.ShouldTerminate())

  pool.AddTask((_ShrinkSelf, ))
  _WaitFor(lambda: rec.Snapshot() == [True])
  _WaitFor(lambda: pool.GetWorkerInfo() == [])
  assert rec.Snapshot() == [True] and pool.GetWorkerInfo() == []


def test_quiesce_waits_for_running_and_queued_tasks(make_pool):
  rec = _Recorder()
  pool = make_pool(2)
  gate = threading.Event()

  def _Slow(worker, value):
    assert gate.wait(WAIT)
    rec(worker, value)

  for i in range(5):
    pool.AddTask((_Slow, i))
  assert pool.Quiesce(timeout=0.05) is False
  assert pool.HasRunningTasks()
  gate.set()
  assert pool.Quiesce() is True
  assert sorted(rec.Snapshot()) == list(range(5))
  assert not pool.HasRunningTasks()


def test_quiesce_on_idle_pool_returns_at_once(make_pool):
  pool = make_pool(1)
  assert pool.Quiesce() is True
  assert pool.Quiesce(timeout=0) is True


def test_inactive_pool_keeps_tasks_queued(make_pool):
  rec = _Recorder()
  pool = make_pool(2)
  pool.SetActive(False)
  pool.AddTask((rec, 1))
  assert pool.Quiesce(timeout=0.05) is False
  assert rec.Snapshot() == []
  assert not pool.HasRunningTasks()
  pool.SetActive(True)
  assert pool.Quiesce(timeout=WAIT)
  assert rec.Snapshot() == [1]


def test_quiesce_and_terminate_refuse_to_run_in_own_worker(make_pool):
  errs = []
  pool = make_pool(1, name="Self")

  def _Task(worker):
    for fn in (pool.Quiesce, pool.TerminateWorkers):
      try:
        fn()
      except errors.ProgrammerError as err:
        errs.append(str(err))

  pool.AddTask((_Task, ))
  assert pool.Quiesce(timeout=WAIT)
  assert len(errs) == 2
  assert all("would wait for itself" in msg for msg in errs)


def test_terminate_with_tasks_still_queued(make_pool):
  rec = _Recorder()
  pool = make_pool(1, name="Term")
  started = threading.Event()
  gate = threading.Event()

  def _Slow(worker):
    started.set()
    assert gate.wait(WAIT)
    rec(worker, "slow")

  pool.AddTask((_Slow, ))
  assert started.wait(WAIT)
  for i in range(5):
    pool.AddTask((rec, i))
  stopper = threading.Thread(target=pool.TerminateWorkers, daemon=True)
  stopper.start()
  time.sleep(0.02)
  assert stopper.is_alive()  # waiting for the running task
  gate.set()
  stopper.join(WAIT)
  assert not stopper.is_alive()
  assert rec.Snapshot() == ["slow"]
  assert pool.GetWorkerInfo() == []
  assert not [t for t in threading.enumerate()
              if isinstance(t, workerpool.BaseWorker) and t.pool is pool]
  with pytest.raises(errors.ProgrammerError, match="Term has been terminated"):
    pool.AddTask((rec, "late"))
  with pytest.raises(errors.ProgrammerError, match="has been terminated"):
    pool.AddManyTasks([(rec, "late")])
  with pytest.raises(errors.ProgrammerError, match="has been terminated"):
    pool.Resize(2)
  pool.TerminateWorkers()  # a second call is harmless
  assert "Term" in repr(pool)


# Property test against a reference model


_OPS = st.lists(
  st.one_of(
    st.tuples(st.just("add"), st.integers(-3, 3), st.none() |
              st.integers(0, 4), st.none() | st.integers(-3, 3),
              st.booleans()),
    st.tuples(st.just("change"), st.integers(0, 4), st.integers(-3, 3)),
  ),
  max_size=25)


def _ModelOrder(ops):
  """Run order predicted for ``ops`` applied to a paused one-worker pool.

  A task with a "defer" flag defers itself on its first run, optionally to
  a new priority; deferral makes it a new arrival, a priority change keeps
  its arrival.
  """
  tasks = {}
  seq = 0
  for op in ops:
    if op[0] == "add":
      _, prio, tid, defer_prio, defers = op
      tasks[len(tasks)] = [prio, seq, tid, defers, defer_prio]
      seq += 1
    else:
      _, tid, prio = op
      for task in tasks.values():
        if task[2] == tid:
          task[0] = prio
  heap = [(t[0], t[1], num) for num, t in tasks.items()]
  heapq.heapify(heap)
  order = []
  while heap:
    prio, _, num = heapq.heappop(heap)
    task = tasks[num]
    if task[3]:
      task[3] = False
      order.append(("defer", num))
      new_prio = prio if task[4] is None else task[4]
      heapq.heappush(heap, (new_prio, seq, num))
      seq += 1
    else:
      order.append(("run", num))
  return order


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_single_worker_order_matches_model(make_pool, ops):
  order = []
  lock = threading.Lock()
  deferred = set()

  def _Task(worker, num, defer_prio, defers):
    with lock:
      if defers and num not in deferred:
        deferred.add(num)
        order.append(("defer", num))
        raise workerpool.DeferTask(priority=defer_prio)
      order.append(("run", num))

  pool = make_pool(1)
  pool.SetActive(False)
  num = 0
  for index, op in enumerate(ops):
    if op[0] == "add":
      _, prio, tid, defer_prio, defers = op
      pool.AddTask((_Task, num, defer_prio, defers), priority=prio,
                   task_id=tid)
      num += 1
    else:
      _, tid, prio = op
      expected = any(o[0] == "add" and o[2] == tid
                     for o in ops[:index])
      assert pool.ChangeTaskPriority(tid, prio) == expected
  pool.SetActive(True)
  assert pool.Quiesce(timeout=WAIT)
  pool.TerminateWorkers()
  assert order == _ModelOrder(ops)
