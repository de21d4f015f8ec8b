"""Logical unit of ``gnt-instance modify``: change an instance's parameters.

Layer 5 (master side).  ``LUInstanceSetParams`` (OP_INSTANCE_SET_PARAMS)
adds, removes and modifies disks and NICs (modification lists of
spec/opcodes.md 5.3, legacy form accepted), changes hypervisor, backend
and OS parameters ("default" removes an instance override), the OS name
(without reinstalling), the runtime memory of a running instance, converts
the disk template between plain and drbd, and marks the instance offline
or online again.  The result is the list of (parameter, new value) changes
as Ganeti 2.6 reports them.

Everything is checked before anything is changed; new disks are created on
the nodes before the configuration records them, and are removed again
when a later step fails, so a failed modification leaves the configuration
as it was.  Configuration changes go through ConfigWriter only; locks are
declared, never taken here.
"""

import copy
import logging
import os

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import netutils
from ganeti import objects
from ganeti import opcodes
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_operation
from ganeti.cmdlib import instance_storage
from ganeti.cmdlib import instance_utils


#: admin states from which an instance may be marked offline or online

#: the template conversions this release knows
_DISK_CONVERSIONS = frozenset([
  (constants.DT_PLAIN, constants.DT_DRBD8),
  (constants.DT_DRBD8, constants.DT_PLAIN),
  ])


def _UpdatedParams(old, changes, use_none=False):
  """``old`` with ``changes`` applied; "default" (and None when
  ``use_none``) removes the key, so the cluster's value applies again."""
  result = copy.deepcopy(old or {})
  for (key, value) in (changes or {}).items():
    if value == constants.VALUE_DEFAULT or (use_none and value is None):
      result.pop(key, None)
    else:
      result[key] = value
  return result


def _ForceTypes(params, types, what, allowed_values=None):
  try:
    utils.ForceDictType(params, types, allowed_values=allowed_values)
  except errors.TypeEnforcementError as err:
    raise errors.OpPrereqError("Invalid %s: %s" % (what, err),
                               errors.ECODE_INVAL) from None


def _AbsoluteIndex(kind, op, index, length):
  """The position a modification works on in a container of ``length``.

  For an addition -1 means "append" and any index up to ``length`` is an
  insertion point; other operations need an existing item (-1: the last).

  @raise errors.OpPrereqError: the index is out of range (ECODE_INVAL)

  """
  if op == constants.DDM_ADD:
    if index == -1:
      return length
    if 0 <= index <= length:
      return index
    raise errors.OpPrereqError("Invalid %s index %s for an addition, valid"
                               " values are -1 and 0 to %d" %
                               (kind, index, length), errors.ECODE_INVAL)
  if length == 0:
    raise errors.OpPrereqError("Instance has no %ss, cannot %s %s index %s" %
                               (kind, op, kind, index), errors.ECODE_INVAL)
  if index == -1:
    return length - 1
  if 0 <= index < length:
    return index
  raise errors.OpPrereqError("Invalid %s index %s, valid values are -1 and 0"
                             " to %d" % (kind, index, length - 1),
                             errors.ECODE_INVAL)


def _CpuMaskCount(mask):
  """How many per-vCPU entries a (multi-)CPU mask has (1: one for all)."""
  if not isinstance(mask, str) or not mask:
    return 1
  return len(mask.split(":"))


class _NewDisk(object):
  """A disk to be added: its specification until Exec builds it."""
  def __init__(self, params):
    self.params = params
    self.disk = None


