"""Instance disks on the master: layouts, creation, activation, growth.

Layer 5 (master side).  `GenerateDiskTemplate` turns disk specifications
into the objects.Disk trees of a disk template (LV names, DRBD ports,
minors and secrets taken from the configuration); `CreateDisks` and
`RemoveDisks` create and remove them on the nodes (creation rolls back
what it made when a node fails); `AssembleInstanceDisks` /
`ShutdownInstanceDisks` activate and deactivate them, `WipeDisks` zeroes
new disks, `WaitForSync` follows mirror resynchronisation, and the free
space checks compute what a set of disks needs per volume group.  The LUs
using them for activate-disks, deactivate-disks, grow-disk and
recreate-disks are in instance_disks.

This module changes the configuration only through ConfigWriter and talks
to nodes only through the LU's RPC runner.
"""

import logging
import os
import time

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti.cmdlib import instance_utils



#: seconds between two progress messages of a wipe or a resync
_PROGRESS_INTERVAL = 60


# -- disk layouts --------------------------------------------------------------

def ComputeLDParams(disk_template, disk_params):
  """The logical-device parameters of each level of a template's disks.

  @param disk_params: filled disk parameters (template -> dict), e.g.
      ``cluster.SimpleFillDP(group.diskparams)``
  @return: list of dicts: DRBD: [drbd, data LV, meta LV]; plain: [LV];
      file, sharedfile, blockdev: [their (empty) parameters]; diskless: []

  """
  dt_params = objects.FillDict(
    constants.DISK_DT_DEFAULTS.get(disk_template, {}),
    (disk_params or {}).get(disk_template, {}))
  ld_defaults = constants.DISK_LD_DEFAULTS
  if disk_template == constants.DT_DRBD8:
    drbd = objects.FillDict(ld_defaults[constants.LD_DRBD8], {
      constants.LDP_RESYNC_RATE: dt_params[constants.DRBD_RESYNC_RATE],
      constants.LDP_BARRIERS: dt_params[constants.DRBD_DISK_BARRIERS],
      constants.LDP_NO_META_FLUSH: dt_params[constants.DRBD_META_BARRIERS],
      constants.LDP_DEFAULT_METAVG: dt_params[constants.DRBD_DEFAULT_METAVG],
      constants.LDP_DISK_CUSTOM: dt_params[constants.DRBD_DISK_CUSTOM],
      constants.LDP_NET_CUSTOM: dt_params[constants.DRBD_NET_CUSTOM],
      constants.LDP_DYNAMIC_RESYNC: dt_params[constants.DRBD_DYNAMIC_RESYNC],
      constants.LDP_PLAN_AHEAD: dt_params[constants.DRBD_PLAN_AHEAD],
      constants.LDP_FILL_TARGET: dt_params[constants.DRBD_FILL_TARGET],
      constants.LDP_DELAY_TARGET: dt_params[constants.DRBD_DELAY_TARGET],
      constants.LDP_MAX_RATE: dt_params[constants.DRBD_MAX_RATE],
      constants.LDP_MIN_RATE: dt_params[constants.DRBD_MIN_RATE],
      })
    data = objects.FillDict(ld_defaults[constants.LD_LV], {
      constants.LDP_STRIPES: dt_params[constants.DRBD_DATA_STRIPES]})
    meta = objects.FillDict(ld_defaults[constants.LD_LV], {
      constants.LDP_STRIPES: dt_params[constants.DRBD_META_STRIPES]})
    return [drbd, data, meta]
  if disk_template == constants.DT_PLAIN:
    return [objects.FillDict(ld_defaults[constants.LD_LV], {
      constants.LDP_STRIPES: dt_params[constants.LV_STRIPES]})]
  if disk_template in constants.DTS_FILEBASED:
    return [dict(ld_defaults[constants.LD_FILE])]
  if disk_template == constants.DT_BLOCK:
    return [dict(ld_defaults[constants.LD_BLOCKDEV])]
  if disk_template == constants.DT_DISKLESS:
    return []
  raise errors.OpPrereqError("Disk template '%s' is not supported" %
                             disk_template, errors.ECODE_INVAL)


