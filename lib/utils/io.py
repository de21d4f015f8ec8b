"""Files and directories: atomic writes, reads, paths, pid files.

Layer 1 (base). Every file Ganeti writes (config.data, ssconf, job files,
certificates) goes through WriteFile, which never leaves a half-written
file: data goes to a temporary file in the same directory, is synced, then
renamed over the target, and the directory is synced too. Must not import
anything above the base layer; paths come from callers (pathutils), never
from here.
"""

import errno
import logging
import os
import shutil
import stat
import tempfile
import time
import uuid

from ganeti import constants
from ganeti import errors
from ganeti.utils import filelock as utils_filelock
from ganeti.utils import wrapper as utils_wrapper


#: WriteFile ``keep_perms`` values: never copy the old file's mode and
#: owner, always (the file must exist), or only if the file exists
KP_NEVER = 0
KP_ALWAYS = 1
KP_IF_EXISTS = 2
KEEP_PERMS_VALUES = frozenset([KP_NEVER, KP_ALWAYS, KP_IF_EXISTS])

_LOST_AND_FOUND = "lost+found"

_PID_MAX_LEN = 64


def _FsyncDir(dir_name):
  """Make a rename in dir_name durable; not all file systems allow it."""
  try:
    fd = os.open(dir_name, os.O_RDONLY | os.O_DIRECTORY)
  except OSError as err:
    logging.debug("Cannot open directory %s for fsync: %s", dir_name, err)
    return
  try:
    os.fsync(fd)
  except OSError as err:
    if err.errno not in (errno.EINVAL, errno.EBADF):
      raise
  finally:
    os.close(fd)


def _WriteAll(fd, data):
  view = memoryview(data)
  while view:
    written = os.write(fd, view)
    view = view[written:]


def TimestampForFilename():
  """Current local time in a form fit for file names (no colons)."""
  return time.strftime("%Y-%m-%d_%H_%M_%S")


def CreateBackup(file_name):
  """Copy a file to "<name>.backup-<timestamp>.<random>" beside it.

  @return: the name of the backup
  @raise errors.ProgrammerError: file_name is not a regular file

  """
  if not os.path.isfile(file_name):
    raise errors.ProgrammerError("Can't make a backup of a non-file '%s'"
                                 % (file_name, ))
  prefix = "%s.backup-%s." % (os.path.basename(file_name),
                              TimestampForFilename())
  dir_name = os.path.dirname(file_name)
  with open(file_name, "rb") as source:
    (fd, backup_name) = tempfile.mkstemp(prefix=prefix, dir=dir_name)
    with os.fdopen(fd, "wb") as target:
      logging.debug("Backing up %s at %s", file_name, backup_name)
      shutil.copyfileobj(source, target)
  return backup_name


def _CheckWriteFileArgs(file_name, fn, data, atime, mtime, keep_perms, mode,
                        uid, gid):
  if not isinstance(file_name, str) or not os.path.isabs(file_name):
    raise errors.ProgrammerError("Path passed to WriteFile is not absolute:"
                                 " '%s'" % (file_name, ))
  if (fn is None) == (data is None):
    raise errors.ProgrammerError("WriteFile of %s needs exactly one of fn"
                                 " and data" % file_name)
  if data is not None and not isinstance(data, (str, bytes, bytearray)):
    raise errors.ProgrammerError("WriteFile of %s: data must be str or bytes,"
                                 " got %s" % (file_name, type(data).__name__))
  if (atime is None) != (mtime is None):
    raise errors.ProgrammerError("WriteFile of %s: atime and mtime must be"
                                 " given together" % file_name)
  if keep_perms not in KEEP_PERMS_VALUES:
    raise errors.ProgrammerError("WriteFile of %s: invalid keep_perms value"
                                 " %r" % (file_name, keep_perms))
  if keep_perms != KP_NEVER and (mode is not None or uid != -1 or gid != -1):
    raise errors.ProgrammerError("WriteFile of %s: keep_perms cannot be"
                                 " combined with mode, uid or gid" % file_name)


