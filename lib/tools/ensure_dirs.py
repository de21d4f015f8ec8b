"""ensure-dirs: create a node's runtime directories and fix their modes.

Layer 6 (entry points).  Every directory a node's daemons use (data dir,
job queue and archive, run dir and sockets, locks, logs, crypto and
import/export dirs, bdev cache, disk links, uid pool, configuration and
hooks, file storage and exports) is created with its mode and owner;
existing directories and the cluster files that exist get their modes
fixed, and each fix is reported.  Paths come from pathutils, so under
GANETI_ROOTDIR only that node root is touched; ``GetPaths`` also takes a
path dict from ``pathutils.ComputePaths`` so vcluster-setup can prepare
other nodes without switching environments.

This module must not create files (only directories) and must not remove
anything.
"""

import grp
import optparse
import os
import pwd
import stat
import sys
from typing import Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils


DIR = "dir"
FILE = "file"

#: (path, kind, mode, user, group); files are only fixed when they exist
PathEntry = Tuple[str, str, int, str, str]


def GetPaths(paths: Optional[Dict[str, object]] = None) -> List[PathEntry]:
  """Returns the directories and files to check, parents before children.

  @param paths: attributes as computed by pathutils.ComputePaths (default:
      the current node's, read now)

  """
  if paths is None:
    paths = dict((name, getattr(pathutils, name)) for name in
                 pathutils.ComputePaths("").keys())
  p = paths
  masterd = (constants.MASTERD_USER, constants.MASTERD_GROUP)
  confd = (constants.CONFD_USER, constants.CONFD_GROUP)
  rapi = (constants.RAPI_USER, constants.RAPI_GROUP)
  noded = (constants.NODED_USER, constants.NODED_GROUP)
  admin = (constants.MASTERD_USER, constants.ADMIN_GROUP)
  daemons = (constants.MASTERD_USER, constants.DAEMONS_GROUP)

  def d(key, mode, owner=noded):
    return (p[key], DIR, mode) + owner

  def f(key, mode, owner=noded):
    return (p[key], FILE, mode) + owner

  entries = [
    d("DATA_DIR", 0o755, masterd),
    f("CLUSTER_CONF_FILE", 0o640, (constants.MASTERD_USER,
                                   constants.CONFD_GROUP)),
    f("NODED_CERT_FILE", 0o440, masterd),
    f("RAPI_CERT_FILE", 0o440, rapi),
    f("SPICE_CERT_FILE", 0o440, noded),
    f("SPICE_CACERT_FILE", 0o440, noded),
    f("CONFD_HMAC_KEY", 0o440, confd),
    f("CLUSTER_DOMAIN_SECRET_FILE", 0o640, masterd),
    f("SSH_KNOWN_HOSTS_FILE", 0o644, masterd),
    (os.path.dirname(p["RAPI_USERS_FILE"]), DIR, 0o750) + rapi,
    f("RAPI_USERS_FILE", 0o640, rapi),
    d("QUEUE_DIR", 0o700, masterd),
    f("JOB_QUEUE_LOCK_FILE", 0o600, masterd),
    f("JOB_QUEUE_SERIAL_FILE", 0o600, masterd),
    f("JOB_QUEUE_VERSION_FILE", 0o600, masterd),
    d("JOB_QUEUE_ARCHIVE_DIR", 0o700, masterd),
    d("RUN_DIR", 0o775, daemons),
    d("SOCKET_DIR", 0o750, daemons),
    d("BDEV_CACHE_DIR", 0o755),
    d("DISK_LINKS_DIR", 0o755),
    d("UIDPOOL_LOCKDIR", 0o750),
    d("CRYPTO_KEYS_DIR", 0o700),
    d("IMPORT_EXPORT_DIR", 0o755),
    d("LOCK_DIR", 0o755),
    d("LOG_DIR", 0o770, daemons),
    d("LOG_OS_DIR", 0o750),
    d("LOG_CLEANER_DIR", 0o750),
    d("CONF_DIR", 0o755, admin),
    d("HOOKS_BASE_DIR", 0o755, admin),
    d("DEFAULT_FILE_STORAGE_DIR", 0o750),
    d("DEFAULT_SHARED_FILE_STORAGE_DIR", 0o750),
    d("EXPORT_DIR", 0o755),
    ]
  # the node's own OS directory, present only in a virtual cluster (the
  # machine's /srv/ganeti/os belongs to the administrator)
  root = os.path.dirname(p["LOCALSTATEDIR"])
  for os_dir in p["OS_SEARCH_PATH"]:
    if root not in ("", "/") and os_dir.startswith(root.rstrip("/") + "/"):
      entries.append((os_dir, DIR, 0o755) + noded)
  return entries


