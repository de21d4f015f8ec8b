"""Helpers shared by the instance logical units (every instance module).

Layer 5 (master side).  Copies of instances and disks prepared for a node
(parameters filled with the cluster defaults, physical ids computed), the
instance block of the hook environment (spec/hooks.md section 4), and the
prerequisite checks the instance LUs share: node state, free memory,
instance admin and run state, OS and hypervisor parameters validated on the
nodes, bridges present.

This module must not change the configuration and must not acquire locks;
it talks to nodes only through the LU's RPC runner.
"""

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import common


ExpandInstanceName = common.ExpandInstanceName


def GetInstanceOrFail(cfg, name):
  """The configuration object of an instance (its lock is held).

  @raise errors.OpPrereqError: the instance is not in the configuration

  """
  instance = cfg.GetInstanceInfo(name)
  if instance is None:
    raise errors.OpPrereqError("Instance '%s' not known" % name,
                               errors.ECODE_NOENT)
  return instance


def _NodesIP(cfg):
  """node name -> replication (secondary) IP of every node."""
  return dict((node.name, node.secondary_ip)
              for node in cfg.GetAllNodesInfo().values())


def DiskForNode(cfg, disk, node):
  """A copy of ``disk`` whose physical_id (the whole tree) is set for node.

  @raise errors.ConfigurationError: the disk does not live on node

  """
  result = disk.Copy()
  result.SetPhysicalID(node, _NodesIP(cfg))
  return result


def DisksForNode(cfg, disks, node):
  """Like `DiskForNode` for a list of disks (one lookup of the IPs)."""
  nodes_ip = _NodesIP(cfg)
  result = []
  for disk in disks:
    copied = disk.Copy()
    copied.SetPhysicalID(node, nodes_ip)
    result.append(copied)
  return result


def _FillBeOverride(bep):
  """A backend override dict with legacy keys (memory) upgraded."""
  result = dict(bep or {})
  objects.UpgradeBeParams(result)
  return result


def InstanceForNode(cfg, instance, hvp=None, bep=None, node=None):
  """A deep copy of instance ready to be sent to a node.

  hvparams, beparams, osparams and every NIC's nicparams are the effective
  ones (cluster and OS defaults under the instance's own values),
  ``hvp``/``bep`` are merged over them (temporary parameters, e.g. of a
  startup), and the physical_id of every disk is set for ``node``
  (default: the primary).

  """
  cluster = cfg.GetClusterInfo()
  result = instance.Copy()
  result.hvparams = cluster.FillHV(instance)
  if hvp:
    result.hvparams.update(hvp)
  result.beparams = cluster.FillBE(instance)
  if bep:
    result.beparams.update(_FillBeOverride(bep))
  result.osparams = cluster.SimpleFillOS(instance.os, instance.osparams)
  # the node (OS scripts, hypervisors) needs each NIC's effective mode and
  # link, not only what the instance overrides
  for nic in result.nics or []:
    nic.nicparams = cluster.SimpleFillNIC(nic.nicparams)
  if node is None:
    node = instance.primary_node
  nodes_ip = _NodesIP(cfg)
  for disk in result.disks or []:
    disk.SetPhysicalID(node, nodes_ip)
  return result


# -- hooks ---------------------------------------------------------------------

def _NicHookTuple(cluster, nic):
  filled = cluster.SimpleFillNIC(nic.nicparams)
  return (nic.ip, nic.mac, filled[constants.NIC_MODE],
          filled[constants.NIC_LINK])


