"""Tests for ganeti.ht: type checks, their descriptions and combinators."""

import re

import pytest
from hypothesis import given, strategies as st

from ganeti import ht


# A value of every JSON kind plus a few Python-only ones.
SAMPLES = {
  "none": None,
  "true": True,
  "false": False,
  "zero": 0,
  "one": 1,
  "minus": -3,
  "float": 1.5,
  "float0": 0.0,
  "negfloat": -2.5,
  "empty_str": "",
  "str": "abc",
  "digits": "123",
  "empty_list": [],
  "list": [1, 2],
  "empty_dict": {},
  "dict": {"a": 1},
  "tuple": (1, ),
  "bytes": b"abc",
  "object": object(),
  }


def _Accepted(check):
  return sorted(name for (name, value) in SAMPLES.items() if check(value))


@pytest.mark.parametrize(("check", "accepted"), [
  (ht.TNone, ["none"]),
  (ht.TBool, ["false", "true"]),
  (ht.TInt, ["minus", "one", "zero"]),
  (ht.TFloat, ["float", "float0", "negfloat"]),
  (ht.TNumber, ["float", "float0", "minus", "negfloat", "one", "zero"]),
  (ht.TString, ["digits", "empty_str", "str"]),
  (ht.TNonEmptyString, ["digits", "str"]),
  (ht.TMaybeString, ["digits", "none", "str"]),
  (ht.TMaybeBool, ["false", "none", "true"]),
  (ht.TList, ["empty_list", "list"]),
  (ht.TNonEmptyList, ["list"]),
  (ht.TMaybeList, ["empty_list", "list", "none"]),
  (ht.TDict, ["dict", "empty_dict"]),
  (ht.TNonEmptyDict, ["dict"]),
  (ht.TMaybeDict, ["dict", "empty_dict", "none"]),
  (ht.TTuple, ["tuple"]),
  (ht.TNonNegativeInt, ["one", "zero"]),
  (ht.TPositiveInt, ["one"]),
  (ht.TNegativeInt, ["minus"]),
  (ht.TMaybePositiveInt, ["none", "one"]),
  (ht.TMaybeNonNegativeInt, ["none", "one", "zero"]),
  (ht.TNonNegativeFloat, ["float", "float0"]),
  (ht.TPositiveFloat, ["float"]),
  (ht.TNonNegativeNumber, ["float", "float0", "one", "zero"]),
  (ht.TJobId, ["digits", "one", "zero"]),
  (ht.TRelativeJobId, ["minus"]),
  (ht.TCallable, []),
  ])
def test_basic_checks_accept_exactly(check, accepted):
  assert _Accepted(check) == accepted


def test_any_and_not_none():
  assert _Accepted(ht.TAny) == sorted(SAMPLES)
  assert _Accepted(ht.TNotNone) == sorted(set(SAMPLES) - set(["none"]))
  assert _Accepted(ht.TTrue) == sorted(["true", "one", "minus", "float",
                                        "negfloat", "str", "digits", "list",
                                        "dict", "tuple", "bytes", "object"])


def test_checks_return_real_booleans():
  assert ht.TTrue("x") is True
  assert ht.TTrue("") is False
  assert ht.TInt(5) is True


def test_callable_check():
  assert ht.TCallable(len)
  assert ht.TCallable(ht.TInt)
  assert not ht.TCallable("len")


