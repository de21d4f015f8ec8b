"""Tests for ganeti.cmdlib.query_lus: the query opcodes on a real config.

The configuration, lock manager and mcpu are real (this process is the
master of a virtual node below tmp_path).  The node call os_diagnose is
answered in process by backend_os.DiagnoseOS over a per-node directory of
real OS definitions: only the HTTP hop to noded is left out.  The same
queries over running daemons are in test/integration/test_os.py.
"""

import os
import socket

import pytest

from ganeti import backend_os
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import rpc
from ganeti.cmdlib import local_rpc
from ganeti.cmdlib import query_lus


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
GROUP2 = "rack2"


def _Node(name, idx, **kwargs):
  attrs = dict(name=name, primary_ip="192.0.2.%d" % idx,
               secondary_ip="192.0.2.%d" % idx,
               master_candidate=(idx == 1), offline=False, drained=False,
               master_capable=True, vm_capable=True, ndparams={})
  attrs.update(kwargs)
  return objects.Node(**attrs)


def _MakeConfig(path):
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="192.0.2.254", master_netdev="eth0", master_netmask=24,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set(),
    hidden_os=["hiddenos"], blacklisted_os=[])
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=str(path))
  cfg = config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  # offline nodes are not asked for their OS definitions
  cfg.AddNode(_Node(NODE3, 3, offline=True), "ec-setup")
  cfg.AddNodeGroup(objects.NodeGroup(
    name=GROUP2, members=[], ndparams={},
    alloc_policy=constants.ALLOC_POLICY_PREFERRED), "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


def _WriteOs(top, name, variants, api="20"):
  """A complete OS definition of API ``api`` below ``top``."""
  os_dir = top / name
  os_dir.mkdir(parents=True)
  (os_dir / constants.OS_API_FILE).write_text(api + "\n")
  for script in sorted(constants.OS_SCRIPTS):
    path = os_dir / script
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
  (os_dir / constants.OS_VARIANTS_FILE).write_text(
    "".join(v + "\n" for v in variants))
  (os_dir / constants.OS_PARAMETERS_FILE).write_text(
    "mirror The package mirror\n")
  return os_dir


class _DiagnoseRpc(local_rpc.LocalRpcRunner):
  """Answers os_diagnose from one OS directory per node, in process."""

  def __init__(self, cfg, os_dirs, failing=()):
    super().__init__(cfg, MASTER)
    self.os_dirs = os_dirs
    self.failing = failing
    self.asked = []

  def call_os_diagnose(self, node_list):
    self.asked.append(list(node_list))
    result = {}
    for name in node_list:
      if name in self.failing:
        result[name] = rpc.RpcResult(data="connection refused", failed=True,
                                     call="os_diagnose", node=name)
      else:
        payload = backend_os.DiagnoseOS([str(self.os_dirs[name])])
        result[name] = rpc.RpcResult(data=[True, payload],
                                     call="os_diagnose", node=name)
    return result


class _Context(object):
  def __init__(self, cfg, rpc_runner):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = rpc_runner
    self.jobqueue = None


@pytest.fixture
def os_dirs(tmp_path):
  dirs = {MASTER: tmp_path / "os1", NODE2: tmp_path / "os2"}
  for (name, top) in dirs.items():
    top.mkdir()
    _WriteOs(top, "debootstrap", ["default", "minimal"])
    _WriteOs(top, "hiddenos", [])
  # a second variant set on node2 only: just the common ones count
  (dirs[NODE2] / "debootstrap" / constants.OS_VARIANTS_FILE).write_text(
    "minimal\ndefault\nextra\n")
  broken = _WriteOs(dirs[NODE2], "broken", ["x"])
  os.unlink(broken / constants.OS_SCRIPT_CREATE)
  return dirs


@pytest.fixture
def ctx(as_node, tmp_path, os_dirs):
  as_node(MASTER)
  cfg = _MakeConfig(tmp_path / "config.data")
  return _Context(cfg, _DiagnoseRpc(cfg, os_dirs))


def _Run(ctx, op):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, None)


# -- OP_QUERY / OP_QUERY_FIELDS --

