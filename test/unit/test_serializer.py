"""Tests for ganeti.serializer: canonical JSON and signed envelopes."""

import collections
import hashlib
import hmac
import json

import pytest
from hypothesis import assume, given, strategies as st

from ganeti import errors
from ganeti import serializer


# The worked example of the confd spec (section 11), byte for byte.
SPEC_KEY = b"0123456789abcdef0123456789abcdef01234567\n"
SPEC_REQUEST = {"protocol": 1, "query": "node1.example.com",
                "rsalt": "5f0c3a2e-1111-4222-8333-944455556666", "type": 1}
SPEC_DATAGRAM_BODY = (
  '{"hmac": "62322927a1daf59727101359abd81dee10ea3677", "msg": '
  '"{\\"protocol\\": 1, \\"query\\": \\"node1.example.com\\", '
  '\\"rsalt\\": \\"5f0c3a2e-1111-4222-8333-944455556666\\", '
  '\\"type\\": 1}\\n", "salt": "1700000000"}')


def test_dump_json_canonical_form():
  txt = serializer.DumpJson({"b": [1, 2.5, None, True], "a": "x"})
  assert txt == '{"a": "x", "b": [1, 2.5, null, true]}\n'


def test_dump_json_escapes_non_ascii():
  assert serializer.DumpJson("\u00e9\u20ac") == '"\\u00e9\\u20ac"\n'


def test_dump_json_scalars_and_tuples():
  assert serializer.DumpJson(None) == "null\n"
  assert serializer.DumpJson("") == '""\n'
  assert serializer.DumpJson((1, (2, 3))) == "[1, [2, 3]]\n"


def test_dump_json_namedtuple_is_a_list():
  pair = collections.namedtuple("Pair", ["a", "b"])
  assert serializer.DumpJson(pair(1, 2)) == "[1, 2]\n"


def test_dump_json_numeric_keys_become_strings():
  assert serializer.DumpJson({1: "a"}) == '{"1": "a"}\n'


def test_dump_json_matches_spec_message():
  assert serializer.DumpJson(SPEC_REQUEST) == (
    '{"protocol": 1, "query": "node1.example.com", "rsalt": '
    '"5f0c3a2e-1111-4222-8333-944455556666", "type": 1}\n')


@pytest.mark.parametrize(("data", "where"), [
  ({"a": set([1])}, "data['a'] is {1} of type set"),
  ([1, b"raw"], "data[1] is b'raw' of type bytes"),
  ({"x": [object()]}, "data['x'][0] is <object"),
  ({"f": float("nan")}, "data['f'] is nan"),
  ([float("inf")], "data[0] is inf"),
  ({(1, 2): "v"}, "data has a key (1, 2) of type tuple"),
  ({b"k": 1}, "data has a key b'k' of type bytes"),
  ])
def test_dump_json_refuses_unserialisable_values(data, where):
  with pytest.raises(errors.ProgrammerError) as info:
    serializer.DumpJson(data)
  assert "Cannot serialise to JSON" in str(info.value)
  assert where in str(info.value)


def test_dump_json_refuses_circular_data():
  data = {"a": []}
  data["a"].append(data)
  with pytest.raises(errors.ProgrammerError, match="circular reference"):
    serializer.DumpJson(data)


def test_load_json_accepts_str_and_bytes():
  assert serializer.LoadJson('{"a": [1, 2.5, null]}\n') == \
    {"a": [1, 2.5, None]}
  assert serializer.LoadJson(b'  "\\u00e9"  ') == "\u00e9"
  assert serializer.LoadJson(bytearray(b"[]")) == []
  assert serializer.LoadJson('"\u20ac"'.encode("utf-8")) == "\u20ac"


@pytest.mark.parametrize(("txt", "what"), [
  ("", "Expecting value: line 1 column 1"),
  ('{"a": ', "line 1 column 7"),
  ("[1, 2]\n]", "Extra data: line 2 column 1"),
  ("{'a': 1}", "line 1 column 2"),
  ("NaN", "line 1 column 1"),
  ("Infinity", "line 1 column 1"),
  ])
