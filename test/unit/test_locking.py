"""Tests for ganeti.locking: LockSet, GanetiLockManager, the retry policy."""

import threading
import time

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from ganeti import constants
from ganeti import errors
from ganeti import locking


DEADLINE = 10.0


def _WaitFor(predicate, timeout=DEADLINE):
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


class _Holder(object):
  """A thread that acquires something, holds it until told, releases it."""

  def __init__(self, threads, acquire_fn, release_fn):
    self.ready = threading.Event()
    self._done = threading.Event()
    self.result = None

    def _Run():
      self.result = acquire_fn()
      self.ready.set()
      assert self._done.wait(DEADLINE)
      if self.result:
        release_fn()
    threads.Start(_Run)
    assert self.ready.wait(DEADLINE)

  def Finish(self):
    self._done.set()


def _Names(lset):
  return sorted(lset._names())


# --- Constants ---------------------------------------------------------------

def test_levels_are_those_of_ganeti_2_6_in_order():
  assert locking.LEVELS == [locking.LEVEL_CLUSTER, locking.LEVEL_INSTANCE,
                            locking.LEVEL_NODEGROUP, locking.LEVEL_NODE,
                            locking.LEVEL_NODE_RES]
  assert locking.LEVELS == [0, 1, 2, 3, 4]
  assert locking.LEVELS_MOD == frozenset(locking.LEVELS[1:])
  assert locking.LEVEL_NAMES == {0: "cluster", 1: "instance",
                                 2: "nodegroup", 3: "node", 4: "node-res"}
  assert locking.BGL == "BGL"
  assert locking.ALL_SET is None


# --- ssynchronized ------------------------------------------------------------

_module_lock = locking.SharedLock("module")


@locking.ssynchronized(_module_lock, shared=1)
def _ReadUnderLock(value):
  """Doc kept."""
  assert _module_lock.is_owned(shared=1)
  return value * 2


class _Guarded(object):
  def __init__(self):
    self._lock = locking.SharedLock("guarded")

  @locking.ssynchronized("_lock")
  def Change(self, fail=False):
    assert self._lock.is_owned(shared=0)
    if fail:
      raise ValueError("asked to fail")
    return "changed"


def test_ssynchronized_with_lock_object():
  assert _ReadUnderLock(21) == 42
  assert not _module_lock.is_owned()
  assert _ReadUnderLock.__name__ == "_ReadUnderLock"
  assert _ReadUnderLock.__doc__ == "Doc kept."


def test_ssynchronized_with_attribute_name_releases_on_error():
  obj = _Guarded()
  assert obj.Change() == "changed"
  with pytest.raises(ValueError, match="asked to fail"):
    obj.Change(fail=True)
  assert not obj._lock.is_owned()
  assert obj._lock.acquire(timeout=0)
  obj._lock.release()


def test_ssynchronized_bad_arguments():
  with pytest.raises(errors.ProgrammerError, match="needs a SharedLock"):
    locking.ssynchronized(42)
  with pytest.raises(errors.ProgrammerError, match="must be 0 or 1"):
    locking.ssynchronized("_lock", shared=3)
  wrapped = locking.ssynchronized("_lock")(lambda: None)
  with pytest.raises(errors.ProgrammerError, match="no instance argument"):
    wrapped()


# --- LockSet -----------------------------------------------------------------

def test_lockset_acquire_release_and_ownership():
  lset = locking.LockSet(["b", "a", "c"], "inst")
  assert _Names(lset) == ["a", "b", "c"]
  assert not lset.is_owned()
  assert lset.acquire(["c", "a"]) == set(["a", "c"])
  assert lset.is_owned()
  assert lset.list_owned() == set(["a", "c"])
  assert not lset.owning_all()
  assert lset.check_owned(["a", "c"])
  assert lset.check_owned("a", shared=0)
  assert not lset.check_owned("a", shared=1)
  assert not lset.check_owned(["a", "b"])
  assert not lset.check_owned(["zz"])
  lset.release(["a"])
  assert lset.list_owned() == set(["c"])
  lset.release()
  assert not lset.is_owned()
  assert lset.list_owned() == set()


