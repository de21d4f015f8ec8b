"""gnt-group against a live three-node virtual cluster.

The whole life of a second node group: add it, move nodes into it, see
``gnt-cluster verify`` verify each group in its own job, rename it,
change its allocation policy, fail to remove it while it has nodes, move
the nodes back and remove it.  The configuration is read from the
master's config.data, which the LUs write through ConfigWriter.
"""

import json


def _Config(cluster):
  with open(cluster.Path(cluster.master, "CLUSTER_CONF_FILE")) as handle:
    return json.load(handle)


def _GroupsByName(cluster):
  return dict((group["name"], group)
              for group in _Config(cluster)["nodegroups"].values())


def _NodeGroups(cluster):
  """node name -> group name, as the master's configuration says."""
  config_data = _Config(cluster)
  names = dict((uuid, group["name"])
               for (uuid, group) in config_data["nodegroups"].items())
  return dict((name, names[node["group"]])
              for (name, node) in config_data["nodes"].items())


def test_group_life_cycle(virtual_cluster):
  cluster = virtual_cluster(3)
  master = cluster.master
  others = [node for node in cluster.nodes if node != master]

  def _Gnt(*argv, check=True):
    return cluster.Run(master, ["gnt-group"] + list(argv), check=check)

  _Gnt("add", "--alloc-policy", "last_resort", "--node-parameters",
       "oob_program=/bin/true", "--specs-mem-size", "min=128,max=2048",
       "rack2")
  rack2 = _GroupsByName(cluster)["rack2"]
  assert rack2["alloc_policy"] == "last_resort"
  assert rack2["ndparams"] == {"oob_program": "/bin/true"}
  assert rack2["ipolicy"]["min"] == {"memory-size": 128}

  result = _Gnt("add", "rack2", check=False)
  assert result.returncode != 0
  assert "Desired group name 'rack2' already exists" in result.stderr

  _Gnt("assign-nodes", "rack2", *others)
  groups = _NodeGroups(cluster)
  assert groups[master] == "default"
  assert all(groups[node] == "rack2" for node in others)

  # one configuration job plus one job per group
  result = cluster.Run(master, ["gnt-cluster", "verify"], check=True)
  assert result.stdout.count("* Verifying cluster config") == 1
  assert "* Verifying group 'default'" in result.stdout
  assert "* Verifying group 'rack2'" in result.stdout
  assert "* Gathering data (1 nodes)" in result.stdout
  assert "* Gathering data (2 nodes)" in result.stdout

  # listings through the query framework, with names, globs and filters
  result = _Gnt("list")
  lines = result.stdout.splitlines()
  assert lines[0].split() == ["Group", "Nodes", "Instances", "AllocPolicy",
                              "NDParams"]
  rows = dict((line.split()[0], line.split()) for line in lines[1:])
  assert rows["default"][1:4] == ["1", "0", "preferred"]
  assert rows["rack2"][1:4] == ["2", "0", "last_resort"]
  assert "oob_program=/bin/true" in lines[[line.split()[0] for line in
                                           lines].index("rack2")]
  result = _Gnt("list", "--no-headers", "-o", "name,node_list", "rack*")
  assert result.stdout.split() == ["rack2", ",".join(sorted(others))]
  result = _Gnt("list", "--no-headers", "-o", "name",
                "alloc_policy == 'preferred'")
  assert result.stdout.split() == ["default"]
  result = _Gnt("list", "--no-headers", "-o", "name", "-F", "node_cnt > 1")
  assert result.stdout.split() == ["rack2"]
  result = _Gnt("list", "node_cnt >", check=False)
  assert result.returncode != 0
  assert "Failed to parse query filter" in result.stderr
  result = _Gnt("list-fields", "--no-headers", "name", "nosuch",
                check=False)
  assert "name" in result.stdout
  result = _Gnt("info", "rack2")
  assert result.stdout.startswith("Node group: rack2\n")
  assert "  Node parameters:" in result.stdout
  assert "    - oob_program: /bin/true" in result.stdout
  assert "  Instance policy:" in result.stdout

  _Gnt("rename", "rack2", "rack9")
  assert "rack2" not in _GroupsByName(cluster)
  assert _GroupsByName(cluster)["rack9"]["uuid"] == rack2["uuid"]

  result = _Gnt("modify", "--alloc-policy", "unallocable", "rack9")
  assert "Modified node group rack9" in result.stdout
  assert " - alloc_policy -> unallocable" in result.stdout
  assert _GroupsByName(cluster)["rack9"]["alloc_policy"] == "unallocable"

  result = _Gnt("remove", "rack9", check=False)
  assert result.returncode != 0
  assert "Group 'rack9' not empty" in result.stderr
  assert "rack9" in _GroupsByName(cluster)

  _Gnt("assign-nodes", "default", *others)
  assert set(_NodeGroups(cluster).values()) == set(["default"])
  _Gnt("remove", "rack9")
  assert sorted(_GroupsByName(cluster)) == ["default"]

  result = _Gnt("remove", "default", check=False)
  assert result.returncode != 0
  assert "not empty" in result.stderr
