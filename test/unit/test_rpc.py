"""Tests for ganeti.rpc: results, argument encoding and the runners.

The runners talk to real HTTPS servers in this process (the node daemon's
request handler, or handlers answering with broken replies) on 127.0.0.x
addresses sharing one port, with a real certificate; the process is
switched to a virtual node in tmp_path so every path is private.
"""

import os
import socket
import threading

import pytest

from ganeti import backend
from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import http
from ganeti import objects
from ganeti import pathutils
from ganeti import rpc
from ganeti import rpc_defs
from ganeti import serializer
from ganeti import ssconf
from ganeti import utils
from ganeti import vcluster
from ganeti.http import server as http_server
from ganeti.server import noded
from ganeti.tools import ensure_dirs


NODE1 = "node1.example.com"
NODE2 = "node2.example.com"
NODE3 = "node3.example.com"


# RpcResult -------------------------------------------------------------------

def test_result_success():
  res = rpc.RpcResult(data=[True, {"a": 1}], call="version", node=NODE1)
  assert res.fail_msg is None and res.payload == {"a": 1}
  assert not res.offline and res.node == NODE1 and res.call == "version"
  assert res.data == [True, {"a": 1}]
  res.Raise("never raised")
  res.Warn("never warned", pytest.fail)


def test_result_remote_failure():
  res = rpc.RpcResult(data=[False, "disk on fire"], call="x", node=NODE2)
  assert res.fail_msg == "disk on fire" and res.payload is None
  with pytest.raises(errors.OpExecError, match="^Doing x: disk on fire$"):
    res.Raise("Doing x")
  with pytest.raises(errors.OpPrereqError) as err:
    res.Raise("Checking", prereq=True, ecode=errors.ECODE_ENVIRON)
  assert err.value.args == ("Checking: disk on fire", errors.ECODE_ENVIRON)
  with pytest.raises(errors.OpExecError,
                     match="Call 'x' to node '%s' has failed" % NODE2):
    res.Raise(None)
  seen = []
  res.Warn("Warning", seen.append)
  assert seen == ["Warning: disk on fire"]


@pytest.mark.parametrize("kwargs,msg", [
  (dict(data="cannot connect", failed=True), "cannot connect"),
  (dict(data=None, failed=True), "No error information"),
  (dict(data=[False, ""]), "No error information"),
  (dict(data="junk"), "Invalid result type"),
  (dict(data=[True]), "Invalid result type"),
  (dict(offline=True, data=[True, 1]), rpc.OFFLINE_MSG),
  ])
def test_result_failures(kwargs, msg):
  res = rpc.RpcResult(call="c", node=NODE1, **kwargs)
  assert msg in res.fail_msg
  assert res.payload is None
  assert res.offline == kwargs.get("offline", False)
  assert "RpcResult call=c" in repr(res)


# Argument encoding -----------------------------------------------------------

@pytest.fixture
def vnode(as_node):
  root = as_node(NODE1)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  return root


def test_encode_args_count_is_checked():
  with pytest.raises(errors.ProgrammerError, match="takes 1 argument"):
    rpc.EncodeArgs(rpc_defs.CALLS["test_delay"], [])


def test_file_details_encoding(vnode):
  path = pathutils.RAPI_USERS_FILE
  content = "".join("user%d secret\n" % i for i in range(200))
  utils.WriteFile(path, data=content, mode=0o640)
  os.utime(path, (1000, 2000))
  (wire,) = rpc.EncodeArgs(rpc_defs.CALLS["upload_file"], [path])
  (name, data, mode, owner, group, atime, mtime) = wire
  assert name == vcluster.MakeVirtualPath(path)
  assert backend.LocalizePath(name) == path
  assert data[0] == constants.RPC_ENCODING_ZLIB_BASE64
  assert backend.UnpackFileData(data) == content.encode()
  assert (mode, atime, mtime) == (0o640, 1000, 2000)
  assert isinstance(owner, (str, int)) and isinstance(group, (str, int))
  with pytest.raises(errors.OpExecError, match="Cannot read .*missing"):
    rpc.EncodeArgs(rpc_defs.CALLS["upload_file"],
                   [os.path.join(pathutils.DATA_DIR, "missing")])


