"""Simple configuration store: the ``ssconf_*`` files of every node.

Layer 3 (node side).  The master renders a handful of facts about the
cluster (its name, the master node, the node and instance lists, ...) into
small text files, one per key, which every node keeps in its data directory.
Node-side code, confd clients and command line tools read them without
talking to the master.  This module names the 22 keys, reads the files into
typed values and writes them atomically under the ssconf lock.

It must not import master-side modules (config, rpc, ...) and must not
decide *what* the values are: the configuration writer computes them
(including their nice-sorted order) and hands them over as strings or
simple lists.
"""

import errno
import logging
import os
import socket
import sys
from typing import Iterable, List, Mapping, Optional, Tuple, Union

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import utils


SS_CLUSTER_NAME = "cluster_name"
SS_CLUSTER_TAGS = "cluster_tags"
SS_FILE_STORAGE_DIR = "file_storage_dir"
SS_SHARED_FILE_STORAGE_DIR = "shared_file_storage_dir"
SS_MASTER_CANDIDATES = "master_candidates"
SS_MASTER_CANDIDATES_IPS = "master_candidates_ips"
SS_MASTER_IP = "master_ip"
SS_MASTER_NETDEV = "master_netdev"
SS_MASTER_NETMASK = "master_netmask"
SS_MASTER_NODE = "master_node"
SS_NODE_LIST = "node_list"
SS_NODE_PRIMARY_IPS = "node_primary_ips"
SS_NODE_SECONDARY_IPS = "node_secondary_ips"
SS_OFFLINE_NODES = "offline_nodes"
SS_ONLINE_NODES = "online_nodes"
SS_PRIMARY_IP_FAMILY = "primary_ip_family"
SS_INSTANCE_LIST = "instance_list"
SS_RELEASE_VERSION = "release_version"
SS_HYPERVISOR_LIST = "hypervisor_list"
SS_MAINTAIN_NODE_HEALTH = "maintain_node_health"
SS_UID_POOL = "uid_pool"
SS_NODEGROUPS = "nodegroups"

#: Exactly the keys Ganeti 2.6 knows; anything else is refused.
VALID_KEYS = frozenset([
  SS_CLUSTER_NAME,
  SS_CLUSTER_TAGS,
  SS_FILE_STORAGE_DIR,
  SS_SHARED_FILE_STORAGE_DIR,
  SS_MASTER_CANDIDATES,
  SS_MASTER_CANDIDATES_IPS,
  SS_MASTER_IP,
  SS_MASTER_NETDEV,
  SS_MASTER_NETMASK,
  SS_MASTER_NODE,
  SS_NODE_LIST,
  SS_NODE_PRIMARY_IPS,
  SS_NODE_SECONDARY_IPS,
  SS_OFFLINE_NODES,
  SS_ONLINE_NODES,
  SS_PRIMARY_IP_FAMILY,
  SS_INSTANCE_LIST,
  SS_RELEASE_VERSION,
  SS_HYPERVISOR_LIST,
  SS_MAINTAIN_NODE_HEALTH,
  SS_UID_POOL,
  SS_NODEGROUPS,
  ])

#: File name prefix of every ssconf file inside the data directory
SS_FILE_PREFIX = "ssconf_"

#: ssconf files are world readable and never edited in place
SS_FILE_PERMS = 0o444

#: Largest accepted file (bytes, trailing newline included); keeps a corrupt
#: or hostile file from being slurped into memory by every reader
MAX_SIZE = 128 * 1024

#: Seconds to wait for the ssconf lock before giving up on a write
SSCONF_LOCK_TIMEOUT = 10

SsconfValue = Union[str, bool, int, Iterable[str]]


def RenderSsconfValue(value: SsconfValue, nice_sort: bool = False) -> str:
  """Turn a Python value into the text stored in an ssconf file.

  Lists and tuples become one item per line, booleans ``True``/``False``,
  integers their decimal form; strings are kept as they are.  The trailing
  newline is added by the writer, not here.  With ``nice_sort`` the items of
  a list are put into Ganeti's natural order first (node and instance lists
  are stored that way); order-sensitive lists such as the hypervisor list
  or the master candidates' IPs must be passed unsorted.

  @raise errors.ProgrammerError: for values of another type, or list items
      that are not strings or contain a newline (they would split into two
      entries on reading)

  """
  if isinstance(value, str):
    return value
  # bool before int: bool is a subclass of int but renders as a word
  if isinstance(value, bool):
    return str(value)
  if isinstance(value, int):
    return str(value)
  if isinstance(value, (list, tuple)):
    items = list(value)
    for item in items:
      if not isinstance(item, str):
        raise errors.ProgrammerError("ssconf list item %r is not a string"
                                     " (type %s)" %
                                     (item, type(item).__name__))
      if not item:
        raise errors.ProgrammerError("ssconf list %r has an empty item, which"
                                     " would not survive a round trip" %
                                     (items, ))
      if "\n" in item or "\r" in item:
        raise errors.ProgrammerError("ssconf list item %r contains a line"
                                     " break" % item)
    if nice_sort:
      items = utils.NiceSort(items)
    return "\n".join(items)
  raise errors.ProgrammerError("Cannot render ssconf value %r of type %s" %
                               (value, type(value).__name__))


