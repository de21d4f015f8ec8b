"""Tests of ganeti.query: getters on real objects, statuses, Query, filters."""

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import jqueue_job
from ganeti import objects
from ganeti import opcodes
from ganeti import query

N, U, D, O = (constants.RS_NORMAL, constants.RS_UNAVAIL, constants.RS_NODATA,
              constants.RS_OFFLINE)
MASTER = "node1.example.com"


def _Cluster():
  cluster = objects.Cluster(
    cluster_name="cluster.example.com", master_node=MASTER,
    enabled_hypervisors=[constants.HT_KVM, constants.HT_FAKE],
    volume_group_name="xenvg", ndparams={constants.ND_SPINDLE_COUNT: 3},
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    tags=set(["b", "a"]), ctime=100.0, mtime=200.0, serial_no=7)
  cluster.UpgradeConfig()
  return cluster


def _Group(name, **kwargs):
  group = objects.NodeGroup(name=name, ndparams={}, **kwargs)
  group.UpgradeConfig()
  return group


def _Node(name, group, **kwargs):
  node = objects.Node(name=name, primary_ip="192.0.2.1",
                      secondary_ip="198.51.100.1", group=group.uuid,
                      ctime=1.0, mtime=2.0, serial_no=3, **kwargs)
  node.UpgradeConfig()
  return node


@pytest.fixture
def nodes_ctx():
  cluster = _Cluster()
  group = _Group("default")
  nodes = [_Node(MASTER, group, master_candidate=True),
           _Node("node10.example.com", group, offline=True),
           _Node("node2.example.com", group, drained=True,
                 ndparams={constants.ND_OOB_PROGRAM: "/bin/oob"}),
           _Node("node3.example.com", group, vm_capable=False),
           _Node("node4.example.com", group)]
  live = {
    MASTER: {"bootid": "b-1", "cpu_total": 4, "memory_total": 1024,
             "memory_free": 512, "memory_dom0": 100, "vg_size": 2048,
             "vg_free": "1000"},
    "node2.example.com": {"bootid": "b-2", "cpu_total": "x"},
    "node4.example.com": None,
  }
  return query.NodeQueryData(
    nodes, live, MASTER, {MASTER: ["inst10", "inst2"]},
    {"node2.example.com": ["inst10"]}, {group.uuid: group},
    {"node2.example.com": True}, cluster)


def _Run(table, fields, ctx, qfilter=None, namefield="name", **kwargs):
  return query.Query(table, fields, qfilter, namefield).Query(ctx, **kwargs)


def test_node_rows_sorted_naturally_with_config_values(nodes_ctx):
  rows = _Run(query.NODE_FIELDS, ["name", "role", "master", "group",
                                  "pinst_cnt", "pinst_list", "sinst_cnt",
                                  "powered"], nodes_ctx)
  assert [row[0][1] for row in rows] == [
    MASTER, "node2.example.com", "node3.example.com", "node4.example.com",
    "node10.example.com"]
  assert rows[0] == [[N, MASTER], [N, "M"], [N, True], [N, "default"],
                     [N, 2], [N, ["inst2", "inst10"]], [N, 0], [U, None]]
  assert [row[1][1] for row in rows] == ["M", "D", "R", "R", "O"]
  # Only the node with an out-of-band program reports its power state
  assert rows[1][7] == [N, True]


def test_node_parameters_are_merged_from_cluster_group_and_node(nodes_ctx):
  rows = _Run(query.NODE_FIELDS, ["ndparams", "custom_ndparams",
                                  "ndp/oob_program", "ndp/spindle_count",
                                  "hv_state", "ctime", "tags"], nodes_ctx)
  node2 = rows[1]
  assert node2[0] == [N, {constants.ND_OOB_PROGRAM: "/bin/oob",
                          constants.ND_SPINDLE_COUNT: 3}]
  assert node2[1] == [N, {constants.ND_OOB_PROGRAM: "/bin/oob"}]
  assert node2[2:5] == [[N, "/bin/oob"], [N, 3], [U, None]]
  assert node2[5:] == [[N, 1.0], [N, []]]


