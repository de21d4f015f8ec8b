"""Tests for ganeti.cmdlib.instance_set_params (gnt-instance modify).

Same environment as test_instance_operation.py (real mcpu, ConfigWriter
and lock manager; nodes played by its NodeDouble RPC runner), loaded from
that file.  Each test checks the result list, the configuration after the
change (or that it is unchanged after a refusal or failure) and the node
calls made.
"""

import importlib.util
import os

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import opcodes
from ganeti import rpc
from ganeti.cmdlib import instance_set_params


def _LoadEnv():
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "test_instance_operation.py")
  spec = importlib.util.spec_from_file_location("_instance_lu_env", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


env = _LoadEnv()
(MASTER, NODE2, NODE3, NODE4) = (env.MASTER, env.NODE2, env.NODE3,
                                 env.NODE4)
(PLAIN, DRBD, KVM, DISKLESS) = (env.PLAIN, env.DRBD, env.KVM, env.DISKLESS)
Inst = env.Inst


@pytest.fixture
def ctx(as_node):
  return env.MakeContext(as_node)


def _Modify(ctx, name, cbs=None, **kwargs):
  return env.Run(ctx, opcodes.OpInstanceSetParams(instance_name=name,
                                                  **kwargs), cbs)


def _Dump(ctx, name):
  data = Inst(ctx, name).ToDict()
  # reading the tags (hooks do) creates an empty set: no change
  if not data.get("tags"):
    data.pop("tags", None)
  return data


def _Refused(ctx, name, ecls=errors.OpPrereqError, **kwargs):
  before = _Dump(ctx, name)
  err = env.Fails(ctx, opcodes.OpInstanceSetParams(instance_name=name,
                                                   **kwargs), ecls)
  after = _Dump(ctx, name)
  assert after == before
  return err


def test_no_changes(ctx):
  err = _Refused(ctx, PLAIN)
  assert str(err.args[0]) == "No changes submitted"


# -- parameters ------------------------------------------------------------

def test_beparams_set_and_reset(ctx):
  result = _Modify(ctx, PLAIN, beparams={constants.BE_VCPUS: 2,
                                         constants.BE_MINMEM: "default"})
  assert sorted(result) == [("be/minmem", "default"), ("be/vcpus", 2)]
  assert Inst(ctx, PLAIN).beparams == {constants.BE_MAXMEM: 256,
                                       constants.BE_VCPUS: 2}
  (pre, nodes) = env.HookEnvs(ctx, "instance-modify", "pre")
  assert pre["GANETI_INSTANCE_VCPUS"] == "2"
  assert pre["GANETI_INSTANCE_MINMEM"] == \
    str(constants.BEC_DEFAULTS[constants.BE_MINMEM])
  assert nodes == [MASTER, NODE2]


def test_beparams_checks(ctx):
  err = _Refused(ctx, PLAIN, beparams={constants.BE_VCPUS: "many"})
  assert "vcpus" in str(err)
  err = _Refused(ctx, PLAIN, beparams={constants.BE_MINMEM: 1024})
  assert "Minimum memory" in str(err)


def test_maxmem_increase_checks_free_memory(ctx):
  ctx.rpc.free_memory[NODE2] = 500
  err = _Refused(ctx, PLAIN, beparams={constants.BE_MAXMEM: 1024})
  assert err.args[1] == errors.ECODE_NORES
  assert "524 MB of memory missing" in str(err)
  # forced: no check
  result = _Modify(ctx, PLAIN, beparams={constants.BE_MAXMEM: 1024},
                   force=True)
  assert result == [("be/maxmem", 1024)]


def test_maxmem_increase_checks_the_secondary_with_auto_balance(ctx):
  ctx.rpc.free_memory[NODE3] = 300
  err = _Refused(ctx, DRBD, beparams={constants.BE_MAXMEM: 1024})
  assert "failover to its secondary node %s" % NODE3 in str(err)


def test_hvparams(ctx):
  result = _Modify(ctx, KVM, hvparams={constants.HV_KERNEL_ARGS: "ro"})
  assert result == [("hv/kernel_args", "ro")]
  assert Inst(ctx, KVM).hvparams == {constants.HV_KERNEL_ARGS: "ro"}
  assert ctx.rpc.Names("hypervisor_validate_params") == [NODE2]
  result = _Modify(ctx, KVM, hvparams={constants.HV_KERNEL_ARGS: "default"})
  assert Inst(ctx, KVM).hvparams == {}
  err = _Refused(ctx, KVM, hvparams={constants.HV_MIGRATION_PORT: 1})
  assert "global" in str(err)
  err = _Refused(ctx, PLAIN, hvparams={constants.HV_KERNEL_ARGS: "ro"})
  assert constants.HV_KERNEL_ARGS in str(err)


def test_os_name_and_osparams(ctx):
  result = _Modify(ctx, PLAIN, os_name="debootstrap+minimal",
                   osparams={"mirror": "http://m/"})
  # the OS change is applied but not reported
  assert result == [("os/mirror", "http://m/")]
  inst = Inst(ctx, PLAIN)
  assert inst.os == "debootstrap+minimal"
  assert inst.osparams == {"mirror": "http://m/"}
  assert ctx.rpc.Names("os_validate") == [NODE2]
  err = _Refused(ctx, PLAIN, os_name="debootstrap+nosuch")
  assert "Unsupported OS variant" in str(err)
  _Modify(ctx, PLAIN, os_name="nosuchos", force=True)
  assert Inst(ctx, PLAIN).os == "nosuchos"


def test_offline_and_online(ctx):
  result = _Modify(ctx, PLAIN, offline=True)
  assert result == [("admin_state", constants.ADMINST_OFFLINE)]
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_OFFLINE
  result = _Modify(ctx, PLAIN, offline=False)
  assert result == [("admin_state", constants.ADMINST_DOWN)]
  ctx.cfg.MarkInstanceUp(PLAIN)
  err = _Refused(ctx, PLAIN, offline=True)
  assert "can't change to offline" in str(err)


def test_runtime_memory(ctx):
  err = _Refused(ctx, PLAIN, runtime_mem=200)
  assert "not running" in str(err)
  env.Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  err = _Refused(ctx, PLAIN, runtime_mem=1000)
  assert "between 128 and 256" in str(err)
  result = _Modify(ctx, PLAIN, runtime_mem=200)
  assert result == [("runtime_memory", 200)]
  [(inst, memory)] = ctx.rpc.Args("instance_balloon_memory")
  assert (inst.name, memory) == (PLAIN, 200)
  (pre, _) = env.HookEnvs(ctx, "instance-modify", "pre")
  assert pre["GANETI_RUNTIME_MEMORY"] == "200"


# -- disks -----------------------------------------------------------------

def test_disk_add_plain(ctx):
  result = _Modify(ctx, PLAIN, disks=[[constants.DDM_ADD, -1,
                                       {constants.IDISK_SIZE: 512}]])
  assert result == [("disk/1", "add:size=512,mode=rw")]
  disks = Inst(ctx, PLAIN).disks
  assert [(d.iv_name, d.size, d.mode) for d in disks] == \
    [("disk/0", 1024, "rw"), ("disk/1", 512, "rw")]
  assert disks[1].dev_type == constants.LD_LV
  assert ctx.rpc.created == [(NODE2, tuple(disks[1].logical_id), True)]


def test_disk_add_legacy_format_and_insert_position(ctx):
  result = _Modify(ctx, PLAIN, disks=[[constants.DDM_ADD,
                                       {constants.IDISK_SIZE: 256,
                                        constants.IDISK_MODE: "ro"}]])
  assert result == [("disk/1", "add:size=256,mode=ro")]
  result = _Modify(ctx, PLAIN, disks=[[constants.DDM_ADD, 0,
                                       {constants.IDISK_SIZE: 128}]])
  assert result == [("disk/0", "add:size=128,mode=rw")]
  assert [d.size for d in Inst(ctx, PLAIN).disks] == [128, 1024, 256]
  assert [d.iv_name for d in Inst(ctx, PLAIN).disks] == \
    ["disk/0", "disk/1", "disk/2"]


def test_disk_add_drbd_creates_on_both_nodes(ctx):
  _Modify(ctx, DRBD, disks=[[constants.DDM_ADD, -1,
                             {constants.IDISK_SIZE: 256}]])
  new = Inst(ctx, DRBD).disks[1]
  assert new.dev_type == constants.LD_DRBD8
  assert tuple(new.logical_id[:2]) == (NODE2, NODE3)
  assert sorted(node for (node, _, _) in ctx.rpc.created) == [NODE2, NODE3]


def test_disk_add_failure_rolls_back(ctx):
  ctx.rpc.fail[("blockdev_create", NODE3)] = "no space left"
  before_ports = ctx.cfg.GetUsedPorts()
  err = _Refused(ctx, DRBD, ecls=errors.OpExecError,
                 disks=[[constants.DDM_ADD, -1,
                         {constants.IDISK_SIZE: 256}]])
  assert "no space left" in str(err)
  # what was created on node2 is gone again
  created = [(node, lid) for (node, lid, _) in ctx.rpc.created]
  assert created and all(pair in ctx.rpc.removed for pair in created
                         if pair[0] == NODE2)
  assert len(Inst(ctx, DRBD).disks) == 1
  # the port taken for the new disk went back to the pool
  assert ctx.cfg.GetUsedPorts() == before_ports


def test_disk_add_checks(ctx):
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_ADD, -1, {}]])
  assert "size" in str(err)
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_ADD, 5,
                                     {constants.IDISK_SIZE: 1}]])
  assert "Invalid disk index 5" in str(err)
  err = _Refused(ctx, DISKLESS, disks=[[constants.DDM_ADD, -1,
                                        {constants.IDISK_SIZE: 1}]])
  assert "diskless" in str(err)
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_ADD, -1,
                                     {constants.IDISK_SIZE: 1,
                                      constants.IDISK_MODE: "rx"}]])
  assert "Invalid disk access mode 'rx'" in str(err)
  assert ctx.rpc.created == []


