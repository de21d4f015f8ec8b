"""Tests for ganeti.mcpu (opcode processor: locks, phases, hooks, results).

Everything runs against a real ConfigWriter, a real GanetiLockManager and
the real LocalRpcRunner on a virtual node below tmp_path.
"""

import os
import socket
import threading
import time

import pytest

from ganeti import cmdlib
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
CLUSTER = "cluster.example.com"

ALL_LEVELS = list(locking.LEVELS)


def _MakeConfig(path):
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name=CLUSTER, master_node=MASTER,
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


class _Holder(object):
  """A thread holding locks until told to let go (always stopped)."""

  def __init__(self, glm):
    self.glm = glm
    self.held = threading.Event()
    self.release = threading.Event()
    self.thread = None

  def Start(self, bgl_shared=1, level=None, names=None, shared=0):
    def _Run():
      self.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL],
                       shared=bgl_shared)
      try:
        if level is not None:
          self.glm.acquire(level, names, shared=shared)
        self.held.set()
        self.release.wait(10)
      finally:
        for lvl in reversed(ALL_LEVELS):
          if self.glm.is_owned(lvl):
            self.glm.release(lvl)
    self.thread = threading.Thread(target=_Run)
    self.thread.start()
    assert self.held.wait(5), "lock holder thread did not get its locks"

  def Stop(self):
    self.release.set()
    if self.thread is not None:
      self.thread.join(5)
      assert not self.thread.is_alive()


@pytest.fixture
def holder(ctx):
  hold = _Holder(ctx.glm)
  yield hold
  hold.Stop()


class _Cbs(mcpu.OpExecCbBase):
  def __init__(self, record=None):
    self.record = record if record is not None else []
    self.feedback = []
    self.submitted = []

  def NotifyStart(self):
    self.record.append("NotifyStart")

  def CheckCancel(self):
    self.record.append("CheckCancel")

  def Feedback(self, *args):
    self.feedback.append(args)

  def SubmitManyJobs(self, jobs):
    self.submitted.append(jobs)
    return [[True, 100 + idx] for idx in range(len(jobs))]


def _MakeLU(record, needed=None, declare=None, fail_in=None, result=None,
            req_bgl=False, hpath=None, hooks_nodes=None, share=None,
            add=None, seen=None, glm=None, exec_fn=None, dry_result=None):
  """An LU class recording its phases; behaviour set by the arguments."""

  class _LU(cmdlib.LogicalUnit):
    HPATH = hpath
    HTYPE = constants.HTYPE_CLUSTER if hpath else None
    REQ_BGL = req_bgl

    def _Rec(self, name):
      record.append(name)
      if fail_in == name:
        raise errors.OpExecError("failing in %s on purpose" % name)

    def CheckArguments(self):
      self._Rec("CheckArguments")

    def ExpandNames(self):
      self._Rec("ExpandNames")
      self.needed_locks = dict(needed or {})
      if share:
        self.share_locks.update(share)
      if add:
        self.add_locks = dict(add)
      self.dry_run_result = dry_result

    def DeclareLocks(self, level):
      self._Rec("DeclareLocks(%s)" % locking.LEVEL_NAMES[level])
      if declare and level in declare:
        self.needed_locks[level] = declare[level]

    def CheckPrereq(self):
      self._Rec("CheckPrereq")

    def BuildHooksEnv(self):
      self._Rec("BuildHooksEnv")
      return {"OP_TARGET": "target"}

    def BuildHooksNodes(self):
      self._Rec("BuildHooksNodes")
      return hooks_nodes

    def HooksCallBack(self, phase, hook_results, feedback_fn, lu_result):
      self._Rec("HooksCallBack(%s)" % phase)
      return lu_result

    def Exec(self, feedback_fn):
      self._Rec("Exec")
      if seen is not None:
        for level in ALL_LEVELS:
          seen[level] = sorted(glm.list_owned(level))
        seen["bgl_exclusive"] = glm.check_owned(locking.LEVEL_CLUSTER,
                                                [locking.BGL], shared=0)
      if exec_fn is not None:
        return exec_fn(self, feedback_fn)
      return result

  return _LU


