"""Hot reload with a real keepalived peer: a reload changes only what changed, and never flaps.

vigild and Debian's keepalived run one VRRPv3 instance at advert_int 0.1 on a LAN, with a client
pinging the VIP every 20 ms. vigild is reloaded 100 times with an unchanged file, then once per
kind of change an operator makes (priority, VIPs added and removed, advert_int, tracking,
notify and GARP settings). Throughout: keepalived never changes state, the VIP never leaves the
master (`ip monitor` on it), the master's adverts never pause for more than 1.5 intervals, and
the client loses no ping. Once with vigild as the master, once as the backup.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import executable, vigild_path, wait_for

LAN4 = "10.99.0.0/24"
VIP = "10.99.0.100"
INTERVAL = 0.1


def conf(priority: int, vips=("10.99.0.100/24",), advert: str = "0.1", body: str = "",
         top: str = "", vrid: int = 51) -> str:
    lines = [top, "vrrp_instance VI_1 {", "    interface eth0", "    version 3",
             f"    virtual_router_id {vrid}", f"    priority {priority}", f"    advert_int {advert}",
             body, "    virtual_ipaddress {"]
    lines += [f"        {v}" for v in vips]
    lines += ["    }", "}", ""]
    return "\n".join(lines)


def changes(lab, priority: int) -> list[tuple[str, str]]:
    """(what, config) for each kind of in-place change, one reload each, in order."""
    track = lab.workdir / "track.state"
    track.write_text("0\n")
    notify = executable(lab.workdir / "notify.sh", "#!/bin/sh\necho \"$@\" >> %s\n"
                        % (lab.workdir / "notify.log"))
    p2 = priority - 10
    two = ("10.99.0.100/24", "10.99.0.101/24")
    tf = f"vrrp_track_file TF {{\n    file {track}\n    weight 5\n}}\n"
    return [
        ("priority", conf(p2)),
        ("a VIP added", conf(p2, two)),
        ("a VIP removed", conf(p2)),
        ("advert_int", conf(p2, advert="0.09")),
        ("advert_int back", conf(p2)),
        ("track_file", conf(p2, top=tf, body="    track_file {\n        TF\n    }")),
        ("notify scripts", conf(p2, top=tf, body="    track_file {\n        TF\n    }\n"
                                f"    notify_master {notify}\n    notify_backup {notify}")),
        ("GARP settings", conf(p2, top=tf, body="    track_file {\n        TF\n    }\n"
                               f"    notify_master {notify}\n    notify_backup {notify}\n"
                               "    garp_master_repeat 2\n    garp_master_refresh 5")),
    ]


class Watch:
    """The client's ping, the master's address events and its adverts as the backup sees them."""

    def __init__(self, lab, master, backup, client) -> None:
        self.master_ip = master.ipv4()
        self.mon = master.start(["ip", "-ts", "monitor", "address"], name="ipmon")
        self.cap = backup.start(["tcpdump", "-i", "eth0", "-n", "-tt", "-l",
                                 f"ip proto 112 and src {self.master_ip}"], name="advcap")
        self.cap.wait_log(r"listening on")
        self.ping = client.start(["ping", "-n", "-i", "0.02", "-W", "1", VIP], name="ping")
        self.ping.wait_log(r"bytes from", timeout=30)

    def finish(self, min_adverts: int = 50) -> tuple[int, int, float]:
        """Stops watching; returns (pings sent, pings answered, the worst advert gap in s)."""
        time.sleep(0.5)
        self.ping.stop(signal.SIGINT)
        self.cap.stop(signal.SIGINT)
        self.mon.stop()
        m = re.search(r"(\d+) packets transmitted, (\d+) received", self.ping.log_text())
        assert m, self.ping.tail()
        stamps = [float(x.group(1)) for x in
                  (re.match(r"^(\d+\.\d+) IP ", line) for line in self.cap.log_lines()) if x]
        assert len(stamps) > min_adverts, self.cap.tail()
        gap = max(b - a for a, b in zip(stamps, stamps[1:]))
        return int(m.group(1)), int(m.group(2)), gap

    def vip_deleted(self) -> list[str]:
        return [line for line in self.mon.log_lines() if "Deleted" in line and VIP + "/" in line]


def write(path, text: str) -> None:
    """Replaces the file at once (as config management does): a reload never reads half of it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def reload(proc, text: str, conf_path, what: str) -> None:
    write(conf_path, text)
    mark = proc.log_mark()
    proc.signal(signal.SIGHUP)
    proc.wait_log(r"configuration reloaded|reload failed", after=mark, timeout=30)
    assert not proc.grep(r"reload failed", after=mark), proc.tail()
    assert not proc.grep(r"\(VI_1\) (Entering|Stopped|.*restarting)", after=mark), (what,
                                                                                   proc.tail())
    # let a few adverts go out with the new settings before the next change
    time.sleep(0.4)


