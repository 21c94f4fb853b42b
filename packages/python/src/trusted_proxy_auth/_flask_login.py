"""Flask-Login fed by the verified identity: `current_user` and `flask_login.login_required` see the proxy's user.

Imported only when the Flask extension is given a `LoginManager`, so Flask-Login stays optional.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, session
from flask_login import LoginManager, logout_user
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie

from .identity import Identity


class IdentityUser:
    """A Flask-Login user for a verified identity (when the app resolves no user of its own): authenticated
    and active, `get_id()` the subject, `identity` the whole verified identity."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def get_id(self) -> str:
        return self.identity.subject

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdentityUser) and other.identity == self.identity

    def __hash__(self) -> int:
        return hash(self.identity)

    def __repr__(self) -> str:
        return f"IdentityUser(subject={self.identity.subject!r})"


def login_user_for(user: Any, identity: Identity) -> Any:
    """What Flask-Login gets as `current_user`: the app's user when it looks like a Flask-Login user, else an
    `IdentityUser`."""
    return user if hasattr(user, "is_authenticated") and hasattr(user, "get_id") else IdentityUser(identity)


def install_request_loader(login_manager: LoginManager) -> None:
    """Registers a `request_loader` answering the current request's verified user, for requests on which
    Flask-Login loads the user itself (nothing was bound yet)."""

    def load_from_request(_request: Any) -> Any:
        return g.get("trusted_proxy_login_user")

    login_manager.request_loader(load_from_request)


def bind_login_user(login_manager: LoginManager, user: Any) -> None:
    """Makes `user` Flask-Login's user of this request. The proxy's word wins, as in the Django adapter: a
    session (or remember-me cookie) naming someone else is logged out first, and Flask-Login never falls back to
    it for this request."""
    wanted = str(user.get_id())
    session_user = session.get("_user_id")
    cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    cookie = request.cookies.get(cookie_name)
    cookie_user = decode_cookie(cookie) if cookie is not None else None
    if (session_user is not None and str(session_user) != wanted) or (
        cookie is not None and str(cookie_user) != wanted
    ):
        logout_user()
    g.trusted_proxy_login_user = user
    # Flask-Login keeps the request's user in `g._login_user` (its `_update_request_context_with_user`); binding
    # it here means neither the session nor a remember-me cookie is consulted on a verified request.
    login_manager._update_request_context_with_user(user)
