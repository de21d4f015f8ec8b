"""Logical units of nodes: adding, re-adding and removing a node.

Layer 5 (master side).  ``LUNodeAdd`` (OP_NODE_ADD) checks that a machine
can join (name, addresses, reachability, node daemon protocol), records it
in the configuration, makes it a master candidate if the pool has room and
hands it the files every node needs (ancillary files, and for candidates
config.data and the job queue); ``--readd`` keeps the node's UUID and
group.  ``LUNodeRemove`` (OP_NODE_REMOVE) refills the candidate pool,
drops the node from the configuration and tells it to leave the cluster.
`DecideSelfPromotion` tells whether a new node joins the candidate pool;
cmdlib.cluster_utils keeps the pool at ``candidate_pool_size`` and holds
the list of ancillary files.

The node's daemon must already be running with the cluster certificate
(the client, ``gnt-node add``, arranges that through bootstrap).  This
module talks to nodes only through ``self.rpc``, changes the
configuration only through ConfigWriter and must not take locks itself.
"""

import logging
import socket

from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import locking
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import common


#: Modes of the etc_hosts_modify call (Ganeti's constants.ETC_HOSTS_*)
ETC_HOSTS_ADD = "add"
ETC_HOSTS_REMOVE = "remove"

#: Seconds the master waits for a TCP answer from a joining node
_TCP_PING_TIMEOUT = 10


def DecideSelfPromotion(lu, exceptions=None):
  """Whether a node joining the pool now should become a master candidate.

  The joining node itself is not counted yet, so the pool may grow by one
  up to ``candidate_pool_size``.

  @param exceptions: node names not to count (e.g. the node being re-added)

  """
  cp_size = lu.cfg.GetClusterInfo().candidate_pool_size
  (mc_now, mc_should, _) = lu.cfg.GetMasterCandidateStats(exceptions)
  mc_should = min(mc_should + 1, cp_size)
  return mc_now < mc_should


def UploadJobQueue(lu, node_name):
  """Give a (new) master candidate the queue's serial file and job files.

  A candidate must be able to take over the queue; after this, the master's
  replication keeps its copy current.  Failures are warnings: the node
  still works, and ``gnt-cluster redist-conf`` or the next job write
  repairs it.

  """
  files = [pathutils.JOB_QUEUE_SERIAL_FILE]
  files.extend(jstore.GetJobFilename(job_id)
               for job_id in jstore.ListJobIds())
  for file_name in files:
    try:
      content = utils.ReadFile(file_name)
    except EnvironmentError as err:
      # a job archived meanwhile is no longer needed on the candidate
      logging.info("Not sending %s to %s: %s", file_name, node_name, err)
      continue
    result = lu.rpc.call_jobqueue_update([node_name], file_name, content)
    node_result = result.get(node_name)
    msg = (node_result.fail_msg if node_result is not None else
           "no answer")
    if msg:
      lu.LogWarning("Could not copy job queue file %s to node %s: %s",
                    file_name, node_name, msg)
      return False
  return True


def _RunPostHookOn(lu, node_name):
  """Run the LU's post hooks on one node now (e.g. a node about to leave).

  Failures are only logged: the node is going away regardless.

  """
  try:
    hm = lu.proc.BuildHooksManager(lu)
    hm.RunPhase(constants.HOOKS_PHASE_POST, nodes=[node_name])
  except Exception as err:  # pylint: disable=W0703
    lu.LogWarning("Errors occurred running hooks on %s: %s", node_name, err)


def _CheckStateDict(value, what, key_check, key_types):
  """Validate hv_state/disk_state style dicts (recorded only in 2.6)."""
  if not value:
    return value
  for (key, params) in value.items():
    if key not in key_check:
      raise errors.OpPrereqError("Invalid %s key '%s', allowed: %s" %
                                 (what, key, utils.CommaJoin(
                                   sorted(key_check))),
                                 errors.ECODE_INVAL)
    if what == "disk state":
      if not isinstance(params, dict):
        raise errors.OpPrereqError("Invalid disk state for '%s': expected a"
                                   " dict of names" % key, errors.ECODE_INVAL)
      for sub in params.values():
        utils.ForceDictType(sub, key_types)
    else:
      utils.ForceDictType(params, key_types)
  return value


