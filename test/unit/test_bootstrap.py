"""Unit tests of lib/bootstrap.py: crypto files, checks, master voting."""

import os
import stat

import pytest

from ganeti import bootstrap
from ganeti import errors
from ganeti import rpc
from ganeti import utils


def _Answer(node, master=None, fail=None, payload=None):
  if fail:
    return rpc.RpcResult(data=fail, failed=True, node=node,
                         call="master_info")
  if payload is None:
    payload = ["lo", "127.0.0.9", master, 2, 32]
  return rpc.RpcResult(data=[True, payload], node=node, call="master_info")


def _Files(tmp_path):
  names = ["server.pem", "rapi.pem", "spice.pem", "spice-ca.pem", "hmac.key",
           "cds"]
  return dict((name, str(tmp_path / name)) for name in names)


def _Generate(files, *flags, **kwargs):
  bootstrap.GenerateClusterCrypto(
    *flags, nodecert_file=files["server.pem"],
    rapicert_file=files["rapi.pem"], spicecert_file=files["spice.pem"],
    spicecacert_file=files["spice-ca.pem"], hmackey_file=files["hmac.key"],
    cds_file=files["cds"], **kwargs)


def test_generate_cluster_crypto_creates_missing_files(tmp_path):
  files = _Files(tmp_path)
  _Generate(files, False, False, False, False, False)
  server = utils.ReadFile(files["server.pem"])
  assert server.index("PRIVATE KEY") < server.index("BEGIN CERTIFICATE")
  utils.LoadX509Certificate(server)
  spice_ca = utils.ReadFile(files["spice-ca.pem"])
  assert spice_ca.startswith("-----BEGIN CERTIFICATE-----")
  assert "PRIVATE KEY" not in spice_ca
  for name in ("hmac.key", "cds"):
    text = utils.ReadFile(files[name])
    assert len(text) == 41 and text.endswith("\n")
    int(text, 16)
  assert stat.S_IMODE(os.stat(files["hmac.key"]).st_mode) == 0o400


def test_generate_cluster_crypto_replaces_only_what_is_asked(tmp_path):
  files = _Files(tmp_path)
  _Generate(files, False, False, False, False, False)
  before = dict((name, utils.ReadFile(path)) for (name, path) in files.items())
  _Generate(files, True, False, False, True, False, cds="secret\n")
  after = dict((name, utils.ReadFile(path)) for (name, path) in files.items())
  assert after["server.pem"] != before["server.pem"]
  assert after["hmac.key"] != before["hmac.key"]
  assert after["cds"] == "secret\n"
  for name in ("rapi.pem", "spice.pem", "spice-ca.pem"):
    assert after[name] == before[name], name
  # replaced files were backed up first
  assert any(entry.startswith("server.pem.backup")
             for entry in os.listdir(tmp_path))


def test_generate_cluster_crypto_needs_spice_pair(tmp_path):
  with pytest.raises(errors.ProgrammerError, match="together"):
    _Generate(_Files(tmp_path), False, False, False, False, False,
              spice_cert_pem="x")


def test_known_hosts_line(tmp_path):
  path = str(tmp_path / "known_hosts")
  bootstrap.WriteKnownHostsFile("cluster.example.com", "AAAAkey", path)
  assert utils.ReadFile(path) == "cluster.example.com ssh-rsa AAAAkey\n"


def test_drbd_helper_check(tmp_path):
  helper = tmp_path / "usermode_helper"
  with pytest.raises(errors.OpPrereqError, match="--no-drbd-storage"):
    bootstrap._CheckDrbdHelper("/bin/true", _helper_file=str(helper))
  helper.write_text("/sbin/drbdadm\n")
  with pytest.raises(errors.OpPrereqError, match="/sbin/drbdadm is the"):
    bootstrap._CheckDrbdHelper("/bin/true", _helper_file=str(helper))
  bootstrap._CheckDrbdHelper("/sbin/drbdadm", _helper_file=str(helper))


