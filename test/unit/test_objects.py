"""Tests of ganeti.objects: the configuration objects of config.data."""

import copy
import re
import socket
import time

import pytest
import simplejson
from hypothesis import given, settings, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import objects

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")


def _JsonRoundTrip(obj):
  text = simplejson.dumps(obj.ToDict())
  return obj.__class__.FromDict(simplejson.loads(text))


def _Lv(vg, name, size, iv_name=None):
  return objects.Disk(dev_type=constants.LD_LV, logical_id=(vg, name),
                      size=size, iv_name=iv_name, mode=constants.DISK_RDWR)


def _Drbd(pnode="node1", snode="node2", size=1024, iv_name="disk/0",
          prefix="d0"):
  return objects.Disk(
    dev_type=constants.LD_DRBD8,
    logical_id=(pnode, snode, 11000, 0, 1, "secret"),
    children=[_Lv("xenvg", prefix + "_data", size),
              _Lv("metavg", prefix + "_meta", 128)],
    size=size, iv_name=iv_name, mode=constants.DISK_RDWR)


def _DrbdInstance():
  return objects.Instance(
    name="inst1.example.com", primary_node="node1", os="debootstrap+default",
    hypervisor=constants.HT_KVM, hvparams={"acpi": False},
    beparams={constants.BE_VCPUS: 2}, osparams={}, admin_state="up",
    nics=[objects.NIC(mac="aa:00:00:11:22:33", ip=None, nicparams={})],
    disks=[_Drbd(), _Drbd(iv_name="disk/1", prefix="d1", size=2048)],
    disk_template=constants.DT_DRBD8, network_port=11001, serial_no=2,
    ctime=1.5, mtime=2.5, uuid="4f0c1f5d-4a7b-4c4e-9c3e-2a8a1e9b7f10",
    tags={"web"})


# NIC

def test_nic_check_parameter_syntax_accepts_valid():
  objects.NIC.CheckParameterSyntax({constants.NIC_MODE: "bridged",
                                    constants.NIC_LINK: "br0"})
  objects.NIC.CheckParameterSyntax({constants.NIC_MODE: "routed",
                                    constants.NIC_LINK: ""})


@pytest.mark.parametrize("params, message", [
  ({constants.NIC_MODE: "bridged", constants.NIC_LINK: ""},
   "Missing bridged NIC link"),
  ({constants.NIC_MODE: "bridged", constants.NIC_LINK: None},
   "Missing bridged NIC link"),
  ({constants.NIC_MODE: "openvswitch", constants.NIC_LINK: "x"},
   "Invalid NIC mode 'openvswitch'"),
  ({constants.NIC_LINK: "br0"}, "lack the 'mode' key"),
  ({constants.NIC_MODE: "routed"}, "lack the 'link' key"),
  ("bridged", "must be a dict"),
  ])
def test_nic_check_parameter_syntax_refuses(params, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.NIC.CheckParameterSyntax(params)


def test_nic_upgrade_and_round_trip():
  nic = objects.NIC(mac="aa:00:00:00:00:01")
  nic.UpgradeConfig()
  assert nic.nicparams == {}
  assert _JsonRoundTrip(nic) == nic


# Disk

def test_disk_drbd_round_trip_keeps_tuples_and_children():
  disk = _Drbd()
  data = disk.ToDict()
  assert data["logical_id"] == ["node1", "node2", 11000, 0, 1, "secret"]
  assert data["children"][0] == {"dev_type": "lvm",
                                 "logical_id": ["xenvg", "d0_data"],
                                 "size": 1024, "mode": "rw"}
  loaded = _JsonRoundTrip(disk)
  assert loaded == disk
  assert loaded.logical_id == ("node1", "node2", 11000, 0, 1, "secret")
  assert isinstance(loaded.children[1], objects.Disk)
  assert loaded.children[1].logical_id == ("metavg", "d0_meta")


def test_disk_old_drbd_id_is_padded():
  disk = objects.Disk.FromDict({"dev_type": "drbd8",
                                "logical_id": ["a", "b", 1, 0, 1],
                                "size": 1})
  assert disk.logical_id == ("a", "b", 1, 0, 1, None)


@pytest.mark.parametrize("data, message", [
  ({"logical_id": "xenvg/lv"}, "Disk.logical_id must be a list"),
  ({"physical_id": 5}, "Disk.physical_id must be a list"),
  ({"children": {"a": 1}}, "Disk.children must be a list"),
  ({"children": [5]}, "Cannot build Disk from int"),
  ({"sizee": 5}, "Unknown attribute 'sizee' in Disk data"),
  ])
def test_disk_from_dict_refuses_garbage(data, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.Disk.FromDict(data)


def test_disk_secondary_predicates():
  lv, drbd = _Lv("vg", "lv", 1), _Drbd()
  plain_file = objects.Disk(dev_type=constants.LD_FILE,
                            logical_id=("loop", "/srv/f"), size=1)
  assert drbd.CreateOnSecondary() and lv.CreateOnSecondary()
  assert not plain_file.CreateOnSecondary()
  assert drbd.AssembleOnSecondary() and lv.AssembleOnSecondary()
  assert not plain_file.AssembleOnSecondary()
  assert lv.OpenOnSecondary()
  assert not drbd.OpenOnSecondary() and not plain_file.OpenOnSecondary()


def test_disk_static_dev_path():
  assert _Lv("xenvg", "lv0", 1).StaticDevPath() == "/dev/xenvg/lv0"
  assert objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=("loop", "/srv/f")).StaticDevPath() == \
    "/srv/f"
  assert objects.Disk(dev_type=constants.LD_BLOCKDEV,
                      logical_id=("manual", "/dev/sdb")).StaticDevPath() == \
    "/dev/sdb"
  assert _Drbd().StaticDevPath() is None


def test_disk_children_needed_and_based_on():
  drbd = _Drbd()
  assert drbd.ChildrenNeeded() == 0
  assert _Lv("v", "l", 1).ChildrenNeeded() == -1
  assert drbd.IsBasedOnDiskType(constants.LD_LV)
  assert drbd.IsBasedOnDiskType(constants.LD_DRBD8)
  assert not drbd.IsBasedOnDiskType(constants.LD_FILE)
  assert not _Lv("v", "l", 1).IsBasedOnDiskType(constants.LD_DRBD8)


def test_disk_get_nodes():
  assert _Lv("v", "l", 1).GetNodes("nodeX") == ["nodeX"]
  assert _Drbd().GetNodes("node2") == ["node1", "node2"]
  with pytest.raises(errors.ConfigurationError, match="not on node node3"):
    _Drbd().GetNodes("node3")
  with pytest.raises(errors.ProgrammerError, match="Unhandled device type"
                     " 'floppy'"):
    objects.Disk(dev_type="floppy").GetNodes("node1")


def test_disk_compute_node_tree_drbd():
  drbd = _Drbd()
  tree = drbd.ComputeNodeTree("node1")
  assert [(node, disk.dev_type) for (node, disk) in tree] == \
    [("node1", "drbd8"), ("node2", "drbd8")]
  assert all(disk is drbd for (_, disk) in tree)
  lv = _Lv("v", "l", 1)
  assert lv.ComputeNodeTree("node7") == [("node7", lv)]


def test_disk_compute_node_tree_lists_descendants_on_other_nodes():
  # A DRBD device stacked under an LV-like parent on one node
  inner = _Drbd(pnode="nodeA", snode="nodeB")
  outer = objects.Disk(dev_type=constants.LD_LV, logical_id=("v", "l"),
                       children=[inner], size=1)
  tree = outer.ComputeNodeTree("nodeA")
  assert tree == [("nodeA", outer), ("nodeB", inner)]


def test_disk_growth():
  drbd = _Drbd(size=1024)
  assert drbd.ComputeGrowth(512) == {"xenvg": 512}
  assert _Lv("vg2", "x", 1).ComputeGrowth(10) == {"vg2": 10}
  assert objects.Disk(dev_type=constants.LD_DRBD8,
                      logical_id=("a", "b", 1, 0, 0, "s")).ComputeGrowth(5) \
    == {}
  assert objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=("loop", "/f")).ComputeGrowth(5) == {}
  drbd.RecordGrow(512)
  assert drbd.size == 1536
  assert drbd.children[0].size == 1536
  assert drbd.children[1].size == 128
  filedisk = objects.Disk(dev_type=constants.LD_FILE, size=10)
  filedisk.RecordGrow(5)
  assert filedisk.size == 15
  with pytest.raises(errors.ProgrammerError, match="unsupported device type"
                     " 'blockdev'"):
    objects.Disk(dev_type=constants.LD_BLOCKDEV, size=1).RecordGrow(1)


