"""The weekly digest as a page: what the signed-in manager's inbox gets this week, in their language.

Managers, executives and admins only (others get 403): the numbers are
:func:`goldsieve.automation.digest.build_digest` over the user's own visibility scope, so the page and the
inbox text agree.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, g, render_template

from goldsieve.automation.digest import HEADLINE, build_digest
from goldsieve.web.app import current_runtime

from .i18n import text

bp = Blueprint("digest", __name__)

#: The roles that read a digest: a manager and those above one.
READERS = frozenset({"manager", "executive", "admin"})


@bp.get("/digest")
def show():
    if g.user["role"] not in READERS:
        abort(403)
    runtime = current_runtime()
    digest = build_digest(runtime.engine, g.user, runtime.engine.clock(), runtime.histories)
    titles = {f.id: {s.id: text(s.title) or s.id for s in f.stages} for f in digest.definitions.values()}
    return render_template("digest/page.html", digest=digest, funnels=digest.definitions, titles=titles,
                           headline=HEADLINE, last_day=digest.end.date() - timedelta(days=1))