def GetDiskParamsForNode(cfg, node):
  """Filled disk parameters (template -> dict) of the node's group."""
  cluster = cfg.GetClusterInfo()
  group = cfg.GetNodeGroup(cfg.GetNodeInfo(node).group)
  return cluster.SimpleFillDP(group.diskparams if group else None)


def _GenerateUniqueNames(lu, exts):
  """A fresh unique id (reserved for the job) followed by each extension."""
  ec_id = lu.proc.GetECId()
  return ["%s%s" % (lu.cfg.GenerateUniqueID(ec_id), ext) for ext in exts]


def _MetaVg(disk, drbd_params, data_vg):
  """The volume group of a DRBD disk's metadata volume.

  The disk's own ``metavg`` wins; then the disk parameter, when it was
  changed from the built-in default; else the data volume's group (the
  built-in default names a group the cluster may not have).

  """
  if disk.get(constants.IDISK_METAVG):
    return disk[constants.IDISK_METAVG]
  param = drbd_params.get(constants.LDP_DEFAULT_METAVG)
  builtin = constants.DISK_LD_DEFAULTS[constants.LD_DRBD8][
    constants.LDP_DEFAULT_METAVG]
  if param and param != builtin:
    return param
  return data_vg


def GenerateDiskTemplate(lu, template_name, instance_name, primary_node,
                         secondary_nodes, disk_info, file_storage_dir,
                         file_driver, base_index, feedback_fn,
                         full_disk_params):
  """Build the objects.Disk list of a disk template.

  @param disk_info: list of disk dicts (IDISK_SIZE, IDISK_MODE, IDISK_VG,
      IDISK_METAVG, IDISK_ADOPT), sizes in MiB
  @param file_storage_dir: the instance's directory (file templates)
  @param base_index: index of the first disk (disks added later)
  @param full_disk_params: filled disk parameters (template -> dict)
  @return: list of objects.Disk (logical ids set, physical ids not)
  @raise errors.OpPrereqError: wrong number of secondaries, unsupported
      template

  """
  # feedback_fn is part of the signature the instance LUs share; layouts
  # have nothing to report today
  del feedback_fn
  vgname = lu.cfg.GetVGName()
  disk_count = len(disk_info)
  ld_params = ComputeLDParams(template_name, full_disk_params)
  disks = []

  def _IvName(idx):
    return "disk/%d" % (base_index + idx)

  def _Mode(disk):
    return disk.get(constants.IDISK_MODE, constants.DISK_RDWR)

  if template_name == constants.DT_DISKLESS:
    return disks

  if template_name == constants.DT_DRBD8:
    if len(secondary_nodes) != 1:
      raise errors.OpPrereqError("The drbd template needs exactly one"
                                 " secondary node", errors.ECODE_INVAL)
    remote_node = secondary_nodes[0]
    if remote_node == primary_node:
      raise errors.OpPrereqError("The secondary node cannot be the primary"
                                 " node", errors.ECODE_INVAL)
    minors = lu.cfg.AllocateDRBDMinor([primary_node, remote_node] * disk_count,
                                      instance_name)
    prefixes = _GenerateUniqueNames(lu, [".disk%d" % (base_index + idx)
                                         for idx in range(disk_count)])
    (drbd_params, data_params, meta_params) = ld_params
    ec_id = lu.proc.GetECId()
    for (idx, disk) in enumerate(disk_info):
      data_vg = disk.get(constants.IDISK_VG) or vgname
      meta_vg = _MetaVg(disk, drbd_params, data_vg)
      size = disk[constants.IDISK_SIZE]
      port = lu.cfg.AllocatePort()
      secret = lu.cfg.GenerateDRBDSecret(ec_id)
      data = objects.Disk(dev_type=constants.LD_LV, size=size,
                          logical_id=(data_vg, prefixes[idx] + "_data"),
                          params=dict(data_params), children=[],
                          mode=constants.DISK_RDWR)
      meta = objects.Disk(dev_type=constants.LD_LV,
                          size=constants.DRBD_META_SIZE,
                          logical_id=(meta_vg, prefixes[idx] + "_meta"),
                          params=dict(meta_params), children=[],
                          mode=constants.DISK_RDWR)
      drbd = objects.Disk(dev_type=constants.LD_DRBD8, size=size,
                          logical_id=(primary_node, remote_node, port,
                                      minors[idx * 2], minors[idx * 2 + 1],
                                      secret),
                          children=[data, meta], iv_name=_IvName(idx),
                          mode=_Mode(disk), params=dict(drbd_params))
      disks.append(drbd)
    return disks

  if secondary_nodes:
    raise errors.OpPrereqError("Disk template '%s' takes no secondary node"
                               % template_name, errors.ECODE_INVAL)

  if template_name == constants.DT_PLAIN:
    names = _GenerateUniqueNames(lu, [".disk%d" % (base_index + idx)
                                      for idx in range(disk_count)])
    # adopted volumes get these names too: the create LU renames them
    for (idx, disk) in enumerate(disk_info):
      vg = disk.get(constants.IDISK_VG) or vgname
      disks.append(objects.Disk(dev_type=constants.LD_LV,
                                size=disk[constants.IDISK_SIZE],
                                logical_id=(vg, names[idx]), children=[],
                                iv_name=_IvName(idx), mode=_Mode(disk),
                                params=dict(ld_params[0])))
    return disks

  if template_name in constants.DTS_FILEBASED:
    if template_name == constants.DT_FILE and \
        not constants.ENABLE_FILE_STORAGE:
      raise errors.OpPrereqError("File storage disabled at configure time",
                                 errors.ECODE_INVAL)
    if template_name == constants.DT_SHARED_FILE and \
        not constants.ENABLE_SHARED_FILE_STORAGE:
      raise errors.OpPrereqError("Shared file storage disabled at configure"
                                 " time", errors.ECODE_INVAL)
    if not file_storage_dir:
      raise errors.OpPrereqError("No file storage directory for the disks"
                                 " of instance %s" % instance_name,
                                 errors.ECODE_INVAL)
    driver = file_driver or constants.FD_DEFAULT
    for (idx, disk) in enumerate(disk_info):
      path = utils.PathJoin(file_storage_dir, "disk%d" % (base_index + idx))
      disks.append(objects.Disk(dev_type=constants.LD_FILE,
                                size=disk[constants.IDISK_SIZE],
                                logical_id=(driver, path), children=[],
                                iv_name=_IvName(idx), mode=_Mode(disk),
                                params=dict(ld_params[0])))
    return disks

  if template_name == constants.DT_BLOCK:
    for (idx, disk) in enumerate(disk_info):
      adopt = disk.get(constants.IDISK_ADOPT)
      if not adopt:
        raise errors.OpPrereqError("Disk template 'blockdev' needs the path"
                                   " of an existing block device (adopt)"
                                   " for each disk", errors.ECODE_INVAL)
      disks.append(objects.Disk(dev_type=constants.LD_BLOCKDEV,
                                size=disk[constants.IDISK_SIZE],
                                logical_id=(constants.BLOCKDEV_DRIVER_MANUAL, adopt),
                                children=[], iv_name=_IvName(idx),
                                mode=_Mode(disk),
                                params=dict(ld_params[0])))
    return disks

  raise errors.OpPrereqError("Disk template '%s' is not supported" %
                             template_name, errors.ECODE_INVAL)


