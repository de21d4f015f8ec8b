"""The instance part of the opcode catalogue: life cycle, disks, exports.

Layer 2 (model).  Split from `ganeti.opcodes` only to keep modules small;
`ganeti.opcodes` re-exports every class defined here and lists them in
OP_MAPPING, so users import that module, never this one.  Like the rest
of the catalogue this is data only: it must not import the master side
nor perform any cluster operation.
"""

from ganeti import constants
from ganeti import ht
from ganeti.opcodes_base import OpCode, Param, REQUIRED, TJobIdListOnly
from ganeti.opcodes_params import (
  TDiskModifications, TDiskParams, TNameList, TNicDef, TNicModifications,
  TOldQueryResult, TRecreateDisks, TSetParamsResult,
  _PAllowRuntimeChgs, _PBeParams, _PEarlyRelease, _PForce, _PForceVariant,
  _PHvParams, _PIAllocator, _PIgnoreConsistency, _PIgnoreIpolicy,
  _PIgnoreOfflineNodes, _PInstanceName, _PInstanceTags, _PIpCheckDoc,
  _PMigrationLive, _PMigrationMode, _PMigrationTargetNode, _PNameCheck,
  _PNames, _PNodes, _PNoRemember, _POutputFields, _PRemoteNode,
  _PShutdownTimeout, _PStartupPaused, _PTargetGroups, _PUseLocking,
  _PWaitForSync)


# Instance

class OpInstanceCreate(OpCode):
  """Create an instance, or import one from an export.

  The result is the list of the instance's nodes, primary first.

  """
  HPATH = "instance-add"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PForceVariant,
    _PWaitForSync,
    _PNameCheck,
    _PIgnoreIpolicy,
    _PBeParams,
    Param("disks", REQUIRED, ht.TListOf(TDiskParams),
          "Disk descriptions: [{\"size\": MiB, \"mode\": \"rw\"|\"ro\","
          " \"adopt\", \"vg\", \"metavg\"}]"),
    Param("disk_template", REQUIRED,
          ht.TMaybe(ht.TElemOf(constants.DISK_TEMPLATES)),
          "Disk template (null only for imports)"),
    Param("file_driver", None,
          ht.TMaybe(ht.TElemOf(constants.FILE_DRIVER)),
          "Driver for file-based disks"),
    Param("file_storage_dir", None, ht.TMaybeString,
          "Directory for file-based disks, under the cluster's one"),
    _PHvParams,
    Param("hypervisor", None, ht.TMaybeString,
          "Hypervisor (null for the cluster default)"),
    _PIAllocator,
    Param("identify_defaults", False, ht.TBool,
          "Drop parameters equal to the cluster defaults"),
    Param("ip_check", True, ht.TBool, _PIpCheckDoc),
    Param("mode", REQUIRED, ht.TElemOf(constants.INSTANCE_CREATE_MODES),
          "Creation mode"),
    Param("nics", REQUIRED, ht.TListOf(TNicDef),
          "NIC descriptions: [{\"mac\", \"ip\", \"mode\", \"link\"}]"),
    Param("no_install", None, ht.TMaybeBool,
          "Do not run the OS create script"),
    Param("osparams", {}, ht.TDict, "OS parameters"),
    Param("os_type", None, ht.TMaybeString,
          "Operating system (required in create mode)"),
    Param("pnode", None, ht.TMaybeString, "Primary node"),
    Param("snode", None, ht.TMaybeString, "Secondary node"),
    Param("source_handshake", None, ht.TMaybe(ht.TList),
          "Signed handshake from the source (remote import)"),
    Param("source_instance_name", None, ht.TMaybeString,
          "Instance name on the source cluster (remote import)"),
    Param("source_shutdown_timeout", constants.DEFAULT_SHUTDOWN_TIMEOUT,
          ht.TNonNegativeInt,
          "How long the source waits for the instance to shut down"
          " (remote import)"),
    Param("source_x509_ca", None, ht.TMaybeString,
          "Source cluster's X509 CA in PEM (remote import)"),
    Param("src_node", None, ht.TMaybeString, "Node holding the export"),
    Param("src_path", None, ht.TMaybeString, "Directory of the export"),
    Param("start", True, ht.TBool, "Whether to start the instance"),
    _PInstanceTags,
    ]
  OP_RESULT = ht.TListOf(ht.TNonEmptyString)


