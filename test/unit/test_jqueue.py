"""Tests for ganeti.jqueue: the job queue with real mcpu, locks and config.

Every queue runs on a virtual node below tmp_path with a real ConfigWriter,
a real GanetiLockManager, the real mcpu.Processor and LUTestDelay /
LUTestJqueue. Threads holding cluster locks and queues are always stopped
by the ``env`` fixture (holders first, so no job stays blocked).
"""

import json
import logging
import os
import socket
import threading
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import jqueue
from ganeti import jqueue_exec
from ganeti import jqueue_job
from ganeti import jstore
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import utils
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"

FINAL = constants.JOBS_FINALIZED


def _MakeConfig(path):
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="192.0.2.254", master_netdev="eth0", master_netmask=24,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set())

  def _Node(name, idx):
    return objects.Node(name=name, primary_ip="192.0.2.%d" % idx,
                        secondary_ip="192.0.2.%d" % idx,
                        master_candidate=(idx == 1), offline=False,
                        drained=False, master_capable=True, vm_capable=True,
                        ndparams={})
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=str(path))
  cfg = config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


class _Context:
  def __init__(self, cfg, glm, rpc):
    self.cfg = cfg
    self.glm = glm
    self.rpc = rpc
    self.jobqueue = None


class _Strategy:
  """Lock timeout strategy handing out given timeouts, then None."""
  def __init__(self, timeouts):
    self._timeouts = list(timeouts)

  def NextAttempt(self):
    if self._timeouts:
      return self._timeouts.pop(0)
    return None


def _Blocking():
  return _Strategy([])


def _FastRising():
  # two short attempts per priority level, then the priority rises
  return _Strategy([0.01, 0.01])


def _Retrying():
  # short attempts for ever (as far as a test is concerned)
  return _Strategy([0.02] * 100000)


class _Holder:
  """A thread holding cluster locks until released."""
  def __init__(self, glm):
    self.glm = glm
    self.held = threading.Event()
    self.go = threading.Event()
    self.thread = None

  def Start(self, level, names):
    def _Run():
      self.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
      try:
        self.glm.acquire(level, names)
        self.held.set()
        self.go.wait(30)
      finally:
        for lvl in reversed(locking.LEVELS):
          if self.glm.is_owned(lvl):
            self.glm.release(lvl)
    self.thread = threading.Thread(target=_Run, name="holder")
    self.thread.start()
    assert self.held.wait(5), "holder did not get its locks"

  def Release(self):
    self.go.set()
    if self.thread is not None:
      self.thread.join(10)
      assert not self.thread.is_alive()


class _Env:
  """Builds queues on the virtual node; tears everything down."""
  def __init__(self, root, ctx):
    self.root = root
    self.ctx = ctx
    self.queues = []
    self.holders = []
    self.replicated = []
    self.renamed = []

  def Replicate(self, filename, content):
    self.replicated.append((filename, content))

  def Rename(self, renames):
    self.renamed.extend(renames)

  def Queue(self, workers=4, strategy=_Blocking, **kwargs):
    queue = jqueue.JobQueue(self.ctx, replication_fn=self.Replicate,
                            rename_fn=self.Rename,
                            _timeout_strategy_factory=strategy,
                            _num_workers=workers, **kwargs)
    self.queues.append(queue)
    return queue

  def Hold(self, level, names):
    holder = _Holder(self.ctx.glm)
    self.holders.append(holder)
    holder.Start(level, names)
    return holder

  def Close(self):
    for holder in self.holders:
      holder.Release()
    for queue in self.queues:
      queue.Shutdown()


@pytest.fixture
def vnode(as_node):
  return as_node(MASTER)


@pytest.fixture
def env(vnode, tmp_path):
  cfg = _MakeConfig(tmp_path / "config.data")
  glm = locking.GanetiLockManager(cfg.GetNodeList(), cfg.GetNodeGroupList(),
                                  cfg.GetInstanceList())
  ctx = _Context(cfg, glm, local_rpc.LocalRpcRunner(cfg, MASTER))
  result = _Env(vnode, ctx)
  yield result
  result.Close()


def _WaitFor(fn, timeout=10.0, what="condition"):
  deadline = time.monotonic() + timeout
  while True:
    value = fn()
    if value:
      return value
    if time.monotonic() > deadline:
      raise AssertionError("Timed out waiting for %s (last value %r)"
                           % (what, value))
    time.sleep(0.01)


def _Field(queue, job_id, field):
  return queue.QueryJobs([job_id], [field])[0][0]


def _WaitStatus(queue, job_id, statuses, timeout=10.0):
  return _WaitFor(lambda: _Field(queue, job_id, "status") in statuses and
                  _Field(queue, job_id, "status"), timeout,
                  "job %s in %s" % (job_id, sorted(statuses)))


def _WaitFinal(queue, job_id):
  """Wait until the job is finished in memory and in its file.

  The file follows the queue's memory right after the queue lock is
  released, so a test reading it must wait for it too.

  """
  status = _WaitStatus(queue, job_id, FINAL)
  _WaitFile(job_id, lambda data: all(op["status"] in FINAL
                                     for op in data["ops"]),
            "job %s finished in its file" % job_id)
  return status


def _WaitFile(job_id, predicate, what):
  """Wait until the job file (in the queue or archived) satisfies predicate."""
  def _Check():
    for archived in (False, True):
      try:
        data = _ReadJobFile(job_id, archived=archived)
      except FileNotFoundError:
        continue
      return data if predicate(data) else None
    return None
  return _WaitFor(_Check, what=what)


def _ReadJobFile(job_id, archived=False):
  if archived:
    path = jstore.GetArchivedJobFilename(job_id)
  else:
    path = jstore.GetJobFilename(job_id)
  with open(path) as handle:
    text = handle.read()
  assert text.endswith("\n")
  assert not any(line != line.rstrip() for line in text.splitlines())
  return json.loads(text)


def _Delay(duration=0, **kwargs):
  return opcodes.OpTestDelay(duration=duration, **kwargs)


def _NodeDelay(**kwargs):
  return opcodes.OpTestDelay(duration=0, on_master=False, on_nodes=[MASTER],
                             **kwargs)


# -- Submission and execution --------------------------------------------------

