"""Tests for ganeti.uidpool: pool syntax, checks and uid allocation."""

import fcntl
import os
import subprocess
import sys

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import uidpool


UID_MAX = constants.UIDPOOL_UID_MAX

# High uids nobody runs processes under on a test machine
FREE_BASE = 3000000000


def _UidsInUse():
  used = set()
  for proc in psutil.process_iter(["uids"]):
    uids = proc.info.get("uids")
    if uids is not None:
      used.update(uids)
  return used


@pytest.fixture
def lockdir(tmp_path, monkeypatch):
  path = tmp_path / "uid-pool"
  monkeypatch.setattr(pathutils, "UIDPOOL_LOCKDIR", str(path))
  return path


@pytest.fixture
def free_uids():
  uids = [FREE_BASE + i for i in range(5)]
  assert not set(uids) & _UidsInUse()
  return uids


# Pools in canonical form: sorted, non-overlapping, non-adjacent not needed
@st.composite
def _Pools(draw):
  points = draw(st.lists(st.integers(min_value=0, max_value=UID_MAX),
                         unique=True, max_size=16))
  points.sort()
  ranges = []
  i = 0
  while i < len(points):
    if i + 1 < len(points) and draw(st.booleans()):
      ranges.append((points[i], points[i + 1]))
      i += 2
    else:
      ranges.append((points[i], points[i]))
      i += 1
  return ranges


class TestParse:
  @pytest.mark.parametrize("text, expected", [
    ("", []),
    ("1000", [(1000, 1000)]),
    ("1000-2000", [(1000, 2000)]),
    ("1000-2000,8000,9000-9010", [(1000, 2000), (8000, 8000), (9000, 9010)]),
    ("9000-9010, 8000 , 1000 - 2000", [(1000, 2000), (8000, 8000),
                                       (9000, 9010)]),
    (" ,1, ,", [(1, 1)]),
    ("0-%d" % UID_MAX, [(0, UID_MAX)]),
    ("5-5", [(5, 5)]),
    ])
  def test_valid(self, text, expected):
    assert uidpool.ParseUidPool(text) == expected

  def test_custom_separator(self):
    assert uidpool.ParseUidPool("1000-2000\n3000\n", separator="\n") == \
      [(1000, 2000), (3000, 3000)]
    # Commas are not special with another separator
    with pytest.raises(errors.OpPrereqError, match="1,2"):
      uidpool.ParseUidPool("1,2\n3", separator="\n")

  @pytest.mark.parametrize("text, piece", [
    ("abc", "abc"),
    ("1000,abc-2000", "abc-2000"),
    ("1-2-3", "1-2-3"),
    ("-5", "-5"),
    ("5-", "5-"),
    ("+5", "+5"),
    ("1_000", "1_000"),
    ("1.5", "1.5"),
    ("\u0661\u0662", "\u0661\u0662"),
    ])
  def test_malformed_pieces_are_named(self, text, piece):
    with pytest.raises(errors.OpPrereqError) as exc:
      uidpool.ParseUidPool(text)
    assert repr(piece) in str(exc.value)
    assert exc.value.args[1] == errors.ECODE_INVAL

  def test_reversed_range(self):
    with pytest.raises(errors.OpPrereqError) as exc:
      uidpool.ParseUidPool("100,2000-1000")
    assert "2000-1000" in str(exc.value)
    assert "larger" in str(exc.value)

  @pytest.mark.parametrize("text", ["%d" % (UID_MAX + 1),
                                    "1-%d" % (UID_MAX + 1)])
  def test_out_of_range(self, text):
    with pytest.raises(errors.OpPrereqError) as exc:
      uidpool.ParseUidPool(text)
    assert text in str(exc.value)
    assert "outside" in str(exc.value)

  @pytest.mark.parametrize("value", [None, 5, ["1-2"], b"1-2"])
  def test_non_string(self, value):
    with pytest.raises(errors.OpPrereqError, match="string"):
      uidpool.ParseUidPool(value)

  @pytest.mark.parametrize("separator", ["", 5])
  def test_bad_separator(self, separator):
    with pytest.raises(errors.ProgrammerError, match="separator"):
      uidpool.ParseUidPool("1", separator=separator)


