"""Instance creation, removal and renaming (gnt-instance add/remove/rename).

Layer 5 (master side).  ``LUInstanceCreate`` checks an instance
specification against the cluster and its nodes (names and IPs, nodes,
OS and variant, hypervisor, backend and OS parameters, NICs, free memory
and disk space, adoption), creates or adopts the disks, adds the instance
to the configuration, wipes the disks when the cluster asks for it, runs
the OS create script and starts the instance.  Any failure once disks
exist rolls back: the disks made so far are removed (adopted volumes get
their names back) and the configuration is left as it was.
``LUInstanceRemove`` shuts an instance down and removes its disks and
its configuration entry; ``LUInstanceRename`` renames it in the
configuration, on disk (file-based disks) and in the OS (rename script).

This module changes the configuration only through ConfigWriter and talks
to nodes only through the LU's RPC runner.
"""

import logging
import os

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_storage
from ganeti.cmdlib import instance_utils



def _CheckHostnameSane(lu, name):
  """Resolve an instance name; the result must extend the given name.

  @return: the netutils.Hostname
  @raise errors.OpPrereqError: unresolvable, or resolved to another name

  """
  hostname = netutils.GetHostname(name=name)
  if hostname.name != name:
    lu.LogInfo("Resolved given name '%s' to '%s'", name, hostname.name)
  if not utils.MatchNameComponent(name, [hostname.name]):
    raise errors.OpPrereqError("Resolved hostname '%s' does not look the"
                               " same as given hostname '%s'" %
                               (hostname.name, name), errors.ECODE_INVAL)
  return hostname


def _CheckIpFree(ip, name):
  """Refuse an instance IP that answers on the network.

  @raise errors.OpPrereqError: something answers there (ECODE_NOTUNIQUE)

  """
  if netutils.TcpPing(ip, constants.DEFAULT_NODED_PORT):
    raise errors.OpPrereqError("IP %s of instance %s already in use" %
                               (ip, name), errors.ECODE_NOTUNIQUE)


def _CheckGlobalHvParams(params):
  """Refuse cluster-global hypervisor parameters at instance level."""
  used = set(params or {}).intersection(constants.HVC_GLOBALS)
  if used:
    raise errors.OpPrereqError("The following hypervisor parameters are"
                               " global and cannot be customized at"
                               " instance level, please modify them at"
                               " cluster level: %s" %
                               utils.CommaJoin(sorted(used)),
                               errors.ECODE_INVAL)


def _ForceTypes(params, types, what):
  try:
    utils.ForceDictType(params, types)
  except errors.TypeEnforcementError as err:
    raise errors.OpPrereqError("Invalid %s parameters: %s" % (what, err),
                               errors.ECODE_INVAL)


def _ComputeDisks(op, default_vg):
  """Normalised disk dicts of a creation opcode (sizes in MiB)."""
  disks = []
  for (idx, disk) in enumerate(op.disks):
    mode = disk.get(constants.IDISK_MODE, constants.DISK_RDWR)
    if mode not in constants.DISK_ACCESS_SET:
      raise errors.OpPrereqError("Invalid disk access mode '%s'" % mode,
                                 errors.ECODE_INVAL)
    size = disk.get(constants.IDISK_SIZE)
    if size is None:
      if constants.IDISK_ADOPT not in disk:
        raise errors.OpPrereqError("Missing disk size for disk %d" % idx,
                                   errors.ECODE_INVAL)
      size = 0
    try:
      size = utils.ParseUnit(size)
    except errors.UnitParseError as err:
      raise errors.OpPrereqError("Invalid disk size '%s' for disk %d: %s" %
                                 (size, idx, err), errors.ECODE_INVAL)
    new_disk = {
      constants.IDISK_SIZE: size,
      constants.IDISK_MODE: mode,
      constants.IDISK_VG: disk.get(constants.IDISK_VG) or default_vg,
      }
    if disk.get(constants.IDISK_METAVG):
      new_disk[constants.IDISK_METAVG] = disk[constants.IDISK_METAVG]
    if constants.IDISK_ADOPT in disk:
      new_disk[constants.IDISK_ADOPT] = disk[constants.IDISK_ADOPT]
    disks.append(new_disk)
  return disks


