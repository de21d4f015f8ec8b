"""Tests for ganeti.http.client: pycurl requests against real servers."""

import json
import socket
import threading
import time

import pycurl
import pytest

from ganeti import errors
from ganeti import http
from ganeti import serializer
from ganeti import utils
from ganeti.http import client
from ganeti.http import server


def _Echo(req):
  if req.path == "/missing":
    raise http.HttpNotFound("no such procedure")
  if req.path.startswith("/sleep/"):
    time.sleep(float(req.path[len("/sleep/"):]))
  return serializer.DumpJson({
    "method": req.method, "path": req.path, "body": req.ReadJson(),
    "x_test": req.headers.Get("X-Test"), "expect": req.headers.Get("Expect"),
    "peer_cert": req.peer_cert is not None,
    })


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

  def _Make(handler=_Echo, address="127.0.0.1", **kwargs):
    srv = server.HttpServer(address, 0, handler, **kwargs)
    srv.Start()
    servers.append(srv)
    return srv

  yield _Make
  for srv in servers:
    assert srv.Stop(timeout=5)


@pytest.fixture
def pool():
  result = client.HttpClientPool()
  yield result
  result.Close()


def _Req(srv, path="/echo", method="POST", scheme="http", **kwargs):
  return client.HttpClientRequest(srv.address, srv.port, method, path,
                                  scheme=scheme, **kwargs)


def _FreePort():
  sock = socket.socket()
  sock.bind(("127.0.0.1", 0))
  port = sock.getsockname()[1]
  sock.close()
  return port


# --- request objects ---------------------------------------------------------

@pytest.mark.parametrize("kwargs,what", [
  (dict(host=""), "host"), (dict(host=None), "host"),
  (dict(port=0), "port"), (dict(port=True), "port"),
  (dict(method=""), "method"), (dict(method="GE T"), "method"),
  (dict(path="x"), "path"), (dict(scheme="ftp"), "scheme"),
  (dict(read_timeout=0), "read_timeout"),
  (dict(connect_timeout="5"), "connect_timeout"),
  (dict(curl_config_fn=3), "curl_config_fn"),
  (dict(completion_cb="x"), "completion_cb"),
  (dict(headers=["NoColon"]), "header"),
  (dict(headers=["A: b\r\nC: d"]), "header"),
  (dict(post_data=123), "body"),
  ])
def test_request_refuses_bad_arguments(kwargs, what):
  args = dict(host="127.0.0.1", port=1811, method="POST", path="/x")
  args.update(kwargs)
  with pytest.raises(errors.ProgrammerError, match=what):
    client.HttpClientRequest(**args)


def test_request_defaults_and_url():
  req = client.HttpClientRequest("127.0.0.1", 1811, "post", "/version",
                                 headers={"X-A": "1"}, post_data="[]")
  assert req.url == "https://127.0.0.1:1811/version"
  assert req.method == "POST"
  assert req.headers == ["X-A: 1"]
  assert req.post_data == b"[]"
  assert req.read_timeout == client.DEFAULT_READ_TIMEOUT
  assert req.connect_timeout == client.DEFAULT_CONNECT_TIMEOUT
  assert req.success is None and req.error is None
  assert "pending" in repr(req)
  req6 = client.HttpClientRequest("::1", 80, "GET", "/", scheme="http",
                                  post_data=bytearray(b"x"))
  assert req6.url == "http://[::1]:80/"
  assert req6.post_data == b"x"


# --- processing --------------------------------------------------------------

def test_parallel_requests_to_several_servers(make_server):
  servers = [make_server(address="127.0.1.%d" % (i + 1)) for i in range(4)]
  done = []
  reqs = [_Req(srv, path="/sleep/0.3", post_data=serializer.DumpJson([i]),
               headers=["X-Test: %d" % i], nicename="node%d" % i,
               completion_cb=done.append)
          for (i, srv) in enumerate(servers)]
  start = time.monotonic()
  assert client.ProcessRequests(reqs) == reqs
  elapsed = time.monotonic() - start
  assert elapsed < 0.3 * len(servers) * 0.8
  for (i, req) in enumerate(reqs):
    assert req.success, req.error
    assert req.error is None
    assert req.resp_status_code == 200
    data = json.loads(req.resp_body)
    assert data["body"] == [i] and data["x_test"] == str(i)
    assert data["expect"] is None
    assert json.loads(req.resp_body_raw) == data
    assert "status 200" in repr(req)
  assert sorted(map(id, done)) == sorted(map(id, reqs))


