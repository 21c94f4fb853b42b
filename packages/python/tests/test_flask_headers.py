"""The Flask extension reads only the headers its request rules need, straight from the WSGI environ: the answers
must be those of werkzeug's own `request.headers` (EnvironHeaders) for every configured name."""

from __future__ import annotations

from typing import Any

from helpers import base_env
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders

from trusted_proxy_auth import load_config
from trusted_proxy_auth.flask import environ_keys, request_header_pairs, wsgi_header_pairs
from trusted_proxy_auth.request_headers import header_values

NAMES = ["X-Assertion", "x-required", "Content-Type", "Content-Length", "Authorization", "X-Other"]
ENVIRON_KEYS = [
    "HTTP_X_ASSERTION",
    "HTTP_X_REQUIRED",
    "HTTP_CONTENT_TYPE",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "HTTP_CONTENT_LENGTH",
    "HTTP_AUTHORIZATION",
    "HTTP_X_OTHER",
    "REMOTE_ADDR",
    "PATH_INFO",
]


@given(
    environ=st.dictionaries(st.sampled_from(ENVIRON_KEYS), st.sampled_from(["", "a", "b, c", " v "])),
    assertion=st.sampled_from(NAMES),
    required=st.lists(st.sampled_from([*NAMES, "X_Under"]), max_size=3, unique=True),
)
def test_the_headers_read_by_key_are_werkzeugs_for_every_configured_name(
    environ: dict[str, Any], assertion: str, required: list[str]
) -> None:
    config = load_config(
        base_env(TRUSTED_PROXY_ASSERTION_HEADER=assertion, TRUSTED_PROXY_REQUIRED_HEADERS=",".join(required))
    )
    keys = environ_keys(config)
    pairs = request_header_pairs(environ, keys)
    werkzeug_pairs = list(EnvironHeaders(environ).items())
    for name in (assertion, *required):
        assert header_values(pairs, name) == header_values(werkzeug_pairs, name)
        assert header_values(wsgi_header_pairs(environ), name) == header_values(werkzeug_pairs, name)


def test_a_name_no_environ_key_can_hold_falls_back_to_listing_every_header() -> None:
    config = load_config(base_env(TRUSTED_PROXY_REQUIRED_HEADERS="X_Under"))
    assert environ_keys(config) is None
    environ = {"HTTP_X_UNDER": "1", "HTTP_X_ASSERTION": "t"}
    assert request_header_pairs(environ, None) == wsgi_header_pairs(environ)
    # X_Under is never a header name read from an environ (WSGI turns `-` and `_` alike into `_`).
    assert header_values(request_header_pairs(environ, None), "X_Under") == []


def test_only_the_configured_headers_are_read() -> None:
    config = load_config(
        base_env(TRUSTED_PROXY_ASSERTION_HEADER="X-Assertion", TRUSTED_PROXY_REQUIRED_HEADERS="X-Required=yes")
    )
    environ = {"HTTP_X_ASSERTION": "token", "HTTP_X_REQUIRED": "yes", "HTTP_X_OTHER": "secret", "HTTP_COOKIE": "c"}
    assert request_header_pairs(environ, environ_keys(config)) == [("X-Assertion", "token"), ("X-Required", "yes")]
