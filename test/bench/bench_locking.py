#!/usr/bin/env python3
"""Benchmark of the lock library against Ganeti's own locking.py.

Measures acquire+release pairs per second for one SharedLock and for a
LockSet of 1000 names, uncontended and with 8 contending threads, and prints
one table row per workload: ops/s of ours, ops/s of Ganeti's, their ratio and
PASS/FAIL against the target (ours faster on every row).  Each figure is the
median of several repetitions.

Ganeti's copy comes from the Debian package ganeti-3.0 (read from
/usr/share/ganeti/<version>/ganeti/locking.py, never copied).  This script
installs nothing: without the package the Ganeti column says unavailable.
Each implementation runs in its own subprocess, so Ganeti's "ganeti" package
never meets ours; both run under the same interpreter when Ganeti's loads.

Usage: python test/bench/bench_locking.py [--reps N] [--scale F]
"""

import argparse
import glob
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
  os.path.abspath(__file__))))
GANETI_PACKAGE = "ganeti-3.0"
GANETI_GLOB = "/usr/share/ganeti/*/ganeti/locking.py"
THREADS = 8
SET_SIZE = 1000

# (row title, workload function name, operations per repetition at scale 1)
ROWS = [
  ("SharedLock exclusive, 1 thread", "SharedExclusive", 200000),
  ("SharedLock shared, 1 thread", "SharedShared", 200000),
  ("LockSet(1000) one name, 1 thread", "SetOne", 50000),
  ("LockSet(1000) all names, 1 thread", "SetAll", 100),
  ("SharedLock exclusive, 8 threads", "SharedExclusive8", 40000),
  ("SharedLock shared, 8 threads", "SharedShared8", 80000),
  ("LockSet(1000) one name, 8 threads", "SetOne8", 40000),
  ("LockSet(1000) all names shared, 8 threads", "SetAllShared8", 40),
  ]


# --- Workloads (run inside a worker process) --------------------------------

def _Timed(fn):
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def _Threaded(work):
  """Runs work(index) in THREADS threads released together; returns seconds."""
  barrier = threading.Barrier(THREADS + 1)
  errors = []

  def _Run(index):
    barrier.wait()
    try:
      work(index)
    except BaseException as err:  # reported by the main thread
      errors.append(err)

  threads = [threading.Thread(target=_Run, args=(i, ))
             for i in range(THREADS)]
  for thread in threads:
    thread.start()
  start = time.perf_counter()
  barrier.wait()
  for thread in threads:
    thread.join()
  elapsed = time.perf_counter() - start
  if errors:
    raise errors[0]
  return elapsed


def SharedExclusive(locking, count):
  lock = locking.SharedLock("bench")

  def _Loop():
    acquire = lock.acquire
    release = lock.release
    for _ in range(count):
      acquire()
      release()
  return _Timed(_Loop)


def SharedShared(locking, count):
  lock = locking.SharedLock("bench")

  def _Loop():
    acquire = lock.acquire
    release = lock.release
    for _ in range(count):
      acquire(shared=1)
      release()
  return _Timed(_Loop)


def _Names():
  return ["inst%04d.example.com" % i for i in range(SET_SIZE)]


def _Picks(count, seed):
  names = _Names()
  rnd = random.Random(seed)
  return [[rnd.choice(names)] for _ in range(count)]


def SetOne(locking, count):
  lset = locking.LockSet(_Names(), "bench")
  picks = _Picks(count, 1)

  def _Loop():
    for names in picks:
      lset.acquire(names)
      lset.release()
  return _Timed(_Loop)


def SetAll(locking, count):
  lset = locking.LockSet(_Names(), "bench")

  def _Loop():
    for _ in range(count):
      lset.acquire(None)
      lset.release()
  return _Timed(_Loop)


def SharedExclusive8(locking, count):
  lock = locking.SharedLock("bench")
  per_thread = count // THREADS

  def _Work(_):
    for _ in range(per_thread):
      lock.acquire()
      lock.release()
  return _Threaded(_Work)


def SharedShared8(locking, count):
  lock = locking.SharedLock("bench")
  per_thread = count // THREADS

  def _Work(_):
    for _ in range(per_thread):
      lock.acquire(shared=1)
      lock.release()
  return _Threaded(_Work)


def SetOne8(locking, count):
  lset = locking.LockSet(_Names(), "bench")
  per_thread = count // THREADS
  picks = [_Picks(per_thread, 100 + i) for i in range(THREADS)]

  def _Work(index):
    for names in picks[index]:
      lset.acquire(names)
      lset.release()
  return _Threaded(_Work)