def test_disk_unset_size():
  drbd = _Drbd()
  drbd.UnsetSize()
  assert drbd.size == 0
  assert [c.size for c in drbd.children] == [0, 0]


def test_disk_set_physical_id():
  ips = {"node1": "192.0.2.1", "node2": "192.0.2.2"}
  drbd = _Drbd()
  drbd.SetPhysicalID("node1", ips)
  assert drbd.physical_id == ("192.0.2.1", 11000, "192.0.2.2", 11000, 0,
                              "secret")
  assert drbd.children[0].physical_id == ("xenvg", "d0_data")
  drbd.SetPhysicalID("node2", ips)
  assert drbd.physical_id == ("192.0.2.2", 11000, "192.0.2.1", 11000, 1,
                              "secret")
  with pytest.raises(errors.ConfigurationError, match="does not live on node"
                     " node3"):
    drbd.SetPhysicalID("node3", ips)
  with pytest.raises(errors.ConfigurationError, match="Cannot find the IP"):
    _Drbd().SetPhysicalID("node1", {"node1": "192.0.2.1"})
  kept = objects.Disk(dev_type=constants.LD_LV, physical_id=("a", "b"))
  kept.SetPhysicalID("node1", ips)
  assert kept.physical_id == ("a", "b")


def test_disk_str():
  lv = _Lv("xenvg", "lv0", 1024, iv_name="disk/0")
  assert str(lv) == "<LogicalVolume(/dev/xenvg/lv0, visible as /dev/disk/0," \
    " size=1024m)>"
  drbd = _Drbd()
  text = str(drbd)
  assert text.startswith("<DRBD8(hosts=node1/0-node2/1, port=11000,"
                         " unconfigured, backend=<LogicalVolume(/dev/xenvg/")
  assert text.endswith("visible as /dev/disk/0, size=1024m)>")
  drbd.SetPhysicalID("node1", {"node1": "10.0.0.1", "node2": "10.0.0.2"})
  assert "configured as 10.0.0.1:11000 10.0.0.2:11000" in str(drbd)
  bare = objects.Disk(dev_type=constants.LD_DRBD8,
                      logical_id=("a", "b", 1, 0, 0, "s"), size="big")
  assert "no local storage, not visible, size='big')>" in str(bare)
  broken = objects.Disk(dev_type=constants.LD_LV, logical_id=("vg",))
  assert str(broken).startswith("<Disk(type=lvm, logical_id=('vg',)")
  broken_drbd = objects.Disk(dev_type=constants.LD_DRBD8, logical_id=("a",))
  assert str(broken_drbd).startswith("<Disk(type=drbd8, logical_id=('a',)")
  other = objects.Disk(dev_type=constants.LD_FILE, logical_id=("loop", "/f"))
  assert str(other).startswith("<Disk(type=file, logical_id=('loop', '/f')")


