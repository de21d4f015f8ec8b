"""The node side of cluster verification (the node_verify call).

Layer 3 (node side).  The master sends a dict whose keys are
``constants.NV_*`` and whose values parametrise each check; the node
answers with a dict carrying, for each requested key, what it found (file
checksums, versions, time, reachability of other nodes, LVM data, OS
definitions, ...).  A failing sub-check is reported in its entry (as
Ganeti does, mostly as an error text) so the master can name it; only
bad input fails the whole call.

The hypervisor checks go through the hypervisor layer (via
backend_instance): NV_HYPERVISOR runs each hypervisor's own Verify,
NV_HVPARAMS validates parameter sets on this node and reports only the
failing ones, NV_INSTANCELIST lists the running instances and NV_HVINFO
gives the hypervisor's view of memory and CPUs.

This module must not judge the answers (LUClusterVerify compares them
across nodes) and must not import master-side modules.
"""

import logging
import os
import time
from typing import Dict, List

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.backend_base import Fail, GetMyName, RPCFail
from ganeti import backend_instance
from ganeti import backend_lvm
from ganeti import backend_os


#: Seconds to wait for one node when testing reachability; lower than
#: Ganeti's 10 s because a verify pings every node in turn
NODE_PING_TIMEOUT = 5.0


_PROC_DRBD = "/proc/drbd"
_DRBD_HELPER_FILE = "/sys/module/drbd/parameters/usermode_helper"


def _CheckList(value, key: str) -> list:
  if not isinstance(value, (list, tuple)):
    Fail("Invalid value for verify check '%s': expected a list, got %s",
         key, type(value).__name__)
  return list(value)


def _ResolveNode(name: str):
  """Returns (address, None) or (None, error text) for a node name."""
  try:
    return (netutils.Hostname.GetIP(name), None)
  except errors.ResolverError as err:
    return (None, "cannot resolve node name %s: %s" % (name, err.args[-1]))


def _VerifyNodeList(value, my_name: str) -> Dict[str, str]:
  """Checks TCP reachability of other nodes (ssh port, refused is fine).

  Accepts Ganeti 2.6's plain list of names, and the later
  ``[names, {node: extra names}]`` form.

  """
  if (isinstance(value, (list, tuple)) and len(value) == 2 and
      isinstance(value[0], (list, tuple)) and isinstance(value[1], dict)):
    nodes = list(value[0]) + list(value[1].get(my_name, []))
  else:
    nodes = _CheckList(value, constants.NV_NODELIST)
  port = netutils.GetDaemonPort(constants.SSH)
  failures = {}
  for node in nodes:
    if not isinstance(node, str) or not node:
      Fail("Invalid node name %r in verify check '%s'", node,
           constants.NV_NODELIST)
    (address, error) = _ResolveNode(node)
    if error:
      failures[node] = error
    elif not netutils.TcpPing(address, port, timeout=NODE_PING_TIMEOUT):
      failures[node] = ("TCP connection to %s (%s) port %d failed" %
                        (node, address, port))
  return failures


def _VerifyNodeNetTest(value, my_name: str) -> Dict[str, str]:
  """Pings every node's daemon port from our primary/secondary address."""
  entries = _CheckList(value, constants.NV_NODENETTEST)
  for entry in entries:
    if (not isinstance(entry, (list, tuple)) or len(entry) != 3 or
        not all(isinstance(e, str) and e for e in entry)):
      Fail("Invalid entry %r in verify check '%s': expected [name,"
           " primary ip, secondary ip]", entry, constants.NV_NODENETTEST)
  mine = [(pip, sip) for (name, pip, sip) in entries if name == my_name]
  if not mine:
    return {my_name: "Can't find my own primary/secondary IP in the node"
                     " list"}
  (my_pip, my_sip) = mine[0]
  port = netutils.GetDaemonPort(constants.NODED)
  result = {}
  for (name, pip, sip) in entries:
    failed = []
    try:
      if not netutils.TcpPing(pip, port, timeout=NODE_PING_TIMEOUT,
                              source=my_pip):
        failed.append("primary")
      if sip != pip and not netutils.TcpPing(sip, port,
                                             timeout=NODE_PING_TIMEOUT,
                                             source=my_sip):
        failed.append("secondary")
    except errors.IPAddressError as err:
      result[name] = "invalid address: %s" % err
      continue
    if failed:
      result[name] = ("failure using the %s interface(s)" %
                      " and ".join(failed))
  return result


