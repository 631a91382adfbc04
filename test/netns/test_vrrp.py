"""VRRP against the real kernel: vigild with vigild, and with Debian's keepalived in both roles.

Each test runs one protocol mode with one pairing through the life of a virtual router:
election, a crash of the master (SIGKILL with its links cut, as a dead host), the old master's
return and preemption, and a graceful handover on SIGTERM. After every step the VIP must be on
exactly one live node, a client on the LAN must reach it, and the client's neighbour entry must
point at the new master's MAC (the gratuitous ARP / unsolicited NA did their job, and were seen
on the wire).
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass

import pytest

from harness import wait_for

LAN4 = "10.99.0.0/24"
LAN6 = "fd00:99::/64"


@dataclass(frozen=True)
class Mode:
    name: str
    version: int
    interval: str
    family: int
    unicast: bool = False
    auth: bool = False

    @property
    def vip(self) -> str:
        return "10.99.0.100" if self.family == 4 else "fd00:99::100"


MODES = [
    Mode("v2-1s-pass", 2, "1", 4, auth=True),
    Mode("v3-100ms", 3, "0.1", 4),
    Mode("v3-100ms-unicast", 3, "0.1", 4, unicast=True),
    Mode("v3-100ms-ipv6", 3, "0.1", 6),
]
PAIRINGS = ["vigild-vigild", "vigild-keepalived", "keepalived-vigild"]  # high-low priority


def config(mode: Mode, priority: int, me: str, peer: str) -> str:
    lines = [
        "vrrp_instance VI_1 {",
        "    interface eth0",
        f"    version {mode.version}",
        "    virtual_router_id 51",
        f"    priority {priority}",
        f"    advert_int {mode.interval}",
    ]
    if mode.auth:
        lines += ["    authentication {", "        auth_type PASS", "        auth_pass s3cret",
                  "    }"]
    if mode.unicast:
        lines += [f"    unicast_src_ip {me}", "    unicast_peer {", f"        {peer}", "    }"]
    lines.append("    virtual_ipaddress {")
    if mode.family == 4:
        lines.append("        10.99.0.100/24")
    else:
        lines += ["        fe80::51/64", "        fd00:99::100/64"]
    lines += ["    }", "}", ""]
    return "\n".join(lines)


class Node:
    """One VRRP router: a host and the daemon (vigild or keepalived) it runs."""

    def __init__(self, host, kind: str, mode: Mode, priority: int, peer_host) -> None:
        self.host = host
        self.kind = kind
        self.text = config(mode, priority, host.ipv4(), peer_host.ipv4())
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        # A fresh name per start: keepalived refuses to start over the pid files of a killed
        # predecessor whose child may not be reaped yet.
        name = f"{self.kind}{self.starts}"
        if self.kind == "vigild":
            self.proc = self.host.start_vigild(self.text, name=name)
        else:
            self.proc = self.host.start_keepalived(self.text, name=name, wait_ready=True)
        return self.proc

    @property
    def mac(self) -> str:
        return self.host.link("eth0")["address"]


def neighbour_mac(client, vip: str) -> str | None:
    for n in client.ip_json("neigh", "show", vip):
        if n.get("dst") == vip:
            return n.get("lladdr")
    return None


def assert_master(mode: Mode, client, master: Node, others: list[Node], capture=None,
                  mark=None) -> None:
    """The VIP is on `master` only, the client reaches it, and knows the master's MAC."""
    vip = mode.vip
    master.host.wait_address(vip, timeout=30)
    for o in others:
        o.host.wait_address(vip, present=False, timeout=30)
    if capture is not None:
        # keepalived puts ff:ff:ff:ff:ff:ff in the target MAC, vigil zeros (RFC 5227).
        pattern = (rf"Request who-has {vip} (\(ff:ff:ff:ff:ff:ff\) )?tell {vip}" if mode.family == 4
                   else rf"neighbor advertisement, (length \d+, )?tgt is {vip}")
        capture.wait_log(pattern, after=mark, timeout=30)
    wait_for(lambda: client.ping(vip, timeout=2), timeout=30, what=f"the client to reach {vip}")
    wait_for(lambda: neighbour_mac(client, vip) == master.mac, timeout=30,
             what=f"the client's neighbour entry for {vip} to be {master.host.short}'s MAC")


