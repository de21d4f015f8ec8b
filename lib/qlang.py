"""The query2 filter language: its JSON form, its text form, name filters.

Layer 2 (model).  A filter is null (everything matches) or a JSON list whose
first element is an operator (spec/query.md section 4).  This module

* checks a filter's structure, and with the resource's field kinds its field
  names and operand types (`CheckFilter`);
* compiles a filter into a predicate over items, reading field values
  through a getter it is given (`MakeFilterFn`), so it never needs to know
  what a node or an instance is;
* parses the text form of ``gnt-* list -F`` with pyparsing (`ParseFilter`);
* turns command arguments (names, DNS globs or one filter expression) into
  a filter (`MakeFilter`, `MakeSimpleFilter`) and finds which names a filter
  asks for (`RequestedNames`).

Equality is emitted in the later ``"=="`` spelling; the 2.6 spelling
``"="`` is accepted everywhere on input (DESIGN.md, "which Ganeti").

It must not import anything above layer 2: field values arrive through
callbacks, never from the configuration or the lock manager.
"""

import functools
import re
from typing import Any, Callable, Iterable, List, Mapping, Optional

from ganeti import constants
from ganeti import errors


OP_OR = constants.QLANG_OP_OR
OP_AND = constants.QLANG_OP_AND
OP_NOT = constants.QLANG_OP_NOT
OP_TRUE = constants.QLANG_OP_TRUE
OP_EQUAL = constants.QLANG_OP_EQUAL
OP_EQUAL_LEGACY = constants.QLANG_OP_EQUAL_LEGACY
OP_NOT_EQUAL = constants.QLANG_OP_NOT_EQUAL
OP_LT = constants.QLANG_OP_LT
OP_LE = constants.QLANG_OP_LE
OP_GT = constants.QLANG_OP_GT
OP_GE = constants.QLANG_OP_GE
OP_REGEXP = constants.QLANG_OP_REGEXP
OP_CONTAINS = constants.QLANG_OP_CONTAINS

#: Operators whose operand is compared with the field value, so it must be
#: of the field's kind (table 2.1)
_TYPED_OPS = frozenset([OP_EQUAL, OP_EQUAL_LEGACY, OP_NOT_EQUAL,
                        OP_LT, OP_LE, OP_GT, OP_GE])

#: Characters that make a single command argument a filter expression
#: rather than a name (section 5.4)
FILTER_DETECTION_CHARS = frozenset("()=/!~'\"\\<>")
#: Whitespace counts as well: a name never contains any
_FILTER_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")

#: Characters that make a name argument a glob pattern
GLOB_DETECTION_CHARS = frozenset("*?")

#: Regular expression flags the text form allows after the closing delimiter
_REGEXP_FLAGS = frozenset("is")


# --- JSON form: validation ---------------------------------------------------

def _CheckFieldValue(field, kind, op, value):
  """Raise ParameterError if value cannot be compared with a field of kind."""
  if kind == constants.QFT_TEXT:
    valid = isinstance(value, str)
  elif kind == constants.QFT_BOOL:
    valid = isinstance(value, bool)
  elif kind in (constants.QFT_NUMBER, constants.QFT_UNIT):
    # JSON true/false are not numbers, although Python's bool is an int
    valid = isinstance(value, int) and not isinstance(value, bool)
  elif kind == constants.QFT_TIMESTAMP:
    valid = (isinstance(value, (int, float)) and
             not isinstance(value, bool))
  else:
    valid = True
  if not valid:
    raise errors.ParameterError("Unable to compare field '%s' (type '%s')"
                                " with value %r using operator '%s'" %
                                (field, kind, value, op))


def _CheckField(field, fields):
  """Check a field name operand; returns the field's kind or None."""
  if not isinstance(field, str):
    raise errors.ParameterError("Invalid field name %r: not a string" %
                                (field, ))
  if fields is None:
    return None
  kind = fields.get(field)
  if kind is None or kind == constants.QFT_UNKNOWN:
    raise errors.ParameterError("Unknown field '%s'" % field)
  return kind


def _CompileRegexp(pattern):
  """Compile the operand of "=~", raising ParameterError when invalid."""
  if not isinstance(pattern, str):
    raise errors.ParameterError("Invalid regex pattern %r: not a string" %
                                (pattern, ))
  try:
    return re.compile(pattern)
  except re.error as err:
    raise errors.ParameterError("Invalid regex pattern (%s): %r" %
                                (err, pattern)) from err


