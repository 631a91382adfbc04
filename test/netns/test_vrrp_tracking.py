"""Tracking: vrrp_script weights and timeouts, track_file, sync groups (real kernel, real peers)."""

from __future__ import annotations

import re
import time

import pytest

from harness import vigild_state as state, wait_for

VIP = "10.99.0.100"


def instance(prio: int, extra: str = "", version: int = 3, interval: str = "0.1") -> str:
    return f"""
vrrp_instance VI_1 {{
    interface eth0
    version {version}
    virtual_router_id 51
    priority {prio}
    advert_int {interval}
{extra}
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""


def instance_state(proc, name: str = "VI_1") -> dict:
    for i in state(proc)["vrrp"]["instances"]:
        if i["name"] == name:
            return i
    raise AssertionError(f"no instance {name}")


@pytest.mark.lab(hosts=3, ipv4="10.99.0.0/24")
def test_script_weight_moves_mastership(lab, tmp_path) -> None:
    """A vrrp_script whose exit code the test flips moves mastership among two vigild nodes
    and a keepalived node: h1 100 + 50 while its check passes, h2 120, keepalived 110."""
    h1, h2, h3 = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    flag = tmp_path / "h1-check-fails"
    script = f"""
vrrp_script chk {{
    script "/bin/sh -c 'test ! -e {flag}'"
    interval 0.2
    weight 50
    rise 1
    fall 1
}}
"""
    a = h1.start_vigild(script + instance(100, "    track_script {\n        chk\n    }"))
    b = h2.start_vigild(instance(120))
    k = h3.start_keepalived(instance(110), wait_ready=True)
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 (100 + 50) to be master")
    wait_for(lambda: instance_state(a)["priority"] == 150, what="h1's effective priority 150")
    assert instance_state(a)["configured_priority"] == 100
    assert not h2.has_address(VIP) and not h3.has_address(VIP)

    mark_a, mark_b = a.log_mark(), b.log_mark()
    flag.write_text("fail\n")
    a.wait_log(r"VRRP_Script\(chk\) failed \(exited with status 1", after=mark_a)
    a.wait_log(r"effective priority 150 -> 100", after=mark_a)
    b.wait_log(r"Entering MASTER STATE", after=mark_b, timeout=30)
    wait_for(lambda: h2.has_address(VIP) and not h1.has_address(VIP), timeout=30,
             what="the VIP to move to h2 (120 > keepalived's 110 > h1's 100)")
    assert not h3.has_address(VIP)
    assert instance_state(a)["priority"] == 100

    mark_a = a.log_mark()
    flag.unlink()
    a.wait_log(r"VRRP_Script\(chk\) succeeded", after=mark_a)
    a.wait_log(r"Entering MASTER STATE", after=mark_a, timeout=30)
    wait_for(lambda: h1.has_address(VIP) and not h2.has_address(VIP), timeout=30,
             what="h1 to preempt back at 150")
    assert k.running


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_hanging_script_is_killed_and_adverts_keep_time(lab, tmp_path) -> None:
    """A script that hangs is killed at its timeout (a failure); the master's adverts keep
    their interval meanwhile (measured on the wire)."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    marker = tmp_path / "hang-started"
    script = f"""
vrrp_script hang {{
    script "/bin/sh -c 'echo $$ >> {marker}; sleep 100'"
    interval 0.3
    timeout 0.5
    weight -10
    fall 1
}}
"""
    a = h1.start_vigild(script + instance(200, "    track_script {\n        hang\n    }"))
    h2.start_vigild(instance(100))
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 master")
    cap = h2.start(["tcpdump", "-i", "eth0", "-n", "-tt", "-l", "ip proto 112 and src 10.99.0.1"],
                   name="adverts")
    cap.wait_log(r"listening on")
    # (the first run may time out before the capture is up: its line is looked for from the start)
    a.wait_log(r"VRRP_Script\(hang\) failed \(timed out", timeout=30)
    wait_for(lambda: instance_state(a)["priority"] == 190, what="priority 200 - 10")
    time.sleep(3)  # several more hung runs, each killed
    cap.stop()
    # Every hung script was killed: no sleeper of ours is left.
    pids = [int(p) for p in marker.read_text().split()]
    assert len(pids) >= 3
    for pid in pids[:-1]:
        wait_for(lambda pid=pid: not _alive(pid), what=f"script {pid} to be killed")
    stamps = [float(m.group(1)) for m in
              (re.match(r"^(\d+\.\d+) IP 10\.99\.0\.1 > ", line) for line in cap.log_lines())
              if m]
    assert len(stamps) > 20, cap.log_text()[-2000:]
    gaps = [b - a_ for a_, b in zip(stamps, stamps[1:])]
    worst = max(gaps)
    print(f"worst advert gap while scripts hang: {worst * 1000:.3f} ms over {len(gaps)} gaps")
    # The interval is 100 ms; a loop blocked by a script would show a 500 ms gap.
    assert worst < 0.150, f"an advert came {worst * 1000:.1f} ms after the previous one"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_track_file_value_times_weight(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    f = tmp_path / "prio-adjust"
    f.write_text("0\n")
    conf = f"""
track_file adjust {{
    file {f}
    weight 10
}}
""" + instance(150, "    track_file {\n        adjust\n    }")
    a = h1.start_vigild(conf)
    h2.start_vigild(instance(120))
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 master at 150")
    mark = a.log_mark()
    f.write_text("-5\n")  # 150 - 50 = 100 < 120
    a.wait_log(r"track_file adjust .* now holds -5", after=mark)
    a.wait_log(r"effective priority 150 -> 100", after=mark)
    wait_for(lambda: h2.has_address(VIP), timeout=30, what="h2 to take over")
    f.write_text("3\n")  # 180
    wait_for(lambda: instance_state(a)["priority"] == 180, what="priority 150 + 30")
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 to take the VIP back")


SYNC = """
vrrp_sync_group G {{
    group {{
        VI_A
        VI_B
    }}
}}
vrrp_instance VI_A {{
    interface eth0
    version 3
    virtual_router_id 61
    priority {prio}
    advert_int 0.1
    virtual_ipaddress {{
        10.99.0.100/24
    }}
}}
vrrp_instance VI_B {{
    interface eth0
    version 3
    virtual_router_id 62
    priority {prio}
    advert_int 0.1
    track_interface {{
        eth1
    }}
    virtual_ipaddress {{
        10.99.0.101/24
    }}
}}
"""


@pytest.mark.lab(hosts=0, ipv4="10.99.0.0/24")
def test_sync_group_fails_over_together(lab) -> None:
    lab.add_lan("lan1", ipv4="10.98.0.0/24")
    h1 = lab.add_host("h1", lans=["lan0", "lan1"])
    h2 = lab.add_host("h2", lans=["lan0", "lan1"])
    a = h1.start_vigild(SYNC.format(prio=200))
    b = h2.start_vigild(SYNC.format(prio=100))
    both = ("10.99.0.100", "10.99.0.101")
    wait_for(lambda: all(h1.has_address(v) for v in both), timeout=30, what="h1 master of both")
    mark_a, mark_b = a.log_mark(), b.log_mark()
    h1.link_set("eth1", "down")  # only VI_B's tracked interface fails...
    a.wait_log(r"\(VI_B\) Entering FAULT STATE \(track_interface eth1 is down", after=mark_a)
    a.wait_log(r"\(VI_A\) Entering FAULT STATE \(sync group G is in FAULT\)", after=mark_a)
    # ...and both addresses move to h2 together.
    wait_for(lambda: all(h2.has_address(v) for v in both), timeout=30, what="h2 master of both")
    assert not any(h1.has_address(v) for v in both)
    b.wait_log(r"\(VI_A\) Entering MASTER STATE", after=mark_b)
    b.wait_log(r"\(VI_B\) Entering MASTER STATE", after=mark_b)
    h1.link_set("eth1", "up")
    wait_for(lambda: all(h1.has_address(v) for v in both), timeout=30,
             what="h1 to take both back")
    wait_for(lambda: not any(h2.has_address(v) for v in both), what="h2 to release both")