class OpInstanceReinstall(OpCode):
  """Reinstall an instance's operating system."""
  HPATH = "instance-reinstall"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PForceVariant,
    Param("os_type", None, ht.TMaybeString, "New operating system"),
    Param("osparams", None, ht.TMaybeDict, "Temporary OS parameters"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceRemove(OpCode):
  """Remove an instance and its disks."""
  HPATH = "instance-remove"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PShutdownTimeout,
    Param("ignore_failures", False, ht.TBool,
          "Whether to ignore failures while removing"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceRename(OpCode):
  """Rename an instance; the result is the new name."""
  HPATH = "instance-rename"
  HTYPE = constants.HTYPE_INSTANCE
  REQ_BGL = True
  OP_PARAMS = [
    _PInstanceName,
    _PNameCheck,
    Param("new_name", REQUIRED, ht.TNonEmptyString, "New instance name"),
    Param("ip_check", False, ht.TBool, _PIpCheckDoc),
    ]
  OP_RESULT = ht.TNonEmptyString


class OpInstanceStartup(OpCode):
  """Start an instance."""
  HPATH = "instance-start"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PForce.WithDoc("Start even if secondary disks are degraded"),
    _PIgnoreOfflineNodes,
    _PHvParams.WithDoc("Temporary hypervisor parameters"),
    _PBeParams.WithDoc("Temporary backend parameters"),
    _PNoRemember,
    _PStartupPaused,
    ]
  OP_RESULT = ht.TNone


class OpInstanceShutdown(OpCode):
  """Stop an instance."""
  HPATH = "instance-stop"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PIgnoreOfflineNodes,
    Param("timeout", constants.DEFAULT_SHUTDOWN_TIMEOUT, ht.TNonNegativeInt,
          "How long to wait for the instance to shut down (seconds)"),
    _PNoRemember,
    ]
  OP_RESULT = ht.TNone


class OpInstanceReboot(OpCode):
  """Reboot an instance (soft, hard or full)."""
  HPATH = "instance-reboot"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PShutdownTimeout,
    Param("ignore_secondaries", False, ht.TBool,
          "Whether to start the instance even if secondary disks are"
          " failing"),
    Param("reboot_type", REQUIRED, ht.TElemOf(constants.REBOOT_TYPES),
          "How to reboot the instance"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceReplaceDisks(OpCode):
  """Replace the disks of a DRBD instance, or its secondary node."""
  HPATH = "mirrors-replace"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PEarlyRelease,
    _PIgnoreIpolicy,
    Param("mode", REQUIRED, ht.TElemOf(constants.REPLACE_MODES),
          "Replacement mode"),
    Param("disks", [], ht.TListOf(ht.TNonNegativeInt),
          "Disk indices (empty for all)"),
    _PRemoteNode,
    _PIAllocator.WithDoc("Iallocator choosing the new secondary node"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceFailover(OpCode):
  """Fail an instance over to its secondary (or another) node."""
  HPATH = "instance-failover"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PShutdownTimeout,
    _PIgnoreConsistency,
    _PMigrationTargetNode,
    _PIgnoreIpolicy,
    _PIAllocator.WithDoc("Iallocator choosing the target node"
                         " (externally mirrored disks only)"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceMigrate(OpCode):
  """Live- or non-live-migrate an instance to another node."""
  HPATH = "instance-migrate"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PMigrationMode,
    _PMigrationLive,
    _PMigrationTargetNode,
    _PAllowRuntimeChgs,
    _PIgnoreIpolicy,
    Param("cleanup", False, ht.TBool,
          "Whether to clean up after a failed migration"),
    _PIAllocator.WithDoc("Iallocator choosing the target node"
                         " (externally mirrored disks only)"),
    Param("allow_failover", False, ht.TBool,
          "Whether to fail over if migration is not possible"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceMove(OpCode):
  """Move an instance to another node by copying its disks."""
  HPATH = "instance-move"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PShutdownTimeout,
    _PIgnoreIpolicy,
    Param("target_node", REQUIRED, ht.TNonEmptyString, "Target node"),
    _PIgnoreConsistency,
    ]
  OP_RESULT = ht.TNone


class OpInstanceConsole(OpCode):
  """Return how to connect to an instance's console."""
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    ]
  OP_RESULT = ht.TDict


class OpInstanceActivateDisks(OpCode):
  """Activate an instance's disks; returns [[node, iv_name, device]]."""
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    Param("ignore_size", False, ht.TBool,
          "Whether to ignore the recorded disk sizes"),
    ]
  OP_RESULT = ht.TListOf(ht.TAnd(ht.TIsLength(3),
                                 ht.TItems([ht.TNonEmptyString,
                                            ht.TNonEmptyString,
                                            ht.TNonEmptyString])))


class OpInstanceDeactivateDisks(OpCode):
  """Deactivate an instance's disks."""
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PForce.WithDoc("Whether to skip the running-instance check"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceRecreateDisks(OpCode):
  """Recreate an instance's missing disks, optionally on new nodes."""
  HPATH = "instance-recreate-disks"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    Param("disks", [], TRecreateDisks,
          "Disks to recreate (empty for all): indices, or [index,"
          " {\"size\", \"mode\"}] pairs"),
    Param("nodes", [], TNameList, "New instance nodes, if relocating"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceQuery(OpCode):
  """Query instances (legacy interface)."""
  OP_PARAMS = [
    _POutputFields,
    _PUseLocking,
    _PNames.WithDoc("Instance names (empty for all)"),
    ]
  OP_RESULT = TOldQueryResult


class OpInstanceQueryData(OpCode):
  """Return detailed information about instances."""
  OP_PARAMS = [
    _PUseLocking,
    Param("instances", [], TNameList, "Instance names (empty for all)"),
    Param("static", False, ht.TBool,
          "Whether to use only configuration data, without querying nodes"),
    ]
  OP_RESULT = ht.TDictOf(ht.TNonEmptyString, ht.TDict)


class OpInstanceSetParams(OpCode):
  """Change an instance's parameters, disks and NICs.

  ``disks`` and ``nics`` accept modification lists in the current and the
  legacy format; `UpgradeModificationList` converts the latter.

  """
  HPATH = "instance-modify"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PForce,
    _PForceVariant,
    _PIgnoreIpolicy,
    Param("nics", [], TNicModifications,
          "NIC modifications: [[\"add\"|\"modify\"|\"remove\", index,"
          " settings]]"),
    Param("disks", [], TDiskModifications,
          "Disk modifications: [[\"add\"|\"modify\"|\"remove\", index,"
          " settings]]"),
    _PBeParams.WithDoc("Changed backend parameters (\"default\" removes an"
                       " override)"),
    Param("runtime_mem", None, ht.TMaybe(ht.TPositiveInt),
          "New runtime memory of the running instance (MiB)"),
    _PHvParams.WithDoc("Changed hypervisor parameters (\"default\" removes"
                       " an override)"),
    Param("disk_template", None,
          ht.TMaybe(ht.TElemOf(constants.DISK_TEMPLATES)),
          "Disk template to convert to"),
    _PRemoteNode.WithDoc("Secondary node (conversion to drbd)"),
    Param("os_name", None, ht.TMaybeString,
          "New OS name, without reinstalling"),
    Param("osparams", None, ht.TMaybeDict, "Changed OS parameters"),
    _PWaitForSync.WithDoc("Whether to wait for the disks to synchronize"
                          " after a template conversion"),
    Param("offline", None, ht.TMaybeBool,
          "Whether to mark the instance offline (true) or online (false)"),
    ]
  OP_RESULT = TSetParamsResult


class OpInstanceGrowDisk(OpCode):
  """Grow one disk of an instance."""
  HPATH = "disk-grow"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PWaitForSync,
    Param("disk", REQUIRED, ht.TInt, "Disk index"),
    Param("amount", REQUIRED, ht.TNonNegativeInt,
          "Amount of disk space to add, or the new size if absolute (MiB)"),
    Param("absolute", False, ht.TBool,
          "Whether the amount is the new size instead of a delta"),
    ]
  OP_RESULT = ht.TNone


class OpInstanceChangeGroup(OpCode):
  """Move an instance to another node group (jobs per move)."""
  HPATH = "instance-change-group"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PEarlyRelease,
    _PIAllocator,
    _PTargetGroups,
    ]
  OP_RESULT = TJobIdListOnly


