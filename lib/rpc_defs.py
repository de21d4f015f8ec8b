"""The node RPC calls, each declared once as a record.

Layer 4 (wire).  Every call the master (or a bootstrapping tool) makes to a
node daemon is an `RpcCall` here: its name (the URL path on the node), how
many nodes it goes to (`SINGLE`: one node name, one result; `MULTI`: a list
of names, a dict of results), its timeout class, its arguments (name, how
the value is encoded for the wire, description), the backend function the
node daemon runs for it, an optional post-processor of the payload on the
caller's side, and a description.  lib/rpc.py generates the ``call_<name>``
methods from these records and lib/server/noded.py its dispatch table, so
the two ends cannot disagree about a call.

Argument encodings are named here (``ED_*``); the caller's encoders live in
lib/rpc.py (they read files, need path conventions) and the node daemon
spreads the arguments whose encoding says so.

This module holds data only: it must not send anything, read files or
import the backend (the node daemon resolves ``backend_fn`` by name).
"""

import collections
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

from ganeti import constants
from ganeti import errors


SINGLE = "single"
MULTI = "multi"
CALL_KINDS = frozenset([SINGLE, MULTI])

# Argument encodings (what the caller does to a value before sending it)

#: An objects.ConfigObject (or its dict form) sent as a dict
ED_OBJECT_DICT = "object-dict"
#: A local file name: the caller reads the file and sends
#: [virtual path, packed contents, mode, owner, group, atime, mtime]; the
#: node daemon passes these as seven arguments to the backend function
ED_FILE_DETAILS = "file-details"
#: File contents sent as [encoding, data] (zlib+base64 when large)
ED_COMPRESS = "compress"
#: A local path sent in the node-independent form of a virtual cluster
ED_VIRT_PATH = "virtual-path"
#: A list of [old, new] local path pairs, each path as in ED_VIRT_PATH
ED_VIRT_PATH_PAIRS = "virtual-path-pairs"

#: A list of objects.ConfigObject (or their dicts) sent as a list of dicts
ED_OBJECT_DICT_LIST = "object-dict-list"
#: blockdev_rename's list of [objects.Disk, new unique_id]: the disks
#: travel as dicts, the ids as lists
ED_BLOCKDEV_RENAME = "blockdev-rename"

ENCODINGS = frozenset([ED_OBJECT_DICT, ED_FILE_DETAILS, ED_COMPRESS,
                       ED_VIRT_PATH, ED_VIRT_PATH_PAIRS, ED_OBJECT_DICT_LIST,
                       ED_BLOCKDEV_RENAME])

#: Encodings whose value the node daemon spreads into several arguments
SPREAD_ENCODINGS = frozenset([ED_FILE_DETAILS])

#: Seconds test_delay may take beyond the requested sleep
TEST_DELAY_MARGIN = 5

RpcArg = collections.namedtuple("RpcArg", ["name", "encoding", "description"])

Timeout = Union[int, Callable[..., int]]


class RpcCall:
  """One node call (see the module docstring for the fields).

  ``timeout`` is a number of seconds (one of constants.RPC_TMO_*) or a
  function of the call's arguments returning one.

  """
  __slots__ = ["name", "kind", "timeout", "args", "backend_fn", "postproc",
               "description"]

  def __init__(self, name: str, kind: str, timeout: Timeout,
               args: Sequence[RpcArg], backend_fn: str,
               description: str, postproc: Optional[Callable] = None):
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
      raise errors.ProgrammerError("Invalid RPC call name %r" % (name, ))
    if kind not in CALL_KINDS:
      raise errors.ProgrammerError("RPC call %s: invalid kind %r" %
                                   (name, kind))
    if not (callable(timeout) or
            (isinstance(timeout, int) and not isinstance(timeout, bool) and
             timeout > 0)):
      raise errors.ProgrammerError("RPC call %s: invalid timeout %r" %
                                   (name, timeout))
    for arg in args:
      if not isinstance(arg, RpcArg):
        raise errors.ProgrammerError("RPC call %s: argument %r is not an"
                                     " RpcArg" % (name, arg))
      if arg.encoding is not None and arg.encoding not in ENCODINGS:
        raise errors.ProgrammerError("RPC call %s: argument %s has unknown"
                                     " encoding %r" %
                                     (name, arg.name, arg.encoding))
    names = [arg.name for arg in args]
    if len(set(names)) != len(names) or "node" in names or \
        "node_list" in names:
      raise errors.ProgrammerError("RPC call %s: argument names %s must be"
                                   " unique and not 'node'/'node_list'" %
                                   (name, names))
    if not description:
      raise errors.ProgrammerError("RPC call %s needs a description" % name)
    self.name = name
    self.kind = kind
    self.timeout = timeout
    self.args = tuple(args)
    self.backend_fn = backend_fn
    self.postproc = postproc
    self.description = description

  def GetTimeout(self, args: Sequence) -> int:
    """The read timeout of one call with these (unencoded) arguments."""
    if callable(self.timeout):
      return self.timeout(*args)
    return self.timeout

  def __repr__(self):
    return "<RpcCall %s (%s, %d args)>" % (self.name, self.kind,
                                          len(self.args))


