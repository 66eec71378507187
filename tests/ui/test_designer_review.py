"""The designer's review before saving tells the truth: the deals each change moves (linked,
paged), the deals left lacking what their new stage requires, the automations whose stage goes;
and the audit row of the apply keeps the same summary."""
from __future__ import annotations

import re

import pytest

from goldsieve import hookimpl
from goldsieve.funnels import migration
from goldsieve.funnels.model import Funnel
from goldsieve.funnels.plan import render
from goldsieve.people.users import find_user
from goldsieve.ui import designer_review

from tests.funnels.test_migration import deal_at
from tests.ui.test_designer import draft_of, edit, start

MOVED = 21  # one more than a page


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


@pytest.fixture
def merged(admin_browser, goldsieve_runtime, goldsieve_make_user):
    """A draft that removes Negotiation, sending its deals and its automation to Quote, whose gate
    now also asks for the demo date that none of the deals has."""
    rep = goldsieve_make_user("rita", "rep")
    deals = [deal_at(goldsieve_runtime, rep, "negotiation", title=f"Deal {n:02}") for n in range(MOVED)]
    url = start(admin_browser, "funnel:handmade")
    assert edit(admin_browser, url, op="remove_stage", stage="negotiation", map_to="quote").status_code == 200
    assert edit(admin_browser, url, op="update_stage", stage="quote", title="Quote", new_id="quote",
                probability="0.6", rot_days="7", required=["amount", "demo_date"]).status_code == 200
    return url, deals


