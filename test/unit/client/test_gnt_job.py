"""Tests of ganeti.client.gnt_job: parsing, validation and output layout.

The commands run against a real master daemon in
test/integration/test_gnt_job.py.
"""

import time

import pytest

from ganeti import cli
from ganeti import errors
from ganeti.client import gnt_job


@pytest.fixture
def utc(monkeypatch):
  monkeypatch.setenv("TZ", "UTC")
  time.tzset()
  yield
  monkeypatch.undo()
  time.tzset()


def _Parse(argv):
  return cli.ParseArgs("gnt-job", ["gnt-job"] + argv, gnt_job.commands,
                       gnt_job.aliases)


def test_parse_job_ids():
  assert gnt_job._ParseJobIds(["1", " 22 ", "0"]) == [1, 22, 0]
  for bad in (["x"], ["-1"], ["1.5"], [""]):
    with pytest.raises(errors.OpPrereqError, match="Invalid job ID") as info:
      gnt_job._ParseJobIds(bad)
    assert info.value.args[1] == errors.ECODE_INVAL


def test_show_alias():
  (fn, _, args) = _Parse(["show", "4"])
  assert fn is gnt_job.ShowJobs and args == ["4"]


@pytest.mark.parametrize("argv, message", [
  (["info"], "expects at least 1 argument"),
  (["watch"], "expects 1 argument"),
  (["watch", "1", "2"], "expects 1 argument"),
  (["autoarchive"], "expects 1 argument"),
  (["archive"], "expects at least 1 argument"),
  (["cancel"], "expects at least 1 argument")])
def test_argument_counts(argv, message):
  with pytest.raises(cli.ArgumentCountError, match=message):
    _Parse(argv)


@pytest.mark.parametrize("flag, statuses", [
  ("--pending", {"queued", "waiting", "canceling"}),
  ("--running", {"running"}),
  ("--error", {"error"}),
  ("--finished", {"success", "error", "canceled"})])
def test_list_status_filters(flag, statuses):
  (_, opts, _) = _Parse(["list", flag])
  assert set(opts.status_filter) == statuses


def test_list_last_status_filter_wins():
  (_, opts, _) = _Parse(["list", "--error", "--running"])
  assert set(opts.status_filter) == {"running"}


def test_list_options():
  (fn, opts, args) = _Parse(["list", "--no-headers", "--separator=|", "-o",
                             "+priority", "-v", "3", "4"])
  assert fn is gnt_job.ListJobs
  assert (opts.no_headers, opts.separator, opts.output, opts.verbose) == \
    (True, "|", "+priority", True)
  assert opts.status_filter is None
  assert args == ["3", "4"]


def test_list_formatters():
  assert gnt_job._FormatStatus("success") == "success"
  with pytest.raises(errors.OpExecError, match="Unknown job status 'bogus'"):
    gnt_job._FormatStatus("bogus")
  assert gnt_job._FormatSummary(["TEST_DELAY(1.0)", "X"]) == \
    "TEST_DELAY(1.0),X"
  assert gnt_job._FormatSummary("odd") == "odd"


def test_list_table_golden(utc):
  response = {
    "fields": [
      {"name": "id", "title": "ID", "kind": "number", "doc": ""},
      {"name": "status", "title": "Status", "kind": "text", "doc": ""},
      {"name": "summary", "title": "Summary", "kind": "other", "doc": ""},
      {"name": "opstart", "title": "OpCode_start", "kind": "other",
       "doc": ""}],
    "data": [
      [[0, 9], [0, "success"], [0, ["TEST_DELAY(0.0)"]],
       [0, [[1357652380, 5]]]],
      [[0, 10], [0, "queued"], [0, ["A", "B(x)"]], [0, [None, None]]]]}
  (_, lines) = cli.FormatQueryResult(response, header=True,
                                     format_override=gnt_job._JOB_LIST_FORMAT)
  assert lines == [
    "ID Status  Summary         OpCode_start",
    " 9 success TEST_DELAY(0.0) ['2013-01-08 13:39:40.000005']",
    "10 queued  A,B(x)          ['?', '?']",
    ]


