"""Guest OS definitions on a node: finding, checking and running them.

Layer 3 (node side).  An OS definition is a directory on the OS search
path holding ``ganeti_api_version``, the scripts create/import/export/
rename (and verify from API 20), optionally ``variants.list`` and, from API
20, ``parameters.list`` (see the OS interface spec).  ``ReadOSFromDisk``
loads one into an ``objects.OS``; ``DiagnoseOS`` reports every candidate
directory of the search path, valid or not, for ``gnt-os diagnose`` and
cluster verify.

It also runs the scripts for instances: ``OSCoreEnv`` and
``OSEnvironment`` build the (reset) environment of the spec's section 4,
``InstanceOsAdd`` runs create, ``RunRenameInstance`` rename,
``ValidateOS`` verify, and ``RunImportExportScript`` import or export for
one disk.  The output of every run goes to a file of its own under
``pathutils.LOG_OS_DIR``; on failure the last lines of it are returned.
Disk paths come from the storage layer (``storage.bdev.FindDevice``): the
disks must be assembled on this node already, with their physical_id set
for it by the master.  Nothing here imports master-side modules.
"""

import errno
import logging
import os
import stat
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.backend_base import RPCFail, ToConfigObject
from ganeti.storage import bdev


#: Scripts every OS must provide, whatever its API version
_BASE_SCRIPTS = (constants.OS_SCRIPT_CREATE, constants.OS_SCRIPT_IMPORT,
                 constants.OS_SCRIPT_EXPORT, constants.OS_SCRIPT_RENAME)

#: One DiagnoseOS entry: name, path, valid, diagnose message, variants,
#: parameters ([name, description] pairs), API versions
DiagnoseEntry = Tuple[str, str, bool, str, List[str], List[List[str]],
                      List[int]]


def _ReadApiVersions(os_dir: str) -> Union[List[int], str]:
  """Reads ``ganeti_api_version``; returns the versions or an error text."""
  api_file = utils.PathJoin(os_dir, constants.OS_API_FILE)
  try:
    st = os.stat(api_file)
  except EnvironmentError as err:
    if err.errno == errno.ENOENT:
      return ("Required file '%s' not found under path %s" %
              (constants.OS_API_FILE, os_dir))
    return ("Cannot stat '%s' under path %s: %s" %
            (constants.OS_API_FILE, os_dir, err.strerror or err))
  if not stat.S_ISREG(st.st_mode):
    return ("File '%s' under path %s is not a regular file" %
            (constants.OS_API_FILE, os_dir))
  try:
    lines = utils.ReadFile(api_file).splitlines()
  except EnvironmentError as err:
    return ("Error while reading the API version file at %s: %s" %
            (api_file, err.strerror or err))
  except errors.GenericError as err:
    return "API version file %s is not text: %s" % (api_file, err)
  versions = []
  for line in lines:
    line = line.strip()
    if not line:
      continue
    try:
      versions.append(int(line))
    except ValueError:
      return ("API version(s) can't be converted to integer in %s: %r" %
              (api_file, line))
  if not versions:
    return "API version file %s lists no version" % api_file
  return versions


def _ReadListFile(path: str, what: str) -> Union[List[str], str]:
  """Reads a one-entry-per-line file; missing means empty."""
  try:
    text = utils.ReadFile(path)
  except EnvironmentError as err:
    if err.errno == errno.ENOENT:
      return []
    return ("Error while reading the OS %s file at %s: %s" %
            (what, path, err.strerror or err))
  except errors.GenericError as err:
    return "OS %s file %s is not text: %s" % (what, path, err)
  return [line.strip() for line in text.splitlines() if line.strip()]


def _CheckFile(os_dir: str, name: str, script: bool,
               required: bool) -> Optional[str]:
  """Checks one file of an OS directory; returns an error text or None."""
  path = utils.PathJoin(os_dir, name)
  try:
    st = os.stat(path)
  except EnvironmentError as err:
    if err.errno == errno.ENOENT:
      if required:
        return "File '%s' under path '%s' is missing" % (name, os_dir)
      return None
    return ("File '%s' under path '%s' cannot be examined: %s" %
            (name, os_dir, err.strerror or err))
  if not stat.S_ISREG(st.st_mode):
    return "File '%s' under path '%s' is not a regular file" % (name, os_dir)
  if script and not st.st_mode & stat.S_IXUSR:
    return "File '%s' under path '%s' is not executable" % (name, os_dir)
  return None


