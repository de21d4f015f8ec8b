"""The job queue's files on disk: lock, version, serial, drain flag, paths.

Layer 5 (master side). This module knows where the queue lives below
``pathutils.QUEUE_DIR`` and how its small bookkeeping files look; it is used
by the job queue in masterd and (later) by the node daemon when it applies
replicated queue updates. Paths are read from pathutils at call time, so a
virtual node's root is honoured after ``pathutils.Reload()``. It must not
hold any in-memory job state nor know the job file's JSON structure (that is
jqueue's job).
"""

import errno
import logging
import os
import threading

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils


#: Mode of the queue and archive directories (only masterd reads them)
QUEUE_DIR_MODE = 0o700


def ParseJobId(job_id):
  """Turn a job id as found on the wire or in a file into an int.

  Job ids were decimal strings in Ganeti 2.6 and are integers later; both
  forms are accepted.

  @param job_id: non-negative int, or a string of decimal digits
  @rtype: int
  @raise errors.ParameterError: anything else (bool, negative, float,
      non-numeric text)

  """
  if isinstance(job_id, bool):
    raise errors.ParameterError("Invalid job ID %r: a boolean is not a job ID"
                                % (job_id, ))
  if isinstance(job_id, int):
    if job_id < 0:
      raise errors.ParameterError("Invalid job ID %r: must not be negative"
                                  % (job_id, ))
    return job_id
  if isinstance(job_id, str) and job_id.isdigit() and job_id.isascii():
    return int(job_id)
  raise errors.ParameterError("Invalid job ID %r: expected a non-negative"
                              " integer or a decimal string" % (job_id, ))


def _ReadNumericFile(file_name):
  """Read a file holding one decimal number.

  @return: the number, or None if the file does not exist
  @raise errors.JobQueueError: the file exists but holds no number

  """
  try:
    content = utils.ReadFile(file_name)
  except EnvironmentError as err:
    if err.errno == errno.ENOENT:
      return None
    raise errors.JobQueueError("Cannot read %s: %s" % (file_name, err))
  try:
    return int(content.strip())
  except ValueError:
    raise errors.JobQueueError("Content of file '%s' is not numeric: %r"
                               % (file_name, content[:100]))


def ReadSerial():
  """The last allocated job id (serial file), or None if there is none."""
  return _ReadNumericFile(pathutils.JOB_QUEUE_SERIAL_FILE)


def ReadVersion():
  """The queue format version (version file), or None if there is none."""
  return _ReadNumericFile(pathutils.JOB_QUEUE_VERSION_FILE)


def FormatSerial(serial):
  """The contents of the serial file for a given last job id."""
  return "%d\n" % serial


def EnsureQueueDirs():
  """Create the queue and archive directories if they are missing."""
  for path in (pathutils.QUEUE_DIR, pathutils.JOB_QUEUE_ARCHIVE_DIR):
    try:
      os.makedirs(path, QUEUE_DIR_MODE)
    except FileExistsError:
      if not os.path.isdir(path):
        raise errors.JobQueueError("Job queue path %s exists but is not a"
                                   " directory" % path)


def InitAndVerifyQueue(must_lock, timeout=None):
  """Open the queue lock file and check (creating if needed) its files.

  With ``must_lock`` the queue lock is taken exclusively and kept: the
  returned lock must stay open as long as the caller owns the queue. Without
  it, the check is done only if the lock is free at the moment (whoever
  holds it has checked the queue already), and the lock is released again
  before returning.

  @param must_lock: whether the caller needs to own the queue
  @param timeout: with must_lock, seconds to wait for the lock (None waits
      as long as needed)
  @rtype: utils.FileLock
  @raise errors.LockError: must_lock and the lock was not acquired in time
  @raise errors.JobQueueError: wrong version, unreadable serial

  """
  EnsureQueueDirs()
  queue_lock = utils.FileLock.Open(pathutils.JOB_QUEUE_LOCK_FILE)
  try:
    if must_lock:
      if timeout is None:
        queue_lock.Exclusive(blocking=True)
      else:
        queue_lock.Exclusive(timeout=timeout)
      holding_lock = True
    else:
      try:
        queue_lock.Exclusive(blocking=False)
        holding_lock = True
      except errors.LockError:
        holding_lock = False

    if holding_lock:
      version = ReadVersion()
      if version is None:
        utils.WriteFile(pathutils.JOB_QUEUE_VERSION_FILE,
                        data="%s\n" % constants.JOB_QUEUE_VERSION)
        version = ReadVersion()
      if version != constants.JOB_QUEUE_VERSION:
        raise errors.JobQueueError("Found job queue version %s in %s,"
                                   " expected %s" %
                                   (version, pathutils.JOB_QUEUE_VERSION_FILE,
                                    constants.JOB_QUEUE_VERSION))
      serial = ReadSerial()
      if serial is None:
        utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE,
                        data=FormatSerial(0))
        serial = ReadSerial()
      if serial is None or serial < 0:
        raise errors.JobQueueError("Can't read/parse the job queue serial"
                                   " file %s" %
                                   pathutils.JOB_QUEUE_SERIAL_FILE)
      if not must_lock:
        queue_lock.Unlock()
  except BaseException:
    queue_lock.Close()
    raise
  return queue_lock


