"""Tests for ganeti.jqueue_job: the in-memory job model and its file form."""

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import jqueue_job
from ganeti import opcodes


OP_STATUSES = sorted(constants.OP_STATUS_ALL)


def _SpecStatus(statuses):
  """opcodes.md 2.5, written independently of the implementation."""
  for status in statuses:
    if status in (constants.OP_STATUS_CANCELING, constants.OP_STATUS_ERROR,
                  constants.OP_STATUS_CANCELED):
      return status
  active = [s for s in statuses if s in (constants.OP_STATUS_WAITING,
                                         constants.OP_STATUS_RUNNING)]
  if active:
    return active[-1]
  if all(s == constants.OP_STATUS_SUCCESS for s in statuses):
    return constants.JOB_STATUS_SUCCESS
  return constants.JOB_STATUS_QUEUED


@given(st.lists(st.sampled_from(OP_STATUSES), min_size=1, max_size=8))
def test_status_derivation_matches_the_spec(statuses):
  assert jqueue_job.CalcJobStatus(statuses) == _SpecStatus(statuses)


@pytest.mark.parametrize("statuses, expected", [
  (["success", "success"], "success"),
  (["success", "queued"], "queued"),
  (["queued", "queued"], "queued"),
  (["success", "waiting", "queued"], "waiting"),
  (["running", "waiting"], "waiting"),
  (["waiting", "running"], "running"),
  (["success", "error", "error"], "error"),
  (["canceling", "canceling"], "canceling"),
  (["canceled"], "canceled"),
  (["running", "error"], "error"),
  ])
def test_status_derivation_examples(statuses, expected):
  assert jqueue_job.CalcJobStatus(statuses) == expected


def test_status_derivation_refuses_unknown_status():
  with pytest.raises(errors.ProgrammerError, match="Unknown opcode status"):
    jqueue_job.CalcJobStatus(["queued", "sleeping"])


def _Job(count=2, job_id=5, **kwargs):
  return jqueue_job._QueuedJob(None, job_id, [
    opcodes.OpTestDelay(duration=idx, **kwargs) for idx in range(count)])


def test_new_job():
  job = _Job(2, job_id="7", priority=constants.OP_PRIO_HIGH)
  assert job.id == 7
  assert job.CalcStatus() == constants.JOB_STATUS_QUEUED
  assert job.CalcPriority() == constants.OP_PRIO_HIGH
  assert job.log_serial == 0
  assert len(job.received_timestamp) == 2
  assert job.start_timestamp is None and job.end_timestamp is None
  assert not job.IsFinalized()
  assert "id=7" in repr(job)


def test_job_needs_opcodes():
  with pytest.raises(errors.GenericError, match="at least one"):
    jqueue_job._QueuedJob(None, 1, [])
  with pytest.raises(errors.ProgrammerError, match="opcode object"):
    jqueue_job._QueuedJob(None, 1, [{"OP_ID": "OP_TEST_DELAY"}])
  with pytest.raises(errors.ParameterError):
    jqueue_job._QueuedJob(None, "abc", [opcodes.OpTestDelay(duration=1)])


def test_priority_is_that_of_unfinished_opcodes():
  job = _Job(3)
  job.ops[0].priority = -15
  job.ops[1].priority = 5
  assert job.CalcPriority() == -15
  job.ops[0].status = constants.OP_STATUS_SUCCESS
  assert job.CalcPriority() == 0
  for op in job.ops:
    op.status = constants.OP_STATUS_SUCCESS
  assert job.CalcPriority() == constants.OP_PRIO_DEFAULT


def test_log_entries_and_serials():
  job = _Job(2)
  first = job.AddLogEntry(job.ops[0], constants.ELOG_MESSAGE, "a")
  job.AddLogEntry(job.ops[1], constants.ELOG_REMOTE_IMPORT, {"x": (1, 2)})
  job.AddLogEntry(job.ops[1], constants.ELOG_MESSAGE, object())
  assert first[0] == 1 and first[2] == "message" and first[3] == "a"
  assert [e[0] for e in job.GetLogEntries(None)] == [1, 2, 3]
  assert [e[0] for e in job.GetLogEntries(1)] == [2, 3]
  assert job.GetLogEntries(3) == []
  assert job.ops[1].log[0][3] == {"x": [1, 2]}
  assert job.ops[1].log[1][3].startswith("<object")
  with pytest.raises(errors.ProgrammerError, match="unknown log entry type"):
    job.AddLogEntry(job.ops[0], "shout", "x")


def test_cancel_rules():
  job = _Job(2)
  assert job.Cancel() == (True, "Job 5 canceled")
  assert [op.status for op in job.ops] == ["canceled", "canceled"]
  assert [op.result for op in job.ops] == ["Job canceled by request"] * 2
  assert job.end_timestamp is not None
  assert job.Cancel() == (False, "Job 5 is no longer waiting in the queue")

  job = _Job(2)
  job.ops[0].status = constants.OP_STATUS_WAITING
  assert job.Cancel() == (True, "Job 5 will be canceled")
  assert [op.status for op in job.ops] == ["canceling", "canceling"]
  assert job.end_timestamp is None
  assert job.Cancel()[0] is False

  job = _Job(2)
  job.ops[0].status = constants.OP_STATUS_RUNNING
  assert job.Cancel()[0] is False
  assert job.ops[0].status == "running"


