"""Tests for ganeti.cmdlib.node_params and node_storage: role rules.

A real configuration, lock manager, mcpu and RPC runner; no node daemon
listens on the 127.x addresses, so node calls fail at once and the LUs
only warn (demotion of a candidate) or stop (calls they need).  The same
operations against live daemons are in test/integration/test_node_roles.py.
"""

import os
import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import rpc
from ganeti import utils
from ganeti.cmdlib import node_params


MASTER = "node1.example.com"
_HOSTS = {
  MASTER: "127.0.93.1",
  "node2.example.com": "127.0.93.2",
  "node3.example.com": "127.0.93.3",
  "node4.example.com": "127.0.93.4",
  }


def _Cluster(pool_size):
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="127.0.93.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=pool_size,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    modify_etc_hosts=False, modify_ssh_setup=False,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    primary_ip_family=socket.AF_INET, tags=set())


def _Node(name, candidate=False, **flags):
  values = dict(offline=False, drained=False, master_capable=True,
                vm_capable=True)
  values.update(flags)
  return objects.Node(name=name, primary_ip=_HOSTS[name],
                      secondary_ip=_HOSTS[name], master_candidate=candidate,
                      ndparams={}, **values)


class _Context(object):
  def __init__(self, cfg):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = rpc.RpcRunner(cfg)
    self.jobqueue = None


class _Cbs(mcpu.OpExecCbBase):
  def __init__(self):
    self.feedback = []

  def Feedback(self, *args):
    self.feedback.append(args)

  def text(self):
    return "\n".join(str(entry[-1]) for entry in self.feedback)


@pytest.fixture
def vnode(as_node, tmp_path):
  """This process as the master of a virtual cluster in tmp_path."""
  (tmp_path / "hosts").write_text("".join("%s %s\n" % (ip, name)
                                          for (name, ip) in _HOSTS.items()))
  root = as_node(MASTER)
  os.makedirs(pathutils.DATA_DIR)
  os.makedirs(pathutils.QUEUE_DIR)
  utils.WriteFile(pathutils.JOB_QUEUE_SERIAL_FILE, data="0\n")
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  return root


def _MakeCtx(nodes, pool_size=10):
  config.InitConfig(constants.CONFIG_VERSION, _Cluster(pool_size),
                    _Node(MASTER, candidate=True))
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  for node in nodes:
    cfg.AddNode(node, "setup")
  cfg.DropECReservations("setup")
  return _Context(cfg)


@pytest.fixture
def ctx(vnode):
  """Master and node2 candidates, node3 regular (pool size 10)."""
  context = _MakeCtx([_Node("node2.example.com", candidate=True),
                      _Node("node3.example.com")])
  yield context
  context.rpc.Close()


def _Run(ctx, op, cbs=None):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs)


def _PrereqError(ctx, op):
  with pytest.raises(errors.OpPrereqError) as info:
    _Run(ctx, op)
  return info.value


def _Set(**kwargs):
  return opcodes.OpNodeSetParams(**kwargs)


def test_modify_needs_a_modification(ctx):
  err = _PrereqError(ctx, _Set(node_name="node3.example.com"))
  assert "Please pass at least one modification" in str(err)


def test_roles_are_exclusive(ctx):
  err = _PrereqError(ctx, _Set(node_name="node3.example.com", offline=True,
                               drained=True))
  assert "more than one state at the same time" in str(err)


def test_master_role_changes_only_by_failover(ctx):
  err = _PrereqError(ctx, _Set(node_name=MASTER, offline=True))
  assert "master role can be changed only via master failover" in str(err)


def test_draining_a_regular_node_returns_the_change(ctx):
  result = _Run(ctx, _Set(node_name="node3", drained=True))
  assert result == [["drained", "True"]]
  node = ctx.cfg.GetNodeInfo("node3.example.com")
  assert (node.drained, node.offline, node.master_candidate) == \
    (True, False, False)
  assert node_params.NodeRole(node) == node_params.ROLE_DRAINED


def test_offlining_a_drained_node_clears_drained(ctx):
  _Run(ctx, _Set(node_name="node3", drained=True))
  result = _Run(ctx, _Set(node_name="node3", offline=True))
  assert result == [["drained", "False"], ["offline", "True"]]


def test_demoting_a_needed_candidate_needs_auto_promote(ctx):
  err = _PrereqError(ctx, _Set(node_name="node2", master_candidate=False))
  assert ("Not enough master candidates, please pass auto promote option"
          in str(err))
  assert ctx.cfg.GetNodeInfo("node2.example.com").master_candidate


