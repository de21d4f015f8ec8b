"""Logical units of the cluster as a whole (gnt-cluster, RAPI /2/info...).

Layer 5 (master side).  Post-init hooks, destroy, the cluster information
and configuration queries, rename, parameter changes (gnt-cluster modify),
redistribution of the configuration and ancillary files, and master IP
activation.  Verification lives in `cluster_verify`, disk checks in
`cluster_disks`, shared file lists in `cluster_utils`.

This module changes the configuration only through ConfigWriter, talks to
nodes only through the LU's runner and takes no locks itself.
"""

import copy
import os
import platform
import socket

from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import locking
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import ssh
from ganeti import uidpool
from ganeti import utils
from ganeti import vcluster
from ganeti.cmdlib import base
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import cluster_verify
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_utils


def _RunPostHook(lu, node_name):
  """Run the LU's post hooks on one node now, only warning on failure."""
  hm = lu.proc.BuildHooksManager(lu)
  try:
    hm.RunPhase(constants.HOOKS_PHASE_POST, nodes=[node_name])
  except Exception as err:  # pylint: disable=W0703
    # the operation goes on: hooks of a dying cluster are advisory
    lu.LogWarning("Errors occurred running hooks on %s: %s", node_name, err)


class LUClusterPostInit(base.LogicalUnit):
  """Run the cluster-init post hooks once the cluster exists."""
  HPATH = "cluster-init"
  HTYPE = constants.HTYPE_CLUSTER

  def BuildHooksEnv(self):
    return {"OP_TARGET": self.cfg.GetClusterName()}

  def BuildHooksNodes(self):
    return ([], [self.cfg.GetMasterNode()])

  def Exec(self, feedback_fn):
    return True


class LUClusterDestroy(base.LogicalUnit):
  """Prepare the destruction of a cluster reduced to its master."""
  HPATH = "cluster-destroy"
  HTYPE = constants.HTYPE_CLUSTER

  def BuildHooksEnv(self):
    return {"OP_TARGET": self.cfg.GetClusterName()}

  def BuildHooksNodes(self):
    # the hooks run during Exec, while the master still is one
    return ([], [])

  def CheckPrereq(self):
    master = self.cfg.GetMasterNode()
    nodelist = self.cfg.GetNodeList()
    if len(nodelist) != 1 or nodelist[0] != master:
      raise errors.OpPrereqError("There are still %d node(s) in this"
                                 " cluster: %s" %
                                 (len(nodelist) - 1, utils.CommaJoin(
                                   utils.NiceSort(set(nodelist) -
                                                  set([master])))),
                                 errors.ECODE_INVAL)
    instancelist = self.cfg.GetInstanceList()
    if instancelist:
      raise errors.OpPrereqError("There are still %d instance(s) in this"
                                 " cluster: %s" %
                                 (len(instancelist), utils.CommaJoin(
                                   utils.NiceSort(instancelist))),
                                 errors.ECODE_INVAL)

  def Exec(self, feedback_fn):
    master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
    _RunPostHook(self, master_params.name)
    result = self.rpc.call_node_deactivate_master_ip(
      master_params.name, master_params.ToDict(),
      self.cfg.GetUseExternalMipScript())
    if result.fail_msg:
      self.LogWarning("Error disabling the master IP address: %s",
                      result.fail_msg)
    return master_params.name


def _Architecture():
  return [platform.architecture()[0], platform.machine()]