def test_disk_verify():
  assert _Drbd().Verify() == []
  bad = _Drbd()
  bad.mode = "rx"
  bad.children[0].size = -1
  problems = bad.Verify()
  assert len(problems) == 2
  assert "access mode 'rx' is invalid" in problems[0]
  assert "size -1 is not a non-negative integer" in problems[1]
  weird = objects.Disk(dev_type="tape", mode="rw", size=1, iv_name="disk/3")
  assert weird.Verify() == ["Disk disk/3: unknown device type 'tape'"]
  short = objects.Disk(dev_type=constants.LD_LV, logical_id=("vg",),
                       mode="rw", size=1)
  assert "should have 2 elements" in short.Verify()[0]
  as_list = objects.Disk(dev_type=constants.LD_LV, logical_id=["vg", "lv"],
                         mode="ro", size=0)
  assert as_list.Verify() == []
  lonely = _Drbd()
  lonely.children = lonely.children[:1]
  assert "needs two children" in lonely.Verify()[0]
  # Ganeti writes the LVs below a DRBD device without an access mode; only
  # the top-level disk must carry one, but a wrong one is still reported.
  modeless = _Drbd()
  for child in modeless.children:
    child.mode = None
  assert modeless.Verify() == []
  modeless.children[1].mode = "rx"
  assert "access mode 'rx' is invalid" in modeless.Verify()[0]
  modeless.mode = None
  assert any("access mode 'None'" in p for p in modeless.Verify())


def test_disk_upgrade_config():
  disk = objects.Disk.FromDict({"dev_type": "drbd8",
                                "logical_id": ["a", "b", 1, 0, 1, "s"],
                                "children": [{"dev_type": "lvm",
                                              "logical_id": ["v", "d"],
                                              "size": 1}],
                                "size": 1})
  disk.UpgradeConfig()
  assert disk.mode == constants.DISK_RDWR and disk.params == {}
  assert disk.children[0].mode == constants.DISK_RDWR
  assert disk.children[0].params == {}
  ro_disk = objects.Disk(dev_type="lvm", mode="ro", params={"stripes": 2})
  ro_disk.UpgradeConfig()
  assert ro_disk.mode == "ro" and ro_disk.params == {"stripes": 2}


# Instance

def test_instance_round_trip_with_nested_disks():
  inst = _DrbdInstance()
  loaded = _JsonRoundTrip(inst)
  assert loaded == inst
  assert loaded.disks[0].children[0].logical_id == ("xenvg", "d0_data")
  assert loaded.tags == {"web"}
  assert isinstance(loaded.nics[0], objects.NIC)


def test_instance_to_dict_always_has_lists():
  data = objects.Instance(name="i").ToDict()
  assert data == {"name": "i", "nics": [], "disks": []}
  assert objects.Instance.FromDict(data).disks == []


def test_instance_nodes():
  inst = _DrbdInstance()
  assert inst.secondary_nodes == ("node2",)
  assert inst.all_nodes == ("node1", "node2")
  plain = objects.Instance(primary_node="n1", disks=[_Lv("v", "l", 1)])
  assert plain.secondary_nodes == ()
  assert plain.all_nodes == ("n1",)


def test_instance_map_lvs_by_node():
  inst = _DrbdInstance()
  assert inst.MapLVsByNode() == {
    "node1": ["xenvg/d0_data", "metavg/d0_meta",
              "xenvg/d1_data", "metavg/d1_meta"],
    "node2": ["xenvg/d0_data", "metavg/d0_meta",
              "xenvg/d1_data", "metavg/d1_meta"],
    }
  lvmap = {"other": ["x/y"]}
  plain = objects.Instance(primary_node="n1", disks=[_Lv("v", "l", 1)])
  assert plain.MapLVsByNode(lvmap=lvmap) is lvmap
  assert lvmap == {"other": ["x/y"], "n1": ["v/l"]}
  assert plain.MapLVsByNode(devs=[], node="n9") == {"n9": []}
  nested = objects.Disk(dev_type=constants.LD_FILE,
                        children=[_Lv("v", "inner", 1)])
  assert plain.MapLVsByNode(devs=[nested]) == {"n1": ["v/inner"]}


def test_instance_find_disk():
  inst = _DrbdInstance()
  assert inst.FindDisk(1) is inst.disks[1]
  assert inst.FindDisk("0") is inst.disks[0]


@pytest.mark.parametrize("idx, message", [
  (2, r"Invalid disk index: 2 \(instance inst1.example.com has disks 0..1\)"),
  (-1, "Invalid disk index: -1"),
  ("one", "Invalid disk index 'one'"),
  (None, "Invalid disk index None"),
  (True, "not an integer"),
  ])
def test_instance_find_disk_refuses(idx, message):
  with pytest.raises(errors.OpPrereqError, match=message) as info:
    _DrbdInstance().FindDisk(idx)
  assert info.value.args[1] == errors.ECODE_INVAL


def test_instance_upgrade_from_old_format_exactly():
  old = {
    "name": "inst1", "primary_node": "node1", "os": "debian-etch",
    "hypervisor": "xen-pvm",
    "hvparams": {"kernel_path": "/boot/vmlinuz", "migration_port": 8002,
                 "migration_mode": "live", "migration_bandwidth": 10},
    "beparams": {"memory": 512, "vcpus": 2},
    "admin_up": True,
    "nics": [{"mac": "aa:00:00:00:00:01", "ip": None}],
    "disks": [{"dev_type": "lvm", "logical_id": ["xenvg", "lv0"],
               "size": 1024, "iv_name": "disk/0"}],
    "disk_template": "plain", "serial_no": 3, "ctime": 1.0, "mtime": 2.0,
    "tags": ["a"],
    }
  pristine = copy.deepcopy(old)
  inst = objects.Instance.FromDict(old)
  assert old == pristine, "FromDict must not change its argument"
  inst.UpgradeConfig()
  data = inst.ToDict()
  assert UUID_RE.match(data.pop("uuid"))
  assert data == {
    "name": "inst1", "primary_node": "node1", "os": "debian-etch",
    "hypervisor": "xen-pvm",
    "hvparams": {"kernel_path": "/boot/vmlinuz"},
    "beparams": {"maxmem": 512, "minmem": 512, "vcpus": 2},
    "osparams": {},
    "admin_state": "up",
    "nics": [{"mac": "aa:00:00:00:00:01", "nicparams": {}}],
    "disks": [{"dev_type": "lvm", "logical_id": ["xenvg", "lv0"],
               "size": 1024, "iv_name": "disk/0", "mode": "rw",
               "params": {}}],
    "disk_template": "plain", "serial_no": 3, "ctime": 1.0, "mtime": 2.0,
    "tags": ["a"],
    }


