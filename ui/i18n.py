"""Languages: English, Simplified and Traditional Chinese, through Flask-Babel.

The language is the user's setting, else the browser's ``Accept-Language``, else the
workspace's default. Babel names locales ``zh_Hans``; funnel files use BCP 47 (``zh-Hans``):
:func:`text` bridges the two so a funnel title follows the page's language.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, format_currency, format_date, format_datetime, format_decimal, get_locale

from goldsieve import locales
from goldsieve.funnels.model import localized
from goldsieve.limits import in_range, is_number
from goldsieve.locales import LOCALES, from_accept_language, normalize
from goldsieve.web.api.tokens import is_token_request
from goldsieve.web.app import EXTENSION, current_runtime


def select_locale() -> str:
    user = g.get("user")
    chosen = normalize(user.get("locale")) if user else None
    chosen = chosen or normalize(session.get("locale"))
    chosen = chosen or from_accept_language([value for value, _ in request.accept_languages])
    return chosen or normalize(current_runtime().workspace.locale) or "en"


def bcp47() -> str:
    """The page's language as a BCP 47 tag (``zh-Hans``), for ``<html lang>`` and funnel titles."""
    return locales.bcp47(str(get_locale()))


def text(value: str | dict[str, str] | None) -> str:
    """A funnel-supplied title or help text in the page's language (with fallbacks)."""
    return localized(value, bcp47())


def money(amount: Any, currency: str) -> str:
    """An amount in the funnel's currency, as the page's locale writes it (¥1,200,000.00)."""
    return format_currency(amount, currency) if in_range(amount) else plain(amount)


def number(value: Any) -> str:
    return format_decimal(value) if in_range(value) else plain(value)


def plain(value: Any) -> str:
    """A number no locale format can print (beyond :data:`goldsieve.limits.NUMBER_LIMIT`, or not
    finite: held from before the limit, or written past the engine), to six significant digits
    (``1E+308``), so that the page still shows what is stored; empty for anything not a number."""
    if not is_number(value):
        return ""
    with localcontext() as context:
        context.prec = 6
        return str((+Decimal(value)).normalize())


def moment(value: str | None) -> str:
    """An ISO 8601 UTC stamp as a local, readable date and time."""
    from goldsieve.clock import parse_stamp

    return format_datetime(parse_stamp(value), "medium") if value else ""


def day(value: str) -> str:
    """A date field's ISO value (``2026-02-01``) as the page's locale writes a date; a value that
    is no such date (stored before the rule, or past the engine) as it is."""
    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return value


def plugin_reader_locale() -> str | None:
    """The language a plugin's messages (``context.translate``) take: a page's, else what the
    kernel's messages take (the API and the worker: English, or a command's ``--lang``)."""
    if has_request_context() and not is_token_request():
        return str(get_locale())
    return locales.reader.get()


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale,
          default_translation_directories=str(Path(__file__).parent / "translations"))
    app.extensions[EXTENSION].pm.context.read_locale_from(plugin_reader_locale)
    app.jinja_env.globals.update(text=text, bcp47=bcp47, LOCALES=LOCALES)
    app.jinja_env.filters.update(text=text, money=money, number=number, moment=moment)


def template_context() -> dict[str, Any]:
    return {"current_locale": str(get_locale())}