def test_virtual_paths_and_shared_files(vnode):
  job = os.path.join(pathutils.QUEUE_DIR, "job-1")
  (name, content) = rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_update"],
                                   [job, "text"])
  assert name.startswith("/###-VIRTUAL-PATH-###,")
  assert content == [constants.RPC_ENCODING_NONE, "text"]
  # the cluster's hosts file is shared, not below the node root
  (wire,) = rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_rename"],
                           [[(job, pathutils.ETC_HOSTS)]])
  assert wire == [[name, pathutils.ETC_HOSTS]]
  with pytest.raises(errors.ProgrammerError, match="absolute path"):
    rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_update"], ["relative", "x"])
  with pytest.raises(errors.ProgrammerError, match="rename entry"):
    rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_rename"], [[("a", "b", "c")]])
  with pytest.raises(errors.ProgrammerError, match="rename list"):
    rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_rename"], ["ab"])


def test_paths_unchanged_on_physical_nodes():
  assert not vcluster.IsVirtualCluster()
  (name, _) = rpc.EncodeArgs(rpc_defs.CALLS["jobqueue_update"],
                             ["/var/lib/ganeti/queue/job-1", "x"])
  assert name == "/var/lib/ganeti/queue/job-1"


def test_object_encoding():
  params = objects.MasterNetworkParameters(name=NODE1, ip="127.0.0.9",
                                           netmask=32, netdev="lo",
                                           ip_family=socket.AF_INET)
  (wire, flag) = rpc.EncodeArgs(rpc_defs.CALLS["node_activate_master_ip"],
                                [params, False])
  assert wire == params.ToDict() and flag is False
  (same, _) = rpc.EncodeArgs(rpc_defs.CALLS["node_activate_master_ip"],
                             [wire, False])
  assert same == wire
  with pytest.raises(errors.ProgrammerError, match="configuration object"):
    rpc.EncodeArgs(rpc_defs.CALLS["node_activate_master_ip"], ["x", False])


# Runners against real servers ------------------------------------------------

def _Cluster():
  return objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAAB3NzaC1yc2E",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    mac_prefix="aa:00:00", volume_group_name="xenvg",
    drbd_usermode_helper="/bin/true",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=NODE1,
    master_ip="127.0.0.9", master_netdev="lo", master_netmask=32,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="/srv/ganeti/shared-file-storage",
    enabled_hypervisors=[constants.HT_FAKE], candidate_pool_size=10,
    tcpudp_port_pool=set(), uid_pool=[], maintain_node_health=False,
    primary_ip_family=socket.AF_INET, tags=set())


def _Node(name, ip, offline=False):
  return objects.Node(name=name, primary_ip=ip, secondary_ip=ip,
                      master_candidate=not offline, offline=offline,
                      drained=False, master_capable=True, vm_capable=True,
                      ndparams={})


class _Servers:
  """In-process HTTPS servers on 127.0.0.2, .3, ... sharing one port."""

  def __init__(self, cert):
    self.ssl = http.HttpSslParams(cert, cert)
    self.port = 0
    self.servers = []

  def Add(self, address, handler):
    srv = http_server.HttpServer(address, self.port, handler,
                                 ssl_params=self.ssl, ssl_verify_peer=True)
    srv.Start()
    self.port = srv.port
    self.servers.append(srv)
    return srv

  def StopAll(self):
    for srv in self.servers:
      assert srv.Stop(timeout=5)


@pytest.fixture
def servers(vnode):
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  result = _Servers(pathutils.NODED_CERT_FILE)
  yield result
  result.StopAll()


@pytest.fixture
def cluster(servers):
  """node1 (127.0.0.2) and node2 (127.0.0.3) run noded's handler, node3 is
  offline; the configuration holds the three nodes."""
  servers.Add("127.0.0.2", noded.NodeRequestHandler())
  servers.Add("127.0.0.3", noded.NodeRequestHandler())
  config.InitConfig(constants.CONFIG_VERSION, _Cluster(),
                    _Node(NODE1, "127.0.0.2"))
  cfg = config.ConfigWriter(_my_hostname=NODE1)
  cfg.AddNode(_Node(NODE2, "127.0.0.3"), "ec")
  cfg.AddNode(_Node(NODE3, "127.0.0.4", offline=True), "ec")
  runner = rpc.RpcRunner(cfg, _port=servers.port)
  yield (cfg, runner)
  runner.Close()


