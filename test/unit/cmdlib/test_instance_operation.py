"""Tests for ganeti.cmdlib.instance_operation: start, stop, reboot, console,
reinstall.

The LUs run through a real mcpu.Processor, ConfigWriter and lock manager
on a virtual master below tmp_path.  The nodes are played by `NodeDouble`,
an RPC runner double that checks every call against rpc_defs (name and
argument count), records it, and answers with real RpcResult objects from
a small model of the nodes (what runs where, which devices are active);
single calls or nodes can be made to fail.  The same operations against
running daemons are in the integration tests.

This module also holds that environment (`MakeContext`, `NodeDouble`,
`Run`...) for test_instance_query.py and test_instance_set_params.py,
which load it from its file.
"""

import os
import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import rpc
from ganeti import rpc_defs
from ganeti import utils
from ganeti.cmdlib import instance_operation


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
NODE4 = "node4.example.com"
_IPS = {MASTER: "192.0.2.1", NODE2: "192.0.2.2", NODE3: "192.0.2.3",
        NODE4: "192.0.2.4"}
PLAIN = "plain1.example.com"
DRBD = "drbd1.example.com"
KVM = "kvm1.example.com"
DISKLESS = "diskless1.example.com"


class _NodeFailure(Exception):
  """Raised by a NodeDouble handler: the node answers with a failure."""


