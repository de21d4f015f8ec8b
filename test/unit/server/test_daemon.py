"""Tests for ganeti.server.daemon: GenericMain and the Mainloop.

Daemon start-up (detaching, pid file lock, start-up errors, signals) runs
in real subprocesses on a virtual node below tmp_path.
"""

import optparse
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ganeti import constants
from ganeti import pathutils
from ganeti.server import daemon


NODE = "node1.example.com"

_DAEMON_SCRIPT = textwrap.dedent("""\
  import logging
  import optparse
  import os
  import sys

  from ganeti.server import daemon

  def Check(options, args):
    if os.environ.get("TEST_CHECK_FAIL"):
      sys.stderr.write("check says no\\n")
      sys.exit(3)

  def Prepare(options, args):
    if os.environ.get("TEST_PREP_FAIL"):
      raise RuntimeError("prepare failed on purpose")
    return "prepared-value"

  def Exec(options, args, prepared):
    logging.info("exec got %s", prepared)
    loop = daemon.Mainloop()
    calls = []
    def Wait():
      calls.append(1)
      logging.info("shutdown check %d", len(calls))
      return None if len(calls) >= 2 else 0.01
    loop.Run(shutdown_wait_fn=Wait)
    loop.Close()
    logging.info("exec done after %d checks", len(calls))

  parser = optparse.OptionParser()
  sys.exit(daemon.GenericMain("ganeti-testd", parser, Check, Prepare, Exec))
  """)


def _Wait(fn, timeout=10.0, what="condition"):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    value = fn()
    if value:
      return value
    time.sleep(0.02)
  raise AssertionError("Timed out waiting for %s" % what)