def _Proc(ctx, lu_class, ec_id=1, **kwargs):
  return mcpu.Processor(ctx, ec_id, _dispatch_fn=lambda _: lu_class,
                        **kwargs)


def _Op(**kwargs):
  kwargs.setdefault("duration", 0)
  return opcodes.OpTestDelay(**kwargs)


def _AssertNothingOwned(glm):
  for level in ALL_LEVELS:
    assert not glm.is_owned(level), "level %s still owned" % level
    assert not glm.list_owned(level)


# -- phases and locks ---------------------------------------------------------

def test_lifecycle_order_and_locks(ctx):
  record = []
  seen = {}
  lu = _MakeLU(record, needed={locking.LEVEL_NODE: [NODE2],
                               locking.LEVEL_INSTANCE: []},
               seen=seen, glm=ctx.glm, result="done")
  cbs = _Cbs(record)
  assert _Proc(ctx, lu).ExecOpCode(_Op(), cbs) == "done"
  assert record == ["CheckCancel", "CheckArguments", "ExpandNames",
                    "DeclareLocks(instance)", "CheckCancel",
                    "DeclareLocks(node)", "CheckCancel",
                    "NotifyStart", "CheckPrereq", "HooksCallBack(pre)",
                    "Exec", "HooksCallBack(post)"]
  assert seen[locking.LEVEL_CLUSTER] == [locking.BGL]
  assert seen[locking.LEVEL_NODE] == [NODE2]
  assert seen[locking.LEVEL_INSTANCE] == []
  assert seen[locking.LEVEL_NODEGROUP] == []
  assert not seen["bgl_exclusive"]
  _AssertNothingOwned(ctx.glm)


def test_declare_locks_can_fill_a_level(ctx):
  record = []
  seen = {}
  lu = _MakeLU(record, needed={locking.LEVEL_NODE: []},
               declare={locking.LEVEL_NODE: [NODE3, MASTER]},
               seen=seen, glm=ctx.glm)
  _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert seen[locking.LEVEL_NODE] == sorted([NODE3, MASTER])
  _AssertNothingOwned(ctx.glm)


def test_all_set_and_single_name_and_shared_levels(ctx):
  seen = {}
  lu = _MakeLU([], needed={locking.LEVEL_NODE: locking.ALL_SET,
                           locking.LEVEL_NODEGROUP: ctx.cfg.GetNodeGroupList()
                           [0]},
               share={locking.LEVEL_NODE: 1}, seen=seen, glm=ctx.glm)
  _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert seen[locking.LEVEL_NODE] == sorted([MASTER, NODE2, NODE3])
  assert seen[locking.LEVEL_NODEGROUP] == ctx.cfg.GetNodeGroupList()
  _AssertNothingOwned(ctx.glm)


def test_shared_level_can_be_taken_twice_at_once(ctx, holder):
  holder.Start(level=locking.LEVEL_NODE, names=[NODE2], shared=1)
  seen = {}
  lu = _MakeLU([], needed={locking.LEVEL_NODE: [NODE2]},
               share={locking.LEVEL_NODE: 1}, seen=seen, glm=ctx.glm)
  _Proc(ctx, lu).ExecOpCode(_Op(), None, timeout=2.0)
  assert seen[locking.LEVEL_NODE] == [NODE2]


def test_req_bgl_takes_the_bgl_exclusively(ctx):
  seen = {}
  lu = _MakeLU([], req_bgl=True, seen=seen, glm=ctx.glm)
  _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert seen["bgl_exclusive"]
  _AssertNothingOwned(ctx.glm)


@pytest.mark.parametrize("phase", ["ExpandNames", "DeclareLocks(node)",
                                   "CheckPrereq", "Exec"])
def test_locks_released_when_a_phase_fails(ctx, phase):
  record = []
  lu = _MakeLU(record, needed={locking.LEVEL_NODE: [NODE2]}, fail_in=phase)
  with pytest.raises(errors.OpExecError, match="failing in %s" %
                     phase.replace("(", r"\(").replace(")", r"\)")):
    _Proc(ctx, lu).ExecOpCode(_Op(), _Cbs())
  assert record[-1] == phase
  _AssertNothingOwned(ctx.glm)
  # nobody else is blocked: an exclusive taker gets everything at once
  assert ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], timeout=1)
  assert ctx.glm.acquire(locking.LEVEL_NODE, locking.ALL_SET, timeout=1)
  ctx.glm.release(locking.LEVEL_NODE)
  ctx.glm.release(locking.LEVEL_CLUSTER)


