"""Tests for ganeti.utils.process: RunCmd, daemons, signals, RunParts."""

import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ganeti import constants
from ganeti import errors
from ganeti.utils import io as utils_io
from ganeti.utils import process


_PR_SET_CHILD_SUBREAPER = 36


def _WaitUntil(predicate, timeout=10.0):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if predicate():
      return True
    time.sleep(0.02)
  return predicate()


@pytest.fixture
def subreaper():
  """Adopt orphaned grandchildren (daemons) so they can be reaped here.

  PID 1 of a container may not reap orphans; as a subreaper this process
  becomes their parent, and KillProcess(waitpid=True) reaps them.

  """
  libc = ctypes.CDLL("libc.so.6", use_errno=True)
  assert libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
  try:
    yield
  finally:
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    _ReapAdopted()


def _ReapAdopted():
  """Reap exited processes adopted while we were a subreaper."""
  deadline = time.monotonic() + 5
  while time.monotonic() < deadline:
    try:
      (pid, _) = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
      return
    if pid == 0:
      # Children left are still running (none should be); poll briefly
      # for first children of a double fork that are about to exit.
      time.sleep(0.05)


# --- RunCmd --------------------------------------------------------------

def test_run_cmd_success_list():
  result = process.RunCmd(["echo", "hello", "a b"])
  assert not result.failed
  assert result.exit_code == 0
  assert result.signal is None
  assert result.stdout == "hello a b\n"
  assert result.stderr == ""
  assert result.output == "hello a b\n"
  assert result.fail_reason is None
  assert result.cmd == "echo hello 'a b'"
  assert "echo hello" in repr(result)


def test_run_cmd_string_uses_shell_and_captures_stderr():
  result = process.RunCmd("echo out; echo err >&2; exit 2")
  assert result.failed
  assert result.exit_code == 2
  assert result.fail_reason == "exited with exit code 2"
  assert result.stdout == "out\n"
  assert result.stderr == "err\n"
  assert result.output == "out\nerr\n"


def test_run_cmd_killed_by_signal():
  result = process.RunCmd(["/bin/sh", "-c", "kill -9 $$"])
  assert result.failed
  assert result.exit_code is None
  assert result.signal == 9
  assert result.fail_reason == "terminated by signal 9"


def test_run_cmd_environment(monkeypatch):
  monkeypatch.setenv("H3_TEST_VAR", "inherited")
  result = process.RunCmd(["env"], env={"EXTRA": "1"})
  lines = set(result.stdout.splitlines())
  assert {"H3_TEST_VAR=inherited", "EXTRA=1", "LC_ALL=C"} <= lines
  result = process.RunCmd(["/usr/bin/env"], env={"EXTRA": "1"},
                          reset_env=True)
  assert set(result.stdout.splitlines()) == {"EXTRA=1", "LC_ALL=C"}
  with pytest.raises(errors.ProgrammerError, match="Environment entries"):
    process.RunCmd(["true"], env={"A": 1})


def test_run_cmd_cwd(tmp_path):
  result = process.RunCmd(["pwd"], cwd=str(tmp_path))
  assert result.stdout.strip() == str(tmp_path)
  assert process.RunCmd(["pwd"]).stdout.strip() == "/"
  with pytest.raises(errors.OpExecError, match="missing"):
    process.RunCmd(["pwd"], cwd=str(tmp_path / "missing"))


def test_run_cmd_missing_binary_raises_clear_error(tmp_path):
  with pytest.raises(errors.OpExecError,
                     match="Can't execute '/nonexistent/prog arg'"):
    process.RunCmd(["/nonexistent/prog", "arg"])
  with pytest.raises(errors.OpExecError, match="no-such-command-h3"):
    process.RunCmd(["no-such-command-h3"])
  not_exec = tmp_path / "script"
  not_exec.write_text("#!/bin/sh\n")
  with pytest.raises(errors.OpExecError, match="not executable"):
    process.RunCmd([str(not_exec)])
  # Through the shell a missing command is an ordinary failure (127)
  result = process.RunCmd("no-such-command-h3")
  assert result.failed and result.exit_code == 127


def test_run_cmd_output_file(tmp_path):
  out = tmp_path / "out.log"
  out.write_text("previous\n")
  result = process.RunCmd("echo one; echo two >&2", output=str(out))
  assert not result.failed
  assert result.stdout == "" and result.stderr == ""
  assert out.read_text() == "previous\none\ntwo\n"
  with pytest.raises(FileNotFoundError):
    process.RunCmd(["true"], output=str(tmp_path / "no" / "out"))