def test_node_live_fields_status(nodes_ctx):
  rows = _Run(query.NODE_FIELDS, ["bootid", "ctotal", "mfree", "dfree",
                                  "csockets"], nodes_ctx)
  by_name = dict(zip([MASTER, "node2", "node3", "node4", "node10"], rows))
  # Normal values, converted; a key the node did not report is unavailable
  assert by_name[MASTER] == [[N, "b-1"], [N, 4], [N, 512], [N, 1000],
                             [U, None]]
  # Unconvertible value: unavailable
  assert by_name["node2"][:2] == [[N, "b-2"], [U, None]]
  assert by_name["node3"] == [[U, None]] * 5  # not vm_capable
  assert by_name["node4"] == [[D, None]] * 5  # did not answer
  assert by_name["node10"] == [[O, None]] * 5  # offline


def test_requested_data_asks_for_live_data_only_when_needed():
  q = query.Query(query.NODE_FIELDS, ["name", "pinst_cnt"], None, "name")
  assert query.NQ_LIVE not in q.RequestedData()
  assert query.NQ_INST in q.RequestedData()
  q = query.Query(query.NODE_FIELDS, ["name", "mfree"], None, "name")
  assert query.NQ_LIVE in q.RequestedData()
  # A filter on a live field needs live data although no column shows it
  q = query.Query(query.NODE_FIELDS, ["name"], [">", "mfree", 0], "name")
  assert query.NQ_LIVE in q.RequestedData()
  q = query.Query(query.INSTANCE_FIELDS, ["name", "disk_usage"])
  assert q.RequestedData() == {query.IQ_CONFIG, query.IQ_DISKUSAGE}


def test_unknown_fields_have_kind_unknown_and_status_unknown(nodes_ctx):
  q = query.Query(query.NODE_FIELDS, ["name", "foo", "name"], None, "name")
  defs = [fdef.ToDict() for fdef in q.GetFieldDefinitions()]
  assert defs[1] == {"name": "foo", "title": "foo", "kind": "unknown",
                     "doc": "Unknown field 'foo'"}
  assert defs[0] == defs[2]
  row = q.Query(nodes_ctx)[0]
  assert row == [[N, MASTER], [constants.RS_UNKNOWN, None], [N, MASTER]]
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: foo") as err:
    q.OldStyleQuery(nodes_ctx)
  assert err.value.args[1] == errors.ECODE_INVAL


def test_old_style_query_turns_non_normal_values_into_none(nodes_ctx):
  q = query.Query(query.NODE_FIELDS, ["name", "mfree"], None, "name")
  assert q.OldStyleQuery(nodes_ctx) == [
    [MASTER, 512], ["node2.example.com", None], ["node3.example.com", None],
    ["node4.example.com", None], ["node10.example.com", None]]


def test_filter_selects_items_and_hostname_equality(nodes_ctx):
  rows = _Run(query.NODE_FIELDS, ["name"], nodes_ctx,
              qfilter=["&", ["?", "drained"], ["!", ["?", "offline"]]])
  assert rows == [[[N, "node2.example.com"]]]
  rows = _Run(query.NODE_FIELDS, ["name"], nodes_ctx,
              qfilter=["=", "name", "NODE3"])
  assert rows == [[[N, "node3.example.com"]]]
  # A leaf over missing live data keeps the item (the later rule)
  rows = _Run(query.NODE_FIELDS, ["name"], nodes_ctx,
              qfilter=[">", "mfree", 600])
  assert [row[0][1] for row in rows] == [
    "node2.example.com", "node3.example.com", "node4.example.com",
    "node10.example.com"]


def test_filter_errors_name_the_problem():
  with pytest.raises(errors.ParameterError, match="Unknown field 'nosuch'"):
    query.Query(query.NODE_FIELDS, ["name"], ["=", "nosuch", 1], "name")
  with pytest.raises(errors.ParameterError, match="Unable to compare"):
    query.Query(query.NODE_FIELDS, ["name"], ["=", "pinst_cnt", "1"], "name")


