"""Shared opcode parameters and the type checks of structured values.

Layer 2 (model).  Parameters used by several opcodes are declared here once
(`Param` records named ``_P<Name>`` in Ganeti's tradition, exported without
the underscore as ``P<Name>`` too), together with the checks for structured
values: disk and NIC specification dicts, modification lists (current and
legacy form, plus the conversion between them), instance policies,
per-hypervisor / per-template parameter dicts, OS list edits, tags and
query filters, and the result types of the logical units.  `ganeti.opcodes`
and `ganeti.opcodes_instance` build the catalogue from these.

Only syntax is checked here; whether a node exists or a value is sensible
for the cluster is decided by the logical units.  This module must not
import anything above layer 2.
"""

from typing import Any, List

from ganeti import constants
from ganeti import errors
from ganeti import ht
from ganeti.opcodes_base import Param, REQUIRED


# Structured values

#: One disk of OP_INSTANCE_CREATE (and of disk modifications): keys from
#: IDISK_PARAMS (size, mode, adopt, vg, metavg), values non-empty string or
#: integer; sizes as strings ("2G") are coerced by the LU
TDiskParams = ht.Comment("disk parameters")(
  ht.TDictOf(ht.TElemOf(constants.IDISK_PARAMS),
             ht.TOr(ht.TNonEmptyString, ht.TInt)))

#: One NIC of OP_INSTANCE_CREATE (and of NIC modifications): keys from
#: INIC_PARAMS (mac, ip, mode, link), values non-empty string or null
TNicDef = ht.Comment("NIC parameters")(
  ht.TDictOf(ht.TElemOf(constants.INIC_PARAMS), ht.TMaybeString))


def TModificationList(item_check) -> Any:
  """Check for a disk/NIC modification list in either accepted format.

  Current: ``[[op, index, params], ...]`` with op in add/modify/remove and
  an integer index (-1 = last).  Legacy: ``[[op_or_index, params], ...]``
  with op add/remove or a non-negative index (= modify).  The first item
  decides the format and every item must follow it.

  """
  current_item = ht.TAnd(
    ht.TIsLength(3),
    ht.TItems([ht.TElemOf(constants.DDMS_VALUES_WITH_MODIFY),
               ht.Comment("index, -1 for the last")(ht.TInt),
               item_check]))
  legacy_item = ht.TAnd(ht.TIsLength(2),
                        ht.TItems([ht.TOr(ht.TElemOf(constants.DDMS_VALUES),
                                          ht.TNonNegativeInt),
                                   item_check]))
  return ht.TOr(ht.Comment("current format")(ht.TListOf(current_item)),
                ht.Comment("deprecated format")(ht.TListOf(legacy_item)))


TDiskModifications = TModificationList(TDiskParams)
TNicModifications = TModificationList(TNicDef)


def UpgradeModificationList(kind: str, mods: List[Any]) -> List[list]:
  """Convert a modification list to the current format.

  Lists already in the current format (three elements per item) are
  returned as copies; legacy lists (two elements per item) become
  ``[add, -1, p]``, ``[remove, -1, {}]`` and ``[modify, index, p]``.  In
  the legacy format at most one add or remove is allowed per list.  For
  both formats the parameters of a removal must be empty.

  @param kind: "disk" or "NIC", for messages
  @param mods: a list that passed `TModificationList`
  @raise errors.OpPrereqError: mixed formats, more than one legacy
    add/remove, or parameters given for a removal

  """
  if not mods:
    return []
  if not isinstance(mods, list):
    raise errors.OpPrereqError("%s modifications must be a list, got %r" %
                               (kind, mods), errors.ECODE_INVAL)
  legacy = len(mods[0]) == 2
  result = []
  addremove = 0
  for item in mods:
    if len(item) != (2 if legacy else 3):
      raise errors.OpPrereqError("%s modification %r does not have the"
                                 " format of the first item of the list" %
                                 (kind, item), errors.ECODE_INVAL)
    if legacy:
      op, params = item
      if op in (constants.DDM_ADD, constants.DDM_REMOVE):
        addremove += 1
        if addremove > 1:
          raise errors.OpPrereqError("Only one %s add or remove operation is"
                                     " supported at a time" % kind,
                                     errors.ECODE_INVAL)
        entry = [op, -1, params]
      else:
        entry = [constants.DDM_MODIFY, op, params]
    else:
      entry = list(item)
    if entry[0] == constants.DDM_REMOVE and entry[2]:
      raise errors.OpPrereqError("No settings should be passed when removing"
                                 " a %s, got %r" % (kind, entry[2]),
                                 errors.ECODE_INVAL)
    result.append(entry)
  return result


#: Disk indices, or [index, disk-dict] pairs, of OP_INSTANCE_RECREATE_DISKS
TRecreateDisks = ht.TOr(
  ht.Comment("deprecated: disk indices")(ht.TListOf(ht.TNonNegativeInt)),
  ht.Comment("[index, parameters] pairs")(
    ht.TListOf(ht.TAnd(ht.TIsLength(2),
                       ht.TItems([ht.TNonNegativeInt, TDiskParams])))))