@pytest.mark.parametrize(("check", "desc"), [
  (ht.TNone, "None"),
  (ht.TBool, "boolean"),
  (ht.TInt, "integer"),
  (ht.TFloat, "float"),
  (ht.TNumber, "number"),
  (ht.TString, "string"),
  (ht.TAny, "anything"),
  (ht.TNonEmptyString, "non-empty string"),
  (ht.TMaybeString, "None or non-empty string"),
  (ht.TMaybeBool, "None or boolean"),
  (ht.TPositiveInt, "positive integer"),
  (ht.TNonNegativeInt, "non-negative integer"),
  (ht.TMaybePositiveInt, "None or positive integer"),
  (ht.TListOf(ht.TNonEmptyString), "list of non-empty string"),
  (ht.TMaybeListOf(ht.TInt), "None or list of integer"),
  (ht.TListOf(ht.TOr(ht.TInt, ht.TString)), "list of (integer or string)"),
  (ht.TOr(ht.TInt, ht.TOr(ht.TString, ht.TNone)),
   "integer or string or None"),
  (ht.TAnd(ht.TOr(ht.TInt, ht.TNone), ht.TTrue),
   "(integer or None) and value that evaluates to true"),
  (ht.TOr(ht.TAnd(ht.TInt, ht.TTrue), ht.TNone),
   "(integer and value that evaluates to true) or None"),
  (ht.TNot(ht.TMaybeBool), "not (None or boolean)"),
  (ht.TNot(ht.TInt), "not integer"),
  (ht.TElemOf(["b", "a"]), "one of 'a', 'b'"),
  (ht.TElemOf([]), "nothing"),
  (ht.TDictOf(ht.TString, ht.TMaybeString),
   "dictionary with keys of string and values of (None or non-empty"
   " string)"),
  (ht.TItems([ht.TInt, ht.TString]), "sequence of [integer, string]"),
  (ht.TIsLength(2), "of length 2"),
  (ht.TRegex("^a+$"), "string matching '^a+$'"),
  (ht.TJobId, "job ID"),
  (ht.TRelativeJobId, "relative job ID"),
  (ht.TJobIdList, "list of job ID"),
  (ht.TInstanceOf(int), "instance of int"),
  (ht.TInstanceOf((int, str)), "instance of int or str"),
  (ht.TIPv4Address, "IPv4 address"),
  (ht.Comment("size in MiB")(ht.TPositiveInt),
   "positive integer (size in MiB)"),
  (ht.WithDesc("disk size")(ht.TPositiveInt), "disk size"),
  (ht.TStrictDict(True, True, {"b": ht.TInt, "a": ht.TString}),
   "dictionary with keys {'a': string, 'b': integer} (all keys required,"
   " no other keys)"),
  (ht.TStrictDict(False, False, {"a": ht.TString}),
   "dictionary with keys {'a': string}"),
  (ht.TMap(len, ht.TPositiveInt), "result of len must be positive integer"),
  ])
def test_descriptions(check, desc):
  assert str(check) == desc
  assert check.desc == desc
  assert repr(check) == "<ht check: %s>" % desc


def test_describe_plain_functions():
  def IsEven(val):
    return val % 2 == 0
  assert ht.Describe(IsEven) == "value accepted by IsEven"
  assert ht.Describe(lambda x: x).startswith("value accepted by <function")
  assert ht.Describe(ht.TInt) == "integer"
  assert str(ht.TListOf(IsEven)) == "list of value accepted by IsEven"


def test_with_desc_as_decorator():
  @ht.WithDesc("even number")
  def TEven(val):
    return ht.TInt(val) and val % 2 == 0
  assert TEven(4) is True
  assert TEven(3) is False
  assert TEven(2.0) is False
  assert str(TEven) == "even number"


def test_comment_keeps_the_check():
  check = ht.Comment("in MiB")(ht.TPositiveInt)
  assert check(5) and not check(0)


@pytest.mark.parametrize("maker", [ht.WithDesc, ht.Comment])
def test_desc_decorators_refuse_bad_input(maker):
  with pytest.raises(TypeError, match="string"):
    maker(5)
  with pytest.raises(TypeError, match="callable"):
    maker("text")("not callable")


@pytest.mark.parametrize("maker", [ht.TOr, ht.TAnd])
def test_combinators_refuse_bad_input(maker):
  with pytest.raises(TypeError, match="at least one"):
    maker()
  with pytest.raises(TypeError, match="callable.*5"):
    maker(ht.TInt, 5)


@pytest.mark.parametrize("maker", [ht.TMaybe, ht.TListOf, ht.TMaybeListOf,
                                   ht.TNot])
def test_single_argument_combinators_refuse_non_callables(maker):
  with pytest.raises(TypeError, match="callable"):
    maker("integer")


def test_single_check_combination_has_no_combinator():
  assert str(ht.TListOf(ht.TOr(ht.TInt))) == "list of integer"
  assert ht.TAnd(ht.TInt)(3) and not ht.TAnd(ht.TInt)("3")


def test_and_stops_at_first_failure():
  calls = []

  def Record(val):
    calls.append(val)
    return True
  check = ht.TAnd(ht.TList, ht.WithDesc("recorded")(Record))
  assert not check("not a list")
  assert calls == []
  assert check([1])
  assert calls == [[1]]


def test_or_and_plain_functions_mix():
  check = ht.TOr(ht.TNone, lambda val: val == "x")
  assert check(None) and check("x") and not check("y")


def test_maybe():
  check = ht.TMaybe(ht.TPositiveInt)
  assert check(None) and check(3) and not check(0) and not check("3")


def test_list_of():
  check = ht.TListOf(ht.TNonEmptyString)
  assert check([]) and check(["a", "b"])
  assert not check(["a", ""]) and not check(("a", )) and not check("ab")
  assert not check(None)