def test_query_answers_query2_rows_with_filter(ctx):
  result = _Run(ctx, opcodes.OpQuery(what=constants.QR_NODE,
                                     fields=["name", "offline", "nosuch"],
                                     qfilter=["=", "offline", False]))
  assert [fdef["name"] for fdef in result["fields"]] == ["name", "offline",
                                                         "nosuch"]
  assert result["fields"][2]["kind"] == constants.QFT_UNKNOWN
  assert result["data"] == [
    [[constants.RS_NORMAL, MASTER], [constants.RS_NORMAL, False],
     [constants.RS_UNKNOWN, None]],
    [[constants.RS_NORMAL, NODE2], [constants.RS_NORMAL, False],
     [constants.RS_UNKNOWN, None]]]


def test_query_with_locking_locks_the_resource_shared(ctx):
  op = opcodes.OpQuery(what=constants.QR_GROUP, fields=["name"],
                       use_locking=True)
  lu = query_lus.LUQuery(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_NODEGROUP: locking.ALL_SET}
  assert lu.share_locks[locking.LEVEL_NODEGROUP] == 1
  result = _Run(ctx, op)
  assert [row[0][1] for row in result["data"]] == ["default", GROUP2]


def test_query_of_os_goes_to_the_nodes(ctx):
  result = _Run(ctx, opcodes.OpQuery(what=constants.QR_OS,
                                     fields=["name", "valid", "variants"],
                                     qfilter=None))
  assert [[value for (_, value) in row] for row in result["data"]] == [
    ["broken", False, []],
    ["debootstrap", True, ["default", "minimal"]],
    ["hiddenos", True, []]]
  assert ctx.rpc.asked == [[MASTER, NODE2]]


@pytest.mark.parametrize("what", ["lock", "job", "frobnicate"])
def test_query_opcode_refuses_luxi_only_resources(ctx, what):
  # the opcode's own check refuses them before the LU is built
  with pytest.raises(errors.OpPrereqError) as info:
    _Run(ctx, opcodes.OpQuery(what=what, fields=["name"]))
  assert info.value.args[1] == errors.ECODE_INVAL


def test_query_refuses_a_filter_on_unknown_fields(ctx):
  with pytest.raises(errors.ParameterError, match="nosuchfield"):
    _Run(ctx, opcodes.OpQuery(what=constants.QR_NODE, fields=["name"],
                              qfilter=["=", "nosuchfield", 1]))


def test_query_fields_all_sorted_or_selected(ctx):
  result = _Run(ctx, opcodes.OpQueryFields(what=constants.QR_OS))
  names = [fdef["name"] for fdef in result["fields"]]
  assert names == ["api_versions", "blacklisted", "hidden", "name",
                   "node_status", "parameters", "valid", "variants"]
  result = _Run(ctx, opcodes.OpQueryFields(what=constants.QR_GROUP,
                                           fields=["node_cnt", "x"]))
  assert result["fields"] == [
    {"name": "node_cnt", "title": "Nodes", "kind": constants.QFT_NUMBER,
     "doc": "Number of nodes"},
    {"name": "x", "title": "x", "kind": constants.QFT_UNKNOWN,
     "doc": "Unknown field 'x'"}]


# -- the old-style queries --

def test_node_query_rows_all_or_named(ctx):
  op = opcodes.OpNodeQuery(output_fields=["name", "offline", "role"])
  assert _Run(ctx, op) == [[MASTER, False, "M"], [NODE2, False, "R"],
                           [NODE3, True, "O"]]
  op = opcodes.OpNodeQuery(output_fields=["name"], names=["node3", "node1"])
  assert _Run(ctx, op) == [[NODE3], [MASTER]]


def test_node_query_with_locking_locks_the_named_nodes(ctx):
  op = opcodes.OpNodeQuery(output_fields=["name"], names=["node2"],
                           use_locking=True)
  lu = query_lus.LUNodeQuery(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_NODE: [NODE2]}
  assert lu.share_locks[locking.LEVEL_NODE] == 1
  assert _Run(ctx, op) == [[NODE2]]


