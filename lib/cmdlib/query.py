"""Gathering the data of query2 requests on the master.

Layer 5 (master side).  `lib/query.py` (model layer) knows the fields and
evaluates them over containers; this module fills those containers from the
configuration, the lock manager, the job queue and, only when a requested
field needs it, the nodes (RPC).  `Gather` is the one entry point; LUXI's
Query, QueryFields and the old QueryNodes/QueryGroups/QueryInstances calls
of masterd use it, and so do the query opcodes (cmdlib.query_lus).

It takes no cluster locks (the answers are snapshots, as Ganeti's unlocked
queries are) and holds no logical unit.
"""

import logging

from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import pathutils
from ganeti import qlang
from ganeti import query
from ganeti import utils


def _ExpandNames(kind, wanted, existing, expand_fn):
  """Requested names made full; unknown ones are an error (ECODE_NOENT)."""
  if wanted is None:
    return utils.NiceSort(existing)
  result = []
  for name in wanted:
    full = expand_fn(name) if isinstance(name, str) else None
    if full is None:
      raise errors.OpPrereqError("%s '%s' not known" % (kind, name),
                                 errors.ECODE_NOENT)
    if full not in result:
      result.append(full)
  return result


def ExpandNodeNames(cfg, wanted):
  """Full node names for ``wanted`` (None: all nodes, nicely sorted).

  @raise errors.OpPrereqError: an unknown node (ECODE_NOENT)

  """
  return _ExpandNames("Node", wanted, cfg.GetNodeList(), cfg.ExpandNodeName)


def _NodeLiveData(cfg, rpc, nodes):
  """node name -> flat node_info answer, or None for a silent node."""
  cluster = cfg.GetClusterInfo()
  vg_names = [cluster.volume_group_name] if cluster.volume_group_name else []
  online = [node.name for node in nodes if not node.offline]
  live = dict((node.name, None) for node in nodes)
  if not online:
    return live
  answers = rpc.call_node_info(online, vg_names,
                               list(cluster.enabled_hypervisors or []))
  for name in online:
    result = answers.get(name)
    if result is None or result.fail_msg or not isinstance(result.payload,
                                                            dict):
      continue
    data = dict(result.payload)
    # the first volume group's figures are the node's disk figures
    vg_info = data.pop("vg_info", None) or []
    if vg_info:
      data["vg_size"] = vg_info[0].get("vg_size")
      data["vg_free"] = vg_info[0].get("vg_free")
    live[name] = data
  return live


def _InstancesByNode(cfg):
  primary = {}
  secondary = {}
  for inst in cfg.GetAllInstancesInfo().values():
    primary.setdefault(inst.primary_node, []).append(inst.name)
    for node in inst.secondary_nodes:
      secondary.setdefault(node, []).append(inst.name)
  return (primary, secondary)


def _GatherNodes(context, q):
  cfg = context.cfg
  names = _ExpandNames("Node", q.RequestedNames(), cfg.GetNodeList(),
                       cfg.ExpandNodeName)
  nodes = [cfg.GetNodeInfo(name) for name in names]
  wanted = q.RequestedData()
  live = (_NodeLiveData(cfg, context.rpc, nodes)
          if query.NQ_LIVE in wanted else None)
  (primary, secondary) = (_InstancesByNode(cfg)
                          if query.NQ_INST in wanted else (None, None))
  groups = (cfg.GetAllNodeGroupsInfo()
            if query.NQ_GROUP in wanted else None)
  oob = None
  if query.NQ_OOB in wanted:
    cluster = cfg.GetClusterInfo()
    oob = dict((node.name, bool(cluster.SimpleFillND(node.ndparams).get(
      constants.ND_OOB_PROGRAM))) for node in nodes)
  return query.NodeQueryData(nodes, live, cfg.GetMasterNode(), primary,
                             secondary, groups, oob, cfg.GetClusterInfo())


