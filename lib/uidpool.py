"""User-id pool: parsing, checking and per-node allocation of uids.

Layer 3 (node side).  The cluster keeps a pool of user ids (ranges such as
``1000-2000,3000``) so that hypervisor processes of different instances can
run under different, unprivileged users.  This module converts the pool
between its text form (command line, ssconf) and its list form (a sorted
list of inclusive ``(lower, higher)`` tuples, as stored in the
configuration), checks it, and on a node hands out uids nobody uses:
a uid is taken by holding an exclusive lock on the file named after it in
the uid-pool lock directory, and only if no process runs under that uid.

It must not import master-side modules, and must not change the pool kept
in the configuration: the caller (an LU or the hypervisor) owns that.
"""

import errno
import logging
import os
import random
import re
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

import psutil

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils


UidRange = Tuple[int, int]

_UID_RE = re.compile(r"[0-9]+")

#: Default separator when parsing; formatting adds a space for readability,
#: which parsing tolerates
_DEFAULT_PARSE_SEPARATOR = ","
_DEFAULT_FORMAT_SEPARATOR = ", "


def _UidBounds() -> Tuple[int, int]:
  return (constants.UIDPOOL_UID_MIN, constants.UIDPOOL_UID_MAX)


def _CheckUidRange(lower: int, higher: int, what: str) -> None:
  """Check the order and bounds of one range.

  @param what: how the range is shown in error messages

  """
  (uid_min, uid_max) = _UidBounds()
  if lower > higher:
    raise errors.OpPrereqError("Invalid user-id range %s: lower boundary %d is"
                               " larger than higher boundary %d" %
                               (what, lower, higher), errors.ECODE_INVAL)
  if lower < uid_min or higher > uid_max:
    raise errors.OpPrereqError("User-id range %s is outside of the allowed"
                               " user-ids %d-%d" % (what, uid_min, uid_max),
                               errors.ECODE_INVAL)


def _ParseUid(text: str, piece: str) -> int:
  text = text.strip()
  # int() alone would take "+5", "1_000" and non-ASCII digits
  if not _UID_RE.fullmatch(text):
    raise errors.OpPrereqError("Invalid user-id value %r in user-id range"
                               " definition %r" % (text, piece),
                               errors.ECODE_INVAL)
  return int(text)


def ParseUidPool(value: str,
                 separator: Optional[str] = None) -> List[UidRange]:
  """Parse the text form of a user-id pool.

  The text is a list of single uids (``N``) and inclusive ranges (``N-M``)
  separated by ``separator`` (a comma by default; ssconf uses newlines).
  Whitespace around pieces and numbers is ignored, empty pieces skipped.

  @return: the ranges as ``(lower, higher)`` tuples, sorted
  @raise errors.OpPrereqError: naming the offending piece, for text that is
      not a uid or range, ranges whose lower end is above the higher one and
      uids outside of the allowed range

  """
  if not isinstance(value, str):
    raise errors.OpPrereqError("User-id pool must be given as a string, not"
                               " %s (%r)" % (type(value).__name__, value),
                               errors.ECODE_INVAL)
  if separator is None:
    separator = _DEFAULT_PARSE_SEPARATOR
  elif not isinstance(separator, str) or not separator:
    raise errors.ProgrammerError("Invalid user-id pool separator %r" %
                                 (separator, ))

  ranges = []
  for piece in value.split(separator):
    piece = piece.strip()
    if not piece:
      continue
    boundaries = piece.split("-")
    if len(boundaries) > 2:
      raise errors.OpPrereqError("Invalid user-id range definition %r: only"
                                 " one hyphen allowed" % piece,
                                 errors.ECODE_INVAL)
    lower = _ParseUid(boundaries[0], piece)
    higher = _ParseUid(boundaries[-1], piece)
    _CheckUidRange(lower, higher, repr(piece))
    ranges.append((lower, higher))

  ranges.sort()
  return ranges


def _NormaliseRange(range_def: Any) -> UidRange:
  """Return a range as a tuple of two ints, checking only its shape.

  Ranges that crossed JSON (configuration, LUXI) arrive as lists.

  """
  if (not isinstance(range_def, (tuple, list)) or len(range_def) != 2 or
      not all(isinstance(i, int) and not isinstance(i, bool)
              for i in range_def)):
    raise errors.OpPrereqError("Invalid user-id range %r: expected a pair of"
                               " integers" % (range_def, ), errors.ECODE_INVAL)
  return (range_def[0], range_def[1])


def _CheckPoolType(uid_pool: Any, what: str) -> None:
  if not isinstance(uid_pool, (list, tuple)):
    raise errors.OpPrereqError("Invalid %s %r: expected a list of ranges, not"
                               " %s" % (what, uid_pool,
                                        type(uid_pool).__name__),
                               errors.ECODE_INVAL)


