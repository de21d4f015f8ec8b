"""Cluster verification: OP_CLUSTER_VERIFY and its two kinds of sub-jobs.

Layer 5 (master side).  ``LUClusterVerify`` only submits jobs: one
OP_CLUSTER_VERIFY_CONFIG job and one OP_CLUSTER_VERIFY_GROUP job per node
group depending on it (or the job of the one group asked for).
``LUClusterVerifyConfig`` checks what the master alone can see (the
configuration's consistency, the cluster certificates, hypervisor
parameter syntax, nodes and instances pointing at nothing).
``LUClusterVerifyGroup`` asks every node of a group to run the node_verify
checks and judges the answers: versions, clock skew, file checksums
compared across nodes, reachability, LVM, DRBD, OS definitions, user
scripts, instances.  Findings are reported through the job's feedback in
Ganeti's format (``  - ERROR: node node2: ...`` or, with error_codes,
``  - ERROR:ENODERPC:node:node2:...``); the result is False when any
finding was an error.

This module must not change the configuration and talks to nodes only
through the LU's runner.
"""

import os
import re
import time

from ganeti import config_verify
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import opcodes
from ganeti import pathutils
from ganeti import utils
from ganeti import vcluster
from ganeti.cmdlib import base
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import common
from ganeti.utils import x509


#: Kinds of finding; only errors make a verification fail
ETYPE_ERROR = "ERROR"
ETYPE_WARNING = "WARNING"

#: Indentation of hook script output in the verify report
_HOOKS_INDENT_RE = re.compile("^", re.M)


def _VerifyCertificate(filename):
  """(None, None) or (ETYPE_*, message) for one certificate file."""
  try:
    cert = x509.LoadX509CertificateFile(filename)
  except errors.GenericError as err:
    return (ETYPE_ERROR, "Failed to load X509 certificate %s: %s" %
            (cluster_utils.DisplayPath(filename), err))
  (errcode, msg) = x509.VerifyX509Certificate(
    cert, constants.SSL_CERT_EXPIRATION_WARN,
    constants.SSL_CERT_EXPIRATION_ERROR)
  if msg:
    fnamemsg = "While verifying %s: %s" % (
      cluster_utils.DisplayPath(filename), msg)
  else:
    fnamemsg = None
  if errcode is None:
    return (None, fnamemsg)
  if errcode == x509.CERT_WARNING:
    return (ETYPE_WARNING, fnamemsg)
  return (ETYPE_ERROR, fnamemsg)


def GetAllHypervisorParameters(cluster, instances):
  """Every hypervisor parameter set in use: [(source, hv name, params)].

  The cluster's defaults of each enabled hypervisor, the per-OS overrides
  filled over them, and the filled parameters of instances that override
  anything.

  """
  result = []
  enabled = cluster.enabled_hypervisors
  for hv_name in enabled:
    result.append(("cluster", hv_name, cluster.GetHVDefaults(hv_name)))
  for (os_name, os_hvp) in sorted((cluster.os_hvp or {}).items()):
    for hv_name in sorted(os_hvp):
      if hv_name not in enabled:
        continue
      result.append(("os %s" % os_name, hv_name,
                     cluster.GetHVDefaults(hv_name, os_name=os_name)))
  for instance in sorted(instances, key=lambda inst: inst.name):
    if instance.hvparams:
      result.append(("instance %s" % instance.name, instance.hypervisor,
                     cluster.FillHV(instance)))
  return result


def CheckHvParamsSyntax(hv_name, hvparams):
  """Check one hypervisor parameter set; raise on the first problem.

  Types are checked against the parameter table; the hypervisor's own
  checks run once the hypervisor layer is there.

  @raise errors.GenericError: unknown parameter or wrong value

  """
  params = dict(hvparams)
  utils.ForceDictType(params, constants.HVS_PARAMETER_TYPES)
  if cluster_utils.HypervisorLayerPresent():
    from ganeti import hypervisor  # pylint: disable=C0415
    hypervisor.GetHypervisorClass(hv_name).CheckParameterSyntax(params)


class _VerifyErrors(object):
  """The reporting of findings shared by the verify LUs.

  Needs ``self.op`` with error_codes, ignore_errors, debug_simulate_errors
  and sets ``self.bad`` once an error was reported.

  """
  ETYPE_FIELD = "code"

  def _Error(self, ecode, item, msg, *args, **kwargs):
    """Report one finding (an error unless ``code=ETYPE_WARNING``)."""
    ltype = kwargs.get(self.ETYPE_FIELD, ETYPE_ERROR)
    (itype, etxt, _) = ecode
    # the administrator asked to see this kind as a warning only
    if etxt in self.op.ignore_errors:
      ltype = ETYPE_WARNING
    if args:
      msg = msg % args
    if self.op.error_codes:
      text = "%s:%s:%s:%s:%s" % (ltype, etxt, itype, item, msg)
    else:
      if item:
        item = " " + item
      else:
        item = ""
      text = "%s: %s%s: %s" % (ltype, itype, item, msg)
    self._feedback_fn("  - %s" % text)
    if ltype == ETYPE_ERROR:
      self.bad = True

  def _ErrorIf(self, cond, *args, **kwargs):
    """Report a finding when ``cond`` holds (always when simulating)."""
    if bool(cond) or self.op.debug_simulate_errors:
      self._Error(*args, **kwargs)


