"""The gateway the tests talk to: started once per test session with ``npm start`` from the
repository root, on an ephemeral embedded cluster whose simulated time runs 60 times faster,
on a free port; stopped at the end. The admin's token comes from the cluster's tokens.csv."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mpijob_gateway import Client

REPO_ROOT = Path(__file__).resolve().parents[3]
TIME_SCALE = "60"
# Hang guards, not performance limits: a cold start on a loaded two-core machine is slow.
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 30.0
URL_LINE = re.compile(r"^GraphQL:\s+(\S+)", re.MULTILINE)
ADMIN_USER = "admin"
# Set to a running gateway's endpoint (and MPIJOB_TEST_DATA_DIR to its data dir, for the token)
# to test against it instead of starting one; its team-a namespace must be free of the tests' jobs.
ENV_EXISTING_GATEWAY = "MPIJOB_TEST_GATEWAY"
ENV_EXISTING_DATA_DIR = "MPIJOB_TEST_DATA_DIR"


@dataclass(frozen=True)
class Gateway:
    url: str
    token: str | None
    data_dir: Path


def admin_token(data_dir: Path) -> str | None:
    """The admin's token from the embedded cluster's static token file (token,user,uid,groups)."""
    path = data_dir / "tokens.csv"
    if not path.exists():
        return None
    with path.open(newline="") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2 and row[1] == ADMIN_USER:
                return row[0]
    return None


def _ready_url(url: str) -> str:
    return re.sub(r"/graphql$", "/readyz", url)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    existing = os.environ.get(ENV_EXISTING_GATEWAY)
    if existing:
        existing_dir = Path(os.environ.get(ENV_EXISTING_DATA_DIR, REPO_ROOT / ".mpijob-gateway"))
        yield Gateway(url=existing, token=admin_token(existing_dir), data_dir=existing_dir)
        return
    work = tmp_path_factory.mktemp("gateway")
    data_dir = work / "data"
    log_path = work / "gateway.log"
    command = ["npm", "start", "--", "--ephemeral", "--port", "0", "--time-scale", TIME_SCALE, "--data-dir", str(data_dir), "--log-level", "warn"]
    with log_path.open("w") as log:
        # Its own process group, so stopping it stops npm and the node process under it.
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while url is None:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not start:\n{log_path.read_text()}")
            found = URL_LINE.search(log_path.read_text())
            url = found.group(1) if found else None
            time.sleep(0.2)
        while httpx.get(_ready_url(url)).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not become ready:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield Gateway(url=url, token=admin_token(data_dir), data_dir=data_dir)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture()
def client(gateway: Gateway) -> Iterator[Client]:
    with Client(gateway.url, gateway.token) as c:
        yield c


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One last line `N passed, N failed`, the summary every CI stage of the project ends with."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"{passed} passed, {failed} failed")
