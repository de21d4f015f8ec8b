"""Tests for ganeti.server.noded: request handling and the command line.

The handler is exercised with real request objects; backends that fail in
ways the real one cannot be made to (an unexpected exception, a result
JSON cannot encode) are small modules of functions given to the handler.
The daemon's start-up runs in real subprocesses on a virtual node.
"""

import logging
import os
import socket
import subprocess
import sys
import types

import pytest

from ganeti import backend
from ganeti import constants
from ganeti import errors
from ganeti import http
from ganeti import pathutils
from ganeti import rpc_defs
from ganeti import serializer
from ganeti import ssconf
from ganeti import vcluster
from ganeti.http import server as http_server
from ganeti.server import noded
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__)))))
NODED = os.path.join(_REPO, "daemons", "ganeti-noded")


def _Req(path, body=b"[]", method="POST"):
  if not isinstance(body, bytes):
    body = serializer.DumpJson(body).encode()
  return http_server.HttpServerRequest(method, path, http.HTTP_1_1,
                                       http.HttpHeaders(), body)


def _Answer(handler, path, body=b"[]"):
  return serializer.LoadJson(handler.HandleRequest(_Req(path, body)))


def test_dispatch_covers_every_call():
  dispatch = noded.BuildDispatch()
  assert set(dispatch) == set(rpc_defs.CALLS)
  for (name, (cdef, fn)) in dispatch.items():
    assert cdef is rpc_defs.CALLS[name]
    assert fn is getattr(backend, cdef.backend_fn)


def test_dispatch_refuses_missing_backend_function():
  with pytest.raises(errors.ProgrammerError, match="GetVersion"):
    noded.BuildDispatch(_backend=types.SimpleNamespace())


def test_version_answer():
  handler = noded.NodeRequestHandler()
  assert _Answer(handler, "/version") == [True, constants.PROTOCOL_VERSION]
  put = handler.HandleRequest(_Req("/version", method="PUT"))
  assert serializer.LoadJson(put) == [True, constants.PROTOCOL_VERSION]


@pytest.mark.parametrize("req,exc,text", [
  (_Req("/version", method="GET"), http.HttpBadRequest, "Method GET"),
  (_Req("/nothing"), http.HttpNotFound, "Unknown RPC call 'nothing'"),
  (_Req("/version", body=b""), http.HttpBadRequest, "empty body"),
  (_Req("/version", body=b"[1"), http.HttpBadRequest, "Unable to parse"),
  (_Req("/version", body={"a": 1}), http.HttpBadRequest, "JSON list"),
  (_Req("/test_delay", body=[1, 2]), http.HttpBadRequest,
   r"takes 1 argument\(s\) \(duration\), got 2"),
  (_Req("/upload_file", body=["x"]), http.HttpBadRequest,
   "Argument 'file_name' of call 'upload_file' must be a list"),
  ])
def test_malformed_requests(req, exc, text):
  with pytest.raises(exc, match=text):
    noded.NodeRequestHandler().HandleRequest(req)


def test_spread_arguments():
  cdef = rpc_defs.CALLS["upload_file"]
  assert noded.DecodeArgs(cdef, [[1, 2, 3, 4, 5, 6, 7]]) == \
    [1, 2, 3, 4, 5, 6, 7]
  assert noded.DecodeArgs(rpc_defs.CALLS["node_info"], [["vg"], None]) == \
    [["vg"], None]


def test_backend_failure_is_an_answer():
  handler = noded.NodeRequestHandler()
  answer = _Answer(handler, "/test_delay", [-1])
  assert answer[0] is False and "must not be negative" in answer[1]


def _FakeBackend(**overrides):
  """A backend module whose functions all answer None, but the overrides."""
  namespace = dict((c.backend_fn, lambda *args: None)
                   for c in rpc_defs.CALLS.values())
  namespace.update(overrides)
  return types.SimpleNamespace(**namespace)


def test_unexpected_exception_is_logged_with_traceback(caplog):
  def _Boom():
    raise KeyError("surprise")
  handler = noded.NodeRequestHandler(_backend=_FakeBackend(GetVersion=_Boom))
  with caplog.at_level(logging.ERROR):
    answer = _Answer(handler, "/version")
  assert answer[0] is False
  assert "GetVersion" not in answer[1]
  assert "version" in answer[1] and "KeyError" in answer[1]
  assert "surprise" in answer[1]
  records = [r for r in caplog.records if "Error in RPC call version" in
             r.getMessage()]
  assert records and records[0].exc_info is not None


