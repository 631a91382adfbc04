"""Health checkers against real servers: every checker kind through up -> down -> up with its
notify scripts and FIFO lines, hostile servers, shared probes, ha_suspend, FILE_CHECK,
misc_dynamic, omega, and genhash against keepalived's genhash.

h1 runs vigild (this kernel has no IPVS: vigild checks and notifies, and says so once); h2
runs the servers. Cutting h2's link takes every server away at once."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

import servers
from harness import executable, lines, vigild_state as state, wait_for

VS = "10.99.0.100"
RS = "10.99.0.2"


def real_servers(proc) -> dict[str, dict]:
    out = {}
    for vs in state(proc)["check"]["virtual_servers"]:
        for rs in vs["real_servers"]:
            out[vs["name"] + " " + rs["address"]] = rs
    return out


TIMING = """
        delay_loop 0.5
        connect_timeout 1
        retry 1
        delay_before_retry 0.5
        warmup 0
        alpha
"""


def rs_block(name: str, port: int, checker: str, note: Path, extra: str = "") -> str:
    return f"""
    real_server {RS} {port} {{
        notify_up "{note} {name} up"
        notify_down "{note} {name} down"
        {checker} {{
{TIMING}
{extra}
        }}
    }}"""


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_every_checker_goes_up_down_up_with_notify_and_fifo(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    servers.start_nginx(h2, tmp_path, RS)
    servers.start_smtp(h2, RS)
    servers.start_dns(h2, RS, {"www.example.test": "10.99.0.50"})
    servers.start_fake(h2, "udp-echo", RS, 5000)
    events = tmp_path / "events.log"
    fifo_log = tmp_path / "fifo.log"
    note = executable(tmp_path / "note.sh", f"#!/bin/sh\necho \"$*\" >> {events}\n")
    reader = executable(tmp_path / "reader.sh",
                        f"#!/bin/sh\nwhile true; do while read -r line; do "
                        f"echo \"$line\" >> {fifo_log}; done < \"$1\"; done\n")
    flag = tmp_path / "misc.ok"
    flag.write_text("ok\n")
    misc = executable(tmp_path / "misc.sh", f"#!/bin/sh\ntest -e {flag}\n")
    digest = servers.md5(servers.INDEX)
    checkers = {
        "tcp": (9001, "TCP_CHECK", "connect_port 80"),
        "http": (80, "HTTP_GET", f"url {{\n path /\n digest {digest}\n status_code 200\n }}"),
        "https": (443, "SSL_GET", "url {\n path /\n }"),
        "vhost": (8080, "HTTP_GET",
                  "virtualhost a.example\n url {\n path /\n regex \"alpha virtual\"\n }"),
        "sni": (8443, "SSL_GET",
                "virtualhost a.example\n enable_sni\n url {\n path /\n regex alpha\n }"),
        "smtp": (25, "SMTP_CHECK", "helo_name vigil.test"),
        "dns": (53, "DNS_CHECK", "type A\n name www.example.test"),
        "udp": (5000, "UDP_CHECK", "payload 68656c6c6f\n require_reply 68656c6c6f"),
        "ping": (9002, "PING_CHECK", ""),
        "misc": (9003, "MISC_CHECK", f"misc_path \"{misc}\"\n misc_timeout 2"),
    }
    blocks = "".join(rs_block(n, p, k, note, x) for n, (p, k, x) in checkers.items())
    conf = f"""
