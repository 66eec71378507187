"""Admin pages, for admins only: the audit log (who changed what, when, before → after) and the
outbox's pending and dead deliveries, with a retry button for the dead ones.

Every admin blueprint (this one, users, teams) guards all its routes with :func:`admins_only`,
so a route added to one of them later cannot forget the check.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for

from goldsieve.audit import find_audit
from goldsieve.automation.dispatch import deliveries
from goldsieve.deals.outbox import DEAD, PENDING
from goldsieve.web.app import current_runtime

from .params import whole_number_param

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def admins_only():
    """Before every request of an admin blueprint: 403 unless the user may manage users
    (the ``goldsieve_permission`` action ``manage_users``, admins by default); the page shows
    the reason of a plugin's ``Deny``."""
    if g.user is not None:
        current_runtime().engine.require(g.user, "manage_users")
    return None


bp.before_request(admins_only)


def cursor_arg() -> int | None:
    """The keyset cursor of a paged list (``?cursor=<last id>``)."""
    return whole_number_param("cursor")


@bp.get("/audit")
def audit():
    """A page of the audit log, newest first; "Older" pages on with ``?cursor=<last id>``."""
    rows = find_audit(current_runtime().store, after=cursor_arg(), limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    shown = [{**row, "shown": change_lines(row.get("changes"))} for row in rows]
    return render_template("admin/audit.html", rows=shown, older=older)


def change_lines(changes: Any) -> list[tuple[str, str, str | None]]:
    """A row's changes as the log shows them: ``(key, before, after)``, sorted by key; a change
    that is no ``[before, after]`` pair (or changes that are no object, as a row written by an
    older version or a plugin may hold) is shown whole, with ``after`` ``None``."""
    if not isinstance(changes, dict):
        return [("", audit_text(changes), None)] if changes else []
    return [(str(key), audit_text(pair[0]), audit_text(pair[1]))
            if isinstance(pair, list) and len(pair) == 2 else (str(key), audit_text(pair), None)
            for key, pair in sorted(changes.items(), key=lambda item: str(item[0]))]


def audit_text(value: Any) -> str:
    """One value of the log: "—" for none, text as it is, anything else as JSON (a summary's
    counts and ids, a gate), never Python's own notation."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@bp.get("/outbox")
def outbox():
    """Pending or (``?status=dead``) dead deliveries, newest first."""
    status = DEAD if request.args.get("status") == DEAD else PENDING
    rows = deliveries(current_runtime().store, status, after=cursor_arg(), limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("admin/outbox.html", rows=rows, status=status, older=older)


@bp.post("/outbox/<int:row_id>/retry")
def retry_delivery(row_id: int):
    """Give a dead delivery a fresh set of attempts."""
    current_runtime().dispatcher.retry(row_id)
    return redirect(url_for("admin.outbox", status=DEAD), code=303)
