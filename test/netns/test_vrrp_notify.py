"""Actions on transitions: notify scripts, the notify FIFO, SMTP alerts."""

from __future__ import annotations

import re
import signal
import time

import pytest

from harness import executable, lines, wait_for

VIP = "10.99.0.100"


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_notify_scripts_and_fifo_in_order(lab, tmp_path) -> None:
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    log = tmp_path / "notify.log"
    fifo_log = tmp_path / "fifo.log"
    pwned = tmp_path / "pwned"
    # Records its arguments, one line per call, '|' separated.
    note = executable(tmp_path / "note.sh",
                      f"#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done >> {log}\n"
                      f"echo >> {log}\n")
    reader = executable(tmp_path / "reader.sh",
                        f"#!/bin/sh\nwhile true; do while read -r line; do "
                        f"echo \"$line\" >> {fifo_log}; done < \"$1\"; done\n")
    fifo = tmp_path / "vrrp.fifo"
    conf = f"""
global_defs {{
    vrrp_notify_fifo {fifo}
    vrrp_notify_fifo_script {reader}
}}
vrrp_instance "VI 1" {{
    interface eth0
    version 3
    virtual_router_id 51
    priority 200
    advert_int 0.1
    notify_master "{note} master"
    notify_backup "{note} backup"
    notify_fault "{note} fault"
    notify_stop "{note} stop"
    notify "{note} 'two words' \\"x;touch {pwned}\\" $(touch {pwned})"
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""
    a = h1.start_vigild(conf)
    a.wait_log(r"Entering MASTER STATE", timeout=30)
    b = h2.start_vigild(f"""
