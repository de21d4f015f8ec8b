"""Every file and directory Ganeti uses on a node, as module attributes.

Layer 1 (base).  Names follow Ganeti 2.6 (and the later pathutils module
that took them out of constants).  Two kinds of path live here:

* node state (data dir, run dir, logs, locks, configuration, storage and
  export dirs): computed under the node root, so in a virtual cluster
  (see vcluster) every node has its own copy below GANETI_ROOTDIR;
* installed software (pkglibdir, tools, SSH host keys): shared by the
  machine and never prefixed.  The two search paths (OS definitions and
  iallocators) list the node's own directory first and then the machine's,
  so a virtual node can carry private OS definitions or allocators.

Attributes are computed from the environment at import; ``Reload()``
recomputes all of them (after ``vcluster.Reload()``) for tools and tests
that switch to another node root.  Consequently callers must read
``pathutils.NAME`` when they need it, never capture it at import time (no
``from ganeti.pathutils import X``, no ``def f(path=pathutils.X)``).

This module must not touch the file system and must not import anything
above the base layer.
"""

import os
from typing import Dict, FrozenSet, List

from ganeti import constants
from ganeti import errors
from ganeti import vcluster


# Build-time locations, as Ganeti 2.6's configure defaults them
# (--localstatedir=/var --sysconfdir=/etc, pkglibdir = $libdir/ganeti)
_BUILD_LOCALSTATEDIR = "/var"
_BUILD_SYSCONFDIR = "/etc"
_BUILD_PKGLIBDIR = "/usr/lib/ganeti"
_BUILD_SHAREDIR = "/usr/share/ganeti"
_BUILD_SSH_CONFIG_DIR = "/etc/ssh"
_BUILD_XEN_CONFIG_DIR = "/etc/xen"
_BUILD_FILE_STORAGE_DIR = constants.DEFAULT_FILE_STORAGE_DIR
_BUILD_SHARED_FILE_STORAGE_DIR = constants.DEFAULT_SHARED_FILE_STORAGE_DIR
_BUILD_EXPORT_DIR = "/srv/ganeti/export"
_BUILD_OS_SEARCH_PATH = ["/srv/ganeti/os"]
_BUILD_IALLOCATOR_SEARCH_PATH = [_BUILD_PKGLIBDIR + "/iallocators"]

# The public paths, filled by Reload().  Declared here so that the list of
# names is explicit (and checked by the tests against what Reload computes).

# Installed software, never below a node root
PKGLIBDIR: str
TOOLSDIR: str
SHAREDIR: str
DAEMON_UTIL: str
ENSURE_DIRS: str
SETUP_SSH: str
IMPORT_EXPORT_DAEMON: str
KVM_IFUP: str
KVM_CONSOLE_WRAPPER: str
DEFAULT_MASTER_SETUP_SCRIPT: str
SSH_CONFIG_DIR: str
SSH_HOST_DSA_PRIV: str
SSH_HOST_DSA_PUB: str
SSH_HOST_RSA_PRIV: str
SSH_HOST_RSA_PUB: str

# Roots of the node's state
LOCALSTATEDIR: str
SYSCONFDIR: str
#: the machine's /etc/hosts, or the cluster's hosts file in a virtual cluster
ETC_HOSTS: str

# <localstatedir>/lib/ganeti and its content
DATA_DIR: str
CLUSTER_CONF_FILE: str
NODED_CERT_FILE: str
RAPI_CERT_FILE: str
SPICE_CERT_FILE: str
SPICE_CACERT_FILE: str
CONFD_HMAC_KEY: str
CLUSTER_DOMAIN_SECRET_FILE: str
SSH_KNOWN_HOSTS_FILE: str
KNOWN_HOSTS_FILE: str
RAPI_USERS_FILE: str
RAPI_USERS_FILE_PRE24: str
WATCHER_STATEFILE: str
#: format string, fill in the node group UUID
WATCHER_GROUP_STATE_FILE: str
#: format string, fill in the node group UUID
WATCHER_GROUP_INSTANCE_STATUS_FILE: str
WATCHER_PAUSEFILE: str

# Job queue, <data>/queue
QUEUE_DIR: str
JOB_QUEUE_LOCK_FILE: str
JOB_QUEUE_VERSION_FILE: str
JOB_QUEUE_SERIAL_FILE: str
JOB_QUEUE_ARCHIVE_DIR: str
JOB_QUEUE_DRAIN_FILE: str

