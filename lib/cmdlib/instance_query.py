"""Logical unit of ``gnt-instance info``: instance details, static and live.

Layer 5 (master side).  ``LUInstanceQueryData`` (OP_INSTANCE_QUERY_DATA)
returns one dict per instance with the keys of Ganeti 2.6 (spec/opcodes.md):
configuration values, the parameters as set on the instance and as
effective after the cluster defaults, the groups of its nodes and, unless
static, its run state (instance_info on the primary) and the status of
every disk on the primary and the secondary (blockdev_find), children
included.  Nodes marked offline are not asked.

The live instance listing (query2 fields) is gathered in cmdlib/query.py;
this module changes nothing and declares its locks (shared) only when asked
to lock.
"""

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_utils


def _StatusTuple(payload):
  """The 2.6 per-node disk status: (dev_path, major, minor, sync_percent,
  estimated_time, is_degraded, ldisk_status), from a BlockDevStatus
  answer (dict or object)."""
  if isinstance(payload, objects.ConfigObject):
    payload = payload.ToDict()
  if not isinstance(payload, dict):
    raise errors.OpExecError("Invalid block device status %r" % (payload, ))
  return [payload.get(key) for key in ("dev_path", "major", "minor",
                                       "sync_percent", "estimated_time",
                                       "is_degraded", "ldisk_status")]


