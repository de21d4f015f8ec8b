"""Tests for ganeti.errors: hierarchy, error codes and wire encoding."""

import json

import pytest
from hypothesis import given, strategies as st

from ganeti import errors


# Names the LUXI spec lists as seen on the wire; all must be known classes.
WIRE_NAMES = [
  "GenericError", "OpPrereqError", "OpExecError", "OpResultError",
  "OpCodeUnknown", "ParameterError", "QueryFilterParseError",
  "ProgrammerError", "ConfigurationError", "ConfigVersionMismatch",
  "ReservationError", "RemoteError", "HypervisorError", "BlockDeviceError",
  "LockError", "ResolverError", "HooksFailure", "HooksAbort",
  "UnitParseError", "ParseError", "TypeEnforcementError", "TagError",
  "CommandError", "StorageError", "JobLost", "JobFileCorrupted",
  "JobQueueError", "JobQueueDrainError", "JobQueueFull", "LuxiError",
  "IPAddressError", "X509CertError", "SshKeyError", "SignatureError",
  ]

OTHER_NAMES = [
  "AddressPoolError", "ResultValidationError", "InotifyError",
  "ConfdMagicError", "ConfdClientError", "UdpDataSizeError",
  "NoCtypesError", "QueryFilterError", "FileStoragePathError",
  "PidFileLockError", "RapiTestResult", "JobCanceled", "HotplugError",
  ]


@pytest.mark.parametrize("name", WIRE_NAMES + OTHER_NAMES)
def test_every_named_class_is_a_generic_error(name):
  cls = getattr(errors, name)
  assert issubclass(cls, errors.GenericError)
  assert errors.GetErrorClass(name) is cls


@pytest.mark.parametrize(("child", "parent"), [
  ("ConfigVersionMismatch", "ConfigurationError"),
  ("JobQueueDrainError", "JobQueueError"),
  ("JobQueueFull", "JobQueueError"),
  ("HooksAbort", "HooksFailure"),
  ("QueryFilterParseError", "ParseError"),
  ("PidFileLockError", "LockError"),
  ("HotplugError", "HypervisorError"),
  ])
def test_subclass_relations_follow_ganeti(child, parent):
  assert issubclass(getattr(errors, child), getattr(errors, parent))


def test_quit_exception_is_not_a_ganeti_error():
  assert not issubclass(errors.QuitGanetiException, errors.GenericError)
  assert errors.GetErrorClass("QuitGanetiException") is None
  err = errors.QuitGanetiException(True, "shutting down")
  assert err.args == (True, "shutting down")


def test_error_codes_have_wire_values():
  assert errors.ECODE_RESOLVER == "resolver_error"
  assert errors.ECODE_NORES == "insufficient_resources"
  assert errors.ECODE_TEMP_NORES == "temp_insufficient_resources"
  assert errors.ECODE_INVAL == "wrong_input"
  assert errors.ECODE_STATE == "wrong_state"
  assert errors.ECODE_NOENT == "unknown_entity"
  assert errors.ECODE_EXISTS == "already_exists"
  assert errors.ECODE_NOTUNIQUE == "resource_not_unique"
  assert errors.ECODE_FAULT == "internal_error"
  assert errors.ECODE_ENVIRON == "environment_error"
  assert len(errors.ECODE_ALL) == 10
  assert isinstance(errors.ECODE_ALL, frozenset)


def test_ecode_is_second_argument():
  err = errors.OpPrereqError("Instance 'foo' not known", errors.ECODE_NOENT)
  assert err.args[1] == "unknown_entity"


@pytest.mark.parametrize("name", ["Exception", "KeyError", "SystemExit",
                                  "QuitGanetiException", "ECODE_ALL",
                                  "GetErrorClass", "", "opprereqerror",
                                  "_BuildRegistry"])
def test_get_error_class_refuses_non_ganeti_names(name):
  assert errors.GetErrorClass(name) is None


@pytest.mark.parametrize("name", [None, 1, ["OpExecError"], b"OpExecError"])
def test_get_error_class_refuses_non_strings(name):
  assert errors.GetErrorClass(name) is None


def test_encode_exception_uses_class_name_and_args():
  err = errors.OpPrereqError("Instance 'foo' not known", errors.ECODE_NOENT)
  assert errors.EncodeException(err) == \
    ["OpPrereqError", ["Instance 'foo' not known", "unknown_entity"]]


