"""gnt-cluster: create, inspect, change and take apart a cluster (cli.md 8.1).

Layer 6 (entry points).  Most commands build an opcode (the cluster LUs
do the work) or ask the master daemon over LUXI; where Ganeti works
without a master daemon, this module calls bootstrap directly: init,
the end of destroy, master-failover, getmaster, and (with the daemons
stopped) renew-crypto.  ``command`` and ``copyfile`` run on the nodes
through bootstrap.NodeCommandRunner (each node's ``cmd`` wrapper on a
virtual cluster, SSH on real hosts).  The tag commands (list-tags,
add-tags, remove-tags, search-tags) come from client.tags_common.

It must not change the configuration itself: that is the LUs' job.
"""

import os
import time
from typing import Any, Dict, List, Optional

from ganeti import bootstrap
from ganeti import cli
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import uidpool
from ganeti import utils
from ganeti.cli_output import ToRoman
from ganeti.client import tags_common
from ganeti.cli import (ARGS_NONE, ArgChoice, ArgCommand, ArgFile, ArgHost,
                        ArgInstance, ArgSuggest, CliOption, DRY_RUN_OPT,
                        FORCE_OPT, PRIORITY_OPT, ROMAN_OPT, SUBMIT_OPTS,
                        VERBOSE_OPT, YES_DOIT_OPT, AskUser, GetClient,
                        JobExecutor, ParseTimespec, SubmitOpCode,
                        SubmitOrSend, ToStderr, ToStdout)


# -- options (those Ganeti shares between gnt-cluster commands) ---------------

SECONDARY_IP_OPT = CliOption("-s", "--secondary-ip", dest="secondary_ip",
                             metavar="ADDRESS", default=None,
                             help="Specify the secondary ip for this node")
VG_NAME_OPT = CliOption("--vg-name", dest="vg_name", metavar="VG",
                        default=None,
                        help="Specify the volume group name (cluster-wide)"
                        " for disk allocation [%s]" % constants.DEFAULT_VG)
NOLVM_STORAGE_OPT = CliOption("--no-lvm-storage", dest="lvm_storage",
                              default=True, action="store_false",
                              help="Disable support for lvm based instances"
                              " (cluster-wide)")
DRBD_HELPER_OPT = CliOption("--drbd-usermode-helper", dest="drbd_helper",
                            metavar="HELPER", default=None,
                            help="Specifies usermode helper for DRBD")
NODRBD_STORAGE_OPT = CliOption("--no-drbd-storage", dest="drbd_storage",
                               default=True, action="store_false",
                               help="Disable support for DRBD")
MASTER_NETDEV_OPT = CliOption("--master-netdev", dest="master_netdev",
                              metavar="NETDEV", default=None,
                              help="Specify the node interface (cluster-"
                              "wide) on which the master IP address will be"
                              " added (cluster init default: %s)" %
                              constants.DEFAULT_BRIDGE)
MASTER_NETMASK_OPT = CliOption("--master-netmask", dest="master_netmask",
                               metavar="NETMASK", default=None,
                               help="Specify the netmask of the master IP")
USE_EXTERNAL_MIP_SCRIPT = CliOption("--use-external-mip-script",
                                    dest="use_external_mip_script",
                                    type="bool", metavar="<True|False>",
                                    default=None,
                                    help="Specify whether to run a user-"
                                    "provided script for the master IP"
                                    " address turnup and turndown"
                                    " operations")
MAC_PREFIX_OPT = CliOption("-m", "--mac-prefix", dest="mac_prefix",
                           metavar="PREFIX", default=None,
                           help="Specify the mac prefix for the instance IP"
                           " addresses, in the format XX:XX:XX")
NOETC_HOSTS_OPT = CliOption("--no-etc-hosts", dest="modify_etc_hosts",
                            default=True, action="store_false",
                            help="Don't modify /etc/hosts")
NOMODIFY_SSH_SETUP_OPT = CliOption("--no-ssh-init", dest="modify_ssh_setup",
                                   default=True, action="store_false",
                                   help="Don't initialize SSH keys")
FILESTORE_DIR_OPT = CliOption("--file-storage-dir", dest="file_storage_dir",
                              metavar="DIR",
                              default=constants.DEFAULT_FILE_STORAGE_DIR,
                              help="Specify the default directory"
                              " (cluster-wide) for storing the file-based"
                              " disks [%s]" %
                              constants.DEFAULT_FILE_STORAGE_DIR)
SHAREDFILESTORE_DIR_OPT = CliOption(
  "--shared-file-storage-dir", dest="shared_file_storage_dir", metavar="DIR",
  default=constants.DEFAULT_SHARED_FILE_STORAGE_DIR,
  help="Specify the default directory (cluster-wide) for storing the"
  " shared file-based disks [%s]" %
  constants.DEFAULT_SHARED_FILE_STORAGE_DIR)
ENABLED_HV_OPT = CliOption("--enabled-hypervisors",
                           dest="enabled_hypervisors",
                           help="Comma-separated list of hypervisors",
                           type="string", default=None)
HVLIST_OPT = CliOption("-H", "--hypervisor-parameters", dest="hvparams",
                       type="identkeyval", action="append", default=[],
                       help="Hypervisor and hypervisor options, in the"
                       " format hypervisor:option=value,option=value,...")
BACKEND_OPT = CliOption("-B", "--backend-parameters", dest="beparams",
                        type="keyval", default={},
                        help="Backend parameters")
NIC_PARAMS_OPT = CliOption("-N", "--nic-parameters", dest="nicparams",
                           type="keyval", default={},
                           help="NIC parameters")
DISK_PARAMS_OPT = CliOption("-D", "--disk-parameters", dest="diskparams",
                            type="identkeyval", action="append", default=[],
                            help="Disk template parameters, in the format"
                            " template:option=value,option=value,...")
NODE_PARAMS_OPT = CliOption("--node-parameters", dest="ndparams",
                            type="keyval", default=None,
                            help="Node parameters")
MAINTAIN_NODE_HEALTH_OPT = CliOption("--maintain-node-health",
                                     dest="maintain_node_health",
                                     metavar="<yes|no>", type="bool",
                                     default=None,
                                     help="Configure the cluster to"
                                     " automatically maintain node health,"
                                     " by shutting down unknown instances,"
                                     " shutting down unknown DRBD devices,"
                                     " etc.")
UIDPOOL_OPT = CliOption("--uid-pool", dest="uid_pool", default=None,
                        help="A list of user-ids or user-id ranges separated"
                        " by commas")
ADD_UIDS_OPT = CliOption("--add-uids", dest="add_uids", default=None,
                         help="A list of user-ids or user-id ranges"
                         " separated by commas, to be added to the user-id"
                         " pool")
REMOVE_UIDS_OPT = CliOption("--remove-uids", dest="remove_uids",
                            default=None,
                            help="A list of user-ids or user-id ranges"
                            " separated by commas, to be removed from the"
                            " user-id pool")