@pytest.mark.lab(hosts=3, ipv4=LAN4)
@pytest.mark.parametrize("role", ["master", "backup"])
def test_reloads_never_flap(lab, role: str) -> None:
    h1, h2, h3 = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    mine = 200 if role == "master" else 100
    theirs = 100 if role == "master" else 200
    text = conf(mine)
    vd = h1.start_vigild(text, name="vigild")
    conf_path = next(lab.workdir.glob("h1-vigild.conf"))
    ka = h2.start_keepalived(conf(theirs), name="keepalived", wait_ready=True)
    master_host, backup_host = (h1, h2) if role == "master" else (h2, h1)
    master_proc = vd if role == "master" else ka
    master_proc.wait_log(r"Entering MASTER STATE", timeout=30)
    wait_for(lambda: master_host.has_address(VIP), timeout=30, what="the VIP on the master")
    (vd if role == "backup" else ka).wait_log(r"Entering BACKUP STATE", timeout=30)
    ka_mark, vd_mark = ka.log_mark(), vd.log_mark()
    watch = Watch(lab, master_host, backup_host, h3)

    # 100 reloads of an unchanged file, 50 ms apart (some coalesce: at most one in flight)
    for _ in range(100):
        vd.signal(signal.SIGHUP)
        time.sleep(0.05)
    vd.wait_log(r"configuration reloaded", after=vd_mark, timeout=30)
    time.sleep(0.5)
    ka_conf = next(lab.workdir.glob("h2-keepalived.conf"))
    for what, text in changes(lab, mine):
        if "VIP" in what:
            # An operator changes the VIP list on both nodes. keepalived drops adverts whose
            # address list differs from its own (vigild logs and accepts them, RFC 9568 7.1),
            # so its reload follows vigild's at once, well within its Master_Down_Interval.
            vips = re.findall(r"^ {8}(10\.99\.0\.\d+/24)$", text, re.M)
            write(ka_conf, conf(theirs, tuple(vips)))
            write(conf_path, text)
            vd.signal(signal.SIGHUP)
            ka.signal(signal.SIGHUP)
        reload(vd, text, conf_path, what)
        if what == "a VIP added" and role == "master":
            wait_for(lambda: h1.has_address("10.99.0.101"), timeout=10, what="the added VIP")
        if what == "a VIP removed" and role == "master":
            wait_for(lambda: not h1.has_address("10.99.0.101"), timeout=10,
                     what="the removed VIP gone")
    sent, answered, gap = watch.finish()
    print(f"{role}: {sent} pings, {sent - answered} lost; worst advert gap {gap * 1000:.1f} ms")
    assert not ka.grep(r"Entering (MASTER|BACKUP|FAULT) STATE", after=ka_mark), ka.tail()
    assert not vd.grep(r"Entering|Stopped", after=vd_mark), vd.tail()
    assert vd.grep(r"\(VI_1\) reconfigured in place: priority", after=vd_mark)
    assert not watch.vip_deleted(), watch.vip_deleted()
    assert master_host.has_address(VIP) and not backup_host.has_address(VIP)
    assert sent - answered == 0, f"{sent - answered} of {sent} pings lost"
    assert gap < 1.5 * INTERVAL, f"the master paused its adverts for {gap * 1000:.1f} ms"
    assert vd.running and ka.running


