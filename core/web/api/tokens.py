"""Bearer tokens for plugins' APIs: :func:`token_api` makes a plugin's blueprint authenticate and
answer as ``/api/v1`` does, instead of as the pages do (a login redirect, HTML errors, CSRF).

Which of the two a request meets is decided by its blueprint, once, here: the API's own and
every blueprint passed to :func:`token_api` are token APIs; everything else is pages.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

#: The attribute :func:`token_api` sets on a blueprint.
MARK = "goldsieve_token_api"


def token_api(blueprint: Blueprint) -> Blueprint:
    """Make ``blueprint`` an API: bearer tokens (``Authorization: Bearer …``) instead of the
    login, so its views find the token's user in ``g.user``; 401 in JSON without a valid token;
    no CSRF token asked (a browser never attaches a bearer token by itself); the kernel's errors
    and HTTP errors in the API's JSON envelope. A view marked :func:`goldsieve.ui.access.public`
    needs no token. Returns the blueprint, so ``return [token_api(bp)]`` reads well; a
    blueprint made a token API already is returned as it is."""
    from .routes import authenticate, register_error_handlers

    if getattr(blueprint, MARK, False):
        return blueprint
    setattr(blueprint, MARK, True)
    blueprint.before_request(authenticate)
    register_error_handlers(blueprint)
    return blueprint


def is_token_request() -> bool:
    """Whether the request is for a token API (``/api/v1`` or a :func:`token_api` blueprint)."""
    blueprint = current_app.blueprints.get(request.blueprint or "")
    if blueprint is not None:
        return bool(getattr(blueprint, MARK, False))
    # no route matched (a 404, a 405): the URL still says which, by a token API's prefix
    path = request.path.rstrip("/") + "/"
    return path.startswith("/api/") or any(
        getattr(bp, MARK, False) and bp.url_prefix and path.startswith(bp.url_prefix.rstrip("/") + "/")
        for bp in current_app.blueprints.values())
