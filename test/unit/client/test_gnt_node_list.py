"""Tests of gnt-node list, list-fields and info (and gnt-group list).

Layer 6 (entry points), checked against a fake LUXI client whose answers
are built like the master's (lib/cmdlib/query.py): lib/query.py's field
tables over real objects.Node/NodeGroup/Cluster instances, sent through a
JSON round trip as on the wire.  The printed tables and the info layout
are compared byte for byte with the golden files in test/data/cli/.
The commands run against a live cluster in
test/integration/test_node_list.py.
"""

import os

import pytest

from ganeti import cli
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import query
from ganeti import serializer
from ganeti.client import gnt_group
from ganeti.client import gnt_node


_GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, os.pardir, "data", "cli")

MASTER = "node1.example.com"
DEFAULT_UUID = "11111111-2222-3333-4444-000000000001"
RACK2_UUID = "11111111-2222-3333-4444-000000000002"


def _Golden(name):
  with open(os.path.join(_GOLDEN_DIR, name), encoding="utf-8") as handle:
    return handle.read()


def _Cluster():
  cluster = objects.Cluster(
    cluster_name="cluster.example.com", master_node=MASTER,
    enabled_hypervisors=[constants.HT_FAKE], volume_group_name="xenvg",
    ndparams={constants.ND_SPINDLE_COUNT: 1},
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    ctime=100.0, mtime=200.0, serial_no=1)
  cluster.UpgradeConfig()
  return cluster


def _Group(name, uuid, **kwargs):
  group = objects.NodeGroup(name=name, uuid=uuid, **kwargs)
  group.UpgradeConfig()
  return group


def _Node(name, number, group, **kwargs):
  node = objects.Node(name=name, primary_ip="192.0.2.%d" % number,
                      secondary_ip="198.51.100.%d" % number,
                      uuid="node-uuid-%d" % number, group=group.uuid,
                      ctime=1.0, mtime=2.0, serial_no=1, **kwargs)
  node.UpgradeConfig()
  return node


class FakeLuxiClient:
  """Answers Query/QueryFields for nodes and groups as the master does.

  Requested names (a pure name filter) are expanded like the master's
  (exact, or the short name up to a dot) and unknown ones refused; every
  request is recorded in ``queries``.

  """
  def __init__(self):
    self.cluster = _Cluster()
    default = _Group("default", DEFAULT_UUID, ndparams={})
    rack2 = _Group("rack2", RACK2_UUID, alloc_policy="last_resort",
                   ndparams={constants.ND_OOB_PROGRAM: "/bin/true"})
    self.groups = {DEFAULT_UUID: default, RACK2_UUID: rack2}
    self.nodes = [
      _Node(MASTER, 1, default, master_candidate=True, tags=set(["rack1"])),
      _Node("node2.example.com", 2, rack2, master_candidate=True,
            ndparams={constants.ND_SPINDLE_COUNT: 4}),
      _Node("node3.example.com", 3, rack2, offline=True),
      _Node("node10.example.com", 10, default, drained=True),
      _Node("node4.example.com", 4, default, vm_capable=False,
            master_capable=False),
      ]
    self.live = {
      MASTER: {"memory_total": 4096, "memory_dom0": 512,
               "memory_free": 3072, "vg_size": 102400, "vg_free": 51200},
      "node2.example.com": {"memory_total": 2048, "memory_dom0": 1536,
                            "memory_free": 300, "vg_size": 1572864,
                            "vg_free": 1000},
      # answered nothing
      "node10.example.com": None,
      }
    self.primary = {MASTER: ["inst1"],
                    "node2.example.com": ["inst2", "inst10"]}
    self.secondary = {MASTER: ["inst10", "inst2"]}
    self.queries = []

  def _Expand(self, name):
    for node in self.nodes:
      if node.name == name or node.name.startswith(name + "."):
        return node
    raise errors.OpPrereqError("Node '%s' not known" % name,
                               errors.ECODE_NOENT)

  def _NodeData(self, q):
    names = q.RequestedNames()
    nodes = (self.nodes if names is None
             else [self._Expand(name) for name in names])
    return query.NodeQueryData(nodes, self.live, MASTER, self.primary,
                               self.secondary, self.groups,
                               dict((node.name, False) for node in nodes),
                               self.cluster)

  def _GroupData(self):
    members = dict((uuid, []) for uuid in self.groups)
    for node in self.nodes:
      members[node.group].append(node.name)
    instances = {DEFAULT_UUID: ["inst1"], RACK2_UUID: ["inst2", "inst10"]}
    return query.GroupQueryData(self.cluster, list(self.groups.values()),
                                members, instances)

  def Query(self, what, fields, qfilter):
    self.queries.append((what, list(fields), qfilter))
    q = query.MakeQuery(what, fields, qfilter)
    if what == constants.QR_NODE:
      ctx = self._NodeData(q)
    elif what == constants.QR_GROUP:
      ctx = self._GroupData()
    else:
      raise AssertionError("Unexpected query resource %r" % what)
    return serializer.LoadJson(serializer.DumpJson(
      query.GetQueryResponse(q, ctx)))

  def QueryFields(self, what, fields):
    return serializer.LoadJson(serializer.DumpJson(
      query.QueryFields(query.ALL_FIELDS[what], fields)))


