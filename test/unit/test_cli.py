"""Tests of ganeti.cli: command line parsing, GenericMain, listing helpers."""

import logging
import os

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import pathutils
from ganeti import ssconf


@pytest.fixture
def node_env(tmp_path, monkeypatch):
  """A virtual node root (with a log directory) and saved logging state."""
  root = tmp_path / "node1.example.com"
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", "node1.example.com")
  pathutils.Reload()
  os.makedirs(pathutils.LOG_DIR)
  logger = logging.getLogger("")
  saved = (list(logger.handlers), logger.level)
  yield root
  for handler in list(logger.handlers):
    if handler not in saved[0]:
      logger.removeHandler(handler)
      handler.close()
  for handler in saved[0]:
    if handler not in logger.handlers:
      logger.addHandler(handler)
  logger.setLevel(saved[1])
  monkeypatch.undo()
  pathutils.Reload()


_CALLS = []


def _CmdShow(opts, args):
  _CALLS.append((opts, args))
  return 0


def _CmdFail(opts, args):
  raise errors.OpPrereqError("Nothing to see", errors.ECODE_NOENT)


def _CmdSubmit(opts, args):
  raise cli.JobSubmittedException(23)


def _CmdNoMaster(opts, args):
  raise luxi.NoMasterError("/nonexistent/socket")


def _CmdInterrupt(opts, args):
  raise KeyboardInterrupt()


def _CmdBrokenPipe(opts, args):
  raise BrokenPipeError()


_COMMANDS = {
  "show": (_CmdShow, [cli.ArgUnknown()], [cli.FORCE_OPT, cli.SUBMIT_OPT],
           "[name...]", "Shows things"),
  "one": (_CmdShow, cli.ARGS_ONE_NODE, [cli.PRIORITY_OPT], "<node>",
          "Needs exactly one node " + "and a very long help text " * 5),
  "bools": (_CmdShow, cli.ARGS_NONE,
            [cli.CliOption("--flag", dest="flag", type="bool")], "",
            "Takes a bool"),
  "fail": (_CmdFail, cli.ARGS_NONE, [], "", "Fails"),
  "submit": (_CmdSubmit, cli.ARGS_NONE, [], "", "Submits"),
  "nomaster": (_CmdNoMaster, cli.ARGS_NONE, [], "", "No master"),
  "interrupt": (_CmdInterrupt, cli.ARGS_NONE, [], "", "Ctrl-C"),
  "pipe": (_CmdBrokenPipe, cli.ARGS_NONE, [], "", "Reader gone"),
  }


def _Main(argv, **kwargs):
  del _CALLS[:]
  return cli.GenericMain(_COMMANDS, argv=["/usr/sbin/gnt-test"] + argv,
                         **kwargs)


def test_version(node_env, capsys):
  assert _Main(["--version"]) == 0
  assert capsys.readouterr().out == \
    "gnt-test (ganeti v%s) %s\n" % (constants.RELEASE_VERSION,
                                    constants.RELEASE_VERSION)


@pytest.mark.parametrize("argv, code", [([], 1), (["nosuch"], 1),
                                        (["--help"], 0)])
def test_usage_listing(node_env, capsys, argv, code):
  assert _Main(argv) == code
  out = capsys.readouterr().out.splitlines()
  assert out[0] == "Usage: gnt-test {command} [options...] [argument...]"
  assert out[1] == "gnt-test <command> --help to see details, or man gnt-test"
  assert out[2:4] == ["", "Commands:"]
  assert out[4] == " bools     - Takes a bool"
  assert out.index(" show      - Shows things") > 4
  one = [line for line in out if line.startswith(" one")][0]
  assert len(one) <= 79
  continuation = out[out.index(one) + 1]
  assert continuation.startswith(" " * 13) and continuation.strip()


def test_command_help(node_env, capsys):
  with pytest.raises(SystemExit) as info:
    _Main(["show", "--help"])
  assert info.value.code == 0
  out = capsys.readouterr().out
  assert out.startswith("Usage: gnt-test show [options] [name...]\n")
  assert "--submit" in out and "--debug" in out


def test_bad_option_is_usage_error(node_env, capsys):
  with pytest.raises(SystemExit) as info:
    _Main(["show", "--bogus"])
  assert info.value.code == 2
  assert "no such option: --bogus" in capsys.readouterr().err


def test_bad_choice_is_usage_error(node_env, capsys):
  with pytest.raises(SystemExit) as info:
    _Main(["one", "--priority", "urgent", "node1"])
  assert info.value.code == 2


