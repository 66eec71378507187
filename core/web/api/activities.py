"""REST endpoints of activities (docs/activities.md)."""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from ...analytics.activity_counts import activity_counts
from ...deals.activities import STATUSES
from ...errors import ValidationFailed, Violation
from ...limits import whole_number
from ..app import current_runtime
from .analytics import asked_funnel, asked_window
from .routes import body, bp, storable_args
from .schemas import ActivityCreateSchema, ActivityDoneSchema, ActivityPatchSchema, ActivitySchema

activity_schema = ActivitySchema()


@bp.get("/activities")
def list_activities():
    """The activities of a deal (``deal``) or a customer (``customer``) you may see, else your
    own; ``type`` and ``status`` (planned, done) narrow them."""
    args = request.args
    storable_args("type", "status")
    problems, ids = [], {}
    for name in ("deal", "customer"):
        text = args.get(name)
        ids[name] = whole_number(text) if text is not None else None
        if text is not None and ids[name] is None:
            problems.append(Violation(f"/{name}", "invalid", f"{name} is an id."))
    status = args.get("status")
    if status is not None and status not in STATUSES:
        problems.append(Violation("/status", "enum", "status is planned or done."))
    if problems:
        raise ValidationFailed(problems)
    rows = current_runtime().activities.list(g.user, deal_id=ids["deal"], customer_id=ids["customer"],
                                             type_id=args.get("type"), status=status)
    return jsonify(items=activity_schema.dump(rows, many=True))


@bp.post("/activities")
def create_activity():
    payload = body(ActivityCreateSchema())
    type_id = payload.pop("type")
    activity = current_runtime().activities.create(g.user, type_id, **payload)
    response = jsonify(activity_schema.dump(activity))
    response.headers["Location"] = url_for("api.get_activity", activity_id=activity["id"])
    return response, 201


@bp.get("/activities/<int:activity_id>")
def get_activity(activity_id: int):
    return jsonify(activity_schema.dump(current_runtime().activities.get(g.user, activity_id)))


@bp.patch("/activities/<int:activity_id>")
def patch_activity(activity_id: int):
    activities = current_runtime().activities
    activities.get(g.user, activity_id)  # a hidden activity is a 404 before its body is read
    payload = body(ActivityPatchSchema())
    version, data = payload.pop("version"), payload.pop("data")
    return jsonify(activity_schema.dump(activities.change(g.user, activity_id, version, payload, data)))


@bp.post("/activities/<int:activity_id>/done")
def complete_activity(activity_id: int):
    activities = current_runtime().activities
    activities.get(g.user, activity_id)
    payload = body(ActivityDoneSchema())
    return jsonify(activity_schema.dump(activities.complete(g.user, activity_id, payload.pop("version", None),
                                                            **payload)))


@bp.get("/analytics/activities")
def analytics_activities():
    """Done activities on the funnel's deals you may see in [from, to): per rep per week, and
    per stage and type (docs/analytics.md)."""
    funnel = asked_funnel()
    start, end = asked_window()
    counts = activity_counts(current_runtime().store, funnel.id, current_runtime().engine.scope(g.user), start, end)
    return jsonify(funnel=funnel.id, **{"from": start.isoformat(), "to": end.isoformat()}, **counts.as_json())
