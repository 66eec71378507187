"""Admin pages, for admins only: the audit log (who changed what, when, before → after) and the
outbox's pending and dead deliveries, with a retry button for the dead ones."""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from goldsieve.audit import find_audit
from goldsieve.delivery import deliveries
from goldsieve.errors import Forbidden, NotFound
from goldsieve.outbox import DEAD, PENDING

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def runtime():
    return current_app.extensions["goldsieve"]


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    return render_template("deals/not_found.html", forbidden=True), 403


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return render_template("deals/not_found.html"), 404


def require_admin() -> None:
    if not runtime().engine.may(g.user, "manage_users"):
        raise Forbidden("only administrators may see this")


def cursor_arg() -> int | None:
    cursor = request.args.get("cursor", "")
    return int(cursor) if cursor.isdigit() else None


@bp.get("/audit")
def audit():
    """A page of the audit log, newest first; "Older" pages on with ``?cursor=<last id>``."""
    require_admin()
    after = cursor_arg()
    rows = find_audit(runtime().store, after=after, limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("admin/audit.html", rows=rows, older=older)


@bp.get("/outbox")
def outbox():
    """Pending or (``?status=dead``) dead deliveries, newest first."""
    require_admin()
    status = DEAD if request.args.get("status") == DEAD else PENDING
    rows = deliveries(runtime().store, status, after=cursor_arg(), limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("admin/outbox.html", rows=rows, status=status, older=older)


@bp.post("/outbox/<int:row_id>/retry")
def retry_delivery(row_id: int):
    """Give a dead delivery a fresh set of attempts."""
    require_admin()
    runtime().dispatcher.retry(row_id)
    return redirect(url_for("admin.outbox", status=DEAD), code=303)
