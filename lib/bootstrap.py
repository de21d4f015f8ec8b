"""Cluster bootstrap: init, node daemon setup, master failover, destroy.

Layer 5 (master side).  What runs outside the master daemon because the
master daemon cannot do it (there is none yet, or it is being moved):
creating a cluster (checks, crypto files, the first configuration, ssconf,
starting the daemons), preparing a node's daemon before it joins, master
voting and master failover, the end of a cluster destroy.  It also holds
the pieces the master daemon uses to distribute the configuration and the
job queue to other nodes, so that a failover (which has no master daemon)
distributes exactly as masterd does.

It must not answer LUXI nor run opcodes; the cluster objects are changed
only through config.ConfigWriter.
"""

import logging
import os
import re
import socket
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ganeti import backend
from ganeti import backend_master
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import jstore
from ganeti import luxi
from ganeti import netutils
from ganeti import objects
from ganeti import objects_ipolicy
from ganeti import pathutils
from ganeti import rpc
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster


#: How long init waits for the node daemon, then for the master daemon
NODED_START_TIMEOUT = 30.0
MASTERD_START_TIMEOUT = 60.0

#: Master voting: attempts while most nodes do not answer, and the pause
#: between them (daemons-and-files.md 6: six tries, ten seconds apart)
VOTING_RETRIES = 6
VOTING_RETRY_DELAY = 10.0

#: How long a failover waits for the old master IP to disappear
MASTER_IP_GONE_TIMEOUT = 30.0

#: Where the kernel tells the DRBD usermode helper
_DRBD_HELPER_FILE = "/sys/module/drbd/parameters/usermode_helper"

#: Smallest volume group init accepts, in MiB
MIN_VG_SIZE = 20480

#: User the node setup logs in as on real hosts
SSH_LOGIN_USER = "root"

_MAC_PREFIX_RE = re.compile(r"^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\Z")

def _NodeSetupFiles() -> List[str]:
  """Crypto files a node needs before its daemon can talk to the cluster.

  The cluster domain secret and the rest travel later, by RPC.

  """
  return [pathutils.NODED_CERT_FILE, pathutils.RAPI_CERT_FILE,
          pathutils.SPICE_CERT_FILE, pathutils.SPICE_CACERT_FILE,
          pathutils.CONFD_HMAC_KEY]


# -- crypto ------------------------------------------------------------------


def GenerateHmacKey(file_name: str) -> None:
  """Write a new confd HMAC key (40 hex digits and a newline)."""
  utils.WriteFile(file_name, data="%s\n" % utils.GenerateSecret(),
                  mode=0o400, backup=True)


def _WriteOrGenerateCert(file_name: str, pem: Optional[str], new: bool,
                         what: str) -> None:
  if pem:
    logging.debug("Writing the given %s to %s", what, file_name)
    utils.WriteFile(file_name, data=pem, mode=0o400, backup=True)
  elif new or not os.path.exists(file_name):
    logging.debug("Generating a new %s in %s", what, file_name)
    if os.path.exists(file_name):
      utils.CreateBackup(file_name)
    utils.GenerateSelfSignedSslCert(file_name)


def GenerateClusterCrypto(new_cluster_cert: bool, new_rapi_cert: bool,
                          new_spice_cert: bool, new_confd_hmac_key: bool,
                          new_cds: bool, rapi_cert_pem: Optional[str] = None,
                          spice_cert_pem: Optional[str] = None,
                          spice_cacert_pem: Optional[str] = None,
                          cds: Optional[str] = None,
                          nodecert_file: Optional[str] = None,
                          rapicert_file: Optional[str] = None,
                          spicecert_file: Optional[str] = None,
                          spicecacert_file: Optional[str] = None,
                          hmackey_file: Optional[str] = None,
                          cds_file: Optional[str] = None) -> None:
  """Create (or replace) the cluster's keys and certificates.

  A file that does not exist is always created; an existing one is
  replaced when its ``new_*`` flag is set or its content is given (the old
  file is kept as a backup).  Paths default to this node's pathutils.

  @param rapi_cert_pem: the RAPI key and certificate to install
  @param spice_cert_pem: the SPICE key and certificate to install (needs
      spice_cacert_pem, the CA certificate)
  @param cds: the cluster domain secret to install

  """
  if nodecert_file is None:
    nodecert_file = pathutils.NODED_CERT_FILE
  if rapicert_file is None:
    rapicert_file = pathutils.RAPI_CERT_FILE
  if spicecert_file is None:
    spicecert_file = pathutils.SPICE_CERT_FILE
  if spicecacert_file is None:
    spicecacert_file = pathutils.SPICE_CACERT_FILE
  if hmackey_file is None:
    hmackey_file = pathutils.CONFD_HMAC_KEY
  if cds_file is None:
    cds_file = pathutils.CLUSTER_DOMAIN_SECRET_FILE
  if bool(spice_cert_pem) != bool(spice_cacert_pem):
    raise errors.ProgrammerError("The SPICE certificate and its CA"
                                 " certificate must be given together")

  _WriteOrGenerateCert(nodecert_file, None, new_cluster_cert,
                       "cluster certificate")
  _WriteOrGenerateCert(rapicert_file, rapi_cert_pem, new_rapi_cert,
                       "RAPI certificate")
  if spice_cert_pem:
    _WriteOrGenerateCert(spicecert_file, spice_cert_pem, True,
                         "SPICE certificate")
    utils.WriteFile(spicecacert_file, data=spice_cacert_pem, mode=0o400,
                    backup=True)
  elif new_spice_cert or not os.path.exists(spicecert_file):
    # self-signed: the certificate is its own CA
    _WriteOrGenerateCert(spicecert_file, None, True, "SPICE certificate")
    cert_pem = _CertPart(utils.ReadFile(spicecert_file))
    utils.WriteFile(spicecacert_file, data=cert_pem, mode=0o400, backup=True)

  if new_confd_hmac_key or not os.path.exists(hmackey_file):
    logging.debug("Writing a new confd HMAC key to %s", hmackey_file)
    GenerateHmacKey(hmackey_file)

  if cds:
    logging.debug("Writing the given cluster domain secret to %s", cds_file)
    utils.WriteFile(cds_file, data=cds, mode=0o400, backup=True)
  elif new_cds or not os.path.exists(cds_file):
    logging.debug("Writing a new cluster domain secret to %s", cds_file)
    GenerateHmacKey(cds_file)


