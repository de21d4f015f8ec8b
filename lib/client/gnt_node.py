"""gnt-node: node administration (cli.md 8.2).

Layer 6 (entry points).  ``add`` prepares the machine when needed (on real
hosts: the SSH setup, then the node daemon with the cluster certificate,
both over SSH; on a virtual cluster: the node daemon through bootstrap)
and submits OP_NODE_ADD; ``remove`` submits OP_NODE_REMOVE; ``modify``
(roles, capabilities, secondary IP, parameters) OP_NODE_SET_PARAMS;
``powercycle`` OP_NODE_POWERCYCLE; ``volumes`` OP_NODE_QUERYVOLS;
``list-storage``/``physical-volumes``, ``modify-storage`` and
``repair-storage`` the storage unit opcodes.  ``list``, ``list-fields``
and ``info`` read the master's LUXI ``Query``/``QueryFields`` for the
"node" resource (query2; live values such as mfree come from the node
daemons through the master).  Nothing here changes the configuration
directly: it goes through opcodes.
"""

import logging
import os

from ganeti import bootstrap
from ganeti import cli
from ganeti.client import tags_common
from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import opcodes
from ganeti import pathutils
from ganeti import qlang
from ganeti import rpc
from ganeti import ssconf
from ganeti import ssh
from ganeti import utils
from ganeti import vcluster
from ganeti.cli import (ArgChoice, ArgNode, ArgUnknown, CliOption,
                        CONFIRM_OPT, DRY_RUN_OPT, FIELDS_OPT, FILTER_OPT,
                        FORCE_OPT, IGNORE_CONSIST_OPT, NOHDR_OPT,
                        PRIORITY_OPT,
                        ParamOption, SEP_OPT, SUBMIT_OPT, UNITS_OPT,
                        VERBOSE_OPT)


_SSH_WARNING = ("-- WARNING -- \n"
                "Performing this operation is going to replace the ssh daemon"
                " keypair\n"
                "on the target machine (%s) with the ones of the current one\n"
                "and grant full intra-cluster ssh root access to/from it\n")


def _ReadClusterNodes():
  """(node names, master, {node: secondary ip}) from this node's ssconf.

  gnt-node runs on the master, whose ssconf files follow every change of
  the node list; the opcode checks again under the cluster lock.

  """
  store = ssconf.SimpleStore()
  try:
    nodes = store.GetNodeList()
    master = store.GetMasterNode()
    sips = {}
    for line in store.GetNodeSecondaryIPList():
      fields = line.split()
      if len(fields) == 2:
        sips[fields[0]] = fields[1]
  except errors.ConfigurationError as err:
    raise errors.OpPrereqError("Cannot read the cluster's node list from the"
                               " ssconf files: %s" % err,
                               errors.ECODE_ENVIRON) from err
  return (nodes, master, sips)


def _NodedAnswers(node):
  """Whether the node's daemon answers RPC with the cluster certificate.

  The node is then ready to join (e.g. every node of a virtual cluster
  once its daemon was started with the cluster's server.pem).

  """
  runner = rpc.BootstrapRunner()
  try:
    result = runner.call_version([node]).get(node)
  finally:
    runner.Close()
  if result is None or result.fail_msg:
    logging.info("Node daemon of %s does not answer with the cluster"
                 " certificate: %s", node,
                 result.fail_msg if result is not None else "no answer")
    return False
  return result.payload == constants.PROTOCOL_VERSION


def _NodedListens(node):
  """Whether something accepts connections on the node daemon port."""
  try:
    address = netutils.Hostname.GetIP(node)
  except errors.ResolverError:
    return False
  return netutils.TcpPing(address, netutils.GetDaemonPort(constants.NODED),
                          timeout=2, live_port_needed=True)


def _SshSetupScript(force_join):
  """The remote shell script installing the keys read from stdin.

  Input: a sequence of "<path> <mode> <length>\\n<data>" records, each
  written atomically with its mode.

  """
  check = ""
  if not force_join:
    check = ("if [ -e %s ]; then echo 'Node already belongs to a cluster"
             " (%s exists); use --force-join to join anyway' >&2; exit 1;"
             " fi; " % (utils.ShellQuote(pathutils.NODED_CERT_FILE),
                        pathutils.NODED_CERT_FILE))
  return (check +
          "umask 077 && mkdir -p ~/.ssh && "
          "while read -r path mode len; do "
          "head -c \"$len\" > \"$path.tmp\" && chmod \"$mode\" \"$path.tmp\""
          " && mv -f \"$path.tmp\" \"$path\" || exit 1; done")


