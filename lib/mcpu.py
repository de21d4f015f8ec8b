"""The master's opcode processor: one opcode through its logical unit.

Layer 5 (master side).  `Processor.ExecOpCode` finds the LU of an opcode
(``OpFooBar`` -> ``cmdlib.LUFooBar``), takes the Big Ganeti Lock (shared,
or exclusive for LUs with ``REQ_BGL``), lets the LU name its locks
(ExpandNames, then DeclareLocks per level) and acquires them level by level
in ``locking.LEVELS`` order with the caller's timeout and priority, then
runs CheckPrereq, the pre hooks, Exec and the post hooks, and checks the
result against the opcode's result type.  Every lock it took is released
before it returns, also on errors.  A level that cannot be acquired in time
raises `LockAcquireTimeout`: the job queue then retries later (design 2.3).

This module must not know about jobs (the callbacks object given by the
queue is its only link to the job), must not write the configuration
itself and must not talk to nodes other than through the context's runner.
"""

import logging
import sys
import threading
import traceback

from ganeti import cmdlib
from ganeti import constants
from ganeti import errors
from ganeti import hooksmaster
from ganeti import ht
from ganeti import locking
from ganeti import opcodes
from ganeti import utils


#: message logged in dry-run mode instead of executing the operation
DRY_RUN_MSG = "dry-run mode requested, not actually executing the operation"


class LockAcquireTimeout(Exception):
  """The locks of an opcode could not be acquired within the timeout.

  Not an error of the opcode: the job queue puts the job back to
  ``waiting`` and tries again, possibly with a higher priority.

  """


class OpExecCbBase(object):
  """Callbacks from the processor to whoever runs the opcode (the job).

  The defaults do nothing, so a caller only overrides what it needs.

  """
  def NotifyStart(self):
    """Called once all locks are held, just before the LU starts working.

    """

  def Feedback(self, *args):
    """Send a log message: ``(message)`` or ``(log type, message)``.

    """

  def CheckCancel(self):
    """Called before each lock acquisition; may raise to cancel the job.

    """

  def CurrentPriority(self):
    """The priority to use now, or None to keep the one given.

    """
    return None

  def SubmitManyJobs(self, jobs):
    """Submit jobs (lists of opcodes) on behalf of the running opcode.

    @return: ``[[success, job id or error message], ...]``

    """
    raise errors.ProgrammerError("These callbacks (%s) cannot submit jobs" %
                                 self.__class__.__name__)


def _SetBaseOpParams(src, defcomment, dst):
  """Give a child opcode the parent's debug level, priority and a comment.

  The debug level is always copied; the priority only when the child has
  none; the comment only when the child has none.

  """
  if hasattr(src, "debug_level"):
    dst.debug_level = src.debug_level
  if getattr(dst, "priority", None) is None and hasattr(src, "priority"):
    dst.priority = src.priority
  if not getattr(dst, "comment", None):
    dst.comment = defcomment


def _CheckLockLevels(lu):
  """Refuse lock declarations mcpu could not honour."""
  valid = frozenset(locking.LEVELS) - frozenset([locking.LEVEL_CLUSTER])
  for (what, decl) in (("needed_locks", lu.needed_locks),
                       ("add_locks", lu.add_locks)):
    if not isinstance(decl, dict):
      raise errors.ProgrammerError("%s.%s must be a dict, got %r" %
                                   (lu.__class__.__name__, what, decl))
    bad = [level for level in decl if level not in valid]
    if bad:
      raise errors.ProgrammerError("%s.%s names invalid lock level(s) %s"
                                   " (the cluster level is mcpu's)" %
                                   (lu.__class__.__name__, what,
                                    utils.CommaJoin(map(repr, bad))))


