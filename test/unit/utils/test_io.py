"""Tests for ganeti.utils.io, including atomicity of WriteFile under SIGKILL."""

import errno
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from ganeti import errors
from ganeti.utils import io as utils_io


# --- WriteFile -------------------------------------------------------------

def test_write_file_data_and_mode(tmp_path):
  target = str(tmp_path / "f")
  assert utils_io.WriteFile(target, data="hello\n", mode=0o640) is None
  assert open(target).read() == "hello\n"
  assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
  utils_io.WriteFile(target, data=b"\x00\xff")
  assert open(target, "rb").read() == b"\x00\xff"
  # Default mode of a new file is private
  assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
  assert sorted(os.listdir(tmp_path)) == ["f"]


def test_write_file_unicode_is_utf8(tmp_path):
  target = str(tmp_path / "f")
  utils_io.WriteFile(target, data="caf\u00e9")
  assert open(target, "rb").read() == b"caf\xc3\xa9"


def test_write_file_fn_prewrite_postwrite(tmp_path):
  target = str(tmp_path / "f")
  calls = []
  utils_io.WriteFile(target, fn=lambda fd: os.write(fd, b"body"),
                     prewrite=lambda fd: os.write(fd, b"pre-"),
                     postwrite=lambda fd: calls.append(fd))
  assert open(target).read() == "pre-body"
  assert len(calls) == 1


def test_write_file_times_and_owner(tmp_path):
  target = str(tmp_path / "f")
  utils_io.WriteFile(target, data="x", atime=1000, mtime=2000,
                     uid=os.getuid(), gid=os.getgid())
  st = os.stat(target)
  assert (st.st_atime, st.st_mtime) == (1000, 2000)
  assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())


def test_write_file_close_false_returns_fd(tmp_path):
  target = str(tmp_path / "f")
  fd = utils_io.WriteFile(target, data="abc", close=False)
  try:
    assert os.fstat(fd).st_ino == os.stat(target).st_ino
  finally:
    os.close(fd)


def test_write_file_dry_run_leaves_target(tmp_path):
  target = tmp_path / "f"
  target.write_text("old")
  utils_io.WriteFile(str(target), data="new", dry_run=True)
  assert target.read_text() == "old"
  assert os.listdir(tmp_path) == ["f"]


def test_write_file_backup(tmp_path):
  target = tmp_path / "f"
  target.write_text("old")
  utils_io.WriteFile(str(target), data="new", backup=True)
  assert target.read_text() == "new"
  backups = [n for n in os.listdir(tmp_path) if n.startswith("f.backup-")]
  assert len(backups) == 1
  assert (tmp_path / backups[0]).read_text() == "old"
  # No backup of a file that does not exist
  utils_io.WriteFile(str(tmp_path / "g"), data="x", backup=True)
  assert not [n for n in os.listdir(tmp_path) if n.startswith("g.backup")]


def test_write_file_keep_perms(tmp_path):
  target = tmp_path / "f"
  target.write_text("old")
  target.chmod(0o604)
  utils_io.WriteFile(str(target), data="new",
                     keep_perms=utils_io.KP_ALWAYS)
  assert stat.S_IMODE(os.stat(target).st_mode) == 0o604
  utils_io.WriteFile(str(tmp_path / "n"), data="x",
                     keep_perms=utils_io.KP_IF_EXISTS)
  with pytest.raises(FileNotFoundError):
    utils_io.WriteFile(str(tmp_path / "m"), data="x",
                       keep_perms=utils_io.KP_ALWAYS)


def test_write_file_failing_fn_leaves_no_trace(tmp_path):
  target = tmp_path / "f"
  target.write_text("old")

  def fail(fd):
    os.write(fd, b"partial")
    raise RuntimeError("writer failed")
  with pytest.raises(RuntimeError, match="writer failed"):
    utils_io.WriteFile(str(target), fn=fail)
  assert target.read_text() == "old"
  assert os.listdir(tmp_path) == ["f"]


