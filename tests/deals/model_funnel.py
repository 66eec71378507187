"""A plain, independent model of the hand-written example funnel (tests/funnels/design_example.json).

Written from the rules in docs/funnels.md and docs/architecture.md, not from the engine: it never calls
goldsieve. ``tests/deals/test_state_machine.py`` drives the real engine and this model side by side
and demands they agree. A refusal is a sorted list of ``(path, code)`` pairs; ``None`` means
"accepted".

The funnel, restated by hand:

- fields: ``company`` (string, minLength 1, required), ``amount`` (number >= 0),
  ``needs_survey`` (string), ``demo_date`` (string, format date), ``discount`` (number in
  [0, 1]), ``approval_note`` (string); a write that sets any other key is refused at that key
  (``unknown_field``: no ``extra_fields``), one kept as stored or removed is not;
- stages in order: lead, qualified (gate: needs_survey), exec_visit (only when
  ``amount >= 1_000_000``, JSON Schema style), quote (gate: amount), negotiation, won (kind won),
  lost (kind lost);
- transitions: ``skip: false``, ``back: true``, ``reopen`` defaults to true;
- lost reasons: price, competitor;
- an edit must not break a gate the deal's stage requires (cumulatively) that held before it.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

FUNNEL_ID = "handmade"
FUNNEL_VERSION = 3
STAGES = ["lead", "qualified", "exec_visit", "quote", "negotiation", "won", "lost"]
KIND = {"lead": "open", "qualified": "open", "exec_visit": "open", "quote": "open",
        "negotiation": "open", "won": "won", "lost": "lost"}
GATE_REQUIRES = {"qualified": ["needs_survey"], "quote": ["amount"]}
LOST_REASONS = {"price", "competitor"}
DECLARED = {"company", "amount", "needs_survey", "demo_date", "discount", "approval_note"}
MAX_TITLE = 200

Problems = list[tuple[str, str]]


def utc_text(moment: dt.datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z`` (the format every stored timestamp uses)."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- JSON Schema, restated for this funnel's handful of keywords ----------------------------


def is_number(value: Any) -> bool:
    # JSON Schema: booleans are not numbers
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return False
    return True


def field_problems(data: dict) -> Problems:
    found: Problems = []

    def at(name: str, code: str) -> None:
        found.append((f"/data/{name}", code))

    if "company" not in data:
        at("company", "required")
    elif not isinstance(data["company"], str):
        at("company", "type")
    elif len(data["company"]) < 1:
        at("company", "minLength")
    if "amount" in data:
        if not is_number(data["amount"]):
            at("amount", "type")
        elif data["amount"] < 0:
            at("amount", "minimum")
    for name in ("needs_survey", "approval_note"):
        if name in data and not isinstance(data[name], str):
            at(name, "type")
    if "demo_date" in data:
        if not isinstance(data["demo_date"], str):
            at("demo_date", "type")
        elif not is_date(data["demo_date"]):
            at("demo_date", "format")
    if "discount" in data:
        if not is_number(data["discount"]):
            at("discount", "type")
        elif data["discount"] < 0:
            at("discount", "minimum")
        elif data["discount"] > 1:
            at("discount", "maximum")
    return found


def undeclared_problems(before: dict, after: dict) -> Problems:
    """Keys the funnel does not declare that a write sets (to a value other than the stored one)."""
    missing = object()
    return [(f"/data/{key}", "unknown_field") for key in after
            if key not in DECLARED and before.get(key, missing) != after[key]]


def title_problems(title: Any) -> Problems:
    if not isinstance(title, str) or not title.strip():
        return [("/title", "required")]
    if len(title) > MAX_TITLE:
        return [("/title", "maxLength")]
    return []


def on_path(stage: str, data: dict) -> bool:
    """Whether a non-lost stage lies on the path of a deal with this data."""
    if stage == "exec_visit":
        # applies_when {"properties": {"amount": {"minimum": 1e6}}, "required": ["amount"]}:
        # `minimum` says nothing about a value that is not a number
        return "amount" in data and (not is_number(data["amount"]) or data["amount"] >= 1_000_000)
    return stage != "lost"


def merged(data: dict, changes: dict | None) -> dict:
    out = copy.deepcopy(data)
    for key, value in (changes or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


def changes_between(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after.get(k)] for k in set(before) | set(after)
            if before.get(k) != after.get(k)}


# --- the model ------------------------------------------------------------------------------


@dataclass
class ModelDeal:
    id: int
    title: str
    owner: str
    created_by: str
    data: dict
    created_at: str
    stage: str = "lead"
    status: str = "open"
    version: int = 1
    lost_reason: str | None = None
    closed_from: str | None = None
    updated_at: str = ""
    stage_entered_at: str = ""
    events: list[dict] = field(default_factory=list)

    def expected_fields(self) -> dict:
        return {
            "id": self.id, "funnel": FUNNEL_ID, "funnel_version": FUNNEL_VERSION,
            "title": self.title, "stage": self.stage, "status": self.status,
            "owner": self.owner, "created_by": self.created_by, "data": self.data,
            "version": self.version, "lost_reason": self.lost_reason,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "stage_entered_at": self.stage_entered_at,
        }


def event(type_: str, by: str, at: str, *, from_stage=None, to_stage=None, lost_reason=None,
          changes=None, note=None) -> dict:
    return {"type": type_, "by": by, "at": at, "from_stage": from_stage, "to_stage": to_stage,
            "lost_reason": lost_reason, "changes": changes or {}, "note": note,
            "funnel": FUNNEL_ID, "funnel_version": FUNNEL_VERSION}


def create_problems(users: set[str], by: str, title: Any, data: dict, owner: str | None) -> Problems:
    problems = title_problems(title) + field_problems(merged({}, data))  # None: no such field
    problems += undeclared_problems({}, merged({}, data))
    owner = owner or by
    if owner != by and owner not in users:
        problems.append(("/owner", "unknown_user"))
    # the first stage, lead, has no gate
    return sorted(problems)


def update_problems(deal: ModelDeal, changes: dict, title: Any) -> Problems:
    data = merged(deal.data, changes)
    problems = field_problems(data) + undeclared_problems(deal.data, data)
    if title is not None:
        problems += title_problems(title)
    if not problems:
        problems = sorted(stage_requires(deal.stage, data) - stage_requires(deal.stage, deal.data))
    return sorted(problems)


def stage_requires(stage: str, data: dict) -> set[tuple[str, str]]:
    """What the gates of ``stage`` and of the stages before it on the path of ``data`` find
    missing (a lost stage has no gate here)."""
    if KIND[stage] == "lost":
        return set()
    path = [s for s in STAGES if on_path(s, data)]
    return {(f"/data/{name}", "required") for s in path if STAGES.index(s) <= STAGES.index(stage)
            for name in GATE_REQUIRES.get(s, []) if name not in data}


def move_problems(deal: ModelDeal, to: Any, changes: dict | None, lost_reason: Any) -> Problems:
    """Why moving ``deal`` to ``to`` is refused ([] when it is allowed).

    Two choices of precedence that the docs leave open ("return them all") and the engine
    makes: an unknown stage is reported with the data's own problems (no gate can be judged),
    and the gates of a stage the deal may not move to at all are not reported.
    """
    data = merged(deal.data, changes)
    if to not in KIND:
        return sorted([("/to", "unknown_stage")] + field_problems(data))
    problems = field_problems(data) + undeclared_problems(deal.data, data)
    path = [s for s in STAGES if on_path(s, data)]
    here = STAGES.index(deal.stage)
    there = STAGES.index(to)
    policy: Problems = []
    if deal.status != "open":
        policy.append(("/to", "closed"))          # closed deals move only after a reopen
    elif to == deal.stage:
        policy.append(("/to", "same_stage"))
    elif KIND[to] == "lost":
        pass                                      # a deal can be lost from anywhere it is open
    elif to not in path:
        policy.append(("/to", "not_applicable"))  # applies_when does not match
    elif there < here:
        pass                                      # back: true
    else:
        following = next(s for s in path if STAGES.index(s) > here)
        if following != to:
            policy.append(("/to", "skip"))        # skip: false
    problems += policy
    if KIND[to] == "lost" and lost_reason not in LOST_REASONS:
        problems.append(("/lost_reason", "required" if lost_reason in (None, "") else "enum"))
    if not policy and KIND[to] != "lost":
        problems += gate_problems(path, to, data)
    return sorted(problems)


def gate_problems(path: list[str], to: str, data: dict) -> Problems:
    """Gates are cumulative along the deal's path; a lost stage needs only its own (none here)."""
    return [(f"/data/{name}", "required")
            for stage in path[: path.index(to) + 1]
            for name in GATE_REQUIRES.get(stage, []) if name not in data]


