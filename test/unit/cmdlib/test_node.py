"""Tests for ganeti.cmdlib.node: LUNodeAdd/LUNodeRemove checks and the pool.

Everything is real: the configuration, the lock manager, mcpu and the RPC
runner (with a generated cluster certificate).  No node daemon runs here,
so node calls fail at once with "connection refused" on 127.x addresses;
the tests check what the LUs decide before and despite that.  The success
paths with live node daemons are in test/integration/test_node_add.py.
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
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import node as cmdlib_node


MASTER = "node1.example.com"

#: name -> primary IP; nothing listens on the node daemon port there
_HOSTS = {
  MASTER: "127.0.91.1",
  "node2.example.com": "127.0.91.2",
  "node3.example.com": "127.0.91.3",
  "node4.example.com": "127.0.91.4",
  "new.example.com": "127.0.91.10",
  "clash.example.com": "127.0.91.2",
  }


def _MakeCluster(pool_size):
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="127.0.91.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=pool_size,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    modify_etc_hosts=False, modify_ssh_setup=False,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    primary_ip_family=socket.AF_INET, tags=set())


def _Node(name, candidate=False, offline=False):
  return objects.Node(name=name, primary_ip=_HOSTS[name],
                      secondary_ip=_HOSTS[name], master_candidate=candidate,
                      offline=offline, drained=False, master_capable=True,
                      vm_capable=True, ndparams={})


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
  """A context whose config has the master plus ``nodes`` (Node objects)."""
  config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(pool_size),
                    _Node(MASTER, candidate=True))
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  for node in nodes:
    cfg.AddNode(node, "setup")
  cfg.DropECReservations("setup")
  return _Context(cfg)


@pytest.fixture
def ctx(vnode):
  context = _MakeCtx([_Node("node2.example.com", candidate=True)])
  yield context
  context.rpc.Close()


def _Run(ctx, op, cbs=None):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs)


def _PrereqError(ctx, op):
  with pytest.raises(errors.OpPrereqError) as info:
    _Run(ctx, op)
  return info.value


# -- LUNodeAdd prerequisites ---------------------------------------------------

def test_add_refuses_a_node_already_in_the_cluster(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="node2.example.com"))
  assert "already in the configuration" in str(err)
  assert err.args[1] == errors.ECODE_EXISTS


def test_add_expands_and_resolves_the_name(ctx):
  # "node2" is resolved through the cluster's hosts file to its full name
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="node2.example.com."))
  assert "node2.example.com is already in" in str(err)


def test_readd_needs_a_known_node(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="new.example.com",
                                            readd=True))
  assert "not in the configuration" in str(err)
  assert err.args[1] == errors.ECODE_NOENT


def test_readd_of_the_master_is_refused(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name=MASTER, readd=True))
  assert "Cannot readd the master node" in str(err)


def test_readd_with_a_group_is_refused(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="node2.example.com",
                                            readd=True, group="default"))
  assert "Cannot pass a node group when a node is being readded" in str(err)
  assert err.args[1] == errors.ECODE_INVAL


def test_add_refuses_an_address_used_by_another_node(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="clash.example.com"))
  assert "conflict with existing node node2.example.com" in str(err)
  assert err.args[1] == errors.ECODE_NOTUNIQUE


def test_add_refuses_a_secondary_ip_on_a_single_homed_cluster(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="new.example.com",
                                            secondary_ip="127.0.92.10"))
  assert "The master has no secondary ip but the new node has one" in \
    str(err)


def test_add_refuses_an_invalid_secondary_ip(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="new.example.com",
                                            secondary_ip="not-an-ip"))
  assert "Secondary IP (not-an-ip) needs to be a valid IPv4 address" in \
    str(err)


def test_add_refuses_an_unknown_group(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="new.example.com",
                                            group="nosuchgroup"))
  assert "nosuchgroup" in str(err)
  assert err.args[1] == errors.ECODE_NOENT


def test_add_refuses_bad_node_parameters(ctx):
  with pytest.raises(errors.TypeEnforcementError, match="nosuchparam"):
    _Run(ctx, opcodes.OpNodeAdd(node_name="new.example.com",
                                ndparams={"nosuchparam": 1}))


def test_add_of_an_unresolvable_name_fails_with_a_resolver_error(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="nowhere.invalid"))
  assert "nowhere.invalid" in str(err)
  assert err.args[1] == errors.ECODE_RESOLVER


def test_add_fails_cleanly_when_the_master_cannot_check_reachability(ctx):
  # the master's node daemon is not running: the ping cannot be done
  err = _PrereqError(ctx, opcodes.OpNodeAdd(node_name="new.example.com"))
  assert "Cannot check the reachability of node new.example.com" in str(err)
  assert err.args[1] == errors.ECODE_ENVIRON
  assert ctx.cfg.GetNodeInfo("new.example.com") is None


def test_add_hooks_env_and_nodes(ctx):
  op = opcodes.OpNodeAdd(node_name="new.example.com", vm_capable=False)
  lu = cmdlib_node.LUNodeAdd(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  lu.ExpandNames()
  op.primary_ip = "127.0.91.10"
  op.secondary_ip = "127.0.91.10"
  op.master_capable = True
  env = lu.BuildHooksEnv()
  assert env == {"OP_TARGET": "new.example.com",
                 "NODE_NAME": "new.example.com",
                 "NODE_PIP": "127.0.91.10", "NODE_SIP": "127.0.91.10",
                 "MASTER_CAPABLE": "True", "VM_CAPABLE": "False"}
  (pre, post) = lu.BuildHooksNodes()
  assert sorted(pre) == [MASTER, "node2.example.com"]
  assert sorted(post) == ["new.example.com", MASTER, "node2.example.com"]


# -- candidate pool ------------------------------------------------------------

class _FakeLu(object):
  """What the pool helpers use of an LU, with a real config and runner."""

  def __init__(self, ctx):
    self.cfg = ctx.cfg
    self.rpc = ctx.rpc
    self.infos = []
    self.warnings = []

  def LogInfo(self, msg, *args):
    self.infos.append(msg % args)

  def LogWarning(self, msg, *args):
    self.warnings.append(msg % args)


def test_self_promotion_follows_the_pool_size(vnode):
  ctx = _MakeCtx([_Node("node2.example.com", candidate=True)], pool_size=3)
  lu = _FakeLu(ctx)
  assert cmdlib_node.DecideSelfPromotion(lu)
  ctx.cfg.GetClusterInfo().candidate_pool_size = 2
  assert not cmdlib_node.DecideSelfPromotion(lu)
  # a re-added candidate does not count itself
  assert cmdlib_node.DecideSelfPromotion(lu,
                                         exceptions=["node2.example.com"])
  ctx.rpc.Close()


def test_adjust_candidate_pool_promotes_up_to_the_size(vnode):
  ctx = _MakeCtx([_Node("node2.example.com"), _Node("node3.example.com"),
                  _Node("node4.example.com", offline=True)], pool_size=3)
  lu = _FakeLu(ctx)
  promoted = cluster_utils.AdjustCandidatePool(lu, [])
  assert promoted == ["node2.example.com", "node3.example.com"]
  assert sorted(ctx.cfg.GetMasterCandidateList()) == \
    [MASTER, "node2.example.com", "node3.example.com"]
  assert lu.infos[0] == ("Promoted nodes to master candidate role:"
                         " node2.example.com, node3.example.com")
  # the new candidates get their files from masterd's replication, which
  # follows the configuration save: nothing is sent from here
  assert lu.warnings == []
  # full pool: nothing more to do
  assert cluster_utils.AdjustCandidatePool(lu, []) == []
  ctx.rpc.Close()


def test_adjust_candidate_pool_skips_exceptions_and_notes_surplus(vnode):
  ctx = _MakeCtx([_Node("node2.example.com", candidate=True),
                  _Node("node3.example.com", candidate=True),
                  _Node("node4.example.com")], pool_size=2)
  lu = _FakeLu(ctx)
  assert cluster_utils.AdjustCandidatePool(lu, ["node4.example.com"]) == []
  assert lu.infos == ["Note: more nodes are candidates (3) than desired (2)"]
  ctx.rpc.Close()


# -- LUNodeRemove ------------------------------------------------------------

def test_remove_refuses_the_master(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeRemove(node_name=MASTER))
  assert "is the master node, failover to another node is required" in \
    str(err)


def test_remove_refuses_an_unknown_node(ctx):
  err = _PrereqError(ctx, opcodes.OpNodeRemove(node_name="nosuch"))
  assert "Node 'nosuch' not known" in str(err)
  assert err.args[1] == errors.ECODE_NOENT


def test_remove_drops_the_node_and_refills_the_pool(vnode):
  ctx = _MakeCtx([_Node("node2.example.com", candidate=True),
                  _Node("node3.example.com")], pool_size=2)
  cbs = _Cbs()
  assert _Run(ctx, opcodes.OpNodeRemove(node_name="node2"), cbs) is None
  assert sorted(ctx.cfg.GetNodeList()) == [MASTER, "node3.example.com"]
  # node3 took the place of the removed candidate
  assert ctx.cfg.GetNodeInfo("node3.example.com").master_candidate
  assert "node2.example.com" not in ctx.glm.list_owned(locking.LEVEL_NODE)
  text = cbs.text()
  assert "Promoted nodes to master candidate role: node3.example.com" in text
  # the node daemon is not running: leaving is reported, not fatal
  assert ("Errors encountered on the remote node while leaving the"
          " cluster") in text
  ctx.rpc.Close()


def test_remove_hooks_env_and_nodes(ctx):
  op = opcodes.OpNodeRemove(node_name="node2")
  lu = cmdlib_node.LUNodeRemove(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.BuildHooksEnv() == {"OP_TARGET": "node2.example.com",
                                "NODE_NAME": "node2.example.com"}
  assert lu.BuildHooksNodes() == ([MASTER], [MASTER])