# -- creation and removal ------------------------------------------------------

def _CreateOnNode(lu, node, instance, disk, on_primary, info):
  """Create one disk tree on a node (the node creates the children).

  @raise errors.OpExecError: the node failed

  """
  node_disk = instance_utils.DiskForNode(lu.cfg, disk, node)
  result = lu.rpc.call_blockdev_create(node, node_disk, disk.size,
                                       instance.name, on_primary, info, False)
  result.Raise("Can't create block device %s on node %s for instance %s" %
               (disk.iv_name, node, instance.name))


def CreateDisks(lu, instance, to_skip=None, target_node=None):
  """Create the instance's disks on its nodes (or on ``target_node``).

  When a creation fails, every disk created so far by this call is
  removed again before the error is raised (the node itself cleans up
  the parts of the failed device it had made).

  @param to_skip: indices of disks not to create
  @return: the list of (node, disk) created
  @raise errors.OpExecError: a creation failed (after the rollback)

  """
  info = instance_utils.GetInstanceInfoText(instance)
  if target_node is None:
    pnode = instance.primary_node
    all_nodes = list(instance.all_nodes)
  else:
    pnode = target_node
    all_nodes = [pnode]
  storage_dir = FileStorageDir(instance)
  if storage_dir:
    result = lu.rpc.call_file_storage_dir_create(pnode, storage_dir)
    result.Raise("Failed to create directory '%s' on node %s" %
                 (storage_dir, pnode))
  created = []
  for (idx, disk) in enumerate(instance.disks or []):
    if to_skip and idx in to_skip:
      continue
    logging.info("Creating disk %s for instance '%s'", idx, instance.name)
    for node in all_nodes:
      on_primary = node == pnode
      if not on_primary and not disk.CreateOnSecondary():
        continue
      try:
        _CreateOnNode(lu, node, instance, disk, on_primary, info)
      except errors.OpExecError as err:
        lu.LogWarning("Creating disk %s for instance '%s' failed on node %s,"
                      " removing the disks created so far", idx,
                      instance.name, node)
        # the node removed what the failed call made; a device that
        # existed before (the reason of some failures) must stay
        _UndoCreate(lu, created)
        raise errors.OpExecError(str(err))
      created.append((node, disk))
  return created


