"""Tests for ganeti.cmdlib.instance_utils: copies for nodes, hook
environments and the shared prerequisite checks.

The configuration is real; node calls go to the recording runner of
test_instance_testlib.py (real RpcResult objects).
"""

import importlib.util
import pathlib

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti.cmdlib import instance_utils

_SPEC = importlib.util.spec_from_file_location(
  "instance_testlib",
  pathlib.Path(__file__).parent / "test_instance_testlib.py")
tl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tl)

ctx = tl.ctx


@pytest.fixture
def lu(ctx):
  return tl.FakeLU(ctx)


@pytest.fixture
def drbd_inst(ctx):
  return tl.AddInstance(ctx, "inst1.example.com", constants.DT_DRBD8,
                        pnode=tl.NODE2, snode=tl.NODE3, disks=[1024])


# -- names and copies ----------------------------------------------------------

def test_expand_instance_name(ctx, drbd_inst):
  assert instance_utils.ExpandInstanceName(ctx.cfg, "inst1") == \
    "inst1.example.com"
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.ExpandInstanceName(ctx.cfg, "nosuch")
  assert info.value.args[1] == errors.ECODE_NOENT


def test_instance_for_node_fills_and_merges_parameters(ctx, drbd_inst):
  cluster = ctx.cfg.GetClusterInfo()
  cluster.osparams = {"dummy": {"colour": "blue"}}
  drbd_inst.beparams = {constants.BE_VCPUS: 2}
  copy = instance_utils.InstanceForNode(
    ctx.cfg, drbd_inst, hvp={"some": "override"},
    bep={constants.BE_MEMORY: 512})
  assert copy is not drbd_inst
  assert copy.beparams[constants.BE_VCPUS] == 2
  assert copy.beparams[constants.BE_MAXMEM] == 512
  assert copy.beparams[constants.BE_MINMEM] == 512
  assert copy.beparams[constants.BE_AUTO_BALANCE] == \
    cluster.beparams[constants.PP_DEFAULT][constants.BE_AUTO_BALANCE]
  assert copy.hvparams["some"] == "override"
  assert copy.osparams == {"colour": "blue"}
  # the configuration's object keeps only its own values
  assert drbd_inst.beparams == {constants.BE_VCPUS: 2}
  assert drbd_inst.disks[0].physical_id is None


def test_instance_for_node_sets_drbd_physical_ids(ctx, drbd_inst):
  lid = drbd_inst.disks[0].logical_id
  primary = instance_utils.InstanceForNode(ctx.cfg, drbd_inst)
  assert primary.disks[0].physical_id == \
    (tl.HOSTS[tl.NODE2], lid[2], tl.HOSTS[tl.NODE3], lid[2], lid[3], lid[5])
  secondary = instance_utils.InstanceForNode(ctx.cfg, drbd_inst,
                                             node=tl.NODE3)
  assert secondary.disks[0].physical_id[:2] == (tl.HOSTS[tl.NODE3], lid[2])
  assert secondary.disks[0].physical_id[4] == lid[4]
  assert secondary.disks[0].children[0].physical_id == \
    secondary.disks[0].children[0].logical_id


def test_disk_for_node_copies(ctx, drbd_inst):
  disk = drbd_inst.disks[0]
  copy = instance_utils.DiskForNode(ctx.cfg, disk, tl.NODE3)
  assert copy is not disk and disk.physical_id is None
  assert copy.physical_id[0] == tl.HOSTS[tl.NODE3]
  with pytest.raises(errors.ConfigurationError):
    instance_utils.DiskForNode(ctx.cfg, disk, tl.NODE4)


# -- hooks ---------------------------------------------------------------------

