"""Logical units of node groups: add, remove, rename, modify, assign nodes.

Layer 5 (master side).  ``LUGroupAdd`` (OP_GROUP_ADD) records a new group
with its allocation policy and its overrides of the cluster's node, disk
and instance policy parameters; ``LUGroupRemove`` drops an empty group
that is not the last one; ``LUGroupRename`` gives a group a new, unused
name; ``LUGroupSetParams`` changes a group's parameters ("default" values
remove an override, so the cluster's value applies again);
``LUGroupAssignNodes`` moves nodes into a group, refusing to split a
mirrored instance across groups unless forced.  Groups are locked by UUID
at the node group level; users name them, the LUs resolve the name with
ConfigWriter.LookupNodeGroup.

Listing and inspecting groups belongs to the query framework, evacuation
to the mobility work.  This module changes the configuration only through
ConfigWriter, declares its locks (never takes them itself) and does not
talk to nodes.
"""

import copy

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common


def _PrereqFromConfig(what, fn, *args):
  """Run a model-layer check, turning its errors into OpPrereqError."""
  try:
    return fn(*args)
  except (errors.ConfigurationError, errors.TypeEnforcementError) as err:
    raise errors.OpPrereqError("Invalid %s: %s" % (what, err),
                               errors.ECODE_INVAL) from None


def _UpdatedParams(old, changes):
  """``old`` with ``changes`` applied; the value "default" drops a key."""
  result = copy.deepcopy(old or {})
  for (key, value) in changes.items():
    if value == constants.VALUE_DEFAULT:
      result.pop(key, None)
    else:
      result[key] = value
  return result


def _CheckDiskParams(diskparams, current):
  """Per-template disk parameter changes over ``current``, type-checked.

  @return: the new per-template dict (templates not named keep theirs)
  @raise errors.OpPrereqError: unknown template or parameter, bad value

  """
  result = copy.deepcopy(current or {})
  for (template, params) in diskparams.items():
    if template not in constants.DISK_TEMPLATES:
      raise errors.OpPrereqError("Unknown disk template '%s' in the disk"
                                 " parameters; known: %s" %
                                 (template, utils.CommaJoin(
                                   sorted(constants.DISK_TEMPLATES))),
                                 errors.ECODE_INVAL)
    merged = _UpdatedParams(result.get(template), params)
    _PrereqFromConfig("disk parameters of template %s" % template,
                      utils.ForceDictType, merged, constants.DISK_DT_TYPES)
    result[template] = merged
  return result


def _MergeState(changes, current, valid_keys, value_types, nested, what):
  """Merge hv_state (flat) or disk_state (nested) changes, type-checked.

  Ganeti 2.6 only records these resource states; nothing reads them yet.

  @raise errors.OpPrereqError: unknown hypervisor/storage type or values

  """
  unknown = sorted(set(changes) - set(valid_keys))
  if unknown:
    raise errors.OpPrereqError("Invalid %s key(s) %s, allowed: %s" %
                               (what, utils.CommaJoin(unknown),
                                utils.CommaJoin(sorted(valid_keys))),
                               errors.ECODE_INVAL)
  result = copy.deepcopy(current or {})
  for (key, values) in changes.items():
    if nested:
      if not isinstance(values, dict):
        raise errors.OpPrereqError("Invalid %s for '%s': expected a dict of"
                                   " names, got %r" % (what, key, values),
                                   errors.ECODE_INVAL)
      per_key = result.setdefault(key, {})
      for (ident, params) in values.items():
        merged = objects.FillDict(per_key.get(ident, {}), params)
        _PrereqFromConfig("%s of %s/%s" % (what, key, ident),
                          utils.ForceDictType, merged, value_types)
        per_key[ident] = merged
    else:
      merged = objects.FillDict(result.get(key, {}), values)
      _PrereqFromConfig("%s of %s" % (what, key), utils.ForceDictType,
                        merged, value_types)
      result[key] = merged
  return result