def _LoadOS(name: str, os_dir: str) -> Union[objects.OS, str]:
  """Validates the OS directory ``os_dir``; returns the OS or an error."""
  versions = _ReadApiVersions(os_dir)
  if isinstance(versions, str):
    return versions
  supported = sorted(set(versions) & constants.OS_API_VERSIONS)
  if not supported:
    return ("API version mismatch for path '%s': found %s, want %s" %
            (os_dir, ", ".join(str(v) for v in versions),
             ", ".join(str(v) for v in sorted(constants.OS_API_VERSIONS))))
  # which files are required depends on the highest version declared, even
  # an unsupported one (an OS claiming 25 must ship what 20 needs)
  max_version = max(versions)

  scripts = list(_BASE_SCRIPTS)
  if max_version >= constants.OS_API_V20:
    scripts.append(constants.OS_SCRIPT_VERIFY)
  for script in scripts:
    error = _CheckFile(os_dir, script, True, True)
    if error:
      return error

  variants: List[str] = []
  if max_version >= constants.OS_API_V15:
    error = _CheckFile(os_dir, constants.OS_VARIANTS_FILE, False, False)
    if error:
      return error
    found = _ReadListFile(utils.PathJoin(os_dir, constants.OS_VARIANTS_FILE),
                          "variants")
    if isinstance(found, str):
      return found
    variants = found

  parameters: List[List[str]] = []
  if max_version >= constants.OS_API_V20:
    error = _CheckFile(os_dir, constants.OS_PARAMETERS_FILE, False, True)
    if error:
      return error
    found = _ReadListFile(utils.PathJoin(os_dir,
                                         constants.OS_PARAMETERS_FILE),
                          "parameters")
    if isinstance(found, str):
      return found
    for line in found:
      parts = line.split(None, 1)
      parameters.append([parts[0], parts[1] if len(parts) > 1 else ""])

  def _Script(script):
    if script in scripts:
      return utils.PathJoin(os_dir, script)
    return None

  return objects.OS(name=name, path=os_dir, api_versions=supported,
                    create_script=_Script(constants.OS_SCRIPT_CREATE),
                    import_script=_Script(constants.OS_SCRIPT_IMPORT),
                    export_script=_Script(constants.OS_SCRIPT_EXPORT),
                    rename_script=_Script(constants.OS_SCRIPT_RENAME),
                    verify_script=_Script(constants.OS_SCRIPT_VERIFY),
                    supported_variants=variants,
                    supported_parameters=parameters)


def _FindOSDir(name: str, search_path: Sequence[str]) -> Optional[str]:
  return utils.FindFile(name, search_path, os.path.isdir)


def TryReadOSFromDisk(name: str, base_dir: Optional[str] = None
                      ) -> Union[objects.OS, str]:
  """Finds and validates OS ``name`` (without variant).

  @param base_dir: look only in this directory instead of the search path
  @return: the OS object, or a text saying why it is not usable

  """
  if base_dir is None:
    search_path = pathutils.OS_SEARCH_PATH
  else:
    search_path = [base_dir]
  os_dir = _FindOSDir(name, search_path)
  if os_dir is None:
    return ("Directory for OS %s not found in search path %s" %
            (name, ", ".join(search_path)))
  return _LoadOS(name, os_dir)


def ReadOSFromDisk(name: str, base_dir: Optional[str] = None) -> objects.OS:
  """Like TryReadOSFromDisk, but fails with RPCFail when not usable.

  @param name: OS name, possibly with a "+variant" (ignored here)

  """
  result = TryReadOSFromDisk(objects.OS.GetName(name), base_dir=base_dir)
  if isinstance(result, str):
    raise RPCFail(result)
  return result


