"""ganeti-masterd: the master daemon.

Layer 6 (entry).  Builds the master's context (configuration, lock
manager, node-call runner, job queue), serves LUXI on the master socket
with one thread per client connection (bounded; further connections wait
for a free slot) and shuts down cleanly on SIGTERM/SIGINT: it stops
accepting clients, lets running opcodes finish for a bounded time, then
stops the job queue (jobs still running are finished as failed by the next
start's queue inspection) and removes its socket and pid file.

Before detaching it checks, by master voting, that the other nodes agree
it is the master (daemons-and-files.md 6); once running it brings the
master IP up (and down again when it stops).  Configuration saves and job
file changes are handed to a `NodeReplicator`, whose own thread pushes
config.data to the master candidates, ssconf to every online node and job
files to the candidates, so neither the config lock nor the job queue ever
waits for another node.

It must not answer LUXI methods itself (masterd_ops.py does) nor execute
opcodes (the job queue and mcpu do).
"""

import collections
import logging
import optparse
import os
import socket
import sys
import threading
import time
from typing import Any, Callable, List, Optional

from ganeti import backend_master
from ganeti import bootstrap
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import jqueue
from ganeti import locking
from ganeti import luxi
from ganeti import netutils
from ganeti import pathutils
from ganeti import rpc
from ganeti import ssconf
from ganeti import utils
from ganeti.server import daemon
from ganeti.server import masterd_ops


#: Client connections served at the same time; more wait for a free slot
MAX_CLIENT_CONNECTIONS = 64

#: How long a shutdown waits for running opcodes before stopping anyway
#: (below daemon-util's 30 s stop timeout)
SHUTDOWN_TIMEOUT = 25.0

#: Interval of the "are jobs still running" check during shutdown
_SHUTDOWN_CHECK_INTERVAL = 0.2

#: How long sending one response may block on a client that does not read
_SEND_TIMEOUT = constants.LUXI_DEF_RWTO

_RECV_SIZE = 65536

#: Longest path a Unix socket can be bound to (sun_path minus the NUL)
_MAX_UNIX_PATH = 107


#: How long a stopping master waits for pending replication
REPLICATION_FLUSH_TIMEOUT = 10.0


