"""The Flask app factory: the only kernel module (besides the API) that knows Flask."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Iterable

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from ..clock import Clock, utc_now
from ..limits import MAX_ID
from ..plugin_manager import PluginLoadError, blueprints
from ..runtime import Runtime, open_runtime
from ..workspace import Workspace, WorkspaceError

#: The key of ``app.extensions`` under which an app keeps its runtime.
EXTENSION = "goldsieve"


def current_runtime() -> Runtime:
    """The runtime of the app handling this request: the one accessor pages, fragments and the
    API share (only valid inside a request or an app context)."""
    return current_app.extensions[EXTENSION]


def create_app(
    workspace: str | os.PathLike[str] | Workspace | None = None,
    *,
    runtime: Runtime | None = None,
    clock: Clock = utc_now,
    plugins: Iterable[Any] = (),
    config: dict[str, Any] | None = None,
) -> Flask:
    """Build the app for a workspace (or around an already opened runtime).

    The plugin manager, store and engine live in ``app.extensions["goldsieve"]`` (read it with
    :func:`current_runtime`): no module globals, so several apps can run in one process (tests do).
    """
    if runtime is None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace.load(workspace)
        runtime = open_runtime(ws, clock=clock, plugins=plugins)
    app = Flask(__name__, static_folder=None)  # assets are the ui blueprint's
    app.config.update(
        SECRET_KEY=secret_key(runtime.workspace.path),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=request_limit(runtime.workspace.config),
    )
    app.config.update(config or {})
    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:…> is one
    app.extensions[EXTENSION] = runtime
    # versions another process applied (a shared PostgreSQL store) run from the next request on
    app.before_request(runtime.refresh_funnels)
    # record files saved by the designer in another process (or by hand) run from the next request
    app.before_request(runtime.records.refresh)
    hops = proxy_hops(runtime.workspace.config)
    if hops:
        # Behind a reverse proxy every request comes from the proxy: trust its X-Forwarded-*
        # headers (only as many hops as configured), so that login throttling sees the client's
        # address and redirects keep the outside scheme and host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from goldsieve import ui

    from .api import bp as api_bp
    from .api.tokens import MARK as TOKEN_API
    from .api.tokens import is_token_request

    app.register_blueprint(api_bp)
    plugin_blueprints = blueprints(runtime.pm)
    # bearer-token blueprints (the API's own and plugins' marked by token_api) carry no CSRF token
    tokened = tuple(b for b in (api_bp, *plugin_blueprints) if getattr(b, TOKEN_API, False))
    ui.init_app(app, token_blueprints=tokened)
    for blueprint in plugin_blueprints:  # plugins' pages come after the built-in ones
        if blueprint.name in app.blueprints:
            raise PluginLoadError(f"two blueprints are named {blueprint.name!r}")
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if is_token_request():
            body = {"errors": [{"path": "", "code": error.name.lower().replace(" ", "_"),
                                "message": error.description or error.name}]}
            # the error's own headers (a 405's ``Allow``) stay; the body is JSON, not its HTML
            headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
            return jsonify(body), error.code, headers
        return ui.errors.page(error)

    return app


class IdConverter(IntegerConverter):
    """``<int:…>`` in a URL: ASCII digits only, as many as :data:`goldsieve.limits.MAX_ID` has.

    Werkzeug's own matches ``\\d``, which takes ``١`` (Arabic-Indic one) for a digit, so
    ``/deals/١`` was deal 1, and any number of digits went on to the store. Such a path now
    matches no route: 404, as for a deal that does not exist. Sixteen digits stay within a
    ``bigint`` (they are matched, and name no deal); refusing the few past ``MAX_ID`` in the
    converter would make Werkzeug answer some methods 405 and others 404.
    """

    regex = "[0-9]{1,%d}" % len(str(MAX_ID))


#: The largest request body by default (``max_request_bytes`` in goldsieve.toml): a deal, a
#: lead or a form post is a few kilobytes; the limit is also the proxy's (docs/deploy.md).
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def request_limit(config: dict[str, Any]) -> int:
    """``max_request_bytes`` in goldsieve.toml: the largest request body, answered 413 beyond
    (in the API's error envelope under ``/api/``), from 1 KiB to 1 GiB."""
    size = config.get("max_request_bytes", MAX_REQUEST_BYTES)
    if not isinstance(size, int) or isinstance(size, bool) or not 1024 <= size <= 1024**3:
        raise WorkspaceError(f"goldsieve.toml: max_request_bytes = {size!r}: the largest request "
                             f"body in bytes, 1024 to {1024**3} (default {MAX_REQUEST_BYTES})")
    return size


def proxy_hops(config: dict[str, Any]) -> int:
    """``proxies`` in goldsieve.toml: how many reverse proxies stand in front of the app."""
    hops = config.get("proxies", 0)
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 <= hops <= 5:
        raise WorkspaceError(f"goldsieve.toml: proxies = {hops!r}: the number of reverse proxies "
                             "in front of the app, 0 to 5 (0: none, the default)")
    return hops


def secret_key(folder: Path) -> str:
    """A per-workspace key kept in ``data/``, so sessions survive restarts and never ship in code
    (app processes on several machines need the same file)."""
    path = folder / "data" / ".secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
