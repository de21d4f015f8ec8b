"""Composable type checks for parameters and results.

Layer 1 (base).  A check is a callable taking one value and returning a
bool; every check built here also carries a readable description
(``str(check)`` or ``check.desc``), so code that validates opcodes,
RAPI bodies or RPC results can say what it expected, e.g. "expected None
or positive integer".  Checks compose: combinators (TOr, TAnd, TListOf,
TDictOf, ...) build their description from their parts.

Conventions fixed by the wire format: booleans are not integers, integers
are not floats (TNumber accepts both), and TNonEmptyString rejects "".

This module only checks values; it must not convert or fill them, and it
must not import anything above layer 1.
"""

import ipaddress
import re
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence


class _NoDefaultType:
  """Marker for opcode parameters that have no default (they are required).

  """
  __slots__ = ()

  def __repr__(self) -> str:
    return "NoDefault"


class _NoTypeType:
  """Marker for opcode parameters whose type is deliberately not checked.

  """
  __slots__ = ()

  def __repr__(self) -> str:
    return "NoType"


#: default value of a required parameter
NoDefault = _NoDefaultType()

#: type of a parameter that is not checked
NoType = _NoTypeType()


class _TypeCheck:
  """A predicate together with its description.

  ``combinator`` is "or" / "and" for checks built by TOr / TAnd and None
  otherwise; it decides whether a description needs parentheses when it is
  combined into a bigger one.

  """
  __slots__ = ("_fn", "desc", "combinator")

  def __init__(self, fn: Callable[[Any], Any], desc: str,
               combinator: Optional[str] = None) -> None:
    self._fn = fn
    self.desc = desc
    self.combinator = combinator

  def __call__(self, value: Any) -> bool:
    return bool(self._fn(value))

  def __str__(self) -> str:
    return self.desc

  def __repr__(self) -> str:
    return "<ht check: %s>" % self.desc


def _CheckCallable(fn: Any, what: str) -> None:
  """Refuse non-callables early, where the check is built."""
  if not callable(fn):
    raise TypeError("%s needs a callable type check, got %r of type %s" %
                    (what, fn, type(fn).__name__))


def Describe(fn: Callable[[Any], Any]) -> str:
  """Return the description of any check, including plain functions.

  Plain functions get a description built from their name, so error
  messages stay readable even for ad-hoc checks.

  """
  if isinstance(fn, _TypeCheck):
    return fn.desc
  name = getattr(fn, "__name__", None)
  if name and name != "<lambda>":
    return "value accepted by %s" % name
  return "value accepted by %r" % (fn, )


def _Part(fn: Callable[[Any], Any], op: str) -> str:
  """Description of a part of an ``op`` combination, parenthesised if needed.

  """
  desc = Describe(fn)
  combinator = getattr(fn, "combinator", None)
  if combinator is not None and combinator != op:
    return "(%s)" % desc
  return desc


def WithDesc(text: str) -> Callable[[Callable[[Any], Any]], _TypeCheck]:
  """Return a decorator giving a check the description ``text``.

  Usable on plain functions (as a decorator) and on existing checks.

  """
  if not isinstance(text, str):
    raise TypeError("WithDesc needs a string description, got %r" % (text, ))

  def wrapper(fn: Callable[[Any], Any]) -> _TypeCheck:
    _CheckCallable(fn, "WithDesc(%r)" % text)
    return _TypeCheck(fn, text)

  return wrapper


def Comment(text: str) -> Callable[[Callable[[Any], Any]], _TypeCheck]:
  """Return a decorator appending a comment to a check's description.

  The check itself is unchanged; "positive integer" commented with
  "size in MiB" reads "positive integer (size in MiB)".

  """
  if not isinstance(text, str):
    raise TypeError("Comment needs a string comment, got %r" % (text, ))

  def wrapper(fn: Callable[[Any], Any]) -> _TypeCheck:
    _CheckCallable(fn, "Comment(%r)" % text)
    return _TypeCheck(fn, "%s (%s)" % (Describe(fn), text))

  return wrapper


