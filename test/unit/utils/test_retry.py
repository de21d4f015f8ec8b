"""Tests for ganeti.utils.retry: Retry with an injected clock."""

import pytest

from ganeti import errors
from ganeti.utils import retry


class FakeClock:
  """A clock that only advances when somebody waits."""

  def __init__(self):
    self.now = 1000.0
    self.waits = []

  def Time(self):
    return self.now

  def Wait(self, seconds):
    self.waits.append(seconds)
    self.now += seconds


def _Failing(times, result="done", exc_arg=None):
  calls = []

  def fn(*args):
    calls.append(args)
    if len(calls) <= times:
      if exc_arg is None:
        raise retry.RetryAgain()
      raise retry.RetryAgain(exc_arg)
    return result
  return fn, calls


def test_returns_first_success_without_waiting():
  clock = FakeClock()
  fn, calls = _Failing(0)
  assert retry.Retry(fn, 1, 10, wait_fn=clock.Wait,
                     _time_fn=clock.Time) == "done"
  assert calls == [()]
  assert clock.waits == []


def test_passes_args_and_uses_constant_delay():
  clock = FakeClock()
  fn, calls = _Failing(3)
  assert retry.Retry(fn, 2, 100, args=[1, "x"], wait_fn=clock.Wait,
                     _time_fn=clock.Time) == "done"
  assert calls == [(1, "x")] * 4
  assert clock.waits == [2, 2, 2]


def test_exponential_backoff_respects_limit():
  clock = FakeClock()
  fn, _ = _Failing(6)
  retry.Retry(fn, (1.0, 2.0, 5.0), 1000, wait_fn=clock.Wait,
              _time_fn=clock.Time)
  assert clock.waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_exponential_backoff_without_limit():
  clock = FakeClock()
  fn, _ = _Failing(4)
  retry.Retry(fn, (0.5, 3, None), 1000, wait_fn=clock.Wait,
              _time_fn=clock.Time)
  assert clock.waits == [0.5, 1.5, 4.5, 13.5]


def test_callable_delay():
  clock = FakeClock()
  fn, _ = _Failing(2)
  delays = iter([0.25, 0.75])
  retry.Retry(fn, lambda: next(delays), 100, wait_fn=clock.Wait,
              _time_fn=clock.Time)
  assert clock.waits == [0.25, 0.75]


def test_timeout_carries_last_args_and_never_oversleeps():
  clock = FakeClock()
  fn, calls = _Failing(1000, exc_arg="still busy")
  with pytest.raises(retry.RetryTimeout) as info:
    retry.Retry(fn, 3, 10, wait_fn=clock.Wait, _time_fn=clock.Time)
  assert info.value.args == ("still busy", )
  # 0, 3, 6, 9 and a last attempt exactly at the deadline
  assert clock.waits == [3, 3, 3, 1]
  assert len(calls) == 5
  assert clock.now == 1010.0


def test_zero_timeout_calls_once():
  clock = FakeClock()
  fn, calls = _Failing(5)
  with pytest.raises(retry.RetryTimeout):
    retry.Retry(fn, 1, 0, wait_fn=clock.Wait, _time_fn=clock.Time)
  assert len(calls) == 1


def test_remaining_time_delay_waits_whole_rest():
  clock = FakeClock()
  fn, calls = _Failing(1)
  retry.Retry(fn, retry.RETRY_REMAINING_TIME, 7, wait_fn=clock.Wait,
              _time_fn=clock.Time)
  assert clock.waits == [7]
  assert len(calls) == 2


def test_raise_inner_reraises_wrapped_exception():
  clock = FakeClock()
  inner = OSError(5, "I/O error")
  fn, _ = _Failing(100, exc_arg=inner)
  with pytest.raises(retry.RetryTimeout) as info:
    retry.Retry(fn, 1, 2, wait_fn=clock.Wait, _time_fn=clock.Time)
  with pytest.raises(OSError) as reraised:
    info.value.RaiseInner()
  assert reraised.value is inner


def test_raise_inner_without_exception_raises_timeout():
  with pytest.raises(retry.RetryTimeout) as info:
    retry.RetryTimeout("plain").RaiseInner()
  assert info.value.args == ("plain", )


def test_other_exceptions_propagate_immediately():
  clock = FakeClock()

  def fn():
    raise KeyError("boom")
  with pytest.raises(KeyError):
    retry.Retry(fn, 1, 10, wait_fn=clock.Wait, _time_fn=clock.Time)
  assert clock.waits == []


def test_nested_retry_timeout_is_programmer_error():
  def fn():
    raise retry.RetryTimeout()
  with pytest.raises(errors.ProgrammerError, match="Nested retry"):
    retry.Retry(fn, 1, 10, wait_fn=lambda _: None)


@pytest.mark.parametrize("delay", [-1, "1", None, (1, 2), (0, 2, 3),
                                   (1, 0.5, 3), (1, 2, -1), True])
def test_bad_delay_rejected(delay):
  with pytest.raises(ValueError, match="delay"):
    retry.Retry(lambda: 1, delay, 1)


@pytest.mark.parametrize("timeout", ["10", None, True])
def test_bad_timeout_rejected(timeout):
  with pytest.raises(ValueError, match="timeout"):
    retry.Retry(lambda: 1, 1, timeout)


def test_non_callable_rejected():
  with pytest.raises(errors.ProgrammerError, match="callable"):
    retry.Retry("not callable", 1, 1)


def test_simple_retry_value_and_predicate():
  clock = FakeClock()
  values = iter([1, 2, 3, 4])
  assert retry.SimpleRetry(3, lambda: next(values), 1, 100,
                           wait_fn=clock.Wait, _time_fn=clock.Time) == 3
  values = iter([1, 5, 9])
  assert retry.SimpleRetry(lambda v: v > 4, lambda: next(values), 1, 100,
                           wait_fn=clock.Wait, _time_fn=clock.Time) == 5


def test_simple_retry_timeout_returns_last_result():
  clock = FakeClock()
  counter = iter(range(100))
  result = retry.SimpleRetry(-1, lambda: next(counter), 1, 3,
                             wait_fn=clock.Wait, _time_fn=clock.Time)
  assert result == 3


def test_count_retry_limits_attempts():
  calls = []

  def fn(arg):
    calls.append(arg)
    return len(calls)
  assert retry.CountRetry(100, fn, 4, args=["a"]) == 4
  assert calls == ["a"] * 4
  calls[:] = []
  assert retry.CountRetry(2, fn, 10, args=["b"]) == 2
  assert len(calls) == 2


@pytest.mark.parametrize("count", [0, -1, 1.5, "3", True])
def test_count_retry_bad_count(count):
  with pytest.raises(ValueError, match="count"):
    retry.CountRetry(True, lambda: True, count)