def test_requested_names_keep_container_order(nodes_ctx):
  qfilter = ["|", ["==", "name", "node4"], ["=", "name", MASTER],
             ["=", "name", "node4"]]
  q = query.Query(query.NODE_FIELDS, ["name"], qfilter, "name")
  assert q.RequestedNames() == ["node4", MASTER]
  nodes_ctx.nodes = [nodes_ctx.nodes[4], nodes_ctx.nodes[0]]
  assert q.Query(nodes_ctx) == [[[N, "node4.example.com"]], [[N, MASTER]]]
  # Any other operator means a scan, sorted by name
  q = query.Query(query.NODE_FIELDS, ["name"],
                  ["|", ["=", "name", "node4"], ["?", "master"]], "name")
  assert q.RequestedNames() is None
  assert q.Query(nodes_ctx) == [[[N, MASTER]], [[N, "node4.example.com"]]]
  assert q.Query(nodes_ctx, sort_by_name=False)[0] == [
    [N, "node4.example.com"]]


def test_query_fields_all_sorted_or_selected():
  answer = query.QueryFields(query.EXPORT_FIELDS, None)
  assert [f["name"] for f in answer["fields"]] == ["export", "node"]
  answer = query.QueryFields(query.NODE_FIELDS, ["sip", "bar"])
  assert answer == {"fields": [
    {"name": "sip", "title": "SecondaryIP", "kind": "text",
     "doc": "Secondary IP address"},
    {"name": "bar", "title": "bar", "kind": "unknown",
     "doc": "Unknown field 'bar'"}]}
  names = [f["name"] for f in query.QueryFields(query.INSTANCE_FIELDS,
                                                None)["fields"]]
  assert names.index("disk.size/2") < names.index("disk.size/10")


def test_query_response_wire_form(nodes_ctx):
  q = query.Query(query.NODE_FIELDS, ["name", "offline"],
                  ["=", "name", "node10"], "name")
  assert query.GetQueryResponse(q, nodes_ctx) == {
    "fields": [{"name": "name", "title": "Node", "kind": "text",
                "doc": "Node name"},
               {"name": "offline", "title": "Offline", "kind": "bool",
                "doc": "Whether node is marked offline"}],
    "data": [[[N, "node10.example.com"], [N, True]]]}


# --- instances ---------------------------------------------------------------

def _Instance(name, pnode, admin_state=constants.ADMINST_UP, **kwargs):
  kwargs.setdefault("disks", [])
  kwargs.setdefault("nics", [])
  for attr in ("hvparams", "beparams", "osparams"):
    kwargs.setdefault(attr, {})
  inst = objects.Instance(name=name, primary_node=pnode,
                          hypervisor=constants.HT_KVM,
                          os="debootstrap+default", admin_state=admin_state,
                          disk_template=constants.DT_PLAIN, serial_no=1,
                          network_port=None, **kwargs)
  inst.UpgradeConfig()
  return inst


