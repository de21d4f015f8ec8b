"""Running and watching processes: commands, daemons, hook directories.

Layer 1 (base). RunCmd runs a command to completion (with timeout) and
returns a RunResult; StartDaemon and Daemonize detach processes with the
double fork, pid file and error pipe that Ganeti daemons use; RunParts
runs every valid script of a directory (hooks). Must not import anything
above the base layer and must not decide what a failed command means:
callers look at RunResult.failed and fail_reason.
"""

import errno
import logging
import os
import resource
import signal
import subprocess
import sys

from ganeti import constants
from ganeti import errors
from ganeti.utils import io as utils_io
from ganeti.utils import retry as utils_retry
from ganeti.utils import text as utils_text
from ganeti.utils import wrapper as utils_wrapper


#: Seconds a command gets between SIGTERM (after its timeout) and SIGKILL
CHILD_LINGER_TIMEOUT = constants.CHILD_LINGER_TIMEOUT

_TIMEOUT_NONE = 0
_TIMEOUT_TERM = 1
_TIMEOUT_KILL = 2

_MAX_ERROR_MSG = 100 * 1024

_DEFAULT_MAXFD = 1024

# Set by DisableFork: in a multithreaded master daemon, fork() can copy
# locks held by other threads, so RunCmd is forbidden there.
_no_fork = False


def DisableFork():
  """Forbid RunCmd, StartDaemon and friends in this process from now on."""
  global _no_fork  # pylint: disable=W0603
  _no_fork = True


def _CheckForkAllowed(what):
  if _no_fork:
    raise errors.ProgrammerError("%s called with fork() disabled" % what)


class RunResult:
  """Outcome of RunCmd.

  @ivar exit_code: exit status, or None if killed by a signal
  @ivar signal: signal number that killed the process, or None
  @ivar stdout: standard output ("" when sent to a file or interactive)
  @ivar stderr: standard error ("" when sent to a file or interactive)
  @ivar failed: whether the command did not exit with 0
  @ivar fail_reason: human-readable explanation, None if not failed
  @ivar cmd: the command line, shell-quoted

  """
  __slots__ = ["exit_code", "signal", "stdout", "stderr", "failed",
               "fail_reason", "cmd"]

  def __init__(self, exit_code, signal_, stdout, stderr, cmd, timeout_action,
               timeout):
    self.cmd = cmd
    self.exit_code = exit_code
    self.signal = signal_
    self.stdout = stdout
    self.stderr = stderr
    self.failed = (signal_ is not None or exit_code != 0)

    reasons = []
    if signal_ is not None:
      reasons.append("terminated by signal %s" % signal_)
    elif exit_code is not None:
      reasons.append("exited with exit code %s" % exit_code)
    else:
      reasons.append("unable to determine termination reason")
    if timeout_action == _TIMEOUT_TERM:
      reasons.append("terminated after timeout of %.2f seconds" % timeout)
    elif timeout_action == _TIMEOUT_KILL:
      reasons.append("force termination after timeout of %.2f seconds and"
                     " linger time of %.2f seconds"
                     % (timeout, CHILD_LINGER_TIMEOUT))

    if self.failed:
      self.fail_reason = utils_text.CommaJoin(reasons)
      logging.debug("Command '%s' failed (%s); output: %s", cmd,
                    self.fail_reason, self.output)
    else:
      self.fail_reason = None

  @property
  def output(self):
    """Standard output followed by standard error."""
    return self.stdout + self.stderr

  def __repr__(self):
    return ("<RunResult cmd=%r exit_code=%r signal=%r>"
            % (self.cmd, self.exit_code, self.signal))


def _BuildCmdEnvironment(env, reset_env):
  """Environment for a child: ours (or empty), LC_ALL=C, then env."""
  if reset_env:
    result = {}
  else:
    result = os.environ.copy()
  # Parsers of command output expect untranslated messages and C sorting.
  result["LC_ALL"] = "C"
  if env is not None:
    for (key, value) in env.items():
      if not isinstance(key, str) or not isinstance(value, str):
        raise errors.ProgrammerError("Environment entries must be strings,"
                                     " got %r=%r" % (key, value))
    result.update(env)
  return result


