"""Machinery of opcodes: parameter records, the OpCode base class, wire form.

Layer 2 (model).  An opcode is the one way into the master: a named record
of parameters, each declared once as a `Param` (name, default, type check,
description).  This module provides the record type, the metaclass that
derives ``OP_ID`` and ``__slots__`` from a class's declaration, the common
parameters every opcode carries (``dry_run``, ``debug_level``, ``priority``,
``depends``, ``comment``, ``reason``), validation with Ganeti's error
messages, the JSON wire form and the job-dependency rules.  The catalogue of
concrete opcodes lives in `ganeti.opcodes`, which re-exports everything
public from here.

It must not import the master side (config, jqueue, mcpu, cmdlib): opcodes
are plain data that clients build and the master interprets.
"""

import copy
import re
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional

from ganeti import constants
from ganeti import errors
from ganeti import ht


#: Default of a parameter that has none: the caller must give a value (which
#: may be null if the type check allows it).  The same marker as
#: `ht.NoDefault`, so tables written with either spelling agree.
REQUIRED = ht.NoDefault


class Param(NamedTuple):
  """One opcode parameter.

  ``default`` is `REQUIRED` when the parameter must be present; mutable
  defaults are deep-copied every time they are filled in, so opcodes never
  share a list or dict.  ``check`` is an `ht` predicate.  ``doc`` is the
  description reused by documentation, RAPI and CLI help.

  """
  name: str
  default: Any
  check: Callable[[Any], bool]
  doc: str

  @property
  def required(self) -> bool:
    return self.default is REQUIRED

  def GetDefault(self) -> Any:
    """Return a private copy of the default value.

    @raise errors.ProgrammerError: the parameter is required

    """
    if self.default is REQUIRED:
      raise errors.ProgrammerError("Parameter '%s' has no default" % self.name)
    return copy.deepcopy(self.default)

  def WithDefault(self, default: Any) -> "Param":
    """Same parameter with another default (e.g. `REQUIRED`)."""
    return self._replace(default=default)

  def WithDoc(self, doc: str) -> "Param":
    """Same parameter with a description fitting one opcode better."""
    return self._replace(doc=doc)


# Opcode names are Op<CamelCase>; an underscore goes wherever a lower-case
# letter is followed by an upper-case one.
_OP_CLASS_RE = re.compile(r"^Op[A-Z][A-Za-z0-9]*\Z")
_CASE_BOUNDARY_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

#: Prefix replacements for `OpCode.TinySummary`, tried in this order
_SUMMARY_PREFIX = [
  ("CLUSTER_", "C_"),
  ("GROUP_", "G_"),
  ("NODE_", "N_"),
  ("INSTANCE_", "I_"),
  ]

#: Opcode keys with fixed names outside the parameter tables
OP_ID_KEY = "OP_ID"
DEPEND_ATTR = "depends"
COMMENT_ATTR = "comment"
REASON_ATTR = "reason"


def NameToId(name: str) -> str:
  """Derive an OP_ID from an opcode class name.

  ``OpInstanceQueryData`` gives ``OP_INSTANCE_QUERY_DATA`` and
  ``OpNodeQueryvols`` gives ``OP_NODE_QUERYVOLS``.

  @raise errors.ProgrammerError: the name is not of the form ``Op<Name>``

  """
  if not isinstance(name, str) or not _OP_CLASS_RE.match(name):
    raise errors.ProgrammerError("Opcode class name '%s' is not of the form"
                                 " 'Op<CamelCaseName>'" % (name, ))
  return _CASE_BOUNDARY_RE.sub("_", name).upper()


def _BuildJobDepCheck(relative: bool) -> Callable[[Any], bool]:
  """Build the type check for a ``depends`` value.

  @param relative: whether negative (relative) job ids are acceptable;
    true for the opcode parameter (SubmitManyJobs resolves them), false
    where only stored, already resolved dependencies may appear

  """
  if relative:
    job_id = ht.TOr(ht.TJobId, ht.TRelativeJobId)
  else:
    job_id = ht.TJobId
  item = ht.TAnd(ht.TIsLength(2),
                 ht.TItems([job_id,
                            ht.TListOf(ht.TElemOf(constants.JOBS_FINALIZED))]))
  return ht.TMaybeListOf(item)


#: Check for a ``depends`` value that may contain relative job ids
TJobDependencies = ht.Comment("job dependencies, relative ids allowed")(
  _BuildJobDepCheck(True))

#: Check for a ``depends`` value without relative job ids (SubmitJob, stored
#: jobs)
TNoRelativeJobDependencies = ht.Comment("job dependencies, absolute ids only")(
  _BuildJobDepCheck(False))