@pytest.fixture
def inst_ctx():
  cluster = _Cluster()
  group = _Group("default")
  nodes = dict((node.name, node) for node in [
    _Node("pn.example.com", group), _Node("sn.example.com", group),
    _Node("off.example.com", group, offline=True),
    _Node("down.example.com", group)])
  disks = [objects.Disk(dev_type=constants.LD_LV, size=1024, mode="rw",
                        logical_id=("xenvg", "d0")),
           objects.Disk(dev_type=constants.LD_LV, size=512, mode="rw",
                        logical_id=("xenvg", "d1"))]
  nics = [objects.NIC(mac="aa:00:00:00:00:01", ip="192.0.2.9", nicparams={}),
          objects.NIC(mac="aa:00:00:00:00:02", ip=None,
                      nicparams={constants.NIC_MODE: constants.NIC_MODE_ROUTED,
                                 constants.NIC_LINK: "rt1"})]
  instances = [
    _Instance("run", "pn.example.com", disks=disks, nics=nics,
              hvparams={constants.HV_ACPI: False},
              beparams={constants.BE_VCPUS: 2}),
    _Instance("stopped", "pn.example.com", constants.ADMINST_DOWN),
    _Instance("gone", "pn.example.com"),
    _Instance("extra", "pn.example.com", constants.ADMINST_DOWN),
    _Instance("elsewhere", "pn.example.com"),
    _Instance("marked", "pn.example.com", constants.ADMINST_OFFLINE),
    _Instance("onoff", "off.example.com"),
    _Instance("ondown", "down.example.com"),
  ]
  return query.InstanceQueryData(
    instances, cluster, disk_usage={"run": 1536},
    offline_nodes=["off.example.com"], bad_nodes=["down.example.com"],
    live_data={"run": {"memory": 128, "vcpus": 2}, "extra": {"memory": 64},
               "elsewhere": {"memory": 64}},
    wrongnode_inst=["elsewhere"], console={"run": {"kind": "vnc"}},
    nodes=nodes, groups={group.uuid: group})


def _InstRows(ctx, fields):
  return dict((row[0][1], row[1:])
              for row in _Run(query.INSTANCE_FIELDS, ["name"] + fields, ctx))


def test_instance_status_and_live_values(inst_ctx):
  rows = _InstRows(inst_ctx, ["status", "oper_state", "oper_ram",
                              "console", "disk_usage", "admin_up"])
  assert rows["run"] == [[N, "running"], [N, True], [N, 128],
                         [N, {"kind": "vnc"}], [N, 1536], [N, True]]
  assert rows["stopped"][:3] == [[N, "ADMIN_down"], [N, False], [U, None]]
  assert rows["stopped"][3:5] == [[U, None], [U, None]]
  assert rows["gone"][0] == [N, "ERROR_down"]
  assert rows["extra"][0] == [N, "ERROR_up"]
  assert rows["elsewhere"][0] == [N, "ERROR_wrongnode"]
  assert rows["marked"][0] == [N, "ADMIN_offline"]
  assert rows["onoff"][:3] == [[N, "ERROR_nodeoffline"], [D, None],
                               [O, None]]
  assert rows["ondown"][:3] == [[N, "ERROR_nodedown"], [D, None], [D, None]]


def test_instance_disk_nic_and_parameter_fields(inst_ctx):
  fields = ["disk.count", "disk.sizes", "disk.size/1", "disk.size/2",
            "sda_size", "nic.count", "nic.macs", "nic.bridges", "nic.mode/1",
            "nic.link/1", "nic.bridge/0", "nic.bridge/1", "ip", "nic.ip/5",
            "hv/acpi", "hv/kernel_path", "be/vcpus", "vcpus", "be/memory",
            "custom_beparams", "pnode.group", "snodes", "osparams"]
  row = _InstRows(inst_ctx, fields)["run"]
  values = dict(zip(fields, row))
  assert values["disk.count"] == [N, 2]
  assert values["disk.sizes"] == [N, [1024, 512]]
  assert values["disk.size/1"] == [N, 512]
  assert values["disk.size/2"] == [U, None]
  assert values["sda_size"] == [N, 1024]
  assert values["nic.count"] == [N, 2]
  assert values["nic.macs"] == [N, ["aa:00:00:00:00:01", "aa:00:00:00:00:02"]]
  assert values["nic.bridges"] == [N, [constants.DEFAULT_BRIDGE, None]]
  assert values["nic.mode/1"] == [N, constants.NIC_MODE_ROUTED]
  assert values["nic.link/1"] == [N, "rt1"]
  assert values["nic.bridge/0"] == [N, constants.DEFAULT_BRIDGE]
  assert values["nic.bridge/1"] == [N, None]
  assert values["ip"] == [N, "192.0.2.9"]
  assert values["nic.ip/5"] == [U, None]
  assert values["hv/acpi"] == [N, False]
  assert values["be/vcpus"] == values["vcpus"] == [N, 2]
  assert values["be/memory"] == [N, 128]
  assert values["custom_beparams"] == [N, {constants.BE_VCPUS: 2}]
  assert values["pnode.group"] == [N, "default"]
  assert values["snodes"] == [N, []]
  assert values["osparams"] == [N, {}]
  # Not overridden: the cluster's kvm default
  assert values["hv/kernel_path"] == [
    N, inst_ctx.cluster.hvparams[constants.HT_KVM][constants.HV_KERNEL_PATH]]