def _UpdatedGroupIPolicy(old_ipolicy, changes):
  """A group's instance policy with ``changes`` applied.

  Spec values and whole non-spec entries given as "default" (or, for the
  template list, ["default"] or an empty value) remove the group's
  override, so the cluster's value applies.  A group may not set "std".

  @raise errors.OpPrereqError: unknown keys, bad values, std given

  """
  result = copy.deepcopy(old_ipolicy or {})
  for (key, value) in changes.items():
    if key not in constants.IPOLICY_ALL_KEYS:
      raise errors.OpPrereqError("Invalid key '%s' in the instance policy;"
                                 " known: %s" %
                                 (key, utils.CommaJoin(
                                   sorted(constants.IPOLICY_ALL_KEYS))),
                                 errors.ECODE_INVAL)
    if key in constants.IPOLICY_ISPECS:
      if not isinstance(value, dict):
        raise errors.OpPrereqError("Instance policy '%s' must be a dict, got"
                                   " %r" % (key, value), errors.ECODE_INVAL)
      specs = dict(value)
      _PrereqFromConfig("instance policy specs '%s'" % key,
                        utils.ForceDictType, specs,
                        constants.ISPECS_PARAMETER_TYPES,
                        [constants.VALUE_DEFAULT])
      result[key] = _UpdatedParams(result.get(key), specs)
    elif (not value or value == constants.VALUE_DEFAULT or
          value == [constants.VALUE_DEFAULT]):
      result.pop(key, None)
    elif key in constants.IPOLICY_PARAMETERS:
      try:
        result[key] = float(value)
      except (TypeError, ValueError):
        raise errors.OpPrereqError("Invalid value %r for instance policy"
                                   " parameter '%s': a number is needed" %
                                   (value, key), errors.ECODE_INVAL) from None
    else:
      result[key] = list(value)
  _CheckGroupIPolicy(result)
  return result


def _CheckGroupIPolicy(ipolicy):
  """Refuse a group policy that sets "std" or is invalid by itself."""
  _PrereqFromConfig("instance policy", objects.InstancePolicy.
                    CheckParameterSyntax, ipolicy, False, True)


def _GroupHooksNodes(lu):
  """Hooks run on the master only (group-add, -modify, -remove)."""
  master = lu.cfg.GetMasterNode()
  return ([master], [master])


class LUGroupAdd(base.LogicalUnit):
  """Create a node group (gnt-group add, OP_GROUP_ADD).

  The new group's UUID is reserved for the job in ExpandNames and its lock
  added there, so nothing can use the group before it exists.

  """
  HPATH = "group-add"
  HTYPE = constants.HTYPE_GROUP
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}
    self.group_uuid = self.cfg.GenerateUniqueID(self.proc.GetECId())
    self.add_locks[locking.LEVEL_NODEGROUP] = self.group_uuid

  def CheckPrereq(self):
    try:
      existing_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    except errors.OpPrereqError:
      pass
    else:
      raise errors.OpPrereqError("Desired group name '%s' already exists as a"
                                 " node group (UUID: %s)" %
                                 (self.op.group_name, existing_uuid),
                                 errors.ECODE_EXISTS)

    if self.op.ndparams:
      _PrereqFromConfig("node parameters", utils.ForceDictType,
                        self.op.ndparams, constants.NDS_PARAMETER_TYPES)
    self.new_diskparams = _CheckDiskParams(self.op.diskparams or {}, {})
    self.new_hv_state = _MergeState(self.op.hv_state or {}, None,
                                    constants.HYPER_TYPES,
                                    constants.HVSTS_PARAMETER_TYPES, False,
                                    "hypervisor state")
    self.new_disk_state = _MergeState(self.op.disk_state or {}, None,
                                      constants.DS_VALID_TYPES,
                                      constants.DSS_PARAMETER_TYPES, True,
                                      "disk state")
    if self.op.ipolicy:
      _CheckGroupIPolicy(self.op.ipolicy)
      cluster = self.cfg.GetClusterInfo()
      full = _PrereqFromConfig("instance policy", cluster.SimpleFillIPolicy,
                               self.op.ipolicy)
      _PrereqFromConfig("instance policy (filled from the cluster's)",
                        objects.InstancePolicy.CheckParameterSyntax, full,
                        False)

  def BuildHooksEnv(self):
    return {"GROUP_NAME": self.op.group_name}

  def BuildHooksNodes(self):
    return _GroupHooksNodes(self)

  def Exec(self, feedback_fn):
    group = objects.NodeGroup(name=self.op.group_name, members=[],
                              uuid=self.group_uuid,
                              alloc_policy=self.op.alloc_policy,
                              ndparams=self.op.ndparams,
                              diskparams=self.new_diskparams,
                              ipolicy=self.op.ipolicy,
                              hv_state_static=self.new_hv_state,
                              disk_state_static=self.new_disk_state)
    self.cfg.AddNodeGroup(group, self.proc.GetECId(), check_uuid=False)
    # the group exists now: its lock must outlive the job
    del self.remove_locks[locking.LEVEL_NODEGROUP]


