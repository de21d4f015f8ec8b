"""The query2 framework: field tables of every resource (query.md 1-3, 6).

Layer 2 (model).  Each resource has a table of fields (name, title, kind,
doc, the kinds of data it needs and a getter) and a data container the
master fills with what L{Query.RequestedData} asks for: configuration
objects, live node data, lock and job information.  This module never
gathers anything itself: no config, RPC, locks or job queue imports.

Use::

  q = query.Query(query.NODE_FIELDS, ["name", "mfree"], qfilter, "name")
  if query.NQ_LIVE in q.RequestedData(): ...  # ask the nodes
  rows = q.Query(query.NodeQueryData(...))

"""

import platform
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti.query_base import (  # pylint: disable=unused-import
  Field, Query, QueryFields, GetQueryResponse, BuildFieldMap, ValueToResult,
  RequestedNamesFromFilter, NameSortKey, UNKNOWN, NODATA, UNAVAIL, OFFLINE)
from ganeti.query_instance import (  # pylint: disable=unused-import
  InstanceQueryData, BuildInstanceFields, VTYPE_TO_QFT,
  IQ_CONFIG, IQ_LIVE, IQ_DISKUSAGE, IQ_CONSOLE, IQ_NODES)

#: Node data kinds
NQ_CONFIG = "node-config"
NQ_INST = "node-instances"
NQ_LIVE = "node-live"
NQ_GROUP = "node-group"
NQ_OOB = "node-oob"

#: Group data kinds
GQ_CONFIG = "group-config"
GQ_NODE = "group-nodes"
GQ_INST = "group-instances"

#: Cluster data kinds
CQ_CONFIG = "cluster-config"
CQ_QUEUE_DRAINED = "cluster-queue-drained"
CQ_WATCHER_PAUSE = "cluster-watcher-pause"

#: Lock data kinds: the same strings locking's GetLockInfo(requested) takes
LQ_MODE = "mode"
LQ_OWNER = "owner"
LQ_PENDING = "pending"

#: Job data kind (jobs are loaded whole)
JQ_JOB = "job"

#: OS and export data kinds (one source each)
OQ_DIAGNOSE = "os-diagnose"
EQ_EXPORTS = "export-list"


def _Timestamp(value):
  return UNAVAIL if value is None else value


def _Tags(ctx, obj):
  return sorted(obj.GetTags())


def _CommonFields(kind, data) -> List[Field]:
  """tags, ctime, mtime and serial_no, shared by nodes, groups, instances."""
  return [
    Field("tags", "Tags", constants.QFT_OTHER, "Tags", data, _Tags),
    Field("ctime", "CTime", constants.QFT_TIMESTAMP, "Creation timestamp",
          data, lambda ctx, obj: _Timestamp(obj.ctime)),
    Field("mtime", "MTime", constants.QFT_TIMESTAMP,
          "Modification timestamp", data,
          lambda ctx, obj: _Timestamp(obj.mtime)),
    Field("serial_no", "SerialNo", constants.QFT_NUMBER,
          "%s object serial number, incremented on each modification" % kind,
          data, lambda ctx, obj: obj.serial_no),
    ]


# --- node --------------------------------------------------------------------

