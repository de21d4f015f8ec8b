"""Helpers of the cluster-wide logical units: file lists and distribution.

Layer 5 (master side).  `ComputeAncillaryFiles` names the files every node
of a cluster must hold beside config.data (the 2.1 design's "ancillary
files": certificates, keys, known_hosts, ssconf, the RAPI users file, the
hypervisors' files), sorted by who must have them; cluster verify compares
their checksums across nodes and redist-conf (and node add) pushes them
with `RedistributeAncillaryFiles`.  `GetMasterNetworkParameters` and
`AdjustCandidatePool` serve the LUs that move the master IP or change the
candidate pool.

This module holds no logical unit, must not take locks and talks to nodes
only through the LU's runner (``lu.rpc``).
"""

import importlib.util
import os

from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster


def HypervisorLayerPresent():
  """Whether the hypervisor package (node side) is part of this release.

  Until it lands, nodes answer every hypervisor check with "not present",
  so the master neither asks those checks nor lists hypervisor files.

  """
  return importlib.util.find_spec("ganeti.hypervisor") is not None


def _HypervisorFiles(enabled_hypervisors):
  """(required, optional) ancillary files of the enabled hypervisors."""
  if not HypervisorLayerPresent():
    return (set(), set())
  hypervisor = importlib.import_module("ganeti.hypervisor")
  required = set()
  optional = set()
  for hv_name in enabled_hypervisors:
    (hv_required, hv_optional) = \
      hypervisor.GetHypervisorClass(hv_name).GetAncillaryFiles()
    required.update(hv_required)
    optional.update(hv_optional)
  return (required, optional)


def ComputeAncillaryFiles(cluster, redist):
  """The files nodes hold beside the configuration, by kind of node.

  Paths are this (the master) node's local paths.  The optional files must
  exist on all nodes of their kind or on none.

  @param cluster: the objects.Cluster
  @param redist: True for the files redist-conf may push: without
      server.pem (the node daemons' own certificate, which RPC needs to
      work in the first place), the ssconf files (they have their own
      call) and config.data (pushed by the configuration's save hook)
  @return: (files for all nodes, optional files, files for master
      candidates, files for vm-capable nodes), each a set

  """
  files_all = set([
    pathutils.SSH_KNOWN_HOSTS_FILE,
    pathutils.CONFD_HMAC_KEY,
    pathutils.CLUSTER_DOMAIN_SECRET_FILE,
    pathutils.SPICE_CERT_FILE,
    pathutils.SPICE_CACERT_FILE,
    pathutils.RAPI_USERS_FILE,
    ])
  if redist:
    # the RAPI certificate must follow the master wherever it moves
    files_all.add(pathutils.RAPI_CERT_FILE)
  else:
    files_all.update(pathutils.ALL_CERT_FILES)
    files_all.update(ssconf.SimpleStore().GetFileList())
  # In a virtual cluster all nodes share the cluster directory's hosts
  # file: there is no per-node copy to compare or to push.
  if cluster.modify_etc_hosts and not vcluster.IsVirtualCluster():
    files_all.add(pathutils.ETC_HOSTS)
  if cluster.use_external_mip_script:
    files_all.add(pathutils.EXTERNAL_MASTER_SETUP_SCRIPT)

  files_opt = set([pathutils.RAPI_USERS_FILE])

  files_mc = set()
  if not redist:
    files_mc.add(pathutils.CLUSTER_CONF_FILE)

  (files_vm, hv_optional) = _HypervisorFiles(cluster.enabled_hypervisors)
  files_opt.update(hv_optional)

  every = files_all | files_mc | files_vm
  if len(every) != len(files_all) + len(files_mc) + len(files_vm):
    raise AssertionError("A file is listed in more than one ancillary file"
                         " category: %s / %s / %s" %
                         (sorted(files_all), sorted(files_mc),
                          sorted(files_vm)))
  if not every.issuperset(files_opt):
    raise AssertionError("Optional ancillary files %s are in no required"
                         " category" % sorted(files_opt - every))
  return (files_all, files_opt, files_mc, files_vm)