@pytest.mark.lab(hosts=3, ipv4=LAN4)
def test_large_reload_keeps_the_advert_cadence(lab) -> None:
    """A reload of 2,300 virtual servers / 37,000 real servers (keepalived #2318's shape) next to
    a 0.1 s master: the file is parsed, validated and compared with the running one on the
    worker, and the loop applies only the difference (one weight), so the master's adverts keep
    their cadence and its keepalived backup sees nothing. keepalived stops all adverts for the
    whole re-read of such a file (#2159)."""
    h1, h2, h3 = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    release = os.environ.get("VIGILD_RELEASE", "")
    binary = release if release and os.access(release, os.X_OK) else vigild_path()
    # The goal (issue 11): under advert_int + 20 ms. The sanitizer build runs the same code
    # several times slower; with it the bound only says that nothing stalls.
    bound = INTERVAL + (0.020 if binary == release else 0.080)
    root = Path(__file__).resolve().parents[2]
    big = subprocess.run([sys.executable, str(root / "bench" / "config_load" / "gen.py")],
                         capture_output=True, text=True, check=True).stdout
    # Checks every 60 s (their first ones spread over that minute): the unreachable real servers
    # fail at once, 600 a second, a steady load beside the adverts.
    big = big.replace("global_defs {\n    router_id bench\n}\n", "").replace("delay_loop 10",
                                                                          "delay_loop 60")
    text = conf(200) + big
    vd = h1.start_vigild(text, name="vigild", binary=binary, extra_args=["--log-level", "info"],
                         timeout=120)
    conf_path = next(lab.workdir.glob("h1-vigild.conf"))
    ka = h2.start_keepalived(conf(100), name="keepalived", wait_ready=True)
    vd.wait_log(r"Entering MASTER STATE", timeout=60)
    ka.wait_log(r"Entering BACKUP STATE", timeout=30)
    ka_mark, vd_mark = ka.log_mark(), vd.log_mark()
    watch = Watch(lab, h1, h2, h3)
    time.sleep(1.0)
    windows = []  # from each SIGHUP until 0.2 s after its reload was applied
    for k in range(3):
        write(conf_path, conf(200) + big.replace("weight 1\n", f"weight {2 + k}\n", 1))
        mark = vd.log_mark()
        began = time.time()
        vd.signal(signal.SIGHUP)
        vd.wait_log(r"configuration reloaded|reload failed", after=mark, timeout=120)
        time.sleep(0.2)
        windows.append((began, time.time()))
        time.sleep(0.3)
    sent, answered, overall = watch.finish(min_adverts=20)
    stamps = [float(x.group(1)) for x in
              (re.match(r"^(\d+\.\d+) IP ", line) for line in watch.cap.log_lines()) if x]
    # an advert gap counts for a reload when it ends inside its window
    gap = max(b - a for a, b in zip(stamps, stamps[1:]) if any(w0 <= b <= w1 for w0, w1 in windows))
    applied = [float(x) for x in re.findall(r"applied in ([\d.]+) ms", vd.log_text())]
    print(f"{binary}: worst advert gap {gap * 1000:.1f} ms during the reloads "
          f"({overall * 1000:.1f} ms overall); applied in {applied} ms; "
          f"{sent - answered} of {sent} pings lost")
    assert len(vd.grep(r"configuration reloaded", after=vd_mark)) == 3, vd.tail()
    assert not ka.grep(r"Entering (MASTER|BACKUP|FAULT) STATE", after=ka_mark), ka.tail()
    assert not vd.grep(r"Entering|Stopped", after=vd_mark), vd.tail()
    assert not watch.vip_deleted(), watch.vip_deleted()
    assert sent - answered == 0, f"{sent - answered} of {sent} pings lost"
    assert gap < bound, f"the master paused its adverts for {gap * 1000:.1f} ms"
    vd.stop(timeout=120)