class LUGroupRemove(base.LogicalUnit):
  """Remove an empty node group (gnt-group remove, OP_GROUP_REMOVE).

  Every node belongs to exactly one group, so a group with members and the
  last group of the cluster stay.

  """
  HPATH = "group-remove"
  HTYPE = constants.HTYPE_GROUP
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

  def CheckPrereq(self):
    members = [node.name for node in self.cfg.GetAllNodesInfo().values()
               if node.group == self.group_uuid]
    if members:
      raise errors.OpPrereqError("Group '%s' not empty, has the following"
                                 " nodes: %s" %
                                 (self.op.group_name,
                                  utils.CommaJoin(utils.NiceSort(members))),
                                 errors.ECODE_STATE)
    if len(self.cfg.GetNodeGroupList()) == 1:
      raise errors.OpPrereqError("Group '%s' is the only group, cannot be"
                                 " removed" % self.op.group_name,
                                 errors.ECODE_STATE)

  def BuildHooksEnv(self):
    return {"GROUP_NAME": self.op.group_name}

  def BuildHooksNodes(self):
    return _GroupHooksNodes(self)

  def Exec(self, feedback_fn):
    try:
      self.cfg.RemoveNodeGroup(self.group_uuid)
    except errors.ConfigurationError as err:
      raise errors.OpExecError("Cannot remove group '%s' (UUID %s): %s" %
                               (self.op.group_name, self.group_uuid,
                                err)) from err
    # mcpu drops the lock once the job releases it
    self.remove_locks[locking.LEVEL_NODEGROUP] = self.group_uuid


class LUGroupRename(base.LogicalUnit):
  """Rename a node group (gnt-group rename, OP_GROUP_RENAME).

  Nodes refer to their group by UUID, so only the group object changes.

  """
  HPATH = "group-rename"
  HTYPE = constants.HTYPE_GROUP
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

  def CheckPrereq(self):
    try:
      clash_uuid = self.cfg.LookupNodeGroup(self.op.new_name)
    except errors.OpPrereqError:
      return
    raise errors.OpPrereqError("Desired new name '%s' clashes with existing"
                               " node group %s" %
                               (self.op.new_name, clash_uuid),
                               errors.ECODE_EXISTS)

  def BuildHooksEnv(self):
    return {
      "OLD_NAME": self.op.group_name,
      "NEW_NAME": self.op.new_name,
      }

  def BuildHooksNodes(self):
    master = self.cfg.GetMasterNode()
    members = [node.name for node in self.cfg.GetAllNodesInfo().values()
               if node.group == self.group_uuid and node.name != master]
    run_nodes = [master] + utils.NiceSort(members)
    return (run_nodes, run_nodes)

  def Exec(self, feedback_fn):
    group = self.cfg.GetNodeGroup(self.group_uuid)
    if group is None:
      raise errors.OpExecError("Could not retrieve group '%s' (UUID: %s)" %
                               (self.op.group_name, self.group_uuid))
    group.name = self.op.new_name
    self.cfg.Update(group, feedback_fn)
    return self.op.new_name


