"""Tests for ganeti.http.server: a real server on loopback ports."""

import http.client as std_http
import json
import socket
import ssl
import threading
import time

import pytest

from ganeti import errors
from ganeti import http
from ganeti import serializer
from ganeti import utils
from ganeti.http import server


def _Echo(req):
  data = {
    "method": req.method, "path": req.path, "query": req.query,
    "args": req.GetQueryArgs(), "body": req.ReadJson(),
    "has_body": req.HasBody(), "version": req.version,
    "peer_cert": req.peer_cert is not None,
    }
  return serializer.DumpJson(data)


def _WaitFor(fn, timeout=5.0, what="condition"):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if fn():
      return
    time.sleep(0.01)
  raise AssertionError("Timed out waiting for %s" % what)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
  base = tmp_path_factory.mktemp("certs")
  (cluster, other) = (str(base / "server.pem"), str(base / "other.pem"))
  utils.GenerateSelfSignedSslCert(cluster)
  utils.GenerateSelfSignedSslCert(other)
  return (cluster, other)


@pytest.fixture
def make_server():
  servers = []

  def _Make(handler=_Echo, **kwargs):
    kwargs.setdefault("request_timeout", 2.0)
    srv = server.HttpServer("127.0.0.1", 0, handler, **kwargs)
    srv.Start()
    servers.append(srv)
    return srv

  yield _Make
  for srv in servers:
    assert srv.Stop(timeout=5)


def _Connect(srv, timeout=5.0):
  return socket.create_connection((srv.address, srv.port), timeout=timeout)


def _RawExchange(srv, data, timeout=5.0):
  """Send bytes, read until the server closes; return what came back."""
  with _Connect(srv, timeout) as sock:
    sock.sendall(data)
    chunks = []
    while True:
      chunk = sock.recv(65536)
      if not chunk:
        break
      chunks.append(chunk)
  return b"".join(chunks)


def _SplitResponse(raw):
  (head, body) = raw.split(b"\r\n\r\n", 1)
  lines = head.decode("latin-1").split("\r\n")
  status = int(lines[0].split(" ")[1])
  headers = dict(line.split(": ", 1) for line in lines[1:])
  return (status, headers, body)


def _Get(conn, method, path, body=None, headers=None):
  conn.request(method, path, body=body, headers=headers or {})
  resp = conn.getresponse()
  return (resp.status, dict(resp.getheaders()), resp.read())


def _AssertErrorBody(body, code, message_part=None):
  data = json.loads(body)
  assert data["code"] == code
  assert data["explain"] == http.RESPONSES[code][1]
  if message_part:
    assert message_part in data["message"]


def _AssertServes(srv):
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    (status, _, body) = _Get(conn, "GET", "/still/alive")
  finally:
    conn.close()
  assert status == 200
  assert json.loads(body)["path"] == "/still/alive"


# --- basic serving -----------------------------------------------------------

def test_keep_alive_serves_many_requests_on_one_connection(make_server):
  srv = make_server()
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    for i in range(5):
      (status, headers, body) = _Get(conn, "POST", "/p/%d?a=1&a=2&b=" % i,
                                     body=serializer.DumpJson({"i": i}),
                                     headers={"Content-Type":
                                              "application/json"})
      assert status == 200
      assert headers["Content-Type"] == http.HTTP_APP_JSON
      assert headers["Connection"] == "keep-alive"
      assert headers["Server"] == http.HTTP_GANETI_VERSION
      assert "Date" in headers
      data = json.loads(body)
      assert data["path"] == "/p/%d" % i
      assert data["args"] == {"a": ["1", "2"]}
      assert data["body"] == {"i": i}
      assert data["version"] == "HTTP/1.1"
  finally:
    conn.close()
  assert srv.connections_accepted == 1
  assert srv.requests_handled == 5


def test_handler_result_forms(make_server):
  class Handler:
    def HandleRequest(self, req):
      if req.path == "/tuple":
        return (202, b"accepted")
      if req.path == "/none":
        return None
      if req.path == "/status":
        req.resp_status_code = 201
        req.resp_headers["Content-Type"] = "text/plain"
        req.resp_headers["X-Extra"] = "yes"
        return "created \u00e9"
      return bytearray(b"bytes")

  srv = make_server(Handler())
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    assert _Get(conn, "GET", "/tuple")[::2] == (202, b"accepted")
    assert _Get(conn, "GET", "/none")[::2] == (200, b"")
    (status, headers, body) = _Get(conn, "GET", "/status")
    assert (status, body) == (201, "created \u00e9".encode("utf-8"))
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Extra"] == "yes"
    assert _Get(conn, "GET", "/other")[::2] == (200, b"bytes")
  finally:
    conn.close()