@pytest.mark.lab(hosts=1, ipv4=LAN4)
def test_identity_change_restarts_that_instance_only(lab) -> None:
    """A new VRID cannot change in place: that instance stops and starts; its neighbour stays."""
    h1 = lab.hosts["h1"]
    two = conf(200) + conf(200, vips=("10.99.0.102/24",), vrid=52).replace("VI_1", "VI_2")
    vd = h1.start_vigild(two, name="vigild")
    vd.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=30)
    vd.wait_log(r"\(VI_2\) Entering MASTER STATE", timeout=30)
    conf_path = next(lab.workdir.glob("h1-vigild.conf"))
    mark = vd.log_mark()
    conf_path.write_text(conf(200) + conf(200, vips=("10.99.0.102/24",), vrid=53)
                         .replace("VI_1", "VI_2"))
    vd.signal(signal.SIGHUP)
    vd.wait_log(r"\(VI_2\) virtual_router_id changed, which cannot change in place: restarting",
                after=mark, timeout=30)
    vd.wait_log(r"\(VI_2\) Entering MASTER STATE", after=mark, timeout=30)
    assert not vd.grep(r"\(VI_1\)", after=mark), vd.tail()
    assert h1.has_address(VIP) and h1.has_address("10.99.0.102")


@pytest.mark.lab(hosts=1, ipv4=LAN4)
def test_fifo_reader_follows_the_config(lab) -> None:
    """A reload that changes notify_fifo stops the old reader script and starts the new one;
    a reload that leaves it alone keeps the same reader."""
    h1 = lab.hosts["h1"]
    reader = executable(lab.workdir / "reader.sh",
                        "#!/bin/sh\necho $$ >> %s\nexec cat \"$1\" > /dev/null\n"
                        % (lab.workdir / "readers"))

    def with_fifo(name: str) -> str:
        return (f"global_defs {{\n    notify_fifo {lab.workdir / name}\n"
                f"    notify_fifo_script {reader}\n}}\n"
                + conf(200))
    vd = h1.start_vigild(with_fifo("one.fifo"), name="vigild")
    vd.wait_log(r"Entering MASTER STATE", timeout=30)
    pids = lab.workdir / "readers"
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 1, timeout=30,
             what="the first reader")
    first = int(pids.read_text().split()[0])
    conf_path = next(lab.workdir.glob("h1-vigild.conf"))
    # unchanged FIFO: the reader stays
    mark = vd.log_mark()
    conf_path.write_text(with_fifo("one.fifo").replace("priority 200", "priority 190"))
    vd.signal(signal.SIGHUP)
    vd.wait_log(r"configuration reloaded", after=mark, timeout=30)
    time.sleep(0.5)
    assert len(pids.read_text().split()) == 1
    assert (h1.run("kill", "-0", str(first), check=False).returncode == 0)
    # another FIFO: the old reader goes, a new one reads the new FIFO
    mark = vd.log_mark()
    conf_path.write_text(with_fifo("two.fifo"))
    vd.signal(signal.SIGHUP)
    vd.wait_log(r"notify FIFO reader .* stopped: its FIFO configuration changed", after=mark,
                timeout=30)
    wait_for(lambda: len(pids.read_text().split()) == 2, timeout=30, what="the second reader")
    wait_for(lambda: h1.run("kill", "-0", str(first), check=False).returncode != 0, timeout=30,
             what="the first reader to exit")
    assert (lab.workdir / "two.fifo").exists()


