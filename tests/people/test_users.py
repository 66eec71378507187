"""Users in the kernel: the password policy, deactivation, the last active admin, password
changes and resets — each refusal complete and writing nothing, each write audited."""
from __future__ import annotations

import json

import pytest

from goldsieve.audit import REDACTED
from goldsieve.errors import ValidationFailed
from goldsieve.people.sessions import session_user, start_session
from goldsieve.people.users import (
    MIN_PASSWORD,
    add_user,
    authenticate,
    change_password,
    find_user,
    issue_token,
    password_problems,
    set_active,
    set_locale,
    set_password,
    update_user,
    user_for_token,
)
from goldsieve.testing import TEST_PASSWORD


def codes(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(v.path, v.code) for v in error.violations]


def snapshot(store) -> str:
    """Everything a refused call must leave as it was."""
    return json.dumps({t: store.find(t) for t in ("users", "sessions", "tokens", "audit")},
                      sort_keys=True)


@pytest.fixture
def store(goldsieve_runtime):
    return goldsieve_runtime.store


@pytest.fixture
def rita(goldsieve_make_user):
    return goldsieve_make_user("rita", "rep")


# --- the password policy ---------------------------------------------------------------------


@pytest.mark.parametrize("password, code", [
    ("", "minLength"),
    ("short-pw", "minLength"),
    ("x" * 257, "maxLength"),
    ("rita-is-here-2026", "username"),
    ("RITA-is-here-2026", "username"),  # case does not hide the name
    ("password123", "common"),
    ("p@ssw0rd12", "common"),  # a common password in l33t does not pass either
    ("qwertyuiop", "common"),
    ("iloveyou12", "common"),
    ("aaaaaaaaaaaa", "guessable"),
    ("abcdefghijkl", "guessable"),
])
def test_policy_refuses_with_one_clear_reason(password, code):
    problems = password_problems(password, "rita")
    assert [(p.path, p.code) for p in problems] == [("/password", code)]
    assert problems[0].message


def test_long_passwords_are_judged_by_their_start():
    """Up to 256 characters are allowed; the estimator reads the first 40 (its cost grows
    steeply with the length, and it refuses more than 72 characters outright)."""
    strong = "Tr0ub4dor&3x-saddle-lantern-quartz-ridge"
    assert password_problems(strong + "a" * 216, "rita") == []
    assert [p.code for p in password_problems("a" * 40 + strong, "rita")] == ["guessable"]


def test_policy_refuses_a_password_inside_the_user_name():
    assert [p.code for p in password_problems("maximilian-s", "maximilian-schmidt")] == ["username"]


@pytest.mark.parametrize("password", [TEST_PASSWORD, "panning-for-gold", "Tr0ub4dor&3x-x",
                                      "long-enough-pw", "一二三四五六七八九十百千"])
def test_policy_accepts_long_uncommon_passwords(password):
    assert password_problems(password, "rita") == []


def test_the_policy_applies_when_a_user_is_added_and_nothing_is_written(store):
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as refused:
        add_user(store, "bad name!", "king", "password123", team="nowhere",
                 display_name="x" * 101)
    assert set(codes(refused.value)) == {("/username", "pattern"), ("/role", "enum"),
                                         ("/team", "unknown_team"), ("/password", "common"),
                                         ("/display_name", "maxLength")}
    assert snapshot(store) == before
    assert MIN_PASSWORD == 10


@pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)
def test_user_names_are_unique_whatever_their_case_and_nothing_is_written(store, rita):
    before = snapshot(store)
    for name, message in [("Rita", "The user “rita” already exists; user names ignore case."),
                          ("RITA", "The user “rita” already exists; user names ignore case."),
                          ("rita", "The user “rita” already exists.")]:
        with pytest.raises(ValidationFailed) as refused:
            add_user(store, name, "rep", TEST_PASSWORD)
        assert codes(refused.value) == [("/username", "unique")]
        assert refused.value.violations[0].message == message, "it names who has the name"
    assert snapshot(store) == before
    assert add_user(store, "rital", "rep", TEST_PASSWORD)["username"] == "rital", \
        "a name that merely contains another is a different name"