global_defs {{
    router_id h1
    lvs_notify_fifo {tmp_path / "lvs.fifo"}
    lvs_notify_fifo_script {reader}
}}
SSL {{
}}
virtual_server {VS} 80 {{
    lb_algo rr
    protocol TCP
    quorum {len(checkers)}
    quorum_up "{note} quorum up"
    quorum_down "{note} quorum down"
{blocks}
}}
"""
    d = h1.start_vigild(conf)
    d.wait_log(r"IPVS is not available")
    names = list(checkers)

    def seen(kind: str) -> set[str]:
        return {l.split()[0] for l in lines(events) if l.endswith(" " + kind)}

    # alpha: every real server starts down and comes up on its first successful check.
    wait_for(lambda: seen("up") >= set(names), timeout=30,
             what=lambda: f"all up (have {sorted(seen('up'))})")
    # Below quorum at the start (every real server down until checked), then gained.
    assert lines(events)[0] == "quorum down", lines(events)
    wait_for(lambda: "quorum up" in lines(events), what="quorum up")
    # keepalived's wording for the first successes.
    d.wait_log(r"TCP connection to \[10\.99\.0\.2\]:tcp:80 success\.")
    d.wait_log(r"Remote Web server \[10\.99\.0\.2\]:tcp:443 succeed on service\.")
    d.wait_log(r"Gained quorum 10\+0=10 <= 10 for VS \[10\.99\.0\.100\]:tcp:80")
    rs = real_servers(d)
    for n, (port, kind, _) in checkers.items():
        r = rs[f"[{VS}]:tcp:80 [{RS}]:tcp:{port}"]
        assert r["up"] and r["checkers"][0]["last_ok"], (n, r)
    assert rs[f"[{VS}]:tcp:80 [{RS}]:tcp:80"]["checkers"][0]["last_reason"]

    # Every server away at once: each checker fails, retries once, and goes down.
    before = len(lines(events))
    log_before = d.log_mark()
    cut = time.monotonic()
    h2.link_set("eth0", False)
    flag.unlink()
    wait_for(lambda: seen("down") >= set(names), timeout=30,
             what=lambda: f"all down (have {sorted(seen('down'))})")
    took = time.monotonic() - cut
    # delay_loop 0.5 + two attempts of at most connect_timeout 1 + delay_before_retry 0.5,
    # with room for a loaded machine.
    assert took < 15, took
    wait_for(lambda: "quorum down" in lines(events)[before:], what="quorum down")
    d.wait_log(r"TCP_CHECK on service \[10\.99\.0\.2\]:tcp:80 failed after 1 retries",
               after=log_before)
    d.wait_log(r"Removing service \[10\.99\.0\.2\]:tcp:80 from VS \[10\.99\.0\.100\]:tcp:80",
               after=log_before)
    d.wait_log(r"Lost quorum 10-0=10 > \d for VS \[10\.99\.0\.100\]:tcp:80", after=log_before)
    d.wait_log(r"HTTP_CHECK on service \[10\.99\.0\.2\]:tcp:80 failed after 1 retries\.",
               after=log_before)
    d.wait_log(r"Misc check for \[\[10\.99\.0\.2\]:tcp:9003 VS \[10\.99\.0\.100\]:tcp:80\] by "
               r"\[.*misc\.sh\] failed after 1 retry \(exited with status 1", after=log_before)

    # Back: each comes up again on its next success.
    mark = len(lines(events))
    back = time.monotonic()
    h2.link_set("eth0", True)
    flag.write_text("ok\n")
    wait_for(lambda: {l.split()[0] for l in lines(events)[mark:] if l.endswith(" up")}
             >= set(names), timeout=30, what="all up again")
    # The next check after delay_loop 0.5 succeeds (one check, no retries), with room.
    assert time.monotonic() - back < 10
    wait_for(lambda: "quorum up" in lines(events)[mark:], what="quorum up again")

    # The FIFO carried one line per transition, in keepalived's format.
    wait_for(lambda: f"RS [{RS}]:tcp:80 [{VS}]:tcp:80 DOWN" in lines(fifo_log),
             what="RS DOWN line on the FIFO")
    fifo = lines(fifo_log)
    assert f"VS [{VS}]:tcp:80 DOWN" in fifo
    assert fifo.count(f"RS [{RS}]:tcp:443 [{VS}]:tcp:80 UP") == 2, fifo

    # A graceful stop without omega runs no notify_down.
    mark = len(lines(events))
    assert d.stop() == 0
    time.sleep(0.5)
    assert not [l for l in lines(events)[mark:] if l.endswith("down")], lines(events)[mark:]


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_hostile_servers_fail_in_bounded_time_without_stalling(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    servers.start_nginx(h2, tmp_path, RS)
    servers.start_fake(h2, "silent", RS, 81)
    servers.start_fake(h2, "garbage", RS, 82)
    servers.start_fake(h2, "bigheader", RS, 83)
    servers.start_fake(h2, "trickle", RS, 84)

    def rs(port: int, kind: str = "HTTP_GET", extra: str = "url {\n path /\n }") -> str:
        return f"""
    real_server {RS} {port} {{
        {kind} {{
            delay_loop 1
            connect_timeout 2
            retry 0
            warmup 0
            {extra}
        }}
    }}"""

    conf = f"""