def rows(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-deal="(\d+)">', html)]


def test_the_review_lists_each_changes_deals_with_links_a_page_at_a_time(admin_browser, merged):
    url, deals = merged
    page = admin_browser.get(url + "/plan").get_data(as_text=True)
    assert "Stages merged" in page and "21 in-flight deals move to the new version" in page
    merged_list = page.split('id="change-0"')[1].split("</table>")[0]
    assert rows(merged_list) == [d["id"] for d in deals[:20]]  # the first page: 20 of 21
    assert f'href="/deals/{deals[0]["id"]}">#{deals[0]["id"]} Deal 00</a>' in merged_list
    assert "Page 1 of 2" in page
    second = admin_browser.get(url + "/plan?list=change-0&page=2").get_data(as_text=True)
    assert rows(second.split('id="change-0"')[1].split("</table>")[0]) == [deals[20]["id"]]
    assert "Page 2 of 2" in second
    # a page past the end shows the last one; a page that is no number, the first
    assert rows(admin_browser.get(url + "/plan?list=change-0&page=99").get_data(as_text=True)
                .split('id="change-0"')[1].split("</table>")[0]) == [deals[20]["id"]]
    assert "Page 1 of 2" in admin_browser.get(url + "/plan?list=change-0&page=-1").get_data(as_text=True)


def test_the_review_names_the_deals_that_will_lack_fields_and_the_automations_that_lose_their_stage(
        admin_browser, merged):
    url, _deals = merged
    page = admin_browser.get(url + "/plan").get_data(as_text=True)
    lacking = page.split('id="missing"')[1].split("</table>")[0]
    assert len(rows(lacking)) == 20 and "demo_date" in lacking and "Quote" in lacking
    assert "Negotiation" in lacking  # where they are now, by its title
    assert "“tell-manager” ran on “Negotiation”, which goes: it now runs on “Quote”." in page


def test_the_review_speaks_the_readers_language(admin_browser, merged):
    url, _deals = merged
    page = admin_browser.get(url + "/plan", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "合并阶段" in page and "第 1 页，共 2 页" in page
    assert "tell-manager" in page and "Stages merged" not in page


def test_the_audit_row_of_the_apply_keeps_the_reviews_summary(admin_browser, merged, goldsieve_runtime):
    """As data, as every audit row keeps its changes: ids, stages, gates and counts, no sentence in
    one reader's language."""
    url, deals = merged
    draft_id = draft_of(goldsieve_runtime, url)["id"]
    assert admin_browser.post(f"/designer/drafts/{draft_id}/apply").status_code == 303
    [audit] = goldsieve_runtime.store.find("audit", descending=True, limit=1)
    changes = audit["changes"]
    assert audit["action"] == "funnel_applied" and changes["version"] == [3, 4]
    assert changes["migrated_deals"] == [None, MOVED]
    assert changes["stage_merged quote"] == [["quote", "negotiation"], "quote"]
    ids = [d["id"] for d in deals]
    assert changes["stage_merged quote deals"] == [None, {"count": MOVED, "listed": ids}]
    assert changes["gate_tightened quote"][1] == {"required": ["amount", "demo_date"]}
    assert changes["deals_missing_fields"] == [None, {"count": MOVED, "listed": [
        {"deal": i, "stage": "quote", "fields": ["demo_date"]} for i in ids]}]
    assert changes["automation tell-manager"] == ["negotiation", "quote"]
    log = admin_browser.get("/admin/audit").get_data(as_text=True)
    assert "deals_missing_fields" in log and "stage_merged quote" in log
    assert " deals: " not in log and "no gate" not in log  # no English sentence kept


def test_the_audit_row_lists_the_first_ids_and_counts_them_all():
    from goldsieve.funnels.plan import AUDIT_IDS, Change, Plan, audit_changes

    many = Change("stage_renamed", "a", "a", "b", deals=AUDIT_IDS + 5, deal_ids=list(range(1, AUDIT_IDS + 6)))
    row = audit_changes(Plan("f", 1, 2, True, AUDIT_IDS + 5, changes=[many]))
    assert row["stage_renamed a"] == ["a", "b"]
    assert row["stage_renamed a deals"] == [None, {"count": AUDIT_IDS + 5, "listed": list(range(1, AUDIT_IDS + 1))}]


def test_the_plans_own_words_are_said_in_the_readers_language(admin_browser, goldsieve_runtime):
    """What a change is and why a version cannot be saved are the plan's words, said in the page's
    language: a Chinese page never shows the terminal's English."""
    first, second = start(admin_browser, "funnel:handmade"), start(admin_browser, "funnel:handmade")
    assert first != second
    zh = {"Accept-Language": "zh-CN"}
    assert edit(admin_browser, first, op="add_stage", id="survey", kind="open",
                **{"title-en": "Survey"}).status_code == 200
    page = admin_browser.get(first + "/plan", headers=zh).get_data(as_text=True)
    assert "survey（进行中）" in page and "(Open)" not in page
    assert "survey (Open)" in admin_browser.get(first + "/plan").get_data(as_text=True)
    assert admin_browser.post(f"/designer/drafts/{draft_of(goldsieve_runtime, first)['id']}/apply").status_code == 303
    assert edit(admin_browser, second, op="add_stage", id="visit", kind="open",
                **{"title-en": "Visit"}).status_code == 200
    page = admin_browser.get(second + "/plan", headers=zh).get_data(as_text=True)
    assert "版本 4 不比已应用的版本 4 新；请把 `version` 提高到 5" in page
    assert "migration.from_version 是 3，但已应用的版本是 4；请从 4 迁移" in page
    assert "is not newer" not in page and "保存版本" not in page
    english = admin_browser.get(second + "/plan").get_data(as_text=True)
    assert "version 4 is not newer than the applied version 4; raise `version` to 5" in english


def test_the_plan_lists_the_deals_each_change_touches_and_every_deal_left_lacking(
        goldsieve_runtime, goldsieve_make_user, goldsieve_funnel):
    rep = goldsieve_make_user("rita", "rep")
    ready = deal_at(goldsieve_runtime, rep, "quote", title="Ready", demo_date="2026-03-01")
    lacking = deal_at(goldsieve_runtime, rep, "quote", title="Lacking")
    new = {**goldsieve_funnel, "version": 4, "migration": {"from_version": 3}}
    new["stages"] = [{**s, "gate": {"required": ["amount", "demo_date"]}} if s["id"] == "quote" else s
                     for s in goldsieve_funnel["stages"]]
    result = migration.plan(goldsieve_runtime, new)
    [tightened] = [c for c in result.changes if c.kind == "gate_tightened"]
    assert tightened.deal_ids == [ready["id"], lacking["id"]] and tightened.deals == 2
    [missing] = result.missing
    assert (missing.id, missing.to, missing.fields) == (lacking["id"], "quote", ["demo_date"])
    assert result.orphans == []
    assert "  1 deal would miss what its new stage requires:" in render(result)


def test_a_deal_the_reader_may_not_see_is_counted_never_named(goldsieve_app, goldsieve_runtime, goldsieve_make_user,
                                                             goldsieve_funnel):
    rita, sam = goldsieve_make_user("rita", "rep"), goldsieve_make_user("sam", "rep")
    mine = deal_at(goldsieve_runtime, rita, "quote", title="Rita's")
    deal_at(goldsieve_runtime, sam, "quote", title="Sam's secret")
    new = {**goldsieve_funnel, "version": 4, "migration": {"from_version": 3}}
    new["stages"] = [{**s, "gate": {"required": ["amount", "demo_date"]}} if s["id"] == "quote" else s
                     for s in goldsieve_funnel["stages"]]
    result = migration.plan(goldsieve_runtime, new)
    with goldsieve_app.test_request_context("/"):
        lists = designer_review.review(result, goldsieve_runtime.funnels.get("handmade"), Funnel(new), {},
                                       find_user(goldsieve_runtime.store, "rita"))
    lacking = lists["missing"]
    assert (lacking.total, lacking.unseen, [row.id for row in lacking.rows]) == (2, 1, [mine["id"]])
    assert lacking.rows[0].lacks == "demo_date" and lacking.rows[0].to == "Quote"


def test_the_reviews_warnings_are_said_in_the_pages_language(goldsieve_app, goldsieve_runtime, goldsieve_make_user,
                                                             goldsieve_funnel):
    """A version without a migration that leaves deals on a stage it drops (a hand-made file; the
    designer always migrates) warns in the page's language."""
    deal_at(goldsieve_runtime, goldsieve_make_user("rita", "rep"), "negotiation")
    new = {**goldsieve_funnel, "version": 4, "stages": [s for s in goldsieve_funnel["stages"] if s["id"] != "negotiation"],
           "automations": []}
    result = migration.plan(goldsieve_runtime, new)
    with goldsieve_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        lists = designer_review.review(result, goldsieve_runtime.funnels.get("handmade"), Funnel(new), {},
                                       find_user(goldsieve_runtime.store, "rita"))
    assert lists["warnings"] == ["1 个进行中的商机留在版本 3 中版本 4 没有的阶段（negotiation）；"
                                 "版本 4 的看板不会显示它们：请添加 `migration` 以迁移它们"]
    assert [detail for _change, _label, detail, _listing in lists["changes"]] == ["negotiation 被删除，且未映射到其他阶段"]


class _ManagersDesign:
    """A workspace whose managers design funnels too (their deals' scope stays their team's)."""

    @staticmethod
    @hookimpl
    def goldsieve_permission(user, action):
        return True if action == "change_funnel" and user.get("role") == "manager" else None


def test_the_stranded_list_names_only_the_deals_the_reader_may_see(goldsieve_browser, goldsieve_runtime,
                                                                  goldsieve_make_user, goldsieve_make_team,
                                                                  goldsieve_register):
    """A designer who is no admin sees the stranded deals of their scope by name, the others only
    counted; and the reasons are said in the reader's language."""
    goldsieve_register(_ManagersDesign)
    goldsieve_make_user("mia", "manager")
    goldsieve_make_team("north", manager="mia")
    rita, sam = goldsieve_make_user("rita", "rep", team="north"), goldsieve_make_user("sam", "rep")
    mine = deal_at(goldsieve_runtime, rita, "negotiation", title="Rita's")
    deal_at(goldsieve_runtime, sam, "negotiation", title="Sam's secret")
    assert goldsieve_browser.login("mia").status_code == 302
    url = start(goldsieve_browser, "funnel:handmade")
    assert edit(goldsieve_browser, url, op="remove_stage", stage="negotiation", map_to="won").status_code == 200
    page = goldsieve_browser.get(url + "/plan", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    stranded = page.split('id="stranded"')[1].split("</table>")[0]
    assert rows(stranded) == [mine["id"]] and "Sam's secret" not in page
    assert "1 more deal on this page" not in page and "本页另有 1 个" in page
    assert "它会进入一个非进行中的阶段" in stranded and "not an open stage" not in page
    assert "Save version" not in page and "保存版本" not in page
