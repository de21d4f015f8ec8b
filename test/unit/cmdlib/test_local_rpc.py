"""Tests for ganeti.cmdlib.local_rpc (RpcResult, LocalRpcRunner)."""

import os
import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
OFFLINE = "node3.example.com"


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

  def _Node(name, idx, offline=False):
    return objects.Node(name=name, primary_ip="192.0.2.%d" % idx,
                        secondary_ip="192.0.2.%d" % idx,
                        master_candidate=(idx == 1), offline=offline,
                        drained=False, master_capable=True, vm_capable=True,
                        ndparams={})
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=str(path))
  cfg = config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  cfg.AddNode(_Node(OFFLINE, 3, offline=True), "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


@pytest.fixture
def vnode(as_node):
  return as_node(MASTER)


@pytest.fixture
def cfg(tmp_path):
  return _MakeConfig(tmp_path / "config.data")


def _WriteHook(hpath, phase, name, body, executable=True):
  dirname = os.path.join(pathutils.HOOKS_BASE_DIR, "%s-%s.d" % (hpath, phase))
  os.makedirs(dirname, exist_ok=True)
  path = os.path.join(dirname, name)
  with open(path, "w") as fd:
    fd.write("#!/bin/sh\n" + body)
  os.chmod(path, 0o755 if executable else 0o644)
  return path


# -- RpcResult ----------------------------------------------------------------

def test_result_success_has_payload_and_no_fail_msg():
  res = local_rpc.RpcResult(data=[1, 2], call="c", node="n")
  assert res.fail_msg is None
  assert res.payload == [1, 2]
  assert res.offline is False
  assert (res.call, res.node) == ("c", "n")
  res.Raise("never raised")
  assert "call=c" in repr(res)


def test_result_failure_keeps_the_reason_and_drops_payload():
  res = local_rpc.RpcResult(data="disk on fire", failed=True)
  assert res.fail_msg == "disk on fire"
  assert res.payload is None
  err = local_rpc.RpcResult(data=errors.OpExecError("boom"), failed=True)
  assert err.fail_msg == "boom"


def test_result_failure_without_reason_still_says_something():
  assert (local_rpc.RpcResult(data=None, failed=True).fail_msg ==
          "No error information")
  assert (local_rpc.RpcResult(data="", failed=True).fail_msg ==
          "No error information")


def test_result_offline():
  res = local_rpc.RpcResult(data="ignored", offline=True, node="n")
  assert res.offline
  assert res.fail_msg == local_rpc.OFFLINE_MSG
  assert res.payload is None


def test_raise_appends_reason_to_message():
  res = local_rpc.RpcResult(data="no space", failed=True, call="c", node="n")
  with pytest.raises(errors.OpExecError) as info:
    res.Raise("Creating disk on n")
  assert str(info.value) == "Creating disk on n: no space"


def test_raise_without_message_names_call_and_node():
  res = local_rpc.RpcResult(data="no space", failed=True, call="blk",
                            node="n9")
  with pytest.raises(errors.OpExecError,
                     match="Call 'blk' to node 'n9' has failed: no space"):
    res.Raise(None)


def test_raise_prereq_and_ecode():
  res = local_rpc.RpcResult(data="gone", failed=True)
  with pytest.raises(errors.OpPrereqError) as info:
    res.Raise("Checking", prereq=True, ecode=errors.ECODE_ENVIRON)
  assert info.value.args == ("Checking: gone", errors.ECODE_ENVIRON)
  with pytest.raises(errors.OpExecError) as info:
    res.Raise("Doing", ecode=errors.ECODE_FAULT)
  assert info.value.args == ("Doing: gone", errors.ECODE_FAULT)
  with pytest.raises(errors.OpPrereqError) as info:
    res.Raise("Checking", prereq=True)
  assert info.value.args == ("Checking: gone", )


# -- LocalRpcRunner -----------------------------------------------------------

@pytest.mark.parametrize("name", [None, "", 12])
def test_runner_needs_a_node_name(cfg, name):
  with pytest.raises(errors.ProgrammerError, match="this node's name"):
    local_rpc.LocalRpcRunner(cfg, name)


def test_runner_rejects_a_string_as_node_list(cfg):
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  with pytest.raises(errors.ProgrammerError, match="list of nodes"):
    runner.call_test_delay(MASTER, 0)


def test_test_delay_sleeps_locally(cfg):
  slept = []
  runner = local_rpc.LocalRpcRunner(cfg, MASTER, _sleep_fn=slept.append)
  result = runner.call_test_delay([MASTER], 0.25)
  assert list(result) == [MASTER]
  assert result[MASTER].fail_msg is None
  assert result[MASTER].call == "test_delay"
  assert result[MASTER].node == MASTER
  assert slept == [0.25]


def test_test_delay_really_sleeps(cfg):
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  assert runner.call_test_delay([MASTER], 0.01)[MASTER].fail_msg is None


@pytest.mark.parametrize("duration, text", [(-1, "must not be negative"),
                                            ("1", "not a number"),
                                            (True, "not a number")])
def test_test_delay_bad_duration_fails_the_call(cfg, duration, text):
  slept = []
  runner = local_rpc.LocalRpcRunner(cfg, MASTER, _sleep_fn=slept.append)
  res = runner.call_test_delay([MASTER], duration)[MASTER]
  assert text in res.fail_msg
  assert slept == []


def test_other_nodes_are_unreachable_and_offline_nodes_marked(cfg):
  slept = []
  runner = local_rpc.LocalRpcRunner(cfg, MASTER, _sleep_fn=slept.append)
  result = runner.call_test_delay([MASTER, NODE2, OFFLINE], 0)
  assert sorted(result) == sorted([MASTER, NODE2, OFFLINE])
  assert result[MASTER].fail_msg is None
  assert result[NODE2].fail_msg == local_rpc.NO_NODED_MSG % NODE2
  assert "node daemon RPC not available yet" in result[NODE2].fail_msg
  assert "cannot reach %s" % NODE2 in result[NODE2].fail_msg
  assert not result[NODE2].offline
  assert result[OFFLINE].offline
  assert result[OFFLINE].fail_msg == local_rpc.OFFLINE_MSG
  assert slept == [0]


def test_runner_accepts_a_context_or_no_config():
  class _Ctx(object):
    cfg = None
  runner = local_rpc.LocalRpcRunner(_Ctx(), MASTER, _sleep_fn=lambda _: None)
  assert runner.call_test_delay([MASTER], 0)[MASTER].fail_msg is None
  runner = local_rpc.LocalRpcRunner(None, MASTER, _sleep_fn=lambda _: None)
  assert runner.call_test_delay(["x"], 0)["x"].fail_msg


def test_hooks_missing_directory_runs_nothing(vnode, cfg):
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  res = runner.call_hooks_runner([MASTER], "nothing-here", "pre", {})[MASTER]
  assert res.fail_msg is None
  assert res.payload == []


def test_hooks_statuses_order_and_output(vnode, cfg):
  _WriteHook("x-op", "pre", "20-fail", "echo '  bad thing  '; exit 3\n")
  _WriteHook("x-op", "pre", "10-ok", "echo out; echo err >&2\n")
  _WriteHook("x-op", "pre", "30-noexec", "exit 0\n", executable=False)
  _WriteHook("x-op", "pre", "40.sh", "exit 0\n")
  _WriteHook("x-op", "post", "10-other-phase", "exit 1\n")
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  res = runner.call_hooks_runner([MASTER], "x-op", "pre", {})[MASTER]
  assert res.fail_msg is None
  assert res.payload == [
    ("x-op-pre.d/10-ok", constants.HKR_SUCCESS, "out\nerr"),
    ("x-op-pre.d/20-fail", constants.HKR_FAIL, "bad thing"),
    ("x-op-pre.d/30-noexec", constants.HKR_SKIP, ""),
    ("x-op-pre.d/40.sh", constants.HKR_SKIP, ""),
    ]


def test_hooks_unexecutable_script_is_a_failure(vnode, cfg):
  dirname = os.path.join(pathutils.HOOKS_BASE_DIR, "y-post.d")
  os.makedirs(dirname)
  path = os.path.join(dirname, "broken")
  with open(path, "w") as fd:
    fd.write("#!/nonexistent/interpreter\n")
  os.chmod(path, 0o755)
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  res = runner.call_hooks_runner([MASTER], "y", "post", {})[MASTER]
  [(script, status, output)] = res.payload
  assert script == "y-post.d/broken"
  assert status == constants.HKR_FAIL
  assert output.startswith("Hook script execution error: ")


def test_hooks_environment_is_replaced(vnode, cfg, tmp_path, monkeypatch):
  monkeypatch.setenv("SHOULD_NOT_LEAK", "1")
  dump = tmp_path / "env.txt"
  _WriteHook("z", "pre", "dump", "env > %s\n" % dump)
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  env = {"PATH": constants.HOOKS_PATH, "GANETI_FOO": "bar baz"}
  res = runner.call_hooks_runner([MASTER], "z", "pre", env)[MASTER]
  assert res.payload == [("z-pre.d/dump", constants.HKR_SUCCESS, "")]
  lines = dump.read_text().splitlines()
  got = dict(line.split("=", 1) for line in lines)
  assert got["GANETI_FOO"] == "bar baz"
  assert got["PATH"] == constants.HOOKS_PATH
  assert "SHOULD_NOT_LEAK" not in got
  # the shell adds PWD/SHLVL/_ itself; RunCmd adds LC_ALL=C
  assert set(got) <= set(["GANETI_FOO", "PATH", "LC_ALL", "PWD", "SHLVL",
                          "_", "OLDPWD"])
  assert got["PWD"] == "/"


@pytest.mark.parametrize("hpath, phase, text", [
  ("ok", "middle", "Unknown hooks phase"),
  ("../etc", "pre", "Invalid hooks path"),
  ("", "pre", "Invalid hooks path"),
  (None, "pre", "Invalid hooks path"),
  ])
def test_hooks_bad_path_or_phase_fails_the_call(vnode, cfg, hpath, phase,
                                                text):
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  res = runner.call_hooks_runner([MASTER], hpath, phase, {})[MASTER]
  assert text in res.fail_msg
  assert res.payload is None


def test_run_hooks_locally_raises_on_bad_phase(vnode):
  with pytest.raises(errors.HooksFailure, match="Unknown hooks phase"):
    local_rpc.RunHooksLocally("a", "PRE", {})


def test_hooks_on_unreachable_node(vnode, cfg):
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  result = runner.call_hooks_runner([NODE2, OFFLINE], "a", "pre", {})
  assert result[NODE2].fail_msg == local_rpc.NO_NODED_MSG % NODE2
  assert result[OFFLINE].offline
