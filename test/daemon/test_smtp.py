"""vigil's SMTP alert client (daemon/smtp.cpp) against real servers on loopback.

test/tools/smtp_tool sends one mail (or a few through the Alerter queue) while a 5 ms timer ticks
on the same io_context and reports the worst gap between ticks: a slow or silent server must
never stall the event loop. The servers are aiosmtpd (Debian python3-aiosmtpd) and plain Python
sockets for the misbehaving ones. No root needed.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import re
import socket
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

ROOT = Path(__file__).resolve().parents[2]
SMTP_TOOL = os.environ.get("SMTP_TOOL", str(ROOT / "build" / "test" / "smtp_tool"))
SCALE = float(os.environ.get("VIGIL_TEST_TIMEOUT_SCALE", "1"))
# Sanitizers make everything slower; a stalled loop would show gaps of seconds.
MAX_GAP_MS = 100 * SCALE

FROM = "vigil@lb1.test"


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Result:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        m = re.search(r"elapsed_ms=([\d.]+) max_gap_ms=([\d.]+) ticks=(\d+)", proc.stdout)
        assert m, f"no timing line in:\n{proc.stdout}\n{proc.stderr}"
        self.elapsed_ms = float(m.group(1))
        self.max_gap_ms = float(m.group(2))
        self.ticks = int(m.group(3))

    def line(self, prefix: str) -> str:
        for line in self.out.splitlines():
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r} in:\n{self.out}\n{self.err}")

    def __repr__(self) -> str:
        return f"exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"


def smtp_tool(host: str, port: int, to: list[str], subject: str = "test", body: str = "hello\n",
              timeout_ms: int = 5000, extra: tuple[str, ...] = ()) -> Result:
    args = [SMTP_TOOL, "--server", host, "--port", str(port), "--from", FROM,
            "--subject", subject, "--body", body, "--helo", "lb1.test",
            "--timeout-ms", str(timeout_ms), *extra]
    for t in to:
        args += ["--to", t]
    proc = subprocess.run(args, capture_output=True, text=True,
                          timeout=60 * SCALE + timeout_ms / 1000 * 4)
    return Result(proc)


class Sink:
    """aiosmtpd handler: keeps every accepted mail, rejects the recipients in `reject`."""

    def __init__(self, reject: tuple[str, ...] = ()) -> None:
        self.reject = set(reject)
        self.mails: list[tuple[str, list[str], bytes]] = []
        self.helo: list[str] = []

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        self.helo.append(hostname)
        return "250 sink.test"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 queued"


def start_sink(sink: Sink, host: str = "127.0.0.1"):
    controller = aiosmtpd_controller.Controller(sink, hostname=host, port=free_port(host))
    controller.start()
    return controller


@pytest.fixture
def sink_factory():
    controllers = []

    def make(reject: tuple[str, ...] = (), host: str = "127.0.0.1"):
        sink = Sink(reject)
        controller = start_sink(sink, host)
        controllers.append(controller)
        return sink, controller.port

    yield make
    for c in controllers:
        c.stop()


def test_mail_reaches_the_server_with_headers_recipients_and_body(sink_factory):
    sink, port = sink_factory()
    body = "first line\n.a line starting with a dot\n.\nlast line\n"
    subject = "[lb1] VRRP Instance VI_1 - Entering MASTER state"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    r = smtp_tool("127.0.0.1", port, ["ops@example.test", "oncall@example.test"], subject, body)
    after = datetime.now(timezone.utc)
    assert r.code == 0, r
    assert r.line("ok") == "ok accepted=2 quit_acknowledged=1"
    assert r.max_gap_ms < MAX_GAP_MS, r

    assert sink.helo == ["lb1.test"]
    assert len(sink.mails) == 1
    mail_from, rcpt_tos, content = sink.mails[0]
    assert mail_from == FROM
    assert rcpt_tos == ["ops@example.test", "oncall@example.test"]
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert msg["From"] == FROM
    assert [a for _, a in email.utils.getaddresses(msg.get_all("To"))] == rcpt_tos
    assert msg["Subject"] == subject
    assert msg["X-Mailer"] == "vigil"
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    date = email.utils.parsedate_to_datetime(msg["Date"])
    assert before <= date <= after
    # The server undid the dot stuffing: the body arrives as written, with CRLF.
    assert msg.get_payload() == body.replace("\n", "\r\n")


def test_non_ascii_subject_and_injection_attempt(sink_factory):
    sink, port = sink_factory()
    subject = "caf\u00e9 \u2013 VI_1\r\nBcc: evil@example.test"
    r = smtp_tool("127.0.0.1", port, ["ops@example.test"], subject, "priorit\u00e9 150\n")
    assert r.code == 0, r
    _, rcpt_tos, content = sink.mails[0]
    assert rcpt_tos == ["ops@example.test"]
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "caf\u00e9 \u2013 VI_1 Bcc: evil@example.test"
    assert msg.get_content() == "priorit\u00e9 150\r\n"


def test_recipient_with_crlf_is_refused_before_connecting(sink_factory):
    sink, port = sink_factory()
    r = smtp_tool("127.0.0.1", port, ["ops@example.test\r\nRCPT TO:<evil@example.test>"])
    assert r.code == 1, r
    assert "invalid recipient address" in r.line("error:")
    assert sink.mails == []


def test_ipv6_loopback(sink_factory):
    try:
        sink, port = sink_factory(host="::1")
    except OSError as e:
        pytest.skip(f"no IPv6 loopback: {e}")
    r = smtp_tool("::1", port, ["ops@example.test"])
    assert r.code == 0, r
    assert len(sink.mails) == 1


def test_refused_connection_fails_fast_with_the_reason():
    port = free_port()  # nothing listens there any more
    r = smtp_tool("127.0.0.1", port, ["ops@example.test"], timeout_ms=10000)
    assert r.code == 1, r
    assert r.line("error:") == f"error: connect to 127.0.0.1:{port}: Connection refused"
    assert r.elapsed_ms < 2000 * SCALE, r
    assert r.max_gap_ms < MAX_GAP_MS, r


class RawServer:
    """A TCP server that misbehaves on purpose: `behaviour(conn)` runs for each connection."""

    def __init__(self, behaviour) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.behaviour(conn, self.stop)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            c.close()


def silent(conn, stop):
    stop.wait(30)


def trickle_lines(conn, stop):
    # An endless multi-line banner, one continuation line every 100 ms.
    while not stop.wait(0.1):
        conn.sendall(b"220-still thinking\r\n")


def trickle_bytes(conn, stop):
    # A banner that never ends, one byte every 50 ms.
    while not stop.wait(0.05):
        conn.sendall(b"2")


def slow_after_helo(conn, stop):
    conn.sendall(b"220 slow.test ESMTP\r\n")
    conn.recv(1024)
    stop.wait(30)


@pytest.mark.parametrize("behaviour,waiting", [
    (silent, "the 220 banner"),
    (trickle_lines, "the 220 banner"),
    (trickle_bytes, "the 220 banner"),
    (slow_after_helo, "the reply to HELO"),
])
def test_unresponsive_server_times_out_at_the_configured_timeout(behaviour, waiting):
    server = RawServer(behaviour)
    try:
        r = smtp_tool("127.0.0.1", server.port, ["ops@example.test"], timeout_ms=1500)
    finally:
        server.close()
    assert r.code == 1, r
    assert r.line("error:") == (f"error: timed out after 1.5 s waiting for {waiting} "
                                f"from 127.0.0.1:{server.port}")
    # The whole session is bounded, however the server trickles.
    assert 1450 <= r.elapsed_ms < 1500 + 1000 * SCALE, r
    assert r.max_gap_ms < MAX_GAP_MS, r
    assert r.ticks > 100, r


def test_server_refusing_the_session():
    def refuse(conn, stop):
        conn.sendall(b"554-not today\r\n554 5.3.2 go away\r\n")
        stop.wait(5)

    server = RawServer(refuse)
    try:
        r = smtp_tool("127.0.0.1", server.port, ["ops@example.test"])
    finally:
        server.close()
    assert r.code == 1, r
    assert r.line("error:") == "error: server refused the session: 554 not today 5.3.2 go away"


def test_one_rejected_recipient_still_delivers_to_the_others(sink_factory):
    sink, port = sink_factory(reject=("nobody@example.test",))
    r = smtp_tool("127.0.0.1", port, ["nobody@example.test", "ops@example.test"])
    assert r.code == 0, r
    assert r.line("rejected:").startswith("rejected: RCPT TO <nobody@example.test>: 550 5.1.1")
    assert r.line("ok") == "ok accepted=1 quit_acknowledged=1"
    assert len(sink.mails) == 1
    _, rcpt_tos, content = sink.mails[0]
    assert rcpt_tos == ["ops@example.test"]
    # The To header still names both: it is what the operator configured.
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert "nobody@example.test" in msg["To"]


def test_every_recipient_rejected_is_a_failure(sink_factory):
    sink, port = sink_factory(reject=("a@example.test", "b@example.test"))
    r = smtp_tool("127.0.0.1", port, ["a@example.test", "b@example.test"])
    assert r.code == 1, r
    err = r.line("error:")
    assert err.startswith("error: server rejected every recipient: RCPT TO <a@example.test>: 550")
    assert "RCPT TO <b@example.test>: 550" in err
    assert sink.mails == []

    sink, port = sink_factory(reject=("a@example.test",))
    r = smtp_tool("127.0.0.1", port, ["a@example.test"])
    assert r.code == 1, r
    assert r.line("error:").startswith("error: server rejected RCPT TO <a@example.test>: 550 5.1.1")


def test_alerter_sends_queued_mail_one_after_another_and_logs(sink_factory):
    sink, port = sink_factory(reject=("nobody@example.test",))
    r = smtp_tool("127.0.0.1", port, ["ops@example.test", "nobody@example.test"],
                  subject="[lb1] VRRP Instance VI_1 - Entering BACKUP state",
                  extra=("--alerter", "--count", "3"))
    assert r.code == 0, r
    assert r.line("sent=") == "sent=3 failed=0 dropped=0"
    assert [m[1] for m in sink.mails] == [["ops@example.test"]] * 3
    subjects = [email.message_from_bytes(m[2], policy=email.policy.default)["Subject"]
                for m in sink.mails]
    assert subjects == [f"[lb1] VRRP Instance VI_1 - Entering BACKUP state #{i}"
                        for i in (1, 2, 3)]
    for i in (1, 2, 3):
        assert (f"mail '[lb1] VRRP Instance VI_1 - Entering BACKUP state #{i}' sent to "
                f"1 recipient(s) via 127.0.0.1:{port}") in r.err, r
    assert r.err.count("rejected RCPT TO <nobody@example.test>: 550") == 3, r
    assert r.max_gap_ms < MAX_GAP_MS, r


def test_alerter_logs_a_failure():
    port = free_port()
    r = smtp_tool("127.0.0.1", port, ["ops@example.test"], subject="down",
                  extra=("--alerter",))
    assert r.code == 1, r
    assert r.line("sent=") == "sent=0 failed=1 dropped=0"
    assert f"mail 'down' not sent via 127.0.0.1:{port}: connect to 127.0.0.1:{port}: " \
           "Connection refused" in r.err, r


def test_destroying_the_alerter_cancels_the_mail_in_flight():
    # A silent server and a 10 s timeout: the Alerter is destroyed after 300 ms with one mail in
    # flight and two queued; the in-flight session must end at once, not at its timeout.
    server = RawServer(silent)
    try:
        r = smtp_tool("127.0.0.1", server.port, ["ops@example.test"], timeout_ms=10000,
                      extra=("--alerter", "--count", "3", "--give-up-ms", "300"))
    finally:
        server.close()
    assert r.code == 1, r
    assert r.line("sent=") == "sent=0 failed=0 dropped=0"
    assert "3 mail alert(s) abandoned" in r.err, r
    assert r.elapsed_ms < 300 + 1000 * SCALE, r
    assert r.max_gap_ms < MAX_GAP_MS, r
