"""Cluster verification and the cluster LUs against real node daemons.

A three-node virtual cluster is laid out with vcluster-setup in a short
/tmp directory on a random 127.x.y.0 range; every node gets the same
cluster files (server.pem, rapi.pem, the SPICE certificates, hmac.key,
cluster-domain-secret, known_hosts), the master candidates config.data,
all nodes ssconf, and each runs a ganeti-noded in the foreground.  This
test process is node1, the master: it drives the LUs through
mcpu.Processor with a real ConfigWriter, lock manager and rpc.RpcRunner.
The cluster has neither LVM nor DRBD (not available here), so a healthy
cluster verifies without findings.  Everything is stopped at the end of
the module.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import locking
from ganeti import mcpu
from ganeti import netutils
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import rpc
from ganeti import ssconf
from ganeti import utils
from ganeti.tools import vcluster_setup


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
NODED = os.path.join(_REPO, "daemons", "ganeti-noded")
PORT = constants.DEFAULT_NODED_PORT
NODE_COUNT = 3
_TIMEOUT = 15.0
CLUSTER_NAME = "cluster.verify.test"

#: files every node holds, the same everywhere
_SHARED_FILES = ["NODED_CERT_FILE", "RAPI_CERT_FILE", "SPICE_CERT_FILE",
                 "SPICE_CACERT_FILE", "CONFD_HMAC_KEY",
                 "CLUSTER_DOMAIN_SECRET_FILE", "SSH_KNOWN_HOSTS_FILE"]


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


class _Callbacks(mcpu.OpExecCbBase):
  """Collects feedback and the jobs an LU submits."""

  def __init__(self):
    self.messages = []
    self.submitted = []

  def Feedback(self, *args):
    self.messages.append(args[-1])

  def SubmitManyJobs(self, jobs):
    self.submitted.extend(jobs)
    return [[True, str(100 + idx)] for idx in range(len(jobs))]


class _Context:
  def __init__(self, cfg, runner):
    self.cfg = cfg
    self.rpc = runner
    self.glm = locking.GanetiLockManager(cfg.GetNodeList(),
                                         cfg.GetNodeGroupList(),
                                         cfg.GetInstanceList())


class VerifyCluster:
  """Nodes, their noded processes and the master's engine (node1)."""

  def __init__(self, base_dir, base_address):
    self.base_dir = base_dir
    (_, self.nodes) = vcluster_setup.SetupCluster(
      base_dir, NODE_COUNT, base_address=base_address)
    self.ips = dict(zip(self.nodes, vcluster_setup.Addresses(
      base_address, NODE_COUNT)))
    self.master = self.nodes[0]
    self.procs = {}
    shared = os.path.join(base_dir, "shared")
    os.mkdir(shared)
    contents = {}
    for name in ("NODED_CERT_FILE", "RAPI_CERT_FILE", "SPICE_CERT_FILE",
                 "SPICE_CACERT_FILE"):
      path = os.path.join(shared, name)
      utils.GenerateSelfSignedSslCert(path)
      contents[name] = utils.ReadFile(path)
    contents["CONFD_HMAC_KEY"] = utils.GenerateSecret() + "\n"
    contents["CLUSTER_DOMAIN_SECRET_FILE"] = utils.GenerateSecret() + "\n"
    contents["SSH_KNOWN_HOSTS_FILE"] = "%s ssh-rsa AAAAB3NzaC1yc2E\n" % \
      CLUSTER_NAME
    for node in self.nodes:
      for name in _SHARED_FILES:
        path = self.Path(node, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        utils.WriteFile(path, data=contents[name], mode=0o440)

  def Root(self, node):
    return os.path.join(self.base_dir, node)

  def Path(self, node, name):
    return pathutils.ComputePaths(self.Root(node))[name]

  def Start(self, node):
    env = dict(os.environ, GANETI_ROOTDIR=self.Root(node),
               GANETI_HOSTNAME=node)
    proc = subprocess.Popen([sys.executable, NODED, "-f", "--no-mlock"],
                            env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    self.procs[node] = proc

    def _Up():
      if proc.poll() is not None:
        raise AssertionError("ganeti-noded of %s exited with %s" %
                             (node, proc.returncode))
      return netutils.TcpPing(self.ips[node], PORT, timeout=0.5,
                              live_port_needed=True)
    WaitFor(_Up, what="ganeti-noded of %s" % node)

  def Stop(self, node):
    proc = self.procs.pop(node, None)
    if proc is None or proc.poll() is not None:
      return
    proc.send_signal(signal.SIGTERM)
    try:
      proc.wait(_TIMEOUT)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait(_TIMEOUT)

  def Run(self, op):
    """Run one opcode on the master: (result, feedback lines, jobs)."""
    cbs = _Callbacks()
    result = mcpu.Processor(self.context, "test").ExecOpCode(op, cbs)
    return (result, cbs.messages, cbs.submitted)

  def PushConfig(self):
    """config.data to the candidates, ssconf everywhere (as masterd would)."""
    candidates = [name for name in self.cfg.GetMasterCandidateList()
                  if name != self.master]
    for res in self.runner.call_upload_file(
        candidates, pathutils.CLUSTER_CONF_FILE).values():
      assert res.fail_msg is None, res.fail_msg
    for res in self.runner.call_write_ssconf_files(
        self.cfg.GetOnlineNodeList(), self.cfg.GetSsconfValues()).values():
      assert res.fail_msg is None, res.fail_msg


def _Cluster(master, master_ip):
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name=None,
    drbd_usermode_helper=None, modify_etc_hosts=True,
    nicparams={constants.PP_DEFAULT: {
      constants.NIC_MODE: constants.NIC_MODE_ROUTED,
      constants.NIC_LINK: ""}},
    cluster_name=CLUSTER_NAME, master_node=master,
    master_ip=master_ip, master_netdev="lo", master_netmask=32,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set(["c1"]))


def _Node(name, ip):
  return objects.Node(name=name, primary_ip=ip, secondary_ip=ip,
                      master_candidate=True, offline=False, drained=False,
                      master_capable=True, vm_capable=True, ndparams={},
                      tags=set())


@pytest.fixture(scope="module")
def vc():
  base_dir = tempfile.mkdtemp(prefix="gvf")
  base_address = "127.%d.%d.1" % (random.randint(100, 250),
                                  random.randint(1, 250))
  saved = dict((name, os.environ.get(name))
               for name in ("GANETI_ROOTDIR", "GANETI_HOSTNAME"))
  cluster = None
  try:
    cluster = VerifyCluster(base_dir, base_address)
    os.environ["GANETI_ROOTDIR"] = cluster.Root(cluster.master)
    os.environ["GANETI_HOSTNAME"] = cluster.master
    pathutils.Reload()
    master_ip = vcluster_setup.Addresses(base_address, NODE_COUNT + 1)[-1]
    config.InitConfig(constants.CONFIG_VERSION,
                      _Cluster(cluster.master, master_ip),
                      _Node(cluster.master, cluster.ips[cluster.master]))
    cfg = config.ConfigWriter()
    for node in cluster.nodes[1:]:
      cfg.AddNode(_Node(node, cluster.ips[node]), "test-ec")
    ssconf.WriteSsconfFiles(cfg.GetSsconfValues())
    cluster.cfg = cfg
    for node in cluster.nodes:
      cluster.Start(node)
    cluster.runner = rpc.RpcRunner(cfg)
    cluster.context = _Context(cfg, cluster.runner)
    cluster.PushConfig()
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


def _Group(vc):
  return vc.cfg.GetNodeGroupList()[0]




def _Findings(messages):
  return [msg for msg in messages if msg.startswith("  - ")]


def _VerifyGroup(vc, **kwargs):
  ignored = kwargs.pop("ignore_errors", [])
  return vc.Run(opcodes.OpClusterVerifyGroup(
    group_name=_Group(vc), ignore_errors=ignored, **kwargs))


def test_clean_cluster_verifies_ok(vc):
  (result, messages, _) = _VerifyGroup(vc, verbose=True)
  assert _Findings(messages) == []
  assert result is True
  assert "* Verifying group 'default'" in messages
  assert "* Gathering data (3 nodes)" in messages
  assert "* Verifying node %s (master)" % vc.master in messages
  assert "* Verifying node %s (master candidate)" % vc.nodes[1] in messages
  (result, messages, _) = vc.Run(opcodes.OpClusterVerifyConfig())
  assert result is True, messages
  assert _Findings(messages) == []
  assert messages[0] == "* Verifying cluster config"


def test_verify_splits_into_config_and_group_jobs(vc):
  (result, _, jobs) = vc.Run(opcodes.OpClusterVerify(
    error_codes=True, ignore_errors=["ENODETIME"], skip_checks=[
      constants.VERIFY_NPLUSONE_MEM]))
  assert result == {"jobs": [[True, "100"], [True, "101"]]}
  ([config_op], [group_op]) = jobs
  assert isinstance(config_op, opcodes.OpClusterVerifyConfig)
  assert config_op.error_codes and config_op.ignore_errors == ["ENODETIME"]
  assert not hasattr(config_op, "skip_checks") or \
    config_op.skip_checks in (None, [])
  assert isinstance(group_op, opcodes.OpClusterVerifyGroup)
  assert group_op.group_name == _Group(vc)
  assert group_op.depends == [[-1, []]]
  assert group_op.skip_checks == [constants.VERIFY_NPLUSONE_MEM]
  # one group only: no configuration job, no dependency
  (_, _, jobs) = vc.Run(opcodes.OpClusterVerify(group_name="default"))
  assert len(jobs) == 1
  assert jobs[0][0].group_name == "default" and not jobs[0][0].depends


def test_time_skew_and_error_code_format(vc):
  (result, messages, _) = _VerifyGroup(vc, debug_simulate_errors=True,
                                       error_codes=True)
  assert result is False
  findings = _Findings(messages)
  assert ("  - ERROR:ENODETIME:node:%s:Node time diverges by at least None"
          " from master node time" % vc.nodes[1]) in findings
  assert any(line.startswith("  - ERROR:ENODERPC:node:%s:" % vc.master)
             for line in findings)
  # demoted codes become warnings
  (_, messages, _) = _VerifyGroup(vc, debug_simulate_errors=True,
                                  ignore_errors=["ENODETIME"])
  assert ("  - WARNING: node %s: Node time diverges by at least None from"
          " master node time" % vc.nodes[2]) in messages


def test_tampered_ssconf_and_config_files_are_named(vc):
  node = vc.nodes[2]
  ss_file = os.path.join(vc.Path(node, "DATA_DIR"), "ssconf_master_netdev")
  cfg_file = vc.Path(node, "CLUSTER_CONF_FILE")
  saved = (utils.ReadFile(ss_file), utils.ReadFile(cfg_file))
  try:
    os.chmod(ss_file, 0o644)
    utils.WriteFile(ss_file, data="eth9\n")
    utils.WriteFile(cfg_file, data=saved[1] + " ")
    (result, messages, _) = _VerifyGroup(vc)
  finally:
    utils.WriteFile(ss_file, data=saved[0], mode=0o444)
    utils.WriteFile(cfg_file, data=saved[1], mode=0o640)
  assert result is False
  findings = _Findings(messages)
  assert len(findings) == 2, findings
  for (path, line) in zip(["/var/lib/ganeti/config.data",
                           "/var/lib/ganeti/ssconf_master_netdev"],
                          findings):
    assert line.startswith("  - ERROR: cluster: File %s found with 2"
                           " different checksums (" % path)
    assert "on %s, %s" % (vc.nodes[0], vc.nodes[1]) in line
    assert "on %s)" % node in line


def test_missing_file_is_reported(vc):
  node = vc.nodes[1]
  path = vc.Path(node, "CONFD_HMAC_KEY")
  data = utils.ReadFile(path)
  os.unlink(path)
  try:
    (result, messages, _) = _VerifyGroup(vc)
  finally:
    utils.WriteFile(path, data=data, mode=0o440)
  assert result is False
  assert _Findings(messages) == [
    "  - ERROR: cluster: File /var/lib/ganeti/hmac.key is missing from"
    " node(s) %s" % node]


def test_dead_noded_is_reported_and_offline_node_skipped(vc):
  dead = vc.nodes[2]
  vc.Stop(dead)
  try:
    (result, messages, _) = _VerifyGroup(vc)
    assert result is False
    findings = _Findings(messages)
    rpc_lines = [line for line in findings
                 if line.startswith("  - ERROR: node %s: while contacting"
                                    " node: " % dead)]
    assert len(rpc_lines) == 1, findings
    # its post hooks could not run either, which verify reports as well
    assert any(line.startswith("  - ERROR: node %s: Communication failure in"
                               " hooks execution: " % dead)
               for line in findings), findings
    assert ("  - ERROR: node %s: Node did not return file checksum data" %
            dead) in findings
    assert len(findings) == 3, findings

    # marked offline: skipped at once, only noted
    node = vc.cfg.GetNodeInfo(dead)
    node.offline = True
    node.master_candidate = False
    vc.cfg.Update(node, None)
    vc.PushConfig()
    started = time.monotonic()
    (result, messages, _) = _VerifyGroup(vc, verbose=True)
    assert time.monotonic() - started < 10
    assert "* Skipping offline node %s" % dead in messages
    assert "  - NOTICE: 1 offline node(s) found." in messages
    assert [line for line in _Findings(messages)
            if not line.startswith("  - NOTICE")] == []
    assert result is True
  finally:
    node = vc.cfg.GetNodeInfo(dead)
    node.offline = False
    node.master_candidate = True
    vc.cfg.Update(node, None)
    vc.Start(dead)
    vc.PushConfig()


def test_redist_conf_repairs_a_node(vc):
  node = vc.nodes[1]
  cfg_file = vc.Path(node, "CLUSTER_CONF_FILE")
  rapi_file = vc.Path(node, "RAPI_CERT_FILE")
  os.unlink(cfg_file)
  os.unlink(rapi_file)
  (result, messages, _) = vc.Run(opcodes.OpClusterRedistConf())
  assert result is None
  assert not [m for m in messages if "WARNING" in m], messages
  assert utils.ReadFile(cfg_file) == utils.ReadFile(
    pathutils.CLUSTER_CONF_FILE)
  assert utils.ReadFile(rapi_file) == utils.ReadFile(
    pathutils.RAPI_CERT_FILE)
  (result, messages, _) = _VerifyGroup(vc)
  assert result is True, _Findings(messages)


def test_set_params_and_query(vc):
  (result, _, _) = vc.Run(opcodes.OpClusterSetParams(
    candidate_pool_size=5, add_uids=[[2000, 2010]],
    hidden_os=[[constants.DDM_ADD, "debootstrap"]],
    beparams={constants.BE_VCPUS: 2}))
  assert result is None
  (info, _, _) = vc.Run(opcodes.OpClusterQuery())
  assert info["candidate_pool_size"] == 5
  assert info["uid_pool"] == [[2000, 2010]]
  assert info["hidden_os"] == ["debootstrap"]
  assert info["beparams"]["default"][constants.BE_VCPUS] == 2
  assert info["name"] == CLUSTER_NAME and info["master"] == vc.master
  (values, _, _) = vc.Run(opcodes.OpClusterConfigQuery(
    output_fields=["cluster_name", "master_node", "drain_flag"]))
  assert values == [CLUSTER_NAME, vc.master, False]
  # the change reached the nodes: a verify still finds all files equal
  vc.PushConfig()
  (result, messages, _) = _VerifyGroup(vc)
  assert result is True, _Findings(messages)


def test_verify_disks_submits_one_job_per_group(vc):
  (result, _, jobs) = vc.Run(opcodes.OpClusterVerifyDisks())
  assert result == {"jobs": [[True, "100"]]}
  assert [type(job[0]) for job in jobs] == [opcodes.OpGroupVerifyDisks]
  (result, _, _) = vc.Run(jobs[0][0])
  assert result == [{}, [], {}]
  (result, _, _) = vc.Run(opcodes.OpClusterRepairDiskSizes())
  assert result == []


def test_set_params_changes_and_os_list_edits(vc):
  (result, messages, _) = vc.Run(opcodes.OpClusterSetParams(
    candidate_pool_size=3, uid_pool=[[100, 200]],
    blacklisted_os=[[constants.DDM_ADD, "lenny"],
                    [constants.DDM_REMOVE, "etch"]],
    maintain_node_health=True, reserved_lvs=["xenvg/keep.*"],
    osparams={"debian": {"dhcp": "yes"}}))
  assert result is None
  cluster = vc.cfg.GetClusterInfo()
  assert cluster.candidate_pool_size == 3
  assert [list(r) for r in cluster.uid_pool] == [[100, 200]]
  assert cluster.blacklisted_os == ["lenny"]
  assert cluster.maintain_node_health is True
  assert cluster.reserved_lvs == ["xenvg/keep.*"]
  assert cluster.osparams == {"debian": {"dhcp": "yes"}}
  assert "OS etch not found in blacklisted OS list, ignoring" in messages
  vc.Run(opcodes.OpClusterSetParams(
    add_uids=[[300, 300]], remove_uids=[[100, 200]],
    osparams={"debian": {"dhcp": None}}))
  assert [list(r) for r in cluster.uid_pool] == [[300, 300]]
  assert cluster.osparams == {}


def test_post_init_runs_its_hooks(vc):
  hook_dir = os.path.join(pathutils.HOOKS_BASE_DIR, "cluster-init-post.d")
  out = os.path.join(vc.base_dir, "post-init.out")
  os.makedirs(hook_dir, exist_ok=True)
  utils.WriteFile(os.path.join(hook_dir, "record"), mode=0o755,
                  data="#!/bin/sh\necho \"$GANETI_OP_TARGET"
                       " $GANETI_HOOKS_PHASE\" > %s\n" % out)
  try:
    (result, _, _) = vc.Run(opcodes.OpClusterPostInit())
  finally:
    shutil.rmtree(hook_dir)
  assert result is True
  assert utils.ReadFile(out) == "%s post\n" % CLUSTER_NAME
