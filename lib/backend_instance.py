"""Instance calls of the node backend: start, stop, reboot, information,
memory, migration, hypervisor parameter checks.

Layer 3 (node side).  The master sends `objects.Instance` dicts whose
hvparams/beparams/osparams are already filled with the cluster defaults
and whose disks carry the physical ids of this node.  Starting gathers the
instance's (already assembled) block devices through ``storage.bdev``,
links them as ``DISK_LINKS_DIR/<instance>:<idx>`` and gives the links to
the hypervisor of ``instance.hypervisor``; stopping asks politely, then
forces after the timeout, cleans up and drops the links.  Hypervisor
errors become ``RPCFail`` naming the instance.

This module must not import master-side or wire modules and must not
create or remove storage (backend_blockdev does).
"""

import logging
import os
import time
from typing import Any, Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti.backend_base import Fail, ToConfigObject
from ganeti import backend_blockdev


#: Delays between the polite stop requests of a shutdown: exponential
#: from 0.1 s up to 5 s (Ganeti 2.6 waits 5 s each time)
_SHUTDOWN_RETRY_DELAY = (0.1, 1.5, 5.0)

#: Seconds given to a forced stop to take effect
_FORCE_STOP_SETTLE = 1.0


def _HypervisorModule():
  """The hypervisor package (imported when first needed)."""
  from ganeti import hypervisor  # pylint: disable=C0415
  return hypervisor


def GetHypervisor(hv_name: str):
  """The hypervisor object of kind ``hv_name``.

  @raise RPCFail: unknown or unsupported kind

  """
  if not isinstance(hv_name, str) or not hv_name:
    Fail("Invalid hypervisor name %r", hv_name)
  try:
    return _HypervisorModule().GetHypervisor(hv_name)
  except errors.HypervisorError as err:
    Fail("Hypervisor %s is not available: %s", hv_name, err)


def ToInstance(value: Any) -> objects.Instance:
  """An objects.Instance from the wire form (or an Instance, unchanged).

  @raise RPCFail: not an instance description

  """
  inst = ToConfigObject(objects.Instance, value, "instance")
  if not inst.name or not inst.hypervisor:
    Fail("Invalid instance description: name and hypervisor are required")
  for attr in ("hvparams", "beparams", "osparams"):
    if getattr(inst, attr) is None:
      setattr(inst, attr, {})
  return inst


def _CheckHvList(hypervisor_list) -> List[str]:
  if isinstance(hypervisor_list, str) or \
      not isinstance(hypervisor_list, (list, tuple)):
    Fail("Invalid hypervisor list %r: expected a list of names",
         hypervisor_list)
  return list(hypervisor_list)


# Information

def GetHypervisorNodeInfo(hv_name: str) -> dict:
  """The node's memory and CPU figures as hypervisor ``hv_name`` sees them.

  @raise RPCFail: the hypervisor cannot tell

  """
  hyper = GetHypervisor(hv_name)
  try:
    info = hyper.GetNodeInfo()
  except errors.HypervisorError as err:
    Fail("Cannot get node information from hypervisor %s: %s", hv_name, err)
  if not isinstance(info, dict):
    Fail("Hypervisor %s returned no node information", hv_name)
  return info


def GetInstanceList(hypervisor_list) -> List[str]:
  """Names of the instances running under these hypervisors
  (instance_list).

  @raise RPCFail: a hypervisor cannot list its instances

  """
  names = []
  for hv_name in _CheckHvList(hypervisor_list):
    hyper = GetHypervisor(hv_name)
    try:
      names.extend(hyper.ListInstances())
    except errors.HypervisorError as err:
      Fail("Cannot list the instances of hypervisor %s: %s", hv_name, err,
           exc=True)
  return names


def _InfoDict(info) -> Dict[str, Any]:
  (_, _, memory, vcpus, state, cpu_time) = info
  return {"memory": memory, "vcpus": vcpus, "state": state,
          "time": cpu_time}