def _CertPart(pem_text: str) -> str:
  """The certificate block(s) of a PEM text holding a key and a cert."""
  marker = "-----BEGIN CERTIFICATE-----"
  pos = pem_text.find(marker)
  if pos < 0:
    raise errors.GenericError("No certificate found in PEM data")
  return pem_text[pos:]


def WriteKnownHostsFile(cluster_name: str, host_key: str,
                        file_name: Optional[str] = None) -> None:
  """Write the cluster's known_hosts line (``<cluster> ssh-rsa <key>``)."""
  if file_name is None:
    file_name = pathutils.SSH_KNOWN_HOSTS_FILE
  utils.WriteFile(file_name, data="%s ssh-rsa %s\n" % (cluster_name,
                                                       host_key),
                  mode=0o644)


def _ReadHostKey(required: bool) -> str:
  """This machine's RSA SSH host key (the base64 part), or "".

  @raise errors.OpPrereqError: missing while ``required``

  """
  path = pathutils.SSH_HOST_RSA_PUB
  try:
    line = utils.ReadFile(path).strip()
  except EnvironmentError as err:
    if required:
      raise errors.OpPrereqError("Cannot read the SSH host key %s (%s);"
                                 " create it or use --no-ssh-init" %
                                 (path, err), errors.ECODE_ENVIRON)
    logging.warning("No SSH host key in %s (%s), the cluster's known_hosts"
                    " stays empty", path, err)
    return ""
  parts = line.split()
  if len(parts) < 2:
    raise errors.OpPrereqError("SSH host key file %s is malformed: %r" %
                               (path, line[:60]), errors.ECODE_ENVIRON)
  return parts[1]


def _InitSSHSetup() -> None:
  """Give root a key pair and let it log in to itself (real hosts only).

  Virtual nodes share this machine's SSH setup, which is left alone.

  """
  if vcluster.IsVirtualCluster():
    logging.info("Virtual cluster: not changing root's SSH setup")
    return
  ssh_dir = os.path.expanduser("~root/.ssh")
  priv = os.path.join(ssh_dir, "id_rsa")
  pub = priv + ".pub"
  utils.EnsureDirs([(ssh_dir, 0o700)])
  if not (os.path.exists(priv) and os.path.exists(pub)):
    for path in (priv, pub):
      if os.path.exists(path):
        utils.CreateBackup(path)
        utils.RemoveFile(path)
    result = utils.RunCmd(["ssh-keygen", "-t", "rsa", "-b", "2048", "-q",
                           "-N", "", "-f", priv])
    if result.failed:
      raise errors.OpExecError("Could not generate root's SSH key with"
                               " '%s': %s" % (result.cmd, result.output))
  key = utils.ReadFile(pub).strip()
  auth = os.path.join(ssh_dir, "authorized_keys")
  try:
    present = utils.ReadFile(auth).splitlines()
  except FileNotFoundError:
    present = []
  if key not in [line.strip() for line in present]:
    utils.WriteFile(auth, data="".join("%s\n" % l for l in present + [key]),
                    mode=0o600)


# -- checks ------------------------------------------------------------------


def _InitFileStorage(file_storage_dir: str,
                     localize_fn=vcluster.AddNodePrefix) -> str:
  """Check a file storage directory and create it on this node.

  The configuration keeps the path as given; on a virtual node it is
  created below the node's root (``localize_fn``; the shared file storage
  directory is one directory of the whole virtual cluster instead).

  @raise errors.OpPrereqError: not an absolute path, or not a directory

  """
  if not file_storage_dir:
    return ""
  file_storage_dir = os.path.normpath(file_storage_dir)
  if not os.path.isabs(file_storage_dir):
    raise errors.OpPrereqError("File storage directory '%s' is not an"
                               " absolute path" % file_storage_dir,
                               errors.ECODE_INVAL)
  local = localize_fn(file_storage_dir)
  if not os.path.exists(local):
    try:
      os.makedirs(local, 0o750)
    except OSError as err:
      raise errors.OpPrereqError("Cannot create file storage directory"
                                 " '%s': %s" % (local, err),
                                 errors.ECODE_ENVIRON)
  if not os.path.isdir(local):
    raise errors.OpPrereqError("The file storage directory '%s' is not"
                               " a directory" % local, errors.ECODE_ENVIRON)
  return file_storage_dir


def _CheckVolumeGroup(vg_name: str) -> None:
  try:
    vgs = backend.ListVolumeGroups()
  except backend.RPCFail as err:
    raise errors.OpPrereqError("Cannot list the volume groups (%s); specify"
                               " --no-lvm-storage if you are not using lvm" %
                               err, errors.ECODE_ENVIRON)
  if vg_name not in vgs:
    raise errors.OpPrereqError("Volume group '%s' missing; specify"
                               " --no-lvm-storage if you are not using lvm" %
                               vg_name, errors.ECODE_ENVIRON)
  size = vgs[vg_name]
  if isinstance(size, (list, tuple)):
    size = size[0]
  if size < MIN_VG_SIZE:
    raise errors.OpPrereqError("Volume group '%s' too small (%s MiB"
                               " required, %d MiB found); specify"
                               " --no-lvm-storage if you are not using lvm" %
                               (vg_name, MIN_VG_SIZE, size),
                               errors.ECODE_ENVIRON)