class LUClusterVerify(base.NoHooksLU):
  """Submit the jobs verifying the configuration and each node group."""
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {}

  def Exec(self, feedback_fn):
    jobs = []
    if self.op.group_name:
      groups = [self.op.group_name]
      depends_fn = lambda: None
    else:
      groups = self.cfg.GetNodeGroupList()
      jobs.append([opcodes.OpClusterVerifyConfig(
        ignore_errors=list(self.op.ignore_errors))])
      # relative to each group job: the configuration job comes first
      depends_fn = lambda: [[-len(jobs), []]]

    for group in groups:
      jobs.append([opcodes.OpClusterVerifyGroup(
        group_name=group, ignore_errors=list(self.op.ignore_errors),
        skip_checks=list(self.op.skip_checks), depends=depends_fn())])

    for job in jobs:
      for op in job:
        op.debug_simulate_errors = self.op.debug_simulate_errors
        op.verbose = self.op.verbose
        op.error_codes = self.op.error_codes
    return base.ResultWithJobs(jobs)


class LUClusterVerifyConfig(_VerifyErrors, base.NoHooksLU):
  """Verify what the master alone can check: the configuration."""
  REQ_BGL = False

  def ExpandNames(self):
    self.needed_locks = {
      locking.LEVEL_INSTANCE: locking.ALL_SET,
      locking.LEVEL_NODEGROUP: locking.ALL_SET,
      locking.LEVEL_NODE: locking.ALL_SET,
      }
    self.share_locks = common.ShareAll()

  def CheckPrereq(self):
    self.all_group_info = self.cfg.GetAllNodeGroupsInfo()
    self.all_node_info = self.cfg.GetAllNodesInfo()
    self.all_inst_info = self.cfg.GetAllInstancesInfo()

  def _VerifyHVP(self, hvp_data):
    for (source, hv_name, hvparams) in hvp_data:
      try:
        CheckHvParamsSyntax(hv_name, hvparams)
        failure = None
      except errors.GenericError as err:
        failure = str(err)
      self._ErrorIf(failure, constants.CV_ECLUSTERCFG, None,
                    "hypervisor %s parameters syntax check (source %s): %s",
                    hv_name, source, failure)

  def Exec(self, feedback_fn):
    self.bad = False
    self._feedback_fn = feedback_fn

    feedback_fn("* Verifying cluster config")
    for msg in self.cfg.VerifyConfig():
      self._ErrorIf(True, constants.CV_ECLUSTERCFG, None, msg)

    feedback_fn("* Verifying cluster certificate files")
    for cert_filename in sorted(pathutils.ALL_CERT_FILES):
      (errcode, msg) = _VerifyCertificate(cert_filename)
      self._ErrorIf(errcode, constants.CV_ECLUSTERCERT, None, msg,
                    code=errcode)

    feedback_fn("* Verifying hypervisor parameters")
    self._VerifyHVP(GetAllHypervisorParameters(
      self.cfg.GetClusterInfo(), self.all_inst_info.values()))

    feedback_fn("* Verifying all nodes belong to an existing group")
    dangling_nodes = set(name for (name, node) in self.all_node_info.items()
                         if node.group not in self.all_group_info)
    dangling_instances = {}
    no_node_instances = []
    for (name, inst) in self.all_inst_info.items():
      if inst.primary_node in dangling_nodes:
        dangling_instances.setdefault(inst.primary_node, []).append(name)
      elif inst.primary_node not in self.all_node_info:
        no_node_instances.append(name)
    pretty_dangling = [
      "%s (%s)" % (node, utils.CommaJoin(
        utils.NiceSort(dangling_instances.get(node, ["no instances"]))))
      for node in utils.NiceSort(dangling_nodes)]
    self._ErrorIf(bool(dangling_nodes), constants.CV_ECLUSTERDANGLINGNODES,
                  None, "the following nodes (and their instances) belong to"
                  " a non existing group: %s",
                  utils.CommaJoin(pretty_dangling))
    self._ErrorIf(bool(no_node_instances), constants.CV_ECLUSTERDANGLINGINST,
                  None, "the following instances have a non-existing"
                  " primary-node: %s",
                  utils.CommaJoin(utils.NiceSort(no_node_instances)))
    return not self.bad


class _NodeImage(object):
  """What verification learnt about one node.

  @ivar volumes: "vg/lv" -> data, from the node's LV list
  @ivar instances: instances the hypervisor runs there (None: unknown)
  @ivar pinst, sinst: instances having the node as primary / secondary
  @ivar sbp: secondary instances by their primary node
  @ivar mfree: free memory in MiB (None: unknown)
  @ivar oslist: OS name -> list of (path, status, diagnose, variants,
      parameters, api_versions)

  """
  def __init__(self, offline=False, name=None, vm_capable=True):
    self.name = name
    self.volumes = {}
    self.instances = None
    self.pinst = []
    self.sinst = []
    self.sbp = {}
    self.mfree = None
    self.offline = offline
    self.vm_capable = vm_capable
    self.rpc_fail = False
    self.lvm_fail = False
    self.hyp_fail = False
    self.os_fail = False
    self.oslist = {}


