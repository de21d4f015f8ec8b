"""The hypervisor interface every hypervisor implements, and shared checks.

Layer 3 (node side).  ``BaseHypervisor`` fixes what the node backend may
ask of a hypervisor (start, stop, reboot, list, describe instances and the
node, migrate, balloon memory, give a console command) and what the master
may ask of its class without touching a node (parameter syntax, console
description, ancillary files).  Each parameter a hypervisor accepts is
declared in its ``PARAMETERS`` table with a check tuple built from the
module-level checks below; ``CheckParameterSyntax`` (master side, pure) and
``ValidateParameters`` (node side, may look at files) walk that table.

The CPU mask helpers (``ParseCpuMask``, ``ParseMultiCpuMask``) and the Linux
node facts (``GetLinuxNodeInfo``, from psutil) are shared by the
hypervisors.  This module must not import the backend or master-side
modules.

Conventions for implementers (fake, kvm, xen):

* ``instance`` arguments are ``objects.Instance`` objects whose hvparams,
  beparams and osparams are filled (cluster defaults and overrides merged);
  ``block_devices`` is a list of ``(objects.Disk, local device path)``.
* Every failure is an ``errors.HypervisorError`` whose message names the
  instance (or parameter) and, for a failed command, its output.
* Instance info tuples are ``(name, id, memory_mib, vcpus, state,
  cpu_time_seconds)``.
* Nothing may capture ``pathutils`` values at import or construction time:
  tests and virtual nodes switch roots with ``pathutils.Reload()``.
"""

import abc
import logging
import os
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import psutil

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import utils
from ganeti import vcluster


# --- Migration status values (re-exported for the hypervisor modules) -----
HV_MIGRATION_NO_STATUS = constants.HV_MIGRATION_NO_STATUS
HV_MIGRATION_ACTIVE = constants.HV_MIGRATION_ACTIVE
HV_MIGRATION_COMPLETED = constants.HV_MIGRATION_COMPLETED
HV_MIGRATION_FAILED = constants.HV_MIGRATION_FAILED
HV_MIGRATION_CANCELLED = constants.HV_MIGRATION_CANCELLED
HV_MIGRATION_VALID_STATUSES = constants.HV_MIGRATION_VALID_STATUSES
HV_MIGRATION_FAILED_STATUSES = constants.HV_MIGRATION_FAILED_STATUSES

SSH_CONSOLE_USER = constants.SSH_CONSOLE_USER

#: Highest CPU number accepted in a CPU mask (a sanity bound)
_MAX_CPU_ID = 4095


# --- CPU masks --------------------------------------------------------------

_CPU_RANGE_RE = re.compile(r"^\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?$")


def ParseCpuMask(cpu_mask: str) -> List[int]:
  """Turns a CPU list such as ``"0-2,5"`` into ``[0, 1, 2, 5]``.

  ``"all"`` gives ``constants.CPU_PINNING_OFF`` (no pinning); the empty
  string gives an empty list.

  @raise errors.ParseError: malformed element or reversed range

  """
  if not isinstance(cpu_mask, str):
    raise errors.ParseError("CPU mask must be a string, got %r" %
                            (cpu_mask, ))
  if cpu_mask.strip() == constants.CPU_PINNING_ALL:
    return list(constants.CPU_PINNING_OFF)
  if not cpu_mask.strip():
    return []
  cpus: List[int] = []
  for element in cpu_mask.split(","):
    match = _CPU_RANGE_RE.match(element)
    if not match:
      raise errors.ParseError("Invalid CPU list element '%s' in mask '%s'" %
                              (element, cpu_mask))
    lower = int(match.group(1))
    higher = int(match.group(2)) if match.group(2) is not None else lower
    if lower > higher:
      raise errors.ParseError("Invalid CPU range %d-%d in mask '%s': lower"
                              " bound above higher bound" %
                              (lower, higher, cpu_mask))
    if higher > _MAX_CPU_ID:
      raise errors.ParseError("CPU %d in mask '%s' is above the highest"
                              " supported CPU number %d" %
                              (higher, cpu_mask, _MAX_CPU_ID))
    cpus.extend(range(lower, higher + 1))
  return cpus


def ParseMultiCpuMask(cpu_mask: str) -> List[List[int]]:
  """Parses ``:``-separated per-VCPU masks (``"0-1:all:3"``).

  Each element is parsed by L{ParseCpuMask}; a single mask gives a list
  with one element.

  @raise errors.ParseError: an element is malformed or empty

  """
  if not isinstance(cpu_mask, str):
    raise errors.ParseError("CPU mask must be a string, got %r" %
                            (cpu_mask, ))
  result = []
  for part in cpu_mask.split(constants.CPU_PINNING_SEP):
    parsed = ParseCpuMask(part)
    if not parsed:
      raise errors.ParseError("Empty per-VCPU element in CPU mask '%s'" %
                              cpu_mask)
    result.append(parsed)
  return result


