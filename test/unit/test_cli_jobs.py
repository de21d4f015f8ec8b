"""Tests of ganeti.cli_jobs: opcode options, the job wait loop, JobExecutor.

The master is replaced by scripted answers at the LUXI method boundary
(the same answers a real master gives, per luxi.md 4.2); the real thing
is exercised in test/integration/test_gnt_job.py.
"""

import optparse
import time

import pytest

from ganeti import cli_jobs
from ganeti import cli_output
from ganeti import constants
from ganeti import errors
from ganeti import opcodes


@pytest.fixture
def utc(monkeypatch):
  monkeypatch.setenv("TZ", "UTC")
  time.tzset()
  yield
  monkeypatch.undo()
  time.tzset()


class _ScriptedMaster(cli_jobs.JobPollCbBase):
  """Answers WaitForJobChangeOnce from a script, QueryJobs from a table."""

  def __init__(self, answers, final):
    cli_jobs.JobPollCbBase.__init__(self)
    self.answers = list(answers)
    self.final = final
    self.calls = []

  def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                           prev_log_serial):
    self.calls.append((job_id, fields, prev_job_info, prev_log_serial))
    return self.answers.pop(0)

  def QueryJobs(self, job_ids, fields):
    assert fields == ["status", "opstatus", "opresult"]
    return [self.final]


class _Recorder(cli_jobs.JobPollReportCbBase):
  def __init__(self):
    cli_jobs.JobPollReportCbBase.__init__(self)
    self.events = []

  def ReportLogMessage(self, job_id, serial, timestamp, log_type, log_msg):
    self.events.append(("log", serial, log_msg))

  def ReportNotChanged(self, job_id, status):
    self.events.append(("nochange", status))


_TS = [1357652380, 0]


def test_poll_job_reports_logs_and_returns_results():
  master = _ScriptedMaster([
    constants.JOB_NOTCHANGED,
    [["queued"], []],
    [["running"], [[1, _TS, "message", "first"], [2, _TS, "message", "two"]]],
    constants.JOB_NOTCHANGED,
    [["success"], [[3, _TS, "message", "last"]]],
    [["success"], []],
    ], ["success", ["success"], [42]])
  recorder = _Recorder()
  assert cli_jobs.GenericPollJob(7, master, recorder) == [42]
  assert recorder.events == [("nochange", None), ("log", 1, "first"),
                             ("log", 2, "two"), ("nochange", "running"),
                             ("log", 3, "last")]
  # the client passes back what it has seen (luxi.md 4.2)
  assert master.calls[0] == (7, ["status"], None, None)
  assert master.calls[2] == (7, ["status"], ["queued"], None)
  assert master.calls[3] == (7, ["status"], ["running"], 2)
  assert master.calls[5] == (7, ["status"], ["success"], 3)


def test_poll_job_lost_while_waiting():
  master = _ScriptedMaster([None], None)
  with pytest.raises(errors.JobLost, match="Job with id 9 lost"):
    cli_jobs.GenericPollJob(9, master, _Recorder())


def test_poll_job_lost_after_finishing():
  master = _ScriptedMaster([[["success"], []]], [None, None, None])
  with pytest.raises(errors.JobLost, match="Job with id 9 lost"):
    cli_jobs.GenericPollJob(9, master, _Recorder())


