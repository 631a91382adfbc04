"""VRRP at scale, the CI smoke of bench/scale: 100 VRRPv3 instances at 0.1 s on 4 segments.

vigild on both routers (h1 priority 150, h2 priority 100). Asserts behaviour, not speed: the
VIPs are on exactly one node, the master's crash hands every VRID to the backup, none before
its Master_Down_Interval, and the master's return takes every VRID back.
"""

from __future__ import annotations

import time

import pytest

import scale
from harness import wait_for
from scale import BACKUP_PRIO, MASTER_PRIO, Layout

LAYOUT = Layout(100)
# The captures stamp packets on the bridge, a little before the backup's socket gets them:
# a takeover can look this much early without being early.
STAMP_SLACK = 0.0005


@pytest.mark.lab(hosts=0, lan=None)
def test_100_instances_fail_over_and_back(lab):
    scale.build(lab, LAYOUT)
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    n = LAYOUT.instances
    h1.start_vigild(LAYOUT.config(MASTER_PRIO), name="vigild-m", extra_args=["--log-level", "info"])
    scale.wait_vips(h1, n)
    backup = h2.start_vigild(LAYOUT.config(BACKUP_PRIO), name="vigild-b",
                             extra_args=["--log-level", "info"])
    caps = scale.start_captures(lab, LAYOUT)
    time.sleep(2.0)  # 20 adverts of every VRID
    assert (scale.vip_count(h1), scale.vip_count(h2)) == (n, 0), "VIPs on exactly one node"

    killed = scale.crash(lab, "h1")
    scale.wait_vips(h2, n, timeout=30)
    time.sleep(1.5)  # tcpdump hands over a partly filled ring block after 1 s
    frames = scale.read_all(scale.stop_captures(caps))

    assert scale.spurious_backup_adverts(frames, killed - 1.5, killed) == 0, \
        "the backup advertised while the master was alive"
    to = scale.takeover(frames, LAYOUT, killed)
    assert not to.missing, f"VRIDs never taken over: {to.missing}"
    md = LAYOUT.master_down()
    early = {k: round(g * 1000, 3) for k, g in to.gaps.items() if g < md - STAMP_SLACK}
    assert not early, f"taken over before Master_Down_Interval ({md * 1000:.3f} ms): {early}"
    assert to.garps_missing == 0, "every new master announces its VIP"
    assert backup.grep(r"Entering MASTER STATE") and len(
        backup.grep(r"Entering MASTER STATE")) == n

    # The master comes back (its crash left its VIPs behind): it clears them, waits as a
    # backup, then preempts every VRID; the VIPs end on h1 only.
    h1.restore_links()
    h1.start_vigild(LAYOUT.config(MASTER_PRIO), name="vigild-m2",
                    extra_args=["--log-level", "info"])
    wait_for(lambda: (scale.vip_count(h1), scale.vip_count(h2)) == (n, 0), timeout=30,
             what="every VIP back on h1 and none on h2")
    time.sleep(1.0)
    assert (scale.vip_count(h1), scale.vip_count(h2)) == (n, 0)