def _CheckDrbdHelper(drbd_helper: str,
                     _helper_file: str = _DRBD_HELPER_FILE) -> None:
  try:
    current = utils.ReadFile(_helper_file).strip()
  except EnvironmentError as err:
    raise errors.OpPrereqError("Error while checking the DRBD usermode"
                               " helper (specify --no-drbd-storage if you"
                               " are not using drbd): cannot read %s: %s" %
                               (_helper_file, err), errors.ECODE_ENVIRON)
  if current != drbd_helper:
    raise errors.OpPrereqError("Requiring %s as the DRBD usermode helper but"
                               " %s is the current helper" %
                               (drbd_helper, current), errors.ECODE_INVAL)


def _CheckHvParams(hvparams: Dict[str, dict]) -> None:
  for (hv_name, params) in hvparams.items():
    if hv_name not in constants.HYPER_TYPES:
      raise errors.OpPrereqError("Hypervisor parameters given for unknown"
                                 " hypervisor '%s'" % hv_name,
                                 errors.ECODE_INVAL)
    unknown = set(params) - set(constants.HVC_DEFAULTS.get(hv_name, {}))
    if unknown:
      raise errors.OpPrereqError("Unknown parameters for hypervisor %s: %s" %
                                 (hv_name, utils.CommaJoin(sorted(unknown))),
                                 errors.ECODE_INVAL)
    utils.ForceDictType(params, constants.HVS_PARAMETER_TYPES)


def _CheckDiskParams(diskparams: Dict[str, dict]) -> None:
  for (template, params) in diskparams.items():
    if template not in constants.DISK_DT_DEFAULTS:
      raise errors.OpPrereqError("Disk templates unknown: %s" % template,
                                 errors.ECODE_INVAL)
    unknown = set(params) - set(constants.DISK_DT_DEFAULTS[template])
    if unknown:
      raise errors.OpPrereqError("Invalid parameters for disk template %s:"
                                 " %s" % (template,
                                          utils.CommaJoin(sorted(unknown))),
                                 errors.ECODE_INVAL)
    utils.ForceDictType(params, constants.DISK_DT_TYPES)


def IsMasterIpActive(ip: str, netdev: str) -> bool:
  """Whether the master IP answers somewhere.

  On real hosts, a TCP ping to the node daemon port (a refusal proves the
  address is up).  Every 127.x address answers on Linux, so on a virtual
  cluster the address is looked for on the master network device instead.

  """
  if vcluster.IsVirtualCluster():
    try:
      present = netutils.GetInterfaceIpAddresses(netdev)
    except errors.GenericError:
      return False
    wanted = netutils.IPAddress.Normalize(ip)
    return any(netutils.IPAddress.Normalize(addr) == wanted
               for addrs in present.values() for addr in addrs)
  return netutils.TcpPing(ip, netutils.GetDaemonPort(constants.NODED),
                          timeout=5)


# -- starting daemons --------------------------------------------------------


def RunDaemonUtil(*args: str, env: Optional[dict] = None) -> utils.RunResult:
  """Run this node's daemon-util with the given arguments."""
  daemon_util = backend_master.FindDaemonUtil()
  return utils.RunCmd([sys.executable, daemon_util] + list(args), env=env)


def _WaitForNodeDaemon(node: str, timeout: float = NODED_START_TIMEOUT
                       ) -> None:
  """Poll the node daemon's version call until it answers.

  @raise errors.OpExecError: no answer within ``timeout``

  """
  runner = rpc.BootstrapRunner()
  deadline = time.monotonic() + timeout
  while True:
    result = runner.call_version([node])[node]
    if not result.fail_msg:
      return
    if time.monotonic() > deadline:
      raise errors.OpExecError("Node daemon on %s did not answer within %s"
                               " seconds: %s" % (node, timeout,
                                                 result.fail_msg))
    time.sleep(0.1)


def _WaitForMasterDaemon(timeout: float = MASTERD_START_TIMEOUT) -> None:
  """Poll the master socket until the master daemon answers."""
  deadline = time.monotonic() + timeout
  while True:
    try:
      client = luxi.Client(address=pathutils.MASTER_SOCKET)
      try:
        client.QueryConfigValues(["cluster_name"])
      finally:
        client.Close()
      return
    except (luxi.ProtocolError, errors.GenericError, OSError) as err:
      if time.monotonic() > deadline:
        raise errors.OpExecError("Master daemon did not answer within %s"
                                 " seconds: %s" % (timeout, err))
    time.sleep(0.1)


# -- cluster init ------------------------------------------------------------