def GetClusterInfo(cfg):
  """The cluster information dict (QueryClusterInfo, RAPI /2/info).

  Hypervisor parameters are shown for the enabled hypervisors only.

  """
  cluster = cfg.GetClusterInfo()
  enabled = list(cluster.enabled_hypervisors or [])
  hvparams = cluster.hvparams or {}
  os_hvp = {}
  for (os_name, hv_dict) in (cluster.os_hvp or {}).items():
    os_hvp[os_name] = dict((hv_name, params)
                           for (hv_name, params) in hv_dict.items()
                           if hv_name in enabled)
  if cluster.primary_ip_family == socket.AF_INET6:
    primary_ip_version = constants.IP6_VERSION
  else:
    primary_ip_version = constants.IP4_VERSION
  return {
    "software_version": constants.RELEASE_VERSION,
    "protocol_version": constants.PROTOCOL_VERSION,
    "config_version": constants.CONFIG_VERSION,
    "os_api_version": max(constants.OS_API_VERSIONS),
    "export_version": constants.EXPORT_VERSION,
    "architecture": _Architecture(),
    "name": cluster.cluster_name,
    "master": cluster.master_node,
    "default_hypervisor": enabled[0] if enabled else None,
    "enabled_hypervisors": enabled,
    "hvparams": dict((hv_name, hvparams.get(hv_name, {}))
                     for hv_name in enabled),
    "os_hvp": os_hvp,
    "beparams": cluster.beparams,
    "osparams": cluster.osparams,
    "ipolicy": cluster.ipolicy,
    "nicparams": cluster.nicparams,
    "ndparams": cluster.ndparams,
    "diskparams": cluster.diskparams,
    "candidate_pool_size": cluster.candidate_pool_size,
    "master_netdev": cluster.master_netdev,
    "master_netmask": cluster.master_netmask,
    "use_external_mip_script": cluster.use_external_mip_script,
    "volume_group_name": cluster.volume_group_name,
    "drbd_usermode_helper": cluster.drbd_usermode_helper,
    "file_storage_dir": cluster.file_storage_dir,
    "shared_file_storage_dir": cluster.shared_file_storage_dir,
    "maintain_node_health": cluster.maintain_node_health,
    "ctime": cluster.ctime,
    "mtime": cluster.mtime,
    "uuid": cluster.uuid,
    "tags": sorted(cluster.GetTags()),
    "uid_pool": [list(item) for item in (cluster.uid_pool or [])],
    "default_iallocator": cluster.default_iallocator,
    "reserved_lvs": list(cluster.reserved_lvs or []),
    "primary_ip_version": primary_ip_version,
    "prealloc_wipe_disks": cluster.prealloc_wipe_disks,
    "hidden_os": list(cluster.hidden_os or []),
    "blacklisted_os": list(cluster.blacklisted_os or []),
    }


class LUClusterQuery(base.NoHooksLU):
  """The cluster's configuration as a dict (gnt-cluster info)."""
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    return GetClusterInfo(self.cfg)


#: Field name -> getter(cfg, cluster) of OP_CLUSTER_CONFIG_QUERY and of
#: LUXI's QueryConfigValues
CONFIG_FIELDS = {
  "cluster_name": lambda cfg, cl: cl.cluster_name,
  "name": lambda cfg, cl: cl.cluster_name,
  "master_node": lambda cfg, cl: cl.master_node,
  "architecture": lambda cfg, cl: _Architecture(),
  "drain_flag": lambda cfg, cl: jstore.CheckDrainFlag(),
  "watcher_pause": lambda cfg, cl: utils.ReadWatcherPauseFile(
    pathutils.WATCHER_PAUSEFILE),
  "volume_group_name": lambda cfg, cl: cl.volume_group_name,
  "software_version": lambda cfg, cl: constants.RELEASE_VERSION,
  "protocol_version": lambda cfg, cl: constants.PROTOCOL_VERSION,
  "config_version": lambda cfg, cl: constants.CONFIG_VERSION,
  "os_api_version": lambda cfg, cl: max(constants.OS_API_VERSIONS),
  "export_version": lambda cfg, cl: constants.EXPORT_VERSION,
  "tags": lambda cfg, cl: sorted(cl.GetTags()),
  "ctime": lambda cfg, cl: cl.ctime,
  "mtime": lambda cfg, cl: cl.mtime,
  }


def CheckConfigFields(fields):
  """Refuse field names CONFIG_FIELDS does not know."""
  unknown = [field for field in fields if field not in CONFIG_FIELDS]
  if unknown:
    raise errors.OpPrereqError("Unknown output fields selected: %s" %
                               utils.CommaJoin(unknown), errors.ECODE_INVAL)


