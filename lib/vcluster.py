"""Virtual cluster conventions: many Ganeti nodes on one machine.

Layer 1 (base).  In a virtual cluster every node is a directory (its "node
root") below a common cluster directory; each process learns which node it
is from two environment variables:

  GANETI_ROOTDIR   absolute path of the node root, e.g. /srv/vc/node1
  GANETI_HOSTNAME  the node's host name; must equal the last component of
                   GANETI_ROOTDIR (node1 in the example)

Both unset means a normal, physical node: every helper here is then the
identity.  The parent of the node root is the cluster directory; it holds
one root per node and a ``hosts`` file (``/etc/hosts`` format) through which
the virtual nodes' names resolve, so the machine's /etc/hosts stays
untouched.

The environment is read once at import and again on ``Reload()``; helpers
take private ``_noderoot``/``_basedir`` keywords so tests can exercise other
layouts without touching the process environment.

This module must not import anything above the base layer and must not
create or modify files; it only computes paths and environments.
"""

import os
from typing import Dict, Optional

from ganeti import errors


#: Environment variable naming the node root of a virtual node
ROOTDIR_ENVNAME = "GANETI_ROOTDIR"

#: Environment variable naming the virtual node's host name
HOSTNAME_ENVNAME = "GANETI_HOSTNAME"

#: The machine's hosts file; never moved under a node root, since it belongs
#: to the machine (see GetHostsFile for the virtual cluster's own one)
ETC_HOSTS = "/etc/hosts"

#: Name of the hosts file kept in the cluster directory of a virtual cluster
HOSTS_FILE_NAME = "hosts"

#: Marker opening a node-independent path (see MakeVirtualPath); the comma
#: and hashes make it impossible to confuse with a real path
_VIRT_PATH_PREFIX = "/###-VIRTUAL-PATH-###,"

#: Absolute paths that are shared by the whole machine and so are never
#: prefixed with a node root
_VPATH_WHITELIST = frozenset([ETC_HOSTS])

# Module state, filled by Reload(): node root ("" when not virtual), the
# cluster directory (None when not virtual) and the virtual host name
_VIRT_NODEROOT = ""
_VIRT_BASEDIR: Optional[str] = None
_VIRT_HOSTNAME: Optional[str] = None


def _ReadRootDirectory(environ) -> str:
  """Returns the normalised node root from ``environ``, "" if unset.

  """
  value = environ.get(ROOTDIR_ENVNAME, "")
  if not value:
    return ""
  if not os.path.isabs(value):
    raise errors.ConfigurationError("Environment variable %s must be an"
                                    " absolute path, got '%s'" %
                                    (ROOTDIR_ENVNAME, value))
  path = os.path.normpath(value)
  # normpath keeps a leading "//" (POSIX allows it a special meaning); the
  # node root is always a plain directory, so fold it
  if path.startswith("//"):
    path = "/" + path.lstrip("/")
  if path == "/":
    raise errors.ConfigurationError("Environment variable %s must not name"
                                    " the file system root" % ROOTDIR_ENVNAME)
  return path


def _CheckConsistency(rootdir: str, hostname: Optional[str]) -> None:
  """Refuses half-configured or contradictory virtual cluster environments.

  """
  if bool(rootdir) != bool(hostname):
    raise errors.ConfigurationError(
      "Environment variables %s and %s must be set together or not at all"
      " (%s=%r, %s=%r)" % (ROOTDIR_ENVNAME, HOSTNAME_ENVNAME,
                           ROOTDIR_ENVNAME, rootdir or None,
                           HOSTNAME_ENVNAME, hostname or None))
  if rootdir and os.path.basename(rootdir) != hostname:
    raise errors.ConfigurationError(
      "Last component of %s ('%s') must equal %s ('%s')" %
      (ROOTDIR_ENVNAME, rootdir, HOSTNAME_ENVNAME, hostname))