def _UndoCreate(lu, created):
  """Remove the (node, disk) pairs created by a failed `CreateDisks`."""
  for (node, disk) in reversed(created):
    node_disk = instance_utils.DiskForNode(lu.cfg, disk, node)
    result = lu.rpc.call_blockdev_remove(node, node_disk)
    if result.fail_msg:
      lu.LogWarning("Failed to remove newly-created disk %s on node %s: %s",
                    disk.iv_name, node, result.fail_msg)


def _ReleasePorts(lu, ports, feedback_fn=None):
  """Give DRBD ports back to the cluster's port pool."""
  if not ports:
    return
  cluster = lu.cfg.GetClusterInfo()
  if cluster.tcpudp_port_pool is None:
    cluster.tcpudp_port_pool = set()
  cluster.tcpudp_port_pool.update(ports)
  lu.cfg.Update(cluster, feedback_fn)


def FileStorageDir(instance):
  """The directory holding a file-based instance's disks, or None."""
  if instance.disk_template not in constants.DTS_FILEBASED or \
      not instance.disks:
    return None
  return os.path.dirname(instance.disks[0].logical_id[1])


def RemoveFileStorageDir(lu, node, storage_dir):
  """Ask a node to remove an (empty) instance directory.

  @return: whether the node did

  """
  result = lu.rpc.call_file_storage_dir_remove(node, storage_dir)
  if result.fail_msg:
    lu.LogWarning("Could not remove directory '%s' on node %s: %s",
                  storage_dir, node, result.fail_msg)
    return False
  return True


def DRBDPorts(instance):
  """The TCP ports of the instance's DRBD disks."""
  return [disk.logical_id[2] for disk in instance.disks or []
          if disk.dev_type in constants.LDS_DRBD and disk.logical_id]


def ReleaseDRBDPorts(lu, instance, feedback_fn=None):
  """Return the DRBD ports of an instance no longer in the configuration
  to the cluster's port pool.

  """
  _ReleasePorts(lu, DRBDPorts(instance), feedback_fn)


def RemoveDisks(lu, instance, target_node=None, ignore_failures=False):
  """Remove every disk of the instance on all its nodes (or target_node).

  Failures are warnings; an offline secondary does not count as a failure.
  The file storage directory is removed too.  The DRBD ports stay taken
  while the instance is in the configuration: `ReleaseDRBDPorts` gives
  them back once it is gone.

  @return: whether everything was removed

  """
  all_result = True
  for (idx, disk) in enumerate(instance.disks or []):
    if target_node:
      pairs = [(target_node, disk)]
    else:
      pairs = disk.ComputeNodeTree(instance.primary_node)
    for (node, node_disk) in pairs:
      node_disk = instance_utils.DiskForNode(lu.cfg, node_disk, node)
      result = lu.rpc.call_blockdev_remove(node, node_disk)
      if result.fail_msg:
        lu.LogWarning("Could not remove disk %s on node %s, continuing"
                      " anyway: %s", idx, node, result.fail_msg)
        if not (result.offline and node != instance.primary_node):
          all_result = False
  storage_dir = FileStorageDir(instance)
  if storage_dir:
    node = target_node or instance.primary_node
    if not RemoveFileStorageDir(lu, node, storage_dir):
      all_result = False
  return all_result


