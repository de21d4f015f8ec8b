"""Tests for ganeti.cmdlib.tags: LUTagsGet/Set/Del/Search on a real config.

The configuration, lock manager and mcpu are real (this process is the
master of a virtual node below tmp_path); no node is contacted, since
tags never leave the master.  The same commands through gnt-cluster and
gnt-node on running daemons are in test/integration/test_tags.py.
"""

import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti.cmdlib import local_rpc
from ganeti.cmdlib import tags as cmdlib_tags


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
INST = "inst1.example.com"
GROUP2 = "rack2"


def _Node(name, idx):
  return objects.Node(name=name, primary_ip="192.0.2.%d" % idx,
                      secondary_ip="192.0.2.%d" % idx,
                      master_candidate=(idx == 1), offline=False,
                      drained=False, master_capable=True, vm_capable=True,
                      ndparams={})


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
    primary_ip_family=socket.AF_INET, tags=set())
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=str(path))
  cfg = config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  group = objects.NodeGroup(name=GROUP2, members=[], ndparams={},
                            alloc_policy=constants.ALLOC_POLICY_PREFERRED)
  cfg.AddNodeGroup(group, "ec-setup")
  cfg.AddInstance(objects.Instance(name=INST, primary_node=MASTER,
                                   os="debootstrap",
                                   hypervisor=constants.HT_FAKE, hvparams={},
                                   beparams={}, osparams={},
                                   admin_state=constants.ADMINST_DOWN,
                                   nics=[], disks=[],
                                   disk_template=constants.DT_DISKLESS,
                                   network_port=None),
                  "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


class _Context(object):
  def __init__(self, cfg):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = local_rpc.LocalRpcRunner(cfg, MASTER)
    self.jobqueue = None


@pytest.fixture
def cfg_path(as_node, tmp_path):
  as_node(MASTER)
  return tmp_path / "config.data"


@pytest.fixture
def ctx(cfg_path):
  return _Context(_MakeConfig(cfg_path))


def _Run(ctx, op):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, None)


def _Reload(cfg_path):
  """A fresh reader of the configuration file: what was really saved."""
  return config.ConfigWriter(cfg_file=str(cfg_path), _my_hostname=MASTER)


def _Set(ctx, kind, name, tags):
  return _Run(ctx, opcodes.OpTagsSet(kind=kind, name=name, tags=tags))


def _Get(ctx, kind, name):
  return _Run(ctx, opcodes.OpTagsGet(kind=kind, name=name))


# -- get / set / del on every kind --

@pytest.mark.parametrize("kind, name, short", [
  (constants.TAG_CLUSTER, "cluster", None),
  (constants.TAG_NODE, NODE2, "node2"),
  (constants.TAG_INSTANCE, INST, "inst1"),
  (constants.TAG_NODEGROUP, GROUP2, None),
  ])
def test_set_get_del_round_trip_on_every_kind(ctx, cfg_path, kind, name,
                                              short):
  assert _Get(ctx, kind, name) == []
  assert _Set(ctx, kind, short or name, ["zeta", "alpha:1", "alpha:1"]) \
    is None
  assert _Get(ctx, kind, short or name) == ["alpha:1", "zeta"]
  saved = _Reload(cfg_path)
  if kind == constants.TAG_CLUSTER:
    obj = saved.GetClusterInfo()
  elif kind == constants.TAG_NODE:
    obj = saved.GetNodeInfo(name)
  elif kind == constants.TAG_INSTANCE:
    obj = saved.GetInstanceInfo(name)
  else:
    obj = saved.GetNodeGroup(saved.LookupNodeGroup(name))
  assert sorted(obj.GetTags()) == ["alpha:1", "zeta"]
  _Run(ctx, opcodes.OpTagsDel(kind=kind, name=short or name, tags=["zeta"]))
  assert _Get(ctx, kind, name) == ["alpha:1"]