def test_lockset_single_name_string_and_duplicates():
  lset = locking.LockSet(["a", "b"], "inst")
  assert lset.acquire("a", shared=1) == set(["a"])
  assert lset.check_owned("a", shared=1)
  lset.release("a")
  assert lset.acquire(["b", "b"]) == set(["b"])
  lset.release()


def test_lockset_lock_names_carry_the_set_name():
  monitor = locking.LockMonitor()
  first = locking.LockSet(["x1"], "instance", monitor=monitor)
  lset = locking.LockSet(["x1"], "instance", monitor=monitor)
  assert first is not lset
  names = [row["name"] for row in monitor.GetLockInfo()]
  assert names.count("instance/x1") == 2
  assert "instance/[lockset]" in names
  assert lset.name == "instance"
  assert "name=instance" in repr(lset)


def test_lockset_acquiring_twice_is_a_programming_error():
  lset = locking.LockSet(["a", "b"], "inst")
  lset.acquire(["a"])
  with pytest.raises(errors.ProgrammerError, match="already holds"):
    lset.acquire(["b"])
  lset.release()


def test_lockset_unknown_name_raises_and_holds_nothing():
  lset = locking.LockSet(["a", "c"], "inst")
  with pytest.raises(errors.LockError, match="b does not exist in set inst"):
    lset.acquire(["a", "b", "c"])
  assert not lset.is_owned()
  assert lset.acquire(["a", "c"], timeout=0) == set(["a", "c"])
  lset.release()


@pytest.mark.parametrize("names, match", [
  (5, "must be a name or a list"),
  ([1, "a"], "must be strings"),
  ([None], "must be strings"),
  ])
def test_lockset_bad_names(names, match):
  lset = locking.LockSet(["a"], "inst")
  with pytest.raises(errors.ProgrammerError, match=match):
    lset.acquire(names)
  with pytest.raises(errors.ProgrammerError, match=match):
    lset.add(names)
  assert not lset.is_owned()


def test_lockset_bad_construction():
  with pytest.raises(errors.ProgrammerError, match="Duplicate member"):
    locking.LockSet(["a", "a"], "inst")
  with pytest.raises(errors.ProgrammerError, match="set name must be"):
    locking.LockSet(["a"], None)
  with pytest.raises(errors.ProgrammerError, match="must be strings"):
    locking.LockSet([3], "inst")


def test_lockset_bad_timeout():
  lset = locking.LockSet(["a"], "inst")
  with pytest.raises(errors.ProgrammerError, match="must not be negative"):
    lset.acquire(["a"], timeout=-2)
  assert not lset.is_owned()


def test_lockset_release_errors():
  lset = locking.LockSet(["a", "b"], "inst")
  with pytest.raises(errors.ProgrammerError, match="a of set inst: not held"):
    lset.release(["a"])
  lset.acquire(["a"])
  with pytest.raises(errors.ProgrammerError, match="b of set inst: not held"):
    lset.release(["a", "b"])
  assert lset.list_owned() == set(["a"])
  lset.release()


def test_lockset_acquire_all_holds_the_set_lock(threads):
  lset = locking.LockSet(["a", "b"], "inst")
  assert lset.acquire(locking.ALL_SET, shared=1) == set(["a", "b"])
  assert lset.owning_all()
  assert lset.is_owned()
  added = threading.Event()

  def _Add():
    lset.add(["c"])
    added.set()
  threads.Start(_Add)
  # add() must wait for the whole-set holder; give it time to misbehave
  assert not added.wait(0.1)
  lset.release()
  threads.JoinAll()
  assert _Names(lset) == ["a", "b", "c"]
  assert lset.acquire(None) == set(["a", "b", "c"])
  lset.release()
  assert not lset.owning_all()


def test_lockset_empty_acquire_then_release_everything():
  lset = locking.LockSet(["a"], "inst")
  assert lset.acquire([]) == set()
  assert not lset.is_owned()
  lset.release()
  assert lset.downgrade() is True
  assert not lset.is_owned()