@pytest.mark.parametrize("kwargs, match", [
  ({"file_name": "relative", "data": "x"}, "not absolute"),
  ({"file_name": None, "data": "x"}, "not absolute"),
  ({"file_name": "/abs"}, "exactly one of fn and data"),
  ({"file_name": "/abs", "data": "x", "fn": len}, "exactly one"),
  ({"file_name": "/abs", "data": 5}, "data must be str or bytes"),
  ({"file_name": "/abs", "data": "x", "atime": 1}, "atime and mtime"),
  ({"file_name": "/abs", "data": "x", "keep_perms": 9}, "keep_perms"),
  ({"file_name": "/abs", "data": "x", "mode": 0o600,
    "keep_perms": utils_io.KP_ALWAYS}, "keep_perms cannot"),
])
def test_write_file_bad_arguments(kwargs, match):
  with pytest.raises(errors.ProgrammerError, match=match):
    utils_io.WriteFile(**kwargs)


def test_write_file_missing_directory(tmp_path):
  with pytest.raises(FileNotFoundError):
    utils_io.WriteFile(str(tmp_path / "no" / "f"), data="x")


_WRITER = textwrap.dedent("""
  import sys
  from ganeti.utils import io
  target, size = sys.argv[1], int(sys.argv[2])
  generation = 0
  sys.stdout.write("ready\\n")
  sys.stdout.flush()
  while True:
    generation += 1
    body = "ABCDEFGH"[generation % 8] * size
    io.WriteFile(target, data="%d\\n%s" % (generation, body))
""")


def _CheckComplete(path, size):
  data = open(path).read()
  (header, _, body) = data.partition("\n")
  generation = int(header)
  assert len(body) == size, "truncated body for generation %d" % generation
  assert body == "ABCDEFGH"[generation % 8] * size
  return generation