def _ComputeNics(lu, op, cluster, default_ip, ec_id):
  """objects.NIC list of a creation opcode; explicit MACs are reserved.

  MACs "auto"/"generate" stay as such here (generated in CheckPrereq).

  """
  nics = []
  default_mode = cluster.nicparams[constants.PP_DEFAULT][constants.NIC_MODE]
  for (idx, nic) in enumerate(op.nics):
    mode_req = nic.get(constants.INIC_MODE)
    if mode_req == constants.VALUE_AUTO:
      mode_req = None
    mode = mode_req or default_mode
    if mode == constants.NIC_MODE_ROUTED and idx == 0:
      default_ip_mode = constants.VALUE_AUTO
    else:
      default_ip_mode = constants.VALUE_NONE
    ip = nic.get(constants.INIC_IP, default_ip_mode)
    if ip is None or ip.lower() == constants.VALUE_NONE:
      nic_ip = None
    elif ip.lower() == constants.VALUE_AUTO:
      if not op.name_check:
        raise errors.OpPrereqError("IP address set to auto but name checks"
                                   " have been skipped", errors.ECODE_INVAL)
      nic_ip = default_ip
    elif ip.lower() == constants.NIC_IP_POOL:
      raise errors.OpPrereqError("NIC %d: IP address pools need networks,"
                                 " which this cluster does not have; give"
                                 " an address, 'auto' or 'none'" % idx,
                                 errors.ECODE_INVAL)
    else:
      if not netutils.IPAddress.IsValid(ip):
        raise errors.OpPrereqError("Invalid IP address '%s'" % ip,
                                   errors.ECODE_INVAL)
      nic_ip = ip
    if mode == constants.NIC_MODE_ROUTED and not nic_ip:
      raise errors.OpPrereqError("Routed nic mode requires an ip address",
                                 errors.ECODE_INVAL)
    if nic_ip is not None:
      try:
        lu.cfg.ReserveIp(nic_ip, ec_id)
      except errors.ReservationError as err:
        raise errors.OpPrereqError("NIC %d: %s" % (idx, err),
                                   errors.ECODE_NOTUNIQUE)
    mac = nic.get(constants.INIC_MAC, constants.VALUE_AUTO)
    if mac not in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
      try:
        mac = utils.NormalizeAndValidateMac(mac)
      except errors.OpPrereqError:
        raise
      except errors.GenericError as err:
        raise errors.OpPrereqError("Invalid MAC address '%s': %s" %
                                   (mac, err), errors.ECODE_INVAL)
      try:
        lu.cfg.ReserveMAC(mac, ec_id)
      except errors.ReservationError:
        raise errors.OpPrereqError("MAC address %s already in use in"
                                   " cluster" % mac, errors.ECODE_NOTUNIQUE)
    link = nic.get(constants.INIC_LINK)
    if link == constants.VALUE_AUTO:
      link = None
    nicparams = {}
    if mode_req:
      nicparams[constants.NIC_MODE] = mode
    if link:
      nicparams[constants.NIC_LINK] = link
    try:
      objects.NIC.CheckParameterSyntax(cluster.SimpleFillNIC(nicparams))
    except errors.ConfigurationError as err:
      raise errors.OpPrereqError("NIC %d: %s" % (idx, err),
                                 errors.ECODE_INVAL)
    nics.append(objects.NIC(mac=mac, ip=nic_ip, nicparams=nicparams))
  return nics