def GetConfigValues(cfg, fields):
  """Values of the CONFIG_FIELDS ``fields``, in the order given."""
  CheckConfigFields(fields)
  cluster = cfg.GetClusterInfo()
  return [CONFIG_FIELDS[field](cfg, cluster) for field in fields]


class LUClusterConfigQuery(base.NoHooksLU):
  """Values of cluster fields, in the order asked for."""
  REQ_BGL = False

  def CheckArguments(self):
    CheckConfigFields(self.op.output_fields)

  def ExpandNames(self):
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    return GetConfigValues(self.cfg, self.op.output_fields)


def _IpInUse(address):
  """Whether an address is already used by a host.

  On a physical network any answer proves a host (a refused connection
  too); in a virtual cluster every 127.x address "answers" that way, so
  there only a listening node daemon port counts.

  """
  return netutils.TcpPing(address, netutils.GetDaemonPort(constants.NODED),
                          live_port_needed=vcluster.IsVirtualCluster())


class LUClusterRename(base.LogicalUnit):
  """Give the cluster a new name (and so possibly a new master IP)."""
  HPATH = "cluster-rename"
  HTYPE = constants.HTYPE_CLUSTER

  def BuildHooksEnv(self):
    return {
      "OP_TARGET": self.cfg.GetClusterName(),
      "NEW_NAME": self.op.name,
      }

  def BuildHooksNodes(self):
    return ([self.cfg.GetMasterNode()], self.cfg.GetNodeList())

  def CheckPrereq(self):
    hostname = netutils.GetHostname(name=self.op.name,
                                    family=self.cfg.GetPrimaryIPFamily())
    new_name = hostname.name
    self.ip = new_ip = hostname.ip
    old_name = self.cfg.GetClusterName()
    old_ip = self.cfg.GetMasterIP()
    if new_name == old_name and new_ip == old_ip:
      raise errors.OpPrereqError("Neither the name nor the IP address of the"
                                 " cluster has changed (%s, %s)" %
                                 (new_name, new_ip), errors.ECODE_INVAL)
    if new_ip != old_ip and _IpInUse(new_ip):
      raise errors.OpPrereqError("The given cluster IP address (%s) is"
                                 " reachable online" % new_ip,
                                 errors.ECODE_NOTUNIQUE)
    self.op.name = new_name

  def Exec(self, feedback_fn):
    clustername = self.op.name
    new_ip = self.ip
    master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
    ems = self.cfg.GetUseExternalMipScript()
    result = self.rpc.call_node_deactivate_master_ip(
      master_params.name, master_params.ToDict(), ems)
    result.Raise("Could not disable the master role")
    try:
      cluster = self.cfg.GetClusterInfo()
      cluster.cluster_name = clustername
      cluster.master_ip = new_ip
      self.cfg.Update(cluster, feedback_fn)
      # known_hosts names the cluster: rewrite it and push it everywhere
      ssh.WriteKnownHostsFile(self.cfg, pathutils.SSH_KNOWN_HOSTS_FILE)
      node_list = [name for name in self.cfg.GetOnlineNodeList()
                   if name != master_params.name]
      cluster_utils.UploadHelper(self, node_list,
                                 pathutils.SSH_KNOWN_HOSTS_FILE)
    finally:
      master_params.ip = new_ip
      result = self.rpc.call_node_activate_master_ip(
        master_params.name, master_params.ToDict(), ems)
      if result.fail_msg:
        self.LogWarning("Could not re-enable the master role on the master,"
                        " please restart manually: %s", result.fail_msg)
    return clustername


