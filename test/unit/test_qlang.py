"""Tests for ganeti.qlang: the query2 filter language (spec/query.md 4, 5)."""

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import qlang


QFT = constants
NORMAL = constants.RS_NORMAL

# Field kinds of a few node fields (spec section 6.1) plus two instance
# fields the text examples use.
NODE_FIELDS = {
  "name": QFT.QFT_TEXT, "pinst_cnt": QFT.QFT_NUMBER,
  "master_candidate": QFT.QFT_BOOL, "offline": QFT.QFT_BOOL,
  "tags": QFT.QFT_OTHER, "pinst_list": QFT.QFT_OTHER,
  "status": QFT.QFT_TEXT, "mfree": QFT.QFT_UNIT, "ctime": QFT.QFT_TIMESTAMP,
  "unknownkind": QFT.QFT_UNKNOWN,
  }


def _Getter(item, field):
  """Rows are dicts of field -> value, or -> (status, value) for a status."""
  value = item[field]
  if isinstance(value, tuple):
    return value
  return (NORMAL, value)


def _Select(qfilter, rows, **kwargs):
  fn = qlang.MakeFilterFn(qfilter, _Getter, **kwargs)
  return [row["name"] for row in rows if fn(row)]


def _Legacy(qfilter):
  """Spell equality the 2.6 way, as the spec's example tables do."""
  if isinstance(qfilter, list):
    if qfilter and qfilter[0] == constants.QLANG_OP_EQUAL:
      qfilter = [constants.QLANG_OP_EQUAL_LEGACY] + qfilter[1:]
    return [_Legacy(part) for part in qfilter]
  return qfilter


# --- section 5.5, copied from the spec ---------------------------------------

# (input, filter as produced by the 2.6 parser) straight from table 5.5; our
# parser emits "==" where 2.6 wrote "=", which _Legacy undoes for comparison.
SPEC_TEXT_EXAMPLES = [
  ('name == "node1"', '["=", "name", "node1"]'),
  ('pinst_cnt > 0 and offline',
   '["&", [">", "pinst_cnt", 0], ["?", "offline"]]'),
  ('not master_candidate', '["!", ["?", "master_candidate"]]'),
  ('name =~ m/^web/i', '["=~", "name", "(?i)^web"]'),
  ('name !~ /^db/', '["!", ["=~", "name", "^db"]]'),
  ('name =~ #a/b#s', '["=~", "name", "(?s)a/b"]'),
  ('name =* "*.example.com"',
   '["=~", "name", "^[^.]*\\\\.example\\\\.com(\\\\..*)?$"]'),
  ('"foo" in tags', '["=[]", "tags", "foo"]'),
  ('"foo" not in tags', '["!", ["=[]", "tags", "foo"]]'),
  ('5 in x', '["=[]", "x", 5]'),
  ('x < -5', '["<", "x", -5]'),
  ('admin_state == "up" or (status != "running" and be/vcpus >= 2)',
   '["|", ["=", "admin_state", "up"], ["&", ["!=", "status", "running"],'
   ' [">=", "be/vcpus", 2]]]'),
  ('a and not b or c', '["|", ["&", ["?", "a"], ["!", ["?", "b"]]],'
   ' ["?", "c"]]'),
  ('a and b and c', '["&", ["?", "a"], ["?", "b"], ["?", "c"]]'),
  ]

SPEC_ARGS_EXAMPLES = [
  (["node1", "node2"],
   '["|", ["=", "name", "node1"], ["=", "name", "node2"]]'),
  (["node1", "*.site"],
   '["|", ["=", "name", "node1"],'
   ' ["=~", "name", "^[^.]*\\\\.site(\\\\..*)?$"]]'),
  ]

SPEC_PARSE_ERRORS = ['name == x', 'name == 1.5']


@pytest.mark.parametrize("text,expected", SPEC_TEXT_EXAMPLES)
def test_spec_text_examples_parse_to_their_filters(text, expected):
  result = qlang.ParseFilter(text)
  assert _Legacy(result) == json.loads(expected)
  # equality goes out in the later spelling only
  assert constants.QLANG_OP_EQUAL_LEGACY not in _Operators(result)


