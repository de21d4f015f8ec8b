"""The master's lock library: shared locks, lock sets and the lock manager.

Layer: master side.  Opcodes declare the cluster resources they need; mcpu
takes them here, level by level (BGL, instances, node groups, nodes, node
resources), each level as one sorted set, with timeouts and priorities, and
`gnt-debug locks` shows who holds and who waits through L{LockMonitor}.

The shared lock itself, owner names and the monitor live in
L{ganeti.locking_shared}; every public name of it is re-exported here.

This module must not do I/O and must not know about jobs, opcodes or the
configuration: callers pass names and priorities.
"""

import random
import threading
import time

from ganeti import constants
from ganeti import errors
from ganeti import locking_shared
from ganeti.locking_shared import (  # re-exported, pylint: disable=W0611
  LQ_ALL, LQ_MODE, LQ_OWNER, LQ_PENDING, MODE_EXCLUSIVE, MODE_SHARED,
  GetOwnerName, LockMonitor, SetOwnerName, SharedLock)


# Levels of the lock manager, in the only order they may be acquired
LEVEL_CLUSTER = 0
LEVEL_INSTANCE = 1
LEVEL_NODEGROUP = 2
LEVEL_NODE = 3
LEVEL_NODE_RES = 4

LEVELS = [
  LEVEL_CLUSTER,
  LEVEL_INSTANCE,
  LEVEL_NODEGROUP,
  LEVEL_NODE,
  LEVEL_NODE_RES,
  ]

# Levels whose set of locks may change at run time
LEVELS_MOD = frozenset(LEVELS) - frozenset([LEVEL_CLUSTER])

LEVEL_NAMES = {
  LEVEL_CLUSTER: "cluster",
  LEVEL_INSTANCE: "instance",
  LEVEL_NODEGROUP: "nodegroup",
  LEVEL_NODE: "node",
  LEVEL_NODE_RES: "node-res",
  }

# The Big Ganeti Lock, the only member of the cluster level
BGL = "BGL"

# Acquire every lock of a set (and the set-level lock with them)
ALL_SET = None

# Name suffix of the lock guarding a whole LockSet
_SET_LOCK_SUFFIX = "[lockset]"

_get_ident = threading.get_ident


def ssynchronized(mylock, shared=0):
  """Decorator running a function while holding a L{SharedLock}.

  @param mylock: the lock, or the name of an attribute of the method's
    instance (its first argument) that holds the lock
  @param shared: 1 to hold the lock in shared mode

  """
  locking_shared.CheckShared(shared)
  if not isinstance(mylock, (str, SharedLock)):
    raise errors.ProgrammerError("ssynchronized needs a SharedLock or an"
                                 " attribute name, got %r" % (mylock, ))

  def _Wrap(fn):
    def _Synchronized(*args, **kwargs):
      if isinstance(mylock, str):
        if not args:
          raise errors.ProgrammerError("%s is synchronized on attribute %r"
                                       " but got no instance argument" %
                                       (fn.__name__, mylock))
        lock = getattr(args[0], mylock)
      else:
        lock = mylock
      lock.acquire(shared=shared)
      try:
        return fn(*args, **kwargs)
      finally:
        lock.release()
    _Synchronized.__name__ = fn.__name__
    _Synchronized.__doc__ = fn.__doc__
    _Synchronized.__wrapped__ = fn
    return _Synchronized
  return _Wrap


# --- LockSet -----------------------------------------------------------------

class _AcquireTimeout(Exception):
  """Internal: a lock of a set could not be had in time."""