def _MergeAndVerifyHvState(op_input, obj_input):
  """Merge hypervisor state changes over the current values, checked."""
  if not op_input:
    return None
  invalid = set(op_input) - constants.HYPER_TYPES
  if invalid:
    raise errors.OpPrereqError("Invalid hypervisor(s) in hypervisor state:"
                               " %s" % utils.CommaJoin(sorted(invalid)),
                               errors.ECODE_INVAL)
  result = copy.deepcopy(obj_input or {})
  for (hv_name, hv_st) in op_input.items():
    merged = objects.FillDict(result.get(hv_name, {}), hv_st)
    utils.ForceDictType(merged, constants.HVSTS_PARAMETER_TYPES)
    result[hv_name] = merged
  return result


def _MergeAndVerifyDiskState(op_input, obj_input):
  """Merge disk state changes over the current values, checked."""
  if not op_input:
    return None
  invalid = set(op_input) - constants.DS_VALID_TYPES
  if invalid:
    raise errors.OpPrereqError("Invalid storage type(s) in disk state: %s" %
                               utils.CommaJoin(sorted(invalid)),
                               errors.ECODE_INVAL)
  result = copy.deepcopy(obj_input or {})
  for (storage, ds_dict) in op_input.items():
    per_storage = result.setdefault(storage, {})
    for (ident, values) in ds_dict.items():
      merged = objects.FillDict(per_storage.get(ident, {}), values)
      utils.ForceDictType(merged, constants.DSS_PARAMETER_TYPES)
      per_storage[ident] = merged
  return result


def _UpdatedParams(old, update, use_default=True, use_none=False):
  """``old`` with ``update`` applied; "default"/None values delete keys."""
  result = copy.deepcopy(old)
  for (key, value) in update.items():
    if ((use_default and value == constants.VALUE_DEFAULT) or
        (use_none and value is None)):
      result.pop(key, None)
    else:
      result[key] = value
  return result


def _CheckTypes(params, types, what):
  try:
    utils.ForceDictType(params, types)
  except errors.GenericError as err:
    raise errors.OpPrereqError("Invalid %s: %s" % (what, err),
                               errors.ECODE_INVAL)