RESERVED_LVS_OPT = CliOption("--reserved-lvs", dest="reserved_lvs",
                             default=None,
                             help="A comma-separated list of reserved"
                             " logical volumes names, that will be ignored"
                             " by cluster verify")
DEFAULT_IALLOCATOR_OPT = CliOption("-I", "--default-iallocator",
                                   metavar="<NAME>",
                                   dest="default_iallocator",
                                   help="Set the default instance allocator"
                                   " plugin", default=None, type="string")
PRIMARY_IP_VERSION_OPT = CliOption("--primary-ip-version", default=4,
                                   action="store", dest="primary_ip_version",
                                   metavar="%d|%d" % (constants.IP4_VERSION,
                                                      constants.IP6_VERSION),
                                   help="Cluster-wide IP version for primary"
                                   " IP")
PREALLOC_WIPE_DISKS_OPT = CliOption("--prealloc-wipe-disks",
                                    dest="prealloc_wipe_disks", type="bool",
                                    metavar="<yes|no>", default=None,
                                    help="Wipe disks prior to instance"
                                    " creation")
CP_SIZE_OPT = CliOption("-C", "--candidate-pool-size", default=None,
                        dest="candidate_pool_size", type="int",
                        help="Set the candidate pool size")
HV_STATE_OPT = CliOption("--hypervisor-state", dest="hv_state",
                         type="identkeyval", action="append", default=[],
                         help="Specify hypervisor states")
DISK_STATE_OPT = CliOption("--disk-state", dest="disk_state",
                           type="identkeyval", action="append", default=[],
                           help="Specify disk states")

SPECS_MEM_SIZE_OPT = CliOption("--specs-mem-size", dest="ispecs_mem_size",
                               type="keyval", default={},
                               help="Memory size specs: list of key=value,"
                               " where key is one of min, max, std (in MB"
                               " or using a unit)")
SPECS_CPU_COUNT_OPT = CliOption("--specs-cpu-count", dest="ispecs_cpu_count",
                                type="keyval", default={},
                                help="CPU count specs: list of key=value,"
                                " where key is one of min, max, std")
SPECS_DISK_COUNT_OPT = CliOption("--specs-disk-count",
                                 dest="ispecs_disk_count", type="keyval",
                                 default={},
                                 help="Disk count specs: list of key=value,"
                                 " where key is one of min, max, std")
SPECS_DISK_SIZE_OPT = CliOption("--specs-disk-size", dest="ispecs_disk_size",
                                type="keyval", default={},
                                help="Disk size specs: list of key=value,"
                                " where key is one of min, max, std (in MB"
                                " or using a unit)")
SPECS_NIC_COUNT_OPT = CliOption("--specs-nic-count", dest="ispecs_nic_count",
                                type="keyval", default={},
                                help="NIC count specs: list of key=value,"
                                " where key is one of min, max, std")
IPOLICY_DISK_TEMPLATES = CliOption("--ipolicy-disk-templates",
                                   dest="ipolicy_disk_templates",
                                   type="list", default=None,
                                   help="Comma-separated list of enabled"
                                   " disk templates")
IPOLICY_VCPU_RATIO = CliOption("--ipolicy-vcpu-ratio",
                               dest="ipolicy_vcpu_ratio",
                               type="maybefloat", default=None,
                               help="The maximum allowed vcpu-to-cpu ratio")
IPOLICY_SPINDLE_RATIO = CliOption("--ipolicy-spindle-ratio",
                                  dest="ipolicy_spindle_ratio",
                                  type="maybefloat", default=None,
                                  help="The maximum allowed instances to"
                                  " spindle ratio")

INSTANCE_POLICY_OPTS = [
  SPECS_CPU_COUNT_OPT, SPECS_DISK_COUNT_OPT, SPECS_DISK_SIZE_OPT,
  SPECS_MEM_SIZE_OPT, SPECS_NIC_COUNT_OPT, IPOLICY_DISK_TEMPLATES,
  IPOLICY_VCPU_RATIO, IPOLICY_SPINDLE_RATIO,
  ]

NOVOTING_OPT = CliOption("--no-voting", dest="no_voting", default=False,
                         action="store_true",
                         help="Skip node agreement check (dangerous)")
FAILOVER_YES_DOIT_OPT = CliOption("--yes-do-it", dest="yes_do_it",
                                  default=False, action="store_true",
                                  help="Do not ask for confirmation of"
                                  " --no-voting")
NODE_LIST_OPT = CliOption("-n", "--node", dest="nodes", default=[],
                          action="append", metavar="<node>",
                          help="Node to include (multiple uses allowed;"
                          " default: all online nodes)")
NODEGROUP_OPT = CliOption("-g", "--node-group", dest="nodegroup",
                          default=None, metavar="<nodegroup>",
                          help="Node group (name or uuid)")
SHOW_MACHINE_OPT = CliOption("-M", "--show-machine-names",
                             dest="show_machine_names", default=False,
                             action="store_true",
                             help="Show machine name for every line in"
                             " output")
USE_REPL_NET_OPT = CliOption("--use-replication-network",
                             dest="use_replication_network", default=False,
                             action="store_true",
                             help="Whether to use the replication network"
                             " for talking to the nodes")
ERROR_CODES_OPT = CliOption("--error-codes", dest="error_codes",
                            default=False, action="store_true",
                            help="Enable parseable error messages")
NONPLUS1_OPT = CliOption("--no-nplus1-mem", dest="skip_nplusone_mem",
                         default=False, action="store_true",
                         help="Skip N+1 memory redundancy tests")
IGNORE_ERRORS_OPT = CliOption("-I", "--ignore-errors", default=[],
                              action="append", dest="ignore_errors",
                              choices=sorted(constants.CV_ALL_ECODES_STRINGS),
                              help="Error code to be ignored")
SIMULATE_ERRORS_OPT = CliOption("--debug-simulate-errors", default=False,
                                action="store_true", dest="simulate_errors",
                                help="Debugging option that makes the"
                                " operation treat most runtime checks as"
                                " failed")
VERIFY_GROUP_OPT = CliOption("-g", "--node-group", dest="nodegroup",
                             default=None, metavar="<nodegroup>",
                             help="Verify only this node group")

NEW_CLUSTER_CERT_OPT = CliOption("--new-cluster-certificate",
                                 dest="new_cluster_cert", default=False,
                                 action="store_true",
                                 help="Generate a new cluster certificate")
RAPI_CERT_OPT = CliOption("--rapi-certificate", dest="rapi_cert",
                          default=None,
                          help="File containing new RAPI certificate")
NEW_RAPI_CERT_OPT = CliOption("--new-rapi-certificate", dest="new_rapi_cert",
                              default=None, action="store_true",
                              help="Generate a new self-signed RAPI"
                              " certificate")
SPICE_CERT_OPT = CliOption("--spice-certificate", dest="spice_cert",
                           default=None,
                           help="File containing new SPICE certificate")
