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

  - ``StartNoded()``: start ganeti-noded (foreground, bound to the node's
    address); ``master_daemon`` does so before masterd, since the master
    reaches even its own node through RPC

The daemons run in the foreground (``-f``) as children of the test; they
are always stopped at teardown (killed if they do not stop in time), and
the master IP masterd brings up on ``lo`` is removed.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from ganeti import backend_master
from ganeti import config
from ganeti import constants
from ganeti import luxi
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.tools import vcluster_setup


NODE = "node1.example.com"
NODE_IP = "127.0.1.1"

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
MASTERD = os.path.join(_REPO, "daemons", "ganeti-masterd")
NODED = os.path.join(_REPO, "daemons", "ganeti-noded")

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


_CERT_PEM = []


def _WriteClusterCert():
  """server.pem for the node; generated once per test session (RSA is slow)."""
  if not _CERT_PEM:
    (key_pem, cert_pem) = utils.GenerateSelfSignedX509Cert(
      constants.X509_CERT_CN, 86400)
    _CERT_PEM.append(key_pem + cert_pem)
  utils.WriteFile(pathutils.NODED_CERT_FILE, data=_CERT_PEM[0], mode=0o400)


def BuildVirtualNode(root):
  """Write config.data, ssconf files and server.pem for the one-node cluster.

  The calling process must already be switched to the node (environment
  and pathutils.Reload()).

  """
  for path in (pathutils.DATA_DIR, pathutils.LOCK_DIR, pathutils.RUN_DIR,
               pathutils.LOG_DIR):
    os.makedirs(path, exist_ok=True)
  _WriteClusterCert()
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
    self.noded = None
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

  def StartNoded(self):
    """Start ganeti-noded in the foreground; wait for its port."""
    if self.noded is not None and self.noded.poll() is None:
      return self.noded
    self.noded = subprocess.Popen([sys.executable, NODED, "-f", "--no-mlock",
                                   "-b", NODE_IP], env=self.env,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
    port = netutils.GetDaemonPort(constants.NODED)

    def _Up():
      if self.noded.poll() is not None:
        raise AssertionError("ganeti-noded exited with %s during start-up" %
                             self.noded.returncode)
      return netutils.TcpPing(NODE_IP, port, timeout=0.5,
                              live_port_needed=True)
    WaitFor(_Up, timeout=_DAEMON_TIMEOUT, interval=0.05,
            what="ganeti-noded to listen on %s:%s" % (NODE_IP, port))
    return self.noded

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
    if self.noded is not None and self.noded.poll() is None:
      self.noded.send_signal(signal.SIGTERM)
      try:
        self.noded.wait(_DAEMON_TIMEOUT)
      except subprocess.TimeoutExpired:
        self.noded.kill()
        self.noded.wait(_DAEMON_TIMEOUT)
    # masterd brings the master IP up on lo; a killed one leaves it there
    cluster = _MakeCluster()
    params = objects.MasterNetworkParameters(
      name=NODE, ip=cluster.master_ip, netmask=cluster.master_netmask,
      netdev=cluster.master_netdev, ip_family=cluster.primary_ip_family)
    try:
      backend_master.DeactivateMasterIp(params, False)
    except Exception:  # pylint: disable=W0703
      pass


@pytest.fixture
def virtual_node():
  """Switch this process to a fresh virtual node with a config; no daemon.

  Yields the MasterDaemon helper (not started).  The node lives in a short
  directory under /tmp rather than in tmp_path: Unix socket paths are
  limited to 107 bytes, and pytest's tmp_path names can exceed that.

  """
  base_dir = tempfile.mkdtemp(prefix="gnt")
  # names resolve through the cluster directory's hosts file
  cluster = _MakeCluster()
  utils.WriteFile(os.path.join(base_dir, "hosts"), mode=0o644,
                  data="%s %s %s\n%s %s %s\n" %
                  (NODE_IP, NODE, NODE.split(".")[0], cluster.master_ip,
                   cluster.cluster_name, cluster.cluster_name.split(".")[0]))
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
  """A running ganeti-masterd (and ganeti-noded) on a one-node cluster."""
  virtual_node.StartNoded()
  virtual_node.Start()
  return virtual_node


# -- virtual_cluster -----------------------------------------------------------

VCLUSTER_SETUP = os.path.join(_REPO, "tools", "vcluster-setup")

#: How long one cluster command (init, node add, failover...) may take
_COMMAND_TIMEOUT = 120


class VirtualCluster:
  """A live cluster of virtual nodes (see `virtual_cluster`)."""

  WaitFor = staticmethod(WaitFor)

  def __init__(self, base_dir, count, base_address):
    self.dir = base_dir
    self.base_address = base_address
    result = subprocess.run([sys.executable, VCLUSTER_SETUP, "-a",
                             base_address, base_dir, str(count)],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
      raise AssertionError("vcluster-setup failed: %s" % result.stderr)
    self.nodes = ["node%d.vcluster.test" % i for i in range(1, count + 1)]
    self.cluster_name = "cluster.vcluster.test"
    self.hosts_file = os.path.join(base_dir, "hosts")
    self.master_ip = self._Addresses()[self.cluster_name]

  def _Addresses(self):
    result = {}
    for line in utils.ReadFile(self.hosts_file).splitlines():
      fields = line.split()
      if fields and not fields[0].startswith("#"):
        for name in fields[1:]:
          result[name] = fields[0]
    return result

  def Root(self, node):
    return os.path.join(self.dir, node)

  def Path(self, node, name):
    """A pathutils path (e.g. "CLUSTER_CONF_FILE") on ``node``."""
    return pathutils.ComputePaths(self.Root(node))[name]

  def Run(self, node, argv, check=False, timeout=_COMMAND_TIMEOUT):
    """Run argv as ``node`` (through its cmd wrapper)."""
    result = subprocess.run([os.path.join(self.Root(node), "cmd")] +
                            list(argv), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=timeout)
    if check and result.returncode != 0:
      raise AssertionError("%s on %s failed (%s):\n%s%s" %
                           (" ".join(argv), node, result.returncode,
                            result.stdout, result.stderr))
    return result

  @property
  def master(self):
    """The master according to the first node's ssconf."""
    return utils.ReadFile(os.path.join(self.Path(self.nodes[0], "DATA_DIR"),
                                       "ssconf_master_node")).strip()

  def Client(self, node=None):
    """A luxi.Client on the master's socket (or ``node``'s)."""
    return luxi.Client(address=self.Path(node or self.master,
                                         "MASTER_SOCKET"))

  def Init(self, *options):
    self.Run(self.nodes[0],
             ["gnt-cluster", "init", "--no-lvm-storage", "--no-drbd-storage",
              "--master-netdev", "lo", "--enabled-hypervisors", "fake",
              "--no-ssh-init"] + list(options) + [self.cluster_name],
             check=True)

  def AddNode(self, node):
    self.Run(self.master, ["gnt-node", "add", node], check=True)

  def NodedPid(self, node):
    return utils.ReadLockedPidFile(
      os.path.join(self.Path(node, "RUN_DIR"), "%s.pid" % constants.NODED))

  def KillNoded(self, node):
    """SIGKILL the node daemon of ``node`` (a crash, no clean-up)."""
    pid = self.NodedPid(node)
    if pid:
      os.kill(pid, signal.SIGKILL)
      WaitFor(lambda: self.NodedPid(node) is None, what="noded to die")

  def StartNoded(self, node):
    self.Run(node, ["daemon-util", "start", constants.NODED], check=True)

  def Stop(self):
    """stop-all on every node."""
    return subprocess.run([os.path.join(self.dir, "stop-all")],
                          capture_output=True, text=True,
                          timeout=_COMMAND_TIMEOUT)

  def Cleanup(self):
    try:
      self.Stop()
    finally:
      # instances outlive their node daemons, as on real nodes
      vcluster_setup.KillGuests(self.dir)
      # masterd takes its IP down when stopped; a killed one does not
      addresses = set(self._Addresses().values()) | set([self.master_ip])
      try:
        present = set(netutils.GetInterfaceIpAddresses("lo")[4])
      except Exception:  # pylint: disable=W0703
        present = set()
      for address in sorted(addresses & present):
        if address == "127.0.0.1":
          continue
        params = objects.MasterNetworkParameters(
          name="", ip=address, netmask=32, netdev="lo",
          ip_family=socket.AF_INET)
        try:
          backend_master.DeactivateMasterIp(params, False)
        except Exception:  # pylint: disable=W0703
          subprocess.run(["ip", "address", "del", "%s/32" % address, "dev",
                          "lo"], capture_output=True)
      shutil.rmtree(self.dir, ignore_errors=True)


def _RandomBaseAddress():
  # a /16 of its own for each cluster: tests of other modules (and other
  # checkouts) use 127.0.x.y, and every node binds port 1811 on its address
  rnd = random.Random()
  return "127.%d.%d.1" % (rnd.randint(100, 250), rnd.randint(0, 250))


@pytest.fixture
def virtual_cluster():
  """Factory of live virtual clusters, all cleaned up after the test.

  ``virtual_cluster(n, init=True, add_nodes=True, init_options=())``
  creates n virtual nodes with tools/vcluster-setup in a short directory
  under /tmp (node<i>.vcluster.test on consecutive 127.a.b.x addresses
  of a random block, cluster name cluster.vcluster.test on the next
  address), runs ``gnt-cluster init`` (LVM and DRBD off, master netdev
  ``lo``, hypervisor fake, no SSH setup) on node1 through its ``cmd``
  wrapper, which starts node1's noded and masterd, and adds the other
  nodes with ``gnt-node add`` (which gives each its certificate and
  starts its noded: a node without the cluster certificate cannot
  serve).  With add_nodes=False the nodes stay outside the cluster and
  ``AddNode(name)`` adds one.

  The returned VirtualCluster has ``nodes``, ``master`` (from node1's
  ssconf), ``cluster_name``, ``master_ip``, ``dir``, ``Root(node)``,
  ``Path(node, PATHUTILS_NAME)``, ``Run(node, argv, check=False)`` ->
  CompletedProcess, ``Client(node=None)`` (LUXI to the master),
  ``Init(*options)``, ``AddNode(node)``, ``KillNoded(node)`` (SIGKILL),
  ``StartNoded(node)``, ``Stop()`` (stop-all) and ``WaitFor``.  At
  teardown every daemon is stopped, every cluster address is removed
  from ``lo`` and the directory is deleted.

  """
  clusters = []

  def _Make(count, init=True, add_nodes=True, init_options=()):
    base_dir = tempfile.mkdtemp(prefix="gvc")
    try:
      cluster = VirtualCluster(base_dir, count, _RandomBaseAddress())
    except BaseException:
      shutil.rmtree(base_dir, ignore_errors=True)
      raise
    clusters.append(cluster)
    if init:
      cluster.Init(*init_options)
      if add_nodes:
        for node in cluster.nodes[1:]:
          cluster.AddNode(node)
    return cluster

  try:
    yield _Make
  finally:
    for cluster in clusters:
      cluster.Cleanup()