class LUClusterSetParams(base.LogicalUnit):
  """Change the cluster's parameters (gnt-cluster modify)."""
  HPATH = "cluster-modify"
  HTYPE = constants.HTYPE_CLUSTER
  REQ_BGL = False

  def CheckArguments(self):
    for (attr, what) in [("uid_pool", "user-id pool"),
                         ("add_uids", "user-id ranges to add"),
                         ("remove_uids", "user-id ranges to remove")]:
      value = getattr(self.op, attr)
      if value is not None:
        uidpool.CheckUidPool(value)
    if self.op.master_netmask is not None:
      family = self.cfg.GetPrimaryIPFamily()
      maxlen = 128 if family == socket.AF_INET6 else 32
      if not 0 < self.op.master_netmask <= maxlen:
        raise errors.OpPrereqError("Netmask %s is not valid for the cluster's"
                                   " IP family: expected a prefix length"
                                   " from 1 to %d" %
                                   (self.op.master_netmask, maxlen),
                                   errors.ECODE_INVAL)
    if self.op.master_netdev is not None and not self.op.master_netdev:
      raise errors.OpPrereqError("The master network device cannot be empty",
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    self.needed_locks = {
      locking.LEVEL_INSTANCE: locking.ALL_SET,
      locking.LEVEL_NODEGROUP: locking.ALL_SET,
      locking.LEVEL_NODE: locking.ALL_SET,
      }
    self.share_locks = common.ShareAll()

  def BuildHooksEnv(self):
    return {
      "OP_TARGET": self.cfg.GetClusterName(),
      "NEW_VG_NAME": self.op.vg_name,
      }

  def BuildHooksNodes(self):
    master = self.cfg.GetMasterNode()
    return ([master], [master])

  def _CheckStorageChanges(self, instances):
    """Refuse to disable LVM or DRBD while instances use them."""
    if self.op.vg_name is not None and not self.op.vg_name:
      users = [inst.name for inst in instances
               if inst.disk_template in constants.DTS_LVM]
      if users:
        raise errors.OpPrereqError("Cannot disable lvm storage while"
                                   " lvm-based instances exist: %s" %
                                   utils.CommaJoin(utils.NiceSort(users)),
                                   errors.ECODE_INVAL)
    if self.op.drbd_helper is not None and not self.op.drbd_helper:
      users = [inst.name for inst in instances
               if inst.disk_template in constants.DTS_INT_MIRROR]
      if users:
        raise errors.OpPrereqError("Cannot disable drbd helper while"
                                   " drbd-based instances exist: %s" %
                                   utils.CommaJoin(utils.NiceSort(users)),
                                   errors.ECODE_INVAL)

  def _CheckVolumeGroup(self):
    """Every online node must have the new volume group, big enough."""
    node_list = [name for name in self.owned_locks(locking.LEVEL_NODE)
                 if not self.cfg.GetNodeInfo(name).offline]
    vglist = self.rpc.call_vg_list(node_list)
    for node in utils.NiceSort(node_list):
      result = vglist[node]
      if result.fail_msg:
        self.LogWarning("Error while gathering data on node %s (ignoring"
                        " node): %s", node, result.fail_msg)
        continue
      vgstatus = cluster_utils.CheckVolumeGroupSize(
        result.payload, self.op.vg_name, cluster_utils.MIN_VG_SIZE)
      if vgstatus:
        raise errors.OpPrereqError("Error on node '%s': %s" %
                                   (node, vgstatus), errors.ECODE_ENVIRON)

  def CheckPrereq(self):
    cluster = self.cluster = self.cfg.GetClusterInfo()
    instances = list(self.cfg.GetAllInstancesInfo().values())
    self._CheckStorageChanges(instances)
    if self.op.vg_name:
      self._CheckVolumeGroup()

    if self.op.beparams:
      _CheckTypes(self.op.beparams, constants.BES_PARAMETER_TYPES,
                  "backend parameters")
      self.new_beparams = cluster.SimpleFillBE(self.op.beparams)

    if self.op.ndparams:
      _CheckTypes(self.op.ndparams, constants.NDS_PARAMETER_TYPES,
                  "node parameters")
      self.new_ndparams = cluster.SimpleFillND(self.op.ndparams)
      # "" resets the out-of-band program instead of naming an empty one
      if self.new_ndparams.get(constants.ND_OOB_PROGRAM) == "":
        self.new_ndparams[constants.ND_OOB_PROGRAM] = None

    try:
      self.new_hv_state = _MergeAndVerifyHvState(
        self.op.hv_state, cluster.hv_state_static)
      self.new_disk_state = _MergeAndVerifyDiskState(
        self.op.disk_state, cluster.disk_state_static)
    except errors.TypeEnforcementError as err:
      raise errors.OpPrereqError("Invalid resource state: %s" % err,
                                 errors.ECODE_INVAL)

    if self.op.ipolicy:
      new_ipolicy = objects.FillIPolicy(cluster.ipolicy, self.op.ipolicy)
      try:
        objects.InstancePolicy.CheckParameterSyntax(new_ipolicy, True)
      except errors.ConfigurationError as err:
        raise errors.OpPrereqError("Invalid instance policy: %s" % err,
                                   errors.ECODE_INVAL)
      self.new_ipolicy = new_ipolicy

    if self.op.nicparams:
      _CheckTypes(self.op.nicparams, constants.NICS_PARAMETER_TYPES,
                  "NIC parameters")
      self.new_nicparams = cluster.SimpleFillNIC(self.op.nicparams)
      try:
        objects.NIC.CheckParameterSyntax(self.new_nicparams)
      except errors.ConfigurationError as err:
        raise errors.OpPrereqError("Invalid NIC parameters: %s" % err,
                                   errors.ECODE_INVAL)
      nic_errors = []
      for inst in sorted(instances, key=lambda i: i.name):
        for (idx, nic) in enumerate(inst.nics or []):
          params = objects.FillDict(self.new_nicparams, nic.nicparams)
          if (params[constants.NIC_MODE] == constants.NIC_MODE_ROUTED and
              not nic.ip):
            nic_errors.append("Instance %s, nic/%d: routed NIC with no IP"
                              " address" % (inst.name, idx))
      if nic_errors:
        raise errors.OpPrereqError("Cannot apply the change, errors:\n%s" %
                                   "\n".join(nic_errors), errors.ECODE_INVAL)

    # hypervisor parameters: merged per hypervisor
    self.new_hvparams = new_hvp = copy.deepcopy(cluster.hvparams or {})
    if self.op.hvparams:
      for (hv_name, hv_dict) in self.op.hvparams.items():
        new_hvp.setdefault(hv_name, {}).update(hv_dict)

    self.new_diskparams = new_dp = copy.deepcopy(cluster.diskparams or {})
    if self.op.diskparams:
      for (template, dt_params) in self.op.diskparams.items():
        if template not in constants.DISK_TEMPLATES:
          raise errors.OpPrereqError("Unknown disk template '%s' in disk"
                                     " parameters" % template,
                                     errors.ECODE_INVAL)
        merged = objects.FillDict(new_dp.get(template, {}), dt_params)
        _CheckTypes(merged, constants.DISK_DT_TYPES,
                    "disk parameters of template %s" % template)
        new_dp[template] = merged

    self.new_os_hvp = new_os_hvp = copy.deepcopy(cluster.os_hvp or {})
    if self.op.os_hvp:
      for (os_name, hvs) in self.op.os_hvp.items():
        per_os = new_os_hvp.setdefault(os_name, {})
        for (hv_name, hv_dict) in hvs.items():
          # values typed as the cluster's ("false" from the command line
          # is stored as False)
          hv_dict = dict(hv_dict)
          _CheckTypes(hv_dict, constants.HVS_PARAMETER_TYPES,
                      "hypervisor parameters of OS %s" % os_name)
          per_os.setdefault(hv_name, {}).update(hv_dict)

    self.new_osp = new_osp = copy.deepcopy(cluster.osparams or {})
    if self.op.osparams:
      for (os_name, osp) in self.op.osparams.items():
        updated = _UpdatedParams(new_osp.get(os_name, {}), osp,
                                 use_none=True)
        if updated:
          new_osp[os_name] = updated
          # the OS checks its own parameters, on the master (as 2.6)
          instance_utils.CheckOSParams(self, False,
                                       [self.cfg.GetMasterNode()], os_name,
                                       updated)
        else:
          new_osp.pop(os_name, None)

    if self.op.enabled_hypervisors is not None:
      self.hv_list = list(self.op.enabled_hypervisors)
      for hv_name in self.hv_list:
        new_hvp[hv_name] = objects.FillDict(
          constants.HVC_DEFAULTS[hv_name], new_hvp.get(hv_name, {}))
    else:
      self.hv_list = list(cluster.enabled_hypervisors)

    if self.op.hvparams or self.op.enabled_hypervisors is not None:
      for hv_name in self.hv_list:
        self._CheckHvParams(hv_name, new_hvp.get(hv_name, {}),
                            "cluster")
    if self.op.os_hvp:
      for (os_name, hvs) in self.op.os_hvp.items():
        for (hv_name, hv_params) in hvs.items():
          if hv_name in self.hv_list:
            full = objects.FillDict(new_hvp.get(hv_name, {}),
                                    new_os_hvp[os_name][hv_name])
            self._CheckHvParams(hv_name, full, "os %s" % os_name)

    if self.op.default_iallocator:
      found = utils.FindFile(self.op.default_iallocator,
                             pathutils.IALLOCATOR_SEARCH_PATH,
                             os.path.isfile)
      if found is None:
        raise errors.OpPrereqError("Invalid default iallocator script '%s'"
                                   " specified: not found in %s" %
                                   (self.op.default_iallocator,
                                    utils.CommaJoin(
                                      pathutils.IALLOCATOR_SEARCH_PATH)),
                                   errors.ECODE_INVAL)

  @staticmethod
  def _CheckHvParams(hv_name, hvparams, source):
    try:
      cluster_verify.CheckHvParamsSyntax(hv_name, hvparams)
    except errors.GenericError as err:
      raise errors.OpPrereqError("Invalid parameters of hypervisor %s"
                                 " (source %s): %s" % (hv_name, source, err),
                                 errors.ECODE_INVAL)

  def _EditOsList(self, attr, mods, desc, feedback_fn):
    lst = getattr(self.cluster, attr)
    if lst is None:
      lst = []
      setattr(self.cluster, attr, lst)
    for (key, val) in mods:
      if key == constants.DDM_ADD:
        if val in lst:
          feedback_fn("OS %s already in %s, ignoring" % (val, desc))
        else:
          lst.append(val)
      elif key == constants.DDM_REMOVE:
        if val in lst:
          lst.remove(val)
        else:
          feedback_fn("OS %s not found in %s, ignoring" % (val, desc))
      else:
        raise errors.ProgrammerError("Invalid modification '%s' of the %s" %
                                     (key, desc))

  def Exec(self, feedback_fn):
    cluster = self.cluster
    if self.op.vg_name is not None:
      new_volume = self.op.vg_name or None
      if new_volume != self.cfg.GetVGName():
        self.cfg.SetVGName(new_volume)
      else:
        feedback_fn("Cluster LVM configuration already in desired"
                    " state, not changing")
    if self.op.drbd_helper is not None:
      new_helper = self.op.drbd_helper or None
      if new_helper != self.cfg.GetDRBDHelper():
        self.cfg.SetDRBDHelper(new_helper)
      else:
        feedback_fn("Cluster DRBD helper already in desired state,"
                    " not changing")
    if self.op.hvparams:
      cluster.hvparams = self.new_hvparams
    if self.op.os_hvp:
      cluster.os_hvp = self.new_os_hvp
    if self.op.enabled_hypervisors is not None:
      cluster.hvparams = self.new_hvparams
      cluster.enabled_hypervisors = list(self.op.enabled_hypervisors)
    if self.op.beparams:
      cluster.beparams[constants.PP_DEFAULT] = self.new_beparams
    if self.op.nicparams:
      cluster.nicparams[constants.PP_DEFAULT] = self.new_nicparams
    if self.op.ipolicy:
      cluster.ipolicy = self.new_ipolicy
    if self.op.osparams:
      cluster.osparams = self.new_osp
    if self.op.ndparams:
      cluster.ndparams = self.new_ndparams
    if self.op.diskparams:
      cluster.diskparams = self.new_diskparams
    if self.op.hv_state:
      cluster.hv_state_static = self.new_hv_state
    if self.op.disk_state:
      cluster.disk_state_static = self.new_disk_state
    if self.op.candidate_pool_size is not None:
      cluster.candidate_pool_size = self.op.candidate_pool_size
    if self.op.maintain_node_health is not None:
      cluster.maintain_node_health = self.op.maintain_node_health
    if self.op.prealloc_wipe_disks is not None:
      cluster.prealloc_wipe_disks = self.op.prealloc_wipe_disks
    if self.op.add_uids is not None:
      uidpool.AddToUidPool(cluster.uid_pool, self.op.add_uids)
    if self.op.remove_uids is not None:
      uidpool.RemoveFromUidPool(cluster.uid_pool, self.op.remove_uids)
    if self.op.uid_pool is not None:
      cluster.uid_pool = [tuple(r) for r in self.op.uid_pool]
    if (self.op.uid_pool is not None or self.op.add_uids is not None or
        self.op.remove_uids is not None):
      uidpool.CheckUidPool(cluster.uid_pool)
    if self.op.default_iallocator is not None:
      cluster.default_iallocator = self.op.default_iallocator
    if self.op.reserved_lvs is not None:
      cluster.reserved_lvs = list(self.op.reserved_lvs)
    if self.op.use_external_mip_script is not None:
      cluster.use_external_mip_script = self.op.use_external_mip_script
    if self.op.hidden_os:
      self._EditOsList("hidden_os", self.op.hidden_os, "hidden OS list",
                       feedback_fn)
    if self.op.blacklisted_os:
      self._EditOsList("blacklisted_os", self.op.blacklisted_os,
                       "blacklisted OS list", feedback_fn)

    ems = self.cfg.GetUseExternalMipScript()
    moving_ip = (self.op.master_netdev is not None or
                 self.op.master_netmask is not None)
    if moving_ip:
      # the address is taken down on the old device/netmask and brought up
      # again with the new settings once they are saved
      master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
      feedback_fn("Shutting down master ip on the current netdev (%s)" %
                  cluster.master_netdev)
      result = self.rpc.call_node_deactivate_master_ip(
        master_params.name, master_params.ToDict(), ems)
      result.Raise("Could not disable the master ip")
      if self.op.master_netdev is not None:
        feedback_fn("Changing master_netdev from %s to %s" %
                    (master_params.netdev, self.op.master_netdev))
        cluster.master_netdev = self.op.master_netdev
      if self.op.master_netmask is not None:
        feedback_fn("Changing master IP netmask to %s" %
                    self.op.master_netmask)
        cluster.master_netmask = self.op.master_netmask

    self.cfg.Update(cluster, feedback_fn)

    if self.op.candidate_pool_size is not None:
      cluster_utils.AdjustCandidatePool(self, [])

    if moving_ip:
      master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
      feedback_fn("Starting the master ip on the new master netdev (%s)" %
                  master_params.netdev)
      result = self.rpc.call_node_activate_master_ip(
        master_params.name, master_params.ToDict(), ems)
      if result.fail_msg:
        self.LogWarning("Could not re-enable the master ip on the master,"
                        " please restart manually: %s", result.fail_msg)


class LUClusterRedistConf(base.NoHooksLU):
  """Push the configuration, ssconf and ancillary files to the nodes."""
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {
      locking.LEVEL_NODE: locking.ALL_SET,
      }
    self.share_locks = common.ShareAll()

  def Exec(self, feedback_fn):
    cfg = self.cfg
    # a save bumps the serial numbers: nodes see the newest configuration
    cfg.Update(cfg.GetClusterInfo(), feedback_fn)
    master = cfg.GetMasterNode()
    nodes = cfg.GetAllNodesInfo()
    online = utils.NiceSort(name for (name, node) in nodes.items()
                            if not node.offline)
    candidates = [name for name in online
                  if nodes[name].master_candidate and name != master]
    # the configuration's save hook replicates too, but in the background;
    # redist-conf pushes now so that its failures reach the administrator
    cluster_utils.UploadHelper(self, candidates, pathutils.CLUSTER_CONF_FILE)
    result = self.rpc.call_write_ssconf_files(online, cfg.GetSsconfValues())
    for node in utils.NiceSort(result):
      if result[node].fail_msg and not result[node].offline:
        self.LogWarning("Writing the ssconf files on node %s failed: %s",
                        node, result[node].fail_msg)
    cluster_utils.RedistributeAncillaryFiles(self)


class LUClusterActivateMasterIp(base.NoHooksLU):
  """Bring the master IP up on the master node."""

  def Exec(self, feedback_fn):
    master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
    result = self.rpc.call_node_activate_master_ip(
      master_params.name, master_params.ToDict(),
      self.cfg.GetUseExternalMipScript())
    result.Raise("Could not activate the master IP on %s" %
                 master_params.name)


class LUClusterDeactivateMasterIp(base.NoHooksLU):
  """Take the master IP down on the master node."""

  def Exec(self, feedback_fn):
    master_params = cluster_utils.GetMasterNetworkParameters(self.cfg)
    result = self.rpc.call_node_deactivate_master_ip(
      master_params.name, master_params.ToDict(),
      self.cfg.GetUseExternalMipScript())
    result.Raise("Could not deactivate the master IP on %s" %
                 master_params.name)