def test_disk_modify_mode_only(ctx):
  result = _Modify(ctx, PLAIN, disks=[[constants.DDM_MODIFY, 0,
                                       {constants.IDISK_MODE: "ro"}]])
  assert result == [("disk.mode/0", "ro")]
  assert Inst(ctx, PLAIN).disks[0].mode == "ro"
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_MODIFY, 0,
                                     {constants.IDISK_SIZE: 2048}]])
  assert "use grow-disk" in str(err)


def test_disk_remove(ctx):
  _Modify(ctx, DRBD, disks=[[constants.DDM_ADD, -1,
                             {constants.IDISK_SIZE: 256}]])
  added = Inst(ctx, DRBD).disks[1]
  port = added.logical_id[2]
  ctx.rpc.removed[:] = []
  result = _Modify(ctx, DRBD, disks=[[constants.DDM_REMOVE, -1, {}]])
  assert result == [("disk/1", "remove")]
  assert len(Inst(ctx, DRBD).disks) == 1
  assert sorted(ctx.rpc.removed) == sorted(
    [(NODE2, tuple(added.logical_id)), (NODE3, tuple(added.logical_id))])
  assert port in ctx.cfg.GetClusterInfo().tcpudp_port_pool


def test_disk_remove_checks(ctx):
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_REMOVE, -1, {}]])
  assert "Cannot remove the last disk" in str(err)
  _Modify(ctx, PLAIN, disks=[[constants.DDM_ADD, -1,
                              {constants.IDISK_SIZE: 256}]])
  env.Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  err = _Refused(ctx, PLAIN, disks=[[constants.DDM_REMOVE, -1, {}]])
  assert "cannot remove disks" in str(err)


