"""Tests for ganeti.ssconf: keys, reading, writing, locking, master checks."""

import fcntl
import os
import socket
import stat
import time

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import netutils
from ganeti import pathutils
from ganeti import ssconf


ALL_KEYS = [
  "cluster_name", "cluster_tags", "file_storage_dir",
  "shared_file_storage_dir", "master_candidates", "master_candidates_ips",
  "master_ip", "master_netdev", "master_netmask", "master_node", "node_list",
  "node_primary_ips", "node_secondary_ips", "offline_nodes", "online_nodes",
  "primary_ip_family", "instance_list", "release_version", "hypervisor_list",
  "maintain_node_health", "uid_pool", "nodegroups",
  ]

FULL_VALUES = {
  ssconf.SS_CLUSTER_NAME: "cluster.example.com",
  ssconf.SS_CLUSTER_TAGS: ["prod", "web"],
  ssconf.SS_FILE_STORAGE_DIR: "/srv/ganeti/file-storage",
  ssconf.SS_SHARED_FILE_STORAGE_DIR: "/srv/ganeti/shared-file-storage",
  ssconf.SS_MASTER_CANDIDATES: ["node1.example.com", "node2.example.com"],
  ssconf.SS_MASTER_CANDIDATES_IPS: ["192.0.2.1", "192.0.2.2"],
  ssconf.SS_MASTER_IP: "192.0.2.100",
  ssconf.SS_MASTER_NETDEV: "eth0",
  ssconf.SS_MASTER_NETMASK: 24,
  ssconf.SS_MASTER_NODE: "node1.example.com",
  ssconf.SS_NODE_LIST: ["node1.example.com", "node2.example.com",
                        "node10.example.com"],
  ssconf.SS_NODE_PRIMARY_IPS: ["node1.example.com 192.0.2.1",
                               "node2.example.com 192.0.2.2"],
  ssconf.SS_NODE_SECONDARY_IPS: ["node1.example.com 198.51.100.1",
                                 "node2.example.com 198.51.100.2"],
  ssconf.SS_OFFLINE_NODES: ["node10.example.com"],
  ssconf.SS_ONLINE_NODES: ["node1.example.com", "node2.example.com"],
  ssconf.SS_PRIMARY_IP_FAMILY: socket.AF_INET6,
  ssconf.SS_INSTANCE_LIST: ["inst1.example.com", "inst2.example.com"],
  ssconf.SS_RELEASE_VERSION: "2.6.2",
  ssconf.SS_HYPERVISOR_LIST: ["kvm", "fake"],
  ssconf.SS_MAINTAIN_NODE_HEALTH: True,
  ssconf.SS_UID_POOL: ["1000-2000", "3000"],
  ssconf.SS_NODEGROUPS: ["6d3a4b0e-aaaa-bbbb-cccc-000000000001 default"],
  }


@pytest.fixture
def store(tmp_path):
  datadir = tmp_path / "data"
  datadir.mkdir()
  return ssconf.SimpleStore(cfg_location=str(datadir),
                            _lockfile=str(tmp_path / "ssconf.lock"))


def _Path(store, key):
  return store.KeyToFilename(key)


def _WriteRaw(store, key, data):
  with open(_Path(store, key), "wb") as handle:
    handle.write(data)


