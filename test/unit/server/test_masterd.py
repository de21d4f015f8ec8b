"""Tests for ganeti.server.masterd and masterd_ops (in-process).

A real context (config, lock manager, job queue) runs on a virtual node
below tmp_path; the LUXI server is driven by a Mainloop in a thread.
"""

import os
import socket
import stat
import threading
import time

import pytest

from ganeti import config
from ganeti import constants
from ganeti import errors
from ganeti import locking
from ganeti import luxi
from ganeti import objects
from ganeti import opcodes
from ganeti import pathutils
from ganeti import utils
from ganeti import rpc
from ganeti import serializer
from ganeti import ssconf
from ganeti.server import daemon
from ganeti.server import masterd
from ganeti.cmdlib import cluster as cmdlib_cluster
from ganeti.server import masterd_ops


NODE = "node1.example.com"


def _Wait(fn, timeout=10.0, what="condition"):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    value = fn()
    if value:
      return value
    time.sleep(0.01)
  raise AssertionError("Timed out waiting for %s" % what)


def _BuildNode():
  for path in (pathutils.DATA_DIR, pathutils.LOCK_DIR, pathutils.RUN_DIR,
               pathutils.LOG_DIR, pathutils.QUEUE_DIR,
               pathutils.JOB_QUEUE_ARCHIVE_DIR):
    os.makedirs(path, exist_ok=True)
  cluster = objects.Cluster(
    serial_no=1, rsahostkeypub="ssh-rsa AAAA", mac_prefix="aa:00:00",
    highest_used_port=constants.FIRST_DRBD_PORT - 1,
    volume_group_name="xenvg", drbd_usermode_helper="/bin/true",
    nicparams={constants.PP_DEFAULT: dict(constants.NICC_DEFAULTS)},
    cluster_name="cluster.example.com", master_node=NODE,
    master_ip="127.0.1.254", master_netdev="lo", master_netmask=32,
    file_storage_dir="/srv/ganeti/file-storage",
    shared_file_storage_dir="", enabled_hypervisors=[constants.HT_FAKE],
    candidate_pool_size=10, tcpudp_port_pool=set(), uid_pool=[(10, 20)],
    maintain_node_health=False, primary_ip_family=socket.AF_INET,
    tags=set(["b", "a"]))
  node = objects.Node(name=NODE, primary_ip="127.0.1.1",
                      secondary_ip="127.0.1.1", master_candidate=True,
                      offline=False, drained=False, master_capable=True,
                      vm_capable=True, ndparams={}, tags=set(["ntag"]))
  config.InitConfig(constants.CONFIG_VERSION, cluster, node)
  cfg = config.ConfigWriter()
  ssconf.WriteSsconfFiles(cfg.GetSsconfValues())


@pytest.fixture
def vnode(tmp_path, monkeypatch):
  root = tmp_path / NODE
  root.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(root))
  monkeypatch.setenv("GANETI_HOSTNAME", NODE)
  pathutils.Reload()
  try:
    _BuildNode()
    yield root
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


@pytest.fixture
def context(vnode):
  ctx = masterd.GanetiContext()
  yield ctx
  ctx.Shutdown()


@pytest.fixture
def ops(context):
  return masterd_ops.ClientOps(context)


def _Delay(duration=0):
  return opcodes.OpTestDelay(duration=duration).ToDict()


def _WaitJob(ops, job_id):
  def done():
    (status, ) = ops.HandleRequest("QueryJobs", [[job_id], ["status"]])[0]
    return status in constants.JOBS_FINALIZED and status
  return _Wait(done, what="job %s" % job_id)


# -- argument checks -------------------------------------------------------------


