"""Tests for ganeti.utils.text, with hypothesis properties for sizes."""

import re
import subprocess
import time

import pytest
from hypothesis import given, settings, strategies as st

from ganeti import errors
from ganeti.utils import text


# --- FormatUnit ----------------------------------------------------------

@pytest.mark.parametrize("value, units, expected", [
  (0, "h", "0M"), (1, "h", "1M"), (512, "h", "512M"), (1023, "h", "1023M"),
  (1024, "h", "1.0G"), (1536, "h", "1.5G"), (1024 * 1024 - 1, "h", "1024.0G"),
  (1024 * 1024, "h", "1.0T"), (3 * 1024 * 1024 + 512 * 1024, "h", "3.5T"),
  (512, "m", "512"), (1024 * 1024, "m", "1048576"), (2.5, "m", "3"),
  (512, "g", "0.5"), (256, "g", "0.3"), (1024, "g", "1.0"), (0, "g", "0.0"),
  (1024 * 1024, "t", "1.0"), (512 * 1024, "t", "0.5"), (0, "t", "0.0"),
])
def test_format_unit(value, units, expected):
  assert text.FormatUnit(value, units) == expected


@pytest.mark.parametrize("units", ["x", "H", "M", "", None, "mb"])
def test_format_unit_bad_units(units):
  with pytest.raises(errors.ProgrammerError, match="Invalid unit"):
    text.FormatUnit(1, units)


@pytest.mark.parametrize("value", ["1", None, True, [1]])
def test_format_unit_bad_value(value):
  with pytest.raises(errors.ProgrammerError, match="Invalid value"):
    text.FormatUnit(value, "h")


# --- ParseUnit -----------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
  ("0", 0), ("1", 4), ("4", 4), ("130", 132), (130, 132), ("512", 512),
  ("512M", 512), ("512 MiB", 512), ("512mb", 512), ("1.5G", 1536),
  ("2g", 2048), ("2 GB", 2048), ("1GiB", 1024), ("2t", 2 * 1024 * 1024),
  ("1.5TB", 1536 * 1024), ("1tib", 1024 * 1024), ("0.1", 4), ("1.1G", 1128),
  ("1024", 1024), (".5G", 512),
])
def test_parse_unit(value, expected):
  assert text.ParseUnit(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "-1", "-1G", "1.2.3", ".",
                                   "1 G B", "G", "1e3", "0x10", "1,5G",
                                   None, True, "１２"])
def test_parse_unit_garbage(value):
  with pytest.raises(errors.UnitParseError):
    text.ParseUnit(value)


@pytest.mark.parametrize("value", ["1K", "5kb", "1P", "3 bytes"])
def test_parse_unit_unknown_unit(value):
  with pytest.raises(errors.UnitParseError, match="Unknown unit"):
    text.ParseUnit(value)


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_unit_rounds_up_to_multiple_of_four(value):
  result = text.ParseUnit(str(value))
  assert result % 4 == 0
  assert value <= result < value + 4


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_of_format_m_is_exact_up_to_rounding(value):
  assert text.ParseUnit(text.FormatUnit(value, "m")) == \
    text.ParseUnit(str(value))


@given(st.integers(min_value=0, max_value=10**10))
def test_parse_of_format_h_is_close(value):
  result = text.ParseUnit(text.FormatUnit(value, "h"))
  if value < 1024:
    tolerance = 4
  elif value < 1024 * 1024:
    tolerance = 0.05 * 1024 + 4
  else:
    tolerance = 0.05 * 1024 * 1024 + 4
  assert abs(result - value) <= tolerance


@given(st.integers(min_value=0, max_value=10**9),
       st.integers(min_value=0, max_value=10**9))
def test_parse_unit_is_monotonic_and_idempotent(a, b):
  (low, high) = sorted([a, b])
  assert text.ParseUnit(low) <= text.ParseUnit(high)
  once = text.ParseUnit(low)
  assert text.ParseUnit(once) == once


