"""Tests for ganeti.cmdlib.instance_storage: disk layouts, creation with
rollback, removal, activation, wiping, sync waits, free space checks and
the disk LUs (activate, deactivate, grow, recreate).

The configuration, locks and mcpu are real; node calls go to the
recording runner of test_instance_testlib.py.
"""

import importlib.util
import pathlib

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import opcodes
from ganeti.cmdlib import instance_storage

_SPEC = importlib.util.spec_from_file_location(
  "instance_testlib",
  pathlib.Path(__file__).parent / "test_instance_testlib.py")
tl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tl)

ctx = tl.ctx


@pytest.fixture
def lu(ctx):
  return tl.FakeLU(ctx)


def _Spec(size, **kwargs):
  spec = {constants.IDISK_SIZE: size, constants.IDISK_MODE: "rw",
          constants.IDISK_VG: tl.VG}
  spec.update(kwargs)
  return spec


def _Generate(ctx, lu, template, specs, snodes=(), file_dir=None,
              base_index=0):
  return instance_storage.GenerateDiskTemplate(
    lu, template, "inst1.example.com", tl.NODE2, list(snodes), specs,
    file_dir, None, base_index, None,
    instance_storage.GetDiskParamsForNode(ctx.cfg, tl.NODE2))


# -- layouts -------------------------------------------------------------------

def test_generate_plain(ctx, lu):
  disks = _Generate(ctx, lu, constants.DT_PLAIN,
                    [_Spec(1024), _Spec(512, mode="ro", vg="othervg")],
                    base_index=2)
  assert [d.dev_type for d in disks] == [constants.LD_LV] * 2
  assert [d.iv_name for d in disks] == ["disk/2", "disk/3"]
  assert disks[0].logical_id[0] == tl.VG
  assert disks[0].logical_id[1].endswith(".disk2")
  assert disks[1].logical_id[0] == "othervg"
  assert disks[1].logical_id[1].endswith(".disk3")
  assert disks[1].mode == "ro" and disks[1].size == 512
  assert disks[0].params == {constants.LDP_STRIPES: 1}
  assert disks[0].logical_id[1] != disks[1].logical_id[1]


def test_generate_drbd(ctx, lu):
  disks = _Generate(ctx, lu, constants.DT_DRBD8, [_Spec(1024), _Spec(256)],
                    snodes=[tl.NODE3])
  (first, second) = disks
  (pnode, snode, port, pminor, sminor, secret) = first.logical_id
  assert (pnode, snode) == (tl.NODE2, tl.NODE3)
  assert port == constants.FIRST_DRBD_PORT
  assert second.logical_id[2] == port + 1
  assert (pminor, sminor) == (0, 0)
  assert second.logical_id[3:5] == (1, 1)
  assert secret and secret != second.logical_id[5]
  (data, meta) = first.children
  assert data.size == 1024 and meta.size == constants.DRBD_META_SIZE
  assert data.logical_id[1].endswith(".disk0_data")
  assert meta.logical_id == (tl.VG, data.logical_id[1][:-5] + "_meta")
  assert first.params[constants.LDP_RESYNC_RATE] == \
    constants.CLASSIC_DRBD_SYNC_SPEED
  # the minors are reserved until the instance is added
  assert ctx.cfg.ComputeDRBDMap()[tl.NODE2] == {0: "inst1.example.com",
                                                1: "inst1.example.com"}
  ctx.cfg.ReleaseDRBDMinors("inst1.example.com")


def test_generate_drbd_metavg(ctx, lu):
  disks = _Generate(ctx, lu, constants.DT_DRBD8,
                    [_Spec(1024, metavg="fastvg")], snodes=[tl.NODE3])
  assert disks[0].children[1].logical_id[0] == "fastvg"
  ctx.cfg.ReleaseDRBDMinors("inst1.example.com")