def RemoveDisksPatiently(lu, instance, timeout,
                         _sleep_fn=time.sleep, _time_fn=time.time):
  """RemoveDisks, retried while a node cannot be reached, up to ``timeout``.

  A rollback should not leave orphaned disks behind because a node daemon
  happened to restart (it crashed, the watcher restarts it) in the middle
  of the operation being undone.  Removing what is already gone succeeds,
  so repeating the whole removal is safe.

  @return: whether everything was removed

  """
  deadline = _time_fn() + timeout
  delay = 0.5
  while True:
    if RemoveDisks(lu, instance, ignore_failures=True):
      return True
    remaining = deadline - _time_fn()
    if remaining <= 0:
      return False
    lu.LogInfo("Retrying the removal of the disks of %s in %.1f s",
               instance.name, min(delay, remaining))
    _sleep_fn(min(delay, remaining))
    delay = min(delay * 2, 5.0)


def WipeDisks(lu, instance, disks=None):
  """Write zeroes over the instance's disks (or the given indices).

  Done in chunks of constants.MIN_WIPE_CHUNK_PERCENT of a disk, at most
  constants.MAX_WIPE_CHUNK MiB, with progress messages.

  @raise errors.OpExecError: a chunk could not be wiped

  """
  node = instance.primary_node
  if disks is None:
    disks = range(len(instance.disks or []))
  for idx in disks:
    disk = instance.disks[idx]
    node_disk = instance_utils.DiskForNode(lu.cfg, disk, node)
    chunk = int(min(constants.MAX_WIPE_CHUNK,
                    disk.size / 100.0 * constants.MIN_WIPE_CHUNK_PERCENT))
    chunk = max(chunk, 1)
    lu.LogInfo("* Wiping disk %d", idx)
    logging.info("Wiping disk %d of instance %s on node %s using a chunk"
                 " size of %d MiB", idx, instance.name, node, chunk)
    offset = 0
    start = time.time()
    last_output = start
    while offset < disk.size:
      size = min(chunk, disk.size - offset)
      result = lu.rpc.call_blockdev_wipe(node, node_disk, offset, size)
      result.Raise("Could not wipe disk %d at offset %d for size %d" %
                   (idx, offset, size))
      offset += size
      now = time.time()
      if now - last_output >= _PROGRESS_INTERVAL:
        done = float(offset) / disk.size
        eta = (now - start) * (1 - done) / done
        lu.LogInfo(" - done: %.1f%% ETA: %s", done * 100,
                   utils.FormatSeconds(eta))
        last_output = now


# -- activation ----------------------------------------------------------------

def ExpandCheckDisks(instance, disks):
  """The instance's disks if ``disks`` is None, else ``disks`` checked.

  @raise errors.ProgrammerError: a disk is not one of the instance's

  """
  if disks is None:
    return list(instance.disks or [])
  for disk in disks:
    if not any(disk is own or disk == own for own in instance.disks or []):
      raise errors.ProgrammerError("Can only act on disks belonging to the"
                                   " target instance")
  return list(disks)


def _DiskIndex(instance, disk):
  for (idx, own) in enumerate(instance.disks or []):
    if own is disk:
      return idx
  for (idx, own) in enumerate(instance.disks or []):
    if own == disk:
      return idx
  raise errors.ProgrammerError("Disk %s is not a disk of instance %s" %
                               (disk.iv_name, instance.name))