def test_run_cmd_timeout_terminates():
  start = time.monotonic()
  result = process.RunCmd(["sleep", "30"], timeout=0.5)
  assert time.monotonic() - start < 5
  assert result.failed
  assert result.signal == signal.SIGTERM
  assert result.fail_reason == ("terminated by signal 15, terminated after"
                                " timeout of 0.50 seconds")


def test_run_cmd_timeout_kills_whole_process_group(tmp_path):
  pidfile = tmp_path / "grandchild"
  start = time.monotonic()
  result = process.RunCmd("sleep 30 & echo $! > %s; wait" % pidfile,
                          timeout=0.5)
  assert time.monotonic() - start < 5
  assert result.failed
  grandchild = int(pidfile.read_text())
  # The grandchild got the signal too (it may linger only as a zombie).
  assert _WaitUntil(lambda: _Gone(grandchild))


def _Gone(pid):
  try:
    with open("/proc/%d/status" % pid) as handle:
      return "State:\tZ" in handle.read()
  except FileNotFoundError:
    return True


def test_run_cmd_timeout_escalates_to_kill(monkeypatch):
  monkeypatch.setattr(process, "CHILD_LINGER_TIMEOUT", 0.3)
  result = process.RunCmd(
    [sys.executable, "-c",
     "import signal, sys, time\n"
     "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
     "print('ready', flush=True)\n"
     "time.sleep(30)\n"], timeout=1)
  assert result.failed
  assert result.signal == signal.SIGKILL
  assert "force termination after timeout of 1.00 seconds and linger" \
    " time of 0.30 seconds" in result.fail_reason
  assert result.stdout == "ready\n"


def test_run_cmd_timeout_with_output_file(tmp_path):
  out = tmp_path / "out"
  result = process.RunCmd("echo started; sleep 30", output=str(out),
                          timeout=0.3)
  assert result.failed and "timeout" in result.fail_reason
  assert out.read_text() == "started\n"


def test_run_cmd_noclose_fds_and_input_fd(tmp_path):
  (rfd, wfd) = os.pipe()
  try:
    # dash only redirects single-digit descriptors, so write from Python
    result = process.RunCmd([sys.executable, "-c",
                             "import os; os.write(%d, b'via-fd\\n')" % wfd],
                            noclose_fds=[wfd])
    assert not result.failed
    os.close(wfd)
    wfd = None
    assert os.read(rfd, 100) == b"via-fd\n"
  finally:
    os.close(rfd)
    if wfd is not None:
      os.close(wfd)
  # Without noclose_fds the descriptor is not inherited
  (rfd, wfd) = os.pipe()
  try:
    result = process.RunCmd([sys.executable, "-c",
                             "import os; os.write(%d, b'x')" % wfd])
    assert result.failed
  finally:
    os.close(rfd)
    os.close(wfd)
  source = tmp_path / "in"
  source.write_text("from stdin\n")
  with open(source) as handle:
    result = process.RunCmd(["cat"], input_fd=handle)
  assert result.stdout == "from stdin\n"
  assert process.RunCmd(["cat"]).stdout == ""


def test_run_cmd_postfork_fn():
  seen = []
  result = process.RunCmd(["/bin/sh", "-c", "echo $$"],
                          postfork_fn=seen.append)
  assert seen == [int(result.stdout)]
  seen2 = []
  process.RunCmd(["true"], _postfork_fn=seen2.append)
  assert len(seen2) == 1


def test_run_cmd_interactive_inherits_stdio():
  script = textwrap.dedent("""
    from ganeti.utils import process
    r = process.RunCmd(["echo", "shown"], interactive=True)
    print("result", repr(r.stdout), r.failed)
  """)
  out = subprocess.run([sys.executable, "-c", script], capture_output=True,
                       check=True, text=True)
  assert out.stdout == "shown\nresult '' False\n"


@pytest.mark.parametrize("kwargs, match", [
  ({"cmd": ["true"], "interactive": True, "output": "/tmp/x"},
   "can't be used together"),
  ({"cmd": ["true"], "interactive": True, "input_fd": 0},
   "can't be used together"),
  ({"cmd": []}, "Empty command"),
  ({"cmd": ""}, "Empty command"),
  ({"cmd": None}, "must be a string or a list"),
  ({"cmd": 5}, "must be a string or a list"),
  ({"cmd": ["true"], "timeout": -1}, "timeout"),
  ({"cmd": ["true"], "timeout": "5"}, "timeout"),
])
def test_run_cmd_bad_arguments(kwargs, match):
  with pytest.raises(errors.ProgrammerError, match=match):
    process.RunCmd(**kwargs)


