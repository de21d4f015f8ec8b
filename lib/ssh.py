"""SSH to real cluster hosts, with paramiko: run commands and copy files.

Layer 4 (wire).  `SshRunner` is what bootstrap and ``gnt-node add`` use to
prepare a machine that is not a node yet (copy the cluster certificate,
start its node daemon): once a node is in the cluster, everything else
goes through the node daemon's RPC.  Host keys are checked against the
cluster's own known_hosts file (pathutils.SSH_KNOWN_HOSTS_FILE, one line
``<cluster name> ssh-rsa <key>``): every node has the same host key, so
with ``use_cluster_key`` the key is looked up under the cluster name, as
Ganeti's ``HostKeyAlias`` option does.  New keys are never written to any
known_hosts file.

Nodes of a virtual cluster are not reached over SSH (they share this
machine; bootstrap copies files into their roots).  This module must not
read the cluster configuration itself (callers pass what it needs) and
must not ask questions anywhere but on the controlling terminal.
"""

import getpass
import logging
import os
import pwd
import socket
import stat
import time

import paramiko

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import utils


#: Key kinds of users' SSH key pairs (Ganeti's constants.SSHK_*)
SSHK_RSA = "rsa"
SSHK_DSA = "dsa"
SSHK_ALL = frozenset([SSHK_RSA, SSHK_DSA])

#: Key type as written in known_hosts / authorized_keys (SSHAK_*)
SSHAK_RSA = "ssh-rsa"
SSHAK_DSS = "ssh-dss"

#: Seconds allowed for the TCP connection and the SSH handshake
CONNECT_TIMEOUT = 10.0

#: Seconds a remote command may run unless the caller says otherwise
DEFAULT_RUN_TIMEOUT = 300.0

#: Exit code reported when the remote side gave none (connection lost)
_NO_EXIT_STATUS = -1

#: What a failed connection reports as exit code, like ssh(1) does
SSH_FAILURE_EXIT_CODE = 255


def FormatParamikoFingerprint(fingerprint):
  """Format a paramiko host key fingerprint (bytes) as ``aa:bb:...``."""
  if isinstance(fingerprint, bytes):
    fingerprint = fingerprint.hex()
  return ":".join(fingerprint[i:i + 2]
                  for i in range(0, len(fingerprint), 2)).lower()


def GetUserFiles(user, mkdir=False, dircheck=True, kind=SSHK_RSA,
                 _homedir_fn=None):
  """The paths of a user's SSH key pair and authorized_keys file.

  @param user: the user name
  @param mkdir: create ~/.ssh (mode 0700) if missing
  @param dircheck: fail when ~/.ssh does not exist
  @param kind: SSHK_RSA or SSHK_DSA
  @return: (private key, public key, authorized_keys)
  @raise errors.OpExecError: unknown user, or missing directory

  """
  if kind not in SSHK_ALL:
    raise errors.ProgrammerError("Unknown SSH key kind '%s', expected one of"
                                 " %s" % (kind, utils.CommaJoin(
                                   sorted(SSHK_ALL))))
  if _homedir_fn is None:
    _homedir_fn = _GetHomeDir
  home = _homedir_fn(user)
  if not home:
    raise errors.OpExecError("Cannot resolve the home directory of user"
                             " '%s'" % user)
  ssh_dir = os.path.join(home, ".ssh")
  if mkdir:
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
  elif dircheck and not os.path.isdir(ssh_dir):
    raise errors.OpExecError("Path %s of user '%s' is not a directory" %
                             (ssh_dir, user))
  base = os.path.join(ssh_dir, "id_%s" % kind)
  return (base, base + ".pub", os.path.join(ssh_dir, "authorized_keys"))


def _GetHomeDir(user):
  """A user's home directory, or None for an unknown user."""
  try:
    return pwd.getpwnam(user).pw_dir
  except KeyError:
    return None


def WriteKnownHostsFile(cfg, file_name):
  """Write the cluster's known_hosts file from the configuration.

  @param cfg: a ConfigWriter (its cluster name and RSA host key are used)

  """
  data = "%s %s %s\n" % (cfg.GetClusterName(), SSHAK_RSA, cfg.GetHostKey())
  utils.WriteFile(file_name, mode=0o644, data=data)


