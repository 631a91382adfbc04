#!/usr/bin/env python3
"""bench/config_load: time `vigild -t` against `keepalived -t` on the same large config.

Usage: run.py [--vigild build/daemon/vigild] [--runs 5] [--vs 2300] [--rs 37000]
Both programs read the same generated file in the same run; the table reports the median wall
time of each, their peak RSS, and the ratio keepalived/vigild (above 1 means vigil is faster).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def measure(argv, runs):
    """Median and best wall time, peak RSS (KiB) of this program alone, exit codes."""
    times, rss, codes = [], 0, set()
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        times.append(time.perf_counter() - t0)
        codes.add(os.waitstatus_to_exitcode(status))
        rss = max(rss, usage.ru_maxrss)
    return statistics.median(times), min(times), rss, codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigild", default=os.path.join(ROOT, "build", "daemon", "vigild"))
    ap.add_argument("--keepalived", default=shutil.which("keepalived") or "/usr/sbin/keepalived")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--vs", type=int, default=2300)
    ap.add_argument("--rs", type=int, default=37000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "big.conf")
        with open(conf, "w") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--vs", str(a.vs),
                            "--rs", str(a.rs)], stdout=f, check=True)
        size = os.path.getsize(conf)
        print(f"config: {a.vs} virtual servers, {a.rs} real servers, {size / 1e6:.1f} MB")
        v = measure([a.vigild, "-t", "-f", conf], a.runs)
        k = measure([a.keepalived, "-t", "-f", conf], a.runs)
        print(f"{'program':<12}{'median s':>10}{'best s':>10}{'max RSS MiB':>14}  exit")
        print(f"{'vigild':<12}{v[0]:>10.3f}{v[1]:>10.3f}{v[2] / 1024:>14.1f}  {sorted(v[3])}")
        print(f"{'keepalived':<12}{k[0]:>10.3f}{k[1]:>10.3f}{k[2] / 1024:>14.1f}  {sorted(k[3])}")
        print(f"ratio keepalived/vigild (median): {k[0] / v[0]:.2f}")


if __name__ == "__main__":
    main()
