"""The analytics' Activities tab: done activities per rep per week, and per stage and type, over
the window the other tabs use (:mod:`goldsieve.analytics.activity_counts`), for the deals the
reader may see."""
from __future__ import annotations

from datetime import timedelta

from babel.dates import format_skeleton
from flask import g, render_template
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from goldsieve.analytics.activity_counts import activity_counts
from goldsieve.web.app import current_runtime

from .activities import activity_label
from .analytics import _asked, bp
from .customers import service
from .i18n import text


@bp.get("/<funnel_id>/activities")
def activities_page(funnel_id: str):
    asked = _asked(funnel_id)
    runtime = current_runtime()
    counts = activity_counts(runtime.store, asked.funnel.id, runtime.engine.scope(g.user), asked.start, asked.end)
    titles = {s.id: text(s.title) or s.id for s in asked.funnel.stages}
    reps = sorted(counts.by_owner.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    names = {owner: service().display_name(owner) or owner for owner, _counts in reps}
    stages = [(titles.get(stage, stage) if stage else _("Stage not recorded"), activity_label(kind), n)
              for (stage, kind), n in sorted(counts.by_stage.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    return render_template(
        "analytics/activities.html", funnel=asked.funnel, asked=asked, counts=counts, reps=reps,
        names=names, stages=stages, funnels=list(runtime.funnels),
        # a week by its Monday, as the reader writes a day of a month ("Mar 2", "3月2日")
        weeks=[format_skeleton("MMMd", w, locale=get_locale()) for w in counts.weeks],
        first=format_date(asked.start, "medium"), last=format_date(asked.end - timedelta(days=1), "medium"))
