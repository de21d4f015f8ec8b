"""Configuration objects: what config.data holds, and the rules to fill them.

Layer 2 (model).  This module defines the cluster, node group, node,
instance, disk and NIC objects with the exact attribute names Ganeti 2.6
stores on disk, their conversion to and from plain dicts (the JSON form),
the upgrade of older on-disk formats, and the parameter inheritance rules
(cluster < OS < instance for hypervisor parameters, cluster < group < node
for node parameters, instance policies).  It also holds a few small wire
objects (query2, confd, import/export, consoles).

It must not do I/O, talk to nodes or daemons, take locks or decide where
configuration is written; that is the job of the node side and of
ConfigWriter.  It imports only from layer 1 (constants, errors).
"""

import configparser
import copy
import io
import socket
import time
import uuid as _uuid_mod
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ganeti import constants
from ganeti import errors

# The helper modules are re-exported: callers only ever import
# ganeti.objects, so the split stays an implementation detail.
from ganeti.objects_base import (  # pylint: disable=W0611
  ConfigObject, TaggableObject, FillDict)
from ganeti.objects_ipolicy import (  # pylint: disable=W0611
  FillIPolicy, MakeEmptyIPolicy, CreateIPolicyFromOpts, InstancePolicy)
from ganeti.objects_wire import (  # pylint: disable=W0611
  BlockDevStatus, ImportExportStatus, ImportExportOptions, InstanceConsole,
  MigrationStatus, QueryFieldDefinition, QueryRequest, QueryResponse,
  QueryFieldsRequest, QueryFieldsResponse, ConfdRequest, ConfdReply,
  MasterNetworkParameters)

_TIMESTAMPS = ["ctime", "mtime"]
_UUID = ["uuid"]

# The length of a netmask when the cluster's primary IP family is known but
# no netmask was ever recorded (configurations older than 2.6).
_FAMILY_NETMASK = {
  socket.AF_INET: 32,
  socket.AF_INET6: 128,
  }


def _NewUUID() -> str:
  return str(_uuid_mod.uuid4())


def _EnsureIdentity(obj: ConfigObject) -> None:
  """Give an object loaded from an old configuration a uuid and serial.

  Configurations written before 2.2 lack the uuid; 2.6 tools refer to
  groups and nodes by it, so an object never leaves an upgrade without one.

  """
  if not obj.uuid:
    obj.uuid = _NewUUID()
  if obj.serial_no is None:
    obj.serial_no = 1


def FillDiskParams(default_dparams: Dict[str, Dict[str, Any]],
                   custom_dparams: Optional[Dict[str, Dict[str, Any]]],
                   skip_keys: Optional[Iterable[str]] = None
                   ) -> Dict[str, Dict[str, Any]]:
  """Fill per-disk-template parameters, one template at a time.

  The result has an entry for every known disk template.  Custom entries
  for templates Ganeti does not know are refused, since they can only be
  typos that would otherwise be dropped silently.

  """
  if custom_dparams is None:
    custom_dparams = {}
  for (name, value) in (("default", default_dparams),
                        ("custom", custom_dparams)):
    if not isinstance(value, dict):
      raise errors.ConfigurationError("The %s disk parameters must be a dict,"
                                      " got %s" % (name, type(value).__name__))
  unknown = sorted(set(custom_dparams) - set(constants.DISK_TEMPLATES))
  if unknown:
    raise errors.ConfigurationError("Disk parameters given for unknown disk"
                                    " template(s): %s" % ", ".join(unknown))
  return dict((dt, FillDict(default_dparams.get(dt, {}),
                            custom_dparams.get(dt, {}), skip_keys=skip_keys))
              for dt in constants.DISK_TEMPLATES)


