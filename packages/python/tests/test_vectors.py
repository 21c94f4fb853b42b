"""Every vector of ../../test-vectors/*.json through the library (sync and async) and the Python CLI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import ManualScheduler
from vectors import (
    MOCK_JWKS_URL,
    MOCK_KEYS_BASE,
    PYTHON_CLI,
    BatchResults,
    ServedUrls,
    Vector,
    expected_exit_code,
    load_vectors,
    mock_transports,
    run_cli,
    single_run_sample,
    vector_files,
)

from trusted_proxy_auth import Identity, TrustedProxyAuth, TrustedProxyAuthError, load_config

VECTORS = load_vectors()


def _verdict(identity: Identity | None) -> dict[str, Any]:
    return {"ok": True, "identity": None if identity is None else identity.to_dict()}


def _rejection(error: TrustedProxyAuthError) -> dict[str, Any]:
    return {"ok": False, "code": error.code, "status": error.status, "detail": error.detail}


def _pinned(vector: Vector, outcome: dict[str, Any]) -> dict[str, Any]:
    """The outcome as the vector pins it: `detail` is compared only where the vector gives one."""
    if "detail" in vector.expected:
        return outcome
    return {key: value for key, value in outcome.items() if key != "detail"}


def run_library(vector: Vector, *, asynchronous: bool, repeat: bool = False) -> dict[str, Any]:
    """The vector's verdict; with `repeat`, verified three times on one verifier (the third answer, a cache hit
    after successes, must equal the first and is the one returned)."""
    data = vector.data
    transport, async_transport = mock_transports(vector)
    try:
        # No background work: the manual scheduler never runs, so each vector costs one fetch at most.
        auth = TrustedProxyAuth(
            load_config(vector.env(MOCK_JWKS_URL, MOCK_KEYS_BASE)),
            transport=transport,
            async_transport=async_transport,
            scheduler=ManualScheduler(),
        )
    except TrustedProxyAuthError as error:
        return _rejection(error)
    now = data["now"]

    def once() -> dict[str, Any]:
        try:
            if "request" in data:
                request = data["request"]
                headers = [(name, value) for name, value in request["headers"]]
                if asynchronous:
                    return _verdict(asyncio.run(auth.averify_request(headers, request.get("remoteAddress"), now=now)))
                return _verdict(auth.verify_request(headers, request.get("remoteAddress"), now=now))
            token = data.get("token", "")
            if asynchronous:
                return _verdict(asyncio.run(auth.averify_assertion(token, now=now)))
            return _verdict(auth.verify_assertion(token, now=now))
        except TrustedProxyAuthError as error:
            return _rejection(error)

    first = once()
    if not repeat:
        return first
    # The cache takes an assertion in from its second success, so the third verification is the hit.
    second, third = once(), once()
    assert second == first, "the second verification on the same verifier differs"
    assert third == first, "the third verification on the same verifier differs"
    if first.get("identity") is not None:
        assert auth.cache_counts().hits == 1, "the third verification was answered from the cache"
    return third


def test_vector_files_are_present() -> None:
    assert len(vector_files()) >= 16, "test-vectors/*.json are missing"
    assert len(VECTORS) == len({vector.id for vector in VECTORS}), "vector ids must be unique"


@pytest.mark.parametrize("vector", VECTORS, ids=[vector.id for vector in VECTORS])
@pytest.mark.parametrize("mode", ["sync", "async", "sync-repeat"])
def test_vector_through_library(vector: Vector, mode: str) -> None:
    verdict = run_library(vector, asynchronous=mode == "async", repeat=mode == "sync-repeat")
    assert _pinned(vector, verdict) == vector.expected


@pytest.mark.parametrize("vector", VECTORS, ids=[vector.id for vector in VECTORS])
def test_vector_through_python_cli_batch(vector: Vector, python_cli_results: BatchResults) -> None:
    assert _pinned(vector, python_cli_results.outcomes[vector.id]) == vector.expected_printed


def test_the_batch_exits_with_the_highest_exit_code_of_its_vectors(python_cli_results: BatchResults) -> None:
    assert python_cli_results.exit_code == max(expected_exit_code(vector) for vector in VECTORS)


SAMPLE = single_run_sample(VECTORS)


@pytest.mark.parametrize("vector", SAMPLE, ids=[vector.id for vector in SAMPLE])
def test_vector_through_one_python_cli_process(
    vector: Vector, python_cli_results: BatchResults, served_vector_urls: dict[str, ServedUrls]
) -> None:
    """The real argv entry point on a few vectors: the verdict, the exit code, and the same as the batch."""
    outcome = run_cli(PYTHON_CLI, vector, served_vector_urls[vector.id])
    # An `exit` member would mean the exit code does not fit the output.
    assert _pinned(vector, outcome) == vector.expected_printed
    assert outcome == python_cli_results.outcomes[vector.id]
