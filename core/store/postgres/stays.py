"""Stays kept by PostgreSQL itself: the event log as "deal d was in stage s from t1 to t2, then
went to u", maintained by a trigger on ``events`` in the same transaction as each insert.

This is what lets the funnel report run as a few ``GROUP BY`` queries (see
:mod:`goldsieve.analytics.sql`) instead of every app process reading a million events into
memory. The rules are those of :func:`goldsieve.analytics.stays.build_history`, which stays the
reference: ``created`` starts the deal's history afresh (its first stay); ``stage_changed`` and
``reopened`` close the open stay and open the next; ``migrated`` relabels the open stay;
``gate_bypassed`` marks the open stay as left past the next stage's gates (``left_bypassing``),
so the stay the next entry opens is ``bypassed``; ``created`` and ``updated`` events whose ``changes`` carry ``amount`` as ``[before, after]``
record the amount from then on (NULL when it is not a number, which the report reads as 0).
Events of other types, or naming no deal, or before the deal's ``created``, change nothing.

Stages are kept raw, as ``(funnel_version, stage)``: mapping older versions onto the newest is
the report's job, so a new funnel version needs no rewrite of this table. Instants are integers,
microseconds since 1970: a duration is then an exact integer, turned into days with the same two
float roundings as ``timedelta.total_seconds() / 86400`` in Python, and cheaply.

:data:`TRIGGER` applies one event; :data:`REBUILD` derives both tables from the whole log in
set-based SQL (the migration's backfill, and a bulk copy, which runs with the trigger off).
Both read an event through :data:`EVENT_FIELDS`, so they agree on what a field means.
"""
from __future__ import annotations

from typing import Any, Callable

from ..base import AMOUNTS, STAYS

TRIGGER_NAME = "events_stays"

#: One event's fields as the rules read them, from a row ``e`` of ``events``: anything of the
#: wrong JSON type is NULL (a stage that is not text is in no funnel; a version that is not an
#: integer maps nowhere). Only events with a deal id and a stamp with a zone are applied.
EVENT_FIELDS = """
    CASE WHEN jsonb_typeof(e.doc -> 'deal_id') = 'number' AND (e.doc ->> 'deal_id') ~ '^-?[0-9]{1,18}$'
         THEN (e.doc ->> 'deal_id')::bigint END AS deal_id,
    e.doc ->> 'type' AS type,
    CASE WHEN (e.doc ->> 'at') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$'
         THEN (extract(epoch FROM (e.doc ->> 'at')::timestamptz) * 1000000)::bigint END AS at,
    CASE WHEN jsonb_typeof(e.doc -> 'funnel_version') = 'number' AND (e.doc ->> 'funnel_version') ~ '^-?[0-9]{1,9}$'
         THEN (e.doc ->> 'funnel_version')::int END AS version,
    CASE WHEN jsonb_typeof(e.doc -> 'to_stage') = 'string' THEN e.doc ->> 'to_stage' END AS stage,
    CASE WHEN jsonb_typeof(e.doc -> 'lost_reason') = 'string' THEN e.doc ->> 'lost_reason' END AS reason,
    CASE WHEN jsonb_typeof(e.doc -> 'changes' -> 'amount') = 'array'
              AND jsonb_array_length(e.doc -> 'changes' -> 'amount') = 2 THEN true ELSE false END AS has_amount,
    CASE WHEN jsonb_typeof(e.doc -> 'changes' -> 'amount' -> 1) = 'number'
         THEN (e.doc -> 'changes' -> 'amount' ->> 1)::float8 END AS amount
"""

STAYS_TABLE = f"""
CREATE TABLE {STAYS} (
    deal_id bigint NOT NULL,
    seq bigint NOT NULL,            -- id of the event that opened the stay
    first boolean NOT NULL,         -- opened by ``created``
    created_at bigint NOT NULL,     -- instants in microseconds since 1970 (UTC)
    funnel_version int,
    stage text,
    entered_at bigint NOT NULL,
    left_at bigint,
    left_version int,
    left_to text,
    lost_reason text,
    bypassed boolean NOT NULL DEFAULT false,        -- entered past the stage's gates
    left_bypassing boolean NOT NULL DEFAULT false,  -- a ``gate_bypassed`` came during it
    PRIMARY KEY (deal_id, seq)
)
"""

