"""Cluster-wide constants: versions, enumerations and parameter tables.

Layer 1 (base). This module is the single home of the names and values
that every other part of the code base, and every external interface
(job files, config.data, LUXI, RAPI, confd, hooks, OS scripts), agrees on.

It must stay a pure table: no I/O, no imports of other ganeti modules, no
logic beyond the version arithmetic helpers. File system paths belong to
``ganeti.pathutils``, ssconf key names to ``ganeti.ssconf`` and error codes
(``ECODE_*``) to ``ganeti.errors``.
"""

import re


# --- Version arithmetic ------------------------------------------------------

def BuildVersion(major: int, minor: int, revision: int) -> int:
  """Pack a (major, minor, revision) triple into one integer.

  The encoding is ``major * 10**6 + minor * 10**4 + revision``, as used
  by config.data's ``version`` key and the RPC/LUXI protocol versions.

  @raise ValueError: a component is not an int or is out of its range
      (minor 0-99, revision 0-9999, major >= 0)

  """
  for name, value in (("major", major), ("minor", minor),
                      ("revision", revision)):
    # bool is a subclass of int; a flag slipping in here is a caller bug
    if not isinstance(value, int) or isinstance(value, bool):
      raise ValueError("Version %s must be an integer, got %r" %
                       (name, value))
  if major < 0:
    raise ValueError("Version major must be >= 0, got %d" % major)
  if not 0 <= minor <= 99:
    raise ValueError("Version minor must be within 0..99, got %d" % minor)
  if not 0 <= revision <= 9999:
    raise ValueError("Version revision must be within 0..9999, got %d" %
                     revision)
  return 1000000 * major + 10000 * minor + revision