class NodeQueryData:
  """What the master gathered for a node query; iterates the nodes.

  @ivar nodes: L{objects.Node} list, in output order when names were
      requested
  @ivar live_data: node name -> flat dict of the node_info answer (keys
      bootid, cpu_total, cpu_nodes, cpu_sockets, vg_size, vg_free,
      memory_total, memory_dom0, memory_free; the first volume group's
      figures flattened) or None for a node that did not answer (NQ_LIVE)
  @ivar master_name: the master node's name
  @ivar node_to_primary: node name -> names of its primary instances
  @ivar node_to_secondary: node name -> names of its secondary instances
  @ivar groups: group UUID -> L{objects.NodeGroup} (NQ_GROUP)
  @ivar oob_support: node name -> bool, has an out-of-band program (NQ_OOB)
  @ivar cluster: L{objects.Cluster} (NQ_GROUP, for parameters)

  """
  def __init__(self, nodes: List[objects.Node],
               live_data: Optional[Dict[str, Optional[Dict[str, Any]]]],
               master_name: Optional[str],
               node_to_primary: Optional[Dict[str, Any]],
               node_to_secondary: Optional[Dict[str, Any]],
               groups: Optional[Dict[str, objects.NodeGroup]],
               oob_support: Optional[Dict[str, bool]],
               cluster: Optional[objects.Cluster]):
    self.nodes = nodes
    self.live_data = live_data
    self.master_name = master_name
    self.node_to_primary = node_to_primary
    self.node_to_secondary = node_to_secondary
    self.groups = groups
    self.oob_support = oob_support
    self.cluster = cluster
    self._ndparams: Dict[str, Dict[str, Any]] = {}

  def __iter__(self) -> Iterator[objects.Node]:
    return iter(self.nodes)

  def GetGroup(self, node: objects.Node) -> Optional[objects.NodeGroup]:
    return (self.groups or {}).get(node.group)

  def GetNdParams(self, node: objects.Node) -> Optional[Dict[str, Any]]:
    """Effective node parameters (cluster < group < node), cached."""
    if node.name not in self._ndparams:
      group = self.GetGroup(node)
      if group is None or self.cluster is None:
        return None
      self._ndparams[node.name] = self.cluster.FillND(node, group)
    return self._ndparams[node.name]


def _GetNodeRole(ctx, node):
  """The role letter, checked master, candidate, drained, offline (6.1)."""
  if node.name == ctx.master_name:
    return constants.NR_MASTER
  if node.master_candidate:
    return constants.NR_MCANDIDATE
  if node.drained:
    return constants.NR_DRAINED
  if node.offline:
    return constants.NR_OFFLINE
  return constants.NR_REGULAR


def _GetNodeGroupName(ctx, node):
  group = ctx.GetGroup(node)
  return UNAVAIL if group is None else group.name


def _GetNodePowered(ctx, node):
  # Only nodes with an out-of-band program know their power state
  if not (ctx.oob_support or {}).get(node.name):
    return UNAVAIL
  return bool(node.powered)


def _NodeInstances(attr, count):
  def fn(ctx, node):
    names = (getattr(ctx, attr) or {}).get(node.name) or []
    if count:
      return len(names)
    return utils.NiceSort(names)
  return fn


def _GetNdParams(ctx, node):
  params = ctx.GetNdParams(node)
  return UNAVAIL if params is None else params


def _GetNdParam(name):
  def fn(ctx, node):
    params = ctx.GetNdParams(node)
    if params is None or name not in params:
      return UNAVAIL
    return params[name]
  return fn


def _GetStaticState(attr):
  def fn(ctx, obj):
    value = getattr(obj, attr)
    return UNAVAIL if value is None else value
  return fn


def _GetNodeLive(key, convert):
  """Getter of a live node value; statuses as query.md 6.1 says."""
  def fn(ctx, node):
    if node.offline:
      return OFFLINE
    if not node.vm_capable:
      return UNAVAIL
    data = (ctx.live_data or {}).get(node.name)
    if data is None:
      return NODATA
    value = data.get(key)
    if value is None:
      return UNAVAIL
    try:
      return convert(value)
    except (TypeError, ValueError):
      return UNAVAIL
  return fn


#: Live node fields: (name, title, kind, node_info key, doc)
_NODE_LIVE = [
  ("bootid", "BootID", constants.QFT_TEXT, "bootid",
   "Random UUID renewed for each system reboot, can be used for detecting"
   " reboots by tracking changes"),
  ("ctotal", "CTotal", constants.QFT_NUMBER, "cpu_total",
   "Number of logical processors"),
  ("cnodes", "CNodes", constants.QFT_NUMBER, "cpu_nodes",
   "Number of NUMA domains on node (if exported by hypervisor)"),
  ("csockets", "CSockets", constants.QFT_NUMBER, "cpu_sockets",
   "Number of physical CPU sockets (if exported by hypervisor)"),
  ("dtotal", "DTotal", constants.QFT_UNIT, "vg_size",
   "Total disk space in volume group"),
  ("dfree", "DFree", constants.QFT_UNIT, "vg_free",
   "Available disk space in volume group"),
  ("mtotal", "MTotal", constants.QFT_UNIT, "memory_total",
   "Total amount of memory of physical machine"),
  ("mnode", "MNode", constants.QFT_UNIT, "memory_dom0",
   "Amount of memory used by node (dom0 for Xen)"),
  ("mfree", "MFree", constants.QFT_UNIT, "memory_free",
   "Amount of memory available for instances"),
  ]


