"""Consistency checks of the cluster configuration for ConfigWriter.

Layer 5 (master side), a helper of ``ganeti.config``. It reads a
``objects.ConfigData`` (or, before that exists, the raw dict parsed from
``config.data``) and reports what is wrong as human readable strings. It
must not modify the configuration, take locks, or do any I/O: ConfigWriter
calls it under its internal lock.
"""

import re

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils


# Keys every config.data must have at the top level, with the JSON type each
# must carry; anything else means a truncated or foreign file.
_TOP_LEVEL_TYPES = {
  "version": int,
  "cluster": dict,
  "nodes": dict,
  "instances": dict,
  "serial_no": int,
  }

# Optional top-level keys (absent before Ganeti 2.5 or in older files).
_OPTIONAL_TOP_LEVEL_TYPES = {
  "nodegroups": dict,
  "ctime": (int, float),
  "mtime": (int, float),
  }

_MAC_PREFIX_RE = re.compile(r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\Z")
_MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}\Z")

# A DRBD8 disk's logical_id: node_a, node_b, port, minor_a, minor_b, secret.
_DRBD_LOGICAL_ID_LEN = 6


def CheckConfigDict(data, filename):
  """Check the shape of a parsed ``config.data`` before building objects.

  @param data: whatever the JSON parser returned
  @param filename: the file the data came from, for the messages
  @raise errors.ConfigurationError: naming the file and the first problem

  """
  if not isinstance(data, dict):
    raise errors.ConfigurationError("Configuration file %s does not hold a"
                                    " JSON object but %s" %
                                    (filename, type(data).__name__))
  for key, wanted in _TOP_LEVEL_TYPES.items():
    if key not in data:
      raise errors.ConfigurationError("Configuration file %s lacks the"
                                      " top-level key '%s'" % (filename, key))
    _CheckTopLevelType(data, key, wanted, filename)
  for key, wanted in _OPTIONAL_TOP_LEVEL_TYPES.items():
    if key in data:
      _CheckTopLevelType(data, key, wanted, filename)
  for section in ("nodes", "instances", "nodegroups"):
    for name, value in data.get(section, {}).items():
      if not isinstance(value, dict):
        raise errors.ConfigurationError("Configuration file %s: entry '%s' of"
                                        " '%s' is %s, not an object" %
                                        (filename, name, section,
                                         type(value).__name__))


def _CheckTopLevelType(data, key, wanted, filename):
  value = data[key]
  # bool is an int subclass in Python, but never a valid serial or version
  if isinstance(value, bool) or not isinstance(value, wanted):
    raise errors.ConfigurationError("Configuration file %s: top-level key"
                                     " '%s' has the wrong type (%s)" %
                                     (filename, key, type(value).__name__))


def IsValidMACPrefix(prefix):
  """Whether ``prefix`` is three lower-case hex octets such as ``aa:00:00``."""
  return isinstance(prefix, str) and bool(_MAC_PREFIX_RE.match(prefix))


def IsValidMAC(mac):
  """Whether ``mac`` is a normalized (lower-case, colon separated) MAC."""
  return isinstance(mac, str) and bool(_MAC_RE.match(mac))


def WalkDisks(disks):
  """Yield every disk of a list and, depth first, their children."""
  for disk in disks or []:
    yield disk
    for child in WalkDisks(getattr(disk, "children", None)):
      yield child


def InstanceDRBDNodes(instance):
  """The nodes named by the DRBD disks of an instance, in order seen."""
  nodes = []
  for disk in WalkDisks(instance.disks):
    if disk.dev_type == constants.LD_DRBD8 and disk.logical_id:
      for node in disk.logical_id[:2]:
        if node not in nodes:
          nodes.append(node)
  return nodes


def InstanceSecondaryNodes(instance):
  """Secondary nodes of an instance: DRBD peers other than the primary."""
  return [node for node in InstanceDRBDNodes(instance)
          if node != instance.primary_node]


