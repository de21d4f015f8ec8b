"""Hooks on the master: build the hook environment and run a phase.

Layer 5 (master side).  For one operation (an LU) this module computes the
``GANETI_*`` environment of the hooks specification (spec/hooks.md), hands
it to a node call that runs ``<hooks path>-<phase>.d`` on the target nodes,
and interprets the per-script results: a failing pre hook vetoes the
operation (`errors.HooksAbort`), a failing post hook is only reported.

This module must not run scripts itself (that is the node side's job; the
execution function passed in does the node call), must not take cluster
locks and must not change the configuration.
"""

import logging

from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import utils


def RpcResultsToHooksResults(rpc_results):
  """Turn ``{node: RpcResult}`` into ``{node: (fail_msg, offline, payload)}``.

  The hooks logic only needs these three facts per node; keeping it apart
  from the result class lets tests and the node daemon issue change the
  RPC layer without touching the hooks rules.

  """
  return dict((node, (res.fail_msg, res.offline, res.payload))
              for (node, res) in rpc_results.items())


class HooksMaster(object):
  """Runs the hooks of one operation.

  The pre-phase environment is computed once, when the object is built
  (after the LU's prerequisites were checked); the post phase gets it again
  together with a freshly computed ``GANETI_POST_*`` set.

  """
  def __init__(self, opcode, hooks_path, nodes, hooks_execution_fn,
               hooks_results_adapt_fn, build_env_fn, log_fn, htype=None,
               cluster_name=None, master_name=None):
    """
    @param opcode: the OP_ID of the operation (``GANETI_OP_CODE``)
    @param hooks_path: directory prefix, e.g. ``instance-start``; None for
        operations without hooks (only the config-update hook can run then)
    @param nodes: (pre nodes, post nodes), each an iterable or None
    @param hooks_execution_fn: callable(node_list, hpath, phase, env)
        returning ``{node: result}``
    @param hooks_results_adapt_fn: turns that answer into
        ``{node: (fail_msg, offline, [(script, status, output), ...])}``,
        or None when the answer already has that form
    @param build_env_fn: callable returning the operation's own variables
        (names without the ``GANETI_`` prefix)
    @param log_fn: callable(message, *args) used to report problems
        (normally the LU's LogWarning)
    @param htype: the hooks object type (``GANETI_OBJECT_TYPE``)
    @param cluster_name: ``GANETI_CLUSTER``, omitted when None
    @param master_name: ``GANETI_MASTER``, omitted when None

    """
    if nodes is None:
      nodes = (None, None)
    if len(nodes) != 2:
      raise errors.ProgrammerError("Hooks nodes must be a (pre, post) pair,"
                                   " got %r" % (nodes, ))
    self.opcode = opcode
    self.hooks_path = hooks_path
    self.hooks_execution_fn = hooks_execution_fn
    self.hooks_results_adapt_fn = hooks_results_adapt_fn
    self.build_env_fn = build_env_fn
    self.log_fn = log_fn
    self.htype = htype
    self.cluster_name = cluster_name
    self.master_name = master_name
    (self.pre_nodes, self.post_nodes) = nodes
    self.pre_env = self._BuildEnv(constants.HOOKS_PHASE_PRE)

  def _BuildEnv(self, phase):
    """The operation-specific variables of a phase, prefixed.

    The post phase carries the pre-phase set as well, so a post hook can
    compare the state before and after the operation.

    """
    if phase == constants.HOOKS_PHASE_PRE:
      prefix = constants.HOOKS_ENV_PREFIX
    elif phase == constants.HOOKS_PHASE_POST:
      prefix = constants.HOOKS_POST_ENV_PREFIX
    else:
      raise errors.ProgrammerError("Unknown hooks phase '%s'" % (phase, ))

    env = {}
    if self.hooks_path is not None:
      own = self.build_env_fn()
      if own:
        for key in own:
          if not isinstance(key, str) or not key:
            raise errors.ProgrammerError("Hook environment of %s has an"
                                         " invalid variable name %r" %
                                         (self.opcode, key))
          if key.upper().startswith(constants.HOOKS_ENV_PREFIX):
            raise errors.ProgrammerError("Hook variable '%s' of %s must be"
                                         " given without the '%s' prefix" %
                                         (key, self.opcode,
                                          constants.HOOKS_ENV_PREFIX))
        env.update(("%s%s" % (prefix, key), value)
                   for (key, value) in own.items())

    if phase == constants.HOOKS_PHASE_POST:
      env.update(self.pre_env)
    return env

  def _RunWrapper(self, node_list, hpath, phase, phase_env):
    """Add the common variables, stringify everything and do the call."""
    env = {
      "PATH": constants.HOOKS_PATH,
      "GANETI_HOOKS_VERSION": constants.HOOKS_VERSION,
      "GANETI_OP_CODE": self.opcode,
      "GANETI_DATA_DIR": pathutils.DATA_DIR,
      "GANETI_HOOKS_PHASE": phase,
      "GANETI_HOOKS_PATH": hpath,
      }
    if self.htype:
      env["GANETI_OBJECT_TYPE"] = self.htype
    if self.cluster_name is not None:
      env["GANETI_CLUSTER"] = self.cluster_name
    if self.master_name is not None:
      env["GANETI_MASTER"] = self.master_name
    if phase_env:
      clash = set(env).intersection(phase_env)
      if clash:
        raise errors.ProgrammerError("Hook variables of %s clash with the"
                                     " common ones: %s" %
                                     (self.opcode,
                                      utils.CommaJoin(sorted(clash))))
      env.update(phase_env)
    env = dict((str(key), str(value)) for (key, value) in env.items())
    return self.hooks_execution_fn(node_list, hpath, phase, env)

  def RunPhase(self, phase, nodes=None):
    """Run one phase of the hooks.

    @param phase: constants.HOOKS_PHASE_PRE or HOOKS_PHASE_POST
    @param nodes: target nodes; default the pre or post nodes given at
        construction
    @return: the node call's answer, or None when nothing was run (no
        hooks path or no target node)
    @raise errors.HooksAbort: a pre hook failed on a reachable node; the
        argument lists (node, script, output) of every failure
    @raise errors.HooksFailure: the pre-phase call returned no answer

    """
    if phase not in constants.HOOKS_PHASES:
      raise errors.ProgrammerError("Unknown hooks phase '%s'" % (phase, ))
    if nodes is None:
      if phase == constants.HOOKS_PHASE_PRE:
        nodes = self.pre_nodes
      else:
        nodes = self.post_nodes
    if not nodes or self.hooks_path is None:
      return None

    if phase == constants.HOOKS_PHASE_PRE:
      env = self.pre_env
    else:
      env = self._BuildEnv(phase)
    results = self._RunWrapper(sorted(nodes), self.hooks_path, phase, env)
    if not results:
      msg = ("Communication Failure: no answer from the hooks call for %s"
             " (%s phase)" % (self.hooks_path, phase))
      if phase == constants.HOOKS_PHASE_PRE:
        raise errors.HooksFailure(msg)
      self.log_fn(msg)
      return results

    if self.hooks_results_adapt_fn:
      converted = self.hooks_results_adapt_fn(results)
    else:
      converted = results

    errs = []
    for node_name in sorted(converted):
      (fail_msg, offline, hooks_results) = converted[node_name]
      if offline:
        # offline nodes cannot run hooks and are skipped by design
        continue
      if fail_msg:
        self.log_fn("Communication failure to node %s: %s", node_name,
                    fail_msg)
        continue
      for (script, status, output) in hooks_results:
        if status != constants.HKR_FAIL:
          continue
        if phase == constants.HOOKS_PHASE_PRE:
          errs.append((node_name, script, output))
        else:
          if not output:
            output = "(no output)"
          self.log_fn("On %s script %s failed, output: %s", node_name,
                      script, output)

    if errs:
      logging.info("Pre hooks of %s failed: %s", self.hooks_path, errs)
      raise errors.HooksAbort(errs)
    return results

  def RunConfigUpdate(self):
    """Run the config-update post hooks on the master.

    Called after an operation wrote the configuration, also when it failed
    afterwards.  Failures are ignored: the operation is over.

    """
    if not self.master_name:
      return None
    return self._RunWrapper([self.master_name],
                            constants.HOOKS_NAME_CFGUPDATE,
                            constants.HOOKS_PHASE_POST, self.pre_env)

  @staticmethod
  def BuildFromLu(hooks_execution_fn, lu):
    """Build the hooks master for a logical unit.

    Must be called after the LU's CheckPrereq: the LU's BuildHooksEnv and
    BuildHooksNodes may use what CheckPrereq looked up.

    """
    if lu.HPATH is None:
      nodes = (None, None)
    else:
      built = lu.BuildHooksNodes()
      if not (isinstance(built, (tuple, list)) and len(built) == 2):
        raise errors.ProgrammerError("%s.BuildHooksNodes must return a (pre"
                                     " nodes, post nodes) pair, got %r" %
                                     (lu.__class__.__name__, built))
      nodes = tuple(frozenset(part or []) for part in built)

    master_name = cluster_name = None
    if lu.cfg:
      master_name = lu.cfg.GetMasterNode()
      cluster_name = lu.cfg.GetClusterName()

    return HooksMaster(lu.op.OP_ID, lu.HPATH, nodes, hooks_execution_fn,
                       RpcResultsToHooksResults, lu.BuildHooksEnv,
                       lu.LogWarning, htype=lu.HTYPE,
                       cluster_name=cluster_name, master_name=master_name)