class NodeDouble(object):
  """RPC runner double: nodes modelled in memory, every call recorded.

  @ivar calls: (call name, node, args) in the order made
  @ivar running: node -> {instance name: hypervisor data}
  @ivar active: set of (node, device logical id) assembled
  @ivar fail: (call name, node or None) -> error message of the node
  @ivar hooks: (hpath, phase, env) of every hooks_runner call
  @ivar free_memory: node -> MiB the hypervisor reports free
  @ivar vg_free: node -> MiB free in every volume group

  """
  def __init__(self, cfg):
    self.cfg = cfg
    self.calls = []
    self.running = {}
    self.active = set()
    self.created = []
    self.removed = []
    self.fail = {}
    self.hooks = []
    self.free_memory = {}
    self.vg_free = {}
    self.os_variants = ["default", "minimal"]

  def __getattr__(self, attr):
    if not attr.startswith("call_"):
      raise AttributeError(attr)
    cdef = rpc_defs.GetCall(attr[len("call_"):])
    if cdef is None:
      raise AttributeError("No RPC call %s in rpc_defs" % attr)

    def _Method(nodes, *args):
      assert len(args) == len(cdef.args), \
        "%s takes %d arguments, got %d" % (cdef.name, len(cdef.args),
                                          len(args))
      if cdef.kind == rpc_defs.SINGLE:
        assert isinstance(nodes, str)
        return self._One(cdef.name, nodes, args)
      assert isinstance(nodes, (list, tuple)), nodes
      return dict((node, self._One(cdef.name, node, args)) for node in nodes)
    return _Method

  def Names(self, name=None):
    """The (call, node) pairs made, or the nodes called with ``name``."""
    if name is None:
      return [(call, node) for (call, node, _) in self.calls]
    return [node for (call, node, _) in self.calls if call == name]

  def Args(self, name):
    return [args for (call, _, args) in self.calls if call == name]

  def _One(self, name, node, args):
    self.calls.append((name, node, args))
    node_info = self.cfg.GetNodeInfo(node)
    if node_info is not None and node_info.offline:
      return rpc.RpcResult(offline=True, call=name, node=node)
    msg = self.fail.get((name, node)) or self.fail.get((name, None))
    if msg:
      return rpc.RpcResult(data=[False, msg], call=name, node=node)
    handler = getattr(self, "_Do_" + name, None)
    try:
      payload = handler(node, *args) if handler is not None else None
    except _NodeFailure as err:
      return rpc.RpcResult(data=[False, str(err)], call=name, node=node)
    return rpc.RpcResult(data=[True, payload], call=name, node=node)

  # -- instances

  def _Do_instance_info(self, node, name, hname):
    return dict(self.running.get(node, {}).get(name, {}))

  def _Do_instance_list(self, node, hvs):
    return sorted(self.running.get(node, {}))

  def _Do_all_instances_info(self, node, hvs):
    return dict((name, dict(data))
                for (name, data) in self.running.get(node, {}).items())

  def _Do_instance_start(self, node, inst, paused):
    assert isinstance(inst, objects.Instance)
    self.running.setdefault(node, {})[inst.name] = {
      "memory": inst.beparams[constants.BE_MAXMEM],
      "vcpus": inst.beparams[constants.BE_VCPUS], "state": "-b----",
      "time": 1.5}

  def _Do_instance_shutdown(self, node, inst, timeout):
    self.running.get(node, {}).pop(inst.name, None)

  def _Do_node_info(self, node, vgs, hvs):
    return {"memory_free": self.free_memory.get(node, 8192),
            "memory_total": 16384, "memory_dom0": 512, "cpu_total": 4,
            "bootid": "b-" + node,
            "vg_info": [{"name": vg, "vg_size": 200000,
                         "vg_free": self.vg_free.get(node, 100000)}
                        for vg in vgs or []]}

  def _Do_os_diagnose(self, node):
    return [["debootstrap", "/srv/ganeti/os/debootstrap", True, "",
             list(self.os_variants), [["mirror", "The mirror"]], [20]],
            ["lenny", "/srv/ganeti/os/lenny", True, "", [], [], [10]]]

  def _Do_os_get(self, node, name):
    for entry in self._Do_os_diagnose(node):
      if entry[0] == objects.OS.GetName(name):
        return {"name": entry[0], "path": entry[1], "status": entry[2],
                "supported_variants": entry[4],
                "supported_parameters": entry[5], "api_versions": entry[6]}
    raise _NodeFailure("Invalid OS name '%s': not found in the OS search"
                       " path" % name)

  def _Do_os_validate(self, node, required, name, checks, params):
    return True

  def _Do_node_verify(self, node, checks, cluster_name):
    return {constants.NV_BRIDGES: []}

  def _Do_hooks_runner(self, node, hpath, phase, env):
    self.hooks.append((hpath, phase, dict(env), node))
    return []

  # -- block devices

  def _Do_blockdev_assemble(self, node, disk, owner, on_primary, idx):
    assert disk.physical_id is not None
    self.active.add((node, tuple(disk.logical_id)))
    if on_primary:
      return ["/dev/fake/%s-%d" % (owner, idx), "%s:%d" % (owner, idx)]
    return True

  def _Do_blockdev_shutdown(self, node, disk):
    self.active.discard((node, tuple(disk.logical_id)))

  def _Do_blockdev_create(self, node, disk, size, owner, on_primary, info,
                          excl_stor):
    self.created.append((node, tuple(disk.logical_id), on_primary))
    return list(disk.physical_id or disk.logical_id)

  def _Do_blockdev_remove(self, node, disk):
    self.removed.append((node, tuple(disk.logical_id)))

  def _Do_blockdev_find(self, node, disk):
    return {"dev_path": "/dev/fake/%s" % disk.logical_id[-1], "major": 253,
            "minor": 7, "sync_percent": None, "estimated_time": None,
            "is_degraded": False, "ldisk_status": constants.LDS_OKAY}

  def _Do_blockdev_getmirrorstatus(self, node, disks):
    return [[True, self._Do_blockdev_find(node, disk)] for disk in disks]

  def _Do_blockdev_wipe(self, node, disk, offset, size):
    return None


def _Node(name, **kwargs):
  attrs = dict(name=name, primary_ip=_IPS[name], secondary_ip=_IPS[name],
               master_candidate=True, offline=False, drained=False,
               master_capable=True, vm_capable=True, ndparams={})
  attrs.update(kwargs)
  return objects.Node(**attrs)


def _Nic(cfg, **kwargs):
  attrs = dict(mac=cfg.GenerateMAC("setup"), ip=None, nicparams={})
  attrs.update(kwargs)
  return objects.NIC(**attrs)