@pytest.mark.parametrize("given_fields, expected", [
  ({"admin_up": False}, "down"),
  ({"admin_up": True, "admin_state": "offline"}, "offline"),
  ({}, None),
  ])
def test_instance_admin_up_conversion(given_fields, expected):
  inst = objects.Instance.FromDict(dict(name="i", **given_fields))
  assert inst.admin_state == expected
  inst.UpgradeConfig()
  assert inst.admin_state == (expected or constants.ADMINST_DOWN)


def test_instance_upgrade_keeps_uuid_and_fills_empty():
  inst = objects.Instance(name="i", uuid="u-1", serial_no=7)
  inst.UpgradeConfig()
  assert (inst.uuid, inst.serial_no) == ("u-1", 7)
  assert (inst.hvparams, inst.beparams, inst.osparams) == ({}, {}, {})
  assert (inst.nics, inst.disks) == ([], [])


@pytest.mark.parametrize("data, message", [
  ({"nics": "aa:bb"}, "Instance.nics must be a list"),
  ({"disks": {"0": {}}}, "Instance.disks must be a list"),
  ({"disks": [{"dev_type": "lvm", "colour": "red"}]},
   "Unknown attribute 'colour' in Disk data"),
  ({"nics": [{"bridge": "br0"}]}, "Unknown attribute 'bridge' in NIC data"),
  ({"name": "i", "memory": 128}, "Unknown attribute 'memory' in Instance"),
  (["name", "i"], "Cannot build Instance from list"),
  ])
