"""Error pages: every refused page request answers with the app's own page, in the layout and
the reader's language, instead of Werkzeug's plain English HTML.

The API answers the same errors in its JSON envelope (``goldsieve.web.app``); this module only
speaks to people. The words for each status live here once; a blueprint passes its own
``message`` when it knows better (no such *deal*), and whoever raises may give a ``reason``
(``Forbidden("…")``, ``abort(400, description=…)``) that the page shows beneath, escaped.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound
from werkzeug.wrappers import Response

from goldsieve import errors as kernel

from .i18n import bcp47


def titles() -> dict[int, str]:
    """The page title and heading of each status a person can meet, in the page's language."""
    return {400: _("Bad request"), 403: _("Forbidden"), 404: _("Not found"),
            405: _("Method not allowed"), 413: _("Too large")}


def explanation(error: HTTPException) -> str:
    """What the status means for the reader, and what to do about it."""
    if isinstance(error, CSRFError):
        return _("This form has expired or was not sent from this site. Reload the page and try again.")
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return _("What you sent is larger than this site accepts (at most %(size)s KB).",
                 size=format_decimal(limit // 1024))
    return {400: _("The request could not be understood."),
            403: _("You may not see or do this."),
            404: _("There is no such page, or you may not see it."),
            405: _("This address does not accept this kind of request.")}.get(
        error.code or 500, _("The request could not be answered."))


def reason(error: HTTPException) -> str | None:
    """The reason the raiser gave, if any: Werkzeug's own default description says nothing a
    person can act on, and a CSRF failure's (English, technical) is replaced by the explanation."""
    if isinstance(error, CSRFError) or not error.description:
        return None
    return None if error.description == type(error).description else str(error.description)


def page(error: HTTPException, message: str | None = None) -> Response:
    """The error page for ``error``; keeps the error's own headers (a 405's ``Allow``)."""
    code = error.code or 500
    body = render_template("error.html", code=code,
                           title=titles().get(code, _("The request could not be answered.")),
                           message=message or explanation(error), reason=reason(error))
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return current_app.make_response((body, code, headers))


def not_found(message: str | None = None) -> Response:
    """The 404 page, with what was not found when the caller knows (a deal, a customer)."""
    return page(NotFound(), message)


def forbidden(error: kernel.Forbidden) -> Response:
    """The 403 page for the kernel's refusal. Its text is written for logs and the API (English,
    with user names), so the page shows only a reason given for its reader: a plugin's
    :class:`~goldsieve.errors.Deny`, in the reader's language, or a ``reason`` the raiser set."""
    shown = error.denial.text(bcp47()) if error.denial is not None else getattr(error, "reason", None)
    return page(Forbidden(description=shown))


def plugin_failed(error: kernel.PluginResultError) -> Response:
    """The 500 page for a plugin's mistake: it names the plugin, so the reader knows whom to ask,
    and keeps its technical message and traceback for the server's log."""
    current_app.logger.error("%s", error, exc_info=error)
    body = render_template("error.html", code=500, title=_("A plugin failed"), reason=None,
                           message=_("The plugin %(plugin)s answered in a way goldsieve cannot use, so "
                                     "nothing was changed. The server's log says more.", plugin=error.plugin))
    return current_app.make_response((body, 500))


def init_errors(app: Flask) -> None:
    """Page answers for the kernel's refusals on every blueprint without its own (the API has)."""
    app.register_error_handler(kernel.PluginResultError, plugin_failed)
    app.register_error_handler(kernel.Forbidden, forbidden)
    app.register_error_handler(kernel.NotFound, lambda error: not_found())