def test_handler_errors_become_json_and_keep_connection(make_server):
  def Handler(req):
    if req.path == "/missing":
      raise http.HttpNotFound()
    if req.path == "/method":
      raise http.HttpMethodNotAllowed(headers={"Allow": "POST, PUT"})
    if req.path == "/crash":
      raise RuntimeError("disk <on> fire")
    if req.path == "/badtype":
      return {"not": "a body"}
    if req.path == "/badstatus":
      return (1000, b"")
    if req.path == "/badheader":
      req.resp_headers["X-Bad"] = "a\r\nb"
      return b""
    return b"ok"

  srv = make_server(Handler)
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    (status, headers, body) = _Get(conn, "GET", "/missing")
    assert status == 404
    assert headers["Content-Type"] == http.HTTP_APP_JSON
    _AssertErrorBody(body, 404, "Not Found")
    (status, headers, body) = _Get(conn, "GET", "/method")
    assert status == 405 and headers["Allow"] == "POST, PUT"
    _AssertErrorBody(body, 405)
    (status, _, body) = _Get(conn, "GET", "/crash")
    assert status == 500
    _AssertErrorBody(body, 500, "disk &lt;on&gt; fire")
    (status, _, body) = _Get(conn, "GET", "/badtype")
    _AssertErrorBody(body, 500, "dict instead of a body")
    (status, _, body) = _Get(conn, "GET", "/badstatus")
    _AssertErrorBody(body, 500, "invalid status 1000")
    (status, _, body) = _Get(conn, "GET", "/badheader")
    _AssertErrorBody(body, 500, "line break")
    assert _Get(conn, "GET", "/fine")[::2] == (200, b"ok")
  finally:
    conn.close()
  assert srv.connections_accepted == 1


def test_read_json_errors(make_server):
  def Handler(req):
    return serializer.DumpJson(req.ReadJson(check_content_type=True))

  srv = make_server(Handler)
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    (status, _, body) = _Get(conn, "PUT", "/", body=b"{bad",
                             headers={"Content-Type": "application/json"})
    assert status == 400
    _AssertErrorBody(body, 400, "Unable to parse JSON data")
    (status, _, body) = _Get(conn, "PUT", "/", body=b"[1]",
                             headers={"Content-Type": "text/plain"})
    assert status == 415
    _AssertErrorBody(body, 415, "text/plain")
    (status, _, body) = _Get(conn, "PUT", "/", body=b"[1]")
    assert status == 415
    (status, _, body) = _Get(conn, "PUT", "/", body=b"[1]",
                             headers={"Content-Type": "Application/JSON"})
    assert (status, json.loads(body)) == (200, [1])
    (status, _, body) = _Get(conn, "GET", "/")
    assert (status, json.loads(body)) == (200, None)
  finally:
    conn.close()


def test_head_request_has_no_body(make_server):
  srv = make_server(lambda req: b"0123456789")
  conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
  try:
    (status, headers, body) = _Get(conn, "HEAD", "/")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "10"
    assert _Get(conn, "GET", "/")[2] == b"0123456789"
  finally:
    conn.close()


def test_http10_closes_unless_keep_alive_asked(make_server):
  srv = make_server()
  raw = _RawExchange(srv, b"GET /a HTTP/1.0\r\n\r\n")
  (status, headers, body) = _SplitResponse(raw)
  assert status == 200 and headers["Connection"] == "close"
  assert json.loads(body)["version"] == "HTTP/1.0"
  with _Connect(srv) as sock:
    sock.sendall(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    resp = std_http.HTTPResponse(sock)
    resp.begin()
    assert resp.getheader("Connection") == "keep-alive"
    assert json.loads(resp.read())["path"] == "/b"


def test_pipelined_requests_are_answered_in_order(make_server):
  srv = make_server()
  raw = _RawExchange(srv, b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"POST /two HTTP/1.1\r\nContent-Length: 3\r\n"
                     b"Connection: close\r\n\r\n[2]")
  first_len = int(raw.split(b"Content-Length: ")[1].split(b"\r\n")[0])
  (status, _, rest) = _SplitResponse(raw)
  assert status == 200
  assert json.loads(rest[:first_len])["path"] == "/one"
  (status, headers, body) = _SplitResponse(rest[first_len:])
  assert status == 200 and headers["Connection"] == "close"
  assert json.loads(body)["body"] == [2]


def test_expect_continue(make_server):
  srv = make_server()
  with _Connect(srv) as sock:
    sock.sendall(b"POST /c HTTP/1.1\r\nContent-Length: 2\r\n"
                 b"Expect: 100-continue\r\n\r\n")
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
      interim += sock.recv(1)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"[]")
    resp = std_http.HTTPResponse(sock)
    resp.begin()
    assert json.loads(resp.read())["body"] == []