class LUGroupSetParams(base.LogicalUnit):
  """Change a node group's parameters (gnt-group modify, OP_GROUP_SET_PARAMS).

  The result lists each changed parameter with its new value.

  """
  HPATH = "group-modify"
  HTYPE = constants.HTYPE_GROUP
  REQ_BGL = False

  _CHANGES = ("ndparams", "diskparams", "alloc_policy", "hv_state",
              "disk_state", "ipolicy")

  def CheckArguments(self):
    if all(getattr(self.op, name) is None for name in self._CHANGES):
      raise errors.OpPrereqError("Please pass at least one modification"
                                 " (one of %s)" %
                                 utils.CommaJoin(self._CHANGES),
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    self.needed_locks = {locking.LEVEL_NODEGROUP: [self.group_uuid]}

  def CheckPrereq(self):
    self.group = group = self.cfg.GetNodeGroup(self.group_uuid)
    if group is None:
      raise errors.OpPrereqError("Could not retrieve group '%s' (UUID: %s)" %
                                 (self.op.group_name, self.group_uuid),
                                 errors.ECODE_NOENT)
    if self.op.ndparams:
      new_ndparams = _UpdatedParams(group.ndparams, self.op.ndparams)
      _PrereqFromConfig("node parameters", utils.ForceDictType,
                        new_ndparams, constants.NDS_PARAMETER_TYPES)
      self.new_ndparams = new_ndparams
    if self.op.diskparams:
      self.new_diskparams = _CheckDiskParams(self.op.diskparams,
                                             group.diskparams)
    if self.op.hv_state:
      self.new_hv_state = _MergeState(self.op.hv_state,
                                      group.hv_state_static,
                                      constants.HYPER_TYPES,
                                      constants.HVSTS_PARAMETER_TYPES, False,
                                      "hypervisor state")
    if self.op.disk_state:
      self.new_disk_state = _MergeState(self.op.disk_state,
                                        group.disk_state_static,
                                        constants.DS_VALID_TYPES,
                                        constants.DSS_PARAMETER_TYPES, True,
                                        "disk state")
    if self.op.ipolicy:
      self.new_ipolicy = _UpdatedGroupIPolicy(group.ipolicy, self.op.ipolicy)
      cluster = self.cfg.GetClusterInfo()
      full = _PrereqFromConfig("instance policy", cluster.SimpleFillIPolicy,
                               self.new_ipolicy)
      _PrereqFromConfig("instance policy (filled from the cluster's)",
                        objects.InstancePolicy.CheckParameterSyntax, full,
                        False)

  def BuildHooksEnv(self):
    return {
      "GROUP_NAME": self.op.group_name,
      "NEW_ALLOC_POLICY": self.op.alloc_policy,
      }

  def BuildHooksNodes(self):
    return _GroupHooksNodes(self)

  def Exec(self, feedback_fn):
    group = self.group
    result = []
    if self.op.ndparams:
      group.ndparams = self.new_ndparams
      result.append(("ndparams", str(group.ndparams)))
    if self.op.diskparams:
      group.diskparams = self.new_diskparams
      result.append(("diskparams", str(group.diskparams)))
    if self.op.alloc_policy:
      group.alloc_policy = self.op.alloc_policy
      result.append(("alloc_policy", group.alloc_policy))
    if self.op.hv_state:
      group.hv_state_static = self.new_hv_state
      result.append(("hv_state", str(group.hv_state_static)))
    if self.op.disk_state:
      group.disk_state_static = self.new_disk_state
      result.append(("disk_state", str(group.disk_state_static)))
    if self.op.ipolicy:
      group.ipolicy = self.new_ipolicy
      result.append(("ipolicy", str(group.ipolicy)))
    self.cfg.Update(group, feedback_fn)
    return result


def CheckAssignmentForSplitInstances(changes, node_data, instance_data):
  """Which internally mirrored instances a node move splits across groups.

  @param changes: list of (node name, new group UUID)
  @param node_data: node name -> objects.Node (the current configuration)
  @param instance_data: instance name -> objects.Instance
  @return: (instances split only by this change, instances already split
      that stay split), both sorted

  """
  new_group_of = dict((name, uuid) for (name, uuid) in changes
                      if node_data[name].group != uuid)
  newly_split = []
  still_split = []
  for inst in instance_data.values():
    if inst.disk_template not in constants.DTS_INT_MIRROR:
      continue
    inst_nodes = inst.all_nodes
    before = set(node_data[name].group for name in inst_nodes)
    after = set(new_group_of.get(name, node_data[name].group)
                for name in inst_nodes)
    if len(after) > 1:
      if len(before) > 1:
        still_split.append(inst.name)
      else:
        newly_split.append(inst.name)
  return (utils.NiceSort(newly_split), utils.NiceSort(still_split))


class LUGroupAssignNodes(base.NoHooksLU):
  """Move nodes into a group (gnt-group assign-nodes, OP_GROUP_ASSIGN_NODES).

  Locks the target group, the nodes' current groups and the nodes.  The
  current groups are read before their locks are held, so CheckPrereq
  verifies no node moved meanwhile.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    self.op.nodes = common.GetWantedNodes(self, self.op.nodes)
    self.needed_locks = {
      locking.LEVEL_NODEGROUP: [self.group_uuid],
      locking.LEVEL_NODE: self.op.nodes,
      }

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODEGROUP:
      groups = set(self.needed_locks[locking.LEVEL_NODEGROUP])
      groups.update(self.cfg.GetNodeGroupsFromNodes(self.op.nodes))
      self.needed_locks[locking.LEVEL_NODEGROUP] = sorted(groups)

  def CheckPrereq(self):
    expected = (set([self.group_uuid]) |
                set(self.cfg.GetNodeGroupsFromNodes(self.op.nodes)))
    owned = set(self.owned_locks(locking.LEVEL_NODEGROUP))
    if not expected <= owned:
      raise errors.OpPrereqError("Nodes changed groups since the locks were"
                                 " acquired; groups now %s, locked %s;"
                                 " please retry" %
                                 (utils.CommaJoin(sorted(expected)),
                                  utils.CommaJoin(sorted(owned))),
                                 errors.ECODE_STATE)
    if self.cfg.GetNodeGroup(self.group_uuid) is None:
      raise errors.OpPrereqError("Could not retrieve group '%s' (UUID: %s)" %
                                 (self.op.group_name, self.group_uuid),
                                 errors.ECODE_NOENT)
    changes = [(name, self.group_uuid) for name in self.op.nodes]
    (new_splits, old_splits) = CheckAssignmentForSplitInstances(
      changes, self.cfg.GetAllNodesInfo(), self.cfg.GetAllInstancesInfo())
    if new_splits:
      names = utils.CommaJoin(new_splits)
      if not self.op.force:
        raise errors.OpPrereqError("The following instances get split by this"
                                   " change and --force was not given: %s" %
                                   names, errors.ECODE_STATE)
      self.LogWarning("This operation will split the following instances:"
                      " %s", names)
      if old_splits:
        self.LogWarning("In addition, these already-split instances continue"
                        " to be split across groups: %s",
                        utils.CommaJoin(old_splits))

  def Exec(self, feedback_fn):
    self.cfg.AssignGroupNodes([(name, self.group_uuid)
                               for name in self.op.nodes])
