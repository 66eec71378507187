"""What automation costs: rules on every write, delivering the outbox, and the stale scan.

    .venv/bin/python bench/bench_automation.py [--deals 10000] [--ops 300]

One workspace on the embedded store holds ``--deals`` deals. The same deals are moved back and
forth between two stages while the funnel's rules are switched between variants *per move*
(interleaved, so every variant sees the same disk): no rules; 20 rules that match nothing; one
matching rule (one outbox row per move); one matching rule with three actions. Then the rows
those moves wrote are delivered (``notify``: one notification each), and the stale scan runs
over the deals when none is stale, with the store's ordered indexes and without them.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from bench_move import FUNNEL, fill, median_us

from goldsieve.automation.scanner import scan_stale
from goldsieve.funnels.rules import Rule
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.workspace import init_workspace

NOTIFY = {"action": "notify", "to": "owner", "message": "{title} entered {stage}"}
VARIANTS = {
    "no rules": [],
    "20 rules, none matching": [Rule.from_definition(
        {"id": f"r{i}", "on": "stage_entered", "stage": "negotiation", "do": [NOTIFY]}) for i in range(20)],
    "1 matching rule, 1 action": [Rule.from_definition({"id": "m", "on": "stage_entered", "do": [NOTIFY]})],
    "1 matching rule, 3 actions": [Rule.from_definition(
        {"id": "m3", "on": "stage_entered", "do": [NOTIFY, NOTIFY, NOTIFY]})],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        funnel = json.loads(json.dumps(FUNNEL))
        funnel["automations"] = []
        funnel["stages"][0]["rot_days"] = 14  # the scan looks at every deal in the first stage
        workspace = init_workspace(Path(tmp) / "ws", funnel)
        runtime = open_runtime(workspace, entry_points=False)
        user = add_user(runtime.store, "bench", "admin", "measured-gold-nuggets")
        ids = fill(runtime, user, args.deals)
        engine = runtime.engine
        rules = engine.funnels.get("handmade").rules
        picked = random.Random(7).sample(ids, min(args.ops, len(ids)))
        samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for i in range(args.ops):
            for name, variant in VARIANTS.items():
                rules[:] = variant
                deal_id = picked[(i * len(VARIANTS) + list(VARIANTS).index(name)) % len(picked)]
                stage = engine.get(user, deal_id)["stage"]
                start = time.perf_counter()
                engine.move(user, deal_id, "lead" if stage == "qualified" else "qualified")
                samples[name].append(time.perf_counter() - start)
        base = median_us(samples["no rules"])
        print(f"deals: {args.deals:,}, moves per variant: {args.ops}")
        print(f"{'rules':<28} {'move':>10} {'ratio':>7}")
        for name, times in samples.items():
            print(f"{name:<28} {median_us(times):>8,.0f} µs {median_us(times) / base:>6.2f}×")

        pending = runtime.store.count("outbox")
        start = time.perf_counter()
        while runtime.dispatcher.deliver_due("bench", limit=100):
            pass
        per_row = (time.perf_counter() - start) / max(pending, 1) * 1e6
        print(f"delivering {pending:,} notify rows: {per_row:,.0f} µs per row "
              f"({per_row / base:.2f}× a move without rules)")

        rules[:] = []
        stage = engine.funnels.get("handmade").stage("lead")
        in_stage = runtime.store.count("deals", Eq("stage", stage.id))
        print(f"stale scan over {in_stage:,} deals in `{stage.id}` (rot_days {stage.rot_days}) "
              f"of {args.deals:,}:")
        # With the store's ordered indexes and without them (every candidate of the stage's
        # lookups tested on its document), alternating scan by scan on the same data.
        ordered, store = runtime.store._ordered, runtime.store
        scans: dict[str, list[float]] = {"ordered index": [], "no ordered index": []}
        for _ in range(20):
            for name in scans:
                store._ordered = ordered if name == "ordered index" else {}
                start = time.perf_counter()
                marked = scan_stale(engine, engine.clock())
                scans[name].append(time.perf_counter() - start)
                assert marked == 0
        store._ordered = ordered
        fast, slow = median_us(scans["ordered index"]), median_us(scans["no ordered index"])
        print(f"  nothing stale: {fast / 1000:,.3f} ms per scan with the ordered index, "
              f"{slow / 1000:,.2f} ms without ({slow / fast:,.0f}×)")
        runtime.close()


if __name__ == "__main__":
    sys.exit(main())
