"""Every route declares its access: public, or behind the login (pages) / token (API).

Pages and fragments are behind the login unless their view is marked :func:`public`; the API
blueprint checks its bearer token itself (``api.health`` and ``api.openapi`` are public). A view
that takes a ``deal_id`` reads the deal through ``engine.get(g.user, deal_id)``, which applies the
user's visibility: a deal they may not see answers 404. ``tests/security/test_access_matrix.py``
checks every rule of ``app.url_map`` against a table and fails on a route it does not know.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request

F = TypeVar("F", bound=Callable)

#: Built-in endpoints reachable without a login (Flask's static endpoint cannot be decorated).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.set_locale", "ui.static",
                              "api.health", "api.openapi"})


def public(view: F) -> F:
    """Mark a view as reachable without logging in (plugins: only for truly public pages)."""
    view.goldsieve_public = True  # type: ignore[attr-defined]
    return view


def is_public(endpoint: str | None) -> bool:
    if not endpoint:
        return False
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "goldsieve_public", False))


def require_login():
    """Pages: log in first, unless the view is public; the API authenticates its own tokens."""
    from goldsieve.web.api.tokens import is_token_request

    from . import auth

    if is_public(request.endpoint) or is_token_request():  # a token API authenticates itself
        return None
    return auth.require_login()