def test_generate_drbd_needs_one_other_secondary(ctx, lu):
  with pytest.raises(errors.OpPrereqError):
    _Generate(ctx, lu, constants.DT_DRBD8, [_Spec(1)])
  with pytest.raises(errors.OpPrereqError):
    _Generate(ctx, lu, constants.DT_DRBD8, [_Spec(1)], snodes=[tl.NODE2])


@pytest.mark.parametrize("template", [constants.DT_FILE,
                                      constants.DT_SHARED_FILE])
def test_generate_file(ctx, lu, template):
  disks = _Generate(ctx, lu, template, [_Spec(100), _Spec(200)],
                    file_dir="/srv/x/inst1.example.com")
  assert [d.logical_id for d in disks] == [
    ("loop", "/srv/x/inst1.example.com/disk0"),
    ("loop", "/srv/x/inst1.example.com/disk1")]
  assert all(d.dev_type == constants.LD_FILE for d in disks)


def test_generate_blockdev_and_diskless(ctx, lu):
  disks = _Generate(ctx, lu, constants.DT_BLOCK,
                    [_Spec(10, adopt="/dev/loop3")])
  assert disks[0].dev_type == constants.LD_BLOCKDEV
  assert disks[0].logical_id == ("manual", "/dev/loop3")
  with pytest.raises(errors.OpPrereqError):
    _Generate(ctx, lu, constants.DT_BLOCK, [_Spec(10)])
  assert _Generate(ctx, lu, constants.DT_DISKLESS, []) == []
  with pytest.raises(errors.OpPrereqError):
    _Generate(ctx, lu, constants.DT_RBD, [_Spec(10)])


def test_compute_disk_size_per_vg():
  disks = [_Spec(1024), _Spec(512, vg="b"), _Spec(100, metavg="m")]
  assert instance_storage.ComputeDiskSizePerVG(constants.DT_PLAIN, disks) == \
    {tl.VG: 1124, "b": 512}
  assert instance_storage.ComputeDiskSizePerVG(constants.DT_DRBD8, disks) == \
    {tl.VG: 1024 + 128 + 100, "b": 512 + 128, "m": 128}
  assert instance_storage.ComputeDiskSizePerVG(constants.DT_FILE, disks) == {}


def test_check_nodes_free_disk(ctx, lu):
  instance_storage.CheckNodesFreeDiskPerVG(lu, [tl.NODE2, tl.NODE3],
                                           {tl.VG: 50000})
  ctx.rpc.vg_free = 100
  with pytest.raises(errors.OpPrereqError) as info:
    instance_storage.CheckNodesFreeDiskPerVG(lu, [tl.NODE2], {tl.VG: 101})
  assert info.value.args[0] == ("Not enough disk space on target node %s vg"
                                " %s: required 101 MiB, available 100 MiB" %
                                (tl.NODE2, tl.VG))
  assert info.value.args[1] == errors.ECODE_NORES


# -- creation and removal ------------------------------------------------------

def _Created(ctx):
  return [(node, args[0].logical_id, args[3])
          for (node, args) in ctx.rpc.Calls("blockdev_create")]


def test_create_disks_drbd_on_both_nodes(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100, 200])
  created = instance_storage.CreateDisks(lu, inst)
  assert [(node, on_primary) for (node, _, on_primary) in _Created(ctx)] == \
    [(tl.NODE2, True), (tl.NODE3, False), (tl.NODE2, True), (tl.NODE3, False)]
  assert [node for (node, _) in created] == [tl.NODE2, tl.NODE3] * 2
  (node, args) = ctx.rpc.Calls("blockdev_create")[1]
  # the disk sent to the secondary is seen from the secondary
  assert args[0].physical_id[0] == tl.HOSTS[tl.NODE3]
  assert args[1:] == (100, "inst1.example.com", False,
                      "originstname+inst1.example.com", False)


