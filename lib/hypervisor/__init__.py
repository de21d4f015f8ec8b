"""The hypervisor abstraction: from a hypervisor name to its implementation.

Layer 3 (node side).  ``GetHypervisorClass`` maps a ``constants.HT_*`` name
to its class (master side uses the class methods: parameter syntax,
console description, ancillary files); ``GetHypervisor`` gives the one
instance per kind that a node process uses.  Implementation modules are
imported on first use, so a broken or missing one only affects its own
kind.  This package must not import the backend or master-side modules.
"""

import importlib
import threading
from typing import Dict

from ganeti import constants
from ganeti import errors


#: hypervisor name -> (module under ganeti.hypervisor, class name)
_HYPERVISOR_MAP = {
  constants.HT_FAKE: ("hv_fake", "FakeHypervisor"),
  constants.HT_KVM: ("hv_kvm", "KVMHypervisor"),
  constants.HT_XEN_PVM: ("hv_xen", "XenPvmHypervisor"),
  constants.HT_XEN_HVM: ("hv_xen", "XenHvmHypervisor"),
  }

#: Hypervisors Ganeti knows of that this implementation does not provide
_UNSUPPORTED = frozenset(
  getattr(constants, name) for name in ("HT_CHROOT", "HT_LXC")
  if hasattr(constants, name))

_instances: Dict[str, object] = {}
_instances_lock = threading.Lock()


def GetHypervisorClass(ht_kind: str):
  """Returns the class implementing hypervisor ``ht_kind``.

  @raise errors.HypervisorError: unknown or unsupported kind, or its module
      cannot be loaded

  """
  if ht_kind in _UNSUPPORTED:
    raise errors.HypervisorError("Hypervisor '%s' is not supported by this"
                                 " implementation (supported: %s)" %
                                 (ht_kind,
                                  ", ".join(sorted(_HYPERVISOR_MAP))))
  if ht_kind not in _HYPERVISOR_MAP:
    raise errors.HypervisorError("Unknown hypervisor type '%s' (known: %s)" %
                                 (ht_kind, ", ".join(sorted(_HYPERVISOR_MAP))))
  (module_name, class_name) = _HYPERVISOR_MAP[ht_kind]
  try:
    module = importlib.import_module("ganeti.hypervisor." + module_name)
  except ImportError as err:
    raise errors.HypervisorError("Cannot load hypervisor '%s' (module %s):"
                                 " %s" % (ht_kind, module_name, err)) from err
  try:
    return getattr(module, class_name)
  except AttributeError as err:
    raise errors.HypervisorError("Module %s does not provide %s for"
                                 " hypervisor '%s'" %
                                 (module_name, class_name, ht_kind)) from err


def GetHypervisor(ht_kind: str):
  """Returns this process's instance of hypervisor ``ht_kind``.

  @raise errors.HypervisorError: see GetHypervisorClass

  """
  with _instances_lock:
    hyper = _instances.get(ht_kind)
    if hyper is None:
      hyper = GetHypervisorClass(ht_kind)()
      _instances[ht_kind] = hyper
    return hyper


def ResetHypervisors() -> None:
  """Forgets the cached instances (tests, and after a node root switch)."""
  with _instances_lock:
    _instances.clear()
