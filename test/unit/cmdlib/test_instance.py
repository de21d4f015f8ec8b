"""Tests for ganeti.cmdlib.instance: LUInstanceCreate (every template,
adoption, checks, rollback), LUInstanceRemove and LUInstanceRename.

The LUs run through a real mcpu.Processor, ConfigWriter and lock manager
on a virtual master below tmp_path (instance names resolve through its
hosts file); node calls go to the recording runner of
test_instance_testlib.py.  The same operations against live node daemons
are the integrator's integration tests.
"""

import importlib.util
import pathlib

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import opcodes

_SPEC = importlib.util.spec_from_file_location(
  "instance_testlib",
  pathlib.Path(__file__).parent / "test_instance_testlib.py")
tl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tl)

ctx = tl.ctx

NAME = "inst1.example.com"


def _CreateOp(**kwargs):
  params = dict(instance_name=NAME, mode=constants.INSTANCE_CREATE,
                disk_template=constants.DT_DISKLESS, disks=[], nics=[{}],
                os_type="dummy+default", pnode=tl.NODE2, ip_check=False,
                start=False, no_install=True, wait_for_sync=False)
  params.update(kwargs)
  return opcodes.OpInstanceCreate(**params)


def _PrereqError(ctx, op):
  with pytest.raises(errors.OpPrereqError) as info:
    tl.Run(ctx, op)
  return info.value


def _LockExists(ctx, name):
  ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
  try:
    ctx.glm.acquire(locking.LEVEL_INSTANCE, [name])
    ctx.glm.release(locking.LEVEL_INSTANCE)
    return True
  except errors.LockError:
    return False
  finally:
    ctx.glm.release(locking.LEVEL_CLUSTER)


def _AssertGone(ctx, name=NAME):
  """The configuration is as before the failed creation."""
  assert ctx.cfg.GetInstanceList() == []
  assert ctx.cfg.ComputeDRBDMap() == dict((node, {}) for node in
                                          ctx.cfg.GetNodeList())
  assert not _LockExists(ctx, name)
  assert ctx.cfg.VerifyConfig() == []


# -- create: successful paths --------------------------------------------------

def test_create_diskless_no_install_no_start(ctx):
  cbs = tl.Cbs()
  assert tl.Run(ctx, _CreateOp(tags=["web"]), cbs) == [tl.NODE2]
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.disk_template == constants.DT_DISKLESS
  assert inst.admin_state == constants.ADMINST_DOWN
  assert inst.hypervisor == constants.HT_FAKE
  assert inst.os == "dummy+default"
  assert inst.GetTags() == set(["web"])
  assert inst.network_port is None
  assert len(inst.nics) == 1 and inst.nics[0].mac.startswith("aa:00:00:")
  assert inst.nics[0].ip is None and inst.nics[0].nicparams == {}
  assert _LockExists(ctx, NAME)
  names = ctx.rpc.Names()
  assert "os_get" in names and "os_validate" in names
  assert "hypervisor_validate_params" in names and "bridges_exist" in names
  for call in ("blockdev_create", "instance_os_add", "instance_start",
               "node_info"):
    assert call not in names
  (nodes, env) = tl.HooksEnvs(ctx, "instance-add")[0]
  assert sorted(nodes) == sorted([tl.MASTER, tl.NODE2])
  assert env["GANETI_ADD_MODE"] == "create"
  assert env["GANETI_INSTANCE_STATUS"] == "False"
  assert env["GANETI_INSTANCE_NAME"] == NAME
  assert env["GANETI_INSTANCE_NIC0_MAC"] == inst.nics[0].mac
  assert env["GANETI_INSTANCE_DISK_COUNT"] == "0"
  assert tl.HooksEnvs(ctx, "instance-add", "post")
  assert "adding instance %s to cluster config" % NAME in cbs.text()


