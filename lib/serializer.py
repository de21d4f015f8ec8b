"""JSON serialisation and HMAC-signed JSON envelopes.

Layer 1 (base).  Every JSON text Ganeti writes (config.data, job files,
LUXI and RPC bodies, confd messages) goes through DumpJson, so its form is
the same everywhere: keys sorted, default separators, ASCII only, no
trailing blanks, one final newline.  Peers hash some of these texts
(confd's HMAC covers the literal message), so the form must not drift.

Signed envelopes (confd section 3) are ``{"msg": <JSON text>, "salt": ...,
"hmac": <hex HMAC-SHA1 over salt + key_selector + msg>}``.

This module must not do file or network I/O beyond reading a key file, and
must not import anything above layer 1.
"""

import hashlib
import hmac as _hmac
import math
from decimal import Decimal
from typing import Any, Callable, Optional, Union

import simplejson

from ganeti import errors


#: scalar types JSON can carry
_JSON_SCALARS = (str, int, float, bool, Decimal, type(None))

#: types simplejson turns into object keys (as strings)
_JSON_KEY_TYPES = (str, int, float, bool, type(None))

KeyType = Union[str, bytes]


def _DescribePath(path: list) -> str:
  """Render a path into the data, e.g. data['nodes'][3]."""
  return "data" + "".join("[%r]" % (item, ) for item in path)


def _FindUnserialisable(value: Any, path: list, seen: set) -> Optional[str]:
  """Locate the first value JSON cannot represent.

  Only called after encoding failed, to turn simplejson's terse message into
  one that says where the offending value is.

  @return: a description of the problem, or None if none was found

  """
  if isinstance(value, float) and not math.isfinite(value):
    return "%s is %r, which JSON cannot represent" % (_DescribePath(path),
                                                      value)
  if isinstance(value, _JSON_SCALARS):
    return None
  if isinstance(value, (dict, list, tuple)):
    if id(value) in seen:
      return "%s refers back to a containing object (circular reference)" % \
        _DescribePath(path)
    seen = seen | frozenset([id(value)])
    if isinstance(value, dict):
      for (key, child) in value.items():
        if not isinstance(key, _JSON_KEY_TYPES):
          return ("%s has a key %r of type %s; JSON object keys must be"
                  " strings or numbers" %
                  (_DescribePath(path), key, type(key).__name__))
        problem = _FindUnserialisable(child, path + [key], seen)
        if problem:
          return problem
    else:
      for (idx, child) in enumerate(value):
        problem = _FindUnserialisable(child, path + [idx], seen)
        if problem:
          return problem
    return None
  return ("%s is %r of type %s, which JSON cannot represent" %
          (_DescribePath(path), value, type(value).__name__))


def DumpJson(data: Any) -> str:
  """Serialise ``data`` to the canonical JSON text.

  @return: a str ending in a single newline
  @raise errors.ProgrammerError: if ``data`` holds values JSON cannot carry
    (bytes, sets, arbitrary objects, NaN/infinity, circular references);
    the message names the offending value and where it is

  """
  try:
    txt = simplejson.dumps(data, sort_keys=True, ensure_ascii=True,
                           allow_nan=False, encoding=None,
                           namedtuple_as_object=False, tuple_as_array=True)
  except (TypeError, ValueError, RecursionError) as err:
    problem = _FindUnserialisable(data, [], frozenset())
    raise errors.ProgrammerError("Cannot serialise to JSON: %s" %
                                 (problem or err, ))
  # without indentation the text is one line (JSON escapes newlines inside
  # strings), so trailing blanks can only stand at its very end; a regexp
  # over the whole text cost as much as the encoding itself
  txt = txt.rstrip(" \t")
  if not txt.endswith("\n"):
    txt += "\n"
  return txt


def _ToText(txt: Any, what: str) -> str:
  """Accept str or UTF-8 bytes; refuse anything else with a clear error."""
  if isinstance(txt, (bytes, bytearray, memoryview)):
    try:
      return bytes(txt).decode("utf-8")
    except UnicodeDecodeError as err:
      raise errors.ParseError("%s is not valid UTF-8: %s" % (what, err))
  if not isinstance(txt, str):
    raise errors.ParseError("%s must be str or bytes, not %s" %
                            (what, type(txt).__name__))
  return txt


def LoadJson(txt: Union[str, bytes]) -> Any:
  """Parse a JSON text (str or UTF-8 bytes).

  Surrounding whitespace (including the final newline DumpJson adds) is
  accepted; NaN and Infinity are not, as they are not JSON.

  @raise errors.ParseError: with what was wrong and where (line, column)

  """
  txt = _ToText(txt, "JSON data")
  try:
    return simplejson.loads(txt, allow_nan=False)
  except simplejson.JSONDecodeError as err:
    raise errors.ParseError("Invalid JSON data: %s: line %d column %d"
                            " (char %d)" %
                            (err.msg, err.lineno, err.colno, err.pos))
  except RecursionError:
    raise errors.ParseError("Invalid JSON data: nested too deeply")
  except ValueError as err:
    # e.g. integers longer than Python's conversion limit
    raise errors.ParseError("Invalid JSON data: %s" % err)