def _Instance(cfg, name, pnode, template, disks, hv=constants.HT_FAKE,
              admin_state=constants.ADMINST_DOWN):
  return objects.Instance(name=name, primary_node=pnode,
                          os="debootstrap+default", hypervisor=hv,
                          hvparams={}, beparams={constants.BE_MAXMEM: 256,
                                                 constants.BE_MINMEM: 128},
                          osparams={}, admin_state=admin_state,
                          nics=[_Nic(cfg)], disks=disks,
                          disk_template=template, network_port=None)


def DrbdDisk(cfg, name, pnode, snode, idx=0, size=1024):
  port = cfg.AllocatePort()
  minors = cfg.AllocateDRBDMinor([pnode, snode], name)
  children = [
    objects.Disk(dev_type=constants.LD_LV, size=size, mode="rw",
                 logical_id=("xenvg", "%s.disk%d_data" % (name, idx))),
    objects.Disk(dev_type=constants.LD_LV, size=128, mode="rw",
                 logical_id=("xenvg", "%s.disk%d_meta" % (name, idx))),
    ]
  return objects.Disk(dev_type=constants.LD_DRBD8, size=size, mode="rw",
                      iv_name="disk/%d" % idx, children=children,
                      logical_id=(pnode, snode, port, minors[0], minors[1],
                                  cfg.GenerateDRBDSecret("setup")))


def PlainDisk(name, idx=0, size=1024):
  return objects.Disk(dev_type=constants.LD_LV, size=size, mode="rw",
                      iv_name="disk/%d" % idx, children=[],
                      logical_id=("xenvg", "%s.disk%d" % (name, idx)))


class Context(object):
  def __init__(self, cfg):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = NodeDouble(cfg)
    self.jobqueue = None


def MakeContext(as_node):
  """A master, three more nodes, and four instances (plain on node2, drbd
  on node2/node3, a kvm one on node2, a diskless one on node3)."""
  as_node(MASTER)
  os.makedirs(pathutils.DATA_DIR)
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    beparams={constants.PP_DEFAULT: dict(constants.BEC_DEFAULTS)},
    hvparams={constants.HT_FAKE: {},
              constants.HT_KVM: dict(constants.HVC_DEFAULTS[
                constants.HT_KVM])},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="192.0.2.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE, constants.HT_KVM],
    candidate_pool_size=10, tcpudp_port_pool=set(), uid_pool=[],
    maintain_node_health=False, modify_etc_hosts=False,
    modify_ssh_setup=False, primary_ip_family=socket.AF_INET, tags=set())
  config.InitConfig(constants.CONFIG_VERSION, cluster, _Node(MASTER))
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  for name in (NODE2, NODE3, NODE4):
    cfg.AddNode(_Node(name), "setup")
  cfg.AddInstance(_Instance(cfg, PLAIN, NODE2, constants.DT_PLAIN,
                            [PlainDisk(PLAIN)]), "setup")
  cfg.AddInstance(_Instance(cfg, DRBD, NODE2, constants.DT_DRBD8,
                            [DrbdDisk(cfg, DRBD, NODE2, NODE3)]), "setup")
  cfg.AddInstance(_Instance(cfg, KVM, NODE2, constants.DT_PLAIN,
                            [PlainDisk(KVM)], hv=constants.HT_KVM), "setup")
  cfg.AddInstance(_Instance(cfg, DISKLESS, NODE3, constants.DT_DISKLESS, []),
                  "setup")
  cfg.DropECReservations("setup")
  return Context(cfg)


class Cbs(mcpu.OpExecCbBase):
  def __init__(self):
    self.feedback = []

  def Feedback(self, *args):
    self.feedback.append(args)

  def Text(self):
    return "\n".join(str(entry[-1]) for entry in self.feedback)


def Run(ctx, op, cbs=None):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs or Cbs())


def Fails(ctx, op, ecls=errors.OpPrereqError):
  with pytest.raises(ecls) as info:
    Run(ctx, op)
  return info.value


