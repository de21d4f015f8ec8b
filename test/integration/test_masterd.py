"""ganeti-masterd as a real process on a one-node virtual cluster."""

import glob
import os
import signal
import socket
import threading
import time

import pytest

from ganeti import constants
from ganeti import errors
from ganeti import luxi
from ganeti import opcodes
from ganeti import pathutils
from ganeti import serializer
from ganeti import ssconf


def _Delay(duration=0):
  return opcodes.OpTestDelay(duration=duration)


def _WaitFinished(master_daemon, client, job_ids, timeout=15):
  def done():
    rows = client.QueryJobs(job_ids, ["status"])
    statuses = [row[0] for row in rows]
    if all(status in constants.JOBS_FINALIZED for status in statuses):
      return statuses
    return None
  return master_daemon.WaitFor(done, timeout=timeout, interval=0.05, what="jobs to finish")


def _RawExchange(path, data):
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.settimeout(10)
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


def test_start_and_clean_stop(master_daemon):
  client = master_daemon.Client()
  assert client.QueryConfigValues(["master_node", "cluster_name"]) == \
    [master_daemon.node, "cluster.example.com"]
  client.Close()
  with open(master_daemon.pidfile) as fd:
    assert int(fd.read()) == master_daemon.proc.pid
  assert master_daemon.Stop() == 0
  assert not os.path.exists(master_daemon.socket_path)
  assert not os.path.exists(master_daemon.pidfile)
  log = master_daemon.log_text()
  assert "Shutdown requested (signal 15)" in log
  assert "ganeti-masterd daemon shut down" in log


def test_not_master_exits_11(virtual_node):
  ssconf.SimpleStore().WriteFiles({ssconf.SS_MASTER_NODE: "other.example.com"})
  result = virtual_node.RunMasterd("-f")
  assert result.returncode == constants.EXIT_NOTMASTER
  assert result.stderr == ""
  result = virtual_node.RunMasterd("-f", "-d")
  assert result.returncode == constants.EXIT_NOTMASTER
  assert "other.example.com" in result.stderr


def test_second_instance_refused(master_daemon):
  result = master_daemon.RunMasterd("-f")
  assert result.returncode == constants.EXIT_FAILURE
  assert "already running" in result.stderr
  client = master_daemon.Client()
  assert client.QueryConfigValues(["master_node"]) == [master_daemon.node]
  client.Close()


def test_daemonized_start(virtual_node):
  result = virtual_node.RunMasterd()
  assert result.returncode == 0, result.stderr
  pid = virtual_node.WaitFor(lambda: os.path.exists(virtual_node.pidfile) and
                int(open(virtual_node.pidfile).read()), what="pid file")
  try:
    client = virtual_node.Client()
    assert client.QueryConfigValues(["master_node"]) == [virtual_node.node]
    client.Close()
  finally:
    os.kill(pid, signal.SIGTERM)
  virtual_node.WaitFor(lambda: not os.path.exists(virtual_node.pidfile), timeout=15,
          what="daemon exit")


