"""What every Ganeti daemon does the same way: start, run, stop.

Layer 6 (entry).  `GenericMain` parses the common flags (-f/--foreground,
-d/--debug, --syslog, and for network daemons the port, bind address and
SSL options), runs the daemon's own checks, detaches (double fork; the
original process waits on a pipe and reports start-up errors, exiting
non-zero), takes the pid file with an exclusive lock held for the daemon's
life, sets up logging to the daemon's own log file (SIGHUP reopens it),
then hands over to the daemon's prepare and exec functions.  `Mainloop`
waits for sockets and for SIGTERM/SIGINT, and runs a clean shutdown.

It must not contain anything specific to one daemon (masterd, noded, ...),
and no asyncore (gone in Python 3.12): selectors and threads only.
"""

import logging
import optparse
import os
import selectors
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable, Optional

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils


class Mainloop:
  """Waits for readable sockets and stop requests in the main thread.

  Readers are callbacks run in the loop's thread when their file object is
  readable.  SIGTERM and SIGINT (while `Run` is active) and `RequestStop`
  (from any thread) start the shutdown: ``shutdown_wait_fn`` is called
  repeatedly; it returns None when the daemon may exit, or the number of
  seconds after which to ask again (the loop keeps serving meanwhile).

  """
  def __init__(self):
    self._selector = selectors.DefaultSelector()
    (self._wake_r, self._wake_w) = socket.socketpair()
    self._wake_r.setblocking(False)
    self._wake_w.setblocking(False)
    self._selector.register(self._wake_r, selectors.EVENT_READ, None)
    self._stop_lock = threading.Lock()
    self._stop_reason: Optional[str] = None
    self.received_signals: list = []

  def RegisterReader(self, fileobj: Any, callback: Callable[[Any], None]
                     ) -> None:
    """Call ``callback(fileobj)`` whenever fileobj is readable."""
    self._selector.register(fileobj, selectors.EVENT_READ, callback)

  def UnregisterReader(self, fileobj: Any) -> None:
    """Stop watching fileobj (unknown objects are ignored)."""
    try:
      self._selector.unregister(fileobj)
    except (KeyError, ValueError):
      pass

  def _Wake(self) -> None:
    try:
      self._wake_w.send(b"\0")
    except (BlockingIOError, OSError):
      # a full wake-up pipe already guarantees a wake-up
      pass

  def RequestStop(self, reason: str = "stop requested") -> None:
    """Start the shutdown as if a SIGTERM had arrived; thread-safe."""
    with self._stop_lock:
      if self._stop_reason is None:
        self._stop_reason = reason
    self._Wake()

  def _SignalHandler(self, signum, _frame) -> None:
    self.received_signals.append(signum)
    self.RequestStop("signal %d" % signum)

  def _Drain(self) -> None:
    try:
      while self._wake_r.recv(4096):
        pass
    except (BlockingIOError, OSError):
      pass

  def Run(self, shutdown_wait_fn: Optional[Callable[[], Any]] = None,
          handle_signals: bool = True) -> None:
    """Serve until a stop request and ``shutdown_wait_fn`` agree to exit.

    With handle_signals (the default) it must be called from the main
    thread: SIGTERM/SIGINT handlers are installed here and restored on
    return.  Without, only `RequestStop` ends the loop.

    """
    old_handlers = {}
    if handle_signals:
      for signum in (signal.SIGTERM, signal.SIGINT):
        old_handlers[signum] = signal.signal(signum, self._SignalHandler)
    try:
      self._Loop(shutdown_wait_fn)
    finally:
      for (signum, handler) in old_handlers.items():
        signal.signal(signum, handler)

  def _Loop(self, shutdown_wait_fn) -> None:
    stopping = False
    next_check = 0.0
    while True:
      timeout = None
      if stopping:
        timeout = max(0.0, next_check - time.monotonic())
      for (key, _) in self._selector.select(timeout):
        if key.fileobj is self._wake_r:
          self._Drain()
        else:
          key.data(key.fileobj)
      with self._stop_lock:
        reason = self._stop_reason
      if reason is not None and not stopping:
        logging.info("Shutdown requested (%s)", reason)
        stopping = True
        next_check = time.monotonic()
      if stopping and time.monotonic() >= next_check:
        if shutdown_wait_fn is None:
          return
        delay = shutdown_wait_fn()
        if delay is None:
          return
        next_check = time.monotonic() + delay

  def Close(self) -> None:
    """Release the loop's own descriptors."""
    self._selector.close()
    self._wake_r.close()
    self._wake_w.close()


# -- option handling ---------------------------------------------------------