def test_build_instance_hook_env():
  env = instance_utils.BuildInstanceHookEnv(
    name="web", primary_node="n1", secondary_nodes=["n2", "n3"],
    os_type="dummy+default", status=True, minmem=128, maxmem=256, vcpus=2,
    nics=[(None, "aa:00:00:00:00:01", "bridged", "br0"),
          ("10.0.0.5", "aa:00:00:00:00:02", "routed", "100")],
    disk_template="drbd", disks=[(1024, "rw"), (512, "ro")],
    bep={"auto_balance": True}, hvp={"kernel_path": "/vmlinuz"},
    hypervisor_name="kvm", tags=["b", "a"])
  assert env["OP_TARGET"] == env["INSTANCE_NAME"] == "web"
  assert env["INSTANCE_SECONDARIES"] == "n2 n3"
  assert env["INSTANCE_STATUS"] is True
  assert env["INSTANCE_MEMORY"] == env["INSTANCE_MAXMEM"] == 256
  assert env["INSTANCE_MINMEM"] == 128
  assert env["INSTANCE_NIC_COUNT"] == 2
  assert env["INSTANCE_NIC0_IP"] == ""
  assert env["INSTANCE_NIC0_BRIDGE"] == "br0"
  assert env["INSTANCE_NIC1_IP"] == "10.0.0.5"
  assert env["INSTANCE_NIC1_MODE"] == "routed"
  assert "INSTANCE_NIC1_BRIDGE" not in env
  assert env["INSTANCE_DISK_COUNT"] == 2
  assert env["INSTANCE_DISK1_SIZE"] == 512
  assert env["INSTANCE_DISK1_MODE"] == "ro"
  assert env["INSTANCE_TAGS"] == "a b"
  assert env["INSTANCE_BE_auto_balance"] is True
  assert env["INSTANCE_HV_kernel_path"] == "/vmlinuz"
  assert env["INSTANCE_HYPERVISOR"] == "kvm"
  assert env["INSTANCE_DISK_TEMPLATE"] == "drbd"


def test_build_instance_hook_env_by_object(ctx, lu, drbd_inst):
  drbd_inst.AddTag("prod")
  env = instance_utils.BuildInstanceHookEnvByObject(lu, drbd_inst)
  assert env["INSTANCE_PRIMARY"] == tl.NODE2
  assert env["INSTANCE_SECONDARIES"] == tl.NODE3
  assert env["INSTANCE_STATUS"] == constants.ADMINST_DOWN
  assert env["INSTANCE_NIC0_MODE"] == constants.NIC_MODE_BRIDGED
  assert env["INSTANCE_NIC0_LINK"] == constants.DEFAULT_BRIDGE
  assert env["INSTANCE_NIC0_MAC"] == drbd_inst.nics[0].mac
  assert env["INSTANCE_DISK0_SIZE"] == 1024
  assert env["INSTANCE_TAGS"] == "prod"
  assert env["INSTANCE_OS_TYPE"] == "dummy+default"
  override = instance_utils.BuildInstanceHookEnvByObject(
    lu, drbd_inst, override={"minmem": 64, "status": "up"})
  assert override["INSTANCE_MINMEM"] == 64
  assert override["INSTANCE_STATUS"] == "up"


# -- node checks ---------------------------------------------------------------

def _SetNode(ctx, name, **attrs):
  node = ctx.cfg.GetNodeInfo(name)
  for (key, value) in attrs.items():
    setattr(node, key, value)


@pytest.mark.parametrize("attr,value,fn,text", [
  ("offline", True, instance_utils.CheckNodeOnline, "offline node"),
  ("drained", True, instance_utils.CheckNodeNotDrained, "drained node"),
  ("vm_capable", False, instance_utils.CheckNodeVmCapable, "non-vm_capable"),
  ])
def test_node_state_checks(ctx, lu, attr, value, fn, text):
  fn(lu, tl.NODE2)
  _SetNode(ctx, tl.NODE2, **{attr: value})
  with pytest.raises(errors.OpPrereqError) as info:
    fn(lu, tl.NODE2)
  assert text in info.value.args[0] and tl.NODE2 in info.value.args[0]
  assert info.value.args[1] == errors.ECODE_STATE


def test_check_node_free_memory(ctx, lu):
  assert instance_utils.CheckNodeFreeMemory(lu, tl.NODE2, "starting x", 4096,
                                            constants.HT_FAKE) == 4096
  assert ctx.rpc.Calls("node_info") == [([tl.NODE2],
                                         ([], [constants.HT_FAKE]))]
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckNodeFreeMemory(lu, tl.NODE2, "starting x", 4097,
                                       constants.HT_FAKE)
  assert "Not enough memory on node %s for starting x: needed 4097 MiB," \
    " available 4096 MiB" % tl.NODE2 in info.value.args[0]
  assert info.value.args[1] == errors.ECODE_NORES