def _Operators(qfilter):
  if isinstance(qfilter, list) and qfilter and isinstance(qfilter[0], str):
    return {qfilter[0]}.union(*[_Operators(part) for part in qfilter[1:]])
  return set()


@pytest.mark.parametrize("args,expected", SPEC_ARGS_EXAMPLES)
def test_spec_argument_examples_become_name_filters(args, expected):
  assert _Legacy(qlang.MakeFilter(args, False)) == json.loads(expected)


@pytest.mark.parametrize("text", SPEC_PARSE_ERRORS)
def test_spec_parse_error_examples(text):
  with pytest.raises(errors.QueryFilterParseError):
    qlang.ParseFilter(text)


def test_single_equals_is_accepted_in_the_later_spelling():
  assert qlang.ParseFilter('name = "x"') == ["==", "name", "x"]


# --- section 4.4, copied from the spec ---------------------------------------

SPEC_JSON_EXAMPLES = """
["|", ["=", "name", "node1"], ["=", "name", "node2"]]
["&", ["?", "master_candidate"], ["!", ["?", "offline"]]]
["&", [">=", "pinst_cnt", 2], ["=~", "name", "^web"]]
["=[]", "tags", "production"]
["!", ["=[]", "pinst_list", "inst1.example.com"]]
["=", "status", "running"]
"""

NODE_ROWS = [
  {"name": "node1.example.com", "pinst_cnt": 0, "master_candidate": True,
   "offline": False, "tags": ["production"], "pinst_list": [],
   "status": "running"},
  {"name": "node2.example.com", "pinst_cnt": 2, "master_candidate": True,
   "offline": True, "tags": [], "pinst_list": ["inst1.example.com"],
   "status": "stopped"},
  {"name": "web1.example.com", "pinst_cnt": 3, "master_candidate": False,
   "offline": False, "tags": ["production", "web"],
   "pinst_list": ["inst2.example.com"], "status": "running"},
  ]

SPEC_JSON_SELECTIONS = [
  ["node1.example.com", "node2.example.com"],
  ["node1.example.com"],
  ["web1.example.com"],
  ["node1.example.com", "web1.example.com"],
  ["node1.example.com", "web1.example.com"],
  ["node1.example.com", "web1.example.com"],
  ]


def test_spec_json_examples_validate_and_select():
  examples = [json.loads(line) for line in SPEC_JSON_EXAMPLES.splitlines()
              if line.strip()]
  assert len(examples) == len(SPEC_JSON_SELECTIONS)
  for (qfilter, wanted) in zip(examples, SPEC_JSON_SELECTIONS):
    qlang.CheckFilter(qfilter, NODE_FIELDS)
    assert _Select(qfilter, NODE_ROWS, fields=NODE_FIELDS,
                   hostname_fields=["name"]) == wanted, qfilter


# --- section 4.2: validation -------------------------------------------------

@pytest.mark.parametrize("qfilter,message", [
  ([], "Invalid filter on level 0"),
  ("name", "Invalid filter on level 0"),
  (["|", ["?", "offline"], []], "Invalid filter on level 1"),
  (["&", ["!", 5]], "Invalid filter on level 2"),
  (["==="], "Unknown operator '==='"),
  ([5, "name"], "Unknown operator 5"),
  (["!"], "exactly one operand"),
  (["!", ["?", "offline"], ["?", "offline"]], "exactly one operand"),
  (["?", "offline", "x"], "exactly one operand"),
  (["==", "name"], "exactly two operands"),
  (["<", "pinst_cnt", 1, 2], "exactly two operands"),
  (["=~", "name", "("], "Invalid regex pattern"),
  (["=~", "name", 5], "Invalid regex pattern"),
  (["?", 5], "Invalid field name"),
  ])
def test_structure_errors(qfilter, message):
  with pytest.raises(errors.ParameterError, match=re.escape(message)):
    qlang.CheckFilter(qfilter)


def test_null_filter_is_valid_and_matches_everything():
  qlang.CheckFilter(None, NODE_FIELDS)
  assert _Select(None, NODE_ROWS) == [row["name"] for row in NODE_ROWS]


def _Nested(depth):
  qfilter = ["?", "offline"]
  for _ in range(depth):
    qfilter = ["!", qfilter]
  return qfilter


