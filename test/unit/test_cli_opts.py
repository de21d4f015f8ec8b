"""Tests of ganeti.cli_opts: option value types, options, argument counts."""

import optparse

import pytest
from hypothesis import given, strategies as st

from ganeti import cli_opts
from ganeti import constants
from ganeti import errors
from ganeti import opcodes


def _Parse(options, argv):
  parser = optparse.OptionParser(option_list=options)
  parser.disable_interspersed_args()
  return parser.parse_args(argv)


class _ParserExit(Exception):
  pass


def _StrictParser(options):
  """A parser that raises instead of exiting on usage errors."""
  parser = optparse.OptionParser(option_list=options)

  def error(msg):
    raise _ParserExit(msg)
  parser.error = error
  return parser


# key=value lists (cli.md 3.1)

def test_keyval_plain_values_and_flags():
  result = cli_opts.check_key_val(None, "-B", "a=1,b,no_c,-d,e=x=y")
  assert result == {"a": "1", "b": True, "c": False, "d": None, "e": "x=y"}


def test_keyval_escaped_comma_stays_in_value():
  assert cli_opts.check_key_val(None, "-B", r"a=x\,y,b=2") == \
    {"a": "x,y", "b": "2"}


def test_keyval_empty_is_empty_dict():
  assert cli_opts.check_key_val(None, "-B", "") == {}


def test_keyval_duplicate_key_is_parameter_error():
  with pytest.raises(errors.ParameterError, match="Duplicate key 'a'"):
    cli_opts.check_key_val(None, "-B", "a=1,a=2")


@given(st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
                       .filter(lambda k: not k.startswith("no_")),
                       st.text(alphabet="xyz0123,=\\", max_size=6),
                       max_size=5))
def test_keyval_roundtrip_with_escaping(data):
  text = ",".join("%s=%s" % (key, value.replace("\\", "\\\\")
                             .replace(",", "\\,"))
                  for (key, value) in data.items())
  assert cli_opts.check_key_val(None, "-x", text) == data


# ident:key=value (cli.md 3.2)

def test_identkeyval_forms():
  check = cli_opts.check_ident_key_val
  assert check(None, "-H", "kvm:acpi=true,kernel_path") == \
    ("kvm", {"acpi": "true", "kernel_path": True})
  assert check(None, "-H", "kvm") == ("kvm", {})
  assert check(None, "-H", "no_kvm") == ("kvm", False)
  assert check(None, "-H", "-kvm") == ("kvm", None)
  # a dash followed by a digit is a negative index, not a removal
  assert check(None, "--disk", "-1:size=5") == ("-1", {"size": "5"})


@pytest.mark.parametrize("value", ["no_kvm:acpi=1", "-kvm:acpi=1"])
def test_identkeyval_removal_refuses_options(value):
  with pytest.raises(errors.ParameterError, match="Cannot pass options"):
    cli_opts.check_ident_key_val(None, "-H", value)


# other types

@pytest.mark.parametrize("value, expected", [
  ("1", 4), ("130", 132), ("1.5G", 1536), ("2t", 2 * 1024 * 1024),
  ("512 MiB", 512)])
def test_unit_type(value, expected):
  assert cli_opts.check_unit(None, "-s", value) == expected


@pytest.mark.parametrize("value", ["", "abc", "5x", "1.2.3"])
def test_unit_type_rejects_garbage(value):
  with pytest.raises(optparse.OptionValueError, match="option -s"):
    cli_opts.check_unit(None, "-s", value)


@pytest.mark.parametrize("value, expected", [
  ("yes", True), ("YES", True), ("true", True), ("no", False),
  ("False", False)])
def test_bool_type(value, expected):
  assert cli_opts.check_bool(None, "--x", value) is expected


def test_bool_type_rejects_other_words():
  with pytest.raises(errors.ParameterError,
                     match="Invalid boolean value 'maybe'"):
    cli_opts.check_bool(None, "--x", "maybe")


