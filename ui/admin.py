"""Admin pages: the audit log (who changed what, when, before → after), for admins only.

Every admin blueprint (this one, users, teams) guards all its routes with :func:`admins_only`,
so a route added to one of them later cannot forget the check.
"""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from goldsieve.audit import find_audit

from .auth import runtime

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def admins_only():
    """Before every request of an admin blueprint: 403 unless the user may manage users
    (the ``goldsieve_permission`` action ``manage_users``, admins by default)."""
    if g.user is not None and not runtime().engine.may(g.user, "manage_users"):
        return render_template("deals/not_found.html", forbidden=True), 403
    return None


bp.before_request(admins_only)


@bp.get("/audit")
def audit():
    """A page of the audit log, newest first; "Older" pages on with ``?cursor=<last id>``."""
    cursor = request.args.get("cursor", "")
    after = int(cursor) if cursor.isdigit() else None
    rows = find_audit(runtime().store, after=after, limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("admin/audit.html", rows=rows, older=older)
