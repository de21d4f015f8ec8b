"""Tests of ganeti.client.gnt_debug and of every tool's command table.

The commands themselves run against a real master daemon in
test/integration/test_gnt_job.py.
"""

import importlib
import pkgutil

import pytest

from ganeti import cli
from ganeti import client as client_pkg
from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.client import gnt_debug


def _ToolModules():
  return [importlib.import_module("ganeti.client." + info.name)
          for info in pkgutil.iter_modules(client_pkg.__path__)
          if info.name.startswith("gnt_")]


def _AllCommands():
  for module in _ToolModules():
    for (name, entry) in module.commands.items():
      yield ("%s %s" % (module.__name__, name), entry)


_COMMON_PARAM_NAMES = frozenset(opcodes.OpCode.GetParamNames())


def test_tools_are_found():
  names = [module.__name__ for module in _ToolModules()]
  assert "ganeti.client.gnt_debug" in names
  assert "ganeti.client.gnt_job" in names


def test_cli_feeds_only_real_params():
  """STYLE.md 2: an option filling an opcode uses the parameter's name."""
  checked = 0
  for (name, (fn, _, options, _, _)) in _AllCommands():
    op_class = getattr(fn, "opcode_class", None)
    if op_class is None:
      continue
    params = set(op_class.GetParamNames())
    for option in options + cli.COMMON_OPTS:
      if option.opcode_param:
        assert option.dest in params, (name, option)
        checked += 1
  assert checked >= 5


def test_command_tables_are_well_formed():
  for (name, entry) in _AllCommands():
    (fn, args_def, options, usage, description) = entry
    assert callable(fn), name
    assert args_def is None or isinstance(args_def, list), name
    assert all(isinstance(opt, cli.CliOption) for opt in options), name
    assert isinstance(usage, str) and description, name
    dests = [opt.get_opt_string() for opt in options + cli.COMMON_OPTS]
    assert len(dests) == len(set(dests)), name


def test_option_helps_borrowed_from_opcode():
  for option in (gnt_debug._REPEAT_OPT, gnt_debug._ON_NODES_OPT):
    assert option.help == opcodes.OpTestDelay.GetParam(option.dest).doc
  assert gnt_debug._NO_MASTER_OPT.help.endswith(
    opcodes.OpTestDelay.GetParam("on_master").doc)


def _Parse(command, argv):
  (_, _, options, _, _) = gnt_debug.commands[command]
  return cli.ParseArgs("gnt-debug", ["gnt-debug", command] + argv,
                       gnt_debug.commands, gnt_debug.aliases)


def test_delay_opcode_from_options():
  (fn, opts, args) = _Parse("delay", ["--no-master", "-n", "node1", "-n",
                                      "node2", "-r", "3", "--priority",
                                      "high", "--dry-run", "-d", "1.5"])
  assert fn is gnt_debug.Delay
  op = gnt_debug._BuildDelayOp(opts, args)
  cli.SetGenericOpcodeOpts([op], opts)
  op.Validate(True)
  assert op.ToDict() == {
    "OP_ID": "OP_TEST_DELAY", "duration": 1.5, "on_master": False,
    "on_nodes": ["node1", "node2"], "repeat": 3,
    "priority": constants.OP_PRIO_HIGH, "dry_run": True, "debug_level": 1,
    "comment": None, "depends": None, "reason": []}


def test_delay_defaults():
  (_, opts, args) = _Parse("delay", ["0"])
  op = gnt_debug._BuildDelayOp(opts, args)
  cli.SetGenericOpcodeOpts([op], opts)
  op.Validate(True)
  assert (op.duration, op.on_master, op.on_nodes, op.repeat) == \
    (0.0, True, [], 0)
  assert op.priority == constants.OP_PRIO_DEFAULT
  assert opts.submit_only is False


def test_delay_negative_duration_is_accepted_by_client():
  (_, opts, args) = _Parse("delay", ["--", "-2"])
  assert gnt_debug._BuildDelayOp(opts, args).duration == -2.0


def test_delay_bad_duration():
  (_, opts, args) = _Parse("delay", ["soon"])
  with pytest.raises(errors.OpPrereqError,
                     match="Invalid duration 'soon'") as info:
    gnt_debug._BuildDelayOp(opts, args)
  assert info.value.args[1] == errors.ECODE_INVAL


def test_delay_needs_one_argument():
  with pytest.raises(cli.ArgumentCountError, match="expects 1 argument"):
    _Parse("delay", [])


def test_locks_options():
  (fn, opts, args) = _Parse("locks", ["-o", "+foo", "--no-headers",
                                      "--separator", ":", "--interval", "2",
                                      "-v"])
  assert fn is gnt_debug.ListLocks
  assert (opts.output, opts.no_headers, opts.separator, opts.interval,
          opts.verbose) == ("+foo", True, ":", 2, True)
  assert args == []
  with pytest.raises(cli.ArgumentCountError, match="expects no arguments"):
    _Parse("locks", ["x"])


def test_locks_bad_interval():
  (_, opts, args) = _Parse("locks", ["--interval", "0"])
  with pytest.raises(errors.OpPrereqError, match="Invalid interval 0"):
    gnt_debug.ListLocks(opts, args)


def _LockFdef(name, title):
  return {"name": name, "title": title, "kind": constants.QFT_OTHER,
          "doc": title}


def test_locks_formatting_golden():
  response = {
    "fields": [{"name": "name", "title": "Name", "kind": "text",
                "doc": "Lock name"},
               _LockFdef("mode", "Mode"), _LockFdef("owner", "Owner"),
               _LockFdef("pending", "Pending")],
    "data": [
      [[0, "cluster/BGL"], [0, "shared"], [0, ["job/3", "job/4"]],
       [0, None]],
      [[0, "node/node1"], [0, "exclusive"], [0, ["job/3"]],
       [0, [["exclusive", ["job/5", "job/6"]], ["shared", ["job/7"]]]]],
      [[0, "node/node2"], [0, None], [0, None], [0, []]],
      ],
    }
  (status, lines) = cli.FormatQueryResult(
    response, header=True, format_override=gnt_debug._LOCKS_FORMAT)
  assert status == cli.QR_NORMAL
  assert lines == [
    "Name        Mode      Owner       Pending",
    "cluster/BGL shared    job/3,job/4 -",
    "node/node1  exclusive job/3       exclusive:job/5,job/6, shared:job/7",
    "node/node2  -         -           -",
    ]


def test_no_alias_points_nowhere():
  for alias in gnt_debug.aliases.values():
    assert alias in gnt_debug.commands
