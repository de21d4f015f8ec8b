"""Tests of ganeti.backend_files: file data on the wire and upload_file."""

import os
import stat

import pytest
from hypothesis import given, settings, strategies as st

from ganeti import backend
from ganeti import backend_files
from ganeti import constants
from ganeti import pathutils
from ganeti import vcluster
from ganeti.tools import ensure_dirs


NODE = "node1.example.com"


@pytest.fixture
def vnode(as_node):
  root = as_node(NODE)
  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  return root


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([None, True, False]))
def test_pack_unpack_round_trip_bytes(data, compress):
  packed = backend_files.PackFileData(data, compress=compress)
  assert packed[0] in constants.RPC_ENCODINGS
  assert isinstance(packed[1], str)
  assert backend_files.UnpackFileData(packed) == data


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_pack_unpack_round_trip_text(text):
  packed = backend_files.PackFileData(text)
  assert backend_files.UnpackFileData(packed) == text.encode("utf-8")


def test_pack_compresses_only_large_data():
  small = backend_files.PackFileData("x" * 10)
  assert small == [constants.RPC_ENCODING_NONE, "x" * 10]
  large = backend_files.PackFileData("x" * 5000)
  assert large[0] == constants.RPC_ENCODING_ZLIB_BASE64
  assert len(large[1]) < 200


def test_pack_binary_data_is_always_compressed():
  packed = backend_files.PackFileData(b"\xff\xfe", compress=False)
  assert packed[0] == constants.RPC_ENCODING_ZLIB_BASE64


def test_pack_rejects_other_types():
  with pytest.raises(Exception, match="bytes or str"):
    backend_files.PackFileData(123)


@pytest.mark.parametrize("data,match", [
  ("plain", "expected \\[encoding, content\\]"),
  ([0], "expected \\[encoding, content\\]"),
  ([0, "a", "b"], "expected \\[encoding, content\\]"),
  ([7, "a"], "Unknown file data encoding 7"),
  ([True, "a"], "Unknown file data encoding True"),
  ([0, 5], "expected a string, got int"),
  ([1, "not base64!!"], "Invalid compressed file data"),
  ([1, "aGVsbG8="], "Invalid compressed file data"),
  ])
def test_unpack_rejects_bad_forms(data, match):
  with pytest.raises(backend.RPCFail, match=match):
    backend_files.UnpackFileData(data)


def test_allowed_files_follow_the_node_root(vnode):
  allowed = backend_files.GetAllowedUploadFiles()
  assert pathutils.CLUSTER_CONF_FILE in allowed
  assert pathutils.NODED_CERT_FILE in allowed
  assert pathutils.RAPI_USERS_FILE in allowed
  for path in allowed:
    if path != pathutils.ETC_HOSTS:
      assert path.startswith(str(vnode) + "/")
  # the virtual cluster's hosts file is shared by the nodes
  assert pathutils.ETC_HOSTS == str(vnode.parent / "hosts")


def test_upload_writes_with_mode_owner_and_times(vnode):
  target = pathutils.RAPI_USERS_FILE
  data = backend.PackFileData("admin secret write\n")
  backend.UploadFile(target, data, 0o640, "root", "root", 1000.0, 2000.0)
  st_ = os.stat(target)
  assert stat.S_IMODE(st_.st_mode) == 0o640
  assert st_.st_uid == 0 and st_.st_gid == 0
  assert st_.st_atime == 1000.0 and st_.st_mtime == 2000.0
  with open(target) as handle:
    assert handle.read() == "admin secret write\n"


def test_upload_accepts_virtual_paths_and_compressed_data(vnode):
  content = "x" * 10000
  virtual = vcluster.MakeVirtualPath(pathutils.CLUSTER_CONF_FILE)
  assert virtual != pathutils.CLUSTER_CONF_FILE
  backend.UploadFile(virtual, backend.PackFileData(content), 0o640, -1, -1,
                     None, None)
  with open(pathutils.CLUSTER_CONF_FILE) as handle:
    assert handle.read() == content


@pytest.mark.parametrize("relpath", [
  "var/lib/ganeti/queue/job-1",
  "var/lib/ganeti/ssconf_master_node",
  "etc/passwd",
  "var/lib/ganeti/../ganeti/queue/serial",
  ])
def test_upload_refuses_other_files(vnode, relpath):
  target = str(vnode / relpath)
  with pytest.raises(backend.RPCFail, match="not an allowed upload target"):
    backend.UploadFile(target, [0, "x"], 0o600, -1, -1, None, None)
  assert not os.path.exists(os.path.normpath(target))


def test_upload_refuses_files_of_other_nodes(vnode):
  other = str(vnode.parent / "node2.example.com" / "var/lib/ganeti/hmac.key")
  with pytest.raises(backend.RPCFail, match="not an allowed upload target"):
    backend.UploadFile(other, [0, "x"], 0o600, -1, -1, None, None)


@pytest.mark.parametrize("args,match", [
  (("rel/path", [0, "x"], 0o600, -1, -1, None, None), "not absolute"),
  ((None, [0, "x"], 0o600, -1, -1, None, None), "not a non-empty string"),
  (("", [0, "x"], 0o600, -1, -1, None, None), "Invalid path"),
  (("CONF", [0, "x"], "0600", -1, -1, None, None), "Invalid file mode"),
  (("CONF", [0, "x"], 0o10000, -1, -1, None, None), "Invalid file mode"),
  (("CONF", [0, "x"], 0o600, "no-such-user-x", -1, None, None),
   "Unknown user 'no-such-user-x'"),
  (("CONF", [0, "x"], 0o600, -1, "no-such-group-x", None, None),
   "Unknown group 'no-such-group-x'"),
  (("CONF", [0, "x"], 0o600, True, -1, None, None), "booleans"),
  (("CONF", [0, "x"], 0o600, -5, -1, None, None), "Invalid user id"),
  (("CONF", [0, "x"], 0o600, [], -1, None, None), "expected a name"),
  (("CONF", [0, "x"], 0o600, -1, -1, 1.0, None), "given together"),
  (("CONF", [0, "x"], 0o600, -1, -1, "now", 1.0), "Invalid atime"),
  (("CONF", [9, "x"], 0o600, -1, -1, None, None), "Unknown file data"),
  ])
def test_upload_rejects_bad_arguments(vnode, args, match):
  args = list(args)
  if args[0] == "CONF":
    args[0] = pathutils.CLUSTER_CONF_FILE
  with pytest.raises(backend.RPCFail, match=match):
    backend.UploadFile(*args)
  assert not os.path.exists(pathutils.CLUSTER_CONF_FILE)


def test_upload_reports_write_errors(vnode):
  os.rmdir(os.path.dirname(pathutils.RAPI_USERS_FILE))
  with pytest.raises(backend.RPCFail, match="Cannot write"):
    backend.UploadFile(pathutils.RAPI_USERS_FILE, [0, "x"], 0o600, -1, -1,
                       None, None)


def test_localize_path_on_a_physical_node():
  assert backend_files.LocalizePath("/var/lib//ganeti/x") == \
    "/var/lib/ganeti/x"