def _Attr(attr):
  return lambda ctx, obj: getattr(obj, attr)


def _BuildNodeFields() -> List[Field]:
  cfg, text, flag = (NQ_CONFIG, ), constants.QFT_TEXT, constants.QFT_BOOL
  fields = [
    Field("name", "Node", text, "Node name", cfg, _Attr("name"),
          hostname=True),
    Field("uuid", "UUID", text, "Node UUID", cfg, _Attr("uuid")),
    Field("pip", "PrimaryIP", text, "Primary IP address", cfg,
          _Attr("primary_ip")),
    Field("sip", "SecondaryIP", text, "Secondary IP address", cfg,
          _Attr("secondary_ip")),
    Field("group", "Group", text, "Node group", (NQ_CONFIG, NQ_GROUP),
          _GetNodeGroupName),
    Field("group.uuid", "GroupUUID", text, "UUID of node group", cfg,
          _Attr("group")),
    Field("role", "Role", text,
          "Node role; \"M\" for master, \"C\" for master candidate, \"D\""
          " for drained, \"O\" for offline, \"R\" for regular", cfg,
          _GetNodeRole),
    Field("master", "IsMaster", flag, "Whether node is master", cfg,
          lambda ctx, node: node.name == ctx.master_name),
    Field("master_candidate", "MasterC", flag,
          "Whether node is a master candidate", cfg,
          lambda ctx, node: bool(node.master_candidate)),
    Field("master_capable", "MasterCapable", flag,
          "Whether node can become a master candidate", cfg,
          lambda ctx, node: bool(node.master_capable)),
    Field("vm_capable", "VMCapable", flag,
          "Whether node can host instances", cfg,
          lambda ctx, node: bool(node.vm_capable)),
    Field("offline", "Offline", flag, "Whether node is marked offline", cfg,
          lambda ctx, node: bool(node.offline)),
    Field("drained", "Drained", flag, "Whether node is drained", cfg,
          lambda ctx, node: bool(node.drained)),
    Field("powered", "Powered", flag,
          "Whether node is thought to be powered on", (NQ_CONFIG, NQ_OOB),
          _GetNodePowered),
    Field("pinst_cnt", "Pinst", constants.QFT_NUMBER,
          "Number of instances with this node as primary", (NQ_INST, ),
          _NodeInstances("node_to_primary", True)),
    Field("sinst_cnt", "Sinst", constants.QFT_NUMBER,
          "Number of instances with this node as secondary", (NQ_INST, ),
          _NodeInstances("node_to_secondary", True)),
    Field("pinst_list", "PriInstances", constants.QFT_OTHER,
          "List of instances with this node as primary", (NQ_INST, ),
          _NodeInstances("node_to_primary", False)),
    Field("sinst_list", "SecInstances", constants.QFT_OTHER,
          "List of instances with this node as secondary", (NQ_INST, ),
          _NodeInstances("node_to_secondary", False)),
    Field("ndparams", "NodeParameters", constants.QFT_OTHER,
          "Node parameters (merged)", (NQ_CONFIG, NQ_GROUP), _GetNdParams),
    Field("custom_ndparams", "CustomNodeParameters", constants.QFT_OTHER,
          "Custom node parameters", cfg,
          lambda ctx, node: node.ndparams or {}),
    Field("hv_state", "HypervisorState", constants.QFT_OTHER,
          "Static hypervisor state", cfg, _GetStaticState("hv_state_static")),
    Field("disk_state", "DiskState", constants.QFT_OTHER,
          "Static disk state", cfg, _GetStaticState("disk_state_static")),
    ]
  fields.extend(_NdParamFields((NQ_CONFIG, NQ_GROUP), _GetNdParam))
  fields.extend(_CommonFields("Node", cfg))
  for (name, title, kind, key, doc) in _NODE_LIVE:
    convert = str if kind == constants.QFT_TEXT else int
    fields.append(Field(name, title, kind, doc, (NQ_LIVE, ),
                        _GetNodeLive(key, convert)))
  return fields