def AssembleInstanceDisks(lu, instance, disks=None, ignore_secondaries=False,
                          ignore_size=False):
  """Activate the instance's disks on its nodes.

  First every node assembles its part as secondary (so DRBD peers can
  connect), then the primary node opens the disks as primary.

  @return: (disks_ok, [(primary node, iv_name, device path), ...])

  """
  disks = ExpandCheckDisks(instance, disks)
  pnode = instance.primary_node
  disks_ok = True
  device_info = []

  def _ForNode(disk, node):
    node_disk = instance_utils.DiskForNode(lu.cfg, disk, node)
    if ignore_size:
      node_disk.UnsetSize()
    return node_disk

  for disk in disks:
    idx = _DiskIndex(instance, disk)
    for (node, node_disk) in disk.ComputeNodeTree(pnode):
      result = lu.rpc.call_blockdev_assemble(node, _ForNode(node_disk, node),
                                             instance.name, False, idx)
      if result.fail_msg:
        offline_secondary = (node in instance.secondary_nodes and
                             result.offline)
        lu.LogWarning("Could not prepare block device %s on node %s"
                      " (is_primary=False, pass=1): %s", disk.iv_name, node,
                      result.fail_msg)
        if not (ignore_secondaries or offline_secondary):
          disks_ok = False

  for disk in disks:
    idx = _DiskIndex(instance, disk)
    dev_path = None
    for (node, node_disk) in disk.ComputeNodeTree(pnode):
      if node != pnode:
        continue
      result = lu.rpc.call_blockdev_assemble(node, _ForNode(node_disk, node),
                                             instance.name, True, idx)
      if result.fail_msg:
        lu.LogWarning("Could not prepare block device %s on node %s"
                      " (is_primary=True, pass=2): %s", disk.iv_name, node,
                      result.fail_msg)
        disks_ok = False
      else:
        payload = result.payload
        if isinstance(payload, (list, tuple)):
          dev_path = payload[0]
        else:
          dev_path = payload
    device_info.append((pnode, disk.iv_name, dev_path))
  return (disks_ok, device_info)


def ShutdownInstanceDisks(lu, instance, disks=None, ignore_primary=False):
  """Deactivate the instance's disks on all its nodes.

  Errors on the primary count unless ignore_primary; errors on an offline
  secondary do not count.

  @return: whether every disk was shut down

  """
  all_result = True
  for disk in ExpandCheckDisks(instance, disks):
    for (node, node_disk) in disk.ComputeNodeTree(instance.primary_node):
      node_disk = instance_utils.DiskForNode(lu.cfg, node_disk, node)
      result = lu.rpc.call_blockdev_shutdown(node, node_disk)
      if result.fail_msg:
        lu.LogWarning("Could not shutdown block device %s on node %s: %s",
                      disk.iv_name, node, result.fail_msg)
        if node == instance.primary_node:
          if not ignore_primary:
            all_result = False
        elif not result.offline:
          all_result = False
  return all_result


def StartInstanceDisks(lu, instance, force):
  """Activate the disks before a start; deactivate them again on failure.

  @param force: ignore failures on secondaries (None: not a user choice)
  @raise errors.OpExecError: the disks could not be activated

  """
  (disks_ok, _) = AssembleInstanceDisks(lu, instance,
                                        ignore_secondaries=bool(force))
  if not disks_ok:
    ShutdownInstanceDisks(lu, instance)
    if force is not None and not force:
      lu.LogWarning("", hint="If the message above refers to a secondary"
                    " node, you can retry the operation using '--force'")
    raise errors.OpExecError("Disk consistency error")


def SafeShutdownInstanceDisks(lu, instance, disks=None):
  """Deactivate the disks of an instance that must not be running.

  @raise errors.OpPrereqError: the instance runs or is not down

  """
  instance_utils.CheckInstanceState(lu, instance,
                                    constants.INSTANCE_DOWN,
                                    "cannot shutdown disks")
  return ShutdownInstanceDisks(lu, instance, disks=disks)


# -- synchronisation -----------------------------------------------------------

def _StatusField(status, name):
  if isinstance(status, dict):
    return status.get(name)
  return getattr(status, name, None)


