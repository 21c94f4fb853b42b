from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

#: pytester runs the test kit's example as an application's own test run would (tests/test_examples.py).
pytest_plugins = ["pytester"]

if TYPE_CHECKING:
    from vectors import BatchResults, ServedUrls


@pytest.fixture(scope="session")
def served_vector_urls() -> Iterator[dict[str, ServedUrls]]:
    """One real loopback HTTP server answering every vector's key URL, shared by the CLI tests."""
    from vectors import load_vectors, served_vectors

    with served_vectors(load_vectors()) as urls:
        yield urls


@pytest.fixture(scope="session")
def python_cli_results(served_vector_urls: dict[str, ServedUrls]) -> BatchResults:
    """The Python CLI's outcome for every vector (`verify --batch`, one process for every vector), computed once
    for the vector and parity tests."""
    from vectors import PYTHON_CLI, load_vectors, run_all

    return run_all(PYTHON_CLI, load_vectors(), served_vector_urls)
