"""daemon-util: start, stop and check a node's Ganeti daemons.

Layer 6 (entry points).  The actions of Ganeti's daemon-util: ``start``,
``stop``, ``check``, ``check-and-start`` for one daemon, ``start-master``
/ ``stop-master`` (masterd and rapi), ``start-all`` / ``stop-all`` (every
daemon this node's role calls for), ``daemon-pidfile`` and
``daemon-executable``.  Daemon executables are looked up next to
daemon-util itself (the checkout's daemons/ or the virtualenv's bin), or
in ``$GANETI_DAEMONS_DIR``; they are run with this interpreter and this
node's environment.  In a virtual cluster, network daemons get ``-b`` with
the node's own address from the cluster's hosts file.  A daemon runs iff
its pid file is locked.

Extra arguments come from ``<sysconfdir>/default/ganeti`` (``NODED_ARGS``,
``EXTRA_MASTERD_ARGS`` ...) and the environment, which wins.

This module must not start anything but the four Ganeti daemons and must
not signal a process it did not find through a locked pid file.
"""

import os
import shlex
import signal
import sys
import time
from typing import Dict, List, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.tools import ensure_dirs


#: Environment variable naming the directory with the daemon executables
DAEMONS_DIR_ENVNAME = "GANETI_DAEMONS_DIR"

#: start-all order; stop-all goes the other way
START_ORDER = (constants.NODED, constants.MASTERD, constants.RAPI,
               constants.CONFD)

#: Daemons that listen on a TCP/UDP address (and so get -b)
NETWORK_DAEMONS = frozenset([constants.NODED, constants.RAPI,
                             constants.CONFD])

#: Seconds a daemon may take to start (masterd's voting takes up to a
#: minute when nodes do not answer)
START_TIMEOUT = 180

#: Seconds to wait for a killed daemon to disappear after SIGKILL
_KILL_WAIT = 5

_USAGE = """Usage: daemon-util ACTION [DAEMON] [ARGS...]
Actions:
  start DAEMON [ARGS...]   start a daemon (no-op if it runs)
  stop DAEMON              stop a daemon (SIGTERM, SIGKILL after %d s)
  check DAEMON             exit 0 if the daemon runs, 1 otherwise
  check-and-start DAEMON   start the daemon unless it runs
  start-master             start ganeti-masterd, then ganeti-rapi
  stop-master              stop ganeti-rapi, then ganeti-masterd
  start-all                start every daemon this node's role needs
  stop-all                 stop every daemon
  daemon-pidfile DAEMON    print the daemon's pid file
  daemon-executable DAEMON print the daemon's executable
Daemons: %s
""" % (constants.DAEMON_STOP_TIMEOUT, ", ".join(START_ORDER))


class UsageError(Exception):
  """Wrong command line."""