def test_create_disks_rolls_back_on_second_node_failure(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100, 200])
  # the second disk fails on the secondary
  ctx.rpc.Fail("blockdev_create", "lvcreate failed: no space",
               when=lambda node, disk, *args: (node == tl.NODE3 and
                                               disk.size == 200))
  with pytest.raises(errors.OpExecError) as info:
    instance_storage.CreateDisks(lu, inst)
  assert "lvcreate failed: no space" in info.value.args[0]
  assert "on node %s" % tl.NODE3 in info.value.args[0]
  removed = [(node, args[0].size) for (node, args)
             in ctx.rpc.Calls("blockdev_remove")]
  # the created ones in reverse order; not the failed one (the node cleans
  # up after itself, and the device may have existed before)
  assert removed == [(tl.NODE2, 200), (tl.NODE3, 100), (tl.NODE2, 100)]


def test_create_disks_target_node_and_skip(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN,
                        disks=[10, 20, 30])
  instance_storage.CreateDisks(lu, inst, to_skip=[1], target_node=tl.NODE3)
  assert [(node, lid[1]) for (node, lid, _) in _Created(ctx)] == [
    (tl.NODE3, "inst1.example.com.disk0"),
    (tl.NODE3, "inst1.example.com.disk2")]


def test_remove_disks_drbd_releases_ports(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  port = inst.disks[0].logical_id[2]
  assert instance_storage.RemoveDisks(lu, inst) is True
  assert [node for (node, _) in ctx.rpc.Calls("blockdev_remove")] == \
    [tl.NODE2, tl.NODE3]
  # the port stays taken while the instance is configured
  assert port not in ctx.cfg.GetClusterInfo().tcpudp_port_pool
  ctx.cfg.RemoveInstance(inst.name)
  instance_storage.ReleaseDRBDPorts(lu, inst)
  assert port in ctx.cfg.GetClusterInfo().tcpudp_port_pool


def test_remove_disks_failure(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  ctx.rpc.Fail("blockdev_remove", "device busy",
               when=lambda node, disk: node == tl.NODE2)
  assert instance_storage.RemoveDisks(lu, inst) is False
  assert "Could not remove disk 0 on node %s" % tl.NODE2 in lu.warnings[0]
  # an offline secondary does not count as a failure
  ctx.rpc.handlers["blockdev_remove"] = lambda node, disk: None
  ctx.rpc.offline.add(tl.NODE3)
  assert instance_storage.RemoveDisks(lu, inst) is True


def test_remove_disks_file_removes_directory(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_FILE,
                        disks=[10])
  assert instance_storage.RemoveDisks(lu, inst) is True
  assert ctx.rpc.Calls("file_storage_dir_remove") == [
    (tl.NODE2, (tl.FILE_DIR + "/inst1.example.com",))]


# -- activation ----------------------------------------------------------------

def test_assemble_two_passes(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  (ok, info) = instance_storage.AssembleInstanceDisks(lu, inst)
  assert ok
  assert info == [(tl.NODE2, "disk/0", "/dev/fake/inst1.example.com-0")]
  assert [(node, args[2]) for (node, args)
          in ctx.rpc.Calls("blockdev_assemble")] == \
    [(tl.NODE2, False), (tl.NODE3, False), (tl.NODE2, True)]


def test_assemble_secondary_failure(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  ctx.rpc.Fail("blockdev_assemble", "no drbd",
               when=lambda node, *args: node == tl.NODE3)
  assert instance_storage.AssembleInstanceDisks(lu, inst)[0] is False
  assert instance_storage.AssembleInstanceDisks(
    lu, inst, ignore_secondaries=True)[0] is True
  with pytest.raises(errors.OpExecError) as info:
    instance_storage.StartInstanceDisks(lu, inst, False)
  assert info.value.args[0] == "Disk consistency error"
  # the disks were shut down again
  assert ctx.rpc.Calls("blockdev_shutdown")


def test_assemble_ignore_size(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN,
                        disks=[100])
  instance_storage.AssembleInstanceDisks(lu, inst, ignore_size=True)
  assert all(args[0].size == 0
             for (_, args) in ctx.rpc.Calls("blockdev_assemble"))
  assert inst.disks[0].size == 100


def test_shutdown_disks(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  assert instance_storage.ShutdownInstanceDisks(lu, inst) is True
  ctx.rpc.Fail("blockdev_shutdown", "busy",
               when=lambda node, disk: node == tl.NODE2)
  assert instance_storage.ShutdownInstanceDisks(lu, inst) is False
  assert instance_storage.ShutdownInstanceDisks(lu, inst,
                                                ignore_primary=True) is True
  with pytest.raises(errors.ProgrammerError):
    instance_storage.ExpandCheckDisks(inst, [inst.disks[0].children[0]])


def test_wipe_disks_in_chunks(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN,
                        disks=[100, 20480])
  instance_storage.WipeDisks(lu, inst)
  wipes = [(args[0].size, args[1], args[2])
           for (_, args) in ctx.rpc.Calls("blockdev_wipe")]
  assert wipes[:10] == [(100, offset, 10) for offset in range(0, 100, 10)]
  assert wipes[10:] == [(20480, offset, 1024)
                        for offset in range(0, 20480, 1024)]
  ctx.rpc.Fail("blockdev_wipe", "I/O error")
  with pytest.raises(errors.OpExecError) as info:
    instance_storage.WipeDisks(lu, inst, disks=[1])
  assert "Could not wipe disk 1 at offset 0 for size 1024" in \
    info.value.args[0]


def test_wait_for_sync(ctx, lu):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  answers = [50.0, 90.0, None]
  sleeps = []

  def _Status(node, disks):
    percent = answers.pop(0)
    return [[True, {"sync_percent": percent, "estimated_time": 4,
                    "is_degraded": percent is not None}]]
  ctx.rpc.handlers["blockdev_getmirrorstatus"] = _Status
  assert instance_storage.WaitForSync(lu, inst, _sleep_fn=sleeps.append)
  assert sleeps == [4, 4]
  assert any("50.00% done" in line for line in lu.infos)
  # a mirror degraded without resync is reported after a few retries
  ctx.rpc.handlers["blockdev_getmirrorstatus"] = lambda node, disks: [
    [True, {"sync_percent": None, "is_degraded": True}]]
  assert not instance_storage.WaitForSync(lu, inst, _sleep_fn=sleeps.append)
  assert instance_storage.WaitForSync(lu, tl.AddInstance(
    ctx, "inst2.example.com", constants.DT_DISKLESS))


# -- LUs -----------------------------------------------------------------------

def test_lu_activate_disks(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[100])
  result = tl.Run(ctx, opcodes.OpInstanceActivateDisks(
    instance_name="inst1"))
  assert result == [[tl.NODE2, "disk/0", "/dev/fake/inst1.example.com-0"]]
  ctx.rpc.Fail("blockdev_assemble", "lvchange failed")
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, opcodes.OpInstanceActivateDisks(instance_name="inst1"))
  assert info.value.args[0] == "Cannot activate block devices"


def test_lu_deactivate_disks_refuses_running(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[100])
  ctx.rpc.handlers["instance_info"] = lambda node, name, hv: {"state": "r"}
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceDeactivateDisks(instance_name="inst1"))
  assert "is running, cannot shutdown disks" in info.value.args[0]
  assert ctx.rpc.Calls("blockdev_shutdown") == []
  tl.Run(ctx, opcodes.OpInstanceDeactivateDisks(instance_name="inst1",
                                                force=True))
  assert [node for (node, _) in ctx.rpc.Calls("blockdev_shutdown")] == \
    [tl.NODE2]


def test_lu_grow_disk_drbd(ctx):
  inst = tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[1024])
  tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=0,
                                         amount=512, wait_for_sync=True))
  grows = [(node, args[1], args[2], args[3])
           for (node, args) in ctx.rpc.Calls("blockdev_grow")]
  assert grows == [(tl.NODE2, 512, True, True), (tl.NODE3, 512, True, True),
                   (tl.NODE2, 512, False, True), (tl.NODE3, 512, False, True),
                   (tl.NODE2, 512, False, False)]
  disk = ctx.cfg.GetInstanceInfo(inst.name).disks[0]
  assert disk.size == 1536 and disk.children[0].size == 1536
  # the instance is down: the disk is deactivated again after the sync
  assert ctx.rpc.Calls("blockdev_shutdown")
  envs = tl.HooksEnvs(ctx, "disk-grow")
  assert envs[0][1]["GANETI_AMOUNT"] == "512"
  assert sorted(envs[0][0]) == sorted([tl.MASTER, tl.NODE2, tl.NODE3])