# Combinators

def TOr(*args: Callable[[Any], Any]) -> _TypeCheck:
  """Accept a value that passes at least one of the checks."""
  if not args:
    raise TypeError("TOr needs at least one type check")
  for fn in args:
    _CheckCallable(fn, "TOr")
  checks = tuple(args)
  return _TypeCheck(lambda val: any(fn(val) for fn in checks),
                    " or ".join(_Part(fn, "or") for fn in checks),
                    combinator="or" if len(checks) > 1 else None)


def TAnd(*args: Callable[[Any], Any]) -> _TypeCheck:
  """Accept a value that passes all checks, tested in order.

  Later checks may rely on earlier ones (e.g. TAnd(TList, <list check>)),
  because evaluation stops at the first failure.

  """
  if not args:
    raise TypeError("TAnd needs at least one type check")
  for fn in args:
    _CheckCallable(fn, "TAnd")
  checks = tuple(args)
  return _TypeCheck(lambda val: all(fn(val) for fn in checks),
                    " and ".join(_Part(fn, "and") for fn in checks),
                    combinator="and" if len(checks) > 1 else None)


def TNot(test: Callable[[Any], Any]) -> _TypeCheck:
  """Accept a value that fails ``test``."""
  _CheckCallable(test, "TNot")
  return _TypeCheck(lambda val: not test(val), "not %s" % _Part(test, ""))


def TMap(fn: Callable[[Any], Any], test: Callable[[Any], Any]) -> _TypeCheck:
  """Check ``test(fn(value))``, e.g. to check a derived value.

  Errors raised by ``fn`` propagate: the conversion is the caller's code.

  """
  _CheckCallable(fn, "TMap")
  _CheckCallable(test, "TMap")
  return _TypeCheck(lambda val: test(fn(val)),
                    "result of %s must be %s" %
                    (getattr(fn, "__name__", repr(fn)), Describe(test)))


# Basic checks

TAny = _TypeCheck(lambda _: True, "anything")
TNone = _TypeCheck(lambda val: val is None, "None")
TNotNone = _TypeCheck(lambda val: val is not None, "not None")
TTrue = _TypeCheck(bool, "value that evaluates to true")
TBool = _TypeCheck(lambda val: isinstance(val, bool), "boolean")
TInt = _TypeCheck(lambda val: isinstance(val, int) and
                  not isinstance(val, bool), "integer")
TFloat = _TypeCheck(lambda val: isinstance(val, float), "float")
TNumber = _TypeCheck(lambda val: isinstance(val, float) or
                     (isinstance(val, int) and not isinstance(val, bool)),
                     "number")
TString = _TypeCheck(lambda val: isinstance(val, str), "string")
TList = _TypeCheck(lambda val: isinstance(val, list), "list")
TTuple = _TypeCheck(lambda val: isinstance(val, tuple), "tuple")
TDict = _TypeCheck(lambda val: isinstance(val, dict), "dictionary")
TCallable = _TypeCheck(callable, "callable")


def TInstanceOf(cls: type) -> _TypeCheck:
  """Accept instances of ``cls`` (or of a tuple of classes)."""
  if not (isinstance(cls, type) or
          (isinstance(cls, tuple) and cls and
           all(isinstance(i, type) for i in cls))):
    raise TypeError("TInstanceOf needs a class or a tuple of classes,"
                    " got %r" % (cls, ))
  if isinstance(cls, tuple):
    name = " or ".join(i.__name__ for i in cls)
  else:
    name = cls.__name__
  return _TypeCheck(lambda val: isinstance(val, cls), "instance of %s" % name)


def _SameKind(a: Any, b: Any) -> bool:
  """Whether two equal values may be treated as the same wire value.

  Python says True == 1; on the wire a boolean is never an integer.

  """
  return isinstance(a, bool) == isinstance(b, bool)