def test_instance_from_dict_refuses_garbage(data, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.Instance.FromDict(data)


# OS

@pytest.mark.parametrize("name, os_name, variant", [
  ("debootstrap+default", "debootstrap", "default"),
  ("debootstrap", "debootstrap", ""),
  ("a+b+c", "a", "b+c"),
  ("", "", ""),
  ])
def test_os_name_variant(name, os_name, variant):
  assert objects.OS.SplitNameVariant(name) == [os_name, variant]
  assert objects.OS.GetName(name) == os_name
  assert objects.OS.GetVariant(name) == variant


def test_os_name_must_be_string():
  with pytest.raises(errors.ProgrammerError, match="OS name must be a"
                     " string"):
    objects.OS.GetName(None)


def test_os_round_trip():
  os_obj = objects.OS(name="debootstrap", path="/srv/ganeti/os/debootstrap",
                      api_versions=[20, 15], create_script="create",
                      export_script="export", import_script="import",
                      rename_script="rename", verify_script="verify",
                      supported_variants=["default"],
                      supported_parameters=[["dhcp", "use dhcp"]],
                      status=True)
  assert _JsonRoundTrip(os_obj) == os_obj


# Node

def test_node_upgrade_config_defaults():
  node = objects.Node.FromDict({"name": "node1", "primary_ip": "192.0.2.1",
                                "secondary_ip": "192.0.2.1",
                                "master_candidate": True})
  node.UpgradeConfig()
  data = node.ToDict()
  assert UUID_RE.match(data.pop("uuid"))
  assert data == {"name": "node1", "primary_ip": "192.0.2.1",
                  "secondary_ip": "192.0.2.1", "master_candidate": True,
                  "offline": False, "drained": False, "master_capable": True,
                  "vm_capable": True, "powered": True, "ndparams": {},
                  "serial_no": 1}


def test_node_upgrade_keeps_values():
  node = objects.Node(name="n", master_capable=False, vm_capable=False,
                      powered=False, ndparams={"spindle_count": 4},
                      uuid="x", serial_no=9, offline=True)
  node.UpgradeConfig()
  assert (node.master_capable, node.vm_capable, node.powered, node.offline) \
    == (False, False, False, True)
  assert node.ndparams == {"spindle_count": 4}
  assert (node.uuid, node.serial_no) == ("x", 9)


def test_node_round_trip_and_garbage():
  node = objects.Node(name="n", group="g-uuid", tags={"x", "y"},
                      hv_state_static={"kvm": {"mem_total": 1024}},
                      disk_state_static={"lvm": {"xenvg": {"disk_total": 1}}})
  assert _JsonRoundTrip(node) == node
  with pytest.raises(errors.ConfigurationError, match="Unknown attribute"
                     " 'hv_state' in Node data"):
    objects.Node.FromDict({"hv_state": {}})


# NodeGroup

def test_nodegroup_members_not_stored():
  group = objects.NodeGroup(name="default", members=["node1", "node2"],
                            uuid="g1")
  data = group.ToDict()
  assert "members" not in data
  loaded = objects.NodeGroup.FromDict(dict(data, members=["stale"]))
  assert loaded.members == []
  clone = group.Copy()
  assert clone.members == ["node1", "node2"]
  assert clone.members is not group.members


def test_nodegroup_upgrade_config():
  before = time.time()
  group = objects.NodeGroup.FromDict({"name": "default"})
  group.UpgradeConfig()
  assert group.alloc_policy == constants.ALLOC_POLICY_PREFERRED
  assert group.ndparams == {} and group.diskparams == {}
  assert group.ipolicy == objects.MakeEmptyIPolicy()
  assert group.serial_no == 1 and UUID_RE.match(group.uuid)
  assert group.ctime is None
  assert before <= group.mtime <= time.time()
  kept = objects.NodeGroup(name="g", alloc_policy="unallocable", mtime=5.0,
                           ipolicy={})
  kept.UpgradeConfig()
  assert (kept.alloc_policy, kept.mtime, kept.ipolicy) == \
    ("unallocable", 5.0, {})


def test_nodegroup_fill_nd():
  group = objects.NodeGroup(ndparams={"spindle_count": 2, "oob_program": "/g"})
  node = objects.Node(ndparams={"oob_program": "/n"})
  assert group.FillND(node) == {"spindle_count": 2, "oob_program": "/n"}
  assert group.SimpleFillND(None) == {"spindle_count": 2, "oob_program": "/g"}
  assert objects.NodeGroup().SimpleFillND({"a": 1}) == {"a": 1}


# Cluster

def _UpgradedCluster(**kwargs):
  cluster = objects.Cluster(cluster_name="cluster.example.com", **kwargs)
  cluster.UpgradeConfig()
  return cluster


def test_cluster_upgrade_fills_everything():
  cluster = _UpgradedCluster()
  assert cluster.hvparams == constants.HVC_DEFAULTS
  assert cluster.hvparams is not constants.HVC_DEFAULTS
  assert cluster.beparams == {constants.PP_DEFAULT: constants.BEC_DEFAULTS}
  assert cluster.nicparams == {constants.PP_DEFAULT: constants.NICC_DEFAULTS}
  assert cluster.ndparams == constants.NDC_DEFAULTS
  assert cluster.diskparams == constants.DISK_DT_DEFAULTS
  assert cluster.ipolicy == constants.IPOLICY_DEFAULTS
  assert cluster.enabled_hypervisors == [constants.DEFAULT_ENABLED_HYPERVISOR]
  assert cluster.tcpudp_port_pool == set()
  assert cluster.master_netmask == 32
  assert cluster.primary_ip_family == socket.AF_INET
  assert (cluster.os_hvp, cluster.osparams) == ({}, {})
  assert (cluster.uid_pool, cluster.reserved_lvs, cluster.hidden_os,
          cluster.blacklisted_os) == ([], [], [], [])
  assert cluster.modify_etc_hosts is True and cluster.modify_ssh_setup is True
  assert cluster.maintain_node_health is False
  assert cluster.prealloc_wipe_disks is False
  assert cluster.use_external_mip_script is False
  assert cluster.default_iallocator == ""
  assert cluster.shared_file_storage_dir == ""
  assert cluster.candidate_pool_size == constants.MASTER_POOL_SIZE_DEFAULT
  assert UUID_RE.match(cluster.uuid) and cluster.serial_no == 1
  # Upgrading twice changes nothing more
  before = cluster.ToDict()
  cluster.UpgradeConfig()
  assert cluster.ToDict() == before


def test_cluster_upgrade_from_old_format():
  old = {
    "cluster_name": "c", "default_bridge": "xen-br1",
    "default_hypervisor": "kvm", "enabled_hypervisors": ["xen-pvm", "kvm"],
    "hvparams": {"kvm": {"acpi": False}},
    "beparams": {"default": {"memory": 256, "vcpus": 2}},
    "tcpudp_port_pool": [11002, 11001], "primary_ip_family": socket.AF_INET6,
    "ipolicy": {"vcpu-ratio": 2.0, "min": {"memory-size": 64}},
    }
  cluster = objects.Cluster.FromDict(old)
  assert cluster.tcpudp_port_pool == {11001, 11002}
  cluster.UpgradeConfig()
  assert cluster.enabled_hypervisors == ["kvm", "xen-pvm"]
  assert cluster.default_hypervisor is None and cluster.default_bridge is None
  assert cluster.nicparams[constants.PP_DEFAULT][constants.NIC_LINK] == \
    "xen-br1"
  assert cluster.hvparams["kvm"]["acpi"] is False
  assert cluster.hvparams["kvm"]["boot_order"] == \
    constants.HVC_DEFAULTS["kvm"]["boot_order"]
  assert set(cluster.hvparams) == {"kvm"}
  assert cluster.beparams[constants.PP_DEFAULT] == dict(
    constants.BEC_DEFAULTS, maxmem=256, minmem=256, vcpus=2)
  assert cluster.master_netmask == 128
  assert cluster.ipolicy[constants.IPOLICY_VCPU_RATIO] == 2.0
  assert cluster.ipolicy[constants.ISPECS_MIN]["memory-size"] == 64
  assert cluster.ipolicy[constants.ISPECS_MAX] == \
    constants.IPOLICY_DEFAULTS[constants.ISPECS_MAX]
  assert cluster.ToDict()["tcpudp_port_pool"] == [11001, 11002]


def test_cluster_upgrade_keeps_existing_nicparams():
  cluster = _UpgradedCluster(default_bridge="ignored",
                             nicparams={"default": {"link": "br9"}})
  assert cluster.nicparams["default"] == {"mode": "bridged", "link": "br9"}


@pytest.mark.parametrize("kwargs, message", [
  (dict(hvparams={"vmware": {}}), "unknown hypervisor 'vmware'"),
  (dict(hvparams=["kvm"]), "hvparams must be a dict"),
  (dict(primary_ip_family=99), "Unknown primary IP family 99"),
  (dict(beparams="x"), "Grouped parameters must be a dict"),
  (dict(ipolicy=[1]), "instance policy must be a dict"),
  (dict(diskparams={"floppy": {}}), "unknown disk template.*floppy"),
  ])
def test_cluster_upgrade_refuses_garbage(kwargs, message):
  with pytest.raises(errors.ConfigurationError, match=message):
    _UpgradedCluster(**kwargs)


def test_cluster_from_dict_refuses_bad_port_pool():
  with pytest.raises(errors.ConfigurationError, match="tcpudp_port_pool must"
                     " be a list"):
    objects.Cluster.FromDict({"tcpudp_port_pool": 11000})


def test_cluster_primary_hypervisor():
  cluster = _UpgradedCluster(enabled_hypervisors=["kvm", "fake"])
  assert cluster.primary_hypervisor == "kvm"


def test_fill_hv_precedence_cluster_os_instance():
  cluster = _UpgradedCluster(
    hvparams={"kvm": {"kernel_args": "cluster", "acpi": True,
                      "kernel_path": "/cluster"}},
    os_hvp={"debian": {"kvm": {"kernel_args": "os", "kernel_path": "/os"}},
            "debian+big": {"kvm": {"kernel_args": "variant"}}})
  inst = objects.Instance(hypervisor="kvm", os="debian",
                          hvparams={"kernel_path": "/inst"})
  filled = cluster.FillHV(inst)
  assert filled["kernel_args"] == "os"
  assert filled["kernel_path"] == "/inst"
  assert filled["acpi"] is True
  assert filled["migration_port"] == \
    constants.HVC_DEFAULTS["kvm"]["migration_port"]
  # os_hvp is looked up by the full name, as Ganeti does
  assert cluster.SimpleFillHV("kvm", "debian+big", {})["kernel_args"] == \
    "variant"
  assert cluster.SimpleFillHV("kvm", None, {})["kernel_args"] == "cluster"
  without_globals = cluster.FillHV(inst, skip_globals=True)
  assert not set(without_globals) & constants.HVC_GLOBALS
  expected = dict(cluster.hvparams["kvm"], kernel_args="os",
                  kernel_path="/os")
  del expected["acpi"]
  assert cluster.GetHVDefaults("kvm", "debian", skip_keys=["acpi"]) == \
    expected
  assert cluster.GetHVDefaults("xen-hvm") == {}


def test_fill_hv_does_not_modify_sources():
  cluster = _UpgradedCluster()
  inst = objects.Instance(hypervisor="kvm", os="x", hvparams={"acpi": False})
  filled = cluster.FillHV(inst)
  filled["acpi"] = "changed"
  filled["boot_order"] = "changed"
  assert inst.hvparams == {"acpi": False}
  assert cluster.hvparams["kvm"]["boot_order"] == \
    constants.HVC_DEFAULTS["kvm"]["boot_order"]


def test_fill_be_nic_os():
  cluster = _UpgradedCluster(osparams={"debian": {"a": "1", "b": "1"},
                                       "debian+x": {"b": "2", "c": "2"}})
  inst = objects.Instance(beparams={constants.BE_VCPUS: 4})
  assert cluster.FillBE(inst) == dict(constants.BEC_DEFAULTS, vcpus=4)
  assert cluster.SimpleFillBE(None) == constants.BEC_DEFAULTS
  assert cluster.SimpleFillNIC({"link": "br1"}) == {"mode": "bridged",
                                                   "link": "br1"}
  assert cluster.SimpleFillOS("debian+x", {"c": "3"}) == {"a": "1", "b": "2",
                                                          "c": "3"}
  assert cluster.SimpleFillOS("debian", {}) == {"a": "1", "b": "1"}
  assert cluster.SimpleFillOS("other", {"z": 1}) == {"z": 1}


def test_fill_nd_precedence_cluster_group_node():
  cluster = _UpgradedCluster(ndparams={"oob_program": "/cluster"})
  group = objects.NodeGroup(ndparams={"spindle_count": 3})
  node = objects.Node(ndparams={"oob_program": "/node"})
  assert cluster.FillND(node, group) == {"oob_program": "/node",
                                         "spindle_count": 3}
  node.ndparams = {}
  assert cluster.FillND(node, group) == {"oob_program": "/cluster",
                                         "spindle_count": 3}
  assert cluster.SimpleFillND({}) == {"oob_program": "/cluster",
                                      "spindle_count": 1}


def test_fill_ipolicy_and_diskparams_from_cluster():
  cluster = _UpgradedCluster()
  group_policy = {constants.ISPECS_MIN: {"cpu-count": 2}}
  filled = cluster.SimpleFillIPolicy(group_policy)
  assert filled[constants.ISPECS_MIN]["cpu-count"] == 2
  assert filled[constants.ISPECS_STD] == \
    constants.IPOLICY_DEFAULTS[constants.ISPECS_STD]
  assert cluster.SimpleFillIPolicy(None) == constants.IPOLICY_DEFAULTS
  dparams = cluster.SimpleFillDP({constants.DT_PLAIN: {"stripes": 3}})
  assert dparams[constants.DT_PLAIN]["stripes"] == 3
  assert dparams[constants.DT_DRBD8] == \
    constants.DISK_DT_DEFAULTS[constants.DT_DRBD8]


# Module-level helpers

def test_fill_disk_params():
  result = objects.FillDiskParams(constants.DISK_DT_DEFAULTS,
                                  {constants.DT_DRBD8: {"metavg": "m"}},
                                  skip_keys=["resync-rate"])
  assert set(result) == set(constants.DISK_TEMPLATES)
  assert result[constants.DT_DRBD8]["metavg"] == "m"
  assert "resync-rate" not in result[constants.DT_DRBD8]
  assert objects.FillDiskParams({}, None) == dict(
    (dt, {}) for dt in constants.DISK_TEMPLATES)
  with pytest.raises(errors.ConfigurationError, match="custom disk"
                     " parameters must be a dict"):
    objects.FillDiskParams({}, [])
  with pytest.raises(errors.ConfigurationError, match="unknown disk"
                     " template.*: lvm"):
    objects.FillDiskParams({}, {"lvm": {}})


def test_upgrade_disk_and_nd_params():
  assert objects.UpgradeDiskParams(None) == constants.DISK_DT_DEFAULTS
  partial = objects.UpgradeDiskParams({constants.DT_PLAIN: {"stripes": 2}})
  assert partial[constants.DT_PLAIN] == {"stripes": 2}
  assert objects.UpgradeNDParams(None) == constants.NDC_DEFAULTS
  assert objects.UpgradeNDParams({"spindle_count": 5})["spindle_count"] == 5


def test_upgrade_grouped_params():
  defaults = {"a": 1, "b": 2}
  assert objects.UpgradeGroupedParams(None, defaults) == {
    constants.PP_DEFAULT: {"a": 1, "b": 2}}
  target = {"custom": {"a": 5}}
  result = objects.UpgradeGroupedParams(target, defaults)
  assert result is target
  assert result == {"custom": {"a": 5, "b": 2},
                    constants.PP_DEFAULT: {"a": 1, "b": 2}}


def test_upgrade_be_params():
  params = {constants.BE_MEMORY: 512, constants.BE_VCPUS: 1}
  objects.UpgradeBeParams(params)
  assert params == {constants.BE_MAXMEM: 512, constants.BE_MINMEM: 512,
                    constants.BE_VCPUS: 1}
  same = {constants.BE_MAXMEM: 1024}
  objects.UpgradeBeParams(same)
  assert same == {constants.BE_MAXMEM: 1024}
  objects.UpgradeBeParams(None)
  with pytest.raises(errors.ConfigurationError, match="Backend parameters"
                     " must be a dict"):
    objects.UpgradeBeParams([("memory", 1)])


# ConfigData

def _OldConfigDict():
  return {
    "version": 2050000,
    "cluster": {"cluster_name": "c.example.com", "master_node": "node1",
                "tcpudp_port_pool": [], "enabled_hypervisors": ["kvm"],
                "beparams": {"default": {"memory": 128}}},
    "nodes": {
      "node1": {"name": "node1", "primary_ip": "192.0.2.1",
                "secondary_ip": "198.51.100.1", "master_candidate": True,
                "group": "g1"},
      "node2": {"name": "node2", "primary_ip": "192.0.2.2",
                "secondary_ip": "198.51.100.2", "group": "g1"},
      },
    "nodegroups": {"g1": {"name": "default", "uuid": "g1"}},
    "instances": {
      "inst1": {"name": "inst1", "primary_node": "node1", "admin_up": True,
                "hypervisor": "kvm", "os": "debian",
                "beparams": {"memory": 256},
                "hvparams": {"migration_port": 1},
                "disk_template": "drbd",
                "disks": [{"dev_type": "drbd8", "size": 1024,
                           "logical_id": ["node1", "node2", 11000, 0, 0, "s"],
                           "children": [
                             {"dev_type": "lvm", "size": 1024,
                              "logical_id": ["xenvg", "a_data"]},
                             {"dev_type": "lvm", "size": 128,
                              "logical_id": ["xenvg", "a_meta"]}]}],
                "nics": []},
      },
    "serial_no": 12, "ctime": 1.0, "mtime": 2.0,
    }


def test_config_data_load_and_upgrade():
  data = objects.ConfigData.FromDict(_OldConfigDict())
  assert isinstance(data.cluster, objects.Cluster)
  assert isinstance(data.nodes["node1"], objects.Node)
  assert isinstance(data.nodegroups["g1"], objects.NodeGroup)
  inst = data.instances["inst1"]
  assert isinstance(inst.disks[0].children[0], objects.Disk)
  assert data.HasAnyDiskOfType(constants.LD_DRBD8)
  assert data.HasAnyDiskOfType(constants.LD_LV)
  assert not data.HasAnyDiskOfType(constants.LD_FILE)
  data.UpgradeConfig()
  assert data.cluster.drbd_usermode_helper == constants.DEFAULT_DRBD_HELPER
  assert data.cluster.beparams["default"]["maxmem"] == 128
  assert inst.admin_state == "up"
  assert inst.beparams == {"maxmem": 256, "minmem": 256}
  assert inst.hvparams == {}
  assert inst.secondary_nodes == ("node2",)
  assert data.nodes["node2"].vm_capable is True
  assert data.nodegroups["g1"].alloc_policy == "preferred"
  assert data.serial_no == 12
  assert _JsonRoundTrip(data) == data


def test_config_data_upgrade_without_drbd_leaves_helper():
  raw = _OldConfigDict()
  raw["instances"] = {}
  data = objects.ConfigData.FromDict(raw)
  data.UpgradeConfig()
  assert data.cluster.drbd_usermode_helper is None
  assert not data.HasAnyDiskOfType(constants.LD_DRBD8)


def test_config_data_upgrade_fills_missing_containers():
  data = objects.ConfigData(cluster=objects.Cluster(cluster_name="c"))
  data.UpgradeConfig()
  assert (data.nodes, data.instances, data.nodegroups) == ({}, {}, {})
  assert data.serial_no == 1
  assert set(data.ToDict()) == {"cluster", "nodes", "instances",
                                "nodegroups", "serial_no"}


def test_config_data_upgrade_needs_cluster():
  with pytest.raises(errors.ConfigurationError, match="no cluster section"):
    objects.ConfigData().UpgradeConfig()


@pytest.mark.parametrize("mutate, message", [
  (lambda d: d.update(nodes=[]), "ConfigData.nodes must be a dict"),
  (lambda d: d.update(instances="x"), "ConfigData.instances must be a dict"),
  (lambda d: d.update(nodegroups=5), "ConfigData.nodegroups must be a dict"),
  (lambda d: d.update(cluster=[]), "Cannot build Cluster from list"),
  (lambda d: d["nodes"]["node1"].update(colour="red"),
   "Unknown attribute 'colour' in Node data"),
  (lambda d: d.update(extra=1), "Unknown attribute 'extra' in ConfigData"),
  ])
def test_config_data_from_dict_refuses_garbage(mutate, message):
  raw = _OldConfigDict()
  mutate(raw)
  with pytest.raises(errors.ConfigurationError, match=message):
    objects.ConfigData.FromDict(raw)


# SerializableConfigParser

def test_serializable_config_parser_round_trip():
  parser = objects.SerializableConfigParser()
  parser.add_section("instance")
  parser.set("instance", "name", "inst1")
  parser.set("instance", "hypervisor_kernel_args", "ro 100%")
  text = parser.Dumps()
  assert "[instance]" in text and "name = inst1" in text
  loaded = objects.SerializableConfigParser.Loads(text)
  assert loaded.get("instance", "hypervisor_kernel_args") == "ro 100%"
  assert loaded.Dumps() == text


def test_serializable_config_parser_refuses_garbage():
  with pytest.raises(errors.ConfigurationError, match="Invalid INI data"):
    objects.SerializableConfigParser.Loads("no section header\n")
  with pytest.raises(errors.ConfigurationError, match="expected a string"):
    objects.SerializableConfigParser.Loads(b"[a]\n")


# Property tests: random valid objects survive ToDict -> JSON -> FromDict

_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.",
                 min_size=1, max_size=12)
