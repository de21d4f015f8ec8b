"""Tests for ganeti.luxi: framing, message formats, transport and client."""

import os
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer


# -- a small LUXI server for the client tests ---------------------------------


class _TestServer:
  """Answers LUXI requests with ``handler(method, args)`` in a thread.

  The handler returns a response text; helpers below build the usual ones.
  Every connection is served by its own thread; Stop closes all of them.

  """
  def __init__(self, path, handler):
    self.path = path
    self.handler = handler
    self.requests = []
    self.connections = 0
    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    self._sock.bind(path)
    self._sock.listen(16)
    self._conns = []
    self._stop = False
    self._threads = [threading.Thread(target=self._AcceptLoop, daemon=True)]
    self._threads[0].start()

  def _AcceptLoop(self):
    while True:
      try:
        (conn, _) = self._sock.accept()
      except OSError:
        return
      if self._stop:
        conn.close()
        return
      self.connections += 1
      self._conns.append(conn)
      thread = threading.Thread(target=self._Serve, args=(conn, ),
                                daemon=True)
      self._threads.append(thread)
      thread.start()

  def _Serve(self, conn):
    frames = luxi.FrameBuffer()
    while True:
      try:
        data = conn.recv(4096)
      except OSError:
        return
      if not data:
        return
      for msg in frames.Feed(data):
        (method, args, version) = luxi.ParseRequest(msg)
        self.requests.append((method, args, version))
        answer = self.handler(method, args)
        if answer is None:
          conn.close()
          return
        try:
          conn.sendall(answer.encode("utf-8") + luxi.ETX)
        except OSError:
          return

  def Stop(self):
    self._stop = True
    try:
      self._sock.shutdown(socket.SHUT_RDWR)
    except OSError:
      pass
    self._sock.close()
    for conn in self._conns:
      try:
        conn.shutdown(socket.SHUT_RDWR)
      except OSError:
        pass
      conn.close()
    for thread in self._threads:
      thread.join(5)
    if os.path.exists(self.path):
      os.unlink(self.path)


def _Ok(result):
  return luxi.FormatResponse(True, result, version=constants.LUXI_VERSION)


def _Echo(method, args):
  return _Ok([method, args])


@pytest.fixture
def sock_path(tmp_path):
  return str(tmp_path / "ganeti-master")


@pytest.fixture
def server_factory(sock_path):
  servers = []

  def make(handler=_Echo):
    server = _TestServer(sock_path, handler)
    servers.append(server)
    return server

  yield make
  for server in servers:
    server.Stop()


# -- framing -------------------------------------------------------------------


def test_frame_buffer_splits_merged_messages():
  frames = luxi.FrameBuffer()
  assert frames.Feed(b"one\x03two\x03thr") == [b"one", b"two"]
  assert frames.pending == 3
  assert frames.Feed(b"ee\x03") == [b"three"]
  assert frames.pending == 0


def test_frame_buffer_joins_split_message():
  frames = luxi.FrameBuffer()
  assert frames.Feed(b'{"a"') == []
  assert frames.Feed(b": 1}") == []
  assert frames.Feed(b"\x03") == [b'{"a": 1}']


def test_frame_buffer_empty_message():
  assert luxi.FrameBuffer().Feed(b"\x03\x03") == [b"", b""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary().map(lambda b: b.replace(luxi.ETX, b"")),
                max_size=8),
       st.lists(st.integers(min_value=1, max_value=50), max_size=20))
def test_frame_buffer_any_split(messages, cuts):
  stream = b"".join(msg + luxi.ETX for msg in messages)
  frames = luxi.FrameBuffer()
  received = []
  pos = 0
  for cut in cuts:
    received.extend(frames.Feed(stream[pos:pos + cut]))
    pos += cut
  received.extend(frames.Feed(stream[pos:]))
  assert received == messages
  assert frames.pending == 0