def test_ten_levels_are_allowed_eleven_are_not():
  qlang.CheckFilter(_Nested(9))
  with pytest.raises(errors.ParameterError, match="only up to 10 levels"):
    qlang.CheckFilter(_Nested(10))


@pytest.mark.parametrize("qfilter", [
  ["?", "nosuchfield"], ["==", "nosuchfield", 1],
  ["|", ["=[]", "nosuchfield", "x"]], ["?", "unknownkind"],
  ])
def test_unknown_fields_are_refused_when_kinds_are_known(qfilter):
  with pytest.raises(errors.ParameterError, match="Unknown field '"):
    qlang.CheckFilter(qfilter, NODE_FIELDS)
  qlang.CheckFilter(qfilter)


@pytest.mark.parametrize("qfilter", [
  ["=", "pinst_cnt", "1"], ["==", "pinst_cnt", True], ["<", "mfree", 1.5],
  ["==", "offline", 1], ["!=", "name", 3], [">", "ctime", "now"],
  ["==", "ctime", False],
  ])
def test_operand_type_must_fit_the_field_kind(qfilter):
  with pytest.raises(errors.ParameterError, match="Unable to compare field"):
    qlang.CheckFilter(qfilter, NODE_FIELDS)


@pytest.mark.parametrize("qfilter", [
  ["==", "pinst_cnt", 1], ["==", "offline", False], ["<", "ctime", 1.5],
  [">=", "ctime", 7], ["==", "tags", ["a"]], ["=[]", "tags", 1],
  ["=", "name", "x"], ["|"], ["&"],
  ])
def test_operands_that_fit(qfilter):
  assert qlang.CheckFilter(qfilter, NODE_FIELDS) is None


# --- section 4.3: evaluation -------------------------------------------------

ROWS = [
  {"name": "node1.example.com", "cnt": 1, "flag": True, "tags": ["a", "b"],
   "text": "hello world", "when": 10.5, "other": None},
  {"name": "node10.example.com", "cnt": 0, "flag": False, "tags": [],
   "text": "", "when": 3, "other": {"k": 1}},
  {"name": "NODE2.Example.com", "cnt": (constants.RS_NODATA, None),
   "flag": (constants.RS_OFFLINE, None), "tags": (constants.RS_UNAVAIL, None),
   "text": "bye", "when": 0, "other": [1, True]},
  ]


@pytest.mark.parametrize("qfilter,wanted", [
  (["==", "name", "node1"], ["node1.example.com"]),
  (["=", "name", "NODE1"], ["node1.example.com"]),
  (["==", "name", "node2.example"], ["NODE2.Example.com"]),
  (["==", "name", "node1.ex"], []),
  (["==", "name", "node"], []),
  (["!=", "name", "node1"], ["node10.example.com", "NODE2.Example.com"]),
  ])
def test_hostname_fields_compare_case_insensitively_up_to_a_dot(qfilter,
                                                                wanted):
  assert _Select(qfilter, ROWS, hostname_fields=["name"]) == wanted


def test_other_fields_compare_exactly():
  assert _Select(["==", "name", "node1"], ROWS) == []
  assert _Select(["==", "name", "node1.example.com"], ROWS) == \
    ["node1.example.com"]
  assert _Select(["==", "text", "HELLO WORLD"], ROWS) == []


def test_equality_keeps_booleans_and_numbers_apart():
  rows = [{"name": "a", "v": True}, {"name": "b", "v": 1},
          {"name": "c", "v": 1.0}]
  assert _Select(["==", "v", 1], rows) == ["b", "c"]
  assert _Select(["==", "v", True], rows) == ["a"]
  assert _Select(["=[]", "v", 1], [{"name": "l", "v": [True]}]) == []


def test_missing_data_makes_a_leaf_true_and_not_negates_it():
  assert _Select(["==", "cnt", 5], ROWS) == ["NODE2.Example.com"]
  assert _Select(["!=", "cnt", 5], ROWS) == \
    ["node1.example.com", "node10.example.com"]
  assert _Select(["!", ["==", "cnt", 5]], ROWS) == \
    ["node1.example.com", "node10.example.com"]
  assert _Select(["?", "flag"], ROWS) == \
    ["node1.example.com", "NODE2.Example.com"]
  assert _Select(["=[]", "tags", "zz"], ROWS) == ["NODE2.Example.com"]
  assert _Select([">", "cnt", 100], ROWS) == ["NODE2.Example.com"]