class DaemonUtil:
  """The actions, for one daemons directory and output streams."""

  def __init__(self, daemons_dir: str, stop_timeout: float =
               constants.DAEMON_STOP_TIMEOUT, out=None, err=None,
               environ=None):
    self.daemons_dir = daemons_dir
    self.stop_timeout = stop_timeout
    self._out = out if out is not None else sys.stdout
    self._err = err if err is not None else sys.stderr
    self._environ = environ if environ is not None else os.environ

  def _Say(self, msg: str) -> None:
    self._out.write(msg + "\n")
    self._out.flush()

  def _Complain(self, msg: str) -> None:
    self._err.write("daemon-util: %s\n" % msg)
    self._err.flush()

  # Facts about daemons and this node

  def Executable(self, daemon: str) -> str:
    return os.path.join(self.daemons_dir, daemon)

  @staticmethod
  def PidFile(daemon: str) -> str:
    return pathutils.GetPidFilename(daemon)

  def RunningPid(self, daemon: str) -> Optional[int]:
    """The pid of the running daemon, None when it does not run."""
    return utils.ReadLockedPidFile(self.PidFile(daemon))

  @staticmethod
  def IsMaster() -> bool:
    """Whether ssconf names this node as the master (False if unknown)."""
    try:
      return ssconf.SimpleStore().GetMasterNode() == \
        netutils.Hostname.GetSysName()
    except errors.ConfigurationError:
      return False

  @staticmethod
  def HasConfig() -> bool:
    return os.path.isfile(pathutils.CLUSTER_CONF_FILE)

  def _ReadDefaults(self) -> Dict[str, str]:
    """Variables of <sysconfdir>/default/ganeti (VAR=value lines)."""
    path = os.path.join(pathutils.SYSCONFDIR, "default", "ganeti")
    result = {}
    try:
      text = utils.ReadFile(path)
    except FileNotFoundError:
      return result
    for (lineno, line) in enumerate(text.splitlines(), 1):
      line = line.strip()
      if not line or line.startswith("#"):
        continue
      if line.startswith("export "):
        line = line[len("export "):].strip()
      (name, sep, value) = line.partition("=")
      if not sep or not name.isidentifier():
        raise errors.GenericError("%s line %d: expected VAR=value, got %r" %
                                  (path, lineno, line))
      try:
        words = shlex.split(value, comments=True)
      except ValueError as err:
        raise errors.GenericError("%s line %d: %s" % (path, lineno, err))
      result[name] = " ".join(words)
    return result

  def ConfiguredArgs(self, daemon: str) -> List[str]:
    """<NAME>_ARGS and EXTRA_<NAME>_ARGS, environment over defaults file."""
    values = self._ReadDefaults()
    base = daemon[len("ganeti-"):].upper()
    args = []
    for var in ("%s_ARGS" % base, "EXTRA_%s_ARGS" % base):
      value = self._environ.get(var, values.get(var, ""))
      args.extend(shlex.split(value))
    return args

  @staticmethod
  def BindArgs(daemon: str, args: List[str]) -> List[str]:
    """``-b <node address>`` for network daemons of a virtual node."""
    if daemon not in NETWORK_DAEMONS or not vcluster.IsVirtualCluster():
      return []
    if "-b" in args or "--bind" in args or \
        any(a.startswith("--bind=") for a in args):
      return []
    name = vcluster.GetHostname()
    try:
      address = netutils.Hostname.GetIP(name)
    except errors.ResolverError as err:
      raise errors.GenericError("Cannot find the address of virtual node %s"
                                " (is it in %s?): %s" %
                                (name, vcluster.GetHostsFile(),
                                 err.args[-1]))
    return ["-b", address]

  # Actions

  def Start(self, daemon: str, extra_args: List[str]) -> int:
    exe = self.Executable(daemon)
    if not os.path.isfile(exe):
      self._Complain("cannot start %s: executable %s not found" %
                     (daemon, exe))
      return constants.EXIT_FAILURE
    pid = self.RunningPid(daemon)
    if pid:
      self._Say("%s is already running (pid %d)" % (daemon, pid))
      return constants.EXIT_SUCCESS
    ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
    args = self.ConfiguredArgs(daemon) + list(extra_args)
    cmd = [sys.executable, exe] + self.BindArgs(daemon, args) + args
    result = utils.RunCmd(cmd, timeout=START_TIMEOUT)
    if result.failed:
      output = result.output.strip()
      if result.exit_code != constants.EXIT_NOTMASTER:
        self._Complain("%s failed to start (%s)%s" %
                       (daemon, result.fail_reason,
                        ": " + output if output else ""))
      if result.exit_code:
        return result.exit_code
      return constants.EXIT_FAILURE
    return constants.EXIT_SUCCESS

  def _WaitGone(self, daemon: str, pid: int, timeout: float) -> bool:
    """Waits until the daemon's pid file is no longer locked by ``pid``.

    The lock goes away when the process ends, even while it is a zombie
    nobody reaped yet, so this does not depend on the parent's diligence.

    """
    deadline = time.monotonic() + timeout
    while self.RunningPid(daemon) == pid:
      if time.monotonic() > deadline:
        return False
      time.sleep(0.02)
    return True

  def Stop(self, daemon: str) -> int:
    pid = self.RunningPid(daemon)
    if not pid:
      return constants.EXIT_SUCCESS
    for (signum, timeout) in ((signal.SIGTERM, self.stop_timeout),
                              (signal.SIGKILL, _KILL_WAIT)):
      try:
        os.kill(pid, signum)
      except ProcessLookupError:
        return constants.EXIT_SUCCESS
      if self._WaitGone(daemon, pid, timeout):
        return constants.EXIT_SUCCESS
      if signum == signal.SIGTERM:
        self._Complain("%s (pid %d) did not stop within %s seconds, sending"
                       " SIGKILL" % (daemon, pid, timeout))
    self._Complain("%s (pid %d) did not stop" % (daemon, pid))
    return constants.EXIT_FAILURE

  def Check(self, daemon: str) -> int:
    if self.RunningPid(daemon):
      return constants.EXIT_SUCCESS
    return constants.EXIT_FAILURE

  def CheckAndStart(self, daemon: str, extra_args: List[str]) -> int:
    if self.RunningPid(daemon):
      return constants.EXIT_SUCCESS
    return self.Start(daemon, extra_args)

  def _StartIfPresent(self, daemon: str) -> int:
    if not os.path.isfile(self.Executable(daemon)):
      self._Say("Skipping %s: executable %s not found" %
                (daemon, self.Executable(daemon)))
      return constants.EXIT_SUCCESS
    return self.Start(daemon, [])

  def StartMaster(self) -> int:
    code = self.Start(constants.MASTERD, [])
    if code != constants.EXIT_SUCCESS:
      return code
    return self._StartIfPresent(constants.RAPI)

  def StopMaster(self) -> int:
    codes = [self.Stop(constants.RAPI), self.Stop(constants.MASTERD)]
    return max(codes)

  def StartAll(self) -> int:
    is_master = self.IsMaster()
    for daemon in START_ORDER:
      if daemon in (constants.MASTERD, constants.RAPI) and not is_master:
        self._Say("Not starting %s: this node is not the master" % daemon)
        continue
      if daemon == constants.CONFD and not self.HasConfig():
        self._Say("Not starting %s: no cluster configuration on this node"
                  % daemon)
        continue
      code = self._StartIfPresent(daemon)
      if code == constants.EXIT_NOTMASTER and daemon == constants.MASTERD:
        self._Say("%s: this node is not the master" % daemon)
        continue
      if code != constants.EXIT_SUCCESS:
        return code
    return constants.EXIT_SUCCESS

  def StopAll(self) -> int:
    codes = [self.Stop(daemon) for daemon in reversed(START_ORDER)]
    return max(codes)

  def Run(self, argv: List[str]) -> int:
    """Runs the action named by argv[0]; raises UsageError."""
    if not argv:
      raise UsageError("no action given")
    (action, rest) = (argv[0], argv[1:])
    simple = {
      "start-master": self.StartMaster,
      "stop-master": self.StopMaster,
      "start-all": self.StartAll,
      "stop-all": self.StopAll,
      }
    if action in simple:
      if rest:
        raise UsageError("action %s takes no arguments" % action)
      return simple[action]()
    per_daemon = ("start", "stop", "check", "check-and-start",
                  "daemon-pidfile", "daemon-executable")
    if action not in per_daemon:
      raise UsageError("unknown action '%s'" % action)
    if not rest:
      raise UsageError("action %s needs a daemon name" % action)
    (daemon, extra) = (rest[0], rest[1:])
    if daemon not in constants.DAEMONS:
      raise UsageError("unknown daemon '%s'" % daemon)
    if extra and action not in ("start", "check-and-start"):
      raise UsageError("action %s takes only a daemon name" % action)
    if action == "start":
      return self.Start(daemon, extra)
    if action == "stop":
      return self.Stop(daemon)
    if action == "check":
      return self.Check(daemon)
    if action == "check-and-start":
      return self.CheckAndStart(daemon, extra)
    if action == "daemon-pidfile":
      self._Say(self.PidFile(daemon))
    else:
      self._Say(self.Executable(daemon))
    return constants.EXIT_SUCCESS


def FindDaemonsDir(launcher_dir: Optional[str] = None,
                   environ=None) -> str:
  """The directory holding the daemon executables.

  ``$GANETI_DAEMONS_DIR`` wins, then the launcher's own directory, then
  the checkout's daemons/ directory.

  """
  if environ is None:
    environ = os.environ
  if environ.get(DAEMONS_DIR_ENVNAME):
    return environ[DAEMONS_DIR_ENVNAME]
  if launcher_dir:
    return launcher_dir
  lib_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  return os.path.join(os.path.dirname(lib_dir), "daemons")


def Main(argv: Optional[List[str]] = None,
         launcher_dir: Optional[str] = None) -> int:
  """Entry point of daemons/daemon-util; returns the exit code."""
  if argv is None:
    argv = sys.argv[1:]
  try:
    pathutils.Reload()
    tool = DaemonUtil(FindDaemonsDir(launcher_dir))
    return tool.Run(argv)
  except UsageError as err:
    sys.stderr.write("daemon-util: %s\n%s" % (err, _USAGE))
    return constants.EXIT_FAILURE
  except (errors.GenericError, EnvironmentError) as err:
    sys.stderr.write("daemon-util: %s\n" % err)
    return constants.EXIT_FAILURE