def test_lockset_acquire_all_on_empty_set():
  lset = locking.LockSet([], "inst")
  assert lset.acquire(locking.ALL_SET) == set()
  assert lset.owning_all() and lset.is_owned()
  lset.release()
  assert not lset.is_owned()


def test_lockset_timeout_releases_partial_acquisition(threads):
  lset = locking.LockSet(["a", "b", "c"], "inst")
  holder = _Holder(threads, lambda: lset.acquire(["c"]), lset.release)
  start = time.monotonic()
  assert lset.acquire(["a", "b", "c"], timeout=0.1) is None
  assert time.monotonic() - start >= 0.09
  assert not lset.is_owned()
  other = _Holder(threads, lambda: lset.acquire(["a", "b"], timeout=0),
                  lset.release)
  assert other.result == set(["a", "b"])
  other.Finish()
  holder.Finish()


def test_lockset_timeout_is_one_budget_for_all_names(threads):
  lset = locking.LockSet(["a", "b"], "inst")
  holders = [_Holder(threads, lambda n=n: lset.acquire([n]), lset.release)
             for n in ("a", "b")]
  start = time.monotonic()
  # Release "a" after a while; "b" stays held: total must stay near 0.2s
  timer = threading.Timer(0.1, holders[0].Finish)
  timer.start()
  try:
    assert lset.acquire(["a", "b"], timeout=0.2) is None
  finally:
    timer.join()
  assert time.monotonic() - start < 1.0
  assert not lset.is_owned()
  holders[1].Finish()


def test_lockset_acquire_all_times_out_on_set_lock(threads):
  lset = locking.LockSet(["a"], "inst")
  holder = _Holder(threads, lambda: lset.acquire(None), lset.release)
  assert lset.acquire(None, timeout=0.05) is None
  assert not lset.is_owned()
  holder.Finish()


def test_lockset_acquire_all_times_out_on_member(threads):
  lset = locking.LockSet(["a", "b"], "inst")
  holder = _Holder(threads, lambda: lset.acquire(["b"]), lset.release)
  assert lset.acquire(None, timeout=0.05, shared=1) is None
  assert not lset.is_owned()
  assert not lset.owning_all()
  holder.Finish()


def test_lockset_test_notify_gets_the_lock_name(threads):
  lset = locking.LockSet(["a", "b"], "inst")
  holder = _Holder(threads, lambda: lset.acquire(["b"]), lset.release)
  seen = []

  def _Notify(name):
    seen.append(name)
    holder.Finish()
  assert lset.acquire(["a", "b"], test_notify=_Notify) == set(["a", "b"])
  assert seen == ["b"]
  lset.release()


def test_lockset_priority_is_passed_to_the_locks(threads):
  lset = locking.LockSet(["a"], "inst")
  lset.acquire(["a"])
  order = []

  def _Req(name, priority, queued):
    lset.acquire(["a"], priority=priority,
                 test_notify=lambda _: queued.set())
    order.append(name)
    lset.release()
  for (name, prio) in [("low", 10), ("high", -10)]:
    queued = threading.Event()
    threads.Start(_Req, name, prio, queued)
    assert queued.wait(DEADLINE)
  lset.release()
  threads.JoinAll()
  assert order == ["high", "low"]


def test_lockset_add():
  lset = locking.LockSet(["a"], "inst")
  assert lset.add(["b", "c"]) is True
  assert _Names(lset) == ["a", "b", "c"]
  assert not lset.is_owned()
  lset.add("d", acquired=1, shared=1)
  assert lset.check_owned("d", shared=1)
  lset.release()
  with pytest.raises(errors.LockError, match="already present"):
    lset.add(["e", "a"])
  with pytest.raises(errors.LockError, match="already present"):
    lset.add(["f", "f"])
  assert _Names(lset) == ["a", "b", "c", "d"]