def _DefaultBindAddress() -> str:
  """0.0.0.0, or :: when the cluster's primary IP family is IPv6."""
  try:
    family = ssconf.SimpleStore().GetPrimaryIPFamily()
  except errors.ConfigurationError:
    family = socket.AF_INET
  if family == socket.AF_INET6:
    return constants.IP6_ADDRESS_ANY
  return constants.IP4_ADDRESS_ANY


def _AddCommonOptions(parser: optparse.OptionParser, daemon_name: str,
                      default_ssl_cert: Optional[str],
                      default_ssl_key: Optional[str]) -> None:
  parser.add_option("-f", "--foreground", dest="fork", action="store_false",
                    default=True, help="Don't detach from the current"
                    " terminal")
  parser.add_option("-d", "--debug", dest="debug", action="store_true",
                    default=False, help="Enable some debug messages")
  parser.add_option("--syslog", dest="syslog", default=constants.SYSLOG_USAGE,
                    type="choice",
                    choices=sorted(constants.SYSLOG_USAGE_VALUES),
                    help="Enable logging to syslog (%s; default %s)" %
                    (", ".join(sorted(constants.SYSLOG_USAGE_VALUES)),
                     constants.SYSLOG_USAGE))
  if daemon_name in constants.DAEMONS_PORTS:
    parser.add_option("-p", "--port", dest="port", type="int", default=None,
                      help="Network port (default: the services database"
                      " entry of %s, else %d)" %
                      (daemon_name, constants.DAEMONS_PORTS[daemon_name][1]))
    parser.add_option("-b", "--bind", dest="bind_address", default=None,
                      metavar="ADDRESS", help="Bind address (default:"
                      " 0.0.0.0, or :: on IPv6 clusters)")
  if default_ssl_cert is not None:
    parser.add_option("--no-ssl", dest="ssl", action="store_false",
                      default=True, help="Do not secure HTTP protocol with"
                      " SSL")
    parser.add_option("-K", "--ssl-key", dest="ssl_key",
                      default=default_ssl_key, metavar="SSL_KEY_PATH",
                      help="SSL key path")
    parser.add_option("-C", "--ssl-cert", dest="ssl_cert",
                      default=default_ssl_cert, metavar="SSL_CERT_PATH",
                      help="SSL certificate path")


def _Fail(message: str) -> None:
  sys.stderr.write("%s\n" % message)
  sys.stderr.flush()
  sys.exit(constants.EXIT_FAILURE)


def _FinishNetworkOptions(options: Any, daemon_name: str) -> None:
  if daemon_name not in constants.DAEMONS_PORTS:
    return
  if options.port is None:
    options.port = netutils.GetDaemonPort(daemon_name)
  else:
    try:
      options.port = netutils.ValidatePortNumber(options.port)
    except errors.GenericError as err:
      _Fail("Invalid port %s: %s" % (options.port, err))
  if options.bind_address is None:
    options.bind_address = _DefaultBindAddress()
  elif not netutils.IPAddress.IsValid(options.bind_address):
    _Fail("Invalid bind address '%s': not an IPv4 or IPv6 address" %
          options.bind_address)


def _CheckSslOptions(options: Any, default_ssl_cert: Optional[str]) -> None:
  if default_ssl_cert is None or not options.ssl:
    return
  if not (options.ssl_cert and options.ssl_key):
    _Fail("Need key and certificate to use SSL")
  for fname in (options.ssl_cert, options.ssl_key):
    if not os.path.isfile(fname):
      _Fail("Need SSL file %s to run (use --no-ssl to run without SSL)" %
            fname)


def _LogFileFor(daemon_name: str) -> str:
  logfile = pathutils.DAEMONS_LOGFILES.get(daemon_name)
  if logfile is None:
    logfile = pathutils.GetLogFilename(daemon_name)
  return logfile


def _EnsureDaemonDirs() -> None:
  """Create the run and log directories (a fresh virtual node has none)."""
  for (path, mode) in [(pathutils.RUN_DIR, 0o775),
                       (pathutils.LOG_DIR, 0o770)]:
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
      os.makedirs(parent, 0o755, exist_ok=True)
    utils.EnsureDirs([(path, mode)])


class _StartupReporter:
  """Where start-up errors go: the parent's pipe, or stderr."""

  def __init__(self, wpipe: Optional[int]):
    self._wpipe = wpipe

  def Fail(self, message: str) -> None:
    logging.error("Start-up failed: %s", message)
    if self._wpipe is not None:
      utils.WriteErrorToFD(self._wpipe, message)
      utils.CloseFdNoError(self._wpipe)
      self._wpipe = None
    else:
      sys.stderr.write("%s\n" % message)
      sys.stderr.flush()
    # logging handlers are flushed by the interpreter's exit
    sys.exit(constants.EXIT_FAILURE)

  def Done(self) -> None:
    if self._wpipe is not None:
      utils.CloseFdNoError(self._wpipe)
      self._wpipe = None