@pytest.mark.parametrize("pairing", PAIRINGS)
@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.name)
@pytest.mark.lab(hosts=3, ipv4=LAN4, ipv6=LAN6)
def test_vrrp_lifecycle(lab, mode: Mode, pairing: str) -> None:
    h1, h2, client = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    high_kind, low_kind = pairing.split("-")
    high = Node(h1, high_kind, mode, 200, h2)
    low = Node(h2, low_kind, mode, 100, h1)
    capture = lab.capture(filter="arp or icmp6", host=client)

    # 1. Election: the higher priority becomes master.
    low.start()
    high.start()
    high.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    assert_master(mode, client, high, [low])

    # 2. The master's host dies: SIGKILL, then its links go down.
    mark_low = low.proc.log_mark()
    mark_cap = capture.log_mark()
    high.proc.kill()
    h1.cut_links()
    low.proc.wait_log(r"Entering MASTER STATE", after=mark_low, timeout=30)
    assert_master(mode, client, low, [], capture, mark_cap)

    # 3. It comes back: a fresh daemon removes the VIP left behind and preempts.
    h1.restore_links()
    mark_low = low.proc.log_mark()
    mark_cap = capture.log_mark()
    high.start()
    high.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    low.proc.wait_log(r"Entering BACKUP STATE", after=mark_low, timeout=30)
    assert_master(mode, client, high, [low], capture, mark_cap)

    # 4. Graceful stop: priority 0, the backup takes over after Skew_Time.
    mark_low = low.proc.log_mark()
    mark_cap = capture.log_mark()
    code = high.proc.stop(signal.SIGTERM)
    assert code == 0, f"{high.kind} exited with {code} on SIGTERM"
    h1.wait_address(mode.vip, present=False)
    low.proc.wait_log(r"Entering MASTER STATE", after=mark_low, timeout=30)
    assert_master(mode, client, low, [], capture, mark_cap)
    assert low.proc.stop(signal.SIGTERM) == 0
    h2.wait_address(mode.vip, present=False)


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_state_dump_and_counters(lab) -> None:
    """SIGUSR1 logs each instance's state, priority, master and counters as JSON."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    a = Node(h1, "vigild", mode, 200, h2)
    b = Node(h2, "vigild", mode, 100, h1)
    a.start()
    b.start()
    a.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    wait_for(lambda: b.proc.grep(r"Entering BACKUP"), what="backup state")

    def dump() -> dict:
        mark = b.proc.log_mark()
        b.proc.signal(signal.SIGUSR1)
        return json.loads(b.proc.wait_log(r"state (\{.*\})$", after=mark).group(1))

    # The backup enters BACKUP at startup, before it has heard the master: ask until it has.
    state = wait_for(lambda: (s := dump())["vrrp"]["instances"][0]["master"] and s, timeout=30,
                     interval=0.2, what="the backup to know its master")
    (vi,) = state["vrrp"]["instances"]
    assert vi["name"] == "VI_1" and vi["state"] == "BACKUP"
    assert vi["priority"] == 100 and vi["master"] == h1.ipv4()
    assert vi["counters"]["adverts_rx"] > 0
    assert vi["master_down_interval_s"] == 0.360937  # 3 x 100 ms + 156/256 x 100 ms, in us
    (peer,) = vi["peers"]
    assert peer["address"] == h1.ipv4() and peer["last_priority"] == 200
    # vigild sends the RFC 5798 form by default, like keepalived.
    assert peer["checksum_rfc5798_pseudo_header"] > 0
    assert peer["checksum_rfc9568_message_only"] == 0


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_rfc9568_checksum_form_is_detected(lab) -> None:
    """A peer sending the RFC 9568 message-only checksum is accepted and recognised.

    (keepalived 2.2.7 cannot send that form; `v3_checksum_as_v2` arrived in 2.2.8. vigild
    sends it with the same keyword.)"""
    import json

    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    a = Node(h1, "vigild", mode, 200, h2)
    a.text = a.text.replace("    version 3\n", "    version 3\n    v3_checksum_as_v2\n")
    b = Node(h2, "vigild", mode, 100, h1)
    b.start()
    a.start()
    wait_for(lambda: h1.has_address(mode.vip), what="the RFC 9568 sender to become master")
    mark = b.proc.log_mark()
    b.proc.signal(signal.SIGUSR1)
    vi = json.loads(b.proc.wait_log(r"state (\{.*\})$", after=mark).group(1))["vrrp"]["instances"][0]
    assert vi["state"] == "BACKUP"
    (peer,) = vi["peers"]
    assert peer["checksum_rfc9568_message_only"] > 0
    assert peer["checksum_rfc5798_pseudo_header"] == 0


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_link_down_means_fault(lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    a = Node(h1, "vigild", mode, 200, h2)
    b = Node(h2, "vigild", mode, 100, h1)
    a.start()
    b.start()
    a.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    mark_a, mark_b = a.proc.log_mark(), b.proc.log_mark()
    h1.link_set("eth0", "down")
    a.proc.wait_log(r"Entering FAULT STATE", after=mark_a)
    b.proc.wait_log(r"Entering MASTER STATE", after=mark_b)
    h1.wait_address(mode.vip, present=False)
    mark_a = a.proc.log_mark()
    h1.link_set("eth0", "up")
    a.proc.wait_log(r"Entering BACKUP STATE \(fault cleared\)", after=mark_a)
    a.proc.wait_log(r"Entering MASTER STATE", after=mark_a, timeout=30)
    h2.wait_address(mode.vip, present=False)


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_stale_vip_removed_at_start(lab) -> None:
    """A VIP left by a crashed run is removed by a backup at start."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    a = Node(h1, "vigild", mode, 200, h2)
    a.start()
    a.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    h2.add_address("10.99.0.100/24")
    b = Node(h2, "vigild", mode, 100, h1)
    b.start()
    b.proc.wait_log(r"removing 10.99.0.100/24 left on the interface by a previous run")
    h2.wait_address(mode.vip, present=False)


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_adverts_for_other_vrids_are_counted(lab) -> None:
    """keepalived on VRID 52 next to vigild on VRID 51: vigild counts and drops its adverts."""
    import json

    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    other = Node(h1, "keepalived", mode, 200, h2)
    other.text = other.text.replace("virtual_router_id 51", "virtual_router_id 52").replace(
        "10.99.0.100/24", "10.99.0.101/24")
    other.start()
    ours = Node(h2, "vigild", mode, 100, h1)
    ours.start()
    ours.proc.wait_log(r"Entering MASTER STATE", timeout=30)  # alone on VRID 51
    wait_for(lambda: h1.has_address("10.99.0.101"), what="keepalived master on VRID 52")
    mark = ours.proc.log_mark()
    ours.proc.signal(signal.SIGUSR1)
    state = json.loads(ours.proc.wait_log(r"state (\{.*\})$", after=mark).group(1))["vrrp"]
    assert state["unmatched_drops"]["unknown_vrid"] > 0
    assert state["instances"][0]["counters"]["adverts_rx"] == 0


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_reload_keeps_unchanged_instances(lab) -> None:
    """SIGHUP with the same instance (and one more) does not touch the running master."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    mode = MODES[1]
    a = Node(h1, "vigild", mode, 200, h2)
    b = Node(h2, "vigild", mode, 100, h1)
    a.start()
    b.start()
    a.proc.wait_log(r"Entering MASTER STATE", timeout=30)
    conf = next(h1.lab.workdir.glob("h1-vigild1.conf"))
    extra = a.text.replace("VI_1", "VI_2").replace("virtual_router_id 51",
                                                    "virtual_router_id 52").replace(
        "10.99.0.100/24", "10.99.0.102/24")
    conf.write_text(a.text + extra)
    mark = a.proc.log_mark()
    a.proc.signal(signal.SIGHUP)
    a.proc.wait_log(r"configuration reloaded: 2 vrrp instance", after=mark)
    a.proc.wait_log(r"\(VI_2\) Entering MASTER STATE", after=mark, timeout=30)
    a.proc.assert_no_log(r"\(VI_1\) (Entering|Stopped)", after=mark)
    assert h1.has_address(mode.vip)
    assert not h2.has_address(mode.vip)


# Prints, as JSON, the first `want` VRRP frames of each IP version seen on eth0 (hex, whole
# frames from the Ethernet header on), or what it has after `limit` seconds.
SNIFF = r"""
import json, socket, sys, time
want, limit = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("eth0", 0))
s.settimeout(0.2)
got = {"4": [], "6": []}
end = time.monotonic() + limit
while time.monotonic() < end and min(len(v) for v in got.values()) < want:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    kind = f[12:14]
    if kind == b"\x08\x00" and f[23] == 112:
        got["4"].append(f.hex())
    elif kind == b"\x86\xdd" and f[20] == 112:
        got["6"].append(f.hex())