def WriteFile(file_name, fn=None, data=None, mode=None, uid=-1, gid=-1,
              atime=None, mtime=None, close=True, dry_run=False, backup=False,
              prewrite=None, postwrite=None, keep_perms=KP_NEVER,
              sync_dir=True):
  """Replace a file's contents atomically.

  Readers see either the old file or the complete new one, even if this
  process is killed half-way: the data is written to a temporary file in
  the same directory, synced, and renamed over the target.

  @param file_name: absolute path of the target
  @param fn: function called with the temporary file's descriptor to write
      the contents (exclusive with data)
  @param data: contents, str (written as UTF-8) or bytes
  @param mode: permission bits of the new file (default: 0600, mkstemp's)
  @param uid: owner to set (-1: unchanged)
  @param gid: group to set (-1: unchanged)
  @param atime: access time to set (with mtime)
  @param mtime: modification time to set (with atime)
  @param close: if False, the descriptor of the new file is returned open
  @param dry_run: write and sync, but do not rename (the temporary file is
      removed)
  @param backup: first copy an existing target with CreateBackup
  @param prewrite: function called with the descriptor before writing
  @param postwrite: function called with the descriptor after writing
  @param keep_perms: KP_NEVER, KP_ALWAYS or KP_IF_EXISTS: copy mode and
      owner of the file being replaced
  @param sync_dir: also sync the directory after the rename, so the rename
      itself survives a power loss at once; without it the rename is made
      durable by the file system's next journal commit (within seconds,
      or at the next fsync of any file on it), which files written at a
      high rate (the job queue) accept in exchange for one sync less
  @return: the open descriptor if close is False, else None
  @raise errors.ProgrammerError: bad combination of arguments

  """
  _CheckWriteFileArgs(file_name, fn, data, atime, mtime, keep_perms, mode,
                      uid, gid)

  if keep_perms != KP_NEVER:
    try:
      old = os.stat(file_name)
    except OSError as err:
      if keep_perms == KP_ALWAYS or err.errno != errno.ENOENT:
        raise
    else:
      mode = stat.S_IMODE(old.st_mode)
      uid = old.st_uid
      gid = old.st_gid

  if backup and not dry_run and os.path.isfile(file_name):
    CreateBackup(file_name)

  (dir_name, base_name) = os.path.split(file_name)
  (fd, new_name) = tempfile.mkstemp(suffix=".new", prefix="." + base_name,
                                    dir=dir_name)
  renamed = False
  try:
    if uid != -1 or gid != -1:
      os.chown(new_name, uid, gid)
    if mode is not None:
      os.chmod(new_name, mode)
    if callable(prewrite):
      prewrite(fd)
    if data is not None:
      if isinstance(data, str):
        data = data.encode("utf-8")
      _WriteAll(fd, data)
    else:
      fn(fd)
    if callable(postwrite):
      postwrite(fd)
    os.fsync(fd)
    if atime is not None:
      os.utime(new_name, (atime, mtime))
    if not dry_run:
      os.rename(new_name, file_name)
      renamed = True
      if sync_dir:
        _FsyncDir(dir_name or ".")
  except BaseException:
    utils_wrapper.CloseFdNoError(fd)
    if not renamed:
      RemoveFile(new_name)
    raise
  if not renamed:
    RemoveFile(new_name)
  if close:
    os.close(fd)
    return None
  return fd


def GetFileID(path=None, fd=None):
  """Identify a file version by (device, inode, mtime).

  @param path: file name (exclusive with fd)
  @param fd: open descriptor or object with fileno() (exclusive with path)

  """
  if (path is None) == (fd is None):
    raise errors.ProgrammerError("GetFileID needs exactly one of path and fd")
  if path is not None:
    st = os.stat(path)
  else:
    st = os.fstat(fd if isinstance(fd, int) else fd.fileno())
  return (st.st_dev, st.st_ino, st.st_mtime)


def VerifyFileID(fi_disk, fi_ours):
  """Whether the file on disk is still the version we last wrote or read.

  The same device and inode, and an mtime no newer than ours.

  """
  (disk_dev, disk_ino, disk_mtime) = fi_disk
  (our_dev, our_ino, our_mtime) = fi_ours
  return (disk_dev, disk_ino) == (our_dev, our_ino) and \
    disk_mtime <= our_mtime


