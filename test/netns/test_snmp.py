"""SNMP traps, keepalived's way: vigild as an AgentX subagent of Debian's snmpd.

In the host's own namespace: snmpd (master agentx on a socket in the test's directory, its
traps to snmptrapd on loopback as SNMPv2c), snmptrapd writing each trap as one line of numeric
OIDs. keepalived 2.2.7 runs the scenario first and its traps are the reference; vigild runs the
same scenario and must send the same traps with the same varbinds (sysUpTime aside). Then
vigild's checker traps (keepalived's checker needs IPVS, which this kernel lacks), and a
master that comes late and goes away: vigild keeps running and reconnects.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time

import pytest

from harness import wait_for

LAN4 = "10.97.0.0/24"
KA = "1.3.6.1.4.1.9586.100.5"

pytestmark = pytest.mark.skipif(not shutil.which("snmpd") or not shutil.which("snmptrapd"),
                                reason="snmpd/snmptrapd not installed (scripts/test installs them)")


def snmp_env(lab) -> dict[str, str]:
    """No MIB files (Debian ships no base MIBs: numeric OIDs only), private persistent state."""
    state = lab.workdir / "snmp-state"
    state.mkdir(exist_ok=True)
    mibs = lab.workdir / "no-mibs"
    mibs.mkdir(exist_ok=True)
    return {"MIBS": "", "MIBDIRS": str(mibs), "SNMP_PERSISTENT_DIR": str(state)}


class Snmp:
    """snmpd as AgentX master and snmptrapd, both on loopback in `host`'s namespace."""

    def __init__(self, lab, host) -> None:
        self.lab, self.host = lab, host
        self.socket = lab.workdir / "agentx.sock"
        self.traps_log = lab.workdir / "traps.log"
        trapd_conf = host.write_file("snmptrapd.conf", "disableAuthorization yes\n")
        self.trapd = host.start(["snmptrapd", "-f", "-C", "-c", str(trapd_conf), "-On",
                                 "-F", "TRAP %V~ %v\n", "-Lf", str(self.traps_log),
                                 "udp:127.0.0.1:16162"], name="snmptrapd", env=snmp_env(lab))
        wait_for(lambda: self.traps_log.exists() and "NET-SNMP version" in
                 self.traps_log.read_text(), timeout=30, what="snmptrapd to start")
        self.snmpd = None
        self.start_snmpd()

    def start_snmpd(self) -> None:
        conf = self.host.write_file("snmpd.conf", "\n".join([
            "master agentx", f"agentXSocket unix:{self.socket}",
            "agentaddress udp:127.0.0.1:16161", "trap2sink 127.0.0.1:16162 public",
            "rocommunity public 127.0.0.1", ""]))
        self.snmpd = self.host.start(["snmpd", "-f", "-C", "-c", str(conf), "-Lo",
                                      "-p", str(self.lab.workdir / "snmpd.pid")],
                                     name="snmpd", env=snmp_env(self.lab))
        wait_for(lambda: self.socket.exists(), timeout=30, what="the AgentX socket")

    def traps(self) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        """(trap OID, varbinds without sysUpTime) for every trap received so far."""
        out = []
        text = self.traps_log.read_text() if self.traps_log.exists() else ""
        for line in text.splitlines():
            if not line.startswith("TRAP "):
                continue
            binds = []
            for part in line[5:].split("~ "):
                m = re.match(r"\s*\.?([\d.]+) = (.*?)\s*$", part)
                if m:
                    binds.append((m.group(1), m.group(2)))
            trap = dict(binds).get("1.3.6.1.6.3.1.1.4.1.0", "")
            rest = tuple(b for b in binds
                         if b[0] not in ("1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0"))
            out.append((trap.replace("OID: .", ""), rest))
        return [t for t in out if t[0].startswith(("1.3.6.1.4.1.9586", "1.3.6.1.2.1.68",
                                                    "1.3.6.1.2.1.207"))]

    def wait_traps(self, count: int, timeout: float = 30) -> list:
        return wait_for(lambda: t if len(t := self.traps()) >= count else None,
                        timeout=timeout, what=f"{count} traps")


