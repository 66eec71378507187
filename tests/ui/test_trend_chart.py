"""The conversion trend as managers read it: a date axis in the page's language, series that
differ by colour and dash with a legend, and small samples drawn hollow with their n."""
from __future__ import annotations

import re

import pytest

from goldsieve.ui import charts


def test_every_series_has_its_own_colour_and_dash():
    found = charts.lines([(f"s{n}", [(0.5, 10), (None, 0)]) for n in range(9)])
    assert len({(line.css, line.dash) for line in found[:8]}) == 8
    assert len({line.dash for line in found[:8]}) == 8  # told apart without colour too
    assert (found[8].css, found[8].dash) == (found[0].css, found[0].dash)  # a ninth wraps round


def test_small_samples_are_hollow_and_missing_values_are_left_out_of_the_line():
    [line] = charts.lines([("lead", [(1.0, 1), (0.25, 4), (0.5, 5), (None, 0)])])
    assert [p.small for p in line.points] == [True, True, False, True]
    assert line.path.count(",") == 3  # the bucket with nothing entered draws no point


def test_the_date_axis_keeps_at_most_eight_labels_and_always_the_newest():
    labels = [f"w{n}" for n in range(14)]
    ticks = charts.ticks(labels)
    assert len(ticks) <= charts.MAX_TICKS and ticks[-1].label == "w13"
    assert [t.label for t in charts.ticks(labels[:3])] == ["w0", "w1", "w2"]
    assert charts.ticks([]) == []


@pytest.fixture
def weeks(rep_browser, goldsieve_engine, goldsieve_clock):
    """rita's deals over three weeks of January: one to five a week, some moved on."""
    from goldsieve.store.filters import Eq

    rita = goldsieve_engine.store.find("users", Eq("username", "rita"))[0]
    for week, count in enumerate((1, 5, 2)):
        for n in range(count):
            deal = goldsieve_engine.create(rita, "handmade", f"w{week}-{n}", {"company": "Acme", "needs_survey": "x"})
            if n % 2 == 0:
                goldsieve_engine.move(rita, deal["id"], "qualified")
        goldsieve_clock.advance(days=7)
    assert rep_browser.login("rita").status_code == 302  # three weeks on: a new session


def trend_svg(html: str) -> str:
    return re.search(r'<section class="panel" id="trend".*?</section>', html, re.S).group(0)


@pytest.mark.parametrize("language, first, axis", [
    ("en-US", "Jan 5, 2026", ["Jan 5", "Jan 12", "Jan 19"]),
    ("zh-CN", "2026年1月5日", ["1月5日", "1月12日", "1月19日"])])
def test_the_trend_has_a_date_axis_a_legend_and_its_samples(rep_browser, weeks, language, first, axis):
    html = rep_browser.get("/analytics/handmade?from=2026-01-05&to=2026-01-26",
                           headers={"Accept-Language": language}).get_data(as_text=True)
    trend = trend_svg(html)
    dates = re.search(r'<g class="date-axis">(.*?)</g>', trend, re.S).group(1)
    assert re.findall(r"<text[^>]*>([^<]+)</text>", dates) == axis
    legend = re.search(r'<ul class="legend"[^>]*>(.*?)</ul>', trend, re.S).group(1)
    assert len(re.findall(r'<li class="series-\d">', legend)) == 5  # the design funnel's open stages
    assert len(set(re.findall(r'stroke-dasharray="([^"]+)"', legend))) == 4  # the first has none
    lead = re.search(r'<g class="series-0">(.*?)</g>', trend, re.S).group(1)
    assert re.findall(r">n=(\d+)<", lead) == ["1", "5", "2"]
    assert [bool(c) for c in re.findall(r'<circle [^>]*?( class="small")?>', lead)] == [True, False, True]
    assert f'<time datetime="2026-01-05">{first}</time>' in trend  # the table too
