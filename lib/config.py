"""The cluster configuration and its only writer, ConfigWriter.

Layer 5 (master side). ConfigWriter holds ``config.data`` in memory, hands
out its objects, changes them through named methods, and saves the file
atomically with the serial number and mtime bumped on every change. It also
keeps per-job reservations (MACs, LVs, IPs, DRBD secrets, UUIDs) and the
temporary DRBD minors of instances being created.

Its lock is a leaf lock guarding memory only: under it the sole I/O is the
write of the config file itself. No RPC, no subprocess, no other lock. The
post-save hook (which distributes the file) runs after the lock is released,
with a copy of what it needs.
"""

import logging
import os
import threading
import time

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti import utils
from ganeti import config_base
from ganeti import config_nodes
from ganeti import config_ssconf
from ganeti import config_upgrade
from ganeti import config_verify
from ganeti.config_base import TemporaryReservationManager  # pylint: disable=W0611

_ConfigSync = config_base.ConfigSync


#: Execution context id used for reservations made while upgrading
_UPGRADE_CONFIG_JID = "jid-cfg-upgrade"

#: Execution context id used by InitConfig
_INITCONF_ECID = "initconfig-ecid"

#: File mode of config.data (readable by the confd group)
_CONFIG_FILE_MODE = 0o640


def _DefaultConfigFile():
  # Read at call time: pathutils honours the virtual-cluster root.
  return pathutils.CLUSTER_CONF_FILE