def _JobRow():
  ts = [1357652380, 0]
  op = {"OP_ID": "OP_TEST_DELAY", "duration": 2.5, "on_nodes": ["n1", "n2"],
        "priority": 0}
  op2 = {"OP_ID": "OP_TEST_DELAY", "duration": 0}
  return [7, "error", [op, op2, op2, op2],
          [{"b": [1, 2], "a": "x"}, None, [], ["OpExecError", ["bad"]]],
          ["success", "success", "success", "error"],
          [[[1, ts, "message", "slept"]], [], [],
           [[2, [1357652381, 500000], "message", "oops"]]],
          [ts, ts, None, ts], [ts, None, None, ts], [ts, None, None, ts],
          [1357652379, 750000], ts, [1357652382, 0]]


def test_show_one_job_golden(utc):
  lines = []
  gnt_job._ShowOneJob(lambda level, text: lines.append("  " * level + text),
                      *_JobRow())
  assert lines == [
    "Job ID: 7",
    "  Status: error",
    "  Received:         2013-01-08 13:39:39.750000",
    "  Processing start: 2013-01-08 13:39:40.000000 (delta 0.250000s)",
    "  Processing end:   2013-01-08 13:39:42.000000 (delta 2.000000s)",
    "  Total processing time: 2.250000 seconds",
    "  Opcodes:",
    "    OP_TEST_DELAY",
    "      Status: success",
    "      Processing start: 2013-01-08 13:39:40.000000",
    "      Execution start:  2013-01-08 13:39:40.000000",
    "      Processing end:   2013-01-08 13:39:40.000000",
    "      Input fields:",
    "        duration: 2.5",
    "        on_nodes: n1,n2",
    "        priority: 0",
    "      Result:",
    "        a: x",
    "        b: 1, 2",
    "      Execution log:",
    "        1:2013-01-08 13:39:40.000000:message slept",
    "    OP_TEST_DELAY",
    "      Status: success",
    "      Processing start: 2013-01-08 13:39:40.000000",
    "      No execution start time",
    "      No processing end time",
    "      Input fields:",
    "        duration: 0",
    "      No output data",
    "      Execution log:",
    "    OP_TEST_DELAY",
    "      Status: success",
    "      No processing start time",
    "      No execution start time",
    "      No processing end time",
    "      Input fields:",
    "        duration: 0",
    "      Result: empty sequence",
    "      Execution log:",
    "    OP_TEST_DELAY",
    "      Status: error",
    "      Processing start: 2013-01-08 13:39:40.000000",
    "      Execution start:  2013-01-08 13:39:40.000000",
    "      Processing end:   2013-01-08 13:39:40.000000",
    "      Input fields:",
    "        duration: 0",
    "      Result:",
    "        OpExecError",
    "        bad",
    "      Execution log:",
    "        2:2013-01-08 13:39:41.500000:message oops",
    ]


def test_show_one_job_unstarted(utc):
  lines = []
  gnt_job._ShowOneJob(lambda level, text: lines.append("  " * level + text),
                      3, "queued", [{"OP_ID": "OP_TEST_DELAY"}], [{}],
                      ["queued"], [[]], [None], [None], [None],
                      [1357652380, 0], None, None)
  assert lines[2:6] == [
    "  Received:         2013-01-08 13:39:40.000000",
    "  Processing start: unknown (None)",
    "  Processing end:   unknown (None)",
    "  Total processing time: N/A"]
  assert "      Result: empty dictionary" in lines


def test_show_one_job_scalar_result(utc):
  lines = []
  gnt_job._ShowOneJob(lambda level, text: lines.append(text),
                      3, "success", [{"OP_ID": "OP_X"}], [True],
                      ["success"], [[]], [None], [None], [None],
                      None, None, None)
  assert "Missing received timestamp (None)" in lines
  assert "Result: True" in lines