@pytest.mark.parametrize("method,args,match", [
  ("NoSuchMethod", [], "Invalid operation 'NoSuchMethod'"),
  ("SubmitJob", [], "takes 1 argument"),
  ("SubmitJob", [[], []], "takes 1 argument"),
  ("SubmitJob", [[]], "'ops' of method SubmitJob must be a non-empty list"),
  ("SubmitJob", ["x"], "'ops'"),
  ("SubmitJob", [[1]], "'ops'"),
  ("SubmitManyJobs", [[[]]], "'jobs'"),
  ("SubmitManyJobs", [{}], "'jobs'"),
  ("CancelJob", [], "takes 1-2 argument"),
  ("CancelJob", [1, False, 3], "takes 1-2"),
  ("CancelJob", ["x"], "'job_id' of method CancelJob must be a job ID"),
  ("CancelJob", [-3], "'job_id'"),
  ("CancelJob", [1, "yes"], "'kill'"),
  ("ArchiveJob", [None], "'job_id'"),
  ("AutoArchiveJobs", [1], "takes 2 argument"),
  ("AutoArchiveJobs", ["old", 1], "'age'"),
  ("AutoArchiveJobs", [1, -1], "'timeout'"),
  ("WaitForJobChange", [1, ["status"], None, None], "takes 5"),
  ("WaitForJobChange", [1, "status", None, None, 1], "'fields'"),
  ("WaitForJobChange", [1, ["status"], 5, None, 1], "'prev_job_info'"),
  ("WaitForJobChange", [1, ["status"], None, "1", 1], "'prev_log_serial'"),
  ("WaitForJobChange", [1, ["status"], None, None, "1"], "'timeout'"),
  ("Query", ["lock", ["name"]], "takes 3"),
  ("Query", [1, ["name"], None], "'what'"),
  ("Query", ["lock", [1], None], "'fields'"),
  ("Query", ["lock", ["name"], "filter"], "'qfilter'"),
  ("QueryFields", ["lock", "name"], "'fields'"),
  ("QueryJobs", [1, ["id"]], "'job_ids'"),
  ("QueryJobs", [["x"], ["id"]], "'job_ids'"),
  ("QueryInstances", [[], ["name"], "no"], "'use_locking'"),
  ("QueryNodes", [None, ["name"], False], "'names'"),
  ("QueryExports", [[]], "takes 2"),
  ("QueryConfigValues", ["cluster_name"], "'fields'"),
  ("QueryClusterInfo", [1], "takes 0 argument"),
  ("QueryTags", ["cluster"], "takes 2"),
  ("QueryTags", [1, ""], "'kind'"),
  ("SetDrainFlag", [1], "'drain_flag' of method SetDrainFlag must be a"
   " boolean"),
  ("SetWatcherPause", ["tomorrow"], "'until'"),
  ("SetWatcherPause", [True], "'until'"),
  ])
def test_check_arguments_refuses(method, args, match):
  with pytest.raises(masterd_ops.ArgumentError, match=match):
    masterd_ops.CheckArguments(method, args)


def test_check_arguments_fills_optional():
  assert masterd_ops.CheckArguments("CancelJob", ["5"]) == ["5", None]
  assert masterd_ops.CheckArguments("CancelJob", [5, False]) == [5, False]


def test_every_luxi_method_has_a_signature():
  for method in constants.LUXI_REQ_ALL:
    with pytest.raises(masterd_ops.ArgumentError, match="argument"):
      masterd_ops.CheckArguments(method, [None] * 9)


# -- ProcessRequest ----------------------------------------------------------------


class _RecordingOps:
  def __init__(self, fn):
    self.fn = fn

  def HandleRequest(self, method, args):
    return self.fn(method, args)


def _Process(fn, message):
  answer = masterd_ops.ProcessRequest(_RecordingOps(fn), message)
  (success, result, version) = luxi.ParseResponse(answer)
  assert version == constants.LUXI_VERSION
  return (success, result)


@pytest.mark.parametrize("message", [
  b"", b"garbage", b"[1, 2]", b'{"method": "X"}', b'{"args": []}',
  b'{"method": "X", "args": 5}', b"\xff",
  ])
def test_process_malformed_request(message):
  (success, result) = _Process(lambda *_: 1, message)
  assert not success
  assert result.startswith("Caught exception: Invalid LUXI request")


