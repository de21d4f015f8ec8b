"""In-process node calls for the master's own node (until noded exists).

Layer 5 (master side).  ``LocalRpcRunner`` answers the node calls the
master engine needs (``call_hooks_runner``, ``call_test_delay``) by doing
the work in this process when the target is the node the master runs on,
and with a failure result for every other node.  Results are `RpcResult`
objects with the interface LUs rely on (``fail_msg``, ``payload``,
``offline``, ``node``, ``call``, ``Raise``); the node daemon issue moves
that class to lib/rpc.py and replaces this runner with the HTTPS one.

This module must not grow node operations beyond those two calls, must
not change the configuration and must not take cluster locks.
"""

import logging
import re
import time

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils


#: fail_msg of every node other than the local one
NO_NODED_MSG = ("node daemon RPC not available yet (no ganeti-noded support"
                " in this release): cannot reach %s")

#: fail_msg of nodes marked offline in the configuration
OFFLINE_MSG = "Node is marked offline"

_HPATH_RE = re.compile(r"^[a-zA-Z0-9_-]+\Z")


class RpcResult(object):
  """The answer of one node to one call.

  @ivar fail_msg: None on success, else why the call failed
  @ivar payload: the call's return value (None on failure)
  @ivar offline: whether the node is marked offline (never contacted)
  @ivar node: the node's name
  @ivar call: the call's name

  """
  def __init__(self, data=None, failed=False, offline=False, call=None,
               node=None):
    """
    @param data: on success the payload, on failure the error (a message or
        an exception)
    @param failed: whether the call failed
    @param offline: the node is offline (implies failure)

    """
    self.offline = offline
    self.call = call
    self.node = node
    if offline:
      self.fail_msg = OFFLINE_MSG
      self.payload = None
    elif failed:
      self.fail_msg = self._EnsureErr(data)
      self.payload = None
    else:
      self.fail_msg = None
      self.payload = data

  @staticmethod
  def _EnsureErr(data):
    """A non-empty error text, whatever the failure was given as."""
    if data:
      return str(data)
    return "No error information"

  def Raise(self, msg, prereq=False, ecode=None):
    """Raise an error if the call failed, naming what was attempted.

    @param msg: what the caller tried (the node's reason is appended); when
        empty, a message naming the call and the node is used
    @param prereq: raise errors.OpPrereqError instead of errors.OpExecError
    @param ecode: error code for the exception (errors.ECODE_*)

    """
    if not self.fail_msg:
      return
    if msg:
      text = "%s: %s" % (msg, self.fail_msg)
    else:
      text = ("Call '%s' to node '%s' has failed: %s" %
              (self.call, self.node, self.fail_msg))
    if prereq:
      ecls = errors.OpPrereqError
    else:
      ecls = errors.OpExecError
    if ecode is None:
      raise ecls(text)
    raise ecls(text, ecode)

  def __repr__(self):
    return ("<RpcResult call=%s node=%s fail_msg=%r offline=%s>" %
            (self.call, self.node, self.fail_msg, self.offline))


def _GetCfg(context_or_cfg):
  return getattr(context_or_cfg, "cfg", context_or_cfg)


class LocalRpcRunner(object):
  """Runs node calls for the local node in-process.

  """
  def __init__(self, context_or_cfg, my_node_name, _sleep_fn=time.sleep):
    """
    @param context_or_cfg: a context with a ``cfg`` attribute, or a
        ConfigWriter; used to know which nodes are offline (may be None)
    @param my_node_name: the name of the node this process runs on

    """
    if not isinstance(my_node_name, str) or not my_node_name:
      raise errors.ProgrammerError("LocalRpcRunner needs this node's name,"
                                   " got %r" % (my_node_name, ))
    self._context_or_cfg = context_or_cfg
    self.my_node_name = my_node_name
    self._sleep_fn = _sleep_fn

  def _IsOffline(self, node):
    cfg = _GetCfg(self._context_or_cfg)
    if cfg is None:
      return False
    info = cfg.GetNodeInfo(node)
    return bool(info is not None and info.offline)

  def _Call(self, call, node_list, local_fn):
    """Answer every node: local work, offline marker or unreachable."""
    if isinstance(node_list, str):
      raise errors.ProgrammerError("Call %s needs a list of nodes, got the"
                                   " string %r" % (call, node_list))
    results = {}
    for node in node_list:
      if self._IsOffline(node):
        results[node] = RpcResult(offline=True, call=call, node=node)
      elif node != self.my_node_name:
        results[node] = RpcResult(data=NO_NODED_MSG % node, failed=True,
                                  call=call, node=node)
      else:
        try:
          payload = local_fn()
        except errors.GenericError as err:
          # what a node daemon would answer: the call failed, with reason
          logging.warning("Local call %s failed: %s", call, err)
          results[node] = RpcResult(data=err, failed=True, call=call,
                                    node=node)
        else:
          results[node] = RpcResult(data=payload, call=call, node=node)
    return results

  def call_test_delay(self, node_list, duration):
    """Sleep ``duration`` seconds on each (local) node.

    A negative duration is a failure of the call, as on a real node.

    """
    def _Delay():
      if (isinstance(duration, bool) or
          not isinstance(duration, (int, float))):
        raise errors.OpExecError("Invalid sleep duration %r: not a number" %
                                 (duration, ))
      if duration < 0:
        raise errors.OpExecError("Invalid sleep duration %s: must not be"
                                 " negative" % (duration, ))
      self._sleep_fn(duration)
      return None
    return self._Call("test_delay", node_list, _Delay)

  def call_hooks_runner(self, node_list, hpath, phase, env):
    """Run the hook scripts of ``<hpath>-<phase>.d`` on each (local) node.

    @return: ``{node: RpcResult}`` whose payload is a list of
        ``(<hpath>-<phase>.d/<script>, constants.HKR_*, output)``

    """
    def _Run():
      return RunHooksLocally(hpath, phase, env)
    return self._Call("hooks_runner", node_list, _Run)


def RunHooksLocally(hpath, phase, env):
  """Run one hooks directory on this node, as the node daemon does.

  The environment of the scripts is replaced by ``env`` (plus LC_ALL=C from
  utils.RunCmd); their output (stdout then stderr) is stripped.

  @raise errors.HooksFailure: bad hooks path or phase

  """
  if phase not in constants.HOOKS_PHASES:
    raise errors.HooksFailure("Unknown hooks phase '%s'" % (phase, ))
  if not isinstance(hpath, str) or not _HPATH_RE.match(hpath):
    raise errors.HooksFailure("Invalid hooks path %r: only letters, digits,"
                              " '_' and '-' are allowed" % (hpath, ))
  subdir = "%s-%s.d" % (hpath, phase)
  dir_name = utils.PathJoin(pathutils.HOOKS_BASE_DIR, subdir)

  results = []
  for (name, status, runresult) in utils.RunParts(dir_name, env=env,
                                                  reset_env=True):
    if status == constants.RUNPARTS_SKIP:
      hkr = constants.HKR_SKIP
      output = ""
    elif status == constants.RUNPARTS_ERR:
      hkr = constants.HKR_FAIL
      output = "Hook script execution error: %s" % (runresult, )
    elif runresult.failed:
      hkr = constants.HKR_FAIL
      output = runresult.output.strip()
    else:
      hkr = constants.HKR_SUCCESS
      output = runresult.output.strip()
    results.append(("%s/%s" % (subdir, name), hkr, output))
  return results