def reopen_problems(deal: ModelDeal, to: str | None) -> Problems:
    """Reopening returns a closed deal to an open stage (by default the one it closed from),
    which it enters like any move: the stage must be on its path and its gates satisfied."""
    target = to or deal.closed_from or "lead"
    if target not in KIND:
        return [("/to", "unknown_stage")]
    if deal.status == "open":
        return [("/to", "not_closed")]
    if KIND[target] != "open":
        return [("/to", "not_open")]
    path = [s for s in STAGES if on_path(s, deal.data)]
    if target not in path:
        return [("/to", "not_applicable")]
    return sorted(gate_problems(path, target, deal.data))


def note_problems(text: Any) -> Problems:
    return [] if isinstance(text, str) and text.strip() else [("/text", "required")]


# --- access (issue 4), for the state machine's two users ------------------------------------
# The default permissions: an admin sees every deal and may do everything; a rep sees the deals
# they own, may create (for themselves only), edit, move and annotate them, and may not reopen.
# Refusals come in this order: a deal the user cannot see is "notfound" (before anything else),
# then "forbidden", then a stale version, then the data's problems.


def visible(role: str, by: str, deal: ModelDeal) -> bool:
    return role == "admin" or deal.owner == by


def denial(role: str, by: str, action: str, deal: ModelDeal | None = None,
           owner: str | None = None) -> str | None:
    """``"notfound"``, ``"forbidden"`` or ``None`` (allowed) for ``by`` doing ``action``."""
    if deal is not None and not visible(role, by, deal):
        return "notfound"
    if role == "admin":
        return None
    if action == "reopen" or (action == "create" and (owner or by) != by):
        return "forbidden"
    return None
