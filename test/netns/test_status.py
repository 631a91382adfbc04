"""The native status endpoint (--status-listen), sd_notify and JSON logs, in namespaces.

- /metrics: Prometheus text 0.0.4 with keepalived-exporter's names, clean under promtool,
  counters that match adverts counted on the wire, drop counters that move on crafted adverts;
- /status field by field, /healthz, 404 and 405;
- hostile clients (slowloris, garbage, oversized headers, hundreds of idle connections) while a
  0.1 s master keeps its cadence, and vigild's descriptors back to normal afterwards;
- sd_notify to a datagram socket standing in for systemd; --log-format json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import Lab, wait_for

VIP = "10.99.0.100"
PORT = 9165


def instance(prio: int, extra: str = "") -> str:
    return f"""
global_defs {{
    router_id status-test
}}
vrrp_script chk_ok {{
    script "/bin/true"
    interval 1
}}
vrrp_instance VI_1 {{
    interface eth0
    virtual_router_id 51
    version 3
    priority {prio}
    advert_int 0.1
    virtual_ipaddress {{
        {VIP}/24
        10.99.0.101
    }}
    virtual_ipaddress_excluded {{
        10.99.0.102/24
    }}
    track_script {{
        chk_ok
    }}
{extra}}}
"""


def get(host, path: str, method: str = "GET", addr: str = "10.99.0.1") -> tuple[int, dict, str]:
    """One request from inside the host's namespace (curl is not assumed: python in the netns)."""
    code = (
        "import http.client,sys,json\n"
        f"c=http.client.HTTPConnection({addr!r},{PORT},timeout=10)\n"
        f"c.request({method!r},{path!r})\n"
        "r=c.getresponse()\n"
        "b=r.read().decode()\n"
        "print(json.dumps([r.status,dict(r.getheaders()),b]))\n"
    )
    out = host.run("/usr/bin/python3", "-c", code).stdout
    status, headers, body = json.loads(out)
    return status, {k.lower(): v for k, v in headers.items()}, body