SPICE_CACERT_OPT = CliOption("--spice-ca-certificate", dest="spice_cacert",
                             default=None,
                             help="File containing the certificate of the"
                             " CA which signed the SPICE certificate")
NEW_SPICE_CERT_OPT = CliOption("--new-spice-certificate",
                               dest="new_spice_cert", default=None,
                               action="store_true",
                               help="Generate a new self-signed SPICE"
                               " certificate")
NEW_CONFD_HMAC_KEY_OPT = CliOption("--new-confd-hmac-key",
                                   dest="new_confd_hmac_key", default=False,
                                   action="store_true",
                                   help="Create a new HMAC key for"
                                   " ganeti-confd")
CLUSTER_DOMAIN_SECRET_OPT = CliOption("--cluster-domain-secret",
                                      dest="cluster_domain_secret",
                                      default=None,
                                      help="Load new cluster domain secret"
                                      " from file")
NEW_CLUSTER_DOMAIN_SECRET_OPT = CliOption("--new-cluster-domain-secret",
                                          dest="new_cluster_domain_secret",
                                          default=False, action="store_true",
                                          help="Create a new cluster domain"
                                          " secret")


# -- helpers -----------------------------------------------------------------


def FormatGroupedParams(paramsdict: Dict[str, Any], level: int = 1,
                        roman: bool = False) -> List[str]:
  """Lines of a nested parameter dict, sorted by key (cli.md 8.1 info)."""
  indent = "  " * level
  lines = []
  for (key, value) in sorted(paramsdict.items()):
    if isinstance(value, dict):
      lines.append("%s- %s:" % (indent, key))
      lines.extend(FormatGroupedParams(value, level=level + 1, roman=roman))
    else:
      lines.append("%s  %s: %s" % (indent, key, ToRoman(value, roman)))
  return lines


def FormatClusterInfo(info: Dict[str, Any], roman: bool = False
                      ) -> List[str]:
  """The lines of ``gnt-cluster info`` for a QueryClusterInfo result."""
  lines = []
  out = lambda fmt, *args: lines.append(fmt % args)  # noqa: E731
  out("Cluster name: %s", info["name"])
  out("Cluster UUID: %s", info["uuid"])
  out("Creation time: %s", utils.FormatTime(info["ctime"]))
  out("Modification time: %s", utils.FormatTime(info["mtime"]))
  out("Master node: %s", info["master"])
  out("Architecture (this node): %s (%s)", info["architecture"][0],
      info["architecture"][1])
  if info["tags"]:
    tags = utils.CommaJoin(utils.NiceSort(info["tags"]))
  else:
    tags = "(none)"
  out("Tags: %s", tags)
  out("Default hypervisor: %s", info["default_hypervisor"])
  out("Enabled hypervisors: %s", utils.CommaJoin(info["enabled_hypervisors"]))
  out("Hypervisor parameters:")
  lines.extend(FormatGroupedParams(info["hvparams"]))
  out("OS-specific hypervisor parameters:")
  lines.extend(FormatGroupedParams(info["os_hvp"]))
  out("OS parameters:")
  lines.extend(FormatGroupedParams(info["osparams"]))
  out("Hidden OSes: %s", utils.CommaJoin(info["hidden_os"]))
  out("Blacklisted OSes: %s", utils.CommaJoin(info["blacklisted_os"]))
  out("Cluster parameters:")
  out("  - candidate pool size: %s",
      ToRoman(info["candidate_pool_size"], roman))
  out("  - master netdev: %s", info["master_netdev"])
  out("  - master netmask: %s", info["master_netmask"])
  out("  - use external master IP address setup script: %s",
      info["use_external_mip_script"])
  out("  - lvm volume group: %s", info["volume_group_name"])
  if info["reserved_lvs"]:
    reserved_lvs = utils.CommaJoin(info["reserved_lvs"])
  else:
    reserved_lvs = "(none)"
  out("  - lvm reserved volumes: %s", reserved_lvs)
  out("  - drbd usermode helper: %s", info["drbd_usermode_helper"])
  out("  - file storage path: %s", info["file_storage_dir"])
  out("  - shared file storage path: %s", info["shared_file_storage_dir"])
  out("  - maintenance of node health: %s", info["maintain_node_health"])
  out("  - uid pool: %s", uidpool.FormatUidPool(
    [tuple(item) for item in info["uid_pool"]]))
  out("  - default instance allocator: %s", info["default_iallocator"])
  out("  - primary ip version: %d", info["primary_ip_version"])
  out("  - preallocation wipe disks: %s", info["prealloc_wipe_disks"])
  out("  - OS search path: %s", utils.CommaJoin(pathutils.OS_SEARCH_PATH))
  out("Default node parameters:")
  lines.extend(FormatGroupedParams(info["ndparams"], roman=roman))
  out("Default instance parameters:")
  lines.extend(FormatGroupedParams(info["beparams"], roman=roman))
  out("Default nic parameters:")
  lines.extend(FormatGroupedParams(info["nicparams"], roman=roman))
  out("Default disk parameters:")
  lines.extend(FormatGroupedParams(info["diskparams"], roman=roman))
  ipolicy = info["ipolicy"]
  out("Instance policy - limits for instances:")
  for key in (constants.ISPECS_MIN, constants.ISPECS_MAX,
              constants.ISPECS_STD):
    out("  - %s", key)
    lines.extend(FormatGroupedParams(ipolicy.get(key, {}), roman=roman))
  out("  - enabled disk templates: %s",
      utils.CommaJoin(ipolicy.get(constants.IPOLICY_DTS, [])))
  for key in sorted(constants.IPOLICY_PARAMETERS):
    out("  - %s: %s", key, ipolicy.get(key))
  return lines


def _ParseMasterNetmask(value: Any) -> Optional[int]:
  if value is None:
    return None
  try:
    return int(value)
  except (TypeError, ValueError):
    raise errors.OpPrereqError("Invalid master netmask value '%s': expected"
                               " an integer prefix length" % (value, ),
                               errors.ECODE_INVAL) from None


def _ParseUids(value: Optional[str]) -> Optional[list]:
  if value is None:
    return None
  return [list(item) for item in uidpool.ParseUidPool(value)]


def _DiskState(opts: Any) -> dict:
  if opts.disk_state:
    return utils.FlatToDict(opts.disk_state)
  return {}


def _IPolicyFromOpts(opts: Any, fill_all: bool) -> dict:
  try:
    return objects.CreateIPolicyFromOpts(
      ispecs_mem_size=opts.ispecs_mem_size,
      ispecs_cpu_count=opts.ispecs_cpu_count,
      ispecs_disk_count=opts.ispecs_disk_count,
      ispecs_disk_size=opts.ispecs_disk_size,
      ispecs_nic_count=opts.ispecs_nic_count,
      ipolicy_disk_templates=opts.ipolicy_disk_templates,
      ipolicy_vcpu_ratio=opts.ipolicy_vcpu_ratio,
      ipolicy_spindle_ratio=opts.ipolicy_spindle_ratio,
      fill_all=fill_all)
  except errors.ConfigurationError as err:
    raise errors.OpPrereqError("Invalid instance policy options: %s" % err,
                               errors.ECODE_INVAL) from None


