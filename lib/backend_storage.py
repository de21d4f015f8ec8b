"""Storage units of the node backend (2.1 design): list, modify, repair.

Layer 3 (node side).  The storage units of a node are its LVM physical
volumes (``lvm-pv``), its LVM volume groups (``lvm-vg``) and its file
storage directories (``file``).  `StorageList` reports the fields
name/size/used/free/allocatable of the units of one type (sizes in MiB);
`StorageModify` changes the one modifiable field (a physical volume's
allocatable flag, through ``pvchange -x``); `StorageExecute` runs the one
repair operation (``fix-consistency`` of a volume group, which is
``vgreduce --removemissing``).  `NodeVolumes` lists logical volumes with
the physical device they live on (``gnt-node volumes``).

The reporting tools and their parsers are those of backend_lvm; this module
only adds the commands that change LVM metadata.  It must not import
master-side modules and creates or removes no volumes.
"""

import os
from typing import Any, Dict, List, Optional, Sequence

from ganeti import constants
from ganeti import errors
from ganeti import utils
from ganeti import vcluster
from ganeti import backend_lvm
from ganeti.storage import lvm
from ganeti.backend_base import Fail


#: Fields a node reports per storage type (node and type are the master's)
_NODE_FIELDS = frozenset([constants.SF_NAME, constants.SF_SIZE,
                          constants.SF_USED, constants.SF_FREE,
                          constants.SF_ALLOCATABLE])


def _CheckFields(fields: Sequence[str]) -> List[str]:
  if not isinstance(fields, (list, tuple)):
    Fail("Invalid storage field list %r", fields)
  unknown = [name for name in fields if name not in _NODE_FIELDS]
  if unknown:
    Fail("Unknown storage field(s) %s (known here: %s)",
         ", ".join(map(str, unknown)), ", ".join(sorted(_NODE_FIELDS)))
  return list(fields)


def _ListPvs() -> List[Dict[str, Any]]:
  output = backend_lvm._RunLvmTool(  # pylint: disable=W0212
    ["pvs"] + backend_lvm._COMMON_OPTS +  # pylint: disable=W0212
    ["-o", "pv_name,vg_name,pv_size,pv_free,pv_attr"], "physical volumes")
  units = []
  for (pv_name, _, size, free, attr) in \
      backend_lvm._Parse(backend_lvm.ParsePvsOutput,  # pylint: disable=W0212
                         output, "physical volumes"):
    units.append({
      constants.SF_NAME: pv_name,
      constants.SF_SIZE: size,
      constants.SF_USED: size - free,
      constants.SF_FREE: free,
      constants.SF_ALLOCATABLE: attr.startswith("a"),
      })
  return units


def _ListVgs() -> List[Dict[str, Any]]:
  units = []
  for (name, (size, free)) in sorted(backend_lvm.ListVolumeGroups().items()):
    units.append({
      constants.SF_NAME: name,
      constants.SF_SIZE: size,
      constants.SF_USED: size - free,
      constants.SF_FREE: free,
      # a volume group as a whole is always usable for allocations
      constants.SF_ALLOCATABLE: True,
      })
  return units


def _NodePath(path: str) -> str:
  """A cluster-wide directory name as this node's own directory."""
  if vcluster.IsVirtualCluster():
    return vcluster.AddNodePrefix(path)
  return path


def _ListFileDirs(paths: Sequence[str]) -> List[Dict[str, Any]]:
  if not isinstance(paths, (list, tuple)) or \
      not all(isinstance(p, str) and os.path.isabs(p) for p in paths):
    Fail("Invalid file storage directory list %r", paths)
  units = []
  for path in paths:
    local = _NodePath(path)
    try:
      stat = os.statvfs(local)
    except OSError as err:
      Fail("Cannot get the size of file storage directory '%s': %s", path,
           err.strerror or err)
    size = stat.f_blocks * stat.f_frsize // (1024 * 1024)
    free = stat.f_bavail * stat.f_frsize // (1024 * 1024)
    units.append({
      constants.SF_NAME: path,
      constants.SF_SIZE: size,
      constants.SF_USED: size - free,
      constants.SF_FREE: free,
      constants.SF_ALLOCATABLE: True,
      })
  return units


