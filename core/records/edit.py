"""Editing the declared record types from the designer, and loading them again while running.

The designer's records page (ui/designer_records.py) edits the fields of a customer, a contact or
one activity type with the funnel designer's field editor (:mod:`goldsieve.funnels.edit_fields`),
on a copy of the definition that runs; :meth:`RecordFiles.save` then keeps it the way record types
are kept, in ``records/<kind>.json``:

1. the whole definition is checked as ``goldsieve check`` checks the file (:func:`.check.check_record`,
   the meta-schema first): errors raise :class:`DefinitionError` and nothing is written;
2. the edit must start from the definition that runs (:func:`digest`): one begun before another
   person's save raises :class:`StaleDefinition`, and nothing is written;
3. the file is written beside its place, then moved over it (a crash leaves the old file or the
   new one) inside the store transaction that records the audit row ``record_type_saved``;
4. the saved type replaces its old self among the runtime's record types: the customer, contact
   and activity forms ask for the new field from the next request on.

Before it compares, a save loads what changed on disk since (another process's save), so that an
edit begun before that save is refused too; the processes serving one workspace take turns from
that look to the move of the file (:func:`_one_at_a_time`, a lock on the workspace folder).

Record types have no versions of their own: a customer keeps its data whatever its type declares
now, so data from before a rule is read as it is and the rule applies when it is next changed.

Every request also calls :meth:`RecordFiles.refresh`, a ``stat`` of the three files: another
process serving the same workspace (gunicorn's workers) saw the file change, so each process runs
the new types from its next request; a file broken by hand is logged and the types stay as they
were. A file system keeps times to a tick (a few milliseconds, up to two seconds on some), so a
second write in the tick of the one loaded, at the same size (an editor writing in place), has the
same ``stat``: a file loaded less than :data:`RACY_NS` after it was written is read again on each
request until it is older than that (its bytes, a few kilobytes, compared with those loaded), and
runs when they differ. The types are swapped by one assignment, under a lock that serialises the loads and the
saves of one process: a request reads either the old set or the new, never half of one.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, diff, record
from ..errors import DefinitionError, GoldsieveError, NotFound
from ..funnels.check import ERROR
from .check import ACTIVITY, KINDS, check_record
from .model import FOLDER, RecordTypes, load_types

if TYPE_CHECKING:
    from ..store import Store
    from .customers import Customers

try:
    import fcntl
except ImportError:  # Windows: one process serves a workspace (waitress), the thread lock suffices
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: The audit row of a saved record type (target ``record_type``, its kind).
AUDIT_ACTION = "record_type_saved"
#: How long after a file's modification its ``stat`` alone cannot tell a later write apart (the
#: coarsest tick of the file systems a workspace lives on: two seconds).
RACY_NS = 2_000_000_000


class StaleDefinition(GoldsieveError):
    """The record type changed since the edit began (another person saved it): nothing was written."""


def definition_of(types: RecordTypes, kind: str) -> dict[str, Any]:
    """The definition of ``kind`` that runs (its file, or the defaults when it has none)."""
    if kind not in KINDS:
        raise NotFound(f"there is no record type {kind!r}")
    return getattr(types, kind).definition


def declared(definition: dict[str, Any], kind: str, type_id: str | None = None) -> dict[str, Any]:
    """The part of a record type's definition that declares fields (``fields`` and ``ui``): the
    definition itself, or the entry of activity type ``type_id`` in ``types``."""
    if kind != ACTIVITY:
        return definition
    for entry in definition["types"]:
        if entry["id"] == type_id:
            return entry
    raise NotFound(f"there is no activity type {type_id!r}")


def digest(definition: dict[str, Any]) -> str:
    """A short fingerprint of a definition, which an edit carries to say what it started from."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _stamp(files: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """What the record files are now: each one's modification time, size and inode, by kind."""
    seen = {}
    for kind, file in files.items():
        try:
            status = os.stat(file)
        except FileNotFoundError:
            continue
        seen[kind] = (status.st_mtime_ns, status.st_size, status.st_ino)
    return seen


def _racy(seen: dict[str, tuple[int, int, int]], taken: int) -> set[str]:
    """The kinds whose stamp, taken at ``taken``, a later write could still leave as it is."""
    return {kind for kind, (modified, _size, _inode) in seen.items() if taken - modified < RACY_NS}