def BuildInitParams(opts: Any, cluster_name: str) -> Dict[str, Any]:
  """The bootstrap.InitCluster keyword arguments for ``gnt-cluster init``.

  @raise errors.OpPrereqError: conflicting or invalid options

  """
  if not opts.lvm_storage and opts.vg_name:
    raise errors.OpPrereqError("Options --no-lvm-storage and --vg-name"
                               " conflict", errors.ECODE_INVAL)
  vg_name = opts.vg_name
  if opts.lvm_storage and not vg_name:
    vg_name = constants.DEFAULT_VG
  if not opts.drbd_storage and opts.drbd_helper:
    raise errors.OpPrereqError("Options --no-drbd-storage and"
                               " --drbd-usermode-helper conflict",
                               errors.ECODE_INVAL)
  drbd_helper = opts.drbd_helper
  if opts.drbd_storage and not drbd_helper:
    drbd_helper = constants.DEFAULT_DRBD_HELPER

  master_netdev = opts.master_netdev or constants.DEFAULT_BRIDGE
  hvlist = (opts.enabled_hypervisors or
            constants.DEFAULT_ENABLED_HYPERVISOR).split(",")

  diskparams = dict(opts.diskparams)
  unknown = sorted(set(diskparams) - constants.DISK_TEMPLATES)
  if unknown:
    raise errors.OpPrereqError("Disk templates unknown: %s" %
                               utils.CommaJoin(unknown), errors.ECODE_INVAL)
  hvparams = dict(opts.hvparams)
  unknown = sorted(set(hvparams) - constants.HYPER_TYPES)
  if unknown:
    raise errors.OpPrereqError("Hypervisors unknown: %s" %
                               utils.CommaJoin(unknown), errors.ECODE_INVAL)

  beparams = objects.FillDict(constants.BEC_DEFAULTS, opts.beparams)
  utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT)
  nicparams = objects.FillDict(constants.NICC_DEFAULTS, opts.nicparams)
  utils.ForceDictType(nicparams, constants.NICS_PARAMETER_TYPES)
  if opts.ndparams is None:
    ndparams = dict(constants.NDC_DEFAULTS)
  else:
    ndparams = objects.FillDict(constants.NDC_DEFAULTS, opts.ndparams)
    utils.ForceDictType(ndparams, constants.NDS_PARAMETER_TYPES)
  for hv_name in constants.HYPER_TYPES:
    hvparams[hv_name] = objects.FillDict(constants.HVC_DEFAULTS[hv_name],
                                         hvparams.get(hv_name) or {})
    utils.ForceDictType(hvparams[hv_name], constants.HVS_PARAMETER_TYPES)
  for templ in constants.DISK_TEMPLATES:
    diskparams[templ] = objects.FillDict(
      constants.DISK_DT_DEFAULTS.get(templ, {}), diskparams.get(templ) or {})
    utils.ForceDictType(diskparams[templ], constants.DISK_DT_TYPES)
  ipolicy = objects.FillIPolicy(constants.IPOLICY_DEFAULTS,
                                _IPolicyFromOpts(opts, True))

  try:
    primary_ip_version = int(opts.primary_ip_version)
  except (TypeError, ValueError):
    raise errors.OpPrereqError("Invalid primary ip version value '%s'" %
                               (opts.primary_ip_version, ),
                               errors.ECODE_INVAL) from None
  uid_pool = opts.uid_pool
  if uid_pool is not None:
    uid_pool = uidpool.ParseUidPool(uid_pool)

  return {
    "cluster_name": cluster_name,
    "secondary_ip": opts.secondary_ip,
    "vg_name": vg_name,
    "mac_prefix": opts.mac_prefix or constants.DEFAULT_MAC_PREFIX,
    "master_netmask": _ParseMasterNetmask(opts.master_netmask),
    "master_netdev": master_netdev,
    "file_storage_dir": opts.file_storage_dir,
    "shared_file_storage_dir": opts.shared_file_storage_dir,
    "enabled_hypervisors": hvlist,
    "hvparams": hvparams,
    "beparams": beparams,
    "nicparams": nicparams,
    "ndparams": ndparams,
    "diskparams": diskparams,
    "ipolicy": ipolicy,
    "candidate_pool_size": (opts.candidate_pool_size
                            if opts.candidate_pool_size is not None
                            else constants.MASTER_POOL_SIZE_DEFAULT),
    "modify_etc_hosts": opts.modify_etc_hosts,
    "modify_ssh_setup": opts.modify_ssh_setup,
    "maintain_node_health": bool(opts.maintain_node_health),
    "drbd_helper": drbd_helper,
    "uid_pool": uid_pool,
    "default_iallocator": opts.default_iallocator,
    "primary_ip_version": primary_ip_version,
    "prealloc_wipe_disks": bool(opts.prealloc_wipe_disks),
    "use_external_mip_script": bool(opts.use_external_mip_script),
    "hv_state": dict(opts.hv_state),
    "disk_state": _DiskState(opts),
    }


def _IsEmpty(value: Any) -> bool:
  """None, or an empty dict/list (nested dicts included: an ipolicy of
  empty spec dicts asks for nothing)."""
  if isinstance(value, dict):
    return all(_IsEmpty(item) for item in value.values())
  return value is None or value == []