def TElemOf(target_list: Iterable[Any]) -> _TypeCheck:
  """Accept a value equal to one of the elements of ``target_list``.

  Booleans only match booleans and numbers only match numbers.

  """
  if isinstance(target_list, (str, bytes)) or not isinstance(target_list,
                                                             Iterable):
    raise TypeError("TElemOf needs a collection of allowed values, got %r" %
                    (target_list, ))
  allowed = tuple(target_list)

  def check(val: Any) -> bool:
    return any(val == elem and _SameKind(val, elem) for elem in allowed)

  shown = ", ".join(repr(i) for i in _SortedForDisplay(allowed))
  return _TypeCheck(check, "one of %s" % shown if allowed else "nothing")


def _SortedForDisplay(values: Sequence[Any]) -> list:
  """Sort values for a stable description; unsortable sets keep their order.

  """
  try:
    return sorted(values)
  except TypeError:
    return list(values)


def TIsLength(size: int) -> _TypeCheck:
  """Accept a value with ``len(value) == size``."""
  if not isinstance(size, int) or isinstance(size, bool) or size < 0:
    raise TypeError("TIsLength needs a non-negative integer length, got %r" %
                    (size, ))

  def check(val: Any) -> bool:
    return hasattr(val, "__len__") and len(val) == size

  return _TypeCheck(check, "of length %d" % size)


def TRegex(rx: Any) -> _TypeCheck:
  """Accept strings whose beginning matches the regular expression ``rx``.

  Like re.match, only the start is anchored: end the pattern with ``\\Z``
  to match whole strings.

  """
  if isinstance(rx, str):
    try:
      rx = re.compile(rx)
    except re.error as err:
      raise TypeError("TRegex got an invalid regular expression %r: %s" %
                      (rx, err))
  elif not isinstance(rx, re.Pattern):
    raise TypeError("TRegex needs a pattern string or compiled pattern,"
                    " got %r" % (rx, ))
  pattern = rx
  return _TypeCheck(lambda val: isinstance(val, str) and
                    pattern.match(val) is not None,
                    "string matching '%s'" % pattern.pattern)


# Derived checks

TNonEmptyString = WithDesc("non-empty string")(TAnd(TString, TTrue))
TMaybeBool = TOr(TNone, TBool)
TMaybeDict = TOr(TNone, TDict)
TMaybeList = TOr(TNone, TList)
#: None or a non-empty string (2.6 semantics: "" is not accepted)
TMaybeString = TOr(TNone, TNonEmptyString)
TNonEmptyList = WithDesc("non-empty list")(TAnd(TList, TTrue))
TNonEmptyDict = WithDesc("non-empty dictionary")(TAnd(TDict, TTrue))

TNonNegativeInt = WithDesc("non-negative integer")(
  TAnd(TInt, lambda val: val >= 0))
TPositiveInt = WithDesc("positive integer")(TAnd(TInt, lambda val: val > 0))
TNegativeInt = WithDesc("negative integer")(TAnd(TInt, lambda val: val < 0))
TMaybePositiveInt = TOr(TNone, TPositiveInt)
TMaybeNonNegativeInt = TOr(TNone, TNonNegativeInt)

TNonNegativeFloat = WithDesc("non-negative float")(
  TAnd(TFloat, lambda val: val >= 0.0))
TPositiveFloat = WithDesc("positive float")(
  TAnd(TFloat, lambda val: val > 0.0))
TNonNegativeNumber = WithDesc("non-negative number")(
  TAnd(TNumber, lambda val: val >= 0))


def TMaybe(test: Callable[[Any], Any]) -> _TypeCheck:
  """Accept None or a value passing ``test``."""
  _CheckCallable(test, "TMaybe")
  return TOr(TNone, test)


def TListOf(test: Callable[[Any], Any]) -> _TypeCheck:
  """Accept a list whose every element passes ``test``."""
  _CheckCallable(test, "TListOf")
  return _TypeCheck(lambda val: isinstance(val, list) and
                    all(test(elem) for elem in val),
                    "list of %s" % _Part(test, ""))


