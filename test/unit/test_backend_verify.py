"""Tests of ganeti.backend_verify: node_verify on a virtual node."""

import hashlib
import os
import socket
import time

import pytest

from ganeti import backend
from ganeti import backend_verify
from ganeti import constants
from ganeti import objects
from ganeti import pathutils
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"
CLUSTER = "cluster.example.com"
SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                       "samples")


@pytest.fixture
def vnode(as_node, tmp_path):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  (tmp_path / "hosts").write_text(
    "127.0.0.1 %s n1\n127.0.0.1 node2.example.com n2\n"
    "127.0.0.2 unreachable.example.com\n" % NODE)
  return root


@pytest.fixture
def ports(monkeypatch):
  """Listeners standing in for the daemons (their port is patched in).

  127.0.0.1 answers; 127.0.0.2 has a full accept queue, so connections to
  it time out as they would to an unreachable host.

  """
  good = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  good.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  good.bind(("127.0.0.1", 0))
  good.listen(16)
  port = good.getsockname()[1]
  stuck = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  stuck.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  stuck.bind(("127.0.0.2", port))
  stuck.listen(0)
  filler = socket.create_connection(("127.0.0.2", port), timeout=2)
  monkeypatch.setattr(backend_verify.netutils, "GetDaemonPort",
                      lambda _name: port)
  monkeypatch.setattr(backend_verify, "NODE_PING_TIMEOUT", 0.3)
  yield port
  for sock in (filler, stuck, good):
    sock.close()


def test_version_time_and_files(vnode):
  utils.WriteFile(pathutils.CLUSTER_CONF_FILE, data="config")
  virtual = vcluster.MakeVirtualPath(pathutils.CLUSTER_CONF_FILE)
  missing = vcluster.MakeVirtualPath(pathutils.RAPI_CERT_FILE)
  before = time.time()
  result = backend.VerifyNode({
    constants.NV_VERSION: None,
    constants.NV_TIME: None,
    constants.NV_FILELIST: [virtual, missing],
    }, CLUSTER)
  assert result[constants.NV_VERSION] == (constants.PROTOCOL_VERSION,
                                          constants.RELEASE_VERSION)
  (sec, usec) = result[constants.NV_TIME]
  assert before - 1 <= sec + usec / 1e6 <= time.time() + 1
  assert result[constants.NV_FILELIST] == {
    virtual: hashlib.sha1(b"config").hexdigest()}


def test_node_list_reachability(vnode):
  result = backend.VerifyNode({constants.NV_NODELIST: [
    NODE, "node2.example.com", "unknown-node.invalid"]}, CLUSTER)
  failures = result[constants.NV_NODELIST]
  # a refused connection still proves the host is up
  assert set(failures) == set(["unknown-node.invalid"])
  assert "cannot resolve" in failures["unknown-node.invalid"]


def test_node_list_unreachable_address(vnode, ports):
  result = backend.VerifyNode({constants.NV_NODELIST: [
    ["unreachable.example.com"], {NODE: ["node2.example.com"]}]}, CLUSTER)
  assert list(result[constants.NV_NODELIST]) == ["unreachable.example.com"]
  assert "TCP connection to unreachable.example.com (127.0.0.2)" in \
    result[constants.NV_NODELIST]["unreachable.example.com"]


def test_node_net_test_and_master_ip(vnode, ports):
  result = backend.VerifyNode({
    constants.NV_NODENETTEST: [
      (NODE, "127.0.0.1", "127.0.0.1"),
      ("node2.example.com", "127.0.0.1", "127.0.0.1")],
    constants.NV_MASTERIP: (NODE, "127.0.0.1"),
    }, CLUSTER)
  assert result[constants.NV_NODENETTEST] == {}
  assert result[constants.NV_MASTERIP] is True


def test_node_net_test_failures(vnode, ports):
  result = backend.VerifyNode({
    constants.NV_NODENETTEST: [
      (NODE, "127.0.0.1", "127.0.0.1"),
      ("far", "127.0.0.1", "127.0.0.2")],
    constants.NV_MASTERIP: ("other-master", "127.0.0.2"),
    }, CLUSTER)
  assert result[constants.NV_NODENETTEST] == {
    "far": "failure using the secondary interface(s)"}
  assert result[constants.NV_MASTERIP] is False
  result = backend.VerifyNode({constants.NV_NODENETTEST: [
    ("someone-else", "127.0.0.1", "127.0.0.1")]}, CLUSTER)
  assert "Can't find my own" in result[constants.NV_NODENETTEST][NODE]


def test_scripts_oob_bridges_setup_and_hypervisor(vnode, tmp_path):
  good = tmp_path / "good"
  good.write_text("#!/bin/sh\n")
  os.chmod(good, 0o755)
  plain = tmp_path / "plain"
  plain.write_text("x")
  result = backend.VerifyNode({
    constants.NV_USERSCRIPTS: [str(good), str(plain), "relative"],
    constants.NV_OOB_PATHS: [str(good), str(plain), str(tmp_path / "none")],
    constants.NV_BRIDGES: ["lo", "no-such-bridge0"],
    constants.NV_NODESETUP: None,
    constants.NV_HYPERVISOR: [constants.HT_FAKE, "bogus"],
    constants.NV_HVPARAMS: [("cluster", constants.HT_FAKE, {}),
                            ("os dummy", constants.HT_FAKE, "not a dict"),
                            ("cluster", "bogus", {})],
    constants.NV_INSTANCELIST: [constants.HT_FAKE],
    constants.NV_HVINFO: constants.HT_FAKE,
    constants.NV_VMNODES: [NODE],
    "unknown-check": 1,
    }, CLUSTER)
  assert result[constants.NV_USERSCRIPTS] == [
    str(plain), "'relative' is not an absolute path"]
  assert result[constants.NV_OOB_PATHS] == [
    "Out-of-band path %s is not executable" % plain,
    "Out-of-band path %s not found" % (tmp_path / "none")]
  assert result[constants.NV_BRIDGES] == ["lo", "no-such-bridge0"]
  # a virtual node never powercycles, so it needs no sysrq trigger
  assert result[constants.NV_NODESETUP] == []
  # the fake hypervisor's own checks pass; an unknown one is reported
  assert result[constants.NV_HYPERVISOR][constants.HT_FAKE] is None
  assert "Hypervisor bogus is not available" in \
    result[constants.NV_HYPERVISOR]["bogus"]
  # only failing parameter sets come back
  (bad_params, bad_hv) = result[constants.NV_HVPARAMS]
  assert bad_params[:2] == ("os dummy", constants.HT_FAKE)
  assert "expected a dict" in bad_params[2]
  assert bad_hv[:2] == ("cluster", "bogus")
  assert result[constants.NV_INSTANCELIST] == []
  hv_info = result[constants.NV_HVINFO]
  assert 0 < hv_info["memory_free"] <= hv_info["memory_total"]
  assert constants.NV_VMNODES not in result
  assert "unknown-check" not in result