def _StopDuringStartup(signum, _frame) -> None:
  logging.info("Signal %d before the main loop ran: exiting", signum)
  raise SystemExit(constants.EXIT_SUCCESS)


def GenericMain(daemon_name: str, optionparser: optparse.OptionParser,
                check_fn: Optional[Callable[[Any, list], None]],
                prepare_fn: Optional[Callable[[Any, list], Any]],
                exec_fn: Callable[[Any, list, Any], Any],
                multithreaded: bool = False, console_logging: bool = False,
                default_ssl_cert: Optional[str] = None,
                default_ssl_key: Optional[str] = None,
                warn_breach: bool = False, argv: Optional[list] = None) -> int:
  """Run a daemon from the command line to its clean exit.

  @param daemon_name: e.g. constants.MASTERD; names the pid and log files
  @param optionparser: parser with the daemon's own options (the common
      ones are added here)
  @param check_fn: check_fn(options, args), before detaching; may exit
  @param prepare_fn: prepare_fn(options, args) -> value, after detaching
      and logging set-up; an exception here is a start-up error the parent
      reports (exit 1)
  @param exec_fn: exec_fn(options, args, prepared value): the daemon's life
  @param multithreaded: put the thread name into log lines
  @param console_logging: report log write failures on the console
  @param default_ssl_cert: adds --no-ssl/-K/-C with this default cert
  @param default_ssl_key: default of -K
  @param warn_breach: warn that debug logging may reveal secrets
  @param argv: arguments instead of sys.argv[1:]
  @return: constants.EXIT_SUCCESS after exec_fn returned

  """
  _AddCommonOptions(optionparser, daemon_name, default_ssl_cert,
                    default_ssl_key)
  (options, args) = optionparser.parse_args(args=argv)
  if args:
    _Fail("Usage: %s [-f] [-d]; this daemon takes no arguments, got: %s" %
          (optionparser.get_prog_name(), " ".join(args)))
  _FinishNetworkOptions(options, daemon_name)
  _CheckSslOptions(options, default_ssl_cert)

  if check_fn is not None:
    check_fn(options, args)

  if options.debug and warn_breach:
    sys.stderr.write("WARNING: %s runs in debug mode and may log secrets"
                     " (passwords, keys) it handles\n" % daemon_name)

  try:
    _EnsureDaemonDirs()
  except (EnvironmentError, errors.GenericError) as err:
    _Fail("Cannot create the directories %s needs: %s" % (daemon_name, err))

  logfile = _LogFileFor(daemon_name)
  wpipe = None
  if options.fork:
    # only the daemon returns; the original process exits with the result
    wpipe = utils.Daemonize(logfile)
  reporter = _StartupReporter(wpipe)

  pidfile = pathutils.GetPidFilename(daemon_name)
  try:
    pid_fd = utils.WritePidFile(pidfile)
  except errors.PidFileLockError as err:
    reporter.Fail("%s is already running: %s" % (daemon_name, err))
  except EnvironmentError as err:
    reporter.Fail("Cannot write pid file %s: %s" % (pidfile, err))

  try:
    try:
      reopen_fn = utils.SetupLogging(logfile, daemon_name,
                                     debug=options.debug,
                                     stderr_logging=not options.fork,
                                     multithreaded=multithreaded,
                                     syslog=options.syslog,
                                     console_logging=console_logging)
    except (EnvironmentError, ValueError) as err:
      reporter.Fail("Cannot set up logging to %s: %s" % (logfile, err))
    signal.signal(signal.SIGHUP, lambda _signum, _frame: reopen_fn())
    # Until the daemon's Mainloop installs its graceful handlers, a stop
    # request ends the start-up cleanly (pid file removed) instead of
    # killing the process outright
    for signum in (signal.SIGTERM, signal.SIGINT):
      signal.signal(signum, _StopDuringStartup)
    logging.info("%s daemon startup (pid %d)", daemon_name, os.getpid())

    prepared = None
    if prepare_fn is not None:
      try:
        prepared = prepare_fn(options, args)
      except SystemExit:
        raise
      except Exception as err:  # pylint: disable=W0703
        logging.exception("Error during start-up of %s", daemon_name)
        reporter.Fail("%s: %s" % (err.__class__.__name__, err))
    reporter.Done()

    try:
      exec_fn(options, args, prepared)
    except SystemExit:
      raise
    except Exception:  # pylint: disable=W0703
      logging.exception("%s stopped by an unhandled error", daemon_name)
      return constants.EXIT_FAILURE
    logging.info("%s daemon shut down", daemon_name)
    return constants.EXIT_SUCCESS
  finally:
    # the lock is still ours, so the file cannot belong to a newer daemon
    utils.RemovePidFile(pidfile)
    utils.CloseFdNoError(pid_fd)
