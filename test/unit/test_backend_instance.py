"""Tests of ganeti.backend_instance: the instance calls of a node.

Instances run on the fake hypervisor (its state files live below the
virtual node root in tmp_path) with real file disks; migration moves an
instance between two virtual nodes of the same tmp_path cluster.
"""

import os

import pytest

from ganeti import backend
from ganeti import backend_blockdev
from ganeti import backend_instance
from ganeti import constants
from ganeti import errors
from ganeti import hypervisor
from ganeti import objects
from ganeti import ssconf
from ganeti import vcluster
from ganeti.hypervisor import hv_fake
from ganeti.tools import ensure_dirs


NODE1 = "node1.example.com"
NODE2 = "node2.example.com"
INSTANCE = "inst1.example.com"
FILE_DIR = "/srv/ganeti/file-storage"


def _SetUpNode(as_node, name):
  root = as_node(name)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_FILE_STORAGE_DIR: FILE_DIR,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: "/srv/ganeti/shared-file-storage",
    })
  return root


@pytest.fixture
def node(as_node):
  hypervisor.ResetHypervisors()
  root = _SetUpNode(as_node, NODE1)
  yield root
  hypervisor.ResetHypervisors()


def _Disk(idx, size=4):
  path = "%s/%s/disk%d" % (FILE_DIR, INSTANCE, idx)
  return objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=(constants.FD_LOOP, path),
                      physical_id=(constants.FD_LOOP, path), size=size,
                      iv_name="disk/%d" % idx, mode=constants.DISK_RDWR,
                      params={}, children=[])


def MakeInstance(ndisks=2, memory=64, template=constants.DT_FILE):
  beparams = dict(constants.BEC_DEFAULTS)
  beparams[constants.BE_MAXMEM] = memory
  beparams[constants.BE_MINMEM] = memory
  return objects.Instance(
    name=INSTANCE, primary_node=NODE1, os="dummy",
    hypervisor=constants.HT_FAKE, hvparams={}, beparams=beparams,
    osparams={}, admin_state=constants.ADMINST_UP, nics=[],
    disks=[_Disk(i) for i in range(ndisks)], disk_template=template,
    network_port=None, serial_no=1)


def _ActivateDisks(inst):
  for (idx, disk) in enumerate(inst.disks):
    backend.BlockdevCreate(disk.ToDict(), disk.size, inst.name, True, "",
                           False)
    backend.BlockdevAssemble(disk.ToDict(), inst.name, True, idx)


def _Links(inst):
  return [backend_blockdev.GetDiskLinkPath(inst.name, idx)
          for idx in range(len(inst.disks))]


def test_start_info_reboot_shutdown_cycle(node):
  inst = MakeInstance()
  _ActivateDisks(inst)
  wire = inst.ToDict()
  assert backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE) == {}
  backend.StartInstance(wire, False)
  assert backend.GetInstanceList([constants.HT_FAKE]) == [INSTANCE]
  info = backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE)
  assert (info["memory"], info["vcpus"]) == (64, 1)
  assert set(info) == set(["memory", "vcpus", "state", "time"])
  assert backend.GetAllInstancesInfo([constants.HT_FAKE]) == {INSTANCE: info}
  for (idx, link) in enumerate(_Links(inst)):
    assert os.readlink(link) == vcluster.AddNodePrefix(
      inst.disks[idx].logical_id[1])
  # the hypervisor got the links
  record = hv_fake.FakeHypervisor()._ReadRecord(INSTANCE)
  assert record["disks"] == _Links(inst)

  # starting a running instance changes nothing
  backend.StartInstance(wire, False)
  backend.InstanceReboot(wire, constants.INSTANCE_REBOOT_SOFT, 10)
  backend.InstanceReboot(wire, constants.INSTANCE_REBOOT_HARD, 10)
  assert backend.GetInstanceList([constants.HT_FAKE]) == [INSTANCE]
  with pytest.raises(backend.RPCFail, match="Invalid reboot type 'full'"):
    backend.InstanceReboot(wire, constants.INSTANCE_REBOOT_FULL, 10)

  backend.InstanceBalloonMemory(wire, 32)
  assert backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE)["memory"] == 32
  backend.GetInstanceMigratable(wire)

  backend.InstanceShutdown(wire, 5)
  assert backend.GetInstanceList([constants.HT_FAKE]) == []
  assert not any(os.path.lexists(link) for link in _Links(inst))
  # the disks stay (they are the master's to deactivate)
  assert all(os.path.exists(vcluster.AddNodePrefix(d.logical_id[1]))
             for d in inst.disks)
  # stopping a stopped instance is fine; rebooting it is not
  backend.InstanceShutdown(wire, 5)
  with pytest.raises(backend.RPCFail, match="not running"):
    backend.InstanceReboot(wire, constants.INSTANCE_REBOOT_SOFT, 10)
  with pytest.raises(backend.RPCFail, match="is not running"):
    backend.GetInstanceMigratable(wire)
  # ballooning a stopped instance is a no-op
  backend.InstanceBalloonMemory(wire, 32)