def _IsCpuMaskWellFormed(cpu_mask) -> bool:
  try:
    ParseCpuMask(cpu_mask)
  except errors.ParseError:
    return False
  return True


def _IsMultiCpuMaskWellFormed(cpu_mask) -> bool:
  try:
    ParseMultiCpuMask(cpu_mask)
  except errors.ParseError:
    return False
  return True


# --- Parameter check tuples -------------------------------------------------
#
# A check tuple is (required, syntax_fn, syntax_error, node_fn, node_error):
#
# * required: the filled value must be non-empty (not "", None, 0, False);
#   an empty value of an optional parameter is never checked further;
# * syntax_fn(value) -> bool: master-side check, must not touch the node
#   (None: no check); syntax_error explains a failure;
# * node_fn(value) -> bool: node-side check (files, directories) run by
#   ValidateParameters (None: no check); node_error explains a failure.
#
# Three-element tuples (required, syntax_fn, syntax_error) are accepted too.

CheckTuple = Tuple[Any, ...]


def _IsNormAbsPath(value) -> bool:
  return isinstance(value, str) and utils.IsNormAbsPath(value)


def _IsValidPort(value) -> bool:
  return (isinstance(value, int) and not isinstance(value, bool) and
          constants.MIGRATION_PORT_MIN <= value <= constants.MIGRATION_PORT_MAX)


_FILE_CHECK = (_IsNormAbsPath, "must be an absolute normalized path",
               os.path.isfile, "must be an existing regular file")
_DIR_CHECK = (_IsNormAbsPath, "must be an absolute normalized path",
              os.path.isdir, "must be an existing directory")
_CPU_MASK_CHECK = (_IsCpuMaskWellFormed,
                   "CPU mask definition is not well-formed (expected 'all'"
                   " or a list of CPUs and ranges such as '0-2,4')",
                   None, None)
_MULTI_CPU_MASK_CHECK = (_IsMultiCpuMaskWellFormed,
                         "multi-CPU mask definition is not well-formed"
                         " (expected masks such as '0-2,4' separated by"
                         " '%s')" % constants.CPU_PINNING_SEP,
                         None, None)
_NET_PORT_CHECK = (_IsValidPort,
                   "must be a port number between %d and %d" %
                   (constants.MIGRATION_PORT_MIN, constants.MIGRATION_PORT_MAX),
                   None, None)

REQ_FILE_CHECK: CheckTuple = (True, ) + _FILE_CHECK
OPT_FILE_CHECK: CheckTuple = (False, ) + _FILE_CHECK
REQ_DIR_CHECK: CheckTuple = (True, ) + _DIR_CHECK
OPT_DIR_CHECK: CheckTuple = (False, ) + _DIR_CHECK
NET_PORT_CHECK: CheckTuple = (True, ) + _NET_PORT_CHECK
REQ_CPU_MASK_CHECK: CheckTuple = (True, ) + _CPU_MASK_CHECK
OPT_CPU_MASK_CHECK: CheckTuple = (False, ) + _CPU_MASK_CHECK
REQ_MULTI_CPU_MASK_CHECK: CheckTuple = (True, ) + _MULTI_CPU_MASK_CHECK
OPT_MULTI_CPU_MASK_CHECK: CheckTuple = (False, ) + _MULTI_CPU_MASK_CHECK
#: no check at all
NO_CHECK: CheckTuple = (False, None, None, None, None)
#: a value is needed, any value
REQUIRED_CHECK: CheckTuple = (True, None, None, None, None)
MIGRATION_MODE_CHECK: CheckTuple = \
  (True, lambda value: value in constants.HT_MIGRATION_MODES,
   "must be one of: %s" % ", ".join(sorted(constants.HT_MIGRATION_MODES)),
   None, None)
#: alias kept for the Ganeti name of the CPU mask check
CPU_MASK_CHECK = OPT_CPU_MASK_CHECK


def ParamInSet(required: bool, allowed) -> CheckTuple:
  """A check tuple accepting only the values of ``allowed``."""
  allowed = frozenset(allowed)
  return (required, lambda value: value in allowed,
          "must be one of: %s" % ", ".join(sorted(map(str, allowed))),
          None, None)