class ConfigWriter(config_nodes.NodeGroupMixin):
  """The cluster configuration, loaded from and saved to ``config.data``.

  Getters return the live objects (as Ganeti does): change them, then call
  L{Update}. Unknown names give None from the Get*Info methods.

  """
  def __init__(self, cfg_file=None, offline=False, _getents=None,
               accept_foreign=False, save_hook=None, _my_hostname=None):
    """Load the configuration.

    @param cfg_file: path of config.data; default pathutils.CLUSTER_CONF_FILE
    @param offline: True when used without a running cluster; the save hook
        is then not called
    @param _getents: callable returning an object with ``masterd_uid`` and
        ``confd_gid``; when given, the file's ownership is set on save
    @param accept_foreign: load a config whose master is not this host
    @param save_hook: callable(cfg_file, serial_no) run after every save
    @param _my_hostname: this host's name (default: the system's)

    """
    self._lock = threading.Lock()
    self._pending_saves = []
    self._cfg_file = cfg_file if cfg_file is not None else _DefaultConfigFile()
    self._offline = offline
    self._getents = _getents
    self._save_hook = save_hook
    self._my_hostname = _my_hostname
    self._config_data = None
    self._last_saved_text = None
    self._file_id = None
    self._accepted_errors = frozenset()
    self._temporary_ids = TemporaryReservationManager()
    self._temporary_drbds = {}
    self._temporary_macs = TemporaryReservationManager()
    self._temporary_secrets = TemporaryReservationManager()
    self._temporary_lvs = TemporaryReservationManager()
    self._temporary_ips = TemporaryReservationManager()
    self._all_rms = [self._temporary_ids, self._temporary_macs,
                     self._temporary_secrets, self._temporary_lvs,
                     self._temporary_ips]
    self.write_count = 0
    self.Load(accept_foreign=accept_foreign)

  # -- loading and saving ---------------------------------------------------

  @staticmethod
  def IsCluster():
    """Whether this node has a config file (it is part of a cluster)."""
    return os.path.exists(_DefaultConfigFile())

  def _GetMyHostname(self):
    if self._my_hostname is None:
      # netutils resolves the virtual-node name when running in a vcluster
      self._my_hostname = netutils.Hostname.GetSysName()
    return self._my_hostname

  @_ConfigSync
  def Load(self, accept_foreign=False):
    """(Re)read the config file; see L{_OpenConfig}."""
    self._OpenConfig(accept_foreign)

  def _OpenConfig(self, accept_foreign):
    """Read, check and upgrade config.data; nothing is kept on failure.

    @raise errors.ConfigurationError: unreadable, non-JSON, truncated or
        structurally wrong file, or one of another master
    @raise errors.ConfigVersionMismatch: unsupported version

    """
    filename = self._cfg_file
    try:
      raw = utils.ReadFile(filename)
      file_id = utils.GetFileID(path=filename)
    except EnvironmentError as err:
      raise errors.ConfigurationError("Cannot read configuration file %s: %s"
                                      % (filename, err))
    try:
      data_dict = serializer.LoadJson(raw)
    except errors.ParseError as err:
      raise errors.ConfigurationError("Configuration file %s is not valid"
                                      " JSON (truncated or corrupt?): %s" %
                                      (filename, err))
    config_verify.CheckConfigDict(data_dict, filename)
    needs_upgrade = config_upgrade.CheckVersion(data_dict["version"], filename)
    if needs_upgrade:
      config_upgrade.UpgradeConfigDict(data_dict)
    try:
      data = objects.ConfigData.FromDict(data_dict)
      data.UpgradeConfig()
    except (errors.GenericError, KeyError, TypeError, ValueError,
            AttributeError) as err:
      raise errors.ConfigurationError("Cannot load configuration file %s: %s"
                                      " (%s)" % (filename, err,
                                                 type(err).__name__))
    if not getattr(data.cluster, "rsahostkeypub", None):
      raise errors.ConfigurationError("Configuration file %s is incomplete:"
                                      " cluster.rsahostkeypub is missing" %
                                      filename)
    if (not accept_foreign and
        data.cluster.master_node != self._GetMyHostname()):
      raise errors.ConfigurationError(
        "Configuration file %s names node %s as master, while my hostname is"
        " %s; opening a foreign configuration needs accept_foreign" %
        (filename, data.cluster.master_node, self._GetMyHostname()))
    self._InstallLoaded(data, raw, file_id)

  def _InstallLoaded(self, data, raw, file_id):
    """Adopt a freshly parsed ConfigData, upgrading and saving if needed."""
    used_ids = self._IdsOf(data)

    def _NewUuid():
      return self._temporary_ids.Generate(used_ids, utils.NewUUID,
                                          _UPGRADE_CONFIG_JID)

    modified = config_upgrade.UpgradeConfigData(data, _NewUuid)
    self._config_data = data
    # The restore point of a refused save is the upgraded state, which an
    # old-format text could not be rebuilt into without the upgrade steps
    self._last_saved_text = raw if not modified else \
      serializer.DumpJson(data.ToDict())
    self._file_id = file_id
    self._temporary_drbds = {}
    self._accepted_errors = frozenset(self._UnlockedVerifyConfig())
    for msg in sorted(self._accepted_errors):
      logging.warning("Configuration file %s: %s", self._cfg_file, msg)
    try:
      if modified:
        self._WriteConfig()
    finally:
      self._temporary_ids.DropECReservations(_UPGRADE_CONFIG_JID)

  def _RestoreLastSaved(self):
    """Throw away unsaved in-memory changes after a refused save."""
    data = objects.ConfigData.FromDict(serializer.LoadJson(
      self._last_saved_text))
    data.UpgradeConfig()
    config_upgrade.RebuildGroupMembers(data)
    self._config_data = data

  def _WriteConfig(self, destination=None, feedback_fn=None):
    """Save the configuration atomically; caller holds the lock.

    Bumps the serial number and mtime, refuses configurations with new
    inconsistencies (memory is then reset to the last saved state), and
    queues the save hook for after the lock is released.

    @raise errors.ConfigurationError: invalid config, or the file was
        changed behind our back

    """
    if self._config_data is None:
      raise errors.ProgrammerError("Configuration not loaded, cannot save")
    if destination is None:
      destination = self._cfg_file
    data = self._config_data
    data.serial_no += 1
    data.mtime = time.time()
    data.version = constants.CONFIG_VERSION
    new_errors = [msg for msg in self._UnlockedVerifyConfig()
                  if msg not in self._accepted_errors]
    if new_errors:
      self._RestoreLastSaved()
      raise errors.ConfigurationError("Refusing to save configuration file"
                                      " %s, it would be inconsistent: %s" %
                                      (destination, "; ".join(new_errors)))
    text = serializer.DumpJson(data.ToDict())
    owner = {}
    if self._getents is not None:
      ents = self._getents()
      owner = {"uid": ents.masterd_uid, "gid": ents.confd_gid}
    known_id = self._file_id if destination == self._cfg_file else None
    try:
      fd = utils.SafeWriteFile(destination, known_id, data=text,
                               mode=_CONFIG_FILE_MODE, close=False, **owner)
    except errors.LockError as err:
      self._RestoreLastSaved()
      raise errors.ConfigurationError("Configuration file %s was modified"
                                      " since it was last read or written,"
                                      " refusing to overwrite it: %s" %
                                      (destination, err))
    try:
      new_id = utils.GetFileID(fd=fd)
    finally:
      os.close(fd)
    if destination == self._cfg_file:
      self._file_id = new_id
      self._last_saved_text = text
    self.write_count += 1
    if feedback_fn is not None and self._accepted_errors:
      feedback_fn("Configuration has known inconsistencies: %s" %
                  "; ".join(sorted(self._accepted_errors)))
    self._accepted_errors = frozenset(
      msg for msg in self._accepted_errors
      if msg in self._UnlockedVerifyConfig())
    if not self._offline:
      self._pending_saves.append((destination, data.serial_no))

  def _RunSaveHook(self, pending):
    """Call the save hook for each queued save; we hold no lock here."""
    hook = self._save_hook
    if hook is None:
      return
    for filename, serial in pending:
      try:
        hook(filename, serial)
      except Exception: # pylint: disable=W0703
        # The file is saved; a failed distribution must not undo the caller's
        # change, so it is logged for the administrator (redist-conf fixes it)
        logging.exception("Save hook for %s (serial %s) failed",
                          filename, serial)

  def SetSaveHook(self, hook):
    """Set the callable(cfg_file, serial_no) run after each save (or None)."""
    if hook is not None and not callable(hook):
      raise errors.ProgrammerError("Save hook must be callable, got %r" %
                                   (hook, ))
    self._save_hook = hook

  @_ConfigSync
  def WriteConfigTo(self, destination):
    """Save the configuration (serial bumped) to another path, e.g. a backup."""
    self._WriteConfig(destination=destination)

  def _UnlockedVerifyConfig(self):
    return config_verify.VerifyConfigData(self._config_data)

  @_ConfigSync
  def VerifyConfig(self):
    """List every inconsistency of the configuration (empty when fine)."""
    errs = self._UnlockedVerifyConfig()
    _, duplicates = config_verify.ComputeDRBDMap(self._config_data,
                                                 self._temporary_drbds)
    for node, minor, inst_a, inst_b in duplicates:
      msg = ("DRBD minor %s on node '%s' is used by both instance '%s' and"
             " instance '%s'" % (minor, node, inst_a, inst_b))
      if msg not in errs:
        errs.append(msg)
    return errs

  @_ConfigSync
  def Update(self, target, feedback_fn, ec_id=None):
    """Save changes made to an object obtained from this ConfigWriter.

    @param target: the Cluster, Node, NodeGroup or Instance (the very object)
    @param feedback_fn: callable(msg) for warnings, or None
    @param ec_id: the job; its IP reservations are released (now in config)
    @raise errors.ConfigurationError: unknown or stale object

    """
    data = self._config_data
    if isinstance(target, objects.Cluster):
      known = target is data.cluster
    elif isinstance(target, objects.Node):
      known = any(target is node for node in data.nodes.values())
    elif isinstance(target, objects.Instance):
      known = any(target is inst for inst in data.instances.values())
    elif isinstance(target, objects.NodeGroup):
      known = any(target is grp for grp in data.nodegroups.values())
    else:
      raise errors.ProgrammerError("Invalid object type (%s) passed to"
                                   " ConfigWriter.Update" % type(target))
    if not known:
      raise errors.ConfigurationError("Cannot update %s '%s': configuration"
                                      " changed since it was read, or unknown"
                                      " object" % (type(target).__name__,
                                                   getattr(target, "name",
                                                           None)))
    now = time.time()
    target.serial_no += 1
    target.mtime = now
    if not isinstance(target, objects.Instance):
      # nodes, groups and the cluster feed the ssconf files
      if target is not data.cluster:
        data.cluster.serial_no += 1
      data.cluster.mtime = now
    else:
      self._UnlockedReleaseDRBDMinors(target.name)
    if ec_id is not None:
      self._temporary_ips.DropECReservations(ec_id)
    self._WriteConfig(feedback_fn=feedback_fn)

  # -- reservations ------------------------------------------------------------

  @_ConfigSync
  def DropECReservations(self, ec_id):
    """Release everything the job ``ec_id`` reserved (call when it ends)."""
    for manager in self._all_rms:
      manager.DropECReservations(ec_id)

  @staticmethod
  def _IdsOf(data):
    ids = set(data.instances) | set(data.nodes)
    for obj in ([data.cluster] + list(data.nodes.values()) +
                list(data.instances.values()) +
                list(data.nodegroups.values())):
      if obj.uuid:
        ids.add(obj.uuid)
    return ids

  def _AllIDs(self, include_temporary):
    ids = self._IdsOf(self._config_data) | self._AllLVs()
    if include_temporary:
      ids.update(self._temporary_ids.GetReserved())
    return ids

  def _GenerateUniqueID(self, ec_id):
    return self._temporary_ids.Generate(self._AllIDs(False), utils.NewUUID,
                                        ec_id)

  @_ConfigSync
  def GenerateUniqueID(self, ec_id):
    """A new UUID, unused in the config and reserved for ``ec_id``."""
    return self._GenerateUniqueID(ec_id)

  def _EnsureUUID(self, item, ec_id):
    """Give ``item`` a UUID, or check the one it has is unused."""
    if not item.uuid:
      item.uuid = self._GenerateUniqueID(ec_id)
      return
    own = self._temporary_ids._ec_reserved.get(ec_id, set())
    if item.uuid in self._AllIDs(True) - own:
      raise errors.ConfigurationError("Cannot add '%s': UUID %s already in"
                                      " use" % (item.name, item.uuid))

  def _AllMACs(self):
    return set(nic.mac for inst in self._config_data.instances.values()
               for nic in inst.nics or [])

  def _AllLVs(self):
    lvs = set()
    for inst in self._config_data.instances.values():
      for lv_list in config_verify.InstanceLVs(inst).values():
        lvs.update(lv_list)
    return lvs

  def _AllDRBDSecrets(self):
    return set(disk.logical_id[5]
               for inst in self._config_data.instances.values()
               for disk in config_verify.WalkDisks(inst.disks)
               if disk.dev_type == constants.LD_DRBD8 and disk.logical_id and
               len(disk.logical_id) >= 6)

  def _AllIPs(self):
    return dict((nic.ip, inst.name)
                for inst in self._config_data.instances.values()
                for nic in inst.nics or [] if nic.ip)

  def _GenerateOneMAC(self):
    prefix = self._config_data.cluster.mac_prefix
    suffix = os.urandom(3)
    return "%s:%02x:%02x:%02x" % (prefix, suffix[0], suffix[1], suffix[2])

  @_ConfigSync
  def GenerateMAC(self, ec_id):
    """A MAC from the cluster prefix, unused and unreserved, kept for ec_id.

    @raise errors.ConfigurationError: when no free MAC could be found

    """
    return self._temporary_macs.Generate(self._AllMACs(),
                                         self._GenerateOneMAC, ec_id)

  @_ConfigSync
  def ReserveMAC(self, mac, ec_id):
    """Reserve a given MAC for ``ec_id``.

    @raise errors.ReservationError: in use or already reserved

    """
    if mac in self._AllMACs():
      raise errors.ReservationError("MAC address %s is already in use" % mac)
    self._temporary_macs.Reserve(ec_id, mac)

  @_ConfigSync
  def ReserveLV(self, lv_name, ec_id):
    """Reserve a ``vg/lv`` name for ``ec_id``.

    @raise errors.ReservationError: in use or already reserved

    """
    if lv_name in self._AllLVs():
      raise errors.ReservationError("Logical volume %s is already in use" %
                                    lv_name)
    self._temporary_lvs.Reserve(ec_id, lv_name)

  @_ConfigSync
  def ReserveIp(self, address, ec_id):
    """Reserve an instance IP address for ``ec_id``.

    @raise errors.ReservationError: used by an instance NIC or reserved

    """
    owner = self._AllIPs().get(address)
    if owner is not None:
      raise errors.ReservationError("IP address %s is already in use by"
                                    " instance %s" % (address, owner))
    self._temporary_ips.Reserve(ec_id, address)

  @_ConfigSync
  def GenerateDRBDSecret(self, ec_id):
    """A new shared secret for a DRBD disk, reserved for ``ec_id``."""
    return self._temporary_secrets.Generate(self._AllDRBDSecrets(),
                                            utils.GenerateSecret, ec_id)

  # -- ports and DRBD minors -----------------------------------------------

  @_ConfigSync
  def AllocatePort(self):
    """Take a TCP/UDP port: from the cluster pool, else above the highest.

    The configuration is saved, so the port stays taken.

    @raise errors.ConfigurationError: when the port range is exhausted

    """
    cluster = self._config_data.cluster
    pool = cluster.tcpudp_port_pool
    if pool:
      port = min(pool)
      pool.remove(port)
    else:
      port = cluster.highest_used_port + 1
      if port > constants.LAST_DRBD_PORT:
        raise errors.ConfigurationError("The highest used port %s is already"
                                        " at the limit %s, cannot allocate"
                                        " another" % (cluster.highest_used_port,
                                                      constants.LAST_DRBD_PORT))
      cluster.highest_used_port = port
    self._WriteConfig()
    return port

  @_ConfigSync
  def GetUsedPorts(self):
    """Set of ports used by instances (DRBD and network ports)."""
    return set(port for port, users in
               config_verify.ComputeUsedPorts(self._config_data).items()
               if users != ["cluster port pool"])

  def _UnlockedComputeDRBDMap(self):
    used, duplicates = config_verify.ComputeDRBDMap(self._config_data,
                                                    self._temporary_drbds)
    if duplicates:
      raise errors.ConfigurationError(
        "Duplicate DRBD minors: %s" %
        ", ".join("node %s minor %s (instances %s and %s)" % dup
                  for dup in duplicates))
    return used

  @_ConfigSync
  def ComputeDRBDMap(self):
    """Map node name -> {minor: instance name}, temporary minors included.

    @raise errors.ConfigurationError: if a minor is used twice on a node

    """
    return self._UnlockedComputeDRBDMap()

  @_ConfigSync
  def AllocateDRBDMinor(self, nodes, instance):
    """Take the lowest free DRBD minor on each node for ``instance``.

    A node may be listed twice (it then gets two minors). The minors stay
    reserved until the instance is added or updated, or
    L{ReleaseDRBDMinors} is called.

    @return: list of minors, in the order of ``nodes``

    """
    if not isinstance(instance, str):
      raise errors.ProgrammerError("AllocateDRBDMinor needs an instance name,"
                                   " got %r" % (instance, ))
    d_map = self._UnlockedComputeDRBDMap()
    result = []
    for node in nodes:
      node_map = d_map.setdefault(node, {})
      minor = 0
      while minor in node_map:
        minor += 1
      node_map[minor] = instance
      self._temporary_drbds[(node, minor)] = instance
      result.append(minor)
    logging.debug("Allocated DRBD minors %s on nodes %s for instance %s",
                  result, nodes, instance)
    return result

  def _UnlockedReleaseDRBDMinors(self, instance):
    for key in [key for key, owner in self._temporary_drbds.items()
                if owner == instance]:
      del self._temporary_drbds[key]

  @_ConfigSync
  def ReleaseDRBDMinors(self, instance):
    """Drop the temporary DRBD minors of ``instance`` (name)."""
    self._UnlockedReleaseDRBDMinors(instance)

  # -- cluster ---------------------------------------------------------------

  @_ConfigSync
  def GetClusterInfo(self):
    """The live objects.Cluster."""
    return self._config_data.cluster

  def _Cluster(self, attr):
    with self._lock:
      return getattr(self._config_data.cluster, attr)

  def GetClusterName(self):
    return self._Cluster("cluster_name")

  def GetMasterNode(self):
    return self._Cluster("master_node")

  def GetMasterIP(self):
    return self._Cluster("master_ip")

  def GetMasterNetdev(self):
    return self._Cluster("master_netdev")

  def GetMasterNetmask(self):
    return self._Cluster("master_netmask")

  def GetUseExternalMipScript(self):
    return self._Cluster("use_external_mip_script")

  def GetFileStorageDir(self):
    return self._Cluster("file_storage_dir")

  def GetSharedFileStorageDir(self):
    return self._Cluster("shared_file_storage_dir")

  def GetHypervisorType(self):
    """The default (first enabled) hypervisor."""
    return self._Cluster("enabled_hypervisors")[0]

  def GetVGName(self):
    return self._Cluster("volume_group_name")

  def GetDRBDHelper(self):
    return self._Cluster("drbd_usermode_helper")

  def GetMACPrefix(self):
    return self._Cluster("mac_prefix")

  def GetDefaultIAllocator(self):
    return self._Cluster("default_iallocator")

  def GetPrimaryIPFamily(self):
    return self._Cluster("primary_ip_family")

  def GetHostKey(self):
    return self._Cluster("rsahostkeypub")

  GetRsaHostKey = GetHostKey

  def _SetClusterAttr(self, attr, value):
    cluster = self._config_data.cluster
    setattr(cluster, attr, value)
    cluster.serial_no += 1
    cluster.mtime = time.time()
    self._WriteConfig()

  @_ConfigSync
  def SetVGName(self, vg_name):
    """Set the volume group name ("" or None disables LVM) and save."""
    self._SetClusterAttr("volume_group_name", vg_name)

  @_ConfigSync
  def SetDRBDHelper(self, drbd_helper):
    """Set the DRBD usermode helper and save."""
    self._SetClusterAttr("drbd_usermode_helper", drbd_helper)

  @_ConfigSync
  def SetClusterName(self, name):
    """Rename the cluster and save (the caller handles DNS and IPs)."""
    if not name or not isinstance(name, str):
      raise errors.ProgrammerError("Invalid cluster name %r" % (name, ))
    self._SetClusterAttr("cluster_name", name)

  # -- ssconf ------------------------------------------------------------------

  @_ConfigSync
  def GetSsconfValues(self):
    """The 22 ssconf values as text, node and instance lists nice-sorted."""
    return config_ssconf.ComputeSsconfValues(self._config_data)

  # -- instances ---------------------------------------------------------------

  def _UnlockedGetInstanceOrFail(self, instance_name):
    inst = self._config_data.instances.get(instance_name)
    if inst is None:
      raise errors.ConfigurationError("Unknown instance '%s'" %
                                      (instance_name, ))
    return inst

  @_ConfigSync
  def GetInstanceInfo(self, instance_name):
    """The live objects.Instance, or None if unknown."""
    return self._config_data.instances.get(instance_name)

  @_ConfigSync
  def GetInstanceList(self):
    return list(self._config_data.instances)

  @_ConfigSync
  def GetAllInstancesInfo(self):
    """Dict instance name -> live objects.Instance."""
    return dict(self._config_data.instances)

  @_ConfigSync
  def GetMultiInstanceInfo(self, instances):
    """List of (name, instance or None) for the given names."""
    return [(name, self._config_data.instances.get(name))
            for name in instances]

  @_ConfigSync
  def GetInstancesInfoByFilter(self, filter_fn):
    """Dict name -> instance of the instances for which filter_fn is true."""
    return dict((name, inst)
                for name, inst in self._config_data.instances.items()
                if filter_fn(inst))

  @_ConfigSync
  def ExpandInstanceName(self, short_name):
    """Full instance name from a unique short name, or None."""
    return utils.MatchNameComponent(short_name,
                                    list(self._config_data.instances),
                                    case_sensitive=False)

  @_ConfigSync
  def GetInstanceNodeGroups(self, instance_name, primary_only=False):
    """UUIDs of the groups of an instance's nodes."""
    inst = self._UnlockedGetInstanceOrFail(instance_name)
    nodes = ([inst.primary_node] if primary_only
             else config_verify.InstanceAllNodes(inst))
    return frozenset(self._UnlockedGetNodeOrFail(name).group for name in nodes)

  @_ConfigSync
  def GetNodeInstances(self, node_name):
    """(primary instance names, secondary instance names) of a node."""
    primary, secondary = [], []
    for inst in self._config_data.instances.values():
      if inst.primary_node == node_name:
        primary.append(inst.name)
      if node_name in config_verify.InstanceSecondaryNodes(inst):
        secondary.append(inst.name)
    return (primary, secondary)

  @_ConfigSync
  def AddInstance(self, instance, ec_id):
    """Add an instance: unique name and MACs; UUID, serial and ctime set.

    Its temporary DRBD minors become permanent (they are now in the disks).

    """
    if not isinstance(instance, objects.Instance):
      raise errors.ProgrammerError("AddInstance needs an objects.Instance,"
                                   " got %s" % type(instance).__name__)
    if instance.name in self._config_data.instances:
      raise errors.ConfigurationError("Cannot add instance %s: an instance"
                                      " with that name exists" % instance.name)
    all_macs = self._AllMACs()
    for nic in instance.nics or []:
      if nic.mac in all_macs:
        raise errors.ConfigurationError("Cannot add instance %s: MAC address"
                                        " '%s' already in use" %
                                        (instance.name, nic.mac))
    self._EnsureUUID(instance, ec_id)
    instance.serial_no = 1
    instance.ctime = instance.mtime = time.time()
    self._config_data.instances[instance.name] = instance
    self._config_data.cluster.serial_no += 1
    self._UnlockedReleaseDRBDMinors(instance.name)
    self._WriteConfig()

  @_ConfigSync
  def RemoveInstance(self, instance_name):
    """Remove an instance; its network port returns to the cluster pool."""
    inst = self._UnlockedGetInstanceOrFail(instance_name)
    cluster = self._config_data.cluster
    if inst.network_port is not None:
      if cluster.tcpudp_port_pool is None:
        cluster.tcpudp_port_pool = set()
      cluster.tcpudp_port_pool.add(inst.network_port)
    del self._config_data.instances[instance_name]
    cluster.serial_no += 1
    self._WriteConfig()

  @_ConfigSync
  def RenameInstance(self, old_name, new_name):
    """Rename an instance; file-based disk paths follow the new name."""
    inst = self._UnlockedGetInstanceOrFail(old_name)
    if new_name in self._config_data.instances:
      raise errors.ConfigurationError("Cannot rename instance %s to %s: the"
                                      " name is taken" % (old_name, new_name))
    del self._config_data.instances[old_name]
    inst.name = new_name
    for idx, disk in enumerate(inst.disks or []):
      if disk.dev_type == constants.LD_FILE and disk.logical_id:
        # <storage dir>/<instance>/disk<N>: replace the instance component
        storage_dir = os.path.dirname(os.path.dirname(disk.logical_id[1]))
        disk.logical_id = (disk.logical_id[0],
                           os.path.join(storage_dir, new_name,
                                        "disk%d" % idx))
        disk.physical_id = disk.logical_id
    inst.serial_no += 1
    inst.mtime = time.time()
    self._config_data.instances[new_name] = inst
    self._config_data.cluster.serial_no += 1
    self._WriteConfig()

  def _SetInstanceStatus(self, instance_name, status):
    if status not in constants.ADMINST_ALL:
      raise errors.ProgrammerError("Invalid admin state '%s' for instance %s"
                                   % (status, instance_name))
    inst = self._UnlockedGetInstanceOrFail(instance_name)
    if inst.admin_state != status:
      inst.admin_state = status
      inst.serial_no += 1
      inst.mtime = time.time()
      self._WriteConfig()

  @_ConfigSync
  def MarkInstanceUp(self, instance_name):
    """Set admin_state to up (the instance should run)."""
    self._SetInstanceStatus(instance_name, constants.ADMINST_UP)

  @_ConfigSync
  def MarkInstanceDown(self, instance_name):
    """Set admin_state to down."""
    self._SetInstanceStatus(instance_name, constants.ADMINST_DOWN)

  @_ConfigSync
  def MarkInstanceOffline(self, instance_name):
    """Set admin_state to offline."""
    self._SetInstanceStatus(instance_name, constants.ADMINST_OFFLINE)

