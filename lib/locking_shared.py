"""Shared locks for the master: the lock itself, owner names, lock monitor.

Layer: master side (a part of L{ganeti.locking}, which re-exports every
public name; import it from there).  A L{SharedLock} is held by many threads
in shared mode or by one in exclusive mode.  Its pending acquires form a heap
of priorities (lower number first, as in the Ganeti 2.3 design); each
priority holds a FIFO of waiting entries, and the shared acquires of one
priority are grouped into one entry that skips ahead of the exclusive ones
queued after it.  The lock is handed over directly: the releasing thread
marks the next entry as owner and wakes its threads by closing the write end
of the entry's pipe, so a waiter with a timeout polls a pipe (no busy
waiting) and a grant never races with a newcomer.  An acquire on a free lock
nobody waits for takes a fast path that touches neither heap nor pipe.

This module must not do I/O besides its wake-up pipes and must not know
about jobs, opcodes or the configuration: callers pass names and priorities.
"""

import collections
import heapq
import math
import os
import select
import threading
import weakref

from ganeti import constants
from ganeti import errors
from ganeti.utils import algo as _algo


# Lock modes as reported in lock information
MODE_SHARED = "shared"
MODE_EXCLUSIVE = "exclusive"

# Fields of SharedLock.GetLockInfo (the lock resource of query2)
LQ_MODE = "mode"
LQ_OWNER = "owner"
LQ_PENDING = "pending"
LQ_ALL = frozenset([LQ_MODE, LQ_OWNER, LQ_PENDING])

# States of a pending entry
_WAITING = 0
_GRANTED = 1
_DELETED = 2

# Stands in the exclusive owner slot of a deleted lock, so the fast paths
# (which only test that slot for None) never succeed on a deleted lock
_DELETED_OWNER = object()

_get_ident = threading.get_ident


# --- Owner names -------------------------------------------------------------

# Thread ident -> (name, thread object); the thread object tells a stale entry
# (its thread gone and the ident reused) from a live one
_owner_names = {}


def SetOwnerName(name):
  """Names the calling thread in lock information (e.g. "job/12").

  @param name: the name, or None to fall back to the thread's own name
  @raise errors.ProgrammerError: name is neither a string nor None

  """
  ident = _get_ident()
  if name is None:
    _owner_names.pop(ident, None)
    return
  if not isinstance(name, str):
    raise errors.ProgrammerError("Lock owner name must be a string, got %r" %
                                 (name, ))
  _owner_names[ident] = (name, threading.current_thread())


def GetOwnerName():
  """Returns the name the calling thread has in lock information."""
  return _NamesOf([_get_ident()])[0]


def _NamesOf(idents):
  """Maps thread idents to owner names."""
  threads = dict((thr.ident, thr) for thr in threading.enumerate())
  result = []
  for ident in idents:
    thread = threads.get(ident)
    entry = _owner_names.get(ident)
    if entry is not None and entry[1] is thread:
      result.append(entry[0])
    elif thread is not None:
      result.append(thread.name)
    else:
      result.append("thread-%s" % ident)
  return result


# --- Argument checks ---------------------------------------------------------

def CheckTimeout(timeout):
  if timeout is None:
    return
  if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
    raise errors.ProgrammerError("Lock timeout must be None or a number of"
                                 " seconds, got %r" % (timeout, ))
  if not timeout >= 0:
    raise errors.ProgrammerError("Lock timeout must not be negative, got %r" %
                                 (timeout, ))


def _CheckPriority(priority):
  if isinstance(priority, bool) or not isinstance(priority, int):
    raise errors.ProgrammerError("Lock priority must be an integer, got %r" %
                                 (priority, ))


def CheckShared(shared):
  if shared not in (0, 1):
    raise errors.ProgrammerError("Lock mode 'shared' must be 0 or 1, got %r" %
                                 (shared, ))


# --- Monitor -----------------------------------------------------------------

