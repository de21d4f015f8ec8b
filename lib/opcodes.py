"""The opcode catalogue: every operation the master can be asked to do.

Layer 2 (model).  Each class is one opcode of Ganeti 2.6: its parameter
table (the single source for validation, RAPI bodies, CLI options and
documentation), the parameter shown in job summaries, the type of its
logical unit's result, and its LU's hooks path/type and Big Ganeti Lock
need.  This module holds the cluster, query, node, group, OS, tag and test
opcodes and is the one users import: it re-exports the machinery of
`ganeti.opcodes_base` (`Param`, `OpCode`, wire form, dependency rules),
the shared parameters and structured-value checks of
`ganeti.opcodes_params` and the instance and export opcodes of
`ganeti.opcodes_instance`, and builds OP_MAPPING over all of them.

Opcodes are data: this module must not import the master side (config,
jqueue, mcpu, cmdlib) nor perform any cluster operation.
"""

# The imports below are also the public surface of the split modules.
# pylint: disable=unused-import

from ganeti import constants
from ganeti import ht
from ganeti.opcodes_base import (
  COMMENT_ATTR, COMMON_PARAMS, DEPEND_ATTR, OP_ID_KEY, REASON_ATTR, REQUIRED,
  CheckDependencies, CheckSubmitPriority, NameToId, OpCode, Param,
  RegisterOpcodes, ResolveRelativeDependencies, TJobDependencies,
  TJobIdList, TJobIdListItem, TJobIdListOnly, TNoRelativeJobDependencies,
  TReasonItem)
from ganeti.opcodes_params import (
  TDiskModifications, TDiskParams, TDiskParamsPerTemplate, TDiskState,
  THvParamsPerHv, THvState, TIPolicy, TModificationList, TNameList, TNicDef,
  TNicModifications, TOldQueryResult, TOsHvp, TOsListEdits, TQueryCell,
  TQueryFieldDef, TQueryFieldsResult, TQueryFilter, TQueryResult,
  TRecreateDisks, TSetParamsResult, TTagList, UpgradeModificationList,
  _PAllocPolicy, _PAllowRuntimeChgs, _PBeParams, _PDebugSimulateErrors,
  _PDiskParams, _PDiskState, _PEarlyRelease, _PErrorCodes, _PForce,
  _PForceVariant, _PGroupName, _PHvParams, _PHvState, _PIAllocator,
  _PIgnoreConsistency, _PIgnoreErrors, _PIgnoreIpolicy, _PIgnoreOfflineNodes,
  _PInstanceName, _PInstanceTags, _PIpCheckDoc, _PIpolicy, _PMigrationLive,
  _PMigrationMode, _PMigrationTargetNode, _PNameCheck, _PNames, _PNdParams,
  _PNodeEvacMode, _PNodeName, _PNodes, _PNoRemember, _POptGroupName,
  _POutputFields, _PQueryWhat, _PRemoteNode, _PShutdownTimeout,
  _PSkipChecks, _PStartupPaused, _PStorageName, _PStorageType, _PTagKind,
  _PTagName, _PTags, _PTargetGroups, _PUseLocking, _PVerbose,
  _PWaitForSync)
from ganeti import opcodes_instance
from ganeti.opcodes_instance import (
  OpBackupExport, OpBackupPrepare, OpBackupQuery, OpBackupRemove,
  OpInstanceActivateDisks, OpInstanceChangeGroup, OpInstanceConsole,
  OpInstanceCreate, OpInstanceDeactivateDisks, OpInstanceFailover,
  OpInstanceGrowDisk, OpInstanceMigrate, OpInstanceMove, OpInstanceQuery,
  OpInstanceQueryData, OpInstanceReboot, OpInstanceRecreateDisks,
  OpInstanceReinstall, OpInstanceRemove, OpInstanceRename,
  OpInstanceReplaceDisks, OpInstanceSetParams, OpInstanceShutdown,
  OpInstanceStartup)


# Cluster

class OpClusterPostInit(OpCode):
  """Run the post-init hooks after the cluster was created."""
  HPATH = "cluster-init"
  HTYPE = constants.HTYPE_CLUSTER
  REQ_BGL = True
  OP_RESULT = ht.TBool