def BuildInstanceHookEnv(name, primary_node, secondary_nodes, os_type, status,
                         minmem, maxmem, vcpus, nics, disk_template, disks,
                         bep, hvp, hypervisor_name, tags):
  """The instance block of the hook environment (without ``GANETI_``).

  @param status: the admin state, or for instance-add the start flag
  @param nics: list of (ip, mac, mode, link)
  @param disks: list of (size, mode)
  @param bep: filled backend parameters
  @param hvp: filled hypervisor parameters
  @param tags: the instance's tags

  """
  env = {
    "OP_TARGET": name,
    "INSTANCE_NAME": name,
    "INSTANCE_PRIMARY": primary_node,
    "INSTANCE_SECONDARIES": " ".join(secondary_nodes),
    "INSTANCE_OS_TYPE": os_type,
    "INSTANCE_STATUS": status,
    "INSTANCE_MINMEM": minmem,
    "INSTANCE_MAXMEM": maxmem,
    # the pre-2.6 name of maxmem, kept for old hook scripts
    "INSTANCE_MEMORY": maxmem,
    "INSTANCE_VCPUS": vcpus,
    "INSTANCE_DISK_TEMPLATE": disk_template,
    "INSTANCE_HYPERVISOR": hypervisor_name,
    }
  env["INSTANCE_NIC_COUNT"] = len(nics or [])
  for (idx, (ip, mac, mode, link)) in enumerate(nics or []):
    if ip is None:
      ip = ""
    env["INSTANCE_NIC%d_IP" % idx] = ip
    env["INSTANCE_NIC%d_MAC" % idx] = mac
    env["INSTANCE_NIC%d_MODE" % idx] = mode
    env["INSTANCE_NIC%d_LINK" % idx] = link
    if mode == constants.NIC_MODE_BRIDGED:
      env["INSTANCE_NIC%d_BRIDGE" % idx] = link
  env["INSTANCE_DISK_COUNT"] = len(disks or [])
  for (idx, (size, mode)) in enumerate(disks or []):
    env["INSTANCE_DISK%d_SIZE" % idx] = size
    env["INSTANCE_DISK%d_MODE" % idx] = mode
  env["INSTANCE_TAGS"] = " ".join(sorted(tags or []))
  for (source, kind) in ((bep, "BE"), (hvp, "HV")):
    for (key, value) in (source or {}).items():
      env["INSTANCE_%s_%s" % (kind, key)] = value
  return env


def NicListToTuple(lu, nics):
  """(ip, mac, mode, link) per NIC, NIC parameters filled by the cluster."""
  cluster = lu.cfg.GetClusterInfo()
  return [_NicHookTuple(cluster, nic) for nic in nics or []]


def BuildInstanceHookEnvByObject(lu, instance, override=None):
  """The instance block of the hook environment for a configured instance.

  @param override: dict of BuildInstanceHookEnv arguments to replace (e.g.
      ``{"minmem": 512}`` for a modification's new values)

  """
  cluster = lu.cfg.GetClusterInfo()
  bep = cluster.FillBE(instance)
  hvp = cluster.FillHV(instance)
  args = {
    "name": instance.name,
    "primary_node": instance.primary_node,
    "secondary_nodes": list(instance.secondary_nodes),
    "os_type": instance.os,
    "status": instance.admin_state,
    "minmem": bep.get(constants.BE_MINMEM),
    "maxmem": bep.get(constants.BE_MAXMEM),
    "vcpus": bep.get(constants.BE_VCPUS),
    "nics": NicListToTuple(lu, instance.nics),
    "disk_template": instance.disk_template,
    "disks": [(disk.size, disk.mode) for disk in instance.disks or []],
    "bep": bep,
    "hvp": hvp,
    "hypervisor_name": instance.hypervisor,
    "tags": instance.GetTags(),
    }
  if override:
    args.update(override)
  return BuildInstanceHookEnv(**args)


# -- node checks ---------------------------------------------------------------

def _GetNode(lu, node):
  info = lu.cfg.GetNodeInfo(node)
  if info is None:
    raise errors.OpPrereqError("Node '%s' not known" % node,
                               errors.ECODE_NOENT)
  return info


def CheckNodeOnline(lu, node, msg=None):
  """Refuse an offline node.

  @raise errors.OpPrereqError: the node is offline (ECODE_STATE)

  """
  if msg is None:
    msg = "Can't use offline node"
  if _GetNode(lu, node).offline:
    raise errors.OpPrereqError("%s %s" % (msg, node), errors.ECODE_STATE)


def CheckNodeNotDrained(lu, node):
  """Refuse a drained node (no new instances go there).

  @raise errors.OpPrereqError: the node is drained (ECODE_STATE)

  """
  if _GetNode(lu, node).drained:
    raise errors.OpPrereqError("Can't use drained node %s" % node,
                               errors.ECODE_STATE)


def CheckNodeVmCapable(lu, node):
  """Refuse a node that may not host instances.

  @raise errors.OpPrereqError: the node is not vm_capable (ECODE_STATE)

  """
  if not _GetNode(lu, node).vm_capable:
    raise errors.OpPrereqError("Can't use non-vm_capable node %s" % node,
                               errors.ECODE_STATE)


def _HvMemoryFree(payload, hypervisor_name):
  """The free memory a node_info answer reports for a hypervisor.

  The answer carries the figures flat, or per hypervisor under
  ``hv_info`` (a dict by name, or a list in the order asked).

  """
  hv_info = payload.get("hv_info")
  if isinstance(hv_info, dict) and isinstance(hv_info.get(hypervisor_name),
                                              dict):
    return hv_info[hypervisor_name].get("memory_free")
  if isinstance(hv_info, list) and hv_info and isinstance(hv_info[0], dict):
    return hv_info[0].get("memory_free")
  return payload.get("memory_free")


