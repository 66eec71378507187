"""The OpenAPI document, generated from the marshmallow schemas with apispec."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from ... import __version__
from ...analytics.windows import FIRST_YEAR, INTERVALS, LAST_YEAR, YEAR_PATTERN
from ...deals import listing
from ...limits import MAX_ID, MAX_NESTING
from ..app import MAX_REQUEST_BYTES
from . import schemas as s
from .routes import MAX_LIMIT


def _json(schema: str | dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


#: An example of every request body, as the software template's funnel takes it: the reference
#: (``/api/docs``) fills "Try it out" with it, and a test loads each through its schema.
EXAMPLES: dict[str, dict] = {
    "DealCreate": {"funnel": "software", "title": "Acme ERP rollout",
                   "data": {"company": "Acme Ltd.", "source": "referral", "amount": 120000}},
    "DealPatch": {"data": {"amount": 135000, "phone": None}, "version": 3},
    "Move": {"to": "qualified", "version": 3,
             "data": {"needs_survey": "40 seats, start in Q3", "decision_maker": "Li Wei, CIO"}},
    "Reopen": {"to": "negotiation", "version": 7},
    "Note": {"text": "Called the purchasing lead; the decision is due on Friday."},
    "Lead": {"funnel": "software", "title": "Trade fair lead: Beta GmbH",
             "data": {"company": "Beta GmbH", "source": "event"}},
    "CustomerCreate": {"name": "广州白云医院", "data": {}},
    "CustomerPatch": {"name": "广州市白云区人民医院", "data": {}, "version": 2},
    "ContactCreate": {"customer_id": 12, "name": "王芳", "role": "decision_maker", "data": {},
                      "primary": True},
    "ContactPatch": {"role": "purchaser", "data": {"email": "wang.fang@example.cn"}, "version": 2},
    "CustomerMerge": {"into": 12},
    "DealAssign": {"owner": "rep.wang", "version": 4},
    "CustomerAssign": {"owner": "rep.wang", "with_open_deals": True, "version": 2},
    "HandoverRequest": {"to": "rep.wang", "dry_run": True},
    "TaskCreate": {"deal_id": 42, "title": "Send the revised quote", "assignee": "rep.li",
                   "due": "2026-12-10T09:00:00Z"},
    "TaskPatch": {"due": "2026-12-11T09:00:00Z", "assignee": "rep.wang", "version": 2},
    "TaskReopen": {"version": 3},
    "ActivityCreate": {"type": "visit", "deal_id": 42, "contact_ids": [7], "done_at": "2026-12-03T10:30:00+08:00",
                       "duration_minutes": 45, "outcome": "The head of radiology wants a demo", "data": {},
                       "location": {"lat": 23.13, "lon": 113.26}},
    "ActivityPatch": {"due_at": "2026-12-11T09:00:00Z", "outcome": "Moved at the client's request", "version": 1},
    "ActivityDone": {"outcome": "Demo went well; quote next", "duration_minutes": 60, "version": 1},
    "Bulk": {"action": "move", "to": "qualified", "mode": "each",
             "deals": [{"id": 41, "version": 3}, {"id": 42}]},
}


def _body(name: str) -> dict:
    """A request body of the schema ``name``, with its example."""
    return {"required": True,
            "content": {"application/json": {"schema": name, "example": EXAMPLES[name]}}}


#: The reference's sections, by a path's first part after ``/api/v1/``.
TAGS = {"deals": "Deals", "leads": "Deals", "funnels": "Funnels", "customers": "Customers",
        "contacts": "Customers", "activities": "Your work", "tasks": "Your work", "notifications": "Your work",
        "analytics": "Analytics", "forecast": "Analytics", "audit": "Administration",
        "users": "Administration", "health": "Administration"}


def _responses(ok: int, schema: str | dict, *failures: int, duplicate: bool = False) -> dict:
    out = {str(ok): {"description": "success", **_json(schema)}}
    reasons = {401: "missing or invalid token", 403: "you may see it but not do this",
               404: "no such thing, or not visible to you",
               409: "stale version",
               422: "invalid request; every problem listed: a field's rule, `unknown_field` (a data "
                    "key the funnel does not declare, unless it says `extra_fields`), `too_deep` "
                    f"(a body nested beyond {MAX_NESTING} levels), `invalid` (NUL or broken Unicode)"}
    for code in failures:
        out[str(code)] = {"description": reasons[code], **_json("Conflict" if code == 409 else "Error")}
    if duplicate:
        out["409"] = {"description": "stale version, or the same match key as another customer",
                      "content": {"application/json": {"schema": {"oneOf": [
                          {"$ref": "#/components/schemas/Conflict"},
                          {"$ref": "#/components/schemas/Duplicate"}]}}}}
    return out


#: An id in a path, as the app's ``<int:…>`` converter reads it (ASCII digits up to MAX_ID).
ID = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
DEAL_ID = {"name": "deal_id", "in": "path", "required": True, "schema": ID}
#: ``cursor`` and ``limit`` as ``routes.paging`` reads them.
PAGING = [{"name": "cursor", "in": "query", "schema": ID},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}]


#: The deal list's query string, as ``listing.read_criteria`` reads it.
LIST_QUERY = [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": listing.MAX_QUERY},
     "description": "Search titles, declared text fields, customers' and contacts' names"},
    {"name": "funnel", "in": "query", "schema": {"type": "string"}},
    {"name": "stage", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
     "style": "form", "explode": True},
    {"name": "owner", "in": "query", "schema": {"type": "string"}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(listing.STATUSES)}},
    {"name": "customer", "in": "query", "schema": ID},
    {"name": "stale", "in": "query", "schema": {"type": "boolean"}},
    {"name": "next_step", "in": "query", "schema": {"type": "string", "enum": ["none"]},
     "description": "none: only open deals without a planned activity"},
    {"name": "activity", "in": "query", "schema": {"type": "string", "maxLength": 200},
     "description": "An activity type: only deals with a done activity of that type"},
    {"name": "sort", "in": "query", "schema": {"type": "string"},
     "description": f"One of {', '.join(listing.SORT_COLUMNS)} or data.<field>; a leading - sorts descending"},
    {"name": "filters", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "object", "additionalProperties": {"type": "string"}},
     "description": "min.<field> and max.<field> (numbers, dates; inclusive), in.<field> (choices, repeated)"},
    {"name": "cursor", "in": "query", "schema": {"type": "string"},
     "description": "The next_cursor of the previous page (a deal id when not sorted)"},
    PAGING[1],
]


@lru_cache(maxsize=1)
def build_spec() -> dict:
    spec = APISpec(
        title="goldsieve", version=__version__, openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "Sales funnels: deals, stages, gates and their history; customers, the "
                             "customer pool and contacts. Every call but `health` needs an API token "
                             "(`goldsieve users token NAME`): `Authorization: Bearer <token>`."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in ("Error", "Conflict", "Deal", "DealPage", "DealCreate", "DealPatch", "Move", "Reopen",
                 "Note", "Event", "EventPage", "FunnelSummary", "FunnelList", "Health", "AuditEntry",
                 "AuditPage", "Task", "TaskPage", "Notification", "NotificationPage", "Lead",
                 "Customer", "CustomerPage", "CustomerCreate", "CustomerPatch", "CustomerMerge", "Duplicate", "Contact",
                 "ContactPage", "ContactCreate", "ContactPatch", "DealAssign", "CustomerAssign", "CustomerAssigned",
                 "HandoverRequest", "Handover", "TaskCreate", "TaskPatch", "TaskReopen", "Bulk", "BulkResult",
                 "Location", "Activity", "ActivityPage", "ActivityCreate", "ActivityPatch", "ActivityDone"):
        spec.components.schema(name, schema=getattr(s, f"{name}Schema"))

    secured = [{"bearer": []}]
    spec.path("/api/v1/health", operations={"get": {
        "summary": "Liveness and store check", "responses": _responses(200, "Health")}})
    spec.path("/api/v1/funnels", operations={"get": {
        "summary": "Funnels of the workspace", "security": secured,
        "responses": _responses(200, "FunnelList", 401)}})
    spec.path("/api/v1/funnels/{funnel_id}", operations={"get": {
        "summary": "A funnel's definition", "security": secured,
        "parameters": [{"name": "funnel_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": _responses(200, {"type": "object"}, 401, 404)}})
    spec.path("/api/v1/deals", operations={
        "get": {"summary": "A page of the deals you may see (open, won and lost), newest first or "
                           "by `sort`; filters as in the list view (docs/deal-list.md)",
                "security": secured, "parameters": LIST_QUERY,
                "responses": _responses(200, "DealPage", 401, 422)},
        "post": {"summary": "Create a deal in its funnel's first stage", "security": secured,
                 "requestBody": _body("DealCreate"), "responses": _responses(201, "Deal", 401, 403, 404, 422)},
    })
    spec.path("/api/v1/deals/{deal_id}", operations={
        "get": {"summary": "One deal", "security": secured, "parameters": [DEAL_ID],
                "responses": _responses(200, "Deal", 401, 404)},
        "patch": {"summary": "Change a deal's fields", "security": secured, "parameters": [DEAL_ID],
                  "requestBody": _body("DealPatch"), "responses": _responses(200, "Deal", 401, 403, 404, 409, 422)},
    })
    spec.path("/api/v1/deals/{deal_id}/history", operations={"get": {
        "summary": "The deal's events, oldest first", "security": secured, "parameters": [DEAL_ID],
        "responses": _responses(200, "EventPage", 401, 404)}})
    spec.path("/api/v1/deals/{deal_id}/move", operations={"post": {
        "summary": "Move a deal to a stage through its gates (an admin may bypass them, with a reason)",
        "security": secured,
        "parameters": [DEAL_ID], "requestBody": _body("Move"),
        "responses": _responses(200, "Deal", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/deals/{deal_id}/reopen", operations={"post": {
        "summary": "Reopen a won or lost deal", "security": secured, "parameters": [DEAL_ID],
        "requestBody": _body("Reopen"), "responses": _responses(200, "Deal", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/deals/{deal_id}/notes", operations={"post": {
        "summary": "Add a note to the deal's history", "security": secured, "parameters": [DEAL_ID],
        "requestBody": _body("Note"), "responses": _responses(201, "Event", 401, 403, 404, 422)}})
    spec.path("/api/v1/audit", operations={"get": {
        "summary": "The audit log, newest first (admin only)", "security": secured,
        "parameters": PAGING, "responses": _responses(200, "AuditPage", 401, 403, 422)}})
    task_id = [{"name": "task_id", "in": "path", "required": True, "schema": ID}]
    spec.path("/api/v1/tasks", operations={
        "get": {"summary": "Your tasks on deals you can see", "security": secured,
                "parameters": [{"name": "done", "in": "query", "schema": {"type": "string"}}],
                "responses": _responses(200, "TaskPage", 401)},
        "post": {"summary": "A task by hand on a deal you may change", "security": secured,
                 "requestBody": _body("TaskCreate"), "responses": _responses(201, "Task", 401, 403, 404, 422)}})
    spec.path("/api/v1/tasks/{task_id}", operations={"patch": {
        "summary": "Change a task's title, due time or assignee", "security": secured,
        "parameters": task_id, "requestBody": _body("TaskPatch"),
        "responses": _responses(200, "Task", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/tasks/{task_id}/reopen", operations={"post": {
        "summary": "Reopen a done task", "security": secured, "parameters": task_id,
        "requestBody": _body("TaskReopen"), "responses": _responses(200, "Task", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/tasks/{task_id}/done", operations={"post": {
        "summary": "Mark a task done (counts as activity on its deal)", "security": secured,
        "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": ID}],
        "responses": _responses(200, "Task", 401, 403, 404, 422)}})
    spec.path("/api/v1/notifications", operations={"get": {
        "summary": "Your notifications, newest first", "security": secured,
        "parameters": [{"name": "unread", "in": "query", "schema": {"type": "string"}}, *PAGING],
        "responses": _responses(200, "NotificationPage", 401, 422)}})
    spec.path("/api/v1/notifications/{notification_id}/read", operations={"post": {
        "summary": "Mark one of your notifications read", "security": secured,
        "parameters": [{"name": "notification_id", "in": "path", "required": True, "schema": ID}],
        "responses": _responses(200, {"type": "object"}, 401, 404)}})
    spec.path("/api/v1/leads", operations={"post": {
        "summary": "A lead: created in the funnel's first stage, owned by whom its assignment rule picks",
        "security": secured, "requestBody": _body("Lead"),
        "responses": _responses(201, "Deal", 401, 403, 404, 422)}})
    _analytics_paths(spec, secured)
    _customer_paths(spec, secured)
    _assignment_paths(spec, secured)
    _activity_paths(spec, secured)
    document = spec.to_dict()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            operation.setdefault("tags", [TAGS[path.split("/")[3]]])
            if "requestBody" in operation:
                operation["responses"]["413"] = {
                    "description": "the body is larger than `max_request_bytes` (goldsieve.toml; "
                                   f"{MAX_REQUEST_BYTES // 2**20} MiB unless set)",
                    **_json({"$ref": "#/components/schemas/Error"})}  # resolved: the document is built
    return document


def _customer_paths(spec: APISpec, secured: list) -> None:
    """Customers, the pool and contacts (docs/records.md)."""
    customer_id = [{"name": "customer_id", "in": "path", "required": True, "schema": ID}]
    query = [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
        ("q", "string"), ("owner", "string"), ("pool", "boolean"))] + PAGING
    spec.path("/api/v1/customers", operations={
        "get": {"summary": "A page of the customers you may see, newest first", "security": secured,
                "parameters": query, "responses": _responses(200, "CustomerPage", 401, 422)},
        "post": {"summary": "Create a customer you own", "security": secured,
                 "requestBody": _body("CustomerCreate"),
                 "responses": _responses(201, "Customer", 401, 403, 422, duplicate=True)},
    })
    spec.path("/api/v1/customers/{customer_id}", operations={
        "get": {"summary": "One customer", "security": secured, "parameters": customer_id,
                "responses": _responses(200, "Customer", 401, 404)},
        "patch": {"summary": "Change a customer's name and fields", "security": secured,
                  "parameters": customer_id, "requestBody": _body("CustomerPatch"),
                  "responses": _responses(200, "Customer", 401, 403, 404, 422, duplicate=True)},
    })
    for action, summary in (("claim", "Claim a customer from the pool"),
                            ("release", "Put a customer back in the pool")):
        spec.path(f"/api/v1/customers/{{customer_id}}/{action}", operations={"post": {
            "summary": summary, "security": secured, "parameters": customer_id,
            "responses": _responses(200, "Customer", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/customers/{customer_id}/merge", operations={"post": {
        "summary": "Merge this customer into another (manager, admin): its deals, contacts and "
                   "match keys move there, and it stays as a redirect (merged_into); answers the survivor",
        "security": secured, "parameters": customer_id, "requestBody": _body("CustomerMerge"),
        "responses": _responses(200, "Customer", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/contacts", operations={
        "get": {"summary": "The contacts of a customer you may see", "security": secured,
                "parameters": [{"name": "customer", "in": "query", "required": True, "schema": ID}],
                "responses": _responses(200, "ContactPage", 401, 404, 422)},
        "post": {"summary": "Add a contact to a customer you may change", "security": secured,
                 "requestBody": _body("ContactCreate"), "responses": _responses(201, "Contact", 401, 403, 422)},
    })
    contact_id = [{"name": "contact_id", "in": "path", "required": True, "schema": ID}]
    spec.path("/api/v1/contacts/{contact_id}", operations={
        "get": {"summary": "One contact of a customer you may see", "security": secured,
                "parameters": contact_id, "responses": _responses(200, "Contact", 401, 404)},
        "patch": {"summary": "Change a contact's name, role, fields or primary mark; what is left out stays",
                  "security": secured, "parameters": contact_id, "requestBody": _body("ContactPatch"),
                  "responses": _responses(200, "Contact", 401, 403, 404, 409, 422)},
    })


def _activity_paths(spec: APISpec, secured: list) -> None:
    """Activities on deals and customers (docs/activities.md)."""
    activity_id = [{"name": "activity_id", "in": "path", "required": True, "schema": ID}]
    query = [{"name": "deal", "in": "query", "schema": ID}, {"name": "customer", "in": "query", "schema": ID},
             {"name": "type", "in": "query", "schema": {"type": "string"}},
             {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["planned", "done"]}}]
    spec.path("/api/v1/activities", operations={
        "get": {"summary": "The activities of a deal or customer you may see (without either: yours), "
                           "planned ones by due time first, then done ones newest first",
                "security": secured, "parameters": query, "responses": _responses(200, "ActivityPage", 401, 404, 422)},
        "post": {"summary": "Log a done activity (done_at) or plan one (due_at) on a deal and/or a customer",
                 "security": secured, "requestBody": _body("ActivityCreate"),
                 "responses": _responses(201, "Activity", 401, 403, 409, 422)},
    })
    spec.path("/api/v1/activities/{activity_id}", operations={
        "get": {"summary": "One activity", "security": secured, "parameters": activity_id,
                "responses": _responses(200, "Activity", 401, 404)},
        "patch": {"summary": "Change an activity's due time, contacts, owner, duration, outcome, data or location",
                  "security": secured, "parameters": activity_id, "requestBody": _body("ActivityPatch"),
                  "responses": _responses(200, "Activity", 401, 403, 404, 409, 422)},
    })
    spec.path("/api/v1/activities/{activity_id}/done", operations={"post": {
        "summary": "Mark a planned activity done", "security": secured, "parameters": activity_id,
        "requestBody": _body("ActivityDone"), "responses": _responses(200, "Activity", 401, 403, 404, 409, 422)}})


def _assignment_paths(spec: APISpec, secured: list) -> None:
    """Giving deals and customers to another user; a leaver's hand-over (docs/reassignment.md)."""
    spec.path("/api/v1/deals/bulk", operations={"post": {
        "summary": "One change (assign, move, set a field, add a task) for many deals, each through the same "
                   "rules as a single change; each refused deal listed with its reasons",
        "security": secured, "requestBody": _body("Bulk"), "responses": _bulk_responses()}})
    spec.path("/api/v1/deals/{deal_id}/assign", operations={"post": {
        "summary": "Give a deal to another user (reassign: a manager within the team, an admin "
                   "to anyone)", "security": secured, "parameters": [DEAL_ID],
        "requestBody": _body("DealAssign"), "responses": _responses(200, "Deal", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/customers/{customer_id}/assign", operations={"post": {
        "summary": "Give a customer, with or without its open deals, to another user",
        "security": secured,
        "parameters": [{"name": "customer_id", "in": "path", "required": True, "schema": ID}],
        "requestBody": _body("CustomerAssign"),
        "responses": _responses(200, "CustomerAssigned", 401, 403, 404, 409, 422)}})
    spec.path("/api/v1/users/{username}/hand-over", operations={"post": {
        "summary": "Hand over a user's open deals, customers and open tasks to another (admin only)",
        "security": secured,
        "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": _body("HandoverRequest"),
        "responses": _responses(200, "Handover", 401, 403, 409, 422)}})


def _bulk_responses() -> dict:
    """A bulk change's 422 is also its result when ``mode`` is ``all`` and a deal is refused."""
    responses = _responses(200, "BulkResult", 401, 422)
    responses["422"]["description"] += ("; with mode all, also when some deal would be refused: "
                                         "nothing written, items say which and why")
    responses["422"]["content"]["application/json"]["schema"] = {"oneOf": [
        {"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/BulkResult"}]}
    return responses


def _analytics_paths(spec: APISpec, secured: list) -> None:
    """The analytics endpoints (docs/analytics.md defines every number they return)."""
    day = {"type": "string", "format": "date", "pattern": f"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}$",
           "description": f"YYYY-MM-DD, a year from {FIRST_YEAR} to {LAST_YEAR}; `to` is exclusive"}
    schemas = {
        "funnel": {"type": "string"}, "from": day, "to": day, "interval": {"enum": list(INTERVALS)},
        "quarter": {"type": "string", "pattern": f"^{YEAR_PATTERN}-?[Qq][1-4]$",
                    "description": f"like 2026Q4, a year from {FIRST_YEAR} to {LAST_YEAR}"},
        "field": {"type": "string", "description": "a field of records/customer.json (not a list or an object)"},
    }

    def params(*names: str) -> list[dict]:
        return [{"name": n, "in": "query", "required": n in ("funnel", "field"), "schema": schemas[n]}
                for n in names]

    for path, summary, names in (
        ("/api/v1/analytics/funnel", "Per-stage conversion, losses, dwell and current deals in [from, to)",
         ("funnel", "from", "to")),
        ("/api/v1/analytics/trend", "Conversion per stage by week or month", ("funnel", "from", "to", "interval")),
        ("/api/v1/forecast", "The quarter's forecast (weighted and empirical, p10-p90) and its backtest",
         ("funnel", "quarter")),
        ("/api/v1/analytics/advice", "Stage advisor suggestions with their numbers", ("funnel", "from", "to")),
        ("/api/v1/analytics/activities", "Done activities per rep per week, and per stage and type, in [from, to)",
         ("funnel", "from", "to")),
        ("/api/v1/analytics/customers", "Win rate and won amount of the deals closed in [from, to), by a "
         "declared customer field", ("funnel", "field", "from", "to")),
        ("/api/v1/analytics/pool", "Customers into the pool and claimed from it, per week of [from, to)",
         ("from", "to")),
    ):
        spec.path(path, operations={"get": {
            "summary": summary, "security": secured, "parameters": params(*names),
            "responses": _responses(200, {"type": "object"}, 401, 404, 422)}})