def test_added_users_are_active_with_their_display_name(store):
    user = add_user(store, "ann", "rep", TEST_PASSWORD, display_name="  Ann Lee  ", actor="admin")
    assert user["active"] is True and user["display_name"] == "Ann Lee"
    row = store.find("audit")[-1]
    assert row["by"] == "admin" and row["changes"]["display_name"] == [None, "Ann Lee"]
    assert row["changes"]["password_hash"] == [None, REDACTED]


def test_every_write_of_a_user_raises_its_version(store, goldsieve_clock):
    """What lets a writer that checks the version (the weekly digest's mark) see any other write."""
    add_user(store, "ann", "rep", TEST_PASSWORD)
    assert find_user(store, "ann")["version"] == 1
    start_session(store, "ann", clock=goldsieve_clock)
    set_locale(store, find_user(store, "ann"), "zh_Hans")
    set_active(store, "ann", False, actor="admin")
    assert find_user(store, "ann")["version"] == 4


# --- deactivation ----------------------------------------------------------------------------


def test_deactivation_ends_login_sessions_and_tokens(store, goldsieve_user, rita, goldsieve_clock):
    session = start_session(store, "rita", clock=goldsieve_clock)
    token = issue_token(store, "rita")
    assert session_user(store, session, goldsieve_clock)["username"] == "rita"

    set_active(store, "rita", False, actor="admin")

    assert authenticate(store, "rita", TEST_PASSWORD) is None
    assert session_user(store, session, goldsieve_clock) is None
    assert user_for_token(store, token) is None
    assert store.find("sessions") == [] and store.find("tokens") == []
    row = store.find("audit")[-1]
    assert (row["by"], row["action"], row["changes"]) == ("admin", "user_deactivated",
                                                         {"active": [True, False]})
    assert (row["ended_sessions"], row["revoked_tokens"]) == (1, 1)
    with pytest.raises(ValidationFailed) as refused:
        issue_token(store, "rita")
    assert codes(refused.value) == [("/username", "inactive")]


def test_a_session_or_token_of_a_deactivated_user_is_refused_even_if_it_survived(
        store, goldsieve_user, rita, goldsieve_clock):
    """Lookups check ``active`` themselves (a backend where a session row outlived the
    deactivation, say a concurrent login, must not let it through)."""
    session = start_session(store, "rita", clock=goldsieve_clock)
    token = issue_token(store, "rita")
    with store.transaction() as txn:  # deactivated behind set_active's back
        txn.replace("users", {**find_user(store, "rita"), "active": False})
    assert session_user(store, session, goldsieve_clock) is None
    assert user_for_token(store, token) is None


def test_a_write_from_a_stale_read_does_not_undo_a_deactivation(store, goldsieve_user, rita):
    """A page read the user, then an admin deactivated them, then the page saved the language:
    the save applies to the user as stored now."""
    stale = find_user(store, "rita")
    set_active(store, "rita", False, actor="admin")
    set_locale(store, stale, "zh_Hans")
    update_user(store, "rita", display_name="Rita", actor="admin")
    current = find_user(store, "rita")
    assert (current["active"], current["locale"], current["display_name"]) == (False, "zh_Hans",
                                                                              "Rita")


def test_a_write_on_a_row_read_before_another_commit_is_refused_not_applied(store, rita, monkeypatch,
                                                                         goldsieve_clock):
    """On PostgreSQL a transaction can read the user just before another process's write commits
    (read committed): its own write must not undo that one. A login's stamp gives way; the
    login does not."""
    from goldsieve.store import Conflict
    from goldsieve.store.filters import Eq

    from tests.automation.test_digest import read_before_that_commit

    stale = find_user(store, "rita")
    set_active(store, "rita", False, actor="admin")  # the write the stale reads do not see
    read_before_that_commit(monkeypatch, store, stale)
    with pytest.raises(Conflict):
        set_locale(store, stale, "zh_Hans")
    session = start_session(store, "rita", clock=goldsieve_clock)
    monkeypatch.undo()
    current = find_user(store, "rita")
    assert current["active"] is False and current.get("locale") != "zh_Hans"  # nothing undone
    assert "last_login_at" not in current and store.find("sessions", Eq("username", "rita"))
    assert session


def test_reactivation_lets_the_user_log_in_again(store, goldsieve_user, rita):
    set_active(store, "rita", False)
    set_active(store, "rita", True, actor="admin")
    assert authenticate(store, "rita", TEST_PASSWORD)["username"] == "rita"
    assert store.find("audit")[-1]["action"] == "user_activated"


