"""Logical units running an instance: start, stop, reboot, console, reinstall.

Layer 5 (master side).  ``LUInstanceStartup`` assembles the disks and
starts the instance on its primary node (temporary hypervisor and backend
parameters allowed, checked with the hypervisor class), ``LUInstanceShutdown``
stops it and deactivates its disks, ``LUInstanceReboot`` reboots it softly
or hard on the node, or fully (stop, disks down and up again, start),
``LUInstanceConsole`` says how to reach the console of a running instance,
``LUInstanceReinstall`` runs the OS create script again on a stopped
instance (optionally with a new OS or OS parameters).

The admin state ("should run") is recorded through ConfigWriter; the node
work goes through the LU's RPC runner with instances prepared by
instance_utils.InstanceForNode.  Locks are declared, never taken here.
"""

import logging

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import base
from ganeti.cmdlib import common
from ganeti.cmdlib import instance_storage
from ganeti.cmdlib import instance_utils


def _UpdatedParams(old, changes):
  """``old`` with ``changes`` applied; the value "default" drops a key."""
  result = dict(old or {})
  for (key, value) in (changes or {}).items():
    if value == constants.VALUE_DEFAULT:
      result.pop(key, None)
    else:
      result[key] = value
  return result


def CheckGlobalHvParams(params):
  """Refuse hypervisor parameters that only the cluster may set.

  @raise errors.OpPrereqError: a global parameter is among ``params``

  """
  used = sorted(set(params or {}) & constants.HVC_GLOBALS)
  if used:
    raise errors.OpPrereqError("The following hypervisor parameters are"
                               " global and cannot be customized at instance"
                               " level, please modify them at cluster level:"
                               " %s" % utils.CommaJoin(used),
                               errors.ECODE_INVAL)


def _ForceTypes(params, types, what):
  """utils.ForceDictType with its errors as OpPrereqError."""
  try:
    utils.ForceDictType(params, types)
  except errors.TypeEnforcementError as err:
    raise errors.OpPrereqError("Invalid %s: %s" % (what, err),
                               errors.ECODE_INVAL) from None


def _InstanceHooksNodes(lu, instance):
  """The master and every node of the instance, for pre and post hooks."""
  nodes = [lu.cfg.GetMasterNode()] + list(instance.all_nodes)
  nodes = utils.UniqueSequence(nodes)
  return (nodes, nodes)


def _StateOfStopped(instance):
  """The status a stopped instance shows in listings (query.md 6.2)."""
  if instance.admin_state == constants.ADMINST_UP:
    return constants.INSTST_ERRORDOWN
  if instance.admin_state == constants.ADMINST_DOWN:
    return constants.INSTST_ADMINDOWN
  return constants.INSTST_ADMINOFFLINE


def GetInstanceConsole(cluster, instance):
  """The console description (a dict) of a running instance.

  Asks the hypervisor class on the master; no node is contacted.

  @raise errors.OpExecError: the hypervisor built no valid description

  """
  # imported here: only the console needs the hypervisor classes
  from ganeti import hypervisor
  hv_class = hypervisor.GetHypervisorClass(instance.hypervisor)
  hvparams = cluster.FillHV(instance)
  beparams = cluster.FillBE(instance)
  console = hv_class.GetInstanceConsole(instance, hvparams, beparams)
  if console.instance != instance.name:
    raise errors.OpExecError("The hypervisor described the console of '%s'"
                             " instead of '%s'" % (console.instance,
                                                   instance.name))
  if not console.Validate():
    raise errors.OpExecError("The hypervisor built an invalid console"
                             " description for instance %s" % instance.name)
  return console.ToDict()