class OpClusterDestroy(OpCode):
  """Destroy the cluster; only the master may be left (gnt-cluster destroy).

  The result is the master node's name, whose daemons are stopped next.

  """
  HPATH = "cluster-destroy"
  HTYPE = constants.HTYPE_CLUSTER
  REQ_BGL = True
  OP_RESULT = ht.TNonEmptyString


class OpClusterQuery(OpCode):
  """Return the cluster's configuration (gnt-cluster info, GET /2/info)."""
  OP_RESULT = ht.TDict


class OpClusterVerify(OpCode):
  """Verify the cluster by submitting one job per node group."""
  OP_PARAMS = [
    _PDebugSimulateErrors,
    _PErrorCodes,
    _PSkipChecks,
    _PIgnoreErrors,
    _PVerbose,
    _POptGroupName,
    ]
  OP_RESULT = TJobIdListOnly


class OpClusterVerifyConfig(OpCode):
  """Verify the cluster-wide configuration."""
  OP_PARAMS = [
    _PDebugSimulateErrors,
    _PErrorCodes,
    _PIgnoreErrors,
    _PVerbose,
    ]
  OP_RESULT = ht.TBool


class OpClusterVerifyGroup(OpCode):
  """Verify the nodes and instances of one node group."""
  HPATH = "cluster-verify"
  HTYPE = constants.HTYPE_CLUSTER
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    _PDebugSimulateErrors,
    _PErrorCodes,
    _PSkipChecks,
    _PIgnoreErrors,
    _PVerbose,
    ]
  OP_RESULT = ht.TBool


class OpClusterVerifyDisks(OpCode):
  """Verify disks cluster-wide: one OP_GROUP_VERIFY_DISKS job per group."""
  OP_RESULT = TJobIdListOnly


class OpGroupVerifyDisks(OpCode):
  """Find DRBD instances of a group whose disks need activation.

  Result: [{node: error}, [instances needing activate-disks],
  {instance: [[node, "vg/lv"], ...]} for missing volumes].

  """
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    ]
  OP_RESULT = ht.TAnd(ht.TIsLength(3),
                      ht.TItems([ht.TDictOf(ht.TString, ht.TString),
                                 ht.TListOf(ht.TString),
                                 ht.TDictOf(ht.TString,
                                            ht.TListOf(ht.TListOf(
                                              ht.TString)))]))


class OpClusterRepairDiskSizes(OpCode):
  """Record the real sizes of disks whose configured size is wrong."""
  OP_PARAMS = [
    Param("instances", [], TNameList,
          "Instances to check (empty for all)"),
    ]
  OP_RESULT = ht.TListOf(ht.TAnd(ht.TIsLength(3),
                                 ht.TItems([ht.TNonEmptyString,
                                            ht.TNonNegativeInt,
                                            ht.TNonNegativeInt])))


class OpClusterConfigQuery(OpCode):
  """Return cluster configuration values (gnt-cluster getmaster etc.)."""
  OP_PARAMS = [
    _POutputFields,
    ]
  OP_RESULT = ht.TListOf(ht.TAny)


class OpClusterRename(OpCode):
  """Rename the cluster (name and master IP may change)."""
  HPATH = "cluster-rename"
  HTYPE = constants.HTYPE_CLUSTER
  REQ_BGL = True
  OP_DSC_FIELD = "name"
  OP_PARAMS = [
    Param("name", REQUIRED, ht.TNonEmptyString, "New cluster name"),
    ]
  OP_RESULT = ht.TNonEmptyString