# <localstatedir>/run/ganeti and its content
RUN_DIR: str
#: Ganeti 2.6's name for RUN_DIR
RUN_GANETI_DIR: str
SOCKET_DIR: str
MASTER_SOCKET: str
QUERY_SOCKET: str
INSTANCE_STATUS_FILE: str
BDEV_CACHE_DIR: str
DISK_LINKS_DIR: str
UIDPOOL_LOCKDIR: str
CRYPTO_KEYS_DIR: str
IMPORT_EXPORT_DIR: str
KVM_HYPERVISOR_DIR: str
KVM_PIDS_DIR: str
KVM_UIDS_DIR: str
KVM_CTRL_DIR: str
KVM_CONF_DIR: str
KVM_NICS_DIR: str
KVM_KEYMAP_DIR: str
KVM_CHROOT_DIR: str
KVM_CHROOT_QUARANTINE_DIR: str

# <localstatedir>/lock
LOCK_DIR: str
SSCONF_LOCK_FILE: str
WATCHER_LOCK_FILE: str

# <localstatedir>/log/ganeti
LOG_DIR: str
LOG_OS_DIR: str
LOG_XEN_DIR: str
LOG_CLEANER_DIR: str
LOG_WATCHER: str
LOG_COMMANDS: str
LOG_BURNIN: str
LOG_SETUP_SSH: str
#: daemon name -> log file path
DAEMONS_LOGFILES: Dict[str, str]

# <sysconfdir>/ganeti and friends
CONF_DIR: str
HOOKS_BASE_DIR: str
USER_SCRIPTS_DIR: str
EXTERNAL_MASTER_SETUP_SCRIPT: str
VNC_PASSWORD_FILE: str
XEN_CONFIG_DIR: str

# Storage, OS definitions, exports, iallocators
DEFAULT_FILE_STORAGE_DIR: str
DEFAULT_SHARED_FILE_STORAGE_DIR: str
EXPORT_DIR: str
OS_SEARCH_PATH: List[str]
IALLOCATOR_SEARCH_PATH: List[str]

#: Certificate files whose loss or change matters to the whole cluster
ALL_CERT_FILES: FrozenSet[str]


def _SearchPath(noderoot: str, entries: List[str]) -> List[str]:
  """Node-private directories first, then the machine's, without repeats.

  """
  result = []
  for entry in entries:
    for candidate in (vcluster.AddNodePrefix(entry, _noderoot=noderoot),
                      entry):
      if candidate not in result:
        result.append(candidate)
  return result


def _LogName(log_dir: str, base: str) -> str:
  return "%s/%s.log" % (log_dir, base)


