"""Upgrade of configurations written by older Ganeti 2.x releases.

Layer 5 (master side), a helper of ``ganeti.config``. It converts a parsed
``config.data`` of version 2.0 to 2.6 into the current shape, in two steps:
on the raw dict (renamed or moved keys that the model classes no longer
know) and on the ``objects.ConfigData`` (missing node groups, UUIDs, member
lists). It must not read or write files or take locks; ConfigWriter saves
the result, which rewrites the version to ``constants.CONFIG_VERSION``.
"""

import time

from ganeti import constants
from ganeti import errors
from ganeti import objects


#: Oldest configuration version this code can upgrade (Ganeti 2.0)
OLDEST_UPGRADABLE_VERSION = 2000000

#: Name of the node group every cluster starts with (Ganeti's
#: INITIAL_NODE_GROUP_NAME), also given to the group created for pre-2.5
#: configurations
DEFAULT_GROUP_NAME = "default"


def SplitVersion(version):
  """Split a numeric version (major*10^6 + minor*10^4 + revision).

  @rtype: tuple of (major, minor, revision)

  """
  major, rest = divmod(version, 1000000)
  minor, revision = divmod(rest, 10000)
  return (major, minor, revision)


def CheckVersion(version, filename):
  """Refuse versions that neither are current nor can be upgraded.

  @return: True when the configuration needs an upgrade
  @raise errors.ConfigVersionMismatch: args (expected, found, message)

  """
  current = constants.CONFIG_VERSION
  if version == current:
    return False
  cur_major, cur_minor, _ = SplitVersion(current)
  major, minor, revision = SplitVersion(version)
  if (version >= OLDEST_UPGRADABLE_VERSION and major == cur_major and
      minor < cur_minor and revision == 0):
    return True
  raise errors.ConfigVersionMismatch(
    current, version,
    "Configuration file %s has version %s (%d.%d.%d); this software expects"
    " %s and can only upgrade from 2.0 onwards" %
    (filename, version, major, minor, revision, current))


def _UpgradeNicDict(nic, cluster_link):
  """Pre-2.1 NICs carried a ``bridge``; it became the ``link`` nicparam."""
  if "bridge" in nic:
    bridge = nic.pop("bridge")
    params = nic.setdefault("nicparams", {})
    if bridge and bridge != cluster_link:
      params.setdefault(constants.NIC_MODE, constants.NIC_MODE_BRIDGED)
      params.setdefault(constants.NIC_LINK, bridge)
    return True
  return False


def _UpgradeInstanceDict(inst, cluster_link, default_hv):
  # admin_up and the beparams "memory" key are converted by objects.Instance
  changed = False
  if not inst.get("hypervisor") and default_hv:
    inst["hypervisor"] = default_hv
    changed = True
  for nic in inst.get("nics", []) or []:
    if isinstance(nic, dict):
      changed = _UpgradeNicDict(nic, cluster_link) or changed
  return changed


def UpgradeConfigDict(data):
  """Rewrite, in place, the keys older releases stored differently.

  Only keys the current model classes can no longer read are handled here;
  filling in new parameters with defaults (and the cluster's
  ``default_bridge``, instances' ``admin_up``) is ``objects``' job.

  @type data: dict
  @return: whether anything changed

  """
  cluster = data.get("cluster", {})
  link = (cluster.get("nicparams") or {}).get(constants.PP_DEFAULT, {}).get(
    constants.NIC_LINK, cluster.get("default_bridge"))
  default_hv = (cluster.get("default_hypervisor") or
                (cluster.get("enabled_hypervisors") or [None])[0])
  changed = False
  for inst in data.get("instances", {}).values():
    changed = _UpgradeInstanceDict(inst, link, default_hv) or changed
  if "nodegroups" not in data:
    data["nodegroups"] = {}
    changed = True
  return changed


def _DefaultGroupUuid(data):
  """The group a node without one joins: the only group, or ``default``."""
  groups = list(data.nodegroups.values())
  if len(groups) == 1:
    return groups[0].uuid
  for group in groups:
    if group.name == DEFAULT_GROUP_NAME:
      return group.uuid
  raise errors.ConfigurationError("Cannot choose a node group for nodes"
                                  " without one: %d groups and none named"
                                  " '%s'" % (len(groups), DEFAULT_GROUP_NAME))


def MakeDefaultGroup(uuid, members):
  """Build the node group every cluster starts with."""
  now = time.time()
  group = objects.NodeGroup(name=DEFAULT_GROUP_NAME, uuid=uuid,
                            members=list(members), ndparams={},
                            diskparams={}, serial_no=1,
                            alloc_policy=constants.ALLOC_POLICY_PREFERRED,
                            ctime=now, mtime=now)
  group.UpgradeConfig()
  return group


def RebuildGroupMembers(data):
  """Recompute every group's member list from the nodes' ``group`` field.

  Member lists are not authoritative on disk (Ganeti drops them when
  serializing), so they are rebuilt after every load.

  """
  for group in data.nodegroups.values():
    group.members = []
  for name in sorted(data.nodes):
    node = data.nodes[name]
    group = data.nodegroups.get(node.group)
    if group is not None:
      group.members.append(name)


def UpgradeConfigData(data, new_uuid_fn):
  """Bring a ConfigData built from an old file up to the current format.

  @param data: the L{objects.ConfigData}, changed in place
  @param new_uuid_fn: callable returning a fresh, unused UUID
  @return: whether anything changed (the caller should then save)

  """
  modified = False
  if data.version != constants.CONFIG_VERSION:
    data.version = constants.CONFIG_VERSION
    modified = True
  if not data.nodegroups:
    group = MakeDefaultGroup(new_uuid_fn(), [])
    data.nodegroups = {group.uuid: group}
    modified = True
  for node in data.nodes.values():
    if not node.group:
      node.group = _DefaultGroupUuid(data)
      modified = True
  for obj in ([data.cluster] + list(data.nodes.values()) +
              list(data.instances.values()) + list(data.nodegroups.values())):
    if not obj.uuid:
      obj.uuid = new_uuid_fn()
      modified = True
  # Groups are keyed by UUID; one that was keyed otherwise is re-indexed.
  rekeyed = dict((group.uuid, group) for group in data.nodegroups.values())
  if set(rekeyed) != set(data.nodegroups):
    data.nodegroups = rekeyed
    modified = True
  RebuildGroupMembers(data)
  return modified
