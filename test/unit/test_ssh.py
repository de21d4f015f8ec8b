"""Tests for ganeti.ssh against a real OpenSSH server on 127.0.93.1.

The sshd (/usr/sbin/sshd) runs with its own configuration, host key and
authorized_keys in a temporary directory, on a free port, in a private
mount namespace whose /run has the privilege separation directory it
needs; it is stopped at the end.  Host keys are checked against a cluster
known_hosts file written like Ganeti's (``<cluster name> ssh-rsa <key>``).
"""

import os
import signal
import socket
import subprocess
import time

import pytest

from ganeti import errors
from ganeti import ssh


ADDRESS = "127.0.93.1"
CLUSTER = "cluster.example.com"


def _FreePort():
  sock = socket.socket()
  try:
    sock.bind((ADDRESS, 0))
    return sock.getsockname()[1]
  finally:
    sock.close()


def _KeyGen(path):
  subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "",
                  "-f", str(path)], check=True)
  return path.with_suffix(".pub").read_text().split()[1]


class _Sshd(object):
  def __init__(self, tmp_path):
    self.dir = tmp_path
    self.port = _FreePort()
    self.host_key = _KeyGen(tmp_path / "hostkey")
    _KeyGen(tmp_path / "userkey")
    self.user_key = str(tmp_path / "userkey")
    (tmp_path / "authorized_keys").write_text(
      (tmp_path / "userkey.pub").read_text())
    self.known_hosts = str(tmp_path / "known_hosts")
    with open(self.known_hosts, "w") as fd:
      fd.write("%s ssh-rsa %s\n" % (CLUSTER, self.host_key))
    conf = tmp_path / "sshd_config"
    conf.write_text("\n".join([
      "Port %d" % self.port,
      "ListenAddress %s" % ADDRESS,
      "HostKey %s" % (tmp_path / "hostkey"),
      "AuthorizedKeysFile %s" % (tmp_path / "authorized_keys"),
      "StrictModes no", "UsePAM no", "PasswordAuthentication no",
      "PermitRootLogin prohibit-password",
      "Subsystem sftp internal-sftp", ""]))
    script = ("mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd &&"
              " exec /usr/sbin/sshd -D -e -f %s" % conf)
    self.proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
      try:
        socket.create_connection((ADDRESS, self.port), timeout=1).close()
        break
      except OSError:
        if self.proc.poll() is not None or time.monotonic() > deadline:
          raise AssertionError("sshd did not start on %s:%s" %
                               (ADDRESS, self.port))
        time.sleep(0.02)

  def Runner(self, **kwargs):
    kwargs.setdefault("_known_hosts_file", self.known_hosts)
    kwargs.setdefault("_key_files", [self.user_key])
    return ssh.SshRunner(CLUSTER, **kwargs)

  def Stop(self):
    if self.proc.poll() is None:
      self.proc.send_signal(signal.SIGTERM)
      try:
        self.proc.wait(10)
      except subprocess.TimeoutExpired:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
  server = _Sshd(tmp_path_factory.mktemp("sshd"))
  yield server
  server.Stop()


def test_run_returns_output_and_exit_code(sshd):
  result = sshd.Runner().Run(ADDRESS, "root", "echo out; echo err >&2;"
                             " exit 3", port=sshd.port)
  assert (result.exit_code, result.stdout, result.stderr) == \
    (3, "out\n", "err\n")
  assert result.failed
  assert result.fail_reason == "exited with exit code 3"


def test_run_feeds_standard_input(sshd):
  result = sshd.Runner().Run(ADDRESS, "root", "tr a-z A-Z", port=sshd.port,
                             data="hello\n")
  assert not result.failed
  assert result.stdout == "HELLO\n"


def test_cluster_key_is_looked_up_under_the_cluster_name(sshd):
  # strict checking passes only because the key is filed under CLUSTER
  result = sshd.Runner().Run(ADDRESS, "root", "true", port=sshd.port,
                             use_cluster_key=True, strict_host_check=True)
  assert not result.failed
  result = sshd.Runner().Run(ADDRESS, "root", "true", port=sshd.port,
                             use_cluster_key=False, strict_host_check=True)
  assert result.exit_code == ssh.SSH_FAILURE_EXIT_CODE
  assert "is not in the known hosts" in result.fail_reason


def test_wrong_cluster_key_is_refused(sshd, tmp_path):
  other = tmp_path / "known_hosts"
  other.write_text("%s ssh-rsa %s\n" %
                   (CLUSTER, _KeyGen(tmp_path / "otherkey")))
  result = sshd.Runner(_known_hosts_file=str(other)).Run(
    ADDRESS, "root", "true", port=sshd.port)
  assert result.failed
  assert "SSH connection to root@%s port %s failed" % (ADDRESS, sshd.port) \
    in result.fail_reason


def test_unknown_key_accepted_without_strict_checking(sshd, tmp_path):
  runner = sshd.Runner(_known_hosts_file=str(tmp_path / "missing"))
  result = runner.Run(ADDRESS, "root", "true", port=sshd.port,
                      strict_host_check=False)
  assert not result.failed
  assert not os.path.exists(tmp_path / "missing")