class OpClusterSetParams(OpCode):
  """Change cluster parameters (gnt-cluster modify, PUT /2/modify).

  Every parameter is optional; null leaves the value unchanged.

  """
  HPATH = "cluster-modify"
  HTYPE = constants.HTYPE_CLUSTER
  OP_PARAMS = [
    _PHvState,
    _PDiskState,
    Param("vg_name", None, ht.TMaybe(ht.TString),
          "Volume group name (empty to disable LVM storage)"),
    Param("enabled_hypervisors", None,
          ht.TMaybe(ht.TAnd(ht.TNonEmptyList,
                            ht.TListOf(ht.TElemOf(constants.HYPER_TYPES)))),
          "Enabled hypervisors; the first one is the default"),
    Param("hvparams", None, ht.TMaybe(THvParamsPerHv),
          "Cluster-wide hypervisor parameter defaults, per hypervisor"),
    Param("beparams", None, ht.TMaybeDict,
          "Cluster-wide backend parameter defaults"),
    Param("os_hvp", None, ht.TMaybe(TOsHvp),
          "Per-OS hypervisor parameter overrides"),
    Param("osparams", None, ht.TMaybe(ht.TDictOf(ht.TNonEmptyString,
                                                 ht.TDict)),
          "Cluster-wide OS parameter defaults, per OS"),
    _PDiskParams.WithDoc("Disk parameter defaults, per disk template"),
    Param("candidate_pool_size", None, ht.TMaybe(ht.TPositiveInt),
          "Master candidate pool size"),
    Param("uid_pool", None, ht.TAny,
          "New user-id pool: list of [first, last] ranges"),
    Param("add_uids", None, ht.TAny,
          "User-id ranges to add to the pool"),
    Param("remove_uids", None, ht.TAny,
          "User-id ranges to remove from the pool"),
    Param("maintain_node_health", None, ht.TMaybeBool,
          "Whether to automatically maintain node health"),
    Param("prealloc_wipe_disks", None, ht.TMaybeBool,
          "Whether to wipe disks before allocating them to instances"),
    Param("nicparams", None, ht.TMaybeDict, "Cluster-wide NIC defaults"),
    _PNdParams.WithDoc("Cluster-wide node parameter defaults"),
    _PIpolicy.WithDoc("Cluster-wide instance policy"),
    Param("drbd_helper", None, ht.TMaybe(ht.TString),
          "DRBD usermode helper (empty to disable DRBD)"),
    Param("default_iallocator", None, ht.TMaybe(ht.TString),
          "Default iallocator (empty to clear)"),
    Param("master_netdev", None, ht.TMaybe(ht.TString),
          "Master network device"),
    Param("master_netmask", None, ht.TMaybe(ht.TNonNegativeInt),
          "Netmask (prefix length) of the master IP"),
    Param("reserved_lvs", None, ht.TMaybeListOf(ht.TNonEmptyString),
          "Regular expressions of logical volumes ignored by verify"
          " (empty list to clear)"),
    Param("hidden_os", None, TOsListEdits,
          "Edits of the hidden OS list: [[\"add\"|\"remove\", name]]"),
    Param("blacklisted_os", None, TOsListEdits,
          "Edits of the blacklisted OS list: [[\"add\"|\"remove\", name]]"),
    Param("use_external_mip_script", None, ht.TMaybeBool,
          "Whether to use an external master IP address setup script"),
    ]
  OP_RESULT = ht.TNone


class OpClusterRedistConf(OpCode):
  """Push the configuration and ancillary files to all nodes."""
  OP_RESULT = ht.TNone


class OpClusterActivateMasterIp(OpCode):
  """Bring up the master IP on the master node."""
  REQ_BGL = True
  OP_RESULT = ht.TNone


class OpClusterDeactivateMasterIp(OpCode):
  """Take down the master IP on the master node."""
  REQ_BGL = True
  OP_RESULT = ht.TNone


# Generic query and out-of-band management

class OpQuery(OpCode):
  """Query a resource with the query2 protocol (fields and filter)."""
  OP_DSC_FIELD = "what"
  OP_PARAMS = [
    _PQueryWhat,
    _PUseLocking,
    Param("fields", REQUIRED, TNameList, "Requested fields"),
    Param("qfilter", None, TQueryFilter, "Query filter"),
    ]
  OP_RESULT = TQueryResult


class OpQueryFields(OpCode):
  """Describe the query2 fields of a resource."""
  OP_DSC_FIELD = "what"
  OP_PARAMS = [
    _PQueryWhat,
    Param("fields", None, ht.TMaybeListOf(ht.TNonEmptyString),
          "Requested fields (null for all)"),
    ]
  OP_RESULT = TQueryFieldsResult


class OpOobCommand(OpCode):
  """Run an out-of-band command (power, health) on nodes."""
  OP_PARAMS = [
    Param("node_names", [], TNameList,
          "Nodes to run the command on (empty for all)"),
    Param("command", REQUIRED, ht.TElemOf(constants.OOB_COMMANDS),
          "Out-of-band command"),
    Param("timeout", constants.OOB_TIMEOUT, ht.TInt,
          "Timeout of the helper program (seconds)"),
    Param("ignore_status", False, ht.TBool,
          "Whether to power off nodes not marked offline"),
    Param("power_delay", constants.OOB_POWER_DELAY, ht.TNonNegativeFloat,
          "Delay between powering on nodes (seconds)"),
    ]
  OP_RESULT = ht.TListOf(ht.TListOf(TQueryCell))


