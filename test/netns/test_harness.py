"""Self-tests of the netns harness: topology, isolation, cleanup paths, keepalived, reports."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness
from harness import Lab, keepalived_path, list_namespaces, wait_for

HERE = Path(__file__).resolve().parent


def _gone_or_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _root_links() -> set[str]:
    return {link["ifname"] for link in json.loads(
        subprocess.run(["ip", "-j", "link"], capture_output=True, text=True,
                       check=True).stdout)}


def test_nothing_is_created_in_the_root_namespace(tmp_path: Path) -> None:
    before = _root_links()
    monitor = subprocess.Popen(["ip", "-o", "monitor", "link"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)  # let the monitor subscribe
        with Lab(hosts=2, workdir=tmp_path) as lab:
            lab.add_lan("lan1")
            lab.add_host("h3", lans=["lan0", "lan1"])
            lab.hosts["h1"].connect("lan1")
            during = _root_links()
            ours = {lan.bridge for lan in lab.lans.values()} | {
                p.switch_dev for h in lab.hosts.values() for p in h.ports}
        time.sleep(0.3)
    finally:
        monitor.terminate()
        events = monitor.communicate(timeout=10)[0]
    assert not (during - before) & ours, f"lab links in the root namespace: {during - before}"
    suspicious = [line for line in events.splitlines()
                  if re.search(r"\beth\d+@|\bbr-lan|\bh\d-e\d", line)]
    assert not suspicious, "links appeared in the root namespace:\n" + "\n".join(suspicious)


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_hosts_on_several_lans(lab: Lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    lab.add_lan("lan1", ipv4="10.99.1.0/24", ipv6="fd00:99:1::/64")
    router = lab.add_host("r", lans=["lan0", "lan1"], addrs={"lan1": ["10.99.1.254/24"]})
    h3 = lab.add_host("h3", lans=["lan1"])
    assert (router.dev("lan0"), router.dev("lan1"), h3.dev()) == ("eth0", "eth1", "eth0")
    assert (router.ipv4("lan0"), router.ipv4("lan1"), h3.ipv4()) == (
        "10.99.0.3", "10.99.1.1", "10.99.1.2")
    assert router.has_address("10.99.1.254/24", dev="eth1")
    assert router.ping(h1.ipv4()) and router.ping(h3.ipv4()) and router.ping(h3.ipv6("lan1"))
    port = h2.connect("lan1")
    assert port.dev == "eth1" and h2.ipv4("lan1") == "10.99.1.3"
    assert h2.ping(h3.ipv4())
    # The LANs are separate broadcast domains: same subnet on both, no connectivity.
    h1.add_address("192.168.77.1/24", "eth0")
    h3.add_address("192.168.77.3/24", "eth0")
    assert not h1.ping("192.168.77.3", timeout=1), "traffic leaked between LANs"


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_cut_and_restore_links(lab: Lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    assert h1.ping(h2.ipv4())

    def carrier() -> bool:
        return "NO-CARRIER" not in h2.link("eth0")["flags"]

    h2.cut_links()
    wait_for(lambda: not carrier(), what="h2 to lose carrier")
    assert not h1.ping(h2.ipv4(), timeout=1), "h2 reachable after cut_links()"
    h2.restore_links()
    wait_for(carrier, what="h2 carrier back")
    wait_for(lambda: h1.ping(h2.ipv4(), timeout=1), what="h2 reachable again")

    h2.cut_links(keep_carrier=True)
    assert carrier(), "keep_carrier=True dropped carrier"
    assert not h1.ping(h2.ipv4(), timeout=1), "h2 reachable after cut_links(keep_carrier)"
    h2.restore_links()
    wait_for(lambda: h1.ping(h2.ipv4(), timeout=1), what="h2 reachable again")


KEEPALIVED_CONFIG = """\
global_defs {{
    router_id {name}
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        10.99.0.100/24
    }}
}}
"""


@pytest.mark.skipif(keepalived_path() is None, reason="keepalived is not installed")
@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_keepalived_failover_across_the_lab(lab: Lab) -> None:
    """Proves VRRP multicast crosses the bridge and that several keepalived can run at once."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    vip = "10.99.0.100"
    cap = lab.capture(filter="vrrp", required=False)
    k1 = h1.start_keepalived(KEEPALIVED_CONFIG.format(name="h1", prio=200), wait_ready=True)
    k2 = h2.start_keepalived(KEEPALIVED_CONFIG.format(name="h2", prio=100), wait_ready=True)
    k1.wait_log(r"\(VI_1\) Entering MASTER STATE")
    h1.wait_address(vip)
    if cap:
        cap.wait_log(r"VRRPv2, Advertisement, vrid 51, prio 200")
    assert not h2.has_address(vip)
    k2.assert_no_log(r"Entering MASTER")

    mark = k2.log_mark()
    h1.cut_links()  # h1 "crashes": h2 stops hearing adverts and takes over
    k2.wait_log(r"\(VI_1\) Entering MASTER STATE", after=mark)
    h2.wait_address(vip)

    mark = k2.log_mark()
    h1.restore_links()  # h1 comes back with the higher priority and preempts
    k2.wait_log(r"\(VI_1\) Entering BACKUP STATE", after=mark)
    h2.wait_address(vip, present=False)
    h1.wait_address(vip)

    assert k1.stop() == 0
    assert k2.stop() == 0
    assert not h1.has_address(vip), "keepalived left its VIP behind"