class TestFormat:
  def test_default_separator(self):
    assert uidpool.FormatUidPool([(1000, 2000), (3000, 3000)]) == \
      "1000-2000, 3000"

  def test_custom_separator(self):
    assert uidpool.FormatUidPool([(1, 2), (5, 5)], separator="\n") == \
      "1-2\n5"

  def test_empty(self):
    assert uidpool.FormatUidPool([]) == ""

  def test_accepts_lists_from_json(self):
    assert uidpool.FormatUidPool([[1, 3]]) == "1-3"

  @pytest.mark.parametrize("pool", ["1-2", [(1, 2, 3)], [("1", 2)], None])
  def test_bad_pool(self, pool):
    with pytest.raises(errors.OpPrereqError):
      uidpool.FormatUidPool(pool)

  @given(pool=_Pools(), sep=st.sampled_from([None, ",", "\n", ";"]))
  def test_round_trip(self, pool, sep):
    text = uidpool.FormatUidPool(pool, separator=sep)
    parse_sep = None if sep is None else sep
    assert uidpool.ParseUidPool(text, separator=parse_sep) == pool
    assert uidpool.FormatUidPool(uidpool.ParseUidPool(text, parse_sep),
                                 separator=sep) == text


class TestExpand:
  def test_expand(self):
    assert uidpool.ExpandUidPool([(5, 7), (1, 1), (6, 9)]) == \
      [1, 5, 6, 7, 8, 9]

  def test_empty(self):
    assert uidpool.ExpandUidPool([]) == []

  def test_bad_pool(self):
    with pytest.raises(errors.OpPrereqError, match="pair of integers"):
      uidpool.ExpandUidPool([(1, None)])

  @given(pool=st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 60))
                       .map(lambda t: (t[0], t[0] + t[1])), max_size=8))
  def test_covers_exactly_the_ranges(self, pool):
    uids = uidpool.ExpandUidPool(pool)
    assert uids == sorted(set(uids))
    for uid in uids:
      assert any(lo <= uid <= hi for (lo, hi) in pool)
    for (lo, hi) in pool:
      assert set(range(lo, hi + 1)) <= set(uids)
    assert len(uids) == len(set().union(*[range(lo, hi + 1)
                                          for (lo, hi) in pool]))


class TestAddRemove:
  def test_add(self):
    pool = [(1000, 2000)]
    assert uidpool.AddToUidPool(pool, [(10, 20), (5000, 5000)]) is None
    assert pool == [(10, 20), (1000, 2000), (5000, 5000)]

  def test_add_skips_existing_and_normalises(self):
    pool = [[1000, 2000]]
    uidpool.AddToUidPool(pool, [[1000, 2000], (1, 1), (1, 1)])
    assert pool == [(1, 1), (1000, 2000)]

  @pytest.mark.parametrize("pool, add", [
    ("1-2", [(1, 1)]),
    ([(1, 1)], "3"),
    ([(1, 1)], [(1, "2")]),
    ([(1, 1)], [(True, 2)]),
    ([(1, 1)], [5]),
    ])
  def test_add_bad_types(self, pool, add):
    with pytest.raises(errors.OpPrereqError):
      uidpool.AddToUidPool(pool, add)

  def test_remove(self):
    pool = [(1, 1), (10, 20), (1000, 2000)]
    assert uidpool.RemoveFromUidPool(pool, [(10, 20), [1, 1]]) is None
    assert pool == [(1000, 2000)]

  def test_remove_unknown_range_is_an_error(self):
    pool = [(1, 1), (10, 20)]
    with pytest.raises(errors.OpPrereqError) as exc:
      uidpool.RemoveFromUidPool(pool, [(1, 1), (10, 15)])
    assert "10-15" in str(exc.value)
    assert exc.value.args[1] == errors.ECODE_INVAL
    assert pool == [(1, 1), (10, 20)]

  def test_remove_bad_types(self):
    with pytest.raises(errors.OpPrereqError):
      uidpool.RemoveFromUidPool([(1, 1)], [(1, 1, 1)])
    with pytest.raises(errors.OpPrereqError):
      uidpool.RemoveFromUidPool({(1, 1)}, [(1, 1)])

  def test_cli_round_trip(self):
    pool = uidpool.ParseUidPool("1000-2000,3000")
    uidpool.AddToUidPool(pool, uidpool.ParseUidPool("5000-5010"))
    uidpool.RemoveFromUidPool(pool, uidpool.ParseUidPool("3000"))
    assert uidpool.FormatUidPool(pool) == "1000-2000, 5000-5010"


class TestCheck:
  @pytest.mark.parametrize("pool", [
    [], [(0, UID_MAX)], [(1, 1), (2, 2)], [[5, 10], [11, 20]], ((1, 2), ),
    ])
  def test_valid(self, pool):
    assert uidpool.CheckUidPool(pool) is None

  @pytest.mark.parametrize("pool, match", [
    ("1-2", "list of ranges"),
    (None, "list of ranges"),
    ([(1, 2, 3)], "pair of integers"),
    ([(1.0, 2)], "pair of integers"),
    ([(False, 2)], "pair of integers"),
    ([1], "pair of integers"),
    ([(5, 1)], "5-1"),
    ([(-1, 1)], "outside"),
    ([(1, UID_MAX + 1)], "outside"),
    ([(1, 10), (10, 20)], "1-10 and 10-20 overlap"),
    ([(100, 200), (1, 10), (150, 150)], "100-200 and 150 overlap"),
    ([(3, 3), (3, 3)], "overlap"),
    ])
  def test_invalid(self, pool, match):
    with pytest.raises(errors.OpPrereqError, match=match) as exc:
      uidpool.CheckUidPool(pool)
    assert exc.value.args[1] == errors.ECODE_INVAL

  @given(pool=_Pools())
  def test_canonical_pools_pass(self, pool):
    assert uidpool.CheckUidPool(pool) is None


