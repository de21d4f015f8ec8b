"""Core of the query2 framework: field records, value status, Query.

Layer 2 (model).  A resource is a table of L{Field} records; L{Query}
compiles a list of requested field names (and an optional filter) against
such a table and turns a data container, filled by the master beforehand,
into rows of C{[status, value]} pairs.  This module never gathers data
itself (no config, RPC or locks): what to gather is announced through
L{Query.RequestedData} and handed back in the container.

Callers use L{ganeti.query}, which re-exports everything public here.

"""

import re
from typing import (Any, Callable, Dict, FrozenSet, Iterable, List,
                    Optional, Tuple)

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import qlang
from ganeti import utils


# --- Value status ------------------------------------------------------------

class _Status:
  """A getter's answer meaning "no value, for this reason"."""
  __slots__ = ("code", )

  def __init__(self, code: int):
    self.code = code

  def __repr__(self):
    return "<query status %s>" % constants.RSS_DESCRIPTION.get(self.code,
                                                               self.code)


#: Returned by getters: the field is not known (only unknown fields use it)
UNKNOWN = _Status(constants.RS_UNKNOWN)
#: Returned by getters: the data could not be collected (node RPC failed)
NODATA = _Status(constants.RS_NODATA)
#: Returned by getters: no value applies to this item
UNAVAIL = _Status(constants.RS_UNAVAIL)
#: Returned by getters: the node the value would come from is offline
OFFLINE = _Status(constants.RS_OFFLINE)


def ValueToResult(value: Any) -> List[Any]:
  """Turns a getter's answer into the wire pair C{[status, value]}."""
  if isinstance(value, _Status):
    return [value.code, None]
  return [constants.RS_NORMAL, value]


# --- Field records -----------------------------------------------------------

_FIELD_NAME_RE = re.compile(r"^[a-z0-9/._]+\Z")
_FIELD_TITLE_RE = re.compile(r"^[^\s]+\Z")


class Field:
  """One field of a resource.

  @ivar data: the kinds of data (resource-specific constants such as
      L{ganeti.query.NQ_LIVE}) the getter reads from the container
  @ivar getter: C{getter(ctx, item)} returning the value or one of
      L{NODATA}, L{UNAVAIL}, L{OFFLINE}
  @ivar hostname: C{=} filters compare this field as a host name (4.3)

  """
  __slots__ = ("name", "title", "kind", "doc", "data", "getter", "hostname")

  def __init__(self, name: str, title: str, kind: str, doc: str,
               data: Iterable[Any], getter: Callable[[Any, Any], Any],
               hostname: bool = False):
    self.name = name
    self.title = title
    self.kind = kind
    self.doc = doc
    self.data = frozenset(data)
    self.getter = getter
    self.hostname = hostname

  def Definition(self) -> objects.QueryFieldDefinition:
    """The wire definition (name, title, kind, doc)."""
    return objects.QueryFieldDefinition(name=self.name, title=self.title,
                                        kind=self.kind, doc=self.doc)

  def Renamed(self, name: str, doc: Optional[str] = None) -> "Field":
    """The same field under another name (aliases like C{mac})."""
    return Field(name, self.title, self.kind, doc or self.doc, self.data,
                 self.getter, hostname=self.hostname)

  def __repr__(self):
    return "<Field %s (%s)>" % (self.name, self.kind)


def CheckField(field: Field) -> None:
  """Refuses a field record breaking the rules of query.md 2.

  @raise errors.ProgrammerError: naming which rule is broken

  """
  if not _FIELD_NAME_RE.match(field.name):
    raise errors.ProgrammerError("Invalid query field name %r" % field.name)
  if not _FIELD_TITLE_RE.match(field.title or ""):
    raise errors.ProgrammerError("Invalid title %r of query field %s" %
                                 (field.title, field.name))
  if field.kind not in constants.QFT_ALL or \
      field.kind == constants.QFT_UNKNOWN:
    raise errors.ProgrammerError("Invalid kind %r of query field %s" %
                                 (field.kind, field.name))
  doc = field.doc or ""
  if not doc or doc[0] != doc[0].upper() or doc.strip() != doc or \
      doc[-1] in ".,;:!?":
    raise errors.ProgrammerError("Doc of query field %s must start"
                                 " upper-case without trailing punctuation,"
                                 " got %r" % (field.name, doc))
  if not callable(field.getter):
    raise errors.ProgrammerError("Getter of query field %s is not callable" %
                                 field.name)