def test_create_file_install_and_start(ctx):
  op = _CreateOp(disk_template=constants.DT_FILE,
                 disks=[{"size": 1000}, {"size": "1G", "mode": "ro"}],
                 no_install=False, start=True,
                 beparams={constants.BE_MAXMEM: 256,
                           constants.BE_MINMEM: 256},
                 osparams={"colour": "green"})
  assert tl.Run(ctx, op) == [tl.NODE2]
  inst = ctx.cfg.GetInstanceInfo(NAME)
  path = "%s/%s" % (tl.FILE_DIR, NAME)
  assert [d.logical_id for d in inst.disks] == [
    ("loop", path + "/disk0"), ("loop", path + "/disk1")]
  # sizes follow the size rules (rounded up to 4 MiB)
  assert [d.size for d in inst.disks] == [1000, 1024]
  assert [d.mode for d in inst.disks] == ["rw", "ro"]
  assert inst.admin_state == constants.ADMINST_UP
  names = ctx.rpc.Names()
  order = [names.index(call) for call in
           ("node_info", "file_storage_dir_create", "blockdev_create",
            "blockdev_assemble", "instance_os_add", "instance_start")]
  assert order == sorted(order)
  (node, args) = ctx.rpc.Calls("instance_os_add")[0]
  assert node == tl.NODE2
  (sent, reinstall, debug) = args
  assert (reinstall, debug) == (False, 0)
  assert sent.beparams[constants.BE_MAXMEM] == 256
  assert sent.beparams[constants.BE_VCPUS] == 1
  assert sent.osparams == {"colour": "green"}
  assert sent.disks[0].physical_id == sent.disks[0].logical_id
  assert ctx.rpc.Calls("node_info")[0] == ([tl.NODE2],
                                           ([], [constants.HT_FAKE]))


def test_create_sharedfile_with_subdir(ctx):
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_SHARED_FILE,
                        disks=[{"size": 8}], file_storage_dir="web/a",
                        file_driver="loop"))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.disks[0].logical_id == \
    ("loop", "%s/web/a/%s/disk0" % (tl.SHARED_DIR, NAME))
  assert ctx.rpc.Calls("file_storage_dir_create") == [
    (tl.NODE2, ("%s/web/a/%s" % (tl.SHARED_DIR, NAME),))]


def test_create_plain_checks_free_space(ctx):
  ctx.rpc.vg_free = 2000
  err = _PrereqError(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                                    disks=[{"size": 1024}, {"size": 1024}]))
  assert "Not enough disk space on target node %s vg xenvg: required 2048" \
    " MiB, available 2000 MiB" % tl.NODE2 == err.args[0]
  assert ctx.rpc.Calls("blockdev_create") == []
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                        disks=[{"size": 1024}]))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.disks[0].logical_id[0] == tl.VG
  assert inst.disks[0].logical_id[1].endswith(".disk0")


def test_create_drbd(ctx):
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_DRBD8, snode=tl.NODE3,
                        disks=[{"size": 512}], wait_for_sync=True))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.all_nodes == (tl.NODE2, tl.NODE3)
  assert [(node, args[3]) for (node, args)
          in ctx.rpc.Calls("blockdev_create")] == [(tl.NODE2, True),
                                                   (tl.NODE3, False)]
  assert ctx.rpc.Calls("blockdev_getmirrorstatus")
  # both nodes needed space: data plus metadata volume
  (nodes, args) = [c for c in ctx.rpc.Calls("node_info")
                   if c[1][0] == [tl.VG]][0]
  assert nodes == [tl.NODE2, tl.NODE3]
  (hook_nodes, env) = tl.HooksEnvs(ctx, "instance-add")[0]
  assert sorted(hook_nodes) == sorted([tl.MASTER, tl.NODE2, tl.NODE3])
  assert env["GANETI_INSTANCE_SECONDARIES"] == tl.NODE3


def test_create_kvm_gets_a_network_port(ctx):
  tl.Run(ctx, _CreateOp(hypervisor=constants.HT_KVM))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.network_port == constants.FIRST_DRBD_PORT
  assert inst.hypervisor == constants.HT_KVM


def test_create_wipes_disks_when_the_cluster_asks(ctx):
  cluster = ctx.cfg.GetClusterInfo()
  cluster.prealloc_wipe_disks = True
  ctx.cfg.Update(cluster, None)
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                        disks=[{"size": 40}]))
  assert [(args[1], args[2]) for (_, args)
          in ctx.rpc.Calls("blockdev_wipe")] == [(offset, 4) for offset
                                                 in range(0, 40, 4)]