def SetAllShared8(locking, count):
  lset = locking.LockSet(_Names(), "bench")
  per_thread = max(1, count // THREADS)

  def _Work(_):
    for _ in range(per_thread):
      lset.acquire(None, shared=1)
      lset.release()
  return _Threaded(_Work)


def _LoadOurs():
  lib = os.path.join(REPO, "lib")
  spec = importlib.util.spec_from_file_location(
    "ganeti", os.path.join(lib, "__init__.py"),
    submodule_search_locations=[lib])
  module = importlib.util.module_from_spec(spec)
  sys.modules["ganeti"] = module
  spec.loader.exec_module(module)
  return importlib.import_module("ganeti.locking")


def _LoadGaneti(path):
  sys.path.insert(0, os.path.dirname(os.path.dirname(path)))
  return importlib.import_module("ganeti.locking")


def _Worker(impl, path, reps, scale):
  locking = _LoadOurs() if impl == "ours" else _LoadGaneti(path)
  result = {}
  for (title, fname, count) in ROWS:
    if fname.startswith("Set") and not hasattr(locking, "LockSet"):
      # Ganeti 3.0 moved lock sets out of Python (into its config daemon)
      result[title] = None
      continue
    count = max(THREADS, int(count * scale))
    fn = globals()[fname]
    fn(locking, max(THREADS, count // 10))  # warm-up
    rates = []
    for _ in range(reps):
      rates.append(count / fn(locking, count))
    result[title] = statistics.median(rates)
  json.dump(result, sys.stdout)


# --- Driver -----------------------------------------------------------------

def _FindGaneti():
  """Returns (interpreter, locking.py path) able to load Ganeti's, or None."""
  paths = sorted(glob.glob(GANETI_GLOB))
  if not paths:
    return None
  for interp in ("/usr/bin/python3", sys.executable):
    if not os.path.exists(interp):
      continue
    probe = subprocess.run(
      [interp, "-c", "import sys; sys.path.insert(0, %r); "
       "import ganeti.locking" % os.path.dirname(os.path.dirname(paths[-1]))],
      capture_output=True, cwd="/", check=False)
    if probe.returncode == 0:
      return (interp, paths[-1])
  return None


def _RunWorker(interp, impl, path, reps, scale):
  proc = subprocess.run(
    [interp, os.path.abspath(__file__), "--worker", impl,
     "--path", path or "", "--reps", str(reps), "--scale", str(scale)],
    capture_output=True, text=True, cwd="/", check=False)
  if proc.returncode != 0:
    raise RuntimeError("Benchmark worker %s (%s) failed:\n%s" %
                       (impl, interp, proc.stderr))
  return json.loads(proc.stdout)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--reps", type=int, default=5,
                      help="repetitions per row (the median is shown)")
  parser.add_argument("--scale", type=float, default=1.0,
                      help="multiplies the operations per repetition")
  parser.add_argument("--worker", choices=["ours", "ganeti"],
                      help=argparse.SUPPRESS)
  parser.add_argument("--path", help=argparse.SUPPRESS)
  opts = parser.parse_args()
  if opts.reps < 1 or opts.scale <= 0:
    parser.error("--reps must be at least 1 and --scale positive")
  if opts.worker:
    _Worker(opts.worker, opts.path, opts.reps, opts.scale)
    return 0

  found = _FindGaneti()
  if found is None:
    interp = sys.executable
    print("Ganeti's locking.py is unavailable: install the Debian package %s"
          " for its column" % GANETI_PACKAGE)
    theirs = None
  else:
    (interp, path) = found
    print("Ganeti's locking.py: %s (n/a where it has no such class)" % path)
    theirs = _RunWorker(interp, "ganeti", path, opts.reps, opts.scale)
  print("Interpreter: %s; median of %d repetitions" % (interp, opts.reps))
  ours = _RunWorker(interp, "ours", None, opts.reps, opts.scale)

  fmt = "%-42s %12s %12s %7s %s"
  print(fmt % ("Row", "ours op/s", "Ganeti op/s", "ratio", "result"))
  failed = False
  for (title, _, _) in ROWS:
    mine = ours[title]
    if theirs is None or theirs[title] is None:
      print(fmt % (title, "%.0f" % mine, "n/a", "n/a", "n/a"))
      continue
    ratio = mine / theirs[title]
    verdict = "PASS" if ratio > 1.0 else "FAIL"
    failed = failed or ratio <= 1.0
    print(fmt % (title, "%.0f" % mine, "%.0f" % theirs[title],
                 "%.2f" % ratio, verdict))
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
