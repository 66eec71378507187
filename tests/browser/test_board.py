"""The pipeline board in Chromium: moving a deal through a gate by the dialog, by keyboard only,
by drag and drop, and by touch at phone size."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_tap_target,
    board_scroll,
    box,
    card_in,
    check_page,
    dialog_fields,
    login,
    open_dialog,
    settle,
)

SURVEY = "ERP for 200 users in three plants; budget approved; decision by the board in Q3."
QUALIFIED_GATE = ["needs_survey", "decision_maker"]  # what the software template's gate asks


def board(page, user: str = "rep.li"):
    login(page, user)
    page.goto("/board/software")
    expect(page.locator('[data-stage="lead"]')).to_be_visible()


def test_the_gate_dialog_asks_for_what_is_missing_and_refuses_a_bad_value(open_page, live, shot):
    deal = live.create_deal("Gate dialog deal")
    page = open_page(expect=(422,))
    board(page)
    card = card_in(page, "lead", deal["id"])
    card.locator("select[name=to]").select_option("qualified")
    card.get_by_role("button", name="Move").click()

    dialog = open_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Move “Gate dialog deal” to “Needs confirmed”")
    assert dialog_fields(page) == QUALIFIED_GATE  # exactly the gate's fields, with their titles
    survey, decider = dialog.get_by_label("Needs survey"), dialog.get_by_label("Decision maker")
    expect(survey).to_be_focused()
    check_page(page)
    shot(page, "dialog")

    survey.fill("too short")  # the field wants at least 10 characters
    decider.fill("Ms. Zhou, CIO")
    dialog.get_by_role("button", name="Move").click()
    error = dialog.locator('[data-field="needs_survey"] .field-error')
    expect(error).to_be_visible()
    expect(survey).to_have_attribute("aria-invalid", "true")
    assert error.get_attribute("id") in survey.get_attribute("aria-describedby").split()
    expect(survey).to_be_focused()
    expect(survey).to_have_value("too short")  # what was typed stays
    expect(decider).to_have_value("Ms. Zhou, CIO")
    expect(dialog.locator('[data-field="decision_maker"] .field-error')).to_have_count(0)
    assert live.deal(deal["id"])["stage"] == "lead"  # nothing moved
    expect(card_in(page, "lead", deal["id"])).to_be_visible()
    shot(page, "dialog-error")

    survey.fill(SURVEY)
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(card_in(page, "qualified", deal["id"])).to_be_visible()
    expect(card_in(page, "lead", deal["id"])).to_have_count(0)
    expect(page.locator("#board-status")).to_have_text("The deal was moved.")
    stored = live.deal(deal["id"])
    assert stored["stage"] == "qualified"
    assert stored["data"]["needs_survey"] == SURVEY
    assert stored["data"]["decision_maker"] == "Ms. Zhou, CIO"


def test_an_admin_moves_past_the_gate_from_the_dialog_with_a_reason(open_page, live):
    deal = live.create_deal("Bypass dialog deal")
    page = open_page(expect=(422,))
    board(page, "admin")
    card = card_in(page, "lead", deal["id"])
    card.locator("select[name=to]").select_option("qualified")
    card.get_by_role("button", name="Move").click()
    dialog = open_dialog(page)
    anyway = dialog.get_by_role("button", name="Move anyway")
    expect(anyway).to_be_visible()
    check_page(page)
    anyway.click()  # the button itself says "move anyway": without a reason it is refused
    expect(dialog.locator("#move-bypass-gate-error")).to_have_text("Give a reason for moving past the gate.")
    assert live.deal(deal["id"], user="admin")["stage"] == "lead"
    dialog.get_by_label("Reason").fill("Framework contract; the survey follows.")
    dialog.get_by_role("button", name="Move anyway").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(card_in(page, "qualified", deal["id"])).to_be_visible()
    bypass = [e for e in live.history(deal["id"], user="admin") if e["type"] == "gate_bypassed"]
    assert [e["note"] for e in bypass] == ["Framework contract; the survey follows."]


def test_a_deal_lost_from_its_page_asks_for_a_reason_and_a_note(open_page, live, shot):
    deal = live.create_deal("Lost deal")
    page = open_page(expect=(422,))
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")
    page.get_by_label("Move to…").select_option("lost")
    page.locator("form.move-to").get_by_role("button", name="Move").click()

    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading")).to_have_text("Move “Lost deal” to “Lost”")
    reason, note = dialog.get_by_label("Lost reason"), dialog.get_by_label("Note")
    expect(reason).to_be_visible()
    expect(note).to_be_visible()
    assert dialog_fields(page) == []  # the lost stage has no gate
    check_page(page)

    note.fill("They chose a cheaper offer.")
    dialog.get_by_role("button", name="Move").click()  # no reason chosen
    expect(dialog.locator("#move-lost-reason-error")).to_have_text("Choose one of the reasons.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_value("They chose a cheaper offer.")
    assert live.deal(deal["id"])["status"] == "open"
    shot(page, "no-reason")

    reason.select_option(label="Price too high")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    summary = page.locator("#deal-summary")
    expect(summary).to_contain_text("Lost · Price too high")  # the page refreshed itself
    expect(page.locator("#timeline")).to_contain_text("They chose a cheaper offer.")
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)  # reopening is for managers
    shot(page, "lost")
    stored = live.deal(deal["id"])
    assert (stored["stage"], stored["status"], stored["lost_reason"]) == ("lost", "lost", "price")
    moved = [e for e in live.history(deal["id"]) if e["type"] == "stage_changed"]
    assert (moved[-1]["lost_reason"], moved[-1]["note"]) == ("price", "They chose a cheaper offer.")


def test_a_move_with_the_keyboard_only(open_page, live, shot):
    deal = live.create_deal("Keyboard deal")
    page = open_page(expect=(422,))
    board(page)
    card = card_in(page, "lead", deal["id"])
    select, button = card.locator("select[name=to]"), card.get_by_role("button", name="Move")

    for _ in range(40):  # Tab from the top of the page to the card's move control
        page.keyboard.press("Tab")
        if select.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the card's “Move to…” control")
    page.keyboard.press("ArrowDown")  # the first stage after the placeholder: the next one
    expect(select).to_have_value("qualified")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()

    page.keyboard.press("Enter")  # opens the dialog; Escape closes it and gives focus back
    dialog = open_dialog(page)
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(button).to_be_focused()

    page.keyboard.press("Enter")
    survey = dialog.get_by_label("Needs survey")
    expect(survey).to_be_focused()
    page.keyboard.type("short")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Decision maker")).to_be_focused()
    page.keyboard.type("Mr. Wu, head of IT")
    page.keyboard.press("Enter")  # submits the form from its text field
    expect(survey).to_have_attribute("aria-invalid", "true")
    expect(survey).to_be_focused()  # the refused field takes the focus
    assert live.deal(deal["id"])["stage"] == "lead"

    page.keyboard.press("Control+A")
    page.keyboard.type(SURVEY)
    move = dialog.get_by_role("button", name="Move")
    for _ in range(10):
        page.keyboard.press("Tab")
        if move.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the dialog's Move button")
    page.keyboard.press("Enter")
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(card_in(page, "qualified", deal["id"])).to_be_visible()
    shot(page, "moved")
    stored = live.deal(deal["id"])
    assert (stored["stage"], stored["data"]["decision_maker"]) == ("qualified", "Mr. Wu, head of IT")


def drag(page, card, cards) -> None:
    """Drop ``card`` near the top of a column's list, in a few mouse moves as a hand makes them
    (Chromium starts no drag on Playwright's default one-step jump), once htmx is idle: a
    column swapped in the middle of a drag would move the drop area away from the mouse."""
    settle(page)
    width = cards.bounding_box()["width"]
    card.drag_to(cards, target_position={"x": width / 2, "y": 30}, steps=5)


def test_drag_and_drop_opens_the_gate_dialog_and_moves_without_one_when_ungated(open_page, live, shot):
    deal = live.create_deal("Dragged deal")
    page = open_page(expect=(422,))  # the dropped move is refused by the gate: the dialog
    board(page)
    drag(page, card_in(page, "lead", deal["id"]), page.locator('[data-stage="qualified"] .cards'))

    dialog = open_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Needs confirmed")
    assert dialog_fields(page) == QUALIFIED_GATE
    # the refused drop is a refused POST: the dialog says why beside each field
    expect(dialog.locator('[data-field="needs_survey"] .field-error')).to_be_visible()
    shot(page, "dropped")
    assert live.deal(deal["id"])["stage"] == "lead"
    dialog.get_by_label("Needs survey").fill(SURVEY)
    dialog.get_by_label("Decision maker").fill("Mrs. Sun")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    moved = card_in(page, "qualified", deal["id"])
    expect(moved).to_be_visible()

    drag(page, moved, page.locator('[data-stage="lead"] .cards'))  # back one stage: no gate
    expect(card_in(page, "lead", deal["id"])).to_be_visible()
    expect(card_in(page, "qualified", deal["id"])).to_have_count(0)
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    assert live.deal(deal["id"])["stage"] == "lead"


def test_the_board_at_phone_size_moves_by_touch(open_page, live, shot):
    deal = live.create_deal("Phone deal")
    page = open_page("phone")
    board(page)
    check_page(page)
    nav = page.locator(".stage-nav")
    expect(nav).to_be_visible()  # one stage per screen, a switcher to reach the others
    for index in range(nav.locator("a").count()):
        assert box(nav.locator("a").nth(index))["height"] >= 44
    card = card_in(page, "lead", deal["id"])
    select, button = card.locator("select[name=to]"), card.get_by_role("button", name="Move")
    assert_tap_target(select, "the card's “Move to…” control")
    assert_tap_target(button, "the card's Move button")
    shot(page, "board")
    before = board_scroll(page)

    select.select_option("qualified")
    button.tap()
    dialog = open_dialog(page)
    expect(dialog).to_be_visible()
    found = box(dialog)
    assert found["x"] >= 0 and found["x"] + found["width"] <= 390
    dialog.get_by_label("Needs survey").tap()
    dialog.get_by_label("Needs survey").fill(SURVEY)
    dialog.get_by_label("Decision maker").fill("Mr. He")
    for control in ("Needs survey", "Decision maker"):
        assert box(dialog.get_by_label(control))["height"] >= 44
    assert_tap_target(dialog.get_by_role("button", name="Move"), "the dialog's Move button")
    assert_tap_target(dialog.get_by_role("link", name="Cancel"), "the dialog's Cancel button")
    check_page(page)
    shot(page, "dialog")

    dialog.get_by_role("button", name="Move").tap()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    moved = card_in(page, "qualified", deal["id"])
    expect(moved).to_have_count(1)
    settle(page)
    assert board_scroll(page) == before  # still on the column the rep was working in
    nav.locator('a[href="#column-qualified"]').tap()  # the switcher brings the column in
    expect(moved).to_be_in_viewport()
    check_page(page)
    shot(page, "moved")
    assert live.deal(deal["id"])["stage"] == "qualified"


def test_the_board_stays_put_after_a_move(open_page, live):
    """A move replaces two columns; the board must not jump sideways (it once re-snapped to its
    far end, pushing the first column out of view)."""
    deal = live.create_deal("Steady board deal", {"company": "Steady Ltd.", "needs_survey": SURVEY,
                                                  "decision_maker": "Mr. Ma"})
    page = open_page()
    board(page)
    before = board_scroll(page)
    card = card_in(page, "lead", deal["id"])
    card.locator("select[name=to]").select_option("qualified")
    card.get_by_role("button", name="Move").click()
    expect(open_dialog(page)).to_contain_text("Nothing more is needed for this stage.")
    open_dialog(page).get_by_role("button", name="Move").click()
    expect(card_in(page, "qualified", deal["id"])).to_be_visible()
    settle(page)
    assert board_scroll(page) == before