def test_argument_count_error(node_env, capsys):
  assert _Main(["one"]) == 1
  assert capsys.readouterr().err == \
    "Error: Command one expects 1 argument(s)\n"
  assert _Main(["bools", "x"]) == 1
  assert "expects no arguments" in capsys.readouterr().err
  assert not _CALLS


def test_bad_boolean_is_parameter_failure(node_env, capsys):
  assert _Main(["bools", "--flag", "maybe"]) == 1
  assert capsys.readouterr().err == \
    ("Failure: unknown/wrong parameter name 'Invalid boolean value 'maybe'"
     " for option --flag'\n")


def test_options_then_arguments(node_env):
  assert _Main(["show", "-f", "-d", "-d", "a", "--submit", "b"]) == 0
  ((opts, args), ) = _CALLS
  assert opts.force is True and opts.debug_level == 2
  assert opts.submit_only is False
  assert args == ["a", "--submit", "b"]


def test_aliases_and_override(node_env):
  assert _Main(["display", "x"], aliases={"display": "show"},
               override={"force": "forced"}) == 0
  ((opts, args), ) = _CALLS
  assert (opts.force, args) == ("forced", ["x"])


def test_bad_alias_tables(node_env):
  with pytest.raises(errors.ProgrammerError, match="overrides"):
    _Main(["show"], aliases={"show": "one"})
  with pytest.raises(errors.ProgrammerError, match="unknown command"):
    _Main(["show"], aliases={"x": "nosuch"})
  with pytest.raises(errors.ProgrammerError, match="must be"):
    cli.GenericMain({"x": (_CmdShow, None, [], "")}, argv=["gnt-x", "x"])


def test_env_override_inserts_arguments_first(node_env, monkeypatch):
  monkeypatch.setenv("GNT_TEST_SHOW", "-f 'env arg'")
  assert _Main(["show", "mine"], env_override=["show"]) == 0
  ((opts, args), ) = _CALLS
  assert opts.force is True
  assert args == ["env arg", "mine"]
  assert _Main(["show", "mine"]) == 0
  assert _CALLS[0][1] == ["mine"]


def test_errors_become_messages_and_codes(node_env, capsys):
  assert _Main(["fail"]) == 1
  assert capsys.readouterr().err == (
    "Failure: prerequisites not met for this operation:\n"
    "error type: unknown_entity, error details:\nNothing to see\n")
  assert _Main(["submit"]) == 0
  assert capsys.readouterr().err == "JobID: 23\n"
  assert _Main(["interrupt"]) == 1
  assert capsys.readouterr().err.startswith("Aborted. Note that if the"
                                            " operation created any jobs")
  assert _Main(["pipe"]) == 1


def test_command_line_is_logged(node_env):
  assert _Main(["show", "it's"]) == 0
  for handler in logging.getLogger("").handlers:
    handler.flush()
  with open(pathutils.LOG_COMMANDS) as log:
    text = log.read()
  assert "gnt-test show" in text
  assert "Command line: gnt-test show 'it'\\''s'" in text


def test_unwritable_command_log_is_not_fatal(tmp_path, monkeypatch, capsys):
  monkeypatch.setenv("GANETI_ROOTDIR", str(tmp_path / "n1"))
  monkeypatch.setenv("GANETI_HOSTNAME", "n1")
  pathutils.Reload()
  logger = logging.getLogger("")
  saved = list(logger.handlers)
  try:
    assert _Main(["show"]) == 0
    assert capsys.readouterr().err == ""
  finally:
    for handler in list(logger.handlers):
      logger.removeHandler(handler)
    for handler in saved:
      logger.addHandler(handler)
    monkeypatch.undo()
    pathutils.Reload()


def _WriteSsconf(master):
  for path in (pathutils.DATA_DIR, pathutils.LOCK_DIR):
    os.makedirs(path, exist_ok=True)
  ssconf.WriteSsconfFiles({ssconf.SS_MASTER_NODE: master,
                           ssconf.SS_CLUSTER_NAME: "cluster.example.com"})


def test_no_master_outside_a_cluster(node_env, capsys):
  assert _Main(["nomaster"]) == 1
  assert capsys.readouterr().err == (
    "Failure: prerequisites not met for this operation:\n"
    "error type: wrong_input, error details:\n"
    "Cluster not initialized or this machine is not part of a cluster\n")