global_defs {{
    checker_log_all_failures
}}
virtual_server {VS} 80 {{
    protocol TCP
{rs(81)}{rs(82)}{rs(83)}{rs(84)}
    real_server {RS} 80 {{
        SSL_GET {{
            delay_loop 1
            connect_timeout 2
            retry 0
            warmup 0
            url {{
                path /
            }}
        }}
        TCP_CHECK {{
            delay_loop 1
            connect_timeout 2
            retry 0
            warmup 0
        }}
    }}
    real_server {RS} 25 {{
        SMTP_CHECK {{
            connect_port 81
            delay_loop 1
            connect_timeout 2
            retry 0
            warmup 0
        }}
    }}
}}
"""
    d = h1.start_vigild(conf)

    def checker(port: int) -> dict:
        return real_servers(d)[f"[{VS}]:tcp:80 [{RS}]:tcp:{port}"]["checkers"][0]

    wait_for(lambda: all("last_ok" in checker(p) for p in (81, 82, 83, 84, 25)), timeout=30,
             what="a first result from every hostile server")
    silent, garbage, big, trickle = checker(81), checker(82), checker(83), checker(84)
    assert not silent["last_ok"] and "timed out after 2" in silent["last_reason"], silent
    # The whole check is bounded by connect_timeout, also for a server that accepted.
    assert 1800 <= silent["last_latency_ms"] < 6000, silent
    assert not garbage["last_ok"] and "bad HTTP response" in garbage["last_reason"], garbage
    assert not big["last_ok"] and "larger than" in big["last_reason"], big
    assert not trickle["last_ok"] and "timed out after 2" in trickle["last_reason"], trickle
    # keepalived's lines: retry 0 fails at once; every attempt logged with log_all_failures.
    d.wait_log(r"HTTP_CHECK on service \[10\.99\.0\.2\]:tcp:82 failed\. Reason: bad HTTP")
    d.wait_log(r"info check: HTTP_GET to \[10\.99\.0\.2\]:tcp:81 failed\. Reason: timed out")
    smtp = checker(25)
    assert not smtp["last_ok"] and "timed out" in smtp["last_reason"], smtp
    wait_for(lambda: "last_ok" in real_servers(d)[f"[{VS}]:tcp:80 [{RS}]:tcp:80"]["checkers"][0],
             what="SSL_GET against plain HTTP has a result")
    rs80 = real_servers(d)[f"[{VS}]:tcp:80 [{RS}]:tcp:80"]
    assert False in [c.get("last_ok") for c in rs80["checkers"]]
    # Meanwhile the good TCP check keeps its one-second cadence.
    tcp = [c for c in rs80["checkers"] if c["kind"] == "TCP_CHECK"][0]
    t0, n0 = time.monotonic(), tcp["checks"]
    time.sleep(4)
    tcp = [c for c in real_servers(d)[f"[{VS}]:tcp:80 [{RS}]:tcp:80"]["checkers"]
           if c["kind"] == "TCP_CHECK"][0]
    assert tcp["checks"] - n0 >= 3, (tcp, time.monotonic() - t0)
    assert tcp["last_ok"]
    assert d.running
    assert d.stop() == 0


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_identical_checks_share_one_probe_and_omega(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    servers.start_nginx(h2, tmp_path, RS)
    events = tmp_path / "events.log"
    note = executable(tmp_path / "note.sh", f"#!/bin/sh\necho \"$*\" >> {events}\n")
    check = """
        HTTP_GET {
            url {
                path /
            }
            delay_loop 0.5
            warmup 0
        }"""
    conf = f"""