def test_os_list_and_drbd(vnode):
  result = backend.VerifyNode({constants.NV_OSLIST: None,
                               constants.NV_DRBDLIST: None,
                               constants.NV_DRBDHELPER: None}, CLUSTER)
  assert isinstance(result[constants.NV_OSLIST], list)
  if os.path.exists("/proc/drbd"):
    assert isinstance(result[constants.NV_DRBDLIST], list)
  else:
    assert "/proc/drbd" in result[constants.NV_DRBDLIST]
    assert result[constants.NV_DRBDHELPER][0] is False


def test_drbd_parsers_with_samples(tmp_path):
  sample = tmp_path / "drbd"
  sample.write_text("version: 8.3.11\n 0: cs:Connected ro:Primary/Secondary\n"
                    "    ns:0 nr:0\n 1: cs:Unconfigured\n"
                    " 3: cs:WFConnection ro:Primary/Unknown\n")
  assert backend_verify.ReadDrbdMinors(str(sample)) == [0, 3]
  helper = tmp_path / "helper"
  helper.write_text("/bin/true\n")
  assert backend_verify.ReadDrbdHelper(str(helper)) == (True, "/bin/true")
  shared = os.path.join(SAMPLES, "proc_drbd83.txt")
  if os.path.exists(shared):
    assert backend_verify.ReadDrbdMinors(shared) == [0, 1, 4, 5, 6, 7, 8]


def test_cluster_name_must_match(vnode):
  ssconf.SimpleStore().WriteFiles({"cluster_name": CLUSTER})
  assert backend.VerifyNode({}, CLUSTER) == {}
  with pytest.raises(backend.RPCFail, match="Refusing to verify for cluster"
                     " other.example.com"):
    backend.VerifyNode({}, "other.example.com")


@pytest.mark.parametrize("what,match", [
  ([], "expected a dict"),
  ({constants.NV_FILELIST: "x"}, "expected a list"),
  ({constants.NV_FILELIST: ["rel"]}, "Invalid file name"),
  ({constants.NV_NODELIST: [""]}, "Invalid node name"),
  ({constants.NV_NODENETTEST: [("a", "b")]}, "Invalid entry"),
  ({constants.NV_MASTERIP: "x"}, "Invalid value"),
  ({constants.NV_MASTERIP: ("m", "not-an-ip")}, "Invalid master IP"),
  ({constants.NV_LVLIST: ""}, "Invalid volume group"),
  ])
def test_bad_requests(vnode, what, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend.VerifyNode(what, CLUSTER)


def test_bad_cluster_name(vnode):
  with pytest.raises(backend.RPCFail, match="Invalid cluster name"):
    backend.VerifyNode({}, "")


def test_node_setup_of_a_real_node_needs_the_sysrq_trigger(vnode,
                                                            monkeypatch):
  monkeypatch.setattr(vcluster, "IsVirtualCluster", lambda: False)
  result = backend.VerifyNode({constants.NV_NODESETUP: None}, CLUSTER)
  expected = []
  if not os.path.isfile("/proc/sysrq-trigger"):
    expected.append("The procfs filesystem doesn't seem to be mounted"
                    " under /proc or is missing required entries")
  assert result[constants.NV_NODESETUP] == expected


def test_instance_list_comes_from_the_hypervisor(vnode):
  beparams = dict(constants.BEC_DEFAULTS)
  inst = objects.Instance(name="inst1.example.com", primary_node=NODE,
                          os="dummy", hypervisor=constants.HT_FAKE,
                          hvparams={}, beparams=beparams, osparams={},
                          admin_state=constants.ADMINST_UP, nics=[],
                          disks=[], disk_template=constants.DT_DISKLESS)
  backend.StartInstance(inst.ToDict(), False)
  result = backend.VerifyNode({
    constants.NV_INSTANCELIST: [constants.HT_FAKE]}, CLUSTER)
  assert result[constants.NV_INSTANCELIST] == ["inst1.example.com"]
  backend.InstanceShutdown(inst.ToDict(), 5)
  result = backend.VerifyNode({
    constants.NV_INSTANCELIST: [constants.HT_FAKE, "bogus"]}, CLUSTER)
  assert "Hypervisor bogus is not available" in \
    result[constants.NV_INSTANCELIST]


def test_malformed_hvparams_entry_is_refused(vnode):
  with pytest.raises(backend.RPCFail, match="expected \\[source,"
                     " hypervisor, parameters\\]"):
    backend.VerifyNode({constants.NV_HVPARAMS: [("cluster", "fake")]},
                       CLUSTER)