def _A(name: str, description: str, encoding: Optional[str] = None
       ) -> RpcArg:
  return RpcArg(name, encoding, description)


def _TestDelayTimeout(duration) -> int:
  """Enough time for the sleep itself, whatever the class timeouts are."""
  try:
    return max(1, int(duration) + TEST_DELAY_MARGIN)
  except (TypeError, ValueError):
    # the node refuses the bad value; the call itself need not wait long
    return TEST_DELAY_MARGIN


def _HooksResults(payload):
  """[(script, status, output), ...] as tuples, as the hooks code expects."""
  return [tuple(entry) for entry in payload]


def _AsTuple(payload):
  return tuple(payload)


#: Seconds instance_shutdown and instance_reboot allow beyond the
#: shutdown timeout (the forced stop, clean-up, for reboot the start)
SHUTDOWN_MARGIN = constants.RPC_TMO_NORMAL


def _ShutdownTimeout(_instance, timeout, *_) -> int:
  """The shutdown timeout plus time for the forced stop and the rest."""
  try:
    return max(1, int(timeout)) + SHUTDOWN_MARGIN
  except (TypeError, ValueError):
    return constants.DEFAULT_SHUTDOWN_TIMEOUT + SHUTDOWN_MARGIN


def _RebootTimeout(_instance, _reboot_type, shutdown_timeout) -> int:
  return _ShutdownTimeout(None, shutdown_timeout)


#: Slowest wipe speed (MiB/s) the blockdev_wipe timeout allows for
WIPE_MIN_SPEED = 10


