"""REST endpoints of automation's people-facing side: my tasks, my notifications, leads."""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from ...deals.intake import take_leads
from ...deals import task_changes
from ...deals.tasks import complete_task, inbox, mark_read, my_tasks, unread_count
from ..app import current_runtime
from .routes import body, bp, dump_deal, paging
from .schemas import (
    LeadSchema,
    NotificationSchema,
    TaskCreateSchema,
    TaskPatchSchema,
    TaskReopenSchema,
    TaskSchema,
)


@bp.get("/tasks")
def list_tasks():
    """The caller's tasks on deals they can see; ``?done=1`` includes the finished ones."""
    tasks = my_tasks(current_runtime().engine, g.user, open_only=request.args.get("done") not in ("1", "true"))
    return jsonify(items=TaskSchema(many=True).dump(tasks))


@bp.post("/tasks")
def add_task():
    """A task by hand on a deal you may change (docs/tasks.md)."""
    payload = body(TaskCreateSchema())
    task = task_changes.create_task(current_runtime().engine, g.user, payload["deal_id"], payload["title"],
                                    payload.get("assignee"), payload["due"])
    return jsonify(TaskSchema().dump(task)), 201


@bp.patch("/tasks/<int:task_id>")
def patch_task(task_id: int):
    """Change a task's title, due time or assignee."""
    payload = body(TaskPatchSchema())
    task = task_changes.change_task(current_runtime().engine, g.user, task_id, payload["version"],
                                    **{k: payload.get(k, task_changes.UNCHANGED)
                                       for k in ("title", "due", "assignee")})
    return jsonify(TaskSchema().dump(task))


@bp.post("/tasks/<int:task_id>/reopen")
def reopen_task(task_id: int):
    payload = body(TaskReopenSchema())
    task = task_changes.reopen_task(current_runtime().engine, g.user, task_id, payload.get("version"))
    return jsonify(TaskSchema().dump(task))


@bp.post("/tasks/<int:task_id>/done")
def finish_task(task_id: int):
    return jsonify(TaskSchema().dump(complete_task(current_runtime().engine, g.user, task_id)))


@bp.get("/notifications")
def list_notifications():
    """The caller's own notifications, newest first; ``?unread=1`` only the unread ones."""
    cursor, limit = paging()
    store = current_runtime().store
    rows = inbox(store, g.user, unread_only=request.args.get("unread") in ("1", "true"),
                 after=cursor, limit=limit)
    return jsonify(items=NotificationSchema(many=True).dump(rows), unread=unread_count(store, g.user),
                   next_cursor=str(rows[-1]["id"]) if len(rows) == limit else None)


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int):
    mark_read(current_runtime().store, g.user, notification_id, current_runtime().engine.clock())
    return jsonify(unread=unread_count(current_runtime().store, g.user))


@bp.post("/leads")
def create_lead():
    """A lead from marketing: the funnel's first stage, an owner from its assignment rule."""
    payload = body(LeadSchema())
    rt = current_runtime()
    [deal] = take_leads(rt.engine, g.user, payload["funnel"],
                        [(payload["title"], payload["data"])])
    response = jsonify(dump_deal(deal))
    response.headers["Location"] = url_for("api.get_deal", deal_id=deal["id"])
    return response, 201