_TAGS = st.sets(st.from_regex(r"\A[a-z0-9:._-]{1,10}\Z"), max_size=4)
_JSON_SCALARS = (st.none() | st.booleans() | st.integers(-2**40, 2**40) |
                 st.floats(allow_nan=False, allow_infinity=False) |
                 st.text(max_size=8))
_PARAMS = st.dictionaries(_NAMES, _JSON_SCALARS, max_size=4)
_TIMES = st.none() | st.floats(min_value=0, max_value=2e9)


@st.composite
def _LvDisks(draw, size=None):
  return objects.Disk(dev_type=constants.LD_LV,
                      logical_id=(draw(_NAMES), draw(_NAMES)),
                      size=size if size is not None else
                      draw(st.integers(0, 2**30)),
                      mode=draw(st.sampled_from(["rw", "ro"])),
                      params=draw(st.none() | _PARAMS))


@st.composite
def _AnyDisks(draw):
  if draw(st.booleans()):
    disk = draw(_LvDisks())
  else:
    size = draw(st.integers(0, 2**30))
    disk = objects.Disk(
      dev_type=constants.LD_DRBD8,
      logical_id=(draw(_NAMES), draw(_NAMES), draw(st.integers(1, 65535)),
                  draw(st.integers(0, 255)), draw(st.integers(0, 255)),
                  draw(st.text(max_size=10))),
      children=[draw(_LvDisks(size=size)), draw(_LvDisks(size=128))],
      size=size, mode="rw")
  disk.iv_name = draw(st.none() | st.just("disk/0"))
  return disk