@pytest.fixture
def client(monkeypatch):
  fake = FakeLuxiClient()
  monkeypatch.setattr(cli, "GetClient", lambda: fake)
  return fake


def _Run(module, binary, argv, env=frozenset()):
  (func, opts, args) = cli.ParseArgs(binary, [binary] + argv,
                                     module.commands, aliases=module.aliases,
                                     env_override=env)
  return func(opts, args)


def _Node_(argv):
  return _Run(gnt_node, "gnt-node", argv)


# --- golden output -----------------------------------------------------------

@pytest.mark.parametrize("argv, golden", [
  (["list"], "gnt-node-list-default.txt"),
  (["list", "--separator=|"], "gnt-node-list-separator.txt"),
  (["list", "--units", "m"], "gnt-node-list-units-m.txt"),
  (["info"], "gnt-node-info.txt"),
  ])
def test_node_output_matches_golden_file(client, capsys, argv, golden):
  assert _Node_(argv) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden(golden)


def test_group_list_matches_golden_file(client, capsys):
  assert _Run(gnt_group, "gnt-group", ["list"]) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == _Golden("gnt-group-list-default.txt")


# --- list --------------------------------------------------------------------

def test_list_asks_the_default_fields_without_filter(client):
  _Node_(["list"])
  assert client.queries == [(constants.QR_NODE,
                             ["name", "dtotal", "dfree", "mtotal", "mnode",
                              "mfree", "pinst_cnt", "sinst_cnt"], None)]


def test_list_fields_added_and_lists_comma_joined(client, capsys):
  _Node_(["list", "--no-headers", "-o", "+pinst_list,sinst_list,tags",
          "node1", "node2"])
  lines = capsys.readouterr().out.splitlines()
  assert len(lines) == 2
  assert lines[0].split()[-3:] == ["inst1", "inst2,inst10", "rack1"]
  assert lines[1].split()[-1] == "inst2,inst10"
  assert lines[1].split()[0] == "node2.example.com"


def test_list_units_and_verbose_special_values(client, capsys):
  _Node_(["list", "--separator", ",", "--units", "g", "-v", "-o",
          "name,mtotal,dtotal,role"])
  rows = dict((line.split(",")[0], line.split(",")[1:])
              for line in capsys.readouterr().out.splitlines()[1:])
  assert rows[MASTER] == ["4.0", "100.0", "M"]
  assert rows["node3.example.com"] == ["(offline)", "(offline)", "O"]
  assert rows["node10.example.com"] == ["(nodata)", "(nodata)", "D"]
  assert rows["node4.example.com"] == ["(unavail)", "(unavail)", "R"]