def test_lock_timeout_raises_and_releases(ctx, holder):
  holder.Start(level=locking.LEVEL_NODE, names=[NODE2])
  record = []
  lu = _MakeLU(record, needed={locking.LEVEL_INSTANCE: [],
                               locking.LEVEL_NODE: [NODE2]})
  start = time.time()
  with pytest.raises(mcpu.LockAcquireTimeout):
    _Proc(ctx, lu).ExecOpCode(_Op(), None, timeout=0.3)
  assert time.time() - start < 3
  assert "CheckPrereq" not in record
  _AssertNothingOwned(ctx.glm)


def test_exclusive_bgl_waits_for_shared_holders(ctx, holder):
  holder.Start(bgl_shared=1)
  record = []
  with pytest.raises(mcpu.LockAcquireTimeout):
    _Proc(ctx, _MakeLU(record, req_bgl=True)).ExecOpCode(_Op(), None,
                                                          timeout=0.2)
  # the LU was never even built
  assert record == []
  # a concurrent LU shares the BGL with the holder
  _Proc(ctx, _MakeLU(record)).ExecOpCode(_Op(), None, timeout=1)
  assert "Exec" in record
  _AssertNothingOwned(ctx.glm)


def test_blocking_acquire_waits_for_the_holder(ctx, holder):
  holder.Start(level=locking.LEVEL_NODE, names=[NODE2])
  timer = threading.Timer(0.2, holder.release.set)
  timer.start()
  try:
    start = time.time()
    lu = _MakeLU([], needed={locking.LEVEL_NODE: [NODE2]}, result=1)
    assert _Proc(ctx, lu).ExecOpCode(_Op(), None, timeout=None) == 1
    assert time.time() - start >= 0.15
  finally:
    timer.cancel()
  _AssertNothingOwned(ctx.glm)


class _RecordingGlm(object):
  """The real lock manager, with a record of the acquire arguments."""

  def __init__(self, glm):
    self._glm = glm
    self.acquires = []

  def acquire(self, level, names, **kwargs):
    self.acquires.append((level, names, kwargs))
    return self._glm.acquire(level, names, **kwargs)

  def __getattr__(self, name):
    return getattr(self._glm, name)


def test_priority_and_timeout_reach_the_lock_manager(ctx):
  glm = _RecordingGlm(ctx.glm)
  rctx = _Context(ctx.cfg, glm, ctx.rpc)
  lu = _MakeLU([], needed={locking.LEVEL_NODE: [MASTER]})
  _Proc(rctx, lu).ExecOpCode(_Op(), None, timeout=30,
                             priority=constants.OP_PRIO_HIGH)
  assert [(lvl, names) for (lvl, names, _) in glm.acquires] == \
    [(locking.LEVEL_CLUSTER, [locking.BGL]), (locking.LEVEL_NODE, [MASTER])]
  for (_, _, kwargs) in glm.acquires:
    assert kwargs["priority"] == constants.OP_PRIO_HIGH
    assert 0 < kwargs["timeout"] <= 30
  assert glm.acquires[0][2]["shared"]
  assert not glm.acquires[1][2]["shared"]


def test_current_priority_from_callbacks_wins(ctx):
  glm = _RecordingGlm(ctx.glm)
  rctx = _Context(ctx.cfg, glm, ctx.rpc)

  class _PrioCbs(_Cbs):
    def CurrentPriority(self):
      return constants.OP_PRIO_HIGHEST
  _Proc(rctx, _MakeLU([])).ExecOpCode(_Op(), _PrioCbs(),
                                      priority=constants.OP_PRIO_LOW)
  assert glm.acquires[0][2]["priority"] == constants.OP_PRIO_HIGHEST
  assert glm.acquires[0][2]["timeout"] is None


