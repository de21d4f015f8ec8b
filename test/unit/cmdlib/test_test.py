"""Tests for ganeti.cmdlib.test (LUTestDelay, LUTestJqueue) run through mcpu.

The processor, config, lock manager and local node runner are all real;
the LUTestJqueue test client is a real unix-socket client in a thread.
"""

import os
import socket
import threading
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti.cmdlib import local_rpc
from ganeti.cmdlib import test as cmdlib_test


MASTER = "node1.example.com"
NODE2 = "node2.example.com"


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


class _Cbs(mcpu.OpExecCbBase):
  def __init__(self):
    self.feedback = []

  def Feedback(self, *args):
    self.feedback.append(args)


def _Run(ctx, op, cbs=None, **kwargs):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs, **kwargs)


# -- LUTestDelay --------------------------------------------------------------

def test_delay_sleeps_on_the_master(ctx):
  start = time.time()
  assert _Run(ctx, opcodes.OpTestDelay(duration=0.2)) is None
  assert time.time() - start >= 0.2


def test_delay_repeat_logs_each_iteration(ctx):
  cbs = _Cbs()
  _Run(ctx, opcodes.OpTestDelay(duration=0, repeat=3), cbs)
  assert cbs.feedback == [(" - INFO: Test delay iteration 0/2", ),
                          (" - INFO: Test delay iteration 1/2", ),
                          (" - INFO: Test delay iteration 2/2", )]
  cbs = _Cbs()
  _Run(ctx, opcodes.OpTestDelay(duration=0, repeat=0), cbs)
  assert cbs.feedback == []


@pytest.mark.parametrize("on_master", [True, False])
def test_negative_delay_fails_the_opcode(ctx, on_master):
  op = opcodes.OpTestDelay(duration=-1, on_master=on_master)
  with pytest.raises(errors.OpExecError, match="Invalid sleep duration -1"):
    _Run(ctx, op)
  assert not ctx.glm.is_owned(locking.LEVEL_CLUSTER)


def test_delay_on_the_master_node_expands_and_locks_it(ctx):
  op = opcodes.OpTestDelay(duration=1.0, on_master=False, on_nodes=["node1"])
  errs = []

  def _Runner():
    try:
      _Run(ctx, op)
    except Exception as err:  # pylint: disable=W0703
      errs.append(err)
  thread = threading.Thread(target=_Runner)
  thread.start()
  try:
    assert ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1,
                           timeout=2)
    try:
      deadline = time.time() + 2
      # wait until the LU holds the master's lock (we then cannot get it)
      while ctx.glm.acquire(locking.LEVEL_NODE, [MASTER],
                            timeout=0.05) is not None:
        ctx.glm.release(locking.LEVEL_NODE)
        assert time.time() < deadline, "the delay never locked the master"
        time.sleep(0.01)
      # other nodes stay free
      assert ctx.glm.acquire(locking.LEVEL_NODE, [NODE2],
                             timeout=0.5) == set([NODE2])
      ctx.glm.release(locking.LEVEL_NODE)
    finally:
      ctx.glm.release(locking.LEVEL_CLUSTER)
  finally:
    thread.join(5)
  assert not thread.is_alive()
  assert errs == []
  assert op.on_nodes == [MASTER]


def test_delay_on_an_unreachable_node_fails(ctx):
  op = opcodes.OpTestDelay(duration=0, on_nodes=[NODE2, MASTER])
  with pytest.raises(errors.OpExecError) as info:
    _Run(ctx, op)
  assert str(info.value) == ("Failure during rpc call to node %s: %s" %
                             (NODE2, local_rpc.NO_NODED_MSG % NODE2))


def test_delay_on_an_unknown_node_is_a_prereq_error(ctx):
  op = opcodes.OpTestDelay(duration=0, on_nodes=["nosuchnode"])
  with pytest.raises(errors.OpPrereqError) as info:
    _Run(ctx, op)
  assert info.value.args == ("Node 'nosuchnode' not known",
                             errors.ECODE_NOENT)