def test_diskless_instance(node):
  wire = MakeInstance(ndisks=0, template=constants.DT_DISKLESS).ToDict()
  backend.StartInstance(wire, True)
  info = backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE)
  assert info["state"] == hv_fake.STATE_PAUSED
  backend.InstanceShutdown(wire, None)
  assert backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE) == {}


def test_start_needs_assembled_disks(node):
  inst = MakeInstance()
  with pytest.raises(backend.RPCFail, match="is not set up on this node"):
    backend.StartInstance(inst.ToDict(), False)
  assert backend.GetInstanceList([constants.HT_FAKE]) == []


def test_hypervisor_failure_at_start_removes_the_links(node):
  inst = MakeInstance(memory=10 ** 9)
  _ActivateDisks(inst)
  with pytest.raises(backend.RPCFail, match="Cannot start instance %s:"
                     " hypervisor error: Not enough memory" % INSTANCE):
    backend.StartInstance(inst.ToDict(), False)
  assert not any(os.path.lexists(link) for link in _Links(inst))


class _StubbornFake(hv_fake.FakeHypervisor):
  """A fake guest that ignores clean stop requests."""

  def __init__(self):
    hv_fake.FakeHypervisor.__init__(self)
    self.polite = 0
    self.cleaned = []

  def StopInstance(self, instance, force=False, retry=False, name=None,
                   timeout=None):
    if not force:
      self.polite += 1
      return
    hv_fake.FakeHypervisor.StopInstance(self, instance, force=True)

  def CleanupInstance(self, instance_name):
    self.cleaned.append(instance_name)


def test_shutdown_forces_after_the_timeout(node, monkeypatch):
  stubborn = _StubbornFake()
  monkeypatch.setattr(backend_instance, "GetHypervisor", lambda _: stubborn)
  wire = MakeInstance(ndisks=0).ToDict()
  backend.StartInstance(wire, False)
  backend.InstanceShutdown(wire, 0.3, _delay=0.05)
  assert stubborn.polite >= 2
  assert stubborn.cleaned == [INSTANCE]
  assert stubborn.ListInstances() == []


def test_shutdown_fails_when_even_force_does_not_work(node, monkeypatch):
  stubborn = _StubbornFake()
  stubborn.StopInstance = lambda *args, **kwargs: None
  monkeypatch.setattr(backend_instance, "GetHypervisor", lambda _: stubborn)
  wire = MakeInstance(ndisks=0).ToDict()
  backend.StartInstance(wire, False)
  with pytest.raises(backend.RPCFail, match="not even by force"):
    backend.InstanceShutdown(wire, 0.1, _delay=0.05, _settle=0.01)
  assert stubborn.ListInstances() == [INSTANCE]


def test_bad_arguments(node):
  wire = MakeInstance().ToDict()
  with pytest.raises(backend.RPCFail, match="Invalid shutdown timeout"):
    backend.InstanceShutdown(wire, -1)
  with pytest.raises(backend.RPCFail, match="expected a dict"):
    backend.StartInstance("inst1", False)
  with pytest.raises(backend.RPCFail, match="name and hypervisor"):
    backend.StartInstance({"name": INSTANCE}, False)
  with pytest.raises(backend.RPCFail, match="Invalid hypervisor list"):
    backend.GetInstanceList(constants.HT_FAKE)
  with pytest.raises(backend.RPCFail, match="Hypervisor bogus is not"
                     " available"):
    backend.GetInstanceInfo(INSTANCE, "bogus")
  with pytest.raises(backend.RPCFail, match="Invalid memory size"):
    backend.InstanceBalloonMemory(wire, 0)