def test_run_result_unknown_termination():
  result = process.RunResult(None, None, "", "", "cmd", 0, None)
  assert result.failed
  assert result.fail_reason == "unable to determine termination reason"


def test_disable_fork_in_child():
  def child():
    process.DisableFork()
    try:
      process.RunCmd(["true"])
    except errors.ProgrammerError as err:
      return "fork() disabled" in str(err)
    return False
  assert process.RunInSeparateProcess(child) is True
  # The parent is unaffected
  assert not process.RunCmd(["true"]).failed


# --- RunInSeparateProcess ---------------------------------------------------

def test_run_in_separate_process():
  assert process.RunInSeparateProcess(lambda: True) is True
  assert process.RunInSeparateProcess(lambda: 0) is False
  assert process.RunInSeparateProcess(lambda x: x == os.getpid(),
                                      os.getpid()) is False

  def fail():
    raise RuntimeError("child failure")
  with pytest.raises(errors.GenericError, match="code=33"):
    process.RunInSeparateProcess(fail)

  def die():
    os.kill(os.getpid(), signal.SIGKILL)
  with pytest.raises(errors.GenericError, match="signal=9"):
    process.RunInSeparateProcess(die)


# --- process state ------------------------------------------------------------

def test_is_process_alive():
  assert process.IsProcessAlive(os.getpid())
  assert not process.IsProcessAlive(0)
  assert not process.IsProcessAlive(-5)
  child = subprocess.Popen(["true"])
  child.wait()
  assert not process.IsProcessAlive(child.pid)
  for bad in ["1", None, 1.0, True]:
    with pytest.raises(errors.ProgrammerError, match="integer"):
      process.IsProcessAlive(bad)


def test_is_process_handling_signal(tmp_path):
  status = tmp_path / "status"
  # SIGINT (2) and SIGHUP (1) handled: bits 0 and 1
  status.write_text("Name:\tx\nSigBlk:\t0000000000000000\n"
                    "SigCgt:\t0000000000000003\n")
  assert process.IsProcessHandlingSignal(1, signal.SIGHUP, str(status))
  assert process.IsProcessHandlingSignal(1, signal.SIGINT, str(status))
  assert not process.IsProcessHandlingSignal(1, signal.SIGTERM, str(status))
  status.write_text("SigCgt:\t0000000000004000\n")
  assert process.IsProcessHandlingSignal(1, signal.SIGTERM, str(status))
  assert not process.IsProcessHandlingSignal(
    1, signal.SIGTERM, str(tmp_path / "missing"))
  status.write_text("Name:\tx\n")
  with pytest.raises(errors.GenericError, match="missing the 'SigCgt'"):
    process.IsProcessHandlingSignal(1, signal.SIGTERM, str(status))
  status.write_text("SigCgt:\tzz\n")
  with pytest.raises(errors.GenericError, match="Invalid 'SigCgt'"):
    process.IsProcessHandlingSignal(1, signal.SIGTERM, str(status))


def test_is_process_handling_signal_live():
  old = signal.signal(signal.SIGUSR2, lambda *_: None)
  try:
    assert process.IsProcessHandlingSignal(os.getpid(), signal.SIGUSR2)
  finally:
    signal.signal(signal.SIGUSR2, old)
  if old in (signal.SIG_DFL, signal.SIG_IGN, None):
    assert not process.IsProcessHandlingSignal(os.getpid(), signal.SIGUSR2)


def test_kill_process_terminates_child():
  child = subprocess.Popen(["sleep", "30"])
  process.KillProcess(child.pid, timeout=10, waitpid=True)
  assert not process.IsProcessAlive(child.pid)


def test_kill_process_escalates_to_sigkill():
  child = subprocess.Popen(
    [sys.executable, "-c",
     "import signal, time\n"
     "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
     "print('ready', flush=True)\n"
     "time.sleep(30)\n"], stdout=subprocess.PIPE)
  assert child.stdout.readline() == b"ready\n"
  start = time.monotonic()
  process.KillProcess(child.pid, timeout=0.5, waitpid=True)
  assert time.monotonic() - start < 5
  assert not process.IsProcessAlive(child.pid)
  child.stdout.close()


