"""Proves only that the Python benchmark (bench/python/compare.py) still runs; timings never decide a test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "python" / "compare.py"


def test_the_python_bench_runs_a_tiny_pass() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH)],
        env={**os.environ, "BENCH_SMOKE": "1"},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert "## ES256, distinct assertions" in result.stdout
    assert "| ours verify_assertion |" in result.stdout