def test_validate_hv_params(node):
  backend.ValidateHVParams(constants.HT_FAKE, {})
  with pytest.raises(backend.RPCFail, match="expected a dict"):
    backend.ValidateHVParams(constants.HT_FAKE, [])
  with pytest.raises(backend.RPCFail, match="not available"):
    backend.ValidateHVParams("bogus", {})


def test_instance_running_twice_is_an_error(node, monkeypatch):
  class _Other(hv_fake.FakeHypervisor):
    def GetAllInstancesInfo(self):
      return [(INSTANCE, -1, 999, 1, "running", 1.0)]
  others = {constants.HT_FAKE: hv_fake.FakeHypervisor(),
            constants.HT_KVM: _Other()}
  monkeypatch.setattr(backend_instance, "GetHypervisor", others.get)
  backend.StartInstance(MakeInstance(ndisks=0).ToDict(), False)
  with pytest.raises(backend.RPCFail, match="running twice"):
    backend.GetAllInstancesInfo([constants.HT_FAKE, constants.HT_KVM])


def test_node_info_reports_the_hypervisor(node):
  info = backend.GetNodeInfo([], [constants.HT_FAKE])
  (hv_info, ) = info["hv_info"]
  assert hv_info["name"] == constants.HT_FAKE
  for key in ("memory_total", "memory_free", "memory_dom0", "cpu_total"):
    assert info[key] == hv_info[key]
  backend.StartInstance(MakeInstance(ndisks=0, memory=256).ToDict(), False)
  after = backend.GetNodeInfo([], [constants.HT_FAKE])
  # the fake counts its instances' memory as used
  assert after["memory_free"] <= info["memory_free"] - 200
  assert backend.GetNodeInfo([], [])["hv_info"] == []


def test_migration_between_two_virtual_nodes(as_node):
  hypervisor.ResetHypervisors()
  try:
    _SetUpNode(as_node, NODE2)
    _SetUpNode(as_node, NODE1)
    wire = MakeInstance(ndisks=0, memory=48).ToDict()
    backend.StartInstance(wire, False)
    info = backend.MigrationInfo(wire)

    as_node(NODE2)
    backend.AcceptInstance(wire, info, "127.0.0.2")
    assert backend.GetInstanceList([constants.HT_FAKE]) == [INSTANCE]

    as_node(NODE1)
    backend.MigrateInstance(wire, "127.0.0.2", True)
    status = backend.GetMigrationStatus(wire)
    assert objects.MigrationStatus.FromDict(status).status == \
      hv_fake.hv_base.HV_MIGRATION_COMPLETED
    backend.FinalizeMigrationSource(wire, True, True)
    assert backend.GetInstanceList([constants.HT_FAKE]) == []

    as_node(NODE2)
    backend.FinalizeMigrationDst(wire, info, True)
    assert backend.GetInstanceInfo(INSTANCE, constants.HT_FAKE)["memory"] == \
      48
    with pytest.raises(backend.RPCFail, match="Failed to accept instance"):
      backend.AcceptInstance(wire, info, "127.0.0.2")
  finally:
    hypervisor.ResetHypervisors()


def test_accept_links_shared_disks_and_unlinks_on_failure(node):
  inst = MakeInstance(template=constants.DT_SHARED_FILE)
  _ActivateDisks(inst)
  backend_blockdev.RemoveDiskLinks(INSTANCE, 2)
  backend.StartInstance(inst.ToDict(), False)
  backend_blockdev.RemoveDiskLinks(INSTANCE, 2)
  # already running here: the fake refuses, the links made for it go again
  with pytest.raises(backend.RPCFail, match="already runs"):
    backend.AcceptInstance(inst.ToDict(), "", "127.0.0.2")
  assert not any(os.path.lexists(link) for link in _Links(inst))


def test_hypervisor_errors_become_rpc_failures(node, monkeypatch):
  class _Broken(hv_fake.FakeHypervisor):
    def ListInstances(self):
      raise errors.HypervisorError("state directory unreadable")
  monkeypatch.setattr(backend_instance, "GetHypervisor",
                      lambda _: _Broken())
  with pytest.raises(backend.RPCFail, match="Cannot list the instances of"
                     " hypervisor fake: state directory unreadable"):
    backend.GetInstanceList([constants.HT_FAKE])