# Node

class OpNodeRemove(OpCode):
  """Remove a node from the cluster."""
  HPATH = "node-remove"
  HTYPE = constants.HTYPE_NODE
  REQ_BGL = True
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    ]
  OP_RESULT = ht.TNone


class OpNodeAdd(OpCode):
  """Add a node to the cluster, or re-add a known one."""
  HPATH = "node-add"
  HTYPE = constants.HTYPE_NODE
  REQ_BGL = True
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    _PHvState,
    _PDiskState,
    Param("primary_ip", None, ht.TAny,
          "Primary IP address (filled in by the master, ignored on input)"),
    Param("secondary_ip", None, ht.TMaybeString,
          "Secondary IP address (required on dual-homed clusters)"),
    Param("readd", False, ht.TBool, "Whether the node is being re-added"),
    Param("group", None, ht.TMaybeString,
          "Initial node group (name or UUID)"),
    Param("master_capable", None, ht.TMaybeBool,
          "Whether the node can become master or master candidate"),
    Param("vm_capable", None, ht.TMaybeBool,
          "Whether the node can host instances"),
    _PNdParams,
    ]
  OP_RESULT = ht.TNone


class OpNodeQuery(OpCode):
  """Query nodes (legacy interface)."""
  OP_PARAMS = [
    _POutputFields,
    _PUseLocking,
    _PNames.WithDoc("Node names (empty for all)"),
    ]
  OP_RESULT = TOldQueryResult


class OpNodeQueryvols(OpCode):
  """List the logical volumes on nodes."""
  OP_PARAMS = [
    _POutputFields,
    _PNodes,
    ]
  OP_RESULT = ht.TListOf(ht.TAny)


class OpNodeQueryStorage(OpCode):
  """List storage units (volume groups, physical volumes, file dirs)."""
  OP_PARAMS = [
    _POutputFields,
    _PStorageType,
    _PNodes,
    Param("name", None, ht.TMaybeString, "Storage unit name"),
    ]
  OP_RESULT = TOldQueryResult


class OpNodeModifyStorage(OpCode):
  """Change a storage unit (only lvm-pv "allocatable")."""
  OP_PARAMS = [
    _PNodeName,
    _PStorageType,
    _PStorageName,
    Param("changes", REQUIRED, ht.TDict, "Requested changes"),
    ]
  OP_RESULT = ht.TNone


class OpRepairNodeStorage(OpCode):
  """Repair a storage unit (only lvm-vg, fix-consistency)."""
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    _PStorageType,
    _PStorageName,
    _PIgnoreConsistency,
    ]
  OP_RESULT = ht.TNone


class OpNodeSetParams(OpCode):
  """Change a node's flags and parameters."""
  HPATH = "node-modify"
  HTYPE = constants.HTYPE_NODE
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    _PForce,
    _PHvState,
    _PDiskState,
    Param("master_candidate", None, ht.TMaybeBool,
          "Whether the node should become a master candidate"),
    Param("offline", None, ht.TMaybeBool,
          "Whether the node should be marked offline"),
    Param("drained", None, ht.TMaybeBool,
          "Whether the node should be marked drained"),
    Param("auto_promote", False, ht.TBool,
          "Whether to promote another node if the candidate pool shrinks"),
    Param("master_capable", None, ht.TMaybeBool,
          "Whether the node can become master or master candidate"),
    Param("vm_capable", None, ht.TMaybeBool,
          "Whether the node can host instances"),
    Param("secondary_ip", None, ht.TMaybeString, "New secondary IP address"),
    _PNdParams,
    Param("powered", None, ht.TMaybeBool,
          "Recorded power state of the node"),
    ]
  OP_RESULT = TSetParamsResult


class OpNodePowercycle(OpCode):
  """Power-cycle a node through its node daemon."""
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    _PForce.WithDoc("Whether to power-cycle even the master node"),
    ]
  OP_RESULT = ht.TMaybe(ht.TString)


class OpNodeMigrate(OpCode):
  """Migrate all primary instances away from a node (one job each)."""
  HPATH = "node-migrate"
  HTYPE = constants.HTYPE_NODE
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PNodeName,
    _PMigrationMode,
    _PMigrationLive,
    _PMigrationTargetNode,
    _PAllowRuntimeChgs,
    _PIgnoreIpolicy,
    _PIAllocator,
    ]
  OP_RESULT = TJobIdListOnly