def test_process_success_and_version():
  request = luxi.FormatRequest("M", [1], version=constants.LUXI_VERSION)
  assert _Process(lambda m, a: [m, a], request.encode()) == (True, ["M", [1]])


def test_process_version_mismatch():
  request = luxi.FormatRequest("M", [], version=1)
  (success, result) = _Process(lambda *_: 1, request.encode())
  assert not success
  assert result[0] == "LuxiError"
  assert "LUXI version mismatch" in result[1][0]


def test_process_encodes_ganeti_errors():
  def fail(*_):
    raise errors.OpPrereqError("bad thing", errors.ECODE_STATE)
  (success, result) = _Process(fail, luxi.FormatRequest("M", []).encode())
  assert (success, result) == (False, ["OpPrereqError",
                                       ["bad thing", "wrong_state"]])


def test_process_argument_errors_are_strings():
  def fail(*_):
    raise masterd_ops.ArgumentError("Method M takes 1 argument")
  (success, result) = _Process(fail, luxi.FormatRequest("M", []).encode())
  assert (success, result) == (False, "Caught exception: Method M takes 1"
                               " argument")


def test_process_unexpected_error():
  def fail(*_):
    raise KeyError("boom")
  (success, result) = _Process(fail, luxi.FormatRequest("M", []).encode())
  assert not success
  assert result == "Caught exception: KeyError: 'boom'"


def test_process_unserialisable_result():
  (success, result) = _Process(lambda *_: object(),
                               luxi.FormatRequest("M", []).encode())
  assert not success
  assert result[0] == "ProgrammerError"


# -- ClientOps with a real context -----------------------------------------------


def test_context_attributes(context):
  assert isinstance(context.cfg, config.ConfigWriter)
  assert isinstance(context.glm, locking.GanetiLockManager)
  assert context.jobqueue is not None
  assert isinstance(context.rpc, rpc.RpcRunner)
  assert isinstance(context.replicator, masterd.NodeReplicator)
  assert context.my_name == NODE


def test_submit_wait_query(ops):
  job_id = ops.HandleRequest("SubmitJob", [[_Delay()]])
  assert isinstance(job_id, int)
  # without previous info the current state comes back at once
  (info, _) = ops.HandleRequest("WaitForJobChange",
                                [str(job_id), ["status"], None, None, 5])
  assert info[0] in constants.JOB_STATUS_ALL
  assert _WaitJob(ops, job_id) == constants.JOB_STATUS_SUCCESS
  (info, log) = ops.HandleRequest("WaitForJobChange",
                                  [job_id, ["status"], None, None, 1])
  assert info == [constants.JOB_STATUS_SUCCESS]
  assert isinstance(log, list)
  rows = ops.HandleRequest("QueryJobs", [[job_id, "9999"],
                                         ["id", "status", "opresult"]])
  assert rows == [[job_id, "success", [None]], [9999, None, None]]
  assert ops.HandleRequest("QueryJobs", [None, ["id"]]) == [[job_id]]


def test_wait_for_unknown_job(ops):
  assert ops.HandleRequest("WaitForJobChange",
                           [77, ["status"], None, None, 0]) is None


def test_unknown_job_fields(ops):
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"
                     " selected: foo"):
    ops.HandleRequest("QueryJobs", [None, ["id", "foo"]])
  with pytest.raises(errors.OpPrereqError, match="foo"):
    ops.HandleRequest("WaitForJobChange", [1, ["foo"], None, None, 0])


def test_submit_many_jobs_with_relative_dependency(ops):
  second = _Delay()
  second["depends"] = [[-1, ["success"]]]
  bad = _Delay()
  bad["depends"] = [[-5, ["success"]]]
  result = ops.HandleRequest("SubmitManyJobs", [[[_Delay()], [second],
                                                 [bad]]])
  assert [item[0] for item in result] == [True, True, False]
  assert "Unable to resolve relative job ID -5" in result[2][1]
  for (_, job_id) in result[:2]:
    assert _WaitJob(ops, job_id) == "success"