def InstanceAllNodes(instance):
  """Primary node first, then the secondaries."""
  return [instance.primary_node] + InstanceSecondaryNodes(instance)


def InstanceLVs(instance):
  """Map node name -> list of ``vg/lv`` names an instance uses on it."""
  result = {}

  def _Walk(disk, node):
    if disk.dev_type == constants.LD_LV and disk.logical_id:
      result.setdefault(node, []).append("%s/%s" % tuple(disk.logical_id[:2]))
    elif disk.dev_type == constants.LD_DRBD8 and disk.logical_id:
      # A DRBD disk's first child pair lives on both of its nodes.
      for peer in disk.logical_id[:2]:
        for child in disk.children or []:
          _Walk(child, peer)
      return
    for child in disk.children or []:
      _Walk(child, node)

  for disk in instance.disks or []:
    _Walk(disk, instance.primary_node)
  return result


def ComputeDRBDMap(data, temporary):
  """Compute the DRBD minors in use per node.

  @param data: the ConfigData
  @param temporary: dict (node, minor) -> instance name of reservations
  @return: (dict node -> {minor: instance}, list of (node, minor, inst_a,
      inst_b) duplicates)

  """
  used = dict((name, {}) for name in data.nodes)
  duplicates = []

  def _Mark(node, minor, instance_name):
    node_map = used.setdefault(node, {})
    if minor in node_map:
      duplicates.append((node, minor, instance_name, node_map[minor]))
    else:
      node_map[minor] = instance_name

  for instance in data.instances.values():
    for disk in WalkDisks(instance.disks):
      if (disk.dev_type == constants.LD_DRBD8 and disk.logical_id and
          len(disk.logical_id) >= 5):
        node_a, node_b, _, minor_a, minor_b = disk.logical_id[:5]
        _Mark(node_a, minor_a, instance.name)
        _Mark(node_b, minor_b, instance.name)
  for (node, minor), instance_name in temporary.items():
    _Mark(node, minor, instance_name)
  return used, duplicates


def ComputeUsedPorts(data):
  """Map port -> list of users (instance DRBD disks, network ports, pool)."""
  ports = {}
  for instance in data.instances.values():
    for idx, disk in enumerate(WalkDisks(instance.disks)):
      if (disk.dev_type == constants.LD_DRBD8 and disk.logical_id and
          len(disk.logical_id) >= 3):
        ports.setdefault(disk.logical_id[2], []).append(
          "instance %s disk %d" % (instance.name, idx))
    if instance.network_port is not None:
      ports.setdefault(instance.network_port, []).append(
        "instance %s network port" % instance.name)
  for port in data.cluster.tcpudp_port_pool or []:
    ports.setdefault(port, []).append("cluster port pool")
  return ports


def _CheckParamTypes(result, owner, what, params, types):
  """Type-check a parameter dict against a constants.*_PARAMETER_TYPES table."""
  if params is None:
    return
  if not isinstance(params, dict):
    result.append("%s has invalid %s: not a dict but %s" %
                  (owner, what, type(params).__name__))
    return
  unknown = sorted(set(params) - set(types))
  if unknown:
    result.append("%s has unknown %s: %s" % (owner, what, ", ".join(unknown)))
  # a fresh dict of scalars: ForceDictType only replaces its values, so the
  # configuration's own dict is left alone without a deep copy
  known = dict((key, value) for key, value in params.items() if key in types)
  try:
    utils.ForceDictType(known, types)
  except (errors.GenericError, ValueError, TypeError) as err:
    result.append("%s has invalid %s: %s" % (owner, what, err))


