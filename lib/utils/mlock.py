"""Locking a process's memory in RAM (mlockall).

Layer 1 (base). The node daemon locks itself in memory so that it keeps
answering when the node's disks fail and pages cannot be swapped in.
Must not import anything above the base layer. Locking is only ever done
on explicit request: never at import time.
"""

import logging
import os

from ganeti import errors

try:
  import ctypes
except ImportError:  # pragma: no cover - depends on the Python build
  ctypes = None


#: Flags of mlockall(2), from <sys/mman.h> on Linux
MCL_CURRENT = 1
MCL_FUTURE = 2

_LIBC_NAME = "libc.so.6"


def Mlockall(flags=MCL_CURRENT | MCL_FUTURE, _ctypes=ctypes):
  """Lock the memory of the current process.

  A failing mlockall (limits, missing privileges) is logged and reported
  through the return value, since running unlocked is better than not
  running at all.

  @param flags: MCL_CURRENT and/or MCL_FUTURE
  @return: True if the memory is locked, False if mlockall failed
  @raise errors.NoCtypesError: ctypes (or libc) is not available
  @raise ValueError: invalid flags

  """
  if isinstance(flags, bool) or not isinstance(flags, int) or \
      flags & ~(MCL_CURRENT | MCL_FUTURE) or not flags:
    raise ValueError("Invalid mlockall flags %r, expected a combination of"
                     " MCL_CURRENT (%d) and MCL_FUTURE (%d)"
                     % (flags, MCL_CURRENT, MCL_FUTURE))
  if _ctypes is None:
    raise errors.NoCtypesError("Cannot lock memory: the ctypes module is not"
                               " available")
  try:
    libc = _ctypes.CDLL(_LIBC_NAME, use_errno=True)
  except OSError as err:
    raise errors.NoCtypesError("Cannot lock memory: cannot load %s: %s"
                               % (_LIBC_NAME, err)) from err

  if libc.mlockall(flags):
    code = _ctypes.get_errno()
    logging.error("Cannot set memory lock: %s", os.strerror(code))
    return False
  logging.debug("Memory lock set")
  return True
