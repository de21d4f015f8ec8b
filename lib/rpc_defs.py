"""The node RPC calls, each declared once as a record.

Layer 4 (wire).  Every call the master (or a bootstrapping tool) makes to a
node daemon is an `RpcCall` here: its name (the URL path on the node), how
many nodes it goes to (`SINGLE`: one node name, one result; `MULTI`: a list
of names, a dict of results), its timeout class, its arguments (name, how
the value is encoded for the wire, description), the backend function the
node daemon runs for it, an optional post-processor of the payload on the
caller's side, and a description.  lib/rpc.py generates the ``call_<name>``
methods from these records and lib/server/noded.py its dispatch table, so
the two ends cannot disagree about a call.

Argument encodings are named here (``ED_*``); the caller's encoders live in
lib/rpc.py (they read files, need path conventions) and the node daemon
spreads the arguments whose encoding says so.

This module holds data only: it must not send anything, read files or
import the backend (the node daemon resolves ``backend_fn`` by name).
"""

import collections
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

from ganeti import constants
from ganeti import errors


SINGLE = "single"
MULTI = "multi"
CALL_KINDS = frozenset([SINGLE, MULTI])

# Argument encodings (what the caller does to a value before sending it)

#: An objects.ConfigObject (or its dict form) sent as a dict
ED_OBJECT_DICT = "object-dict"
#: A local file name: the caller reads the file and sends
#: [virtual path, packed contents, mode, owner, group, atime, mtime]; the
#: node daemon passes these as seven arguments to the backend function
ED_FILE_DETAILS = "file-details"
#: File contents sent as [encoding, data] (zlib+base64 when large)
ED_COMPRESS = "compress"
#: A local path sent in the node-independent form of a virtual cluster
ED_VIRT_PATH = "virtual-path"
#: A list of [old, new] local path pairs, each path as in ED_VIRT_PATH
ED_VIRT_PATH_PAIRS = "virtual-path-pairs"

ENCODINGS = frozenset([ED_OBJECT_DICT, ED_FILE_DETAILS, ED_COMPRESS,
                       ED_VIRT_PATH, ED_VIRT_PATH_PAIRS])

#: Encodings whose value the node daemon spreads into several arguments
SPREAD_ENCODINGS = frozenset([ED_FILE_DETAILS])

#: Seconds test_delay may take beyond the requested sleep
TEST_DELAY_MARGIN = 5

RpcArg = collections.namedtuple("RpcArg", ["name", "encoding", "description"])

Timeout = Union[int, Callable[..., int]]


class RpcCall:
  """One node call (see the module docstring for the fields).

  ``timeout`` is a number of seconds (one of constants.RPC_TMO_*) or a
  function of the call's arguments returning one.

  """
  __slots__ = ["name", "kind", "timeout", "args", "backend_fn", "postproc",
               "description"]

  def __init__(self, name: str, kind: str, timeout: Timeout,
               args: Sequence[RpcArg], backend_fn: str,
               description: str, postproc: Optional[Callable] = None):
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
      raise errors.ProgrammerError("Invalid RPC call name %r" % (name, ))
    if kind not in CALL_KINDS:
      raise errors.ProgrammerError("RPC call %s: invalid kind %r" %
                                   (name, kind))
    if not (callable(timeout) or
            (isinstance(timeout, int) and not isinstance(timeout, bool) and
             timeout > 0)):
      raise errors.ProgrammerError("RPC call %s: invalid timeout %r" %
                                   (name, timeout))
    for arg in args:
      if not isinstance(arg, RpcArg):
        raise errors.ProgrammerError("RPC call %s: argument %r is not an"
                                     " RpcArg" % (name, arg))
      if arg.encoding is not None and arg.encoding not in ENCODINGS:
        raise errors.ProgrammerError("RPC call %s: argument %s has unknown"
                                     " encoding %r" %
                                     (name, arg.name, arg.encoding))
    names = [arg.name for arg in args]
    if len(set(names)) != len(names) or "node" in names or \
        "node_list" in names:
      raise errors.ProgrammerError("RPC call %s: argument names %s must be"
                                   " unique and not 'node'/'node_list'" %
                                   (name, names))
    if not description:
      raise errors.ProgrammerError("RPC call %s needs a description" % name)
    self.name = name
    self.kind = kind
    self.timeout = timeout
    self.args = tuple(args)
    self.backend_fn = backend_fn
    self.postproc = postproc
    self.description = description

  def GetTimeout(self, args: Sequence) -> int:
    """The read timeout of one call with these (unencoded) arguments."""
    if callable(self.timeout):
      return self.timeout(*args)
    return self.timeout

  def __repr__(self):
    return "<RpcCall %s (%s, %d args)>" % (self.name, self.kind,
                                          len(self.args))