#: Makes the node's SSH daemon use the new host keys (run after the keys
#: are installed; failing to reload is not fatal, the keys take effect at
#: the next start)
_SSH_RELOAD_CMD = ("(systemctl reload-or-restart ssh 2>/dev/null ||"
                   " /etc/init.d/ssh restart >/dev/null 2>&1 || true)")


def _ReadBytes(path):
  with open(path, "rb") as fd:
    return fd.read()


def _SshSetupData(user="root"):
  """The records for `_SshSetupScript`: host keys, the user's key pair.

  The node gets the cluster's SSH host keys (so every node has the same
  host key, the one in the cluster's known_hosts) and root's key pair,
  and authorizes that key.

  """
  records = []
  for (path, mode) in [(pathutils.SSH_HOST_RSA_PRIV, 0o600),
                       (pathutils.SSH_HOST_RSA_PUB, 0o644),
                       (pathutils.SSH_HOST_DSA_PRIV, 0o600),
                       (pathutils.SSH_HOST_DSA_PUB, 0o644)]:
    if os.path.exists(path):
      records.append((path, mode, _ReadBytes(path)))
  (priv, pub, auth) = ssh.GetUserFiles(user, dircheck=True)
  pub_data = _ReadBytes(pub)
  records.append((priv, 0o600, _ReadBytes(priv)))
  records.append((pub, 0o644, pub_data))
  auth_data = b""
  if os.path.exists(auth):
    auth_data = _ReadBytes(auth)
  if pub_data.strip() not in auth_data.splitlines():
    auth_data = auth_data.rstrip(b"\n") + b"\n" + pub_data.strip() + b"\n"
  records.append((auth, 0o600, auth_data.lstrip(b"\n")))
  chunks = []
  for (path, mode, data) in records:
    chunks.append(b"%s %o %d\n" % (path.encode("utf-8"), mode, len(data)))
    chunks.append(data)
  return b"".join(chunks)


def _RunSetupSSH(opts, node, cluster_name):
  """Give a real host the cluster's SSH keys (2.6's setup-ssh step).

  @raise errors.OpExecError: the SSH session failed

  """
  runner = ssh.SshRunner(cluster_name)
  port = netutils.GetDaemonPort(constants.SSH)
  # the host does not have the cluster's host key yet
  command = "%s && %s" % (_SshSetupScript(opts.force_join), _SSH_RELOAD_CMD)
  result = runner.Run(node, "root", command,
                      batch=False, ask_key=opts.ssh_key_check,
                      strict_host_check=opts.ssh_key_check,
                      use_cluster_key=False, port=port,
                      data=_SshSetupData())
  if result.failed:
    raise errors.OpExecError("SSH setup of node %s failed: %s; output: %s" %
                             (node, result.fail_reason,
                              result.output.strip()))


def _BuildAddOp(opts, args):
  """The OP_NODE_ADD of "gnt-node add" (generic options not applied)."""
  return opcodes.OpNodeAdd(**cli.OpcodeArgs(
    opcodes.OpNodeAdd, opts, node_name=args[0],
    hv_state=dict(opts.hv_state) if opts.hv_state else None,
    disk_state=_ParseDiskState(opts.disk_state)))


def _ParseDiskState(values):
  """``--disk-state lvm/xenvg:disk_total=...`` pairs as nested dicts."""
  if not values:
    return None
  result = {}
  for (ident, params) in values:
    if "/" not in ident:
      raise errors.OpPrereqError("Invalid disk state '%s': expected"
                                 " <storage type>/<name>" % ident,
                                 errors.ECODE_INVAL)
    (kind, name) = ident.split("/", 1)
    result.setdefault(kind, {})[name] = params
  return result