def BuildSetParamsOpcode(opts: Any) -> Optional[opcodes.OpClusterSetParams]:
  """The opcode of ``gnt-cluster modify``; None when nothing was asked.

  @raise errors.OpPrereqError: conflicting or invalid options

  """
  if not opts.lvm_storage and opts.vg_name:
    raise errors.OpPrereqError("Options --no-lvm-storage and --vg-name"
                               " conflict", errors.ECODE_INVAL)
  vg_name = opts.vg_name
  if not opts.lvm_storage:
    vg_name = ""
  if not opts.drbd_storage and opts.drbd_helper:
    raise errors.OpPrereqError("Options --no-drbd-storage and"
                               " --drbd-usermode-helper conflict",
                               errors.ECODE_INVAL)
  drbd_helper = opts.drbd_helper
  if not opts.drbd_storage:
    drbd_helper = ""
  hvlist = opts.enabled_hypervisors
  if hvlist is not None:
    hvlist = hvlist.split(",")
  hvparams = dict(opts.hvparams)
  for params in hvparams.values():
    utils.ForceDictType(params, constants.HVS_PARAMETER_TYPES)
  diskparams = dict(opts.diskparams)
  for params in diskparams.values():
    utils.ForceDictType(params, constants.DISK_DT_TYPES)
  beparams = dict(opts.beparams)
  utils.ForceDictType(beparams, constants.BES_PARAMETER_COMPAT)
  nicparams = dict(opts.nicparams)
  utils.ForceDictType(nicparams, constants.NICS_PARAMETER_TYPES)
  ndparams = opts.ndparams
  if ndparams is not None:
    ndparams = dict(ndparams)
    utils.ForceDictType(ndparams, constants.NDS_PARAMETER_TYPES)
  ipolicy = _IPolicyFromOpts(opts, False)
  reserved_lvs = opts.reserved_lvs
  if reserved_lvs is not None:
    reserved_lvs = utils.UnescapeAndSplit(reserved_lvs, sep=",") \
      if reserved_lvs else []
  params = {
    "vg_name": vg_name,
    "drbd_helper": drbd_helper,
    "enabled_hypervisors": hvlist,
    "hvparams": hvparams,
    "beparams": beparams,
    "nicparams": nicparams,
    "ndparams": ndparams,
    "diskparams": diskparams,
    "ipolicy": ipolicy,
    "candidate_pool_size": opts.candidate_pool_size,
    "maintain_node_health": opts.maintain_node_health,
    "uid_pool": _ParseUids(opts.uid_pool),
    "add_uids": _ParseUids(opts.add_uids),
    "remove_uids": _ParseUids(opts.remove_uids),
    "default_iallocator": opts.default_iallocator,
    "prealloc_wipe_disks": opts.prealloc_wipe_disks,
    "master_netdev": opts.master_netdev,
    "master_netmask": _ParseMasterNetmask(opts.master_netmask),
    "reserved_lvs": reserved_lvs,
    "use_external_mip_script": opts.use_external_mip_script,
    "hv_state": dict(opts.hv_state),
    "disk_state": _DiskState(opts),
    }
  # an empty dict or list means "not given", except where it clears
  given = dict((key, value) for (key, value) in params.items()
               if not _IsEmpty(value) or
               (key == "reserved_lvs" and value == []))
  if not given:
    return None
  return opcodes.OpClusterSetParams(**given)


def GetOnlineNodes(nodes: List[str], nodegroup: Optional[str] = None,
                   filter_master: bool = False) -> List[str]:
  """Online nodes among ``nodes`` (all when empty) or of one group.

  Read from the master's own configuration: the node query arrives with
  the query framework.  Offline ones are named on stderr and left out.

  @raise errors.OpPrereqError: unknown node or group

  """
  cfg = config.ConfigWriter(offline=True)
  all_nodes = cfg.GetAllNodesInfo()
  if nodegroup is not None:
    group_uuid = cfg.LookupNodeGroup(nodegroup)
    candidates = [name for (name, node) in all_nodes.items()
                  if node.group == group_uuid]
  else:
    candidates = list(all_nodes)
  if nodes:
    wanted = []
    for name in nodes:
      full = cfg.ExpandNodeName(name)
      if full is None:
        raise errors.OpPrereqError("Node '%s' not known" % name,
                                   errors.ECODE_NOENT)
      if full in candidates:
        wanted.append(full)
    candidates = wanted
  candidates = utils.NiceSort(set(candidates))
  offline = [name for name in candidates if all_nodes[name].offline]
  if offline:
    ToStderr("Note: skipping offline node(s): %s" % utils.CommaJoin(offline))
  master = cfg.GetMasterNode()
  return [name for name in candidates
          if not all_nodes[name].offline and
          not (filter_master and name == master)]


# -- commands ----------------------------------------------------------------


def InitCluster(opts: Any, args: List[str]) -> int:
  """Create the cluster with this node as master, then the post-init job."""
  bootstrap.InitCluster(**BuildInitParams(opts, args[0]))
  SubmitOpCode(opcodes.OpClusterPostInit(), opts=opts)
  return constants.EXIT_SUCCESS


def DestroyCluster(opts: Any, _args: List[str]) -> int:
  if not opts.yes_do_it:
    ToStderr("Destroying a cluster is irreversible. If you really want to"
             " destroy this cluster, supply the --yes-do-it option.")
    return constants.EXIT_FAILURE
  master = SubmitOpCode(opcodes.OpClusterDestroy(), opts=opts)
  # the job succeeded: take the master's daemons down and leave
  bootstrap.FinalizeClusterDestroy(master)
  return constants.EXIT_SUCCESS


def RenameCluster(opts: Any, args: List[str]) -> int:
  cl = GetClient()
  (cluster_name, ) = cl.QueryConfigValues(["cluster_name"])
  new_name = args[0]
  if not opts.force:
    usertext = ("This will rename the cluster from '%s' to '%s'. If you are"
                " connected over the network to the cluster name, the"
                " operation is very dangerous as the IP address will be"
                " removed from the node and the change may not go through."
                " Continue?" % (cluster_name, new_name))
    if not AskUser(usertext):
      return constants.EXIT_FAILURE
  result = SubmitOpCode(opcodes.OpClusterRename(name=new_name), opts=opts,
                        cl=cl)
  if result:
    ToStdout("Cluster renamed from '%s' to '%s'", cluster_name, result)
  return constants.EXIT_SUCCESS


def RedistributeConfig(opts: Any, _args: List[str]) -> int:
  SubmitOrSend(opcodes.OpClusterRedistConf(), opts)
  return constants.EXIT_SUCCESS


def ShowClusterVersion(_opts: Any, _args: List[str]) -> int:
  info = GetClient().QueryClusterInfo()
  ToStdout("Software version: %s", info["software_version"])
  ToStdout("Internode protocol: %s", info["protocol_version"])
  ToStdout("Configuration format: %s", info["config_version"])
  ToStdout("OS api version: %s", info["os_api_version"])
  ToStdout("Export interface: %s", info["export_version"])
  return constants.EXIT_SUCCESS


def ShowClusterMaster(_opts: Any, _args: List[str]) -> int:
  ToStdout("%s", bootstrap.GetMaster())
  return constants.EXIT_SUCCESS


def ShowClusterConfig(opts: Any, _args: List[str]) -> int:
  info = GetClient().QueryClusterInfo()
  for line in FormatClusterInfo(info, roman=opts.roman_integers):
    ToStdout("%s", line)
  return constants.EXIT_SUCCESS


def ClusterCopyFile(opts: Any, args: List[str]) -> int:
  filename = os.path.abspath(args[0])
  if not os.path.isfile(filename):
    raise errors.OpPrereqError("No such filename '%s'" % args[0],
                               errors.ECODE_INVAL)
  cl = GetClient()
  (cluster_name, ) = cl.QueryConfigValues(["cluster_name"])
  nodes = GetOnlineNodes(opts.nodes, nodegroup=opts.nodegroup,
                         filter_master=True)
  runner = bootstrap.NodeCommandRunner(cluster_name)
  for node in nodes:
    if not runner.CopyFile(node, filename):
      ToStderr("Copy of file %s to node %s failed", filename, node)
  return constants.EXIT_SUCCESS


