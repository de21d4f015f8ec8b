"""Base classes of the logical units: LogicalUnit, NoHooksLU, Tasklet.

Layer 5 (master side).  A logical unit (LU) carries out one opcode in
phases that mcpu drives: CheckArguments (syntax only, in the constructor),
ExpandNames (canonical names, ``needed_locks``), DeclareLocks(level)
(locks that depend on locks already held), CheckPrereq (under the locks,
read-only), BuildHooksEnv/BuildHooksNodes, Exec (the work).  A tasklet is
a CheckPrereq + Exec pair an LU can delegate to.  ``ResultWithJobs`` lets
an LU ask mcpu to submit further jobs.

This module must not acquire or release cluster locks (mcpu does; LUs only
declare them), must not run hooks and must not talk to nodes itself.
"""

from ganeti import constants
from ganeti import errors
from ganeti import locking


#: recalculate_locks modes: replace the level's names, or add to them
LOCKS_REPLACE = constants.LOCKS_REPLACE
LOCKS_APPEND = constants.LOCKS_APPEND


class ResultWithJobs(object):
  """An LU result asking mcpu to submit jobs.

  mcpu submits ``jobs`` and returns ``other`` plus the ``jobs`` key holding
  the per-job submission results.

  """
  def __init__(self, jobs, **kwargs):
    """
    @param jobs: list of jobs, each a list of opcode objects
    @param kwargs: further keys of the opcode's result

    """
    if not isinstance(jobs, (list, tuple)):
      raise errors.ProgrammerError("ResultWithJobs needs a list of jobs, got"
                                   " %r" % (jobs, ))
    for job in jobs:
      if not isinstance(job, (list, tuple)) or not job:
        raise errors.ProgrammerError("Each job of ResultWithJobs must be a"
                                     " non-empty list of opcodes, got %r" %
                                     (job, ))
    self.jobs = [list(job) for job in jobs]
    self.other = kwargs