def DiagnoseOS(top_dirs: Optional[Sequence[str]] = None
               ) -> List[DiagnoseEntry]:
  """Reports every OS candidate found on the search path.

  Every visible entry of every search directory is a candidate; the first
  directory holding a name wins, as in a lookup, and later ones are still
  reported (so that shadowed definitions show up).

  @param top_dirs: directories to scan (default: the OS search path)
  @return: list of (name, path, valid, diagnose, variants, parameters,
      api_versions); diagnose is "" for valid OSes, and the lists are empty
      for invalid ones

  """
  if top_dirs is None:
    top_dirs = pathutils.OS_SEARCH_PATH
  result: List[DiagnoseEntry] = []
  for dir_name in top_dirs:
    if not os.path.isdir(dir_name):
      continue
    try:
      names = utils.ListVisibleFiles(os.path.normpath(dir_name))
    except EnvironmentError as err:
      raise RPCFail("Cannot list OS directory %s: %s" %
                    (dir_name, err.strerror or err))
    for name in sorted(names):
      os_path = utils.PathJoin(os.path.normpath(dir_name), name)
      found = TryReadOSFromDisk(name, base_dir=os.path.normpath(dir_name))
      if isinstance(found, str):
        result.append((name, os_path, False, found, [], [], []))
      else:
        result.append((name, os_path, True, "",
                       list(found.supported_variants),
                       [list(p) for p in found.supported_parameters],
                       list(found.api_versions)))
  return result



# --- Running the scripts of an OS for an instance ---------------------------

#: How long each script may run before it is stopped (seconds); the same
#: budgets as the node calls that run them (spec os-api.md, section 5)
CREATE_TIMEOUT = constants.RPC_TMO_1DAY
RENAME_TIMEOUT = constants.RPC_TMO_SLOW
VERIFY_TIMEOUT = constants.RPC_TMO_FAST
IMPORT_EXPORT_TIMEOUT = constants.RPC_TMO_1DAY

#: Lines of a failed script's log returned to the user
LOG_TAIL_LINES = 20

#: Mode of the directory keeping the scripts' logs
_LOG_OS_DIR_MODE = 0o750


def _ToInstance(instance: Union[objects.Instance, Dict[str, Any]]
                ) -> objects.Instance:
  """The instance as an object (node calls deliver it as a dict)."""
  return ToConfigObject(objects.Instance, instance, "instance")


def _ApiVersion(inst_os: objects.OS) -> int:
  """The API version spoken with an OS: the highest both sides know."""
  common = constants.OS_API_VERSIONS.intersection(inst_os.api_versions or [])
  if not common:
    raise RPCFail("OS %s at %s declares no supported API version (%s)" %
                  (inst_os.name, inst_os.path,
                   utils.CommaJoin(inst_os.api_versions or [])))
  return max(common)


def OSCoreEnv(os_name: str, inst_os: objects.OS,
              os_params: Optional[Dict[str, Any]],
              debug: int = 0) -> Dict[str, str]:
  """The environment every OS script gets, verify included.

  @param os_name: the OS as the instance names it (``name+variant`` or
      ``name``); the variant is taken from it
  @param inst_os: the OS definition found on this node
  @param os_params: the filled OS parameters (exported as ``OSP_<NAME>``)
  @param debug: debug level of the operation

  """
  api_version = _ApiVersion(inst_os)
  variant = ""
  if api_version >= constants.OS_API_V15 and inst_os.supported_variants:
    variant = objects.OS.GetVariant(os_name) or inst_os.supported_variants[0]
  env = {
    "OS_API_VERSION": "%d" % api_version,
    "OS_NAME": inst_os.name,
    "OS_VARIANT": variant,
    "DEBUG_LEVEL": "%d" % debug,
    "PATH": constants.OS_SCRIPTS_PATH,
    }
  for (name, value) in (os_params or {}).items():
    env["OSP_%s" % name.upper()] = "%s" % (value, )
  return env


def _FindRealDevice(disk: objects.Disk):
  """The attached device of ``disk`` on this node (children first).

  @raise RPCFail: the device is not set up here

  """
  children = [_FindRealDevice(child) for child in disk.children or []]
  try:
    device = bdev.FindDevice(disk, children)
  except errors.BlockDeviceError as err:
    raise RPCFail("Cannot find block device %s: %s" % (disk, err))
  if device is None:
    raise RPCFail("Block device '%s' is not set up" % (disk, ))
  return device


