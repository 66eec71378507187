"""Each headline figure is defined once: its id and label in goldsieve.analytics.figures match
docs/analytics.md, and the API reports carry exactly those figures with the numbers they name."""
from __future__ import annotations

import re
from pathlib import Path

from goldsieve.analytics.figures import BY_ID, FUNNEL, MONEY, QUARTER, SHARE, written

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"


def documented() -> dict[str, str]:
    section = DOCS.read_text(encoding="utf-8").split("## Figures: one name per number")[1].split("\n## ")[0]
    return dict(re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+?) \|", section, re.M))


def test_every_figure_is_defined_once_in_the_docs_under_its_label():
    assert documented() == {f.id: f.label for f in BY_ID.values()}


def test_the_funnel_report_carries_its_figures(goldsieve_api, goldsieve_engine, goldsieve_user, goldsieve_clock):
    for amount in (100, 250.5):
        goldsieve_engine.create(goldsieve_user, "handmade", "d", {"company": "Acme", "amount": amount})
        goldsieve_clock.advance(hours=1)
    body = goldsieve_api.get("analytics/funnel?funnel=handmade").get_json()
    values = {f["id"]: f["value"] for f in body["figures"]}
    assert [f["id"] for f in body["figures"]] == [f.id for f in FUNNEL]
    assert body["figures"][0]["label"] == "Deals"
    lead = next(s for s in body["stages"] if s["stage"] == "lead")
    assert values["open_pipeline"] == 350.5 == lead["current_amount"]
    assert values["open_pipeline_weighted"] == lead["weighted_amount"] == 17.525  # exact, as the docs say
    assert (values["open_deals"], values["won"], values["win_rate"], values["conversion"]) == (2, 0, None, 0.0)


def test_the_forecast_carries_its_figures(goldsieve_api, goldsieve_engine, goldsieve_user):
    goldsieve_engine.create(goldsieve_user, "handmade", "d", {"company": "Acme", "amount": 400,
                                                             "needs_survey": "ERP"})
    body = goldsieve_api.get("forecast?funnel=handmade").get_json()
    values = {f["id"]: f["value"] for f in body["figures"]}
    assert [f["id"] for f in body["figures"]] == [f.id for f in QUARTER]
    assert values["won_this_quarter"] == body["won_so_far"]
    assert values["expected_this_quarter"] == body["weighted"]["pipeline"]
    assert values["won_and_expected_this_quarter"] == body["weighted"]["amount"]
    assert (values["forecast_p10"], values["forecast_p90"]) == (body["empirical"]["p10"], body["empirical"]["p90"])


def test_figures_written_in_the_readers_language():
    assert written(MONEY, 1823200, "zh_Hans", "CNY") == "¥1,823,200.00"
    assert written(MONEY, 1823200, "en", "CNY") == "CN¥1,823,200.00"
    assert written(SHARE, 0.14, "zh_Hant", "CNY") == "14%"
    assert written(SHARE, None, "en", "CNY") == written(MONEY, float("nan"), "en", "CNY") == "–"
    # a sum of many amounts may pass the limit one amount is held to: still written out
    assert written(MONEY, 3e18, "en", "CNY") == "CN¥3,000,000,000,000,000,000.00"
