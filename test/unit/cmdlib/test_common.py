"""Tests for ganeti.cmdlib.common (name expansion, lock shortcuts)."""

import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import objects
from ganeti.cmdlib import common


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE10 = "node10.example.com"


@pytest.fixture
def cfg(tmp_path):
  path = str(tmp_path / "config.data")
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="192.0.2.254", master_netdev="eth0", master_netmask=24,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set())

  def _Node(name, idx):
    return objects.Node(name=name, primary_ip="192.0.2.%d" % idx,
                        secondary_ip="192.0.2.%d" % idx,
                        master_candidate=(idx == 1), offline=False,
                        drained=False, master_capable=True, vm_capable=True,
                        ndparams={})
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER, 1),
                    cfg_file=path)
  cfg = config.ConfigWriter(cfg_file=path, _my_hostname=MASTER)
  cfg.AddNode(_Node(NODE2, 2), "ec-setup")
  cfg.AddNode(_Node(NODE10, 10), "ec-setup")
  cfg.DropECReservations("ec-setup")
  return cfg


class _Lu(object):
  def __init__(self, cfg):
    self.cfg = cfg


def test_share_all():
  assert common.ShareAll() == dict((level, 1) for level in locking.LEVELS)
  share = common.ShareAll()
  share[locking.LEVEL_NODE] = 0
  assert common.ShareAll()[locking.LEVEL_NODE] == 1


def test_expand_node_name(cfg):
  assert common.ExpandNodeName(cfg, "node2") == NODE2
  assert common.ExpandNodeName(cfg, "NODE2") == NODE2
  assert common.ExpandNodeName(cfg, MASTER) == MASTER


@pytest.mark.parametrize("name, code, text", [
  ("node3", errors.ECODE_NOENT, "Node 'node3' not known"),
  ("", errors.ECODE_INVAL, "Invalid node name ''"),
  (None, errors.ECODE_INVAL, "Invalid node name None"),
  (5, errors.ECODE_INVAL, "Invalid node name 5"),
  ])
def test_expand_node_name_errors(cfg, name, code, text):
  with pytest.raises(errors.OpPrereqError) as info:
    common.ExpandNodeName(cfg, name)
  assert info.value.args == (text, code)


def test_get_wanted_nodes_sorts_nicely_and_dedups(cfg):
  assert common.GetWantedNodes(_Lu(cfg), ["node10", "node2", NODE2,
                                          "node1"]) == [MASTER, NODE2, NODE10]
  assert common.GetWantedNodes(_Lu(cfg), []) == []
  with pytest.raises(errors.OpPrereqError, match="'nope' not known"):
    common.GetWantedNodes(_Lu(cfg), ["node2", "nope"])