class LockMonitor(object):
  """Knows every lock of a lock manager, for `gnt-debug locks`.

  Locks are held by weak reference: a lock nobody uses any more leaves the
  listing by itself.

  """
  def __init__(self):
    self._mutex = threading.Lock()
    self._locks = weakref.WeakSet()

  def RegisterLock(self, lock):
    """Adds a lock (anything with C{name} and C{GetLockInfo(requested)})."""
    with self._mutex:
      self._locks.add(lock)

  def GetLockInfo(self, requested=LQ_ALL):
    """Returns one dict per live lock, sorted by name (natural order).

    Keys: "name", "mode" (None, "shared" or "exclusive"), "owner" (None or
    the owners' names, natural-sorted), "pending" (list of [mode, [names]]
    in grant order).  Deleted locks are left out.

    """
    with self._mutex:
      locks = list(self._locks)
    rows = []
    for lock in locks:
      for (name, mode, owner, pending) in lock.GetLockInfo(requested):
        rows.append({"name": name, "mode": mode, "owner": owner,
                     "pending": pending})
    return _algo.NiceSort(rows, key=lambda row: row["name"])


# --- SharedLock --------------------------------------------------------------

class _Pending(object):
  """One entry of a lock's queue: an exclusive acquire or a shared group.

  The pipe is made only once a thread really has to sleep; closing its write
  end wakes every thread polling the read end at once.

  """
  __slots__ = ["shared", "priority", "threads", "state", "rfd", "wfd",
               "nwait"]

  def __init__(self, shared, priority):
    self.shared = shared
    self.priority = priority
    self.threads = []
    self.state = _WAITING
    self.rfd = None
    self.wfd = None
    self.nwait = 0

  def Notify(self, state):
    """Wakes all threads of the entry; the lock's mutex must be held."""
    self.state = state
    if self.wfd is not None:
      os.close(self.wfd)
      self.wfd = None
    if self.nwait == 0:
      self.ClosePipe()

  def ClosePipe(self):
    for fd in (self.rfd, self.wfd):
      if fd is not None:
        os.close(fd)
    self.rfd = self.wfd = None