virtual_server {VS} 80 {{
    omega
    real_server {RS} 80 {{
        notify_down "{note} omega-vs down"
{check}
    }}
}}
virtual_server 10.99.0.101 80 {{
    real_server {RS} 80 {{
        notify_down "{note} plain-vs down"
{check}
    }}
}}
"""
    d = h1.start_vigild(conf)
    d.wait_log(r"IPVS is not available")
    # keepalived reports the quorum at start also when it holds.
    d.wait_log(r"Gained quorum 1\+0=1 <= 1 for VS \[10\.99\.0\.101\]:tcp:80")
    access = tmp_path / "nginx" / "access.log"
    wait_for(lambda: len(lines(access)) >= 6, what="a few checks")
    rs = real_servers(d)
    a = rs[f"[{VS}]:tcp:80 [{RS}]:tcp:80"]["checkers"][0]
    b = rs[f"[10.99.0.101]:tcp:80 [{RS}]:tcp:80"]["checkers"][0]
    assert a["shared_by"] == 2 and b["shared_by"] == 2
    assert len(d.grep(r"Activating healthchecker for service \[10\.99\.0\.2\]:tcp:80 for VS")) == 2
    # One request per delay_loop, not two: count the server's requests over 3 s.
    n0 = len(lines(access))
    time.sleep(3)
    n = len(lines(access)) - n0
    assert 3 <= n <= 9, n  # one probe at 0.5 s: about 6; two would be about 12
    # omega: at a graceful stop the omega virtual server's live real server goes down.
    assert d.stop() == 0
    wait_for(lambda: "omega-vs down" in lines(events), what="omega notify_down")
    assert "plain-vs down" not in lines(events)


@pytest.mark.lab(hosts=1, ipv4="10.99.0.0/24")
def test_ha_suspend_file_check_and_misc_dynamic(lab, tmp_path) -> None:
    h1 = lab.hosts["h1"]
    servers.start_fake(h1, "close", "127.0.0.1", 8081)
    events = tmp_path / "events.log"
    note = executable(tmp_path / "note.sh", f"#!/bin/sh\necho \"$*\" >> {events}\n")
    track = tmp_path / "rs.state"
    track.write_text("0\n")
    weight_file = tmp_path / "rs.weight"
    weight_file.write_text("3\n")
    dyn = executable(tmp_path / "dyn.sh", "#!/bin/sh\nexit 12\n")
    conf = f"""