def test_no_master_on_another_node(node_env, capsys):
  _WriteSsconf("node2.example.com")
  assert _Main(["nomaster"]) == 1
  assert capsys.readouterr().err.endswith(
    "This is not the master node, please connect to node"
    " 'node2.example.com' and rerun the command\n")


def test_no_master_daemon_on_the_master(node_env, capsys):
  _WriteSsconf("node1.example.com")
  assert _Main(["nomaster"]) == 1
  assert capsys.readouterr().err == (
    "Cannot communicate with the master daemon.\n"
    "Is it running and listening for connections?\n")


def test_get_client_uses_master_socket(node_env):
  client = cli.GetClient()
  assert isinstance(client, luxi.Client)
  assert client.address == pathutils.MASTER_SOCKET


# listing helpers


def test_generic_list_turns_arguments_into_filters():
  # names, globs and filter expressions (cli.md 7.4), through qlang
  client = _QueryClient()
  for (args, force, expected) in [
      (["3", "10"], False, ["|", ["==", "id", 3], ["==", "id", 10]]),
      ([], False, None),
      ]:
    client.queries = []
    cli.GenericList(constants.QR_JOB, ["id"], args, None, None, False,
                    cl=client, namefield="id", isnumeric=True,
                    force_filter=force)
    assert [q[2] for q in client.queries] == [expected]
  client.queries = []
  cli.GenericList(constants.QR_NODE, ["name"], ["n*"], None, None, False,
                  cl=client, namefield="name")
  assert [q[2] for q in client.queries] == [["|", ["=~", "name", "^n[^.]*(\\..*)?$"]]]
  client.queries = []
  cli.GenericList(constants.QR_NODE, ["name"], ["name == 'x'"], None, None,
                  False, cl=client, namefield="name")
  assert [q[2] for q in client.queries] == [["==", "name", "x"]]
  with pytest.raises(errors.OpPrereqError, match="Invalid job ID"):
    cli.GenericList(constants.QR_JOB, ["id"], ["x"], None, None, False,
                    cl=client, namefield="id", isnumeric=True)


class _QueryClient(object):
  """Answers Query/QueryFields like the master's query2 would."""

  def __init__(self):
    self.queries = []

  def Query(self, what, fields, qfilter):
    self.queries.append((what, fields, qfilter))
    fdefs = []
    for name in fields:
      kind = constants.QFT_UNKNOWN if name == "foo" else constants.QFT_TEXT
      fdefs.append({"name": name, "title": name.upper(), "kind": kind,
                    "doc": "Field %s" % name})
    row = [[constants.RS_UNKNOWN, None] if name == "foo"
           else [constants.RS_NORMAL, "v-%s" % name] for name in fields]
    return {"fields": fdefs, "data": [row]}

  def QueryFields(self, what, fields):
    return {"fields": [{"name": "a", "title": "A", "kind": "text",
                        "doc": "Field a"},
                       {"name": "zz", "title": "zz", "kind": "unknown",
                        "doc": "Unknown field 'zz'"}][:len(fields or "xx")]}


def test_generic_list(capsys):
  client = _QueryClient()
  assert cli.GenericList("job", ["id", "status"], ["5"], None, None, True,
                         cl=client, namefield="id", isnumeric=True,
                         qfilter=["==", "status", "running"]) == 0
  assert client.queries == [("job", ["id", "status"],
                             ["&", ["|", ["==", "id", 5]],
                              ["==", "status", "running"]])]
  assert capsys.readouterr().out == "ID   STATUS\nv-id v-status\n"


def test_generic_list_unknown_field(capsys):
  code = cli.GenericList("lock", ["name", "foo"], None, None, "|", False,
                         cl=_QueryClient())
  assert code == constants.EXIT_UNKNOWN_FIELD
  captured = capsys.readouterr()
  assert captured.out == "v-name|??\n"
  assert captured.err == "Warning: Queried for unknown fields foo\n"


def test_generic_list_names_need_name_field():
  with pytest.raises(errors.OpPrereqError, match="cannot be restricted"):
    cli.GenericList("lock", ["name"], ["x"], None, None, True,
                    cl=_QueryClient())


def test_generic_list_fields(capsys):
  assert cli.GenericListFields("job", [], None, True,
                               cl=_QueryClient()) == 14
  assert capsys.readouterr().out == ("Name Title Description\n"
                                     "a    A     Field a\n"
                                     "zz   zz    Unknown field 'zz'\n")
  assert cli.GenericListFields("job", ["a"], ",", False,
                               cl=_QueryClient()) == 0
  assert capsys.readouterr().out == "a,A,Field a\n"