def test_write_file_is_atomic_under_sigkill(tmp_path):
  target = str(tmp_path / "data")
  size = 2 * 1024 * 1024
  utils_io.WriteFile(target, data="0\n" + "A" * size)
  rnd = random.Random(1234)
  last = 0
  for _ in range(12):
    child = subprocess.Popen([sys.executable, "-c", _WRITER, target,
                              str(size)], stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"ready\n"
    time.sleep(rnd.uniform(0.0, 0.3))
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    # The file always holds one complete generation, never a mix.
    generation = _CheckComplete(target, size)
    assert generation >= 0
    last = max(last, generation)
  # The writer got through several rewrites, so the kills hit real writes.
  assert last > 0
  leftovers = [n for n in os.listdir(tmp_path) if n != "data"]
  assert all(n.startswith(".data") and n.endswith(".new") for n in leftovers)


# --- file ids and SafeWriteFile -------------------------------------------

def test_file_ids_and_safe_write(tmp_path):
  target = str(tmp_path / "f")
  utils_io.WriteFile(target, data="one")
  file_id = utils_io.GetFileID(path=target)
  with open(target) as handle:
    assert utils_io.GetFileID(fd=handle.fileno()) == file_id
    assert utils_io.GetFileID(fd=handle) == file_id
  assert utils_io.VerifyFileID(file_id, file_id)
  utils_io.SafeWriteFile(target, file_id, data="two")
  assert open(target).read() == "two"
  # The old id no longer matches the replaced file
  with pytest.raises(errors.LockError, match="modified since"):
    utils_io.SafeWriteFile(target, file_id, data="three")
  assert open(target).read() == "two"
  utils_io.SafeWriteFile(target, None, data="four")
  assert open(target).read() == "four"


def test_verify_file_id_rules():
  assert utils_io.VerifyFileID((1, 2, 10.0), (1, 2, 10.0))
  assert utils_io.VerifyFileID((1, 2, 9.0), (1, 2, 10.0))
  assert not utils_io.VerifyFileID((1, 2, 11.0), (1, 2, 10.0))
  assert not utils_io.VerifyFileID((1, 3, 10.0), (1, 2, 10.0))
  assert not utils_io.VerifyFileID((2, 2, 10.0), (1, 2, 10.0))


def test_get_file_id_arguments(tmp_path):
  with pytest.raises(errors.ProgrammerError, match="exactly one"):
    utils_io.GetFileID()
  with pytest.raises(errors.ProgrammerError, match="exactly one"):
    utils_io.GetFileID(path="/x", fd=1)
  with pytest.raises(FileNotFoundError):
    utils_io.GetFileID(path=str(tmp_path / "missing"))


# --- reading -----------------------------------------------------------------

def test_read_file_variants(tmp_path):
  target = tmp_path / "f"
  target.write_bytes(b"line1\r\nline2\n")
  assert utils_io.ReadFile(str(target)) == "line1\r\nline2\n"
  assert utils_io.ReadFile(str(target), size=3) == "lin"
  seen = []
  utils_io.ReadFile(str(target), preread=seen.append)
  assert len(seen) == 1
  assert utils_io.ReadBinaryFile(str(target)) == b"line1\r\nline2\n"
  assert utils_io.ReadBinaryFile(str(target), size=2) == b"li"


def test_read_file_errors(tmp_path):
  with pytest.raises(FileNotFoundError):
    utils_io.ReadFile(str(tmp_path / "missing"))
  with pytest.raises(IsADirectoryError):
    utils_io.ReadFile(str(tmp_path))
  bad = tmp_path / "bad"
  bad.write_bytes(b"\xff\xfe")
  with pytest.raises(errors.GenericError, match="not valid UTF-8"):
    utils_io.ReadFile(str(bad))


def test_read_one_line_file(tmp_path):
  target = tmp_path / "f"
  target.write_text("\n\nfirst\nsecond\n")
  assert utils_io.ReadOneLineFile(str(target)) == "first"
  with pytest.raises(errors.GenericError, match="Too many lines"):
    utils_io.ReadOneLineFile(str(target), strict=True)
  target.write_text("only\n")
  assert utils_io.ReadOneLineFile(str(target), strict=True) == "only"
  target.write_text("\n\n")
  with pytest.raises(errors.GenericError, match="No data.*%s" % target.name):
    utils_io.ReadOneLineFile(str(target))


# --- removing, renaming, directories ---------------------------------------

def test_remove_file_and_dir(tmp_path):
  target = tmp_path / "f"
  target.write_text("x")
  utils_io.RemoveFile(str(target))
  assert not target.exists()
  utils_io.RemoveFile(str(target))
  utils_io.RemoveFile(str(tmp_path))  # directories are left alone
  sub = tmp_path / "d"
  sub.mkdir()
  (sub / "x").write_text("x")
  with pytest.raises(OSError) as info:
    utils_io.RemoveDir(str(sub))
  assert info.value.errno == errno.ENOTEMPTY
  (sub / "x").unlink()
  utils_io.RemoveDir(str(sub))
  utils_io.RemoveDir(str(sub))
  assert not sub.exists()


def test_rename_file(tmp_path):
  src = tmp_path / "a"
  src.write_text("x")
  utils_io.RenameFile(str(src), str(tmp_path / "b"))
  assert (tmp_path / "b").read_text() == "x"
  with pytest.raises(FileNotFoundError):
    utils_io.RenameFile(str(tmp_path / "b"), str(tmp_path / "n" / "m" / "c"))
  utils_io.RenameFile(str(tmp_path / "b"), str(tmp_path / "n" / "m" / "c"),
                      mkdir=True, mkdir_mode=0o700, dir_uid=os.getuid(),
                      dir_gid=os.getgid())
  assert (tmp_path / "n" / "m" / "c").read_text() == "x"
  assert stat.S_IMODE(os.stat(tmp_path / "n" / "m").st_mode) == 0o700
  with pytest.raises(FileNotFoundError):
    utils_io.RenameFile(str(tmp_path / "gone"), str(tmp_path / "z" / "c"),
                        mkdir=True)
  assert not (tmp_path / "z").exists()


def test_ensure_dirs(tmp_path):
  one = str(tmp_path / "one")
  utils_io.EnsureDirs([(one, 0o750)])
  assert stat.S_IMODE(os.stat(one).st_mode) == 0o750
  utils_io.EnsureDirs([(one, 0o700)])
  assert stat.S_IMODE(os.stat(one).st_mode) == 0o700
  afile = tmp_path / "file"
  afile.write_text("x")
  with pytest.raises(errors.GenericError, match="is not a directory"):
    utils_io.EnsureDirs([(str(afile), 0o700)])
  with pytest.raises(errors.GenericError, match="Cannot create needed"):
    utils_io.EnsureDirs([(str(tmp_path / "a" / "b"), 0o700)])


def test_make_dir_with_perm_and_enforce_permission(tmp_path):
  path = str(tmp_path / "d")
  utils_io.MakeDirWithPerm(path, 0o710, os.getuid(), os.getgid())
  assert stat.S_IMODE(os.stat(path).st_mode) == 0o710
  utils_io.MakeDirWithPerm(path, 0o700, None, None)
  assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
  afile = tmp_path / "f"
  afile.write_text("x")
  with pytest.raises(errors.GenericError, match="not a directory"):
    utils_io.MakeDirWithPerm(str(afile), 0o700, None, None)
  with pytest.raises(errors.GenericError, match="Cannot create directory"):
    utils_io.MakeDirWithPerm(str(tmp_path / "x" / "y"), 0o700, None, None)

  utils_io.EnforcePermission(str(afile), 0o640)
  assert stat.S_IMODE(os.stat(afile).st_mode) == 0o640
  utils_io.EnforcePermission(str(tmp_path / "missing"), 0o600,
                             must_exist=False)
  with pytest.raises(errors.GenericError, match="Cannot stat"):
    utils_io.EnforcePermission(str(tmp_path / "missing"), 0o600)
  chowns = []
  utils_io.EnforcePermission(str(afile), 0o640, uid=4242, gid=4343,
                             _chown_fn=lambda *a: chowns.append(a))
  assert chowns == [(str(afile), 4242, 4343)]

  def _Fail(*_):
    raise OSError(errno.EPERM, "Operation not permitted")
  with pytest.raises(errors.GenericError, match="Cannot set mode"):
    utils_io.EnforcePermission(str(afile), 0o600, _chmod_fn=_Fail)
  with pytest.raises(errors.GenericError, match="Cannot set owner"):
    utils_io.EnforcePermission(str(afile), 0o640, uid=1, _chown_fn=_Fail)


# --- paths -------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
  ("/", True), ("/a/b", True), ("/a/b/", False), ("/a/../b", False),
  ("a/b", False), ("//a", False), ("/a//b", False), ("/a/./b", False),
  ("", False), (None, False),
])
def test_is_norm_abs_path(path, expected):
  assert utils_io.IsNormAbsPath(path) is expected