def test_job_runs_to_success_and_file_has_the_spec_format(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(0, repeat=2), _Delay(0)])
  assert isinstance(job_id, int)
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_SUCCESS

  data = _ReadJobFile(job_id)
  assert set(data) == set(["id", "ops", "received_timestamp",
                           "start_timestamp", "end_timestamp"])
  assert data["id"] == job_id
  for key in ("received_timestamp", "start_timestamp", "end_timestamp"):
    assert len(data[key]) == 2 and all(isinstance(i, int) for i in data[key])
  assert len(data["ops"]) == 2
  for op in data["ops"]:
    assert set(op) == set(["input", "status", "result", "log", "priority",
                           "start_timestamp", "exec_timestamp",
                           "end_timestamp"])
    assert op["status"] == constants.OP_STATUS_SUCCESS
    assert op["input"]["OP_ID"] == "OP_TEST_DELAY"
    assert op["priority"] == constants.OP_PRIO_DEFAULT
    assert op["start_timestamp"] <= op["exec_timestamp"] <= \
      op["end_timestamp"]
  log = data["ops"][0]["log"]
  assert [entry[0] for entry in log] == [1, 2]
  assert log[0][2] == constants.ELOG_MESSAGE
  assert "Test delay iteration 0/1" in log[0][3]
  assert data["ops"][1]["log"] == []
  assert data["received_timestamp"] <= data["start_timestamp"] <= \
    data["end_timestamp"]


def test_ids_are_consecutive_and_serial_is_written_first(env):
  queue = env.Queue()
  first = queue.SubmitJob([_Delay()])
  second = queue.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
  assert second == first + 1
  # the serial file reserves a block of ids ahead, written before the
  # first of them is used; ids inside the block need no further write
  reserved = first + jqueue.SERIAL_BLOCK - 1
  assert jstore.ReadSerial() == reserved
  names = [os.path.basename(name) for (name, _) in env.replicated]
  assert names.index("serial") < names.index("job-%d" % first)
  serial_writes = [content for (name, content) in env.replicated
                   if name == pathutils.JOB_QUEUE_SERIAL_FILE]
  assert serial_writes == ["%d\n" % reserved]
  # SubmitManyJobs crossing the block's end reserves the next block
  many = queue.SubmitManyJobs([[_Delay()]] * jqueue.SERIAL_BLOCK)
  ids = [job_id for (ok, job_id) in many]
  assert all(ok for (ok, _) in many)
  assert ids == list(range(second + 1, second + 1 + jqueue.SERIAL_BLOCK))
  assert jstore.ReadSerial() == ids[-1] + jqueue.SERIAL_BLOCK - 1


def _FailJobWrites(monkeypatch, job_ids):
  """Make writing the files of these jobs fail as on a full disk."""
  real = jstore.JobFileWriter.Write
  names = set(jstore.GetJobFilename(job_id) for job_id in job_ids)

  def _Write(self, file_name, data):
    if file_name in names:
      raise OSError(28, "No space left on device")
    return real(self, file_name, data)
  monkeypatch.setattr(jstore.JobFileWriter, "Write", _Write)


def test_readers_are_told_only_what_is_on_disk(env, monkeypatch):
  """QueryJobs and WaitForJobChanges wait for the job file: a client must
  never see a state that a crash of the master could take back."""
  queue = env.Queue()
  real = jstore.JobFileWriter.Write

  def _SlowWrite(self, file_name, data):
    if os.path.basename(file_name).startswith("job-"):
      time.sleep(0.05)
    return real(self, file_name, data)
  monkeypatch.setattr(jstore.JobFileWriter, "Write", _SlowWrite)

  job_id = queue.SubmitJob([_Delay(0)])
  prev = None
  while True:
    result = queue.WaitForJobChanges(job_id, ["status"], prev, None, 10)
    (prev, _) = result
    on_disk = jqueue_job.CalcJobStatus(
      [op["status"] for op in _ReadJobFile(job_id)["ops"]])
    assert on_disk == prev[0]
    if prev[0] in FINAL:
      break
  # the first time QueryJobs says a job is finished, its file says so too
  job_id = queue.SubmitJob([_Delay(0)])
  while True:
    status = _Field(queue, job_id, "status")
    if status in FINAL:
      break
    time.sleep(0.001)
  assert _ReadJobFile(job_id)["ops"][0]["status"] == status


def test_submit_whose_file_cannot_be_written_is_refused(env, monkeypatch):
  queue = env.Queue()
  first = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, first)
  _FailJobWrites(monkeypatch, [first + 1])
  with pytest.raises(errors.JobQueueError,
                     match="Cannot write job %d: .*No space" % (first + 1)):
    queue.SubmitJob([_Delay()])
  # the job is forgotten, never run, and the queue goes on
  assert queue.QueryJobs([first + 1], ["status"]) == [[None]]
  assert not os.path.exists(jstore.GetJobFilename(first + 1))
  third = queue.SubmitJob([_Delay()])
  assert third == first + 2
  assert _WaitFinal(queue, third) == "success"


def test_submit_many_reports_each_unwritable_job(env, monkeypatch):
  queue = env.Queue()
  first = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, first)
  _FailJobWrites(monkeypatch, [first + 2])
  results = queue.SubmitManyJobs([[_Delay()], [_Delay()], [_Delay()]])
  assert results[0] == [True, first + 1]
  assert results[1][0] is False
  assert "Cannot write job %d" % (first + 2) in results[1][1]
  assert results[2] == [True, first + 3]
  for job_id in (first + 1, first + 3):
    assert _WaitFinal(queue, job_id) == "success"
  assert queue.QueryJobs([first + 2], ["status"]) == [[None]]


def test_failed_opcode_fails_the_rest(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(0), _Delay(-1), _Delay(0)])
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_ERROR
  (opstatus, opresult, end_ts) = queue.QueryJobs(
    [job_id], ["opstatus", "opresult", "end_ts"])[0]
  assert opstatus == ["success", "error", "error"]
  assert opresult[0] is None
  assert opresult[1][0] == "OpExecError"
  assert "negative" in opresult[1][1][0]
  assert opresult[2] == ["OpExecError", ["Preceding opcode failed"]]
  assert end_ts is not None
  errors.GetEncodedError(opresult[1])