def SafeWriteFile(file_name, file_id, **kwargs):
  """WriteFile, refusing to overwrite a file someone else changed.

  Takes an exclusive lock on the current file while checking and writing.

  @param file_id: GetFileID of the version we know, or None to skip the
      check
  @raise errors.LockError: the file changed since file_id was taken

  """
  lock = utils_filelock.FileLock.Open(file_name)
  try:
    lock.Exclusive(blocking=True)
    if file_id is not None:
      disk_id = GetFileID(fd=lock.fileno())
      if not VerifyFileID(disk_id, file_id):
        raise errors.LockError("Cannot overwrite file %s, it has been"
                               " modified since last written" % file_name)
    return WriteFile(file_name, **kwargs)
  finally:
    lock.Close()


def ReadBinaryFile(file_name, size=-1):
  """Read a file (all of it, or at most size bytes) as bytes."""
  with open(file_name, "rb") as handle:
    return handle.read(size)


def ReadFile(file_name, size=-1, preread=None):
  """Read a UTF-8 text file (all of it, or at most size characters).

  Line endings are kept as they are on disk.

  @param preread: function called with the open file object first (to
      lock it, for example)
  @raise EnvironmentError: the file cannot be read
  @raise errors.GenericError: the file is not valid UTF-8

  """
  with open(file_name, "r", encoding="utf-8", newline="") as handle:
    if preread:
      preread(handle)
    try:
      return handle.read(size)
    except UnicodeDecodeError as err:
      raise errors.GenericError("File %s is not valid UTF-8: %s"
                                % (file_name, err)) from err


def ReadOneLineFile(file_name, strict=False):
  """Return the first non-empty line of a file, without line ending.

  @param strict: fail if there is more than one non-empty line
  @raise errors.GenericError: no data, or too many lines with strict

  """
  lines = [line for line in ReadFile(file_name).splitlines() if line]
  if not lines:
    raise errors.GenericError("No data in one-liner file %s" % file_name)
  if strict and len(lines) > 1:
    raise errors.GenericError("Too many lines in one-liner file %s"
                              % file_name)
  return lines[0]


def RemoveFile(filename):
  """Remove a file; a missing file (or a directory) is not an error."""
  try:
    os.unlink(filename)
  except OSError as err:
    if err.errno not in (errno.ENOENT, errno.EISDIR):
      raise


def RemoveDir(dirname):
  """Remove an empty directory; a missing directory is not an error.

  @raise OSError: the directory is not empty, or another failure

  """
  try:
    os.rmdir(dirname)
  except OSError as err:
    if err.errno != errno.ENOENT:
      raise


def RenameFile(old, new, mkdir=False, mkdir_mode=0o750, dir_uid=None,
               dir_gid=None):
  """Rename a file, creating the target's directory if asked to.

  @param mkdir: create missing parent directories of new
  @param mkdir_mode: mode of created directories
  @param dir_uid: owner of created directories (with dir_gid)
  @param dir_gid: group of created directories

  """
  try:
    return os.rename(old, new)
  except OSError as err:
    if not (mkdir and err.errno == errno.ENOENT and os.path.exists(old)):
      raise
  dir_name = os.path.dirname(new)
  _MakeDirs(dir_name, mkdir_mode, dir_uid, dir_gid)
  return os.rename(old, new)


def _MakeDirs(path, mode, uid, gid):
  """Create path and its missing parents with mode (and owner)."""
  missing = []
  current = path
  while current and not os.path.isdir(current):
    missing.append(current)
    parent = os.path.dirname(current)
    if parent == current:
      break
    current = parent
  for dir_name in reversed(missing):
    try:
      os.mkdir(dir_name, mode)
    except OSError as err:
      if err.errno != errno.EEXIST:
        raise
      continue
    os.chmod(dir_name, mode)
    if uid is not None or gid is not None:
      os.chown(dir_name, -1 if uid is None else uid,
               -1 if gid is None else gid)


