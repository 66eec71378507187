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
import unicodedata
from collections.abc import Iterable, Mapping
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


class Words:
    """A message to say later, in whichever language its reader has: a msgid (marked with
    :func:`N_` where it is written) and its parameters.

    The kernel refuses before it knows who reads the refusal: the API and the logs want English,
    the command line and the pages their reader's language. A refusal keeps its words, so each
    says it in its own (:func:`goldsieve.funnels.wording.said`, :func:`goldsieve.cli.base.error_lines`).
    A parameter that is a title by language (``{"en": "Quote", "zh-Hans": "报价"}``) is said in
    the same language (:func:`localized`); one that is :class:`Words` itself too.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: object):
        self.msgid, self.params = msgid, params

    def say(self, locale: str | None = None) -> str:
        """The message in ``locale`` (a catalog's name, ``zh_Hans``), by default the reader's."""
        locale = locale or reader.get() or "en"
        return say(self.msgid, locale, **{name: _said(value, locale) for name, value in self.params.items()})

    def __repr__(self) -> str:
        return f"Words({self.msgid!r}, {self.params!r})"


def _said(value: object, locale: str) -> object:
    if isinstance(value, Words):
        return value.say(locale)
    if isinstance(value, Mapping):
        return localized(dict(value), bcp47(locale))
    return value


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
    """The best title of ``text`` for a reader of ``locale`` (a BCP 47 tag or a catalog's name):
    the exact language; else the same language in the same script (``zh-TW`` for ``zh-Hant``);
    else the same language in any script, so a Traditional-Chinese reader of a funnel titled only
    in ``zh-Hans`` reads the Chinese, not the English; else English; else any title. The one rule
    for every title a person reads: funnels, stages, fields, choices, records, plugins' texts."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if locale in text:
        return text[locale]
    language = locale.split("-")[0].split("_")[0].lower()
    same = [key for key in text if key.split("-")[0].split("_")[0].lower() == language]
    script = normalize(locale)
    for key in same:
        if script is not None and normalize(key) == script:
            return text[key]
    if same:
        return text[same[0]]
    return text.get("en") or next(iter(text.values()), "")


def folded(text: str) -> str:
    """A name as a lookup by title compares it: NFKC (full-width letters, digits and spaces as
    their plain forms), case folded, each run of white space one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class TitleIndex:
    """Things a person may name by their id or by their title in any language — a field by the
    column heading a spreadsheet gives it (``Email``, ``邮箱``, ``郵箱``), a role, a stage — by the
    one rule of :func:`folded`.

    An id always names its own thing; a title names the one thing that has it, and a title that
    two things share names neither (a guess would put data in the wrong place).
    """

    def __init__(self, items: Iterable[tuple[str, str | Mapping[str, str] | None]]):
        """``items``: each thing's id and its title (a text, a text by language, or ``None``)."""
        ids: dict[str, str] = {}
        titled: dict[str, set[str]] = {}
        for key, title in items:
            ids[folded(key)] = key
            for text in (title.values() if isinstance(title, Mapping) else [title]):
                if isinstance(text, str) and text.strip():
                    titled.setdefault(folded(text), set()).add(key)
        self._names = {text: next(iter(keys)) for text, keys in titled.items() if len(keys) == 1}
        self._names.update(ids)

    def find(self, name: str) -> str | None:
        """The id of the thing ``name`` names, or ``None``."""
        return self._names.get(folded(name))