def test_invalid_parameters_fail_at_execution(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([{"OP_ID": "OP_TEST_DELAY"}])
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_ERROR
  result = _Field(queue, job_id, "opresult")[0]
  assert result[0] == "OpPrereqError"
  assert "duration" in result[1][0]


def test_defaults_show_in_stored_opcodes_after_execution(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
  _WaitFinal(queue, job_id)
  stored = _ReadJobFile(job_id)["ops"][0]["input"]
  assert stored["on_master"] is True
  assert stored["repeat"] == 0


def test_job_fields_of_a_finished_job(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(0, priority=constants.OP_PRIO_LOW)])
  _WaitFinal(queue, job_id)
  fields = sorted(jqueue.JOB_FIELDS)
  row = dict(zip(fields, queue.QueryJobs([str(job_id)], fields)[0]))
  assert row["id"] == job_id
  assert row["status"] == "success"
  assert row["priority"] == constants.OP_PRIO_DEFAULT
  assert row["oppriority"] == [constants.OP_PRIO_LOW]
  assert row["summary"] == ["TEST_DELAY(0)"]
  assert row["ops"][0]["OP_ID"] == "OP_TEST_DELAY"
  assert row["opstatus"] == ["success"]
  assert row["opresult"] == [None]
  assert row["oplog"] == [[]]
  for name in ("opstart", "opexec", "opend"):
    assert len(row[name]) == 1 and len(row[name][0]) == 2
  for name in ("received_ts", "start_ts", "end_ts"):
    assert len(row[name]) == 2
  assert len(jqueue.JOB_FIELDS) == 15


def test_query_jobs_lists_and_unknown_ids(env):
  queue = env.Queue()
  ids = [queue.SubmitJob([_Delay()]) for _ in range(3)]
  for job_id in ids:
    _WaitFinal(queue, job_id)
  assert queue.QueryJobs(None, ["id"]) == [[i] for i in ids]
  assert queue.QueryJobs([], ["id", "status"]) == \
    [[i, "success"] for i in ids]
  assert queue.QueryJobs([ids[2], 999, ids[0]], ["id", "status", "end_ts"]) \
    == [[ids[2], "success", _Field(queue, ids[2], "end_ts")],
        [999, None, None], [ids[0], "success", _Field(queue, ids[0],
                                                        "end_ts")]]


def test_query_jobs_query2_marks_unavailable_values(env):
  queue = env.Queue(workers=1)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  blocker = queue.SubmitJob([_NodeDelay()])
  waiting = queue.SubmitJob([_Delay()])
  _WaitStatus(queue, blocker, ["waiting"])
  rows = queue.QueryJobsQuery2([waiting, 12345], ["id", "start_ts", "status"])
  assert rows[0] == [[constants.RS_NORMAL, waiting],
                     [constants.RS_UNAVAIL, None],
                     [constants.RS_NORMAL, "queued"]]
  assert rows[1] == [[constants.RS_NORMAL, 12345],
                     [constants.RS_UNAVAIL, None],
                     [constants.RS_UNAVAIL, None]]
  holder.Release()
  _WaitFinal(queue, waiting)


@pytest.mark.parametrize("fields, match", [
  (["id", "nosuchfield"], "Unknown output fields selected: nosuchfield"),
  ("status", "list of field names"),
  ([1], "list of field names"),
  ])
def test_query_jobs_bad_fields(env, fields, match):
  queue = env.Queue()
  with pytest.raises(errors.OpPrereqError, match=match) as exc:
    queue.QueryJobs(None, fields)
  assert exc.value.args[1] == errors.ECODE_INVAL


@pytest.mark.parametrize("job_ids", [["abc"], [-1], [True], "1"])
def test_query_jobs_bad_ids(env, job_ids):
  queue = env.Queue()
  with pytest.raises(errors.ParameterError):
    queue.QueryJobs(job_ids, ["id"])


@pytest.mark.parametrize("ops, match", [
  ([], "at least one opcode"),
  ("OP_TEST_DELAY", "list of opcodes"),
  (None, "list of opcodes"),
  ([{"OP_ID": "OP_NO_SUCH"}], "OP_NO_SUCH unsupported"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 1, "bogus": 1}], "bogus"),
  ([{"duration": 1}], "no OP_ID"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 0, "priority": 5}],
   "Opcode 0 has invalid priority 5"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 0, "priority": -20}],
   "invalid priority -20"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 0, "depends": [[-1, []]]}],
   "invalid dependencies"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 0, "depends": [[1, ["bad"]]]}],
   "invalid dependencies"),
  ([{"OP_ID": "OP_TEST_DELAY", "duration": 0, "depends": "1"}],
   "invalid dependencies"),
  ])
def test_submit_job_refuses_bad_input(env, ops, match):
  queue = env.Queue()
  with pytest.raises(errors.GenericError, match=match):
    queue.SubmitJob(ops)
  assert jstore.ListJobIds() == []
  # the id was used up; the next job gets a new one
  assert queue.SubmitJob([_Delay()]) == 2


def test_submit_many_jobs_reports_per_job(env):
  queue = env.Queue()
  result = queue.SubmitManyJobs([
    [_Delay(0)],
    [{"OP_ID": "OP_TEST_DELAY", "duration": 0, "priority": 3}],
    [_Delay(0, depends=[[-2, ["success"]]])],
    [_Delay(0, depends=[[-9, []]])],
    [],
    ])
  assert result[0] == [True, 1]
  assert result[1][0] is False
  assert result[1][1] == ("Opcode 0 has invalid priority 3, allowed are"
                          " -10, 0, 10; opcodes TEST_DELAY(0)")
  assert result[2] == [True, 3]
  assert result[3] == [False, "Unable to resolve relative job ID -9"]
  assert result[4][0] is False and "at least one opcode" in result[4][1]
  assert _ReadJobFile(3)["ops"][0]["input"]["depends"] == [[1, ["success"]]]
  assert _WaitFinal(queue, 3) == constants.JOB_STATUS_SUCCESS
  assert queue.SubmitJob([_Delay()]) == 6


def test_submit_many_jobs_needs_a_list(env):
  queue = env.Queue()
  with pytest.raises(errors.GenericError, match="list of jobs"):
    queue.SubmitManyJobs("jobs")
  assert queue.SubmitManyJobs([]) == []


def test_unexpected_exception_becomes_opexecerror(env, monkeypatch):
  def _Explode(self, op, cbs, timeout=None, priority=None):
    raise KeyError("surprise")
  monkeypatch.setattr(mcpu.Processor, "ExecOpCode", _Explode)
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(), _Delay()])
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_ERROR
  result = _Field(queue, job_id, "opresult")
  assert result[0] == ["OpExecError", ["KeyError: 'surprise'"]]
  assert result[1] == ["OpExecError", ["Preceding opcode failed"]]


def test_unserialisable_result_is_an_error(env, monkeypatch):
  monkeypatch.setattr(mcpu.Processor, "ExecOpCode",
                      lambda self, op, cbs, **kwargs: object())
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay()])
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_ERROR
  result = _Field(queue, job_id, "opresult")[0]
  assert result[0] == "OpResultError"
  assert "cannot be stored as JSON" in result[1][0]


def test_error_with_unserialisable_arguments_is_stored_as_text(env,
                                                                monkeypatch):
  def _Fail(self, op, cbs, **kwargs):
    raise errors.OpExecError("bad thing", object())
  monkeypatch.setattr(mcpu.Processor, "ExecOpCode", _Fail)
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, job_id)
  result = _Field(queue, job_id, "opresult")[0]
  assert result[0] == "OpExecError"
  assert result[1][0] == "bad thing"
  assert result[1][1].startswith("<object object")


