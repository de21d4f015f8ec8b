"""The KVM hypervisor: real qemu guests, controlled over QMP.

Layer 3 (node side).  An instance is one daemonized qemu process.  Its
files live below ``pathutils.KVM_HYPERVISOR_DIR`` (all computed on use, so a
virtual node switching roots sees its own):

* ``pid/<name>``: qemu's pid file; the instance runs while the process it
  names is alive and carries ``-name <name>``;
* ``conf/<name>.runtime``: the runtime, JSON ``[command, nics, hvparams]``:
  the static qemu command line (see hv_kvm_cmd), the NICs as dicts and the
  hvparams it was built from; reboots and migrations re-use it;
* ``ctrl/<name>.{qmp,monitor,serial}``: QMP socket (used here for all
  control), human monitor (used by the console wrapper) and serial console;
* ``nic/<name>/<idx>``: the tap device of each NIC;
* ``uid/<name>``: the uid taken from the cluster's uid pool (security model
  "pool"), released when the instance is cleaned up;
* ``chroot/<name>``: the empty directory qemu chroots into (use_chroot).

Because everything is found again from these files, a new hypervisor object
(after a node daemon restart) manages guests started by an earlier one.
"""

import logging
import os
import pwd
import shutil
import signal
import time
from typing import Any, Dict, List, Optional, Tuple

import psutil

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf
from ganeti import uidpool
from ganeti import utils
from ganeti import vcluster
from ganeti.hypervisor import hv_base
from ganeti.hypervisor import hv_kvm_cmd
from ganeti.hypervisor import hv_kvm_netdev
from ganeti.hypervisor import hv_kvm_qmp


SOCAT_PATH = constants.SOCAT_PATH

#: socat options for an interactive serial console; Ctrl-] (0x1d) ends it
SOCAT_CONSOLE_OPTS = "raw,echo=0,escape=0x1d"

#: Serial line speeds qemu's emulated UART and Linux accept
VALID_SERIAL_SPEEDS = frozenset([75, 110, 300, 600, 1200, 1800, 2400, 4800,
                                 9600, 14400, 19200, 28800, 38400, 57600,
                                 115200, 230400, 345600, 460800])

#: Seconds qemu gets to start (until it daemonizes)
_START_TIMEOUT = 60

#: Seconds a killed qemu gets to go away after SIGTERM before SIGKILL
_KILL_TIMEOUT = 10

#: Placeholder for the node root in migration info (virtual clusters)
_NODE_ROOT_TOKEN = "@GANETI_NODE_ROOT@"

#: qemu migration states -> Ganeti migration statuses
_MIGRATION_STATUS_MAP = {
  "completed": hv_base.HV_MIGRATION_COMPLETED,
  "failed": hv_base.HV_MIGRATION_FAILED,
  "cancelled": hv_base.HV_MIGRATION_CANCELLED,
  "cancelling": hv_base.HV_MIGRATION_CANCELLED,
  "none": hv_base.HV_MIGRATION_NO_STATUS,
  }


def _IsVncAddress(value) -> bool:
  return isinstance(value, str) and (netutils.IP4Address.IsValid(value) or
                                     utils.IsNormAbsPath(value))