class SharedLock(object):
  """A lock held by many threads in shared mode or one in exclusive mode.

  Owners are threads.  A thread may hold the lock once; acquiring it again,
  or releasing a lock it does not hold, raises L{errors.ProgrammerError}.

  """
  __slots__ = ["name", "_mutex", "_exc", "_shr", "_heap", "_by_prio",
               "_shared_by_prio", "__weakref__"]

  def __init__(self, name, monitor=None):
    """Creates a free lock.

    @param name: the lock's name in lock information and errors
    @param monitor: a L{LockMonitor} to register with, or None

    """
    if not isinstance(name, str):
      raise errors.ProgrammerError("Lock name must be a string, got %r" %
                                   (name, ))
    self.name = name
    self._mutex = threading.Lock()
    # Exclusive owner (thread ident), None, or _DELETED_OWNER
    self._exc = None
    # Shared owners (thread idents)
    self._shr = set()
    # Heap of (priority, deque of _Pending); a deque may be empty, then it
    # is dropped when it reaches the top
    self._heap = []
    self._by_prio = {}
    # Priority -> the shared entry still waiting there, if any
    self._shared_by_prio = {}
    if monitor is not None:
      monitor.RegisterLock(self)

  def __repr__(self):
    return "<%s.%s name=%s>" % (self.__class__.__module__,
                                self.__class__.__name__, self.name)

  # Ownership

  def is_owned(self, shared=-1):
    """Tells whether the calling thread holds the lock.

    @param shared: -1 in any mode, 0 exclusively, 1 in shared mode

    """
    me = _get_ident()
    if shared < 0:
      return self._exc == me or me in self._shr
    if shared:
      return me in self._shr
    return self._exc == me

  def _count_pending(self):
    """Number of threads waiting for the lock."""
    with self._mutex:
      return sum(len(entry.threads)
                 for (_, queue) in self._heap for entry in queue)

  # Acquiring

  def acquire(self, shared=0, timeout=None, priority=None, test_notify=None):
    """Acquires the lock.

    @param shared: 1 for shared mode, 0 for exclusive
    @param timeout: seconds to wait at most; None waits forever, 0 only tries
    @param priority: lower numbers are served first; None means
      C{constants.OP_PRIO_DEFAULT}
    @param test_notify: called (outside the lock's mutex) once the request
      is queued, i.e. only when the caller has to wait; for tests
    @return: True when acquired, False when the timeout passed
    @raise errors.LockError: the lock is or gets deleted
    @raise errors.ProgrammerError: the caller already holds the lock, or an
      argument is invalid

    """
    if timeout is not None:
      CheckTimeout(timeout)
    if priority is not None:
      _CheckPriority(priority)
    me = _get_ident()
    with self._mutex:
      # Fast path: nobody holds a conflicting mode and nobody waits
      if self._exc is None and not self._heap:
        if shared:
          if shared == 1 and me not in self._shr:
            self._shr.add(me)
            return True
        elif not self._shr:
          self._exc = me
          return True
      return self._AcquireSlow(me, shared, timeout, priority, test_notify)

  def _AcquireSlow(self, me, shared, timeout, priority, test_notify):
    """Queues the caller and waits; the mutex is held on entry and exit."""
    CheckShared(shared)
    CheckTimeout(timeout)
    if priority is None:
      priority = constants.OP_PRIO_DEFAULT
    else:
      _CheckPriority(priority)
    if self._exc is _DELETED_OWNER:
      raise errors.LockError("Lock %s has been deleted" % self.name)
    if self._exc == me or me in self._shr:
      raise errors.ProgrammerError("Lock %s is already held by this thread" %
                                   self.name)

    entry = self._Enqueue(me, shared, priority)
    self._Grant()
    if entry.state == _WAITING and timeout != 0:
      self._Wait(entry, me, timeout, test_notify)

    state = entry.state
    if state == _GRANTED:
      return True
    if state == _DELETED:
      raise errors.LockError("Lock %s was deleted while waiting for it" %
                             self.name)
    self._Dequeue(entry, me)
    self._Grant()
    return False

  def _Wait(self, entry, me, timeout, test_notify):
    """Sleeps on the entry's pipe until notified or timed out.

    The mutex is released while sleeping.  Should anything go wrong (no
    file descriptor left, an exception in C{test_notify}, an interrupt),
    the request is withdrawn, or the lock released if it was granted
    meanwhile, so no thread is ever handed a lock it does not wait for.

    """
    if timeout is None:
      poll_ms = None
    else:
      poll_ms = int(math.ceil(timeout * 1000.0))
    try:
      if entry.rfd is None:
        (entry.rfd, entry.wfd) = os.pipe()
    except BaseException:
      self._Dequeue(entry, me)
      self._Grant()
      raise
    rfd = entry.rfd
    entry.nwait += 1
    self._mutex.release()
    try:
      if test_notify is not None:
        test_notify()
      poller = select.poll()
      poller.register(rfd, select.POLLIN)
      poller.poll(poll_ms)
    except BaseException:
      self._mutex.acquire()
      self._LeaveWait(entry)
      if entry.state == _GRANTED:
        if self._exc == me:
          self._exc = None
        else:
          self._shr.discard(me)
        self._Grant()
      elif entry.state == _WAITING:
        self._Dequeue(entry, me)
        self._Grant()
      raise
    self._mutex.acquire()
    self._LeaveWait(entry)

  @staticmethod
  def _LeaveWait(entry):
    entry.nwait -= 1
    if entry.nwait == 0 and entry.state != _WAITING:
      entry.ClosePipe()

  def _Enqueue(self, me, shared, priority):
    """Adds the caller to the queue of its priority."""
    if shared:
      entry = self._shared_by_prio.get(priority)
      if entry is not None:
        entry.threads.append(me)
        return entry
    entry = _Pending(shared, priority)
    entry.threads.append(me)
    queue = self._by_prio.get(priority)
    if queue is None:
      queue = collections.deque()
      self._by_prio[priority] = queue
      heapq.heappush(self._heap, (priority, queue))
    queue.append(entry)
    if shared:
      self._shared_by_prio[priority] = entry
    return entry

  def _Dequeue(self, entry, me):
    """Takes a thread whose wait timed out out of its entry."""
    entry.threads.remove(me)
    if entry.threads:
      return
    self._by_prio[entry.priority].remove(entry)
    if entry.shared:
      del self._shared_by_prio[entry.priority]
    if entry.nwait == 0:
      entry.ClosePipe()

  def _Grant(self):
    """Hands the lock to the first pending entry if its mode fits.

    One entry per call: two shared groups of different priorities are
    granted one after the other, as the design's example demands.

    """
    heap = self._heap
    while heap:
      (priority, queue) = heap[0]
      if not queue:
        heapq.heappop(heap)
        del self._by_prio[priority]
        continue
      entry = queue[0]
      if entry.shared:
        if self._exc is not None:
          return
        queue.popleft()
        del self._shared_by_prio[priority]
        self._shr.update(entry.threads)
      else:
        if self._exc is not None or self._shr:
          return
        queue.popleft()
        self._exc = entry.threads[0]
      if not queue:
        heapq.heappop(heap)
        del self._by_prio[priority]
      entry.Notify(_GRANTED)
      return

  # Releasing

  def release(self):
    """Releases the lock held by the calling thread.

    @raise errors.ProgrammerError: the caller does not hold the lock

    """
    me = _get_ident()
    with self._mutex:
      if self._exc == me:
        self._exc = None
      else:
        try:
          self._shr.remove(me)
        except KeyError:
          raise errors.ProgrammerError("Lock %s is not held by this thread,"
                                       " cannot release it" % self.name)
      if self._heap:
        self._Grant()

  def downgrade(self):
    """Turns the caller's exclusive hold into a shared one.

    @return: True (also when the lock was already held shared)
    @raise errors.ProgrammerError: the caller does not hold the lock

    """
    me = _get_ident()
    with self._mutex:
      if self._exc == me:
        self._exc = None
        self._shr.add(me)
        self._Grant()
      elif me not in self._shr:
        raise errors.ProgrammerError("Lock %s is not held by this thread,"
                                     " cannot downgrade it" % self.name)
      return True

  def delete(self, timeout=None, priority=None):
    """Deletes the lock, acquiring it exclusively first unless already held.

    Every pending acquire then fails with L{errors.LockError}, and so does
    every later one.  The lock is not held by anyone afterwards.

    @return: True when deleted, False when the timeout passed first
    @raise errors.LockError: the lock was already deleted
    @raise errors.ProgrammerError: the caller holds the lock in shared mode

    """
    me = _get_ident()
    with self._mutex:
      if self._exc is _DELETED_OWNER:
        raise errors.LockError("Lock %s has already been deleted" % self.name)
      if me in self._shr:
        raise errors.ProgrammerError("Lock %s is held shared by this thread,"
                                     " cannot delete it" % self.name)
      if self._exc != me:
        if not self._AcquireSlow(me, 0, timeout, priority, None):
          return False
      self._exc = _DELETED_OWNER
      for (_, queue) in self._heap:
        for entry in queue:
          entry.Notify(_DELETED)
      del self._heap[:]
      self._by_prio.clear()
      self._shared_by_prio.clear()
      return True

  # Information

  def GetLockInfo(self, requested):
    """Returns [(name, mode, owner, pending)] for query2's lock resource.

    Fields not in C{requested} (a set of LQ_*) are None; a deleted lock
    returns an empty list.  Owners and waiters are thread names (see
    L{SetOwnerName}), natural-sorted within each entry; pending entries
    come in grant order.

    """
    with self._mutex:
      exc = self._exc
      if exc is _DELETED_OWNER:
        return []
      if exc is not None:
        mode = MODE_EXCLUSIVE
        owners = [exc]
      elif self._shr:
        mode = MODE_SHARED
        owners = list(self._shr)
      else:
        mode = None
        owners = []
      if LQ_PENDING in requested:
        waiting = [(entry.shared, list(entry.threads))
                   for (_, queue) in sorted(self._heap, key=lambda i: i[0])
                   for entry in queue]
    if LQ_OWNER in requested and owners:
      owner = _algo.NiceSort(_NamesOf(owners))
    else:
      owner = None
    if LQ_PENDING in requested:
      pending = [[MODE_SHARED if shared else MODE_EXCLUSIVE,
                  _algo.NiceSort(_NamesOf(idents))]
                 for (shared, idents) in waiting]
    else:
      pending = None
    if LQ_MODE not in requested:
      mode = None
    return [(self.name, mode, owner, pending)]