def test_processing_bug_fails_the_job(env, monkeypatch):
  def _Broken(self):
    raise RuntimeError("processor bug")
  monkeypatch.setattr(jqueue._JobProcessor, "__call__", _Broken)
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay()])
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_ERROR
  assert _Field(queue, job_id, "opresult") == \
    [["OpExecError", ["RuntimeError: processor bug"]]]


def _JqueueTestClient(queue, job_id, seen):
  """Answer LUTestJqueue's notifications, as gnt-debug test-jobqueue does."""
  prev_info = None
  prev_serial = None
  deadline = time.monotonic() + 15
  while time.monotonic() < deadline:
    answer = queue.WaitForJobChanges(job_id, ["status"], prev_info,
                                     prev_serial, 5)
    if answer is None:
      return
    if answer == constants.JOB_NOTCHANGED:
      continue
    (prev_info, entries) = answer
    for (serial, _, log_type, message) in entries:
      prev_serial = serial
      seen.append((log_type, message))
      if log_type == constants.ELOG_JQUEUE_TEST:
        (sock_path, _, _) = message
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
          sock.connect(sock_path)
        finally:
          sock.close()
    if prev_info[0] in FINAL and not entries:
      return


def test_log_messages_from_lu_reach_a_waiting_client(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([
    opcodes.OpTestJqueue(notify_exec=True, log_messages=["one", "two"]),
    opcodes.OpTestJqueue(log_messages=["three"]),
    ])
  seen = []
  client = threading.Thread(target=_JqueueTestClient,
                            args=(queue, job_id, seen))
  client.start()
  client.join(20)
  assert not client.is_alive()
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_SUCCESS
  oplog = _Field(queue, job_id, "oplog")
  serials = [entry[0] for entries in oplog for entry in entries]
  assert serials == list(range(1, len(serials) + 1))
  texts = [message for (log_type, message) in seen
           if log_type == constants.ELOG_MESSAGE]
  for text in ("one", "two", "three"):
    assert any(t.endswith(text) for t in texts), texts
  tests = [message for (log_type, message) in seen
           if log_type == constants.ELOG_JQUEUE_TEST]
  # exec, startmsg and one per message of the first opcode; startmsg and
  # one message of the second
  assert len(tests) == 1 + 1 + 2 + 1 + 1
  assert all(isinstance(message, list) and len(message) == 3
             for message in tests)


def test_feedback_is_written_but_not_replicated(env):
  queue = env.Queue()
  job = queue.SubmitJob([_Delay(0, repeat=5)])
  _WaitFinal(queue, job)
  quiet = queue.SubmitJob([_Delay(0)])
  _WaitFinal(queue, quiet)

  def _Count(job_id):
    name = jstore.GetJobFilename(job_id)
    return len([1 for (fname, _) in env.replicated if fname == name])
  assert _Count(job) == _Count(quiet)
  last = [content for (fname, content) in env.replicated
          if fname == jstore.GetJobFilename(job)][-1]
  assert json.loads(last) == _ReadJobFile(job)


def test_replication_failure_does_not_fail_jobs(env, caplog):
  def _Fail(filename, content):
    raise OSError("candidate unreachable")
  queue = jqueue.JobQueue(env.ctx, replication_fn=_Fail, _num_workers=2,
                          _timeout_strategy_factory=_Blocking)
  env.queues.append(queue)
  with caplog.at_level(logging.ERROR):
    job_id = queue.SubmitJob([_Delay()])
    assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_SUCCESS
  assert "Replicating" in caplog.text


def test_submit_many_jobs_from_an_opcode_callback(env):
  queue = env.Queue()
  parent = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, parent)
  with queue._lock:
    job = queue._jobs[parent]
  cbs = jqueue._OpExecCallbacks(queue, job, job.ops[0])
  result = cbs.SubmitManyJobs([[_Delay()], [_Delay(depends=[[-1, []]])]])
  assert result == [[True, parent + 1], [True, parent + 2]]
  assert _WaitFinal(queue, parent + 2) == constants.JOB_STATUS_SUCCESS
  assert cbs.CurrentPriority() == constants.OP_PRIO_DEFAULT
  with pytest.raises(errors.ProgrammerError, match="Feedback takes"):
    cbs.Feedback("a", "b", "c")
  with pytest.raises(errors.ProgrammerError, match="unknown log entry type"):
    cbs.Feedback("nosuchtype", "text")


def test_lock_owner_name_is_the_job(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, job_id, ["waiting"])

  def _Pending():
    for info in env.ctx.glm.GetLockInfo():
      if info["name"] == "node/%s" % MASTER:
        return [names for (_, names) in info["pending"]]
    return None
  assert _WaitFor(lambda: _Pending() and
                  ["job/%s" % job_id] in _Pending(), what="pending owner")
  holder.Release()
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_SUCCESS


# -- Drain flag, limits, shutdown ---------------------------------------------

def test_drained_queue_refuses_jobs(env):
  queue = env.Queue()
  assert queue.SetDrainFlag(True) is True
  assert jstore.CheckDrainFlag()
  with pytest.raises(errors.JobQueueDrainError) as exc:
    queue.SubmitJob([_Delay()])
  assert exc.value.args == ("Job queue is drained, refusing job", )
  with pytest.raises(errors.JobQueueDrainError):
    queue.SubmitManyJobs([[_Delay()]])
  assert jstore.ReadSerial() == 0
  queue.SetDrainFlag(False)
  assert queue.SubmitJob([_Delay()]) == 1


def test_queue_size_limits(env, monkeypatch, caplog):
  monkeypatch.setattr(jqueue, "JOB_QUEUE_SIZE_HARD_LIMIT", 3)
  monkeypatch.setattr(jqueue, "JOB_QUEUE_SIZE_SOFT_LIMIT", 2)
  queue = env.Queue()
  with caplog.at_level(logging.WARNING):
    ids = [queue.SubmitJob([_Delay()]) for _ in range(3)]
  assert "soft limit of 2" in caplog.text
  with pytest.raises(errors.JobQueueFull, match="full: 3 jobs, the limit"
                     " is 3"):
    queue.SubmitJob([_Delay()])
  result = queue.SubmitManyJobs([[_Delay(1)]])
  assert result[0][0] is False
  assert "Job queue is full" in result[0][1]
  assert result[0][1].endswith("; opcodes TEST_DELAY(1)")
  for job_id in ids:
    _WaitFinal(queue, job_id)
  assert queue.ArchiveJob(ids[0])
  assert queue.SubmitJob([_Delay()]) == 6