def _CheckLevel(qfilter, level, fields):
  if not isinstance(qfilter, (list, tuple)) or not qfilter:
    raise errors.ParameterError("Invalid filter on level %s: expected a"
                                " non-empty list, got %r" % (level, qfilter))
  if level >= constants.QLANG_MAX_FILTER_DEPTH:
    raise errors.ParameterError("Filter nested too deeply: only up to %s"
                                " levels are allowed" %
                                constants.QLANG_MAX_FILTER_DEPTH)
  op = qfilter[0]
  operands = qfilter[1:]
  if not isinstance(op, str) or op not in constants.QLANG_ALL_OPS:
    raise errors.ParameterError("Unknown operator %r" % (op, ))

  if op in constants.QLANG_LOGIC_OPS:
    for sub in operands:
      _CheckLevel(sub, level + 1, fields)
  elif op == OP_NOT:
    if len(operands) != 1:
      raise errors.ParameterError("Operator '%s' takes exactly one operand,"
                                  " got %s" % (op, len(operands)))
    _CheckLevel(operands[0], level + 1, fields)
  elif op == OP_TRUE:
    if len(operands) != 1:
      raise errors.ParameterError("Operator '%s' takes exactly one operand,"
                                  " got %s" % (op, len(operands)))
    _CheckField(operands[0], fields)
  else:
    if len(operands) != 2:
      raise errors.ParameterError("Operator '%s' takes exactly two operands,"
                                  " got %s" % (op, len(operands)))
    (field, value) = operands
    kind = _CheckField(field, fields)
    if op == OP_REGEXP:
      _CompileRegexp(value)
    elif op in _TYPED_OPS and kind is not None:
      _CheckFieldValue(field, kind, op, value)


def CheckFilter(qfilter, fields: Optional[Mapping[str, str]] = None) -> None:
  """Validate a filter in JSON form (section 4.2).

  @param qfilter: the filter (None is valid and matches everything)
  @param fields: field name -> kind (a QFT_* constant) of the resource; when
    given, unknown field names and operands of the wrong type are rejected,
    otherwise only the structure is checked
  @raise errors.ParameterError: the filter is invalid; the message says where

  """
  if qfilter is None:
    return
  _CheckLevel(qfilter, 0, fields)


# --- JSON form: evaluation ---------------------------------------------------

def _IsNumber(value):
  return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ValuesEqual(left, right):
  """JSON equality: true is not 1, 1 is 1.0."""
  if isinstance(left, bool) != isinstance(right, bool):
    return False
  return left == right


def _HostnameEqual(item_name, wanted):
  """Name equality for hostname fields (section 4.3).

  "node1" and "NODE1" match "node1.example.com"; "node1.ex" does not, as the
  short name must end at a dot.

  """
  if not (isinstance(item_name, str) and isinstance(wanted, str)):
    return _ValuesEqual(item_name, wanted)
  item_name = item_name.lower()
  wanted = wanted.lower()
  return item_name == wanted or item_name.startswith(wanted + ".")


_ORDER_FNS = {
  OP_LT: lambda left, right: left < right,
  OP_LE: lambda left, right: left <= right,
  OP_GT: lambda left, right: left > right,
  OP_GE: lambda left, right: left >= right,
  }


def _Order(field, op, item_value, wanted):
  both_numbers = _IsNumber(item_value) and _IsNumber(wanted)
  both_strings = isinstance(item_value, str) and isinstance(wanted, str)
  if not (both_numbers or both_strings):
    raise errors.QueryFilterError("Cannot order value %r of field '%s'"
                                  " against %r with operator '%s'" %
                                  (item_value, field, wanted, op))
  return _ORDER_FNS[op](item_value, wanted)


def _Contains(field, item_value, wanted):
  if isinstance(item_value, (list, tuple)):
    return any(_ValuesEqual(element, wanted) for element in item_value)
  if isinstance(item_value, str):
    # 2.6 used the language's "in", which on a text is a substring test
    return isinstance(wanted, str) and wanted in item_value
  raise errors.QueryFilterError("Operator '%s' needs a list or text, but"
                                " field '%s' has value %r" %
                                (OP_CONTAINS, field, item_value))


