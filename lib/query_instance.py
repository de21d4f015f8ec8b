"""query2 fields of the instance resource (query.md 6.2).

Layer 2 (model).  Configuration values come from the objects in
L{InstanceQueryData}; live values (running state, memory, console, disk
usage) only from what the master collected into it, announced by the IQ_*
data kinds.  Nothing here talks to nodes.

"""

from typing import Any, Dict, Iterator, List, Optional

from ganeti import constants
from ganeti import objects
from ganeti.query_base import Field, NODATA, OFFLINE, UNAVAIL

#: Instance data kinds (what L{Query.RequestedData} may announce)
IQ_CONFIG = "instance-config"
IQ_LIVE = "instance-live"
IQ_DISKUSAGE = "instance-diskusage"
IQ_CONSOLE = "instance-console"
IQ_NODES = "instance-nodes"

#: Parameter type -> field kind for hv/, be/ and ndp/ fields (6.2)
VTYPE_TO_QFT = {
  constants.VTYPE_STRING: constants.QFT_OTHER,
  constants.VTYPE_MAYBE_STRING: constants.QFT_OTHER,
  constants.VTYPE_BOOL: constants.QFT_BOOL,
  constants.VTYPE_SIZE: constants.QFT_UNIT,
  constants.VTYPE_INT: constants.QFT_NUMBER,
  }


class InstanceQueryData:
  """What the master gathered for an instance query; iterates instances.

  @ivar instances: L{objects.Instance} list, in output order when names
      were requested
  @ivar cluster: L{objects.Cluster} (parameter defaults)
  @ivar disk_usage: instance name -> MiB used (IQ_DISKUSAGE), or None
  @ivar offline_nodes: names of nodes marked offline
  @ivar bad_nodes: names of nodes that did not answer (includes offline)
  @ivar live_data: instance name -> dict with "memory" and "vcpus" for
      instances found running on their primary node (IQ_LIVE)
  @ivar wrongnode_inst: names of instances running on another node
  @ivar console: instance name -> console dict of running ones (IQ_CONSOLE)
  @ivar nodes: node name -> L{objects.Node} (IQ_NODES)
  @ivar groups: group UUID -> L{objects.NodeGroup} (IQ_NODES)

  """
  def __init__(self, instances: List[objects.Instance],
               cluster: objects.Cluster,
               disk_usage: Optional[Dict[str, int]] = None,
               offline_nodes: Optional[List[str]] = None,
               bad_nodes: Optional[List[str]] = None,
               live_data: Optional[Dict[str, Dict[str, Any]]] = None,
               wrongnode_inst: Optional[List[str]] = None,
               console: Optional[Dict[str, Any]] = None,
               nodes: Optional[Dict[str, objects.Node]] = None,
               groups: Optional[Dict[str, objects.NodeGroup]] = None):
    self.instances = instances
    self.cluster = cluster
    self.disk_usage = disk_usage
    self.offline_nodes = frozenset(offline_nodes or [])
    # An offline node never answers; keeping it "bad" too lets getters test
    # offline first and unreachable second
    self.bad_nodes = frozenset(bad_nodes or []) | self.offline_nodes
    self.live_data = live_data
    self.wrongnode_inst = frozenset(wrongnode_inst or [])
    self.console = console
    self.nodes = nodes
    self.groups = groups

  def __iter__(self) -> Iterator[objects.Instance]:
    return iter(self.instances)


def _Config(name, title, kind, doc, getter, data=(IQ_CONFIG, ),
            hostname=False):
  return Field(name, title, kind, doc, data, getter, hostname=hostname)


# --- Live state --------------------------------------------------------------

def _GetOperState(ctx, inst):
  if inst.primary_node in ctx.bad_nodes:
    return NODATA
  return bool((ctx.live_data or {}).get(inst.name))


def _GetLiveValue(key):
  def fn(ctx, inst):
    if inst.primary_node in ctx.offline_nodes:
      return OFFLINE
    if inst.primary_node in ctx.bad_nodes:
      return NODATA
    data = (ctx.live_data or {}).get(inst.name)
    if not data or data.get(key) is None:
      return UNAVAIL
    return data[key]
  return fn