def test_list_type():
  assert cli_opts.check_list(None, "--l", "") == []
  assert cli_opts.check_list(None, "--l", r"a,b\,c") == ["a", "b,c"]


def test_maybefloat_type():
  assert cli_opts.check_maybefloat(None, "--r", "Default") == "default"
  assert cli_opts.check_maybefloat(None, "--r", "1.5") == 1.5
  with pytest.raises(optparse.OptionValueError, match="invalid value 'x'"):
    cli_opts.check_maybefloat(None, "--r", "x")


def test_cli_option_types_through_optparse():
  options = [
    cli_opts.CliOption("-s", dest="size", type="unit"),
    cli_opts.CliOption("-B", dest="be", type="keyval"),
    cli_opts.CliOption("-H", dest="hv", type="identkeyval", action="append"),
    cli_opts.CliOption("--flag", dest="flag", type="bool"),
    ]
  (opts, args) = _Parse(options, ["-s", "1g", "-B", "a=1", "-H", "kvm",
                                  "-H", "no_xen", "--flag", "no", "arg",
                                  "-s", "3"])
  assert opts.size == 1024
  assert opts.be == {"a": "1"}
  assert opts.hv == [("kvm", {}), ("xen", False)]
  assert opts.flag is False
  # options after the first argument are arguments (Ganeti convention)
  assert args == ["arg", "-s", "3"]


def test_unit_option_error_is_usage_error():
  parser = _StrictParser([cli_opts.CliOption("-s", dest="size", type="unit")])
  with pytest.raises(_ParserExit, match="option -s"):
    parser.parse_args(["-s", "lots"])


# common options

def test_priority_option_maps_names():
  (opts, _) = _Parse([cli_opts.PRIORITY_OPT], ["--priority", "high"])
  assert cli_opts.PriorityNameToValue(opts.priority) == constants.OP_PRIO_HIGH
  assert cli_opts.PriorityNameToValue("low") == constants.OP_PRIO_LOW
  assert cli_opts.PriorityNameToValue("normal") == constants.OP_PRIO_NORMAL


def test_priority_name_unknown():
  with pytest.raises(errors.OpPrereqError, match="Unknown priority name"):
    cli_opts.PriorityNameToValue("urgent")


def test_priority_option_refuses_other_choice():
  parser = _StrictParser([cli_opts.PRIORITY_OPT])
  with pytest.raises(_ParserExit, match="invalid choice"):
    parser.parse_args(["--priority", "urgent"])


def test_debug_option_counts():
  (opts, _) = _Parse([cli_opts.DEBUG_OPT], ["-d", "-d", "--debug"])
  assert opts.debug_level == 3


def test_long_option_prefix_is_accepted():
  (opts, _) = _Parse([cli_opts.SUBMIT_OPT], ["--sub"])
  assert opts.submit_only is True


def test_yes_do_it_alias():
  (opts, _) = _Parse([cli_opts.YES_DOIT_OPT], ["--ya-rly"])
  assert opts.yes_do_it is True


def _AllModuleOptions():
  return [(name, value) for (name, value) in vars(cli_opts).items()
          if isinstance(value, cli_opts.CliOption)]


def test_options_feeding_opcodes_use_parameter_names():
  all_params = set()
  for op_class in opcodes.OP_MAPPING.values():
    all_params.update(op_class.GetParamNames())
  checked = 0
  for (name, option) in _AllModuleOptions():
    if option.opcode_param:
      assert option.dest in all_params, name
      checked += 1
  assert checked >= 10


def test_param_option_borrows_the_doc():
  doc = opcodes.OpTestDelay.GetParam("repeat").doc
  option = cli_opts.ParamOption("-r", dest="repeat", type="int",
                                op_class=opcodes.OpTestDelay)
  assert option.help == doc
  assert option.opcode_param is True