def _Search(field, regexp, item_value):
  if item_value is None:
    # e.g. the bridge of a routed NIC: there is no text to match
    return False
  if not isinstance(item_value, str):
    raise errors.QueryFilterError("Operator '%s' needs text, but field '%s'"
                                  " has value %r" %
                                  (OP_REGEXP, field, item_value))
  return regexp.search(item_value) is not None


def _Leaf(get_field_fn, field, test_fn):
  """Build an item predicate for one field.

  A value whose status is not RS_NORMAL makes the leaf true: an item is
  not filtered out only because its data is missing (the later rule of
  section 4.3, chosen over 2.6's ill-defined behaviour).

  """
  def fn(item):
    (status, value) = get_field_fn(item, field)
    if status != constants.RS_NORMAL:
      return True
    return test_fn(value)
  return fn


def _Compile(qfilter, get_field_fn, hostname_fields):
  op = qfilter[0]
  operands = qfilter[1:]

  if op in constants.QLANG_LOGIC_OPS:
    subs = [_Compile(sub, get_field_fn, hostname_fields) for sub in operands]
    if op == OP_OR:
      return lambda item: any(sub(item) for sub in subs)
    return lambda item: all(sub(item) for sub in subs)

  if op == OP_NOT:
    sub = _Compile(operands[0], get_field_fn, hostname_fields)
    return lambda item: not sub(item)

  field = operands[0]
  if op == OP_TRUE:
    # 2.6 truthiness: empty text/list/dict, 0, false and null are false
    return _Leaf(get_field_fn, field, bool)

  wanted = operands[1]
  if op in (OP_EQUAL, OP_EQUAL_LEGACY, OP_NOT_EQUAL):
    if field in hostname_fields:
      test_fn = lambda value: _HostnameEqual(value, wanted)
    else:
      test_fn = lambda value: _ValuesEqual(value, wanted)
    equal = _Leaf(get_field_fn, field, test_fn)
    if op == OP_NOT_EQUAL:
      # Later servers read "!=" as the negation of "==", missing data
      # included; doing the same keeps both spellings equivalent
      return lambda item: not equal(item)
    return equal
  if op in _ORDER_FNS:
    return _Leaf(get_field_fn, field,
                 lambda value: _Order(field, op, value, wanted))
  if op == OP_REGEXP:
    regexp = _CompileRegexp(wanted)
    return _Leaf(get_field_fn, field,
                 lambda value: _Search(field, regexp, value))
  # CheckFilter has run, so only "=[]" is left
  return _Leaf(get_field_fn, field,
               lambda value: _Contains(field, value, wanted))


def MakeFilterFn(qfilter, get_field_fn: Callable[[Any, str], tuple],
                 fields: Optional[Mapping[str, str]] = None,
                 hostname_fields: Iterable[str] = ()) -> Callable[[Any], bool]:
  """Compile a JSON filter into a predicate over items.

  The filter is validated first (`CheckFilter`), so every error about the
  filter itself is raised here, not while items are evaluated.

  @param qfilter: the filter, or None for "match everything"
  @param get_field_fn: called as ``get_field_fn(item, field_name)``, returns
    the pair ``(status, value)`` (status one of constants.RS_*)
  @param fields: field name -> kind, as for `CheckFilter`
  @param hostname_fields: fields whose equality is case-insensitive and
    accepts a short name up to a dot (section 4.3)
  @return: function(item) -> bool; it raises errors.QueryFilterError when an
    item's value cannot be used with the operator (e.g. ordering a list)
  @raise errors.ParameterError: the filter is invalid

  """
  CheckFilter(qfilter, fields)
  if qfilter is None:
    return lambda _: True
  return _Compile(qfilter, get_field_fn, frozenset(hostname_fields))


def RequestedNames(qfilter, namefield: str) -> Optional[list]:
  """Return the names a filter asks for, if it only asks for names.

  Section 3.3: a single equality on the name field, or an OR (nested ORs
  allowed) whose leaves are all equalities on it, requests names; the
  result lists them in request order without duplicates.

  @return: the list of names (empty for an OR without operands), or None
    when the filter is absent or does anything else

  """
  if qfilter is None:
    return None
  names = []

  def _Walk(node):
    if not isinstance(node, (list, tuple)) or not node:
      return False
    op = node[0]
    if op == OP_OR:
      return all(_Walk(sub) for sub in node[1:])
    if (op in (OP_EQUAL, OP_EQUAL_LEGACY) and len(node) == 3 and
        node[1] == namefield):
      if node[2] not in names:
        names.append(node[2])
      return True
    return False

  if _Walk(qfilter):
    return names
  return None