def test_create_nics(ctx):
  tl.Run(ctx, _CreateOp(nics=[
    {"mac": "AA:00:00:11:22:33", "ip": "auto"},
    {"mode": "routed", "link": "100", "ip": "192.0.2.7"},
    {"link": "br7", "mac": "generate"}]))
  nics = ctx.cfg.GetInstanceInfo(NAME).nics
  assert nics[0].mac == "aa:00:00:11:22:33"
  assert nics[0].ip == tl.HOSTS[NAME]
  assert nics[1].nicparams == {"mode": "routed", "link": "100"}
  assert nics[1].ip == "192.0.2.7"
  assert nics[2].nicparams == {"link": "br7"}
  assert nics[2].mac.startswith("aa:00:00:")
  assert ctx.rpc.Calls("bridges_exist") == [
    (tl.NODE2, ([constants.DEFAULT_BRIDGE, "br7"],))]


def test_create_identify_defaults(ctx):
  tl.Run(ctx, _CreateOp(identify_defaults=True,
                        beparams={constants.BE_VCPUS: 1,
                                  constants.BE_MAXMEM: 512},
                        nics=[{"mode": "bridged", "link": "br3"}]))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.beparams == {constants.BE_MAXMEM: 512}
  assert inst.nics[0].nicparams == {"link": "br3"}


def test_create_dry_run(ctx):
  assert tl.Run(ctx, _CreateOp(dry_run=True)) == [tl.NODE2]
  assert ctx.cfg.GetInstanceList() == []
  assert not _LockExists(ctx, NAME)


def test_create_adopt_plain(ctx):
  ctx.rpc.handlers["lv_list"] = lambda node, vgs: {
    "xenvg/olddata": (2048.0, True, False), "xenvg/busy": (10, False, True)}
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                        disks=[{"adopt": "olddata"}], no_install=False))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.disks[0].size == 2048
  ((node, (devlist,)),) = ctx.rpc.Calls("blockdev_rename")
  assert node == tl.NODE2
  ((old, new_id),) = devlist
  assert old.logical_id == (tl.VG, "olddata")
  assert new_id == inst.disks[0].logical_id
  names = ctx.rpc.Names()
  # adopted disks are neither created nor installed
  assert "blockdev_create" not in names and "instance_os_add" not in names
  err = _PrereqError(ctx, _CreateOp(instance_name="inst2.example.com",
                                    disk_template=constants.DT_PLAIN,
                                    disks=[{"adopt": "busy"}]))
  assert "Online logical volumes found, cannot adopt: xenvg/busy" == \
    err.args[0]
  err = _PrereqError(ctx, _CreateOp(instance_name="inst2.example.com",
                                    disk_template=constants.DT_PLAIN,
                                    disks=[{"adopt": "nosuch"}]))
  assert "Missing logical volume(s): xenvg/nosuch" == err.args[0]


def test_create_adopt_blockdev(ctx):
  ctx.rpc.handlers["blockdev_getsize"] = lambda node, disks: [
    64 * 1024 * 1024 if d.logical_id[1] == "/dev/loop7" else None
    for d in disks]
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_BLOCK,
                        disks=[{"adopt": "/dev/loop7"}]))
  inst = ctx.cfg.GetInstanceInfo(NAME)
  assert inst.disks[0].logical_id == ("manual", "/dev/loop7")
  assert inst.disks[0].size == 64
  assert "blockdev_create" not in ctx.rpc.Names()
  err = _PrereqError(ctx, _CreateOp(instance_name="inst2.example.com",
                                    disk_template=constants.DT_BLOCK,
                                    disks=[{"adopt": "/dev/loop9"}]))
  assert "Missing block device(s): /dev/loop9" == err.args[0]


# -- create: refused -----------------------------------------------------------