def test_load_json_refuses_malformed_text(txt, what):
  with pytest.raises(errors.ParseError) as info:
    serializer.LoadJson(txt)
  assert "Invalid JSON data" in str(info.value)
  assert what in str(info.value)


def test_load_json_refuses_bad_utf8():
  with pytest.raises(errors.ParseError, match="not valid UTF-8"):
    serializer.LoadJson(b'"\xff"')


@pytest.mark.parametrize("value", [None, 5, ["[]"], {"a": 1}])
def test_load_json_refuses_non_text(value):
  with pytest.raises(errors.ParseError, match="must be str or bytes"):
    serializer.LoadJson(value)


def test_load_json_refuses_oversized_integers():
  with pytest.raises(errors.ParseError, match="Invalid JSON data"):
    serializer.LoadJson("1" * 5000)


def test_load_json_refuses_excessive_nesting():
  with pytest.raises(errors.ParseError, match="nested too deeply"):
    serializer.LoadJson("[" * 100000 + "]" * 100000)


def test_signed_json_matches_spec_example():
  txt = serializer.DumpSignedJson(SPEC_REQUEST, SPEC_KEY, salt="1700000000")
  assert txt == SPEC_DATAGRAM_BODY + "\n"
  assert serializer.LoadSignedJson(SPEC_DATAGRAM_BODY, SPEC_KEY) == \
    (SPEC_REQUEST, "1700000000")


def test_signed_json_spec_reply_digest():
  reply = {"answer": 1, "protocol": 1, "serial": 42, "status": 0}
  txt = serializer.DumpSignedJson(reply, SPEC_KEY,
                                  salt="5f0c3a2e-1111-4222-8333-944455556666")
  envelope = json.loads(txt)
  assert envelope["hmac"] == "4dd9629c801840616dadb692a03b8132a5005a88"


def test_signed_json_key_newline_matters():
  txt = serializer.DumpSignedJson(SPEC_REQUEST, SPEC_KEY.rstrip(),
                                  salt="1700000000")
  assert json.loads(txt)["hmac"] == \
    "3ff4aba70a18646eb97a5144448d8e46bd8cb1fd"
  with pytest.raises(errors.SignatureError, match="Invalid signature"):
    serializer.LoadSignedJson(txt, SPEC_KEY)


def test_signed_json_str_key_equals_its_utf8_bytes():
  txt = serializer.DumpSignedJson([1], "k\u00e9y", salt="s")
  assert serializer.LoadSignedJson(txt, "k\u00e9y".encode("utf-8")) == \
    ([1], "s")


def test_signed_json_default_salt_is_empty():
  txt = serializer.DumpSignedJson({"a": 1}, b"key")
  envelope = json.loads(txt)
  assert envelope["salt"] == ""
  assert "key_selector" not in envelope
  expected = hmac.new(b"key", envelope["msg"].encode(),
                      hashlib.sha1).hexdigest()
  assert envelope["hmac"] == expected
  assert serializer.LoadSignedJson(txt, b"key") == ({"a": 1}, "")


def test_signed_json_none_salt_and_selector_mean_empty():
  txt = serializer.DumpSignedJson(1, b"key", salt=None, key_selector=None)
  assert serializer.LoadSignedJson(txt, b"key") == (1, "")


def test_signed_json_key_selector_extends_salt():
  txt = serializer.DumpSignedJson("data", b"key2", salt="123",
                                  key_selector="sel")
  envelope = json.loads(txt)
  assert envelope["key_selector"] == "sel"
  expected = hmac.new(b"key2", ("123sel" + envelope["msg"]).encode(),
                      hashlib.sha1).hexdigest()
  assert envelope["hmac"] == expected

  keys = {"sel": b"key2", "other": b"key1"}
  assert serializer.LoadSignedJson(txt, keys.get) == ("data", "123")
  # a plain key also verifies, with the selector still in the HMAC input
  assert serializer.LoadSignedJson(txt, b"key2") == ("data", "123")


