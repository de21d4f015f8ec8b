"""The query opcodes: OP_QUERY, OP_QUERY_FIELDS and the old-style queries.

Layer 5 (master side).  LUQuery and LUQueryFields answer the query2
protocol as jobs (the same answers as LUXI's Query/QueryFields);
LUNodeQuery, LUGroupQuery, LUInstanceQuery and LUOsDiagnose give the older
rows of bare values.  All of them go through cmdlib.query, which gathers
the data (configuration, and node calls only for fields that need them).

These LUs change nothing.  They lock only when ``use_locking`` asks for it
(shared locks on what is queried); otherwise their answers are snapshots,
as Ganeti's unlocked queries are.
"""

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import qlang
from ganeti import query
from ganeti.cmdlib import common
from ganeti.cmdlib import query as cmdlib_query
from ganeti.cmdlib.base import NoHooksLU


class _QueryContext(object):
  """What cmdlib.query's gatherers read, taken from a running LU.

  The LU's own node call runner is used (so that calls are made the way
  the job's other calls are); jobs and locks are not queryable by opcode.

  """
  def __init__(self, lu):
    self.cfg = lu.cfg
    self.rpc = lu.rpc
    self.glm = lu.glm
    self.jobqueue = None


def _CheckOpResource(what):
  """Only the resources of QR_VIA_OP are answered by the query opcodes.

  @raise errors.OpPrereqError: job, lock or an unknown resource, or one not
      answered yet (ECODE_INVAL)

  """
  if what not in constants.QR_VIA_OP:
    raise errors.OpPrereqError("Resource '%s' can not be queried through an"
                               " opcode (only %s)" %
                               (what, ", ".join(sorted(constants.QR_VIA_OP))),
                               errors.ECODE_INVAL)
  cmdlib_query.CheckResource(what)


class LUQuery(NoHooksLU):
  """OP_QUERY: the query2 answer {"fields": [...], "data": [...]}."""
  REQ_BGL = False

  def CheckArguments(self):
    _CheckOpResource(self.op.what)
    # The filter is checked here, before any lock or node is involved
    query.MakeQuery(self.op.what, self.op.fields, self.op.qfilter)

  def ExpandNames(self):
    self.needed_locks = {}
    if self.op.use_locking:
      self.share_locks = common.ShareAll()
      level = {constants.QR_NODE: locking.LEVEL_NODE,
               constants.QR_INSTANCE: locking.LEVEL_INSTANCE,
               constants.QR_GROUP: locking.LEVEL_NODEGROUP}.get(self.op.what)
      if level is not None:
        self.needed_locks[level] = locking.ALL_SET

  def Exec(self, feedback_fn):
    return cmdlib_query.Query(_QueryContext(self), self.op.what,
                              self.op.fields, self.op.qfilter)


class LUQueryFields(NoHooksLU):
  """OP_QUERY_FIELDS: the field definitions of a resource."""
  REQ_BGL = False

  def CheckArguments(self):
    _CheckOpResource(self.op.what)

  def ExpandNames(self):
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    return cmdlib_query.QueryFields(self.op.what, self.op.fields)


class _OldStyleQueryLU(NoHooksLU):
  """Rows of bare values for ``output_fields`` of the named items.

  Subclasses set RESOURCE and LOCK_LEVEL; with ``use_locking`` the queried
  items (all of them without names) are locked shared.

  @raise errors.OpPrereqError: unknown output fields (ECODE_INVAL),
      unknown names (ECODE_NOENT)

  """
  REQ_BGL = False
  RESOURCE = None
  LOCK_LEVEL = None

  def CheckArguments(self):
    # Unknown fields are refused before anything is gathered
    query.MakeQuery(self.RESOURCE, self.op.output_fields).OldStyleQuery([])

  def _WantedLocks(self):
    return locking.ALL_SET

  def ExpandNames(self):
    self.needed_locks = {}
    if getattr(self.op, "use_locking", False):
      self.share_locks = common.ShareAll()
      self.needed_locks[self.LOCK_LEVEL] = self._WantedLocks()

  def Exec(self, feedback_fn):
    return cmdlib_query.OldStyleQuery(_QueryContext(self), self.RESOURCE,
                                      self.op.names, self.op.output_fields)


class LUNodeQuery(_OldStyleQueryLU):
  """OP_NODE_QUERY: one row per node (all nodes when no names are given)."""
  RESOURCE = constants.QR_NODE
  LOCK_LEVEL = locking.LEVEL_NODE

  def _WantedLocks(self):
    if not self.op.names:
      return locking.ALL_SET
    return common.GetWantedNodes(self, self.op.names)


class LUGroupQuery(_OldStyleQueryLU):
  """OP_GROUP_QUERY: one row per node group (never locks)."""
  RESOURCE = constants.QR_GROUP
  LOCK_LEVEL = locking.LEVEL_NODEGROUP


class LUInstanceQuery(_OldStyleQueryLU):
  """OP_INSTANCE_QUERY: one row per instance."""
  RESOURCE = constants.QR_INSTANCE
  LOCK_LEVEL = locking.LEVEL_INSTANCE

  def _WantedLocks(self):
    if not self.op.names:
      return locking.ALL_SET
    wanted = []
    for name in self.op.names:
      full = self.cfg.ExpandInstanceName(name)
      if full is None:
        raise errors.OpPrereqError("Instance '%s' not known" % name,
                                   errors.ECODE_NOENT)
      wanted.append(full)
    return wanted


class LUOsDiagnose(NoHooksLU):
  """OP_OS_DIAGNOSE: one row per OS known to the vm-capable online nodes.

  As in Ganeti 2.6, hidden and blacklisted OSes are left out unless the
  ``hidden``/``blacklisted`` fields are requested, and invalid ones unless
  ``valid`` is; requested names no node knows are left out too.

  """
  REQ_BGL = False

  @staticmethod
  def _BuildFilter(fields, names):
    """The query2 filter standing for the old interface's rules."""
    conditions = [[qlang.OP_NOT, [qlang.OP_TRUE, name]]
                  for name in ("hidden", "blacklisted") if name not in fields]
    if "valid" not in fields:
      conditions.append([qlang.OP_TRUE, "valid"])
    name_filter = qlang.MakeSimpleFilter("name", names)
    if name_filter is not None:
      conditions.insert(0, name_filter)
    if not conditions:
      return None
    if len(conditions) == 1:
      return conditions[0]
    return [qlang.OP_AND] + conditions

  def CheckArguments(self):
    self.query = query.MakeQuery(constants.QR_OS, self.op.output_fields,
                                 self._BuildFilter(self.op.output_fields,
                                                   self.op.names))
    # Unknown fields are refused before the nodes are asked
    self.query.OldStyleQuery([])

  def ExpandNames(self):
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    data = cmdlib_query.Gather(_QueryContext(self), constants.QR_OS,
                               self.query)
    return self.query.OldStyleQuery(data, sort_by_name=not self.op.names)