@pytest.mark.parametrize("kwargs,text", [
  (dict(iallocator="hail", pnode=None), "not supported until the iallocator"
   " work"),
  (dict(pnode=None), "No primary node given"),
  (dict(mode=constants.INSTANCE_IMPORT), "not supported until the backup"
   " work"),
  (dict(os_type=None), "No guest OS specified"),
  (dict(disk_template=constants.DT_DRBD8, disks=[{"size": 1}]),
   "The networked disk templates need a mirror node"),
  (dict(disk_template=constants.DT_BLOCK, disks=[{"size": 1}]),
   "requires disk adoption"),
  (dict(disk_template=constants.DT_FILE, disks=[{"adopt": "x"}]),
   "Disk adoption is not supported for the 'file' disk template"),
  (dict(disk_template=constants.DT_PLAIN,
        disks=[{"adopt": "x"}, {"size": 1}]),
   "Either all disks are adopted or none is"),
  (dict(ip_check=True, name_check=False), "Cannot do IP address check"),
  (dict(disk_template=constants.DT_FILE, disks=[{"size": 1}],
        file_storage_dir="/etc"), "not an absolute path"),
  (dict(disk_template=constants.DT_FILE, disks=[{"size": 1}],
        file_storage_dir="../x"), "leaves the cluster's file storage"),
  (dict(disk_template=constants.DT_PLAIN, disks=[{"size": 1,
                                                  "mode": "rx"}]),
   "Invalid disk access mode 'rx'"),
  (dict(nics=[{"ip": "auto"}], name_check=False),
   "IP address set to auto but name checks have been skipped"),
  (dict(nics=[{"mode": "routed"}], name_check=False),
   "IP address set to auto but name checks have been skipped"),
  (dict(nics=[{"mode": "routed", "ip": "none"}]),
   "Routed nic mode requires an ip address"),
  (dict(nics=[{"ip": "pool"}]), "IP address pools need networks"),
  (dict(nics=[{"ip": "300.1.1.1"}]), "Invalid IP address '300.1.1.1'"),
  (dict(nics=[{"mac": "zz"}]), "Invalid MAC address 'zz'"),
  (dict(nics=[{"mode": "tunnel"}]), "Invalid NIC mode 'tunnel'"),
  (dict(os_type="dummy"), "OS name must include a variant"),
  (dict(os_type="dummy+blue"), "Unsupported OS variant 'blue'"),
  (dict(os_type="nosuch"), "not in supported OS list for node"),
  (dict(osparams={"size": "1"}), "not supported by the OS dummy+default:"
   " size"),
  (dict(hypervisor=constants.HT_XEN_PVM), "Selected hypervisor (xen-pvm)"
   " not enabled"),
  (dict(hypervisor=constants.HT_KVM,
        hvparams={constants.HV_MIGRATION_PORT: 1}),
   "global and cannot be customized at instance level"),
  (dict(beparams={constants.BE_MINMEM: 512, constants.BE_MAXMEM: 256}),
   "Minimum memory (512 MiB) is greater than the maximum memory"),
  (dict(snode=tl.NODE2, disk_template=constants.DT_DRBD8,
        disks=[{"size": 1}]), "secondary node cannot be the primary"),
  (dict(snode=tl.NODE4, disk_template=constants.DT_DRBD8,
        disks=[{"size": 1}]), "two different node groups"),
  ])
def test_create_refused(ctx, kwargs, text):
  err = _PrereqError(ctx, _CreateOp(**kwargs))
  assert text in err.args[0]
  assert ctx.cfg.GetInstanceList() == []
  assert ctx.rpc.Calls("blockdev_create") == []


def test_create_refuses_blacklisted_os(ctx):
  cluster = ctx.cfg.GetClusterInfo()
  cluster.blacklisted_os = ["dummy+default"]
  ctx.cfg.Update(cluster, None)
  err = _PrereqError(ctx, _CreateOp())
  assert "Guest OS 'dummy+default' is not allowed for installation" == \
    err.args[0]


def test_create_force_variant(ctx):
  tl.Run(ctx, _CreateOp(os_type="dummy+blue", force_variant=True))
  assert ctx.cfg.GetInstanceInfo(NAME).os == "dummy+blue"


@pytest.mark.parametrize("attr,value,text", [
  ("offline", True, "Cannot use offline primary node"),
  ("drained", True, "Cannot use drained primary node"),
  ("vm_capable", False, "Cannot use non-vm_capable primary node"),
  ])
def test_create_refuses_bad_primary(ctx, attr, value, text):
  node = ctx.cfg.GetNodeInfo(tl.NODE2)
  setattr(node, attr, value)
  if attr in ("offline", "drained"):
    node.master_candidate = False
  ctx.cfg.Update(node, None)
  err = _PrereqError(ctx, _CreateOp())
  assert text in err.args[0] and err.args[1] == errors.ECODE_STATE


def test_create_refuses_existing_name_and_used_mac(ctx):
  tl.Run(ctx, _CreateOp(nics=[{"mac": "aa:00:00:00:00:01"}]))
  err = _PrereqError(ctx, _CreateOp())
  assert err.args[1] == errors.ECODE_EXISTS
  err = _PrereqError(ctx, _CreateOp(instance_name="inst2.example.com",
                                    nics=[{"mac": "aa:00:00:00:00:01"}]))
  assert "MAC address aa:00:00:00:00:01 already in use in cluster" == \
    err.args[0]
  assert err.args[1] == errors.ECODE_NOTUNIQUE


