"""Logical units of instance disks: activate, deactivate, grow, recreate.

Layer 5 (master side).  ``LUInstanceActivateDisks`` assembles an
instance's disks on its nodes and reports their device paths,
``LUInstanceDeactivateDisks`` shuts them down (refused while the instance
runs unless forced), ``LUInstanceGrowDisk`` grows one disk (a dry run on
every node first, then the volumes, then DRBD on the primary) and records
the new size, ``LUInstanceRecreateDisks`` makes missing disks again, on
new nodes or with new sizes if asked.  The disk mechanics they use live in
instance_storage.

This module changes the configuration only through ConfigWriter and talks
to nodes only through the LU's RPC runner.
"""

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_storage
from ganeti.cmdlib import instance_utils


def _LockInstanceAndNodes(lu, node_res=False):
  lu._ExpandAndLockInstance()
  lu.needed_locks[locking.LEVEL_NODE] = []
  lu.recalculate_locks[locking.LEVEL_NODE] = base.LOCKS_REPLACE
  if node_res:
    lu.needed_locks[locking.LEVEL_NODE_RES] = []


def _CopyNodeLocks(lu):
  """The node-resource locks: the same names as the node locks."""
  lu.needed_locks[locking.LEVEL_NODE_RES] = \
    list(lu.needed_locks[locking.LEVEL_NODE])


class LUInstanceActivateDisks(base.NoHooksLU):
  """Activate an instance's disks; the result lists the device paths."""
  REQ_BGL = False

  def ExpandNames(self):
    _LockInstanceAndNodes(self)

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes()

  def CheckPrereq(self):
    self.instance = self.cfg.GetInstanceInfo(self.op.instance_name)
    instance_utils.CheckNodeOnline(self, self.instance.primary_node)

  def Exec(self, feedback_fn):
    (disks_ok, disks_info) = \
      instance_storage.AssembleInstanceDisks(self, self.instance,
                            ignore_size=self.op.ignore_size)
    if not disks_ok:
      raise errors.OpExecError("Cannot activate block devices")
    return [list(entry) for entry in disks_info]


class LUInstanceDeactivateDisks(base.NoHooksLU):
  """Deactivate an instance's disks (refused while it runs unless force)."""
  REQ_BGL = False

  def ExpandNames(self):
    _LockInstanceAndNodes(self)

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes()

  def CheckPrereq(self):
    self.instance = self.cfg.GetInstanceInfo(self.op.instance_name)

  def Exec(self, feedback_fn):
    if self.op.force:
      instance_storage.ShutdownInstanceDisks(self, self.instance)
    else:
      instance_storage.SafeShutdownInstanceDisks(self, self.instance)


