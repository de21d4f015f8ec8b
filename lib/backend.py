"""The node backend: what the node daemon does for each RPC call.

Layer 3 (node side).  Plain functions, one per node call (version,
node_info, node_verify, upload_file, write_ssconf_files, the job queue
replication calls, hooks_runner, master daemon and master IP control,
leave_cluster, master_info, tcp_ping, powercycle, os_diagnose, vg_list,
lv_list).  Each either returns its complete result or raises ``RPCFail``
whose message is the reason reported to the master; the node daemon
(lib/server/noded.py) maps arguments and results to the wire.

Larger areas live in sibling modules and are re-exported here, so callers
only need ``backend``: backend_files (file data encoding, upload_file),
backend_hooks, backend_master (master daemons and IP), backend_verify,
backend_os, backend_lvm, backend_storage (storage units), backend_node
(node_has_ip_address, etc_hosts_modify, node_demote_from_mc, test_delay),
backend_blockdev (blockdev_* and drbd_* calls) and backend_instance
(instance_* calls, migration, hypervisor parameter checks).  The OS calls
(instance_os_add, instance_run_rename, os_validate, os_get) are thin
wrappers here around backend_os, turning the wire's dicts into objects.

This module must not import master-side or wire modules, and must never
touch files outside the node's own state (paths come from pathutils at call
time, so a virtual node only changes its own root).
"""

import logging
import os
import shutil
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence

import psutil

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.backend_base import (  # pylint: disable=W0611
  RPCFail, Fail, GetMyName, RequireMasterCandidate)
from ganeti.backend_files import (  # pylint: disable=W0611
  PackFileData, UnpackFileData, GetAllowedUploadFiles, LocalizePath,
  UploadFile)
from ganeti.backend_hooks import RunHooks  # pylint: disable=W0611
from ganeti.backend_master import (  # pylint: disable=W0611
  StartMasterDaemons, StopMasterDaemons, ActivateMasterIp,
  DeactivateMasterIp, FindDaemonUtil)
from ganeti.backend_os import (  # pylint: disable=W0611
  DiagnoseOS, ReadOSFromDisk, TryReadOSFromDisk)
from ganeti.backend_verify import VerifyNode  # pylint: disable=W0611
from ganeti.backend_node import (  # pylint: disable=W0611
  NodeHasIpAddress, TestDelay, DemoteFromMC, EtcHostsModify, ETC_HOSTS_ADD,
  ETC_HOSTS_REMOVE, ETC_HOSTS_MODES, ListExports)
from ganeti.backend_storage import (  # pylint: disable=W0611
  StorageList, StorageModify, StorageExecute, NodeVolumes)
from ganeti import backend_lvm
from ganeti import backend_os
from ganeti.backend_blockdev import (  # pylint: disable=W0611
  BlockdevCreate, BlockdevWipe, BlockdevRemove, BlockdevRename,
  BlockdevAssemble, BlockdevShutdown, BlockdevFind, BlockdevGetmirrorstatus,
  BlockdevGetsize, BlockdevGrow, BlockdevClose, DrbdDisconnectNet,
  DrbdAttachNet, DrbdWaitSync, ToDisk, ToDiskList, FileStorageDirCreate,
  FileStorageDirRemove, FileStorageDirRename)
from ganeti.backend_instance import (  # pylint: disable=W0611
  GetInstanceInfo, GetInstanceList, GetAllInstancesInfo, StartInstance,
  InstanceShutdown, InstanceReboot, InstanceBalloonMemory,
  GetInstanceMigratable, ValidateHVParams, MigrationInfo, AcceptInstance,
  FinalizeMigrationDst, MigrateInstance, FinalizeMigrationSource,
  GetMigrationStatus, GetHypervisorNodeInfo, ToInstance)


_BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"

#: Node figures of the first hypervisor asked that node_info reports at
#: its top level (memory in MiB)
_HV_NODE_INFO_KEYS = ("memory_total", "memory_free", "memory_dom0",
                      "memory_hv", "cpu_total", "cpu_nodes", "cpu_sockets")

#: Seconds to wait for the job queue lock when applying a replicated update
QUEUE_LOCK_TIMEOUT = 10

#: Seconds between the powercycle answer and the reset, so that the answer
#: reaches the master first
POWERCYCLE_DELAY = 5

#: Daemons leave_cluster stops, besides the node daemon (which quits on its
#: own after answering)
_LEAVE_STOP_DAEMONS = (constants.CONFD, constants.RAPI, constants.MASTERD)


def GetVersion() -> int:
  """Returns the RPC protocol version this node speaks."""
  return constants.PROTOCOL_VERSION