def test_cancel_check_aborts_before_locking(ctx):
  class _CancelCbs(_Cbs):
    def CheckCancel(self):
      raise errors.JobCanceled("Job was canceled")
  record = []
  with pytest.raises(errors.JobCanceled):
    _Proc(ctx, _MakeLU(record)).ExecOpCode(_Op(), _CancelCbs())
  assert record == []
  _AssertNothingOwned(ctx.glm)


def test_added_locks_are_held_and_removed(ctx):
  seen = {}
  lu = _MakeLU([], add={locking.LEVEL_INSTANCE: ["new.example.com"]},
               seen=seen, glm=ctx.glm)
  _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert seen[locking.LEVEL_INSTANCE] == ["new.example.com"]
  _AssertNothingOwned(ctx.glm)
  # removed again: the lock set no longer knows the name
  assert ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], timeout=1)
  try:
    owned = ctx.glm.acquire(locking.LEVEL_INSTANCE, locking.ALL_SET,
                            timeout=1)
    assert "new.example.com" not in owned
  finally:
    ctx.glm.release(locking.LEVEL_INSTANCE)
    ctx.glm.release(locking.LEVEL_CLUSTER)


def test_adding_an_existing_lock_is_a_prereq_error(ctx):
  lu = _MakeLU([], add={locking.LEVEL_NODE: [NODE2]})
  with pytest.raises(errors.OpPrereqError) as info:
    _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert info.value.args[1] == errors.ECODE_NOTUNIQUE
  assert "Couldn't add locks" in info.value.args[0]
  _AssertNothingOwned(ctx.glm)


def test_adding_and_acquiring_one_level_is_refused(ctx):
  lu = _MakeLU([], add={locking.LEVEL_NODE: ["x"]},
               needed={locking.LEVEL_NODE: [NODE2]})
  with pytest.raises(errors.ProgrammerError, match="both adds and acquires"):
    _Proc(ctx, lu).ExecOpCode(_Op(), None)
  _AssertNothingOwned(ctx.glm)


def test_forgotten_needed_locks_are_refused(ctx):
  class _Lazy(cmdlib.LogicalUnit):
    REQ_BGL = False

    def Exec(self, feedback_fn):
      raise AssertionError("must not run")
  with pytest.raises(errors.ProgrammerError, match="must define ExpandNames"):
    _Proc(ctx, _Lazy).ExecOpCode(_Op(), None)

  class _None(_Lazy):
    def ExpandNames(self):
      pass
  with pytest.raises(errors.ProgrammerError, match="did not set"
                     " needed_locks"):
    _Proc(ctx, _None).ExecOpCode(_Op(), None)
  _AssertNothingOwned(ctx.glm)


@pytest.mark.parametrize("needed", [{locking.LEVEL_CLUSTER: [locking.BGL]},
                                    {17: ["x"]}, {"node": ["x"]}])
def test_invalid_lock_levels_are_refused(ctx, needed):
  with pytest.raises(errors.ProgrammerError, match="invalid lock level"):
    _Proc(ctx, _MakeLU([], needed=needed)).ExecOpCode(_Op(), None)
  _AssertNothingOwned(ctx.glm)


def test_needed_locks_must_be_a_dict(ctx):
  class _Bad(cmdlib.NoHooksLU):
    REQ_BGL = False

    def ExpandNames(self):
      self.needed_locks = [MASTER]
  with pytest.raises(errors.ProgrammerError, match="must be a dict"):
    _Proc(ctx, _Bad).ExecOpCode(_Op(), None)


def test_ec_reservations_are_dropped(ctx):
  mac = "aa:00:00:11:22:33"

  def _Reserve(lu, _):
    lu.cfg.ReserveMAC(mac, 7)
  _Proc(ctx, _MakeLU([], exec_fn=_Reserve), ec_id=7).ExecOpCode(_Op(), None)
  # the reservation is gone, so another owner can take the MAC, and then
  # holds it against everybody else
  ctx.cfg.ReserveMAC(mac, "other")
  with pytest.raises(errors.ReservationError):
    ctx.cfg.ReserveMAC(mac, "third")


def test_assertion_errors_become_exec_errors(ctx):
  def _Assert(lu, _):
    assert 1 == 2, "impossible"
  with pytest.raises(errors.OpExecError, match="(?s)Internal assertion"
                     " error.*impossible"):
    _Proc(ctx, _MakeLU([], exec_fn=_Assert)).ExecOpCode(_Op(), None)
  _AssertNothingOwned(ctx.glm)