class LUInstanceStartup(base.LogicalUnit):
  """Start an instance on its primary node.

  """
  HPATH = "instance-start"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def CheckArguments(self):
    if self.op.beparams:
      self.op.beparams = dict(self.op.beparams)
      objects.UpgradeBeParams(self.op.beparams)
      _ForceTypes(self.op.beparams, constants.BES_PARAMETER_TYPES,
                  "backend parameters")

  def ExpandNames(self):
    self._ExpandAndLockInstance()
    self.needed_locks[locking.LEVEL_NODE_RES] = []
    self.recalculate_locks[locking.LEVEL_NODE_RES] = base.LOCKS_REPLACE

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE_RES:
      self._LockInstancesNodes(primary_only=True,
                               level=locking.LEVEL_NODE_RES)

  def BuildHooksEnv(self):
    env = {"FORCE": self.op.force}
    env.update(instance_utils.BuildInstanceHookEnvByObject(self,
                                                           self.instance))
    return env

  def BuildHooksNodes(self):
    return _InstanceHooksNodes(self, self.instance)

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    self.admin_before = instance.admin_state
    cluster = self.cfg.GetClusterInfo()
    if self.op.hvparams:
      self.op.hvparams = dict(self.op.hvparams)
      CheckGlobalHvParams(self.op.hvparams)
      _ForceTypes(self.op.hvparams, constants.HVS_PARAMETER_TYPES,
                  "hypervisor parameters")
      filled = cluster.FillHV(instance)
      filled.update(self.op.hvparams)
      instance_utils.CheckHVParamsSyntax(instance.hypervisor, filled)
      instance_utils.CheckHVParams(self, list(instance.all_nodes),
                                   instance.hypervisor, filled)

    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_ONLINE)

    pnode = self.cfg.GetNodeInfo(instance.primary_node)
    self.primary_offline = pnode.offline and self.op.ignore_offline_nodes
    if self.primary_offline:
      if self.op.no_remember:
        raise errors.OpPrereqError("Starting an instance with an offline"
                                   " primary node requires remembering its"
                                   " state (no --no-remember)",
                                   errors.ECODE_INVAL)
      self.LogWarning("Ignoring offline primary node")
      if self.op.hvparams or self.op.beparams:
        self.LogWarning("Overridden parameters are ignored")
      return

    instance_utils.CheckNodeOnline(self, instance.primary_node)
    instance_utils.CheckInstanceBridgesExist(self, instance)
    bep = cluster.FillBE(instance)
    bep.update(self.op.beparams or {})
    remote = self.rpc.call_instance_info(instance.primary_node, instance.name,
                                         instance.hypervisor)
    remote.Raise("Error checking node %s" % instance.primary_node,
                 prereq=True, ecode=errors.ECODE_ENVIRON)
    if not remote.payload:
      instance_utils.CheckNodeFreeMemory(
        self, instance.primary_node, "starting instance %s" % instance.name,
        bep[constants.BE_MAXMEM], instance.hypervisor)

  def Exec(self, feedback_fn):
    instance = self.instance
    if not self.op.no_remember:
      self.cfg.MarkInstanceUp(instance.name)
    if self.primary_offline:
      self.LogInfo("Primary node offline, marked instance as started")
      return None
    node = instance.primary_node
    instance_storage.StartInstanceDisks(self, instance, self.op.force)
    to_send = instance_utils.InstanceForNode(self.cfg, instance,
                                             hvp=self.op.hvparams,
                                             bep=self.op.beparams)
    result = self.rpc.call_instance_start(node, to_send,
                                          self.op.startup_paused)
    if result.fail_msg:
      instance_storage.ShutdownInstanceDisks(self, instance)
      if (not self.op.no_remember and
          self.admin_before != constants.ADMINST_UP):
        # it did not start: the recorded wish goes back to what it was
        self.cfg.MarkInstanceDown(instance.name)
      raise errors.OpExecError("Could not start instance: %s" %
                               result.fail_msg)
    return None


class LUInstanceShutdown(base.LogicalUnit):
  """Stop an instance and deactivate its disks.

  """
  HPATH = "instance-stop"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def ExpandNames(self):
    self._ExpandAndLockInstance()

  def BuildHooksEnv(self):
    env = instance_utils.BuildInstanceHookEnvByObject(self, self.instance)
    env["TIMEOUT"] = self.op.timeout
    return env

  def BuildHooksNodes(self):
    return _InstanceHooksNodes(self, self.instance)

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_ONLINE)
    self.primary_offline = \
      self.cfg.GetNodeInfo(instance.primary_node).offline
    if self.primary_offline and self.op.ignore_offline_nodes:
      self.LogWarning("Ignoring offline primary node")
    else:
      instance_utils.CheckNodeOnline(self, instance.primary_node)

  def Exec(self, feedback_fn):
    instance = self.instance
    if not self.op.no_remember:
      self.cfg.MarkInstanceDown(instance.name)
    if self.primary_offline:
      self.LogInfo("Primary node offline, marked instance as stopped")
      return None
    to_send = instance_utils.InstanceForNode(self.cfg, instance)
    result = self.rpc.call_instance_shutdown(instance.primary_node, to_send,
                                             self.op.timeout)
    if result.fail_msg:
      self.LogWarning("Could not shutdown instance: %s", result.fail_msg)
    instance_storage.ShutdownInstanceDisks(self, instance)
    return None


