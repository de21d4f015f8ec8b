"""Logical units of node storage: volumes and storage units (2.1 design).

Layer 5 (master side).  ``LUNodeQueryvols`` (OP_NODE_QUERYVOLS, gnt-node
volumes) lists the logical volumes of nodes with their physical device and
owning instance.  ``LUNodeQueryStorage`` (OP_NODE_QUERY_STORAGE,
list-storage) lists the storage units of one type (lvm-pv, lvm-vg, file)
with the fields node/type/name/size/used/free/allocatable;
``LUNodeModifyStorage`` changes a physical volume's allocatable flag and
``LURepairNodeStorage`` runs ``fix-consistency`` on a volume group.  The
node side (lib/backend_storage.py) runs the LVM tools.

Nodes are reached only through ``self.rpc``; nothing here changes the
configuration.
"""

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common


_VOL_FIELDS = frozenset(["node", "phys", "vg", "name", "size", "instance"])


def _CheckOutputFields(selected, valid):
  """Refuse unknown output fields, naming them."""
  unknown = [name for name in selected if name not in valid]
  if unknown:
    raise errors.OpPrereqError("Unknown output fields selected: %s" %
                               utils.CommaJoin(unknown), errors.ECODE_INVAL)


def _StorageTypeArgs(cfg, storage_type):
  """Type-specific arguments of the storage calls (file: directories)."""
  if storage_type == constants.ST_FILE:
    return [[cfg.GetFileStorageDir()]]
  return []


def _CheckStorageType(storage_type):
  if storage_type == constants.ST_FILE and \
      not constants.ENABLE_FILE_STORAGE:
    raise errors.OpPrereqError("File storage disabled at configure time",
                               errors.ECODE_INVAL)


def _LockWantedNodes(lu, nodes):
  """ExpandNames helper: shared locks on the named nodes (all if none)."""
  lu.share_locks = common.ShareAll()
  if nodes:
    lu.op.nodes = common.GetWantedNodes(lu, nodes)
    lu.needed_locks = {locking.LEVEL_NODE: lu.op.nodes}
  else:
    lu.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}


def _LockedNodes(lu):
  return utils.NiceSort(lu.owned_locks(locking.LEVEL_NODE))


def _VolumeOwners(cfg):
  """(node, "vg/lv") -> instance name, from the instances' disks."""
  owners = {}
  for inst in cfg.GetAllInstancesInfo().values():
    for (node, volumes) in inst.MapLVsByNode().items():
      for volume in volumes:
        owners[(node, volume)] = inst.name
  return owners


class LUNodeQueryvols(base.NoHooksLU):
  """List the logical volumes of nodes.

  """
  REQ_BGL = False

  def CheckArguments(self):
    _CheckOutputFields(self.op.output_fields, _VOL_FIELDS)

  def ExpandNames(self):
    _LockWantedNodes(self, self.op.nodes)

  def Exec(self, feedback_fn):
    """One row per volume (and device), in the order of output_fields."""
    nodes = [name for name in _LockedNodes(self)
             if self.cfg.GetNodeInfo(name).vm_capable]
    volumes = self.rpc.call_node_volumes(nodes)
    owners = _VolumeOwners(self.cfg)
    output = []
    for node in nodes:
      res = volumes[node]
      if res.offline:
        continue  # offline nodes are left out by design
      if res.fail_msg:
        self.LogWarning("Can't compute volume data on node %s: %s", node,
                        res.fail_msg)
        continue
      for vol in sorted(res.payload, key=lambda v: (v["dev"], v["vg"],
                                                    v["name"])):
        values = {
          "node": node,
          "phys": vol["dev"],
          "vg": vol["vg"],
          "name": vol["name"],
          "size": int(vol["size"]),
          "instance": owners.get((node, "%s/%s" % (vol["vg"], vol["name"])),
                                 "-"),
          }
        output.append([values[field] for field in self.op.output_fields])
    return output