def test_param_option_refuses_unknown_parameter():
  with pytest.raises(errors.ProgrammerError, match="'no_such_param'"):
    cli_opts.ParamOption("--x", dest="no_such_param")
  with pytest.raises(errors.ProgrammerError, match="OP_TEST_DELAY"):
    cli_opts.ParamDoc("force", opcodes.OpTestDelay)


# argument definitions and counts (cli.md 1)

def _Check(args_def, count):
  cli_opts.CheckArguments("cmd", args_def, ["x"] * count)


def test_arguments_none_expected():
  _Check(cli_opts.ARGS_NONE, 0)
  with pytest.raises(cli_opts.ArgumentCountError,
                     match="^Command cmd expects no arguments$"):
    _Check(cli_opts.ARGS_NONE, 1)


def test_arguments_exact_count():
  _Check(cli_opts.ARGS_ONE_NODE, 1)
  for count in (0, 2):
    with pytest.raises(cli_opts.ArgumentCountError,
                       match=r"^Command cmd expects 1 argument\(s\)$"):
      _Check(cli_opts.ARGS_ONE_NODE, count)


def test_arguments_range():
  args_def = [cli_opts.ArgJobId(min=1, max=3)]
  _Check(args_def, 1)
  _Check(args_def, 3)
  with pytest.raises(cli_opts.ArgumentCountError,
                     match=r"expects only 3 argument\(s\)"):
    _Check(args_def, 4)
  with pytest.raises(cli_opts.ArgumentCountError,
                     match=r"expects at least 1 argument\(s\)"):
    _Check(args_def, 0)


def test_arguments_unlimited():
  _Check([cli_opts.ArgJobId()], 0)
  _Check([cli_opts.ArgJobId()], 50)
  _Check([cli_opts.ArgNode(min=1, max=1), cli_opts.ArgUnknown(min=1)], 7)
  with pytest.raises(cli_opts.ArgumentCountError, match="at least 2"):
    _Check([cli_opts.ArgNode(min=1, max=1), cli_opts.ArgUnknown(min=1)], 1)


def test_arguments_none_definition_turns_check_off():
  cli_opts.CheckArguments("cmd", None, ["a"] * 100)


def test_arguments_variable_count_only_last():
  with pytest.raises(errors.ProgrammerError, match="Only the last argument"):
    _Check([cli_opts.ArgNode(), cli_opts.ArgNode(min=1, max=1)], 1)


@pytest.mark.parametrize("kwargs", [{"min": -1}, {"min": 2, "max": 1},
                                    {"max": "3"}])
def test_argument_definition_bad_counts(kwargs):
  with pytest.raises(errors.ProgrammerError, match="Argument m"):
    cli_opts.ArgUnknown(**kwargs)


def test_argument_repr_names_kind_and_counts():
  assert repr(cli_opts.ArgJobId(min=1)) == "<ArgJobId min=1 max=None>"
  assert "choices=['a']" in repr(cli_opts.ArgChoice(choices=["a"]))


@given(st.lists(st.integers(min_value=0, max_value=3), max_size=3),
       st.integers(min_value=0, max_value=3), st.booleans(),
       st.integers(min_value=0, max_value=12))
def test_argument_count_property(fixed, last_min, unlimited, count):
  args_def = [cli_opts.ArgUnknown(min=n, max=n) for n in fixed]
  args_def.append(cli_opts.ArgUnknown(min=last_min,
                                      max=None if unlimited else last_min + 2))
  low = sum(fixed) + last_min
  high = None if unlimited else low + 2
  ok = count >= low and (high is None or count <= high)
  if ok:
    _Check(args_def, count)
  else:
    with pytest.raises(cli_opts.ArgumentCountError, match="Command cmd"):
      _Check(args_def, count)


def test_append_option_does_not_share_its_default():
  option = cli_opts.CliOption("-n", dest="nodes", action="append",
                              default=[])
  (first, _) = _Parse([option], ["-n", "a", "-n", "b"])
  (second, _) = _Parse([option], [])
  assert first.nodes == ["a", "b"]
  assert second.nodes == []
  assert option.default == []