def RunClusterCommand(opts: Any, args: List[str]) -> int:
  cl = GetClient()
  command = " ".join(args)
  (cluster_name, master_node) = cl.QueryConfigValues(["cluster_name",
                                                      "master_node"])
  nodes = GetOnlineNodes(opts.nodes, nodegroup=opts.nodegroup)
  # the master last, as Ganeti does
  if master_node in nodes:
    nodes.remove(master_node)
    nodes.append(master_node)
  runner = bootstrap.NodeCommandRunner(cluster_name)
  for name in nodes:
    result = runner.Run(name, command)
    ToStdout("------------------------------------------------")
    if opts.show_machine_names:
      for line in result.output.splitlines():
        ToStdout("%s: %s", name, line)
    else:
      ToStdout("node: %s", name)
      ToStdout("%s", result.output)
    ToStdout("return code = %s", result.exit_code)
  return constants.EXIT_SUCCESS


def VerifyCluster(opts: Any, _args: List[str]) -> int:
  skip_checks = []
  if opts.skip_nplusone_mem:
    skip_checks.append(constants.VERIFY_NPLUSONE_MEM)
  cl = GetClient()
  op = opcodes.OpClusterVerify(verbose=opts.verbose,
                               error_codes=opts.error_codes,
                               debug_simulate_errors=opts.simulate_errors,
                               skip_checks=skip_checks,
                               ignore_errors=opts.ignore_errors,
                               group_name=opts.nodegroup)
  result = SubmitOpCode(op, cl=cl, opts=opts)
  jex = JobExecutor(cl=cl, opts=opts)
  for (status, job_id) in result[constants.JOB_IDS_KEY]:
    jex.AddJobId(None, status, job_id)
  results = jex.GetResults()
  bad_jobs = sum(1 for (success, _) in results if not success)
  bad_results = sum(1 for (success, value) in results
                    if success and (not value or
                                    (isinstance(value, list) and
                                     not all(value))))
  if bad_jobs:
    ToStdout("%s job(s) failed while verifying the cluster.", bad_jobs)
    return constants.EXIT_FAILURE
  if bad_results:
    return constants.EXIT_FAILURE
  return constants.EXIT_SUCCESS


def VerifyDisks(opts: Any, _args: List[str]) -> int:
  cl = GetClient()
  result = SubmitOpCode(opcodes.OpClusterVerifyDisks(), cl=cl, opts=opts)
  jex = JobExecutor(cl=cl, opts=opts)
  for (status, job_id) in result[constants.JOB_IDS_KEY]:
    jex.AddJobId(None, status, job_id)
  retcode = constants.EXIT_SUCCESS
  for (status, job_result) in jex.GetResults():
    if not status:
      ToStdout("Job failed: %s", job_result)
      continue
    ((bad_nodes, instances, missing), ) = job_result
    for (node, text) in bad_nodes.items():
      ToStdout("Error gathering data on node %s: %s", node,
               utils.SafeEncode(text[-400:]))
      retcode = constants.EXIT_FAILURE
      ToStdout("You need to fix these nodes first before fixing instances")
    for iname in instances:
      if iname in missing:
        continue
      op = opcodes.OpInstanceActivateDisks(instance_name=iname)
      try:
        ToStdout("Activating disks for instance '%s'", iname)
        SubmitOpCode(op, opts=opts, cl=cl)
      except errors.GenericError as err:
        (nret, msg) = cli.FormatError(err)
        retcode |= nret
        ToStderr("Error activating disks for instance %s: %s", iname, msg)
    if missing:
      for (iname, ival) in missing.items():
        if all(entry[0] in bad_nodes for entry in ival):
          ToStdout("Instance %s cannot be verified as it lives on broken"
                   " nodes", iname)
        else:
          ToStdout("Instance %s has missing logical volumes:", iname)
          for (node, vol) in sorted(ival):
            if node in bad_nodes:
              ToStdout("\tbroken node %s /dev/%s", node, vol)
            else:
              ToStdout("\t%s /dev/%s", node, vol)
      ToStdout("You need to replace or recreate disks for all the above"
               " instances if this message persists after fixing broken"
               " nodes.")
      retcode = constants.EXIT_FAILURE
    elif not instances:
      ToStdout("No disks need to be activated.")
  return retcode


def RepairDiskSizes(opts: Any, args: List[str]) -> int:
  SubmitOpCode(opcodes.OpClusterRepairDiskSizes(instances=args), opts=opts)
  return constants.EXIT_SUCCESS


def MasterFailover(opts: Any, _args: List[str]) -> int:
  if opts.no_voting and not opts.yes_do_it:
    usertext = ("This will perform the failover even if most other nodes"
                " are down, or if this node is outdated. This is dangerous"
                " as it can lead to a non-consistent cluster. Check the"
                " gnt-cluster(8) man page before proceeding. Continue?")
    if not AskUser(usertext):
      return constants.EXIT_FAILURE
  return bootstrap.MasterFailover(no_voting=opts.no_voting)


def MasterPing(_opts: Any, _args: List[str]) -> int:
  """Exit 0 when the master daemon answers, 1 otherwise (no output)."""
  try:
    GetClient().QueryClusterInfo()
  except Exception:  # pylint: disable=W0703
    return constants.EXIT_FAILURE
  return constants.EXIT_SUCCESS


def ActivateMasterIp(opts: Any, _args: List[str]) -> int:
  SubmitOpCode(opcodes.OpClusterActivateMasterIp(), opts=opts)
  return constants.EXIT_SUCCESS


def DeactivateMasterIp(opts: Any, _args: List[str]) -> int:
  if not opts.confirm:
    usertext = ("This will disable the master IP. All the open connections"
                " to the master IP will be closed. To reach the master you"
                " will need to use its node IP. Continue?")
    if not AskUser(usertext):
      return constants.EXIT_FAILURE
  SubmitOpCode(opcodes.OpClusterDeactivateMasterIp(), opts=opts)
  return constants.EXIT_SUCCESS


def SetClusterParams(opts: Any, _args: List[str]) -> int:
  op = BuildSetParamsOpcode(opts)
  if op is None:
    ToStderr("Please give at least one of the parameters.")
    return constants.EXIT_FAILURE
  SubmitOrSend(op, opts)
  return constants.EXIT_SUCCESS


def QueueOps(_opts: Any, args: List[str]) -> int:
  command = args[0]
  client = GetClient()
  if command in ("drain", "undrain"):
    client.SetQueueDrainFlag(command == "drain")
  elif command == "info":
    (flag, ) = client.QueryConfigValues(["drain_flag"])
    ToStdout("The drain flag is %s", "set" if flag else "unset")
  else:
    raise errors.OpPrereqError("Command '%s' is not valid" % command,
                               errors.ECODE_INVAL)
  return constants.EXIT_SUCCESS


def FormatWatcherPause(until: Any, now: Optional[float] = None) -> str:
  if now is None:
    now = time.time()
  if until is None or until < now:
    return "The watcher is not paused."
  return "The watcher is paused until %s." % time.ctime(until)


