"""Network-namespace test harness for vigil.

The harness builds a small, throw-away network out of Linux network namespaces and runs
daemons (``vigild``, ``keepalived``, helpers) inside it. Nothing is created in the root
namespace: every bridge lives in a private "switch" namespace, and every veth pair is created
from inside that namespace with its peer placed straight into the host namespace.

Topology
--------
::

    +------------- vt3f2a-sw (switch namespace) -------------+
    |  br-lan0  <- h1-e0, h2-e0, ...   br-lan1 <- h1-e1, ...  |
    +-----|--------------|-----------------------|------------+
          | veth         | veth                  | veth
    vt3f2a-h1:eth0   vt3f2a-h2:eth0         vt3f2a-h1:eth1

* Namespace names are ``vt<run id>-<suffix>``: the run id is four hex digits unique to one
  ``Lab``; ``sw`` is the switch, every other suffix is a host name. A state file
  ``/run/vigil-tests/<run id>`` records the pid (and start time) of the owning process so that
  :func:`sweep_stale` can delete namespaces left behind by a killed run without touching those
  of a concurrent run.
* A host joins LANs in order: its first LAN is ``eth0``, its second ``eth1`` and so on. The
  switch side of a port is called ``<host>-e<N>``; bridges are ``br-<lan>``.
* A LAN may carry IPv4/IPv6 subnets; a host joining it then gets the 1st, 2nd, ... address of
  the subnet in joining order (``h1`` = .1, ``h2`` = .2). Keep virtual addresses at .100 and up.
* IPv6 duplicate address detection is disabled in host namespaces (and test addresses are
  added with ``nodad``), so IPv6 addresses - link-local ones included - are usable at once.
* Multicast snooping is disabled on the bridges (they flood VRRP like a dumb switch), but MAC
  learning is on, so unicast is switched.

Writing a netns test
--------------------
Use the ``lab`` fixture from ``conftest.py`` (one fresh ``Lab`` per test, always cleaned up;
the ``lab`` marker passes keyword arguments to ``Lab``)::

    import pytest
    from harness import wait_for

    CONFIG = '''
    vrrp_instance VI_1 {
        interface eth0
        virtual_router_id 51
        priority %(prio)d
        advert_int 1
        virtual_ipaddress { 10.99.0.100/24 }
    }
    '''

    @pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")
    def test_failover(lab):
        h1, h2 = lab.hosts["h1"], lab.hosts["h2"]
        master = h1.start_vigild(CONFIG % {"prio": 200})        # waits for "vigild ready"
        backup = h2.start_keepalived(CONFIG % {"prio": 100})
        master.wait_log(r"Entering MASTER")
        wait_for(lambda: h1.has_address("10.99.0.100"), what="VIP on h1")
        mark = backup.log_mark()
        h1.cut_links()                                          # h1 "crashes"
        backup.wait_log(r"Entering MASTER", after=mark)         # the *next* transition
        assert master.stop() == 0

* Everything has a timeout (default :data:`DEFAULT_TIMEOUT`, 20 s, multiplied by the
  environment variable ``VIGIL_TEST_TIMEOUT_SCALE``); a timeout raises ``AssertionError`` with
  a message saying what was awaited.
* ``Proc.wait_log`` matches a regular expression against single lines. Without ``after`` it also
  matches lines logged before the call; use ``mark = proc.log_mark()`` before triggering an
  event and ``wait_log(..., after=mark)`` to wait for a *new* line. It fails at once if the
  process exits without printing a matching line.
* When a test fails, ``conftest.py`` attaches the last 200 lines of every process log of every
  lab the test created to the failure report; the full logs stay in the test's ``tmp_path``.
* The daemon binary is ``$VIGILD`` (default ``<repo>/build/daemon/vigild``).
* A ``Lab`` can also be used without pytest, as a context manager. It cleans up on exit, on
  ``atexit``, and on SIGTERM/SIGINT/SIGHUP (then raises ``KeyboardInterrupt``).

Running
-------
As root, with Debian's interpreter (python3-pytest)::

    cd <repo> && VIGILD=build/daemon/vigild /usr/bin/python3 -m pytest -q test/netns

Environment: ``VIGILD`` (daemon binary), ``KEEPALIVED`` (default: keepalived on PATH),
``VIGIL_TEST_TIMEOUT_SCALE`` (multiplies default timeouts), ``VIGIL_NETNS_KEEP=1`` (keep the
temporary directories of labs not run through the fixture). Needs iproute2, iputils-ping and
procps (sysctl); keepalived and tcpdump are optional (their tests skip without them).
"""

from __future__ import annotations

import atexit
import dataclasses
import ipaddress
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar, Union