def _ReadBootId(_boot_id_file: str = _BOOT_ID_FILE) -> str:
  try:
    return utils.ReadOneLineFile(_boot_id_file, strict=True)
  except (EnvironmentError, errors.GenericError) as err:
    Fail("Cannot read the boot id from %s: %s", _boot_id_file, err)


def GetNodeInfo(vg_names: Sequence[str],
                hv_names: Optional[Sequence[str]] = None) -> dict:
  """Returns the node's memory, CPU, boot id and volume group space.

  With hypervisors asked for, the memory and CPU figures are the first
  hypervisor's (``memory_free`` what it can still give to instances,
  ``memory_dom0`` what the node itself uses) and ``hv_info`` lists every
  asked hypervisor's own figures; without, they come from the operating
  system (MemAvailable as free memory).

  @param vg_names: volume groups to report on
  @param hv_names: hypervisors the master asks about
  @return: dict with bootid, cpu_total, memory_total, memory_free,
      memory_dom0 (MiB), vg_info: a list, in the order asked, of
      {"name", "vg_size", "vg_free"} (sizes None for a volume group this
      node does not have), and hv_info: a list, in the order asked, of the
      hypervisors' node information dicts (with "name" added)
  @raise RPCFail: bad input, LVM/proc not readable, a hypervisor failing

  """
  if isinstance(vg_names, str) or not isinstance(vg_names, (list, tuple)):
    Fail("Invalid volume group list %r: expected a list of names", vg_names)
  for name in vg_names:
    if not isinstance(name, str) or not name:
      Fail("Invalid volume group name %r", name)
  if hv_names is not None:
    if isinstance(hv_names, str) or not isinstance(hv_names, (list, tuple)):
      Fail("Invalid hypervisor list %r: expected a list of names", hv_names)
    unknown = [hv for hv in hv_names if hv not in constants.HYPER_TYPES]
    if unknown:
      Fail("Unknown hypervisor(s) %s (known: %s)", ", ".join(map(str,
                                                                unknown)),
           ", ".join(sorted(constants.HYPER_TYPES)))

  mem = psutil.virtual_memory()
  total = utils.BytesToMebibyte(mem.total)
  free = utils.BytesToMebibyte(mem.available)
  result = {
    "bootid": _ReadBootId(),
    "cpu_total": psutil.cpu_count(logical=True) or 1,
    "memory_total": total,
    "memory_free": free,
    "memory_dom0": total - free,
    "vg_info": [],
    "hv_info": [],
    }
  for hv_name in hv_names or []:
    hv_info = dict(GetHypervisorNodeInfo(hv_name))
    hv_info["name"] = hv_name
    result["hv_info"].append(hv_info)
  if result["hv_info"]:
    first = result["hv_info"][0]
    for key in _HV_NODE_INFO_KEYS:
      if first.get(key) is not None:
        result[key] = first[key]
  if vg_names:
    space = backend_lvm.GetVgSpace(list(vg_names))
    for name in vg_names:
      found = space[name]
      result["vg_info"].append({
        "name": name,
        "vg_size": found[0] if found else None,
        "vg_free": found[1] if found else None,
        })
  return result


def WriteSsconfFiles(values: Dict[str, str]) -> None:
  """Writes the ssconf files the master sent (each atomically, 0444).

  @raise RPCFail: unknown keys, bad values, lock timeout or write error

  """
  if not isinstance(values, dict):
    Fail("Invalid ssconf values: expected a dict, got %s",
         type(values).__name__)
  try:
    ssconf.WriteSsconfFiles(values)
  except (errors.GenericError, EnvironmentError) as err:
    Fail("Cannot write ssconf files: %s", err)


def GetMasterInfo() -> tuple:
  """Returns what this node believes about the master, from ssconf.

  @return: (master_netdev, master_ip, master_node, primary_ip_family,
      master_netmask)
  @raise RPCFail: the ssconf files are missing or invalid

  """
  sstore = ssconf.SimpleStore()
  try:
    return (sstore.GetMasterNetdev(), sstore.GetMasterIP(),
            sstore.GetMasterNode(), sstore.GetPrimaryIPFamily(),
            sstore.GetMasterNetmask())
  except errors.ConfigurationError as err:
    Fail("Master information not available: %s", err)