def test_signed_json_key_function_without_key():
  txt = serializer.DumpSignedJson("data", b"key", key_selector="gone")
  with pytest.raises(errors.SignatureError, match="No key found.*'gone'"):
    serializer.LoadSignedJson(txt, {}.get)
  seen = []

  def Lookup(selector):
    seen.append(selector)
    return b"key"
  plain = serializer.DumpSignedJson("data", b"key")
  assert serializer.LoadSignedJson(plain, Lookup) == ("data", "")
  assert seen == [None]


def test_signed_json_uppercase_hmac_accepted():
  envelope = json.loads(serializer.DumpSignedJson([1, 2], b"k", salt="x"))
  envelope["hmac"] = envelope["hmac"].upper()
  assert serializer.LoadSignedJson(json.dumps(envelope), b"k") == \
    ([1, 2], "x")


@pytest.mark.parametrize(("txt", "what"), [
  ("not json", "Invalid signed message: Invalid JSON data"),
  ("[1, 2]", "expected a JSON object, got list"),
  ('{"salt": "", "hmac": ""}', "field 'msg' missing"),
  ('{"msg": "1", "hmac": ""}', "field 'salt' missing"),
  ('{"msg": "1", "salt": ""}', "field 'hmac' missing"),
  ('{"msg": 1, "salt": "", "hmac": ""}', "field 'msg' must be a string"),
  ('{"msg": "1", "salt": 5, "hmac": ""}', "field 'salt' must be a string"),
  ('{"msg": "1", "salt": "", "hmac": null}',
   "field 'hmac' must be a string"),
  ('{"msg": "1", "salt": "", "hmac": "", "key_selector": 3}',
   "field 'key_selector' must be a string"),
  ('{"msg": "1", "salt": "", "hmac": "\\u00e9\\ud800"}',
   "Invalid signature"),
  ])
def test_load_signed_json_refuses_malformed_envelopes(txt, what):
  with pytest.raises(errors.SignatureError) as info:
    serializer.LoadSignedJson(txt, b"key")
  assert what in str(info.value)


def test_load_signed_json_verified_but_invalid_message():
  msg = "not json"
  digest = hmac.new(b"key", msg.encode(), hashlib.sha1).hexdigest()
  txt = json.dumps({"msg": msg, "salt": "", "hmac": digest})
  with pytest.raises(errors.ParseError, match="Invalid JSON data"):
    serializer.LoadSignedJson(txt, b"key")


@pytest.mark.parametrize("key", [None, 5, ["k"]])
def test_signed_json_refuses_bad_key_types(key):
  with pytest.raises(errors.ProgrammerError, match="HMAC key must be"):
    serializer.DumpSignedJson(1, key)
  txt = serializer.DumpSignedJson(1, b"k")
  with pytest.raises(errors.ProgrammerError, match="HMAC key must be"):
    serializer.LoadSignedJson(txt, lambda _: key if key else [1])


def test_signed_json_refuses_empty_keys():
  with pytest.raises(errors.SignatureError, match="HMAC key is empty"):
    serializer.DumpSignedJson(1, b"")
  txt = serializer.DumpSignedJson(1, b"k")
  with pytest.raises(errors.SignatureError, match="HMAC key is empty"):
    serializer.LoadSignedJson(txt, "")


@pytest.mark.parametrize(("kwargs", "what"), [
  ({"salt": 5}, "Salt must be a string"),
  ({"key_selector": b"x"}, "Key selector must be a string"),
  ])
def test_dump_signed_json_refuses_bad_salt_and_selector(kwargs, what):
  with pytest.raises(errors.ProgrammerError, match=what):
    serializer.DumpSignedJson(1, b"key", **kwargs)


def test_dump_signed_json_refuses_unserialisable_data():
  with pytest.raises(errors.ProgrammerError, match="Cannot serialise"):
    serializer.DumpSignedJson({"a": object()}, b"key")