def test_ask_key_uses_the_answer(sshd, tmp_path):
  asked = []

  def _Ask(hostname, key_type, fingerprint):
    asked.append((hostname, key_type, fingerprint))
    return False
  runner = sshd.Runner(_known_hosts_file=str(tmp_path / "missing"),
                       _ask_fn=_Ask)
  result = runner.Run(ADDRESS, "root", "true", port=sshd.port, ask_key=True)
  assert result.failed and "was not accepted" in result.fail_reason
  assert asked[0][0] == "[%s]:%d" % (ADDRESS, sshd.port)
  assert asked[0][1] == "ssh-rsa"


def test_login_with_a_key_that_is_not_authorized_fails(sshd, tmp_path):
  _KeyGen(tmp_path / "stranger")
  result = sshd.Runner(_key_files=[str(tmp_path / "stranger")]).Run(
    ADDRESS, "root", "true", port=sshd.port)
  assert result.exit_code == ssh.SSH_FAILURE_EXIT_CODE
  assert result.fail_reason.startswith("SSH connection to root@%s port %s"
                                       " failed" % (ADDRESS, sshd.port))


def test_connection_refused_is_exit_code_255(sshd):
  result = sshd.Runner().Run("127.0.93.2", "root", "true", port=sshd.port)
  assert result.exit_code == ssh.SSH_FAILURE_EXIT_CODE
  assert "Cannot connect to 127.0.93.2" in result.fail_reason


def test_run_timeout_stops_waiting(sshd):
  start = time.monotonic()
  result = sshd.Runner().Run(ADDRESS, "root", "sleep 30", port=sshd.port,
                             timeout=0.5)
  assert time.monotonic() - start < 5
  assert result.failed
  assert "timeout of 0.50 seconds" in result.fail_reason


def test_copy_file_to_node_keeps_mode_and_times(sshd, tmp_path):
  src = tmp_path / "source.txt"
  src.write_text("payload\n")
  os.chmod(src, 0o640)
  os.utime(src, (1000000000, 1000000000))
  dst = str(tmp_path / "copy.txt")
  assert sshd.Runner().CopyFileToNode(ADDRESS, sshd.port, str(src),
                                      remote_name=dst)
  assert open(dst).read() == "payload\n"
  st = os.stat(dst)
  assert (st.st_mode & 0o777, int(st.st_mtime)) == (0o640, 1000000000)


def test_copy_file_to_node_refuses_missing_and_relative_files(sshd):
  runner = sshd.Runner()
  assert not runner.CopyFileToNode(ADDRESS, sshd.port, "relative/path")
  assert not runner.CopyFileToNode(ADDRESS, sshd.port, "/nonexistent/file")


def test_verify_node_hostname_reports_a_mismatch(sshd):
  # reached by its address, the host calls itself by its name
  runner = sshd.Runner()
  remote_name = runner.Run(ADDRESS, "root", "hostname --fqdn",
                           port=sshd.port).stdout.strip()
  (ok, msg) = runner.VerifyNodeHostname(ADDRESS, port=sshd.port)
  assert not ok
  assert msg == ("Hostname mismatch: node %s reports its name as '%s'" %
                 (ADDRESS, remote_name))
  (ok, msg) = runner.VerifyNodeHostname("127.0.93.2", port=sshd.port)
  assert not ok and "SSH to node 127.0.93.2 failed" in msg


def test_known_hosts_file_written_from_the_config(tmp_path):
  key = _KeyGen(tmp_path / "clusterkey")

  class _Cfg(object):
    def GetClusterName(self):
      return CLUSTER

    def GetHostKey(self):
      return key
  path = str(tmp_path / "known_hosts")
  ssh.WriteKnownHostsFile(_Cfg(), path)
  assert open(path).read() == "%s ssh-rsa %s\n" % (CLUSTER, key)
  assert ssh.LoadKnownHosts(path).lookup(CLUSTER) is not None


def test_unreadable_known_hosts_is_an_error(tmp_path):
  bad = tmp_path / "known_hosts"
  bad.write_text("cluster ssh-rsa !!!notbase64!!!\n")
  with pytest.raises(errors.OpExecError, match="known hosts file"):
    ssh.LoadKnownHosts(str(bad))


def test_user_files(tmp_path):
  home = tmp_path / "home"
  home.mkdir()
  files = ssh.GetUserFiles("someone", mkdir=True, kind=ssh.SSHK_DSA,
                           _homedir_fn=lambda _: str(home))
  ssh_dir = str(home / ".ssh")
  assert files == (ssh_dir + "/id_dsa", ssh_dir + "/id_dsa.pub",
                   ssh_dir + "/authorized_keys")
  assert os.path.isdir(ssh_dir)
  with pytest.raises(errors.OpExecError, match="home directory of user"):
    ssh.GetUserFiles("nosuchuser-xyz")
  with pytest.raises(errors.OpExecError, match="is not a directory"):
    ssh.GetUserFiles("x", _homedir_fn=lambda _: str(tmp_path / "nohome"))


def test_fingerprint_format():
  assert ssh.FormatParamikoFingerprint(b"\xab\x01\xff") == "ab:01:ff"