def _GetStatus(ctx, inst):
  """The combined state (query.md 6.2), checked in the spec's order."""
  if inst.primary_node in ctx.offline_nodes:
    return constants.INSTST_NODEOFFLINE
  if inst.primary_node in ctx.bad_nodes:
    return constants.INSTST_NODEDOWN
  if (ctx.live_data or {}).get(inst.name):
    if inst.name in ctx.wrongnode_inst:
      return constants.INSTST_WRONGNODE
    if inst.admin_state == constants.ADMINST_UP:
      return constants.INSTST_RUNNING
    return constants.INSTST_ERRORUP
  if inst.admin_state == constants.ADMINST_UP:
    return constants.INSTST_ERRORDOWN
  if inst.admin_state == constants.ADMINST_DOWN:
    return constants.INSTST_ADMINDOWN
  return constants.INSTST_ADMINOFFLINE


def _GetConsole(ctx, inst):
  value = (ctx.console or {}).get(inst.name)
  if value is None:
    return UNAVAIL
  if isinstance(value, objects.ConfigObject):
    return value.ToDict()
  return value


def _GetDiskUsage(ctx, inst):
  value = (ctx.disk_usage or {}).get(inst.name)
  if value is None:
    return UNAVAIL
  return value


# --- Nodes and groups --------------------------------------------------------

def _NodeGroupUuid(ctx, node_name):
  node = (ctx.nodes or {}).get(node_name)
  return None if node is None else node.group


def _NodeGroupName(ctx, node_name):
  group = (ctx.groups or {}).get(_NodeGroupUuid(ctx, node_name))
  return None if group is None else group.name


def _PnodeGroup(lookup):
  def fn(ctx, inst):
    value = lookup(ctx, inst.primary_node)
    return UNAVAIL if value is None else value
  return fn


def _SnodesGroup(lookup):
  return lambda ctx, inst: [lookup(ctx, node)
                            for node in inst.secondary_nodes]


# --- Disks and NICs ----------------------------------------------------------

def _GetIndexed(attr_list, index, convert):
  def fn(ctx, inst):
    items = getattr(inst, attr_list) or []
    if index >= len(items):
      return UNAVAIL
    return convert(ctx, items[index])
  return fn


def _NicParams(ctx, nic):
  return ctx.cluster.SimpleFillNIC(nic.nicparams)


def _NicBridge(ctx, nic):
  params = _NicParams(ctx, nic)
  if params.get(constants.NIC_MODE) == constants.NIC_MODE_BRIDGED:
    return params.get(constants.NIC_LINK)
  return None


_NIC_ATTRS = [
  # (plural name, singular name, list title, item title, doc, convert)
  ("macs", "mac", "NIC_MACs", "NicMAC", "MAC address",
   lambda ctx, nic: nic.mac),
  ("ips", "ip", "NIC_IPs", "NicIP", "IP address",
   lambda ctx, nic: nic.ip),
  ("modes", "mode", "NIC_modes", "NicMode", "Mode",
   lambda ctx, nic: _NicParams(ctx, nic).get(constants.NIC_MODE)),
  ("links", "link", "NIC_links", "NicLink", "Link",
   lambda ctx, nic: _NicParams(ctx, nic).get(constants.NIC_LINK)),
  ("bridges", "bridge", "NIC_bridges", "NicBridge",
   "Bridge (None for non-bridged NICs)", _NicBridge),
  ]


def _DiskAndNicFields() -> List[Field]:
  fields = [
    _Config("disk.count", "Disks", constants.QFT_NUMBER, "Number of disks",
            lambda ctx, inst: len(inst.disks or [])),
    _Config("disk.sizes", "Disk_sizes", constants.QFT_OTHER,
            "List of disk sizes",
            lambda ctx, inst: [disk.size for disk in inst.disks or []]),
    _Config("nic.count", "NICs", constants.QFT_NUMBER,
            "Number of network interfaces",
            lambda ctx, inst: len(inst.nics or [])),
    ]
  for index in range(constants.MAX_DISKS):
    fields.append(_Config("disk.size/%d" % index, "Disk/%d" % index,
                          constants.QFT_UNIT,
                          "Disk size of %s disk" % _Ordinal(index + 1),
                          _GetIndexed("disks", index,
                                      lambda ctx, disk: disk.size)))
  for (plural, single, ltitle, ititle, doc, convert) in _NIC_ATTRS:
    fields.append(_Config(
      "nic.%s" % plural, ltitle, constants.QFT_OTHER,
      "List containing each network interface's %s" % doc.lower(),
      (lambda conv: lambda ctx, inst: [conv(ctx, nic)
                                       for nic in inst.nics or []])(convert)))
    for index in range(constants.MAX_NICS):
      fields.append(_Config(
        "nic.%s/%d" % (single, index), "%s/%d" % (ititle, index),
        constants.QFT_TEXT,
        "%s of %s network interface" % (doc, _Ordinal(index + 1)),
        _GetIndexed("nics", index, convert)))
  return fields


