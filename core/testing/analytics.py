"""Every analytics answer a workspace gives its users, to prove that two stores agree.

Moving a workspace to PostgreSQL (``goldsieve store copy``) must not change one number, and the
analytics may be computed on different paths per store (in Python from the history cache, or in
SQL): only the full answers, compared exactly, show that every path counts alike. So the
questions go through the app as its users ask them — the REST API with a bearer token, the
pages' CSV tables with a logged-in session, the exports within each user's scope — at one fixed
moment, and the answers come back as plain data, keyed by who asked what.

Used by ``tests/store/test_copy_analytics.py`` and ``bench/bench_copy.py``.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

#: The API's questions per funnel: this quarter (the default window) and the year up to now.
API_QUESTIONS = (
    "/api/v1/analytics/funnel?funnel={funnel}",
    "/api/v1/analytics/funnel?funnel={funnel}&from={year_ago}&to={tomorrow}",
    "/api/v1/analytics/trend?funnel={funnel}&interval=week",
    "/api/v1/analytics/trend?funnel={funnel}&interval=month",
    "/api/v1/analytics/trend?funnel={funnel}&interval=month&from={year_ago}&to={tomorrow}",
    "/api/v1/forecast?funnel={funnel}",
    "/api/v1/analytics/advice?funnel={funnel}",
)
#: The analytics page's CSV tables per funnel (a session, not a token, reaches them).
CSV_QUESTIONS = (
    "/analytics/{funnel}/stages.csv",
    "/analytics/{funnel}/stages.csv?from={year_ago}&to={tomorrow}",
    "/analytics/{funnel}/lost.csv?from={year_ago}&to={tomorrow}",
    "/analytics/{funnel}/trend.csv?interval=week",
    "/analytics/{funnel}/trend.csv?interval=month&from={year_ago}&to={tomorrow}",
)
EXPORTS = ("deals", "events")


def demo_askers() -> dict[str, str]:
    """A demo workspace's admin, a manager and a rep with their passwords: every kind of scope
    (all deals, a team's, one's own)."""
    from ..demo.builder import password_for

    return {name: password_for(name) for name in ("admin", "mgr.zhao", "rep.li")}


class Unanswered(RuntimeError):
    """A question got no successful answer: there is nothing to compare."""


def analytics_answers(workspace: str | Path, users: dict[str, str], now: datetime) -> dict[str, Any]:
    """Ask every question of every funnel as each user, with the clock stopped at ``now``.

    :param users: username -> password (the session for the CSV tables logs in with it).
    :returns: ``"<username> GET <path>"`` -> the JSON answer or the CSV table's lines, and
        ``"<username> export <what>"`` -> the lines of the CSV export of what the user may see.
    :raises Unanswered: a question answered other than 200.
    """
    from ..deals.exporting import export
    from ..people.users import find_user, issue_token
    from ..web.app import create_app

    app = create_app(workspace, clock=lambda: now,
                     config={"TESTING": True, "WTF_CSRF_ENABLED": False})
    runtime = app.extensions["goldsieve"]
    days = {"year_ago": (now - timedelta(days=365)).date().isoformat(),
            "tomorrow": (now + timedelta(days=1)).date().isoformat()}
    answers: dict[str, Any] = {}
    try:
        for username, password in users.items():
            headers = {"Authorization": f"Bearer {issue_token(runtime.store, username)}"}
            session = app.test_client()
            login = session.post("/login", data={"username": username, "password": password})
            if login.status_code != 302:
                raise Unanswered(f"{username} could not log in: {login.status_code}")
            for funnel in runtime.funnels:
                for template in API_QUESTIONS:
                    path = template.format(funnel=funnel.id, **days)
                    response = app.test_client().get(path, headers=headers)
                    answers[f"{username} GET {path}"] = _answered(username, path, response).get_json()
                for template in CSV_QUESTIONS:
                    path = template.format(funnel=funnel.id, **days)
                    answers[f"{username} GET {path}"] = _answered(username, path, session.get(path)).get_data(as_text=True).splitlines()
            for what in EXPORTS:
                out = io.StringIO()
                export(runtime, out, what=what, user=find_user(runtime.store, username))
                answers[f"{username} export {what}"] = out.getvalue().splitlines()
    finally:
        runtime.close()
    return answers


def _answered(username: str, path: str, response):
    if response.status_code != 200:
        raise Unanswered(f"{username} GET {path}: {response.status_code} "
                         f"{response.get_data(as_text=True)[:300]}")
    return response


def first_difference(before: Any, after: Any, where: str = "") -> str | None:
    """Where two answers first differ (a path into them and both values), or ``None``.

    Values compare with ``==`` and their type, so ``1`` and ``1.0`` (JSON's int and float) differ.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        for key in _keys(before, after):
            if key not in before or key not in after:
                side = "before" if key in before else "after"
                return f"{where}/{key}: only {side}"
            found = first_difference(before[key], after[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(before, list) and isinstance(after, list):
        for n, (a, b) in enumerate(zip(before, after)):
            found = first_difference(a, b, f"{where}/{n}")
            if found:
                return found
        if len(before) != len(after):
            return f"{where}: {len(before)} items before, {len(after)} after"
        return None
    if type(before) is not type(after) or before != after:
        return f"{where}: {_short(before)} before, {_short(after)} after"
    return None


def _keys(before: dict, after: dict) -> Iterable[Any]:
    return list(before) + [key for key in after if key not in before]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"
