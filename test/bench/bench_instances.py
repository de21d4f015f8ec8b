#!/usr/bin/env python3
"""Instance creation and listing at scale on the fake hypervisor.

A two-node virtual cluster (real masterd and noded processes, real RPC over
HTTPS, config.data pushed to the master candidates on every change) gets
1000 diskless instances, one ``OP_INSTANCE_CREATE`` job at a time through
LUXI with ``--no-install --no-start`` semantics, spread over both nodes.
Printed: the median and 90th percentile of the submit-to-success latency
of the adds, and with 1000 instances the latency of ``gnt-instance list``
run as a user runs it (a new process through the node's ``cmd`` wrapper)
and of the LUXI query it makes.

Targets (issue 6, on a 2-core machine): add median under 50 ms, list under
300 ms.  Exits 1 when a target is missed.
"""

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFTEST = os.path.join(os.path.dirname(HERE), "integration", "conftest.py")

INSTANCES = 1000
LIST_RUNS = 7
TARGET_ADD_MEDIAN_MS = 50.0
TARGET_LIST_MS = 300.0
BASE_ADDRESS = "127.0.90.1"


def _LoadConftest():
  spec = importlib.util.spec_from_file_location("integration_conftest",
                                                CONFTEST)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def _WriteOs(top):
  """A minimal API-20 OS definition whose scripts do nothing."""
  from ganeti import constants
  os_dir = os.path.join(top, "bench")
  os.makedirs(os_dir, exist_ok=True)
  with open(os.path.join(os_dir, constants.OS_API_FILE), "w") as handle:
    handle.write("20\n")
  for script in constants.OS_SCRIPTS:
    path = os.path.join(os_dir, script)
    with open(path, "w") as handle:
      handle.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o755)
  with open(os.path.join(os_dir, constants.OS_PARAMETERS_FILE), "w"):
    pass


def _WaitJob(client, job_id):
  from ganeti import constants
  prev_info = None
  while True:
    result = client.WaitForJobChangeOnce(job_id, ["status"], prev_info,
                                         None, timeout=30)
    if result == constants.JOB_NOTCHANGED:
      continue
    (prev_info, _) = result
    if prev_info[0] in constants.JOBS_FINALIZED:
      return prev_info[0]


def _AddInstances(cluster):
  from ganeti import constants
  from ganeti import opcodes
  latencies = []
  client = cluster.Client()
  try:
    for number in range(INSTANCES):
      op = opcodes.OpInstanceCreate(
        instance_name="inst%04d.vcluster.test" % number,
        mode=constants.INSTANCE_CREATE,
        disk_template=constants.DT_DISKLESS, disks=[], nics=[],
        os_type="bench", pnode=cluster.nodes[number % len(cluster.nodes)],
        hypervisor=constants.HT_FAKE, beparams={"memory": 128},
        name_check=False, ip_check=False, no_install=True,
        start=False, wait_for_sync=False)
      start = time.perf_counter()
      job_id = client.SubmitJob([op])
      status = _WaitJob(client, job_id)
      latencies.append(time.perf_counter() - start)
      if status != constants.JOB_STATUS_SUCCESS:
        info = client.QueryJobs([job_id], ["opresult"])
        raise RuntimeError("creating instance %d failed: %s" %
                           (number, info))
      if (number + 1) % 200 == 0:
        print("  %4d instances, median add so far %.1f ms" %
              (number + 1, statistics.median(latencies) * 1000), flush=True)
        client.AutoArchiveJobs(-1)
  finally:
    client.Close()
  return latencies


def _TimeList(cluster):
  from ganeti import constants
  cli_times = []
  for _ in range(LIST_RUNS):
    start = time.perf_counter()
    result = cluster.Run(cluster.master, ["gnt-instance", "list"])
    cli_times.append(time.perf_counter() - start)
    if result.returncode != 0:
      raise RuntimeError("gnt-instance list failed: %s" % result.stderr)
    rows = len(result.stdout.splitlines()) - 1
    if rows != INSTANCES:
      raise RuntimeError("gnt-instance list showed %d instances, not %d" %
                         (rows, INSTANCES))
  luxi_times = []
  client = cluster.Client()
  try:
    for _ in range(LIST_RUNS):
      start = time.perf_counter()
      client.Query(constants.QR_INSTANCE,
                   ["name", "hypervisor", "os", "pnode", "status",
                    "oper_ram"], None)
      luxi_times.append(time.perf_counter() - start)
  finally:
    client.Close()
  return (statistics.median(cli_times) * 1000,
          statistics.median(luxi_times) * 1000)


def main():
  helpers = _LoadConftest()
  base_dir = tempfile.mkdtemp(prefix="gbi")
  cluster = helpers.VirtualCluster(base_dir, 2, BASE_ADDRESS)
  try:
    cluster.Init()
    for node in cluster.nodes[1:]:
      cluster.AddNode(node)
    for node in cluster.nodes:
      _WriteOs(cluster.Path(node, "OS_SEARCH_PATH")[0])
    latencies = _AddInstances(cluster)
    (list_cli_ms, list_luxi_ms) = _TimeList(cluster)
  finally:
    cluster.Cleanup()
    shutil.rmtree(base_dir, ignore_errors=True)

  latencies.sort()
  add_median_ms = statistics.median(latencies) * 1000
  add_p90_ms = latencies[int(len(latencies) * 0.9) - 1] * 1000
  rows = [
    ("instance add, median (ms)", add_median_ms,
     "< %.0f" % TARGET_ADD_MEDIAN_MS, add_median_ms < TARGET_ADD_MEDIAN_MS),
    ("instance add, 90th percentile (ms)", add_p90_ms, "(reported)", True),
    ("gnt-instance list at %d, CLI (ms)" % INSTANCES, list_cli_ms,
     "< %.0f" % TARGET_LIST_MS, list_cli_ms < TARGET_LIST_MS),
    ("instance query at %d, LUXI (ms)" % INSTANCES, list_luxi_ms,
     "(reported)", True),
    ]
  print()
  print("%-44s %10s %10s %6s" % ("row", "value", "target", ""))
  for (name, value, target, ok) in rows:
    print("%-44s %10.2f %10s %6s" % (name, value, target,
                                     "PASS" if ok else "FAIL"))
  return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
  sys.exit(main())