def InitCluster(cluster_name: str, mac_prefix: str,
                master_netmask: Optional[int], master_netdev: str,
                file_storage_dir: str, shared_file_storage_dir: str,
                candidate_pool_size: int, secondary_ip: Optional[str] = None,
                vg_name: Optional[str] = None,
                beparams: Optional[dict] = None,
                nicparams: Optional[dict] = None,
                ndparams: Optional[dict] = None,
                hvparams: Optional[dict] = None,
                diskparams: Optional[dict] = None,
                enabled_hypervisors: Optional[List[str]] = None,
                modify_etc_hosts: bool = True,
                modify_ssh_setup: bool = True,
                maintain_node_health: bool = False,
                drbd_helper: Optional[str] = None,
                uid_pool: Optional[list] = None,
                default_iallocator: Optional[str] = None,
                primary_ip_version: Optional[int] = None,
                ipolicy: Optional[dict] = None,
                prealloc_wipe_disks: bool = False,
                use_external_mip_script: bool = False,
                hv_state: Optional[dict] = None,
                disk_state: Optional[dict] = None) -> None:
  """Create a cluster with this node as its master.

  Checks the node and the parameters, writes the crypto files, the first
  config.data and the ssconf files, starts the node daemon, then the
  master daemon, and waits until the latter answers.  The caller submits
  OpClusterPostInit (the post-init hooks) afterwards.

  @raise errors.OpPrereqError: a check failed (nothing was written)
  @raise errors.OpExecError: a daemon did not start

  """
  if config.ConfigWriter.IsCluster():
    raise errors.OpPrereqError("Cluster is already initialised",
                               errors.ECODE_STATE)
  if not enabled_hypervisors:
    raise errors.OpPrereqError("Enabled hypervisors list must contain at"
                               " least one member", errors.ECODE_INVAL)
  invalid_hvs = sorted(set(enabled_hypervisors) - constants.HYPER_TYPES)
  if invalid_hvs:
    raise errors.OpPrereqError("Enabled hypervisors contains invalid"
                               " entries: %s" % utils.CommaJoin(invalid_hvs),
                               errors.ECODE_INVAL)
  if primary_ip_version is None:
    primary_ip_version = constants.IP4_VERSION
  try:
    ipcls = netutils.IPAddress.GetClassFromIpVersion(primary_ip_version)
  except errors.ProgrammerError:
    raise errors.OpPrereqError("Invalid primary ip version: %s" %
                               (primary_ip_version, ),
                               errors.ECODE_INVAL) from None

  hostname = netutils.GetHostname(family=ipcls.family)
  if not ipcls.IsValid(hostname.ip):
    raise errors.OpPrereqError("This host's IP (%s) is not a valid IPv%d"
                               " address" % (hostname.ip,
                                             primary_ip_version),
                               errors.ECODE_INVAL)
  # virtual nodes live on 127.x addresses by design
  if ipcls.IsLoopback(hostname.ip) and not vcluster.IsVirtualCluster():
    raise errors.OpPrereqError("This host's IP (%s) resolves to a loopback"
                               " address. Please fix DNS or %s." %
                               (hostname.ip, pathutils.ETC_HOSTS),
                               errors.ECODE_ENVIRON)
  if not ipcls.Own(hostname.ip):
    raise errors.OpPrereqError("Inconsistency: this host's name resolves to"
                               " %s, but this IP address does not belong to"
                               " this host" % hostname.ip,
                               errors.ECODE_ENVIRON)

  clustername = netutils.GetHostname(name=cluster_name, family=ipcls.family)
  if IsMasterIpActive(clustername.ip, master_netdev):
    raise errors.OpPrereqError("Cluster IP %s of %s already active" %
                               (clustername.ip, clustername.name),
                               errors.ECODE_NOTUNIQUE)

  if not secondary_ip:
    if primary_ip_version == constants.IP6_VERSION:
      raise errors.OpPrereqError("When using an IPv6 primary address, a"
                                 " valid IPv4 address must be given as"
                                 " secondary", errors.ECODE_INVAL)
    secondary_ip = hostname.ip
  if not netutils.IP4Address.IsValid(secondary_ip):
    raise errors.OpPrereqError("Secondary IP address (%s) has to be a valid"
                               " IPv4 address" % secondary_ip,
                               errors.ECODE_INVAL)
  if not netutils.IP4Address.Own(secondary_ip):
    raise errors.OpPrereqError("You gave %s as secondary IP, but it does not"
                               " belong to this host" % secondary_ip,
                               errors.ECODE_ENVIRON)

  if master_netmask is not None:
    if not ipcls.ValidateNetmask(master_netmask):
      raise errors.OpPrereqError("CIDR netmask (%s) not valid for IPv%s" %
                                 (master_netmask, primary_ip_version),
                                 errors.ECODE_INVAL)
  else:
    master_netmask = ipcls.iplen

  if vg_name:
    _CheckVolumeGroup(vg_name)
  if drbd_helper:
    _CheckDrbdHelper(drbd_helper)

  if not _MAC_PREFIX_RE.match(mac_prefix or ""):
    raise errors.OpPrereqError("Invalid mac prefix given '%s'" % mac_prefix,
                               errors.ECODE_INVAL)
  if not netutils.IsValidInterface(master_netdev):
    raise errors.OpPrereqError("Invalid master netdev given (%s): no such"
                               " interface on this node" % master_netdev,
                               errors.ECODE_INVAL)

  beparams = dict(beparams or {})
  objects.UpgradeBeParams(beparams)
  utils.ForceDictType(beparams, constants.BES_PARAMETER_TYPES)
  nicparams = objects.FillDict(constants.NICC_DEFAULTS, nicparams or {})
  utils.ForceDictType(nicparams, constants.NICS_PARAMETER_TYPES)
  try:
    objects.NIC.CheckParameterSyntax(nicparams)
  except errors.ConfigurationError as err:
    raise errors.OpPrereqError("Invalid NIC parameters: %s" % err,
                               errors.ECODE_INVAL) from None
  full_ipolicy = objects_ipolicy.FillIPolicy(constants.IPOLICY_DEFAULTS,
                                             ipolicy)
  try:
    objects.InstancePolicy.CheckParameterSyntax(full_ipolicy, True)
  except errors.ConfigurationError as err:
    raise errors.OpPrereqError("Invalid instance policy: %s" % err,
                               errors.ECODE_INVAL) from None
  if ndparams is not None:
    ndparams = dict(ndparams)
    utils.ForceDictType(ndparams, constants.NDS_PARAMETER_TYPES)
  else:
    ndparams = dict(constants.NDC_DEFAULTS)
  if hv_state:
    hv_state = dict(hv_state)
    for (hv_name, hvs_data) in hv_state.items():
      utils.ForceDictType(hvs_data, constants.HVSTS_PARAMETER_TYPES)
      hv_state[hv_name] = objects.FillDict(constants.HVST_DEFAULTS, hvs_data)
  else:
    hv_state = dict((hv_name, dict(constants.HVST_DEFAULTS))
                    for hv_name in enabled_hypervisors)
  if disk_state:
    disk_state = dict(disk_state)
    for (storage, ds_data) in disk_state.items():
      for (name, values) in ds_data.items():
        utils.ForceDictType(values, constants.DSS_PARAMETER_TYPES)
        ds_data[name] = objects.FillDict(constants.DS_DEFAULTS, values)
  else:
    disk_state = {}
  hvparams = dict((hv_name, dict(params))
                  for (hv_name, params) in (hvparams or {}).items())
  _CheckHvParams(hvparams)
  diskparams = dict((tmpl, dict(params))
                    for (tmpl, params) in (diskparams or {}).items())
  _CheckDiskParams(diskparams)

  if default_iallocator:
    if not utils.FindFile(default_iallocator,
                          pathutils.IALLOCATOR_SEARCH_PATH, os.path.isfile):
      raise errors.OpPrereqError("Invalid default iallocator script '%s'"
                                 " specified" % default_iallocator,
                                 errors.ECODE_INVAL)
  elif default_iallocator is None:
    if utils.FindFile(constants.IALLOC_HAIL,
                      pathutils.IALLOCATOR_SEARCH_PATH, os.path.isfile):
      default_iallocator = constants.IALLOC_HAIL
    else:
      default_iallocator = ""

  file_storage_dir = _InitFileStorage(file_storage_dir)
  shared_file_storage_dir = _InitFileStorage(shared_file_storage_dir,
                                             vcluster.AddSharedPrefix)
  host_key = _ReadHostKey(modify_ssh_setup)

  # from here on the node is changed
  for path in (pathutils.DATA_DIR, pathutils.RUN_DIR, pathutils.LOG_DIR):
    utils.EnsureDirs([(path, 0o755)])
  if modify_etc_hosts:
    backend.EtcHostsModify("add", hostname.name, hostname.ip)
  if modify_ssh_setup:
    _InitSSHSetup()

  now = time.time()
  cluster_config = objects.Cluster(
    serial_no=1, rsahostkeypub=host_key,
    highest_used_port=(constants.FIRST_DRBD_PORT - 1),
    mac_prefix=mac_prefix, volume_group_name=vg_name or "",
    tcpudp_port_pool=set(), master_node=hostname.name,
    master_ip=clustername.ip, master_netmask=master_netmask,
    master_netdev=master_netdev, cluster_name=clustername.name,
    file_storage_dir=file_storage_dir,
    shared_file_storage_dir=shared_file_storage_dir,
    enabled_hypervisors=list(enabled_hypervisors),
    beparams={constants.PP_DEFAULT: beparams},
    nicparams={constants.PP_DEFAULT: nicparams},
    ndparams=ndparams, hvparams=hvparams, diskparams=diskparams,
    candidate_pool_size=candidate_pool_size,
    modify_etc_hosts=modify_etc_hosts, modify_ssh_setup=modify_ssh_setup,
    uid_pool=list(uid_pool or []), ctime=now, mtime=now,
    maintain_node_health=maintain_node_health,
    drbd_usermode_helper=drbd_helper or "",
    default_iallocator=default_iallocator,
    primary_ip_family=ipcls.family,
    prealloc_wipe_disks=prealloc_wipe_disks,
    use_external_mip_script=use_external_mip_script,
    ipolicy=full_ipolicy, hv_state_static=hv_state,
    disk_state_static=disk_state, tags=set())
  master_node_config = objects.Node(
    name=hostname.name, primary_ip=hostname.ip, secondary_ip=secondary_ip,
    serial_no=1, master_candidate=True, offline=False, drained=False,
    master_capable=True, vm_capable=True, ndparams={}, ctime=now, mtime=now)
  config.InitConfig(constants.CONFIG_VERSION, cluster_config,
                    master_node_config)
  cfg = config.ConfigWriter(offline=True)
  if host_key:
    WriteKnownHostsFile(cfg.GetClusterName(), host_key)
  ssconf.WriteSsconfFiles(cfg.GetSsconfValues())

  GenerateClusterCrypto(True, False, False, False, False)
  logging.info("Starting the node daemon")
  result = RunDaemonUtil("check-and-start", constants.NODED)
  if result.failed:
    raise errors.OpExecError("Could not start the node daemon, command %s"
                             " had exit code %s and error %s" %
                             (result.cmd, result.exit_code, result.output))
  _WaitForNodeDaemon(hostname.name)
  logging.info("Starting the master daemons")
  result = RunDaemonUtil("start-master")
  if result.failed:
    raise errors.OpExecError("Could not start the master daemons, command %s"
                             " had exit code %s and error %s" %
                             (result.cmd, result.exit_code, result.output))
  _WaitForMasterDaemon()