def _NdParamFields(data, make_getter) -> List[Field]:
  """ndp/<name> fields for every node parameter."""
  return [Field("ndp/%s" % name, constants.NDS_PARAMETER_TITLES[name],
                VTYPE_TO_QFT[constants.NDS_PARAMETER_TYPES[name]],
                "The \"%s\" node parameter" % name, data, make_getter(name))
          for name in sorted(constants.NDS_PARAMETERS)]


# --- group -------------------------------------------------------------------

class GroupQueryData:
  """What the master gathered for a group query; iterates the groups.

  @ivar cluster: L{objects.Cluster}
  @ivar groups: L{objects.NodeGroup} list
  @ivar group_to_nodes: group UUID -> node names (GQ_NODE)
  @ivar group_to_instances: group UUID -> names of instances whose primary
      node is in the group (GQ_INST)

  """
  def __init__(self, cluster: objects.Cluster,
               groups: List[objects.NodeGroup],
               group_to_nodes: Optional[Dict[str, List[str]]],
               group_to_instances: Optional[Dict[str, List[str]]]):
    self.cluster = cluster
    self.groups = groups
    self.group_to_nodes = group_to_nodes
    self.group_to_instances = group_to_instances

  def __iter__(self) -> Iterator[objects.NodeGroup]:
    return iter(self.groups)


def _GroupMembers(attr, count):
  def fn(ctx, group):
    names = (getattr(ctx, attr) or {}).get(group.uuid) or []
    return len(names) if count else utils.NiceSort(names)
  return fn


def _GroupNdParam(name):
  def fn(ctx, group):
    params = ctx.cluster.SimpleFillND(group.ndparams)
    return params[name] if name in params else UNAVAIL
  return fn


def _BuildGroupFields() -> List[Field]:
  cfg, other = (GQ_CONFIG, ), constants.QFT_OTHER
  fields = [
    Field("name", "Group", constants.QFT_TEXT, "Group name", cfg,
          _Attr("name")),
    Field("uuid", "UUID", constants.QFT_TEXT, "Group UUID", cfg,
          _Attr("uuid")),
    Field("alloc_policy", "AllocPolicy", constants.QFT_TEXT,
          "Allocation policy for group", cfg, _Attr("alloc_policy")),
    Field("node_cnt", "Nodes", constants.QFT_NUMBER, "Number of nodes",
          (GQ_NODE, ), _GroupMembers("group_to_nodes", True)),
    Field("node_list", "NodeList", other, "List of nodes", (GQ_NODE, ),
          _GroupMembers("group_to_nodes", False)),
    Field("pinst_cnt", "Instances", constants.QFT_NUMBER,
          "Number of primary instances", (GQ_INST, ),
          _GroupMembers("group_to_instances", True)),
    Field("pinst_list", "InstanceList", other,
          "List of primary instances", (GQ_INST, ),
          _GroupMembers("group_to_instances", False)),
    Field("ndparams", "NDParams", other, "Node parameters", cfg,
          lambda ctx, group: ctx.cluster.SimpleFillND(group.ndparams)),
    Field("custom_ndparams", "CustomNDParams", other,
          "Custom node parameters", cfg,
          lambda ctx, group: group.ndparams or {}),
    Field("ipolicy", "InstancePolicy", other, "Instance policy limitations",
          cfg, lambda ctx, group: ctx.cluster.SimpleFillIPolicy(
            group.ipolicy)),
    Field("custom_ipolicy", "CustomInstancePolicy", other,
          "Custom instance policy limitations", cfg,
          lambda ctx, group: group.ipolicy or {}),
    Field("diskparams", "DiskParameters", other, "Disk parameters (merged)",
          cfg, lambda ctx, group: ctx.cluster.SimpleFillDP(group.diskparams)),
    Field("custom_diskparams", "CustomDiskParameters", other,
          "Custom disk parameters", cfg,
          lambda ctx, group: group.diskparams or {}),
    ]
  fields.extend(_NdParamFields(cfg, _GroupNdParam))
  fields.extend(_CommonFields("Group", cfg))
  return fields


