"""Hook scripts on a node: the hooks_runner call and node-local hooks.

Layer 3 (node side).  ``RunHooks`` runs the scripts of
``<hooks base>/<hpath>-<phase>.d`` in name order with the environment the
master built (replacing ours) and returns one ``(<dir>/<script>, HKR_*,
output)`` triple per directory entry.  ``RunLocalHooks`` runs the pre and
post hooks of a node-local pseudo operation (master IP turn-up and
turn-down) around a function, building the environment itself.

This module must not decide what a hook failure means for an operation
beyond the node-local pseudo operations (the master does that), and must
not import master-side modules.
"""

import logging
import os
from typing import Callable, Dict, List, Optional, Tuple

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.backend_base import Fail, RPCFail


#: One result entry: script path relative to the hooks base, HKR_*, output
HookResult = Tuple[str, int, str]


def _CheckHooksPath(hpath) -> None:
  if not isinstance(hpath, str) or \
      not constants.EXT_PLUGIN_MASK.match(hpath):
    Fail("Invalid hooks path %r: only letters, digits, '_' and '-' are"
         " allowed", hpath)


def _CheckEnv(env) -> Dict[str, str]:
  if not isinstance(env, dict):
    Fail("Invalid hooks environment: expected a dict, got %s",
         type(env).__name__)
  for (key, value) in env.items():
    if not isinstance(key, str) or not key or "=" in key or "\0" in key:
      Fail("Invalid hooks environment variable name %r", key)
    if not isinstance(value, str) or "\0" in value:
      Fail("Invalid value %r of hooks environment variable %s", value, key)
  return env


def RunHooks(hpath: str, phase: str, env: Dict[str, str],
             _base_dir: Optional[str] = None) -> List[HookResult]:
  """Runs the hook scripts of one operation phase on this node.

  A missing hooks directory runs nothing and is not an error.  Entries
  that are not executable files with a plain name are reported as
  skipped.  Each script gets exactly ``env`` (the C locale aside), no
  arguments, no stdin and "/" as working directory.

  @param hpath: the operation's hooks path, e.g. "instance-start"
  @param phase: constants.HOOKS_PHASE_PRE or HOOKS_PHASE_POST
  @param env: the complete environment for the scripts
  @return: list of (subdir/script, HKR_SKIP|HKR_FAIL|HKR_SUCCESS, output)
  @raise RPCFail: unknown phase, bad path or environment

  """
  if phase not in constants.HOOKS_PHASES:
    Fail("Unknown hooks phase '%s' (expected one of %s)", phase,
         ", ".join(sorted(constants.HOOKS_PHASES)))
  _CheckHooksPath(hpath)
  _CheckEnv(env)
  if _base_dir is None:
    _base_dir = pathutils.HOOKS_BASE_DIR
  subdir = "%s-%s.d" % (hpath, phase)
  dir_name = utils.PathJoin(_base_dir, subdir)
  if not os.path.isdir(dir_name):
    return []
  results = []
  for (name, status, runresult) in utils.RunParts(dir_name, env=env,
                                                  reset_env=True):
    if status == constants.RUNPARTS_SKIP:
      (hkr, output) = (constants.HKR_SKIP, "")
    elif status == constants.RUNPARTS_ERR:
      (hkr, output) = (constants.HKR_FAIL,
                       "Hook script execution error: %s" % (runresult, ))
    elif runresult.failed:
      (hkr, output) = (constants.HKR_FAIL, runresult.output.strip())
    else:
      (hkr, output) = (constants.HKR_SUCCESS, runresult.output.strip())
    results.append(("%s/%s" % (subdir, name), hkr, output))
  return results


def BuildLocalHooksEnv(opcode: str, hpath: str, phase: str,
                       extra: Dict[str, str]) -> Dict[str, str]:
  """Builds the environment of a node-local pseudo operation's hooks.

  Ganeti 2.6 swapped the object type and cluster name of these hooks by
  mistake (see the hooks spec); we send them the regular way: object type
  CLUSTER, the cluster name and the master node from ssconf.

  """
  sstore = ssconf.SimpleStore()
  try:
    cluster_name = sstore.GetClusterName()
    master_node = sstore.GetMasterNode()
  except errors.ConfigurationError as err:
    Fail("Cannot build the environment of the %s hooks: %s", hpath, err)
  env = {
    "PATH": constants.HOOKS_PATH,
    "GANETI_HOOKS_VERSION": str(constants.HOOKS_VERSION),
    "GANETI_OP_CODE": opcode,
    "GANETI_DATA_DIR": pathutils.DATA_DIR,
    "GANETI_HOOKS_PHASE": phase,
    "GANETI_HOOKS_PATH": hpath,
    "GANETI_OBJECT_TYPE": constants.HTYPE_CLUSTER,
    "GANETI_CLUSTER": cluster_name,
    "GANETI_MASTER": master_node,
    }
  for (key, value) in extra.items():
    env[constants.HOOKS_ENV_PREFIX + key] = str(value)
  return env


def _FormatFailures(results: List[HookResult]) -> str:
  failed = ["%s: %s" % (script, output or "(no output)")
            for (script, hkr, output) in results
            if hkr == constants.HKR_FAIL]
  return "; ".join(failed)


def RunLocalHooks(opcode: str, hpath: str, extra_env: Dict[str, str],
                  fn: Callable[[], object]) -> object:
  """Runs ``fn`` between the pre and post hooks of a local operation.

  A failing pre hook aborts before ``fn`` runs; post hook failures are
  only logged, as for master-driven operations.

  @raise RPCFail: a pre hook failed (naming the scripts and their output)

  """
  pre_env = BuildLocalHooksEnv(opcode, hpath, constants.HOOKS_PHASE_PRE,
                               extra_env)
  pre = RunHooks(hpath, constants.HOOKS_PHASE_PRE, pre_env)
  failures = _FormatFailures(pre)
  if failures:
    raise RPCFail("Pre hooks of %s failed: %s" % (hpath, failures))
  result = fn()
  post_env = BuildLocalHooksEnv(opcode, hpath, constants.HOOKS_PHASE_POST,
                                extra_env)
  failures = _FormatFailures(RunHooks(hpath, constants.HOOKS_PHASE_POST,
                                      post_env))
  if failures:
    logging.warning("Post hooks of %s failed: %s", hpath, failures)
  return result