def _CheckHvParams(result, owner, hv_name, params, cluster_level):
  if hv_name not in constants.HYPER_TYPES:
    result.append("%s has parameters for unknown hypervisor '%s'" %
                  (owner, hv_name))
    return
  valid = constants.HVC_DEFAULTS.get(hv_name, {})
  if not isinstance(params, dict):
    result.append("%s has invalid %s parameters: not a dict" %
                  (owner, hv_name))
    return
  unknown = sorted(set(params) - set(valid))
  if unknown:
    result.append("%s has unknown %s parameters: %s" %
                  (owner, hv_name, ", ".join(unknown)))
  if not cluster_level:
    globals_given = sorted(set(params) & set(constants.HVC_GLOBALS))
    if globals_given:
      result.append("%s sets cluster-global %s parameters: %s" %
                    (owner, hv_name, ", ".join(globals_given)))
  _CheckParamTypes(result, owner, "%s parameters" % hv_name,
                   dict((k, v) for k, v in params.items() if k in valid),
                   constants.HVS_PARAMETER_TYPES)


def _CheckNicParams(result, owner, params, filled):
  _CheckParamTypes(result, owner, "nic parameters", params,
                   constants.NICS_PARAMETER_TYPES)
  try:
    objects.NIC.CheckParameterSyntax(filled)
  except errors.ConfigurationError as err:
    result.append("%s has invalid nic parameters: %s" % (owner, err))


def _CheckIPolicy(result, owner, ipolicy, group_policy):
  """Check an instance policy; a group's may be partial and has no std."""
  if ipolicy is None:
    return
  try:
    objects.InstancePolicy.CheckParameterSyntax(ipolicy, not group_policy,
                                                group_policy=group_policy)
  except errors.ConfigurationError as err:
    result.append("%s has an invalid instance policy: %s" % (owner, err))


def _VerifyCluster(result, data):
  cluster = data.cluster
  if cluster.master_node not in data.nodes:
    result.append("cluster has invalid master node '%s'" % cluster.master_node)
  else:
    master = data.nodes[cluster.master_node]
    if not master.master_candidate:
      result.append("master node '%s' is not a master candidate" % master.name)
    if master.offline or master.drained:
      result.append("master node '%s' is offline or drained" % master.name)
  if not IsValidMACPrefix(cluster.mac_prefix):
    result.append("cluster has invalid MAC prefix '%s'" % cluster.mac_prefix)
  if not cluster.enabled_hypervisors:
    result.append("cluster has no enabled hypervisors")
  for hv_name in cluster.enabled_hypervisors or []:
    if hv_name not in constants.HYPER_TYPES:
      result.append("cluster enables unknown hypervisor '%s'" % hv_name)
  for hv_name, params in (cluster.hvparams or {}).items():
    _CheckHvParams(result, "cluster", hv_name, params, True)
  for group_name, params in (cluster.beparams or {}).items():
    _CheckParamTypes(result, "cluster", "backend parameters (%s)" % group_name,
                     params, constants.BES_PARAMETER_TYPES)
  cluster_nic = (cluster.nicparams or {}).get(constants.PP_DEFAULT)
  _CheckNicParams(result, "cluster", cluster_nic, cluster_nic)
  _CheckParamTypes(result, "cluster", "node parameters", cluster.ndparams,
                   constants.NDS_PARAMETER_TYPES)
  _CheckIPolicy(result, "cluster", cluster.ipolicy, False)
  if (isinstance(cluster.candidate_pool_size, bool) or
      not isinstance(cluster.candidate_pool_size, int) or
      cluster.candidate_pool_size < 1):
    result.append("cluster has invalid candidate_pool_size %r" %
                  (cluster.candidate_pool_size, ))


def _VerifyNodes(result, data):
  for key, node in data.nodes.items():
    if key != node.name:
      result.append("node '%s' is indexed under the wrong name '%s'" %
                    (node.name, key))
    owner = "node '%s'" % node.name
    if not node.primary_ip:
      result.append("%s has no primary IP" % owner)
    flags = [node.master_candidate, node.drained, node.offline]
    if sum(1 for flag in flags if flag) > 1:
      result.append("%s state is invalid: master_candidate=%s, drained=%s,"
                    " offline=%s" % (owner, node.master_candidate,
                                     node.drained, node.offline))
    if node.master_candidate and not node.master_capable:
      result.append("%s is a master candidate but not master capable" % owner)
    if node.group not in data.nodegroups:
      result.append("%s has invalid node group '%s'" % (owner, node.group))
    elif node.name not in data.nodegroups[node.group].members:
      result.append("%s is missing from the member list of its node group"
                    " '%s'" % (owner, data.nodegroups[node.group].name))
    _CheckParamTypes(result, owner, "node parameters", node.ndparams,
                     constants.NDS_PARAMETER_TYPES)