def test_param_checks():
  with pytest.raises(errors.OpPrereqError, match="unknown hypervisor"):
    bootstrap._CheckHvParams({"nosuchhv": {}})
  with pytest.raises(errors.OpPrereqError, match="Unknown parameters for"
                     " hypervisor fake: bogus"):
    bootstrap._CheckHvParams({"fake": {"bogus": 1}})
  with pytest.raises(errors.OpPrereqError, match="Disk templates unknown"):
    bootstrap._CheckDiskParams({"nosuchtemplate": {}})
  with pytest.raises(errors.OpPrereqError, match="disk template plain"):
    bootstrap._CheckDiskParams({"plain": {"bogus": 1}})
  bootstrap._CheckDiskParams({"plain": {}})


def test_file_storage_dir_must_be_absolute():
  with pytest.raises(errors.OpPrereqError, match="not an absolute path"):
    bootstrap._InitFileStorage("relative/dir")
  assert bootstrap._InitFileStorage("") == ""


def test_count_votes_orders_by_votes_then_real_names():
  results = {
    "n2": _Answer("n2", "n1"),
    "n3": _Answer("n3", "n1"),
    "n4": _Answer("n4", fail="connection refused"),
    "n5": _Answer("n5", payload=["lo"]),
    "n6": _Answer("n6", "n6"),
    }
  assert bootstrap.CountMasterVotes(results) == [("n1", 2), (None, 2),
                                                 ("n6", 1)]


@pytest.mark.parametrize("votes, accepted, reason", [
  ([], True, "no other node"),
  ([("me", 1)], True, "1 of 1"),
  ([("me", 1), (None, 1)], True, "1 of 2"),
  ([("me", 2), (None, 1), ("other", 1)], True, "2 of 4"),
  ([("me", 1), (None, 1), ("other", 1)], False, "1 votes for, 2 votes"),
  ([("other", 2), ("me", 1)], False, "top-voted node is other"),
  ([(None, 2), ("me", 1)], False, "did not answer"),
  ])
def test_decide_master_votes(votes, accepted, reason):
  (result, why) = bootstrap.DecideMasterVotes(votes, "me")
  assert result is accepted
  assert reason in why


def test_check_agreement_retries_while_nodes_are_silent():
  answers = [[(None, 2)], [(None, 2)], [("me", 2)]]
  sleeps = []
  assert bootstrap.CheckAgreement(["me", "a", "b"], myself="me",
                                  _gather_fn=lambda nodes: answers.pop(0),
                                  _sleep_fn=sleeps.append)
  assert sleeps == [bootstrap.VOTING_RETRY_DELAY] * 2


def test_check_agreement_gives_up():
  sleeps = []
  assert not bootstrap.CheckAgreement(["me", "a"], myself="me", retries=3,
                                      delay=1.5,
                                      _gather_fn=lambda nodes: [(None, 1)],
                                      _sleep_fn=sleeps.append)
  assert sleeps == [1.5, 1.5]


def test_check_agreement_single_node_and_refusal():
  assert bootstrap.CheckAgreement(["me"], myself="me",
                                  _gather_fn=lambda nodes: [])
  assert not bootstrap.CheckAgreement(
    ["me", "a", "b"], myself="me",
    _gather_fn=lambda nodes: [("a", 2)])


def test_replication_result_logs_majority_failure(caplog):
  results = {
    "a": rpc.RpcResult(data=[True, None], node="a", call="upload_file"),
    "b": rpc.RpcResult(data="refused", failed=True, node="b"),
    "c": rpc.RpcResult(data="refused", failed=True, node="c"),
    "d": rpc.RpcResult(data="refused", failed=True, node="d"),
    }
  with caplog.at_level("ERROR"):
    failed = bootstrap.CheckReplicationResult(results, ["a", "b", "c", "d"],
                                              "Uploading x")
  assert failed == ["b", "c", "d"]
  assert "Uploading x failed on node b: refused" in caplog.text
  assert "more than half of the nodes failed" in caplog.text
  caplog.clear()
  with caplog.at_level("ERROR"):
    bootstrap.CheckReplicationResult(results, ["a", "b"], "Uploading y")
  assert "more than half" not in caplog.text
