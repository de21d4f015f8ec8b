"""Tests for ganeti.cmdlib.base (LogicalUnit, NoHooksLU, Tasklet, ...)."""

import socket

import pytest

from ganeti import cmdlib
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti.cmdlib import base
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
INST = "inst1.example.com"
INST2 = "inst2.example.com"


def _MakeDrbdInstance(cfg, name, pnode, snode, ec_id):
  minors = cfg.AllocateDRBDMinor([pnode, snode], name)
  port = cfg.AllocatePort()
  secret = cfg.GenerateDRBDSecret(ec_id)
  mac = cfg.GenerateMAC(ec_id)
  children = [
    objects.Disk(dev_type=constants.LD_LV, size=1024, mode="rw",
                 logical_id=("xenvg", name + ".disk0_data")),
    objects.Disk(dev_type=constants.LD_LV, size=128, mode="rw",
                 logical_id=("xenvg", name + ".disk0_meta")),
    ]
  disk = objects.Disk(dev_type=constants.LD_DRBD8, size=1024, mode="rw",
                      iv_name="disk/0", children=children,
                      logical_id=(pnode, snode, port, minors[0], minors[1],
                                  secret))
  return objects.Instance(name=name, primary_node=pnode, os="debootstrap",
                          hypervisor=constants.HT_FAKE, hvparams={},
                          beparams={}, osparams={},
                          admin_state=constants.ADMINST_DOWN,
                          nics=[objects.NIC(mac=mac, nicparams={})],
                          disks=[disk], disk_template=constants.DT_DRBD8,
                          network_port=None)


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

  def _Node(name, idx):
    return objects.Node(name=name, primary_ip="192.0.2.%d" % idx,
                        secondary_ip="192.0.2.%d" % idx,
                        master_candidate=(idx == 1), offline=False,
                        drained=False, master_capable=True, vm_capable=True,
                        ndparams={})
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=str(path))
  cfg = config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  cfg.AddNode(_Node(NODE3, 3), "ec-setup")
  cfg.AddInstance(_MakeDrbdInstance(cfg, INST, MASTER, NODE2, "ec-setup"),
                  "ec-setup")
  cfg.AddInstance(_MakeDrbdInstance(cfg, INST2, NODE3, NODE2, "ec-setup"),
                  "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


class _Context(object):
  def __init__(self, cfg, glm, rpc):
    self.cfg = cfg
    self.glm = glm
    self.rpc = rpc
    self.jobqueue = None


@pytest.fixture
def vnode(as_node):
  return as_node(MASTER)


@pytest.fixture
def ctx(vnode, tmp_path):
  cfg = _MakeConfig(tmp_path / "config.data")
  glm = locking.GanetiLockManager(cfg.GetNodeList(), cfg.GetNodeGroupList(),
                                  cfg.GetInstanceList())
  return _Context(cfg, glm, local_rpc.LocalRpcRunner(cfg, MASTER))


def _Build(ctx, lu_class, op=None):
  if op is None:
    op = opcodes.OpTestDelay(duration=0)
  return lu_class(mcpu.Processor(ctx, 1), op, ctx, ctx.rpc)


# -- ResultWithJobs -----------------------------------------------------------

def test_result_with_jobs_keeps_jobs_and_extras():
  op = opcodes.OpTestDelay(duration=1)
  res = cmdlib.ResultWithJobs([[op], (op, op)], a=1, b="x")
  assert res.jobs == [[op], [op, op]]
  assert res.other == {"a": 1, "b": "x"}
  assert cmdlib.ResultWithJobs([]).jobs == []


@pytest.mark.parametrize("jobs", [None, "job", [[]], [None], ["x"]])
def test_result_with_jobs_rejects_malformed_jobs(jobs):
  with pytest.raises(errors.ProgrammerError, match="ResultWithJobs"):
    cmdlib.ResultWithJobs(jobs)


# -- LogicalUnit defaults -----------------------------------------------------

def test_constructor_sets_up_the_lu(ctx):
  op = opcodes.OpTestDelay(duration=1)

  class _LU(cmdlib.NoHooksLU):
    pass
  proc = mcpu.Processor(ctx, 1)
  lu = _LU(proc, op, ctx, ctx.rpc)
  assert lu.op is op and lu.cfg is ctx.cfg and lu.glm is ctx.glm
  assert lu.rpc is ctx.rpc and lu.context is ctx and lu.proc is proc
  assert lu.needed_locks is None
  assert lu.share_locks == dict.fromkeys(locking.LEVELS, 0)
  assert (lu.add_locks, lu.remove_locks, lu.recalculate_locks) == ({}, {}, {})
  assert lu.tasklets is None and lu.dry_run_result is None
  assert op.on_master is True and op.debug_level == 0
  assert lu.LogInfo == proc.LogInfo


def test_constructor_keeps_a_given_debug_level(ctx):
  class _LU(cmdlib.NoHooksLU):
    pass
  op = opcodes.OpTestDelay(duration=1, debug_level=2)
  _Build(ctx, _LU, op)
  assert op.debug_level == 2


def test_constructor_validates_and_checks_arguments(ctx):
  class _LU(cmdlib.NoHooksLU):
    def CheckArguments(self):
      if self.op.repeat > 5:
        raise errors.OpPrereqError("Too many repeats: %s" % self.op.repeat,
                                   errors.ECODE_INVAL)
  with pytest.raises(errors.OpPrereqError, match="OP_TEST_DELAY.duration"):
    _Build(ctx, _LU, opcodes.OpTestDelay())
  with pytest.raises(errors.OpPrereqError, match="Too many repeats: 6"):
    _Build(ctx, _LU, opcodes.OpTestDelay(duration=1, repeat=6))


def test_default_expand_names(ctx):
  class _Bgl(cmdlib.NoHooksLU):
    REQ_BGL = True

  class _Concurrent(cmdlib.NoHooksLU):
    REQ_BGL = False
  lu = _Build(ctx, _Bgl)
  lu.ExpandNames()
  assert lu.needed_locks == {}
  with pytest.raises(errors.ProgrammerError, match="_Concurrent does not"
                     " hold the BGL"):
    _Build(ctx, _Concurrent).ExpandNames()


def test_default_exec_needs_tasklets(ctx):
  class _LU(cmdlib.NoHooksLU):
    pass
  lu = _Build(ctx, _LU)
  lu.CheckPrereq()
  with pytest.raises(errors.ProgrammerError, match="neither Exec nor"
                     " tasklets"):
    lu.Exec(None)


def test_tasklets_run_in_order(ctx):
  record = []

  class _Tl(cmdlib.Tasklet):
    def __init__(self, lu, name):
      cmdlib.Tasklet.__init__(self, lu)
      self.name = name

    def CheckPrereq(self):
      record.append("check " + self.name)

    def Exec(self, feedback_fn):
      feedback_fn("exec " + self.name)

  class _LU(cmdlib.NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
      self.needed_locks = {}
      self.tasklets = [_Tl(self, "a"), _Tl(self, "b")]

  class _Cbs(mcpu.OpExecCbBase):
    def Feedback(self, *args):
      record.append(args[0])
  result = mcpu.Processor(ctx, 1, _dispatch_fn=lambda _: _LU).ExecOpCode(
    opcodes.OpTestDelay(duration=0), _Cbs())
  assert result is None
  assert record == ["check a", "check b", "exec a", "exec b"]


def test_tasklet_defaults(ctx):
  class _LU(cmdlib.NoHooksLU):
    pass
  lu = _Build(ctx, _LU)
  tl = cmdlib.Tasklet(lu)
  assert (tl.lu, tl.cfg, tl.rpc) == (lu, ctx.cfg, ctx.rpc)
  assert tl.CheckPrereq() is None
  with pytest.raises(errors.ProgrammerError, match="does not define Exec"):
    tl.Exec(None)


def test_hooks_defaults(ctx):
  class _WithHooks(cmdlib.LogicalUnit):
    HPATH = "thing-do"
    HTYPE = constants.HTYPE_CLUSTER

  class _NoHooks(cmdlib.NoHooksLU):
    pass
  lu = _Build(ctx, _WithHooks)
  with pytest.raises(errors.ProgrammerError, match="BuildHooksEnv"):
    lu.BuildHooksEnv()
  with pytest.raises(errors.ProgrammerError, match="BuildHooksNodes"):
    lu.BuildHooksNodes()
  assert lu.HooksCallBack("post", {}, None, 42) == 42
  assert lu.PreparePostHookNodes(["a"]) == ["a"]
  assert lu.DeclareLocks(locking.LEVEL_NODE) is None
  nolu = _Build(ctx, _NoHooks)
  assert nolu.HPATH is None and nolu.HTYPE is None
  with pytest.raises(errors.ProgrammerError, match="NoHooksLU"):
    nolu.BuildHooksEnv()
  with pytest.raises(errors.ProgrammerError, match="NoHooksLU"):
    nolu.BuildHooksNodes()


# -- instance lock helpers ----------------------------------------------------

class _InstLU(cmdlib.NoHooksLU):
  """Locks one instance and (via DeclareLocks) its nodes."""
  REQ_BGL = False
  PRIMARY_ONLY = False
  MODE = cmdlib.LOCKS_REPLACE
  seen = None

  def ExpandNames(self):
    self._ExpandAndLockInstance()
    self.needed_locks[locking.LEVEL_NODE] = \
      [NODE3] if self.MODE == cmdlib.LOCKS_APPEND else []
    self.recalculate_locks[locking.LEVEL_NODE] = self.MODE

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      self._LockInstancesNodes(primary_only=self.PRIMARY_ONLY)

  def Exec(self, feedback_fn):
    self.seen.update({
      "instances": sorted(self.owned_locks(locking.LEVEL_INSTANCE)),
      "nodes": sorted(self.owned_locks(locking.LEVEL_NODE)),
      })


class OpInstTestOnly(opcodes.OpCode):
  """Test-only opcode with an instance name (not registered anywhere)."""
  OP_PARAMS = [opcodes.Param("instance_name", opcodes.REQUIRED,
                             lambda v: isinstance(v, str), "name")]


def _RunInst(ctx, lu_class, name="inst1"):
  lu_class.seen = {}
  mcpu.Processor(ctx, 1, _dispatch_fn=lambda _: lu_class).ExecOpCode(
    OpInstTestOnly(instance_name=name), None)
  return lu_class.seen


def test_instance_and_all_its_nodes_are_locked(ctx):
  assert _RunInst(ctx, _InstLU) == {"instances": [INST],
                                    "nodes": [MASTER, NODE2]}


def test_instance_primary_node_only(ctx):
  class _LU(_InstLU):
    PRIMARY_ONLY = True
  assert _RunInst(ctx, _LU, INST2) == {"instances": [INST2],
                                       "nodes": [NODE3]}


def test_instance_nodes_appended(ctx):
  class _LU(_InstLU):
    MODE = cmdlib.LOCKS_APPEND
  assert _RunInst(ctx, _LU)["nodes"] == [MASTER, NODE2, NODE3]


def test_unknown_instance_is_a_prereq_error(ctx):
  with pytest.raises(errors.OpPrereqError) as info:
    _RunInst(ctx, _InstLU, "nosuch")
  assert info.value.args == ("Instance 'nosuch' not known",
                             errors.ECODE_NOENT)


def test_instance_helpers_refuse_misuse(ctx):
  # pylint: disable=W0212
  lu = _Build(ctx, _InstLU, OpInstTestOnly(instance_name=INST))
  lu.needed_locks = {locking.LEVEL_INSTANCE: ["x"]}
  with pytest.raises(errors.ProgrammerError, match="already declared"):
    lu._ExpandAndLockInstance()
  with pytest.raises(errors.ProgrammerError, match="node levels only"):
    lu._LockInstancesNodes(level=locking.LEVEL_INSTANCE)
  with pytest.raises(errors.ProgrammerError, match="not marked"):
    lu._LockInstancesNodes()
  lu.recalculate_locks[locking.LEVEL_NODE] = "sideways"
  with pytest.raises(errors.ProgrammerError, match="unknown lock"
                     " recalculation mode 'sideways'"):
    lu._LockInstancesNodes()


def test_lock_recalculation_modes():
  assert (cmdlib.LOCKS_REPLACE, cmdlib.LOCKS_APPEND) == \
    (base.LOCKS_REPLACE, base.LOCKS_APPEND)
  assert cmdlib.LOCKS_REPLACE != cmdlib.LOCKS_APPEND
