"""Integration tests of gnt-node add/remove on a 4-node virtual cluster.

A real cluster: tools/vcluster-setup makes four virtual nodes in a short
directory under /tmp (Unix socket paths are limited), the first one is
initialised with bootstrap.InitCluster (candidate pool size 3, no
/etc/hosts or SSH changes: the virtual nodes share this machine), and
``gnt-node add`` joins the others: it copies the cluster crypto into the
node's root and starts its node daemon, then the master adds it over RPC.
Every daemon is stopped at the end (stop-all, then any survivor killed).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from ganeti import constants
from ganeti import utils


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
_VCLUSTER_SETUP = os.path.join(_REPO, "tools", "vcluster-setup")

BASE_ADDRESS = "127.0.96.1"
NODES = ["node%d.vcluster.test" % idx for idx in range(1, 5)]
MASTER = NODES[0]
POOL_SIZE = 3

_INIT_SCRIPT = """
from ganeti import bootstrap, pathutils
pathutils.Reload()
bootstrap.InitCluster("cluster.vcluster.test", "aa:00:00", 32, "lo",
                      "/srv/ganeti/file-storage",
                      "/srv/ganeti/shared-file-storage", %d,
                      enabled_hypervisors=["fake"], modify_etc_hosts=False,
                      modify_ssh_setup=False)
""" % POOL_SIZE


#: Submits OP_NODE_ADD directly (no client-side preparation); prints the
#: error the way gnt-* tools do
_SUBMIT_ADD_SCRIPT = """
import sys
from ganeti import cli, opcodes
try:
  cli.SubmitOpCode(opcodes.OpNodeAdd(node_name=sys.argv[1]))
except Exception as err:
  print(cli.FormatError(err)[1], file=sys.stderr)
  sys.exit(1)