def test_instance_hypervisor_parameter_of_other_hypervisor_is_unavail():
  cluster = _Cluster()
  inst = _Instance("fake1", "pn.example.com")
  inst.hypervisor = constants.HT_FAKE
  ctx = query.InstanceQueryData([inst], cluster)
  assert _Run(query.INSTANCE_FIELDS, ["hv/acpi"], ctx) == [[[U, None]]]


# --- groups, cluster ---------------------------------------------------------

def test_group_fields():
  cluster = _Cluster()
  group = _Group("g1", tags=set(["t"]), serial_no=4)
  group.ndparams = {constants.ND_OOB_PROGRAM: "/bin/x"}
  ctx = query.GroupQueryData(cluster, [group],
                             {group.uuid: ["n10", "n9"]}, {group.uuid: []})
  fields = ["name", "uuid", "alloc_policy", "node_cnt", "node_list",
            "pinst_cnt", "pinst_list", "ndp/oob_program",
            "ndp/spindle_count", "custom_ndparams", "tags", "serial_no"]
  assert _Run(query.GROUP_FIELDS, fields, ctx) == [[
    [N, "g1"], [N, group.uuid], [N, "preferred"], [N, 2], [N, ["n9", "n10"]],
    [N, 0], [N, []], [N, "/bin/x"], [N, 3],
    [N, {constants.ND_OOB_PROGRAM: "/bin/x"}], [N, ["t"]], [N, 4]]]
  (ipolicy, diskparams) = _Run(query.GROUP_FIELDS,
                               ["ipolicy", "diskparams"], ctx)[0]
  assert ipolicy == [N, cluster.SimpleFillIPolicy(group.ipolicy)]
  assert diskparams == [N, cluster.SimpleFillDP(group.diskparams)]
  q = query.Query(query.GROUP_FIELDS, ["name"], None, "name")
  assert q.RequestedData() == {query.GQ_CONFIG}


def test_cluster_single_row():
  cluster = _Cluster()
  ctx = query.ClusterQueryData(cluster, True, None)
  fields = ["cluster_name", "name", "master_node", "protocol_version",
            "os_api_version", "drain_flag", "watcher_pause", "tags", "mtime",
            "architecture"]
  rows = query.Query(query.CLUSTER_FIELDS, fields).Query(ctx)
  assert len(rows) == 1
  assert rows[0][:9] == [
    [N, "cluster.example.com"], [N, "cluster.example.com"], [N, MASTER],
    [N, constants.PROTOCOL_VERSION], [N, 20], [N, True], [U, None],
    [N, ["a", "b"]], [N, 200.0]]
  assert rows[0][9][0] == N and len(rows[0][9][1]) == 2
  ctx = query.ClusterQueryData(cluster, False, 1234.5)
  assert query.Query(query.CLUSTER_FIELDS, ["watcher_pause"]).Query(ctx) == \
      [[[N, 1234.5]]]


# --- jobs, locks, os, exports ------------------------------------------------

class _Queue:
  """What a job needs of its queue in these tests: nothing but identity."""