def _VerifyGroups(result, data):
  if not data.nodegroups:
    result.append("no node groups defined (a default group must exist)")
  seen_names = {}
  for key, group in data.nodegroups.items():
    owner = "node group '%s' (UUID %s)" % (group.name, group.uuid)
    if key != group.uuid:
      result.append("%s is indexed under the wrong UUID '%s'" % (owner, key))
    if not group.name:
      result.append("node group with UUID %s has no name" % group.uuid)
    if group.name in seen_names:
      result.append("duplicate node group name '%s' (UUIDs %s and %s)" %
                    (group.name, seen_names[group.name], group.uuid))
    seen_names[group.name] = group.uuid
    for member in group.members or []:
      if member not in data.nodes:
        result.append("%s lists unknown member node '%s'" % (owner, member))
      elif data.nodes[member].group != key:
        result.append("%s lists node '%s' which belongs to group '%s'" %
                      (owner, member, data.nodes[member].group))
    if len(set(group.members or [])) != len(group.members or []):
      result.append("%s lists a member more than once" % owner)
    _CheckParamTypes(result, owner, "node parameters", group.ndparams,
                     constants.NDS_PARAMETER_TYPES)
    _CheckIPolicy(result, owner, group.ipolicy, True)
    if group.alloc_policy not in constants.VALID_ALLOC_POLICIES:
      result.append("%s has invalid allocation policy '%s'" %
                    (owner, group.alloc_policy))


def _VerifyInstanceDisks(result, instance, owner):
  for idx, disk in enumerate(instance.disks or []):
    for msg in disk.Verify():
      result.append("%s disk %d: %s" % (owner, idx, msg))
  drbd_nodes = set()
  for disk in WalkDisks(instance.disks):
    if (disk.dev_type == constants.LD_DRBD8 and
        isinstance(disk.logical_id, tuple) and
        len(disk.logical_id) == _DRBD_LOGICAL_ID_LEN):
      drbd_nodes.update(disk.logical_id[:2])
      if disk.logical_id[0] == disk.logical_id[1]:
        result.append("%s has a DRBD disk with both ends on node '%s'" %
                      (owner, disk.logical_id[0]))
  if (instance.disk_template == constants.DT_DRBD8 and drbd_nodes and
      instance.primary_node not in drbd_nodes):
    result.append("%s: primary node '%s' is not an end of its DRBD disks" %
                  (owner, instance.primary_node))


def _VerifyInstances(result, data):
  cluster = data.cluster
  seen_macs = {}
  for key, instance in data.instances.items():
    owner = "instance '%s'" % instance.name
    if key != instance.name:
      result.append("%s is indexed under the wrong name '%s'" % (owner, key))
    if instance.primary_node not in data.nodes:
      result.append("%s has invalid primary node '%s'" %
                    (owner, instance.primary_node))
    secondaries = InstanceSecondaryNodes(instance)
    for snode in secondaries:
      if snode not in data.nodes:
        result.append("%s has invalid secondary node '%s'" % (owner, snode))
    for node_name in [instance.primary_node] + secondaries:
      node = data.nodes.get(node_name)
      if node is not None and node.group not in data.nodegroups:
        result.append("%s uses node '%s' of unknown node group '%s'" %
                      (owner, node_name, node.group))
    if instance.admin_state not in constants.ADMINST_ALL:
      result.append("%s has invalid admin state '%s'" %
                    (owner, instance.admin_state))
    if instance.disk_template not in constants.DISK_TEMPLATES:
      result.append("%s has unknown disk template '%s'" %
                    (owner, instance.disk_template))
    if instance.hypervisor not in constants.HYPER_TYPES:
      result.append("%s has unknown hypervisor '%s'" %
                    (owner, instance.hypervisor))
    elif instance.hypervisor not in (cluster.enabled_hypervisors or []):
      result.append("%s uses hypervisor '%s' which is not enabled" %
                    (owner, instance.hypervisor))
    else:
      _CheckHvParams(result, owner, instance.hypervisor,
                     instance.hvparams or {}, False)
    _CheckParamTypes(result, owner, "backend parameters", instance.beparams,
                     constants.BES_PARAMETER_TYPES)
    _VerifyInstanceNics(result, data, instance, owner, seen_macs)
    _VerifyInstanceDisks(result, instance, owner)