#: One entry of the reason trail: [source, text, timestamp in nanoseconds]
TReasonItem = ht.TAnd(ht.TIsLength(3),
                      ht.TItems([ht.TNonEmptyString, ht.TString, ht.TInt]))

#: Result of an LU that submitted jobs: {"jobs": [[success, id or error]]}
TJobIdListItem = ht.TAnd(ht.TIsLength(2),
                         ht.TItems([ht.TBool, ht.TOr(ht.TString, ht.TJobId)]))
TJobIdList = ht.TListOf(TJobIdListItem)
TJobIdListOnly = ht.TStrictDict(True, True, {
  constants.JOB_IDS_KEY: ht.Comment("list of submitted jobs")(TJobIdList),
  })


#: Parameters present on every opcode; their order is the wire order of
#: Ganeti 2.6 plus the reason trail of later versions (accepted, optional)
COMMON_PARAMS = [
  Param("dry_run", None, ht.TMaybeBool,
        "Run checks only, don't execute"),
  Param("debug_level", None, ht.TMaybe(ht.TNonNegativeInt), "Debug level"),
  Param("priority", constants.OP_PRIO_DEFAULT,
        ht.TElemOf(constants.OP_PRIO_SUBMIT_VALID), "Opcode priority"),
  Param(DEPEND_ATTR, None, TJobDependencies,
        "Job dependencies; a list of [job id, [final statuses]]; an empty"
        " status list accepts any final status; negative ids are relative"
        " to the jobs of the same submission"),
  Param(COMMENT_ATTR, None, ht.TMaybeString,
        "Comment describing the purpose of the opcode"),
  Param(REASON_ATTR, [], ht.TMaybe(ht.TListOf(TReasonItem)),
        "Reason trail: list of [source, reason, timestamp in ns]"),
  ]


class _AutoOpParamSlots(type):
  """Metaclass giving each opcode class its OP_ID and ``__slots__``.

  The slots of a class are the names of its own ``OP_PARAMS``; parameters
  of base classes are inherited through their slots.

  """

  def __new__(mcs, name, bases, attrs):
    if "OP_ID" in attrs:
      raise errors.ProgrammerError("Class %s must not define OP_ID, it is"
                                   " derived from the class name" % name)
    attrs["OP_ID"] = NameToId(name)

    params = attrs.setdefault("OP_PARAMS", [])
    for param in params:
      if not isinstance(param, Param):
        raise errors.ProgrammerError("Class %s: OP_PARAMS entry %r is not a"
                                     " Param" % (name, param))
      if not callable(param.check):
        raise errors.ProgrammerError("Class %s: parameter '%s' has no"
                                     " callable check" % (name, param.name))
    names = [param.name for param in params]
    if len(set(names)) != len(names):
      dups = sorted(set(n for n in names if names.count(n) > 1))
      raise errors.ProgrammerError("Class %s declares parameter(s) %s more"
                                   " than once" % (name, ", ".join(dups)))

    inherited = []
    for base in bases:
      inherited.extend(n for n in getattr(base, "_all_slots_order", ())
                       if n not in inherited)
    overlap = set(inherited).intersection(names)
    if overlap:
      raise errors.ProgrammerError("Class %s redeclares inherited"
                                   " parameter(s) %s" %
                                   (name, ", ".join(sorted(overlap))))

    dsc = attrs.get("OP_DSC_FIELD")
    if dsc is not None and dsc not in names and dsc not in inherited:
      raise errors.ProgrammerError("Class %s: OP_DSC_FIELD '%s' is not a"
                                   " parameter" % (name, dsc))

    attrs["__slots__"] = tuple(names)
    attrs["_all_slots_order"] = tuple(inherited + names)
    attrs["_all_slots_cache"] = frozenset(inherited + names)
    return type.__new__(mcs, name, bases, attrs)


def _PrereqError(msg: str) -> errors.OpPrereqError:
  return errors.OpPrereqError(msg, errors.ECODE_INVAL)


