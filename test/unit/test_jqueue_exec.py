"""Tests for ganeti.jqueue_exec: the job processor's status machine and the
dependency manager.

The state machine drives the real `_JobProcessor` and `_QueuedJob` with a
scripted opcode executor (the outcome of each worker turn is chosen by
hypothesis) and checks them against a plain model of opcodes.md 2.5.
"""

import json
import os
import struct
import threading

import pytest
from hypothesis import settings, HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize,
                                 invariant, precondition, rule)

from ganeti import constants
from ganeti import errors
from ganeti import jqueue_exec
from ganeti import jqueue_job
from ganeti import mcpu
from ganeti import opcodes


Q = constants.OP_STATUS_QUEUED
W = constants.OP_STATUS_WAITING
R = constants.OP_STATUS_RUNNING
CING = constants.OP_STATUS_CANCELING
CED = constants.OP_STATUS_CANCELED
S = constants.OP_STATUS_SUCCESS
E = constants.OP_STATUS_ERROR
FINAL = constants.OPS_FINALIZED


class _TwoShots:
  """Two lock attempts per priority level."""
  def __init__(self):
    self._left = [0.01, 0.01]

  def NextAttempt(self):
    return self._left.pop() if self._left else None


class _FakeQueue:
  """Just what the processor needs from a JobQueue."""
  def __init__(self):
    self._lock = threading.Lock()
    self.writes = []
    self.depmgr = jqueue_exec._JobDependencyManager(lambda job_id: None,
                                                    lambda jobs: None)

  def _IsManagedUnlocked(self, job):
    return True

  def _UpdateJobUnlocked(self, job, replicate=True):
    assert self._lock.locked(), "job written without the queue lock"
    self.writes.append(json.loads(json.dumps(job.Serialize())))


def _ModelStatus(statuses):
  for status in statuses:
    if status in (CING, E, CED):
      return status
  active = [s for s in statuses if s in (W, R)]
  if active:
    return active[-1]
  if all(s == S for s in statuses):
    return S
  return Q