def test_frame_buffer_refuses_oversized_unterminated():
  frames = luxi.FrameBuffer(max_size=10)
  assert frames.Feed(b"x" * 10) == []
  with pytest.raises(luxi.MessageTooLarge, match="limit 10 bytes"):
    frames.Feed(b"y")


def test_frame_buffer_refuses_oversized_complete():
  frames = luxi.FrameBuffer(max_size=4)
  with pytest.raises(luxi.MessageTooLarge, match="too large"):
    frames.Feed(b"12345\x03")


def test_frame_buffer_limit_allows_exact_size():
  assert luxi.FrameBuffer(max_size=3).Feed(b"abc\x03") == [b"abc"]


def test_encode_message_appends_etx():
  assert luxi.EncodeMessage("{}") == b"{}\x03"


def test_encode_message_refuses_raw_etx():
  with pytest.raises(luxi.ProtocolError, match="0x03"):
    luxi.EncodeMessage("abc\x03def")


def test_encode_message_needs_text():
  with pytest.raises(errors.ProgrammerError, match="text"):
    luxi.EncodeMessage(b"{}")


def test_etx_inside_json_string_is_escaped():
  text = luxi.FormatRequest("QueryTags", ["cluster", "a\x03b"])
  assert "\x03" not in text
  data = luxi.EncodeMessage(text)
  assert data.count(luxi.ETX) == 1
  assert luxi.ParseRequest(data[:-1])[1] == ["cluster", "a\x03b"]


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_string_argument_survives_framing(value):
  data = luxi.EncodeMessage(luxi.FormatRequest("M", [value]))
  assert luxi.FrameBuffer().Feed(data) == [data[:-1]]
  assert luxi.ParseRequest(data[:-1]) == ("M", [value], None)


# -- requests and responses ----------------------------------------------------


def test_request_round_trip():
  text = luxi.FormatRequest("QueryJobs", [[1], ["status"]], version=2060000)
  assert text.endswith("\n")
  assert luxi.ParseRequest(text) == ("QueryJobs", [[1], ["status"]], 2060000)
  assert luxi.ParseRequest(text.encode("utf-8"))[0] == "QueryJobs"


def test_request_without_version():
  text = luxi.FormatRequest("QueryClusterInfo", ())
  assert "version" not in serializer.LoadJson(text)
  assert luxi.ParseRequest(text) == ("QueryClusterInfo", [], None)


def test_request_tolerates_trailing_whitespace():
  assert luxi.ParseRequest('{"method": "M", "args": []}  \n') == \
    ("M", [], None)


@pytest.mark.parametrize("msg,match", [
  ("", "Invalid LUXI request"),
  ("{", "Invalid LUXI request"),
  ("[]", "expected a JSON object, got list"),
  ('"text"', "expected a JSON object, got str"),
  ("42", "expected a JSON object, got int"),
  ("null", "expected a JSON object, got NoneType"),
  ('{"args": []}', "key 'method' missing"),
  ('{"method": "M"}', "key 'args' missing"),
  ('{"method": 1, "args": []}', "method must be a string"),
  ('{"method": null, "args": []}', "method must be a string"),
  ('{"method": "M", "args": {}}', "invalid arguments type 'dict'"),
  ('{"method": "M", "args": "x"}', "invalid arguments type 'str'"),
  ('{"method": "M", "args": null}', "invalid arguments type 'NoneType'"),
  ('{"method": "M", "args": [], "version": "1"}', "version must be an"),
  ('{"method": "M", "args": [], "version": true}', "version must be an"),
  (b"\xff\xfe", "not valid UTF-8"),
  ('{"method": "M", "args": [NaN]}', "Invalid LUXI request"),
  ])
def test_parse_request_malformed(msg, match):
  with pytest.raises(luxi.ProtocolError, match=match):
    luxi.ParseRequest(msg)


def test_response_round_trip():
  text = luxi.FormatResponse(True, {"a": [1, 2]}, version=5)
  assert luxi.ParseResponse(text) == (True, {"a": [1, 2]}, 5)
  assert luxi.ParseResponse(luxi.FormatResponse(0, "x")) == (False, "x", None)