@pytest.mark.parametrize("root, other, expected", [
  ("/a", "/a/b", True), ("/a", "/a", False), ("/a", "/ab", False),
  ("/a/", "/a/b/c", True), ("/", "/x", True), ("/", "/", False),
  ("/a", "/a/b/../..", False), ("/a/b", "/a", False),
])
def test_is_below_dir(root, other, expected):
  assert utils_io.IsBelowDir(root, other) is expected


def test_is_below_dir_requires_absolute():
  with pytest.raises(ValueError, match="not absolute"):
    utils_io.IsBelowDir("a", "/b")
  with pytest.raises(ValueError, match="not absolute"):
    utils_io.IsBelowDir("/a", None)


def test_path_join():
  assert utils_io.PathJoin("/a") == "/a"
  assert utils_io.PathJoin("/a", "b", "c") == "/a/b/c"
  for bad in [("/a", ".."), ("/a", "/etc"), ("/a", "b/../../c"),
              ("relative", "x"), ("/a/", "b"), ("/a", "b/"), ("/a", "")]:
    with pytest.raises(ValueError):
      utils_io.PathJoin(*bad)
  with pytest.raises(ValueError, match="at least one"):
    utils_io.PathJoin()
  with pytest.raises(ValueError, match="must be strings"):
    utils_io.PathJoin("/a", 5)


def test_list_visible_files(tmp_path):
  for name in ["b", "a", ".hidden", "lost+found"]:
    (tmp_path / name).write_text("")
  names = utils_io.ListVisibleFiles(str(tmp_path),
                                    _is_mountpoint=lambda _: False)
  assert sorted(names) == ["a", "b", "lost+found"]
  names = utils_io.ListVisibleFiles(str(tmp_path),
                                    _is_mountpoint=lambda _: True)
  assert sorted(names) == ["a", "b"]
  with pytest.raises(errors.ProgrammerError, match="not normalized"):
    utils_io.ListVisibleFiles(str(tmp_path) + "/")
  with pytest.raises(FileNotFoundError):
    utils_io.ListVisibleFiles(str(tmp_path / "missing"))


