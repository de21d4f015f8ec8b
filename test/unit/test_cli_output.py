"""Tests of ganeti.cli_output: tables, query results, times, errors, prompts."""

import errno
import os
import select
import time

import pytest
from hypothesis import given, strategies as st

from ganeti import cli_output
from ganeti import constants
from ganeti import errors
from ganeti import luxi


@pytest.fixture
def utc(monkeypatch):
  monkeypatch.setenv("TZ", "UTC")
  time.tzset()
  yield
  monkeypatch.undo()
  time.tzset()


# GenerateTable (cli.md 7.1, 7.2)

_HEADERS = {"name": "Node", "dfree": "DFree", "pinst": "Pinst"}


def test_generate_table_padded_golden():
  data = [["node1.example.com", 1024 * 100, 3],
          ["n2", 512, 12],
          ["node3", "?", 0]]
  lines = cli_output.GenerateTable(_HEADERS, ["name", "dfree", "pinst"], None,
                                   data, numfields=["dfree", "pinst"],
                                   unitfields=["dfree"])
  assert lines == [
    "Node               DFree Pinst",
    "node1.example.com 100.0G     3",
    "n2" + " " * 16 + "  512M    12",
    "node3" + " " * 13 + "     ?     0",
    ]


def test_generate_table_left_aligned_last_column_not_padded():
  lines = cli_output.GenerateTable({"a": "A", "b": "Bee"}, ["a", "b"], None,
                                   [["x", "1"], ["yyyy", "22222"]])
  assert lines == ["A    Bee", "x    1", "yyyy 22222"]


def test_generate_table_separator_no_padding_and_mib():
  data = [["node1", 2048, 1], ["n2", 512, 12]]
  lines = cli_output.GenerateTable(_HEADERS, ["name", "dfree", "pinst"], "|",
                                   data, numfields=["pinst"],
                                   unitfields=["dfree"])
  assert lines == ["Node|DFree|Pinst", "node1|2048|1", "n2|512|12"]


def test_generate_table_no_headers_and_units():
  lines = cli_output.GenerateTable(None, ["name", "dfree"], None,
                                   [["a", 1536], ["b", 1024 * 1024 * 3]],
                                   unitfields=["dfree"], units="g")
  assert lines == ["a 1.5", "b 3072.0"]


def test_generate_table_none_row_is_dashes():
  lines = cli_output.GenerateTable(None, ["a", "b"], ":", [None, ["x", "y"]])
  assert lines == ["-:-", "x:y"]


def test_generate_table_bad_input():
  with pytest.raises(errors.ProgrammerError, match="No header given"):
    cli_output.GenerateTable({}, ["a"], None, [])
  with pytest.raises(errors.ProgrammerError, match="has 1 values for 2"):
    cli_output.GenerateTable(None, ["a", "b"], None, [["x"]])
  with pytest.raises(errors.ProgrammerError, match="Invalid units 'k'"):
    cli_output.GenerateTable(None, ["a"], None, [], units="k")


@given(st.lists(st.lists(st.text(alphabet="abc xyz", max_size=8),
                         min_size=3, max_size=3), max_size=6))
def test_generate_table_columns_line_up(rows):
  lines = cli_output.GenerateTable({"a": "A", "b": "B", "c": "C"},
                                   ["a", "b", "c"], None,
                                   [list(row) for row in rows],
                                   numfields=["b"])
  assert len(lines) == len(rows) + 1
  width_a = max(len(row[0]) for row in [["A"]] + rows)
  width_b = max(len(row[1]) for row in [["", "B"]] + rows)
  for (line, row) in zip(lines[1:], rows):
    assert line[:width_a] == row[0].ljust(width_a)
    assert line[width_a + 1:width_a + 1 + width_b] == row[1].rjust(width_b)
    assert line[width_a + width_b + 2:] == row[2]


# query2 results (cli.md 7.1, 7.3)

def _Fdef(name, title, kind):
  return {"name": name, "title": title, "kind": kind, "doc": name}