@pytest.mark.parametrize("msg,match", [
  ("nonsense", "Invalid LUXI response"),
  ("[true, 1]", "expected a JSON object"),
  ('{"success": true}', "needs both 'success' and 'result'"),
  ('{"result": 1}', "needs both"),
  ("{}", "got keys none"),
  ('{"success": 1, "result": 1}', "must be a boolean"),
  ('{"success": true, "result": 1, "version": 1.5}', "version must be"),
  ])
def test_parse_response_malformed(msg, match):
  with pytest.raises(luxi.ProtocolError, match=match):
    luxi.ParseResponse(msg)


@pytest.mark.parametrize("method,args", [
  ("", []), (None, []), (5, []), ("M", None), ("M", "args"), ("M", {}),
  ])
def test_format_request_refuses_bad_input(method, args):
  with pytest.raises(errors.ProgrammerError):
    luxi.FormatRequest(method, args)


def test_format_response_refuses_unserialisable_result():
  with pytest.raises(errors.ProgrammerError, match="set"):
    luxi.FormatResponse(True, set([1]))


# -- CallLuxiMethod ------------------------------------------------------------


def _Transport(response):
  sent = []

  def fn(request):
    sent.append(request)
    return response
  fn.sent = sent
  return fn


def test_call_returns_result_and_sends_request():
  transport = _Transport(luxi.FormatResponse(True, 42, version=7))
  assert luxi.CallLuxiMethod(transport, "SubmitJob", [[]], version=7) == 42
  assert luxi.ParseRequest(transport.sent[0]) == ("SubmitJob", [[]], 7)


def test_call_reraises_ganeti_error_with_same_args():
  err = errors.OpPrereqError("Instance 'x' not known", errors.ECODE_NOENT)
  transport = _Transport(luxi.FormatResponse(False,
                                             errors.EncodeException(err)))
  with pytest.raises(errors.OpPrereqError) as info:
    luxi.CallLuxiMethod(transport, "QueryTags", ["instance", "x"])
  assert info.value.args == ("Instance 'x' not known", "unknown_entity")


@pytest.mark.parametrize("cls", [errors.JobQueueDrainError,
                                 errors.JobQueueFull, errors.LuxiError,
                                 errors.GenericError, errors.HooksAbort])
def test_call_reraises_every_error_class(cls):
  transport = _Transport(luxi.FormatResponse(
    False, errors.EncodeException(cls("text", [1, 2]))))
  with pytest.raises(cls) as info:
    luxi.CallLuxiMethod(transport, "M", [])
  assert type(info.value) is cls
  assert info.value.args == ("text", [1, 2])


@pytest.mark.parametrize("result", [
  "Caught exception: Invalid operation 'Foo'",
  ["NotAGanetiError", ["x"]],
  ["OpPrereqError", "not a list"],
  {"weird": True},
  None,
  ])
def test_call_other_failures_raise_request_error(result):
  transport = _Transport(luxi.FormatResponse(False, result))
  with pytest.raises(luxi.RequestError) as info:
    luxi.CallLuxiMethod(transport, "M", [])
  assert info.value.args == (result, )


def test_call_version_mismatch():
  transport = _Transport(luxi.FormatResponse(True, 1, version=99))
  with pytest.raises(errors.LuxiError, match="client 7, response 99"):
    luxi.CallLuxiMethod(transport, "M", [], version=7)


def test_call_without_versions_does_not_check():
  transport = _Transport(luxi.FormatResponse(True, 1, version=99))
  assert luxi.CallLuxiMethod(transport, "M", []) == 1
  transport = _Transport(luxi.FormatResponse(True, 1))
  assert luxi.CallLuxiMethod(transport, "M", [], version=7) == 1


def test_call_garbage_response():
  with pytest.raises(luxi.ProtocolError):
    luxi.CallLuxiMethod(_Transport("<html>"), "M", [])