def test_truth_operator_follows_truthiness():
  assert _Select(["?", "text"], ROWS) == \
    ["node1.example.com", "NODE2.Example.com"]
  assert _Select(["?", "other"], ROWS) == \
    ["node10.example.com", "NODE2.Example.com"]
  assert _Select(["?", "cnt"], ROWS) == \
    ["node1.example.com", "NODE2.Example.com"]


def test_contains_is_membership_on_lists_and_substring_on_text():
  assert _Select(["=[]", "tags", "b"], ROWS[:2]) == ["node1.example.com"]
  assert _Select(["=[]", "text", "lo wo"], ROWS) == ["node1.example.com"]
  assert _Select(["=[]", "text", 1], ROWS) == []
  with pytest.raises(errors.QueryFilterError, match="field 'other'"):
    _Select(["=[]", "other", 1], ROWS[1:2])


def test_ordering_numbers_and_strings():
  assert _Select(["<", "when", 5], ROWS) == \
    ["node10.example.com", "NODE2.Example.com"]
  assert _Select([">=", "when", 10.5], ROWS) == ["node1.example.com"]
  assert _Select(["<=", "text", "bye"], ROWS) == \
    ["node10.example.com", "NODE2.Example.com"]
  with pytest.raises(errors.QueryFilterError, match="Cannot order"):
    _Select(["<", "tags", 1], ROWS[:1])


def test_regexp_searches_unanchored_with_inline_flags():
  assert _Select(["=~", "name", "ode1"], ROWS) == \
    ["node1.example.com", "node10.example.com"]
  assert _Select(["=~", "name", "^node2"], ROWS) == []
  assert _Select(["=~", "name", "(?i)^node2"], ROWS) == ["NODE2.Example.com"]
  assert _Select(["=~", "other", "x"], ROWS[:1]) == []
  with pytest.raises(errors.QueryFilterError, match="needs text"):
    _Select(["=~", "cnt", "1"], ROWS[:1])


def test_logic_operators_take_any_number_of_operands():
  everyone = [row["name"] for row in ROWS]
  assert _Select(["|"], ROWS) == []
  assert _Select(["&"], ROWS) == everyone
  assert _Select(["|", ["==", "cnt", 1], ["==", "cnt", 0],
                  ["==", "text", "bye"]], ROWS) == everyone
  assert _Select(["&", ["?", "text"], ["=~", "text", "o"],
                  ["!", ["=~", "text", "y"]]], ROWS) == ["node1.example.com"]


def test_invalid_filters_fail_at_compile_time():
  with pytest.raises(errors.ParameterError, match="Unknown field 'zz'"):
    qlang.MakeFilterFn(["?", "zz"], _Getter, fields=NODE_FIELDS)
  with pytest.raises(errors.ParameterError, match="Unknown operator"):
    qlang.MakeFilterFn(["~", "name", "x"], _Getter)


# --- requested names (section 3.3) -------------------------------------------

@pytest.mark.parametrize("qfilter,names", [
  (None, None),
  (["==", "name", "a"], ["a"]),
  (["=", "name", "a"], ["a"]),
  (["|", ["==", "name", "b"], ["|", ["=", "name", "a"]],
    ["==", "name", "b"]], ["b", "a"]),
  (["|"], []),
  (["|", ["==", "name", "a"], ["==", "uuid", "b"]], None),
  (["&", ["==", "name", "a"]], None),
  (["!", ["==", "name", "a"]], None),
  (["=~", "name", "a"], None),
  (["|", ["==", "name", "a"], ["?", "name"]], None),
  ])
def test_requested_names(qfilter, names):
  assert qlang.RequestedNames(qfilter, "name") == names


def test_requested_job_ids_keep_their_type():
  assert qlang.RequestedNames(qlang.MakeFilter(["7", "3", "7"], False,
                                               namefield="id",
                                               isnumeric=True), "id") == [7, 3]


