"""pytest glue for the network-namespace tests (see harness.py for how to write one).

* ``lab`` fixture: a fresh :class:`harness.Lab` per test, always cleaned up. Keyword arguments
  for ``Lab`` come from the ``lab`` marker, e.g. ``@pytest.mark.lab(hosts=2, ipv4="10.99.0.0/24")``.
  Logs, configs and pid files go to the test's ``tmp_path`` (pytest keeps the last few runs).
* Session start: a preflight check (root, ip netns, veth, bridge) and a sweep of namespaces
  left behind by killed runs. Not being root skips the tests, except under CI (``$CI`` set),
  where it is an error; being root but unable to build namespaces is always an error.
* On failure, the last 200 lines of every process of every lab the test created are attached
  to the report (as sections shown with the failure).
"""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

import harness

LOG_LINES = 200


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lab(**kwargs): keyword arguments for the Lab built by the lab fixture")


@pytest.fixture(scope="session", autouse=True)
def netns_preflight() -> Iterator[None]:
    """Fail (or, outside CI and not root, skip) unless namespace labs can be built."""
    if os.geteuid() != 0:
        message = "the netns tests must run as root (they create network namespaces)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    problem = harness.preflight()
    if problem:
        pytest.fail(f"netns preflight failed: {problem}", pytrace=False)
    harness.sweep_stale(log=lambda msg: print(f"\n{msg}"))
    yield
    leftovers = harness.live_labs()
    harness.cleanup_all()
    assert not leftovers, f"labs still open at the end of the session: {leftovers}"


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path) -> Iterator[harness.Lab]:
    """A started Lab (switch namespace + lan0, plus whatever the ``lab`` marker asks for)."""
    marker = request.node.get_closest_marker("lab")
    kwargs = dict(marker.kwargs) if marker else {}
    kwargs.setdefault("workdir", tmp_path / "lab")
    with harness.Lab(**kwargs) as the_lab:
        yield the_lab


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    harness.forget_labs()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not report.failed or getattr(item, "_vigil_logs_attached", False):
        return
    labs = harness.labs_created()
    sections = [s for lab in labs for s in lab.dump_logs(LOG_LINES)]
    for title, text in sections:
        report.sections.append((f"process log: {title}", text))
    if sections:
        item._vigil_logs_attached = True


@pytest.hookimpl(trylast=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    # On SIGTERM/SIGINT the harness cleaned up and noted where the test was; pytest itself
    # shows only the signal handler's frame, so print the test's stack (capture is off now).
    where = harness.interrupted_at()
    if where:
        print("\n" + where, file=sys.stderr)