def _OpenRealDevice(disk: objects.Disk) -> str:
  """Finds ``disk`` here, opens it (primary role) and returns its path."""
  device = _FindRealDevice(disk)
  try:
    device.Open()
  except errors.BlockDeviceError as err:
    raise RPCFail("Cannot open block device %s: %s" % (disk, err))
  return device.dev_path


def _DiskBackendType(disk: objects.Disk) -> Optional[str]:
  if disk.dev_type in constants.LDS_BLOCK:
    return "block"
  if disk.dev_type == constants.LD_FILE:
    return "file:%s" % disk.physical_id[0]
  return None


def OSEnvironment(instance: Union[objects.Instance, Dict[str, Any]],
                  inst_os: objects.OS, debug: int = 0) -> Dict[str, str]:
  """The environment of create, rename, import and export for an instance.

  ``instance`` must have its parameters filled (hvparams, beparams,
  osparams, nicparams) and its disks' physical_id set for this node; its
  disks must be assembled here.

  """
  instance = _ToInstance(instance)
  env = OSCoreEnv(instance.os, inst_os, instance.osparams, debug=debug)
  for attr in ("name", "os", "uuid", "ctime", "mtime", "primary_node"):
    env["INSTANCE_%s" % attr.upper()] = "%s" % (getattr(instance, attr), )
  env["INSTANCE_SECONDARY_NODES"] = " ".join(instance.secondary_nodes)
  env["HYPERVISOR"] = "%s" % (instance.hypervisor, )
  hvparams = instance.hvparams or {}

  disks = instance.disks or []
  env["DISK_COUNT"] = "%d" % len(disks)
  for (idx, disk) in enumerate(disks):
    env["DISK_%d_PATH" % idx] = _OpenRealDevice(disk)
    env["DISK_%d_ACCESS" % idx] = "%s" % (disk.mode or constants.DISK_RDWR, )
    if constants.HV_DISK_TYPE in hvparams:
      env["DISK_%d_FRONTEND_TYPE" % idx] = \
        "%s" % (hvparams[constants.HV_DISK_TYPE], )
    backend_type = _DiskBackendType(disk)
    if backend_type is not None:
      env["DISK_%d_BACKEND_TYPE" % idx] = backend_type

  nics = instance.nics or []
  env["NIC_COUNT"] = "%d" % len(nics)
  for (idx, nic) in enumerate(nics):
    # the master sends filled NIC parameters; cluster defaults are the
    # last resort of older callers
    params = objects.FillDict(constants.NICC_DEFAULTS, nic.nicparams or {})
    mode = params[constants.NIC_MODE]
    link = params[constants.NIC_LINK]
    env["NIC_%d_MAC" % idx] = "%s" % (nic.mac, )
    if nic.ip:
      env["NIC_%d_IP" % idx] = "%s" % (nic.ip, )
    env["NIC_%d_MODE" % idx] = "%s" % (mode, )
    if mode == constants.NIC_MODE_BRIDGED:
      env["NIC_%d_BRIDGE" % idx] = "%s" % (link, )
    if link:
      env["NIC_%d_LINK" % idx] = "%s" % (link, )
    if constants.HV_NIC_TYPE in hvparams:
      env["NIC_%d_FRONTEND_TYPE" % idx] = \
        "%s" % (hvparams[constants.HV_NIC_TYPE], )

  for (source, kind) in ((instance.beparams, "BE"), (hvparams, "HV")):
    for (key, value) in (source or {}).items():
      env["INSTANCE_%s_%s" % (kind, key)] = "%s" % (value, )
  return env


def InstanceLogName(kind: str, os_name: str, instance_name: str,
                    component: Optional[str] = None) -> str:
  """The log file of one script run: ``<kind>-<os>-<instance>[-<c>]-<ts>``.

  @raise errors.ProgrammerError: a part would leave the log directory

  """
  parts = [kind, os_name, instance_name]
  if component:
    parts.append(component)
  for part in parts:
    if "/" in part or not part:
      raise errors.ProgrammerError("Invalid OS log file name part %r" %
                                   (part, ))
  parts.append(utils.TimestampForFilename())
  return utils.PathJoin(pathutils.LOG_OS_DIR, "%s.log" % "-".join(parts))