# -- NICs ------------------------------------------------------------------

def test_nic_add_generates_a_mac_and_reserves_the_ip(ctx):
  result = _Modify(ctx, PLAIN, nics=[[constants.DDM_ADD, -1,
                                      {constants.INIC_IP: "192.0.2.77"}]])
  nic = Inst(ctx, PLAIN).nics[1]
  assert nic.mac.startswith("aa:00:00:")
  assert nic.ip == "192.0.2.77"
  assert result == [("nic.1", "add:mac=%s,ip=192.0.2.77,mode=%s,link=%s" %
                     (nic.mac, constants.NICC_DEFAULTS[constants.NIC_MODE],
                      constants.NICC_DEFAULTS[constants.NIC_LINK]))]
  (pre, _) = env.HookEnvs(ctx, "instance-modify", "pre")
  assert pre["GANETI_INSTANCE_NIC_COUNT"] == "2"
  assert pre["GANETI_INSTANCE_NIC1_IP"] == "192.0.2.77"
  (post, _) = env.HookEnvs(ctx, "instance-modify", "post")
  assert post["GANETI_POST_INSTANCE_NIC1_MAC"] == nic.mac
  # the address is taken now
  err = _Refused(ctx, DRBD, nics=[[constants.DDM_MODIFY, 0,
                                   {constants.INIC_IP: "192.0.2.77"}]])
  assert err.args[1] == errors.ECODE_NOTUNIQUE