def test_users_from_before_deactivation_existed_are_active(store, goldsieve_user):
    with store.transaction() as txn:
        legacy = {k: v for k, v in find_user(store, "admin").items() if k != "active"}
        txn.replace("users", legacy)
    assert authenticate(store, "admin", TEST_PASSWORD)["username"] == "admin"


# --- the last active admin -------------------------------------------------------------------


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(store, goldsieve_user):
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as demote:
        update_user(store, "admin", role="manager", actor="admin")
    with pytest.raises(ValidationFailed) as deactivate:
        set_active(store, "admin", False, actor="admin")
    assert codes(demote.value) == [("/role", "last_admin")]
    assert codes(deactivate.value) == [("/active", "last_admin")]
    assert snapshot(store) == before


def test_an_inactive_admin_does_not_count(store, goldsieve_user, goldsieve_make_user):
    goldsieve_make_user("root", "admin")
    set_active(store, "root", False)
    with pytest.raises(ValidationFailed):
        update_user(store, "admin", role="rep")


def test_with_another_active_admin_an_admin_may_step_down(store, goldsieve_user,
                                                         goldsieve_make_user):
    goldsieve_make_user("root", "admin")
    assert update_user(store, "admin", role="manager", actor="admin")["role"] == "manager"
    with pytest.raises(ValidationFailed):  # now root is the last one
        set_active(store, "root", False)


# --- passwords: the user's change and the admin's reset --------------------------------------


def test_change_password_reports_everything_at_once_and_writes_nothing(store, rita):
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as refused:
        change_password(store, "rita", "not-my-password", "rita-rita-rita", "something-else")
    assert codes(refused.value) == [("/current_password", "wrong_password"),
                                    ("/new_password", "username"),
                                    ("/repeat_password", "mismatch")]
    assert snapshot(store) == before


def test_change_password_ends_every_session_and_is_audited(store, rita, goldsieve_clock):
    first = start_session(store, "rita", clock=goldsieve_clock)
    second = start_session(store, "rita", clock=goldsieve_clock)
    old_hash = find_user(store, "rita")["password_hash"]

    change_password(store, "rita", TEST_PASSWORD, "a-brand-new-passphrase", "a-brand-new-passphrase")

    assert authenticate(store, "rita", "a-brand-new-passphrase")["username"] == "rita"
    assert authenticate(store, "rita", TEST_PASSWORD) is None
    assert session_user(store, first, goldsieve_clock) is None
    assert session_user(store, second, goldsieve_clock) is None
    row = store.find("audit")[-1]
    assert (row["by"], row["action"], row["ended_sessions"]) == ("rita", "password_changed", 2)
    assert row["changes"] == {"password_hash": [REDACTED, REDACTED]}
    assert old_hash not in json.dumps(store.find("audit"))


def test_admin_reset_applies_the_policy_and_ends_sessions(store, goldsieve_user, rita,
                                                          goldsieve_clock):
    session = start_session(store, "rita", clock=goldsieve_clock)
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as refused:
        set_password(store, "rita", "1234567890", actor="admin")
    assert codes(refused.value) == [("/password", "common")]
    assert snapshot(store) == before
    with pytest.raises(ValidationFailed) as unknown:
        set_password(store, "nobody", "a-brand-new-passphrase", actor="admin")
    assert codes(unknown.value) == [("/username", "unknown_user")]

    set_password(store, "rita", "a-brand-new-passphrase", actor="admin")
    assert session_user(store, session, goldsieve_clock) is None
    row = store.find("audit")[-1]
    assert (row["by"], row["action"], row["target"]) == ("admin", "password_reset",
                                                         {"type": "user", "id": "rita"})


def test_a_login_stamps_last_login(store, rita, goldsieve_clock):
    assert "last_login_at" not in find_user(store, "rita")
    start_session(store, "rita", clock=goldsieve_clock)
    assert find_user(store, "rita")["last_login_at"] == "2026-01-05T09:00:00.000Z"


def test_display_name_changes_are_audited(store, rita):
    update_user(store, "rita", display_name="Rita Q.", actor="admin")
    update_user(store, "rita", display_name="", actor="admin")  # empty: none
    assert find_user(store, "rita")["display_name"] is None
    changes = [row["changes"] for row in store.find("audit")[-2:]]
    assert changes == [{"display_name": [None, "Rita Q."]}, {"display_name": ["Rita Q.", None]}]