def StorageList(storage_type: str, args: Sequence[Any], name: Optional[str],
                fields: Sequence[str]) -> List[List[Any]]:
  """The storage units of one type on this node (storage_list call).

  @param args: for ``file``, the file storage directories (cluster paths);
      ignored for the LVM types
  @param name: only this unit, or None for all of them
  @param fields: wanted fields among name, size, used, free, allocatable
  @return: one row per unit (values in ``fields`` order), sorted by name
  @raise RPCFail: unknown type or field, LVM tools failing, missing directory

  """
  fields = _CheckFields(fields)
  if storage_type == constants.ST_LVM_PV:
    units = _ListPvs()
  elif storage_type == constants.ST_LVM_VG:
    units = _ListVgs()
  elif storage_type == constants.ST_FILE:
    units = _ListFileDirs(args)
  else:
    Fail("Unknown storage type '%s' (known: %s)", storage_type,
         ", ".join(sorted(constants.VALID_STORAGE_TYPES)))
  if name is not None:
    units = [unit for unit in units if unit[constants.SF_NAME] == name]
  units.sort(key=lambda unit: utils.NiceSortKey(unit[constants.SF_NAME]))
  return [[unit[field] for field in fields] for unit in units]


def _RunLvmChange(args: List[str], what: str) -> None:
  result = utils.RunCmd(args, env=backend_lvm._LVM_ENV)  # pylint: disable=W0212
  if result.failed:
    Fail("%s failed: '%s' (%s): %s", what, result.cmd, result.fail_reason,
         result.output.strip())


def StorageModify(storage_type: str, args: Sequence[Any], name: str,
                  changes: Dict[str, Any]) -> None:
  """Changes a storage unit (storage_modify call).

  Only the ``allocatable`` flag of an ``lvm-pv`` can change.

  @raise RPCFail: the type or a field cannot be changed, pvchange failed

  """
  modifiable = constants.MODIFIABLE_STORAGE_FIELDS.get(storage_type,
                                                       frozenset())
  if not isinstance(changes, dict):
    Fail("Invalid changes %r: expected a dict", changes)
  refused = sorted(set(changes) - modifiable)
  if refused:
    Fail("Storage units of type '%s' cannot change field(s) %s", storage_type,
         ", ".join(refused))
  if not name or not isinstance(name, str):
    Fail("Invalid storage unit name %r", name)
  if constants.SF_ALLOCATABLE in changes:
    value = changes[constants.SF_ALLOCATABLE]
    if not isinstance(value, bool):
      Fail("Invalid value %r for allocatable: expected a boolean", value)
    _RunLvmChange(["pvchange", "--allocatable", "y" if value else "n", name],
                  "Changing the allocatable flag of physical volume %s" %
                  name)


def StorageExecute(storage_type: str, args: Sequence[Any], name: str,
                   op: str) -> None:
  """Runs a repair operation on a storage unit (storage_execute call).

  ``fix-consistency`` of an ``lvm-vg`` drops missing physical volumes from
  the group's metadata (forcing it when LVM keeps partial volumes), then
  checks that LVM sees the group whole again.

  @raise RPCFail: the operation is not valid for the type, or it failed

  """
  valid = constants.VALID_STORAGE_OPERATIONS.get(storage_type, frozenset())
  if op not in valid:
    Fail("Operation '%s' is not supported on storage units of type '%s'"
         " (supported: %s)", op, storage_type,
         ", ".join(sorted(valid)) or "none")
  if not name or not isinstance(name, str):
    Fail("Invalid storage unit name %r", name)
  try:
    lvm.RemoveMissingPVs(name)
  except errors.BlockDeviceError as err:
    Fail("Removing missing physical volumes from volume group %s failed:"
         " %s", name, err)


def ParseLvDevicesOutput(output: str) -> List[Dict[str, Any]]:
  """Parses ``lvs -o lv_name,lv_size,vg_name,devices`` output.

  A volume made of several segments has one line per segment; each device
  loses its ``(first extent)`` suffix.

  @return: list of dicts with name, size (MiB), vg and dev
  @raise ValueError: a size is not a number

  """
  result = []
  for (line, (lv_name, size, vg_name, devices)) in \
      lvm.SplitLines(output, 4, "lvs"):
    mib = lvm.ParseMiB(size, line)
    for device in devices.split(","):
      dev = device.split("(", 1)[0].strip()
      if dev:
        result.append({"name": lv_name, "size": mib, "vg": vg_name,
                       "dev": dev})
  return result


def NodeVolumes() -> List[Dict[str, Any]]:
  """Every logical volume with its physical device (node_volumes call).

  @raise RPCFail: lvs missing or failing

  """
  output = backend_lvm._RunLvmTool(  # pylint: disable=W0212
    ["lvs"] + backend_lvm._COMMON_OPTS +  # pylint: disable=W0212
    ["-o", "lv_name,lv_size,vg_name,devices"], "logical volumes")
  return backend_lvm._Parse(ParseLvDevicesOutput,  # pylint: disable=W0212
                            output, "logical volumes")