def _GatherGroups(context, q):
  cfg = context.cfg
  all_groups = cfg.GetAllNodeGroupsInfo()
  by_name = dict((group.name, uuid) for (uuid, group) in all_groups.items())

  def _Expand(name):
    if name in all_groups:
      return all_groups[name].name
    return name if name in by_name else None

  names = _ExpandNames("Node group", q.RequestedNames(), list(by_name),
                       _Expand)
  groups = [all_groups[by_name[name]] for name in names]
  wanted = q.RequestedData()
  group_to_nodes = None
  group_to_instances = None
  if query.GQ_NODE in wanted or query.GQ_INST in wanted:
    group_to_nodes = dict((group.uuid, []) for group in groups)
    for node in cfg.GetAllNodesInfo().values():
      group_to_nodes.setdefault(node.group, []).append(node.name)
  if query.GQ_INST in wanted:
    group_to_instances = dict((group.uuid, []) for group in groups)
    for inst in cfg.GetAllInstancesInfo().values():
      node = cfg.GetNodeInfo(inst.primary_node)
      if node is not None:
        group_to_instances.setdefault(node.group, []).append(inst.name)
  return query.GroupQueryData(cfg.GetClusterInfo(), groups, group_to_nodes,
                              group_to_instances)


def _DiskUsage(instance):
  """MiB an instance's disks take on its nodes (None: not computable).

  DRBD adds its metadata volume to every disk; diskless instances use
  nothing; external storage (blockdev, rbd) is not counted, as in 2.6.

  """
  sizes = [disk.size for disk in instance.disks or []]
  template = instance.disk_template
  if template == constants.DT_DISKLESS:
    return None
  if template == constants.DT_DRBD8:
    return sum(size + constants.DRBD_META_SIZE for size in sizes)
  if template in (constants.DT_PLAIN, constants.DT_FILE):
    return sum(sizes)
  return 0


def _InstancesLiveData(cfg, rpc, instances):
  """Ask the instances' nodes what runs there (all_instances_info).

  @return: (live_data, bad_nodes, offline_nodes, wrongnode_inst):
      instance name -> hypervisor data for instances running on their
      primary node, the nodes that did not answer, the offline nodes, and
      the instances found running on another of their nodes

  """
  nodes = utils.NiceSort(set(node for inst in instances
                             for node in inst.all_nodes))
  hv_list = utils.UniqueSequence([inst.hypervisor for inst in instances])
  by_name = dict((inst.name, inst) for inst in instances)
  live_data = {}
  bad_nodes = []
  wrongnode = set()
  elsewhere = {}
  all_nodes = cfg.GetAllNodesInfo()
  asked = [name for name in nodes
           if name in all_nodes and not all_nodes[name].offline]
  offline_nodes = [name for name in nodes if name not in asked]
  answers = rpc.call_all_instances_info(asked, hv_list) if asked else {}
  for name in asked:
    result = answers.get(name)
    if result is not None and result.offline:
      offline_nodes.append(name)
      continue
    if (result is None or result.fail_msg or
        not isinstance(result.payload, dict)):
      bad_nodes.append(name)
      continue
    for (inst_name, data) in result.payload.items():
      inst = by_name.get(inst_name)
      if inst is None:
        # not asked about, or not in the configuration (orphan)
        if cfg.GetInstanceInfo(inst_name) is None:
          logging.warning("Orphan instance '%s' found on node %s",
                          inst_name, name)
        continue
      if inst.primary_node == name:
        live_data[inst_name] = data
      else:
        wrongnode.add(inst_name)
        elsewhere.setdefault(inst_name, data)
  # an instance running only on another of its nodes is still running
  # (status ERROR_wrongnode); the primary's figures win when it runs there
  for (inst_name, data) in elsewhere.items():
    live_data.setdefault(inst_name, data)
  return (live_data, bad_nodes, offline_nodes, wrongnode)


def _InstancesConsole(cluster, instances, live_data, wrongnode):
  """instance name -> console dict of those running on their primary node
  (others absent)."""
  # imported here: listings without the console field need no hypervisor
  from ganeti.cmdlib import instance_operation  # pylint: disable=C0415
  result = {}
  for inst in instances:
    if inst.name in live_data and inst.name not in wrongnode:
      result[inst.name] = instance_operation.GetInstanceConsole(cluster, inst)
  return result