def _Ordinal(value: int) -> str:
  suffix = "th"
  if value % 100 not in (11, 12, 13):
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
  return "%d%s" % (value, suffix)


# --- Parameters --------------------------------------------------------------

def _ParamGetter(fill, key):
  def fn(ctx, inst):
    params = fill(ctx, inst)
    if key not in params:
      # The parameter belongs to another hypervisor
      return UNAVAIL
    return params[key]
  return fn


def _FillHv(ctx, inst):
  return ctx.cluster.FillHV(inst, skip_globals=True)


def _FillBe(ctx, inst):
  return ctx.cluster.FillBE(inst)


def _ParameterFields() -> List[Field]:
  fields = [
    _Config("hvparams", "HypervisorParameters", constants.QFT_OTHER,
            "Hypervisor parameters (merged)", _FillHv),
    _Config("custom_hvparams", "CustomHypervisorParameters",
            constants.QFT_OTHER, "Custom hypervisor parameters",
            lambda ctx, inst: inst.hvparams or {}),
    _Config("beparams", "BackendParameters", constants.QFT_OTHER,
            "Backend parameters (merged)", _FillBe),
    _Config("custom_beparams", "CustomBackendParameters",
            constants.QFT_OTHER, "Custom backend parameters",
            lambda ctx, inst: inst.beparams or {}),
    _Config("osparams", "OpSysParameters", constants.QFT_OTHER,
            "Operating system parameters (merged)",
            lambda ctx, inst: ctx.cluster.SimpleFillOS(inst.os,
                                                       inst.osparams)),
    _Config("custom_osparams", "CustomOpSysParameters", constants.QFT_OTHER,
            "Custom operating system parameters",
            lambda ctx, inst: inst.osparams or {}),
    _Config("custom_nicparams", "CustomNicParameters", constants.QFT_OTHER,
            "Custom network interface parameters",
            lambda ctx, inst: [nic.nicparams or {}
                               for nic in inst.nics or []]),
    ]
  for name in sorted(constants.HVS_PARAMETERS - constants.HVC_GLOBALS):
    fields.append(_Config(
      "hv/%s" % name,
      constants.HVS_PARAMETER_TITLES.get(name, "hv/%s" % name),
      VTYPE_TO_QFT[constants.HVS_PARAMETER_TYPES[name]],
      "The \"%s\" hypervisor parameter" % name, _ParamGetter(_FillHv, name)))
  for name in sorted(constants.BES_PARAMETERS):
    fields.append(_Config(
      "be/%s" % name,
      constants.BES_PARAMETER_TITLES.get(name, "be/%s" % name),
      VTYPE_TO_QFT[constants.BES_PARAMETER_TYPES[name]],
      "The \"%s\" backend parameter" % name, _ParamGetter(_FillBe, name)))
  return fields


# --- The table ---------------------------------------------------------------

def _AdminUp(ctx, inst):
  return inst.admin_state == constants.ADMINST_UP


