"""Multipath routes (nexthop ..., keepalived's deprecated `or`), read back with `ip route`.

The first test runs keepalived's own sample ``keepalived.conf.vrrp.routes`` unchanged on a host
that has the interfaces and subnets it names.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from harness import wait_for

SAMPLE = Path("/usr/share/doc/keepalived/samples/keepalived.conf.vrrp.routes")


def show(host, *args) -> str:
    return host.run("ip", *args, check=False).stdout


def route(host, dst: str, *, v6: bool = False, table: str = "main") -> str:
    """`ip route show DST table T` on one line (multipath routes span several)."""
    fam = ["-6"] if v6 else []
    return " ".join(show(host, *fam, "route", "show", dst, "table", table).split())


def sample_host(lab):
    """h1 with eth0..eth3 on the subnets keepalived's routes sample uses (h1 is .1 on each).

    The sample reaches 192.168.200.254 through eth0 and through eth1: eth1 also gets the upper
    half of that subnet.
    """
    lab.add_lan("lan0", ipv4="192.168.200.0/24")
    lab.add_lan("lan1", ipv4="192.168.100.0/24")
    lab.add_lan("lan2", ipv4="192.168.0.0/24")
    lab.add_lan("lan3", ipv4="192.168.201.0/24")
    return lab.add_host("h1", lans=["lan0", "lan1", "lan2", "lan3"],
                        addrs={"eth1": ["192.168.200.129/25"]})


@pytest.mark.skipif(not SAMPLE.exists(), reason="keepalived's samples are not installed")
@pytest.mark.lab(lan=None)
def test_keepalived_routes_sample_runs(lab) -> None:
    h1 = sample_host(lab)
    d = h1.start_vigild(SAMPLE)
    d.wait_log(r"'or' for routes is deprecated: write 'nexthop via 192\.168\.100\.252 nexthop "
               r"via 192\.168\.100\.253'")
    d.wait_log(r"'gw' for routes is deprecated: write 'via'")
    # Statics while the daemon runs.
    wait_for(lambda: "192.168.209.0/24 via 192.168.200.254 dev eth0" in route(h1, "192.168.209.0/24"),
             what="static route with src")
    assert "src 192.168.100.1" in route(h1, "192.168.209.0/24")
    assert "dev eth3 scope site" in route(h1, "192.168.212.0/24")
    assert "dev eth1 scope link" in route(h1, "192.168.213.0/24")
    # The instance (state MASTER, priority 100) takes over after Master_Down_Interval.
    d.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=30)
    mp = "192.168.113.0/24"
    wait_for(lambda: "nexthop" in route(h1, mp), what="the multipath virtual route")
    text = route(h1, mp)
    assert re.search(r"nexthop via 192\.168\.100\.252 dev eth1 weight 1", text), text
    assert re.search(r"nexthop via 192\.168\.100\.253 dev eth1 weight 1", text), text
    assert "blackhole 192.168.113.1" in route(h1, "192.168.113.1")
    assert "default via 192.168.0.1 dev eth2" in route(h1, "default", table="100")
    assert "192.168.111.0/24 dev eth2" in route(h1, "192.168.111.0/24")
    assert "src 192.168.100.1" in route(h1, "192.168.109.0/24")
    assert "via 192.168.200.254 dev eth1" in route(h1, "192.168.110.0/24")
    assert "cannot add" not in d.log_text(), "every route of the sample is programmed"
    assert d.stop(signal.SIGTERM) == 0
    for dst in (mp, "192.168.209.0/24", "192.168.110.0/24"):
        assert route(h1, dst) == "", dst
    assert route(h1, "default", table="100") == ""


CONFIG = """
static_routes {
    10.50.0.0/16 nexthop via 10.99.0.252 dev eth0 weight 3 nexthop via 10.99.1.253 dev eth1
    10.51.0.0/16 via 10.99.0.252 dev eth0 or 10.99.0.253 metric 7
    10.52.0.0/16 nexthop via 10.200.0.1 dev eth1 onlink nexthop dev eth0
    fd00:50::/64 nexthop via fd00:99::252 dev eth0 nexthop via fd00:99::253 dev eth0 weight 256
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 7
    priority 255
    advert_int 1
    virtual_ipaddress {
        10.99.0.100/24
    }
    virtual_routes {
        10.60.0.0/16 table 60 nexthop via 10.99.0.252 nexthop via 10.99.1.252 weight 2
    }
}
"""


@pytest.mark.lab(lan=None)
def test_multipath_routes_are_one_kernel_route(lab) -> None:
    lab.add_lan("lan0", ipv4="10.99.0.0/24", ipv6="fd00:99::/64")
    lab.add_lan("lan1", ipv4="10.99.1.0/24")
    h1 = lab.add_host("h1", lans=["lan0", "lan1"])
    d = h1.start_vigild(CONFIG)
    wait_for(lambda: "nexthop" in route(h1, "10.50.0.0/16"), what="multipath static route")
    r = route(h1, "10.50.0.0/16")
    assert "nexthop via 10.99.0.252 dev eth0 weight 3" in r, r
    assert "nexthop via 10.99.1.253 dev eth1 weight 1" in r, r
    r = route(h1, "10.51.0.0/16")
    assert "metric 7" in r and "nexthop via 10.99.0.252 dev eth0" in r, r
    assert "nexthop via 10.99.0.253 dev eth0" in r, r  # `or` paths use the line's device
    r = route(h1, "10.52.0.0/16")
    assert "nexthop via 10.200.0.1 dev eth1 weight 1 onlink" in r, r
    assert "nexthop dev eth0 weight 1" in r, r
    wait_for(lambda: "nexthop" in route(h1, "fd00:50::/64", v6=True), what="IPv6 multipath")
    r = route(h1, "fd00:50::/64", v6=True)
    assert "nexthop via fd00:99::252 dev eth0 weight 1" in r, r
    assert "nexthop via fd00:99::253 dev eth0 weight 256" in r, r
    # The owner is master at once; its virtual route follows.
    d.wait_log(r"\(VI_1\) Entering MASTER STATE")
    wait_for(lambda: "nexthop" in route(h1, "10.60.0.0/16", table="60"), what="virtual route")
    r = route(h1, "10.60.0.0/16", table="60")
    assert "nexthop via 10.99.0.252 dev eth0 weight 1" in r, r
    assert "nexthop via 10.99.1.252 dev eth1 weight 2" in r, r
    assert "cannot add" not in d.log_text()
    assert d.stop(signal.SIGTERM) == 0
    assert route(h1, "10.50.0.0/16") == ""
    assert route(h1, "fd00:50::/64", v6=True) == ""
    assert route(h1, "10.60.0.0/16", table="60") == ""
