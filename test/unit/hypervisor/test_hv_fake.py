"""Tests for ganeti.hypervisor.hv_fake: state in files, life cycle,
migration between two node run directories."""

import json
import os

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_fake


class _Clock:
  def __init__(self, now=1000.0):
    self.now = now

  def __call__(self):
    return self.now


@pytest.fixture
def rundir(tmp_path, monkeypatch):
  path = tmp_path / "node1" / "run"
  monkeypatch.setattr(pathutils, "RUN_DIR", str(path))
  return path


@pytest.fixture
def clock():
  return _Clock()


def _Instance(name="inst1.example.com", maxmem=256, minmem=128, vcpus=2):
  return objects.Instance(
    name=name, hypervisor=constants.HT_FAKE, primary_node="node1",
    beparams={constants.BE_MAXMEM: maxmem, constants.BE_MINMEM: minmem,
              constants.BE_VCPUS: vcpus},
    hvparams={}, nics=[objects.NIC(mac="aa:00:00:11:22:33", ip=None,
                                   nicparams={})],
    disks=[], network_port=None)


def _Disk(idx=0):
  return objects.Disk(dev_type=constants.LD_FILE, size=16, mode="rw",
                      iv_name="disk/%d" % idx)


def test_start_list_info_and_restart(rundir, clock, tmp_path):
  dev = tmp_path / "disk0"
  dev.write_bytes(b"")
  hyper = hv_fake.FakeHypervisor(_now=clock)
  inst = _Instance()
  hyper.StartInstance(inst, [(_Disk(), str(dev))], False)
  record_file = rundir / "fake-hypervisor" / inst.name
  record = json.loads(record_file.read_text())
  assert record["name"] == inst.name
  assert record["memory"] == 256 and record["vcpus"] == 2
  assert record["state"] == hv_fake.STATE_RUNNING
  assert record["disks"] == [str(dev)]
  assert record["macs"] == ["aa:00:00:11:22:33"]

  clock.now += 42
  # a new object (daemon restart) sees the same state
  again = hv_fake.FakeHypervisor(_now=clock)
  assert again.ListInstances() == [inst.name]
  assert again.GetInstanceInfo(inst.name) == \
    (inst.name, -1, 256, 2, hv_fake.STATE_RUNNING, 42.0)
  assert again.GetAllInstancesInfo() == [again.GetInstanceInfo(inst.name)]
  assert again.GetInstanceInfo("other") is None

  with pytest.raises(errors.HypervisorError, match="Failed to start"
                     " instance inst1.example.com: already running"):
    again.StartInstance(inst, [], False)


def test_start_paused_and_missing_disk(rundir, clock, tmp_path):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  with pytest.raises(errors.HypervisorError, match="disk disk/0 has no"
                     " device"):
    hyper.StartInstance(_Instance(), [(_Disk(), str(tmp_path / "none"))],
                        False)
  assert hyper.ListInstances() == []
  hyper.StartInstance(_Instance(), [], True)
  assert hyper.GetInstanceInfo("inst1.example.com")[4] == \
    hv_fake.STATE_PAUSED


def test_start_refuses_without_memory(rundir, clock):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  huge = 1 << 40
  with pytest.raises(errors.HypervisorError, match="Not enough memory"):
    hyper.StartInstance(_Instance(maxmem=huge, minmem=huge), [], False)
  assert hyper.ListInstances() == []


def test_stop_and_reboot(rundir, clock):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  inst = _Instance()
  with pytest.raises(errors.HypervisorError, match="Failed to stop instance"
                     " inst1.example.com: not running"):
    hyper.StopInstance(inst)
  with pytest.raises(errors.HypervisorError, match="Failed to reboot"):
    hyper.RebootInstance(inst)
  hyper.StartInstance(inst, [], False)
  clock.now += 100
  hyper.RebootInstance(inst)
  assert hyper.GetInstanceInfo(inst.name)[5] == 0.0
  hyper.StopInstance(inst, timeout=5)
  assert hyper.ListInstances() == []
  hyper.CleanupInstance(inst.name)
  # stop under another name (after a rename)
  hyper.StartInstance(_Instance(name="old.example.com"), [], False)
  hyper.StopInstance(inst, force=True, name="old.example.com")
  assert hyper.ListInstances() == []


def test_invalid_names(rundir, clock):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  for name in ("", "../x", ".hidden"):
    with pytest.raises(errors.HypervisorError, match="Invalid instance"
                       " name"):
      hyper.GetInstanceInfo(name)


def test_corrupt_state(rundir, clock):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  hyper.StartInstance(_Instance(), [], False)
  (rundir / "fake-hypervisor" / "inst1.example.com").write_text("{broken")
  with pytest.raises(errors.HypervisorError, match="Corrupt state file"):
    hyper.GetInstanceInfo("inst1.example.com")
  (rundir / "fake-hypervisor" / "inst1.example.com").write_text("[1]")
  with pytest.raises(errors.HypervisorError, match="not a JSON object"):
    hyper.GetInstanceInfo("inst1.example.com")


