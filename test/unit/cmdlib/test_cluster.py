"""Tests for the cluster LUs that need no node daemon.

A real configuration file (config.InitConfig, ConfigWriter) and a real
lock manager; the node call runner is rpc.RpcRunner, which these cases
never make call a node (they fail or finish before any node call), except
for the OS settings cases, whose os_validate calls are answered in process
by the node's backend code.  Everything else talking to nodes is covered
by test/integration/test_verify.py.
"""

import os
import socket

import pytest

from ganeti import backend_os
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import mcpu
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import rpc
from ganeti.cmdlib import cluster_utils
from ganeti.cmdlib import cluster_verify
from ganeti.cmdlib import local_rpc


MASTER = "node1.example.com"


class _Callbacks(mcpu.OpExecCbBase):
  def __init__(self):
    self.messages = []

  def Feedback(self, *args):
    self.messages.append(args[-1])


class _Context:
  def __init__(self, cfg):
    self.cfg = cfg
    self.rpc = rpc.RpcRunner(cfg)
    self.ResetLocks()

  def ResetLocks(self):
    """New lock manager, after nodes or groups were added."""
    self.glm = locking.GanetiLockManager(self.cfg.GetNodeList(),
                                         self.cfg.GetNodeGroupList(),
                                         self.cfg.GetInstanceList())


@pytest.fixture
def ctx(tmp_path):
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAA", mac_prefix="aa:00:00",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    volume_group_name=None, drbd_usermode_helper=None,
    cluster_name="cluster.example.com", master_node=MASTER,
    master_ip="127.0.1.254", master_netdev="lo", master_netmask=32,
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="", tcpudp_port_pool=set(), uid_pool=[],
    primary_ip_family=socket.AF_INET, tags=set())
  node = objects.Node(name=MASTER, primary_ip="127.0.1.1",
                      secondary_ip="127.0.1.1", master_candidate=True,
                      offline=False, drained=False, master_capable=True,
                      vm_capable=True, ndparams={}, tags=set())
  cfg_file = str(tmp_path / "config.data")
  config.InitConfig(constants.CONFIG_VERSION, cluster, node,
                    cfg_file=cfg_file)
  context = _Context(config.ConfigWriter(cfg_file=cfg_file, offline=True,
                                         _my_hostname=MASTER))
  yield context
  context.rpc.Close()


def _Run(ctx, op):
  cbs = _Callbacks()
  result = mcpu.Processor(ctx, "unit").ExecOpCode(op, cbs)
  return (result, cbs.messages)


class _Op:
  def __init__(self, error_codes=False, ignore_errors=(),
               debug_simulate_errors=False):
    self.error_codes = error_codes
    self.ignore_errors = list(ignore_errors)
    self.debug_simulate_errors = debug_simulate_errors


class _Reporter(cluster_verify._VerifyErrors):  # pylint: disable=W0212
  def __init__(self, op):
    self.op = op
    self.bad = False
    self.lines = []
    self._feedback_fn = self.lines.append


def test_finding_formats():
  rep = _Reporter(_Op())
  rep._ErrorIf(True, constants.CV_ENODERPC, "node2", "while contacting node:"
               " %s", "refused")
  rep._ErrorIf(False, constants.CV_ENODETIME, "node2", "not shown")
  rep._ErrorIf(True, constants.CV_ECLUSTERCFG, None, "bad config")
  assert rep.lines == ["  - ERROR: node node2: while contacting node:"
                       " refused", "  - ERROR: cluster: bad config"]
  assert rep.bad


def test_error_codes_format_and_ignored_codes_are_warnings():
  rep = _Reporter(_Op(error_codes=True, ignore_errors=["ENODETIME"]))
  rep._ErrorIf(True, constants.CV_ENODETIME, "node3", "skew %s", "5s")
  rep._ErrorIf(True, constants.CV_ECLUSTERCFG, None, "x")
  assert rep.lines == ["  - WARNING:ENODETIME:node:node3:skew 5s",
                       "  - ERROR:ECLUSTERCFG:cluster:None:x"]
  rep = _Reporter(_Op(ignore_errors=["ENODETIME"]))
  rep._ErrorIf(True, constants.CV_ENODETIME, "node3", "skew")
  assert not rep.bad


