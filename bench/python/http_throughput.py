"""HTTP requests/s of a hello app with and without our middleware on a cache hit, on loopback. Prints markdown.

Each framework's hello app (bench/python/http_apps.py: the same route and JSON answer either way) runs twice,
bare and with our middleware, each in its own server process with one worker: FastAPI and Starlette under
uvicorn (httptools and uvloop when installed, as `uvicorn[standard]` gives; the table names what was used),
Flask under gunicorn (one gthread worker). Keys come from a loopback JWKS server in this process. Every request
carries the same valid assertion, so after the first one the middleware answers from its verified-assertion
cache; every per-request rule (header extraction, exp/nbf on the clock) still runs.

Load: autocannon (the repository's devDependency, node_modules/.bin/autocannon; a separate Node process, far
cheaper per request than a Python server) with BENCH_HTTP_CONNECTIONS keep-alive connections for
BENCH_HTTP_SECONDS per measurement. Rounds are interleaved: in each round, for each framework, both servers are
started afresh, warmed up for a second and measured back to back (alternating which goes first), then stopped
(a server process keeps its luck for its whole life, so servers kept for every round charge one process's luck
to the same side of every ratio); the requests/s ratio of each pair is taken and a cell is the median over rounds.
On a shared machine requests/s swing with the neighbours' load, so the server's own CPU time per request (user +
system, from /proc, the gunicorn worker included) is reported too: for a CPU-bound server its ratio is the
throughput ratio a quiet machine would show. Load averages are printed. Any non-2xx answer or socket error fails
the run.

A second table puts both apps in ONE server process (http_apps.py `<framework>_pair`: the bare route at /bare, ours
at /ours, one character of the path choosing): BENCH_HTTP_PAIR_PROCESSES fresh processes (2) per framework,
BENCH_HTTP_PAIR_WINDOWS alternating windows (6) of BENCH_HTTP_PAIR_SECONDS (2) per app; the ratio is the median over
windows of ours ÷ the bare window next to it. Fresh processes of one app were seen to differ for their whole life by
more than the middleware costs; in one process both share that.

Run from packages/python (after `npm ci` at the repository root):
    python3 scripts/dev_env.py run python ../../bench/python/http_throughput.py
Knobs: BENCH_HTTP_ROUNDS (5), BENCH_HTTP_SECONDS (3), BENCH_HTTP_CONNECTIONS (16), BENCH_HTTP_FRAMEWORKS
(fastapi,starlette,flask), BENCH_AUTOCANNON (path of the autocannon binary); BENCH_SMOKE=1 sends a few
requests to FastAPI only, to prove the script works (its figures mean nothing)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from _bench_keys import jwks_server, private_key, public_jwk

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "1" if SMOKE else "5"))
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "16"))
FRAMEWORKS = os.environ.get("BENCH_HTTP_FRAMEWORKS", "fastapi" if SMOKE else "fastapi,starlette,flask").split(",")
BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
AUTOCANNON = Path(os.environ.get("BENCH_AUTOCANNON", str(REPO / "node_modules" / ".bin" / "autocannon")))
HEADER = "X-Bench-Assertion"
ISSUER = "https://bench.example"
AUDIENCE = "bench"
ALG = "ES256"
SMOKE_REQUESTS = 40
PAIR_PROCESSES = int(os.environ.get("BENCH_HTTP_PAIR_PROCESSES", "1" if SMOKE else "2"))
PAIR_WINDOWS = int(os.environ.get("BENCH_HTTP_PAIR_WINDOWS", "1" if SMOKE else "6"))
PAIR_SECONDS = int(os.environ.get("BENCH_HTTP_PAIR_SECONDS", "2"))


@dataclass(frozen=True)
class Server:
    framework: str
    with_auth: bool
    url: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@functools.cache
def gunicorn_own_flags() -> tuple[str, ...]:
    """`--no-control-socket` where this gunicorn has a control socket (27.0.1 has): two servers at once would
    otherwise both claim ~/.gunicorn/gunicorn.ctl, and the second logs an error."""
    help_text = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return ("--no-control-socket",) if "--no-control-socket" in help_text else ()


def server_command(framework: str, factory: str, port: int) -> list[str]:
    if framework == "flask":
        return [
            sys.executable, "-m", "gunicorn", f"http_apps:{factory}()", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
            "--chdir", str(BENCH_DIR), *gunicorn_own_flags(),
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", f"http_apps:{factory}", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning", "--app-dir", str(BENCH_DIR),
    ]  # fmt: skip


def start(
    framework: str, with_auth: bool, env: dict[str, str], *, factory: str | None = None, path: str = ""
) -> Server:
    port = free_port()
    factory = factory or f"{framework}_{'auth' if with_auth else 'bare'}"
    process = subprocess.Popen(server_command(framework, factory, port), env=env)  # noqa: S603 - our own command
    return Server(framework, with_auth, f"http://127.0.0.1:{port}/{path}", process)


def wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.framework} server exited with {server.process.returncode}")
        try:
            httpx.get(server.url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def serving(
    frameworks: list[str], env: dict[str, str], *, bare_first: bool = True
) -> Iterator[dict[str, tuple[Server, Server]]]:
    """framework -> (bare, with middleware), started on loopback (each framework's bare server first, or ours when
    `bare_first` is false) and stopped on exit."""
    servers: list[Server] = []
    try:
        pairs: dict[str, tuple[Server, Server]] = {}
        for framework in frameworks:
            started: list[Server] = []
            for with_auth in (False, True) if bare_first else (True, False):
                # One at a time, each serving before the next starts: "first" is then what it says.
                server = start(framework, with_auth, env)
                servers.append(server)
                started.append(server)
                wait_until_serving(server)
            bare, ours = sorted(started, key=lambda server: server.with_auth)
            pairs[framework] = (bare, ours)
        yield pairs
    finally:
        for server in servers:
            stop(server)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (gunicorn's worker), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: the fields after it follow its closing parenthesis.
        fields = text[text.rindex(")") + 2 :].split()
        process_id, parent_id = int(stat.parent.name), int(fields[1])
        if process_id == pid or parent_id == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def check_answers(server: Server, token: str) -> None:
    """With the assertion: 200. Without it: 401 with the middleware (it is really there), 200 bare."""
    with_token = httpx.get(server.url, headers={HEADER: token}, timeout=10)
    without = httpx.get(server.url, timeout=10)
    expected = 401 if server.with_auth else 200
    if with_token.status_code != 200 or without.status_code != expected:
        raise RuntimeError(
            f"{server.framework} ({'with' if server.with_auth else 'without'} middleware) answered "
            f"{with_token.status_code} with the assertion and {without.status_code} without it"
        )


@dataclass(frozen=True)
class Measurement:
    requests_per_second: float
    #: The server's CPU time per request in microseconds: unlike requests/s it hardly depends on how much
    #: of the shared machine the server got meanwhile.
    cpu_microseconds_per_request: float


def measure(server: Server, token: str, *, seconds: int | None = None, url: str | None = None) -> Measurement:
    """autocannon against the server, every request carrying the assertion."""
    cpu_before = cpu_seconds(server.process.pid)
    # A smoke run's few requests would otherwise wait for autocannon's 1-s sample tick each time.
    amount = ["--amount", str(SMOKE_REQUESTS), "-L", "20"] if SMOKE else ["--duration", str(seconds or SECONDS)]
    command = [
        str(AUTOCANNON), "--json", "--connections", str(CONNECTIONS), *amount,
        "--headers", f"{HEADER.lower()}={token}", url or server.url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)  # noqa: S603 - see above
    report = json.loads(result.stdout)
    failures = report["non2xx"] + report["errors"] + report["timeouts"]
    if failures:
        raise RuntimeError(f"{server.framework}: {failures} failed requests under load")
    total = float(report["requests"]["total"])
    cpu = cpu_seconds(server.process.pid) - cpu_before
    return Measurement(total / max(float(report["duration"]), 1e-9), cpu * 1e6 / max(total, 1.0))


def medians(bare_runs: list[Measurement], ours_runs: list[Measurement]) -> tuple[str, str]:
    """Two table cells each: the median requests/s of bare and ours; their median server CPU per request and the
    ratio of those."""
    rates = " | ".join(
        f"{statistics.median(run.requests_per_second for run in runs):.0f}/s" for runs in (bare_runs, ours_runs)
    )
    bare_cpu = statistics.median(run.cpu_microseconds_per_request for run in bare_runs)
    ours_cpu = statistics.median(run.cpu_microseconds_per_request for run in ours_runs)
    # /proc counts CPU in clock ticks (10 ms): a short run can measure none at all.
    ratio = f"{bare_cpu / ours_cpu * 100:.0f} %" if bare_cpu > 0 and ours_cpu > 0 else "n/a (under one clock tick)"
    return rates, f"{bare_cpu:.0f} µs / {ours_cpu:.0f} µs | {ratio}"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main() -> None:
    if not AUTOCANNON.exists():
        sys.exit(f"autocannon is not at {AUTOCANNON}: run `npm ci` at the repository root or set BENCH_AUTOCANNON")
    key = private_key(ALG)
    jwk = public_jwk(key, ALG)
    now = int(time.time())
    token = jwt.encode(
        {"sub": "bench-user", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 7200},
        key,
        algorithm=ALG,
        headers={"kid": jwk["kid"]},
    )
    stack = "httptools + uvloop" if installed("httptools") and installed("uvloop") else "h11 + asyncio"
    print("# Python HTTP benchmark: hello app with and without the middleware (cache hit)\n")
    print(
        f"python {sys.version.split()[0]}; uvicorn ({stack}) for FastAPI/Starlette, gunicorn gthread for Flask; "
        f"one worker each; autocannon {CONNECTIONS} connections, {SECONDS} s per measurement, {ROUNDS} rounds; "
        f"{ALG} assertion on every request"
    )
    print(f"load average at start: {load_average()}\n")
    with jwks_server(jwk) as jwks_url:
        env = {
            **os.environ,
            "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
            "TRUSTED_PROXY_JWKS_URL": jwks_url,
            "TRUSTED_PROXY_ISSUER": ISSUER,
            "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
            "TRUSTED_PROXY_ALGORITHMS": ALG,
        }
        results: dict[str, dict[bool, list[Measurement]]] = {f: {False: [], True: []} for f in FRAMEWORKS}
        # Both servers of a framework are started afresh each round (which starts first alternates) and stopped
        # after it: a server process keeps its luck (how fast it runs) for its whole life, so servers kept for
        # every round would charge one process's luck to the same side of every ratio.
        for round_index in range(ROUNDS):
            for framework in FRAMEWORKS:
                with serving([framework], env, bare_first=round_index % 2 == 0) as pairs:
                    bare, auth = pairs[framework]
                    order = (bare, auth) if round_index % 2 == 0 else (auth, bare)
                    for server in order:
                        check_answers(server, token)
                        if not SMOKE:
                            measure(server, token, seconds=1)  # warm-up, not counted
                    for server in order:
                        results[framework][server.with_auth].append(measure(server, token))
    print(
        "| framework | bare app | with our middleware | ratio of requests/s | "
        "server CPU per request, bare / with middleware | CPU ratio |"
    )
    print("|---|---|---|---|---|---|")
    for framework, runs in results.items():
        bare_runs, auth_runs = runs[False], runs[True]
        measured_pairs = zip(bare_runs, auth_runs, strict=True)
        ratios = [
            auth.requests_per_second / bare.requests_per_second if bare.requests_per_second > 0 else 0.0
            for bare, auth in measured_pairs
        ]
        rates, cpu = medians(bare_runs, auth_runs)
        rounds = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"| {framework} | {rates} | {statistics.median(ratios) * 100:.0f} % (rounds: {rounds}) | {cpu} |")
    print(f"\nload average at end: {load_average()}")
    with jwks_server(jwk) as jwks_url:
        same_process(token, {**env, "TRUSTED_PROXY_JWKS_URL": jwks_url})


def same_process(token: str, env: dict[str, str]) -> None:
    """The second table: bare and ours in one server process, alternating windows (see the module docstring)."""
    print("\n### The same comparison inside one server process\n")
    print(
        f"{PAIR_PROCESSES} fresh server process(es) per framework, each serving the bare app (/bare) and ours (/ours); "
        f"{PAIR_WINDOWS} alternating {'short' if SMOKE else f'{PAIR_SECONDS}-s'} windows per app; the median over "
        "windows of ours ÷ the bare window next to it"
    )
    print(f"load average at start: {load_average()}\n")
    print("| framework | bare | ours | ours ÷ bare | per process | server CPU per request, bare / ours | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for framework in FRAMEWORKS:
        bare_runs: list[Measurement] = []
        ours_runs: list[Measurement] = []
        ratios: list[float] = []
        per_process: list[float] = []
        for _ in range(PAIR_PROCESSES):
            server = start(framework, True, env, factory=f"{framework}_pair", path="ours")
            try:
                wait_until_serving(server)
                base = server.url.removesuffix("ours")
                bare, ours = Server(framework, False, f"{base}bare", server.process), server
                for each in (bare, ours):
                    check_answers(each, token)
                    if not SMOKE:
                        measure(server, token, seconds=1, url=each.url)  # warm-up, not counted
                process_ratios = []
                for window in range(PAIR_WINDOWS):
                    order = (bare, ours) if window % 2 == 0 else (ours, bare)
                    runs = {
                        each.with_auth: measure(server, token, seconds=PAIR_SECONDS, url=each.url) for each in order
                    }
                    bare_runs.append(runs[False])
                    ours_runs.append(runs[True])
                    process_ratios.append(runs[True].requests_per_second / max(runs[False].requests_per_second, 1e-9))
            finally:
                stop(server)
            ratios += process_ratios
            per_process.append(statistics.median(process_ratios))
        rates, cpu = medians(bare_runs, ours_runs)
        each = ", ".join(f"{r:.2f}" for r in per_process)
        print(f"| {framework} | {rates} | **{statistics.median(ratios) * 100:.0f} %** | {each} | {cpu} |")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
