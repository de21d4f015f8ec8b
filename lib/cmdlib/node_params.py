"""Logical units changing a node's roles and parameters, and powercycle.

Layer 5 (master side).  ``LUNodeSetParams`` (OP_NODE_SET_PARAMS, gnt-node
modify) changes a node's role (master candidate, drained, offline, or
none of them: "regular"), its capabilities, secondary IP, node parameters
and recorded states.  The roles are exclusive; the master's role changes
only through master failover; a node leaving the candidate pool is told to
drop the candidates' files, and another node is promoted when the pool
would otherwise shrink below ``candidate_pool_size`` (which needs
``auto_promote``, as it locks every node).  A node coming back online gets
its files again, as a re-added node does.  ``LUNodePowercycle``
(OP_NODE_POWERCYCLE) asks a node's daemon to hard-reset its machine.

Nodes are reached only through ``self.rpc`` and the configuration only
through ConfigWriter; no lock is taken here.
"""

import copy

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti import pathutils
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import common
from ganeti.cmdlib import node as cmdlib_node


ROLE_CANDIDATE = "candidate"
ROLE_DRAINED = "drained"
ROLE_OFFLINE = "offline"
ROLE_REGULAR = "regular"

#: Role flags of a node (opcode parameter and node attribute), in the
#: order of the result lines
_FLAGS = ("master_candidate", "drained", "offline")

_FLAG_ROLE = {
  "master_candidate": ROLE_CANDIDATE,
  "drained": ROLE_DRAINED,
  "offline": ROLE_OFFLINE,
  }

#: Seconds the master waits for a TCP answer on a new secondary IP
_TCP_PING_TIMEOUT = 10


def NodeRole(node):
  """The role of an objects.Node from its three flags."""
  for flag in _FLAGS:
    if getattr(node, flag):
      return _FLAG_ROLE[flag]
  return ROLE_REGULAR


def _RoleFlags(role):
  """The (master_candidate, drained, offline) flags of a role."""
  return tuple(_FLAG_ROLE[flag] == role for flag in _FLAGS)


def _UpdatedParams(old, update):
  """``old`` with ``update`` applied; the value "default" drops a key."""
  result = copy.deepcopy(old or {})
  for (key, value) in update.items():
    if value == constants.VALUE_DEFAULT:
      result.pop(key, None)
    else:
      result[key] = value
  return result


