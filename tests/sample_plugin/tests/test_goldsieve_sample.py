"""The sample plugin, installed and found through its entry point, tested as its author would:
with goldsieve's testing kit only (fixtures, the API, the pages, the CLI), nothing internal."""
from __future__ import annotations

import json

import pytest

FUNNEL = {
    "id": "sample", "title": {"en": "Sample sales", "zh-Hans": "示例销售"}, "version": 1, "currency": "CNY",
    "fields": {"type": "object", "properties": {"company": {"type": "string", "minLength": 1}},
               "required": ["company"]},
    "stages": [{"id": "lead", "title": "Lead", "kind": "open", "probability": 0.1, "rot_days": 14},
               {"id": "qualified", "title": "Qualified", "kind": "open", "probability": 0.4, "rot_days": 14},
               {"id": "won", "title": "Won", "kind": "won", "probability": 1.0},
               {"id": "lost", "title": "Lost", "kind": "lost", "probability": 0.0}],
    "transitions": {"skip": False, "back": True},
    "lost_reasons": [{"id": "price", "title": "Price"}],
}
#: the rule naming the plugin's action: only a workspace that enables the plugin has the action
NOTE_OWNER = {"id": "note-owner", "on": "stage_entered", "stage": "qualified",
              "do": [{"action": "sample_note", "text": "{title} is qualified"}]}


@pytest.fixture
def goldsieve_funnel(sample_settings):
    funnel = json.loads(json.dumps(FUNNEL))
    funnel["automations"] = [NOTE_OWNER] if sample_settings else []
    return funnel


@pytest.fixture
def goldsieve_entry_points():
    return True  # the installed package, as goldsieve finds it


@pytest.fixture
def sample_settings():
    """The ``[plugin.sample]`` table of the test workspace (``None``: the plugin stays off)."""
    return None


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace, sample_settings):
    if sample_settings is not None:
        with (goldsieve_workspace.path / "goldsieve.toml").open("a", encoding="utf-8") as toml:
            toml.write(f"\n[plugin.sample]\n{sample_settings}\n")
    return goldsieve_workspace


def create(api, title="Acme"):
    return api.post("deals", {"funnel": "sample", "title": title, "data": {"company": "Acme"}})


def won(api):
    deal = create(api).json
    for stage in ("qualified", "won"):
        deal = api.post(f"deals/{deal['id']}/move", {"to": stage, "version": deal["version"]}).json
    return deal


@pytest.mark.parametrize("sample_settings", ["enabled = true"])
def test_it_is_loaded_through_its_entry_point(goldsieve_cli):
    listed = goldsieve_cli("plugins", "--json")
    [sample] = [p for p in json.loads(listed.stdout) if p["name"] == "sample"]
    assert sample["origin"]["kind"] == "entry_point"
    assert sample["origin"]["distribution"] == "goldsieve-sample-plugin"
    assert {"goldsieve_gate_check", "goldsieve_permission", "goldsieve_deal_event", "goldsieve_actions",
            "goldsieve_blueprints", "goldsieve_startup"} <= set(sample["hooks"])
    assert goldsieve_cli("check").exit_code == 0  # the funnel's sample_note action is known


def test_it_is_inert_unless_the_workspace_enables_it(goldsieve_api, goldsieve_cli, goldsieve_workspace):
    naming = {**FUNNEL, "id": "noted", "automations": [NOTE_OWNER]}
    (goldsieve_workspace.path / "funnels" / "noted.json").write_text(json.dumps(naming), encoding="utf-8")
    checked = goldsieve_cli("check", "funnels/noted.json")
    assert checked.exit_code == 1 and "`sample_note` is not an action" in checked.output  # not offered
    assert all(create(goldsieve_api, f"Deal {n}").status_code == 201 for n in range(3))
    deal = won(goldsieve_api)
    assert goldsieve_api.patch(f"deals/{deal['id']}", {"title": "Renamed", "version": deal["version"]}
                               ).status_code == 200
    answer = goldsieve_api.get("/sample/api/summary")
    assert answer.status_code == 404


