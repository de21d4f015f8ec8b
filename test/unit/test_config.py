"""Tests for ganeti.config (ConfigWriter, InitConfig, reservations)."""

import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import ssconf
from ganeti import utils


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node10.example.com"
INST = "inst1.example.com"


def _MakeCluster():
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    drbd_usermode_helper="/bin/true",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="192.0.2.254", master_netdev="eth0", master_netmask=24,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    enabled_hypervisors=[constants.HT_KVM, constants.HT_FAKE],
    candidate_pool_size=10, tcpudp_port_pool=set(),
    uid_pool=[(1000, 1009), (2000, 2000)], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set(["b-tag", "a-tag"]))


def _MakeNode(name, index, group=None, candidate=False):
  return objects.Node(name=name, primary_ip="192.0.2.%d" % index,
                      secondary_ip="198.51.100.%d" % index,
                      master_candidate=candidate, offline=False,
                      drained=False, master_capable=True, vm_capable=True,
                      ndparams={}, group=group)


def _MakeDrbdInstance(cfg, name, pnode, snode, ec_id):
  minors = cfg.AllocateDRBDMinor([pnode, snode], name)
  port = cfg.AllocatePort()
  secret = cfg.GenerateDRBDSecret(ec_id)
  mac = cfg.GenerateMAC(ec_id)
  base = cfg.GenerateUniqueID(ec_id)
  children = [
    objects.Disk(dev_type=constants.LD_LV, size=1024, mode="rw",
                 logical_id=("xenvg", base + ".disk0_data")),
    objects.Disk(dev_type=constants.LD_LV, size=128, mode="rw",
                 logical_id=("xenvg", base + ".disk0_meta")),
    ]
  disk = objects.Disk(dev_type=constants.LD_DRBD8, size=1024, mode="rw",
                      iv_name="disk/0", children=children,
                      logical_id=(pnode, snode, port, minors[0], minors[1],
                                  secret))
  return objects.Instance(name=name, primary_node=pnode, os="debootstrap",
                          hypervisor=constants.HT_KVM, hvparams={},
                          beparams={}, osparams={},
                          admin_state=constants.ADMINST_DOWN,
                          nics=[objects.NIC(mac=mac, ip="192.0.2.100",
                                            nicparams={})],
                          disks=[disk], disk_template=constants.DT_DRBD8,
                          network_port=None)


def _Open(path, **kwargs):
  kwargs.setdefault("_my_hostname", MASTER)
  return config.ConfigWriter(cfg_file=str(path), **kwargs)


@pytest.fixture
def cfg_path(tmp_path):
  path = tmp_path / "config.data"
  config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(),
                    _MakeNode(MASTER, 1, candidate=True), cfg_file=str(path))
  cfg = _Open(path)
  group2 = objects.NodeGroup(name="group2", ndparams={})
  cfg.AddNodeGroup(group2, "ec-setup")
  cfg.AddNode(_MakeNode(NODE2, 2), "ec-setup")
  cfg.AddNode(_MakeNode(NODE3, 3, group=group2.uuid), "ec-setup")
  cfg.AddInstance(_MakeDrbdInstance(cfg, INST, MASTER, NODE2, "ec-setup"),
                  "ec-setup")
  cfg.DropECReservations("ec-setup")
  return path


@pytest.fixture
def cfg(cfg_path):
  return _Open(cfg_path)


def _ReadDict(path):
  with open(path) as fd:
    return json.load(fd)


def _WriteDict(path, data):
  with open(path, "w") as fd:
    json.dump(data, fd)


# -- InitConfig and loading ----------------------------------------------------

def test_init_config_writes_cluster_master_and_default_group(tmp_path):
  path = tmp_path / "config.data"
  data = config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(),
                           _MakeNode(MASTER, 1, candidate=True),
                           cfg_file=str(path))
  on_disk = _ReadDict(path)
  assert on_disk["version"] == constants.CONFIG_VERSION
  assert on_disk["serial_no"] == 1
  assert list(on_disk["nodes"]) == [MASTER]
  assert on_disk["instances"] == {}
  (group, ) = on_disk["nodegroups"].values()
  assert group["name"] == "default"
  assert on_disk["nodes"][MASTER]["group"] == group["uuid"]
  assert data.cluster.uuid and data.nodes[MASTER].uuid
  assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_init_config_default_path_is_read_at_call_time(tmp_path, monkeypatch):
  from ganeti import pathutils
  target = tmp_path / "elsewhere.data"
  monkeypatch.setattr(pathutils, "CLUSTER_CONF_FILE", str(target))
  config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(),
                    _MakeNode(MASTER, 1, candidate=True))
  assert target.exists()
  assert config.ConfigWriter.IsCluster()
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  assert cfg.GetClusterName() == "cluster.example.com"


def test_fixture_config_is_consistent(cfg):
  assert cfg.VerifyConfig() == []
  assert sorted(cfg.GetNodeList()) == sorted([MASTER, NODE2, NODE3])
  assert cfg.GetInstanceList() == [INST]


def test_foreign_config_refused_unless_accepted(cfg_path):
  with pytest.raises(errors.ConfigurationError, match="foreign") as exc:
    _Open(cfg_path, _my_hostname="other.example.com")
  assert str(cfg_path) in str(exc.value)
  cfg = _Open(cfg_path, _my_hostname="other.example.com", accept_foreign=True)
  assert cfg.GetMasterNode() == MASTER


@pytest.mark.parametrize("content, what", [
  ("", "not valid JSON"),
  ('{"version": 2060000, "cluster": {', "not valid JSON"),
  ("not json at all", "not valid JSON"),
  ("[1, 2, 3]", "JSON object"),
  ('{"version": 2060000}', "lacks the top-level key"),
  ])
def test_corrupt_file_refused_with_file_name(tmp_path, content, what):
  path = tmp_path / "config.data"
  path.write_text(content)
  with pytest.raises(errors.ConfigurationError, match=what) as exc:
    _Open(path)
  assert str(path) in str(exc.value)