def TMaybeListOf(test: Callable[[Any], Any]) -> _TypeCheck:
  """Accept None or a list whose every element passes ``test``."""
  return TMaybe(TListOf(test))


def TDictOf(key_type: Callable[[Any], Any],
            val_type: Callable[[Any], Any]) -> _TypeCheck:
  """Accept a dict whose keys pass ``key_type`` and values ``val_type``."""
  _CheckCallable(key_type, "TDictOf")
  _CheckCallable(val_type, "TDictOf")

  def check(val: Any) -> bool:
    return (isinstance(val, dict) and
            all(key_type(k) for k in val.keys()) and
            all(val_type(v) for v in val.values()))

  return _TypeCheck(check, "dictionary with keys of %s and values of %s" %
                    (_Part(key_type, ""), _Part(val_type, "")))


def TStrictDict(require_all: bool, exclusive: bool,
                items: Mapping[str, Callable[[Any], Any]]) -> _TypeCheck:
  """Accept a dict whose known keys have values passing their checks.

  @param require_all: every key of ``items`` must be present
  @param exclusive: no key outside ``items`` may be present
  @param items: key to type check

  """
  if not isinstance(items, Mapping):
    raise TypeError("TStrictDict needs a mapping of key to type check,"
                    " got %r" % (items, ))
  for (key, fn) in items.items():
    _CheckCallable(fn, "TStrictDict key %r" % (key, ))
  items = dict(items)
  required = frozenset(items.keys())

  def check(val: Any) -> bool:
    if not isinstance(val, dict):
      return False
    if require_all and not required.issubset(val.keys()):
      return False
    for (key, value) in val.items():
      fn = items.get(key)
      if fn is None:
        if exclusive:
          return False
      elif not fn(value):
        return False
    return True

  keys_desc = ", ".join("%r: %s" % (key, Describe(items[key]))
                        for key in _SortedForDisplay(list(items)))
  notes = []
  if require_all:
    notes.append("all keys required")
  if exclusive:
    notes.append("no other keys")
  desc = "dictionary with keys {%s}" % keys_desc
  if notes:
    desc += " (%s)" % ", ".join(notes)
  return _TypeCheck(check, desc)


def TItems(items: Sequence[Callable[[Any], Any]]) -> _TypeCheck:
  """Accept a list or tuple whose n-th element passes the n-th check.

  The length is not checked (combine with TIsLength for that); elements
  beyond the checks are not checked either.

  """
  if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
    raise TypeError("TItems needs a sequence of type checks, got %r" %
                    (items, ))
  for fn in items:
    _CheckCallable(fn, "TItems")
  checks = tuple(items)

  def check(val: Any) -> bool:
    return (isinstance(val, (list, tuple)) and
            all(fn(elem) for (fn, elem) in zip(checks, val)))

  return _TypeCheck(check, "sequence of [%s]" %
                    ", ".join(Describe(fn) for fn in checks))


def _IsIPAddress(version: int) -> Callable[[Any], bool]:
  """Build a checker for textual IP addresses of the given family."""
  cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address

  def check(val: Any) -> bool:
    if not isinstance(val, str):
      return False
    try:
      cls(val)
    except ValueError:
      return False
    return True

  return check


TIPv4Address = _TypeCheck(_IsIPAddress(4), "IPv4 address")
TIPv6Address = _TypeCheck(_IsIPAddress(6), "IPv6 address")
TIPAddress = _TypeCheck(lambda val: TIPv4Address(val) or TIPv6Address(val),
                        "IP address")


# Job IDs: 2.6 sends them as decimal strings, later versions as integers;
# both forms are accepted.
TJobId = WithDesc("job ID")(TOr(TNonNegativeInt, TRegex(r"[0-9]+\Z")))
TRelativeJobId = WithDesc("relative job ID")(TNegativeInt)
TJobIdList = TListOf(TJobId)
