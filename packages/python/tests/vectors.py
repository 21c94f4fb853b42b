"""Loading the shared vector files and running one vector through the library or a CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
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
#: Where the mock transport answers a `pemByKid` key host: `<MOCK_KEYS_BASE>/<kid>`.
MOCK_KEYS_BASE = "https://jwks.vectors.test/keys"
PEM_CONTENT_TYPE = "application/x-pem-file"


class PrintedNumber(str):
    """A JSON number kept as the text it was printed as, so that printed identities compare byte for byte
    (contract/checks.json numberOutput): 1796000000 and 1796000000.0 are equal numbers but not equal output."""

    __slots__ = ()


def load_printed(text: str) -> Any:
    """json.loads with every number kept as its PrintedNumber text."""
    return json.loads(text, parse_int=PrintedNumber, parse_float=PrintedNumber)


def _as_double(text: str) -> int | float:
    """An integer of a vector file as the double it stands for (I-JSON): exact up to 2**53, else nearest."""
    value = int(text)
    return value if abs(value) <= 2**53 else float(text)


@dataclass(frozen=True)
class Vector:
    id: str
    file: str
    data: dict[str, Any]
    #: `expected.identity` with its numbers as printed in the vector file (JSON.stringify, the reference).
    printed_identity: Any = None

    @property
    def expected(self) -> dict[str, Any]:
        """`{"ok": bool, "code": str | None, "status": int | None, "identity": dict | None}`."""
        expected = self.data["expected"]
        if "error" in expected:
            error = expected["error"]
            outcome = {"ok": False, "code": error["code"], "status": error["status"]}
            if "detail" in error:
                outcome["detail"] = error["detail"]
            return outcome
        return {"ok": True, "identity": expected["identity"]}

    @property
    def expected_printed(self) -> dict[str, Any]:
        """`expected` with the identity's numbers as printed text: what a command line must print."""
        expected = self.expected
        return {**expected, "identity": self.printed_identity} if expected["ok"] else expected

    @property
    def publishes_pem_per_kid(self) -> bool:
        """The key endpoint is a host answering one PEM per kid (`jwks.pemByKid`), not a key set."""
        jwks = self.data.get("jwks")
        return isinstance(jwks, dict) and "pemByKid" in jwks

    def jwks_response(self) -> JwksResponse | None:
        """What the key set URL answers (None: no key set endpoint)."""
        jwks = self.data.get("jwks")
        if jwks is None or self.publishes_pem_per_kid:
            return None
        if "response" in jwks:
            return _explicit_response(jwks["response"])
        return JwksResponse(body=json.dumps(jwks))

    def pem_responses(self) -> dict[str, JwksResponse]:
        """kid -> what `<base>/<kid>` answers, for a `pemByKid` key host (every other kid: 404)."""
        if not self.publishes_pem_per_kid:
            return {}
        answers: dict[str, JwksResponse] = {}
        for kid, answer in self.data["jwks"]["pemByKid"].items():
            if isinstance(answer, str):
                answers[kid] = JwksResponse(body=answer, content_type=PEM_CONTENT_TYPE)
            else:
                answers[kid] = _explicit_response(answer["response"])
        return answers

    def env(self, jwks_url: str, keys_base: str) -> dict[str, str]:
        """The vector's configuration; when it has a key endpoint and names no key URL, the runner's: the key
        set URL, or for `pemByKid` the template `<keys_base>/{kid}`."""
        env = dict(self.data["config"])
        if "TRUSTED_PROXY_JWKS_URL" not in env and self.data.get("jwks") is not None:
            env["TRUSTED_PROXY_JWKS_URL"] = keys_base + "/{kid}" if self.publishes_pem_per_kid else jwks_url
        return env


def _explicit_response(raw: dict[str, Any]) -> JwksResponse:
    # No contentType: the endpoint sends no content type.
    return JwksResponse(status=raw["status"], body=raw["body"], content_type=raw.get("contentType"))


