"""Many VRRP instances over several L2 segments: topology, configurations and capture analysis.

Shared by bench/scale/run.py (the benchmark against keepalived) and test_scale.py (the CI
smoke). Two routers, ``h1`` (master, priority 150) and ``h2`` (backup, priority 100), joined by
``segments`` bridges; instance ``i`` runs on segment ``i % segments`` (interface ``eth<k>``)
with VRID ``i // segments + 1`` and one VIP ``10.<60+k>.1.<vrid>/32``. Captures are taken on
the bridges with tcpdump into pcap files and parsed here (no per-packet text).
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import struct
import subprocess
import time
from pathlib import Path

from harness import Lab, wait_for

MASTER_PRIO = 150
BACKUP_PRIO = 100


def segment_net(k: int) -> str:
    return f"10.{60 + k}.0.0/16"


def vip(k: int, vrid: int) -> str:
    return f"10.{60 + k}.1.{vrid}"


@dataclasses.dataclass(frozen=True)
class Layout:
    instances: int
    segments: int = 4
    interval: float = 0.1  # advert_int, seconds
    version: int = 3

    def __post_init__(self):
        if self.instances > 255 * self.segments:
            raise ValueError("at most 255 VRIDs per segment")

    def place(self, i: int) -> tuple[int, int]:
        """(segment, vrid) of instance i."""
        return i % self.segments, i // self.segments + 1

    def master_down(self, prio: int = BACKUP_PRIO) -> float:
        """RFC 9568 Master_Down_Interval of a backup of priority `prio`."""
        return 3 * self.interval + (256 - prio) * self.interval / 256

    def config(self, prio: int, extra_global: str = "") -> str:
        out = [f"global_defs {{\n    router_id scale\n{extra_global}}}\n"]
        interval = f"{self.interval:g}"
        for i in range(self.instances):
            k, vrid = self.place(i)
            out.append(f"""vrrp_instance VI_{i} {{
    interface eth{k}
    version {self.version}
    virtual_router_id {vrid}
    priority {prio}
    advert_int {interval}
    virtual_ipaddress {{
        {vip(k, vrid)}/32
    }}
}}
""")
        return "".join(out)


def build(lab: Lab, layout: Layout) -> Lab:
    """Adds the layout's segments seg0, seg1, ... and hosts h1, h2 to a started, empty Lab."""
    # The switch is a plain L2 switch: no netfilter on its bridges (a host with br_netfilter
    # loaded would charge iptables on every bridged frame to the sender).
    for name in ("iptables", "ip6tables", "arptables"):
        lab.switch.run("sysctl", "-qw", f"net.bridge.bridge-nf-call-{name}=0", check=False)
    for k in range(layout.segments):
        lab.add_lan(f"seg{k}", ipv4=segment_net(k))
    for h in ("h1", "h2"):
        lab.add_host(h, lans=[f"seg{k}" for k in range(layout.segments)])
        # room for the multicast memberships and the adverts' bursts
        lab.hosts[h].sysctl(**{"net.ipv4.igmp_max_memberships": 4096,
                               "net.core.rmem_default": 4 << 20,
                               "net.core.rmem_max": 4 << 20})
    return lab


def make_lab(layout: Layout, **kwargs) -> Lab:
    """A started Lab with hosts h1 and h2 on `layout.segments` LANs seg0, seg1, ..."""
    lab = Lab(hosts=0, lan=None, **kwargs)
    lab.start()
    try:
        build(lab, layout)
    except BaseException:
        lab.close()
        raise
    return lab


_VIP_RE = re.compile(r" inet 10\.6\d\.1\.\d+/32 ")


def vip_count(host) -> int:
    """How many of the layout's VIPs (10.6x.1.y/32) the host holds."""
    return len(_VIP_RE.findall(host.run("ip", "-o", "-4", "addr", "show").stdout))


def start_captures(lab: Lab, layout: Layout) -> list:
    """tcpdump on every segment's bridge, VRRP and ARP only, into pcap files."""
    caps = []
    for k in range(layout.segments):
        pcap = lab.workdir / f"seg{k}.pcap"
        p = lab.switch.start(["tcpdump", "-i", f"br-seg{k}", "-n", "-s", "128", "-B", "8192",
                              "--time-stamp-precision=nano", "-w", str(pcap),
                              "ip proto 112 or arp"], name=f"cap-seg{k}")
        caps.append((p, pcap))
    for p, _ in caps:
        p.wait_log(r"listening on")
    return caps


def stop_captures(caps) -> list[Path]:
    for p, _ in caps:
        p.signal(signal.SIGINT)
    for p, _ in caps:
        p.wait(timeout=30)
    return [pcap for _, pcap in caps]


@dataclasses.dataclass
class Frame:
    t: float
    segment: int
    kind: str  # "advert" or "garp"
    src: str  # advert: source address; garp: the announced address
    vrid: int = 0
    prio: int = 0