def EnforcePermission(path, mode, uid=None, gid=None, must_exist=True,
                      _chmod_fn=os.chmod, _chown_fn=os.chown,
                      _stat_fn=os.stat):
  """Give an existing path the wanted mode and owner, if they differ.

  @param must_exist: fail if path does not exist (else do nothing)
  @raise errors.GenericError: path missing, or cannot be changed

  """
  try:
    st = _stat_fn(path)
  except OSError as err:
    if err.errno == errno.ENOENT and not must_exist:
      return
    raise errors.GenericError("Cannot stat '%s': %s" % (path, err)) from err
  if stat.S_IMODE(st.st_mode) != mode:
    try:
      _chmod_fn(path, mode)
    except OSError as err:
      raise errors.GenericError("Cannot set mode %#o on '%s': %s"
                                % (mode, path, err)) from err
  new_uid = -1 if uid is None or uid == st.st_uid else uid
  new_gid = -1 if gid is None or gid == st.st_gid else gid
  if new_uid != -1 or new_gid != -1:
    try:
      _chown_fn(path, new_uid, new_gid)
    except OSError as err:
      raise errors.GenericError("Cannot set owner %s:%s on '%s': %s"
                                % (uid, gid, path, err)) from err


def MakeDirWithPerm(path, mode, uid, gid, _lstat_fn=os.lstat,
                    _mkdir_fn=os.mkdir, _perm_fn=EnforcePermission):
  """Create a directory (if missing) with the given mode and owner.

  @raise errors.GenericError: path exists but is not a directory, or the
      directory cannot be created

  """
  try:
    st = _lstat_fn(path)
  except OSError as err:
    if err.errno != errno.ENOENT:
      raise errors.GenericError("Cannot stat '%s': %s" % (path, err)) \
        from err
    try:
      _mkdir_fn(path)
    except OSError as err2:
      raise errors.GenericError("Cannot create directory '%s': %s"
                                % (path, err2)) from err2
  else:
    if not stat.S_ISDIR(st.st_mode):
      raise errors.GenericError("Path '%s' exists but is not a directory"
                                % path)
  _perm_fn(path, mode, uid=uid, gid=gid)


def EnsureDirs(dirs):
  """Make sure each (path, mode) directory exists with that mode.

  @raise errors.GenericError: a directory cannot be created or chmod'ed, or
      the path exists and is not a directory

  """
  for (dir_name, dir_mode) in dirs:
    try:
      os.mkdir(dir_name, dir_mode)
    except OSError as err:
      if err.errno != errno.EEXIST:
        raise errors.GenericError("Cannot create needed directory '%s': %s"
                                  % (dir_name, err)) from err
    if not os.path.isdir(dir_name):
      raise errors.GenericError("%s is not a directory" % dir_name)
    try:
      os.chmod(dir_name, dir_mode)
    except OSError as err:
      raise errors.GenericError("Cannot change directory permissions on"
                                " '%s': %s" % (dir_name, err)) from err


def IsNormAbsPath(path):
  """Whether path is absolute and already normalized (no "..", "//")."""
  return (isinstance(path, str) and os.path.isabs(path) and
          os.path.normpath(path) == path and not path.startswith("//"))


def IsBelowDir(root, other_path):
  """Whether other_path lies strictly below root (after normalization).

  @raise ValueError: a path is not absolute

  """
  if not (isinstance(root, str) and isinstance(other_path, str) and
          os.path.isabs(root) and os.path.isabs(other_path)):
    raise ValueError("Provided paths '%s' and '%s' are not absolute"
                     % (root, other_path))
  norm_other = os.path.normpath(other_path)
  if norm_other == os.sep:
    return False
  norm_root = os.path.normpath(root)
  if norm_root != os.sep:
    norm_root += os.sep
  return norm_other.startswith(norm_root)


def PathJoin(*args):
  """Join path components, refusing results outside the first one.

  @raise ValueError: no arguments, the base is not a normalized absolute
      path, or the result is not normalized or escapes the base (via ".."
      or an absolute component)

  """
  if not args:
    raise ValueError("PathJoin requires at least one argument")
  root = args[0]
  if not IsNormAbsPath(root):
    raise ValueError("Invalid base path for PathJoin: '%s'" % (root, ))
  for part in args[1:]:
    if not isinstance(part, str):
      raise ValueError("PathJoin components must be strings, got %r"
                       % (part, ))
  result = os.path.join(*args)
  if not IsNormAbsPath(result):
    raise ValueError("Invalid parameters to PathJoin: %s gives '%s'"
                     % (args, result))
  if len(args) > 1 and not IsBelowDir(root, result):
    raise ValueError("Path joining resulted in different prefix"
                     " (%s is not below %s)" % (result, root))
  return result