class LUInstanceCreate(base.LogicalUnit):
  """Create an instance (create mode; imports come with the backup work).

  The result is the list of the instance's nodes, primary first.

  """
  HPATH = "instance-add"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def CheckArguments(self):
    op = self.op
    if op.no_install and op.start:
      self.LogInfo("No-installation mode selected, disabling startup")
      op.start = False
    op.instance_name = netutils.Hostname.GetNormalizedName(op.instance_name)
    if op.ip_check and not op.name_check:
      raise errors.OpPrereqError("Cannot do IP address check without a name"
                                 " check", errors.ECODE_INVAL)
    if op.mode != constants.INSTANCE_CREATE:
      raise errors.OpPrereqError("Instance creation mode '%s' is not"
                                 " supported until the backup work (import"
                                 " and remote import); use mode '%s'" %
                                 (op.mode, constants.INSTANCE_CREATE),
                                 errors.ECODE_INVAL)
    if op.iallocator:
      raise errors.OpPrereqError("Automatic node selection with an"
                                 " iallocator (%s) is not supported until"
                                 " the iallocator work; give the nodes"
                                 " with pnode/snode" % op.iallocator,
                                 errors.ECODE_INVAL)
    if not op.pnode:
      raise errors.OpPrereqError("No primary node given (automatic node"
                                 " selection with an iallocator is not"
                                 " supported until the iallocator work)",
                                 errors.ECODE_INVAL)
    if op.disk_template is None:
      raise errors.OpPrereqError("No disk template given",
                                 errors.ECODE_INVAL)
    if op.disk_template == constants.DT_RBD:
      raise errors.OpPrereqError("Disk template '%s' is not supported by"
                                 " this cluster" % op.disk_template,
                                 errors.ECODE_INVAL)
    if op.os_type is None:
      raise errors.OpPrereqError("No guest OS specified", errors.ECODE_INVAL)
    if op.os_type in (self.cfg.GetClusterInfo().blacklisted_os or []):
      raise errors.OpPrereqError("Guest OS '%s' is not allowed for"
                                 " installation" % op.os_type,
                                 errors.ECODE_STATE)
    if op.disk_template in constants.DTS_INT_MIRROR:
      if not op.snode:
        raise errors.OpPrereqError("The networked disk templates need a"
                                   " mirror node", errors.ECODE_INVAL)
    elif op.snode:
      self.LogWarning("Secondary node will be ignored on non-mirrored disk"
                      " template")
      op.snode = None
    if op.disk_template == constants.DT_DISKLESS and op.disks:
      raise errors.OpPrereqError("The diskless template takes no disks",
                                 errors.ECODE_INVAL)
    if op.disk_template != constants.DT_DISKLESS and not op.disks:
      raise errors.OpPrereqError("Disk template '%s' needs at least one"
                                 " disk" % op.disk_template,
                                 errors.ECODE_INVAL)
    if len(op.disks) > constants.MAX_DISKS:
      raise errors.OpPrereqError("Too many disks (%d), at most %d allowed" %
                                 (len(op.disks), constants.MAX_DISKS),
                                 errors.ECODE_INVAL)
    if len(op.nics) > constants.MAX_NICS:
      raise errors.OpPrereqError("Too many NICs (%d), at most %d allowed" %
                                 (len(op.nics), constants.MAX_NICS),
                                 errors.ECODE_INVAL)
    adopt = [constants.IDISK_ADOPT in disk for disk in op.disks]
    self.adopt_disks = bool(adopt) and all(adopt)
    if any(adopt) and not all(adopt):
      raise errors.OpPrereqError("Either all disks are adopted or none is",
                                 errors.ECODE_INVAL)
    if self.adopt_disks:
      if op.disk_template not in constants.DTS_MAY_ADOPT:
        raise errors.OpPrereqError("Disk adoption is not supported for the"
                                   " '%s' disk template" % op.disk_template,
                                   errors.ECODE_INVAL)
    elif op.disk_template in constants.DTS_MUST_ADOPT:
      raise errors.OpPrereqError("Disk template %s requires disk adoption,"
                                 " but no 'adopt' parameter given" %
                                 op.disk_template, errors.ECODE_INVAL)
    if op.file_storage_dir:
      if os.path.isabs(op.file_storage_dir):
        raise errors.OpPrereqError("The file storage directory must be"
                                   " relative to the cluster's one, not an"
                                   " absolute path: %s" %
                                   op.file_storage_dir, errors.ECODE_INVAL)
      normalized = os.path.normpath(op.file_storage_dir)
      if normalized == ".." or normalized.startswith("../"):
        raise errors.OpPrereqError("The file storage directory '%s' leaves"
                                   " the cluster's file storage directory" %
                                   op.file_storage_dir, errors.ECODE_INVAL)
      op.file_storage_dir = normalized
    if op.disk_template in constants.DTS_FILEBASED and op.file_driver is None:
      op.file_driver = constants.FD_DEFAULT
    if op.name_check:
      self.hostname = _CheckHostnameSane(self, op.instance_name)
      op.instance_name = self.hostname.name
      self.check_ip = self.hostname.ip
    else:
      self.hostname = None
      self.check_ip = None

  def ExpandNames(self):
    op = self.op
    if op.instance_name in self.cfg.GetInstanceList():
      raise errors.OpPrereqError("Instance '%s' is already in the cluster" %
                                 op.instance_name, errors.ECODE_EXISTS)
    self.needed_locks = {}
    self.add_locks[locking.LEVEL_INSTANCE] = op.instance_name
    op.pnode = common.ExpandNodeName(self.cfg, op.pnode)
    nodes = [op.pnode]
    if op.snode:
      op.snode = common.ExpandNodeName(self.cfg, op.snode)
      nodes.append(op.snode)
    self.needed_locks[locking.LEVEL_NODE] = list(nodes)
    self.needed_locks[locking.LEVEL_NODE_RES] = list(nodes)

  def BuildHooksEnv(self):
    env = {"ADD_MODE": self.op.mode}
    env.update(instance_utils.BuildInstanceHookEnv(
      name=self.op.instance_name,
      primary_node=self.op.pnode,
      secondary_nodes=self.secondaries,
      status=self.op.start,
      os_type=self.op.os_type,
      minmem=self.be_full[constants.BE_MINMEM],
      maxmem=self.be_full[constants.BE_MAXMEM],
      vcpus=self.be_full[constants.BE_VCPUS],
      nics=instance_utils.NicListToTuple(self, self.nics),
      disk_template=self.op.disk_template,
      disks=[(disk[constants.IDISK_SIZE], disk[constants.IDISK_MODE])
             for disk in self.disks],
      bep=self.be_full,
      hvp=self.hv_full,
      hypervisor_name=self.op.hypervisor,
      tags=self.op.tags))
    return env

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode(), self.op.pnode] + self.secondaries
    return (nodes, nodes)

  # -- CheckPrereq -------------------------------------------------------------

  def _CheckParams(self, cluster):
    """Hypervisor, backend and OS parameters: syntax, fill, defaults."""
    op = self.op
    if op.hypervisor is None or op.hypervisor == constants.VALUE_AUTO:
      op.hypervisor = self.cfg.GetHypervisorType()
    if op.hypervisor not in cluster.enabled_hypervisors:
      raise errors.OpPrereqError("Selected hypervisor (%s) not enabled in"
                                 " the cluster (%s)" %
                                 (op.hypervisor,
                                  ",".join(cluster.enabled_hypervisors)),
                                 errors.ECODE_STATE)
    op.hvparams = dict(op.hvparams or {})
    hv_defaults = cluster.SimpleFillHV(op.hypervisor, op.os_type, {})
    for (name, value) in list(op.hvparams.items()):
      if value == constants.VALUE_AUTO and name in hv_defaults:
        op.hvparams[name] = hv_defaults[name]
    _ForceTypes(op.hvparams, constants.HVS_PARAMETER_TYPES, "hypervisor")
    _CheckGlobalHvParams(op.hvparams)
    self.hv_full = cluster.SimpleFillHV(op.hypervisor, op.os_type,
                                        op.hvparams)
    instance_utils.CheckHVParamsSyntax(op.hypervisor, self.hv_full)

    op.beparams = dict(op.beparams or {})
    be_defaults = cluster.SimpleFillBE({})
    for (name, value) in list(op.beparams.items()):
      if value == constants.VALUE_AUTO:
        if name == constants.BE_MEMORY:
          op.beparams[name] = be_defaults[constants.BE_MAXMEM]
        elif name in be_defaults:
          op.beparams[name] = be_defaults[name]
    _ForceTypes(op.beparams, constants.BES_PARAMETER_COMPAT, "backend")
    objects.UpgradeBeParams(op.beparams)
    self.be_full = cluster.SimpleFillBE(op.beparams)
    if self.be_full[constants.BE_MINMEM] > self.be_full[constants.BE_MAXMEM]:
      raise errors.OpPrereqError("Minimum memory (%s MiB) is greater than"
                                 " the maximum memory (%s MiB)" %
                                 (self.be_full[constants.BE_MINMEM],
                                  self.be_full[constants.BE_MAXMEM]),
                                 errors.ECODE_INVAL)

    op.osparams = dict(op.osparams or {})
    self.os_full = cluster.SimpleFillOS(op.os_type, op.osparams)

  def _RevertToDefaults(self, cluster):
    """Drop parameters equal to the cluster's defaults (identify_defaults)."""
    op = self.op
    hv_defaults = cluster.SimpleFillHV(op.hypervisor, op.os_type, {})
    for name in list(op.hvparams):
      if name in hv_defaults and hv_defaults[name] == op.hvparams[name]:
        del op.hvparams[name]
    be_defaults = cluster.SimpleFillBE({})
    for name in list(op.beparams):
      if name in be_defaults and be_defaults[name] == op.beparams[name]:
        del op.beparams[name]
    nic_defaults = cluster.SimpleFillNIC({})
    for nic in self.nics:
      for name in list(nic.nicparams):
        if nic_defaults.get(name) == nic.nicparams[name]:
          del nic.nicparams[name]
    os_defaults = cluster.SimpleFillOS(op.os_type, {})
    for name in list(op.osparams):
      if name in os_defaults and os_defaults[name] == op.osparams[name]:
        del op.osparams[name]

  def _CheckNodes(self):
    op = self.op
    pnode = self.cfg.GetNodeInfo(op.pnode)
    if pnode.offline:
      raise errors.OpPrereqError("Cannot use offline primary node '%s'" %
                                 pnode.name, errors.ECODE_STATE)
    if pnode.drained:
      raise errors.OpPrereqError("Cannot use drained primary node '%s'" %
                                 pnode.name, errors.ECODE_STATE)
    if not pnode.vm_capable:
      raise errors.OpPrereqError("Cannot use non-vm_capable primary node"
                                 " '%s'" % pnode.name, errors.ECODE_STATE)
    self.pnode = pnode
    self.secondaries = []
    if op.disk_template in constants.DTS_INT_MIRROR:
      if op.snode == pnode.name:
        raise errors.OpPrereqError("The secondary node cannot be the"
                                   " primary node", errors.ECODE_INVAL)
      instance_utils.CheckNodeOnline(self, op.snode,
                                     "Cannot use offline secondary node")
      instance_utils.CheckNodeNotDrained(self, op.snode)
      instance_utils.CheckNodeVmCapable(self, op.snode)
      snode = self.cfg.GetNodeInfo(op.snode)
      if snode.group != pnode.group:
        raise errors.OpPrereqError("The primary and secondary nodes are in"
                                   " two different node groups (%s and %s);"
                                   " a mirrored instance needs both in one"
                                   " group" %
                                   (self.cfg.GetNodeGroup(pnode.group).name,
                                    self.cfg.GetNodeGroup(snode.group).name),
                                   errors.ECODE_INVAL)
      self.secondaries.append(op.snode)

  def _CheckFileStorage(self, cluster):
    op = self.op
    self.file_storage_dir = None
    if op.disk_template not in constants.DTS_FILEBASED:
      return
    if op.disk_template == constants.DT_FILE:
      base_dir = cluster.file_storage_dir
      what = "file storage"
    else:
      base_dir = cluster.shared_file_storage_dir
      what = "shared file storage"
    if not base_dir:
      raise errors.OpPrereqError("Cluster %s dir not defined" % what,
                                 errors.ECODE_STATE)
    parts = [base_dir]
    if op.file_storage_dir:
      parts.append(op.file_storage_dir)
    parts.append(op.instance_name)
    try:
      self.file_storage_dir = utils.PathJoin(*parts)
    except ValueError as err:
      raise errors.OpPrereqError("Invalid file storage directory: %s" % err,
                                 errors.ECODE_INVAL)

  def _CheckAdoptedLVs(self):
    ec_id = self.proc.GetECId()
    pnode = self.pnode.name
    all_lvs = set("%s/%s" % (disk[constants.IDISK_VG],
                             disk[constants.IDISK_ADOPT])
                  for disk in self.disks)
    if len(all_lvs) != len(self.disks):
      raise errors.OpPrereqError("Duplicate volume names given for"
                                 " adoption", errors.ECODE_INVAL)
    for lv_name in sorted(all_lvs):
      try:
        self.cfg.ReserveLV(lv_name, ec_id)
      except errors.ReservationError:
        raise errors.OpPrereqError("LV named %s used by another instance" %
                                   lv_name, errors.ECODE_NOTUNIQUE)
    vgs = self.rpc.call_vg_list([pnode])[pnode]
    vgs.Raise("Cannot get VG information from node %s" % pnode, prereq=True,
              ecode=errors.ECODE_ENVIRON)
    lvs = self.rpc.call_lv_list([pnode], sorted(vgs.payload or {}))[pnode]
    lvs.Raise("Cannot get LV information from node %s" % pnode, prereq=True,
              ecode=errors.ECODE_ENVIRON)
    node_lvs = lvs.payload or {}
    missing = all_lvs.difference(node_lvs)
    if missing:
      raise errors.OpPrereqError("Missing logical volume(s): %s" %
                                 utils.CommaJoin(sorted(missing)),
                                 errors.ECODE_INVAL)
    online = [name for name in sorted(all_lvs) if node_lvs[name][2]]
    if online:
      raise errors.OpPrereqError("Online logical volumes found, cannot"
                                 " adopt: %s" % utils.CommaJoin(online),
                                 errors.ECODE_STATE)
    for disk in self.disks:
      name = "%s/%s" % (disk[constants.IDISK_VG], disk[constants.IDISK_ADOPT])
      disk[constants.IDISK_SIZE] = int(float(node_lvs[name][0]))

  def _CheckAdoptedBlockDevs(self):
    pnode = self.pnode.name
    paths = [os.path.abspath(disk[constants.IDISK_ADOPT])
             for disk in self.disks]
    if len(set(paths)) != len(paths):
      raise errors.OpPrereqError("Duplicate disk names given for adoption",
                                 errors.ECODE_INVAL)
    for (disk, path) in zip(self.disks, paths):
      disk[constants.IDISK_ADOPT] = path
    probes = [objects.Disk(dev_type=constants.LD_BLOCKDEV, size=0,
                           logical_id=(constants.BLOCKDEV_DRIVER_MANUAL,
                                       path),
                           physical_id=(constants.BLOCKDEV_DRIVER_MANUAL,
                                        path),
                           children=[], mode=constants.DISK_RDWR)
              for path in paths]
    result = self.rpc.call_blockdev_getsize(pnode, probes)
    result.Raise("Cannot get block device information from node %s" % pnode,
                 prereq=True, ecode=errors.ECODE_ENVIRON)
    sizes = result.payload or []
    missing = [path for (idx, path) in enumerate(paths)
               if idx >= len(sizes) or sizes[idx] is None]
    if missing:
      raise errors.OpPrereqError("Missing block device(s): %s" %
                                 utils.CommaJoin(missing),
                                 errors.ECODE_INVAL)
    for (disk, size) in zip(self.disks, sizes):
      disk[constants.IDISK_SIZE] = int(size) // (1024 * 1024)

  def _CheckOS(self, nodes):
    op = self.op
    os_info = instance_utils.FindOSOnNode(self, self.pnode.name, op.os_type)
    if not op.force_variant:
      instance_utils.CheckOSVariant(os_info, op.os_type)
    if max(os_info["api_versions"] or [0]) >= constants.OS_API_V20:
      instance_utils.CheckOSParamNames(os_info, op.os_type, op.osparams)
    instance_utils.CheckOSParams(self, True, nodes, op.os_type, self.os_full)

  def CheckPrereq(self):
    op = self.op
    cluster = self.cfg.GetClusterInfo()
    ec_id = self.proc.GetECId()
    self._CheckNodes()
    nodes = [self.pnode.name] + self.secondaries
    self.disks = _ComputeDisks(op, self.cfg.GetVGName())
    self.nics = _ComputeNics(self, op, cluster, self.check_ip, ec_id)
    self._CheckParams(cluster)
    if op.identify_defaults:
      self._RevertToDefaults(cluster)
    self._CheckFileStorage(cluster)
    if op.disk_template in constants.DTS_LVM and not self.cfg.GetVGName() \
        and any(not disk.get(constants.IDISK_VG) for disk in self.disks):
      raise errors.OpPrereqError("Cluster does not support lvm-based"
                                 " instances", errors.ECODE_STATE)
    if op.disk_template == constants.DT_DRBD8:
      ld_params = instance_storage.ComputeLDParams(
        op.disk_template,
        instance_storage.GetDiskParamsForNode(self.cfg, self.pnode.name))
      for disk in self.disks:
        disk[constants.IDISK_METAVG] = instance_storage._MetaVg(
          disk, ld_params[0], disk[constants.IDISK_VG])

    if op.ip_check:
      _CheckIpFree(self.check_ip, op.instance_name)

    for nic in self.nics:
      if nic.mac in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
        nic.mac = self.cfg.GenerateMAC(ec_id)

    if self.adopt_disks:
      if op.disk_template == constants.DT_PLAIN:
        self._CheckAdoptedLVs()
      elif op.disk_template == constants.DT_BLOCK:
        self._CheckAdoptedBlockDevs()
    else:
      instance_storage.CheckNodesFreeDiskPerVG(
        self, nodes,
        instance_storage.ComputeDiskSizePerVG(op.disk_template, self.disks))

    self._CheckOS(nodes)
    instance_utils.CheckHVParams(self, nodes, op.hypervisor, self.hv_full)
    instance_utils.CheckNicsBridgesExist(self, self.nics, self.pnode.name)
    if op.start:
      instance_utils.CheckNodeFreeMemory(
        self, self.pnode.name, "creating instance %s" % op.instance_name,
        self.be_full[constants.BE_MAXMEM], op.hypervisor)
    self.dry_run_result = list(nodes)

  # -- Exec --------------------------------------------------------------------

  def _AdoptDisks(self, iobj):
    """Take over the adopted disks (LVs get the generated names).

    @return: the [(disk with its old id, new logical id)] renames done

    """
    if iobj.disk_template != constants.DT_PLAIN:
      return []
    renames = []
    for (disk, spec) in zip(iobj.disks, self.disks):
      old = disk.Copy()
      old.logical_id = (disk.logical_id[0], spec[constants.IDISK_ADOPT])
      old.SetPhysicalID(iobj.primary_node, {})
      renames.append((old, disk.logical_id))
    result = self.rpc.call_blockdev_rename(iobj.primary_node,
                                           [[old, new_id]
                                            for (old, new_id) in renames])
    result.Raise("Failed to rename adopted LVs")
    return renames

  def _UndoAdoption(self, iobj, renames):
    """Give adopted LVs their names back."""
    back = []
    for (old, new_id) in renames:
      current = old.Copy()
      current.logical_id = new_id
      current.physical_id = new_id
      back.append([current, old.logical_id])
    if not back:
      return
    result = self.rpc.call_blockdev_rename(iobj.primary_node, back)
    if result.fail_msg:
      self.LogWarning("Could not give the adopted volumes their names back"
                      " on node %s: %s", iobj.primary_node, result.fail_msg)

  def _Rollback(self, iobj, added, renames, disks_created):
    """Undo a failed creation: disks, configuration, reservations.

    @param disks_created: whether all disks exist (CreateDisks removes
        what it made itself when it fails)

    """
    name = iobj.name
    self.LogWarning("Creation of instance %s failed, removing its disks and"
                    " configuration", name)
    if self.adopt_disks:
      if disks_created:
        instance_storage.ShutdownInstanceDisks(self, iobj)
      self._UndoAdoption(iobj, renames)
    elif disks_created:
      if not instance_storage.RemoveDisksPatiently(
          self, iobj, constants.ROLLBACK_NODE_WAIT):
        self.LogWarning("Some disks of instance %s could not be removed;"
                        " check its nodes", name)
    else:
      storage_dir = instance_storage.FileStorageDir(iobj)
      if storage_dir:
        instance_storage.RemoveFileStorageDir(self, iobj.primary_node,
                                              storage_dir)
    if added:
      self.cfg.RemoveInstance(name)
      self.remove_locks[locking.LEVEL_INSTANCE] = name
    else:
      self.cfg.ReleaseDRBDMinors(name)
      if iobj.network_port is not None:
        instance_storage._ReleasePorts(self, [iobj.network_port])
    instance_storage.ReleaseDRBDPorts(self, iobj)

  def _BuildInstance(self, feedback_fn):
    op = self.op
    network_port = None
    if op.hypervisor in constants.HTS_REQ_PORT:
      network_port = self.cfg.AllocatePort()
    try:
      disks = instance_storage.GenerateDiskTemplate(
        self, op.disk_template, op.instance_name, self.pnode.name,
        self.secondaries, self.disks, self.file_storage_dir, op.file_driver,
        0, feedback_fn,
        instance_storage.GetDiskParamsForNode(self.cfg, self.pnode.name))
    except Exception:
      self.cfg.ReleaseDRBDMinors(op.instance_name)
      if network_port is not None:
        instance_storage._ReleasePorts(self, [network_port])
      raise
    iobj = objects.Instance(name=op.instance_name, os=op.os_type,
                            primary_node=self.pnode.name, nics=self.nics,
                            disks=disks, disk_template=op.disk_template,
                            admin_state=constants.ADMINST_DOWN,
                            network_port=network_port,
                            beparams=op.beparams, hvparams=op.hvparams,
                            hypervisor=op.hypervisor, osparams=op.osparams)
    for tag in op.tags or []:
      iobj.AddTag(tag)
    return iobj

  def Exec(self, feedback_fn):
    op = self.op
    cluster = self.cfg.GetClusterInfo()
    iobj = self._BuildInstance(feedback_fn)
    name = iobj.name
    pnode = iobj.primary_node
    added = False
    disks_created = False
    renames = []
    try:
      if self.adopt_disks:
        renames = self._AdoptDisks(iobj)
      elif iobj.disks:
        feedback_fn("* creating instance disks...")
        instance_storage.CreateDisks(self, iobj)
      disks_created = True

      feedback_fn("adding instance %s to cluster config" % name)
      self.cfg.AddInstance(iobj, self.proc.GetECId())
      added = True
      # the lock of the instance stays: it is in the configuration now
      del self.remove_locks[locking.LEVEL_INSTANCE]
      iobj = self.cfg.GetInstanceInfo(name)

      if not self.adopt_disks and iobj.disks and cluster.prealloc_wipe_disks:
        feedback_fn("* wiping instance disks...")
        instance_storage.WipeDisks(self, iobj)

      if not iobj.disks:
        disk_abort = False
      elif op.wait_for_sync:
        disk_abort = not instance_storage.WaitForSync(self, iobj)
      elif iobj.disk_template in constants.DTS_INT_MIRROR:
        feedback_fn("* checking mirrors status")
        disk_abort = not instance_storage.WaitForSync(self, iobj,
                                                      oneshot=True)
      else:
        disk_abort = False
      if disk_abort:
        raise errors.OpExecError("There are some degraded disks for this"
                                 " instance")

      run_install = (iobj.disk_template != constants.DT_DISKLESS and
                     not self.adopt_disks and not op.no_install)
      if iobj.disks and (run_install or op.start):
        (disks_ok, _) = instance_storage.AssembleInstanceDisks(self, iobj)
        if not disks_ok:
          raise errors.OpExecError("Cannot activate the disks of instance"
                                   " %s" % name)

      if run_install:
        feedback_fn("* running the instance OS create scripts...")
        result = self.rpc.call_instance_os_add(
          pnode, instance_utils.InstanceForNode(self.cfg, iobj), False,
          op.debug_level)
        result.Raise("Could not add os for instance %s on node %s" %
                     (name, pnode))

      if op.start:
        self.cfg.MarkInstanceUp(name)
        feedback_fn("* starting instance...")
        result = self.rpc.call_instance_start(
          pnode, instance_utils.InstanceForNode(self.cfg, iobj), False)
        if result.fail_msg:
          cleanup = self.rpc.call_instance_shutdown(
            pnode, instance_utils.InstanceForNode(self.cfg, iobj),
            constants.DEFAULT_SHUTDOWN_TIMEOUT)
          if cleanup.fail_msg:
            logging.warning("Cleaning up after the failed start of %s: %s",
                            name, cleanup.fail_msg)
        result.Raise("Could not start instance")
    except Exception:
      logging.exception("Creation of instance %s failed", name)
      try:
        self._Rollback(iobj, added, renames, disks_created)
      except Exception as err:  # pylint: disable=W0703
        # the creation's own error is what the user needs to see
        logging.exception("Rollback of instance %s failed", name)
        self.LogWarning("Cleaning up after the failed creation of %s failed:"
                        " %s", name, err)
      raise
    return list(iobj.all_nodes)


