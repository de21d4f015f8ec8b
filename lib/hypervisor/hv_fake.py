"""The fake hypervisor: instances that are only records in files.

Layer 3 (node side).  Each "running" instance is a JSON file under the
node's run directory (``<RUN_DIR>/fake-hypervisor/<name>``) holding its
name, memory, VCPUs, state, start time, disks and MACs, so the state
survives daemon restarts and every virtual node has its own.  Starting
refuses an instance that already has a record; stopping removes it;
migration moves the record from node to node (AcceptInstance writes it on
the target as "incoming", FinalizeMigrationDst makes it "running",
FinalizeMigrationSource drops the source's copy).  Node facts come from
psutil, with the memory of the fake instances counted as used.

Nothing here runs guests; the module must not import the backend.
"""

import errno
import logging
import os
import time
from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti import utils
from ganeti.hypervisor import hv_base


#: States recorded in the instance files
STATE_RUNNING = "running"
STATE_PAUSED = "paused"
STATE_INCOMING = "incoming"
STATE_MIGRATING = "migrating"

_DIR_NAME = "fake-hypervisor"


def StateDir() -> str:
  """Directory of the instance records on this node."""
  return utils.PathJoin(pathutils.RUN_DIR, _DIR_NAME)


class FakeHypervisor(hv_base.BaseHypervisor):
  """Fake hypervisor keeping its instances as files.

  @param _now: clock (tests)

  """
  PARAMETERS: Dict[str, hv_base.CheckTuple] = {}
  CAN_MIGRATE = True

  def __init__(self, _now=None):
    self._now = _now or time.time

  # --- records ---

  @staticmethod
  def _RecordFile(name: str) -> str:
    if (not isinstance(name, str) or not name or "/" in name or
        name.startswith(".")):
      raise errors.HypervisorError("Invalid instance name %r for the fake"
                                   " hypervisor" % (name, ))
    return utils.PathJoin(StateDir(), name)

  def _ReadRecord(self, name: str) -> Optional[Dict[str, Any]]:
    path = self._RecordFile(name)
    try:
      data = utils.ReadFile(path)
    except EnvironmentError as err:
      if err.errno == errno.ENOENT:
        return None
      raise errors.HypervisorError("Cannot read the state of instance %s"
                                   " from %s: %s" % (name, path, err))
    try:
      record = serializer.LoadJson(data)
    except Exception as err:  # pylint: disable=W0703
      raise errors.HypervisorError("Corrupt state file %s of instance %s:"
                                   " %s" % (path, name, err))
    if not isinstance(record, dict):
      raise errors.HypervisorError("Corrupt state file %s of instance %s:"
                                   " not a JSON object" % (path, name))
    return record

  def _WriteRecord(self, record: Dict[str, Any]) -> None:
    path = self._RecordFile(record["name"])
    try:
      os.makedirs(StateDir(), mode=0o750, exist_ok=True)
      utils.WriteFile(path, data=serializer.DumpJson(record), mode=0o640)
    except EnvironmentError as err:
      raise errors.HypervisorError("Cannot write the state of instance %s"
                                   " to %s: %s" % (record["name"], path, err))

  def _RemoveRecord(self, name: str) -> None:
    path = self._RecordFile(name)
    try:
      os.unlink(path)
    except EnvironmentError as err:
      if err.errno != errno.ENOENT:
        raise errors.HypervisorError("Cannot remove the state file %s of"
                                     " instance %s: %s" % (path, name, err))

  def _RunningRecord(self, name: str, action: str) -> Dict[str, Any]:
    record = self._ReadRecord(name)
    if record is None:
      raise errors.HypervisorError("Failed to %s instance %s: not running" %
                                   (action, name))
    return record

  def _NewRecord(self, instance: objects.Instance, memory: int,
                 state: str, disks: List[str]) -> Dict[str, Any]:
    return {
      "name": instance.name,
      "memory": memory,
      "vcpus": instance.beparams[constants.BE_VCPUS],
      "state": state,
      "started": self._now(),
      "disks": disks,
      "macs": [nic.mac for nic in instance.nics or []],
      }

  def _InfoTuple(self, record: Dict[str, Any]) -> hv_base.InstanceInfo:
    elapsed = max(0.0, round(self._now() - float(record["started"]), 1))
    return (record["name"], -1, int(record["memory"]), int(record["vcpus"]),
            record["state"], elapsed)

  def _FakeMemoryInUse(self) -> int:
    return sum(info[2] for info in self.GetAllInstancesInfo())

  # --- life cycle ---

  def StartInstance(self, instance, block_devices, startup_paused):
    """Records the instance as running (paused with startup_paused).

    Every block device path must exist.

    """
    if self._ReadRecord(instance.name) is not None:
      raise errors.HypervisorError("Failed to start instance %s: already"
                                   " running" % instance.name)
    disks = []
    for (disk, dev_path) in block_devices:
      if not dev_path or not os.path.exists(dev_path):
        raise errors.HypervisorError("Failed to start instance %s: disk %s"
                                     " has no device at %r" %
                                     (instance.name,
                                      getattr(disk, "iv_name", None) or "?",
                                      dev_path))
      disks.append(dev_path)
    free = self.GetNodeInfo()["memory_free"]
    memory = self._InstanceStartupMemory(instance, free)
    state = STATE_PAUSED if startup_paused else STATE_RUNNING
    self._WriteRecord(self._NewRecord(instance, memory, state, disks))

  def StopInstance(self, instance, force=False, retry=False, name=None,
                   timeout=None):
    """Removes the record; a fake guest always obeys at once."""
    if name is None:
      name = instance.name
    self._RunningRecord(name, "stop")
    self._RemoveRecord(name)

  def RebootInstance(self, instance):
    """A reboot restarts the instance's clock."""
    record = self._RunningRecord(instance.name, "reboot")
    record["started"] = self._now()
    record["state"] = STATE_RUNNING
    self._WriteRecord(record)

  def ListInstances(self):
    try:
      names = os.listdir(StateDir())
    except EnvironmentError as err:
      if err.errno == errno.ENOENT:
        return []
      raise errors.HypervisorError("Cannot list the fake instances in %s:"
                                   " %s" % (StateDir(), err))
    return sorted(name for name in names if not name.startswith("."))

  def GetInstanceInfo(self, instance_name):
    record = self._ReadRecord(instance_name)
    if record is None:
      return None
    return self._InfoTuple(record)

  def GetAllInstancesInfo(self):
    result = []
    for name in self.ListInstances():
      record = self._ReadRecord(name)
      if record is not None:
        result.append(self._InfoTuple(record))
    return result

  def GetNodeInfo(self):
    """The machine's facts, with the fake instances' memory counted used."""
    result = hv_base.GetLinuxNodeInfo()
    used = self._FakeMemoryInUse()
    result["memory_free"] = max(0, result["memory_free"] - used)
    result["memory_hv"] = 0
    return result

  @classmethod
  def GetInstanceConsole(cls, instance, hvparams, beparams):
    return objects.InstanceConsole(instance=instance.name,
                                   kind=constants.CONS_MESSAGE,
                                   message=("Console not available for fake"
                                            " hypervisor"))

  def Verify(self):
    """The state directory must exist (it is created) and be writable."""
    path = StateDir()
    try:
      os.makedirs(path, mode=0o750, exist_ok=True)
    except EnvironmentError as err:
      return "Cannot create the fake hypervisor directory %s: %s" % (path,
                                                                     err)
    if not os.access(path, os.W_OK | os.X_OK):
      return "The fake hypervisor directory %s is not writable" % path
    return None

  def BalloonInstanceMemory(self, instance, mem):
    record = self._RunningRecord(instance.name, "balloon memory of")
    if not isinstance(mem, int) or isinstance(mem, bool) or mem <= 0:
      raise errors.HypervisorError("Invalid memory size %r for instance %s"
                                   % (mem, instance.name))
    record["memory"] = mem
    self._WriteRecord(record)

  # --- migration ---

  def MigrationInfo(self, instance):
    """The source's record, as JSON."""
    record = self._RunningRecord(instance.name, "migrate")
    return serializer.DumpJson(record)

  def AcceptInstance(self, instance, info, target):
    """Records the instance on the target as incoming."""
    if self._ReadRecord(instance.name) is not None:
      raise errors.HypervisorError("Cannot accept instance %s: it already"
                                   " runs on this node" % instance.name)
    memory = instance.beparams[constants.BE_MAXMEM]
    if info:
      try:
        memory = int(serializer.LoadJson(info)["memory"])
      except Exception as err:  # pylint: disable=W0703
        raise errors.HypervisorError("Invalid migration info for instance"
                                     " %s: %s" % (instance.name, err))
    self._WriteRecord(self._NewRecord(instance, memory, STATE_INCOMING, []))

  def FinalizeMigrationDst(self, instance, info, success):
    record = self._ReadRecord(instance.name)
    if not success:
      if record is not None and record.get("state") == STATE_INCOMING:
        self._RemoveRecord(instance.name)
      return
    if record is None:
      raise errors.HypervisorError("Cannot finalize the migration of instance"
                                   " %s: it was never accepted on this node" %
                                   instance.name)
    record["state"] = STATE_RUNNING
    self._WriteRecord(record)

  def MigrateInstance(self, instance, target, live):
    record = self._RunningRecord(instance.name, "migrate")
    if record.get("state") == STATE_INCOMING:
      raise errors.HypervisorError("Failed to migrate instance %s: its"
                                   " incoming migration is not finished" %
                                   instance.name)
    logging.info("Fake migration of instance %s to %s (live=%s)",
                  instance.name, target, live)
    record["state"] = STATE_MIGRATING
    self._WriteRecord(record)

  def FinalizeMigrationSource(self, instance, success, live):
    record = self._ReadRecord(instance.name)
    if record is None:
      return
    if success:
      self._RemoveRecord(instance.name)
    elif record.get("state") == STATE_MIGRATING:
      record["state"] = STATE_RUNNING
      self._WriteRecord(record)

  def GetMigrationStatus(self, instance):
    """A fake migration completes at once."""
    return objects.MigrationStatus(status=hv_base.HV_MIGRATION_COMPLETED)