# --- cluster -----------------------------------------------------------------

class ClusterQueryData:
  """The single row of a cluster query.

  @ivar cluster: L{objects.Cluster}
  @ivar drain_flag: whether the job queue is drained (CQ_QUEUE_DRAINED)
  @ivar watcher_pause: watcher pause end time or None (CQ_WATCHER_PAUSE)

  """
  def __init__(self, cluster: objects.Cluster, drain_flag: Optional[bool],
               watcher_pause: Optional[float]):
    self.cluster = cluster
    self.drain_flag = drain_flag
    self.watcher_pause = watcher_pause

  def __iter__(self) -> Iterator[objects.Cluster]:
    return iter([self.cluster])


def _ClusterConst(value):
  return lambda ctx, cluster: value


def _GetWatcherPause(ctx, cluster):
  return UNAVAIL if ctx.watcher_pause is None else ctx.watcher_pause


def _BuildClusterFields() -> List[Field]:
  cfg, text, num = (CQ_CONFIG, ), constants.QFT_TEXT, constants.QFT_NUMBER
  name_field = Field("cluster_name", "Name", text, "Cluster name", cfg,
                     _Attr("cluster_name"), hostname=True)
  fields = [
    name_field,
    name_field.Renamed("name", doc="Cluster name (alias of cluster_name)"),
    Field("master_node", "Master", text, "Master node name", cfg,
          _Attr("master_node"), hostname=True),
    Field("software_version", "SoftwareVersion", text, "Software version",
          (), _ClusterConst(constants.RELEASE_VERSION)),
    Field("protocol_version", "ProtocolVersion", num,
          "RPC protocol version", (),
          _ClusterConst(constants.PROTOCOL_VERSION)),
    Field("config_version", "ConfigVersion", num,
          "Configuration format version", (),
          _ClusterConst(constants.CONFIG_VERSION)),
    Field("os_api_version", "OsApiVersion", num,
          "API version for OS template scripts", (),
          _ClusterConst(max(constants.OS_API_VERSIONS))),
    Field("export_version", "ExportVersion", num,
          "Import/export file format version", (),
          _ClusterConst(constants.EXPORT_VERSION)),
    Field("architecture", "ArchInfo", constants.QFT_OTHER,
          "Architecture information", (),
          lambda ctx, cluster: [platform.architecture()[0],
                                platform.machine()]),
    Field("volume_group_name", "VgName", text, "LVM volume group name",
          cfg, lambda ctx, cluster: cluster.volume_group_name or ""),
    Field("drain_flag", "QueueDrained", constants.QFT_BOOL,
          "Whether job queue is drained", (CQ_QUEUE_DRAINED, ),
          lambda ctx, cluster: bool(ctx.drain_flag)),
    Field("watcher_pause", "WatcherPause", constants.QFT_TIMESTAMP,
          "Until when watcher is paused", (CQ_WATCHER_PAUSE, ),
          _GetWatcherPause),
    ]
  fields.extend(field for field in _CommonFields("Cluster", cfg)
                if field.name != "serial_no")
  return fields


# --- job ---------------------------------------------------------------------

def _JobGetter(fn):
  """Wraps a getter of a job object for rows of (job_id, job or None).

  A requested job that does not exist has every value unavailable.

  """
  def getter(ctx, item):
    job = item[1]
    if job is None:
      return UNAVAIL
    return fn(job)
  return getter


def _PerOpcode(fn):
  return _JobGetter(lambda job: [fn(op) for op in job.ops])