def test_mark_unfinished_refuses_inconsistent_jobs():
  job = _Job(3)
  job.ops[2].status = constants.OP_STATUS_SUCCESS
  with pytest.raises(errors.ProgrammerError, match="finished opcode after"):
    job.MarkUnfinishedOps(constants.OP_STATUS_ERROR, None)


def test_get_info_and_unknown_fields():
  job = _Job(1)
  assert job.GetInfo(["id", "status", "start_ts"]) == [5, "queued", None]
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: foo, bar"):
    job.GetInfo(["id", "foo", "bar"])
  assert jqueue_job.GetQueryRow(9, None, ["status", "id"]) == \
    [[constants.RS_UNAVAIL, None], [constants.RS_NORMAL, 9]]


def test_serialize_restore_roundtrip():
  job = _Job(2)
  job.ops[0].status = constants.OP_STATUS_SUCCESS
  job.ops[0].result = {"a": [1]}
  job.ops[0].start_timestamp = [1, 2]
  job.AddLogEntry(job.ops[0], constants.ELOG_MESSAGE, "hi")
  job.ops[1].priority = -13
  data = json.loads(json.dumps(job.Serialize()))
  assert data["id"] == 5
  copy = jqueue_job._QueuedJob.Restore("q", data)
  assert copy.queue == "q"
  assert copy.Serialize() == job.Serialize()
  assert copy.log_serial == 1
  assert copy.CalcPriority() == -13


def _Data(**changes):
  data = _Job(1).Serialize()
  data = json.loads(json.dumps(data))
  for (key, value) in changes.items():
    if key.startswith("op_"):
      data["ops"][0][key[3:]] = value
    else:
      data[key] = value
  return data


@pytest.mark.parametrize("data, match", [
  ("x", "not an object"),
  ({"ops": []}, "lacks 'id'"),
  ({"id": 1}, "lacks 'ops'"),
  (_Data(id=-1), "Invalid job ID"),
  (_Data(ops=[]), "non-empty list"),
  (_Data(ops={}), "non-empty list"),
  (_Data(ops=["x"]), "not an object"),
  (_Data(ops=[{"input": {"OP_ID": "OP_TEST_DELAY"}}]), "lacks status"),
  (_Data(op_input={"OP_ID": "OP_NONE"}), "cannot be loaded"),
  (_Data(op_status="done"), "Unknown opcode status"),
  (_Data(op_log="x"), "log is not a list"),
  (_Data(op_log=[[1, [1, 2], "message"]]), "Invalid log entry"),
  (_Data(op_log=[[True, [1, 2], "message", "x"]]), "Invalid log serial"),
  (_Data(op_log=[[1, None, "message", "x"]]), "no timestamp"),
  (_Data(op_log=[[1, [1, 2], 3, "x"]]), "Invalid log type"),
  (_Data(op_priority=-21), "Invalid opcode priority"),
  (_Data(op_priority="0"), "Invalid opcode priority"),
  (_Data(op_start_timestamp=[1]), "opcode start_timestamp"),
  (_Data(end_timestamp=[1.5, 2]), "end_timestamp"),
  (_Data(received_timestamp="yesterday"), "received_timestamp"),
  ])
def test_restore_refuses_corrupt_data(data, match):
  with pytest.raises(errors.JobFileCorrupted, match=match):
    jqueue_job._QueuedJob.Restore(None, data)


def test_restore_accepts_string_ids_and_missing_optional_keys():
  data = _Data(id="5")
  for key in ("result", "log", "priority", "start_timestamp",
              "exec_timestamp", "end_timestamp"):
    del data["ops"][0][key]
  job = jqueue_job._QueuedJob.Restore(None, data)
  assert job.id == 5
  assert job.ops[0].log == [] and job.ops[0].priority == 0


def test_timestamp_now():
  before = time.time()
  (sec, usec) = jqueue_job.TimeStampNow()
  assert int(before) <= sec <= time.time()
  assert 0 <= usec < 1000000


def test_encode_op_error():
  assert jqueue_job.EncodeOpError(errors.OpPrereqError("x", "wrong_input")) \
    == ["OpPrereqError", ["x", "wrong_input"]]
  assert jqueue_job.EncodeOpError(ValueError("bad")) == \
    ["OpExecError", ["ValueError: bad"]]
  encoded = jqueue_job.EncodeOpError(errors.OpExecError("x", {1, 2}))
  assert encoded[0] == "OpExecError" and encoded[1][0] == "x"
  assert isinstance(encoded[1][1], str)
  assert jqueue_job.IsSerializable([1, "a", None])
  assert not jqueue_job.IsSerializable(set())
