"""Tests for ganeti.utils.filelock, including contention between processes."""

import fcntl
import os
import subprocess
import sys
import textwrap
import time

import pytest

from ganeti import errors
from ganeti.utils import filelock


def _HoldLockInChild(path, mode, seconds):
  """Start a process holding an flock on path; returns once it is held."""
  script = textwrap.dedent("""
    import fcntl, sys, time
    fd = open(sys.argv[1], "a")
    fcntl.flock(fd, fcntl.LOCK_SH if sys.argv[2] == "shared" else
                fcntl.LOCK_EX)
    sys.stdout.write("locked\\n")
    sys.stdout.flush()
    time.sleep(float(sys.argv[3]))
  """)
  child = subprocess.Popen([sys.executable, "-c", script, path, mode,
                            str(seconds)], stdout=subprocess.PIPE)
  assert child.stdout.readline() == b"locked\n"
  return child


def _Reap(child):
  child.kill()
  child.wait()
  child.stdout.close()


def test_open_creates_file_without_truncating(tmp_path):
  path = tmp_path / "lock"
  path.write_text("keep")
  lock = filelock.FileLock.Open(str(path))
  lock.Exclusive()
  lock.Close()
  assert path.read_text() == "keep"
  new = tmp_path / "new"
  with filelock.FileLock.Open(str(new)) as lock2:
    lock2.Shared()
  assert new.exists()


def test_open_in_missing_dir_is_lock_error(tmp_path):
  with pytest.raises(errors.LockError, match="missing"):
    filelock.FileLock.Open(str(tmp_path / "missing" / "lock"))


def test_exclusive_contention_in_process(tmp_path):
  path = str(tmp_path / "lock")
  first = filelock.FileLock.Open(path)
  second = filelock.FileLock.Open(path)
  try:
    first.Exclusive()
    with pytest.raises(errors.LockError, match="exclusive mode"):
      second.Exclusive()
    with pytest.raises(errors.LockError, match="shared mode"):
      second.Shared()
    first.Unlock()
    second.Shared()
    first.Shared()
    with pytest.raises(errors.LockError, match=path):
      second.Exclusive(timeout=0)
  finally:
    first.Close()
    second.Close()


def test_contention_with_other_process_times_out(tmp_path):
  path = str(tmp_path / "lock")
  child = _HoldLockInChild(path, "exclusive", 30)
  try:
    lock = filelock.FileLock.Open(path)
    start = time.monotonic()
    with pytest.raises(errors.LockError) as info:
      lock.Exclusive(timeout=0.5)
    elapsed = time.monotonic() - start
    assert 0.4 <= elapsed < 5
    assert path in str(info.value)
    assert "timeout" in str(info.value)
    with pytest.raises(errors.LockError):
      lock.Shared(blocking=False)
    lock.Close()
  finally:
    _Reap(child)


def test_shared_locks_coexist_across_processes(tmp_path):
  path = str(tmp_path / "lock")
  child = _HoldLockInChild(path, "shared", 30)
  try:
    lock = filelock.FileLock.Open(path)
    lock.Shared(timeout=1)
    with pytest.raises(errors.LockError):
      lock.Exclusive(timeout=0.2)
    lock.Close()
  finally:
    _Reap(child)


def test_lock_acquired_when_other_process_exits(tmp_path):
  path = str(tmp_path / "lock")
  child = _HoldLockInChild(path, "exclusive", 0.5)
  try:
    lock = filelock.FileLock.Open(path)
    start = time.monotonic()
    lock.Exclusive(timeout=10)
    # granted once the holder is gone, long before the timeout
    assert time.monotonic() - start < 9
    lock.Close()
  finally:
    _Reap(child)


def test_blocking_exclusive_waits(tmp_path):
  path = str(tmp_path / "lock")
  child = _HoldLockInChild(path, "exclusive", 0.3)
  try:
    lock = filelock.FileLock.Open(path)
    lock.Exclusive(blocking=True)
    assert child.wait(timeout=10) == 0
    lock.Close()
  finally:
    _Reap(child)


def test_closed_lock_refuses_operations(tmp_path):
  lock = filelock.FileLock.Open(str(tmp_path / "lock"))
  lock.Close()
  lock.Close()
  with pytest.raises(errors.LockError, match="closed"):
    lock.Exclusive()
  with pytest.raises(errors.LockError, match="closed"):
    lock.fileno()


@pytest.mark.parametrize("timeout", [-1, "1", True])
def test_bad_timeout(tmp_path, timeout):
  with filelock.FileLock.Open(str(tmp_path / "lock")) as lock:
    with pytest.raises(ValueError, match="timeout"):
      lock.Exclusive(timeout=timeout)


def test_constructor_from_fd_and_file(tmp_path):
  path = str(tmp_path / "lock")
  fd = os.open(path, os.O_RDWR | os.O_CREAT)
  lock = filelock.FileLock(fd, path)
  lock.Exclusive()
  assert lock.fileno() == fd
  lock.Close()
  with pytest.raises(OSError):
    os.fstat(fd)
  handle = open(path, "r+")
  lock = filelock.FileLock(handle, path)
  lock.Shared()
  lock.Close()
  assert handle.closed
  with pytest.raises(TypeError, match="file or descriptor"):
    filelock.FileLock("not a file", path)
  with pytest.raises(TypeError, match="file or descriptor"):
    filelock.FileLock(True, path)


def test_lock_file_helper(tmp_path):
  path = str(tmp_path / "lock")
  fd1 = os.open(path, os.O_RDWR | os.O_CREAT)
  fd2 = os.open(path, os.O_RDWR)
  try:
    filelock.LockFile(fd1)
    with pytest.raises(errors.LockError, match="already locked"):
      filelock.LockFile(fd2)
    fcntl.flock(fd1, fcntl.LOCK_UN)
    filelock.LockFile(fd2)
  finally:
    os.close(fd1)
    os.close(fd2)
  with pytest.raises(OSError):
    filelock.LockFile(fd1)