def test_cluster_kind_ignores_the_name(ctx):
  _Set(ctx, constants.TAG_CLUSTER, None, ["a"])
  assert _Get(ctx, constants.TAG_CLUSTER, "whatever") == ["a"]


def test_set_bumps_the_serial_number(ctx):
  before = ctx.cfg.GetNodeInfo(NODE2).serial_no
  _Set(ctx, constants.TAG_NODE, NODE2, ["x"])
  assert ctx.cfg.GetNodeInfo(NODE2).serial_no == before + 1


def test_get_without_locking(ctx):
  _Set(ctx, constants.TAG_NODE, NODE2, ["x"])
  op = opcodes.OpTagsGet(kind=constants.TAG_NODE, name=NODE2,
                         use_locking=False)
  assert _Run(ctx, op) == ["x"]


@pytest.mark.parametrize("kind, name, match", [
  (constants.TAG_NODE, "nosuchnode", "Node 'nosuchnode' not known"),
  (constants.TAG_INSTANCE, "nosuchinst", "Instance 'nosuchinst' not known"),
  (constants.TAG_NODEGROUP, "nosuchgroup",
   "Node group 'nosuchgroup' not found"),
  ])
def test_unknown_objects_are_refused(ctx, kind, name, match):
  with pytest.raises(errors.OpPrereqError, match=match) as info:
    _Get(ctx, kind, name)
  assert info.value.args[1] == errors.ECODE_NOENT


@pytest.mark.parametrize("kind", [constants.TAG_NODE,
                                  constants.TAG_INSTANCE,
                                  constants.TAG_NODEGROUP])
def test_missing_name_is_refused(ctx, kind):
  with pytest.raises(errors.OpPrereqError, match="Invalid") as info:
    _Get(ctx, kind, None)
  assert info.value.args[1] == errors.ECODE_INVAL