class LUInstanceQueryData(base.NoHooksLU):
  """Details of instances, for ``gnt-instance info``.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}
    if not (self.op.static or self.op.use_locking):
      # live data is asked from the nodes: hold the instances meanwhile
      self.LogWarning("Non-static data requested, locks need to be acquired")
      self.op.use_locking = True
    if self.op.instances:
      self.wanted_names = utils.UniqueSequence(
        [instance_utils.ExpandInstanceName(self.cfg, name)
         for name in self.op.instances])
    elif not self.op.use_locking:
      self.wanted_names = utils.NiceSort(self.cfg.GetInstanceList())
    else:
      # the locks acquired say which instances there are
      self.wanted_names = None
    if self.op.use_locking:
      self.share_locks = common.ShareAll()
      self.needed_locks[locking.LEVEL_INSTANCE] = \
        locking.ALL_SET if self.wanted_names is None else self.wanted_names
      self.needed_locks[locking.LEVEL_NODEGROUP] = []
      self.needed_locks[locking.LEVEL_NODE] = []
      self.recalculate_locks[locking.LEVEL_NODE] = base.LOCKS_REPLACE

  def DeclareLocks(self, level):
    if not self.op.use_locking:
      return
    if level == locking.LEVEL_NODEGROUP:
      groups = set()
      for name in self.owned_locks(locking.LEVEL_INSTANCE):
        if self.cfg.GetInstanceInfo(name) is not None:
          groups.update(self.cfg.GetInstanceNodeGroups(name))
      self.needed_locks[locking.LEVEL_NODEGROUP] = sorted(groups)
    elif level == locking.LEVEL_NODE:
      self._LockInstancesNodes()

  def CheckPrereq(self):
    if self.wanted_names is None:
      self.wanted_names = utils.NiceSort(
        self.owned_locks(locking.LEVEL_INSTANCE))
    self.wanted_instances = []
    for name in self.wanted_names:
      inst = self.cfg.GetInstanceInfo(name)
      if inst is None:
        raise errors.OpPrereqError("Instance '%s' not known" % name,
                                   errors.ECODE_NOENT)
      self.wanted_instances.append(inst)

  def _BlockdevStatus(self, node, instance, disk):
    """One node's status tuple of a disk, or None (static, no node,
    offline node, device not found)."""
    if self.op.static or not node:
      return None
    node_info = self.cfg.GetNodeInfo(node)
    if node_info is None or node_info.offline:
      return None
    dev = instance_utils.DiskForNode(self.cfg, disk, node)
    result = self.rpc.call_blockdev_find(node, dev)
    if result.offline:
      return None
    result.Raise("Can't compute disk status for %s" % instance.name)
    if result.payload is None:
      return None
    return _StatusTuple(result.payload)

  def _DiskStatus(self, instance, snode, disk):
    """The status dict of a disk and its children (2.6 layout)."""
    if disk.dev_type in constants.LDS_DRBD:
      # the peer of the primary holds the other half
      if disk.logical_id[0] == instance.primary_node:
        snode = disk.logical_id[1]
      else:
        snode = disk.logical_id[0]
    pstatus = self._BlockdevStatus(instance.primary_node, instance, disk)
    sstatus = self._BlockdevStatus(snode, instance, disk)
    children = [self._DiskStatus(instance, snode, child)
                for child in disk.children or []]
    try:
      # the device as the primary node knows it
      physical_id = instance_utils.DiskForNode(
        self.cfg, disk, instance.primary_node).physical_id
    except errors.ConfigurationError:
      physical_id = disk.physical_id
    return {
      "iv_name": disk.iv_name,
      "dev_type": disk.dev_type,
      "logical_id": _Listed(disk.logical_id),
      "physical_id": _Listed(physical_id),
      "pstatus": pstatus,
      "sstatus": sstatus,
      "children": children,
      "mode": disk.mode,
      "size": disk.size,
      }

  def _RunState(self, instance):
    pnode = self.cfg.GetNodeInfo(instance.primary_node)
    if self.op.static:
      return None
    if pnode.offline:
      self.LogWarning("Primary node %s is marked offline, returning static"
                      " information only for instance %s",
                      pnode.name, instance.name)
      return None
    remote = self.rpc.call_instance_info(instance.primary_node,
                                         instance.name, instance.hypervisor)
    remote.Raise("Error checking node %s" % instance.primary_node)
    if remote.payload and "state" in remote.payload:
      return "up"
    if instance.admin_state == constants.ADMINST_UP:
      return "down"
    return instance.admin_state

  def Exec(self, feedback_fn):
    cluster = self.cfg.GetClusterInfo()
    nodes = self.cfg.GetAllNodesInfo()
    groups = self.cfg.GetAllNodeGroupsInfo()

    def _Group(node_name):
      node = nodes.get(node_name)
      return None if node is None else node.group

    def _GroupName(uuid):
      group = groups.get(uuid)
      return None if group is None else group.name

    result = {}
    for instance in self.wanted_instances:
      run_state = self._RunState(instance)
      snodes = list(instance.secondary_nodes)
      pgroup = _Group(instance.primary_node)
      sgroups = [_Group(name) for name in snodes]
      snode = snodes[0] if snodes else None
      disks = [self._DiskStatus(instance, snode, disk)
               for disk in instance.disks or []]
      result[instance.name] = {
        "name": instance.name,
        "config_state": instance.admin_state,
        "run_state": run_state,
        "pnode": instance.primary_node,
        "pnode_group_uuid": pgroup,
        "pnode_group_name": _GroupName(pgroup),
        "snodes": snodes,
        "snodes_group_uuids": sgroups,
        "snodes_group_names": [_GroupName(uuid) for uuid in sgroups],
        "os": instance.os,
        "nics": [list(nic) for nic in
                 instance_utils.NicListToTuple(self, instance.nics)],
        "disk_template": instance.disk_template,
        "disks": disks,
        "hypervisor": instance.hypervisor,
        "network_port": instance.network_port,
        "hv_instance": dict(instance.hvparams or {}),
        "hv_actual": cluster.FillHV(instance, skip_globals=True),
        "be_instance": dict(instance.beparams or {}),
        "be_actual": cluster.FillBE(instance),
        "os_instance": dict(instance.osparams or {}),
        "os_actual": cluster.SimpleFillOS(instance.os, instance.osparams),
        "serial_no": instance.serial_no,
        "mtime": instance.mtime,
        "ctime": instance.ctime,
        "uuid": instance.uuid,
        }
    return result


def _Listed(value):
  """Tuples (logical and physical ids) as lists, as they travel in JSON."""
  if isinstance(value, tuple):
    return list(value)
  return value