class LUInstanceRemove(base.LogicalUnit):
  """Shut an instance down and remove its disks and configuration."""
  HPATH = "instance-remove"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def ExpandNames(self):
    self._ExpandAndLockInstance()
    self.needed_locks[locking.LEVEL_NODE] = []
    self.needed_locks[locking.LEVEL_NODE_RES] = []
    self.recalculate_locks[locking.LEVEL_NODE] = base.LOCKS_REPLACE

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes()
    elif level == locking.LEVEL_NODE_RES:
      self.needed_locks[locking.LEVEL_NODE_RES] = \
        list(self.needed_locks[locking.LEVEL_NODE])

  def BuildHooksEnv(self):
    env = instance_utils.BuildInstanceHookEnvByObject(self, self.instance)
    env["SHUTDOWN_TIMEOUT"] = self.op.shutdown_timeout
    return env

  def BuildHooksNodes(self):
    pre = [self.cfg.GetMasterNode()]
    post = list(self.instance.all_nodes) + pre
    return (pre, post)

  def CheckPrereq(self):
    self.instance = self.cfg.GetInstanceInfo(self.op.instance_name)

  def Exec(self, feedback_fn):
    instance = self.instance
    logging.info("Shutting down instance %s on node %s", instance.name,
                 instance.primary_node)
    result = self.rpc.call_instance_shutdown(
      instance.primary_node, instance_utils.InstanceForNode(self.cfg,
                                                            instance),
      self.op.shutdown_timeout)
    if result.fail_msg:
      if self.op.ignore_failures:
        feedback_fn("Warning: can't shutdown instance: %s" % result.fail_msg)
      else:
        raise errors.OpExecError("Could not shutdown instance %s on node %s:"
                                 " %s" % (instance.name,
                                          instance.primary_node,
                                          result.fail_msg))
    RemoveInstance(self, feedback_fn, instance, self.op.ignore_failures)