def _PrepareCmd(cmd):
  """Return (args for Popen, quoted command, via shell)."""
  if isinstance(cmd, str):
    if not cmd:
      raise errors.ProgrammerError("Empty command given to RunCmd")
    return (cmd, cmd, True)
  if isinstance(cmd, (list, tuple)):
    if not cmd:
      raise errors.ProgrammerError("Empty command given to RunCmd")
    args = [str(arg) for arg in cmd]
    return (args, utils_text.ShellQuoteArgs(args), False)
  raise errors.ProgrammerError("Command must be a string or a list, got %r"
                               % (cmd, ))


def _Signal(child, signum, own_group):
  """Signal a child, or its whole process group when it has its own."""
  if own_group:
    utils_wrapper.IgnoreProcessNotFound(os.killpg, child.pid, signum)
  else:
    utils_wrapper.IgnoreProcessNotFound(os.kill, child.pid, signum)


def _WaitWithTimeout(child, timeout, own_group, wait_fn):
  """Run wait_fn(timeout) and escalate TERM then KILL on timeouts.

  @return: (wait_fn's result, timeout action)

  """
  try:
    return (wait_fn(timeout), _TIMEOUT_NONE)
  except subprocess.TimeoutExpired:
    pass
  logging.info("Command %s (%d) ran into execution timeout, terminating",
               child.args, child.pid)
  _Signal(child, signal.SIGTERM, own_group)
  try:
    return (wait_fn(CHILD_LINGER_TIMEOUT), _TIMEOUT_TERM)
  except subprocess.TimeoutExpired:
    pass
  logging.info("Command %s (%d) did not stop after linger time, killing",
               child.args, child.pid)
  _Signal(child, signal.SIGKILL, own_group)
  return (wait_fn(None), _TIMEOUT_KILL)


def _Decode(data):
  if data is None:
    return ""
  return data.decode("utf-8", "replace")


