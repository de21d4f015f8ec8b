"""Calling a function again until it succeeds or a deadline passes.

Layer 1 (base). The function given to Retry signals "not yet" by raising
RetryAgain; anything else it raises goes straight to the caller. Time and
sleeping are injectable (``wait_fn``, ``_time_fn``) so tests never sleep.
This module must not import anything above the base layer and must not
log: callers decide what a timeout means to them.
"""

import time

from ganeti import errors


#: Special delay value: sleep for the whole remaining time before the one
#: last attempt (useful when the function itself blocks for a while).
RETRY_REMAINING_TIME = object()


class RetryTimeout(Exception):
  """The deadline of a Retry loop passed without success.

  Its arguments are those of the last RetryAgain raised by the function, so
  a caller can re-raise the cause of the last failure with RaiseInner.

  """
  def RaiseInner(self):
    """Raise the exception carried by the last RetryAgain, if any."""
    if self.args and isinstance(self.args[0], Exception):
      raise self.args[0]
    raise RetryTimeout(*self.args)


class RetryAgain(Exception):
  """Raised by a retried function to ask for another attempt.

  Its arguments become the arguments of RetryTimeout when the deadline
  passes; passing the underlying exception makes RaiseInner useful.

  """


class _ExponentialDelay:
  """Delays growing by a factor up to an optional limit."""

  __slots__ = ["_factor", "_limit", "_next"]

  def __init__(self, start, factor, limit):
    if not isinstance(start, (int, float)) or start <= 0:
      raise ValueError("Retry delay start must be a positive number, got %r"
                       % (start, ))
    if not isinstance(factor, (int, float)) or factor < 1.0:
      raise ValueError("Retry delay factor must be a number >= 1.0, got %r"
                       % (factor, ))
    if limit is not None and (not isinstance(limit, (int, float)) or
                              limit < 0):
      raise ValueError("Retry delay limit must be None or a number >= 0,"
                       " got %r" % (limit, ))
    self._factor = factor
    self._limit = limit
    self._next = start if limit is None else min(start, limit)

  def __call__(self):
    current = self._next
    grown = current * self._factor
    self._next = grown if self._limit is None else min(grown, self._limit)
    return current


def _MakeDelayFn(delay):
  """Turn Retry's ``delay`` argument into a function returning the next wait.

  Returns None for RETRY_REMAINING_TIME.

  """
  if delay is RETRY_REMAINING_TIME:
    return None
  if callable(delay):
    return delay
  if isinstance(delay, (tuple, list)):
    if len(delay) != 3:
      raise ValueError("Retry delay tuple must be (start, factor, limit),"
                       " got %r" % (delay, ))
    return _ExponentialDelay(*delay)
  if isinstance(delay, bool) or not isinstance(delay, (int, float)):
    raise ValueError("Retry delay must be a number, a (start, factor, limit)"
                     " tuple, a function or RETRY_REMAINING_TIME, got %r"
                     % (delay, ))
  if delay < 0:
    raise ValueError("Retry delay must not be negative, got %r" % (delay, ))
  return lambda: delay


def Retry(fn, delay, timeout, args=None, wait_fn=time.sleep,
          _time_fn=time.time):
  """Call ``fn(*args)`` until it returns without raising RetryAgain.

  @param fn: the function; raises RetryAgain to ask for another attempt
  @param delay: seconds between attempts: a number, a tuple
      (start, factor, limit) for exponentially growing delays (limit may be
      None), a function returning the next delay, or RETRY_REMAINING_TIME
  @param timeout: seconds after which RetryTimeout is raised; the function
      is always called at least once
  @param args: positional arguments for fn
  @param wait_fn: how to wait (injectable for tests)
  @return: whatever fn returns
  @raise RetryTimeout: the deadline passed; carries the last RetryAgain's
      arguments
  @raise errors.ProgrammerError: fn let a RetryTimeout of an inner Retry
      loop escape, which would otherwise be mistaken for our own timeout

  """
  if not callable(fn):
    raise errors.ProgrammerError("Retry needs a callable, got %r" % (fn, ))
  if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
    raise ValueError("Retry timeout must be a number, got %r" % (timeout, ))
  if args is None:
    args = []
  next_delay = _MakeDelayFn(delay)
  deadline = _time_fn() + timeout

  while True:
    try:
      return fn(*args)
    except RetryAgain as err:
      last_args = err.args
    except RetryTimeout as err:
      raise errors.ProgrammerError("Nested retry loop let RetryTimeout"
                                   " escape from %r" % (fn, )) from err

    remaining = deadline - _time_fn()
    if remaining <= 0.0:
      raise RetryTimeout(*last_args)

    if next_delay is None:
      wait = remaining
    else:
      # Never sleep past the deadline: the last attempt should happen in
      # time, not one full delay after it.
      wait = min(next_delay(), remaining)
    if wait > 0.0:
      wait_fn(wait)


def SimpleRetry(expected, fn, delay, timeout, args=None, wait_fn=time.sleep,
                _time_fn=time.time):
  """Call fn until its result is ``expected`` or the timeout passes.

  @param expected: the wanted result, or a predicate called with the result
  @return: the last result of fn (the wanted one, or the last unwanted one
      on timeout)

  """
  last = []

  def _Attempt(*inner_args):
    result = fn(*inner_args)
    last[:] = [result]
    if callable(expected):
      ok = expected(result)
    else:
      ok = (result == expected)
    if not ok:
      raise RetryAgain()
    return result

  try:
    return Retry(_Attempt, delay, timeout, args=args, wait_fn=wait_fn,
                 _time_fn=_time_fn)
  except RetryTimeout:
    return last[0]


def CountRetry(expected, fn, count, args=None):
  """Call fn at most ``count`` times until its result is ``expected``.

  Implemented as SimpleRetry over a clock that counts attempts instead of
  seconds, so nothing ever sleeps.

  @return: the last result of fn

  """
  if isinstance(count, bool) or not isinstance(count, int) or count < 1:
    raise ValueError("CountRetry count must be a positive integer, got %r"
                     % (count, ))
  attempts = [0]

  def _Tick(step):
    attempts[0] += step

  # The deadline is count-1 "ticks" away and each failed attempt advances
  # the clock by one, so fn runs exactly count times at most.
  return SimpleRetry(expected, fn, 1, count - 1, args=args, wait_fn=_Tick,
                     _time_fn=lambda: attempts[0])