def _BuildJobFields() -> List[Field]:
  """Fields over the job queue's job objects (jqueue's _QueuedJob)."""
  other, data = constants.QFT_OTHER, (JQ_JOB, )
  return [
    # The later integer form of job ids (DESIGN.md); 2.6 sent text
    Field("id", "ID", constants.QFT_NUMBER, "Job ID", (),
          lambda ctx, item: item[0]),
    Field("status", "Status", constants.QFT_TEXT, "Job status", data,
          _JobGetter(lambda job: job.CalcStatus())),
    Field("priority", "Priority", constants.QFT_NUMBER,
          "Current job priority", data,
          _JobGetter(lambda job: job.CalcPriority())),
    Field("ops", "OpCodes", other, "List of all opcodes", data,
          _PerOpcode(lambda op: op.input.ToDict())),
    Field("summary", "Summary", other, "List of per-opcode summaries", data,
          _PerOpcode(lambda op: op.input.Summary())),
    Field("opstatus", "OpCode_status", other, "List of opcode status", data,
          _PerOpcode(lambda op: op.status)),
    Field("opresult", "OpCode_result", other, "List of opcode results",
          data, _PerOpcode(lambda op: op.result)),
    Field("oplog", "OpCode_log", other, "List of opcode logs", data,
          _PerOpcode(lambda op: [list(entry) for entry in op.log])),
    Field("oppriority", "OpCode_prio", other, "List of opcode priorities",
          data, _PerOpcode(lambda op: op.priority)),
    Field("opstart", "OpCode_start", other,
          "List of opcode start timestamps (before acquiring locks)", data,
          _PerOpcode(lambda op: op.start_timestamp)),
    Field("opexec", "OpCode_exec", other,
          "List of opcode execution start timestamps (after acquiring"
          " locks)", data, _PerOpcode(lambda op: op.exec_timestamp)),
    Field("opend", "OpCode_end", other, "List of opcode end timestamps",
          data, _PerOpcode(lambda op: op.end_timestamp)),
    Field("received_ts", "Received", other, "Timestamp of when job was"
          " received", data,
          _JobGetter(lambda job: _Timestamp(job.received_timestamp))),
    Field("start_ts", "Start", other, "Timestamp of job start", data,
          _JobGetter(lambda job: _Timestamp(job.start_timestamp))),
    Field("end_ts", "End", other, "Timestamp of job end", data,
          _JobGetter(lambda job: _Timestamp(job.end_timestamp))),
    ]


def JobQueryData(jobs: List[Tuple[Any, Any]]) -> List[Tuple[Any, Any]]:
  """The container of a job query: (job id, job object or None) pairs.

  None stands for a requested job the queue does not know.

  """
  return list(jobs)


# --- lock --------------------------------------------------------------------

def _LockValue(key):
  # owner and pending are null, not empty lists, when there are none
  return lambda ctx, lock: lock.get(key) or None


def _BuildLockFields() -> List[Field]:
  """Fields over GanetiLockManager.GetLockInfo() dicts."""
  return [
    Field("name", "Name", constants.QFT_TEXT, "Lock name", (),
          _LockValue("name")),
    Field("mode", "Mode", constants.QFT_OTHER, "Mode in which the lock is"
          " currently acquired (exclusive or shared)", (LQ_MODE, ),
          _LockValue("mode")),
    Field("owner", "Owner", constants.QFT_OTHER, "Current lock owner(s)",
          (LQ_OWNER, ), _LockValue("owner")),
    Field("pending", "Pending", constants.QFT_OTHER,
          "Threads waiting for the lock", (LQ_PENDING, ),
          _LockValue("pending")),
    ]


# --- os ----------------------------------------------------------------------

class OsInfo:
  """One row of an OS query, aggregated by the master over the nodes.

  @ivar node_status: node name -> list of (path, status, diagnose,
      variants, parameters, api_versions) as the nodes reported them

  """
  def __init__(self, name: str, valid: bool, hidden: bool, blacklisted: bool,
               variants: List[str], api_versions: List[int],
               parameters: List[List[str]], node_status: Dict[str, Any]):
    self.name = name
    self.valid = valid
    self.hidden = hidden
    self.blacklisted = blacklisted
    self.variants = variants
    self.api_versions = api_versions
    self.parameters = parameters
    self.node_status = node_status


