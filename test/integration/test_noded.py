"""Node daemon and RPC runners against real ganeti-noded processes.

A virtual cluster of five nodes is laid out with vcluster-setup in a short
/tmp directory on a random 127.x.y.0 range (so parallel runs do not
collide on port 1811); every node gets the same server.pem.  This test
process acts as node1, the master: config.data (config.InitConfig, then
nodes 2 to 4 added; node5 stays out of the configuration so that name
resolution through the hosts file is exercised) and ssconf live in node1's
root.  A ganeti-noded runs in the foreground for each node (node1 with
mlockall, the default; the others with --no-mlock); all are stopped at
the end of the module.
"""

import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import netutils
from ganeti import objects
from ganeti import pathutils
from ganeti import rpc
from ganeti import serializer
from ganeti import ssconf
from ganeti import utils
from ganeti.http import client as http_client
from ganeti.tools import vcluster_setup


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
NODED = os.path.join(_REPO, "daemons", "ganeti-noded")
PORT = constants.DEFAULT_NODED_PORT

_TIMEOUT = 15.0
NODE_COUNT = 5
#: Nodes in the configuration (node5 is not)
CONFIGURED = 4


def WaitFor(fn, timeout=_TIMEOUT, interval=0.02, what="condition"):
  deadline = time.monotonic() + timeout
  while True:
    value = fn()
    if value:
      return value
    if time.monotonic() > deadline:
      raise AssertionError("Timed out after %ss waiting for %s" %
                           (timeout, what))
    time.sleep(interval)


class VirtualCluster:
  """The nodes, their noded processes and the master's view (node1)."""

  def __init__(self, base_dir, base_address):
    self.base_dir = base_dir
    (_, self.nodes) = vcluster_setup.SetupCluster(
      base_dir, NODE_COUNT, base_address=base_address)
    self.ips = dict(zip(self.nodes, vcluster_setup.Addresses(base_address,
                                                             NODE_COUNT)))
    self.master = self.nodes[0]
    self.cert = os.path.join(base_dir, "server.pem")
    utils.GenerateSelfSignedSslCert(self.cert)
    self.procs = {}
    for node in self.nodes:
      utils.WriteFile(self.Path(node, "NODED_CERT_FILE"),
                      data=utils.ReadFile(self.cert), mode=0o400)

  def Root(self, node):
    return os.path.join(self.base_dir, node)

  def Path(self, node, name):
    return pathutils.ComputePaths(self.Root(node))[name]

  def Env(self, node):
    return dict(os.environ, GANETI_ROOTDIR=self.Root(node),
                GANETI_HOSTNAME=node)

  def Start(self, node, *args):
    if node != self.master and "--no-mlock" not in args:
      args = ("--no-mlock", ) + args
    proc = subprocess.Popen([sys.executable, NODED, "-f"] + list(args),
                            env=self.Env(node), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    self.procs[node] = proc

    def _Up():
      if proc.poll() is not None:
        raise AssertionError("ganeti-noded of %s exited with %s; log:\n%s" %
                             (node, proc.returncode, self.Log(node)))
      return netutils.TcpPing(self.ips[node], PORT, timeout=0.5,
                              live_port_needed=True)
    WaitFor(_Up, what="ganeti-noded of %s on %s" % (node, self.ips[node]))
    return proc

  def Stop(self, node):
    proc = self.procs.pop(node, None)
    if proc is None or proc.poll() is not None:
      return None if proc is None else proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
      return proc.wait(_TIMEOUT)
    except subprocess.TimeoutExpired:
      proc.kill()
      return proc.wait(_TIMEOUT)

  def Kill9(self, node):
    proc = self.procs[node]
    proc.kill()
    proc.wait(_TIMEOUT)

  def Log(self, node):
    try:
      return utils.ReadFile(self.Path(node, "DAEMONS_LOGFILES")
                            [constants.NODED])
    except EnvironmentError:
      return ""


def _Cluster(master, master_ip):
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    drbd_usermode_helper="/bin/true",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.vcluster.test", master_node=master,
    master_ip=master_ip, master_netdev="lo", master_netmask=32,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=3,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set())


def _Node(name, ip, candidate):
  return objects.Node(name=name, primary_ip=ip, secondary_ip=ip,
                      master_candidate=candidate, offline=False,
                      drained=False, master_capable=True, vm_capable=True,
                      ndparams={}, tags=set())