class LUInstanceGrowDisk(base.LogicalUnit):
  """Grow one disk of an instance (by an amount, or to a size)."""
  HPATH = "disk-grow"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def ExpandNames(self):
    _LockInstanceAndNodes(self, node_res=True)

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes()
    elif level == locking.LEVEL_NODE_RES:
      _CopyNodeLocks(self)

  def BuildHooksEnv(self):
    env = {
      "DISK": self.op.disk,
      "AMOUNT": self.op.amount,
      "ABSOLUTE": self.op.absolute,
      }
    env.update(instance_utils.BuildInstanceHookEnvByObject(self,
                                                           self.instance))
    return env

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode()] + list(self.instance.all_nodes)
    return (nodes, nodes)

  def CheckPrereq(self):
    instance = self.cfg.GetInstanceInfo(self.op.instance_name)
    self.instance = instance
    for node in instance.all_nodes:
      instance_utils.CheckNodeOnline(self, node)
    if instance.disk_template not in constants.DTS_GROWABLE:
      raise errors.OpPrereqError("Instance's disk layout does not support"
                                 " growing", errors.ECODE_INVAL)
    self.disk = instance.FindDisk(self.op.disk)
    if self.op.absolute:
      self.target = self.op.amount
      self.delta = self.target - self.disk.size
      if self.delta < 0:
        raise errors.OpPrereqError("Requested size (%s) is smaller than the"
                                   " current disk size (%s)" %
                                   (utils.FormatUnit(self.target, "h"),
                                    utils.FormatUnit(self.disk.size, "h")),
                                   errors.ECODE_STATE)
    else:
      self.delta = self.op.amount
      self.target = self.disk.size + self.delta
    if instance.disk_template in constants.DTS_LVM:
      instance_storage.CheckNodesFreeDiskPerVG(self, list(instance.all_nodes),
                              self.disk.ComputeGrowth(self.delta))

  def _Grow(self, nodes, dryrun, backingstore, what):
    for node in nodes:
      node_disk = instance_utils.DiskForNode(self.cfg, self.disk, node)
      result = self.rpc.call_blockdev_grow(node, node_disk, self.delta,
                                           dryrun, backingstore)
      result.Raise("%s request failed to node %s" % (what, node))

  def Exec(self, feedback_fn):
    instance = self.instance
    disk = self.disk
    (disks_ok, _) = instance_storage.AssembleInstanceDisks(self, instance, disks=[disk])
    if not disks_ok:
      raise errors.OpExecError("Cannot activate block device to grow")
    feedback_fn("Growing disk %s of instance '%s' by %s to %s" %
                (self.op.disk, instance.name,
                 utils.FormatUnit(self.delta, "h"),
                 utils.FormatUnit(self.target, "h")))
    nodes = list(instance.all_nodes)
    # a dry run everywhere first: either every node can grow, or none does
    self._Grow(nodes, True, True, "Dry-run grow")
    self._Grow(nodes, False, True, "Grow")
    # the mirror on top of the grown volumes follows on the primary
    if disk.dev_type in constants.LDS_DRBD:
      self._Grow([instance.primary_node], False, False, "Grow")
    disk.RecordGrow(self.delta)
    self.cfg.Update(instance, feedback_fn)
    if self.op.wait_for_sync:
      if not instance_storage.WaitForSync(self, instance, disks=[disk]):
        self.LogWarning("Disk syncing has not returned a good status; check"
                        " the instance")
      if instance.admin_state != constants.ADMINST_UP:
        instance_storage.ShutdownInstanceDisks(self, instance, disks=[disk])
    elif instance.admin_state != constants.ADMINST_UP:
      self.LogWarning("Not shutting down the disk even if the instance is"
                      " not supposed to be running because no wait for"
                      " sync mode was requested")


def _RecreateDiskSpecs(disks):
  """The recreate-disks ``disks`` parameter as {index: changes}.

  @raise errors.OpPrereqError: an index appears twice, or a change other
      than size and mode is asked for

  """
  result = {}
  for item in disks or []:
    if isinstance(item, int):
      (idx, changes) = (item, {})
    else:
      (idx, changes) = (item[0], dict(item[1] or {}))
    if idx in result:
      raise errors.OpPrereqError("Disk %s specified more than once" % idx,
                                 errors.ECODE_INVAL)
    unknown = set(changes) - set([constants.IDISK_SIZE,
                                  constants.IDISK_MODE])
    if unknown:
      raise errors.OpPrereqError("Only the size and mode of a disk can be"
                                 " changed when recreating it, not %s" %
                                 utils.CommaJoin(sorted(unknown)),
                                 errors.ECODE_INVAL)
    if constants.IDISK_SIZE in changes:
      try:
        changes[constants.IDISK_SIZE] = \
          utils.ParseUnit(changes[constants.IDISK_SIZE])
      except errors.UnitParseError as err:
        raise errors.OpPrereqError("Invalid disk size for disk %s: %s" %
                                   (idx, err), errors.ECODE_INVAL)
    if changes.get(constants.IDISK_MODE, constants.DISK_RDWR) not in \
        constants.DISK_ACCESS_SET:
      raise errors.OpPrereqError("Invalid disk access mode '%s'" %
                                 changes[constants.IDISK_MODE],
                                 errors.ECODE_INVAL)
    result[idx] = changes
  return result