@pytest.mark.parametrize("status", ["canceled", "canceling"])
def test_poll_job_canceled(status):
  master = _ScriptedMaster([[[status], []]], [status, ["canceled"], [None]])
  with pytest.raises(errors.OpExecError, match="^Job was canceled$"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


def test_poll_job_reraises_encoded_error():
  result = ["OpPrereqError", ["Node 'x' not known", "unknown_entity"]]
  master = _ScriptedMaster([[["error"], []]],
                           ["error", ["error"], [result]])
  with pytest.raises(errors.OpPrereqError) as info:
    cli_jobs.GenericPollJob(1, master, _Recorder())
  assert info.value.args == ("Node 'x' not known", "unknown_entity")


def test_poll_job_partial_failure():
  master = _ScriptedMaster([[["error"], []]],
                           ["error", ["success", "error"], [1, "weird"]])
  with pytest.raises(errors.OpExecError,
                     match=r"^partial failure \(opcode 1\): weird$"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


def test_poll_job_plain_failure_message():
  master = _ScriptedMaster([[["error"], []]], ["error", ["error"], ["bad"]])
  with pytest.raises(errors.OpExecError, match="^bad$"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


def test_poll_job_error_without_failed_opcode():
  master = _ScriptedMaster([[["error"], []]], ["error", ["queued"], [None]])
  with pytest.raises(errors.OpExecError, match="ended with status error"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


@pytest.mark.parametrize("answer", [["x"], [["a", "b"], []], "garbage"])
def test_poll_job_malformed_answer(answer):
  master = _ScriptedMaster([answer], None)
  with pytest.raises(errors.OpExecError, match="Malformed answer"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


def test_poll_job_malformed_log_entry():
  master = _ScriptedMaster([[["running"], [["x", _TS]]]], None)
  with pytest.raises(errors.OpExecError, match="Malformed log entry"):
    cli_jobs.GenericPollJob(1, master, _Recorder())


def test_stdio_reporter_format(capsys, utc):
  reporter = cli_jobs.StdioJobPollReportCb()
  reporter.ReportLogMessage(1, 1, [1357652380, 5], "message", "hello")
  reporter.ReportLogMessage(1, 2, [1357652380, 5], "remote-import",
                            {"x": 1})
  for status in ["queued", "queued", "waiting", "waiting", "running", None]:
    reporter.ReportNotChanged(5, status)
  captured = capsys.readouterr()
  assert captured.out == ("Tue Jan  8 13:39:40 2013 hello\n"
                          "Tue Jan  8 13:39:40 2013 {'x': 1}\n")
  assert captured.err == ("Job 5 is waiting in queue\n"
                          "Job 5 is trying to acquire all necessary locks\n")


def test_feedback_reporter_passes_entries():
  seen = []
  reporter = cli_jobs.FeedbackFnJobPollReportCb(seen.append)
  reporter.ReportLogMessage(1, 1, _TS, "message", "m")
  reporter.ReportNotChanged(1, "queued")
  assert seen == [(_TS, "message", "m")]


def test_base_callbacks_must_be_overridden():
  with pytest.raises(errors.ProgrammerError, match="WaitForJobChangeOnce"):
    cli_jobs.JobPollCbBase().WaitForJobChangeOnce(1, [], None, None)
  with pytest.raises(errors.ProgrammerError, match="QueryJobs"):
    cli_jobs.JobPollCbBase().QueryJobs([1], [])
  with pytest.raises(errors.ProgrammerError, match="ReportLogMessage"):
    cli_jobs.JobPollReportCbBase().ReportLogMessage(1, 1, _TS, "m", "x")
  with pytest.raises(errors.ProgrammerError, match="ReportNotChanged"):
    cli_jobs.JobPollReportCbBase().ReportNotChanged(1, None)


def test_format_log_message():
  assert cli_jobs.FormatLogMessage("message", "plain") == "plain"
  assert cli_jobs.FormatLogMessage("message", "a\x01b") == "a\\x01b"
  assert cli_jobs.FormatLogMessage("other", [1, 2]) == "[1, 2]"


# generic options and opcodes

def _Opts(**kwargs):
  return optparse.Values(kwargs)


def test_set_generic_opcode_opts():
  op = opcodes.OpTestDelay(duration=1)
  cli_jobs.SetGenericOpcodeOpts([op], _Opts(debug_level=2, dry_run=True,
                                           priority="low"))
  assert (op.debug_level, op.dry_run, op.priority) == (2, True, 10)
  op.Validate(True)


def test_set_generic_opcode_opts_leaves_unset_alone():
  op = opcodes.OpTestDelay(duration=1)
  cli_jobs.SetGenericOpcodeOpts([op], _Opts(debug_level=0, priority=None))
  assert op.debug_level == 0
  assert not op.IsSet("dry_run") and not op.IsSet("priority")
  cli_jobs.SetGenericOpcodeOpts([op], None)


def test_opcode_args_takes_own_parameters_only():
  opts = _Opts(on_master=False, repeat=3, on_nodes=["n1"], debug_level=1,
               submit_only=True, priority="high")
  kwargs = cli_jobs.OpcodeArgs(opcodes.OpTestDelay, opts, duration=2.0)
  assert kwargs == {"on_master": False, "repeat": 3, "on_nodes": ["n1"],
                    "duration": 2.0}
  opcodes.OpTestDelay(**kwargs).Validate(True)


def test_opcode_command_marks_function():
  @cli_jobs.OpcodeCommand(opcodes.OpTestDelay)
  def fn(opts, args):
    return 0
  assert fn.opcode_class is opcodes.OpTestDelay
  assert fn(None, None) == 0


class _ScriptedClient(object):
  """The LUXI methods the job helpers use, answered from fixed data."""

  def __init__(self, statuses=None, submit_results=None):
    self.submitted = []
    self.statuses = statuses or {}
    self.submit_results = submit_results

  def SubmitJob(self, ops):
    self.submitted.append([op.ToDict() for op in ops])
    return len(self.submitted)

  def SubmitManyJobs(self, jobs):
    for ops in jobs:
      self.submitted.append([op.ToDict() for op in ops])
    return self.submit_results

  def WaitForJobChangeOnce(self, job_id, fields, prev_job_info,
                           prev_log_serial):
    if job_id not in self.statuses:
      return None
    status = self.statuses[job_id][0]
    if prev_job_info == [status]:
      return [[status], []]
    return [[status], [[1, _TS, "message", "msg of %s" % job_id]]]

  def QueryJobs(self, job_ids, fields):
    rows = []
    for job_id in job_ids:
      if job_id not in self.statuses:
        rows.append([None] * len(fields))
        continue
      (status, opstatus, opresult) = self.statuses[job_id]
      row = {"status": status, "opstatus": opstatus, "opresult": opresult}
      rows.append([row[name] for name in fields])
    return rows


def test_submit_or_send_with_submit_raises_job_id():
  client = _ScriptedClient()
  op = opcodes.OpTestDelay(duration=0)
  with pytest.raises(cli_output.JobSubmittedException) as info:
    cli_jobs.SubmitOrSend(op, _Opts(submit_only=True, debug_level=1,
                                    priority="high"), cl=client)
  assert info.value.args == (1, )
  assert client.submitted[0][0]["priority"] == constants.OP_PRIO_HIGH
  assert client.submitted[0][0]["debug_level"] == 1


def test_submit_op_code_waits_for_result(capsys):
  client = _ScriptedClient(statuses={1: ("success", ["success"], ["r"])})
  op = opcodes.OpTestDelay(duration=0)
  assert cli_jobs.SubmitOrSend(op, _Opts(submit_only=False, debug_level=0),
                               cl=client) == "r"
  out = capsys.readouterr().out
  assert "msg of 1" in out and not out.startswith("1\n")


def test_print_jobid_first_line(capsys):
  client = _ScriptedClient(statuses={1: ("success", ["success"], ["r"])})
  opts = _Opts(submit_only=False, debug_level=0, print_jobid=True)
  assert cli_jobs.SubmitOrSend(opcodes.OpTestDelay(duration=0), opts,
                               cl=client) == "r"
  assert capsys.readouterr().out.startswith("1\n")
  opts = _Opts(submit_only=True, debug_level=0, print_jobid=True)
  with pytest.raises(cli_output.JobSubmittedException):
    cli_jobs.SubmitOrSend(opcodes.OpTestDelay(duration=0), opts, cl=client)
  assert capsys.readouterr().out == "2\n"


def test_poll_job_refuses_reporter_and_feedback():
  with pytest.raises(errors.ProgrammerError, match="Can't specify"):
    cli_jobs.PollJob(1, cl=_ScriptedClient(), feedback_fn=print,
                     reporter=_Recorder())


def test_job_executor_results_and_messages(capsys):
  prereq = ["OpPrereqError", ["Node 'x' not known", "unknown_entity"]]
  client = _ScriptedClient(
    statuses={10: ("success", ["success"], ["ok"]),
              12: ("error", ["error"], [prereq])},
    submit_results=[[True, 10], [False, "queue full"], [True, 12]])
  executor = cli_jobs.JobExecutor(cl=client, opts=_Opts(debug_level=0))
  for name in ["a", "b", "c"]:
    executor.QueueJob(name, opcodes.OpTestDelay(duration=0))
  executor.SubmitPending()
  # a job some opcode submitted; the master has archived it meanwhile
  executor.AddJobId(None, True, 13)
  results = executor.GetResults()
  assert results[0] == (True, ["ok"])
  assert results[1] == (False, "queue full")
  assert results[2][0] is False
  assert results[2][1].startswith("Failure: prerequisites not met")
  assert results[3][0] is False
  captured = capsys.readouterr()
  assert "Submitted jobs 10, 12, 13" in captured.out
  assert "Waiting for job 10 for a ..." in captured.out
  assert "Waiting for job 13 ..." in captured.out
  assert "Failed to submit job for b: queue full" in captured.err
  assert "Job 12 for c has failed: Failure: prerequisites" in captured.err
  assert ("Job 13 has been archived, cannot check its result"
          in captured.err)


def test_job_executor_submit_only(capsys):
  client = _ScriptedClient(submit_results=[[True, 3], [False, "drained"]])
  executor = cli_jobs.JobExecutor(cl=client, verbose=False)
  executor.QueueJob("inst1", opcodes.OpTestDelay(duration=0))
  executor.QueueJob("inst2", opcodes.OpTestDelay(duration=0))
  assert executor.WaitOrShow(False) == [(True, 3), (False, "drained")]
  captured = capsys.readouterr()
  assert captured.out == "3: inst1\n"
  assert captured.err == "Failure for inst2: drained\n"


def test_job_executor_each_uses_submit_job():
  client = _ScriptedClient()
  executor = cli_jobs.JobExecutor(cl=client)
  executor.QueueJob(None, opcodes.OpTestDelay(duration=0))
  executor.QueueJob(None, opcodes.OpTestDelay(duration=1))
  executor.SubmitPending(each=True)
  assert [row[1:3] for row in executor.jobs] == [(True, 1), (True, 2)]