# --- sections 5.3 and 5.4: globs and arguments ------------------------------

@pytest.mark.parametrize("glob,regexp", [
  ("*.example.com", r"^[^.]*\.example\.com(\..*)?$"),
  ("web?", r"^web[^.](\..*)?$"),
  ("web*", r"^web[^.]*(\..*)?$"),
  ("a+b", r"^a\+b(\..*)?$"),
  ])
def test_glob_conversion_examples(glob, regexp):
  assert qlang.DnsNameGlobPattern(glob) == regexp


@pytest.mark.parametrize("glob,name,matches", [
  ("web*", "web", True), ("web*", "web1", True),
  ("web*", "web12.example.com", True), ("web*", "myweb1", False),
  ("web?", "web12", False), ("web?", "web1.example.com", True),
  ("*.example.com", "a.example.com.au", True),
  ("*.example.com", "a.b.example.com", False),
  ])
def test_glob_matching_examples(glob, name, matches):
  assert bool(re.match(qlang.DnsNameGlobPattern(glob), name)) == matches


def test_maybe_glob_pattern():
  assert qlang.MaybeGlobPattern("web*")
  assert qlang.MaybeGlobPattern("web?")
  assert not qlang.MaybeGlobPattern("web1.example.com")


@pytest.mark.parametrize("arg", [
  "(a)", "a=b", "a/b", "!a", "a~", "'a'", '"a"', "a\\b", "a<b", "a>b",
  "a b", "a\tb", "a\nb", "a\rb", "a\x0bb", "a\x0cb",
  ])
def test_filter_detection_characters(arg):
  assert qlang.MaybeFilter(arg)


def test_plain_names_are_not_filters():
  assert not qlang.MaybeFilter("node1.example.com")
  assert not qlang.MaybeFilter("web*")


def test_make_filter_without_arguments_is_null():
  assert qlang.MakeFilter([], False) is None
  assert qlang.MakeSimpleFilter("name", []) is None
  assert qlang.MakeSimpleFilter("name", None) is None


def test_make_filter_single_name_is_still_an_or():
  assert qlang.MakeFilter(["node1"], False) == ["|", ["==", "name", "node1"]]
  assert qlang.MakeSimpleFilter("name", ["node1"]) == \
    ["|", ["==", "name", "node1"]]


def test_make_filter_uses_the_given_name_field():
  assert qlang.MakeFilter(["n1", "n*"], False, namefield="node") == \
    ["|", ["==", "node", "n1"], ["=~", "node", r"^n[^.]*(\..*)?$"]]


def test_make_filter_parses_one_expression_argument():
  assert qlang.MakeFilter(["pinst_cnt > 0"], False) == \
    [">", "pinst_cnt", 0]
  # Several arguments are names, whatever characters they hold
  assert qlang.MakeFilter(["a b", "c"], False) == \
    ["|", ["==", "name", "a b"], ["==", "name", "c"]]


def test_forced_filter_needs_exactly_one_argument():
  assert qlang.MakeFilter(["offline"], True) == ["?", "offline"]
  for args in ([], ["a", "b"]):
    with pytest.raises(errors.OpPrereqError,
                       match="Exactly one argument must be given"):
      qlang.MakeFilter(args, True)


def test_job_ids_become_integers():
  assert qlang.MakeFilter(["1", "23"], False, namefield="id",
                          isnumeric=True) == \
    ["|", ["==", "id", 1], ["==", "id", 23]]
  with pytest.raises(errors.OpPrereqError, match="Invalid job ID passed"):
    qlang.MakeFilter(["1", "x"], False, namefield="id", isnumeric=True)


# --- section 5: text form details --------------------------------------------