class LUInstanceRecreateDisks(base.LogicalUnit):
  """Recreate an instance's disks (all or some), possibly on new nodes."""
  HPATH = "instance-recreate-disks"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def CheckArguments(self):
    self.disk_specs = _RecreateDiskSpecs(self.op.disks)

  def ExpandNames(self):
    self._ExpandAndLockInstance()
    if self.op.nodes:
      self.op.nodes = [common.ExpandNodeName(self.cfg, name)
                       for name in self.op.nodes]
      self.needed_locks[locking.LEVEL_NODE] = list(self.op.nodes)
    else:
      self.needed_locks[locking.LEVEL_NODE] = []
      self.recalculate_locks[locking.LEVEL_NODE] = base.LOCKS_REPLACE
    self.needed_locks[locking.LEVEL_NODE_RES] = []

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE and not self.op.nodes:
      self._LockInstancesNodes()
    elif level == locking.LEVEL_NODE_RES:
      _CopyNodeLocks(self)

  def BuildHooksEnv(self):
    return instance_utils.BuildInstanceHookEnvByObject(self, self.instance)

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode()] + list(self.instance.all_nodes)
    return (nodes, nodes)

  def CheckPrereq(self):
    instance = self.cfg.GetInstanceInfo(self.op.instance_name)
    self.instance = instance
    if instance.disk_template == constants.DT_DISKLESS:
      raise errors.OpPrereqError("Instance '%s' has no disks" %
                                 instance.name, errors.ECODE_INVAL)
    if self.op.nodes:
      if len(self.op.nodes) != len(instance.all_nodes):
        raise errors.OpPrereqError("Instance %s currently has %d nodes, but"
                                   " the new node list has %d nodes" %
                                   (instance.name, len(instance.all_nodes),
                                    len(self.op.nodes)), errors.ECODE_INVAL)
      if len(set(self.op.nodes)) != len(self.op.nodes):
        raise errors.OpPrereqError("The new node list contains a node twice",
                                   errors.ECODE_INVAL)
      for node in self.op.nodes:
        instance_utils.CheckNodeOnline(self, node)
        instance_utils.CheckNodeVmCapable(self, node)
    old_pnode = self.cfg.GetNodeInfo(instance.primary_node)
    # with new nodes and the old primary gone, nobody can tell if it runs
    if not (self.op.nodes and old_pnode.offline):
      instance_utils.CheckInstanceState(self, instance,
                                        constants.INSTANCE_NOT_RUNNING,
                                        "cannot recreate disks")
    for idx in self.disk_specs:
      if not 0 <= idx < len(instance.disks):
        raise errors.OpPrereqError("Invalid disk index '%s'" % idx,
                                   errors.ECODE_INVAL)
    if self.disk_specs:
      self.wanted = sorted(self.disk_specs)
    else:
      self.wanted = list(range(len(instance.disks)))
    if self.op.nodes and len(self.wanted) != len(instance.disks):
      raise errors.OpPrereqError("Can't recreate disks partially and change"
                                 " the nodes at the same time",
                                 errors.ECODE_INVAL)

  def Exec(self, feedback_fn):
    instance = self.instance
    to_skip = [idx for idx in range(len(instance.disks))
               if idx not in self.wanted]
    changed = False
    if self.op.nodes:
      for disk in instance.disks:
        if disk.dev_type in constants.LDS_DRBD:
          minors = self.cfg.AllocateDRBDMinor(self.op.nodes, instance.name)
          old = disk.logical_id
          disk.logical_id = (self.op.nodes[0], self.op.nodes[1], old[2],
                             minors[0], minors[1], old[5])
          disk.physical_id = None
      instance.primary_node = self.op.nodes[0]
      changed = True
    for (idx, changes) in self.disk_specs.items():
      disk = instance.disks[idx]
      if constants.IDISK_SIZE in changes:
        disk.size = changes[constants.IDISK_SIZE]
        if disk.dev_type in constants.LDS_DRBD and disk.children:
          disk.children[0].size = disk.size
        changed = True
      if constants.IDISK_MODE in changes:
        disk.mode = changes[constants.IDISK_MODE]
        changed = True
    if changed:
      self.cfg.Update(instance, feedback_fn)
    instance_storage.CreateDisks(self, instance, to_skip=to_skip)

