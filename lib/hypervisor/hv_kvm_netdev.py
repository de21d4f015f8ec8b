"""Tap devices and the NIC set-up script of the KVM hypervisor.

Layer 3 (node side).  Each NIC of a KVM instance is a tap device opened
here (``/dev/net/tun``) and handed to qemu as an inherited descriptor.
Before qemu starts, an "ifup" script connects the tap to the network
according to the NIC's mode:

* bridged: the tap joins the bridge named by the NIC's link;
* routed (Ganeti 2.1 design): the tap gets no bridge; a host route to the
  NIC's IP through the tap is added to the routing table named by the
  link (the main table when the link is empty), and proxy ARP is enabled
  on the tap.

The script receives the facts in its environment (INSTANCE, MAC, MODE,
LINK, IP, INTERFACE, TAGS), as Ganeti's kvm-ifup does.  An administrator's
``<conf dir>/kvm-vif-bridge`` replaces the shipped script when present.
"""

import fcntl
import logging
import os
import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils


# From <linux/if_tun.h>; identical on every architecture
TUNSETIFF = 0x400454ca
TUNGETFEATURES = 0x800454cf
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000

TUN_DEVICE = "/dev/net/tun"

#: The shipped script, relative to a source checkout (lib/hypervisor/..)
_CHECKOUT_TOOLS = os.path.normpath(os.path.join(os.path.dirname(__file__),
                                                "..", "..", "tools"))


def _TunFeatures(fd: int) -> Optional[int]:
  try:
    buf = fcntl.ioctl(fd, TUNGETFEATURES, struct.pack("I", 0))
  except OSError as err:
    logging.warning("TUNGETFEATURES failed on %s: %s", TUN_DEVICE, err)
    return None
  return struct.unpack("I", buf)[0]


def OpenTap(vnet_hdr: bool = True, name: str = "") -> Tuple[str, int]:
  """Create a tap device; return (interface name, descriptor).

  The descriptor is inheritable, ready to be passed to qemu.  The device
  disappears when the last descriptor on it is closed.

  @raise errors.HypervisorError: the tun driver is missing or refused

  """
  try:
    fd = os.open(TUN_DEVICE, os.O_RDWR)
  except OSError as err:
    raise errors.HypervisorError("Cannot open %s to create a tap device: %s" %
                                 (TUN_DEVICE, err))
  try:
    flags = IFF_TAP | IFF_NO_PI
    if vnet_hdr:
      features = _TunFeatures(fd)
      if features is not None and features & IFF_VNET_HDR:
        flags |= IFF_VNET_HDR
    request = struct.pack("16sH", name.encode("ascii"), flags)
    try:
      answer = fcntl.ioctl(fd, TUNSETIFF, request)
    except OSError as err:
      raise errors.HypervisorError("Cannot create a tap device: %s" % err)
    ifname = struct.unpack("16sH", answer)[0].rstrip(b"\0").decode("ascii")
    os.set_inheritable(fd, True)
  except BaseException:
    os.close(fd)
    raise
  return (ifname, fd)


def FindIfupScript() -> str:
  """The script connecting a tap device to the network.

  Order: the administrator's ``<conf dir>/kvm-vif-bridge``, the installed
  ``pathutils.KVM_IFUP``, the one in the source checkout.

  @raise errors.HypervisorError: none of them exists

  """
  candidates = [
    os.path.join(pathutils.CONF_DIR, "kvm-vif-bridge"),
    pathutils.KVM_IFUP,
    os.path.join(_CHECKOUT_TOOLS, "kvm-ifup"),
    ]
  for path in candidates:
    if os.path.isfile(path) and os.access(path, os.X_OK):
      return path
  raise errors.HypervisorError("No executable NIC set-up script found (looked"
                               " for %s)" % ", ".join(candidates))


def FindConsoleWrapper() -> str:
  """The console wrapper script (installed one, else the checkout's)."""
  for path in (pathutils.KVM_CONSOLE_WRAPPER,
               os.path.join(_CHECKOUT_TOOLS, "kvm-console-wrapper")):
    if os.path.isfile(path):
      return path
  return pathutils.KVM_CONSOLE_WRAPPER


def IfupEnvironment(instance_name: str, tags: Sequence[str], nic: Any,
                    tap: str) -> Dict[str, str]:
  """Environment of the ifup script for one NIC."""
  nicparams = nic.nicparams or {}
  env = {
    "INSTANCE": instance_name,
    "MAC": nic.mac or "",
    "MODE": nicparams.get(constants.NIC_MODE, ""),
    "LINK": nicparams.get(constants.NIC_LINK, "") or "",
    "INTERFACE": tap,
    "TAGS": " ".join(tags),
    }
  if nic.ip:
    env["IP"] = nic.ip
  # Kept for scripts written for Ganeti before 2.1
  if env["MODE"] == constants.NIC_MODE_BRIDGED:
    env["BRIDGE"] = env["LINK"]
  return env


def ConfigureTap(script: str, instance_name: str, tags: Sequence[str],
                 nic: Any, tap: str, run_cmd=None) -> None:
  """Run the ifup script for one tap device.

  @raise errors.HypervisorError: the script failed (its output included)

  """
  run_cmd = run_cmd or utils.RunCmd
  env = IfupEnvironment(instance_name, tags, nic, tap)
  result = run_cmd([script], env=env)
  if result.failed:
    raise errors.HypervisorError("Failed to configure interface %s of"
                                 " instance %s (mode %s, link '%s') with %s:"
                                 " %s; output: %s" %
                                 (tap, instance_name, env["MODE"],
                                  env["LINK"], script, result.fail_reason,
                                  result.output))


def WriteNicFiles(nics_dir: str, taps: Sequence[str]) -> None:
  """Record which tap device serves which NIC (one file per NIC index)."""
  _RemoveTree(nics_dir)
  os.makedirs(nics_dir, mode=0o755, exist_ok=True)
  for (idx, tap) in enumerate(taps):
    utils.WriteFile(os.path.join(nics_dir, str(idx)), data=tap + "\n")


def ReadNicFiles(nics_dir: str) -> List[str]:
  """The tap names recorded by L{WriteNicFiles}, by NIC index."""
  try:
    names = os.listdir(nics_dir)
  except FileNotFoundError:
    return []
  result = []
  for name in sorted((n for n in names if n.isdigit()), key=int):
    result.append(utils.ReadFile(os.path.join(nics_dir, name)).strip())
  return result


def _RemoveTree(path: str) -> None:
  try:
    names = os.listdir(path)
  except FileNotFoundError:
    return
  for name in names:
    os.unlink(os.path.join(path, name))
  os.rmdir(path)


def RemoveNicFiles(nics_dir: str) -> None:
  """Forget the tap names of an instance."""
  _RemoveTree(nics_dir)