def test_prepare_shutdown_and_shutdown(env):
  queue = env.Queue(workers=1)
  running = queue.SubmitJob([_Delay(0.5)])
  queued = queue.SubmitJob([_Delay()])
  _WaitStatus(queue, running, ["running"])
  assert queue.PrepareShutdown() is True
  with pytest.raises(errors.JobQueueError, match="shutting down"):
    queue.SubmitJob([_Delay()])
  with pytest.raises(errors.JobQueueError, match="shutting down"):
    queue.SubmitManyJobs([[_Delay()]])
  _WaitFor(lambda: queue.PrepareShutdown() is False, what="idle queue")
  assert _Field(queue, running, "status") == "success"
  assert _Field(queue, queued, "status") == "queued"
  queue.Shutdown()
  # the queued job runs after a restart
  queue2 = env.Queue()
  assert _WaitFinal(queue2, queued) == constants.JOB_STATUS_SUCCESS


def test_second_queue_on_the_same_directory_is_refused(env, monkeypatch):
  env.Queue()
  monkeypatch.setattr(jqueue, "QUEUE_LOCK_TIMEOUT", 0.2)
  with pytest.raises(errors.LockError):
    jqueue.JobQueue(env.ctx, _num_workers=1)


def test_default_worker_count(env):
  queue = jqueue.JobQueue(env.ctx)
  env.queues.append(queue)
  assert len(queue._wpool.GetWorkerInfo()) == jqueue.JOBQUEUE_THREADS == 25


# -- WaitForJobChanges ---------------------------------------------------------

def test_wait_unknown_job_gives_none(env):
  queue = env.Queue()
  assert queue.WaitForJobChanges(42, ["status"], None, None, 0.1) is None


def test_wait_finished_job_returns_at_once(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(0, repeat=2)])
  _WaitFinal(queue, job_id)
  start = time.monotonic()
  (info, log) = queue.WaitForJobChanges(job_id, ["status"], None, None, 10)
  assert info == ["success"]
  assert [entry[0] for entry in log] == [1, 2]
  # nothing new, but finished: still answered at once
  assert queue.WaitForJobChanges(str(job_id), ["status"], ["success"], 2,
                                 10) == [["success"], []]
  assert queue.WaitForJobChanges(job_id, ["status"], ["success"], 1,
                                 10)[1][0][0] == 2
  assert time.monotonic() - start < 2


def test_wait_times_out_with_nochange_and_wakes_on_change(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, job_id, ["waiting"])
  fields = ["status", "opstatus"]
  current = queue.QueryJobs([job_id], fields)[0]
  start = time.monotonic()
  assert queue.WaitForJobChanges(job_id, fields, current, None, 0.3) == \
    constants.JOB_NOTCHANGED
  elapsed = time.monotonic() - start
  assert 0.25 <= elapsed < 2

  answers = []
  waiter = threading.Thread(target=lambda: answers.append(
    queue.WaitForJobChanges(job_id, fields, current, None, 20)))
  waiter.start()
  time.sleep(0.2)
  assert not answers
  start = time.monotonic()
  holder.Release()
  waiter.join(10)
  assert not waiter.is_alive()
  assert time.monotonic() - start < 5
  assert answers[0] != constants.JOB_NOTCHANGED
  assert answers[0][0] != current


def test_wait_with_changed_info_returns_at_once(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, job_id, ["waiting"])
  assert queue.WaitForJobChanges(job_id, ["status"], ["queued"], None,
                                 10) == [["waiting"], []]
  assert queue.WaitForJobChanges(job_id, ["status"], None, None,
                                 10) == [["waiting"], []]
  holder.Release()


def test_wait_sees_archiving(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, job_id)
  assert queue.ArchiveJob(job_id)
  assert queue.WaitForJobChanges(job_id, ["status"], None, None, 1) == \
    [["success"], []]


@pytest.mark.parametrize("args, exc", [
  (("x", ["status"], None, None, 1), errors.ParameterError),
  ((1, ["nosuch"], None, None, 1), errors.OpPrereqError),
  ((1, ["status"], None, None, "1"), errors.ParameterError),
  ((1, ["status"], None, "2", 1), errors.ParameterError),
  ])
def test_wait_bad_arguments(env, args, exc):
  queue = env.Queue()
  with pytest.raises(exc):
    queue.WaitForJobChanges(*args)


def test_file_waiter_wakes_on_rename_and_ignores_other_files(vnode):
  jstore.EnsureQueueDirs()
  target = jstore.GetJobFilename(5)
  other = jstore.GetJobFilename(6)
  watcher = jqueue_exec.JobFileWatcher(os.path.dirname(target))
  try:
    _WaitWithWatcher(watcher, target, other)
  finally:
    watcher.Close()
  # every registration is gone once its waiter closed
  assert watcher._waiters == {}  # pylint: disable=W0212


def _WaitWithWatcher(watcher, target, other):
  with watcher.Watch(target) as waiter:
    start = time.monotonic()
    assert waiter.Wait(0.2) is False
    assert time.monotonic() - start >= 0.15
    timer = threading.Timer(0.2, utils.WriteFile, args=(other, ),
                            kwargs={"data": "x"})
    timer.start()
    try:
      assert waiter.Wait(0.6) is False
    finally:
      timer.join()
    timer = threading.Timer(0.1, utils.WriteFile, args=(target, ),
                            kwargs={"data": "x"})
    timer.start()
    try:
      start = time.monotonic()
      assert waiter.Wait(10) is True
      assert time.monotonic() - start < 5
    finally:
      timer.join()


def test_file_waiter_on_missing_directory_fails_clearly(tmp_path):
  with pytest.raises(errors.InotifyError, match="Cannot watch"):
    jqueue_exec.JobFileWatcher(str(tmp_path / "nodir"))


def test_stopped_watcher_refuses_new_waiters(vnode):
  jstore.EnsureQueueDirs()
  watcher = jqueue_exec.JobFileWatcher(pathutils.QUEUE_DIR)
  watcher.Close()
  watcher.Close()
  with pytest.raises(errors.InotifyError, match="stopped"):
    watcher.Watch(jstore.GetJobFilename(1))


def test_private_watch_for_callers_without_a_queue(vnode):
  jstore.EnsureQueueDirs()
  target = jstore.GetJobFilename(9)
  with jqueue_exec._PrivateWatch(target) as waiter:
    timer = threading.Timer(0.1, utils.WriteFile, args=(target, ),
                            kwargs={"data": "x"})
    timer.start()
    try:
      assert waiter.Wait(10) is True
    finally:
      timer.join()


def test_wait_falls_back_to_polling_without_inotify(env, monkeypatch,
                                                    caplog):
  def _NoInotify(directory):
    raise errors.InotifyError("no inotify here")
  monkeypatch.setattr(jqueue_exec, "JobFileWatcher", _NoInotify)
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, job_id, ["waiting"])
  with caplog.at_level(logging.WARNING):
    assert queue.WaitForJobChanges(job_id, ["status"], ["waiting"], None,
                                   0.3) == constants.JOB_NOTCHANGED
  assert "falls back to polling" in caplog.text
  holder.Release()


# -- Cancel --------------------------------------------------------------------