def _VerifyMasterIp(value, my_name: str) -> bool:
  if (not isinstance(value, (list, tuple)) or len(value) != 2 or
      not all(isinstance(e, str) and e for e in value)):
    Fail("Invalid value %r for verify check '%s': expected [master name,"
         " master ip]", value, constants.NV_MASTERIP)
  (master_name, master_ip) = value
  # the master reaches its own IP from localhost; others from anywhere
  if master_name == my_name:
    source = constants.IP4_ADDRESS_LOCALHOST
  else:
    source = None
  try:
    return netutils.TcpPing(master_ip, netutils.GetDaemonPort(constants.NODED),
                            timeout=NODE_PING_TIMEOUT, source=source)
  except errors.IPAddressError as err:
    Fail("Invalid master IP %r in verify check '%s': %s", master_ip,
         constants.NV_MASTERIP, err)


def _VerifyFileList(value) -> Dict[str, str]:
  files = _CheckList(value, constants.NV_FILELIST)
  local = {}
  for name in files:
    if not isinstance(name, str) or not os.path.isabs(name):
      Fail("Invalid file name %r in verify check '%s'", name,
           constants.NV_FILELIST)
    if vcluster.IsVirtualCluster():
      try:
        local[vcluster.LocalizeVirtualPath(name)] = name
      except errors.ProgrammerError:
        local[name] = name
    else:
      local[name] = name
  sums = utils.FingerprintFiles(list(local))
  # answer with the names the master asked for
  return dict((local[path], digest) for (path, digest) in sums.items())


def _VerifyExecutables(value, key: str) -> List[str]:
  """Returns the given paths that are not executable files."""
  bad = []
  for path in _CheckList(value, key):
    if not isinstance(path, str) or not os.path.isabs(path):
      bad.append("%r is not an absolute path" % (path, ))
    elif not utils.IsExecutable(path):
      bad.append(path)
  return bad


def _VerifyOobPaths(value) -> List[str]:
  errs = []
  for path in _CheckList(value, constants.NV_OOB_PATHS):
    if not isinstance(path, str) or not os.path.isabs(path):
      errs.append("Out-of-band path %r is not absolute" % (path, ))
    elif not os.path.isfile(path):
      errs.append("Out-of-band path %s not found" % path)
    elif not utils.IsExecutable(path):
      errs.append("Out-of-band path %s is not executable" % path)
  return errs


def _VerifyNodeSetup() -> List[str]:
  problems = []
  if not (os.path.isdir("/sys/block") and os.path.isdir("/sys/class/net")):
    problems.append("The sysfs filesystem doesn't seem to be mounted under"
                    " /sys or is missing required entries")
  # the sysrq trigger serves only to powercycle the node, which a virtual
  # node refuses anyway (and containers tend not to offer it)
  needs_sysrq = not vcluster.IsVirtualCluster()
  if not (os.path.isdir("/proc/sys") and
          (os.path.isfile("/proc/sysrq-trigger") or not needs_sysrq)):
    problems.append("The procfs filesystem doesn't seem to be mounted under"
                    " /proc or is missing required entries")
  return problems


def _VerifyBridges(value) -> List[str]:
  missing = []
  for bridge in _CheckList(value, constants.NV_BRIDGES):
    if not isinstance(bridge, str) or not bridge or "/" in bridge or \
        not os.path.isdir("/sys/class/net/%s/bridge" % bridge):
      missing.append(bridge)
  return missing


def ReadDrbdMinors(_proc_file: str = _PROC_DRBD):
  """Returns the DRBD minors in use, or an error text.

  """
  try:
    text = utils.ReadFile(_proc_file)
  except EnvironmentError as err:
    return ("Can't read %s (is the DRBD kernel module loaded?): %s" %
            (_proc_file, err.strerror or err))
  minors = []
  for line in text.splitlines():
    head = line.split(":", 1)
    if len(head) == 2 and head[0].strip().isdigit():
      # unconfigured minors are not in use
      if "cs:Unconfigured" not in head[1]:
        minors.append(int(head[0].strip()))
  return minors


def ReadDrbdHelper(_helper_file: str = _DRBD_HELPER_FILE):
  """Returns (True, helper) or (False, error text)."""
  try:
    return (True, utils.ReadFile(_helper_file).strip())
  except EnvironmentError as err:
    return (False, "Can't read the DRBD usermode helper from %s (is the"
                   " DRBD kernel module loaded?): %s" %
            (_helper_file, err.strerror or err))


def _VerifyHypervisors(hv_names: list) -> Dict[str, object]:
  """{hypervisor: None when its own checks pass, else the problem}."""
  result = {}
  for hv_name in hv_names:
    try:
      hyper = backend_instance.GetHypervisor(hv_name)
      result[hv_name] = hyper.Verify()
    except RPCFail as err:
      result[hv_name] = str(err)
    except errors.HypervisorError as err:
      result[hv_name] = "hypervisor %s verify failed: %s" % (hv_name, err)
  return result


