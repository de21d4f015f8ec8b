"""Tests for ganeti.utils.wrapper."""

import errno
import fcntl
import os

import pytest

from ganeti.utils import wrapper


@pytest.fixture
def pipe_fds():
  (rfd, wfd) = os.pipe()
  yield rfd, wfd
  for fd in (rfd, wfd):
    try:
      os.close(fd)
    except OSError:
      pass


def test_close_on_exec_flag(pipe_fds):
  rfd, _ = pipe_fds
  wrapper.SetCloseOnExecFlag(rfd, True)
  assert fcntl.fcntl(rfd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
  wrapper.SetCloseOnExecFlag(rfd, False)
  assert not fcntl.fcntl(rfd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC


def test_nonblock_flag(pipe_fds):
  rfd, _ = pipe_fds
  wrapper.SetNonblockFlag(rfd, True)
  assert fcntl.fcntl(rfd, fcntl.F_GETFL) & os.O_NONBLOCK
  with pytest.raises(BlockingIOError):
    os.read(rfd, 1)
  wrapper.SetNonblockFlag(rfd, False)
  assert not fcntl.fcntl(rfd, fcntl.F_GETFL) & os.O_NONBLOCK


@pytest.mark.parametrize("fd", [-1, "3", None, True, 1.0])
def test_flag_setters_reject_bad_fds(fd):
  with pytest.raises(TypeError, match="File descriptor"):
    wrapper.SetCloseOnExecFlag(fd, True)
  with pytest.raises(TypeError, match="File descriptor"):
    wrapper.SetNonblockFlag(fd, True)


def test_flag_setters_on_closed_fd(pipe_fds):
  rfd, _ = pipe_fds
  os.close(rfd)
  with pytest.raises(OSError):
    wrapper.SetCloseOnExecFlag(rfd, True)


def _InterruptedTimes(times, result):
  state = {"calls": 0}

  def fn(*args, **kwargs):
    state["calls"] += 1
    if state["calls"] <= times:
      raise OSError(errno.EINTR, "Interrupted")
    return (result, args, kwargs)
  return fn, state


def test_retry_on_signal_retries_eintr():
  fn, state = _InterruptedTimes(3, "ok")
  assert wrapper.RetryOnSignal(fn, 1, key=2) == ("ok", (1, ), {"key": 2})
  assert state["calls"] == 4


def test_retry_on_signal_passes_other_errors():
  def fn():
    raise OSError(errno.EIO, "I/O")
  with pytest.raises(OSError) as info:
    wrapper.RetryOnSignal(fn)
  assert info.value.errno == errno.EIO


def test_ignore_signals():
  fn, _ = _InterruptedTimes(1, "ok")
  assert wrapper.IgnoreSignals(fn) is None
  assert wrapper.IgnoreSignals(fn)[0] == "ok"

  def bad():
    raise OSError(errno.EBADF, "bad fd")
  with pytest.raises(OSError):
    wrapper.IgnoreSignals(bad)


def test_ignore_process_not_found():
  def gone():
    raise OSError(errno.ESRCH, "No such process")

  def denied():
    raise OSError(errno.EPERM, "Not permitted")
  assert wrapper.IgnoreProcessNotFound(gone) is False
  assert wrapper.IgnoreProcessNotFound(lambda: None) is True
  with pytest.raises(OSError):
    wrapper.IgnoreProcessNotFound(denied)


def test_close_fd_no_error(pipe_fds):
  rfd, _ = pipe_fds
  wrapper.CloseFdNoError(rfd)
  with pytest.raises(OSError):
    os.fstat(rfd)
  # Closing again (EBADF) must not raise
  wrapper.CloseFdNoError(rfd)


def test_get_closed_tempfile(tmp_path):
  path = wrapper.GetClosedTempfile(dir=str(tmp_path), prefix="x")
  assert os.path.isfile(path)
  assert os.path.basename(path).startswith("x")
  assert os.path.dirname(path) == str(tmp_path)


def test_get_closed_tempfile_bad_dir(tmp_path):
  with pytest.raises(FileNotFoundError):
    wrapper.GetClosedTempfile(dir=str(tmp_path / "missing"))


def test_is_executable(tmp_path):
  script = tmp_path / "script"
  script.write_text("#!/bin/sh\n")
  assert not wrapper.IsExecutable(str(script))
  script.chmod(0o755)
  assert wrapper.IsExecutable(str(script))
  assert not wrapper.IsExecutable(str(tmp_path))
  assert not wrapper.IsExecutable(str(tmp_path / "missing"))
