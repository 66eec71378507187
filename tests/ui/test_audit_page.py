"""The audit page shows every row it holds: a summary's counts and ids as JSON, not Python's own
notation, and rows whose changes are no ``{key: [before, after]}`` (an older version's, a
plugin's) without breaking the page."""
from __future__ import annotations

import pytest

from goldsieve.audit import append, audit_entry


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


@pytest.mark.parametrize("changes, shown, hidden", [
    ({"stage_merged quote deals": [None, {"count": 2, "listed": [7, 9]}]},
     ["<code>stage_merged quote deals</code>: — → {&#34;count&#34;: 2, &#34;listed&#34;: [7, 9]}"], ["{&#39;count"]),
    ({"title": ["Old", "新"]}, ["<code>title</code>: Old → 新"], []),
    ({"summary": "3 deals move"}, ["<code>summary</code>: 3 deals move</li>"], []),
    (["stage split: quote → a, b"], ["[&#34;stage split: quote → a, b&#34;]"], []),
    ({"x": [1, 2, 3], 7: None}, ["<code>x</code>: [1, 2, 3]</li>", "<code>7</code>: —</li>"], []),
    ({"evil": ["<script>alert(1)</script>", {"<b>": "</li>"}]}, ["&lt;script&gt;"], ["<script>alert", "<b>"]),
])
def test_every_stored_shape_of_changes_is_shown(admin_browser, goldsieve_runtime, changes, shown, hidden):
    entry = audit_entry("admin", "funnel_applied", "funnel", "handmade")
    entry["changes"] = changes
    append(goldsieve_runtime.store, entry)
    page = admin_browser.get("/admin/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html