def RenderSsconfValues(values: Mapping[str, SsconfValue]) -> dict:
  """Render every value of a key -> value mapping with L{RenderSsconfValue}.

  """
  return dict((key, RenderSsconfValue(value)) for key, value in values.items())


def VerifyKeys(keys: Iterable[str]) -> None:
  """Make sure every given key is a known ssconf key.

  @raise errors.GenericError: naming all unknown keys

  """
  keys = list(keys)
  invalid = set(key for key in keys
                if not isinstance(key, str) or key not in VALID_KEYS)
  if invalid:
    raise errors.GenericError("Invalid ssconf keys: %s" %
                              ", ".join(sorted(repr(key) for key in invalid)))


def _FinishValue(key: str, value: SsconfValue) -> bytes:
  """Render, terminate and size-check one value before it is written.

  """
  text = RenderSsconfValue(value)
  # An empty value stays an empty file; everything else ends in a newline
  # so that the files are friendly to cat and shell scripts
  if text and not text.endswith("\n"):
    text += "\n"
  data = text.encode("utf-8")
  if len(data) > MAX_SIZE:
    raise errors.ConfigurationError("Value of ssconf key '%s' has %d bytes,"
                                    " more than the allowed maximum of %d" %
                                    (key, len(data), MAX_SIZE))
  return data