__all__ = [
    "CLEANUP_GRACE", "DEFAULT_TIMEOUT", "REPO_ROOT", "TIMEOUT_SCALE", "Address", "CommandError",
    "Host", "Lab", "Lan", "LogMatch", "Namespace", "Port", "Proc", "cleanup_all", "forget_labs",
    "interrupted_at", "keepalived_path", "labs_created", "list_namespaces", "live_labs",
    "preflight", "sweep_stale", "vigild_path", "wait_for",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Multiplier for every default timeout (e.g. 3 under valgrind).
TIMEOUT_SCALE = float(os.environ.get("VIGIL_TEST_TIMEOUT_SCALE", "1") or "1")
#: Default timeout of every wait, in seconds.
DEFAULT_TIMEOUT = 20.0 * TIMEOUT_SCALE
#: How long cleanup waits after SIGTERM before it SIGKILLs a process group.
CLEANUP_GRACE = 5.0

_SIGTERM, _SIGKILL = signal.SIGTERM, signal.SIGKILL  # Proc.signal hides the module in Proc

PREFIX = "vt"
_RUN_ID_RE = re.compile(r"^vt([0-9a-f]{4})-([A-Za-z0-9_]+)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
_NETNS_DIR = Path("/run/netns")
_STATE_DIRS = (Path("/run/vigil-tests"), Path(tempfile.gettempdir()) / "vigil-tests")

T = TypeVar("T")
PathLike = Union[str, os.PathLike]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

class CommandError(subprocess.CalledProcessError):
    """A command failed; unlike CalledProcessError its message includes stdout and stderr."""

    def __str__(self) -> str:
        text = super().__str__()
        for label, data in (("stdout", self.stdout), ("stderr", self.stderr)):
            if data:
                text += f"\n{label}: {data.strip() if isinstance(data, str) else data!r}"
        return text


def _run(argv: Sequence[str], check: bool = True, timeout: float | None = None,
         input: str | None = None, env: Mapping[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    cp = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                        input=input, env=env, stdin=None if input is not None else
                        subprocess.DEVNULL)
    if check and cp.returncode != 0:
        raise CommandError(cp.returncode, cp.args, cp.stdout, cp.stderr)
    return cp


def _ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``ip [-n NS] ARGS``."""
    argv = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return _run(argv, check=check, timeout=DEFAULT_TIMEOUT)


def _argv(cmd: tuple) -> list[str]:
    """``run("ip a")``, ``run("ip", "a")`` and ``run(["ip", "a"])`` all mean the same."""
    if len(cmd) == 1 and isinstance(cmd[0], (list, tuple)):
        cmd = tuple(cmd[0])
    if len(cmd) == 1 and isinstance(cmd[0], str):
        return shlex.split(cmd[0])
    return [os.fspath(c) if isinstance(c, os.PathLike) else str(c) for c in cmd]


def wait_for(predicate: Callable[[], T], timeout: float = DEFAULT_TIMEOUT,
             interval: float = 0.05, what: str | None = None) -> T:
    """Call ``predicate`` until it returns something truthy, and return that.

    Raises AssertionError naming ``what`` (and the last value seen) after ``timeout`` seconds.
    Exceptions raised by ``predicate`` propagate.
    """
    __tracebackhide__ = True  # pytest: show the caller, not this function
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            desc = what or getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"timed out after {timeout:g}s waiting for {desc} "
                                 f"(last value: {value!r})")
        time.sleep(interval)


def executable(path: Path, text: str) -> Path:
    """Write a script and make it executable (notify scripts, MISC_CHECK programs, ...)."""
    path.write_text(text)
    path.chmod(path.stat().st_mode | 0o111)
    return path


def lines(path: Path) -> list[str]:
    """The lines of a file a script appends to; none while it does not exist."""
    return path.read_text().splitlines() if path.exists() else []


def vigild_state(proc: "Proc", timeout: float | None = None) -> dict:
    """vigild's state: send SIGUSR1 and parse the JSON line it logs."""
    mark = proc.log_mark()
    proc.signal(signal.SIGUSR1)
    return json.loads(proc.wait_log(r"state (\{.*\})$", after=mark,
                                    timeout=timeout or DEFAULT_TIMEOUT).group(1))


def vigild_path() -> str:
    """The vigild binary: ``$VIGILD`` or ``<repo>/build/daemon/vigild``."""
    return os.environ.get("VIGILD") or str(REPO_ROOT / "build" / "daemon" / "vigild")


def keepalived_path() -> str | None:
    """The keepalived binary: ``$KEEPALIVED`` or the one on PATH (or /usr/sbin), else None."""
    explicit = os.environ.get("KEEPALIVED")
    if explicit:
        return explicit
    return shutil.which("keepalived") or shutil.which("keepalived", path="/usr/sbin:/sbin")


def _proc_start_time(pid: int) -> str | None:
    """Start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _pid_alive(pid: int, start_time: str | None) -> bool:
    current = _proc_start_time(pid)
    return current is not None and (start_time is None or current == start_time)


def list_namespaces() -> list[str]:
    """Names of all named network namespaces (what ``ip netns list`` shows)."""
    try:
        return sorted(os.listdir(_NETNS_DIR))
    except FileNotFoundError:
        return []


def _ns_pids(ns: str) -> list[int]:
    cp = _ip("netns", "pids", ns, check=False)
    return [int(p) for p in cp.stdout.split() if p.isdigit()] if cp.returncode == 0 else []


def _kill_ns_processes(ns: str) -> list[int]:
    """SIGKILL every process whose network namespace is ``ns``; return their pids."""
    pids = _ns_pids(ns)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def _delete_namespace(ns: str) -> None:
    if not (_NETNS_DIR / ns).exists():
        return
    _kill_ns_processes(ns)
    cp = _ip("netns", "del", ns, check=False)
    if (_NETNS_DIR / ns).exists():
        raise RuntimeError(f"could not delete network namespace {ns}: {cp.stderr.strip()}")


# --------------------------------------------------------------------------------------------
# Run ids, state files and the stale sweep
# --------------------------------------------------------------------------------------------

def _state_dir() -> Path:
    for d in _STATE_DIRS:
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    raise RuntimeError(f"none of {', '.join(map(str, _STATE_DIRS))} is writable")


def _claim_run_id() -> tuple[str, Path]:
    """Pick an unused run id and create its state file (atomically, O_EXCL)."""
    state_dir = _state_dir()
    existing = {m.group(1) for m in map(_RUN_ID_RE.match, list_namespaces()) if m}
    info = {"pid": os.getpid(), "start_time": _proc_start_time(os.getpid()),
            "argv": sys.argv, "created": time.time()}
    for _ in range(1000):
        run_id = secrets.token_hex(2)
        if run_id in existing or any((d / run_id).exists() for d in _STATE_DIRS):
            continue
        path = state_dir / run_id
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        return run_id, path
    raise RuntimeError("could not find a free run id")


def _run_owner_alive(run_id: str) -> bool:
    for d in _STATE_DIRS:
        try:
            info = json.loads((d / run_id).read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(int(info.get("pid", 0)), info.get("start_time")):
            return True
    return False


def sweep_stale(log: Callable[[str], None] | None = None) -> list[str]:
    """Delete ``vt*`` namespaces (and state files) whose creating process is gone.

    Processes still running inside such a namespace are SIGKILLed first. Namespaces of a live
    run (in this or another process) are left alone. Returns the deleted namespace names.
    """
    runs: dict[str, list[str]] = {}
    for ns in list_namespaces():
        m = _RUN_ID_RE.match(ns)
        if m:
            runs.setdefault(m.group(1), []).append(ns)
    removed = []
    for run_id, namespaces in sorted(runs.items()):
        if _run_owner_alive(run_id):
            continue
        for ns in namespaces:
            try:
                _delete_namespace(ns)
                removed.append(ns)
            except (RuntimeError, OSError) as e:
                if log:
                    log(f"sweep: {e}")
    live_runs = set(runs) - {m.group(1) for m in map(_RUN_ID_RE.match, removed) if m}
    for d in _STATE_DIRS:
        if not d.is_dir():
            continue
        for f in d.iterdir():
            if re.fullmatch(r"[0-9a-f]{4}", f.name) and not _run_owner_alive(f.name) \
                    and f.name not in live_runs:
                f.unlink(missing_ok=True)
    if removed and log:
        log(f"sweep: removed stale namespaces {' '.join(removed)}")
    return removed


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class LogMatch:
    """A line found by :meth:`Proc.wait_log`."""
    match: re.Match
    line: str
    index: int  #: 0-based line number in the process output

    @property
    def mark(self) -> int:
        """A mark just after this line: ``wait_log(..., after=m.mark)`` finds later lines."""
        return self.index + 1

    def group(self, *args):
        return self.match.group(*args)

    def groups(self, default=None):
        return self.match.groups(default)

    def groupdict(self, default=None):
        return self.match.groupdict(default)


class Proc:
    """A process started in a namespace, with its stdout+stderr captured line by line.

    The process runs as ``ip netns exec NS argv...`` (ip exec()s the command, so ``pid`` is the
    command's own pid) in a new session, hence its own process group. Its output goes through
    a pipe to a reader thread, which writes it to ``log_path`` and keeps it in memory for
    :meth:`wait_log`.
    """

    def __init__(self, lab: "Lab", ns: "Namespace", name: str, argv: Sequence[str],
                 env: Mapping[str, str] | None = None, cwd: PathLike | None = None) -> None:
        self.lab = lab
        self.ns = ns
        self.name = name
        self.argv = list(argv)
        self.log_path = lab.workdir / f"{name}.log"
        self.started = time.monotonic()  #: time.monotonic() at start
        self.killed = False  #: True once cleanup or kill() had to use SIGKILL
        self._lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._eof = False
        full_env = dict(os.environ)
        full_env.update(env or {})
        self._log = open(self.log_path, "w", encoding="utf-8")
        self._log.write(f"# {ns.name}: {shlex.join(self.argv)}\n")
        self._log.flush()
        try:
            self.popen = subprocess.Popen(
                ["ip", "netns", "exec", ns.name, *self.argv], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                env=full_env, cwd=cwd)
        except BaseException:
            self._log.close()
            raise
        self.pid = self.popen.pid
        self._reader = threading.Thread(target=self._read, name=f"log-{name}", daemon=True)
        self._reader.start()

    def __repr__(self) -> str:
        code = self.popen.returncode
        state = "running" if self.running else "exited" + ("" if code is None else f" {code}")
        return f"<Proc {self.name} pid={self.pid} {state}>"

    # --- output -----------------------------------------------------------------------------

    def _read(self) -> None:
        assert self.popen.stdout is not None
        try:
            for raw in iter(self.popen.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                with self._cond:
                    self._lines.append((time.monotonic(), line))
                    self._cond.notify_all()
                try:
                    self._log.write(line + "\n")
                    self._log.flush()
                except (OSError, ValueError):
                    pass
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()
            self.popen.stdout.close()
            self._log.close()

    def log_mark(self) -> int:
        """The number of lines logged so far; pass it as ``after=`` to skip them."""
        with self._cond:
            return len(self._lines)

    def log_lines(self, after: int = 0) -> list[str]:
        with self._cond:
            return [line for _, line in self._lines[after:]]

    def log_text(self, after: int = 0) -> str:
        """Everything logged so far (after line ``after``), one string."""
        return "".join(line + "\n" for line in self.log_lines(after))

    def grep(self, pattern: str | re.Pattern, after: int = 0) -> list[re.Match]:
        """All matches of ``pattern`` (searched in each line) after line ``after``."""
        rx = re.compile(pattern)
        return [m for m in map(rx.search, self.log_lines(after)) if m]

    def tail(self, lines: int = 200, timestamps: bool = True) -> str:
        """The last ``lines`` lines, by default prefixed with seconds since the lab started."""
        with self._cond:
            chunk = self._lines[-lines:] if lines else list(self._lines)
            skipped = len(self._lines) - len(chunk)
        base = self.lab.started
        out = [f"... ({skipped} earlier lines in {self.log_path})\n"] if skipped else []
        for t, line in chunk:
            out.append(f"[{t - base:8.3f}] {line}\n" if timestamps else line + "\n")
        return "".join(out)

    def wait_log(self, pattern: str | re.Pattern, timeout: float = DEFAULT_TIMEOUT,
                 after: int | None = None, flags: int = 0) -> LogMatch:
        """Wait for a line matching ``pattern`` (``re.search`` on single lines).

        Lines already logged count too, unless ``after`` (a :meth:`log_mark`) says to look only
        at lines after that mark. Raises AssertionError on timeout, or as soon as the output
        ends (the process exited) without a match.
        """
        __tracebackhide__ = True
        rx = re.compile(pattern, flags)
        pos = after or 0
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while pos < len(self._lines):
                    line = self._lines[pos][1]
                    m = rx.search(line)
                    if m:
                        return LogMatch(m, line, pos)
                    pos += 1
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.5))
        if self._eof:
            self._wait_exit(2.0)  # output ends a moment before the process is gone
            why = f"its output ended (exit code {self.exit_code})"
        else:
            why = f"timed out after {timeout:g}s"
        raise AssertionError(
            f"{self.name} (pid {self.pid}): no line matching {rx.pattern!r}"
            f"{'' if not after else f' after line {after}'}: {why}\n"
            f"--- last lines of {self.name} ---\n{self.tail(40)}")

    def assert_no_log(self, pattern: str | re.Pattern, after: int = 0) -> None:
        """Fail if a line after ``after`` matches ``pattern``."""
        __tracebackhide__ = True
        found = self.grep(pattern, after)
        assert not found, f"{self.name} logged {found[0].string!r} (matching {pattern!r})"

    # --- lifetime ---------------------------------------------------------------------------

    def _exited(self) -> bool:
        """Has the process exited? Does not reap it (so its pid/pgid cannot be reused)."""
        if self.popen.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            self.popen.poll()
            return True
        return info is not None

    @property
    def running(self) -> bool:
        return not self._exited()

    @property
    def exit_code(self) -> int | None:
        """The exit status (negative: killed by that signal), or None while running."""
        if not self._exited():
            return None
        return self.popen.wait()

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the process (not its group)."""
        if self.popen.returncode is None:
            os.kill(self.pid, sig)

    def _wait_exit(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def _killpg(self, sig: int = _SIGKILL) -> None:
        # Only while unreaped: the (zombie) leader keeps the pgid from being reused.
        if self.popen.returncode is None:
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def _reap(self) -> int:
        self._killpg(signal.SIGKILL)  # stray children still in the group
        code = self.popen.wait()
        self._reader.join(CLEANUP_GRACE)
        return code

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the process to exit by itself; return its exit status."""
        __tracebackhide__ = True
        if not self._wait_exit(timeout):
            raise AssertionError(f"{self.name} (pid {self.pid}) still running after {timeout:g}s")
        return self._reap()

    def stop(self, sig: int = _SIGTERM, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Send ``sig``, wait up to ``timeout`` s for exit, else SIGKILL the group.

        Returns the exit status (negative signal number if killed by a signal; -9 and
        ``killed`` set if it had to be SIGKILLed). Output is complete when this returns.
        """
        if not self._exited():
            self.signal(sig)
            if not self._wait_exit(timeout):
                self.killed = True
                self._killpg(signal.SIGKILL)
                self._wait_exit(CLEANUP_GRACE)
        return self._reap()

    def kill(self) -> int:
        """SIGKILL the whole process group at once; return the exit status."""
        if not self._exited():
            self.killed = True
            self._killpg(signal.SIGKILL)
            self._wait_exit(CLEANUP_GRACE)
        return self._reap()


# --------------------------------------------------------------------------------------------
# Namespaces, hosts and LANs
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Address:
    """One address from ``ip -j addr``."""
    dev: str
    family: str  #: "inet" or "inet6"
    address: str
    prefixlen: int
    scope: str
    flags: frozenset = frozenset()  #: e.g. {"dynamic", "nodad", "tentative", "secondary"}
    label: str | None = None

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.address)

    def __str__(self) -> str:
        return f"{self.address}/{self.prefixlen}"


_ADDR_FLAG_KEYS = ("dynamic", "noprefixroute", "nodad", "optimistic", "tentative", "dadfailed",
                   "deprecated", "secondary", "temporary", "home", "mngtmpaddr", "permanent")


class Namespace:
    """A network namespace of a lab: commands, processes and ``ip`` helpers run inside it."""

    def __init__(self, lab: "Lab", name: str, short: str) -> None:
        self.lab = lab
        self.name = name  #: the netns name, e.g. vt3f2a-h1
        self.short = short  #: the name within the lab, e.g. h1

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def run(self, *cmd, check: bool = True, timeout: float = DEFAULT_TIMEOUT,
            input: str | None = None, env: Mapping[str, str] | None = None
            ) -> subprocess.CompletedProcess:
        """Run a command in the namespace and wait for it; returns a text CompletedProcess.

        ``cmd`` is a string (split like a shell would, no shell features) or argv items. With
        ``check`` a non-zero exit raises :class:`CommandError` showing stdout and stderr.
        """
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        return _run(["ip", "netns", "exec", self.name, *_argv(cmd)], check=check,
                    timeout=timeout, input=input, env=full_env)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``ip -n NS ARGS``."""
        return _ip(*_argv(args), ns=self.name, check=check)

    def ip_json(self, *args: str):
        """Run ``ip -j -n NS ARGS`` and parse its output (``[]`` when it prints nothing)."""
        out = _ip("-j", *_argv(args), ns=self.name).stdout.strip()
        return json.loads(out) if out else []

    def sysctl(self, **settings) -> None:
        """Set sysctls, e.g. ``sysctl(**{"net.ipv4.ip_forward": 1})``."""
        if settings:
            self.run("sysctl", "-q", "-w", *(f"{k}={v}" for k, v in settings.items()))

    def start(self, argv: Sequence[str] | str, name: str | None = None,
              env: Mapping[str, str] | None = None, cwd: PathLike | None = None) -> Proc:
        """Start a long-running process here (see :class:`Proc`); the lab stops it at exit.

        ``name`` (default: the program's basename) names its log; ``env`` adds to (overrides)
        the inherited environment.
        """
        argv = shlex.split(argv) if isinstance(argv, str) else [os.fspath(a) for a in argv]
        base = f"{self.short}-{name or os.path.basename(argv[0])}"
        return self.lab._spawn(self, base, argv, env, cwd)

    def link_set(self, dev: str, state: str | bool) -> None:
        """Set a link ``up``/``down`` (``True``/``False`` also accepted)."""
        if isinstance(state, bool):
            state = "up" if state else "down"
        if state not in ("up", "down"):
            raise ValueError(f"link state must be up or down, not {state!r}")
        self.ip("link", "set", "dev", dev, state)

    def links(self) -> list[dict]:
        return self.ip_json("link", "show")

    def link(self, dev: str) -> dict:
        """``ip -j link show dev DEV`` as a dict (keys ifname, operstate, flags, address...)."""
        return self.ip_json("link", "show", "dev", dev)[0]

    def addresses(self, dev: str | None = None, family: str | None = None) -> list[Address]:
        """Addresses from ``ip -j addr``, optionally of one device and/or family (inet/inet6)."""
        args = ["addr", "show"] + (["dev", dev] if dev else [])
        result = []
        for link in self.ip_json(*args):
            for a in link.get("addr_info", []):
                if family and a.get("family") != family:
                    continue
                flags = frozenset(k for k in _ADDR_FLAG_KEYS if a.get(k))
                result.append(Address(dev=link["ifname"], family=a["family"],
                                      address=a["local"], prefixlen=int(a["prefixlen"]),
                                      scope=a.get("scope", ""), flags=flags,
                                      label=a.get("label")))
        return result

    def has_address(self, addr: str, dev: str | None = None) -> bool:
        """Is ``addr`` configured (on ``dev``)? With ``/len`` the prefix length must match."""
        want = ipaddress.ip_interface(addr)
        with_len = "/" in addr
        for a in self.addresses(dev):
            if a.ip == want.ip and (not with_len or a.prefixlen == want.network.prefixlen):
                return True
        return False

    def wait_address(self, addr: str, present: bool = True, dev: str | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until ``addr`` is (or with ``present=False``: is no longer) configured."""
        __tracebackhide__ = True
        where = f"{self.short}{':' + dev if dev else ''}"
        wait_for(lambda: self.has_address(addr, dev) == present, timeout=timeout,
                 what=f"{addr} to be {'present on' if present else 'gone from'} {where}")

    def add_address(self, addr: str, dev: str = "eth0") -> None:
        """Add ``addr`` (with prefix length, default /32 or /128); IPv6 uses ``nodad``."""
        iface = ipaddress.ip_interface(addr)
        extra = ["nodad"] if iface.version == 6 else []
        self.ip("addr", "add", str(iface), "dev", dev, *extra)

    def del_address(self, addr: str, dev: str = "eth0") -> None:
        self.ip("addr", "del", str(ipaddress.ip_interface(addr)), "dev", dev)

    def ping(self, addr: str, count: int = 1, timeout: float = 5.0,
             interval: float = 0.2, source: str | None = None) -> bool:
        """Ping ``addr``; True if at least one reply came within ``timeout`` seconds."""
        argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval),
                "-w", str(max(1, int(round(timeout))))]
        if source:
            argv += ["-I", source]
        cp = self.run(*argv, addr, check=False, timeout=timeout + 10)
        return cp.returncode == 0

    def write_file(self, name: str, text: str) -> Path:
        """Write ``text`` to ``<lab workdir>/<short>-<name>`` and return the path."""
        path = self.lab.workdir / f"{self.short}-{name}"
        path.write_text(text)
        return path


@dataclasses.dataclass
class Port:
    """A host's connection to a LAN: ``dev`` in the host, ``switch_dev`` on the bridge."""
    host: "Host"
    lan: "Lan"
    dev: str
    switch_dev: str


class Lan:
    """A LAN: one bridge in the switch namespace, optionally with IPv4/IPv6 subnets."""

    def __init__(self, lab: "Lab", name: str, ipv4: str | None, ipv6: str | None) -> None:
        self.lab = lab
        self.name = name
        self.bridge = f"br-{name}"
        self.ipv4 = ipaddress.ip_network(ipv4) if ipv4 else None
        self.ipv6 = ipaddress.ip_network(ipv6) if ipv6 else None
        self.ports: list[Port] = []

    def __repr__(self) -> str:
        return f"<Lan {self.name} {[p.host.short for p in self.ports]}>"

    def capture(self, filter: str = "", host: "Host | str | None" = None,
                required: bool = True) -> Proc | None:
        return self.lab.capture(self, filter, host=host, required=required)


class Host(Namespace):
    """A host namespace with one interface (eth0, eth1, ...) per LAN it is on."""

    def __init__(self, lab: "Lab", name: str) -> None:
        super().__init__(lab, f"{lab.prefix}-{name}", name)
        self.ports: list[Port] = []

    def port(self, lan: "Lan | str | None" = None) -> Port:
        """The port on ``lan`` (default: the host's first LAN)."""
        if lan is None:
            if not self.ports:
                raise ValueError(f"{self.short} is on no LAN")
            return self.ports[0]
        lan_name = lan.name if isinstance(lan, Lan) else lan
        for p in self.ports:
            if p.lan.name == lan_name:
                return p
        raise KeyError(f"{self.short} is not on LAN {lan_name}")

    def dev(self, lan: "Lan | str | None" = None) -> str:
        """The interface name on ``lan`` (eth0 for the first LAN)."""
        return self.port(lan).dev

    def ipv4(self, lan: "Lan | str | None" = None) -> str:
        """The automatic IPv4 address (without prefix length) on ``lan``."""
        return self._auto_addr(self.port(lan), 4).split("/")[0]

    def ipv6(self, lan: "Lan | str | None" = None) -> str:
        """The automatic IPv6 address (without prefix length) on ``lan``."""
        return self._auto_addr(self.port(lan), 6).split("/")[0]

    def _auto_addr(self, port: Port, version: int) -> str:
        net = port.lan.ipv4 if version == 4 else port.lan.ipv6
        if net is None:
            raise ValueError(f"LAN {port.lan.name} has no IPv{version} subnet")
        index = port.lan.ports.index(port) + 1
        return f"{net[index]}/{net.prefixlen}"

    def connect(self, lan: "Lan | str", addrs: Iterable[str] = ()) -> Port:
        """Connect this host to ``lan`` with a new interface ``eth<N>``; add ``addrs`` to it."""
        return self.lab._connect(self, self.lab.lan(lan) if isinstance(lan, str) else lan,
                                 list(addrs))

    def cut_links(self, lans: Iterable["Lan | str"] | None = None,
                  keep_carrier: bool = False) -> None:
        """Disconnect the host from (some of) its LANs, as if it had crashed.

        By default the switch side of each port is set down, so the host also loses carrier.
        With ``keep_carrier`` the port is only detached from its bridge: the host keeps link
        and carrier, but nothing it sends arrives anywhere (a silent partition).
        """
        for p in self._ports(lans):
            if keep_carrier:
                self.lab.switch.ip("link", "set", "dev", p.switch_dev, "nomaster")
            else:
                self.lab.switch.ip("link", "set", "dev", p.switch_dev, "down")

    def restore_links(self, lans: Iterable["Lan | str"] | None = None) -> None:
        """Undo :meth:`cut_links`."""
        for p in self._ports(lans):
            self.lab.switch.ip("link", "set", "dev", p.switch_dev, "master", p.lan.bridge, "up")

    def _ports(self, lans) -> list[Port]:
        return list(self.ports) if lans is None else [self.port(lan) for lan in lans]

    def start_vigild(self, config: str | os.PathLike, extra_args: Sequence[str] = (),
                     name: str = "vigild", env: Mapping[str, str] | None = None,
                     wait_ready: bool = True, timeout: float = DEFAULT_TIMEOUT,
                     binary: str | None = None) -> Proc:
        """Start ``$VIGILD --config FILE --log-level debug EXTRA_ARGS`` (or ``binary``).

        ``config`` is configuration text, or a path (a ``Path``, or an existing file name).
        With ``wait_ready`` this returns once the daemon logged ``vigild ready``.
        """
        __tracebackhide__ = True
        binary = binary or vigild_path()
        if not os.access(binary, os.X_OK):
            raise FileNotFoundError(f"vigild binary {binary} not found or not executable: "
                                    f"build it or point $VIGILD at it")
        conf = self._config_file(config, f"{name}.conf")
        # Each host keeps its VRRP state file in the lab (restart without failover), never in
        # the machine's /run/vigil, which every namespace would share.
        state = [] if "--state-dir" in extra_args else [
            "--state-dir", str(self.lab.workdir / f"{self.short}-state")]
        proc = self.start([binary, "--config", str(conf), "--log-level", "debug", *state,
                           *extra_args], name=name, env=env)
        if wait_ready:
            proc.wait_log(r"vigild ready", timeout=timeout)
        return proc

    def start_keepalived(self, config: str | os.PathLike, extra_args: Sequence[str] = (),
                         name: str = "keepalived", env: Mapping[str, str] | None = None,
                         wait_ready: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Proc:
        """Start keepalived in the foreground, logging to the console, with private pid files.

        ``--config-id`` is the host's name, so a shared config can use ``@h1`` lines. With
        ``wait_ready`` this waits for ``Startup complete`` (logged by the VRRP child).
        """
        __tracebackhide__ = True
        binary = keepalived_path()
        if not binary:
            raise FileNotFoundError("keepalived not found (install it or set $KEEPALIVED)")
        conf = self._config_file(config, f"{name}.conf")
        pid = lambda what: str(self.lab.workdir / f"{self.short}-{name}.{what}.pid")  # noqa: E731
        argv = [binary, "--dont-fork", "--log-console", "--log-detail", "--no-syslog",
                "--use-file", str(conf), "--pid", pid("main"), "--vrrp_pid", pid("vrrp"),
                "--checkers_pid", pid("checkers"), "--bfd_pid", pid("bfd"),
                "--config-id", self.short, *extra_args]
        proc = self.start(argv, name=name, env=env)
        if wait_ready:
            proc.wait_log(r"Startup complete", timeout=timeout)
        return proc

    def _config_file(self, config: str | os.PathLike, filename: str) -> Path:
        if isinstance(config, os.PathLike):
            return Path(config)
        if "\n" not in config and "{" not in config and os.path.isfile(config):
            return Path(config)
        return self.write_file(filename, config)


# --------------------------------------------------------------------------------------------
# The lab
# --------------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_LIVE: list["Lab"] = []  # labs not yet closed
_HISTORY: list["Lab"] = []  # labs created since the last forget_labs(), for failure reports
_HANDLERS_INSTALLED = False
_INTERRUPTED_AT: str | None = None


def labs_created() -> list["Lab"]:
    """Labs created since the last :func:`forget_labs` (conftest calls it before each test)."""
    with _LOCK:
        return list(_HISTORY)


def forget_labs() -> None:
    with _LOCK:
        _HISTORY.clear()


def live_labs() -> list["Lab"]:
    with _LOCK:
        return list(_LIVE)


def cleanup_all() -> None:
    """Close every lab of this process that is still open (atexit and signal handlers)."""
    for lab in reversed(live_labs()):
        try:
            lab.close()
        except Exception as e:  # noqa: BLE001 - keep cleaning the others
            print(f"vigil netns harness: cleanup of {lab.prefix} failed: {e}", file=sys.stderr)


def interrupted_at() -> str | None:
    """Where a signal interrupted this process while labs were open (a stack), if it did."""
    return _INTERRUPTED_AT


def _on_signal(previous, signum, frame) -> None:
    global _INTERRUPTED_AT
    if live_labs():
        # Remember where we were: on a CI timeout this is the stack of the hung test.
        _INTERRUPTED_AT = (f"vigil netns harness: {signal.Signals(signum).name} received, labs "
                           f"cleaned up; interrupted at:\n"
                           + "".join(traceback.format_stack(frame, limit=12)))
        print(_INTERRUPTED_AT, file=sys.stderr)
        cleanup_all()
    if callable(previous):
        previous(signum, frame)
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def _install_handlers() -> None:
    global _HANDLERS_INSTALLED
    with _LOCK:
        if _HANDLERS_INSTALLED:
            return
        _HANDLERS_INSTALLED = True
        atexit.register(cleanup_all)
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous = signal.getsignal(sig)
            if previous is None or previous == signal.SIG_IGN:  # from C, or ignored on purpose
                continue
            signal.signal(sig, lambda s, f, p=previous: _on_signal(p, s, f))


class Lab:
    """A throw-away network of namespaces; use as a context manager.

    ``hosts`` is a number of hosts (named h1, h2, ...) or an iterable of names, all put on the
    first LAN (``lan``, default ``lan0``; ``lan=None`` creates no LAN). ``ipv4``/``ipv6`` are
    that LAN's subnets for automatic addresses. ``workdir`` holds logs, configs and pid files
    (default: a new temporary directory, removed at close unless ``keep_workdir`` is set or the
    ``with`` block raised; a given ``workdir`` is never removed).
    """

    def __init__(self, hosts: int | Iterable[str] = 0, *, ipv4: str | None = None,
                 ipv6: str | None = None, lan: str | None = "lan0",
                 workdir: PathLike | None = None, keep_workdir: bool | None = None) -> None:
        self._host_names = [f"h{i}" for i in range(1, hosts + 1)] if isinstance(hosts, int) \
            else list(hosts)
        self._first_lan = (lan, ipv4, ipv6) if lan else None
        self._workdir_arg = Path(workdir) if workdir is not None else None
        if keep_workdir is None:
            keep_workdir = bool(os.environ.get("VIGIL_NETNS_KEEP"))
        self.keep_workdir = keep_workdir
        self.run_id = ""
        self.prefix = ""
        self.workdir = Path()
        self.started = time.monotonic()
        self.switch: Namespace | None = None
        self.hosts: dict[str, Host] = {}
        self.lans: dict[str, Lan] = {}
        self.procs: list[Proc] = []
        self._namespaces: list[str] = []
        self._state_file: Path | None = None
        self._opened = False
        self._closed = False

    def __repr__(self) -> str:
        return f"<Lab {self.prefix or '(not started)'} hosts={list(self.hosts)}>"

    def __enter__(self) -> "Lab":
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.keep_workdir = self.keep_workdir or self._workdir_arg is None
            try:
                self.close()
            except Exception as e:  # noqa: BLE001 - do not hide the original exception
                print(f"vigil netns harness: cleanup failed: {e}", file=sys.stderr)
        else:
            self.close()

    def __getitem__(self, host: str) -> Host:
        return self.hosts[host]

    # --- setup ------------------------------------------------------------------------------

    def start(self) -> "Lab":
        """Create the switch namespace, the first LAN and the hosts."""
        if self._opened:
            raise RuntimeError("a Lab can only be started once")
        self._opened = True
        self.started = time.monotonic()
        _install_handlers()
        with _LOCK:
            _LIVE.append(self)
            _HISTORY.append(self)
        try:
            self.run_id, self._state_file = _claim_run_id()
            self.prefix = f"{PREFIX}{self.run_id}"
            if self._workdir_arg is not None:
                self.workdir = self._workdir_arg
                self.workdir.mkdir(parents=True, exist_ok=True)
            else:
                self.workdir = Path(tempfile.mkdtemp(prefix=f"vigil-netns-{self.run_id}-"))
            self.switch = Namespace(self, f"{self.prefix}-sw", "sw")
            self._add_namespace(self.switch.name)
            self.switch.sysctl(**{"net.ipv6.conf.all.disable_ipv6": 1,
                                  "net.ipv6.conf.default.disable_ipv6": 1})
            if self._first_lan:
                self.add_lan(*self._first_lan)
            for name in self._host_names:
                self.add_host(name)
        except BaseException:
            self.close()
            raise
        return self

    def _add_namespace(self, name: str) -> None:
        self._namespaces.append(name)  # before creating: cleanup must know it even if we die
        _ip("netns", "add", name)
        _ip("link", "set", "lo", "up", ns=name)

    def add_lan(self, name: str, ipv4: str | None = None, ipv6: str | None = None) -> Lan:
        """Add a LAN (a bridge ``br-<name>`` in the switch namespace); name <= 12 chars."""
        self._check_open()
        if not _NAME_RE.match(name) or len(name) > 12:
            raise ValueError(f"bad LAN name {name!r} (letters, digits, _; at most 12)")
        if name in self.lans:
            raise ValueError(f"LAN {name} exists")
        lan = Lan(self, name, ipv4, ipv6)
        self.switch.ip("link", "add", lan.bridge, "type", "bridge", "stp_state", "0",
                       "mcast_snooping", "0")
        self.switch.link_set(lan.bridge, "up")
        self.lans[name] = lan
        return lan

    def lan(self, name: str | None = None) -> Lan:
        """A LAN by name (default: the first one)."""
        if name is None:
            if not self.lans:
                raise ValueError("the lab has no LAN")
            return next(iter(self.lans.values()))
        return self.lans[name]

    def add_host(self, name: str | None = None, lans: Iterable[Lan | str] | None = None,
                 addrs: Iterable[str] | Mapping[str, Iterable[str]] | None = None) -> Host:
        """Add a host namespace ``vt<id>-<name>`` and connect it to ``lans``.

        ``name`` defaults to ``h<N>`` (at most 10 chars; ``sw`` is reserved). ``lans`` defaults
        to the first LAN; the host gets eth0, eth1, ... in that order, each with the LAN's
        automatic addresses. ``addrs`` adds addresses: a list (for eth0) or a dict mapping an
        interface or LAN name to a list.
        """
        self._check_open()
        if name is None:
            n = len(self.hosts) + 1
            while f"h{n}" in self.hosts:
                n += 1
            name = f"h{n}"
        if not _NAME_RE.match(name) or len(name) > 10 or name == "sw":
            raise ValueError(f"bad host name {name!r} (letters, digits, _; at most 10; not sw)")
        if name in self.hosts:
            raise ValueError(f"host {name} exists")
        host = Host(self, name)
        self._add_namespace(host.name)
        self.hosts[name] = host
        # No DAD: IPv6 addresses, link-local ones included, must be usable at once.
        host.sysctl(**{"net.ipv6.conf.all.accept_dad": 0,
                       "net.ipv6.conf.default.accept_dad": 0})
        lan_list = [self.lan()] if lans is None and self.lans else list(lans or [])
        if isinstance(addrs, Mapping):
            extra = {k: list(v) for k, v in addrs.items()}
        else:
            extra = {"eth0": list(addrs or [])}
        for lan in lan_list:
            lan = self.lan(lan) if isinstance(lan, str) else lan
            dev = f"eth{len(host.ports)}"
            self._connect(host, lan, extra.pop(dev, []) + extra.pop(lan.name, []))
        if any(extra.values()):
            raise ValueError(f"addresses for unknown interfaces/LANs: {extra}")
        return host

    def _connect(self, host: Host, lan: Lan, addrs: list[str]) -> Port:
        self._check_open()
        index = len(host.ports)
        port = Port(host, lan, f"eth{index}", f"{host.short}-e{index}")
        # Created inside the switch namespace, peer placed directly into the host namespace:
        # no interface ever exists in the root namespace, not even for a moment.
        self.switch.ip("link", "add", port.switch_dev, "type", "veth",
                       "peer", "name", port.dev, "netns", host.name)
        self.switch.ip("link", "set", "dev", port.switch_dev, "master", lan.bridge, "up")
        host.ports.append(port)
        lan.ports.append(port)
        host.link_set(port.dev, "up")
        auto = [host._auto_addr(port, v) for v, net in ((4, lan.ipv4), (6, lan.ipv6)) if net]
        for addr in auto + addrs:
            host.add_address(addr, port.dev)
        return port

    def _check_open(self) -> None:
        if not self._opened or self._closed:
            raise RuntimeError("the Lab is not running (use it as a context manager)")

    # --- processes --------------------------------------------------------------------------

    def _spawn(self, ns: Namespace, base: str, argv: list[str],
               env: Mapping[str, str] | None, cwd: PathLike | None) -> Proc:
        self._check_open()
        with _LOCK:
            taken = {p.name for p in self.procs}
            name, n = base, 2
            while name in taken:
                name, n = f"{base}-{n}", n + 1
            proc = Proc(self, ns, name, argv, env, cwd)
            self.procs.append(proc)
        return proc

    def capture(self, lan: Lan | str | None = None, filter: str = "",
                host: Host | str | None = None, required: bool = True,
                extra_args: Sequence[str] = ()) -> Proc | None:
        """Run tcpdump in the switch namespace, printing packets to its log and a pcap file.

        Captures on the LAN's bridge (sees broadcast, multicast and flooded frames) or, with
        ``host``, on that host's switch port (sees all its traffic). Wait for packets with
        ``cap.wait_log(r"VRRPv2, Advertisement")``; the pcap is ``<log_path>.pcap``. Without
        tcpdump this skips the test (``required``) or returns None.
        """
        self._check_open()
        tcpdump = shutil.which("tcpdump") or shutil.which("tcpdump", path="/usr/sbin:/sbin")
        if not tcpdump:
            if required:
                import pytest  # only needed here
                pytest.skip("tcpdump is not installed")
            return None
        lan = self.lan(lan) if not isinstance(lan, Lan) else lan
        if host is not None:
            h = self.hosts[host] if isinstance(host, str) else host
            iface, label = h.port(lan).switch_dev, f"tcpdump-{h.short}-{lan.name}"
        else:
            iface, label = lan.bridge, f"tcpdump-{lan.name}"
        pcap = self.workdir / f"{label}.pcap"
        argv = [tcpdump, "-i", iface, "-n", "-e", "-vv", "-l", "-U", "-Z", "root",
                "-w", str(pcap), "--print", *extra_args] + shlex.split(filter)
        proc = self.switch.start(argv, name=label)
        proc.wait_log(r"listening on")
        return proc

    # --- teardown ---------------------------------------------------------------------------

    @property
    def namespaces(self) -> list[str]:
        """Names of the namespaces this lab created."""
        return list(self._namespaces)

    def close(self) -> None:
        """Stop all processes, delete all namespaces and the state file. Idempotent.

        Processes get SIGTERM, then SIGKILL (whole process group) after
        :data:`CLEANUP_GRACE` seconds; anything else still running in a namespace is
        SIGKILLed before the namespace is deleted. Raises RuntimeError if something could not
        be removed (after trying everything).
        """
        if self._closed or not self._opened:
            return
        errors: list[str] = []
        # 1. Processes: SIGTERM everyone, then wait with one shared deadline.
        running = [p for p in self.procs if p.popen.returncode is None]
        for p in running:
            try:
                p.signal(signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + CLEANUP_GRACE
        for p in running:
            try:
                if not p._wait_exit(max(0.0, deadline - time.monotonic())):
                    p.killed = True
                    p._killpg(signal.SIGKILL)
                    p._wait_exit(CLEANUP_GRACE)
                p._reap()
            except Exception as e:  # noqa: BLE001
                errors.append(f"stopping {p.name}: {e}")
        # 2. Namespaces (killing whatever still runs in them: helpers that forked away...).
        for ns in reversed(self._namespaces):
            try:
                _delete_namespace(ns)
            except Exception as e:  # noqa: BLE001
                errors.append(str(e))
        self._closed = True
        with _LOCK:
            if self in _LIVE:
                _LIVE.remove(self)
        if self._state_file is not None:
            self._state_file.unlink(missing_ok=True)
        if not self.keep_workdir and self._workdir_arg is None and self.workdir != Path():
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise RuntimeError("lab cleanup incomplete:\n  " + "\n  ".join(errors))

    def dump_logs(self, lines: int = 200) -> list[tuple[str, str]]:
        """``(title, text)`` per process: the last ``lines`` lines of its output."""
        out = []
        for p in self.procs:
            code = p.popen.returncode
            status = "running" if code is None else f"exit code {code}"
            if p.killed:
                status += ", SIGKILLed by the harness"
            where = p.log_path if p.log_path.exists() else "log file removed"
            title = f"{self.prefix} {p.name} (pid {p.pid}, {status}; {where})"
            out.append((title, p.tail(lines) or "(no output)\n"))
        return out


def preflight() -> str | None:
    """Check that namespaces, veth and bridges work; returns an error message or None."""
    if not shutil.which("ip"):
        return "the 'ip' command (iproute2) is not installed"
    try:
        with Lab(hosts=1) as lab:
            lab.hosts["h1"].run("true")
    except Exception as e:  # noqa: BLE001
        return f"cannot build a network namespace lab: {e}"
    return None