def TcpPing(source: Optional[str], target: str, port: int, timeout: float,
            live_port_needed: bool) -> bool:
  """Tells whether ``target`` answers on TCP ``port`` (node_tcp_ping).

  @param source: local address to connect from, or None
  @raise RPCFail: bad addresses, port or timeout

  """
  if not isinstance(live_port_needed, bool):
    Fail("Invalid live_port_needed %r: expected a boolean", live_port_needed)
  try:
    return netutils.TcpPing(target, port, timeout=timeout,
                            live_port_needed=live_port_needed, source=source)
  except (errors.IPAddressError, errors.ProgrammerError) as err:
    Fail("Invalid TCP ping request (source %r, target %r, port %r, timeout"
         " %r): %s", source, target, port, timeout, err)


# Job queue replication

class _QueueLock:
  """Holds the job queue lock while a replicated update is applied."""

  def __init__(self):
    self._lock = None

  def __enter__(self):
    try:
      self._lock = utils.FileLock.Open(pathutils.JOB_QUEUE_LOCK_FILE)
      self._lock.Exclusive(blocking=True, timeout=QUEUE_LOCK_TIMEOUT)
    except errors.LockError as err:
      if self._lock is not None:
        self._lock.Close()
      Fail("Cannot lock the job queue: %s", err)
    return self

  def __exit__(self, *exc_info):
    self._lock.Close()


def _CheckQueueFile(file_name) -> str:
  """Returns the local path of a job queue file, refusing anything else."""
  local = LocalizePath(file_name)
  queue_dir = os.path.normpath(pathutils.QUEUE_DIR)
  if not utils.IsBelowDir(queue_dir, local):
    Fail("Path '%s' is not inside the job queue directory %s", file_name,
         queue_dir)
  if local == os.path.normpath(pathutils.JOB_QUEUE_LOCK_FILE):
    Fail("The job queue lock file %s cannot be replaced", local)
  if os.path.islink(local) or (os.path.exists(local) and
                               not os.path.isfile(local)):
    Fail("Job queue path %s exists and is not a regular file", local)
  return local


def JobQueueUpdate(file_name, content) -> None:
  """Writes a replicated job queue file (job, serial, ...).

  Only master candidates keep a copy of the queue.

  @param file_name: path inside the queue directory
  @param content: ``[encoding, content]`` (see UnpackFileData)
  @raise RPCFail: not a master candidate, path outside the queue, bad data

  """
  local = _CheckQueueFile(file_name)
  raw = UnpackFileData(content)
  RequireMasterCandidate("Job queue update of %s" % local)
  with _QueueLock():
    try:
      utils.WriteFile(local, data=raw, mode=0o600)
    except EnvironmentError as err:
      Fail("Cannot write job queue file %s: %s", local, err)


def JobQueueRename(old, new) -> None:
  """Renames a job queue file (archiving), creating target directories.

  @raise RPCFail: not a master candidate, path outside the queue, missing
      source or rename error

  """
  local_old = _CheckQueueFile(old)
  local_new = _CheckQueueFile(new)
  RequireMasterCandidate("Job queue rename of %s" % local_old)
  with _QueueLock():
    if not os.path.isfile(local_old):
      Fail("Cannot rename job queue file %s: it does not exist", local_old)
    try:
      utils.RenameFile(local_old, local_new, mkdir=True, mkdir_mode=0o700)
    except EnvironmentError as err:
      Fail("Cannot rename job queue file %s to %s: %s", local_old,
           local_new, err)


def JobQueueRenameFiles(renames) -> List[None]:
  """Renames several job queue files, in order (jobqueue_rename call).

  @param renames: list of [old, new] paths
  @raise RPCFail: bad list, or the first rename that fails

  """
  if isinstance(renames, str) or not isinstance(renames, (list, tuple)):
    Fail("Invalid job queue rename list %r: expected a list of [old, new]",
         renames)
  for entry in renames:
    if not isinstance(entry, (list, tuple)) or len(entry) != 2:
      Fail("Invalid job queue rename entry %r: expected [old, new]", entry)
  return [JobQueueRename(old, new) for (old, new) in renames]


def _CleanDirectory(path: str, exclude: Sequence[str] = ()) -> None:
  """Removes the regular files directly in ``path`` (but not ``exclude``)."""
  if not os.path.isdir(path):
    return
  excluded = frozenset(os.path.normpath(p) for p in exclude)
  for name in os.listdir(path):
    full = os.path.join(path, name)
    if full in excluded or os.path.islink(full) or not os.path.isfile(full):
      continue
    utils.RemoveFile(full)