def test_encode_exception_turns_nested_tuples_into_lists():
  err = errors.HooksAbort([("node1", "script", "output")])
  encoded = errors.EncodeException(err)
  assert encoded == ["HooksAbort", [[["node1", "script", "output"]]]]
  assert isinstance(encoded[1][0][0], list)
  err = errors.ConfigVersionMismatch((2, 6), 5)
  assert errors.EncodeException(err) == ["ConfigVersionMismatch",
                                         [[2, 6], 5]]


def test_encode_exception_is_json_ready():
  err = errors.OpExecError("Could not start", "detail")
  assert json.loads(json.dumps(errors.EncodeException(err))) == \
    ["OpExecError", ["Could not start", "detail"]]


@pytest.mark.parametrize("value", ["OpExecError", None, 5,
                                   errors.OpExecError])
def test_encode_exception_refuses_non_exceptions(value):
  with pytest.raises(errors.ProgrammerError, match="exception instance"):
    errors.EncodeException(value)


def test_get_encoded_error_recognises_lists_and_tuples():
  assert errors.GetEncodedError(["OpExecError", ["x"]]) == \
    (errors.OpExecError, ("x", ))
  assert errors.GetEncodedError(("LockError", ("a", 1))) == \
    (errors.LockError, ("a", 1))


@pytest.mark.parametrize("value", [
  None, "OpExecError", ["OpExecError"], ["OpExecError", "x"],
  ["OpExecError", ["x"], "extra"], ["NoSuchError", ["x"]],
  ["KeyError", ["x"]], {"OpExecError": ["x"]}, [1, ["x"]], 42,
  ])
def test_get_encoded_error_ignores_everything_else(value):
  assert errors.GetEncodedError(value) is None


def test_maybe_raise_raises_the_encoded_class():
  with pytest.raises(errors.OpPrereqError) as info:
    errors.MaybeRaise(["OpPrereqError", ["bad", "wrong_input"]])
  assert info.value.args == ("bad", "wrong_input")


@pytest.mark.parametrize("value", [None, [True, "ok"], ["Foo", ["x"]],
                                   "Caught exception: x"])
def test_maybe_raise_leaves_other_results_alone(value):
  assert errors.MaybeRaise(value) is None


def test_decode_exception_known_class():
  err = errors.DecodeException(["JobLost", ["123"]])
  assert type(err) is errors.JobLost
  assert err.args == ("123", )


def test_decode_exception_unknown_class_keeps_text():
  err = errors.DecodeException(["FancyNewError", ["disk on fire", 3]])
  assert type(err) is errors.GenericError
  assert "FancyNewError" in str(err.args[0])
  assert "disk on fire" in str(err.args[0])
  assert err.args[1:] == ("FancyNewError", ["disk on fire", 3])


def test_decode_exception_plain_string():
  err = errors.DecodeException("Caught exception: boom")
  assert type(err) is errors.GenericError
  assert err.args == ("Caught exception: boom", )


@pytest.mark.parametrize("value", [None, 5, {"a": 1}, ["x"], [1, 2, 3]])
def test_decode_exception_malformed(value):
  err = errors.DecodeException(value)
  assert type(err) is errors.GenericError
  assert "Malformed encoded error" in err.args[0]
  assert repr(value) in err.args[0]


def test_format_error():
  assert errors.FormatError(errors.OpPrereqError("bad", "wrong_input")) == \
    "OpPrereqError: bad [wrong_input]"
  assert errors.FormatError(errors.OpExecError("a", 1)) == \
    "OpExecError: a, 1"
  assert errors.FormatError(errors.JobQueueFull()) == "JobQueueFull"
  with pytest.raises(errors.ProgrammerError, match="exception instance"):
    errors.FormatError("not an error")


def test_query_filter_parse_error_details():
  err = errors.QueryFilterParseError("Failed to parse", ["line 1", "   ^"])
  assert err.GetDetails() == ["Failed to parse", "line 1", "   ^"]
  assert errors.QueryFilterParseError("only msg").GetDetails() == \
    ["only msg"]


_WIRE_ARG = st.recursive(
  st.none() | st.booleans() | st.integers() | st.text(),
  lambda children: st.lists(children, max_size=4), max_leaves=10)


@given(name=st.sampled_from(WIRE_NAMES + OTHER_NAMES),
       args=st.lists(_WIRE_ARG, max_size=4))
def test_encode_decode_round_trip(name, args):
  err = getattr(errors, name)(*args)
  wire = json.loads(json.dumps(errors.EncodeException(err)))
  decoded = errors.DecodeException(wire)
  assert type(decoded) is type(err)
  assert list(decoded.args) == args
  with pytest.raises(type(err)):
    errors.MaybeRaise(wire)