@pytest.fixture(scope="module")
def vc():
  base_dir = tempfile.mkdtemp(prefix="gnd")
  base_address = "127.%d.%d.1" % (random.randint(100, 250),
                                  random.randint(1, 250))
  saved = dict((name, os.environ.get(name))
               for name in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"))
  cluster = None
  try:
    cluster = VirtualCluster(base_dir, base_address)
    os.environ["GANETI_ROOTDIR"] = cluster.Root(cluster.master)
    os.environ["GANETI_HOSTNAME"] = cluster.master
    pathutils.Reload()
    master_ip = vcluster_setup.Addresses(base_address, NODE_COUNT + 1)[-1]
    config.InitConfig(constants.CONFIG_VERSION,
                      _Cluster(cluster.master, master_ip),
                      _Node(cluster.master, cluster.ips[cluster.master],
                            True))
    cfg = config.ConfigWriter()
    # node2 and node3 are master candidates, node4 is not
    for (idx, node) in enumerate(cluster.nodes[1:CONFIGURED]):
      cfg.AddNode(_Node(node, cluster.ips[node], idx < 2), "test-ec")
    ssconf.WriteSsconfFiles(cfg.GetSsconfValues())
    cluster.cfg = cfg
    for node in cluster.nodes:
      cluster.Start(node)
    cluster.runner = rpc.RpcRunner(cfg)
    yield cluster
  finally:
    if cluster is not None:
      for node in list(cluster.procs):
        cluster.Stop(node)
      if getattr(cluster, "runner", None) is not None:
        cluster.runner.Close()
    for (name, value) in saved.items():
      if value is None:
        os.environ.pop(name, None)
      else:
        os.environ[name] = value
    pathutils.Reload()
    shutil.rmtree(base_dir, ignore_errors=True)


def _Configured(vc):
  return vc.nodes[:CONFIGURED]


def _Ok(result):
  assert result.fail_msg is None, result.fail_msg
  assert not result.offline
  return result.payload


# Round trips ----------------------------------------------------------------

def test_version_on_all_nodes(vc):
  results = vc.runner.call_version(vc.nodes)
  assert sorted(results) == sorted(vc.nodes)
  for (node, result) in results.items():
    assert result.node == node and result.call == "version"
    assert _Ok(result) == constants.PROTOCOL_VERSION


def test_write_ssconf_files_then_bootstrap_runner(vc):
  values = vc.cfg.GetSsconfValues()
  results = vc.runner.call_write_ssconf_files(_Configured(vc), values)
  for result in results.values():
    assert _Ok(result) is None
  for node in _Configured(vc)[1:]:
    store = ssconf.SimpleStore(cfg_location=vc.Path(node, "DATA_DIR"))
    assert store.GetClusterName() == "cluster.vcluster.test"
    assert store.GetMasterNode() == vc.master
  # BootstrapRunner finds the nodes through node1's ssconf (node5 through
  # the hosts file)
  boot = rpc.BootstrapRunner()
  try:
    answers = boot.call_version(vc.nodes)
    assert [_Ok(answers[n]) for n in vc.nodes] == \
      [constants.PROTOCOL_VERSION] * NODE_COUNT
    info = boot.call_master_info(_Configured(vc))
    for result in info.values():
      (netdev, _, master, family, netmask) = _Ok(result)
      assert (netdev, master, family, netmask) == \
        ("lo", vc.master, socket.AF_INET, 32)
  finally:
    boot.Close()


def test_node_info(vc):
  results = vc.runner.call_node_info(vc.nodes[:2], [], [constants.HT_FAKE])
  for result in results.values():
    info = _Ok(result)
    assert info["memory_total"] > 0 and info["cpu_total"] >= 1
    assert info["vg_info"] == []
  bad = vc.runner.call_node_info([vc.nodes[1]], [], ["no-such-hv"])
  assert "Unknown hypervisor" in bad[vc.nodes[1]].fail_msg


def test_node_verify(vc):
  checks = {constants.NV_VERSION: None, constants.NV_TIME: None,
            constants.NV_NODELIST: [vc.nodes[2]]}
  results = vc.runner.call_node_verify(vc.nodes[1:3], checks,
                                       "cluster.vcluster.test")
  for result in results.values():
    answer = _Ok(result)
    assert answer[constants.NV_VERSION] == [constants.PROTOCOL_VERSION,
                                            constants.RELEASE_VERSION]
    assert len(answer[constants.NV_TIME]) == 2
  wrong = vc.runner.call_node_verify([vc.nodes[1]], checks, "other.cluster")
  assert "other.cluster" in wrong[vc.nodes[1]].fail_msg


def test_upload_file_small_and_compressed(vc):
  targets = vc.nodes[1:CONFIGURED]
  for content in ("alice secret write\n",
                  "".join("user%d pw%d\n" % (i, i) for i in range(500))):
    utils.WriteFile(pathutils.RAPI_USERS_FILE, data=content, mode=0o640)
    results = vc.runner.call_upload_file(targets, pathutils.RAPI_USERS_FILE)
    for node in targets:
      assert _Ok(results[node]) is None
      path = vc.Path(node, "RAPI_USERS_FILE")
      assert utils.ReadFile(path) == content
      assert os.stat(path).st_mode & 0o7777 == 0o640


def test_upload_file_outside_allowed_list_is_refused(vc):
  evil = os.path.join(pathutils.DATA_DIR, "not-allowed")
  utils.WriteFile(evil, data="x")
  results = vc.runner.call_upload_file([vc.nodes[1]], evil)
  assert "not an allowed upload target" in results[vc.nodes[1]].fail_msg
  assert not os.path.exists(os.path.join(vc.Path(vc.nodes[1], "DATA_DIR"),
                                         "not-allowed"))


def test_jobqueue_replication_to_candidates_only(vc):
  (cand1, cand2, other) = vc.nodes[1:4]
  job = os.path.join(pathutils.QUEUE_DIR, "job-7")
  body = serializer.DumpJson({"id": 7, "ops": ["x" * 2000]})
  results = vc.runner.call_jobqueue_update([cand1, cand2, other], job, body)
  assert _Ok(results[cand1]) is None and _Ok(results[cand2]) is None
  assert "not a master candidate" in results[other].fail_msg
  for node in (cand1, cand2):
    assert utils.ReadFile(os.path.join(vc.Path(node, "QUEUE_DIR"),
                                       "job-7")) == body

  archived = os.path.join(pathutils.JOB_QUEUE_ARCHIVE_DIR, "0", "job-7")
  results = vc.runner.call_jobqueue_rename([cand1, cand2], [(job, archived)])
  for node in (cand1, cand2):
    assert _Ok(results[node]) == [None]
    assert os.path.isfile(os.path.join(
      vc.Path(node, "JOB_QUEUE_ARCHIVE_DIR"), "0", "job-7"))

  escape = vc.runner.call_jobqueue_update([cand1], "/etc/passwd", "x")
  assert "not inside the job queue directory" in escape[cand1].fail_msg

  _Ok(vc.runner.call_jobqueue_purge(cand1))
  assert not os.path.exists(os.path.join(
    vc.Path(cand1, "JOB_QUEUE_ARCHIVE_DIR"), "0", "job-7"))


def test_hooks_runner(vc):
  node = vc.nodes[2]
  hooks_dir = os.path.join(vc.Path(node, "HOOKS_BASE_DIR"), "rpctest-post.d")
  os.makedirs(hooks_dir)
  utils.WriteFile(os.path.join(hooks_dir, "10-echo"), mode=0o755,
                  data="#!/bin/sh\necho \"value=$GANETI_FOO\"\n")
  utils.WriteFile(os.path.join(hooks_dir, "20-fail"), mode=0o755,
                  data="#!/bin/sh\necho broken >&2\nexit 3\n")
  utils.WriteFile(os.path.join(hooks_dir, "skip.me"), mode=0o755, data="")
  results = vc.runner.call_hooks_runner(vc.nodes[1:3], "rpctest", "post",
                                        {"GANETI_FOO": "bar"})
  assert _Ok(results[vc.nodes[1]]) == []
  assert _Ok(results[node]) == [
    ("rpctest-post.d/10-echo", constants.HKR_SUCCESS, "value=bar"),
    ("rpctest-post.d/20-fail", constants.HKR_FAIL, "broken"),
    ("rpctest-post.d/skip.me", constants.HKR_SKIP, ""),
    ]
  bad = vc.runner.call_hooks_runner([node], "../etc", "post", {})
  assert "Invalid hooks path" in bad[node].fail_msg


def test_tcp_ping_and_has_ip_address(vc):
  (src, dst) = vc.nodes[1:3]
  assert _Ok(vc.runner.call_node_tcp_ping(src, vc.ips[src], vc.ips[dst],
                                          PORT, 2, True)) is True
  free_port = _FreePort(vc.ips[dst])
  assert _Ok(vc.runner.call_node_tcp_ping(src, vc.ips[src], vc.ips[dst],
                                          free_port, 2, True)) is False
  assert _Ok(vc.runner.call_node_has_ip_address(src, vc.ips[src])) is True
  bad = vc.runner.call_node_has_ip_address(src, "not-an-ip")
  assert "Invalid IP address" in bad.fail_msg


def _FreePort(address):
  sock = socket.socket()
  sock.bind((address, 0))
  port = sock.getsockname()[1]
  sock.close()
  return port


def test_test_delay_runs_in_parallel(vc):
  start = time.monotonic()
  results = vc.runner.call_test_delay(vc.nodes, 0.3)
  elapsed = time.monotonic() - start
  assert all(_Ok(r) is None for r in results.values())
  assert 0.3 <= elapsed < 1.2, elapsed
  bad = vc.runner.call_test_delay([vc.nodes[1]], -1)
  assert "must not be negative" in bad[vc.nodes[1]].fail_msg


def test_etc_hosts_modify(vc):
  hosts = pathutils.ETC_HOSTS
  before = utils.ReadFile(hosts)
  try:
    _Ok(vc.runner.call_etc_hosts_modify(vc.nodes[1], "add",
                                        "extra.vcluster.test", "127.0.0.99"))
    assert "127.0.0.99\textra.vcluster.test extra" in utils.ReadFile(hosts)
    assert netutils.Hostname.GetIP("extra.vcluster.test") == "127.0.0.99"
    _Ok(vc.runner.call_etc_hosts_modify(vc.nodes[1], "remove",
                                        "extra.vcluster.test", None))
    assert utils.ReadFile(hosts) == before
  finally:
    utils.WriteFile(hosts, data=before, keep_perms=utils.KP_ALWAYS)


def test_demote_from_mc(vc):
  node = vc.nodes[1]
  _Ok(vc.runner.call_upload_file([node], pathutils.CLUSTER_CONF_FILE)[node])
  remote_conf = vc.Path(node, "CLUSTER_CONF_FILE")
  assert os.path.isfile(remote_conf)
  _Ok(vc.runner.call_node_demote_from_mc(node))
  assert not os.path.exists(remote_conf)
  backups = [n for n in os.listdir(os.path.dirname(remote_conf))
             if n.startswith("config.data.backup-")]
  assert len(backups) == 1
  refused = vc.runner.call_node_demote_from_mc(vc.master)
  assert "is the master" in refused.fail_msg


def test_unknown_node_name_fails_without_contact(vc):
  results = vc.runner.call_version(["no-such-node.vcluster.test"])
  assert "Cannot resolve node name" in \
    results["no-such-node.vcluster.test"].fail_msg


# Faults ---------------------------------------------------------------------

def test_offline_node_is_answered_at_once(vc):
  node = vc.nodes[3]
  info = vc.cfg.GetNodeInfo(node)
  info.offline = True
  vc.cfg.Update(info, lambda _: None)
  vc.Kill9(node)
  try:
    start = time.monotonic()
    results = vc.runner.call_test_delay([node], 5)
    assert time.monotonic() - start < 0.2
    assert results[node].offline
    assert results[node].fail_msg == rpc.OFFLINE_MSG
    assert results[node].payload is None
  finally:
    info.offline = False
    vc.cfg.Update(info, lambda _: None)
    vc.Start(node)
  _Ok(vc.runner.call_version([node])[node])


def test_killed_noded_gives_error_while_others_answer(vc):
  victim = vc.nodes[4]
  vc.Kill9(victim)
  try:
    results = vc.runner.call_version(vc.nodes)
    assert results[victim].fail_msg is not None
    assert victim in results[victim].fail_msg
    assert "Error while contacting the node daemon" in \
      results[victim].fail_msg
    for node in vc.nodes[:4]:
      assert _Ok(results[node]) == constants.PROTOCOL_VERSION
    with pytest.raises(Exception, match="Checking %s: Error" % victim):
      results[victim].Raise("Checking %s" % victim)
  finally:
    vc.Start(victim)
  assert _Ok(vc.runner.call_version([victim])[victim]) == \
    constants.PROTOCOL_VERSION


def _RawRequest(vc, node, tls_config, path="/version", body=b"[]"):
  req = http_client.HttpClientRequest(vc.ips[node], PORT, "POST", path,
                                      post_data=body, read_timeout=5,
                                      curl_config_fn=tls_config)
  http_client.ProcessRequests([req])
  return req


def test_client_without_certificate_is_refused(vc):
  node = vc.nodes[1]
  no_cert = http_client.CurlTlsConfig(None, ca_file=vc.cert)
  req = _RawRequest(vc, node, no_cert)
  assert req.success is False and req.resp_status_code is None
  other = os.path.join(vc.base_dir, "other.pem")
  utils.GenerateSelfSignedSslCert(other)
  wrong = http_client.CurlTlsConfig(other, ca_file=vc.cert)
  req = _RawRequest(vc, node, wrong)
  assert req.success is False and req.resp_status_code is None
  good = _RawRequest(vc, node, http_client.CurlTlsConfig(vc.cert))
  assert good.resp_status_code == 200
  assert serializer.LoadJson(good.resp_body) == [True,
                                                 constants.PROTOCOL_VERSION]


@pytest.mark.parametrize("path,body,status,text", [
  ("/version", b"not json", 400, "Unable to parse JSON"),
  ("/version", b"{}", 400, "must be a JSON list"),
  ("/version", b"", 400, "empty body"),
  ("/test_delay", b"[]", 400, "takes 1 argument"),
  ("/no_such_call", b"[]", 404, "Unknown RPC call"),
  ])
def test_malformed_requests_get_errors(vc, path, body, status, text):
  node = vc.nodes[1]
  tls = http_client.CurlTlsConfig(vc.cert)
  req = _RawRequest(vc, node, tls, path=path, body=body)
  assert req.resp_status_code == status
  assert text in serializer.LoadJson(req.resp_body)["message"]
  assert _Ok(vc.runner.call_version([node])[node]) == \
    constants.PROTOCOL_VERSION


def test_oversized_body_is_refused_and_noded_keeps_serving(vc):
  node = vc.nodes[1]
  ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
  ctx.check_hostname = False
  ctx.load_verify_locations(vc.cert)
  ctx.load_cert_chain(vc.cert)
  with socket.create_connection((vc.ips[node], PORT), timeout=5) as raw:
    with ctx.wrap_socket(raw) as sock:
      sock.sendall(b"POST /upload_file HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 1000000000\r\n\r\n[")
      answer = b""
      while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
          break
        answer += chunk
  assert answer.startswith(b"HTTP/1.1 413 ")
  assert _Ok(vc.runner.call_version([node])[node]) == \
    constants.PROTOCOL_VERSION


def test_backend_exception_is_reported_and_logged(vc):
  node = vc.nodes[1]
  # a list where the hooks environment dict is expected: the backend
  # refuses it with a reason, which travels back as fail_msg
  result = vc.runner.call_hooks_runner([node], "rpctest", "post", ["x"])
  assert "Invalid hooks environment" in result[node].fail_msg


def test_leave_cluster_makes_noded_exit(vc):
  node = vc.nodes[4]
  cert = vc.Path(node, "NODED_CERT_FILE")
  assert os.path.exists(cert)
  result = vc.runner.call_node_leave_cluster(node, False)
  assert result.fail_msg is None
  proc = vc.procs[node]
  assert proc.wait(_TIMEOUT) == 0
  assert not os.path.exists(cert)
  assert "shut down" in vc.Log(node)
  vc.procs.pop(node)


def test_os_diagnose_powercycle_and_master_ip_calls(vc):
  node = vc.nodes[2]
  assert _Ok(vc.runner.call_os_diagnose([node])[node]) == []
  refused = vc.runner.call_node_powercycle(node, constants.HT_FAKE)
  assert "virtual cluster" in refused.fail_msg
  params = objects.MasterNetworkParameters(
    name=vc.master, ip="127.0.0.250", netmask=32, netdev="no-such-dev0",
    ip_family=socket.AF_INET)
  bad = vc.runner.call_node_activate_master_ip(node, params, False)
  assert "no-such-dev0" in bad.fail_msg
  bad = vc.runner.call_node_deactivate_master_ip(node, params.ToDict(),
                                                 False)
  assert "no-such-dev0" in bad.fail_msg
  # no master daemon runs on the node: stopping the master role succeeds
  _Ok(vc.runner.call_node_stop_master(node))