def WatcherOps(_opts: Any, args: List[str]) -> int:
  command = args[0]
  client = GetClient()
  if command == "continue":
    client.SetWatcherPause(None)
    ToStdout("The watcher is no longer paused.")
  elif command == "pause":
    if len(args) < 2:
      raise errors.OpPrereqError("Missing pause duration",
                                 errors.ECODE_INVAL)
    result = client.SetWatcherPause(time.time() + ParseTimespec(args[1]))
    ToStdout("%s", FormatWatcherPause(result))
  elif command == "info":
    (until, ) = client.QueryConfigValues(["watcher_pause"])
    ToStdout("%s", FormatWatcherPause(until))
  else:
    raise errors.OpPrereqError("Command '%s' is not valid" % command,
                               errors.ECODE_INVAL)
  return constants.EXIT_SUCCESS


def _ReadAndVerifyCert(cert_filename: str, verify_private_key: bool = False
                       ) -> str:
  """A PEM file's text, after checking it holds a certificate (and key)."""
  try:
    pem = utils.ReadFile(cert_filename)
  except EnvironmentError as err:
    raise errors.X509CertError(cert_filename, "Unable to read certificate:"
                               " %s" % err)
  try:
    utils.LoadX509Certificate(pem, source=cert_filename)
  except errors.GenericError as err:
    raise errors.X509CertError(cert_filename, "Unable to load certificate:"
                               " %s" % err)
  if verify_private_key and "PRIVATE KEY-----" not in pem:
    raise errors.X509CertError(cert_filename, "No private key found")
  return pem


class _ClusterStopper:
  """Runs a function while every daemon of the cluster is stopped.

  The watcher is blocked through its lock file meanwhile; the daemons are
  started again afterwards (the master last) whatever happened.

  """
  def __init__(self, feedback_fn, cluster_name: str, master_node: str,
               online_nodes: List[str]):
    self.feedback_fn = feedback_fn
    self.cluster_name = cluster_name
    self.master_node = master_node
    self.online_nodes = online_nodes
    self.nonmaster_nodes = [name for name in online_nodes
                            if name != master_node]
    self.runner = bootstrap.NodeCommandRunner(cluster_name)

  def _DaemonUtil(self, node: str, *args: str) -> None:
    result = self.runner.DaemonUtil(node, *args)
    if result.failed:
      raise errors.OpExecError("daemon-util %s on %s failed: %s, output: %s"
                               % (" ".join(args), node, result.fail_reason,
                                  result.output))

  def Call(self, fn, *args):
    self.feedback_fn("Blocking watcher")
    watcher_block = utils.FileLock.Open(pathutils.WATCHER_LOCK_FILE)
    try:
      watcher_block.Exclusive(blocking=True)
      self.feedback_fn("Stopping master daemons")
      self._DaemonUtil(self.master_node, "stop-master")
      try:
        for node in self.online_nodes:
          self.feedback_fn("Stopping daemons on %s" % node)
          self._DaemonUtil(node, "stop-all")
        return fn(self, *args)
      finally:
        for node in self.nonmaster_nodes + [self.master_node]:
          self.feedback_fn("Starting daemons on %s" % node)
          self._DaemonUtil(node, "start-all")
    finally:
      watcher_block.Close()


def RunWhileClusterStopped(feedback_fn, fn, *args):
  feedback_fn("Gathering cluster information")
  cl = GetClient()
  (cluster_name, master_node) = cl.QueryConfigValues(["cluster_name",
                                                      "master_node"])
  cl.Close()
  online_nodes = GetOnlineNodes([])
  return _ClusterStopper(feedback_fn, cluster_name, master_node,
                         online_nodes).Call(fn, *args)


def RenewCrypto(opts: Any, _args: List[str]) -> int:
  new_rapi_cert = bool(opts.new_rapi_cert)
  new_spice_cert = bool(opts.new_spice_cert)
  new_cds = opts.new_cluster_domain_secret
  if new_rapi_cert and opts.rapi_cert:
    ToStderr("Only one of the --new-rapi-certificate and --rapi-certificate"
             " options can be specified at the same time.")
    return constants.EXIT_FAILURE
  if new_cds and opts.cluster_domain_secret:
    ToStderr("Only one of the --new-cluster-domain-secret and"
             " --cluster-domain-secret options can be specified at the same"
             " time.")
    return constants.EXIT_FAILURE
  if new_spice_cert and (opts.spice_cert or opts.spice_cacert):
    ToStderr("When using --new-spice-certificate, the --spice-certificate"
             " and --spice-ca-certificate must not be used.")
    return constants.EXIT_FAILURE
  if bool(opts.spice_cacert) != bool(opts.spice_cert):
    ToStderr("Both --spice-certificate and --spice-ca-certificate must be"
             " used together.")
    return constants.EXIT_FAILURE

  rapi_cert_pem = spice_cert_pem = spice_cacert_pem = None
  try:
    if opts.rapi_cert:
      rapi_cert_pem = _ReadAndVerifyCert(opts.rapi_cert, True)
    if opts.spice_cert:
      spice_cert_pem = _ReadAndVerifyCert(opts.spice_cert, True)
      spice_cacert_pem = _ReadAndVerifyCert(opts.spice_cacert)
  except errors.X509CertError as err:
    ToStderr("Unable to load X509 certificate from %s: %s", err.args[0],
             err.args[1])
    return constants.EXIT_FAILURE
  cds = None
  if opts.cluster_domain_secret:
    try:
      cds = utils.ReadFile(opts.cluster_domain_secret)
    except EnvironmentError as err:
      ToStderr("Can't load new cluster domain secret from %s: %s",
               opts.cluster_domain_secret, err)
      return constants.EXIT_FAILURE

  if not opts.force:
    if not AskUser("This requires all daemons on all nodes to be restarted"
                   " and may take some time. Continue?"):
      return constants.EXIT_FAILURE

  def _Inner(ctx):
    ctx.feedback_fn("Updating certificates and keys")
    bootstrap.GenerateClusterCrypto(
      opts.new_cluster_cert, new_rapi_cert, new_spice_cert,
      opts.new_confd_hmac_key, new_cds, rapi_cert_pem=rapi_cert_pem,
      spice_cert_pem=spice_cert_pem, spice_cacert_pem=spice_cacert_pem,
      cds=cds)
    files = []
    if opts.new_cluster_cert:
      files.append(pathutils.NODED_CERT_FILE)
    if new_rapi_cert or rapi_cert_pem:
      files.append(pathutils.RAPI_CERT_FILE)
    if new_spice_cert or spice_cert_pem:
      files.extend([pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE])
    if opts.new_confd_hmac_key:
      files.append(pathutils.CONFD_HMAC_KEY)
    if new_cds or cds:
      files.append(pathutils.CLUSTER_DOMAIN_SECRET_FILE)
    for node in ctx.nonmaster_nodes:
      if not files:
        break
      ctx.feedback_fn("Copying %s to %s" % (", ".join(files), node))
      for name in files:
        if not ctx.runner.CopyFile(node, name):
          raise errors.OpExecError("Copy of %s to node %s failed" %
                                   (name, node))

  RunWhileClusterStopped(ToStdout, _Inner)
  ToStdout("All requested certificates and keys have been replaced."
           " Running \"gnt-cluster verify\" now is recommended.")
  return constants.EXIT_SUCCESS


