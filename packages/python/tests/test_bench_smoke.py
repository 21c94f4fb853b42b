"""Proves only that the Python benchmarks (bench/python) still run; timings never decide a test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "python"
AUTOCANNON = BENCH.parents[1] / "node_modules" / ".bin" / "autocannon"


def run_smoke(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / script)],
        env={**os.environ, "BENCH_SMOKE": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def test_the_verifier_bench_runs_a_tiny_pass() -> None:
    output = run_smoke("compare.py")
    assert "## ES256 (raw PyJWT:" in output
    for contender in ("ours verify_assertion", "ours verify_request", "PyJWKClient + jwt.decode (loopback JWKS)"):
        assert f"| {contender} |" in output
    assert "load average at start:" in output


# The load generator is the repository's npm devDependency: `npm ci` installs it before any test runs in CI.
@pytest.mark.skipif(not AUTOCANNON.exists(), reason="autocannon is installed by `npm ci` at the repository root")
def test_the_http_bench_serves_fastapi_with_and_without_the_middleware() -> None:
    output = run_smoke("http_throughput.py")
    separate, _, same = output.partition("### The same comparison inside one server process")
    assert re.search(r"\| fastapi \| \d+/s \| \d+/s \| \d+ % \(rounds: [\d.]+\) \| \d+ µs / \d+ µs \|", separate)
    # Both apps in one server process: its row carries the ratio, the ratio per process and CPU per request.
    assert re.search(r"\| fastapi \| \d+/s \| \d+/s \| \*\*\d+ %\*\* \| [\d.]+ \| \d+ µs / \d+ µs \|", same)


def test_the_hit_path_bench_times_the_middleware_in_process() -> None:
    output = run_smoke("hit_path.py")
    for app in ("asgi", "starlette", "fastapi"):
        assert f"| {app} |" in output