def GetInstanceInfo(instance_name: str, hname: str) -> Dict[str, Any]:
  """Memory, vcpus, state and CPU time of a running instance, ``{}`` when
  it does not run (instance_info).

  """
  if not isinstance(instance_name, str) or not instance_name:
    Fail("Invalid instance name %r", instance_name)
  hyper = GetHypervisor(hname)
  try:
    info = hyper.GetInstanceInfo(instance_name)
  except errors.HypervisorError as err:
    Fail("Cannot get information about instance %s from %s: %s",
         instance_name, hname, err)
  if info is None:
    return {}
  return _InfoDict(info)


def GetAllInstancesInfo(hypervisor_list) -> Dict[str, Dict[str, Any]]:
  """Information on every running instance (all_instances_info).

  An instance reported by two hypervisors with different memory or vcpus
  is an error (it would run twice).

  @return: {name: {memory, vcpus, state, time}}

  """
  result = {}
  for hv_name in _CheckHvList(hypervisor_list):
    hyper = GetHypervisor(hv_name)
    try:
      infos = hyper.GetAllInstancesInfo()
    except errors.HypervisorError as err:
      Fail("Cannot get instance information from %s: %s", hv_name, err,
           exc=True)
    for info in infos or []:
      value = _InfoDict(info)
      name = info[0]
      if name in result:
        for key in ("memory", "vcpus"):
          if result[name][key] != value[key]:
            Fail("Instance %s is running twice with different parameters",
                 name)
      result[name] = value
  return result


# Start, stop, reboot

def GatherAndLinkDisks(instance: objects.Instance) -> list:
  """The (disk, symlink) pairs of an instance's assembled disks.

  @raise errors.BlockDeviceError: a disk is not assembled or cannot be
      linked

  """
  devices = []
  for (idx, disk) in enumerate(instance.disks or []):
    device = backend_blockdev.FindTree(disk)
    if device is None:
      raise errors.BlockDeviceError("Block device %s of instance %s is not"
                                    " set up on this node (activate the"
                                    " disks first)" % (disk, instance.name))
    device.Open()
    try:
      link = backend_blockdev.LinkDisk(instance.name, device.dev_path, idx)
    except EnvironmentError as err:
      raise errors.BlockDeviceError("Cannot make the symlink for disk %d of"
                                    " %s: %s" % (idx, instance.name, err))
    devices.append((disk, link))
  return devices


def _Running(hyper, name: str) -> bool:
  try:
    return name in hyper.ListInstances()
  except errors.HypervisorError as err:
    Fail("Cannot list the running instances: %s", err)


def StartInstance(instance, startup_paused: bool) -> None:
  """Starts an instance whose disks are assembled (instance_start).

  Nothing happens when it already runs.

  @raise RPCFail: a disk is missing or the hypervisor failed (the disk
      symlinks are removed again)

  """
  instance = ToInstance(instance)
  hyper = GetHypervisor(instance.hypervisor)
  if _Running(hyper, instance.name):
    logging.info("Instance %s is already running, not starting it",
                 instance.name)
    return
  try:
    block_devices = GatherAndLinkDisks(instance)
  except errors.BlockDeviceError as err:
    Fail("Cannot start instance %s: block device error: %s", instance.name,
         err, exc=True)
  try:
    hyper.StartInstance(instance, block_devices, bool(startup_paused))
  except errors.HypervisorError as err:
    backend_blockdev.RemoveDiskLinks(instance.name, len(instance.disks))
    Fail("Cannot start instance %s: hypervisor error: %s", instance.name,
         err, exc=True)