class NodeReplicator:
  """Sends configuration and job queue changes to the other nodes.

  Callers only queue work (`ConfigSaved`, `JobFileUpdated`,
  `JobFilesRenamed`) and return at once; one thread sends, in order:
  after a config save, config.data to the master candidates and (when the
  cluster serial or the ssconf values changed) ssconf to every online
  node; job file updates and renames to the master candidates, in the
  order they happened, an update superseded by a later one of the same
  file (with no rename in between) being skipped.  A node that becomes a
  master candidate first gets the whole queue.  Failures are logged by
  bootstrap.CheckReplicationResult (more than half failing: an error).

  """
  def __init__(self, cfg: Any, runner: Any):
    self._cfg = cfg
    self.runner = runner
    self._cond = threading.Condition()
    self._config_dirty = False
    self._items: collections.deque = collections.deque()
    self._busy = False
    self._stopping = False
    self._last_cluster_serial = None
    self._last_ssconf = None
    self._candidates = set(self._OtherCandidates())
    self._thread = threading.Thread(target=self._Run, name="NodeReplicator",
                                    daemon=True)

  def _OtherCandidates(self) -> List[str]:
    master = self._cfg.GetMasterNode()
    return [name for name in self._cfg.GetMasterCandidateList()
            if name != master]

  def Start(self) -> None:
    self._thread.start()

  # producers (any thread, no lock of theirs held while we work)

  def ConfigSaved(self, _file_name: str, _serial_no: int) -> None:
    """ConfigWriter save hook: schedule the distribution."""
    with self._cond:
      self._config_dirty = True
      self._cond.notify_all()

  def JobFileUpdated(self, file_name: str, content: str) -> None:
    """Job queue replication_fn."""
    with self._cond:
      self._items.append(("update", file_name, content))
      self._cond.notify_all()

  def JobFilesRenamed(self, renames: List[tuple]) -> None:
    """Job queue rename_fn."""
    with self._cond:
      self._items.append(("rename", [list(pair) for pair in renames], None))
      self._cond.notify_all()

  # the sender

  def _Run(self) -> None:
    while True:
      with self._cond:
        while not (self._config_dirty or self._items or self._stopping):
          self._cond.wait()
        if self._stopping and not (self._config_dirty or self._items):
          return
        config_dirty = self._config_dirty
        self._config_dirty = False
        items = list(self._items)
        self._items.clear()
        self._busy = True
      try:
        if config_dirty:
          self._SendConfig()
        self._SendQueueItems(items)
      except Exception:  # pylint: disable=W0703
        # the thread must survive anything: the next change retries
        logging.exception("Replication to other nodes failed")
      finally:
        with self._cond:
          self._busy = False
          self._cond.notify_all()

  def _SendConfig(self) -> None:
    cluster_serial = self._cfg.GetClusterInfo().serial_no
    values = self._cfg.GetSsconfValues()
    ssconf_changed = (cluster_serial != self._last_cluster_serial or
                      values != self._last_ssconf)
    candidates = self._OtherCandidates()
    new = [name for name in candidates if name not in self._candidates]
    self._candidates = set(candidates)
    bootstrap.DistributeConfig(self.runner, self._cfg, ssconf_changed,
                               candidates=candidates)
    if ssconf_changed:
      self._last_cluster_serial = cluster_serial
      self._last_ssconf = values
    if new:
      logging.info("New master candidate(s) %s: sending the job queue",
                   utils.CommaJoin(new))
      bootstrap.ReplicateQueueToNodes(self.runner, new)

  @staticmethod
  def _DropSuperseded(items: list) -> list:
    """Skip updates overwritten by a later update before any rename."""
    result = []
    seen = set()
    for item in reversed(items):
      (kind, name, _) = item
      if kind == "rename":
        seen = set()
      elif name in seen:
        continue
      else:
        seen.add(name)
      result.append(item)
    result.reverse()
    return result

  def _SendQueueItems(self, items: list) -> None:
    if not items:
      return
    nodes = sorted(self._candidates)
    if not nodes:
      return
    for (kind, name, content) in self._DropSuperseded(items):
      if kind == "update":
        results = self.runner.call_jobqueue_update(nodes, name, content)
        bootstrap.CheckReplicationResult(results, nodes,
                                         "Replicating %s" % name)
      else:
        results = self.runner.call_jobqueue_rename(nodes, name)
        bootstrap.CheckReplicationResult(results, nodes,
                                         "Renaming %d job file(s)" %
                                         len(name))

  # synchronisation

  def Flush(self, timeout: float) -> bool:
    """Wait until everything queued so far was sent; False on timeout."""
    deadline = time.monotonic() + timeout
    with self._cond:
      while self._config_dirty or self._items or self._busy:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
          return False
        self._cond.wait(remaining)
    return True

  def Stop(self, timeout: float = REPLICATION_FLUSH_TIMEOUT) -> None:
    """Send what is pending (bounded by ``timeout``), then end the thread."""
    if not self._thread.is_alive():
      return
    if not self.Flush(timeout):
      logging.warning("Replication still pending after %s seconds; the"
                      " next master start or redist-conf repairs it",
                      timeout)
    with self._cond:
      self._stopping = True
      self._config_dirty = False
      self._items.clear()
      self._cond.notify_all()
    self._thread.join(timeout)


class GanetiContext:
  """What the master's components share.

  Attributes: ``cfg`` (config.ConfigWriter), ``glm``
  (locking.GanetiLockManager), ``rpc`` (rpc.RpcRunner), ``replicator``
  (NodeReplicator, sending config and job changes to other nodes) and
  ``jobqueue`` (jqueue.JobQueue, created last because it may start jobs
  at once).

  """
  def __init__(self, cfg: Optional[Any] = None, my_name: Optional[str] = None,
               _jobqueue_class: Callable[..., Any] = None):
    """
    @param cfg: the configuration (default: load config.data)
    @param my_name: this node's name (default: the system's)

    """
    if cfg is None:
      cfg = config.ConfigWriter()
    if my_name is None:
      my_name = netutils.Hostname.GetSysName()
    self.my_name = my_name
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = rpc.RpcRunner(cfg)
    # its own runner: the sender thread never shares connections with LUs
    self.replicator = NodeReplicator(cfg, rpc.RpcRunner(cfg))
    self.replicator.Start()
    cfg.SetSaveHook(self.replicator.ConfigSaved)
    self.jobqueue = None
    if _jobqueue_class is None:
      _jobqueue_class = jqueue.JobQueue
    try:
      self.jobqueue = _jobqueue_class(
        self, replication_fn=self.replicator.JobFileUpdated,
        rename_fn=self.replicator.JobFilesRenamed)
    except BaseException:
      self.replicator.Stop(timeout=0)
      raise

  def Shutdown(self, replication_timeout: float = REPLICATION_FLUSH_TIMEOUT
               ) -> None:
    """Stop the job queue, then send what is left to the other nodes."""
    if self.jobqueue is not None:
      self.jobqueue.Shutdown()
    self.cfg.SetSaveHook(None)
    self.replicator.Stop(timeout=replication_timeout)
    self.replicator.runner.Close()
    self.rpc.Close()