def ReadEnvironment(environ=None):
  """Parses and checks the virtual cluster variables of an environment.

  @param environ: mapping to read (default: os.environ)
  @return: tuple (node root or "", host name or None)
  @raise errors.ConfigurationError: when the variables are inconsistent

  """
  if environ is None:
    environ = os.environ
  rootdir = _ReadRootDirectory(environ)
  hostname = environ.get(HOSTNAME_ENVNAME) or None
  _CheckConsistency(rootdir, hostname)
  return (rootdir, hostname)


def Reload(environ=None) -> None:
  """Re-reads the virtual cluster settings from the environment.

  Called at import.  Tools and tests that change GANETI_ROOTDIR or
  GANETI_HOSTNAME call it (usually through pathutils.Reload, which also
  recomputes every path).  On error the previous settings stay in force.

  """
  global _VIRT_NODEROOT, _VIRT_BASEDIR, _VIRT_HOSTNAME # pylint: disable=W0603
  (rootdir, hostname) = ReadEnvironment(environ)
  _VIRT_NODEROOT = rootdir
  _VIRT_BASEDIR = os.path.dirname(rootdir) if rootdir else None
  _VIRT_HOSTNAME = hostname


def IsVirtualCluster() -> bool:
  """Tells whether this process runs as a node of a virtual cluster.

  """
  return bool(_VIRT_BASEDIR)


def GetRootDirectory() -> str:
  """Returns this node's root directory, "" on a physical node.

  """
  return _VIRT_NODEROOT


def GetHostname() -> Optional[str]:
  """Returns the virtual node's host name, None on a physical node.

  """
  return _VIRT_HOSTNAME


def GetVirtualHostname() -> Optional[str]:
  """Same as GetHostname; the name later Ganeti releases use.

  """
  return GetHostname()


def GetClusterDirectory() -> Optional[str]:
  """Returns the directory holding all node roots, None on a physical node.

  """
  return _VIRT_BASEDIR


def GetHostsFile(_basedir=None) -> Optional[str]:
  """Returns the virtual cluster's hosts file, None on a physical node.

  """
  if _basedir is None:
    _basedir = _VIRT_BASEDIR
  if not _basedir:
    return None
  return os.path.join(_basedir, HOSTS_FILE_NAME)


def _CheckAbsolute(path, what: str) -> None:
  if not isinstance(path, str):
    raise errors.ProgrammerError("%s needs a path as a string, got %r" %
                                 (what, path))
  if not os.path.isabs(path):
    raise errors.ProgrammerError("%s needs an absolute path, got '%s'" %
                                 (what, path))


def _Normalize(path: str) -> str:
  path = os.path.normpath(path)
  if path.startswith("//"):
    path = "/" + path.lstrip("/")
  return path


def MakeNodeRoot(cluster_dir: str, node_name: str) -> str:
  """Returns the root directory of node ``node_name`` in ``cluster_dir``.

  @raise errors.ProgrammerError: if the node name could escape the cluster
    directory or is empty

  """
  _CheckAbsolute(cluster_dir, "MakeNodeRoot")
  if (not isinstance(node_name, str) or not node_name or
      node_name.startswith(".") or "/" in node_name or "\0" in node_name):
    raise errors.ProgrammerError("Invalid node name for a virtual node root:"
                                 " %r" % (node_name, ))
  return os.path.join(_Normalize(cluster_dir), node_name)


def AddNodePrefix(path: str, _noderoot=None) -> str:
  """Moves an absolute path under this node's root (no-op when physical).

  Paths of the machine itself (ETC_HOSTS) are left alone.

  """
  _CheckAbsolute(path, "AddNodePrefix")
  if _noderoot is None:
    _noderoot = _VIRT_NODEROOT
  if not _noderoot or path in _VPATH_WHITELIST:
    return path
  return _Normalize("%s/%s" % (_noderoot, path.lstrip("/")))


#: Directory below the cluster directory standing for the storage that all
#: nodes of a real cluster share (the sharedfile disk template's directory)
SHARED_DIR_NAME = "shared"