def test_disabled_locks(ctx):
  glm = _RecordingGlm(ctx.glm)
  rctx = _Context(ctx.cfg, glm, ctx.rpc)
  record = []
  proc = mcpu.Processor(rctx, 1, enable_locks=False,
                        _dispatch_fn=lambda _: _MakeLU(record, result=3))
  assert proc.ExecOpCode(_Op(), None) == 3
  assert glm.acquires == []
  with pytest.raises(errors.ProgrammerError, match="needs the BGL"):
    mcpu.Processor(rctx, 1, enable_locks=False,
                   _dispatch_fn=lambda _: _MakeLU([], req_bgl=True)
                   ).ExecOpCode(_Op(), None)
  with pytest.raises(errors.ProgrammerError, match="disabled"):
    mcpu.Processor(rctx, 1, enable_locks=False,
                   _dispatch_fn=lambda _: _MakeLU(
                     [], needed={locking.LEVEL_NODE: [MASTER]})
                   ).ExecOpCode(_Op(), None)
  assert glm.acquires == []


# -- opcode lookup, validation and results ------------------------------------

def test_unknown_opcode_names_the_opcode(ctx):
  table = cmdlib.GetDispatchTable()
  # an opcode without an LU yet that needs no parameters to be built
  op_class = min((op_class for op_class in opcodes.OP_MAPPING.values()
                  if op_class not in table and op_class.WITH_LU and
                  not any(op_class.IsRequired(name)
                          for name in op_class.GetParamNames())),
                 key=lambda op_class: op_class.OP_ID)
  proc = mcpu.Processor(ctx, 1)
  with pytest.raises(errors.OpCodeUnknown) as info:
    proc.ExecOpCode(op_class(), None)
  assert op_class.OP_ID in str(info.value)
  assert "not implemented by this master yet" in str(info.value)
  assert cmdlib.LUNameForOpcode(op_class) in str(info.value)


def test_non_opcode_is_refused(ctx):
  with pytest.raises(errors.ProgrammerError, match="Non-opcode"):
    mcpu.Processor(ctx, 1).ExecOpCode({"OP_ID": "OP_TEST_DELAY"}, None)


def test_opcode_is_validated_with_defaults(ctx):
  op = opcodes.OpTestDelay(duration=0)
  _Proc(ctx, _MakeLU([])).ExecOpCode(op, None)
  assert op.on_master is True
  assert op.repeat == 0
  assert op.debug_level == 0
  bad = opcodes.OpTestDelay(duration="soon")
  with pytest.raises(errors.OpPrereqError, match="OP_TEST_DELAY.duration"):
    _Proc(ctx, _MakeLU([])).ExecOpCode(bad, None)
  with pytest.raises(errors.OpPrereqError, match="Required parameter"
                     " 'OP_TEST_DELAY.duration' missing"):
    _Proc(ctx, _MakeLU([])).ExecOpCode(opcodes.OpTestDelay(), None)
  _AssertNothingOwned(ctx.glm)


def test_result_is_checked_against_op_result(ctx):
  op = opcodes.OpClusterPostInit()
  assert _Proc(ctx, _MakeLU([], result=True)).ExecOpCode(op, None) is True
  with pytest.raises(errors.OpResultError, match="OP_CLUSTER_POST_INIT.*"
                     "'not a bool'"):
    _Proc(ctx, _MakeLU([], result="not a bool")).ExecOpCode(
      opcodes.OpClusterPostInit(), None)
  _AssertNothingOwned(ctx.glm)


def test_dry_run(ctx):
  record = []
  cbs = _Cbs()
  lu = _MakeLU(record, dry_result="would do", result=True)
  op = opcodes.OpClusterPostInit(dry_run=True)
  # "would do" is no bool: dry-run results are not checked
  assert _Proc(ctx, lu).ExecOpCode(op, cbs) == "would do"
  assert "Exec" not in record
  assert "CheckPrereq" in record
  assert cbs.feedback == [(" - INFO: dry-run mode requested, not actually"
                           " executing the operation", )]
  _AssertNothingOwned(ctx.glm)