def test_node_query_errors(ctx):
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: frob") as info:
    _Run(ctx, opcodes.OpNodeQuery(output_fields=["name", "frob"]))
  assert info.value.args[1] == errors.ECODE_INVAL
  with pytest.raises(errors.OpPrereqError, match="nosuch") as info:
    _Run(ctx, opcodes.OpNodeQuery(output_fields=["name"], names=["nosuch"]))
  assert info.value.args[1] == errors.ECODE_NOENT


def test_group_query_counts_members(ctx):
  op = opcodes.OpGroupQuery(output_fields=["name", "node_cnt",
                                           "alloc_policy"])
  assert _Run(ctx, op) == [["default", 3, constants.ALLOC_POLICY_PREFERRED],
                           [GROUP2, 0, constants.ALLOC_POLICY_PREFERRED]]
  with pytest.raises(errors.OpPrereqError, match="Node group 'nosuch'") \
      as info:
    _Run(ctx, opcodes.OpGroupQuery(output_fields=["name"], names=["nosuch"]))
  assert info.value.args[1] == errors.ECODE_NOENT


def test_instance_query_without_instances(ctx):
  assert _Run(ctx, opcodes.OpInstanceQuery(output_fields=["name", "os"])) \
    == []
  with pytest.raises(errors.OpPrereqError, match="Instance 'inst9' not"
                     " known") as info:
    _Run(ctx, opcodes.OpInstanceQuery(output_fields=["name"],
                                      names=["inst9"]))
  assert info.value.args[1] == errors.ECODE_NOENT
  op = opcodes.OpInstanceQuery(output_fields=["name"], names=["inst9"],
                               use_locking=True)
  with pytest.raises(errors.OpPrereqError, match="inst9"):
    _Run(ctx, op)


# -- OP_OS_DIAGNOSE --

def test_os_diagnose_hides_invalid_and_hidden_by_default(ctx):
  op = opcodes.OpOsDiagnose(output_fields=["name", "variants",
                                           "api_versions", "parameters"])
  assert _Run(ctx, op) == [["debootstrap", ["default", "minimal"], [20],
                            [["mirror", "The package mirror"]]]]


def test_os_diagnose_shows_all_when_status_fields_requested(ctx):
  op = opcodes.OpOsDiagnose(output_fields=["name", "valid", "hidden",
                                           "blacklisted"])
  assert _Run(ctx, op) == [["broken", False, False, False],
                           ["debootstrap", True, False, False],
                           ["hiddenos", True, True, False]]


def test_os_diagnose_node_status_reports_each_node(ctx, os_dirs):
  op = opcodes.OpOsDiagnose(output_fields=["name", "valid", "node_status"],
                            names=["broken"])
  [[name, valid, status]] = _Run(ctx, op)
  assert (name, valid) == ("broken", False)
  # missing on the master: an empty list; broken on node2
  assert status[MASTER] == []
  [(path, ok, message, variants, params, api)] = status[NODE2]
  assert path == str(os_dirs[NODE2] / "broken")
  assert ok is False and "'create'" in message and "missing" in message
  assert (variants, params, api) == ([], [], [])


def test_os_diagnose_unknown_names_are_left_out(ctx):
  op = opcodes.OpOsDiagnose(output_fields=["name"],
                            names=["nosuchos", "debootstrap"])
  assert _Run(ctx, op) == [["debootstrap"]]


def test_os_diagnose_skips_nodes_whose_call_failed(ctx, os_dirs):
  ctx.rpc = _DiagnoseRpc(ctx.cfg, os_dirs, failing=[NODE2])
  op = opcodes.OpOsDiagnose(output_fields=["name", "valid", "variants",
                                           "node_status"],
                            names=["debootstrap"])
  [[name, valid, variants, status]] = _Run(ctx, op)
  assert (name, valid, variants) == ("debootstrap", True,
                                     ["default", "minimal"])
  assert list(status) == [MASTER]


def test_os_diagnose_refuses_unknown_fields(ctx):
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: size"):
    _Run(ctx, opcodes.OpOsDiagnose(output_fields=["name", "size"]))
  assert ctx.rpc.asked == []
