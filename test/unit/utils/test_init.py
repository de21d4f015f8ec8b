"""Tests for the ganeti.utils package itself: re-exports, ForceDictType."""

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import utils


_SUBMODULES = ["algo", "filelock", "hash", "io", "log", "mlock", "process",
               "retry", "text", "wrapper", "x509"]


def test_public_names_reexported_flat():
  import importlib
  for name in _SUBMODULES:
    module = importlib.import_module("ganeti.utils.%s" % name)
    public = [n for n in dir(module) if not n.startswith("_") and
              getattr(getattr(module, n), "__module__", None) ==
              module.__name__]
    for attr in public:
      assert getattr(utils, attr) is getattr(module, attr), (name, attr)


def test_contract_names_exist():
  for name in ["WriteFile", "ReadFile", "RunCmd", "Retry", "FileLock",
               "FormatUnit", "ParseUnit", "NiceSort", "GenerateSecret",
               "NewUUID", "GenerateSelfSignedX509Cert", "SetupLogging",
               "RetryAgain", "RetryTimeout", "ForceDictType"]:
    assert callable(getattr(utils, name)), name


_TYPES = {
  "s": constants.VTYPE_STRING,
  "ms": constants.VTYPE_MAYBE_STRING,
  "b": constants.VTYPE_BOOL,
  "z": constants.VTYPE_SIZE,
  "i": constants.VTYPE_INT,
  }


def test_force_dict_type_conversions():
  target = {"s": "x", "ms": None, "b": "TRUE", "z": "1G", "i": "42"}
  utils.ForceDictType(target, _TYPES)
  assert target == {"s": "x", "ms": None, "b": True, "z": 1024, "i": 42}
  target = {"s": False, "b": "false", "z": 130, "i": 7.0}
  utils.ForceDictType(target, _TYPES)
  assert target == {"s": "", "b": False, "z": 132, "i": 7}
  target = {"b": 1, "ms": "text"}
  utils.ForceDictType(target, _TYPES)
  assert target == {"b": True, "ms": "text"}
  target = {"b": "", "i": constants.VALUE_DEFAULT}
  utils.ForceDictType(target, _TYPES, allowed_values=[constants.VALUE_DEFAULT])
  assert target == {"b": False, "i": constants.VALUE_DEFAULT}
  empty = {}
  utils.ForceDictType(empty, _TYPES)
  assert empty == {}


@pytest.mark.parametrize("target, match", [
  ([], "Expected dictionary"),
  ("s=1", "Expected dictionary"),
  ({"unknown": 1}, "Unknown parameter 'unknown'"),
  ({"s": 5}, "'s' \\(value 5\\) is not a valid string"),
  ({"s": None}, "not a valid string"),
  ({"ms": True}, "not a valid string"),
  ({"b": "yes"}, "'b' \\(value 'yes'\\) is not a valid boolean"),
  ({"z": "lots"}, "'z' \\(value 'lots'\\) is not a valid size"),
  ({"z": "-1"}, "not a valid size"),
  ({"i": "four"}, "'i' \\(value 'four'\\) is not a valid integer"),
  ({"i": None}, "not a valid integer"),
  ({"i": 1.5}, "not a valid integer"),
])
def test_force_dict_type_errors(target, match):
  with pytest.raises(errors.TypeEnforcementError, match=match):
    utils.ForceDictType(target, _TYPES)


def test_force_dict_type_unenforceable_type():
  with pytest.raises(errors.ProgrammerError, match="non-enforceable"):
    utils.ForceDictType({"x": 1}, {"x": "no-such-type"})


def test_try_convert():
  assert utils.TryConvert(int, "5") == 5
  assert utils.TryConvert(int, "x") == "x"
  assert utils.TryConvert(int, None) is None
  with pytest.raises(ZeroDivisionError):
    utils.TryConvert(lambda v: 1 / v, 0)