@given(st.decimals(min_value=0, max_value=10**6, places=3,
                   allow_nan=False, allow_infinity=False),
       st.sampled_from(["", "m", "G", "t"]))
def test_parse_unit_with_units_never_undershoots(number, unit):
  factor = {"": 1, "m": 1, "G": 1024, "t": 1024 * 1024}[unit]
  result = text.ParseUnit("%s%s" % (number, unit))
  assert result >= number * factor
  assert result - number * factor < 4 + 1
  assert result % 4 == 0


# --- shell quoting -------------------------------------------------------

def test_shell_quote():
  assert text.ShellQuote("abc-1.2_+/:%@") == "abc-1.2_+/:%@"
  assert text.ShellQuote("a b") == "'a b'"
  assert text.ShellQuote("") == "''"
  assert text.ShellQuote("it's") == "'it'\\''s'"
  with pytest.raises(TypeError, match="string"):
    text.ShellQuote(5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", ),
                                               blacklist_characters="\x00"),
                        max_size=10), max_size=5))
def test_shell_quote_args_round_trip_through_sh(args):
  quoted = text.ShellQuoteArgs(args)
  script = "for a in %s; do printf '%%s\\0' \"$a\"; done" % quoted
  result = subprocess.run(["/bin/sh", "-c", script], capture_output=True,
                          check=True)
  assert result.stdout.decode("utf-8").split("\0")[:-1] == args


def test_is_valid_shell_param_and_build_shell_cmd():
  assert text.IsValidShellParam("abc")
  assert not text.IsValidShellParam("a;b")
  assert not text.IsValidShellParam("")
  assert not text.IsValidShellParam(None)
  assert text.BuildShellCmd("ls %s %s", "a", "/b") == "ls a /b"
  with pytest.raises(errors.ProgrammerError, match="'a b' contains invalid"):
    text.BuildShellCmd("ls %s", "a b")


# --- encoding and splitting ----------------------------------------------

def test_safe_encode():
  assert text.SafeEncode("plain") == "plain"
  assert text.SafeEncode("a\tb\nc\rd") == r"a\tb\nc\rd"
  assert text.SafeEncode("\x01\x7f") == r"\x01\x7f"
  assert text.SafeEncode("caf\u00e9") == r"caf\xe9"
  assert text.SafeEncode("\u20ac") == r"\u20ac"
  assert text.SafeEncode(b"a\xff") == r"a\xff"
  with pytest.raises(TypeError, match="str or bytes"):
    text.SafeEncode(5)


@given(st.binary(max_size=50))
def test_safe_encode_output_is_printable_ascii(data):
  result = text.SafeEncode(data)
  assert all(32 <= ord(c) < 127 for c in result)


@pytest.mark.parametrize("value, expected", [
  ("", [""]), ("a", ["a"]), ("a,b", ["a", "b"]), ("a\\,b,c", ["a,b", "c"]),
  ("a\\\\,b", ["a\\", "b"]), ("a\\b", ["ab"]), ("a,", ["a", ""]),
  ("a\\", ["a\\"]), (",", ["", ""]),
])
def test_unescape_and_split(value, expected):
  assert text.UnescapeAndSplit(value) == expected


def test_unescape_and_split_other_sep_and_errors():
  assert text.UnescapeAndSplit("a:b\\:c", sep=":") == ["a", "b:c"]
  with pytest.raises(ValueError, match="Separator"):
    text.UnescapeAndSplit("a", sep="")
  with pytest.raises(ValueError, match="Separator"):
    text.UnescapeAndSplit("a", sep="\\")
  with pytest.raises(TypeError, match="string"):
    text.UnescapeAndSplit(None)


@given(st.lists(st.text(alphabet="ab,\\", max_size=6), min_size=1,
                max_size=5))
def test_unescape_and_split_round_trip(items):
  escaped = ",".join(i.replace("\\", "\\\\").replace(",", "\\,")
                     for i in items)
  assert text.UnescapeAndSplit(escaped) == items