def test_find_file(tmp_path):
  first = tmp_path / "one"
  second = tmp_path / "two"
  first.mkdir()
  second.mkdir()
  (second / "alloc").write_text("")
  (first / "alloc-dir").mkdir()
  path = [str(first), str(second)]
  assert utils_io.FindFile("alloc", path) == str(second / "alloc")
  assert utils_io.FindFile("alloc-dir", path, test=os.path.isfile) is None
  assert utils_io.FindFile("alloc-dir", path, test=os.path.isdir) == \
    str(first / "alloc-dir")
  assert utils_io.FindFile("missing", path) is None
  for bad in ["../alloc", "a/b", "", ".", None]:
    assert utils_io.FindFile(bad, path) is None


# --- pid files ------------------------------------------------------------

def test_pid_file_write_read_lock(tmp_path):
  pidfile = str(tmp_path / "daemon.pid")
  assert utils_io.ReadPidFile(pidfile) == 0
  assert utils_io.ReadLockedPidFile(pidfile) is None
  fd = utils_io.WritePidFile(pidfile)
  try:
    assert stat.S_IMODE(os.stat(pidfile).st_mode) == 0o600
    assert utils_io.ReadPidFile(pidfile) == os.getpid()
    assert utils_io.ReadLockedPidFile(pidfile) == os.getpid()
    with pytest.raises(errors.PidFileLockError,
                       match="%s is locked.*pid %d" % (pidfile, os.getpid())):
      utils_io.WritePidFile(pidfile)
  finally:
    os.close(fd)
  # The daemon is gone: the lock can be taken, the pid is stale
  assert utils_io.ReadLockedPidFile(pidfile) is None
  utils_io.RemovePidFile(pidfile)
  assert not os.path.exists(pidfile)
  utils_io.RemovePidFile(pidfile)


def test_write_pid_file_truncates_longer_old_content(tmp_path):
  pidfile = tmp_path / "d.pid"
  pidfile.write_text("123456789012\nrubbish\n")
  fd = utils_io.WritePidFile(str(pidfile))
  os.close(fd)
  assert pidfile.read_text() == "%d\n" % os.getpid()


@pytest.mark.parametrize("content", ["", "abc\n", "-5\n", "0\n", "\n\n"])
def test_read_pid_file_garbage(tmp_path, content):
  pidfile = tmp_path / "d.pid"
  pidfile.write_text(content)
  assert utils_io.ReadPidFile(str(pidfile)) == 0


def test_read_pid_file_unreadable(tmp_path):
  assert utils_io.ReadPidFile(str(tmp_path)) == 0


def test_pid_file_lock_held_by_other_process(tmp_path):
  pidfile = str(tmp_path / "d.pid")
  script = textwrap.dedent("""
    import sys, time
    from ganeti.utils import io
    fd = io.WritePidFile(sys.argv[1])
    sys.stdout.write("ok\\n"); sys.stdout.flush()
    time.sleep(30)
  """)
  child = subprocess.Popen([sys.executable, "-c", script, pidfile],
                           stdout=subprocess.PIPE)
  try:
    assert child.stdout.readline() == b"ok\n"
    assert utils_io.ReadLockedPidFile(pidfile) == child.pid
    with pytest.raises(errors.PidFileLockError, match=str(child.pid)):
      utils_io.WritePidFile(pidfile)
  finally:
    child.kill()
    child.wait()
    child.stdout.close()
  assert utils_io.ReadLockedPidFile(pidfile) is None
  os.close(utils_io.WritePidFile(pidfile))


# --- misc ------------------------------------------------------------------

def test_tail_file(tmp_path):
  target = tmp_path / "log"
  lines = ["line %d %s" % (i, "x" * (i % 300)) for i in range(2000)]
  target.write_text("\n".join(lines) + "\n")
  assert utils_io.TailFile(str(target)) == lines[-20:]
  assert utils_io.TailFile(str(target), lines=500) == lines[-500:]
  assert utils_io.TailFile(str(target), lines=5000) == lines
  assert utils_io.TailFile(str(target), lines=0) == []
  empty = tmp_path / "empty"
  empty.write_text("")
  assert utils_io.TailFile(str(empty)) == []
  with pytest.raises(FileNotFoundError):
    utils_io.TailFile(str(tmp_path / "missing"))
  with pytest.raises(ValueError, match="line count"):
    utils_io.TailFile(str(target), lines=-1)