def InstanceShutdown(instance, timeout: Optional[int],
                     _delay=_SHUTDOWN_RETRY_DELAY,
                     _settle=_FORCE_STOP_SETTLE) -> None:
  """Stops an instance (instance_shutdown).

  Asks the hypervisor for a clean stop, repeatedly, for ``timeout``
  seconds; then destroys the instance.  Afterwards the hypervisor cleans
  up and the disk symlinks are removed.  An instance that does not run is
  left alone.

  @raise RPCFail: the instance survived even the forced stop

  """
  instance = ToInstance(instance)
  if timeout is None:
    timeout = constants.DEFAULT_SHUTDOWN_TIMEOUT
  if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
      timeout < 0:
    Fail("Invalid shutdown timeout %r", timeout)
  hyper = GetHypervisor(instance.hypervisor)
  name = instance.name
  if not _Running(hyper, name):
    logging.info("Instance %s is not running, nothing to stop", name)
    return

  attempts = []

  def _TryStop():
    if not _Running(hyper, name):
      return
    try:
      hyper.StopInstance(instance, retry=bool(attempts), timeout=timeout)
    except errors.HypervisorError as err:
      if not _Running(hyper, name):
        return
      Fail("Failed to stop instance %s: %s", name, err)
    attempts.append(True)
    if _Running(hyper, name):
      raise utils.RetryAgain()

  try:
    utils.Retry(_TryStop, _delay, timeout)
  except utils.RetryTimeout:
    logging.warning("Instance %s did not stop within %s seconds, forcing it",
                    name, timeout)
    try:
      hyper.StopInstance(instance, force=True)
    except errors.HypervisorError as err:
      if _Running(hyper, name):
        Fail("Failed to force-stop instance %s: %s", name, err)
    if _Running(hyper, name):
      time.sleep(_settle)
    if _Running(hyper, name):
      Fail("Could not stop instance %s, not even by force", name)

  try:
    hyper.CleanupInstance(name)
  except errors.HypervisorError as err:
    logging.warning("Clean-up after stopping %s failed: %s", name, err)
  backend_blockdev.RemoveDiskLinks(name, len(instance.disks or []))


def InstanceReboot(instance, reboot_type: str,
                   shutdown_timeout: Optional[int]) -> None:
  """Reboots a running instance (instance_reboot).

  ``soft`` asks the hypervisor; ``hard`` stops and starts it again (the
  disks stay assembled); ``full`` is the master's business (it also
  re-activates the disks) and is refused here.

  @raise RPCFail: not running, bad type, or the hypervisor failed

  """
  instance = ToInstance(instance)
  hyper = GetHypervisor(instance.hypervisor)
  if reboot_type not in (constants.INSTANCE_REBOOT_SOFT,
                         constants.INSTANCE_REBOOT_HARD):
    Fail("Invalid reboot type %r for a node (expected %s or %s)",
         reboot_type, constants.INSTANCE_REBOOT_SOFT,
         constants.INSTANCE_REBOOT_HARD)
  if not _Running(hyper, instance.name):
    Fail("Cannot reboot instance %s: it is not running", instance.name)
  if reboot_type == constants.INSTANCE_REBOOT_SOFT:
    try:
      hyper.RebootInstance(instance)
    except errors.HypervisorError as err:
      Fail("Failed to soft-reboot instance %s: %s", instance.name, err)
  else:
    InstanceShutdown(instance, shutdown_timeout)
    StartInstance(instance, False)


def InstanceBalloonMemory(instance, memory: int) -> None:
  """Changes the memory of a running instance (instance_balloon_memory).

  An instance that does not run is left alone (its new memory applies at
  the next start).

  """
  instance = ToInstance(instance)
  if isinstance(memory, bool) or not isinstance(memory, int) or memory <= 0:
    Fail("Invalid memory size %r for instance %s", memory, instance.name)
  hyper = GetHypervisor(instance.hypervisor)
  if not _Running(hyper, instance.name):
    logging.info("Instance %s is not running, not changing its memory",
                 instance.name)
    return
  try:
    hyper.BalloonInstanceMemory(instance, memory)
  except errors.HypervisorError as err:
    Fail("Failed to change the memory of instance %s: %s", instance.name,
         err, exc=True)