# -- node setup --------------------------------------------------------------


def _VirtualNodeCmd(node: str) -> str:
  """The ``cmd`` wrapper running commands as virtual node ``node``."""
  cluster_dir = vcluster.GetClusterDirectory()
  return os.path.join(vcluster.MakeNodeRoot(cluster_dir, node), "cmd")


def RunOnVirtualNode(node: str, argv: List[str],
                     timeout: Optional[float] = None) -> utils.RunResult:
  """Run a command as another node of this virtual cluster."""
  return utils.RunCmd([_VirtualNodeCmd(node)] + list(argv), timeout=timeout)


def _VirtualTarget(node: str, file_name: str) -> str:
  """Where ``file_name`` of this node is on virtual node ``node``.

  A path inside this node's root maps to the same place in the other
  root; any other path is taken as seen from inside the node.

  """
  try:
    return vcluster.ExchangeNodeRoot(node, file_name)
  except errors.ProgrammerError:
    return vcluster.AddNodePrefix(
      file_name, _noderoot=vcluster.MakeNodeRoot(
        vcluster.GetClusterDirectory(), node))


def CopyFileToVirtualNode(node: str, file_name: str) -> None:
  """Copy a file of this node to the same path on a virtual node."""
  target = _VirtualTarget(node, file_name)
  os.makedirs(os.path.dirname(target), exist_ok=True)
  st = os.stat(file_name)
  utils.WriteFile(target, data=utils.ReadBinaryFile(file_name),
                  mode=st.st_mode & 0o7777)


