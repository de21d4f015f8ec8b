"""Advisory file locks (flock) with timeouts.

Layer 1 (base). Lock files coordinate processes: the job queue lock, the
ssconf lock, pid files, the watcher locks, uid-pool locks. Locks are
flock(2) locks, so they belong to the open file description and vanish
when the holder dies. Must not import anything above the base layer.
"""

import errno
import fcntl
import logging
import os

from ganeti import errors
from ganeti.utils import retry as utils_retry


#: Poll schedule while waiting for a lock with a timeout: start at 0.1 s,
#: grow by 1.2 up to 1 s between attempts
_LOCK_RETRY_DELAY = (0.1, 1.2, 1.0)


def LockFile(fd):
  """Take an exclusive lock on an open file without waiting.

  @param fd: file descriptor or file object
  @raise errors.LockError: somebody else holds a lock on the file

  """
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except OSError as err:
    if err.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
      raise errors.LockError("File already locked") from err
    raise


class FileLock:
  """An flock-based lock on one file, shared or exclusive.

  The object owns the open file; Close releases the lock. Without a
  timeout and with blocking=False, a busy lock fails at once with
  errors.LockError; with a timeout, the lock is polled until it passes.

  """
  def __init__(self, fd, filename):
    """
    @param fd: an open file object or an integer descriptor (ownership is
        taken over either way)
    @param filename: the file's name, used in error messages

    """
    if isinstance(fd, bool):
      raise TypeError("FileLock needs a file or descriptor, got %r" % (fd, ))
    if isinstance(fd, int):
      fd = os.fdopen(fd, "r+b", buffering=0)
    elif not hasattr(fd, "fileno"):
      raise TypeError("FileLock needs a file or descriptor for %s, got %r"
                      % (filename, fd))
    self.fd = fd
    self.filename = filename

  @classmethod
  def Open(cls, filename):
    """Open (creating if needed, never truncating) a lock file.

    @raise errors.LockError: the file cannot be opened or created

    """
    try:
      fd = os.open(filename, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o664)
    except OSError as err:
      raise errors.LockError("Cannot open lock file %s: %s"
                             % (filename, err)) from err
    return cls(fd, filename)

  def __del__(self):
    self.Close()

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.Close()

  def fileno(self):
    """The descriptor of the lock file, for fstat and the like."""
    if self.fd is None:
      raise errors.LockError("Lock file %s is closed" % self.filename)
    return self.fd.fileno()

  def Close(self):
    """Close the file, dropping any lock held through it."""
    fd = getattr(self, "fd", None)
    if fd is not None:
      self.fd = None
      fd.close()

  def _Flock(self, flag, blocking, timeout, errmsg):
    if self.fd is None:
      raise errors.LockError("Lock on %s was already closed" % self.filename)
    if timeout is not None:
      if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
          or timeout < 0:
        raise ValueError("Lock timeout for %s must be a non-negative number"
                         " or None, got %r" % (self.filename, timeout))
    if not (timeout is None and blocking):
      flag |= fcntl.LOCK_NB

    if timeout is None:
      self._TryLock(flag, False, errmsg)
      return
    try:
      utils_retry.Retry(self._TryLock, _LOCK_RETRY_DELAY, timeout,
                        args=(flag, True, errmsg))
    except utils_retry.RetryTimeout:
      raise errors.LockError("%s (timeout %ss)" % (errmsg, timeout)) from None

  def _TryLock(self, flag, retry, errmsg):
    try:
      fcntl.flock(self.fd, flag)
    except OSError as err:
      if err.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
        if retry:
          raise utils_retry.RetryAgain() from None
        raise errors.LockError(errmsg) from err
      logging.exception("flock on %s failed", self.filename)
      raise

  def Exclusive(self, blocking=False, timeout=None):
    """Take the lock exclusively.

    @param blocking: wait as long as needed (only without timeout)
    @param timeout: seconds to keep trying, or None
    @raise errors.LockError: the lock is busy (after timeout, if given)

    """
    self._Flock(fcntl.LOCK_EX, blocking, timeout,
                "Failed to lock %s in exclusive mode" % self.filename)

  def Shared(self, blocking=False, timeout=None):
    """Take the lock in shared mode (several holders at once)."""
    self._Flock(fcntl.LOCK_SH, blocking, timeout,
                "Failed to lock %s in shared mode" % self.filename)

  def Unlock(self, blocking=True, timeout=None):
    """Release the lock, keeping the file open."""
    self._Flock(fcntl.LOCK_UN, blocking, timeout,
                "Failed to unlock %s" % self.filename)
