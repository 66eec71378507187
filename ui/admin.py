"""Admin pages: the audit log (who changed what, when, before → after), for admins only."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from goldsieve.audit import find_audit
from goldsieve.errors import Forbidden

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def runtime():
    return current_app.extensions["goldsieve"]


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden):
    return render_template("deals/not_found.html", forbidden=True), 403


@bp.get("/audit")
def audit():
    """A page of the audit log, newest first; "Older" pages on with ``?cursor=<last id>``."""
    if not runtime().engine.may(g.user, "manage_users"):
        raise Forbidden("only administrators may read the audit log")
    cursor = request.args.get("cursor", "")
    after = int(cursor) if cursor.isdigit() else None
    rows = find_audit(runtime().store, after=after, limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("admin/audit.html", rows=rows, older=older)