def test_truncated_file_refused(cfg_path):
  text = cfg_path.read_text()
  for cut in (1, len(text) // 3, len(text) // 2, len(text) - 3):
    cfg_path.write_text(text[:cut])
    with pytest.raises(errors.ConfigurationError) as exc:
      _Open(cfg_path)
    assert str(cfg_path) in str(exc.value)


def test_missing_file_refused(tmp_path):
  path = tmp_path / "absent.data"
  with pytest.raises(errors.ConfigurationError, match="Cannot read") as exc:
    _Open(path)
  assert str(path) in str(exc.value)


@pytest.mark.parametrize("mutate, what", [
  (lambda d: d.update(serial_no="7"), "serial_no"),
  (lambda d: d.update(version=True), "version"),
  (lambda d: d.update(nodes=[]), "nodes"),
  (lambda d: d["nodes"].update(bad=3), "bad"),
  (lambda d: d["cluster"].pop("rsahostkeypub"), "rsahostkeypub"),
  (lambda d: d["nodes"][MASTER].update(bogus_attr=1), "bogus_attr"),
  (lambda d: d["instances"][INST].update(disks="nope"), "disks"),
  ])
def test_malformed_content_refused(cfg_path, mutate, what):
  data = _ReadDict(cfg_path)
  mutate(data)
  _WriteDict(cfg_path, data)
  with pytest.raises(errors.ConfigurationError, match=what) as exc:
    _Open(cfg_path)
  assert str(cfg_path) in str(exc.value)


@pytest.mark.parametrize("version", [
  constants.CONFIG_VERSION + 10000, 3000000, 1000000, 2060001, 123])
def test_wrong_version_refused(cfg_path, version):
  data = _ReadDict(cfg_path)
  data["version"] = version
  _WriteDict(cfg_path, data)
  with pytest.raises(errors.ConfigVersionMismatch) as exc:
    _Open(cfg_path)
  assert exc.value.args[0] == constants.CONFIG_VERSION
  assert exc.value.args[1] == version
  assert str(cfg_path) in str(exc.value)


def test_failed_reload_keeps_previous_state(cfg, cfg_path):
  serial = cfg.GetClusterInfo().serial_no
  cfg_path.write_text(cfg_path.read_text()[:100])
  with pytest.raises(errors.ConfigurationError):
    cfg.Load()
  assert cfg.GetClusterInfo().serial_no == serial
  assert cfg.GetInstanceInfo(INST) is not None
  assert cfg.GetClusterName() == "cluster.example.com"


# -- saving -------------------------------------------------------------------

def test_save_bumps_serial_and_mtime_and_keeps_mode(cfg, cfg_path):
  before = _ReadDict(cfg_path)
  node = cfg.GetNodeInfo(NODE2)
  node_serial = node.serial_no
  time.sleep(0.01)
  cfg.Update(node, None)
  after = _ReadDict(cfg_path)
  assert after["serial_no"] == before["serial_no"] + 1
  assert after["mtime"] > before["mtime"]
  assert after["nodes"][NODE2]["serial_no"] == node_serial + 1
  assert after["nodes"][NODE2]["mtime"] > before["nodes"][NODE2]["mtime"]
  # a node change feeds ssconf: the cluster serial moves too
  assert after["cluster"]["serial_no"] == before["cluster"]["serial_no"] + 1
  assert stat.S_IMODE(os.stat(cfg_path).st_mode) == 0o640
  assert _Open(cfg_path).GetNodeInfo(NODE2).serial_no == node_serial + 1


def test_update_of_instance_does_not_bump_cluster_serial(cfg, cfg_path):
  before = _ReadDict(cfg_path)
  inst = cfg.GetInstanceInfo(INST)
  inst.os = "other-os"
  cfg.Update(inst, None)
  after = _ReadDict(cfg_path)
  assert after["instances"][INST]["os"] == "other-os"
  assert after["cluster"]["serial_no"] == before["cluster"]["serial_no"]


def test_update_unknown_object_refused(cfg):
  stale = cfg.GetNodeInfo(NODE2).Copy()
  with pytest.raises(errors.ConfigurationError, match="Node"):
    cfg.Update(stale, None)
  with pytest.raises(errors.ProgrammerError, match="Invalid object type"):
    cfg.Update("node2", None)


def test_update_feedback_reports_known_problems(cfg, cfg_path):
  data = _ReadDict(cfg_path)
  data["cluster"]["mac_prefix"] = "zz:00:00"
  _WriteDict(cfg_path, data)
  cfg = _Open(cfg_path)
  messages = []
  cfg.Update(cfg.GetClusterInfo(), messages.append)
  assert any("MAC prefix" in msg for msg in messages)


def test_save_refuses_new_inconsistency_and_rolls_back(cfg, cfg_path):
  before = cfg_path.read_text()
  node = cfg.GetNodeInfo(NODE2)
  old_group = node.group
  node.group = "no-such-group"
  with pytest.raises(errors.ConfigurationError, match="Refusing") as exc:
    cfg.Update(node, None)
  assert str(cfg_path) in str(exc.value)
  assert "no-such-group" in str(exc.value)
  assert cfg_path.read_text() == before
  assert cfg.GetNodeInfo(NODE2).group == old_group
  assert cfg.VerifyConfig() == []


def test_config_with_old_problems_still_saves(cfg_path):
  data = _ReadDict(cfg_path)
  data["cluster"]["mac_prefix"] = "bad"
  _WriteDict(cfg_path, data)
  cfg = _Open(cfg_path)
  assert any("MAC prefix" in msg for msg in cfg.VerifyConfig())
  cfg.SetVGName("othervg")
  assert _Open(cfg_path).GetVGName() == "othervg"


def test_concurrent_external_modification_detected(cfg, cfg_path):
  data = _ReadDict(cfg_path)
  data["serial_no"] += 100
  time.sleep(0.01)
  _WriteDict(cfg_path, data)
  with pytest.raises(errors.ConfigurationError, match="modified"):
    cfg.SetVGName("vg2")
  assert _ReadDict(cfg_path)["serial_no"] == data["serial_no"]


def test_write_config_to_other_destination(cfg, tmp_path):
  backup = tmp_path / "backup.data"
  cfg.WriteConfigTo(str(backup))
  assert _Open(backup).GetClusterName() == "cluster.example.com"


_WRITER_SCRIPT = r"""
import sys
from ganeti import config
cfg = config.ConfigWriter(cfg_file=sys.argv[1], accept_foreign=True)
sys.stdout.write("ready\n")
sys.stdout.flush()
while True:
  cluster = cfg.GetClusterInfo()
  cluster.reserved_lvs = ["lv%d" % i for i in range(cluster.serial_no % 50)]
  cfg.Update(cluster, None)
"""


def test_killed_writer_never_leaves_torn_file(cfg_path, tmp_path):
  script = tmp_path / "writer.py"
  script.write_text(_WRITER_SCRIPT)
  rng = random.Random(42)
  first_serial = last_serial = _ReadDict(cfg_path)["serial_no"]
  for _ in range(8):
    proc = subprocess.Popen([sys.executable, str(script), str(cfg_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"ready\n", proc.stderr.read()
    time.sleep(rng.uniform(0.0, 0.3))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    cfg = _Open(cfg_path)
    serial = _ReadDict(cfg_path)["serial_no"]
    assert serial >= last_serial
    assert cfg.VerifyConfig() == []
    last_serial = serial
  # the writers did save (the kills hit real write loops)
  assert last_serial > first_serial


def test_save_hook_called_after_lock_released(cfg_path):
  calls = []
  holder = {}

  def _Hook(filename, serial):
    lock = holder["cfg"]._lock
    free = lock.acquire(blocking=False)
    if free:
      lock.release()
    calls.append((filename, serial, free))

  cfg = _Open(cfg_path, save_hook=_Hook)
  holder["cfg"] = cfg
  cfg.SetVGName("vg-hook")
  serial = _ReadDict(cfg_path)["serial_no"]
  assert calls == [(str(cfg_path), serial, True)]
  cfg.AllocatePort()
  assert calls[-1] == (str(cfg_path), serial + 1, True)


def test_save_hook_set_later_and_failures_do_not_undo_save(cfg, cfg_path):
  def _Failing(filename, serial):
    raise RuntimeError("distribution failed for %s/%s" % (filename, serial))
  cfg.SetSaveHook(_Failing)
  cfg.SetVGName("vg-after-failing-hook")
  assert _Open(cfg_path).GetVGName() == "vg-after-failing-hook"
  with pytest.raises(errors.ProgrammerError, match="callable"):
    cfg.SetSaveHook("not callable")


def test_offline_mode_skips_save_hook(cfg_path):
  calls = []
  cfg = _Open(cfg_path, offline=True,
              save_hook=lambda *args: calls.append(args))
  cfg.SetVGName("vg-offline")
  assert calls == []
  assert _Open(cfg_path).GetVGName() == "vg-offline"


def test_getents_sets_ownership(cfg_path):
  class _Ents:
    masterd_uid = os.getuid()
    confd_gid = os.getgid()
  cfg = _Open(cfg_path, _getents=_Ents)
  cfg.SetVGName("vg-owned")
  st_info = os.stat(cfg_path)
  assert (st_info.st_uid, st_info.st_gid) == (os.getuid(), os.getgid())


# -- cluster getters ------------------------------------------------------------

def test_cluster_getters(cfg):
  assert cfg.GetClusterName() == "cluster.example.com"
  assert cfg.GetMasterNode() == MASTER
  assert cfg.GetMasterIP() == "192.0.2.254"
  assert cfg.GetMasterNetdev() == "eth0"
  assert cfg.GetMasterNetmask() == 24
  assert cfg.GetFileStorageDir() == "/srv/ganeti/file-storage"
  assert cfg.GetSharedFileStorageDir() == "/srv/ganeti/shared-file-storage"
  assert cfg.GetHypervisorType() == constants.HT_KVM
  assert cfg.GetVGName() == "xenvg"
  assert cfg.GetDRBDHelper() == "/bin/true"
  assert cfg.GetMACPrefix() == "aa:00:00"
  assert cfg.GetDefaultIAllocator() == ""
  assert cfg.GetPrimaryIPFamily() == socket.AF_INET
  assert cfg.GetHostKey() == cfg.GetRsaHostKey() == "ssh-rsa AAAAB3NzaC1yc2E"
  assert cfg.GetUseExternalMipScript() is False
  assert cfg.GetClusterInfo().cluster_name == "cluster.example.com"


def test_cluster_setters_save(cfg, cfg_path):
  serial = _ReadDict(cfg_path)["cluster"]["serial_no"]
  cfg.SetVGName("newvg")
  cfg.SetDRBDHelper("/usr/bin/helper")
  cfg.SetClusterName("renamed.example.com")
  again = _Open(cfg_path)
  assert again.GetVGName() == "newvg"
  assert again.GetDRBDHelper() == "/usr/bin/helper"
  assert again.GetClusterName() == "renamed.example.com"
  assert _ReadDict(cfg_path)["cluster"]["serial_no"] == serial + 3
  with pytest.raises(errors.ProgrammerError, match="cluster name"):
    cfg.SetClusterName("")


# -- nodes ----------------------------------------------------------------------

def test_node_getters(cfg):
  assert cfg.GetNodeInfo(MASTER).primary_ip == "192.0.2.1"
  assert cfg.GetNodeInfo("unknown") is None
  assert set(cfg.GetAllNodesInfo()) == set([MASTER, NODE2, NODE3])
  assert cfg.GetMultiNodeInfo([NODE2, "x"]) == [
    (NODE2, cfg.GetNodeInfo(NODE2)), ("x", None)]
  assert sorted(cfg.GetNodeNames()) == sorted(cfg.GetNodeList())
  assert sorted(cfg.GetOnlineNodeList()) == sorted([MASTER, NODE2, NODE3])
  assert sorted(cfg.GetVmCapableNodeList()) == sorted([MASTER, NODE2, NODE3])
  assert cfg.GetNonVmCapableNodeList() == []
  assert cfg.GetMasterCandidateList() == [MASTER]


def test_online_and_vm_capable_filters(cfg):
  node = cfg.GetNodeInfo(NODE3)
  node.offline = True
  node.vm_capable = False
  cfg.Update(node, None)
  assert NODE3 not in cfg.GetOnlineNodeList()
  assert cfg.GetNonVmCapableNodeList() == [NODE3]
  assert NODE3 not in cfg.GetVmCapableNodeList()


@pytest.mark.parametrize("short, full", [
  ("node1", MASTER), ("NODE1", MASTER), (MASTER, MASTER),
  ("node10", NODE3), ("node", None), ("node3", None), ("", None)])
def test_expand_node_name(cfg, short, full):
  assert cfg.ExpandNodeName(short) == full


def test_add_node_default_group_and_duplicates(cfg, cfg_path):
  default_uuid = cfg.LookupNodeGroup("default")
  node = _MakeNode("node4.example.com", 4)
  cfg.AddNode(node, "ec1")
  assert node.group == default_uuid
  assert node.serial_no == 1 and node.uuid and node.ctime
  assert "node4.example.com" in cfg.GetNodeGroup(default_uuid).members
  assert "node4.example.com" in _Open(cfg_path).GetNodeList()
  with pytest.raises(errors.ConfigurationError, match="node4.example.com"):
    cfg.AddNode(_MakeNode("node4.example.com", 5), "ec1")
  with pytest.raises(errors.ProgrammerError, match="objects.Node"):
    cfg.AddNode({"name": "x"}, "ec1")


def test_add_node_to_unknown_group_refused(cfg):
  with pytest.raises(errors.OpPrereqError, match="nogroup") as exc:
    cfg.AddNode(_MakeNode("node5.example.com", 5, group="nogroup"), "ec1")
  assert exc.value.args[1] == errors.ECODE_NOENT
  assert cfg.GetNodeInfo("node5.example.com") is None


def test_add_node_with_used_uuid_refused(cfg):
  node = _MakeNode("node6.example.com", 6)
  node.uuid = cfg.GetNodeInfo(MASTER).uuid
  with pytest.raises(errors.ConfigurationError, match="already in use"):
    cfg.AddNode(node, "ec1")


def test_remove_node(cfg, cfg_path):
  group_uuid = cfg.GetNodeInfo(NODE3).group
  cfg.RemoveNode(NODE3)
  assert cfg.GetNodeInfo(NODE3) is None
  assert NODE3 not in cfg.GetNodeGroup(group_uuid).members
  assert NODE3 not in _Open(cfg_path).GetNodeList()
  with pytest.raises(errors.ConfigurationError, match="Unknown node"):
    cfg.RemoveNode(NODE3)


def test_remove_node_with_instances_refused(cfg):
  with pytest.raises(errors.ConfigurationError, match="secondary node"):
    cfg.RemoveNode(NODE2)
  assert cfg.GetNodeInfo(NODE2) is not None


def test_master_candidate_stats_and_pool(cfg, cfg_path):
  assert cfg.GetMasterCandidateStats() == (1, 3, 3)
  assert cfg.GetMasterCandidateStats([NODE3]) == (1, 2, 2)
  promoted = cfg.MaintainCandidatePool([NODE3])
  assert [node.name for node in promoted] == [NODE2]
  assert cfg.GetMasterCandidateStats() == (2, 3, 3)
  assert _Open(cfg_path).GetNodeInfo(NODE2).master_candidate
  assert cfg.MaintainCandidatePool([NODE3]) == []


def test_candidate_pool_respects_pool_size_and_flags(cfg):
  cluster = cfg.GetClusterInfo()
  cluster.candidate_pool_size = 2
  cfg.Update(cluster, None)
  node3 = cfg.GetNodeInfo(NODE3)
  node3.drained = True
  cfg.Update(node3, None)
  assert cfg.GetMasterCandidateStats() == (1, 2, 2)
  promoted = cfg.MaintainCandidatePool(None)
  assert [node.name for node in promoted] == [NODE2]
  assert not cfg.GetNodeInfo(NODE3).master_candidate


# -- node groups ----------------------------------------------------------------

def test_default_group_exists_and_lookup(cfg):
  default_uuid = cfg.LookupNodeGroup("default")
  assert cfg.LookupNodeGroup(None) == default_uuid
  assert cfg.LookupNodeGroup(default_uuid) == default_uuid
  assert cfg.GetNodeGroup(default_uuid).name == "default"
  assert cfg.GetNodeGroupInfoByName("group2").name == "group2"
  assert cfg.GetNodeGroupInfoByName("nope") is None
  with pytest.raises(errors.OpPrereqError, match="not found") as exc:
    cfg.LookupNodeGroup("nope")
  assert exc.value.args[1] == errors.ECODE_NOENT


def test_group_listing(cfg):
  default_uuid = cfg.LookupNodeGroup("default")
  group2 = cfg.LookupNodeGroup("group2")
  assert sorted(cfg.GetNodeGroupList()) == sorted([default_uuid, group2])
  assert set(cfg.GetAllNodeGroupsInfo()) == set([default_uuid, group2])
  assert sorted(cfg.GetNodeGroup(default_uuid).members) == sorted(
    [MASTER, NODE2])
  assert cfg.GetNodeGroupMembersByNodes([NODE3]) == frozenset([NODE3])
  assert cfg.GetNodeGroupMembersByNodes([MASTER, NODE3]) == frozenset(
    [MASTER, NODE2, NODE3])
  assert cfg.GetNodeGroupsFromNodes([MASTER, NODE2]) == frozenset(
    [default_uuid])
  assert cfg.GetNodeGroupsFromNodes([MASTER, NODE3]) == frozenset(
    [default_uuid, group2])
  with pytest.raises(errors.ConfigurationError, match="ghost"):
    cfg.GetNodeGroupsFromNodes(["ghost"])


def test_lookup_none_with_several_groups_and_no_default(cfg):
  group = cfg.GetNodeGroup(cfg.LookupNodeGroup("default"))
  group.name = "renamed"
  cfg.Update(group, None)
  with pytest.raises(errors.OpPrereqError, match="More than one") as exc:
    cfg.LookupNodeGroup(None)
  assert exc.value.args[1] == errors.ECODE_INVAL


def test_add_node_group_unique_names(cfg, cfg_path):
  with pytest.raises(errors.OpPrereqError, match="already exists") as exc:
    cfg.AddNodeGroup(objects.NodeGroup(name="group2"), "ec1")
  assert exc.value.args[1] == errors.ECODE_EXISTS
  uuid = cfg.GenerateUniqueID("ec1")
  cfg.AddNodeGroup(objects.NodeGroup(name="group3", uuid=uuid), "ec1",
                   check_uuid=False)
  assert _Open(cfg_path).LookupNodeGroup("group3") == uuid
  with pytest.raises(errors.ProgrammerError, match="needs a UUID"):
    cfg.AddNodeGroup(objects.NodeGroup(name="group4"), "ec1",
                     check_uuid=False)
  with pytest.raises(errors.ProgrammerError, match="NodeGroup"):
    cfg.AddNodeGroup("group5", "ec1")


def test_remove_node_group(cfg, cfg_path):
  group2 = cfg.LookupNodeGroup("group2")
  with pytest.raises(errors.ConfigurationError, match="still has members"):
    cfg.RemoveNodeGroup(group2)
  cfg.AssignGroupNodes([(NODE3, cfg.LookupNodeGroup("default"))])
  cfg.RemoveNodeGroup(group2)
  assert cfg.GetNodeGroup(group2) is None
  assert _Open(cfg_path).GetNodeGroupList() == [cfg.LookupNodeGroup(None)]
  with pytest.raises(errors.ConfigurationError, match="Unknown node group"):
    cfg.RemoveNodeGroup(group2)


def test_last_group_cannot_be_removed(tmp_path):
  path = tmp_path / "config.data"
  config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(),
                    _MakeNode(MASTER, 1, candidate=True), cfg_file=str(path))
  cfg = _Open(path)
  with pytest.raises(errors.ConfigurationError, match="only group"):
    cfg.RemoveNodeGroup(cfg.LookupNodeGroup(None))


def test_assign_group_nodes(cfg, cfg_path):
  default_uuid = cfg.LookupNodeGroup("default")
  group2 = cfg.LookupNodeGroup("group2")
  node2 = cfg.GetNodeInfo(NODE2)
  serial = node2.serial_no
  cfg.AssignGroupNodes([(NODE2, group2), (MASTER, default_uuid)])
  assert node2.group == group2
  assert node2.serial_no == serial + 1
  assert sorted(cfg.GetNodeGroup(group2).members) == sorted([NODE2, NODE3])
  assert cfg.GetNodeGroup(default_uuid).members == [MASTER]
  again = _Open(cfg_path)
  assert again.GetNodeInfo(NODE2).group == group2
  assert sorted(again.GetNodeGroup(group2).members) == sorted([NODE2, NODE3])
  assert again.VerifyConfig() == []


@pytest.mark.parametrize("mods, what", [
  ([("ghost", None)], "ghost"),
  ([(NODE2, "no-such-uuid")], "no-such-uuid"),
  ])
def test_assign_group_nodes_bad_input(cfg, mods, what):
  with pytest.raises(errors.ConfigurationError, match=what):
    cfg.AssignGroupNodes(mods)


# -- instances ------------------------------------------------------------------

def test_instance_getters(cfg):
  inst = cfg.GetInstanceInfo(INST)
  assert inst.primary_node == MASTER
  assert cfg.GetInstanceInfo("nope") is None
  assert list(cfg.GetAllInstancesInfo()) == [INST]
  assert cfg.GetMultiInstanceInfo([INST, "x"]) == [(INST, inst), ("x", None)]
  assert cfg.GetInstancesInfoByFilter(
    lambda i: i.primary_node == MASTER) == {INST: inst}
  assert cfg.GetInstancesInfoByFilter(lambda i: False) == {}
  assert cfg.ExpandInstanceName("inst1") == INST
  assert cfg.ExpandInstanceName("inst") is None
  assert cfg.GetNodeInstances(MASTER) == ([INST], [])
  assert cfg.GetNodeInstances(NODE2) == ([], [INST])
  assert cfg.GetNodeInstances(NODE3) == ([], [])
  default_uuid = cfg.LookupNodeGroup("default")
  assert cfg.GetInstanceNodeGroups(INST) == frozenset([default_uuid])
  assert cfg.GetInstanceNodeGroups(INST, primary_only=True) == frozenset(
    [default_uuid])
  with pytest.raises(errors.ConfigurationError, match="nope"):
    cfg.GetInstanceNodeGroups("nope")


def test_add_instance_sets_identity_and_checks_uniqueness(cfg, cfg_path):
  inst = _MakeDrbdInstance(cfg, "inst2.example.com", NODE2, MASTER, "ec2")
  cfg.AddInstance(inst, "ec2")
  assert inst.serial_no == 1 and inst.uuid and inst.ctime == inst.mtime
  assert "inst2.example.com" in _Open(cfg_path).GetInstanceList()
  dup = _MakeDrbdInstance(cfg, "inst2.example.com", NODE2, MASTER, "ec2")
  with pytest.raises(errors.ConfigurationError, match="name exists"):
    cfg.AddInstance(dup, "ec2")
  cfg.ReleaseDRBDMinors("inst2.example.com")
  same_mac = _MakeDrbdInstance(cfg, "inst3.example.com", NODE2, MASTER, "ec2")
  same_mac.nics[0].mac = inst.nics[0].mac
  with pytest.raises(errors.ConfigurationError, match="already in use"):
    cfg.AddInstance(same_mac, "ec2")
  with pytest.raises(errors.ProgrammerError, match="objects.Instance"):
    cfg.AddInstance("inst4", "ec2")


def test_add_instance_with_inconsistent_data_refused(cfg):
  inst = _MakeDrbdInstance(cfg, "inst5.example.com", "ghost.example.com",
                           MASTER, "ec5")
  with pytest.raises(errors.ConfigurationError, match="ghost"):
    cfg.AddInstance(inst, "ec5")
  assert cfg.GetInstanceInfo("inst5.example.com") is None


def test_remove_instance_returns_network_port(cfg, cfg_path):
  inst = cfg.GetInstanceInfo(INST)
  inst.network_port = cfg.AllocatePort()
  cfg.Update(inst, None)
  cfg.RemoveInstance(INST)
  assert cfg.GetInstanceInfo(INST) is None
  again = _Open(cfg_path)
  assert again.GetInstanceList() == []
  assert inst.network_port in again.GetClusterInfo().tcpudp_port_pool
  assert again.AllocatePort() == inst.network_port
  with pytest.raises(errors.ConfigurationError, match="Unknown instance"):
    cfg.RemoveInstance(INST)


def test_rename_instance_moves_file_disk_paths(cfg, cfg_path):
  path = "/srv/ganeti/file-storage/fileinst.example.com/disk0"
  disk = objects.Disk(dev_type=constants.LD_FILE, size=512, mode="rw",
                      iv_name="disk/0", logical_id=("loop", path),
                      physical_id=("loop", path))
  inst = objects.Instance(name="fileinst.example.com", primary_node=NODE3,
                          os="debootstrap", hypervisor=constants.HT_FAKE,
                          hvparams={}, beparams={}, osparams={},
                          admin_state=constants.ADMINST_DOWN, nics=[],
                          disks=[disk], disk_template=constants.DT_FILE)
  cfg.AddInstance(inst, "ec3")
  cfg.RenameInstance("fileinst.example.com", "moved.example.com")
  assert cfg.GetInstanceInfo("fileinst.example.com") is None
  moved = _Open(cfg_path).GetInstanceInfo("moved.example.com")
  new_path = "/srv/ganeti/file-storage/moved.example.com/disk0"
  assert moved.disks[0].logical_id == ("loop", new_path)
  assert moved.disks[0].physical_id == ("loop", new_path)
  with pytest.raises(errors.ConfigurationError, match="name is taken"):
    cfg.RenameInstance("moved.example.com", INST)
  with pytest.raises(errors.ConfigurationError, match="Unknown instance"):
    cfg.RenameInstance("nope", "nope2")


def test_mark_instance_states(cfg, cfg_path):
  serial = cfg.GetInstanceInfo(INST).serial_no
  cfg.MarkInstanceUp(INST)
  assert _Open(cfg_path).GetInstanceInfo(INST).admin_state == "up"
  cfg.MarkInstanceUp(INST)  # no change, no save
  assert cfg.GetInstanceInfo(INST).serial_no == serial + 1
  cfg.MarkInstanceOffline(INST)
  assert _Open(cfg_path).GetInstanceInfo(INST).admin_state == "offline"
  cfg.MarkInstanceDown(INST)
  assert _Open(cfg_path).GetInstanceInfo(INST).admin_state == "down"
  with pytest.raises(errors.ConfigurationError, match="Unknown instance"):
    cfg.MarkInstanceUp("nope")


# -- reservations ---------------------------------------------------------------

def test_temporary_reservation_manager():
  trm = config.TemporaryReservationManager()
  trm.Reserve("ec1", "a")
  trm.Reserve("ec2", "b")
  assert trm.Reserved("a") and not trm.Reserved("c")
  assert trm.GetReserved() == set(["a", "b"])
  with pytest.raises(errors.ReservationError, match="'a'"):
    trm.Reserve("ec2", "a")
  trm.DropECReservations("ec1")
  trm.DropECReservations("never-used")
  assert trm.GetReserved() == set(["b"])
  values = iter(["b", "b", None, "c"])
  assert trm.Generate(["x"], lambda: next(values), "ec3") == "c"
  with pytest.raises(errors.ConfigurationError, match="last tried: x"):
    trm.Generate(["x"], lambda: "x", "ec3")
  with pytest.raises(errors.ProgrammerError, match="callable"):
    trm.Generate([], "notcallable", "ec3")


def test_generate_mac_unique_and_released_per_job(cfg):
  existing = cfg.GetInstanceInfo(INST).nics[0].mac
  macs = set(cfg.GenerateMAC("ec1") for _ in range(50))
  assert len(macs) == 50 and existing not in macs
  assert all(mac.startswith("aa:00:00:") and len(mac) == 17 for mac in macs)
  mac = sorted(macs)[0]
  with pytest.raises(errors.ReservationError):
    cfg.ReserveMAC(mac, "ec2")
  cfg.DropECReservations("ec1")
  cfg.ReserveMAC(mac, "ec2")
  with pytest.raises(errors.ReservationError, match="in use"):
    cfg.ReserveMAC(existing, "ec2")


def test_generate_mac_exhausted(cfg):
  existing = cfg.GetInstanceInfo(INST).nics[0].mac
  cfg._GenerateOneMAC = lambda: existing
  with pytest.raises(errors.ConfigurationError, match="Unable to generate"):
    cfg.GenerateMAC("ec1")


def test_generate_mac_many_threads(cfg):
  # a tiny MAC space makes collisions likely without the lock
  rng = random.Random(1)
  cfg._GenerateOneMAC = lambda: "aa:00:00:00:01:%02x" % rng.randrange(256)
  results = []

  def _Worker(idx):
    for _ in range(25):
      results.append(cfg.GenerateMAC("ec-thread-%d" % idx))

  threads = [threading.Thread(target=_Worker, args=(i, )) for i in range(8)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  assert len(results) == 200 == len(set(results))


def test_generate_mac_threads_real_generator(cfg):
  results = []

  def _Worker(idx):
    for _ in range(100):
      results.append(cfg.GenerateMAC("ec-%d" % idx))

  threads = [threading.Thread(target=_Worker, args=(i, )) for i in range(8)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  assert len(results) == 800 == len(set(results))


def test_reserve_lv(cfg):
  inst = cfg.GetInstanceInfo(INST)
  used = "xenvg/%s" % inst.disks[0].children[0].logical_id[1]
  with pytest.raises(errors.ReservationError, match="already in use"):
    cfg.ReserveLV(used, "ec1")
  cfg.ReserveLV("xenvg/new-lv", "ec1")
  with pytest.raises(errors.ReservationError, match="new-lv"):
    cfg.ReserveLV("xenvg/new-lv", "ec2")
  cfg.DropECReservations("ec1")
  cfg.ReserveLV("xenvg/new-lv", "ec2")


def test_reserve_ip(cfg):
  with pytest.raises(errors.ReservationError, match=INST):
    cfg.ReserveIp("192.0.2.100", "ec1")
  cfg.ReserveIp("192.0.2.101", "ec1")
  with pytest.raises(errors.ReservationError):
    cfg.ReserveIp("192.0.2.101", "ec2")
  # Update with the job's ec_id commits (releases) its IP reservations
  cfg.Update(cfg.GetInstanceInfo(INST), None, ec_id="ec1")
  cfg.ReserveIp("192.0.2.101", "ec2")


def test_drbd_secret_and_unique_id(cfg):
  secrets = set(cfg.GenerateDRBDSecret("ec1") for _ in range(20))
  assert len(secrets) == 20
  assert all(isinstance(secret, str) and secret for secret in secrets)
  ids = set(cfg.GenerateUniqueID("ec1") for _ in range(20))
  assert len(ids) == 20
  all_known = set(n.uuid for n in cfg.GetAllNodesInfo().values())
  assert not ids & all_known


def test_unique_id_avoids_existing(cfg, monkeypatch):
  taken = cfg.GetNodeInfo(MASTER).uuid
  values = iter([taken, "fresh-uuid"])
  monkeypatch.setattr(utils, "NewUUID", lambda: next(values))
  assert cfg.GenerateUniqueID("ec1") == "fresh-uuid"


# -- ports and DRBD -------------------------------------------------------------

def test_allocate_port(cfg, cfg_path):
  highest = cfg.GetClusterInfo().highest_used_port
  port = cfg.AllocatePort()
  assert port == highest + 1
  assert _Open(cfg_path).GetClusterInfo().highest_used_port == port
  cluster = cfg.GetClusterInfo()
  cluster.tcpudp_port_pool.update([port + 10, port + 5])
  cluster.highest_used_port = port + 10
  cfg.Update(cluster, None)
  assert cfg.AllocatePort() == port + 5
  assert cfg.AllocatePort() == port + 10
  assert cfg.AllocatePort() == port + 11


def test_allocate_port_exhausted(cfg):
  cluster = cfg.GetClusterInfo()
  cluster.highest_used_port = constants.LAST_DRBD_PORT
  cfg.Update(cluster, None)
  with pytest.raises(errors.ConfigurationError, match="limit"):
    cfg.AllocatePort()


def test_used_ports(cfg):
  drbd_port = cfg.GetInstanceInfo(INST).disks[0].logical_id[2]
  assert cfg.GetUsedPorts() == set([drbd_port])


def test_drbd_minor_allocation(cfg):
  inst = cfg.GetInstanceInfo(INST)
  _, _, _, minor_a, minor_b, _ = inst.disks[0].logical_id
  assert (minor_a, minor_b) == (0, 0)
  d_map = cfg.ComputeDRBDMap()
  assert d_map[MASTER] == {0: INST}
  assert d_map[NODE3] == {}
  assert cfg.AllocateDRBDMinor([MASTER, NODE3, MASTER], "new") == [1, 0, 2]
  assert cfg.ComputeDRBDMap()[MASTER] == {0: INST, 1: "new", 2: "new"}
  assert cfg.AllocateDRBDMinor([MASTER], "other") == [3]
  cfg.ReleaseDRBDMinors("new")
  assert cfg.AllocateDRBDMinor([MASTER], "third") == [1]
  with pytest.raises(errors.ProgrammerError, match="instance name"):
    cfg.AllocateDRBDMinor([MASTER], cfg.GetInstanceInfo(INST))


def test_drbd_minors_released_on_add_and_update(cfg):
  inst = _MakeDrbdInstance(cfg, "inst2.example.com", NODE2, MASTER, "ec1")
  cfg.AddInstance(inst, "ec1")
  assert cfg.ComputeDRBDMap()[NODE2] == {0: INST, 1: "inst2.example.com"}
  cfg.AllocateDRBDMinor([NODE3], "inst2.example.com")
  assert cfg.ComputeDRBDMap()[NODE3] == {0: "inst2.example.com"}
  cfg.Update(inst, None)
  assert cfg.ComputeDRBDMap()[NODE3] == {}


def test_duplicate_drbd_minor_detected(cfg):
  inst = cfg.GetInstanceInfo(INST)
  cfg._temporary_drbds[(MASTER, 0)] = "intruder"
  with pytest.raises(errors.ConfigurationError, match="Duplicate DRBD"):
    cfg.ComputeDRBDMap()
  assert any("DRBD minor 0" in msg for msg in cfg.VerifyConfig())
  del cfg._temporary_drbds[(MASTER, 0)]
  assert inst.disks[0].logical_id[3] == 0


# -- ssconf -------------------------------------------------------------------

def test_ssconf_values_exact(cfg):
  values = cfg.GetSsconfValues()
  default_uuid = cfg.LookupNodeGroup("default")
  group2 = cfg.LookupNodeGroup("group2")
  # Ganeti nice-sorts the "<uuid> <name>" lines (digit runs numerically)
  groups = utils.NiceSort(["%s default" % default_uuid,
                           "%s group2" % group2])
  assert set(values) == set(ssconf.VALID_KEYS)
  assert len(values) == 22
  assert values == {
    "cluster_name": "cluster.example.com",
    "cluster_tags": "a-tag\nb-tag",
    "file_storage_dir": "/srv/ganeti/file-storage",
    "shared_file_storage_dir": "/srv/ganeti/shared-file-storage",
    "master_candidates": MASTER,
    "master_candidates_ips": "192.0.2.1",
    "master_ip": "192.0.2.254",
    "master_netdev": "eth0",
    "master_netmask": "24",
    "master_node": MASTER,
    "node_list": "%s\n%s\n%s" % (MASTER, NODE2, NODE3),
    "node_primary_ips": "%s 192.0.2.1\n%s 192.0.2.2\n%s 192.0.2.3" %
                        (MASTER, NODE2, NODE3),
    "node_secondary_ips": ("%s 198.51.100.1\n%s 198.51.100.2\n"
                           "%s 198.51.100.3" % (MASTER, NODE2, NODE3)),
    "offline_nodes": "",
    "online_nodes": "%s\n%s\n%s" % (MASTER, NODE2, NODE3),
    "primary_ip_family": "2",
    "instance_list": INST,
    "release_version": constants.RELEASE_VERSION,
    "hypervisor_list": "kvm\nfake",
    "maintain_node_health": "False",
    "uid_pool": "1000-1009\n2000",
    "nodegroups": "\n".join(groups),
    }


def test_ssconf_values_follow_changes(cfg):
  node = cfg.GetNodeInfo(NODE2)
  node.offline = True
  cfg.Update(node, None)
  values = cfg.GetSsconfValues()
  assert values["offline_nodes"] == NODE2
  assert values["online_nodes"] == "%s\n%s" % (MASTER, NODE3)


def test_ssconf_values_refuse_incomplete_config(cfg):
  cfg.GetClusterInfo().master_ip = None
  with pytest.raises(errors.ConfigurationError, match="master_ip"):
    cfg.GetSsconfValues()


# -- VerifyConfig: one planted corruption each ----------------------------------

def _Plant(cfg, fn):
  fn(cfg._config_data)
  return "\n".join(cfg.VerifyConfig())


def _SecondInstance(data, mac=None):
  clone = data.instances[INST].Copy()
  clone.name = "clone.example.com"
  clone.uuid = "clone-uuid"
  clone.disks = []
  clone.disk_template = constants.DT_DISKLESS
  if mac is not None:
    clone.nics[0].mac = mac
  data.instances[clone.name] = clone
  return clone


@pytest.mark.parametrize("plant, expected", [
  (lambda d: setattr(d.instances[INST], "primary_node", "ghost"),
   "invalid primary node 'ghost'"),
  (lambda d: setattr(d.instances[INST].disks[0], "logical_id",
                     (MASTER, "ghost") + d.instances[INST].disks[0].logical_id[2:]),
   "invalid secondary node 'ghost'"),
  (lambda d: setattr(d.nodes[NODE2], "group", "nogroup"),
   "node group 'nogroup'"),
  (lambda d: _SecondInstance(d, mac=d.instances[INST].nics[0].mac),
   "is used by both"),
  (lambda d: setattr(d.instances[INST].nics[0], "mac", "not-a-mac"),
   "invalid MAC address 'not-a-mac'"),
  (lambda d: setattr(d.cluster, "highest_used_port", 1),
   "highest used port mismatch"),
  (lambda d: setattr(_SecondInstance(d), "network_port",
                     d.instances[INST].disks[0].logical_id[2]),
   "used more than once"),
  (lambda d: setattr(d.nodes[MASTER], "master_candidate", False),
   "not a master candidate"),
  (lambda d: setattr(d.cluster, "master_node", "ghost"),
   "invalid master node 'ghost'"),
  (lambda d: d.cluster.enabled_hypervisors.append("vmware"),
   "unknown hypervisor 'vmware'"),
  (lambda d: setattr(d.instances[INST], "hypervisor", "xen-pvm"),
   "not enabled"),
  (lambda d: d.cluster.hvparams[constants.HT_KVM].update(bogus_param=1),
   "unknown kvm parameters: bogus_param"),
  (lambda d: d.cluster.hvparams[constants.HT_KVM].update(acpi="maybe"),
   "invalid kvm parameters"),
  (lambda d: d.instances[INST].hvparams.update(
    {constants.HVC_GLOBALS[0] if isinstance(constants.HVC_GLOBALS, list)
     else sorted(constants.HVC_GLOBALS)[0]: 1}),
   "cluster-global"),
  (lambda d: d.instances[INST].beparams.update(vcpus="many"),
   "invalid backend parameters"),
  (lambda d: d.instances[INST].beparams.update(colour="red"),
   "unknown backend parameters: colour"),
  (lambda d: d.instances[INST].nics[0].nicparams.update(mode="tunnel"),
   "invalid nic parameters"),
  (lambda d: d.nodes[NODE2].ndparams.update(spindle_count="lots"),
   "invalid node parameters"),
  (lambda d: d.cluster.ipolicy[constants.ISPECS_MIN].update(
    {constants.ISPEC_MEM_SIZE: 10 ** 9}), "invalid instance policy"),
  (lambda d: d.nodegroups[d.nodes[NODE3].group].ipolicy.update(
    std={constants.ISPEC_MEM_SIZE: 512}), "invalid instance policy"),
  (lambda d: d.nodegroups[d.nodes[NODE3].group].members.append("ghost"),
   "unknown member node 'ghost'"),
  (lambda d: d.nodegroups[d.nodes[NODE3].group].members.remove(NODE3),
   "missing from the member list"),
  (lambda d: d.nodegroups[d.nodes[NODE3].group].members.append(NODE2),
   "which belongs to group"),
  (lambda d: setattr(d.nodegroups[d.nodes[NODE3].group], "name", "default"),
   "duplicate node group name 'default'"),
  (lambda d: setattr(d.nodegroups[d.nodes[NODE3].group], "alloc_policy",
                     "sometimes"), "invalid allocation policy"),
  (lambda d: setattr(d.cluster, "mac_prefix", "aa:00"),
   "invalid MAC prefix 'aa:00'"),
  (lambda d: d.nodegroups.clear(), "no node groups defined"),
  (lambda d: setattr(d.nodes[NODE2], "uuid", d.nodes[MASTER].uuid),
   "is used by both node"),
  (lambda d: setattr(d.nodes[NODE2], "uuid", None), "has no UUID"),
  (lambda d: setattr(d.instances[INST], "admin_state", "sleeping"),
   "invalid admin state 'sleeping'"),
  (lambda d: setattr(d.instances[INST], "disk_template", "floppy"),
   "unknown disk template 'floppy'"),
  (lambda d: setattr(d.instances[INST].disks[0], "logical_id", (MASTER, )),
   "logical_id"),
  (lambda d: setattr(d.instances[INST].disks[0], "size", -5), "size -5"),
  (lambda d: setattr(d.instances[INST].disks[0], "mode", "rx"),
   "access mode 'rx'"),
  (lambda d: setattr(d.nodes[NODE2], "offline", True) or
   setattr(d.nodes[NODE2], "master_candidate", True), "state is invalid"),
  (lambda d: setattr(d.nodes[NODE2], "master_capable", False) or
   setattr(d.nodes[NODE2], "master_candidate", True),
   "not master capable"),
  (lambda d: d.nodes.update(alias=d.nodes[NODE3]), "wrong name 'alias'"),
  (lambda d: setattr(d.nodes[NODE2], "primary_ip", ""), "no primary IP"),
  (lambda d: setattr(d.cluster, "candidate_pool_size", 0),
   "candidate_pool_size"),
  (lambda d: setattr(d.instances[INST], "primary_node", NODE3),
   "not an end of its DRBD disks"),
  (lambda d: setattr(_SecondInstance(d), "disks",
                     [d.instances[INST].disks[0].children[0].Copy()]),
   "logical volume xenvg/"),
  ])
def test_verify_config_finds_planted_corruption(cfg, plant, expected):
  assert cfg.VerifyConfig() == []
  report = _Plant(cfg, plant)
  assert expected in report


def test_verify_config_duplicate_drbd_minor_and_port(cfg):
  inst = _MakeDrbdInstance(cfg, "inst2.example.com", MASTER, NODE3, "ec1")
  cfg.AddInstance(inst, "ec1")
  original = cfg.GetInstanceInfo(INST).disks[0].logical_id
  disk = inst.disks[0]
  disk.logical_id = (MASTER, NODE3, original[2], original[3], 0,
                     disk.logical_id[5])
  report = "\n".join(cfg.VerifyConfig())
  assert "DRBD minor 0 on node '%s'" % MASTER in report
  assert "port %s is used more than once" % original[2] in report


# -- upgrade from older versions -----------------------------------------------

def _OldConfigDict():
  return {
    "version": 2040000,
    "serial_no": 7,
    "ctime": 1300000000.0,
    "mtime": 1300000001.0,
    "cluster": {
      "cluster_name": "old.example.com",
      "master_node": MASTER,
      "master_ip": "192.0.2.254",
      "master_netdev": "eth0",
      "rsahostkeypub": "ssh-rsa OLDKEY",
      "highest_used_port": 11000,
      "tcpudp_port_pool": [],
      "mac_prefix": "aa:00:00",
      "volume_group_name": "xenvg",
      "default_bridge": "br0",
      "default_hypervisor": "kvm",
      "enabled_hypervisors": ["kvm"],
      "hvparams": {"kvm": {}},
      "beparams": {"default": {"memory": 256, "vcpus": 1,
                               "auto_balance": True}},
      "candidate_pool_size": 10,
      "file_storage_dir": "/srv/ganeti/file-storage",
      "serial_no": 3,
      },
    "nodes": {
      MASTER: {"name": MASTER, "primary_ip": "192.0.2.1",
               "secondary_ip": "192.0.2.1", "master_candidate": True,
               "offline": False, "drained": False, "serial_no": 1},
      NODE2: {"name": NODE2, "primary_ip": "192.0.2.2",
              "secondary_ip": "192.0.2.2", "master_candidate": False,
              "offline": False, "drained": False, "serial_no": 1},
      },
    "instances": {
      "up.example.com": {
        "name": "up.example.com", "primary_node": MASTER,
        "os": "debootstrap", "hypervisor": "kvm", "hvparams": {},
        "beparams": {"memory": 512}, "admin_up": True,
        "nics": [{"mac": "aa:00:00:11:22:33", "ip": None, "bridge": "br1"}],
        "disks": [{"dev_type": "lvm", "logical_id": ["xenvg", "lv-up"],
                   "size": 1024, "iv_name": "disk/0"}],
        "disk_template": "plain", "network_port": None, "serial_no": 2},
      "down.example.com": {
        "name": "down.example.com", "primary_node": NODE2,
        "os": "debootstrap", "hvparams": {}, "beparams": {},
        "admin_up": False,
        "nics": [{"mac": "aa:00:00:11:22:34", "ip": None, "bridge": "br0"}],
        "disks": [], "disk_template": "diskless", "network_port": None,
        "serial_no": 4},
      },
    }


def test_upgrade_from_old_config(tmp_path):
  path = tmp_path / "config.data"
  _WriteDict(path, _OldConfigDict())
  cfg = _Open(path)
  on_disk = _ReadDict(path)
  assert on_disk["version"] == constants.CONFIG_VERSION
  assert on_disk["serial_no"] == 8
  (group, ) = cfg.GetAllNodeGroupsInfo().values()
  assert group.name == "default"
  assert sorted(group.members) == [MASTER, NODE2]
  assert cfg.GetNodeInfo(MASTER).group == group.uuid
  assert cfg.GetNodeInfo(NODE2).group == group.uuid
  assert list(on_disk["nodegroups"]) == [group.uuid]
  assert "members" not in on_disk["nodegroups"][group.uuid]
  uuids = [cfg.GetClusterInfo().uuid, group.uuid] + \
          [n.uuid for n in cfg.GetAllNodesInfo().values()] + \
          [i.uuid for i in cfg.GetAllInstancesInfo().values()]
  assert len(set(uuids)) == 6 and all(len(u) == 36 for u in uuids)
  up = cfg.GetInstanceInfo("up.example.com")
  down = cfg.GetInstanceInfo("down.example.com")
  assert up.admin_state == constants.ADMINST_UP
  assert down.admin_state == constants.ADMINST_DOWN
  assert down.hypervisor == "kvm"
  assert up.beparams == {constants.BE_MAXMEM: 512, constants.BE_MINMEM: 512}
  assert up.nics[0].nicparams == {constants.NIC_MODE: "bridged",
                                  constants.NIC_LINK: "br1"}
  assert down.nics[0].nicparams == {}
  cluster = cfg.GetClusterInfo()
  assert cluster.nicparams[constants.PP_DEFAULT][constants.NIC_LINK] == "br0"
  assert cluster.beparams[constants.PP_DEFAULT][constants.BE_MAXMEM] == 256
  assert cluster.enabled_hypervisors == ["kvm"]
  for inst in on_disk["instances"].values():
    assert "admin_up" not in inst
    for nic in inst["nics"]:
      assert "bridge" not in nic
  assert "default_bridge" not in on_disk["cluster"]
  assert cfg.VerifyConfig() == []
  assert cfg.GetMasterCandidateStats() == (1, 2, 2)
  again = _Open(path)
  assert again.write_count == 0
  assert again.GetNodeGroupList() == [group.uuid]


def test_upgrade_keeps_existing_groups_and_assigns_groupless_nodes(tmp_path):
  data = _OldConfigDict()
  data["version"] = 2050000
  data["nodegroups"] = {"g-uuid": {"name": "default", "uuid": "g-uuid",
                                   "serial_no": 1}}
  data["nodes"][MASTER]["group"] = "g-uuid"
  path = tmp_path / "config.data"
  _WriteDict(path, data)
  cfg = _Open(path)
  assert cfg.GetNodeGroupList() == ["g-uuid"]
  assert cfg.GetNodeInfo(NODE2).group == "g-uuid"
  assert sorted(cfg.GetNodeGroup("g-uuid").members) == [MASTER, NODE2]


def test_current_config_is_not_rewritten_on_load(cfg_path):
  before = cfg_path.read_text()
  cfg = _Open(cfg_path)
  assert cfg.write_count == 0
  assert cfg_path.read_text() == before


# -- properties -----------------------------------------------------------------

@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.sampled_from(["mac", "lv", "id", "drop"]),
                    max_size=30),
       jobs=st.integers(min_value=1, max_value=4))
def test_reservations_never_collide(cfg, ops, jobs):
  held = {}
  for idx, op in enumerate(ops):
    ec_id = "job-%d" % (idx % jobs)
    if op == "mac":
      value = cfg.GenerateMAC(ec_id)
    elif op == "id":
      value = cfg.GenerateUniqueID(ec_id)
    elif op == "lv":
      value = "xenvg/lv-%d" % idx
      cfg.ReserveLV(value, ec_id)
    else:
      cfg.DropECReservations(ec_id)
      held = dict((k, v) for k, v in held.items() if v != ec_id)
      continue
    assert value not in held
    held[value] = ec_id
  for job in range(jobs):
    cfg.DropECReservations("job-%d" % job)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=st.lists(st.lists(st.sampled_from([MASTER, NODE2, NODE3]),
                                  min_size=1, max_size=3), max_size=6))
def test_drbd_minors_never_collide(cfg, requests):
  for idx, nodes in enumerate(requests):
    cfg.AllocateDRBDMinor(nodes, "prop-%d" % idx)
  d_map = cfg.ComputeDRBDMap()
  per_node = {}
  for idx, nodes in enumerate(requests):
    for node in nodes:
      per_node[node] = per_node.get(node, 0) + 1
  for node, count in per_node.items():
    assert len(d_map[node]) == count + (1 if node in (MASTER, NODE2) else 0)
  for idx in range(len(requests)):
    cfg.ReleaseDRBDMinors("prop-%d" % idx)
  assert cfg.ComputeDRBDMap()[NODE3] == {}