class LuxiServer:
  """The Unix socket server handing LUXI requests to ClientOps.

  Each connection gets a thread reading ETX-terminated requests (one at a
  time, answered in order).  At most ``max_connections`` are served at
  once; later ones are accepted but wait until a serving thread is free.
  Requests longer than ``max_request_size`` get an error answer and the
  connection is closed.

  """
  def __init__(self, address: str, ops: Optional[Any] = None,
               max_connections: int = MAX_CLIENT_CONNECTIONS,
               max_request_size: int = luxi.MAX_REQUEST_SIZE):
    if max_connections < 1:
      raise errors.ProgrammerError("LUXI server needs at least one"
                                   " connection slot, got %r" %
                                   (max_connections, ))
    self.address = address
    #: the masterd_ops.ClientOps answering requests; set before Register
    self.ops = ops
    self._max_connections = max_connections
    self._max_request_size = max_request_size
    self._lock = threading.Lock()
    self._active = 0
    self._pending: collections.deque = collections.deque()
    self._connections: set = set()
    self._threads: set = set()
    self._stopping = False
    self._thread_counter = 0
    self.socket: Optional[socket.socket] = None

  # listening

  def Listen(self) -> None:
    """Bind and listen; a stale socket file is replaced atomically.

    The socket is bound under a temporary name, made 0770 and then renamed
    over the final path, so clients never see a half-set-up socket.

    """
    if len(os.fsencode(self.address)) > _MAX_UNIX_PATH:
      raise errors.GenericError("Socket path %s is too long for a Unix"
                                " socket (%d bytes, at most %d)" %
                                (self.address, len(os.fsencode(self.address)),
                                 _MAX_UNIX_PATH))
    sock_dir = os.path.dirname(self.address)
    if not os.path.isdir(sock_dir):
      os.makedirs(sock_dir, 0o750, exist_ok=True)
    utils.EnsureDirs([(sock_dir, 0o750)])
    # short on purpose: it must fit the Unix socket path limit too
    tmp_path = os.path.join(sock_dir, ".t%d" % os.getpid())
    utils.RemoveFile(tmp_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
      sock.bind(tmp_path)
      os.chmod(tmp_path, 0o770)
      sock.listen(128)
      os.rename(tmp_path, self.address)
    except BaseException:
      sock.close()
      utils.RemoveFile(tmp_path)
      raise
    sock.setblocking(False)
    self.socket = sock
    logging.info("Listening for LUXI clients on %s", self.address)

  def Register(self, mainloop: daemon.Mainloop) -> None:
    if self.ops is None:
      raise errors.ProgrammerError("LUXI server has no request handler")
    mainloop.RegisterReader(self.socket, self._Accept)

  def StopListening(self, mainloop: Optional[daemon.Mainloop] = None) -> None:
    """Refuse new clients: close and remove the listening socket."""
    if self.socket is None:
      return
    if mainloop is not None:
      mainloop.UnregisterReader(self.socket)
    self.socket.close()
    self.socket = None
    utils.RemoveFile(self.address)
    logging.info("No longer accepting LUXI clients")

  def _Accept(self, sock: socket.socket) -> None:
    try:
      (conn, _) = sock.accept()
    except (BlockingIOError, InterruptedError):
      return
    except OSError as err:
      logging.error("Accepting a LUXI client failed: %s", err)
      return
    conn.setblocking(True)
    with self._lock:
      if self._stopping:
        conn.close()
        return
      self._connections.add(conn)
      if self._active >= self._max_connections:
        logging.warning("%d LUXI clients are being served, a new one waits"
                        " for a free slot", self._active)
        self._pending.append(conn)
        return
      self._active += 1
      self._thread_counter += 1
      name = "LuxiClient%d" % self._thread_counter
    thread = threading.Thread(target=self._ServeLoop, args=(conn, ),
                              name=name, daemon=True)
    with self._lock:
      self._threads.add(thread)
    thread.start()

  # serving

  @property
  def active_connections(self) -> int:
    with self._lock:
      return self._active

  def _ServeLoop(self, conn: socket.socket) -> None:
    """Serve a connection, then waiting ones, while there are any."""
    try:
      while conn is not None:
        try:
          self._ServeConnection(conn)
        except Exception:  # pylint: disable=W0703
          logging.exception("Unexpected error serving a LUXI client")
        finally:
          with self._lock:
            self._connections.discard(conn)
          conn.close()
        with self._lock:
          if self._pending and not self._stopping:
            conn = self._pending.popleft()
          else:
            conn = None
            self._active -= 1
    finally:
      with self._lock:
        self._threads.discard(threading.current_thread())

  def _Send(self, conn: socket.socket, data: bytes) -> bool:
    conn.settimeout(_SEND_TIMEOUT)
    try:
      conn.sendall(data)
    except OSError as err:
      logging.info("LUXI client went away before its answer was sent: %s",
                   err)
      return False
    finally:
      conn.settimeout(None)
    return True

  def _ServeConnection(self, conn: socket.socket) -> None:
    frames = luxi.FrameBuffer(max_size=self._max_request_size)
    while True:
      try:
        data = conn.recv(_RECV_SIZE)
      except OSError as err:
        logging.debug("LUXI connection error: %s", err)
        return
      if not data:
        return
      try:
        messages = frames.Feed(data)
      except luxi.MessageTooLarge as err:
        logging.warning("Closing LUXI connection: %s", err)
        answer = luxi.FormatResponse(False, "Caught exception: %s" % err,
                                     version=constants.LUXI_VERSION)
        self._Send(conn, luxi.EncodeMessage(answer))
        return
      for message in messages:
        if not self._Send(conn, masterd_ops.ProcessFrame(self.ops, message)):
          return

  def CloseConnections(self, timeout: float) -> None:
    """Disconnect every client and wait (bounded) for their threads."""
    with self._lock:
      self._stopping = True
      conns = list(self._connections)
      pending = list(self._pending)
      self._pending.clear()
    for conn in pending:
      conn.close()
    for conn in conns:
      try:
        conn.shutdown(socket.SHUT_RDWR)
      except OSError:
        pass
    deadline = time.monotonic() + timeout
    while True:
      with self._lock:
        threads = list(self._threads)
      if not threads:
        break
      remaining = deadline - time.monotonic()
      if remaining <= 0:
        logging.warning("%d LUXI client threads still busy at exit",
                        len(threads))
        break
      threads[0].join(remaining)


class _ShutdownWaiter:
  """shutdown_wait_fn for the main loop: drain the queue, bounded."""

  def __init__(self, server: LuxiServer, jobqueue: Any,
               mainloop: daemon.Mainloop, timeout: float):
    self._server = server
    self._jobqueue = jobqueue
    self._mainloop = mainloop
    self._timeout = timeout
    self._deadline = None

  def __call__(self) -> Optional[float]:
    if self._deadline is None:
      self._deadline = time.monotonic() + self._timeout
      self._server.StopListening(self._mainloop)
    if not self._jobqueue.PrepareShutdown():
      return None
    if time.monotonic() >= self._deadline:
      logging.warning("Jobs still running after %s seconds; stopping anyway"
                      " (the next start finishes them as failed)",
                      self._timeout)
      return None
    return _SHUTDOWN_CHECK_INTERVAL


# -- daemon functions ----------------------------------------------------------


def _ConfirmNoVoting(stdin: Any = None, stdout: Any = None) -> bool:
  """Ask on the terminal for "YES" before starting without voting."""
  if stdin is None:
    stdin = sys.stdin
  if stdout is None:
    stdout = sys.stdout
  stdout.write("The 'no voting' option has been selected.\n"
               "This is dangerous, please confirm by typing uppercase"
               " 'yes': ")
  stdout.flush()
  return stdin.readline().strip() == "YES"


def _CheckAgreement(debug: int = 0) -> bool:
  """Master voting over the nodes of our configuration.

  Runs in a child process before the daemon logs anywhere: the votes go
  to the master daemon's log file (and stderr), so a refusal can be
  understood afterwards.

  """
  utils.SetupLogging(pathutils.GetLogFilename(constants.MASTERD),
                     constants.MASTERD, debug=debug, stderr_logging=True)
  node_list = config.ConfigWriter().GetNodeList()
  return bootstrap.CheckAgreement(node_list)


def CheckMasterd(options: Any, _args: list) -> None:
  """Before detaching: master by ssconf, config.data loadable, voting.

  Exits EXIT_NOTMASTER (silently unless debugging) on another node,
  EXIT_FAILURE with an upgrade hint for a configuration of another
  version, and EXIT_FAILURE when the other nodes do not agree that this
  node is the master (or, with --no-voting, the operator did not confirm).

  """
  ssconf.CheckMaster(options.debug)
  try:
    config.ConfigWriter()
  except errors.ConfigVersionMismatch as err:
    sys.stderr.write("Configuration version mismatch (expected %s, found"
                     " %s). The configuration must be upgraded (run the"
                     " cfgupgrade tool) before the master daemon can start."
                     "\nAborting.\n" % tuple(err.args[:2]))
    sys.exit(constants.EXIT_FAILURE)
  except errors.ConfigurationError as err:
    sys.stderr.write("Configuration error: %s\nAborting.\n" % (err, ))
    sys.exit(constants.EXIT_FAILURE)

  if getattr(options, "no_voting", False):
    if not getattr(options, "yes_do_it", False) and not _ConfirmNoVoting():
      sys.stderr.write("Aborting.\n")
      sys.exit(constants.EXIT_FAILURE)
    return
  # RPC uses threads and curl handles, which must not exist in the process
  # that forks the daemon: vote in a child process
  try:
    agreed = utils.RunInSeparateProcess(_CheckAgreement, options.debug)
  except errors.GenericError as err:
    sys.stderr.write("Master voting failed: %s\n" % err)
    sys.exit(constants.EXIT_FAILURE)
  if not agreed:
    sys.stderr.write("The other nodes do not agree that this node is the"
                     " master (see %s); aborting. Use --no-voting if you"
                     " understand what effects it has on the cluster"
                     " state.\n" % pathutils.GetLogFilename(constants.MASTERD))
    sys.exit(constants.EXIT_FAILURE)


def _MasterIpParams(cfg: Any) -> tuple:
  params = bootstrap.GetMasterNetworkParameters(cfg)
  return (params, cfg.GetUseExternalMipScript())


def ActivateMasterIp(cfg: Any) -> None:
  """Bring the master IP up on this node; a failure is only logged."""
  (params, ems) = _MasterIpParams(cfg)
  try:
    backend_master.ActivateMasterIp(params, ems)
  except Exception as err:  # pylint: disable=W0703
    logging.error("Could not activate the master IP %s on %s: %s",
                  params.ip, params.netdev, err)


def DeactivateMasterIp(cfg: Any) -> None:
  """Take the master IP down on this node; a failure is only logged."""
  (params, ems) = _MasterIpParams(cfg)
  try:
    backend_master.DeactivateMasterIp(params, ems)
  except Exception as err:  # pylint: disable=W0703
    logging.error("Could not deactivate the master IP %s on %s: %s",
                  params.ip, params.netdev, err)


def _EnsureQueueDirs() -> None:
  for path in (pathutils.DATA_DIR, pathutils.QUEUE_DIR,
               pathutils.JOB_QUEUE_ARCHIVE_DIR):
    if not os.path.isdir(path):
      os.makedirs(path, 0o700, exist_ok=True)


def PrepMasterd(_options: Any, _args: list) -> tuple:
  """After detaching: bind the socket and build the context.

  Errors here reach the waiting parent, which exits non-zero.

  """
  _EnsureQueueDirs()
  server = LuxiServer(pathutils.MASTER_SOCKET)
  server.Listen()
  try:
    context = GanetiContext()
  except BaseException:
    server.StopListening()
    raise
  server.ops = masterd_ops.ClientOps(context)
  ActivateMasterIp(context.cfg)
  return (server, context)


def ExecMasterd(_options: Any, _args: list, prepared: tuple,
                shutdown_timeout: float = SHUTDOWN_TIMEOUT) -> None:
  """Serve until SIGTERM/SIGINT, then shut down cleanly."""
  (server, context) = prepared
  mainloop = daemon.Mainloop()
  try:
    server.Register(mainloop)
    waiter = _ShutdownWaiter(server, context.jobqueue, mainloop,
                             shutdown_timeout)
    try:
      mainloop.Run(shutdown_wait_fn=waiter)
    finally:
      server.StopListening(mainloop)
      logging.info("Stopping the job queue")
      context.Shutdown()
      server.CloseConnections(timeout=2.0)
      DeactivateMasterIp(context.cfg)
  finally:
    mainloop.Close()


def Main(argv: Optional[list] = None) -> int:
  """Entry point of daemons/ganeti-masterd."""
  parser = optparse.OptionParser(description="Ganeti master daemon",
                                 usage="%prog [-f] [-d] [--no-voting"
                                 " [--yes-do-it]]",
                                 version="%%prog (ganeti) %s" %
                                 constants.RELEASE_VERSION)
  parser.add_option("--no-voting", dest="no_voting", default=False,
                    action="store_true",
                    help="Do not check that the nodes agree on this node"
                    " being the master before starting (dangerous)")
  parser.add_option("--yes-do-it", dest="yes_do_it", default=False,
                    action="store_true",
                    help="With --no-voting: do not ask for confirmation")
  return daemon.GenericMain(constants.MASTERD, parser, CheckMasterd,
                            PrepMasterd, ExecMasterd, multithreaded=True,
                            argv=argv)
