"""Locking and reservation machinery shared by the ConfigWriter modules.

Layer 5 (master side), a helper of ``ganeti.config``: the decorator that
runs ConfigWriter methods under its internal (leaf) lock and calls the
post-save hook after releasing it, and the per-job reservation manager.
It must not do I/O or take any lock other than the ConfigWriter's own.
"""

import functools

from ganeti import errors


#: How often a random resource (MAC, secret, UUID) is drawn before giving up
_GENERATE_RETRIES = 64


class TemporaryReservationManager(object):
  """Resources reserved per execution context (job) until it ends.

  Not thread-safe on its own: ConfigWriter uses it under its lock.

  """
  def __init__(self):
    self._ec_reserved = {}

  def Reserved(self, resource):
    """Whether any context holds ``resource``."""
    return any(resource in held for held in self._ec_reserved.values())

  def Reserve(self, ec_id, resource):
    """Reserve ``resource`` for ``ec_id``.

    @raise errors.ReservationError: if anyone already reserved it

    """
    if self.Reserved(resource):
      raise errors.ReservationError("Duplicate reservation for resource '%s'"
                                    % (resource, ))
    self._ec_reserved.setdefault(ec_id, set()).add(resource)

  def DropECReservations(self, ec_id):
    """Release everything ``ec_id`` holds (unknown ids are fine)."""
    self._ec_reserved.pop(ec_id, None)

  def GetReserved(self):
    """All reserved resources, of every context, as a new set."""
    result = set()
    for held in self._ec_reserved.values():
      result.update(held)
    return result

  def Generate(self, existing, generate_one_fn, ec_id):
    """Draw a resource not in ``existing`` nor reserved, and reserve it.

    @param existing: resources already in use
    @param generate_one_fn: callable returning a candidate (or None)
    @raise errors.ConfigurationError: when no free one came up after
        L{_GENERATE_RETRIES} draws

    """
    if not callable(generate_one_fn):
      raise errors.ProgrammerError("Generate needs a callable, got %r" %
                                   (generate_one_fn, ))
    taken = self.GetReserved()
    taken.update(existing)
    candidate = None
    for _ in range(_GENERATE_RETRIES):
      candidate = generate_one_fn()
      if candidate is not None and candidate not in taken:
        self.Reserve(ec_id, candidate)
        return candidate
    raise errors.ConfigurationError("Unable to generate a new unique resource"
                                    " after %d attempts (last tried: %s)" %
                                    (_GENERATE_RETRIES, candidate))


def ConfigSync(fn):
  """Run a ConfigWriter method under its lock; run save hooks afterwards.

  The hooks collected by C{ConfigWriter._WriteConfig} are called only after
  the lock is released, so a slow distribution never blocks readers.

  """
  @functools.wraps(fn)
  def wrapper(self, *args, **kwargs):
    try:
      with self._lock:
        try:
          return fn(self, *args, **kwargs)
        finally:
          pending, self._pending_saves = self._pending_saves, []
    finally:
      self._RunSaveHook(pending)
  return wrapper