def BuildFieldMap(fields: Iterable[Field]) -> Dict[str, Field]:
  """Checks field records and indexes them by name.

  @raise errors.ProgrammerError: a bad record or a duplicate name

  """
  result: Dict[str, Field] = {}
  for field in fields:
    CheckField(field)
    if field.name in result:
      raise errors.ProgrammerError("Duplicate query field %r" % field.name)
    result[field.name] = field
  return result


def _UnknownField(name: str) -> Field:
  """The stand-in for a requested name the resource does not define."""
  # Built directly: the title is the raw name, which may break CheckField's
  # rules, and an unknown field must still answer (query.md 3.1)
  return Field(name, name, constants.QFT_UNKNOWN,
               "Unknown field '%s'" % name, (), lambda ctx, item: UNKNOWN)


def NameSortKey(value: Any) -> Any:
  """Natural sort key of a name field's value (numbers for job ids)."""
  if isinstance(value, str):
    return (0, utils.NiceSortKey(value))
  if isinstance(value, (int, float)) and not isinstance(value, bool):
    return (1, value)
  return (2, repr(value))


# --- Filters -----------------------------------------------------------------

def RequestedNamesFromFilter(qfilter: Any,
                             namefield: Optional[str]) -> Optional[List[Any]]:
  """The names a filter asks for, when it asks for names only (3.3).

  @return: the names in request order without duplicates, or None when the
      filter (or its absence) means "scan every item"

  """
  if namefield is None:
    return None
  return qlang.RequestedNames(qfilter, namefield)


def _FilterFields(qfilter: Any) -> List[str]:
  """Every field name a filter refers to (structure already validated)."""
  found: List[str] = []
  op = qfilter[0]
  if op in constants.QLANG_LOGIC_OPS or op == constants.QLANG_OP_NOT:
    for sub in qfilter[1:]:
      found.extend(_FilterFields(sub))
  else:
    found.append(qfilter[1])
  return found


def _GetFilterValue(pair: Tuple[Any, Any], name: str, fieldlist):
  """qlang's field getter: the filter sees (ctx, item) pairs."""
  (ctx, item) = pair
  return tuple(ValueToResult(fieldlist[name].getter(ctx, item)))


# --- Query -------------------------------------------------------------------