@pytest.mark.parametrize("text,expected", [
  ("\ta\t==\t1 ", ["==", "a", 1]),
  ("a==1", ["==", "a", 1]),
  ("x <= +3", ["<=", "x", 3]),
  ("x>=3 or y<'q'", ["|", [">=", "x", 3], ["<", "y", "q"]]),
  ("x != ''", ["!=", "x", ""]),
  ("not not a", ["!", ["!", ["?", "a"]]]),
  ("not a and b", ["&", ["!", ["?", "a"]], ["?", "b"]]),
  ("not (a or b)", ["!", ["|", ["?", "a"], ["?", "b"]]]),
  ("(a and b) and c", ["&", ["&", ["?", "a"], ["?", "b"]], ["?", "c"]]),
  ("a or b or c and d",
   ["|", ["?", "a"], ["?", "b"], ["&", ["?", "c"], ["?", "d"]]]),
  ("nic.mac/0 == 'aa'", ["==", "nic.mac/0", "aa"]),
  ("Name == 'x'", ["==", "Name", "x"]),
  ("andy", ["?", "andy"]),
  ("notes and origin", ["&", ["?", "notes"], ["?", "origin"]]),
  (r"'a\'b' in t", ["=[]", "t", r"a\'b"]),
  (r'"a\nb" in t', ["=[]", "t", r"a\nb"]),
  ("name =~ /a\\/b/", ["=~", "name", "a\\/b"]),
  ("name =~ ^a|b^", ["=~", "name", "a|b"]),
  ("name =~ |a^b|", ["=~", "name", "a^b"]),
  ("name =~ m#x#si", ["=~", "name", "(?is)x"]),
  ("name =~ /x/ii", ["=~", "name", "(?i)x"]),
  ("name =~ /\\d+\\./", ["=~", "name", "\\d+\\."]),
  ("name !* 'web?'", ["!", ["=~", "name", r"^web[^.](\..*)?$"]]),
  ("name =* \"*\"", ["=~", "name", r"^[^.]*(\..*)?$"]),
  ])
def test_text_form_details(text, expected):
  assert qlang.ParseFilter(text) == expected


@pytest.mark.parametrize("text", [
  "", "_x", "a-b == 1", "a AND b", "a Or b", "NOT a", "name == node1",
  "1.5 in x", "(a", "a)", "a and", "name =~ /x", "name =~ x",
  "name =* web*", "a == 1 b", "'x'", "x in 'y'", "a ==", "name =~ /[/",
  "name =~ /x/m", "name =~ /x/x",
  ])
def test_text_form_syntax_errors(text):
  with pytest.raises(errors.QueryFilterParseError,
                     match=re.escape("Failed to parse query filter '%s'" %
                                     text)):
    qlang.ParseFilter(text)


def test_parse_error_points_at_the_failing_column():
  with pytest.raises(errors.QueryFilterParseError) as info:
    qlang.ParseFilter("name == node1")
  details = info.value.GetDetails()
  assert "line:1, col:9" in details[0]
  assert details[1:] == ["name == node1", "        ^"]


def test_parse_error_on_a_later_line_shows_that_line():
  with pytest.raises(errors.QueryFilterParseError) as info:
    qlang.ParseFilter("a and\n  b ==")
  details = info.value.GetDetails()
  assert "line:2" in details[0]
  assert details[1] == "  b =="
  assert details[2].index("^") == len("  b ==")


def test_bad_regexp_flags_are_named():
  with pytest.raises(errors.QueryFilterParseError,
                     match="Unknown regular expression flags: 'x'"):
    qlang.ParseFilter("name =~ /a/x")
  with pytest.raises(errors.QueryFilterParseError,
                     match="Invalid regular expression"):
    qlang.ParseFilter("name =~ /(/")


def test_parsed_filters_pass_validation():
  for (text, _) in SPEC_TEXT_EXAMPLES:
    assert qlang.CheckFilter(qlang.ParseFilter(text)) is None


# --- property: text -> JSON -> evaluation agrees with a reference ------------

# The generated language: field kinds, and the values the text form can
# express for each (booleans only through the truth test).
_PROP_FIELDS = {
  "name": QFT.QFT_TEXT, "os": QFT.QFT_TEXT, "cnt": QFT.QFT_NUMBER,
  "be/vcpus": QFT.QFT_NUMBER, "mem": QFT.QFT_UNIT, "flag": QFT.QFT_BOOL,
  "tags": QFT.QFT_OTHER,
  }
_TEXT_FIELDS = ["name", "os"]
_NUMBER_FIELDS = ["cnt", "be/vcpus", "mem"]
_COMPARISONS = ["==", "!=", "<", "<=", ">", ">=", "="]