AMOUNTS_TABLE = f"""
CREATE TABLE {AMOUNTS} (
    deal_id bigint NOT NULL,
    seq bigint NOT NULL,            -- id of the event that set it
    at bigint NOT NULL,
    amount float8,
    PRIMARY KEY (deal_id, seq)
)
"""

TRIGGER = f"""
CREATE OR REPLACE FUNCTION goldsieve_apply_event() RETURNS trigger LANGUAGE plpgsql AS $apply$
DECLARE
    ev record;
    began bigint;
    bypassing boolean;
BEGIN
    SELECT {EVENT_FIELDS} FROM (SELECT NEW.doc AS doc) AS e INTO ev;
    IF ev.deal_id IS NULL OR ev.at IS NULL OR ev.type IS NULL
       OR ev.type NOT IN ('created', 'updated', 'stage_changed', 'reopened', 'migrated', 'gate_bypassed') THEN
        RETURN NULL;
    END IF;
    IF ev.type = 'created' THEN
        DELETE FROM {STAYS} WHERE deal_id = ev.deal_id;
        DELETE FROM {AMOUNTS} WHERE deal_id = ev.deal_id;
        INSERT INTO {STAYS} (deal_id, seq, first, created_at, funnel_version, stage, entered_at)
        VALUES (ev.deal_id, NEW.id, true, ev.at, ev.version, ev.stage, ev.at);
    ELSIF ev.type = 'gate_bypassed' THEN
        UPDATE {STAYS} SET left_bypassing = true WHERE deal_id = ev.deal_id AND left_at IS NULL;
    ELSIF ev.type IN ('stage_changed', 'reopened') THEN
        UPDATE {STAYS} SET left_at = ev.at, left_version = ev.version, left_to = ev.stage,
                           lost_reason = ev.reason
        WHERE deal_id = ev.deal_id AND left_at IS NULL
        RETURNING created_at, left_bypassing INTO began, bypassing;
        IF FOUND THEN
            INSERT INTO {STAYS} (deal_id, seq, first, created_at, funnel_version, stage, entered_at, bypassed)
            VALUES (ev.deal_id, NEW.id, false, began, ev.version, ev.stage, ev.at, bypassing);
        END IF;
    ELSIF ev.type = 'migrated' THEN
        UPDATE {STAYS} SET funnel_version = ev.version, stage = ev.stage
        WHERE deal_id = ev.deal_id AND left_at IS NULL;
    END IF;
    IF ev.has_amount AND ev.type IN ('created', 'updated')
       AND EXISTS (SELECT 1 FROM {STAYS} WHERE deal_id = ev.deal_id) THEN
        INSERT INTO {AMOUNTS} (deal_id, seq, at, amount) VALUES (ev.deal_id, NEW.id, ev.at, ev.amount);
    END IF;
    RETURN NULL;
END
$apply$
"""

ON_INSERT = f"""
CREATE TRIGGER {TRIGGER_NAME} AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION goldsieve_apply_event();
"""