def test_create_name_and_ip_checks(ctx):
  err = _PrereqError(ctx, _CreateOp(instance_name="unknown.example.com"))
  assert err.args[1] == errors.ECODE_RESOLVER
  # 127.0.94.101 refuses connections: the address is alive, so in use
  err = _PrereqError(ctx, _CreateOp(ip_check=True))
  assert "IP %s of instance %s already in use" % (tl.HOSTS[NAME], NAME) == \
    err.args[0]
  # without the name check, any name is taken as given
  tl.Run(ctx, _CreateOp(instance_name="Unknown.Example.COM",
                        name_check=False))
  assert ctx.cfg.GetInstanceList() == ["unknown.example.com"]


def test_create_checks_memory_when_starting(ctx):
  ctx.rpc.memory_free = 100
  err = _PrereqError(ctx, _CreateOp(start=True, no_install=False))
  assert "Not enough memory on node %s for creating instance %s: needed 128" \
    " MiB, available 100 MiB" % (tl.NODE2, NAME) == err.args[0]
  # no-install turns the start off, so no memory is needed
  tl.Run(ctx, _CreateOp(start=True, no_install=True))
  assert ctx.cfg.GetInstanceInfo(NAME).admin_state == constants.ADMINST_DOWN


def test_create_refuses_failed_node_validation(ctx):
  ctx.rpc.Fail("hypervisor_validate_params", "kernel not found")
  err = _PrereqError(ctx, _CreateOp())
  assert "Hypervisor parameter validation failed on node %s: kernel not" \
    " found" % tl.NODE2 == err.args[0]
  ctx.rpc.Fail("bridges_exist", "Missing bridges xen-br0")
  ctx.rpc.handlers["hypervisor_validate_params"] = lambda *args: None
  err = _PrereqError(ctx, _CreateOp())
  assert "Missing bridges xen-br0" in err.args[0]


# -- create: rollback ----------------------------------------------------------

def test_create_rollback_on_second_node_disk_failure(ctx):
  ctx.rpc.Fail("blockdev_create", "drbdmeta failed",
               when=lambda node, disk, *args: (node == tl.NODE3 and
                                               disk.iv_name == "disk/1"))
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, _CreateOp(disk_template=constants.DT_DRBD8, snode=tl.NODE3,
                          disks=[{"size": 100}, {"size": 200}]))
  assert "drbdmeta failed" in info.value.args[0]
  removed = [(node, args[0].iv_name)
             for (node, args) in ctx.rpc.Calls("blockdev_remove")]
  assert removed == [(tl.NODE2, "disk/1"), (tl.NODE3, "disk/0"),
                     (tl.NODE2, "disk/0")]
  _AssertGone(ctx)
  created = ctx.rpc.Calls("blockdev_create")
  ports = set(args[0].logical_id[2] for (_, args) in created)
  assert ports <= ctx.cfg.GetClusterInfo().tcpudp_port_pool
  assert "instance_os_add" not in ctx.rpc.Names()
  # the name (and its lock) can be used again
  ctx.rpc.handlers["blockdev_create"] = \
    lambda node, disk, *args: list(disk.physical_id)
  tl.Run(ctx, _CreateOp(disk_template=constants.DT_DRBD8, snode=tl.NODE3,
                        disks=[{"size": 100}]))
  assert ctx.cfg.GetInstanceList() == [NAME]


def test_create_rollback_on_os_failure(ctx):
  ctx.rpc.Fail("instance_os_add", "OS create script failed (exited with"
               " exit code 1)")
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, _CreateOp(disk_template=constants.DT_FILE,
                          disks=[{"size": 10}, {"size": 20}],
                          no_install=False, start=True,
                          nics=[{"mac": "aa:00:00:00:00:42"}]))
  assert info.value.args[0] == (
    "Could not add os for instance %s on node %s: OS create script failed"
    " (exited with exit code 1)" % (NAME, tl.NODE2))
  removed = [(node, args[0].logical_id[1])
             for (node, args) in ctx.rpc.Calls("blockdev_remove")]
  path = "%s/%s" % (tl.FILE_DIR, NAME)
  assert removed == [(tl.NODE2, path + "/disk0"), (tl.NODE2, path + "/disk1")]
  assert ctx.rpc.Calls("file_storage_dir_remove") == [(tl.NODE2, (path,))]
  assert "instance_start" not in ctx.rpc.Names()
  _AssertGone(ctx)
  # the MAC was not kept
  tl.Run(ctx, _CreateOp(instance_name="inst2.example.com",
                        nics=[{"mac": "aa:00:00:00:00:42"}]))