def _HoldLockInChild(path):
  """Start a process that holds an exclusive flock on ``path``."""
  code = ("import fcntl, os, sys\n"
          "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)\n"
          "fcntl.flock(fd, fcntl.LOCK_EX)\n"
          "sys.stdout.write('locked\\n'); sys.stdout.flush()\n"
          "sys.stdin.read()\n")
  child = subprocess.Popen([sys.executable, "-c", code, str(path)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
  assert child.stdout.readline() == "locked\n"
  return child


def _StopChild(child):
  child.stdin.close()
  child.wait(timeout=10)


def _IsLocked(path):
  fd = os.open(str(path), os.O_RDWR)
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except BlockingIOError:
    return True
  finally:
    os.close(fd)
  return False


class TestRequestUnusedUid:
  def test_takes_a_pool_uid_and_holds_its_lock(self, lockdir, free_uids):
    locked = uidpool.RequestUnusedUid(set(free_uids))
    try:
      assert locked.GetUid() in free_uids
      assert locked.AsStr() == str(locked.GetUid())
      assert os.path.isdir(lockdir)
      assert os.listdir(lockdir) == [locked.AsStr()]
      assert _IsLocked(lockdir / locked.AsStr())
      assert locked.GetLock() is not None
      assert str(locked.GetUid()) in repr(locked)
    finally:
      uidpool.ReleaseUid(locked)
    assert os.listdir(lockdir) == []

  def test_accepts_any_iterable(self, lockdir, free_uids):
    locked = uidpool.RequestUnusedUid(iter(free_uids[:1]))
    assert locked.GetUid() == free_uids[0]
    uidpool.ReleaseUid(locked)

  def test_same_process_cannot_take_a_uid_twice(self, lockdir, free_uids):
    first = uidpool.RequestUnusedUid(free_uids[:2])
    second = uidpool.RequestUnusedUid(free_uids[:2])
    try:
      assert {first.GetUid(), second.GetUid()} == set(free_uids[:2])
      with pytest.raises(errors.LockError, match="unused user-id"):
        uidpool.RequestUnusedUid(free_uids[:2])
    finally:
      uidpool.ReleaseUid(first)
      uidpool.ReleaseUid(second)

  def test_uid_locked_by_another_process_is_skipped(self, lockdir, free_uids):
    lockdir.mkdir()
    child = _HoldLockInChild(lockdir / str(free_uids[0]))
    try:
      for _ in range(10):
        locked = uidpool.RequestUnusedUid(free_uids[:2])
        assert locked.GetUid() == free_uids[1]
        uidpool.ReleaseUid(locked)
      with pytest.raises(errors.LockError) as exc:
        uidpool.RequestUnusedUid(free_uids[:1])
      assert str(lockdir) in str(exc.value)
    finally:
      _StopChild(child)
    # Once the other process is gone the uid is available again
    locked = uidpool.RequestUnusedUid(free_uids[:1])
    assert locked.GetUid() == free_uids[0]
    uidpool.ReleaseUid(locked)

  def test_uid_with_a_live_process_is_skipped(self, lockdir, free_uids):
    mine = os.getuid()
    for _ in range(10):
      locked = uidpool.RequestUnusedUid([mine, free_uids[0]])
      assert locked.GetUid() == free_uids[0]
      uidpool.ReleaseUid(locked)
    with pytest.raises(errors.LockError, match="unused user-id"):
      uidpool.RequestUnusedUid([mine])
    # The lock taken for checking was given up again
    assert not _IsLocked(lockdir / str(mine))

  def test_uids_without_lock_file_are_preferred(self, lockdir, free_uids):
    lockdir.mkdir()
    for uid in free_uids[1:]:
      (lockdir / str(uid)).write_text("")
    for _ in range(10):
      locked = uidpool.RequestUnusedUid(free_uids)
      assert locked.GetUid() == free_uids[0]
      locked.Unlock()
      os.remove(lockdir / locked.AsStr())

  def test_stale_lock_files_are_reused(self, lockdir, free_uids):
    lockdir.mkdir()
    (lockdir / str(free_uids[0])).write_text("")
    locked = uidpool.RequestUnusedUid(free_uids[:1])
    assert locked.GetUid() == free_uids[0]
    uidpool.ReleaseUid(locked)

  def test_order_is_random(self, lockdir):
    pool = range(FREE_BASE, FREE_BASE + 1000)
    seen = set()
    for _ in range(20):
      locked = uidpool.RequestUnusedUid(pool)
      seen.add(locked.GetUid())
      uidpool.ReleaseUid(locked)
    assert len(seen) > 1

  def test_foreign_entries_are_ignored(self, lockdir, free_uids):
    lockdir.mkdir()
    (lockdir / "README").write_text("not a uid")
    (lockdir / "12abc").write_text("")
    locked = uidpool.RequestUnusedUid(free_uids[:1])
    assert locked.GetUid() == free_uids[0]
    uidpool.ReleaseUid(locked)
    assert sorted(os.listdir(lockdir)) == ["12abc", "README"]

  def test_empty_pool(self, lockdir):
    with pytest.raises(errors.LockError, match="among 0 user-ids"):
      uidpool.RequestUnusedUid([])

  @pytest.mark.parametrize("uids", [["1000"], [True], [1.5]])
  def test_bad_uids(self, lockdir, uids):
    with pytest.raises(errors.ProgrammerError, match="Invalid user-id"):
      uidpool.RequestUnusedUid(uids)

  def test_unusable_lock_dir(self, tmp_path, monkeypatch, free_uids):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(pathutils, "UIDPOOL_LOCKDIR", str(blocker / "sub"))
    with pytest.raises(errors.LockError) as exc:
      uidpool.RequestUnusedUid(free_uids)
    assert str(blocker / "sub") in str(exc.value)

  def test_lock_dir_path_is_a_file(self, tmp_path, monkeypatch, free_uids):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(pathutils, "UIDPOOL_LOCKDIR", str(blocker))
    with pytest.raises(errors.LockError) as exc:
      uidpool.RequestUnusedUid(free_uids)
    assert str(blocker) in str(exc.value)


class TestLockedUidAndRelease:
  def test_unlock_keeps_the_file_and_frees_the_lock(self, lockdir, free_uids):
    locked = uidpool.RequestUnusedUid(free_uids[:1])
    locked.Unlock()
    path = lockdir / locked.AsStr()
    assert path.exists()
    assert not _IsLocked(path)
    uidpool.ReleaseUid(locked.GetUid())
    assert not path.exists()

  def test_release_alias(self, lockdir, free_uids):
    locked = uidpool.RequestUnusedUid(free_uids[:1])
    locked.Release()
    assert not _IsLocked(lockdir / locked.AsStr())

  def test_release_plain_uid(self, lockdir, free_uids):
    lockdir.mkdir()
    (lockdir / str(free_uids[2])).write_text("")
    uidpool.ReleaseUid(free_uids[2])
    assert os.listdir(lockdir) == []

  def test_release_missing_lock_file(self, lockdir, free_uids):
    lockdir.mkdir()
    with pytest.raises(errors.LockError) as exc:
      uidpool.ReleaseUid(free_uids[0])
    assert str(lockdir / str(free_uids[0])) in str(exc.value)

  @pytest.mark.parametrize("uid", ["1000", None, True])
  def test_release_bad_type(self, lockdir, uid):
    with pytest.raises(errors.ProgrammerError, match="Cannot release"):
      uidpool.ReleaseUid(uid)


class TestExecWithUnusedUid:
  def test_success_keeps_uid_marked_used(self, lockdir, free_uids):
    calls = []

    def _Fn(a, b=None, uid=None):
      calls.append((a, b, uid))
      return "started"

    assert uidpool.ExecWithUnusedUid(_Fn, free_uids[:1], 1, b=2) == "started"
    assert calls == [(1, 2, free_uids[0])]
    path = lockdir / str(free_uids[0])
    assert path.exists()
    assert not _IsLocked(path)
    # The uid stays reserved for whatever fn started; a stale file alone
    # does not stop reuse, but fresh uids come first
    uidpool.ReleaseUid(free_uids[0])

  def test_failure_releases_the_uid(self, lockdir, free_uids):
    def _Fn(uid=None):
      raise RuntimeError("boom for uid %s" % uid)

    with pytest.raises(RuntimeError, match="boom for uid %s" % free_uids[0]):
      uidpool.ExecWithUnusedUid(_Fn, free_uids[:1])
    assert os.listdir(lockdir) == []

  def test_no_free_uid(self, lockdir):
    with pytest.raises(errors.LockError):
      uidpool.ExecWithUnusedUid(lambda uid: uid, [os.getuid()])

  def test_uid_argument_is_refused(self, lockdir, free_uids):
    with pytest.raises(errors.ProgrammerError, match="uid"):
      uidpool.ExecWithUnusedUid(lambda uid: uid, free_uids, uid=5)