REBUILD = f"""
CREATE OR REPLACE FUNCTION goldsieve_rebuild_stays() RETURNS void LANGUAGE plpgsql AS $rebuild$
BEGIN
    DELETE FROM {STAYS};
    DELETE FROM {AMOUNTS};
    CREATE TEMPORARY TABLE goldsieve_live AS
        WITH fields AS (
            SELECT e.id, {EVENT_FIELDS} FROM events AS e
            WHERE e.doc ->> 'type' IN ('created', 'updated', 'stage_changed', 'reopened', 'migrated',
                                       'gate_bypassed')
        ), fresh AS (  -- each deal's last ``created``: what came before it is forgotten
            SELECT deal_id, max(id) AS id FROM fields
            WHERE type = 'created' AND deal_id IS NOT NULL AND at IS NOT NULL GROUP BY deal_id
        )
        SELECT f.* FROM fields AS f JOIN fresh USING (deal_id)
        WHERE f.id >= fresh.id AND f.at IS NOT NULL;
    WITH opened AS (
        SELECT id, deal_id, at, version, stage, type = 'created' AS first,
               lead(id) OVER deal AS next_id, lead(at) OVER deal AS left_at,
               lead(version) OVER deal AS left_version, lead(stage) OVER deal AS left_to,
               lead(reason) OVER deal AS lost_reason, first_value(at) OVER deal AS created_at
        FROM goldsieve_live WHERE type IN ('created', 'stage_changed', 'reopened')
        WINDOW deal AS (PARTITION BY deal_id ORDER BY id)
    ), relabelled AS (  -- a stay's last ``migrated`` event, if any
        SELECT DISTINCT ON (o.id) o.id, m.version, m.stage
        FROM opened AS o JOIN goldsieve_live AS m
          ON m.deal_id = o.deal_id AND m.type = 'migrated' AND m.id > o.id
         AND (o.next_id IS NULL OR m.id < o.next_id)
        ORDER BY o.id, m.id DESC
    ), marked AS (  -- the stays a ``gate_bypassed`` event came in: the one open at that point
        SELECT DISTINCT stay AS id FROM (
            SELECT type, max(id) FILTER (WHERE type <> 'gate_bypassed')
                             OVER (PARTITION BY deal_id ORDER BY id) AS stay
            FROM goldsieve_live WHERE type IN ('created', 'stage_changed', 'reopened', 'gate_bypassed')
        ) AS placed WHERE type = 'gate_bypassed' AND stay IS NOT NULL
    )
    INSERT INTO {STAYS} (deal_id, seq, first, created_at, funnel_version, stage, entered_at,
                         left_at, left_version, left_to, lost_reason, bypassed, left_bypassing)
    SELECT o.deal_id, o.id, o.first, o.created_at,
           CASE WHEN r.id IS NULL THEN o.version ELSE r.version END,
           CASE WHEN r.id IS NULL THEN o.stage ELSE r.stage END,
           o.at, o.left_at, o.left_version, o.left_to, o.lost_reason,
           coalesce(lag(k.id IS NOT NULL) OVER (PARTITION BY o.deal_id ORDER BY o.id), false),
           k.id IS NOT NULL
    FROM opened AS o LEFT JOIN relabelled AS r USING (id) LEFT JOIN marked AS k USING (id);
    INSERT INTO {AMOUNTS} (deal_id, seq, at, amount)
    SELECT deal_id, id, at, amount FROM goldsieve_live
    WHERE has_amount AND type IN ('created', 'updated');
    DROP TABLE goldsieve_live;
END
$rebuild$
"""


#: What revision 0003 adds to a database that revision 0002 made: the two columns of a bypass
#: (a database created since has them from :data:`STAYS_TABLE`, so this changes nothing there).
BYPASS_COLUMNS = f"""
ALTER TABLE {STAYS} ADD COLUMN IF NOT EXISTS bypassed boolean NOT NULL DEFAULT false,
                    ADD COLUMN IF NOT EXISTS left_bypassing boolean NOT NULL DEFAULT false
"""


def add_bypass(run: Callable[[str], Any]) -> None:
    """Give the stays of a database made by revision 0002 what a bypass needs: the columns, and
    the trigger and rebuild functions that fill them. No stay needs filling: before this there
    was no ``gate_bypassed`` event to mark one."""
    for statement in (BYPASS_COLUMNS, TRIGGER, REBUILD):
        run(statement)


def create(run: Callable[[str], Any]) -> None:
    """Create the tables, the trigger and the rebuild function, then fill the tables from the
    events already stored. ``run`` executes one SQL text (a migration's ``op.execute``)."""
    for statement in (STAYS_TABLE, AMOUNTS_TABLE, TRIGGER, ON_INSERT, REBUILD):
        run(statement)
    run("SELECT goldsieve_rebuild_stays()")