def test_keep_alive_disabled_closes_every_connection(make_server):
  srv = make_server(keep_alive=False)
  raw = _RawExchange(srv, b"GET / HTTP/1.1\r\n\r\n")
  assert _SplitResponse(raw)[1]["Connection"] == "close"


# --- malformed input ---------------------------------------------------------

@pytest.mark.parametrize("data,code,text", [
  (b"GARBAGE\r\n\r\n", 400, "request line"),
  (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", 400, "Malformed header"),
  (b"GET / HTTP/2.0\r\n\r\n", 505, "2.0"),
  (b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "Content-Length"),
  (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
   b"\r\n", 411, "Content-Length"),
  (b"GET /" + b"a" * 9000, 414, "Request line"),
  (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 20000, 431, "Request head"),
  ])
def test_malformed_requests_get_json_errors(make_server, data, code, text):
  srv = make_server()
  (status, headers, body) = _SplitResponse(_RawExchange(srv, data))
  assert status == code
  assert headers["Connection"] == "close"
  assert headers["Content-Type"] == http.HTTP_APP_JSON
  _AssertErrorBody(body, code, text)
  _AssertServes(srv)


def test_oversized_body_is_refused_with_413(make_server):
  srv = make_server(max_body_size=1000)
  body = b"[" + b"1," * 5000 + b"1]"
  raw = _RawExchange(srv, b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n"
                     % len(body) + body)
  (status, _, err_body) = _SplitResponse(raw)
  assert status == 413
  _AssertErrorBody(err_body, 413, "larger than the limit of 1000 bytes")
  # At the limit it is accepted
  ok = b"[" + b" " * 998 + b"]"
  raw = _RawExchange(srv, b"POST / HTTP/1.1\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(ok) + ok)
  assert _SplitResponse(raw)[0] == 200
  _AssertServes(srv)


def test_incomplete_body_times_out_with_408(make_server):
  srv = make_server(request_timeout=0.3)
  start = time.monotonic()
  raw = _RawExchange(srv, b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
                     b"12345")
  assert time.monotonic() - start < 3
  (status, _, body) = _SplitResponse(raw)
  assert status == 408
  _AssertErrorBody(body, 408, "0.3 seconds")


def test_slowloris_is_cut_off_while_others_are_served(make_server):
  srv = make_server(request_timeout=0.5, max_clients=4)
  with _Connect(srv) as slow:
    slow.sendall(b"GET / HTTP/1.1\r\n")
    start = time.monotonic()
    closed_after = None
    received = b""
    slow.settimeout(0.05)
    while time.monotonic() - start < 4:
      try:
        slow.sendall(b"X")
      except OSError:
        closed_after = time.monotonic() - start
        break
      _AssertServes(srv)
      try:
        chunk = slow.recv(65536)
      except socket.timeout:
        continue
      except OSError:
        closed_after = time.monotonic() - start
        break
      if not chunk:
        closed_after = time.monotonic() - start
        break
      received += chunk
  assert closed_after is not None and closed_after < 3
  if received:
    assert received.startswith(b"HTTP/1.1 408 ")


def test_idle_connection_closed_after_keepalive_timeout(make_server):
  srv = make_server(keepalive_timeout=0.3)
  with _Connect(srv) as idle:
    idle.sendall(b"GET / HTTP/1.1\r\n\r\n")
    resp = std_http.HTTPResponse(idle)
    resp.begin()
    resp.read()
    start = time.monotonic()
    assert idle.recv(10) == b""
    assert 0.2 < time.monotonic() - start < 3
  _WaitFor(lambda: srv.GetConnectionCount() == 0, what="connection close")


def test_silent_new_connection_closed_after_request_timeout(make_server):
  srv = make_server(request_timeout=0.3, keepalive_timeout=30)
  with _Connect(srv) as silent:
    start = time.monotonic()
    assert silent.recv(10) == b""
    assert 0.2 < time.monotonic() - start < 3
  _AssertServes(srv)


# --- concurrency -------------------------------------------------------------

class _BlockingHandler:
  def __init__(self):
    self.release = threading.Event()
    self.lock = threading.Lock()
    self.active = 0
    self.max_active = 0

  def HandleRequest(self, req):
    with self.lock:
      self.active += 1
      self.max_active = max(self.max_active, self.active)
    try:
      if not self.release.wait(10):
        raise http.HttpServiceUnavailable("test never released the handler")
      return req.path
    finally:
      with self.lock:
        self.active -= 1


def test_max_clients_bounds_concurrent_connections(make_server):
  handler = _BlockingHandler()
  srv = make_server(handler, max_clients=2)
  results = {}

  def Client(i):
    conn = std_http.HTTPConnection(srv.address, srv.port, timeout=10)
    try:
      results[i] = _Get(conn, "GET", "/c%d" % i)[::2]
    finally:
      conn.close()

  threads = [threading.Thread(target=Client, args=(i, )) for i in range(5)]
  try:
    for thread in threads:
      thread.start()
    _WaitFor(lambda: handler.active == 2, what="two active handlers")
    time.sleep(0.2)
    assert handler.active == 2
    assert srv.GetConnectionCount() == 2
  finally:
    handler.release.set()
    for thread in threads:
      thread.join(10)
  assert handler.max_active == 2
  assert results == dict((i, (200, b"/c%d" % i)) for i in range(5))


def test_full_server_reclaims_idle_keep_alive_connection(make_server):
  srv = make_server(max_clients=1, keepalive_timeout=30)
  with _Connect(srv) as parked:
    parked.sendall(b"GET /first HTTP/1.1\r\n\r\n")
    resp = std_http.HTTPResponse(parked)
    resp.begin()
    assert resp.status == 200 and resp.getheader("Connection") == "keep-alive"
    resp.read()
    start = time.monotonic()
    _AssertServes(srv)
    assert time.monotonic() - start < 3
    # The parked connection was closed to make room; clients reconnect
    parked.settimeout(5)
    assert parked.recv(10) == b""


def test_parallel_clients_are_all_served(make_server):
  srv = make_server(max_clients=8)
  failures = []

  def Client(i):
    conn = std_http.HTTPConnection(srv.address, srv.port, timeout=10)
    try:
      for j in range(10):
        (status, _, body) = _Get(conn, "POST", "/x", body=b"[%d, %d]" % (i, j))
        if status != 200 or json.loads(body)["body"] != [i, j]:
          failures.append((i, j, status))
    finally:
      conn.close()

  threads = [threading.Thread(target=Client, args=(i, )) for i in range(8)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join(10)
  assert not failures
  assert srv.requests_handled == 80


# --- TLS ---------------------------------------------------------------------

def _TlsContext(cert=None, verify_ca=None):
  ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
  ctx.check_hostname = False
  if verify_ca:
    ctx.load_verify_locations(cafile=verify_ca)
  else:
    ctx.verify_mode = ssl.CERT_NONE
  if cert:
    ctx.load_cert_chain(cert)
  return ctx


def _TlsGet(srv, ctx):
  conn = std_http.HTTPSConnection(srv.address, srv.port, timeout=5,
                                  context=ctx)
  try:
    (status, _, body) = _Get(conn, "POST", "/tls", body=b"[true]")
    return (status, json.loads(body))
  finally:
    conn.close()


def test_tls_with_cluster_certificate_on_both_ends(make_server, certs):
  (cluster, _) = certs
  params = http.HttpSslParams(cluster, cluster)
  srv = make_server(ssl_params=params, ssl_verify_peer=True)
  (status, data) = _TlsGet(srv, _TlsContext(cert=cluster,
                                            verify_ca=cluster))
  assert status == 200
  assert data["body"] == [True] and data["peer_cert"]


@pytest.mark.parametrize("which", ["none", "other"])
def test_tls_refuses_client_without_cluster_certificate(make_server, certs,
                                                        which):
  (cluster, other) = certs
  srv = make_server(ssl_params=http.HttpSslParams(cluster, cluster),
                    ssl_verify_peer=True)
  ctx = _TlsContext(cert=None if which == "none" else other)
  with pytest.raises((ssl.SSLError, ConnectionError)):
    _TlsGet(srv, ctx)
  _WaitFor(lambda: srv.GetConnectionCount() == 0, what="refused close")
  assert srv.requests_handled == 0
  assert _TlsGet(srv, _TlsContext(cert=cluster))[0] == 200


def test_tls_without_peer_verification_accepts_any_client(make_server,
                                                          certs):
  (cluster, _) = certs
  srv = make_server(ssl_params=http.HttpSslParams(cluster, cluster))
  (status, data) = _TlsGet(srv, _TlsContext())
  assert status == 200 and not data["peer_cert"]


def test_tls_server_refuses_plain_http(make_server, certs):
  (cluster, _) = certs
  srv = make_server(ssl_params=http.HttpSslParams(cluster, cluster))
  try:
    raw = _RawExchange(srv, b"GET / HTTP/1.1\r\n\r\n")
  except ConnectionResetError:
    raw = b""
  assert not raw.startswith(b"HTTP/1.1 200")
  assert srv.requests_handled == 0
  assert _TlsGet(srv, _TlsContext())[0] == 200


# --- life cycle and arguments ------------------------------------------------

def test_stop_finishes_request_in_progress_and_closes_idle(make_server):
  started = threading.Event()

  def Slow(req):
    started.set()
    time.sleep(0.3)
    return b"done"

  srv = server.HttpServer("127.0.0.1", 0, Slow)
  srv.Start()
  idle = _Connect(srv)
  result = []

  def Client():
    conn = std_http.HTTPConnection(srv.address, srv.port, timeout=5)
    try:
      result.append(_Get(conn, "GET", "/")[::2])
    finally:
      conn.close()

  thread = threading.Thread(target=Client)
  thread.start()
  try:
    assert started.wait(5)
    assert srv.Stop(timeout=5)
    assert srv.Stop()
  finally:
    thread.join(5)
    idle.close()
  assert result == [(200, b"done")]
  with pytest.raises(OSError):
    _Connect(srv, timeout=1).close()


def test_stop_before_start_is_harmless():
  srv = server.HttpServer("127.0.0.1", 0, _Echo)
  assert srv.Stop()


def test_start_twice_and_busy_port(make_server):
  srv = make_server()
  with pytest.raises(errors.ProgrammerError, match="already started"):
    srv.Start()
  other = server.HttpServer("127.0.0.1", srv.port, _Echo)
  with pytest.raises(errors.GenericError, match="Cannot listen on"):
    other.Start()


def test_ipv6_loopback(make_server):
  if not socket.has_ipv6:
    pytest.fail("IPv6 support missing in this Python build")
  srv = server.HttpServer("::1", 0, _Echo)
  try:
    srv.Start()
  except errors.GenericError as err:
    pytest.fail("Cannot bind ::1 here: %s" % err)
  try:
    conn = std_http.HTTPConnection("::1", srv.port, timeout=5)
    assert _Get(conn, "GET", "/v6")[0] == 200
    conn.close()
  finally:
    assert srv.Stop()


@pytest.mark.parametrize("kwargs,what", [
  (dict(address=""), "address"),
  (dict(port=70000), "port"),
  (dict(port="80"), "port"),
  (dict(handler=42), "handler"),
  (dict(ssl_params="x"), "ssl_params"),
  (dict(ssl_verify_peer=True), "ssl_verify_peer"),
  (dict(max_clients=0), "max_clients"),
  (dict(max_clients=1.5), "max_clients"),
  (dict(max_body_size=-1), "max_body_size"),
  (dict(request_timeout=0), "request_timeout"),
  (dict(keepalive_timeout=True), "keepalive_timeout"),
  (dict(write_timeout=-2), "write_timeout"),
  ])
def test_constructor_refuses_bad_arguments(kwargs, what):
  args = dict(address="127.0.0.1", port=0, handler=_Echo)
  args.update(kwargs)
  with pytest.raises(errors.ProgrammerError, match=what):
    server.HttpServer(**args)


def test_request_object():
  req = server.HttpServerRequest("GET", "/a/b?x=1&y=&x=2", http.HTTP_1_1,
                                 http.HttpHeaders(), b"",
                                 client_address=("1.2.3.4", 5))
  assert (req.path, req.query) == ("/a/b", "x=1&y=&x=2")
  assert req.GetQueryArgs() == {"x": ["1", "2"]}
  assert not req.HasBody()
  assert req.ReadJson() is None
  assert req.resp_status_code == 200 and req.resp_headers == {}
  assert "GET /a/b" in repr(req)
