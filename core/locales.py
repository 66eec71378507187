"""Languages outside a request: which locale a reader's setting names, and its catalog.

The web app localizes per request through Flask-Babel. The background worker writes texts for a
reader with no request around (the weekly digest, in the manager's language), so the kernel reads
the same compiled catalogs — ``goldsieve.ui``'s ``translations`` — with the standard library's
:mod:`gettext`. They are found without importing ``goldsieve.ui``, whose package imports Flask.
The kernel strings translated this way are extracted with the UI's: ``make messages`` and
tests/ui/test_i18n.py list the kernel modules that hold them.
"""
from __future__ import annotations

import contextvars
import functools
import gettext
import importlib.util
from collections.abc import Mapping
from pathlib import Path

#: The supported locales, by their name in the catalogs, with the name each has in itself.
LOCALES = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}
TRADITIONAL_HINTS = ("hant", "tw", "hk", "mo")


def from_accept_language(header_values: list[str]) -> str | None:
    """The first supported locale among the browser's languages, in its order of preference."""
    for value in header_values:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_Hant" if any(hint in tag for hint in TRADITIONAL_HINTS) else "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return None


def normalize(locale: str | None) -> str | None:
    """Accept ``zh-Hans``, ``zh_hans``, ``zh-CN``… from settings; ``None`` if unsupported."""
    if not locale:
        return None
    return from_accept_language([locale])


def from_environment(environ: Mapping[str, str]) -> str | None:
    """The language a shell asks for, the POSIX way: ``LC_ALL``, else ``LC_MESSAGES``, else
    ``LANG`` (``zh_CN.UTF-8`` → ``zh_Hans``); ``C``, ``POSIX`` or an unsupported one: ``None``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return normalize(value.split(".")[0].split("@")[0])
    return None


#: The language of whoever reads what the kernel says in this context: set by the command line
#: for the run of a command (``goldsieve --lang``, else the shell's); ``None`` — the API, logs —
#: is English. Pages translate by the violations' codes instead (``ui.forms``).
reader: contextvars.ContextVar[str | None] = contextvars.ContextVar("reader", default=None)


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined; whoever shows it translates it then
    (:func:`say`, a page's ``_``, :func:`translations`)."""
    return message


def say(message: str, /, locale: str | None = None, **params: object) -> str:
    """``message`` (a msgid, ``%(name)s`` placeholders) in ``locale``, by default the reader's
    language, filled in."""
    if not message:  # gettext's "" is the catalog's header
        return message
    text = translations(locale or reader.get() or "en").gettext(message)
    return text % params if params else text


def bcp47(locale: str) -> str:
    """A catalog's locale (``zh_Hans``) as funnel files name languages (``zh-Hans``)."""
    return locale.replace("_", "-")


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The UI's compiled catalog for ``locale``; English (the msgids themselves) without one."""
    spec = importlib.util.find_spec("goldsieve.ui")  # imports goldsieve, not goldsieve.ui
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        directory = Path(folder) / "translations"
        if directory.is_dir():
            return gettext.translation("messages", directory, languages=[locale], fallback=True)
    return gettext.NullTranslations()


def localized(text: str | dict[str, str] | None, locale: str = "en") -> str:
    """Pick the best translation of a title: exact locale, its language, English, then any."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if locale in text:
        return text[locale]
    language = locale.split("-")[0].split("_")[0]
    for key, value in text.items():
        if key.split("-")[0] == language:
            return value
    return text.get("en") or next(iter(text.values()), "")