def test_auto_promote_promotes_another_node(ctx):
  cbs = _Cbs()
  result = _Run(ctx, _Set(node_name="node2", master_candidate=False,
                          auto_promote=True), cbs)
  assert result == [["master_candidate", "False"]]
  assert not ctx.cfg.GetNodeInfo("node2.example.com").master_candidate
  assert ctx.cfg.GetNodeInfo("node3.example.com").master_candidate
  assert "Promoted nodes to master candidate role: node3.example.com" in \
    cbs.text()
  # nobody listens: the demotion call fails and is only a warning
  assert "Node failed to demote itself" in cbs.text()


def test_master_capable_no_demotes_the_candidate(ctx):
  result = _Run(ctx, _Set(node_name="node2", master_capable=False,
                          auto_promote=True))
  assert ["master_capable", "False"] in result
  assert ["master_candidate", "False"] in result
  node = ctx.cfg.GetNodeInfo("node2.example.com")
  assert not node.master_candidate and not node.master_capable


def test_candidate_refused_for_a_node_not_master_capable(vnode):
  ctx = _MakeCtx([_Node("node2.example.com", master_capable=False)])
  try:
    err = _PrereqError(ctx, _Set(node_name="node2", master_candidate=True))
    assert "is not master capable" in str(err)
  finally:
    ctx.rpc.Close()


def test_undraining_joins_the_pool_when_it_has_room(vnode):
  ctx = _MakeCtx([_Node("node2.example.com", drained=True)])
  try:
    result = _Run(ctx, _Set(node_name="node2", drained=False))
    assert result == [["master_candidate", "True"], ["drained", "False"]]
  finally:
    ctx.rpc.Close()


def test_secondary_ip_must_be_ipv4(ctx):
  err = _PrereqError(ctx, _Set(node_name="node3", secondary_ip="nope"))
  assert "Secondary IP (nope) needs to be a valid IPv4 address" in str(err)


def test_secondary_ip_cannot_change_on_a_single_homed_cluster(ctx):
  err = _PrereqError(ctx, _Set(node_name="node3",
                               secondary_ip="192.0.2.33"))
  assert "single homed cluster" in str(err)


def test_ndparams_are_merged_and_default_removes(ctx):
  result = _Run(ctx, _Set(node_name="node3",
                          ndparams={constants.ND_SPINDLE_COUNT: 4}))
  assert result[0][0] == "ndparams"
  assert ctx.cfg.GetNodeInfo("node3.example.com").ndparams == \
    {constants.ND_SPINDLE_COUNT: 4}
  _Run(ctx, _Set(node_name="node3",
                 ndparams={constants.ND_SPINDLE_COUNT: "default"}))
  assert ctx.cfg.GetNodeInfo("node3.example.com").ndparams == {}


def test_powered_needs_an_oob_program(ctx):
  err = _PrereqError(ctx, _Set(node_name="node3", powered=False))
  assert "out-of-band program" in str(err)


def test_powercycle_of_the_master_needs_force(ctx):
  err = _PrereqError(ctx, opcodes.OpNodePowercycle(node_name=MASTER))
  assert "The node is the master and the force parameter was not set" in \
    str(err)


def test_powercycle_reports_the_unreachable_node(ctx):
  with pytest.raises(errors.OpExecError,
                     match="Failed to schedule the reboot of node"
                     " node3.example.com"):
    _Run(ctx, opcodes.OpNodePowercycle(node_name="node3"))


def test_queryvols_refuses_unknown_fields(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeQueryvols(output_fields=["bogus"]))
  assert "Unknown output fields selected: bogus" in str(err)


def test_modify_storage_only_changes_pv_allocatable(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeModifyStorage(
    node_name="node3", storage_type=constants.ST_LVM_VG, name="xenvg",
    changes={"allocatable": False}))
  assert "Storage units of type 'lvm-vg' can not be modified" in str(err)
  err = _PrereqError(ctx, opcodes.OpNodeModifyStorage(
    node_name="node3", storage_type=constants.ST_LVM_PV, name="/dev/sda",
    changes={"size": 1}))
  assert "can not be modified for storage units of type 'lvm-pv'" in \
    str(err)


def test_repair_storage_only_for_volume_groups(ctx):
  err = _PrereqError(ctx, opcodes.OpRepairNodeStorage(
    node_name="node3", storage_type=constants.ST_LVM_PV, name="/dev/sda"))
  assert "Storage units of type 'lvm-pv' can not be repaired" in str(err)


def test_query_storage_skips_unreachable_nodes_with_a_warning(ctx):
  cbs = _Cbs()
  result = _Run(ctx, opcodes.OpNodeQueryStorage(
    output_fields=["node", "name"], storage_type=constants.ST_LVM_VG,
    nodes=["node3"]), cbs)
  assert result == []
  assert "Can't get storage data from node node3.example.com" in cbs.text()