def test_runner_needs_a_config():
  with pytest.raises(errors.ProgrammerError, match="BootstrapRunner"):
    rpc.RpcRunner(None)


def test_multi_call_with_offline_node(cluster):
  (_, runner) = cluster
  results = runner.call_version([NODE1, NODE2, NODE3])
  assert results[NODE1].payload == constants.PROTOCOL_VERSION
  assert results[NODE2].payload == constants.PROTOCOL_VERSION
  assert results[NODE3].offline
  assert results[NODE3].fail_msg == rpc.OFFLINE_MSG


def test_single_call_and_postprocessing(cluster):
  (_, runner) = cluster
  res = runner.call_node_has_ip_address(NODE1, "127.0.0.2")
  assert isinstance(res, rpc.RpcResult) and res.payload is True
  hooks = runner.call_hooks_runner([NODE2], "none", "pre", {})
  assert hooks[NODE2].payload == []
  delay = runner.call_test_delay(node_list=[NODE1], duration=0)
  assert delay[NODE1].fail_msg is None


def test_call_argument_checks(cluster):
  (_, runner) = cluster
  with pytest.raises(errors.ProgrammerError, match="list of node names"):
    runner.call_version(NODE1)
  with pytest.raises(errors.ProgrammerError, match="non-empty string"):
    runner.call_jobqueue_purge([NODE1])
  with pytest.raises(errors.ProgrammerError, match="Bad arguments for RPC"
                     " call test_delay"):
    runner.call_test_delay([NODE1])
  with pytest.raises(errors.ProgrammerError, match="Bad arguments"):
    runner.call_test_delay([NODE1], 1, 2)
  assert runner.call_version([]) == {}


def test_lock_monitor_sees_pending_requests(cluster):
  (cfg, _) = cluster
  monitors = []
  runner = rpc.RpcRunner(cfg, lock_monitor_cb=monitors.append,
                         _port=cluster[1]._port)  # pylint: disable=W0212
  try:
    seen = []
    thread = threading.Thread(target=lambda: seen.append(
      runner.call_test_delay([NODE1], 0.5)))
    thread.start()
    info = None
    for _ in range(200):
      if monitors:
        info = monitors[0].GetLockInfo(None)
        if info:
          break
      threading.Event().wait(0.01)
    thread.join()
    assert info and info[0]["name"] == "rpc/%s/test_delay" % NODE1
    assert seen[0][NODE1].fail_msg is None
  finally:
    runner.Close()


def test_unreachable_unresolvable_and_bad_answers(servers, vnode):
  def _NotFound(req):
    raise http.HttpNotFound("no call %s here" % req.path)
  servers.Add("127.0.0.2", _NotFound)
  servers.Add("127.0.0.3", lambda req: "this is not JSON")
  servers.Add("127.0.0.5", lambda req: serializer.DumpJson({"x": 1}))
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_NODE_PRIMARY_IPS: "%s 127.0.0.2\n%s 127.0.0.3\n"
                                "%s 127.0.0.4\nodd 127.0.0.5\n" %
                                (NODE1, NODE2, NODE3),
    ssconf.SS_OFFLINE_NODES: "",
    })
  runner = rpc.BootstrapRunner(_port=servers.port)
  try:
    res = runner.call_version([NODE1, NODE2, NODE3, "odd", "no.such.name"])
  finally:
    runner.Close()
  assert "HTTP 404" in res[NODE1].fail_msg
  assert "no call /version here" in res[NODE1].fail_msg
  assert "Invalid answer" in res[NODE2].fail_msg
  assert NODE3 in res[NODE3].fail_msg
  assert "Error while contacting the node daemon" in res[NODE3].fail_msg
  assert "Invalid result type" in res["odd"].fail_msg
  assert "Cannot resolve node name 'no.such.name'" in \
    res["no.such.name"].fail_msg


def test_bootstrap_runner_honours_ssconf_offline_list(servers):
  servers.Add("127.0.0.2", noded.NodeRequestHandler())
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_NODE_PRIMARY_IPS: "%s 127.0.0.2\n%s 127.0.0.3\n" %
                                (NODE1, NODE2),
    ssconf.SS_OFFLINE_NODES: NODE2,
    })
  runner = rpc.BootstrapRunner(_port=servers.port)
  try:
    res = runner.call_version([NODE1, NODE2])
  finally:
    runner.Close()
  assert res[NODE1].payload == constants.PROTOCOL_VERSION
  assert res[NODE2].offline


