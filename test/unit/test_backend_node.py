"""Tests of ganeti.backend_node (and the job queue rename list of backend),
on a virtual node in tmp_path."""

import os

import pytest

from ganeti import backend
from ganeti import backend_node
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


# node_has_ip_address

def test_has_ip_address():
  assert backend.NodeHasIpAddress("127.0.0.1") is True
  # TEST-NET-1 is never configured on a test machine
  assert backend.NodeHasIpAddress("192.0.2.77") is False


@pytest.mark.parametrize("value", ["", "host.example.com", None, 17])
def test_has_ip_address_rejects_non_addresses(value):
  with pytest.raises(backend.RPCFail, match="Invalid IP address"):
    backend.NodeHasIpAddress(value)


# test_delay

def test_test_delay_sleeps():
  slept = []
  assert backend.TestDelay(0.25, _sleep_fn=slept.append) is None
  assert slept == [0.25]


@pytest.mark.parametrize("value,match", [
  (-1, "must not be negative"), ("1", "not a number"), (True, "not a number"),
  (backend_node.MAX_TEST_DELAY + 1, "longer than"),
  ])
def test_test_delay_rejects_bad_durations(value, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.TestDelay(value, _sleep_fn=pytest.fail)


# node_demote_from_mc

def _Ssconf(master):
  ssconf.SimpleStore().WriteFiles({ssconf.SS_MASTER_NODE: master})


def test_demote_removes_config_and_keeps_a_backup(vnode):
  _Ssconf(OTHER)
  utils.WriteFile(pathutils.CLUSTER_CONF_FILE, data="{}")
  backend.DemoteFromMC(_masterd_pid_fn=lambda: None)
  assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)
  backups = [n for n in os.listdir(pathutils.DATA_DIR)
             if n.startswith("config.data.backup-")]
  assert len(backups) == 1
  # nothing left to remove: still fine
  backend.DemoteFromMC(_masterd_pid_fn=lambda: None)


def test_demote_refused_on_the_master(vnode):
  _Ssconf(NODE)
  utils.WriteFile(pathutils.CLUSTER_CONF_FILE, data="{}")
  with pytest.raises(backend.RPCFail, match="%s\\) is the master" % NODE):
    backend.DemoteFromMC(_masterd_pid_fn=lambda: None)
  assert os.path.exists(pathutils.CLUSTER_CONF_FILE)


def test_demote_refused_while_masterd_runs(vnode):
  _Ssconf(OTHER)
  with pytest.raises(backend.RPCFail, match="master daemon is running.*4242"):
    backend.DemoteFromMC(_masterd_pid_fn=lambda: 4242)


def test_demote_refused_without_ssconf(vnode):
  with pytest.raises(backend.RPCFail, match="Cannot tell whether"):
    backend.DemoteFromMC(_masterd_pid_fn=lambda: None)


def test_demote_sees_a_running_masterd_through_its_pid_file(vnode):
  _Ssconf(OTHER)
  pidfile = pathutils.GetPidFilename("ganeti-masterd")
  fd = utils.WritePidFile(pidfile)
  try:
    with pytest.raises(backend.RPCFail, match="master daemon is running"):
      backend.DemoteFromMC()
  finally:
    utils.RemovePidFile(pidfile)
    os.close(fd)


# etc_hosts_modify

def test_etc_hosts_add_replace_and_remove(vnode):
  hosts = pathutils.ETC_HOSTS
  assert hosts == vcluster.GetHostsFile()
  utils.WriteFile(hosts, data="# header\n127.0.0.1 localhost\n"
                  "10.0.0.1 a.example.com a other # old entry\n", mode=0o640)
  backend.EtcHostsModify("add", "a.example.com", "10.0.0.2")
  assert utils.ReadFile(hosts) == (
    "# header\n127.0.0.1 localhost\n10.0.0.1 other # old entry\n"
    "10.0.0.2\ta.example.com a\n")
  assert os.stat(hosts).st_mode & 0o777 == 0o640
  backend.EtcHostsModify("remove", "a.example.com", None)
  assert utils.ReadFile(hosts) == ("# header\n127.0.0.1 localhost\n"
                                   "10.0.0.1 other # old entry\n")


def test_etc_hosts_add_creates_the_file(vnode):
  backend.EtcHostsModify("add", "solo", "10.0.0.3")
  assert utils.ReadFile(pathutils.ETC_HOSTS) == "10.0.0.3\tsolo\n"
  assert os.stat(pathutils.ETC_HOSTS).st_mode & 0o777 == 0o644


@pytest.mark.parametrize("args,match", [
  (("replace", "a", "10.0.0.1"), "Invalid etc_hosts_modify mode"),
  (("add", "a", None), "needs an IP address"),
  (("add", "a", "nonsense"), "Invalid IP address"),
  (("remove", "a", "10.0.0.1"), "takes no IP address"),
  (("add", "a b", "10.0.0.1"), "Invalid host name"),
  (("remove", "", None), "Invalid host name"),
  ])
def test_etc_hosts_rejects_bad_arguments(vnode, args, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.EtcHostsModify(*args)
  assert not os.path.exists(pathutils.ETC_HOSTS)


# jobqueue_rename with a list

def test_queue_rename_list(vnode):
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_MASTER_CANDIDATES: "%s\n%s" % (NODE, OTHER),
    ssconf.SS_MASTER_NODE: OTHER})
  jobs = [os.path.join(pathutils.QUEUE_DIR, "job-%d" % i) for i in (1, 2)]
  for job in jobs:
    backend.JobQueueUpdate(job, backend.PackFileData("x"))
  archived = [os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "0",
                           os.path.basename(j)) for j in jobs]
  assert backend.JobQueueRenameFiles(list(zip(jobs, archived))) == \
    [None, None]
  assert all(os.path.isfile(a) for a in archived)


@pytest.mark.parametrize("value,match", [
  ("a b", "Invalid job queue rename list"),
  ([["a"]], "Invalid job queue rename entry"),
  ])
def test_queue_rename_list_rejects_bad_input(value, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.JobQueueRenameFiles(value)


def test_list_exports_names_the_export_directories(vnode):
  assert backend.ListExports() == []
  os.makedirs(os.path.join(pathutils.EXPORT_DIR, "web1.example.com"))
  os.makedirs(os.path.join(pathutils.EXPORT_DIR, "db1.example.com"))
  with open(os.path.join(pathutils.EXPORT_DIR, "stray"), "w") as handle:
    handle.write("x")
  assert backend.ListExports() == ["db1.example.com", "web1.example.com"]