class TestKeys:
  def test_exactly_the_22_ganeti_keys(self):
    assert len(ssconf.VALID_KEYS) == 22
    assert ssconf.VALID_KEYS == frozenset(ALL_KEYS)

  def test_every_ss_constant_is_a_valid_key(self):
    names = [n for n in dir(ssconf) if n.startswith("SS_") and
             n not in ("SS_FILE_PREFIX", "SS_FILE_PERMS")]
    assert len(names) == 22
    assert {getattr(ssconf, n) for n in names} == ssconf.VALID_KEYS

  def test_verify_keys_accepts_valid(self):
    ssconf.VerifyKeys(ALL_KEYS)
    ssconf.VerifyKeys([])

  def test_verify_keys_names_all_invalid(self):
    with pytest.raises(errors.GenericError) as exc:
      ssconf.VerifyKeys(["cluster_name", "no_such", "other_bad"])
    assert "no_such" in str(exc.value) and "other_bad" in str(exc.value)
    assert "cluster_name" not in str(exc.value)

  def test_verify_keys_rejects_non_strings(self):
    with pytest.raises(errors.GenericError, match="42"):
      ssconf.VerifyKeys([42])

  def test_key_to_filename(self, store, tmp_path):
    assert store.KeyToFilename("master_node") == \
      str(tmp_path / "data" / "ssconf_master_node")

  @pytest.mark.parametrize("key", ["bogus", "", None, 5, "ssconf_master_node"])
  def test_key_to_filename_refuses_unknown_keys(self, store, key):
    with pytest.raises(errors.ProgrammerError, match="Invalid key"):
      store.KeyToFilename(key)

  def test_file_list_covers_every_key(self, store, tmp_path):
    files = store.GetFileList()
    assert len(files) == 22
    assert sorted(os.path.basename(f) for f in files) == \
      sorted("ssconf_" + k for k in ALL_KEYS)
    assert all(os.path.dirname(f) == str(tmp_path / "data") for f in files)


class TestDefaultLocations:
  def test_data_dir_is_read_when_the_store_is_created(self, tmp_path,
                                                      monkeypatch):
    monkeypatch.setattr(pathutils, "DATA_DIR", str(tmp_path))
    monkeypatch.setattr(pathutils, "SSCONF_LOCK_FILE",
                        str(tmp_path / "lockfile"))
    ss = ssconf.SimpleStore()
    assert ss.KeyToFilename("cluster_name") == \
      str(tmp_path / "ssconf_cluster_name")
    ss.WriteFiles({"cluster_name": "c1"})
    assert (tmp_path / "lockfile").exists()
    assert (tmp_path / "ssconf_cluster_name").read_text() == "c1\n"

  def test_write_ssconf_files_writes_into_data_dir(self, tmp_path,
                                                    monkeypatch):
    monkeypatch.setattr(pathutils, "DATA_DIR", str(tmp_path))
    monkeypatch.setattr(pathutils, "SSCONF_LOCK_FILE",
                        str(tmp_path / "lockfile"))
    ssconf.WriteSsconfFiles({"master_node": "n1", "node_list": ["n1", "n2"]})
    assert (tmp_path / "ssconf_master_node").read_text() == "n1\n"
    assert (tmp_path / "ssconf_node_list").read_text() == "n1\nn2\n"

  def test_write_ssconf_files_dry_run(self, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "DATA_DIR", str(tmp_path))
    monkeypatch.setattr(pathutils, "SSCONF_LOCK_FILE",
                        str(tmp_path / "lockfile"))
    ssconf.WriteSsconfFiles({"master_node": "n1"}, dry_run=True)
    assert os.listdir(tmp_path) == []
    with pytest.raises(errors.GenericError, match="bogus"):
      ssconf.WriteSsconfFiles({"bogus": "x"}, dry_run=True)


class TestRender:
  @pytest.mark.parametrize("value, expected", [
    ("text", "text"),
    ("", ""),
    (True, "True"),
    (False, "False"),
    (24, "24"),
    (0, "0"),
    (["a", "b"], "a\nb"),
    (("x", ), "x"),
    ([], ""),
    ])
  def test_render(self, value, expected):
    assert ssconf.RenderSsconfValue(value) == expected

  def test_render_nice_sort(self):
    assert ssconf.RenderSsconfValue(["node10", "node9", "node1"],
                                    nice_sort=True) == "node1\nnode9\nnode10"

  def test_render_keeps_order_without_nice_sort(self):
    assert ssconf.RenderSsconfValue(["kvm", "fake"]) == "kvm\nfake"

  @pytest.mark.parametrize("value", [None, 1.5, {"a": 1}, {"a"}, object()])
  def test_render_refuses_other_types(self, value):
    with pytest.raises(errors.ProgrammerError, match="Cannot render"):
      ssconf.RenderSsconfValue(value)

  def test_render_refuses_empty_items(self):
    with pytest.raises(errors.ProgrammerError, match="empty item"):
      ssconf.RenderSsconfValue(["a", ""])

  def test_render_refuses_non_string_items(self):
    with pytest.raises(errors.ProgrammerError, match="not a string"):
      ssconf.RenderSsconfValue(["a", 3])

  @pytest.mark.parametrize("item", ["a\nb", "a\r"])
  def test_render_refuses_line_breaks_in_items(self, item):
    with pytest.raises(errors.ProgrammerError, match="line break"):
      ssconf.RenderSsconfValue(["ok", item])

  def test_render_values(self):
    assert ssconf.RenderSsconfValues({"a": ["x", "y"], "b": False}) == \
      {"a": "x\ny", "b": "False"}


