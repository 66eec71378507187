"""``goldsieve plugin new NAME``: a plugin package to start from, green from its first test.

It writes a folder with a ``pyproject.toml`` declaring the ``goldsieve`` entry point, a module
with one hook (a gate), and a test that runs it through the real API with the testing kit
(``goldsieve.testing``), so an author changes working code instead of assembling it.
"""
from __future__ import annotations

import keyword
import re
from pathlib import Path

import click

from .base import cli, fail

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "goldsieve-{dist}"
version = "0.1.0"
description = "A goldsieve plugin: {name}"
requires-python = ">=3.11"
dependencies = ["goldsieve"]

[project.optional-dependencies]
test = ["pytest"]

# goldsieve loads every installed package that declares an entry point in this group
[project.entry-points.goldsieve]
{name} = "{name}"

[tool.setuptools]
packages = ["{name}"]
'''

MODULE = '''"""The {name} plugin for goldsieve: hooks marked with ``@hookimpl`` (docs/plugins.md)."""
from goldsieve import hookimpl
from goldsieve.errors import Violation

SHOUTING = {{"en": "Write the title in normal case, not in capitals.",
            "zh-Hans": "标题请勿全部使用大写字母。", "zh-Hant": "標題請勿全部使用大寫字母。"}}


@hookimpl
def goldsieve_gate_check(deal, context):
    """A new deal's title is not written in capitals (on creation the deal has no stage yet)."""
    title = deal.get("title") or ""
    if deal.get("stage") is None and title.isupper():
        return [Violation("/title", "shouting", context.translate(SHOUTING))]
    return []
'''

TEST = '''"""The {name} plugin, run in a real workspace by goldsieve's testing kit."""
import pytest

import {name}


@pytest.fixture
def goldsieve_plugins():
    """The runtime and the app of these tests run this plugin."""
    return [{name}]


def test_a_shouted_title_is_refused_and_nothing_is_written(goldsieve_api, goldsieve_runtime):
    response = goldsieve_api.post("deals", {{"funnel": "software", "title": "ACME DEAL",
                                            "data": {{"company": "Acme"}}}})
    assert response.status_code == 422
    assert response.json["errors"][0]["path"] == "/title"
    assert goldsieve_runtime.store.count("deals") == 0


def test_a_title_in_normal_case_is_accepted(goldsieve_api):
    response = goldsieve_api.post("deals", {{"funnel": "software", "title": "Acme deal",
                                            "data": {{"company": "Acme"}}}})
    assert response.status_code == 201
'''

README = '''# goldsieve-{dist}

A goldsieve plugin. `pip install -e '.[test]'` installs it (goldsieve finds it through its
`goldsieve` entry point) and `pytest` runs its tests with goldsieve's testing kit.
'''


@cli.group("plugin")
def plugin_group() -> None:
    """Write plugins: start a package."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Where to create the package's folder.")
def plugin_new(name: str, directory: Path) -> None:
    """Write the package NAME: pyproject.toml with its entry point, one hook, one test."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) or keyword.iskeyword(name) or name == "goldsieve":
        fail(f"{name!r}: a plugin's name is a Python module name: lower-case letters, digits and "
             "_ (at most 40), starting with a letter, e.g. discount_rules")
    folder = directory / name
    if folder.exists():
        fail(f"{folder}: already exists; choose another name or --directory")
    files = {"pyproject.toml": PYPROJECT, f"{name}/__init__.py": MODULE, f"tests/test_{name}.py": TEST,
             "README.md": README}
    for relative, template in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, dist=name.replace("_", "-")), encoding="utf-8")
    click.echo(f"Wrote {folder}: pip install -e '{folder}[test]', then pytest {folder}")
