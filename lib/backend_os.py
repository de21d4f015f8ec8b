"""Guest OS definitions on a node: finding, validating and diagnosing them.

Layer 3 (node side).  An OS definition is a directory on the OS search
path holding ``ganeti_api_version``, the scripts create/import/export/
rename (and verify from API 20), optionally ``variants.list`` and, from API
20, ``parameters.list`` (see the OS interface spec).  ``ReadOSFromDisk``
loads one into an ``objects.OS``; ``DiagnoseOS`` reports every candidate
directory of the search path, valid or not, for ``gnt-os diagnose`` and
cluster verify.

This module must not run OS scripts (instance operations do that) and must
not import master-side modules.
"""

import errno
import os
import stat
from typing import List, Optional, Sequence, Tuple, Union

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.backend_base import RPCFail


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

