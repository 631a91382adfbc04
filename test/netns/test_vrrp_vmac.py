"""use_vmac: the VIP moves with the virtual MAC 00:00:5e:00:01:VRID."""

from __future__ import annotations

import signal

import pytest

from harness import wait_for

VIP = "10.99.0.100"
VMAC = "00:00:5e:00:01:33"  # VRID 51

CONFIG = """
vrrp_instance VI_1 {
    interface eth0
    version 3
    virtual_router_id 51
    priority %d
    advert_int 0.1
    use_vmac
    virtual_ipaddress {
        10.99.0.100/24
    }
}
"""


def neighbour_mac(client, vip: str) -> str | None:
    for n in client.ip_json("neigh", "show", vip):
        if n.get("dst") == vip:
            return n.get("lladdr")
    return None


@pytest.mark.lab(hosts=3, ipv4="10.99.0.0/24")
def test_vip_moves_with_the_virtual_mac(lab) -> None:
    h1, h2, client = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    a = h1.start_vigild(CONFIG % 200)
    b = h2.start_vigild(CONFIG % 100)
    a.wait_log(r"Entering MASTER STATE", timeout=30)
    for h in (h1, h2):
        wait_for(lambda h=h: h.link("vrrp.51")["address"] == VMAC, what="VMAC vrrp.51")
    h1.wait_address(VIP, dev="vrrp.51")
    assert not h2.has_address(VIP)
    wait_for(lambda: client.ping(VIP, timeout=2), timeout=30, what="the client to reach the VIP")
    assert neighbour_mac(client, VIP) == VMAC
    # The host's own address still answers with the real MAC (arp_ignore on both links).
    client.run("ip", "neigh", "flush", "dev", "eth0")
    assert client.ping(h1.ipv4(), timeout=5)
    assert neighbour_mac(client, h1.ipv4()) == h1.link("eth0")["address"]

    mark = b.log_mark()
    a.kill()
    h1.cut_links()
    b.wait_log(r"Entering MASTER STATE", after=mark, timeout=30)
    h2.wait_address(VIP, dev="vrrp.51")
    wait_for(lambda: client.ping(VIP, timeout=2), timeout=30, what="the client to reach the VIP")
    # Same virtual MAC: the client's entry did not have to change.
    assert neighbour_mac(client, VIP) == VMAC
    assert b.stop(signal.SIGTERM) == 0
    wait_for(lambda: not any(l["ifname"] == "vrrp.51" for l in h2.links()),
             what="the VMAC to be removed at stop")