class JobStatusMachine(RuleBasedStateMachine):
  """Worker turns and cancels on one job, against a model."""

  @initialize(prios=st.lists(
    st.one_of(st.integers(constants.OP_PRIO_HIGHEST,
                          constants.OP_PRIO_HIGHEST + 2),
              st.integers(constants.OP_PRIO_HIGHEST,
                          constants.OP_PRIO_LOWEST)),
    min_size=1, max_size=4))
  def setup(self, prios):
    self.queue = _FakeQueue()
    self.job = jqueue_job._QueuedJob(self.queue, 1, [
      opcodes.OpTestDelay(duration=0) for _ in prios])
    # internal priorities, as found in a job file after lock timeouts
    for (op, prio) in zip(self.job.ops, prios):
      op.priority = prio
    self.model = [Q] * len(prios)
    self.prio = list(prios)
    self.blocking = [False] * len(prios)
    self.timeouts = [0] * len(prios)
    self.frozen = None
    self.outcome = None

  def _Current(self):
    for (idx, status) in enumerate(self.model):
      if status not in FINAL:
        return idx
    return None

  def _ExecFn(self, op, cbs, timeout=None, priority=None):
    outcome = self.outcome
    idx = self._Current()
    assert priority == self.prio[idx]
    if outcome == "timeout":
      if timeout is not None:
        raise mcpu.LockAcquireTimeout("scripted")
      outcome = "success"
    if outcome == "cancel_in_locks":
      with self.queue._lock:
        assert self.job.Cancel()[0]
        self.queue._UpdateJobUnlocked(self.job)
      cbs.CheckCancel()
      raise AssertionError("CheckCancel did not raise")
    cbs.CheckCancel()
    cbs.NotifyStart()
    if outcome == "feedback":
      cbs.Feedback("message %s" % idx)
      cbs.Feedback(constants.ELOG_REMOTE_IMPORT, {"idx": idx})
      return idx
    if outcome == "fail":
      raise errors.OpExecError("scripted failure")
    return {"done": idx}

  def _Active(self):
    return _ModelStatus(self.model) not in FINAL

  @precondition(lambda self: not self._Active())
  @rule(outcome=st.sampled_from(["success", "fail", "cancel_in_locks"]))
  def poke_finalized_job(self, outcome):
    # a stale worker turn or a late cancel must not touch a finished job
    self.outcome = outcome
    proc = jqueue_exec._JobProcessor(self.queue, self._ExecFn, self.job,
                                     _TwoShots)
    assert proc() == proc.FINISHED
    with self.queue._lock:
      assert self.job.Cancel()[0] is False

  @precondition(lambda self: self._Active())
  @rule(outcome=st.sampled_from(["success", "feedback", "fail", "timeout",
                                 "timeout", "timeout", "cancel_in_locks"]))
  def turn(self, outcome):
    self.outcome = outcome
    proc = jqueue_exec._JobProcessor(self.queue, self._ExecFn, self.job,
                                     _TwoShots)
    result = proc()
    idx = self._Current()
    if idx is None:
      assert result == proc.FINISHED
      return
    model = self.model
    if model[idx] == CING:
      self._Finish(idx, CED)
      assert result == proc.FINISHED
      return
    model[idx] = W
    if outcome == "timeout" and not self.blocking[idx]:
      # every second timeout exhausts the strategy
      self.timeouts[idx] += 1
      if self.timeouts[idx] == 2:
        self.timeouts[idx] = 0
        if self.prio[idx] > constants.OP_PRIO_HIGHEST:
          self.prio[idx] -= 1
        else:
          self.blocking[idx] = True
      assert result == proc.DEFER
      return
    if outcome in ("success", "feedback", "timeout"):
      model[idx] = S
      if idx == len(model) - 1:
        assert result == proc.FINISHED
      else:
        assert result == proc.DEFER
    elif outcome == "fail":
      model[idx] = E
      for other in range(idx + 1, len(model)):
        model[other] = E
      assert result == proc.FINISHED
    else:
      self._Finish(idx, CED)
      assert result == proc.FINISHED

  def _Finish(self, idx, status):
    for other in range(idx, len(self.model)):
      self.model[other] = status

  @precondition(lambda self: self._Active())
  @rule()
  def cancel(self):
    # as JobQueue.CancelJob does
    with self.queue._lock:
      (success, _) = self.job.Cancel()
      if success:
        self.queue._UpdateJobUnlocked(self.job)
    status = _ModelStatus(self.model)
    assert success == (status in (Q, W))
    if status == Q:
      idx = self._Current()
      self._Finish(idx, CED)
    elif status == W:
      for idx in range(len(self.model)):
        if self.model[idx] not in FINAL:
          self.model[idx] = CING

  @invariant()
  def statuses_match_the_model(self):
    job = self.job
    assert [op.status for op in job.ops] == self.model
    assert job.CalcStatus() == _ModelStatus(self.model)
    assert [op.priority for op in job.ops] == self.prio
    unfinished = [p for (p, s) in zip(self.prio, self.model)
                  if s not in FINAL]
    assert job.CalcPriority() == min(unfinished, default=0)

  @invariant()
  def results_and_timestamps_fit_the_status(self):
    job = self.job
    for (idx, op) in enumerate(job.ops):
      if op.status == S:
        assert op.result is not None and op.end_timestamp is not None
      elif op.status == E:
        assert errors.GetEncodedError(op.result) is not None
      elif op.status == CED:
        assert op.result == jqueue_job.CANCEL_RESULT
      elif op.status == R:
        raise AssertionError("opcode %d left running" % idx)
    if job.IsFinalized():
      assert job.end_timestamp is not None
    else:
      assert job.end_timestamp is None
    serials = [entry[0] for entry in job.GetLogEntries(None)]
    assert serials == list(range(1, len(serials) + 1))

  @invariant()
  def finalized_jobs_never_change(self):
    if not self.job.IsFinalized():
      return
    snapshot = json.dumps(self.job.Serialize(), sort_keys=True)
    if self.frozen is None:
      self.frozen = snapshot
    assert snapshot == self.frozen

  @invariant()
  def file_form_round_trips(self):
    data = json.loads(json.dumps(self.job.Serialize()))
    copy = jqueue_job._QueuedJob.Restore(None, data)
    assert copy.Serialize() == data
    if self.queue.writes:
      assert self.queue.writes[-1] == data or not self.job.IsFinalized()


JobStatusMachine.TestCase.settings = settings(
  max_examples=100, stateful_step_count=25, deadline=None,
  suppress_health_check=[HealthCheck.too_slow])
TestJobStatusMachine = JobStatusMachine.TestCase


# -- Dependency manager --------------------------------------------------------

class _Job:
  def __init__(self, job_id):
    self.id = job_id

  def __repr__(self):
    return "<job %s>" % self.id


@pytest.fixture
def depmgr():
  statuses = {}
  enqueued = []
  mgr = jqueue_exec._JobDependencyManager(statuses.get, enqueued.extend)
  mgr.statuses = statuses
  mgr.enqueued = enqueued
  return mgr


def test_depmgr_waits_and_notifies(depmgr):
  job = _Job(2)
  depmgr.statuses[1] = constants.JOB_STATUS_RUNNING
  (result, msg) = depmgr.CheckAndRegister(job, 1, ["success"])
  assert result == depmgr.WAIT
  assert msg == "Need to wait for job 1, wanted status 'success'"
  assert depmgr.JobWaiting(job)
  assert depmgr.GetWaitingJobIds() == {1: [2]}
  depmgr.statuses[1] = constants.JOB_STATUS_SUCCESS
  depmgr.NotifyWaiters(1)
  assert depmgr.enqueued == [job]
  assert not depmgr.JobWaiting(job)
  depmgr.NotifyWaiters(1)
  assert depmgr.enqueued == [job]
  assert depmgr.CheckAndRegister(job, 1, ["success"]) == \
    (depmgr.CONTINUE, "Dependency job 1 finished with status 'success'")


