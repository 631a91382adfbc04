"""Gratuitous ARP and unsolicited NA frames built by vigil, judged by a real Linux kernel.

h1 sends with ``announce_tool`` (test/tools/announce_tool.cpp: vrrp::garp_frame,
vrrp::unsolicited_na_frame, sent by vrrp::io::Announcer); h2's neighbour table must learn the
virtual address with h1's MAC, and tcpdump on the bridge (when installed) must decode the frames
as an ARP announcement and a neighbor advertisement with a valid ICMPv6 checksum.

Linux learns from these frames in two ways, both tested:

* an existing entry (a client that knew the previous master) is overridden by any GARP and by
  an NA with the Override flag, with default sysctls: this is what failover relies on;
* a new entry is created only when the receiver opts in: ``arp_accept=1`` for ARP, and for NA
  ``accept_untracked_na=1`` together with IPv6 forwarding on the interface (RFC 9131, Linux 5.19+).

The tool is ``$ANNOUNCE_TOOL`` (default ``<repo>/build/test/announce_tool``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness import REPO_ROOT, Host, Lab, wait_for

VIP4 = "10.99.0.100"
VIP6 = "fd00:99::100"
STALE_MAC = "02:00:00:00:00:99"  # what h2 "knew" before the announcement
VMAC = "00:00:5e:00:01:33"       # VRRP virtual MAC of VRID 51 (RFC 5798 7.3)

pytestmark = pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24", ipv6="fd00:99::/64")


@pytest.fixture(scope="module")
def tool() -> str:
    path = os.environ.get("ANNOUNCE_TOOL") or str(REPO_ROOT / "build" / "test" / "announce_tool")
    if not os.access(path, os.X_OK):
        pytest.fail(f"announce_tool not found at {path} (ninja -C build test/announce_tool, "
                    "or set ANNOUNCE_TOOL)", pytrace=False)
    return path


def announce(host: Host, tool: str, *args: str, check: bool = True) -> dict[str, int]:
    """Run the tool in ``host``; returns its counters (sent, errors, first_sync, elapsed_us)."""
    cp = host.run(tool, "--ifname", "eth0", *args, check=check)
    m = re.search(r"sent=(\d+) errors=(\d+) first_sync=(\d) elapsed_us=(\d+)", cp.stdout)
    assert m, f"unexpected announce_tool output: {cp.stdout!r} {cp.stderr!r}"
    out = dict(zip(("sent", "errors", "first_sync", "elapsed_us"), map(int, m.groups())))
    out["returncode"] = cp.returncode
    out["stderr"] = cp.stderr  # type: ignore[assignment]
    return out


def neighbour(host: Host, addr: str) -> dict | None:
    """h's neighbour entry for ``addr`` on eth0 (``ip -j neigh`` dict), or None."""
    for entry in host.ip_json("neigh", "show", "to", addr, "dev", "eth0"):
        if entry.get("dst") == addr:
            return entry
    return None


def lladdr(host: Host, addr: str) -> str | None:
    entry = neighbour(host, addr)
    return entry.get("lladdr") if entry else None


def mac_of(host: Host) -> str:
    return host.link("eth0")["address"]


def sysctl_exists(host: Host, name: str) -> bool:
    path = "/proc/sys/" + name.replace(".", "/")
    return host.run("test", "-e", path, check=False).returncode == 0


def plant_stale_entry(host: Host, addr: str) -> None:
    host.ip("neigh", "replace", addr, "lladdr", STALE_MAC, "dev", "eth0", "nud", "stale")
    assert lladdr(host, addr) == STALE_MAC


