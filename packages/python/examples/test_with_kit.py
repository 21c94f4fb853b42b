"""An application's test with the pytest plugin: no conftest, the fixtures come with the package.

Run: pytest test_with_kit.py (next to starlette_app.py)
"""

from collections.abc import Callable

from starlette.testclient import TestClient

from trusted_proxy_auth.testing import proxy_headers


def test_admins_only(trusted_proxy_env: dict[str, str], make_assertion: Callable[..., str]) -> None:
    # trusted_proxy_env points TRUSTED_PROXY_* at the session's throw-away issuer (a loopback key server),
    # so the app is imported after it: its middleware reads the environment when the app is built.
    from starlette_app import app

    client = TestClient(app)
    assert client.get("/admin", headers=proxy_headers(make_assertion(groups=["admins"]))).status_code == 200
    assert client.get("/admin", headers=proxy_headers(make_assertion(groups=["staff"]))).status_code == 403
    assert client.get("/admin").json()["code"] == "missing_assertion"