@pytest.mark.parametrize("sample_settings", ["enabled = true\nmax_open_deals = 1"])
def test_its_gate_counts_open_deals_in_the_store(goldsieve_api):
    assert create(goldsieve_api, "First").status_code == 201
    refused = create(goldsieve_api, "Second")
    assert refused.status_code == 422
    assert refused.json["errors"] == [{"path": "", "code": "open_deal_limit", "message":
                                       "You already own 1 open deals, the most this workspace allows."}]
    assert [d["title"] for d in goldsieve_api.get("deals").json["items"]] == ["First"]


@pytest.mark.parametrize("sample_settings", ["enabled = true\nfreeze_won = true"])
def test_its_permission_says_why_in_the_api_and_on_the_page(goldsieve_api, goldsieve_browser):
    deal = won(goldsieve_api)
    refused = goldsieve_api.patch(f"deals/{deal['id']}", {"title": "Renamed", "version": deal["version"]})
    assert refused.status_code == 403
    assert refused.json["errors"][0]["message"].endswith(": Won deals are frozen.")
    assert goldsieve_browser.login("admin").status_code == 302
    page = goldsieve_browser.post(f"/deals/{deal['id']}", {"title": "Renamed", "version": deal["version"]},
                                  headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 403
    assert "<h1>无权访问</h1>" in page.get_data(as_text=True) and "赢单已冻结。" in page.get_data(as_text=True)
    assert goldsieve_api.get(f"deals/{deal['id']}").json["title"] == "Acme"


@pytest.mark.parametrize("sample_settings", ["enabled = true"])
def test_its_action_runs_from_the_outbox_and_its_api_counts_stage_changes(goldsieve_api, goldsieve_worker,
                                                                           goldsieve_app, goldsieve_token):
    before = goldsieve_api.get("/sample/api/summary").json["stage_changes"].get("qualified", 0)
    deal = create(goldsieve_api).json
    goldsieve_api.post(f"deals/{deal['id']}/move", {"to": "qualified", "version": deal["version"]})
    assert goldsieve_worker.outbox() == 1
    [note] = goldsieve_api.get("notifications").json["items"]
    assert note["text"] == "Acme is qualified"
    summary = goldsieve_api.get("/sample/api/summary")
    assert summary.status_code == 200
    assert summary.json["user"] == "admin" and summary.json["open_deals"] == 1
    assert summary.json["stage_changes"]["qualified"] == before + 1


@pytest.mark.parametrize("sample_settings", ["enabled = true"])
def test_its_api_takes_only_bearer_tokens(goldsieve_app, goldsieve_browser, goldsieve_user):
    anonymous = goldsieve_app.test_client().get("/sample/api/summary")
    assert anonymous.status_code == 401 and anonymous.json["errors"][0]["code"] == "unauthorized"
    goldsieve_browser.login("admin")
    assert goldsieve_browser.get("/sample/api/summary").status_code == 401  # a session is no token


@pytest.mark.parametrize("sample_settings", ["enabled = true\nmax_open_deals = 0"])
def test_a_bad_setting_stops_start_up_naming_the_plugin(request, sample_settings):
    with pytest.raises(Exception, match=r"^plugin sample: goldsieve_startup: ValueError: "
                                        r"\[plugin.sample\] max_open_deals = 0: a whole number, at least 1$"):
        request.getfixturevalue("goldsieve_runtime")


@pytest.mark.parametrize("sample_settings", ["enabled = true"])
def test_the_real_server_loads_it_and_its_api_answers_bearer_tokens(goldsieve_cli, goldsieve_serve):
    import urllib.error
    import urllib.request

    from goldsieve.testing import TEST_PASSWORD

    assert goldsieve_cli("users", "add", "admin", "--role", "admin", input=f"{TEST_PASSWORD}\n").exit_code == 0
    token = goldsieve_cli("users", "token", "admin", "--quiet").stdout.strip()
    server = goldsieve_serve()  # `goldsieve serve` in its own process: the plugin by its entry point
    asked = urllib.request.Request(f"{server.url}/sample/api/summary", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        assert answer.status == 200 and json.load(answer)["user"] == "admin"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{server.url}/sample/api/summary", timeout=30)
    assert anonymous.value.code == 401