def DisplayPath(path):
  """A local path as an administrator knows it (without the node root)."""
  if vcluster.IsVirtualCluster():
    try:
      return vcluster.RemoveNodePrefix(path)
    except errors.ProgrammerError:
      # a path outside the node root (the shared hosts file) is shown as is
      return path
  return path


def UploadHelper(lu, node_names, file_name):
  """Push one local file to nodes, warning about each failure.

  A file missing on the master is skipped: the optional files (e.g. the
  RAPI users file) need not exist.

  """
  if not node_names or not os.path.exists(file_name):
    return
  result = lu.rpc.call_upload_file(node_names, file_name)
  for node_name in utils.NiceSort(result):
    node_result = result[node_name]
    if node_result.offline:
      # offline nodes get the files when they come back (redist-conf)
      continue
    if node_result.fail_msg:
      lu.LogWarning("Copy of file %s to node %s failed: %s",
                    DisplayPath(file_name), node_name, node_result.fail_msg)


def RedistributeAncillaryFiles(lu, additional_nodes=None, additional_vm=True):
  """Push the ancillary files from the master to the other online nodes.

  @param additional_nodes: nodes not yet in the configuration (node add)
  @param additional_vm: whether those nodes are vm-capable

  """
  cfg = lu.cfg
  cluster = cfg.GetClusterInfo()
  master = cfg.GetMasterNode()
  all_nodes = cfg.GetAllNodesInfo()
  online = [name for (name, node) in all_nodes.items() if not node.offline]
  vm_nodes = [name for (name, node) in all_nodes.items()
              if not node.offline and node.vm_capable]
  if additional_nodes:
    online.extend(additional_nodes)
    if additional_vm:
      vm_nodes.extend(additional_nodes)
  # the files originate on the master; writing them there again is useless
  online = utils.NiceSort(set(online) - set([master]))
  vm_nodes = utils.NiceSort(set(vm_nodes) - set([master]))

  (files_all, _, files_mc, files_vm) = ComputeAncillaryFiles(cluster, True)
  if files_mc:
    raise AssertionError("Master-candidate files %s would be pushed to every"
                         " node" % sorted(files_mc))
  for (node_names, files) in [(online, files_all), (vm_nodes, files_vm)]:
    for file_name in sorted(files):
      UploadHelper(lu, node_names, file_name)


def GetMasterNetworkParameters(cfg):
  """The objects.MasterNetworkParameters of the cluster's master IP."""
  cluster = cfg.GetClusterInfo()
  return objects.MasterNetworkParameters(
    name=cluster.master_node, ip=cluster.master_ip,
    netmask=cluster.master_netmask, netdev=cluster.master_netdev,
    ip_family=cluster.primary_ip_family)


def AdjustCandidatePool(lu, exceptions):
  """Promote nodes until the candidate pool has its configured size.

  The new candidates get config.data, ssconf and the job queue from the
  master daemon's replication once the configuration is saved.

  @param exceptions: node names not to promote nor count (e.g. a node
      about to leave)
  @return: names of the promoted nodes

  """
  promoted = lu.cfg.MaintainCandidatePool(exceptions)
  names = utils.NiceSort(node.name for node in promoted)
  if names:
    lu.LogInfo("Promoted nodes to master candidate role: %s",
               utils.CommaJoin(names))
  (mc_now, mc_should, _) = lu.cfg.GetMasterCandidateStats(exceptions)
  if mc_now > mc_should:
    lu.LogInfo("Note: more nodes are candidates (%d) than desired (%d)",
               mc_now, mc_should)
  return names


def CheckVolumeGroupSize(vglist, vgname, minsize):
  """None if ``vgname`` is in ``vglist`` with at least ``minsize`` MiB.

  @param vglist: dict volume group name -> size in MiB
  @return: None, or a message saying what is wrong

  """
  size = vglist.get(vgname)
  if size is None:
    return "volume group '%s' missing" % vgname
  if size < minsize:
    return ("volume group '%s' too small (%s MiB required, %d MiB found)" %
            (vgname, minsize, size))
  return None


#: Smallest volume group Ganeti accepts, in MiB
MIN_VG_SIZE = 20480