# --- Names and globs (sections 5.3 and 5.4) ----------------------------------

def DnsNameGlobPattern(pattern: str) -> str:
  """Convert a DNS-name glob into an anchored regular expression.

  ``*`` is any run of characters but a dot, ``?`` one such character,
  everything else literal; the name may go on with further domain
  components ("web*" matches "web12.example.com", not "myweb1").

  """
  parts = []
  for char in pattern:
    if char == "*":
      parts.append("[^.]*")
    elif char == "?":
      parts.append("[^.]")
    else:
      parts.append(re.escape(char))
  return r"^%s(\..*)?$" % "".join(parts)


def MaybeGlobPattern(pattern: str) -> bool:
  """Whether a name argument is a glob pattern (contains ``*`` or ``?``)."""
  return not GLOB_DETECTION_CHARS.isdisjoint(pattern)


def MaybeFilter(text: str) -> bool:
  """Whether a lone command argument is a filter expression, not a name."""
  return not (FILTER_DETECTION_CHARS.isdisjoint(text) and
              _FILTER_WHITESPACE.isdisjoint(text))


def MakeSimpleFilter(namefield: str, values) -> Optional[list]:
  """OR of equalities on the name field; None when there are no values.

  A single value still gives an OR, as the server's name handling expects.

  """
  if not values:
    return None
  return [OP_OR] + [[OP_EQUAL, namefield, value] for value in values]


def _NamePart(namefield, arg, isnumeric):
  if isnumeric:
    try:
      return [OP_EQUAL, namefield, int(arg)]
    except (TypeError, ValueError) as err:
      raise errors.OpPrereqError("Invalid job ID passed: %r" % (arg, ),
                                 errors.ECODE_INVAL) from err
  if MaybeGlobPattern(arg):
    return [OP_REGEXP, namefield, DnsNameGlobPattern(arg)]
  return [OP_EQUAL, namefield, arg]


def MakeFilter(args: List[str], force_filter: bool,
               namefield: Optional[str] = None,
               isnumeric: bool = False) -> Optional[list]:
  """Turn the arguments of a ``list`` command into a filter (section 5.4).

  @param args: the command's positional arguments
  @param force_filter: ``-F``/``--filter`` was given: the single argument is
    a filter expression
  @param namefield: the resource's name field ("name" unless given)
  @param isnumeric: names are numbers (job IDs) and are sent as integers
  @raise errors.OpPrereqError: ``-F`` without exactly one argument, or a
    non-numeric job ID
  @raise errors.QueryFilterParseError: the expression does not parse

  """
  if namefield is None:
    namefield = "name"
  if force_filter:
    if len(args) != 1:
      raise errors.OpPrereqError("Exactly one argument must be given as a"
                                 " filter, got %s" % len(args),
                                 errors.ECODE_INVAL)
    return ParseFilter(args[0])
  if len(args) == 1 and MaybeFilter(args[0]):
    return ParseFilter(args[0])
  if not args:
    return None
  return [OP_OR] + [_NamePart(namefield, arg, isnumeric) for arg in args]


# --- Text form (section 5) ---------------------------------------------------

class _Node:
  """Wraps a finished JSON filter so pyparsing keeps it as one token."""

  __slots__ = ("value", )

  def __init__(self, value):
    self.value = value


def _ConvertRegexp(text, loc, toks):
  import pyparsing as pp  # pylint: disable=C0415
  body = toks["body"]
  flags = toks["flags"]
  unknown = set(flags) - _REGEXP_FLAGS
  if unknown:
    raise pp.ParseFatalException(text, loc,
                                 "Unknown regular expression flags: '%s'"
                                 " (only 'i' and 's' are allowed)" % flags)
  if flags:
    body = "(?%s)%s" % ("".join(sorted(set(flags))), body)
  try:
    re.compile(body)
  except re.error as err:
    raise pp.ParseFatalException(text, loc, "Invalid regular expression"
                                 " %r: %s" % (body, err))
  return body