def RemoveInstance(lu, feedback_fn, instance, ignore_failures):
  """Remove an (already stopped) instance's disks and configuration.

  @raise errors.OpExecError: disks left behind and not ignore_failures

  """
  logging.info("Removing block devices for instance %s", instance.name)
  if not instance_storage.RemoveDisks(lu, instance,
                                      ignore_failures=ignore_failures):
    if not ignore_failures:
      raise errors.OpExecError("Can't remove instance's disks")
    feedback_fn("Warning: can't remove instance's disks")
  logging.info("Removing instance %s out of cluster config", instance.name)
  lu.cfg.RemoveInstance(instance.name)
  lu.remove_locks[locking.LEVEL_INSTANCE] = instance.name
  instance_storage.ReleaseDRBDPorts(lu, instance, feedback_fn)


class LUInstanceRename(base.LogicalUnit):
  """Rename an instance (configuration, file disks, OS rename script)."""
  HPATH = "instance-rename"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = True

  def CheckArguments(self):
    if self.op.ip_check and not self.op.name_check:
      raise errors.OpPrereqError("IP address check requires a name check",
                                 errors.ECODE_INVAL)

  def ExpandNames(self):
    self._ExpandAndLockInstance()

  def BuildHooksEnv(self):
    env = instance_utils.BuildInstanceHookEnvByObject(self, self.instance)
    env["INSTANCE_NEW_NAME"] = self.op.new_name
    return env

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode()] + list(self.instance.all_nodes)
    return (nodes, nodes)

  def CheckPrereq(self):
    instance = self.cfg.GetInstanceInfo(self.op.instance_name)
    instance_utils.CheckNodeOnline(self, instance.primary_node)
    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_NOT_RUNNING,
                                      "cannot rename")
    self.instance = instance
    new_name = self.op.new_name
    if self.op.name_check:
      hostname = _CheckHostnameSane(self, new_name)
      new_name = self.op.new_name = hostname.name
      if self.op.ip_check:
        _CheckIpFree(hostname.ip, new_name)
    if new_name != instance.name and \
        new_name in self.cfg.GetInstanceList():
      raise errors.OpPrereqError("Instance '%s' is already in the cluster" %
                                 new_name, errors.ECODE_EXISTS)

  def _RenameFileStorageDir(self, old_dir, inst):
    """Move the directory of file-based disks to the new name's."""
    new_dir = instance_storage.FileStorageDir(inst)
    if new_dir == old_dir:
      return
    result = self.rpc.call_file_storage_dir_rename(inst.primary_node,
                                                   old_dir, new_dir)
    result.Raise("Could not rename on node %s directory '%s' to '%s' (but"
                 " the instance has been renamed in Ganeti)" %
                 (inst.primary_node, old_dir, new_dir))

  def Exec(self, feedback_fn):
    inst = self.instance
    old_name = inst.name
    old_dir = instance_storage.FileStorageDir(inst)
    self.cfg.RenameInstance(old_name, self.op.new_name)
    # safe while the BGL is held exclusively: nobody waits for these locks
    self.glm.remove(locking.LEVEL_INSTANCE, old_name)
    self.glm.add(locking.LEVEL_INSTANCE, self.op.new_name)
    inst = self.cfg.GetInstanceInfo(self.op.new_name)
    if old_dir and old_name != inst.name:
      self._RenameFileStorageDir(old_dir, inst)
    if inst.disks:
      instance_storage.StartInstanceDisks(self, inst, None)
    try:
      result = self.rpc.call_instance_run_rename(
        inst.primary_node, instance_utils.InstanceForNode(self.cfg, inst),
        old_name, self.op.debug_level)
      if result.fail_msg:
        self.LogWarning("Could not run OS rename script for instance %s on"
                        " node %s (but the instance has been renamed in"
                        " Ganeti): %s", inst.name, inst.primary_node,
                        result.fail_msg)
    finally:
      if inst.disks:
        instance_storage.ShutdownInstanceDisks(self, inst)
    return inst.name