# -- command table -----------------------------------------------------------

_INIT_OPTS = [
  BACKEND_OPT, CP_SIZE_OPT, ENABLED_HV_OPT, FILESTORE_DIR_OPT, HVLIST_OPT,
  MAC_PREFIX_OPT, MASTER_NETDEV_OPT, MASTER_NETMASK_OPT, NIC_PARAMS_OPT,
  NOETC_HOSTS_OPT, NOLVM_STORAGE_OPT, NOMODIFY_SSH_SETUP_OPT,
  SECONDARY_IP_OPT, VG_NAME_OPT, MAINTAIN_NODE_HEALTH_OPT, UIDPOOL_OPT,
  DRBD_HELPER_OPT, NODRBD_STORAGE_OPT, DEFAULT_IALLOCATOR_OPT,
  PRIMARY_IP_VERSION_OPT, PREALLOC_WIPE_DISKS_OPT, NODE_PARAMS_OPT,
  SHAREDFILESTORE_DIR_OPT, USE_EXTERNAL_MIP_SCRIPT, DISK_PARAMS_OPT,
  HV_STATE_OPT, DISK_STATE_OPT,
  ] + INSTANCE_POLICY_OPTS

_MODIFY_OPTS = [
  VG_NAME_OPT, NOLVM_STORAGE_OPT, ENABLED_HV_OPT, HVLIST_OPT,
  MASTER_NETDEV_OPT, MASTER_NETMASK_OPT, NIC_PARAMS_OPT, BACKEND_OPT,
  CP_SIZE_OPT, MAINTAIN_NODE_HEALTH_OPT, UIDPOOL_OPT, ADD_UIDS_OPT,
  REMOVE_UIDS_OPT, DRBD_HELPER_OPT, NODRBD_STORAGE_OPT,
  DEFAULT_IALLOCATOR_OPT, RESERVED_LVS_OPT, DRY_RUN_OPT, PRIORITY_OPT,
  PREALLOC_WIPE_DISKS_OPT, NODE_PARAMS_OPT, USE_EXTERNAL_MIP_SCRIPT,
  DISK_PARAMS_OPT, HV_STATE_OPT, DISK_STATE_OPT,
  ] + SUBMIT_OPTS + INSTANCE_POLICY_OPTS

commands = {
  "init": (
    InitCluster, [ArgHost(min=1, max=1)], _INIT_OPTS,
    "[opts...] <cluster_name>", "Initialises a new cluster configuration"),
  "destroy": (
    DestroyCluster, ARGS_NONE, [YES_DOIT_OPT],
    "", "Destroy cluster"),
  "rename": (
    RenameCluster, [ArgHost(min=1, max=1)], [FORCE_OPT, DRY_RUN_OPT],
    "<new_name>", "Renames the cluster"),
  "redist-conf": (
    RedistributeConfig, ARGS_NONE, SUBMIT_OPTS + [DRY_RUN_OPT, PRIORITY_OPT],
    "", "Forces a push of the configuration file and ssconf files to the"
    " nodes in the cluster"),
  "verify": (
    VerifyCluster, ARGS_NONE,
    [VERBOSE_OPT, DRY_RUN_OPT, ERROR_CODES_OPT, NONPLUS1_OPT,
     SIMULATE_ERRORS_OPT, PRIORITY_OPT, VERIFY_GROUP_OPT, IGNORE_ERRORS_OPT],
    "", "Does a check on the cluster configuration"),
  "verify-disks": (
    VerifyDisks, ARGS_NONE, [PRIORITY_OPT],
    "", "Does a check on the cluster disk status"),
  "repair-disk-sizes": (
    RepairDiskSizes, [ArgInstance()], [DRY_RUN_OPT, PRIORITY_OPT],
    "[instance...]", "Updates mismatches in recorded disk sizes"),
  "master-failover": (
    MasterFailover, ARGS_NONE, [NOVOTING_OPT, FAILOVER_YES_DOIT_OPT],
    "", "Makes the current node the master"),
  "master-ping": (
    MasterPing, ARGS_NONE, [],
    "", "Checks if the master is alive"),
  "version": (
    ShowClusterVersion, ARGS_NONE, [],
    "", "Shows the cluster version"),
  "getmaster": (
    ShowClusterMaster, ARGS_NONE, [],
    "", "Shows the cluster master"),
  "copyfile": (
    ClusterCopyFile, [ArgFile(min=1, max=1)],
    [NODE_LIST_OPT, USE_REPL_NET_OPT, NODEGROUP_OPT],
    "[-n node...] <filename>", "Copies a file to all (or only some) nodes"),
  "command": (
    RunClusterCommand, [ArgCommand(min=1)],
    [NODE_LIST_OPT, NODEGROUP_OPT, SHOW_MACHINE_OPT],
    "[-n node...] <command>", "Runs a command on all (or only some) nodes"),
  "info": (
    ShowClusterConfig, ARGS_NONE, [ROMAN_OPT],
    "[--roman]", "Show cluster configuration"),
  "queue": (
    QueueOps,
    [ArgChoice(min=1, max=1, choices=["drain", "undrain", "info"])], [],
    "drain|undrain|info", "Change queue properties"),
  "watcher": (
    WatcherOps,
    [ArgChoice(min=1, max=1, choices=["pause", "continue", "info"]),
     ArgSuggest(min=0, max=1, choices=["30m", "1h", "4h"])],
    [],
    "{pause <timespec>|continue|info}", "Change watcher properties"),
  "modify": (
    SetClusterParams, ARGS_NONE, _MODIFY_OPTS,
    "[opts...]", "Alters the parameters of the cluster"),
  "renew-crypto": (
    RenewCrypto, ARGS_NONE,
    [NEW_CLUSTER_CERT_OPT, NEW_RAPI_CERT_OPT, RAPI_CERT_OPT,
     NEW_CONFD_HMAC_KEY_OPT, FORCE_OPT, NEW_CLUSTER_DOMAIN_SECRET_OPT,
     CLUSTER_DOMAIN_SECRET_OPT, NEW_SPICE_CERT_OPT, SPICE_CERT_OPT,
     SPICE_CACERT_OPT],
    "[opts...]", "Renews cluster certificates, keys and secrets"),
  "activate-master-ip": (
    ActivateMasterIp, ARGS_NONE, [], "", "Activates the master IP"),
  "deactivate-master-ip": (
    DeactivateMasterIp, ARGS_NONE, [cli.CONFIRM_OPT], "",
    "Deactivates the master IP"),
  }
commands.update(tags_common.TagCommands(constants.TAG_CLUSTER))
commands.update(tags_common.SearchTagsCommand())

#: Ganeti's aliases
aliases = {
  "masterfailover": "master-failover",
  "show": "info",
  }


def Main() -> int:
  """Entry point of scripts/gnt-cluster."""
  return cli.GenericMain(commands, aliases=aliases)