# -- transport -----------------------------------------------------------------


def test_transport_no_master(sock_path):
  with pytest.raises(luxi.NoMasterError):
    luxi.Transport(sock_path)


def test_transport_refused_stale_socket_file(sock_path):
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.bind(sock_path)
  sock.close()  # the file stays, nobody listens
  with pytest.raises(luxi.NoMasterError):
    luxi.Transport(sock_path)


def test_transport_permission_denied(tmp_path):
  if os.geteuid() == 0:
    # root ignores file modes; use a path whose directory is a file instead
    path = str(tmp_path / "file" / "sock")
    (tmp_path / "file").write_text("")
    with pytest.raises(luxi.ProtocolError, match="Cannot connect"):
      luxi.Transport(path)
    return
  sub = tmp_path / "closed"
  sub.mkdir()
  server = _TestServer(str(sub / "sock"), _Echo)
  try:
    sub.chmod(0)
    with pytest.raises(luxi.PermissionError):
      luxi.Transport(str(sub / "sock"))
  finally:
    sub.chmod(0o700)
    server.Stop()


def test_transport_call(server_factory, sock_path):
  server_factory()
  transport = luxi.Transport(sock_path)
  try:
    reply = transport.Call(luxi.FormatRequest("A", [1]))
    assert luxi.ParseResponse(reply)[1] == ["A", [1]]
    assert not transport.IsStale()
  finally:
    transport.Close()
  transport.Close()
  assert transport.IsStale()
  with pytest.raises(luxi.ConnectionClosedError):
    transport.Send("{}")
  with pytest.raises(luxi.ConnectionClosedError):
    transport.Recv()


def test_transport_read_timeout(server_factory, sock_path):
  release = threading.Event()

  def slow(method, args):
    release.wait(5)
    return _Ok(1)

  server_factory(slow)
  transport = luxi.Transport(sock_path, timeouts=(1, 0.3))
  try:
    start = time.monotonic()
    with pytest.raises(luxi.TimeoutError, match="within 0.3 seconds"):
      transport.Call(luxi.FormatRequest("Slow", []))
    assert time.monotonic() - start < 2
  finally:
    release.set()
    transport.Close()


def test_transport_server_closes_without_answer(server_factory, sock_path):
  server_factory(lambda method, args: None)
  transport = luxi.Transport(sock_path)
  try:
    with pytest.raises(luxi.ConnectionClosedError, match="closed"):
      transport.Call(luxi.FormatRequest("Bye", []))
  finally:
    transport.Close()


def test_transport_reply_size_limit(server_factory, sock_path):
  server_factory(lambda method, args: _Ok("x" * 1000))
  transport = luxi.Transport(sock_path, max_size=100)
  try:
    with pytest.raises(luxi.MessageTooLarge):
      transport.Call(luxi.FormatRequest("Big", []))
  finally:
    transport.Close()


# -- client --------------------------------------------------------------------


def test_client_uses_master_socket_by_default(monkeypatch, tmp_path):
  node = tmp_path / "node1"
  node.mkdir()
  monkeypatch.setenv("GANETI_ROOTDIR", str(node))
  monkeypatch.setenv("GANETI_HOSTNAME", "node1")
  pathutils.Reload()
  try:
    client = luxi.Client()
    assert client.address == pathutils.MASTER_SOCKET
    assert client.address.startswith(str(node))
    with pytest.raises(luxi.NoMasterError):
      client.QueryClusterInfo()
  finally:
    monkeypatch.delenv("GANETI_ROOTDIR")
    monkeypatch.delenv("GANETI_HOSTNAME")
    pathutils.Reload()


def test_client_sends_version_and_reuses_connection(server_factory,
                                                    sock_path):
  server = server_factory()
  client = luxi.Client(address=sock_path)
  assert client.QueryClusterInfo() == ["QueryClusterInfo", []]
  assert client.QueryConfigValues(["cluster_name"]) == \
    ["QueryConfigValues", [["cluster_name"]]]
  client.Close()
  assert [req[2] for req in server.requests] == [constants.LUXI_VERSION] * 2
  assert server.connections == 1