class Processor(object):
  """Runs opcodes, one at a time, in the calling thread.

  """
  def __init__(self, context, ec_id, enable_locks=True,
               _dispatch_fn=cmdlib.GetLU):
    """
    @param context: object with ``cfg``, ``glm`` and ``rpc``
    @param ec_id: execution context id (the job id): temporary config
        reservations made under it are dropped after each opcode
    @param enable_locks: False only for callers that run opcodes without
        the lock manager (LUs needing locks then fail)
    @param _dispatch_fn: opcode class -> LU class or None (tests)

    """
    self.context = context
    self._ec_id = ec_id
    self._cbs = None
    self.rpc = context.rpc
    self.hmclass = hooksmaster.HooksMaster
    self._enable_locks = enable_locks
    self._dispatch_fn = _dispatch_fn

  def _SetLockOwner(self):
    """Name this thread after the job in lock information (``job/<id>``).

    @return: the previous owner name, for L{_RestoreLockOwner}

    """
    if self._ec_id is None:
      return None
    previous = locking.GetOwnerName()
    locking.SetOwnerName("job/%s" % (self._ec_id, ))
    return previous

  def _RestoreLockOwner(self, previous):
    if self._ec_id is None:
      return
    if previous == threading.current_thread().name:
      # it was the thread's own name: keep following it
      locking.SetOwnerName(None)
    else:
      locking.SetOwnerName(previous)

  def _CheckLocksEnabled(self):
    if not self._enable_locks:
      raise errors.ProgrammerError("Attempted to use locks, but they were"
                                   " disabled for this processor")

  def _AcquireLocks(self, level, names, shared, timeout, priority):
    """Acquire one level, honouring cancellation and the timeout.

    @raise LockAcquireTimeout: not acquired within ``timeout``

    """
    self._CheckLocksEnabled()
    if self._cbs:
      self._cbs.CheckCancel()
      new_priority = self._cbs.CurrentPriority()
      if new_priority is not None:
        priority = new_priority

    acquired = self.context.glm.acquire(level, names, shared=shared,
                                        timeout=timeout, priority=priority)
    if acquired is None:
      raise LockAcquireTimeout("Could not acquire the %s lock(s) %s within"
                               " %s seconds" %
                               (locking.LEVEL_NAMES.get(level, level),
                                "all" if names is None else names, timeout))
    return acquired

  def _ProcessResult(self, op, result):
    """Submit the jobs an LU returned, turning them into the result."""
    if not isinstance(result, cmdlib.ResultWithJobs):
      return result
    if self._cbs is None:
      raise errors.ProgrammerError("%s returned jobs but there is nobody to"
                                   " submit them" % op.OP_ID)
    comment = "Submitted by %s" % op.OP_ID
    for job in result.jobs:
      for child in job:
        if not isinstance(child, opcodes.OpCode):
          raise errors.ProgrammerError("%s returned a job containing %r,"
                                       " which is not an opcode" %
                                       (op.OP_ID, child))
        _SetBaseOpParams(op, comment, child)
    submission = self._cbs.SubmitManyJobs(result.jobs)
    if constants.JOB_IDS_KEY in result.other:
      raise errors.ProgrammerError("%s returned the reserved key '%s' besides"
                                   " its jobs" %
                                   (op.OP_ID, constants.JOB_IDS_KEY))
    final = dict(result.other)
    final[constants.JOB_IDS_KEY] = submission
    return final

  def BuildHooksManager(self, lu):
    """The hooks master of an LU, running hooks through our node runner."""
    return self.hmclass.BuildFromLu(lu.rpc.call_hooks_runner, lu)

  def _ExecLU(self, lu):
    """CheckPrereq, pre hooks, Exec and post hooks, all locks held."""
    write_count = self.context.cfg.write_count
    lu.CheckPrereq()

    hm = self.BuildHooksManager(lu)
    h_results = hm.RunPhase(constants.HOOKS_PHASE_PRE)
    lu.HooksCallBack(constants.HOOKS_PHASE_PRE, h_results, self.Log, None)

    if getattr(lu.op, "dry_run", False):
      # Exec and the post hooks are skipped; so is the result check
      self.LogInfo(DRY_RUN_MSG)
      return lu.dry_run_result

    try:
      result = self._ProcessResult(lu.op, lu.Exec(self.Log))
      post_nodes = lu.PreparePostHookNodes(hm.post_nodes)
      h_results = hm.RunPhase(constants.HOOKS_PHASE_POST, nodes=post_nodes)
      result = lu.HooksCallBack(constants.HOOKS_PHASE_POST, h_results,
                                self.Log, result)
    finally:
      # a config change announces itself even if the operation then failed
      if write_count != self.context.cfg.write_count:
        try:
          hm.RunConfigUpdate()
        except Exception:  # pylint: disable=W0703
          # the operation's own outcome matters more than this hook
          logging.exception("Running the config-update hooks failed")
    return result

  def _LockAndExecLU(self, lu, level_idx, calc_timeout, priority):
    """Acquire the locks of ``LEVELS[level_idx:]``, then run the LU.

    Each level's locks are released when the recursion returns, so locks
    go away in the reverse order of acquisition, whatever happens.

    """
    if level_idx >= len(locking.LEVELS):
      if self._cbs:
        self._cbs.NotifyStart()
      try:
        return self._ExecLU(lu)
      except AssertionError as err:
        # the phase is unknown, but the location helps whoever debugs it
        tb_lines = traceback.format_tb(sys.exc_info()[2])
        logging.exception("Detected AssertionError")
        raise errors.OpExecError("Internal assertion error: please report"
                                 " this as a bug.\nError message: '%s';"
                                 " location:\n%s" %
                                 (err, tb_lines[-1] if tb_lines else "?"))

    level = locking.LEVELS[level_idx]
    adding = level in lu.add_locks
    acquiring = level in lu.needed_locks
    if not (adding or acquiring):
      return self._LockAndExecLU(lu, level_idx + 1, calc_timeout, priority)
    if adding and acquiring:
      raise errors.ProgrammerError("%s both adds and acquires locks at level"
                                   " %s" % (lu.__class__.__name__,
                                            locking.LEVEL_NAMES[level]))

    lu.DeclareLocks(level)
    share = lu.share_locks.get(level, 0)
    try:
      if acquiring:
        needed = lu.needed_locks[level]
        if isinstance(needed, str):
          needed = [needed]
        self._AcquireLocks(level, needed, share, calc_timeout(), priority)
      else:
        self._CheckLocksEnabled()
        add_locks = lu.add_locks[level]
        lu.remove_locks[level] = add_locks
        try:
          self.context.glm.add(level, add_locks, acquired=1, shared=share)
        except errors.LockError as err:
          logging.exception("Adding locks %s at level %s failed", add_locks,
                            level)
          raise errors.OpPrereqError("Couldn't add locks (%s), most likely"
                                     " because of another job who added them"
                                     " first: %s" % (add_locks, err),
                                     errors.ECODE_NOTUNIQUE)
      try:
        return self._LockAndExecLU(lu, level_idx + 1, calc_timeout, priority)
      finally:
        if level in lu.remove_locks:
          self.context.glm.remove(level, lu.remove_locks[level])
    finally:
      if self._enable_locks and self.context.glm.is_owned(level):
        self.context.glm.release(level)

  def ExecOpCode(self, op, cbs, timeout=None, priority=None):
    """Execute an opcode.

    @param op: the opcode (an opcodes.OpCode instance)
    @param cbs: an OpExecCbBase (job callbacks), or None
    @param timeout: seconds for acquiring all locks, None to block
    @param priority: lock priority (constants.OP_PRIO_*), None for default
    @return: the LU's result (``{"jobs": ...}`` for LUs submitting jobs;
        the dry-run result in dry-run mode)
    @raise LockAcquireTimeout: the locks were not acquired within timeout
    @raise errors.OpCodeUnknown: this master has no LU for the opcode
    @raise errors.OpResultError: the result does not match OP_RESULT

    """
    if not isinstance(op, opcodes.OpCode):
      raise errors.ProgrammerError("Non-opcode instance passed to ExecOpCode"
                                   " (%s)" % type(op).__name__)
    lu_class = self._dispatch_fn(op.__class__)
    if lu_class is None:
      raise errors.OpCodeUnknown("Opcode %s is not implemented by this master"
                                 " yet (no logical unit %s)" %
                                 (op.OP_ID, cmdlib.LUNameForOpcode(
                                   op.__class__)))

    if timeout is None:
      calc_timeout = lambda: None
    else:
      calc_timeout = utils.RunningTimeout(timeout, False).Remaining

    self._cbs = cbs
    prev_owner = self._SetLockOwner()
    try:
      if self._enable_locks:
        # shared BGL for concurrent LUs keeps exclusive ones out meanwhile
        self._AcquireLocks(locking.LEVEL_CLUSTER, [locking.BGL],
                           not lu_class.REQ_BGL, calc_timeout(), priority)
      elif lu_class.REQ_BGL:
        raise errors.ProgrammerError("Opcode %s needs the BGL, but locks are"
                                     " disabled" % op.OP_ID)
      try:
        lu = lu_class(self, op, self.context, self.rpc)
        lu.ExpandNames()
        if lu.needed_locks is None:
          raise errors.ProgrammerError("%s.ExpandNames did not set"
                                       " needed_locks" % lu_class.__name__)
        _CheckLockLevels(lu)
        try:
          result = self._LockAndExecLU(lu, locking.LEVELS.index(
            locking.LEVEL_CLUSTER) + 1, calc_timeout, priority)
        finally:
          if self._ec_id is not None:
            self.context.cfg.DropECReservations(self._ec_id)
      finally:
        if self._enable_locks and \
            self.context.glm.is_owned(locking.LEVEL_CLUSTER):
          self.context.glm.release(locking.LEVEL_CLUSTER)
    finally:
      self._cbs = None
      self._RestoreLockOwner(prev_owner)

    if not getattr(op, "dry_run", False):
      check = op.OP_RESULT
      if check is not None and not check(result):
        logging.error("Expected opcode result matching %s, got %s",
                      ht.Describe(check), result)
        raise errors.OpResultError("Opcode %s: result does not match %s: %s"
                                   % (op.OP_ID, ht.Describe(check),
                                      utils.Truncate(repr(result), 80)))
    return result

  # Logging, used by the LUs through their Log* attributes

  def Log(self, *args):
    """Send a message to the job: ``(message)`` or ``(type, message)``."""
    if self._cbs:
      self._cbs.Feedback(*args)
    else:
      logging.info("Opcode feedback: %s", args)

  def LogStep(self, current, total, message):
    """Log a step of a multi-step operation."""
    self.Log("STEP %d/%d %s" % (current, total, message))

  def LogWarning(self, message, *args, **kwargs):
    """Log a warning to the job and the daemon log.

    @keyword hint: an extra line telling the user what to do

    """
    unknown = set(kwargs) - set(["hint"])
    if unknown:
      raise errors.ProgrammerError("Invalid keyword arguments for LogWarning"
                                   " (%s)" % utils.CommaJoin(sorted(unknown)))
    if args:
      message = message % tuple(args)
    if message:
      logging.warning(message)
      self.Log(" - WARNING: %s" % message)
    if "hint" in kwargs:
      self.Log("      Hint: %s" % kwargs["hint"])

  def LogInfo(self, message, *args):
    """Log an informational message to the job and the daemon log."""
    if args:
      message = message % tuple(args)
    logging.info(message)
    self.Log(" - INFO: %s" % message)

  def GetECId(self):
    """The execution context id (job id) given at construction."""
    return self._ec_id