@pytest.mark.parametrize("status, wanted, expected", [
  ("success", [], "CONTINUE"),
  ("error", [], "CONTINUE"),
  ("canceled", [], "CANCEL"),
  ("canceled", ["canceled"], "CONTINUE"),
  ("canceled", ["success"], "CANCEL"),
  ("error", ["success"], "WRONGSTATUS"),
  ("success", ["error", "canceled"], "WRONGSTATUS"),
  ("queued", [], "WAIT"),
  ("waiting", [], "WAIT"),
  ("canceling", [], "WAIT"),
  ])
def test_depmgr_rules(depmgr, status, wanted, expected):
  depmgr.statuses[1] = status
  (result, msg) = depmgr.CheckAndRegister(_Job(2), 1, wanted)
  assert result == getattr(depmgr, expected)
  if expected == "WRONGSTATUS":
    assert msg == ("Dependency job 1 finished with status '%s', not one of"
                   " '%s' as required" % (status, ",".join(wanted)))
  elif expected == "CANCEL":
    assert msg == "Dependency job 1 was cancelled"


def test_depmgr_self_unknown_and_canceling(depmgr):
  job = _Job(3)
  assert depmgr.CheckAndRegister(job, 3, []) == \
    (depmgr.ERROR, "Job can't depend on itself")
  assert depmgr.CheckAndRegister(job, 9, []) == \
    (depmgr.ERROR, "Dependency job 9 not found")
  depmgr.statuses[3] = constants.JOB_STATUS_CANCELING
  depmgr.statuses[1] = constants.JOB_STATUS_RUNNING
  assert depmgr.CheckAndRegister(job, 1, [])[0] == depmgr.CANCEL
  assert not depmgr.JobWaiting(job)


def test_depmgr_release(depmgr):
  job = _Job(2)
  other = _Job(4)
  depmgr.statuses[1] = constants.JOB_STATUS_RUNNING
  depmgr.CheckAndRegister(job, 1, [])
  depmgr.CheckAndRegister(other, 1, [])
  assert depmgr.ReleaseJob(job) is True
  assert depmgr.enqueued == [job]
  assert depmgr.ReleaseJob(job) is False
  assert depmgr.GetWaitingJobIds() == {1: [4]}
  assert depmgr.ReleaseJob(other) is True
  assert depmgr.GetWaitingJobIds() == {}


def test_processor_finishes_finalized_jobs_without_writing():
  queue = _FakeQueue()
  job = jqueue_job._QueuedJob(queue, 1, [opcodes.OpTestDelay(duration=0)])
  with queue._lock:
    job.Cancel()
  proc = jqueue_exec._JobProcessor(queue, None, job, _TwoShots)
  assert proc() == proc.FINISHED
  assert queue.writes == []


def test_processor_refuses_a_lock_timeout_without_timeout():
  queue = _FakeQueue()
  job = jqueue_job._QueuedJob(queue, 1, [opcodes.OpTestDelay(duration=0)])

  def _Exec(op, cbs, timeout=None, priority=None):
    raise mcpu.LockAcquireTimeout("no")
  proc = jqueue_exec._JobProcessor(queue, _Exec, job, lambda: _Blocking())
  with pytest.raises(errors.ProgrammerError, match="no timeout"):
    proc()


class _Blocking:
  def NextAttempt(self):
    return None


def _RawEvent(name, mask=0x80, cookie=0):
  """A struct inotify_event as the kernel writes it (name NUL-padded)."""
  raw = name.encode() + b"\0" * (16 - len(name) % 16) if name else b""
  return struct.pack("iIII", 1, mask, cookie, len(raw)) + raw


def test_inotify_events_are_parsed_in_order():
  data = (_RawEvent("job-1") + _RawEvent(".job-1.new1x2y", mask=0x8) +
          _RawEvent("job-12345678") + _RawEvent(""))
  assert jqueue_exec.ParseInotifyEvents(data) == [
    "job-1", ".job-1.new1x2y", "job-12345678"]
  assert jqueue_exec.ParseInotifyEvents(b"") == []


def test_inotify_queue_overflow_wakes_everyone():
  data = _RawEvent("job-1") + _RawEvent("", mask=0x4000)
  assert jqueue_exec.ParseInotifyEvents(data) is None


def test_watcher_wakes_a_waiter_on_rename_into_place(tmp_path):
  watcher = jqueue_exec.JobFileWatcher(str(tmp_path))
  try:
    with watcher.Watch(str(tmp_path / "job-7")) as waiter:
      other = tmp_path / "job-8"
      other.write_text("x")
      assert not waiter.Wait(0.3)
      tmp = tmp_path / ".job-7.new"
      tmp.write_text("{}")
      os.rename(str(tmp), str(tmp_path / "job-7"))
      assert waiter.Wait(5)
  finally:
    watcher.Close()