def _WipeTimeout(_disk, _offset, size) -> int:
  """An hour, or more for large ranges (at WIPE_MIN_SPEED MiB/s)."""
  try:
    return max(constants.RPC_TMO_SLOW, int(size) // WIPE_MIN_SPEED)
  except (TypeError, ValueError):
    return constants.RPC_TMO_SLOW


def _InstanceArg(description="Instance (objects.Instance, filled"
                 " parameters, disks' physical ids set for the node)"):
  return _A("instance", description, ED_OBJECT_DICT)


_CALL_LIST = [
  # Version and information
  RpcCall("version", MULTI, constants.RPC_TMO_URGENT, [], "GetVersion",
          "Returns the node daemon's RPC protocol version"),
  RpcCall("node_info", MULTI, constants.RPC_TMO_URGENT, [
    _A("vg_names", "Volume groups to report on"),
    _A("hv_names", "Hypervisors to report on"),
    ], "GetNodeInfo", "Returns memory, CPU and volume group information"),
  RpcCall("node_verify", MULTI, constants.RPC_TMO_NORMAL, [
    _A("checkdict", "Checks to run (NV_* key -> parameters)"),
    _A("cluster_name", "Name of the cluster being verified"),
    ], "VerifyNode", "Runs the node checks of cluster verify"),
  RpcCall("master_info", MULTI, constants.RPC_TMO_URGENT, [],
          "GetMasterInfo", "Returns what the node knows about the master"
          " (netdev, IP, node, IP family, netmask)", postproc=_AsTuple),
  RpcCall("node_tcp_ping", SINGLE, constants.RPC_TMO_URGENT, [
    _A("source", "Local address to ping from, or None"),
    _A("target", "Address to ping"),
    _A("port", "TCP port"),
    _A("timeout", "Seconds to wait"),
    _A("live_port_needed", "Whether a refused connection counts as failure"),
    ], "TcpPing", "Checks TCP reachability of an address from the node"),
  RpcCall("node_has_ip_address", SINGLE, constants.RPC_TMO_URGENT, [
    _A("address", "IP address"),
    ], "NodeHasIpAddress", "Tells whether an IP address is on the node"),
  RpcCall("os_diagnose", MULTI, constants.RPC_TMO_FAST, [], "DiagnoseOS",
          "Lists the OS definitions found on the node"),
  RpcCall("export_list", MULTI, constants.RPC_TMO_FAST, [], "ListExports",
          "Lists the instance exports kept on the node"),
  RpcCall("vg_list", MULTI, constants.RPC_TMO_URGENT, [],
          "ListVolumeGroups", "Returns the node's volume groups and sizes"),
  RpcCall("lv_list", MULTI, constants.RPC_TMO_URGENT, [
    _A("vg_name", "Volume group (or list of them)"),
    ], "GetVolumeList", "Returns the logical volumes of a volume group"),

  # Files and configuration distribution
  RpcCall("upload_file", MULTI, constants.RPC_TMO_NORMAL, [
    _A("file_name", "Local file to send (must be an allowed target)",
       ED_FILE_DETAILS),
    ], "UploadFile", "Writes one of the cluster files on the node"),
  RpcCall("write_ssconf_files", MULTI, constants.RPC_TMO_NORMAL, [
    _A("values", "ssconf key -> value"),
    ], "WriteSsconfFiles", "Writes the node's ssconf files"),
  RpcCall("etc_hosts_modify", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("mode", "'add' or 'remove'"),
    _A("name", "Host name"),
    _A("ip", "IP address ('add'), None ('remove')"),
    ], "EtcHostsModify", "Adds or removes a host in the hosts file"),
  RpcCall("node_demote_from_mc", SINGLE, constants.RPC_TMO_FAST, [],
          "DemoteFromMC", "Drops the configuration of a node that is no"
          " longer a master candidate"),

  # Job queue replication
  RpcCall("jobqueue_update", MULTI, constants.RPC_TMO_URGENT, [
    _A("file_name", "Job queue file", ED_VIRT_PATH),
    _A("content", "File contents", ED_COMPRESS),
    ], "JobQueueUpdate", "Writes a replicated job queue file"),
  RpcCall("jobqueue_rename", MULTI, constants.RPC_TMO_URGENT, [
    _A("rename", "List of [old, new] job queue file names",
       ED_VIRT_PATH_PAIRS),
    ], "JobQueueRenameFiles", "Renames replicated job queue files"),
  RpcCall("jobqueue_purge", SINGLE, constants.RPC_TMO_NORMAL, [],
          "JobQueuePurge", "Removes every job queue file on the node"),

  # Hooks
  RpcCall("hooks_runner", MULTI, constants.HOOKS_RPC_TIMEOUT, [
    _A("hpath", "Hooks path of the operation"),
    _A("phase", "'pre' or 'post'"),
    _A("env", "Environment of the scripts"),
    ], "RunHooks", "Runs the hook scripts of an operation phase",
          postproc=_HooksResults),

  # Master role
  RpcCall("node_start_master_daemons", SINGLE, constants.RPC_TMO_FAST, [
    _A("no_voting", "Start the master daemon without voting"),
    ], "StartMasterDaemons", "Starts the master daemons on the node"),
  RpcCall("node_stop_master", SINGLE, constants.RPC_TMO_FAST, [],
          "StopMasterDaemons", "Stops the master daemons on the node"),
  RpcCall("node_activate_master_ip", SINGLE, constants.RPC_TMO_FAST, [
    _A("master_params", "objects.MasterNetworkParameters", ED_OBJECT_DICT),
    _A("use_external_mip_script", "Use the user's master IP script"),
    ], "ActivateMasterIp", "Brings the master IP up on the node"),
  RpcCall("node_deactivate_master_ip", SINGLE, constants.RPC_TMO_FAST, [
    _A("master_params", "objects.MasterNetworkParameters", ED_OBJECT_DICT),
    _A("use_external_mip_script", "Use the user's master IP script"),
    ], "DeactivateMasterIp", "Takes the master IP down on the node"),

  # Node life cycle
  RpcCall("node_leave_cluster", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("modify_ssh_setup", "Also remove the cluster SSH key"),
    ], "LeaveCluster", "Removes the node's cluster files; the node daemon"
          " answers, then exits"),
  RpcCall("node_powercycle", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("hypervisor", "Hypervisor type of the node"),
    ], "PowercycleNode", "Hard-resets the node after answering"),

  # Testing
  RpcCall("test_delay", MULTI, _TestDelayTimeout, [
    _A("duration", "Seconds to sleep"),
    ], "TestDelay", "Sleeps on the node (debugging opcode)"),

  # Storage units (2.1 design)
  RpcCall("storage_list", MULTI, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type (lvm-pv, lvm-vg, file)"),
    _A("su_args", "Type-specific arguments (file: directories)"),
    _A("name", "Only this storage unit, or None for all"),
    _A("fields", "Fields to report (name, size, used, free, allocatable)"),
    ], "StorageList", "Lists the storage units of one type"),
  RpcCall("storage_modify", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type"),
    _A("su_args", "Type-specific arguments"),
    _A("name", "Storage unit name"),
    _A("changes", "Field -> new value"),
    ], "StorageModify", "Changes a field of a storage unit"),
  RpcCall("storage_execute", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type"),
    _A("su_args", "Type-specific arguments"),
    _A("name", "Storage unit name"),
    _A("op", "Operation (fix-consistency)"),
    ], "StorageExecute", "Runs a repair operation on a storage unit"),
  RpcCall("node_volumes", MULTI, constants.RPC_TMO_FAST, [],
          "NodeVolumes", "Lists logical volumes with their physical device"),
  RpcCall("bridges_exist", SINGLE, constants.RPC_TMO_URGENT, [
    _A("bridges_list", "Bridges that must exist on the node"),
    ], "BridgesExist", "Checks that the node has the given bridges"),

  # Block devices
  RpcCall("blockdev_create", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("bdev", "Disk to create (objects.Disk, physical id set)",
       ED_OBJECT_DICT),
    _A("size", "Size in MiB"),
    _A("owner", "Instance name"),
    _A("on_primary", "Whether the node is the instance's primary"),
    _A("info", "Text stored with the device"),
    _A("excl_stor", "Exclusive storage (one PV per LV)"),
    ], "BlockdevCreate", "Creates a block device tree; returns its"
          " unique id"),
  RpcCall("blockdev_wipe", SINGLE, _WipeTimeout, [
    _A("bdev", "Disk to wipe", ED_OBJECT_DICT),
    _A("offset", "Offset in MiB"),
    _A("size", "MiB to wipe"),
    ], "BlockdevWipe", "Overwrites part of a block device with zeros"),
  RpcCall("blockdev_remove", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("bdev", "Disk to remove (children too)", ED_OBJECT_DICT),
    ], "BlockdevRemove", "Removes a block device tree"),
  RpcCall("blockdev_rename", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("devlist", "List of [disk, new unique id]", ED_BLOCKDEV_RENAME),
    ], "BlockdevRename", "Renames block devices"),
  RpcCall("blockdev_assemble", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disk", "Disk to activate", ED_OBJECT_DICT),
    _A("owner", "Instance name"),
    _A("on_primary", "Whether the node is the instance's primary"),
    _A("idx", "Index of the disk in the instance"),
    ], "BlockdevAssemble", "Activates a block device tree; on the primary"
          " returns [device path, symlink]"),
  RpcCall("blockdev_shutdown", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disk", "Disk to deactivate", ED_OBJECT_DICT),
    ], "BlockdevShutdown", "Deactivates a block device tree"),
  RpcCall("blockdev_find", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disk", "Disk to look for", ED_OBJECT_DICT),
    ], "BlockdevFind", "Returns the status of an active block device"
          " (BlockDevStatus dict), or None"),
  RpcCall("blockdev_getmirrorstatus", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disks", "Disks to report on", ED_OBJECT_DICT_LIST),
    ], "BlockdevGetmirrorstatus", "Returns [success, BlockDevStatus dict or"
          " reason] for each disk"),
  RpcCall("blockdev_getsize", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disks", "Disks to measure", ED_OBJECT_DICT_LIST),
    ], "BlockdevGetsize", "Returns the size in bytes of each disk (None"
          " where unknown)"),
  RpcCall("blockdev_grow", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("disk", "Disk to grow", ED_OBJECT_DICT),
    _A("amount", "MiB to add"),
    _A("dryrun", "Only check that the growth is possible"),
    _A("backingstore", "Grow the backing storage, not the device on top"),
    ], "BlockdevGrow", "Grows a block device"),
  RpcCall("file_storage_dir_create", SINGLE, constants.RPC_TMO_FAST, [
    _A("file_storage_dir", "Directory to create (configuration path)"),
    ], "FileStorageDirCreate", "Creates an instance's file disk directory"),
  RpcCall("file_storage_dir_remove", SINGLE, constants.RPC_TMO_FAST, [
    _A("file_storage_dir", "Directory to remove (configuration path)"),
    ], "FileStorageDirRemove", "Removes an instance's empty file disk"
          " directory"),
  RpcCall("file_storage_dir_rename", SINGLE, constants.RPC_TMO_FAST, [
    _A("old_file_storage_dir", "Current directory"),
    _A("new_file_storage_dir", "New directory"),
    ], "FileStorageDirRename", "Renames an instance's file disk directory"),
  RpcCall("blockdev_close", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("instance_name", "Instance whose disk symlinks go (or None)"),
    _A("disks", "Disks to close", ED_OBJECT_DICT_LIST),
    ], "BlockdevClose", "Closes block devices (DRBD secondary mode)"),
  RpcCall("drbd_disconnect_net", MULTI, constants.RPC_TMO_NORMAL, [
    _A("nodes_ip", "Node name -> replication (secondary) IP"),
    _A("disks", "DRBD disks", ED_OBJECT_DICT_LIST),
    ], "DrbdDisconnectNet", "Disconnects DRBD devices from their peers"),
  RpcCall("drbd_attach_net", MULTI, constants.RPC_TMO_NORMAL, [
    _A("nodes_ip", "Node name -> replication (secondary) IP"),
    _A("disks", "DRBD disks", ED_OBJECT_DICT_LIST),
    _A("instance_name", "Instance owning the disks"),
    _A("multimaster", "Connect in dual-primary mode (live migration)"),
    ], "DrbdAttachNet", "Connects DRBD devices to their peers"),
  RpcCall("drbd_wait_sync", MULTI, constants.RPC_TMO_SLOW, [
    _A("nodes_ip", "Node name -> replication (secondary) IP"),
    _A("disks", "DRBD disks", ED_OBJECT_DICT_LIST),
    ], "DrbdWaitSync", "Returns [all synced, lowest sync percentage] of"
          " DRBD devices"),

  # Instances
  RpcCall("instance_info", SINGLE, constants.RPC_TMO_URGENT, [
    _A("instance_name", "Instance name"),
    _A("hname", "Hypervisor type"),
    ], "GetInstanceInfo", "Returns {memory, vcpus, state, time} of a"
          " running instance, {} when it does not run"),
  RpcCall("instance_list", MULTI, constants.RPC_TMO_URGENT, [
    _A("hypervisor_list", "Hypervisors to ask"),
    ], "GetInstanceList", "Returns the names of the running instances"),
  RpcCall("all_instances_info", MULTI, constants.RPC_TMO_URGENT, [
    _A("hypervisor_list", "Hypervisors to ask"),
    ], "GetAllInstancesInfo", "Returns {name: {memory, vcpus, state, time}}"
          " of the running instances"),
  RpcCall("instance_start", SINGLE, constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    _A("startup_paused", "Start with the CPUs stopped"),
    ], "StartInstance", "Starts an instance (its disks are assembled)"),
  RpcCall("instance_shutdown", SINGLE, _ShutdownTimeout, [
    _InstanceArg(),
    _A("timeout", "Seconds to wait for a clean stop before forcing it"),
    ], "InstanceShutdown", "Stops an instance"),
  RpcCall("instance_reboot", SINGLE, _RebootTimeout, [
    _InstanceArg(),
    _A("reboot_type", "soft or hard"),
    _A("shutdown_timeout", "Seconds a hard reboot waits for the stop"),
    ], "InstanceReboot", "Reboots a running instance"),
  RpcCall("instance_os_add", SINGLE, constants.RPC_TMO_1DAY, [
    _InstanceArg(),
    _A("reinstall", "Whether this is a reinstallation"),
    _A("debug", "Debug level of the OS scripts"),
    ], "InstanceOsAdd", "Runs the OS create script of an instance"),
  RpcCall("instance_run_rename", SINGLE, constants.RPC_TMO_SLOW, [
    _InstanceArg(),
    _A("old_name", "The instance's previous name"),
    _A("debug", "Debug level of the OS scripts"),
    ], "RunRenameInstance", "Runs the OS rename script of an instance"),
  RpcCall("instance_balloon_memory", SINGLE, constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    _A("memory", "New memory size in MiB"),
    ], "InstanceBalloonMemory", "Changes the memory of a running instance"),
  RpcCall("instance_migratable", SINGLE, constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    ], "GetInstanceMigratable", "Checks that an instance can be migrated"),
  RpcCall("migration_info", SINGLE, constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    ], "MigrationInfo", "Returns what the target needs to accept a"
          " migrating instance"),
  RpcCall("accept_instance", SINGLE, constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    _A("info", "Result of migration_info"),
    _A("target", "Target node address"),
    ], "AcceptInstance", "Prepares the node to receive a migrating"
          " instance"),
  RpcCall("instance_finalize_migration_dst", SINGLE,
          constants.RPC_TMO_NORMAL, [
    _InstanceArg(),
    _A("info", "Result of migration_info"),
    _A("success", "Whether the migration succeeded"),
    ], "FinalizeMigrationDst", "Completes a migration on the target node"),
  RpcCall("instance_migrate", SINGLE, constants.RPC_TMO_SLOW, [
    _InstanceArg(),
    _A("target", "Target node address"),
    _A("live", "Live migration"),
    ], "MigrateInstance", "Migrates a running instance to another node"),
  RpcCall("instance_finalize_migration_src", SINGLE, constants.RPC_TMO_SLOW, [
    _InstanceArg(),
    _A("success", "Whether the migration succeeded"),
    _A("live", "Whether it was a live migration"),
    ], "FinalizeMigrationSource", "Completes a migration on the source"
          " node"),
  RpcCall("instance_get_migration_status", SINGLE, constants.RPC_TMO_SLOW, [
    _InstanceArg(),
    ], "GetMigrationStatus", "Returns the progress of a migration"
          " (MigrationStatus dict)"),
  RpcCall("hypervisor_validate_params", MULTI, constants.RPC_TMO_NORMAL, [
    _A("hvname", "Hypervisor type"),
    _A("hvfull", "Filled hypervisor parameters"),
    ], "ValidateHVParams", "Checks hypervisor parameters on the node"),

  # OS definitions
  RpcCall("os_validate", MULTI, constants.RPC_TMO_FAST, [
    _A("required", "Whether the OS must exist on the node"),
    _A("name", "OS name (with variant)"),
    _A("checks", "What to check (constants.OS_VALIDATE_*)"),
    _A("params", "OS parameters"),
    ], "ValidateOS", "Validates OS parameters with the OS's verify"
          " script"),
  RpcCall("os_get", SINGLE, constants.RPC_TMO_FAST, [
    _A("name", "OS name (with variant)"),
    ], "GetOSDefinition", "Returns an OS definition (objects.OS dict)"),
  ]

#: Every call by name
CALLS: Dict[str, RpcCall] = dict((c.name, c) for c in _CALL_LIST)

if len(CALLS) != len(_CALL_LIST):
  raise errors.ProgrammerError("Duplicate RPC call names in rpc_defs")


def GetCall(name: str) -> Optional[RpcCall]:
  """The call named ``name``, or None."""
  return CALLS.get(name)


def CallNames() -> Tuple[str, ...]:
  """All call names, sorted."""
  return tuple(sorted(CALLS))