def test_comma_join():
  assert text.CommaJoin([]) == ""
  assert text.CommaJoin(["a", 1, None]) == "a, 1, None"


# --- MACs and names ------------------------------------------------------

def test_normalize_and_validate_mac():
  assert text.NormalizeAndValidateMac("AA:bb:0C:dd:ee:FF") == \
    "aa:bb:0c:dd:ee:ff"
  for bad in ["aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:fg", "aabbccddeeff",
              "aa-bb-cc-dd-ee-ff", "", None, "aa:bb:cc:dd:ee:ff:00"]:
    with pytest.raises(errors.OpPrereqError, match="Invalid MAC") as info:
      text.NormalizeAndValidateMac(bad)
    assert info.value.args[1] == errors.ECODE_INVAL


def test_match_name_component():
  names = ["node1.example.com", "node10.example.com", "other.example.org",
           "Mixed.example.com"]
  assert text.MatchNameComponent("node1", names) == "node1.example.com"
  assert text.MatchNameComponent("node1.example.com", names) == \
    "node1.example.com"
  assert text.MatchNameComponent("node", names) is None
  assert text.MatchNameComponent("mixed", names) is None
  assert text.MatchNameComponent("mixed", names, case_sensitive=False) == \
    "Mixed.example.com"
  assert text.MatchNameComponent("x", []) is None
  dup = ["a.one", "a.two"]
  assert text.MatchNameComponent("a", dup) is None
  assert text.MatchNameComponent("A", ["a", "a.b"],
                                 case_sensitive=False) == "a"


# --- time formatting -----------------------------------------------------

def test_format_time():
  stamp = 1357652380
  expected = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
  assert text.FormatTime(stamp) == expected
  assert text.FormatTime(stamp, usecs=42) == expected + ".000042"
  assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$",
                  text.FormatTime(1.5))
  for bad in [None, "123", True, [1]]:
    assert text.FormatTime(bad) == "N/A"


@pytest.mark.parametrize("secs, expected", [
  (0, "0s"), (1, "1s"), (59.6, "1m 0s"), (60, "1m 0s"), (3600, "1h 0m 0s"),
  (3661, "1h 1m 1s"), (86400 + 3 * 60 + 1, "1d 0h 3m 1s"), (-5, "-5s"),
])
def test_format_seconds(secs, expected):
  assert text.FormatSeconds(secs) == expected


# --- misc ------------------------------------------------------------------

def test_generate_secret():
  secret = text.GenerateSecret()
  assert re.match(r"^[0-9a-f]{40}$", secret)
  assert text.GenerateSecret() != secret
  assert len(text.GenerateSecret(numbytes=8)) == 16
  for bad in [0, -1, "20", 1.5, True]:
    with pytest.raises(ValueError, match="Secret length"):
      text.GenerateSecret(bad)


def test_truncate():
  assert text.Truncate("abc", 10) == "abc"
  assert text.Truncate("abcdefghij", 10) == "abcdefghij"
  assert text.Truncate("abcdefghijk", 10) == "abcdefg..."
  assert text.Truncate(12345678, 5) == "12..."
  for bad in [3, 0, "10", None]:
    with pytest.raises(ValueError, match="Truncation length"):
      text.Truncate("abcdef", bad)


def test_filter_empty_lines_and_comments():
  assert text.FilterEmptyLinesAndComments("") == []
  assert text.FilterEmptyLinesAndComments(
    "  a \n\n# comment\n  # also\nb\r\n") == ["a", "b"]


@pytest.mark.parametrize("value, expected", [
  (0, "0th"), (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
  (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"),
  (111, "111th"), (112, "112th"), (1000, "1000th"),
])
def test_format_ordinal(value, expected):
  assert text.FormatOrdinal(value) == expected


def test_format_ordinal_bad_input():
  for bad in ["1", 1.0, None, True]:
    with pytest.raises(TypeError, match="integer"):
      text.FormatOrdinal(bad)
