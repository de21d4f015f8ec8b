"""The master role on a node: master daemons and the master IP address.

Layer 3 (node side).  Starting and stopping the master daemons goes
through the daemon-util tool (as every daemon start does); the master IP
is brought up or down with ``ip address add/del`` (or the administrator's
external master-ip-setup script), between the local ``master-ip-turnup``
/ ``master-ip-turndown`` hooks.  In a virtual cluster the master IP is a
127.x address on ``lo``.

This module must not decide who the master is (voting is masterd's job)
and must not import master-side modules.
"""

import logging
import os
import socket
import sys
from typing import List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import utils
from ganeti.backend_base import Fail
from ganeti.backend_hooks import RunLocalHooks


#: Actions of the master IP setup script
MASTER_START = "start"
MASTER_STOP = "stop"

#: Seconds allowed to daemon-util for starting or stopping the master
#: daemons (masterd's voting may take a minute)
_DAEMON_UTIL_TIMEOUT = 300

#: Name of the daemon control tool in the checkout and the virtualenv
_DAEMON_UTIL_NAME = "daemon-util"


def FindDaemonUtil() -> str:
  """Returns the daemon-util to use.

  The installed location (pathutils.DAEMON_UTIL) wins; a checkout's
  daemons/ directory and the running interpreter's bin directory (a
  virtualenv) are the fallbacks, so that a development tree works without
  installing into /usr/lib.

  @raise RPCFail: when none exists

  """
  lib_dir = os.path.dirname(os.path.abspath(__file__))
  candidates = [
    pathutils.DAEMON_UTIL,
    os.path.join(os.path.dirname(lib_dir), "daemons", _DAEMON_UTIL_NAME),
    os.path.join(os.path.dirname(sys.executable), _DAEMON_UTIL_NAME),
    ]
  for candidate in candidates:
    if os.path.isfile(candidate):
      return candidate
  Fail("Cannot find daemon-util (looked at %s)", ", ".join(candidates))


def _RunDaemonUtil(action: str, env: Optional[dict],
                   daemon_util: Optional[str]) -> utils.RunResult:
  if daemon_util is None:
    daemon_util = FindDaemonUtil()
  # daemon-util is a Python launcher; run it with our interpreter so that it
  # finds this very ganeti package whatever its "#!" line says
  return utils.RunCmd([sys.executable, daemon_util, action], env=env,
                      timeout=_DAEMON_UTIL_TIMEOUT)


def StartMasterDaemons(no_voting: bool, _daemon_util: Optional[str] = None
                       ) -> None:
  """Starts the master daemons (masterd, then rapi) on this node.

  @param no_voting: start masterd without asking the other nodes
      (``--no-voting --yes-do-it``)
  @raise RPCFail: daemon-util failed, with its output

  """
  if not isinstance(no_voting, bool):
    Fail("Invalid no_voting value %r: expected a boolean", no_voting)
  if no_voting:
    masterd_args = "--no-voting --yes-do-it"
  else:
    masterd_args = ""
  result = _RunDaemonUtil("start-master",
                          {"EXTRA_MASTERD_ARGS": masterd_args}, _daemon_util)
  if result.failed:
    Fail("Cannot start the Ganeti master daemons: %s (%s)",
         result.fail_reason, result.output.strip())


def StopMasterDaemons(_daemon_util: Optional[str] = None) -> None:
  """Stops the master daemons (rapi, then masterd) on this node.

  @raise RPCFail: daemon-util failed, with its output

  """
  result = _RunDaemonUtil("stop-master", None, _daemon_util)
  if result.failed:
    Fail("Cannot stop the Ganeti master daemons: %s (%s)",
         result.fail_reason, result.output.strip())


def _GetMasterParams(master_params) -> objects.MasterNetworkParameters:
  """Accepts the parameters as an object or in their wire (dict) form."""
  if isinstance(master_params, dict):
    try:
      master_params = objects.MasterNetworkParameters.FromDict(master_params)
    except (TypeError, ValueError, AttributeError, errors.GenericError) as err:
      Fail("Invalid master network parameters %r: %s", master_params, err)
  if not isinstance(master_params, objects.MasterNetworkParameters):
    Fail("Invalid master network parameters: expected a dict, got %s",
         type(master_params).__name__)
  if not isinstance(master_params.ip, str) or \
      not netutils.IPAddress.IsValid(master_params.ip):
    Fail("Invalid master IP address %r", master_params.ip)
  if not isinstance(master_params.netdev, str) or \
      not netutils.IsValidInterface(master_params.netdev):
    Fail("Invalid master network device %r: no such interface on this node",
         master_params.netdev)
  family = netutils.IPAddress.GetAddressFamily(master_params.ip)
  netmask = master_params.netmask
  maxlen = 32 if family == socket.AF_INET else 128
  if isinstance(netmask, bool) or not isinstance(netmask, int) or \
      not 0 < netmask <= maxlen:
    Fail("Invalid master netmask %r for %s: expected a prefix length from"
         " 1 to %d", netmask, master_params.ip, maxlen)
  return master_params


