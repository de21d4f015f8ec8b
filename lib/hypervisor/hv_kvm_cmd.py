"""Command lines of the KVM hypervisor: qemu arguments from hvparams.

Layer 3 (node side).  Everything here is a pure function of its arguments
(the instance, its disks, the filled hvparams and the per-instance paths),
so the exact command lines can be tested without starting anything.  The
command is split as in Ganeti 2.6:

* the static part (L{BuildStaticCommand}) is computed once at start-up and
  saved in the instance's runtime file; a reboot or an incoming migration
  re-uses it unchanged;
* the dynamic part (L{BuildRuntimeArgs}, L{BuildNicArgs}) depends on the
  current start: tap file descriptors, the uid taken from the pool, whether
  to start paused, and the address of an incoming migration.

The syntax is that of current qemu (``-netdev``/``-device``, ``-accel``,
``server=on,wait=off``); where Ganeti 2.6 used options qemu has since
dropped (``-disable-kvm``, ``-balloon virtio``, ``-usbdevice``,
``-localtime``, ``-vnc ...,tls,x509=``) the modern equivalent is used.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils


# serial_speed and machine_version are not among the KVM parameters of the
# 2.6 table this project follows (spec/opcodes.md), so the opcode layer
# refuses them; the command line honours them should the table grow them.
#: Parameter name of the serial line speed
HV_SERIAL_SPEED = getattr(constants, "HV_SERIAL_SPEED", "serial_speed")
#: Parameter name of the qemu machine type (later Ganeti's
#: HV_KVM_MACHINE_VERSION)
HV_KVM_MACHINE_VERSION = getattr(constants, "HV_KVM_MACHINE_VERSION",
                                 "machine_version")
#: Serial speed used when the parameter is absent
DEFAULT_SERIAL_SPEED = 38400
KVM_PATH = constants.KVM_PATH

#: qemu device model of each NIC type
NIC_MODELS = {
  constants.HT_NIC_PARAVIRTUAL: "virtio-net-pci",
  constants.HT_NIC_RTL8139: "rtl8139",
  constants.HT_NIC_NE2K_PCI: "ne2k_pci",
  constants.HT_NIC_NE2K_ISA: "ne2k_isa",
  constants.HT_NIC_I82551: "i82551",
  constants.HT_NIC_I85557B: "i82557b",
  constants.HT_NIC_I8259ER: "i82559er",
  constants.HT_NIC_PCNET: "pcnet",
  constants.HT_NIC_E1000: "e1000",
  }

#: qemu ``-boot`` drive letter of each boot device
BOOT_LETTERS = {
  constants.HT_BO_DISK: "c",
  constants.HT_BO_CDROM: "d",
  constants.HT_BO_NETWORK: "n",
  constants.HT_BO_FLOPPY: "a",
  }

#: Argument that freezes the CPUs at start-up
START_PAUSED_FLAG = "-S"


class InstancePaths(object):
  """Files and sockets of one KVM instance on this node.

  Computed from pathutils when created, so create one after the node root
  is set (a virtual node switching roots gets different paths).

  """
  def __init__(self, name: str):
    self.name = name
    self.pidfile = "%s/%s" % (pathutils.KVM_PIDS_DIR, name)
    self.uidfile = "%s/%s" % (pathutils.KVM_UIDS_DIR, name)
    self.runtime = "%s/%s.runtime" % (pathutils.KVM_CONF_DIR, name)
    self.monitor = "%s/%s.monitor" % (pathutils.KVM_CTRL_DIR, name)
    self.qmp = "%s/%s.qmp" % (pathutils.KVM_CTRL_DIR, name)
    self.serial = "%s/%s.serial" % (pathutils.KVM_CTRL_DIR, name)
    self.vnc = "%s/%s.vnc" % (pathutils.KVM_CTRL_DIR, name)
    self.nics_dir = "%s/%s" % (pathutils.KVM_NICS_DIR, name)
    self.chroot = "%s/%s" % (pathutils.KVM_CHROOT_DIR, name)
    self.chroot_quarantine = pathutils.KVM_CHROOT_QUARANTINE_DIR

  def Sockets(self) -> List[str]:
    """The unix sockets qemu creates for the instance."""
    return [self.monitor, self.qmp, self.serial]


def _UnixChardev(path: str) -> str:
  return "unix:%s,server=on,wait=off" % path


def IsWildcardAddress(address: str) -> bool:
  return address in (constants.IP4_ADDRESS_ANY, constants.IP6_ADDRESS_ANY)


def _VncArgs(instance, hvp: Dict[str, Any],
             paths: InstancePaths) -> List[str]:
  """The ``-vnc`` option (and the TLS credentials object it refers to)."""
  address = hvp[constants.HV_VNC_BIND_ADDRESS]
  args: List[str] = []
  if netutils.IP4Address.IsValid(address):
    port = instance.network_port
    if port is None or port < constants.VNC_BASE_PORT:
      raise errors.HypervisorError("Instance %s has VNC bound to %s but its"
                                   " network port %r is not a VNC port (at"
                                   " least %d)" %
                                   (instance.name, address, port,
                                    constants.VNC_BASE_PORT))
    value = "%s:%d" % (address, port - constants.VNC_BASE_PORT)
  elif address.startswith("/"):
    # A directory: the display is a unix socket named after the instance
    value = "unix:%s/%s.vnc" % (address.rstrip("/"), instance.name)
  else:
    raise errors.HypervisorError("Invalid VNC bind address '%s' for instance"
                                 " %s: expected an IPv4 address or a"
                                 " directory" % (address, instance.name))
  if hvp[constants.HV_VNC_TLS]:
    x509_dir = hvp[constants.HV_VNC_X509]
    if x509_dir:
      verify = "yes" if hvp[constants.HV_VNC_X509_VERIFY] else "no"
      args.extend(["-object", "tls-creds-x509,id=vnctls0,dir=%s,"
                   "endpoint=server,verify-peer=%s" % (x509_dir, verify)])
    else:
      args.extend(["-object", "tls-creds-anon,id=vnctls0,endpoint=server"])
    value += ",tls-creds=vnctls0"
  if hvp[constants.HV_VNC_PASSWORD_FILE]:
    value += ",password=on"
  args.extend(["-vnc", value])
  return args


def _SpiceArgs(instance, hvp: Dict[str, Any]) -> List[str]:
  """The ``-spice`` option and the vdagent channel."""
  address = hvp[constants.HV_KVM_SPICE_BIND]
  version = hvp.get(constants.HV_KVM_SPICE_IP_VERSION,
                    constants.IFACE_NO_IP_VERSION_SPECIFIED)
  port = instance.network_port
  if port is None:
    raise errors.HypervisorError("Instance %s uses SPICE but has no network"
                                 " port" % instance.name)
  opts = ["addr=%s" % address]
  if hvp.get(constants.HV_KVM_SPICE_USE_TLS):
    opts.extend([
      "tls-port=%d" % port,
      "x509-cacert-file=%s" % pathutils.SPICE_CACERT_FILE,
      "x509-key-file=%s" % pathutils.SPICE_CERT_FILE,
      "x509-cert-file=%s" % pathutils.SPICE_CERT_FILE,
      ])
    ciphers = hvp.get(constants.HV_KVM_SPICE_TLS_CIPHERS)
    if ciphers:
      opts.append("tls-ciphers=%s" % ciphers)
  else:
    opts.append("port=%d" % port)
  if version == constants.IP4_VERSION:
    opts.append("ipv4=on")
  elif version == constants.IP6_VERSION:
    opts.append("ipv6=on")
  if not hvp.get(constants.HV_KVM_SPICE_PASSWORD_FILE):
    opts.append("disable-ticketing=on")
  for (key, opt) in [
      (constants.HV_KVM_SPICE_LOSSLESS_IMG_COMPR, "image-compression"),
      (constants.HV_KVM_SPICE_JPEG_IMG_COMPR, "jpeg-wan-compression"),
      (constants.HV_KVM_SPICE_ZLIB_GLZ_IMG_COMPR, "zlib-glz-wan-compression"),
      (constants.HV_KVM_SPICE_STREAMING_VIDEO_DETECTION, "streaming-video"),
      ]:
    if hvp.get(key):
      opts.append("%s=%s" % (opt, hvp[key]))
  if not hvp.get(constants.HV_KVM_SPICE_AUDIO_COMPR, True):
    opts.append("playback-compression=off")
  args = ["-spice", ",".join(opts)]
  if hvp.get(constants.HV_KVM_SPICE_USE_VDAGENT, False):
    args.extend([
      "-device", "virtio-serial-pci",
      "-device", "virtserialport,chardev=spicechannel0,"
      "name=com.redhat.spice.0",
      "-chardev", "spicevmc,id=spicechannel0,name=vdagent",
      ])
  return args


def _DiskArgs(block_devices: Sequence[Tuple[Any, str]],
              hvp: Dict[str, Any]) -> List[str]:
  disk_type = hvp[constants.HV_DISK_TYPE]
  if disk_type == constants.HT_DISK_PARAVIRTUAL:
    interface = "virtio"
  else:
    interface = disk_type
  cache = hvp.get(constants.HV_DISK_CACHE, constants.HT_CACHE_DEFAULT)
  args: List[str] = []
  for (disk, dev_path) in block_devices:
    value = "file=%s,format=raw,if=%s" % (dev_path, interface)
    if cache and cache != constants.HT_CACHE_DEFAULT:
      value += ",cache=%s" % cache
    if getattr(disk, "mode", None) == constants.DISK_RDONLY:
      value += ",readonly=on"
    args.extend(["-drive", value])
  return args


def _CdromArg(path: str, disk_type: str) -> List[str]:
  value = "file=%s,format=raw,media=cdrom" % path
  if disk_type == constants.HT_DISK_PARAVIRTUAL:
    value += ",if=virtio"
  elif disk_type:
    value += ",if=%s" % disk_type
  else:
    value += ",if=ide"
  return ["-drive", value + ",readonly=on"]


def BuildStaticCommand(instance, block_devices: Sequence[Tuple[Any, str]],
                       hvp: Dict[str, Any], paths: InstancePaths,
                       kvm_path: str = KVM_PATH) -> List[str]:
  """The qemu command line saved in the runtime file.

  @param instance: an objects.Instance with filled hvparams/beparams
  @param block_devices: list of (objects.Disk, local device path)
  @param hvp: the filled hvparams (normally instance.hvparams)
  @param paths: the instance's L{InstancePaths}
  @raise errors.HypervisorError: parameters that cannot make a command line

  """
  bep = instance.beparams
  memory = bep.get(constants.BE_MAXMEM, bep.get(constants.BE_MEMORY))
  cmd = [kvm_path,
         "-name", instance.name,
         "-m", str(memory),
         "-smp", str(bep[constants.BE_VCPUS]),
         "-pidfile", paths.pidfile,
         "-daemonize",
         ]

  machine = hvp.get(HV_KVM_MACHINE_VERSION)
  if machine:
    cmd.extend(["-M", machine])

  kvm_flag = hvp.get(constants.HV_KVM_FLAG)
  if kvm_flag == constants.HT_KVM_ENABLED:
    cmd.append("-enable-kvm")
  elif kvm_flag == constants.HT_KVM_DISABLED:
    # Ganeti 2.6 wrote -disable-kvm, which qemu no longer knows
    cmd.extend(["-accel", "tcg"])

  if not hvp[constants.HV_ACPI]:
    cmd.append("-no-acpi")
  if hvp.get(constants.HV_REBOOT_BEHAVIOR) == constants.INSTANCE_REBOOT_EXIT:
    cmd.append("-no-reboot")
  if hvp.get(constants.HV_USE_LOCALTIME):
    cmd.extend(["-rtc", "base=localtime"])
  if hvp.get(constants.HV_MEM_PATH):
    cmd.extend(["-mem-path", hvp[constants.HV_MEM_PATH]])

  # The balloon device makes BalloonInstanceMemory possible
  cmd.extend(["-device", "virtio-balloon"])

  boot_order = hvp[constants.HV_BOOT_ORDER]
  if boot_order not in BOOT_LETTERS:
    raise errors.HypervisorError("Invalid boot order '%s' for instance %s" %
                                 (boot_order, instance.name))
  if boot_order != constants.HT_BO_DISK:
    cmd.extend(["-boot", BOOT_LETTERS[boot_order]])

  cmd.extend(_DiskArgs(block_devices, hvp))

  cdrom_type = hvp.get(constants.HV_KVM_CDROM_DISK_TYPE, "")
  for key in (constants.HV_CDROM_IMAGE_PATH,
              constants.HV_KVM_CDROM2_IMAGE_PATH):
    if hvp.get(key):
      cmd.extend(_CdromArg(hvp[key], cdrom_type))
  if hvp.get(constants.HV_KVM_FLOPPY_IMAGE_PATH):
    cmd.extend(["-drive", "file=%s,format=raw,if=floppy" %
                hvp[constants.HV_KVM_FLOPPY_IMAGE_PATH]])

  # A kernel given by path is booted only when booting from disk (booting
  # from the CD-ROM, network or floppy must reach the BIOS)
  kernel = hvp[constants.HV_KERNEL_PATH]
  if kernel and boot_order == constants.HT_BO_DISK:
    cmd.extend(["-kernel", kernel])
    if hvp.get(constants.HV_INITRD_PATH):
      cmd.extend(["-initrd", hvp[constants.HV_INITRD_PATH]])
    append = []
    if hvp.get(constants.HV_ROOT_PATH):
      append.append("root=%s" % hvp[constants.HV_ROOT_PATH])
    if hvp.get(constants.HV_KERNEL_ARGS):
      append.append(hvp[constants.HV_KERNEL_ARGS])
    if hvp[constants.HV_SERIAL_CONSOLE]:
      append.append("console=ttyS0,%s" %
                    hvp.get(HV_SERIAL_SPEED, DEFAULT_SERIAL_SPEED))
    if append:
      cmd.extend(["-append", " ".join(append)])

  if hvp.get(constants.HV_KEYMAP):
    cmd.extend(["-k", hvp[constants.HV_KEYMAP]])

  mouse = hvp.get(constants.HV_USB_MOUSE)
  if mouse:
    cmd.extend(["-usb", "-device", "usb-%s" % mouse])

  vnc = hvp[constants.HV_VNC_BIND_ADDRESS]
  spice = hvp.get(constants.HV_KVM_SPICE_BIND)
  if vnc:
    cmd.extend(_VncArgs(instance, hvp, paths))
  elif spice:
    cmd.extend(_SpiceArgs(instance, hvp))
  else:
    cmd.extend(["-display", "none"])

  cmd.extend(["-monitor", _UnixChardev(paths.monitor)])
  cmd.extend(["-qmp", _UnixChardev(paths.qmp)])
  if hvp[constants.HV_SERIAL_CONSOLE]:
    cmd.extend(["-serial", _UnixChardev(paths.serial)])
  else:
    cmd.extend(["-serial", "none"])

  if hvp.get(constants.HV_KVM_USE_CHROOT):
    cmd.extend(["-chroot", paths.chroot])

  if hvp.get(constants.HV_SECURITY_MODEL) == constants.HT_SM_USER:
    cmd.extend(["-runas", hvp[constants.HV_SECURITY_DOMAIN]])

  return cmd


def BuildNicArgs(nics: Sequence[Any], nic_type: str,
                 tapfds: Sequence[int], vhost: bool = False) -> List[str]:
  """Arguments giving the instance its NICs, one tap descriptor each.

  Without NICs qemu is told not to invent a default one.

  """
  if not nics:
    return ["-net", "none"]
  if len(tapfds) != len(nics):
    raise errors.ProgrammerError("%d NICs but %d tap descriptors" %
                                 (len(nics), len(tapfds)))
  try:
    model = NIC_MODELS[nic_type]
  except KeyError:
    raise errors.HypervisorError("Unknown NIC type '%s'" % nic_type)
  args: List[str] = []
  for (idx, (nic, fd)) in enumerate(zip(nics, tapfds)):
    netdev = "tap,id=netdev%d,fd=%d" % (idx, fd)
    if vhost:
      netdev += ",vhost=on"
    args.extend(["-netdev", netdev,
                 "-device", "%s,netdev=netdev%d,mac=%s" % (model, idx,
                                                           nic.mac)])
  return args


def BuildRuntimeArgs(startup_paused: bool,
                     incoming: Optional[Tuple[str, int]] = None,
                     runas: Optional[str] = None) -> List[str]:
  """Per-start arguments: pause flag, incoming migration, pool user.

  An incoming instance is never frozen with -S: qemu resumes it by itself
  when the migration completes, in the state the source had.

  """
  args: List[str] = []
  if incoming is not None:
    (address, port) = incoming
    if netutils.IP6Address.IsValid(address):
      address = "[%s]" % address
    args.extend(["-incoming", "tcp:%s:%d" % (address, port)])
  elif startup_paused:
    args.append(START_PAUSED_FLAG)
  if runas is not None:
    args.extend(["-runas", runas])
  return args


def ParseCommandValue(cmd: Sequence[str], option: str) -> Optional[str]:
  """The value following ``option`` in a command line (last one wins)."""
  value = None
  for (idx, arg) in enumerate(cmd[:-1]):
    if arg == option:
      value = cmd[idx + 1]
  return value