class LUClusterVerifyGroup(_VerifyErrors, base.LogicalUnit):
  """Verify the nodes and instances of one node group."""
  HPATH = "cluster-verify"
  HTYPE = constants.HTYPE_CLUSTER
  REQ_BGL = False

  def ExpandNames(self):
    self.group_uuid = self.cfg.LookupNodeGroup(self.op.group_name)
    group = self.cfg.GetNodeGroup(self.group_uuid)
    members = set(group.members)
    inst_names = [name for (name, inst)
                  in self.cfg.GetAllInstancesInfo().items()
                  if members.intersection(_InstanceNodes(inst))]
    self.needed_locks = {
      locking.LEVEL_INSTANCE: utils.NiceSort(inst_names),
      locking.LEVEL_NODEGROUP: [self.group_uuid],
      locking.LEVEL_NODE: [],
      }
    self.share_locks = common.ShareAll()

  def DeclareLocks(self, level):
    if level == locking.LEVEL_NODE:
      # the group's nodes, plus those of its instances in other groups
      nodes = set(self.cfg.GetNodeGroup(self.group_uuid).members)
      for inst_name in self.owned_locks(locking.LEVEL_INSTANCE):
        inst = self.cfg.GetInstanceInfo(inst_name)
        if inst is not None:
          nodes.update(_InstanceNodes(inst))
      self.needed_locks[locking.LEVEL_NODE] = utils.NiceSort(nodes)

  def CheckPrereq(self):
    group = self.cfg.GetNodeGroup(self.group_uuid)
    if group is None:
      raise errors.OpPrereqError("Node group '%s' disappeared while locking"
                                 % self.op.group_name, errors.ECODE_NOENT)
    self.group_info = group
    self.all_node_info = self.cfg.GetAllNodesInfo()
    self.all_inst_info = self.cfg.GetAllInstancesInfo()
    group_nodes = set(group.members)
    self.my_node_names = utils.NiceSort(group_nodes)
    self.my_node_info = dict((name, self.all_node_info[name])
                             for name in self.my_node_names)
    self.my_inst_names = utils.NiceSort(self.owned_locks(
      locking.LEVEL_INSTANCE))
    self.my_inst_info = dict((name, self.all_inst_info[name])
                             for name in self.my_inst_names
                             if name in self.all_inst_info)
    unlocked = set()
    for inst in self.my_inst_info.values():
      unlocked.update(set(_InstanceNodes(inst)) -
                      set(self.owned_locks(locking.LEVEL_NODE)))
    if unlocked:
      raise errors.OpPrereqError("Nodes of the group's instances changed"
                                 " while locking (not locked: %s); please"
                                 " retry" % utils.CommaJoin(
                                   utils.NiceSort(unlocked)),
                                 errors.ECODE_STATE)

  def BuildHooksEnv(self):
    env = {
      "CLUSTER_TAGS": " ".join(sorted(self.cfg.GetClusterInfo().GetTags())),
      }
    for node in self.my_node_info.values():
      env["NODE_TAGS_%s" % node.name] = " ".join(sorted(node.GetTags()))
    return env

  def BuildHooksNodes(self):
    return ([], self.my_node_names)

  # -- per-node checks ---------------------------------------------------------

  def _VerifyNode(self, ninfo, nresult):
    """Basic sanity of a node's answer; False if it is not usable."""
    node = ninfo.name
    test = not nresult or not isinstance(nresult, dict)
    self._ErrorIf(test, constants.CV_ENODERPC, node,
                  "unable to verify node: no data returned")
    if test:
      return False

    local_version = constants.PROTOCOL_VERSION
    remote_version = nresult.get(constants.NV_VERSION, None)
    test = not (remote_version and
                isinstance(remote_version, (list, tuple)) and
                len(remote_version) == 2)
    self._ErrorIf(test, constants.CV_ENODERPC, node,
                  "connection to node returned invalid data")
    if test:
      return False

    test = local_version != remote_version[0]
    self._ErrorIf(test, constants.CV_ENODEVERSION, node,
                  "incompatible protocol versions: master %s, node %s",
                  local_version, remote_version[0])
    if test:
      return False

    # the protocol matches: a different release is only worth a warning
    self._ErrorIf(constants.RELEASE_VERSION != remote_version[1],
                  constants.CV_ENODEVERSION, node,
                  "software version mismatch: master %s, node %s",
                  constants.RELEASE_VERSION, remote_version[1],
                  code=ETYPE_WARNING)

    hyp_result = nresult.get(constants.NV_HYPERVISOR, None)
    if ninfo.vm_capable and isinstance(hyp_result, dict):
      for (hv_name, hv_result) in sorted(hyp_result.items()):
        test = hv_result is not None
        self._ErrorIf(test, constants.CV_ENODEHV, node,
                      "hypervisor %s verify failure: '%s'", hv_name,
                      hv_result)

    hvp_result = nresult.get(constants.NV_HVPARAMS, None)
    if ninfo.vm_capable and isinstance(hvp_result, list):
      for item in hvp_result:
        (source, hv_name, hv_result) = item
        self._ErrorIf(True, constants.CV_ENODEHV, node,
                      "hypervisor %s parameter verify failure (source %s):"
                      " %s", hv_name, source, hv_result)

    test = nresult.get(constants.NV_NODESETUP,
                       ["Missing NODESETUP results"])
    self._ErrorIf(not isinstance(test, list), constants.CV_ENODESETUP, node,
                  "node setup returned invalid data: %r", test)
    if isinstance(test, list):
      for msg in test:
        self._ErrorIf(True, constants.CV_ENODESETUP, node,
                      "node setup error: %s", msg)
    return True

  def _VerifyNodeTime(self, ninfo, nresult, nvinfo_starttime,
                      nvinfo_endtime):
    node = ninfo.name
    ntime = nresult.get(constants.NV_TIME, None)
    try:
      ntime_merged = utils.MergeTime(ntime)
    except (errors.ProgrammerError, ValueError, TypeError):
      self._ErrorIf(True, constants.CV_ENODETIME, node,
                    "Node returned invalid time")
      return

    if ntime_merged < (nvinfo_starttime - constants.NODE_MAX_CLOCK_SKEW):
      ntime_diff = "%.01fs" % abs(nvinfo_starttime - ntime_merged)
    elif ntime_merged > (nvinfo_endtime + constants.NODE_MAX_CLOCK_SKEW):
      ntime_diff = "%.01fs" % abs(ntime_merged - nvinfo_endtime)
    else:
      ntime_diff = None
    self._ErrorIf(ntime_diff is not None, constants.CV_ENODETIME, node,
                  "Node time diverges by at least %s from master node time",
                  ntime_diff)

  def _VerifyNodeUserScripts(self, ninfo, nresult):
    node = ninfo.name
    test = constants.NV_USERSCRIPTS not in nresult
    self._ErrorIf(test, constants.CV_ENODEUSERSCRIPTS, node,
                  "did not return user scripts information")
    broken = nresult.get(constants.NV_USERSCRIPTS, None)
    if not test:
      self._ErrorIf(broken, constants.CV_ENODEUSERSCRIPTS, node,
                    "user scripts not present or not executable: %s",
                    utils.CommaJoin(sorted(broken or [])))

  def _VerifyNodeNetwork(self, ninfo, nresult):
    node = ninfo.name
    test = constants.NV_NODELIST not in nresult
    self._ErrorIf(test, constants.CV_ENODESSH, node,
                  "node hasn't returned node ssh connectivity data")
    if not test and nresult[constants.NV_NODELIST]:
      for (a_node, a_msg) in sorted(nresult[constants.NV_NODELIST].items()):
        self._ErrorIf(True, constants.CV_ENODESSH, node,
                      "ssh communication with node '%s': %s", a_node, a_msg)

    test = constants.NV_NODENETTEST not in nresult
    self._ErrorIf(test, constants.CV_ENODENET, node,
                  "node hasn't returned node tcp connectivity data")
    if not test and nresult[constants.NV_NODENETTEST]:
      nlist = utils.NiceSort(nresult[constants.NV_NODENETTEST])
      for anode in nlist:
        self._ErrorIf(True, constants.CV_ENODENET, node,
                      "tcp communication with node '%s': %s", anode,
                      nresult[constants.NV_NODENETTEST][anode])

    test = constants.NV_MASTERIP not in nresult
    self._ErrorIf(test, constants.CV_ENODENET, node,
                  "node hasn't returned node master IP reachability data")
    if not test:
      if node == self.cfg.GetMasterNode():
        msg = "the master node cannot reach the master IP (not configured?)"
      else:
        msg = "cannot reach the master IP"
      self._ErrorIf(not nresult[constants.NV_MASTERIP],
                    constants.CV_ENODENET, node, msg)

  def _VerifyOob(self, ninfo, nresult):
    node = ninfo.name
    if constants.NV_OOB_PATHS not in nresult:
      return
    for path_result in nresult[constants.NV_OOB_PATHS]:
      self._ErrorIf(path_result, constants.CV_ENODEOOBPATH, node,
                    path_result)

  def _VerifyNodeLVM(self, ninfo, nresult, vg_name):
    if vg_name is None:
      return
    node = ninfo.name
    vglist = nresult.get(constants.NV_VGLIST, None)
    test = not isinstance(vglist, dict)
    self._ErrorIf(test, constants.CV_ENODELVM, node,
                  "unable to check volume groups: %s",
                  vglist if isinstance(vglist, str) else "no data")
    if not test:
      vgstatus = cluster_utils.CheckVolumeGroupSize(
        vglist, vg_name, cluster_utils.MIN_VG_SIZE)
      self._ErrorIf(vgstatus, constants.CV_ENODELVM, node, vgstatus)

    pvlist = nresult.get(constants.NV_PVLIST, None)
    if isinstance(pvlist, str):
      self._ErrorIf(True, constants.CV_ENODELVM, node,
                    "Can't get PV list from node: %s", pvlist)
    elif isinstance(pvlist, (list, tuple)):
      for entry in pvlist:
        # names with ':' break the colon-separated LVM tool output
        pv_name = entry[0] if isinstance(entry, (list, tuple)) else entry
        self._ErrorIf(":" in str(pv_name), constants.CV_ENODELVM, node,
                      "Invalid character ':' in PV '%s' of VG '%s'",
                      pv_name, vg_name)

  def _VerifyNodeDrbdHelper(self, ninfo, nresult, drbd_helper):
    if not drbd_helper:
      return
    node = ninfo.name
    helper_result = nresult.get(constants.NV_DRBDHELPER, None)
    test = helper_result is None
    self._ErrorIf(test, constants.CV_ENODEDRBDHELPER, node,
                  "no drbd usermode helper returned")
    if helper_result:
      (status, payload) = helper_result
      self._ErrorIf(not status, constants.CV_ENODEDRBDHELPER, node,
                    "drbd usermode helper check unsuccessful: %s", payload)
      self._ErrorIf(status and payload != drbd_helper,
                    constants.CV_ENODEDRBDHELPER, node,
                    "wrong drbd usermode helper: %s", payload)

    used_minors = nresult.get(constants.NV_DRBDLIST, [])
    test = not isinstance(used_minors, (tuple, list))
    self._ErrorIf(test, constants.CV_ENODEDRBD, node,
                  "cannot parse drbd status file: %s", used_minors)

  def _UpdateNodeVolumes(self, ninfo, nresult, nimg, vg_name):
    node = ninfo.name
    nimg.lvm_fail = True
    if vg_name is None:
      return
    lvdata = nresult.get(constants.NV_LVLIST, "Missing LV data")
    if isinstance(lvdata, str):
      self._ErrorIf(True, constants.CV_ENODELVM, node,
                    "LVM problem on node: %s", lvdata)
    elif not isinstance(lvdata, dict):
      self._ErrorIf(True, constants.CV_ENODELVM, node,
                    "rpc call to node failed (lvlist)")
    else:
      nimg.volumes = lvdata
      nimg.lvm_fail = False

  def _UpdateNodeInstances(self, ninfo, nresult, nimg):
    if constants.NV_INSTANCELIST not in nresult:
      # the hypervisor layer was not asked: running state unknown
      return
    idata = nresult[constants.NV_INSTANCELIST]
    test = not isinstance(idata, list)
    self._ErrorIf(test, constants.CV_ENODEHV, ninfo.name,
                  "rpc call to node failed (instancelist): %s", idata)
    if test:
      nimg.hyp_fail = True
    else:
      nimg.instances = idata

  def _UpdateNodeInfo(self, ninfo, nresult, nimg):
    hv_info = nresult.get(constants.NV_HVINFO, None)
    if hv_info is None:
      return
    test = not isinstance(hv_info, dict) or "memory_free" not in hv_info
    self._ErrorIf(test, constants.CV_ENODEHV, ninfo.name,
                  "rpc call to node failed (hvinfo): %s", hv_info)
    if not test:
      try:
        nimg.mfree = int(hv_info["memory_free"])
      except (ValueError, TypeError):
        self._ErrorIf(True, constants.CV_ENODERPC, ninfo.name,
                      "node returned invalid nodeinfo, check hypervisor")

  def _UpdateNodeOS(self, ninfo, nresult, nimg):
    node = ninfo.name
    remote_os = nresult.get(constants.NV_OSLIST, None)
    test = (not isinstance(remote_os, list) or
            not all(isinstance(v, (list, tuple)) and len(v) == 7
                    for v in remote_os))
    self._ErrorIf(test, constants.CV_ENODEOS, node,
                  "node hasn't returned valid OS data")
    nimg.os_fail = test
    if test:
      return
    os_dict = {}
    for (name, os_path, status, diagnose, variants, parameters,
         api_ver) in remote_os:
      os_dict.setdefault(name, []).append(
        (os_path, status, diagnose, set(variants),
         set(tuple(p) for p in parameters), set(api_ver)))
    nimg.oslist = os_dict

  def _VerifyNodeOS(self, ninfo, nimg, base):
    """Check a node's OS definitions against a reference node's."""
    node = ninfo.name
    beautify_params = lambda params: ["%s: %s" % (k, v) for (k, v) in params]
    for (os_name, os_data) in sorted(nimg.oslist.items()):
      (f_path, f_status, f_diag, f_var, f_param, f_api) = os_data[0]
      self._ErrorIf(not f_status, constants.CV_ENODEOS, node,
                    "Invalid OS %s (located at %s): %s", os_name,
                    cluster_utils.DisplayPath(f_path), f_diag)
      self._ErrorIf(len(os_data) > 1, constants.CV_ENODEOS, node,
                    "OS '%s' has multiple entries (first one shadows the"
                    " rest): %s", os_name,
                    utils.CommaJoin(cluster_utils.DisplayPath(v[0])
                                    for v in os_data))
      test = os_name not in base.oslist
      self._ErrorIf(test, constants.CV_ENODEOS, node,
                    "Extra OS %s not present on reference node (%s)",
                    os_name, base.name)
      if test or not f_status:
        continue
      (_, b_status, _, b_var, b_param, b_api) = base.oslist[os_name][0]
      if not b_status:
        # already reported on the reference node
        continue
      for (kind, a, b) in [("API version", f_api, b_api),
                           ("variants list", f_var, b_var),
                           ("parameters", beautify_params(f_param),
                            beautify_params(b_param))]:
        self._ErrorIf(set(a) != set(b), constants.CV_ENODEOS, node,
                      "OS %s for %s differs from reference node %s:"
                      " [%s] vs. [%s]", kind, os_name, base.name,
                      utils.CommaJoin(sorted(str(x) for x in a)),
                      utils.CommaJoin(sorted(str(x) for x in b)))
    missing = set(base.oslist) - set(nimg.oslist)
    self._ErrorIf(missing, constants.CV_ENODEOS, node,
                  "OSes present on reference node %s but missing on this"
                  " node: %s", base.name,
                  utils.CommaJoin(sorted(missing)))

  # -- cross-node checks -------------------------------------------------------

  def _VerifyFiles(self, nodeinfo, master_node, all_nvinfo, file_names,
                   filemap):
    """Compare the checksums of the distributed files across nodes.

    @param nodeinfo: the objects.Node to compare
    @param all_nvinfo: node name -> RpcResult of node_verify
    @param file_names: virtual (wire) name -> local file name
    @param filemap: (files_all, files_opt, files_mc, files_vm)

    """
    (files_all, files_opt, files_mc, files_vm) = filemap
    # which nodes must hold which file
    nodefiles = {}
    for (files, fn) in [
        (files_all, None),
        (files_mc, lambda node: (node.master_candidate or
                                 node.name == master_node)),
        (files_vm, lambda node: node.vm_capable)]:
      if fn is None:
        wanted = frozenset(node.name for node in nodeinfo)
      else:
        wanted = frozenset(node.name for node in nodeinfo if fn(node))
      for file_name in files:
        nodefiles[file_name] = wanted

    fileinfo = dict((file_name, {}) for file_name in nodefiles)
    ignore_nodes = set()
    for node in nodeinfo:
      if node.offline:
        ignore_nodes.add(node.name)
        continue
      nresult = all_nvinfo.get(node.name)
      if nresult is None or nresult.fail_msg or not nresult.payload:
        node_files = None
      else:
        node_files = nresult.payload.get(constants.NV_FILELIST, None)
      test = not isinstance(node_files, dict)
      self._ErrorIf(test, constants.CV_ENODEFILECHECK, node.name,
                    "Node did not return file checksum data")
      if test:
        ignore_nodes.add(node.name)
        continue
      for (wire_name, checksum) in node_files.items():
        file_name = file_names.get(wire_name, wire_name)
        if file_name in fileinfo:
          fileinfo[file_name].setdefault(checksum, set()).add(node.name)

    for file_name in sorted(fileinfo):
      checksums = fileinfo[file_name]
      shown = cluster_utils.DisplayPath(file_name)
      expected_nodes = nodefiles[file_name] - ignore_nodes
      with_file = frozenset(name for nodes in checksums.values()
                            for name in nodes) - ignore_nodes
      missing_file = expected_nodes - with_file
      if file_name in files_opt:
        self._ErrorIf(missing_file and missing_file != expected_nodes,
                      constants.CV_ECLUSTERFILECHECK, None,
                      "File %s is optional, but it must exist on all or no"
                      " nodes (not found on %s)", shown,
                      utils.CommaJoin(utils.NiceSort(missing_file)))
      else:
        self._ErrorIf(missing_file, constants.CV_ECLUSTERFILECHECK, None,
                      "File %s is missing from node(s) %s", shown,
                      utils.CommaJoin(utils.NiceSort(missing_file)))
        unexpected = with_file - expected_nodes
        self._ErrorIf(unexpected, constants.CV_ECLUSTERFILECHECK, None,
                      "File %s should not exist on node(s) %s", shown,
                      utils.CommaJoin(utils.NiceSort(unexpected)))

      test = len(checksums) > 1
      if test:
        # ordered by their first node, so the report reads the same each run
        groups = sorted((utils.NiceSort(nodes) for nodes in checksums.values()),
                        key=lambda names: utils.NiceSortKey(names[0]))
        variants = ["variant %s on %s" % (idx + 1, utils.CommaJoin(names))
                    for (idx, names) in enumerate(groups)]
      else:
        variants = []
      self._ErrorIf(test, constants.CV_ECLUSTERFILECHECK, None,
                    "File %s found with %s different checksums (%s)",
                    shown, len(checksums), "; ".join(variants))

  def _VerifyInstance(self, instance, inst_config, node_image):
    """Checks of one instance from the configuration and node answers."""
    pnode = inst_config.primary_node
    pnode_img = node_image.get(pnode)
    node_vol_should = _InstanceLVs(inst_config)
    for (node, volumes) in sorted(node_vol_should.items()):
      n_img = node_image.get(node)
      if n_img is None or n_img.offline or n_img.rpc_fail or n_img.lvm_fail:
        # the node's problem is reported on its own
        continue
      for volume in volumes:
        self._ErrorIf(volume not in n_img.volumes,
                      constants.CV_EINSTANCEMISSINGDISK, instance,
                      "volume %s missing on node %s", volume, node)

    if pnode_img is None:
      self._ErrorIf(True, constants.CV_EINSTANCEBADNODE, instance,
                    "instance lives on unknown node %s", pnode)
      return
    should_run = inst_config.admin_state == constants.ADMINST_UP
    if should_run:
      self._ErrorIf(pnode_img.offline, constants.CV_EINSTANCEBADNODE,
                    instance, "instance is marked as running and lives on"
                    " offline node %s", pnode)
      if (not pnode_img.offline and not pnode_img.rpc_fail and
          pnode_img.instances is not None):
        self._ErrorIf(instance not in pnode_img.instances,
                      constants.CV_EINSTANCEDOWN, instance,
                      "instance not running on its primary node %s", pnode)

    for (node, n_img) in sorted(node_image.items()):
      if node == pnode or n_img.instances is None:
        continue
      self._ErrorIf(instance in n_img.instances,
                    constants.CV_EINSTANCEWRONGNODE, instance,
                    "instance should not run on node %s", node)

    secondaries = _InstanceSecondaries(inst_config)
    self._ErrorIf(len(secondaries) > 1, constants.CV_EINSTANCELAYOUT,
                  instance, "instance has multiple secondary nodes: %s",
                  utils.CommaJoin(secondaries), code=ETYPE_WARNING)

    inst_nodes = [pnode] + list(secondaries)
    groups = set(self.all_node_info[name].group for name in inst_nodes
                 if name in self.all_node_info)
    if len(groups) > 1:
      self._ErrorIf(True, constants.CV_EINSTANCESPLITGROUPS, instance,
                    "instance has primary and secondary nodes in different"
                    " groups: %s, this is not recommended",
                    utils.CommaJoin(utils.NiceSort(inst_nodes)),
                    code=ETYPE_WARNING)

    offline_nodes = [name for name in inst_nodes
                     if name in node_image and node_image[name].offline]
    self._ErrorIf(offline_nodes, constants.CV_EINSTANCEBADNODE, instance,
                  "instance has offline secondary node(s) %s",
                  utils.CommaJoin(offline_nodes))
    non_vm = [name for name in inst_nodes
              if name in node_image and not node_image[name].vm_capable]
    self._ErrorIf(non_vm, constants.CV_EINSTANCEBADNODE, instance,
                  "instance lives on non-vm_capable node(s) %s",
                  utils.CommaJoin(non_vm))
    return node_vol_should

  def _VerifyOrphanVolumes(self, node_vol_should, node_image, reserved):
    """Report volumes no instance owns and no reserved pattern matches."""
    patterns = [re.compile("^(%s)$" % pat) for pat in reserved]
    for (node, n_img) in sorted(node_image.items()):
      if (n_img.offline or n_img.rpc_fail or n_img.lvm_fail or
          not n_img.vm_capable):
        continue
      for volume in sorted(n_img.volumes):
        test = ((node not in node_vol_should or
                 volume not in node_vol_should[node]) and
                not any(pat.match(volume) for pat in patterns))
        self._ErrorIf(test, constants.CV_ENODEORPHANLV, node,
                      "volume %s is unknown", volume)

  def _VerifyNPlusOneMemory(self, node_image):
    """Check each node could take over the instances of a failing node."""
    cluster = self.cfg.GetClusterInfo()
    for (node, n_img) in sorted(node_image.items()):
      if n_img.offline or n_img.mfree is None:
        # no memory data: nothing can be judged for this node
        continue
      for (prinode, instances) in sorted(n_img.sbp.items()):
        needed_mem = 0
        for inst_name in instances:
          inst = self.all_inst_info[inst_name]
          bep = cluster.FillBE(inst)
          if bep.get(constants.BE_AUTO_BALANCE):
            needed_mem += bep[constants.BE_MAXMEM]
        self._ErrorIf(n_img.mfree < needed_mem, constants.CV_ENODEN1, node,
                      "not enough memory to accomodate instance failovers"
                      " should node %s fail (%dMiB needed, %dMiB available)",
                      prinode, needed_mem, n_img.mfree)

  # -- the whole verification --------------------------------------------------

  def _BuildNodeVerifyParams(self, node_data_list, filemap):
    cfg = self.cfg
    cluster = cfg.GetClusterInfo()
    file_names = {}
    for files in filemap:
      for file_name in files:
        file_names[vcluster.MakeVirtualPath(file_name)] = file_name

    online_nodes = [node.name for node in node_data_list if not node.offline]
    # one node of every other group, so groups are known to see each other
    other_group_nodes = {}
    for name in utils.NiceSort(self.all_node_info):
      node = self.all_node_info[name]
      if (node.group != self.group_uuid and not node.offline and
          node.group not in other_group_nodes):
        other_group_nodes[node.group] = name

    user_scripts = []
    if os.path.isdir(pathutils.USER_SCRIPTS_DIR):
      for script in utils.ListVisibleFiles(pathutils.USER_SCRIPTS_DIR):
        user_scripts.append(vcluster.MakeVirtualPath(
          utils.PathJoin(pathutils.USER_SCRIPTS_DIR, script)))

    params = {
      constants.NV_FILELIST: utils.NiceSort(file_names),
      constants.NV_NODELIST: online_nodes + list(other_group_nodes.values()),
      constants.NV_NODENETTEST: [(node.name, node.primary_ip,
                                  node.secondary_ip or node.primary_ip)
                                 for node in node_data_list
                                 if not node.offline],
      constants.NV_VERSION: None,
      constants.NV_NODESETUP: None,
      constants.NV_TIME: None,
      constants.NV_MASTERIP: (cfg.GetMasterNode(), cfg.GetMasterIP()),
      constants.NV_OSLIST: None,
      constants.NV_VMNODES: cfg.GetNonVmCapableNodeList(),
      constants.NV_USERSCRIPTS: user_scripts,
      }
    if cluster_utils.HypervisorLayerPresent():
      hypervisors = list(cluster.enabled_hypervisors)
      params[constants.NV_HYPERVISOR] = hypervisors
      params[constants.NV_HVPARAMS] = GetAllHypervisorParameters(
        cluster, self.my_inst_info.values())
      params[constants.NV_INSTANCELIST] = hypervisors
      params[constants.NV_HVINFO] = cfg.GetHypervisorType()
    vg_name = cfg.GetVGName()
    if vg_name:
      params[constants.NV_VGLIST] = None
      params[constants.NV_LVLIST] = vg_name
      params[constants.NV_PVLIST] = [vg_name]
    drbd_helper = cfg.GetDRBDHelper()
    if drbd_helper:
      params[constants.NV_DRBDLIST] = None
      params[constants.NV_DRBDHELPER] = drbd_helper

    bridges = set()
    default_nicpp = cluster.nicparams[constants.PP_DEFAULT]
    if default_nicpp[constants.NIC_MODE] == constants.NIC_MODE_BRIDGED:
      bridges.add(default_nicpp[constants.NIC_LINK])
    for inst in self.my_inst_info.values():
      for nic in inst.nics or []:
        full_nic = cluster.SimpleFillNIC(nic.nicparams)
        if full_nic[constants.NIC_MODE] == constants.NIC_MODE_BRIDGED:
          bridges.add(full_nic[constants.NIC_LINK])
    if bridges and self.my_inst_info:
      # bridges only matter once instances need them
      params[constants.NV_BRIDGES] = sorted(bridges)

    oob_paths = set()
    for node in node_data_list:
      path = cluster.FillND(node, self.cfg.GetNodeGroup(node.group)).get(
        constants.ND_OOB_PROGRAM)
      if path:
        oob_paths.add(path)
    if oob_paths:
      params[constants.NV_OOB_PATHS] = sorted(oob_paths)
    return (params, file_names)

  def Exec(self, feedback_fn):
    self.bad = False
    self._feedback_fn = feedback_fn
    verbose = self.op.verbose
    feedback_fn("* Verifying group '%s'" % self.group_info.name)
    if not self.my_node_names:
      feedback_fn("* Empty node group, skipping verification")
      return True

    cfg = self.cfg
    cluster = cfg.GetClusterInfo()
    master_node = cfg.GetMasterNode()
    vg_name = cfg.GetVGName() or None
    drbd_helper = cfg.GetDRBDHelper()
    node_data_list = [self.my_node_info[name] for name in self.my_node_names]

    filemap = cluster_utils.ComputeAncillaryFiles(cluster, False)
    (node_verify_param, file_names) = \
      self._BuildNodeVerifyParams(node_data_list, filemap)

    node_image = dict((node.name, _NodeImage(offline=node.offline,
                                             name=node.name,
                                             vm_capable=node.vm_capable))
                      for node in node_data_list)
    # instances of the group, by node
    for (inst_name, inst) in sorted(self.my_inst_info.items()):
      pnode = inst.primary_node
      if pnode in node_image:
        node_image[pnode].pinst.append(inst_name)
      for snode in _InstanceSecondaries(inst):
        if snode not in node_image:
          continue
        nimg = node_image[snode]
        nimg.sinst.append(inst_name)
        nimg.sbp.setdefault(pnode, []).append(inst_name)

    feedback_fn("* Gathering data (%d nodes)" % len(self.my_node_names))
    nvinfo_starttime = time.time()
    all_nvinfo = self.rpc.call_node_verify(self.my_node_names,
                                           node_verify_param,
                                           cfg.GetClusterName())
    nvinfo_endtime = time.time()

    # the master's files are the reference even when it is in another group
    vf_nvinfo = dict(all_nvinfo)
    vf_node_info = list(node_data_list)
    if master_node not in self.my_node_info:
      vf_node_info.append(self.all_node_info[master_node])
      key = constants.NV_FILELIST
      vf_nvinfo.update(self.rpc.call_node_verify(
        [master_node], {key: node_verify_param[key]}, cfg.GetClusterName()))

    feedback_fn("* Verifying configuration file consistency")
    self._VerifyFiles(vf_node_info, master_node, vf_nvinfo, file_names,
                      filemap)

    feedback_fn("* Verifying node status")
    refos_img = None
    n_offline = 0
    n_drained = 0
    for node_i in node_data_list:
      node = node_i.name
      nimg = node_image[node]
      if node_i.offline:
        if verbose:
          feedback_fn("* Skipping offline node %s" % (node, ))
        n_offline += 1
        continue
      if node == master_node:
        ntype = "master"
      elif node_i.master_candidate:
        ntype = "master candidate"
      elif node_i.drained:
        ntype = "drained"
        n_drained += 1
      else:
        ntype = "regular"
      if verbose:
        feedback_fn("* Verifying node %s (%s)" % (node, ntype))

      node_result = all_nvinfo.get(node)
      if node_result is None:
        msg = "no answer"
      else:
        msg = node_result.fail_msg
      self._ErrorIf(msg, constants.CV_ENODERPC, node,
                    "while contacting node: %s", msg)
      if msg:
        nimg.rpc_fail = True
        continue
      nresult = node_result.payload
      if not self._VerifyNode(node_i, nresult):
        nimg.rpc_fail = True
        continue
      self._VerifyNodeTime(node_i, nresult, nvinfo_starttime,
                           nvinfo_endtime)
      self._VerifyNodeNetwork(node_i, nresult)
      self._VerifyNodeUserScripts(node_i, nresult)
      self._VerifyOob(node_i, nresult)
      if nimg.vm_capable:
        self._VerifyNodeLVM(node_i, nresult, vg_name)
        self._VerifyNodeDrbdHelper(node_i, nresult, drbd_helper)
        self._UpdateNodeVolumes(node_i, nresult, nimg, vg_name)
        self._UpdateNodeInstances(node_i, nresult, nimg)
        self._UpdateNodeInfo(node_i, nresult, nimg)
        self._UpdateNodeOS(node_i, nresult, nimg)
        if not nimg.os_fail:
          if refos_img is None:
            refos_img = nimg
          self._VerifyNodeOS(node_i, nimg, refos_img)

    feedback_fn("* Verifying instance status")
    node_vol_should = {}
    i_non_redundant = []
    i_non_a_balanced = []
    i_offline = 0
    for instance in self.my_inst_names:
      if verbose:
        feedback_fn("* Verifying instance %s" % instance)
      inst_config = self.my_inst_info[instance]
      if inst_config.admin_state == constants.ADMINST_OFFLINE:
        i_offline += 1
      inst_lvs = self._VerifyInstance(instance, inst_config, node_image)
      for (node, volumes) in (inst_lvs or {}).items():
        node_vol_should.setdefault(node, []).extend(volumes)
      if inst_config.disk_template not in constants.DTS_MIRRORED:
        i_non_redundant.append(instance)
      elif not cluster.FillBE(inst_config).get(constants.BE_AUTO_BALANCE):
        i_non_a_balanced.append(instance)

    feedback_fn("* Verifying orphan volumes")
    if vg_name:
      self._VerifyOrphanVolumes(node_vol_should, node_image,
                                cluster.reserved_lvs or [])

    if constants.VERIFY_NPLUSONE_MEM not in self.op.skip_checks:
      feedback_fn("* Verifying N+1 Memory redundancy")
      self._VerifyNPlusOneMemory(node_image)

    feedback_fn("* Other Notes")
    if i_non_redundant:
      feedback_fn("  - NOTICE: %d non-redundant instance(s) found." %
                  len(i_non_redundant))
    if i_non_a_balanced:
      feedback_fn("  - NOTICE: %d non-auto-balanced instance(s) found." %
                  len(i_non_a_balanced))
    if i_offline:
      feedback_fn("  - NOTICE: %d offline instance(s) found." % i_offline)
    if n_offline:
      feedback_fn("  - NOTICE: %d offline node(s) found." % n_offline)
    if n_drained:
      feedback_fn("  - NOTICE: %d drained node(s) found." % n_drained)
    return not self.bad

  def HooksCallBack(self, phase, hooks_results, feedback_fn, lu_result):
    """Merge the post hooks' results into the verification's outcome."""
    if phase != constants.HOOKS_PHASE_POST or not hooks_results:
      return lu_result
    self._feedback_fn = feedback_fn
    bad_before = getattr(self, "bad", False)
    self.bad = False
    feedback_fn("* Hooks Results")
    for node_name in utils.NiceSort(hooks_results):
      res = hooks_results[node_name]
      msg = res.fail_msg
      self._ErrorIf(msg and not res.offline, constants.CV_ENODEHOOKS,
                    node_name, "Communication failure in hooks execution:"
                    " %s", msg)
      if res.offline or msg:
        continue
      for (script, hkr, output) in res.payload or []:
        test = hkr == constants.HKR_FAIL
        self._ErrorIf(test, constants.CV_ENODEHOOKS, node_name,
                      "Script %s failed, output:", script)
        if test:
          feedback_fn(_HOOKS_INDENT_RE.sub("      ", output or ""))
    hooks_bad = self.bad
    self.bad = bad_before or hooks_bad
    return bool(lu_result) and not hooks_bad



def _InstanceNodes(inst):
  return config_verify.InstanceAllNodes(inst)


def _InstanceSecondaries(inst):
  return list(config_verify.InstanceSecondaryNodes(inst))


def _InstanceLVs(inst):
  return config_verify.InstanceLVs(inst)