def SplitVersion(version: int) -> tuple[int, int, int]:
  """Unpack a version built by L{BuildVersion}.

  @return: (major, minor, revision)
  @raise ValueError: version is not a non-negative int

  """
  if not isinstance(version, int) or isinstance(version, bool):
    raise ValueError("Version must be an integer, got %r" % (version, ))
  if version < 0:
    raise ValueError("Version must be >= 0, got %d" % version)
  return (version // 1000000, (version // 10000) % 100, version % 10000)


# --- Release and protocol versions -------------------------------------------

VERSION_MAJOR = 2
VERSION_MINOR = 6
VERSION_REVISION = 2
VERSION_SUFFIX = ""
RELEASE_VERSION = "%d.%d.%d%s" % (VERSION_MAJOR, VERSION_MINOR,
                                  VERSION_REVISION, VERSION_SUFFIX)
DIR_VERSION = "%d.%d" % (VERSION_MAJOR, VERSION_MINOR)

# The on-disk config format only changes with minor releases, hence the
# revision part is always zero
CONFIG_MAJOR = VERSION_MAJOR
CONFIG_MINOR = VERSION_MINOR
CONFIG_REVISION = 0
CONFIG_VERSION = BuildVersion(CONFIG_MAJOR, CONFIG_MINOR, CONFIG_REVISION)

PROTOCOL_VERSION = BuildVersion(CONFIG_MAJOR, CONFIG_MINOR, 0)
LUXI_VERSION = CONFIG_VERSION

OS_API_V10 = 10
OS_API_V15 = 15
OS_API_V20 = 20
OS_API_VERSIONS = frozenset([OS_API_V10, OS_API_V15, OS_API_V20])

EXPORT_VERSION = 0
RAPI_VERSION = 2
IALLOCATOR_VERSION = 2
JOB_QUEUE_VERSION = 1
HOOKS_VERSION = 2
CONFD_PROTOCOL_VERSION = 1


# --- Daemons, users and ports ------------------------------------------------

NODED = "ganeti-noded"
CONFD = "ganeti-confd"
RAPI = "ganeti-rapi"
MASTERD = "ganeti-masterd"
DAEMONS = frozenset([NODED, CONFD, RAPI, MASTERD])

# Base names of the daemons' log files (the directory comes from pathutils)
DAEMONS_LOGBASE = {
  NODED: "node-daemon",
  CONFD: "conf-daemon",
  RAPI: "rapi-daemon",
  MASTERD: "master-daemon",
  }

SSH = "ssh"

# Protocol and fallback port for services also looked up in /etc/services
DAEMONS_PORTS = {
  NODED: ("tcp", 1811),
  CONFD: ("udp", 1814),
  RAPI: ("tcp", 5080),
  SSH: ("tcp", 22),
  }
DEFAULT_NODED_PORT = DAEMONS_PORTS[NODED][1]
DEFAULT_CONFD_PORT = DAEMONS_PORTS[CONFD][1]
DEFAULT_RAPI_PORT = DAEMONS_PORTS[RAPI][1]
DEFAULT_SSH_PORT = DAEMONS_PORTS[SSH][1]

FIRST_DRBD_PORT = 11000
LAST_DRBD_PORT = 14999
VNC_BASE_PORT = 5900

# Build-time defaults for the daemons' users and groups (no user prefix)
MASTERD_USER = "root"
MASTERD_GROUP = "root"
RAPI_USER = "root"
RAPI_GROUP = "root"
CONFD_USER = "root"
CONFD_GROUP = "root"
NODED_USER = "root"
NODED_GROUP = "root"
DAEMONS_GROUP = "root"
ADMIN_GROUP = "root"

SYSLOG_NO = "no"
SYSLOG_YES = "yes"
SYSLOG_ONLY = "only"
SYSLOG_USAGE_VALUES = frozenset([SYSLOG_NO, SYSLOG_YES, SYSLOG_ONLY])
SYSLOG_USAGE = SYSLOG_NO

DEFAULT_SHUTDOWN_TIMEOUT = 120
# How long daemon-util waits for a daemon to stop
DAEMON_STOP_TIMEOUT = 30


# --- Exit codes --------------------------------------------------------------

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_NOTCLUSTER = 5
EXIT_NOTMASTER = 11
EXIT_NODESETUP_ERROR = 12
EXIT_CONFIRMATION = 13
EXIT_UNKNOWN_FIELD = 14


# --- Networking and crypto ---------------------------------------------------

IP4_ADDRESS_LOCALHOST = "127.0.0.1"
IP4_ADDRESS_ANY = "0.0.0.0"
IP6_ADDRESS_LOCALHOST = "::1"
IP6_ADDRESS_ANY = "::"
IP4_VERSION = 4
IP6_VERSION = 6
VALID_IP_VERSIONS = frozenset([IP4_VERSION, IP6_VERSION])
# Address family numbers as written to ssconf (Linux AF_INET / AF_INET6)
IP4_FAMILY = 2
IP6_FAMILY = 10
VALID_IP_FAMILIES = frozenset([IP4_FAMILY, IP6_FAMILY])

RSA_KEY_BITS = 2048
# Seconds a timed-out child gets between SIGTERM and SIGKILL
CHILD_LINGER_TIMEOUT = 5.0
# Ganeti 2.6 signed with SHA1; today's OpenSSL refuses SHA1 signatures
X509_CERT_SIGN_DIGEST = "SHA256"
X509_CERT_CN = "ganeti.example.com"
X509_CERT_DEFAULT_VALIDITY = 365 * 5  # days
OPENSSL_CIPHERS = "HIGH:-DES:-3DES:-EXPORT:-ADH"
# Length in bytes of the random part of hmac.key / cluster-domain-secret
HMAC_KEY_BYTES = 20

NODE_MAX_CLOCK_SKEW = 150
# Replies may come from nodes skewed in either direction
CONFD_MAX_CLOCK_SKEW = 2 * NODE_MAX_CLOCK_SKEW


# --- RPC and LUXI ------------------------------------------------------------

RPC_CONNECT_TIMEOUT = 5
RPC_TMO_URGENT = 60
RPC_TMO_FAST = 5 * 60
RPC_TMO_NORMAL = 15 * 60
RPC_TMO_SLOW = 3600
RPC_TMO_4HRS = 4 * 3600
RPC_TMO_1DAY = 86400

RPC_ENCODING_NONE = 0
RPC_ENCODING_ZLIB_BASE64 = 1
RPC_ENCODINGS = frozenset([RPC_ENCODING_NONE, RPC_ENCODING_ZLIB_BASE64])

# Multi-node hooks RPC runs without a per-script timeout
HOOKS_RPC_TIMEOUT = RPC_TMO_NORMAL

LUXI_EOM = "\x03"
LUXI_KEY_METHOD = "method"
LUXI_KEY_ARGS = "args"
LUXI_KEY_SUCCESS = "success"
LUXI_KEY_RESULT = "result"
LUXI_KEY_VERSION = "version"
LUXI_DEF_CTMO = 10
LUXI_DEF_RWTO = 60
# Longest WaitForJobChange wait a client asks for, so that the answer
# arrives well within one socket read timeout
LUXI_WFJC_TIMEOUT = (LUXI_DEF_RWTO - 1) // 2

LUXI_REQ_SUBMIT_JOB = "SubmitJob"
LUXI_REQ_SUBMIT_MANY_JOBS = "SubmitManyJobs"
LUXI_REQ_WAIT_FOR_JOB_CHANGE = "WaitForJobChange"
LUXI_REQ_CANCEL_JOB = "CancelJob"
LUXI_REQ_ARCHIVE_JOB = "ArchiveJob"
LUXI_REQ_AUTO_ARCHIVE_JOBS = "AutoArchiveJobs"
LUXI_REQ_QUERY = "Query"
LUXI_REQ_QUERY_FIELDS = "QueryFields"
LUXI_REQ_QUERY_JOBS = "QueryJobs"
LUXI_REQ_QUERY_INSTANCES = "QueryInstances"
LUXI_REQ_QUERY_NODES = "QueryNodes"
LUXI_REQ_QUERY_GROUPS = "QueryGroups"
LUXI_REQ_QUERY_EXPORTS = "QueryExports"
LUXI_REQ_QUERY_CONFIG_VALUES = "QueryConfigValues"
LUXI_REQ_QUERY_CLUSTER_INFO = "QueryClusterInfo"
LUXI_REQ_QUERY_TAGS = "QueryTags"
LUXI_REQ_SET_DRAIN_FLAG = "SetDrainFlag"
LUXI_REQ_SET_WATCHER_PAUSE = "SetWatcherPause"
LUXI_REQ_ALL = frozenset([
  LUXI_REQ_SUBMIT_JOB,
  LUXI_REQ_SUBMIT_MANY_JOBS,
  LUXI_REQ_WAIT_FOR_JOB_CHANGE,
  LUXI_REQ_CANCEL_JOB,
  LUXI_REQ_ARCHIVE_JOB,
  LUXI_REQ_AUTO_ARCHIVE_JOBS,
  LUXI_REQ_QUERY,
  LUXI_REQ_QUERY_FIELDS,
  LUXI_REQ_QUERY_JOBS,
  LUXI_REQ_QUERY_INSTANCES,
  LUXI_REQ_QUERY_NODES,
  LUXI_REQ_QUERY_GROUPS,
  LUXI_REQ_QUERY_EXPORTS,
  LUXI_REQ_QUERY_CONFIG_VALUES,
  LUXI_REQ_QUERY_CLUSTER_INFO,
  LUXI_REQ_QUERY_TAGS,
  LUXI_REQ_SET_DRAIN_FLAG,
  LUXI_REQ_SET_WATCHER_PAUSE,
  ])


# --- Jobs and opcodes --------------------------------------------------------

JOB_STATUS_QUEUED = "queued"
JOB_STATUS_WAITING = "waiting"
JOB_STATUS_CANCELING = "canceling"
JOB_STATUS_RUNNING = "running"
JOB_STATUS_CANCELED = "canceled"
JOB_STATUS_SUCCESS = "success"
JOB_STATUS_ERROR = "error"
JOBS_PENDING = frozenset([
  JOB_STATUS_QUEUED,
  JOB_STATUS_WAITING,
  JOB_STATUS_CANCELING,
  ])
JOBS_FINALIZED = frozenset([
  JOB_STATUS_CANCELED,
  JOB_STATUS_SUCCESS,
  JOB_STATUS_ERROR,
  ])
JOB_STATUS_ALL = frozenset([JOB_STATUS_RUNNING]) | JOBS_PENDING | \
  JOBS_FINALIZED

# Statuses a job dependency may require of the job it waits for
JOB_DEP_STATUSES = JOBS_FINALIZED

OP_STATUS_QUEUED = "queued"
OP_STATUS_WAITING = "waiting"
OP_STATUS_CANCELING = "canceling"
OP_STATUS_RUNNING = "running"
OP_STATUS_CANCELED = "canceled"
OP_STATUS_SUCCESS = "success"
OP_STATUS_ERROR = "error"
OPS_FINALIZED = frozenset([
  OP_STATUS_CANCELED,
  OP_STATUS_SUCCESS,
  OP_STATUS_ERROR,
  ])
OP_STATUS_ALL = frozenset([
  OP_STATUS_QUEUED,
  OP_STATUS_WAITING,
  OP_STATUS_CANCELING,
  OP_STATUS_RUNNING,
  ]) | OPS_FINALIZED

# Answer of WaitForJobChange when nothing changed within the timeout
JOB_NOTCHANGED = "nochange"

# Lower number means more urgent; the queue raises a starving opcode's
# priority one step at a time down to OP_PRIO_HIGHEST
OP_PRIO_LOWEST = 19
OP_PRIO_HIGHEST = -20
OP_PRIO_LOW = 10
OP_PRIO_NORMAL = 0
OP_PRIO_HIGH = -10
OP_PRIO_SUBMIT_VALID = frozenset([OP_PRIO_LOW, OP_PRIO_NORMAL, OP_PRIO_HIGH])
OP_PRIO_DEFAULT = OP_PRIO_NORMAL

# Execution log entry types
ELOG_MESSAGE = "message"
ELOG_REMOTE_IMPORT = "remote-import"
ELOG_JQUEUE_TEST = "jqueue-test"
ELOG_TYPES = frozenset([ELOG_MESSAGE, ELOG_REMOTE_IMPORT, ELOG_JQUEUE_TEST])

# Key of an LU result that submits further jobs ({"jobs": [...]})
JOB_IDS_KEY = "jobs"

JOB_QUEUE_SIZE_HARD_LIMIT = 5000
JOBS_PER_ARCHIVE_DIRECTORY = 10000
JOB_ID_TEMPLATE = r"\d+"
JOB_FILE_PREFIX = "job-"
JOB_FILE_RE = re.compile(r"^%s(%s)\Z" % (JOB_FILE_PREFIX, JOB_ID_TEMPLATE))
# A watcher pause file this many seconds out of date is removed
WATCHER_PAUSE_REMOVE_AFTER = 3600

# Default age (seconds) beyond which the watcher archives finished jobs
JOB_AUTO_ARCHIVE_AGE = 6 * 3600
JOB_AUTO_ARCHIVE_TIMEOUT = 29

# An opcode's lock acquire timeout grows with each failed attempt, between
# these bounds (seconds); after LOCK_ATTEMPTS_TIMEOUT in total the queue
# raises the opcode's priority by one step and starts over, and at the
# highest priority it acquires blocking.  A week is spread over the whole
# priority range, so no job waits for its locks much longer than that.
LOCK_ATTEMPTS_MAXWAIT = 15.0
LOCK_ATTEMPTS_MINWAIT = 1.0
LOCK_ATTEMPTS_TIMEOUT = 7 * 24 * 3600 / (OP_PRIO_LOWEST - OP_PRIO_HIGHEST)

# Lock declaration modes of logical units (how DeclareLocks merges names)
LOCKS_REPLACE = "replace"
LOCKS_APPEND = "append"

# OP_TEST_JQUEUE: prefix and kinds of the notifications its LU sends
JQT_MSGPREFIX = "TESTMSG="
JQT_EXPANDNAMES = "expandnames"
JQT_EXEC = "exec"
JQT_LOGMSG = "logmsg"
JQT_STARTMSG = "startmsg"
JQT_ALL = frozenset([JQT_EXPANDNAMES, JQT_EXEC, JQT_LOGMSG, JQT_STARTMSG])


# --- Hypervisors -------------------------------------------------------------

HT_XEN_PVM = "xen-pvm"
HT_FAKE = "fake"
HT_XEN_HVM = "xen-hvm"
HT_KVM = "kvm"
HT_CHROOT = "chroot"
HT_LXC = "lxc"
HYPER_TYPES = frozenset([
  HT_XEN_PVM,
  HT_FAKE,
  HT_XEN_HVM,
  HT_KVM,
  HT_CHROOT,
  HT_LXC,
  ])
HTS_REQ_PORT = frozenset([HT_XEN_HVM, HT_KVM])
DEFAULT_ENABLED_HYPERVISOR = HT_XEN_PVM

# Hypervisor parameter names
HV_BOOT_ORDER = "boot_order"
HV_CDROM_IMAGE_PATH = "cdrom_image_path"
HV_KVM_CDROM2_IMAGE_PATH = "cdrom2_image_path"
HV_KVM_FLOPPY_IMAGE_PATH = "floppy_image_path"
HV_NIC_TYPE = "nic_type"
HV_DISK_TYPE = "disk_type"
HV_KVM_CDROM_DISK_TYPE = "cdrom_disk_type"
HV_VNC_BIND_ADDRESS = "vnc_bind_address"
HV_VNC_PASSWORD_FILE = "vnc_password_file"
HV_VNC_TLS = "vnc_tls"
HV_VNC_X509 = "vnc_x509_path"
HV_VNC_X509_VERIFY = "vnc_x509_verify"
HV_KVM_SPICE_BIND = "spice_bind"
HV_KVM_SPICE_IP_VERSION = "spice_ip_version"
HV_KVM_SPICE_PASSWORD_FILE = "spice_password_file"
HV_KVM_SPICE_LOSSLESS_IMG_COMPR = "spice_image_compression"
HV_KVM_SPICE_JPEG_IMG_COMPR = "spice_jpeg_wan_compression"
HV_KVM_SPICE_ZLIB_GLZ_IMG_COMPR = "spice_zlib_glz_wan_compression"
HV_KVM_SPICE_STREAMING_VIDEO_DETECTION = "spice_streaming_video"
HV_KVM_SPICE_AUDIO_COMPR = "spice_playback_compression"
HV_KVM_SPICE_USE_TLS = "spice_use_tls"
HV_KVM_SPICE_TLS_CIPHERS = "spice_tls_ciphers"
HV_KVM_SPICE_USE_VDAGENT = "spice_use_vdagent"
HV_ACPI = "acpi"
HV_PAE = "pae"
HV_USE_BOOTLOADER = "use_bootloader"
HV_BOOTLOADER_ARGS = "bootloader_args"
HV_BOOTLOADER_PATH = "bootloader_path"
HV_KERNEL_ARGS = "kernel_args"
HV_KERNEL_PATH = "kernel_path"
HV_INITRD_PATH = "initrd_path"
HV_ROOT_PATH = "root_path"
HV_SERIAL_CONSOLE = "serial_console"
HV_USB_MOUSE = "usb_mouse"
HV_KEYMAP = "keymap"
HV_DEVICE_MODEL = "device_model"
HV_INIT_SCRIPT = "init_script"
HV_MIGRATION_PORT = "migration_port"
HV_MIGRATION_BANDWIDTH = "migration_bandwidth"
HV_MIGRATION_DOWNTIME = "migration_downtime"
HV_MIGRATION_MODE = "migration_mode"
HV_USE_LOCALTIME = "use_localtime"
HV_DISK_CACHE = "disk_cache"
HV_SECURITY_MODEL = "security_model"
HV_SECURITY_DOMAIN = "security_domain"
HV_KVM_FLAG = "kvm_flag"
HV_VHOST_NET = "vhost_net"
HV_KVM_USE_CHROOT = "use_chroot"
HV_CPU_MASK = "cpu_mask"
HV_MEM_PATH = "mem_path"
HV_BLOCKDEV_PREFIX = "blockdev_prefix"
HV_REBOOT_BEHAVIOR = "reboot_behavior"

# Value types of the *params dictionaries
VTYPE_STRING = "string"
VTYPE_MAYBE_STRING = "maybe-string"
VTYPE_BOOL = "bool"
VTYPE_SIZE = "size"  # MiB, also accepted as a unit string like "2G"
VTYPE_INT = "int"
ENFORCEABLE_TYPES = frozenset([
  VTYPE_STRING,
  VTYPE_MAYBE_STRING,
  VTYPE_BOOL,
  VTYPE_SIZE,
  VTYPE_INT,
  ])

HVS_PARAMETER_TYPES = {
  HV_BOOT_ORDER: VTYPE_STRING,
  HV_KVM_FLOPPY_IMAGE_PATH: VTYPE_STRING,
  HV_CDROM_IMAGE_PATH: VTYPE_STRING,
  HV_KVM_CDROM2_IMAGE_PATH: VTYPE_STRING,
  HV_NIC_TYPE: VTYPE_STRING,
  HV_DISK_TYPE: VTYPE_STRING,
  HV_KVM_CDROM_DISK_TYPE: VTYPE_STRING,
  HV_VNC_PASSWORD_FILE: VTYPE_STRING,
  HV_VNC_BIND_ADDRESS: VTYPE_STRING,
  HV_VNC_TLS: VTYPE_BOOL,
  HV_VNC_X509: VTYPE_STRING,
  HV_VNC_X509_VERIFY: VTYPE_BOOL,
  HV_KVM_SPICE_BIND: VTYPE_STRING,
  HV_KVM_SPICE_IP_VERSION: VTYPE_INT,
  HV_KVM_SPICE_PASSWORD_FILE: VTYPE_STRING,
  HV_KVM_SPICE_LOSSLESS_IMG_COMPR: VTYPE_STRING,
  HV_KVM_SPICE_JPEG_IMG_COMPR: VTYPE_STRING,
  HV_KVM_SPICE_ZLIB_GLZ_IMG_COMPR: VTYPE_STRING,
  HV_KVM_SPICE_STREAMING_VIDEO_DETECTION: VTYPE_STRING,
  HV_KVM_SPICE_AUDIO_COMPR: VTYPE_BOOL,
  HV_KVM_SPICE_USE_TLS: VTYPE_BOOL,
  HV_KVM_SPICE_TLS_CIPHERS: VTYPE_STRING,
  HV_KVM_SPICE_USE_VDAGENT: VTYPE_BOOL,
  HV_ACPI: VTYPE_BOOL,
  HV_PAE: VTYPE_BOOL,
  HV_USE_BOOTLOADER: VTYPE_BOOL,
  HV_BOOTLOADER_PATH: VTYPE_STRING,
  HV_BOOTLOADER_ARGS: VTYPE_STRING,
  HV_KERNEL_PATH: VTYPE_STRING,
  HV_KERNEL_ARGS: VTYPE_STRING,
  HV_INITRD_PATH: VTYPE_STRING,
  HV_ROOT_PATH: VTYPE_MAYBE_STRING,
  HV_SERIAL_CONSOLE: VTYPE_BOOL,
  HV_USB_MOUSE: VTYPE_STRING,
  HV_KEYMAP: VTYPE_STRING,
  HV_DEVICE_MODEL: VTYPE_STRING,
  HV_INIT_SCRIPT: VTYPE_STRING,
  HV_MIGRATION_PORT: VTYPE_INT,
  HV_MIGRATION_BANDWIDTH: VTYPE_INT,
  HV_MIGRATION_DOWNTIME: VTYPE_INT,
  HV_MIGRATION_MODE: VTYPE_STRING,
  HV_USE_LOCALTIME: VTYPE_BOOL,
  HV_DISK_CACHE: VTYPE_STRING,
  HV_SECURITY_MODEL: VTYPE_STRING,
  HV_SECURITY_DOMAIN: VTYPE_STRING,
  HV_KVM_FLAG: VTYPE_STRING,
  HV_VHOST_NET: VTYPE_BOOL,
  HV_KVM_USE_CHROOT: VTYPE_BOOL,
  HV_CPU_MASK: VTYPE_STRING,
  HV_MEM_PATH: VTYPE_STRING,
  HV_BLOCKDEV_PREFIX: VTYPE_STRING,
  HV_REBOOT_BEHAVIOR: VTYPE_STRING,
  }
HVS_PARAMETERS = frozenset(HVS_PARAMETER_TYPES.keys())

# Query column titles of hv/ fields that do not use the "hv/<name>" default
HVS_PARAMETER_TITLES = {
  HV_ACPI: "ACPI",
  HV_BOOT_ORDER: "Boot_order",
  HV_CDROM_IMAGE_PATH: "CDROM_image_path",
  HV_DISK_TYPE: "Disk_type",
  HV_INITRD_PATH: "Initrd_path",
  HV_KERNEL_PATH: "Kernel_path",
  HV_NIC_TYPE: "NIC_type",
  HV_PAE: "PAE",
  HV_VNC_BIND_ADDRESS: "VNC_bind_address",
  }

# Parameters only settable cluster-wide (rejected in instance hvparams)
HVC_GLOBALS = frozenset([
  HV_MIGRATION_PORT,
  HV_MIGRATION_BANDWIDTH,
  HV_MIGRATION_MODE,
  ])

# Accepted values of enumerated hypervisor parameters
HT_BO_FLOPPY = "floppy"
HT_BO_CDROM = "cdrom"
HT_BO_DISK = "disk"
HT_BO_NETWORK = "network"
HT_KVM_VALID_BO_TYPES = frozenset([
  HT_BO_FLOPPY,
  HT_BO_CDROM,
  HT_BO_DISK,
  HT_BO_NETWORK,
  ])
# Xen HVM takes a string of these letters (floppy, disk, cdrom, network)
HT_HVM_VALID_BO_CHARS = frozenset("acdn")
HT_HVM_DEFAULT_BOOT_ORDER = "cd"

HT_DISK_PARAVIRTUAL = "paravirtual"
HT_DISK_IOEMU = "ioemu"
HT_DISK_IDE = "ide"
HT_DISK_SCSI = "scsi"
HT_DISK_SD = "sd"
HT_DISK_MTD = "mtd"
HT_DISK_PFLASH = "pflash"
HT_HVM_VALID_DISK_TYPES = frozenset([HT_DISK_PARAVIRTUAL, HT_DISK_IOEMU])
HT_KVM_VALID_DISK_TYPES = frozenset([
  HT_DISK_PARAVIRTUAL,
  HT_DISK_IDE,
  HT_DISK_SCSI,
  HT_DISK_SD,
  HT_DISK_MTD,
  HT_DISK_PFLASH,
  ])

HT_NIC_RTL8139 = "rtl8139"
HT_NIC_NE2K_PCI = "ne2k_pci"
HT_NIC_NE2K_ISA = "ne2k_isa"
HT_NIC_I82551 = "i82551"
HT_NIC_I85557B = "i82557b"
HT_NIC_I8259ER = "i82559er"
HT_NIC_PCNET = "pcnet"
HT_NIC_E1000 = "e1000"
HT_NIC_PARAVIRTUAL = "paravirtual"
HT_HVM_VALID_NIC_TYPES = frozenset([
  HT_NIC_RTL8139,
  HT_NIC_NE2K_PCI,
  HT_NIC_NE2K_ISA,
  HT_NIC_E1000,
  HT_NIC_PARAVIRTUAL,
  ])
HT_KVM_VALID_NIC_TYPES = frozenset([
  HT_NIC_RTL8139,
  HT_NIC_NE2K_PCI,
  HT_NIC_NE2K_ISA,
  HT_NIC_I82551,
  HT_NIC_I85557B,
  HT_NIC_I8259ER,
  HT_NIC_PCNET,
  HT_NIC_E1000,
  HT_NIC_PARAVIRTUAL,
  ])

HT_CACHE_DEFAULT = "default"
HT_CACHE_NONE = "none"
HT_CACHE_WTHROUGH = "writethrough"
HT_CACHE_WBACK = "writeback"
HT_VALID_CACHE_TYPES = frozenset([
  HT_CACHE_DEFAULT,
  HT_CACHE_NONE,
  HT_CACHE_WTHROUGH,
  HT_CACHE_WBACK,
  ])

HT_MOUSE_MOUSE = "mouse"
HT_MOUSE_TABLET = "tablet"
HT_KVM_VALID_MOUSE_TYPES = frozenset([HT_MOUSE_MOUSE, HT_MOUSE_TABLET])

HT_SM_NONE = "none"
HT_SM_USER = "user"
HT_SM_POOL = "pool"
HT_KVM_VALID_SM_TYPES = frozenset([HT_SM_NONE, HT_SM_USER, HT_SM_POOL])

HT_KVM_ENABLED = "enabled"
HT_KVM_DISABLED = "disabled"
HT_KVM_FLAG_VALUES = frozenset([HT_KVM_ENABLED, HT_KVM_DISABLED])

HT_MIGRATION_LIVE = "live"
HT_MIGRATION_NONLIVE = "non-live"
HT_MIGRATION_MODES = frozenset([HT_MIGRATION_LIVE, HT_MIGRATION_NONLIVE])

HT_KVM_SPICE_LOSSLESS_IMG_COMPR_AUTO_GLZ = "auto_glz"
HT_KVM_SPICE_LOSSLESS_IMG_COMPR_AUTO_LZ = "auto_lz"
HT_KVM_SPICE_LOSSLESS_IMG_COMPR_QUIC = "quic"
HT_KVM_SPICE_LOSSLESS_IMG_COMPR_GLZ = "glz"
HT_KVM_SPICE_LOSSLESS_IMG_COMPR_LZ = "lz"
HT_KVM_SPICE_LOSSLESS_IMG_COMPR_OFF = "off"
HT_KVM_SPICE_VALID_LOSSLESS_IMG_COMPR_OPTIONS = frozenset([
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_AUTO_GLZ,
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_AUTO_LZ,
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_QUIC,
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_GLZ,
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_LZ,
  HT_KVM_SPICE_LOSSLESS_IMG_COMPR_OFF,
  ])

HT_KVM_SPICE_LOSSY_IMG_COMPR_AUTO = "auto"
HT_KVM_SPICE_LOSSY_IMG_COMPR_NEVER = "never"
HT_KVM_SPICE_LOSSY_IMG_COMPR_ALWAYS = "always"
HT_KVM_SPICE_VALID_LOSSY_IMG_COMPR_OPTIONS = frozenset([
  HT_KVM_SPICE_LOSSY_IMG_COMPR_AUTO,
  HT_KVM_SPICE_LOSSY_IMG_COMPR_NEVER,
  HT_KVM_SPICE_LOSSY_IMG_COMPR_ALWAYS,
  ])

HT_KVM_SPICE_VIDEO_STREAM_DETECTION_OFF = "off"
HT_KVM_SPICE_VIDEO_STREAM_DETECTION_ALL = "all"
HT_KVM_SPICE_VIDEO_STREAM_DETECTION_FILTER = "filter"
HT_KVM_SPICE_VALID_VIDEO_STREAM_DETECTION_OPTIONS = frozenset([
  HT_KVM_SPICE_VIDEO_STREAM_DETECTION_OFF,
  HT_KVM_SPICE_VIDEO_STREAM_DETECTION_ALL,
  HT_KVM_SPICE_VIDEO_STREAM_DETECTION_FILTER,
  ])

# spice_ip_version 0 lets qemu choose the address family of spice_bind
IFACE_NO_IP_VERSION_SPECIFIED = 0
HT_KVM_SPICE_VALID_IP_VERSIONS = \
  frozenset([IFACE_NO_IP_VERSION_SPECIFIED]) | VALID_IP_VERSIONS

INSTANCE_REBOOT_ALLOWED = "reboot"
INSTANCE_REBOOT_EXIT = "exit"
REBOOT_BEHAVIORS = frozenset([INSTANCE_REBOOT_ALLOWED, INSTANCE_REBOOT_EXIT])

# cpu_mask syntax: "all", a CPU list/range, or one mask per VCPU
CPU_PINNING_SEP = ":"
CPU_PINNING_ALL = "all"
CPU_PINNING_ALL_VAL = -1
CPU_PINNING_OFF = [CPU_PINNING_ALL_VAL]
# Xen needs an explicit range where other hypervisors accept "all"
CPU_PINNING_ALL_XEN = "0-63"

VNC_DEFAULT_BIND_ADDRESS = IP4_ADDRESS_ANY
MIGRATION_PORT_MIN = 1
MIGRATION_PORT_MAX = 65534

# Build-time defaults of hypervisor paths
KVM_KERNEL = "/boot/vmlinuz-3-kvmU"
XEN_KERNEL = "/boot/vmlinuz-3-xenU"
XEN_INITRD = ""
XEN_BOOTLOADER = ""
HVM_KERNEL = "/usr/lib/xen/boot/hvmloader"
HVM_DEVICE_MODEL = "/usr/lib/xen/bin/qemu-dm"
HVM_VNC_PASSWORD_FILE = "/etc/ganeti/vnc-cluster-password"
CHROOT_INIT_SCRIPT = "/ganeti-chroot"

HVC_DEFAULTS = {
  HT_XEN_PVM: {
    HV_USE_BOOTLOADER: False,
    HV_BOOTLOADER_PATH: XEN_BOOTLOADER,
    HV_BOOTLOADER_ARGS: "",
    HV_KERNEL_PATH: XEN_KERNEL,
    HV_INITRD_PATH: XEN_INITRD,
    HV_ROOT_PATH: "/dev/sda1",
    HV_KERNEL_ARGS: "ro",
    HV_MIGRATION_PORT: 8002,
    HV_MIGRATION_MODE: HT_MIGRATION_LIVE,
    HV_BLOCKDEV_PREFIX: "sd",
    HV_REBOOT_BEHAVIOR: INSTANCE_REBOOT_ALLOWED,
    HV_CPU_MASK: CPU_PINNING_ALL,
    },
  HT_XEN_HVM: {
    HV_BOOT_ORDER: HT_HVM_DEFAULT_BOOT_ORDER,
    HV_CDROM_IMAGE_PATH: "",
    HV_NIC_TYPE: HT_NIC_RTL8139,
    HV_DISK_TYPE: HT_DISK_PARAVIRTUAL,
    HV_VNC_BIND_ADDRESS: VNC_DEFAULT_BIND_ADDRESS,
    HV_VNC_PASSWORD_FILE: HVM_VNC_PASSWORD_FILE,
    HV_ACPI: True,
    HV_PAE: True,
    HV_KERNEL_PATH: HVM_KERNEL,
    HV_DEVICE_MODEL: HVM_DEVICE_MODEL,
    HV_MIGRATION_PORT: 8002,
    HV_MIGRATION_MODE: HT_MIGRATION_NONLIVE,
    HV_USE_LOCALTIME: False,
    HV_BLOCKDEV_PREFIX: "hd",
    HV_REBOOT_BEHAVIOR: INSTANCE_REBOOT_ALLOWED,
    HV_CPU_MASK: CPU_PINNING_ALL,
    },
  HT_KVM: {
    HV_KERNEL_PATH: KVM_KERNEL,
    HV_INITRD_PATH: "",
    HV_KERNEL_ARGS: "ro",
    HV_ROOT_PATH: "/dev/vda1",
    HV_ACPI: True,
    HV_SERIAL_CONSOLE: True,
    HV_VNC_BIND_ADDRESS: "",
    HV_VNC_TLS: False,
    HV_VNC_X509: "",
    HV_VNC_X509_VERIFY: False,
    HV_VNC_PASSWORD_FILE: "",
    HV_KVM_SPICE_BIND: "",
    HV_KVM_SPICE_IP_VERSION: IFACE_NO_IP_VERSION_SPECIFIED,
    HV_KVM_SPICE_PASSWORD_FILE: "",
    HV_KVM_SPICE_LOSSLESS_IMG_COMPR: "",
    HV_KVM_SPICE_JPEG_IMG_COMPR: "",
    HV_KVM_SPICE_ZLIB_GLZ_IMG_COMPR: "",
    HV_KVM_SPICE_STREAMING_VIDEO_DETECTION: "",
    HV_KVM_SPICE_AUDIO_COMPR: True,
    HV_KVM_SPICE_USE_TLS: False,
    HV_KVM_SPICE_TLS_CIPHERS: OPENSSL_CIPHERS,
    HV_KVM_SPICE_USE_VDAGENT: True,
    HV_KVM_FLOPPY_IMAGE_PATH: "",
    HV_CDROM_IMAGE_PATH: "",
    HV_KVM_CDROM2_IMAGE_PATH: "",
    HV_BOOT_ORDER: HT_BO_DISK,
    HV_NIC_TYPE: HT_NIC_PARAVIRTUAL,
    HV_DISK_TYPE: HT_DISK_PARAVIRTUAL,
    HV_KVM_CDROM_DISK_TYPE: "",
    HV_USB_MOUSE: "",
    HV_KEYMAP: "",
    HV_MIGRATION_PORT: 8102,
    HV_MIGRATION_BANDWIDTH: 32,  # MiB/s
    HV_MIGRATION_DOWNTIME: 30,  # ms
    HV_MIGRATION_MODE: HT_MIGRATION_LIVE,
    HV_USE_LOCALTIME: False,
    HV_DISK_CACHE: HT_CACHE_DEFAULT,
    HV_SECURITY_MODEL: HT_SM_NONE,
    HV_SECURITY_DOMAIN: "",
    HV_KVM_FLAG: "",
    HV_VHOST_NET: False,
    HV_KVM_USE_CHROOT: False,
    HV_MEM_PATH: "",
    HV_REBOOT_BEHAVIOR: INSTANCE_REBOOT_ALLOWED,
    HV_CPU_MASK: CPU_PINNING_ALL,
    },
  HT_FAKE: {},
  HT_CHROOT: {
    HV_INIT_SCRIPT: CHROOT_INIT_SCRIPT,
    },
  HT_LXC: {
    HV_CPU_MASK: "",
    },
  }


# --- Backend parameters ------------------------------------------------------

BE_MEMORY = "memory"  # legacy input only, becomes maxmem = minmem
BE_MAXMEM = "maxmem"
BE_MINMEM = "minmem"
BE_VCPUS = "vcpus"
BE_AUTO_BALANCE = "auto_balance"
BE_ALWAYS_FAILOVER = "always_failover"
BE_SPINDLE_USE = "spindle_use"

BES_PARAMETER_TYPES = {
  BE_MAXMEM: VTYPE_SIZE,
  BE_MINMEM: VTYPE_SIZE,
  BE_VCPUS: VTYPE_INT,
  BE_AUTO_BALANCE: VTYPE_BOOL,
  BE_ALWAYS_FAILOVER: VTYPE_BOOL,
  BE_SPINDLE_USE: VTYPE_INT,
  }
BES_PARAMETERS = frozenset(BES_PARAMETER_TYPES.keys())
# What may appear in input, including the legacy memory key
BES_PARAMETER_COMPAT = dict(BES_PARAMETER_TYPES)
BES_PARAMETER_COMPAT[BE_MEMORY] = VTYPE_SIZE

BES_PARAMETER_TITLES = {
  BE_AUTO_BALANCE: "Auto_balance",
  BE_MAXMEM: "ConfigMaxMem",
  BE_MINMEM: "ConfigMinMem",
  BE_VCPUS: "ConfigVCPUs",
  }

BEC_DEFAULTS = {
  BE_MINMEM: 128,
  BE_MAXMEM: 128,
  BE_VCPUS: 1,
  BE_AUTO_BALANCE: True,
  BE_ALWAYS_FAILOVER: False,
  BE_SPINDLE_USE: 1,
  }


# --- Node parameters ---------------------------------------------------------

ND_OOB_PROGRAM = "oob_program"
ND_SPINDLE_COUNT = "spindle_count"

NDS_PARAMETER_TYPES = {
  ND_OOB_PROGRAM: VTYPE_MAYBE_STRING,
  ND_SPINDLE_COUNT: VTYPE_INT,
  }
NDS_PARAMETERS = frozenset(NDS_PARAMETER_TYPES.keys())

NDS_PARAMETER_TITLES = {
  ND_OOB_PROGRAM: "OutOfBandProgram",
  ND_SPINDLE_COUNT: "SpindleCount",
  }

NDC_DEFAULTS = {
  ND_OOB_PROGRAM: None,
  ND_SPINDLE_COUNT: 1,
  }


# --- NIC parameters ----------------------------------------------------------

NIC_MODE = "mode"
NIC_LINK = "link"

NIC_MODE_BRIDGED = "bridged"
NIC_MODE_ROUTED = "routed"
NIC_VALID_MODES = frozenset([NIC_MODE_BRIDGED, NIC_MODE_ROUTED])

NICS_PARAMETER_TYPES = {
  NIC_MODE: VTYPE_STRING,
  NIC_LINK: VTYPE_STRING,
  }
NICS_PARAMETERS = frozenset(NICS_PARAMETER_TYPES.keys())

DEFAULT_BRIDGE = "xen-br0"

NICC_DEFAULTS = {
  NIC_MODE: NIC_MODE_BRIDGED,
  NIC_LINK: DEFAULT_BRIDGE,
  }

# Name of the single profile inside cluster-level beparams/nicparams
PP_DEFAULT = "default"


# --- Instance disk and NIC specifications (opcode input) ---------------------

IDISK_SIZE = "size"
IDISK_MODE = "mode"
IDISK_ADOPT = "adopt"
IDISK_VG = "vg"
IDISK_METAVG = "metavg"
IDISK_PARAMS_TYPES = {
  IDISK_SIZE: VTYPE_SIZE,
  IDISK_MODE: VTYPE_STRING,
  IDISK_ADOPT: VTYPE_STRING,
  IDISK_VG: VTYPE_STRING,
  IDISK_METAVG: VTYPE_STRING,
  }
IDISK_PARAMS = frozenset(IDISK_PARAMS_TYPES.keys())

INIC_MAC = "mac"
INIC_IP = "ip"
INIC_MODE = "mode"
INIC_LINK = "link"
INIC_PARAMS_TYPES = {
  INIC_IP: VTYPE_MAYBE_STRING,
  INIC_LINK: VTYPE_STRING,
  INIC_MAC: VTYPE_STRING,
  INIC_MODE: VTYPE_STRING,
  }
INIC_PARAMS = frozenset(INIC_PARAMS_TYPES.keys())

DISK_RDONLY = "ro"
DISK_RDWR = "rw"
DISK_ACCESS_SET = frozenset([DISK_RDONLY, DISK_RDWR])

MAX_DISKS = 16
MAX_NICS = 8

# Modifications of disk/NIC lists (OP_INSTANCE_SET_PARAMS) and OS lists
DDM_ADD = "add"
DDM_MODIFY = "modify"
DDM_REMOVE = "remove"
DDMS_VALUES = frozenset([DDM_ADD, DDM_REMOVE])
DDMS_VALUES_WITH_MODIFY = DDMS_VALUES | frozenset([DDM_MODIFY])


# --- Disk templates and logical devices --------------------------------------

DT_DISKLESS = "diskless"
DT_PLAIN = "plain"
DT_DRBD8 = "drbd"
DT_FILE = "file"
DT_SHARED_FILE = "sharedfile"
DT_BLOCK = "blockdev"
DT_RBD = "rbd"
DISK_TEMPLATES = frozenset([
  DT_DISKLESS,
  DT_PLAIN,
  DT_DRBD8,
  DT_FILE,
  DT_SHARED_FILE,
  DT_BLOCK,
  DT_RBD,
  ])

DTS_INT_MIRROR = frozenset([DT_DRBD8])
DTS_EXT_MIRROR = frozenset([DT_SHARED_FILE, DT_BLOCK, DT_RBD])
DTS_MIRRORED = DTS_INT_MIRROR | DTS_EXT_MIRROR
DTS_NOT_LVM = frozenset([
  DT_DISKLESS,
  DT_FILE,
  DT_SHARED_FILE,
  DT_BLOCK,
  DT_RBD,
  ])
DTS_LVM = DISK_TEMPLATES - DTS_NOT_LVM
DTS_FILEBASED = frozenset([DT_FILE, DT_SHARED_FILE])
DTS_GROWABLE = frozenset([
  DT_PLAIN,
  DT_DRBD8,
  DT_FILE,
  DT_SHARED_FILE,
  DT_RBD,
  ])
DTS_MAY_ADOPT = frozenset([DT_PLAIN, DT_BLOCK])
DTS_MUST_ADOPT = frozenset([DT_BLOCK])

LD_LV = "lvm"
LD_DRBD8 = "drbd8"
LD_FILE = "file"
LD_BLOCKDEV = "blockdev"
LD_RBD = "rbd"
LOGICAL_DISK_TYPES = frozenset([LD_LV, LD_DRBD8, LD_FILE, LD_BLOCKDEV, LD_RBD])
LDS_BLOCK = frozenset([LD_LV, LD_DRBD8, LD_BLOCKDEV, LD_RBD])
LDS_DRBD = frozenset([LD_DRBD8])

FD_LOOP = "loop"
FD_BLKTAP = "blktap"
FILE_DRIVER = frozenset([FD_LOOP, FD_BLKTAP])
FD_DEFAULT = FD_LOOP

#: The one driver of adopted block devices (logical_id[0] of blockdev disks)
BLOCKDEV_DRIVER_MANUAL = "manual"
BLOCKDEV_DRIVERS = frozenset([BLOCKDEV_DRIVER_MANUAL])

#: Seconds a failed creation keeps retrying the removal of its disks on a
#: node that cannot be reached (its node daemon may be restarting)
ROLLBACK_NODE_WAIT = 60

#: Separator between instance name and disk index in disk symlink names
DISK_SEPARATOR = ":"
#: Largest amount (MiB) wiped by one dd run, and the smallest share of the
#: disk (percent) one run wipes
MAX_WIPE_CHUNK = 1024
MIN_WIPE_CHUNK_PERCENT = 10
DD_CMD = "dd"

#: Status of a hypervisor-level migration (GetMigrationStatus)
HV_MIGRATION_NO_STATUS = "none"
HV_MIGRATION_ACTIVE = "active"
HV_MIGRATION_COMPLETED = "completed"
HV_MIGRATION_FAILED = "failed"
HV_MIGRATION_CANCELLED = "cancelled"
HV_MIGRATION_VALID_STATUSES = frozenset([
  HV_MIGRATION_NO_STATUS, HV_MIGRATION_ACTIVE, HV_MIGRATION_COMPLETED,
  HV_MIGRATION_FAILED, HV_MIGRATION_CANCELLED])
HV_MIGRATION_FAILED_STATUSES = frozenset([HV_MIGRATION_FAILED,
                                          HV_MIGRATION_CANCELLED])

#: User the ssh console commands log in as on the primary node
SSH_CONSOLE_USER = "root"
#: socat, which connects a terminal to a KVM guest's serial socket
SOCAT_PATH = "/usr/bin/socat"
#: The kvm binary used when the hypervisor parameters name none
KVM_PATH = "/usr/bin/kvm"
#: A NIC's "ip" value asking for an address from the network's pool (the
#: pools come with networks, which this release refuses)
NIC_IP_POOL = "pool"
#: The Xen toolstacks (xl is today's, xm Ganeti 2.6's)
XEN_CMD_XL = "xl"
XEN_CMD_XM = "xm"
KNOWN_XEN_COMMANDS = frozenset([XEN_CMD_XL, XEN_CMD_XM])
XEN_CMD = XEN_CMD_XL

# Build-time switches (configure --enable-file-storage and friends)
ENABLE_FILE_STORAGE = True
ENABLE_SHARED_FILE_STORAGE = True
ENABLE_CONFD = True

DEFAULT_VG = "xenvg"
DEFAULT_DRBD_HELPER = "/bin/true"
DEFAULT_FILE_STORAGE_DIR = "/srv/ganeti/file-storage"
DEFAULT_SHARED_FILE_STORAGE_DIR = "/srv/ganeti/shared-file-storage"
DEFAULT_MASTER_NETDEV = DEFAULT_BRIDGE
DEFAULT_MAC_PREFIX = "aa:00:00"
MASTER_POOL_SIZE_DEFAULT = 10

# DRBD settings
DRBD_HMAC_ALG = "md5"
DRBD_NET_PROTOCOL = "C"
DRBD_META_SIZE = 128  # MiB of the metadata LV of each DRBD disk
LVM_STRIPECOUNT = 1
# Static resync rate (KiB/s) used unless the dynamic controller is enabled
CLASSIC_DRBD_SYNC_SPEED = 60 * 1024

# Barrier options: "n" (none disabled) or a subset of b/f/d to disable
DRBD_B_NONE = "n"
DRBD_B_DISK_BARRIERS = "b"
DRBD_B_DISK_DRAIN = "d"
DRBD_B_DISK_FLUSH = "f"
DRBD_VALID_BARRIER_OPT = frozenset([
  frozenset([DRBD_B_NONE]),
  frozenset([DRBD_B_DISK_BARRIERS]),
  frozenset([DRBD_B_DISK_DRAIN]),
  frozenset([DRBD_B_DISK_FLUSH]),
  frozenset([DRBD_B_DISK_DRAIN, DRBD_B_DISK_FLUSH]),
  frozenset([DRBD_B_DISK_BARRIERS, DRBD_B_DISK_DRAIN]),
  frozenset([DRBD_B_DISK_BARRIERS, DRBD_B_DISK_FLUSH]),
  frozenset([DRBD_B_DISK_BARRIERS, DRBD_B_DISK_FLUSH, DRBD_B_DISK_DRAIN]),
  ])
DRBD_BARRIERS = DRBD_B_NONE
DRBD_NO_META_FLUSH = False

# Dynamic resync controller defaults
DRBD_PLAN_AHEAD_DEFAULT = 20  # 0.1 s units
DRBD_FILL_TARGET_DEFAULT = 0  # sectors
DRBD_DELAY_TARGET_DEFAULT = 1  # 0.1 s units
DRBD_MAX_RATE_DEFAULT = 60 * 1024  # KiB/s
DRBD_MIN_RATE_DEFAULT = 4 * 1024  # KiB/s

# Logical-device parameters, as passed to the block device code
LDP_RESYNC_RATE = "resync-rate"
LDP_STRIPES = "stripes"
LDP_BARRIERS = "disabled-barriers"
LDP_NO_META_FLUSH = "disable-meta-flush"
LDP_DEFAULT_METAVG = "default-metavg"
LDP_DISK_CUSTOM = "disk-custom"
LDP_NET_CUSTOM = "net-custom"
LDP_DYNAMIC_RESYNC = "dynamic-resync"
LDP_PLAN_AHEAD = "c-plan-ahead"
LDP_FILL_TARGET = "c-fill-target"
LDP_DELAY_TARGET = "c-delay-target"
LDP_MAX_RATE = "c-max-rate"
LDP_MIN_RATE = "c-min-rate"
LDP_POOL = "pool"
DISK_LD_TYPES = {
  LDP_RESYNC_RATE: VTYPE_INT,
  LDP_STRIPES: VTYPE_INT,
  LDP_BARRIERS: VTYPE_STRING,
  LDP_NO_META_FLUSH: VTYPE_BOOL,
  LDP_DEFAULT_METAVG: VTYPE_STRING,
  LDP_DISK_CUSTOM: VTYPE_STRING,
  LDP_NET_CUSTOM: VTYPE_STRING,
  LDP_DYNAMIC_RESYNC: VTYPE_BOOL,
  LDP_PLAN_AHEAD: VTYPE_INT,
  LDP_FILL_TARGET: VTYPE_INT,
  LDP_DELAY_TARGET: VTYPE_INT,
  LDP_MAX_RATE: VTYPE_INT,
  LDP_MIN_RATE: VTYPE_INT,
  LDP_POOL: VTYPE_STRING,
  }
DISK_LD_PARAMETERS = frozenset(DISK_LD_TYPES.keys())

# Disk-template parameters, as set by users (cluster/group diskparams)
DRBD_RESYNC_RATE = "resync-rate"
DRBD_DATA_STRIPES = "data-stripes"
DRBD_META_STRIPES = "meta-stripes"
DRBD_DISK_BARRIERS = "disk-barriers"
DRBD_META_BARRIERS = "meta-barriers"
DRBD_DEFAULT_METAVG = "metavg"
DRBD_DISK_CUSTOM = "disk-custom"
DRBD_NET_CUSTOM = "net-custom"
DRBD_DYNAMIC_RESYNC = "dynamic-resync"
DRBD_PLAN_AHEAD = "c-plan-ahead"
DRBD_FILL_TARGET = "c-fill-target"
DRBD_DELAY_TARGET = "c-delay-target"
DRBD_MAX_RATE = "c-max-rate"
DRBD_MIN_RATE = "c-min-rate"
LV_STRIPES = "stripes"
RBD_POOL = "pool"
DISK_DT_TYPES = {
  DRBD_RESYNC_RATE: VTYPE_INT,
  DRBD_DATA_STRIPES: VTYPE_INT,
  DRBD_META_STRIPES: VTYPE_INT,
  DRBD_DISK_BARRIERS: VTYPE_STRING,
  DRBD_META_BARRIERS: VTYPE_BOOL,
  DRBD_DEFAULT_METAVG: VTYPE_STRING,
  DRBD_DISK_CUSTOM: VTYPE_STRING,
  DRBD_NET_CUSTOM: VTYPE_STRING,
  DRBD_DYNAMIC_RESYNC: VTYPE_BOOL,
  DRBD_PLAN_AHEAD: VTYPE_INT,
  DRBD_FILL_TARGET: VTYPE_INT,
  DRBD_DELAY_TARGET: VTYPE_INT,
  DRBD_MAX_RATE: VTYPE_INT,
  DRBD_MIN_RATE: VTYPE_INT,
  LV_STRIPES: VTYPE_INT,
  RBD_POOL: VTYPE_STRING,
  }
DISK_DT_PARAMETERS = frozenset(DISK_DT_TYPES.keys())

DISK_LD_DEFAULTS = {
  LD_DRBD8: {
    LDP_RESYNC_RATE: CLASSIC_DRBD_SYNC_SPEED,
    LDP_BARRIERS: DRBD_BARRIERS,
    LDP_NO_META_FLUSH: DRBD_NO_META_FLUSH,
    LDP_DEFAULT_METAVG: DEFAULT_VG,
    LDP_DISK_CUSTOM: "",
    LDP_NET_CUSTOM: "",
    LDP_DYNAMIC_RESYNC: False,
    LDP_PLAN_AHEAD: DRBD_PLAN_AHEAD_DEFAULT,
    LDP_FILL_TARGET: DRBD_FILL_TARGET_DEFAULT,
    LDP_DELAY_TARGET: DRBD_DELAY_TARGET_DEFAULT,
    LDP_MAX_RATE: DRBD_MAX_RATE_DEFAULT,
    LDP_MIN_RATE: DRBD_MIN_RATE_DEFAULT,
    },
  LD_LV: {
    LDP_STRIPES: LVM_STRIPECOUNT,
    },
  LD_FILE: {},
  LD_BLOCKDEV: {},
  LD_RBD: {
    LDP_POOL: "rbd",
    },
  }

DISK_DT_DEFAULTS = {
  DT_PLAIN: {
    LV_STRIPES: DISK_LD_DEFAULTS[LD_LV][LDP_STRIPES],
    },
  DT_DRBD8: {
    DRBD_RESYNC_RATE: DISK_LD_DEFAULTS[LD_DRBD8][LDP_RESYNC_RATE],
    DRBD_DATA_STRIPES: DISK_LD_DEFAULTS[LD_LV][LDP_STRIPES],
    DRBD_META_STRIPES: DISK_LD_DEFAULTS[LD_LV][LDP_STRIPES],
    DRBD_DISK_BARRIERS: DISK_LD_DEFAULTS[LD_DRBD8][LDP_BARRIERS],
    DRBD_META_BARRIERS: DISK_LD_DEFAULTS[LD_DRBD8][LDP_NO_META_FLUSH],
    DRBD_DEFAULT_METAVG: DISK_LD_DEFAULTS[LD_DRBD8][LDP_DEFAULT_METAVG],
    DRBD_DISK_CUSTOM: DISK_LD_DEFAULTS[LD_DRBD8][LDP_DISK_CUSTOM],
    DRBD_NET_CUSTOM: DISK_LD_DEFAULTS[LD_DRBD8][LDP_NET_CUSTOM],
    DRBD_DYNAMIC_RESYNC: DISK_LD_DEFAULTS[LD_DRBD8][LDP_DYNAMIC_RESYNC],
    DRBD_PLAN_AHEAD: DISK_LD_DEFAULTS[LD_DRBD8][LDP_PLAN_AHEAD],
    DRBD_FILL_TARGET: DISK_LD_DEFAULTS[LD_DRBD8][LDP_FILL_TARGET],
    DRBD_DELAY_TARGET: DISK_LD_DEFAULTS[LD_DRBD8][LDP_DELAY_TARGET],
    DRBD_MAX_RATE: DISK_LD_DEFAULTS[LD_DRBD8][LDP_MAX_RATE],
    DRBD_MIN_RATE: DISK_LD_DEFAULTS[LD_DRBD8][LDP_MIN_RATE],
    },
  DT_DISKLESS: {},
  DT_FILE: {},
  DT_SHARED_FILE: {},
  DT_BLOCK: {},
  DT_RBD: {
    RBD_POOL: DISK_LD_DEFAULTS[LD_RBD][LDP_POOL],
    },
  }


# --- Instance policy ---------------------------------------------------------

ISPEC_MEM_SIZE = "memory-size"
ISPEC_CPU_COUNT = "cpu-count"
ISPEC_DISK_COUNT = "disk-count"
ISPEC_DISK_SIZE = "disk-size"
ISPEC_NIC_COUNT = "nic-count"
ISPEC_SPINDLE_USE = "spindle-use"
ISPECS_PARAMETER_TYPES = {
  ISPEC_MEM_SIZE: VTYPE_INT,
  ISPEC_CPU_COUNT: VTYPE_INT,
  ISPEC_DISK_COUNT: VTYPE_INT,
  ISPEC_DISK_SIZE: VTYPE_INT,
  ISPEC_NIC_COUNT: VTYPE_INT,
  ISPEC_SPINDLE_USE: VTYPE_INT,
  }
ISPECS_PARAMETERS = frozenset(ISPECS_PARAMETER_TYPES.keys())

ISPECS_MIN = "min"
ISPECS_MAX = "max"
ISPECS_STD = "std"
IPOLICY_DTS = "disk-templates"
IPOLICY_VCPU_RATIO = "vcpu-ratio"
IPOLICY_SPINDLE_RATIO = "spindle-ratio"

IPOLICY_ISPECS = frozenset([ISPECS_MIN, ISPECS_MAX, ISPECS_STD])
IPOLICY_PARAMETERS = frozenset([IPOLICY_VCPU_RATIO, IPOLICY_SPINDLE_RATIO])
IPOLICY_ALL_KEYS = IPOLICY_ISPECS | IPOLICY_PARAMETERS | \
  frozenset([IPOLICY_DTS])
# Node groups may not override the standard spec, only the bounds
IPOLICY_GROUP_KEYS = IPOLICY_ALL_KEYS - frozenset([ISPECS_STD])

IPOLICY_DEFAULTS = {
  ISPECS_MIN: {
    ISPEC_MEM_SIZE: 128,
    ISPEC_CPU_COUNT: 1,
    ISPEC_DISK_COUNT: 1,
    ISPEC_DISK_SIZE: 1024,
    ISPEC_NIC_COUNT: 1,
    ISPEC_SPINDLE_USE: 1,
    },
  ISPECS_MAX: {
    ISPEC_MEM_SIZE: 32768,
    ISPEC_CPU_COUNT: 8,
    ISPEC_DISK_COUNT: MAX_DISKS,
    ISPEC_DISK_SIZE: 1024 * 1024,
    ISPEC_NIC_COUNT: MAX_NICS,
    ISPEC_SPINDLE_USE: 12,
    },
  ISPECS_STD: {
    ISPEC_MEM_SIZE: 128,
    ISPEC_CPU_COUNT: 1,
    ISPEC_DISK_COUNT: 1,
    ISPEC_DISK_SIZE: 1024,
    ISPEC_NIC_COUNT: 1,
    ISPEC_SPINDLE_USE: 1,
    },
  # A list (not a set) because it is stored as-is in config.data
  IPOLICY_DTS: sorted(DISK_TEMPLATES),
  IPOLICY_VCPU_RATIO: 4.0,
  IPOLICY_SPINDLE_RATIO: 32.0,
  }


# --- Resource state (recorded only) ------------------------------------------

HVST_MEMORY_TOTAL = "mem_total"
HVST_MEMORY_NODE = "mem_node"
HVST_MEMORY_HV = "mem_hv"
HVST_CPU_TOTAL = "cpu_total"
HVST_CPU_NODE = "cpu_node"
HVSTS_PARAMETER_TYPES = {
  HVST_MEMORY_TOTAL: VTYPE_INT,
  HVST_MEMORY_NODE: VTYPE_INT,
  HVST_MEMORY_HV: VTYPE_INT,
  HVST_CPU_TOTAL: VTYPE_INT,
  HVST_CPU_NODE: VTYPE_INT,
  }
HVSTS_PARAMETERS = frozenset(HVSTS_PARAMETER_TYPES.keys())
HVST_DEFAULTS = {
  HVST_MEMORY_TOTAL: 0,
  HVST_MEMORY_NODE: 0,
  HVST_MEMORY_HV: 0,
  HVST_CPU_TOTAL: 1,
  HVST_CPU_NODE: 1,
  }

DS_DISK_TOTAL = "disk_total"
DS_DISK_RESERVED = "disk_reserved"
DS_DISK_OVERHEAD = "disk_overhead"
DSS_PARAMETER_TYPES = {
  DS_DISK_TOTAL: VTYPE_INT,
  DS_DISK_RESERVED: VTYPE_INT,
  DS_DISK_OVERHEAD: VTYPE_INT,
  }
DSS_PARAMETERS = frozenset(DSS_PARAMETER_TYPES.keys())
DS_DEFAULTS = {
  DS_DISK_TOTAL: 0,
  DS_DISK_RESERVED: 0,
  DS_DISK_OVERHEAD: 0,
  }
# Storage types for which disk state can be recorded
DS_VALID_TYPES = frozenset([LD_LV])


# --- Cluster, node and instance enumerations ---------------------------------

# Node roles as shown by the query "role" field
NR_REGULAR = "R"
NR_MASTER = "M"
NR_MCANDIDATE = "C"
NR_DRAINED = "D"
NR_OFFLINE = "O"
NR_ALL = frozenset([
  NR_REGULAR,
  NR_MASTER,
  NR_MCANDIDATE,
  NR_DRAINED,
  NR_OFFLINE,
  ])

ALLOC_POLICY_PREFERRED = "preferred"
ALLOC_POLICY_LAST_RESORT = "last_resort"
ALLOC_POLICY_UNALLOCABLE = "unallocable"
# Ordered from most to least preferred
VALID_ALLOC_POLICIES = [
  ALLOC_POLICY_PREFERRED,
  ALLOC_POLICY_LAST_RESORT,
  ALLOC_POLICY_UNALLOCABLE,
  ]

ADMINST_UP = "up"
ADMINST_DOWN = "down"
ADMINST_OFFLINE = "offline"
ADMINST_ALL = frozenset([ADMINST_UP, ADMINST_DOWN, ADMINST_OFFLINE])

#: Admin states of instances on the cluster's books as reachable
INSTANCE_ONLINE = frozenset([ADMINST_UP, ADMINST_DOWN])
INSTANCE_DOWN = frozenset([ADMINST_DOWN])
#: Admin states of instances that should not run
INSTANCE_NOT_RUNNING = frozenset([ADMINST_DOWN, ADMINST_OFFLINE])
INSTANCE_ALL = ADMINST_ALL
#: Admin states in which an instance may be marked offline or online
CAN_CHANGE_INSTANCE_OFFLINE = frozenset([ADMINST_DOWN, ADMINST_OFFLINE])

# Combined instance status of the query "status" field
INSTST_RUNNING = "running"
INSTST_ADMINDOWN = "ADMIN_down"
INSTST_ADMINOFFLINE = "ADMIN_offline"
INSTST_NODEOFFLINE = "ERROR_nodeoffline"
INSTST_NODEDOWN = "ERROR_nodedown"
INSTST_WRONGNODE = "ERROR_wrongnode"
INSTST_ERRORUP = "ERROR_up"
INSTST_ERRORDOWN = "ERROR_down"
INSTST_ALL = frozenset([
  INSTST_RUNNING,
  INSTST_ADMINDOWN,
  INSTST_ADMINOFFLINE,
  INSTST_NODEOFFLINE,
  INSTST_NODEDOWN,
  INSTST_WRONGNODE,
  INSTST_ERRORUP,
  INSTST_ERRORDOWN,
  ])

INSTANCE_CREATE = "create"
INSTANCE_IMPORT = "import"
INSTANCE_REMOTE_IMPORT = "remote-import"
INSTANCE_CREATE_MODES = frozenset([
  INSTANCE_CREATE,
  INSTANCE_IMPORT,
  INSTANCE_REMOTE_IMPORT,
  ])

EXPORT_MODE_LOCAL = "local"
EXPORT_MODE_REMOTE = "remote"
EXPORT_MODES = frozenset([EXPORT_MODE_LOCAL, EXPORT_MODE_REMOTE])

REPLACE_DISK_PRI = "replace_on_primary"
REPLACE_DISK_SEC = "replace_on_secondary"
REPLACE_DISK_CHG = "replace_new_secondary"
REPLACE_DISK_AUTO = "replace_auto"
REPLACE_MODES = frozenset([
  REPLACE_DISK_PRI,
  REPLACE_DISK_SEC,
  REPLACE_DISK_CHG,
  REPLACE_DISK_AUTO,
  ])

NODE_EVAC_PRI = "primary-only"
NODE_EVAC_SEC = "secondary-only"
NODE_EVAC_ALL = "all"
NODE_EVAC_MODES = frozenset([NODE_EVAC_PRI, NODE_EVAC_SEC, NODE_EVAC_ALL])

INSTANCE_REBOOT_SOFT = "soft"
INSTANCE_REBOOT_HARD = "hard"
INSTANCE_REBOOT_FULL = "full"
REBOOT_TYPES = frozenset([
  INSTANCE_REBOOT_SOFT,
  INSTANCE_REBOOT_HARD,
  INSTANCE_REBOOT_FULL,
  ])

# Migration modes chosen per operation share the hypervisor's values
MIGRATION_MODES = HT_MIGRATION_MODES

VERIFY_NPLUSONE_MEM = "nplusone_mem"
VERIFY_OPTIONAL_CHECKS = frozenset([VERIFY_NPLUSONE_MEM])

CONS_SSH = "ssh"
CONS_VNC = "vnc"
CONS_SPICE = "spice"
CONS_MESSAGE = "msg"
CONS_ALL = frozenset([CONS_SSH, CONS_VNC, CONS_SPICE, CONS_MESSAGE])

# Special parameter values
VALUE_DEFAULT = "default"
VALUE_AUTO = "auto"
VALUE_GENERATE = "generate"
VALUE_NONE = "none"
VALUE_TRUE = "true"
VALUE_FALSE = "false"


# --- Tags --------------------------------------------------------------------

TAG_CLUSTER = "cluster"
TAG_NODEGROUP = "nodegroup"
TAG_NODE = "node"
TAG_INSTANCE = "instance"
VALID_TAG_TYPES = frozenset([
  TAG_CLUSTER,
  TAG_NODEGROUP,
  TAG_NODE,
  TAG_INSTANCE,
  ])
MAX_TAG_LEN = 128
MAX_TAGS_PER_OBJ = 4096


# --- Storage units -----------------------------------------------------------

ST_FILE = "file"
ST_LVM_PV = "lvm-pv"
ST_LVM_VG = "lvm-vg"
VALID_STORAGE_TYPES = frozenset([ST_FILE, ST_LVM_PV, ST_LVM_VG])

SF_NODE = "node"
SF_TYPE = "type"
SF_NAME = "name"
SF_SIZE = "size"
SF_USED = "used"
SF_FREE = "free"
SF_ALLOCATABLE = "allocatable"
VALID_STORAGE_FIELDS = frozenset([
  SF_NODE,
  SF_TYPE,
  SF_NAME,
  SF_SIZE,
  SF_USED,
  SF_FREE,
  SF_ALLOCATABLE,
  ])

SO_FIX_CONSISTENCY = "fix-consistency"
VALID_STORAGE_OPERATIONS = {
  ST_LVM_VG: frozenset([SO_FIX_CONSISTENCY]),
  }
MODIFIABLE_STORAGE_FIELDS = {
  ST_LVM_PV: frozenset([SF_ALLOCATABLE]),
  }


# --- Out-of-band management --------------------------------------------------

OOB_POWER_ON = "power-on"
OOB_POWER_OFF = "power-off"
OOB_POWER_CYCLE = "power-cycle"
OOB_POWER_STATUS = "power-status"
OOB_HEALTH = "health"
OOB_COMMANDS = frozenset([
  OOB_POWER_ON,
  OOB_POWER_OFF,
  OOB_POWER_CYCLE,
  OOB_POWER_STATUS,
  OOB_HEALTH,
  ])
OOB_POWER_STATUS_POWERED = "powered"
OOB_TIMEOUT = 60  # seconds
OOB_POWER_DELAY = 2.0  # seconds between powering on consecutive nodes

OOB_STATUS_OK = "OK"
OOB_STATUS_WARNING = "WARNING"
OOB_STATUS_CRITICAL = "CRITICAL"
OOB_STATUS_UNKNOWN = "UNKNOWN"
OOB_STATUSES = frozenset([
  OOB_STATUS_OK,
  OOB_STATUS_WARNING,
  OOB_STATUS_CRITICAL,
  OOB_STATUS_UNKNOWN,
  ])


# --- IAllocator --------------------------------------------------------------

IALLOCATOR_DIR_IN = "in"
IALLOCATOR_DIR_OUT = "out"
VALID_IALLOCATOR_DIRECTIONS = frozenset([
  IALLOCATOR_DIR_IN,
  IALLOCATOR_DIR_OUT,
  ])
IALLOCATOR_MODE_ALLOC = "allocate"
IALLOCATOR_MODE_RELOC = "relocate"
IALLOCATOR_MODE_CHG_GROUP = "change-group"
IALLOCATOR_MODE_NODE_EVAC = "node-evacuate"
VALID_IALLOCATOR_MODES = frozenset([
  IALLOCATOR_MODE_ALLOC,
  IALLOCATOR_MODE_RELOC,
  IALLOCATOR_MODE_CHG_GROUP,
  IALLOCATOR_MODE_NODE_EVAC,
  ])
IALLOCATOR_NEVAC_PRI = NODE_EVAC_PRI
IALLOCATOR_NEVAC_SEC = NODE_EVAC_SEC
IALLOCATOR_NEVAC_ALL = NODE_EVAC_ALL
IALLOCATOR_NEVAC_MODES = NODE_EVAC_MODES
# Name of the htools allocator script
IALLOC_HAIL = "hail"


# --- Hooks -------------------------------------------------------------------

HOOKS_PHASE_PRE = "pre"
HOOKS_PHASE_POST = "post"
HOOKS_PHASES = frozenset([HOOKS_PHASE_PRE, HOOKS_PHASE_POST])
HOOKS_NAME_CFGUPDATE = "config-update"
HOOKS_NAME_WATCHER = "watcher"
HOOKS_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
HOOKS_ENV_PREFIX = "GANETI_"
HOOKS_POST_ENV_PREFIX = "GANETI_POST_"

HKR_SKIP = 0
HKR_FAIL = 1
HKR_SUCCESS = 2
HKR_ALL = frozenset([HKR_SKIP, HKR_FAIL, HKR_SUCCESS])

HTYPE_CLUSTER = "CLUSTER"
HTYPE_NODE = "NODE"
HTYPE_GROUP = "GROUP"
HTYPE_INSTANCE = "INSTANCE"
HTYPES = frozenset([HTYPE_CLUSTER, HTYPE_NODE, HTYPE_GROUP, HTYPE_INSTANCE])

# Hooks run by noded around (de)activating the master IP; they have no
# opcode of their own, hence these stand-in opcode ids
FAKE_OP_MASTER_TURNUP = "OP_CLUSTER_IP_TURNUP"
FAKE_OP_MASTER_TURNDOWN = "OP_CLUSTER_IP_TURNDOWN"
HOOKS_NAME_MASTER_IP_TURNUP = "master-ip-turnup"
HOOKS_NAME_MASTER_IP_TURNDOWN = "master-ip-turndown"

# Status of each script run by RunParts (hooks directories)
RUNPARTS_SKIP = 0
RUNPARTS_RUN = 1
RUNPARTS_ERR = 2
RUNPARTS_STATUS = frozenset([RUNPARTS_SKIP, RUNPARTS_RUN, RUNPARTS_ERR])

# File names of hooks, OS scripts and iallocators must match this
EXT_PLUGIN_MASK = re.compile("^[a-zA-Z0-9_-]+$")


# --- OS definitions ----------------------------------------------------------

OS_SCRIPT_CREATE = "create"
OS_SCRIPT_IMPORT = "import"
OS_SCRIPT_EXPORT = "export"
OS_SCRIPT_RENAME = "rename"
OS_SCRIPT_VERIFY = "verify"
OS_SCRIPTS = frozenset([
  OS_SCRIPT_CREATE,
  OS_SCRIPT_IMPORT,
  OS_SCRIPT_EXPORT,
  OS_SCRIPT_RENAME,
  OS_SCRIPT_VERIFY,
  ])

OS_API_FILE = "ganeti_api_version"
OS_VARIANTS_FILE = "variants.list"
OS_PARAMETERS_FILE = "parameters.list"

OS_VALIDATE_PARAMETERS = "parameters"
OS_VALIDATE_CALLS = frozenset([OS_VALIDATE_PARAMETERS])

# Environment of OS scripts and hooks is reset to this PATH
OS_SCRIPTS_PATH = HOOKS_PATH

# Sections of an export's config.ini
INISECT_EXP = "export"
INISECT_INS = "instance"
INISECT_HYP = "hypervisor"
INISECT_BEP = "backend"
INISECT_OSP = "os"
EXPORT_CONF_FILE = "config.ini"


# --- Query (query2) ----------------------------------------------------------

QR_CLUSTER = "cluster"
QR_INSTANCE = "instance"
QR_NODE = "node"
QR_LOCK = "lock"
QR_GROUP = "group"
QR_OS = "os"
QR_JOB = "job"
QR_EXPORT = "export"
QR_VIA_OP = frozenset([
  QR_CLUSTER,
  QR_INSTANCE,
  QR_NODE,
  QR_GROUP,
  QR_OS,
  QR_EXPORT,
  ])
QR_VIA_LUXI = QR_VIA_OP | frozenset([QR_LOCK, QR_JOB])
QR_VIA_RAPI = QR_VIA_LUXI

QFT_UNKNOWN = "unknown"
QFT_TEXT = "text"
QFT_BOOL = "bool"
QFT_NUMBER = "number"
QFT_UNIT = "unit"
QFT_TIMESTAMP = "timestamp"
QFT_OTHER = "other"
QFT_ALL = frozenset([
  QFT_UNKNOWN,
  QFT_TEXT,
  QFT_BOOL,
  QFT_NUMBER,
  QFT_UNIT,
  QFT_TIMESTAMP,
  QFT_OTHER,
  ])

RS_NORMAL = 0
RS_UNKNOWN = 1
RS_NODATA = 2
RS_UNAVAIL = 3
RS_OFFLINE = 4
RS_ALL = frozenset([RS_NORMAL, RS_UNKNOWN, RS_NODATA, RS_UNAVAIL, RS_OFFLINE])
RSS_DESCRIPTION = {
  RS_UNKNOWN: "(unknown)",
  RS_NODATA: "(nodata)",
  RS_UNAVAIL: "(unavail)",
  RS_OFFLINE: "(offline)",
  }

# Filter operators. Equality is sent in the later "==" spelling; the 2.6
# spelling "=" is still accepted on input.
QLANG_OP_OR = "|"
QLANG_OP_AND = "&"
QLANG_OP_NOT = "!"
QLANG_OP_TRUE = "?"
QLANG_OP_EQUAL = "=="
QLANG_OP_EQUAL_LEGACY = "="
QLANG_OP_NOT_EQUAL = "!="
QLANG_OP_LT = "<"
QLANG_OP_LE = "<="
QLANG_OP_GT = ">"
QLANG_OP_GE = ">="
QLANG_OP_REGEXP = "=~"
QLANG_OP_CONTAINS = "=[]"
QLANG_LOGIC_OPS = frozenset([QLANG_OP_OR, QLANG_OP_AND])
QLANG_UNARY_OPS = frozenset([QLANG_OP_NOT, QLANG_OP_TRUE])
QLANG_BINARY_OPS = frozenset([
  QLANG_OP_EQUAL,
  QLANG_OP_EQUAL_LEGACY,
  QLANG_OP_NOT_EQUAL,
  QLANG_OP_LT,
  QLANG_OP_LE,
  QLANG_OP_GT,
  QLANG_OP_GE,
  QLANG_OP_REGEXP,
  QLANG_OP_CONTAINS,
  ])
QLANG_ALL_OPS = QLANG_LOGIC_OPS | QLANG_UNARY_OPS | QLANG_BINARY_OPS
# A filter may nest at most this many levels
QLANG_MAX_FILTER_DEPTH = 10


# --- confd -------------------------------------------------------------------

CONFD_MAGIC_FOURCC = "plj0"

CONFD_REQ_PING = 0
CONFD_REQ_NODE_ROLE_BYNAME = 1
CONFD_REQ_NODE_PIP_BY_INSTANCE_IP = 2
CONFD_REQ_CLUSTER_MASTER = 3
CONFD_REQ_NODE_PIP_LIST = 4
CONFD_REQ_MC_PIP_LIST = 5
CONFD_REQ_INSTANCES_IPS_LIST = 6
CONFD_REQ_NODE_DRBD = 7
CONFD_REQS = frozenset([
  CONFD_REQ_PING,
  CONFD_REQ_NODE_ROLE_BYNAME,
  CONFD_REQ_NODE_PIP_BY_INSTANCE_IP,
  CONFD_REQ_CLUSTER_MASTER,
  CONFD_REQ_NODE_PIP_LIST,
  CONFD_REQ_MC_PIP_LIST,
  CONFD_REQ_INSTANCES_IPS_LIST,
  CONFD_REQ_NODE_DRBD,
  ])

# Keys of dict-form queries; JSON object keys are always strings
CONFD_REQQ_LINK = "0"
CONFD_REQQ_IP = "1"
CONFD_REQQ_IPLIST = "2"
CONFD_REQQ_FIELDS = "3"

CONFD_REQFIELD_NAME = "0"
CONFD_REQFIELD_IP = "1"
CONFD_REQFIELD_MNODE_PIP = "2"

CONFD_REPL_STATUS_OK = 0
CONFD_REPL_STATUS_ERROR = 1
CONFD_REPL_STATUS_NOTIMPLEMENTED = 2
CONFD_REPL_STATUSES = frozenset([
  CONFD_REPL_STATUS_OK,
  CONFD_REPL_STATUS_ERROR,
  CONFD_REPL_STATUS_NOTIMPLEMENTED,
  ])

CONFD_NODE_ROLE_MASTER = 0
CONFD_NODE_ROLE_CANDIDATE = 1
CONFD_NODE_ROLE_OFFLINE = 2
CONFD_NODE_ROLE_DRAINED = 3
CONFD_NODE_ROLE_REGULAR = 4

CONFD_ERROR_UNKNOWN_ENTRY = 1
CONFD_ERROR_INTERNAL = 2
CONFD_ERROR_ARGUMENT = 3

CONFD_CONFIG_RELOAD_TIMEOUT = 60
CONFD_CONFIG_RELOAD_RATELIMIT = 2
CONFD_DEFAULT_REQ_COVERAGE = 6
CONFD_CLIENT_EXPIRE_TIMEOUT = 10
# Largest UDP payload confd sends or accepts
MAX_UDP_DATA_SIZE = 61440


# --- Remote API --------------------------------------------------------------

RAPI_ACCESS_WRITE = "write"
RAPI_ACCESS_READ = "read"
RAPI_ACCESS_ALL = frozenset([RAPI_ACCESS_WRITE, RAPI_ACCESS_READ])


# --- User-id pool ------------------------------------------------------------

# Range of user ids that may be handed to instances (KVM security model
# "pool"); both ends inclusive, limited by the 32-bit uid_t
UIDPOOL_UID_MIN = 0
UIDPOOL_UID_MAX = 2 ** 32 - 1


# --- Certificates ------------------------------------------------------------

# Days before expiry at which cluster verify warns, respectively errors
SSL_CERT_EXPIRATION_WARN = 30
SSL_CERT_EXPIRATION_ERROR = 7


# --- Block device status -----------------------------------------------------

LDS_OKAY = 1
LDS_UNKNOWN = 2
LDS_FAULTY = 3
LDS_NAMES = {
  LDS_OKAY: "ok",
  LDS_UNKNOWN: "unknown",
  LDS_FAULTY: "faulty",
  }


# --- Import/export -----------------------------------------------------------

IEM_IMPORT = "import"
IEM_EXPORT = "export"

IEC_NONE = "none"
IEC_GZIP = "gzip"
IEC_ALL = frozenset([IEC_NONE, IEC_GZIP])

IE_CUSTOM_SIZE = "fd"
IE_MAGIC_RE = re.compile(r"^[-_.a-zA-Z0-9]{5,100}\Z")

IE_FILE = "file"
IE_RAW_DISK = "raw"
IE_SCRIPT = "script"

# Remote (inter-cluster) import/export
RIE_VERSION = 0
RIE_HANDSHAKE = "Hi, I'm Ganeti"
RIE_CERT_VALIDITY = 24 * 60 * 60
RIE_CONNECT_TIMEOUT = 60
RIE_CONNECT_ATTEMPT_TIMEOUT = 20
RIE_CONNECT_RETRIES = 10
X509_CERT_SIGNATURE_HEADER = "X-Ganeti-Signature"
DISK_TRANSFER_CONNECT_TIMEOUT = 60


# --- Node verification -------------------------------------------------------

# Keys of the node_verify RPC request and answer
NV_BRIDGES = "bridges"
NV_DRBDHELPER = "drbd-helper"
NV_DRBDLIST = "drbd-list"
NV_FILELIST = "filelist"
NV_HVINFO = "hvinfo"
NV_HVPARAMS = "hvparms"
NV_HYPERVISOR = "hypervisor"
NV_INSTANCELIST = "instancelist"
NV_LVLIST = "lvlist"
NV_MASTERIP = "master-ip"
NV_NODELIST = "nodelist"
NV_NODENETTEST = "node-net-test"
NV_NODESETUP = "nodesetup"
NV_OOB_PATHS = "oob-paths"
NV_OSLIST = "oslist"
NV_PVLIST = "pvlist"
NV_TIME = "time"
NV_USERSCRIPTS = "user-scripts"
NV_VERSION = "version"
NV_VGLIST = "vglist"
NV_VMNODES = "vmnodes"

# Cluster verify findings: (object type, code, description). The codes are
# what OP_CLUSTER_VERIFY's ignore_errors names and what --error-codes prints.
CV_TCLUSTER = "cluster"
CV_TNODE = "node"
CV_TINSTANCE = "instance"

CV_ECLUSTERCFG = (CV_TCLUSTER, "ECLUSTERCFG",
                  "Cluster configuration verification failure")
CV_ECLUSTERCERT = (CV_TCLUSTER, "ECLUSTERCERT",
                   "Cluster certificate files verification failure")
CV_ECLUSTERFILECHECK = (CV_TCLUSTER, "ECLUSTERFILECHECK",
                        "Cluster configuration file verification failure")
CV_ECLUSTERDANGLINGNODES = (CV_TNODE, "ECLUSTERDANGLINGNODES",
                            "Nodes assigned to a node group that does not"
                            " exist")
CV_ECLUSTERDANGLINGINST = (CV_TNODE, "ECLUSTERDANGLINGINST",
                           "Instances whose primary node does not exist")
CV_EINSTANCEBADNODE = (CV_TINSTANCE, "EINSTANCEBADNODE",
                       "Instance expected to run lives on an offline node")
CV_EINSTANCEDOWN = (CV_TINSTANCE, "EINSTANCEDOWN",
                    "Instance is not running on its primary node")
CV_EINSTANCELAYOUT = (CV_TINSTANCE, "EINSTANCELAYOUT",
                      "Instance has more than one secondary node")
CV_EINSTANCEMISSINGDISK = (CV_TINSTANCE, "EINSTANCEMISSINGDISK",
                           "A volume of the instance is missing")
CV_EINSTANCEFAULTYDISK = (CV_TINSTANCE, "EINSTANCEFAULTYDISK",
                          "The status of a disk could not be retrieved")
CV_EINSTANCEWRONGNODE = (CV_TINSTANCE, "EINSTANCEWRONGNODE",
                         "Instance is running on a node other than its"
                         " primary")
CV_EINSTANCESPLITGROUPS = (CV_TINSTANCE, "EINSTANCESPLITGROUPS",
                           "Primary and secondary nodes of the instance are"
                           " in different node groups")
CV_EINSTANCEPOLICY = (CV_TINSTANCE, "EINSTANCEPOLICY",
                      "Instance violates the instance policy")
CV_ENODEDRBD = (CV_TNODE, "ENODEDRBD",
                "The DRBD status of the node could not be parsed")
CV_ENODEDRBDHELPER = (CV_TNODE, "ENODEDRBDHELPER",
                      "The DRBD usermode helper is wrong")
CV_ENODEFILECHECK = (CV_TNODE, "ENODEFILECHECK",
                     "Checksums of the node's files could not be computed")
CV_ENODEHOOKS = (CV_TNODE, "ENODEHOOKS",
                 "Hook scripts failed or could not be run")
CV_ENODEHV = (CV_TNODE, "ENODEHV",
              "Hypervisor or hypervisor parameter check failed")
CV_ENODELVM = (CV_TNODE, "ENODELVM", "LVM problem on the node")
CV_ENODEN1 = (CV_TNODE, "ENODEN1",
              "Not enough memory to take over the instances of a failed"
              " node")
CV_ENODENET = (CV_TNODE, "ENODENET", "Network problem on the node")
CV_ENODEOS = (CV_TNODE, "ENODEOS", "OS definition problem on the node")
CV_ENODEORPHANINSTANCE = (CV_TNODE, "ENODEORPHANINSTANCE",
                          "An instance unknown to the cluster runs on the"
                          " node")
CV_ENODEORPHANLV = (CV_TNODE, "ENODEORPHANLV",
                    "A logical volume unknown to the cluster exists")
CV_ENODERPC = (CV_TNODE, "ENODERPC", "The node could not be contacted")
CV_ENODESSH = (CV_TNODE, "ENODESSH", "SSH problem on the node")
CV_ENODEVERSION = (CV_TNODE, "ENODEVERSION",
                   "Protocol or software version differs from the master")
CV_ENODESETUP = (CV_TNODE, "ENODESETUP", "Node set-up problem")
CV_ENODETIME = (CV_TNODE, "ENODETIME",
                "Node clock is invalid or too far from the master's")
CV_ENODEOOBPATH = (CV_TNODE, "ENODEOOBPATH",
                   "Out-of-band helper path is invalid")
CV_ENODEUSERSCRIPTS = (CV_TNODE, "ENODEUSERSCRIPTS",
                       "User-provided scripts are missing or not"
                       " executable")

CV_ALL_ECODES = frozenset([
  CV_ECLUSTERCFG,
  CV_ECLUSTERCERT,
  CV_ECLUSTERFILECHECK,
  CV_ECLUSTERDANGLINGNODES,
  CV_ECLUSTERDANGLINGINST,
  CV_EINSTANCEBADNODE,
  CV_EINSTANCEDOWN,
  CV_EINSTANCELAYOUT,
  CV_EINSTANCEMISSINGDISK,
  CV_EINSTANCEFAULTYDISK,
  CV_EINSTANCEWRONGNODE,
  CV_EINSTANCESPLITGROUPS,
  CV_EINSTANCEPOLICY,
  CV_ENODEDRBD,
  CV_ENODEDRBDHELPER,
  CV_ENODEFILECHECK,
  CV_ENODEHOOKS,
  CV_ENODEHV,
  CV_ENODELVM,
  CV_ENODEN1,
  CV_ENODENET,
  CV_ENODEOS,
  CV_ENODEORPHANINSTANCE,
  CV_ENODEORPHANLV,
  CV_ENODERPC,
  CV_ENODESSH,
  CV_ENODEVERSION,
  CV_ENODESETUP,
  CV_ENODETIME,
  CV_ENODEOOBPATH,
  CV_ENODEUSERSCRIPTS,
  ])
CV_ALL_ECODES_STRINGS = frozenset(code for (_, code, _) in CV_ALL_ECODES)