def GetInstanceMigratable(instance) -> None:
  """Checks that an instance can be migrated from here
  (instance_migratable): it must run; missing disk symlinks are logged.

  """
  instance = ToInstance(instance)
  hyper = GetHypervisor(instance.hypervisor)
  if not _Running(hyper, instance.name):
    Fail("Instance %s is not running", instance.name)
  for idx in range(len(instance.disks or [])):
    link = backend_blockdev.GetDiskLinkPath(instance.name, idx)
    if not os.path.islink(link):
      logging.warning("Instance %s lacks the symlink %s of disk %d",
                      instance.name, link, idx)


def ValidateHVParams(hvname: str, hvparams) -> None:
  """Node-side check of hypervisor parameters (hypervisor_validate_params).

  @raise RPCFail: the parameters are not usable on this node

  """
  if not isinstance(hvparams, dict):
    Fail("Invalid hypervisor parameters %r: expected a dict", hvparams)
  hyper = GetHypervisor(hvname)
  try:
    hyper.ValidateParameters(hvparams)
  except errors.HypervisorError as err:
    Fail(str(err), log=False)


# Migration

def MigrationInfo(instance) -> Any:
  """What the target needs to accept the instance (migration_info)."""
  instance = ToInstance(instance)
  try:
    return GetHypervisor(instance.hypervisor).MigrationInfo(instance)
  except errors.HypervisorError as err:
    Fail("Cannot get the migration information of %s: %s", instance.name,
         err, exc=True)


def AcceptInstance(instance, info, target: str) -> None:
  """Prepares this node to receive a migrating instance (accept_instance).

  For externally mirrored disks (shared storage) the disk symlinks are
  made here, as nothing else activates those disks on the target.

  """
  instance = ToInstance(instance)
  external = instance.disk_template in constants.DTS_EXT_MIRROR
  if external:
    try:
      GatherAndLinkDisks(instance)
    except errors.BlockDeviceError as err:
      Fail("Cannot accept instance %s: block device error: %s",
           instance.name, err, exc=True)
  try:
    GetHypervisor(instance.hypervisor).AcceptInstance(instance, info, target)
  except errors.HypervisorError as err:
    if external:
      backend_blockdev.RemoveDiskLinks(instance.name, len(instance.disks))
    Fail("Failed to accept instance %s: %s", instance.name, err, exc=True)


def FinalizeMigrationDst(instance, info, success: bool) -> None:
  """Completes (or undoes) a migration on the target
  (instance_finalize_migration_dst)."""
  instance = ToInstance(instance)
  try:
    GetHypervisor(instance.hypervisor).FinalizeMigrationDst(
      instance, info, bool(success))
  except errors.HypervisorError as err:
    Fail("Failed to finalize the migration of %s on the target node: %s",
         instance.name, err, exc=True)


def MigrateInstance(instance, target: str, live: bool) -> None:
  """Sends a running instance to ``target`` (instance_migrate)."""
  instance = ToInstance(instance)
  try:
    GetHypervisor(instance.hypervisor).MigrateInstance(instance, target,
                                                       bool(live))
  except errors.HypervisorError as err:
    Fail("Failed to migrate instance %s: %s", instance.name, err, exc=True)


def FinalizeMigrationSource(instance, success: bool, live: bool) -> None:
  """Completes (or undoes) a migration on the source
  (instance_finalize_migration_src)."""
  instance = ToInstance(instance)
  try:
    GetHypervisor(instance.hypervisor).FinalizeMigrationSource(
      instance, bool(success), bool(live))
  except errors.HypervisorError as err:
    Fail("Failed to finalize the migration of %s on the source node: %s",
         instance.name, err, exc=True)


def GetMigrationStatus(instance) -> dict:
  """Progress of a running migration (instance_get_migration_status).

  @return: objects.MigrationStatus as a dict

  """
  instance = ToInstance(instance)
  try:
    status = GetHypervisor(instance.hypervisor).GetMigrationStatus(instance)
  except errors.HypervisorError as err:
    Fail("Cannot get the migration status of %s: %s", instance.name, err,
         exc=True)
  if isinstance(status, objects.MigrationStatus):
    return status.ToDict()
  return status
