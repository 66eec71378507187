"""Commands that check no data start without loading jsonschema: importing it loads every format
checker's library (dates, e-mail, URIs, durations through isoduration and arrow), about a third
of a command's start-up (bench/README.md). A command that validates loads it when it does."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import FUNNELS

HEAVY = ("jsonschema", "isoduration", "arrow", "goldsieve.records.customers")

PROBE = """
import json, sys
from goldsieve.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="goldsieve", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def loaded(*args: str) -> list[str]:
    """The heavy modules a ``goldsieve`` run with ``args`` imported, in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["templates", "--ids"], ["templates"]])
def test_commands_that_check_nothing_load_no_validator(args):
    assert loaded(*args) == []


def test_a_check_still_loads_the_validator_and_its_formats():
    assert "jsonschema" in loaded("check", str(FUNNELS / "design_example.json"))
