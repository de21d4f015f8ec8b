"""Disk checks of the cluster: verify-disks and repair-disk-sizes.

Layer 5 (master side).  ``LUClusterVerifyDisks`` submits one
OP_GROUP_VERIFY_DISKS job per node group; ``LUGroupVerifyDisks`` compares
the logical volumes the group's DRBD instances should have with what the
nodes list, and reports nodes that could not answer, instances whose
volumes are offline (they need activate-disks) and missing volumes.
``LUClusterRepairDiskSizes`` records the real size of disks whose size
in the configuration is wrong.

This module changes the configuration only through ConfigWriter and talks
to nodes only through the LU's runner.
"""

import logging

from ganeti import config_verify
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import opcodes
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_utils


class LUClusterVerifyDisks(base.NoHooksLU):
  """Submit one disk verification job per node group."""
  REQ_BGL = False

  def ExpandNames(self):
    self.share_locks = common.ShareAll()
    self.needed_locks = {
      locking.LEVEL_NODEGROUP: locking.ALL_SET,
      }

  def Exec(self, feedback_fn):
    group_uuids = utils.NiceSort(self.owned_locks(locking.LEVEL_NODEGROUP))
    return base.ResultWithJobs([[opcodes.OpGroupVerifyDisks(group_name=uuid)]
                                for uuid in group_uuids])


def _GroupInstances(cfg, group_uuid):
  """Names of the instances with at least one node in the group."""
  members = set(cfg.GetNodeGroup(group_uuid).members)
  return utils.NiceSort(
    name for (name, inst) in cfg.GetAllInstancesInfo().items()
    if members.intersection(config_verify.InstanceAllNodes(inst)))