def _Response():
  return {
    "fields": [_Fdef("name", "Node", constants.QFT_TEXT),
               _Fdef("mfree", "MFree", constants.QFT_UNIT),
               _Fdef("cnt", "Pinst", constants.QFT_NUMBER),
               _Fdef("master", "IsMaster", constants.QFT_BOOL)],
    "data": [
      [[0, "node1"], [0, 2048], [0, 5], [0, True]],
      [[0, "node2"], [constants.RS_NODATA, None], [0, 10], [0, False]],
      [[0, "node3"], [constants.RS_OFFLINE, None],
       [constants.RS_UNAVAIL, None], [0, False]],
      ],
    }


def test_format_query_result_golden():
  (status, lines) = cli_output.FormatQueryResult(_Response(), header=True)
  assert status == cli_output.QR_INCOMPLETE
  assert lines == [
    "Node  MFree Pinst IsMaster",
    "node1  2.0G     5 Y",
    "node2     ?    10 N",
    "node3     *     - N",
    ]


def test_format_query_result_verbose_and_separator():
  (status, lines) = cli_output.FormatQueryResult(_Response(), separator=",",
                                                 verbose=True)
  assert status == cli_output.QR_INCOMPLETE
  assert lines == ["node1,2048,5,Y", "node2,(nodata),10,N",
                   "node3,(offline),(unavail),N"]


def test_format_query_result_normal_and_override():
  response = {"fields": [_Fdef("x", "X", constants.QFT_OTHER)],
              "data": [[[0, ["a", "b"]]]]}
  (status, lines) = cli_output.FormatQueryResult(response, header=False)
  assert (status, lines) == (cli_output.QR_NORMAL, ["['a', 'b']"])
  override = {"x": (lambda value: "+".join(value), True)}
  (_, lines) = cli_output.FormatQueryResult(response, header=True,
                                            format_override=override)
  assert lines == ["  X", "a+b"]


def test_format_query_result_unknown_field(capsys):
  response = {"fields": [_Fdef("foo", "foo", constants.QFT_UNKNOWN)],
              "data": [[[constants.RS_UNKNOWN, None]]]}
  (status, lines) = cli_output.FormatQueryResult(response)
  assert (status, lines) == (cli_output.QR_UNKNOWN, ["??"])
  assert cli_output.WarnUnknownFields(response["fields"]) is True
  assert capsys.readouterr().err == \
    "Warning: Queried for unknown fields foo\n"
  assert cli_output.WarnUnknownFields(_Response()["fields"]) is False


def test_format_query_result_timestamp(utc):
  response = {"fields": [_Fdef("t", "T", constants.QFT_TIMESTAMP)],
              "data": [[[0, 1357652380]]]}
  assert cli_output.FormatQueryResult(response)[1] == ["2013-01-08 13:39:40"]


@pytest.mark.parametrize("response", [
  None, {"fields": []}, {"fields": [{"name": "x"}], "data": []},
  {"fields": [_Fdef("x", "X", "text")], "data": [[[0, 1], [0, 2]]]},
  {"fields": [_Fdef("x", "X", "text")], "data": [[0]]}])
def test_format_query_result_malformed(response):
  with pytest.raises(errors.OpExecError, match="Malformed"):
    cli_output.FormatQueryResult(response)


def test_format_query_result_unformattable_kind():
  response = {"fields": [_Fdef("x", "X", "fancy")], "data": []}
  with pytest.raises(errors.ProgrammerError, match="kind 'fancy'"):
    cli_output.FormatQueryResult(response)


def test_format_result_error_texts():
  assert cli_output.FormatResultError(constants.RS_NODATA, False) == "?"
  assert cli_output.FormatResultError(constants.RS_UNKNOWN, True) == \
    "(unknown)"
  with pytest.raises(errors.ProgrammerError, match="No text"):
    cli_output.FormatResultError(constants.RS_NORMAL, False)