def test_lockset_add_needs_whole_set_exclusively():
  lset = locking.LockSet(["a"], "inst")
  lset.acquire(["a"])
  with pytest.raises(errors.ProgrammerError, match="only part of it"):
    lset.add(["b"])
  lset.release()
  lset.acquire(None, shared=1)
  with pytest.raises(errors.ProgrammerError, match="holding it shared"):
    lset.add(["b"])
  lset.release()
  lset.acquire(None)
  lset.add(["b"], acquired=1)
  assert lset.list_owned() == set(["a", "b"])
  assert lset.owning_all()
  lset.release()
  assert not lset.is_owned()


def test_lockset_remove(threads):
  lset = locking.LockSet(["a", "b", "c"], "inst")
  lset.acquire(["a", "b"])
  assert lset.remove(["a"]) == ["a"]
  assert lset.list_owned() == set(["b"])
  assert _Names(lset) == ["b", "c"]
  lset.release()
  # Not held: remove acquires first; unknown names are just not removed
  assert lset.remove(["c", "nothere"]) == ["c"]
  assert _Names(lset) == ["b"]


def test_lockset_remove_of_other_names_while_holding_some():
  lset = locking.LockSet(["a", "b"], "inst")
  lset.acquire(["a"])
  with pytest.raises(errors.ProgrammerError, match="holds other locks"):
    lset.remove(["b"])
  lset.release()


def test_lockset_remove_fails_pending_acquires(threads):
  lset = locking.LockSet(["a", "b"], "inst")
  lset.acquire(["a"])
  caught = []
  queued = threading.Event()

  def _Wait():
    try:
      lset.acquire(["a"], test_notify=lambda _: queued.set())
    except errors.LockError as err:
      caught.append(str(err))
  threads.Start(_Wait)
  assert queued.wait(DEADLINE)
  assert lset.remove("a") == ["a"]
  threads.JoinAll()
  assert caught == ["Lock a of set inst was deleted"]
  assert not lset.is_owned()


def test_lockset_acquire_all_skips_locks_removed_meanwhile(threads):
  lset = locking.LockSet(["a", "b", "c"], "inst")
  lset.acquire(["b"])
  result = []
  queued = threading.Event()
  threads.Start(lambda: (result.append(
    lset.acquire(None, test_notify=lambda _: queued.set())),
                         lset.release()))
  assert queued.wait(DEADLINE)
  assert lset.remove(["b"]) == ["b"]
  threads.JoinAll()
  assert result == [set(["a", "c"])]


def test_lockset_concurrent_remove_deletes_once(threads):
  lset = locking.LockSet(["a"], "inst")
  lset.acquire(["a"])
  results = []
  started = threading.Barrier(3)

  def _Remove():
    started.wait(DEADLINE)
    results.append(lset.remove(["a"]))
  threads.Start(_Remove)
  threads.Start(_Remove)
  started.wait(DEADLINE)
  _WaitFor(lambda: lset._lockdict["a"]._count_pending() == 2)
  lset.release()
  threads.JoinAll()
  assert sorted(results) == [[], ["a"]]
  assert _Names(lset) == []


def test_lockset_downgrade():
  lset = locking.LockSet(["a", "b"], "inst")
  lset.acquire(None)
  assert lset.downgrade(["a"]) is True
  assert lset.check_owned("a", shared=1)
  assert lset.check_owned("b", shared=0)
  # The set lock stays exclusive while a member is still exclusive
  assert lset._lock.is_owned(shared=0)
  lset.downgrade()
  assert lset.check_owned(["a", "b"], shared=1)
  assert lset._lock.is_owned(shared=1)
  lset.release()
  lset.acquire(["a"])
  with pytest.raises(errors.ProgrammerError, match="b of set inst: not held"):
    lset.downgrade(["b"])
  lset.release()


# --- GanetiLockManager -------------------------------------------------------

@pytest.fixture
def glm():
  return locking.GanetiLockManager(["node1", "node2"], ["uuid-g1"],
                                   ["inst1", "inst2", "inst10"])