def test_jobs_are_submitted_with_base_params(ctx):
  op = opcodes.OpTestDelay(duration=0, debug_level=3, priority=-10)

  def _Jobs(lu, _):
    return cmdlib.ResultWithJobs([
      [opcodes.OpClusterVerifyConfig()],
      [opcodes.OpClusterVerifyGroup(group_name="g", priority=10,
                                    comment="mine"),
       opcodes.OpClusterVerifyGroup(group_name="h")],
      ], other_key="value")
  cbs = _Cbs()
  result = _Proc(ctx, _MakeLU([], exec_fn=_Jobs)).ExecOpCode(op, cbs)
  assert result == {"jobs": [[True, 100], [True, 101]],
                    "other_key": "value"}
  [jobs] = cbs.submitted
  [[first], [second, third]] = jobs
  assert first.debug_level == 3 and first.priority == -10
  assert first.comment == "Submitted by OP_TEST_DELAY"
  assert second.debug_level == 3
  assert second.priority == 10
  assert second.comment == "mine"
  assert third.priority == -10
  assert third.comment == "Submitted by OP_TEST_DELAY"


def test_op_result_check_applies_to_job_results(ctx):
  def _Good(lu, _):
    return cmdlib.ResultWithJobs([[opcodes.OpClusterVerifyConfig()]])
  assert _Proc(ctx, _MakeLU([], exec_fn=_Good)).ExecOpCode(
    opcodes.OpClusterVerify(), _Cbs()) == {"jobs": [[True, 100]]}

  def _Jobs(lu, _):
    return cmdlib.ResultWithJobs([[opcodes.OpClusterVerifyConfig()]],
                                 extra=1)
  with pytest.raises(errors.OpResultError):
    _Proc(ctx, _MakeLU([], exec_fn=_Jobs)).ExecOpCode(
      opcodes.OpClusterVerify(), _Cbs())


@pytest.mark.parametrize("cbs, jobs, other, text", [
  (None, [[opcodes.OpTestDelay(duration=1)]], {}, "nobody to submit"),
  (mcpu.OpExecCbBase(), [[opcodes.OpTestDelay(duration=1)]], {},
   "cannot submit jobs"),
  ("cbs", [[{"OP_ID": "OP_TEST_DELAY"}]], {}, "not an opcode"),
  ("cbs", [[opcodes.OpTestDelay(duration=1)]], {"jobs": 1},
   "reserved key 'jobs'"),
  ])
def test_bad_job_results(ctx, cbs, jobs, other, text):
  if cbs == "cbs":
    cbs = _Cbs()

  def _Jobs(lu, _):
    res = cmdlib.ResultWithJobs(jobs)
    # set directly: "jobs" cannot be passed as a keyword
    res.other.update(other)
    return res
  with pytest.raises(errors.ProgrammerError, match=text):
    _Proc(ctx, _MakeLU([], exec_fn=_Jobs)).ExecOpCode(_Op(), cbs)
  _AssertNothingOwned(ctx.glm)


# -- hooks --------------------------------------------------------------------

def _WriteHook(hpath, phase, name, body):
  dirname = os.path.join(pathutils.HOOKS_BASE_DIR, "%s-%s.d" % (hpath, phase))
  os.makedirs(dirname, exist_ok=True)
  path = os.path.join(dirname, name)
  with open(path, "w") as fd:
    fd.write("#!/bin/sh\n" + body)
  os.chmod(path, 0o755)


def test_hooks_run_around_exec(ctx, tmp_path):
  marks = tmp_path / "marks"
  _WriteHook("test-op", "pre", "mark",
             "echo pre $GANETI_OP_TARGET $GANETI_OP_CODE >> %s\n" % marks)
  _WriteHook("test-op", "post", "mark",
             "echo post $GANETI_POST_OP_TARGET >> %s\n" % marks)
  record = []

  def _Exec(lu, _):
    assert marks.read_text() == "pre target OP_TEST_DELAY\n"
    return None
  lu = _MakeLU(record, hpath="test-op", hooks_nodes=([MASTER], [MASTER]),
               exec_fn=_Exec)
  _Proc(ctx, lu).ExecOpCode(_Op(), _Cbs(record))
  assert marks.read_text() == "pre target OP_TEST_DELAY\npost target\n"
  assert record == ["CheckCancel", "CheckArguments", "ExpandNames",
                    "NotifyStart", "CheckPrereq", "BuildHooksNodes",
                    "BuildHooksEnv", "HooksCallBack(pre)", "Exec",
                    "BuildHooksEnv", "HooksCallBack(post)"]
  _AssertNothingOwned(ctx.glm)