def _GatherInstances(context, q):
  cfg = context.cfg
  names = _ExpandNames("Instance", q.RequestedNames(), cfg.GetInstanceList(),
                       cfg.ExpandInstanceName)
  instances = [cfg.GetInstanceInfo(name) for name in names]
  all_nodes = cfg.GetAllNodesInfo()
  cluster = cfg.GetClusterInfo()
  offline = [name for (name, node) in all_nodes.items() if node.offline]
  wanted = q.RequestedData()
  bad_nodes = []
  wrongnode = set()
  live_data = {}
  if query.IQ_LIVE in wanted or query.IQ_CONSOLE in wanted:
    (live_data, bad_nodes, live_offline, wrongnode) = \
      _InstancesLiveData(cfg, context.rpc, instances)
    offline = utils.UniqueSequence(offline + live_offline)
  disk_usage = None
  if query.IQ_DISKUSAGE in wanted:
    disk_usage = dict((inst.name, _DiskUsage(inst)) for inst in instances)
  console = None
  if query.IQ_CONSOLE in wanted:
    console = _InstancesConsole(cluster, instances, live_data, wrongnode)
  return query.InstanceQueryData(instances, cluster,
                                 disk_usage=disk_usage,
                                 offline_nodes=offline, bad_nodes=bad_nodes,
                                 live_data=live_data,
                                 wrongnode_inst=wrongnode, console=console,
                                 nodes=all_nodes,
                                 groups=cfg.GetAllNodeGroupsInfo())


def _GatherCluster(context, q):
  wanted = q.RequestedData()
  drain = (jstore.CheckDrainFlag()
           if query.CQ_QUEUE_DRAINED in wanted else None)
  pause = (utils.ReadWatcherPauseFile(pathutils.WATCHER_PAUSEFILE)
           if query.CQ_WATCHER_PAUSE in wanted else None)
  return query.ClusterQueryData(context.cfg.GetClusterInfo(), drain, pause)


def _GatherJobs(context, q):
  names = q.RequestedNames()
  if names is not None:
    names = [int(name) for name in names if isinstance(name, int) or
             (isinstance(name, str) and name.isdigit())]
  return query.JobQueryData(context.jobqueue.GetJobsForQuery(names or None)
                            if names or names is None else [])


def _GatherLocks(context, q):
  return context.glm.GetLockInfo(requested=q.RequestedData())


def _DiagnoseByOs(answers):
  """OS name -> node name -> that node's entries for it (first one wins).

  Every node that answered gets a (possibly empty) list for every OS seen
  anywhere, so an OS missing from a node shows up as such; nodes whose
  call failed are left out, as their state is unknown.

  """
  good = [name for (name, result) in answers.items() if not result.fail_msg]
  by_os = {}
  for name in good:
    for entry in answers[name].payload or []:
      (os_name, path, status, diagnose, variants, params, api) = entry
      per_node = by_os.setdefault(os_name, dict((node, []) for node in good))
      per_node[name].append([path, bool(status), diagnose, list(variants),
                             [list(pair) for pair in params], list(api)])
  return by_os


def _OsInfoFromNodes(os_name, per_node, cluster):
  """One query.OsInfo: valid where every node's first entry is valid.

  Variants, parameters and API versions are those all nodes agree on.

  """
  valid = bool(per_node)
  variants = parameters = api_versions = None
  for entries in per_node.values():
    if not entries or not entries[0][1]:
      valid = False
      break
    (_, _, _, node_variants, node_params, node_api) = entries[0]
    node_params = [tuple(pair) for pair in node_params]
    if variants is None:
      (variants, parameters, api_versions) = (set(node_variants),
                                              set(node_params), set(node_api))
    else:
      variants.intersection_update(node_variants)
      parameters.intersection_update(node_params)
      api_versions.intersection_update(node_api)
  if not valid:
    (variants, parameters, api_versions) = (set(), set(), set())
  return query.OsInfo(name=os_name, valid=valid,
                      hidden=os_name in (cluster.hidden_os or []),
                      blacklisted=os_name in (cluster.blacklisted_os or []),
                      variants=list(variants),
                      api_versions=list(api_versions),
                      parameters=[list(pair) for pair in parameters],
                      node_status=per_node)


