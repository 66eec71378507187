"""The fixed shapes of the REST API, as marshmallow schemas; the OpenAPI document is built from them."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ...limits import MAX_ID

#: A version as a client sends it back (deals, customers): the store starts at 1 and counts up.
VERSION = validate.Range(min=1, max=MAX_ID)
#: An id a client names in a body: the store's ids start at 1.
ID = validate.Range(min=1, max=MAX_ID)


class JsonBoolean(fields.Boolean):
    """A request's ``true`` or ``false``, and nothing else.

    marshmallow's own also takes ``0``, ``1``, ``"yes"`` and ``"false"`` (a string): the
    document says boolean, and a hand-over sent ``"dry_run": "false"`` would really run.
    """

    default_error_messages = {"invalid": "Send true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictSchema(Schema):
    """Request bodies refuse unknown keys: a client cannot set what the server owns."""

    class Meta:
        unknown = RAISE


class ErrorItemSchema(Schema):
    path = fields.String(required=True, metadata={"description": "JSON pointer into the request"})
    code = fields.String(required=True)
    message = fields.String(required=True)


class ErrorSchema(Schema):
    errors = fields.List(fields.Nested(ErrorItemSchema), required=True)


class ConflictSchema(ErrorSchema):
    """A 409 also says which version the deal is at now, so a client can reload and retry."""

    current_version = fields.Integer(required=True)


class DealSchema(Schema):
    id = fields.Integer(required=True)
    funnel = fields.String(required=True)
    funnel_version = fields.Integer(required=True)
    title = fields.String(required=True)
    stage = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "won", "lost"]))
    owner = fields.String(required=True)
    data = fields.Dict(required=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    stage_entered_at = fields.String(required=True)
    lost_reason = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True, dump_default=None,
                                 metadata={"description": "the customer the deal is for, if any"})
    next_activity_at = fields.String(allow_none=True, dump_default=None, metadata={
        "description": "when the deal's earliest planned activity is due (its next step); null: none planned"})


class DealPageSchema(Schema):
    items = fields.List(fields.Nested(DealSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DealCreateSchema(StrictSchema):
    funnel = fields.String(required=True)
    title = fields.String(required=True)
    data = fields.Dict(load_default=dict)
    owner = fields.String()
    customer_id = fields.Integer(allow_none=True, strict=True, load_default=None, validate=ID)


class DealPatchSchema(StrictSchema):
    data = fields.Dict(load_default=dict)
    title = fields.String()
    version = fields.Integer(required=True, strict=True, validate=VERSION)
    customer_id = fields.Integer(allow_none=True, strict=True, validate=ID,
                                 metadata={"description": "a customer you may see; null unlinks it"})
    bypass_gate = fields.String(allow_none=True, metadata={"description": (
        "Admins only (permission bypass_gate; anyone else gets 403): the reason, 1-500 characters, "
        "for saving an edit that breaks what the deal's stage requires (its cumulative gates) "
        "anyway. What the gates object is recorded in an edit_bypassed event and the audit log "
        "instead of refusing; every other problem still answers 422.")})


class MoveSchema(StrictSchema):
    to = fields.String(required=True)
    data = fields.Dict(load_default=dict)
    lost_reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    version = fields.Integer(strict=True, validate=VERSION)
    bypass_gate = fields.String(allow_none=True, metadata={"description": (
        "Admins only (permission bypass_gate; anyone else gets 403): the reason, 1-500 characters, "
        "for moving past the stage's gates anyway. What the gates object is recorded in a "
        "gate_bypassed event and the audit log instead of refusing; every other problem still "
        "answers 422.")})
    next_step = fields.Dict(allow_none=True, metadata={"description": (
        "The deal's next step, planned with the move: an activity's type, due_at and optionally "
        "title, duration_minutes, contact_ids and outcome (a stage with `next_step: true` asks for one "
        "when the deal has none). Checked with the move; a refusal of either writes nothing."),
        "example": {"type": "visit", "due_at": "2026-03-02T09:00:00Z"}})


class ReopenSchema(StrictSchema):
    to = fields.String()
    version = fields.Integer(strict=True, validate=VERSION)


class NoteSchema(StrictSchema):
    text = fields.String(required=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    funnel = fields.String(required=True)
    funnel_version = fields.Integer(required=True)
    type = fields.String(required=True)
    at = fields.String(required=True)
    by = fields.String(required=True)
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String(allow_none=True)
    lost_reason = fields.String(allow_none=True)
    changes = fields.Dict()
    note = fields.String(allow_none=True)
    violations = fields.List(fields.Nested(ErrorItemSchema), metadata={
        "description": "gate_bypassed and edit_bypassed only: what the gates objected to (note holds the reason)"})


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)


class StageSummarySchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.Raw(required=True)
    probability = fields.Float(required=True)


class FunnelSummarySchema(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    title = fields.Raw(required=True)
    currency = fields.String(required=True)
    stages = fields.List(fields.Nested(StageSummarySchema), required=True)


class FunnelListSchema(Schema):
    items = fields.List(fields.Nested(FunnelSummarySchema), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    version = fields.String(required=True)


class AuditTargetSchema(Schema):
    type = fields.String(required=True)
    id = fields.Raw(allow_none=True, metadata={"description": "deal id, username or team name"})


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True)
    by = fields.String(allow_none=True, required=True)
    action = fields.String(required=True)
    target = fields.Nested(AuditTargetSchema, required=True)
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()), required=True,
                          metadata={"description": "field -> [before, after]; secrets are ***"})
    client = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class TaskSchema(Schema):
    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True)
    funnel = fields.String(required=True)
    title = fields.String(required=True)
    assignee = fields.String(required=True)
    due = fields.String(allow_none=True, required=True)
    done_at = fields.String(allow_none=True, required=True)
    done_by = fields.String(allow_none=True)
    overdue_at = fields.String(allow_none=True)
    created_at = fields.String(required=True)
    created_by = fields.String(required=True)
    version = fields.Integer(metadata={"description": "send it back with a change"})


class TaskCreateSchema(StrictSchema):
    deal_id = fields.Integer(required=True, strict=True, validate=ID)
    title = fields.String(required=True)
    assignee = fields.String(metadata={"description": "default: you"})
    due = fields.String(allow_none=True, load_default=None,
                        metadata={"description": "ISO 8601 with a time zone, e.g. 2026-03-01T09:00:00Z"})


class TaskPatchSchema(StrictSchema):
    title = fields.String()
    due = fields.String(allow_none=True, metadata={"description": "null: no due time"})
    assignee = fields.String(metadata={"description": "reassign the task"})
    version = fields.Integer(required=True, strict=True, validate=VERSION)


class TaskReopenSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION)


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    deal_id = fields.Integer(required=True, allow_none=True)
    funnel = fields.String(required=True, allow_none=True)
    customer_id = fields.Integer(allow_none=True, metadata={"description": "the customer it is about, if any"})
    text = fields.String(required=True)
    at = fields.String(required=True)
    read_at = fields.String(allow_none=True, required=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class LeadSchema(StrictSchema):
    funnel = fields.String(required=True)
    title = fields.String(required=True)
    data = fields.Dict(load_default=dict)


class CustomerSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    owner = fields.String(required=True, allow_none=True, metadata={"description": "null: in the pool"})
    team = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    last_activity_at = fields.String(required=True)
    merged_into = fields.Integer(allow_none=True, dump_default=None, metadata={
        "description": "the customer this one was merged into (then nothing changes it; use that "
                       "one); null: not merged"})


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CustomerCreateSchema(StrictSchema):
    name = fields.String(required=True)
    data = fields.Dict(load_default=dict)


class CustomerPatchSchema(StrictSchema):
    name = fields.String()
    data = fields.Dict(load_default=dict)
    version = fields.Integer(required=True, strict=True, validate=VERSION)


class CustomerMergeSchema(StrictSchema):
    into = fields.Integer(required=True, strict=True, validate=ID,
                          metadata={"description": "the surviving customer"})


class DuplicateSchema(ErrorSchema):
    """A 409 for a duplicate names the customer that already exists, and nothing of its data."""

    duplicate = fields.Dict(required=True, metadata={"description": "{id, owner}: the existing "
                                                     "customer's id and its owner's display name "
                                                     "(null: in the pool)"})


class ContactSchema(Schema):
    id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)
    primary = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    details_hidden = fields.Boolean(dump_default=False, metadata={
        "description": "true: a pool customer's contact, whose data your role sees only once the "
                       "customer is claimed ([pool] see_pool_contacts); data is then empty"})


class ContactPageSchema(Schema):
    items = fields.List(fields.Nested(ContactSchema), required=True)


class ContactCreateSchema(StrictSchema):
    customer_id = fields.Integer(required=True, strict=True, validate=ID)
    name = fields.String(required=True)
    role = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(load_default=dict)
    primary = JsonBoolean(load_default=False)


class ContactPatchSchema(StrictSchema):
    name = fields.String()
    role = fields.String(allow_none=True, metadata={"description": "one of the declared roles; null: none"})
    data = fields.Dict(load_default=dict, metadata={"description": "a merge patch of the declared fields"})
    primary = JsonBoolean(metadata={"description": "true: the customer's only primary contact"})
    version = fields.Integer(required=True, strict=True, validate=VERSION)


class DealAssignSchema(StrictSchema):
    owner = fields.String(required=True, metadata={"description": "the new owner's user name"})
    version = fields.Integer(strict=True, validate=VERSION)


class CustomerAssignSchema(StrictSchema):
    owner = fields.String(required=True, metadata={"description": "the new owner's user name"})
    with_open_deals = JsonBoolean(load_default=False, metadata={
        "description": "also give the customer's open deals that you see"})
    version = fields.Integer(strict=True, validate=VERSION)


class CustomerAssignedSchema(Schema):
    customer = fields.Nested(CustomerSchema, required=True)
    deals = fields.List(fields.Nested(DealSchema), required=True,
                        metadata={"description": "the open deals given with it"})


class HandoverRequestSchema(StrictSchema):
    to = fields.String(required=True, metadata={"description": "who gets everything"})
    dry_run = JsonBoolean(load_default=False)


class HandoverSchema(Schema):
    source = fields.String(required=True)
    target = fields.String(required=True)
    deals = fields.List(fields.Integer(), required=True)
    customers = fields.List(fields.Integer(), required=True)
    tasks = fields.List(fields.Integer(), required=True)
    tasks_left = fields.List(fields.Integer(), required=True, metadata={
        "description": "open tasks on deals the new owner cannot see: they stay"})
    skipped = fields.List(fields.String(), required=True, metadata={
        "description": "records changed meanwhile (deal:ID, customer:ID, task:ID): run it again"})


class BulkDealSchema(StrictSchema):
    id = fields.Integer(required=True, strict=True, validate=ID)
    version = fields.Integer(strict=True, validate=VERSION, metadata={
        "description": "the version you read: a deal at another one is refused (conflict)"})


class BulkSchema(StrictSchema):
    """One change for many deals (docs/deal-list.md): name them in ``deals``, or give the list's
    query in ``filter`` (its parameters as in GET /api/v1/deals) for every deal it shows."""

    action = fields.String(required=True, validate=validate.OneOf(["assign", "move", "set", "task"]))
    deals = fields.List(fields.Nested(BulkDealSchema), metadata={"description": "at most 1000"})
    filter = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "the list's query, e.g. {\"funnel\": \"software\", \"stage\": [\"lead\"]}; "
                       "at most 1000 deals may match"})
    mode = fields.String(load_default="each", validate=validate.OneOf(["each", "all"]), metadata={
        "description": "each: change every deal that can take it, list the others; all: change none "
                       "unless every one can"})
    owner = fields.String(metadata={"description": "assign: the new owner"})
    to = fields.String(metadata={"description": "move: the stage"})
    lost_reason = fields.String(allow_none=True, metadata={"description": "move to a lost stage"})
    field = fields.String(metadata={"description": "set: the data field"})
    value = fields.Raw(allow_none=True, metadata={"description": "set: its new value; null removes it"})
    title = fields.String(metadata={"description": "task: its title"})
    due = fields.String(allow_none=True, metadata={"description": "task: when it is due (ISO 8601)"})
    assignee = fields.String(allow_none=True, metadata={"description": "task: for whom (default: you)"})


class BulkItemSchema(Schema):
    id = fields.Integer(required=True)
    changed = fields.Boolean(required=True)
    errors = fields.List(fields.Nested(ErrorItemSchema), required=True,
                         metadata={"description": "why this deal was refused (empty: it was not)"})
    version = fields.Integer(allow_none=True, metadata={"description": "the deal's version now"})


class BulkResultSchema(Schema):
    changed = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    items = fields.List(fields.Nested(BulkItemSchema), required=True)


class LocationSchema(StrictSchema):
    lat = fields.Float(required=True, allow_nan=False, metadata={"description": "degrees, -90 to 90"})
    lon = fields.Float(required=True, allow_nan=False, metadata={"description": "degrees, -180 to 180"})


class ActivitySchema(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"description": "a type of records/activity.json"})
    title = fields.String(allow_none=True, metadata={"description": "its own title, or null (then its type names it)"})
    deal_id = fields.Integer(required=True, allow_none=True)
    customer_id = fields.Integer(required=True, allow_none=True)
    contact_ids = fields.List(fields.Integer(), required=True)
    owner = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["planned", "done"]))
    due_at = fields.String(required=True, allow_none=True)
    done_at = fields.String(required=True, allow_none=True)
    duration_minutes = fields.Integer(required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)
    location = fields.Dict(required=True, allow_none=True, metadata={"description": "{lat, lon} or null"})
    version = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    created_by = fields.String(required=True)
    done_by = fields.String(required=True, allow_none=True)


class ActivityPageSchema(Schema):
    items = fields.List(fields.Nested(ActivitySchema), required=True)


class ActivityCreateSchema(StrictSchema):
    type = fields.String(required=True)
    title = fields.String(allow_none=True, load_default=None, metadata={"description": "at most 200 characters"})
    deal_id = fields.Integer(strict=True, validate=ID, allow_none=True, load_default=None)
    customer_id = fields.Integer(strict=True, validate=ID, allow_none=True, load_default=None,
                                 metadata={"description": "default: the deal's customer"})
    contact_ids = fields.List(fields.Integer(strict=True, validate=ID), load_default=list)
    owner = fields.String(metadata={"description": "default: you"})
    due_at = fields.String(allow_none=True, load_default=None,
                           metadata={"description": "planned: ISO 8601 with a time zone"})
    done_at = fields.String(allow_none=True, load_default=None,
                            metadata={"description": "done: ISO 8601 with a time zone, not in the future"})
    duration_minutes = fields.Integer(strict=True, allow_none=True, load_default=None)
    outcome = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(load_default=dict)
    location = fields.Nested(LocationSchema, allow_none=True, load_default=None)


class ActivityPatchSchema(StrictSchema):
    title = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    contact_ids = fields.List(fields.Integer(strict=True, validate=ID))
    owner = fields.String()
    duration_minutes = fields.Integer(strict=True, allow_none=True)
    outcome = fields.String(allow_none=True)
    data = fields.Dict(load_default=dict)
    location = fields.Nested(LocationSchema, allow_none=True)
    version = fields.Integer(required=True, strict=True, validate=VERSION)


class ActivityDoneSchema(StrictSchema):
    version = fields.Integer(strict=True, validate=VERSION)
    done_at = fields.String(allow_none=True, load_default=None, metadata={"description": "default: now"})
    duration_minutes = fields.Integer(strict=True, allow_none=True, load_default=None)
    outcome = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(load_default=dict)