class LUInstanceSetParams(base.LogicalUnit):
  """Modify an instance's disks, NICs, parameters, template or state.

  """
  HPATH = "instance-modify"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  # -- arguments ---------------------------------------------------------------

  def CheckArguments(self):
    if not (self.op.nics or self.op.disks or self.op.disk_template or
            self.op.hvparams or self.op.beparams or self.op.os_name or
            self.op.osparams or self.op.offline is not None or
            self.op.runtime_mem):
      raise errors.OpPrereqError("No changes submitted", errors.ECODE_INVAL)
    if self.op.hvparams:
      instance_operation.CheckGlobalHvParams(self.op.hvparams)
    self.disk_mods = opcodes.UpgradeModificationList("disk", self.op.disks)
    self.nic_mods = opcodes.UpgradeModificationList("NIC", self.op.nics)
    for (op, _, params) in self.disk_mods:
      self._CheckDiskModArgs(op, params)
    for (op, _, params) in self.nic_mods:
      self._CheckNicModArgs(op, params)
    if self.op.disk_template:
      if self.disk_mods:
        raise errors.OpPrereqError("Disk template conversion and other disk"
                                   " changes not supported at the same time",
                                   errors.ECODE_INVAL)
      if (self.op.disk_template in constants.DTS_INT_MIRROR and
          self.op.remote_node is None):
        raise errors.OpPrereqError("Changing the disk template to a mirrored"
                                   " one requires specifying a secondary"
                                   " node", errors.ECODE_INVAL)

  @staticmethod
  def _CheckDiskModArgs(op, params):
    _ForceTypes(params, constants.IDISK_PARAMS_TYPES, "disk parameters")
    if op == constants.DDM_REMOVE:
      return
    mode = params.get(constants.IDISK_MODE)
    if mode is not None and mode not in constants.DISK_ACCESS_SET:
      raise errors.OpPrereqError("Invalid disk access mode '%s'" % mode,
                                 errors.ECODE_INVAL)
    if op == constants.DDM_ADD:
      size = params.get(constants.IDISK_SIZE)
      if size is None:
        raise errors.OpPrereqError("Required disk parameter '%s' missing" %
                                   constants.IDISK_SIZE, errors.ECODE_INVAL)
      if not isinstance(size, int) or size <= 0:
        raise errors.OpPrereqError("Invalid disk size '%s'" % (size, ),
                                   errors.ECODE_INVAL)
      if constants.IDISK_ADOPT in params:
        raise errors.OpPrereqError("Disk adoption is not supported when"
                                   " modifying an instance",
                                   errors.ECODE_INVAL)
      params.setdefault(constants.IDISK_MODE, constants.DISK_RDWR)
    else:
      if constants.IDISK_SIZE in params:
        raise errors.OpPrereqError("Disk size change not possible, use"
                                   " grow-disk", errors.ECODE_INVAL)
      others = sorted(set(params) - set([constants.IDISK_MODE]))
      if others:
        raise errors.OpPrereqError("Only the disk mode can be modified, not"
                                   " %s" % utils.CommaJoin(others),
                                   errors.ECODE_INVAL)
      if not params:
        raise errors.OpPrereqError("No disk change given for a disk"
                                   " modification", errors.ECODE_INVAL)

  @staticmethod
  def _CheckNicModArgs(op, params):
    _ForceTypes(params, constants.INIC_PARAMS_TYPES, "NIC parameters")
    if op == constants.DDM_REMOVE:
      return
    ip = params.get(constants.INIC_IP)
    if ip is not None:
      if ip.lower() == constants.VALUE_NONE:
        params[constants.INIC_IP] = None
      elif not netutils.IPAddress.IsValid(ip):
        raise errors.OpPrereqError("Invalid IP address '%s'" % ip,
                                   errors.ECODE_INVAL)
    if op == constants.DDM_ADD and params.get(constants.INIC_MAC) is None:
      params[constants.INIC_MAC] = constants.VALUE_AUTO
    if constants.INIC_MAC in params:
      mac = params[constants.INIC_MAC]
      if mac is None:
        raise errors.OpPrereqError("Cannot set the NIC MAC address to None",
                                   errors.ECODE_INVAL)
      if mac not in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
        try:
          params[constants.INIC_MAC] = utils.NormalizeAndValidateMac(mac)
        except errors.OpPrereqError:
          raise
        except errors.GenericError as err:
          raise errors.OpPrereqError(str(err), errors.ECODE_INVAL) from None
      elif op != constants.DDM_ADD and mac == constants.VALUE_AUTO:
        raise errors.OpPrereqError("'auto' is not a valid MAC address when"
                                   " modifying an existing NIC",
                                   errors.ECODE_INVAL)

  # -- locks -------------------------------------------------------------------

  def ExpandNames(self):
    self._ExpandAndLockInstance()
    self.needed_locks[locking.LEVEL_NODE] = []
    self.needed_locks[locking.LEVEL_NODE_RES] = []
    self.recalculate_locks[locking.LEVEL_NODE] = base.LOCKS_REPLACE
    if self.op.disk_template and self.op.remote_node:
      self.op.remote_node = common.ExpandNodeName(self.cfg,
                                                  self.op.remote_node)

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes()
      if self.op.disk_template and self.op.remote_node:
        nodes = self.needed_locks[locking.LEVEL_NODE]
        if self.op.remote_node not in nodes:
          nodes.append(self.op.remote_node)
    elif level == locking.LEVEL_NODE_RES:
      self.needed_locks[locking.LEVEL_NODE_RES] = \
        list(self.needed_locks[locking.LEVEL_NODE])

  # -- hooks -------------------------------------------------------------------

  def BuildHooksEnv(self):
    override = {}
    if not getattr(self, "_executed", False):
      # pre phase: the instance as it will be
      for (key, param) in (("minmem", constants.BE_MINMEM),
                           ("maxmem", constants.BE_MAXMEM),
                           ("vcpus", constants.BE_VCPUS)):
        if param in self.be_new:
          override[key] = self.be_new[param]
      if self.nic_mods:
        override["nics"] = self._hook_nics
    env = instance_utils.BuildInstanceHookEnvByObject(self, self.instance,
                                                      override=override)
    if self.op.disk_template:
      env["NEW_DISK_TEMPLATE"] = self.op.disk_template
    if self.op.runtime_mem:
      env["RUNTIME_MEMORY"] = self.op.runtime_mem
    return env

  def BuildHooksNodes(self):
    nodes = [self.cfg.GetMasterNode()] + list(self.instance.all_nodes)
    nodes = utils.UniqueSequence(nodes)
    return (nodes, nodes)

  # -- checks ------------------------------------------------------------------

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    self.cluster = cluster = self.cfg.GetClusterInfo()
    pnode = instance.primary_node
    nodelist = list(instance.all_nodes)
    self.warn = []

    # OS name
    if self.op.os_name and not self.op.force:
      os_info = instance_utils.FindOSOnNode(self, pnode, self.op.os_name)
      if not self.op.force_variant:
        instance_utils.CheckOSVariant(os_info, self.op.os_name)
    instance_os = self.op.os_name or instance.os

    if self.op.disk_template:
      self._CheckDiskTemplate()

    # hypervisor parameters
    if self.op.hvparams:
      self.hv_inst = _UpdatedParams(instance.hvparams, self.op.hvparams)
      _ForceTypes(self.hv_inst, constants.HVS_PARAMETER_TYPES,
                  "hypervisor parameters")
      hv_new = cluster.SimpleFillHV(instance.hypervisor, instance.os,
                                    self.hv_inst)
      instance_utils.CheckHVParamsSyntax(instance.hypervisor, hv_new)
      instance_utils.CheckHVParams(self, nodelist, instance.hypervisor,
                                   hv_new)
      self.hv_new = hv_new
    else:
      self.hv_inst = None
      self.hv_new = cluster.FillHV(instance)

    # backend parameters
    if self.op.beparams:
      changes = dict(self.op.beparams)
      if constants.BE_MEMORY in changes:
        objects.UpgradeBeParams(changes)
      self.be_inst = _UpdatedParams(instance.beparams, changes,
                                    use_none=True)
      _ForceTypes(self.be_inst, constants.BES_PARAMETER_TYPES,
                  "backend parameters")
      self.be_new = cluster.SimpleFillBE(self.be_inst)
      if self.be_new[constants.BE_MINMEM] > self.be_new[constants.BE_MAXMEM]:
        raise errors.OpPrereqError("Minimum memory (%s) can't be larger than"
                                   " the maximum memory (%s)" %
                                   (self.be_new[constants.BE_MINMEM],
                                    self.be_new[constants.BE_MAXMEM]),
                                   errors.ECODE_INVAL)
    else:
      self.be_inst = None
      self.be_new = cluster.FillBE(instance)
    be_old = cluster.FillBE(instance)

    mask = self.hv_new.get(constants.HV_CPU_MASK)
    if (self.op.beparams or self.op.hvparams) and _CpuMaskCount(mask) > 1 \
        and _CpuMaskCount(mask) != self.be_new[constants.BE_VCPUS]:
      raise errors.OpPrereqError("Number of vCPUs [%d] does not match the CPU"
                                 " mask [%s]" %
                                 (self.be_new[constants.BE_VCPUS], mask),
                                 errors.ECODE_INVAL)

    # OS parameters
    if self.op.osparams:
      self.os_inst = _UpdatedParams(instance.osparams, self.op.osparams)
      instance_utils.CheckOSParams(self, True, nodelist, instance_os,
                                   self.os_inst)
    else:
      self.os_inst = None

    if (self.op.beparams and not self.op.force and
        self.be_new[constants.BE_MAXMEM] > be_old[constants.BE_MAXMEM]):
      self._CheckMemory()

    if self.op.runtime_mem:
      self._CheckRuntimeMemory()

    if self.disk_mods:
      self._PrepareDiskMods()
    else:
      self.new_disk_list = None
    self._PrepareNicMods()

    if self.op.offline is not None:
      if self.op.offline:
        msg = "can't change to offline"
      else:
        msg = "can't change to online"
      instance_utils.CheckInstanceState(self, instance,
                                        constants.CAN_CHANGE_INSTANCE_OFFLINE, msg=msg)

  def _CheckDiskTemplate(self):
    instance = self.instance
    template = self.op.disk_template
    if instance.disk_template == template:
      raise errors.OpPrereqError("Instance already has disk template %s" %
                                 template, errors.ECODE_INVAL)
    if (instance.disk_template, template) not in _DISK_CONVERSIONS:
      raise errors.OpPrereqError("Unsupported disk template conversion from"
                                 " %s to %s" % (instance.disk_template,
                                                template),
                                 errors.ECODE_INVAL)
    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_DOWN,
                                      msg="cannot change disk template")
    if template in constants.DTS_INT_MIRROR:
      snode = self.op.remote_node
      if snode == instance.primary_node:
        raise errors.OpPrereqError("Given new secondary node %s is the same"
                                   " as the primary node of the instance" %
                                   snode, errors.ECODE_STATE)
      instance_utils.CheckNodeOnline(self, snode)
      instance_utils.CheckNodeNotDrained(self, snode)
      instance_utils.CheckNodeVmCapable(self, snode)
      disks = [{constants.IDISK_SIZE: disk.size,
                constants.IDISK_VG: disk.logical_id[0]}
               for disk in instance.disks]
      required = instance_storage.ComputeDiskSizePerVG(template, disks)
      instance_storage.CheckNodesFreeDiskPerVG(self, [snode], required)
      pnode_info = self.cfg.GetNodeInfo(instance.primary_node)
      snode_info = self.cfg.GetNodeInfo(snode)
      if pnode_info.group != snode_info.group:
        self.LogWarning("The primary and secondary nodes are in two"
                        " different node groups; the disk parameters"
                        " from the first disk's node group will be used")

  def _CheckMemory(self):
    """A larger maxmem must still fit on the primary (and secondaries,
    with auto_balance)."""
    instance = self.instance
    pnode = instance.primary_node
    check_nodes = [pnode]
    if self.be_new[constants.BE_AUTO_BALANCE]:
      check_nodes.extend(instance.secondary_nodes)
    check_nodes = [name for name in check_nodes
                   if not self.cfg.GetNodeInfo(name).offline]
    if not check_nodes:
      return
    inst_info = self.rpc.call_instance_info(pnode, instance.name,
                                            instance.hypervisor)
    nodeinfo = self.rpc.call_node_info(check_nodes, [],
                                       [instance.hypervisor])
    maxmem = self.be_new[constants.BE_MAXMEM]
    pninfo = nodeinfo.get(pnode)
    if pninfo is not None:
      if pninfo.fail_msg:
        # the primary cannot be asked: go ahead, as 2.6 does
        self.warn.append("Can't get info from primary node %s: %s" %
                         (pnode, pninfo.fail_msg))
      else:
        free = instance_utils._HvMemoryFree(  # pylint: disable=W0212
          pninfo.payload or {}, instance.hypervisor)
        if not isinstance(free, int):
          self.warn.append("Node data from primary node %s doesn't contain"
                           " free memory information" % pnode)
        elif inst_info.fail_msg:
          self.warn.append("Can't get instance runtime information: %s" %
                           inst_info.fail_msg)
        else:
          current = int((inst_info.payload or {}).get("memory", 0))
          missing = maxmem - current - free
          if missing > 0:
            raise errors.OpPrereqError("This change will prevent the instance"
                                       " from starting, due to %d MB of"
                                       " memory missing on its primary node" %
                                       missing, errors.ECODE_NORES)
    if self.be_new[constants.BE_AUTO_BALANCE]:
      for node in instance.secondary_nodes:
        if node not in nodeinfo:
          continue
        result = nodeinfo[node]
        result.Raise("Can't get info from secondary node %s" % node,
                     prereq=True, ecode=errors.ECODE_STATE)
        free = instance_utils._HvMemoryFree(  # pylint: disable=W0212
          result.payload or {}, instance.hypervisor)
        if not isinstance(free, int):
          raise errors.OpPrereqError("Secondary node %s didn't return free"
                                     " memory information" % node,
                                     errors.ECODE_STATE)
        if maxmem > free:
          raise errors.OpPrereqError("This change will prevent the instance"
                                     " from failover to its secondary node"
                                     " %s, due to not enough memory" % node,
                                     errors.ECODE_STATE)

  def _CheckRuntimeMemory(self):
    instance = self.instance
    if not instance_utils.GetInstanceRunning(self, instance):
      raise errors.OpPrereqError("Instance %s is not running, its runtime"
                                 " memory cannot be changed" % instance.name,
                                 errors.ECODE_STATE)
    mem = self.op.runtime_mem
    if not self.op.force and not (self.be_new[constants.BE_MINMEM] <= mem <=
                                  self.be_new[constants.BE_MAXMEM]):
      raise errors.OpPrereqError("Instance %s must have memory between %d"
                                 " and %d MB of memory unless --force is"
                                 " given" % (instance.name,
                                             self.be_new[constants.BE_MINMEM],
                                             self.be_new[constants.BE_MAXMEM]),
                                 errors.ECODE_INVAL)

  def _PrepareDiskMods(self):
    """Work the disk modifications through on a copy of the disk list."""
    instance = self.instance
    if instance.disk_template == constants.DT_DISKLESS:
      raise errors.OpPrereqError("Disk operations not supported for diskless"
                                 " instances", errors.ECODE_INVAL)
    if instance.disk_template == constants.DT_BLOCK and any(
        op == constants.DDM_ADD for (op, _, _) in self.disk_mods):
      raise errors.OpPrereqError("Disks of template %s can only be adopted,"
                                 " not added" % constants.DT_BLOCK,
                                 errors.ECODE_INVAL)
    disks = list(instance.disks)
    self.disk_modes = {}
    self.removed_disks = []
    for (op, index, params) in self.disk_mods:
      idx = _AbsoluteIndex("disk", op, index, len(disks))
      if op == constants.DDM_ADD:
        if len(disks) >= constants.MAX_DISKS:
          raise errors.OpPrereqError("Instance has too many disks (%d),"
                                     " cannot add more" % len(disks),
                                     errors.ECODE_STATE)
        disks.insert(idx, _NewDisk(params))
      elif op == constants.DDM_REMOVE:
        if len(disks) == 1:
          raise errors.OpPrereqError("Cannot remove the last disk of an"
                                     " instance", errors.ECODE_INVAL)
        removed = disks.pop(idx)
        if isinstance(removed, _NewDisk):
          continue
        self.removed_disks.append(removed)
      elif isinstance(disks[idx], _NewDisk):
        disks[idx].params[constants.IDISK_MODE] = \
          params[constants.IDISK_MODE]
      else:
        self.disk_modes[id(disks[idx])] = (disks[idx],
                                           params[constants.IDISK_MODE])
    if self.removed_disks:
      instance_utils.CheckInstanceState(self, instance,
                                        constants.INSTANCE_DOWN,
                                        msg="cannot remove disks")
    self.new_disk_list = disks

  def _PrepareNicMods(self):
    """Work the NIC modifications through on copies of the NICs.

    MACs are generated or reserved and IPs reserved for the job now.

    """
    instance = self.instance
    cluster = self.cluster
    ec_id = self.proc.GetECId()
    nics = [(nic.Copy(), "old") for nic in instance.nics or []]
    self.nic_changes = []
    for (op, index, params) in self.nic_mods:
      idx = _AbsoluteIndex("NIC", op, index, len(nics))
      if op == constants.DDM_REMOVE:
        nics.pop(idx)
        self.nic_changes.append(("NIC/%d" % idx, "remove"))
        continue
      if op == constants.DDM_ADD:
        if len(nics) >= constants.MAX_NICS:
          raise errors.OpPrereqError("Instance has too many network"
                                     " interfaces (%d), cannot add more" %
                                     len(nics), errors.ECODE_STATE)
        nic = objects.NIC(mac=None, ip=None, nicparams={})
      else:
        nic = nics[idx][0]
      update = dict((key, params[key]) for key in constants.NICS_PARAMETERS
                    if key in params)
      nicparams = _UpdatedParams(nic.nicparams, update)
      _ForceTypes(nicparams, constants.NICS_PARAMETER_TYPES,
                  "NIC parameters")
      filled = cluster.SimpleFillNIC(nicparams)
      try:
        objects.NIC.CheckParameterSyntax(filled)
      except errors.ConfigurationError as err:
        raise errors.OpPrereqError("Invalid NIC parameters: %s" % err,
                                   errors.ECODE_INVAL) from None
      ip = params[constants.INIC_IP] if constants.INIC_IP in params \
        else nic.ip
      if filled[constants.NIC_MODE] == constants.NIC_MODE_ROUTED and \
          ip is None:
        raise errors.OpPrereqError("Cannot set the NIC IP address to None"
                                   " on a routed NIC", errors.ECODE_INVAL)
      if constants.INIC_MAC in params:
        mac = params[constants.INIC_MAC]
        if mac in (constants.VALUE_AUTO, constants.VALUE_GENERATE):
          params[constants.INIC_MAC] = self.cfg.GenerateMAC(ec_id)
        elif mac != nic.mac:
          try:
            self.cfg.ReserveMAC(mac, ec_id)
          except errors.ReservationError:
            raise errors.OpPrereqError("MAC address %s already in use in"
                                       " cluster" % mac,
                                       errors.ECODE_NOTUNIQUE) from None
      if ip is not None and constants.INIC_IP in params and ip != nic.ip:
        try:
          self.cfg.ReserveIp(ip, ec_id)
        except errors.ReservationError:
          raise errors.OpPrereqError("IP address %s already in use in"
                                     " cluster" % ip,
                                     errors.ECODE_NOTUNIQUE) from None
      if constants.INIC_MAC in params:
        nic.mac = params[constants.INIC_MAC]
      nic.ip = ip
      nic.nicparams = nicparams
      if op == constants.DDM_ADD:
        nics.insert(idx, (nic, "new"))
        self.nic_changes.append((
          "nic.%d" % idx, "add:mac=%s,ip=%s,mode=%s,link=%s" %
          (nic.mac, nic.ip, filled[constants.NIC_MODE],
           filled[constants.NIC_LINK])))
      else:
        for (key, value) in params.items():
          self.nic_changes.append(("nic.%s/%d" % (key, idx), value))
    self.new_nics = [nic for (nic, _) in nics] if self.nic_mods else None
    self._hook_nics = [
      (nic.ip, nic.mac,
       cluster.SimpleFillNIC(nic.nicparams)[constants.NIC_MODE],
       cluster.SimpleFillNIC(nic.nicparams)[constants.NIC_LINK])
      for (nic, _) in nics]

  # -- execution ---------------------------------------------------------------

  def Exec(self, feedback_fn):
    instance = self.instance
    result = []
    for warning in self.warn:
      feedback_fn("WARNING: %s" % warning)

    if self.op.runtime_mem:
      to_send = instance_utils.InstanceForNode(self.cfg, instance)
      answer = self.rpc.call_instance_balloon_memory(instance.primary_node,
                                                     to_send,
                                                     self.op.runtime_mem)
      answer.Raise("Cannot modify instance runtime memory")
      result.append(("runtime_memory", self.op.runtime_mem))

    if self.new_disk_list is not None:
      result.extend(self._ApplyDiskMods(feedback_fn))
    if self.op.disk_template:
      # records the instance with its new disks once they exist
      self._ConvertTemplate(feedback_fn)
      result.append(("disk_template", self.op.disk_template))

    if self.new_nics is not None:
      instance.nics = self.new_nics
      result.extend(self.nic_changes)
    if self.op.hvparams:
      instance.hvparams = self.hv_inst
      for (key, value) in self.op.hvparams.items():
        result.append(("hv/%s" % key, value))
    if self.op.beparams:
      instance.beparams = self.be_inst
      for (key, value) in self.op.beparams.items():
        result.append(("be/%s" % key, value))
    if self.op.os_name:
      instance.os = self.op.os_name
    if self.op.osparams:
      instance.osparams = self.os_inst
      for (key, value) in self.op.osparams.items():
        result.append(("os/%s" % key, value))
    self.cfg.Update(instance, feedback_fn, self.proc.GetECId())

    if self.new_disk_list is not None:
      self._RemoveOldDisks()

    if self.op.offline is not None:
      if self.op.offline:
        self.cfg.MarkInstanceOffline(instance.name)
        result.append(("admin_state", constants.ADMINST_OFFLINE))
      else:
        self.cfg.MarkInstanceDown(instance.name)
        result.append(("admin_state", constants.ADMINST_DOWN))
    self._executed = True
    if getattr(self, "sync_after", False):
      feedback_fn("Waiting for the disks to synchronize...")
      if not instance_storage.WaitForSync(self, instance,
                                          oneshot=not self.op.wait_for_sync):
        raise errors.OpExecError("There are some degraded disks for this"
                                 " instance, please cleanup manually")
    return result

  def _ApplyDiskMods(self, feedback_fn):
    """Create the added disks on the nodes; set the new disk list.

    Nothing is recorded until every new disk exists; on a failure the
    disks created by this modification are removed again.

    @return: the change descriptions of the disks

    """
    instance = self.instance
    changes = []
    # descriptions follow the modifications in the order given
    disks = list(instance.disks)
    new_positions = []
    for (op, index, params) in self.disk_mods:
      idx = _AbsoluteIndex("disk", op, index, len(disks))
      if op == constants.DDM_ADD:
        disks.insert(idx, None)
        changes.append(("disk/%d" % idx, "add:size=%s,mode=%s" %
                        (params[constants.IDISK_SIZE],
                         params[constants.IDISK_MODE])))
      elif op == constants.DDM_REMOVE:
        disks.pop(idx)
        changes.append(("disk/%d" % idx, "remove"))
      else:
        changes.append(("disk.mode/%d" % idx, params[constants.IDISK_MODE]))

    final = self.new_disk_list
    file_driver = file_path = None
    if instance.disk_template in constants.DTS_FILEBASED:
      (file_driver, file_path) = instance.disks[0].logical_id
      file_path = os.path.dirname(file_path)
    diskparams = instance_storage.GetDiskParamsForNode(self.cfg,
                                                       instance.primary_node)
    try:
      for (idx, item) in enumerate(final):
        if isinstance(item, _NewDisk):
          new_positions.append(idx)
          item.disk = instance_storage.GenerateDiskTemplate(
            self, instance.disk_template, instance.name,
            instance.primary_node, list(instance.secondary_nodes),
            [item.params], file_path, file_driver, idx, feedback_fn,
            diskparams)[0]
      disk_objects = [item.disk if isinstance(item, _NewDisk) else item
                      for item in final]
      if new_positions:
        staging = instance.Copy()
        staging.disks = disk_objects
        skip = [idx for idx in range(len(disk_objects))
                if idx not in new_positions]
        # CreateDisks removes what it made when one creation fails
        created = instance_storage.CreateDisks(self, staging, to_skip=skip)
        try:
          if self.cluster.prealloc_wipe_disks:
            instance_storage.WipeDisks(self, staging, disks=new_positions)
        except errors.OpExecError:
          self.LogWarning("Wiping the new disks failed, removing them")
          for (node, disk) in reversed(created):
            self._RemoveOne(node, disk)
          raise
    except errors.GenericError:
      self._ForgetNewDisks(final)
      raise
    for (disk, mode) in self.disk_modes.values():
      disk.mode = mode
    for (idx, disk) in enumerate(disk_objects):
      disk.iv_name = "disk/%d" % idx
    instance.disks = disk_objects
    return changes

  def _ForgetNewDisks(self, final):
    """Give back what the generation of new disks took (DRBD minors and
    ports), after a failed addition."""
    self.cfg.ReleaseDRBDMinors(self.instance.name)
    ports = set(item.disk.logical_id[2] for item in final
                if isinstance(item, _NewDisk) and item.disk is not None and
                item.disk.dev_type in constants.LDS_DRBD)
    if ports:
      _ReleasePorts(self.cfg, ports)

  def _RemoveOldDisks(self):
    """Remove the disks the modification dropped (failures: warnings)."""
    instance = self.instance
    ports = set()
    for disk in self.removed_disks:
      for (node, node_disk) in disk.ComputeNodeTree(instance.primary_node):
        answer = self.rpc.call_blockdev_remove(
          node, instance_utils.DiskForNode(self.cfg, node_disk, node))
        if answer.fail_msg:
          self.LogWarning("Could not remove disk %s on node %s: %s,"
                          " continuing anyway", disk.iv_name, node,
                          answer.fail_msg)
      if disk.dev_type in constants.LDS_DRBD:
        ports.add(disk.logical_id[2])
    if ports:
      _ReleasePorts(self.cfg, ports)

  # -- template conversion -----------------------------------------------------

  def _ConvertTemplate(self, feedback_fn):
    # nothing may hold the devices while they change shape
    if not instance_storage.ShutdownInstanceDisks(self, self.instance):
      raise errors.OpExecError("Cannot deactivate the disks of instance %s"
                               " before converting them" %
                               self.instance.name)
    if (self.instance.disk_template, self.op.disk_template) == \
        (constants.DT_PLAIN, constants.DT_DRBD8):
      self._ConvertPlainToDrbd(feedback_fn)
    else:
      self._ConvertDrbdToPlain(feedback_fn)

  def _CreateOne(self, node, disk, on_primary, info):
    node_disk = instance_utils.DiskForNode(self.cfg, disk, node)
    answer = self.rpc.call_blockdev_create(node, node_disk, disk.size,
                                           self.instance.name, on_primary,
                                           info, False)
    answer.Raise("Can't create block device %s on node %s for instance %s" %
                 (disk.iv_name or disk.logical_id, node, self.instance.name))

  def _RemoveOne(self, node, disk):
    answer = self.rpc.call_blockdev_remove(
      node, instance_utils.DiskForNode(self.cfg, disk, node))
    if answer.fail_msg:
      self.LogWarning("Could not remove block device %s on node %s: %s",
                      disk.logical_id, node, answer.fail_msg)

  def _ConvertPlainToDrbd(self, feedback_fn):
    instance = self.instance
    pnode = instance.primary_node
    snode = self.op.remote_node
    disk_info = [{constants.IDISK_SIZE: disk.size,
                  constants.IDISK_MODE: disk.mode,
                  constants.IDISK_VG: disk.logical_id[0]}
                 for disk in instance.disks]
    diskparams = instance_storage.GetDiskParamsForNode(self.cfg, pnode)
    new_disks = instance_storage.GenerateDiskTemplate(
      self, constants.DT_DRBD8, instance.name, pnode, [snode], disk_info,
      None, None, 0, feedback_fn, diskparams)
    info = instance_utils.GetInstanceInfoText(instance)
    created = []
    renamed = []
    try:
      feedback_fn("Creating additional volumes...")
      for disk in new_disks:
        self._CreateOne(pnode, disk.children[1], True, info)
        created.append((pnode, disk.children[1]))
        for child in disk.children:
          self._CreateOne(snode, child, True, info)
          created.append((snode, child))
      feedback_fn("Renaming original volumes...")
      rename_list = [(instance_utils.DiskForNode(self.cfg, old, pnode),
                      list(new.children[0].logical_id))
                     for (old, new) in zip(instance.disks, new_disks)]
      answer = self.rpc.call_blockdev_rename(pnode, rename_list)
      answer.Raise("Failed to rename original LVs")
      renamed = list(zip(instance.disks, new_disks))
      feedback_fn("Initializing DRBD devices...")
      for disk in new_disks:
        for node in (pnode, snode):
          self._CreateOne(node, disk, node == pnode, info)
          created.append((node, disk))
    except errors.GenericError:
      self.LogWarning("Conversion to drbd failed, undoing what was done")
      drbd_devs = [(node, disk) for (node, disk) in created
                   if disk.dev_type in constants.LDS_DRBD]
      for (node, disk) in reversed(drbd_devs):
        answer = self.rpc.call_blockdev_shutdown(
          node, instance_utils.DiskForNode(self.cfg, disk, node))
        if answer.fail_msg:
          self.LogWarning("Could not shut down %s on node %s: %s",
                          disk.iv_name, node, answer.fail_msg)
      if renamed:
        back = [(instance_utils.DiskForNode(self.cfg, new.children[0], pnode),
                 list(old.logical_id)) for (old, new) in renamed]
        answer = self.rpc.call_blockdev_rename(pnode, back)
        if answer.fail_msg:
          self.LogWarning("Could not rename the original volumes back: %s",
                          answer.fail_msg)
      for (node, disk) in reversed(created):
        if disk.dev_type not in constants.LDS_DRBD:
          self._RemoveOne(node, disk)
      self.cfg.ReleaseDRBDMinors(instance.name)
      raise
    instance.disk_template = constants.DT_DRBD8
    instance.disks = new_disks
    self.cfg.Update(instance, feedback_fn, self.proc.GetECId())
    self.sync_after = True

  def _ConvertDrbdToPlain(self, feedback_fn):
    instance = self.instance
    pnode = instance.primary_node
    snode = instance.secondary_nodes[0]
    feedback_fn("Converting template to plain")
    old_disks = instance.disks
    new_disks = [disk.children[0] for disk in old_disks]
    for (parent, child) in zip(old_disks, new_disks):
      child.size = parent.size
      child.mode = parent.mode
      child.iv_name = parent.iv_name
    ports = set(disk.logical_id[2] for disk in old_disks)
    instance.disks = new_disks
    instance.disk_template = constants.DT_PLAIN
    self.cfg.Update(instance, feedback_fn, self.proc.GetECId())
    _ReleasePorts(self.cfg, ports)
    feedback_fn("Removing volumes on the secondary node...")
    for disk in old_disks:
      self._RemoveOne(snode, disk)
    feedback_fn("Removing unneeded volumes on the primary node...")
    for disk in old_disks:
      self._RemoveOne(pnode, disk.children[1])


def _ReleasePorts(cfg, ports):
  """Give DRBD ports back to the cluster's port pool."""
  cluster = cfg.GetClusterInfo()
  if cluster.tcpudp_port_pool is None:
    cluster.tcpudp_port_pool = set()
  cluster.tcpudp_port_pool.update(ports)
  cfg.Update(cluster, None)
  logging.debug("Ports %s returned to the pool", sorted(ports))
