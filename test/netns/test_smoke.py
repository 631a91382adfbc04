"""Foundation smoke tests: vigild starts and stops in namespaces, and the lab itself works."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from harness import Lab, list_namespaces, wait_for

MINIMAL_CONFIG = """\
global_defs {{
    router_id {name}
}}
"""


def _in_namespace(pid: int, ns: str) -> bool:
    return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino


def test_vigild_starts_and_stops_in_two_namespaces(tmp_path: Path) -> None:
    with Lab(hosts=2, ipv4="10.99.0.0/24", workdir=tmp_path) as lab:
        namespaces = lab.namespaces
        assert set(namespaces) <= set(list_namespaces())
        procs = [host.start_vigild(MINIMAL_CONFIG.format(name=f"node-{host.short}"),
                                   wait_ready=False)
                 for host in lab.hosts.values()]
        for proc in procs:
            proc.wait_log(r"vigild ready")
        for host, proc in zip(lab.hosts.values(), procs):
            assert proc.running
            assert _in_namespace(proc.pid, host.name), f"{proc.name} runs in the wrong netns"
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
            assert b"--config" in cmdline, f"pid {proc.pid} is not vigild itself: {cmdline}"
        for proc in procs:
            mark = proc.log_mark()
            code = proc.stop(signal.SIGTERM)
            assert code == 0, f"{proc.name} exited with status {code} on SIGTERM"
            assert not proc.killed
            proc.wait_log(r"vigild stopped", after=mark, timeout=0)  # output is complete
    assert not set(namespaces) & set(list_namespaces()), "namespaces left after the lab"


def test_lab_cleans_up_after_an_exception(tmp_path: Path) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with Lab(hosts=2, workdir=tmp_path) as lab:
            namespaces = lab.namespaces
            sleeper = lab.hosts["h1"].start(["sleep", "1000"])
            # A process the lab did not start itself, detached into its own session.
            pidfile = tmp_path / "escaped.pid"
            lab.hosts["h2"].run("setsid", "-f", "sh", "-c", f"echo $$ > {pidfile}; "
                                "exec sleep 1000 </dev/null >/dev/null 2>&1")
            escaped = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                                   what="the detached sleep to start"))
            assert sleeper.running
            raise Boom()
    assert sleeper.exit_code == -signal.SIGTERM
    assert not Path(f"/proc/{sleeper.pid}").exists()

    def gone_or_zombie(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    wait_for(lambda: gone_or_zombie(escaped), timeout=5, what="the detached sleep to die")
    assert not set(namespaces) & set(list_namespaces()), "namespaces left after the lab"


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24", ipv6="fd00:99::/64")
def test_hosts_reach_each_other_across_the_bridge(lab: Lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    assert h1.ipv4() == "10.99.0.1" and h2.ipv4() == "10.99.0.2"
    assert h1.has_address("10.99.0.1/24") and h1.has_address("fd00:99::1", dev="eth0")
    assert not h1.has_address("10.99.0.2")
    assert not [a for a in h1.addresses() if "tentative" in a.flags], "DAD is not disabled"
    assert h1.ping("10.99.0.2", timeout=5), "h1 cannot ping h2 over IPv4"
    assert h2.ping("10.99.0.1", timeout=5), "h2 cannot ping h1 over IPv4"
    assert h1.ping("fd00:99::2", timeout=5), "h1 cannot ping h2 over IPv6"
    assert not h1.ping("10.99.0.3", timeout=1), "a ping to a missing host succeeded"


@pytest.mark.lab(hosts=1)
def test_wait_log_after_mark_waits_for_the_next_line(lab: Lab) -> None:
    proc = lab.hosts["h1"].start(
        ["sh", "-c", 'n=0; trap \'n=$((n+1)); echo "tick $n"\' USR1; echo ready; '
                     "while :; do sleep 0.05; done"], name="ticker")
    proc.wait_log(r"^ready$")
    proc.signal(signal.SIGUSR1)
    first = proc.wait_log(r"^tick (\d+)$")
    assert first.group(1) == "1"
    # Without a mark, old lines match at once; after a mark, only new ones do.
    assert proc.wait_log(r"^tick", timeout=0).index == first.index
    mark = proc.log_mark()
    with pytest.raises(AssertionError, match="timed out"):
        proc.wait_log(r"^tick", after=mark, timeout=0.3)
    proc.signal(signal.SIGUSR1)
    second = proc.wait_log(r"^tick (\d+)$", after=mark)
    assert second.group(1) == "2" and second.index > first.index
    assert proc.wait_log(r"^tick", after=first.mark).index == second.index
    assert len(proc.grep(r"^tick")) == 2
    assert proc.log_text().splitlines() == ["ready", "tick 1", "tick 2"]
    assert proc.stop() == -signal.SIGTERM  # sh does not trap TERM


@pytest.mark.lab(hosts=1)
def test_wait_log_fails_fast_when_the_process_exits(lab: Lab) -> None:
    proc = lab.hosts["h1"].start(["sh", "-c", "echo hello; exit 3"], name="short")
    with pytest.raises(AssertionError, match=r"output ended \(exit code 3\)"):
        proc.wait_log(r"never printed", timeout=60)
    assert proc.wait() == 3
    assert proc.log_text() == "hello\n"
