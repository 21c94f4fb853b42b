"""The Flask extension lists the request headers straight from the WSGI environ (no context proxy, no werkzeug
header object per request): the answers must be those of werkzeug's own `request.headers` (EnvironHeaders) for
every configured name, whatever keys the environ holds (standard CGI keys or not)."""

from __future__ import annotations

from typing import Any

from helpers import base_env
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders

from trusted_proxy_auth import load_config
from trusted_proxy_auth.flask import wsgi_header_pairs
from trusted_proxy_auth.request_headers import header_values

NAMES = ["X-Assertion", "x-required", "Content-Type", "Content-Length", "Authorization", "X_Under"]
# Standard CGI keys, and what a non-standard server or WSGI layer might write (dashes, lower case): werkzeug lists
# every HTTP_ key, so two keys may carry one header name, which the verifier must then see twice.
ENVIRON_KEYS = [
    "HTTP_X_ASSERTION",
    "HTTP_X-ASSERTION",
    "HTTP_x_assertion",
    "HTTP_X_REQUIRED",
    "HTTP_X-Required",
    "HTTP_CONTENT_TYPE",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "HTTP_CONTENT_LENGTH",
    "HTTP_AUTHORIZATION",
    "HTTP_X_UNDER",
    "REMOTE_ADDR",
    "PATH_INFO",
]


@given(
    environ=st.dictionaries(st.sampled_from(ENVIRON_KEYS), st.sampled_from(["", "a", "b, c", " v "])),
    assertion=st.sampled_from(NAMES[:5]),
    required=st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
)
def test_the_headers_listed_are_werkzeugs_for_every_configured_name(
    environ: dict[str, Any], assertion: str, required: list[str]
) -> None:
    load_config(base_env(TRUSTED_PROXY_ASSERTION_HEADER=assertion, TRUSTED_PROXY_REQUIRED_HEADERS=",".join(required)))
    werkzeug_pairs = list(EnvironHeaders(environ).items())
    for name in (assertion, *required):
        assert header_values(wsgi_header_pairs(environ), name) == header_values(werkzeug_pairs, name)


def test_a_header_under_two_environ_keys_is_seen_twice_so_refused() -> None:
    environ = {"HTTP_X_ASSERTION": "good", "HTTP_X-ASSERTION": "forged"}
    assert header_values(wsgi_header_pairs(environ), "X-Assertion") == ["good", "forged"]
