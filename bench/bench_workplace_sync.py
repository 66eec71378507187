"""The org sync of a DingTalk organisation of ``--people`` members in ten departments, against
the local fake of DingTalk (``tests/workplace/fakes.py``), on the embedded store.

    .venv/bin/python bench/bench_workplace_sync.py [--people 2000]

Measured in one process, at the real password-hashing cost: (a) reading the org chart and
planning (the dry run), (b) the first sync, which creates every team and user (each change
checked and audited on its own), (c) the next dry run, which finds nothing to change; and the
requests the fake got (the token once, the department lists, the member pages of 100).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fakes live beside the tests

from goldsieve.clock import utc_now  # noqa: E402
from goldsieve.plugins import templates  # noqa: E402
from goldsieve.runtime import open_runtime  # noqa: E402
from goldsieve.workplace.sync import apply, plan  # noqa: E402
from goldsieve.workspace import Workspace, init_workspace  # noqa: E402

from tests.workplace.fakes import FakeDingTalk, toml_table  # noqa: E402

SECRET_ENV = "GOLDSIEVE_BENCH_DINGTALK_SECRET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    people = parser.parse_args().people
    template = next(t for t in templates.goldsieve_funnel_templates() if t["id"] == "software")
    workspace = init_workspace(Path(tempfile.mkdtemp()) / "workspace", template)
    with FakeDingTalk(utc_now) as fake:
        fake.page = 100  # DingTalk's largest page
        os.environ[SECRET_ENV] = fake.secret
        for dept in range(10):
            fake.add_department(str(dept + 2), f"部门{dept}", "1")
        for i in range(people):
            fake.add_person(f"p{i}", f"员工{i}", [str(i % 10 + 2)], title="销售")
        config = workspace.path / "goldsieve.toml"
        config.write_text(config.read_text(encoding="utf-8") + "\n" + toml_table("dingtalk", fake, SECRET_ENV),
                          encoding="utf-8")
        with open_runtime(Workspace.load(workspace.path), entry_points=False) as runtime:
            client = runtime.workplace["dingtalk"]
            started = time.perf_counter()
            planned = plan(runtime.store, client)
            planned_at = time.perf_counter()
            apply(runtime.store, client, planned)
            synced_at = time.perf_counter()
            again = plan(runtime.store, client)
            done_at = time.perf_counter()
    first = synced_at - planned_at
    print(f"{people} people: (a) dry run {planned_at - started:.2f} s, (b) first sync {first:.2f} s "
          f"({first / people * 1000:.1f} ms a person), (c) next dry run {done_at - synced_at:.2f} s "
          f"(nothing to change: {again.empty}); {len(fake.requests)} requests")


if __name__ == "__main__":
    main()
