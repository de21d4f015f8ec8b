#!/usr/bin/env python3
"""Run every benchmark under test/bench/ and summarise the verdicts.

Each ``bench_*.py`` is a standalone script run in its own interpreter, so
one benchmark's threads and imports cannot skew another's figures.  A
script prints its own table (figures, target, PASS/FAIL per row) and exits
non-zero when it misses a target; this runner exits non-zero when any did.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
  wanted = set(argv[1:])
  scripts = sorted(name for name in os.listdir(HERE)
                   if name.startswith("bench_") and name.endswith(".py")
                   and (not wanted or name[:-3] in wanted or name in wanted))
  if not scripts:
    print("no benchmark matched %s" % (sorted(wanted) or "bench_*.py"))
    return 1
  verdicts = []
  for name in scripts:
    print("=" * 72)
    print("%s" % name)
    print("=" * 72, flush=True)
    start = time.monotonic()
    status = subprocess.call([sys.executable, os.path.join(HERE, name)])
    verdicts.append((name, status, time.monotonic() - start))
    print(flush=True)
  print("Summary:")
  for name, status, elapsed in verdicts:
    print("  %-32s %-4s (%.1f s)" % (name, "PASS" if status == 0 else "FAIL",
                                     elapsed))
  return 0 if all(status == 0 for _, status, _ in verdicts) else 1


if __name__ == "__main__":
  sys.exit(main(sys.argv))