def test_create_rollback_on_start_failure(ctx):
  ctx.rpc.Fail("instance_start", "qemu died")
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                          disks=[{"size": 10}], hypervisor=constants.HT_KVM,
                          no_install=False, start=True))
  assert "Could not start instance: qemu died" == info.value.args[0]
  assert [node for (node, _) in ctx.rpc.Calls("instance_shutdown")] == \
    [tl.NODE2]
  assert len(ctx.rpc.Calls("blockdev_remove")) == 1
  _AssertGone(ctx)
  # the VNC port of the kvm instance went back to the pool
  assert constants.FIRST_DRBD_PORT in \
    ctx.cfg.GetClusterInfo().tcpudp_port_pool


def test_create_rollback_on_degraded_mirror(ctx):
  ctx.rpc.handlers["blockdev_getmirrorstatus"] = lambda node, disks: [
    [True, {"sync_percent": None, "is_degraded": True}] for _ in disks]
  import ganeti.cmdlib.instance_storage as storage_mod
  original = storage_mod.WaitForSync

  def _NoSleep(lu, instance, disks=None, oneshot=False):
    return original(lu, instance, disks=disks, oneshot=oneshot,
                    _sleep_fn=lambda secs: None)
  storage_mod.WaitForSync = _NoSleep
  try:
    with pytest.raises(errors.OpExecError) as info:
      tl.Run(ctx, _CreateOp(disk_template=constants.DT_DRBD8,
                            snode=tl.NODE3, disks=[{"size": 100}],
                            wait_for_sync=True))
  finally:
    storage_mod.WaitForSync = original
  assert "There are some degraded disks for this instance" == \
    info.value.args[0]
  assert len(ctx.rpc.Calls("blockdev_remove")) == 2
  _AssertGone(ctx)


def test_create_rollback_of_adopted_volumes_renames_them_back(ctx):
  ctx.rpc.handlers["lv_list"] = lambda node, vgs: {
    "xenvg/olddata": (64, True, False)}
  ctx.rpc.Fail("instance_start", "no memory")
  with pytest.raises(errors.OpExecError):
    tl.Run(ctx, _CreateOp(disk_template=constants.DT_PLAIN,
                          disks=[{"adopt": "olddata"}], start=True,
                          no_install=False))
  (forth, back) = [args[0] for (_, args) in
                   ctx.rpc.Calls("blockdev_rename")]
  assert back[0][0].logical_id == forth[0][1]
  assert back[0][1] == (tl.VG, "olddata")
  assert ctx.rpc.Calls("blockdev_remove") == []
  _AssertGone(ctx)


# -- remove --------------------------------------------------------------------

def test_remove_drbd_instance(ctx):
  inst = tl.AddInstance(ctx, NAME, constants.DT_DRBD8, pnode=tl.NODE2,
                        snode=tl.NODE3, disks=[100])
  port = inst.disks[0].logical_id[2]
  tl.Run(ctx, opcodes.OpInstanceRemove(instance_name="inst1",
                                       shutdown_timeout=33))
  ((node, args),) = ctx.rpc.Calls("instance_shutdown")
  assert node == tl.NODE2 and args[1] == 33
  assert args[0].name == NAME
  assert [node for (node, _) in ctx.rpc.Calls("blockdev_remove")] == \
    [tl.NODE2, tl.NODE3]
  assert ctx.cfg.GetInstanceList() == []
  assert not _LockExists(ctx, NAME)
  assert port in ctx.cfg.GetClusterInfo().tcpudp_port_pool
  ((pre_nodes, env),) = tl.HooksEnvs(ctx, "instance-remove")
  assert pre_nodes == [tl.MASTER]
  assert env["GANETI_SHUTDOWN_TIMEOUT"] == "33"
  ((post_nodes, _),) = tl.HooksEnvs(ctx, "instance-remove", "post")
  assert sorted(post_nodes) == sorted([tl.MASTER, tl.NODE2, tl.NODE3])


