"""Node and node group methods of ConfigWriter.

Layer 5 (master side), a helper of ``ganeti.config``: a mixin holding the
node, node group and master-candidate methods of ConfigWriter, which it
expects to provide ``_lock``, ``_config_data``, ``_EnsureUUID`` and
``_WriteConfig``. Like the rest of ConfigWriter, it must do no I/O other
than saving the configuration through ``_WriteConfig``.
"""

import logging
import random
import time

from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti import config_base
from ganeti import config_upgrade


class NodeGroupMixin(object):
  """Nodes, node groups and the master candidate pool of ConfigWriter."""

  # -- nodes -----------------------------------------------------------------

  def _UnlockedGetNodeInfo(self, node_name):
    return self._config_data.nodes.get(node_name)

  def _UnlockedGetNodeOrFail(self, node_name):
    node = self._config_data.nodes.get(node_name)
    if node is None:
      raise errors.ConfigurationError("Unknown node '%s'" % (node_name, ))
    return node

  @config_base.ConfigSync
  def GetNodeInfo(self, node_name):
    """The live objects.Node, or None if unknown."""
    return self._UnlockedGetNodeInfo(node_name)

  @config_base.ConfigSync
  def GetNodeList(self):
    return list(self._config_data.nodes)

  GetNodeNames = GetNodeList

  @config_base.ConfigSync
  def GetAllNodesInfo(self):
    """Dict node name -> live objects.Node."""
    return dict(self._config_data.nodes)

  @config_base.ConfigSync
  def GetMultiNodeInfo(self, nodes):
    """List of (name, node or None) for the given names."""
    return [(name, self._UnlockedGetNodeInfo(name)) for name in nodes]

  def _FilteredNodeNames(self, predicate):
    with self._lock:
      return [node.name for node in self._config_data.nodes.values()
              if predicate(node)]

  def GetOnlineNodeList(self):
    return self._FilteredNodeNames(lambda node: not node.offline)

  def GetVmCapableNodeList(self):
    return self._FilteredNodeNames(lambda node: node.vm_capable)

  def GetNonVmCapableNodeList(self):
    return self._FilteredNodeNames(lambda node: not node.vm_capable)

  def GetMasterCandidateList(self):
    return self._FilteredNodeNames(lambda node: node.master_candidate)

  @config_base.ConfigSync
  def ExpandNodeName(self, short_name):
    """Full node name from a unique (case-insensitive) short name, or None."""
    return utils.MatchNameComponent(short_name, list(self._config_data.nodes),
                                    case_sensitive=False)

  @config_base.ConfigSync
  def AddNode(self, node, ec_id):
    """Add a node; it joins ``node.group`` or the default group.

    @raise errors.ConfigurationError: duplicate name or UUID
    @raise errors.OpPrereqError: unknown group

    """
    if not isinstance(node, objects.Node):
      raise errors.ProgrammerError("AddNode needs an objects.Node, got %s" %
                                   type(node).__name__)
    if node.name in self._config_data.nodes:
      raise errors.ConfigurationError("Cannot add node %s: a node with that"
                                      " name exists" % node.name)
    logging.info("Adding node %s to configuration", node.name)
    self._EnsureUUID(node, ec_id)
    node.group = self._UnlockedLookupNodeGroup(node.group)
    node.serial_no = 1
    node.ctime = node.mtime = time.time()
    self._config_data.nodes[node.name] = node
    self._UnlockedAddNodeToGroup(node.name, node.group)
    self._config_data.cluster.serial_no += 1
    self._WriteConfig()

  @config_base.ConfigSync
  def RemoveNode(self, node_name):
    """Remove a node (refused while instances use it)."""
    logging.info("Removing node %s from configuration", node_name)
    node = self._UnlockedGetNodeOrFail(node_name)
    group = self._config_data.nodegroups.get(node.group)
    if group is not None and node_name in group.members:
      group.members.remove(node_name)
    del self._config_data.nodes[node_name]
    self._config_data.cluster.serial_no += 1
    self._WriteConfig()

  def _UnlockedGetMasterCandidateStats(self, exceptions=None):
    exceptions = exceptions or []
    mc_now = mc_max = 0
    for node in self._config_data.nodes.values():
      if node.name in exceptions:
        continue
      if not (node.offline or node.drained) and node.master_capable:
        mc_max += 1
      if node.master_candidate:
        mc_now += 1
    mc_should = min(mc_max, self._config_data.cluster.candidate_pool_size)
    return (mc_now, mc_should, mc_max)

  @config_base.ConfigSync
  def GetMasterCandidateStats(self, exceptions=None):
    """(current candidates, desired candidates, possible candidates).

    @param exceptions: node names not to count (e.g. about to be removed)

    """
    return self._UnlockedGetMasterCandidateStats(exceptions)

  @config_base.ConfigSync
  def MaintainCandidatePool(self, exceptions):
    """Promote nodes until the pool is full; save if any was promoted.

    @return: list of the promoted objects.Node

    """
    exceptions = exceptions or []
    mc_now, mc_should, _ = self._UnlockedGetMasterCandidateStats(exceptions)
    promoted = []
    if mc_now < mc_should:
      names = list(self._config_data.nodes)
      # random order spreads the candidate role across the cluster
      random.shuffle(names)
      for name in names:
        if mc_now >= mc_should:
          break
        node = self._config_data.nodes[name]
        if (node.master_candidate or node.offline or node.drained or
            node.name in exceptions or not node.master_capable):
          continue
        node.master_candidate = True
        node.serial_no += 1
        node.mtime = time.time()
        promoted.append(node)
        mc_now += 1
      if mc_now != mc_should:
        logging.warning("Could not fill the candidate pool (%d/%d)",
                        mc_now, mc_should)
      if promoted:
        self._config_data.cluster.serial_no += 1
        self._WriteConfig()
    return promoted

  # -- node groups -------------------------------------------------------------

  def _UnlockedLookupNodeGroup(self, target):
    groups = self._config_data.nodegroups
    if target is None:
      if len(groups) == 1:
        return list(groups)[0]
      for group in groups.values():
        if group.name == config_upgrade.DEFAULT_GROUP_NAME:
          return group.uuid
      raise errors.OpPrereqError("More than one node group exists and none is"
                                 " named '%s'; the target group must be given"
                                 % config_upgrade.DEFAULT_GROUP_NAME,
                                 errors.ECODE_INVAL)
    if target in groups:
      return target
    for group in groups.values():
      if group.name == target:
        return group.uuid
    raise errors.OpPrereqError("Node group '%s' not found" % (target, ),
                               errors.ECODE_NOENT)

  @config_base.ConfigSync
  def LookupNodeGroup(self, target):
    """UUID of a group given by name or UUID; None gives the default group.

    @raise errors.OpPrereqError: unknown group (ECODE_NOENT)

    """
    return self._UnlockedLookupNodeGroup(target)

  def _UnlockedAddNodeToGroup(self, node_name, group_uuid):
    group = self._config_data.nodegroups.get(group_uuid)
    if group is None:
      raise errors.ConfigurationError("Cannot put node %s in unknown node"
                                      " group '%s'" % (node_name, group_uuid))
    if node_name not in group.members:
      group.members.append(node_name)

  @config_base.ConfigSync
  def GetNodeGroup(self, uuid):
    """The live objects.NodeGroup, or None if unknown."""
    return self._config_data.nodegroups.get(uuid)

  @config_base.ConfigSync
  def GetNodeGroupInfoByName(self, name):
    for group in self._config_data.nodegroups.values():
      if group.name == name:
        return group
    return None

  @config_base.ConfigSync
  def GetAllNodeGroupsInfo(self):
    """Dict group UUID -> live objects.NodeGroup."""
    return dict(self._config_data.nodegroups)

  @config_base.ConfigSync
  def GetNodeGroupList(self):
    return list(self._config_data.nodegroups)

  @config_base.ConfigSync
  def GetNodeGroupMembersByNodes(self, nodes):
    """All member names of the groups the given nodes belong to."""
    result = set()
    for name in nodes:
      node = self._UnlockedGetNodeOrFail(name)
      result.update(self._config_data.nodegroups[node.group].members)
    return frozenset(result)

  @config_base.ConfigSync
  def GetNodeGroupsFromNodes(self, nodes):
    """UUIDs of the groups of the given nodes."""
    return frozenset(self._UnlockedGetNodeOrFail(name).group for name in nodes)

  @config_base.ConfigSync
  def AddNodeGroup(self, group, ec_id, check_uuid=True):
    """Add a node group (its name must be unused).

    @param check_uuid: False when the caller generated ``group.uuid`` with
        L{GenerateUniqueID} already
    @raise errors.OpPrereqError: the name exists (ECODE_EXISTS)

    """
    if not isinstance(group, objects.NodeGroup):
      raise errors.ProgrammerError("AddNodeGroup needs an objects.NodeGroup,"
                                   " got %s" % type(group).__name__)
    for other in self._config_data.nodegroups.values():
      if other.name == group.name:
        raise errors.OpPrereqError("Desired group name '%s' already exists as"
                                   " a node group (UUID: %s)" %
                                   (group.name, other.uuid),
                                   errors.ECODE_EXISTS)
    if check_uuid:
      self._EnsureUUID(group, ec_id)
    elif not group.uuid:
      raise errors.ProgrammerError("AddNodeGroup with check_uuid=False needs"
                                   " a UUID on group %s" % group.name)
    group.members = []
    group.serial_no = 1
    group.ctime = group.mtime = time.time()
    group.UpgradeConfig()
    self._config_data.nodegroups[group.uuid] = group
    self._config_data.cluster.serial_no += 1
    self._WriteConfig()

  @config_base.ConfigSync
  def RemoveNodeGroup(self, group_uuid):
    """Remove an empty node group that is not the last one."""
    groups = self._config_data.nodegroups
    group = groups.get(group_uuid)
    if group is None:
      raise errors.ConfigurationError("Unknown node group '%s'" % group_uuid)
    if len(groups) == 1:
      raise errors.ConfigurationError("Node group '%s' is the only group and"
                                      " cannot be removed" % group.name)
    if group.members:
      raise errors.ConfigurationError("Node group '%s' still has members: %s"
                                      % (group.name, ", ".join(group.members)))
    del groups[group_uuid]
    self._config_data.cluster.serial_no += 1
    self._WriteConfig()

  @config_base.ConfigSync
  def AssignGroupNodes(self, mods):
    """Move nodes between groups, keeping member lists consistent.

    @param mods: list of (node name, new group UUID)
    @raise errors.ConfigurationError: unknown node or group (nothing changed)

    """
    data = self._config_data
    moves = []
    for node_name, new_uuid in mods:
      node = self._UnlockedGetNodeOrFail(node_name)
      if new_uuid not in data.nodegroups:
        raise errors.ConfigurationError("Cannot move node %s to unknown node"
                                        " group '%s'" % (node_name, new_uuid))
      if node.group not in data.nodegroups:
        raise errors.ConfigurationError("Node %s is in unknown node group"
                                        " '%s'" % (node_name, node.group))
      if node.group != new_uuid:
        moves.append((node, data.nodegroups[node.group],
                      data.nodegroups[new_uuid]))
    touched = {}
    for node, old_group, new_group in moves:
      node.group = new_group.uuid
      if node.name in old_group.members:
        old_group.members.remove(node.name)
      if node.name not in new_group.members:
        new_group.members.append(node.name)
      for obj in (node, old_group, new_group):
        touched[id(obj)] = obj
    now = time.time()
    for obj in touched.values():
      obj.serial_no += 1
      obj.mtime = now
    data.cluster.serial_no += 1
    self._WriteConfig()