class LockSet(object):
  """A set of named L{SharedLock}s acquired together.

  Locks are always acquired in sorted name order, which keeps two sets of
  the same LockSet from deadlocking.  Acquiring the whole set (L{ALL_SET})
  also takes the set-level lock, so no lock can be added meanwhile.

  """
  def __init__(self, members, name, monitor=None):
    """Creates the set.

    @param members: initial lock names
    @param name: the set's name; locks are called "<name>/<member>"

    """
    if not isinstance(name, str):
      raise errors.ProgrammerError("Lock set name must be a string, got %r" %
                                   (name, ))
    self.name = name
    self._monitor = monitor
    self._lock = SharedLock(self._LockName(_SET_LOCK_SUFFIX), monitor=monitor)
    # Guards changes of _lockdict; readers take a snapshot under the GIL
    self._dict_mutex = threading.Lock()
    self._lockdict = {}
    # Thread ident -> set of member names it holds
    self._owners = {}
    for mname in self._CheckNames(members, "members"):
      if mname in self._lockdict:
        raise errors.ProgrammerError("Duplicate member %r in lock set %s" %
                                     (mname, name))
      self._lockdict[mname] = SharedLock(self._LockName(mname),
                                         monitor=monitor)

  def __repr__(self):
    return "<%s.%s name=%s>" % (self.__class__.__module__,
                                self.__class__.__name__, self.name)

  def _LockName(self, mname):
    return "%s/%s" % (self.name, mname)

  @staticmethod
  def _CheckNames(names, what):
    """Turns a name or an iterable of names into a list of strings."""
    if isinstance(names, str):
      return [names]
    try:
      result = list(names)
    except TypeError:
      raise errors.ProgrammerError("Lock %s must be a name or a list of"
                                   " names, got %r" % (what, names))
    for name in result:
      if not isinstance(name, str):
        raise errors.ProgrammerError("Lock names must be strings, got %r in"
                                     " %s" % (name, what))
    return result

  # Ownership

  def _names(self):
    """Returns the set of member names (a snapshot)."""
    return set(self._lockdict)

  def list_owned(self):
    """Returns the set of member names the calling thread holds."""
    return set(self._owners.get(_get_ident(), ()))

  def is_owned(self):
    """Tells whether the calling thread holds any lock of the set."""
    return bool(self._owners.get(_get_ident())) or self._lock.is_owned()

  def owning_all(self):
    """Tells whether the calling thread holds the whole set."""
    return self._lock.is_owned()

  def check_owned(self, names, shared=-1):
    """Tells whether the calling thread holds all C{names} in that mode.

    @param shared: -1 in any mode, 0 exclusively, 1 in shared mode

    """
    names = self._CheckNames(names, "to check")
    owned = self._owners.get(_get_ident(), ())
    for name in names:
      if name not in owned:
        return False
      lock = self._lockdict.get(name)
      if lock is None or not lock.is_owned(shared=shared):
        return False
    return True

  def _AddOwned(self, me, name):
    owned = self._owners.get(me)
    if owned is None:
      owned = self._owners[me] = set()
    owned.add(name)

  # Acquiring

  def acquire(self, names, timeout=None, shared=0, priority=None,
              test_notify=None):
    """Acquires locks of the set, in sorted order, within one timeout.

    @param names: a name, a list of names, or L{ALL_SET} for all locks
      (then the set-level lock is held too and locks removed meanwhile are
      silently skipped)
    @param timeout: seconds for the whole acquisition; None waits forever
    @param test_notify: called with a lock's name whenever the caller has to
      wait for it; for tests
    @return: the set of names acquired, or None if the timeout passed (then
      nothing stays held)
    @raise errors.LockError: a named lock does not exist or was deleted
    @raise errors.ProgrammerError: the caller already holds locks of the set

    """
    if self.is_owned():
      raise errors.ProgrammerError("Cannot acquire locks of set %s: this"
                                   " thread already holds some" % self.name)
    locking_shared.CheckTimeout(timeout)
    if timeout is None:
      deadline = None
    else:
      deadline = time.monotonic() + timeout
    me = _get_ident()
    try:
      if names is ALL_SET:
        if not self._lock.acquire(shared=shared, timeout=timeout,
                                  priority=priority):
          return None
        try:
          return self._AcquireInner(me, self._names(), True, shared,
                                    priority, deadline, test_notify)
        except BaseException:
          self._lock.release()
          raise
      names = self._CheckNames(names, "to acquire")
      return self._AcquireInner(me, names, False, shared, priority,
                                deadline, test_notify)
    except _AcquireTimeout:
      return None

  def _AcquireInner(self, me, names, want_all, shared, priority, deadline,
                    test_notify):
    acquired = []
    try:
      for lname in sorted(set(names)):
        lock = self._lockdict.get(lname)
        if lock is None:
          if want_all:
            continue
          raise errors.LockError("Lock %s does not exist in set %s" %
                                 (lname, self.name))
        if deadline is None:
          remaining = None
        else:
          remaining = max(0.0, deadline - time.monotonic())
        if test_notify is None:
          notify = None
        else:
          notify = lambda name=lname: test_notify(name)
        try:
          got = lock.acquire(shared=shared, timeout=remaining,
                             priority=priority, test_notify=notify)
        except errors.LockError:
          if want_all:
            continue
          raise errors.LockError("Lock %s of set %s was deleted" %
                                 (lname, self.name))
        if not got:
          raise _AcquireTimeout()
        acquired.append(lname)
        self._AddOwned(me, lname)
    except BaseException:
      for lname in acquired:
        self._lockdict[lname].release()
      self._owners.pop(me, None)
      raise
    return set(acquired)

  # Releasing

  def release(self, names=None):
    """Releases some or all locks of the set held by the caller.

    Releasing anything also releases the set-level lock, so L{add} can
    proceed again.  Releasing everything while holding nothing (as after
    acquiring an empty list) does nothing.

    @raise errors.ProgrammerError: the caller does not hold all of C{names}

    """
    me = _get_ident()
    owned = self._owners.get(me, set())
    if names is None:
      names = set(owned)
    else:
      names = set(self._CheckNames(names, "to release"))
      if not names.issubset(owned):
        raise errors.ProgrammerError("Cannot release locks %s of set %s: not"
                                     " held by this thread" %
                                     (", ".join(sorted(names - owned)),
                                      self.name))
    if self._lock.is_owned():
      self._lock.release()
    for lname in names:
      self._lockdict[lname].release()
      owned.discard(lname)
    if not owned:
      self._owners.pop(me, None)

  def downgrade(self, names=None):
    """Turns exclusive holds into shared ones.

    When no member stays held exclusively, the set-level lock is downgraded
    as well.  With nothing held and no names given, nothing happens.

    @raise errors.ProgrammerError: the caller does not hold all of C{names}

    """
    owned = self._owners.get(_get_ident(), set())
    if names is None:
      names = set(owned)
    else:
      names = set(self._CheckNames(names, "to downgrade"))
      if not names.issubset(owned):
        raise errors.ProgrammerError("Cannot downgrade locks %s of set %s:"
                                     " not held by this thread" %
                                     (", ".join(sorted(names - owned)),
                                      self.name))
    for lname in names:
      self._lockdict[lname].downgrade()
    if self._lock.is_owned(shared=0):
      if not any(self._lockdict[lname].is_owned(shared=0) for lname in owned):
        self._lock.downgrade()
    return True

  # Changing the set

  def add(self, names, acquired=0, shared=0):
    """Adds new locks to the set, optionally acquired by the caller.

    Waits for whoever holds the whole set to release it.

    @raise errors.LockError: a name is already in the set
    @raise errors.ProgrammerError: the caller holds part of the set, or the
      set-level lock only in shared mode

    """
    names = self._CheckNames(names, "to add")
    locking_shared.CheckShared(shared)
    if self.is_owned() and not self._lock.is_owned(shared=0):
      raise errors.ProgrammerError("Cannot add locks to set %s while holding"
                                   " only part of it or holding it shared" %
                                   self.name)
    own_set_lock = self._lock.is_owned()
    if not own_set_lock:
      self._lock.acquire(shared=0)
    try:
      with self._dict_mutex:
        dupes = [lname for lname in names if lname in self._lockdict]
        if dupes or len(set(names)) != len(names):
          raise errors.LockError("Cannot add locks %s to set %s: already"
                                 " present" %
                                 (", ".join(sorted(set(dupes)) or names),
                                  self.name))
        new_locks = [(lname, SharedLock(self._LockName(lname),
                                        monitor=self._monitor))
                     for lname in names]
        me = _get_ident()
        for (lname, lock) in new_locks:
          if acquired:
            # A new lock is free and unknown to others: this cannot wait
            lock.acquire(shared=shared)
            self._AddOwned(me, lname)
          self._lockdict[lname] = lock
    finally:
      if not own_set_lock:
        self._lock.release()
    return True

  def remove(self, names):
    """Deletes locks from the set.

    A lock not held by the caller is acquired (blocking) before deletion;
    pending acquires of a removed lock fail.

    @return: the names actually removed (others were gone already)
    @raise errors.ProgrammerError: the caller holds part of the set but not
      all of C{names}

    """
    names = self._CheckNames(names, "to remove")
    me = _get_ident()
    owned = self._owners.get(me, set())
    if owned and not owned.issuperset(names):
      raise errors.ProgrammerError("Cannot remove locks %s of set %s: this"
                                   " thread holds other locks of the set" %
                                   (", ".join(sorted(set(names) - owned)),
                                    self.name))
    removed = []
    for lname in names:
      lock = self._lockdict.get(lname)
      if lock is None:
        continue
      try:
        lock.delete()
      except errors.LockError:
        # Someone else deleted it and removes it from the dictionary
        continue
      with self._dict_mutex:
        if self._lockdict.get(lname) is lock:
          del self._lockdict[lname]
      owned.discard(lname)
      removed.append(lname)
    if not owned:
      self._owners.pop(me, None)
    return removed


