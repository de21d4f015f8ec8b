"""Tests for ganeti.locking_shared: SharedLock, owner names, LockMonitor."""

import gc
import os
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import locking_shared


DEADLINE = 10.0


def _WaitFor(predicate, timeout=DEADLINE):
  """Polls predicate until it is true; fails the test after timeout."""
  end = time.monotonic() + timeout
  while not predicate():
    if time.monotonic() > end:
      raise AssertionError("Condition not reached within %ss" % timeout)
    time.sleep(0.001)


class _Threads(object):
  """Starts threads and remembers them, so the fixture can join them."""

  def __init__(self):
    self.threads = []
    self.errors = []

  def Start(self, fn, *args, name=None):
    def _Run():
      try:
        fn(*args)
      except BaseException as err:  # reported at teardown
        self.errors.append(err)
    thread = threading.Thread(target=_Run, name=name, daemon=True)
    self.threads.append(thread)
    thread.start()
    return thread

  def JoinAll(self, timeout=DEADLINE):
    end = time.monotonic() + timeout
    for thread in self.threads:
      thread.join(max(0.0, end - time.monotonic()))
    alive = [t.name for t in self.threads if t.is_alive()]
    assert not alive, "Threads still running (deadlock?): %s" % alive
    if self.errors:
      raise self.errors[0]


@pytest.fixture
def threads():
  helper = _Threads()
  yield helper
  helper.JoinAll()


def _Pending(lock):
  return lock.GetLockInfo(locking.LQ_ALL)[0][3]


def _Info(lock):
  (_, mode, owner, pending) = lock.GetLockInfo(locking.LQ_ALL)[0]
  return (mode, owner, pending)


def _OpenFds():
  return len(os.listdir("/proc/self/fd"))


# --- Basic behaviour ---------------------------------------------------------

def test_exclusive_acquire_release_and_ownership():
  lock = locking.SharedLock("l")
  assert not lock.is_owned()
  assert lock.acquire() is True
  assert lock.is_owned()
  assert lock.is_owned(shared=0)
  assert not lock.is_owned(shared=1)
  lock.release()
  assert not lock.is_owned()


def test_shared_acquire_by_several_threads(threads):
  lock = locking.SharedLock("l")
  assert lock.acquire(shared=1)
  assert lock.is_owned(shared=1) and not lock.is_owned(shared=0)
  got = []

  def _Share():
    got.append(lock.acquire(shared=1, timeout=5))
    lock.release()
  for _ in range(3):
    threads.Start(_Share)
  threads.JoinAll()
  assert got == [True, True, True]
  lock.release()


