"""Tests of ganeti.backend_hooks: the hooks_runner call and local hooks."""

import os

import pytest

from ganeti import backend
from ganeti import backend_hooks
from ganeti import constants
from ganeti import pathutils
from ganeti import ssconf
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"


@pytest.fixture
def vnode(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  return root


def _Script(directory, name, body, mode=0o755):
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, name)
  with open(path, "w") as handle:
    handle.write("#!/bin/sh\n" + body)
  os.chmod(path, mode)
  return path


def test_hooks_results_in_name_order(vnode, tmp_path):
  hdir = os.path.join(pathutils.HOOKS_BASE_DIR, "instance-start-pre.d")
  record = tmp_path / "env"
  _Script(hdir, "10-ok", "echo '  hello  '; echo warn >&2\n")
  _Script(hdir, "20-fail", "echo broken; exit 3\n")
  _Script(hdir, "30-env", "env > %s; pwd >> %s\n" % (record, record))
  _Script(hdir, "05-noexec", "exit 0\n", mode=0o644)
  _Script(hdir, "foo.sh", "exit 0\n")
  os.mkdir(os.path.join(hdir, "subdir"))
  env = {"PATH": constants.HOOKS_PATH, "GANETI_OP_CODE": "OP_TEST"}
  results = backend.RunHooks("instance-start", constants.HOOKS_PHASE_PRE,
                             env)
  assert results == [
    ("instance-start-pre.d/05-noexec", constants.HKR_SKIP, ""),
    ("instance-start-pre.d/10-ok", constants.HKR_SUCCESS,
     "hello  \nwarn"),
    ("instance-start-pre.d/20-fail", constants.HKR_FAIL, "broken"),
    ("instance-start-pre.d/30-env", constants.HKR_SUCCESS, ""),
    ("instance-start-pre.d/foo.sh", constants.HKR_SKIP, ""),
    ("instance-start-pre.d/subdir", constants.HKR_SKIP, ""),
    ]
  lines = record.read_text().splitlines()
  assert lines[-1] == "/"
  seen = dict(line.split("=", 1) for line in lines[:-1] if "=" in line)
  # our environment is replaced by the master's (plus the C locale)
  assert seen["GANETI_OP_CODE"] == "OP_TEST"
  assert seen["PATH"] == constants.HOOKS_PATH
  assert "GANETI_ROOTDIR" not in seen


def test_missing_hooks_directory_runs_nothing(vnode):
  assert backend.RunHooks("node-add", constants.HOOKS_PHASE_POST, {}) == []


@pytest.mark.parametrize("hpath,phase,env,match", [
  ("x", "PRE", {}, "Unknown hooks phase 'PRE'"),
  ("../etc", "pre", {}, "Invalid hooks path"),
  ("a/b", "pre", {}, "Invalid hooks path"),
  (None, "pre", {}, "Invalid hooks path"),
  ("x", "pre", [], "expected a dict"),
  ("x", "pre", {"A=B": "1"}, "variable name"),
  ("x", "pre", {"A": 1}, "Invalid value 1"),
  ])
def test_run_hooks_rejects_bad_input(vnode, hpath, phase, env, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.RunHooks(hpath, phase, env)


def test_local_hooks_environment_and_order(vnode, tmp_path):
  ssconf.SimpleStore().WriteFiles({"cluster_name": "cl.example.com",
                                   "master_node": NODE})
  log = tmp_path / "log"
  for phase in ("pre", "post"):
    _Script(os.path.join(pathutils.HOOKS_BASE_DIR, "demo-%s.d" % phase),
            "record", "echo \"$GANETI_HOOKS_PHASE $GANETI_OBJECT_TYPE"
            " $GANETI_CLUSTER $GANETI_MASTER $GANETI_OP_CODE"
            " $GANETI_EXTRA\" >> %s\n" % log)
  calls = []

  def _Work():
    calls.append(log.read_text())
    return 42
  result = backend_hooks.RunLocalHooks("OP_DEMO", "demo", {"EXTRA": 5},
                                       _Work)
  assert result == 42
  assert calls == ["pre CLUSTER cl.example.com %s OP_DEMO 5\n" % NODE]
  assert log.read_text().splitlines()[1] == \
    "post CLUSTER cl.example.com %s OP_DEMO 5" % NODE


def test_local_pre_hook_failure_aborts(vnode):
  ssconf.SimpleStore().WriteFiles({"cluster_name": "cl.example.com",
                                   "master_node": NODE})
  _Script(os.path.join(pathutils.HOOKS_BASE_DIR, "demo-pre.d"), "no",
          "echo refused; exit 1\n")
  calls = []
  with pytest.raises(backend.RPCFail,
                     match="Pre hooks of demo failed: demo-pre.d/no:"
                     " refused"):
    backend_hooks.RunLocalHooks("OP_DEMO", "demo", {},
                                lambda: calls.append(1))
  assert calls == []


def test_local_post_hook_failure_is_only_logged(vnode, caplog):
  ssconf.SimpleStore().WriteFiles({"cluster_name": "cl.example.com",
                                   "master_node": NODE})
  _Script(os.path.join(pathutils.HOOKS_BASE_DIR, "demo-post.d"), "no",
          "exit 1\n")
  assert backend_hooks.RunLocalHooks("OP_DEMO", "demo", {},
                                     lambda: "done") == "done"
  assert "demo-post.d/no: (no output)" in caplog.text


def test_local_hooks_need_ssconf(vnode):
  with pytest.raises(backend.RPCFail, match="environment of the demo hooks"):
    backend_hooks.RunLocalHooks("OP_DEMO", "demo", {}, lambda: None)
