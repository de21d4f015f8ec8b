"""Tests for ganeti.cmdlib.instance_query (gnt-instance info) and the live
part of the instance query in ganeti.cmdlib.query.

Same environment as test_instance_operation.py (real mcpu, ConfigWriter
and lock manager; nodes played by its NodeDouble RPC runner), loaded from
that file.
"""

import importlib.util
import os

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import opcodes
from ganeti import query
from ganeti.cmdlib import instance_query
from ganeti.cmdlib import query as cmdlib_query


def _LoadEnv():
  path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "test_instance_operation.py")
  spec = importlib.util.spec_from_file_location("_instance_lu_env", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


env = _LoadEnv()
(MASTER, NODE2, NODE3) = (env.MASTER, env.NODE2, env.NODE3)
(PLAIN, DRBD, KVM, DISKLESS) = (env.PLAIN, env.DRBD, env.KVM, env.DISKLESS)


@pytest.fixture
def ctx(as_node):
  return env.MakeContext(as_node)


def _Running(ctx, node, name, memory=256, vcpus=1):
  ctx.rpc.running.setdefault(node, {})[name] = {
    "memory": memory, "vcpus": vcpus, "state": "-b----", "time": 3.0}


# -- gnt-instance info ---------------------------------------------------

def test_query_data_static_has_the_26_keys_and_asks_no_node(ctx):
  result = env.Run(ctx, opcodes.OpInstanceQueryData(instances=["drbd1"],
                                                    static=True))
  assert list(result) == [DRBD]
  info = result[DRBD]
  assert set(info) == set([
    "name", "uuid", "serial_no", "ctime", "mtime", "config_state",
    "run_state", "pnode", "pnode_group_uuid", "pnode_group_name", "snodes",
    "snodes_group_uuids", "snodes_group_names", "os", "network_port",
    "hypervisor", "hv_instance", "hv_actual", "be_instance", "be_actual",
    "os_instance", "os_actual", "disk_template", "nics", "disks"])
  assert info["run_state"] is None
  assert info["config_state"] == constants.ADMINST_DOWN
  assert (info["pnode"], info["snodes"]) == (NODE2, [NODE3])
  assert info["pnode_group_name"] == "default"
  assert info["snodes_group_names"] == ["default"]
  assert info["be_instance"] == {constants.BE_MAXMEM: 256,
                                 constants.BE_MINMEM: 128}
  assert info["be_actual"][constants.BE_VCPUS] == \
    constants.BEC_DEFAULTS[constants.BE_VCPUS]
  inst = ctx.cfg.GetInstanceInfo(DRBD)
  assert info["nics"] == [[None, inst.nics[0].mac,
                           constants.NICC_DEFAULTS[constants.NIC_MODE],
                           constants.NICC_DEFAULTS[constants.NIC_LINK]]]
  [disk] = info["disks"]
  assert disk["iv_name"] == "disk/0"
  assert disk["dev_type"] == constants.LD_DRBD8
  assert disk["pstatus"] is None and disk["sstatus"] is None
  assert [child["dev_type"] for child in disk["children"]] == \
    [constants.LD_LV, constants.LD_LV]
  assert disk["size"] == 1024 and disk["mode"] == "rw"
  assert ctx.rpc.calls == []


def test_query_data_live_asks_run_state_and_disk_status(ctx):
  _Running(ctx, NODE2, DRBD)
  result = env.Run(ctx, opcodes.OpInstanceQueryData(instances=[DRBD]))
  info = result[DRBD]
  assert info["run_state"] == "up"
  [disk] = info["disks"]
  # (dev_path, major, minor, sync_percent, estimated_time, is_degraded,
  #  ldisk_status) as 2.6 shows them
  assert disk["pstatus"][0].startswith("/dev/fake/")
  assert disk["pstatus"][1:] == [253, 7, None, None, False,
                                 constants.LDS_OKAY]
  assert disk["sstatus"] is not None
  assert disk["physical_id"][0] == "192.0.2.2"
  assert sorted(ctx.rpc.Names("blockdev_find")) == \
    sorted([NODE2, NODE3] * 3)
  assert ctx.rpc.Names("instance_info") == [NODE2]


@pytest.mark.parametrize("admin, expected", [
  (constants.ADMINST_UP, "down"),
  (constants.ADMINST_DOWN, "down"),
  (constants.ADMINST_OFFLINE, "offline"),
  ])
def test_query_data_run_state_of_stopped_instances(ctx, admin, expected):
  {constants.ADMINST_UP: ctx.cfg.MarkInstanceUp,
   constants.ADMINST_DOWN: ctx.cfg.MarkInstanceDown,
   constants.ADMINST_OFFLINE: ctx.cfg.MarkInstanceOffline}[admin](PLAIN)
  result = env.Run(ctx, opcodes.OpInstanceQueryData(instances=[PLAIN]))
  assert result[PLAIN]["run_state"] == expected
  assert result[PLAIN]["config_state"] == admin


def test_query_data_offline_primary_gives_static_data(ctx):
  env.SetOffline(ctx, NODE2)
  cbs = env.Cbs()
  result = env.Run(ctx, opcodes.OpInstanceQueryData(instances=[PLAIN]), cbs)
  assert result[PLAIN]["run_state"] is None
  assert result[PLAIN]["disks"][0]["pstatus"] is None
  assert "marked offline" in cbs.Text()
  assert ctx.rpc.Names("instance_info") == []


def test_query_data_all_instances_and_locks(ctx):
  op = opcodes.OpInstanceQueryData()
  lu = instance_query.LUInstanceQueryData(mcpu.Processor(ctx, 1), op, ctx,
                                          ctx.rpc)
  lu.ExpandNames()
  assert op.use_locking is True
  assert lu.needed_locks[locking.LEVEL_INSTANCE] == locking.ALL_SET
  assert lu.share_locks[locking.LEVEL_INSTANCE] == 1
  result = env.Run(ctx, opcodes.OpInstanceQueryData(static=True))
  assert sorted(result) == sorted([PLAIN, DRBD, KVM, DISKLESS])
  assert result[DISKLESS]["disks"] == []


def test_query_data_unknown_instance(ctx):
  err = env.Fails(ctx, opcodes.OpInstanceQueryData(instances=["nosuch"]))
  assert err.args[1] == errors.ECODE_NOENT


def test_query_data_node_failure_is_an_error(ctx):
  ctx.rpc.fail[("instance_info", NODE2)] = "connection refused"
  err = env.Fails(ctx, opcodes.OpInstanceQueryData(instances=[PLAIN]),
                  errors.OpExecError)
  assert "Error checking node %s: connection refused" % NODE2 in str(err)


# -- the live instance query -------------------------------------------

def _Query(ctx, fields, names=None):
  op = opcodes.OpInstanceQuery(output_fields=fields, names=names or [])
  return env.Run(ctx, op)


def _Status(ctx):
  return dict(_Query(ctx, ["name", "status"]))


def test_status_values(ctx):
  ctx.cfg.MarkInstanceUp(PLAIN)
  _Running(ctx, NODE2, PLAIN)
  ctx.cfg.MarkInstanceUp(KVM)
  _Running(ctx, NODE2, DRBD)
  assert _Status(ctx) == {
    PLAIN: constants.INSTST_RUNNING,
    KVM: constants.INSTST_ERRORDOWN,
    DRBD: constants.INSTST_ERRORUP,
    DISKLESS: constants.INSTST_ADMINDOWN,
    }
  ctx.cfg.MarkInstanceOffline(DISKLESS)
  assert _Status(ctx)[DISKLESS] == constants.INSTST_ADMINOFFLINE


def test_status_wrong_node(ctx):
  # the drbd instance runs on its secondary
  ctx.cfg.MarkInstanceUp(DRBD)
  _Running(ctx, NODE3, DRBD)
  assert _Status(ctx)[DRBD] == constants.INSTST_WRONGNODE
  [[state]] = _Query(ctx, ["oper_state"], [DRBD])
  assert state is True


def test_status_node_down_and_offline(ctx):
  ctx.rpc.fail[("all_instances_info", NODE2)] = "connection refused"
  status = _Status(ctx)
  assert status[PLAIN] == constants.INSTST_NODEDOWN
  assert status[DISKLESS] == constants.INSTST_ADMINDOWN
  env.SetOffline(ctx, NODE3)
  ctx.rpc.calls[:] = []
  status = _Status(ctx)
  assert status[DISKLESS] == constants.INSTST_NODEOFFLINE
  # the offline node is not asked
  assert ctx.rpc.Names("all_instances_info") == [NODE2]


def test_live_fields_and_who_is_asked(ctx):
  _Running(ctx, NODE2, PLAIN, memory=300, vcpus=2)
  rows = _Query(ctx, ["name", "oper_ram", "oper_vcpus", "oper_state"],
                [PLAIN, DISKLESS])
  assert rows == [[PLAIN, 300, 2, True], [DISKLESS, None, None, False]]
  [(hvs, )] = ctx.rpc.Args("all_instances_info")[:1]
  assert sorted(ctx.rpc.Names("all_instances_info")) == [NODE2, NODE3]
  assert hvs == [constants.HT_FAKE]


def test_config_only_fields_ask_no_node(ctx):
  _Query(ctx, ["name", "os", "admin_state", "disk_template"])
  assert ctx.rpc.calls == []


def test_disk_usage(ctx):
  rows = dict(_Query(ctx, ["name", "disk_usage"]))
  assert rows == {PLAIN: 1024, KVM: 1024,
                  DRBD: 1024 + constants.DRBD_META_SIZE, DISKLESS: None}
  assert ctx.rpc.calls == []


def test_console_field(ctx):
  _Running(ctx, NODE2, PLAIN)
  rows = dict(_Query(ctx, ["name", "console"]))
  assert rows[PLAIN]["instance"] == PLAIN
  assert rows[PLAIN]["kind"] in constants.CONS_ALL
  assert rows[KVM] is None


def test_gather_orphans_are_ignored(ctx):
  _Running(ctx, NODE2, "orphan.example.com")
  _Running(ctx, NODE2, PLAIN)
  q = query.MakeQuery(constants.QR_INSTANCE, ["name", "status"], None)
  data = cmdlib_query.Gather(ctx, constants.QR_INSTANCE, q)
  assert set(data.live_data) == set([PLAIN])
  assert data.bad_nodes == frozenset()


def test_query_data_live_for_all_instances_locks_them_all(ctx):
  _Running(ctx, NODE2, KVM)
  result = env.Run(ctx, opcodes.OpInstanceQueryData())
  assert sorted(result) == sorted([PLAIN, DRBD, KVM, DISKLESS])
  assert result[KVM]["run_state"] == "up"
  assert result[PLAIN]["run_state"] == "down"
  assert sorted(ctx.rpc.Names("instance_info")) == \
    sorted([NODE2, NODE2, NODE2, NODE3])