#: Edits of the cluster's hidden/blacklisted OS lists: [[add|remove, os]]
TOsListEdits = ht.TMaybeListOf(
  ht.TAnd(ht.TIsLength(2),
          ht.TItems([ht.TElemOf(constants.DDMS_VALUES),
                     ht.TNonEmptyString])))

#: A value that may also be the word "default" (remove an override)
_TDefault = ht.TElemOf([constants.VALUE_DEFAULT])

# ispec values are integers once coerced; the CLI and RAPI may still send
# numeric strings or "default", which the LU converts or applies.
_TISpec = ht.Comment("instance specs")(
  ht.TOr(_TDefault,
         ht.TDictOf(ht.TElemOf(constants.ISPECS_PARAMETERS),
                    ht.TOr(ht.TInt, ht.TNonEmptyString))))

#: Instance policy dict (possibly partial): min/max/std specs, enabled disk
#: templates and the two ratios; unknown top-level keys are refused
TIPolicy = ht.Comment("instance policy")(ht.TStrictDict(False, True, {
  constants.ISPECS_MIN: _TISpec,
  constants.ISPECS_MAX: _TISpec,
  constants.ISPECS_STD: _TISpec,
  constants.IPOLICY_DTS: ht.TOr(_TDefault,
                                ht.TListOf(ht.TElemOf(
                                  constants.DISK_TEMPLATES))),
  constants.IPOLICY_VCPU_RATIO: ht.TOr(_TDefault, ht.TNumber,
                                       ht.TNonEmptyString),
  constants.IPOLICY_SPINDLE_RATIO: ht.TOr(_TDefault, ht.TNumber,
                                          ht.TNonEmptyString),
  }))

#: {hypervisor: {parameter: value}}
THvParamsPerHv = ht.TDictOf(ht.TNonEmptyString, ht.TDict)

#: {disk template: {parameter: value}}
TDiskParamsPerTemplate = ht.TDictOf(ht.TElemOf(constants.DISK_TEMPLATES),
                                    ht.TDict)

#: {os: {hypervisor: {parameter: value}}}
TOsHvp = ht.TDictOf(ht.TNonEmptyString, THvParamsPerHv)

#: Hypervisor resource state, {hypervisor: {key: value}}; values are
#: coerced to integers by the LU (the CLI sends strings)
THvState = ht.TDictOf(ht.TNonEmptyString, ht.TDict)

#: Disk resource state, {storage type: {storage id: {key: value}}}
TDiskState = ht.TDictOf(ht.TNonEmptyString,
                        ht.TDictOf(ht.TNonEmptyString, ht.TDict))

#: A query2 filter: nested lists with the operator first, or null
TQueryFilter = ht.Comment("query filter")(ht.TMaybe(ht.TList))

#: A list of tag names (content rules are enforced by the LUs)
TTagList = ht.TListOf(ht.TNonEmptyString)

#: A list of names (nodes, instances, groups, fields)
TNameList = ht.TListOf(ht.TNonEmptyString)


# Result types of the logical units

#: [[parameter, new value], ...] returned by the *SetParams LUs
TSetParamsResult = ht.TListOf(ht.TAnd(ht.TIsLength(2),
                                       ht.TItems([ht.TNonEmptyString,
                                                  ht.TAny])))

#: Rows of the legacy query opcodes
TOldQueryResult = ht.TListOf(ht.TList)

#: One field definition of a query2 result
TQueryFieldDef = ht.TStrictDict(True, True, {
  "name": ht.TNonEmptyString,
  "title": ht.TString,
  "kind": ht.TElemOf(constants.QFT_ALL),
  "doc": ht.TString,
  })

#: One [status, value] cell of a query2 row
TQueryCell = ht.TAnd(ht.TIsLength(2),
                      ht.TItems([ht.TElemOf(constants.RS_ALL), ht.TAny]))

#: Result of OP_QUERY_FIELDS
TQueryFieldsResult = ht.TStrictDict(True, True, {
  "fields": ht.TListOf(TQueryFieldDef),
  })

#: Result of OP_QUERY
TQueryResult = ht.TStrictDict(True, True, {
  "fields": ht.TListOf(TQueryFieldDef),
  "data": ht.TListOf(ht.TListOf(TQueryCell)),
  })


# Parameters shared by several opcodes

_PInstanceName = Param("instance_name", REQUIRED, ht.TNonEmptyString,
                       "Instance name")
_PNodeName = Param("node_name", REQUIRED, ht.TNonEmptyString, "Node name")
_PGroupName = Param("group_name", REQUIRED, ht.TNonEmptyString, "Group name")
_POutputFields = Param("output_fields", REQUIRED, TNameList,
                       "Selected output fields")
_PUseLocking = Param("use_locking", False, ht.TBool,
                     "Whether to use synchronization (locks)")
_PNames = Param("names", [], TNameList,
                "Names of the objects to query (empty for all)")
_PNodes = Param("nodes", [], TNameList, "Node names (empty for all)")
_PForce = Param("force", False, ht.TBool, "Whether to force the operation")
_PShutdownTimeout = Param("shutdown_timeout",
                          constants.DEFAULT_SHUTDOWN_TIMEOUT,
                          ht.TNonNegativeInt,
                          "How long to wait for the instance to shut down"
                          " (seconds)")
