"""How long a ``goldsieve`` command takes to start: the whole process, from exec to exit.

Every command pays for the imports it needs before it does anything; the slowest used to be
jsonschema's format checkers (an IRI grammar compiled at import). This starts ``goldsieve
--help`` and ``goldsieve templates --ids`` in turn, several times, and prints the median wall
and CPU time of each, and which modules the slowest import chain of ``templates`` spends its
time in (``python -X importtime``).

    .venv/bin/python bench/bench_startup.py [--rounds 7] [--exe .venv/bin/goldsieve]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["--help"], ["templates", "--ids"])


def run(exe: str, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([exe, *args], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def slowest_imports(python: str, count: int = 5) -> list[tuple[int, str]]:
    """The modules with the largest cumulative import time (µs) when ``templates`` loads."""
    probe = "from goldsieve.cli import cli; from goldsieve.funnels.model import Funnel"
    found = subprocess.run([python, "-X", "importtime", "-c", probe], capture_output=True, text=True,
                           check=True).stderr.splitlines()
    rows = []
    for line in found:
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--exe", default=str(Path(sys.executable).with_name("goldsieve")))
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float]]] = {" ".join(c): [] for c in COMMANDS}
    for command in COMMANDS:  # warm the file cache
        run(args.exe, command)
    for _ in range(args.rounds):
        for command in COMMANDS:
            samples[" ".join(command)].append(run(args.exe, command))
    print(f"{os.cpu_count()} cores, {args.rounds} rounds, {args.exe}")
    print(f"{'command':<28} {'wall median':>12} {'CPU median':>12}")
    for name, runs in samples.items():
        print(f"goldsieve {name:<18} {statistics.median(w for w, _ in runs):>10.3f} s "
              f"{statistics.median(c for _, c in runs):>10.3f} s")
    print("slowest imports (cumulative):")
    for micros, module in slowest_imports(str(Path(args.exe).with_name("python"))):
        print(f"  {micros / 1e6:7.3f} s  {module}")


if __name__ == "__main__":
    main()