def AddToUidPool(uid_pool: List[UidRange],
                 add_uids: Sequence[UidRange]) -> None:
  """Add ranges to a pool, in place.

  Ranges already present are not added twice; the pool ends up sorted and
  made of tuples.  Overlaps are left for L{CheckUidPool} to report.

  """
  _CheckPoolType(uid_pool, "user-id pool")
  _CheckPoolType(add_uids, "list of user-id ranges to add")
  normalised = [_NormaliseRange(r) for r in uid_pool]
  for range_def in add_uids:
    range_def = _NormaliseRange(range_def)
    if range_def not in normalised:
      normalised.append(range_def)
  uid_pool[:] = sorted(normalised)


def RemoveFromUidPool(uid_pool: List[UidRange],
                      remove_uids: Sequence[UidRange]) -> None:
  """Remove ranges from a pool, in place.

  Only whole ranges exactly as they are in the pool can be removed.

  @raise errors.OpPrereqError: when a range is not in the pool (the pool
      is then left unchanged)

  """
  _CheckPoolType(uid_pool, "user-id pool")
  _CheckPoolType(remove_uids, "list of user-id ranges to remove")
  normalised = [_NormaliseRange(r) for r in uid_pool]
  for range_def in remove_uids:
    range_def = _NormaliseRange(range_def)
    if range_def not in normalised:
      raise errors.OpPrereqError("User-id range to be removed is not found in"
                                 " the current user-id pool: %s" %
                                 _FormatUidRange(*range_def),
                                 errors.ECODE_INVAL)
    normalised.remove(range_def)
  uid_pool[:] = sorted(normalised)


def _FormatUidRange(lower: int, higher: int) -> str:
  if lower == higher:
    return str(lower)
  return "%s-%s" % (lower, higher)


def FormatUidPool(uid_pool: Iterable[UidRange],
                  separator: Optional[str] = None) -> str:
  """Render a pool as text, the inverse of L{ParseUidPool}.

  @param separator: put between ranges; ``", "`` by default

  """
  if separator is None:
    separator = _DEFAULT_FORMAT_SEPARATOR
  _CheckPoolType(uid_pool, "user-id pool")
  return separator.join(_FormatUidRange(*_NormaliseRange(r))
                        for r in uid_pool)


def CheckUidPool(uid_pool: Sequence[UidRange]) -> None:
  """Check a pool's types, bounds and that no two ranges overlap.

  @raise errors.OpPrereqError: naming the offending range(s)

  """
  _CheckPoolType(uid_pool, "user-id pool")
  ranges = sorted(_NormaliseRange(r) for r in uid_pool)
  for (lower, higher) in ranges:
    _CheckUidRange(lower, higher, _FormatUidRange(lower, higher))
  for (prev, cur) in zip(ranges, ranges[1:]):
    if cur[0] <= prev[1]:
      raise errors.OpPrereqError("User-id ranges %s and %s overlap" %
                                 (_FormatUidRange(*prev),
                                  _FormatUidRange(*cur)),
                                 errors.ECODE_INVAL)


def ExpandUidPool(uid_pool: Iterable[UidRange]) -> List[int]:
  """Return every uid of the pool once, in ascending order.

  """
  _CheckPoolType(uid_pool, "user-id pool")
  uids = set()
  for range_def in uid_pool:
    (lower, higher) = _NormaliseRange(range_def)
    uids.update(range(lower, higher + 1))
  return sorted(uids)


def _IsUidUsed(uid: int) -> bool:
  """Tell whether any process runs with ``uid`` as real, effective or saved
  user id.

  """
  for proc in psutil.process_iter(["uids"]):
    uids = proc.info.get("uids")
    if uids is None:
      # Could not be inspected (vanished or access denied); ignoring it is
      # the best we can do, and matches what pgrep would report
      continue
    if uid in (uids.real, uids.effective, uids.saved):
      return True
  return False


class LockedUid(object):
  """A uid taken from the pool, with the lock that keeps it ours.

  While the lock is held no other request on this node hands out the same
  uid.  L{Unlock} drops the lock but leaves the lock file, marking the uid as
  in use (by the instance now running under it) until L{ReleaseUid}.

  """
  def __init__(self, uid: int, lock: "utils.FileLock"):
    self._uid = uid
    self._lock = lock

  def GetLock(self) -> "utils.FileLock":
    """Return the file lock held for the uid."""
    return self._lock

  def GetUid(self) -> int:
    """Return the uid."""
    return self._uid

  def AsStr(self) -> str:
    """Return the uid as text (the lock file's name)."""
    return str(self._uid)

  def Unlock(self) -> None:
    """Release the lock and close its file; the lock file stays."""
    self._lock.Close()

  #: Alias, for callers that think of the lock as released rather than
  #: unlocked; the lock file stays either way
  Release = Unlock

  def __repr__(self) -> str:
    return "<LockedUid %s>" % self._uid


def _LockDir() -> str:
  return pathutils.UIDPOOL_LOCKDIR


