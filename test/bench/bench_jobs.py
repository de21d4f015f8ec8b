#!/usr/bin/env python3
"""Job throughput and latency through LUXI against a real ganeti-masterd.

1000 no-op ``OP_TEST_DELAY(duration=0)`` jobs are submitted by 4 concurrent
clients; each client waits for its job to succeed before submitting the next
one.  Job files are written and fsynced exactly as in production.  Printed:
jobs per second and the median and 99th percentile of the time from submit
to seeing ``success``, over several rounds (medians of the rounds).

Targets (issue 3, on a 2-core machine): at least 300 jobs/s, median latency
under 10 ms.  Exits 1 when a target is missed.
"""

import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFTEST = os.path.join(os.path.dirname(HERE), "integration", "conftest.py")

JOBS = 1000
CLIENTS = 4
ROUNDS = 3
TARGET_JOBS_PER_SEC = 300.0
TARGET_MEDIAN_MS = 10.0


def _LoadVirtualNodeHelpers():
  """The integration tests' one-node cluster builder, loaded by path."""
  spec = importlib.util.spec_from_file_location("integration_conftest",
                                                CONFTEST)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def _Client(daemon, count, latencies, errors_seen):
  from ganeti import constants
  from ganeti import opcodes
  client = daemon.Client()
  try:
    for _ in range(count):
      op = opcodes.OpTestDelay(duration=0)
      start = time.perf_counter()
      job_id = client.SubmitJob([op])
      prev_info = None
      while True:
        result = client.WaitForJobChangeOnce(job_id, ["status"], prev_info,
                                             None, timeout=10)
        if result == constants.JOB_NOTCHANGED:
          continue
        (prev_info, _) = result
        status = prev_info[0]
        if status in constants.JOBS_FINALIZED:
          break
      latencies.append(time.perf_counter() - start)
      if status != constants.JOB_STATUS_SUCCESS:
        errors_seen.append((job_id, status))
  finally:
    client.Close()


def _Round(daemon):
  latencies = []
  errors_seen = []
  per_client = JOBS // CLIENTS
  threads = [threading.Thread(target=_Client,
                              args=(daemon, per_client, latencies,
                                    errors_seen))
             for _ in range(CLIENTS)]
  start = time.perf_counter()
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  elapsed = time.perf_counter() - start
  if errors_seen:
    raise RuntimeError("%d jobs did not succeed, e.g. %s" %
                       (len(errors_seen), errors_seen[:3]))
  if len(latencies) != per_client * CLIENTS:
    raise RuntimeError("only %d of %d jobs finished" %
                       (len(latencies), per_client * CLIENTS))
  latencies.sort()
  return (len(latencies) / elapsed, statistics.median(latencies) * 1000,
          latencies[int(len(latencies) * 0.99) - 1] * 1000)


def main():
  helpers = _LoadVirtualNodeHelpers()
  base_dir = tempfile.mkdtemp(prefix="gntb")
  daemon = helpers.MasterDaemon(base_dir)
  os.environ["GANETI_ROOTDIR"] = daemon.root
  os.environ["GANETI_HOSTNAME"] = daemon.node
  from ganeti import pathutils
  pathutils.Reload()
  try:
    daemon._SetPaths()  # pylint: disable=W0212
    helpers.BuildVirtualNode(daemon.root)
    daemon.Start()
    rounds = []
    for number in range(1, ROUNDS + 1):
      (rate, median_ms, p99_ms) = _Round(daemon)
      rounds.append((rate, median_ms, p99_ms))
      print("round %d: %7.1f jobs/s, median %6.2f ms, p99 %6.2f ms"
            % (number, rate, median_ms, p99_ms), flush=True)
      archive = daemon.Client()
      try:
        archive.AutoArchiveJobs(-1)
      finally:
        archive.Close()
  finally:
    daemon.Cleanup()
    shutil.rmtree(base_dir, ignore_errors=True)

  rate = statistics.median(r[0] for r in rounds)
  median_ms = statistics.median(r[1] for r in rounds)
  p99_ms = statistics.median(r[2] for r in rounds)
  rows = [
    ("jobs per second (%d jobs, %d clients)" % (JOBS, CLIENTS), rate,
     ">= %.0f" % TARGET_JOBS_PER_SEC, rate >= TARGET_JOBS_PER_SEC),
    ("median submit-to-success latency (ms)", median_ms,
     "< %.0f" % TARGET_MEDIAN_MS, median_ms < TARGET_MEDIAN_MS),
    ("99th percentile latency (ms)", p99_ms, "(reported)", True),
    ]
  print()
  print("%-44s %10s %10s %6s" % ("row (median of %d rounds)" % ROUNDS,
                                 "value", "target", ""))
  for (name, value, target, ok) in rows:
    print("%-44s %10.2f %10s %6s" % (name, value, target,
                                     "PASS" if ok else "FAIL"))
  return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
  sys.exit(main())