def SetOffline(ctx, node):
  info = ctx.cfg.GetNodeInfo(node)
  info.offline = True
  info.master_candidate = False
  ctx.cfg.Update(info, None)


def Inst(ctx, name):
  return ctx.cfg.GetInstanceInfo(name)


def HookEnvs(ctx, hpath, phase):
  """The environment the first node got in a hooks phase, and the nodes."""
  found = [(env, node) for (path, ph, env, node) in ctx.rpc.hooks
           if path == hpath and ph == phase]
  assert found, "no %s hooks for %s" % (phase, hpath)
  return (found[0][0], sorted(node for (_, node) in found))


@pytest.fixture
def ctx(as_node):
  return MakeContext(as_node)


# -- startup ---------------------------------------------------------------

def test_startup_assembles_disks_starts_and_marks_up(ctx):
  Run(ctx, opcodes.OpInstanceStartup(instance_name="plain1"))
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP
  assert ctx.rpc.active == {(NODE2, ("xenvg", "plain1.example.com.disk0"))}
  assert PLAIN in ctx.rpc.running[NODE2]
  [(inst, paused)] = ctx.rpc.Args("instance_start")
  # the node gets the filled parameters and the disks' physical ids
  assert inst.beparams[constants.BE_MAXMEM] == 256
  assert inst.beparams[constants.BE_VCPUS] == \
    constants.BEC_DEFAULTS[constants.BE_VCPUS]
  assert inst.disks[0].physical_id == ("xenvg", "plain1.example.com.disk0")
  assert paused is False
  # free memory was checked on the primary before
  assert ctx.rpc.Names("node_info") == [NODE2]


def test_startup_hooks_env_and_nodes(ctx):
  Run(ctx, opcodes.OpInstanceStartup(instance_name=DRBD, force=True))
  (env, nodes) = HookEnvs(ctx, "instance-start", "pre")
  assert nodes == [MASTER, NODE2, NODE3]
  assert env["GANETI_FORCE"] == "True"
  assert env["GANETI_INSTANCE_NAME"] == DRBD
  assert env["GANETI_INSTANCE_SECONDARIES"] == NODE3
  assert env["GANETI_INSTANCE_STATUS"] == "down"
  assert env["GANETI_OBJECT_TYPE"] == "INSTANCE"
  (post, _) = HookEnvs(ctx, "instance-start", "post")
  assert post["GANETI_POST_INSTANCE_STATUS"] == "up"


def test_startup_temporary_params_are_not_recorded(ctx):
  Run(ctx, opcodes.OpInstanceStartup(
    instance_name=KVM, hvparams={constants.HV_KERNEL_ARGS: "ro single"},
    beparams={constants.BE_MAXMEM: 512}, startup_paused=True))
  [(inst, paused)] = ctx.rpc.Args("instance_start")
  assert inst.hvparams[constants.HV_KERNEL_ARGS] == "ro single"
  assert inst.beparams[constants.BE_MAXMEM] == 512
  assert paused is True
  stored = Inst(ctx, KVM)
  assert stored.hvparams == {}
  assert stored.beparams[constants.BE_MAXMEM] == 256
  # the nodes validated the temporary hypervisor parameters
  assert ctx.rpc.Names("hypervisor_validate_params") == [NODE2]


def test_startup_refuses_global_and_unknown_hvparams(ctx):
  err = Fails(ctx, opcodes.OpInstanceStartup(
    instance_name=KVM, hvparams={constants.HV_MIGRATION_PORT: 1234}))
  assert "global" in str(err)
  err = Fails(ctx, opcodes.OpInstanceStartup(
    instance_name=PLAIN, hvparams={constants.HV_KERNEL_ARGS: "x"}))
  assert constants.HV_KERNEL_ARGS in str(err)
  assert ctx.rpc.Names("instance_start") == []
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN


