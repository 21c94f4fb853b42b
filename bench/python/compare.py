"""Python: ours (`TrustedProxyAuth.verify_assertion`) against raw PyJWT `jwt.decode` with a loaded key, distinct
and repeated assertions, interleaved rounds, ratios to raw PyJWT measured in the same run. Prints markdown.

Run from packages/python: python3 scripts/dev_env.py run python ../../bench/python/compare.py
Knobs: BENCH_ROUNDS, BENCH_TOKENS; BENCH_SMOKE=1 runs a tiny pass that only proves it works."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from trusted_proxy_auth import TrustedProxyAuth, load_config

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if SMOKE else "5"))
TOKENS = int(os.environ.get("BENCH_TOKENS", "8" if SMOKE else "300"))
ISSUER = "https://bench.example"
AUDIENCE = "bench"


def private_key(alg: str) -> Any:
    if alg.startswith("RS"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def contenders(alg: str, jwk: dict[str, Any], cache_size: int) -> dict[str, Callable[[], Callable[[str], Any]]]:
    public = jwt.PyJWK(jwk, algorithm=alg).key
    body = json.dumps({"keys": [jwk]}).encode()

    def raw() -> Callable[[str], Any]:
        return lambda token: jwt.decode(token, public, algorithms=[alg], issuer=ISSUER, audience=AUDIENCE)

    def ours(size: int) -> Callable[[], Callable[[str], Any]]:
        def fresh() -> Callable[[str], Any]:
            auth = TrustedProxyAuth(
                load_config(
                    {
                        "TRUSTED_PROXY_ASSERTION_HEADER": "X-Bench",
                        "TRUSTED_PROXY_JWKS_URL": "https://keys.bench/jwks.json",
                        "TRUSTED_PROXY_ISSUER": ISSUER,
                        "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
                        "TRUSTED_PROXY_CACHE_SIZE": str(size),
                    }
                ),
                transport=httpx.MockTransport(lambda _request: httpx.Response(200, content=body)),
            )
            auth.ready()
            return auth.verify_assertion

        return fresh

    return {"raw PyJWT jwt.decode (loaded key)": raw, "ours verify_assertion": ours(cache_size), "ours, cache off": ours(0)}


def rate(verify: Callable[[str], Any], tokens: list[str], repeated: bool) -> float:
    started = time.perf_counter()
    for token in tokens:
        verify(tokens[0] if repeated else token)
    return len(tokens) / (time.perf_counter() - started)


def main() -> None:
    print("# Python verifier benchmark\n")
    print(f"python {sys.version.split()[0]}, {ROUNDS} interleaved rounds of {TOKENS} verifications, median")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    for alg in ("RS256", "ES256", "EdDSA"):
        key = private_key(alg)
        algorithm = get_default_algorithms()[alg]
        jwk = {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": f"{alg}-1", "alg": alg, "use": "sig"}
        now = int(time.time())
        tokens = [
            jwt.encode(
                {"sub": f"user-{i}", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 7200},
                key,
                algorithm=alg,
                headers={"kid": jwk["kid"]},
            )
            for i in range(TOKENS)
        ]
        for repeated in (False, True):
            candidates = contenders(alg, jwk, 10_000)
            rates: dict[str, list[float]] = {name: [] for name in candidates}
            for _ in range(ROUNDS):
                for name, fresh in candidates.items():
                    verify = fresh()
                    verify(tokens[0])
                    rates[name].append(rate(verify, tokens, repeated))
            floor = statistics.median(rates["raw PyJWT jwt.decode (loaded key)"])
            print(f"## {alg}, {'repeated assertion' if repeated else 'distinct assertions'} (raw PyJWT: {floor:.0f}/s)\n")
            print("| contender | ratio to raw PyJWT |\n|---|---|")
            for name, values in rates.items():
                print(f"| {name} | {statistics.median(values) / floor:.2f}× |")
            print()
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
