#!/usr/bin/env python3
"""Benchmark of node RPC through the runner: round trip and fan-out.

The client is ganeti.rpc.BootstrapRunner (nodes found through ssconf, a
connection pool, the cluster certificate on both ends), calling
``version`` as the master does.  Servers:

  * one real ganeti-noded process (``-f --no-mlock``) on a virtual node,
    for the single-call round trip;
  * 32 node daemon servers for the fan-out.  32 noded processes would
    fight over the 2 cores of the test machine, so the servers run in two
    helper processes, each serving 16 addresses with the node daemon's own
    server and request handler (ganeti.server.noded.CreateServer, the
    function the daemon itself uses; only the process is shared).

Measured: the median of ~300 single calls over a reused connection
(target: under 5 ms), and the median of one call fanned out to 1, 8 and 32
nodes (target: 32 nodes under 3 times the single call).  Addresses are a
random 127.x.y.0/24 so the benchmark does not collide with running
clusters.  Prints a table with PASS/FAIL and exits 1 on a missed target.
"""

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NUM_NODES = 32
HELPER_PROCS = 2
SINGLE_CALLS = 300
FANOUT_ROUNDS = 60
FANOUT_SIZES = (1, 8, 32)
TARGET_SINGLE_MS = 5.0
TARGET_FANOUT_RATIO = 3.0

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
NODED = os.path.join(_REPO, "daemons", "ganeti-noded")


def _Serve(cert_file, port, addresses):
  """Helper process: node daemon servers on ``addresses``; stdin closes."""
  from ganeti import http
  from ganeti.server import noded

  params = http.HttpSslParams(cert_file, cert_file)
  servers = []
  for address in addresses:
    srv = noded.CreateServer(address, port, params)
    srv.Start()
    servers.append(srv)
  print("ready", flush=True)
  sys.stdin.read()
  for srv in servers:
    srv.Stop(timeout=2)
  return 0


def _WaitListening(address, port, proc, what, timeout=20.0):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if proc.poll() is not None:
      raise RuntimeError("%s exited early with code %s" % (what,
                                                           proc.returncode))
    try:
      socket.create_connection((address, port), timeout=0.5).close()
      return
    except OSError:
      time.sleep(0.05)
  raise RuntimeError("%s did not listen on %s:%s within %ss" %
                     (what, address, port, timeout))


def _Stop(procs):
  for proc in procs:
    if proc.stdin is not None:
      try:
        proc.stdin.close()
      except OSError:
        pass
    else:
      proc.terminate()
  for proc in procs:
    try:
      proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
      proc.kill()
      proc.wait()


def _FreePort(address):
  sock = socket.socket()
  sock.bind((address, 0))
  port = sock.getsockname()[1]
  sock.close()
  return port


def _Main():
  base = "127.%d.%d." % (random.randint(100, 250), random.randint(1, 250))
  real_addr = base + "1"
  addresses = [base + str(i) for i in range(2, NUM_NODES + 2)]
  names = ["bench%d.example.com" % i for i in range(NUM_NODES + 1)]
  tmpdir = tempfile.mkdtemp(prefix="brpc")
  root = os.path.join(tmpdir, names[0])
  os.makedirs(root)
  # this process is node 0 of a virtual cluster, before ganeti is imported
  os.environ["GANETI_ROOTDIR"] = root
  os.environ["GANETI_HOSTNAME"] = names[0]

  from ganeti import constants
  from ganeti import pathutils
  from ganeti import rpc
  from ganeti import ssconf
  from ganeti import utils
  from ganeti.tools import ensure_dirs

  ensure_dirs.EnsureDirs(ensure_dirs.GetPaths())
  utils.GenerateSelfSignedSslCert(pathutils.NODED_CERT_FILE)
  cert = pathutils.NODED_CERT_FILE
  ssconf.SimpleStore().WriteFiles({
    ssconf.SS_NODE_PRIMARY_IPS: "".join(
      "%s %s\n" % (name, addr)
      for (name, addr) in zip(names, [real_addr] + addresses)),
    ssconf.SS_OFFLINE_NODES: "",
    })
  port = _FreePort(real_addr)

  procs = []
  runner = None
  started = time.monotonic()
  try:
    noded_proc = subprocess.Popen(
      [sys.executable, NODED, "-f", "--no-mlock", "-b", real_addr, "-p",
       str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL)
    procs.append(noded_proc)
    per_proc = (NUM_NODES + HELPER_PROCS - 1) // HELPER_PROCS
    for first in range(0, NUM_NODES, per_proc):
      chunk = addresses[first:first + per_proc]
      helper = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", cert,
         str(port), json.dumps(chunk)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
      procs.append(helper)
      if helper.stdout.readline().strip() != "ready":
        raise RuntimeError("Benchmark helper for %s failed to start (code"
                           " %s)" % (chunk[0], helper.wait()))
    _WaitListening(real_addr, port, noded_proc, "ganeti-noded")

    runner = rpc.BootstrapRunner(_port=port)

    def Call(nodes):
      start = time.perf_counter()
      results = runner.call_version(nodes)
      elapsed = time.perf_counter() - start
      for (node, res) in results.items():
        if res.fail_msg or res.payload != constants.PROTOCOL_VERSION:
          raise RuntimeError("Benchmark call to %s failed: %s" %
                             (node, res.fail_msg))
      return elapsed

    for _ in range(3):
      Call(names)  # warm-up: open every connection
    single_ms = statistics.median(Call(names[:1])
                                  for _ in range(SINGLE_CALLS)) * 1000
    fanout_ms = {}
    for size in FANOUT_SIZES:
      fanout_ms[size] = statistics.median(
        Call(names[1:size + 1]) for _ in range(FANOUT_ROUNDS)) * 1000
  finally:
    if runner is not None:
      runner.Close()
    _Stop(procs)
    shutil.rmtree(tmpdir, ignore_errors=True)
  total = time.monotonic() - started

  ratio = fanout_ms[NUM_NODES] / single_ms
  rows = [
    ("single call median (%d calls, real noded)" % SINGLE_CALLS,
     "%.3f ms" % single_ms, "< %.1f ms" % TARGET_SINGLE_MS,
     single_ms < TARGET_SINGLE_MS),
    ]
  for size in FANOUT_SIZES:
    rows.append(("fan-out to %2d nodes (median of %d)" %
                 (size, FANOUT_ROUNDS), "%.3f ms" % fanout_ms[size], "",
                 None))
  rows.append(("fan-out %d / single" % NUM_NODES, "%.2f x" % ratio,
               "< %.1f x" % TARGET_FANOUT_RATIO,
               ratio < TARGET_FANOUT_RATIO))
  print("Node RPC benchmark (call_version through rpc.BootstrapRunner):"
        " 1 ganeti-noded + %d node servers in %d helper processes, %d"
        " CPU(s)" % (NUM_NODES, HELPER_PROCS, os.cpu_count() or 1))
  print("%-46s %12s %10s %s" % ("measure", "value", "target", "verdict"))
  for (name, value, target, verdict) in rows:
    print("%-46s %12s %10s %s" % (name, value, target,
                                  "" if verdict is None else
                                  ("PASS" if verdict else "FAIL")))
  print("total time %.1f s" % total)
  return 0 if all(row[3] is not False for row in rows) else 1


if __name__ == "__main__":
  if len(sys.argv) == 5 and sys.argv[1] == "--serve":
    sys.exit(_Serve(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])))
  sys.exit(_Main())
