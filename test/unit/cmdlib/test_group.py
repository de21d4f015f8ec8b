"""Tests for ganeti.cmdlib.group and ganeti.client.gnt_group.

The LUs run through a real mcpu.Processor, ConfigWriter, lock manager and
RPC runner on a virtual master below tmp_path; no node daemon runs, so the
master-only hooks fail to reach their node (a warning) and the LUs' own
decisions are what is tested.  The commands against live daemons are in
test/integration/test_groups.py.
"""

import os
import socket

import pytest

from ganeti import cli
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
from ganeti.client import gnt_group
from ganeti.cmdlib import group as cmdlib_group


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
_IPS = {MASTER: "127.0.93.1", NODE2: "127.0.93.2", NODE3: "127.0.93.3"}


def _Node(name):
  return objects.Node(name=name, primary_ip=_IPS[name],
                      secondary_ip=_IPS[name], master_candidate=True,
                      offline=False, drained=False, master_capable=True,
                      vm_capable=True, ndparams={})


def _DrbdInstance(cfg, name, pnode, snode):
  port = cfg.AllocatePort()
  minors = cfg.AllocateDRBDMinor([pnode, snode], name)
  children = [
    objects.Disk(dev_type=constants.LD_LV, size=1024, mode="rw",
                 logical_id=("xenvg", name + ".data")),
    objects.Disk(dev_type=constants.LD_LV, size=128, mode="rw",
                 logical_id=("xenvg", name + ".meta")),
    ]
  disk = objects.Disk(dev_type=constants.LD_DRBD8, size=1024, mode="rw",
                      iv_name="disk/0", children=children,
                      logical_id=(pnode, snode, port, minors[0], minors[1],
                                  cfg.GenerateDRBDSecret("setup")))
  return objects.Instance(name=name, primary_node=pnode, os="debootstrap",
                          hypervisor=constants.HT_FAKE, hvparams={},
                          beparams={}, osparams={},
                          admin_state=constants.ADMINST_DOWN,
                          nics=[objects.NIC(mac=cfg.GenerateMAC("setup"),
                                            nicparams={})],
                          disks=[disk], disk_template=constants.DT_DRBD8,
                          network_port=None)


class _Context(object):
  def __init__(self, cfg):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = rpc.RpcRunner(cfg)
    self.jobqueue = None


@pytest.fixture
def ctx(as_node):
  """A master with nodes 2 and 3 in the default group, one DRBD instance
  on nodes 2 and 3."""
  as_node(MASTER)
  os.makedirs(pathutils.DATA_DIR)
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="127.0.93.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    modify_etc_hosts=False, modify_ssh_setup=False,
    primary_ip_family=socket.AF_INET, tags=set())
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER))
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2), "setup")
  cfg.AddNode(_Node(NODE3), "setup")
  cfg.AddInstance(_DrbdInstance(cfg, "inst1.example.com", NODE2, NODE3),
                  "setup")
  cfg.DropECReservations("setup")
  context = _Context(cfg)
  yield context
  context.rpc.Close()


class _Cbs(mcpu.OpExecCbBase):
  def __init__(self):
    self.feedback = []

  def Feedback(self, *args):
    self.feedback.append(args)

  def text(self):
    return "\n".join(str(entry[-1]) for entry in self.feedback)


def _Run(ctx, op, cbs=None):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs or _Cbs())


def _PrereqError(ctx, op):
  with pytest.raises(errors.OpPrereqError) as info:
    _Run(ctx, op)
  return info.value


def _LockExists(ctx, uuid):
  """Whether the lock manager knows the node group lock ``uuid``."""
  ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
  try:
    ctx.glm.acquire(locking.LEVEL_NODEGROUP, [uuid])
    ctx.glm.release(locking.LEVEL_NODEGROUP)
    return True
  except errors.LockError:
    return False
  finally:
    ctx.glm.release(locking.LEVEL_CLUSTER)


def _Group(ctx, name):
  return ctx.cfg.GetNodeGroup(ctx.cfg.LookupNodeGroup(name))


# -- add -----------------------------------------------------------------------

