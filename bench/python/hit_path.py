"""In-process CPU time of the ASGI middleware's cache hit: each app called directly with a prepared HTTP scope.

No server and no socket: a loop (uvloop when installed, as under uvicorn) awaits the ASGI app with a copy of one
scope (the headers uvicorn would pass, the same valid assertion every time) and no-op receive/send, and the
process's CPU time (time.process_time) is divided by the calls. Contenders, each bare and with
`TrustedProxyAuthMiddleware`: a no-op ASGI app (the middleware alone), Starlette's and FastAPI's hello apps
(bench/python/http_apps.py). Rounds are interleaved (bare and with the middleware back to back, alternating
which goes first); a cell is the median over rounds. The cache's hit count is checked to have grown by every
timed call, so the timed path is the hit.

This is the part of bench/python/http_throughput.py's CPU column that is ours, without the server's and
the kernel's share, and far steadier on a shared machine.

Run from packages/python:
    python3 scripts/dev_env.py run python ../../bench/python/hit_path.py
Knobs: BENCH_HIT_ROUNDS (7), BENCH_HIT_CALLS (20000 per measurement), BENCH_HIT_APPS (asgi,starlette,fastapi),
BENCH_HIT_JSON=1 prints one JSON object instead of the table; BENCH_SMOKE=1 makes a tiny pass."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_keys import jwks_server, private_key, public_jwk

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("BENCH_HIT_ROUNDS", "1" if SMOKE else "7"))
CALLS = int(os.environ.get("BENCH_HIT_CALLS", "200" if SMOKE else "20000"))
APPS = os.environ.get("BENCH_HIT_APPS", "asgi,starlette,fastapi").split(",")
AS_JSON = os.environ.get("BENCH_HIT_JSON") == "1"
HEADER = "X-Bench-Assertion"
ISSUER = "https://bench.example"
AUDIENCE = "bench"
ALG = "ES256"

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


async def noop_app(scope: Scope, receive: Any, send: Any) -> None:
    return None


def build(name: str, with_auth: bool) -> App:
    import http_apps

    from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware

    if name == "asgi":
        return TrustedProxyAuthMiddleware(noop_app) if with_auth else noop_app
    app: App = getattr(http_apps, f"{name}_app")(with_auth=with_auth)
    return app


def scope_template(token: str) -> Scope:
    """What uvicorn (httptools) passes for autocannon's request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 51234),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"x-bench-assertion", token.encode("latin-1")),
            (b"user-agent", b"autocannon"),
        ],
    }


async def call(app: App, template: Scope, calls: int) -> float:
    """CPU seconds per call."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    started = time.process_time()
    for _ in range(calls):
        scope = template.copy()
        scope["state"] = {}
        await app(scope, receive, send)
    return (time.process_time() - started) / calls


def new_loop() -> asyncio.AbstractEventLoop:
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def main() -> None:
    key = private_key(ALG)
    jwk = public_jwk(key, ALG)
    now = int(time.time())
    token = jwt.encode(
        {"sub": "bench-user", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 7200},
        key,
        algorithm=ALG,
        headers={"kid": jwk["kid"]},
    )
    template = scope_template(token)
    with jwks_server(jwk) as jwks_url:
        os.environ.update(
            {
                "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
                "TRUSTED_PROXY_JWKS_URL": jwks_url,
                "TRUSTED_PROXY_ISSUER": ISSUER,
                "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
                "TRUSTED_PROXY_ALGORITHMS": ALG,
            }
        )
        from trusted_proxy_auth import TrustedProxyAuth

        verifier = TrustedProxyAuth.shared()
        loop = new_loop()
        apps = {name: (build(name, False), build(name, True)) for name in APPS}
        # Untimed: the middleware stacks are built, the keys loaded, the assertion admitted into the cache.
        for bare, auth in apps.values():
            loop.run_until_complete(call(bare, template, 3))
            loop.run_until_complete(call(auth, template, 3))
        results: dict[str, dict[str, list[float]]] = {name: {"bare": [], "auth": []} for name in APPS}
        for round_index in range(ROUNDS):
            for name, (bare, auth) in apps.items():
                order = [("bare", bare), ("auth", auth)]
                if round_index % 2:
                    order.reverse()
                for label, app in order:
                    hits_before = verifier.cache_counts().hits
                    gc.collect()
                    results[name][label].append(loop.run_until_complete(call(app, template, CALLS)))
                    if label == "auth" and verifier.cache_counts().hits - hits_before != CALLS:
                        raise RuntimeError(f"{name}: not every timed call was a cache hit")
        loop.close()
    summary = {
        name: {
            "bare_us": statistics.median(runs["bare"]) * 1e6,
            "auth_us": statistics.median(runs["auth"]) * 1e6,
            "added_us": statistics.median(a - b for a, b in zip(runs["auth"], runs["bare"], strict=True)) * 1e6,
        }
        for name, runs in results.items()
    }
    if AS_JSON:
        print(json.dumps(summary))
        return
    print(f"# In-process cache hit: CPU per call, median of {ROUNDS} rounds of {CALLS} calls\n")
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}\n")
    print("| app | bare | with middleware | added by the middleware | bare / with |")
    print("|---|---|---|---|---|")
    for name, cell in summary.items():
        print(
            f"| {name} | {cell['bare_us']:.2f} µs | {cell['auth_us']:.2f} µs | {cell['added_us']:.2f} µs | "
            f"{cell['bare_us'] / cell['auth_us'] * 100:.0f} % |"
        )


if __name__ == "__main__":
    main()