def test_lu_grow_disk_absolute_and_checks(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[1024])
  tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=0,
                                         amount=2048, absolute=True,
                                         wait_for_sync=False))
  assert ctx.cfg.GetInstanceInfo("inst1.example.com").disks[0].size == 2048
  assert [args[1] for (_, args) in ctx.rpc.Calls("blockdev_grow")] == \
    [1024, 1024]
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=0,
                                           amount=1000, absolute=True))
  assert "is smaller than the current disk size" in info.value.args[0]
  ctx.rpc.vg_free = 10
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=0,
                                           amount=11))
  assert "Not enough disk space" in info.value.args[0]
  with pytest.raises(errors.OpPrereqError):
    tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=3,
                                           amount=1))


def test_lu_grow_disk_failure_keeps_size(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[1024])
  ctx.rpc.Fail("blockdev_grow", "lvextend: insufficient extents",
               when=lambda node, disk, amount, dryrun, back: dryrun)
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, opcodes.OpInstanceGrowDisk(instance_name="inst1", disk=0,
                                           amount=10))
  assert "Dry-run grow request failed to node %s" % tl.NODE2 in \
    info.value.args[0]
  assert ctx.cfg.GetInstanceInfo("inst1.example.com").disks[0].size == 1024


def test_lu_recreate_disks_subset(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN,
                 disks=[10, 20])
  tl.Run(ctx, opcodes.OpInstanceRecreateDisks(instance_name="inst1",
                                              disks=[1]))
  assert [lid[1] for (_, lid, _) in _Created(ctx)] == \
    ["inst1.example.com.disk1"]