def test_job_fields_from_queued_jobs_and_missing_job():
  job = jqueue_job._QueuedJob(_Queue(), 12, [opcodes.OpTestDelay(duration=0)])
  ctx = query.JobQueryData([(12, job), (3, None)])
  fields = ["id", "status", "priority", "summary", "opstatus", "start_ts",
            "received_ts"]
  rows = _Run(query.JOB_FIELDS, fields, ctx, namefield="id")
  # Numeric order of ids
  assert rows[0] == [[N, 3]] + [[U, None]] * 6
  assert rows[1][:6] == [[N, 12], [N, constants.JOB_STATUS_QUEUED],
                         [N, constants.OP_PRIO_DEFAULT],
                         [N, ["TEST_DELAY(0)"]],
                         [N, [constants.OP_STATUS_QUEUED]], [U, None]]
  assert rows[1][6] == [N, job.received_timestamp]


def test_lock_fields_and_requested_data():
  locks = [{"name": "instance/x10", "mode": None, "owner": None,
            "pending": None},
           {"name": "instance/x9", "mode": "shared", "owner": ["job/1"],
            "pending": [["exclusive", ["job/2"]]]}]
  q = query.MakeQuery(constants.QR_LOCK, ["name", "mode", "pending"])
  assert q.RequestedData() == {query.LQ_MODE, query.LQ_PENDING}
  assert q.Query(locks) == [
    [[N, "instance/x9"], [N, "shared"], [N, [["exclusive", ["job/2"]]]]],
    [[N, "instance/x10"], [N, None], [N, None]]]
  # the lock manager's empty lists are shown as null, as the spec says
  unowned = [{"name": "node/n1", "mode": None, "owner": [], "pending": []}]
  assert query.MakeQuery(constants.QR_LOCK, ["owner", "pending"]).Query(
    unowned) == [[[N, None], [N, None]]]
  with pytest.raises(errors.OpPrereqError, match="can't be filtered"):
    query.MakeQuery(constants.QR_LOCK, ["name"], ["?", "mode"])
  with pytest.raises(errors.OpPrereqError, match="Resource type 'foo'"):
    query.MakeQuery("foo", ["name"])


def test_os_and_export_rows():
  osi = query.OsInfo("debootstrap", True, False, True, ["b", "a"], [20, 15],
                     [("p2", "two"), ("p1", "one")], {"n1": []})
  rows = query.MakeQuery(constants.QR_OS, list(query.OS_FIELDS)).Query([osi])
  assert dict(zip(query.OS_FIELDS, rows[0])) == {
    "name": [N, "debootstrap"], "valid": [N, True], "hidden": [N, False],
    "blacklisted": [N, True], "variants": [N, ["a", "b"]],
    "api_versions": [N, [15, 20]],
    "parameters": [N, [["p1", "one"], ["p2", "two"]]],
    "node_status": [N, {"n1": []}]}
  exports = [("node2.example.com", "inst1"), ("node10.example.com", None),
             ("node2.example.com", "inst0")]
  q = query.MakeQuery(constants.QR_EXPORT, ["node", "export"])
  assert q.Query(exports) == [
    [[N, "node2.example.com"], [N, "inst1"]],
    [[N, "node2.example.com"], [N, "inst0"]],
    [[N, "node10.example.com"], [U, None]]]
  q = query.MakeQuery(constants.QR_EXPORT, ["export"],
                      ["=", "node", "node10"])
  assert q.OldStyleQuery(exports) == [[None]]


def test_bad_field_records_are_refused():
  getter = lambda ctx, item: None
  with pytest.raises(errors.ProgrammerError, match="Invalid query field"):
    query.BuildFieldMap([query.Field("Bad", "T", constants.QFT_TEXT, "Doc",
                                     (), getter)])
  with pytest.raises(errors.ProgrammerError, match="trailing punctuation"):
    query.BuildFieldMap([query.Field("ok", "T", constants.QFT_TEXT, "Doc.",
                                     (), getter)])
  field = query.Field("ok", "T", constants.QFT_TEXT, "Doc", (), getter)
  with pytest.raises(errors.ProgrammerError, match="Duplicate query field"):
    query.BuildFieldMap([field, field])
