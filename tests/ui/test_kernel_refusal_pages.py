"""Issue 21: the engine's refusals of a move — a skipped stage, an unknown one, a closed deal —
are said on the page in the reader's language, stages named by their titles there (a zh-Hant
reader of a funnel titled only in zh-Hans reads the zh-Hans titles, not the English ones), while
the API says the same refusal in English. Nothing is written."""
from __future__ import annotations

import copy

import pytest

from tests.ui.test_deal_pages import RITA, SOLAR, html, stored

TITLES = {"inquiry": "咨询", "survey": "现场勘察", "offer": "已报价"}


@pytest.fixture
def goldsieve_funnel():
    funnel = copy.deepcopy(SOLAR)
    for stage in funnel["stages"]:
        if stage["id"] in TITLES:
            stage["title"] = {"en": stage["title"] if isinstance(stage["title"], str) else stage["title"]["en"],
                              "zh-Hans": TITLES[stage["id"]]}
    return funnel


@pytest.fixture
def deal(goldsieve_engine, rep_browser):
    return goldsieve_engine.create(RITA, "solar", "Müller family", {"customer": "Müller"})


@pytest.mark.parametrize("language, skip, unknown, closed", [
    ("en", "The deal must pass through “Site survey” before “Offer sent”.", "There is no stage “mars”.",
     "This deal is closed; reopen it before moving it."),
    ("zh-Hans", "商机必须先经过“现场勘察”阶段，才能进入“已报价”阶段。", "没有阶段“mars”。",
     "该商机已关闭，请先重新打开再移动。"),
    ("zh-Hant", "商機必須先經過「现场勘察」階段，才能進入「已报价」階段。", "沒有階段「mars」。",
     "此商機已結案，請先重新開啟再移動。"),
])
def test_a_refused_move_is_said_in_the_readers_language(rep_browser, goldsieve_engine, goldsieve_api, deal,
                                                       language, skip, unknown, closed):
    headers = {"Accept-Language": language}
    skipped = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "offer", "version": "1"}, headers=headers)
    assert skipped.status_code == 422 and skip in html(skipped)
    nowhere = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "mars", "version": "1"}, headers=headers)
    assert nowhere.status_code == 422 and unknown in html(nowhere)
    assert stored(goldsieve_engine, deal["id"])["version"] == 1  # nothing written
    api = goldsieve_api.post(f"deals/{deal['id']}/move", {"to": "offer"}, headers=headers).json
    assert api["errors"][0]["message"] == "The deal must pass through “Site survey” before “Offer sent”."
    goldsieve_engine.lose(RITA, deal["id"], "shade")
    refused = rep_browser.get(f"/deals/{deal['id']}/move?to=survey", headers=headers)
    assert closed in html(refused)
