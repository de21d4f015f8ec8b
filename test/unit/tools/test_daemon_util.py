"""Tests of ganeti.tools.daemon_util with small stand-in daemons."""

import io
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from ganeti import constants
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.tools import daemon_util
from ganeti.tools import ensure_dirs


TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__)))))
NODE = "node1.vcluster.test"

# Behaves like a Ganeti daemon: detaches, holds a locked pid file, records
# its arguments, stops on SIGTERM (unless told to ignore it).
_FAKE_DAEMON = textwrap.dedent("""\
  import os, signal, sys, time
  from ganeti import pathutils, utils
  name = os.path.basename(sys.argv[0])
  code = os.environ.get("F2_FAKE_EXIT_" + name.replace("-", "_"))
  if code:
    sys.stderr.write("fake %s exits with %s\\n" % (name, code))
    sys.exit(int(code))
  wpipe = utils.Daemonize(os.path.join(pathutils.LOG_DIR, name + ".log"))
  pidfd = utils.WritePidFile(pathutils.GetPidFilename(name))
  utils.WriteFile(os.path.join(pathutils.RUN_DIR, name + ".args"),
                  data=" ".join(sys.argv[1:]))
  if os.environ.get("F2_IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
  else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
  os.close(wpipe)
  while True:
    time.sleep(1)
  """)


@pytest.fixture
def vnode(tmp_path, monkeypatch):
  root = tmp_path / NODE
  root.mkdir()
  (tmp_path / "hosts").write_text("127.0.1.1 %s node1\n" % NODE)
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", NODE)
  pathutils.Reload()
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  yield root
  for name in constants.DAEMONS:
    pid = utils.ReadLockedPidFile(pathutils.GetPidFilename(name))
    if pid:
      os.kill(pid, signal.SIGKILL)
  monkeypatch.undo()
  pathutils.Reload()


@pytest.fixture
def ddir(vnode, tmp_path):
  path = tmp_path / "daemons"
  path.mkdir()
  for name in (constants.NODED, constants.MASTERD):
    (path / name).write_text(_FAKE_DAEMON)
  return path


def _Tool(ddir, stop_timeout=5.0):
  out = io.StringIO()
  err = io.StringIO()
  return (daemon_util.DaemonUtil(str(ddir), stop_timeout=stop_timeout,
                                 out=out, err=err), out, err)


def _Args(name):
  with open(os.path.join(pathutils.RUN_DIR, name + ".args")) as handle:
    return handle.read()


def _Pid(name):
  return utils.ReadLockedPidFile(pathutils.GetPidFilename(name))


def test_start_check_stop(ddir):
  (tool, out, err) = _Tool(ddir)
  assert tool.Run(["check", constants.NODED]) == 1
  assert tool.Run(["start", constants.NODED, "--no-mlock"]) == 0
  pid = _Pid(constants.NODED)
  assert pid and utils.IsProcessAlive(pid)
  # network daemons of a virtual node bind to the node's own address
  assert _Args(constants.NODED) == "-b 127.0.1.1 --no-mlock"
  assert tool.Run(["check", constants.NODED]) == 0
  assert tool.Run(["start", constants.NODED]) == 0
  assert "already running (pid %d)" % pid in out.getvalue()
  assert tool.Run(["check-and-start", constants.NODED]) == 0
  assert _Pid(constants.NODED) == pid
  assert tool.Run(["stop", constants.NODED]) == 0
  assert _Pid(constants.NODED) is None
  assert tool.Run(["stop", constants.NODED]) == 0
  assert tool.Run(["check-and-start", constants.NODED]) == 0
  assert _Pid(constants.NODED)
  assert err.getvalue() == ""


def test_stop_escalates_to_sigkill(ddir, monkeypatch):
  monkeypatch.setenv("F2_IGNORE_TERM", "1")
  (tool, _, err) = _Tool(ddir, stop_timeout=0.3)
  assert tool.Run(["start", constants.MASTERD]) == 0
  assert _Args(constants.MASTERD) == ""
  assert tool.Run(["stop", constants.MASTERD]) == 0
  assert _Pid(constants.MASTERD) is None
  assert "did not stop within 0.3 seconds, sending SIGKILL" in err.getvalue()


def test_start_failures(ddir, monkeypatch):
  (tool, _, err) = _Tool(ddir)
  assert tool.Run(["start", constants.RAPI]) == 1
  assert "cannot start ganeti-rapi: executable %s not found" % \
    (ddir / constants.RAPI) in err.getvalue()
  monkeypatch.setenv("F2_FAKE_EXIT_ganeti_noded", "4")
  assert tool.Run(["start", constants.NODED]) == 4
  assert "ganeti-noded failed to start (exited with exit code 4): fake" \
    " ganeti-noded exits with 4" in err.getvalue()


def test_start_all_on_a_plain_node(ddir):
  (tool, out, _) = _Tool(ddir)
  assert tool.Run(["start-all"]) == 0
  assert _Pid(constants.NODED)
  assert _Pid(constants.MASTERD) is None
  text = out.getvalue()
  assert "Not starting ganeti-masterd: this node is not the master" in text
  assert "Not starting ganeti-confd: no cluster configuration" in text
  assert tool.Run(["stop-all"]) == 0
  assert _Pid(constants.NODED) is None