def test_pool_reuses_connections(make_server, pool):
  srv = make_server()
  for i in range(10):
    (req, ) = pool.ProcessRequests([_Req(srv, post_data="[%d]" % i)])
    assert req.success and json.loads(req.resp_body)["body"] == [i]
  assert srv.connections_accepted == 1
  assert pool.GetIdleSlotCount() == 1
  # Through the module function as well
  (req, ) = client.ProcessRequests([_Req(srv)], pool=pool)
  assert req.success
  assert srv.connections_accepted == 1


def test_without_pool_connections_are_closed(make_server):
  srv = make_server()
  for _ in range(2):
    (req, ) = client.ProcessRequests([_Req(srv)])
    assert req.success
  assert srv.connections_accepted == 2


def test_pool_shared_by_threads(make_server, pool):
  servers = [make_server(address="127.0.1.%d" % (i + 10)) for i in range(3)]
  failures = []

  def Caller(i):
    for j in range(5):
      reqs = [_Req(srv, post_data="[%d, %d]" % (i, j)) for srv in servers]
      pool.ProcessRequests(reqs)
      for req in reqs:
        if not req.success or json.loads(req.resp_body)["body"] != [i, j]:
          failures.append((i, j, req.error))

  threads = [threading.Thread(target=Caller, args=(i, )) for i in range(4)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join(20)
  assert not failures
  assert 1 <= pool.GetIdleSlotCount() <= 4
  for srv in servers:
    assert srv.connections_accepted <= 4


def test_http_error_status_is_a_response_not_a_failure(make_server):
  srv = make_server()
  (req, ) = client.ProcessRequests([_Req(srv, path="/missing")])
  assert req.success and req.error is None
  assert req.resp_status_code == 404
  assert json.loads(req.resp_body)["message"] == "no such procedure"


def test_methods_and_bodies(make_server):
  srv = make_server()
  big = serializer.DumpJson(["x" * 1000] * 1000)
  reqs = [_Req(srv, method="GET"), _Req(srv, method="HEAD"),
          _Req(srv, method="PUT", post_data=big),
          _Req(srv, method="DELETE", post_data=b"[1]")]
  client.ProcessRequests(reqs)
  assert all(req.success for req in reqs)
  assert json.loads(reqs[0].resp_body)["method"] == "GET"
  assert reqs[1].resp_status_code == 200 and reqs[1].resp_body == ""
  assert json.loads(reqs[2].resp_body)["body"] == ["x" * 1000] * 1000
  assert json.loads(reqs[3].resp_body)["method"] == "DELETE"


def test_oversized_body_gets_413(make_server):
  srv = make_server(max_body_size=1024)
  (req, ) = client.ProcessRequests([_Req(srv, post_data=b"[" + b" " * 200000
                                         + b"]")])
  assert req.success, req.error
  assert req.resp_status_code == 413


def test_timeout_against_server_that_never_answers():
  sock = socket.socket()
  sock.bind(("127.0.0.1", 0))
  sock.listen(5)
  try:
    req = client.HttpClientRequest("127.0.0.1", sock.getsockname()[1],
                                   "POST", "/hang", scheme="http",
                                   read_timeout=0.3)
    start = time.monotonic()
    client.ProcessRequests([req])
    assert time.monotonic() - start < 3
  finally:
    sock.close()
  assert req.success is False
  assert "curl error 28" in req.error and "/hang" in req.error
  assert req.resp_status_code is None


def test_timeout_does_not_delay_other_requests(make_server):
  fast = make_server()
  slow = make_server()
  reqs = [_Req(fast), _Req(slow, path="/sleep/0.8", read_timeout=0.2)]
  start = time.monotonic()
  client.ProcessRequests(reqs)
  assert time.monotonic() - start < 0.7
  assert reqs[0].success and reqs[0].resp_status_code == 200
  assert not reqs[1].success and "curl error 28" in reqs[1].error


def test_connection_refused():
  req = client.HttpClientRequest("127.0.0.1", _FreePort(), "POST", "/x",
                                 scheme="http", read_timeout=5)
  client.ProcessRequests([req])
  assert req.success is False
  assert "curl error 7" in req.error
  assert "failed" in repr(req)


def test_setup_failure_reports_and_others_proceed(make_server):
  srv = make_server()

  def BadConfig(curl):
    curl.setopt(pycurl.SSLCERTTYPE, "NOPE")
    raise pycurl.error(pycurl.E_BAD_FUNCTION_ARGUMENT, "broken option")

  done = []
  reqs = [_Req(srv, curl_config_fn=BadConfig, completion_cb=done.append),
          _Req(srv)]
  client.ProcessRequests(reqs)
  assert reqs[0].success is False
  assert "Cannot set up request" in reqs[0].error
  assert done == [reqs[0]]
  assert reqs[1].success


def test_empty_request_list(pool):
  assert client.ProcessRequests([]) == []
  assert pool.ProcessRequests([]) == []


def test_lock_monitor_lists_pending_requests(make_server):
  release = threading.Event()

  def Blocking(req):
    release.wait(10)
    return b"[]"

  srv = make_server(Blocking)
  monitors = []
  reqs = [_Req(srv, path="/a", nicename="node1"), _Req(srv, path="/b")]
  thread = threading.Thread(target=client.ProcessRequests, args=(reqs, ),
                            kwargs=dict(lock_monitor_cb=monitors.append),
                            name="job-7")
  thread.start()
  try:
    deadline = time.monotonic() + 5
    while not monitors and time.monotonic() < deadline:
      time.sleep(0.01)
    info = monitors[0].GetLockInfo(None)
    assert info == [
      {"name": "rpc/127.0.0.1/b", "mode": None, "owner": ["job-7"],
       "pending": []},
      {"name": "rpc/node1/a", "mode": None, "owner": ["job-7"],
       "pending": []},
      ]
  finally:
    release.set()
    thread.join(10)
  assert monitors[0].GetLockInfo(None) == []
  assert all(req.success for req in reqs)


def test_pool_arguments_and_close(make_server):
  with pytest.raises(errors.ProgrammerError, match="max_idle_slots"):
    client.HttpClientPool(max_idle_slots=0)
  with pytest.raises(errors.ProgrammerError, match="max_connections"):
    client.HttpClientPool(max_connections="2")
  srv = make_server()
  small = client.HttpClientPool(max_idle_slots=1)
  assert small.ProcessRequests([_Req(srv)])[0].success
  small.Close()
  assert small.GetIdleSlotCount() == 0
  with pytest.raises(errors.ProgrammerError, match="after Close"):
    small.ProcessRequests([_Req(srv)])


# --- TLS ---------------------------------------------------------------------

def _TlsServer(make_server, cert, verify_peer=True):
  return make_server(ssl_params=http.HttpSslParams(cert, cert),
                     ssl_verify_peer=verify_peer)


def test_tls_with_cluster_certificate(make_server, pool, certs):
  (cluster, _) = certs
  srv = _TlsServer(make_server, cluster)
  config = client.CurlTlsConfig(cluster)
  for _ in range(3):
    (req, ) = pool.ProcessRequests([_Req(srv, scheme="https",
                                         curl_config_fn=config)])
    assert req.success, req.error
    assert json.loads(req.resp_body)["peer_cert"] is True
  assert srv.connections_accepted == 1


@pytest.mark.parametrize("client_cert", ["none", "other"])
def test_tls_client_without_cluster_certificate_is_refused(make_server,
                                                           certs,
                                                           client_cert):
  (cluster, other) = certs
  srv = _TlsServer(make_server, cluster)
  config = client.CurlTlsConfig(None if client_cert == "none" else other,
                                ca_file=cluster)
  (req, ) = client.ProcessRequests([_Req(srv, scheme="https",
                                         curl_config_fn=config,
                                         read_timeout=5)])
  assert req.success is False
  assert "curl error" in req.error
  assert srv.requests_handled == 0


def test_tls_client_refuses_foreign_server_certificate(make_server, certs):
  (cluster, other) = certs
  srv = _TlsServer(make_server, other, verify_peer=False)
  (req, ) = client.ProcessRequests([_Req(srv, scheme="https",
                                         curl_config_fn=client.CurlTlsConfig(
                                           cluster), read_timeout=5)])
  assert req.success is False
  assert srv.requests_handled == 0
  # Without verification (RAPI clients may choose so) it works
  loose = client.CurlTlsConfig(None, verify_peer=False)
  (req, ) = client.ProcessRequests([_Req(srv, scheme="https",
                                         curl_config_fn=loose)])
  assert req.success and req.resp_status_code == 200


def test_tls_config_arguments(tmp_path, certs):
  (cluster, _) = certs
  config = client.CurlTlsConfig(cluster)
  assert config.pin.startswith("sha256//")
  assert config.key_file == cluster and config.ca_file == cluster
  assert client.CurlTlsConfig(cluster, pin_peer=False).pin is None
  with pytest.raises(errors.X509CertError):
    client.CurlTlsConfig(str(tmp_path / "missing.pem"))
  with pytest.raises(errors.ProgrammerError, match="ca_file"):
    client.CurlTlsConfig(None)
