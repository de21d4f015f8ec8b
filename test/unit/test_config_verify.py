"""Tests for ganeti.config_verify helpers (the VerifyConfig checks are
exercised through ConfigWriter in test_config.py)."""

import pytest

from ganeti import config_verify
from ganeti import constants
from ganeti import errors
from ganeti import objects


def _Valid():
  return {"version": 2060000, "cluster": {}, "nodes": {}, "instances": {},
          "serial_no": 1}


def test_check_config_dict_accepts_minimal():
  config_verify.CheckConfigDict(_Valid(), "/f")


@pytest.mark.parametrize("data, what", [
  ([], "JSON object"),
  ("text", "JSON object"),
  ({"cluster": {}}, "'version'"),
  (dict(_Valid(), version="2060000"), "'version'"),
  (dict(_Valid(), serial_no=False), "'serial_no'"),
  (dict(_Valid(), nodegroups=[]), "'nodegroups'"),
  (dict(_Valid(), mtime="now"), "'mtime'"),
  (dict(_Valid(), instances={"i": 1}), "entry 'i' of 'instances'"),
  ])
def test_check_config_dict_refuses(data, what):
  with pytest.raises(errors.ConfigurationError, match=what) as exc:
    config_verify.CheckConfigDict(data, "/path/config.data")
  assert "/path/config.data" in str(exc.value)


@pytest.mark.parametrize("value, ok", [
  ("aa:00:00", True), ("0a:1b:2c", True), ("AA:00:00", False),
  ("aa:00", False), ("aa:00:00:00", False), (None, False), (123, False)])
def test_is_valid_mac_prefix(value, ok):
  assert config_verify.IsValidMACPrefix(value) is ok


@pytest.mark.parametrize("value, ok", [
  ("aa:00:00:01:02:03", True), ("aa:00:00:01:02", False),
  ("aa-00-00-01-02-03", False), (None, False)])
def test_is_valid_mac(value, ok):
  assert config_verify.IsValidMAC(value) is ok


def _DrbdInstance():
  lv_data = objects.Disk(dev_type=constants.LD_LV, logical_id=("vg", "d"),
                         size=10)
  lv_meta = objects.Disk(dev_type=constants.LD_LV, logical_id=("vg", "m"),
                         size=1)
  drbd = objects.Disk(dev_type=constants.LD_DRBD8, size=10,
                      logical_id=("a", "b", 11005, 3, 4, "secret"),
                      children=[lv_data, lv_meta])
  return objects.Instance(name="i1", primary_node="a", disks=[drbd], nics=[],
                          network_port=11006)


def test_instance_node_helpers():
  inst = _DrbdInstance()
  assert config_verify.InstanceDRBDNodes(inst) == ["a", "b"]
  assert config_verify.InstanceSecondaryNodes(inst) == ["b"]
  assert config_verify.InstanceAllNodes(inst) == ["a", "b"]
  assert config_verify.InstanceLVs(inst) == {"a": ["vg/d", "vg/m"],
                                             "b": ["vg/d", "vg/m"]}
  assert len(list(config_verify.WalkDisks(inst.disks))) == 3
  assert list(config_verify.WalkDisks(None)) == []


def test_compute_drbd_map_and_ports():
  inst = _DrbdInstance()
  cluster = objects.Cluster(tcpudp_port_pool=set([11007]))
  data = objects.ConfigData(cluster=cluster, instances={"i1": inst},
                            nodes={"a": objects.Node(name="a")}, nodegroups={})
  used, dups = config_verify.ComputeDRBDMap(data, {("a", 3): "other"})
  assert used == {"a": {3: "i1"}, "b": {4: "i1"}}
  assert dups == [("a", 3, "other", "i1")]
  ports = config_verify.ComputeUsedPorts(data)
  assert ports == {11005: ["instance i1 disk 0"],
                   11006: ["instance i1 network port"],
                   11007: ["cluster port pool"]}