def _SplitCheck(check: CheckTuple):
  """(required, syntax_fn, syntax_error, node_fn, node_error) of a tuple."""
  if len(check) == 3:
    return tuple(check) + (None, None)
  if len(check) == 5:
    return tuple(check)
  raise errors.ProgrammerError("Invalid hypervisor parameter check %r:"
                               " expected 3 or 5 elements" % (check, ))


def _IsEmpty(value) -> bool:
  return value is None or value is False or value == "" or \
    (isinstance(value, int) and not isinstance(value, bool) and value == 0)


_VTYPE_CHECKS: Dict[str, Tuple[Callable[[Any], bool], str]] = {
  constants.VTYPE_STRING: (lambda v: isinstance(v, str), "a string"),
  constants.VTYPE_MAYBE_STRING: (lambda v: v is None or isinstance(v, str),
                                 "a string or None"),
  constants.VTYPE_BOOL: (lambda v: isinstance(v, bool), "a boolean"),
  constants.VTYPE_INT: (lambda v: isinstance(v, int) and
                        not isinstance(v, bool), "an integer"),
  }


# --- Node facts -------------------------------------------------------------

def _CountCpuSockets(cpuinfo_file: str) -> int:
  """Number of distinct "physical id" values in /proc/cpuinfo (at least 1)."""
  try:
    content = utils.ReadFile(cpuinfo_file)
  except EnvironmentError:
    return 1
  ids = set()
  for line in content.splitlines():
    (key, sep, value) = line.partition(":")
    if sep and key.strip() == "physical id":
      ids.add(value.strip())
  return max(len(ids), 1)


def _CountNumaNodes(node_dir: str) -> int:
  """Number of NUMA nodes listed by sysfs (at least 1)."""
  try:
    names = os.listdir(node_dir)
  except EnvironmentError:
    return 1
  count = len([name for name in names if re.match(r"^node[0-9]+$", name)])
  return max(count, 1)


def GetLinuxNodeInfo(_cpuinfo_file: str = "/proc/cpuinfo",
                     _node_dir: str = "/sys/devices/system/node",
                     _boot_id_file: str = "/proc/sys/kernel/random/boot_id"
                     ) -> Dict[str, Any]:
  """Memory and CPU facts of the (Linux) machine, for non-Xen hypervisors.

  @return: dict with memory_total, memory_free (what instances can get
      without swapping: MemAvailable), memory_dom0 (what the node itself
      uses), all in MiB; cpu_total, cpu_nodes, cpu_sockets, cpu_dom0; and
      bootid when readable

  """
  mem = psutil.virtual_memory()
  total = utils.BytesToMebibyte(mem.total)
  free = utils.BytesToMebibyte(mem.available)
  cpus = psutil.cpu_count(logical=True) or 1
  result = {
    "memory_total": total,
    "memory_free": free,
    "memory_dom0": total - free,
    "cpu_total": cpus,
    "cpu_dom0": cpus,
    "cpu_nodes": _CountNumaNodes(_node_dir),
    "cpu_sockets": _CountCpuSockets(_cpuinfo_file),
    }
  try:
    result["bootid"] = utils.ReadOneLineFile(_boot_id_file, strict=True)
  except (EnvironmentError, errors.GenericError):
    pass
  return result


def LinuxPowercycle(_sysrq_file: str = "/proc/sysrq-trigger",
                    _run_cmd=None) -> None:
  """Resets the machine at once (sysrq "b"; "reboot -n -f" as fallback).

  Refused in a virtual cluster, whose nodes share one machine.

  @raise errors.HypervisorError: refused, or both methods failed

  """
  if vcluster.IsVirtualCluster():
    raise errors.HypervisorError("Refusing to powercycle: this node is part"
                                 " of a virtual cluster and shares its"
                                 " machine with the other nodes")
  try:
    os.sync()
    with open(_sysrq_file, "w") as handle:
      handle.write("b")
  except EnvironmentError as err:
    logging.warning("Powercycle through %s failed (%s), trying reboot",
                    _sysrq_file, err)
  run_cmd = _run_cmd or utils.RunCmd
  result = run_cmd(["reboot", "-n", "-f"])
  if result.failed:
    raise errors.HypervisorError("Failed to powercycle the node: 'reboot -n"
                                 " -f' failed: %s, %s" %
                                 (result.fail_reason, result.output))


# --- The interface ----------------------------------------------------------

InstanceInfo = Tuple[str, int, int, int, str, float]


