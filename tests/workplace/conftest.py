"""A workspace configured for one platform at a time, pointed at that platform's local fake."""
from __future__ import annotations

import pytest

from goldsieve.runtime import open_runtime

from .fakes import FAKES, toml_table

PLATFORMS = ("dingtalk", "wecom", "feishu")
SECRET_ENV = "GOLDSIEVE_TEST_WORKPLACE_SECRET"
BASE_URL = "https://crm.example.com"


@pytest.fixture(params=PLATFORMS)
def platform(request) -> str:
    return request.param


@pytest.fixture
def fake(platform, goldsieve_clock):
    with FAKES[platform](goldsieve_clock) as server:
        yield server


@pytest.fixture
def workplace_settings() -> dict[str, str]:
    """Extra keys of the platform's table (override to give roles, sync_hours, …)."""
    return {}


@pytest.fixture
def goldsieve_runtime(goldsieve_workspace, goldsieve_clock, platform, fake, workplace_settings, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, fake.secret)
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(f'base_url = "{BASE_URL}"\n' + config.read_text(encoding="utf-8") + "\n"
                      + toml_table(platform, fake, SECRET_ENV, **workplace_settings), encoding="utf-8")
    from goldsieve.workspace import Workspace

    runtime = open_runtime(Workspace.load(goldsieve_workspace.path), clock=goldsieve_clock, entry_points=False)
    yield runtime
    runtime.close()


@pytest.fixture
def client(goldsieve_runtime, platform):
    return goldsieve_runtime.workplace[platform]