@cli.OpcodeCommand(opcodes.OpNodeAdd)
def AddNode(opts, args):
  """gnt-node add NODE: prepare a machine and add it to the cluster."""
  node = netutils.GetHostname(name=args[0]).name
  readd = opts.readd
  (nodes, master, sips) = _ReadClusterNodes()
  if readd:
    if node not in nodes:
      cli.ToStderr("Node %s not in the cluster - please retry without"
                   " '--readd'", node)
      return constants.EXIT_FAILURE
    if node == master:
      cli.ToStderr("Node %s is the master, cannot readd", node)
      return constants.EXIT_FAILURE
    if opts.secondary_ip is None:
      opts.secondary_ip = sips.get(node)
  elif node in nodes:
    cli.ToStderr("Node %s already in the cluster (as %s) - please retry with"
                 " '--readd'", node, node)
    return constants.EXIT_FAILURE

  (cluster_name, ) = cli.GetClient().QueryConfigValues(["cluster_name"])

  if vcluster.IsVirtualCluster():
    # virtual nodes share this machine's SSH setup; bootstrap prepares
    # their roots directly
    logging.info("Virtual cluster: no SSH setup for node %s", node)
  elif opts.node_setup:
    if not readd:
      cli.ToStderr(_SSH_WARNING, node)
    _RunSetupSSH(opts, node, cluster_name)

  if _NodedAnswers(node):
    logging.info("Node daemon of %s already runs with the cluster"
                 " certificate", node)
  else:
    if not opts.force_join and _NodedListens(node):
      # a daemon that refuses our certificate serves another cluster;
      # setting the node up would take it away from there
      raise errors.OpPrereqError("Node %s seems to belong to another cluster:"
                                 " its node daemon answers but does not"
                                 " accept this cluster's certificate; use"
                                 " --force-join to join it anyway" % node,
                                 errors.ECODE_STATE)
    bootstrap.SetupNodeDaemon(cluster_name, node,
                              netutils.GetDaemonPort(constants.SSH))

  cli.SubmitOpCode(_BuildAddOp(opts, args), opts=opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpNodeRemove)
def RemoveNode(opts, args):
  """gnt-node remove NODE: remove a node from the cluster."""
  op = opcodes.OpNodeRemove(**cli.OpcodeArgs(opcodes.OpNodeRemove, opts,
                                             node_name=args[0]))
  cli.SubmitOpCode(op, opts=opts)
  return constants.EXIT_SUCCESS


# modify, powercycle

def _StateArgs(opts):
  """hv_state/disk_state of the state options, None when not given."""
  return {
    "hv_state": dict(opts.hv_state) if opts.hv_state else None,
    "disk_state": _ParseDiskState(opts.disk_state),
    }


@cli.OpcodeCommand(opcodes.OpNodeSetParams)
def SetNodeParams(opts, args):
  """gnt-node modify NODE: change a node's roles and parameters."""
  states = _StateArgs(opts)
  changes = [opts.master_candidate, opts.drained, opts.offline,
             opts.master_capable, opts.vm_capable, opts.secondary_ip,
             opts.ndparams, opts.powered, states["hv_state"],
             states["disk_state"]]
  if changes.count(None) == len(changes):
    cli.ToStderr("Please give at least one of the parameters.")
    return constants.EXIT_FAILURE
  op = opcodes.OpNodeSetParams(**cli.OpcodeArgs(
    opcodes.OpNodeSetParams, opts, node_name=args[0], **states))
  result = cli.SubmitOrSend(op, opts)
  if result:
    cli.ToStdout("Modified node %s", args[0])
    for (param, value) in result:
      cli.ToStdout(" - %-5s -> %s", param, value)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpNodePowercycle)
def PowercycleNode(opts, args):
  """gnt-node powercycle NODE: hard-reset a node's machine."""
  node = args[0]
  if not opts.confirm and \
      not cli.AskUser("Are you sure you want to hard powercycle node %s?" %
                      node):
    return 2
  op = opcodes.OpNodePowercycle(node_name=node, force=opts.force)
  result = cli.SubmitOrSend(op, opts)
  if result:
    cli.ToStderr(result)
  return constants.EXIT_SUCCESS


# volumes and storage units

_VOLUME_FIELDS = ["node", "phys", "vg", "name", "size", "instance"]
_VOLUME_HEADERS = {"node": "Node", "phys": "PhysDev", "vg": "VG",
                   "name": "Name", "size": "Size", "instance": "Instance"}