def _GatherOs(context, q):
  """Ask the online vm-capable nodes for their OS definitions (os_diagnose).

  Requested names that no node knows are left out, as in Ganeti 2.6.

  """
  cfg = context.cfg
  nodes = [node.name for node in cfg.GetAllNodesInfo().values()
           if not node.offline and node.vm_capable]
  answers = context.rpc.call_os_diagnose(utils.NiceSort(nodes)) if nodes \
    else {}
  by_os = _DiagnoseByOs(answers)
  cluster = cfg.GetClusterInfo()
  wanted = q.RequestedNames()
  names = utils.NiceSort(by_os) if wanted is None else wanted
  return [_OsInfoFromNodes(name, by_os[name], cluster)
          for name in names if name in by_os]


def _GatherExports(context, q):
  """(node, export) rows from the online nodes; (node, None) for a node
  that could not be asked."""
  cfg = context.cfg
  names = _ExpandNames("Node", q.RequestedNames(), cfg.GetNodeList(),
                       cfg.ExpandNodeName)
  answers = ListExportsByNode(cfg, context.rpc, names)
  rows = []
  for node in names:
    exports = answers[node]
    if exports is None:
      rows.append((node, None))
    else:
      rows.extend((node, name) for name in exports)
  return rows


def ListExportsByNode(cfg, rpc, nodes):
  """node -> sorted export names, or None if the node did not answer
  (offline nodes are not asked)."""
  online = [name for name in nodes if not cfg.GetNodeInfo(name).offline]
  answers = rpc.call_export_list(online) if online else {}
  result = {}
  for node in nodes:
    answer = answers.get(node)
    if (answer is None or answer.fail_msg or
        not isinstance(answer.payload, list)):
      result[node] = None
    else:
      result[node] = sorted(answer.payload)
  return result


_GATHERERS = {
  constants.QR_NODE: _GatherNodes,
  constants.QR_GROUP: _GatherGroups,
  constants.QR_INSTANCE: _GatherInstances,
  constants.QR_CLUSTER: _GatherCluster,
  constants.QR_JOB: _GatherJobs,
  constants.QR_LOCK: _GatherLocks,
  constants.QR_OS: _GatherOs,
  constants.QR_EXPORT: _GatherExports,
  }

def CheckResource(what):
  """Refuse resources that are unknown."""
  if what not in _GATHERERS:
    raise errors.OpPrereqError("Resource type '%s' unknown" % (what, ),
                               errors.ECODE_INVAL)


def Gather(context, what, q):
  """The container ``q`` (a query.Query over ``what``) is evaluated over."""
  CheckResource(what)
  return _GATHERERS[what](context, q)


def _NormalizeJobFilter(qfilter):
  """Job ids compared in a filter as ints (decimal strings are accepted).

  Ganeti 2.6 sent job ids as strings, later releases as numbers; the job
  ``id`` field is a number here, so the older form is converted.

  @raise errors.OpPrereqError: a job id that is no number (ECODE_INVAL)

  """
  if not isinstance(qfilter, list) or not qfilter:
    return qfilter
  if (len(qfilter) == 3 and qfilter[1] == "id" and
      not isinstance(qfilter[2], list)):
    value = qfilter[2]
    if isinstance(value, str):
      if not value.isdigit():
        raise errors.OpPrereqError("Invalid job ID %r" % (value, ),
                                   errors.ECODE_INVAL)
      value = int(value)
    return [qfilter[0], qfilter[1], value]
  return [qfilter[0]] + [_NormalizeJobFilter(operand)
                         for operand in qfilter[1:]]


def Query(context, what, fields, qfilter):
  """The wire answer of LUXI's Query."""
  CheckResource(what)
  if what == constants.QR_JOB:
    qfilter = _NormalizeJobFilter(qfilter)
  q = query.MakeQuery(what, fields, qfilter)
  return query.GetQueryResponse(q, Gather(context, what, q),
                                sort_by_name=q.RequestedNames() is None)


def QueryFields(what, fields):
  """The wire answer of LUXI's QueryFields."""
  CheckResource(what)
  return query.QueryFields(query.ALL_FIELDS[what], fields)


def OldStyleQuery(context, what, names, fields):
  """Rows of plain values for QueryNodes, QueryGroups and QueryInstances.

  ``names`` empty means all items, sorted naturally by name; otherwise the
  rows follow the requested names after expansion.

  """
  CheckResource(what)
  qfilter = qlang.MakeSimpleFilter("name", names) if names else None
  q = query.MakeQuery(what, fields, qfilter)
  return q.OldStyleQuery(Gather(context, what, q),
                         sort_by_name=not names)