def vrrp_conf(sock) -> str:
    return f"""global_defs {{
    router_id snmp-lab
    enable_traps
    enable_snmp_vrrp
    enable_snmp_rfc
    snmp_socket unix:{sock}
}}
vrrp_sync_group G1 {{
    group {{
        VI_3
        VI_4
    }}
}}
vrrp_instance VI_1 {{
    interface eth0
    version 3
    virtual_router_id 91
    priority 150
    advert_int 0.1
    virtual_ipaddress {{
        10.97.0.91/24
    }}
}}
vrrp_instance VI_2 {{
    interface eth0
    version 2
    virtual_router_id 92
    priority 150
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass secret
    }}
    virtual_ipaddress {{
        10.97.0.92/24
    }}
}}
vrrp_instance VI_3 {{
    interface eth0
    version 3
    virtual_router_id 93
    priority 150
    advert_int 0.1
    virtual_ipaddress {{
        10.97.0.93/24
    }}
}}
vrrp_instance VI_4 {{
    interface eth0
    version 3
    virtual_router_id 94
    priority 150
    advert_int 0.5
    virtual_ipaddress {{
        10.97.0.94/24
    }}
}}
"""


# From h2: two VRRPv2 adverts for VRID 92 with a wrong password (vrrpTrapAuthFailure), two
# VRRPv3 adverts for VRID 91 with TTL 64 (vrrpv3ProtoError, ipTtlError).
CRAFTED = """import socket, struct
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
src = '10.97.0.2'
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
body = bytes([0x21, 92, 100, 1, 1, 1, 0, 0]) + socket.inet_aton('10.97.0.92') + b'wrongpw' + bytes(1)
body = body[:6] + struct.pack('!H', csum(body)) + body[8:]
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
for _ in range(2): s.sendto(body, ('224.0.0.18', 0))
body = bytes([0x31, 91, 100, 1, 0, 10, 0, 0]) + socket.inet_aton('10.97.0.91')
pseudo = socket.inet_aton(src) + socket.inet_aton('224.0.0.18') + bytes([0, 112, 0, len(body)])
body = body[:6] + struct.pack('!H', csum(pseudo + body)) + body[8:]
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 64)
for _ in range(2): s.sendto(body, ('224.0.0.18', 0))
"""


def scenario(snmp, h1, h2, start) -> list:
    """Start a daemon, let every instance become master, send the crafted adverts, stop it;
    return the traps it caused."""
    mark = len(snmp.traps())
    proc = start()
    for vi in ("VI_1", "VI_2", "VI_3", "VI_4"):
        proc.wait_log(rf"\({vi}\) Entering MASTER STATE", timeout=60)
    time.sleep(0.5)
    h2.run("/usr/bin/python3", "-c", CRAFTED)
    time.sleep(1.0)
    assert proc.stop() == 0, proc.tail()
    time.sleep(1.5)  # the last traps through snmpd to snmptrapd
    return snmp.traps()[mark:]


@pytest.mark.lab(hosts=2, ipv4=LAN4)
def test_vrrp_traps_match_keepalived(lab) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    snmp = Snmp(lab, h1)
    conf = vrrp_conf(snmp.socket)
    reference = scenario(snmp, h1, h2,
                         lambda: h1.start_keepalived(conf, name="keepalived", env=snmp_env(lab)))
    mine = scenario(snmp, h1, h2, lambda: h1.start_vigild(conf, name="vigild"))
    print("keepalived:", *reference, sep="\n  ")
    print("vigild:", *mine, sep="\n  ")
    names = [t[0] for t in reference]
    # the reference has every kind this scenario causes
    for trap in (f"{KA}.2.10.0.2", f"{KA}.2.10.0.1", "1.3.6.1.2.1.68.0.1", "1.3.6.1.2.1.68.0.2",
                 "1.3.6.1.2.1.207.0.1", "1.3.6.1.2.1.207.0.2"):
        assert trap in names, (trap, reference)
    assert sorted(mine) == sorted(reference)

    # and in the same order per instance
    def per_instance(traps, name):
        return [t for t in traps if any(v == f'STRING: "{name}"' for _, v in t[1])]

    for name in ("VI_1", "VI_2", "VI_3", "VI_4", "G1"):
        assert per_instance(mine, name) == per_instance(reference, name), name