def _MakeBinary(toks):
  (field, op, value) = toks
  if op == OP_EQUAL_LEGACY:
    op = OP_EQUAL
  return _Node([op, field, value])


def _MakeMatch(toks):
  (field, op, pattern) = toks
  if op in ("=*", "!*"):
    pattern = DnsNameGlobPattern(pattern)
  result = [OP_REGEXP, field, pattern]
  if op.startswith("!"):
    result = [OP_NOT, result]
  return _Node(result)


def _MakeIn(toks):
  if len(toks) == 3:
    (value, _, field) = toks
    return _Node([OP_CONTAINS, field, value])
  (value, _, _, field) = toks
  return _Node([OP_NOT, [OP_CONTAINS, field, value]])


def _MakeChain(op):
  def fn(toks):
    if len(toks) == 1:
      return toks[0]
    return _Node([op] + [tok.value for tok in toks])
  return fn


@functools.lru_cache(maxsize=None)
def _BuildParser():
  """Build the grammar of section 5.1 once."""
  # pyparsing costs 60 ms to import; only -F filters in text form need it
  import pyparsing as pp  # pylint: disable=C0415
  kw_and = pp.Keyword("and").suppress()
  kw_or = pp.Keyword("or").suppress()
  kw_not = pp.Keyword("not")
  kw_in = pp.Keyword("in")
  lparen = pp.Suppress("(")
  rparen = pp.Suppress(")")

  field = pp.Regex(r"[A-Za-z][A-Za-z0-9_/.]*").set_name("field name")
  integer = pp.Regex(r"[+-]?[0-9]+").set_name("integer")
  integer.set_parse_action(lambda toks: int(toks[0]))
  # Backslash escapes stay as written: only the quotes are removed
  string = pp.quoted_string.copy().set_name("quoted string")
  string.set_parse_action(pp.remove_quotes)
  value = (integer | string).set_name("value")
  # Any delimiter of / # ^ |, escapable in the body, flags right after it
  regexp = pp.Regex(r"m?(?P<delim>[/#^|])"
                    r"(?P<body>(?:\\.|(?!(?P=delim))[^\\])*)"
                    r"(?P=delim)(?P<flags>[A-Za-z]*)").set_name("regexp")
  regexp.set_parse_action(_ConvertRegexp)

  binop = pp.one_of(["==", "!=", "<=", ">=", "<", ">", "="]).set_name(
    "comparison operator")
  regexp_op = pp.one_of(["=~", "!~"])
  glob_op = pp.one_of(["=*", "!*"])

  condition = (
    (field + regexp_op - regexp).set_parse_action(_MakeMatch) |
    (field + glob_op - string).set_parse_action(_MakeMatch) |
    (field + binop - value).set_parse_action(_MakeBinary) |
    (value + (kw_in | kw_not + kw_in) - field).set_parse_action(_MakeIn) |
    field.copy().set_parse_action(lambda toks: _Node([OP_TRUE, toks[0]]))
    )

  expr = pp.Forward()
  primary = (lparen - expr - rparen) | condition
  not_expr = pp.Forward()
  not_expr <<= ((kw_not.suppress() + not_expr).set_parse_action(
    lambda toks: _Node([OP_NOT, toks[0].value])) | primary)
  and_expr = (not_expr + pp.ZeroOrMore(kw_and + not_expr)).set_parse_action(
    _MakeChain(OP_AND))
  or_expr = (and_expr + pp.ZeroOrMore(kw_or + and_expr)).set_parse_action(
    _MakeChain(OP_OR))
  expr <<= or_expr
  return expr


def ParseFilter(text: str) -> list:
  """Parse a filter in text form into its JSON form.

  @raise errors.QueryFilterParseError: the text does not parse; args are the
    message (with line and column) and the failing line with a caret under
    the failing column

  """
  import pyparsing as pp  # pylint: disable=C0415
  try:
    result = _BuildParser().parse_string(text, parse_all=True)
  except pp.ParseBaseException as err:
    raise errors.QueryFilterParseError(
      "Failed to parse query filter '%s': %s" % (text, err),
      [err.line, "%s^" % (" " * (err.column - 1))]) from err
  return result[0].value
