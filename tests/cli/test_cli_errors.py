"""Bad input the command line meets outside the kernel (a file the system refuses, a
configuration that is not text, a database driver's long message) is one ``Error:`` line and
exit 1, never a traceback, and nothing is written."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.workspace import Workspace, set_store_url


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def one_error_line(result) -> str:
    """The single line a refused command printed; fails on a traceback or a second line."""
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, (OSError, UnicodeError)), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def made(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert run("init", str(folder)).exit_code == 0
    return folder


def test_a_configuration_that_is_not_utf8_is_one_line_naming_the_file(tmp_path):
    folder = made(tmp_path)
    config = folder / "goldsieve.toml"
    config.write_bytes(config.read_bytes() + b"\n# caf\xe9\n")  # Latin-1, as an old editor saves
    before = sorted(p.name for p in (folder / "data").iterdir())
    line = one_error_line(run("users", "list", "--workspace", str(folder)))
    assert str(config) in line and "not UTF-8" in line and "save it as UTF-8" in line
    assert sorted(p.name for p in (folder / "data").iterdir()) == before


def test_a_folder_the_system_cannot_make_is_one_line_naming_it(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    target = tmp_path / "taken" / "ws"
    line = one_error_line(run("init", str(target)))
    assert str(tmp_path / "taken") in line and "Not a directory" in line
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


def test_an_unreachable_postgresql_is_one_line_although_the_driver_says_more(tmp_path):
    folder = made(tmp_path)
    set_store_url(Workspace.load(folder), "postgresql://nobody@127.0.0.1:1/none")
    line = one_error_line(run("users", "list", "--workspace", str(folder)))
    assert "cannot reach PostgreSQL" in line and "127.0.0.1:1" in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_while_exporting_is_one_line(tmp_path):
    folder = made(tmp_path)
    line = one_error_line(run("export", "--workspace", str(folder), "--funnel", "software",
                              "--format", "json", "--output", "/dev/full"))
    assert line == "Error: No space left on device"
