"""The record types while running (issue 17): what the per-request look at the record files costs
against the request it comes before, and what a designer save costs.

    .venv/bin/python bench/bench_records.py [--requests 300] [--saves 30]

One workspace on the embedded store, with the demo's customer record type. Interleaved in one run:

- ``refresh``: ``RecordFiles.refresh`` with the files unchanged (a ``stat`` of each record file),
  which the web app calls before every request;
- ``request``: ``GET /customers/new`` through the app (a logged-in admin), which renders the
  declared fields and includes one ``refresh``;
- ``save``: one field re-titled and saved as the designer saves it (the check, the file written and
  moved, the audit row's transaction, the types loaded again), measured every tenth round.

The medians are printed with refresh / request: the share of a page the look at the files takes.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from goldsieve.demo.customers import write_records
from goldsieve.funnels import edit_fields
from goldsieve.funnels.edit_fields import FieldForm
from goldsieve.people.users import add_user
from goldsieve.records.edit import definition_of, digest
from goldsieve.testing import TEST_PASSWORD, Browser
from goldsieve.web.app import create_app
from goldsieve.workspace import init_workspace

FUNNEL = json.loads((Path(__file__).parents[1] / "tests" / "funnels" / "design_example.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--saves", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = init_workspace(Path(folder) / "ws", FUNNEL)
        write_records(workspace.path)
        app = create_app(workspace.path)
        runtime = app.extensions["goldsieve"]
        add_user(runtime.store, "admin", "admin", TEST_PASSWORD)
        browser = Browser(app.test_client())
        assert browser.login("admin").status_code == 302
        times: dict[str, list[float]] = {"refresh": [], "request": [], "save": []}
        for round_ in range(args.requests):
            start = time.perf_counter()
            runtime.records.refresh()
            times["refresh"].append(time.perf_counter() - start)
            start = time.perf_counter()
            assert browser.get("/customers/new").status_code == 200
            times["request"].append(time.perf_counter() - start)
            if round_ % 10 == 0 and len(times["save"]) < args.saves:
                running = definition_of(runtime.records.types, "customer")
                candidate = copy.deepcopy(running)
                edit_fields.set_field(candidate, "industry", FieldForm(titles={"en": f"Industry {round_}"}), new=False)
                start = time.perf_counter()
                runtime.records.save("customer", candidate, by="admin", at="2026-12-08T00:00:00.000Z",
                                     base=digest(running))
                times["save"].append(time.perf_counter() - start)
        runtime.close()
    medians = {kind: statistics.median(values) * 1e6 for kind, values in times.items()}
    print(f"{'':10}{'median':>12}{'runs':>8}")
    for kind, value in medians.items():
        print(f"{kind:10}{value:>10,.1f} µs{len(times[kind]):>8}")
    print(f"refresh / request: {medians['refresh'] / medians['request']:.4f}")


if __name__ == "__main__":
    sys.exit(main())