class LogicalUnit(object):
  """Base of every logical unit.

  Subclasses set ``HPATH``/``HTYPE`` (hooks directory prefix and object
  type; None for no hooks) and ``REQ_BGL`` (True: the LU runs alone, with
  the Big Ganeti Lock held exclusively; False: shared, and the LU declares
  the locks it needs in ExpandNames).

  """
  HPATH = None
  HTYPE = None
  REQ_BGL = True

  def __init__(self, processor, op, context, rpc):
    """Build the LU, fill in the opcode's defaults and check its arguments.

    @param processor: the mcpu.Processor running the opcode (for logging)
    @param op: the opcode
    @param context: object with ``cfg`` and ``glm``
    @param rpc: the node call runner
    @raise errors.OpPrereqError: a parameter is missing or invalid

    """
    self.proc = processor
    self.op = op
    self.cfg = context.cfg
    self.glm = context.glm
    self.owned_locks = context.glm.list_owned
    self.context = context
    self.rpc = rpc
    # Filled in by ExpandNames/DeclareLocks; None is "forgot to say", which
    # mcpu refuses rather than running without locks.
    self.needed_locks = None
    self.share_locks = dict.fromkeys(locking.LEVELS, 0)
    self.add_locks = {}
    self.remove_locks = {}
    self.recalculate_locks = {}
    self.tasklets = None
    self.dry_run_result = None
    self.Log = processor.Log
    self.LogWarning = processor.LogWarning
    self.LogInfo = processor.LogInfo
    self.LogStep = processor.LogStep
    op.Validate(True)
    if not isinstance(getattr(op, "debug_level", None), int):
      op.debug_level = 0
    self.CheckArguments()

  def CheckArguments(self):
    """Check the opcode's arguments beyond their types (no config access).

    """

  def ExpandNames(self):
    """Canonicalise names and fill ``needed_locks``.

    The default only fits LUs holding the BGL exclusively, which need no
    further locks.  Concurrent LUs must say what they lock.

    """
    if self.REQ_BGL:
      self.needed_locks = {}
    else:
      raise errors.ProgrammerError("%s does not hold the BGL exclusively and"
                                   " must define ExpandNames to declare its"
                                   " locks" % self.__class__.__name__)

  def DeclareLocks(self, level):
    """Adjust ``needed_locks[level]`` just before that level is acquired.

    Called only for levels present in ``needed_locks``; the locks of lower
    levels (e.g. instances) are held at that point.

    """

  def CheckPrereq(self):
    """Check preconditions under the locks; no changes may be made.

    The default runs the tasklets' checks.

    """
    if self.tasklets is not None:
      for tasklet in self.tasklets:
        tasklet.CheckPrereq()

  def Exec(self, feedback_fn):
    """Do the work; the default runs the tasklets in order.

    """
    if self.tasklets is None:
      raise errors.ProgrammerError("%s defines neither Exec nor tasklets" %
                                   self.__class__.__name__)
    for tasklet in self.tasklets:
      tasklet.Exec(feedback_fn)

  def BuildHooksEnv(self):
    """The operation's hook variables (names without ``GANETI_``).

    """
    raise errors.ProgrammerError("%s has hooks (HPATH %s) but does not define"
                                 " BuildHooksEnv" %
                                 (self.__class__.__name__, self.HPATH))

  def BuildHooksNodes(self):
    """The (pre nodes, post nodes) the hooks run on.

    """
    raise errors.ProgrammerError("%s has hooks (HPATH %s) but does not define"
                                 " BuildHooksNodes" %
                                 (self.__class__.__name__, self.HPATH))

  def PreparePostHookNodes(self, post_hook_nodes):
    """Last-minute change of the post-hook nodes (after Exec).

    """
    return post_hook_nodes

  def HooksCallBack(self, phase, hook_results, feedback_fn, lu_result):
    """See the hook results of a phase; may change the LU's result.

    @return: the (possibly changed) result of the LU

    """
    return lu_result

  # Helpers for ExpandNames/DeclareLocks of LUs working on instances

  def _ExpandAndLockInstance(self):
    """Canonicalise ``op.instance_name`` and lock that instance.

    """
    if self.needed_locks is None:
      self.needed_locks = {}
    elif locking.LEVEL_INSTANCE in self.needed_locks:
      raise errors.ProgrammerError("%s: instance locks already declared" %
                                   self.__class__.__name__)
    full = self.cfg.ExpandInstanceName(self.op.instance_name)
    if full is None:
      raise errors.OpPrereqError("Instance '%s' not known" %
                                 self.op.instance_name, errors.ECODE_NOENT)
    self.op.instance_name = full
    self.needed_locks[locking.LEVEL_INSTANCE] = full

  def _LockInstancesNodes(self, primary_only=False, level=locking.LEVEL_NODE):
    """In DeclareLocks: lock the nodes of the instances already locked.

    ExpandNames must have set ``needed_locks[level] = []`` and
    ``recalculate_locks[level] = LOCKS_REPLACE`` (or LOCKS_APPEND, to keep
    names already listed).

    """
    if level not in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES):
      raise errors.ProgrammerError("Instance nodes can be locked at the node"
                                   " levels only, not at level %s" % level)
    if level not in self.recalculate_locks:
      raise errors.ProgrammerError("%s: level %s was not marked for"
                                   " recalculation" %
                                   (self.__class__.__name__, level))
    wanted = set()
    for name in self.owned_locks(locking.LEVEL_INSTANCE):
      inst = self.cfg.GetInstanceInfo(name)
      if inst is None:
        raise errors.OpPrereqError("Instance '%s' disappeared while locking"
                                   " its nodes" % name, errors.ECODE_NOENT)
      wanted.add(inst.primary_node)
      if not primary_only:
        wanted.update(inst.secondary_nodes)
    mode = self.recalculate_locks[level]
    if mode not in (LOCKS_REPLACE, LOCKS_APPEND):
      raise errors.ProgrammerError("%s: unknown lock recalculation mode %r"
                                   " for level %s" %
                                   (self.__class__.__name__, mode, level))
    if mode == LOCKS_APPEND:
      current = self.needed_locks.get(level) or []
      wanted.update(current)
    self.needed_locks[level] = sorted(wanted)
    del self.recalculate_locks[level]


class NoHooksLU(LogicalUnit):
  """A logical unit that runs no hooks.

  """
  HPATH = None
  HTYPE = None

  def BuildHooksEnv(self):
    raise errors.ProgrammerError("BuildHooksEnv called for the NoHooksLU %s" %
                                 self.__class__.__name__)

  def BuildHooksNodes(self):
    raise errors.ProgrammerError("BuildHooksNodes called for the NoHooksLU"
                                 " %s" % self.__class__.__name__)


class Tasklet(object):
  """A CheckPrereq + Exec pair that an LU delegates to.

  Tasklets know nothing of locks: the owning LU declares them.

  """
  def __init__(self, lu):
    self.lu = lu
    self.cfg = lu.cfg
    self.rpc = lu.rpc

  def CheckPrereq(self):
    """Check preconditions (under the LU's locks).

    """

  def Exec(self, feedback_fn):
    """Do the tasklet's work.

    """
    raise errors.ProgrammerError("Tasklet %s does not define Exec" %
                                 self.__class__.__name__)