class OpNodeEvacuate(OpCode):
  """Move instances off a node (primary, secondary or both)."""
  OP_DSC_FIELD = "node_name"
  OP_PARAMS = [
    _PEarlyRelease,
    _PNodeName,
    _PRemoteNode.WithDoc("New secondary node (secondary-only mode)"),
    _PIAllocator.WithDoc("Iallocator choosing the new nodes"),
    _PNodeEvacMode,
    ]
  OP_RESULT = TJobIdListOnly


# Node group

class OpGroupAdd(OpCode):
  """Create a node group."""
  HPATH = "group-add"
  HTYPE = constants.HTYPE_GROUP
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    _PAllocPolicy,
    _PNdParams,
    _PDiskParams,
    _PHvState,
    _PDiskState,
    _PIpolicy.WithDoc("Group instance policy (no \"std\" specs)"),
    ]
  OP_RESULT = ht.TNone


class OpGroupAssignNodes(OpCode):
  """Move nodes into a node group."""
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    _PForce.WithDoc("Whether to allow splitting mirrored instances"),
    Param("nodes", REQUIRED, TNameList, "Nodes to assign"),
    ]
  OP_RESULT = ht.TNone


class OpGroupQuery(OpCode):
  """Query node groups (legacy interface)."""
  OP_PARAMS = [
    _POutputFields,
    _PNames.WithDoc("Group names (empty for all)"),
    ]
  OP_RESULT = TOldQueryResult


class OpGroupSetParams(OpCode):
  """Change a node group's parameters."""
  HPATH = "group-modify"
  HTYPE = constants.HTYPE_GROUP
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    _PAllocPolicy,
    _PNdParams,
    _PDiskParams,
    _PHvState,
    _PDiskState,
    _PIpolicy.WithDoc("Group instance policy changes (\"default\" removes"
                      " an override)"),
    ]
  OP_RESULT = TSetParamsResult


class OpGroupRemove(OpCode):
  """Remove an empty node group."""
  HPATH = "group-remove"
  HTYPE = constants.HTYPE_GROUP
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    ]
  OP_RESULT = ht.TNone


class OpGroupRename(OpCode):
  """Rename a node group; the result is the new name."""
  HPATH = "group-rename"
  HTYPE = constants.HTYPE_GROUP
  OP_PARAMS = [
    _PGroupName,
    Param("new_name", REQUIRED, ht.TNonEmptyString, "New group name"),
    ]
  OP_RESULT = ht.TNonEmptyString


class OpGroupEvacuate(OpCode):
  """Move all instances out of a node group (jobs per move)."""
  HPATH = "group-evacuate"
  HTYPE = constants.HTYPE_GROUP
  OP_DSC_FIELD = "group_name"
  OP_PARAMS = [
    _PGroupName,
    _PEarlyRelease,
    _PIAllocator,
    _PTargetGroups,
    ]
  OP_RESULT = TJobIdListOnly


# Operating systems

class OpOsDiagnose(OpCode):
  """List operating systems (legacy interface)."""
  OP_PARAMS = [
    _POutputFields,
    _PNames.WithDoc("OS names (empty for all)"),
    ]
  OP_RESULT = TOldQueryResult


# Tags

class OpTagsGet(OpCode):
  """Return the tags of an object."""
  OP_DSC_FIELD = "name"
  OP_PARAMS = [
    _PTagKind,
    _PUseLocking.WithDefault(True),
    _PTagName,
    ]
  OP_RESULT = ht.TListOf(ht.TNonEmptyString)


class OpTagsSearch(OpCode):
  """Find tags matching a regular expression, on all objects."""
  OP_DSC_FIELD = "pattern"
  OP_PARAMS = [
    Param("pattern", REQUIRED, ht.TNonEmptyString,
          "Regular expression searched in the tags"),
    ]
  OP_RESULT = ht.TListOf(ht.TAnd(ht.TIsLength(2),
                                 ht.TItems([ht.TNonEmptyString,
                                            ht.TNonEmptyString])))


class OpTagsSet(OpCode):
  """Add tags to an object."""
  OP_PARAMS = [
    _PTagKind,
    _PTags,
    _PTagName,
    ]
  OP_RESULT = ht.TNone