_STORAGE_FIELDS = [constants.SF_NODE, constants.SF_TYPE, constants.SF_NAME,
                   constants.SF_SIZE, constants.SF_USED, constants.SF_FREE,
                   constants.SF_ALLOCATABLE]
_STORAGE_HEADERS = {
  constants.SF_NODE: "Node", constants.SF_TYPE: "Type",
  constants.SF_NAME: "Name", constants.SF_SIZE: "Size",
  constants.SF_USED: "Used", constants.SF_FREE: "Free",
  constants.SF_ALLOCATABLE: "Allocatable",
  }
_STORAGE_SIZES = [constants.SF_SIZE, constants.SF_USED, constants.SF_FREE]


def _PrintTable(opts, headers, fields, rows, sizes):
  for line in cli.GenerateTable(None if opts.no_headers else headers,
                                fields, opts.separator, rows,
                                numfields=sizes, unitfields=sizes,
                                units=opts.units):
    cli.ToStdout(line)


def _CheckFieldNames(fields, known):
  unknown = [name for name in fields if name not in known]
  if unknown:
    raise errors.OpPrereqError("Unknown output field(s): %s" %
                               ", ".join(unknown), errors.ECODE_INVAL)


@cli.OpcodeCommand(opcodes.OpNodeQueryvols)
def ListVolumes(opts, args):
  """gnt-node volumes [NODE...]: the logical volumes of nodes."""
  fields = cli.ParseFields(opts.output, _VOLUME_FIELDS)
  _CheckFieldNames(fields, _VOLUME_HEADERS)
  op = opcodes.OpNodeQueryvols(nodes=args, output_fields=fields)
  rows = cli.SubmitOpCode(op, opts=opts)
  _PrintTable(opts, _VOLUME_HEADERS, fields, rows, ["size"])
  return constants.EXIT_SUCCESS


def _CheckStorageType(user_type):
  if user_type not in constants.VALID_STORAGE_TYPES:
    raise errors.OpPrereqError("Unknown storage type '%s' (valid: %s)" %
                               (user_type, ", ".join(sorted(
                                 constants.VALID_STORAGE_TYPES))),
                               errors.ECODE_INVAL)
  return user_type


def _ListStorage(opts, args, storage_type):
  fields = cli.ParseFields(opts.output, _STORAGE_FIELDS)
  _CheckFieldNames(fields, _STORAGE_HEADERS)
  op = opcodes.OpNodeQueryStorage(nodes=args, storage_type=storage_type,
                                  output_fields=fields)
  rows = cli.SubmitOpCode(op, opts=opts)
  if constants.SF_ALLOCATABLE in fields:
    idx = fields.index(constants.SF_ALLOCATABLE)
    for row in rows:
      row[idx] = "Y" if row[idx] else "N"
  _PrintTable(opts, _STORAGE_HEADERS, fields, rows,
              [name for name in _STORAGE_SIZES if name in fields])
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpNodeQueryStorage)
def ListStorage(opts, args):
  """gnt-node list-storage [-t TYPE] [NODE...]: storage units of nodes."""
  return _ListStorage(opts, args, _CheckStorageType(opts.user_storage_type))


@cli.OpcodeCommand(opcodes.OpNodeQueryStorage)
def ListPhysicalVolumes(opts, args):
  """gnt-node physical-volumes [NODE...]: the LVM physical volumes."""
  return _ListStorage(opts, args, constants.ST_LVM_PV)


@cli.OpcodeCommand(opcodes.OpNodeModifyStorage)
def ModifyStorage(opts, args):
  """gnt-node modify-storage NODE TYPE NAME: change a storage unit."""
  (node, user_type, name) = args
  storage_type = _CheckStorageType(user_type)
  changes = {}
  if opts.allocatable is not None:
    changes[constants.SF_ALLOCATABLE] = opts.allocatable
  if not changes:
    cli.ToStderr("No changes to perform, exiting.")
    return constants.EXIT_SUCCESS
  op = opcodes.OpNodeModifyStorage(node_name=node, storage_type=storage_type,
                                   name=name, changes=changes)
  cli.SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