def _VerifyInstanceNics(result, data, instance, owner, seen_macs):
  cluster_nic = (data.cluster.nicparams or {}).get(constants.PP_DEFAULT, {})
  for idx, nic in enumerate(instance.nics or []):
    what = "%s nic %d" % (owner, idx)
    if not IsValidMAC(nic.mac):
      result.append("%s has invalid MAC address '%s'" % (what, nic.mac))
    elif nic.mac in seen_macs:
      result.append("MAC address %s is used by both %s and %s" %
                    (nic.mac, seen_macs[nic.mac], what))
    else:
      seen_macs[nic.mac] = what
    filled = dict(cluster_nic)
    if isinstance(nic.nicparams, dict):
      filled.update(nic.nicparams)
    _CheckNicParams(result, what, nic.nicparams, filled)


def _VerifyResources(result, data):
  used, duplicates = ComputeDRBDMap(data, {})
  for node, minor, inst_a, inst_b in duplicates:
    result.append("DRBD minor %s on node '%s' is used by both instance '%s'"
                  " and instance '%s'" % (minor, node, inst_a, inst_b))
  for node in sorted(set(used) - set(data.nodes)):
    result.append("DRBD minors are allocated on unknown node '%s'" % node)
  ports = ComputeUsedPorts(data)
  for port, users in sorted(ports.items(), key=lambda item: str(item[0])):
    if len(users) > 1:
      result.append("tcp/udp port %s is used more than once: %s" %
                    (port, ", ".join(users)))
  highest = data.cluster.highest_used_port
  numeric = [port for port in ports
             if isinstance(port, int) and not isinstance(port, bool)]
  if numeric and max(numeric) > highest:
    result.append("highest used port mismatch: saved %s, found %s in use" %
                  (highest, max(numeric)))
  lv_users = {}
  for instance in data.instances.values():
    for node, lvs in InstanceLVs(instance).items():
      for lv_name in lvs:
        key = (node, lv_name)
        if key in lv_users and lv_users[key] != instance.name:
          result.append("logical volume %s on node '%s' is used by instance"
                        " '%s' and instance '%s'" %
                        (lv_name, node, lv_users[key], instance.name))
        lv_users.setdefault(key, instance.name)


def _VerifyUUIDs(result, data):
  owners = {}
  objects_with_uuid = ([("cluster", data.cluster)] +
                       [("node '%s'" % n.name, n) for n in data.nodes.values()] +
                       [("node group '%s'" % g.name, g)
                        for g in data.nodegroups.values()] +
                       [("instance '%s'" % i.name, i)
                        for i in data.instances.values()])
  for owner, obj in objects_with_uuid:
    if not obj.uuid:
      result.append("%s has no UUID" % owner)
    elif obj.uuid in owners:
      result.append("UUID %s is used by both %s and %s" %
                    (obj.uuid, owners[obj.uuid], owner))
    else:
      owners[obj.uuid] = owner


def VerifyConfigData(data):
  """List every inconsistency found in a configuration.

  @type data: L{objects.ConfigData}
  @rtype: list of str
  @return: one human readable message per problem; empty when consistent

  """
  result = []
  _VerifyCluster(result, data)
  _VerifyNodes(result, data)
  _VerifyGroups(result, data)
  _VerifyInstances(result, data)
  _VerifyResources(result, data)
  _VerifyUUIDs(result, data)
  return result