def test_cancel_queued_job(env):
  queue = env.Queue(workers=1, strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  blocker = queue.SubmitJob([_NodeDelay()])
  victim = queue.SubmitJob([_Delay(), _Delay()])
  _WaitStatus(queue, blocker, ["waiting"])
  assert queue.CancelJob(victim) == (True, "Job %s canceled" % victim)
  (status, opstatus, opresult, end_ts) = queue.QueryJobs(
    [victim], ["status", "opstatus", "opresult", "end_ts"])[0]
  assert status == "canceled"
  assert opstatus == ["canceled", "canceled"]
  assert opresult == ["Job canceled by request"] * 2
  assert end_ts is not None
  assert _ReadJobFile(victim)["ops"][0]["status"] == "canceled"
  assert queue.CancelJob(victim) == \
    (False, "Job %s is no longer waiting in the queue" % victim)
  holder.Release()
  assert _WaitFinal(queue, blocker) == "success"
  queue.PrepareShutdown()
  _WaitFor(lambda: not queue.PrepareShutdown(), what="idle queue")
  assert _Field(queue, victim, "opstatus") == ["canceled", "canceled"]


def test_cancel_waiting_job(env):
  queue = env.Queue(strategy=_Retrying)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay(), _Delay()])
  _WaitStatus(queue, job_id, ["waiting"])
  assert queue.CancelJob(str(job_id)) == \
    (True, "Job %s will be canceled" % job_id)
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_CANCELED
  assert _Field(queue, job_id, "opresult") == ["Job canceled by request"] * 2
  holder.Release()


def test_cancel_job_blocked_on_locks_ends_when_locks_come(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, job_id, ["waiting"])
  assert queue.CancelJob(job_id)[0]
  assert _Field(queue, job_id, "status") == "canceling"
  holder.Release()
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_CANCELED
  # it never ran
  assert _Field(queue, job_id, "opexec") == [None]


def test_cancel_running_finished_and_unknown(env):
  queue = env.Queue()
  job_id = queue.SubmitJob([_Delay(0.5)])
  _WaitStatus(queue, job_id, ["running"])
  assert queue.CancelJob(job_id) == \
    (False, "Job %s is no longer waiting in the queue" % job_id)
  assert _WaitFinal(queue, job_id) == "success"
  assert queue.CancelJob(job_id)[0] is False
  assert queue.CancelJob(999) == (False, "Job 999 not found")
  with pytest.raises(errors.ParameterError):
    queue.CancelJob("x")


# -- Priorities (design 2.3) ---------------------------------------------------

def test_priority_rises_on_lock_timeouts_until_blocking(env):
  queue = env.Queue(strategy=_FastRising)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  job_id = queue.SubmitJob([_NodeDelay(priority=constants.OP_PRIO_LOW),
                            _Delay()])
  _WaitStatus(queue, job_id, ["waiting"])
  _WaitFor(lambda: _Field(queue, job_id, "priority") < constants.OP_PRIO_LOW,
           what="first priority increase")
  _WaitFor(lambda: _Field(queue, job_id, "priority") ==
           constants.OP_PRIO_HIGHEST, what="highest priority")
  assert _Field(queue, job_id, "status") == "waiting"
  assert _Field(queue, job_id, "oppriority") == \
    [constants.OP_PRIO_HIGHEST, constants.OP_PRIO_DEFAULT]
  # the file follows the queue's memory right after the lock is released
  stored = _WaitFile(job_id, lambda data: data["ops"][0]["priority"] ==
                    constants.OP_PRIO_HIGHEST,
                    "the raised priority in the job file")
  # the submitted opcode keeps its priority; only the queue's copy rose
  assert stored["ops"][0]["input"]["priority"] == constants.OP_PRIO_LOW
  holder.Release()
  assert _WaitFinal(queue, job_id) == constants.JOB_STATUS_SUCCESS
  assert _Field(queue, job_id, "priority") == constants.OP_PRIO_DEFAULT


def test_op_exec_context_priority_steps():
  class _Op:
    priority = 2
    input = opcodes.OpTestDelay(duration=0)
  op = _Op()
  ctx = jqueue._OpExecContext(op, 0, "test", lambda: _Strategy([1.0, 2.0]))
  assert ctx.GetNextLockTimeout() == 1.0
  assert ctx.CheckPriorityIncrease() is False
  assert ctx.GetNextLockTimeout() == 2.0
  assert ctx.CheckPriorityIncrease() is True
  assert op.priority == 1
  assert ctx.GetNextLockTimeout() == 1.0
  op.priority = constants.OP_PRIO_HIGHEST
  ctx.CheckPriorityIncrease()
  assert ctx.CheckPriorityIncrease() is False
  assert op.priority == constants.OP_PRIO_HIGHEST
  assert ctx.GetNextLockTimeout() is None


def test_urgent_jobs_run_first(env):
  queue = env.Queue(workers=1, strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  blocker = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, blocker, ["waiting"])
  low = queue.SubmitJob([_Delay(priority=constants.OP_PRIO_LOW)])
  high = queue.SubmitJob([_Delay(priority=constants.OP_PRIO_HIGH)])
  holder.Release()
  _WaitFinal(queue, low)
  _WaitFinal(queue, high)
  assert _Field(queue, high, "end_ts") <= _Field(queue, low, "start_ts")


# -- Dependencies --------------------------------------------------------------

def _DepJob(queue, dep_id, statuses, **kwargs):
  return queue.SubmitJob([_Delay(depends=[[dep_id, statuses]], **kwargs)])