# Small vocabularies, so that values often meet: equal, one apart, matching
_words = st.text(alphabet="ab.-1", max_size=3)
_names = st.lists(st.sampled_from(["web", "db", "web1", "a", "ab"]),
                  min_size=1, max_size=3).map(".".join)
_ints = st.integers(min_value=-3, max_value=3)
_globs = st.one_of(
  st.lists(st.sampled_from(["w*", "*", "?b", "web?", "*1", "a", "db", ""]),
           min_size=1, max_size=3).map(".".join),
  st.text(alphabet="ab.-1*?", max_size=4))
_regexps = st.sampled_from(["^web", "b$", "x", r"\.", "^[a-c]+", "1|2",
                            "A", r"\d", "^$", "e.1"])


@st.composite
def _Conditions(draw):
  kind = draw(st.sampled_from(["cmp_text", "cmp_num", "in", "regexp",
                               "glob", "truth"]))
  if kind == "cmp_text":
    return ("cmp", draw(st.sampled_from(_TEXT_FIELDS)),
            draw(st.sampled_from(_COMPARISONS)), draw(_words))
  if kind == "cmp_num":
    return ("cmp", draw(st.sampled_from(_NUMBER_FIELDS)),
            draw(st.sampled_from(_COMPARISONS)), draw(_ints))
  if kind == "in":
    return ("in", draw(st.booleans()), draw(_words | _ints), "tags")
  if kind == "regexp":
    pattern = draw(_regexps)
    # an escaped delimiter means the literal character, not an operator,
    # so pick one the pattern does not use (escaping has its own tests)
    delim = draw(st.sampled_from([char for char in "/#^|"
                                  if char not in pattern]))
    return ("regexp", draw(st.sampled_from(_TEXT_FIELDS)), pattern,
            draw(st.sampled_from(["", "i", "s", "is", "si"])), delim,
            draw(st.booleans()), draw(st.booleans()))
  if kind == "glob":
    return ("glob", draw(st.sampled_from(_TEXT_FIELDS)), draw(_globs),
            draw(st.booleans()))
  return ("truth", draw(st.sampled_from(sorted(_PROP_FIELDS))))


_expressions = st.recursive(
  _Conditions(),
  lambda children: st.one_of(
    st.tuples(st.just("not"), children),
    st.tuples(st.sampled_from(["and", "or"]),
              st.lists(children, min_size=2, max_size=4)),
    ),
  max_leaves=12)


def _Quote(value):
  if isinstance(value, int):
    return str(value)
  return '"%s"' % value


def _Render(expr, parent=None):
  """Write an expression in the text form, with no more parentheses than
  precedence needs, so flattening and precedence are exercised."""
  kind = expr[0]
  if kind == "not":
    return "not " + _Render(expr[1], "not")
  if kind in ("and", "or"):
    text = (" %s " % kind).join(_Render(child, kind) for child in expr[1])
    if parent == "not" or (parent == "and" and kind == "or"):
      return "(%s)" % text
    # the same operator below itself would be flattened: keep the grouping
    if parent == kind:
      return "(%s)" % text
    return text
  if kind == "cmp":
    (_, field, op, value) = expr
    return "%s %s %s" % (field, op, _Quote(value))
  if kind == "in":
    (_, negated, value, field) = expr
    return "%s %sin %s" % (_Quote(value), "not " if negated else "", field)
  if kind == "regexp":
    (_, field, pattern, flags, delim, use_m, negated) = expr
    return "%s %s %s%s%s%s%s" % (field, "!~" if negated else "=~",
                                 "m" if use_m else "", delim, pattern, delim,
                                 flags)
  if kind == "glob":
    (_, field, pattern, negated) = expr
    return "%s %s %s" % (field, "!*" if negated else "=*", _Quote(pattern))
  return expr[1]


def _GlobMatches(pattern, name):
  """Reference DNS glob: a name matches if some prefix made of whole
  components matches component by component, * and ? never spanning a dot."""
  wanted = pattern.split(".")
  components = name.split(".")
  if len(components) < len(wanted):
    return False
  for (glob, component) in zip(wanted, components):
    if not _ComponentMatches(glob, component):
      return False
  return True