class LUInstanceReboot(base.LogicalUnit):
  """Reboot an instance: soft or hard on the node, or full from here.

  """
  HPATH = "instance-reboot"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def ExpandNames(self):
    self._ExpandAndLockInstance()

  def BuildHooksEnv(self):
    env = {
      "IGNORE_SECONDARIES": self.op.ignore_secondaries,
      "REBOOT_TYPE": self.op.reboot_type,
      "SHUTDOWN_TIMEOUT": self.op.shutdown_timeout,
      }
    env.update(instance_utils.BuildInstanceHookEnvByObject(self,
                                                           self.instance))
    return env

  def BuildHooksNodes(self):
    return _InstanceHooksNodes(self, self.instance)

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_ONLINE)
    instance_utils.CheckNodeOnline(self, instance.primary_node)
    instance_utils.CheckInstanceBridgesExist(self, instance)

  def Exec(self, feedback_fn):
    instance = self.instance
    node = instance.primary_node
    remote = self.rpc.call_instance_info(node, instance.name,
                                         instance.hypervisor)
    remote.Raise("Error checking node %s" % node)
    running = bool(remote.payload)
    reboot_type = self.op.reboot_type
    if running and reboot_type in (constants.INSTANCE_REBOOT_SOFT,
                                   constants.INSTANCE_REBOOT_HARD):
      to_send = instance_utils.InstanceForNode(self.cfg, instance)
      result = self.rpc.call_instance_reboot(node, to_send, reboot_type,
                                             self.op.shutdown_timeout)
      result.Raise("Could not reboot instance")
    else:
      if running:
        to_send = instance_utils.InstanceForNode(self.cfg, instance)
        result = self.rpc.call_instance_shutdown(node, to_send,
                                                 self.op.shutdown_timeout)
        result.Raise("Could not shutdown instance for full reboot")
        instance_storage.ShutdownInstanceDisks(self, instance)
      else:
        self.LogInfo("Instance %s was already stopped, starting now",
                     instance.name)
      instance_storage.StartInstanceDisks(self, instance,
                                          self.op.ignore_secondaries)
      to_send = instance_utils.InstanceForNode(self.cfg, instance)
      result = self.rpc.call_instance_start(node, to_send, False)
      if result.fail_msg:
        instance_storage.ShutdownInstanceDisks(self, instance)
        raise errors.OpExecError("Could not start instance for full reboot:"
                                 " %s" % result.fail_msg)
    self.cfg.MarkInstanceUp(instance.name)
    return None


class LUInstanceConsole(base.NoHooksLU):
  """How to connect to the console of a running instance.

  """
  REQ_BGL = False

  def ExpandNames(self):
    self.share_locks = common.ShareAll()
    self._ExpandAndLockInstance()

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    instance_utils.CheckNodeOnline(self, instance.primary_node)

  def Exec(self, feedback_fn):
    instance = self.instance
    node = instance.primary_node
    answers = self.rpc.call_instance_list([node], [instance.hypervisor])
    result = answers[node]
    result.Raise("Can't get node information from %s" % node)
    if instance.name not in (result.payload or []):
      raise errors.OpExecError("Instance %s is not running (state %s)" %
                               (instance.name, _StateOfStopped(instance)))
    logging.debug("Connecting to console of %s on %s", instance.name, node)
    return GetInstanceConsole(self.cfg.GetClusterInfo(), instance)


class LUInstanceReinstall(base.LogicalUnit):
  """Run the OS create script again on a stopped instance.

  """
  HPATH = "instance-reinstall"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = False

  def ExpandNames(self):
    self._ExpandAndLockInstance()

  def BuildHooksEnv(self):
    return instance_utils.BuildInstanceHookEnvByObject(self, self.instance)

  def BuildHooksNodes(self):
    return _InstanceHooksNodes(self, self.instance)

  def CheckPrereq(self):
    self.instance = instance = instance_utils.GetInstanceOrFail(
      self.cfg, self.op.instance_name)
    instance_utils.CheckNodeOnline(self, instance.primary_node,
                                   "Instance primary node offline, cannot"
                                   " reinstall")
    if instance.disk_template == constants.DT_DISKLESS:
      raise errors.OpPrereqError("Instance '%s' has no disks" %
                                 self.op.instance_name, errors.ECODE_INVAL)
    instance_utils.CheckInstanceState(self, instance,
                                      constants.INSTANCE_DOWN,
                                      msg="cannot reinstall")
    if self.op.os_type is not None:
      os_info = instance_utils.FindOSOnNode(self, instance.primary_node,
                                            self.op.os_type)
      if not self.op.force_variant:
        instance_utils.CheckOSVariant(os_info, self.op.os_type)
      instance_os = self.op.os_type
    else:
      instance_os = instance.os
    if self.op.osparams:
      self.os_inst = _UpdatedParams(instance.osparams, self.op.osparams)
      instance_utils.CheckOSParams(self, True, list(instance.all_nodes),
                                   instance_os, self.os_inst)
    else:
      self.os_inst = None

  def Exec(self, feedback_fn):
    instance = self.instance
    old_os = instance.os
    if self.op.os_type is not None:
      feedback_fn("Changing OS to %s..." % self.op.os_type)
      instance.os = self.op.os_type
      self.cfg.Update(instance, feedback_fn)
    try:
      self._Install(feedback_fn)
    except errors.GenericError:
      if instance.os != old_os:
        # the new OS did not install: the instance keeps the old one
        instance.os = old_os
        self.cfg.Update(instance, feedback_fn)
      raise
    return None

  def _Install(self, feedback_fn):
    instance = self.instance
    instance_storage.StartInstanceDisks(self, instance, None)
    try:
      feedback_fn("Running the instance OS create scripts...")
      to_send = instance_utils.InstanceForNode(self.cfg, instance)
      if self.os_inst is not None:
        # temporary OS parameters: this run only, over the cluster's
        to_send.osparams = self.cfg.GetClusterInfo().SimpleFillOS(
          instance.os, self.os_inst)
      result = self.rpc.call_instance_os_add(instance.primary_node, to_send,
                                             True, self.op.debug_level)
      result.Raise("Could not install OS for instance %s on node %s" %
                   (instance.name, instance.primary_node))
    finally:
      instance_storage.ShutdownInstanceDisks(self, instance)