def test_start_all_on_the_master(ddir, monkeypatch):
  ssconf.SimpleStore().WriteFiles({"master_node": NODE})
  utils.WriteFile(pathutils.CLUSTER_CONF_FILE, data="{}")
  (ddir / constants.CONFD).write_text(_FAKE_DAEMON)
  monkeypatch.setenv("EXTRA_MASTERD_ARGS", "--no-voting --yes-do-it")
  (tool, out, _) = _Tool(ddir)
  assert tool.Run(["start-all"]) == 0
  for name in (constants.NODED, constants.MASTERD, constants.CONFD):
    assert _Pid(name), name
  assert _Args(constants.MASTERD) == "--no-voting --yes-do-it"
  assert _Args(constants.CONFD) == "-b 127.0.1.1"
  assert "Skipping ganeti-rapi: executable %s not found" % \
    (ddir / constants.RAPI) in out.getvalue()
  assert tool.Run(["stop-master"]) == 0
  assert _Pid(constants.MASTERD) is None and _Pid(constants.NODED)
  assert tool.Run(["start-master"]) == 0
  assert _Pid(constants.MASTERD)
  assert tool.Run(["stop-all"]) == 0
  assert not any(_Pid(name) for name in constants.DAEMONS)


def test_start_all_tolerates_not_master(ddir, monkeypatch):
  ssconf.SimpleStore().WriteFiles({"master_node": NODE})
  monkeypatch.setenv("F2_FAKE_EXIT_ganeti_masterd", "11")
  (tool, out, err) = _Tool(ddir)
  assert tool.Run(["start-all"]) == 0
  assert "ganeti-masterd: this node is not the master" in out.getvalue()
  assert err.getvalue() == ""
  assert tool.Run(["start-master"]) == constants.EXIT_NOTMASTER


def test_start_all_stops_at_the_first_failure(ddir, monkeypatch):
  monkeypatch.setenv("F2_FAKE_EXIT_ganeti_noded", "1")
  (tool, _, err) = _Tool(ddir)
  assert tool.Run(["start-all"]) == 1
  assert "ganeti-noded failed to start" in err.getvalue()


def test_arguments_from_the_defaults_file(ddir, monkeypatch):
  defaults = os.path.join(pathutils.SYSCONFDIR, "default")
  os.makedirs(defaults)
  with open(os.path.join(defaults, "ganeti"), "w") as handle:
    handle.write("# comment\nNODED_ARGS=\"--no-mlock -d\"\n"
                 "export EXTRA_NODED_ARGS='--syslog=no'  # trailing\n"
                 "MASTERD_ARGS=-d\n")
  (tool, _, _) = _Tool(ddir)
  assert tool.ConfiguredArgs(constants.NODED) == ["--no-mlock", "-d",
                                                  "--syslog=no"]
  monkeypatch.setenv("MASTERD_ARGS", "")
  assert tool.ConfiguredArgs(constants.MASTERD) == []
  assert tool.Run(["start", constants.NODED, "-b", "127.0.1.1"]) == 0
  assert _Args(constants.NODED) == "--no-mlock -d --syslog=no -b 127.0.1.1"
  with open(os.path.join(defaults, "ganeti"), "a") as handle:
    handle.write("this is not an assignment\n")
  with pytest.raises(Exception, match="line 5: expected VAR=value"):
    tool.ConfiguredArgs(constants.NODED)


def test_unresolvable_node_address(ddir, tmp_path):
  (tmp_path / "hosts").write_text("")
  (tool, _, _) = _Tool(ddir)
  with pytest.raises(Exception, match="Cannot find the address of virtual"
                     " node %s" % NODE):
    tool.Run(["start", constants.NODED])


def test_pidfile_and_executable(ddir):
  (tool, out, _) = _Tool(ddir)
  assert tool.Run(["daemon-pidfile", constants.CONFD]) == 0
  assert tool.Run(["daemon-executable", constants.CONFD]) == 0
  assert out.getvalue().splitlines() == [
    pathutils.GetPidFilename(constants.CONFD), str(ddir / constants.CONFD)]


@pytest.mark.parametrize("argv,match", [
  ([], "no action given"),
  (["restart"], "unknown action 'restart'"),
  (["start"], "needs a daemon name"),
  (["start", "sshd"], "unknown daemon 'sshd'"),
  (["stop", constants.NODED, "-f"], "takes only a daemon name"),
  (["start-all", "x"], "takes no arguments"),
  ])
def test_usage_errors(ddir, argv, match):
  (tool, _, _) = _Tool(ddir)
  with pytest.raises(daemon_util.UsageError, match=match):
    tool.Run(argv)


def test_daemons_dir_lookup(tmp_path):
  assert daemon_util.FindDaemonsDir("/x", environ={}) == "/x"
  assert daemon_util.FindDaemonsDir(
    "/x", environ={"GANETI_DAEMONS_DIR": "/y"}) == "/y"
  assert daemon_util.FindDaemonsDir(None, environ={}) == \
    os.path.join(TOP, "daemons")


def test_launcher(ddir):
  launcher = os.path.join(TOP, "daemons", "daemon-util")
  env = dict(os.environ, GANETI_DAEMONS_DIR=str(ddir))
  run = subprocess.run([sys.executable, launcher, "start",
                        constants.NODED], env=env, capture_output=True,
                       text=True, timeout=60)
  assert run.returncode == 0, run.stderr
  run = subprocess.run([sys.executable, launcher, "check", constants.NODED],
                       env=env, capture_output=True, timeout=60)
  assert run.returncode == 0
  run = subprocess.run([sys.executable, launcher, "stop-all"], env=env,
                       capture_output=True, timeout=60)
  assert run.returncode == 0 and _Pid(constants.NODED) is None
  run = subprocess.run([sys.executable, launcher, "frobnicate"], env=env,
                       capture_output=True, text=True, timeout=60)
  assert run.returncode == 1
  assert "unknown action 'frobnicate'" in run.stderr
  assert "Usage: daemon-util" in run.stderr