def test_simulated_errors_trigger_every_check():
  rep = _Reporter(_Op(debug_simulate_errors=True))
  rep._ErrorIf(False, constants.CV_ENODEOS, "n1", "never true")
  assert rep.lines == ["  - ERROR: node n1: never true"]


def test_ancillary_files_categories(ctx):
  cluster = ctx.cfg.GetClusterInfo()
  (files_all, files_opt, files_mc, files_vm) = \
    cluster_utils.ComputeAncillaryFiles(cluster, False)
  from ganeti import pathutils
  assert pathutils.NODED_CERT_FILE in files_all
  assert pathutils.CLUSTER_CONF_FILE in files_mc
  assert pathutils.RAPI_USERS_FILE in files_opt
  assert files_vm == set()
  (redist_all, _, redist_mc, _) = \
    cluster_utils.ComputeAncillaryFiles(cluster, True)
  # server.pem cannot be pushed over the RPC that needs it
  assert pathutils.NODED_CERT_FILE not in redist_all
  assert pathutils.RAPI_CERT_FILE in redist_all
  assert redist_mc == set()


def test_query_and_config_query(ctx):
  (info, _) = _Run(ctx, opcodes.OpClusterQuery())
  assert info["name"] == "cluster.example.com"
  assert info["master"] == MASTER
  assert info["enabled_hypervisors"] == [constants.HT_FAKE]
  assert info["primary_ip_version"] == 4
  (values, _) = _Run(ctx, opcodes.OpClusterConfigQuery(
    output_fields=["name", "master_node", "protocol_version"]))
  assert values == ["cluster.example.com", MASTER,
                    constants.PROTOCOL_VERSION]
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: nosuch"):
    _Run(ctx, opcodes.OpClusterConfigQuery(output_fields=["nosuch"]))


def test_destroy_refuses_while_nodes_remain(ctx):
  ctx.cfg.AddNode(objects.Node(name="node2.example.com",
                               primary_ip="127.0.1.2",
                               secondary_ip="127.0.1.2",
                               master_candidate=False, offline=True,
                               drained=False, master_capable=True,
                               vm_capable=True, ndparams={}, tags=set()),
                  "ec")
  ctx.ResetLocks()
  with pytest.raises(errors.OpPrereqError,
                     match="still 1 node\\(s\\) in this cluster:"
                     " node2.example.com"):
    _Run(ctx, opcodes.OpClusterDestroy())


def test_rename_to_the_same_name_is_refused(ctx):
  with pytest.raises(errors.OpPrereqError, match="has not changed|resolve"):
    _Run(ctx, opcodes.OpClusterRename(name="cluster.example.com"))


@pytest.mark.parametrize("params, match", [
  ({"uid_pool": [[10, 20], [15, 30]]}, "overlap"),
  ({"default_iallocator": "no-such-allocator"},
   "Invalid default iallocator script 'no-such-allocator'"),
  ({"master_netmask": 33}, "Netmask 33 is not valid"),
  ({"beparams": {"nosuchparam": 1}}, "Invalid backend parameters"),
  ({"hvparams": {constants.HT_FAKE: {"nosuchparam": 1}}},
   "Invalid parameters of hypervisor fake"),
  ({"diskparams": {constants.DT_PLAIN: {"nosuch": 1}}},
   "Invalid disk parameters of template plain"),
  ({"hv_state": {"nosuch-hv": {}}}, "Invalid hypervisor\\(s\\)"),
  ])
def test_set_params_rejects_bad_values(ctx, params, match):
  serial = ctx.cfg.GetClusterInfo().serial_no
  with pytest.raises(errors.OpPrereqError, match=match):
    _Run(ctx, opcodes.OpClusterSetParams(**params))
  assert ctx.cfg.GetClusterInfo().serial_no == serial


