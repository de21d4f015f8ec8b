"""Fixtures for integration tests that run real daemons.

``master_daemon``: a one-node virtual cluster in a fresh directory under
/tmp with a running ``ganeti-masterd``.  The node is ``node1.example.com``
(GANETI_ROOTDIR=<dir>/node1.example.com, GANETI_HOSTNAME set
accordingly), primary IP 127.0.1.1; config.data comes from
config.InitConfig and the ssconf files from the config's values.  While a
test runs, this process is switched to the virtual node as well
(environment set, pathutils reloaded), so ``pathutils.X`` and
``cli.GetClient()`` point at the daemon; both are restored afterwards.

The yielded object has:

  - ``env``: environment for subprocesses acting as the node (CLI scripts)
  - ``root``: the node root; ``node``: the node's name
  - ``socket_path``: the LUXI socket; ``pidfile``; ``logfile``
  - ``Client(timeouts=None)``: a luxi.Client on the socket
  - ``Start()``, ``Stop()`` (SIGTERM, waits for a clean exit and returns
    the exit code), ``Kill9()``, ``Restart()`` (Stop then Start)
  - ``log_text()``: the daemon's log file so far
  - ``WaitFor(fn, timeout=10, interval=0.02, what=...)``: poll fn until it
    returns a true value, which is returned (tests cannot import conftest
    under --import-mode=importlib, so the helper travels on the object)
  - ``RunMasterd(*args)``: run another masterd process to completion
    (returns subprocess.CompletedProcess), for start-up error tests

The daemon runs in the foreground (``-f``) as a child of the test; it is
always stopped at teardown (killed if it does not stop in time).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import luxi
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf


NODE = "node1.example.com"
NODE_IP = "127.0.1.1"

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
MASTERD = os.path.join(_REPO, "daemons", "ganeti-masterd")

#: How long start/stop may take before the fixture gives up
_DAEMON_TIMEOUT = 15.0


def WaitFor(fn, timeout=10.0, interval=0.02, what="condition"):
  """Poll fn until it returns a true value (returned) or time runs out."""
  deadline = time.monotonic() + timeout
  while True:
    value = fn()
    if value:
      return value
    if time.monotonic() > deadline:
      raise AssertionError("Timed out after %ss waiting for %s" %
                           (timeout, what))
    time.sleep(interval)


def _MakeCluster():
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    drbd_usermode_helper="/bin/true",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=NODE,
    master_ip="127.0.1.254", master_netdev="lo", master_netmask=32,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    enabled_hypervisors=[constants.HT_FAKE],
    candidate_pool_size=10, tcpudp_port_pool=set(),
    uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set(["cluster-tag"]))


def _MakeNode():
  return objects.Node(name=NODE, primary_ip=NODE_IP, secondary_ip=NODE_IP,
                      master_candidate=True, offline=False, drained=False,
                      master_capable=True, vm_capable=True, ndparams={},
                      tags=set(["node-tag"]))


def BuildVirtualNode(root):
  """Write config.data and ssconf files for the one-node cluster.

  The calling process must already be switched to the node (environment
  and pathutils.Reload()).

  """
  for path in (pathutils.DATA_DIR, pathutils.LOCK_DIR, pathutils.RUN_DIR,
               pathutils.LOG_DIR):
    os.makedirs(path, exist_ok=True)
  config.InitConfig(constants.CONFIG_VERSION, _MakeCluster(), _MakeNode())
  cfg = config.ConfigWriter()
  ssconf.WriteSsconfFiles(cfg.GetSsconfValues())
  return cfg


class MasterDaemon:
  """A ganeti-masterd child process on a virtual node (see module doc)."""

  WaitFor = staticmethod(WaitFor)

  def __init__(self, base_dir):
    self.node = NODE
    self.root = os.path.join(base_dir, NODE)
    os.makedirs(self.root)
    self.env = dict(os.environ, GANETI_ROOTDIR=self.root,
                    GANETI_HOSTNAME=NODE)
    self.proc = None
    self.socket_path = None
    self.pidfile = None
    self.logfile = None

  def _SetPaths(self):
    self.socket_path = pathutils.MASTER_SOCKET
    self.pidfile = pathutils.GetPidFilename(constants.MASTERD)
    self.logfile = pathutils.DAEMONS_LOGFILES[constants.MASTERD]

  def Client(self, timeouts=None):
    return luxi.Client(address=self.socket_path, timeouts=timeouts)

  def _Answers(self):
    if self.proc.poll() is not None:
      raise AssertionError("ganeti-masterd exited with %s during start-up;"
                           " log:\n%s" % (self.proc.returncode,
                                          self.log_text()))
    if not os.path.exists(self.socket_path):
      return False
    client = self.Client(timeouts=(1, 5))
    try:
      client.QueryConfigValues(["master_node"])
    except luxi.ProtocolError:
      return False
    finally:
      client.Close()
    return True

  def Start(self, *args):
    """Start masterd in the foreground and wait until it answers."""
    if self.proc is not None and self.proc.poll() is None:
      raise AssertionError("ganeti-masterd is already running")
    self.proc = subprocess.Popen([sys.executable, MASTERD, "-f"] + list(args),
                                 env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
    WaitFor(self._Answers, timeout=_DAEMON_TIMEOUT, interval=0.05,
            what="ganeti-masterd to answer on %s" % self.socket_path)
    return self.proc

  def _Reap(self, timeout):
    try:
      self.proc.wait(timeout)
    finally:
      if self.proc.stderr is not None:
        self.proc.stderr.close()
    return self.proc.returncode

  def Stop(self, timeout=_DAEMON_TIMEOUT):
    """SIGTERM, wait for the exit; returns the exit code."""
    if self.proc is None or self.proc.poll() is not None:
      return None if self.proc is None else self.proc.returncode
    self.proc.send_signal(signal.SIGTERM)
    return self._Reap(timeout)

  def Kill9(self):
    """SIGKILL: no clean-up at all (socket and pid files stay)."""
    if self.proc is not None and self.proc.poll() is None:
      self.proc.kill()
      self._Reap(_DAEMON_TIMEOUT)

  def Restart(self, *args):
    self.Stop()
    return self.Start(*args)

  def RunMasterd(self, *args, env=None, timeout=_DAEMON_TIMEOUT):
    return subprocess.run([sys.executable, MASTERD] + list(args),
                          env=dict(self.env, **(env or {})),
                          capture_output=True, text=True, timeout=timeout)

  def log_text(self):
    try:
      with open(self.logfile) as fd:
        return fd.read()
    except FileNotFoundError:
      return ""

  def Cleanup(self):
    if self.proc is not None and self.proc.poll() is None:
      self.proc.send_signal(signal.SIGTERM)
      try:
        self._Reap(_DAEMON_TIMEOUT)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self._Reap(_DAEMON_TIMEOUT)


@pytest.fixture
def virtual_node():
  """Switch this process to a fresh virtual node with a config; no daemon.

  Yields the MasterDaemon helper (not started).  The node lives in a short
  directory under /tmp rather than in tmp_path: Unix socket paths are
  limited to 107 bytes, and pytest's tmp_path names can exceed that.

  """
  base_dir = tempfile.mkdtemp(prefix="gnt")
  daemon = MasterDaemon(base_dir)
  saved = dict((name, os.environ.get(name))
               for name in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"))
  os.environ["GANETI_ROOTDIR"] = daemon.root
  os.environ["GANETI_HOSTNAME"] = NODE
  pathutils.Reload()
  try:
    daemon._SetPaths()  # pylint: disable=W0212
    BuildVirtualNode(daemon.root)
    yield daemon
  finally:
    daemon.Cleanup()
    for (name, value) in saved.items():
      if value is None:
        os.environ.pop(name, None)
      else:
        os.environ[name] = value
    pathutils.Reload()
    shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture
def master_daemon(virtual_node):
  """A running ganeti-masterd on a one-node virtual cluster."""
  virtual_node.Start()
  return virtual_node