def UpgradeGroupedParams(target: Optional[Dict[str, Dict[str, Any]]],
                         defaults: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
  """Fill every group of a grouped parameter dict (beparams, nicparams).

  A missing dict becomes one with only the default group; a dict without
  the default group gets it, since Fill* look the defaults up there.

  """
  if target is None:
    target = {}
  if not isinstance(target, dict):
    raise errors.ConfigurationError("Grouped parameters must be a dict, got"
                                    " %s" % type(target).__name__)
  for group in list(target):
    target[group] = FillDict(defaults, target[group])
  if constants.PP_DEFAULT not in target:
    target[constants.PP_DEFAULT] = copy.deepcopy(defaults)
  return target


def UpgradeBeParams(target: Optional[Dict[str, Any]]) -> None:
  """Replace the pre-2.6 backend parameter "memory" by maxmem and minmem.

  Works in place; both new values take the old memory size, which is what
  an instance had reserved before the two limits existed.

  """
  if target is None:
    return
  if not isinstance(target, dict):
    raise errors.ConfigurationError("Backend parameters must be a dict, got"
                                    " %s" % type(target).__name__)
  if constants.BE_MEMORY in target:
    memory = target.pop(constants.BE_MEMORY)
    target[constants.BE_MAXMEM] = memory
    target[constants.BE_MINMEM] = memory


def UpgradeDiskParams(diskparams: Optional[Dict[str, Dict[str, Any]]]
                      ) -> Dict[str, Dict[str, Any]]:
  """Complete the cluster disk parameters from the built-in defaults."""
  return FillDiskParams(constants.DISK_DT_DEFAULTS, diskparams or {})


def UpgradeNDParams(ndparams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
  """Complete the cluster node parameters from the built-in defaults."""
  return FillDict(constants.NDC_DEFAULTS, ndparams or {})


def _ListOf(owner: str, attr: str, source: Any, e_type) -> List[Any]:
  """Turn a list of dicts into a list of objects of e_type."""
  if source is None:
    return []
  if not isinstance(source, (list, tuple)):
    raise errors.ConfigurationError("%s.%s must be a list, got %s" %
                                    (owner, attr, type(source).__name__))
  return [e_type.FromDict(item) for item in source]


def _DictOf(owner: str, attr: str, source: Any, e_type) -> Dict[str, Any]:
  """Turn a dict of dicts into a dict of objects of e_type."""
  if source is None:
    return {}
  if not isinstance(source, dict):
    raise errors.ConfigurationError("%s.%s must be a dict, got %s" %
                                    (owner, attr, type(source).__name__))
  return dict((key, e_type.FromDict(item)) for (key, item) in source.items())


class ConfigData(ConfigObject):
  """The whole configuration file: cluster, nodes, groups and instances."""
  __slots__ = ["version", "cluster", "nodes", "nodegroups", "instances",
               "serial_no"] + _TIMESTAMPS

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    if obj.cluster is not None:
      obj.cluster = Cluster.FromDict(obj.cluster)
    obj.nodes = _DictOf("ConfigData", "nodes", obj.nodes, Node)
    obj.instances = _DictOf("ConfigData", "instances", obj.instances, Instance)
    obj.nodegroups = _DictOf("ConfigData", "nodegroups", obj.nodegroups,
                             NodeGroup)
    return obj

  def HasAnyDiskOfType(self, dev_type: str) -> bool:
    """Whether any instance has a disk of dev_type anywhere in its trees."""
    for instance in (self.instances or {}).values():
      for disk in instance.disks or []:
        if disk.IsBasedOnDiskType(dev_type):
          return True
    return False

  def UpgradeConfig(self):
    if self.cluster is None:
      raise errors.ConfigurationError("Configuration data has no cluster"
                                      " section")
    self.cluster.UpgradeConfig()
    for attr in ("nodes", "instances", "nodegroups"):
      if getattr(self, attr) is None:
        setattr(self, attr, {})
    for node in self.nodes.values():
      node.UpgradeConfig()
    for instance in self.instances.values():
      instance.UpgradeConfig()
    for nodegroup in self.nodegroups.values():
      nodegroup.UpgradeConfig()
    if self.serial_no is None:
      self.serial_no = 1
    # The DRBD usermode helper became a cluster setting in 2.4; clusters
    # that already use DRBD had Ganeti's built-in helper, others none.
    if self.cluster.drbd_usermode_helper is None:
      if self.HasAnyDiskOfType(constants.LD_DRBD8):
        self.cluster.drbd_usermode_helper = constants.DEFAULT_DRBD_HELPER


class NIC(ConfigObject):
  """A network interface of an instance."""
  __slots__ = ["mac", "ip", "nicparams"]

  @classmethod
  def CheckParameterSyntax(cls, nicparams: Dict[str, Any]) -> None:
    """Check filled NIC parameters.

    @raise errors.ConfigurationError: unknown mode, or a bridged NIC
        without a link (bridge) name

    """
    if not isinstance(nicparams, dict):
      raise errors.ConfigurationError("NIC parameters must be a dict, got %s"
                                      % type(nicparams).__name__)
    for key in (constants.NIC_MODE, constants.NIC_LINK):
      if key not in nicparams:
        raise errors.ConfigurationError("NIC parameters lack the '%s' key" %
                                        key)
    mode = nicparams[constants.NIC_MODE]
    if mode not in constants.NIC_VALID_MODES:
      raise errors.ConfigurationError("Invalid NIC mode '%s', expected one"
                                      " of %s" %
                                      (mode, ", ".join(
                                        sorted(constants.NIC_VALID_MODES))))
    if (mode == constants.NIC_MODE_BRIDGED and
        not nicparams[constants.NIC_LINK]):
      raise errors.ConfigurationError("Missing bridged NIC link: NIC mode"
                                      " 'bridged' needs a bridge name")

  def UpgradeConfig(self):
    if self.nicparams is None:
      self.nicparams = {}


# Disk types whose logical_id names a (volume group, volume) or
# (driver, path) pair; DRBD's has six parts, described on Disk.
_LEAF_DISK_TYPES = (constants.LD_LV, constants.LD_FILE, constants.LD_BLOCKDEV,
                    constants.LD_RBD)
_DRBD_ID_LEN = 6


class Disk(ConfigObject):
  """A block device, possibly built from child devices (DRBD over LVs).

  logical_id is the device's identity in the configuration: (vg, lv) for
  LVs, (pnode, snode, port, pminor, sminor, secret) for DRBD, (driver,
  path) for files and block devices.  physical_id is the same seen from
  one node (for DRBD: local ip and port, remote ip and port, minor,
  secret); it is computed by SetPhysicalID before a disk goes to a node.

  """
  __slots__ = ["dev_type", "logical_id", "physical_id", "children", "iv_name",
               "size", "mode", "params"]

  def CreateOnSecondary(self) -> bool:
    """Whether this device has to be created on secondary nodes too."""
    return self.dev_type in (constants.LD_DRBD8, constants.LD_LV)

  def AssembleOnSecondary(self) -> bool:
    """Whether this device has to be assembled on secondary nodes too."""
    return self.dev_type in (constants.LD_DRBD8, constants.LD_LV)

  def OpenOnSecondary(self) -> bool:
    """Whether this device is opened (not only assembled) on secondaries."""
    return self.dev_type in (constants.LD_LV,)

  def StaticDevPath(self) -> Optional[str]:
    """The device path if it can be known without asking the node."""
    if self.dev_type in (constants.LD_FILE, constants.LD_BLOCKDEV):
      return self.logical_id[1]
    if self.dev_type == constants.LD_LV:
      return "/dev/%s/%s" % (self.logical_id[0], self.logical_id[1])
    return None

  def ChildrenNeeded(self) -> int:
    """How many children must work for the device to work (-1: all)."""
    # DRBD runs diskless when both backing volumes are gone.
    if self.dev_type == constants.LD_DRBD8:
      return 0
    return -1

  def IsBasedOnDiskType(self, dev_type: str) -> bool:
    """Whether this device or any of its descendants is of dev_type."""
    for child in self.children or []:
      if child.IsBasedOnDiskType(dev_type):
        return True
    return self.dev_type == dev_type

  def GetNodes(self, node: str) -> List[str]:
    """The nodes this device lives on, given the node of its parent."""
    if self.dev_type in _LEAF_DISK_TYPES:
      return [node]
    if self.dev_type in constants.LDS_DRBD:
      result = [self.logical_id[0], self.logical_id[1]]
      if node not in result:
        raise errors.ConfigurationError("DRBD device %s is not on node %s"
                                        " (its nodes are %s and %s)" %
                                        (self.iv_name, node, result[0],
                                         result[1]))
      return result
    raise errors.ProgrammerError("Unhandled device type '%s'" %
                                 (self.dev_type,))

  def ComputeNodeTree(self, parent_node: str) -> List[Tuple[str, "Disk"]]:
    """List (node, disk) for the device tree, the node each part lives on.

    A child that sits on the same nodes as its parent is covered by the
    parent's entries and not listed; only descendants on other nodes are
    (which for Ganeti's templates means: DRBD lists itself on both nodes).

    """
    my_nodes = self.GetNodes(parent_node)
    result = [(node, self) for node in my_nodes]
    if not self.children:
      return result
    for node in my_nodes:
      for child in self.children:
        child_result = child.ComputeNodeTree(node)
        if len(child_result) == 1:
          continue
        for (subnode, subdisk) in child_result:
          if subnode not in my_nodes:
            result.append((subnode, subdisk))
    return result

  def ComputeGrowth(self, amount: int) -> Dict[str, int]:
    """Space needed per volume group to grow this device by amount MiB."""
    if self.dev_type == constants.LD_LV:
      return {self.logical_id[0]: amount}
    if self.dev_type == constants.LD_DRBD8:
      if self.children:
        return self.children[0].ComputeGrowth(amount)
      return {}
    return {}

  def RecordGrow(self, amount: int) -> None:
    """Record a growth of the device (and its data child) in the config."""
    if self.dev_type in (constants.LD_LV, constants.LD_FILE,
                         constants.LD_RBD):
      self.size += amount
    elif self.dev_type == constants.LD_DRBD8:
      if self.children:
        self.children[0].RecordGrow(amount)
      self.size += amount
    else:
      raise errors.ProgrammerError("Disk.RecordGrow called for unsupported"
                                   " device type '%s'" % (self.dev_type,))

  def UnsetSize(self) -> None:
    """Set the size of the device tree to zero (for size re-detection)."""
    for child in self.children or []:
      child.UnsetSize()
    self.size = 0

  def SetPhysicalID(self, target_node: str, nodes_ip: Dict[str, str]) -> None:
    """Compute physical_id for the whole tree as seen from target_node.

    nodes_ip maps node names to the IP used for replication (secondary IP).

    """
    for child in self.children or []:
      child.SetPhysicalID(target_node, nodes_ip)
    if self.logical_id is None and self.physical_id is not None:
      return
    if self.dev_type in constants.LDS_DRBD:
      (pnode, snode, port, pminor, sminor, secret) = self.logical_id
      if target_node not in (pnode, snode):
        raise errors.ConfigurationError("DRBD device %s does not live on node"
                                        " %s (only on %s and %s)" %
                                        (self, target_node, pnode, snode))
      pnode_ip = nodes_ip.get(pnode)
      snode_ip = nodes_ip.get(snode)
      if pnode_ip is None or snode_ip is None:
        raise errors.ConfigurationError("Cannot find the IP of node %s or %s"
                                        " for %s" % (pnode, snode, self))
      if target_node == pnode:
        self.physical_id = (pnode_ip, port, snode_ip, port, pminor, secret)
      else:
        self.physical_id = (snode_ip, port, pnode_ip, port, sminor, secret)
    else:
      self.physical_id = self.logical_id

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    if obj.children is not None:
      obj.children = _ListOf("Disk", "children", obj.children, Disk)
    for attr in ("logical_id", "physical_id"):
      value = getattr(obj, attr)
      if value is None:
        continue
      if not isinstance(value, (list, tuple)):
        raise errors.ConfigurationError("Disk.%s must be a list, got %s" %
                                        (attr, type(value).__name__))
      setattr(obj, attr, tuple(value))
    # DRBD ids from before the shared secret existed have five parts.
    if (obj.dev_type in constants.LDS_DRBD and obj.logical_id is not None and
        len(obj.logical_id) < _DRBD_ID_LEN):
      obj.logical_id += (None,) * (_DRBD_ID_LEN - len(obj.logical_id))
    return obj

  def __str__(self):
    # Malformed ids fall through to the generic form: __str__ is used in
    # error messages about exactly such disks.
    lid = self.logical_id
    if self.dev_type == constants.LD_LV and lid and len(lid) == 2:
      val = "<LogicalVolume(/dev/%s/%s" % tuple(lid)
    elif (self.dev_type in constants.LDS_DRBD and lid and
          len(lid) == _DRBD_ID_LEN):
      (node_a, node_b, port, minor_a, minor_b) = self.logical_id[:5]
      if self.physical_id is None:
        phy = "unconfigured"
      elif len(self.physical_id) >= 4:
        phy = "configured as %s:%s %s:%s" % tuple(self.physical_id[:4])
      else:
        phy = "configured as %s" % (self.physical_id,)
      val = ("<DRBD8(hosts=%s/%s-%s/%s, port=%s, %s, " %
             (node_a, minor_a, node_b, minor_b, port, phy))
      if self.children and len(self.children) == 2:
        val += "backend=%s, metadev=%s" % (self.children[0], self.children[1])
      else:
        val += "no local storage"
    else:
      val = ("<Disk(type=%s, logical_id=%s, physical_id=%s, children=%s" %
             (self.dev_type, self.logical_id, self.physical_id,
              self.children))
    if self.iv_name is None:
      val += ", not visible"
    else:
      val += ", visible as /dev/%s" % self.iv_name
    if isinstance(self.size, int):
      val += ", size=%dm)>" % self.size
    else:
      val += ", size='%s')>" % (self.size,)
    return val

  def Verify(self, _child=False) -> List[str]:
    """Check the device tree; return a list of problems (empty when fine).

    The access mode matters only for the disk the instance sees: the
    children of a DRBD device carry none in configurations written by
    Ganeti itself, so they are not held to it.

    """
    result = []
    name = self.iv_name or "(unnamed disk)"
    if not (_child and self.mode is None) and \
        self.mode not in constants.DISK_ACCESS_SET:
      result.append("Disk %s: access mode '%s' is invalid, expected one of %s"
                    % (name, self.mode,
                       ", ".join(sorted(constants.DISK_ACCESS_SET))))
    if self.dev_type not in constants.LOGICAL_DISK_TYPES:
      result.append("Disk %s: unknown device type '%s'" %
                    (name, self.dev_type))
    if self.dev_type in constants.LDS_DRBD:
      expected_len = _DRBD_ID_LEN
    elif self.dev_type in _LEAF_DISK_TYPES:
      expected_len = 2
    else:
      expected_len = None
    if expected_len is not None and (
        not isinstance(self.logical_id, (tuple, list)) or
        len(self.logical_id) != expected_len):
      result.append("Disk %s: logical_id %r should have %d elements" %
                    (name, self.logical_id, expected_len))
    if (not isinstance(self.size, int) or isinstance(self.size, bool) or
        self.size < 0):
      result.append("Disk %s: size %r is not a non-negative integer" %
                    (name, self.size))
    if self.dev_type in constants.LDS_DRBD and self.children:
      if len(self.children) != 2:
        result.append("Disk %s: a DRBD device needs two children (data and"
                      " metadata), it has %d" % (name, len(self.children)))
    for child in self.children or []:
      result.extend(child.Verify(_child=True))
    return result

  def UpgradeConfig(self):
    for child in self.children or []:
      child.UpgradeConfig()
    if self.mode is None:
      self.mode = constants.DISK_RDWR
    if self.params is None:
      self.params = {}


class Instance(TaggableObject):
  """A virtual machine."""
  __slots__ = ["name", "primary_node", "os", "hypervisor", "hvparams",
               "beparams", "osparams", "admin_state", "nics", "disks",
               "disk_template", "network_port", "serial_no"] + \
               _TIMESTAMPS + _UUID

  def _DiskNodes(self) -> List[str]:
    """Nodes other than the primary that hold parts of the disks, sorted."""
    found = set()

    def _Walk(device):
      if device.dev_type in constants.LDS_DRBD:
        found.update(device.logical_id[:2])
      for child in device.children or []:
        _Walk(child)

    for disk in self.disks or []:
      _Walk(disk)
    found.discard(self.primary_node)
    return sorted(found)

  @property
  def secondary_nodes(self) -> Tuple[str, ...]:
    """The secondary nodes (DRBD peers) of the instance."""
    return tuple(self._DiskNodes())

  @property
  def all_nodes(self) -> Tuple[str, ...]:
    """The primary node followed by the secondary nodes."""
    return (self.primary_node,) + tuple(self._DiskNodes())

  def MapLVsByNode(self, lvmap: Optional[Dict[str, List[str]]] = None,
                   devs: Optional[List[Disk]] = None,
                   node: Optional[str] = None) -> Dict[str, List[str]]:
    """Map each node to the "vg/lv" names the instance's disks use there.

    With lvmap given the result is added to it; the map is returned in
    either case.  devs and node default to the instance's disks and its
    primary node (they exist for the recursion into DRBD children).

    """
    if node is None:
      node = self.primary_node
    if lvmap is None:
      lvmap = {}
    lvmap.setdefault(node, [])
    if devs is None:
      devs = self.disks or []
    for dev in devs:
      if dev.dev_type == constants.LD_LV:
        lvmap[node].append("%s/%s" % (dev.logical_id[0], dev.logical_id[1]))
      elif dev.dev_type in constants.LDS_DRBD:
        if dev.children:
          self.MapLVsByNode(lvmap, dev.children, dev.logical_id[0])
          self.MapLVsByNode(lvmap, dev.children, dev.logical_id[1])
      elif dev.children:
        self.MapLVsByNode(lvmap, dev.children, node)
    return lvmap

  def FindDisk(self, idx) -> Disk:
    """Return the disk with index idx (an int or int-like string).

    @raise errors.OpPrereqError: idx is not a valid index for this instance

    """
    disks = self.disks or []
    if isinstance(idx, bool):
      raise errors.OpPrereqError("Invalid disk index: %r is not an integer"
                                 % (idx,), errors.ECODE_INVAL)
    try:
      number = int(idx)
    except (TypeError, ValueError) as err:
      raise errors.OpPrereqError("Invalid disk index %r: %s" % (idx, err),
                                 errors.ECODE_INVAL)
    if not 0 <= number < len(disks):
      raise errors.OpPrereqError("Invalid disk index: %d (instance %s has"
                                 " disks 0..%d)" %
                                 (number, self.name, len(disks) - 1),
                                 errors.ECODE_INVAL)
    return disks[number]

  def ToDict(self):
    result = super().ToDict()
    # Ganeti always writes both lists, even when empty.
    for attr in ("nics", "disks"):
      result.setdefault(attr, [])
    return result

  @classmethod
  def FromDict(cls, val):
    if isinstance(val, dict) and "admin_up" in val:
      val = dict(val)
      admin_up = val.pop("admin_up")
      # Before 2.6 only a boolean "should run" flag existed.
      if "admin_state" not in val:
        if admin_up:
          val["admin_state"] = constants.ADMINST_UP
        else:
          val["admin_state"] = constants.ADMINST_DOWN
    obj = super().FromDict(val)
    obj.nics = _ListOf("Instance", "nics", obj.nics, NIC)
    obj.disks = _ListOf("Instance", "disks", obj.disks, Disk)
    return obj

  def UpgradeConfig(self):
    for nic in self.nics or []:
      nic.UpgradeConfig()
    for disk in self.disks or []:
      disk.UpgradeConfig()
    if self.nics is None:
      self.nics = []
    if self.disks is None:
      self.disks = []
    if self.hvparams is None:
      self.hvparams = {}
    # Cluster-global hypervisor parameters (design 2.1) cannot be set per
    # instance; old configurations may still carry them.
    for key in constants.HVC_GLOBALS:
      self.hvparams.pop(key, None)
    if self.osparams is None:
      self.osparams = {}
    if self.beparams is None:
      self.beparams = {}
    UpgradeBeParams(self.beparams)
    if self.admin_state is None:
      self.admin_state = constants.ADMINST_DOWN
    _EnsureIdentity(self)


class OS(ConfigObject):
  """An operating system definition as found on a node.

  Names may carry a variant after "+" ("debootstrap+default").

  """
  __slots__ = ["name", "path", "api_versions", "create_script",
               "export_script", "import_script", "rename_script",
               "verify_script", "supported_variants", "supported_parameters",
               "status"]

  VARIANT_DELIM = "+"

  @classmethod
  def SplitNameVariant(cls, name: str) -> List[str]:
    """Split "os+variant" into [os, variant] (variant "" when absent)."""
    if not isinstance(name, str):
      raise errors.ProgrammerError("OS name must be a string, got %r" %
                                   (name,))
    parts = name.split(cls.VARIANT_DELIM, 1)
    if len(parts) == 1:
      parts.append("")
    return parts

  @classmethod
  def GetName(cls, name: str) -> str:
    """The OS part of an "os+variant" name."""
    return cls.SplitNameVariant(name)[0]

  @classmethod
  def GetVariant(cls, name: str) -> str:
    """The variant part of an "os+variant" name ("" when absent)."""
    return cls.SplitNameVariant(name)[1]


class Node(TaggableObject):
  """A machine of the cluster."""
  __slots__ = ["name", "primary_ip", "secondary_ip", "serial_no",
               "master_candidate", "offline", "drained", "group",
               "master_capable", "vm_capable", "ndparams", "powered",
               "hv_state_static", "disk_state_static"] + \
               _TIMESTAMPS + _UUID

  def UpgradeConfig(self):
    # Capability flags and power state arrived after 2.3; nodes of older
    # clusters could do everything and were on.
    for attr in ("master_capable", "vm_capable", "powered"):
      if getattr(self, attr) is None:
        setattr(self, attr, True)
    for attr in ("master_candidate", "offline", "drained"):
      if getattr(self, attr) is None:
        setattr(self, attr, False)
    if self.ndparams is None:
      self.ndparams = {}
    _EnsureIdentity(self)


class NodeGroup(TaggableObject):
  """A group of nodes sharing policies and parameters.

  members (the names of the nodes in the group) is not stored; ConfigWriter
  computes it from the nodes' group attributes after loading.

  """
  __slots__ = ["name", "members", "ndparams", "diskparams", "ipolicy",
               "serial_no", "hv_state_static", "disk_state_static",
               "alloc_policy"] + _TIMESTAMPS + _UUID

  def ToDict(self):
    result = super().ToDict()
    result.pop("members", None)
    return result

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    obj.members = []
    return obj

  def Copy(self):
    clone = super().Copy()
    clone.members = list(self.members or [])
    return clone

  def UpgradeConfig(self):
    if self.ndparams is None:
      self.ndparams = {}
    if self.alloc_policy is None:
      self.alloc_policy = constants.ALLOC_POLICY_PREFERRED
    # Only mtime: inventing a creation time would be a lie.
    if self.mtime is None:
      self.mtime = time.time()
    if self.diskparams is None:
      self.diskparams = {}
    if self.ipolicy is None:
      self.ipolicy = MakeEmptyIPolicy()
    if self.members is None:
      self.members = []
    _EnsureIdentity(self)

  def FillND(self, node: Node) -> Dict[str, Any]:
    """Node parameters of node with the group's values beneath."""
    return self.SimpleFillND(node.ndparams)

  def SimpleFillND(self, ndparams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """ndparams over the group's node parameters."""
    return FillDict(self.ndparams or {}, ndparams)


class Cluster(TaggableObject):
  """The cluster-wide settings and parameter defaults."""
  __slots__ = [
    "serial_no",
    "rsahostkeypub",
    "highest_used_port",
    "tcpudp_port_pool",
    "mac_prefix",
    "volume_group_name",
    "reserved_lvs",
    "drbd_usermode_helper",
    "default_bridge",
    "default_hypervisor",
    "master_node",
    "master_ip",
    "master_netdev",
    "master_netmask",
    "use_external_mip_script",
    "cluster_name",
    "file_storage_dir",
    "shared_file_storage_dir",
    "enabled_hypervisors",
    "hvparams",
    "os_hvp",
    "beparams",
    "osparams",
    "nicparams",
    "ndparams",
    "diskparams",
    "candidate_pool_size",
    "modify_etc_hosts",
    "modify_ssh_setup",
    "maintain_node_health",
    "uid_pool",
    "default_iallocator",
    "hidden_os",
    "blacklisted_os",
    "primary_ip_family",
    "prealloc_wipe_disks",
    "ipolicy",
    "hv_state_static",
    "disk_state_static",
    ] + _TIMESTAMPS + _UUID

  def UpgradeConfig(self):
    self._UpgradeHvParams()
    if self.os_hvp is None:
      self.os_hvp = {}
    if self.osparams is None:
      self.osparams = {}
    self.ndparams = UpgradeNDParams(self.ndparams)
    self.beparams = UpgradeGroupedParams(self.beparams,
                                         constants.BEC_DEFAULTS)
    for group in self.beparams.values():
      UpgradeBeParams(group)
    # Before 2.1 the only NIC setting was the cluster's default bridge.
    migrate_default_bridge = not self.nicparams
    self.nicparams = UpgradeGroupedParams(self.nicparams,
                                          constants.NICC_DEFAULTS)
    if migrate_default_bridge and self.default_bridge:
      self.nicparams[constants.PP_DEFAULT][constants.NIC_LINK] = \
        self.default_bridge
    self.default_bridge = None
    self._UpgradeHypervisorList()
    simple_defaults = [
      ("modify_etc_hosts", True),
      ("modify_ssh_setup", True),
      ("maintain_node_health", False),
      ("default_iallocator", ""),
      ("primary_ip_family", socket.AF_INET),
      ("prealloc_wipe_disks", False),
      ("shared_file_storage_dir", ""),
      ("use_external_mip_script", False),
      ("candidate_pool_size", constants.MASTER_POOL_SIZE_DEFAULT),
      ]
    for (attr, default) in simple_defaults:
      if getattr(self, attr) is None:
        setattr(self, attr, default)
    for attr in ("uid_pool", "reserved_lvs", "hidden_os", "blacklisted_os"):
      if getattr(self, attr) is None:
        setattr(self, attr, [])
    if self.tcpudp_port_pool is None:
      self.tcpudp_port_pool = set()
    if self.master_netmask is None:
      if self.primary_ip_family not in _FAMILY_NETMASK:
        raise errors.ConfigurationError("Unknown primary IP family %r in the"
                                        " cluster configuration" %
                                        (self.primary_ip_family,))
      self.master_netmask = _FAMILY_NETMASK[self.primary_ip_family]
    self.diskparams = UpgradeDiskParams(self.diskparams)
    # Filling every time (not only when absent) also adds keys introduced
    # by later releases to an existing policy.
    self.ipolicy = FillIPolicy(constants.IPOLICY_DEFAULTS, self.ipolicy or {})
    _EnsureIdentity(self)

  def _UpgradeHvParams(self):
    if self.hvparams is None:
      self.hvparams = copy.deepcopy(constants.HVC_DEFAULTS)
      return
    if not isinstance(self.hvparams, dict):
      raise errors.ConfigurationError("Cluster hvparams must be a dict, got %s"
                                      % type(self.hvparams).__name__)
    for (hv_name, params) in self.hvparams.items():
      if hv_name not in constants.HVC_DEFAULTS:
        raise errors.ConfigurationError("Cluster hvparams name unknown"
                                        " hypervisor '%s'" % hv_name)
      self.hvparams[hv_name] = FillDict(constants.HVC_DEFAULTS[hv_name],
                                        params)

  def _UpgradeHypervisorList(self):
    if self.enabled_hypervisors is None:
      self.enabled_hypervisors = []
    # 2.0 had one default hypervisor; since 2.1 it is the first enabled one.
    if self.default_hypervisor is not None:
      self.enabled_hypervisors = (
        [self.default_hypervisor] +
        [hv for hv in self.enabled_hypervisors
         if hv != self.default_hypervisor])
      self.default_hypervisor = None
    if not self.enabled_hypervisors:
      self.enabled_hypervisors = [constants.DEFAULT_ENABLED_HYPERVISOR]

  @property
  def primary_hypervisor(self) -> str:
    """The first enabled hypervisor, the default for new instances."""
    return self.enabled_hypervisors[0]

  @classmethod
  def FromDict(cls, val):
    obj = super().FromDict(val)
    if obj.tcpudp_port_pool is not None:
      if not isinstance(obj.tcpudp_port_pool, (list, tuple, set, frozenset)):
        raise errors.ConfigurationError("Cluster.tcpudp_port_pool must be a"
                                        " list, got %s" %
                                        type(obj.tcpudp_port_pool).__name__)
      obj.tcpudp_port_pool = set(obj.tcpudp_port_pool)
    return obj

  def GetHVDefaults(self, hypervisor: str, os_name: Optional[str] = None,
                    skip_keys: Optional[Iterable[str]] = None
                    ) -> Dict[str, Any]:
    """Hypervisor parameters before instance overrides: cluster, then OS."""
    result = FillDict((self.hvparams or {}).get(hypervisor, {}), {},
                      skip_keys=skip_keys)
    if os_name is not None:
      os_hvp = (self.os_hvp or {}).get(os_name, {}).get(hypervisor, {})
      result = FillDict(result, os_hvp, skip_keys=skip_keys)
    return result

  def SimpleFillHV(self, hv_name: str, os_name: Optional[str],
                   hvparams: Optional[Dict[str, Any]],
                   skip_globals: bool = False) -> Dict[str, Any]:
    """hvparams over the OS and cluster values for hv_name.

    skip_globals drops the cluster-global parameters from the result (for
    places that show or check per-instance values).

    """
    skip_keys = constants.HVC_GLOBALS if skip_globals else None
    defaults = self.GetHVDefaults(hv_name, os_name, skip_keys=skip_keys)
    return FillDict(defaults, hvparams, skip_keys=skip_keys)

  def FillHV(self, instance: Instance,
             skip_globals: bool = False) -> Dict[str, Any]:
    """The effective hypervisor parameters of instance."""
    return self.SimpleFillHV(instance.hypervisor, instance.os,
                             instance.hvparams, skip_globals)

  def SimpleFillBE(self, beparams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """beparams over the cluster's default backend parameters."""
    return FillDict((self.beparams or {}).get(constants.PP_DEFAULT, {}),
                    beparams)

  def FillBE(self, instance: Instance) -> Dict[str, Any]:
    """The effective backend parameters of instance."""
    return self.SimpleFillBE(instance.beparams)

  def SimpleFillNIC(self, nicparams: Optional[Dict[str, Any]]
                    ) -> Dict[str, Any]:
    """nicparams over the cluster's default NIC parameters."""
    return FillDict((self.nicparams or {}).get(constants.PP_DEFAULT, {}),
                    nicparams)

  def SimpleFillOS(self, os_name: str,
                   os_params: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """os_params over the cluster's values for the variant, then the OS."""
    osparams = self.osparams or {}
    base = osparams.get(OS.GetName(os_name), {})
    with_variant = FillDict(base, osparams.get(os_name, {}))
    return FillDict(with_variant, os_params)

  def FillND(self, node: Node, nodegroup: NodeGroup) -> Dict[str, Any]:
    """The effective node parameters of node (cluster < group < node)."""
    return self.SimpleFillND(nodegroup.FillND(node))

  def SimpleFillND(self, ndparams: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """ndparams over the cluster's node parameters."""
    return FillDict(self.ndparams or {}, ndparams)

  def SimpleFillIPolicy(self, ipolicy: Optional[Dict[str, Any]]
                        ) -> Dict[str, Any]:
    """A (group) policy over the cluster's instance policy."""
    return FillIPolicy(self.ipolicy, ipolicy or {})

  def SimpleFillDP(self, diskparams: Optional[Dict[str, Dict[str, Any]]]
                   ) -> Dict[str, Dict[str, Any]]:
    """(Group) disk parameters over the cluster's, per disk template."""
    return FillDiskParams(self.diskparams or {}, diskparams)


class SerializableConfigParser(configparser.ConfigParser):
  """An INI parser that turns into and from a string.

  Used for OS variant/parameter files and export descriptions.  Values
  are raw: "%" in kernel arguments or paths must survive a round trip.

  """

  def __init__(self, *args, **kwargs):
    kwargs.setdefault("interpolation", None)
    super().__init__(*args, **kwargs)

  def Dumps(self) -> str:
    """The INI text of the parser's contents."""
    buf = io.StringIO()
    self.write(buf)
    return buf.getvalue()

  @classmethod
  def Loads(cls, data: str) -> "SerializableConfigParser":
    """Parse INI text.

    @raise errors.ConfigurationError: data is not a string or not valid INI

    """
    if not isinstance(data, str):
      raise errors.ConfigurationError("Cannot parse %s as INI text, expected"
                                      " a string" % type(data).__name__)
    parser = cls()
    try:
      parser.read_string(data)
    except configparser.Error as err:
      raise errors.ConfigurationError("Invalid INI data: %s" % err)
    return parser