class Query:
  """A compiled query2 request over one resource's field table."""

  def __init__(self, fieldlist: Dict[str, Field], fields: List[str],
               qfilter: Any = None, namefield: Optional[str] = None):
    """Compiles requested fields and the filter.

    @param fieldlist: the resource's fields (name -> L{Field})
    @param fields: requested names, in output order (unknown ones allowed)
    @param qfilter: a JSON-form filter or None
    @param namefield: the resource's name field (sort key, name requests)
    @raise errors.ParameterError: the filter names an unknown field or is
        malformed
    @raise errors.ProgrammerError: namefield is not a field of the table

    """
    if not isinstance(fields, (list, tuple)) or \
        not all(isinstance(name, str) for name in fields):
      raise errors.ParameterError("Query fields must be a list of field"
                                  " names, got %r" % (fields, ))
    if namefield is not None and namefield not in fieldlist:
      raise errors.ProgrammerError("Name field %r is not a field of the"
                                   " resource" % namefield)
    self._fieldlist = fieldlist
    self._fields = [fieldlist.get(name) or _UnknownField(name)
                    for name in fields]
    self._namefield = namefield
    self._name_field = fieldlist[namefield] if namefield else None
    self._filter_fn = None
    self._filter_data: FrozenSet[Any] = frozenset()
    self._requested_names = None
    if qfilter is not None:
      self._filter_fn = self._CompileFilter(qfilter)
      self._filter_data = frozenset().union(
        *[fieldlist[name].data for name in _FilterFields(qfilter)
          if name in fieldlist])
      self._requested_names = RequestedNamesFromFilter(qfilter, namefield)

  def _CompileFilter(self, qfilter: Any) -> Callable[[Any], bool]:
    """Validates the JSON filter and turns it into C{fn((ctx, item))}."""
    fieldlist = self._fieldlist
    kinds = dict((name, field.kind) for (name, field) in fieldlist.items())
    hostnames = [name for (name, field) in fieldlist.items()
                 if field.hostname]
    return qlang.MakeFilterFn(
      qfilter, lambda pair, name: _GetFilterValue(pair, name, fieldlist),
      fields=kinds, hostname_fields=hostnames)

  def RequestedNames(self) -> Optional[List[Any]]:
    """The names asked for by a pure name filter (3.3), else None.

    The master expands these (errors for unknown names are its job) and
    fills the container with the items in this order.

    """
    return self._requested_names

  def RequestedData(self) -> FrozenSet[Any]:
    """The kinds of data needed by the requested fields and the filter."""
    return frozenset().union(self._filter_data,
                             *[field.data for field in self._fields])

  def GetFieldDefinitions(self) -> List[objects.QueryFieldDefinition]:
    """Definitions of the requested fields, in request order."""
    return [field.Definition() for field in self._fields]

  def _MatchingItems(self, ctx: Iterable[Any], sort_by_name: bool):
    """The container's items passing the filter, in output order."""
    items = list(ctx)
    if self._filter_fn is not None:
      items = [item for item in items if self._filter_fn((ctx, item))]
    if sort_by_name and self._name_field is not None and \
        self._requested_names is None:
      getter = self._name_field.getter
      # Stable: items of the same name (exports of one node) keep their
      # container order
      items.sort(key=lambda item: NameSortKey(getter(ctx, item)))
    return items

  def Query(self, ctx: Iterable[Any],
            sort_by_name: bool = True) -> List[List[List[Any]]]:
    """Rows of C{[status, value]}, one pair per requested field.

    Without a name request rows are sorted by the name field in natural
    order; with one they keep the container's (requested) order.

    """
    return [[ValueToResult(field.getter(ctx, item)) for field in self._fields]
            for item in self._MatchingItems(ctx, sort_by_name)]

  def OldStyleQuery(self, ctx: Iterable[Any],
                    sort_by_name: bool = True) -> List[List[Any]]:
    """Rows of bare values (None where the status is not normal).

    @raise errors.OpPrereqError: unknown fields were requested (ECODE_INVAL)

    """
    unknown = [field.name for field in self._fields
               if field.kind == constants.QFT_UNKNOWN]
    if unknown:
      raise errors.OpPrereqError("Unknown output fields selected: %s" %
                                 utils.CommaJoin(unknown), errors.ECODE_INVAL)
    return [[value for (_, value) in row]
            for row in self.Query(ctx, sort_by_name=sort_by_name)]


def GetQueryResponse(query: Query, ctx: Iterable[Any],
                     sort_by_name: bool = True) -> Dict[str, Any]:
  """The wire answer of LUXI C{Query}: C{{"fields": [...], "data": [...]}}."""
  return objects.QueryResponse(data=query.Query(ctx,
                                                sort_by_name=sort_by_name),
                               fields=query.GetFieldDefinitions()).ToDict()


def QueryFields(fielddefs: Dict[str, Field],
                selected: Optional[List[str]]) -> Dict[str, Any]:
  """The wire answer of LUXI C{QueryFields} (query.md 3.2).

  @param selected: None for every field, sorted by name (natural order);
      else the named fields in that order, unknown ones of kind unknown

  """
  if selected is None:
    fields = utils.NiceSort(fielddefs.values(), key=lambda f: f.name)
  else:
    fields = [fielddefs.get(name) or _UnknownField(name)
              for name in selected]
  return objects.QueryFieldsResponse(
    fields=[field.Definition() for field in fields]).ToDict()