def test_node_info_counts_fake_memory(rundir, clock, monkeypatch):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  real = hyper.GetNodeInfo()
  for key in ("memory_total", "memory_free", "memory_dom0", "cpu_total",
              "cpu_nodes", "cpu_sockets"):
    assert key in real
  machine = {"memory_total": 4096, "memory_free": 3000, "memory_dom0": 1096,
             "cpu_total": 4, "cpu_nodes": 1, "cpu_sockets": 1}
  monkeypatch.setattr(hv_base, "GetLinuxNodeInfo", lambda: dict(machine))
  hyper.StartInstance(_Instance(maxmem=64, minmem=64), [], False)
  hyper.StartInstance(_Instance(name="b", maxmem=100, minmem=100), [], False)
  info = hyper.GetNodeInfo()
  assert info["memory_free"] == 3000 - 164
  assert info["memory_total"] == 4096
  # an instance gets what is left, down to its minmem
  hyper.StartInstance(_Instance(name="c", maxmem=4000, minmem=1000), [],
                      False)
  assert hyper.GetInstanceInfo("c")[2] == 3000 - 164
  with pytest.raises(errors.HypervisorError, match="Not enough memory"):
    hyper.StartInstance(_Instance(name="d", maxmem=64, minmem=64), [], False)


def test_balloon(rundir, clock):
  hyper = hv_fake.FakeHypervisor(_now=clock)
  inst = _Instance()
  with pytest.raises(errors.HypervisorError, match="not running"):
    hyper.BalloonInstanceMemory(inst, 128)
  hyper.StartInstance(inst, [], False)
  hyper.BalloonInstanceMemory(inst, 192)
  assert hyper.GetInstanceInfo(inst.name)[2] == 192
  with pytest.raises(errors.HypervisorError, match="Invalid memory size"):
    hyper.BalloonInstanceMemory(inst, 0)


def test_console_and_verify(rundir, clock, tmp_path, monkeypatch):
  console = hv_fake.FakeHypervisor.GetInstanceConsole(_Instance(), {}, {})
  assert console.kind == constants.CONS_MESSAGE
  assert console.message == "Console not available for fake hypervisor"
  assert console.Validate()
  hyper = hv_fake.FakeHypervisor(_now=clock)
  assert hyper.Verify() is None
  assert (rundir / "fake-hypervisor").is_dir()
  blocker = tmp_path / "file"
  blocker.write_text("x")
  monkeypatch.setattr(pathutils, "RUN_DIR", str(blocker))
  assert "Cannot create the fake hypervisor directory" in hyper.Verify()
  assert hv_fake.FakeHypervisor.CheckParameterSyntax({}) is None
  with pytest.raises(errors.HypervisorError, match="'acpi' is not"
                     " supported"):
    hv_fake.FakeHypervisor.CheckParameterSyntax({"acpi": True})


def _OnNode(monkeypatch, tmp_path, node):
  monkeypatch.setattr(pathutils, "RUN_DIR", str(tmp_path / node / "run"))


def test_migration_success(tmp_path, monkeypatch, clock):
  inst = _Instance()
  src = hv_fake.FakeHypervisor(_now=clock)
  dst = hv_fake.FakeHypervisor(_now=clock)
  _OnNode(monkeypatch, tmp_path, "node1")
  src.StartInstance(inst, [], False)
  src.BalloonInstanceMemory(inst, 200)
  info = src.MigrationInfo(inst)

  _OnNode(monkeypatch, tmp_path, "node2")
  dst.AcceptInstance(inst, info, "127.0.0.2")
  assert dst.GetInstanceInfo(inst.name)[2:5] == \
    (200, 2, hv_fake.STATE_INCOMING)
  with pytest.raises(errors.HypervisorError, match="already runs"):
    dst.AcceptInstance(inst, info, "127.0.0.2")

  _OnNode(monkeypatch, tmp_path, "node1")
  src.MigrateInstance(inst, "127.0.0.2", True)
  assert src.GetInstanceInfo(inst.name)[4] == hv_fake.STATE_MIGRATING
  status = src.GetMigrationStatus(inst)
  assert status.status == hv_base.HV_MIGRATION_COMPLETED
  src.FinalizeMigrationSource(inst, True, True)
  assert src.ListInstances() == []

  _OnNode(monkeypatch, tmp_path, "node2")
  dst.FinalizeMigrationDst(inst, info, True)
  assert dst.GetInstanceInfo(inst.name)[4] == hv_fake.STATE_RUNNING


def test_migration_failure(tmp_path, monkeypatch, clock):
  inst = _Instance()
  hyper = hv_fake.FakeHypervisor(_now=clock)
  _OnNode(monkeypatch, tmp_path, "node1")
  with pytest.raises(errors.HypervisorError, match="not running"):
    hyper.MigrationInfo(inst)
  with pytest.raises(errors.HypervisorError, match="not running"):
    hyper.MigrateInstance(inst, "127.0.0.2", False)
  hyper.StartInstance(inst, [], False)
  info = hyper.MigrationInfo(inst)
  hyper.MigrateInstance(inst, "127.0.0.2", False)
  hyper.FinalizeMigrationSource(inst, False, False)
  assert hyper.GetInstanceInfo(inst.name)[4] == hv_fake.STATE_RUNNING

  _OnNode(monkeypatch, tmp_path, "node2")
  with pytest.raises(errors.HypervisorError, match="never accepted"):
    hyper.FinalizeMigrationDst(inst, info, True)
  with pytest.raises(errors.HypervisorError, match="Invalid migration"
                     " info"):
    hyper.AcceptInstance(inst, "{}", "127.0.0.2")
  hyper.AcceptInstance(inst, "", "127.0.0.2")
  assert hyper.GetInstanceInfo(inst.name)[2] == 256
  with pytest.raises(errors.HypervisorError, match="incoming migration"):
    hyper.MigrateInstance(inst, "127.0.0.3", True)
  hyper.FinalizeMigrationDst(inst, info, False)
  assert hyper.ListInstances() == []
  assert os.listdir(tmp_path / "node2" / "run" / "fake-hypervisor") == []