def RunCmd(cmd, env=None, output=None, cwd="/", reset_env=False,
           interactive=False, timeout=None, noclose_fds=None,
           input_fd=None, postfork_fn=None, _postfork_fn=None):
  """Run a command and wait for it.

  @param cmd: list of arguments (run directly) or a string (run by
      /bin/sh -c)
  @param env: extra environment variables
  @param output: file to append stdout and stderr to, instead of capturing
  @param cwd: working directory of the command
  @param reset_env: start from an empty environment (plus LC_ALL=C)
  @param interactive: let the command use our stdin, stdout and stderr
  @param timeout: seconds after which the command (with its process group)
      gets SIGTERM, and CHILD_LINGER_TIMEOUT later SIGKILL
  @param noclose_fds: descriptors to pass on to the command
  @param input_fd: descriptor (or file object) to use as stdin
  @param postfork_fn: called with the child's pid once it is started
  @rtype: RunResult
  @raise errors.OpExecError: the program (or cwd) does not exist
  @raise errors.ProgrammerError: bad argument combination

  """
  _CheckForkAllowed("utils.RunCmd()")
  if interactive and (output is not None or input_fd is not None):
    raise errors.ProgrammerError("Parameters 'interactive' and"
                                 " 'output'/'input_fd' can't be used together")
  if timeout is not None and (isinstance(timeout, bool) or
                              not isinstance(timeout, (int, float)) or
                              timeout < 0):
    raise errors.ProgrammerError("RunCmd timeout must be a non-negative"
                                 " number, got %r" % (timeout, ))
  postfork = postfork_fn or _postfork_fn
  (args, strcmd, shell) = _PrepareCmd(cmd)
  cmd_env = _BuildCmdEnvironment(env, reset_env)

  if output is None:
    logging.debug("RunCmd %s", strcmd)
  else:
    logging.debug("RunCmd %s, output file '%s'", strcmd, output)

  # A command with a timeout gets its own process group so that the whole
  # tree (a shell and what it started) can be stopped.
  own_group = timeout is not None and not interactive
  popen_kwargs = {
    "shell": shell,
    "env": cmd_env,
    "cwd": cwd,
    "close_fds": True,
    "pass_fds": tuple(noclose_fds or ()),
    }
  if own_group:
    popen_kwargs["process_group"] = 0

  out_file = None
  try:
    if interactive:
      pass
    elif output is not None:
      out_file = open(output, "ab")
      popen_kwargs.update(stdout=out_file, stderr=subprocess.STDOUT,
                          stdin=(input_fd if input_fd is not None
                                 else subprocess.DEVNULL))
    else:
      popen_kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=(input_fd if input_fd is not None
                                 else subprocess.DEVNULL))
    try:
      child = subprocess.Popen(args, **popen_kwargs)
    except OSError as err:
      if err.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC,
                       errno.ENOTDIR):
        raise errors.OpExecError("Can't execute '%s': not found or not"
                                 " executable (%s)" % (strcmd, err)) from err
      raise
  finally:
    if out_file is not None:
      out_file.close()

  try:
    if postfork:
      postfork(child.pid)
    if interactive or output is not None:
      (_, timeout_action) = _WaitWithTimeout(child, timeout, own_group,
                                             lambda t: child.wait(timeout=t))
      (stdout, stderr) = ("", "")
    else:
      ((raw_out, raw_err), timeout_action) = \
        _WaitWithTimeout(child, timeout, own_group,
                         lambda t: child.communicate(timeout=t))
      (stdout, stderr) = (_Decode(raw_out), _Decode(raw_err))
  except BaseException:
    # Never leave a running child behind when we are interrupted.
    _Signal(child, signal.SIGKILL, own_group)
    child.wait()
    raise

  status = child.returncode
  if status >= 0:
    (exit_code, signal_) = (status, None)
  else:
    (exit_code, signal_) = (None, -status)
  return RunResult(exit_code, signal_, stdout, stderr, strcmd,
                   timeout_action, timeout)


def SetupDaemonEnv(cwd="/", umask=0o77):
  """Start a new session in cwd with umask: the daemon's first child."""
  os.chdir(cwd)
  os.umask(umask)
  os.setsid()


def SetupDaemonFDs(output_file, output_fd):
  """Point stdin at /dev/null and stdout/stderr at a log file.

  @param output_file: file name to append to (or None)
  @param output_fd: descriptor to use instead (or None); with neither,
      output goes to /dev/null

  """
  devnull_fd = os.open(os.devnull, os.O_RDONLY)
  if output_file is not None and output_fd is not None:
    raise errors.ProgrammerError("Only one of output_file and output_fd can"
                                 " be given")
  if output_file is not None:
    out_fd = os.open(output_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
  elif output_fd is not None:
    out_fd = output_fd
  else:
    out_fd = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull_fd, 0)
  os.dup2(out_fd, 1)
  os.dup2(out_fd, 2)
  for fd in set([devnull_fd, out_fd]):
    if fd > 2 and fd != output_fd:
      utils_wrapper.CloseFdNoError(fd)


def WriteErrorToFD(fd, err):
  """Send a startup error message down the daemon's error pipe."""
  if not err:
    err = "<unknown error>"
  utils_wrapper.RetryOnSignal(os.write, fd, str(err).encode("utf-8"))


def _OpenFds():
  """The descriptors open in this process, if /proc tells us."""
  try:
    return sorted(int(name) for name in os.listdir("/proc/self/fd"))
  except OSError:
    return None


def CloseFDs(noclose_fds=None):
  """Close every descriptor above 2 except those in noclose_fds."""
  keep = set(noclose_fds or ())
  maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
  if maxfd == resource.RLIM_INFINITY or maxfd > 1024 * 1024:
    maxfd = _DEFAULT_MAXFD
  start = 3
  for fd in sorted(fd for fd in keep if fd >= 3):
    os.closerange(start, fd)
    start = fd + 1
  os.closerange(start, maxfd)


