"""The README's Python example ("## Python"), run as written against the session's gateway, with
MPIJOB_SERVER and MPIJOB_TOKEN set as the README's shell lines set them (alice's token)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

from conftest import REPO_ROOT, Gateway

# Generous: the example waits for a job to run (a second of simulated minutes at this time scale).
EXAMPLE_TIMEOUT_SECONDS = 300


def readme_block(section: str, language: str) -> str:
    text = (REPO_ROOT / "README.md").read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end >= 0 else None]
    blocks = re.findall(rf"^```{language}\n(.*?)^```$", body, flags=re.MULTILINE | re.DOTALL)
    assert blocks, f"no {language} block in ## {section}"
    return blocks[0]


def user_token(gateway: Gateway, user: str) -> str | None:
    path = gateway.data_dir / "tokens.csv"
    if not path.exists():
        return None
    with path.open(newline="") as handle:
        return next((row[0] for row in csv.reader(handle) if len(row) >= 2 and row[1] == user), None)


def test_the_readme_python_example_runs_as_written(gateway: Gateway) -> None:
    program = readme_block("Python", "python")
    env = {**os.environ, "MPIJOB_SERVER": gateway.url}
    token = user_token(gateway, "alice")
    if token:
        env["MPIJOB_TOKEN"] = token
    result = subprocess.run([sys.executable, "-c", program], check=False, env=env, capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "hello-py SUCCEEDED"
    assert re.fullmatch(r"\[\('launcher', None, '\w+'\), \('worker', 0, '\w+'\), \('worker', 1, '\w+'\)\]", lines[1])
    assert any(line.startswith("rank 1: ") for line in lines)
    assert any(re.fullmatch(r"QUOTA_EXCEEDED \[\('requests\.cpu', '\d+'\)\]", line) for line in lines)
    assert "BAD_USER_INPUT ['metadata.name']" in lines