def test_new_uuid():
  import re
  first = utils_io.NewUUID()
  assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                  r"[0-9a-f]{12}$", first)
  assert utils_io.NewUUID() != first


def test_create_backup(tmp_path):
  target = tmp_path / "conf"
  target.write_bytes(b"\x00data")
  backup = utils_io.CreateBackup(str(target))
  assert os.path.dirname(backup) == str(tmp_path)
  assert os.path.basename(backup).startswith("conf.backup-")
  assert open(backup, "rb").read() == b"\x00data"
  with pytest.raises(errors.ProgrammerError, match="non-file"):
    utils_io.CreateBackup(str(tmp_path / "missing"))
  with pytest.raises(errors.ProgrammerError, match="non-file"):
    utils_io.CreateBackup(str(tmp_path))


def test_timestamp_for_filename():
  import re
  assert re.match(r"^\d{4}-\d\d-\d\d_\d\d_\d\d_\d\d$",
                  utils_io.TimestampForFilename())


def test_sizes(tmp_path):
  assert utils_io.BytesToMebibyte(0) == 0
  assert utils_io.BytesToMebibyte(1024 * 1024) == 1
  assert utils_io.BytesToMebibyte(1024 * 1024 * 3 // 2) == 2
  assert utils_io.BytesToMebibyte(1024 * 1024 - 1) == 1
  (tmp_path / "a").write_bytes(b"x" * (2 * 1024 * 1024))
  (tmp_path / "sub").mkdir()
  (tmp_path / "sub" / "b").write_bytes(b"x" * (1024 * 1024))
  assert utils_io.CalculateDirectorySize(str(tmp_path)) == 3
  (total, free) = utils_io.GetFilesystemStats(str(tmp_path))
  assert total >= free >= 0 and total > 0
  with pytest.raises(FileNotFoundError):
    utils_io.GetFilesystemStats(str(tmp_path / "missing"))


def test_get_mounts(tmp_path):
  table = tmp_path / "mounts"
  table.write_text("/dev/sda1 / ext4 rw,relatime 0 0\n\n"
                   "proc /proc proc rw 0 0\n")
  assert utils_io.GetMounts(str(table)) == [
    ("/dev/sda1", "/", "ext4", "rw,relatime"),
    ("proc", "/proc", "proc", "rw")]
  table.write_text("broken line\n")
  with pytest.raises(errors.GenericError, match="Malformed line 1"):
    utils_io.GetMounts(str(table))
  assert any(m[1] == "/" for m in utils_io.GetMounts())
  with pytest.raises(FileNotFoundError):
    utils_io.GetMounts(str(tmp_path / "missing"))


def test_write_file_syncs_the_directory_unless_told_not_to(tmp_path,
                                                           monkeypatch):
  synced = []
  real = utils_io._FsyncDir
  monkeypatch.setattr(utils_io, "_FsyncDir",
                      lambda name: (synced.append(name), real(name)))
  target = str(tmp_path / "file")
  utils_io.WriteFile(target, data="one")
  assert synced == [str(tmp_path)]
  utils_io.WriteFile(target, data="two", sync_dir=False)
  assert synced == [str(tmp_path)]
  assert utils_io.ReadFile(target) == "two"
  # a dry run renames nothing, so there is nothing to sync
  utils_io.WriteFile(target, data="three", dry_run=True)
  assert synced == [str(tmp_path)]


def test_read_watcher_pause_file(tmp_path):
  path = str(tmp_path / "pause")
  assert utils_io.ReadWatcherPauseFile(path) is None
  with open(path, "w") as fd:
    fd.write("1000\n")
  assert utils_io.ReadWatcherPauseFile(path, now=999) == 1000
  assert utils_io.ReadWatcherPauseFile(path, now=1000) == 1000
  assert utils_io.ReadWatcherPauseFile(path, now=1001) is None
  assert os.path.exists(path)
  assert utils_io.ReadWatcherPauseFile(path, now=1000 + 3601) is None
  assert not os.path.exists(path)
  with open(path, "w") as fd:
    fd.write("soon")
  assert utils_io.ReadWatcherPauseFile(path, now=0) is None
  assert not os.path.exists(path)
