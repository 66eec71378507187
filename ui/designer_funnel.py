"""The designer's funnel-level forms: starting a draft (blank, from a template, from a file) and
the funnel's own id, titles, description and currency (see ui/designer.py)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from goldsieve.funnels import drafts as funnel_drafts
from goldsieve.funnels import edit as funnel_edit
from goldsieve.locales import LOCALES, bcp47, translations
from goldsieve.plugin_manager import templates
from goldsieve.web.app import current_runtime

from .designer_forms import Edits, Form, say, texts


class StartRefused(Exception):
    """A start form with bad inputs: ``errors`` maps an input's name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def taken() -> list[str]:
    """The ids of the applied funnels: a new funnel may not take one."""
    return [funnel.id for funnel in current_runtime().funnels]


def closing_titles() -> dict[str, dict[str, str]]:
    """The won and lost stages' titles of a blank funnel, in every language the catalogs have."""
    return {kind: {bcp47(locale): translations(locale).gettext(msgid) for locale in LOCALES}
            for kind, msgid in (("won", "Won"), ("lost", "Lost"))}


def new_definition(form: Form) -> dict[str, Any]:
    """The definition a start form asks for: ``source`` ``blank`` or ``template:ID``, the new
    funnel's id and titles, and for a template which of its parts to keep."""
    errors: dict[str, str] = {}
    try:
        new_id = funnel_edit.funnel_id(form.get("id", ""), taken())
    except funnel_edit.EditError as error:
        errors["id"] = say(error)
    titles = texts(form, "title")
    if not any(text.strip() for text in titles.values()):
        errors["title-en"] = _("Give the funnel a title in at least one language.")
    kind, _sep, name = form.get("source", "").partition(":")
    available = templates(current_runtime().pm)
    if kind == "template" and name not in available:
        errors["source"] = _("There is no template “%(name)s”.", name=name[:40])
    elif kind not in ("blank", "template"):
        errors["source"] = _("Start blank or from a template.")
    if errors:
        raise StartRefused(errors)
    if kind == "blank":
        definition = funnel_drafts.blank(new_id, "-", closing_titles())
    else:
        definition = funnel_drafts.from_template(
            available[name], new_id, fields=form.get("keep_fields") == "1",
            lost_reasons=form.get("keep_lost_reasons") == "1", automations=form.get("keep_automations") == "1")
        definition.pop("description", None)
        definition.pop("title", None)  # the new funnel's own, not the template's
    draft = {"definition": definition}
    try:
        funnel_edit.update_funnel(draft, titles=titles, description=texts(form, "description"),
                                  currency=form.get("currency", "") or definition.get("currency", ""))
    except funnel_edit.EditError as error:
        raise StartRefused({error.at or "title-en": say(error)}) from error
    return definition


def _update(draft: dict, form: Form) -> None:
    funnel_edit.update_funnel(draft, titles=texts(form, "title"), description=texts(form, "description"),
                              currency=form.get("currency", ""))
    if "transitions" in form:  # the form has the switches (a tick that is off sends nothing)
        funnel_edit.set_transitions(draft, {key: form.get(key) == "1" for key in funnel_edit.TRANSITIONS})
    new_id = form.get("id", "").strip()
    if draft["base_version"] is None and new_id and new_id != draft["funnel"]:
        draft["definition"]["id"] = draft["funnel"] = funnel_edit.funnel_id(new_id, taken())


EDITS: Edits = {"update_funnel": _update}