def ComputePaths(noderoot: str) -> Dict[str, object]:
  """Computes every public attribute of this module for a node root.

  @param noderoot: the node root ("" for a physical node)
  @return: dict attribute name -> value

  """
  def node(path):
    return vcluster.AddNodePrefix(path, _noderoot=noderoot)

  p: Dict[str, object] = {}

  p["PKGLIBDIR"] = _BUILD_PKGLIBDIR
  p["TOOLSDIR"] = tools_dir = _BUILD_PKGLIBDIR + "/tools"
  p["SHAREDIR"] = _BUILD_SHAREDIR
  p["DAEMON_UTIL"] = _BUILD_PKGLIBDIR + "/daemon-util"
  p["ENSURE_DIRS"] = _BUILD_PKGLIBDIR + "/ensure-dirs"
  p["SETUP_SSH"] = tools_dir + "/setup-ssh"
  p["IMPORT_EXPORT_DAEMON"] = _BUILD_PKGLIBDIR + "/import-export"
  p["KVM_IFUP"] = _BUILD_PKGLIBDIR + "/kvm-ifup"
  p["KVM_CONSOLE_WRAPPER"] = tools_dir + "/kvm-console-wrapper"
  p["DEFAULT_MASTER_SETUP_SCRIPT"] = tools_dir + "/master-ip-setup"
  p["SSH_CONFIG_DIR"] = _BUILD_SSH_CONFIG_DIR
  for (key, fname) in [("SSH_HOST_DSA_PRIV", "ssh_host_dsa_key"),
                       ("SSH_HOST_DSA_PUB", "ssh_host_dsa_key.pub"),
                       ("SSH_HOST_RSA_PRIV", "ssh_host_rsa_key"),
                       ("SSH_HOST_RSA_PUB", "ssh_host_rsa_key.pub")]:
    p[key] = "%s/%s" % (_BUILD_SSH_CONFIG_DIR, fname)

  p["LOCALSTATEDIR"] = localstatedir = node(_BUILD_LOCALSTATEDIR)
  p["SYSCONFDIR"] = sysconfdir = node(_BUILD_SYSCONFDIR)
  if noderoot:
    # the cluster directory's hosts file stands in for /etc/hosts, so
    # "modify /etc/hosts" features edit what the virtual nodes resolve with
    p["ETC_HOSTS"] = vcluster.GetHostsFile(
      _basedir=os.path.dirname(noderoot))
  else:
    p["ETC_HOSTS"] = vcluster.ETC_HOSTS

  p["DATA_DIR"] = data_dir = localstatedir + "/lib/ganeti"
  p["CLUSTER_CONF_FILE"] = data_dir + "/config.data"
  p["NODED_CERT_FILE"] = data_dir + "/server.pem"
  p["RAPI_CERT_FILE"] = data_dir + "/rapi.pem"
  p["SPICE_CERT_FILE"] = data_dir + "/spice.pem"
  p["SPICE_CACERT_FILE"] = data_dir + "/spice-ca.pem"
  p["CONFD_HMAC_KEY"] = data_dir + "/hmac.key"
  p["CLUSTER_DOMAIN_SECRET_FILE"] = data_dir + "/cluster-domain-secret"
  p["SSH_KNOWN_HOSTS_FILE"] = data_dir + "/known_hosts"
  p["KNOWN_HOSTS_FILE"] = p["SSH_KNOWN_HOSTS_FILE"]
  p["RAPI_USERS_FILE"] = data_dir + "/rapi/users"
  p["RAPI_USERS_FILE_PRE24"] = data_dir + "/rapi_users"
  p["WATCHER_STATEFILE"] = data_dir + "/watcher.data"
  p["WATCHER_GROUP_STATE_FILE"] = data_dir + "/watcher.%s.data"
  p["WATCHER_GROUP_INSTANCE_STATUS_FILE"] = \
    data_dir + "/watcher.%s.instance-status"
  p["WATCHER_PAUSEFILE"] = data_dir + "/watcher.pause"

  p["QUEUE_DIR"] = queue_dir = data_dir + "/queue"
  p["JOB_QUEUE_LOCK_FILE"] = queue_dir + "/lock"
  p["JOB_QUEUE_VERSION_FILE"] = queue_dir + "/version"
  p["JOB_QUEUE_SERIAL_FILE"] = queue_dir + "/serial"
  p["JOB_QUEUE_ARCHIVE_DIR"] = queue_dir + "/archive"
  p["JOB_QUEUE_DRAIN_FILE"] = queue_dir + "/drain"

  p["RUN_DIR"] = run_dir = localstatedir + "/run/ganeti"
  p["RUN_GANETI_DIR"] = run_dir
  p["SOCKET_DIR"] = socket_dir = run_dir + "/socket"
  p["MASTER_SOCKET"] = socket_dir + "/ganeti-master"
  p["QUERY_SOCKET"] = socket_dir + "/ganeti-query"
  p["INSTANCE_STATUS_FILE"] = run_dir + "/instance-status"
  p["BDEV_CACHE_DIR"] = run_dir + "/bdev-cache"
  p["DISK_LINKS_DIR"] = run_dir + "/instance-disks"
  p["UIDPOOL_LOCKDIR"] = run_dir + "/uid-pool"
  p["CRYPTO_KEYS_DIR"] = run_dir + "/crypto"
  p["IMPORT_EXPORT_DIR"] = run_dir + "/import-export"
  p["KVM_HYPERVISOR_DIR"] = kvm_dir = run_dir + "/kvm-hypervisor"
  for (key, sub) in [("KVM_PIDS_DIR", "pid"), ("KVM_UIDS_DIR", "uid"),
                     ("KVM_CTRL_DIR", "ctrl"), ("KVM_CONF_DIR", "conf"),
                     ("KVM_NICS_DIR", "nic"), ("KVM_KEYMAP_DIR", "keymap"),
                     ("KVM_CHROOT_DIR", "chroot")]:
    p[key] = "%s/%s" % (kvm_dir, sub)
  # quarantine must sit beside the chroots: entries are moved by rename
  p["KVM_CHROOT_QUARANTINE_DIR"] = kvm_dir + "/chroot-quarantine"

  p["LOCK_DIR"] = lock_dir = localstatedir + "/lock"
  p["SSCONF_LOCK_FILE"] = lock_dir + "/ganeti-ssconf.lock"
  p["WATCHER_LOCK_FILE"] = lock_dir + "/ganeti-watcher.lock"

  p["LOG_DIR"] = log_dir = localstatedir + "/log/ganeti"
  p["LOG_OS_DIR"] = log_dir + "/os"
  p["LOG_XEN_DIR"] = log_dir + "/xen"
  p["LOG_CLEANER_DIR"] = log_dir + "/cleaner"
  p["LOG_WATCHER"] = _LogName(log_dir, "watcher")
  p["LOG_COMMANDS"] = _LogName(log_dir, "commands")
  p["LOG_BURNIN"] = _LogName(log_dir, "burnin")
  p["LOG_SETUP_SSH"] = _LogName(log_dir, "setup-ssh")
  p["DAEMONS_LOGFILES"] = dict((daemon, _LogName(log_dir, base))
                               for (daemon, base) in
                               constants.DAEMONS_LOGBASE.items())

  p["CONF_DIR"] = conf_dir = sysconfdir + "/ganeti"
  p["HOOKS_BASE_DIR"] = conf_dir + "/hooks"
  p["USER_SCRIPTS_DIR"] = scripts_dir = conf_dir + "/scripts"
  p["EXTERNAL_MASTER_SETUP_SCRIPT"] = scripts_dir + "/master-ip-setup"
  p["VNC_PASSWORD_FILE"] = conf_dir + "/vnc-cluster-password"
  p["XEN_CONFIG_DIR"] = node(_BUILD_XEN_CONFIG_DIR)

  p["DEFAULT_FILE_STORAGE_DIR"] = node(_BUILD_FILE_STORAGE_DIR)
  p["DEFAULT_SHARED_FILE_STORAGE_DIR"] = \
    node(_BUILD_SHARED_FILE_STORAGE_DIR)
  p["EXPORT_DIR"] = node(_BUILD_EXPORT_DIR)
  p["OS_SEARCH_PATH"] = _SearchPath(noderoot, _BUILD_OS_SEARCH_PATH)
  p["IALLOCATOR_SEARCH_PATH"] = \
    _SearchPath(noderoot, _BUILD_IALLOCATOR_SEARCH_PATH)

  p["ALL_CERT_FILES"] = frozenset([p["NODED_CERT_FILE"], p["RAPI_CERT_FILE"],
                                   p["SPICE_CERT_FILE"],
                                   p["SPICE_CACERT_FILE"]])
  return p


