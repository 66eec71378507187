"""The designer's field editor and lost reasons (see ui/designer.py).

A field's form has its type, title per language, required, format, widget, help per language
and rows of choices (a value and its label per language); blank rows are ignored, so a saved
field always comes back with empty rows to add more choices.
"""
from __future__ import annotations

from goldsieve.funnels import edit_fields
from goldsieve.funnels.edit import LANGUAGES
from goldsieve.plugin_manager import field_widgets
from goldsieve.web.app import current_runtime

from .designer_forms import Edits, Form, texts

#: Empty choice rows the field editor offers after the field's own choices.
SPARE_CHOICES = 3


def _choices(form: Form) -> list[tuple[str, dict[str, str]]]:
    """The choice rows: ``choice`` values with ``choice-LANG`` labels, row by row."""
    values = form.getlist("choice")
    labels = {language: form.getlist(f"choice-{language}") for language in LANGUAGES}
    return [(value, {language: column[row] if row < len(column) else "" for language, column in labels.items()})
            for row, value in enumerate(values)]


def field_form(form: Form) -> edit_fields.FieldForm:
    """The field editor's posted inputs, as the kernel's field edits take them (the funnel
    designer's and the records page's one reading)."""
    return edit_fields.FieldForm(
        kind=form.get("type", "string"), titles=texts(form, "title"), required=form.get("required") == "1",
        choices=_choices(form), format=form.get("format", ""), widget=form.get("widget", ""),
        help=texts(form, "help"))


def plugin_widgets() -> tuple[str, ...]:
    """The widgets plugins add (``goldsieve_field_widgets``), offered beside the built-in ones."""
    return tuple(sorted(field_widgets(current_runtime().pm)))


def _set(new: bool):
    def edit(draft: dict, form: Form) -> None:
        edit_fields.set_field(draft["definition"], form.get("name", ""), field_form(form), new=new,
                              plugin_widgets=plugin_widgets())
    return edit


EDITS: Edits = {
    "add_field": _set(new=True),
    "update_field": _set(new=False),
    "remove_field": lambda d, f: edit_fields.remove_field(d["definition"], f.get("name", "")),
    "add_lost_reason": lambda d, f: edit_fields.set_lost_reason(d, f.get("id", ""), texts(f, "title"), new=True),
    "update_lost_reason": lambda d, f: edit_fields.set_lost_reason(d, f.get("id", ""), texts(f, "title"),
                                                                   new=False),
    "remove_lost_reason": lambda d, f: edit_fields.remove_lost_reason(d, f.get("id", "")),
}