def test_bootstrap_runner_without_ssconf_resolves_names(vnode):
  runner = rpc.BootstrapRunner(_port=1)
  try:
    res = runner.call_version(["no.such.name"])
  finally:
    runner.Close()
  assert "Cannot resolve node name" in res["no.such.name"].fail_msg


def test_missing_certificate_is_a_clear_error(vnode):
  runner = rpc.BootstrapRunner(_port=1)
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_NODE_PRIMARY_IPS: "%s 127.0.0.2" % NODE1})
  try:
    with pytest.raises(errors.OpExecError, match="cluster certificate .*"
                       "server.pem"):
      runner.call_version([NODE1])
  finally:
    runner.Close()


def test_certificate_renewal_is_picked_up(cluster, servers):
  (_, runner) = cluster
  assert runner.call_version([NODE1])[NODE1].fail_msg is None
  # a new certificate on our side only: the servers still hold the old one
  # and refuse us, which proves the runner re-read the file
  os.unlink(pathutils.NODED_CERT_FILE)
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  runner.Close()
  assert runner.call_version([NODE1])[NODE1].fail_msg is not None


def test_generated_methods_document_the_call():
  method = rpc.RpcRunner.call_upload_file
  assert method.__name__ == "call_upload_file"
  assert "multi call" in method.__doc__ and "file_name" in method.__doc__
  assert "@return: RpcResult" in rpc.BootstrapRunner.call_jobqueue_purge \
    .__doc__


# Instance and block device calls ----------------------------------------------

FILE_DIR = "/srv/ganeti/file-storage"


def _FileDisk(instance_name, idx, size=4):
  path = "%s/%s/disk%d" % (FILE_DIR, instance_name, idx)
  return objects.Disk(dev_type=constants.LD_FILE,
                      logical_id=(constants.FD_LOOP, path),
                      physical_id=(constants.FD_LOOP, path), size=size,
                      iv_name="disk/%d" % idx, mode=constants.DISK_RDWR,
                      params={}, children=[])


def _FakeInstance(name, disks):
  return objects.Instance(
    name=name, primary_node=NODE1, os="dummy", hypervisor=constants.HT_FAKE,
    hvparams={}, beparams=dict(constants.BEC_DEFAULTS), osparams={},
    admin_state=constants.ADMINST_UP, nics=[], disks=disks,
    disk_template=constants.DT_FILE if disks else constants.DT_DISKLESS,
    network_port=None, serial_no=1)


def test_disk_list_and_rename_encodings():
  disk = _FileDisk("i1", 0)
  (wire,) = rpc.EncodeArgs(rpc_defs.CALLS["blockdev_getsize"],
                           [[disk, disk.ToDict()]])
  assert wire == [disk.ToDict(), disk.ToDict()]
  (close_name, close_disks) = rpc.EncodeArgs(
    rpc_defs.CALLS["blockdev_close"], ["i1", [disk]])
  assert close_name == "i1" and close_disks == [disk.ToDict()]
  (renames,) = rpc.EncodeArgs(rpc_defs.CALLS["blockdev_rename"],
                              [[(disk, ("loop", "/new"))]])
  assert renames == [[disk.ToDict(), ["loop", "/new"]]]
  with pytest.raises(errors.ProgrammerError, match="list of configuration"):
    rpc.EncodeArgs(rpc_defs.CALLS["blockdev_getsize"], [disk])
  with pytest.raises(errors.ProgrammerError, match="configuration object"):
    rpc.EncodeArgs(rpc_defs.CALLS["blockdev_getsize"], [["x"]])
  with pytest.raises(errors.ProgrammerError, match="rename entry"):
    rpc.EncodeArgs(rpc_defs.CALLS["blockdev_rename"], [[(disk, "/new")]])
  with pytest.raises(errors.ProgrammerError, match="rename list"):
    rpc.EncodeArgs(rpc_defs.CALLS["blockdev_rename"], [disk])
  inst = _FakeInstance("i1", [disk])
  (inst_wire, timeout) = rpc.EncodeArgs(rpc_defs.CALLS["instance_shutdown"],
                                        [inst, 30])
  assert inst_wire == inst.ToDict() and timeout == 30
  assert tuple(inst_wire["disks"][0]["physical_id"]) == disk.physical_id