def ListVisibleFiles(path, _is_mountpoint=os.path.ismount):
  """List the names in a directory not starting with a dot.

  The "lost+found" of a mount point is hidden too.

  @raise errors.ProgrammerError: path is not a normalized absolute path

  """
  if not IsNormAbsPath(path):
    raise errors.ProgrammerError("Path passed to ListVisibleFiles is not"
                                 " normalized and absolute: '%s'" % (path, ))
  names = [name for name in os.listdir(path) if not name.startswith(".")]
  if _LOST_AND_FOUND in names and _is_mountpoint(path):
    names.remove(_LOST_AND_FOUND)
  return names


def FindFile(name, search_path, test=os.path.exists):
  """Find a plugin (OS, iallocator) by name along a search path.

  @param name: a plain name (letters, digits, "_" and "-")
  @param test: predicate a candidate path must satisfy
  @return: the first matching path, or None (also for invalid names)

  """
  if not (isinstance(name, str) and constants.EXT_PLUGIN_MASK.match(name)):
    logging.critical("Invalid value passed for external script name: '%s'",
                     name)
    return None
  for dir_name in search_path:
    candidate = os.path.join(dir_name, name)
    if os.path.basename(candidate) == name and test(candidate):
      return candidate
  return None


def _ParsePidFileContents(data):
  try:
    pid = int(data.strip())
  except (TypeError, ValueError):
    logging.info("Can't parse pid file contents %r", data)
    return 0
  return pid if pid > 0 else 0


def ReadPidFile(pidfile):
  """Read a pid from a pid file.

  @return: the pid, or 0 if the file is missing, empty or unreadable

  """
  try:
    with open(pidfile, "rb") as handle:
      data = handle.read(_PID_MAX_LEN)
  except EnvironmentError as err:
    if err.errno != errno.ENOENT:
      logging.exception("Can't read pid file %s", pidfile)
    return 0
  return _ParsePidFileContents(data.decode("ascii", "replace"))


def ReadLockedPidFile(path):
  """Return the pid in a pid file whose owner is still alive.

  The daemon holds an exclusive lock on its pid file for its lifetime: if
  we can take the lock, the daemon is gone.

  @return: the pid, or None if the file is missing or not locked

  """
  try:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
  except OSError as err:
    if err.errno == errno.ENOENT:
      return None
    raise
  try:
    try:
      utils_filelock.LockFile(fd)
    except errors.LockError:
      return _ParsePidFileContents(
        os.read(fd, _PID_MAX_LEN).decode("ascii", "replace")) or None
  finally:
    os.close(fd)
  return None


