"""REST endpoints: thin translations between HTTP and the engine."""
from __future__ import annotations

import json
from typing import Any, Iterator

from flask import Blueprint, current_app, g, jsonify, request, url_for
from marshmallow import Schema, ValidationError

from ... import __version__
from ...audit import find_audit
from ...deals import listing
from ...deals.next_step import move_with_next_step
from ...errors import Forbidden, NotFound, PluginResultError, ValidationFailed, Violation
from ...funnels.validation import pointer, shown_key, text_violation, too_deep
from ...limits import MAX_NESTING, nesting, storable_text, whole_number
from ...people.teams import UNCHANGED
from ...people.users import user_for_token
from ...store import Conflict
from ..app import current_runtime
from .errors import error_response, marshmallow_violations
from .schemas import (
    AuditEntrySchema,
    DealCreateSchema,
    DealPatchSchema,
    DealSchema,
    EventSchema,
    FunnelSummarySchema,
    MoveSchema,
    NoteSchema,
    ReopenSchema,
)
from .tokens import token_api

bp = Blueprint("api", __name__, url_prefix="/api/v1")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200

deal_schema = DealSchema()
event_schema = EventSchema()



def dump_deal(deal: dict) -> dict:
    return deal_schema.dump(deal)


class _Constant:
    """Where a ``NaN``, ``Infinity`` or ``-Infinity`` token stood in a request body: Python's
    JSON reader takes them for numbers, JSON has no such numbers, and no store could keep one."""

    def __init__(self, token: str):
        self.token = token