# test-vectors/ is also an npm workspace (the generator); these JSON files there are not vector files.
_TOOLING_FILES = ("package.json", "package-lock.json", "tsconfig.json")


def vector_files() -> list[Path]:
    return sorted(path for path in VECTOR_DIR.glob("*.json") if path.name not in _TOOLING_FILES)


def load_vectors() -> list[Vector]:
    vectors: list[Vector] = []
    for path in vector_files():
        text = path.read_text(encoding="utf-8")
        printed = load_printed(text)["vectors"]
        for data, as_printed in zip(json.loads(text, parse_int=_as_double)["vectors"], printed, strict=True):
            identity = as_printed["expected"].get("identity")
            vectors.append(Vector(id=data["id"], file=path.name, data=data, printed_identity=identity))
    return vectors


def mock_transports(vector: Vector) -> tuple[httpx.MockTransport, httpx.MockTransport]:
    """Sync and async transports that answer the runner's key URLs with the vector's `jwks`: the key set
    at MOCK_JWKS_URL, or each `pemByKid` answer at `MOCK_KEYS_BASE/<kid>` (other kids: 404)."""
    key_set = vector.jwks_response()
    pems = {f"{MOCK_KEYS_BASE}/{kid}": answer for kid, answer in vector.pem_responses().items()}

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if key_set is not None and url == MOCK_JWKS_URL:
            response = key_set
        elif vector.publishes_pem_per_kid and url.startswith(MOCK_KEYS_BASE + "/"):
            response = pems.get(url, JwksResponse(status=404, body="", content_type=None))
        else:
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
    # A configuration vector is checked as a request, which the CLI loads exactly as an application does (a
    # bare token needs no header setting and may discover keys); loading the configuration fails first.
    if "token" not in vector.data:
        return [*arguments, "--header", "X-Placeholder: placeholder-token"]
    return [*arguments, "--", vector.data["token"]]


def batch_line(vector: Vector, urls: ServedUrls) -> str:
    """One `verify --batch` input line for a vector: its configuration, time, and token or request."""
    line: dict[str, Any] = {"now": vector.data["now"], "env": vector.env(urls.jwks_url, urls.keys_base)}
    if "request" in vector.data:
        request = vector.data["request"]
        line["headers"] = request["headers"]
        line["remoteAddress"] = request.get("remoteAddress")
    else:
        line["token"] = vector.data.get("token", "placeholder-token")
    return json.dumps(line, ensure_ascii=False)


def exit_code_of(outcome: Mapping[str, Any]) -> int:
    """The exit code `verify` returns with an outcome: 0 verified, 2 invalid_config, 3 jwks_unavailable, 1 other
    rejections."""
    if outcome["ok"]:
        return 0
    return {"invalid_config": 2, "jwks_unavailable": 3}.get(str(outcome["code"]), 1)


def expected_exit_code(vector: Vector) -> int:
    """The exit code `verify` must return for a vector's expected outcome."""
    return exit_code_of(vector.expected)


def line_outcome(printed: Any) -> dict[str, Any]:
    """`{"ok", "identity"}` or `{"ok", "code", "status", "detail"}` of one printed JSON result."""
    if not isinstance(printed, dict):
        return {"ok": False, "code": "not a JSON object", "status": None}
    if printed.get("ok") is True:
        # Numbers as printed (load_printed): both command lines must print the same bytes, not just equal values.
        return {"ok": True, "identity": printed.get("identity")}
    error = printed.get("error", {})
    status = error.get("status")
    return {
        "ok": False,
        "code": error.get("code"),
        "status": int(status) if isinstance(status, PrintedNumber) else status,
        "detail": error.get("detail"),
    }


def cli_outcome(stdout: str, exit_code: int) -> dict[str, Any]:
    """The outcome of a single `verify` run; `exit` is added when the exit code does not match the output."""
    try:
        outcome = line_outcome(load_printed(stdout))
    except ValueError:
        return {"ok": False, "code": f"unparsable output (exit {exit_code})", "status": None}
    if exit_code != exit_code_of(outcome):
        outcome["exit"] = exit_code
    return outcome


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONIOENCODING"] = "utf-8"
    return {**env, **extra}