def test_submit_invalid_opcode(ops):
  with pytest.raises(errors.OpPrereqError, match="OP_ID"):
    ops.HandleRequest("SubmitJob", [[{"OP_ID": "OP_NO_SUCH"}]])
  with pytest.raises(errors.GenericError, match="priority"):
    ops.HandleRequest("SubmitJob", [[dict(_Delay(), priority=3)]])


def test_drain_flag_refuses_jobs(ops):
  assert ops.HandleRequest("SetDrainFlag", [True]) is True
  assert ops.HandleRequest("QueryConfigValues", [["drain_flag"]]) == [True]
  with pytest.raises(errors.JobQueueDrainError):
    ops.HandleRequest("SubmitJob", [[_Delay()]])
  assert ops.HandleRequest("SetDrainFlag", [False]) is True
  assert ops.HandleRequest("QueryConfigValues", [["drain_flag"]]) == [False]


def test_cancel_archive_autoarchive(ops):
  job_id = ops.HandleRequest("SubmitJob", [[_Delay()]])
  _WaitJob(ops, job_id)
  (success, message) = ops.HandleRequest("CancelJob", [job_id])
  assert not success and "no longer waiting" in message
  assert ops.HandleRequest("CancelJob", [424242]) == \
    [False, "Job 424242 not found"]
  with pytest.raises(errors.OpPrereqError, match="Killing"):
    ops.HandleRequest("CancelJob", [job_id, True])
  assert ops.HandleRequest("ArchiveJob", [str(job_id)]) is True
  assert ops.HandleRequest("ArchiveJob", [job_id]) is False
  other = ops.HandleRequest("SubmitJob", [[_Delay()]])
  _WaitJob(ops, other)
  assert ops.HandleRequest("AutoArchiveJobs", [-1, 10]) == [1, 0]


def test_query_lock(ops, context):
  result = ops.HandleRequest("Query", ["lock", ["name", "mode", "owner",
                                                "pending", "nope"], None])
  assert [fdef["name"] for fdef in result["fields"]] == \
    ["name", "mode", "owner", "pending", "nope"]
  assert result["fields"][4]["kind"] == constants.QFT_UNKNOWN
  names = [row[0][1] for row in result["data"]]
  assert any(name.endswith(NODE) and name.startswith("node/")
             for name in names)
  for row in result["data"]:
    assert row[1:4] == [[0, None]] * 3
    assert row[4] == [constants.RS_UNKNOWN, None]
  with pytest.raises(errors.OpPrereqError, match="can't be filtered"):
    ops.HandleRequest("Query", ["lock", ["name"], ["=", "name", "x"]])


def test_query_lock_shows_owner_and_mode(ops, context):
  glm = context.glm
  acquired = threading.Event()
  release = threading.Event()

  def holder():
    locking.SetOwnerName("job/42")
    glm.acquire(locking.LEVEL_CLUSTER, [locking.BGL], shared=1)
    acquired.set()
    release.wait(10)
    glm.release(locking.LEVEL_CLUSTER)

  thread = threading.Thread(target=holder)
  thread.start()
  try:
    acquired.wait(10)
    result = ops.HandleRequest("Query", ["lock", ["name", "mode", "owner"],
                                         None])
    rows = dict((row[0][1], row) for row in result["data"])
    bgl = [row for (name, row) in rows.items() if name.endswith("BGL")][0]
    assert bgl[1] == [0, "shared"]
    assert bgl[2] == [0, ["job/42"]]
  finally:
    release.set()
    thread.join(10)