class OpCode(metaclass=_AutoOpParamSlots):
  """Base of all opcodes.

  Class attributes a concrete opcode sets:
    - ``OP_PARAMS``: list of `Param` (its own parameters)
    - ``OP_DSC_FIELD``: parameter shown in the job summary, or None
    - ``OP_RESULT``: `ht` check of the LU's result, or None (unchecked)
    - ``HPATH``/``HTYPE``: hooks directory prefix and hooks type of its LU
      (None for LUs without hooks)
    - ``REQ_BGL``: whether its LU needs the Big Ganeti Lock exclusively
    - ``WITH_LU``: false only for opcodes the master never executes

  """
  OP_PARAMS = COMMON_PARAMS
  OP_DSC_FIELD: Optional[str] = None
  OP_RESULT: Optional[Callable[[Any], bool]] = None
  HPATH: Optional[str] = None
  HTYPE: Optional[str] = None
  REQ_BGL = False
  WITH_LU = True

  def __init__(self, **kwargs):
    """Create an opcode from keyword parameters (not yet validated).

    @raise errors.OpPrereqError: a keyword is not a parameter of this opcode

    """
    self._CheckKnown(kwargs)
    for key, value in kwargs.items():
      setattr(self, key, value)

  @classmethod
  def _CheckKnown(cls, keys: Iterable[str]) -> None:
    unknown = sorted(str(key) for key in keys
                     if key not in cls._all_slots_cache)
    if unknown:
      raise _PrereqError("Opcode %s does not accept parameter(s) %s" %
                         (cls.OP_ID, ", ".join("'%s'" % k for k in unknown)))

  # Parameter introspection, used by validation, RAPI, CLI and documentation

  @classmethod
  def GetAllParams(cls) -> List[Param]:
    """All parameters of this opcode, common ones first."""
    result = []
    for klass in reversed(cls.__mro__):
      result.extend(klass.__dict__.get("OP_PARAMS", []))
    return result

  @classmethod
  def GetParamNames(cls, include_common: bool = True) -> List[str]:
    """Names of the opcode's parameters, in declaration order.

    @param include_common: whether to list the parameters every opcode has
      (``dry_run``, ``priority``...) before the opcode's own ones

    """
    return [param.name for param in cls.GetAllParams()
            if include_common or param.name not in _COMMON_NAMES]

  @classmethod
  def GetParam(cls, name: str) -> Param:
    """Return the `Param` record of a parameter.

    @raise KeyError: the opcode has no such parameter

    """
    for param in cls.GetAllParams():
      if param.name == name:
        return param
    raise KeyError("Opcode %s has no parameter '%s'" % (cls.OP_ID, name))

  @classmethod
  def IsRequired(cls, name: str) -> bool:
    """Whether a parameter has no default.

    @raise KeyError: the opcode has no such parameter

    """
    return cls.GetParam(name).required

  # Validation

  def Validate(self, set_defaults: bool) -> None:
    """Check every parameter; optionally fill in defaults.

    Without ``set_defaults`` (RAPI bodies, submission) only given values are
    checked, but required parameters must still be present.

    @raise errors.OpPrereqError: a required parameter is missing or a value
      fails its type check; the message names ``<OP_ID>.<parameter>``

    """
    for param in self.GetAllParams():
      if not hasattr(self, param.name):
        if param.required:
          raise _PrereqError("Required parameter '%s.%s' missing" %
                             (self.OP_ID, param.name))
        if not set_defaults:
          continue
        setattr(self, param.name, param.GetDefault())
      value = getattr(self, param.name)
      if not param.check(value):
        raise _PrereqError("Parameter '%s.%s' fails validation: expected %s,"
                           " got %r" % (self.OP_ID, param.name,
                                        ht.Describe(param.check), value))

  def IsSet(self, name: str) -> bool:
    """Whether a parameter has a value (given or filled in)."""
    return hasattr(self, name)

  # Wire form

  def __getstate__(self) -> Dict[str, Any]:
    """Parameters that are set, without OP_ID (for pickling and ToDict)."""
    state = {}
    for name in self._all_slots_order:
      if hasattr(self, name):
        state[name] = getattr(self, name)
    return state

  def __setstate__(self, state: Dict[str, Any]) -> None:
    if not isinstance(state, dict):
      raise _PrereqError("Invalid data for opcode %s: expected a dict,"
                         " got %s" % (self.OP_ID, type(state).__name__))
    self._CheckKnown(state)
    for name in self._all_slots_cache:
      if name not in state and hasattr(self, name):
        delattr(self, name)
    for name, value in state.items():
      setattr(self, name, value)

  def ToDict(self) -> Dict[str, Any]:
    """JSON-ready form: OP_ID plus every parameter that is set."""
    data = self.__getstate__()
    data[OP_ID_KEY] = self.OP_ID
    return data

  @classmethod
  def LoadOpCode(cls, data: Any) -> "OpCode":
    """Build an opcode from its wire form (see `ToDict`).

    Values are not validated here; call `Validate`.

    @raise errors.OpPrereqError: ``data`` is not a dict, has no OP_ID, names
      an unknown opcode or carries parameters that opcode does not have

    """
    if not isinstance(data, dict):
      raise _PrereqError("Invalid data to LoadOpCode (expected a dict,"
                         " got %s)" % type(data).__name__)
    if OP_ID_KEY not in data:
      raise _PrereqError("Invalid data to LoadOpCode (no OP_ID)")
    op_id = data[OP_ID_KEY]
    op_class = _OP_REGISTRY.get(op_id) if isinstance(op_id, str) else None
    if op_class is None:
      raise _PrereqError("Invalid data to LoadOpCode: OP_ID %s unsupported" %
                         (op_id, ))
    state = dict(data)
    del state[OP_ID_KEY]
    op = op_class.__new__(op_class)
    op.__setstate__(state)
    return op

  FromDict = LoadOpCode

  def __eq__(self, other: Any) -> bool:
    return (type(self) is type(other) and
            self.__getstate__() == other.__getstate__())

  def __repr__(self) -> str:
    params = ", ".join("%s=%r" % item
                       for item in sorted(self.__getstate__().items()))
    return "%s(%s)" % (self.__class__.__name__, params)

  # Summaries for job listings

  def Summary(self) -> str:
    """``OP_ID`` without ``OP_`` plus ``(<description field>)`` if any.

    List values of the description field are comma-joined.

    """
    text = self.OP_ID[len("OP_"):]
    if self.OP_DSC_FIELD:
      value = getattr(self, self.OP_DSC_FIELD, None)
      if isinstance(value, (list, tuple)):
        value = ",".join(str(item) for item in value)
      text = "%s(%s)" % (text, value)
    return text

  def TinySummary(self) -> str:
    """Short summary: OP_ID without ``OP_``, area prefixes abbreviated."""
    text = self.OP_ID[len("OP_"):]
    for prefix, short in _SUMMARY_PREFIX:
      if text.startswith(prefix):
        return short + text[len(prefix):]
    return text


