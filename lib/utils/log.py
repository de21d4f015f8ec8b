"""Logging set-up for daemons and command line tools.

Layer 1 (base). SetupLogging configures the root logger the way Ganeti's
daemons log: a log file with the program name and pid on every line,
optionally stderr and syslog, and a function that reopens the log file
(for SIGHUP after log rotation). When the log file cannot be written, the
message goes to the console (or stderr) instead of being lost. Must not
import anything above the base layer.
"""

import errno
import logging
import logging.handlers
import sys

from ganeti import constants


#: Where daemons' logging errors are reported when asked to
DEV_CONSOLE = "/dev/console"

#: Local syslog socket
SYSLOG_SOCKET = "/dev/log"


class _ReopenableLogHandler(logging.StreamHandler):
  """Appends to a file and can reopen it on request (after rotation).

  The reopen only sets a flag; the file is reopened by the next record
  written, from whatever thread writes it, under the handler lock. Errors
  while writing are reported to a fallback stream (console or stderr)
  instead of being swallowed.

  """
  def __init__(self, filename, fallback=None):
    self._filename = filename
    self._fallback = fallback
    self._reopen = False
    logging.StreamHandler.__init__(self, self._Open())

  def _Open(self):
    return open(self._filename, "a", encoding="utf-8")

  @property
  def filename(self):
    """The log file's name."""
    return self._filename

  def RequestReopen(self):
    """Make the next record reopen the file."""
    self._reopen = True

  def emit(self, record):
    if self._reopen:
      self.acquire()
      try:
        if self._reopen:
          self._reopen = False
          old = self.stream
          self.stream = self._Open()
          old.close()
      except EnvironmentError:
        self.handleError(record)
        return
      finally:
        self.release()
    logging.StreamHandler.emit(self, record)

  def handleError(self, record):
    stream = self._fallback
    if stream is None:
      logging.StreamHandler.handleError(self, record)
      return
    try:
      stream.write("Cannot write to log file %s (%s); message: %s\n"
                   % (self._filename, sys.exc_info()[1],
                      record.getMessage()))
      stream.flush()
    except Exception:  # pylint: disable=W0703
      # Nowhere left to report to.
      pass

  def close(self):
    self.acquire()
    try:
      if self.stream is not None:
        self.stream.close()
        self.stream = None
    finally:
      self.release()
    logging.StreamHandler.close(self)


def _ReopenLogFiles(handlers):
  """Ask each handler to reopen its file (installed as SIGHUP action)."""
  for handler in handlers:
    handler.RequestReopen()
  logging.info("Received request to reopen log files")


def _OpenConsole(console_path):
  try:
    return open(console_path, "a", encoding="utf-8")
  except EnvironmentError:
    return None


def _OpenSyslog(address):
  """A syslog handler that is really connected.

  Python 3.11's SysLogHandler hides connection failures until the first
  record; a daemon asked to log to syslog should learn at start-up.

  """
  handler = logging.handlers.SysLogHandler(
    address, logging.handlers.SysLogHandler.LOG_DAEMON)
  sock = getattr(handler, "socket", None)
  if sock is None or sock.fileno() < 0:
    handler.close()
    raise ConnectionRefusedError(errno.ECONNREFUSED,
                                 "Cannot connect to syslog socket %s"
                                 % (address, ))
  return handler


def _ClearHandlers(logger):
  for handler in list(logger.handlers):
    logger.removeHandler(handler)
    handler.close()


