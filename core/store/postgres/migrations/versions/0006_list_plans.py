"""The deal list's plans: sort indexes on deals and statistics of the search text's kind.

The sort indexes keep the list's common sorts (title, created, last change, amount), so that its
first page, sorted and filtered, reads an index in order and stops after a page instead of
sorting every match. Each holds the three sort terms of
:func:`goldsieve.store.postgres.schema.sort_expressions` (rank, number, text) and the id, the
whole of an ``ORDER BY`` and of a cursor's row comparison; a sort by another declared field
still sorts its matches.

A search tests that the search text is text (``jsonb_typeof``) besides its grams and its
``LIKE``; without statistics of that expression the planner guesses that one row in 200 passes
it, takes a frequent term for a rare one and reads all its matches (10,000 of 100,000 deals) to
sort them by id, where walking the ids newest first finds a page after a few hundred rows.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from goldsieve.store.postgres.schema import SEARCH_KIND, SORT_INDEXES, sort_expressions
from goldsieve.store.search import SEARCHED

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for path, name in SORT_INDEXES.items():
        terms = ", ".join(sort_expressions(path))
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON deals ({terms}, id)")
    for table in SEARCHED:
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {table}_search_kind ON ({SEARCH_KIND}) FROM {table}")


def downgrade() -> None:
    for table in SEARCHED:
        op.execute(f"DROP STATISTICS IF EXISTS {table}_search_kind")
    for name in SORT_INDEXES.values():
        op.execute(f"DROP INDEX IF EXISTS {name}")