_COMMON_NAMES = frozenset(param.name for param in COMMON_PARAMS)

#: OP_ID -> class for every concrete opcode; filled by `RegisterOpcodes`
_OP_REGISTRY: Dict[str, type] = {}


def RegisterOpcodes(classes: Iterable[type]) -> Dict[str, type]:
  """Make opcode classes loadable by `OpCode.LoadOpCode`.

  @return: the registry (OP_ID -> class), shared and live
  @raise errors.ProgrammerError: a class is not an opcode or two classes
    share an OP_ID

  """
  for op_class in classes:
    if not (isinstance(op_class, type) and issubclass(op_class, OpCode)):
      raise errors.ProgrammerError("%r is not an opcode class" % (op_class, ))
    known = _OP_REGISTRY.get(op_class.OP_ID)
    if known is not None and known is not op_class:
      raise errors.ProgrammerError("OP_ID %s used by %s and %s" %
                                   (op_class.OP_ID, known.__name__,
                                    op_class.__name__))
    _OP_REGISTRY[op_class.OP_ID] = op_class
  return _OP_REGISTRY


# Submission-time rules applied by the job queue


def CheckSubmitPriority(op: OpCode, index: int) -> None:
  """Refuse an opcode whose priority may not be used at submission.

  @param index: position of the opcode in its job, for the message
  @raise errors.GenericError: priority not in OP_PRIO_SUBMIT_VALID

  """
  priority = getattr(op, "priority", constants.OP_PRIO_DEFAULT)
  if (isinstance(priority, bool) or
      priority not in constants.OP_PRIO_SUBMIT_VALID):
    allowed = ", ".join(str(p) for p in
                        sorted(constants.OP_PRIO_SUBMIT_VALID))
    raise errors.GenericError("Opcode %s has invalid priority %s, allowed"
                              " are %s" % (index, priority, allowed))


def CheckDependencies(depends: Any, allow_relative: bool) -> None:
  """Check a ``depends`` value for SubmitJob/SubmitManyJobs.

  @param allow_relative: true for SubmitManyJobs, where negative ids name
    earlier jobs of the same request
  @raise errors.GenericError: malformed, or relative ids where not allowed

  """
  check = TJobDependencies if allow_relative else TNoRelativeJobDependencies
  if not check(depends):
    kind = "" if allow_relative else " (relative job ids are not allowed)"
    raise errors.GenericError("Submitted opcode has invalid dependencies%s:"
                              " %r" % (kind, depends))


def ResolveRelativeDependencies(depends: Optional[list],
                                earlier_ids: List[Any]) -> Optional[list]:
  """Replace relative job ids by the ids of earlier jobs of a request.

  ``-1`` is the job submitted just before, ``-2`` the one before that.

  @param depends: a value that passed `TJobDependencies`
  @param earlier_ids: ids of the jobs submitted earlier in the same
    request, in submission order
  @return: a new dependency list with absolute ids only (or None)
  @raise errors.GenericError: a relative id points before the request

  """
  if depends is None:
    return None
  result = []
  for job_id, statuses in depends:
    if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id < 0:
      if -job_id > len(earlier_ids):
        raise errors.GenericError("Unable to resolve relative job ID %s" %
                                  job_id)
      job_id = earlier_ids[job_id]
    result.append([job_id, list(statuses)])
  return result