class LUNodeSetParams(base.LogicalUnit):
  """Change a node's roles, capabilities and parameters.

  """
  HPATH = "node-modify"
  HTYPE = constants.HTYPE_NODE
  REQ_BGL = False

  def CheckArguments(self):
    """Syntax of the requested changes (nothing read from the config)."""
    op = self.op
    all_mods = [op.offline, op.master_candidate, op.drained,
                op.secondary_ip, op.ndparams, op.hv_state, op.disk_state,
                op.master_capable, op.vm_capable, op.powered]
    if all_mods.count(None) == len(all_mods):
      raise errors.OpPrereqError("Please pass at least one modification",
                                 errors.ECODE_INVAL)
    if [op.offline, op.master_candidate, op.drained].count(True) > 1:
      raise errors.OpPrereqError("Can't set the node into more than one"
                                 " state at the same time",
                                 errors.ECODE_INVAL)
    if op.secondary_ip is not None and \
        not netutils.IP4Address.IsValid(op.secondary_ip):
      raise errors.OpPrereqError("Secondary IP (%s) needs to be a valid IPv4"
                                 " address" % op.secondary_ip,
                                 errors.ECODE_INVAL)
    if op.ndparams:
      utils.ForceDictType(op.ndparams, constants.NDS_PARAMETER_TYPES,
                          allowed_values=[constants.VALUE_DEFAULT])
    # leaving the candidate pool may need a replacement from any node
    self.might_demote = (op.master_candidate is False or
                         op.offline is True or op.drained is True or
                         op.master_capable is False)
    self.lock_all = op.auto_promote and self.might_demote

  def ExpandNames(self):
    self.op.node_name = common.ExpandNodeName(self.cfg, self.op.node_name)
    if self.lock_all:
      self.needed_locks = {locking.LEVEL_NODE: locking.ALL_SET}
    else:
      self.needed_locks = {locking.LEVEL_NODE: [self.op.node_name]}
    if self.op.secondary_ip is not None:
      # instances using the node must not start meanwhile
      self.needed_locks[locking.LEVEL_INSTANCE] = locking.ALL_SET
      self.share_locks[locking.LEVEL_INSTANCE] = 1

  def BuildHooksEnv(self):
    return {
      "OP_TARGET": self.op.node_name,
      "MASTER_CANDIDATE": str(self.op.master_candidate),
      "OFFLINE": str(self.op.offline),
      "DRAINED": str(self.op.drained),
      "MASTER_CAPABLE": str(self.op.master_capable),
      "VM_CAPABLE": str(self.op.vm_capable),
      }

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode(), self.op.node_name]
    return (nodes, nodes)

  def _CheckRoles(self, node):
    """Decide the new role; refuse impossible role changes."""
    op = self.op
    master = self.cfg.GetMasterNode()
    if node.name == master and [op.master_candidate, op.drained,
                                op.offline].count(None) != 3:
      raise errors.OpPrereqError("The master role can be changed only via"
                                 " master failover", errors.ECODE_INVAL)
    if op.master_candidate and not node.master_capable and \
        op.master_capable is not True:
      raise errors.OpPrereqError("Node %s is not master capable, cannot make"
                                 " it a master candidate" % node.name,
                                 errors.ECODE_STATE)
    (primary, secondary) = self.cfg.GetNodeInstances(node.name)
    if op.vm_capable is False and (primary or secondary):
      raise errors.OpPrereqError("Node %s hosts instances (%s), cannot unset"
                                 " vm_capable" %
                                 (node.name,
                                  utils.CommaJoin(sorted(primary +
                                                         secondary))),
                                 errors.ECODE_STATE)
    if op.offline and primary:
      raise errors.OpPrereqError("Node %s is the primary node of instance(s)"
                                 " %s, cannot mark it offline" %
                                 (node.name, utils.CommaJoin(sorted(primary))),
                                 errors.ECODE_STATE)
    if op.offline is False and node.offline and op.powered is not True and \
        node.powered is False:
      raise errors.OpPrereqError("Node %s needs to be turned on before it can"
                                 " be brought online (record it with"
                                 " --node-powered=yes)" % node.name,
                                 errors.ECODE_STATE)

    if node.master_candidate and self.might_demote and not self.lock_all:
      (mc_remaining, mc_should, _) = \
        self.cfg.GetMasterCandidateStats(exceptions=[node.name])
      if mc_remaining < mc_should:
        raise errors.OpPrereqError("Not enough master candidates, please"
                                   " pass auto promote option to allow"
                                   " promotion (--auto-promote or RAPI"
                                   " auto_promote=True)", errors.ECODE_STATE)

    old_role = NodeRole(node)
    # a node leaving the drained/offline role, or becoming master capable,
    # joins the pool if it has room
    if (op.master_candidate is None and
        ((op.drained is False and node.drained) or
         (op.offline is False and node.offline) or
         (op.master_capable and not node.master_capable)) and
        not op.drained and not op.offline and
        (op.master_capable is not False)):
      if cmdlib_node.DecideSelfPromotion(self, exceptions=[node.name]):
        op.master_candidate = True
        self.LogInfo("Auto-promoting node to master candidate")
    if op.master_capable is False and node.master_candidate:
      self.LogInfo("Demoting from master candidate")
      op.master_candidate = False

    if op.offline:
      new_role = ROLE_OFFLINE
    elif op.drained:
      new_role = ROLE_DRAINED
    elif op.master_candidate:
      new_role = ROLE_CANDIDATE
    elif any(getattr(op, flag) is False and _FLAG_ROLE[flag] == old_role
             for flag in _FLAGS):
      new_role = ROLE_REGULAR
    else:
      new_role = old_role
    return (old_role, new_role)

  def _CheckSecondaryIp(self, node):
    """The new secondary IP must be free and reachable from the master."""
    master = self.cfg.GetNodeInfo(self.cfg.GetMasterNode())
    sip = self.op.secondary_ip
    if sip == node.secondary_ip:
      return
    if master.secondary_ip == master.primary_ip:
      raise errors.OpPrereqError("Cannot change the secondary ip on a single"
                                 " homed cluster", errors.ECODE_INVAL)
    if node.name == master.name:
      raise errors.OpPrereqError("Changing the master's secondary ip is not"
                                 " supported", errors.ECODE_INVAL)
    for other in self.cfg.GetAllNodesInfo().values():
      if other.name != node.name and sip in (other.primary_ip,
                                             other.secondary_ip):
        raise errors.OpPrereqError("Secondary IP %s is already used by node"
                                   " %s" % (sip, other.name),
                                   errors.ECODE_NOTUNIQUE)
    if not node.offline and self.new_role != ROLE_OFFLINE:
      port = netutils.GetDaemonPort(constants.NODED)
      result = self.rpc.call_node_tcp_ping(master.name, master.secondary_ip,
                                           sip, port, _TCP_PING_TIMEOUT,
                                           False)
      result.Raise("Cannot check the new secondary ip of node %s from the"
                   " master" % node.name, prereq=True,
                   ecode=errors.ECODE_ENVIRON)
      if not result.payload:
        raise errors.OpPrereqError("Node secondary ip %s not reachable by TCP"
                                   " based ping to the node daemon port" %
                                   sip, errors.ECODE_ENVIRON)

  def CheckPrereq(self):
    """Check the changes against the node's state and the pool."""
    node = self.node = self.cfg.GetNodeInfo(self.op.node_name)
    if node is None:
      raise errors.OpPrereqError("Node '%s' not known" % self.op.node_name,
                                 errors.ECODE_NOENT)
    (self.old_role, self.new_role) = self._CheckRoles(node)
    if self.op.secondary_ip is not None:
      self._CheckSecondaryIp(node)
    if self.op.ndparams:
      self.new_ndparams = _UpdatedParams(node.ndparams, self.op.ndparams)
      utils.ForceDictType(self.new_ndparams, constants.NDS_PARAMETER_TYPES)
    if self.op.powered is not None:
      group = self.cfg.GetNodeGroup(node.group)
      filled = self.cfg.GetClusterInfo().FillND(node, group)
      if not filled.get(constants.ND_OOB_PROGRAM):
        raise errors.OpPrereqError("Node %s has no out-of-band program"
                                   " (ndparam %s), its power state cannot be"
                                   " recorded" %
                                   (node.name, constants.ND_OOB_PROGRAM),
                                   errors.ECODE_STATE)

  def Exec(self, feedback_fn):
    """Apply the changes; return [[parameter, new value], ...]."""
    node = self.node
    op = self.op
    result = []
    if op.ndparams:
      node.ndparams = self.new_ndparams
      result.append(("ndparams", str(node.ndparams)))
    if op.hv_state:
      node.hv_state_static = _UpdatedParams(node.hv_state_static or {},
                                            op.hv_state)
    if op.disk_state:
      node.disk_state_static = _UpdatedParams(node.disk_state_static or {},
                                              op.disk_state)
    if op.powered is not None:
      node.powered = op.powered
      result.append(("powered", str(op.powered)))
    for attr in ("master_capable", "vm_capable"):
      value = getattr(op, attr)
      if value is not None:
        setattr(node, attr, value)
        result.append((attr, str(value)))

    came_online = False
    if self.old_role != self.new_role:
      if self.old_role == ROLE_CANDIDATE and self.new_role != ROLE_OFFLINE:
        # an offline node is not reachable; it gets cleaned when readded
        msg = self.rpc.call_node_demote_from_mc(node.name).fail_msg
        if msg:
          self.LogWarning("Node failed to demote itself: %s", msg)
      came_online = self.old_role == ROLE_OFFLINE
      new_flags = _RoleFlags(self.new_role)
      for (flag, value) in zip(_FLAGS, new_flags):
        if getattr(node, flag) != value:
          setattr(node, flag, value)
          result.append((flag, str(value)))

    if op.secondary_ip is not None and op.secondary_ip != node.secondary_ip:
      node.secondary_ip = op.secondary_ip
      result.append(("secondary_ip", op.secondary_ip))

    self.cfg.Update(node, feedback_fn)

    if self.lock_all and self.new_role != ROLE_CANDIDATE:
      cluster_utils.AdjustCandidatePool(self, [node.name])
    if came_online:
      self._RefreshNodeFiles(node)
    return [list(entry) for entry in result]

  def _RefreshNodeFiles(self, node):
    """Give a node back online what a re-added node gets.

    While offline it missed configuration pushes: ssconf, the ancillary
    files, and for a candidate config.data and the job queue.

    """
    res = self.rpc.call_write_ssconf_files([node.name],
                                           self.cfg.GetSsconfValues())
    res = res.get(node.name)
    if res is None or res.fail_msg:
      self.LogWarning("Could not write the ssconf files on node %s: %s",
                      node.name, res.fail_msg if res else "no answer")
    cluster_utils.RedistributeAncillaryFiles(self)
    if node.master_candidate:
      res = self.rpc.call_upload_file([node.name],
                                      pathutils.CLUSTER_CONF_FILE).get(
                                        node.name)
      if res is None or res.fail_msg:
        self.LogWarning("Could not copy the configuration to node %s: %s",
                        node.name, res.fail_msg if res else "no answer")
      cmdlib_node.UploadJobQueue(self, node.name)


class LUNodePowercycle(base.NoHooksLU):
  """Hard-reset a node's machine through its node daemon.

  """
  REQ_BGL = False

  def CheckArguments(self):
    self.op.node_name = common.ExpandNodeName(self.cfg, self.op.node_name)
    if self.op.node_name == self.cfg.GetMasterNode() and not self.op.force:
      raise errors.OpPrereqError("The node is the master and the force"
                                 " parameter was not set",
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    # the machine goes down regardless of what runs on it: no locks
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    cluster = self.cfg.GetClusterInfo()
    result = self.rpc.call_node_powercycle(self.op.node_name,
                                           cluster.primary_hypervisor)
    result.Raise("Failed to schedule the reboot of node %s" %
                 self.op.node_name)
    return result.payload