def test_startup_refuses_when_memory_is_short(ctx):
  ctx.rpc.free_memory[NODE2] = 100
  err = Fails(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  assert err.args[1] == errors.ECODE_NORES
  assert "Not enough memory on node %s" % NODE2 in str(err)
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN
  assert ctx.rpc.active == set()


def test_startup_of_a_running_instance_skips_the_memory_check(ctx):
  ctx.rpc.free_memory[NODE2] = 100
  ctx.rpc.running[NODE2] = {PLAIN: {"memory": 256, "vcpus": 1,
                                    "state": "r", "time": 1}}
  Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  assert ctx.rpc.Names("node_info") == []
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP


def test_startup_failure_deactivates_disks_and_keeps_state(ctx):
  ctx.rpc.fail[("instance_start", NODE2)] = "qemu exploded"
  err = Fails(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN),
              errors.OpExecError)
  assert "Could not start instance: qemu exploded" in str(err)
  assert ctx.rpc.active == set()
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN


def test_startup_no_remember_leaves_admin_state(ctx):
  Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN, no_remember=True))
  assert PLAIN in ctx.rpc.running[NODE2]
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN


def test_startup_offline_primary(ctx):
  SetOffline(ctx, NODE2)
  err = Fails(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  assert "offline" in str(err)
  err = Fails(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN,
                                             ignore_offline_nodes=True,
                                             no_remember=True))
  assert "remember" in str(err)
  Run(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN,
                                     ignore_offline_nodes=True))
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP
  assert ctx.rpc.Names("instance_start") == []


def test_startup_refuses_an_offline_instance(ctx):
  ctx.cfg.MarkInstanceOffline(PLAIN)
  err = Fails(ctx, opcodes.OpInstanceStartup(instance_name=PLAIN))
  assert err.args[1] == errors.ECODE_STATE
  assert "offline" in str(err)


def test_startup_locks(ctx):
  op = opcodes.OpInstanceStartup(instance_name="drbd1")
  lu = instance_operation.LUInstanceStartup(mcpu.Processor(ctx, 1), op, ctx,
                                            ctx.rpc)
  lu.ExpandNames()
  assert lu.needed_locks == {locking.LEVEL_INSTANCE: DRBD,
                             locking.LEVEL_NODE_RES: []}
  assert op.instance_name == DRBD


# -- shutdown --------------------------------------------------------------

def _Start(ctx, name):
  Run(ctx, opcodes.OpInstanceStartup(instance_name=name))
  ctx.rpc.calls[:] = []


def test_shutdown_stops_deactivates_and_marks_down(ctx):
  _Start(ctx, DRBD)
  Run(ctx, opcodes.OpInstanceShutdown(instance_name=DRBD, timeout=7))
  assert ctx.rpc.running[NODE2] == {}
  assert ctx.rpc.active == set()
  [(inst, timeout)] = ctx.rpc.Args("instance_shutdown")
  assert (inst.name, timeout) == (DRBD, 7)
  assert Inst(ctx, DRBD).admin_state == constants.ADMINST_DOWN
  (env, nodes) = HookEnvs(ctx, "instance-stop", "pre")
  assert env["GANETI_TIMEOUT"] == "7"
  assert nodes == [MASTER, NODE2, NODE3]


def test_shutdown_no_remember_keeps_admin_up(ctx):
  _Start(ctx, PLAIN)
  Run(ctx, opcodes.OpInstanceShutdown(instance_name=PLAIN, no_remember=True))
  assert ctx.rpc.running[NODE2] == {}
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP


def test_shutdown_failure_is_a_warning(ctx):
  _Start(ctx, PLAIN)
  ctx.rpc.fail[("instance_shutdown", NODE2)] = "it resists"
  cbs = Cbs()
  Run(ctx, opcodes.OpInstanceShutdown(instance_name=PLAIN), cbs)
  assert "Could not shutdown instance: it resists" in cbs.Text()
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN


def test_shutdown_offline_primary(ctx):
  _Start(ctx, PLAIN)
  SetOffline(ctx, NODE2)
  Fails(ctx, opcodes.OpInstanceShutdown(instance_name=PLAIN))
  Run(ctx, opcodes.OpInstanceShutdown(instance_name=PLAIN,
                                      ignore_offline_nodes=True))
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN
  assert ctx.rpc.Names("instance_shutdown") == []