def test_garp_overrides_a_known_neighbour(lab: Lab, tool: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    cap = lab.capture(filter="arp", required=False)
    plant_stale_entry(h2, VIP4)  # default arp_accept=0: existing entries are still updated
    out = announce(h1, tool, "--vip", VIP4)
    assert (out["sent"], out["errors"], out["first_sync"]) == (1, 0, 1)
    wait_for(lambda: lladdr(h2, VIP4) == mac_of(h1), timeout=5,
             what=f"h2 to learn {VIP4} at h1's MAC")
    if cap:
        # RFC 5227 announcement: a request with sender IP = target IP; 42 bytes, not padded.
        cap.wait_log(rf"{re.escape(mac_of(h1))} > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), "
                     rf"length 42: .*Request who-has {re.escape(VIP4)} tell {re.escape(VIP4)}, "
                     r"length 28")


def test_garp_creates_a_neighbour_with_arp_accept(lab: Lab, tool: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    h2.sysctl(**{"net.ipv4.conf.eth0.arp_accept": 1})
    assert neighbour(h2, VIP4) is None
    out = announce(h1, tool, "--vip", VIP4)
    assert out["sent"] == 1 and out["errors"] == 0
    wait_for(lambda: lladdr(h2, VIP4) == mac_of(h1), timeout=5,
             what=f"h2 to create a neighbour {VIP4} at h1's MAC")


def test_na_overrides_a_known_neighbour(lab: Lab, tool: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    cap = lab.capture(filter="icmp6", required=False)
    plant_stale_entry(h2, VIP6)  # default sysctls: the Override flag replaces the MAC
    out = announce(h1, tool, "--vip", VIP6, "--router")
    assert (out["sent"], out["errors"], out["first_sync"]) == (1, 0, 1)
    wait_for(lambda: lladdr(h2, VIP6) == mac_of(h1), timeout=5,
             what=f"h2 to learn {VIP6} at h1's MAC")
    if cap:
        # tcpdump checks the ICMPv6 checksum itself: "[icmp6 sum ok]".
        cap.wait_log(rf"{re.escape(mac_of(h1))} > 33:33:00:00:00:01, ethertype IPv6 .*"
                     r"hlim 255, next-header ICMPv6 \(58\) payload length: 32\) fe80::\S+ > "
                     rf"ff02::1: \[icmp6 sum ok\] ICMP6, neighbor advertisement, length 32, "
                     rf"tgt is {re.escape(VIP6)}, Flags \[router, override\]")
        cap.wait_log(r"destination link-address option \(2\), length 8 \(1\): "
                     + re.escape(mac_of(h1)))


@pytest.mark.parametrize("router", [True, False], ids=["router", "host"])
def test_na_creates_a_neighbour_when_untracked_nas_are_accepted(lab: Lab, tool: str,
                                                                router: bool) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    if not sysctl_exists(h2, "net.ipv6.conf.eth0.accept_untracked_na"):
        pytest.skip("this kernel has no accept_untracked_na (Linux < 5.19)")
    h2.sysctl(**{"net.ipv6.conf.eth0.forwarding": 1,
                 "net.ipv6.conf.eth0.accept_untracked_na": 1})
    assert neighbour(h2, VIP6) is None
    out = announce(h1, tool, "--vip", VIP6, *(["--router"] if router else []))
    assert out["sent"] == 1 and out["errors"] == 0
    entry = wait_for(lambda: (e := neighbour(h2, VIP6)) and e.get("lladdr") == mac_of(h1) and e,
                     timeout=5, what=f"h2 to create a neighbour {VIP6} at h1's MAC")
    assert ("router" in entry) == router, f"R flag not reflected: {entry}"


def test_virtual_mac_is_learned(lab: Lab, tool: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    plant_stale_entry(h2, VIP4)
    plant_stale_entry(h2, VIP6)
    out = announce(h1, tool, "--vip", VIP4, "--vip", VIP6, "--mac", VMAC)
    assert out["sent"] == 2 and out["errors"] == 0
    wait_for(lambda: lladdr(h2, VIP4) == VMAC and lladdr(h2, VIP6) == VMAC, timeout=5,
             what="h2 to learn both VIPs at the virtual MAC")


def test_burst_rounds_and_gap(lab: Lab, tool: str) -> None:
    h1 = lab.hosts["h1"]
    cap = lab.capture(filter="arp or icmp6", required=False)
    out = announce(h1, tool, "--vip", VIP4, "--vip", VIP6, "--rounds", "3", "--gap-ms", "100")
    assert (out["sent"], out["errors"], out["first_sync"]) == (6, 0, 1)
    assert out["elapsed_us"] >= 5 * 100_000, "frames were not spaced by the gap"
    if cap:
        arp = rf"Request who-has {re.escape(VIP4)} tell {re.escape(VIP4)}"
        na = rf"neighbor advertisement, length 32, tgt is {re.escape(VIP6)}"
        wait_for(lambda: len(cap.grep(arp)) == 3 and len(cap.grep(na)) == 3, timeout=5,
                 what="3 GARPs and 3 NAs on the bridge")
    # Without a gap every frame leaves inside the burst() call.
    out = announce(h1, tool, "--vip", VIP4, "--vip", VIP6, "--rounds", "2")
    assert (out["sent"], out["errors"], out["first_sync"]) == (4, 0, 1)


def test_send_failure_is_logged_and_counted(lab: Lab, tool: str) -> None:
    h1 = lab.hosts["h1"]
    h1.link_set("eth0", "down")
    ifindex = h1.link("eth0")["ifindex"]
    out = announce(h1, tool, "--vip", VIP4, "--rounds", "2", check=False)
    assert (out["returncode"], out["sent"], out["errors"]) == (1, 0, 2)
    assert f"gratuitous ARP send on eth0 (ifindex {ifindex}) failed: Network is down" \
        in out["stderr"], out["stderr"]