class SimpleStore(object):
  """Reader and writer of the ssconf files of one node.

  The store holds no cache: every getter reads its file again, so values
  written by the node daemon are seen at once.

  """
  def __init__(self, cfg_location: Optional[str] = None,
               _lockfile: Optional[str] = None):
    """Create a store.

    @param cfg_location: directory of the ssconf files; by default the data
        directory (looked up now, so a virtual cluster's root is honoured)
    @param _lockfile: lock file guarding writes; by default the cluster-wide
        ssconf lock file

    """
    if cfg_location is None:
      self._cfg_dir = pathutils.DATA_DIR
    else:
      self._cfg_dir = cfg_location
    if _lockfile is None:
      self._lockfile = pathutils.SSCONF_LOCK_FILE
    else:
      self._lockfile = _lockfile

  def KeyToFilename(self, key: str) -> str:
    """Return the path of the file holding ``key``.

    @raise errors.ProgrammerError: when ``key`` is not an ssconf key

    """
    if not isinstance(key, str) or key not in VALID_KEYS:
      raise errors.ProgrammerError("Invalid key requested from ssconf: %r" %
                                   (key, ))
    return os.path.join(self._cfg_dir, SS_FILE_PREFIX + key)

  def ReadFile(self, key: str, default: Optional[str] = None) -> str:
    """Read the raw value of ``key``, trailing newlines removed.

    @param default: returned instead of failing when the file does not
        exist (only then: unreadable files are still errors)
    @raise errors.ConfigurationError: naming the file when it is missing
        (and no default was given), unreadable, not valid UTF-8 or larger
        than L{MAX_SIZE}

    """
    filename = self.KeyToFilename(key)
    try:
      # One byte more than allowed tells an oversized file from one that is
      # exactly at the limit without reading all of it
      with open(filename, "rb") as handle:
        raw = handle.read(MAX_SIZE + 1)
    except EnvironmentError as err:
      if err.errno == errno.ENOENT and default is not None:
        return default
      raise errors.ConfigurationError("Can't read ssconf file %s: %s" %
                                      (filename, err))
    if len(raw) > MAX_SIZE:
      raise errors.ConfigurationError("ssconf file %s is larger than the"
                                      " allowed maximum of %d bytes" %
                                      (filename, MAX_SIZE))
    try:
      data = raw.decode("utf-8")
    except UnicodeDecodeError as err:
      raise errors.ConfigurationError("ssconf file %s is not valid UTF-8: %s" %
                                      (filename, err))
    return data.rstrip("\n")

  def _ReadLines(self, key: str) -> List[str]:
    data = self.ReadFile(key)
    # Only newlines separate items: the writer guarantees none inside an
    # item, while splitlines() would also cut at exotic separators
    if not data:
      return []
    return data.split("\n")

  def _ReadInt(self, key: str, default: Optional[str] = None) -> int:
    value = self.ReadFile(key, default=default)
    try:
      return int(value.strip())
    except ValueError:
      raise errors.ConfigurationError("ssconf file %s does not hold an"
                                      " integer: %r" %
                                      (self.KeyToFilename(key), value))

  def WriteFiles(self, values: Mapping[str, SsconfValue],
                 dry_run: bool = False) -> None:
    """Write the given keys, each atomically and with mode 0444.

    All keys and values are checked before the first file is touched, so a
    bad value leaves the store unchanged.  Keys not in ``values`` are left
    alone.  Writers serialise on the ssconf lock file, waiting at most
    L{SSCONF_LOCK_TIMEOUT} seconds.

    @param values: key -> string (or a value L{RenderSsconfValue} accepts)
    @param dry_run: only validate; neither lock nor write
    @raise errors.GenericError: for unknown keys
    @raise errors.ConfigurationError: for values over the size limit
    @raise errors.LockError: when the lock could not be had in time
    @raise EnvironmentError: when a file cannot be written (files written
        before it keep their new content)

    """
    VerifyKeys(values.keys())
    prepared = [(self.KeyToFilename(key), _FinishValue(key, value))
                for key, value in sorted(values.items())]
    if dry_run:
      return

    lock = utils.FileLock.Open(self._lockfile)
    try:
      lock.Exclusive(blocking=True, timeout=SSCONF_LOCK_TIMEOUT)
      for filename, data in prepared:
        utils.WriteFile(filename, data=data, mode=SS_FILE_PERMS)
    finally:
      lock.Close()

  def GetFileList(self) -> List[str]:
    """Return the paths of all ssconf files, whether they exist or not.

    """
    return [self.KeyToFilename(key) for key in sorted(VALID_KEYS)]

  def GetClusterName(self) -> str:
    """Return the cluster name."""
    return self.ReadFile(SS_CLUSTER_NAME)

  def GetClusterTags(self) -> List[str]:
    """Return the cluster tags."""
    return self._ReadLines(SS_CLUSTER_TAGS)

  def GetFileStorageDir(self) -> str:
    """Return the file storage directory."""
    return self.ReadFile(SS_FILE_STORAGE_DIR)

  def GetSharedFileStorageDir(self) -> str:
    """Return the shared file storage directory."""
    return self.ReadFile(SS_SHARED_FILE_STORAGE_DIR)

  def GetMasterCandidates(self) -> List[str]:
    """Return the names of the master candidates."""
    return self._ReadLines(SS_MASTER_CANDIDATES)

  def GetMasterCandidatesIPList(self) -> List[str]:
    """Return the primary IPs of the master candidates (confd peers)."""
    return self._ReadLines(SS_MASTER_CANDIDATES_IPS)

  def GetMasterIP(self) -> str:
    """Return the cluster's floating IP."""
    return self.ReadFile(SS_MASTER_IP)

  def GetMasterNetdev(self) -> str:
    """Return the interface carrying the master IP."""
    return self.ReadFile(SS_MASTER_NETDEV)

  def GetMasterNetmask(self) -> int:
    """Return the master IP's prefix length.

    @raise errors.ConfigurationError: when the file holds no integer

    """
    return self._ReadInt(SS_MASTER_NETMASK)

  def GetMasterNode(self) -> str:
    """Return the name of the master node."""
    return self.ReadFile(SS_MASTER_NODE)

  def GetNodeList(self) -> List[str]:
    """Return the names of all nodes."""
    return self._ReadLines(SS_NODE_LIST)

  def GetNodePrimaryIPList(self) -> List[str]:
    """Return ``"<name> <primary ip>"`` lines, one per node."""
    return self._ReadLines(SS_NODE_PRIMARY_IPS)

  def GetNodeSecondaryIPList(self) -> List[str]:
    """Return ``"<name> <secondary ip>"`` lines, one per node."""
    return self._ReadLines(SS_NODE_SECONDARY_IPS)

  def GetNodegroupList(self) -> List[str]:
    """Return ``"<uuid> <name>"`` lines, one per node group."""
    return self._ReadLines(SS_NODEGROUPS)

  def GetOfflineNodeList(self) -> List[str]:
    """Return the names of the offline nodes."""
    return self._ReadLines(SS_OFFLINE_NODES)

  def GetOnlineNodeList(self) -> List[str]:
    """Return the names of the nodes that are not offline."""
    return self._ReadLines(SS_ONLINE_NODES)

  def GetPrimaryIPFamily(self) -> int:
    """Return the address family of primary IPs (2 or 10).

    Clusters written before the key existed are IPv4 clusters, hence the
    default when the file is missing.

    @raise errors.ConfigurationError: when the file holds no integer

    """
    return self._ReadInt(SS_PRIMARY_IP_FAMILY, default=str(socket.AF_INET))

  def GetInstanceList(self) -> List[str]:
    """Return the names of all instances."""
    return self._ReadLines(SS_INSTANCE_LIST)

  def GetReleaseVersion(self) -> str:
    """Return the software version the master runs."""
    return self.ReadFile(SS_RELEASE_VERSION)

  def GetHypervisorList(self) -> List[str]:
    """Return the enabled hypervisors, the default one first."""
    return self._ReadLines(SS_HYPERVISOR_LIST)

  def GetMaintainNodeHealth(self) -> bool:
    """Return whether nodes should keep themselves healthy.

    @raise errors.ConfigurationError: for anything but ``True``/``False``

    """
    value = self.ReadFile(SS_MAINTAIN_NODE_HEALTH)
    if value == "True":
      return True
    if value == "False":
      return False
    filename = self.KeyToFilename(SS_MAINTAIN_NODE_HEALTH)
    raise errors.ConfigurationError("ssconf file %s holds %r instead of"
                                    " 'True' or 'False'" % (filename, value))

  def GetUidPool(self) -> List[Tuple[int, int]]:
    """Return the user-id pool as a sorted list of (lower, higher) ranges.

    @raise errors.ConfigurationError: when a line is not a valid range

    """
    value = self.ReadFile(SS_UID_POOL)
    try:
      from ganeti import uidpool  # pylint: disable=C0415
      return uidpool.ParseUidPool(value, separator="\n")
    except errors.OpPrereqError as err:
      raise errors.ConfigurationError("ssconf file %s holds an invalid uid"
                                      " pool: %s" %
                                      (self.KeyToFilename(SS_UID_POOL),
                                       err.args[0]))


