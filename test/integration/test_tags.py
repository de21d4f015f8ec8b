"""Tags on a live two-node virtual cluster, through the real commands.

gnt-cluster add-tags/list-tags/remove-tags/search-tags and the gnt-node
tag commands run as the real scripts on the master node.  Limits are
refused with the TagError text and exit code 1; list-tags goes over LUXI
QueryTags.

Uses the ``virtual_cluster`` fixture of this directory's conftest.
"""

import os

from ganeti import constants


def _NodeTags(cluster, argv, check=False):
  """gnt-node <argv> (a tag command), on the master."""
  return cluster.Run(cluster.master, ["gnt-node"] + list(argv), check=check)


def _Gnt(cluster, *argv, check=False):
  return cluster.Run(cluster.master, list(argv), check=check)


def test_cluster_and_node_tags_end_to_end(virtual_cluster):
  cluster = virtual_cluster(2)
  (master, other) = cluster.nodes
  assert cluster.master == master

  # cluster: add from arguments and from a file, list sorted
  tag_file = os.path.join(cluster.dir, "tags.txt")
  with open(tag_file, "w") as handle:
    handle.write("  from:file \n\nenv:prod\n")
  _Gnt(cluster, "gnt-cluster", "add-tags", "zone:a", "owner@example",
       check=True)
  _Gnt(cluster, "gnt-cluster", "add-tags", "--from", tag_file, check=True)
  result = _Gnt(cluster, "gnt-cluster", "list-tags", check=True)
  assert result.stdout.splitlines() == ["env:prod", "from:file",
                                        "owner@example", "zone:a"]

  # node: a short name is expanded
  _NodeTags(cluster, ["add-tags", other.split(".")[0], "env:test", "rack:1"],
            check=True)
  _NodeTags(cluster, ["add-tags", master, "env:prod"], check=True)
  result = _NodeTags(cluster, ["list-tags", other], check=True)
  assert result.stdout.splitlines() == ["env:test", "rack:1"]

  # search over every object
  result = _Gnt(cluster, "gnt-cluster", "search-tags", "^env:", check=True)
  assert result.stdout.splitlines() == [
    "/cluster env:prod",
    "/nodes/%s env:prod" % master,
    "/nodes/%s env:test" % other,
    ]
  result = _Gnt(cluster, "gnt-cluster", "search-tags", "nomatch")
  assert result.returncode == 1
  assert result.stdout == ""

  # LUXI QueryTags agrees with the commands
  client = cluster.Client()
  try:
    assert client.QueryTags(constants.TAG_NODE, other) == ["env:test",
                                                           "rack:1"]
  finally:
    client.Close()

  # remove
  _Gnt(cluster, "gnt-cluster", "remove-tags", "--from", tag_file, "zone:a",
       check=True)
  result = _Gnt(cluster, "gnt-cluster", "list-tags", check=True)
  assert result.stdout.splitlines() == ["owner@example"]
  _NodeTags(cluster, ["remove-tags", other, "rack:1"], check=True)
  result = _NodeTags(cluster, ["list-tags", other], check=True)
  assert result.stdout.splitlines() == ["env:test"]

  # removing a tag the object does not have changes nothing
  result = _NodeTags(cluster, ["remove-tags", other, "env:test", "absent"])
  assert result.returncode == 1
  assert "Tag(s) 'absent' not found on node %s" % other in result.stderr
  result = _NodeTags(cluster, ["list-tags", other], check=True)
  assert result.stdout.splitlines() == ["env:test"]


def test_tag_limits_and_usage_errors(virtual_cluster):
  cluster = virtual_cluster(2)
  other = cluster.nodes[1]

  result = _Gnt(cluster, "gnt-cluster", "add-tags",
                "x" * (constants.MAX_TAG_LEN + 1))
  assert result.returncode == 1
  assert "Failure: invalid tag(s) given:" in result.stderr
  assert "is too long (129 characters, at most 128 allowed)" in result.stderr

  result = _NodeTags(cluster, ["add-tags", other, "ok", "not ok"])
  assert result.returncode == 1
  assert "Tag 'not ok' contains invalid characters" in result.stderr
  result = _NodeTags(cluster, ["list-tags", other], check=True)
  assert result.stdout == ""

  # the count limit: fill the node up to it in one job, then one more
  limit = constants.MAX_TAGS_PER_OBJ
  tag_file = os.path.join(cluster.dir, "many.txt")
  with open(tag_file, "w") as handle:
    handle.write("".join("t%d\n" % idx for idx in range(limit)))
  _NodeTags(cluster, ["add-tags", "--from", tag_file, other], check=True)
  result = _NodeTags(cluster, ["add-tags", other, "onemore"])
  assert result.returncode == 1
  assert ("Cannot add 1 tag(s) to node %s: it has %d tag(s) and at most %d"
          " are allowed per object" % (other, limit, limit)) in result.stderr

  result = _Gnt(cluster, "gnt-cluster", "add-tags")
  assert result.returncode == 1
  assert "No tags to be added" in result.stderr
  result = _NodeTags(cluster, ["list-tags", "nosuchnode"])
  assert result.returncode == 1
  assert "Node 'nosuchnode' not known" in result.stderr
  result = _Gnt(cluster, "gnt-cluster", "search-tags", "(broken")
  assert result.returncode == 1
  assert "Invalid search pattern '(broken'" in result.stderr
