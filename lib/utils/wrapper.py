"""Small wrappers around operating system calls.

Layer 1 (base). Each helper hides one OS quirk (file descriptor flags,
interrupted system calls, processes vanishing between two calls, temporary
files). Must not import anything above the base layer and must not hold
any state.
"""

import errno
import fcntl
import os
import tempfile


def _CheckFd(fd):
  if isinstance(fd, bool) or not isinstance(fd, int) or fd < 0:
    raise TypeError("File descriptor must be a non-negative integer, got %r"
                    % (fd, ))


def SetCloseOnExecFlag(fd, enable):
  """Set or clear FD_CLOEXEC on a file descriptor.

  @param fd: the file descriptor
  @param enable: whether the descriptor is closed in exec'ed children

  """
  _CheckFd(fd)
  flags = fcntl.fcntl(fd, fcntl.F_GETFD)
  if enable:
    flags |= fcntl.FD_CLOEXEC
  else:
    flags &= ~fcntl.FD_CLOEXEC
  fcntl.fcntl(fd, fcntl.F_SETFD, flags)


def SetNonblockFlag(fd, enable):
  """Set or clear O_NONBLOCK on a file descriptor.

  @param fd: the file descriptor
  @param enable: whether reads and writes return EAGAIN instead of blocking

  """
  _CheckFd(fd)
  flags = fcntl.fcntl(fd, fcntl.F_GETFL)
  if enable:
    flags |= os.O_NONBLOCK
  else:
    flags &= ~os.O_NONBLOCK
  fcntl.fcntl(fd, fcntl.F_SETFL, flags)


def RetryOnSignal(fn, *args, **kwargs):
  """Call fn, calling it again whenever it fails with EINTR.

  Python 3 retries most system calls itself (PEP 475), but C extensions and
  signal handlers raising OSError(EINTR) still need this.

  """
  while True:
    try:
      return fn(*args, **kwargs)
    except EnvironmentError as err:
      if err.errno != errno.EINTR:
        raise


def IgnoreSignals(fn, *args, **kwargs):
  """Call fn, returning None instead of failing when it gets EINTR.

  For loops (select, poll) that re-check their state anyway after a signal.

  """
  try:
    return fn(*args, **kwargs)
  except EnvironmentError as err:
    if err.errno == errno.EINTR:
      return None
    raise


def IgnoreProcessNotFound(fn, *args, **kwargs):
  """Call fn, typically os.kill, treating "no such process" as a result.

  @return: True if fn succeeded, False if the process did not exist

  """
  try:
    fn(*args, **kwargs)
  except EnvironmentError as err:
    if err.errno == errno.ESRCH:
      return False
    raise
  return True


def CloseFdNoError(fd, retries=5):
  """Close a file descriptor, ignoring all errors.

  Used on cleanup paths where a failing close must not hide the error that
  caused the cleanup. EINTR is retried up to ``retries`` times.

  """
  try:
    os.close(fd)
  except OSError as err:
    if err.errno == errno.EINTR and retries > 0:
      CloseFdNoError(fd, retries=retries - 1)
    # Anything else (EBADF, EIO) cannot be acted upon here.


def GetClosedTempfile(*args, **kwargs):
  """Create a temporary file and return its name, with no descriptor open.

  Takes the arguments of tempfile.mkstemp. The caller owns the file and
  must remove it.

  """
  (fd, path) = tempfile.mkstemp(*args, **kwargs)
  CloseFdNoError(fd)
  return path


def IsExecutable(filename):
  """Whether ``filename`` is a regular file the current user may execute."""
  return bool(os.path.isfile(filename) and os.access(filename, os.X_OK))