def test_maybe_list_of():
  check = ht.TMaybeListOf(ht.TInt)
  assert check(None) and check([1]) and not check([None]) and not check(1)


def test_dict_of():
  check = ht.TDictOf(ht.TNonEmptyString, ht.TInt)
  assert check({}) and check({"a": 1})
  assert not check({"": 1}) and not check({"a": "1"})
  assert not check([("a", 1)]) and not check(None)


def test_strict_dict_semantics():
  items = {"a": ht.TInt, "b": ht.TString}
  loose = ht.TStrictDict(False, False, items)
  assert loose({}) and loose({"a": 1}) and loose({"c": object()})
  assert not loose({"a": "1"}) and not loose([]) and not loose(None)
  required = ht.TStrictDict(True, False, items)
  assert not required({"a": 1})
  assert required({"a": 1, "b": "x", "c": 3})
  exclusive = ht.TStrictDict(False, True, items)
  assert exclusive({"a": 1}) and not exclusive({"a": 1, "c": 3})
  strict = ht.TStrictDict(True, True, items)
  assert strict({"a": 1, "b": ""})
  assert not strict({"a": 1}) and not strict({"a": 1, "b": "", "c": 0})


def test_strict_dict_refuses_bad_items():
  with pytest.raises(TypeError, match="mapping"):
    ht.TStrictDict(True, True, [("a", ht.TInt)])
  with pytest.raises(TypeError, match="key 'a'"):
    ht.TStrictDict(True, True, {"a": "integer"})


def test_items():
  check = ht.TItems([ht.TNonEmptyString, ht.TBool])
  assert check(["a", True]) and check(("a", False))
  assert check(["a"])  # length is not checked, as in Ganeti
  assert check(["a", True, "extra"])
  assert not check([True, "a"]) and not check("ab") and not check(None)
  pair = ht.TAnd(ht.TIsLength(2), check)
  assert pair(["a", True]) and not pair(["a"])


def test_items_refuses_bad_input():
  with pytest.raises(TypeError, match="sequence"):
    ht.TItems(ht.TInt)
  with pytest.raises(TypeError, match="sequence"):
    ht.TItems("ab")
  with pytest.raises(TypeError, match="callable"):
    ht.TItems([ht.TInt, 3])


def test_is_length():
  check = ht.TIsLength(2)
  assert check([1, 2]) and check("ab") and check({"a": 1, "b": 2})
  assert not check([1]) and not check(5) and not check(None)
  assert ht.TIsLength(0)([])
  for bad in (-1, "2", 1.0, True):
    with pytest.raises(TypeError, match="length"):
      ht.TIsLength(bad)


def test_elem_of():
  check = ht.TElemOf(["a", "b"])
  assert check("a") and not check("c") and not check(None)
  assert not check(["a"])  # unhashable values are simply not members


def test_elem_of_keeps_booleans_apart_from_numbers():
  prio = ht.TElemOf(frozenset([-10, 0, 10]))
  assert prio(0) and prio(10)
  assert not prio(False)
  flags = ht.TElemOf([True, False])
  assert flags(True) and not flags(1) and not flags(0)
  assert ht.TElemOf([1.0])(1)


@pytest.mark.parametrize("bad", ["abc", 5, None])
def test_elem_of_refuses_non_collections(bad):
  with pytest.raises(TypeError, match="collection"):
    ht.TElemOf(bad)


def test_elem_of_unsortable_description_keeps_order():
  assert str(ht.TElemOf([1, "a"])) == "one of 1, 'a'"


def test_regex():
  check = ht.TRegex(r"[a-z]+")
  assert check("abc") and check("abc1")  # start anchored only, like re.match
  assert not check("1abc") and not check(5) and not check(None)
  full = ht.TRegex(re.compile(r"[a-z]+\Z"))
  assert full("abc") and not full("abc1") and not full("abc\n")


def test_regex_refuses_bad_patterns():
  with pytest.raises(TypeError, match="invalid regular expression"):
    ht.TRegex("(")
  with pytest.raises(TypeError, match="pattern"):
    ht.TRegex(5)


def test_job_ids():
  assert ht.TJobId(0) and ht.TJobId(123) and ht.TJobId("123")
  assert not ht.TJobId(-1) and not ht.TJobId("-1") and not ht.TJobId("")
  assert not ht.TJobId("12\n") and not ht.TJobId("1a") and not ht.TJobId(1.0)
  assert not ht.TJobId(True) and not ht.TJobId(None)
  assert ht.TRelativeJobId(-1) and not ht.TRelativeJobId(0)
  assert ht.TJobIdList(["1", 2]) and not ht.TJobIdList([-1])