def _A(name: str, description: str, encoding: Optional[str] = None
       ) -> RpcArg:
  return RpcArg(name, encoding, description)


def _TestDelayTimeout(duration) -> int:
  """Enough time for the sleep itself, whatever the class timeouts are."""
  try:
    return max(1, int(duration) + TEST_DELAY_MARGIN)
  except (TypeError, ValueError):
    # the node refuses the bad value; the call itself need not wait long
    return TEST_DELAY_MARGIN


def _HooksResults(payload):
  """[(script, status, output), ...] as tuples, as the hooks code expects."""
  return [tuple(entry) for entry in payload]


def _AsTuple(payload):
  return tuple(payload)


_CALL_LIST = [
  # Version and information
  RpcCall("version", MULTI, constants.RPC_TMO_URGENT, [], "GetVersion",
          "Returns the node daemon's RPC protocol version"),
  RpcCall("node_info", MULTI, constants.RPC_TMO_URGENT, [
    _A("vg_names", "Volume groups to report on"),
    _A("hv_names", "Hypervisors to report on"),
    ], "GetNodeInfo", "Returns memory, CPU and volume group information"),
  RpcCall("node_verify", MULTI, constants.RPC_TMO_NORMAL, [
    _A("checkdict", "Checks to run (NV_* key -> parameters)"),
    _A("cluster_name", "Name of the cluster being verified"),
    ], "VerifyNode", "Runs the node checks of cluster verify"),
  RpcCall("master_info", MULTI, constants.RPC_TMO_URGENT, [],
          "GetMasterInfo", "Returns what the node knows about the master"
          " (netdev, IP, node, IP family, netmask)", postproc=_AsTuple),
  RpcCall("node_tcp_ping", SINGLE, constants.RPC_TMO_URGENT, [
    _A("source", "Local address to ping from, or None"),
    _A("target", "Address to ping"),
    _A("port", "TCP port"),
    _A("timeout", "Seconds to wait"),
    _A("live_port_needed", "Whether a refused connection counts as failure"),
    ], "TcpPing", "Checks TCP reachability of an address from the node"),
  RpcCall("node_has_ip_address", SINGLE, constants.RPC_TMO_URGENT, [
    _A("address", "IP address"),
    ], "NodeHasIpAddress", "Tells whether an IP address is on the node"),
  RpcCall("os_diagnose", MULTI, constants.RPC_TMO_FAST, [], "DiagnoseOS",
          "Lists the OS definitions found on the node"),
  RpcCall("export_list", MULTI, constants.RPC_TMO_FAST, [], "ListExports",
          "Lists the instance exports kept on the node"),
  RpcCall("vg_list", MULTI, constants.RPC_TMO_URGENT, [],
          "ListVolumeGroups", "Returns the node's volume groups and sizes"),
  RpcCall("lv_list", MULTI, constants.RPC_TMO_URGENT, [
    _A("vg_name", "Volume group (or list of them)"),
    ], "GetVolumeList", "Returns the logical volumes of a volume group"),

  # Files and configuration distribution
  RpcCall("upload_file", MULTI, constants.RPC_TMO_NORMAL, [
    _A("file_name", "Local file to send (must be an allowed target)",
       ED_FILE_DETAILS),
    ], "UploadFile", "Writes one of the cluster files on the node"),
  RpcCall("write_ssconf_files", MULTI, constants.RPC_TMO_NORMAL, [
    _A("values", "ssconf key -> value"),
    ], "WriteSsconfFiles", "Writes the node's ssconf files"),
  RpcCall("etc_hosts_modify", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("mode", "'add' or 'remove'"),
    _A("name", "Host name"),
    _A("ip", "IP address ('add'), None ('remove')"),
    ], "EtcHostsModify", "Adds or removes a host in the hosts file"),
  RpcCall("node_demote_from_mc", SINGLE, constants.RPC_TMO_FAST, [],
          "DemoteFromMC", "Drops the configuration of a node that is no"
          " longer a master candidate"),

  # Job queue replication
  RpcCall("jobqueue_update", MULTI, constants.RPC_TMO_URGENT, [
    _A("file_name", "Job queue file", ED_VIRT_PATH),
    _A("content", "File contents", ED_COMPRESS),
    ], "JobQueueUpdate", "Writes a replicated job queue file"),
  RpcCall("jobqueue_rename", MULTI, constants.RPC_TMO_URGENT, [
    _A("rename", "List of [old, new] job queue file names",
       ED_VIRT_PATH_PAIRS),
    ], "JobQueueRenameFiles", "Renames replicated job queue files"),
  RpcCall("jobqueue_purge", SINGLE, constants.RPC_TMO_NORMAL, [],
          "JobQueuePurge", "Removes every job queue file on the node"),

  # Hooks
  RpcCall("hooks_runner", MULTI, constants.HOOKS_RPC_TIMEOUT, [
    _A("hpath", "Hooks path of the operation"),
    _A("phase", "'pre' or 'post'"),
    _A("env", "Environment of the scripts"),
    ], "RunHooks", "Runs the hook scripts of an operation phase",
          postproc=_HooksResults),

  # Master role
  RpcCall("node_start_master_daemons", SINGLE, constants.RPC_TMO_FAST, [
    _A("no_voting", "Start the master daemon without voting"),
    ], "StartMasterDaemons", "Starts the master daemons on the node"),
  RpcCall("node_stop_master", SINGLE, constants.RPC_TMO_FAST, [],
          "StopMasterDaemons", "Stops the master daemons on the node"),
  RpcCall("node_activate_master_ip", SINGLE, constants.RPC_TMO_FAST, [
    _A("master_params", "objects.MasterNetworkParameters", ED_OBJECT_DICT),
    _A("use_external_mip_script", "Use the user's master IP script"),
    ], "ActivateMasterIp", "Brings the master IP up on the node"),
  RpcCall("node_deactivate_master_ip", SINGLE, constants.RPC_TMO_FAST, [
    _A("master_params", "objects.MasterNetworkParameters", ED_OBJECT_DICT),
    _A("use_external_mip_script", "Use the user's master IP script"),
    ], "DeactivateMasterIp", "Takes the master IP down on the node"),

  # Node life cycle
  RpcCall("node_leave_cluster", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("modify_ssh_setup", "Also remove the cluster SSH key"),
    ], "LeaveCluster", "Removes the node's cluster files; the node daemon"
          " answers, then exits"),
  RpcCall("node_powercycle", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("hypervisor", "Hypervisor type of the node"),
    ], "PowercycleNode", "Hard-resets the node after answering"),

  # Testing
  RpcCall("test_delay", MULTI, _TestDelayTimeout, [
    _A("duration", "Seconds to sleep"),
    ], "TestDelay", "Sleeps on the node (debugging opcode)"),

  # Storage units (2.1 design)
  RpcCall("storage_list", MULTI, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type (lvm-pv, lvm-vg, file)"),
    _A("su_args", "Type-specific arguments (file: directories)"),
    _A("name", "Only this storage unit, or None for all"),
    _A("fields", "Fields to report (name, size, used, free, allocatable)"),
    ], "StorageList", "Lists the storage units of one type"),
  RpcCall("storage_modify", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type"),
    _A("su_args", "Type-specific arguments"),
    _A("name", "Storage unit name"),
    _A("changes", "Field -> new value"),
    ], "StorageModify", "Changes a field of a storage unit"),
  RpcCall("storage_execute", SINGLE, constants.RPC_TMO_NORMAL, [
    _A("su_name", "Storage type"),
    _A("su_args", "Type-specific arguments"),
    _A("name", "Storage unit name"),
    _A("op", "Operation (fix-consistency)"),
    ], "StorageExecute", "Runs a repair operation on a storage unit"),
  RpcCall("node_volumes", MULTI, constants.RPC_TMO_FAST, [],
          "NodeVolumes", "Lists logical volumes with their physical device"),
  ]

#: Every call by name
CALLS: Dict[str, RpcCall] = dict((c.name, c) for c in _CALL_LIST)

if len(CALLS) != len(_CALL_LIST):
  raise errors.ProgrammerError("Duplicate RPC call names in rpc_defs")


def GetCall(name: str) -> Optional[RpcCall]:
  """The call named ``name``, or None."""
  return CALLS.get(name)


def CallNames() -> Tuple[str, ...]:
  """All call names, sorted."""
  return tuple(sorted(CALLS))
