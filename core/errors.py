"""The errors the kernel raises; each maps to one HTTP status and one CLI message."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class GoldsieveError(Exception):
    """Base class of the kernel's errors."""


class ValidationFailed(GoldsieveError):
    """A request failed validation or a gate; it carries every violation, and nothing was written."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.path}: {v.message}" for v in self.violations))


class NotFound(GoldsieveError):
    """The thing does not exist, or the user may not see it (both look the same, on purpose)."""


class Forbidden(GoldsieveError):
    """The user may see the thing but not do this to it."""


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