def _Sha1Hmac(key: bytes, text: str, salt: str) -> str:
  """Lowercase hex HMAC-SHA1 of salt + text, both as UTF-8."""
  # surrogatepass: a decoded message may hold lone surrogates (\ud800);
  # they must yield a mismatch, not a crash
  return _hmac.new(key, (salt + text).encode("utf-8", "surrogatepass"),
                   hashlib.sha1).hexdigest()


def _KeyBytes(key: Any, what: str) -> bytes:
  """Key as bytes; str keys are UTF-8 encoded (the file bytes as read)."""
  if isinstance(key, str):
    key = key.encode("utf-8")
  elif isinstance(key, (bytearray, memoryview)):
    key = bytes(key)
  if not isinstance(key, bytes):
    raise errors.ProgrammerError("%s must be str or bytes, not %s" %
                                 (what, type(key).__name__))
  if not key:
    raise errors.SignatureError("%s is empty" % what)
  return key


def DumpSignedJson(data: Any, key: KeyType, salt: str = "",
                   key_selector: str = "") -> str:
  """Serialise ``data`` and wrap it into a signed envelope.

  @param key: the HMAC key, the key file's content as read (keep the
    trailing newline)
  @param salt: sent in clear and covered by the HMAC
  @param key_selector: if non-empty, sent along and appended to the salt in
    the HMAC input, so the receiver can pick the key it names
  @return: the envelope as JSON text

  """
  if salt is None:
    salt = ""
  if key_selector is None:
    key_selector = ""
  if not isinstance(salt, str):
    raise errors.ProgrammerError("Salt must be a string, not %s (%r)" %
                                 (type(salt).__name__, salt))
  if not isinstance(key_selector, str):
    raise errors.ProgrammerError("Key selector must be a string, not %s"
                                 " (%r)" % (type(key_selector).__name__,
                                            key_selector))
  key = _KeyBytes(key, "HMAC key")
  txt = DumpJson(data)
  envelope = {
    "msg": txt,
    "salt": salt,
    "hmac": _Sha1Hmac(key, txt, salt + key_selector),
    }
  if key_selector:
    envelope["key_selector"] = key_selector
  return DumpJson(envelope)


def LoadSignedJson(txt: Union[str, bytes],
                   key: Union[KeyType, Callable[[Optional[str]],
                                                Optional[KeyType]]]) -> tuple:
  """Verify a signed envelope and return its content.

  @param key: the HMAC key, or a function taking the envelope's key
    selector (None if it has none) and returning the key, or None/"" if it
    knows no such key
  @return: (decoded message, salt)
  @raise errors.SignatureError: if the envelope is malformed, no key is
    found or the HMAC does not match
  @raise errors.ParseError: if the verified message is not valid JSON

  """
  try:
    envelope = LoadJson(txt)
  except errors.ParseError as err:
    raise errors.SignatureError("Invalid signed message: %s" % err)
  if not isinstance(envelope, dict):
    raise errors.SignatureError("Invalid signed message: expected a JSON"
                                " object, got %s" % type(envelope).__name__)

  fields = {}
  for name in ("msg", "salt", "hmac"):
    if name not in envelope:
      raise errors.SignatureError("Invalid signed message: field '%s'"
                                  " missing" % name)
    if not isinstance(envelope[name], str):
      raise errors.SignatureError("Invalid signed message: field '%s' must"
                                  " be a string, got %r" %
                                  (name, envelope[name]))
    fields[name] = envelope[name]

  key_selector = envelope.get("key_selector")
  if key_selector is not None and not isinstance(key_selector, str):
    raise errors.SignatureError("Invalid signed message: field"
                                " 'key_selector' must be a string, got %r" %
                                (key_selector, ))

  if callable(key):
    hmac_key = key(key_selector)
    if not hmac_key:
      raise errors.SignatureError("No key found for key selector %r" %
                                  (key_selector, ))
  else:
    hmac_key = key
  hmac_key = _KeyBytes(hmac_key, "HMAC key")

  expected = _Sha1Hmac(hmac_key, fields["msg"],
                       fields["salt"] + (key_selector or ""))
  # compare_digest keeps the comparison time independent of the content
  if not _hmac.compare_digest(expected.encode("ascii"),
                              fields["hmac"].lower().encode("utf-8",
                                                            "surrogatepass")):
    raise errors.SignatureError("Invalid signature on signed message"
                                " (salt %r)" % (fields["salt"], ))

  return (LoadJson(fields["msg"]), fields["salt"])


def LoadHmacKey(path: str) -> bytes:
  """Read an HMAC key file (e.g. hmac.key) and return its bytes as read.

  Nothing is stripped: the trailing newline is part of the key, as in
  Ganeti, so keys interoperate with every other implementation.

  @raise errors.ConfigurationError: if the file cannot be read or is empty

  """
  try:
    with open(path, "rb") as fd:
      key = fd.read()
  except OSError as err:
    raise errors.ConfigurationError("Cannot read HMAC key file '%s': %s" %
                                    (path, err.strerror or err))
  if not key:
    raise errors.ConfigurationError("HMAC key file '%s' is empty" % path)
  return key


# Short names kept from Ganeti for callers that use them
Dump = DumpJson
Load = LoadJson
DumpSigned = DumpSignedJson
LoadSigned = LoadSignedJson