@pytest.mark.lab(hosts=3, ipv4=LAN4)
def test_restart_without_failover(lab) -> None:
    """SIGKILL of the vigild master and a restart 0.3 s later: the new process adopts the
    master it finds (state file, VIPs still in place) and keepalived never takes over. After
    a restart later than the master-down interval: a normal failover, the stale VIP removed at
    start, and preemption."""
    h1, h2, h3 = lab.hosts["h1"], lab.hosts["h2"], lab.hosts["h3"]
    text = conf(200)
    # The release build when there is one (scripts/test builds it): the sanitizer build takes
    # ~0.2 s to start, which with a 0.3 s delay overruns keepalived's Master_Down_Interval
    # (0.361 s) before the new process can advertise. With it, the restart comes sooner by
    # the measured start-up time, so the new process still advertises inside the interval.
    release = os.environ.get("VIGILD_RELEASE", "")
    binary = release if release and os.access(release, os.X_OK) else vigild_path()
    began = time.monotonic()
    h1.run(binary, "--version")
    startup = time.monotonic() - began
    delay = 0.3 if binary == release else max(0.05, 0.3 - startup)
    print(f"{binary}: starts in {startup * 1000:.0f} ms; restart {delay * 1000:.0f} ms after the kill")
    vd = h1.start_vigild(text, name="vigild", binary=binary)
    ka = h2.start_keepalived(conf(100), name="keepalived", wait_ready=True)
    vd.wait_log(r"Entering MASTER STATE", timeout=30)
    ka.wait_log(r"Entering BACKUP STATE", timeout=30)
    wait_for(lambda: (lab.workdir / "h1-state" / "vigild.state").exists(), timeout=10,
             what="the state file")
    ka_mark = ka.log_mark()
    watch = Watch(lab, h1, h2, h3)
    # Kill right after an advert went out, so that the 0.3 s restart lands inside keepalived's
    # Master_Down_Interval (0.361 s) measured from that advert.
    mark = watch.cap.log_mark()
    watch.cap.wait_log(r"IP 10\.99\.0\.1 > ", after=mark, timeout=10)
    vd.kill()
    assert h1.has_address(VIP)  # SIGKILL leaves the VIP behind
    # The restart comes `delay` after the master's last advert: the state file's modification
    # time (the master refreshes it with its adverts), not when the capture showed it.
    last_advert = (lab.workdir / "h1-state" / "vigild.state").stat().st_mtime
    time.sleep(max(0.0, last_advert + delay - time.time()))
    vd2 = h1.start_vigild(text, name="vigild2", binary=binary)
    vd2.wait_log(r"\(VI_1\) adopting MASTER from the previous run", timeout=30)
    vd2.wait_log(r"\(VI_1\) Entering MASTER STATE \(adopted", timeout=30)
    time.sleep(1.0)
    sent, answered, gap = watch.finish(min_adverts=8)
    print(f"restart after {delay:.3f} s: {sent - answered} of {sent} pings lost; "
          f"advert gap {gap * 1000:.1f} ms")
    assert not ka.grep(r"Entering MASTER STATE", after=ka_mark), ka.tail()
    assert not vd2.grep(r"removing .* left on the interface")
    assert sent - answered <= 5, f"{sent - answered} of {sent} pings lost"
    # the backup's Master_Down_Interval at priority 100: 3 x 0.1 + 0.061 s
    assert gap < 0.361, f"no advert for {gap * 1000:.1f} ms across the restart"
    assert h1.has_address(VIP) and not h2.has_address(VIP)

    # Killed and restarted after twice the master-down interval: keepalived took over, so the
    # new process must not adopt; it removes the stale VIP and preempts as usual.
    vd2.kill()
    ka.wait_log(r"Entering MASTER STATE", after=ka_mark, timeout=30)
    wait_for(lambda: h2.has_address(VIP), timeout=30, what="keepalived to take the VIP")
    time.sleep(0.8)
    ka_mark = ka.log_mark()
    vd3 = h1.start_vigild(text, name="vigild3", binary=binary)
    vd3.wait_log(r"\(VI_1\) the previous run was MASTER, not adopting it: it was last heard",
                 timeout=30)
    vd3.wait_log(r"\(VI_1\) Entering BACKUP STATE \(startup", timeout=30)
    assert vd3.grep(r"removing 10\.99\.0\.100/24 left on the interface")
    vd3.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=30)
    ka.wait_log(r"Entering BACKUP STATE", after=ka_mark, timeout=30)
    wait_for(lambda: h1.has_address(VIP) and not h2.has_address(VIP), timeout=30,
             what="the VIP back on vigild only")
    # a graceful stop leaves no state to adopt
    vd3.stop()
    assert not (lab.workdir / "h1-state" / "vigild.state").exists()


