"""Tests for ganeti.config_upgrade (version checks, old-format conversion)."""

import pytest

from ganeti import config_upgrade
from ganeti import constants
from ganeti import errors
from ganeti import objects


def test_split_version():
  assert config_upgrade.SplitVersion(2060000) == (2, 6, 0)
  assert config_upgrade.SplitVersion(2040003) == (2, 4, 3)
  assert config_upgrade.SplitVersion(0) == (0, 0, 0)


@pytest.mark.parametrize("version, upgrade", [
  (constants.CONFIG_VERSION, False), (2000000, True), (2050000, True)])
def test_check_version_accepts(version, upgrade):
  assert config_upgrade.CheckVersion(version, "/x/config.data") is upgrade


@pytest.mark.parametrize("version", [
  1090000, 2070000, 3000000, 2050001, -1])
def test_check_version_refuses(version):
  with pytest.raises(errors.ConfigVersionMismatch, match="/x/config.data") \
      as exc:
    config_upgrade.CheckVersion(version, "/x/config.data")
  assert exc.value.args[:2] == (constants.CONFIG_VERSION, version)


def test_upgrade_config_dict_moves_nic_bridge_and_adds_groups():
  data = {
    "cluster": {"default_bridge": "br0", "enabled_hypervisors": ["kvm"]},
    "instances": {"i1": {"nics": [{"mac": "aa:00:00:00:00:01",
                                   "bridge": "br7"},
                                  {"mac": "aa:00:00:00:00:02",
                                   "bridge": "br0"}]}},
    }
  assert config_upgrade.UpgradeConfigDict(data) is True
  nics = data["instances"]["i1"]["nics"]
  assert nics[0] == {"mac": "aa:00:00:00:00:01",
                     "nicparams": {"mode": "bridged", "link": "br7"}}
  assert nics[1] == {"mac": "aa:00:00:00:00:02", "nicparams": {}}
  assert data["instances"]["i1"]["hypervisor"] == "kvm"
  assert data["nodegroups"] == {}
  # a second run finds nothing left to do
  assert config_upgrade.UpgradeConfigDict(data) is False


def _Data(groups=None):
  cluster = objects.Cluster(uuid="c-uuid")
  nodes = {"n1": objects.Node(name="n1", uuid="n1-uuid"),
           "n2": objects.Node(name="n2", uuid="n2-uuid", group="g2")}
  return objects.ConfigData(version=2050000, cluster=cluster, nodes=nodes,
                            nodegroups=groups or {}, instances={})


def test_upgrade_config_data_creates_default_group():
  data = _Data()
  counter = iter(range(100))
  data.nodes["n2"].group = None
  assert config_upgrade.UpgradeConfigData(
    data, lambda: "new-%d" % next(counter)) is True
  (group, ) = data.nodegroups.values()
  assert group.name == "default" and group.uuid == "new-0"
  assert group.members == ["n1", "n2"]
  assert data.version == constants.CONFIG_VERSION
  assert config_upgrade.UpgradeConfigData(data, lambda: "unused") is False


def test_upgrade_config_data_needs_default_group_name():
  groups = {"g1": objects.NodeGroup(name="a", uuid="g1", members=[]),
            "g2": objects.NodeGroup(name="b", uuid="g2", members=[])}
  data = _Data(groups)
  with pytest.raises(errors.ConfigurationError, match="none named 'default'"):
    config_upgrade.UpgradeConfigData(data, lambda: "x")


def test_rebuild_group_members_and_make_default_group():
  group = config_upgrade.MakeDefaultGroup("g2", ["stale"])
  assert group.name == "default" and group.serial_no == 1
  data = _Data({"g2": group})
  config_upgrade.RebuildGroupMembers(data)
  assert group.members == ["n2"]