def test_check_node_free_memory_per_hypervisor_answer(ctx, lu):
  ctx.rpc.handlers["node_info"] = lambda node, vgs, hvs: {
    "memory_free": 99999, "hv_info": {constants.HT_KVM: {"memory_free": 10}}}
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckNodeFreeMemory(lu, tl.NODE2, "x", 11,
                                       constants.HT_KVM)
  assert "available 10 MiB" in info.value.args[0]


def test_check_node_free_memory_node_failure(ctx, lu):
  ctx.rpc.Fail("node_info", "connection refused")
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckNodeFreeMemory(lu, tl.NODE2, "x", 1,
                                       constants.HT_FAKE)
  assert "Can't get data from node %s: connection refused" % tl.NODE2 in \
    info.value.args[0]
  assert info.value.args[1] == errors.ECODE_ENVIRON


def test_check_node_free_memory_bad_answer(ctx, lu):
  ctx.rpc.handlers["node_info"] = lambda node, vgs, hvs: {}
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckNodeFreeMemory(lu, tl.NODE2, "x", 1,
                                       constants.HT_FAKE)
  assert "Can't compute free memory on node" in info.value.args[0]


# -- instance state ------------------------------------------------------------

def test_check_instance_state_admin_state(ctx, lu, drbd_inst):
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckInstanceState(lu, drbd_inst,
                                      frozenset([constants.ADMINST_UP]),
                                      "cannot do it")
  assert info.value.args[0] == ("Instance 'inst1.example.com' is marked to be"
                             " down, cannot do it")
  # "up" allowed: the node is not asked
  assert ctx.rpc.Calls("instance_info") == []


def test_check_instance_state_running_refused(ctx, lu, drbd_inst):
  instance_utils.CheckInstanceState(lu, drbd_inst,
                                    constants.INSTANCE_DOWN, "x")
  assert ctx.rpc.Calls("instance_info") == [
    (tl.NODE2, ("inst1.example.com", constants.HT_FAKE))]
  ctx.rpc.handlers["instance_info"] = lambda node, name, hv: {
    "memory": 128, "vcpus": 1, "state": "running", "time": 3}
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckInstanceState(lu, drbd_inst,
                                      constants.INSTANCE_DOWN,
                                      "cannot rename")
  assert "Instance inst1.example.com is running, cannot rename" == \
    info.value.args[0]


def test_check_instance_state_offline_primary_not_asked(ctx, lu, drbd_inst):
  _SetNode(ctx, tl.NODE2, offline=True)
  instance_utils.CheckInstanceState(lu, drbd_inst,
                                    constants.INSTANCE_NOT_RUNNING)
  assert ctx.rpc.Calls("instance_info") == []
  assert "Primary node %s is offline" % tl.NODE2 in lu.warnings[0]


def test_get_instance_running(ctx, lu, drbd_inst):
  assert instance_utils.GetInstanceRunning(lu, drbd_inst) is False
  ctx.rpc.handlers["instance_info"] = lambda node, name, hv: {"state": "r"}
  assert instance_utils.GetInstanceRunning(lu, drbd_inst) is True
  ctx.rpc.Fail("instance_info", "hypervisor gone")
  with pytest.raises(errors.OpExecError):
    instance_utils.GetInstanceRunning(lu, drbd_inst)


# -- parameters on nodes -------------------------------------------------------

def test_check_os_params(ctx, lu):
  _SetNode(ctx, tl.NODE3, vm_capable=False)
  instance_utils.CheckOSParams(lu, True, [tl.NODE2, tl.NODE3], "dummy",
                               {"colour": "red"})
  assert ctx.rpc.Calls("os_validate") == [
    ([tl.NODE2], (True, "dummy", [constants.OS_VALIDATE_PARAMETERS],
                  {"colour": "red"}))]
  ctx.rpc.handlers["os_validate"] = lambda node, *args: False
  instance_utils.CheckOSParams(lu, False, [tl.NODE2], "dummy", {})
  assert lu.infos == ["OS dummy not found on node %s, validation skipped" %
                      tl.NODE2]
  ctx.rpc.Fail("os_validate", "Unknown parameters: size")
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckOSParams(lu, True, [tl.NODE2], "dummy", {"size": 1})
  assert "OS parameters validation failed on node %s: Unknown parameters:" \
    " size" % tl.NODE2 == info.value.args[0]


