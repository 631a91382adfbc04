#!/usr/bin/env python3
"""bench/scale: many VRRP instances on one pair of routers, vigild against keepalived 2.2.7.

Topology (test/netns/scale.py): routers h1 (master, priority 150) and h2 (backup, priority
100) joined by --segments bridges; --instances VRRPv3 instances at --interval spread over them.
Master and backup run the same daemon. For each daemon and each run:

  start     h1 alone is started: time until it holds every VIP (Master_Down_Interval and the
            daemon's start-up); then h2 is started and the pair left to settle;
  idle      CPU (% of one core, every process of each router's namespace, from /proc over
            --window seconds) and RSS; then, captured on the bridges over --idle seconds, the
            master's advert interval per VRID (p50, p99, max) and the VRIDs the backup
            advertised for (spurious takeovers). The captures start after the CPU window:
            tcpdump's taps run in the senders' kernel time. The switch namespace has no
            bridge netfilter, like a real switch.
  takeover  every process of h1 is SIGKILLed and its links cut: per VRID, the master's last
            advert -> the backup's first advert (RFC limit: Master_Down_Interval, 361 ms at
            0.1 s), how many came later than 5 / 10 ms after it or earlier, the first GARP of
            the last VIP after the last expiry, and the new master's intervals in the storm;
  stop      SIGTERM to h2: until every VIP is gone, until its last priority-0 advert.

Run as root:  bench/scale/run.py [--instances 1000] [--interval 0.1] [--runs 3]
              bench/scale/run.py --instances 250 --interval 0.01      (the stress case)
vigild is $VIGILD or --vigild (use a release build: build-vm/daemon/vigild).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "netns"))

import scale  # noqa: E402
from scale import BACKUP_PRIO, MASTER_PRIO, Layout  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def start(kind: str, host, text: str, name: str):
    if kind == "vigild":
        return host.start_vigild(text, name=name, wait_ready=False,
                                 extra_args=["--log-level", "info"])
    return host.start_keepalived(text, name=name)


def run_once(kind: str, layout: Layout, a, n: int) -> dict:
    lab = scale.make_lab(layout)
    try:
        h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
        t0 = time.time()
        start(kind, h1, layout.config(MASTER_PRIO), f"{kind}-m")
        t_master = scale.wait_vips(h1, layout.instances) - t0
        backup = start(kind, h2, layout.config(BACKUP_PRIO), f"{kind}-b")
        time.sleep(a.settle)
        if scale.vip_count(h2) != 0:
            raise RuntimeError(f"{kind}: the backup holds VIPs after settling")
        pids = {h: scale.ns_pids(lab, h) for h in ("h1", "h2")}
        perf = []
        if a.perf:
            for h in ("h1", "h2"):
                out = Path(a.perf) / f"{kind}-{h}-{n}.data"
                perf.append(subprocess.Popen(
                    ["perf", "record", "-g", "-F", "999", "-o", str(out), "-p",
                     ",".join(map(str, pids[h])), "--", "sleep", str(a.window)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        w0 = time.time()
        c0 = {h: cpu_ticks(p) for h, p in pids.items()}
        time.sleep(a.window)
        c1 = {h: cpu_ticks(p) for h, p in pids.items()}
        w1 = time.time()
        for p in perf:
            p.wait()
        cpu = {h: 100.0 * (c1[h] - c0[h]) / TICK / (w1 - w0) for h in pids}
        rss = {h: rss_kib(p) / 1024 for h, p in pids.items()}
        # Captures from here on (tcpdump's taps cost the senders' kernel time: not during the
        # CPU window): the idle intervals, the takeover, the stop.
        caps = scale.start_captures(lab, layout)
        time.sleep(1.0)
        w0 = time.time()
        time.sleep(a.idle)
        w1 = time.time()
        # Mass takeover: the master dies with its links.
        if a.perf:
            storm = subprocess.Popen(
                ["perf", "record", "-g", "-F", "4999", "-o", str(Path(a.perf) / f"{kind}-storm-{n}.data"),
                 "-p", ",".join(map(str, pids["h2"])), "--", "sleep", "1.5"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        spurious = len(backup.grep(r"Entering MASTER STATE"))  # before the kill: all spurious
        killed = scale.crash(lab, "h1")
        scale.wait_vips(h2, layout.instances, timeout=60)
        time.sleep(1.5)
        if a.perf:
            storm.wait()
        t_term = time.time()
        backup.signal(signal.SIGTERM)
        t_gone = scale.wait_vips(h2, 0, timeout=60) - t_term
        backup.wait(timeout=60)
        time.sleep(1.5)  # tcpdump hands over a partly filled ring block only after 1 s
        frames = scale.read_all(scale.stop_captures(caps))
    finally:
        lab.close()
    idle = scale.intervals(frames, "h1", w0, w1)
    to = scale.takeover(frames, layout, killed)
    md = layout.master_down()
    late = [g - md for g in to.gaps.values()]
    storm = scale.intervals(frames, "h2", to.first_takeover or 0, (to.first_takeover or 0) + 1.0)
    zero = [f.t for f in frames if f.kind == "advert" and f.prio == 0 and f.t >= t_term and
            scale.node_of(f.src) == "h2"]
    zero_vrids = {(f.segment, f.vrid) for f in frames if f.kind == "advert" and f.prio == 0 and
                  f.t >= t_term and scale.node_of(f.src) == "h2"}
    return {
        "cpu_master": cpu["h1"], "cpu_backup": cpu["h2"], "rss_master": rss["h1"],
        "rss_backup": rss["h2"],
        "start": t_master,
        "idle_p50": scale.percentile(idle, 50), "idle_p99": scale.percentile(idle, 99),
        "idle_max": max(idle) if idle else float("nan"),
        "spurious": spurious,
        "gap_p50": scale.percentile(list(to.gaps.values()), 50),
        "gap_p99": scale.percentile(list(to.gaps.values()), 99),
        "gap_max": max(to.gaps.values()) if to.gaps else float("nan"),
        "late5": sum(1 for x in late if x > 0.005), "late10": sum(1 for x in late if x > 0.010),
        "early": sum(1 for x in late if x < -0.001), "missing": len(to.missing),
        "garp_after": to.garp_after_last_expiry, "garps_missing": to.garps_missing,
        "storm_p99": scale.percentile(storm, 99),
        "storm_max": max(storm) if storm else float("nan"),
        "stop_vips": t_gone, "stop_zero": (max(zero) - t_term) if zero else float("nan"),
        "zero_adverts": len(zero_vrids),
    }


ROWS = [
    ("master CPU (% of one core)", "cpu_master", "{:.1f}", True),
    ("backup CPU (% of one core)", "cpu_backup", "{:.1f}", True),
    ("master RSS (MiB)", "rss_master", "{:.1f}", True),
    ("backup RSS (MiB)", "rss_backup", "{:.1f}", True),
    ("start: all VIPs on the master (s)", "start", "{:.3f}", True),
    ("idle interval p50 (ms)", "idle_p50", "{:.2f}", False),
    ("idle interval p99 (ms)", "idle_p99", "{:.2f}", False),
    ("idle interval max (ms)", "idle_max", "{:.2f}", False),
    ("spurious takeovers (backup log, whole run)", "spurious", "{}", False),
    ("takeover gap p50 (ms)", "gap_p50", "{:.2f}", True),
    ("takeover gap p99 (ms)", "gap_p99", "{:.2f}", True),
    ("takeover gap max (ms)", "gap_max", "{:.2f}", True),
    ("VRIDs > MDI + 5 ms", "late5", "{}", False),
    ("VRIDs > MDI + 10 ms", "late10", "{}", False),
    ("VRIDs early (< MDI - 1 ms)", "early", "{}", False),
    ("VRIDs not taken over", "missing", "{}", False),
    ("last VIP's first GARP after last expiry (ms)", "garp_after", "{:.1f}", False),
    ("storm: new master interval p99 (ms)", "storm_p99", "{:.2f}", False),
    ("storm: new master interval max (ms)", "storm_max", "{:.2f}", False),
    ("stop: VIPs gone after SIGTERM (s)", "stop_vips", "{:.3f}", True),
    ("stop: last priority-0 advert (s)", "stop_zero", "{:.3f}", True),
    ("stop: VRIDs with a priority-0 advert", "zero_adverts", "{}", False),
]
MS = {"idle_p50", "idle_p99", "idle_max", "gap_p50", "gap_p99", "gap_max", "garp_after",
      "storm_p99", "storm_max"}


def cell(rs: list[dict], key: str, f: str) -> str:
    vals = [r[key] for r in rs]
    if any(v is None for v in vals):
        return "n/a"
    vals = [v * 1000 if key in MS else v for v in vals]
    lo, hi = min(vals), max(vals)
    return f.format(lo) if f.format(lo) == f.format(hi) else f"{f.format(lo)}-{f.format(hi)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--segments", type=int, default=4)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--window", type=float, default=10.0, help="CPU and idle window, seconds")
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--idle", type=float, default=3.0, help="captured idle window, seconds")
    ap.add_argument("--only", choices=["vigild", "keepalived"])
    ap.add_argument("--vigild", help="the vigild binary (default $VIGILD, build-vm, build)")
    ap.add_argument("--perf", help="directory: perf record vigild's nodes during the window")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    if a.vigild:
        os.environ["VIGILD"] = a.vigild
    elif "VIGILD" not in os.environ:
        for b in ("build-vm", "build"):
            if (ROOT / b / "daemon" / "vigild").exists():
                os.environ["VIGILD"] = str(ROOT / b / "daemon" / "vigild")
                break
    if a.perf:
        Path(a.perf).mkdir(parents=True, exist_ok=True)
    layout = Layout(a.instances, a.segments, a.interval)
    kinds = [a.only] if a.only else ["keepalived", "vigild"]
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    for n in range(a.runs):
        for kind in kinds:  # alternate, so that both see the same machine
            r = run_once(kind, layout, a, n)
            results[kind].append(r)
            print(f"run {n + 1} {kind}: " + ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()),
                flush=True)
    print(f"\n{a.instances} instances, VRRPv3, advert_int {a.interval:g} s, {a.segments} "
          f"segments, {a.runs} runs (range over runs); Master_Down_Interval "
          f"{layout.master_down() * 1000:.3f} ms")
    print(f"{'':46} " + " ".join(f"{k:>18}" for k in kinds) +
          ("   ratio v/k (median)" if len(kinds) == 2 else ""))
    for label, key, f, ratio in ROWS:
        line = f"{label:46} " + " ".join(f"{cell(results[k], key, f):>18}" for k in kinds)
        if ratio and len(kinds) == 2:
            km = statistics.median(r[key] for r in results["keepalived"])
            vm = statistics.median(r[key] for r in results["vigild"])
            line += f"   {vm / km:.2f}" if km else ""
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
