"""Tests of ganeti.client.gnt_os: gnt-os list, info, diagnose and modify.

The job is not run here: ``cli.SubmitOpCode`` is replaced by the rows
LUOsDiagnose returns (its own tests are test/unit/cmdlib/test_query_lus.py);
the commands against running daemons are in test/integration/test_os.py.
"""

import os

import pytest

from ganeti import cli
from ganeti import cli_jobs
from ganeti import constants
from ganeti import errors
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


# --- info, modify, and the golden files -------------------------------------

_GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, os.pardir, "data", "cli")

#: Rows of OP_OS_DIAGNOSE for the fields of gnt-os info, as the master
#: answers them for the OS definitions of test/data/os (plus a broken one)
_INFO_ROWS = [
  ["api10", True, [], [], [10], False, False],
  ["broken", False, [], [], [], False, False],
  ["debootstrap", True, ["default", "minimal"], [], [20, 15, 10], False,
   False],
  ["dummy", True, ["default", "minimal"],
   [["label", "Free text written into the header of every disk"],
    ["level", "Install level, a single digit 0-9 (checked by verify)"]],
   [15, 20, 10], False, True],
  ["failing", True, [], [], [20], True, False],
  ]


def _Golden(name):
  with open(os.path.join(_GOLDEN_DIR, name), encoding="utf-8") as handle:
    return handle.read()


def _Run(*argv):
  (func, opts, args) = cli.ParseArgs("gnt-os", ["gnt-os"] + list(argv),
                                     gnt_os.commands, aliases=gnt_os.aliases)
  return func(opts, args)


def test_info_matches_golden_file(submitted, capsys):
  submitted.answer = _INFO_ROWS
  assert _Run("info") == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden("gnt-os-info.txt")
  [op] = submitted
  assert isinstance(op, opcodes.OpOsDiagnose)
  # every OS is asked for, hidden, blacklisted and invalid ones included
  assert op.names == []
  assert set(op.output_fields) >= set(["valid", "hidden", "blacklisted"])
  assert op.output_fields == ["name", "valid", "variants", "parameters",
                              "api_versions", "blacklisted", "hidden"]


def test_info_of_named_oses_and_unknown_names(submitted, capsys):
  submitted.answer = _INFO_ROWS
  assert _Run("show", "nothere", "failing", "broken") == \
    constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden("gnt-os-info-names.txt")


def test_info_with_nothing_known_fails(submitted, capsys):
  submitted.answer = []
  assert _Run("info", "dummy") == constants.EXIT_FAILURE
  assert capsys.readouterr().err == "Can't get the OS list\n"


def test_list_and_diagnose_match_golden_files(submitted, capsys):
  submitted.answer = [["api10", []], ["debootstrap", ["default", "minimal"]],
                      ["dummy", ["default", "minimal"]]]
  assert _Run("list") == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden("gnt-os-list.txt")
  path = "/srv/ganeti/os/"
  dummy = [path + "dummy", True, "", ["default", "minimal"],
           [["label", "Label"], ["level", "Level"]], [10, 15, 20]]
  api10 = [path + "api10", True, "", [], [], [10]]
  broken = [path + "broken", False,
            "File 'create' under path '%sbroken' is missing" % path,
            [], [], []]
  submitted.answer = [
    ["api10", True, [], {"node1.example.com": [api10],
                         "node2.example.com": [api10]}, False, False],
    ["broken", False, [], {"node1.example.com": [broken],
                           "node2.example.com": []}, False, False],
    ["dummy", True, ["default", "minimal"],
     {"node2.example.com": [dummy], "node1.example.com": [dummy]}, True,
     False],
    ]
  assert _Run("diagnose") == constants.EXIT_FAILURE
  assert capsys.readouterr().out == _Golden("gnt-os-diagnose.txt")


@pytest.fixture
def sent(monkeypatch):
  """The opcodes gnt-os modify submits (with their options)."""
  ops = []

  def _SubmitOrSend(op, opts, **_):
    ops.append((op, opts))
    return None

  monkeypatch.setattr(cli, "SubmitOrSend", _SubmitOrSend)
  return ops


def test_modify_builds_the_cluster_opcode(sent):
  assert _Run("modify", "-H", "kvm:kernel_path=/boot/vmlinuz-guest,acpi=false",
              "-H", "xen-pvm:root_path=/dev/xvda1", "-O",
              "label=web,-level", "--hidden", "yes", "--blacklisted", "no",
              "--dry-run", "dummy+minimal") == constants.EXIT_SUCCESS
  [(op, opts)] = sent
  assert isinstance(op, opcodes.OpClusterSetParams)
  assert op.os_hvp == {"dummy+minimal": {
    "kvm": {"kernel_path": "/boot/vmlinuz-guest", "acpi": "false"},
    "xen-pvm": {"root_path": "/dev/xvda1"}}}
  assert op.osparams == {"dummy+minimal": {"label": "web", "level": None}}
  assert op.hidden_os == [[constants.DDM_ADD, "dummy+minimal"]]
  assert op.blacklisted_os == [[constants.DDM_REMOVE, "dummy+minimal"]]
  assert opts.dry_run is True
  op.Validate(True)


@pytest.mark.parametrize("argv, attr, expected", [
  (["--hidden", "no"], "hidden_os", [[constants.DDM_REMOVE, "deb"]]),
  (["--blacklisted", "yes"], "blacklisted_os", [[constants.DDM_ADD, "deb"]]),
  (["-O", "mirror=http://ftp.example.com/debian"], "osparams",
   {"deb": {"mirror": "http://ftp.example.com/debian"}}),
  ])
def test_modify_one_setting_leaves_the_others_alone(sent, argv, attr,
                                                    expected):
  assert _Run("modify", *(argv + ["deb"])) == constants.EXIT_SUCCESS
  [(op, _)] = sent
  assert getattr(op, attr) == expected
  for other in ("os_hvp", "osparams", "hidden_os", "blacklisted_os"):
    if other != attr:
      assert getattr(op, other, None) is None, other
  op.Validate(True)


def test_modify_with_nothing_to_change(sent, capsys):
  assert _Run("modify", "deb") == constants.EXIT_FAILURE
  assert sent == []
  assert capsys.readouterr().err == ("At least one of OS parameters or"
                                     " hypervisor parameters must be"
                                     " passed\n")


def test_modify_argument_and_flag_checks():
  with pytest.raises(cli.ArgumentCountError):
    _Run("modify", "--hidden", "yes")
  with pytest.raises(cli.ArgumentCountError):
    _Run("modify", "--hidden", "yes", "a", "b")
  with pytest.raises(errors.ParameterError, match="Invalid boolean value"
                     " 'maybe'"):
    _Run("modify", "--hidden", "maybe", "deb")


def test_modify_submit_only_raises_with_the_job_id(monkeypatch):
  sent_jobs = []

  def _SendJob(ops, cl=None):
    sent_jobs.append(ops)
    return 42

  monkeypatch.setattr(cli_jobs, "SendJob", _SendJob)
  with pytest.raises(cli.JobSubmittedException) as info:
    _Run("modify", "--submit", "--blacklisted", "yes", "deb")
  assert info.value.args[0] == 42
  [[op]] = sent_jobs
  assert op.blacklisted_os == [[constants.DDM_ADD, "deb"]]