class LUNodeAdd(base.LogicalUnit):
  """Add a node to the cluster, or re-add a known one.

  """
  HPATH = "node-add"
  HTYPE = constants.HTYPE_NODE
  REQ_BGL = True

  def CheckArguments(self):
    if self.op.readd and self.op.group:
      raise errors.OpPrereqError("Cannot pass a node group when a node is"
                                 " being readded", errors.ECODE_INVAL)
    if self.op.ndparams:
      utils.ForceDictType(self.op.ndparams, constants.NDS_PARAMETER_TYPES)
    _CheckStateDict(self.op.hv_state, "hypervisor state",
                    constants.HYPER_TYPES, constants.HVSTS_PARAMETER_TYPES)
    _CheckStateDict(self.op.disk_state, "disk state",
                    constants.DS_VALID_TYPES, constants.DSS_PARAMETER_TYPES)

  def ExpandNames(self):
    self.primary_ip_family = self.cfg.GetPrimaryIPFamily()
    # the name as the cluster will know it: resolved and normalised
    self.hostname = netutils.GetHostname(name=self.op.node_name,
                                         family=self.primary_ip_family)
    self.op.node_name = self.hostname.name
    self.needed_locks = {}

  def BuildHooksEnv(self):
    return {
      "OP_TARGET": self.op.node_name,
      "NODE_NAME": self.op.node_name,
      "NODE_PIP": self.op.primary_ip,
      "NODE_SIP": self.op.secondary_ip,
      "MASTER_CAPABLE": str(self.op.master_capable),
      "VM_CAPABLE": str(self.op.vm_capable),
      }

  def BuildHooksNodes(self):
    pre_nodes = [name for name in self.cfg.GetNodeList()
                 if name != self.op.node_name]
    return (pre_nodes, pre_nodes + [self.op.node_name])

  def _CheckAddresses(self, node_name, primary_ip, secondary_ip):
    """Refuse address clashes with other nodes and mixed homing."""
    for existing in self.cfg.GetAllNodesInfo().values():
      if self.op.readd and existing.name == node_name:
        if existing.secondary_ip != secondary_ip:
          raise errors.OpPrereqError("Readded node doesn't have the same IP"
                                     " address (secondary IP %s, the"
                                     " configuration has %s)" %
                                     (secondary_ip, existing.secondary_ip),
                                     errors.ECODE_INVAL)
        continue
      if (existing.primary_ip in (primary_ip, secondary_ip) or
          existing.secondary_ip in (primary_ip, secondary_ip)):
        raise errors.OpPrereqError("New node ip address(es) conflict with"
                                   " existing node %s" % existing.name,
                                   errors.ECODE_NOTUNIQUE)

    master = self.cfg.GetNodeInfo(self.cfg.GetMasterNode())
    master_singlehomed = master.secondary_ip == master.primary_ip
    newbie_singlehomed = secondary_ip == primary_ip
    if master_singlehomed != newbie_singlehomed:
      if master_singlehomed:
        raise errors.OpPrereqError("The master has no secondary ip but the"
                                   " new node has one (%s)" % secondary_ip,
                                   errors.ECODE_INVAL)
      raise errors.OpPrereqError("The master has a secondary ip but the new"
                                 " node doesn't have one",
                                 errors.ECODE_INVAL)
    return (master, newbie_singlehomed)

  def _TcpPing(self, master, source, target, what):
    """Ping the node daemon port of ``target`` from the master node."""
    port = netutils.GetDaemonPort(constants.NODED)
    result = self.rpc.call_node_tcp_ping(master.name, source, target, port,
                                         _TCP_PING_TIMEOUT, False)
    result.Raise("Cannot check the reachability of node %s (%s) from the"
                 " master %s" % (self.op.node_name, target, master.name),
                 prereq=True, ecode=errors.ECODE_ENVIRON)
    if not result.payload:
      raise errors.OpPrereqError("Node %s not reachable by ping: no answer"
                                 " from %s on the node daemon port %s (%s"
                                 " address)" % (self.op.node_name, target,
                                                port, what),
                                 errors.ECODE_ENVIRON)

  def CheckPrereq(self):
    """Check that the node can (re)join.

    """
    cfg = self.cfg
    node_name = self.op.node_name
    primary_ip = self.op.primary_ip = self.hostname.ip

    if self.op.secondary_ip is None:
      if self.primary_ip_family == socket.AF_INET6:
        raise errors.OpPrereqError("When using a IPv6 primary address, a"
                                   " valid IPv4 address must be given as"
                                   " secondary", errors.ECODE_INVAL)
      if self.op.readd and node_name in cfg.GetNodeList():
        # a re-added node keeps its secondary address
        self.op.secondary_ip = cfg.GetNodeInfo(node_name).secondary_ip
      else:
        self.op.secondary_ip = primary_ip
    secondary_ip = self.op.secondary_ip
    if not netutils.IP4Address.IsValid(secondary_ip):
      raise errors.OpPrereqError("Secondary IP (%s) needs to be a valid IPv4"
                                 " address" % secondary_ip,
                                 errors.ECODE_INVAL)

    node_list = cfg.GetNodeList()
    if not self.op.readd and node_name in node_list:
      raise errors.OpPrereqError("Node %s is already in the configuration" %
                                 node_name, errors.ECODE_EXISTS)
    if self.op.readd and node_name not in node_list:
      raise errors.OpPrereqError("Node %s is not in the configuration" %
                                 node_name, errors.ECODE_NOENT)
    if self.op.readd and node_name == cfg.GetMasterNode():
      raise errors.OpPrereqError("Cannot readd the master node %s" %
                                 node_name, errors.ECODE_STATE)

    (master, newbie_singlehomed) = self._CheckAddresses(node_name,
                                                        primary_ip,
                                                        secondary_ip)

    old_node = cfg.GetNodeInfo(node_name) if self.op.readd else None
    if self.op.readd and self.op.vm_capable is False:
      if any(cfg.GetNodeInstances(node_name)):
        raise errors.OpPrereqError("Node %s cannot be readded as not"
                                   " vm_capable: it still has instances" %
                                   node_name, errors.ECODE_STATE)
    for attr in ("master_capable", "vm_capable"):
      if getattr(self.op, attr) is None:
        if old_node is None:
          setattr(self.op, attr, True)
        else:
          setattr(self.op, attr, getattr(old_node, attr))

    if self.op.readd:
      # the node itself must not count as a candidate already
      exceptions = [node_name]
    else:
      exceptions = []
    if self.op.master_capable:
      self.master_candidate = DecideSelfPromotion(self, exceptions=exceptions)
    else:
      self.master_candidate = False

    if self.op.readd:
      self.group_uuid = old_node.group
    else:
      self.group_uuid = cfg.LookupNodeGroup(self.op.group)

    # the master must reach the node daemon on each address
    self._TcpPing(master, None, primary_ip, "primary")
    if not newbie_singlehomed:
      self._TcpPing(master, master.secondary_ip, secondary_ip, "secondary")

    if self.op.readd:
      self.new_node = old_node
    else:
      self.new_node = objects.Node(name=node_name, primary_ip=primary_ip,
                                   secondary_ip=secondary_ip,
                                   master_candidate=self.master_candidate,
                                   offline=False, drained=False,
                                   group=self.group_uuid,
                                   master_capable=self.op.master_capable,
                                   vm_capable=self.op.vm_capable,
                                   ndparams={}, powered=True)

  def _CheckVersion(self, node_name):
    """The node's daemon must answer and speak our protocol version."""
    result = self.rpc.call_version([node_name]).get(node_name)
    if result is None:
      raise errors.OpExecError("Can't get version information from node %s:"
                               " no answer" % node_name)
    result.Raise("Can't get version information from node %s" % node_name)
    if result.payload != constants.PROTOCOL_VERSION:
      raise errors.OpExecError("Version mismatch master version %s, node %s"
                               " version %s" % (constants.PROTOCOL_VERSION,
                                                node_name, result.payload))
    logging.info("Communication to node %s fine, sw version %s match",
                 node_name, result.payload)

  def _CheckNodeFromMaster(self, node_name):
    """Let the master verify it can resolve and reach the new node."""
    master = self.cfg.GetMasterNode()
    checks = {constants.NV_NODELIST: ([node_name], {})}
    result = self.rpc.call_node_verify([master], checks,
                                       self.cfg.GetClusterName())
    res = result.get(master)
    if res is None:
      raise errors.OpExecError("Cannot communicate with the master node %s:"
                               " no answer to node_verify" % master)
    res.Raise("Cannot communicate with node %s" % master)
    failures = (res.payload or {}).get(constants.NV_NODELIST) or {}
    if failures:
      for name in sorted(failures):
        self.LogWarning("ssh/hostname verification failed (checking from"
                        " %s): %s", master, failures[name])
      raise errors.OpExecError("ssh/hostname verification failed for node"
                               " %s" % node_name)

  def _ApplySettings(self, node):
    """Put the opcode's settings on the (new or re-added) node object."""
    node.master_candidate = self.master_candidate
    node.master_capable = self.op.master_capable
    node.vm_capable = self.op.vm_capable
    node.secondary_ip = self.op.secondary_ip
    node.primary_ip = self.op.primary_ip
    node.ndparams = dict(self.op.ndparams or {})
    if self.op.hv_state:
      node.hv_state_static = self.op.hv_state
    if self.op.disk_state:
      node.disk_state_static = self.op.disk_state

  def Exec(self, feedback_fn):
    node = self.new_node
    node_name = node.name
    cluster = self.cfg.GetClusterInfo()
    master = self.cfg.GetMasterNode()

    if self.op.readd:
      saved = (node.offline, node.drained)
      # the runner skips offline nodes: the flags go first, so that the
      # node is contacted; they are put back if it does not answer
      node.offline = node.drained = False
      try:
        self._CheckVersion(node_name)
      except errors.GenericError:
        (node.offline, node.drained) = saved
        raise
      if saved != (False, False):
        self.LogInfo("Readding a node, the offline/drained flags were reset")
    else:
      self._CheckVersion(node_name)

    if node.secondary_ip != node.primary_ip:
      result = self.rpc.call_node_has_ip_address(node_name,
                                                 node.secondary_ip)
      result.Raise("Failure checking secondary ip on node %s" % node_name,
                   prereq=False, ecode=errors.ECODE_ENVIRON)
      if not result.payload:
        raise errors.OpExecError("Node claims it doesn't have the secondary"
                                 " ip you gave (%s), please fix and re-run"
                                 " this command" % node.secondary_ip)

    self._CheckNodeFromMaster(node_name)

    if cluster.modify_etc_hosts:
      result = self.rpc.call_etc_hosts_modify(master, ETC_HOSTS_ADD,
                                              node_name, node.primary_ip)
      result.Raise("Can't update hosts file with new host data")

    self._ApplySettings(node)
    if self.op.readd:
      self.cfg.Update(node, feedback_fn)
      if not node.master_candidate:
        # it may still hold config.data and the queue from its old role
        result = self.rpc.call_node_demote_from_mc(node_name)
        if result.fail_msg:
          self.LogWarning("Node failed to demote itself from master"
                          " candidate status: %s", result.fail_msg)
    else:
      self.cfg.AddNode(node, self.proc.GetECId())
      # later operations lock the node like any other
      for level in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES):
        self.glm.add(level, node_name)

    self._DistributeToNewNode(node)

  def _DistributeToNewNode(self, node):
    """Files for the node: ssconf, ancillary files, candidates' state.

    The configuration's save hook pushes config.data and ssconf to the
    other nodes; the new node gets them here as well, before the operation
    ends, so it is complete when ``gnt-node add`` returns.

    """
    node_name = node.name
    result = self.rpc.call_write_ssconf_files([node_name],
                                              self.cfg.GetSsconfValues())
    res = result.get(node_name)
    if res is None or res.fail_msg:
      self.LogWarning("Could not write the ssconf files on node %s: %s",
                      node_name, res.fail_msg if res else "no answer")
    cluster_utils.RedistributeAncillaryFiles(self,
                                             additional_nodes=[node_name],
                                             additional_vm=node.vm_capable)
    if node.master_candidate:
      result = self.rpc.call_upload_file([node_name],
                                         pathutils.CLUSTER_CONF_FILE)
      res = result.get(node_name)
      if res is None or res.fail_msg:
        self.LogWarning("Could not copy the configuration to node %s: %s",
                        node_name, res.fail_msg if res else "no answer")
      UploadJobQueue(self, node_name)