def _GeneralFields() -> List[Field]:
  text, other = constants.QFT_TEXT, constants.QFT_OTHER
  return [
    _Config("name", "Instance", text, "Instance name",
            lambda ctx, inst: inst.name, hostname=True),
    _Config("uuid", "UUID", text, "Instance UUID",
            lambda ctx, inst: inst.uuid),
    _Config("os", "OS", text, "Operating system",
            lambda ctx, inst: inst.os),
    _Config("hypervisor", "Hypervisor", text, "Hypervisor name",
            lambda ctx, inst: inst.hypervisor),
    _Config("disk_template", "Disk_template", text,
            "Instance disk template", lambda ctx, inst: inst.disk_template),
    _Config("pnode", "Primary_node", text, "Primary node",
            lambda ctx, inst: inst.primary_node, hostname=True),
    _Config("pnode.group", "PrimaryNodeGroup", text,
            "Primary node's group", _PnodeGroup(_NodeGroupName),
            data=(IQ_CONFIG, IQ_NODES)),
    _Config("pnode.group.uuid", "PrimaryNodeGroupUUID", text,
            "Primary node's group UUID", _PnodeGroup(_NodeGroupUuid),
            data=(IQ_CONFIG, IQ_NODES)),
    _Config("snodes", "Secondary_Nodes", other, "Secondary nodes",
            lambda ctx, inst: list(inst.secondary_nodes)),
    _Config("snodes.group", "SecondaryNodesGroups", other,
            "Node groups of secondary nodes", _SnodesGroup(_NodeGroupName),
            data=(IQ_CONFIG, IQ_NODES)),
    _Config("snodes.group.uuid", "SecondaryNodesGroupsUUID", other,
            "Node group UUIDs of secondary nodes",
            _SnodesGroup(_NodeGroupUuid), data=(IQ_CONFIG, IQ_NODES)),
    _Config("admin_state", "InstanceState", text,
            "Desired state of the instance",
            lambda ctx, inst: inst.admin_state),
    _Config("admin_up", "Autostart", constants.QFT_BOOL,
            "Desired state of the instance is up", _AdminUp),
    _Config("oper_state", "Running", constants.QFT_BOOL,
            "Actual state of the instance", _GetOperState,
            data=(IQ_CONFIG, IQ_LIVE)),
    _Config("oper_ram", "Memory", constants.QFT_UNIT,
            "Actual memory usage as seen by the hypervisor",
            _GetLiveValue("memory"), data=(IQ_CONFIG, IQ_LIVE)),
    _Config("oper_vcpus", "VCPUs", constants.QFT_NUMBER,
            "Actual number of VCPUs as seen by the hypervisor",
            _GetLiveValue("vcpus"), data=(IQ_CONFIG, IQ_LIVE)),
    _Config("status", "Status", text,
            "Instance status; \"running\" if it runs as wanted, otherwise"
            " ADMIN_down, ADMIN_offline or an ERROR_ state",
            _GetStatus, data=(IQ_CONFIG, IQ_LIVE)),
    _Config("console", "Console", other, "Instance console information",
            _GetConsole, data=(IQ_CONFIG, IQ_CONSOLE)),
    _Config("network_port", "Network_port", other,
            "Instance network port if available (e.g. for VNC console)",
            lambda ctx, inst: inst.network_port),
    _Config("disk_usage", "DiskUsage", constants.QFT_UNIT,
            "Total disk space used by instance on each of its nodes;"
            " this is not the disk size visible to the instance",
            _GetDiskUsage, data=(IQ_CONFIG, IQ_DISKUSAGE)),
    _Config("tags", "Tags", other, "Tags",
            lambda ctx, inst: sorted(inst.GetTags())),
    _Config("ctime", "CTime", constants.QFT_TIMESTAMP, "Creation timestamp",
            lambda ctx, inst: _Timestamp(inst.ctime)),
    _Config("mtime", "MTime", constants.QFT_TIMESTAMP,
            "Modification timestamp",
            lambda ctx, inst: _Timestamp(inst.mtime)),
    _Config("serial_no", "SerialNo", constants.QFT_NUMBER,
            "Instance object serial number, incremented on each"
            " modification", lambda ctx, inst: inst.serial_no),
    ]


def _Timestamp(value):
  return UNAVAIL if value is None else value


#: Alias name -> (field it repeats, doc)
_ALIASES = [
  ("ip", "nic.ip/0"), ("mac", "nic.mac/0"), ("bridge", "nic.bridge/0"),
  ("nic_mode", "nic.mode/0"), ("nic_link", "nic.link/0"),
  ("sda_size", "disk.size/0"), ("sdb_size", "disk.size/1"),
  ("vcpus", "be/vcpus"), ("be/memory", "be/maxmem"),
  ]


def BuildInstanceFields() -> List[Field]:
  """Every instance field: general, disks, NICs, parameters, aliases."""
  fields = _GeneralFields() + _DiskAndNicFields() + _ParameterFields()
  by_name = dict((field.name, field) for field in fields)
  for (alias, target) in _ALIASES:
    fields.append(by_name[target].Renamed(
      alias, doc="%s (alias of %s)" % (by_name[target].doc, target)))
  return fields
