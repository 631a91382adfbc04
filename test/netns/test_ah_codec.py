"""VRRPv2 AH authentication built by vigil, judged by Debian's keepalived 2.2.7 (and back).

``ah_tool`` (test/tools/ah_tool.cpp) builds adverts with ``vrrp::ah::seal`` and sends them through
a ``vrrp::io::VrrpSocket`` in AH mode (raw IP protocol 51, IP_HDRINCL); in ``listen`` mode it
receives AH packets on the same kind of socket and checks them with ``vrrp::ah::open``.

* keepalived (a backup at priority 100) accepts vigil's priority-200 adverts with the right key:
  it stays BACKUP while they flow, and becomes MASTER once they stop. The key may be shorter
  than 8 bytes, or a password longer than 8 that keepalived truncates; unicast adverts with a
  TTL below 255 pass too (the ICV leaves the TTL out for unicast).
* With a wrong key, or replayed sequence numbers, keepalived drops them (and says why) and
  becomes MASTER although they keep coming.
* vigil's socket receives keepalived's AH adverts although no xfrm state exists, ``open``
  accepts them with the right key and refuses them with a wrong one, and ``seal`` rebuilds the
  very bytes keepalived sent.

The tool is ``$AH_TOOL`` (default ``<repo>/build/test/ah_tool``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import time

import pytest

from harness import REPO_ROOT, Host, Lab, Proc, keepalived_path

VIP = "10.99.0.100"
GROUP = "224.0.0.18"
VRID = 51
# keepalived's Master_Down_Interval at priority 100 and advert_int 1: 3 + 156/256 s.
MASTER_DOWN = 3.61

pytestmark = [
    pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24"),
    pytest.mark.skipif(keepalived_path() is None, reason="keepalived is not installed"),
]


@pytest.fixture(scope="module")
def tool() -> str:
    path = os.environ.get("AH_TOOL") or str(REPO_ROOT / "build" / "test" / "ah_tool")
    if not os.access(path, os.X_OK):
        pytest.fail(f"ah_tool not found at {path} (ninja -C build test/ah_tool, or set AH_TOOL)",
                    pytrace=False)
    return path


def keepalived_config(password: str, priority: int = 100, unicast: tuple[str, str] | None = None
                      ) -> str:
    """A VRRPv2 instance with AH; ``unicast`` = (unicast_src_ip, peer)."""
    lines = [
        "vrrp_instance VI_1 {",
        "    interface eth0",
        "    version 2",
        f"    virtual_router_id {VRID}",
        f"    priority {priority}",
        "    advert_int 1",
        "    authentication {",
        "        auth_type AH",
        f"        auth_pass {password}",
        "    }",
    ]
    if unicast:
        lines += [f"    unicast_src_ip {unicast[0]}", "    unicast_peer {",
                  f"        {unicast[1]}", "    }"]
    lines += ["    virtual_ipaddress {", f"        {VIP}/24", "    }", "}", ""]
    return "\n".join(lines)


def start_sender(host: Host, tool: str, key: str, dst: str = GROUP, priority: int = 200,
                 extra: tuple[str, ...] = ()) -> Proc:
    """ah_tool sending an advert every second until stopped."""
    return host.start([tool, "send", "--ifname", "eth0", "--src", host.ipv4(), "--dst", dst,
                       "--vrid", str(VRID), "--priority", str(priority), "--vip", VIP,
                       "--key", key, *extra], name="ah_tool-send")


def start_backup(host: Host, password: str, **kwargs) -> Proc:
    ka = host.start_keepalived(keepalived_config(password, **kwargs), wait_ready=True)
    ka.wait_log(r"\(VI_1\) Entering BACKUP STATE")
    return ka


def assert_stays_backup(ka: Proc, sender: Proc, seconds: float) -> None:
    """keepalived holds BACKUP for ``seconds`` while ``sender`` keeps sending."""
    __tracebackhide__ = True
    mark = ka.log_mark()
    time.sleep(seconds)
    assert sender.running, f"ah_tool stopped early:\n{sender.tail(20)}"
    ka.assert_no_log(r"Entering MASTER STATE", after=mark)
    ka.assert_no_log(r"IPSEC", after=0)
    sent = sender.grep(r"^sent seq=")
    assert len(sent) >= int(seconds) - 1, f"ah_tool sent only {len(sent)} adverts"


@pytest.mark.parametrize("password,key", [
    ("secret12", "secret12"),
    ("abc", "abc"),                     # shorter than 8 bytes: used as it is
    ("longpassword123", "longpass"),    # keepalived truncates auth_pass to 8 characters
], ids=["8-bytes", "short", "truncated"])
def test_keepalived_accepts_vigil_adverts(lab: Lab, tool: str, password: str, key: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    cap = lab.capture(filter="ip proto 51", required=False)
    ka = start_backup(h2, password)
    sender = start_sender(h1, tool, key)
    assert_stays_backup(ka, sender, 2 * MASTER_DOWN)
    if cap:
        spi = int(ipaddress.IPv4Address(h1.ipv4()))
        cap.wait_log(rf"tos 0xc0, ttl 255, id 1, offset 0, flags \[none\], proto AH \(51\)")
        cap.wait_log(rf"{re.escape(h1.ipv4())} > {GROUP}: AH\(length=4\(24-bytes\),"
                     rf"spi=0x{spi:08x},seq=0x1,icv=0x[0-9a-f]{{24}}\): VRRPv2, Advertisement, "
                     rf"vrid {VRID}, prio 200, authtype ah")
    mark = ka.log_mark()
    assert sender.stop() == 0
    assert re.search(r"^sent=\d+ errors=0$", sender.log_text(), re.M)
    ka.wait_log(r"\(VI_1\) Entering MASTER STATE", after=mark, timeout=MASTER_DOWN + 5)
    ka.assert_no_log(r"IPSEC")


def test_keepalived_accepts_vigil_unicast_adverts_with_a_lower_ttl(lab: Lab, tool: str) -> None:
    # The ICV of a unicast advert leaves the TTL out: TTL 64 must pass.
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    ka = start_backup(h2, "secret12", unicast=(h2.ipv4(), h1.ipv4()))
    sender = start_sender(h1, tool, "secret12", dst=h2.ipv4(), extra=("--ttl", "64"))
    assert_stays_backup(ka, sender, 2 * MASTER_DOWN)
    mark = ka.log_mark()
    assert sender.stop() == 0
    ka.wait_log(r"\(VI_1\) Entering MASTER STATE", after=mark, timeout=MASTER_DOWN + 5)


def test_keepalived_rejects_a_wrong_key(lab: Lab, tool: str) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    ka = start_backup(h2, "secret12")
    sender = start_sender(h1, tool, "wrongkey")
    ka.wait_log(r"\(VI_1\) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or "
                r"bad password !")
    ka.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=MASTER_DOWN + 5)
    assert sender.running, "ah_tool stopped before keepalived went MASTER"


def test_keepalived_rejects_replayed_sequence_numbers(lab: Lab, tool: str) -> None:
    # The first advert with sequence number 7 is accepted, every repetition is a replay.
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    ka = start_backup(h2, "secret12")
    sender = start_sender(h1, tool, "secret12", extra=("--seq-start", "7", "--repeat-seq"))
    ka.wait_log(r"\(VI_1\) IPSEC-AH : sequence number 7 already processed. Packet dropped. "
                r"Local\(7\)")
    ka.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=MASTER_DOWN + 5)
    assert sender.running


def test_vigil_receives_and_checks_keepalived_adverts(lab: Lab, tool: str) -> None:
    # No xfrm state exists: the raw AH socket still gets every packet.
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    assert h1.run("ip", "xfrm", "state").stdout.strip() == ""
    right = h1.start([tool, "listen", "--ifname", "eth0", "--key", "secret12", "--hex"],
                     name="ah_tool-right")
    wrong = h1.start([tool, "listen", "--ifname", "eth0", "--key", "secret13"],
                     name="ah_tool-wrong")
    right.wait_log(r"^listening on eth0")
    wrong.wait_log(r"^listening on eth0")
    ka = h2.start_keepalived(keepalived_config("secret12", priority=200), wait_ready=True)
    ka.wait_log(r"\(VI_1\) Entering MASTER STATE", timeout=MASTER_DOWN + 5)
    spi = int(ipaddress.IPv4Address(h2.ipv4()))
    src = re.escape(h2.ipv4())
    first = right.wait_log(rf"^accepted src={src} dst={GROUP} spi=0x{spi:08x} seq=1 ip_id=1 "
                           rf"ttl=255 vrid={VRID} priority=200 vrrp=none hex=([0-9a-f]+)$")
    right.wait_log(rf"^accepted src={src} .* seq=3 ip_id=3 ")
    wrong.wait_log(rf"^dropped src={src} reason=bad_icv seq=1$")
    wrong.wait_log(rf"^dropped src={src} reason=bad_icv seq=3$")
    assert not wrong.grep(r"^accepted")

    # seal() on the same inputs rebuilds keepalived's packet byte for byte.
    out = h1.run(tool, "send", "--dry-run", "--ifname", "eth0", "--src", h2.ipv4(), "--dst",
                 GROUP, "--vrid", str(VRID), "--priority", "200", "--vip", VIP, "--key",
                 "secret12", "--count", "1").stdout
    m = re.search(r"^sent seq=1 ip_id=1 hex=([0-9a-f]+)$", out, re.M)
    assert m, out
    assert m.group(1) == first.group(1)
