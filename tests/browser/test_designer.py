"""The funnel designer in Chromium: a consultant builds funnels with forms only, and ships them."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from goldsieve.checking import check_paths

from tests.browser.conftest import check_page, login
from tests.browser.test_accessibility import AXE, violations


def stage(page, stage_id: str):
    return page.locator(f'#designer li[data-stage="{stage_id}"]')


def open_stage(page, stage_id: str):
    item = stage(page, stage_id)
    item.locator("summary").first.click()
    return item


def submit(form) -> None:
    """Submit a designer form by its own submit button and wait for the swapped editor."""
    form.locator("button[type=submit]").last.click()


def titles(container, english: str, chinese: str = "") -> None:
    """Fill a text's inputs per language (labelled by the language's own name in every UI)."""
    fieldset = container.locator("fieldset.texts").first
    fieldset.get_by_label("English", exact=True).fill(english)
    if chinese:
        fieldset.get_by_label("简体中文", exact=True).fill(chinese)


def no_axe_violations(page) -> None:
    if AXE.is_file():
        assert violations(page) == []


def add_field(page, name: str, kind: str, english: str, chinese: str, choices: tuple[str, ...] = ()) -> None:
    page.locator("details.add-field-box > summary").click()
    form = page.locator("form.add-field")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=type]").select_option(kind)
    titles(form, english, chinese)
    for row, choice in enumerate(choices):
        form.locator("input[name=choice]").nth(row).fill(choice)
    submit(form)
    expect(page.locator(f'#designer li[data-field="{name}"]')).to_have_count(1)


def add_stage(page, stage_id: str, english: str, chinese: str) -> None:
    form = page.locator("form.add-stage")
    form.locator("input[name=id]").fill(stage_id)
    titles(form, english, chinese)
    submit(form)
    expect(stage(page, stage_id)).to_have_count(1)


def set_stage(page, stage_id: str, probability: str, rot_days: str, target: str = "", required: str = "",
              when: tuple[str, str, str] | None = None) -> None:
    item = open_stage(page, stage_id)
    form = item.locator("form:has(input[name=op][value=update_stage])")
    form.locator("input[name=probability]").fill(probability)
    form.locator("input[name=rot_days]").fill(rot_days)
    form.locator("input[name=target]").fill(target)
    if required:
        form.locator(f"input[name=required][value={required}]").check()
    if when:
        form.locator("select[name=when_field]").select_option(when[0])
        form.locator("select[name=when_op]").select_option(when[1])
        form.locator("input[name=when_value]").fill(when[2])
    submit(form)
    expect(stage(page, stage_id).locator("details")).not_to_have_attribute("open", "")


def add_automation(page, automation_id: str, trigger: str, stage_id: str, recipient: str) -> None:
    form = page.locator("form.add-automation")
    form.locator("input[name=id]").fill(automation_id)
    form.locator("select[name=on]").select_option(trigger)
    form.locator("select[name=stage]").select_option(stage_id)
    form.locator("select[name=action]").select_option("notify")
    form.locator(f'fieldset[data-action=notify] input[name="notify.to"][value="{recipient}"]').check()
    submit(form)
    expect(page.locator(f'li[data-automation="{automation_id}"]')).to_have_count(1)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_consultant_builds_a_six_stage_funnel_from_blank_and_moves_a_deal_through_it(
        open_page, live, shot, locale):
    funnel_id = f"solar-{locale.lower()}"
    page = open_page(locale=locale)
    login(page, "admin")
    page.goto("/designer/")
    no_axe_violations(page)
    shot(page, "start")
    start = page.locator("form.start-blank")
    start.locator("input[name=id]").fill(funnel_id)
    funnel_en, funnel_zh = f"Solar roofs {locale}", f"太阳能屋顶 {locale}"  # two funnels, two names
    titles(start, funnel_en, funnel_zh)
    start.locator("input[name=currency]").fill("EUR")
    submit(start)
    page.wait_for_url(re.compile(r"/designer/drafts/\d+$"))
    shot(page, "blank")
    expect(page.locator("#designer h1")).to_contain_text(funnel_zh if locale == "zh-CN" else funnel_en)
    expect(page.locator("#lint .finding-error")).not_to_have_count(0)  # no open stage yet: said, not fatal

    add_field(page, "roof", "string", "Roof", "屋顶", ("flat", "tiled"))
    add_field(page, "kw", "number", "Power (kW)", "功率（千瓦）")
    add_field(page, "quote_no", "string", "Quote number", "报价单号")
    for stage_id, english, chinese in [("lead", "Lead", "线索"), ("survey", "Site survey", "现场勘查"),
                                       ("exec_visit", "Executive visit", "高层拜访"), ("quote", "Quote", "报价"),
                                       ("negotiation", "Negotiation", "谈判"), ("contract", "Contract", "合同")]:
        add_stage(page, stage_id, english, chinese)
    set_stage(page, "lead", "0.1", "14")
    set_stage(page, "survey", "0.2", "14", target="0.5", required="roof")  # the gate of stage 2
    set_stage(page, "exec_visit", "0.35", "14", when=("kw", "at_least", "100"))  # only for big roofs
    set_stage(page, "quote", "0.5", "7", target="0.6", required="quote_no")  # stale after 7 days
    set_stage(page, "negotiation", "0.7", "10", target="0.7")
    set_stage(page, "contract", "0.9", "10")
    expect(stage(page, "survey").locator("summary")).to_contain_text("屋顶" if locale == "zh-CN" else "Roof")
    expect(stage(page, "exec_visit").locator("summary")).to_contain_text(
        "条件" if locale == "zh-CN" else "conditional")

    for reason_id, english, chinese in [("price", "Price too high", "价格太高"), ("timing", "Not now", "时机不对")]:
        form = page.locator("form.add-lost-reason")
        form.locator("input[name=id]").fill(reason_id)
        titles(form, english, chinese)
        submit(form)
        expect(page.locator(f'li[data-lost-reason="{reason_id}"]')).to_have_count(1)
    add_automation(page, "quote-stale", "stale", "quote", "owner")
    add_automation(page, "tell-manager", "stage_entered", "negotiation", "manager")

    expect(page.locator("#lint .ok")).to_be_visible()  # no error and no lint warning left
    check_page(page)
    no_axe_violations(page)
    shot(page, "designer")

    page.locator("a[href$='/plan']").click()
    expect(page.locator("form[action$='/apply'] button")).to_be_visible()
    no_axe_violations(page)
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url(f"**/board/{funnel_id}")

    saved = live.runtime.workspace.path / "funnels" / f"{funnel_id}.json"
    findings, files = check_paths([saved])
    assert files == [saved] and findings == []  # `goldsieve check --strict` passes: no finding at all
    funnel = live.runtime.funnels.get(funnel_id)
    assert [s.id for s in funnel.stages] == ["lead", "survey", "exec_visit", "quote", "negotiation", "contract",
                                             "won", "lost"]
    definition = funnel.definition
    assert definition["title"] == {"en": funnel_en, "zh-Hans": funnel_zh} and definition["currency"] == "EUR"
    assert definition["targets"] == {"survey": 0.5, "quote": 0.6, "negotiation": 0.7}
    assert [r["id"] for r in definition["lost_reasons"]] == ["price", "timing"]
    assert {a["id"]: a["do"] for a in definition["automations"]} == {
        "quote-stale": [{"action": "notify", "to": "owner"}],
        "tell-manager": [{"action": "notify", "to": "manager"}]}

    page = open_page(locale=locale)  # a rep sells with it: no gate to bypass
    login(page, "rep.li")
    page.goto(f"/deals/new?funnel={funnel_id}")
    page.locator("#new-title").fill(f"Roof {locale}")
    page.locator("form:has(#new-title) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/deals/\d+$"))
    deal_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    page.locator("#move-to-stage").select_option("survey")
    page.locator("form.move-to button[type=submit]").click()
    gate = page.locator("#dialog form.move-form")
    gate.locator("select[name$=roof]").select_option("tiled")  # the gate asks for the roof
    gate.locator("button[type=submit]").last.click()
    expect(page.locator("#dialog form.move-form")).to_have_count(0)
    deal = live.deal(deal_id)
    assert (deal["stage"], deal["data"]) == ("survey", {"roof": "tiled"})
    shot(page, "moved")


def test_a_template_start_keeps_only_what_is_asked_for_and_ships(open_page, live, shot):
    page = open_page()
    login(page, "admin")
    page.goto("/designer/")
    template = page.locator('form[data-template="fmcg"]')
    page.locator("details:has(form[data-template=fmcg]) > summary").click()
    template.locator("input[name=id]").fill("drinks")
    titles(template, "Drinks", "饮料")
    template.locator("input[name=keep_automations]").uncheck()
    submit(template)
    expect(page.locator("#designer h1")).to_contain_text("Drinks")
    expect(page.locator("li[data-automation]")).to_have_count(0)

    add_stage(page, "tasting", "Tasting", "品鉴")
    for position in (4, 3):
        stage(page, "tasting").locator("summary").click()
        stage(page, "tasting").locator("button[type=submit]", has_text="↑").click()
        expect(page.locator("#designer li[data-stage]").nth(position)).to_have_attribute("data-stage", "tasting")
    set_stage(page, "tasting", "0.55", "10", required="shelf_slots", when=("channel", "equals", "supermarket"))
    expect(stage(page, "tasting").locator("summary")).to_contain_text("gate: Shelf facings")
    add_automation(page, "tasting-started", "stage_entered", "tasting", "role:manager")
    expect(page.locator("#lint .finding-error")).to_have_count(0)
    expect(page.locator("#preview input, #preview select, #preview textarea").first).to_be_attached()
    check_page(page)
    shot(page, "designer")

    page.locator("a[href$='/plan']").click()
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url("**/board/drinks")
    funnel = live.runtime.funnels.get("drinks")
    assert [s.id for s in funnel.stages][:5] == ["lead", "sampling", "listing", "tasting", "agreement"]
    assert funnel.definition["title"] == {"en": "Drinks", "zh-Hans": "饮料"}
    assert funnel.stage("tasting").applies_when and funnel.stage("tasting").gate


def test_the_designer_fits_a_phone(open_page, shot):
    page = open_page("phone", "zh-CN")
    login(page, "admin")
    page.goto("/designer/")
    check_page(page)
    no_axe_violations(page)
    start = page.locator("form.start-blank")
    start.locator("input[name=id]").fill("phone-sales")
    titles(start, "Phone sales")
    submit(start)
    add_stage(page, "qualified", "Qualified", "合格")
    open_stage(page, "qualified")
    check_page(page)
    no_axe_violations(page)
    shot(page, "editor")


def test_splitting_a_stage_that_has_a_target_and_deals_ships_without_a_dead_end(open_page, live, shot):
    page = open_page()
    login(page, "admin")
    page.goto("/designer/")
    page.locator("details:has(form[data-template=trade]) > summary").click()
    template = page.locator('form[data-template="trade"]')
    template.locator("input[name=id]").fill("exports")
    titles(template, "Exports", "出口")
    submit(template)
    set_stage(page, "inquiry", "0.05", "14", target="0.4")
    page.locator("a[href$='/plan']").click()
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url("**/board/exports")
    deal = live.create_deal("Split me", {"company": "Split Co.", "country": "CN"}, funnel="exports")

    page.goto("/designer/")
    page.locator("form:has(input[value='funnel:exports']) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/designer/drafts/\d+$"))
    item = open_stage(page, "inquiry")
    item.locator("form:has(input[name=op][value=split_stage]) input[name=into]").fill("new_lead, contacted")
    item.locator("form:has(input[name=op][value=split_stage]) button[type=submit]").click()
    expect(stage(page, "contacted")).to_have_count(1)
    expect(page.locator("#lint .finding-error")).to_have_count(0)  # the target went along: no dead end
    page.locator("a[href$='/plan']").click()
    expect(page.locator(".plan-changes")).to_contain_text("inquiry → new_lead, contacted")
    no_axe_violations(page)
    shot(page, "plan")
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url("**/board/exports")
    funnel = live.runtime.funnels.get("exports")
    assert funnel.version == 2 and funnel.definition["targets"]["new_lead"] == 0.4
    assert "inquiry" not in funnel.definition["targets"]
    moved = live.deal(deal["id"])
    assert (moved["stage"], moved["funnel_version"]) == ("new_lead", 2)