def _EnsureLogDir() -> None:
  try:
    utils.EnsureDirs([(pathutils.LOG_OS_DIR, _LOG_OS_DIR_MODE)])
  except errors.GenericError as err:
    raise RPCFail("Cannot create the OS log directory: %s" % err)


def _LogTail(logfile: str) -> str:
  try:
    return "\n".join(utils.TailFile(logfile, lines=LOG_TAIL_LINES))
  except EnvironmentError as err:
    return "(cannot read log file %s: %s)" % (logfile, err)


def _RunLogged(what: str, cmd: List[str], env: Dict[str, str], cwd: str,
               logfile: str, timeout: float) -> None:
  """Runs an OS script with its output in ``logfile``.

  @raise RPCFail: the script failed; the message ends with the log's tail

  """
  _EnsureLogDir()
  try:
    result = utils.RunCmd(cmd, env=env, cwd=cwd, output=logfile,
                          reset_env=True, timeout=timeout)
  except errors.OpExecError as err:
    raise RPCFail("%s cannot be run: %s" % (what, err))
  if result.failed:
    logging.error("%s failed (%s); output in %s", what, result.fail_reason,
                  logfile)
    raise RPCFail("%s failed (%s), last lines in the log file:\n%s" %
                  (what, result.fail_reason, _LogTail(logfile)))


def InstanceOsAdd(instance: Union[objects.Instance, Dict[str, Any]],
                  reinstall: bool, debug: int) -> None:
  """Installs the instance's OS on its (assembled) disks: runs create.

  @param reinstall: tell the script the instance existed already
      (``INSTANCE_REINSTALL=1``)
  @raise RPCFail: the OS is not usable here or its create script failed

  """
  instance = _ToInstance(instance)
  inst_os = ReadOSFromDisk(instance.os)
  env = OSEnvironment(instance, inst_os, debug)
  if reinstall:
    env["INSTANCE_REINSTALL"] = "1"
  logfile = InstanceLogName("add", instance.os, instance.name)
  _RunLogged("OS create script", [inst_os.create_script], env, inst_os.path,
             logfile, CREATE_TIMEOUT)


def RunRenameInstance(instance: Union[objects.Instance, Dict[str, Any]],
                      old_name: str, debug: int) -> None:
  """Runs the rename script after the instance got its new name.

  ``instance`` carries the new name; the old one is ``OLD_INSTANCE_NAME``.

  @raise RPCFail: the OS is not usable here or the script failed

  """
  instance = _ToInstance(instance)
  inst_os = ReadOSFromDisk(instance.os)
  env = OSEnvironment(instance, inst_os, debug)
  env["OLD_INSTANCE_NAME"] = old_name
  logfile = InstanceLogName("rename", instance.os,
                            "%s-%s" % (old_name, instance.name))
  _RunLogged("OS rename script", [inst_os.rename_script], env, inst_os.path,
             logfile, RENAME_TIMEOUT)


def _CheckOSParameters(inst_os: objects.OS, names: Sequence[str]) -> None:
  """Refuses OS parameters the definition does not list."""
  known = set(pair[0] for pair in inst_os.supported_parameters or [])
  unknown = sorted(set(names) - known)
  if unknown:
    raise RPCFail("The following parameters are not supported by the OS"
                  " %s: %s" % (inst_os.name, utils.CommaJoin(unknown)))


