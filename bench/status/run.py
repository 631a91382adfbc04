#!/usr/bin/env python3
"""bench/status: the cost of a /metrics scrape at scale.

One vigild in a network namespace with N_VRRP VRRP instances (VRIDs 1..250 on each of several
veths, advert_int 1) and N_RS real servers with TCP_CHECK at delay_loop 60 (against nothing: the
checks fail, so every real server also carries its failure series), plus one instance at
advert_int 0.1 whose adverts are captured. It scrapes /metrics and /status SCRAPES times and
reports the time per scrape (client side: request to last byte), the page size, and the largest
gap between the 0.1 s instance's adverts during the scrapes against the largest outside them.
Goal: under 20 ms of loop time per scrape with 1,000 instances and 40,000 real servers.

keepalived has no native endpoint (its exporters signal it and parse files), so there is no
ratio here. Run as root, with an optimized build:
    bench/status/run.py [--vrrp 1000] [--rs 40000] [--scrapes 20] [--vigild build/daemon/vigild]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "netns"))

PORT = 9165


def config(n_vrrp: int, n_rs: int, lans: int, per_vs: int = 100) -> str:
    out = ["global_defs {\n    router_id bench\n}\n"]
    out.append("""vrrp_instance FAST {
    interface eth0
    version 3
    virtual_router_id 251
    priority 200
    advert_int 0.1
    virtual_ipaddress {
        10.90.0.100/24
    }
}
""")
    for i in range(n_vrrp):
        lan, vrid = divmod(i, 250)
        out.append(f"""vrrp_instance VI_{i} {{
    interface eth{lan % lans}
    version 3
    virtual_router_id {vrid + 1}
    priority 200
    advert_int 1
    virtual_ipaddress {{
        10.{91 + lan}.{vrid // 250}.{vrid % 250 + 1}/32
    }}
}}
""")
    for v in range(0, n_rs, per_vs):
        out.append(f"virtual_server 10.98.{v // per_vs // 256}.{v // per_vs % 256} 80 {{\n"
                   "    lb_algo rr\n    protocol TCP\n")
        for i in range(v, min(n_rs, v + per_vs)):
            out.append(f"""    real_server 127.{1 + i // 65536}.{(i // 256) % 256}.{i % 256} 80 {{
        TCP_CHECK {{
            delay_loop 60
            connect_timeout 1
        }}
    }}
""")
        out.append("}\n")
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vrrp", type=int, default=1000)
    ap.add_argument("--rs", type=int, default=40000)
    ap.add_argument("--scrapes", type=int, default=20)
    ap.add_argument("--vigild", default=str(ROOT / "build" / "daemon" / "vigild"))
    args = ap.parse_args()
    os.environ["VIGILD"] = args.vigild
    from harness import Lab  # noqa: E402

    lans = max(1, (args.vrrp + 249) // 250)
    lan_names = [f"lan{i}" for i in range(lans)]
    with Lab(lan=None, workdir=Path("/tmp/vigil-bench-status")) as lab:
        for i, name in enumerate(lan_names):
            lab.add_lan(name, ipv4=f"10.{91 + i}.0.0/16" if i else "10.90.0.0/16")
        h1 = lab.add_host("h1", lans=lan_names)
        lab.add_host("h2", lans=lan_names[:1])
        conf = lab.workdir / "bench.conf"
        conf.write_text(config(args.vrrp, args.rs, lans))
        d = h1.start_vigild(conf, extra_args=["--log-level", "warn", "--status-listen",
                                              f"10.90.0.1:{PORT}"], wait_ready=False)
        time.sleep(15)  # every instance MASTER, every checker's first check done
        cap = lab.capture(lan="lan0", filter="vrrp and src 10.90.0.1", extra_args=["-tt"])
        mark = cap.log_mark()
        time.sleep(3)
        quiet = (time.time() - 3, time.time())
        code = (
            "import http.client,time,sys\n"
            f"n={args.scrapes}\n"
            "out=[]\n"
            "for path in ('/metrics','/status'):\n"
            "    w0=time.time()\n"
            "    for _ in range(n):\n"
            f"        c=http.client.HTTPConnection('10.90.0.1',{PORT},timeout=60)\n"
            "        t=time.monotonic(); c.request('GET',path); b=c.getresponse().read()\n"
            "        out.append((path,time.monotonic()-t,len(b))); c.close(); time.sleep(0.05)\n"
            "    print('window',path,w0,time.time())\n"
            "for p,t,n in out: print(p,t,n)\n"
        )
        res = lab.hosts["h2"].run("/usr/bin/python3", "-c", code, timeout=600).stdout.split("\n")
        time.sleep(0.5)
        # tcpdump -vv prints the time on one line and the VRRP fields on the next
        stamps, last = [], None
        for line in cap.log_lines(after=mark):
            m = re.match(r"^(\d+\.\d+) ", line)
            if m:
                last = float(m.group(1))
            elif last is not None and "vrid 251," in line:
                stamps.append(last)
        gaps = [(b - a, a) for a, b in zip(stamps, stamps[1:])]
        before = [g for g, a in gaps if quiet[0] <= a <= quiet[1]]
        windows = {w[1]: (float(w[2]), float(w[3])) for w in
                   (line.split() for line in res if line.startswith("window"))}
        for path in ("/metrics", "/status"):
            rows = [(float(t), int(n)) for p, t, n in
                    (line.split() for line in res if line.strip() and not
                     line.startswith("window")) if p == path]
            times = sorted(t * 1000 for t, _ in rows)
            print(f"{path}: {len(rows)} scrapes, {rows[0][1] / 1e6:.2f} MB, ms per scrape "
                  f"p50 {times[len(times) // 2]:.1f} max {times[-1]:.1f}")
            w = windows[path]
            during = [g for g, a in gaps if w[0] <= a <= w[1]]
            if during and before:
                print(f"  0.1 s instance's advert gap: max {max(during) * 1000:.1f} ms during "
                      f"the {path} scrapes, {max(before) * 1000:.1f} ms before them")
        d.stop(timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
