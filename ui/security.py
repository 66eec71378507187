"""Browser-facing hardening: CSRF, cookie flags and security headers on every response."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie ``Secure`` whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:  # over https (directly, or through the trusted proxies of ``proxies``)
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint and not request.endpoint.startswith(("ui.static", "static")):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app: Flask, token_blueprints: tuple[Blueprint, ...] = ()) -> None:
    """CSRF on every state-changing request, except blueprints authenticated by bearer tokens:
    a browser never attaches those by itself, so a forged cross-site request carries none."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config["SESSION_COOKIE_NAME"] == "session":
        app.config["SESSION_COOKIE_NAME"] = "goldsieve_session"
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session, which expires itself
    app.session_interface = SessionInterface()
    csrf = CSRFProtect(app)
    for blueprint in token_blueprints:
        csrf.exempt(blueprint)
    app.after_request(add_security_headers)