class BaseHypervisor(abc.ABC):
  """What every hypervisor provides.

  Class attributes:
    - PARAMETERS: dict parameter name -> check tuple (see above); the keys
      are exactly the hvparams the hypervisor accepts
    - ANCILLARY_FILES: files redist-conf distributes for this hypervisor
    - ANCILLARY_FILES_OPT: the subset of those that may be missing
      (both lists are computed by GetAncillaryFiles, which subclasses
      override when the paths depend on pathutils)
    - CAN_MIGRATE: whether MigrateInstance is supported

  """
  PARAMETERS: Dict[str, CheckTuple] = {}
  ANCILLARY_FILES: List[str] = []
  ANCILLARY_FILES_OPT: List[str] = []
  CAN_MIGRATE = False

  # --- parameters (master side: must not touch the node) ---

  @classmethod
  def CheckParameterSyntax(cls, hvparams: Dict[str, Any]) -> None:
    """Checks filled hypervisor parameters without touching the node.

    Refuses unknown keys, values of the wrong type, missing required values
    and values failing the syntax check of their check tuple.

    @raise errors.HypervisorError: naming the first bad parameter

    """
    if not isinstance(hvparams, dict):
      raise errors.HypervisorError("Hypervisor parameters must be a dict,"
                                   " got %s" % type(hvparams).__name__)
    for key in sorted(hvparams):
      if key not in cls.PARAMETERS:
        raise errors.HypervisorError("Parameter '%s' is not supported by"
                                     " hypervisor %s (supported: %s)" %
                                     (key, cls.__name__,
                                      ", ".join(sorted(cls.PARAMETERS))
                                      or "none"))
    for (name, check) in sorted(cls.PARAMETERS.items()):
      (required, syntax_fn, syntax_err, _, _) = _SplitCheck(check)
      value = hvparams.get(name)
      if name in hvparams:
        vtype = constants.HVS_PARAMETER_TYPES.get(name)
        if vtype in _VTYPE_CHECKS:
          (type_fn, type_text) = _VTYPE_CHECKS[vtype]
          if not type_fn(value):
            raise errors.HypervisorError("Parameter '%s' must be %s, got %r"
                                         % (name, type_text, value))
      if _IsEmpty(value):
        if required:
          raise errors.HypervisorError("Parameter '%s' is required but is"
                                       " currently not defined" % name)
        continue
      if syntax_fn is not None and not syntax_fn(value):
        raise errors.HypervisorError("Parameter '%s' fails syntax check: %s"
                                     " (current value: '%s')" %
                                     (name, syntax_err, value))

  def ValidateParameters(self, hvparams: Dict[str, Any]) -> None:
    """Node-side checks of filled parameters (files exist, ...).

    Runs the syntax checks first, then the node checks of the tuples.

    @raise errors.HypervisorError: naming the first bad parameter

    """
    self.CheckParameterSyntax(hvparams)
    for (name, check) in sorted(self.PARAMETERS.items()):
      (_, _, _, node_fn, node_err) = _SplitCheck(check)
      value = hvparams.get(name)
      if _IsEmpty(value) or node_fn is None:
        continue
      if not node_fn(value):
        raise errors.HypervisorError("Parameter '%s' fails validation: %s"
                                     " (current value: '%s')" %
                                     (name, node_err, value))

  # --- helpers for implementations ---

  @staticmethod
  def _InstanceStartupMemory(instance: objects.Instance,
                             free_memory: int) -> int:
    """Memory (MiB) to start ``instance`` with, given the node's free memory.

    As much as its maxmem allows, limited by what is free.

    @raise errors.HypervisorError: not even minmem fits

    """
    maxmem = instance.beparams[constants.BE_MAXMEM]
    minmem = instance.beparams.get(constants.BE_MINMEM, maxmem)
    memory = min(maxmem, free_memory)
    if memory < minmem:
      raise errors.HypervisorError("Not enough memory to start instance %s:"
                                   " %s MiB free, but %s MiB needed" %
                                   (instance.name, free_memory, minmem))
    return memory

  # --- instance life cycle (node side) ---

  @abc.abstractmethod
  def StartInstance(self, instance: objects.Instance,
                    block_devices: Sequence[Tuple[objects.Disk, str]],
                    startup_paused: bool) -> None:
    """Starts an instance; refuses one that already runs.

    @param block_devices: (disk, local device path) per disk, in order
    @param startup_paused: start with the CPUs stopped

    """

  @abc.abstractmethod
  def StopInstance(self, instance: objects.Instance, force: bool = False,
                   retry: bool = False, name: Optional[str] = None,
                   timeout: Optional[float] = None) -> None:
    """Stops an instance.

    Without force: asks the guest to shut down (ACPI power button, Xen
    shutdown).  With a timeout, waits that long for it to go away and then
    stops it by force; without one, returns once the request is sent.
    With force: kills or destroys it at once.  ``retry`` says this is a
    repeated soft request for the same shutdown.  ``name`` overrides the
    instance's name (cleaning up after a rename).

    @raise errors.HypervisorError: the request failed

    """

  def CleanupInstance(self, instance_name: str) -> None:
    """Removes what a stopped instance leaves behind (runtime files).

    Called by the backend after StopInstance; must not fail when there is
    nothing to clean.

    """

  @abc.abstractmethod
  def RebootInstance(self, instance: objects.Instance) -> None:
    """Soft-reboots a running instance.

    @raise errors.HypervisorError: not running, or the reboot failed

    """

  @abc.abstractmethod
  def ListInstances(self) -> List[str]:
    """Names of the instances this hypervisor runs on this node."""

  @abc.abstractmethod
  def GetInstanceInfo(self, instance_name: str) -> Optional[InstanceInfo]:
    """(name, id, memory MiB, vcpus, state, cpu time s) or None."""

  @abc.abstractmethod
  def GetAllInstancesInfo(self) -> List[InstanceInfo]:
    """Info tuples of all instances (see GetInstanceInfo)."""

  @abc.abstractmethod
  def GetNodeInfo(self) -> Dict[str, Any]:
    """Node facts: memory_total, memory_free, memory_dom0, cpu_total,
    cpu_nodes, cpu_sockets (and memory_hv where known), MiB and counts."""

  @classmethod
  def GetInstanceConsole(cls, instance: objects.Instance,
                         hvparams: Dict[str, Any],
                         beparams: Dict[str, Any]
                         ) -> objects.InstanceConsole:
    """How to reach the instance's console (master side, pure).

    The default says the hypervisor offers none.

    """
    return objects.InstanceConsole(instance=instance.name,
                                   kind=constants.CONS_MESSAGE,
                                   message=("Console not available for"
                                            " hypervisor %s" %
                                            instance.hypervisor))

  @abc.abstractmethod
  def Verify(self) -> Optional[str]:
    """None when the hypervisor works on this node, a message otherwise."""

  # --- migration ---

  def MigrationInfo(self, instance: objects.Instance) -> str:
    """Data the target needs to accept the instance (source side)."""
    return ""

  def AcceptInstance(self, instance: objects.Instance, info: str,
                     target: str) -> None:
    """Prepares the target node to receive the instance (target side).

    @param info: what MigrationInfo returned on the source
    @param target: the target node's address

    """

  def FinalizeMigrationDst(self, instance: objects.Instance, info: str,
                           success: bool) -> None:
    """Completes (success) or undoes (failure) AcceptInstance."""

  def MigrateInstance(self, instance: objects.Instance, target: str,
                      live: bool) -> None:
    """Sends the running instance to ``target`` (source side).

    @raise errors.HypervisorError: migration unsupported or failed

    """
    raise errors.HypervisorError("Migration of instance %s is not supported"
                                 " by hypervisor %s" %
                                 (instance.name, instance.hypervisor))

  def FinalizeMigrationSource(self, instance: objects.Instance,
                              success: bool, live: bool) -> None:
    """Cleans up on the source once the migration ended."""

  def GetMigrationStatus(self, instance: objects.Instance
                         ) -> objects.MigrationStatus:
    """Progress of a running migration; synchronous migrations are done."""
    return objects.MigrationStatus(status=HV_MIGRATION_COMPLETED)

  # --- other operations ---

  def BalloonInstanceMemory(self, instance: objects.Instance,
                            mem: int) -> None:
    """Sets the memory of a running instance to ``mem`` MiB.

    @raise errors.HypervisorError: unsupported, not running, or failed

    """
    raise errors.HypervisorError("Memory ballooning of instance %s is not"
                                 " supported by hypervisor %s" %
                                 (instance.name, instance.hypervisor))

  @classmethod
  def GetAncillaryFiles(cls) -> Tuple[List[str], List[str]]:
    """(files, optional files) redist-conf distributes for this hypervisor.

    Every optional file is also in the first list; all paths are absolute.

    """
    files = list(cls.ANCILLARY_FILES)
    optional = list(cls.ANCILLARY_FILES_OPT)
    for path in files:
      if not os.path.isabs(path):
        raise errors.ProgrammerError("Ancillary file %r of %s is not an"
                                     " absolute path" % (path, cls.__name__))
    for path in optional:
      if path not in files:
        raise errors.ProgrammerError("Optional ancillary file %r of %s is"
                                     " not in its list of files" %
                                     (path, cls.__name__))
    return (files, optional)

  @classmethod
  def PowercycleNode(cls) -> None:
    """Hard-resets the node (refused in a virtual cluster)."""
    LinuxPowercycle()
