"""Tests of ganeti.tools.vcluster_setup (and tools/vcluster-setup)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ganeti import errors
from ganeti import netutils
from ganeti import utils
from ganeti.tools import vcluster_setup


TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__)))))
TOOL = os.path.join(TOP, "tools", "vcluster-setup")
NODES = ["node1.vcluster.test", "node2.vcluster.test", "node3.vcluster.test"]


def _Run(*args, **kwargs):
  return subprocess.run([sys.executable, TOOL] + list(args),
                        capture_output=True, text=True, timeout=60, **kwargs)


def test_three_node_cluster(tmp_path):
  cdir = tmp_path / "vc"
  out = _Run(str(cdir), "3")
  assert out.returncode == 0, out.stderr
  assert out.stdout == ("Virtual cluster in %s: 3 node(s): %s\n" %
                        (cdir, ", ".join(NODES)))
  assert sorted(os.listdir(cdir)) == sorted(
    NODES + ["hosts", "restart-all", "start-all", "stop-all",
             "watcher-all"])
  hosts = netutils.ParseHostsFile((cdir / "hosts").read_text())
  assert hosts == [
    ("127.0.1.1", ["node1.vcluster.test", "node1"]),
    ("127.0.1.2", ["node2.vcluster.test", "node2"]),
    ("127.0.1.3", ["node3.vcluster.test", "node3"]),
    ("127.0.1.4", ["cluster.vcluster.test", "cluster"])]
  for node in NODES:
    root = cdir / node
    assert os.path.isdir(root / "var/lib/ganeti/queue/archive")
    assert os.stat(root / "var/lib/ganeti/queue").st_mode & 0o777 == 0o700
    run = subprocess.run(
      [str(root / "cmd"), sys.executable, "-c",
       "import os; print(os.environ['GANETI_ROOTDIR'],"
       " os.environ['GANETI_HOSTNAME'])"],
      capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "%s %s\n" % (root, node)


def test_cmd_resolves_names_and_finds_the_tools(tmp_path):
  cdir = tmp_path / "vc"
  vcluster_setup.SetupCluster(str(cdir), 2)
  script = ("from ganeti import netutils, pathutils; import shutil;"
            " print(netutils.Hostname.GetIP('node2.vcluster.test'),"
            " pathutils.DATA_DIR, shutil.which('daemon-util') is not None)")
  run = subprocess.run([str(cdir / "node1.vcluster.test" / "cmd"), "python3",
                        "-c", script], capture_output=True, text=True,
                       timeout=30)
  assert run.returncode == 0, run.stderr
  assert run.stdout == ("127.0.1.2 %s/node1.vcluster.test/var/lib/ganeti"
                        " True\n" % cdir)
  usage = subprocess.run([str(cdir / "node1.vcluster.test" / "cmd")],
                         capture_output=True, text=True, timeout=30)
  assert usage.returncode == 1 and "Usage" in usage.stderr


def test_cluster_scripts_act_on_every_node(tmp_path):
  cdir = tmp_path / "vc"
  (_, nodes) = vcluster_setup.SetupCluster(str(cdir), 2)
  # what gnt-cluster init would have given the nodes: the cluster certificate
  for node in nodes:
    utils.GenerateSelfSignedSslCert(
      str(cdir / node / "var/lib/ganeti/server.pem"))
  try:
    run = subprocess.run([str(cdir / "start-all")], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Starting daemons on") == 2
    assert "Not starting ganeti-masterd: this node is not the master" in \
      run.stdout
    for node in nodes:
      check = subprocess.run([str(cdir / node / "cmd"), "daemon-util",
                              "check", "ganeti-noded"], capture_output=True,
                             text=True, timeout=60)
      assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([str(cdir / "restart-all")], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Stopping daemons on") == 2
    # ganeti-watcher does not exist yet: the failure is passed on
    run = subprocess.run([str(cdir / "watcher-all")], capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.count("Running the watcher on") == 2
    assert run.returncode == 1
  finally:
    subprocess.run([str(cdir / "stop-all")], capture_output=True, timeout=60)
  for node in nodes:
    check = subprocess.run([str(cdir / node / "cmd"), "daemon-util", "check",
                            "ganeti-noded"], capture_output=True, timeout=60)
    assert check.returncode == 1


def test_rerun_is_idempotent(tmp_path):
  cdir = tmp_path / "vc"
  (changes, nodes) = vcluster_setup.SetupCluster(str(cdir), 3)
  assert changes and nodes == NODES
  (changes, _) = vcluster_setup.SetupCluster(str(cdir), 3)
  assert changes == []
  os.chmod(cdir / "node2.vcluster.test" / "var/log/ganeti", 0o777)
  (changes, _) = vcluster_setup.SetupCluster(str(cdir), 3)
  assert changes == ["node2.vcluster.test: Fixed mode of %s: 0777 -> 0770" %
                     (cdir / "node2.vcluster.test" / "var/log/ganeti")]


def test_options(tmp_path):
  cdir = tmp_path / "vc"
  out = _Run("-a", "127.0.5.10", "-n", "vn", "-d", "example.org", "-v",
             str(cdir), "2")
  assert out.returncode == 0, out.stderr
  assert "Wrote %s/hosts" % cdir in out.stdout
  assert (cdir / "hosts").read_text().splitlines()[1:] == [
    "127.0.5.10 vn1.example.org vn1", "127.0.5.11 vn2.example.org vn2",
    "127.0.5.12 cluster.example.org cluster"]


def test_refuses_foreign_directories(tmp_path):
  cdir = tmp_path / "vc"
  cdir.mkdir()
  (cdir / "important.txt").write_text("keep me")
  out = _Run(str(cdir), "2")
  assert out.returncode == 1
  assert "Refusing to use %s" % cdir in out.stderr
  assert "important.txt" in out.stderr
  assert sorted(os.listdir(cdir)) == ["important.txt"]
  target = tmp_path / "file"
  target.write_text("x")
  with pytest.raises(errors.GenericError, match="not a directory"):
    vcluster_setup.SetupCluster(str(target), 1)


@pytest.mark.parametrize("kwargs,match", [
  (dict(count=0), "positive integer"),
  (dict(count=True), "positive integer"),
  (dict(count=2, base_address="10.0.0.1"), "leaves the loopback network"),
  (dict(count=3, base_address="127.255.255.253"), "leaves the loopback"),
  (dict(count=2, base_address="nonsense"), "not an IPv4 address"),
  (dict(count=2, prefix="Node_"), "Invalid node name prefix"),
  (dict(count=2, domain="bad domain"), "Invalid domain"),
  ])
def test_bad_arguments(tmp_path, kwargs, match):
  with pytest.raises(errors.GenericError, match=match):
    vcluster_setup.SetupCluster(str(tmp_path / "vc"), **kwargs)
  assert not os.path.exists(tmp_path / "vc")


def test_relative_dir_is_refused_by_the_function():
  with pytest.raises(errors.GenericError, match="absolute"):
    vcluster_setup.SetupCluster("vc", 1)


def test_command_line_errors(tmp_path):
  out = _Run(str(tmp_path / "vc"))
  assert out.returncode == 2 and "expected DIR and N" in out.stderr
  out = _Run(str(tmp_path / "vc"), "three")
  assert out.returncode == 2 and "N must be a number" in out.stderr


def test_kill_guests_kills_only_the_clusters_own(tmp_path):
  """Processes with a -pidfile below the cluster dir die, others live."""
  inside = str(tmp_path / "node1" / "guest.pid")
  outside = str(tmp_path.parent / "elsewhere.pid")
  # a sleeping interpreter with qemu's -pidfile argument stands in for a
  # guest
  sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
  mine = subprocess.Popen(sleeper + ["-pidfile", inside])
  other = subprocess.Popen(sleeper + ["-pidfile", outside])
  try:
    time.sleep(0.2)
    killed = vcluster_setup.KillGuests(str(tmp_path))
    assert killed == [mine.pid]
    assert mine.wait(timeout=5) == -signal.SIGKILL
    assert other.poll() is None
  finally:
    for proc in (mine, other):
      if proc.poll() is None:
        proc.kill()
        proc.wait()