def _VerifyHvParams(entries: list) -> list:
  """[(source, hypervisor, problem)] for the parameter sets that fail.

  @param entries: list of (source, hypervisor name, parameters)

  """
  failures = []
  for entry in entries:
    if not isinstance(entry, (list, tuple)) or len(entry) != 3:
      Fail("Invalid entry %r in verify check '%s': expected [source,"
           " hypervisor, parameters]", entry, constants.NV_HVPARAMS)
    (source, hv_name, hvparams) = entry
    try:
      backend_instance.ValidateHVParams(hv_name, hvparams)
    except RPCFail as err:
      failures.append((source, hv_name, str(err)))
  return failures


def _Lvm(fn, *args):
  """Runs an LVM query; an RPCFail becomes the entry's error text."""
  try:
    return fn(*args)
  except RPCFail as err:
    return str(err)


def VerifyNode(what: dict, cluster_name: str) -> dict:
  """Runs the requested verification checks on this node.

  @param what: dict NV_* key -> parameters of that check
  @param cluster_name: the cluster the master verifies; a node that
      belongs to another cluster refuses to answer
  @return: dict NV_* key -> result, for each requested key this node
      knows; unknown keys are logged and left out
  @raise RPCFail: malformed input, or a cluster name mismatch

  """
  if not isinstance(what, dict):
    Fail("Invalid node_verify request: expected a dict, got %s",
         type(what).__name__)
  if not isinstance(cluster_name, str) or not cluster_name:
    Fail("Invalid cluster name %r in node_verify request", cluster_name)
  try:
    ssconf.VerifyClusterName(cluster_name)
  except errors.GenericError as err:
    Fail("Refusing to verify for cluster %s: %s", cluster_name, err)

  my_name = GetMyName()
  result = {}
  for (key, value) in what.items():
    if key == constants.NV_HYPERVISOR:
      result[key] = _VerifyHypervisors(_CheckList(value, key))
    elif key == constants.NV_HVPARAMS:
      result[key] = _VerifyHvParams(_CheckList(value, key))
    elif key == constants.NV_INSTANCELIST:
      try:
        result[key] = backend_instance.GetInstanceList(
          _CheckList(value, key))
      except RPCFail as err:
        result[key] = str(err)
    elif key == constants.NV_HVINFO:
      try:
        result[key] = backend_instance.GetHypervisorNodeInfo(value)
      except RPCFail as err:
        result[key] = str(err)
    elif key == constants.NV_FILELIST:
      result[key] = _VerifyFileList(value)
    elif key == constants.NV_NODELIST:
      result[key] = _VerifyNodeList(value, my_name)
    elif key == constants.NV_NODENETTEST:
      result[key] = _VerifyNodeNetTest(value, my_name)
    elif key == constants.NV_MASTERIP:
      result[key] = _VerifyMasterIp(value, my_name)
    elif key == constants.NV_USERSCRIPTS:
      result[key] = _VerifyExecutables(value, key)
    elif key == constants.NV_OOB_PATHS:
      result[key] = _VerifyOobPaths(value)
    elif key == constants.NV_LVLIST:
      if not isinstance(value, str) or not value:
        Fail("Invalid volume group %r for verify check '%s'", value, key)
      result[key] = _Lvm(backend_lvm.GetVolumeList, [value])
    elif key == constants.NV_VGLIST:
      vgs = _Lvm(backend_lvm.ListVolumeGroups)
      if isinstance(vgs, str):
        result[key] = vgs
      else:
        result[key] = dict((name, size) for (name, (size, _)) in vgs.items())
    elif key == constants.NV_PVLIST:
      result[key] = _Lvm(backend_lvm.GetPVInfo, _CheckList(value, key),
                         False)
    elif key == constants.NV_VERSION:
      result[key] = (constants.PROTOCOL_VERSION, constants.RELEASE_VERSION)
    elif key == constants.NV_TIME:
      result[key] = utils.SplitTime(time.time())
    elif key == constants.NV_NODESETUP:
      result[key] = _VerifyNodeSetup()
    elif key == constants.NV_BRIDGES:
      result[key] = _VerifyBridges(value)
    elif key == constants.NV_DRBDLIST:
      result[key] = ReadDrbdMinors()
    elif key == constants.NV_DRBDHELPER:
      result[key] = ReadDrbdHelper()
    elif key == constants.NV_OSLIST:
      result[key] = backend_os.DiagnoseOS()
    elif key == constants.NV_VMNODES:
      # informational for the master's own bookkeeping, nothing to check
      continue
    else:
      logging.warning("Ignoring unknown node_verify check %r", key)
  return result