class TestWriteFiles:
  def test_files_are_0444_with_trailing_newline(self, store):
    store.WriteFiles({"cluster_name": "c1", "master_node": "n1\n"})
    for key, content in [("cluster_name", "c1\n"), ("master_node", "n1\n")]:
      path = _Path(store, key)
      assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
      with open(path) as handle:
        assert handle.read() == content

  def test_empty_value_gives_empty_file(self, store):
    store.WriteFiles({"cluster_tags": "", "offline_nodes": []})
    assert os.path.getsize(_Path(store, "cluster_tags")) == 0
    assert os.path.getsize(_Path(store, "offline_nodes")) == 0
    assert store.GetClusterTags() == []
    assert store.GetOfflineNodeList() == []

  def test_overwrites_read_only_files(self, store):
    store.WriteFiles({"master_node": "n1"})
    store.WriteFiles({"master_node": "n2"})
    assert store.GetMasterNode() == "n2"
    assert stat.S_IMODE(os.stat(_Path(store, "master_node")).st_mode) == 0o444

  def test_other_files_are_left_alone(self, store, tmp_path):
    store.WriteFiles({"master_node": "n1", "cluster_name": "c"})
    foreign = tmp_path / "data" / "unrelated"
    foreign.write_text("keep")
    store.WriteFiles({"master_node": "n2"})
    assert store.GetClusterName() == "c"
    assert foreign.read_text() == "keep"
    assert sorted(os.listdir(tmp_path / "data")) == \
      ["ssconf_cluster_name", "ssconf_master_node", "unrelated"]

  def test_unknown_key_writes_nothing(self, store, tmp_path):
    with pytest.raises(errors.GenericError, match="no_such_key"):
      store.WriteFiles({"cluster_name": "c", "no_such_key": "x"})
    assert os.listdir(tmp_path / "data") == []

  def test_oversized_value_writes_nothing(self, store, tmp_path):
    big = "x" * ssconf.MAX_SIZE
    with pytest.raises(errors.ConfigurationError) as exc:
      store.WriteFiles({"cluster_name": "c", "instance_list": big})
    assert "instance_list" in str(exc.value)
    assert str(ssconf.MAX_SIZE) in str(exc.value)
    assert os.listdir(tmp_path / "data") == []

  def test_size_limit_counts_bytes_and_newline(self, store):
    # One byte below the limit plus the added newline fits exactly
    store.WriteFiles({"instance_list": "x" * (ssconf.MAX_SIZE - 1)})
    assert os.path.getsize(_Path(store, "instance_list")) == ssconf.MAX_SIZE
    assert len(store.ReadFile("instance_list")) == ssconf.MAX_SIZE - 1
    # A two-byte character pushes the same length over the limit
    with pytest.raises(errors.ConfigurationError, match="instance_list"):
      store.WriteFiles({"instance_list": "\u00e9" +
                        "x" * (ssconf.MAX_SIZE - 2)})

  def test_bad_value_type_writes_nothing(self, store, tmp_path):
    with pytest.raises(errors.ProgrammerError, match="Cannot render"):
      store.WriteFiles({"cluster_name": "c", "master_ip": None})
    assert os.listdir(tmp_path / "data") == []

  def test_dry_run_validates_but_does_not_write(self, store, tmp_path):
    store.WriteFiles({"cluster_name": "c"}, dry_run=True)
    assert os.listdir(tmp_path / "data") == []
    assert not (tmp_path / "ssconf.lock").exists()
    with pytest.raises(errors.ConfigurationError):
      store.WriteFiles({"cluster_name": "x" * (ssconf.MAX_SIZE + 1)},
                       dry_run=True)

  def test_no_temporary_files_left(self, store, tmp_path):
    store.WriteFiles(dict((k, "v") for k in ALL_KEYS))
    assert sorted(os.listdir(tmp_path / "data")) == \
      sorted("ssconf_" + k for k in ALL_KEYS)

  @settings(max_examples=40, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture])
  @given(names=st.lists(st.text(alphabet=st.characters(
    blacklist_categories=("Cs", ), blacklist_characters="\r\n"), min_size=1,
    max_size=20), max_size=15))
  def test_lists_round_trip(self, store, names):
    store.WriteFiles({"node_list": names})
    assert store.GetNodeList() == names