def JobQueuePurge() -> None:
  """Removes every job queue file, archived ones included (not the lock).

  Allowed on any node: a node leaving the master candidates drops its
  copy of the queue this way.

  @raise RPCFail: files cannot be removed

  """
  queue_dir = os.path.normpath(pathutils.QUEUE_DIR)
  archive_dir = os.path.normpath(pathutils.JOB_QUEUE_ARCHIVE_DIR)
  try:
    _CleanDirectory(queue_dir, exclude=[pathutils.JOB_QUEUE_LOCK_FILE])
    if os.path.isdir(archive_dir):
      for name in os.listdir(archive_dir):
        sub = os.path.join(archive_dir, name)
        if os.path.isdir(sub) and not os.path.islink(sub):
          shutil.rmtree(sub)
        else:
          utils.RemoveFile(sub)
  except EnvironmentError as err:
    Fail("Cannot purge the job queue in %s: %s", queue_dir, err)


# Leaving the cluster

def _RemoveSshKeys(_home_dir: Optional[str] = None) -> None:
  """Removes root's cluster SSH key pair and its authorized_keys entry."""
  home = _home_dir if _home_dir is not None else os.path.expanduser("~root")
  ssh_dir = os.path.join(home, ".ssh")
  pub_file = os.path.join(ssh_dir, "id_rsa.pub")
  priv_file = os.path.join(ssh_dir, "id_rsa")
  auth_file = os.path.join(ssh_dir, "authorized_keys")
  try:
    pub_key = utils.ReadFile(pub_file).strip()
  except EnvironmentError as err:
    logging.warning("Not removing SSH keys, cannot read %s: %s", pub_file,
                    err)
    return
  if pub_key and os.path.isfile(auth_file):
    lines = utils.ReadFile(auth_file).splitlines()
    kept = [line for line in lines if line.strip() != pub_key]
    if len(kept) != len(lines):
      utils.WriteFile(auth_file, data="".join(l + "\n" for l in kept),
                      keep_perms=utils.KP_ALWAYS)
  utils.RemoveFile(priv_file)
  utils.RemoveFile(pub_file)


def LeaveCluster(modify_ssh_setup: bool,
                 _stop_fn: Optional[Callable[[str], None]] = None,
                 _home_dir: Optional[str] = None) -> None:
  """Removes this node's cluster state, then asks the node daemon to quit.

  Removes the files of the data directory (config.data, ssconf, keys and
  certificates, ...), the crypto keys and the job queue, stops the other
  daemons and, if asked (and not in a virtual cluster, whose nodes share
  the machine's SSH setup), root's cluster SSH key.

  @raise errors.QuitGanetiException: always, when done, so that the node
      daemon answers and then shuts down
  @raise RPCFail: files cannot be removed

  """
  if not isinstance(modify_ssh_setup, bool):
    Fail("Invalid modify_ssh_setup value %r: expected a boolean",
         modify_ssh_setup)
  try:
    _CleanDirectory(pathutils.DATA_DIR)
    _CleanDirectory(pathutils.CRYPTO_KEYS_DIR)
    for (dirpath, dirnames, _) in os.walk(pathutils.CRYPTO_KEYS_DIR,
                                          topdown=False):
      for name in dirnames:
        shutil.rmtree(os.path.join(dirpath, name), ignore_errors=True)
    for name in (pathutils.RAPI_USERS_FILE, pathutils.VNC_PASSWORD_FILE):
      utils.RemoveFile(name)
  except EnvironmentError as err:
    Fail("Cannot remove the cluster files of this node: %s", err)
  JobQueuePurge()

  if modify_ssh_setup:
    if vcluster.IsVirtualCluster():
      logging.info("Virtual cluster node: leaving the SSH setup alone")
    else:
      try:
        _RemoveSshKeys(_home_dir=_home_dir)
      except EnvironmentError as err:
        logging.error("Cannot remove the cluster SSH key: %s", err)

  if _stop_fn is None:
    _stop_fn = _StopDaemon
  for daemon in _LEAVE_STOP_DAEMONS:
    try:
      _stop_fn(daemon)
    except (RPCFail, errors.GenericError) as err:
      logging.warning("Cannot stop %s while leaving the cluster: %s", daemon,
                      err)
  raise errors.QuitGanetiException(True, "Shutdown scheduled")


def _StopDaemon(daemon: str) -> None:
  cmd = [sys.executable, FindDaemonUtil(), "stop", daemon]
  result = utils.RunCmd(cmd, timeout=constants.DAEMON_STOP_TIMEOUT + 10)
  if result.failed:
    Fail("'%s' failed: %s: %s", result.cmd, result.fail_reason,
         result.output.strip())


# Powercycle

def _SysrqReboot() -> None:
  """Resets the machine at once, as a hardware reset would."""
  os.sync()
  with open("/proc/sysrq-trigger", "w") as handle:
    handle.write("b")


