"""The designer's stage editor: add, change, reorder, split and remove stages (see ui/designer.py)."""
from __future__ import annotations

from flask_babel import ngettext
from flask_babel import gettext as _

from goldsieve.funnels import edit as funnel_edit
from goldsieve.funnels.edit_activities import set_activity_gate
from goldsieve.web.app import current_runtime

from .designer_forms import Edits, Form, condition, texts

#: Empty rows the activity gate offers after the stage's own entries.
SPARE_ACTIVITIES = 1


def activity_types() -> list[tuple[str, str]]:
    """The declared activity types (records/activity.json): id and title."""
    return [(kind.id, kind.definition.get("title") or kind.id) for kind in current_runtime().customers.types.activity.all]


def contact_roles() -> list[tuple[str, str]]:
    """The declared contact roles (records/contact.json): id and title."""
    return [(role["id"], role.get("title") or role["id"]) for role in current_runtime().customers.types.contact.roles]


def _add(draft: dict, form: Form) -> None:
    title = texts(form, "title") if "title-en" in form else form.get("title", "")
    funnel_edit.add_stage(draft, form.get("id", ""), title, form.get("kind", "open"))


def _update(draft: dict, form: Form) -> None:
    stage_id = form.get("stage", "")
    title = texts(form, "title") if "title-en" in form else form.get("title", "")
    funnel_edit.update_stage(
        draft, stage_id, title=title, probability=form.get("probability", ""),
        rot_days=form.get("rot_days", ""), required=form.getlist("required"),
        condition=condition(form, "gate"), applies_when=condition(form, "when"),
        clear_applies_when=form.get("clear_when") == "1", kind=form.get("kind"),
        target=form.get("target"))
    if "activity_gate" in form:  # the form has the activity gate (a tick that is off sends nothing)
        set_activity_gate(draft, stage_id, next_step=form.get("next_step") == "1",
                          rows=list(zip(form.getlist("activity_type"), form.getlist("activity_role"))),
                          types=[i for i, _t in activity_types()], roles=[i for i, _t in contact_roles()])
    new_id = form.get("new_id", "").strip()
    if new_id and new_id != stage_id:
        funnel_edit.rename_stage(draft, stage_id, new_id)


def _remove(draft: dict, form: Form) -> str | None:
    dropped = funnel_edit.remove_stage(draft, form.get("stage", ""), form.get("map_to") or None)
    if not dropped:
        return None
    return ngettext("The automation %(ids)s named the removed stage and was removed with it.",
                    "The automations %(ids)s named the removed stage and were removed with it.",
                    len(dropped), ids=", ".join(dropped))


def _split(draft: dict, form: Form) -> str:
    ids = [part.strip() for part in form.get("into", "").split(",")]
    funnel_edit.split_stage(draft, form.get("stage", ""), ids)
    return _("The new stages are titled by their ids for now: give %(ids)s their titles.",
             ids=", ".join(part for part in ids[1:] if part))


EDITS: Edits = {
    "add_stage": _add,
    "update_stage": _update,
    "move_up": lambda d, f: funnel_edit.move_stage(d, f.get("stage", ""), -1),
    "move_down": lambda d, f: funnel_edit.move_stage(d, f.get("stage", ""), 1),
    "remove_stage": _remove,
    "split_stage": _split,
}