def test_nic_modify(ctx):
  result = _Modify(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                      {constants.INIC_IP: "192.0.2.8",
                                       constants.INIC_LINK: "br9"}]])
  assert sorted(result) == [("nic.ip/0", "192.0.2.8"),
                            ("nic.link/0", "br9")]
  nic = Inst(ctx, PLAIN).nics[0]
  assert (nic.ip, nic.nicparams) == ("192.0.2.8", {constants.NIC_LINK: "br9"})
  result = _Modify(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                      {constants.INIC_IP: "none",
                                       constants.INIC_LINK: "default"}]])
  nic = Inst(ctx, PLAIN).nics[0]
  assert (nic.ip, nic.nicparams) == (None, {})


def test_nic_mac_rules(ctx):
  other_mac = Inst(ctx, DRBD).nics[0].mac
  err = _Refused(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                    {constants.INIC_MAC: other_mac}]])
  assert err.args[1] == errors.ECODE_NOTUNIQUE
  err = _Refused(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                    {constants.INIC_MAC: "auto"}]])
  assert "'auto' is not a valid MAC" in str(err)
  result = _Modify(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                      {constants.INIC_MAC: "generate"}]])
  [(name, mac)] = result
  assert name == "nic.mac/0" and mac.startswith("aa:00:00:")
  assert Inst(ctx, PLAIN).nics[0].mac == mac


def test_nic_routed_needs_an_ip(ctx):
  err = _Refused(ctx, PLAIN, nics=[[constants.DDM_MODIFY, 0,
                                    {constants.INIC_MODE:
                                     constants.NIC_MODE_ROUTED}]])
  assert "routed" in str(err)


def test_nic_remove(ctx):
  result = _Modify(ctx, PLAIN, nics=[[constants.DDM_REMOVE, -1, {}]])
  assert result == [("NIC/0", "remove")]
  assert Inst(ctx, PLAIN).nics == []
  err = _Refused(ctx, PLAIN, nics=[[constants.DDM_REMOVE, -1, {}]])
  assert "has no NICs" in str(err)


# -- template conversion ---------------------------------------------------

def test_plain_to_drbd(ctx):
  old_lv = tuple(Inst(ctx, PLAIN).disks[0].logical_id)
  result = _Modify(ctx, PLAIN, disk_template=constants.DT_DRBD8,
                   remote_node="node4")
  assert result == [("disk_template", constants.DT_DRBD8)]
  inst = Inst(ctx, PLAIN)
  assert inst.disk_template == constants.DT_DRBD8
  assert inst.secondary_nodes == (NODE4, )
  [disk] = inst.disks
  (data, meta) = disk.children
  # the old LV was renamed to the new data LV
  [(renames, )] = ctx.rpc.Args("blockdev_rename")
  [(renamed, new_id)] = renames
  assert tuple(renamed.logical_id) == old_lv
  assert tuple(new_id) == tuple(data.logical_id)
  created = [(node, lid) for (node, lid, _) in ctx.rpc.created]
  assert created == [(NODE2, tuple(meta.logical_id)),
                     (NODE4, tuple(data.logical_id)),
                     (NODE4, tuple(meta.logical_id)),
                     (NODE2, tuple(disk.logical_id)),
                     (NODE4, tuple(disk.logical_id))]
  assert ctx.rpc.Names("blockdev_getmirrorstatus") == [NODE2]
  (pre, nodes) = env.HookEnvs(ctx, "instance-modify", "pre")
  assert pre["GANETI_NEW_DISK_TEMPLATE"] == constants.DT_DRBD8