def test_lu_recreate_disks_new_nodes(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                 pnode=tl.NODE2, snode=tl.NODE3, disks=[100])
  ctx.rpc.offline.add(tl.NODE2)
  node2 = ctx.cfg.GetNodeInfo(tl.NODE2)
  (node2.offline, node2.master_candidate) = (True, False)
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceRecreateDisks(
      instance_name="inst1", nodes=[tl.NODE3], disks=[]))
  assert "currently has 2 nodes, but the new node list has 1" in \
    info.value.args[0]
  tl.Run(ctx, opcodes.OpInstanceRecreateDisks(
    instance_name="inst1", nodes=[tl.NODE3, tl.MASTER]))
  inst = ctx.cfg.GetInstanceInfo("inst1.example.com")
  assert inst.primary_node == tl.NODE3
  assert inst.disks[0].logical_id[:2] == (tl.NODE3, tl.MASTER)
  assert sorted(node for (node, _, _) in _Created(ctx)) == \
    sorted([tl.NODE3, tl.MASTER])


def test_lu_recreate_disks_refuses_running_and_bad_index(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[10])
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceRecreateDisks(instance_name="inst1",
                                                disks=[4]))
  assert "Invalid disk index '4'" in info.value.args[0]
  ctx.rpc.handlers["instance_info"] = lambda node, name, hv: {"state": "r"}
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, opcodes.OpInstanceRecreateDisks(instance_name="inst1"))
  assert "cannot recreate disks" in info.value.args[0]
  assert _Created(ctx) == []


def test_lu_recreate_disks_changes_size(ctx):
  tl.AddInstance(ctx, "inst1.example.com", constants.DT_PLAIN, disks=[10])
  tl.Run(ctx, opcodes.OpInstanceRecreateDisks(
    instance_name="inst1", disks=[[0, {constants.IDISK_SIZE: 64}]]))
  assert ctx.cfg.GetInstanceInfo("inst1.example.com").disks[0].size == 64
  assert ctx.rpc.Calls("blockdev_create")[0][1][1] == 64