def test_dependency_waits_for_success(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  first = queue.SubmitJob([_NodeDelay()])
  second = _DepJob(queue, str(first), [constants.JOB_STATUS_SUCCESS])
  _WaitStatus(queue, second, ["waiting"])
  time.sleep(0.1)
  assert _Field(queue, second, "status") == "waiting"
  assert queue.depmgr.GetWaitingJobIds() == {first: [second]}
  holder.Release()
  assert _WaitFinal(queue, second) == constants.JOB_STATUS_SUCCESS
  assert _Field(queue, second, "start_ts") <= _Field(queue, first, "end_ts")
  assert _Field(queue, second, "opexec")[0] >= _Field(queue, first, "end_ts")
  assert queue.depmgr.GetWaitingJobIds() == {}


@pytest.mark.parametrize("dep_ops, statuses, outcome", [
  ([_Delay(-1)], ["success"], "error"),
  ([_Delay(-1)], ["error"], "success"),
  ([_Delay(-1)], [], "success"),
  ([_Delay(0)], ["success", "error"], "success"),
  ([_Delay(0)], ["error"], "error"),
  ([_Delay(0)], ["canceled"], "error"),
  ])
def test_dependency_rules_on_finished_jobs(env, dep_ops, statuses, outcome):
  queue = env.Queue()
  first = queue.SubmitJob(dep_ops)
  dep_status = _WaitFinal(queue, first)
  second = _DepJob(queue, first, statuses)
  assert _WaitFinal(queue, second) == outcome
  if outcome == "error":
    assert _Field(queue, second, "opresult") == [
      ["OpExecError", ["Dependency job %s finished with status '%s', not one"
                       " of '%s' as required" % (first, dep_status,
                                                 ",".join(statuses))]]]


def test_dependency_on_canceled_job(env):
  queue = env.Queue(workers=1, strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  blocker = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, blocker, ["waiting"])
  canceled = queue.SubmitJob([_Delay()])
  assert queue.CancelJob(canceled)[0]
  needs_success = _DepJob(queue, canceled, ["success"])
  accepts_cancel = _DepJob(queue, canceled, ["canceled"])
  holder.Release()
  assert _WaitFinal(queue, needs_success) == constants.JOB_STATUS_CANCELED
  assert _WaitFinal(queue, accepts_cancel) == constants.JOB_STATUS_SUCCESS


def test_dependency_on_itself_and_unknown_jobs(env):
  queue = env.Queue()
  own_id = jstore.ReadSerial() + 1
  selfish = _DepJob(queue, own_id, [])
  assert selfish == own_id
  assert _WaitFinal(queue, selfish) == "error"
  assert _Field(queue, selfish, "opresult")[0] == \
    ["OpExecError", ["Job can't depend on itself"]]
  lost = _DepJob(queue, 999, ["success"])
  assert _WaitFinal(queue, lost) == "error"
  assert _Field(queue, lost, "opresult")[0] == \
    ["OpExecError", ["Dependency job 999 not found"]]


def test_dependency_on_archived_job(env):
  queue = env.Queue()
  first = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, first)
  assert queue.ArchiveJob(first)
  second = _DepJob(queue, first, ["success"])
  assert _WaitFinal(queue, second) == "success"


def test_relative_dependencies_chain(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  result = queue.SubmitManyJobs([
    [_NodeDelay()],
    [_Delay(depends=[[-1, ["success"]]])],
    [_Delay(depends=[[-1, ["success"]], [-2, []]])],
    ])
  ids = [job_id for (_, job_id) in result]
  assert all(ok for (ok, _) in result)
  assert _ReadJobFile(ids[2])["ops"][0]["input"]["depends"] == \
    [[ids[1], ["success"]], [ids[0], []]]
  _WaitStatus(queue, ids[2], ["waiting"])
  holder.Release()
  for job_id in ids:
    assert _WaitFinal(queue, job_id) == "success"
  ends = [_Field(queue, job_id, "end_ts") for job_id in ids]
  assert ends == sorted(ends)


def test_cancel_job_waiting_for_dependency(env):
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  first = queue.SubmitJob([_NodeDelay()])
  second = _DepJob(queue, first, [])
  _WaitFor(lambda: queue.depmgr.GetWaitingJobIds(), what="parked job")
  assert queue.CancelJob(second) == (True, "Job %s will be canceled" % second)
  assert _WaitFinal(queue, second) == constants.JOB_STATUS_CANCELED
  assert queue.depmgr.GetWaitingJobIds() == {}
  holder.Release()
  assert _WaitFinal(queue, first) == "success"


# -- Archive -------------------------------------------------------------------

def test_archive_job(env):
  queue = env.Queue(strategy=_Blocking)
  job_id = queue.SubmitJob([_Delay()])
  _WaitFinal(queue, job_id)
  assert queue.ArchiveJob(str(job_id)) is True
  assert not os.path.exists(jstore.GetJobFilename(job_id))
  assert _ReadJobFile(job_id, archived=True)["id"] == job_id
  assert os.path.dirname(jstore.GetArchivedJobFilename(job_id)).endswith(
    "/archive/0")
  assert env.renamed == [(jstore.GetJobFilename(job_id),
                          jstore.GetArchivedJobFilename(job_id))]
  assert queue.QueryJobs(None, ["id"]) == []
  assert queue.QueryJobs([job_id], ["id", "status"]) == [[job_id, "success"]]
  assert queue.ArchiveJob(job_id) is False
  assert queue.ArchiveJob(999) is False

  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  busy = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, busy, ["waiting"])
  assert queue.ArchiveJob(busy) is False
  holder.Release()
  _WaitFinal(queue, busy)


def _JobData(job_id, statuses, received=None, start=None, end=None,
             priority=0, logs=None):
  ops = []
  for (idx, status) in enumerate(statuses):
    ops.append({
      "input": {"OP_ID": "OP_TEST_DELAY", "duration": 0, "priority": 0},
      "status": status,
      "result": None,
      "log": (logs or {}).get(idx, []),
      "priority": priority,
      "start_timestamp": start,
      "exec_timestamp": None,
      "end_timestamp": None,
      })
  return {"id": job_id, "ops": ops,
          "received_timestamp": received or [int(time.time()), 0],
          "start_timestamp": start, "end_timestamp": end}


def _WriteJob(job_id, statuses, **kwargs):
  jstore.EnsureQueueDirs()
  data = _JobData(job_id, statuses, **kwargs)
  utils.WriteFile(jstore.GetJobFilename(job_id), data=json.dumps(data))
  return data


def test_auto_archive_by_age(env):
  now = int(time.time())
  old = [now - 7200, 0]
  recent = [now - 60, 0]
  _WriteJob(1, ["success"], received=old, end=old)
  _WriteJob(2, ["success"], received=old, end=recent)
  _WriteJob(3, ["error"], received=old, start=old)
  _WriteJob(4, ["canceled"], received=old)
  _WriteJob(5, ["success"], received=recent)
  queue = env.Queue()
  assert queue.AutoArchiveJobs(3600, 10) == (3, 0)
  assert queue.QueryJobs(None, ["id"]) == [[2], [5]]
  for job_id in (1, 3, 4):
    assert os.path.exists(jstore.GetArchivedJobFilename(job_id))
  assert queue.AutoArchiveJobs(-1, 10) == (2, 0)
  assert queue.QueryJobs(None, ["id"]) == []


def test_auto_archive_skips_unfinished_and_batches(env):
  old = [int(time.time()) - 100, 0]
  for job_id in range(1, 26):
    _WriteJob(job_id, ["success"], received=old, end=old)
  queue = env.Queue(strategy=_Blocking)
  holder = env.Hold(locking.LEVEL_NODE, [MASTER])
  busy = queue.SubmitJob([_NodeDelay()])
  _WaitStatus(queue, busy, ["waiting"])
  assert queue.AutoArchiveJobs(-1, 30) == (25, 0)
  assert queue.QueryJobs(None, ["id"]) == [[busy]]
  holder.Release()