_OP = opcodes.OpTestDelay(duration=0.5)


@pytest.mark.parametrize("call,method,args", [
  (lambda c: c.SubmitJob([_OP]), "SubmitJob",
   [[{"OP_ID": "OP_TEST_DELAY", "duration": 0.5}]]),
  (lambda c: c.SubmitJob([{"OP_ID": "OP_TEST_DELAY", "duration": 1}]),
   "SubmitJob", [[{"OP_ID": "OP_TEST_DELAY", "duration": 1}]]),
  (lambda c: c.SubmitManyJobs([[_OP], [_OP, _OP]]), "SubmitManyJobs",
   [[[_OP.ToDict()], [_OP.ToDict(), _OP.ToDict()]]]),
  (lambda c: c.CancelJob("17"), "CancelJob", [17]),
  (lambda c: c.ArchiveJob(3), "ArchiveJob", [3]),
  (lambda c: c.AutoArchiveJobs(3600), "AutoArchiveJobs", [3600, 29]),
  (lambda c: c.WaitForJobChangeOnce("5", ["status"], None, None),
   "WaitForJobChange", [5, ["status"], None, None, 29]),
  (lambda c: c.WaitForJobChangeOnce(5, ["status"], ["queued"], 3, timeout=2),
   "WaitForJobChange", [5, ["status"], ["queued"], 3, 2]),
  (lambda c: c.WaitForJobChangeOnce(5, [], None, None, timeout=500),
   "WaitForJobChange", [5, [], None, None, 29]),
  (lambda c: c.QueryJobs(["1", 2], ["id"]), "QueryJobs", [[1, 2], ["id"]]),
  (lambda c: c.QueryJobs(None, ["id"]), "QueryJobs", [None, ["id"]]),
  (lambda c: c.Query("lock", ["name"], None), "Query",
   ["lock", ["name"], None]),
  (lambda c: c.QueryFields("job", None), "QueryFields", ["job", None]),
  (lambda c: c.QueryInstances([], ["name"], False), "QueryInstances",
   [[], ["name"], False]),
  (lambda c: c.QueryNodes(["n1"], ["name"], False), "QueryNodes",
   [["n1"], ["name"], False]),
  (lambda c: c.QueryGroups([], ["name"], False), "QueryGroups",
   [[], ["name"], False]),
  (lambda c: c.QueryExports([], False), "QueryExports", [[], False]),
  (lambda c: c.QueryClusterInfo(), "QueryClusterInfo", []),
  (lambda c: c.QueryConfigValues(["master_node"]), "QueryConfigValues",
   [["master_node"]]),
  (lambda c: c.QueryTags("cluster", ""), "QueryTags", ["cluster", ""]),
  (lambda c: c.SetDrainFlag(True), "SetDrainFlag", [True]),
  (lambda c: c.SetQueueDrainFlag(False), "SetDrainFlag", [False]),
  (lambda c: c.SetWatcherPause(None), "SetWatcherPause", [None]),
  ])
def test_client_method_wire_forms(server_factory, sock_path, call, method,
                                  args):
  server_factory()
  client = luxi.Client(address=sock_path)
  try:
    assert call(client) == [method, args]
  finally:
    client.Close()


@pytest.mark.parametrize("job_id", [True, -1, "abc", "1.5", None, 1.0, [1]])
def test_client_refuses_bad_job_ids(job_id):
  client = luxi.Client(address="/nonexistent")
  with pytest.raises(errors.ParameterError, match="Invalid job ID"):
    client.CancelJob(job_id)


@pytest.mark.parametrize("ops", [None, "op", [1], [[]], {"OP_ID": "x"}])
def test_client_refuses_bad_opcodes(ops):
  client = luxi.Client(address="/nonexistent")
  with pytest.raises(errors.ProgrammerError):
    client.SubmitJob(ops)