def test_check_hv_params(ctx, lu):
  ctx.rpc.offline.add(tl.NODE3)
  instance_utils.CheckHVParams(lu, [tl.NODE2, tl.NODE3], constants.HT_FAKE,
                               {"a": 1})
  assert ctx.rpc.Calls("hypervisor_validate_params") == [
    ([tl.NODE2, tl.NODE3], (constants.HT_FAKE, {"a": 1}))]
  ctx.rpc.Fail("hypervisor_validate_params", "kernel missing",
               when=lambda node, *args: node == tl.NODE2)
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckHVParams(lu, [tl.NODE2], constants.HT_FAKE, {})
  assert "Hypervisor parameter validation failed on node %s: kernel" \
    " missing" % tl.NODE2 == info.value.args[0]


def test_check_nics_bridges_exist(ctx, lu):
  nics = [objects.NIC(mac="aa:00:00:00:00:01", nicparams={}),
          objects.NIC(mac="aa:00:00:00:00:02",
                      nicparams={constants.NIC_LINK: "br9"}),
          objects.NIC(mac="aa:00:00:00:00:03", ip="10.0.0.1",
                      nicparams={constants.NIC_MODE: "routed",
                                 constants.NIC_LINK: "100"})]
  instance_utils.CheckNicsBridgesExist(lu, nics, tl.NODE2)
  assert ctx.rpc.Calls("bridges_exist") == [
    (tl.NODE2, ([constants.DEFAULT_BRIDGE, "br9"],))]
  ctx.rpc.Fail("bridges_exist", "Missing bridges br9")
  with pytest.raises(errors.OpPrereqError) as info:
    instance_utils.CheckNicsBridgesExist(lu, nics, tl.NODE2)
  assert info.value.args[0] == ("Error checking bridges on destination node"
                                " '%s': Missing bridges br9" % tl.NODE2)
  assert info.value.args[1] == errors.ECODE_ENVIRON
  # routed NICs alone need no bridge: the node is not asked
  calls = len(ctx.rpc.calls)
  instance_utils.CheckNicsBridgesExist(lu, nics[2:], tl.NODE2)
  assert len(ctx.rpc.calls) == calls


# -- OS ------------------------------------------------------------------------

def test_find_os_on_node(ctx, lu):
  info = instance_utils.FindOSOnNode(lu, tl.NODE2, "dummy+default")
  assert info["variants"] == ["default", "other"]
  assert info["parameters"] == ["colour"]
  with pytest.raises(errors.OpPrereqError) as err:
    instance_utils.FindOSOnNode(lu, tl.NODE2, "broken")
  assert err.value.args[0] == (
    "OS 'broken' not in supported OS list for node %s: OS broken is not"
    " usable on node %s: missing create script" % (tl.NODE2, tl.NODE2))
  assert err.value.args[1] == errors.ECODE_INVAL
  with pytest.raises(errors.OpPrereqError) as err:
    instance_utils.FindOSOnNode(lu, tl.NODE2, "nosuch")
  assert "OS 'nosuch' not in supported OS list for node %s" % tl.NODE2 in \
    err.value.args[0]


@pytest.mark.parametrize("name,error", [
  ("dummy+default", None),
  ("dummy+other", None),
  ("dummy", "OS name must include a variant"),
  ("dummy+blue", "Unsupported OS variant 'blue'"),
  ("oldos", None),
  ("oldos+x", "doesn't support variants"),
  ])
def test_check_os_variant(ctx, lu, name, error):
  info = instance_utils.FindOSOnNode(lu, tl.NODE2, name)
  if error is None:
    instance_utils.CheckOSVariant(info, name)
    assert objects.OS.GetName(name) in ("dummy", "oldos")
  else:
    with pytest.raises(errors.OpPrereqError) as err:
      instance_utils.CheckOSVariant(info, name)
    assert error in err.value.args[0]


def test_check_os_param_names(ctx, lu):
  info = instance_utils.FindOSOnNode(lu, tl.NODE2, "dummy")
  instance_utils.CheckOSParamNames(info, "dummy", {"colour": "x"})
  with pytest.raises(errors.OpPrereqError) as err:
    instance_utils.CheckOSParamNames(info, "dummy", {"size": 1, "zz": 2})
  assert "not supported by the OS dummy: size, zz" in err.value.args[0]
