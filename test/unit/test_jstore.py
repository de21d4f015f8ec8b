"""Tests for ganeti.jstore (queue directory files, ids, drain flag)."""

import errno
import os

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import pathutils
from ganeti import utils


NODE = "node1.example.com"


@pytest.fixture
def vnode(as_node):
  return as_node(NODE)


@pytest.mark.parametrize("value, expected", [
  (0, 0), (17, 17), ("0", 0), ("123456", 123456), (10 ** 12, 10 ** 12),
  ])
def test_parse_job_id_accepts_ints_and_decimal_strings(value, expected):
  assert jstore.ParseJobId(value) == expected


@pytest.mark.parametrize("value", [
  True, False, -1, "-1", 1.0, "1.5", "", " 1", "abc", None, [1], "\u0663",
  ])
def test_parse_job_id_refuses_everything_else(value):
  with pytest.raises(errors.ParameterError, match="Invalid job ID"):
    jstore.ParseJobId(value)


def test_init_creates_directories_version_and_serial(vnode):
  lock = jstore.InitAndVerifyQueue(must_lock=True)
  try:
    assert os.path.isdir(pathutils.QUEUE_DIR)
    assert os.path.isdir(pathutils.JOB_QUEUE_ARCHIVE_DIR)
    assert str(vnode) in pathutils.QUEUE_DIR
    assert utils.ReadFile(pathutils.JOB_QUEUE_VERSION_FILE) == "1\n"
    assert utils.ReadFile(pathutils.JOB_QUEUE_SERIAL_FILE) == "0\n"
    assert jstore.ReadSerial() == 0
    assert jstore.ReadVersion() == constants.JOB_QUEUE_VERSION
  finally:
    lock.Close()


def test_init_keeps_existing_serial(vnode):
  jstore.InitAndVerifyQueue(must_lock=True).Close()
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="41\n")
  jstore.InitAndVerifyQueue(must_lock=True).Close()
  assert jstore.ReadSerial() == 41


def test_must_lock_holds_the_lock_until_closed(vnode):
  lock = jstore.InitAndVerifyQueue(must_lock=True)
  try:
    with pytest.raises(errors.LockError, match="exclusive"):
      jstore.InitAndVerifyQueue(must_lock=True, timeout=0.2)
    # without must_lock a held queue is simply not checked again
    other = jstore.InitAndVerifyQueue(must_lock=False)
    other.Close()
  finally:
    lock.Close()
  again = jstore.InitAndVerifyQueue(must_lock=True, timeout=1)
  again.Close()


def test_without_must_lock_the_lock_is_released(vnode):
  lock = jstore.InitAndVerifyQueue(must_lock=False)
  try:
    owner = jstore.InitAndVerifyQueue(must_lock=True, timeout=0.5)
    assert owner is not None
    owner.Close()
  finally:
    lock.Close()


def test_wrong_version_is_refused(vnode):
  jstore.EnsureQueueDirs()
  utils.WriteFile(pathutils.JOB_QUEUE_VERSION_FILE, data="7\n")
  with pytest.raises(errors.JobQueueError, match="version 7.*expected 1"):
    jstore.InitAndVerifyQueue(must_lock=True)
  # the lock was dropped on the way out: a fixed queue opens at once
  utils.WriteFile(pathutils.JOB_QUEUE_VERSION_FILE, data="1\n")
  jstore.InitAndVerifyQueue(must_lock=True, timeout=0.5).Close()


@pytest.mark.parametrize("content", ["", "abc\n", "1.5\n"])
def test_unreadable_serial_names_the_file(vnode, content):
  jstore.EnsureQueueDirs()
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data=content)
  with pytest.raises(errors.JobQueueError, match="serial"):
    jstore.InitAndVerifyQueue(must_lock=True)


def test_negative_serial_is_refused(vnode):
  jstore.EnsureQueueDirs()
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="-3\n")
  with pytest.raises(errors.JobQueueError, match="serial file"):
    jstore.InitAndVerifyQueue(must_lock=True)


def test_read_serial_and_version_without_files(vnode):
  assert jstore.ReadSerial() is None
  assert jstore.ReadVersion() is None


def test_queue_path_that_is_a_file_is_reported(vnode):
  os.makedirs(os.path.dirname(pathutils.QUEUE_DIR))
  utils.WriteFile(pathutils.QUEUE_DIR, data="")
  with pytest.raises(errors.JobQueueError, match="not a directory"):
    jstore.EnsureQueueDirs()


def test_drain_flag_set_and_clear(vnode):
  jstore.EnsureQueueDirs()
  assert not jstore.CheckDrainFlag()
  assert jstore.SetDrainFlag(True) is True
  assert jstore.CheckDrainFlag()
  assert os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)
  assert utils.ReadFile(pathutils.JOB_QUEUE_DRAIN_FILE) == ""
  jstore.SetDrainFlag(True)
  assert jstore.CheckDrainFlag()
  assert jstore.SetDrainFlag(False) is True
  assert not jstore.CheckDrainFlag()
  jstore.SetDrainFlag(False)
  assert not jstore.CheckDrainFlag()


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_drain_flag_needs_a_boolean(vnode, value):
  with pytest.raises(errors.ParameterError, match="boolean"):
    jstore.SetDrainFlag(value)


