"""The next step planned within the move dialog (docs/activities.md#the-next-step).

A stage with ``"next_step": true`` lets a deal in only with a planned activity. Where the move
dialog says so, it carries a compact form for that step (type, due time, duration, a contact),
so that one submit plans it and moves the deal through
:func:`~goldsieve.deals.next_step.move_with_next_step`: a refusal of either writes nothing and
comes back with each reason beside its control. The controls are named ``next_…`` so they never
meet the deal's own fields in the same form.
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from goldsieve.deals.activity_gates import NEXT_STEP
from goldsieve.errors import Violation
from goldsieve.limits import whole_number

from .activities import activity_message, bp, posted_minutes
from .deals import linked_customer
from .task_forms import form_due

#: the form's controls, by the step's key they post
CONTROLS = {"type": "next_type", "title": "next_title", "due_at": "next_when",
            "duration_minutes": "next_duration", "contact_ids": "next_contact"}


def posted_step(form: Any, bypass: bool) -> dict[str, Any] | None:
    """The next step the move form posts, or ``None`` when it shows no step form, or when a
    "Move anyway" leaves the step empty (the bypass sets the next step aside as any gate)."""
    if "next_type" not in form or (bypass and not form.get("next_when", "").strip()):
        return None
    contact = form.get("next_contact", "")
    number = whole_number(contact)  # ASCII digits in the ids' range (int() fails past 4300 digits)
    step = {"type": form.get("next_type"), "title": form.get("next_title", "").strip() or None,
            "due_at": form_due(form.get("next_when")),
            "duration_minutes": posted_minutes(form.get("next_duration", "")),
            # what is no id goes on as posted, so that the kernel refuses it beside the control
            "contact_ids": [contact if number is None else number] if contact else []}
    return {k: v for k, v in step.items() if v is not None}


@bp.app_template_global("next_step_form")
def next_step_form(deal: dict, refused: list[Violation], default_type: str) -> Markup:
    """The step's controls: the declared types, a title, when, how long, whom; each refusal beside its
    control (``/next_step/contact_ids/0`` beside the contact)."""
    errors: dict[str, list[str]] = {}
    for violation in refused:
        key = violation.path[len(NEXT_STEP) + 1:].split("/")[0]
        said = _("Choose when the next step is due.") if violation.code == "required" else activity_message(violation)
        errors.setdefault(CONTROLS.get(key, "next_type"), []).append(said)
    posted = request.form if request.method == "POST" else {}
    return Markup(render_template("activities/_next_step.html", errors=errors, posted=posted,
                                  contacts=linked_customer(deal)[1],
                                  chosen=posted.get("next_type") or default_type))