def test_failing_pre_hook_aborts(ctx, tmp_path):
  _WriteHook("test-op", "pre", "10-veto", "echo 'not today'; exit 1\n")
  record = []
  lu = _MakeLU(record, hpath="test-op", hooks_nodes=([MASTER], [MASTER]))
  with pytest.raises(errors.HooksAbort) as info:
    _Proc(ctx, lu).ExecOpCode(_Op(), _Cbs())
  assert info.value.args[0] == [(MASTER, "test-op-pre.d/10-veto",
                                 "not today")]
  assert "Exec" not in record
  _AssertNothingOwned(ctx.glm)


def test_failing_post_hook_is_logged(ctx):
  _WriteHook("test-op", "post", "10-grumble", "exit 2\n")
  cbs = _Cbs()
  lu = _MakeLU([], hpath="test-op", hooks_nodes=([], [MASTER, NODE2]),
               result=5)
  assert _Proc(ctx, lu).ExecOpCode(_Op(), cbs) == 5
  assert cbs.feedback == [
    (" - WARNING: On %s script test-op-post.d/10-grumble failed, output:"
     " (no output)" % MASTER, ),
    (" - WARNING: Communication failure to node %s: %s" %
     (NODE2, local_rpc.NO_NODED_MSG % NODE2), ),
    ]


def test_no_post_hooks_after_failure_or_in_dry_run(ctx, tmp_path):
  marks = tmp_path / "marks"
  _WriteHook("test-op", "pre", "mark", "echo pre >> %s\n" % marks)
  _WriteHook("test-op", "post", "mark", "echo post >> %s\n" % marks)
  lu = _MakeLU([], hpath="test-op", hooks_nodes=([MASTER], [MASTER]),
               fail_in="Exec")
  with pytest.raises(errors.OpExecError):
    _Proc(ctx, lu).ExecOpCode(_Op(), None)
  assert marks.read_text() == "pre\n"
  lu = _MakeLU([], hpath="test-op", hooks_nodes=([MASTER], [MASTER]))
  _Proc(ctx, lu).ExecOpCode(_Op(dry_run=True), None)
  assert marks.read_text() == "pre\npre\n"


def test_post_hook_nodes_can_be_changed_after_exec(ctx, tmp_path):
  marks = tmp_path / "marks"
  _WriteHook("test-op", "post", "mark", "echo post >> %s\n" % marks)
  base_lu = _MakeLU([], hpath="test-op", hooks_nodes=([], [NODE2]))

  class _LU(base_lu):
    def PreparePostHookNodes(self, post_hook_nodes):
      assert post_hook_nodes == frozenset([NODE2])
      return [MASTER]
  _Proc(ctx, _LU).ExecOpCode(_Op(), None)
  assert marks.read_text() == "post\n"


def test_config_update_hook_runs_after_config_writes(ctx, tmp_path):
  marks = tmp_path / "marks"
  _WriteHook("config-update", "post", "mark",
             "echo $GANETI_OP_CODE $GANETI_HOOKS_PHASE >> %s\n" % marks)

  def _Write(lu, _):
    lu.cfg.SetVGName("othervg")
  _Proc(ctx, _MakeLU([], exec_fn=_Write)).ExecOpCode(_Op(), None)
  assert marks.read_text() == "OP_TEST_DELAY post\n"
  # no write, no hook
  _Proc(ctx, _MakeLU([])).ExecOpCode(_Op(), None)
  assert marks.read_text() == "OP_TEST_DELAY post\n"

  def _WriteThenFail(lu, _):
    lu.cfg.SetVGName("thirdvg")
    raise errors.OpExecError("broke after writing")
  with pytest.raises(errors.OpExecError, match="broke after writing"):
    _Proc(ctx, _MakeLU([], exec_fn=_WriteThenFail)).ExecOpCode(_Op(), None)
  assert marks.read_text() == "OP_TEST_DELAY post\n" * 2