def WriteSsconfFiles(values: Mapping[str, SsconfValue],
                     dry_run: bool = False) -> None:
  """Write ssconf files into the node's data directory.

  Entry point of the node daemon's ssconf update.

  """
  SimpleStore().WriteFiles(values, dry_run=dry_run)


def GetMasterAndMyself(ss: Optional[SimpleStore] = None) -> Tuple[str, str]:
  """Return the master node's name and this node's own name.

  @raise errors.ConfigurationError: when the master is not known locally
  @raise errors.ResolverError: when this node cannot resolve its own name

  """
  if ss is None:
    ss = SimpleStore()
  return ss.GetMasterNode(), netutils.Hostname.GetSysName()


def CheckMaster(debug: bool, ss: Optional[SimpleStore] = None) -> None:
  """Exit the process unless this node is the master.

  Used by daemons that only run on the master.  Exits with
  C{EXIT_NODESETUP_ERROR} when the node is not (fully) part of a cluster
  and with C{EXIT_NOTMASTER} when another node is the master; returns
  normally on the master.

  """
  try:
    master_name, myself = GetMasterAndMyself(ss)
  except errors.ConfigurationError as err:
    sys.stderr.write("Cluster configuration incomplete: %s\n" % err)
    sys.exit(constants.EXIT_NODESETUP_ERROR)
  except errors.ResolverError as err:
    sys.stderr.write("Cannot resolve my own name (%s)\n" % (err.args[0], ))
    sys.exit(constants.EXIT_NODESETUP_ERROR)

  if myself != master_name:
    if debug:
      sys.stderr.write("Not master (master is %s, this node is %s),"
                       " exiting.\n" % (master_name, myself))
    sys.exit(constants.EXIT_NOTMASTER)


def VerifyClusterName(name: str, _cfg_location: Optional[str] = None) -> None:
  """Refuse to act for a cluster other than the one this node belongs to.

  A node without a readable cluster name (not yet joined) accepts any name.

  @raise errors.GenericError: when the local cluster name differs

  """
  sstore = SimpleStore(cfg_location=_cfg_location)
  try:
    local_name = sstore.GetClusterName()
  except errors.ConfigurationError as err:
    logging.debug("Can't get local cluster name: %s", err)
  else:
    if name != local_name:
      raise errors.GenericError("Current cluster name is '%s', not '%s'" %
                                (local_name, name))