def _StartDaemonChild(errpipe_read, errpipe_write, pidpipe_read,
                      pidpipe_write, args, env, cwd, output, output_fd,
                      pidfile):
  """The first child of StartDaemon; never returns."""
  try:
    utils_wrapper.CloseFdNoError(errpipe_read)
    utils_wrapper.CloseFdNoError(pidpipe_read)
    SetupDaemonEnv()
    if os.fork() != 0:
      os._exit(0)  # pylint: disable=W0212

    # The error pipe closes on a successful exec, which is how the
    # original process learns the start worked.
    utils_wrapper.SetCloseOnExecFlag(errpipe_write, True)
    keep_fds = [errpipe_write]
    if pidfile:
      fd_pidfile = utils_io.WritePidFile(pidfile)
      # The daemon keeps holding the pid file lock after exec.
      utils_wrapper.SetCloseOnExecFlag(fd_pidfile, False)
      keep_fds.append(fd_pidfile)
    SetupDaemonFDs(output, output_fd)
    utils_wrapper.RetryOnSignal(os.write, pidpipe_write,
                                str(os.getpid()).encode("ascii"))
    CloseFDs(noclose_fds=keep_fds)
    os.chdir(cwd)
    os.execvpe(args[0], args, env)
  except BaseException as err:  # pylint: disable=W0703
    try:
      WriteErrorToFD(errpipe_write, "%s: %s" % (err.__class__.__name__, err))
    except BaseException:  # pylint: disable=W0703
      pass
  os._exit(1)  # pylint: disable=W0212


def StartDaemon(cmd, env=None, cwd="/", output=None, output_fd=None,
                pidfile=None):
  """Start a detached daemon process (double fork, new session).

  @param cmd: list of arguments, or a string run by /bin/sh -c
  @param env: extra environment variables
  @param output: file to append the daemon's stdout/stderr to
  @param output_fd: descriptor for stdout/stderr instead of output
  @param pidfile: pid file the daemon writes and keeps locked
  @return: the daemon's pid
  @raise errors.OpExecError: the daemon could not be started (message
      from the failing step, e.g. exec or pid file lock)

  """
  _CheckForkAllowed("utils.StartDaemon()")
  if output is not None and output_fd is not None:
    raise errors.ProgrammerError("Only one of 'output' and 'output_fd' can"
                                 " be specified")
  if isinstance(cmd, str):
    cmd = ["/bin/sh", "-c", cmd]
  elif isinstance(cmd, (list, tuple)) and cmd:
    cmd = [str(arg) for arg in cmd]
  else:
    raise errors.ProgrammerError("StartDaemon needs a command string or a"
                                 " non-empty list, got %r" % (cmd, ))
  strcmd = utils_text.ShellQuoteArgs(cmd)
  if output:
    logging.debug("StartDaemon %s, output file '%s'", strcmd, output)
  else:
    logging.debug("StartDaemon %s", strcmd)
  cmd_env = _BuildCmdEnvironment(env, False)

  (pidpipe_read, pidpipe_write) = os.pipe()
  try:
    (errpipe_read, errpipe_write) = os.pipe()
    try:
      try:
        pid = os.fork()
        if pid == 0:
          _StartDaemonChild(errpipe_read, errpipe_write, pidpipe_read,
                            pidpipe_write, cmd, cmd_env, cwd, output,
                            output_fd, pidfile)
      finally:
        utils_wrapper.CloseFdNoError(errpipe_write)
        utils_wrapper.CloseFdNoError(pidpipe_write)
      # Returns when the exec succeeded (pipe closed) or with the error.
      errormsg = utils_wrapper.RetryOnSignal(os.read, errpipe_read,
                                             _MAX_ERROR_MSG)
    finally:
      utils_wrapper.CloseFdNoError(errpipe_read)
    pidtext = utils_wrapper.RetryOnSignal(os.read, pidpipe_read, 128)
  finally:
    utils_wrapper.CloseFdNoError(pidpipe_read)

  # The first child exits right after the second fork; reap it.
  try:
    os.waitpid(pid, 0)
  except OSError:
    pass

  if errormsg:
    raise errors.OpExecError("Error when starting daemon process %s: %s"
                             % (strcmd, errormsg.decode("utf-8", "replace")))
  try:
    return int(pidtext)
  except ValueError as err:
    raise errors.OpExecError("Error while trying to parse pid %r of daemon"
                             " %s: %s" % (pidtext, strcmd, err)) from err