class TestLocking:
  def test_lock_timeout_default_is_10_seconds(self):
    assert ssconf.SSCONF_LOCK_TIMEOUT == 10

  def test_write_times_out_when_lock_is_held(self, store, tmp_path,
                                             monkeypatch):
    monkeypatch.setattr(ssconf, "SSCONF_LOCK_TIMEOUT", 0.3)
    lockpath = str(tmp_path / "ssconf.lock")
    fd = os.open(lockpath, os.O_RDWR | os.O_CREAT, 0o600)
    try:
      # flock conflicts between separate open files even in one process
      fcntl.flock(fd, fcntl.LOCK_EX)
      start = time.monotonic()
      with pytest.raises(errors.LockError):
        store.WriteFiles({"cluster_name": "c"})
      assert time.monotonic() - start >= 0.25
      assert not os.path.exists(_Path(store, "cluster_name"))
    finally:
      os.close(fd)
    store.WriteFiles({"cluster_name": "c"})
    assert store.GetClusterName() == "c"

  def test_lock_is_released_after_write(self, store, tmp_path):
    store.WriteFiles({"cluster_name": "c"})
    fd = os.open(str(tmp_path / "ssconf.lock"), os.O_RDWR)
    try:
      # would raise BlockingIOError if the writer still held the lock
      assert fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB) is None
    finally:
      os.close(fd)

  def test_lock_is_released_after_failed_write(self, store, tmp_path):
    # A directory in the way makes the final rename fail, even for root
    os.mkdir(_Path(store, "master_node"))
    with pytest.raises(EnvironmentError) as exc:
      store.WriteFiles({"cluster_name": "c", "master_node": "n1"})
    assert "ssconf_master_node" in str(exc.value)
    fd = os.open(str(tmp_path / "ssconf.lock"), os.O_RDWR)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
      os.close(fd)