def test_verify_config_reports_bad_certificates(ctx):
  # no certificate file exists in this unit setup: each one is an error
  (result, messages) = _Run(ctx, opcodes.OpClusterVerifyConfig(
    error_codes=True))
  assert result is False
  cert_lines = [m for m in messages if ":ECLUSTERCERT:" in m]
  assert len(cert_lines) == 4
  assert all("Failed to load X509 certificate" in m for m in cert_lines)
  (result, _) = _Run(ctx, opcodes.OpClusterVerifyConfig(
    ignore_errors=["ECLUSTERCERT"]))
  assert result is True


def test_empty_group_is_skipped(ctx):
  group = objects.NodeGroup(name="empty", members=[], ndparams={},
                            diskparams={}, alloc_policy="preferred")
  ctx.cfg.AddNodeGroup(group, "ec")
  ctx.ResetLocks()
  (result, messages) = _Run(ctx, opcodes.OpClusterVerifyGroup(
    group_name="empty"))
  assert result is True
  assert messages == ["* Verifying group 'empty'",
                      "* Empty node group, skipping verification"]


# --- OS settings of the cluster (gnt-os modify) -----------------------------
#
# os_validate is answered in process by backend_os.ValidateOS over the test
# OS definitions of test/data/os (their verify scripts really run); only the
# HTTP hop to the node daemon is left out.

_DATA_OS_DIR = os.path.normpath(os.path.join(
  os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "data",
  "os"))


class _OsValidateRpc(local_rpc.LocalRpcRunner):
  """Answers os_validate (and the hooks) of the master in this process."""

  def __init__(self, cfg):
    super().__init__(cfg, MASTER)
    self.validated = []

  def Close(self):
    pass

  def call_os_validate(self, node_list, required, name, checks, params):
    result = {}
    for node in node_list:
      self.validated.append((node, required, name, list(checks),
                             dict(params)))
      try:
        data = [True, backend_os.ValidateOS(required, name, checks, params)]
      except backend_os.RPCFail as err:
        data = [False, str(err)]
      result[node] = rpc.RpcResult(data=data, call="os_validate", node=node)
    return result


@pytest.fixture
def os_ctx(ctx, monkeypatch, tmp_path):
  monkeypatch.setattr(pathutils, "OS_SEARCH_PATH", [_DATA_OS_DIR])
  # no hook scripts of the machine's own /etc/ganeti
  monkeypatch.setattr(pathutils, "HOOKS_BASE_DIR", str(tmp_path / "hooks"))
  ctx.rpc.Close()
  ctx.rpc = _OsValidateRpc(ctx.cfg)
  return ctx


def test_os_parameters_are_validated_by_the_os_on_the_master(os_ctx):
  _Run(os_ctx, opcodes.OpClusterSetParams(
    osparams={"dummy": {"level": "5", "label": "web"}}))
  assert os_ctx.cfg.GetClusterInfo().osparams == {
    "dummy": {"level": "5", "label": "web"}}
  assert os_ctx.rpc.validated == [
    (MASTER, False, "dummy", [constants.OS_VALIDATE_PARAMETERS],
     {"level": "5", "label": "web"})]
  # changes merge into what is there; the merged set is validated
  _Run(os_ctx, opcodes.OpClusterSetParams(osparams={"dummy": {"level": "7"}}))
  assert os_ctx.rpc.validated[-1][4] == {"level": "7", "label": "web"}
  assert os_ctx.cfg.GetClusterInfo().osparams["dummy"]["level"] == "7"


@pytest.mark.parametrize("osparams, match", [
  ({"level": "high"}, "OS parameters validation failed on node %s: OS"
   " validation script failed \\(exited with exit code 1\\), output:"
   ".*invalid value for parameter level: 'high'" % MASTER),
  ({"colour": "red"}, "not supported by the OS dummy: colour"),
  ])
