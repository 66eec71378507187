"""Micro-benchmark: the cost of one durable replace in the embedded store, by data size.

    python bench/bench_store.py [--ops 500] [--dir /some/folder/on/the/disk/to/test]

A durable replace is one ``with store.transaction(): txn.replace(...)``: it returns after its
journal record is fsync'd. Its floor is the disk's own append+fsync of a line the same size,
measured in the same run; a write that costs O(1) in the data size stays near that floor at
every size.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from goldsieve.store import TinyStore
from goldsieve.store.tinydb.journal import JOURNAL

SIZES = (1_000, 10_000, 100_000)


def deal(n: int, version: int = 1) -> dict:
    return {
        "funnel": "b2b",
        "funnel_version": 3,
        "title": f"Deal {n}",
        "stage": "qualified",
        "status": "open",
        "owner": f"user{n % 17}",
        "version": version,
        "created_at": "2024-05-01T09:00:00Z",
        "updated_at": "2024-05-01T09:00:00Z",
        "stage_entered_at": "2024-05-01T09:00:00Z",
        "data": {"amount": n * 10, "company": f"Company {n}", "source": "web"},
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Floor:
    """The disk's own cost: append a line and fsync it, timed between the store's writes so
    that both see the same disk (shared disks drift a lot within a minute)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.line = b"x" * 359 + b"\n"
        self.times: list[float] = []

    def once(self) -> None:
        start = time.perf_counter()
        os.write(self.fd, self.line)
        os.fsync(self.fd)
        self.times.append(time.perf_counter() - start)

    def close(self) -> None:
        os.close(self.fd)


def replaces(folder: Path, size: int, ops: int, rng: random.Random) -> tuple[list, list, int]:
    """Timings of durable replaces and of the floor, interleaved, and the record size."""
    floor = Floor(folder.with_name(f"floor{size}"))
    with TinyStore(folder) as store:
        with store.transaction() as txn:
            for n in range(size):
                txn.insert("deals", deal(n))
        store.compact()  # start from a snapshot, like a store that has lived a while
        versions = {row["id"]: row["version"] for row in store.iterate("deals")}
        ids = list(versions)
        times = []
        before = (folder / JOURNAL).stat().st_size
        for _ in range(ops):
            id = rng.choice(ids)
            doc = {**deal(id, versions[id] + 1), "id": id}
            start = time.perf_counter()
            with store.transaction() as txn:
                txn.replace("deals", doc, expect_version=versions[id])
            times.append(time.perf_counter() - start)
            versions[id] += 1
            floor.once()
        record = ((folder / JOURNAL).stat().st_size - before) // ops
    floor.close()
    return times, floor.times, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=500, help="timed writes per size")
    parser.add_argument("--dir", help="folder on the disk to measure (default: the temp dir)")
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"{args.ops} ops per size, {os.cpu_count()} CPUs")
    print(f"{'docs':>8}{'replace median':>16}{'p90':>9}{'append+fsync median':>21}{'p90':>9}{'ratio':>7}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for size in SIZES:
            times, floor, record = replaces(Path(tmp) / f"store{size}", size, args.ops, rng)
            median, floor_median = statistics.median(times), statistics.median(floor)
            print(
                f"{size:>8,}{median * 1e6:>14.0f}µs{percentile(times, 0.9) * 1e6:>7.0f}µs"
                f"{floor_median * 1e6:>19.0f}µs{percentile(floor, 0.9) * 1e6:>7.0f}µs"
                f"{median / floor_median:>7.2f}"
            )
        print(f"journal record per replace: {record} bytes; floor line: 360 bytes; folder {tmp}")


if __name__ == "__main__":
    main()