# -- reboot ----------------------------------------------------------------

@pytest.mark.parametrize("kind", [constants.INSTANCE_REBOOT_SOFT,
                                  constants.INSTANCE_REBOOT_HARD])
def test_reboot_soft_and_hard_go_to_the_node(ctx, kind):
  _Start(ctx, PLAIN)
  Run(ctx, opcodes.OpInstanceReboot(instance_name=PLAIN, reboot_type=kind,
                                    shutdown_timeout=9))
  [(inst, rtype, timeout)] = ctx.rpc.Args("instance_reboot")
  assert (inst.name, rtype, timeout) == (PLAIN, kind, 9)
  assert ctx.rpc.Names("instance_shutdown") == []
  (env, _) = HookEnvs(ctx, "instance-reboot", "pre")
  assert env["GANETI_REBOOT_TYPE"] == kind
  assert env["GANETI_SHUTDOWN_TIMEOUT"] == "9"
  assert env["GANETI_IGNORE_SECONDARIES"] == "False"


def test_reboot_full_restarts_disks_and_instance(ctx):
  _Start(ctx, PLAIN)
  Run(ctx, opcodes.OpInstanceReboot(
    instance_name=PLAIN, reboot_type=constants.INSTANCE_REBOOT_FULL))
  names = [name for (name, node) in ctx.rpc.Names()
           if name.startswith("instance_") or name.startswith("blockdev_")]
  assert names == ["instance_info", "instance_shutdown", "blockdev_shutdown",
                   "blockdev_assemble", "blockdev_assemble",
                   "instance_start"]
  assert PLAIN in ctx.rpc.running[NODE2]
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP


def test_reboot_of_a_stopped_instance_starts_it(ctx):
  cbs = Cbs()
  Run(ctx, opcodes.OpInstanceReboot(
    instance_name=PLAIN, reboot_type=constants.INSTANCE_REBOOT_SOFT), cbs)
  assert "was already stopped, starting now" in cbs.Text()
  assert ctx.rpc.Names("instance_reboot") == []
  assert PLAIN in ctx.rpc.running[NODE2]
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_UP


def test_reboot_failed_start_deactivates_disks(ctx):
  ctx.rpc.fail[("instance_start", NODE2)] = "no"
  err = Fails(ctx, opcodes.OpInstanceReboot(
    instance_name=PLAIN, reboot_type=constants.INSTANCE_REBOOT_HARD),
    errors.OpExecError)
  assert "Could not start instance for full reboot: no" in str(err)
  assert ctx.rpc.active == set()
  assert Inst(ctx, PLAIN).admin_state == constants.ADMINST_DOWN


def test_reboot_soft_failure_raises(ctx):
  _Start(ctx, PLAIN)
  ctx.rpc.fail[("instance_reboot", NODE2)] = "stuck"
  err = Fails(ctx, opcodes.OpInstanceReboot(
    instance_name=PLAIN, reboot_type=constants.INSTANCE_REBOOT_SOFT),
    errors.OpExecError)
  assert "Could not reboot instance: stuck" in str(err)


# -- console ---------------------------------------------------------------

def test_console_of_a_running_instance(ctx):
  _Start(ctx, PLAIN)
  result = Run(ctx, opcodes.OpInstanceConsole(instance_name=PLAIN))
  console = objects.InstanceConsole.FromDict(result)
  assert console.instance == PLAIN
  assert console.kind in constants.CONS_ALL
  assert console.Validate()
  assert ctx.rpc.Names("instance_list") == [NODE2]
  # no hooks for the console (only those of the startup before)
  assert set(hook[0] for hook in ctx.rpc.hooks) <= set(["instance-start",
                                                        "config-update"])


def test_console_of_a_kvm_instance_names_the_primary(ctx):
  _Start(ctx, KVM)
  result = Run(ctx, opcodes.OpInstanceConsole(instance_name=KVM))
  assert result["instance"] == KVM
  if result["kind"] == constants.CONS_SSH:
    assert result["host"] == NODE2
  elif result["kind"] == constants.CONS_VNC:
    assert result["host"]
  else:
    pytest.fail("unexpected console kind %r for kvm" % result["kind"])