def test_query_jobs_q2(ops):
  job_id = ops.HandleRequest("SubmitJob", [[_Delay()]])
  _WaitJob(ops, job_id)
  fields = ["id", "status", "start_ts", "summary", "bogus"]
  result = ops.HandleRequest("Query", ["job", fields, None])
  assert [row[0] for row in result["data"]] == [[0, job_id]]
  row = result["data"][0]
  assert row[1] == [0, "success"]
  assert row[2][0] == 0 and len(row[2][1]) == 2
  assert row[3] == [0, ["TEST_DELAY(0)"]]
  assert row[4] == [constants.RS_UNKNOWN, None]
  by_ids = ops.HandleRequest("Query", ["job", ["id", "status"],
                                       ["|", ["=", "id", "999"],
                                        ["==", "id", job_id],
                                        ["=", "id", 999]]])
  assert by_ids["data"] == [[[0, 999], [constants.RS_UNAVAIL, None]],
                            [[0, job_id], [0, "success"]]]
  # any filter of the language works, not only lists of ids
  assert ops.HandleRequest("Query", ["job", ["id"],
                                     ["!", ["=", "id", job_id]]])["data"] == []
  assert ops.HandleRequest("Query", ["job", ["id"],
                                     ["=", "status", "success"]])["data"] == \
    [[[0, job_id]]]
  with pytest.raises(errors.OpPrereqError, match="Invalid job ID"):
    ops.HandleRequest("Query", ["job", ["id"], ["=", "id", "abc"]])


def test_query_fields(ops):
  result = ops.HandleRequest("QueryFields", ["job", None])
  names = [fdef["name"] for fdef in result["fields"]]
  assert len(names) == 15 and names == sorted(names)
  result = ops.HandleRequest("QueryFields", ["lock", ["owner", "x"]])
  assert result["fields"][0] == {"name": "owner", "title": "Owner",
                                 "kind": "other",
                                 "doc": "Current lock owner(s)"}
  assert result["fields"][1] == {"name": "x", "title": "x",
                                 "kind": "unknown",
                                 "doc": "Unknown field 'x'"}


def test_query_exports_of_a_node_without_daemon(ops):
  # no node daemon answers here: the node is listed as not asked
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  assert ops.HandleRequest("QueryExports", [[], False]) == {NODE: False}
  result = ops.HandleRequest("Query", ["export", ["node", "export"], None])
  assert result["data"] == [[[constants.RS_NORMAL, NODE],
                             [constants.RS_UNAVAIL, None]]]
  fields = ops.HandleRequest("QueryFields", ["export", None])
  assert [fdef["name"] for fdef in fields["fields"]] == ["export", "node"]
  with pytest.raises(errors.OpPrereqError, match="Sync queries"):
    ops.HandleRequest("QueryExports", [[], True])
  with pytest.raises(errors.OpPrereqError, match="Node 'nosuch' not known"):
    ops.HandleRequest("QueryExports", [["nosuch"], False])


def test_query_nodes_groups_and_cluster(ops):
  result = ops.HandleRequest("Query", ["node", ["name", "role", "group",
                                                "master_candidate"], None])
  assert result["data"] == [[[0, NODE], [0, "M"], [0, "default"],
                             [0, True]]]
  assert ops.HandleRequest("QueryNodes", [[], ["name", "offline"],
                                          False]) == [[NODE, False]]
  assert ops.HandleRequest("QueryGroups", [[], ["name", "node_cnt"],
                                           False]) == [["default", 1]]
  assert ops.HandleRequest("QueryInstances", [[], ["name"], False]) == []
  with pytest.raises(errors.OpPrereqError, match="Node 'nosuch' not known"):
    ops.HandleRequest("QueryNodes", [["nosuch"], ["name"], False])
  with pytest.raises(errors.OpPrereqError, match="Sync queries"):
    ops.HandleRequest("QueryNodes", [[], ["name"], True])
  cluster = ops.HandleRequest("Query", ["cluster", ["name"], None])
  assert cluster["data"] == [[[0, "cluster.example.com"]]]
  fields = ops.HandleRequest("QueryFields", ["node", ["name", "x"]])
  assert [fdef["kind"] for fdef in fields["fields"]] == \
    [constants.QFT_TEXT, constants.QFT_UNKNOWN]


@pytest.mark.parametrize("method", ["Query", "QueryFields"])
def test_unknown_resource(ops, method):
  args = ["widgets", ["name"], None] if method == "Query" else \
    ["widgets", None]
  with pytest.raises(errors.OpPrereqError,
                     match="Resource type 'widgets' unknown"):
    ops.HandleRequest(method, args)