def WaitForSync(lu, instance, disks=None, oneshot=False, _sleep_fn=time.sleep):
  """Wait until the instance's mirrors are in sync (or look once).

  @return: True when the disks are not degraded at the end

  """
  disks = ExpandCheckDisks(instance, disks)
  if not disks:
    return True
  node = instance.primary_node
  if not oneshot:
    lu.LogInfo("Waiting for instance %s to sync disks", instance.name)
  node_disks = instance_utils.DisksForNode(lu.cfg, disks, node)
  retries = 0
  degr_retries = 10
  while True:
    result = lu.rpc.call_blockdev_getmirrorstatus(node, node_disks)
    if result.fail_msg:
      lu.LogWarning("Can't get any data from node %s: %s", node,
                    result.fail_msg)
      retries += 1
      if retries >= 10:
        raise errors.RemoteError("Can't contact node %s for mirror data,"
                                 " aborting" % node)
      _sleep_fn(6)
      continue
    retries = 0
    done = True
    cumul_degraded = False
    max_time = 0
    for (disk, entry) in zip(disks, result.payload or []):
      (success, status) = (entry[0], entry[1])
      if not success or status is None:
        lu.LogWarning("Can't compute data for node %s/%s: %s", node,
                      disk.iv_name, status)
        continue
      degraded = bool(_StatusField(status, "is_degraded"))
      sync_percent = _StatusField(status, "sync_percent")
      cumul_degraded = cumul_degraded or (degraded and sync_percent is None)
      if sync_percent is not None:
        done = False
        est_time = _StatusField(status, "estimated_time")
        if est_time is not None:
          rem_time = "%s estimated seconds remaining" % est_time
          max_time = max(max_time, est_time)
        else:
          rem_time = "no time estimate"
        lu.LogInfo("- device %s: %5.2f%% done, %s", disk.iv_name,
                   sync_percent, rem_time)
    # a degraded, not syncing mirror may just not have started its resync
    if done and cumul_degraded and degr_retries > 0:
      degr_retries -= 1
      _sleep_fn(1)
      continue
    if done or oneshot:
      break
    _sleep_fn(min(60, max(max_time, 1)))
  if done:
    lu.LogInfo("Instance %s's disks are in sync", instance.name)
  return not cumul_degraded


# -- free space ----------------------------------------------------------------

def ComputeDiskSizePerVG(disk_template, disks):
  """MiB needed per volume group by new disks of a template.

  @param disks: disk dicts (IDISK_SIZE, IDISK_VG, IDISK_METAVG)

  """
  def _Add(result, vg, size):
    result[vg] = result.get(vg, 0) + size

  result = {}
  if disk_template == constants.DT_PLAIN:
    for disk in disks:
      _Add(result, disk[constants.IDISK_VG], disk[constants.IDISK_SIZE])
  elif disk_template == constants.DT_DRBD8:
    for disk in disks:
      vg = disk[constants.IDISK_VG]
      _Add(result, vg, disk[constants.IDISK_SIZE])
      _Add(result, disk.get(constants.IDISK_METAVG) or vg,
           constants.DRBD_META_SIZE)
  elif disk_template not in constants.DISK_TEMPLATES:
    raise errors.ProgrammerError("Disk template '%s' size requirement"
                                 " unknown" % disk_template)
  return result


def _CheckNodesFreeDiskOnVG(lu, nodes, vg, requested):
  answers = lu.rpc.call_node_info(nodes, [vg], [])
  for node in nodes:
    result = answers[node]
    result.Raise("Cannot get current information from node %s" % node,
                 prereq=True, ecode=errors.ECODE_ENVIRON)
    vg_info = (result.payload or {}).get("vg_info") or []
    vg_free = vg_info[0].get("vg_free") if vg_info else None
    if not isinstance(vg_free, int) or isinstance(vg_free, bool):
      raise errors.OpPrereqError("Can't compute free disk space on node %s"
                                 " for vg %s, result was '%s'" %
                                 (node, vg, vg_free), errors.ECODE_ENVIRON)
    if requested > vg_free:
      raise errors.OpPrereqError("Not enough disk space on target node %s"
                                 " vg %s: required %d MiB, available %d MiB"
                                 % (node, vg, requested, vg_free),
                                 errors.ECODE_NORES)


def CheckNodesFreeDiskPerVG(lu, nodes, req_sizes):
  """Check every node has the MiB of req_sizes (vg -> MiB) free.

  @raise errors.OpPrereqError: not enough space, or a node cannot tell

  """
  for (vg, requested) in sorted(req_sizes.items()):
    _CheckNodesFreeDiskOnVG(lu, nodes, vg, requested)


# -- logical units -------------------------------------------------------------
