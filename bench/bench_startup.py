"""How long a ``goldsieve`` command takes to start: the whole process, from exec to exit.

Every command pays for the imports it needs before it does anything; the slowest used to be
jsonschema's format checkers (an IRI grammar compiled at import). This starts ``goldsieve
--help``, ``goldsieve templates --ids`` and ``goldsieve check FILE`` in turn, several times, and prints the median wall
and CPU time of each, and which modules the slowest import chain of ``templates`` spends its
time in (``python -X importtime``).

    .venv/bin/python bench/bench_startup.py [--rounds 7] [--exe .venv/bin/goldsieve] [--exe OTHER]

Two ``--exe`` (this install and another checkout's) run in turn, A B A B…, so both see the same
load; the table then has a row per install.
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

#: A funnel file that ships with the tests, for ``goldsieve check`` (it compiles every schema).
FUNNEL = Path(__file__).resolve().parent.parent / "tests" / "funnels" / "design_example.json"
COMMANDS = (["--help"], ["templates", "--ids"], ["check", str(FUNNEL)])


def run(exe: str, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([exe, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def label(command: list[str]) -> str:
    return "check FILE" if command[0] == "check" else " ".join(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--exe", action="append",
                        help="a goldsieve executable; twice to compare two installs (default: this one)")
    args = parser.parse_args()
    exes = args.exe or [str(Path(sys.executable).with_name("goldsieve"))]
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {
        (exe, label(c)): [] for exe in exes for c in COMMANDS}
    for exe in exes:
        for command in COMMANDS:  # warm the file cache
            run(exe, command)
    for _ in range(args.rounds):
        for command in COMMANDS:
            for exe in exes:
                samples[(exe, label(command))].append(run(exe, command))
    print(f"{os.cpu_count()} cores, {args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
    print(f"{'install':<40} {'command':<22} {'wall median':>12} {'CPU median':>12}")
    for (exe, name), runs in samples.items():
        print(f"{exe:<40} goldsieve {name:<12} {statistics.median(w for w, _ in runs):>10.3f} s "
              f"{statistics.median(c for _, c in runs):>10.3f} s")
    for exe in exes:
        print(f"slowest imports of {exe} (cumulative):")
        for micros, module in slowest_imports(str(Path(exe).with_name("python"))):
            print(f"  {micros / 1e6:7.3f} s  {module}")


if __name__ == "__main__":
    main()