def _TryLockUid(uid: int) -> Optional[LockedUid]:
  """Try to take ``uid``; return None when someone else has it.

  """
  uid_path = os.path.join(_LockDir(), str(uid))
  try:
    # Whether the file already exists does not matter, only whether
    # somebody holds a lock on it
    lock = utils.FileLock.Open(uid_path)
  except (EnvironmentError, errors.LockError) as err:
    raise errors.LockError("Failed to create lock file %s for user-id %s: %s" %
                           (uid_path, uid, err))
  try:
    lock.Exclusive(blocking=False)
  except EnvironmentError as err:
    lock.Close()
    if err.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
      logging.debug("Lock file for user-id %s is locked elsewhere", uid)
      return None
    raise errors.LockError("Failed to lock %s for user-id %s: %s" %
                           (uid_path, uid, err))
  except errors.LockError as err:
    lock.Close()
    logging.debug("Lock file for user-id %s is locked elsewhere: %s", uid, err)
    return None

  try:
    used = _IsUidUsed(uid)
  except Exception:
    lock.Close()
    raise
  if used:
    logging.debug("A process is already running under user-id %s", uid)
    lock.Close()
    return None
  return LockedUid(uid, lock)


def RequestUnusedUid(all_uids: Iterable[int]) -> LockedUid:
  """Take a uid of the pool that is free on this node.

  Candidates are tried in random order, those without a lock file first (a
  lock file left by an instance that stopped without releasing its uid is
  reused only when nothing else is left).  A candidate is taken when its
  lock file can be locked exclusively without waiting and no process runs
  under it.

  @param all_uids: the expanded pool (see L{ExpandUidPool})
  @return: the uid with its lock held; the caller must L{ReleaseUid} it
      (or L{LockedUid.Unlock} it, keeping it marked as used)
  @raise errors.LockError: when the lock directory is unusable or every
      uid is taken

  """
  all_uids = set(all_uids)
  for uid in all_uids:
    if not isinstance(uid, int) or isinstance(uid, bool):
      raise errors.ProgrammerError("Invalid user-id %r in the list of uids"
                                   " to choose from" % (uid, ))
  lockdir = _LockDir()
  try:
    os.makedirs(lockdir, mode=0o755, exist_ok=True)
  except OSError as err:
    raise errors.LockError("Failed to create user-id pool lock directory"
                           " %s: %s" % (lockdir, err))

  try:
    taken_uids = set()
    for name in os.listdir(lockdir):
      # Entries that are not uids (editor leftovers, ...) are ignored
      if _UID_RE.fullmatch(name):
        taken_uids.add(int(name))
  except OSError as err:
    raise errors.LockError("Failed to list used user-ids in %s: %s" %
                           (lockdir, err))

  taken_uids &= all_uids
  unused_uids = list(all_uids - taken_uids)
  if all_uids and not unused_uids:
    logging.info("All user-ids of the pool have a lock file in %s", lockdir)
  random.shuffle(unused_uids)
  taken_list = list(taken_uids)
  random.shuffle(taken_list)

  for uid in unused_uids + taken_list:
    locked = _TryLockUid(uid)
    if locked is not None:
      return locked

  raise errors.LockError("Failed to find an unused user-id among %d user-ids"
                         " of the pool (lock directory %s)" %
                         (len(all_uids), lockdir))


def ReleaseUid(uid: Any) -> None:
  """Give a uid back to the pool by removing its lock file.

  @param uid: a L{LockedUid} (its lock is released first) or a plain uid
  @raise errors.LockError: when the lock file cannot be removed (for
      instance because it does not exist)

  """
  if isinstance(uid, LockedUid):
    uid.Unlock()
    name = uid.AsStr()
  elif isinstance(uid, int) and not isinstance(uid, bool):
    name = str(uid)
  else:
    raise errors.ProgrammerError("Cannot release user-id %r of type %s" %
                                 (uid, type(uid).__name__))
  uid_path = os.path.join(_LockDir(), name)
  try:
    os.remove(uid_path)
  except OSError as err:
    raise errors.LockError("Failed to remove lock file %s of user-id %s: %s" %
                           (uid_path, name, err))


def ExecWithUnusedUid(fn: Callable, all_uids: Iterable[int],
                      *args, **kwargs) -> Any:
  """Run ``fn(*args, uid=<free uid>, **kwargs)`` with a uid of the pool.

  If ``fn`` fails the uid goes back to the pool; if it succeeds the lock is
  dropped but the lock file stays, so the uid remains marked as used (by
  whatever ``fn`` started) until L{ReleaseUid}.

  """
  if "uid" in kwargs:
    raise errors.ProgrammerError("ExecWithUnusedUid chooses the uid itself;"
                                 " do not pass 'uid' (got %r)" %
                                 (kwargs["uid"], ))
  locked = RequestUnusedUid(all_uids)
  kwargs["uid"] = locked.GetUid()
  try:
    result = fn(*args, **kwargs)
  except BaseException:
    ReleaseUid(locked)
    raise
  locked.Unlock()
  return result
