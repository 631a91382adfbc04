#!/usr/bin/env python3
"""bench/checks: the cost of health checking at scale on one thread, with a VRRP instance.

One vigild in a network namespace runs N_TCP real servers with TCP_CHECK and N_HTTP with
HTTP_GET, all at delay_loop 10 (so N_TCP / 10 + N_HTTP / 10 checks per second), against nginx
in the same namespace (every real server is its own loopback address, 127.x.y.z, so no two
checks share a probe), plus one VRRP instance at advert_int 0.1 on a veth. After the warmup
window it reports vigild's CPU (% of one core, from /proc/PID/stat), RSS, open descriptors,
the checks done per second (from the SIGUSR1 state dump) and the advert interval on the wire
(p50 / p99 / max, tcpdump on the LAN).

keepalived cannot run this here: its checker needs IPVS, which this kernel lacks. The ratio
against keepalived is the second part of the issue (2,000 real servers inside ../shared/ipvs-vm)
and is not measured by this script.

Run as root, with an optimized build:  bench/checks/run.py [--tcp 40000] [--http 5000]
[--seconds 30] [--vigild build/daemon/vigild]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "netns"))

CLK_TCK = os.sysconf("SC_CLK_TCK")


def address(i: int) -> str:
    # 127.1.0.0 onwards: 65,536 distinct loopback addresses per /16.
    return f"127.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}"


def config(n_tcp: int, n_http: int, per_vs: int = 100) -> str:
    out = ["""
global_defs {
    router_id bench
}
vrrp_instance VI_1 {
    interface eth0
    version 3
    state MASTER
    virtual_router_id 51
    priority 200
    advert_int 0.1
    virtual_ipaddress {
        10.99.0.100/24
    }
}
"""]
    servers = [("TCP_CHECK", i) for i in range(n_tcp)] + \
              [("HTTP_GET", n_tcp + i) for i in range(n_http)]
    for v in range(0, len(servers), per_vs):
        out.append(f"virtual_server 10.98.{v // per_vs // 256}.{v // per_vs % 256} 80 {{\n"
                   "    lb_algo rr\n    protocol TCP\n")
        for kind, i in servers[v:v + per_vs]:
            body = "url {\n                path /\n            }" if kind == "HTTP_GET" else ""
            out.append(f"""    real_server {address(i)} 80 {{
        {kind} {{
            delay_loop 10
            connect_timeout 5
            {body}
        }}
    }}
""")
        out.append("}\n")
    return "".join(out)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def checks_done(st: dict) -> tuple[int, int]:
    total = failed = 0
    for vs in st["check"]["virtual_servers"]:
        for rs in vs["real_servers"]:
            for c in rs["checkers"]:
                total += c.get("checks", 0)
                failed += c.get("failures", 0)
    return total, failed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int, default=40000)
    ap.add_argument("--http", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--vigild", default=str(ROOT / "build" / "daemon" / "vigild"))
    args = ap.parse_args()
    os.environ["VIGILD"] = args.vigild
    import servers  # noqa: E402
    from harness import Lab, vigild_state  # noqa: E402

    def state(proc):
        return vigild_state(proc, timeout=60)

    with Lab(hosts=["h1", "h2"], ipv4="10.99.0.0/24", workdir=Path("/tmp/vigil-bench-checks")) \
            as lab:
        h1 = lab.hosts["h1"]
        root = lab.workdir / "nginx"
        (root / "www").mkdir(parents=True, exist_ok=True)
        (root / "www" / "index.html").write_text("<html>bench</html>\n")
        servers.nginx_conf(root, f"""
    access_log off;
    server {{
        listen 0.0.0.0:80 backlog=8192;
        root {root}/www;
    }}
""", connections=16384)
        h1.sysctl(**{"net.core.somaxconn": 8192, "net.ipv4.tcp_max_syn_backlog": 8192,
                     "net.ipv4.ip_local_port_range": "1024 65000"})
        h1.start(["nginx", "-p", str(root), "-c", str(root / "nginx.conf")], name="nginx")
        time.sleep(1)
        conf = lab.workdir / "bench.conf"
        conf.write_text(config(args.tcp, args.http))
        t_start = time.monotonic()
        d = h1.start_vigild(conf, extra_args=["--log-level", "info"], timeout=120)
        print(f"started {args.tcp} TCP_CHECK + {args.http} HTTP_GET real servers in "
              f"{time.monotonic() - t_start:.1f} s", flush=True)
        # Every checker's first check falls inside the 10 s warmup window.
        time.sleep(12)
        # The state dumps (one JSON line of every checker) stay outside the measured window.
        n0, f0 = checks_done(state(d))
        cap = lab.capture(filter="vrrp", extra_args=["-tt"])
        mark = cap.log_mark()
        c0, t0, w0 = cpu_seconds(d.pid), time.monotonic(), time.time()
        if os.environ.get("BENCH_PERF"):  # a profile of the measured window
            subprocess.run(["perf", "record", "-g", "-o", os.environ["BENCH_PERF"], "-p",
                            str(d.pid), "--", "sleep", str(args.seconds)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            time.sleep(args.seconds)
        c1, t1, w1 = cpu_seconds(d.pid), time.monotonic(), time.time()
        if os.environ.get("BENCH_DEBUG"):
            print("capture:", cap.log_lines()[:5])
        cap_stamps = [float(m.group(1)) for m in
                      cap.grep(r"^(\d+\.\d+) .*proto VRRP", after=mark)]
        cap_stamps = [t for t in cap_stamps if w0 <= t <= w1]
        n1, f1 = checks_done(state(d))
        t_dumps = time.monotonic()
        fds = len(os.listdir(f"/proc/{d.pid}/fd"))
        cpu = 100 * (c1 - c0) / (t1 - t0)
        print(f"vigild CPU: {cpu:.1f} % of one core over {t1 - t0:.0f} s")
        print(f"checks per second: {(n1 - n0) / (t_dumps - t0):.0f} "
              f"(expected {(args.tcp + args.http) / 10:.0f}); failed: {f1 - f0}")
        print(f"RSS: {rss_mib(d.pid):.1f} MiB; open descriptors: {fds}")
        if cap_stamps:
            gaps = [b - a for a, b in zip(cap_stamps, cap_stamps[1:])]
            gaps_ms = sorted(g * 1000 for g in gaps)
            p = lambda q: gaps_ms[min(len(gaps_ms) - 1, int(q * len(gaps_ms)))]  # noqa: E731
            print(f"advert interval ms: p50 {p(0.5):.2f}  p99 {p(0.99):.2f}  max {gaps_ms[-1]:.2f} "
                  f"({len(gaps)} intervals)")
        d.stop(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
