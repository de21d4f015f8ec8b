"""ganeti-masterd: the master daemon.

Layer 6 (entry).  Builds the master's context (configuration, lock
manager, node-call runner, job queue), serves LUXI on the master socket
with one thread per client connection (bounded; further connections wait
for a free slot) and shuts down cleanly on SIGTERM/SIGINT: it stops
accepting clients, lets running opcodes finish for a bounded time, then
stops the job queue (jobs still running are finished as failed by the next
start's queue inspection) and removes its socket and pid file.

It must not answer LUXI methods itself (masterd_ops.py does) nor execute
opcodes (the job queue and mcpu do).  Master voting and the master IP
arrive with the node daemon.
"""

import collections
import logging
import optparse
import os
import socket
import sys
import threading
import time
from typing import Any, Callable, Optional

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import jqueue
from ganeti import locking
from ganeti import luxi
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti.cmdlib import local_rpc
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


class GanetiContext:
  """What the master's components share.

  Attributes: ``cfg`` (config.ConfigWriter), ``glm``
  (locking.GanetiLockManager), ``rpc`` (node-call runner) and ``jobqueue``
  (jqueue.JobQueue, created last because it may start jobs at once).

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
    self.cfg = cfg
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())
    self.rpc = local_rpc.LocalRpcRunner(self, my_name)
    self.jobqueue = None
    if _jobqueue_class is None:
      _jobqueue_class = jqueue.JobQueue
    self.jobqueue = _jobqueue_class(self)


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


def CheckMasterd(options: Any, _args: list) -> None:
  """Before detaching: this node must be the master, config.data loadable.

  Exits EXIT_NOTMASTER (silently unless debugging) on another node and
  EXIT_FAILURE with an upgrade hint for a configuration of another version.

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
      context.jobqueue.Shutdown()
      server.CloseConnections(timeout=2.0)
  finally:
    mainloop.Close()


def Main(argv: Optional[list] = None) -> int:
  """Entry point of daemons/ganeti-masterd."""
  parser = optparse.OptionParser(description="Ganeti master daemon",
                                 usage="%prog [-f] [-d]",
                                 version="%%prog (ganeti) %s" %
                                 constants.RELEASE_VERSION)
  return daemon.GenericMain(constants.MASTERD, parser, CheckMasterd,
                            PrepMasterd, ExecMasterd, multithreaded=True,
                            argv=argv)