class LUNodeRemove(base.LogicalUnit):
  """Remove a node from the cluster.

  """
  HPATH = "node-remove"
  HTYPE = constants.HTYPE_NODE
  REQ_BGL = True

  def ExpandNames(self):
    self.op.node_name = common.ExpandNodeName(self.cfg, self.op.node_name)
    self.needed_locks = {}

  def BuildHooksEnv(self):
    return {
      "OP_TARGET": self.op.node_name,
      "NODE_NAME": self.op.node_name,
      }

  def BuildHooksNodes(self):
    nodes = [name for name in self.cfg.GetNodeList()
             if name != self.op.node_name]
    return (nodes, nodes)

  def CheckPrereq(self):
    """The node must not be the master nor hold instances.

    """
    node = self.cfg.GetNodeInfo(self.op.node_name)
    if node is None:
      raise errors.OpPrereqError("Node '%s' not known" % self.op.node_name,
                                 errors.ECODE_NOENT)
    if node.name == self.cfg.GetMasterNode():
      raise errors.OpPrereqError("Node %s is the master node, failover to"
                                 " another node is required" % node.name,
                                 errors.ECODE_INVAL)
    for inst in self.cfg.GetAllInstancesInfo().values():
      if node.name in inst.all_nodes:
        raise errors.OpPrereqError("Instance %s is still running on the node,"
                                   " please remove first" % inst.name,
                                   errors.ECODE_INVAL)
    self.node = node

  def Exec(self, feedback_fn):
    node = self.node
    cluster = self.cfg.GetClusterInfo()
    logging.info("Stopping the node daemon and removing configs from node"
                 " %s", node.name)

    # the pool is refilled without the leaving node
    cluster_utils.AdjustCandidatePool(self, [node.name])

    self.cfg.RemoveNode(node.name)
    for level in (locking.LEVEL_NODE, locking.LEVEL_NODE_RES):
      try:
        self.glm.remove(level, node.name)
      except errors.LockError as err:
        logging.warning("Cannot remove the %s lock of node %s: %s",
                        locking.LEVEL_NAMES[level], node.name, err)

    # its post hooks run while the node is still reachable
    _RunPostHookOn(self, node.name)

    result = self.rpc.call_node_leave_cluster(node.name,
                                              cluster.modify_ssh_setup)
    if result.fail_msg:
      self.LogWarning("Errors encountered on the remote node while leaving"
                      " the cluster: %s", result.fail_msg)

    if cluster.modify_etc_hosts:
      master = self.cfg.GetMasterNode()
      result = self.rpc.call_etc_hosts_modify(master, ETC_HOSTS_REMOVE,
                                              node.name, None)
      result.Raise("Can't update hosts file with new host data")
      cluster_utils.RedistributeAncillaryFiles(self)
