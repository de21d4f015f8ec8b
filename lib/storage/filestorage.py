"""File-backed disks (file and sharedfile templates) and their directories.

Layer 3 (node side).  A FileStorage device (constants.LD_FILE, unique_id
(driver, path)) is a sparse file: created with truncate, grown by
extending it, removed and renamed as a file.  The path in the unique_id is
the configuration's, the same on every node; it must lie strictly below
the cluster's file storage directory or its shared file storage directory
(read from ssconf), after normalisation, so ``..`` cannot escape.  The
node's real path comes from LocalPath: in a virtual cluster a file
storage path moves under the node's root (vcluster.AddNodePrefix) and a
shared one under the cluster's shared directory (vcluster.AddSharedPrefix);
symbolic links leading out of the real directory are refused too.

The instance directory (``<storage dir>/<instance>/``) is created on
demand; RemoveFileStorageDir removes it once it is empty.
"""

import errno
import os
from typing import Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.storage import base


_MIB = 1024 * 1024

#: Mode of directories made for instances' files
DIR_MODE = 0o750

#: Mode of new disk files
FILE_MODE = 0o600


def GetFileStorageDirs(_ss=None) -> Tuple[str, str]:
  """Returns the cluster's (file storage dir, shared file storage dir).

  Either may be "" when that kind of storage is not configured.

  @raise errors.BlockDeviceError: ssconf cannot be read

  """
  if _ss is None:
    _ss = ssconf.SimpleStore()
  try:
    return (_ss.GetFileStorageDir(), _ss.GetSharedFileStorageDir())
  except errors.ConfigurationError as err:
    base.ThrowError("Cannot read the cluster's file storage directories: %s",
                    err)


def _BaseDirOf(path: str, dirs: Tuple[str, str],
               shown: str) -> Tuple[str, bool]:
  """Finds the storage directory ``path`` lies strictly below.

  @return: (directory, whether it is the shared one)

  """
  candidates = []
  for (directory, shared) in ((dirs[0], False), (dirs[1], True)):
    if directory and os.path.isabs(directory) and \
        utils.IsBelowDir(directory, path):
      candidates.append((os.path.normpath(directory), shared))
  if not candidates:
    base.ThrowError("File storage path '%s' is not below the file storage"
                    " directory (%s) nor the shared file storage directory"
                    " (%s)", shown, dirs[0] or "not configured",
                    dirs[1] or "not configured")
  # the most specific directory wins should one contain the other
  candidates.sort(key=lambda item: len(item[0]), reverse=True)
  return candidates[0]


def CheckFileStoragePath(path, _dirs: Optional[Tuple[str, str]] = None
                         ) -> Tuple[str, bool]:
  """Checks that a configuration path may hold file storage.

  @param path: the path as stored in the configuration
  @return: (storage directory containing it, whether it is the shared one)
  @raise errors.BlockDeviceError: not an absolute path, or not strictly
      below one of the directories once normalised

  """
  if not isinstance(path, str) or not os.path.isabs(path) or "\0" in path:
    base.ThrowError("Invalid file storage path %r: not an absolute path",
                    path)
  if _dirs is None:
    _dirs = GetFileStorageDirs()
  return _BaseDirOf(os.path.normpath(path), _dirs, path)


def _LocalFor(path: str, shared: bool) -> str:
  if shared:
    return vcluster.AddSharedPrefix(path)
  return vcluster.AddNodePrefix(path)


def LocalPath(path: str, _dirs: Optional[Tuple[str, str]] = None) -> str:
  """Maps a checked configuration path to this node's real path.

  @raise errors.BlockDeviceError: see CheckFileStoragePath

  """
  (_, shared) = CheckFileStoragePath(path, _dirs=_dirs)
  return _LocalFor(os.path.normpath(path), shared)


def _ResolveConfined(path: str, _dirs=None) -> str:
  """Checks ``path`` and returns its local path, refusing symlink escapes.

  The real location of the local path (symbolic links resolved, for the
  parts that exist) must stay strictly below the real local storage
  directory.

  """
  (basedir, shared) = CheckFileStoragePath(path, _dirs=_dirs)
  local = _LocalFor(os.path.normpath(path), shared)
  local_base = _LocalFor(basedir, shared)
  real = os.path.realpath(local)
  real_base = os.path.realpath(local_base)
  if not utils.IsBelowDir(real_base, real):
    base.ThrowError("File storage path '%s' (local '%s') leads to '%s',"
                    " outside the storage directory '%s'", path, local, real,
                    real_base)
  return local