def ValidateOS(required: bool, osname: str, checks: Sequence[str],
               osparams: Optional[Dict[str, Any]]) -> bool:
  """Runs the OS's verify script with the given checks and parameters.

  @param required: whether a missing or invalid OS is an error (otherwise
      the answer is False)
  @param osname: ``name`` or ``name+variant``
  @param checks: constants.OS_VALIDATE_* names passed to the script
  @return: True when validated (or nothing to validate: API below 20),
      False when the OS is not usable here and not required
  @raise RPCFail: unknown checks or parameters, the script failed, or a
      required OS is not usable

  """
  checks = list(checks or [])
  unknown = sorted(set(checks) - constants.OS_VALIDATE_CALLS)
  if unknown:
    raise RPCFail("Unknown OS validation checks: %s" %
                  utils.CommaJoin(unknown))
  inst_os = TryReadOSFromDisk(objects.OS.GetName(osname))
  if isinstance(inst_os, str):
    if required:
      raise RPCFail(inst_os)
    return False
  if max(inst_os.api_versions) < constants.OS_API_V20:
    return True
  osparams = osparams or {}
  if constants.OS_VALIDATE_PARAMETERS in checks:
    _CheckOSParameters(inst_os, list(osparams))
  env = OSCoreEnv(osname, inst_os, osparams)
  try:
    result = utils.RunCmd([inst_os.verify_script] + checks, env=env,
                          cwd=inst_os.path, reset_env=True,
                          timeout=VERIFY_TIMEOUT)
  except errors.OpExecError as err:
    raise RPCFail("OS validation script cannot be run: %s" % err)
  if result.failed:
    logging.error("OS validation script of %s failed (%s): %s", osname,
                  result.fail_reason, result.output)
    raise RPCFail("OS validation script failed (%s), output: %s" %
                  (result.fail_reason, result.output))
  return True


def OSImportExportEnv(instance: Union[objects.Instance, Dict[str, Any]],
                      inst_os: objects.OS, mode: str,
                      disk_index: int) -> Dict[str, str]:
  """The environment of import or export for one disk of an instance.

  Debug level is 0, as for Ganeti's import/export runs.

  @param mode: constants.IEM_IMPORT or constants.IEM_EXPORT

  """
  instance = _ToInstance(instance)
  disks = instance.disks or []
  if not 0 <= disk_index < len(disks):
    raise RPCFail("Instance %s has no disk %s" % (instance.name, disk_index))
  env = OSEnvironment(instance, inst_os)
  device = env["DISK_%d_PATH" % disk_index]
  if mode == constants.IEM_IMPORT:
    env["IMPORT_DEVICE"] = device
    env["IMPORT_INDEX"] = "%d" % disk_index
  elif mode == constants.IEM_EXPORT:
    env["EXPORT_DEVICE"] = device
    env["EXPORT_INDEX"] = "%d" % disk_index
  else:
    raise RPCFail("Unknown import/export mode '%s'" % (mode, ))
  return env


def OSImportExportCommand(inst_os: objects.OS, mode: str) -> str:
  """The shell fragment running the import or export script in its dir."""
  if mode == constants.IEM_IMPORT:
    script = inst_os.import_script
  elif mode == constants.IEM_EXPORT:
    script = inst_os.export_script
  else:
    raise RPCFail("Unknown import/export mode '%s'" % (mode, ))
  return "( cd %s && %s; )" % (utils.ShellQuote(inst_os.path),
                               utils.ShellQuote(script))


def RunImportExportScript(instance: Union[objects.Instance, Dict[str, Any]],
                          mode: str, disk_index: int,
                          stream_file: str) -> None:
  """Runs import (data read from ``stream_file``) or export (data written
  to it) for one disk; the script's diagnostics go to the OS log dir.

  @raise RPCFail: the OS is not usable or the script failed

  """
  instance = _ToInstance(instance)
  inst_os = ReadOSFromDisk(instance.os)
  env = OSImportExportEnv(instance, inst_os, mode, disk_index)
  logfile = InstanceLogName(mode, instance.os, instance.name,
                            component="disk%d" % disk_index)
  script = OSImportExportCommand(inst_os, mode)
  if mode == constants.IEM_IMPORT:
    cmd = "%s < %s >> %s 2>&1" % (script, utils.ShellQuote(stream_file),
                                  utils.ShellQuote(logfile))
  else:
    cmd = "%s > %s 2>> %s" % (script, utils.ShellQuote(stream_file),
                              utils.ShellQuote(logfile))
  _EnsureLogDir()
  try:
    result = utils.RunCmd(cmd, env=env, cwd=inst_os.path, reset_env=True,
                          timeout=IMPORT_EXPORT_TIMEOUT)
  except errors.OpExecError as err:
    raise RPCFail("OS %s script cannot be run: %s" % (mode, err))
  if result.failed:
    logging.error("OS %s script failed (%s); output in %s", mode,
                  result.fail_reason, logfile)
    raise RPCFail("OS %s script failed (%s), last lines in the log file:\n%s"
                  % (mode, result.fail_reason, _LogTail(logfile)))
