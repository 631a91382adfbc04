"""keepalived's own sample configs through `vigild -t`, with keepalived 2.2.7 as the referee.

Every ``/usr/share/doc/keepalived/samples/keepalived.conf.*`` is checked in a namespace that has
the interfaces the samples name (eth0..eth3, eth0.1), so neither daemon complains about missing
interfaces. The outcome of each file is recorded in ``keepalived_samples.expect``:

* ``accepted``: vigild runs it as it is;
* ``not-yet K,...``: valid, but vigild refuses to run it until keywords K act (later issues);
* ``unsupported F,...``: refused by the name of a keepalived feature vigil does not have;
* ``sample-error L,...``: the sample itself is wrong on lines L, and keepalived says so too.

A sample that vigild refuses for anything else, or where keepalived reports nothing on a line
vigild calls an error, fails: that is syntax keepalived accepts and vigil must too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import keepalived_path, vigild_path

SAMPLES = Path("/usr/share/doc/keepalived/samples")
EXPECT = Path(__file__).with_name("keepalived_samples.expect")

ERROR = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")
UNACTED = re.compile(r"warning: '(?P<kw>[^']+)' is accepted by the configuration checker but "
                     r"this vigild build does not act on it yet")
UNSUPPORTED = re.compile(r"'(?P<name>[^']+)' is a keepalived feature vigil does not support")
KEEPALIVED_LINE = re.compile(r"\(.*: Line (?P<line>\d+)\)")


def expectations() -> dict[str, tuple[list[str], str]]:
    """file name -> (extra vigild/keepalived arguments, expected outcome)."""
    out: dict[str, tuple[list[str], str]] = {}
    for raw in EXPECT.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, outcome = (part.strip() for part in line.split(":", 1))
        args: list[str] = []
        if "[" in head:
            head, opts = head.split("[", 1)
            args = opts.rstrip("]").split()
        out[head.strip()] = (args, outcome)
    return out


def outcome_of(text: str) -> tuple[str, set[int]]:
    """The outcome string for vigild -t's output, and the lines of its non-feature errors."""
    unsupported: set[str] = set()
    sample_errors: set[int] = set()
    for line in text.splitlines():
        m = ERROR.match(line)
        if not m:
            continue
        u = UNSUPPORTED.search(m["msg"])
        if u:
            unsupported.add(u["name"])
        else:
            sample_errors.add(int(m["line"]))
    unacted = sorted({m["kw"] for m in UNACTED.finditer(text)})
    facets = []
    if sample_errors:
        facets.append("sample-error " + ",".join(str(n) for n in sorted(sample_errors)))
    if unsupported:
        facets.append("unsupported " + ",".join(sorted(unsupported)))
    if unacted:
        facets.append("not-yet " + ",".join(unacted))
    return ("; ".join(facets) or "accepted"), sample_errors


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="keepalived's samples are not installed")
@pytest.mark.lab(lan=None)
def test_keepalived_samples(lab) -> None:
    for name in ("lan0", "lan1", "lan2", "lan3"):
        lab.add_lan(name)
    h1 = lab.add_host("h1", lans=["lan0", "lan1", "lan2", "lan3"])
    h1.run("ip", "link", "add", "link", "eth0", "name", "eth0.1", "type", "macvlan", "mode",
           "bridge")
    h1.run("ip", "link", "set", "eth0.1", "up")
    expected = expectations()
    files = sorted(p.name for p in SAMPLES.glob("keepalived.conf.*"))
    assert files, "no samples found"
    problems = [f"{f}: no entry in {EXPECT.name}" for f in files if f not in expected]
    problems += [f"{f}: listed in {EXPECT.name} but not installed" for f in expected
                 if f not in files]
    vigild, keepalived = str(vigild_path()), keepalived_path()
    assert keepalived, "keepalived is not installed"
    for f in files:
        if f not in expected:
            continue
        args, want = expected[f]
        path = str(SAMPLES / f)
        r = h1.run(vigild, "-t", *args, "-f", path, check=False)
        text = r.stdout + r.stderr
        got, sample_errors = outcome_of(text)
        if r.returncode not in (0, 5):
            problems.append(f"{f}: vigild -t exited {r.returncode}:\n{text}")
        elif got != want:
            problems.append(f"{f}: expected '{want}', vigild -t says '{got}':\n{text}")
        if (r.returncode == 0) != ("sample-error" not in got and "unsupported" not in got):
            problems.append(f"{f}: vigild -t exit status {r.returncode} does not fit '{got}'")
        if sample_errors:
            # keepalived must object to each of those lines too, or vigil refuses what it takes.
            k = h1.run(keepalived, "-t", *args, "-f", path, "-l", "-D", check=False)
            seen = {int(m["line"]) for m in KEEPALIVED_LINE.finditer(k.stdout + k.stderr)}
            for n in sorted(sample_errors - seen):
                problems.append(f"{f}:{n}: vigild reports an error that keepalived 2.2.7 "
                                f"accepts without a word:\n{text}")
    assert not problems, "\n\n".join(problems)