"""


def WaitFor(fn, timeout=15.0, interval=0.05, what="condition"):
  deadline = time.monotonic() + timeout
  while True:
    value = fn()
    if value:
      return value
    if time.monotonic() > deadline:
      raise AssertionError("Timed out after %ss waiting for %s" %
                           (timeout, what))
    time.sleep(interval)


class _Cluster(object):
  def __init__(self):
    self.dir = tempfile.mkdtemp(prefix="gna")
    subprocess.run([sys.executable, _VCLUSTER_SETUP, "-a", BASE_ADDRESS,
                    self.dir, str(len(NODES))], check=True,
                   capture_output=True)

  def Root(self, node):
    return os.path.join(self.dir, node)

  def DataFile(self, node, name):
    return os.path.join(self.Root(node), "var", "lib", "ganeti", name)

  def Run(self, node, *args, timeout=90):
    return subprocess.run([os.path.join(self.Root(node), "cmd")] + list(args),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)

  def Gnt(self, *args, **kwargs):
    return self.Run(MASTER, *args, **kwargs)

  def Ssconf(self, node, key):
    try:
      with open(self.DataFile(node, "ssconf_%s" % key)) as fd:
        return fd.read().split()
    except FileNotFoundError:
      return None

  def Config(self, node=MASTER):
    with open(self.DataFile(node, "config.data")) as fd:
      return json.load(fd)

  def NodedPid(self, node):
    path = os.path.join(self.Root(node), "var", "run", "ganeti",
                        "%s.pid" % constants.NODED)
    pid = utils.ReadPidFile(path)
    if pid and utils.IsProcessAlive(pid):
      return pid
    return 0

  def Cleanup(self):
    stop_all = os.path.join(self.dir, "stop-all")
    if os.path.exists(stop_all):
      subprocess.run([stop_all], capture_output=True, timeout=120)
    for node in NODES:
      pid_dir = os.path.join(self.Root(node), "var", "run", "ganeti")
      if not os.path.isdir(pid_dir):
        continue
      for name in os.listdir(pid_dir):
        if not name.endswith(".pid"):
          continue
        pid = utils.ReadPidFile(os.path.join(pid_dir, name))
        if pid and utils.IsProcessAlive(pid):
          os.kill(pid, signal.SIGKILL)
    shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
  """An initialised cluster of node1 (master) with node2..node4 added."""
  vc = _Cluster()
  try:
    result = vc.Run(MASTER, sys.executable, "-c", _INIT_SCRIPT)
    assert result.returncode == 0, result.stderr
    for node in NODES[1:]:
      result = vc.Gnt("gnt-node", "add", node.split(".")[0])
      assert result.returncode == 0, (node, result.stdout, result.stderr)
    yield vc
  finally:
    vc.Cleanup()


def _Candidates(vc):
  return sorted(name for (name, node) in vc.Config()["nodes"].items()
                if node["master_candidate"])


def test_added_nodes_are_in_the_configuration(cluster):
  assert sorted(cluster.Config()["nodes"]) == NODES
  for node in NODES:
    assert cluster.NodedPid(node)


def test_candidate_pool_is_filled_to_its_size(cluster):
  candidates = _Candidates(cluster)
  assert len(candidates) == POOL_SIZE
  assert MASTER in candidates


def test_config_is_replicated_to_candidates_only(cluster):
  with open(cluster.DataFile(MASTER, "config.data"), "rb") as fd:
    master_copy = fd.read()

  def _Replicated():
    for node in _Candidates(cluster):
      try:
        with open(cluster.DataFile(node, "config.data"), "rb") as fd:
          if fd.read() != master_copy:
            return False
      except FileNotFoundError:
        return False
    return True
  WaitFor(_Replicated, what="config.data on every candidate")
  for node in set(NODES) - set(_Candidates(cluster)):
    assert not os.path.exists(cluster.DataFile(node, "config.data"))


def test_ssconf_is_on_every_node(cluster):
  def _Complete():
    return all(cluster.Ssconf(node, "node_list") == NODES and
               cluster.Ssconf(node, "master_candidates") ==
               _Candidates(cluster) for node in NODES)
  WaitFor(_Complete, what="ssconf node lists on all nodes")
  for node in NODES:
    assert cluster.Ssconf(node, "master_node") == [MASTER]
    assert os.path.exists(cluster.DataFile(node, "server.pem"))
    assert os.path.exists(cluster.DataFile(node, "hmac.key"))


def test_jobs_are_replicated_to_candidates(cluster):
  result = cluster.Gnt("gnt-debug", "delay", "0")
  assert result.returncode == 0, result.stderr
  job_files = sorted(name for name in
                     os.listdir(cluster.DataFile(MASTER, "queue"))
                     if name.startswith("job-"))
  assert job_files

  def _Replicated():
    for node in _Candidates(cluster):
      for name in job_files:
        with open(cluster.DataFile(MASTER, "queue/" + name), "rb") as fd:
          want = fd.read()
        try:
          with open(cluster.DataFile(node, "queue/" + name), "rb") as fd:
            if fd.read() != want:
              return False
        except FileNotFoundError:
          return False
    return True
  WaitFor(_Replicated, what="job files on every candidate")


def test_adding_a_known_node_needs_readd(cluster):
  result = cluster.Gnt("gnt-node", "add", "node2")
  assert result.returncode == 1
  assert ("Node node2.vcluster.test already in the cluster (as"
          " node2.vcluster.test) - please retry with '--readd'") in \
    result.stderr


def test_readd_of_the_master_is_refused(cluster):
  result = cluster.Gnt("gnt-node", "add", "--readd", "node1")
  assert result.returncode == 1
  assert "Node node1.vcluster.test is the master, cannot readd" in \
    result.stderr


def test_adding_an_unreachable_node_fails_cleanly(cluster):
  # a name known to the hosts file, but no machine (daemon) behind it
  with open(os.path.join(cluster.dir, "hosts"), "a") as fd:
    fd.write("127.0.96.50 ghost.vcluster.test ghost\n")
  before = cluster.Config()["serial_no"]
  result = cluster.Gnt("gnt-node", "add", "ghost")
  assert result.returncode == 1
  assert "ghost.vcluster.test" in result.stderr
  result = cluster.Gnt(sys.executable, "-c", _SUBMIT_ADD_SCRIPT, "ghost")
  assert result.returncode == 1
  # every 127.x address answers (a refused connection proves the host is
  # up, as in Ganeti), so it is the node daemon check that fails
  assert ("Can't get version information from node ghost.vcluster.test"
          in result.stderr)
  assert "Failed to connect to 127.0.96.50:1811" in result.stderr
  config = cluster.Config()
  assert "ghost.vcluster.test" not in config["nodes"]
  assert config["serial_no"] == before


def test_node_with_another_cluster_certificate_is_refused(cluster, tmp_path):
  node = NODES[3]
  # node4 leaves, then its daemon comes back with a foreign certificate
  result = cluster.Gnt("gnt-node", "remove", "node4")
  assert result.returncode == 0, result.stderr
  WaitFor(lambda: not cluster.NodedPid(node), what="node4's noded to exit")
  foreign = str(tmp_path / "foreign.pem")
  utils.GenerateSelfSignedSslCert(foreign)
  shutil.copy(foreign, cluster.DataFile(node, "server.pem"))
  result = cluster.Run(node, "daemon-util", "start", constants.NODED)
  assert result.returncode == 0, result.stderr
  try:
    result = cluster.Gnt("gnt-node", "add", "node4")
    assert result.returncode == 1
    assert ("Node node4.vcluster.test seems to belong to another cluster"
            in result.stderr)
    # the opcode alone (without the client's check) fails at the version
    # call: TLS with the cluster certificate does not work with that daemon
    result = cluster.Gnt(sys.executable, "-c", _SUBMIT_ADD_SCRIPT, "node4")
    assert result.returncode == 1
    assert ("Can't get version information from node node4.vcluster.test"
            in result.stderr)
    assert node not in cluster.Config()["nodes"]
  finally:
    # with --force-join the node is set up again and joins this cluster
    result = cluster.Gnt("gnt-node", "add", "--force-join", "node4")
  assert result.returncode == 0, result.stderr
  assert node in cluster.Config()["nodes"]


def test_remove_and_add_again(cluster):
  node = NODES[1]
  old_uuid = cluster.Config()["nodes"][node]["uuid"]
  result = cluster.Gnt("gnt-node", "remove", "node2")
  assert result.returncode == 0, result.stderr
  config = cluster.Config()
  assert node not in config["nodes"]
  # the pool is kept at its size without node2
  assert len(_Candidates(cluster)) == POOL_SIZE
  WaitFor(lambda: not cluster.NodedPid(node), what="node2's noded to exit")
  assert not os.path.exists(cluster.DataFile(node, "server.pem"))
  assert not os.path.exists(cluster.DataFile(node, "config.data"))
  WaitFor(lambda: node not in (cluster.Ssconf(NODES[2], "node_list") or []),
          what="ssconf without node2")

  result = cluster.Gnt("gnt-node", "add", "node2")
  assert result.returncode == 0, result.stderr
  config = cluster.Config()
  assert node in config["nodes"]
  assert config["nodes"][node]["uuid"] != old_uuid
  assert cluster.NodedPid(node)


def test_readd_keeps_uuid_and_group(cluster):
  node = NODES[2]
  before = cluster.Config()["nodes"][node]
  result = cluster.Gnt("gnt-node", "add", "--readd", "node3")
  assert result.returncode == 0, result.stderr
  after = cluster.Config()["nodes"][node]
  assert (after["uuid"], after["group"]) == (before["uuid"], before["group"])
  assert after["serial_no"] > before["serial_no"]
  assert len(_Candidates(cluster)) == POOL_SIZE


def test_remove_of_the_master_is_refused(cluster):
  result = cluster.Gnt("gnt-node", "remove", "node1")
  assert result.returncode == 1
  assert ("Node node1.vcluster.test is the master node, failover to another"
          " node is required") in result.stderr
