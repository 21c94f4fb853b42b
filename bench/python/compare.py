"""Python verifier benchmark: ours against raw PyJWT and PyJWKClient, distinct and repeated assertions, RS256,
ES256 and EdDSA. Prints markdown.

Contenders (each verifies the same assertions: signature, exp, iss and aud):
- raw PyJWT: `jwt.decode` with a key object loaded once, the floor every ratio is relative to;
- PyJWKClient: `get_signing_key_from_jwt` (its key cache on) then `jwt.decode`, keys from a loopback JWKS server;
- ours `verify_assertion` (cache on, the default), ours `verify_request` (header extraction too), and ours with
  the cache off (`TRUSTED_PROXY_CACHE_SIZE=0`), keys from the same loopback JWKS server.

Method: one process, per algorithm; rounds are interleaved (every contender once per round, then the next
round). A contender runs timed passes over the set until BENCH_MIN_SECONDS of them have elapsed, each pass on a
fresh instance that first verified one untimed assertion (keys loaded). "distinct": every assertion of the set
once per pass (never a cache hit); "repeated": the same assertion again and again, its first two verifications
(the cache misses: it is taken in at its second success) being the untimed ones (proxies such as Cloudflare
Access resend one all session).
Distinct cells alternate the contenders in blocks of BENCH_BLOCK assertions (every contender's fresh instance
verifies each block in turn, the order turning from block to block, its time summed over its blocks), so that a
contender and the floor are timed within milliseconds of each other: the host's speed drifts within seconds, and
contiguous passes of one code scattered by up to 0.15 between runs. Each cell: the median over the rounds of
verifications per CPU second of this process (`time.process_time`: on a shared machine it hardly depends on how
much CPU the neighbours leave, unlike wall-clock time), as a ratio to raw PyJWT's median (distinct: its rate in
the same round) in the same run. Load averages are printed.

Run from packages/python: python3 scripts/dev_env.py run python ../../bench/python/compare.py
Knobs: BENCH_ROUNDS (5), BENCH_TOKENS (400), BENCH_MIN_SECONDS (0.2), BENCH_BLOCK (20), BENCH_ALGS
(RS256,ES256,EdDSA);
BENCH_SMOKE=1 runs a tiny pass that only proves the script works (its figures mean nothing)."""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from _bench_keys import jwks_server, private_key, public_jwk

from trusted_proxy_auth import TrustedProxyAuth, load_config

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if SMOKE else "5"))
TOKENS = int(os.environ.get("BENCH_TOKENS", "8" if SMOKE else "400"))
MIN_SECONDS = float(os.environ.get("BENCH_MIN_SECONDS", "0" if SMOKE else "0.2"))
BLOCK = int(os.environ.get("BENCH_BLOCK", "20"))
if BLOCK < 1:
    raise SystemExit(f"BENCH_BLOCK must be at least 1 (got {BLOCK})")
ALGS = os.environ.get("BENCH_ALGS", "RS256,ES256,EdDSA").split(",")
ISSUER = "https://bench.example"
AUDIENCE = "bench"
HEADER = "X-Bench-Assertion"
FLOOR = "raw PyJWT jwt.decode (loaded key)"
TIMES = "\u00d7"

Verify = Callable[[str], Any]


@dataclass(frozen=True)
class Instance:
    verify: Verify
    close: Callable[[], None] = lambda: None


def contenders(alg: str, public_key: Any, jwks_url: str) -> dict[str, Callable[[], Instance]]:
    """Name -> a factory of fresh instances (an empty cache, keys loaded anew)."""

    def raw() -> Instance:
        return Instance(lambda token: jwt.decode(token, public_key, algorithms=[alg], issuer=ISSUER, audience=AUDIENCE))

    def jwk_client() -> Instance:
        client = jwt.PyJWKClient(jwks_url, cache_keys=True)

        def verify(token: str) -> Any:
            key = client.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=[alg], issuer=ISSUER, audience=AUDIENCE)

        return Instance(verify)

    def ours(cache_size: int) -> TrustedProxyAuth:
        auth = TrustedProxyAuth(
            load_config(
                {
                    "TRUSTED_PROXY_ASSERTION_HEADER": HEADER,
                    "TRUSTED_PROXY_JWKS_URL": jwks_url,
                    "TRUSTED_PROXY_ISSUER": ISSUER,
                    "TRUSTED_PROXY_AUDIENCE": AUDIENCE,
                    "TRUSTED_PROXY_ALGORITHMS": alg,
                    "TRUSTED_PROXY_CACHE_SIZE": str(cache_size),
                }
            )
        )
        auth.ready()
        return auth

    def ours_assertion(cache_size: int) -> Callable[[], Instance]:
        def fresh() -> Instance:
            auth = ours(cache_size)
            return Instance(auth.verify_assertion, auth.close)

        return fresh

    def ours_request() -> Instance:
        auth = ours(10_000)
        name = HEADER.lower().encode()
        return Instance(lambda token: auth.verify_request([(name, token.encode("ascii"))], "127.0.0.1"), auth.close)

    return {
        FLOOR: raw,
        "PyJWKClient + jwt.decode (loopback JWKS)": jwk_client,
        "ours verify_assertion": ours_assertion(10_000),
        "ours verify_request": ours_request,
        "ours verify_assertion, cache off": ours_assertion(0),
    }