def test_parse_fields():
  assert cli_output.ParseFields(None, ["a", "b"]) == ["a", "b"]
  assert cli_output.ParseFields("x,y", ["a"]) == ["x", "y"]
  assert cli_output.ParseFields("+x,y", ["a"]) == ["a", "x", "y"]


# times (cli.md 3.4, 8.5)

@pytest.mark.parametrize("value, expected", [
  ("30", 30), ("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400),
  ("2w", 1209600), (3600, 3600), ("0", 0)])
def test_parse_timespec(value, expected):
  assert cli_output.ParseTimespec(value) == expected


@pytest.mark.parametrize("value, match", [
  ("", "Empty time specification"), ("d", "only suffix passed"),
  ("1x", "Invalid time specification '1x'"),
  ("-5", "Invalid time specification '-5'"), ("1.5h", "1.5h")])
def test_parse_timespec_errors(value, match):
  with pytest.raises(errors.OpPrereqError, match=match) as info:
    cli_output.ParseTimespec(value)
  assert info.value.args[1] == errors.ECODE_INVAL


def test_format_timestamp(utc):
  assert cli_output.FormatTimestamp([1357652380, 12]) == \
    "2013-01-08 13:39:40.000012"
  for bad in (None, [1], "x", [1.5, 2], (True, 1)):
    assert cli_output.FormatTimestamp(bad) == "?"


# FormatError (cli.md 6)

_ERROR_CASES = [
  (errors.OpPrereqError("Instance 'x' not known", errors.ECODE_NOENT), 1,
   "Failure: prerequisites not met for this operation:\n"
   "error type: unknown_entity, error details:\nInstance 'x' not known"),
  (errors.OpPrereqError("No way"), 1,
   "Failure: prerequisites not met for this operation:\nNo way"),
  (errors.OpExecError("Disk failed"), 1,
   "Failure: command execution error:\nDisk failed"),
  (errors.HooksAbort([("node1", "10-check", "bad"), ("node2", "20-x", "")]),
   1, "Failure: hooks execution failed:\n"
   "  node: node1, script: 10-check, output: bad\n"
   "  node: node2, script: 20-x (no output)"),
  (errors.HooksFailure("no hooks dir"), 1,
   "Failure: hooks general failure: no hooks dir"),
  (errors.ResolverError("nosuch.example.com", 0, "unknown"), 1,
   "Failure: can't resolve hostname 'nosuch.example.com'"),
  (errors.TagError("Tag too long"), 1,
   "Failure: invalid tag(s) given:\nTag too long"),
  (errors.JobQueueDrainError("Job queue is drained, refusing job"), 1,
   "Failure: the job queue is marked for drain and doesn't accept new"
   " requests"),
  (errors.JobQueueFull(), 1,
   "Failure: the job queue is full and doesn't accept new job submissions"
   " until old jobs are archived"),
  (errors.TypeEnforcementError("'x' is not a valid size"), 1,
   "Parameter Error: 'x' is not a valid size"),
  (errors.ParameterError("Invalid boolean value 'maybe'"), 1,
   "Failure: unknown/wrong parameter name 'Invalid boolean value 'maybe''"),
  (errors.ConfigurationError("bad json"), 2,
   "Corrupt configuration file: bad json\nAborting."),
  (luxi.NoMasterError("/x/socket"), 1,
   "Cannot communicate with the master daemon.\n"
   "Is it running and listening for connections?"),
  (luxi.PermissionError("/x/socket"), 1,
   "It seems you don't have permissions to connect to the master daemon.\n"
   "Please retry as a different user."),
  (luxi.ProtocolError("garbage"), 1,
   "Unhandled protocol error while talking to the master daemon:\ngarbage"),
  (errors.JobLost("Job with id 5 lost"), 1,
   "Error checking job status: Job with id 5 lost"),
  (errors.QueryFilterParseError("Bad filter", ["name ==", "     ^"]), 1,
   "Error while parsing query filter: Bad filter\nname ==\n     ^"),
  (errors.LockError("deleted"), 1, "Unhandled Ganeti error: deleted"),
  (cli_output.JobSubmittedException(17), 0, "JobID: 17"),
  (ValueError("oops"), 1, "Unhandled exception: oops"),
  ]


@pytest.mark.parametrize("err, code, text", _ERROR_CASES)
def test_format_error(err, code, text):
  assert cli_output.FormatError(err) == (code, text)


def test_format_error_timeout_mentions_job_commands():
  (code, text) = cli_output.FormatError(luxi.TimeoutError("read timed out"))
  assert code == 1
  assert "gnt-job list" in text and "gnt-job watch" in text
  assert text.endswith("Error:\nread timed out")


def test_format_error_own_hostname(monkeypatch):
  monkeypatch.setenv("GANETI_HOSTNAME", "me.example.com")
  monkeypatch.setenv("GANETI_ROOTDIR", "/tmp/nonexistent/me.example.com")
  from ganeti import netutils
  myself = netutils.Hostname.GetSysName()
  (_, text) = cli_output.FormatError(errors.ResolverError(myself, 0, "x"))
  assert text == "Failure: can't resolve my own hostname ('%s')" % myself


# streams

def test_to_stdout_and_stderr(capsys):
  cli_output.ToStdout("a %s %d", "b", 3)
  cli_output.ToStdout("100%")
  cli_output.ToStderr("e")
  captured = capsys.readouterr()
  assert captured.out == "a b 3\n100%\n"
  assert captured.err == "e\n"


class _BrokenStream:
  def __init__(self, code):
    self.code = code

  def write(self, _):
    raise IOError(self.code, os.strerror(self.code))

  def flush(self):
    pass


def test_to_stream_ignores_broken_pipe_only():
  cli_output._ToStream(_BrokenStream(errno.EPIPE), "x")
  with pytest.raises(IOError):
    cli_output._ToStream(_BrokenStream(errno.EIO), "x")


# AskUser (cli.md 5)

@pytest.fixture
def pty():
  (master, slave) = os.openpty()
  yield (master, os.ttyname(slave))
  os.close(master)
  os.close(slave)


def _ReadAll(fd):
  out = b""
  while select.select([fd], [], [], 0.2)[0]:
    out += os.read(fd, 4096)
  return out.decode()


def test_ask_user_default_without_terminal(tmp_path):
  missing = str(tmp_path / "no-tty")
  assert cli_output.AskUser("Continue?", _tty_path=missing) is False
  choices = [("y", "yes", "ok"), ("a", "all", "all")]
  assert cli_output.AskUser("Q", choices, _tty_path=missing) == "all"


def test_ask_user_reads_the_terminal(pty):
  (master, path) = pty
  os.write(master, b"x\n?\nY\n")
  assert cli_output.AskUser("Really remove instance inst1?",
                            _tty_path=path) is True
  output = _ReadAll(master)
  assert "Really remove instance inst1?\r\ny/[n]/?: " in output
  assert " y - Perform the operation" in output
  assert " n - Do not perform the operation" in output
  # unknown input and "?" ask again: three prompts in all
  assert output.count("y/[n]/?: ") == 3


def test_ask_user_custom_choices(pty):
  (master, path) = pty
  os.write(master, b"v\n")
  choices = [("y", True, "Yes"), ("v", "view", "View"), ("n", False, "No")]
  assert cli_output.AskUser("Go?", choices, _tty_path=path) == "view"
  assert "y/v/[n]/?: " in _ReadAll(master)


def test_ask_user_wraps_long_text(pty):
  (master, path) = pty
  os.write(master, b"n\n")
  assert cli_output.AskUser("word " * 30, _tty_path=path) is False
  first_line = _ReadAll(master).split("\r\n")[0]
  assert len(first_line) <= 70


@pytest.mark.parametrize("choices", [[], "yn", [("?", 1, "x")],
                                     [("yy", 1, "x")], [("y", 1)]])
def test_ask_user_bad_choices(choices):
  with pytest.raises(errors.ProgrammerError, match="AskUser"):
    cli_output.AskUser("Q", choices)