def BuildMasterIpEnv(params: objects.MasterNetworkParameters) -> dict:
  """The variables the master IP script and hooks get (without prefix)."""
  family = netutils.IPAddress.GetAddressFamily(params.ip)
  return {
    "MASTER_NETDEV": params.netdev,
    "MASTER_IP": params.ip,
    "MASTER_NETMASK": str(params.netmask),
    "CLUSTER_IP_VERSION":
      str(netutils.IPAddress.GetVersionFromAddressFamily(family)),
    }


def _IsAddressUp(params: objects.MasterNetworkParameters) -> bool:
  version = netutils.IPAddress.GetVersionFromAddressFamily(
    netutils.IPAddress.GetAddressFamily(params.ip))
  try:
    present = netutils.GetInterfaceIpAddresses(params.netdev)[version]
  except errors.OpPrereqError as err:
    Fail("Cannot list the addresses of %s: %s", params.netdev, err)
  wanted = netutils.IPAddress.Normalize(params.ip)
  return any(netutils.IPAddress.Normalize(addr) == wanted for addr in present)


def BuildIpCommand(action: str, params: objects.MasterNetworkParameters
                   ) -> List[str]:
  """The ``ip address add|del`` command line for the master IP."""
  if action == MASTER_START:
    verb = "add"
  elif action == MASTER_STOP:
    verb = "del"
  else:
    raise errors.ProgrammerError("Unknown master IP action %r" % (action, ))
  return ["ip", "address", verb, "%s/%s" % (params.ip, params.netmask),
          "dev", params.netdev]


def _Announce(params: objects.MasterNetworkParameters) -> None:
  """Tells the LAN that the IPv4 master address moved (best effort)."""
  if params.netdev == "lo" or \
      netutils.IPAddress.GetAddressFamily(params.ip) != socket.AF_INET:
    return
  try:
    result = utils.RunCmd(["arping", "-q", "-U", "-c", "3", "-I",
                           params.netdev, "-s", params.ip, params.ip])
  except errors.OpExecError as err:
    logging.info("Not announcing the master IP, arping unavailable: %s", err)
    return
  if result.failed:
    logging.warning("Announcing master IP %s with arping failed: %s",
                    params.ip, result.output.strip())


def _SetMasterIp(action: str, params: objects.MasterNetworkParameters,
                 use_external_mip_script: bool) -> None:
  if use_external_mip_script:
    script = pathutils.EXTERNAL_MASTER_SETUP_SCRIPT
    env = BuildMasterIpEnv(params)
    env["PATH"] = constants.HOOKS_PATH
    try:
      result = utils.RunCmd([script, action], env=env, reset_env=True)
    except errors.OpExecError as err:
      Fail("Cannot run the master IP setup script %s: %s", script, err)
    if result.failed:
      Fail("Failed to %s the master IP with %s: %s, output: '%s'", action,
           script, result.fail_reason, result.output.strip())
    return

  is_up = _IsAddressUp(params)
  if (action == MASTER_START) == is_up:
    # already in the wanted state: repeating the call must not fail
    return
  cmd = BuildIpCommand(action, params)
  try:
    result = utils.RunCmd(cmd)
  except errors.OpExecError as err:
    Fail("Cannot run '%s': %s", " ".join(cmd), err)
  if result.failed:
    Fail("Failed to %s the master IP %s/%s on %s: '%s' %s: %s", action,
         params.ip, params.netmask, params.netdev, result.cmd,
         result.fail_reason, result.output.strip())
  if action == MASTER_START:
    _Announce(params)


def ActivateMasterIp(master_params, use_external_mip_script: bool) -> None:
  """Brings the master IP up on this node (no-op when already up).

  Runs the ``master-ip-turnup`` hooks around the change.

  @param master_params: objects.MasterNetworkParameters or its dict form
  @param use_external_mip_script: use the administrator's setup script
      instead of the built-in ``ip address add``
  @raise RPCFail: bad parameters, a failing pre hook or command

  """
  params = _GetMasterParams(master_params)
  RunLocalHooks(constants.FAKE_OP_MASTER_TURNUP,
                constants.HOOKS_NAME_MASTER_IP_TURNUP,
                BuildMasterIpEnv(params),
                lambda: _SetMasterIp(MASTER_START, params,
                                     bool(use_external_mip_script)))


def DeactivateMasterIp(master_params, use_external_mip_script: bool) -> None:
  """Removes the master IP from this node (no-op when not present).

  Runs the ``master-ip-turndown`` hooks around the change.

  @raise RPCFail: bad parameters, a failing pre hook or command

  """
  params = _GetMasterParams(master_params)
  RunLocalHooks(constants.FAKE_OP_MASTER_TURNDOWN,
                constants.HOOKS_NAME_MASTER_IP_TURNDOWN,
                BuildMasterIpEnv(params),
                lambda: _SetMasterIp(MASTER_STOP, params,
                                     bool(use_external_mip_script)))