def Daemonize(logfile):
  """Detach the current process (double fork) and return the error pipe.

  The original process waits until the daemon closes the returned pipe
  (startup succeeded: it exits 0) or writes an error message into it (it
  prints the message to stderr and exits 1). Only the daemon returns.

  @param logfile: file receiving the daemon's stdout and stderr
  @return: write end of the error pipe (see WriteErrorToFD)

  """
  _CheckForkAllowed("utils.Daemonize()")
  (rpipe, wpipe) = os.pipe()
  if os.fork() == 0:
    SetupDaemonEnv()
    if os.fork() != 0:
      os._exit(0)  # pylint: disable=W0212
    utils_wrapper.CloseFdNoError(rpipe)
  else:
    utils_wrapper.CloseFdNoError(wpipe)
    errormsg = utils_wrapper.RetryOnSignal(os.read, rpipe, _MAX_ERROR_MSG)
    if errormsg:
      sys.stderr.write("Error when starting daemon process: %s\n"
                       % errormsg.decode("utf-8", "replace"))
      sys.stderr.flush()
      os._exit(1)  # pylint: disable=W0212
    os._exit(0)  # pylint: disable=W0212
  SetupDaemonFDs(logfile, None)
  return wpipe


def _ProcStatusPath(pid):
  return "/proc/%d/status" % pid


def IsProcessAlive(pid):
  """Whether a process with this pid exists (zombies count as alive).

  @raise errors.ProgrammerError: pid is not an integer

  """
  if isinstance(pid, bool) or not isinstance(pid, int):
    raise errors.ProgrammerError("Process id must be an integer, got %r"
                                 % (pid, ))
  if pid <= 0:
    return False

  def _TryStat(path):
    try:
      os.stat(path)
      return True
    except OSError as err:
      if err.errno in (errno.ENOENT, errno.ENOTDIR):
        return False
      if err.errno == errno.EINVAL:
        # /proc can briefly answer EINVAL for processes being set up.
        raise utils_retry.RetryAgain(err)
      raise

  try:
    return utils_retry.Retry(_TryStat, (0.01, 1.5, 0.1), 0.5,
                             args=[_ProcStatusPath(pid)])
  except utils_retry.RetryTimeout as err:
    err.RaiseInner()
    raise


def _ParseSigsetT(sigset):
  """Signal numbers in a /proc hex signal mask (bit 0 is signal 1)."""
  mask = int(sigset, 16)
  result = set()
  signum = 1
  while mask:
    if mask & 1:
      result.add(signum)
    mask >>= 1
    signum += 1
  return result


def _GetProcStatusField(pstatus, field):
  """Value of "Field:" in a /proc/<pid>/status text, or None."""
  for line in pstatus.splitlines():
    (key, sep, value) = line.partition(":")
    if sep and key.strip() == field:
      return value.strip()
  return None


def IsProcessHandlingSignal(pid, signum, status_path=None):
  """Whether a process has a handler installed for signum.

  @return: False also if the process does not exist
  @raise errors.GenericError: the status file has no SigCgt field

  """
  if status_path is None:
    status_path = _ProcStatusPath(pid)
  try:
    proc_status = utils_io.ReadFile(status_path)
  except EnvironmentError as err:
    if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.EINVAL, errno.ESRCH):
      return False
    raise
  sigcgt = _GetProcStatusField(proc_status, "SigCgt")
  if sigcgt is None:
    raise errors.GenericError("%s is missing the 'SigCgt' field"
                              % status_path)
  try:
    return signum in _ParseSigsetT(sigcgt)
  except ValueError as err:
    raise errors.GenericError("Invalid 'SigCgt' value %r in %s"
                              % (sigcgt, status_path)) from err


