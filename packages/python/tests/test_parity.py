"""Both command lines (TypeScript and Python) on every vector: verdict, code, detail and identity must be
equal (the detail on every vector, also where the vector file does not pin it)."""

from __future__ import annotations

import json
import shutil
from typing import Any

from vectors import NODE_CLI, TS_CLI, BatchResults, ServedUrls, load_vectors, run_all, vector_files

VECTORS = load_vectors()


def _comparable(outcome: dict[str, Any]) -> dict[str, Any]:
    return {key: outcome.get(key) for key in ("ok", "code", "status", "detail", "identity", "exit")}


def test_both_clis_agree_on_every_vector(
    python_cli_results: BatchResults, served_vector_urls: dict[str, ServedUrls]
) -> None:
    """Both CLIs in batch mode (one process each for every vector): every vector's output, and the exit code."""
    assert vector_files(), "test-vectors/*.json are missing"
    assert shutil.which("node"), "node is needed for the parity test"
    assert TS_CLI.is_file(), (
        f"{TS_CLI} is missing: build the TypeScript core first "
        "(`npx turbo run build --filter=@mieweb/trusted-proxy-auth`; turbo does it before this test)"
    )
    python = python_cli_results.outcomes
    node_results = run_all(NODE_CLI, VECTORS, served_vector_urls)
    node = node_results.outcomes
    differences = {
        vector.id: {"python": python[vector.id], "typescript": node[vector.id]}
        for vector in VECTORS
        if _comparable(python[vector.id]) != _comparable(node[vector.id])
    }
    report = json.dumps(dict(list(differences.items())[:10]), indent=1)[:6000]
    assert differences == {}, f"{len(differences)} of {len(VECTORS)} vectors differ:\n{report}"
    assert python_cli_results.exit_code == node_results.exit_code