class _Node:
  def __init__(self, tmp_path):
    self.root = str(tmp_path / NODE)
    os.makedirs(self.root)
    self.script = str(tmp_path / "testd.py")
    with open(self.script, "w") as fd:
      fd.write(_DAEMON_SCRIPT)
    self.env = dict(os.environ, GANETI_ROOTDIR=self.root,
                    GANETI_HOSTNAME=NODE)
    paths = pathutils.ComputePaths(self.root)
    self.pidfile = "%s/ganeti-testd.pid" % paths["RUN_DIR"]
    self.logfile = "%s/ganeti-testd.log" % paths["LOG_DIR"]
    self.procs = []

  def Start(self, *args, env=None):
    proc = subprocess.Popen([sys.executable, self.script] + list(args),
                            env=dict(self.env, **(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    self.procs.append(proc)
    return proc

  def Run(self, *args, env=None, timeout=20):
    return subprocess.run([sys.executable, self.script] + list(args),
                          env=dict(self.env, **(env or {})),
                          capture_output=True, text=True, timeout=timeout)

  def ReadPid(self):
    try:
      with open(self.pidfile) as fd:
        text = fd.read().strip()
    except FileNotFoundError:
      return None
    return int(text) if text else None

  def Log(self, name=None):
    try:
      with open(name or self.logfile) as fd:
        return fd.read()
    except FileNotFoundError:
      return ""

  def Cleanup(self):
    for proc in self.procs:
      if proc.poll() is None:
        proc.kill()
      proc.communicate(timeout=10)
    pid = self.ReadPid()
    if pid:
      try:
        os.kill(pid, signal.SIGKILL)
      except OSError:
        pass


@pytest.fixture
def node(tmp_path):
  result = _Node(tmp_path)
  yield result
  result.Cleanup()


def test_foreground_run_and_sigterm(node):
  proc = node.Start("-f")
  pid = _Wait(node.ReadPid, what="pid file")
  assert pid == proc.pid
  _Wait(lambda: "exec got prepared-value" in node.Log(), what="exec")
  assert oct(os.stat(node.pidfile).st_mode & 0o777) == "0o600"
  proc.send_signal(signal.SIGTERM)
  (_, err) = proc.communicate(timeout=10)
  assert proc.returncode == 0, err
  assert not os.path.exists(node.pidfile)
  log = node.Log()
  assert "exec done after 2 checks" in log
  assert "ganeti-testd daemon shut down" in log


def test_second_instance_refused_by_pid_lock(node):
  first = node.Start("-f")
  _Wait(node.ReadPid, what="pid file")
  result = node.Run("-f")
  assert result.returncode == constants.EXIT_FAILURE
  assert "already running" in result.stderr
  assert str(first.pid) in result.stderr
  # the loser must not remove the winner's pid file
  assert node.ReadPid() == first.pid
  first.send_signal(signal.SIGINT)
  first.communicate(timeout=10)
  assert first.returncode == 0


def test_daemonize_detaches_and_stops(node):
  result = node.Run()
  assert result.returncode == 0, result.stderr
  pid = _Wait(node.ReadPid, what="pid file")
  _Wait(lambda: "exec got prepared-value" in node.Log(), what="exec")
  os.kill(pid, signal.SIGTERM)
  _Wait(lambda: not os.path.exists(node.pidfile), what="pid file removal")
  assert "exec done" in _Wait(lambda: "exec done" in node.Log() and
                              node.Log(), what="exec done")


def test_daemonize_reports_startup_error(node):
  result = node.Run(env={"TEST_PREP_FAIL": "1"})
  assert result.returncode != 0
  assert "prepare failed on purpose" in result.stderr
  _Wait(lambda: not os.path.exists(node.pidfile), what="pid file removal")
  assert "prepare failed on purpose" in node.Log()


def test_foreground_startup_error(node):
  result = node.Run("-f", env={"TEST_PREP_FAIL": "1"})
  assert result.returncode == constants.EXIT_FAILURE
  assert "RuntimeError: prepare failed on purpose" in result.stderr
  assert not os.path.exists(node.pidfile)


def test_check_fn_exit_code_kept(node):
  result = node.Run("-f", env={"TEST_CHECK_FAIL": "1"})
  assert result.returncode == 3
  assert "check says no" in result.stderr
  assert not os.path.exists(node.pidfile)


def test_positional_arguments_refused(node):
  result = node.Run("-f", "extra")
  assert result.returncode == constants.EXIT_FAILURE
  assert "takes no arguments" in result.stderr
  assert "extra" in result.stderr


def test_unknown_option_is_usage_error(node):
  result = node.Run("--no-such-option")
  assert result.returncode == 2
  assert "no such option" in result.stderr


def test_bad_syslog_value(node):
  result = node.Run("-f", "--syslog=maybe")
  assert result.returncode == 2
  assert "invalid choice" in result.stderr


def test_sighup_reopens_log_file(node):
  proc = node.Start("-f")
  _Wait(lambda: "exec got" in node.Log(), what="exec")
  os.rename(node.logfile, node.logfile + ".1")
  proc.send_signal(signal.SIGHUP)
  _Wait(lambda: os.path.exists(node.logfile), what="reopened log file")
  proc.send_signal(signal.SIGTERM)
  proc.communicate(timeout=10)
  assert proc.returncode == 0
  new_log = node.Log()
  assert "reopen log files" in new_log
  assert "exec done" in new_log
  assert "exec done" not in node.Log(node.logfile + ".1")


def test_debug_logging_goes_to_stderr_in_foreground(node):
  proc = node.Start("-f", "-d")
  _Wait(lambda: "exec got" in node.Log(), what="exec")
  proc.send_signal(signal.SIGTERM)
  (_, err) = proc.communicate(timeout=10)
  assert "exec got prepared-value" in err


# -- option handling, in-process ------------------------------------------------


class _Stop(Exception):
  pass


def _Options(daemon_name, argv, **kwargs):
  seen = []

  def check(options, args):
    seen.append(options)
    raise _Stop()

  with pytest.raises(_Stop):
    daemon.GenericMain(daemon_name, optparse.OptionParser(), check, None,
                       lambda *_: None, argv=argv, **kwargs)
  return seen[0]


def test_common_option_defaults():
  options = _Options(constants.MASTERD, [])
  assert options.fork is True
  assert options.debug is False
  assert options.syslog == constants.SYSLOG_USAGE
  assert not hasattr(options, "port")
  options = _Options(constants.MASTERD, ["-f", "-d", "--syslog=yes"])
  assert (options.fork, options.debug, options.syslog) == (False, True, "yes")


def test_network_daemon_options():
  options = _Options(constants.NODED, [])
  assert options.port == constants.DEFAULT_NODED_PORT
  assert options.bind_address == constants.IP4_ADDRESS_ANY
  options = _Options(constants.NODED, ["-p", "2000", "-b", "127.0.0.5"])
  assert (options.port, options.bind_address) == (2000, "127.0.0.5")


@pytest.mark.parametrize("argv,match", [
  (["-p", "70000"], "Invalid port"),
  (["-p", "0"], "Invalid port"),
  (["-b", "not-an-ip"], "Invalid bind address"),
  ])
def test_network_daemon_bad_options(capsys, argv, match):
  with pytest.raises(SystemExit) as info:
    _Options(constants.NODED, argv)
  assert info.value.code == constants.EXIT_FAILURE
  assert match in capsys.readouterr().err


def test_ssl_options(tmp_path, capsys):
  cert = tmp_path / "server.pem"
  with pytest.raises(SystemExit):
    _Options(constants.RAPI, [], default_ssl_cert=str(cert),
             default_ssl_key=str(cert))
  assert "Need SSL file %s" % cert in capsys.readouterr().err
  options = _Options(constants.RAPI, ["--no-ssl"], default_ssl_cert=str(cert),
                     default_ssl_key=str(cert))
  assert options.ssl is False
  cert.write_text("dummy")
  options = _Options(constants.RAPI, [], default_ssl_cert=str(cert),
                     default_ssl_key=str(cert))
  assert (options.ssl, options.ssl_cert, options.ssl_key) == \
    (True, str(cert), str(cert))


def test_warn_breach_in_debug(capsys, monkeypatch):
  def stop():
    raise _Stop()

  # stop right after the warning, before any directory is created
  monkeypatch.setattr(daemon, "_EnsureDaemonDirs", stop)
  for (argv, warned) in [(["-d"], True), ([], False)]:
    with pytest.raises(_Stop):
      daemon.GenericMain("ganeti-x", optparse.OptionParser(), None, None,
                         lambda *_: None, argv=argv, warn_breach=True)
    assert ("WARNING" in capsys.readouterr().err) == warned


# -- Mainloop --------------------------------------------------------------------


def test_mainloop_request_stop_and_shutdown_checks():
  loop = daemon.Mainloop()
  calls = []

  def wait():
    calls.append(time.monotonic())
    return None if len(calls) == 3 else 0.01

  timer = threading.Timer(0.05, loop.RequestStop)
  timer.start()
  try:
    loop.Run(shutdown_wait_fn=wait, handle_signals=False)
  finally:
    timer.cancel()
    loop.Close()
  assert len(calls) == 3


def test_mainloop_readers_called():
  loop = daemon.Mainloop()
  (left, right) = socket.socketpair()
  got = []

  def reader(sock):
    got.append(sock.recv(100))
    if len(got) == 2:
      loop.RequestStop()

  loop.RegisterReader(left, reader)
  right.send(b"one")
  threading.Timer(0.05, right.send, args=(b"two", )).start()
  try:
    loop.Run(handle_signals=False)
  finally:
    loop.UnregisterReader(left)
    loop.UnregisterReader(left)  # unknown objects are ignored
    loop.Close()
    left.close()
    right.close()
  assert got == [b"one", b"two"]


def test_mainloop_sigterm_stops_and_restores_handler():
  loop = daemon.Mainloop()
  before = signal.getsignal(signal.SIGTERM)
  timer = threading.Timer(0.05, os.kill, args=(os.getpid(), signal.SIGTERM))
  timer.start()
  try:
    loop.Run()
  finally:
    timer.cancel()
    loop.Close()
  assert loop.received_signals == [signal.SIGTERM]
  assert signal.getsignal(signal.SIGTERM) is before


def test_mainloop_stop_requested_before_run():
  loop = daemon.Mainloop()
  loop.RequestStop("early")
  loop.RequestStop("twice")
  start = time.monotonic()
  try:
    loop.Run(handle_signals=False)
  finally:
    loop.Close()
  # the stop asked for earlier ends the loop at once
  assert time.monotonic() - start < 5


def test_sigterm_before_the_main_loop_ends_the_start_up_cleanly(node):
  # exec_fn logs before it creates its Mainloop; a SIGTERM sent right then
  # must still end the daemon cleanly, never by the signal's default action
  for _ in range(5):
    proc = node.Start("-f")
    _Wait(node.ReadPid, what="pid file")
    proc.send_signal(signal.SIGTERM)
    (_, err) = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert not os.path.exists(node.pidfile)