def body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object loaded through ``schema``; 422 for anything else, naming where
    a body held a ``NaN`` or ``Infinity`` or text no store keeps, and at ``/`` a body nesting
    deeper than :data:`~goldsieve.limits.MAX_NESTING` (``too_deep``). A body larger than
    ``MAX_CONTENT_LENGTH`` is a 413 before it is read."""
    payload = None
    if request.is_json:
        try:
            payload = json.loads(request.get_data(cache=True), parse_constant=_Constant)
        except RecursionError:  # deeper than the reader's stack: far past the limit
            raise ValidationFailed([too_deep("/")]) from None
        except ValueError:  # not JSON, not UTF-8, or an integer too long to read
            payload = None
    if not isinstance(payload, dict):
        raise ValidationFailed([Violation("", "type", "Send a JSON object (Content-Type: application/json).")])
    if nesting(payload) > MAX_NESTING:  # before anything walks it
        raise ValidationFailed([too_deep("/")])
    problems = list(_unreadable(payload, ()))
    if problems:
        raise ValidationFailed(problems)
    return schema.load(payload)


def _unreadable(value: Any, parts: tuple[Any, ...]) -> Iterator[Violation]:
    """Where a body holds a constant that is no JSON number, or text (a key too) that no store
    keeps (:func:`goldsieve.limits.storable_text`): refused at the API, whatever field it is."""
    if isinstance(value, _Constant):
        yield Violation(pointer("", parts), "type", f"{value.token} is not a JSON number: send a finite number.")
    elif isinstance(value, str) and not storable_text(value):
        yield text_violation(pointer("", parts))
    elif isinstance(value, dict):
        for key, item in value.items():
            if storable_text(key):
                yield from _unreadable(item, (*parts, key))
            else:
                yield text_violation(pointer("", (*parts, shown_key(key))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unreadable(item, (*parts, index))


def authenticate():
    """The bearer token's user in ``g.user``, or 401 (a public view needs none)."""
    from goldsieve.ui.access import is_public

    if is_public(request.endpoint):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    runtime = current_runtime()
    user = (user_for_token(runtime.store, token.strip(), runtime.engine.clock)
            if scheme.lower() == "bearer" else None)
    if user is None:
        response, status = error_response(
            401, [Violation("", "unauthorized", "Send a valid API token: Authorization: Bearer <token>.")]
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="goldsieve"'
        return response, status
    g.user = user
    return None


def _invalid(error: ValidationFailed):
    return error_response(422, error.violations)


def _malformed(error: ValidationError):
    return error_response(422, marshmallow_violations(error))


def _not_found(error: NotFound):
    return error_response(404, [Violation("", "not_found", str(error))])


def _forbidden(error: Forbidden):
    """403; a plugin's :class:`~goldsieve.errors.Deny` adds its reason, in English."""
    reason = f": {error.denial.text('en')}" if error.denial is not None else ""
    return error_response(403, [Violation("", "forbidden", f"{error}{reason}")])


def _plugin_failed(error: PluginResultError):
    """A plugin's mistake: 500, naming the plugin and the hook (the operator's lead), never a
    ``TypeError``; the log keeps the traceback."""
    current_app.logger.error("%s", error, exc_info=error)
    return error_response(500, [Violation("", "plugin_error", str(error))])


#: a table's thing, where dropping the ``s`` does not make it
_SINGULAR = {"activities": "activity"}


def _conflict(error: Conflict):
    return error_response(
        409,
        [Violation("/version", "conflict",
                   f"Someone else changed this {_SINGULAR.get(error.table, error.table.rstrip('s'))}; "
                   "reload it and apply your "
                   "change again.")],
        current_version=error.actual,
    )


def register_error_handlers(blueprint: Blueprint) -> None:
    """The API's answers to the kernel's errors, on ``blueprint`` (the API's own, and every
    plugin blueprint made a token API by :func:`~goldsieve.web.api.tokens.token_api`)."""
    for error, handler in ((ValidationFailed, _invalid), (ValidationError, _malformed),
                           (NotFound, _not_found), (Forbidden, _forbidden), (Conflict, _conflict),
                           (PluginResultError, _plugin_failed)):
        blueprint.register_error_handler(error, handler)


token_api(bp)  # the API's own blueprint is the first token API


@bp.get("/health")
def health():
    current_runtime().store.count("users")
    return jsonify(status="ok", version=__version__)


@bp.get("/openapi.json")
def openapi():
    from .openapi import build_spec

    return jsonify(build_spec())


@bp.get("/funnels")
def list_funnels():
    schema = FunnelSummarySchema()
    return jsonify(items=[schema.dump(_funnel_summary(f)) for f in current_runtime().funnels])


@bp.get("/funnels/<funnel_id>")
def get_funnel(funnel_id: str):
    return jsonify(current_runtime().funnels.get(funnel_id).definition)


def _funnel_summary(funnel) -> dict:
    return {
        "id": funnel.id, "version": funnel.version, "title": funnel.title,
        "currency": funnel.currency,
        "stages": [{"id": s.id, "kind": s.kind, "title": s.title, "probability": s.probability}
                   for s in funnel.stages],
    }


@bp.post("/deals")
def create_deal():
    payload = body(DealCreateSchema())
    deal = current_runtime().engine.create(g.user, payload["funnel"], payload["title"], payload["data"],
                                   owner=payload.get("owner"), customer_id=payload["customer_id"])
    response = jsonify(dump_deal(deal))
    response.headers["Location"] = url_for("api.get_deal", deal_id=deal["id"])
    return response, 201


def limit_problems() -> tuple[int | None, list[Violation]]:
    """The ``limit`` query argument, and what is wrong with it."""
    limit = whole_number(request.args.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    if limit is None:
        return None, [Violation("/limit", "range", f"limit is a whole number from 1 to {MAX_LIMIT}.")]
    return limit, []


def paging() -> tuple[int | None, int]:
    """The ``cursor`` and ``limit`` query arguments, checked (422 lists both problems)."""
    args = request.args
    limit, problems = limit_problems()
    cursor = args.get("cursor")
    after = whole_number(cursor) if cursor is not None else None
    if cursor is not None and after is None:
        problems.append(Violation("/cursor", "invalid", "Use the next_cursor of a previous page."))
    if problems or limit is None:
        raise ValidationFailed(problems)
    return after, limit


def storable_args(*names: str) -> None:
    """422 naming each of these query arguments that holds text no store keeps (NUL, a lone
    surrogate): it could match nothing, and PostgreSQL refuses to be asked."""
    unstorable = [text_violation(f"/{name}") for name in names if not storable_text(request.args.get(name, ""))]
    if unstorable:
        raise ValidationFailed(unstorable)


@bp.get("/deals")
def list_deals():
    """The list view's query (:func:`goldsieve.deals.listing.read_criteria`): filters, the
    full-text ``q``, ``sort`` and its cursor; every problem of the query string at once."""
    engine = current_runtime().engine
    limit, problems = limit_problems()
    try:
        criteria, order, after = listing.read_criteria(request.args, list(engine.funnels))
    except ValidationFailed as error:
        raise ValidationFailed(error.violations + problems) from None
    if limit is None:
        raise ValidationFailed(problems)
    deals, next_cursor = listing.find(engine, g.user, criteria, order, after, limit)
    return jsonify(items=[dump_deal(d) for d in deals], next_cursor=next_cursor)


@bp.get("/audit")
def list_audit():
    """The audit log, newest first; only for those who may manage users (admins)."""
    if not current_runtime().engine.may(g.user, "manage_users"):
        raise Forbidden("Only administrators may read the audit log.")
    cursor, limit = paging()
    rows = find_audit(current_runtime().store, after=cursor, limit=limit)
    next_cursor = str(rows[-1]["id"]) if len(rows) == limit else None
    return jsonify(items=AuditEntrySchema(many=True).dump(rows), next_cursor=next_cursor)


@bp.get("/deals/<int:deal_id>")
def get_deal(deal_id: int):
    return jsonify(dump_deal(current_runtime().engine.get(g.user, deal_id)))


@bp.get("/deals/<int:deal_id>/history")
def deal_history(deal_id: int):
    events = current_runtime().engine.history(g.user, deal_id)
    return jsonify(items=[event_schema.dump(e) for e in events])


@bp.patch("/deals/<int:deal_id>")
def patch_deal(deal_id: int):
    payload = body(DealPatchSchema())
    deal = current_runtime().engine.update(g.user, deal_id, payload["data"], version=payload["version"],
                                   title=payload.get("title"),
                                   customer_id=payload.get("customer_id", UNCHANGED),
                                   bypass_gate=payload.get("bypass_gate"))
    return jsonify(dump_deal(deal))


@bp.post("/deals/<int:deal_id>/move")
def move_deal(deal_id: int):
    payload = body(MoveSchema())
    runtime = current_runtime()
    move = {"changes": payload["data"], "version": payload.get("version"), "lost_reason": payload.get("lost_reason"),
            "note": payload.get("note"), "bypass_gate": payload.get("bypass_gate")}
    if payload.get("next_step") is not None:
        deal = move_with_next_step(runtime.engine, runtime.activities, g.user, deal_id, payload["to"],
                                   payload["next_step"], **move)
    else:
        deal = runtime.engine.move(g.user, deal_id, payload["to"], **move)
    return jsonify(dump_deal(deal))


@bp.post("/deals/<int:deal_id>/reopen")
def reopen_deal(deal_id: int):
    payload = body(ReopenSchema())
    deal = current_runtime().engine.reopen(g.user, deal_id, to=payload.get("to"), version=payload.get("version"))
    return jsonify(dump_deal(deal))


@bp.post("/deals/<int:deal_id>/notes")
def add_note(deal_id: int):
    payload = body(NoteSchema())
    event = current_runtime().engine.add_note(g.user, deal_id, payload["text"])
    return jsonify(event_schema.dump(event)), 201