def test_remove_failures(ctx):
  tl.AddInstance(ctx, NAME, constants.DT_PLAIN, disks=[100])
  ctx.rpc.Fail("instance_shutdown", "hypervisor hung")
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, opcodes.OpInstanceRemove(instance_name=NAME))
  assert "Could not shutdown instance %s on node %s: hypervisor hung" % \
    (NAME, tl.NODE2) == info.value.args[0]
  assert ctx.cfg.GetInstanceList() == [NAME]
  assert ctx.rpc.Calls("blockdev_remove") == []
  ctx.rpc.handlers["instance_shutdown"] = lambda *args: None
  ctx.rpc.Fail("blockdev_remove", "lvremove failed")
  with pytest.raises(errors.OpExecError) as info:
    tl.Run(ctx, opcodes.OpInstanceRemove(instance_name=NAME))
  assert "Can't remove instance's disks" == info.value.args[0]
  assert ctx.cfg.GetInstanceList() == [NAME]
  cbs = tl.Cbs()
  tl.Run(ctx, opcodes.OpInstanceRemove(instance_name=NAME,
                                       ignore_failures=True), cbs)
  assert ctx.cfg.GetInstanceList() == []
  assert "Warning: can't remove instance's disks" in cbs.text()


# -- rename --------------------------------------------------------------------

def test_rename_file_instance(ctx):
  tl.AddInstance(ctx, NAME, constants.DT_FILE, disks=[10, 20])
  assert tl.Run(ctx, opcodes.OpInstanceRename(
    instance_name="inst1", new_name="renamed.example.com")) == \
    "renamed.example.com"
  assert ctx.cfg.GetInstanceList() == ["renamed.example.com"]
  inst = ctx.cfg.GetInstanceInfo("renamed.example.com")
  new_dir = "%s/renamed.example.com" % tl.FILE_DIR
  assert [d.logical_id[1] for d in inst.disks] == [new_dir + "/disk0",
                                                   new_dir + "/disk1"]
  assert ctx.rpc.Calls("file_storage_dir_rename") == [
    (tl.NODE2, ("%s/%s" % (tl.FILE_DIR, NAME), new_dir))]
  ((node, args),) = ctx.rpc.Calls("instance_run_rename")
  assert node == tl.NODE2 and args[1] == NAME
  assert args[0].name == "renamed.example.com"
  assert args[0].disks[0].physical_id == inst.disks[0].logical_id
  names = ctx.rpc.Names()
  assert names.index("blockdev_assemble") < \
    names.index("instance_run_rename") < names.index("blockdev_shutdown")
  assert _LockExists(ctx, "renamed.example.com")
  assert not _LockExists(ctx, NAME)
  ((_, env),) = tl.HooksEnvs(ctx, "instance-rename")
  assert env["GANETI_INSTANCE_NEW_NAME"] == "renamed.example.com"


def test_rename_script_failure_is_a_warning(ctx):
  tl.AddInstance(ctx, NAME, constants.DT_DISKLESS)
  ctx.rpc.Fail("instance_run_rename", "rename script failed")
  cbs = tl.Cbs()
  tl.Run(ctx, opcodes.OpInstanceRename(instance_name=NAME,
                                       new_name="renamed.example.com"), cbs)
  assert ctx.cfg.GetInstanceList() == ["renamed.example.com"]
  assert "Could not run OS rename script" in cbs.text()


def test_rename_refused(ctx):
  tl.AddInstance(ctx, NAME, constants.DT_DISKLESS)
  tl.AddInstance(ctx, "inst2.example.com", constants.DT_DISKLESS)
  err = _PrereqError(ctx, opcodes.OpInstanceRename(
    instance_name=NAME, new_name="inst2.example.com"))
  assert "Instance 'inst2.example.com' is already in the cluster" == \
    err.args[0]
  err = _PrereqError(ctx, opcodes.OpInstanceRename(
    instance_name=NAME, new_name="renamed.example.com", ip_check=True))
  assert "IP %s of instance renamed.example.com already in use" % \
    tl.HOSTS["renamed.example.com"] == err.args[0]
  err = _PrereqError(ctx, opcodes.OpInstanceRename(
    instance_name=NAME, new_name="x", ip_check=True, name_check=False))
  assert "IP address check requires a name check" == err.args[0]
  ctx.rpc.handlers["instance_info"] = lambda node, name, hv: {"state": "r"}
  err = _PrereqError(ctx, opcodes.OpInstanceRename(
    instance_name=NAME, new_name="renamed.example.com"))
  assert "is running, cannot rename" in err.args[0]
  assert sorted(ctx.cfg.GetInstanceList()) == [NAME, "inst2.example.com"]