def test_unencodable_result_is_a_failure():
  handler = noded.NodeRequestHandler(
    _backend=_FakeBackend(GetVersion=lambda: object()))
  answer = _Answer(handler, "/version")
  assert answer[0] is False and "Cannot encode the result" in answer[1]


def test_quit_request_answers_then_asks_to_stop():
  quits = []

  def _Leave(modify_ssh_setup):
    assert modify_ssh_setup is False
    raise errors.QuitGanetiException(True, "Shutdown scheduled")
  handler = noded.NodeRequestHandler(
    quit_fn=lambda: quits.append(True),
    _backend=_FakeBackend(LeaveCluster=_Leave))
  assert _Answer(handler, "/node_leave_cluster", [False]) == \
    [True, "Shutdown scheduled"]
  assert quits == [True]


@pytest.mark.parametrize("argv,expected", [
  (["-f"], False), (["-b", "1.2.3.4"], True), (["-b1.2.3.4"], True),
  (["--bind=1.2.3.4"], True), (["--bind", "x"], True), (["-d", "-f"], False),
  ])
def test_bind_option_detection(argv, expected):
  assert noded._HasBindOption(argv) is expected  # pylint: disable=W0212


@pytest.fixture
def vnode(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  return root


def test_virtual_node_address_from_ssconf_then_hosts_file(vnode, tmp_path):
  with pytest.raises(errors.GenericError, match="Cannot find the address of"
                     " virtual node %s" % NODE):
    noded.VirtualNodeAddress()
  with open(vcluster.GetHostsFile(), "w") as hosts:
    hosts.write("127.0.55.1 %s\n" % NODE)
  assert noded.VirtualNodeAddress() == "127.0.55.1"
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_NODE_PRIMARY_IPS: "other 127.0.55.9\n%s 127.0.55.2" % NODE})
  assert noded.VirtualNodeAddress() == "127.0.55.2"


def _RunNoded(root, *args):
  env = dict(os.environ, GANETI_ROOTDIR=str(root), GANETI_HOSTNAME=NODE)
  return subprocess.run([sys.executable, NODED] + list(args), env=env,
                        capture_output=True, text=True, timeout=30)


def test_unknown_virtual_node_address_stops_start_up(vnode):
  result = _RunNoded(vnode, "-f")
  assert result.returncode == constants.EXIT_FAILURE
  assert "Cannot find the address of virtual node" in result.stderr


def test_missing_certificate_stops_start_up(vnode):
  result = _RunNoded(vnode, "-f", "-b", "127.0.55.3", "--no-mlock")
  assert result.returncode == constants.EXIT_FAILURE
  assert "Need SSL file" in result.stderr and "server.pem" in result.stderr


def test_port_in_use_is_a_start_up_error(vnode):
  sock = socket.socket()
  sock.bind(("127.0.55.4", 0))
  sock.listen(1)
  try:
    result = _RunNoded(vnode, "-f", "--no-ssl", "--no-mlock", "-b",
                       "127.0.55.4", "-p", str(sock.getsockname()[1]))
  finally:
    sock.close()
  assert result.returncode == constants.EXIT_FAILURE
  assert "Cannot listen on 127.0.55.4" in result.stderr
  log = pathutils.DAEMONS_LOGFILES[constants.NODED]
  assert os.path.basename(log) == "node-daemon.log"
  assert "Cannot listen" in open(log).read()


def test_instance_and_disk_calls_take_dicts(as_node):
  from ganeti import objects
  from ganeti import hypervisor
  as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  hypervisor.ResetHypervisors()
  handler = noded.NodeRequestHandler()
  inst = objects.Instance(
    name="inst1.example.com", primary_node=NODE, os="dummy",
    hypervisor=constants.HT_FAKE, hvparams={},
    beparams=dict(constants.BEC_DEFAULTS), osparams={},
    admin_state=constants.ADMINST_UP, nics=[], disks=[],
    disk_template=constants.DT_DISKLESS)
  assert _Answer(handler, "/instance_start", [inst.ToDict(), False]) == \
    [True, None]
  assert _Answer(handler, "/instance_list", [[constants.HT_FAKE]]) == \
    [True, ["inst1.example.com"]]
  assert _Answer(handler, "/instance_shutdown", [inst.ToDict(), 5]) == \
    [True, None]
  answer = _Answer(handler, "/instance_start", ["inst1", False])
  assert answer[0] is False and "expected a dict" in answer[1]
  answer = _Answer(handler, "/blockdev_find", [{"dev_type": "lvm",
                                                "logical_id": ["vg", "lv"],
                                                "physical_id": None,
                                                "size": 1}])
  assert answer[0] is False and "Physical id" in answer[1]
  hypervisor.ResetHypervisors()