@dataclass(frozen=True)
class ServedUrls:
    """Where the loopback server answers one vector: its key set URL and its per-kid key host base."""

    jwks_url: str
    keys_base: str


#: One CLI process may verify every vector; generous, because the machine may be busy with other work.
CLI_TIMEOUT_SECONDS = 180


def run_cli(command: list[str], vector: Vector, urls: ServedUrls) -> dict[str, Any]:
    """One `verify` process for one vector, with only the vector's configuration in its environment."""
    completed = subprocess.run(
        [*command, *cli_arguments(vector)],
        env=_clean_env(vector.env(urls.jwks_url, urls.keys_base)),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return cli_outcome(completed.stdout, completed.returncode)


@dataclass(frozen=True)
class BatchResults:
    """What `verify --batch` answered: the outcome of every vector (by id) and the process exit code."""

    outcomes: dict[str, dict[str, Any]]
    exit_code: int


def run_batch(command: list[str], vectors: list[Vector], urls: Mapping[str, ServedUrls]) -> tuple[int, list[Any]]:
    """ONE `verify --batch` process for the vectors (its environment holds no setting: each line carries its
    vector's); returns the exit code and the printed result of each vector, in order."""
    completed = subprocess.run(
        [*command, "verify", "--batch"],
        env=_clean_env({}),
        input="".join(batch_line(vector, urls[vector.id]) + "\n" for vector in vectors),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    lines = [line for line in completed.stdout.split("\n") if line]
    if len(lines) != len(vectors):
        raise AssertionError(
            f"{command[-1]} --batch answered {len(lines)} of {len(vectors)} lines (exit {completed.returncode}): "
            f"{completed.stderr[:300]}"
        )
    return completed.returncode, [load_printed(line) for line in lines]


PYTHON_CLI = [sys.executable, "-m", "trusted_proxy_auth"]
NODE_CLI = ["node", str(TS_CLI)]


@contextmanager
def served_vectors(vectors: list[Vector]) -> Iterator[dict[str, ServedUrls]]:
    """A real loopback HTTP server answering each vector's `jwks` (a key set at `/vector/<n>/jwks.json`, or
    one PEM per kid at `/vector/<n>/keys/<kid>`; every other path 404); yields id -> its URLs."""
    with loopback_jwks_server() as (base, routes):
        urls: dict[str, ServedUrls] = {}
        for index, vector in enumerate(vectors):
            path = f"/vector/{index}/jwks.json"
            keys_path = f"/vector/{index}/keys"
            response = vector.jwks_response()
            if response is not None:
                routes[path] = response
            for kid, answer in vector.pem_responses().items():
                routes[f"{keys_path}/{kid}"] = answer
            urls[vector.id] = ServedUrls(jwks_url=base + path, keys_base=base + keys_path)
        yield urls


def run_all(command: list[str], vectors: list[Vector], urls: Mapping[str, ServedUrls]) -> BatchResults:
    """Every vector through ONE `verify --batch` process: a CLI start costs more than verifying a whole file."""
    exit_code, printed = run_batch(command, vectors, urls)
    outcomes = {vector.id: line_outcome(result) for vector, result in zip(vectors, printed, strict=True)}
    return BatchResults(outcomes=outcomes, exit_code=exit_code)


def single_run_sample(vectors: list[Vector]) -> list[Vector]:
    """A few vectors for single-process runs (the real argv entry point): the first of each kind (token,
    request or configuration-only) and expected exit code."""
    seen: set[str] = set()
    sample: list[Vector] = []
    for vector in vectors:
        shape = "request" if "request" in vector.data else "token" if "token" in vector.data else "config"
        kind = f"{shape}/{expected_exit_code(vector)}"
        if kind not in seen:
            seen.add(kind)
            sample.append(vector)
    return sample