def LoadKnownHosts(file_name):
  """Read a known_hosts file into a paramiko.HostKeys (empty if missing).

  @raise errors.OpExecError: the file exists but cannot be parsed

  """
  keys = paramiko.HostKeys()
  if file_name and os.path.exists(file_name):
    try:
      keys.load(file_name)
    except (IOError, paramiko.SSHException, paramiko.hostkeys.InvalidHostKey,
            ValueError) as err:
      raise errors.OpExecError("Cannot read the known hosts file %s: %s" %
                               (file_name, err))
  return keys


def _KnownHostsName(hostname, port):
  """How known_hosts and paramiko name a host on a port."""
  if port == constants.DEFAULT_SSH_PORT:
    return hostname
  return "[%s]:%d" % (hostname, port)


def _AskOnTerminal(hostname, key_type, fingerprint, _tty_path="/dev/tty"):
  """Ask the user whether an unknown host key is to be trusted.

  Without a terminal the answer is no.

  """
  try:
    tty = open(_tty_path, "r+")
  except EnvironmentError:
    return False
  with tty:
    tty.write("The authenticity of host '%s' can't be established.\n"
              "%s key fingerprint is %s.\n"
              "Are you sure you want to continue connecting (yes/no)? " %
              (hostname, key_type, fingerprint))
    tty.flush()
    answer = tty.readline().strip().lower()
  return answer == "yes"


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
  """What to do with a host key that is not in the known hosts.

  strict: refuse; ask: ask on the terminal (refuse without one); neither:
  accept for this connection only (nothing is saved).

  """
  def __init__(self, strict, ask, ask_fn):
    self.strict = strict
    self.ask = ask
    self.ask_fn = ask_fn

  def missing_host_key(self, client, hostname, key):
    fingerprint = FormatParamikoFingerprint(key.get_fingerprint())
    if self.ask:
      if self.ask_fn(hostname, key.get_name(), fingerprint):
        return
      raise paramiko.SSHException("Host key of %s (%s %s) was not accepted"
                                  % (hostname, key.get_name(), fingerprint))
    if self.strict:
      raise paramiko.SSHException("Host key of %s (%s %s) is not in the"
                                  " known hosts and strict host key"
                                  " checking is on" %
                                  (hostname, key.get_name(), fingerprint))
    logging.info("Accepting unknown host key %s %s of %s for this"
                 " connection", key.get_name(), fingerprint, hostname)


class SshResult(object):
  """Outcome of a remote command, shaped like utils.RunResult.

  @ivar exit_code: the remote exit status (255: connection failure, -1: the
      remote side gave none)
  @ivar stdout, stderr: the command's output, as text
  @ivar failed: whether the command did not succeed
  @ivar fail_reason: why, or None
  @ivar cmd: what was run, and where

  """
  signal = None

  def __init__(self, exit_code, stdout, stderr, cmd, fail_reason=None):
    self.exit_code = exit_code
    self.stdout = stdout
    self.stderr = stderr
    self.cmd = cmd
    self.failed = exit_code != 0
    if self.failed and fail_reason is None:
      fail_reason = "exited with exit code %s" % exit_code
    self.fail_reason = fail_reason if self.failed else None

  @property
  def output(self):
    """Standard output followed by standard error."""
    return self.stdout + self.stderr

  def __repr__(self):
    return "<SshResult cmd=%r exit_code=%r>" % (self.cmd, self.exit_code)