@pytest.mark.parametrize("job_id, subdir", [
  (0, "0"), (9999, "0"), (10000, "1"), ("123456", "12"), (123456789, "12345"),
  ])
def test_archive_directory(job_id, subdir):
  assert jstore.GetArchiveDirectory(job_id) == subdir


def test_job_paths_follow_the_virtual_node(vnode):
  assert jstore.GetJobFilename("17") == pathutils.QUEUE_DIR + "/job-17"
  assert jstore.GetArchivedJobFilename(123456) == \
    pathutils.JOB_QUEUE_ARCHIVE_DIR + "/12/job-123456"
  with pytest.raises(errors.ParameterError):
    jstore.GetJobFilename("../x")


def test_list_job_ids_ignores_other_names_and_sorts_numerically(vnode):
  assert jstore.ListJobIds() == []
  jstore.EnsureQueueDirs()
  for name in ["job-10", "job-9", "job-100", "job-x", "job-", "serial",
               ".job-5", "job-7.tmp", "xjob-3"]:
    utils.WriteFile(os.path.join(pathutils.QUEUE_DIR, name), data="")
  assert jstore.ListJobIds() == [9, 10, 100]


def test_format_serial():
  assert jstore.FormatSerial(0) == "0\n"
  assert jstore.FormatSerial(12345) == "12345\n"


# -- JobFileWriter -------------------------------------------------------------

def _Inode(path):
  return os.stat(path).st_ino


def test_job_file_writer_swaps_without_freeing_inodes(tmp_path):
  writer = jstore.JobFileWriter(str(tmp_path))
  target = str(tmp_path / "job-1")
  writer.Write(target, "first\n")
  assert open(target).read() == "first\n"
  inodes = set([_Inode(target)])
  for number in range(5):
    writer.Write(target, "version %d\n" % number)
    assert open(target).read() == "version %d\n" % number
    inodes.add(_Inode(target))
  spares = os.listdir(str(tmp_path / jstore.SPARE_DIR_NAME))
  # the old contents went back to the one spare: two inodes in all, and
  # nothing but the job file is visible in the queue directory
  assert len(spares) == 1
  assert len(inodes) == 2
  assert sorted(os.listdir(str(tmp_path))) == [jstore.SPARE_DIR_NAME,
                                               "job-1"]
  assert os.stat(target).st_mode & 0o777 == 0o600


def test_job_file_writer_reuses_spares_after_a_restart(tmp_path):
  writer = jstore.JobFileWriter(str(tmp_path))
  for job_id in (1, 2):
    target = str(tmp_path / ("job-%d" % job_id))
    writer.Write(target, b"a")
    writer.Write(target, b"b")
  spares = sorted(os.listdir(str(tmp_path / jstore.SPARE_DIR_NAME)))
  again = jstore.JobFileWriter(str(tmp_path))
  target = str(tmp_path / "job-3")
  again.Write(target, b"new job")
  # the new job file took a spare left by the first writer
  assert sorted(os.listdir(str(tmp_path / jstore.SPARE_DIR_NAME))) == \
    spares[:-1]
  assert open(target, "rb").read() == b"new job"


def test_job_file_writer_keeps_the_old_version_when_writing_fails(
    tmp_path, monkeypatch):
  writer = jstore.JobFileWriter(str(tmp_path))
  target = str(tmp_path / "job-1")
  writer.Write(target, "good\n")

  def _Full(fd, data):
    raise OSError(28, "No space left on device")
  monkeypatch.setattr(os, "write", _Full)
  with pytest.raises(OSError):
    writer.Write(target, "lost\n")
  monkeypatch.undo()
  assert open(target).read() == "good\n"
  writer.Write(target, "better\n")
  assert open(target).read() == "better\n"


def test_job_file_writer_falls_back_where_exchange_is_missing(tmp_path,
                                                              monkeypatch):
  def _NoExchange(path_a, path_b):
    raise OSError(errno.EINVAL, "not supported")
  monkeypatch.setattr(utils, "ExchangeFiles", _NoExchange)
  writer = jstore.JobFileWriter(str(tmp_path))
  target = str(tmp_path / "job-1")
  writer.Write(target, "one\n")
  writer.Write(target, "two\n")
  writer.Write(target, "three\n")
  assert open(target).read() == "three\n"


def test_exchange_files_swaps_and_reports_missing_names(tmp_path):
  (first, second) = (str(tmp_path / "a"), str(tmp_path / "b"))
  utils.WriteFile(first, data="A")
  utils.WriteFile(second, data="B")
  utils.ExchangeFiles(first, second)
  assert (open(first).read(), open(second).read()) == ("B", "A")
  with pytest.raises(FileNotFoundError):
    utils.ExchangeFiles(first, str(tmp_path / "missing"))