_PIgnoreOfflineNodes = Param("ignore_offline_nodes", False, ht.TBool,
                             "Whether to ignore offline nodes")
_PForceVariant = Param("force_variant", False, ht.TBool,
                       "Whether to force an unknown OS variant")
_PWaitForSync = Param("wait_for_sync", True, ht.TBool,
                      "Whether to wait for the disks to synchronize")
_PIgnoreConsistency = Param("ignore_consistency", False, ht.TBool,
                            "Whether to ignore disk consistency")
_PNameCheck = Param("name_check", True, ht.TBool,
                    "Whether to check the name by resolving it")
_PIpCheckDoc = "Whether to ensure the instance's IP address is inactive"
_PNoRemember = Param("no_remember", False, ht.TBool,
                     "Do not remember the state change")
_PStartupPaused = Param("startup_paused", False, ht.TBool,
                        "Pause the instance at startup")
_PEarlyRelease = Param("early_release", False, ht.TBool,
                       "Whether to release locks as soon as possible")
_PIgnoreIpolicy = Param("ignore_ipolicy", False, ht.TBool,
                        "Whether to ignore instance policy violations")
_PAllowRuntimeChgs = Param("allow_runtime_changes", True, ht.TBool,
                           "Allow runtime changes (e.g. memory ballooning)")
_PMigrationMode = Param("mode", None,
                        ht.TMaybe(ht.TElemOf(constants.HT_MIGRATION_MODES)),
                        "Migration mode (null for the hypervisor default)")
_PMigrationLive = Param("live", None, ht.TMaybeBool,
                        "Legacy setting for live migration, do not use")
_PMigrationTargetNode = Param("target_node", None, ht.TMaybeString,
                              "Target node for shared-storage instances")
_PIAllocator = Param("iallocator", None, ht.TMaybeString,
                     "Iallocator for choosing nodes")
_PRemoteNode = Param("remote_node", None, ht.TMaybeString,
                     "New secondary node")
_PTargetGroups = Param("target_groups", None, ht.TMaybeListOf(
                         ht.TNonEmptyString),
                       "Destination group names or UUIDs (null for all"
                       " other groups)")
_PNodeEvacMode = Param("mode", REQUIRED,
                       ht.TElemOf(constants.NODE_EVAC_MODES),
                       "Node evacuation mode")
_PStorageType = Param("storage_type", REQUIRED,
                      ht.TElemOf(constants.VALID_STORAGE_TYPES),
                      "Storage type")
_PStorageName = Param("name", REQUIRED, ht.TMaybeString, "Storage name")
_PQueryWhat = Param("what", REQUIRED, ht.TElemOf(constants.QR_VIA_OP),
                    "Resource(s) to query for")
_PTagKind = Param("kind", REQUIRED, ht.TElemOf(constants.VALID_TAG_TYPES),
                  "Type of the tagged object")
_PTagName = Param("name", REQUIRED, ht.TMaybeString,
                  "Name of the tagged object (ignored for the cluster)")
_PTags = Param("tags", REQUIRED, TTagList, "List of tag names")
_PInstanceTags = Param("tags", [], TTagList, "Instance tags")

# Cluster verification
_PDebugSimulateErrors = Param("debug_simulate_errors", False, ht.TBool,
                              "Whether to simulate errors (useful for"
                              " debugging)")
_PErrorCodes = Param("error_codes", False, ht.TBool,
                     "Error codes in machine-parseable form")
_PSkipChecks = Param("skip_checks", [],
                     ht.TListOf(ht.TElemOf(constants.VERIFY_OPTIONAL_CHECKS)),
                     "Optional checks to skip")
_PIgnoreErrors = Param("ignore_errors", [],
                       ht.TListOf(ht.TElemOf(
                         constants.CV_ALL_ECODES_STRINGS)),
                       "Error codes reported as warnings")
_PVerbose = Param("verbose", False, ht.TBool, "Verbose mode")
_POptGroupName = Param("group_name", None, ht.TMaybeString,
                       "Group to verify (null for all)")

# Parameter dicts
_PHvState = Param("hv_state", None, ht.TMaybe(THvState),
                  "Hypervisor resource state {hypervisor: {key: value}}")
_PDiskState = Param("disk_state", None, ht.TMaybe(TDiskState),
                    "Disk resource state {storage type: {id: {key: value}}}")
_PDiskParams = Param("diskparams", None, ht.TMaybe(TDiskParamsPerTemplate),
                     "Disk parameters per template")
_PNdParams = Param("ndparams", None, ht.TMaybeDict, "Node parameters")
_PIpolicy = Param("ipolicy", None, ht.TMaybe(TIPolicy), "Instance policy")
_PAllocPolicy = Param("alloc_policy", None,
                      ht.TMaybe(ht.TElemOf(constants.VALID_ALLOC_POLICIES)),
                      "Instance allocation policy")
_PHvParams = Param("hvparams", {}, ht.TDict, "Hypervisor parameters")
_PBeParams = Param("beparams", {}, ht.TDict, "Backend parameters")