def test_delay_needs_no_bgl_and_no_locks_without_nodes(ctx):
  assert cmdlib_test.LUTestDelay.REQ_BGL is False
  lu = cmdlib_test.LUTestDelay(mcpu.Processor(ctx, 1),
                               opcodes.OpTestDelay(duration=0), ctx,
                               ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {}


# -- LUTestJqueue -------------------------------------------------------------

class _JqClient(mcpu.OpExecCbBase):
  """Job callbacks answering jqueue-test notifications like gnt-debug.

  mode "confirm": connect, then close; "ignore": never connect; "hold":
  connect and keep the connection open until Stop.

  """
  def __init__(self, mode="confirm"):
    self.mode = mode
    self.feedback = []
    self.notifications = []
    self.sock_paths = []
    self._threads = []
    self._held = []

  def Feedback(self, *args):
    self.feedback.append(args)
    if len(args) == 2 and args[0] == constants.ELOG_JQUEUE_TEST:
      (sock_path, test, arg) = args[1]
      self.notifications.append((test, arg))
      self.sock_paths.append(sock_path)
      if self.mode != "ignore":
        thread = threading.Thread(target=self._Answer, args=(sock_path, ))
        self._threads.append(thread)
        thread.start()

  def _Answer(self, sock_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(sock_path)
    if self.mode == "hold":
      self._held.append(sock)
    else:
      sock.close()

  def Stop(self):
    for thread in self._threads:
      thread.join(5)
      assert not thread.is_alive()
    for sock in self._held:
      sock.close()


@pytest.fixture
def jq_client():
  clients = []

  def _Make(mode="confirm"):
    client = _JqClient(mode)
    clients.append(client)
    return client
  yield _Make
  for client in clients:
    client.Stop()


@pytest.fixture
def short_timeouts(monkeypatch):
  monkeypatch.setattr(cmdlib_test.LUTestJqueue, "CLIENT_CONNECT_TIMEOUT", 0.3)
  monkeypatch.setattr(cmdlib_test.LUTestJqueue, "CLIENT_CONFIRM_TIMEOUT", 0.3)


def test_jqueue_plain_run(ctx, jq_client):
  client = jq_client()
  assert _Run(ctx, opcodes.OpTestJqueue(), client) is True
  assert client.feedback == [(" - INFO: Expanding names", ),
                             (" - INFO: Executing", )]


def test_jqueue_notifications_and_messages(ctx, jq_client, short_timeouts):
  client = jq_client()
  op = opcodes.OpTestJqueue(notify_waitlock=True, notify_exec=True,
                            log_messages=["hello", "world"])
  assert _Run(ctx, op, client) is True
  assert client.notifications == [
    (cmdlib_test.JQT_EXPANDNAMES, None),
    (cmdlib_test.JQT_EXEC, None),
    (cmdlib_test.JQT_STARTMSG, 2),
    (cmdlib_test.JQT_LOGMSG, 1),
    (cmdlib_test.JQT_LOGMSG, 2),
    ]
  texts = [args[0] for args in client.feedback if len(args) == 1]
  assert texts == [" - INFO: Expanding names", " - INFO: Executing",
                   " - INFO: Sending log message 1", "TESTMSG=hello",
                   " - INFO: Sending log message 2", "TESTMSG=world"]
  # each notification used a fresh socket, removed afterwards
  assert len(set(client.sock_paths)) == 5
  for path in client.sock_paths:
    assert not os.path.exists(os.path.dirname(path))


def test_jqueue_locks_the_master_node(ctx):
  lu = cmdlib_test.LUTestJqueue(mcpu.Processor(ctx, 1),
                                opcodes.OpTestJqueue(), ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_NODE: [MASTER]}


def test_jqueue_requested_failure(ctx, jq_client):
  with pytest.raises(errors.OpExecError, match="Opcode failure was"
                     " requested"):
    _Run(ctx, opcodes.OpTestJqueue(fail=True), jq_client())
  assert not ctx.glm.is_owned(locking.LEVEL_CLUSTER)


def test_jqueue_client_not_connecting(ctx, jq_client, short_timeouts):
  client = jq_client("ignore")
  with pytest.raises(errors.OpPrereqError, match="did not connect"):
    _Run(ctx, opcodes.OpTestJqueue(notify_waitlock=True), client)
  with pytest.raises(errors.OpExecError, match="did not connect"):
    _Run(ctx, opcodes.OpTestJqueue(notify_exec=True), client)
  for path in client.sock_paths:
    assert not os.path.exists(os.path.dirname(path))


def test_jqueue_client_not_confirming(ctx, jq_client, short_timeouts):
  client = jq_client("hold")
  start = time.time()
  with pytest.raises(errors.OpExecError, match="failed to confirm"):
    _Run(ctx, opcodes.OpTestJqueue(notify_exec=True), client)
  assert time.time() - start < 3


def test_jqueue_phases_must_run_in_order(ctx):
  lu = cmdlib_test.LUTestJqueue(mcpu.Processor(ctx, 1),
                                opcodes.OpTestJqueue(), ctx, ctx.rpc)
  with pytest.raises(errors.ProgrammerError, match="ExpandNames was not"
                     " called"):
    lu.Exec(lambda *_: None)
  del lu.checkargs_calls
  with pytest.raises(errors.ProgrammerError, match="CheckArguments was not"
                     " called"):
    lu.ExpandNames()


def test_jqt_constants():
  assert cmdlib_test.JQT_ALL == frozenset(["expandnames", "exec", "logmsg",
                                           "startmsg"])
  assert cmdlib_test.JQT_MSGPREFIX == "TESTMSG="