def Reload() -> None:
  """Recomputes every path from the current environment.

  Re-reads GANETI_ROOTDIR/GANETI_HOSTNAME (vcluster.Reload) first.  If the
  environment is inconsistent, errors.ConfigurationError is raised and all
  paths keep their previous values.

  """
  vcluster.Reload()
  globals().update(ComputePaths(vcluster.GetRootDirectory()))


def GetLogFilename(daemon_name: str) -> str:
  """Returns the log file path for a log base name ("watcher", "commands").

  Daemons look theirs up in DAEMONS_LOGFILES instead.

  """
  if (not isinstance(daemon_name, str) or not daemon_name or
      "/" in daemon_name or daemon_name.startswith(".")):
    raise errors.ProgrammerError("Invalid log file base name: %r" %
                                 (daemon_name, ))
  return _LogName(LOG_DIR, daemon_name)


def GetPidFilename(daemon_name: str) -> str:
  """Returns the pid file of a daemon, e.g. <run dir>/ganeti-noded.pid.

  """
  if (not isinstance(daemon_name, str) or not daemon_name or
      "/" in daemon_name or daemon_name.startswith(".")):
    raise errors.ProgrammerError("Invalid daemon name for a pid file: %r" %
                                 (daemon_name, ))
  return "%s/%s.pid" % (RUN_DIR, daemon_name)


Reload()