def AddSharedPrefix(path: str, _basedir=None) -> str:
  """Moves an absolute path under the virtual cluster's shared directory.

  On real clusters a shared file storage directory is one mount seen by
  every node under the same name; in a virtual cluster all nodes use
  ``<cluster dir>/shared`` followed by the path (normalised).  On a
  physical node the path is returned unchanged.

  """
  _CheckAbsolute(path, "AddSharedPrefix")
  if _basedir is None:
    _basedir = _VIRT_BASEDIR
  if not _basedir:
    return path
  return _Normalize("%s/%s/%s" % (_basedir, SHARED_DIR_NAME,
                                  path.lstrip("/")))


def RemoveNodePrefix(path: str, _noderoot=None) -> str:
  """Inverse of AddNodePrefix: returns the path as seen inside the node.

  @raise errors.ProgrammerError: if the path is not under the node root

  """
  _CheckAbsolute(path, "RemoveNodePrefix")
  if _noderoot is None:
    _noderoot = _VIRT_NODEROOT
  norm = _Normalize(path)
  if not _noderoot:
    return norm
  if norm == _noderoot:
    return "/"
  root = _noderoot.rstrip("/") + "/"
  if not norm.startswith(root):
    raise errors.ProgrammerError("Path '%s' is not below node root '%s'" %
                                 (path, _noderoot))
  return norm[len(root) - 1:]


def ExchangeNodeRoot(node_name: str, path: str,
                     _basedir=None, _noderoot=None) -> str:
  """Turns a path of this node into the same path on node ``node_name``.

  On a physical node the path is returned unchanged.

  """
  if _basedir is None:
    _basedir = _VIRT_BASEDIR
  if not _basedir:
    _CheckAbsolute(path, "ExchangeNodeRoot")
    return path
  inside = RemoveNodePrefix(path, _noderoot=_noderoot)
  return AddNodePrefix(inside, _noderoot=MakeNodeRoot(_basedir, node_name))


def EnvironmentForHost(hostname: str, _basedir=None) -> Dict[str, str]:
  """Returns the variables making a child process run as node ``hostname``.

  Empty on a physical node, so callers can always merge the result into a
  child's environment.

  """
  if _basedir is None:
    _basedir = _VIRT_BASEDIR
  if not _basedir:
    return {}
  return {
    ROOTDIR_ENVNAME: MakeNodeRoot(_basedir, hostname),
    HOSTNAME_ENVNAME: hostname,
    }


def MakeVirtualPath(path: str, _noderoot=None) -> str:
  """Turns a path of this node into a node-independent form.

  Used when a path travels to another node (e.g. in an RPC) that must
  interpret it under its own root; LocalizeVirtualPath undoes it there.
  Identity on a physical node.

  """
  if _noderoot is None:
    _noderoot = _VIRT_NODEROOT
  _CheckAbsolute(path, "MakeVirtualPath")
  if not _noderoot:
    return path
  return _VIRT_PATH_PREFIX + RemoveNodePrefix(path, _noderoot=_noderoot)


def LocalizeVirtualPath(path: str, _noderoot=None) -> str:
  """Turns a node-independent path (see MakeVirtualPath) into a local one.

  @raise errors.ProgrammerError: in a virtual cluster, if ``path`` was not
    made by MakeVirtualPath

  """
  if _noderoot is None:
    _noderoot = _VIRT_NODEROOT
  _CheckAbsolute(path, "LocalizeVirtualPath")
  if not _noderoot:
    return path
  if not path.startswith(_VIRT_PATH_PREFIX):
    raise errors.ProgrammerError("Path '%s' is not a virtual path (it does"
                                 " not start with '%s')" %
                                 (path, _VIRT_PATH_PREFIX))
  return AddNodePrefix(path[len(_VIRT_PATH_PREFIX):], _noderoot=_noderoot)


Reload()