def _SshRunner(cluster_name: str) -> Any:
  from ganeti import ssh  # pylint: disable=C0415
  try:
    family = ssconf.SimpleStore().GetPrimaryIPFamily()
  except errors.ConfigurationError:
    family = socket.AF_INET
  return ssh.SshRunner(cluster_name, ipv6=(family == socket.AF_INET6))


class NodeCommandRunner:
  """Runs shell commands on and copies files to the cluster's nodes.

  For what cannot go through RPC (node setup, renew-crypto with the
  daemons stopped, ``gnt-cluster command`` and ``copyfile``).  On a
  virtual cluster the nodes are on this machine: commands run through
  each node's ``cmd`` wrapper and files are copied between node roots.
  On real hosts both go over SSH (ssh.SshRunner); this node runs its
  commands itself.

  """
  def __init__(self, cluster_name: str,
               ssh_port: int = constants.DEFAULT_SSH_PORT):
    self.cluster_name = cluster_name
    self.ssh_port = ssh_port
    self._ssh = None
    self._myself = netutils.Hostname.GetSysName()

  def _GetSsh(self) -> Any:
    if self._ssh is None:
      self._ssh = _SshRunner(self.cluster_name)
    return self._ssh

  def Run(self, node: str, command: str) -> Any:
    """Run a shell command as root on ``node``.

    @return: an object with ``failed``, ``exit_code``, ``output`` and
        ``fail_reason``

    """
    argv = ["/bin/sh", "-c", command]
    if node == self._myself:
      return utils.RunCmd(argv)
    if vcluster.IsVirtualCluster():
      return RunOnVirtualNode(node, argv)
    return self._GetSsh().Run(node, SSH_LOGIN_USER, command,
                              port=self.ssh_port)

  def CopyFile(self, node: str, file_name: str) -> bool:
    """Copy a local file to the same path on ``node``; False on failure."""
    if vcluster.IsVirtualCluster():
      try:
        CopyFileToVirtualNode(node, file_name)
      except (EnvironmentError, errors.GenericError) as err:
        logging.error("Copy of %s to virtual node %s failed: %s", file_name,
                      node, err)
        return False
      return True
    return self._GetSsh().CopyFileToNode(node, self.ssh_port, file_name)

  def DaemonUtil(self, node: str, *args: str) -> Any:
    """Run daemon-util with ``args`` on ``node``."""
    if node == self._myself:
      return RunDaemonUtil(*args)
    if vcluster.IsVirtualCluster():
      return RunOnVirtualNode(node, ["daemon-util"] + list(args))
    return self.Run(node, " ".join([pathutils.DAEMON_UTIL] +
                                   [utils.ShellQuote(a) for a in args]))


def SetupNodeDaemon(cluster_name: str, node: str, ssh_port: int) -> None:
  """Give a node the cluster crypto files and (re)start its node daemon.

  RPC cannot do this: the node has no cluster certificate yet.  Virtual
  nodes (on this machine) get the files copied into their root and their
  daemon restarted through their ``cmd`` wrapper; real nodes over SSH.

  @raise errors.OpExecError: the copy or the daemon start failed, or the
      daemon does not answer afterwards

  """
  files = [name for name in _NodeSetupFiles() if os.path.exists(name)]
  if vcluster.IsVirtualCluster():
    for name in files:
      CopyFileToVirtualNode(node, name)
    for action in ("stop", "start"):
      result = RunOnVirtualNode(node, ["daemon-util", action,
                                       constants.NODED])
      if result.failed:
        raise errors.OpExecError("Could not %s the node daemon on %s: %s"
                                 " (%s)" % (action, node, result.fail_reason,
                                            result.output.strip()))
  else:
    runner = _SshRunner(cluster_name)
    try:
      family = ssconf.SimpleStore().GetPrimaryIPFamily()
    except errors.ConfigurationError:
      family = socket.AF_INET
    for name in files:
      if not runner.CopyFileToNode(node, ssh_port, name):
        raise errors.OpExecError("Copy of file %s to node %s failed" %
                                 (name, node))
    bind = constants.IP6_ADDRESS_ANY if family == socket.AF_INET6 else \
      constants.IP4_ADDRESS_ANY
    command = ("%s stop %s; %s start %s -b %s" %
               (pathutils.DAEMON_UTIL, constants.NODED, pathutils.DAEMON_UTIL,
                constants.NODED, utils.ShellQuote(bind)))
    result = runner.Run(node, SSH_LOGIN_USER, command,
                        port=ssh_port)
    if result.failed:
      raise errors.OpExecError("Remote command on node %s failed: %s,"
                               " output: %s" % (node, result.fail_reason,
                                                result.output))
  _WaitForNodeDaemon(node)


# -- destroy -----------------------------------------------------------------


def GetMasterNetworkParameters(cfg: Any) -> objects.MasterNetworkParameters:
  """The master IP parameters of a configuration."""
  cluster = cfg.GetClusterInfo()
  return objects.MasterNetworkParameters(
    name=cluster.master_node, ip=cluster.master_ip,
    netmask=cluster.master_netmask, netdev=cluster.master_netdev,
    ip_family=cluster.primary_ip_family)


def FinalizeClusterDestroy(master: str) -> None:
  """After OpClusterDestroy: master IP down, master daemons stopped, and
  the master node leaves the cluster (its node daemon then exits).

  Failures are logged as warnings: the cluster is gone either way.

  """
  cfg = config.ConfigWriter(offline=True)
  modify_ssh_setup = cfg.GetClusterInfo().modify_ssh_setup
  runner = rpc.BootstrapRunner()
  params = GetMasterNetworkParameters(cfg)
  params.name = master
  result = runner.call_node_deactivate_master_ip(
    master, params.ToDict(), cfg.GetUseExternalMipScript())
  if result.fail_msg:
    logging.warning("Could not disable the master IP: %s", result.fail_msg)
  result = runner.call_node_stop_master(master)
  if result.fail_msg:
    logging.warning("Could not disable the master role: %s", result.fail_msg)
  result = runner.call_node_leave_cluster(master, bool(modify_ssh_setup))
  if result.fail_msg:
    logging.warning("Could not shut down the node daemon and clean up the"
                    " node: %s", result.fail_msg)