def test_config_update_hook_failure_does_not_hide_the_result(ctx):
  _WriteHook("config-update", "post", "fail", "exit 1\n")

  def _Write(lu, _):
    lu.cfg.SetVGName("othervg")
    return 9
  assert _Proc(ctx, _MakeLU([], exec_fn=_Write)).ExecOpCode(_Op(), None) == 9


# -- logging ------------------------------------------------------------------

def test_log_functions_reach_the_job(ctx):
  cbs = _Cbs()

  def _Talk(lu, feedback_fn):
    feedback_fn("plain")
    lu.Log(constants.ELOG_JQUEUE_TEST, ("a", "b", None))
    lu.LogInfo("info %s/%d", "x", 3)
    lu.LogInfo("100%")
    lu.LogWarning("warn %s", "y", hint="do this")
    lu.LogWarning("", hint="only a hint")
    lu.LogStep(1, 3, "first")
  _Proc(ctx, _MakeLU([], exec_fn=_Talk)).ExecOpCode(_Op(), cbs)
  assert cbs.feedback == [
    ("plain", ),
    (constants.ELOG_JQUEUE_TEST, ("a", "b", None)),
    (" - INFO: info x/3", ),
    (" - INFO: 100%", ),
    (" - WARNING: warn y", ),
    ("      Hint: do this", ),
    ("      Hint: only a hint", ),
    ("STEP 1/3 first", ),
    ]


def test_log_warning_rejects_unknown_keywords(ctx):
  proc = mcpu.Processor(ctx, 1)
  with pytest.raises(errors.ProgrammerError, match="colour"):
    proc.LogWarning("x", colour="red")


def test_log_without_callbacks_goes_to_the_daemon_log(ctx, caplog):
  proc = mcpu.Processor(ctx, 5)
  with caplog.at_level("INFO"):
    proc.LogInfo("nobody listens")
  assert "nobody listens" in caplog.text
  assert proc.GetECId() == 5


def test_default_callbacks_do_nothing():
  cbs = mcpu.OpExecCbBase()
  assert cbs.NotifyStart() is None
  assert cbs.Feedback("x") is None
  assert cbs.CheckCancel() is None
  assert cbs.CurrentPriority() is None
  with pytest.raises(errors.ProgrammerError, match="cannot submit jobs"):
    cbs.SubmitManyJobs([])


# -- lock owner names ---------------------------------------------------------

def _LockRows(glm, name):
  return [row for row in glm.GetLockInfo() if row["name"] == name]


def test_locks_are_shown_as_owned_by_the_job(ctx):
  rows = {}

  def _Look(lu, _):
    # the contract says "BGL"; accept the level-prefixed form as well
    rows["bgl"] = (_LockRows(lu.glm, "BGL") +
                   _LockRows(lu.glm, "cluster/BGL"))
    rows["node"] = _LockRows(lu.glm, "node/%s" % NODE2)
  lu = _MakeLU([], needed={locking.LEVEL_NODE: [NODE2]}, exec_fn=_Look)
  _Proc(ctx, lu, ec_id=42).ExecOpCode(_Op(), None)
  assert [(r["mode"], r["owner"]) for r in rows["bgl"]] == \
    [("shared", ["job/42"])]
  assert [(r["mode"], r["owner"]) for r in rows["node"]] == \
    [("exclusive", ["job/42"])]
  # afterwards the thread is known by its own name again
  assert locking.GetOwnerName() == threading.current_thread().name


def test_explicit_owner_name_is_restored(ctx):
  locking.SetOwnerName("worker-7")
  try:
    _Proc(ctx, _MakeLU([]), ec_id=3).ExecOpCode(_Op(), None)
    assert locking.GetOwnerName() == "worker-7"
  finally:
    locking.SetOwnerName(None)


def test_no_ec_id_leaves_the_owner_name_alone(ctx):
  seen = []

  def _Look(lu, _):
    seen.append(locking.GetOwnerName())
  _Proc(ctx, _MakeLU([], exec_fn=_Look), ec_id=None).ExecOpCode(_Op(), None)
  assert seen == [threading.current_thread().name]