track_file rs_state {{
    file {track}
}}
track_file rs_weight {{
    file {weight_file}
}}
virtual_server 10.99.0.150 80 {{
    ha_suspend
    real_server 127.0.0.1 8081 {{
        TCP_CHECK {{
            delay_loop 0.5
            warmup 0
        }}
    }}
}}
virtual_server 127.0.0.1 80 {{
    real_server 127.0.0.1 8081 {{
        weight 5
        notify_up "{note} file up"
        notify_down "{note} file down"
        FILE_CHECK {{
            track_file rs_state
        }}
    }}
    real_server 127.0.0.1 8082 {{
        weight 1
        FILE_CHECK {{
            track_file rs_weight
            weight 2
        }}
    }}
    real_server 127.0.0.1 8083 {{
        weight 1
        MISC_CHECK {{
            misc_path {dyn}
            misc_dynamic
            delay_loop 0.5
            warmup 0
        }}
    }}
}}
"""
    d = h1.start_vigild(conf)

    def rs(vs: str, port: int) -> dict:
        return real_servers(d)[f"{vs} [127.0.0.1]:tcp:{port}"]

    # ha_suspend: the virtual server's address is not here, so its checks wait.
    d.wait_log(r"ha_suspend: 10\.99\.0\.150 is not on this host")
    time.sleep(1.5)
    c = rs("[10.99.0.150]:tcp:80", 8081)["checkers"][0]
    assert c["suspended"] and c["checks"] == 0, c
    h1.add_address("10.99.0.150/24")
    d.wait_log(r"ha_suspend: 10\.99\.0\.150 is on this host again")
    wait_for(lambda: rs("[10.99.0.150]:tcp:80", 8081)["checkers"][0]["checks"] > 0,
             what="checks after the address came")
    h1.del_address("10.99.0.150/24")
    d.wait_log(r"ha_suspend: 10\.99\.0\.150 left this host")

    # FILE_CHECK without weight: non-zero is down, zero is up.
    vs = "[127.0.0.1]:tcp:80"
    assert rs(vs, 8081)["up"]
    track.write_text("1\n")
    wait_for(lambda: "file down" in lines(events), what="FILE_CHECK down")
    assert not rs(vs, 8081)["up"]
    track.write_text("0\n")
    wait_for(lambda: "file up" in lines(events), what="FILE_CHECK up")
    # FILE_CHECK with weight 2: the value times the weight adjusts the real server's weight.
    assert rs(vs, 8082)["weight"] == 1 + 3 * 2
    weight_file.write_text("-1\n")
    wait_for(lambda: rs(vs, 8082)["weight"] == 0, what="weight 1 - 2 clamped at 0")
    # misc_dynamic: exit status 12 sets the weight to 10.
    wait_for(lambda: rs(vs, 8083)["weight"] == 10, what="misc_dynamic weight")
    d.wait_log(r"Changing weight from 1 to 10 for active service \[127\.0\.0\.1\]:tcp:8083 "
               r"of VS \[127\.0\.0\.1\]:tcp:80")
    assert d.stop() == 0


GENHASH_CASES = [
    ("plain", ["-p", "80", "-u", "/"]),
    ("plain 1.1", ["-p", "80", "-u", "/", "-P", "1.1"]),
    ("plain 1.0c", ["-p", "80", "-u", "/index.html", "-P", "1.0c"]),
    ("vhost", ["-p", "8080", "-u", "/", "-V", "a.example"]),
    ("404", ["-p", "80", "-u", "/missing"]),
    ("chunked", ["-p", "85", "-u", "/"]),
    ("close-delimited", ["-p", "86", "-u", "/"]),
    ("https", ["-S", "-p", "443", "-u", "/"]),
    ("https sni", ["-S", "-I", "-V", "a.example", "-p", "8443", "-u", "/"]),
    ("https no sni", ["-S", "-V", "a.example", "-p", "8443", "-u", "/"]),
]


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_genhash_prints_what_keepalived_genhash_prints(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    servers.start_nginx(h2, tmp_path, RS)
    servers.start_fake(h2, "chunked", RS, 85)
    servers.start_fake(h2, "close", RS, 86)
    from harness import vigild_path
    vigild = vigild_path()
    for name, args in GENHASH_CASES:
        ours = h1.run(vigild, "--genhash", "-s", RS, *args, check=False)
        theirs = h1.run("genhash", "-s", RS, *args, check=False)
        assert ours.returncode == 0, (name, ours.stderr)
        assert re.fullmatch(r"[0-9a-f]{32}\n", ours.stdout), (name, ours.stdout)
        assert ours.stdout == theirs.stdout, (name, ours.stdout, theirs.stdout)
    # The pages' digests are the body's MD5 (nginx's index, the virtual host's page).
    assert h1.run(vigild, "-T", "-s", RS, "-p", "80", "-u", "/").stdout.strip() == \
        servers.md5(servers.INDEX)
    assert h1.run(vigild, "-T", "-s", RS, "-p", "8080", "-u", "/", "-V", "a.example") \
        .stdout.strip() == servers.md5(servers.ALPHA)
    # argv[0] genhash selects genhash too.
    link = tmp_path / "genhash"
    link.symlink_to(os.path.abspath(vigild))
    assert h1.run(str(link), "-s", RS, "-p", "80", "-u", "/").stdout.strip() == \
        servers.md5(servers.INDEX)
    # Failures: a message on stderr and a non-zero status (keepalived: stdout, status 0).
    bad = h1.run(vigild, "--genhash", "-s", RS, "-p", "9", "-u", "/", check=False)
    assert bad.returncode == 1 and bad.stdout == "" and "refused" in bad.stderr, bad
    usage = h1.run(vigild, "--genhash", "-p", "80", check=False)
    assert usage.returncode == 2 and "-s ADDRESS" in usage.stderr
    verbose = h1.run(vigild, "--genhash", "-v", "-s", RS, "-p", "80", "-u", "/")
    assert "Response header" in verbose.stdout and "MD5SUM = " in verbose.stdout
