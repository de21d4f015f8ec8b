"""Tests for ganeti.utils.log; every test restores the logging set-up."""

import io
import logging
import os
import re
import socket

import pytest

from ganeti import constants
from ganeti.utils import log as utils_log


@pytest.fixture
def logger():
  """A private logger, so the process's logging stays untouched."""
  lg = logging.getLogger("ganeti-h3-test-%d" % id(object()))
  lg.propagate = False
  yield lg
  for handler in list(lg.handlers):
    lg.removeHandler(handler)
    handler.close()


@pytest.fixture
def saved_root_logger():
  root = logging.getLogger("")
  (handlers, level) = (list(root.handlers), root.level)
  yield root
  for handler in list(root.handlers):
    root.removeHandler(handler)
    if handler not in handlers:
      handler.close()
  for handler in handlers:
    root.addHandler(handler)
  root.setLevel(level)


def _Flush(lg):
  for handler in lg.handlers:
    handler.flush()


def test_log_line_format(tmp_path, logger):
  logfile = tmp_path / "daemon.log"
  utils_log.SetupLogging(str(logfile), "ganeti-noded", root_logger=logger)
  logger.info("hello %s", "world")
  logger.debug("not shown")
  _Flush(logger)
  lines = logfile.read_text().splitlines()
  assert len(lines) == 1
  assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: ganeti-noded "
                  r"pid=%d INFO hello world$" % os.getpid(), lines[0])


def test_debug_and_multithreaded_format(tmp_path, logger):
  logfile = tmp_path / "daemon.log"
  utils_log.SetupLogging(str(logfile), "prog", debug=1, multithreaded=True,
                         root_logger=logger)
  logger.debug("details")
  _Flush(logger)
  line = logfile.read_text().strip()
  assert re.search(r": prog pid=%d/MainThread test_log:\d+ DEBUG details$"
                   % os.getpid(), line)


def test_replaces_existing_handlers(tmp_path, logger):
  old = logging.StreamHandler(io.StringIO())
  logger.addHandler(old)
  utils_log.SetupLogging(str(tmp_path / "log"), "prog", root_logger=logger)
  assert old not in logger.handlers
  assert len(logger.handlers) == 1


def test_reopen_after_rotation(tmp_path, logger):
  logfile = tmp_path / "daemon.log"
  reopen = utils_log.SetupLogging(str(logfile), "prog", root_logger=logger)
  logger.info("before rotation")
  _Flush(logger)
  os.rename(logfile, tmp_path / "daemon.log.1")
  logger.info("still old file")
  reopen()
  logger.info("after rotation")
  _Flush(logger)
  rotated = (tmp_path / "daemon.log.1").read_text()
  assert "before rotation" in rotated and "still old file" in rotated
  current = logfile.read_text()
  assert "after rotation" in current
  assert "before rotation" not in current


def test_stderr_logging_levels(tmp_path, logger, capsys):
  utils_log.SetupLogging(str(tmp_path / "log"), "prog", stderr_logging=True,
                         root_logger=logger)
  logger.error("only in file")
  logger.critical("on stderr too")
  err = capsys.readouterr().err
  assert "on stderr too" in err and "only in file" not in err
  utils_log.SetupLogging(str(tmp_path / "log"), "prog", stderr_logging=True,
                         debug=1, root_logger=logger)
  logger.debug("debug on stderr")
  assert "debug on stderr" in capsys.readouterr().err


def test_syslog_yes_and_only(tmp_path, logger):
  address = str(tmp_path / "syslog.sock")
  server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
  server.bind(address)
  server.settimeout(5)
  try:
    logfile = tmp_path / "log"
    utils_log.SetupLogging(str(logfile), "prog", syslog=constants.SYSLOG_YES,
                           root_logger=logger, _syslog_address=address)
    logger.warning("to both")
    data = server.recv(4096).decode()
    assert "prog[%d]: WARNING to both" % os.getpid() in data
    _Flush(logger)
    assert "to both" in logfile.read_text()

    only = tmp_path / "only.log"
    utils_log.SetupLogging(str(only), "prog", syslog=constants.SYSLOG_ONLY,
                           root_logger=logger, _syslog_address=address)
    logger.info("syslog only")
    assert "syslog only" in server.recv(4096).decode()
    assert not only.exists()
  finally:
    server.close()


def test_syslog_unavailable(tmp_path, logger):
  missing = str(tmp_path / "no-syslog")
  with pytest.raises(OSError):
    utils_log.SetupLogging(str(tmp_path / "log"), "prog",
                           syslog=constants.SYSLOG_ONLY, root_logger=logger,
                           _syslog_address=missing)
  # With a log file as well, the missing syslog is only reported
  utils_log.SetupLogging(str(tmp_path / "log"), "prog",
                         syslog=constants.SYSLOG_YES, root_logger=logger,
                         _syslog_address=missing)
  logger.info("file still works")
  _Flush(logger)
  text = (tmp_path / "log").read_text()
  assert "file still works" in text
  assert "ERROR Cannot log to syslog at %s" % missing in text


def test_bad_syslog_mode(tmp_path, logger):
  with pytest.raises(ValueError, match="Invalid syslog mode 'maybe'"):
    utils_log.SetupLogging(str(tmp_path / "log"), "prog", syslog="maybe",
                           root_logger=logger)


def test_unwritable_log_file(tmp_path, logger, capsys):
  bad = str(tmp_path / "missing-dir" / "log")
  with pytest.raises(FileNotFoundError):
    utils_log.SetupLogging(bad, "prog", root_logger=logger)
  utils_log.SetupLogging(bad, "prog", stderr_logging=True, debug=1,
                         root_logger=logger)
  assert "Failed to enable logging to file '%s'" % bad in \
    capsys.readouterr().err


def test_write_errors_go_to_console(tmp_path, logger):
  console = tmp_path / "console"
  console.write_text("")
  utils_log.SetupLogging(str(tmp_path / "log"), "prog", console_logging=True,
                         root_logger=logger, _console_path=str(console))
  [handler] = logger.handlers
  handler.stream.close()  # any write now fails
  logger.error("lost message")
  text = console.read_text()
  assert "Cannot write to log file %s" % (tmp_path / "log") in text
  assert "lost message" in text


def test_write_errors_fall_back_to_stderr(tmp_path, logger, capsys):
  utils_log.SetupLogging(str(tmp_path / "log"), "prog", console_logging=True,
                         root_logger=logger,
                         _console_path=str(tmp_path / "no" / "console"))
  [handler] = logger.handlers
  handler.stream.close()
  logger.error("message for stderr")
  assert "message for stderr" in capsys.readouterr().err


def test_uses_root_logger_by_default(tmp_path, saved_root_logger):
  logfile = tmp_path / "root.log"
  utils_log.SetupLogging(str(logfile), "prog")
  logging.getLogger("some.module").warning("propagated")
  _Flush(saved_root_logger)
  assert "prog pid=%d WARNING propagated" % os.getpid() in \
    logfile.read_text()


@pytest.mark.parametrize("debug, verbose, shown, hidden", [
  (True, False, "dbg", None), (False, True, "inf", "dbg"),
  (False, False, "wrn", "inf"),
])
def test_setup_tool_logging(logger, debug, verbose, shown, hidden):
  stream = io.StringIO()
  utils_log.SetupToolLogging(debug, verbose, threadname=True,
                             _root_logger=logger, _stream=stream)
  logger.debug("dbg")
  logger.info("inf")
  logger.warning("wrn")
  out = stream.getvalue()
  assert shown in out
  assert "MainThread" in out
  if hidden:
    assert hidden not in out