# --- GanetiLockManager -------------------------------------------------------

class GanetiLockManager(object):
  """The master's locks: one L{LockSet} per level.

  Levels must be acquired in L{LEVELS} order, each after the BGL; breaking
  the order raises L{errors.ProgrammerError} instead of risking a deadlock.

  """
  def __init__(self, nodes, nodegroups, instances):
    """Creates the lock sets.

    @param nodes: node names (for the node and node-res levels)
    @param nodegroups: node group UUIDs
    @param instances: instance names

    """
    self._monitor = LockMonitor()
    self._keyring = {
      LEVEL_CLUSTER: LockSet([BGL], LEVEL_NAMES[LEVEL_CLUSTER],
                             monitor=self._monitor),
      LEVEL_INSTANCE: LockSet(instances, LEVEL_NAMES[LEVEL_INSTANCE],
                              monitor=self._monitor),
      LEVEL_NODEGROUP: LockSet(nodegroups, LEVEL_NAMES[LEVEL_NODEGROUP],
                               monitor=self._monitor),
      LEVEL_NODE: LockSet(nodes, LEVEL_NAMES[LEVEL_NODE],
                          monitor=self._monitor),
      LEVEL_NODE_RES: LockSet(nodes, LEVEL_NAMES[LEVEL_NODE_RES],
                              monitor=self._monitor),
      }

  def _Set(self, level):
    try:
      return self._keyring[level]
    except (KeyError, TypeError):
      raise errors.ProgrammerError("Invalid lock level %r (valid: %s)" %
                                   (level, LEVELS))

  def _UpperOwned(self, level):
    return [LEVEL_NAMES[upper] for upper in LEVELS[level + 1:]
            if self._keyring[upper].is_owned()]

  def _CheckBglOwned(self, what):
    if not self._keyring[LEVEL_CLUSTER].is_owned():
      raise errors.ProgrammerError("Cannot %s without holding the BGL" % what)

  def GetLockInfo(self, requested=LQ_ALL):
    """Returns every lock's information, sorted by name (see L{LockMonitor})."""
    return self._monitor.GetLockInfo(requested)

  def is_owned(self, level):
    """Tells whether the calling thread holds any lock at C{level}."""
    return self._Set(level).is_owned()

  def list_owned(self, level):
    """Returns the names the calling thread holds at C{level}."""
    return self._Set(level).list_owned()

  def check_owned(self, level, names, shared=-1):
    """Tells whether the calling thread holds all C{names} at C{level}."""
    return self._Set(level).check_owned(names, shared=shared)

  def owning_all(self, level):
    """Tells whether the calling thread holds the whole set at C{level}."""
    return self._Set(level).owning_all()

  def _names(self, level):
    return self._Set(level)._names()

  def acquire(self, level, names, timeout=None, shared=0, priority=None):
    """Acquires locks at one level (see L{LockSet.acquire}).

    @raise errors.ProgrammerError: a higher level is held, the BGL is not,
      or the level is invalid

    """
    lockset = self._Set(level)
    if level == LEVEL_CLUSTER:
      if names is ALL_SET or set(LockSet._CheckNames(names, "to acquire")) \
          != set([BGL]):
        raise errors.ProgrammerError("The cluster level has only the lock %s,"
                                     " got %r" % (BGL, names))
    else:
      self._CheckBglOwned("acquire %s locks" % LEVEL_NAMES[level])
    upper = self._UpperOwned(level)
    if upper:
      raise errors.ProgrammerError("Cannot acquire %s locks while holding"
                                   " locks at the higher level(s) %s" %
                                   (LEVEL_NAMES[level], ", ".join(upper)))
    return lockset.acquire(names, timeout=timeout, shared=shared,
                           priority=priority)

  def release(self, level, names=None):
    """Releases locks at one level.

    @raise errors.ProgrammerError: releasing the BGL while holding other
      levels

    """
    lockset = self._Set(level)
    if level == LEVEL_CLUSTER:
      upper = self._UpperOwned(level)
      if upper:
        raise errors.ProgrammerError("Cannot release the BGL while holding"
                                     " locks at %s" % ", ".join(upper))
    return lockset.release(names)

  def downgrade(self, level, names=None):
    """Turns exclusive holds at one level into shared ones."""
    return self._Set(level).downgrade(names)

  def _CheckModifiable(self, level, what):
    lockset = self._Set(level)
    if level not in LEVELS_MOD:
      raise errors.ProgrammerError("Cannot %s locks at the %s level: its set"
                                   " is fixed" % (what, LEVEL_NAMES[level]))
    self._CheckBglOwned("%s %s locks" % (what, LEVEL_NAMES[level]))
    upper = self._UpperOwned(level)
    if upper:
      raise errors.ProgrammerError("Cannot %s %s locks while holding locks at"
                                   " the higher level(s) %s" %
                                   (what, LEVEL_NAMES[level],
                                    ", ".join(upper)))
    return lockset

  def add(self, level, names, acquired=0, shared=0):
    """Adds locks at a modifiable level (see L{LockSet.add})."""
    return self._CheckModifiable(level, "add").add(names, acquired=acquired,
                                                   shared=shared)

  def remove(self, level, names):
    """Removes locks at a modifiable level (see L{LockSet.remove})."""
    return self._CheckModifiable(level, "remove").remove(names)


