"""Both command lines (TypeScript and Python) on every vector: verdict, code and identity must be equal."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from vectors import NODE_CLI, PYTHON_CLI, TS_CLI, load_vectors, run_all, served_vectors, vector_files

VECTORS = load_vectors()


def _comparable(outcome: dict[str, Any]) -> dict[str, Any]:
    return {key: outcome.get(key) for key in ("ok", "code", "status", "identity", "exit")}


def test_both_clis_agree_on_every_vector() -> None:
    if not vector_files():
        pytest.skip("test-vectors/*.json are being written; parity runs once they land")
    assert shutil.which("node"), "node is needed for the parity test"
    assert TS_CLI.is_file(), (
        f"{TS_CLI} is missing: build the TypeScript core first "
        "(`npx turbo run build --filter=@mieweb/trusted-proxy-auth`; turbo does it before this test)"
    )
    with served_vectors(VECTORS) as urls:
        python = run_all(PYTHON_CLI, VECTORS, urls)
        node = run_all(NODE_CLI, VECTORS, urls)
    differences = {
        vector.id: {"python": python[vector.id], "typescript": node[vector.id]}
        for vector in VECTORS
        if _comparable(python[vector.id]) != _comparable(node[vector.id])
    }
    assert differences == {}, f"{len(differences)} of {len(VECTORS)} vectors differ"