def KillProcess(pid, signal_=signal.SIGTERM, timeout=30, waitpid=False):
  """Signal a process and wait for it to go away, SIGKILLing if needed.

  @param signal_: the first signal to send
  @param timeout: seconds to wait before SIGKILL; 0 or less: do not wait
  @param waitpid: the process is our child, reap it
  @raise errors.ProgrammerError: pid is not positive

  """
  if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
    raise errors.ProgrammerError("Invalid pid given '%s'" % (pid, ))

  def _Send(signum):
    if utils_wrapper.IgnoreProcessNotFound(os.kill, pid, signum) and waitpid:
      try:
        os.waitpid(pid, os.WNOHANG)
      except OSError:
        pass

  if not IsProcessAlive(pid):
    return
  _Send(signal_)
  if timeout <= 0:
    return

  def _Gone():
    if waitpid:
      try:
        (result_pid, _) = os.waitpid(pid, os.WNOHANG)
      except ChildProcessError:
        result_pid = pid if not IsProcessAlive(pid) else 0
      if result_pid > 0:
        return
    elif not IsProcessAlive(pid):
      return
    raise utils_retry.RetryAgain()

  try:
    utils_retry.Retry(_Gone, (0.01, 1.5, 0.1), timeout)
  except utils_retry.RetryTimeout:
    pass

  if IsProcessAlive(pid):
    _Send(signal.SIGKILL)
    if waitpid:
      try:
        os.waitpid(pid, 0)
      except ChildProcessError:
        pass


def RunInSeparateProcess(fn, *args):
  """Run fn(*args) in a forked child and return its result as a bool.

  @raise errors.GenericError: the child failed (exception or signal)

  """
  _CheckForkAllowed("utils.RunInSeparateProcess()")
  pid = os.fork()
  if pid == 0:
    try:
      code = int(bool(fn(*args)))
    except BaseException:  # pylint: disable=W0703
      try:
        logging.exception("Error while calling function in separate process")
      finally:
        # 0 and 1 carry the result; anything else means failure.
        os._exit(33)  # pylint: disable=W0212
    os._exit(code)  # pylint: disable=W0212

  (_, status) = os.waitpid(pid, 0)
  if os.WIFSIGNALED(status):
    (exitcode, signum) = (None, os.WTERMSIG(status))
  else:
    (exitcode, signum) = (os.WEXITSTATUS(status), None)
  if signum is not None or exitcode not in (0, 1):
    raise errors.GenericError("Child program failed (code=%s, signal=%s)"
                              % (exitcode, signum))
  return bool(exitcode)


def RunParts(dir_name, env=None, reset_env=False):
  """Run the scripts of a directory in name order, like run-parts.

  Only executable files whose names consist of letters, digits, "_" and
  "-" are run; others are reported as skipped.

  @return: list of (name, status, details): constants.RUNPARTS_SKIP with
      None, constants.RUNPARTS_RUN with the RunResult,
      constants.RUNPARTS_ERR with an error message; an unreadable
      directory gives an empty list

  """
  results = []
  try:
    names = utils_io.ListVisibleFiles(dir_name)
  except OSError as err:
    logging.warning("RunParts: skipping %s (cannot list: %s)", dir_name, err)
    return results

  for name in sorted(names):
    path = utils_io.PathJoin(dir_name, name)
    if not (constants.EXT_PLUGIN_MASK.match(name) and
            utils_wrapper.IsExecutable(path)):
      results.append((name, constants.RUNPARTS_SKIP, None))
      continue
    try:
      result = RunCmd([path], env=env, reset_env=reset_env)
    except Exception as err:  # pylint: disable=W0703
      results.append((name, constants.RUNPARTS_ERR, str(err)))
    else:
      results.append((name, constants.RUNPARTS_RUN, result))
  return results