def _ComponentMatches(glob, text):
  if not glob:
    return not text
  if glob[0] == "*":
    return any(_ComponentMatches(glob[1:], text[skip:])
               for skip in range(len(text) + 1))
  if not text:
    return False
  if glob[0] == "?" or glob[0] == text[0]:
    return _ComponentMatches(glob[1:], text[1:])
  return False


def _Reference(expr, row):
  """Evaluate a generated expression directly; (status, value) pairs with a
  status other than normal make a leaf true."""
  kind = expr[0]
  if kind == "not":
    return not _Reference(expr[1], row)
  if kind == "and":
    return all(_Reference(child, row) for child in expr[1])
  if kind == "or":
    return any(_Reference(child, row) for child in expr[1])

  def leaf(field, test):
    (status, value) = row[field]
    return True if status != NORMAL else test(value)

  if kind == "cmp":
    (_, field, op, wanted) = expr
    if op == "!=":
      return not leaf(field, lambda value: value == wanted)
    tests = {"==": lambda v: v == wanted, "=": lambda v: v == wanted,
             "<": lambda v: v < wanted, "<=": lambda v: v <= wanted,
             ">": lambda v: v > wanted, ">=": lambda v: v >= wanted}
    return leaf(field, tests[op])
  if kind == "in":
    (_, negated, wanted, field) = expr
    result = leaf(field, lambda value: any(
      element == wanted and type(element) is type(wanted)
      for element in value))
    return not result if negated else result
  if kind == "regexp":
    (_, field, pattern, flags, _, _, negated) = expr
    reflags = ((re.IGNORECASE if "i" in flags else 0) |
               (re.DOTALL if "s" in flags else 0))
    result = leaf(field, lambda value: bool(re.search(pattern, value,
                                                      reflags)))
    return not result if negated else result
  if kind == "glob":
    (_, field, pattern, negated) = expr
    result = leaf(field, lambda value: _GlobMatches(pattern, value))
    return not result if negated else result
  return leaf(expr[1], bool)


def _Valued(strategy):
  # normal values twice as often as missing ones
  normal = strategy.map(lambda value: (NORMAL, value))
  return st.one_of(
    normal, normal,
    st.sampled_from([constants.RS_NODATA, constants.RS_UNAVAIL,
                     constants.RS_OFFLINE]).map(lambda status: (status, None)),
    )


_rows = st.fixed_dictionaries({
  "name": _Valued(_names), "os": _Valued(_words),
  "cnt": _Valued(_ints), "be/vcpus": _Valued(_ints), "mem": _Valued(_ints),
  "flag": _Valued(st.booleans()),
  "tags": _Valued(st.lists(_words | _ints, max_size=3)),
  })


def _Depth(qfilter):
  """Deepest level of a JSON filter, the top being level 0."""
  if qfilter[0] in ("|", "&", "!"):
    return 1 + max([_Depth(sub) for sub in qfilter[1:]], default=-1)
  return 0


@settings(max_examples=300, deadline=None)
@given(_expressions, st.lists(_rows, min_size=1, max_size=5))
def test_text_to_json_to_evaluation_agrees_with_reference(expr, rows):
  text = _Render(expr)
  qfilter = qlang.ParseFilter(text)
  if _Depth(qfilter) >= constants.QLANG_MAX_FILTER_DEPTH:
    with pytest.raises(errors.ParameterError, match="nested too deeply"):
      qlang.MakeFilterFn(qfilter, lambda row, field: row[field])
    return
  fn = qlang.MakeFilterFn(qfilter, lambda row, field: row[field],
                          fields=_PROP_FIELDS)
  for row in rows:
    assert fn(row) == _Reference(expr, row), (text, qfilter, row)


@settings(max_examples=500, deadline=None)
@given(_globs, st.lists(st.sampled_from(["web", "db", "b", "a1", "1", ""]),
                        min_size=1, max_size=4).map(".".join))
def test_glob_regexp_agrees_with_component_matching(pattern, name):
  regexp = qlang.DnsNameGlobPattern(pattern)
  assert bool(re.match(regexp, name)) == _GlobMatches(pattern, name), regexp