@st.composite
def _Instances(draw):
  return objects.Instance(
    name=draw(_NAMES), primary_node=draw(_NAMES), os=draw(_NAMES),
    hypervisor=draw(st.sampled_from(sorted(constants.HVC_DEFAULTS))),
    hvparams=draw(_PARAMS), beparams=draw(_PARAMS), osparams=draw(_PARAMS),
    admin_state=draw(st.sampled_from(["up", "down", "offline"])),
    nics=draw(st.lists(st.builds(objects.NIC, mac=_NAMES,
                                 ip=st.none() | _NAMES, nicparams=_PARAMS),
                       max_size=3)),
    disks=draw(st.lists(_AnyDisks(), max_size=3)),
    disk_template=draw(st.sampled_from(sorted(constants.DISK_TEMPLATES))),
    network_port=draw(st.none() | st.integers(0, 65535)),
    serial_no=draw(st.integers(1, 10**6)), ctime=draw(_TIMES),
    mtime=draw(_TIMES), uuid=draw(st.uuids().map(str)), tags=draw(_TAGS))


_NODES = st.builds(
  objects.Node, name=_NAMES, primary_ip=_NAMES, secondary_ip=_NAMES,
  serial_no=st.integers(1, 100), master_candidate=st.booleans(),
  offline=st.booleans(), drained=st.booleans(), group=_NAMES,
  master_capable=st.booleans(), vm_capable=st.booleans(),
  ndparams=_PARAMS, powered=st.none() | st.booleans(), ctime=_TIMES,
  mtime=_TIMES, uuid=st.uuids().map(str), tags=_TAGS)