def test_query_config_values(ops):
  fields = sorted(cmdlib_cluster.CONFIG_FIELDS)
  values = dict(zip(fields, ops.HandleRequest("QueryConfigValues",
                                              [fields])))
  assert values["cluster_name"] == values["name"] == "cluster.example.com"
  assert values["master_node"] == NODE
  assert values["software_version"] == constants.RELEASE_VERSION
  assert values["config_version"] == constants.CONFIG_VERSION
  assert values["drain_flag"] is False
  assert values["watcher_pause"] is None
  assert values["tags"] == ["a", "b"]
  assert values["volume_group_name"] == "xenvg"
  assert len(values["architecture"]) == 2
  with pytest.raises(errors.OpPrereqError, match="Unknown output fields"):
    ops.HandleRequest("QueryConfigValues", [["cluster_name", "nonsense"]])


def test_query_cluster_info(ops):
  info = ops.HandleRequest("QueryClusterInfo", [])
  serializer.DumpJson(info)
  assert info["name"] == "cluster.example.com"
  assert info["master"] == NODE
  assert info["enabled_hypervisors"] == [constants.HT_FAKE]
  assert info["default_hypervisor"] == constants.HT_FAKE
  assert list(info["hvparams"]) == [constants.HT_FAKE]
  assert info["primary_ip_version"] == 4
  assert info["uid_pool"] == [[10, 20]]
  assert info["tags"] == ["a", "b"]
  assert info["protocol_version"] == constants.PROTOCOL_VERSION
  for key in ["software_version", "os_api_version", "export_version",
              "architecture", "beparams", "osparams", "ipolicy", "nicparams",
              "ndparams", "diskparams", "candidate_pool_size",
              "master_netdev", "master_netmask", "use_external_mip_script",
              "volume_group_name", "drbd_usermode_helper",
              "file_storage_dir", "shared_file_storage_dir",
              "maintain_node_health", "ctime", "mtime", "uuid",
              "default_iallocator", "reserved_lvs", "prealloc_wipe_disks",
              "hidden_os", "blacklisted_os", "os_hvp"]:
    assert key in info, key


def test_query_tags(ops, context):
  assert ops.HandleRequest("QueryTags", ["cluster", ""]) == ["a", "b"]
  assert ops.HandleRequest("QueryTags", ["node", "node1"]) == ["ntag"]
  group = context.cfg.GetNodeGroupList()[0]
  assert ops.HandleRequest("QueryTags", ["nodegroup", group]) == []
  assert ops.HandleRequest("QueryTags", ["nodegroup", "default"]) == []
  for (kind, name) in [("node", "nosuch"), ("instance", "inst1"),
                       ("nodegroup", "nosuch"), ("node", None)]:
    with pytest.raises(errors.OpPrereqError) as info:
      ops.HandleRequest("QueryTags", [kind, name])
    assert info.value.args[1] == errors.ECODE_NOENT
  with pytest.raises(errors.OpPrereqError, match="Invalid tag kind"):
    ops.HandleRequest("QueryTags", ["volume", "x"])


def test_watcher_pause(ops):
  until = int(time.time()) + 600
  assert ops.HandleRequest("SetWatcherPause", [until]) == until
  with open(pathutils.WATCHER_PAUSEFILE) as fd:
    assert fd.read() == "%d\n" % until
  assert ops.HandleRequest("QueryConfigValues", [["watcher_pause"]]) == \
    [until]
  with pytest.raises(errors.GenericError, match="in the past"):
    ops.HandleRequest("SetWatcherPause", [time.time() - 10])
  assert ops.HandleRequest("SetWatcherPause", [None]) is None
  assert not os.path.exists(pathutils.WATCHER_PAUSEFILE)
  assert ops.HandleRequest("SetWatcherPause", [None]) is None


def test_normalize_job_id():
  assert masterd_ops.NormalizeJobId("12") == 12
  assert masterd_ops.NormalizeJobId(12) == 12
  for bad in ["x", -1, True, None, 1.5]:
    with pytest.raises(errors.OpPrereqError, match="Invalid job ID"):
      masterd_ops.NormalizeJobId(bad)