@cli.OpcodeCommand(opcodes.OpRepairNodeStorage)
def RepairStorage(opts, args):
  """gnt-node repair-storage NODE TYPE NAME: repair a storage unit."""
  (node, user_type, name) = args
  op = opcodes.OpRepairNodeStorage(
    node_name=node, storage_type=_CheckStorageType(user_type), name=name,
    ignore_consistency=opts.ignore_consistency)
  cli.SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


# list, list-fields, info (query2)

#: Default fields of gnt-node list (cli.md 8.2)
_LIST_DEF_FIELDS = ["name", "dtotal", "dfree", "mtotal", "mnode", "mfree",
                    "pinst_cnt", "sinst_cnt"]

#: Columns gnt-node list prints comma-joined instead of as Python lists
_LIST_FORMAT = dict.fromkeys(["pinst_list", "sinst_list", "tags"],
                             (",".join, False))

#: Fields gnt-node info reads, in the order of its output
_INFO_FIELDS = ["name", "pip", "sip", "master_candidate", "drained",
                "offline", "powered", "master_capable", "vm_capable",
                "pinst_list", "sinst_list", "ndparams", "custom_ndparams"]


def GroupFilter(group):
  """The filter selecting the nodes of a group given by name or UUID."""
  return [qlang.OP_OR, [qlang.OP_EQUAL, "group", group],
          [qlang.OP_EQUAL, "group.uuid", group]]


def ListNodes(opts, args):
  """gnt-node list [-g GROUP] [-o FIELDS] [NODE...|FILTER]: node table.

  Names, globs or one filter expression select nodes (cli.md 7.4);
  ``-g`` adds "the node is in this group" with "and".

  """
  fields = cli.ParseFields(opts.output, _LIST_DEF_FIELDS)
  qfilter = GroupFilter(opts.nodegroup) if opts.nodegroup else None
  return cli.GenericList(constants.QR_NODE, fields, args, opts.units,
                         opts.separator, not opts.no_headers,
                         format_override=_LIST_FORMAT, verbose=opts.verbose,
                         namefield="name", qfilter=qfilter,
                         force_filter=opts.force_filter)


def ListNodeFields(opts, args):
  """gnt-node list-fields [FIELD...]: the fields of the node resource."""
  return cli.GenericListFields(constants.QR_NODE, args, opts.separator,
                               not opts.no_headers)


def _ParameterLines(custom, actual, indent):
  """``- key: value`` lines; inherited values read ``default (<value>)``."""
  lines = []
  for key in sorted(actual or {}):
    if key in (custom or {}):
      value = custom[key]
    else:
      value = "default (%s)" % (actual[key], )
    lines.append("%s- %s: %s" % (indent, key, value))
  return lines


def _InstanceLines(role, names):
  if not names:
    return ["  %s for no instances" % role]
  return (["  %s for instances:" % role] +
          ["    - %s" % name for name in utils.NiceSort(names)])


def FormatNodeInfo(row):
  """The lines gnt-node info prints for one node.

  @param row: values of L{_INFO_FIELDS}, None where the master had none

  """
  (name, pip, sip, master_candidate, drained, offline, powered,
   master_capable, vm_capable, pinst, sinst, ndparams, custom) = row
  lines = [
    "Node name: %s" % name,
    "  primary ip: %s" % pip,
    "  secondary ip: %s" % sip,
    "  master candidate: %s" % master_candidate,
    "  drained: %s" % drained,
    "  offline: %s" % offline,
    ]
  if powered is not None:
    lines.append("  powered: %s" % powered)
  lines.append("  master_capable: %s" % master_capable)
  lines.append("  vm_capable: %s" % vm_capable)
  if vm_capable:
    lines.extend(_InstanceLines("primary", pinst))
    lines.extend(_InstanceLines("secondary", sinst))
  lines.append("  node parameters:")
  lines.extend(_ParameterLines(custom, ndparams, "    "))
  return lines


def ShowNodeConfig(opts, args):  # pylint: disable=W0613
  """gnt-node info [NODE...]: configuration and instances of nodes.

  Unknown node names are the master's error (names are requested, so it
  expands them and refuses those it does not know).

  """
  response = cli.GetClient().Query(constants.QR_NODE, _INFO_FIELDS,
                                   qlang.MakeSimpleFilter("name", args))
  for row in response["data"]:
    values = [value if status == constants.RS_NORMAL else None
              for (status, value) in row]
    for line in FormatNodeInfo(values):
      cli.ToStdout(line)
  return constants.EXIT_SUCCESS