def test_lus_lock_only_the_tagged_object(ctx):
  node_op = opcodes.OpTagsSet(kind=constants.TAG_NODE, name="node2",
                              tags=["a"])
  lu = cmdlib_tags.LUTagsSet(mcpu.Processor(ctx, 1), node_op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_NODE: [NODE2]}
  assert lu.share_locks[locking.LEVEL_NODE] == 0
  group_op = opcodes.OpTagsGet(kind=constants.TAG_NODEGROUP, name=GROUP2)
  lu = cmdlib_tags.LUTagsGet(mcpu.Processor(ctx, 1), group_op, ctx, ctx.rpc)
  lu.ExpandNames()
  uuid = ctx.cfg.LookupNodeGroup(GROUP2)
  assert lu.needed_locks == {locking.LEVEL_NODEGROUP: [uuid]}
  assert lu.share_locks[locking.LEVEL_NODEGROUP] == 1
  cluster_op = opcodes.OpTagsSet(kind=constants.TAG_CLUSTER, name="cluster",
                                 tags=["a"])
  lu = cmdlib_tags.LUTagsSet(mcpu.Processor(ctx, 1), cluster_op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {}


# -- limits --

@pytest.mark.parametrize("tag, match", [
  ("x" * (constants.MAX_TAG_LEN + 1), "too long"),
  ("bad tag", "invalid characters"),
  ("semi;colon", "invalid characters"),
  ])
def test_invalid_tags_are_refused_and_nothing_changes(ctx, cfg_path, tag,
                                                      match):
  with pytest.raises(errors.TagError, match=match):
    _Set(ctx, constants.TAG_NODE, NODE2, ["good", tag])
  assert _Get(ctx, constants.TAG_NODE, NODE2) == []
  assert _Reload(cfg_path).GetNodeInfo(NODE2).GetTags() == set()


def test_longest_tag_and_every_allowed_character_are_accepted(ctx):
  longest = "y" * constants.MAX_TAG_LEN
  special = "Az09_.+*/:@-"
  _Set(ctx, constants.TAG_CLUSTER, "cluster", [longest, special])
  assert _Get(ctx, constants.TAG_CLUSTER, "cluster") == sorted([longest,
                                                                special])


def test_tag_count_limit(ctx, cfg_path):
  limit = constants.MAX_TAGS_PER_OBJ
  _Set(ctx, constants.TAG_INSTANCE, INST,
       ["t%d" % idx for idx in range(limit - 1)])
  # re-adding existing tags does not count against the limit
  _Set(ctx, constants.TAG_INSTANCE, INST, ["t0", "last"])
  with pytest.raises(errors.TagError,
                     match=r"Cannot add 2 tag\(s\) to instance %s: it has"
                     r" %d tag\(s\) and at most %d are allowed" %
                     (INST, limit, limit)):
    _Set(ctx, constants.TAG_INSTANCE, INST, ["one", "two"])
  assert len(_Reload(cfg_path).GetInstanceInfo(INST).GetTags()) == limit


def test_delete_needs_every_tag_present(ctx):
  _Set(ctx, constants.TAG_NODEGROUP, GROUP2, ["a", "b"])
  op = opcodes.OpTagsDel(kind=constants.TAG_NODEGROUP, name=GROUP2,
                         tags=["a", "nope", "gone"])
  with pytest.raises(errors.OpPrereqError,
                     match="Tag\\(s\\) 'gone', 'nope' not found on node group"
                     " rack2") as info:
    _Run(ctx, op)
  assert info.value.args[1] == errors.ECODE_NOENT
  assert _Get(ctx, constants.TAG_NODEGROUP, GROUP2) == ["a", "b"]


def test_delete_refuses_invalid_tags(ctx):
  op = opcodes.OpTagsDel(kind=constants.TAG_CLUSTER, name="cluster",
                         tags=["in valid"])
  with pytest.raises(errors.TagError, match="invalid characters"):
    _Run(ctx, op)


def test_empty_tags_are_refused_by_the_opcode(ctx):
  with pytest.raises(errors.OpPrereqError, match="tags"):
    _Set(ctx, constants.TAG_CLUSTER, "cluster", [""])


# -- search --

def test_search_covers_every_kind_with_paths(ctx):
  _Set(ctx, constants.TAG_CLUSTER, "cluster", ["env:prod", "other"])
  _Set(ctx, constants.TAG_NODE, NODE2, ["env:test"])
  _Set(ctx, constants.TAG_NODE, MASTER, ["env:prod"])
  _Set(ctx, constants.TAG_INSTANCE, INST, ["env:prod", "web"])
  _Set(ctx, constants.TAG_NODEGROUP, GROUP2, ["env:rack"])
  result = _Run(ctx, opcodes.OpTagsSearch(pattern="^env:"))
  assert result == [
    ["/cluster", "env:prod"],
    ["/instances/%s" % INST, "env:prod"],
    ["/nodes/%s" % MASTER, "env:prod"],
    ["/nodes/%s" % NODE2, "env:test"],
    ["/nodegroup/%s" % GROUP2, "env:rack"],
    ]


def test_search_is_unanchored(ctx):
  _Set(ctx, constants.TAG_NODE, NODE2, ["abc", "xbz"])
  assert _Run(ctx, opcodes.OpTagsSearch(pattern="b")) == [
    ["/nodes/%s" % NODE2, "abc"], ["/nodes/%s" % NODE2, "xbz"]]


def test_search_without_match_is_empty(ctx):
  assert _Run(ctx, opcodes.OpTagsSearch(pattern="nothing")) == []


def test_search_refuses_a_broken_pattern(ctx):
  with pytest.raises(errors.OpPrereqError,
                     match="Invalid search pattern '\\(unclosed'") as info:
    _Run(ctx, opcodes.OpTagsSearch(pattern="(unclosed"))
  assert info.value.args[1] == errors.ECODE_INVAL
