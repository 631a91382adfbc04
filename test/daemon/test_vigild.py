"""vigild as a process: command line, exit codes, signals, reload. No root needed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIGILD = os.environ.get("VIGILD", str(ROOT / "build" / "daemon" / "vigild"))
TIMEOUT = 20 * float(os.environ.get("VIGIL_TEST_TIMEOUT_SCALE", "1"))

GOOD = "global_defs {\n    router_id test-node\n}\n"
BAD = "global_defs {\n    router_id test-node\n    priorty 5\n}\n"


def run(*args, **kw):
    return subprocess.run([VIGILD, *args], capture_output=True, text=True, timeout=TIMEOUT, **kw)


class Daemon:
    """vigild in the foreground with its stderr collected line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([VIGILD, *args], stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_line(self, pattern: str, after: int = 0) -> re.Match:
        rx = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                for line in self.lines[after:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r}; log:\n" +
                                         "\n".join(self.lines))
                self.cond.wait(min(left, 0.1))

    def mark(self) -> int:
        with self.cond:
            return len(self.lines)

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daemon():
    started: list[Daemon] = []

    def start(*args: str) -> Daemon:
        d = Daemon(*args)
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()


def test_config_test_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.conf"
    good.write_text(GOOD)
    bad = tmp_path / "bad.conf"
    bad.write_text(BAD)
    assert run("-t", "-f", str(good)).returncode == 0
    assert run("--config-test", "--config", str(good)).returncode == 0
    r = run("-t", "-f", str(tmp_path / "missing.conf"))
    assert r.returncode == 4
    assert "cannot read configuration file" in r.stderr
    r = run("-t", "--use-file", str(bad))
    assert r.returncode == 5
    assert f"{bad}:3:5: error: unknown keyword 'priorty' in 'global_defs'" in r.stderr
    assert "\n      priorty 5\n      ^\n" in r.stderr  # the source line and a caret
    assert r.stderr.rstrip().endswith("1 error, 0 warnings")


def test_dump_config_is_json(tmp_path: Path) -> None:
    good = tmp_path / "good.conf"
    good.write_text(GOOD)
    r = run("--dump-config", "-f", str(good))
    assert r.returncode == 0
    model = json.loads(r.stdout)
    assert model["global_defs"]["router_id"] == "test-node"
    assert model["global_defs"]["vrrp_mcast_group4"] == "224.0.0.18"


def test_usage_version_and_unknown_flags() -> None:
    r = run("--frobnicate")
    assert r.returncode == 2
    assert "unknown option '--frobnicate'" in r.stderr and "Usage: vigild" in r.stderr
    r = run("-v")
    assert r.returncode == 0 and r.stdout.startswith("vigild ")
    r = run("--help")
    assert r.returncode == 0 and "--config-test" in r.stdout


def test_bad_config_at_start_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text(BAD)
    r = run("-f", str(bad))
    assert r.returncode == 2
    assert "unknown keyword 'priorty'" in r.stderr


def test_unacted_keyword_refused_at_start(tmp_path: Path) -> None:
    conf = tmp_path / "lvs.conf"
    # vrrp_strict is parsed and validated, and not acted on yet.
    conf.write_text("global_defs {\n    vrrp_strict\n}\n")
    r = run("-f", str(conf))
    assert r.returncode == 2
    assert "'vrrp_strict' is accepted by the configuration checker but this vigild build " \
           "does not act on it yet" in r.stderr
    t = run("-t", "-f", str(conf))
    assert t.returncode == 0
    assert "warning: 'vrrp_strict' is accepted" in t.stderr


def test_lifecycle_signals_reload_and_pid_file(tmp_path: Path, daemon) -> None:
    conf = tmp_path / "v.conf"
    conf.write_text(GOOD)
    pid_file = tmp_path / "v.pid"
    d = daemon("-f", str(conf), "-n", "-l", "-D", "--pid-file", str(pid_file))
    d.wait_line(r"info daemon: vigild ready: .*router_id test-node")
    assert pid_file.read_text().strip() == str(d.proc.pid)

    mark = d.mark()
    d.proc.send_signal(signal.SIGUSR1)
    state = json.loads(d.wait_line(r"info daemon: state (\{.*\})$", mark).group(1))
    assert state["vigild"]["router_id"] == "test-node"
    assert state["vigild"]["pid"] == d.proc.pid

    # A broken configuration on reload: every diagnostic is logged, the old one keeps running.
    conf.write_text(BAD.replace("test-node", "other-node"))
    mark = d.mark()
    d.proc.send_signal(signal.SIGHUP)
    d.wait_line(r"error config: .*v\.conf:3:5: unknown keyword 'priorty'", mark)
    d.wait_line(r"error config: reload failed \(1 error\(s\)\); keeping the running", mark)
    assert d.proc.poll() is None
    mark = d.mark()
    d.proc.send_signal(signal.SIGUSR1)
    state = json.loads(d.wait_line(r"state (\{.*\})$", mark).group(1))
    assert state["vigild"]["router_id"] == "test-node"
    assert state["vigild"]["reloads_failed"] == 1

    conf.write_text(GOOD.replace("test-node", "other-node"))
    mark = d.mark()
    d.proc.send_signal(signal.SIGHUP)
    d.wait_line(r"info config: configuration reloaded", mark)
    mark = d.mark()
    d.proc.send_signal(signal.SIGUSR1)
    state = json.loads(d.wait_line(r"state (\{.*\})$", mark).group(1))
    assert state["vigild"]["router_id"] == "other-node"
    assert state["vigild"]["reloads_ok"] == 1

    assert d.stop(signal.SIGINT) == 0
    d.wait_line(r"vigild stopped \(exit code 0\)")
    assert not pid_file.exists()


def test_sigterm_stops_with_0(tmp_path: Path, daemon) -> None:
    conf = tmp_path / "v.conf"
    conf.write_text(GOOD)
    d = daemon("--config", str(conf), "--log-level", "info")
    # not a fixed sleep: under the sanitizers on a busy machine the signal handlers may not be
    # installed 0.3 s after exec, and SIGTERM would then kill the process (-15)
    d.wait_line(r"vigild ready")
    assert d.stop(signal.SIGTERM) == 0


def test_enable_script_security_refuses_writable_scripts(tmp_path: Path) -> None:
    """A root script that a non-root user could change is refused, naming the file and why."""
    shared = tmp_path / "shared"
    shared.mkdir()
    script = shared / "notify.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o775)  # group-writable
    os.chmod(tmp_path, 0o755)
    conf = tmp_path / "v.conf"
    conf.write_text(f"""global_defs {{
    enable_script_security
    script_user root
}}
vrrp_instance VI_1 {{
    interface lo
    virtual_router_id 1
    notify_master {script}
    virtual_ipaddress {{
        10.0.0.1
    }}
}}
""")
    r = run("-t", "-f", str(conf))
    assert r.returncode == 5
    assert f"refusing to run '{script}' as root: {script} is writable by group" in r.stderr
    script.chmod(0o755)
    ok = run("-t", "-f", str(conf))
    assert "refusing to run" not in ok.stderr