def test_concurrent_clients(master_daemon):
  results = []
  failures = []

  def worker():
    client = master_daemon.Client()
    try:
      ids = [client.SubmitJob([_Delay()]) for _ in range(3)]
      for job_id in ids:
        prev = None
        while True:
          answer = client.WaitForJobChangeOnce(job_id, ["status"], prev,
                                               None, timeout=5)
          if answer == constants.JOB_NOTCHANGED:
            continue
          (prev, _) = answer
          if prev[0] in constants.JOBS_FINALIZED:
            results.append(prev[0])
            break
    except Exception as err:  # pylint: disable=W0703
      failures.append(err)
    finally:
      client.Close()

  threads = [threading.Thread(target=worker) for _ in range(8)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join(30)
  assert failures == []
  assert results == [constants.JOB_STATUS_SUCCESS] * 24


def test_client_vanishing_during_wait(master_daemon):
  client = master_daemon.Client()
  job_id = client.SubmitJob([_Delay(2)])
  info = master_daemon.WaitFor(lambda: (lambda r: r[0] == "running" and r)(
    client.QueryJobs([job_id], ["status"])[0]), what="running job")
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.connect(master_daemon.socket_path)
  sock.sendall(luxi.EncodeMessage(luxi.FormatRequest(
    "WaitForJobChange", [job_id, ["status"], info, None, 1])))
  sock.close()
  # the daemon keeps serving, during and after the abandoned wait
  assert client.QueryJobs([job_id], ["id"]) == [[job_id]]
  time.sleep(1.2)
  assert _WaitFinished(master_daemon, client, [job_id]) == ["success"]
  client.Close()
  assert "Unexpected error" not in master_daemon.log_text()


def test_bad_requests_over_the_socket(master_daemon):
  path = master_daemon.socket_path
  (success, result, version) = _RawExchange(path, b"{broken\x03")
  assert not success and "Invalid LUXI request" in result
  assert version == constants.LUXI_VERSION
  (success, result, _) = _RawExchange(
    path, luxi.EncodeMessage(luxi.FormatRequest("Frobnicate", [])))
  assert (success, result) == (False, "Caught exception: Invalid operation"
                               " 'Frobnicate'")
  (success, result, _) = _RawExchange(
    path, luxi.EncodeMessage(luxi.FormatRequest("QueryJobs", [1])))
  assert not success and "takes 2 argument" in result
  client = master_daemon.Client()
  with pytest.raises(luxi.RequestError, match="Invalid operation"):
    client.CallMethod("Frobnicate", [])
  with pytest.raises(errors.OpPrereqError, match="Resource type 'nope'"):
    client.Query("nope", ["node"], None)
  assert client.QueryNodes([], ["name"], False) == [[master_daemon.node]]
  with pytest.raises(errors.OpPrereqError) as info:
    client.QueryTags("instance", "nosuch")
  assert info.value.args[1] == errors.ECODE_NOENT
  assert client.QueryTags("cluster", "") == ["cluster-tag"]
  client.Close()


def test_oversized_frame_closes_connection(master_daemon):
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  sock.settimeout(10)
  sock.connect(master_daemon.socket_path)
  chunk = b"x" * (1024 * 1024)
  sent = 0
  try:
    while sent <= luxi.MAX_REQUEST_SIZE:
      sock.sendall(chunk)
      sent += len(chunk)
  except OSError:
    pass
  frames = luxi.FrameBuffer()
  msgs = []
  while not msgs:
    data = sock.recv(65536)
    assert data, "connection closed without an answer"
    msgs = frames.Feed(data)
  # closed after the answer (a reset, as the rest of the request is unread)
  try:
    assert sock.recv(65536) == b""
  except ConnectionResetError:
    pass
  sock.close()
  (success, result, _) = luxi.ParseResponse(msgs[0])
  assert not success and "too large" in result
  client = master_daemon.Client()
  assert client.QueryConfigValues(["drain_flag"]) == [False]
  client.Close()


def test_lock_query_shows_running_job(master_daemon):
  client = master_daemon.Client()
  job_id = client.SubmitJob([_Delay(1)])

  def owners():
    result = client.Query("lock", ["name", "mode", "owner", "pending"], None)
    assert [fdef["name"] for fdef in result["fields"]] == \
      ["name", "mode", "owner", "pending"]
    return [row for row in result["data"] if row[2][1]]

  owned = master_daemon.WaitFor(owners, what="a lock held by the job")
  assert any(any(str(job_id) in owner for owner in row[2][1])
             for row in owned), owned
  assert all(row[1][1] in ("shared", "exclusive") for row in owned)
  with pytest.raises(errors.OpPrereqError, match="can't be filtered"):
    client.Query("lock", ["name"], ["=", "name", "x"])
  assert _WaitFinished(master_daemon, client, [job_id]) == ["success"]
  client.Close()


def test_sigterm_lets_running_job_finish(master_daemon):
  client = master_daemon.Client()
  job_id = client.SubmitJob([_Delay(0.5)])
  master_daemon.WaitFor(lambda: client.QueryJobs([job_id], ["status"])[0][0] == "running",
          what="running job")
  client.Close()
  assert master_daemon.Stop() == 0
  with open(os.path.join(pathutils.QUEUE_DIR, "job-%d" % job_id)) as fd:
    job = serializer.LoadJson(fd.read())
  assert [op["status"] for op in job["ops"]] == ["success"]


def test_kill9_with_50_jobs_then_restart(master_daemon):
  client = master_daemon.Client()
  jobs = [[_Delay(0.2 if idx % 5 == 0 else 0)] for idx in range(50)]
  submitted = client.SubmitManyJobs(jobs)
  assert all(ok for (ok, _) in submitted)
  job_ids = [job_id for (_, job_id) in submitted]
  master_daemon.WaitFor(lambda: "running" in [row[0] for row in
                                client.QueryJobs(job_ids, ["status"])],
          what="a running job", interval=0.005)
  client.Close()
  master_daemon.Kill9()
  assert os.path.exists(master_daemon.pidfile)  # left behind by SIGKILL
  master_daemon.Start()
  client = master_daemon.Client()
  statuses = _WaitFinished(master_daemon, client, job_ids)
  client.Close()
  assert len(statuses) == 50
  assert set(statuses) <= set([constants.JOB_STATUS_SUCCESS,
                               constants.JOB_STATUS_ERROR])
  files = glob.glob(os.path.join(pathutils.QUEUE_DIR, "job-*"))
  assert len(files) == 50
  for name in files:
    with open(name) as fd:
      data = serializer.LoadJson(fd.read())
    assert data["ops"]
    assert all(op["status"] in ("success", "error") for op in data["ops"])


def test_exports_listed_through_the_node_daemon(master_daemon):
  # an export is a directory below the node's export directory
  export_dir = pathutils.EXPORT_DIR
  for name in ("web1.example.com", "db1.example.com"):
    os.makedirs(os.path.join(export_dir, name))
  with open(os.path.join(export_dir, "stray-file"), "w") as handle:
    handle.write("not an export")
  client = master_daemon.Client()
  try:
    assert client.QueryExports([], False) == {
      master_daemon.node: ["db1.example.com", "web1.example.com"]}
    result = client.Query("export", ["node", "export"], None)
    assert result["data"] == [
      [[0, master_daemon.node], [0, "db1.example.com"]],
      [[0, master_daemon.node], [0, "web1.example.com"]]]
    filtered = client.Query("export", ["export"],
                            ["=~", "export", "^web"])
    assert filtered["data"] == [[[0, "web1.example.com"]]]
  finally:
    client.Close()
