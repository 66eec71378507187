"""The errors the kernel raises; each maps to one HTTP status and one CLI message."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .locales import N_, Words, bcp47, localized, reader, say


class _Unseen:
    """The value of a violation that was not kept (a refusal read back from an event)."""

    def __repr__(self) -> str:
        return "UNSEEN"


#: :attr:`Violation.value` when the refused value is not known
UNSEEN: Any = _Unseen()


@dataclass(frozen=True)
class Violation:
    """One reason a request was refused: where (a JSON pointer into the request), what, why.

    ``limit``, ``value`` and ``title`` are what :func:`goldsieve.funnels.wording.said` needs to
    say the refusal again in another language (a page's, a command line's); they are not part of
    the API's error shape.
    """

    path: str
    code: str
    message: str
    #: the rule that was broken: ``minimum``'s number, ``maxLength``'s length, a ``format``'s
    #: name, the allowed choices of an ``enum``, the types a ``type`` wants
    limit: Any = field(default=None, compare=False)
    #: the refused value itself (:data:`UNSEEN` when not known)
    value: Any = field(default=UNSEEN, compare=False)
    #: the title of the field the path is about, as declared (a text or a text per language)
    title: Any = field(default=None, compare=False)
    #: the message as :class:`~goldsieve.locales.Words`, to say it in a reader's language
    #: (``message`` is its English, for the API and the logs)
    words: Words | None = field(default=None, compare=False)

    @classmethod
    def of(cls, path: str, code: str, msgid: str, /, *, limit: Any = None, value: Any = UNSEEN,
           **params: Any) -> Violation:
        """A refusal whose message is ``msgid`` (marked ``N_``) filled with ``params`` (and
        ``limit``, as ``%(limit)s``): English in ``message``, and in any reader's language
        through its ``words``."""
        words = Words(msgid, **({} if limit is None else {"limit": limit}), **params)
        return cls(path, code, words.say("en"), limit, value, words=words)

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class GoldsieveError(Exception):
    """Base class of the kernel's errors.

    Its text is English, for the API and the logs; one made by :meth:`worded` keeps its
    :class:`~goldsieve.locales.Words` too, which the command line says in its reader's language.
    """

    words: Words | None = None

    @classmethod
    def worded(cls, words: Words, *args: Any, **kwargs: Any) -> GoldsieveError:
        """The error with ``words`` as its message (``args``, ``kwargs``: the class's others)."""
        error = cls(words.say("en"), *args, **kwargs)
        error.words = words
        return error

    def said(self, locale: str | None = None) -> str:
        """The message in ``locale`` (by default the reader's): its words, else its text as the
        catalogs translate it (a text said in the reader's language when raised stays as it is)."""
        return self.words.say(locale) if self.words is not None else say(str(self), locale)


class ValidationFailed(GoldsieveError):
    """A request failed validation or a gate; it carries every violation, and nothing was written."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.path}: {v.message}" for v in self.violations))


class NotFound(GoldsieveError):
    """The thing does not exist, or the user may not see it (both look the same, on purpose)."""


@dataclass(frozen=True)
class Deny:
    """A permission hook's no, with why: ``Deny("Won deals are frozen.")``, or the reason in each
    language (``Deny({"en": "…", "zh-Hans": "…", "zh-Hant": "…"})``).

    It is false, as ``False`` is, so every check of whether a user may do something reads it
    as a no; the refusal then carries it: the API's 403 says the reason in English, the 403 page
    in the reader's language.
    """

    reason: str | Mapping[str, str]

    def __bool__(self) -> bool:
        return False

    def text(self, locale: str = "en") -> str:
        """The reason in ``locale`` (a BCP 47 tag), else the nearest language, else English."""
        return localized(self.reason if isinstance(self.reason, str) else dict(self.reason), locale)


class Forbidden(GoldsieveError):
    """The user may see the thing but not do this to it; ``denial`` is the permission hook's
    :class:`Deny` when one gave a reason."""

    def __init__(self, message: str = "", denial: Deny | None = None):
        self.denial = denial
        super().__init__(message)

    def said(self, locale: str | None = None) -> str:
        """The refusal and the plugin's reason, both in ``locale`` (by default the reader's)."""
        locale = locale or reader.get() or "en"
        said = super().said(locale)
        if self.denial is None:
            return said
        return say(N_("%(refusal)s: %(reason)s"), locale, refusal=said, reason=self.denial.text(bcp47(locale)))


class DefinitionError(GoldsieveError):
    """A funnel definition has errors; ``findings`` says where and why."""

    def __init__(self, source: str, findings: list):
        self.source = source
        self.findings = list(findings)
        lines = [f"{source}: {f.pointer or '/'}: {f.message}" for f in self.findings]
        super().__init__("\n".join(lines))


class Duplicate(GoldsieveError):
    """A record would duplicate an existing one (same match key): the existing record's id and its
    owner's display name (``None``: in the pool), which is all a user who may not see it learns."""

    def __init__(self, path: str, existing_id: int, owner: str | None, key: str):
        self.path, self.existing_id, self.owner, self.key = path, existing_id, owner, key
        held = f"owned by {owner}" if owner else "in the pool"
        super().__init__(f"{path}: the same {key} as customer {existing_id} ({held})")


class PluginResultError(GoldsieveError):
    """A plugin's hook answered something of the wrong shape (a bare ``Violation`` where a list
    is due, a dict for a filter): the message names the plugin and the hook, so an author finds
    the culprit without a ``TypeError`` from deep inside the kernel."""

    def __init__(self, plugin: str, hook: str, result: Any, expected: str):
        self.plugin, self.hook, self.expected = plugin, hook, expected
        super().__init__(f"plugin {plugin}: {hook} returned {_shape(result)}; it must return {expected}")


def _shape(value: Any) -> str:
    """What a value is, by type only: a message about a plugin's mistake never quotes the data
    (a deal's fields) it happened to return."""
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(item).__name__ for item in value})
        container = type(value).__name__
        return f"a {container} of {', '.join(kinds)}" if kinds else f"an empty {container}"
    return f"a {type(value).__name__}"
