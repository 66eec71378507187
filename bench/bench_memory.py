"""Where the embedded store's memory goes once it is open: per table, per index, per line of code.

    .venv/bin/python bench/bench_memory.py DATA_FOLDER [--top 12]

``DATA_FOLDER`` is a workspace's ``data`` (fill one with ``goldsieve demo --deals N --no-serve``).
The store is opened under ``tracemalloc``; the report gives the process's RSS, what tracemalloc
counts, the allocation sites holding the most, and the deep size of every table's documents and
of every index (objects shared between two documents, such as interned keys, count once).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

from goldsieve.store import TinyStore


def rss_mib() -> float:
    """The resident set of this process now (not its peak), from ``/proc``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def deep_size(roots: Iterable[object], seen: set[int]) -> int:
    """Bytes of ``roots`` and everything they hold that ``seen`` does not hold already."""
    total, stack = 0, list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, name) for name in obj.__slots__ if hasattr(obj, name))
    return total


def mib(size: float) -> str:
    return f"{size / 2**20:9.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    base = rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    store = TinyStore(args.folder)
    opened = time.perf_counter() - started
    gc.collect()
    traced, _ = tracemalloc.get_traced_memory()
    sites = tracemalloc.take_snapshot().statistics("lineno")
    tracemalloc.stop()
    print(f"{os.cpu_count()} cores; opened {args.folder} in {opened:.1f} s (under tracemalloc)")
    print(f"RSS before open {base:.0f} MiB, after {rss_mib():.0f} MiB; traced {mib(traced)}")
    print(f"\nallocation sites holding the most (top {args.top}):")
    for stat in sites[: args.top]:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno}"
        print(f"  {mib(stat.size)}  {stat.count:>10} blocks  {where}")
    seen: set[int] = set()
    print("\nper table (documents, deep):")
    counts = {name: store.count(name) for name in store._tables}
    for name, table in sorted(store._tables.items(), key=lambda item: -counts[item[0]]):
        if counts[name]:
            # The events' file keeps in memory only where each event is (three arrays).
            roots = [table.ids, table.offsets, table.lengths] if name == "events" and hasattr(
                table, "offsets") else [table.raw()]
            size = deep_size(roots, seen)
            print(f"  {name:<16} {counts[name]:>9} docs {mib(size)} {size / counts[name]:8.0f} B/doc")
    print("\nper index (deep, what the documents do not hold already):")
    for kind, indexes in (("hash", store._indexes), ("ordered", store._ordered), ("sort", store._sorts._built)):
        for table, paths in indexes.items():
            for path, index in paths.items():
                size = deep_size([index], seen)
                if size > 2**16:
                    print(f"  {kind:<8} {table}.{path:<22} {mib(size)}")
    store.close()


if __name__ == "__main__":
    main()