def test_kill_process_without_wait_and_dead_pid():
  child = subprocess.Popen(["sleep", "30"])
  process.KillProcess(child.pid, signal_=signal.SIGKILL, timeout=0)
  assert child.wait(timeout=10) == -signal.SIGKILL
  process.KillProcess(child.pid)  # no longer exists: nothing happens
  for bad in [0, -1, "5", None, True]:
    with pytest.raises(errors.ProgrammerError, match="Invalid pid"):
      process.KillProcess(bad)


# --- descriptors and daemons ---------------------------------------------

def test_close_fds_keeps_only_requested():
  def child():
    fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(4)]
    keep = fds[2]
    process.CloseFDs(noclose_fds=[keep])
    open_now = set(int(n) for n in os.listdir("/proc/self/fd"))
    # listdir itself uses one descriptor, closed again by now
    return keep in open_now and not (set(fds) - {keep}) & open_now and \
      {0, 1, 2} <= open_now
  assert process.RunInSeparateProcess(child)

  def child_all():
    os.open(os.devnull, os.O_RDONLY)
    process.CloseFDs()
    return set(int(n) for n in os.listdir("/proc/self/fd")) <= {0, 1, 2, 3}
  assert process.RunInSeparateProcess(child_all)


def test_setup_daemon_env_and_fds(tmp_path):
  out = tmp_path / "out"

  def child():
    process.SetupDaemonEnv(cwd=str(tmp_path), umask=0o27)
    process.SetupDaemonFDs(str(out), None)
    os.write(1, b"to stdout\n")
    os.write(2, b"to stderr\n")
    return (os.getcwd() == str(tmp_path) and os.getsid(0) == os.getpid()
            and os.read(0, 10) == b"")
  assert process.RunInSeparateProcess(child)
  assert out.read_text() == "to stdout\nto stderr\n"

  def child_both():
    try:
      process.SetupDaemonFDs(str(out), 1)
    except errors.ProgrammerError:
      return True
    return False
  assert process.RunInSeparateProcess(child_both)


def test_write_error_to_fd():
  (rfd, wfd) = os.pipe()
  try:
    process.WriteErrorToFD(wfd, "bad thing")
    process.WriteErrorToFD(wfd, "")
    os.close(wfd)
    assert os.read(rfd, 100) == b"bad thing<unknown error>"
  finally:
    os.close(rfd)


def test_start_daemon_with_pidfile_and_output(tmp_path, subreaper):
  pidfile = str(tmp_path / "d.pid")
  output = str(tmp_path / "d.log")
  pid = process.StartDaemon([sys.executable, "-c",
                             ("import os, time\n"
                              "print('daemon', os.getcwd(), os.getsid(0) !="
                              " %d, flush=True)\n"
                              "time.sleep(30)\n") % os.getsid(0)],
                            pidfile=pidfile, output=output,
                            cwd=str(tmp_path))
  try:
    assert process.IsProcessAlive(pid)
    assert utils_io.ReadPidFile(pidfile) == pid
    assert utils_io.ReadLockedPidFile(pidfile) == pid
    assert _WaitUntil(lambda: os.path.exists(output) and
                      open(output).read() ==
                      "daemon %s True\n" % tmp_path)
    # A second instance cannot take the pid file
    with pytest.raises(errors.OpExecError, match="locked"):
      process.StartDaemon(["sleep", "30"], pidfile=pidfile)
  finally:
    process.KillProcess(pid, timeout=10, waitpid=True)
  assert not process.IsProcessAlive(pid)
  assert utils_io.ReadLockedPidFile(pidfile) is None


def test_start_daemon_shell_string_and_output_fd(tmp_path, subreaper):
  out = tmp_path / "out"
  with open(out, "w") as handle:
    pid = process.StartDaemon("echo from-shell $EXTRA", env={"EXTRA": "e"},
                              output_fd=handle.fileno())
  assert _WaitUntil(lambda: out.read_text() == "from-shell e\n")
  assert _WaitUntil(lambda: _Reaped(pid))


def _Reaped(pid):
  try:
    return os.waitpid(pid, os.WNOHANG)[0] == pid
  except ChildProcessError:
    return not process.IsProcessAlive(pid)


def test_start_daemon_errors(tmp_path):
  with pytest.raises(errors.OpExecError,
                     match="Error when starting daemon.*No such file"):
    process.StartDaemon(["/nonexistent/daemon"])
  with pytest.raises(errors.OpExecError, match="No such file"):
    process.StartDaemon(["true"], pidfile=str(tmp_path / "no" / "x.pid"))
  with pytest.raises(errors.ProgrammerError, match="Only one of"):
    process.StartDaemon(["true"], output="/tmp/x", output_fd=1)
  for bad in [[], None, 5]:
    with pytest.raises(errors.ProgrammerError, match="StartDaemon needs"):
      process.StartDaemon(bad)


