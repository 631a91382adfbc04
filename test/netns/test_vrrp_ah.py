"""VRRPv2 with `authentication { auth_type AH }` between vigild and keepalived 2.2.7."""

from __future__ import annotations

import signal

import pytest

from harness import wait_for

VIP = "10.99.0.100"


def config(prio: int, key: str) -> str:
    return f"""
vrrp_instance VI_1 {{
    interface eth0
    version 2
    virtual_router_id 51
    priority {prio}
    advert_int 1
    authentication {{
        auth_type AH
        auth_pass {key}
    }}
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""


@pytest.mark.parametrize("vigild_is_master", [True, False])
@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_ah_election_and_failover_with_keepalived(lab, vigild_is_master: bool) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    if vigild_is_master:
        high = h1.start_vigild(config(200, "secret12"))
        low = h2.start_keepalived(config(100, "secret12"), wait_ready=True)
    else:
        low = h2.start_vigild(config(100, "secret12"))
        high = h1.start_keepalived(config(200, "secret12"), wait_ready=True)
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="the priority-200 node to be master")
    # The backup accepts the master's AH adverts: it stays backup for several intervals.
    for _ in range(5):
        wait_for(lambda: not h2.has_address(VIP), timeout=2, what="the backup to stay backup")
    assert not low.grep(r"IPSEC|IPsec AH"), "the backup dropped authenticated adverts"
    mark = low.log_mark()
    assert high.stop(signal.SIGTERM) == 0
    low.wait_log(r"Entering MASTER STATE", after=mark, timeout=30)
    wait_for(lambda: h2.has_address(VIP), timeout=30, what="the backup to take over")


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_ah_wrong_key_is_rejected_on_both_sides(lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    v = h1.start_vigild(config(200, "secret12"))
    k = h2.start_keepalived(config(100, "other-12"), wait_ready=True)
    # Neither accepts the other's adverts, so both end up master (the cost of AH, RFC 3768 10).
    k.wait_log(r"invalid IPSEC HMAC-MD5 value", timeout=30)
    v.wait_log(r"IPsec AH: dropped an advert from 10\.99\.0\.2: bad_icv", timeout=30)
    wait_for(lambda: h1.has_address(VIP) and h2.has_address(VIP), timeout=30,
             what="both to be master")