def rate(fresh: Callable[[], Instance], tokens: list[str], warm_up: str) -> float:
    """Verifications per CPU second over timed passes through `tokens`, at least MIN_SECONDS of them in all. Each pass
    gets a fresh instance that verified `warm_up` twice first (outside the timing): keys loaded, and for distinct
    assertions nothing of the pass cached before it."""
    count = 0
    elapsed = 0.0
    while count == 0 or elapsed < MIN_SECONDS:
        instance = fresh()
        try:
            # Twice: the cache takes an assertion in at its second success, so a repeated assertion's first two
            # verifications are the misses of a session, left out like the key load.
            instance.verify(warm_up)
            instance.verify(warm_up)
            # The instances of earlier passes are garbage now; collecting it here keeps that collection (an
            # artifact of the fresh instances) out of the timing. Collections the pass itself causes still count.
            gc.collect()
            started = time.process_time()
            for token in tokens:
                instance.verify(token)
            elapsed += time.process_time() - started
        finally:
            instance.close()
        count += len(tokens)
    return count / elapsed


def rates_in_blocks(candidates: dict[str, Callable[[], Instance]], tokens: list[str], warm_up: str) -> dict[str, float]:
    """Verifications per CPU second of every contender over distinct `tokens`, the contenders alternating block by
    block (BENCH_BLOCK assertions each, the order turning each block), each contender's time summed over its blocks.
    Passes (fresh instances each, so nothing of a pass is cached before it) repeat until every contender has
    BENCH_MIN_SECONDS of timed verifications."""
    names = list(candidates)
    spent = dict.fromkeys(names, 0.0)
    counted = dict.fromkeys(names, 0)
    while min(counted.values()) == 0 or min(spent.values()) < MIN_SECONDS:
        instances = {name: candidates[name]() for name in names}
        try:
            for instance in instances.values():
                instance.verify(warm_up)
                instance.verify(warm_up)
            gc.collect()
            for block, start in enumerate(range(0, len(tokens), BLOCK)):
                chunk = tokens[start : start + BLOCK]
                turn = block % len(names)
                order = names[turn:] + names[:turn]
                for name in reversed(order) if block % 2 else order:
                    verify = instances[name].verify
                    started = time.process_time()
                    for token in chunk:
                        verify(token)
                    spent[name] += time.process_time() - started
                    counted[name] += len(chunk)
        finally:
            for instance in instances.values():
                instance.close()
    return {name: counted[name] / spent[name] for name in names}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(alg: str) -> tuple[dict[str, dict[str, float]], float]:
    """Contender -> {"distinct": median ratio to the floor in the same blocks, "repeated": median verifications/s},
    and the floor's median distinct verifications/s."""
    key = private_key(alg)
    jwk = public_jwk(key, alg)
    now = int(time.time())

    def sign(subject: str) -> str:
        claims = {"sub": subject, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 7200}
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": jwk["kid"]})

    warm_up = sign("warm-up")
    distinct = [sign(f"user-{index}") for index in range(TOKENS)]
    # As long a list as the distinct one, so that both runs loop alike.
    repeated = [distinct[0]] * TOKENS
    with jwks_server(jwk) as url:
        candidates = contenders(alg, jwt.PyJWK(jwk, algorithm=alg).key, url)
        rates: dict[str, dict[str, list[float]]] = {name: {"distinct": [], "repeated": []} for name in candidates}
        floor_distinct: list[float] = []
        for _ in range(ROUNDS):
            # Distinct: per round, each contender's rate as a ratio to the floor's in the same blocks.
            block_rates = rates_in_blocks(candidates, distinct, warm_up)
            floor_distinct.append(block_rates[FLOOR])
            for name in candidates:
                rates[name]["distinct"].append(block_rates[name] / block_rates[FLOOR])
            # Repeated: the steady state of a session, every timed verification after the first one's.
            for name, fresh in candidates.items():
                rates[name]["repeated"].append(rate(fresh, repeated, repeated[0]))
    medians = {
        name: {kind: statistics.median(values) for kind, values in kinds.items()} for name, kinds in rates.items()
    }
    return medians, statistics.median(floor_distinct)


def main() -> None:
    print("# Python verifier benchmark\n")
    print(
        f"python {sys.version.split()[0]}, PyJWT {jwt.__version__}, {ROUNDS} interleaved rounds, "
        f"{TOKENS} assertions per pass, passes for at least {MIN_SECONDS} CPU s, distinct assertions in blocks of "
        f"{BLOCK} alternating the contenders; median verifications per CPU second as a ratio to raw PyJWT in the "
        "same run (distinct: in the same round)"
    )
    print(f"load average at start: {load_average()}\n")
    for alg in ALGS:
        medians, floor_distinct = measure(alg)
        floor = medians[FLOOR]
        print(f"## {alg} (raw PyJWT: {floor_distinct:.0f}/s distinct, {floor['repeated']:.0f}/s repeated)\n")
        print("| contender | distinct | repeated |\n|---|---|---|")
        for name, kinds in medians.items():
            distinct, repeated = kinds["distinct"], kinds["repeated"] / floor["repeated"]
            print(f"| {name} | {distinct:.2f}{TIMES} | {repeated:.2f}{TIMES} |")
        print(f"\nload average after {alg}: {load_average()}\n")


if __name__ == "__main__":
    main()
