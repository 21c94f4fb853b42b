"""Key sources of the presets: one PEM per kid (aws-alb), OpenID discovery over a real loopback server
(oauth2-proxy), and the kid-less refetch (teleport). Timing runs on a manual clock."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers import (
    JwksResponse,
    ManualScheduler,
    MockJwks,
    RoutedMock,
    SigningKey,
    loopback_jwks_server,
    make_key,
    public_pem,
    sign_padded,
)

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth._key_sources.kid_template_keys import KidTemplateKeys, _Flight

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac"
ALB_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01"
CLIENT = "client-id"
KEY_HOST = "https://keys.alb.test/keys"
NOW = 1_767_225_660
KID_A = "abb8289f-e3a4-4a34-9472-c2105e2b2482"
KID_B = "6c2b7f0e-1d4a-4e8b-9c3f-5a7d9e1b3c5f"
ALB_KEY_A = make_key("ES256", KID_A)
ALB_KEY_B = make_key("ES256", KID_B)


def outcome(auth: TrustedProxyAuth, token: str) -> str:
    try:
        auth.verify_assertion(token, now=NOW)
    except TrustedProxyAuthError as error:
        return error.code
    return "ok"


def kid_url(kid: str) -> str:
    return f"{KEY_HOST}/{kid}"


def pem_answer(key: SigningKey, **headers: str) -> JwksResponse:
    return JwksResponse(body=public_pem(key), content_type="application/x-pem-file", headers=headers)


def alb_token(key: SigningKey, kid: str | None = None, **payload: Any) -> str:
    header = {
        "typ": "JWT",
        "kid": kid or key.kid,
        "alg": "ES256",
        "iss": ALB_ISSUER,
        "client": CLIENT,
        "signer": ARN,
        "exp": NOW + 120,
    }
    return sign_padded(key, header, {"sub": "user-1", "email": "a@example.com", **payload})


def alb_verifier(mock: RoutedMock, **env: str) -> tuple[TrustedProxyAuth, ManualScheduler, list[dict[str, Any]]]:
    manual = ManualScheduler()
    events: list[dict[str, Any]] = []
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": ALB_ISSUER,
            "TRUSTED_PROXY_AUDIENCE": CLIENT,
            "TRUSTED_PROXY_JWKS_URL": KEY_HOST + "/{kid}",
            # These tests count key fetches per request: a verified-assertion cache hit would skip the key lookup.
            "TRUSTED_PROXY_CACHE_SIZE": "0",
            **env,
        }
    )
    auth = TrustedProxyAuth(
        config,
        transport=mock.transport,
        async_transport=mock.async_transport,
        clock=manual,
        scheduler=manual,
        on_event=events.append,
    )
    return auth, manual, events


# -- one PEM per kid ------------------------------------------------------------------------------------


def test_per_kid_keys_are_ready_at_once_and_each_kid_is_fetched_once() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A), kid_url(KID_B): pem_answer(ALB_KEY_B)})
    auth, _, _ = alb_verifier(mock)
    auth.ready()
    assert asyncio.run(auth.aready()) is None
    assert auth.status().to_dict()["state"] == "ready"
    assert auth.status().key_count == 0
    assert mock.requests == []
    assert [outcome(auth, alb_token(ALB_KEY_A)) for _ in range(3)] == ["ok"] * 3
    assert outcome(auth, alb_token(ALB_KEY_B)) == "ok"
    assert asyncio.run(auth.averify_assertion(alb_token(ALB_KEY_B), now=NOW)).subject == "user-1"
    assert mock.requests == [kid_url(KID_A), kid_url(KID_B)]
    status = auth.status()
    assert (status.state, status.key_count, status.fetch_count) == ("ready", 2, 2)


@pytest.mark.parametrize("kid", ["not-a-uuid", "../" + KID_A, "{" + KID_A + "}", KID_A + "x", None])
def test_a_kid_that_is_not_a_uuid_is_never_fetched(kid: str | None) -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A)})
    auth, _, _ = alb_verifier(mock)
    header = {"typ": "JWT", "alg": "ES256", "iss": ALB_ISSUER, "client": CLIENT, "signer": ARN, "exp": NOW + 60}
    if kid is not None:
        header["kid"] = kid
    assert outcome(auth, sign_padded(ALB_KEY_A, header, {"sub": "u"})) == "unknown_key"
    assert mock.requests == []


def test_an_uppercase_uuid_is_fetched_as_received() -> None:
    upper = KID_A.upper()
    mock = RoutedMock({kid_url(upper): pem_answer(ALB_KEY_A)})
    auth, _, _ = alb_verifier(mock)
    assert outcome(auth, alb_token(ALB_KEY_A, kid=upper)) == "ok"
    assert mock.requests == [kid_url(upper)]


def test_concurrent_requests_for_one_kid_share_one_fetch_across_threads_and_coroutines() -> None:
    release = threading.Event()
    requests: list[str] = []

    def slow(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        release.wait(5)
        return httpx.Response(200, content=public_pem(ALB_KEY_A).encode())

    async def aslow(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        await asyncio.to_thread(release.wait, 5)
        return httpx.Response(200, content=public_pem(ALB_KEY_A).encode())

    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "aws-alb",
            "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
            "TRUSTED_PROXY_ISSUER": ALB_ISSUER,
            "TRUSTED_PROXY_AUDIENCE": CLIENT,
            "TRUSTED_PROXY_JWKS_URL": KEY_HOST + "/{kid}",
            # Waiters give up after the request timeout: the longest there is, so slow threads on a busy
            # machine cannot turn one shared fetch into a timeout.
            "TRUSTED_PROXY_JWKS_TIMEOUT": "60",
        }
    )
    auth = TrustedProxyAuth(config, transport=httpx.MockTransport(slow), async_transport=httpx.MockTransport(aslow))
    token = alb_token(ALB_KEY_A)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(outcome(auth, token))) for _ in range(4)]
    for thread in threads:
        thread.start()

    async def together() -> list[str]:
        async def one() -> str:
            return (await auth.averify_assertion(token, now=NOW)).subject

        waiting = asyncio.gather(*(one() for _ in range(4)))
        await asyncio.sleep(0.2)
        release.set()
        return list(await waiting)

    subjects = asyncio.run(together())
    for thread in threads:
        thread.join(180)  # a watchdog against a hang, not a limit on speed
    assert results == ["ok"] * 4
    assert subjects == ["user-1"] * 4
    assert requests == [kid_url(KID_A)]


def test_a_key_is_refetched_past_freshness_with_max_age_between_cooldown_and_ttl() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A, **{"cache-control": "public, max-age=120"})})
    auth, manual, _ = alb_verifier(mock, TRUSTED_PROXY_JWKS_CACHE_TTL="600", TRUSTED_PROXY_JWKS_COOLDOWN="30")
    token = alb_token(ALB_KEY_A)
    assert outcome(auth, token) == "ok"
    manual.advance(119)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 1
    manual.advance(1)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 2
    # max-age below the cooldown counts as the cooldown.
    mock.routes[kid_url(KID_A)] = pem_answer(ALB_KEY_A, **{"cache-control": "max-age=5"})
    manual.advance(120)
    assert outcome(auth, token) == "ok"
    manual.advance(29)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 3
    manual.advance(1)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 4


def test_a_stale_key_is_served_while_refetches_fail_once_per_cooldown_until_max_stale() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A)})
    auth, manual, events = alb_verifier(
        mock,
        TRUSTED_PROXY_JWKS_CACHE_TTL="100",
        TRUSTED_PROXY_JWKS_COOLDOWN="30",
        TRUSTED_PROXY_JWKS_MAX_STALE="200",
    )
    token = alb_token(ALB_KEY_A)
    assert outcome(auth, token) == "ok"
    mock.routes[kid_url(KID_A)] = JwksResponse(status=500, body="down")
    manual.advance(100)
    assert outcome(auth, token) == "ok"  # refetch failed, stale served
    assert outcome(auth, token) == "ok"  # within the cooldown: no new fetch
    assert mock.count(kid_url(KID_A)) == 2
    assert {"type": "jwks_stale_served", "age_seconds": 0} in events
    manual.advance(30)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 3
    manual.advance(170)  # 300 s: past freshness (100) + max stale (200)
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(token, now=NOW)
    assert raised.value.code == "jwks_unavailable"
    assert raised.value.retry_after == 30
    assert auth.status().last_error == "HTTP status 500"


def test_a_failed_uncached_kid_is_unavailable_for_the_cooldown_without_another_fetch() -> None:
    mock = RoutedMock({kid_url(KID_A): JwksResponse(status=500, body="")})
    auth, manual, _ = alb_verifier(mock, TRUSTED_PROXY_JWKS_COOLDOWN="30")
    token = alb_token(ALB_KEY_A)
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(token, now=NOW)
    assert (raised.value.code, raised.value.status, raised.value.retry_after) == ("jwks_unavailable", 503, 30)
    manual.advance(10)
    with pytest.raises(TrustedProxyAuthError) as again:
        asyncio.run(auth.averify_assertion(token, now=NOW))
    assert (again.value.code, again.value.retry_after) == ("jwks_unavailable", 20)
    assert mock.count(kid_url(KID_A)) == 1
    mock.routes[kid_url(KID_A)] = pem_answer(ALB_KEY_A)
    manual.advance(20)
    assert outcome(auth, token) == "ok"
    assert mock.count(kid_url(KID_A)) == 2


@pytest.mark.parametrize("status", [404, 403])
def test_not_found_answers_unknown_key_remembered_for_the_cooldown(status: int) -> None:
    mock = RoutedMock({kid_url(KID_A): JwksResponse(status=status, body="")})
    auth, manual, _ = alb_verifier(mock, TRUSTED_PROXY_JWKS_COOLDOWN="30")
    token = alb_token(ALB_KEY_A)
    assert [outcome(auth, token) for _ in range(3)] == ["unknown_key"] * 3
    assert mock.count(kid_url(KID_A)) == 1
    mock.routes[kid_url(KID_A)] = pem_answer(ALB_KEY_A)
    manual.advance(30)
    assert outcome(auth, token) == "ok"


def test_a_withdrawn_key_is_not_served_stale() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A)})
    auth, manual, _ = alb_verifier(mock, TRUSTED_PROXY_JWKS_CACHE_TTL="100")
    token = alb_token(ALB_KEY_A)
    assert outcome(auth, token) == "ok"
    mock.routes[kid_url(KID_A)] = JwksResponse(status=404, body="")
    manual.advance(100)
    assert outcome(auth, token) == "unknown_key"
    assert auth.status().key_count == 0


def test_at_most_two_uncached_kids_are_fetched_per_cooldown_while_cached_kids_keep_working() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A)})
    auth, manual, events = alb_verifier(mock, TRUSTED_PROXY_JWKS_COOLDOWN="30")
    assert outcome(auth, alb_token(ALB_KEY_A)) == "ok"
    random_kids = [f"00000000-0000-4000-8000-{index:012d}" for index in range(5)]
    assert [outcome(auth, alb_token(ALB_KEY_A, kid=kid)) for kid in random_kids] == ["unknown_key"] * 5
    assert len(mock.requests) == 2  # KID_A and the first random kid
    assert {"type": "unknown_kid", "kid": random_kids[1], "refetched": False} in events
    assert outcome(auth, alb_token(ALB_KEY_A)) == "ok"
    manual.advance(30)
    assert outcome(auth, alb_token(ALB_KEY_A, kid=random_kids[4])) == "unknown_key"
    assert len(mock.requests) == 3


def test_at_most_64_kids_are_cached_and_the_least_recently_used_is_evicted() -> None:
    keys = [make_key("ES256", f"00000000-0000-4000-8000-{index:012d}") for index in range(65)]
    mock = RoutedMock({kid_url(key.kid or ""): pem_answer(key) for key in keys})
    auth, manual, _ = alb_verifier(mock, TRUSTED_PROXY_JWKS_COOLDOWN="0")
    for key in keys[:64]:
        assert outcome(auth, alb_token(key)) == "ok"
        manual.advance(0.001)
    assert outcome(auth, alb_token(keys[0])) == "ok"  # keys[0] is now the most recently used
    assert outcome(auth, alb_token(keys[64])) == "ok"  # evicts keys[1]
    assert auth.status().key_count == 64
    assert outcome(auth, alb_token(keys[0])) == "ok"
    assert mock.count(kid_url(keys[0].kid or "")) == 1
    assert outcome(auth, alb_token(keys[1])) == "ok"
    assert mock.count(kid_url(keys[1].kid or "")) == 2


def test_a_key_host_that_never_answers_times_out_and_redirects_are_not_followed() -> None:
    with loopback_jwks_server() as (base, routes):
        routes["/keys/" + KID_B] = JwksResponse(status=302, body="", headers={"location": f"/keys/{KID_A}"})
        routes["/keys/" + KID_A] = pem_answer(ALB_KEY_A)
        config = load_config(
            {
                "TRUSTED_PROXY_PRESET": "aws-alb",
                "TRUSTED_PROXY_AWS_ALB_ARN": ARN,
                "TRUSTED_PROXY_ISSUER": ALB_ISSUER,
                "TRUSTED_PROXY_AUDIENCE": CLIENT,
                "TRUSTED_PROXY_JWKS_URL": base + "/keys/{kid}",
            }
        )
        auth = TrustedProxyAuth(config)
        assert outcome(auth, alb_token(ALB_KEY_A, kid=KID_B)) == "jwks_unavailable"
        assert outcome(auth, alb_token(ALB_KEY_A)) == "ok"

    attempts: list[str] = []

    def hang(request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url))
        raise httpx.ReadTimeout("no answer", request=request)

    auth = TrustedProxyAuth(config, transport=httpx.MockTransport(hang))
    assert outcome(auth, alb_token(ALB_KEY_A)) == "jwks_unavailable"
    # One attempt, then the answer: the request never waits for a retry (counted, not timed).
    assert len(attempts) == 1
    assert auth.status().last_error == "timed out after 5 s"


# -- OpenID discovery -----------------------------------------------------------------------------------

RSA_KEY = make_key("RS256", "idp-key")


@pytest.fixture
def idp() -> Iterator[tuple[str, dict[str, JwksResponse]]]:
    with loopback_jwks_server() as (base, routes):
        issuer = base + "/realms/corp"
        routes["/realms/corp/.well-known/openid-configuration"] = JwksResponse(
            body=json.dumps({"issuer": issuer, "jwks_uri": base + "/realms/corp/certs"})
        )
        routes["/realms/corp/certs"] = JwksResponse.of(RSA_KEY.public_jwk)
        yield issuer, routes


def discovery_verifier(issuer: str, **env: str) -> tuple[TrustedProxyAuth, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    config = load_config(
        {
            "TRUSTED_PROXY_PRESET": "oauth2-proxy",
            "TRUSTED_PROXY_ISSUER": issuer,
            "TRUSTED_PROXY_AUDIENCE": "oauth2-proxy",
            **env,
        }
    )
    return TrustedProxyAuth(config, scheduler=ManualScheduler(), on_event=events.append), events


def id_token(issuer: str, key: SigningKey = RSA_KEY) -> str:
    return key.sign({"iss": issuer, "aud": "oauth2-proxy", "sub": "alice", "iat": NOW - 10, "exp": NOW + 300})


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_discovery_finds_the_key_set_over_loopback_and_counts_both_requests(
    idp: tuple[str, dict[str, JwksResponse]], mode: str
) -> None:
    issuer, _ = idp
    auth, events = discovery_verifier(issuer)
    if mode == "sync":
        auth.ready()
        identity = auth.verify_request([("Authorization", f"Bearer {id_token(issuer)}")], now=NOW)
    else:
        asyncio.run(auth.aready())
        identity = asyncio.run(auth.averify_request([("Authorization", f"Bearer {id_token(issuer)}")], now=NOW))
    assert identity is not None
    assert identity.subject == "alice"
    status = auth.status()
    assert (status.state, status.key_count, status.fetch_count) == ("ready", 1, 2)
    fetched = [event for event in events if event["type"] == "jwks_fetch_ok"]
    assert [event["url"] for event in fetched] == [issuer + "/certs"]


def test_a_trailing_slash_on_the_issuer_is_removed_once_for_the_discovery_url(
    idp: tuple[str, dict[str, JwksResponse]],
) -> None:
    issuer, routes = idp
    routes["/realms/corp/.well-known/openid-configuration"] = JwksResponse(
        body=json.dumps({"issuer": issuer + "/", "jwks_uri": issuer + "/certs"})
    )
    auth, _ = discovery_verifier(issuer + "/")
    auth.ready()
    assert auth.verify_assertion(id_token(issuer + "/"), now=NOW).issuer == issuer + "/"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {"issuer": "https://evil.example", "jwks_uri": "{base}/realms/corp/certs"},
            'discovery issuer differs: expected "{issuer}", received "https://evil.example"',
        ),
        ({"issuer": "{issuer}", "jwks_uri": "http://keys.example/certs"}, "discovery document has no usable jwks_uri"),
        ({"issuer": "{issuer}"}, "discovery document has no usable jwks_uri"),
        (["not", "an", "object"], "discovery document is not a JSON object"),
    ],
)
def test_a_discovery_document_that_does_not_name_the_issuer_and_a_usable_key_url_is_a_failed_load(
    idp: tuple[str, dict[str, JwksResponse]], document: Any, reason: str
) -> None:
    issuer, routes = idp
    base = issuer.removesuffix("/realms/corp")
    text = json.dumps(document).replace("{base}", base).replace("{issuer}", issuer)
    routes["/realms/corp/.well-known/openid-configuration"] = JwksResponse(body=text)
    auth, events = discovery_verifier(issuer)
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.ready()
    assert raised.value.code == "jwks_unavailable"
    assert auth.status().last_error == reason.replace("{issuer}", issuer)
    assert raised.value.detail == auth.status().last_error
    assert auth.status().fetch_count == 1
    assert events[-1]["url"] == issuer + "/.well-known/openid-configuration"


def test_discovery_is_refetched_only_when_older_than_the_cache_ttl() -> None:
    with loopback_jwks_server() as (base, routes):
        issuer = base + "/idp"
        routes["/idp/.well-known/openid-configuration"] = JwksResponse(
            body=json.dumps({"issuer": issuer, "jwks_uri": base + "/idp/certs"})
        )
        routes["/idp/certs"] = JwksResponse(body=json.dumps({"keys": [RSA_KEY.public_jwk]}))
        manual = ManualScheduler()
        config = load_config(
            {
                "TRUSTED_PROXY_PRESET": "oauth2-proxy",
                "TRUSTED_PROXY_ISSUER": issuer,
                "TRUSTED_PROXY_AUDIENCE": "oauth2-proxy",
                "TRUSTED_PROXY_JWKS_CACHE_TTL": "100",
                "TRUSTED_PROXY_JWKS_COOLDOWN": "10",
            }
        )
        auth = TrustedProxyAuth(config, clock=manual, scheduler=manual, random_source=lambda: 0.5)
        auth.start()
        manual.advance(0)
        assert auth.status().fetch_count == 2
        # An unknown kid refetches the key set, not the (recent) discovery document.
        other = make_key("RS256", "rotated")
        routes["/idp/certs"] = JwksResponse(body=json.dumps({"keys": [RSA_KEY.public_jwk, other.public_jwk]}))
        manual.advance(20)
        assert auth.verify_assertion(id_token(issuer, other), now=NOW).subject == "alice"
        assert auth.status().fetch_count == 3
        # The refresh ahead of expiry (85 s after the last load) finds the document older than the TTL.
        manual.advance(100)
        assert auth.status().fetch_count == 5


def test_an_unreachable_issuer_is_jwks_unavailable() -> None:
    auth, events = discovery_verifier("http://127.0.0.1:2/realms/corp")
    with pytest.raises(TrustedProxyAuthError) as raised:
        auth.verify_assertion(id_token("http://127.0.0.1:2/realms/corp"), now=NOW)
    assert raised.value.code == "jwks_unavailable"
    assert events[0]["type"] == "jwks_fetch_failed"


# -- kid-less refetch (teleport) ------------------------------------------------------------------------

TELEPORT_OLD = make_key("RS256", None)
TELEPORT_NEW = make_key("RS256", None)


def teleport_verifier(mock: MockJwks, *, preset: bool = True) -> tuple[TrustedProxyAuth, ManualScheduler]:
    manual = ManualScheduler()
    env = {
        "TRUSTED_PROXY_JWKS_URL": "https://teleport.example.com/.well-known/jwks.json",
        "TRUSTED_PROXY_ISSUER": "teleport.example.com",
        "TRUSTED_PROXY_AUDIENCE": "http://localhost:8080",
        "TRUSTED_PROXY_JWKS_COOLDOWN": "30",
    }
    env.update(
        {"TRUSTED_PROXY_PRESET": "teleport"}
        if preset
        else {"TRUSTED_PROXY_ASSERTION_HEADER": "Teleport-Jwt-Assertion", "TRUSTED_PROXY_CLAIM_GROUPS": "roles"}
    )
    auth = TrustedProxyAuth(
        load_config(env),
        transport=mock.transport,
        async_transport=mock.async_transport,
        clock=manual,
        scheduler=manual,
        random_source=lambda: 0.5,
    )
    auth.start()
    manual.advance(0)
    return auth, manual


def teleport_token(key: SigningKey) -> str:
    payload = {"iss": "teleport.example.com", "aud": ["http://localhost:8080"], "sub": "alice", "exp": NOW + 60}
    return key.sign(payload, header={"alg": "RS256", "typ": "JWT"})


def _without_kid(key: SigningKey) -> dict[str, Any]:
    return {name: value for name, value in key.public_jwk.items() if name not in ("kid", "alg", "use")}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_rotated_kidless_key_works_at_once_after_one_refetch(mode: str) -> None:
    mock = MockJwks(JwksResponse.of(_without_kid(TELEPORT_OLD)))
    auth, _ = teleport_verifier(mock)
    mock.response = JwksResponse.of(_without_kid(TELEPORT_OLD), _without_kid(TELEPORT_NEW))
    token = teleport_token(TELEPORT_NEW)
    if mode == "sync":
        assert auth.verify_assertion(token, now=NOW).subject == "alice"
    else:
        assert asyncio.run(auth.averify_assertion(token, now=NOW)).subject == "alice"
    assert len(mock.requests) == 2


def test_kidless_forgeries_refetch_at_most_once_per_cooldown() -> None:
    mock = MockJwks(JwksResponse.of(_without_kid(TELEPORT_OLD)))
    auth, manual = teleport_verifier(mock)
    forged = teleport_token(make_key("RS256", None))
    assert [outcome(auth, forged) for _ in range(3)] == ["invalid_signature"] * 3
    assert len(mock.requests) == 2
    manual.advance(30)
    assert outcome(auth, forged) == "invalid_signature"
    assert len(mock.requests) == 3


def test_kidless_without_any_key_of_the_type_is_unknown_key_after_the_refetch() -> None:
    mock = MockJwks(JwksResponse.of(make_key("ES256", None).public_jwk))
    auth, _ = teleport_verifier(mock)
    assert outcome(auth, teleport_token(TELEPORT_OLD)) == "unknown_key"
    assert len(mock.requests) == 2


def test_without_the_quirk_a_kidless_assertion_never_refetches() -> None:
    mock = MockJwks(JwksResponse.of(_without_kid(TELEPORT_OLD)))
    auth, _ = teleport_verifier(mock, preset=False)
    mock.response = JwksResponse.of(_without_kid(TELEPORT_OLD), _without_kid(TELEPORT_NEW))
    assert outcome(auth, teleport_token(TELEPORT_NEW)) == "invalid_signature"
    assert len(mock.requests) == 1


def test_a_forked_child_does_not_wait_for_the_parents_flights() -> None:
    mock = RoutedMock({kid_url(KID_A): pem_answer(ALB_KEY_A)})
    auth, _, _ = alb_verifier(mock)
    keys = auth._keys
    assert isinstance(keys, KidTemplateKeys)
    store = keys.store
    store._lock.acquire()  # held by a thread that a forked child would not have
    store._inflight[KID_A] = _Flight()  # a fetch that will never finish in the child
    store.restart_after_fork()
    assert outcome(auth, alb_token(ALB_KEY_A)) == "ok"
    assert mock.requests == [kid_url(KID_A)]
