"""Tests for ganeti.hooksmaster (hook environment and phase handling)."""

import os
import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import hooksmaster
from ganeti import objects
from ganeti import pathutils
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
CLUSTER = "cluster.example.com"


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
  node = objects.Node(name=MASTER, primary_ip="192.0.2.1",
                      secondary_ip="192.0.2.1", master_candidate=True,
                      offline=False, drained=False, master_capable=True,
                      vm_capable=True, ndparams={})
  config.InitConfig(constants.CONFIG_VERSION, cluster, node,
                    cfg_file=str(path))
  return config.ConfigWriter(cfg_file=str(path), _my_hostname=MASTER)


@pytest.fixture
def vnode(as_node):
  return as_node(MASTER)


class _Recorder(object):
  """A hooks execution function answering from a table, recording calls."""

  def __init__(self, answers=None):
    self.calls = []
    self.answers = answers or {}

  def __call__(self, node_list, hpath, phase, env):
    self.calls.append((list(node_list), hpath, phase, dict(env)))
    return self.answers.get(phase,
                            dict((node, (None, False, []))
                                 for node in node_list))


class _Log(object):
  def __init__(self):
    self.lines = []

  def __call__(self, msg, *args):
    self.lines.append(msg % args if args else msg)


def _Master(exec_fn, env_fn=None, nodes=((MASTER, ), (MASTER, NODE2)),
            hpath="widget-resize", log=None, htype=constants.HTYPE_NODE,
            cluster=CLUSTER, master=MASTER):
  if env_fn is None:
    env_fn = lambda: {"OP_TARGET": "w1", "SIZE": 10, "FLAG": True,
                      "NOTHING": None}
  return hooksmaster.HooksMaster("OP_WIDGET_RESIZE", hpath, nodes, exec_fn,
                                 None, env_fn, log or _Log(), htype=htype,
                                 cluster_name=cluster, master_name=master)


def test_pre_env_is_exact(vnode):
  rec = _Recorder()
  hm = _Master(rec)
  hm.RunPhase(constants.HOOKS_PHASE_PRE)
  [(nodes, hpath, phase, env)] = rec.calls
  assert (nodes, hpath, phase) == ([MASTER], "widget-resize", "pre")
  assert env == {
    "PATH": "/sbin:/bin:/usr/sbin:/usr/bin",
    "GANETI_HOOKS_VERSION": "2",
    "GANETI_OP_CODE": "OP_WIDGET_RESIZE",
    "GANETI_DATA_DIR": pathutils.DATA_DIR,
    "GANETI_HOOKS_PHASE": "pre",
    "GANETI_HOOKS_PATH": "widget-resize",
    "GANETI_OBJECT_TYPE": "NODE",
    "GANETI_CLUSTER": CLUSTER,
    "GANETI_MASTER": MASTER,
    "GANETI_OP_TARGET": "w1",
    "GANETI_SIZE": "10",
    "GANETI_FLAG": "True",
    "GANETI_NOTHING": "None",
    }
  assert pathutils.DATA_DIR.startswith(str(vnode))


def test_post_env_has_pre_values_and_recomputed_post_values(vnode):
  state = {"size": 10}
  rec = _Recorder()
  hm = _Master(rec, env_fn=lambda: {"SIZE": state["size"]})
  state["size"] = 20
  hm.RunPhase(constants.HOOKS_PHASE_POST)
  [(nodes, _, phase, env)] = rec.calls
  assert nodes == sorted([MASTER, NODE2])
  assert phase == "post"
  assert env["GANETI_SIZE"] == "10"
  assert env["GANETI_POST_SIZE"] == "20"
  assert env["GANETI_HOOKS_PHASE"] == "post"
  assert all(key == "PATH" or key.startswith("GANETI_") for key in env)


def test_optional_common_variables_are_omitted():
  rec = _Recorder()
  hm = _Master(rec, htype=None, cluster=None, master=None)
  hm.RunPhase(constants.HOOKS_PHASE_PRE)
  env = rec.calls[0][3]
  for name in ("GANETI_OBJECT_TYPE", "GANETI_CLUSTER", "GANETI_MASTER"):
    assert name not in env


def test_explicit_nodes_override_and_empty_nodes_run_nothing():
  rec = _Recorder()
  hm = _Master(rec, nodes=(None, []))
  assert hm.RunPhase(constants.HOOKS_PHASE_PRE) is None
  assert hm.RunPhase(constants.HOOKS_PHASE_POST) is None
  assert rec.calls == []
  hm.RunPhase(constants.HOOKS_PHASE_POST, nodes=[NODE2])
  assert rec.calls[0][0] == [NODE2]