@pytest.mark.lab(hosts=1, ipv4=LAN4)
def test_checker_traps_and_reconnection(lab) -> None:
    h1 = lab.hosts["h1"]
    snmp = Snmp(lab, h1)
    # vigild starts while snmpd is away, and keeps running
    snmp.snmpd.stop()
    wait_for(lambda: not snmp.socket.exists() or not snmp.snmpd.running, timeout=30)
    server = h1.start(["python3", "-c",
                       "import socket,time\n"
                       "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                       "s.bind(('127.0.0.1', 18080)); s.listen(64)\n"
                       "while True:\n    c,_=s.accept(); c.close()\n"], name="tcpserver")
    conf = f"""global_defs {{
    router_id snmp-lab
    enable_traps
    enable_snmp_checker
    snmp_socket unix:{snmp.socket}
}}
virtual_server 127.0.0.1 8080 {{
    delay_loop 1
    protocol TCP
    quorum 1
    real_server 127.0.0.1 18080 {{
        TCP_CHECK {{
            connect_timeout 1
            retry 0
        }}
    }}
}}
"""
    vd = h1.start_vigild(conf, name="vigild")
    vd.wait_log(r"SNMP: AgentX subagent not connected yet", timeout=30)
    vd.wait_log(r"TCP connection to \[127\.0\.0\.1\]:tcp:18080 success", timeout=30)
    # snmpd comes: the subagent connects within its 5 s retry
    snmp.start_snmpd()
    vd.wait_log(r"SNMP: AgentX master .* connected", timeout=30)
    mark = len(snmp.traps())
    server.kill()
    vd.wait_log(r"TCP_CHECK on service \[127\.0\.0\.1\]:tcp:18080 failed", timeout=30)
    traps = snmp.wait_traps(mark + 2)[mark:]
    rs = [t for t in traps if t[0] == f"{KA}.3.5.0.1"]
    quorum = [t for t in traps if t[0] == f"{KA}.3.5.0.2"]
    assert rs and quorum, traps
    rs_binds = dict(rs[0][1])
    assert rs_binds[f"{KA}.3.4.1.3"] == "INTEGER: 1"              # realServerAddrType ipv4
    assert rs_binds[f"{KA}.3.4.1.4"].replace(" ", "") == 'Hex-STRING:7F000001', rs_binds
    assert rs_binds[f"{KA}.3.4.1.5"] == "Gauge32: 18080"          # realServerPort
    assert rs_binds[f"{KA}.3.4.1.6"] == "INTEGER: 2"              # dead
    assert rs_binds[f"{KA}.3.3.1.2"] == "INTEGER: 2"              # virtualServerType ip
    assert rs_binds[f"{KA}.3.3.1.7"] == "Gauge32: 8080"
    assert rs_binds[f"{KA}.3.3.1.8"] == "INTEGER: 1"              # tcp
    assert rs_binds[f"{KA}.3.3.1.21"] == "Gauge32: 0"             # up
    assert rs_binds[f"{KA}.3.3.1.20"] == "Gauge32: 1"             # total
    assert rs_binds[f"{KA}.1.2.0"] == 'STRING: "snmp-lab"'
    q_binds = dict(quorum[0][1])
    assert q_binds[f"{KA}.3.3.1.23"] == "INTEGER: 2"              # notMet
    assert q_binds[f"{KA}.3.3.1.22"] == "Gauge32: 1"
    # snmpd goes away and comes back: vigild keeps running and reconnects
    snmp.snmpd.kill()
    vd.wait_log(r"SNMP: AgentX master .* went away", timeout=30)
    assert vd.running
    snmp.start_snmpd()
    mark = vd.log_mark()
    vd.wait_log(r"SNMP: AgentX master .* connected", after=mark, timeout=30)
    before = len(snmp.traps())
    server = h1.start(["python3", "-c",
                       "import socket\n"
                       "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                       "s.bind(('127.0.0.1', 18080)); s.listen(64)\n"
                       "while True:\n    c,_=s.accept(); c.close()\n"], name="tcpserver2")
    back = snmp.wait_traps(before + 2)[before:]
    assert any(t[0] == f"{KA}.3.5.0.1" and dict(t[1])[f"{KA}.3.4.1.6"] == "INTEGER: 1"
               for t in back), back
    assert vd.stop() == 0, vd.tail()