def InitConfig(version, cluster_config, master_node_config, cfg_file=None):
  """Write a brand-new config.data for a cluster being initialised.

  The configuration holds the cluster, the master node and the node group
  ``default`` (with the master as its member); UUIDs are generated where
  missing.

  @param version: the configuration version (normally CONFIG_VERSION)
  @param cluster_config: the objects.Cluster
  @param master_node_config: the objects.Node of the master
  @param cfg_file: target path; default pathutils.CLUSTER_CONF_FILE
  @return: the ConfigData that was written

  """
  if cfg_file is None:
    cfg_file = _DefaultConfigFile()
  ids = TemporaryReservationManager()
  existing = set(obj.uuid for obj in (cluster_config, master_node_config)
                 if obj.uuid)
  for obj in (cluster_config, master_node_config):
    if not obj.uuid:
      obj.uuid = ids.Generate(existing, utils.NewUUID, _INITCONF_ECID)
  group = config_upgrade.MakeDefaultGroup(
    ids.Generate(existing, utils.NewUUID, _INITCONF_ECID),
    [master_node_config.name])
  master_node_config.group = group.uuid
  now = time.time()
  data = objects.ConfigData(version=version, cluster=cluster_config,
                            nodegroups={group.uuid: group},
                            nodes={master_node_config.name: master_node_config},
                            instances={}, serial_no=1, ctime=now, mtime=now)
  utils.WriteFile(cfg_file, data=serializer.DumpJson(data.ToDict()),
                  mode=_CONFIG_FILE_MODE)
  return data