def test_manager_levels_and_names(glm):
  assert glm._names(locking.LEVEL_CLUSTER) == set([locking.BGL])
  assert glm._names(locking.LEVEL_INSTANCE) == set(["inst1", "inst2",
                                                    "inst10"])
  assert glm._names(locking.LEVEL_NODEGROUP) == set(["uuid-g1"])
  assert glm._names(locking.LEVEL_NODE) == set(["node1", "node2"])
  assert glm._names(locking.LEVEL_NODE_RES) == set(["node1", "node2"])


def test_manager_acquire_in_order(glm):
  assert glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1) == \
    set([locking.BGL])
  assert glm.acquire(locking.LEVEL_INSTANCE, ["inst1"]) == set(["inst1"])
  assert glm.acquire(locking.LEVEL_NODEGROUP, None, shared=1) == \
    set(["uuid-g1"])
  assert glm.acquire(locking.LEVEL_NODE, ["node1", "node2"]) == \
    set(["node1", "node2"])
  assert glm.acquire(locking.LEVEL_NODE_RES, ["node2"]) == set(["node2"])
  assert glm.is_owned(locking.LEVEL_NODE)
  assert glm.list_owned(locking.LEVEL_INSTANCE) == set(["inst1"])
  assert glm.check_owned(locking.LEVEL_NODEGROUP, "uuid-g1", shared=1)
  assert glm.owning_all(locking.LEVEL_NODEGROUP)
  assert not glm.owning_all(locking.LEVEL_NODE)
  glm.downgrade(locking.LEVEL_NODE, ["node1"])
  assert glm.check_owned(locking.LEVEL_NODE, "node1", shared=1)
  for level in reversed(locking.LEVELS):
    glm.release(level)
  assert not any(glm.is_owned(level) for level in locking.LEVELS)


def test_manager_needs_the_bgl_first(glm):
  with pytest.raises(errors.ProgrammerError, match="without holding the BGL"):
    glm.acquire(locking.LEVEL_INSTANCE, ["inst1"])
  with pytest.raises(errors.ProgrammerError, match="without holding the BGL"):
    glm.add(locking.LEVEL_NODE, ["node3"])
  with pytest.raises(errors.ProgrammerError, match="without holding the BGL"):
    glm.remove(locking.LEVEL_NODE, ["node1"])


def test_manager_refuses_out_of_order_acquire(glm):
  glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL])
  glm.acquire(locking.LEVEL_NODE, ["node1"])
  with pytest.raises(errors.ProgrammerError,
                     match="instance locks while holding locks at the higher"
                     " level\\(s\\) node"):
    glm.acquire(locking.LEVEL_INSTANCE, ["inst1"])
  with pytest.raises(errors.ProgrammerError, match="Cannot release the BGL"):
    glm.release(locking.LEVEL_CLUSTER)
  with pytest.raises(errors.ProgrammerError, match="Cannot add instance"):
    glm.add(locking.LEVEL_INSTANCE, ["inst3"])
  with pytest.raises(errors.ProgrammerError, match="Cannot remove nodegroup"):
    glm.remove(locking.LEVEL_NODEGROUP, ["uuid-g1"])
  glm.release(locking.LEVEL_NODE)
  glm.release(locking.LEVEL_CLUSTER)


def test_manager_cluster_level_is_fixed(glm):
  glm.acquire(locking.LEVEL_CLUSTER, locking.BGL)
  with pytest.raises(errors.ProgrammerError, match="its set is fixed"):
    glm.add(locking.LEVEL_CLUSTER, ["other"])
  with pytest.raises(errors.ProgrammerError, match="its set is fixed"):
    glm.remove(locking.LEVEL_CLUSTER, [locking.BGL])
  glm.release(locking.LEVEL_CLUSTER)
  for names in (None, ["other"], [locking.BGL, "x"]):
    with pytest.raises(errors.ProgrammerError, match="only the lock BGL"):
      glm.acquire(locking.LEVEL_CLUSTER, names)


@pytest.mark.parametrize("level", [-1, 5, "node", None, 1.0 + 0.5])
def test_manager_invalid_level(glm, level):
  with pytest.raises(errors.ProgrammerError, match="Invalid lock level"):
    glm.acquire(level, ["x"])
  with pytest.raises(errors.ProgrammerError, match="Invalid lock level"):
    glm.list_owned(level)