class LUGroupVerifyDisks(base.NoHooksLU):
  """Find the DRBD instances of a group whose disks need activation.

  The result is ``[{node: error}, [instance...], {instance: [[node,
  "vg/lv"], ...]}]``.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    self.share_locks = common.ShareAll()
    self.needed_locks = {
      locking.LEVEL_INSTANCE: [],
      locking.LEVEL_NODEGROUP: [],
      locking.LEVEL_NODE: [],
      }

  def DeclareLocks(self, level):
    if level == locking.LEVEL_INSTANCE:
      self.needed_locks[level] = _GroupInstances(self.cfg, self.group_uuid)
    elif level == locking.LEVEL_NODEGROUP:
      groups = set([self.group_uuid])
      for name in self.owned_locks(locking.LEVEL_INSTANCE):
        groups.update(self.cfg.GetInstanceNodeGroups(name))
      self.needed_locks[level] = sorted(groups)
    elif level == locking.LEVEL_NODE:
      nodes = set(self.cfg.GetNodeGroup(self.group_uuid).members)
      for name in self.owned_locks(locking.LEVEL_INSTANCE):
        inst = self.cfg.GetInstanceInfo(name)
        if inst is not None:
          nodes.update(config_verify.InstanceAllNodes(inst))
      self.needed_locks[level] = utils.NiceSort(nodes)

  def CheckPrereq(self):
    owned = set(self.owned_locks(locking.LEVEL_INSTANCE))
    wanted = set(_GroupInstances(self.cfg, self.group_uuid))
    if owned != wanted:
      raise errors.OpPrereqError("Instances of node group '%s' changed while"
                                 " locks were acquired (now %s, locked %s);"
                                 " please retry" %
                                 (self.op.group_name,
                                  utils.CommaJoin(utils.NiceSort(wanted)),
                                  utils.CommaJoin(utils.NiceSort(owned))),
                                 errors.ECODE_STATE)
    self.instances = dict((name, self.cfg.GetInstanceInfo(name))
                          for name in owned)

  def Exec(self, feedback_fn):
    res_nodes = {}
    res_instances = set()
    res_missing = {}
    # (node, "vg/lv") -> instance, for the running DRBD instances
    nv_dict = {}
    for (name, inst) in self.instances.items():
      if (inst.admin_state != constants.ADMINST_UP or
          inst.disk_template not in constants.DTS_INT_MIRROR):
        continue
      for (node, volumes) in config_verify.InstanceLVs(inst).items():
        for volume in volumes:
          nv_dict[(node, volume)] = name

    vg_name = self.cfg.GetVGName()
    if nv_dict and vg_name:
      vm_nodes = set(self.cfg.GetVmCapableNodeList())
      nodes = utils.NiceSort(set(self.owned_locks(locking.LEVEL_NODE)) &
                             vm_nodes)
      node_lvs = self.rpc.call_lv_list(nodes, vg_name)
      for node in utils.NiceSort(node_lvs):
        node_res = node_lvs[node]
        if node_res.offline:
          continue
        if node_res.fail_msg:
          logging.warning("Error enumerating LVs on node %s: %s", node,
                          node_res.fail_msg)
          res_nodes[node] = node_res.fail_msg
          continue
        for (lv_name, lv_data) in node_res.payload.items():
          inst = nv_dict.pop((node, lv_name), None)
          lv_online = lv_data[2]
          if inst is not None and not lv_online:
            res_instances.add(inst)
      # what no node listed is missing
      for ((node, volume), inst) in sorted(nv_dict.items()):
        if node in res_nodes:
          continue
        res_missing.setdefault(inst, []).append([node, volume])

    return [res_nodes, utils.NiceSort(res_instances), res_missing]


class LUClusterRepairDiskSizes(base.NoHooksLU):
  """Record the real size of disks whose configured size is wrong."""
  REQ_BGL = False

  def ExpandNames(self):
    if self.op.instances:
      self.wanted_names = []
      for name in self.op.instances:
        full_name = self.cfg.ExpandInstanceName(name)
        if full_name is None:
          raise errors.OpPrereqError("Instance '%s' not known" % name,
                                     errors.ECODE_NOENT)
        self.wanted_names.append(full_name)
      self.needed_locks = {
        locking.LEVEL_NODE_RES: [],
        locking.LEVEL_INSTANCE: self.wanted_names,
        }
      self.recalculate_locks[locking.LEVEL_NODE_RES] = base.LOCKS_REPLACE
    else:
      self.wanted_names = None
      self.needed_locks = {
        locking.LEVEL_NODE_RES: locking.ALL_SET,
        locking.LEVEL_INSTANCE: locking.ALL_SET,
        }
    self.share_locks = {
      locking.LEVEL_NODE_RES: 1,
      locking.LEVEL_INSTANCE: 0,
      }

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE_RES and self.wanted_names is not None:
      self._LockInstancesNodes(primary_only=True, level=level)

  def CheckPrereq(self):
    names = self.wanted_names
    if names is None:
      names = self.owned_locks(locking.LEVEL_INSTANCE)
    self.wanted_instances = [inst for (_, inst) in
                             self.cfg.GetMultiInstanceInfo(
                               utils.NiceSort(names))
                             if inst is not None]

  def _EnsureChildSizes(self, disk):
    """Make a DRBD disk's data child as large as the disk itself."""
    if disk.dev_type == constants.LD_DRBD8 and disk.children:
      fchild = disk.children[0]
      mismatch = fchild.size < disk.size
      if mismatch:
        self.LogInfo("Child disk has size %d, parent %d, fixing",
                     fchild.size, disk.size)
        fchild.size = disk.size
      # the child may be a device with children of its own
      return self._EnsureChildSizes(fchild) or mismatch
    return False

  def Exec(self, feedback_fn):
    per_node_disks = {}
    for instance in self.wanted_instances:
      pnode = instance.primary_node
      for (idx, disk) in enumerate(instance.disks or []):
        per_node_disks.setdefault(pnode, []).append((instance, idx, disk))

    changed = []
    for node in utils.NiceSort(per_node_disks):
      dskl = per_node_disks[node]
      result = self.rpc.call_blockdev_getsize(
        node, [instance_utils.DiskForNode(self.cfg, disk, node)
               for (_, _, disk) in dskl])
      if result.fail_msg:
        self.LogWarning("Failure in blockdev_getsize call to node %s,"
                        " ignoring: %s", node, result.fail_msg)
        continue
      if len(result.payload) != len(dskl):
        self.LogWarning("Invalid result from node %s (%d sizes for %d"
                        " disks), ignoring node results", node,
                        len(result.payload), len(dskl))
        continue
      for ((instance, idx, disk), size) in zip(dskl, result.payload):
        if size is None:
          self.LogWarning("Disk %d of instance %s did not return size"
                          " information, ignoring", idx, instance.name)
          continue
        if isinstance(size, bool) or not isinstance(size, int):
          self.LogWarning("Disk %d of instance %s did not return valid size"
                          " information (%r), ignoring", idx, instance.name,
                          size)
          continue
        size = size >> 20
        if size != disk.size:
          self.LogInfo("Disk %d of instance %s has mismatched size,"
                       " correcting: recorded %d, actual %d", idx,
                       instance.name, disk.size, size)
          disk.size = size
          self.cfg.Update(instance, feedback_fn)
          changed.append([instance.name, idx, size])
        if self._EnsureChildSizes(disk):
          self.cfg.Update(instance, feedback_fn)
          changed.append([instance.name, idx, disk.size])
    return changed
