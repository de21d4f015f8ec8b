"""Tests of ganeti.client.gnt_os: the output of gnt-os list and diagnose.

The job is not run here: ``cli.SubmitOpCode`` is replaced by the rows
LUOsDiagnose returns (its own tests are test/unit/cmdlib/test_query_lus.py);
the commands against running daemons are in test/integration/test_os.py.
"""

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import opcodes
from ganeti.client import gnt_os


_VALID = ["/srv/ganeti/os/deb", True, "", ["default", "min"],
          [["mirror", "Mirror"], ["arch", "Arch"]], [20]]


@pytest.fixture
def submitted(monkeypatch):
  """The opcodes submitted; the answer is set with ``submitted.answer``."""
  class _Recorder(list):
    answer = None

  recorder = _Recorder()

  def _Submit(op, opts=None, **_):
    recorder.append(op)
    return recorder.answer

  monkeypatch.setattr(cli, "SubmitOpCode", _Submit)
  return recorder


def _Opts(**kwargs):
  values = dict(no_headers=False, priority=None)
  values.update(kwargs)
  return type("Opts", (), values)()


def test_calculate_os_names():
  assert gnt_os.CalculateOSNames("deb", ["a", "b"]) == ["deb+a", "deb+b"]
  assert gnt_os.CalculateOSNames("deb", []) == ["deb"]


def test_list_prints_one_row_per_variant(submitted, capsys):
  submitted.answer = [["debootstrap", ["default", "minimal"]],
                      ["plain", []]]
  assert gnt_os.ListOS(_Opts(), []) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == ("Name\ndebootstrap+default\n"
                                     "debootstrap+minimal\nplain\n")
  [op] = submitted
  assert isinstance(op, opcodes.OpOsDiagnose)
  assert (op.output_fields, op.names) == (["name", "variants"], [])
  assert gnt_os.ListOS(_Opts(no_headers=True), []) == 0
  assert capsys.readouterr().out.splitlines()[0] == "debootstrap+default"


@pytest.mark.parametrize("command", [gnt_os.ListOS, gnt_os.DiagnoseOS])
def test_empty_answer_is_an_error(submitted, capsys, command):
  submitted.answer = []
  assert command(_Opts(), []) == constants.EXIT_FAILURE
  assert capsys.readouterr().err == "Can't get the OS list\n"


def test_diagnosis_of_a_valid_os_with_a_shadowed_copy():
  shadowed = ["/usr/share/ganeti/os/deb", False, "bad API", [], [], []]
  (lines, good) = gnt_os.FormatDiagnosis(
    "deb", ["default", "min"], {"node2": [_VALID], "node1": [_VALID,
                                                             shadowed]},
    False, True)
  assert good
  detail = ("valid (path: /srv/ganeti/os/deb) [API versions: 20]"
            " [variants: default, min] [parameters: mirror, arch]")
  assert lines == [
    "OS: deb [global status: valid] [blacklisted]",
    "  Variants: [default, min]",
    "  Node: node1, status: " + detail,
    "    [hidden] path: /usr/share/ganeti/os/deb, status: invalid - bad API",
    "  Node: node2, status: " + detail,
    ""]


def test_diagnosis_of_a_partly_missing_os():
  broken = ["/srv/ganeti/os/x", False, "File 'create' is missing", [], [], []]
  (lines, good) = gnt_os.FormatDiagnosis("x", [], {"node1": [],
                                                   "node2": [broken]},
                                         True, False)
  assert not good
  assert lines == [
    "OS: x [global status: invalid] [hidden]",
    "  Node: node1, status: OS not found",
    "  Node: node2, status: invalid - File 'create' is missing"
    " (path: /srv/ganeti/os/x) [no API versions declared]",
    ""]
  (lines, good) = gnt_os.FormatDiagnosis("x", [], {"node1": [_VALID],
                                                   "node2": [broken]},
                                         False, False)
  assert not good and lines[0] == "OS: x [global status: partial valid]"


def test_api_15_has_no_parameters_part():
  entry = ["/p", True, "", [], [], [15, 10]]
  (lines, _) = gnt_os.FormatDiagnosis("o", [], {"n": [entry]}, False, False)
  assert lines[1] == ("  Node: n, status: valid (path: /p) [API versions:"
                      " 15, 10] [no variants]")


def test_diagnose_exit_code_follows_validity(submitted, capsys):
  submitted.answer = [["deb", True, ["default"], {"n1": [_VALID]}, False,
                       False],
                      ["x", False, [], {"n1": []}, False, False]]
  assert gnt_os.DiagnoseOS(_Opts(), []) == constants.EXIT_FAILURE
  out = capsys.readouterr().out
  assert "OS: deb [global status: valid]" in out
  assert "OS: x [global status: invalid]\n  Node: n1, status: OS not found" \
    in out
  [op] = submitted
  assert op.output_fields == ["name", "valid", "variants", "node_status",
                              "hidden", "blacklisted"]
  submitted.answer = submitted.answer[:1]
  assert gnt_os.DiagnoseOS(_Opts(), []) == constants.EXIT_SUCCESS