class OpTagsDel(OpCode):
  """Remove tags from an object (all must exist)."""
  OP_PARAMS = [
    _PTagKind,
    _PTags,
    _PTagName,
    ]
  OP_RESULT = ht.TNone


# Test and debugging

class OpTestDelay(OpCode):
  """Sleep on the master and/or nodes; negative durations fail.

  Used to test locking and the job queue.

  """
  OP_DSC_FIELD = "duration"
  OP_PARAMS = [
    Param("duration", REQUIRED, ht.TNumber, "Duration in seconds"),
    Param("on_master", True, ht.TBool, "Whether to sleep on the master"),
    Param("on_nodes", [], TNameList,
          "Nodes to sleep on (they are locked)"),
    Param("repeat", 0, ht.TNonNegativeInt,
          "Number of iterations (0 for a single one)"),
    ]


class OpTestAllocator(OpCode):
  """Run an iallocator, or return the input it would get."""
  REQ_BGL = True
  OP_DSC_FIELD = "allocator"
  OP_PARAMS = [
    Param("direction", REQUIRED,
          ht.TElemOf(constants.VALID_IALLOCATOR_DIRECTIONS),
          "\"in\": return the allocator input; \"out\": run the allocator"),
    Param("mode", REQUIRED, ht.TElemOf(constants.VALID_IALLOCATOR_MODES),
          "Iallocator request mode"),
    Param("name", REQUIRED, ht.TNonEmptyString, "Instance name"),
    Param("nics", REQUIRED,
          ht.TMaybeListOf(ht.TDictOf(ht.TElemOf(["mac", "ip", "bridge"]),
                                     ht.TMaybeString)),
          "NICs of the instance"),
    Param("disks", REQUIRED, ht.TMaybe(ht.TList),
          "Disks of the instance: [{\"size\": MiB, \"mode\"}]"),
    Param("hypervisor", None, ht.TMaybeString, "Hypervisor"),
    Param("allocator", None, ht.TMaybeString, "Iallocator to run"),
    Param("tags", [], TTagList, "Instance tags"),
    Param("memory", None, ht.TMaybe(ht.TNonNegativeInt), "Memory (MiB)"),
    Param("vcpus", None, ht.TMaybe(ht.TNonNegativeInt), "Virtual CPUs"),
    Param("os", None, ht.TMaybeString, "Operating system"),
    Param("disk_template", None, ht.TMaybeString, "Disk template"),
    Param("instances", None, ht.TMaybeListOf(ht.TNonEmptyString),
          "Instances (change-group and node-evacuate modes)"),
    Param("evac_mode", None,
          ht.TMaybe(ht.TElemOf(constants.NODE_EVAC_MODES)),
          "Evacuation mode (node-evacuate mode)"),
    Param("target_groups", None, ht.TMaybeListOf(ht.TNonEmptyString),
          "Target groups (change-group mode)"),
    Param("spindle_use", 1, ht.TNonNegativeInt, "Spindles used"),
    ]


class OpTestJqueue(OpCode):
  """Exercise the job queue: notifications, log messages, failure."""
  OP_PARAMS = [
    Param("notify_waitlock", False, ht.TBool,
          "Notify the test client while waiting for locks"),
    Param("notify_exec", False, ht.TBool,
          "Notify the test client when executing"),
    Param("log_messages", [], ht.TListOf(ht.TString),
          "Messages to log"),
    Param("fail", False, ht.TBool, "Whether to fail"),
    ]


class OpTestDummy(OpCode):
  """Opcode for unit tests of the job queue; never executed by the master."""
  WITH_LU = False
  OP_PARAMS = [
    Param("result", REQUIRED, ht.TAny, "Result to report"),
    Param("messages", REQUIRED, ht.TAny, "Messages to log"),
    Param("fail", REQUIRED, ht.TAny, "Whether to fail"),
    Param("submit_jobs", None, ht.TAny, "Jobs to submit"),
    ]


def _GetOpList():
  """Every concrete opcode class of the catalogue (here and split off)."""
  modules = (__name__, opcodes_instance.__name__)
  return [value for value in globals().values()
          if (isinstance(value, type) and issubclass(value, OpCode) and
              value is not OpCode and value.__module__ in modules)]


#: OP_ID -> opcode class, for every opcode of the catalogue
OP_MAPPING = dict(RegisterOpcodes(_GetOpList()))

#: Alias used by Ganeti's client code
LoadOpCode = OpCode.LoadOpCode