_SECONDARY_IP_OPT = ParamOption("-s", "--secondary-ip", dest="secondary_ip",
                                default=None, metavar="ADDRESS",
                                op_class=opcodes.OpNodeAdd)
_READD_OPT = ParamOption("--readd", dest="readd", default=False,
                         action="store_true", op_class=opcodes.OpNodeAdd)
_NODEGROUP_OPT = ParamOption("-g", "--node-group", dest="group",
                             default=None, metavar="<nodegroup>",
                             op_class=opcodes.OpNodeAdd)
_MC_OPT = ParamOption("--master-capable", dest="master_capable",
                      type="bool", default=None, metavar="yes|no",
                      op_class=opcodes.OpNodeAdd)
_VMC_OPT = ParamOption("--vm-capable", dest="vm_capable", type="bool",
                       default=None, metavar="yes|no",
                       op_class=opcodes.OpNodeAdd)
_NDPARAMS_OPT = ParamOption("--node-parameters", dest="ndparams",
                            type="keyval", default=None,
                            op_class=opcodes.OpNodeAdd)
_HV_STATE_OPT = CliOption("--hypervisor-state", dest="hv_state",
                          type="identkeyval", action="append", default=[],
                          help="Specify hypervisor state information")
_DISK_STATE_OPT = CliOption("--disk-state", dest="disk_state",
                            type="identkeyval", action="append", default=[],
                            help="Specify disk state information")
_NOSSH_KEYCHECK_OPT = CliOption("--no-ssh-key-check", dest="ssh_key_check",
                                default=True, action="store_false",
                                help="Disable SSH key fingerprint checking")
_FORCE_JOIN_OPT = CliOption("--force-join", dest="force_join",
                            default=False, action="store_true",
                            help="Force the joining of a node")
_NONODE_SETUP_OPT = CliOption("--no-node-setup", dest="node_setup",
                              default=True, action="store_false",
                              help="Do not make initial SSH setup on remote"
                              " node (needs to be done manually)")


_MOD_MC_OPT = ParamOption("-C", "--master-candidate", dest="master_candidate",
                          type="bool", default=None, metavar="yes|no",
                          op_class=opcodes.OpNodeSetParams)
_MOD_OFFLINE_OPT = ParamOption("-O", "--offline", dest="offline",
                               type="bool", default=None, metavar="yes|no",
                               op_class=opcodes.OpNodeSetParams)
_MOD_DRAINED_OPT = ParamOption("-D", "--drained", dest="drained",
                               type="bool", default=None, metavar="yes|no",
                               op_class=opcodes.OpNodeSetParams)
_AUTO_PROMOTE_OPT = ParamOption("--auto-promote", dest="auto_promote",
                                default=False, action="store_true",
                                op_class=opcodes.OpNodeSetParams)
_NODE_POWERED_OPT = ParamOption("--node-powered", dest="powered",
                                type="bool", default=None, metavar="yes|no",
                                op_class=opcodes.OpNodeSetParams)
_STORAGE_TYPE_OPT = CliOption("-t", "--storage-type",
                              dest="user_storage_type",
                              choices=sorted(constants.VALID_STORAGE_TYPES),
                              default=constants.ST_LVM_PV,
                              metavar="STORAGE_TYPE",
                              help="Storage type (lvm-pv, lvm-vg or file;"
                              " default lvm-pv)")
_ALLOCATABLE_OPT = CliOption("--allocatable", dest="allocatable",
                             type="bool", default=None, metavar="yes|no",
                             help="Set the allocatable flag on a volume")
_LIST_GROUP_OPT = CliOption("-g", "--node-group", dest="nodegroup",
                            default=None, metavar="<nodegroup>",
                            help="List only the nodes of this node group"
                            " (name or UUID)")
_STORAGE_ARGS = [ArgNode(min=1, max=1),
                 ArgChoice(min=1, max=1,
                           choices=sorted(constants.VALID_STORAGE_TYPES)),
                 ArgUnknown(min=1, max=1)]


