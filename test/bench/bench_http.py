#!/usr/bin/env python3
"""Benchmark of node RPC over HTTPS: round trip and fan-out latency.

Starts 32 HTTPS servers (ganeti.http.server, cluster certificate required
on both ends, as the node daemon runs them) on 127.0.1.x, spread over a few
helper processes, each answering with a JSON echo. The client is
ganeti.http.client with a connection pool, as the master's RPC runner uses
it. Measured:

  * single call: median round trip of ~500 calls to one server over a
    reused connection (target: under 5 ms);
  * fan-out: one call sent to 1, 8 and 32 servers at once, median of 50
    rounds each (target: 32 servers under 3 times the single call).

Prints a table with PASS/FAIL per target and exits 1 if any target is
missed. Run directly or through test/bench/run.py.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

NUM_SERVERS = 32
SINGLE_CALLS = 500
FANOUT_ROUNDS = 50
FANOUT_SIZES = (1, 8, 32)
TARGET_SINGLE_MS = 5.0
TARGET_FANOUT_RATIO = 3.0


def _Serve(cert_file, first, count):
  """Helper process: run ``count`` servers, print their ports, wait."""
  from ganeti import http
  from ganeti import serializer
  from ganeti.http import server

  def Echo(req):
    return serializer.DumpJson([True, req.ReadJson()])

  params = http.HttpSslParams(cert_file, cert_file)
  servers = []
  for index in range(first, first + count):
    srv = server.HttpServer("127.0.1.%d" % (index + 1), 0, Echo,
                            ssl_params=params, ssl_verify_peer=True,
                            name="bench%d" % index)
    srv.Start()
    servers.append(srv)
  print(json.dumps([[srv.address, srv.port] for srv in servers]),
        flush=True)
  sys.stdin.read()
  for srv in servers:
    srv.Stop(timeout=2)
  return 0


def _StartHelpers(cert_file, num_procs):
  procs = []
  targets = []
  per_proc = (NUM_SERVERS + num_procs - 1) // num_procs
  first = 0
  while first < NUM_SERVERS:
    count = min(per_proc, NUM_SERVERS - first)
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                             "--serve", cert_file, str(first), str(count)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    procs.append(proc)
    line = proc.stdout.readline()
    if not line:
      raise RuntimeError("Benchmark server helper %d exited early (code %s)"
                         % (len(procs), proc.wait()))
    targets.extend(tuple(item) for item in json.loads(line))
    first += count
  return (procs, targets)


def _StopHelpers(procs):
  for proc in procs:
    try:
      proc.stdin.close()
    except OSError:
      pass
  for proc in procs:
    try:
      proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait()


def _Main():
  from ganeti import serializer
  from ganeti import utils
  from ganeti.http import client

  num_procs = max(1, min(4, os.cpu_count() or 1))
  with tempfile.TemporaryDirectory(prefix="bench_http.") as tmpdir:
    cert_file = os.path.join(tmpdir, "server.pem")
    utils.GenerateSelfSignedSslCert(cert_file)
    started = time.monotonic()
    (procs, targets) = _StartHelpers(cert_file, num_procs)
    pool = client.HttpClientPool()
    tls = client.CurlTlsConfig(cert_file)
    try:
      def Call(hosts, payload):
        reqs = [client.HttpClientRequest(host, port, "POST", "/echo",
                                         post_data=payload,
                                         curl_config_fn=tls, read_timeout=10)
                for (host, port) in hosts]
        start = time.perf_counter()
        pool.ProcessRequests(reqs)
        elapsed = time.perf_counter() - start
        for req in reqs:
          if not req.success or req.resp_status_code != 200:
            raise RuntimeError("Benchmark call to %s failed: %s (status %s)"
                               % (req.url, req.error, req.resp_status_code))
        return elapsed

      payload = serializer.DumpJson(["instance1.example.com", {"a": 1}])
      for _ in range(3):
        Call(targets, payload)  # warm-up: open every connection
      single = [Call(targets[:1], payload) for _ in range(SINGLE_CALLS)]
      single_ms = statistics.median(single) * 1000
      fanout_ms = {}
      for size in FANOUT_SIZES:
        rounds = [Call(targets[:size], payload) for _ in range(FANOUT_ROUNDS)]
        fanout_ms[size] = statistics.median(rounds) * 1000
    finally:
      pool.Close()
      _StopHelpers(procs)
    total = time.monotonic() - started

  ratio = fanout_ms[NUM_SERVERS] / single_ms
  rows = [
    ("single call median (%d calls, reused conn)" % SINGLE_CALLS,
     "%.3f ms" % single_ms, "< %.1f ms" % TARGET_SINGLE_MS,
     single_ms < TARGET_SINGLE_MS),
    ]
  for size in FANOUT_SIZES:
    rows.append(("fan-out to %2d servers (median of %d)" %
                 (size, FANOUT_ROUNDS), "%.3f ms" % fanout_ms[size], "",
                 None))
  rows.append(("fan-out %d / single" % NUM_SERVERS, "%.2f x" % ratio,
               "< %.1f x" % TARGET_FANOUT_RATIO,
               ratio < TARGET_FANOUT_RATIO))
  print("HTTPS RPC benchmark: %d servers in %d helper process(es), %d CPU(s)"
        % (NUM_SERVERS, len(procs), os.cpu_count() or 1))
  print("%-46s %12s %10s %s" % ("measure", "value", "target", "verdict"))
  for (name, value, target, verdict) in rows:
    print("%-46s %12s %10s %s" % (name, value, target,
                                  "" if verdict is None else
                                  ("PASS" if verdict else "FAIL")))
  print("total time %.1f s" % total)
  return 0 if all(row[3] is not False for row in rows) else 1


if __name__ == "__main__":
  if len(sys.argv) == 5 and sys.argv[1] == "--serve":
    sys.exit(_Serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
  sys.exit(_Main())
