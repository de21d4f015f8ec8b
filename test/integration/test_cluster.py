"""gnt-cluster on a live virtual cluster: init, queries, replication,
master failover with voting (also with a candidate's noded down),
redist-conf, rename, destroy.

Uses the ``virtual_cluster`` fixture of this directory's conftest.
"""

import os

from ganeti import constants
from ganeti import netutils
from ganeti import serializer
from ganeti import utils


def _Config(cluster, node):
  return serializer.LoadJson(utils.ReadFile(
    cluster.Path(node, "CLUSTER_CONF_FILE")))


def _Ssconf(cluster, node, key):
  return utils.ReadFile(os.path.join(cluster.Path(node, "DATA_DIR"),
                                     "ssconf_%s" % key)).strip()


def _JobFiles(cluster, node):
  return sorted(name for name in os.listdir(cluster.Path(node, "QUEUE_DIR"))
                if name.startswith("job-"))


def _LoAddresses():
  return netutils.GetInterfaceIpAddresses("lo")[4]


def test_init_queries_and_replication(virtual_cluster):
  cluster = virtual_cluster(4)
  (master, others) = (cluster.nodes[0], cluster.nodes[1:])
  assert cluster.master == master
  assert cluster.master_ip in _LoAddresses()

  result = cluster.Run(master, ["gnt-cluster", "info"], check=True)
  lines = result.stdout.splitlines()
  assert "Cluster name: %s" % cluster.cluster_name in lines
  assert "Master node: %s" % master in lines
  assert "Enabled hypervisors: fake" in lines
  assert "  - candidate pool size: 10" in lines
  assert "  - master netdev: lo" in lines
  assert "Tags: (none)" in lines
  roman = cluster.Run(master, ["gnt-cluster", "info", "--roman"],
                      check=True).stdout
  assert "  - candidate pool size: X" in roman.splitlines()

  for node in cluster.nodes:
    result = cluster.Run(node, ["gnt-cluster", "getmaster"], check=True)
    assert result.stdout == "%s\n" % master

  result = cluster.Run(master, ["gnt-cluster", "version"], check=True)
  assert result.stdout.splitlines() == [
    "Software version: %s" % constants.RELEASE_VERSION,
    "Internode protocol: %s" % constants.PROTOCOL_VERSION,
    "Configuration format: %s" % constants.CONFIG_VERSION,
    "OS api version: %s" % max(constants.OS_API_VERSIONS),
    "Export interface: %s" % constants.EXPORT_VERSION,
    ]
  assert cluster.Run(master, ["gnt-cluster", "master-ping"]).returncode == 0
  # only the master daemon answers
  assert cluster.Run(others[0], ["gnt-cluster", "master-ping"]).returncode \
    == 1

  for (argv, out) in [(["drain"], None), (["info"], "The drain flag is set"),
                      (["undrain"], None),
                      (["info"], "The drain flag is unset")]:
    result = cluster.Run(master, ["gnt-cluster", "queue"] + argv,
                         check=True)
    if out:
      assert result.stdout == out + "\n"
  result = cluster.Run(master, ["gnt-cluster", "watcher", "pause", "1h"],
                       check=True)
  assert result.stdout.startswith("The watcher is paused until ")
  result = cluster.Run(master, ["gnt-cluster", "watcher", "info"],
                       check=True)
  assert result.stdout.startswith("The watcher is paused until ")
  result = cluster.Run(master, ["gnt-cluster", "watcher", "continue"],
                       check=True)
  assert result.stdout == "The watcher is no longer paused.\n"
  result = cluster.Run(master, ["gnt-cluster", "watcher", "info"],
                       check=True)
  assert result.stdout == "The watcher is not paused.\n"

  # every node is a candidate (pool size 10): config.data and the job
  # files reach them all, ssconf everyone
  cluster.Run(master, ["gnt-cluster", "redist-conf"], check=True)
  def _Replicated():
    serial = _Config(cluster, master)["serial_no"]
    jobs = _JobFiles(cluster, master)
    return jobs and all(_Config(cluster, node)["serial_no"] == serial and
                        _JobFiles(cluster, node) == jobs for node in others)
  cluster.WaitFor(_Replicated, what="config and jobs on the candidates")
  for node in others:
    assert _Ssconf(cluster, node, "master_node") == master
    assert _Ssconf(cluster, node, "node_list").split() == cluster.nodes

  result = cluster.Run(master, ["gnt-cluster", "verify"])
  assert "* Verifying cluster config" in result.stdout
  assert "* Gathering data (4 nodes)" in result.stdout

  result = cluster.Run(master, ["gnt-cluster", "command", "-M",
                                "echo $GANETI_HOSTNAME"], check=True)
  assert [line for line in result.stdout.splitlines()
          if not line.startswith("---") and
          not line.startswith("return code")] == \
    ["%s: %s" % (node, node) for node in others + [master]]

  result = cluster.Run(master, ["gnt-cluster", "modify"])
  assert result.returncode == 1
  assert "Please give at least one of the parameters." in result.stderr