print(json.dumps({k: v[:want] for k, v in got.items()}))
"""


def ip_out_counters(host) -> tuple[int, int]:
    """The namespace's IPv4 OutRequests and IPv6 Ip6OutMcastPkts (the IP output path)."""
    snmp = host.run("cat", "/proc/net/snmp").stdout.splitlines()
    heads, values = [line.split() for line in snmp if line.startswith("Ip:")][:2]
    v4 = int(values[heads.index("OutRequests")])
    v6 = next(int(line.split()[1]) for line in host.run("cat", "/proc/net/snmp6").stdout.splitlines()
              if line.startswith("Ip6OutMcastPkts"))
    return v4, v6


@pytest.mark.lab(hosts=2, ipv4=LAN4, ipv6=LAN6)
def test_adverts_framed_at_the_link_layer_match_the_ip_path(lab) -> None:
    """Multicast adverts written at the link layer (the default) are the packets the kernel's
    IP path sends with --ip-output-adverts: the same Ethernet, IP and VRRP bytes but for the
    IPv4 identification and header checksum (and an IPv6 flow label), from the interface's
    MAC to the group's. The default mode really bypasses the IP output path (its counters
    stand still), and a keepalived backup accepts the framed adverts (test_vrrp_lifecycle)."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    conf = "\n".join([
        "vrrp_instance V4 {", "    interface eth0", "    version 3", "    virtual_router_id 51",
        "    priority 200", "    advert_int 0.1",
        "    virtual_ipaddress {", "        10.99.0.100/24", "    }", "}",
        "vrrp_instance V6 {", "    interface eth0", "    version 3", "    virtual_router_id 52",
        "    priority 200", "    advert_int 0.1",
        "    virtual_ipaddress {", "        fe80::52/64", "        fd00:99::100/64", "    }", "}", ""])
    mac = bytes.fromhex(h1.link("eth0")["address"].replace(":", ""))

    def frames(extra: list[str], name: str) -> tuple[dict, tuple[int, int]]:
        proc = h1.start_vigild(conf, extra_args=extra, name=name)
        proc.wait_log(r"\(V4\) Entering MASTER STATE", timeout=30)
        proc.wait_log(r"\(V6\) Entering MASTER STATE", timeout=30)
        before = ip_out_counters(h1)
        got = json.loads(h2.run("python3", "-c", SNIFF, "10", "20", timeout=60).stdout)
        after = ip_out_counters(h1)
        assert proc.stop() == 0
        return got, (after[0] - before[0], after[1] - before[1])

    link, link_out = frames([], "vigild-link")
    ip, ip_out = frames(["--ip-output-adverts"], "vigild-ip")
    for got in (link, ip):
        assert len(got["4"]) == 10 and len(got["6"]) == 10, got
    # Ten adverts of each family went out during each capture: the IP path counted them only
    # in its own mode.
    assert ip_out[0] >= 10 and ip_out[1] >= 10, ip_out
    assert link_out[0] < 5 and link_out[1] < 5, link_out

    def checksum(data: bytes) -> int:
        total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
        while total >> 16:
            total = (total & 0xffff) + (total >> 16)
        return total

    for mode in (link, ip):
        for f in map(bytes.fromhex, mode["4"]):
            assert f[0:6] == bytes.fromhex("01005e000012") and f[6:12] == mac
            hdr = f[14:34]
            assert hdr[0] == 0x45 and hdr[1] == 0xc0 and hdr[8] == 255 and hdr[9] == 112
            assert hdr[6] & 0x40  # DF, as the kernel sets it for a raw socket
            assert checksum(hdr) == 0xffff
            assert hdr[16:20] == bytes([224, 0, 0, 18])
        for f in map(bytes.fromhex, mode["6"]):
            assert f[0:6] == bytes.fromhex("333300000012") and f[6:12] == mac
            assert f[14] >> 4 == 6 and f[21] == 255 and f[38:54] == bytes.fromhex(
                "ff020000000000000000000000000012")

    def masked4(h: str) -> bytes:
        f = bytearray(bytes.fromhex(h))
        f[18:20] = b"\0\0"  # identification
        f[24:26] = b"\0\0"  # header checksum
        return bytes(f)

    def masked6(h: str) -> bytes:
        f = bytearray(bytes.fromhex(h))
        f[15] &= 0xf0  # flow label
        f[16:18] = b"\0\0"
        return bytes(f)

    assert {masked4(h) for h in link["4"]} == {masked4(h) for h in ip["4"]}
    assert {masked6(h) for h in link["6"]} == {masked6(h) for h in ip["6"]}