class LUNodeQueryStorage(base.NoHooksLU):
  """List the storage units of one type on nodes.

  """
  REQ_BGL = False

  def CheckArguments(self):
    _CheckOutputFields(self.op.output_fields, constants.VALID_STORAGE_FIELDS)
    _CheckStorageType(self.op.storage_type)

  def ExpandNames(self):
    _LockWantedNodes(self, self.op.nodes)

  def Exec(self, feedback_fn):
    """One row per node and unit, sorted by node then unit name."""
    nodes = _LockedNodes(self)
    # the node reports the unit's own fields; node and type are ours
    fields = [constants.SF_NAME] + [
      name for name in self.op.output_fields
      if name not in (constants.SF_NODE, constants.SF_TYPE,
                      constants.SF_NAME)]
    data = self.rpc.call_storage_list(
      nodes, self.op.storage_type,
      _StorageTypeArgs(self.cfg, self.op.storage_type), self.op.name,
      fields)
    result = []
    for node in nodes:
      res = data[node]
      if res.offline:
        continue  # offline nodes are left out by design
      if res.fail_msg:
        self.LogWarning("Can't get storage data from node %s: %s", node,
                        res.fail_msg)
        continue
      for row in res.payload:
        values = dict(zip(fields, row))
        values[constants.SF_NODE] = node
        values[constants.SF_TYPE] = self.op.storage_type
        result.append([values[field] for field in self.op.output_fields])
    return result


def _CheckNodeOnline(cfg, node_name):
  if cfg.GetNodeInfo(node_name).offline:
    raise errors.OpPrereqError("Can't use offline node %s" % node_name,
                               errors.ECODE_STATE)


class LUNodeModifyStorage(base.NoHooksLU):
  """Change a storage unit (the allocatable flag of a physical volume).

  """
  REQ_BGL = False

  def CheckArguments(self):
    self.op.node_name = common.ExpandNodeName(self.cfg, self.op.node_name)
    storage_type = self.op.storage_type
    modifiable = constants.MODIFIABLE_STORAGE_FIELDS.get(storage_type)
    if modifiable is None:
      raise errors.OpPrereqError("Storage units of type '%s' can not be"
                                 " modified" % storage_type,
                                 errors.ECODE_INVAL)
    diff = set(self.op.changes) - modifiable
    if diff:
      raise errors.OpPrereqError("The following fields can not be modified"
                                 " for storage units of type '%s': %r" %
                                 (storage_type, sorted(diff)),
                                 errors.ECODE_INVAL)
    if not self.op.name:
      raise errors.OpPrereqError("A storage unit name is required",
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    self.needed_locks = {locking.LEVEL_NODE: [self.op.node_name]}

  def CheckPrereq(self):
    _CheckNodeOnline(self.cfg, self.op.node_name)

  def Exec(self, feedback_fn):
    result = self.rpc.call_storage_modify(
      self.op.node_name, self.op.storage_type,
      _StorageTypeArgs(self.cfg, self.op.storage_type), self.op.name,
      self.op.changes)
    result.Raise("Failed to modify storage unit '%s' on %s" %
                 (self.op.name, self.op.node_name))


class LURepairNodeStorage(base.NoHooksLU):
  """Repair a storage unit (fix-consistency of a volume group).

  """
  REQ_BGL = False

  def CheckArguments(self):
    self.op.node_name = common.ExpandNodeName(self.cfg, self.op.node_name)
    operations = constants.VALID_STORAGE_OPERATIONS.get(self.op.storage_type,
                                                        frozenset())
    if constants.SO_FIX_CONSISTENCY not in operations:
      raise errors.OpPrereqError("Storage units of type '%s' can not be"
                                 " repaired" % self.op.storage_type,
                                 errors.ECODE_INVAL)
    if not self.op.name:
      raise errors.OpPrereqError("A storage unit name is required",
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    self.needed_locks = {locking.LEVEL_NODE: [self.op.node_name]}

  def CheckPrereq(self):
    """Refuse while an instance using the node has an unreachable node."""
    _CheckNodeOnline(self.cfg, self.op.node_name)
    for inst in self.cfg.GetAllInstancesInfo().values():
      if self.op.node_name not in inst.all_nodes:
        continue
      for other in inst.all_nodes:
        if other == self.op.node_name:
          continue
        if self.cfg.GetNodeInfo(other).offline:
          if self.op.ignore_consistency:
            self.LogWarning("Instance %s uses offline node %s; repairing"
                            " anyway", inst.name, other)
          else:
            raise errors.OpPrereqError("Instance %s uses the offline node"
                                       " %s; use --ignore-consistency to"
                                       " repair anyway" % (inst.name, other),
                                       errors.ECODE_STATE)

  def Exec(self, feedback_fn):
    result = self.rpc.call_storage_execute(
      self.op.node_name, self.op.storage_type,
      _StorageTypeArgs(self.cfg, self.op.storage_type), self.op.name,
      constants.SO_FIX_CONSISTENCY)
    result.Raise("Failed to repair storage unit '%s' on %s" %
                 (self.op.name, self.op.node_name))
