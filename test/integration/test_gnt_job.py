"""gnt-job and gnt-debug against a real ganeti-masterd (scripts as processes).

Uses the ``master_daemon`` fixture of conftest.py: a one-node virtual
cluster with a running master daemon; the scripts run as subprocesses with
the node's environment, the way an administrator runs them.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import opcodes

pytestmark = pytest.mark.integration

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
_NODE = "node1.example.com"
_LOG_LINE = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} ")


def _Run(daemon, tool, *args, timeout=60):
  return subprocess.run([sys.executable, os.path.join(_REPO, "scripts", tool)]
                        + list(args), env=daemon.env, capture_output=True,
                        text=True, timeout=timeout)


def _Ok(daemon, tool, *args):
  result = _Run(daemon, tool, *args)
  assert result.returncode == 0, (args, result.stdout, result.stderr)
  return result


def _WaitFor(fn, what, timeout=15.0):
  deadline = time.monotonic() + timeout
  while True:
    value = fn()
    if value:
      return value
    if time.monotonic() > deadline:
      raise AssertionError("Timed out waiting for %s" % what)
    time.sleep(0.05)


def _Submit(daemon, *args):
  result = _Ok(daemon, "gnt-debug", "delay", "--submit", *args)
  assert result.stdout == ""
  match = re.match(r"^JobID: (\d+)\n$", result.stderr)
  assert match, result.stderr
  return match.group(1)


def _JobStatus(daemon, job_id):
  result = _Ok(daemon, "gnt-job", "list", "--no-headers", "-o", "status",
               job_id)
  return result.stdout.strip()


def _Rows(output):
  return [line.split() for line in output.splitlines()]


def test_delay_list_info_archive(master_daemon):
  result = _Ok(master_daemon, "gnt-debug", "delay", "0")
  assert result.stderr == ""
  result = _Ok(master_daemon, "gnt-debug", "delay", "-r", "2", "0")
  lines = result.stdout.splitlines()
  assert len(lines) == 2
  for (idx, line) in enumerate(lines):
    assert _LOG_LINE.match(line), line
    assert line.endswith(" - INFO: Test delay iteration %d/1" % idx)

  result = _Ok(master_daemon, "gnt-job", "list")
  assert _Rows(result.stdout) == [["ID", "Status", "Summary"],
                                  ["1", "success", "TEST_DELAY(0.0)"],
                                  ["2", "success", "TEST_DELAY(0.0)"]]
  result = _Ok(master_daemon, "gnt-job", "list", "--no-headers",
               "--separator=|", "-o", "+priority", "2")
  assert result.stdout == "2|success|TEST_DELAY(0.0)|0\n"

  result = _Ok(master_daemon, "gnt-job", "info", "1", "77")
  out = result.stdout.splitlines()
  assert out[:2] == ["Job ID: 1", "  Status: success"]
  assert out[2].startswith("  Received:         ")
  assert re.match(r"^  Processing start: .* \(delta \d+\.\d{6}s\)$", out[3])
  assert re.match(r"^  Total processing time: \d+\.\d{6} seconds$", out[5])
  assert "    OP_TEST_DELAY" in out
  assert "        duration: 0.0" in out
  assert "        on_master: True" in out
  assert "      No output data" in out
  assert out[-2:] == ["", "Job ID 77 not found"]
  result = _Ok(master_daemon, "gnt-job", "show", "2")
  assert re.search(r"^        1:[\d:. -]+:message  - INFO: Test delay"
                   r" iteration 0/1$", result.stdout, re.M)

  _Ok(master_daemon, "gnt-job", "archive", "1")
  result = _Ok(master_daemon, "gnt-job", "list", "--no-headers", "-o", "id")
  assert result.stdout.split() == ["2"]
  result = _Run(master_daemon, "gnt-job", "archive", "1", "2")
  assert result.returncode == 1
  assert result.stderr == "Failed to archive job with ID '1'\n"

  _Ok(master_daemon, "gnt-debug", "delay", "0")
  result = _Ok(master_daemon, "gnt-job", "autoarchive", "1d")
  assert result.stdout == "Archived 0 jobs, 0 unchecked left\n"
  result = _Ok(master_daemon, "gnt-job", "autoarchive", "all")
  assert result.stdout == "Archived 1 jobs, 0 unchecked left\n"
  result = _Ok(master_daemon, "gnt-job", "list", "--no-headers")
  assert result.stdout == ""


def test_submit_watch_and_failures(master_daemon):
  job_id = _Submit(master_daemon, "-r", "3", "0.1")
  result = _Ok(master_daemon, "gnt-job", "watch", job_id)
  lines = result.stdout.splitlines()
  header = "Output from job %s follows" % job_id
  assert lines[:2] == [header, "-" * len(header)]
  assert [line[25:] for line in lines[2:]] == \
    [" - INFO: Test delay iteration %d/2" % idx for idx in range(3)]

  failing = _Submit(master_daemon, "--", "-1")
  result = _Run(master_daemon, "gnt-job", "watch", failing)
  assert result.returncode == 1
  assert result.stderr.startswith("Job %s failed: Failure: command execution"
                                  " error:\n" % failing)
  result = _Run(master_daemon, "gnt-debug", "delay", "--", "-1")
  assert result.returncode == 1
  assert result.stderr.startswith("Failure: command execution error:\n")


def test_dry_run_and_priority(master_daemon):
  result = _Ok(master_daemon, "gnt-debug", "delay", "--dry-run", "0")
  assert "dry-run mode requested" in result.stdout

  low = _Submit(master_daemon, "--priority", "low", "0")
  _WaitFor(lambda: _JobStatus(master_daemon, low) == "success", "job")
  result = _Ok(master_daemon, "gnt-job", "list", "--no-headers",
               "--separator=,", "-o", "oppriority", low)
  assert result.stdout == "[10]\n"

  result = _Ok(master_daemon, "gnt-debug", "delay", "--print-jobid", "0")
  assert result.stdout == "%d\n" % (int(low) + 1)
  result = _Ok(master_daemon, "gnt-debug", "delay", "--print-jobid",
               "--submit", "0")
  assert result.stdout == "%d\n" % (int(low) + 2)
  assert result.stderr == "JobID: %d\n" % (int(low) + 2)

  result = _Ok(master_daemon, "gnt-job", "list-fields", "--no-headers",
               "--separator=|", "summary", "status")
  assert [line.split("|")[:2] for line in result.stdout.splitlines()] == \
    [["summary", "Summary"], ["status", "Status"]]


def test_cancel_and_locks(master_daemon):
  holder = _Submit(master_daemon, "-n", _NODE, "2")
  waiter = _Submit(master_daemon, "-n", _NODE, "0")

  def _LockLines():
    result = _Ok(master_daemon, "gnt-debug", "locks", "--no-headers",
                 "--separator=|")
    lines = result.stdout.splitlines()
    wanted = "node/%s|exclusive|job/%s|exclusive:job/%s" % (_NODE, holder,
                                                            waiter)
    return lines if wanted in lines else None
  lines = _WaitFor(_LockLines, "the node lock to be held and awaited")
  assert any(line.startswith("cluster/BGL|shared|") for line in lines)

  result = _Ok(master_daemon, "gnt-debug", "locks", "-o", "name,mode")
  assert result.stdout.splitlines()[0].split() == ["Name", "Mode"]

  result = _Ok(master_daemon, "gnt-job", "list", "--pending", "--no-headers",
               "-o", "id,status")
  assert _Rows(result.stdout) == [[waiter, "waiting"]]

  result = _Ok(master_daemon, "gnt-job", "cancel", waiter)
  assert result.stdout in ("Job %s will be canceled\n" % waiter,
                           "Job %s canceled\n" % waiter)
  result = _Run(master_daemon, "gnt-job", "cancel", holder, "9999")
  assert result.returncode == 1
  assert result.stdout == ("Job %s is no longer waiting in the queue\n"
                           "Job 9999 not found\n" % holder)

  _WaitFor(lambda: _JobStatus(master_daemon, waiter) == "canceled",
           "the job to be canceled")
  result = _Run(master_daemon, "gnt-job", "watch", waiter)
  assert result.returncode == 1
  assert result.stderr == ("Job %s failed: Failure: command execution"
                           " error:\nJob was canceled\n" % waiter)
  result = _Ok(master_daemon, "gnt-job", "watch", holder)
  result = _Ok(master_daemon, "gnt-job", "list", "--finished", "--no-headers",
               "-o", "id,status")
  assert _Rows(result.stdout) == [[holder, "success"], [waiter, "canceled"]]


def test_locks_interval_repeats(master_daemon):
  proc = subprocess.Popen([sys.executable,
                           os.path.join(_REPO, "scripts", "gnt-debug"),
                           "locks", "--interval", "1", "-o", "name"],
                          env=master_daemon.env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
  try:
    seen = []
    deadline = time.monotonic() + 15
    while seen.count("Name") < 2:
      assert time.monotonic() < deadline, seen
      line = proc.stdout.readline()
      assert line, "gnt-debug locks exited early: %s" % proc.stderr.read()
      seen.append(line.strip())
    assert seen[0] == "Name"
    # listings are separated by one blank line
    assert seen[seen.index("Name", 1) - 1] == ""
    assert "cluster/BGL" in seen
  finally:
    proc.send_signal(signal.SIGINT)
    proc.wait(15)
    proc.stdout.close()
    proc.stderr.close()


def test_bad_input_and_no_master(master_daemon):
  result = _Run(master_daemon, "gnt-job", "list", "-o", "id,foo")
  assert result.returncode == constants.EXIT_UNKNOWN_FIELD
  assert result.stderr == "Warning: Queried for unknown fields foo\n"
  assert result.stdout == "ID foo\n"

  result = _Run(master_daemon, "gnt-job", "info", "x")
  assert result.returncode == 1
  assert "Invalid job ID 'x'" in result.stderr
  result = _Run(master_daemon, "gnt-debug", "delay", "soon")
  assert result.returncode == 1
  assert "Invalid duration 'soon'" in result.stderr
  result = _Run(master_daemon, "gnt-debug", "delay", "--priority", "x", "0")
  assert result.returncode == 2
  result = _Run(master_daemon, "gnt-job", "autoarchive", "1y")
  assert result.returncode == 1
  assert "Invalid time specification '1y'" in result.stderr

  assert master_daemon.Stop() == 0
  result = _Run(master_daemon, "gnt-job", "list")
  assert result.returncode == 1
  assert result.stderr == ("Cannot communicate with the master daemon.\n"
                           "Is it running and listening for connections?\n")


def test_submit_opcode_in_process(master_daemon):
  """cli.SubmitOpCode / PollJob with a feedback function, in this process."""
  seen = []
  op = opcodes.OpTestDelay(duration=0, repeat=2)
  assert cli.SubmitOpCode(op, feedback_fn=seen.append) is None
  assert [entry[1:] for entry in seen] == [
    ("message", " - INFO: Test delay iteration 0/1"),
    ("message", " - INFO: Test delay iteration 1/1")]

  op = opcodes.OpTestDelay(duration=-1)
  with pytest.raises(errors.OpExecError, match="Invalid sleep duration"):
    cli.SubmitOpCode(op, feedback_fn=seen.append)

  executor = cli.JobExecutor(verbose=False)
  executor.QueueJob("first", opcodes.OpTestDelay(duration=0))
  executor.QueueJob("second", opcodes.OpTestDelay(duration=-1))
  results = executor.GetResults()
  assert results[0] == (True, [None])
  assert results[1][0] is False
  assert results[1][1].startswith("Failure: command execution error:")