def test_sweep_removes_namespaces_of_dead_runs(tmp_path: Path) -> None:
    run_id, state_file = harness._claim_run_id()
    state_file.write_text(json.dumps({"pid": os.getpid(), "start_time": "0"}))  # dead owner
    stale_ns = f"vt{run_id}-h1"
    sleeper = None
    try:
        subprocess.run(["ip", "netns", "add", stale_ns], check=True)
        sleeper = subprocess.Popen(["ip", "netns", "exec", stale_ns, "sleep", "1000"],
                                   start_new_session=True)
        wait_for(lambda: harness._ns_pids(stale_ns), what="the stale sleep to start")
        with Lab(hosts=1, workdir=tmp_path) as live:
            removed = harness.sweep_stale()
            assert removed == [stale_ns]
            assert set(live.namespaces) <= set(list_namespaces()), "sweep removed a live lab"
        assert sleeper.wait(timeout=10) == -signal.SIGKILL
        assert stale_ns not in list_namespaces()
        assert not state_file.exists()
    finally:
        if sleeper is not None and sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()
        subprocess.run(["ip", "netns", "del", stale_ns], capture_output=True)
        state_file.unlink(missing_ok=True)


LAB_SCRIPT = """\
import sys, time
sys.path.insert(0, {here!r})
import harness
lab = harness.Lab(hosts=1).start()
proc = lab.hosts["h1"].start(["sleep", "1000"])
print(lab.prefix, proc.pid, lab.workdir, flush=True)
time.sleep(1000)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_to_the_test_process_cleans_up(sig: int) -> None:
    child = subprocess.Popen([sys.executable, "-c", LAB_SCRIPT.format(here=str(HERE))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    prefix = None
    try:
        ready, _, _ = select.select([child.stdout], [], [], harness.DEFAULT_TIMEOUT)
        assert ready, "the lab script did not start"
        prefix, pid, workdir = child.stdout.readline().split()
        assert f"{prefix}-h1" in list_namespaces()
        child.send_signal(sig)
        stderr = child.communicate(timeout=30)[1]
        assert "KeyboardInterrupt" in stderr, stderr
        assert not [ns for ns in list_namespaces() if ns.startswith(prefix + "-")]
        assert _gone_or_zombie(int(pid))
        assert not Path(workdir).exists()
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
        if prefix:
            for ns in list_namespaces():
                if ns.startswith(prefix + "-"):
                    harness._delete_namespace(ns)


INNER_TESTS = """\
import pytest

@pytest.mark.lab(hosts=1)
def test_fails(lab):
    proc = lab.hosts["h1"].start(["sh", "-c", "echo inner-daemon-says-hello; exec sleep 1000"],
                                 name="chatty")
    proc.wait_log("inner-daemon-says-hello")
    assert False, "deliberate failure"

def test_passes(lab):
    lab.add_host().start(["sh", "-c", "echo quiet-daemon-line; exec sleep 1000"]).wait_log("quiet")
"""


def test_failure_report_shows_process_logs(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    for name in ("harness.py", "conftest.py", "pytest.ini"):
        shutil.copy(HERE / name, inner / name)
    (inner / "test_inner.py").write_text(INNER_TESTS)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cp = subprocess.run([sys.executable, "-m", "pytest", "-q", f"--basetemp={tmp_path / 'tmp'}",
                         str(inner)], cwd=inner, capture_output=True, text=True, timeout=120,
                        env=env)
    out = cp.stdout
    assert cp.returncode == 1, out + cp.stderr
    assert "1 failed, 1 passed" in out, out
    assert re.search(r"process log: vt[0-9a-f]{4} h1-chatty \(pid \d+", out), out
    assert re.search(r"\] inner-daemon-says-hello", out), out
    assert "quiet-daemon-line" not in out, "logs of a passing test were printed"
