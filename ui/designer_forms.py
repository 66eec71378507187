"""Reading the funnel designer's forms: a text in each language, a condition row, an edit's note.

Each part of the designer (ui/designer_stages.py, designer_fields.py, designer_automations.py,
designer_funnel.py) maps its ``op`` names to an edit of the draft; an edit may return a note for
the person (what it dropped), which the editor shows above the parts.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from goldsieve.funnels.edit import LANGUAGES, EditError
from goldsieve.locales import LOCALES, bcp47

Form = MultiDict
#: op → the edit it makes: ``edit(draft, form)``, returning a note or ``None``.
Edits = dict[str, Callable[[dict, Form], "str | None"]]


def texts(form: Mapping[str, Any], name: str) -> dict[str, str]:
    """The inputs ``NAME-en``, ``NAME-zh-Hans``… of a text written in each language."""
    return {language: form.get(f"{name}-{language}", "") for language in LANGUAGES}


def condition(form: Mapping[str, Any], prefix: str) -> tuple[str, str, str] | None:
    """A condition row (``PREFIX_field``, ``_op``, ``_value``); ``None`` when no field is chosen."""
    name = form.get(f"{prefix}_field", "")
    return (name, form.get(f"{prefix}_op", "equals"), form.get(f"{prefix}_value", "")) if name else None


def say(error: EditError) -> str:
    """An edit's refusal in the reader's language."""
    return _(error.template, **error.params)


def language_names() -> dict[str, str]:
    """Each language a text is written in, by its own name, for the inputs' labels."""
    return {bcp47(locale): name for locale, name in LOCALES.items()}