def test_instance_of():
  check = ht.TInstanceOf(ValueError)
  assert check(ValueError()) and check(UnicodeError())
  assert not check(KeyError())
  for bad in ("int", (), (int, "str")):
    with pytest.raises(TypeError, match="class"):
      ht.TInstanceOf(bad)


def test_map():
  check = ht.TMap(len, ht.TPositiveInt)
  assert check("a") and not check("")
  with pytest.raises(TypeError):
    check(5)  # the conversion's own errors are not hidden
  with pytest.raises(TypeError, match="callable"):
    ht.TMap("len", ht.TInt)


@pytest.mark.parametrize(("value", "v4", "v6"), [
  ("192.0.2.1", True, False),
  ("2001:db8::1", False, True),
  ("::ffff:192.0.2.1", False, True),
  ("256.1.1.1", False, False),
  ("192.0.2", False, False),
  ("", False, False),
  ("host.example.com", False, False),
  (None, False, False),
  (3232235521, False, False),
  ])
def test_ip_addresses(value, v4, v6):
  assert ht.TIPv4Address(value) is v4
  assert ht.TIPv6Address(value) is v6
  assert ht.TIPAddress(value) is (v4 or v6)


def test_markers():
  assert repr(ht.NoDefault) == "NoDefault"
  assert repr(ht.NoType) == "NoType"
  assert ht.NoDefault is not ht.NoType


# Property tests: checks agree with independent reference predicates.

_JSON_VALUES = st.recursive(
  st.none() | st.booleans() | st.integers() |
  st.floats(allow_nan=False) | st.text(max_size=5),
  lambda children: (st.lists(children, max_size=4) |
                    st.dictionaries(st.text(max_size=3), children,
                                    max_size=3)),
  max_leaves=12)


def _RefInt(val):
  return type(val) is int


def _RefNonEmptyString(val):
  return type(val) is str and len(val) > 0


@given(_JSON_VALUES)
def test_property_scalars_agree_with_reference(val):
  assert ht.TInt(val) == _RefInt(val)
  assert ht.TBool(val) == (type(val) is bool)
  assert ht.TFloat(val) == (type(val) is float)
  assert ht.TNumber(val) == (type(val) in (int, float))
  assert ht.TNonEmptyString(val) == _RefNonEmptyString(val)
  assert ht.TPositiveInt(val) == (_RefInt(val) and val > 0)
  assert ht.TNonNegativeInt(val) == (_RefInt(val) and val >= 0)
  assert ht.TMaybePositiveInt(val) == (val is None or
                                       (_RefInt(val) and val > 0))
  assert ht.TNonNegativeFloat(val) == (type(val) is float and val >= 0)


@given(_JSON_VALUES)
def test_property_containers_agree_with_reference(val):
  assert ht.TListOf(ht.TInt)(val) == (type(val) is list and
                                      all(_RefInt(i) for i in val))
  assert ht.TMaybeListOf(ht.TNonEmptyString)(val) == \
    (val is None or (type(val) is list and
                     all(_RefNonEmptyString(i) for i in val)))
  assert ht.TDictOf(ht.TNonEmptyString, ht.TAny)(val) == \
    (type(val) is dict and all(_RefNonEmptyString(k) for k in val))
  strict = ht.TStrictDict(True, True, {"a": ht.TInt})
  assert strict(val) == (type(val) is dict and set(val) == set(["a"]) and
                         _RefInt(val["a"]))


_CHECKS = st.sampled_from([ht.TInt, ht.TBool, ht.TNone, ht.TString,
                           ht.TNonEmptyString, ht.TList, ht.TDict,
                           ht.TFloat, ht.TPositiveInt])


@given(_JSON_VALUES, st.lists(_CHECKS, min_size=1, max_size=4))
def test_property_or_and_agree_with_any_all(val, checks):
  assert ht.TOr(*checks)(val) == any(c(val) for c in checks)
  assert ht.TAnd(*checks)(val) == all(c(val) for c in checks)
  assert ht.TNot(ht.TOr(*checks))(val) == (not any(c(val) for c in checks))
  assert ht.TMaybe(checks[0])(val) == (val is None or checks[0](val))


@given(_JSON_VALUES, st.lists(_JSON_VALUES.filter(
  lambda v: not isinstance(v, (list, dict))), max_size=5))
def test_property_elem_of_agrees_with_typed_membership(val, allowed):
  expected = any(val == a and (type(val) is bool) == (type(a) is bool)
                 for a in allowed)
  assert ht.TElemOf(allowed)(val) == expected