def test_load_hmac_key_keeps_bytes_as_read(tmp_path):
  path = tmp_path / "hmac.key"
  path.write_bytes(SPEC_KEY)
  assert serializer.LoadHmacKey(str(path)) == SPEC_KEY
  key = serializer.LoadHmacKey(path)
  txt = serializer.DumpSignedJson(SPEC_REQUEST, key, salt="1700000000")
  assert txt == SPEC_DATAGRAM_BODY + "\n"


def test_load_hmac_key_missing_file(tmp_path):
  path = str(tmp_path / "missing.key")
  with pytest.raises(errors.ConfigurationError) as info:
    serializer.LoadHmacKey(path)
  assert path in str(info.value)
  assert "No such file" in str(info.value)


def test_load_hmac_key_empty_file(tmp_path):
  path = tmp_path / "empty.key"
  path.write_bytes(b"")
  with pytest.raises(errors.ConfigurationError, match="is empty"):
    serializer.LoadHmacKey(str(path))


def test_load_hmac_key_directory(tmp_path):
  with pytest.raises(errors.ConfigurationError, match="Cannot read HMAC"):
    serializer.LoadHmacKey(str(tmp_path))


def test_short_aliases():
  assert serializer.Dump is serializer.DumpJson
  assert serializer.Load is serializer.LoadJson
  assert serializer.DumpSigned is serializer.DumpSignedJson
  assert serializer.LoadSigned is serializer.LoadSignedJson


# Property tests

_JSON = st.recursive(
  st.none() | st.booleans() | st.integers() |
  st.floats(allow_nan=False, allow_infinity=False) | st.text(),
  lambda children: (st.lists(children, max_size=5) |
                    st.dictionaries(st.text(), children, max_size=5)),
  max_leaves=25)


@given(_JSON)
def test_property_round_trip(data):
  txt = serializer.DumpJson(data)
  assert txt.endswith("\n") and not txt.endswith("\n\n")
  assert txt.isascii()
  assert serializer.LoadJson(txt) == data
  assert serializer.LoadJson(txt.encode("ascii")) == data
  # canonical: dumping the loaded value gives the same text again
  assert serializer.DumpJson(serializer.LoadJson(txt)) == txt


@given(_JSON, st.binary(min_size=1, max_size=64), st.text(max_size=20),
       st.text(max_size=10))
def test_property_signed_round_trip(data, key, salt, selector):
  txt = serializer.DumpSignedJson(data, key, salt=salt, key_selector=selector)
  assert serializer.LoadSignedJson(txt, key) == (data, salt)


_FIELDS = st.sampled_from(["msg", "salt", "hmac", "key_selector"])


@given(_JSON, st.binary(min_size=1, max_size=32), st.text(max_size=10),
       _FIELDS, st.text(min_size=1, max_size=5))
def test_property_tampering_is_detected(data, key, salt, field, extra):
  envelope = json.loads(serializer.DumpSignedJson(data, key, salt=salt,
                                                  key_selector="sel"))
  envelope[field] = envelope[field] + extra
  with pytest.raises(errors.SignatureError):
    serializer.LoadSignedJson(json.dumps(envelope), key)


@given(_JSON, st.binary(min_size=1, max_size=32),
       st.binary(min_size=1, max_size=32))
def test_property_wrong_key_is_detected(data, key, other_key):
  assume(key != other_key)
  txt = serializer.DumpSignedJson(data, key)
  with pytest.raises(errors.SignatureError, match="Invalid signature"):
    serializer.LoadSignedJson(txt, other_key)


@given(st.binary(max_size=200))
def test_property_load_json_never_crashes(raw):
  try:
    serializer.LoadJson(raw)
  except errors.ParseError as err:
    assert str(err)


@given(st.binary(max_size=200))
def test_property_load_signed_json_never_crashes(raw):
  with pytest.raises(errors.SignatureError):
    serializer.LoadSignedJson(raw, b"key")