# Exports

class OpBackupQuery(OpCode):
  """List exports per node (false for nodes that failed to answer)."""
  OP_PARAMS = [
    _PUseLocking,
    _PNodes,
    ]
  OP_RESULT = ht.TDictOf(ht.TNonEmptyString,
                         ht.TOr(ht.TElemOf([False]),
                                ht.TListOf(ht.TNonEmptyString)))


class OpBackupPrepare(OpCode):
  """Prepare an export (remote mode: handshake and X509 key)."""
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    Param("mode", REQUIRED, ht.TElemOf(constants.EXPORT_MODES),
          "Export mode"),
    ]
  OP_RESULT = ht.TMaybeDict


class OpBackupExport(OpCode):
  """Export an instance, to a node (local) or another cluster (remote).

  The result is [finalize ok, [disk ok, ...]].

  """
  HPATH = "instance-export"
  HTYPE = constants.HTYPE_INSTANCE
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    _PShutdownTimeout,
    Param("target_node", REQUIRED, ht.TOr(ht.TNonEmptyString, ht.TList),
          "Destination node (local mode) or list of [host, port, hmac,"
          " salt] per disk (remote mode)"),
    Param("shutdown", True, ht.TBool,
          "Whether to shut the instance down before exporting"),
    Param("remove_instance", False, ht.TBool,
          "Whether to remove the instance after exporting"),
    Param("ignore_remove_failures", False, ht.TBool,
          "Whether to ignore failures while removing the instance"),
    Param("mode", constants.EXPORT_MODE_LOCAL,
          ht.TElemOf(constants.EXPORT_MODES), "Export mode"),
    Param("x509_key_name", None, ht.TMaybe(ht.TList),
          "Name of the X509 key (remote mode)"),
    Param("destination_x509_ca", None, ht.TMaybeString,
          "Destination cluster's X509 CA (remote mode)"),
    ]
  OP_RESULT = ht.TAnd(ht.TIsLength(2),
                      ht.TItems([ht.TBool, ht.TListOf(ht.TBool)]))


class OpBackupRemove(OpCode):
  """Remove an instance's export."""
  OP_DSC_FIELD = "instance_name"
  OP_PARAMS = [
    _PInstanceName,
    ]
  OP_RESULT = ht.TNone
