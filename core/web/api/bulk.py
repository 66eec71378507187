"""``POST /api/v1/deals/bulk``: one change for many deals (:mod:`goldsieve.deals.bulk`)."""
from __future__ import annotations

from flask import g, jsonify
from werkzeug.datastructures import MultiDict

from ...deals import bulk, listing
from ...errors import ValidationFailed, Violation
from ..app import current_runtime
from .routes import body, bp
from .schemas import BulkResultSchema, BulkSchema


@bp.post("/deals/bulk")
def bulk_change():
    """200 with every deal's outcome; 422 when the request is wrong, or (``all``) when a deal
    would be refused — then nothing was written and ``items`` says which and why."""
    payload = body(BulkSchema())
    engine = current_runtime().engine
    if ("deals" in payload) == ("filter" in payload):
        raise ValidationFailed([Violation("/deals", "required", "Send either deals or filter.")])
    versions: dict[int, int] = {}
    if "deals" in payload:
        ids = [item["id"] for item in payload["deals"]]
        versions = {item["id"]: item["version"] for item in payload["deals"] if "version" in item}
    else:
        ids = matching(engine, payload["filter"])
    change = bulk.Change(payload["action"], owner=payload.get("owner"), to=payload.get("to"),
                         lost_reason=payload.get("lost_reason"), field=payload.get("field"),
                         value=payload.get("value"), title=payload.get("title"), due=payload.get("due"),
                         assignee=payload.get("assignee"))
    outcomes = bulk.apply(engine, g.user, ids, change, mode=payload["mode"], versions=versions)
    refused = sum(1 for o in outcomes if o.problems)
    result = {"changed": sum(1 for o in outcomes if o.changed), "refused": refused,
              "items": [{"id": o.deal_id, "changed": o.changed, "errors": [p.as_dict() for p in o.problems],
                         "version": o.deal["version"] if o.deal else None} for o in outcomes]}
    status = 422 if refused and payload["mode"] == "all" else 200
    return jsonify(BulkResultSchema().dump(result)), status


def matching(engine, query: dict) -> list[int]:
    """The ids of the deals the list's ``query`` shows (:func:`goldsieve.deals.bulk.matching`)."""
    args = MultiDict()
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                raise ValidationFailed([Violation(f"/filter/{key}", "type", "Filter values are text.")])
            args.add(key, item)
    try:
        criteria, _, _ = listing.read_criteria(args, list(engine.funnels), cursor=False)
    except ValidationFailed as error:
        raise ValidationFailed([Violation(f"/filter{v.path}", v.code, v.message)
                                for v in error.violations]) from None
    return bulk.matching(engine, g.user, criteria)
