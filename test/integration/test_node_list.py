"""gnt-node list and info against a live three-node virtual cluster.

Layer 6 commands over the master's LUXI Query for "node": the cluster has
a candidate pool of two (so one node is not a master candidate) and two
node groups (the master stays in "default", the others move to "rack2"),
then the listings are checked: default columns with live memory figures
from the node daemons, ``-g rack2``, a filter, ``-o name,group`` and the
info layout.
"""


def test_node_listings_on_two_groups(virtual_cluster):
  cluster = virtual_cluster(3, init_options=("--candidate-pool-size", "2"))
  master = cluster.master
  others = sorted(node for node in cluster.nodes if node != master)

  def _Gnt(tool, *argv):
    return cluster.Run(master, [tool] + list(argv), check=True)

  _Gnt("gnt-group", "add", "rack2")
  _Gnt("gnt-group", "assign-nodes", "rack2", *others)

  # default columns; the fake hypervisor reports memory, LVM is off
  lines = _Gnt("gnt-node", "list").stdout.splitlines()
  assert lines[0].split() == ["Node", "DTotal", "DFree", "MTotal", "MNode",
                              "MFree", "Pinst", "Sinst"]
  rows = dict((line.split()[0], line.split()[1:]) for line in lines[1:])
  assert sorted(rows) == sorted(cluster.nodes)
  for values in rows.values():
    assert values[-2:] == ["0", "0"]
    assert values[2][-1] in "MGT"  # MTotal in human-readable units

  result = _Gnt("gnt-node", "list", "--no-headers", "-o", "name", "-g",
                "rack2")
  assert result.stdout.split() == others

  # the pool holds two candidates: the master and the first node added
  result = _Gnt("gnt-node", "list", "--no-headers", "-o", "name", "-F",
                "master_candidate")
  candidates = result.stdout.split()
  assert len(candidates) == 2 and master in candidates
  result = _Gnt("gnt-node", "list", "--no-headers", "-o", "name",
                "not master_candidate")
  assert sorted(result.stdout.split() + candidates) == sorted(cluster.nodes)

  result = _Gnt("gnt-node", "list", "--no-headers", "--separator=:", "-o",
                "name,group")
  assert dict(line.split(":") for line in result.stdout.splitlines()) == \
    dict([(master, "default")] + [(node, "rack2") for node in others])

  result = _Gnt("gnt-node", "list", "--no-headers", "-o", "name,mtotal",
                "--units", "m", "-g", "rack2", others[0].split(".")[0])
  (name, mtotal) = result.stdout.split()
  assert name == others[0] and int(mtotal) > 0

  info = _Gnt("gnt-node", "info", others[1]).stdout
  assert info.startswith("Node name: %s\n" % others[1])
  for line in ["  master candidate: %s" % (others[1] in candidates),
               "  drained: False", "  offline: False",
               "  master_capable: True", "  vm_capable: True",
               "  primary for no instances", "  secondary for no instances",
               "  node parameters:", "    - spindle_count: default (1)"]:
    assert line + "\n" in info

  result = cluster.Run(master, ["gnt-node", "info", "nosuch"])
  assert result.returncode == 1
  assert "Node 'nosuch' not known" in result.stderr

  result = _Gnt("gnt-node", "list-fields", "--no-headers", "group")
  assert result.stdout.split() == ["group", "Group", "Node", "group"]

  # the same kind of filters over LUXI, as scripts use them
  client = cluster.Client()
  try:
    rack2 = client.Query("node", ["name", "group"],
                         ["==", "group", "rack2"])
    assert sorted(row[0][1] for row in rack2["data"]) == sorted(others)
    assert all(row[1] == [0, "rack2"] for row in rack2["data"])
    # the 2.6 spelling of equality and a name glob turned into a regexp
    legacy = client.Query("node", ["name"], ["&", ["=", "group", "default"],
                                             ["=~", "name", "^node"]])
    assert legacy["data"] == [[[0, master]]]
    groups = client.Query("group", ["name", "node_cnt"],
                          [">", "node_cnt", 1])
    assert groups["data"] == [[[0, "rack2"], [0, len(others)]]]
    assert client.QueryNodes([], ["name", "group"], False) == \
      sorted([[master, "default"]] + [[node, "rack2"] for node in others])
  finally:
    client.Close()