def test_client_ops_without_queue(vnode):
  class Ctx:
    jobqueue = None
  with pytest.raises(errors.JobQueueError, match="not available"):
    masterd_ops.ClientOps(Ctx()).HandleRequest("SetDrainFlag", [True])


# -- the LUXI server -------------------------------------------------------------


class _Server:
  def __init__(self, path, ops, **kwargs):
    self.server = masterd.LuxiServer(path, ops, **kwargs)
    self.server.Listen()
    self.loop = daemon.Mainloop()
    self.server.Register(self.loop)
    self.thread = threading.Thread(
      target=self.loop.Run, kwargs={"handle_signals": False}, daemon=True)
    self.thread.start()

  def Stop(self):
    self.loop.RequestStop()
    self.thread.join(10)
    self.server.StopListening(self.loop)
    self.server.CloseConnections(5)
    self.loop.Close()


@pytest.fixture
def server_factory(tmp_path):
  servers = []
  path = str(tmp_path / "sock" / "ganeti-master")

  def make(ops=None, **kwargs):
    if ops is None:
      ops = _RecordingOps(lambda method, args: [method, args])
    server = _Server(path, ops, **kwargs)
    servers.append(server)
    return server

  make.path = path
  yield make
  for server in servers:
    server.Stop()


def _RawCall(path, data, timeout=5):
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.settimeout(timeout)
  sock.connect(path)
  try:
    sock.sendall(data)
    frames = luxi.FrameBuffer()
    while True:
      chunk = sock.recv(65536)
      if not chunk:
        return None
      msgs = frames.Feed(chunk)
      if msgs:
        return luxi.ParseResponse(msgs[0])
  finally:
    sock.close()


def test_server_socket_permissions_and_stale_file(server_factory):
  path = server_factory.path
  os.makedirs(os.path.dirname(path))
  with open(path, "w") as fd:
    fd.write("stale")
  server_factory()
  mode = os.stat(path).st_mode
  assert stat.S_ISSOCK(mode)
  assert stat.S_IMODE(mode) == 0o770
  assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o750
  assert os.listdir(os.path.dirname(path)) == ["ganeti-master"]


def test_server_answers_and_keeps_serving_after_garbage(server_factory):
  server_factory()
  path = server_factory.path
  (success, result, version) = _RawCall(path, b"not json\x03")
  assert not success and "Invalid LUXI request" in result
  assert version == constants.LUXI_VERSION
  (success, result, _) = _RawCall(path, b'{"method": "X", "args": 1}\x03')
  assert not success and "invalid arguments type 'int'" in result
  client = luxi.Client(address=path)
  try:
    assert client.CallMethod("Hello", [1]) == ["Hello", [1]]
  finally:
    client.Close()


def test_server_several_requests_in_one_write(server_factory):
  server_factory()
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.settimeout(5)
  sock.connect(server_factory.path)
  try:
    sock.sendall(luxi.EncodeMessage(luxi.FormatRequest("A", [])) +
                 b"garbage\x03" +
                 luxi.EncodeMessage(luxi.FormatRequest("B", [])))
    frames = luxi.FrameBuffer()
    msgs = []
    while len(msgs) < 3:
      msgs.extend(frames.Feed(sock.recv(65536)))
  finally:
    sock.close()
  parsed = [luxi.ParseResponse(msg) for msg in msgs]
  assert parsed[0][:2] == (True, ["A", []])
  assert parsed[1][0] is False
  assert parsed[2][:2] == (True, ["B", []])


def test_server_refuses_oversized_frame(server_factory):
  server_factory(max_request_size=1000)
  (success, result, _) = _RawCall(server_factory.path, b"x" * 5000)
  assert not success
  assert "too large" in result and "limit 1000" in result
  client = luxi.Client(address=server_factory.path)
  try:
    assert client.CallMethod("Still", []) == ["Still", []]
  finally:
    client.Close()


