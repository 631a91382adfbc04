#!/usr/bin/env python3
"""bench/failover: how fast a backup takes over, vigild against keepalived, in one run.

Topology: two routers and a bridge in network namespaces (test/netns/harness.py). For each
daemon (vigild, keepalived) and each mode (VRRPv2 1 s, VRRPv3 0.1 s; backup priority 100), the
benchmark repeats two events and measures on the wire (tcpdump on the bridge, microsecond
timestamps) and in the backup's namespace (`ip -ts monitor address`):

  crash     the master is SIGKILLed: from its last advert to the backup's first advert,
            first GARP, and the VIP appearing on the backup;
  handover  the master gets SIGTERM: from its priority-0 advert to the backup's first advert.

RFC limits: crash = Master_Down_Interval = 3 x interval + (256 - 100) / 256 x interval
(v2: 3.609375 s, v3 0.1 s: 0.3609375 s); handover = Skew_Time (0.609375 s, 0.0609375 s).
Master and backup run the same daemon. Run as root:  bench/failover/run.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "netns"))
os.environ.setdefault("VIGILD", str(ROOT / "build" / "daemon" / "vigild"))

from harness import Lab, wait_for  # noqa: E402

VIP = "10.99.0.100"
MODES = {
    "v2 1s": dict(version=2, interval="1", down=3.609375, skew=0.609375),
    "v3 0.1s": dict(version=3, interval="0.1", down=0.3609375, skew=0.0609375),
}


def config(mode: dict, priority: int) -> str:
    return f"""
vrrp_instance VI_1 {{
    interface eth0
    version {mode['version']}
    virtual_router_id 51
    priority {priority}
    advert_int {mode['interval']}
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""


LINE = re.compile(r"^(\d+\.\d+) (\S+) > (\S+), .*?(VRRPv\d, Advertisement, vrid \d+, prio (\d+)"
                  r"|Request who-has " + re.escape(VIP) + r")")


def parse_capture(text: str):
    """(time, src_mac, kind, prio) for adverts and GARPs; kind is 'advert' or 'garp'."""
    events = []
    for line in text.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        t = float(m.group(1))
        if m.group(4).startswith("VRRP"):
            events.append((t, m.group(2), "advert", int(m.group(5))))
        else:
            events.append((t, m.group(2), "garp", None))
    return events


def vip_added_at(text: str, after: float) -> float | None:
    # `ip -ts monitor address` prints "[2026-11-26T04:41:29.953123] 2: eth0 inet 10.99.0.100/24 ..."
    for line in text.splitlines():
        m = re.match(r"\[(\S+)\]\s+(?!Deleted)\d+: \S+\s+inet " + re.escape(VIP) + "/", line)
        if m:
            t = datetime.fromisoformat(m.group(1)).timestamp()
            if t > after:
                return t
    return None


def one_event(lab, kind: str, mode: dict, event: str, n: int) -> dict:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    start = (lambda h, text, name: h.start_vigild(text, name=name)) if kind == "vigild" else \
        (lambda h, text, name: h.start_keepalived(text, name=name, wait_ready=True))
    backup = start(h2, config(mode, 100), f"{kind}-b{n}")
    master = start(h1, config(mode, 200), f"{kind}-m{n}")
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="the master's VIP")
    wait_for(lambda: not h2.has_address(VIP), timeout=30, what="the backup without the VIP")
    time.sleep(1.0)
    master_mac = h1.link("eth0")["address"]
    backup_mac = h2.link("eth0")["address"]
    cap = lab.switch.start(["tcpdump", "-i", "br-lan0", "-n", "-e", "-tt", "-l",
                            "ip proto 112 or arp"], name=f"cap{n}")
    mon = h2.start(["ip", "-ts", "monitor", "address"], name=f"mon{n}")
    cap.wait_log(r"listening on")
    time.sleep(2.5)  # at least two adverts of the master before the event
    if event == "crash":
        master.kill()
    else:
        master.stop(signal.SIGTERM)
    wait_for(lambda: h2.has_address(VIP), timeout=30, what="the backup to take over")
    time.sleep(0.5)
    cap.stop()
    mon.stop()
    backup.stop()
    if master.running:
        master.kill()
    h1.run("ip", "addr", "flush", "dev", "eth0", "to", f"{VIP}/32", check=False)
    events = parse_capture(cap.log_text())
    if event == "crash":
        ref = [t for t, mac, k, p in events if mac == master_mac and k == "advert" and p != 0]
    else:
        ref = [t for t, mac, k, p in events if mac == master_mac and k == "advert" and p == 0]
    t0 = ref[-1] if event == "crash" else ref[0]
    adv = [t for t, mac, k, p in events if mac == backup_mac and k == "advert" and t > t0]
    garp = [t for t, mac, k, p in events if mac == backup_mac and k == "garp" and t > t0]
    vip = vip_added_at(mon.log_text(), t0)
    return {"advert": adv[0] - t0 if adv else None, "garp": garp[0] - t0 if garp else None,
            "vip": vip - t0 if vip else None}


def fmt(values: list[float | None]) -> str:
    v = [x for x in values if x is not None]
    if not v:
        return "n/a"
    return f"{statistics.median(v) * 1000:9.3f} ms (max {max(v) * 1000:.3f})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("run as root")
        return 2
    rows = []
    with Lab(hosts=2, ipv4="10.99.0.0/24") as lab:
        for mode_name, mode in MODES.items():
            for event in ("crash", "handover"):
                for kind in ("keepalived", "vigild"):
                    results = [one_event(lab, kind, mode, event, n) for n in range(a.runs)]
                    rows.append((mode_name, event, kind, results,
                                 mode["down"] if event == "crash" else mode["skew"]))
    print(f"\n{'mode':<8} {'event':<9} {'daemon':<11} {'first advert':<28} "
          f"{'first GARP':<28} {'VIP added':<28} RFC limit")
    for mode_name, event, kind, results, limit in rows:
        print(f"{mode_name:<8} {event:<9} {kind:<11} {fmt([r['advert'] for r in results]):<28} "
              f"{fmt([r['garp'] for r in results]):<28} {fmt([r['vip'] for r in results]):<28} "
              f"{limit * 1000:.3f} ms")
    print("\nmedians, vigild minus keepalived (negative: vigild is faster), and ratio k/v:")
    for i in range(0, len(rows), 2):
        k, v = rows[i], rows[i + 1]
        parts = []
        for what in ("advert", "garp", "vip"):
            km = statistics.median([r[what] for r in k[3] if r[what] is not None])
            vm = statistics.median([r[what] for r in v[3] if r[what] is not None])
            parts.append(f"{what} {(vm - km) * 1e6:+7.0f} us ({km / vm:.5f})")
        print(f"  {k[0]:<8} {k[1]:<9} " + "  ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
