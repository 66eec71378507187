"""The embedded store's lock: one process owns a store folder at a time.

The lock is an ``flock`` on the file ``lock`` in the folder, holding the owner's process id so
that a second process is told who has the store. ``flock`` is POSIX: the embedded store runs on
Linux, macOS and the BSDs; on Windows, use PostgreSQL.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..base import StoreError, StoreLocked

LOCK = "lock"


def acquire(folder: Path) -> int:
    """Take the store's lock, or raise :class:`StoreLocked` naming the process that holds it;
    returns the lock file's descriptor, which holds the lock until :func:`release`."""
    try:
        import fcntl  # POSIX only: importing the store works everywhere, opening it here needs this
    except ImportError:
        raise StoreError("the embedded store needs a POSIX system (Linux, macOS, a BSD) for its lock; "
                         'elsewhere use PostgreSQL (store = "postgresql://…" in goldsieve.toml)') from None
    path = folder / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            owner = int(os.pread(fd, 32, 0).decode().strip())
        except (OSError, ValueError):
            owner = None
        os.close(fd)
        who = f"process {owner}" if owner else "another process"
        if owner == os.getpid():
            who += " (this process: it is already open here)"
        raise StoreLocked(
            f"the store in {folder} is in use by {who}. The embedded TinyDB store serves one "
            f"process; to run several processes, use the PostgreSQL backend "
            f'(store = "postgresql://…" in goldsieve.toml).',
            folder,
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def release(fd: int) -> None:
    """Let go of the lock :func:`acquire` took (nothing if ``fd`` is negative)."""
    if fd < 0:
        return
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the flock