def test_os_parameters_refused_by_the_os(os_ctx, osparams, match):
  serial = os_ctx.cfg.GetClusterInfo().serial_no
  with pytest.raises(errors.OpPrereqError, match=match):
    _Run(os_ctx, opcodes.OpClusterSetParams(osparams={"dummy": osparams}))
  assert os_ctx.cfg.GetClusterInfo().serial_no == serial
  assert not os_ctx.cfg.GetClusterInfo().osparams


def test_os_parameters_of_an_unknown_os_are_kept(os_ctx):
  (_, messages) = _Run(os_ctx, opcodes.OpClusterSetParams(
    osparams={"nothere": {"mirror": "http://example.com/"}}))
  assert os_ctx.cfg.GetClusterInfo().osparams == {
    "nothere": {"mirror": "http://example.com/"}}
  assert any("OS nothere not found on node %s, validation skipped" % MASTER
             in m for m in messages)


def test_removing_every_os_parameter_drops_the_os(os_ctx):
  _Run(os_ctx, opcodes.OpClusterSetParams(
    osparams={"dummy": {"level": "1"}, "api10": {"x": "y"}}))
  count = len(os_ctx.rpc.validated)
  _Run(os_ctx, opcodes.OpClusterSetParams(osparams={"dummy": {"level": None}}))
  assert os_ctx.cfg.GetClusterInfo().osparams == {"api10": {"x": "y"}}
  # nothing left to validate
  assert len(os_ctx.rpc.validated) == count


def test_os_hypervisor_parameters_are_typed_and_merged(os_ctx):
  _Run(os_ctx, opcodes.OpClusterSetParams(os_hvp={"dummy": {
    constants.HT_KVM: {"acpi": "false", "kernel_path": "/boot/guest"}}}))
  _Run(os_ctx, opcodes.OpClusterSetParams(os_hvp={"dummy": {
    constants.HT_KVM: {"acpi": "true"},
    constants.HT_XEN_PVM: {"root_path": "/dev/xvda1"}}}))
  assert os_ctx.cfg.GetClusterInfo().os_hvp == {"dummy": {
    constants.HT_KVM: {"acpi": True, "kernel_path": "/boot/guest"},
    constants.HT_XEN_PVM: {"root_path": "/dev/xvda1"}}}
  serial = os_ctx.cfg.GetClusterInfo().serial_no
  with pytest.raises(errors.OpPrereqError, match="Invalid hypervisor"
                     " parameters of OS dummy: .*acpi"):
    _Run(os_ctx, opcodes.OpClusterSetParams(os_hvp={"dummy": {
      constants.HT_KVM: {"acpi": "maybe"}}}))
  assert os_ctx.cfg.GetClusterInfo().serial_no == serial


def test_hidden_and_blacklisted_os_lists(os_ctx):
  (_, messages) = _Run(os_ctx, opcodes.OpClusterSetParams(
    hidden_os=[[constants.DDM_ADD, "dummy"], [constants.DDM_ADD, "api10"]],
    blacklisted_os=[[constants.DDM_ADD, "failing"]]))
  cluster = os_ctx.cfg.GetClusterInfo()
  assert (cluster.hidden_os, cluster.blacklisted_os) == (["dummy", "api10"],
                                                         ["failing"])
  (_, messages) = _Run(os_ctx, opcodes.OpClusterSetParams(
    hidden_os=[[constants.DDM_REMOVE, "dummy"], [constants.DDM_ADD, "api10"]],
    blacklisted_os=[[constants.DDM_REMOVE, "nothere"]]))
  cluster = os_ctx.cfg.GetClusterInfo()
  assert (cluster.hidden_os, cluster.blacklisted_os) == (["api10"],
                                                         ["failing"])
  assert "OS api10 already in hidden OS list, ignoring" in messages
  assert "OS nothere not found in blacklisted OS list, ignoring" in messages
  with pytest.raises(errors.OpPrereqError):
    _Run(os_ctx, opcodes.OpClusterSetParams(
      hidden_os=[[constants.DDM_MODIFY, "dummy"]]))