def PowercycleNode(hypervisor_type: str, allow_master: bool = False,
                   _action_fn: Optional[Callable[[], None]] = None,
                   _delay: float = POWERCYCLE_DELAY) -> str:
  """Schedules a hard reset of this machine.

  Refused in a virtual cluster (all nodes share one machine) and on the
  master unless ``allow_master`` says the caller forced it.  The reset
  happens in a child process after a short delay, so the answer still
  reaches the master.

  @return: a message saying when the reset happens
  @raise RPCFail: refused, or the child cannot be started

  """
  if hypervisor_type not in constants.HYPER_TYPES:
    Fail("Unknown hypervisor '%s' for powercycle (known: %s)",
         hypervisor_type, ", ".join(sorted(constants.HYPER_TYPES)))
  if vcluster.IsVirtualCluster():
    Fail("Refusing to powercycle: this node (%s) is part of a virtual"
         " cluster and shares its machine with the other nodes",
         GetMyName())
  if not allow_master:
    try:
      master = ssconf.SimpleStore().GetMasterNode()
    except errors.ConfigurationError as err:
      Fail("Refusing to powercycle: cannot tell whether this node is the"
           " master (%s)", err)
    if master == GetMyName():
      Fail("Refusing to powercycle the master node %s without force",
           master)
  if _action_fn is None:
    _action_fn = _SysrqReboot
  try:
    pid = os.fork()
  except OSError as err:
    Fail("Cannot fork the powercycle process: %s", err)
  if pid == 0:
    code = 0
    try:
      time.sleep(_delay)
      _action_fn()
    except BaseException:  # pylint: disable=W0703
      code = 1
    os._exit(code)  # pylint: disable=W0212
  _ReapLater(pid)
  return "Reboot scheduled in %s seconds" % _delay


def _ReapLater(pid: int) -> None:
  """Collects the powercycle child when it ends, without blocking."""
  def _Wait():
    try:
      os.waitpid(pid, 0)
    except ChildProcessError:
      pass
  threading.Thread(target=_Wait, name="powercycle-reaper",
                   daemon=True).start()


def ListVolumeGroups() -> Dict[str, int]:
  """Returns {volume group name: size MiB} (vg_list call).

  @raise RPCFail: LVM tools missing or failing

  """
  return dict((name, size) for (name, (size, _)) in
              backend_lvm.ListVolumeGroups().items())


def GetVolumeList(vg_names: List[str]) -> dict:
  """Returns {"vg/lv": (size MiB, inactive, online)} (lv_list call).

  @param vg_names: a volume group name or a list of them

  """
  if isinstance(vg_names, str) and vg_names:
    vg_names = [vg_names]
  if isinstance(vg_names, str) or not isinstance(vg_names, (list, tuple)):
    Fail("Invalid volume group list %r", vg_names)
  return backend_lvm.GetVolumeList(list(vg_names))


def BridgesExist(bridges_list) -> None:
  """Checks that the given bridges exist on this node (bridges_exist).

  @raise RPCFail: naming the missing bridges

  """
  if isinstance(bridges_list, str) or not isinstance(bridges_list,
                                                     (list, tuple)):
    Fail("Invalid bridge list %r: expected a list of names", bridges_list)
  missing = []
  for bridge in bridges_list:
    if (not isinstance(bridge, str) or not bridge or "/" in bridge or
        not os.path.isdir("/sys/class/net/%s/bridge" % bridge)):
      missing.append(str(bridge))
  if missing:
    Fail("Missing bridges %s", ", ".join(missing))


# OS calls (backend_os does the work)

def InstanceOsAdd(instance, reinstall: bool, debug: int) -> None:
  """Runs the OS create script for an instance (instance_os_add).

  @raise RPCFail: from backend_os (the script failed, OS missing ...)

  """
  return backend_os.InstanceOsAdd(ToInstance(instance), reinstall, debug)


def RunRenameInstance(instance, old_name: str, debug: int) -> None:
  """Runs the OS rename script for an instance (instance_run_rename)."""
  return backend_os.RunRenameInstance(ToInstance(instance), old_name, debug)


def ValidateOS(required: bool, osname: str, checks, osparams) -> bool:
  """Runs the OS verify script with parameters (os_validate)."""
  return backend_os.ValidateOS(required, osname, checks, osparams)


def GetOSDefinition(name: str) -> dict:
  """The OS definition ``name`` (variant allowed) as a dict (os_get).

  @raise RPCFail: the OS is not found or not valid on this node

  """
  if not isinstance(name, str) or not name:
    Fail("Invalid OS name %r", name)
  try:
    found = ReadOSFromDisk(name)
  except RPCFail as err:
    Fail("OS %s is not usable on node %s: %s", name, GetMyName(), err)
  return found.ToDict()