def test_auto_archive_timeout_leaves_jobs_unexamined(env):
  for job_id in range(1, 4):
    _WriteJob(job_id, ["success"], end=[1, 0])
  queue = env.Queue()
  assert queue.AutoArchiveJobs(0, -1) == (0, 3)
  with pytest.raises(errors.ParameterError, match="age"):
    queue.AutoArchiveJobs("6h", 10)
  with pytest.raises(errors.ParameterError, match="timeout"):
    queue.AutoArchiveJobs(10, None)


def test_archive_directory_for_large_ids(env):
  _WriteJob(123456, ["success"], end=[1, 0])
  queue = env.Queue()
  assert queue.ArchiveJob(123456)
  assert os.path.exists(os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "12",
                                     "job-123456"))


# -- Restart -------------------------------------------------------------------

def test_restart_settles_every_state(env):
  start = [int(time.time()) - 10, 0]
  _WriteJob(1, ["queued", "queued"])
  _WriteJob(2, ["success", "waiting", "queued"], start=start,
            priority=-5)
  _WriteJob(3, ["success", "running", "queued"], start=start,
            logs={0: [[1, start, "message", "hello"]]})
  _WriteJob(4, ["canceling", "canceling"], start=start)
  _WriteJob(5, ["success"], start=start, end=start)
  _WriteJob(6, ["error", "error"], start=start, end=start)
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="6\n")
  queue = env.Queue()
  assert _WaitFinal(queue, 1) == "success"
  assert _WaitFinal(queue, 2) == "success"
  assert _Field(queue, 2, "oppriority") == [-5, -5, -5]
  assert _Field(queue, 3, "status") == "error"
  assert _Field(queue, 3, "opstatus") == ["success", "error", "error"]
  assert _Field(queue, 3, "opresult")[1:] == \
    [["OpExecError", ["Unclean master daemon shutdown"]]] * 2
  assert _Field(queue, 3, "end_ts") is not None
  assert _Field(queue, 3, "oplog")[0] == [[1, start, "message", "hello"]]
  assert _Field(queue, 4, "opstatus") == ["canceled", "canceled"]
  assert _Field(queue, 4, "opresult") == ["Job canceled by request"] * 2
  assert _Field(queue, 5, "status") == "success"
  assert _Field(queue, 6, "status") == "error"
  # the settled states are on disk (and were replicated)
  assert [op["status"] for op in _ReadJobFile(3)["ops"]] == \
    ["success", "error", "error"]
  replicated = [os.path.basename(name) for (name, _) in env.replicated]
  assert "job-3" in replicated and "job-4" in replicated
  assert queue.SubmitJob([_Delay()]) == 7


def test_restart_keeps_log_serials_growing(env):
  start = [int(time.time()), 0]
  _WriteJob(1, ["success", "queued"], start=start,
            logs={0: [[1, start, "message", "a"], [2, start, "message", "b"]]})
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="1\n")
  queue = env.Queue()
  _WaitFinal(queue, 1)
  job_id = queue.SubmitJob([_Delay(0, repeat=2)])
  _WaitFinal(queue, job_id)
  oplog = _Field(queue, 1, "oplog")
  assert [e[0] for e in oplog[0]] == [1, 2]


@pytest.mark.parametrize("content", [
  "not json",
  "[1, 2]",
  json.dumps({"id": 1}),
  json.dumps({"id": 2, "ops": []}),
  json.dumps({"id": "x", "ops": [{}]}),
  json.dumps(dict(_JobData(1, ["bogus"]))),
  json.dumps(dict(_JobData(1, ["queued"]), ops=[{"status": "queued"}])),
  json.dumps(dict(_JobData(1, ["queued"]), received_timestamp="now")),
  json.dumps(_JobData(1, ["queued"], priority=99)),
  json.dumps(_JobData(1, ["queued"], logs={0: [[0, [1, 0], "message",
                                                "x"]]})),
  json.dumps(_JobData(1, ["queued"], logs={0: ["x"]})),
  json.dumps(_JobData(77, ["queued"])),
  json.dumps(dict(_JobData(1, ["queued"]),
                  ops=[{"input": {"OP_ID": "OP_NOPE"}, "status": "queued"}])),
  ])
def test_corrupt_job_files_are_moved_to_the_archive(env, content, caplog):
  jstore.EnsureQueueDirs()
  utils.WriteFile(jstore.GetJobFilename(1), data=content)
  _WriteJob(2, ["queued"])
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="2\n")
  with caplog.at_level(logging.ERROR):
    queue = env.Queue()
  assert "unusable job file" in caplog.text
  assert not os.path.exists(jstore.GetJobFilename(1))
  assert utils.ReadFile(jstore.GetArchivedJobFilename(1)) == content
  assert _WaitFinal(queue, 2) == "success"
  assert queue.QueryJobs(None, ["id"]) == [[2]]
  assert queue.SubmitJob([_Delay()]) == 3


def test_serial_never_reused_across_restarts(env):
  queue = env.Queue()
  ids = [queue.SubmitJob([_Delay()]) for _ in range(2)]
  for job_id in ids:
    _WaitFinal(queue, job_id)
  assert queue.ArchiveJob(ids[1])
  queue.Shutdown()
  queue = env.Queue()
  # numbering continues behind the reserved block: never an id twice
  assert queue.SubmitJob([_Delay()]) == 1 + jqueue.SERIAL_BLOCK


def test_serial_behind_the_job_files_is_corrected(env, caplog):
  _WriteJob(7, ["success"], end=[1, 0])
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="5\n")
  with caplog.at_level(logging.WARNING):
    queue = env.Queue()
  assert "serial file says 5" in caplog.text
  assert jstore.ReadSerial() == 7
  assert queue.SubmitJob([_Delay()]) == 8
  assert jstore.ReadSerial() == 7 + jqueue.SERIAL_BLOCK


def test_string_ids_in_old_job_files_are_accepted(env):
  data = _JobData("3", ["queued"])
  data["ops"][0]["input"]["depends"] = [["1", []]]
  jstore.EnsureQueueDirs()
  _WriteJob(1, ["success"], end=[1, 0])
  utils.WriteFile(jstore.GetJobFilename(3), data=json.dumps(data))
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="3\n")
  queue = env.Queue()
  assert _WaitFinal(queue, "3") == "success"
  assert _ReadJobFile(3)["id"] == 3


def test_load_job_from_disk(env):
  assert jqueue.LoadJobFromDisk(1, True) is None
  _WriteJob(1, ["success"], end=[1, 0])
  job = jqueue.LoadJobFromDisk("1", False)
  assert job.id == 1 and job.queue is None
  assert job.CalcStatus() == "success"
  utils.WriteFile(jstore.GetJobFilename(2), data="garbage")
  assert jqueue.LoadJobFromDisk(2, True) is None
