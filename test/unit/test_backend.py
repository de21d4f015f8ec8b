"""Tests of ganeti.backend: the node calls, on a virtual node in tmp_path."""

import os
import socket
import time

import psutil
import pytest

from ganeti import backend
from ganeti import constants
from ganeti import errors
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"
OTHER = "node2.example.com"


@pytest.fixture
def vnode(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  return root


def _WriteSsconf(**values):
  ssconf.SimpleStore().WriteFiles(values)


def _WaitFor(fn, timeout=5.0):
  deadline = time.monotonic() + timeout
  while not fn():
    assert time.monotonic() < deadline, "condition not met in time"
    time.sleep(0.02)


def test_version_is_the_protocol_version():
  assert backend.GetVersion() == constants.PROTOCOL_VERSION == 2060000


# node_info

def test_node_info_numbers_are_sane(vnode):
  # without hypervisors the figures are the operating system's
  info = backend.GetNodeInfo([], [])
  mem = psutil.virtual_memory()
  assert abs(info["memory_total"] - mem.total / 1048576) < 2
  assert 0 < info["memory_free"] <= info["memory_total"]
  assert info["memory_dom0"] == info["memory_total"] - info["memory_free"]
  assert info["cpu_total"] == psutil.cpu_count()
  with open("/proc/sys/kernel/random/boot_id") as handle:
    assert info["bootid"] == handle.read().strip()
  assert info["vg_info"] == [] and info["hv_info"] == []


def test_node_info_reports_missing_volume_groups_as_none(vnode):
  info = backend.GetNodeInfo(["no-such-vg-f2"])
  assert info["vg_info"] == [{"name": "no-such-vg-f2", "vg_size": None,
                              "vg_free": None}]


@pytest.mark.parametrize("vgs,hvs,match", [
  ("xenvg", None, "expected a list of names"),
  ([""], None, "Invalid volume group name"),
  ([3], None, "Invalid volume group name"),
  ([], "kvm", "Invalid hypervisor list"),
  ([], ["kvm", "bogus"], "Unknown hypervisor\\(s\\) bogus"),
  ])
def test_node_info_rejects_bad_input(vgs, hvs, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.GetNodeInfo(vgs, hvs)


def test_node_info_fails_without_boot_id(tmp_path):
  with pytest.raises(backend.RPCFail, match="Cannot read the boot id"):
    backend._ReadBootId(str(tmp_path / "missing"))


# ssconf and master info

def test_write_ssconf_files_and_master_info(vnode):
  backend.WriteSsconfFiles({
    "master_netdev": "lo", "master_ip": "127.0.1.9", "master_node": NODE,
    "master_netmask": "32", "primary_ip_family": "2",
    "cluster_name": "cluster.example.com"})
  path = os.path.join(pathutils.DATA_DIR, "ssconf_master_node")
  with open(path) as handle:
    assert handle.read() == NODE + "\n"
  assert os.stat(path).st_mode & 0o777 == 0o444
  assert backend.GetMasterInfo() == ("lo", "127.0.1.9", NODE, 2, 32)


def test_write_ssconf_rejects_unknown_keys_and_types(vnode):
  with pytest.raises(backend.RPCFail, match="Invalid ssconf keys: 'bogus'"):
    backend.WriteSsconfFiles({"bogus": "x", "master_node": NODE})
  assert not os.path.exists(os.path.join(pathutils.DATA_DIR,
                                         "ssconf_master_node"))
  with pytest.raises(backend.RPCFail, match="expected a dict"):
    backend.WriteSsconfFiles([("master_node", NODE)])


def test_master_info_fails_without_ssconf(vnode):
  with pytest.raises(backend.RPCFail, match="Master information not"
                     " available"):
    backend.GetMasterInfo()


# tcp_ping

@pytest.fixture
def listener():
  sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  sock.bind(("127.0.0.1", 0))
  sock.listen(5)
  yield sock.getsockname()[1]
  sock.close()


def test_tcp_ping_live_and_refused_ports(listener):
  assert backend.TcpPing(None, "127.0.0.1", listener, 2.0, True)
  assert backend.TcpPing("127.0.0.1", "127.0.0.1", listener, 2.0, True)
  probe = socket.socket()
  probe.bind(("127.0.0.1", 0))
  free_port = probe.getsockname()[1]
  probe.close()
  assert not backend.TcpPing(None, "127.0.0.1", free_port, 2.0, True)
  # a refused connection still proves the host is up
  assert backend.TcpPing(None, "127.0.0.1", free_port, 2.0, False)


@pytest.mark.parametrize("args,match", [
  ((None, "not-an-ip", 1811, 1.0, False), "Invalid TCP ping request"),
  ((None, "127.0.0.1", 0, 1.0, False), "Invalid TCP ping request"),
  ((None, "127.0.0.1", 1811, -1, False), "Invalid TCP ping request"),
  ((None, "127.0.0.1", 1811, 1.0, "yes"), "live_port_needed"),
  (("bogus", "127.0.0.1", 1811, 1.0, False), "Invalid TCP ping request"),
  ])
def test_tcp_ping_rejects_bad_input(args, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.TcpPing(*args)


# job queue replication

@pytest.fixture
def candidate(vnode):
  _WriteSsconf(master_candidates=[NODE, OTHER], master_node=OTHER)
  return vnode


def test_queue_update_rename_and_purge(candidate):
  job = os.path.join(pathutils.QUEUE_DIR, "job-1")
  backend.JobQueueUpdate(job, backend.PackFileData('{"id": 1}'))
  with open(job) as handle:
    assert handle.read() == '{"id": 1}'
  assert os.stat(job).st_mode & 0o777 == 0o600
  big = "x" * 20000
  serial = vcluster.MakeVirtualPath(pathutils.JOB_QUEUE_SERIAL_FILE)
  backend.JobQueueUpdate(serial, backend.PackFileData(big))
  with open(pathutils.JOB_QUEUE_SERIAL_FILE) as handle:
    assert handle.read() == big

  archived = os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "0", "job-1")
  backend.JobQueueRename(job, archived)
  assert not os.path.exists(job)
  assert os.path.isfile(archived)
  assert os.stat(os.path.dirname(archived)).st_mode & 0o777 == 0o700

  utils.WriteFile(pathutils.JOB_QUEUE_LOCK_FILE, data="")
  backend.JobQueuePurge()
  assert sorted(os.listdir(pathutils.QUEUE_DIR)) == ["archive", "lock"]
  assert os.listdir(pathutils.JOB_QUEUE_ARCHIVE_DIR) == []


@pytest.mark.parametrize("relpath", [
  "var/lib/ganeti/config.data",
  "var/lib/ganeti/queue/../config.data",
  "var/lib/ganeti/queue",
  "etc/hosts",
  ])
def test_queue_update_refuses_paths_outside_the_queue(candidate, relpath):
  target = str(candidate / relpath)
  with pytest.raises(backend.RPCFail, match="not inside the job queue"):
    backend.JobQueueUpdate(target, [0, "x"])
  with pytest.raises(backend.RPCFail, match="not inside the job queue"):
    backend.JobQueueRename(os.path.join(pathutils.QUEUE_DIR, "job-1"),
                           target)


def test_queue_refuses_the_lock_file_and_non_files(candidate):
  with pytest.raises(backend.RPCFail, match="lock file"):
    backend.JobQueueUpdate(pathutils.JOB_QUEUE_LOCK_FILE, [0, ""])
  with pytest.raises(backend.RPCFail, match="not a regular file"):
    backend.JobQueueUpdate(pathutils.JOB_QUEUE_ARCHIVE_DIR, [0, ""])
  os.symlink("/etc/passwd", os.path.join(pathutils.QUEUE_DIR, "job-5"))
  with pytest.raises(backend.RPCFail, match="not a regular file"):
    backend.JobQueueUpdate(os.path.join(pathutils.QUEUE_DIR, "job-5"),
                           [0, ""])


def test_queue_calls_need_a_master_candidate(vnode):
  _WriteSsconf(master_candidates=[OTHER])
  job = os.path.join(pathutils.QUEUE_DIR, "job-2")
  with pytest.raises(backend.RPCFail, match="not a master candidate"):
    backend.JobQueueUpdate(job, [0, "x"])
  assert not os.path.exists(job)
  utils.WriteFile(job, data="x")
  with pytest.raises(backend.RPCFail, match="not a master candidate"):
    backend.JobQueueRename(job, job + "0")


def test_queue_calls_fail_without_ssconf(vnode):
  with pytest.raises(backend.RPCFail, match="list of master candidates"):
    backend.JobQueueUpdate(os.path.join(pathutils.QUEUE_DIR, "job-2"),
                           [0, "x"])


def test_queue_rename_of_missing_file(candidate):
  with pytest.raises(backend.RPCFail, match="does not exist"):
    backend.JobQueueRename(os.path.join(pathutils.QUEUE_DIR, "job-7"),
                           os.path.join(pathutils.QUEUE_DIR, "job-8"))


def test_queue_update_waits_for_the_queue_lock(candidate, monkeypatch):
  monkeypatch.setattr(backend, "QUEUE_LOCK_TIMEOUT", 0.2)
  lock = utils.FileLock.Open(pathutils.JOB_QUEUE_LOCK_FILE)
  try:
    lock.Exclusive()
    job = os.path.join(pathutils.QUEUE_DIR, "job-3")
    with pytest.raises(backend.RPCFail, match="Cannot lock the job queue"):
      backend.JobQueueUpdate(job, [0, "x"])
    assert not os.path.exists(job)
  finally:
    lock.Close()


# leave_cluster

def test_leave_cluster_removes_cluster_files(candidate, tmp_path):
  for path in (pathutils.CLUSTER_CONF_FILE, pathutils.NODED_CERT_FILE,
               pathutils.CONFD_HMAC_KEY, pathutils.RAPI_USERS_FILE,
               os.path.join(pathutils.QUEUE_DIR, "job-1"),
               os.path.join(pathutils.CRYPTO_KEYS_DIR, "x509-1", "cert")):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    utils.WriteFile(path, data="data")
  home = tmp_path / "home"
  (home / ".ssh").mkdir(parents=True)
  (home / ".ssh" / "id_rsa.pub").write_text("ssh-rsa AAAA me\n")
  stopped = []
  with pytest.raises(errors.QuitGanetiException) as info:
    backend.LeaveCluster(True, _stop_fn=stopped.append,
                         _home_dir=str(home))
  assert info.value.args == (True, "Shutdown scheduled")
  assert [f for f in os.listdir(pathutils.DATA_DIR)
          if os.path.isfile(os.path.join(pathutils.DATA_DIR, f))] == []
  assert not os.path.exists(pathutils.RAPI_USERS_FILE)
  assert os.listdir(pathutils.CRYPTO_KEYS_DIR) == []
  assert os.listdir(pathutils.QUEUE_DIR) == ["archive"]
  assert stopped == [constants.CONFD, constants.RAPI, constants.MASTERD]
  # a virtual node shares the machine's SSH setup: left alone
  assert (home / ".ssh" / "id_rsa.pub").exists()


def test_leave_cluster_stops_daemons_through_daemon_util(vnode):
  with pytest.raises(errors.QuitGanetiException):
    backend.LeaveCluster(False)


def test_leave_cluster_logs_stop_failures(vnode, caplog):
  def _Fail(daemon):
    raise backend.RPCFail("cannot stop %s" % daemon)
  with pytest.raises(errors.QuitGanetiException):
    backend.LeaveCluster(False, _stop_fn=_Fail)
  assert "cannot stop ganeti-masterd" in caplog.text


def test_leave_cluster_rejects_bad_flag(vnode):
  with pytest.raises(backend.RPCFail, match="modify_ssh_setup"):
    backend.LeaveCluster("yes")


def test_remove_ssh_keys_edits_authorized_keys(tmp_path):
  ssh = tmp_path / ".ssh"
  ssh.mkdir()
  (ssh / "id_rsa").write_text("PRIVATE\n")
  (ssh / "id_rsa.pub").write_text("ssh-rsa AAAA root@n1\n")
  (ssh / "authorized_keys").write_text("ssh-rsa BBBB other\n"
                                       "ssh-rsa AAAA root@n1\n")
  os.chmod(ssh / "authorized_keys", 0o600)
  backend._RemoveSshKeys(_home_dir=str(tmp_path))
  assert (ssh / "authorized_keys").read_text() == "ssh-rsa BBBB other\n"
  assert os.stat(ssh / "authorized_keys").st_mode & 0o777 == 0o600
  assert not (ssh / "id_rsa").exists()
  assert not (ssh / "id_rsa.pub").exists()


def test_remove_ssh_keys_without_keys_does_nothing(tmp_path):
  backend._RemoveSshKeys(_home_dir=str(tmp_path))
  assert os.listdir(tmp_path) == []


# powercycle

def test_powercycle_is_refused_in_a_virtual_cluster(vnode):
  with pytest.raises(backend.RPCFail, match="virtual cluster"):
    backend.PowercycleNode(constants.HT_KVM, allow_master=True)


def test_powercycle_rejects_unknown_hypervisor():
  with pytest.raises(backend.RPCFail, match="Unknown hypervisor 'vmware'"):
    backend.PowercycleNode("vmware")


@pytest.fixture
def physical_looking_node(vnode, monkeypatch):
  # the paths stay in tmp_path; only the guard against virtual clusters is
  # lifted to reach the master check and the scheduling
  monkeypatch.setattr(vcluster, "IsVirtualCluster", lambda: False)
  return vnode


def test_powercycle_refuses_the_master_without_force(physical_looking_node):
  with pytest.raises(backend.RPCFail, match="cannot tell whether"):
    backend.PowercycleNode(constants.HT_FAKE)
  _WriteSsconf(master_node=NODE)
  with pytest.raises(backend.RPCFail, match="master node %s" % NODE):
    backend.PowercycleNode(constants.HT_FAKE)


def test_powercycle_runs_the_reset_in_a_child(physical_looking_node,
                                              tmp_path):
  _WriteSsconf(master_node=OTHER)
  marker = tmp_path / "reset-done"
  msg = backend.PowercycleNode(constants.HT_FAKE,
                               _action_fn=lambda: marker.write_text("x"),
                               _delay=0.05)
  assert msg == "Reboot scheduled in 0.05 seconds"
  _WaitFor(marker.exists)


# LVM calls (real tools; a real volume group is in test_backend_lvm)

def test_volume_group_list_runs_vgs():
  assert isinstance(backend.ListVolumeGroups(), dict)


@pytest.mark.parametrize("value", ["", 5, None])
def test_volume_list_rejects_bad_groups(value):
  with pytest.raises(backend.RPCFail, match="Invalid volume group list"):
    backend.GetVolumeList(value)


def test_volume_list_takes_one_group_name_as_lv_list_sends_it():
  with pytest.raises(backend.RPCFail, match="Cannot list logical volumes"):
    backend.GetVolumeList("no-such-vg-g1")


def test_volume_list_of_unknown_group_fails():
  with pytest.raises(backend.RPCFail, match="Cannot list logical volumes"):
    backend.GetVolumeList(["no-such-vg-f2"])