def test_client_refuses_bad_job_list():
  with pytest.raises(errors.ProgrammerError, match="list of jobs"):
    luxi.Client(address="/nonexistent").SubmitManyJobs(None)


def test_client_wait_for_job_change_repeats_on_nochange(server_factory,
                                                        sock_path):
  answers = [constants.JOB_NOTCHANGED, constants.JOB_NOTCHANGED,
             [["success"], []]]
  server_factory(lambda method, args: _Ok(answers.pop(0)))
  client = luxi.Client(address=sock_path)
  try:
    assert client.WaitForJobChange(1, ["status"], None, None) == \
      [["success"], []]
  finally:
    client.Close()
  assert not answers


def test_client_error_round_trip(server_factory, sock_path):
  err = errors.OpPrereqError("no such thing", errors.ECODE_NOENT)
  server_factory(lambda method, args: luxi.FormatResponse(
    False, errors.EncodeException(err)))
  client = luxi.Client(address=sock_path)
  try:
    with pytest.raises(errors.OpPrereqError) as info:
      client.QueryTags("node", "x")
    assert info.value.args == ("no such thing", "unknown_entity")
    # the connection stays usable after a Ganeti error
    with pytest.raises(errors.OpPrereqError):
      client.QueryTags("node", "x")
  finally:
    client.Close()


def test_client_reconnects_after_server_restart(server_factory, sock_path):
  first = server_factory()
  client = luxi.Client(address=sock_path)
  try:
    assert client.QueryClusterInfo()[0] == "QueryClusterInfo"
    first.Stop()
    second = server_factory(lambda method, args: _Ok("second"))
    assert client.QueryClusterInfo() == "second"
    assert second.connections == 1
  finally:
    client.Close()


def test_client_drops_connection_after_failure(server_factory, sock_path):
  calls = []

  def handler(method, args):
    calls.append(method)
    if len(calls) == 1:
      return None  # close without answering
    return _Ok("fine")

  server = server_factory(handler)
  client = luxi.Client(address=sock_path)
  try:
    with pytest.raises(luxi.ConnectionClosedError):
      client.QueryClusterInfo()
    # not resent automatically: the request may have been executed
    assert calls == ["QueryClusterInfo"]
    assert client.QueryClusterInfo() == "fine"
    assert server.connections == 2
  finally:
    client.Close()


def test_client_per_call_timeout(server_factory, sock_path):
  release = threading.Event()

  def handler(method, args):
    if method == "Slow":
      release.wait(5)
    return _Ok(method)

  server_factory(handler)
  client = luxi.Client(address=sock_path, timeouts=(1, 0.3))
  try:
    with pytest.raises(luxi.TimeoutError):
      client.CallMethod("Slow", [])
    release.set()
    assert client.CallMethod("Fast", []) == "Fast"
  finally:
    release.set()
    client.Close()


def test_client_shared_by_threads(server_factory, sock_path):
  server_factory()
  client = luxi.Client(address=sock_path)
  results = []

  def worker(num):
    for idx in range(20):
      results.append(client.CallMethod("M%d" % num, [idx]) ==
                     ["M%d" % num, [idx]])

  threads = [threading.Thread(target=worker, args=(i, )) for i in range(4)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join(10)
  client.Close()
  assert results == [True] * 80


def test_client_custom_transport_class():
  created = []

  class FakeTransport:
    def __init__(self, address, timeouts=None):
      created.append((address, timeouts))

    def Call(self, request):
      (method, args, _) = luxi.ParseRequest(request)
      return _Ok([method, args])

    def Close(self):
      created.append("closed")

  client = luxi.Client(address="/x", timeouts=(1, 2), transport=FakeTransport)
  assert client.SetWatcherPause(5) == ["SetWatcherPause", [5]]
  client.Close()
  assert created == [("/x", (1, 2)), "closed"]