# --- Retry policy for lock acquisition ---------------------------------------

class LockAttemptTimeoutStrategy(object):
  """How long each attempt to get an opcode's locks may wait (2.1 design).

  The first attempt waits C{LOCK_ATTEMPTS_MINWAIT} seconds; each further one
  a little longer, (1.05 * previous) ** 1.25, never more than
  C{LOCK_ATTEMPTS_MAXWAIT}.  Once the attempts have used up
  C{LOCK_ATTEMPTS_TIMEOUT} seconds in total (by their timeouts or by the
  clock), L{NextAttempt} returns None: acquire blocking.  Each timeout gets
  a +/-5% jitter so competing jobs do not retry in lockstep.

  """
  __slots__ = ["_time_fn", "_random_fn", "_start", "_next", "_sum"]

  def __init__(self, _time_fn=time.time, _random_fn=random.random):
    self._time_fn = _time_fn
    self._random_fn = _random_fn
    self._start = None
    self._next = constants.LOCK_ATTEMPTS_MINWAIT
    self._sum = 0.0

  def NextAttempt(self):
    """Returns the next attempt's timeout in seconds, or None for blocking."""
    now = self._time_fn()
    if self._start is None:
      self._start = now
    if self._next is None:
      return None
    if (self._sum >= constants.LOCK_ATTEMPTS_TIMEOUT or
        now - self._start >= constants.LOCK_ATTEMPTS_TIMEOUT):
      self._next = None
      return None
    base = self._next
    self._sum += base
    grown = (base * 1.05) ** 1.25
    self._next = max(constants.LOCK_ATTEMPTS_MINWAIT,
                     min(grown, constants.LOCK_ATTEMPTS_MAXWAIT))
    spread = base * 0.1
    return base + self._random_fn() * spread - spread / 2.0