def test_manager_add_and_remove(glm):
  glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL])
  glm.add(locking.LEVEL_INSTANCE, ["inst3"], acquired=1)
  assert glm.list_owned(locking.LEVEL_INSTANCE) == set(["inst3"])
  assert glm.remove(locking.LEVEL_INSTANCE, ["inst3"]) == ["inst3"]
  assert "inst3" not in glm._names(locking.LEVEL_INSTANCE)
  glm.add(locking.LEVEL_NODE, "node3")
  glm.add(locking.LEVEL_NODE_RES, "node3")
  assert "node3" in glm._names(locking.LEVEL_NODE_RES)
  glm.release(locking.LEVEL_CLUSTER)


def test_manager_acquire_timeout_returns_none(glm, threads):
  def _Take():
    glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
    return glm.acquire(locking.LEVEL_NODE, ["node2"])

  def _Drop():
    glm.release(locking.LEVEL_NODE)
    glm.release(locking.LEVEL_CLUSTER)
  holder = _Holder(threads, _Take, _Drop)
  glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
  assert glm.acquire(locking.LEVEL_NODE, ["node1", "node2"],
                     timeout=0.05) is None
  assert not glm.is_owned(locking.LEVEL_NODE)
  assert glm.acquire(locking.LEVEL_NODE, ["node1"], timeout=0) == \
    set(["node1"])
  glm.release(locking.LEVEL_NODE)
  glm.release(locking.LEVEL_CLUSTER)
  holder.Finish()


def test_manager_lock_info(glm, threads):
  def _Take():
    locking.SetOwnerName("job/2")
    glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
    return glm.acquire(locking.LEVEL_INSTANCE, ["inst2"])

  def _Drop():
    glm.release(locking.LEVEL_INSTANCE)
    glm.release(locking.LEVEL_CLUSTER)
  holder = _Holder(threads, _Take, _Drop)

  queued = threading.Event()

  def _Wait():
    locking.SetOwnerName("job/3")
    glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
    glm._keyring[locking.LEVEL_INSTANCE].acquire(
      ["inst2"], shared=1, test_notify=lambda _: queued.set())
    glm.release(locking.LEVEL_INSTANCE)
    glm.release(locking.LEVEL_CLUSTER)
  threads.Start(_Wait)
  assert queued.wait(DEADLINE)

  rows = glm.GetLockInfo()
  names = [row["name"] for row in rows]
  assert names == [
    "cluster/BGL", "cluster/[lockset]",
    "instance/[lockset]", "instance/inst1", "instance/inst2",
    "instance/inst10",
    "node-res/[lockset]", "node-res/node1", "node-res/node2",
    "node/[lockset]", "node/node1", "node/node2",
    "nodegroup/[lockset]", "nodegroup/uuid-g1",
    ]
  by_name = dict((row["name"], row) for row in rows)
  assert by_name["cluster/BGL"] == {"name": "cluster/BGL", "mode": "shared",
                                    "owner": ["job/2", "job/3"],
                                    "pending": []}
  assert by_name["instance/inst2"] == {"name": "instance/inst2",
                                       "mode": "exclusive",
                                       "owner": ["job/2"],
                                       "pending": [["shared", ["job/3"]]]}
  assert by_name["node/node1"] == {"name": "node/node1", "mode": None,
                                   "owner": None, "pending": []}
  holder.Finish()
  threads.JoinAll()
  assert all(row["owner"] is None for row in glm.GetLockInfo())


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(
  st.lists(st.tuples(
    st.booleans(),                                            # BGL shared
    st.one_of(st.none(), st.lists(st.sampled_from(["i1", "i2", "i3"]),
                                  min_size=1, max_size=3)),   # instances
    st.lists(st.sampled_from(["n1", "n2"]), max_size=2),      # nodes
    st.booleans(),                                            # shared
    st.sampled_from([None, 0.001, 0.02]),                     # timeout
    ), min_size=1, max_size=4),
  min_size=2, max_size=4))