def _EnsureParent(local: str, name: str) -> None:
  parent = os.path.dirname(local)
  try:
    os.makedirs(parent, DIR_MODE, exist_ok=True)
  except OSError as err:
    base.ThrowError("Cannot create directory '%s' for %s: %s", parent, name,
                    err)


def CreateFileStorageDir(path: str) -> str:
  """Creates an instance's directory below a storage directory.

  @return: the local path
  @raise errors.BlockDeviceError: path refused, or exists but is not a
      directory, or cannot be created

  """
  local = _ResolveConfined(path)
  if os.path.exists(local) and not os.path.isdir(local):
    base.ThrowError("File storage directory '%s' exists but is not a"
                    " directory", local)
  try:
    os.makedirs(local, DIR_MODE, exist_ok=True)
  except OSError as err:
    base.ThrowError("Cannot create file storage directory '%s': %s", local,
                    err)
  return local


def RemoveFileStorageDir(path: str) -> None:
  """Removes an instance's (empty) directory; a missing one is fine.

  @raise errors.BlockDeviceError: path refused, not a directory, not
      empty, or cannot be removed

  """
  local = _ResolveConfined(path)
  if not os.path.lexists(local):
    return
  if os.path.islink(local) or not os.path.isdir(local):
    base.ThrowError("File storage directory '%s' is not a directory", local)
  try:
    os.rmdir(local)
  except OSError as err:
    if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
      base.ThrowError("Cannot remove file storage directory '%s': it is not"
                      " empty (%s)", local,
                      utils.CommaJoin(sorted(os.listdir(local))))
    base.ThrowError("Cannot remove file storage directory '%s': %s", local,
                    err)


def RenameFileStorageDir(old_path: str, new_path: str) -> None:
  """Renames an instance's directory (on instance rename).

  A missing old directory with an existing new one is taken as done.

  @raise errors.BlockDeviceError: paths refused, in different storage
      directories, the new one exists already, or the rename failed

  """
  (old_base, old_shared) = CheckFileStoragePath(old_path)
  (new_base, new_shared) = CheckFileStoragePath(new_path)
  if (old_base, old_shared) != (new_base, new_shared):
    base.ThrowError("Cannot rename '%s' to '%s': not in the same storage"
                    " directory", old_path, new_path)
  old_local = _ResolveConfined(old_path)
  new_local = _ResolveConfined(new_path)
  if not os.path.isdir(old_local):
    if os.path.isdir(new_local):
      return
    base.ThrowError("Cannot rename '%s' to '%s': '%s' is not a directory",
                    old_path, new_path, old_local)
  if os.path.lexists(new_local):
    base.ThrowError("Cannot rename '%s' to '%s': '%s' exists already",
                    old_path, new_path, new_local)
  _EnsureParent(new_local, new_path)
  try:
    os.rename(old_local, new_local)
  except OSError as err:
    base.ThrowError("Cannot rename '%s' to '%s': %s", old_local, new_local,
                    err)


def _CheckUniqueId(unique_id) -> Tuple[str, str]:
  if not isinstance(unique_id, (tuple, list)) or len(unique_id) != 2:
    base.ThrowError("Invalid file device id %r: expected (driver, path)",
                    unique_id)
  (driver, path) = unique_id
  if driver not in constants.FILE_DRIVER:
    base.ThrowError("Invalid file driver %r for '%s' (valid: %s)", driver,
                    path, utils.CommaJoin(sorted(constants.FILE_DRIVER)))
  return (driver, path)


