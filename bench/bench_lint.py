"""What lint adds to checking a funnel: the built-in lint pass against validation, per template
and on a big funnel, measured in the same run.

    .venv/bin/python bench/bench_lint.py [--repeat 200]

Lint runs wherever validation does — `goldsieve check`, every start of a workspace, and the
designer's live lint after each edit — so its cost is stated as a ratio to validation's.
Validation is measured cold (its cache of checked JSON Schemas cleared before each run: a
funnel seen for the first time) and warm (every schema already checked: the designer's next
edit); lint has no cache.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

from goldsieve.funnels import check as funnel_check
from goldsieve.funnels.check import check_definition
from goldsieve.plugin_manager import lint, make_plugin_manager
from goldsieve.plugins import templates


def big_funnel(base: dict, fields: int = 150, automations: int = 80) -> dict:
    """The software template with many more fields and conditional automations."""
    big = copy.deepcopy(base)
    props = big["fields"]["properties"]
    for n in range(fields):
        props[f"extra_{n}"] = {"type": "number", "minimum": 0, "maximum": 1000 + n}
    for n in range(automations):
        big["automations"].append({
            "id": f"rule-{n}", "on": "stage_entered", "stage": "negotiation",
            "if": {"properties": {f"extra_{n % fields}": {"minimum": n}}, "required": [f"extra_{n % fields}"]},
            "do": [{"action": "notify", "to": "owner"}]})
    return big


def median_us(run, repeat: int, before=None) -> float:
    samples = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    pm = make_plugin_manager(entry_points=False)
    definitions = {d["id"]: d for d in templates.goldsieve_funnel_templates()}
    definitions["big (software + 150 fields, 80 rules)"] = big_funnel(definitions["software"])
    clear = funnel_check._cached_schema_problems.cache_clear
    print("| funnel | validation, cold | validation, warm | lint | lint / cold | lint / warm |\n"
          "|---|---:|---:|---:|---:|---:|")
    for name, definition in definitions.items():
        assert not check_definition(definition) and not lint(pm, definition), name
        cold = median_us(lambda: check_definition(definition), args.repeat, clear)
        warm = median_us(lambda: check_definition(definition), args.repeat)
        linted = median_us(lambda: lint(pm, definition), args.repeat)
        print(f"| {name} | {cold:,.0f} µs | {warm:,.0f} µs | {linted:,.0f} µs | {linted / cold:.3f} "
              f"| {linted / warm:.2f} |")


if __name__ == "__main__":
    main()