commands = {
  "add": (
    AddNode, [ArgNode(min=1, max=1)],
    [_SECONDARY_IP_OPT, _READD_OPT, _NOSSH_KEYCHECK_OPT, _FORCE_JOIN_OPT,
     _NONODE_SETUP_OPT, VERBOSE_OPT, _NODEGROUP_OPT, PRIORITY_OPT, _MC_OPT,
     _VMC_OPT, _NDPARAMS_OPT, _HV_STATE_OPT, _DISK_STATE_OPT],
    "[-s ip] [--readd] [--no-ssh-key-check] [--force-join]"
    " [--no-node-setup] [--verbose] <node_name>",
    "Add a node to the cluster"),
  "list": (
    ListNodes, [ArgNode()],
    [NOHDR_OPT, SEP_OPT, UNITS_OPT, FIELDS_OPT, VERBOSE_OPT, FILTER_OPT,
     _LIST_GROUP_OPT],
    "[<node_name>...|<filter>]",
    "List the nodes of the cluster (\"list-fields\" names every field;"
    " default fields: %s)" % utils.CommaJoin(_LIST_DEF_FIELDS)),
  "list-fields": (
    ListNodeFields, [ArgUnknown()], [NOHDR_OPT, SEP_OPT],
    "[fields...]", "Lists all available fields for nodes"),
  "info": (
    ShowNodeConfig, [ArgNode()], [],
    "[<node_name>...]", "Show information about the node(s)"),
  "remove": (
    RemoveNode, [ArgNode(min=1, max=1)],
    [DRY_RUN_OPT, PRIORITY_OPT],
    "<node_name>", "Removes a node from the cluster"),
  "modify": (
    SetNodeParams, [ArgNode(min=1, max=1)],
    [FORCE_OPT, SUBMIT_OPT, DRY_RUN_OPT, PRIORITY_OPT, _MOD_MC_OPT,
     _MOD_DRAINED_OPT, _MOD_OFFLINE_OPT, _MC_OPT, _VMC_OPT,
     _SECONDARY_IP_OPT, _AUTO_PROMOTE_OPT, _NDPARAMS_OPT, _NODE_POWERED_OPT,
     _HV_STATE_OPT, _DISK_STATE_OPT],
    "<node_name>", "Alters the parameters of a node"),
  "powercycle": (
    PowercycleNode, [ArgNode(min=1, max=1)],
    [FORCE_OPT, CONFIRM_OPT, SUBMIT_OPT, DRY_RUN_OPT, PRIORITY_OPT],
    "<node_name>", "Tries to forcefully powercycle a node"),
  "volumes": (
    ListVolumes, [ArgNode()],
    [NOHDR_OPT, SEP_OPT, UNITS_OPT, FIELDS_OPT, PRIORITY_OPT],
    "[<node_name>...]", "List logical volumes on node(s)"),
  "physical-volumes": (
    ListPhysicalVolumes, [ArgNode()],
    [NOHDR_OPT, SEP_OPT, UNITS_OPT, FIELDS_OPT, PRIORITY_OPT],
    "[<node_name>...]", "List the LVM physical volumes of node(s)"),
  "list-storage": (
    ListStorage, [ArgNode()],
    [NOHDR_OPT, SEP_OPT, UNITS_OPT, FIELDS_OPT, _STORAGE_TYPE_OPT,
     PRIORITY_OPT],
    "[<node_name>...]", "List physical volumes on node(s). The available"
    " fields are (see the man page for details): node, type, name, size,"
    " used, free, allocatable"),
  "modify-storage": (
    ModifyStorage, _STORAGE_ARGS,
    [_ALLOCATABLE_OPT, SUBMIT_OPT, DRY_RUN_OPT, PRIORITY_OPT],
    "<node_name> <storage_type> <name>", "Modify storage volume on a node"),
  "repair-storage": (
    RepairStorage, _STORAGE_ARGS,
    [IGNORE_CONSIST_OPT, SUBMIT_OPT, DRY_RUN_OPT, PRIORITY_OPT],
    "<node_name> <storage_type> <name>",
    "Repairs a storage volume on a node"),
  }

commands.update(tags_common.TagCommands(constants.TAG_NODE))

aliases = {"show": "info"}


def Main():
  """Entry point of scripts/gnt-node (GNT_NODE_LIST feeds ``list``)."""
  return cli.GenericMain(commands, aliases=aliases, env_override={"list"})
