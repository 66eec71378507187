"""The testing kit runs the real thing: a runtime and an app built with the test's plugins
(actions and blueprints included), one round of the outbox and of the scanners, a login through
the form, ``goldsieve`` commands in-process, and ``goldsieve plugin new`` green from the start."""
from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from flask import Blueprint, g, jsonify

from goldsieve import hookimpl
from goldsieve.automation.actions import Action
from goldsieve.cli import cli
from goldsieve.store.filters import Eq

SENT: list[dict] = []


def send_sms(context):
    with context.transaction():
        SENT.append({"deal": context.deal["id"], "text": context.render(context.params["text"], ""),
                     "key": context.key})


pages = Blueprint("sms_pages", __name__, url_prefix="/sms")


@pages.get("/sent")
def sent():
    return jsonify(user=g.user["username"], sent=len(SENT))


class Sms:
    """A plugin adding an action and pages, as a package would."""

    @hookimpl
    def goldsieve_actions(self):
        schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
                  "additionalProperties": False}
        return [Action("sms", schema, send_sms)]

    @hookimpl
    def goldsieve_blueprints(self):
        return [pages]


SMS = Sms()


@pytest.fixture
def goldsieve_plugins():
    return [SMS]


@pytest.fixture
def goldsieve_funnel(goldsieve_funnel):
    """The suite's funnel texting the owner when a deal enters negotiation."""
    funnel = copy.deepcopy(goldsieve_funnel)
    funnel["automations"] = [{"id": "text-owner", "on": "stage_entered", "stage": "qualified",
                              "do": [{"action": "sms", "text": "Qualified: {title}"}]}]
    return funnel


@pytest.fixture(autouse=True)
def nothing_sent():
    SENT.clear()


def test_a_funnel_naming_the_test_plugin_action_runs_it_through_the_outbox(
        goldsieve_runtime, goldsieve_user, goldsieve_worker):
    engine = goldsieve_runtime.engine
    deal = engine.create(goldsieve_user, "handmade", "Acme", {"company": "Acme"})
    engine.move(goldsieve_user, deal["id"], "qualified", {"needs_survey": "done"}, version=deal["version"])
    assert SENT == []  # nothing leaves before the outbox runs
    assert goldsieve_worker.outbox() == 1
    assert [(row["deal"], row["text"]) for row in SENT] == [(deal["id"], "Qualified: Acme")]
    assert goldsieve_worker.outbox() == 0  # delivered once


def test_the_scanners_run_once_and_report(goldsieve_worker):
    done = goldsieve_worker.scanners()
    assert set(done) >= {"stale", "overdue", "digests", "delivered"} and done["delivered"] == 0


def test_the_app_serves_the_test_plugin_blueprint_behind_the_login(goldsieve_browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    assert goldsieve_browser.get("/sms/sent").status_code == 302  # to the login
    assert goldsieve_browser.login("rita").status_code == 302
    assert goldsieve_browser.get("/sms/sent").json == {"user": "rita", "sent": 0}


def test_the_browser_posts_with_the_csrf_token(goldsieve_browser, goldsieve_user, goldsieve_runtime):
    deal = goldsieve_runtime.engine.create(goldsieve_user, "handmade", "Acme", {"company": "Acme"})
    goldsieve_browser.login("admin")
    noted = goldsieve_browser.post(f"/deals/{deal['id']}/notes", {"text": "Called them"})
    assert noted.status_code == 303
    goldsieve_browser.token = "forged"
    refused = goldsieve_browser.post(f"/deals/{deal['id']}/notes", {"text": "Forged"})
    assert refused.status_code == 400
    notes = [e["note"] for e in goldsieve_runtime.store.find("events", Eq("type", "note_added"))]
    assert notes == ["Called them"]


def test_the_cli_runs_in_process_on_the_test_workspace(goldsieve_cli):
    checked = goldsieve_cli("check")
    assert checked.exit_code == 0, checked.output
    listed = goldsieve_cli("plugins", "--json")
    assert listed.exit_code == 0 and "goldsieve.plugins.gates" in listed.output
    refused = goldsieve_cli("user", "add", "bo", "--role", "boss", lang="zh-Hans")
    assert refused.exit_code != 0


def test_plugin_new_writes_a_package_whose_test_passes_with_the_kit(tmp_path):
    made = CliRunner().invoke(cli, ["plugin", "new", "shout_gate", "--directory", str(tmp_path)])
    assert made.exit_code == 0, made.output
    package = tmp_path / "shout_gate"
    assert '[project.entry-points.goldsieve]\nshout_gate = "shout_gate"' in (package / "pyproject.toml").read_text()
    environment = {**os.environ, "PYTHONPATH": str(package)}  # nothing is installed
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                          "tests"], cwd=package, env=environment, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout


@pytest.mark.parametrize("name", ["Bad-Name", "1st", "class", "goldsieve"])
def test_plugin_new_refuses_a_name_that_is_no_module_name(tmp_path, name):
    made = CliRunner().invoke(cli, ["plugin", "new", name, "--directory", str(tmp_path)])
    assert made.exit_code == 1 and "a plugin's name is a Python module name" in made.stderr
    assert list(tmp_path.iterdir()) == []


def test_plugin_new_never_overwrites(tmp_path):
    (tmp_path / "taken").mkdir()
    made = CliRunner().invoke(cli, ["plugin", "new", "taken", "--directory", str(tmp_path)])
    assert made.exit_code == 1 and "already exists" in made.stderr
    assert list((tmp_path / "taken").iterdir()) == []