def test_list_group_option_is_and_ed_with_names(client, capsys):
  _Node_(["list", "--no-headers", "-o", "name,group", "-g", "rack2"])
  assert capsys.readouterr().out.split() == [
    "node2.example.com", "rack2", "node3.example.com", "rack2"]
  assert client.queries[-1][2] == gnt_node.GroupFilter("rack2")
  _Node_(["list", "--no-headers", "-o", "name", "-g", DEFAULT_UUID,
          "node1.*", "node4*"])
  assert capsys.readouterr().out.split() == [MASTER, "node4.example.com"]
  qfilter = client.queries[-1][2]
  assert qfilter[0] == "&" and qfilter[2] == gnt_node.GroupFilter(
    DEFAULT_UUID)


def test_list_filter_expression_and_forced_filter(client, capsys):
  _Node_(["list", "--no-headers", "-o", "name", "-F", "master_candidate"])
  assert capsys.readouterr().out.split() == [MASTER, "node2.example.com"]
  assert client.queries[-1][2] == ["?", "master_candidate"]
  # without -F a lone word is a node name
  with pytest.raises(errors.OpPrereqError, match="'master_candidate' not"):
    _Node_(["list", "master_candidate"])
  _Node_(["list", "--no-headers", "-o", "name", "pinst_cnt > 1"])
  assert capsys.readouterr().out.split() == ["node2.example.com"]


def test_list_unknown_field_warns_and_exits_14(client, capsys):
  assert _Node_(["list", "-o", "name,nosuch"]) == \
    constants.EXIT_UNKNOWN_FIELD
  captured = capsys.readouterr()
  assert "Warning: Queried for unknown fields nosuch" in captured.err
  assert captured.out.splitlines()[1].split()[1] == "??"


def test_list_default_arguments_from_environment(client, capsys,
                                                 monkeypatch):
  monkeypatch.setenv("GNT_NODE_LIST", "--no-headers -o name")
  assert _Run(gnt_node, "gnt-node", ["list", "node2"],
              env={"list"}) == constants.EXIT_SUCCESS
  assert capsys.readouterr().out == "node2.example.com\n"


def test_list_fields_all_and_selected(client, capsys):
  assert _Node_(["list-fields"]) == constants.EXIT_SUCCESS
  lines = capsys.readouterr().out.splitlines()
  assert lines[0].split() == ["Name", "Title", "Description"]
  names = [line.split()[0] for line in lines[1:]]
  assert "mfree" in names and "group.uuid" in names and "ndp/oob_program" \
    in names
  _Node_(["list-fields", "--no-headers", "--separator=|", "mfree", "dtotal"])
  assert capsys.readouterr().out.splitlines() == [
    "mfree|MFree|Amount of memory available for instances",
    "dtotal|DTotal|Total disk space in volume group"]


# --- info --------------------------------------------------------------------

def test_info_show_alias_and_requested_order(client, capsys):
  assert _Node_(["show", "node4", "node2"]) == constants.EXIT_SUCCESS
  out = capsys.readouterr().out
  assert out.index("Node name: node4.example.com") < \
    out.index("Node name: node2.example.com")
  # not vm_capable: no instance lines
  node4 = out.split("Node name: node2.example.com")[0]
  assert "instances" not in node4
  assert "    - spindle_count: 4\n" in out


def test_info_unknown_node_is_the_masters_error(client):
  with pytest.raises(errors.OpPrereqError, match="Node 'nosuch' not known"):
    _Node_(["info", "nosuch"])


def test_info_prints_power_state_only_when_known():
  row = ["n1", "192.0.2.1", "192.0.2.1", False, False, False, True, True,
         False, [], [], {"oob_program": "/bin/oob"}, {}]
  lines = gnt_node.FormatNodeInfo(row)
  assert "  powered: True" in lines
  assert lines[-1] == "    - oob_program: default (/bin/oob)"
  row[6] = None
  assert not [line for line in gnt_node.FormatNodeInfo(row)
              if "powered" in line]


def test_query_commands_are_registered():
  for name in ("list", "list-fields", "info"):
    assert name in gnt_node.commands
  assert gnt_node.aliases == {"show": "info"}