def read_pcap(path: Path, segment: int) -> list[Frame]:
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic == 0xa1b23c4d:
        endian, scale = "<", 1e-9
    elif magic == 0xa1b2c3d4:
        endian, scale = "<", 1e-6
    elif magic == 0x4d3cb2a1:
        endian, scale = ">", 1e-9
    else:
        endian, scale = ">", 1e-6
    link = struct.unpack_from(endian + "I", data, 20)[0]
    if link != 1:
        raise ValueError(f"{path}: link type {link}, expected Ethernet")
    out = []
    off = 24
    hdr = struct.Struct(endian + "IIII")
    while off + 16 <= len(data):
        sec, frac, caplen, _ = hdr.unpack_from(data, off)
        off += 16
        pkt = data[off:off + caplen]
        off += caplen
        t = sec + frac * scale
        if len(pkt) < 14:
            continue
        etype = struct.unpack_from("!H", pkt, 12)[0]
        p = pkt[14:]
        if etype == 0x0800 and len(p) >= 20 and p[9] == 112:
            ihl = (p[0] & 0x0F) * 4
            v = p[ihl:]
            if len(v) >= 4:
                out.append(Frame(t, segment, "advert", ".".join(map(str, p[12:16])), v[1], v[2]))
        elif etype == 0x0806 and len(p) >= 28:
            spa, tpa = p[14:18], p[24:28]
            if spa == tpa:  # gratuitous
                out.append(Frame(t, segment, "garp", ".".join(map(str, spa))))
    return out


def read_all(pcaps: list[Path]) -> list[Frame]:
    frames = []
    for k, path in enumerate(pcaps):
        frames += read_pcap(path, k)
    frames.sort(key=lambda f: f.t)
    return frames


def node_of(addr: str) -> str:
    """h1 or h2 from an advert's source address (the hosts' automatic .0.1 / .0.2)."""
    return {"1": "h1", "2": "h2"}.get(addr.rsplit(".", 1)[1], "?") if addr.split(".")[2] == "0" \
        else "?"


def intervals(frames: list[Frame], node: str, start: float, end: float) -> list[float]:
    """Every advert interval of `node` (priority > 0) within [start, end], all VRIDs."""
    last: dict[tuple[int, int], float] = {}
    out = []
    for f in frames:
        if f.kind != "advert" or f.prio == 0 or node_of(f.src) != node or not start <= f.t <= end:
            continue
        key = (f.segment, f.vrid)
        if key in last:
            out.append(f.t - last[key])
        last[key] = f.t
    return out


@dataclasses.dataclass
class Takeover:
    gaps: dict  # (segment, vrid) -> first backup advert minus the master's last advert
    missing: list  # VRIDs the backup never advertised for
    last_expiry: float  # the latest (master's last advert + Master_Down_Interval)
    garp_after_last_expiry: float | None  # the last VIP's first GARP minus last_expiry
    garps_missing: int
    first_takeover: float | None


def takeover(frames: list[Frame], layout: Layout, killed_at: float) -> Takeover:
    """The mass takeover after the master was killed at `killed_at` (time.time())."""
    last_master: dict[tuple[int, int], float] = {}
    first_backup: dict[tuple[int, int], float] = {}
    first_garp: dict[str, float] = {}
    for f in frames:
        if f.kind == "advert":
            key = (f.segment, f.vrid)
            who = node_of(f.src)
            if who == "h1" and f.prio > 0 and f.t <= killed_at + 0.05:
                last_master[key] = f.t
            elif who == "h2" and f.prio > 0 and f.t > killed_at - 1.0 and key in last_master \
                    and f.t > last_master[key] and key not in first_backup:
                first_backup[key] = f.t
        elif f.kind == "garp" and f.t > killed_at and f.src not in first_garp:
            first_garp[f.src] = f.t
    gaps, missing = {}, []
    for i in range(layout.instances):
        key = layout.place(i)
        if key in first_backup and key in last_master:
            gaps[key] = first_backup[key] - last_master[key]
        else:
            missing.append(key)
    md = layout.master_down()
    last_expiry = max(last_master.values()) + md if last_master else 0.0
    vips = [vip(*layout.place(i)) for i in range(layout.instances)]
    garps = [first_garp[v] for v in vips if v in first_garp]
    return Takeover(gaps, missing, last_expiry,
                    (max(garps) - last_expiry) if garps and len(garps) == len(vips) else None,
                    len(vips) - len(garps), min(first_backup.values()) if first_backup else None)


def spurious_backup_adverts(frames: list[Frame], start: float, end: float) -> int:
    """VRIDs the backup (h2) advertised for within [start, end]: each a spurious takeover."""
    return len({(f.segment, f.vrid) for f in frames if f.kind == "advert" and f.prio > 0
                and node_of(f.src) == "h2" and start <= f.t <= end})


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(q / 100 * len(v)))]


def ns_pids(lab: Lab, host: str) -> list[int]:
    r = subprocess.run(["ip", "netns", "pids", lab.hosts[host].name], capture_output=True,
                       text=True, check=False)
    return [int(p) for p in r.stdout.split()]


def crash(lab: Lab, host: str = "h1") -> float:
    """Every process of `host` SIGKILLed, then its links cut; returns time.time() of the kill."""
    killed = time.time()
    for pid in ns_pids(lab, host):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    lab.hosts[host].cut_links()
    return killed


def wait_vips(host, count: int, timeout: float = 60) -> float:
    """Waits until `host` holds exactly `count` layout VIPs; returns time.time() then."""
    wait_for(lambda: vip_count(host) == count, timeout=timeout, interval=0.02,
             what=f"{count} VIPs on {host.short}")
    return time.time()