def test_no_hooks_path_runs_nothing_and_does_not_build_env():
  def _Boom():
    raise AssertionError("env must not be built without hooks")
  rec = _Recorder()
  hm = _Master(rec, env_fn=_Boom, hpath=None)
  assert hm.RunPhase(constants.HOOKS_PHASE_PRE) is None
  assert rec.calls == []


def test_pre_failure_aborts_with_every_failure_listed():
  answers = {"pre": {
    MASTER: (None, False, [("a-pre.d/10-x", constants.HKR_FAIL, "nope"),
                           ("a-pre.d/20-y", constants.HKR_SUCCESS, ""),
                           ("a-pre.d/30-z", constants.HKR_SKIP, "")]),
    NODE2: (None, False, [("a-pre.d/10-x", constants.HKR_FAIL, "")]),
    }}
  hm = _Master(_Recorder(answers), nodes=((MASTER, NODE2), ()))
  with pytest.raises(errors.HooksAbort) as info:
    hm.RunPhase(constants.HOOKS_PHASE_PRE)
  assert info.value.args[0] == [(MASTER, "a-pre.d/10-x", "nope"),
                                (NODE2, "a-pre.d/10-x", "")]


def test_pre_ignores_offline_and_logs_unreachable_nodes():
  answers = {"pre": {
    MASTER: (None, False, [("a-pre.d/ok", constants.HKR_SUCCESS, "")]),
    NODE2: ("connection refused", False, None),
    "off": ("Node is marked offline", True, None),
    }}
  log = _Log()
  hm = _Master(_Recorder(answers), nodes=((MASTER, NODE2, "off"), ()),
               log=log)
  assert hm.RunPhase(constants.HOOKS_PHASE_PRE) == answers["pre"]
  assert log.lines == ["Communication failure to node %s: connection"
                       " refused" % NODE2]


def test_empty_answer_is_a_failure_in_pre_and_a_warning_in_post():
  log = _Log()
  hm = _Master(_Recorder({"pre": {}, "post": {}}), log=log)
  with pytest.raises(errors.HooksFailure, match="Communication Failure"):
    hm.RunPhase(constants.HOOKS_PHASE_PRE)
  assert hm.RunPhase(constants.HOOKS_PHASE_POST) == {}
  assert len(log.lines) == 1
  assert log.lines[0].startswith("Communication Failure")


def test_post_failures_are_only_logged():
  answers = {"post": {
    MASTER: (None, False, [("a-post.d/x", constants.HKR_FAIL, "out"),
                           ("a-post.d/y", constants.HKR_FAIL, "")]),
    }}
  log = _Log()
  hm = _Master(_Recorder(answers), log=log)
  assert hm.RunPhase(constants.HOOKS_PHASE_POST) == answers["post"]
  assert log.lines == [
    "On %s script a-post.d/x failed, output: out" % MASTER,
    "On %s script a-post.d/y failed, output: (no output)" % MASTER,
    ]


def test_results_adapter_is_applied():
  res = local_rpc.RpcResult(data=[("p-pre.d/s", constants.HKR_FAIL, "o")],
                            node=MASTER)
  adapted = hooksmaster.RpcResultsToHooksResults({MASTER: res})
  assert adapted == {MASTER: (None, False,
                              [("p-pre.d/s", constants.HKR_FAIL, "o")])}
  hm = hooksmaster.HooksMaster("OP_X", "p", ((MASTER, ), ()),
                               lambda *_: {MASTER: res},
                               hooksmaster.RpcResultsToHooksResults,
                               lambda: {}, _Log())
  with pytest.raises(errors.HooksAbort):
    hm.RunPhase(constants.HOOKS_PHASE_PRE)


def test_config_update_runs_on_master_with_pre_env():
  rec = _Recorder()
  hm = _Master(rec)
  hm.RunConfigUpdate()
  [(nodes, hpath, phase, env)] = rec.calls
  assert (nodes, hpath, phase) == ([MASTER], "config-update", "post")
  assert env["GANETI_OP_TARGET"] == "w1"
  assert env["GANETI_HOOKS_PATH"] == "config-update"
  assert not any(key.startswith("GANETI_POST_") for key in env)
  rec2 = _Recorder()
  assert _Master(rec2, master=None).RunConfigUpdate() is None
  assert rec2.calls == []


@pytest.mark.parametrize("env, text", [
  ({"GANETI_X": 1}, "without the 'GANETI_' prefix"),
  ({"ganeti_x": 1}, "without the 'GANETI_' prefix"),
  ({"": 1}, "invalid variable name"),
  ({3: 1}, "invalid variable name"),
  ])
def test_bad_variable_names_are_programmer_errors(env, text):
  with pytest.raises(errors.ProgrammerError, match=text):
    _Master(_Recorder(), env_fn=lambda: env)


