"""Node membership chores: addresses, the hosts file, candidate demotion.

Layer 3 (node side).  The backend functions of the node calls that deal
with this node's place in the cluster rather than with its resources:
node_has_ip_address, etc_hosts_modify, node_demote_from_mc and the
test_delay call of the debugging opcodes.  Like every backend function
they return their result or raise ``RPCFail`` with the reason.

The hosts file edited by etc_hosts_modify is ``pathutils.ETC_HOSTS``: the
machine's /etc/hosts on a real node, the cluster directory's ``hosts`` file
in a virtual cluster (every virtual node shares it, and names of the
virtual nodes resolve through it).

This module must not import master-side or wire modules.
"""

import logging
import os
import time
from typing import Callable, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.backend_base import Fail, GetMyName


#: etc_hosts_modify modes (Ganeti's ETC_HOSTS_ADD / ETC_HOSTS_REMOVE)
ETC_HOSTS_ADD = "add"
ETC_HOSTS_REMOVE = "remove"
ETC_HOSTS_MODES = frozenset([ETC_HOSTS_ADD, ETC_HOSTS_REMOVE])

#: Longest test_delay accepted: the call's RPC timeout grows with it, and a
#: day-long sleep is a typo rather than a test
MAX_TEST_DELAY = constants.RPC_TMO_1DAY


def NodeHasIpAddress(address) -> bool:
  """Tells whether ``address`` is configured on this node.

  @raise RPCFail: ``address`` is not an IP address

  """
  if not isinstance(address, str) or not netutils.IPAddress.IsValid(address):
    Fail("Invalid IP address %r in node_has_ip_address", address)
  return netutils.IPAddress.Own(address)


def TestDelay(duration, _sleep_fn: Callable[[float], None] = time.sleep
              ) -> None:
  """Sleeps ``duration`` seconds (the test_delay call).

  @raise RPCFail: duration not a number, negative or absurdly long

  """
  if isinstance(duration, bool) or not isinstance(duration, (int, float)):
    Fail("Invalid sleep duration %r: not a number", duration)
  if duration < 0:
    Fail("Invalid sleep duration %s: must not be negative", duration)
  if duration > MAX_TEST_DELAY:
    Fail("Invalid sleep duration %s: longer than %s seconds", duration,
         MAX_TEST_DELAY)
  _sleep_fn(duration)


def _MasterDaemonPid() -> Optional[int]:
  return utils.ReadLockedPidFile(pathutils.GetPidFilename(constants.MASTERD))


def DemoteFromMC(_masterd_pid_fn: Callable[[], Optional[int]] =
                 _MasterDaemonPid) -> None:
  """Drops this node's copy of the configuration (no longer a candidate).

  Refused on the master (according to this node's ssconf) and while a
  master daemon runs here.  A backup of config.data is kept beside it, as
  Ganeti does, so a mistaken demotion can be undone by hand.

  @raise RPCFail: refused, or the file cannot be backed up or removed

  """
  myself = GetMyName()
  try:
    master = ssconf.SimpleStore().GetMasterNode()
  except errors.ConfigurationError as err:
    Fail("Cannot tell whether this node (%s) is the master, will not"
         " demote: %s", myself, err)
  if master == myself:
    Fail("ssconf status shows this node (%s) is the master, will not"
         " demote", myself)
  pid = _masterd_pid_fn()
  if pid:
    Fail("The master daemon is running on %s (pid %s), will not demote",
         myself, pid)
  conf = pathutils.CLUSTER_CONF_FILE
  if not os.path.isfile(conf):
    logging.info("No %s to remove while demoting %s", conf, myself)
    return
  try:
    backup = utils.CreateBackup(conf)
    utils.RemoveFile(conf)
  except (EnvironmentError, errors.GenericError) as err:
    Fail("Cannot remove %s while demoting %s: %s", conf, myself, err)
  logging.info("Demoted from master candidate: %s removed (backup %s)",
               conf, backup)


def _CheckHostName(name) -> str:
  if not isinstance(name, str) or not name or \
      any(c.isspace() or c == "#" for c in name):
    Fail("Invalid host name %r for the hosts file", name)
  return name


def _HostsLines(content: str, name: str) -> List[str]:
  """The lines of a hosts file with ``name`` (and its short form) removed.

  Lines losing their last name disappear; comments and other entries stay
  as they were.

  """
  short = name.split(".", 1)[0]
  kept = []
  for line in content.splitlines():
    (data, sep, comment) = line.partition("#")
    fields = data.split()
    if len(fields) < 2 or name not in fields[1:]:
      kept.append(line)
      continue
    names = [n for n in fields[1:] if n not in (name, short)]
    if names:
      kept.append(" ".join([fields[0]] + names) +
                  (" %s%s" % (sep, comment) if sep else ""))
  return kept


def EtcHostsModify(mode, name, ip) -> None:
  """Adds or removes a host's entry in the hosts file.

  "add" replaces any entry of ``name`` by ``<ip> <name> <short name>``;
  "remove" drops the name (and its short form) from every entry.  The
  file is rewritten atomically, keeping its permissions.

  @param mode: "add" or "remove"
  @param ip: the address for "add"; must be None for "remove"
  @raise RPCFail: bad arguments or the file cannot be written

  """
  if mode not in ETC_HOSTS_MODES:
    Fail("Invalid etc_hosts_modify mode %r (valid: %s)", mode,
         ", ".join(sorted(ETC_HOSTS_MODES)))
  name = _CheckHostName(name)
  if mode == ETC_HOSTS_ADD:
    if not ip:
      Fail("Mode 'add' of etc_hosts_modify needs an IP address for %s", name)
    if not isinstance(ip, str) or not netutils.IPAddress.IsValid(ip):
      Fail("Invalid IP address %r for host %s", ip, name)
  elif ip is not None:
    Fail("Mode 'remove' of etc_hosts_modify takes no IP address, got %r",
         ip)

  hosts = pathutils.ETC_HOSTS
  try:
    content = utils.ReadFile(hosts)
  except FileNotFoundError:
    content = ""
  except EnvironmentError as err:
    Fail("Cannot read the hosts file %s: %s", hosts, err)
  lines = _HostsLines(content, name)
  if mode == ETC_HOSTS_ADD:
    short = name.split(".", 1)[0]
    entry = "%s\t%s" % (ip, name)
    if short != name:
      entry += " %s" % short
    lines.append(entry)
  try:
    if os.path.exists(hosts):
      utils.WriteFile(hosts, data="".join("%s\n" % l for l in lines),
                      keep_perms=utils.KP_ALWAYS)
    else:
      utils.WriteFile(hosts, data="".join("%s\n" % l for l in lines),
                      mode=0o644)
  except EnvironmentError as err:
    Fail("Cannot write the hosts file %s: %s", hosts, err)


def ListExports() -> List[str]:
  """Names of the instance exports kept on this node (directories below
  pathutils.EXPORT_DIR), sorted; none when the directory does not exist.

  """
  export_dir = pathutils.EXPORT_DIR
  if not os.path.isdir(export_dir):
    return []
  try:
    return sorted(name for name in utils.ListVisibleFiles(export_dir)
                  if os.path.isdir(os.path.join(export_dir, name)))
  except EnvironmentError as err:
    Fail("Cannot list exports in %s: %s" % (export_dir, err))