def _read(files: dict[str, str]) -> dict[str, bytes]:
    """The record files' bytes, by kind (a file missing has none)."""
    found = {}
    for kind, file in files.items():
        try:
            found[kind] = Path(file).read_bytes()
        except FileNotFoundError:
            continue
    return found


@contextmanager
def _one_at_a_time(folder: Path) -> Iterator[None]:
    """Hold ``folder`` (the workspace) against the other processes' saves (gunicorn's workers,
    each with its own thread lock): an exclusive ``flock`` on the folder itself, so that no file
    is added to the workspace for it."""
    if fcntl is None:
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # which releases the lock


class RecordFiles:
    """The record types a runtime runs, from the workspace's files: reloaded when the files
    change and saved from the designer; one per runtime, shared by its request threads."""

    def __init__(self, workspace: Path, customers: Customers, store: Store):
        self.workspace, self.customers, self.store = Path(workspace), customers, store
        #: each kind's file, as ``refresh`` looks at it before every request (no path built then)
        self.files = {kind: str(self.workspace / FOLDER / f"{kind}.json") for kind in KINDS}
        self.lock = threading.Lock()
        self.seen = _stamp(self.files)
        #: the kinds to read again on the next request whatever their stamp (see :data:`RACY_NS`),
        #: and the bytes each file held when it was loaded, to compare them with
        self.racy = _racy(self.seen, time.time_ns())
        self.read = _read(self.files)

    @property
    def types(self) -> RecordTypes:
        return self.customers.types

    def refresh(self) -> None:
        """Load the record files again if they changed since they were last loaded."""
        if self.racy or _stamp(self.files) != self.seen:
            with self.lock:
                self._load_changed()

    def _load_changed(self) -> None:
        """With the lock held: load the files again if they changed (another request may have
        loaded them meanwhile), their bytes compared while the stamp cannot tell; types declaring
        what runs already are not swapped in. With a file broken, log it and keep the types that run."""
        now = _stamp(self.files)
        if now == self.seen:
            if not self.racy:
                return
            if _read({kind: self.files[kind] for kind in self.racy}) == {
                    kind: held for kind, held in self.read.items() if kind in self.racy}:
                self.racy = _racy(now, time.time_ns())  # none once the window has passed
                return
        self.seen, self.racy, self.read = now, _racy(now, time.time_ns()), _read(self.files)
        try:
            types = load_types(self.workspace)
        except DefinitionError as error:
            log.warning("the record types stay as they were: %s (goldsieve check says more)", error)
            return
        if types != self.types:
            self.customers.types = types

    def save(self, kind: str, definition: dict[str, Any], *, by: str, at: str, base: str | None) -> None:
        """Check ``definition`` as record type ``kind``, keep it in its file with an audit row, and
        run it from now on.

        :param base: the :func:`digest` of the definition the edit started from (``None``: no check)
        :raises DefinitionError: the check found errors (its findings say where); nothing written
        :raises StaleDefinition: someone saved the type since the edit began; nothing written
        """
        errors = [f for f in check_record(definition, kind) if f.severity == ERROR]
        if errors:
            raise DefinitionError(f"{FOLDER}/{kind}.json", errors)
        definition = copy.deepcopy(definition)
        with self.lock, _one_at_a_time(self.workspace):
            self._load_changed()  # a save by another process is what the edit must have started from
            before = definition_of(self.types, kind)
            if base is not None and digest(before) != base:
                raise StaleDefinition(f"the {kind} record type changed since this edit began")
            path = Path(self.files[kind])
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(prefix=f".{kind}.", suffix=".tmp", dir=path.parent)
            try:
                written = (json.dumps(definition, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
                with os.fdopen(handle, "wb") as out:
                    out.write(written)
                with self.store.transaction() as txn:
                    record(txn, audit_entry(by, AUDIT_ACTION, "record_type", kind, diff(before, definition), at))
                    os.replace(partial, path)  # a file that cannot be moved leaves no row
            finally:
                Path(partial).unlink(missing_ok=True)
            # the other kinds stay as they run (a file of theirs broken by hand is not this save's)
            self.customers.types = self.types.replaced(kind, definition)
            self.seen = {**self.seen, kind: _stamp({kind: self.files[kind]})[kind]}
            self.read = {**self.read, kind: written}
            self.racy.add(kind)  # another process may write it again within the tick