def test_clash_with_common_variables_is_refused():
  hm = _Master(_Recorder(), env_fn=lambda: {"HOOKS_PHASE": "x"})
  with pytest.raises(errors.ProgrammerError, match="GANETI_HOOKS_PHASE"):
    hm.RunPhase(constants.HOOKS_PHASE_PRE)


def test_bad_phase_and_bad_nodes_pair():
  hm = _Master(_Recorder())
  with pytest.raises(errors.ProgrammerError, match="Unknown hooks phase"):
    hm.RunPhase("PRE")
  with pytest.raises(errors.ProgrammerError, match="pair"):
    _Master(_Recorder(), nodes=([MASTER], [MASTER], [MASTER]))


def test_none_nodes_means_no_hooks():
  hm = hooksmaster.HooksMaster("OP_X", "p", None, _Recorder(), None,
                               lambda: {}, _Log())
  assert (hm.pre_nodes, hm.post_nodes) == (None, None)


class _FakeOp(object):
  OP_ID = "OP_FAKE_THING"


class _FakeLu(object):
  HPATH = "fake-thing"
  HTYPE = constants.HTYPE_CLUSTER

  def __init__(self, cfg, nodes):
    self.cfg = cfg
    self.op = _FakeOp()
    self._nodes = nodes
    self.warnings = []

  def BuildHooksEnv(self):
    return {"OP_TARGET": self.cfg.GetClusterName()}

  def BuildHooksNodes(self):
    return self._nodes

  def LogWarning(self, msg, *args):
    self.warnings.append(msg % args if args else msg)


def test_build_from_lu_with_real_scripts(vnode, tmp_path):
  cfg = _MakeConfig(tmp_path / "config.data")
  runner = local_rpc.LocalRpcRunner(cfg, MASTER)
  dump = tmp_path / "env.txt"
  hooks_dir = os.path.join(pathutils.HOOKS_BASE_DIR, "fake-thing-pre.d")
  os.makedirs(hooks_dir)
  with open(os.path.join(hooks_dir, "dump"), "w") as fd:
    fd.write("#!/bin/sh\nenv | grep ^GANETI_ | sort > %s\n" % dump)
  os.chmod(os.path.join(hooks_dir, "dump"), 0o755)
  lu = _FakeLu(cfg, ([MASTER], [MASTER, NODE2]))
  hm = hooksmaster.HooksMaster.BuildFromLu(runner.call_hooks_runner, lu)
  assert hm.pre_nodes == frozenset([MASTER])
  assert hm.post_nodes == frozenset([MASTER, NODE2])
  hm.RunPhase(constants.HOOKS_PHASE_PRE)
  assert dump.read_text().splitlines() == sorted([
    "GANETI_CLUSTER=%s" % CLUSTER,
    "GANETI_DATA_DIR=%s" % pathutils.DATA_DIR,
    "GANETI_HOOKS_PATH=fake-thing",
    "GANETI_HOOKS_PHASE=pre",
    "GANETI_HOOKS_VERSION=2",
    "GANETI_MASTER=%s" % MASTER,
    "GANETI_OBJECT_TYPE=CLUSTER",
    "GANETI_OP_CODE=OP_FAKE_THING",
    "GANETI_OP_TARGET=%s" % CLUSTER,
    ])
  # the post phase reaches NODE2 only in theory: no node daemon yet
  hm.RunPhase(constants.HOOKS_PHASE_POST)
  assert lu.warnings == ["Communication failure to node %s: %s" %
                         (NODE2, local_rpc.NO_NODED_MSG % NODE2)]


def test_build_from_lu_checks_the_nodes_pair(tmp_path):
  cfg = _MakeConfig(tmp_path / "config.data")
  with pytest.raises(errors.ProgrammerError, match="BuildHooksNodes"):
    hooksmaster.HooksMaster.BuildFromLu(_Recorder(), _FakeLu(cfg, [MASTER]))
  lu = _FakeLu(cfg, (None, [MASTER]))
  hm = hooksmaster.HooksMaster.BuildFromLu(_Recorder(), lu)
  assert hm.pre_nodes == frozenset()


def test_build_from_lu_without_hooks(tmp_path):
  cfg = _MakeConfig(tmp_path / "config.data")
  lu = _FakeLu(cfg, None)
  lu.HPATH = None
  rec = _Recorder()
  hm = hooksmaster.HooksMaster.BuildFromLu(rec, lu)
  assert hm.RunPhase(constants.HOOKS_PHASE_PRE) is None
  assert hm.pre_env == {}
  hm.RunConfigUpdate()
  assert rec.calls[0][:3] == ([MASTER], "config-update", "post")