def _LookupIds(user: str, group: str) -> Tuple[int, int]:
  try:
    uid = pwd.getpwnam(user).pw_uid
  except KeyError:
    raise errors.GenericError("Unknown user '%s'" % user)
  try:
    gid = grp.getgrnam(group).gr_gid
  except KeyError:
    raise errors.GenericError("Unknown group '%s'" % group)
  return (uid, gid)


def _Fix(path: str, st: os.stat_result, mode: int, user: str, group: str,
         report: List[str], dry_run: bool) -> None:
  """Sets mode and (as root) owner of an existing path, reporting fixes."""
  current = stat.S_IMODE(st.st_mode)
  if current != mode:
    report.append("Fixed mode of %s: %04o -> %04o" % (path, current, mode))
    if not dry_run:
      os.chmod(path, mode)
  if os.geteuid() != 0:
    # only root can give files away; other users run tests and tools on
    # their own trees, where ownership does not matter
    return
  (uid, gid) = _LookupIds(user, group)
  if (st.st_uid, st.st_gid) != (uid, gid):
    report.append("Fixed owner of %s: %d:%d -> %s:%s" %
                  (path, st.st_uid, st.st_gid, user, group))
    if not dry_run:
      os.chown(path, uid, gid)


def EnsureDirs(entries: List[PathEntry], dry_run: bool = False) -> List[str]:
  """Creates missing directories and fixes modes/owners of existing paths.

  Missing parents of a directory are created with mode 0755.

  @return: one line per change made (creations and fixes)
  @raise errors.GenericError: a path of the wrong type, or a failing
      system call (naming the path)

  """
  report: List[str] = []
  for (path, kind, mode, user, group) in entries:
    try:
      try:
        st = os.lstat(path)
      except FileNotFoundError:
        if kind == FILE:
          continue
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
          report.append("Created %s (parent directories)" % parent)
          if not dry_run:
            os.makedirs(parent, 0o755, exist_ok=True)
        report.append("Created directory %s (mode %04o)" % (path, mode))
        if dry_run:
          continue
        os.mkdir(path, mode)
        # mkdir's mode is filtered by the umask; _Fix sets the real one
        # without reporting it as a fix of something that was wrong
        os.chmod(path, mode)
        st = os.lstat(path)
      if kind == DIR and not stat.S_ISDIR(st.st_mode):
        raise errors.GenericError("%s exists but is not a directory" % path)
      if kind == FILE and not stat.S_ISREG(st.st_mode):
        raise errors.GenericError("%s exists but is not a regular file" %
                                  path)
      _Fix(path, st, mode, user, group, report, dry_run)
    except OSError as err:
      raise errors.GenericError("Cannot prepare %s: %s" % (path, err))
  return report


def _ParseOptions(argv):
  parser = optparse.OptionParser(usage="%prog [-n] [-v]",
                                 prog="ensure-dirs",
                                 description="Creates the node's runtime"
                                 " directories and fixes their permissions")
  parser.add_option("-n", "--dry-run", dest="dry_run", action="store_true",
                    default=False, help="Only report what would change")
  parser.add_option("-v", "--verbose", dest="verbose", action="store_true",
                    default=False, help="Report every change")
  parser.add_option("-q", "--quiet", dest="quiet", action="store_true",
                    default=False, help="Report nothing but errors")
  (options, args) = parser.parse_args(argv)
  if args:
    parser.error("no arguments expected, got: %s" % " ".join(args))
  return options


def Main(argv: Optional[List[str]] = None) -> int:
  """Entry point of tools/ensure-dirs.

  @return: exit code (0 success, 1 failure)

  """
  options = _ParseOptions(sys.argv[1:] if argv is None else argv)
  try:
    pathutils.Reload()
    report = EnsureDirs(GetPaths(), dry_run=options.dry_run)
  except errors.GenericError as err:
    sys.stderr.write("ensure-dirs: %s\n" % err)
    return constants.EXIT_FAILURE
  if not options.quiet:
    for line in report:
      if options.verbose or line.startswith("Fixed"):
        sys.stdout.write("%s\n" % line)
  return constants.EXIT_SUCCESS
