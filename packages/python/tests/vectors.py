"""Loading the shared vector files and running one vector through the library or a CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from helpers import JwksResponse, loopback_jwks_server

REPO = Path(__file__).resolve().parents[3]
VECTOR_DIR = REPO / "test-vectors"
TS_CLI = REPO / "packages" / "core" / "dist" / "cli" / "main.js"
MOCK_JWKS_URL = "https://jwks.vectors.test/jwks.json"
CLI_PARALLELISM = 4


@dataclass(frozen=True)
class Vector:
    id: str
    file: str
    data: dict[str, Any]

    @property
    def expected(self) -> dict[str, Any]:
        """`{"ok": bool, "code": str | None, "status": int | None, "identity": dict | None}`."""
        expected = self.data["expected"]
        if "error" in expected:
            return {"ok": False, "code": expected["error"]["code"], "status": expected["error"]["status"]}
        return {"ok": True, "identity": expected["identity"]}

    def jwks_response(self) -> JwksResponse | None:
        jwks = self.data.get("jwks")
        if jwks is None:
            return None
        if "response" in jwks:
            raw = jwks["response"]
            # No contentType: the endpoint sends no content type.
            return JwksResponse(status=raw["status"], body=raw["body"], content_type=raw.get("contentType"))
        return JwksResponse(body=json.dumps(jwks))

    def env(self, jwks_url: str) -> dict[str, str]:
        env = dict(self.data["config"])
        if "TRUSTED_PROXY_JWKS_URL" not in env and "jwks" in self.data:
            env["TRUSTED_PROXY_JWKS_URL"] = jwks_url
        return env


# test-vectors/ is also an npm workspace (the generator); these JSON files there are not vector files.
_TOOLING_FILES = ("package.json", "package-lock.json", "tsconfig.json")


def vector_files() -> list[Path]:
    return sorted(path for path in VECTOR_DIR.glob("*.json") if path.name not in _TOOLING_FILES)


def load_vectors() -> list[Vector]:
    vectors: list[Vector] = []
    for path in vector_files():
        for data in json.loads(path.read_text(encoding="utf-8"))["vectors"]:
            vectors.append(Vector(id=data["id"], file=path.name, data=data))
    return vectors


def mock_transports(vector: Vector) -> tuple[httpx.MockTransport, httpx.MockTransport]:
    """Sync and async transports that answer the runner's key URL with the vector's `jwks`."""
    response = vector.jwks_response()

    def handle(request: httpx.Request) -> httpx.Response:
        if response is None or str(request.url) != MOCK_JWKS_URL:
            raise httpx.ConnectError("no such host in the vector runner", request=request)
        headers = {"content-type": response.content_type} if response.content_type else {}
        return httpx.Response(response.status, headers=headers, content=response.body.encode("utf-8"))

    async def ahandle(request: httpx.Request) -> httpx.Response:
        return handle(request)

    return httpx.MockTransport(handle), httpx.MockTransport(ahandle)


def cli_arguments(vector: Vector) -> list[str]:
    """`verify` arguments for a vector: the token after `--` (it may start with `-`), or the request."""
    arguments = ["verify", "--now", str(vector.data["now"])]
    if "request" in vector.data:
        request = vector.data["request"]
        for name, value in request["headers"]:
            arguments += ["--header", f"{name}: {value}"]
        remote = request.get("remoteAddress")
        # An empty peer address is "no address" to both CLIs; it also marks a request without headers.
        if remote is not None or not request["headers"]:
            arguments += ["--remote-address", remote or ""]
        return arguments
    # A configuration vector has no token: any placeholder will do, loading the configuration fails first.
    return [*arguments, "--", vector.data.get("token", "placeholder-token")]


def cli_outcome(stdout: str, exit_code: int) -> dict[str, Any]:
    try:
        printed = json.loads(stdout)
    except ValueError:
        return {"ok": False, "code": f"unparsable output (exit {exit_code})", "status": None}
    if printed.get("ok") is True:
        outcome: dict[str, Any] = {"ok": True, "identity": printed.get("identity")}
        expected_exit = 0
    else:
        error = printed.get("error", {})
        outcome = {"ok": False, "code": error.get("code"), "status": error.get("status")}
        expected_exit = 2 if error.get("code") == "invalid_config" else 1
    if exit_code != expected_exit:
        outcome["exit"] = exit_code
    return outcome


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONIOENCODING"] = "utf-8"
    return {**env, **extra}


def run_cli(command: list[str], vector: Vector, jwks_url: str) -> dict[str, Any]:
    completed = subprocess.run(
        [*command, *cli_arguments(vector)],
        env=_clean_env(vector.env(jwks_url)),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return cli_outcome(completed.stdout, completed.returncode)


PYTHON_CLI = [sys.executable, "-m", "trusted_proxy_auth"]
NODE_CLI = ["node", str(TS_CLI)]


@contextmanager
def served_vectors(vectors: list[Vector]) -> Iterator[dict[str, str]]:
    """A real loopback HTTP server answering each vector's key URL with its `jwks`; yields id -> URL."""
    with loopback_jwks_server() as (base, routes):
        urls: dict[str, str] = {}
        for index, vector in enumerate(vectors):
            path = f"/vector/{index}/jwks.json"
            response = vector.jwks_response()
            if response is not None:
                routes[path] = response
            urls[vector.id] = base + path
        yield urls


def run_all(command: list[str], vectors: list[Vector], urls: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=CLI_PARALLELISM) as pool:
        results = pool.map(lambda vector: (vector.id, run_cli(command, vector, urls[vector.id])), vectors)
        return dict(results)
