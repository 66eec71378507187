"""A manager's analytics in a real browser: the trend's legend and date axis, the forecast's
quarter picker and backtest, no page wider than the screen; desktop (1440 px) and phone, English
and Chinese."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login

WIDE = {"width": 1440, "height": 900}
#: what the date axis's first label looks like in each language ("Oct 6", "10月6日")
AXIS_DATE = {"en-US": re.compile(r"^[A-Z][a-z]{2} \d{1,2}$"), "zh-CN": re.compile(r"^\d{1,2}月\d{1,2}日$")}
LEGEND_NOTE = {"en-US": "hollow: fewer than 5 deals", "zh-CN": "空心：少于 5 个商机"}
QUARTER_NAME = {"en-US": r"Q[1-4] \d{4}", "zh-CN": r"\d{4}年第[1-4]季度"}
NO_DATA = {"en-US": "No data", "zh-CN": "无数据"}


def scrolls_inside(page, selector: str) -> list[dict]:
    """Each matching region's width and scroll width, and whether it takes the keyboard focus."""
    return page.locator(selector).evaluate_all("""els => els.map(el => ({
        width: el.clientWidth, scroll: el.scrollWidth, focusable: el.tabIndex >= 0,
        label: el.getAttribute('aria-labelledby')}))""")


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_manager_reads_the_trend_and_picks_a_quarter(open_page, live, shot, form, locale):
    page = open_page(form, locale)
    if form == "desktop":
        page.set_viewport_size(WIDE)
    login(page, "mgr.zhao")

    page.goto("/analytics/software")
    trend = page.locator("#trend")
    legend = trend.locator("ul.legend li")
    expect(legend.first).to_be_visible()
    names = legend.all_inner_texts()
    assert len(names) >= 2 and LEGEND_NOTE[locale] in names[-1]
    assert len(set(names[:-1])) == len(names) - 1  # one entry per stage, each named
    dashes = trend.locator("ul.legend svg line").evaluate_all("els => els.map(e => e.getAttribute('stroke-dasharray'))")
    assert len(set(dashes)) == len(dashes)  # no two series drawn alike
    axis = trend.locator("g.date-axis text").all_text_contents()
    assert axis and all(AXIS_DATE[locale].match(label) for label in axis), axis
    assert trend.locator("svg.lines text.n").count() > 0  # n beside the points
    height = trend.locator("g.date-axis text").first.bounding_box()["height"]
    assert height >= 11, f"the dates on the axis are {height:.1f} px high"  # legible on a phone too
    check_page(page)
    for region in scrolls_inside(page, ".table-wrap"):
        assert region["focusable"] and region["label"], region
    trend.scroll_into_view_if_needed()
    shot(page, "trend")

    page.goto("/analytics/software/forecast")
    picker = page.locator("select#f-quarter")
    assert re.fullmatch(QUARTER_NAME[locale], picker.locator("option").first.inner_text())
    current = picker.input_value()
    options = picker.locator("option").evaluate_all("els => els.map(e => e.value)")
    earlier = options[options.index(current) + 1]
    named = picker.locator(f'option[value="{earlier}"]').inner_text()  # "Q3 2026", "2026年第3季度"
    picker.select_option(earlier)  # it submits on change
    page.wait_for_url(re.compile(rf"quarter={earlier}"))
    expect(page.locator("select#f-quarter")).to_have_value(earlier)
    expect(page.locator("h1")).to_contain_text(named)
    backtest = page.locator("#backtest table")
    expect(backtest.locator("tbody tr")).to_have_count(4)
    cells = backtest.locator("tbody tr").all_inner_texts()
    # no quarter without deals passes as "inside p10–p90": it says No data instead
    assert all(NO_DATA[locale] in row or row.split("\t")[1].strip() not in ("0", "") for row in cells), cells
    check_page(page)
    regions = scrolls_inside(page, "#backtest .table-wrap")
    assert regions and all(r["focusable"] for r in regions)
    if form == "phone":  # a table wider than the phone scrolls within its panel, by keyboard too
        wrap = page.locator("#backtest .table-wrap")
        wrap.focus()
        expect(wrap).to_be_focused()
        if regions[0]["scroll"] > regions[0]["width"]:
            page.keyboard.press("ArrowRight")
            page.wait_for_function("() => document.querySelector('#backtest .table-wrap').scrollLeft > 0")
    page.locator("#backtest").scroll_into_view_if_needed()
    shot(page, "backtest")