def CheckNodeFreeMemory(lu, node, reason, requested, hypervisor_name):
  """Check that a node has ``requested`` MiB of free memory.

  @return: the node's free memory (MiB)
  @raise errors.OpPrereqError: the node cannot be asked (ECODE_ENVIRON)
      or has too little memory (ECODE_NORES)

  """
  answers = lu.rpc.call_node_info([node], [], [hypervisor_name])
  result = answers[node]
  result.Raise("Can't get data from node %s" % node, prereq=True,
               ecode=errors.ECODE_ENVIRON)
  payload = result.payload if isinstance(result.payload, dict) else {}
  free_mem = _HvMemoryFree(payload, hypervisor_name)
  if not isinstance(free_mem, int) or isinstance(free_mem, bool):
    raise errors.OpPrereqError("Can't compute free memory on node %s,"
                               " result was '%s'" % (node, free_mem),
                               errors.ECODE_ENVIRON)
  if requested > free_mem:
    raise errors.OpPrereqError("Not enough memory on node %s for %s:"
                               " needed %s MiB, available %s MiB" %
                               (node, reason, requested, free_mem),
                               errors.ECODE_NORES)
  return free_mem


# -- instance state ------------------------------------------------------------

def GetInstanceRunning(lu, instance):
  """Whether the instance runs on its primary node (asks the node).

  @raise errors.OpExecError: the node cannot be asked

  """
  result = lu.rpc.call_instance_info(instance.primary_node, instance.name,
                                     instance.hypervisor)
  result.Raise("Can't retrieve instance information for instance %s" %
               instance.name)
  return bool(result.payload)


def CheckInstanceState(lu, instance, req_states, msg=None):
  """Check an instance's admin state, and that it runs only if allowed.

  When ADMINST_UP is not in ``req_states`` the primary node is asked and a
  running instance is refused (an offline primary node is not asked).

  @raise errors.OpPrereqError: wrong admin state or running (ECODE_STATE)

  """
  if msg is None:
    msg = "can't use instance from outside %s states" % \
      ", ".join(sorted(req_states))
  if instance.admin_state not in req_states:
    raise errors.OpPrereqError("Instance '%s' is marked to be %s, %s" %
                               (instance.name, instance.admin_state, msg),
                               errors.ECODE_STATE)
  if constants.ADMINST_UP not in req_states:
    pnode = instance.primary_node
    if lu.cfg.GetNodeInfo(pnode).offline:
      lu.LogWarning("Primary node %s is offline, cannot check whether"
                    " instance %s runs", pnode, instance.name)
      return
    result = lu.rpc.call_instance_info(pnode, instance.name,
                                       instance.hypervisor)
    result.Raise("Can't retrieve instance information for instance %s" %
                 instance.name, prereq=True, ecode=errors.ECODE_ENVIRON)
    if result.payload:
      raise errors.OpPrereqError("Instance %s is running, %s" %
                                 (instance.name, msg), errors.ECODE_STATE)


# -- parameters checked on the nodes -------------------------------------------

def _VmCapable(lu, nodes):
  return [name for name in nodes
          if lu.cfg.GetNodeInfo(name) is not None and
          lu.cfg.GetNodeInfo(name).vm_capable]


def CheckOSParams(lu, required, nodes, osname, osparams):
  """Validate OS parameters on the (vm_capable) nodes with os_validate.

  @param required: whether a node lacking the OS is an error
  @raise errors.OpPrereqError: a node refused them (or cannot be asked)

  """
  nodes = _VmCapable(lu, nodes)
  if not nodes:
    return
  answers = lu.rpc.call_os_validate(nodes, required, osname,
                                    [constants.OS_VALIDATE_PARAMETERS],
                                    osparams)
  for node in nodes:
    result = answers[node]
    if result.offline:
      continue
    result.Raise("OS parameters validation failed on node %s" % node,
                 prereq=True, ecode=errors.ECODE_INVAL)
    if not result.payload:
      lu.LogInfo("OS %s not found on node %s, validation skipped",
                 osname, node)


def CheckHVParams(lu, nodes, hvname, hvparams):
  """Validate filled hypervisor parameters on the (vm_capable) nodes.

  @raise errors.OpPrereqError: a node refused them (or cannot be asked)

  """
  nodes = _VmCapable(lu, nodes)
  if not nodes:
    return
  answers = lu.rpc.call_hypervisor_validate_params(nodes, hvname, hvparams)
  for node in nodes:
    result = answers[node]
    if result.offline:
      continue
    result.Raise("Hypervisor parameter validation failed on node %s" % node,
                 prereq=True, ecode=errors.ECODE_INVAL)