def test_add_creates_the_group_and_its_lock(ctx):
  ipolicy = {constants.ISPECS_MIN: {constants.ISPEC_MEM_SIZE: 256},
             constants.ISPECS_MAX: {constants.ISPEC_MEM_SIZE: 4096}}
  _Run(ctx, opcodes.OpGroupAdd(
    group_name="rack2", alloc_policy=constants.ALLOC_POLICY_LAST_RESORT,
    ndparams={constants.ND_OOB_PROGRAM: "/bin/true"},
    diskparams={constants.DT_PLAIN: {constants.LV_STRIPES: 2}},
    ipolicy=ipolicy))
  group = _Group(ctx, "rack2")
  assert group.alloc_policy == constants.ALLOC_POLICY_LAST_RESORT
  assert group.ndparams == {constants.ND_OOB_PROGRAM: "/bin/true"}
  assert group.diskparams == {constants.DT_PLAIN: {constants.LV_STRIPES: 2}}
  assert group.ipolicy == ipolicy
  assert group.members == []
  assert _LockExists(ctx, group.uuid)


def test_add_defaults_to_the_preferred_policy(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  group = _Group(ctx, "rack2")
  assert group.alloc_policy == constants.ALLOC_POLICY_PREFERRED
  assert group.ndparams == {}


def test_add_refuses_an_existing_name(ctx):
  err = _PrereqError(ctx, opcodes.OpGroupAdd(group_name="default"))
  assert "Desired group name 'default' already exists" in str(err)
  assert err.args[1] == errors.ECODE_EXISTS
  assert len(ctx.cfg.GetNodeGroupList()) == 1


def test_add_refuses_std_specs_in_a_group_policy(ctx):
  op = opcodes.OpGroupAdd(group_name="rack2", ipolicy={
    constants.ISPECS_STD: {constants.ISPEC_MEM_SIZE: 512}})
  err = _PrereqError(ctx, op)
  assert "cannot set the 'std' specs" in str(err)
  assert ctx.cfg.GetNodeGroupInfoByName("rack2") is None


def test_add_refuses_min_above_the_cluster_max(ctx):
  op = opcodes.OpGroupAdd(group_name="rack2", ipolicy={
    constants.ISPECS_MIN: {constants.ISPEC_MEM_SIZE: 10 ** 9}})
  err = _PrereqError(ctx, op)
  assert "memory-size" in str(err)


@pytest.mark.parametrize("field, value, needle", [
  ("ndparams", {"nosuch": 1}, "nosuch"),
  ("diskparams", {"nosuchtemplate": {}}, "nosuchtemplate"),
  ("diskparams", {constants.DT_PLAIN: {"nosuch": 1}}, "nosuch"),
  ("hv_state", {"nosuchhv": {}}, "nosuchhv"),
  ("disk_state", {"nosuchstorage": {}}, "nosuchstorage"),
  ])
def test_add_refuses_invalid_parameters(ctx, field, value, needle):
  err = _PrereqError(ctx, opcodes.OpGroupAdd(group_name="rack2",
                                             **{field: value}))
  assert needle in str(err)
  assert err.args[1] == errors.ECODE_INVAL


def test_add_hooks_env_and_nodes(ctx):
  op = opcodes.OpGroupAdd(group_name="rack2")
  lu = cmdlib_group.LUGroupAdd(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  assert lu.BuildHooksEnv() == {"GROUP_NAME": "rack2"}
  assert lu.BuildHooksNodes() == ([MASTER], [MASTER])


# -- remove --------------------------------------------------------------------

def test_remove_refuses_a_group_with_nodes(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  err = _PrereqError(ctx, opcodes.OpGroupRemove(group_name="default"))
  assert "Group 'default' not empty" in str(err)
  assert "%s, %s, %s" % (MASTER, NODE2, NODE3) in str(err)
  assert err.args[1] == errors.ECODE_STATE


def test_remove_refuses_the_last_group(ctx):
  # an empty last group only arises from hand-edited configurations: the
  # live objects are changed to simulate one
  for node in ctx.cfg.GetAllNodesInfo().values():
    node.group = "elsewhere"
  err = _PrereqError(ctx, opcodes.OpGroupRemove(group_name="default"))
  assert "is the only group, cannot be removed" in str(err)


def test_remove_drops_an_empty_group_and_its_lock(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  uuid = ctx.cfg.LookupNodeGroup("rack2")
  _Run(ctx, opcodes.OpGroupRemove(group_name="rack2"))
  assert ctx.cfg.GetNodeGroup(uuid) is None
  assert not _LockExists(ctx, uuid)
  # a new group may take the name again
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))


def test_remove_of_an_unknown_group(ctx):
  err = _PrereqError(ctx, opcodes.OpGroupRemove(group_name="nosuch"))
  assert "Node group 'nosuch' not found" in str(err)
  assert err.args[1] == errors.ECODE_NOENT


# -- rename --------------------------------------------------------------------

def test_rename_keeps_the_uuid_and_returns_the_new_name(ctx):
  uuid = ctx.cfg.LookupNodeGroup("default")
  result = _Run(ctx, opcodes.OpGroupRename(group_name="default",
                                           new_name="rack1"))
  assert result == "rack1"
  assert ctx.cfg.LookupNodeGroup("rack1") == uuid
  assert ctx.cfg.GetNodeInfo(NODE2).group == uuid


def test_rename_refuses_a_used_name(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  err = _PrereqError(ctx, opcodes.OpGroupRename(group_name="default",
                                                new_name="rack2"))
  assert "Desired new name 'rack2' clashes with existing node group" in \
    str(err)
  assert err.args[1] == errors.ECODE_EXISTS


def test_rename_hooks_run_on_master_and_members(ctx):
  op = opcodes.OpGroupRename(group_name="default", new_name="rack1")
  lu = cmdlib_group.LUGroupRename(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.BuildHooksEnv() == {"OLD_NAME": "default", "NEW_NAME": "rack1"}
  nodes = [MASTER, NODE2, NODE3]
  assert lu.BuildHooksNodes() == (nodes, nodes)


# -- set params ----------------------------------------------------------------

def test_modify_reports_each_change(ctx):
  result = _Run(ctx, opcodes.OpGroupSetParams(
    group_name="default", alloc_policy=constants.ALLOC_POLICY_UNALLOCABLE,
    ndparams={constants.ND_OOB_PROGRAM: "/bin/true"}))
  assert [list(entry) for entry in result] == [
    ["ndparams", str({constants.ND_OOB_PROGRAM: "/bin/true"})],
    ["alloc_policy", constants.ALLOC_POLICY_UNALLOCABLE],
    ]
  group = _Group(ctx, "default")
  assert group.alloc_policy == constants.ALLOC_POLICY_UNALLOCABLE
  assert group.ndparams == {constants.ND_OOB_PROGRAM: "/bin/true"}


def test_modify_without_changes_is_refused(ctx):
  err = _PrereqError(ctx, opcodes.OpGroupSetParams(group_name="default"))
  assert "Please pass at least one modification" in str(err)


def test_modify_with_empty_containers_changes_nothing(ctx):
  # what gnt-group modify sends without options (cli.md 8.3)
  assert _Run(ctx, opcodes.OpGroupSetParams(group_name="default",
                                            diskparams={}, hv_state={},
                                            disk_state={})) == []


def test_modify_ipolicy_default_removes_overrides(ctx):
  mem = constants.ISPEC_MEM_SIZE
  _Run(ctx, opcodes.OpGroupSetParams(group_name="default", ipolicy={
    constants.ISPECS_MIN: {mem: 256, constants.ISPEC_CPU_COUNT: 2},
    constants.IPOLICY_VCPU_RATIO: 2.5}))
  group = _Group(ctx, "default")
  assert group.ipolicy[constants.ISPECS_MIN] == {
    mem: 256, constants.ISPEC_CPU_COUNT: 2}
  assert group.ipolicy[constants.IPOLICY_VCPU_RATIO] == 2.5
  _Run(ctx, opcodes.OpGroupSetParams(group_name="default", ipolicy={
    constants.ISPECS_MIN: {mem: constants.VALUE_DEFAULT},
    constants.IPOLICY_VCPU_RATIO: constants.VALUE_DEFAULT}))
  group = _Group(ctx, "default")
  assert group.ipolicy[constants.ISPECS_MIN] == {
    constants.ISPEC_CPU_COUNT: 2}
  assert constants.IPOLICY_VCPU_RATIO not in group.ipolicy


def test_modify_refuses_std_and_unknown_ipolicy_keys(ctx):
  for (ipolicy, needle) in [
      ({constants.ISPECS_STD: {constants.ISPEC_MEM_SIZE: 1}}, "std"),
      ({"nosuchkey": 1}, "nosuchkey"),
      ({constants.ISPECS_MIN: {"nosuchspec": 1}}, "nosuchspec"),
      ({constants.IPOLICY_VCPU_RATIO: "fast"}, "fast")]:
    err = _PrereqError(ctx, opcodes.OpGroupSetParams(group_name="default",
                                                     ipolicy=ipolicy))
    assert needle in str(err)


def test_modify_diskparams_merge_per_template(ctx):
  _Run(ctx, opcodes.OpGroupSetParams(group_name="default", diskparams={
    constants.DT_PLAIN: {constants.LV_STRIPES: 3}}))
  _Run(ctx, opcodes.OpGroupSetParams(group_name="default", diskparams={
    constants.DT_DRBD8: {constants.DRBD_RESYNC_RATE: 2048}}))
  group = _Group(ctx, "default")
  assert group.diskparams[constants.DT_PLAIN] == {constants.LV_STRIPES: 3}
  assert group.diskparams[constants.DT_DRBD8] == {
    constants.DRBD_RESYNC_RATE: 2048}


def test_modify_hooks_env(ctx):
  op = opcodes.OpGroupSetParams(group_name="default",
                                alloc_policy=constants.ALLOC_POLICY_PREFERRED)
  lu = cmdlib_group.LUGroupSetParams(mcpu.Processor(ctx, 1), op, ctx,
                                     ctx.rpc)
  assert lu.BuildHooksEnv() == {"GROUP_NAME": "default",
                                "NEW_ALLOC_POLICY": "preferred"}
  assert lu.BuildHooksNodes() == ([MASTER], [MASTER])


# -- assign nodes --------------------------------------------------------------

def test_assign_refuses_to_split_a_mirrored_instance(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  err = _PrereqError(ctx, opcodes.OpGroupAssignNodes(group_name="rack2",
                                                     nodes=[NODE2]))
  assert "inst1.example.com" in str(err)
  assert "--force was not given" in str(err)
  assert ctx.cfg.GetNodeInfo(NODE2).group == \
    ctx.cfg.LookupNodeGroup("default")


def test_assign_with_force_splits_and_warns(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  cbs = _Cbs()
  _Run(ctx, opcodes.OpGroupAssignNodes(group_name="rack2", nodes=["node2"],
                                       force=True), cbs)
  assert "will split the following instances: inst1.example.com" in \
    cbs.text()
  rack2 = ctx.cfg.LookupNodeGroup("rack2")
  assert ctx.cfg.GetNodeInfo(NODE2).group == rack2
  assert _Group(ctx, "rack2").members == [NODE2]
  # moving the other node along ends the split: no force needed
  _Run(ctx, opcodes.OpGroupAssignNodes(group_name="rack2", nodes=[NODE3]))
  assert sorted(_Group(ctx, "rack2").members) == [NODE2, NODE3]


def test_assign_of_both_instance_nodes_needs_no_force(ctx):
  _Run(ctx, opcodes.OpGroupAdd(group_name="rack2"))
  _Run(ctx, opcodes.OpGroupAssignNodes(group_name="rack2",
                                       nodes=[NODE3, NODE2]))
  assert sorted(_Group(ctx, "rack2").members) == [NODE2, NODE3]
  assert _Group(ctx, "default").members == [MASTER]


def test_assign_of_an_unknown_node(ctx):
  err = _PrereqError(ctx, opcodes.OpGroupAssignNodes(
    group_name="default", nodes=["nosuch.example.com"]))
  assert "Node 'nosuch.example.com' not known" in str(err)


def test_split_check_reports_new_and_continuing_splits():
  def _Nd(name, group):
    return objects.Node(name=name, group=group)
  nodes = dict((n.name, n) for n in [_Nd("a", "g1"), _Nd("b", "g1"),
                                      _Nd("c", "g2"), _Nd("d", "g1")])
  lv = objects.Disk(dev_type=constants.LD_LV, size=1, logical_id=("v", "x"))

  def _Inst(name, pnode, snode, template=constants.DT_DRBD8):
    disks = []
    if template == constants.DT_DRBD8:
      disks = [objects.Disk(dev_type=constants.LD_DRBD8, size=1,
                            logical_id=(pnode, snode, 1, 0, 0, "s"),
                            children=[lv, lv])]
    return objects.Instance(name=name, primary_node=pnode, disks=disks,
                            disk_template=template)
  insts = {
    "new": _Inst("new", "a", "b"),
    "old": _Inst("old", "a", "c"),
    "plain": objects.Instance(name="plain", primary_node="a", disks=[],
                              disk_template=constants.DT_PLAIN),
    "other": _Inst("other", "d", "b"),
    }
  assert cmdlib_group.CheckAssignmentForSplitInstances(
    [("a", "g3")], nodes, insts) == (["new"], ["old"])
  assert cmdlib_group.CheckAssignmentForSplitInstances(
    [("a", "g2"), ("b", "g2")], nodes, insts) == (["other"], [])


# -- gnt-group option parsing --------------------------------------------------

def _Parse(argv):
  (fn, opts, args) = cli.ParseArgs("gnt-group", ["gnt-group"] + argv,
                                   gnt_group.commands, gnt_group.aliases)
  return (fn, opts, args)


def test_commands_of_this_release():
  assert sorted(gnt_group.commands) == ["add", "add-tags", "assign-nodes",
                                        "info", "list", "list-fields",
                                        "list-tags", "modify", "remove",
                                        "remove-tags", "rename"]


def test_add_opcode_from_options():
  (fn, opts, args) = _Parse(["add", "--alloc-policy", "last_resort",
                             "--node-parameters", "oob_program=/bin/true",
                             "-D", "plain:stripes=2",
                             "--specs-mem-size", "min=128,max=1024",
                             "--ipolicy-vcpu-ratio", "3", "rack2"])
  assert fn is gnt_group.AddGroup
  op = gnt_group.BuildAddOpcode(opts, args)
  assert op.group_name == "rack2"
  assert op.alloc_policy == "last_resort"
  assert op.ndparams == {"oob_program": "/bin/true"}
  assert op.diskparams == {"plain": {"stripes": "2"}}
  assert op.ipolicy[constants.ISPECS_MIN] == {constants.ISPEC_MEM_SIZE: 128}
  assert op.ipolicy[constants.ISPECS_MAX] == {constants.ISPEC_MEM_SIZE: 1024}
  assert constants.ISPECS_STD not in op.ipolicy
  assert op.ipolicy[constants.IPOLICY_VCPU_RATIO] == 3.0
  op.Validate(True)


def test_add_without_policy_options_sends_no_policy():
  (_, opts, args) = _Parse(["add", "rack2"])
  op = gnt_group.BuildAddOpcode(opts, args)
  assert op.ipolicy is None
  assert op.alloc_policy is None


def test_add_refuses_std_specs_on_the_command_line():
  (_, opts, args) = _Parse(["add", "--specs-mem-size", "std=128", "rack2"])
  with pytest.raises(errors.OpPrereqError, match="std"):
    gnt_group.BuildAddOpcode(opts, args)


def test_add_refuses_an_unknown_alloc_policy():
  with pytest.raises(SystemExit):
    _Parse(["add", "--alloc-policy", "sometimes", "rack2"])


def test_modify_passes_default_through():
  (fn, opts, args) = _Parse(["modify", "--specs-mem-size", "min=DEFAULT",
                             "--ipolicy-disk-templates", "default",
                             "rack2"])
  assert fn is gnt_group.SetGroupParams
  op = gnt_group.BuildSetParamsOpcode(opts, args)
  assert op.ipolicy[constants.ISPECS_MIN] == {
    constants.ISPEC_MEM_SIZE: constants.VALUE_DEFAULT}
  assert op.ipolicy[constants.IPOLICY_DTS] == [constants.VALUE_DEFAULT]


def test_modify_without_options_still_builds_an_opcode():
  (_, opts, args) = _Parse(["modify", "rack2"])
  op = gnt_group.BuildSetParamsOpcode(opts, args)
  assert op.diskparams == {} and op.ipolicy is None


def test_assign_nodes_and_rename_arguments():
  (fn, opts, args) = _Parse(["assign-nodes", "-f", "rack2", "n1", "n2"])
  assert fn is gnt_group.AssignNodes and opts.force
  assert args == ["rack2", "n1", "n2"]
  (fn, _, args) = _Parse(["rename", "a", "b"])
  assert fn is gnt_group.RenameGroup and args == ["a", "b"]