def _IsPositiveInt(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _UserExists(name) -> bool:
  try:
    pwd.getpwnam(name)
  except KeyError:
    return False
  return True


def _ProcessMatches(pid: int, name: str) -> bool:
  """Whether ``pid`` is a live (non-zombie) qemu of instance ``name``."""
  try:
    proc = psutil.Process(pid)
    if proc.status() == psutil.STATUS_ZOMBIE:
      return False
    cmdline = proc.cmdline()
  except (psutil.NoSuchProcess, psutil.AccessDenied):
    return False
  return hv_kvm_cmd.ParseCommandValue(cmdline, "-name") == name


def _WaitForExit(pid: int, name: str, timeout: float) -> bool:
  """Wait up to ``timeout`` seconds for the qemu to go; True when gone."""
  end = time.monotonic() + timeout
  while True:
    if not _ProcessMatches(pid, name):
      return True
    if time.monotonic() >= end:
      return False
    time.sleep(0.05)


class KVMHypervisor(hv_base.BaseHypervisor):
  """Real KVM/qemu guests."""
  CAN_MIGRATE = True

  PARAMETERS = {
    constants.HV_KERNEL_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_INITRD_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_ROOT_PATH: hv_base.NO_CHECK,
    constants.HV_KERNEL_ARGS: hv_base.NO_CHECK,
    constants.HV_ACPI: hv_base.NO_CHECK,
    constants.HV_SERIAL_CONSOLE: hv_base.NO_CHECK,
    hv_kvm_cmd.HV_SERIAL_SPEED:
      hv_base.ParamInSet(False, VALID_SERIAL_SPEEDS),
    constants.HV_VNC_BIND_ADDRESS:
      (False, _IsVncAddress,
       "must be an IPv4 address or an absolute path (a directory for the"
       " VNC unix socket)", None, None),
    constants.HV_VNC_TLS: hv_base.NO_CHECK,
    constants.HV_VNC_X509: hv_base.OPT_DIR_CHECK,
    constants.HV_VNC_X509_VERIFY: hv_base.NO_CHECK,
    constants.HV_VNC_PASSWORD_FILE: hv_base.OPT_FILE_CHECK,
    constants.HV_KVM_SPICE_BIND:
      (False, lambda value: isinstance(value, str),
       "must be an IP address or a network interface name",
       lambda value: (netutils.IPAddress.IsValid(value) or
                      netutils.IsValidInterface(value)),
       "is neither an IP address nor an interface of this node"),
    constants.HV_KVM_SPICE_IP_VERSION:
      hv_base.ParamInSet(False, constants.HT_KVM_SPICE_VALID_IP_VERSIONS),
    constants.HV_KVM_SPICE_PASSWORD_FILE: hv_base.OPT_FILE_CHECK,
    constants.HV_KVM_SPICE_LOSSLESS_IMG_COMPR:
      hv_base.ParamInSet(
        False, constants.HT_KVM_SPICE_VALID_LOSSLESS_IMG_COMPR_OPTIONS),
    constants.HV_KVM_SPICE_JPEG_IMG_COMPR:
      hv_base.ParamInSet(
        False, constants.HT_KVM_SPICE_VALID_LOSSY_IMG_COMPR_OPTIONS),
    constants.HV_KVM_SPICE_ZLIB_GLZ_IMG_COMPR:
      hv_base.ParamInSet(
        False, constants.HT_KVM_SPICE_VALID_LOSSY_IMG_COMPR_OPTIONS),
    constants.HV_KVM_SPICE_STREAMING_VIDEO_DETECTION:
      hv_base.ParamInSet(
        False, constants.HT_KVM_SPICE_VALID_VIDEO_STREAM_DETECTION_OPTIONS),
    constants.HV_KVM_SPICE_AUDIO_COMPR: hv_base.NO_CHECK,
    constants.HV_KVM_SPICE_USE_TLS: hv_base.NO_CHECK,
    constants.HV_KVM_SPICE_TLS_CIPHERS: hv_base.NO_CHECK,
    constants.HV_KVM_SPICE_USE_VDAGENT: hv_base.NO_CHECK,
    constants.HV_KVM_FLOPPY_IMAGE_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_CDROM_IMAGE_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_KVM_CDROM2_IMAGE_PATH: hv_base.OPT_FILE_CHECK,
    constants.HV_BOOT_ORDER:
      hv_base.ParamInSet(True, constants.HT_KVM_VALID_BO_TYPES),
    constants.HV_NIC_TYPE:
      hv_base.ParamInSet(True, constants.HT_KVM_VALID_NIC_TYPES),
    constants.HV_DISK_TYPE:
      hv_base.ParamInSet(True, constants.HT_KVM_VALID_DISK_TYPES),
    constants.HV_KVM_CDROM_DISK_TYPE:
      hv_base.ParamInSet(False, constants.HT_KVM_VALID_DISK_TYPES),
    constants.HV_USB_MOUSE:
      hv_base.ParamInSet(False, constants.HT_KVM_VALID_MOUSE_TYPES),
    constants.HV_KEYMAP: hv_base.NO_CHECK,
    constants.HV_MIGRATION_PORT: hv_base.NET_PORT_CHECK,
    constants.HV_MIGRATION_BANDWIDTH:
      (True, _IsPositiveInt, "must be a positive number of MiB/s", None,
       None),
    constants.HV_MIGRATION_DOWNTIME:
      (True, _IsPositiveInt, "must be a positive number of milliseconds",
       None, None),
    constants.HV_MIGRATION_MODE: hv_base.MIGRATION_MODE_CHECK,
    constants.HV_USE_LOCALTIME: hv_base.NO_CHECK,
    constants.HV_DISK_CACHE:
      hv_base.ParamInSet(True, constants.HT_VALID_CACHE_TYPES),
    constants.HV_SECURITY_MODEL:
      hv_base.ParamInSet(True, constants.HT_KVM_VALID_SM_TYPES),
    constants.HV_SECURITY_DOMAIN:
      (False, None, None, _UserExists, "is not a user of this node"),
    constants.HV_KVM_FLAG:
      hv_base.ParamInSet(False, constants.HT_KVM_FLAG_VALUES),
    constants.HV_VHOST_NET: hv_base.NO_CHECK,
    constants.HV_KVM_USE_CHROOT: hv_base.NO_CHECK,
    constants.HV_MEM_PATH: hv_base.OPT_DIR_CHECK,
    constants.HV_REBOOT_BEHAVIOR:
      hv_base.ParamInSet(True, constants.REBOOT_BEHAVIORS),
    constants.HV_CPU_MASK: hv_base.OPT_MULTI_CPU_MASK_CHECK,
    hv_kvm_cmd.HV_KVM_MACHINE_VERSION: hv_base.NO_CHECK,
    }

  def __init__(self, kvm_path: Optional[str] = None):
    self._kvm_path = kvm_path or hv_kvm_cmd.KVM_PATH

  # --- parameters ---

  @classmethod
  def CheckParameterSyntax(cls, hvparams: Dict[str, Any]) -> None:
    """Per-parameter checks (base class), then the combinations."""
    super(KVMHypervisor, cls).CheckParameterSyntax(hvparams)
    hvp = hvparams.get
    if hvp(constants.HV_KERNEL_PATH) and not hvp(constants.HV_ROOT_PATH):
      raise errors.HypervisorError("Parameter '%s' is needed when a kernel"
                                   " ('%s') is given" %
                                   (constants.HV_ROOT_PATH,
                                    constants.HV_KERNEL_PATH))
    if (hvp(constants.HV_BOOT_ORDER) == constants.HT_BO_CDROM and
        not hvp(constants.HV_CDROM_IMAGE_PATH)):
      raise errors.HypervisorError("Booting from the CD-ROM ('%s' = '%s')"
                                   " needs '%s'" %
                                   (constants.HV_BOOT_ORDER,
                                    constants.HT_BO_CDROM,
                                    constants.HV_CDROM_IMAGE_PATH))
    if (hvp(constants.HV_BOOT_ORDER) == constants.HT_BO_FLOPPY and
        not hvp(constants.HV_KVM_FLOPPY_IMAGE_PATH)):
      raise errors.HypervisorError("Booting from the floppy needs '%s'" %
                                   constants.HV_KVM_FLOPPY_IMAGE_PATH)
    model = hvp(constants.HV_SECURITY_MODEL)
    domain = hvp(constants.HV_SECURITY_DOMAIN)
    if model == constants.HT_SM_USER and not domain:
      raise errors.HypervisorError("Security model '%s' needs parameter '%s'"
                                   " (the user to run qemu as)" %
                                   (constants.HT_SM_USER,
                                    constants.HV_SECURITY_DOMAIN))
    if model != constants.HT_SM_USER and domain:
      raise errors.HypervisorError("Parameter '%s' may only be set with"
                                   " security model '%s'" %
                                   (constants.HV_SECURITY_DOMAIN,
                                    constants.HT_SM_USER))
    vnc = hvp(constants.HV_VNC_BIND_ADDRESS)
    for key in (constants.HV_VNC_TLS, constants.HV_VNC_PASSWORD_FILE):
      if hvp(key) and not vnc:
        raise errors.HypervisorError("Parameter '%s' needs a VNC bind address"
                                     " ('%s')" %
                                     (key, constants.HV_VNC_BIND_ADDRESS))
    if hvp(constants.HV_VNC_X509) and not hvp(constants.HV_VNC_TLS):
      raise errors.HypervisorError("Parameter '%s' needs '%s' enabled" %
                                   (constants.HV_VNC_X509,
                                    constants.HV_VNC_TLS))
    if hvp(constants.HV_VNC_X509_VERIFY) and not hvp(constants.HV_VNC_X509):
      raise errors.HypervisorError("Parameter '%s' needs '%s' (the"
                                   " certificates to verify against)" %
                                   (constants.HV_VNC_X509_VERIFY,
                                    constants.HV_VNC_X509))
    spice = hvp(constants.HV_KVM_SPICE_BIND)
    if spice and vnc:
      raise errors.HypervisorError("VNC ('%s') and SPICE ('%s') cannot both"
                                   " be enabled" %
                                   (constants.HV_VNC_BIND_ADDRESS,
                                    constants.HV_KVM_SPICE_BIND))
    if not spice:
      for key in (constants.HV_KVM_SPICE_PASSWORD_FILE,
                  constants.HV_KVM_SPICE_USE_TLS,
                  constants.HV_KVM_SPICE_IP_VERSION):
        if hvp(key):
          raise errors.HypervisorError("Parameter '%s' needs a SPICE bind"
                                       " address ('%s')" %
                                       (key, constants.HV_KVM_SPICE_BIND))
    else:
      version = hvp(constants.HV_KVM_SPICE_IP_VERSION)
      if version and netutils.IPAddress.IsValid(spice):
        family = netutils.IPAddress.GetAddressFamily(spice)
        if family != netutils.IPAddress.GetAddressFamilyFromVersion(version):
          raise errors.HypervisorError("SPICE bind address %s is not an IPv%s"
                                       " address" % (spice, version))
    mask = hvp(constants.HV_CPU_MASK)
    if mask and len(mask.split(constants.CPU_PINNING_SEP)) > 1:
      # Checked against the VCPU count when the instance starts
      hv_base.ParseMultiCpuMask(mask)

  def ValidateParameters(self, hvparams: Dict[str, Any]) -> None:
    """Node-side checks: files and users, and the kvm binary itself."""
    super(KVMHypervisor, self).ValidateParameters(hvparams)
    if not os.access(self._kvm_path, os.X_OK):
      raise errors.HypervisorError("The kvm binary %s is missing or not"
                                   " executable" % self._kvm_path)

  # --- files of an instance ---

  @staticmethod
  def _Paths(name: str) -> hv_kvm_cmd.InstancePaths:
    return hv_kvm_cmd.InstancePaths(name)

  @staticmethod
  def _EnsureDirs() -> None:
    for path in (pathutils.KVM_HYPERVISOR_DIR, pathutils.KVM_PIDS_DIR,
                 pathutils.KVM_UIDS_DIR, pathutils.KVM_CTRL_DIR,
                 pathutils.KVM_CONF_DIR, pathutils.KVM_NICS_DIR,
                 pathutils.KVM_CHROOT_DIR,
                 pathutils.KVM_CHROOT_QUARANTINE_DIR):
      try:
        os.makedirs(path, mode=0o755, exist_ok=True)
      except OSError as err:
        raise errors.HypervisorError("Cannot create KVM directory %s: %s" %
                                     (path, err))
    # The control sockets must not be reachable by other users
    os.chmod(pathutils.KVM_CTRL_DIR, 0o750)

  @staticmethod
  def _ReadPid(paths: hv_kvm_cmd.InstancePaths) -> Optional[int]:
    try:
      text = utils.ReadFile(paths.pidfile).strip()
    except FileNotFoundError:
      return None
    except EnvironmentError as err:
      raise errors.HypervisorError("Cannot read pid file %s: %s" %
                                   (paths.pidfile, err))
    try:
      pid = int(text.split()[0])
    except (ValueError, IndexError):
      logging.warning("Ignoring invalid pid file %s (%r)", paths.pidfile,
                      text)
      return None
    return pid if pid > 0 else None

  def _RunningPid(self, name: str) -> Optional[int]:
    """Pid of the qemu running instance ``name``, None when not running."""
    pid = self._ReadPid(self._Paths(name))
    if pid is not None and _ProcessMatches(pid, name):
      return pid
    return None

  @staticmethod
  def _ParseRuntime(text: str, name: str):
    try:
      data = serializer.LoadJson(text)
      (cmd, nics, hvparams) = data
      nics = [objects.NIC.FromDict(nic) for nic in nics]
    except (ValueError, TypeError, errors.GenericError) as err:
      raise errors.HypervisorError("Invalid KVM runtime data of instance %s:"
                                   " %s" % (name, err))
    return (list(cmd), nics, hvparams)

  def _LoadRuntime(self, name: str):
    paths = self._Paths(name)
    try:
      text = utils.ReadFile(paths.runtime)
    except EnvironmentError as err:
      raise errors.HypervisorError("Cannot read the KVM runtime of instance"
                                   " %s (%s): %s" % (name, paths.runtime,
                                                     err))
    return self._ParseRuntime(text, name)

  @staticmethod
  def _RuntimeToText(runtime) -> str:
    (cmd, nics, hvparams) = runtime
    return serializer.DumpJson([cmd, [nic.ToDict() for nic in nics],
                                hvparams])

  # --- start ---

  def _GenerateRuntime(self, instance, block_devices):
    paths = self._Paths(instance.name)
    cmd = hv_kvm_cmd.BuildStaticCommand(instance, block_devices,
                                        instance.hvparams, paths,
                                        kvm_path=self._kvm_path)
    return (cmd, list(instance.nics or []), dict(instance.hvparams))

  @staticmethod
  def _GetUidPool() -> List[int]:
    pool = ssconf.SimpleStore().GetUidPool()
    uids = uidpool.ExpandUidPool(pool)
    if not uids:
      raise errors.HypervisorError("Security model '%s' needs a cluster uid"
                                   " pool, but the pool is empty" %
                                   constants.HT_SM_POOL)
    return uids

  def _PrepareChroot(self, paths: hv_kvm_cmd.InstancePaths) -> None:
    if os.path.isdir(paths.chroot) and os.listdir(paths.chroot):
      raise errors.HypervisorError("Chroot directory %s of instance %s is not"
                                   " empty" % (paths.chroot, paths.name))
    os.makedirs(paths.chroot, mode=0o755, exist_ok=True)

  def _ExecuteRuntime(self, instance, runtime, startup_paused: bool,
                      incoming: Optional[Tuple[str, int]] = None) -> int:
    """Start qemu from a runtime; return its pid.

    Opens and configures the taps, takes a uid from the pool when needed,
    starts qemu frozen (unless receiving a migration), applies what needs
    QMP (passwords, CPU pinning) and lets the guest run unless asked to
    start paused.

    """
    name = instance.name
    paths = self._Paths(name)
    if self._RunningPid(name) is not None:
      raise errors.HypervisorError("Failed to start instance %s: already"
                                   " running" % name)
    self._EnsureDirs()
    for path in paths.Sockets():
      hv_kvm_qmp.CheckSocketPath(path)
      utils.RemoveFile(path)
    (static_cmd, nics, hvp) = runtime
    cmd = list(static_cmd)

    if hvp.get(constants.HV_KVM_USE_CHROOT):
      self._PrepareChroot(paths)

    locked_uid = None
    runas = None
    tapfds: List[int] = []
    taps: List[str] = []
    try:
      if hvp.get(constants.HV_SECURITY_MODEL) == constants.HT_SM_POOL:
        locked_uid = uidpool.RequestUnusedUid(self._GetUidPool())
        try:
          runas = pwd.getpwuid(locked_uid.GetUid()).pw_name
        except KeyError:
          raise errors.HypervisorError("Uid %d of the uid pool has no user"
                                       " name on this node; qemu's -runas"
                                       " needs one" % locked_uid.GetUid())

      if nics:
        script = hv_kvm_netdev.FindIfupScript()
        nic_type = hvp[constants.HV_NIC_TYPE]
        vnet_hdr = nic_type == constants.HT_NIC_PARAVIRTUAL
        for nic in nics:
          (tap, fd) = hv_kvm_netdev.OpenTap(vnet_hdr=vnet_hdr)
          taps.append(tap)
          tapfds.append(fd)
          hv_kvm_netdev.ConfigureTap(script, name, sorted(instance.GetTags()),
                                     nic, tap)
      cmd.extend(hv_kvm_cmd.BuildNicArgs(nics, hvp.get(constants.HV_NIC_TYPE),
                                         tapfds,
                                         vhost=bool(hvp.get(
                                           constants.HV_VHOST_NET))))
      # Frozen until the set-up over QMP is done; an incoming instance
      # resumes by itself once migrated
      cmd.extend(hv_kvm_cmd.BuildRuntimeArgs(incoming is None, incoming,
                                             runas))

      result = utils.RunCmd(cmd, noclose_fds=tapfds, timeout=_START_TIMEOUT)
      if result.failed:
        raise errors.HypervisorError("Failed to start instance %s: %s (exit"
                                     " code %s); output: %s" %
                                     (name, result.fail_reason,
                                      result.exit_code, result.output))
      pid = self._ReadPid(paths)
      if pid is None or not _ProcessMatches(pid, name):
        raise errors.HypervisorError("Failed to start instance %s: qemu"
                                     " exited right after starting (no live"
                                     " process in %s); output: %s" %
                                     (name, paths.pidfile, result.output))
    except BaseException:
      if locked_uid is not None:
        uidpool.ReleaseUid(locked_uid)
      raise
    finally:
      for fd in tapfds:
        os.close(fd)

    if locked_uid is not None:
      utils.WriteFile(paths.uidfile, data="%d\n" % locked_uid.GetUid())
      # The lock file stays: the uid is in use until CleanupInstance
      locked_uid.Unlock()
    hv_kvm_netdev.WriteNicFiles(paths.nics_dir, taps)

    try:
      self._PostStart(instance, hvp, paths, pid,
                      resume=(incoming is None and not startup_paused))
    except BaseException:
      self._Kill(name, pid)
      self._RemoveRuntimeFiles(name)
      raise
    return pid

  def _PostStart(self, instance, hvp, paths, pid: int, resume: bool) -> None:
    with hv_kvm_qmp.QmpConnection(paths.qmp) as qmp:
      vnc_pw = hvp.get(constants.HV_VNC_PASSWORD_FILE)
      if hvp.get(constants.HV_VNC_BIND_ADDRESS) and vnc_pw:
        qmp.Execute("set_password", {"protocol": "vnc",
                                     "password": self._ReadPassword(vnc_pw)})
      spice_pw = hvp.get(constants.HV_KVM_SPICE_PASSWORD_FILE)
      if hvp.get(constants.HV_KVM_SPICE_BIND) and spice_pw:
        qmp.Execute("set_password", {"protocol": "spice",
                                     "password": self._ReadPassword(spice_pw)})
      mask = hvp.get(constants.HV_CPU_MASK)
      if mask and mask != constants.CPU_PINNING_ALL:
        self._PinCpus(qmp, instance, pid, mask)
      if resume:
        qmp.Execute("cont")

  @staticmethod
  def _ReadPassword(path: str) -> str:
    try:
      return utils.ReadOneLineFile(path, strict=False)
    except (EnvironmentError, errors.GenericError) as err:
      raise errors.HypervisorError("Cannot read password file %s: %s" %
                                   (path, err))

  @staticmethod
  def _PinCpus(qmp, instance, pid: int, mask: str) -> None:
    """Apply cpu_mask: one mask for the whole process, or one per VCPU."""
    try:
      masks = hv_base.ParseMultiCpuMask(mask)
    except errors.ParseError as err:
      raise errors.HypervisorError("Invalid CPU mask of instance %s: %s" %
                                   (instance.name, err))
    all_cpus = set(range(psutil.cpu_count() or 1))

    def _Cpus(cpus):
      if cpus == constants.CPU_PINNING_OFF:
        return all_cpus
      return set(cpus)

    if len(masks) == 1:
      cpus = _Cpus(masks[0])
      for thread in psutil.Process(pid).threads():
        os.sched_setaffinity(thread.id, cpus)
      return
    vcpu_threads = qmp.Execute("query-cpus-fast")
    if len(masks) != len(vcpu_threads):
      raise errors.HypervisorError("CPU mask of instance %s has %d elements"
                                   " but the instance has %d VCPUs" %
                                   (instance.name, len(masks),
                                    len(vcpu_threads)))
    for entry in vcpu_threads:
      os.sched_setaffinity(entry["thread-id"],
                           _Cpus(masks[entry["cpu-index"]]))

  def StartInstance(self, instance, block_devices, startup_paused=False):
    """Build the runtime, save it and start qemu from it."""
    self.CheckParameterSyntax(instance.hvparams)
    if self._RunningPid(instance.name) is not None:
      raise errors.HypervisorError("Failed to start instance %s: already"
                                   " running" % instance.name)
    self._EnsureDirs()
    runtime = self._GenerateRuntime(instance, block_devices)
    utils.WriteFile(self._Paths(instance.name).runtime,
                    data=self._RuntimeToText(runtime), mode=0o600)
    self._ExecuteRuntime(instance, runtime, startup_paused)

  # --- stop ---

  @staticmethod
  def _Kill(name: str, pid: int) -> None:
    """SIGTERM, then SIGKILL; return once the process is gone."""
    try:
      os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
      return
    if _WaitForExit(pid, name, _KILL_TIMEOUT):
      return
    try:
      os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
      return
    if not _WaitForExit(pid, name, _KILL_TIMEOUT):
      raise errors.HypervisorError("qemu process %d of instance %s survived"
                                   " SIGKILL" % (pid, name))

  def StopInstance(self, instance, force=False, retry=False, name=None,
                   timeout=None):
    """Stop qemu: ACPI power button (acpi on, not forced), else kill.

    With a timeout a soft stop waits that long for the guest to power off
    and then kills it; without one it returns once the request is sent.

    """
    if name is None:
      name = instance.name
    pid = self._RunningPid(name)
    if pid is None:
      self._RemoveRuntimeFiles(name)
      return
    acpi = (instance.hvparams or {}).get(constants.HV_ACPI, True)
    if force or not acpi:
      self._Kill(name, pid)
      self._RemoveRuntimeFiles(name)
      return
    try:
      hv_kvm_qmp.Execute(self._Paths(name).qmp, "system_powerdown")
    except errors.HypervisorError as err:
      if timeout is None:
        raise errors.HypervisorError("Failed to stop instance %s: %s" %
                                     (name, err))
      logging.warning("ACPI power-down of instance %s failed (%s), it will"
                      " be killed", name, err)
      timeout = 0
    if timeout is None:
      return
    if not _WaitForExit(pid, name, timeout):
      logging.info("Instance %s did not power off within %ss, killing it",
                   name, timeout)
      self._Kill(name, pid)
    self._RemoveRuntimeFiles(name)

  def _RemoveRuntimeFiles(self, name: str) -> None:
    """Forget a stopped instance: pid file, sockets, NIC records, chroot,
    and give its uid back to the pool."""
    paths = self._Paths(name)
    for path in [paths.pidfile] + paths.Sockets():
      utils.RemoveFile(path)
    hv_kvm_netdev.RemoveNicFiles(paths.nics_dir)
    try:
      uid_text = utils.ReadFile(paths.uidfile).strip()
    except FileNotFoundError:
      uid_text = None
    if uid_text:
      try:
        uidpool.ReleaseUid(int(uid_text))
      except (ValueError, errors.LockError) as err:
        logging.warning("Cannot release uid %r of instance %s: %s",
                        uid_text, name, err)
    utils.RemoveFile(paths.uidfile)
    if os.path.isdir(paths.chroot):
      try:
        os.rmdir(paths.chroot)
      except OSError:
        # Something was left in the chroot: keep it for inspection
        target = os.path.join(paths.chroot_quarantine,
                              "%s-%s" % (name, utils.TimestampForFilename()))
        logging.warning("Chroot %s of instance %s is not empty, moving it to"
                        " %s", paths.chroot, name, target)
        os.makedirs(paths.chroot_quarantine, exist_ok=True)
        shutil.move(paths.chroot, target)

  def CleanupInstance(self, instance_name: str) -> None:
    if self._RunningPid(instance_name) is not None:
      raise errors.HypervisorError("Cannot clean up instance %s: it is still"
                                   " running" % instance_name)
    self._RemoveRuntimeFiles(instance_name)

  def RebootInstance(self, instance) -> None:
    """Restart qemu from the saved runtime (as Ganeti 2.6 does).

    """
    name = instance.name
    pid = self._RunningPid(name)
    if pid is None:
      raise errors.HypervisorError("Failed to reboot instance %s: not"
                                   " running" % name)
    runtime = self._LoadRuntime(name)
    self._Kill(name, pid)
    self._RemoveRuntimeFiles(name)
    self._ExecuteRuntime(instance, runtime, False)

  # --- information ---

  def ListInstances(self) -> List[str]:
    try:
      names = os.listdir(pathutils.KVM_PIDS_DIR)
    except FileNotFoundError:
      return []
    return sorted(name for name in names
                  if self._RunningPid(name) is not None)

  def GetInstanceInfo(self, instance_name: str):
    """(name, pid, memory MiB, vcpus, qemu run state, cpu seconds)."""
    pid = self._RunningPid(instance_name)
    if pid is None:
      return None
    paths = self._Paths(instance_name)
    try:
      cmdline = psutil.Process(pid).cmdline()
      cpu = psutil.Process(pid).cpu_times()
      cpu_time = cpu.user + cpu.system
    except psutil.Error:
      return None
    memory = int(hv_kvm_cmd.ParseCommandValue(cmdline, "-m") or 0)
    smp = hv_kvm_cmd.ParseCommandValue(cmdline, "-smp") or "1"
    vcpus = int(smp.split(",")[0].replace("cpus=", ""))
    state = "unknown"
    try:
      with hv_kvm_qmp.QmpConnection(paths.qmp, timeout=2) as qmp:
        state = qmp.Execute("query-status")["status"]
        # Frozen since start-up (-S) is paused as far as users care
        if state == "prelaunch":
          state = "paused"
        try:
          actual = qmp.Execute("query-balloon")["actual"]
          memory = actual // (1024 * 1024)
        except hv_kvm_qmp.QmpCommandError:
          pass
    except errors.HypervisorError as err:
      logging.debug("QMP of instance %s did not answer: %s", instance_name,
                    err)
    return (instance_name, pid, memory, vcpus, state, cpu_time)

  def GetAllInstancesInfo(self):
    result = []
    for name in self.ListInstances():
      info = self.GetInstanceInfo(name)
      if info is not None:
        result.append(info)
    return result

  def GetNodeInfo(self) -> Dict[str, Any]:
    """The machine's facts; qemu processes count as used memory."""
    result = hv_base.GetLinuxNodeInfo()
    result["memory_hv"] = 0
    return result

  @classmethod
  def GetInstanceConsole(cls, instance, hvparams, beparams):
    """Serial console through socat on the primary, else VNC or SPICE."""
    if hvparams.get(constants.HV_SERIAL_CONSOLE):
      paths = hv_kvm_cmd.InstancePaths(instance.name)
      node = instance.primary_node
      monitor = vcluster.ExchangeNodeRoot(node, paths.monitor)
      serial = vcluster.ExchangeNodeRoot(node, paths.serial)
      command = [hv_kvm_netdev.FindConsoleWrapper(), SOCAT_PATH,
                 instance.name, monitor,
                 "STDIO,%s" % SOCAT_CONSOLE_OPTS,
                 "UNIX-CONNECT:%s" % serial]
      return objects.InstanceConsole(instance=instance.name,
                                     kind=constants.CONS_SSH,
                                     host=node,
                                     user=hv_base.SSH_CONSOLE_USER,
                                     command=command)
    vnc = hvparams.get(constants.HV_VNC_BIND_ADDRESS)
    port = instance.network_port
    if (vnc and netutils.IP4Address.IsValid(vnc) and port and
        port >= constants.VNC_BASE_PORT):
      if hv_kvm_cmd.IsWildcardAddress(vnc):
        host = instance.primary_node
      else:
        host = vnc
      return objects.InstanceConsole(instance=instance.name,
                                     kind=constants.CONS_VNC,
                                     host=host, port=port,
                                     display=port - constants.VNC_BASE_PORT)
    spice = hvparams.get(constants.HV_KVM_SPICE_BIND)
    if spice and port:
      if netutils.IPAddress.IsValid(spice) and \
          not hv_kvm_cmd.IsWildcardAddress(spice):
        host = spice
      else:
        host = instance.primary_node
      return objects.InstanceConsole(instance=instance.name,
                                     kind=constants.CONS_SPICE,
                                     host=host, port=port)
    return objects.InstanceConsole(instance=instance.name,
                                   kind=constants.CONS_MESSAGE,
                                   message=("No serial shell for instance %s"
                                            % instance.name))

  def Verify(self) -> Optional[str]:
    problems = []
    if not os.access(self._kvm_path, os.X_OK):
      problems.append("The kvm binary ('%s') does not exist or is not"
                      " executable" % self._kvm_path)
    if not os.access(SOCAT_PATH, os.X_OK):
      problems.append("The socat binary ('%s') does not exist or is not"
                      " executable" % SOCAT_PATH)
    if problems:
      return "; ".join(problems)
    return None

  @classmethod
  def GetAncillaryFiles(cls):
    script = os.path.join(pathutils.CONF_DIR, "kvm-vif-bridge")
    return ([script], [script])

  # --- memory ---

  def BalloonInstanceMemory(self, instance, mem: int) -> None:
    paths = self._Paths(instance.name)
    if self._RunningPid(instance.name) is None:
      raise errors.HypervisorError("Cannot balloon instance %s: not running"
                                   % instance.name)
    hv_kvm_qmp.Execute(paths.qmp, "balloon", {"value": mem * 1024 * 1024})

  # --- migration ---

  def MigrationInfo(self, instance) -> str:
    """The saved runtime, with this node's root made node-independent."""
    paths = self._Paths(instance.name)
    try:
      text = utils.ReadFile(paths.runtime)
    except EnvironmentError as err:
      raise errors.HypervisorError("Cannot read the KVM runtime of instance"
                                   " %s: %s" % (instance.name, err))
    root = vcluster.GetRootDirectory()
    if root:
      (cmd, nics, hvparams) = self._ParseRuntime(text, instance.name)
      cmd = [arg.replace(root + "/", _NODE_ROOT_TOKEN + "/") for arg in cmd]
      text = self._RuntimeToText((cmd, nics, hvparams))
    return text

  def _LocalRuntime(self, instance, info: str):
    (cmd, nics, hvparams) = self._ParseRuntime(info, instance.name)
    root = vcluster.GetRootDirectory()
    cmd = [arg.replace(_NODE_ROOT_TOKEN, root) for arg in cmd]
    return (cmd, nics, hvparams)

  def AcceptInstance(self, instance, info: str, target: str) -> None:
    """Start qemu waiting for the migration stream on target:port."""
    runtime = self._LocalRuntime(instance, info)
    port = instance.hvparams[constants.HV_MIGRATION_PORT]
    self._ExecuteRuntime(instance, runtime, False, incoming=(target, port))

  def FinalizeMigrationDst(self, instance, info: str, success: bool) -> None:
    if success:
      runtime = self._LocalRuntime(instance, info)
      utils.WriteFile(self._Paths(instance.name).runtime,
                      data=self._RuntimeToText(runtime), mode=0o600)
      return
    pid = self._RunningPid(instance.name)
    if pid is not None:
      self._Kill(instance.name, pid)
    self._RemoveRuntimeFiles(instance.name)

  def MigrateInstance(self, instance, target: str, live: bool) -> None:
    """Start sending the instance to target (returns at once)."""
    name = instance.name
    if self._RunningPid(name) is None:
      raise errors.HypervisorError("Instance %s is not running" % name)
    hvp = instance.hvparams
    port = hvp[constants.HV_MIGRATION_PORT]
    address = target
    if netutils.IP6Address.IsValid(address):
      address = "[%s]" % address
    with hv_kvm_qmp.QmpConnection(self._Paths(name).qmp) as qmp:
      if not live:
        qmp.Execute("stop")
      bandwidth = hvp[constants.HV_MIGRATION_BANDWIDTH] * 1024 * 1024
      downtime = hvp[constants.HV_MIGRATION_DOWNTIME]
      try:
        qmp.Execute("migrate-set-parameters",
                    {"max-bandwidth": bandwidth, "downtime-limit": downtime})
      except hv_kvm_qmp.QmpCommandError as err:
        if err.error_class != "CommandNotFound":
          raise
        # qemu before 2.8
        qmp.Execute("migrate_set_speed", {"value": bandwidth})
        qmp.Execute("migrate_set_downtime", {"value": downtime / 1000.0})
      qmp.Execute("migrate", {"uri": "tcp:%s:%d" % (address, port)})

  def GetMigrationStatus(self, instance) -> objects.MigrationStatus:
    if self._RunningPid(instance.name) is None:
      raise errors.HypervisorError("Cannot get the migration status of"
                                   " instance %s: not running" %
                                   instance.name)
    answer = hv_kvm_qmp.Execute(self._Paths(instance.name).qmp,
                                "query-migrate")
    qstatus = answer.get("status", "none")
    status = _MIGRATION_STATUS_MAP.get(qstatus, hv_base.HV_MIGRATION_ACTIVE)
    result = objects.MigrationStatus(status=status)
    ram = answer.get("ram")
    if ram:
      result.transferred_ram = ram.get("transferred")
      result.total_ram = ram.get("total")
    return result

  def FinalizeMigrationSource(self, instance, success: bool,
                              live: bool) -> None:
    name = instance.name
    pid = self._RunningPid(name)
    if success:
      if pid is not None:
        self._Kill(name, pid)
      self._RemoveRuntimeFiles(name)
    elif not live and pid is not None:
      hv_kvm_qmp.Execute(self._Paths(name).qmp, "cont")