def CheckDrainFlag():
  """Whether the queue is drained (no new jobs accepted)."""
  return os.path.exists(pathutils.JOB_QUEUE_DRAIN_FILE)


def SetDrainFlag(drain_flag):
  """Set or clear the drain flag (a file whose presence is the flag).

  @return: True

  """
  if not isinstance(drain_flag, bool):
    raise errors.ParameterError("Drain flag must be a boolean, got %r"
                                % (drain_flag, ))
  if drain_flag:
    utils.WriteFile(pathutils.JOB_QUEUE_DRAIN_FILE, data="")
  else:
    utils.RemoveFile(pathutils.JOB_QUEUE_DRAIN_FILE)
  logging.info("Job queue drain flag %s", "set" if drain_flag else "cleared")
  return True


def GetArchiveDirectory(job_id):
  """The name of the archive sub-directory a job goes to (``N // 10000``).

  @rtype: str

  """
  return str(ParseJobId(job_id) // constants.JOBS_PER_ARCHIVE_DIRECTORY)


def GetJobFilename(job_id):
  """Path of a (not archived) job's file."""
  return os.path.join(pathutils.QUEUE_DIR, "%s%d" %
                      (constants.JOB_FILE_PREFIX, ParseJobId(job_id)))


def GetArchivedJobFilename(job_id):
  """Path of an archived job's file."""
  return os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR,
                      GetArchiveDirectory(job_id),
                      "%s%d" % (constants.JOB_FILE_PREFIX,
                                ParseJobId(job_id)))


def ListJobIds():
  """Ids of the job files in the queue directory (not archived), sorted.

  Names not matching ``job-<digits>`` are ignored.

  """
  try:
    names = utils.ListVisibleFiles(pathutils.QUEUE_DIR)
  except FileNotFoundError:
    return []
  ids = []
  for name in names:
    match = constants.JOB_FILE_RE.match(name)
    if match:
      ids.append(int(match.group(1)))
  ids.sort()
  return ids


#: Directory inside the queue directory holding the spare files that job
#: file writes swap in and out (see JobFileWriter)
SPARE_DIR_NAME = ".spare"
_SPARE_PREFIX = "spare-"
#: errnos meaning "this kernel, C library or file system cannot exchange"
_NO_EXCHANGE_ERRNOS = frozenset([errno.ENOSYS, errno.EINVAL, errno.ENOTSUP])


class JobFileWriter:
  """Atomic, synced writes of queue files that free no inode.

  Replacing a file by renaming a freshly written one over it frees the old
  inode, and the next file created allocates one; on ext4 an allocation
  skips every inode freed in the last half minute, one by one, so at a few
  hundred jobs per second (three writes each) the kernel time of the
  writes grew to milliseconds per job.  Here the new contents go into a
  spare file, synced, which is then swapped with the target in one atomic
  step (renameat2 with RENAME_EXCHANGE): the target always holds a whole
  version, and the old contents become the next spare.  A target that does
  not exist yet gets the spare renamed onto its name.  Where swapping is
  not possible the writer falls back to utils.WriteFile.

  Spares live in L{SPARE_DIR_NAME} below the queue directory (hidden, so
  nothing lists them as jobs); those left by an earlier run are reused.

  """
  def __init__(self, queue_dir):
    self._dir = os.path.join(queue_dir, SPARE_DIR_NAME)
    self._lock = threading.Lock()
    self._spares = []
    self._next = 0
    self._exchange = True
    utils.EnsureDirs([(self._dir, QUEUE_DIR_MODE)])
    for name in sorted(os.listdir(self._dir)):
      suffix = name[len(_SPARE_PREFIX):]
      if name.startswith(_SPARE_PREFIX) and suffix.isdigit():
        self._spares.append(os.path.join(self._dir, name))
        self._next = max(self._next, int(suffix) + 1)

  def _TakeSpare(self):
    with self._lock:
      if self._spares:
        return self._spares.pop()
      self._next += 1
      return os.path.join(self._dir, "%s%d" % (_SPARE_PREFIX, self._next))

  def _ReturnSpare(self, path):
    with self._lock:
      self._spares.append(path)

  def Write(self, filename, data):
    """Replace ``filename`` with ``data`` (str or bytes), synced.

    @raise EnvironmentError: the file could not be written; it keeps its
        previous contents

    """
    if isinstance(data, str):
      data = data.encode("utf-8")
    if not self._exchange:
      utils.WriteFile(filename, data=data, sync_dir=False)
      return
    spare = self._TakeSpare()
    try:
      fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC |
                   os.O_CLOEXEC, 0o600)
      try:
        view = memoryview(data)
        while view:
          view = view[os.write(fd, view):]
        os.fsync(fd)
      finally:
        os.close(fd)
      try:
        utils.ExchangeFiles(spare, filename)
      except FileNotFoundError:
        os.rename(spare, filename)
        spare = None
      except OSError as err:
        if err.errno not in _NO_EXCHANGE_ERRNOS:
          raise
        logging.info("Cannot exchange files in %s (%s); job files are"
                     " written by rename from now on", self._dir, err)
        self._exchange = False
        os.rename(spare, filename)
        spare = None
    finally:
      if spare is not None:
        self._ReturnSpare(spare)