@pytest.mark.parametrize("state, shown", [
  (constants.ADMINST_DOWN, "ADMIN_down"),
  (constants.ADMINST_UP, "ERROR_down"),
  ])
def test_console_refuses_a_stopped_instance(ctx, state, shown):
  if state == constants.ADMINST_UP:
    ctx.cfg.MarkInstanceUp(PLAIN)
  err = Fails(ctx, opcodes.OpInstanceConsole(instance_name=PLAIN),
              errors.OpExecError)
  assert str(err) == "Instance %s is not running (state %s)" % (PLAIN, shown)


def test_console_refuses_an_offline_primary(ctx):
  SetOffline(ctx, NODE2)
  err = Fails(ctx, opcodes.OpInstanceConsole(instance_name=PLAIN))
  assert "offline node %s" % NODE2 in str(err)


# -- reinstall -------------------------------------------------------------

def test_reinstall_runs_the_create_script_with_disks_assembled(ctx):
  Run(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN))
  names = [name for (name, _) in ctx.rpc.Names()
           if name != "hooks_runner"]
  assert names == ["instance_info", "blockdev_assemble", "blockdev_assemble",
                   "instance_os_add", "blockdev_shutdown"]
  [(inst, reinstall, debug)] = ctx.rpc.Args("instance_os_add")
  assert (inst.name, reinstall, debug) == (PLAIN, True, 0)
  assert inst.disks[0].physical_id is not None
  assert ctx.rpc.active == set()
  (_, nodes) = HookEnvs(ctx, "instance-reinstall", "pre")
  assert nodes == [MASTER, NODE2]


def test_reinstall_with_new_os_and_temporary_params(ctx):
  Run(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN,
                                       os_type="debootstrap+minimal",
                                       osparams={"mirror": "http://m/"}))
  [(inst, _, _)] = ctx.rpc.Args("instance_os_add")
  assert inst.os == "debootstrap+minimal"
  assert inst.osparams == {"mirror": "http://m/"}
  stored = Inst(ctx, PLAIN)
  assert stored.os == "debootstrap+minimal"
  assert stored.osparams == {}
  assert ctx.rpc.Names("os_validate") == [NODE2]


def test_reinstall_checks_the_os_variant(ctx):
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN,
                                               os_type="debootstrap+nope"))
  assert "Unsupported OS variant 'nope'" in str(err)
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN,
                                               os_type="nosuchos"))
  assert "OS 'nosuchos' not in supported OS list for node %s" % NODE2 \
    in str(err)
  Run(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN,
                                       os_type="debootstrap+nope",
                                       force_variant=True))
  assert Inst(ctx, PLAIN).os == "debootstrap+nope"


def test_reinstall_refuses_running_and_diskless(ctx):
  _Start(ctx, PLAIN)
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN))
  assert "cannot reinstall" in str(err)
  ctx.rpc.running[NODE2].clear()
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN))
  assert "marked to be up" in str(err)
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=DISKLESS))
  assert "has no disks" in str(err)
  assert ctx.rpc.Names("instance_os_add") == []


def test_reinstall_failure_still_deactivates_disks(ctx):
  ctx.rpc.fail[("instance_os_add", NODE2)] = "OS create script failed"
  err = Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN),
              errors.OpExecError)
  assert ("Could not install OS for instance %s on node %s: OS create"
          " script failed" % (PLAIN, NODE2)) in str(err)
  assert ctx.rpc.active == set()


def test_reinstall_failure_with_a_new_os_keeps_the_old_one(ctx):
  ctx.rpc.fail[("instance_os_add", NODE2)] = "OS create script failed"
  Fails(ctx, opcodes.OpInstanceReinstall(instance_name=PLAIN,
                                         os_type="debootstrap+minimal"),
        errors.OpExecError)
  assert Inst(ctx, PLAIN).os == "debootstrap+default"
  assert ctx.rpc.active == set()