def test_master_failover_with_voting(virtual_cluster):
  cluster = virtual_cluster(4)
  (node1, node2, node3) = cluster.nodes[:3]

  result = cluster.Run(node1, ["gnt-cluster", "master-failover"])
  assert result.returncode == 1
  assert "already the master" in result.stderr

  cluster.Run(node2, ["gnt-cluster", "master-failover"], check=True)
  assert cluster.master == node2
  for node in cluster.nodes:
    assert _Ssconf(cluster, node, "master_node") == node2
  assert cluster.Run(node2, ["gnt-cluster", "master-ping"]).returncode == 0
  assert cluster.Run(node1, ["gnt-cluster", "master-ping"]).returncode == 1
  assert cluster.master_ip in _LoAddresses()

  # and back
  cluster.Run(node1, ["gnt-cluster", "master-failover"], check=True)
  assert cluster.master == node1
  assert cluster.Run(node1, ["gnt-cluster", "master-ping"]).returncode == 0

  # one candidate's node daemon down: the others still make a majority
  cluster.KillNoded(node3)
  cluster.Run(node2, ["gnt-cluster", "master-failover"], check=True)
  assert cluster.master == node2
  client = cluster.Client()
  try:
    assert client.QueryConfigValues(["master_node"]) == [node2]
  finally:
    client.Close()
  # the stopped node did not hear about it
  assert _Ssconf(cluster, node3, "master_node") == node1


def test_rename_and_destroy(virtual_cluster):
  cluster = virtual_cluster(1)
  master = cluster.nodes[0]
  # the new name must resolve: give it an address in the hosts file
  new_ip = cluster.master_ip.rsplit(".", 1)[0] + ".200"
  with open(cluster.hosts_file, "a") as fd:
    fd.write("%s renamed.vcluster.test renamed\n" % new_ip)
  result = cluster.Run(master, ["gnt-cluster", "rename", "-f",
                                "renamed.vcluster.test"], check=True)
  assert result.stdout.endswith(
    "Cluster renamed from '%s' to 'renamed.vcluster.test'\n" %
    cluster.cluster_name)
  cluster.WaitFor(lambda: _Ssconf(cluster, master, "cluster_name") ==
                  "renamed.vcluster.test", what="the new name in ssconf")

  result = cluster.Run(master, ["gnt-cluster", "destroy"])
  assert result.returncode == 1
  assert "--yes-do-it" in result.stderr
  cluster.Run(master, ["gnt-cluster", "destroy", "--yes-do-it"], check=True)
  cluster.WaitFor(lambda: not os.path.exists(
    cluster.Path(master, "CLUSTER_CONF_FILE")), what="config.data removal")
  cluster.WaitFor(lambda: cluster.NodedPid(master) is None,
                  what="the node daemon to exit")
  assert new_ip not in _LoAddresses()
  assert cluster.master_ip not in _LoAddresses()