@pytest.mark.lab(hosts=1, ipv4=LAN4)
def test_instance_names_the_state_file(lab) -> None:
    """keepalived's `instance NAME` (and `data_use_instance`) name the state file, so two
    daemons on one host keep separate state; changing it is refused on a reload."""
    h1 = lab.hosts["h1"]
    state = lab.workdir / "h1-state"
    web = "instance web\n" + conf(200)
    db = ("global_defs {\n    data_use_instance\n}\n"
          + conf(200, vips=("10.99.0.102/24",), vrid=52).replace("VI_1", "VI_DB"))
    a = h1.start_vigild(web, name="web")
    b = h1.start_vigild(db, name="db", extra_args=["--config-id", "dbhost",
                                                   "--state-dir", str(state)])
    a.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=30)
    b.wait_log(r"\(VI_DB\) Entering MASTER STATE", timeout=30)
    wait_for(lambda: "VI_1 51 inet eth0 MASTER" in (state / "vigild_web.state").read_text()
             if (state / "vigild_web.state").exists() else False, timeout=10,
             what="vigild_web.state")
    wait_for(lambda: (state / "vigild_dbhost.state").exists(), timeout=10,
             what="vigild_dbhost.state")
    assert "VI_DB" in (state / "vigild_dbhost.state").read_text()
    assert "VI_DB" not in (state / "vigild_web.state").read_text()
    assert not (state / "vigild.state").exists()
    mark = a.log_mark()
    write(next(lab.workdir.glob("h1-web.conf")), "instance web2\n" + conf(200))
    a.signal(signal.SIGHUP)
    a.wait_log(r"reload refused: 'instance' or 'data_use_instance' changed", after=mark,
               timeout=30)
    assert a.running
    a.stop()
    b.stop()
    assert not (state / "vigild_web.state").exists()


def _vs(addr: str, rs_port: int) -> str:
    return (f"virtual_server {addr} 80 {{\n    delay_loop 1\n    lb_algo rr\n    protocol TCP\n"
            f"    real_server 127.0.0.1 {rs_port} {{\n        TCP_CHECK {{\n"
            "            connect_timeout 1\n        }\n    }\n}\n")


def _checker(state: dict, vs: str) -> dict:
    for s in state["check"]["virtual_servers"]:
        if s["name"].startswith(f"[{vs}]"):
            return s["real_servers"][0]["checkers"][0]
    raise KeyError(vs)


@pytest.mark.lab(hosts=1, ipv4=LAN4)
def test_reload_keeps_unchanged_checkers(lab) -> None:
    """A reload that changes one virtual server and adds another leaves the unchanged one's
    checker alone: its state and counters go on; the changed one's new real server starts, the
    old one stops."""
    from harness import vigild_state
    h1 = lab.hosts["h1"]
    h1.ip("link", "set", "lo", "up")
    web = h1.start(["/usr/bin/python3", "-m", "http.server", "8080", "--bind", "127.0.0.1"],
                   name="web")
    wait_for(lambda: h1.run("/usr/bin/python3", "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 8080), 1)",
                            check=False).returncode == 0, timeout=30, what="the web server")
    text = _vs("10.99.0.50", 8080) + _vs("10.99.0.51", 8081)
    vd = h1.start_vigild(text, name="vigild")
    wait_for(lambda: _checker(vigild_state(vd), "10.99.0.50")["checks"] >= 3, timeout=30,
             what="three checks of the kept real server")
    before = _checker(vigild_state(vd), "10.99.0.50")
    assert before["up"] is True
    mark = vd.log_mark()
    write(next(lab.workdir.glob("h1-vigild.conf")),
          _vs("10.99.0.50", 8080) + _vs("10.99.0.51", 8080) + _vs("10.99.0.52", 8080))
    vd.signal(signal.SIGHUP)
    vd.wait_log(r"configuration reloaded: 0 vrrp instance\(s\), 3 virtual server", after=mark,
                timeout=30)
    after = _checker(vigild_state(vd), "10.99.0.50")
    assert after["checks"] >= before["checks"] and after["up"] is True, (before, after)
    # the kept server was not re-activated and did not go through down/up
    assert not vd.grep(r"\[127\.0\.0\.1\]:tcp:8080 for VS \[10\.99\.0\.50\]", after=mark)
    assert not vd.grep(r"Removing service \[127\.0\.0\.1\]:tcp:8080 from VS \[10\.99\.0\.50\]",
                       after=mark)
    vd.wait_log(r"Virtual server \[10\.99\.0\.52\]:tcp:80: 1 real server", after=mark, timeout=30)
    wait_for(lambda: _checker(vigild_state(vd), "10.99.0.51")["up"] is True, timeout=30,
             what="the changed virtual server's new real server up")
    wait_for(lambda: _checker(vigild_state(vd), "10.99.0.52")["up"] is True, timeout=30,
             what="the added virtual server's real server up")
    assert vd.running
    web.stop()