def CheckHVParamsSyntax(hvname, hvparams):
  """Check hypervisor parameters on the master with the hypervisor class.

  @raise errors.OpPrereqError: unknown hypervisor or invalid parameters

  """
  # imported here: the hypervisor package is only needed by the LUs that
  # check parameters, not by everyone importing these helpers
  from ganeti import hypervisor
  try:
    hv_class = hypervisor.GetHypervisorClass(hvname)
    hv_class.CheckParameterSyntax(hvparams)
  except errors.HypervisorError as err:
    raise errors.OpPrereqError("Invalid hypervisor parameters for %s: %s" %
                               (hvname, err), errors.ECODE_INVAL)


def CheckNicsBridgesExist(lu, target_nics, target_node):
  """Check that the bridges of the bridged NICs exist on target_node.

  @param target_nics: objects.NIC list (parameters not yet filled)
  @raise errors.OpPrereqError: a bridge is missing (ECODE_ENVIRON)

  """
  cluster = lu.cfg.GetClusterInfo()
  bridges = []
  for nic in target_nics or []:
    filled = cluster.SimpleFillNIC(nic.nicparams)
    if filled[constants.NIC_MODE] == constants.NIC_MODE_BRIDGED:
      bridges.append(filled[constants.NIC_LINK])
  bridges = utils.UniqueSequence(bridges)
  if not bridges:
    return
  result = lu.rpc.call_bridges_exist(target_node, bridges)
  result.Raise("Error checking bridges on destination node '%s'" %
               target_node, prereq=True, ecode=errors.ECODE_ENVIRON)


def CheckInstanceBridgesExist(lu, instance, node=None):
  """`CheckNicsBridgesExist` for an instance's NICs (default: primary)."""
  if node is None:
    node = instance.primary_node
  CheckNicsBridgesExist(lu, instance.nics, node)


# -- OS ------------------------------------------------------------------------

def FindOSOnNode(lu, node, os_name):
  """The definition of an OS on a node (os_get).

  @return: dict with path, variants, parameters (names), api_versions
  @raise errors.OpPrereqError: the node cannot be asked, or the OS is
      missing or invalid there (ECODE_INVAL)

  """
  result = lu.rpc.call_os_get(node, os_name)
  result.Raise("OS '%s' not in supported OS list for node %s" %
               (os_name, node), prereq=True, ecode=errors.ECODE_INVAL)
  payload = result.payload or {}
  return {
    "path": payload.get("path"),
    "variants": list(payload.get("supported_variants") or []),
    "parameters": [param[0] if isinstance(param, (list, tuple)) else param
                   for param in payload.get("supported_parameters") or []],
    "api_versions": list(payload.get("api_versions") or []),
    }


def CheckOSVariant(os_info, name):
  """Check the variant part of an OS name against the OS's variants.

  @param os_info: an entry of `FindOSOnNode`
  @raise errors.OpPrereqError: variant missing, unexpected or unknown

  """
  variant = objects.OS.GetVariant(name)
  variants = os_info["variants"]
  if not variants or max(os_info["api_versions"] or [0]) < \
      constants.OS_API_V15:
    if variant:
      raise errors.OpPrereqError("OS '%s' doesn't support variants ('%s'"
                                 " given)" % (objects.OS.GetName(name),
                                              variant), errors.ECODE_INVAL)
    return
  if not variant:
    raise errors.OpPrereqError("OS name must include a variant",
                               errors.ECODE_INVAL)
  if variant not in variants:
    raise errors.OpPrereqError("Unsupported OS variant '%s' (supported: %s)"
                               % (variant, utils.CommaJoin(variants)),
                               errors.ECODE_INVAL)


def CheckOSParamNames(os_info, os_name, osparams):
  """Refuse OS parameters the OS does not declare.

  @raise errors.OpPrereqError: unknown parameter names

  """
  unknown = set(osparams or {}) - set(os_info["parameters"])
  if unknown:
    raise errors.OpPrereqError("The following OS parameters are not"
                               " supported by the OS %s: %s" %
                               (os_name, utils.CommaJoin(sorted(unknown))),
                               errors.ECODE_INVAL)


def GetInstanceInfoText(instance):
  """The text recorded on an instance's block devices (their owner)."""
  return "originstname+%s" % instance.name
