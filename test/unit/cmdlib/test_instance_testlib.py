"""Shared fixtures of the instance LU tests (test_instance*.py of L1).

Not a test module itself (it defines no tests); the instance test modules
load it by path, since the suite imports test files with importlib.

The configuration, the lock manager and mcpu are the real ones, on a
virtual master below tmp_path.  The node side is `FakeRpc`: a runner that
records every call (name, node or node list, arguments) and answers with
real rpc.RpcResult objects from per-call handlers, so the master logic of
the LUs (what they ask which node, in which order, and what they do with
failures) is what these tests check.  The same LUs against live node
daemons are the integrator's integration tests.
"""

import os
import socket

import pytest

from ganeti import config
from ganeti import constants
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import pathutils
from ganeti import rpc


MASTER = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"
NODE4 = "node4.example.com"

#: name -> IP, written to the virtual cluster's hosts file
HOSTS = {
  MASTER: "127.0.94.1",
  NODE2: "127.0.94.2",
  NODE3: "127.0.94.3",
  NODE4: "127.0.94.4",
  "inst1.example.com": "127.0.94.101",
  "inst2.example.com": "127.0.94.102",
  "web.example.com": "127.0.94.103",
  "renamed.example.com": "127.0.94.104",
  }

VG = "xenvg"
FILE_DIR = "/srv/ganeti/file-storage"
SHARED_DIR = "/srv/ganeti/shared-file-storage"

SINGLE = "single"
MULTI = "multi"

#: call kinds per contract section 4 (and the existing calls used here)
CALL_KINDS = {
  "blockdev_create": SINGLE, "blockdev_wipe": SINGLE,
  "blockdev_remove": SINGLE, "blockdev_rename": SINGLE,
  "blockdev_assemble": SINGLE, "blockdev_shutdown": SINGLE,
  "blockdev_find": SINGLE, "blockdev_getmirrorstatus": SINGLE,
  "blockdev_getsize": SINGLE, "blockdev_grow": SINGLE,
  "blockdev_close": SINGLE,
  "instance_info": SINGLE, "instance_list": MULTI,
  "all_instances_info": MULTI, "instance_start": SINGLE,
  "instance_shutdown": SINGLE, "instance_reboot": SINGLE,
  "instance_os_add": SINGLE, "instance_run_rename": SINGLE,
  "hypervisor_validate_params": MULTI, "os_validate": MULTI,
  "os_get": SINGLE, "bridges_exist": SINGLE, "node_info": MULTI,
  "vg_list": MULTI, "lv_list": MULTI, "hooks_runner": MULTI,
  "file_storage_dir_remove": SINGLE, "file_storage_dir_create": SINGLE,
  "file_storage_dir_rename": SINGLE, "blockdev_getsize": SINGLE,
  }


class CallFailure(Exception):
  """Raised by a handler: the node answers [False, message]."""


