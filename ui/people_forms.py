"""What the admin and account forms share: the kernel's refusals about users, teams and
passwords said again in the page's language, and the post → refused-or-redirect round.

``core/users.py`` and ``core/teams.py`` speak English (the CLI prints their messages); the pages
re-say each violation by its code, and fall back to the kernel's own words (in the page's
language, :func:`.forms.text_message`) for a code they do not know, so a new rule is never silent.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext as _

from goldsieve.errors import ValidationFailed, Violation
from goldsieve.people.teams import UNCHANGED

from . import forms


def message(violation: Violation) -> str:
    """One violation about a user, a team or a password, in the page's language."""
    limit = violation.limit
    said = {
        "pattern": lambda: _("Use 1–64 letters, digits, dots, dashes or underscores."),
        "unique": lambda: _("This name is taken."),
        "enum": lambda: _("Choose one of the options."),
        "unknown_team": lambda: _("There is no such team."),
        "unknown_user": lambda: _("There is no such user."),
        "minLength": lambda: _("Enter at least %(limit)s characters.", limit=limit),
        "maxLength": lambda: _("Enter at most %(limit)s characters.", limit=limit),
        "username": lambda: _("A password may not contain the user name."),
        "common": lambda: _("This is a commonly used password, or too close to one."),
        "guessable": lambda: _("This password is easy to guess: avoid repeats, sequences, "
                               "keyboard patterns, names and dates."),
        "last_admin": lambda: _("This is the last active admin; make another user admin first."),
        "cycle": lambda: _("A team cannot be below itself."),
        "wrong_password": lambda: _("The current password is wrong."),
        "mismatch": lambda: _("The two passwords differ."),
        "inactive": lambda: _("This user is deactivated."),
    }
    return said[violation.code]() if violation.code in said else forms.text_message(violation)


def by_field(violations: Iterable[Violation]) -> dict[str, list[str]]:
    """Field name (the violation's path without its slash) → its messages, for the form."""
    fields: dict[str, list[str]] = {}
    for violation in violations:
        fields.setdefault(violation.path.lstrip("/") or "form", []).append(message(violation))
    return fields


def optional(field: str) -> Any:
    """A form value that may be cleared: absent leaves it as it is, empty means none."""
    return (request.form.get(field) or None) if field in request.form else UNCHANGED


def submit(write: Callable[[], Any], refused: Callable[[dict[str, list[str]]], Any],
           done: str, target: str):
    """Run a form's write. Refused: ``refused(messages by field)`` — the form again, 422, and
    nothing written (the kernel checks everything first). Done: say ``done`` on the next page
    and redirect there with 303, so reloading it posts nothing twice."""
    try:
        write()
    except ValidationFailed as error:
        return refused(by_field(error.violations))
    flash(done)
    return redirect(target, 303)