def WritePidFile(pidfile):
  """Write our pid to pidfile and keep it exclusively locked.

  The file is not replaced, only rewritten in place once locked, so a lock
  held by a running daemon is never lost. The returned descriptor must stay
  open for the life of the daemon (it is close-on-exec).

  @return: the descriptor of the locked pid file
  @raise errors.PidFileLockError: another process holds the lock

  """
  fd = os.open(pidfile, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
  try:
    try:
      utils_filelock.LockFile(fd)
    except errors.LockError as err:
      other = _ParsePidFileContents(
        os.read(fd, _PID_MAX_LEN).decode("ascii", "replace"))
      raise errors.PidFileLockError("Pid file %s is locked by another"
                                    " process (pid %s)"
                                    % (pidfile, other or "unknown")) from err
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    _WriteAll(fd, ("%d\n" % os.getpid()).encode("ascii"))
  except BaseException:
    utils_wrapper.CloseFdNoError(fd)
    raise
  return fd


def RemovePidFile(pidfile):
  """Remove a pid file; a missing file is fine."""
  RemoveFile(pidfile)


def TailFile(fname, lines=20):
  """Return the last ``lines`` lines of a file (without line endings)."""
  if isinstance(lines, bool) or not isinstance(lines, int) or lines < 0:
    raise ValueError("TailFile line count must be a non-negative integer,"
                     " got %r" % (lines, ))
  if lines == 0:
    return []
  block = 4096
  with open(fname, "rb") as handle:
    handle.seek(0, os.SEEK_END)
    pos = handle.tell()
    chunk = b""
    # Read backwards until enough line breaks are seen (one extra, since
    # the first line in the buffer may be cut).
    while pos > 0 and chunk.count(b"\n") <= lines:
      step = min(block, pos)
      pos -= step
      handle.seek(pos)
      chunk = handle.read(step) + chunk
  rows = chunk.decode("utf-8", "replace").splitlines()
  if pos > 0:
    rows = rows[1:]
  return rows[-lines:]


def NewUUID():
  """Return a new random UUID as a lower-case string."""
  return str(uuid.uuid4())


def BytesToMebibyte(value):
  """Convert bytes to MiB, rounding to the nearest integer."""
  return int((value + 512 * 1024) // (1024 * 1024))


def CalculateDirectorySize(path):
  """Total size in MiB of the files below path (symlinks not followed)."""
  size = 0
  for (curpath, _, files) in os.walk(path):
    for name in files:
      st = os.lstat(os.path.join(curpath, name))
      size += st.st_size
  return BytesToMebibyte(size)


def GetFilesystemStats(path):
  """Return (total, free) MiB of the file system holding path."""
  st = os.statvfs(path)
  return (BytesToMebibyte(st.f_blocks * st.f_frsize),
          BytesToMebibyte(st.f_bavail * st.f_frsize))


def GetMounts(filename="/proc/mounts"):
  """Parse a mounts table into (device, mountpoint, fstype, options) tuples.

  @raise errors.GenericError: a line does not have at least four fields

  """
  result = []
  with open(filename, "r", encoding="utf-8") as handle:
    for (lineno, line) in enumerate(handle, start=1):
      fields = line.split()
      if not fields:
        continue
      if len(fields) < 4:
        raise errors.GenericError("Malformed line %d in %s: %r"
                                  % (lineno, filename, line))
      result.append(tuple(fields[:4]))
  return result


def ReadWatcherPauseFile(filename, now=None,
                         remove_after=constants.WATCHER_PAUSE_REMOVE_AFTER):
  """The watcher pause end time (whole seconds), or None when not paused.

  A file that is malformed, or out of date by more than ``remove_after``
  seconds, is removed.

  """
  if now is None:
    now = time.time()
  try:
    value = ReadFile(filename)
  except EnvironmentError:
    return None
  try:
    until = int(value.strip())
  except ValueError:
    logging.warning("Watcher pause file %s holds %r, not a time; removing it",
                    filename, value)
    RemoveFile(filename)
    return None
  if now > until + remove_after:
    RemoveFile(filename)
    return None
  if now > until:
    return None
  return until



#: renameat2() flag swapping two names atomically (linux/fs.h)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_RENAMEAT2 = []


def _Renameat2():
  """libc's renameat2, or None where the C library lacks it."""
  if not _RENAMEAT2:
    import ctypes  # pylint: disable=C0415
    try:
      func = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
      func = None
    else:
      func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                       ctypes.c_char_p, ctypes.c_uint]
      func.restype = ctypes.c_int
    _RENAMEAT2.append((func, ctypes))
  return _RENAMEAT2[0]


def ExchangeFiles(path_a, path_b):
  """Swap two existing names atomically (renameat2 RENAME_EXCHANGE).

  @raise OSError: the swap failed; errno ENOSYS or EINVAL when the kernel,
      the C library or the file system cannot do it

  """
  (func, ctypes) = _Renameat2()
  if func is None:
    raise OSError(errno.ENOSYS, "renameat2 is not available")
  if func(_AT_FDCWD, os.fsencode(path_a), _AT_FDCWD, os.fsencode(path_b),
          _RENAME_EXCHANGE) != 0:
    err = ctypes.get_errno()
    raise OSError(err, "Cannot exchange %s and %s: %s" %
                  (path_a, path_b, os.strerror(err)))