def test_plain_to_drbd_failure_undoes_the_rename(ctx):
  old_lv = tuple(Inst(ctx, PLAIN).disks[0].logical_id)
  # the DRBD devices themselves cannot be made (after the LVs and the
  # rename worked)

  class _Failing(type(ctx.rpc)):
    def _One(self, name, node, args):
      if name == "blockdev_create" and \
          args[0].dev_type == constants.LD_DRBD8:
        self.calls.append((name, node, args))
        return rpc.RpcResult(data=[False, "drbd module missing"], call=name,
                             node=node)
      return super()._One(name, node, args)

  ctx.rpc.__class__ = _Failing
  err = _Refused(ctx, PLAIN, ecls=errors.OpExecError,
                 disk_template=constants.DT_DRBD8, remote_node=NODE4)
  assert "drbd module missing" in str(err)
  renames = ctx.rpc.Args("blockdev_rename")
  assert len(renames) == 2
  [(back, )] = renames[1:]
  [(_, back_id)] = back
  assert tuple(back_id) == old_lv
  created = [(node, lid) for (node, lid, _) in ctx.rpc.created]
  assert sorted(created) == sorted(ctx.rpc.removed)
  assert Inst(ctx, PLAIN).disk_template == constants.DT_PLAIN


def test_plain_to_drbd_checks(ctx):
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_DRBD8)
  assert "requires specifying a secondary node" in str(err)
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_DRBD8,
                 remote_node=NODE2)
  assert "same as the primary node" in str(err)
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_FILE)
  assert "Unsupported disk template conversion from plain to file" \
    in str(err)
  ctx.rpc.vg_free[NODE4] = 100
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_DRBD8,
                 remote_node=NODE4)
  assert err.args[1] == errors.ECODE_NORES
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_DRBD8,
                 remote_node=NODE4,
                 disks=[[constants.DDM_ADD, -1, {constants.IDISK_SIZE: 1}]])
  assert "not supported at the same time" in str(err)
  env.Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  ctx.rpc.vg_free.clear()
  err = _Refused(ctx, PLAIN, disk_template=constants.DT_DRBD8,
                 remote_node=NODE4)
  assert "cannot change disk template" in str(err)
  assert ctx.rpc.created == []


def test_drbd_to_plain(ctx):
  disk = Inst(ctx, DRBD).disks[0]
  port = disk.logical_id[2]
  (data, meta) = [tuple(child.logical_id) for child in disk.children]
  result = _Modify(ctx, DRBD, disk_template=constants.DT_PLAIN)
  assert result == [("disk_template", constants.DT_PLAIN)]
  inst = Inst(ctx, DRBD)
  assert inst.disk_template == constants.DT_PLAIN
  assert inst.secondary_nodes == ()
  [new] = inst.disks
  assert tuple(new.logical_id) == data
  assert (new.size, new.iv_name) == (1024, "disk/0")
  assert ctx.rpc.removed == [(NODE3, tuple(disk.logical_id)), (NODE2, meta)]
  assert port in ctx.cfg.GetClusterInfo().tcpudp_port_pool


def test_set_params_locks(ctx):
  op = opcodes.OpInstanceSetParams(instance_name=PLAIN,
                                   disk_template=constants.DT_DRBD8,
                                   remote_node="node4")
  lu = instance_set_params.LUInstanceSetParams(mcpu.Processor(ctx, 1), op,
                                               ctx, ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_INSTANCE: PLAIN,
                             locking.LEVEL_NODE: [],
                             locking.LEVEL_NODE_RES: []}
  assert op.remote_node == NODE4