def _BuildOsFields() -> List[Field]:
  data, other, flag = (OQ_DIAGNOSE, ), constants.QFT_OTHER, constants.QFT_BOOL
  return [
    Field("name", "Name", constants.QFT_TEXT, "Operating system name", data,
          _Attr("name")),
    Field("valid", "Valid", flag, "Whether operating system definition is"
          " valid", data, _Attr("valid")),
    Field("hidden", "Hidden", flag, "Whether operating system is hidden",
          data, _Attr("hidden")),
    Field("blacklisted", "Blacklisted", flag,
          "Whether operating system is blacklisted", data,
          _Attr("blacklisted")),
    Field("variants", "Variants", other,
          "Operating system variants", data,
          lambda ctx, osi: utils.NiceSort(osi.variants)),
    Field("api_versions", "ApiVersions", other,
          "Operating system API versions", data,
          lambda ctx, osi: sorted(osi.api_versions)),
    Field("parameters", "Parameters", other,
          "Operating system parameters", data,
          lambda ctx, osi: [list(pair) for pair in
                            utils.NiceSort(osi.parameters,
                                           key=lambda pair: pair[0])]),
    Field("node_status", "NodeStatus", other,
          "Status from node", data, _Attr("node_status")),
    ]


# --- export ------------------------------------------------------------------

def _GetExportName(ctx, item):
  # None: the node could not be asked for its exports
  return UNAVAIL if item[1] is None else item[1]


def _BuildExportFields() -> List[Field]:
  """Fields over (node name, export name or None) rows."""
  return [
    Field("node", "Node", constants.QFT_TEXT, "Node name", (EQ_EXPORTS, ),
          lambda ctx, item: item[0], hostname=True),
    Field("export", "Export", constants.QFT_TEXT, "Export name",
          (EQ_EXPORTS, ), _GetExportName),
    ]


# --- Tables ------------------------------------------------------------------

NODE_FIELDS = BuildFieldMap(_BuildNodeFields())
INSTANCE_FIELDS = BuildFieldMap(BuildInstanceFields())
GROUP_FIELDS = BuildFieldMap(_BuildGroupFields())
CLUSTER_FIELDS = BuildFieldMap(_BuildClusterFields())
JOB_FIELDS = BuildFieldMap(_BuildJobFields())
LOCK_FIELDS = BuildFieldMap(_BuildLockFields())
OS_FIELDS = BuildFieldMap(_BuildOsFields())
EXPORT_FIELDS = BuildFieldMap(_BuildExportFields())

#: Resource -> field table
ALL_FIELDS = {
  constants.QR_CLUSTER: CLUSTER_FIELDS,
  constants.QR_INSTANCE: INSTANCE_FIELDS,
  constants.QR_NODE: NODE_FIELDS,
  constants.QR_GROUP: GROUP_FIELDS,
  constants.QR_OS: OS_FIELDS,
  constants.QR_JOB: JOB_FIELDS,
  constants.QR_LOCK: LOCK_FIELDS,
  constants.QR_EXPORT: EXPORT_FIELDS,
  }

#: Resource -> name field (sort key, name requests); None: no name field
NAME_FIELDS = {
  constants.QR_CLUSTER: None,
  constants.QR_INSTANCE: "name",
  constants.QR_NODE: "name",
  constants.QR_GROUP: "name",
  constants.QR_OS: "name",
  constants.QR_JOB: "id",
  constants.QR_LOCK: "name",
  constants.QR_EXPORT: "node",
  }


def MakeQuery(what: str, fields: List[str], qfilter: Any = None) -> Query:
  """A L{Query} over a resource named by its C{what} (QR_*).

  @raise errors.OpPrereqError: unknown resource, or a filter on locks
      (ECODE_INVAL)

  """
  if what not in ALL_FIELDS:
    raise errors.OpPrereqError("Resource type '%s' unknown (known: %s)" %
                               (what, utils.CommaJoin(sorted(ALL_FIELDS))),
                               errors.ECODE_INVAL)
  if what == constants.QR_LOCK and qfilter is not None:
    raise errors.OpPrereqError("Lock queries can't be filtered",
                               errors.ECODE_INVAL)
  return Query(ALL_FIELDS[what], fields, qfilter=qfilter,
               namefield=NAME_FIELDS[what])