class SshRunner(object):
  """Runs commands on and copies files to other hosts over SSH.

  """
  def __init__(self, cluster_name, ipv6=False, _known_hosts_file=None,
               _key_files=None, _ask_fn=None, _password_fn=None,
               _connect_timeout=CONNECT_TIMEOUT):
    """
    @param cluster_name: the name host keys are filed under in the cluster's
        known_hosts file
    @param ipv6: connect over IPv6 (the cluster's primary IP family)
    @param _known_hosts_file: default pathutils.SSH_KNOWN_HOSTS_FILE, read
        at each connection
    @param _key_files: private key files to log in with (default: the
        user's usual keys and the SSH agent)

    """
    self.cluster_name = cluster_name
    self.ipv6 = ipv6
    self._known_hosts_file = _known_hosts_file
    self._key_files = _key_files
    self._ask_fn = _ask_fn or _AskOnTerminal
    self._password_fn = _password_fn or getpass.getpass
    self._connect_timeout = _connect_timeout

  def _GetHostKeys(self, hostname, port, use_cluster_key):
    """The known host keys, with the cluster's under the host's name too."""
    file_name = self._known_hosts_file
    if file_name is None:
      file_name = pathutils.SSH_KNOWN_HOSTS_FILE
    known = LoadKnownHosts(file_name)
    if use_cluster_key:
      cluster_keys = known.lookup(self.cluster_name)
      name = _KnownHostsName(hostname, port)
      if cluster_keys:
        for (key_type, key) in cluster_keys.items():
          known.add(name, key_type, key)
    return known

  def _Resolve(self, hostname):
    family = socket.AF_INET6 if self.ipv6 else socket.AF_INET
    try:
      return netutils.Hostname.GetIP(hostname, family=family)
    except errors.ResolverError:
      # let paramiko try the name itself (e.g. a literal address)
      return hostname

  def Connect(self, hostname, user, port=constants.DEFAULT_SSH_PORT,
              batch=True, ask_key=False, strict_host_check=True,
              use_cluster_key=True, timeout=None):
    """Open an authenticated SSH connection (a paramiko.SSHClient).

    @param batch: never ask for a password (keys and agent only)
    @param ask_key: ask on the terminal about unknown host keys
    @param strict_host_check: refuse unknown host keys (unless asked)
    @param use_cluster_key: check the host key against the cluster's key
    @raise errors.OpExecError: connection, host key or login failure

    """
    port = netutils.ValidatePortNumber(port)
    client = paramiko.SSHClient()
    known = self._GetHostKeys(hostname, port, use_cluster_key)
    host_keys = client.get_host_keys()
    for name in known.keys():
      for (key_type, key) in known.lookup(name).items():
        host_keys.add(name, key_type, key)
    client.set_missing_host_key_policy(
      _HostKeyPolicy(strict_host_check, ask_key, self._ask_fn))
    address = self._Resolve(hostname)
    kwargs = dict(port=port, username=user,
                  timeout=timeout or self._connect_timeout,
                  banner_timeout=self._connect_timeout,
                  auth_timeout=self._connect_timeout)
    if self._key_files is not None:
      kwargs.update(key_filename=list(self._key_files), look_for_keys=False,
                    allow_agent=False)
    def _Open(**extra):
      # a fresh socket per attempt: a failed login closes the transport
      try:
        sock = socket.create_connection((address, port),
                                        timeout=kwargs["timeout"])
      except OSError as err:
        raise errors.OpExecError("Cannot connect to %s (%s) port %s: %s" %
                                 (hostname, address, port, err))
      args = dict(kwargs)
      args.update(extra)
      try:
        # the host name (not the address) is what known_hosts lists
        client.connect(hostname, sock=sock, **args)
      except BaseException:
        sock.close()
        raise

    try:
      try:
        _Open()
      except paramiko.AuthenticationException:
        if batch:
          raise
        password = self._password_fn("%s@%s's password: " % (user, hostname))
        _Open(password=password, key_filename=None, look_for_keys=False,
              allow_agent=False)
    except errors.OpExecError:
      client.close()
      raise
    except (paramiko.SSHException, OSError, EOFError) as err:
      client.close()
      raise errors.OpExecError("SSH connection to %s@%s port %s failed: %s"
                               % (user, hostname, port, err))
    return client

  def Run(self, hostname, user, command, batch=True, ask_key=False,
          strict_host_check=True, use_cluster_key=True,
          port=constants.DEFAULT_SSH_PORT, timeout=DEFAULT_RUN_TIMEOUT,
          data=None):
    """Run a shell command on a host.

    Connection failures are not raised: like ssh(1), they give exit code
    255 with the reason as fail_reason.

    @param command: the command line (run by the remote user's shell)
    @param data: text or bytes fed to the command's standard input
    @return: an `SshResult`

    """
    where = "%s@%s:%s" % (user, hostname, port)
    cmd_desc = "ssh %s %s" % (where, command)
    try:
      client = self.Connect(hostname, user, port=port, batch=batch,
                            ask_key=ask_key,
                            strict_host_check=strict_host_check,
                            use_cluster_key=use_cluster_key)
    except errors.OpExecError as err:
      logging.error("%s", err)
      return SshResult(SSH_FAILURE_EXIT_CODE, "", str(err), cmd_desc,
                       fail_reason=str(err))
    try:
      return self._RunOnClient(client, command, cmd_desc, timeout, data)
    finally:
      client.close()

  @staticmethod
  def _RunOnClient(client, command, cmd_desc, timeout, data):
    try:
      channel = client.get_transport().open_session(
        timeout=CONNECT_TIMEOUT)
      channel.exec_command(command)
      if data is not None:
        if isinstance(data, str):
          data = data.encode("utf-8")
        channel.sendall(data)
      channel.shutdown_write()
    except (paramiko.SSHException, OSError) as err:
      reason = "cannot start the command: %s" % err
      return SshResult(SSH_FAILURE_EXIT_CODE, "", reason, cmd_desc,
                       fail_reason=reason)

    stdout = []
    stderr = []
    deadline = time.monotonic() + timeout
    channel.settimeout(0.1)
    while True:
      got = False
      while channel.recv_ready():
        stdout.append(channel.recv(65536))
        got = True
      while channel.recv_stderr_ready():
        stderr.append(channel.recv_stderr(65536))
        got = True
      if (channel.exit_status_ready() and not channel.recv_ready() and
          not channel.recv_stderr_ready()):
        break
      if channel.closed and not got:
        break
      if time.monotonic() > deadline:
        channel.close()
        reason = "terminated after timeout of %.2f seconds" % timeout
        return SshResult(_NO_EXIT_STATUS,
                         b"".join(stdout).decode("utf-8", "replace"),
                         b"".join(stderr).decode("utf-8", "replace"),
                         cmd_desc, fail_reason=reason)
      if not got:
        time.sleep(0.01)
    if channel.exit_status_ready():
      exit_code = channel.recv_exit_status()
      reason = None
    else:
      exit_code = _NO_EXIT_STATUS
      reason = "the connection closed without an exit status"
    channel.close()
    return SshResult(exit_code, b"".join(stdout).decode("utf-8", "replace"),
                     b"".join(stderr).decode("utf-8", "replace"), cmd_desc,
                     fail_reason=reason)

  def CopyFileToNode(self, node, port, filename, user="root",
                     remote_name=None):
    """Copy a local file to the same path on a node, keeping mode and times.

    @param remote_name: where to put it (default: the same path)
    @return: True on success; failures are logged and give False

    """
    if not os.path.isabs(filename):
      logging.error("File %s must be an absolute path", filename)
      return False
    if not os.path.isfile(filename):
      logging.error("File %s does not exist or is not a regular file",
                    filename)
      return False
    if remote_name is None:
      remote_name = filename
    try:
      client = self.Connect(node, user, port=port, batch=True,
                            use_cluster_key=True, strict_host_check=True)
    except errors.OpExecError as err:
      logging.error("Copy of %s to node %s failed: %s", filename, node, err)
      return False
    try:
      st = os.stat(filename)
      sftp = client.open_sftp()
      try:
        sftp.put(filename, remote_name)
        sftp.chmod(remote_name, stat.S_IMODE(st.st_mode))
        sftp.utime(remote_name, (st.st_atime, st.st_mtime))
      finally:
        sftp.close()
    except (paramiko.SSHException, OSError) as err:
      logging.error("Copy of %s to node %s failed: %s", filename, node, err)
      return False
    finally:
      client.close()
    return True

  def VerifyNodeHostname(self, node, port=constants.DEFAULT_SSH_PORT,
                         user="root"):
    """Check that a host, reached as ``node``, calls itself ``node``.

    @return: (True, message) when it does, else (False, what is wrong)

    """
    result = self.Run(node, user, "hostname --fqdn", batch=True,
                      ask_key=False, strict_host_check=True,
                      use_cluster_key=True, port=port)
    if result.failed:
      return (False, "SSH to node %s failed: %s; output: %s" %
              (node, result.fail_reason, result.output.strip()))
    name = result.stdout.strip()
    if name != node:
      return (False, "Hostname mismatch: node %s reports its name as '%s'" %
              (node, name))
    return (True, "host %s matches" % node)