class TestReadFile:
  def test_missing_file_names_the_file(self, store):
    with pytest.raises(errors.ConfigurationError) as exc:
      store.ReadFile("master_node")
    assert _Path(store, "master_node") in str(exc.value)

  def test_missing_file_with_default(self, store):
    assert store.ReadFile("master_node", default="fallback") == "fallback"

  def test_default_does_not_hide_other_errors(self, store):
    os.mkdir(_Path(store, "master_node"))
    with pytest.raises(errors.ConfigurationError) as exc:
      store.ReadFile("master_node", default="fallback")
    assert _Path(store, "master_node") in str(exc.value)

  def test_unknown_key(self, store):
    with pytest.raises(errors.ProgrammerError):
      store.ReadFile("bogus")

  def test_trailing_newlines_are_stripped(self, store):
    _WriteRaw(store, "cluster_name", b"c1\n\n\n")
    assert store.ReadFile("cluster_name") == "c1"

  def test_oversized_file_is_refused(self, store):
    _WriteRaw(store, "node_list", b"n\n" * (ssconf.MAX_SIZE // 2 + 1))
    with pytest.raises(errors.ConfigurationError) as exc:
      store.GetNodeList()
    assert _Path(store, "node_list") in str(exc.value)
    assert "maximum" in str(exc.value)

  def test_file_at_the_limit_is_read(self, store):
    _WriteRaw(store, "node_list", b"n" * (ssconf.MAX_SIZE - 1) + b"\n")
    assert store.GetNodeList() == ["n" * (ssconf.MAX_SIZE - 1)]

  def test_invalid_utf8_is_refused(self, store):
    _WriteRaw(store, "cluster_name", b"\xff\xfe\n")
    with pytest.raises(errors.ConfigurationError, match="UTF-8"):
      store.GetClusterName()


class TestGetters:
  @pytest.fixture
  def full(self, store):
    store.WriteFiles(FULL_VALUES)
    return store

  def test_string_getters(self, full):
    assert full.GetClusterName() == "cluster.example.com"
    assert full.GetFileStorageDir() == "/srv/ganeti/file-storage"
    assert full.GetSharedFileStorageDir() == "/srv/ganeti/shared-file-storage"
    assert full.GetMasterIP() == "192.0.2.100"
    assert full.GetMasterNetdev() == "eth0"
    assert full.GetMasterNode() == "node1.example.com"
    assert full.GetReleaseVersion() == "2.6.2"

  def test_list_getters(self, full):
    assert full.GetClusterTags() == ["prod", "web"]
    assert full.GetMasterCandidates() == ["node1.example.com",
                                          "node2.example.com"]
    assert full.GetMasterCandidatesIPList() == ["192.0.2.1", "192.0.2.2"]
    assert full.GetNodeList() == ["node1.example.com", "node2.example.com",
                                  "node10.example.com"]
    assert full.GetNodePrimaryIPList() == FULL_VALUES["node_primary_ips"]
    assert full.GetNodeSecondaryIPList() == FULL_VALUES["node_secondary_ips"]
    assert full.GetOfflineNodeList() == ["node10.example.com"]
    assert full.GetOnlineNodeList() == ["node1.example.com",
                                        "node2.example.com"]
    assert full.GetInstanceList() == ["inst1.example.com", "inst2.example.com"]
    assert full.GetHypervisorList() == ["kvm", "fake"]
    assert full.GetNodegroupList() == FULL_VALUES["nodegroups"]

  def test_typed_getters(self, full):
    assert full.GetMasterNetmask() == 24
    assert full.GetPrimaryIPFamily() == socket.AF_INET6
    assert full.GetMaintainNodeHealth() is True
    assert full.GetUidPool() == [(1000, 2000), (3000, 3000)]

  def test_files_on_disk_match_the_wire_format(self, full):
    with open(_Path(full, "maintain_node_health")) as handle:
      assert handle.read() == "True\n"
    with open(_Path(full, "master_netmask")) as handle:
      assert handle.read() == "24\n"
    with open(_Path(full, "primary_ip_family")) as handle:
      assert handle.read() == "10\n"
    with open(_Path(full, "uid_pool")) as handle:
      assert handle.read() == "1000-2000\n3000\n"

  def test_maintain_node_health_false(self, store):
    store.WriteFiles({"maintain_node_health": False})
    assert store.GetMaintainNodeHealth() is False

  def test_maintain_node_health_garbage(self, store):
    store.WriteFiles({"maintain_node_health": "yes"})
    with pytest.raises(errors.ConfigurationError) as exc:
      store.GetMaintainNodeHealth()
    assert "'yes'" in str(exc.value)
    assert _Path(store, "maintain_node_health") in str(exc.value)

  def test_netmask_garbage(self, store):
    store.WriteFiles({"master_netmask": "255.255.255.0"})
    with pytest.raises(errors.ConfigurationError) as exc:
      store.GetMasterNetmask()
    assert "255.255.255.0" in str(exc.value)
    assert _Path(store, "master_netmask") in str(exc.value)

  def test_ip_family_defaults_to_ipv4(self, store):
    assert store.GetPrimaryIPFamily() == socket.AF_INET == 2

  def test_ip_family_garbage(self, store):
    store.WriteFiles({"primary_ip_family": "inet"})
    with pytest.raises(errors.ConfigurationError, match="inet"):
      store.GetPrimaryIPFamily()

  def test_uid_pool_garbage(self, store):
    store.WriteFiles({"uid_pool": ["10-5"]})
    with pytest.raises(errors.ConfigurationError) as exc:
      store.GetUidPool()
    assert "10-5" in str(exc.value)
    assert _Path(store, "uid_pool") in str(exc.value)

  def test_empty_uid_pool(self, store):
    store.WriteFiles({"uid_pool": []})
    assert store.GetUidPool() == []

  @pytest.mark.parametrize("getter", [
    "GetClusterName", "GetClusterTags", "GetFileStorageDir",
    "GetSharedFileStorageDir", "GetMasterCandidates",
    "GetMasterCandidatesIPList", "GetMasterIP", "GetMasterNetdev",
    "GetMasterNetmask", "GetMasterNode", "GetNodeList",
    "GetNodePrimaryIPList", "GetNodeSecondaryIPList", "GetNodegroupList",
    "GetOfflineNodeList", "GetOnlineNodeList", "GetInstanceList",
    "GetReleaseVersion", "GetHypervisorList", "GetMaintainNodeHealth",
    "GetUidPool",
    ])
  def test_getters_fail_clearly_on_missing_files(self, store, getter):
    with pytest.raises(errors.ConfigurationError, match="ssconf_"):
      getattr(store, getter)()


class TestMaster:
  def test_master_and_myself(self, store):
    store.WriteFiles({"master_node": "master.example.com"})
    assert ssconf.GetMasterAndMyself(store) == \
      ("master.example.com", netutils.Hostname.GetSysName())

  def test_master_and_myself_default_store(self, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "DATA_DIR", str(tmp_path))
    (tmp_path / "ssconf_master_node").write_text("m1\n")
    assert ssconf.GetMasterAndMyself()[0] == "m1"

  def test_check_master_on_master_returns(self, store):
    store.WriteFiles({"master_node": netutils.Hostname.GetSysName()})
    assert ssconf.CheckMaster(False, ss=store) is None

  @pytest.mark.parametrize("debug", [False, True])
  def test_check_master_elsewhere_exits_notmaster(self, store, capsys, debug):
    store.WriteFiles({"master_node": "other-node.invalid"})
    with pytest.raises(SystemExit) as exc:
      ssconf.CheckMaster(debug, ss=store)
    assert exc.value.code == constants.EXIT_NOTMASTER == 11
    err = capsys.readouterr().err
    if debug:
      assert "other-node.invalid" in err
    else:
      assert err == ""

  def test_check_master_without_ssconf(self, store, capsys):
    with pytest.raises(SystemExit) as exc:
      ssconf.CheckMaster(False, ss=store)
    assert exc.value.code == constants.EXIT_NODESETUP_ERROR == 12
    assert "ssconf_master_node" in capsys.readouterr().err

  def test_check_master_unresolvable_self(self, store, capsys, monkeypatch):
    store.WriteFiles({"master_node": "m"})

    def _Fail():
      raise errors.ResolverError("nohost.invalid", 1, "unknown host")
    monkeypatch.setattr(netutils.Hostname, "GetSysName", staticmethod(_Fail))
    with pytest.raises(SystemExit) as exc:
      ssconf.CheckMaster(True, ss=store)
    assert exc.value.code == constants.EXIT_NODESETUP_ERROR
    assert "nohost.invalid" in capsys.readouterr().err


class TestVerifyClusterName:
  def test_same_name(self, store, tmp_path):
    store.WriteFiles({"cluster_name": "c1.example.com"})
    assert ssconf.VerifyClusterName(
      "c1.example.com", _cfg_location=str(tmp_path / "data")) is None

  def test_other_name(self, store, tmp_path):
    store.WriteFiles({"cluster_name": "c1.example.com"})
    with pytest.raises(errors.GenericError) as exc:
      ssconf.VerifyClusterName("c2.example.com",
                               _cfg_location=str(tmp_path / "data"))
    assert "c1.example.com" in str(exc.value)
    assert "c2.example.com" in str(exc.value)

  def test_node_without_cluster_accepts_any_name(self, tmp_path):
    assert ssconf.VerifyClusterName("anything",
                                    _cfg_location=str(tmp_path)) is None

  def test_uses_data_dir_by_default(self, tmp_path, monkeypatch):
    monkeypatch.setattr(pathutils, "DATA_DIR", str(tmp_path))
    (tmp_path / "ssconf_cluster_name").write_text("mine\n")
    ssconf.VerifyClusterName("mine")
    with pytest.raises(errors.GenericError, match="mine"):
      ssconf.VerifyClusterName("theirs")