# -- master voting -----------------------------------------------------------


def CountMasterVotes(results: Dict[str, Any]) -> List[Tuple[Optional[str],
                                                            int]]:
  """Turn master_info answers into (candidate, votes), best first.

  A failed or malformed answer is a vote for None.  Ties put real names
  before None, then sort by name.

  """
  votes: Dict[Optional[str], int] = {}
  for node in sorted(results):
    nres = results[node]
    data = nres.payload
    if nres.fail_msg:
      logging.warning("Error contacting node %s: %s", node, nres.fail_msg)
      candidate = None
    elif not isinstance(data, (tuple, list)) or len(data) < 3 or \
        not isinstance(data[2], str):
      logging.warning("Invalid master info received from node %s: %r",
                      node, data)
      candidate = None
    else:
      candidate = data[2]
    votes[candidate] = votes.get(candidate, 0) + 1
  return sorted(votes.items(),
                key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def GatherMasterVotes(node_list: Iterable[str]
                      ) -> List[Tuple[Optional[str], int]]:
  """Ask every other node (offline ones too) who the master is.

  @return: [(candidate or None, votes)], best first; empty when there is
      no other node

  """
  myself = netutils.Hostname.GetSysName()
  nodes = [name for name in node_list if name != myself]
  if not nodes:
    return []
  results = rpc.BootstrapRunner().call_master_info(nodes)
  if not isinstance(results, dict):
    logging.critical("Cannot complete the master_info call: %r", results)
    return [(None, len(nodes))]
  return CountMasterVotes(results)


def DecideMasterVotes(votes: List[Tuple[Optional[str], int]], myself: str
                      ) -> Tuple[bool, str]:
  """Whether the votes (without our own) make ``myself`` the master.

  Accepted when the top candidate is us and has at least as many votes as
  all others together.

  @return: (accepted, explanation)

  """
  if not votes:
    return (True, "no other node to ask")
  all_votes = sum(count for (_, count) in votes)
  (top_node, top_votes) = votes[0]
  if top_node is None:
    return (False, "most nodes (%d of %d) did not answer" %
            (top_votes, all_votes))
  if top_node != myself:
    return (False, "it seems we are not the master (top-voted node is %s"
            " with %d out of %d votes)" % (top_node, top_votes, all_votes))
  if top_votes < all_votes - top_votes:
    return (False, "it seems we are not the master (%d votes for, %d votes"
            " against)" % (top_votes, all_votes - top_votes))
  return (True, "%d of %d votes for %s" % (top_votes, all_votes, myself))


def CheckAgreement(node_list: List[str], myself: Optional[str] = None,
                   retries: int = VOTING_RETRIES,
                   delay: float = VOTING_RETRY_DELAY,
                   _gather_fn: Callable[[List[str]], list] = None,
                   _sleep_fn: Callable[[float], None] = time.sleep) -> bool:
  """Master voting at master daemon start (daemons-and-files.md 6).

  While the top "candidate" is None (most nodes silent) it retries, up to
  ``retries`` attempts in all, ``delay`` seconds apart.

  """
  if myself is None:
    myself = netutils.Hostname.GetSysName()
  if _gather_fn is None:
    _gather_fn = GatherMasterVotes
  votes = []
  for attempt in range(retries):
    votes = _gather_fn(list(node_list))
    if not votes or votes[0][0] is not None:
      break
    if attempt + 1 < retries:
      logging.warning("Most nodes did not answer the master vote, retrying"
                      " in %s seconds", delay)
      _sleep_fn(delay)
  else:
    logging.critical("Cluster inconsistent, most of the nodes did not answer"
                     " after %d attempts; aborting start-up. Use the"
                     " --no-voting option if you understand what effects it"
                     " has on the cluster state", retries)
    return False
  (accepted, why) = DecideMasterVotes(votes, myself)
  if accepted:
    logging.info("Master vote: %s", why)
  else:
    logging.critical("Master vote failed: %s", why)
  return accepted


# -- master info and failover ------------------------------------------------


def GetMaster() -> str:
  """The master node's name, from this node's ssconf."""
  (master, _) = ssconf.GetMasterAndMyself()
  return master


def GetMasterInfo() -> tuple:
  """What this node believes about the master (see backend.GetMasterInfo).

  @raise errors.ConfigurationError: the node is not part of a cluster

  """
  try:
    return backend.GetMasterInfo()
  except backend.RPCFail as err:
    raise errors.ConfigurationError("Cannot read the master information of"
                                    " this node: %s" % err) from None


def MasterFailover(no_voting: bool = False,
                   _ip_timeout: float = MASTER_IP_GONE_TIMEOUT) -> int:
  """Make this node (a master candidate) the master.

  Checks the votes of the other nodes (unless ``no_voting``), makes this
  node the master in the configuration (distributing config and ssconf),
  stops the master role on the old master, then starts the master daemons
  here.

  @return: exit code (0, or 1 when the new master daemons failed to start)
  @raise errors.OpPrereqError: this node is already the master, is not a
      master candidate, or the votes disagree

  """
  sstore = ssconf.SimpleStore()
  (old_master, new_master) = ssconf.GetMasterAndMyself(sstore)
  node_list = sstore.GetNodeList()
  mc_list = sstore.GetMasterCandidates()
  if old_master == new_master:
    raise errors.OpPrereqError("This command must be run on the node where"
                               " you want the new master to be; %s is"
                               " already the master" % old_master,
                               errors.ECODE_INVAL)
  if new_master not in mc_list:
    raise errors.OpPrereqError("This node is not among the nodes marked as"
                               " master candidates. Only these nodes can"
                               " become masters. Current list of master"
                               " candidates is: %s" %
                               utils.CommaJoin(mc_list), errors.ECODE_STATE)
  if not no_voting:
    votes = GatherMasterVotes(node_list)
    if votes:
      voted_master = votes[0][0]
      if voted_master is None:
        raise errors.OpPrereqError("Cluster is inconsistent, most nodes did"
                                   " not respond", errors.ECODE_ENVIRON)
      if voted_master != old_master:
        raise errors.OpPrereqError("I have a wrong configuration, I believe"
                                   " the master is %s but the other nodes"
                                   " voted %s. Please resync the"
                                   " configuration of this node." %
                                   (old_master, voted_master),
                                   errors.ECODE_STATE)

  logging.info("Setting master to %s, old master: %s", new_master,
               old_master)
  runner = rpc.BootstrapRunner()
  try:
    cfg = config.ConfigWriter(accept_foreign=True)
    cfg.SetSaveHook(lambda _name, _serial:
                    DistributeConfig(runner, cfg, ssconf_changed=True))
    cluster_info = cfg.GetClusterInfo()
    cluster_info.master_node = new_master
    # the save distributes config.data and ssconf: from now on the other
    # nodes name us as the master
    cfg.Update(cluster_info, logging.error)
  except errors.ConfigurationError as err:
    logging.error("Error while trying to set the new master: %s", err)
    return constants.EXIT_FAILURE

  logging.info("Stopping the master role on node %s", old_master)
  params = GetMasterNetworkParameters(cfg)
  params.name = old_master
  result = runner.call_node_deactivate_master_ip(
    old_master, params.ToDict(), cfg.GetUseExternalMipScript())
  if result.fail_msg:
    logging.warning("Could not disable the master IP on %s: %s", old_master,
                    result.fail_msg)
  result = runner.call_node_stop_master(old_master)
  if result.fail_msg:
    logging.error("Could not disable the master role on the old master %s,"
                  " please disable manually: %s", old_master,
                  result.fail_msg)

  logging.info("Checking that the master IP is gone")
  deadline = time.monotonic() + _ip_timeout
  while IsMasterIpActive(params.ip, params.netdev):
    if time.monotonic() > deadline:
      logging.warning("The master IP is still reachable after %s seconds,"
                      " continuing but activating the master on the"
                      " current node will probably fail", _ip_timeout)
      break
    time.sleep(0.2)

  if jstore.CheckDrainFlag():
    logging.info("Undraining the job queue")
    jstore.SetDrainFlag(False)

  logging.info("Starting the master daemons on the new master")
  result = runner.call_node_start_master_daemons(new_master, no_voting)
  rcode = constants.EXIT_SUCCESS
  if result.fail_msg:
    logging.error("Could not start the master role on the new master %s,"
                  " please check: %s", new_master, result.fail_msg)
    rcode = constants.EXIT_FAILURE
  logging.info("Master failed over from %s to %s", old_master, new_master)
  return rcode


# -- distribution to other nodes (used by masterd and the failover) ----------


def CheckReplicationResult(results: Dict[str, Any], nodes: List[str],
                           what: str) -> List[str]:
  """Log the failures of a replication call; return the failed nodes.

  More than half of the nodes failing (the master counting as a success)
  is logged as an error, per the 2.0 design.

  """
  failed = []
  for node in nodes:
    res = results.get(node)
    if res is None:
      msg = "no answer"
    else:
      msg = res.fail_msg
    if msg:
      failed.append(node)
      logging.error("%s failed on node %s: %s", what, node, msg)
  if len(nodes) - len(failed) + 1 < len(failed):
    logging.error("%s: more than half of the nodes failed (%s)", what,
                  utils.CommaJoin(failed))
  return failed


def _OtherNodes(cfg: Any, names: List[str]) -> List[str]:
  master = cfg.GetMasterNode()
  return [name for name in names if name != master]


def DistributeConfig(runner: Any, cfg: Any, ssconf_changed: bool,
                     candidates: Optional[List[str]] = None) -> None:
  """Push config.data to the master candidates and, when asked, ssconf.

  The master writes its own ssconf files directly; every other online node
  gets them by RPC.  Failures are logged (CheckReplicationResult).

  @param candidates: the candidates to send to (default: all but the
      master)

  """
  if candidates is None:
    candidates = _OtherNodes(cfg, cfg.GetMasterCandidateList())
  if candidates:
    results = runner.call_upload_file(candidates, pathutils.CLUSTER_CONF_FILE)
    CheckReplicationResult(results, candidates,
                           "Uploading %s" % pathutils.CLUSTER_CONF_FILE)
  if ssconf_changed:
    values = cfg.GetSsconfValues()
    try:
      ssconf.WriteSsconfFiles(values)
    except errors.GenericError as err:
      logging.error("Writing the local ssconf files failed: %s", err)
    nodes = _OtherNodes(cfg, cfg.GetOnlineNodeList())
    if nodes:
      results = runner.call_write_ssconf_files(nodes, values)
      CheckReplicationResult(results, nodes, "Writing the ssconf files")


def QueueFilesToReplicate() -> List[str]:
  """The job queue files a new master candidate needs: serial, jobs."""
  names = [pathutils.JOB_QUEUE_SERIAL_FILE]
  for job_id in jstore.ListJobIds():
    names.append(jstore.GetJobFilename(job_id))
  return names


def ReplicateQueueToNodes(runner: Any, nodes: List[str]) -> None:
  """Send the whole job queue (serial and job files) to some nodes."""
  if not nodes:
    return
  for file_name in QueueFilesToReplicate():
    try:
      content = utils.ReadFile(file_name)
    except FileNotFoundError:
      continue
    results = runner.call_jobqueue_update(nodes, file_name, content)
    CheckReplicationResult(results, nodes, "Replicating %s" % file_name)