class FileStorage(base.BlockDev):
  """A disk kept in a sparse file (constants.LD_FILE).

  @ivar driver: the file driver (constants.FD_*)
  @ivar file_path: the configuration's path
  @ivar dev_path: this node's real path of the file

  """
  def __init__(self, unique_id, children, size, params, _run_cmd=None):
    if children:
      base.ThrowError("File device %r cannot have children", unique_id)
    (driver, path) = _CheckUniqueId(unique_id)
    base.BlockDev.__init__(self, (driver, path), children, size, params,
                           _run_cmd=_run_cmd)
    self.driver = driver
    self.dev_path = _ResolveConfined(path)
    self.file_path = os.path.normpath(path)
    self.Attach()

  @classmethod
  def Create(cls, unique_id, children, size_mib, params, excl_stor,
             _run_cmd=None) -> "FileStorage":
    """Creates the sparse file of ``size_mib`` MiB (and its directory).

    @raise errors.BlockDeviceError: path refused, file exists already,
        or it cannot be created

    """
    if children:
      base.ThrowError("File device %r cannot have children", unique_id)
    (driver, path) = _CheckUniqueId(unique_id)
    if excl_stor:
      base.ThrowError("Exclusive storage is not possible for file '%s'",
                      path)
    local = _ResolveConfined(path)
    _EnsureParent(local, path)
    try:
      fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as err:
      if err.errno == errno.EEXIST:
        base.ThrowError("Cannot create file device '%s': file '%s' exists"
                        " already", path, local)
      base.ThrowError("Cannot create file device '%s' (%s): %s", path, local,
                      err)
    try:
      try:
        os.ftruncate(fd, size_mib * _MIB)
      finally:
        os.close(fd)
    except OSError as err:
      utils.RemoveFile(local)
      base.ThrowError("Cannot size file device '%s' (%s) to %d MiB: %s",
                      path, local, size_mib, err)
    return cls((driver, path), children, size_mib, params,
               _run_cmd=_run_cmd)

  def Attach(self) -> bool:
    """The device exists when its file does."""
    self.attached = os.path.isfile(self.dev_path)
    return self.attached

  def Assemble(self) -> None:
    """Nothing to activate; the file must exist."""
    if not os.path.isfile(self.dev_path):
      base.ThrowError("File device '%s' (%s) does not exist", self.file_path,
                      self.dev_path)
    self.attached = True

  def Remove(self) -> None:
    """Deletes the file; a missing file is fine."""
    try:
      os.remove(self.dev_path)
    except OSError as err:
      if err.errno != errno.ENOENT:
        base.ThrowError("Cannot remove file device '%s' (%s): %s",
                        self.file_path, self.dev_path, err)
    self.attached = False

  def Rename(self, new_id) -> None:
    """Moves the file to a new path of the same storage directory."""
    (driver, new_path) = _CheckUniqueId(new_id)
    (old_base, old_shared) = CheckFileStoragePath(self.file_path)
    (new_base, new_shared) = CheckFileStoragePath(new_path)
    if (old_base, old_shared) != (new_base, new_shared):
      base.ThrowError("Cannot rename file device '%s' to '%s': not in the"
                      " same storage directory", self.file_path, new_path)
    new_local = _ResolveConfined(new_path)
    if os.path.lexists(new_local):
      base.ThrowError("Cannot rename file device '%s' to '%s': '%s' exists"
                      " already", self.file_path, new_path, new_local)
    _EnsureParent(new_local, new_path)
    try:
      os.rename(self.dev_path, new_local)
    except OSError as err:
      base.ThrowError("Cannot rename file device '%s' (%s) to '%s': %s",
                      self.file_path, self.dev_path, new_local, err)
    self.driver = driver
    self.file_path = os.path.normpath(new_path)
    self.unique_id = (driver, new_path)
    self.dev_path = new_local
    self.Attach()

  def Grow(self, amount_mib: int, dryrun: bool, backingstore: bool) -> None:
    """Extends the file by ``amount_mib`` (sparse)."""
    if not backingstore:
      return
    current = self.GetActualSize()
    if amount_mib < 0:
      base.ThrowError("Cannot shrink file device '%s' by %d MiB",
                      self.file_path, -amount_mib)
    if dryrun:
      return
    try:
      with open(self.dev_path, "r+b") as handle:
        handle.truncate(current + amount_mib * _MIB)
    except OSError as err:
      base.ThrowError("Cannot grow file device '%s' (%s): %s",
                      self.file_path, self.dev_path, err)

  def GetActualSize(self) -> int:
    """The file's size in bytes."""
    try:
      return os.stat(self.dev_path).st_size
    except OSError as err:
      base.ThrowError("Cannot get the size of file device '%s' (%s): %s",
                      self.file_path, self.dev_path, err)

  def GetUsedBytes(self) -> int:
    """The space the (sparse) file really takes on disk, in bytes."""
    try:
      return os.stat(self.dev_path).st_blocks * 512
    except OSError as err:
      base.ThrowError("Cannot stat file device '%s' (%s): %s",
                      self.file_path, self.dev_path, err)