@pytest.fixture
def instance_cluster(cluster):
  from ganeti import hypervisor
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_FILE_STORAGE_DIR: FILE_DIR,
    ssconf.SS_SHARED_FILE_STORAGE_DIR: "/srv/ganeti/shared-file-storage",
    })
  hypervisor.ResetHypervisors()
  yield cluster
  hypervisor.ResetHypervisors()


def test_instance_life_cycle_over_rpc(instance_cluster):
  (_, runner) = instance_cluster
  name = "inst1.example.com"
  disks = [_FileDisk(name, 0), _FileDisk(name, 1, size=2)]
  inst = _FakeInstance(name, disks)

  for (idx, disk) in enumerate(disks):
    res = runner.call_blockdev_create(NODE1, disk, disk.size, name, True,
                                      "originstname+%s" % name, False)
    assert res.fail_msg is None
    assert res.payload == list(disk.physical_id)
    res = runner.call_blockdev_assemble(NODE1, disk, name, True, idx)
    assert res.fail_msg is None
    (dev_path, link) = res.payload
    assert dev_path == vcluster.AddNodePrefix(disk.logical_id[1])
    assert os.readlink(link) == dev_path

  sizes = runner.call_blockdev_getsize(NODE1, disks)
  assert sizes.payload == [4 * 1048576, 2 * 1048576]
  found = runner.call_blockdev_find(NODE1, disks[0])
  assert objects.BlockDevStatus.FromDict(found.payload).is_degraded is False
  mirror = runner.call_blockdev_getmirrorstatus(NODE1, disks)
  assert [entry[0] for entry in mirror.payload] == [True, True]
  assert runner.call_blockdev_wipe(NODE1, disks[1], 0, 2).fail_msg is None

  assert runner.call_instance_start(NODE1, inst, False).fail_msg is None
  listed = runner.call_instance_list([NODE1, NODE3], [constants.HT_FAKE])
  assert listed[NODE1].payload == [name]
  assert listed[NODE3].offline
  info = runner.call_instance_info(NODE1, name, constants.HT_FAKE)
  assert info.payload["memory"] == \
    constants.BEC_DEFAULTS[constants.BE_MAXMEM]
  everything = runner.call_all_instances_info([NODE1], [constants.HT_FAKE])
  assert everything[NODE1].payload == {name: info.payload}
  reboot = runner.call_instance_reboot(NODE1, inst,
                                       constants.INSTANCE_REBOOT_HARD, 10)
  assert reboot.fail_msg is None
  assert runner.call_instance_migratable(NODE1, inst).fail_msg is None
  validate = runner.call_hypervisor_validate_params([NODE1],
                                                    constants.HT_FAKE, {})
  assert validate[NODE1].fail_msg is None
  node_info = runner.call_node_info([NODE1], [], [constants.HT_FAKE])
  assert node_info[NODE1].payload["hv_info"][0]["name"] == constants.HT_FAKE

  assert runner.call_instance_shutdown(NODE1, inst, 10).fail_msg is None
  assert runner.call_instance_info(NODE1, name,
                                   constants.HT_FAKE).payload == {}
  failed = runner.call_instance_reboot(NODE1, inst,
                                       constants.INSTANCE_REBOOT_SOFT, 10)
  assert "not running" in failed.fail_msg

  for disk in disks:
    assert runner.call_blockdev_shutdown(NODE1, disk).fail_msg is None
  assert runner.call_blockdev_close(NODE1, name, disks).fail_msg is None
  for disk in disks:
    assert runner.call_blockdev_remove(NODE1, disk).fail_msg is None
  assert runner.call_blockdev_getsize(NODE1, disks).payload == [None, None]
  missing = runner.call_blockdev_grow(NODE1, disks[0], 1, False, True)
  assert "not found" in missing.fail_msg


def test_bridges_and_os_calls_over_rpc(instance_cluster):
  (_, runner) = instance_cluster
  res = runner.call_bridges_exist(NODE1, ["no-such-bridge7"])
  assert res.fail_msg == "Missing bridges no-such-bridge7"
  res = runner.call_os_get(NODE1, "no-such-os")
  assert "OS no-such-os is not usable on node %s" % NODE1 in res.fail_msg
  res = runner.call_os_validate([NODE1], False, "no-such-os", [], {})
  assert res[NODE1].payload is False