def SetupLogging(logfile, program, debug=0, stderr_logging=False,
                 multithreaded=False, syslog=constants.SYSLOG_USAGE,
                 console_logging=False, root_logger=None,
                 _console_path=DEV_CONSOLE, _syslog_address=SYSLOG_SOCKET):
  """Configure logging for a daemon or tool; replaces existing handlers.

  Line format: "<time>: <program> pid=<pid>[/<thread>] [<module>:<line>]
  <LEVEL> <message>" (thread with multithreaded, module with debug).

  @param logfile: log file to append to (unless syslog is "only")
  @param program: program name put on every line
  @param debug: log DEBUG messages too (and show stderr messages at debug
      level instead of only critical ones)
  @param stderr_logging: also log to stderr
  @param multithreaded: add the thread name to each line
  @param syslog: "no", "yes" (also syslog) or "only" (no log file)
  @param console_logging: report log file write errors on the console
      (stderr when the console cannot be opened)
  @param root_logger: logger to configure (default: the root logger)
  @return: function reopening the log file (call it on SIGHUP)
  @raise EnvironmentError: the log file cannot be opened and neither
      stderr nor syslog logging is enabled
  @raise ValueError: unknown syslog mode

  """
  if syslog not in constants.SYSLOG_USAGE_VALUES:
    raise ValueError("Invalid syslog mode %r, expected one of %s"
                     % (syslog, ", ".join(sorted(
                       constants.SYSLOG_USAGE_VALUES))))
  fmt = "%(asctime)s: " + program + " pid=%(process)d"
  sys_fmt = program + "[%(process)d]:"
  if multithreaded:
    fmt += "/%(threadName)s"
    sys_fmt += " (%(threadName)s)"
  if debug:
    fmt += " %(module)s:%(lineno)s"
  # The textual level is kept: remote syslog loses the priority, and it
  # makes the files easy to grep.
  fmt += " %(levelname)s %(message)s"
  sys_fmt += " %(levelname)s %(message)s"
  formatter = logging.Formatter(fmt)
  sys_formatter = logging.Formatter(sys_fmt)

  if root_logger is None:
    root_logger = logging.getLogger("")
  # DEBUG rather than NOTSET: a non-root logger with NOTSET would defer to
  # its parent's level instead of letting its handlers decide.
  root_logger.setLevel(logging.DEBUG)
  _ClearHandlers(root_logger)

  if stderr_logging:
    stderr_handler = logging.StreamHandler()
    stderr_handler.setFormatter(formatter)
    stderr_handler.setLevel(logging.DEBUG if debug else logging.CRITICAL)
    root_logger.addHandler(stderr_handler)

  deferred_errors = []
  if syslog in (constants.SYSLOG_YES, constants.SYSLOG_ONLY):
    try:
      syslog_handler = _OpenSyslog(_syslog_address)
    except EnvironmentError as err:
      if syslog == constants.SYSLOG_ONLY and not stderr_logging:
        raise
      # Reported once the other handlers are in place, so it is seen.
      deferred_errors.append("Cannot log to syslog at %s: %s"
                             % (_syslog_address, err))
    else:
      syslog_handler.setFormatter(sys_formatter)
      syslog_handler.setLevel(logging.INFO)
      root_logger.addHandler(syslog_handler)

  reopen_handlers = []
  if syslog != constants.SYSLOG_ONLY:
    fallback = None
    if console_logging:
      fallback = _OpenConsole(_console_path) or sys.stderr
    try:
      file_handler = _ReopenableLogHandler(logfile, fallback=fallback)
    except EnvironmentError as err:
      if stderr_logging or syslog == constants.SYSLOG_YES:
        root_logger.exception("Failed to enable logging to file '%s': %s",
                              logfile, err)
      else:
        raise
    else:
      file_handler.setFormatter(formatter)
      file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
      root_logger.addHandler(file_handler)
      reopen_handlers.append(file_handler)

  for message in deferred_errors:
    root_logger.error(message)
  return lambda: _ReopenLogFiles(reopen_handlers)


def SetupToolLogging(debug, verbose, threadname=False, _root_logger=None,
                     _stream=None):
  """Log to stderr only, for command line tools.

  Level: DEBUG with debug, INFO with verbose, else WARNING.

  """
  fmt = "%(asctime)s:"
  if threadname:
    fmt += " %(threadName)s"
  if debug or verbose:
    fmt += " %(levelname)s"
  fmt += " %(message)s"

  if debug:
    level = logging.DEBUG
  elif verbose:
    level = logging.INFO
  else:
    level = logging.WARNING

  root_logger = _root_logger or logging.getLogger("")
  # DEBUG rather than NOTSET: a non-root logger with NOTSET would defer to
  # its parent's level instead of letting its handlers decide.
  root_logger.setLevel(logging.DEBUG)
  _ClearHandlers(root_logger)
  handler = logging.StreamHandler(_stream)
  handler.setLevel(level)
  handler.setFormatter(logging.Formatter(fmt))
  root_logger.addHandler(handler)
  return handler