vrrp_instance "VI 1" {{
    interface eth0
    version 3
    virtual_router_id 51
    priority 250
    advert_int 0.1
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
""")
    a.wait_log(r"Entering BACKUP STATE \(preempted", timeout=30)
    h1.link_set("eth0", "down")
    a.wait_log(r"Entering FAULT STATE")
    h1.link_set("eth0", "up")
    a.wait_log(r"Entering BACKUP STATE \(fault cleared\)")
    assert a.stop(signal.SIGTERM) == 0
    b.stop(signal.SIGTERM)

    want_states = ["BACKUP", "MASTER", "BACKUP", "FAULT", "BACKUP", "STOP"]
    wait_for(lambda: len(lines(fifo_log)) >= len(want_states), what="all FIFO lines")
    assert lines(fifo_log) == [f'INSTANCE "VI 1" {s} 200' for s in want_states]

    # Each transition: notify_<state> first, then notify with keepalived's four arguments.
    expected = []
    for s in want_states:
        expected.append(f"{s.lower()}|")
        expected.append(f"two words|x;touch {pwned}|$(touch|{pwned})|INSTANCE|VI 1|{s}|200|")
    wait_for(lambda: len(lines(log)) >= len(expected), what="all notify script calls")
    assert lines(log) == expected
    assert not pwned.exists(), "a quoted argument ran as a command"


SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        subject = [l for l in envelope.content.decode().splitlines() if l.startswith("Subject:")]
        print("MAIL", envelope.mail_from, ",".join(envelope.rcpt_tos), subject[0] if subject else "",
              flush=True)
        return "250 OK"

c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("listening", flush=True)
asyncio.get_event_loop().run_forever()
"""


def mail_conf(server: str, port: int, prio: int) -> str:
    return f"""
global_defs {{
    router_id lb-{prio}
    notification_email {{
        ops@example.com
        oncall@example.com
    }}
    notification_email_from vigil@example.com
    smtp_server {server} {port}
    smtp_connect_timeout 30
}}
vrrp_instance VI_1 {{
    interface eth0
    version 3
    virtual_router_id 51
    priority {prio}
    advert_int 0.1
    smtp_alert
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_smtp_alerts_reach_a_real_server(lab, tmp_path) -> None:
    pytest.importorskip("aiosmtpd")
    h1 = lab.hosts["h1"]
    sink_py = tmp_path / "sink.py"
    sink_py.write_text(SINK)
    sink = h1.start(["/usr/bin/python3", str(sink_py), "2525"], name="smtp-sink")
    sink.wait_log(r"listening")
    a = h1.start_vigild(mail_conf("127.0.0.1", 2525, 200))
    a.wait_log(r"Entering MASTER STATE", timeout=30)
    m = sink.wait_log(r"MAIL vigil@example.com ops@example.com,oncall@example.com "
                      r"Subject: .*lb-200.*VI_1.*MASTER", timeout=30)
    assert "BACKUP" not in m.line
    a.wait_log(r"mail '.*' sent to 2 recipient")
    sink.wait_log(r"Subject: .*VI_1.*BACKUP")  # the startup transition was mailed too


@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
def test_unreachable_smtp_server_does_not_delay_vrrp(lab, tmp_path) -> None:
    """Mail goes to an address nobody answers for (connect hangs until the 30 s timeout);
    the master's adverts keep their 100 ms cadence meanwhile."""
    h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
    a = h1.start_vigild(mail_conf("10.99.0.250", 25, 200))
    h2.start_vigild(mail_conf("10.99.0.250", 25, 100))
    a.wait_log(r"Entering MASTER STATE", timeout=30)
    cap = h2.start(["tcpdump", "-i", "eth0", "-n", "-tt", "-l", "ip proto 112 and src 10.99.0.1"],
                   name="adverts")
    cap.wait_log(r"listening on")
    time.sleep(3)
    cap.stop()
    assert not a.grep(r"mail '.*' sent to")
    stamps = [float(m.group(1)) for m in
              (re.match(r"^(\d+\.\d+) IP 10\.99\.0\.1 > ", line) for line in cap.log_lines()) if m]
    assert len(stamps) > 20
    worst = max(b - a_ for a_, b in zip(stamps, stamps[1:]))
    print(f"worst advert gap with mail stuck: {worst * 1000:.3f} ms")
    assert worst < 0.150


@pytest.mark.lab(hosts=1, ipv4="10.99.0.0/24")
def test_reload_reports_deleted_instances(lab, tmp_path) -> None:
    """An instance removed by a reload is reported DELETED with notify_deleted, else FAULT."""
    h1 = lab.hosts["h1"]
    fifo_log = tmp_path / "fifo.log"
    reader = executable(tmp_path / "reader.sh",
                        f"#!/bin/sh\nwhile true; do while read -r line; do "
                        f"echo \"$line\" >> {fifo_log}; done < \"$1\"; done\n")
    head = f"""
global_defs {{
    vrrp_notify_fifo {tmp_path / "v.fifo"}
    vrrp_notify_fifo_script {reader}
}}
"""

    def inst(name: str, vrid: int, extra: str = "") -> str:
        return f"""
vrrp_instance {name} {{
    interface eth0
    version 3
    virtual_router_id {vrid}
    priority 100
    advert_int 0.1
{extra}
    virtual_ipaddress {{
        10.99.0.{vrid}/24
    }}
}}
"""

    conf = head + inst("KEEP", 11) + inst("GONE_D", 12, "    notify_deleted") + inst("GONE_F", 13)
    p = h1.start_vigild(conf)
    for n in ("KEEP", "GONE_D", "GONE_F"):
        p.wait_log(rf"\({n}\) Entering MASTER STATE", timeout=30)
    path = next(lab.workdir.glob("h1-vigild.conf"))
    path.write_text(head + inst("KEEP", 11))
    p.signal(signal.SIGHUP)
    p.wait_log(r"configuration reloaded: 1 vrrp instance")
    wait_for(lambda: 'INSTANCE "GONE_F" FAULT 100' in lines(fifo_log)
             and 'INSTANCE "GONE_D" DELETED 100' in lines(fifo_log), what="deletion notices")
    assert 'INSTANCE "KEEP" STOP 100' not in lines(fifo_log)
    assert not h1.has_address("10.99.0.12") and h1.has_address("10.99.0.11")