_GROUPS = st.builds(
  objects.NodeGroup, name=_NAMES, ndparams=_PARAMS,
  diskparams=st.dictionaries(st.sampled_from(sorted(constants.DISK_TEMPLATES)),
                             _PARAMS, max_size=2),
  ipolicy=st.just(objects.MakeEmptyIPolicy()), serial_no=st.integers(1, 99),
  alloc_policy=st.sampled_from(["preferred", "last_resort", "unallocable"]),
  ctime=_TIMES, mtime=_TIMES, uuid=st.uuids().map(str), tags=_TAGS)

_CLUSTERS = st.builds(
  objects.Cluster, cluster_name=_NAMES, master_node=_NAMES,
  tcpudp_port_pool=st.sets(st.integers(1024, 65535), max_size=5),
  enabled_hypervisors=st.lists(st.sampled_from(sorted(constants.HVC_DEFAULTS)),
                               min_size=1, max_size=3),
  beparams=st.dictionaries(st.just("default"), _PARAMS),
  os_hvp=st.dictionaries(_NAMES, st.dictionaries(st.just("kvm"), _PARAMS),
                         max_size=2),
  candidate_pool_size=st.integers(1, 20), hidden_os=st.lists(_NAMES),
  uid_pool=st.lists(st.tuples(st.integers(0, 9), st.integers(10, 99)).map(
    list), max_size=2),
  ctime=_TIMES, uuid=st.uuids().map(str), tags=_TAGS)


@settings(max_examples=60, deadline=None)
@given(_Instances())
def test_property_instance_json_round_trip(inst):
  loaded = _JsonRoundTrip(inst)
  assert loaded == inst
  for (orig, new) in zip(inst.disks, loaded.disks):
    assert new.logical_id == orig.logical_id
    assert isinstance(new.logical_id, tuple)


@settings(max_examples=40, deadline=None)
@given(_NODES, _GROUPS, _CLUSTERS)
def test_property_node_group_cluster_json_round_trip(node, group, cluster):
  assert _JsonRoundTrip(node) == node
  assert _JsonRoundTrip(group) == group
  loaded = _JsonRoundTrip(cluster)
  assert loaded == cluster
  assert loaded.tcpudp_port_pool == cluster.tcpudp_port_pool


@settings(max_examples=25, deadline=None)
@given(_CLUSTERS, st.lists(_NODES, max_size=3), st.lists(_Instances(),
                                                         max_size=3))
def test_property_config_data_round_trip_and_upgrade_idempotent(cluster,
                                                                 nodes,
                                                                 instances):
  data = objects.ConfigData(
    version=constants.CONFIG_VERSION, cluster=cluster,
    nodes=dict((n.name, n) for n in nodes),
    instances=dict((i.name, i) for i in instances), nodegroups={},
    serial_no=1, ctime=1.0, mtime=1.0)
  assert _JsonRoundTrip(data) == data
  data.UpgradeConfig()
  upgraded = data.ToDict()
  again = objects.ConfigData.FromDict(simplejson.loads(simplejson.dumps(
    upgraded)))
  again.UpgradeConfig()
  assert again.ToDict() == upgraded