def test_manager_random_jobs_never_deadlock(schedules):
  """Threads play opcodes: BGL, then instances (some or all), then nodes,
  with random modes and timeouts, as mcpu does.  Everything finishes and
  the manager ends with no lock held."""
  glm = locking.GanetiLockManager(["n1", "n2"], ["g"], ["i1", "i2", "i3"])

  def _Run(ops):
    for (bgl_shared, insts, nodes, shared, timeout) in ops:
      glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=bgl_shared)
      try:
        if glm.acquire(locking.LEVEL_INSTANCE, insts, shared=shared,
                       timeout=timeout) is None:
          continue
        if nodes and glm.acquire(locking.LEVEL_NODE, nodes, shared=shared,
                                 timeout=timeout) is not None:
          glm.release(locking.LEVEL_NODE)
        glm.release(locking.LEVEL_INSTANCE)
      finally:
        glm.release(locking.LEVEL_CLUSTER)

  workers = [threading.Thread(target=_Run, args=(ops, ), daemon=True)
             for ops in schedules]
  for worker in workers:
    worker.start()
  end = time.monotonic() + DEADLINE
  for worker in workers:
    worker.join(max(0.0, end - time.monotonic()))
  assert not any(worker.is_alive() for worker in workers), "deadlock"
  rows = glm.GetLockInfo()
  assert all(row["mode"] is None and row["pending"] == [] for row in rows)


# --- LockAttemptTimeoutStrategy ----------------------------------------------

class _FakeClock(object):
  def __init__(self):
    self.now = 1000.0

  def __call__(self):
    return self.now


def test_strategy_grows_from_min_to_max_without_jitter():
  strategy = locking.LockAttemptTimeoutStrategy(_time_fn=_FakeClock(),
                                                _random_fn=lambda: 0.5)
  timeouts = [strategy.NextAttempt() for _ in range(40)]
  assert timeouts[0] == pytest.approx(constants.LOCK_ATTEMPTS_MINWAIT)
  assert timeouts[1] == pytest.approx((1.0 * 1.05) ** 1.25)
  assert all(b >= a for (a, b) in zip(timeouts, timeouts[1:]))
  assert max(timeouts) == pytest.approx(constants.LOCK_ATTEMPTS_MAXWAIT)
  assert timeouts[-1] == pytest.approx(constants.LOCK_ATTEMPTS_MAXWAIT)


def test_strategy_jitter_stays_within_five_percent():
  low = locking.LockAttemptTimeoutStrategy(_random_fn=lambda: 0.0)
  high = locking.LockAttemptTimeoutStrategy(_random_fn=lambda: 1.0)
  assert low.NextAttempt() == pytest.approx(0.95)
  assert high.NextAttempt() == pytest.approx(1.05)


def test_strategy_turns_blocking_after_total_timeout():
  strategy = locking.LockAttemptTimeoutStrategy(_time_fn=_FakeClock(),
                                                _random_fn=lambda: 0.5)
  total = 0.0
  count = 0
  while True:
    timeout = strategy.NextAttempt()
    if timeout is None:
      break
    total += timeout
    count += 1
    assert count < 100000, "never turned blocking"
  assert total >= constants.LOCK_ATTEMPTS_TIMEOUT
  assert total - constants.LOCK_ATTEMPTS_TIMEOUT <= \
    constants.LOCK_ATTEMPTS_MAXWAIT
  assert strategy.NextAttempt() is None


def test_strategy_turns_blocking_when_the_clock_says_so():
  clock = _FakeClock()
  strategy = locking.LockAttemptTimeoutStrategy(_time_fn=clock,
                                                _random_fn=lambda: 0.5)
  assert strategy.NextAttempt() is not None
  clock.now += constants.LOCK_ATTEMPTS_TIMEOUT
  assert strategy.NextAttempt() is None
  clock.now = 0
  assert strategy.NextAttempt() is None


def test_strategy_defaults_use_real_clock_and_random():
  strategy = locking.LockAttemptTimeoutStrategy()
  first = strategy.NextAttempt()
  assert 0.95 <= first <= 1.05
