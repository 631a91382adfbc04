"""virtual_routes / virtual_rules follow mastership; static_* stay while vigild runs."""

from __future__ import annotations

import signal

import pytest

from harness import wait_for

CONFIG = """
global_defs {
    default_interface eth0
}
static_ipaddress {
    192.168.77.%(me)d/24
}
static_routes {
    10.88.0.0/16 via 10.99.0.254 dev eth0
}
static_rules {
    to 10.66.0.0/16 table 200 preference 200
}
vrrp_instance VI_1 {
    interface eth0
    version 3
    virtual_router_id 51
    priority %(prio)d
    advert_int 0.1
    virtual_ipaddress {
        10.99.0.100/24
    }
    virtual_ipaddress_excluded {
        10.99.0.150/24
        fd00:77::1/64
    }
    virtual_routes {
        10.77.0.0/16 via 10.99.0.254 dev eth0
        src 10.99.0.100 to 10.78.0.0/16 via 10.99.0.254 table 100
        blackhole 10.79.0.0/16
    }
    virtual_rules {
        from 10.99.0.100/32 table 100 preference 100
    }
}
"""


def routes(host, *args) -> str:
    return host.run("ip", *args, check=False).stdout


def has_route(host, dst: str, table: str = "main") -> bool:
    return dst in routes(host, "route", "show", "table", table)


def has_rule(host, text: str) -> bool:
    return text in routes(host, "rule", "show")


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_virtual_routes_follow_the_master(lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    a = h1.start_vigild(CONFIG % {"me": 1, "prio": 200})
    b = h2.start_vigild(CONFIG % {"me": 2, "prio": 100})
    a.wait_log(r"Entering MASTER STATE", timeout=30)
    for n, h in ((1, h1), (2, h2)):  # statics on both nodes
        wait_for(lambda h=h, n=n: h.has_address(f"192.168.77.{n}/24"), what="static address")
        wait_for(lambda h=h: has_route(h, "10.88.0.0/16"), what="static route")
        wait_for(lambda h=h: has_rule(h, "to 10.66.0.0/16 lookup 200"), what="static rule")
    wait_for(lambda: has_route(h1, "10.77.0.0/16"), what="virtual route on the master")
    wait_for(lambda: has_route(h1, "10.78.0.0/16", "100"), what="virtual route in table 100")
    wait_for(lambda: has_route(h1, "blackhole 10.79.0.0/16"), what="blackhole route")
    wait_for(lambda: has_rule(h1, "from 10.99.0.100 lookup 100"), what="virtual rule")
    assert not has_route(h2, "10.77.0.0/16")
    assert not has_rule(h2, "from 10.99.0.100 lookup 100")
    # Excluded addresses move with the instance but are not advertised (a mixed family is fine).
    h1.wait_address("10.99.0.150")
    h1.wait_address("fd00:77::1")
    assert not h2.has_address("10.99.0.150")

    # Handover: the routes and rules move with the VIP.
    mark = b.log_mark()
    assert a.stop(signal.SIGTERM) == 0
    b.wait_log(r"Entering MASTER STATE", after=mark, timeout=30)
    wait_for(lambda: has_route(h2, "10.77.0.0/16"), what="virtual route on the new master")
    wait_for(lambda: has_rule(h2, "from 10.99.0.100 lookup 100"), what="rule on the new master")
    h2.wait_address("10.99.0.150")
    # The stopped node removed everything it had added, statics included.
    assert not has_route(h1, "10.77.0.0/16")
    assert not has_route(h1, "10.88.0.0/16")
    assert not has_rule(h1, "to 10.66.0.0/16 lookup 200")
    assert not has_rule(h1, "from 10.99.0.100 lookup 100")
    assert not h1.has_address("192.168.77.1")
    assert b.stop(signal.SIGTERM) == 0
    assert not has_route(h2, "10.77.0.0/16")
    assert not h2.has_address("192.168.77.2")