class FakeRpc(object):
  """A recording node-call runner answering with real RpcResult objects.

  ``handlers[name](node, *args)`` returns the payload or raises
  CallFailure; nodes in ``offline`` answer as offline nodes.

  """
  def __init__(self):
    self.calls = []
    self.offline = set()
    self.handlers = {
      "hooks_runner": lambda node, hpath, phase, env: [],
      "node_info": self._NodeInfo,
      "os_validate": lambda node, req, name, checks, params: True,
      "hypervisor_validate_params": lambda node, hvname, hvparams: None,
      "os_get": self._OsGet,
      "bridges_exist": lambda node, bridges: None,
      "blockdev_create": lambda node, disk, size, owner, on_primary, info,
                                excl: list(disk.physical_id),
      "blockdev_remove": lambda node, disk: None,
      "blockdev_rename": lambda node, devlist: None,
      "blockdev_assemble": self._Assemble,
      "blockdev_shutdown": lambda node, disk: None,
      "blockdev_getmirrorstatus": self._MirrorStatus,
      "blockdev_wipe": lambda node, disk, offset, size: None,
      "blockdev_grow": lambda node, disk, amount, dryrun, backing: None,
      "instance_os_add": lambda node, inst, reinstall, debug: None,
      "instance_start": lambda node, inst, paused: None,
      "instance_shutdown": lambda node, inst, timeout: None,
      "instance_info": lambda node, name, hv: {},
      "instance_run_rename": lambda node, inst, old, debug: None,
      "vg_list": lambda node: {VG: 100000},
      "lv_list": lambda node, vgs: {},
      "file_storage_dir_remove": lambda node, path: None,
      "file_storage_dir_create": lambda node, path: None,
      "file_storage_dir_rename": lambda node, old, new: None,
      }
    self.memory_free = 4096
    self.vg_free = 50000
    self.os_list = [
      ("dummy", "/srv/ganeti/os/dummy", True, "", ["default", "other"],
       [["colour", "the colour"]], [20]),
      ("oldos", "/srv/ganeti/os/oldos", True, "", [], [], [10]),
      ("broken", "/srv/ganeti/os/broken", False, "missing create script",
       [], [], []),
      ]

  def _NodeInfo(self, node, vgs, hvs):
    return {
      "memory_free": self.memory_free, "memory_total": 8192,
      "memory_dom0": 1024, "cpu_total": 4,
      "vg_info": [{"name": vg, "vg_size": 100000, "vg_free": self.vg_free}
                  for vg in vgs],
      }

  def _OsGet(self, node, name):
    base = objects.OS.GetName(name)
    for (os_name, path, valid, diagnose, variants, params, api) in \
        self.os_list:
      if os_name == base:
        if not valid:
          raise CallFailure("OS %s is not usable on node %s: %s" %
                            (name, node, diagnose))
        return objects.OS(name=os_name, path=path, api_versions=api,
                          supported_variants=variants,
                          supported_parameters=params).ToDict()
    raise CallFailure("OS %s is not usable on node %s: Directory for OS %s"
                      " not found in search path" % (name, node, base))

  @staticmethod
  def _Assemble(node, disk, owner, on_primary, idx):
    if on_primary:
      return ["/dev/fake/%s-%d" % (owner, idx),
              "/var/run/ganeti/instance-disks/%s:%d" % (owner, idx)]
    return True

  @staticmethod
  def _MirrorStatus(node, disks):
    return [[True, {"dev_path": "/dev/x", "major": 1, "minor": 0,
                    "sync_percent": None, "estimated_time": None,
                    "is_degraded": False, "ldisk_status": 1}]
            for _ in disks]

  def _One(self, name, node, args):
    if node in self.offline:
      return rpc.RpcResult(offline=True, call=name, node=node)
    try:
      payload = self.handlers[name](node, *args)
    except CallFailure as err:
      return rpc.RpcResult(data=[False, str(err)], call=name, node=node)
    return rpc.RpcResult(data=[True, payload], call=name, node=node)

  def __getattr__(self, attr):
    if not attr.startswith("call_") or attr[5:] not in CALL_KINDS:
      raise AttributeError(attr)
    name = attr[5:]

    def _Call(first, *args):
      self.calls.append((name, first, args))
      if CALL_KINDS[name] == MULTI:
        return dict((node, self._One(name, node, args)) for node in first)
      return self._One(name, first, args)
    return _Call

  def Close(self):
    pass

  # -- inspection --------------------------------------------------------------

  def Calls(self, name):
    """(node or node list, args) of every call named ``name``."""
    return [(first, args) for (cname, first, args) in self.calls
            if cname == name]

  def Names(self, skip_hooks=True):
    return [cname for (cname, _, _) in self.calls
            if not (skip_hooks and cname == "hooks_runner")]

  def Fail(self, name, message, when=None):
    """Make ``name`` fail (for the calls where ``when(node, *args)``)."""
    previous = self.handlers[name]

    def _Handler(node, *args):
      if when is None or when(node, *args):
        raise CallFailure(message)
      return previous(node, *args)
    self.handlers[name] = _Handler


class Context(object):
  def __init__(self, cfg, rpc_runner):
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = rpc_runner
    self.jobqueue = None


class Cbs(mcpu.OpExecCbBase):
  def __init__(self):
    self.feedback = []

  def Feedback(self, *args):
    self.feedback.append(args)

  def text(self):
    return "\n".join(str(entry[-1]) for entry in self.feedback)


def MakeNode(name, group=None, **kwargs):
  params = dict(name=name, primary_ip=HOSTS[name], secondary_ip=HOSTS[name],
                master_candidate=True, offline=False, drained=False,
                master_capable=True, vm_capable=True, ndparams={},
                group=group)
  params.update(kwargs)
  return objects.Node(**params)


def MakeCluster():
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name=VG,
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="127.0.94.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE, constants.HT_KVM],
    candidate_pool_size=10, tcpudp_port_pool=set(), uid_pool=[],
    maintain_node_health=False, modify_etc_hosts=False,
    modify_ssh_setup=False, file_storage_dir=FILE_DIR,
    shared_file_storage_dir=SHARED_DIR, primary_ip_family=socket.AF_INET,
    tags=set())