def test_server_connection_limit_queues_clients(server_factory):
  release = threading.Event()

  def handler(method, args):
    if method == "Block":
      release.wait(10)
    return method

  server = server_factory(_RecordingOps(handler), max_connections=1)
  first = luxi.Client(address=server_factory.path)
  second = luxi.Client(address=server_factory.path, timeouts=(5, 10))
  answers = []
  try:
    blocker = threading.Thread(
      target=lambda: answers.append(first.CallMethod("Block", [])))
    blocker.start()
    _Wait(lambda: server.server.active_connections == 1, what="first client")
    waiter = threading.Thread(
      target=lambda: answers.append(second.CallMethod("Second", [])))
    waiter.start()
    time.sleep(0.2)
    assert answers == []
    # the slot frees when the first client disconnects
    release.set()
    blocker.join(10)
    first.Close()
    waiter.join(10)
    assert answers == ["Block", "Second"]
  finally:
    release.set()
    first.Close()
    second.Close()


def test_server_survives_vanishing_client(server_factory):
  started = threading.Event()
  release = threading.Event()

  def handler(method, args):
    if method == "Wait":
      started.set()
      release.wait(10)
    return method

  server_factory(_RecordingOps(handler))
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.connect(server_factory.path)
  sock.sendall(luxi.EncodeMessage(luxi.FormatRequest("Wait", [])))
  started.wait(10)
  sock.close()
  release.set()
  client = luxi.Client(address=server_factory.path)
  try:
    assert client.CallMethod("Next", []) == "Next"
  finally:
    client.Close()


def test_server_stop_listening_removes_socket(server_factory):
  server = server_factory()
  server.server.StopListening(server.loop)
  assert not os.path.exists(server_factory.path)
  with pytest.raises(luxi.NoMasterError):
    luxi.Client(address=server_factory.path).CallMethod("X", [])


def test_server_needs_handler(tmp_path):
  server = masterd.LuxiServer(str(tmp_path / "s"))
  with pytest.raises(errors.ProgrammerError, match="no request handler"):
    server.Register(daemon.Mainloop())
  with pytest.raises(errors.ProgrammerError, match="connection slot"):
    masterd.LuxiServer(str(tmp_path / "s"), max_connections=0)


# -- master checks ---------------------------------------------------------------


class _Opts:
  def __init__(self, debug):
    self.debug = debug


def test_check_masterd_passes_on_master(vnode):
  masterd.CheckMasterd(_Opts(False), [])


def test_check_masterd_not_master(vnode, monkeypatch, capsys):
  ssconf.SimpleStore().WriteFiles({ssconf.SS_MASTER_NODE: "other.node"})
  for (debug, quiet) in [(False, True), (True, False)]:
    with pytest.raises(SystemExit) as info:
      masterd.CheckMasterd(_Opts(debug), [])
    assert info.value.code == constants.EXIT_NOTMASTER
    err = capsys.readouterr().err
    assert (err == "") == quiet
    if not quiet:
      assert "other.node" in err


def test_check_masterd_config_version_mismatch(vnode, capsys):
  with open(pathutils.CLUSTER_CONF_FILE) as fd:
    data = serializer.LoadJson(fd.read())
  data["version"] = constants.BuildVersion(9, 9, 0)
  with open(pathutils.CLUSTER_CONF_FILE, "w") as fd:
    fd.write(serializer.DumpJson(data))
  with pytest.raises(SystemExit) as info:
    masterd.CheckMasterd(_Opts(False), [])
  assert info.value.code == constants.EXIT_FAILURE
  err = capsys.readouterr().err
  assert "cfgupgrade" in err and "Aborting" in err


def test_check_masterd_broken_config(vnode, capsys):
  with open(pathutils.CLUSTER_CONF_FILE, "w") as fd:
    fd.write("{")
  with pytest.raises(SystemExit) as info:
    masterd.CheckMasterd(_Opts(False), [])
  assert info.value.code == constants.EXIT_FAILURE
  assert "Configuration error" in capsys.readouterr().err