_DAEMONIZE = textwrap.dedent("""
  import os, sys
  from ganeti.utils import process
  log, marker, fail = sys.argv[1], sys.argv[2], sys.argv[3] == "fail"
  wpipe = process.Daemonize(log)
  print("daemon running", os.getpid(), flush=True)
  with open(marker, "w") as handle:
    handle.write("%d %d" % (os.getpid(), os.getsid(0)))
  if fail:
    process.WriteErrorToFD(wpipe, "startup failed: port in use")
  os.close(wpipe)
""")


def test_daemonize_success(tmp_path, subreaper):
  log = tmp_path / "log"
  marker = tmp_path / "marker"
  result = subprocess.run([sys.executable, "-c", _DAEMONIZE, str(log),
                           str(marker), "ok"], capture_output=True,
                          timeout=30)
  assert result.returncode == 0
  assert result.stderr == b""
  (pid, sid) = map(int, marker.read_text().split())
  # A new session, of which the daemon (second child) is not the leader,
  # so it can never acquire a controlling terminal.
  assert sid not in (pid, os.getsid(0))
  assert _WaitUntil(lambda: "daemon running" in log.read_text())
  _WaitUntil(lambda: _Reaped(pid))


def test_daemonize_reports_startup_error(tmp_path, subreaper):
  marker = tmp_path / "marker"
  result = subprocess.run([sys.executable, "-c", _DAEMONIZE,
                           str(tmp_path / "log"), str(marker), "fail"],
                          capture_output=True, timeout=30)
  assert result.returncode == 1
  assert b"startup failed: port in use" in result.stderr
  (pid, _) = map(int, marker.read_text().split())
  _WaitUntil(lambda: _Reaped(pid))


# --- RunParts ------------------------------------------------------------------

def _Script(path, body, mode=0o755):
  path.write_text("#!/bin/sh\n" + body + "\n")
  path.chmod(mode)


def test_run_parts(tmp_path):
  _Script(tmp_path / "20-fail", "echo failing; exit 3")
  _Script(tmp_path / "10-ok", "echo ok $PHASE")
  _Script(tmp_path / "30-noexec", "exit 0", mode=0o644)
  _Script(tmp_path / "bad.name", "exit 0")
  _Script(tmp_path / ".hidden", "exit 0")
  (tmp_path / "40-badinterp").write_text("#!/nonexistent/interp\n")
  (tmp_path / "40-badinterp").chmod(0o755)
  (tmp_path / "50-dir").mkdir()

  results = process.RunParts(str(tmp_path), env={"PHASE": "pre"})
  assert [r[0] for r in results] == ["10-ok", "20-fail", "30-noexec",
                                     "40-badinterp", "50-dir", "bad.name"]
  by_name = dict((name, (status, data)) for (name, status, data) in results)
  (status, res) = by_name["10-ok"]
  assert status == constants.RUNPARTS_RUN
  assert not res.failed and res.stdout == "ok pre\n"
  (status, res) = by_name["20-fail"]
  assert status == constants.RUNPARTS_RUN
  assert res.failed and res.exit_code == 3
  assert by_name["30-noexec"] == (constants.RUNPARTS_SKIP, None)
  assert by_name["bad.name"] == (constants.RUNPARTS_SKIP, None)
  assert by_name["50-dir"] == (constants.RUNPARTS_SKIP, None)
  (status, msg) = by_name["40-badinterp"]
  assert status == constants.RUNPARTS_ERR
  assert "40-badinterp" in msg


def test_run_parts_reset_env(tmp_path, monkeypatch):
  monkeypatch.setenv("H3_SECRET", "x")
  _Script(tmp_path / "env", "/usr/bin/env")
  [(_, _, res)] = process.RunParts(str(tmp_path), reset_env=True)
  assert "H3_SECRET" not in res.stdout
  [(_, _, res)] = process.RunParts(str(tmp_path))
  assert "H3_SECRET=x" in res.stdout


def test_run_parts_missing_or_bad_dir(tmp_path):
  assert process.RunParts(str(tmp_path / "missing")) == []
  with pytest.raises(errors.ProgrammerError, match="not normalized"):
    process.RunParts("relative/dir")
