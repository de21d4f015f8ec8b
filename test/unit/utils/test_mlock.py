"""Tests for ganeti.utils.mlock; locking happens only in child processes."""

import subprocess
import sys
import textwrap

import pytest

from ganeti import errors
from ganeti.utils import mlock


_CHILD = textwrap.dedent("""
  import logging, resource, sys
  from ganeti.utils import mlock
  logging.basicConfig(stream=sys.stdout, level=logging.DEBUG,
                      format="%(levelname)s %(message)s")
  limit = int(sys.argv[1])
  if limit >= 0:
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit, limit))
  print("RESULT", mlock.Mlockall(mlock.MCL_CURRENT), flush=True)
""")


def _RunChild(limit):
  return subprocess.run([sys.executable, "-c", _CHILD, str(limit)],
                        capture_output=True, text=True, timeout=60)


def test_mlockall_in_child_succeeds_or_fails_cleanly():
  # A tiny limit makes unprivileged mlockall fail (root may still lock);
  # either way the call must return a clear result and log it.
  result = _RunChild(4096)
  assert result.returncode == 0, result.stderr
  if "RESULT True" in result.stdout:
    assert "Memory lock set" in result.stdout
  else:
    assert "RESULT False" in result.stdout
    assert "ERROR Cannot set memory lock:" in result.stdout


def test_mlockall_without_ctypes():
  with pytest.raises(errors.NoCtypesError, match="ctypes"):
    mlock.Mlockall(_ctypes=None)


def test_mlockall_missing_libc(monkeypatch):
  class _NoLibc:
    @staticmethod
    def CDLL(name, use_errno=False):
      raise OSError("%s: cannot open shared object file" % name)
  with pytest.raises(errors.NoCtypesError, match="libc.so.6"):
    mlock.Mlockall(_ctypes=_NoLibc)


def test_mlockall_failure_reported(caplog):
  class _Libc:
    @staticmethod
    def mlockall(flags):
      assert flags == mlock.MCL_CURRENT | mlock.MCL_FUTURE
      return -1

  class _FakeCtypes:
    @staticmethod
    def CDLL(name, use_errno=False):
      assert use_errno
      return _Libc()

    @staticmethod
    def get_errno():
      return 12

  with caplog.at_level("ERROR"):
    assert mlock.Mlockall(_ctypes=_FakeCtypes) is False
  assert "Cannot allocate memory" in caplog.text


@pytest.mark.parametrize("flags", [0, 4, -1, "1", True, None])
def test_mlockall_bad_flags(flags):
  with pytest.raises(ValueError, match="Invalid mlockall flags"):
    mlock.Mlockall(flags)