def metric(text: str, name: str, /, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return None


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_metrics_status_healthz(lab: Lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    a = h1.start_vigild(instance(200), extra_args=["--status-listen", f"10.99.0.1:{PORT}"])
    a.wait_log(r"status endpoint on http://10\.99\.0\.1:9165/")
    h2.start_vigild(instance(100))
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 master")

    status, headers, body = get(h1, "/metrics")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4"
    assert metric(body, "keepalived_up") == 1
    # one keepalived_vrrp_state series per VIP, as keepalived writes it (no /32)
    assert metric(body, "keepalived_vrrp_state", iname="VI_1", intf="eth0", vrid="51",
                  ip_address="10.99.0.100/24") == 2
    assert metric(body, "keepalived_vrrp_state", iname="VI_1", ip_address="10.99.0.101") == 2
    assert metric(body, "keepalived_vrrp_excluded_state", iname="VI_1",
                  ip_address="10.99.0.102/24") == 2
    assert metric(body, "keepalived_script_status", name="chk_ok") == 1
    assert metric(body, "keepalived_become_master_total", iname="VI_1") == 1
    assert metric(body, "vigil_vrrp_priority", iname="VI_1") == 200
    assert metric(body, "vigil_build_info") == 1
    assert metric(body, "vigil_reloads_total", result="ok") == 0
    sent = metric(body, "keepalived_advertisements_sent_total", iname="VI_1", intf="eth0",
                  vrid="51")
    assert sent and sent > 0
    b_status, _, b_body = get(h1, "/metrics")
    assert metric(b_body, "keepalived_advertisements_sent_total", iname="VI_1") >= sent

    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is part of the test dependencies"
    r = subprocess.run([promtool, "check", "metrics"], input=body, text=True,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr

    # the advert counter against the wire: count adverts over a window on h2
    cap = h2.start(["tcpdump", "-i", "eth0", "-n", "-l", "ip proto 112 and src 10.99.0.1"],
                   name="adverts")
    cap.wait_log(r"listening on")
    before = metric(get(h1, "/metrics")[2], "keepalived_advertisements_sent_total", iname="VI_1")
    time.sleep(2)
    after = metric(get(h1, "/metrics")[2], "keepalived_advertisements_sent_total", iname="VI_1")
    time.sleep(0.3)
    cap.stop()
    seen = len([ln for ln in cap.log_lines() if " > 224.0.0.18: VRRPv3" in ln])
    # the window of the two scrapes lies inside the capture's
    assert 0 < after - before <= seen, (before, after, seen)

    # /status, field by field
    status, headers, body = get(h1, "/status")
    assert status == 200 and headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["healthy"] is True and doc["health"] == "ok"
    assert re.fullmatch(r"[0-9a-f]{64}", doc["config_sha256"])
    vi = doc["state"]["vrrp"]["instances"][0]
    assert vi["name"] == "VI_1" and vi["state"] == "MASTER"
    assert vi["priority"] == 200 and vi["configured_priority"] == 200
    assert vi["master"] == "10.99.0.1"
    assert vi["vips"] == ["10.99.0.100/24", "10.99.0.101/32"]
    assert vi["counters"]["adverts_tx"] > 0
    scripts = doc["state"]["vrrp"]["trackers"]["scripts"]
    assert scripts[0]["name"] == "chk_ok" and scripts[0]["state"] == "ok"
    assert metric(get(h1, "/metrics")[2], "vigil_config_info",
                  sha256=doc["config_sha256"]) == 1

    assert get(h1, "/healthz")[0:3:2] == (200, "ok\n")
    assert get(h1, "/nope")[0] == 404
    s, hd, _ = get(h1, "/metrics", method="POST")
    assert s == 405 and hd["allow"] == "GET, HEAD"
    s, hd, b = get(h1, "/metrics", method="HEAD")
    assert s == 200 and b == "" and int(hd["content-length"]) > 100

    # a reload with errors: still healthy, but it says so
    bad = Path(a.argv[a.argv.index("--config") + 1])
    good = bad.read_text()
    bad.write_text(good + "\nvrrp_instance {\n")
    mark = a.log_mark()
    a.signal(signal.SIGHUP)
    a.wait_log(r"reload failed", after=mark)
    s, _, b = get(h1, "/healthz")
    assert s == 200 and "last reload failed" in b
    m = get(h1, "/metrics")[2]
    assert metric(m, "vigil_reloads_total", result="failed") == 1
    assert metric(m, "vigil_last_reload_failed") == 1
    bad.write_text(good)
    mark = a.log_mark()
    a.signal(signal.SIGHUP)
    a.wait_log(r"configuration reloaded", after=mark)
    assert get(h1, "/healthz")[0:3:2] == (200, "ok\n")

    # the hash follows the statements: a comment changes nothing, a new statement changes it
    first = doc["config_sha256"]

    def reload_with(text: str) -> str:
        bad.write_text(text)
        mark = a.log_mark()
        a.signal(signal.SIGHUP)
        a.wait_log(r"configuration reloaded", after=mark)
        return json.loads(get(h1, "/status")[2])["config_sha256"]

    assert reload_with("# a comment only\n" + good) == first
    changed = reload_with(good + "\nvrrp_script chk_extra {\n    script /bin/true\n}\n")
    assert re.fullmatch(r"[0-9a-f]{64}", changed) and changed != first
    assert metric(get(h1, "/metrics")[2], "vigil_config_info", sha256=changed) == 1


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_drop_counters_move_on_crafted_adverts(lab: Lab, tmp_path: Path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    h1.start_vigild(instance(200), extra_args=["--status-listen", f"10.99.0.1:{PORT}"])
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 master")
    # a VRRPv3 advert with TTL 64 (RFC 9568 7.1: must be 255) for VRID 51, from h2
    # (a correct RFC 5798 checksum, so the TTL is the only thing wrong with it)
    sender = (
        "import socket,struct\n"
        "def csum(b):\n"
        "    s=sum(struct.unpack('!%dH'%(len(b)//2),b))\n"
        "    s=(s>>16)+(s&0xffff); s+=s>>16\n"
        "    return (~s)&0xffff\n"
        "body=bytes([0x31,51,100,1,0,10,0,0,10,99,0,100])\n"
        "pseudo=socket.inet_aton('10.99.0.2')+socket.inet_aton('224.0.0.18')+bytes([0,112,0,12])\n"
        "c=csum(pseudo+body)\n"
        "pkt=body[:6]+struct.pack('!H',c)+body[8:]\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_RAW,112)\n"
        "s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_TTL,64)\n"
        "s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('10.99.0.2'))\n"
        "for _ in range(5): s.sendto(pkt,('224.0.0.18',0))\n"
    )
    h2.run("/usr/bin/python3", "-c", sender)

    def ttl_errors() -> float:
        return metric(get(h1, "/metrics")[2], "keepalived_ip_ttl_errors_total", iname="VI_1") or 0

    wait_for(lambda: ttl_errors() >= 5, what="5 TTL errors counted")
    assert metric(get(h1, "/metrics")[2], "vigil_vrrp_drops_total", iname="VI_1",
                  reason="bad_ttl") >= 5


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_hostile_clients_do_not_disturb_the_adverts(lab: Lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    a = h1.start_vigild(instance(200), extra_args=["--status-listen", f"10.99.0.1:{PORT}"])
    backup = h2.start_vigild(instance(100))
    wait_for(lambda: h1.has_address(VIP), timeout=30, what="h1 master")
    time.sleep(1)
    fds_before = fd_count(a.pid)
    cap = h2.start(["tcpdump", "-i", "eth0", "-n", "-tt", "-l", "ip proto 112 and src 10.99.0.1"],
                   name="adverts")
    cap.wait_log(r"listening on")
    quiet_from = time.time()
    time.sleep(3)
    quiet_to = time.time()
    # From h2: 500 connections that send half a request and hang (slowloris), garbage, a
    # request with 64 KiB of headers; then well-formed requests must still be answered.
    client = r"""
import socket, time, sys
g = socket.create_connection(("10.99.0.1", 9165), timeout=5)
g.send(b"\x16\x03\x01garbage\r\n\r\n")
garbage = g.recv(100)
big = socket.create_connection(("10.99.0.1", 9165), timeout=5)
try:
    big.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 65536 + b"\r\n\r\n")
    oversized = big.recv(100)
except OSError:
    oversized = b"reset"
socks = []
for i in range(500):
    s = socket.create_connection(("10.99.0.1", 9165), timeout=5)
    s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
# with 500 half-requests open, a scrape still gets its answer
c = socket.create_connection(("10.99.0.1", 9165), timeout=5)
c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
scrape = c.recv(100)
time.sleep(0.5)
held_from = time.time()  # all 500 are open now; hold them
time.sleep(3)
held_to = time.time()
def code(b):
    parts = b.split()
    return parts[1].decode() if len(parts) > 1 and parts[0].startswith(b"HTTP/1.1") else "none"
print(len(socks), code(garbage), "reset" if oversized == b"reset" else code(oversized), code(scrape),
      held_from, held_to)
for s in socks:
    s.close()
"""
    out = h2.run("/usr/bin/python3", "-c", client, timeout=120).stdout.split()
    assert out[0] == "500", out
    # garbage: 400; 64 KiB of headers: 431 (or a reset while it is still sending); the scrape
    # among 500 half-requests: 200
    assert out[1] == "400" and out[2] in ("431", "reset") and out[3] == "200", out
    status, _, body = get(h1, "/healthz", addr="10.99.0.1")
    assert status == 200
    time.sleep(0.5)
    cap.stop()
    stamps = [float(m.group(1)) for m in
              (re.match(r"^(\d+\.\d+) IP 10\.99\.0\.1 > ", line) for line in cap.log_lines())
              if m]
    assert len(stamps) > 20
    held_from, held_to = float(out[4]), float(out[5])
    gaps = [(b - x, x) for x, b in zip(stamps, stamps[1:])]
    worst, at = max(gaps)
    held = [g for g, x in gaps if held_from <= x <= held_to]
    quiet = [g for g, x in gaps if quiet_from <= x <= quiet_to]
    print(f"worst advert gap before the clients: {max(quiet) * 1000:.3f} ms")
    print(f"worst advert gap: {worst * 1000:.3f} ms overall (after {at:.6f}), "
          f"{max(held) * 1000:.3f} ms while the 500 connections were held")
    assert len(held) > 20
    # A release build keeps 100.1 ms here. The sanitizer build (-O0, ASan) on two shared cores
    # needs up to ~250 ms of loop time to take in 500 connects (each one's accept, parse and
    # eviction is a chain of handlers queued behind one another), so its bound is looser; in
    # both the backup must never take over (Master_Down_Interval 0.361 s).
    sanitized = "libasan" in Path(f"/proc/{a.pid}/maps").read_text()
    bound = 0.330 if sanitized else 0.150
    assert max(held) < bound, f"an advert came {max(held) * 1000:.1f} ms after the previous one"
    assert worst < bound, f"an advert came {worst * 1000:.1f} ms after the previous one"
    assert not backup.grep(r"Entering MASTER STATE")
    # every connection is gone again (idle ones time out within 10 s)
    wait_for(lambda: fd_count(a.pid) <= fds_before, timeout=30,
             what=f"vigild's descriptors back to {fds_before}")
    assert a.running


@pytest.mark.lab(hosts=1, ipv4="10.99.0.0/24")
def test_status_listen_refused_when_it_cannot_bind(lab: Lab) -> None:
    h1 = lab.hosts["h1"]
    p = h1.start_vigild(instance(200), extra_args=["--status-listen", "192.0.2.77:9165"],
                        wait_ready=False)
    assert p.wait(timeout=30) == 1
    p.wait_log(r"--status-listen: cannot bind 192\.0\.2\.77:9165: .*(assign|Cannot)")
    assert not h1.has_address(VIP)


@pytest.mark.lab(hosts=1, ipv4="10.99.0.0/24")
def test_sd_notify_and_json_logs(lab: Lab, tmp_path: Path) -> None:
    h1 = lab.hosts["h1"]
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    listener.settimeout(30)
    messages: list[str] = []

    def receive() -> None:
        while True:
            try:
                messages.append(listener.recv(4096).decode())
            except OSError:
                return

    t = threading.Thread(target=receive, daemon=True)
    t.start()
    try:
        d = h1.start_vigild(instance(200), extra_args=["--log-format", "json"],
                            env={"NOTIFY_SOCKET": str(sock_path)}, wait_ready=False)
        wait_for(lambda: any("READY=1" in m for m in messages), timeout=30, what="READY=1")
        ready = next(m for m in messages if "READY=1" in m).split("\n")
        assert f"MAINPID={d.pid}" in ready
        assert any(f.startswith("STATUS=1 VRRP instance(s)") for f in ready), ready
        d.signal(signal.SIGHUP)
        wait_for(lambda: len([m for m in messages if "READY=1" in m]) >= 2, what="READY after HUP")
        reload = [m for m in messages if "RELOADING=1" in m]
        assert reload and re.search(r"^MONOTONIC_USEC=\d+$", reload[0], re.M)
        i_rel = messages.index(reload[0])
        assert any("READY=1" in m for m in messages[i_rel + 1:])
        wait_for(lambda: h1.has_address(VIP), timeout=30, what="master")
        assert d.stop() == 0
        wait_for(lambda: any("STOPPING=1" in m for m in messages), what="STOPPING=1")
    finally:
        listener.close()
    # every stderr line is one JSON object with the fields
    objs = [json.loads(line) for line in d.log_lines()]
    assert all({"time", "level", "logger", "message"} <= o.keys() for o in objs)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", o["time"]) for o in objs)
    entering = [o for o in objs if "Entering MASTER STATE" in o["message"]]
    assert entering and entering[0]["instance"] == "VI_1" and entering[0]["state"] == "MASTER"
    assert entering[0]["logger"] == "vrrp" and entering[0]["reason"]


@pytest.mark.lab(hosts=1, ipv4="10.99.0.0/24")
def test_runs_as_non_root_with_only_net_admin_and_net_raw(lab: Lab) -> None:
    """examples/systemd/vigild-nonroot.service: a plain user with CAP_NET_ADMIN and CAP_NET_RAW
    only (as ambient capabilities) runs VRRP with its VIP, and stops cleanly."""
    import tempfile

    from harness import vigild_path

    h1 = lab.hosts["h1"]
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is part of the test dependencies"
    d = Path(tempfile.mkdtemp(prefix="vigil-nonroot-"))
    try:
        d.chmod(0o755)
        conf = d / "vigild.conf"
        conf.write_text(instance(200).replace("    track_script {\n        chk_ok\n    }\n", ""))
        conf.chmod(0o644)
        p = h1.start([setpriv, "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                      "--inh-caps", "-all,+net_admin,+net_raw",
                      "--ambient-caps", "-all,+net_admin,+net_raw",
                      "--bounding-set", "-all,+net_admin,+net_raw",
                      vigild_path(), "--config", str(conf), "--log-level", "debug"],
                     name="vigild-nonroot")
        p.wait_log(r"vigild ready")
        p.wait_log(r"Entering MASTER STATE")
        wait_for(lambda: h1.has_address(VIP), timeout=30, what="the VIP on h1")
        status = Path(f"/proc/{p.pid}/status").read_text()
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
        cap_eff = int(re.search(r"^CapEff:\s+([0-9a-f]+)", status, re.M).group(1), 16)
        assert uid != "0"
        assert cap_eff == (1 << 12) | (1 << 13), hex(cap_eff)  # CAP_NET_ADMIN, CAP_NET_RAW
        assert p.stop() == 0
        assert not h1.has_address(VIP)
    finally:
        shutil.rmtree(d, ignore_errors=True)