def MakeContext(as_node, tmp_path):
  """Master with nodes 2 and 3 (default group) and 4 (group rack2)."""
  (tmp_path / "hosts").write_text("".join("%s %s\n" % (ip, name)
                                          for (name, ip) in HOSTS.items()))
  as_node(MASTER)
  os.makedirs(pathutils.DATA_DIR)
  config.InitConfig(constants.CONFIG_VERSION, MakeCluster(), MakeNode(MASTER))
  cfg = config.ConfigWriter(_my_hostname=MASTER)
  cfg.AddNode(MakeNode(NODE2), "setup")
  cfg.AddNode(MakeNode(NODE3), "setup")
  cfg.AddNodeGroup(objects.NodeGroup(name="rack2", members=[],
                                     ndparams={}, diskparams={}), "setup")
  cfg.AddNode(MakeNode(NODE4, group="rack2"), "setup")
  cfg.DropECReservations("setup")
  return Context(cfg, FakeRpc())


def AddInstance(ctx, name, template, pnode=NODE2, snode=None, disks=None,
                admin_state=constants.ADMINST_DOWN, nics=None):
  """Put an instance straight into the configuration (no LU)."""
  cfg = ctx.cfg
  disks = disks or []
  if template == constants.DT_DRBD8:
    objs = []
    for (idx, size) in enumerate(disks):
      port = cfg.AllocatePort()
      minors = cfg.AllocateDRBDMinor([pnode, snode], name)
      children = [
        objects.Disk(dev_type=constants.LD_LV, size=size, mode="rw",
                     logical_id=(VG, "%s.disk%d_data" % (name, idx))),
        objects.Disk(dev_type=constants.LD_LV, size=128, mode="rw",
                     logical_id=(VG, "%s.disk%d_meta" % (name, idx))),
        ]
      objs.append(objects.Disk(dev_type=constants.LD_DRBD8, size=size,
                               mode="rw", iv_name="disk/%d" % idx,
                               children=children,
                               logical_id=(pnode, snode, port, minors[0],
                                           minors[1],
                                           cfg.GenerateDRBDSecret("setup"))))
  elif template == constants.DT_PLAIN:
    objs = [objects.Disk(dev_type=constants.LD_LV, size=size, mode="rw",
                         iv_name="disk/%d" % idx,
                         logical_id=(VG, "%s.disk%d" % (name, idx)))
            for (idx, size) in enumerate(disks)]
  elif template in constants.DTS_FILEBASED:
    base = FILE_DIR if template == constants.DT_FILE else SHARED_DIR
    objs = [objects.Disk(dev_type=constants.LD_FILE, size=size, mode="rw",
                         iv_name="disk/%d" % idx,
                         logical_id=("loop", "%s/%s/disk%d" %
                                     (base, name, idx)))
            for (idx, size) in enumerate(disks)]
  else:
    objs = []
  if nics is None:
    nics = [objects.NIC(mac=cfg.GenerateMAC("setup"), ip=None, nicparams={})]
  inst = objects.Instance(name=name, primary_node=pnode, os="dummy+default",
                          hypervisor=constants.HT_FAKE, hvparams={},
                          beparams={}, osparams={}, admin_state=admin_state,
                          nics=nics, disks=objs, disk_template=template,
                          network_port=None)
  cfg.AddInstance(inst, "setup")
  cfg.DropECReservations("setup")
  ctx.glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=0)
  try:
    ctx.glm.add(locking.LEVEL_INSTANCE, [name])
  finally:
    ctx.glm.release(locking.LEVEL_CLUSTER)
  return cfg.GetInstanceInfo(name)


def Run(ctx, op, cbs=None):
  return mcpu.Processor(ctx, 1).ExecOpCode(op, cbs or Cbs())


class FakeLU(object):
  """Enough of an LU for the helpers: cfg, rpc, logging, a job id."""
  def __init__(self, ctx):
    self.cfg = ctx.cfg
    self.rpc = ctx.rpc
    self.warnings = []
    self.infos = []
    self.proc = self

  def GetECId(self):
    return 7

  def LogWarning(self, msg, *args, **kwargs):
    self.warnings.append(msg % args if args else msg)

  def LogInfo(self, msg, *args):
    self.infos.append(msg % args if args else msg)


@pytest.fixture
def ctx(as_node, tmp_path):
  context = MakeContext(as_node, tmp_path)
  yield context
  context.rpc.Close()


def HooksEnvs(ctx, hpath, phase="pre"):
  """(nodes, env) of the hook calls for hpath and phase."""
  return [(nodes, args[2]) for (nodes, args) in ctx.rpc.Calls("hooks_runner")
          if args[0] == hpath and args[1] == phase]