def test_exclusive_excludes_everyone(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  got = []
  threads.Start(lambda: got.append(lock.acquire(shared=1, timeout=0)))
  threads.Start(lambda: got.append(lock.acquire(timeout=0)))
  threads.JoinAll()
  assert got == [False, False]
  lock.release()


def test_shared_holder_blocks_exclusive(threads):
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  got = []
  threads.Start(lambda: got.append(lock.acquire(timeout=0.05)))
  threads.JoinAll()
  assert got == [False]
  lock.release()
  assert lock.acquire(timeout=0)
  lock.release()


def test_timeout_waits_about_the_time_and_leaves_no_trace(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  result = {}

  def _Try():
    start = time.monotonic()
    result["got"] = lock.acquire(timeout=0.1)
    result["took"] = time.monotonic() - start
  threads.Start(_Try)
  threads.JoinAll()
  assert result["got"] is False
  assert 0.09 <= result["took"] < 2.0
  assert _Pending(lock) == []
  assert lock._count_pending() == 0
  lock.release()
  assert _Info(lock) == (None, None, [])


def test_zero_timeout_does_not_queue(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  notified = []
  threads.Start(lambda: lock.acquire(timeout=0,
                                     test_notify=lambda: notified.append(1)))
  threads.JoinAll()
  assert notified == []
  assert _Pending(lock) == []
  lock.release()


def test_blocking_waiter_gets_lock_after_release(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  got = []

  def _Wait():
    got.append(lock.acquire())
    lock.release()
  threads.Start(_Wait)
  _WaitFor(lambda: lock._count_pending() == 1)
  assert got == []
  lock.release()
  threads.JoinAll()
  assert got == [True]


def test_double_acquire_is_a_programming_error():
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  with pytest.raises(errors.ProgrammerError, match="already held"):
    lock.acquire(shared=1)
  with pytest.raises(errors.ProgrammerError, match="already held"):
    lock.acquire()
  lock.release()
  lock.acquire()
  with pytest.raises(errors.ProgrammerError, match="already held"):
    lock.acquire(timeout=0)
  lock.release()


def test_release_unowned_is_a_programming_error(threads):
  lock = locking.SharedLock("mine")
  with pytest.raises(errors.ProgrammerError, match="mine is not held"):
    lock.release()
  lock.acquire()
  caught = []

  def _Other():
    try:
      lock.release()
    except errors.ProgrammerError as err:
      caught.append(str(err))
  threads.Start(_Other)
  threads.JoinAll()
  assert caught and "not held" in caught[0]
  assert lock.is_owned()
  lock.release()


@pytest.mark.parametrize("kwargs, match", [
  ({"shared": 2}, "'shared' must be 0 or 1"),
  ({"shared": "yes"}, "'shared' must be 0 or 1"),
  ({"timeout": -1}, "must not be negative"),
  ({"timeout": float("nan")}, "must not be negative"),
  ({"timeout": "5"}, "number of seconds"),
  ({"timeout": True}, "number of seconds"),
  ({"priority": "high"}, "priority must be an integer"),
  ({"priority": 1.5}, "priority must be an integer"),
  ({"priority": False}, "priority must be an integer"),
  ])
def test_bad_acquire_arguments(kwargs, match):
  lock = locking.SharedLock("l")
  lock.acquire()  # held, so the request cannot take the fast path
  caught = []

  def _Try():
    try:
      lock.acquire(**kwargs)
    except errors.ProgrammerError as err:
      caught.append(str(err))
  thread = threading.Thread(target=_Try)
  thread.start()
  thread.join(DEADLINE)
  assert len(caught) == 1 and match in caught[0]
  assert _Pending(lock) == []
  lock.release()


@pytest.mark.parametrize("kwargs, match", [
  ({"shared": 7}, "must be 0 or 1"),
  ({"timeout": -0.5}, "must not be negative"),
  ({"timeout": [1]}, "number of seconds"),
  ({"priority": "0"}, "priority must be an integer"),
  ])
def test_bad_arguments_also_refused_on_a_free_lock(kwargs, match):
  lock = locking.SharedLock("l")
  with pytest.raises(errors.ProgrammerError, match=match):
    lock.acquire(**kwargs)
  assert not lock.is_owned()
  assert lock.acquire(timeout=0)
  lock.release()


def test_lock_name_must_be_a_string():
  with pytest.raises(errors.ProgrammerError, match="Lock name must be"):
    locking.SharedLock(42)


def test_repr_names_the_lock():
  assert "name=xyz" in repr(locking.SharedLock("xyz"))


# --- Priorities and grant order ----------------------------------------------

def test_grant_order_of_the_2_3_design_example(threads):
  """The example queue of the Ganeti 2.3 design ("Locking" under job
  priorities) is served as E1, E2, (S1 S2 S3), (S4 S5), E3, S6, E4, E5.

  The design's queue, by priority (lower number first):
    0:  exc/E1, exc/E2, shr/S1/S2/S3
    2:  shr/S4/S5
    10: exc/E3
    33: shr/S6, exc/E4, exc/E5
  Shared acquires of one priority form one group, served together; groups
  of different priorities are separate grants, even when both are shared.
  The main thread holds the lock exclusively while the requests queue up
  in exactly this order, then lets go; each grant is observed as the set of
  owners the lock reports, and its holders release together.
  """
  lock = locking.SharedLock("design")
  lock.acquire()
  requests = [("E1", 0, 0), ("E2", 0, 0), ("S1", 1, 0), ("S2", 1, 0),
              ("S3", 1, 0), ("S4", 1, 2), ("S5", 1, 2), ("E3", 0, 10),
              ("S6", 1, 33), ("E4", 0, 33), ("E5", 0, 33)]
  may_release = dict((name, threading.Event()) for (name, _, _) in requests)
  running = set()
  by_name = {}

  def _Request(name, shared, priority, queued):
    locking.SetOwnerName(name)
    assert lock.acquire(shared=shared, priority=priority,
                        test_notify=queued.set)
    running.add(name)
    assert may_release[name].wait(DEADLINE)
    lock.release()

  for (name, shared, priority) in requests:
    queued = threading.Event()
    by_name[name] = threads.Start(_Request, name, shared, priority, queued,
                                  name=name)
    assert queued.wait(DEADLINE)

  assert _Pending(lock) == [
    ["exclusive", ["E1"]], ["exclusive", ["E2"]],
    ["shared", ["S1", "S2", "S3"]], ["shared", ["S4", "S5"]],
    ["exclusive", ["E3"]], ["shared", ["S6"]],
    ["exclusive", ["E4"]], ["exclusive", ["E5"]],
    ]

  lock.release()
  grants = []
  while len(grants) < 8:
    _WaitFor(lambda: _Info(lock)[1] is not None)
    owners = _Info(lock)[1]
    _WaitFor(lambda: running.issuperset(owners))
    grants.append(tuple(owners))
    for name in owners:
      may_release[name].set()
    for name in owners:
      by_name[name].join(DEADLINE)
  threads.JoinAll()
  assert grants == [("E1", ), ("E2", ), ("S1", "S2", "S3"), ("S4", "S5"),
                    ("E3", ), ("S6", ), ("E4", ), ("E5", )]
  assert _Info(lock) == (None, None, [])


def test_higher_priority_waiter_goes_first(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  order = []

  def _Req(name, priority, queued):
    lock.acquire(priority=priority, test_notify=queued.set)
    order.append(name)
    lock.release()
  for (name, prio) in [("low", constants.OP_PRIO_LOW),
                       ("normal", constants.OP_PRIO_NORMAL),
                       ("high", constants.OP_PRIO_HIGH)]:
    queued = threading.Event()
    threads.Start(_Req, name, prio, queued)
    assert queued.wait(DEADLINE)
  lock.release()
  threads.JoinAll()
  assert order == ["high", "normal", "low"]


def test_shared_joins_pending_group_ahead_of_exclusive(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  order = []

  def _Req(name, shared, queued):
    lock.acquire(shared=shared, test_notify=queued.set)
    order.append(name)
    time.sleep(0.01)
    lock.release()
  for (name, shared) in [("S1", 1), ("E1", 0), ("S2", 1)]:
    queued = threading.Event()
    threads.Start(_Req, name, shared, queued)
    assert queued.wait(DEADLINE)
  assert [mode for (mode, _) in _Pending(lock)] == ["shared", "exclusive"]
  lock.release()
  threads.JoinAll()
  assert sorted(order[:2]) == ["S1", "S2"] and order[2] == "E1"


def test_new_sharer_queues_behind_pending_exclusive(threads):
  """Sharers do not starve a waiting exclusive acquire."""
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  queued = threading.Event()
  threads.Start(lambda: (lock.acquire(test_notify=queued.set),
                         lock.release()))
  assert queued.wait(DEADLINE)
  got = []
  threads.Start(lambda: got.append(lock.acquire(shared=1, timeout=0.05)))
  _WaitFor(lambda: len(got) == 1)
  assert got == [False]
  lock.release()


def test_higher_priority_sharer_joins_current_sharers(threads):
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  queued = threading.Event()
  threads.Start(lambda: (lock.acquire(priority=5, test_notify=queued.set),
                         lock.release()))
  assert queued.wait(DEADLINE)
  got = []
  threads.Start(lambda: (got.append(lock.acquire(shared=1, priority=-5,
                                                 timeout=DEADLINE)),
                         lock.release()))
  _WaitFor(lambda: got)
  assert got == [True]
  lock.release()


def test_timed_out_head_lets_next_entry_in(threads):
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  queued = threading.Event()
  got = {}
  threads.Start(lambda: got.setdefault(
    "exc", lock.acquire(timeout=0.1, test_notify=queued.set)))
  assert queued.wait(DEADLINE)
  sharer_queued = threading.Event()

  def _Share():
    got["shr"] = lock.acquire(shared=1, test_notify=sharer_queued.set)
    lock.release()
  threads.Start(_Share)
  threads.JoinAll()
  assert got == {"exc": False, "shr": True}
  lock.release()


def test_arbitrary_integer_priorities_are_accepted():
  lock = locking.SharedLock("l")
  assert lock.acquire(priority=1000)
  lock.release()
  assert lock.acquire(priority=-1000, timeout=0)
  lock.release()


# --- Downgrade ---------------------------------------------------------------

def test_downgrade_lets_sharers_in(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  queued = threading.Event()
  got = []
  threads.Start(lambda: (got.append(lock.acquire(shared=1,
                                                 test_notify=queued.set)),
                         lock.release()))
  assert queued.wait(DEADLINE)
  assert lock.downgrade() is True
  assert lock.is_owned(shared=1)
  threads.JoinAll()
  assert got == [True]
  assert lock.downgrade() is True
  lock.release()


def test_downgrade_unowned_is_a_programming_error():
  lock = locking.SharedLock("l")
  with pytest.raises(errors.ProgrammerError, match="cannot downgrade"):
    lock.downgrade()


def test_downgrade_keeps_exclusive_waiters_out(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  got = []
  queued = threading.Event()
  threads.Start(lambda: got.append(lock.acquire(timeout=0.1,
                                                test_notify=queued.set)))
  assert queued.wait(DEADLINE)
  lock.downgrade()
  threads.JoinAll()
  assert got == [False]
  lock.release()


# --- Deletion ----------------------------------------------------------------

def test_delete_fails_every_pending_acquire(threads):
  lock = locking.SharedLock("gone")
  lock.acquire()
  caught = []

  def _Wait(shared, queued):
    try:
      lock.acquire(shared=shared, test_notify=queued.set)
    except errors.LockError as err:
      caught.append(str(err))
  for shared in (0, 1, 1, 0):
    queued = threading.Event()
    threads.Start(_Wait, shared, queued)
    assert queued.wait(DEADLINE)
  fds = _OpenFds()
  assert lock.delete() is True
  threads.JoinAll()
  assert len(caught) == 4
  assert all("gone was deleted" in msg for msg in caught)
  assert _OpenFds() <= fds
  assert not lock.is_owned()
  with pytest.raises(errors.LockError, match="gone has been deleted"):
    lock.acquire()
  with pytest.raises(errors.LockError, match="gone has been deleted"):
    lock.acquire(shared=1, timeout=0)
  with pytest.raises(errors.LockError, match="already been deleted"):
    lock.delete()
  with pytest.raises(errors.ProgrammerError, match="not held"):
    lock.release()
  assert lock.GetLockInfo(locking.LQ_ALL) == []


def test_delete_acquires_a_free_lock():
  lock = locking.SharedLock("l")
  assert lock.delete() is True
  with pytest.raises(errors.LockError):
    lock.acquire()


def test_delete_times_out_on_a_held_lock(threads):
  lock = locking.SharedLock("l")
  held = threading.Event()
  done = threading.Event()

  def _Hold():
    lock.acquire(shared=1)
    held.set()
    assert done.wait(DEADLINE)
    lock.release()
  threads.Start(_Hold)
  assert held.wait(DEADLINE)
  assert lock.delete(timeout=0.05) is False
  assert _Pending(lock) == []
  done.set()
  threads.JoinAll()
  assert lock.delete(timeout=1, priority=-5) is True


def test_delete_while_sharing_is_a_programming_error():
  lock = locking.SharedLock("l")
  lock.acquire(shared=1)
  with pytest.raises(errors.ProgrammerError, match="held shared"):
    lock.delete()
  lock.release()


def test_waiting_deleter_blocks_then_wins(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  result = []
  # delete() takes no test_notify: poll the queue instead
  threads.Start(lambda: result.append(lock.delete()))
  _WaitFor(lambda: lock._count_pending() == 1)
  lock.release()
  threads.JoinAll()
  assert result == [True]
  with pytest.raises(errors.LockError):
    lock.acquire(timeout=0)


# --- Waiting machinery -------------------------------------------------------

def test_test_notify_runs_only_when_waiting(threads):
  lock = locking.SharedLock("l")
  calls = []
  lock.acquire(test_notify=lambda: calls.append("free"))
  assert calls == []
  queued = threading.Event()
  threads.Start(lambda: (lock.acquire(test_notify=queued.set),
                         lock.release()))
  assert queued.wait(DEADLINE)
  lock.release()
  threads.JoinAll()


def test_failing_test_notify_withdraws_the_request(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  caught = []

  def _Boom():
    raise RuntimeError("notify failed")

  def _Try():
    try:
      lock.acquire(test_notify=_Boom)
    except RuntimeError as err:
      caught.append(str(err))
  threads.Start(_Try)
  threads.JoinAll()
  assert caught == ["notify failed"]
  assert _Pending(lock) == []
  lock.release()
  assert lock.acquire(timeout=0)
  lock.release()


def test_timed_out_waits_leak_no_file_descriptors(threads):
  lock = locking.SharedLock("l")
  lock.acquire()
  before = _OpenFds()

  def _Try():
    for _ in range(20):
      assert lock.acquire(shared=1, timeout=0.001) is False
  for _ in range(3):
    threads.Start(_Try)
  threads.JoinAll()
  assert _OpenFds() <= before
  lock.release()


def test_racing_timeouts_and_grants_leave_the_lock_free(threads):
  """Grants arriving as waits time out must never strand ownership."""
  lock = locking.SharedLock("l")
  stats = {"got": 0}
  count_lock = threading.Lock()

  def _Churn(seed):
    for i in range(300):
      shared = (i + seed) % 3 == 0
      if lock.acquire(shared=shared, timeout=0.0005 * (i % 3),
                      priority=(i * seed) % 4):
        with count_lock:
          stats["got"] += 1
        lock.release()
  for seed in range(1, 6):
    threads.Start(_Churn, seed)
  threads.JoinAll()
  assert stats["got"] > 0
  assert _Info(lock) == (None, None, [])
  assert lock._count_pending() == 0


# --- Lock information, owner names, monitor ----------------------------------

def test_lock_info_fields_and_owner_names(threads):
  lock = locking.SharedLock("inst/a")
  assert lock.GetLockInfo(locking.LQ_ALL) == [("inst/a", None, None, [])]
  locking.SetOwnerName("job/10")
  try:
    lock.acquire(shared=1)
    queued = threading.Event()

    def _Waiter():
      locking.SetOwnerName("job/9")
      lock.acquire(test_notify=queued.set)
      lock.release()
    threads.Start(_Waiter)
    assert queued.wait(DEADLINE)
    assert lock.GetLockInfo(locking.LQ_ALL) == [
      ("inst/a", "shared", ["job/10"], [["exclusive", ["job/9"]]])]
    assert lock.GetLockInfo(frozenset([locking.LQ_MODE])) == [
      ("inst/a", "shared", None, None)]
    assert lock.GetLockInfo(frozenset()) == [("inst/a", None, None, None)]
    lock.release()
    threads.JoinAll()
  finally:
    locking.SetOwnerName(None)


def test_owner_names_are_nice_sorted(threads):
  lock = locking.SharedLock("l")
  ready = threading.Barrier(4)
  done = threading.Event()

  def _Hold(name):
    locking.SetOwnerName(name)
    lock.acquire(shared=1)
    ready.wait(DEADLINE)
    assert done.wait(DEADLINE)
    lock.release()
  for name in ("job/10", "job/9", "job/100"):
    threads.Start(_Hold, name)
  ready.wait(DEADLINE)
  assert _Info(lock)[:2] == ("shared", ["job/9", "job/10", "job/100"])
  done.set()


def test_default_owner_name_is_the_thread_name(threads):
  lock = locking.SharedLock("l")
  seen = []

  def _Hold():
    lock.acquire()
    seen.append(_Info(lock)[1])
    seen.append(locking.GetOwnerName())
    lock.release()
  threads.Start(_Hold, name="worker-7")
  threads.JoinAll()
  assert seen == [["worker-7"], "worker-7"]


def test_set_owner_name_rejects_non_strings():
  with pytest.raises(errors.ProgrammerError, match="owner name must be"):
    locking.SetOwnerName(12)


def test_set_owner_name_none_restores_thread_name():
  locking.SetOwnerName("job/1")
  assert locking.GetOwnerName() == "job/1"
  locking.SetOwnerName(None)
  assert locking.GetOwnerName() == threading.current_thread().name


def test_monitor_lists_live_locks_sorted_and_forgets_dropped_ones():
  monitor = locking.LockMonitor()
  keep = [locking.SharedLock(name, monitor=monitor)
          for name in ("node/n10", "node/n9", "node/n1")]
  dropped = locking.SharedLock("node/zz", monitor=monitor)
  keep[0].acquire()
  rows = monitor.GetLockInfo()
  assert [row["name"] for row in rows] == ["node/n1", "node/n9", "node/n10",
                                           "node/zz"]
  assert rows[2] == {"name": "node/n10", "mode": "exclusive",
                     "owner": [threading.current_thread().name],
                     "pending": []}
  del dropped
  gc.collect()
  assert [row["name"] for row in monitor.GetLockInfo()] == [
    "node/n1", "node/n9", "node/n10"]
  keep[0].release()


def test_monitor_skips_deleted_locks():
  monitor = locking.LockMonitor()
  lock = locking.SharedLock("x", monitor=monitor)
  lock.delete()
  assert monitor.GetLockInfo() == []


def test_reexports_match_the_implementation_module():
  assert locking.SharedLock is locking_shared.SharedLock
  assert locking.LockMonitor is locking_shared.LockMonitor
  assert locking.SetOwnerName is locking_shared.SetOwnerName


# --- Random schedules (hypothesis) -------------------------------------------

_OP = st.tuples(
  st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
  st.booleans(),                                  # shared
  st.sampled_from([None, 0, 0.001, 0.01]),        # timeout
  st.integers(-2, 2),                             # priority
  st.booleans(),                                  # downgrade while held
  st.sampled_from([0, 0.001, 0.003]),             # hold time
  )


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_OP, min_size=1, max_size=6), min_size=2,
                max_size=5))
def test_random_schedules_never_deadlock_nor_share_exclusive(schedules):
  """Threads acquire random subsets of three locks, in sorted order, with
  random modes, timeouts, priorities and downgrades.  A checker watches
  every grant: an exclusive holder is always alone.  All threads must end
  within the deadline (no deadlock) and the locks end free.
  """
  locks = [locking.SharedLock("l%d" % i) for i in range(3)]
  guard = threading.Lock()
  holders = [dict() for _ in locks]  # ident -> "exclusive"/"shared"
  violations = []

  def _Granted(index, mode):
    me = threading.get_ident()
    with guard:
      others = dict((k, v) for (k, v) in holders[index].items() if k != me)
      if mode == "exclusive" and others:
        violations.append(("exclusive beside", index, others))
      if "exclusive" in others.values():
        violations.append(("beside exclusive", index, others))
      holders[index][me] = mode

  def _Released(index):
    with guard:
      holders[index].pop(threading.get_ident(), None)

  def _Run(ops):
    for (indices, shared, timeout, priority, downgrade, hold) in ops:
      held = []
      for index in sorted(indices):
        if not locks[index].acquire(shared=int(shared), timeout=timeout,
                                    priority=priority):
          break
        _Granted(index, "shared" if shared else "exclusive")
        held.append(index)
      if downgrade and held and not shared:
        # Record the mode change before it happens, as sharers may enter
        _Granted(held[0], "shared")
        locks[held[0]].downgrade()
      if held and hold:
        time.sleep(hold)
      for index in reversed(held):
        _Released(index)
        locks[index].release()

  workers = [threading.Thread(target=_Run, args=(ops, ), daemon=True)
             for ops in schedules]
  for worker in workers:
    worker.start()
  end = time.monotonic() + DEADLINE
  for worker in workers:
    worker.join(max(0.0, end - time.monotonic()))
  assert not any(worker.is_alive() for worker in workers), "deadlock"
  assert violations == []
  for lock in locks:
    assert _Info(lock) == (None, None, [])
