"""Sort indexes on deals: the list's common sorts (title, created, last change, amount), so that
its first page, sorted and filtered, reads the index in order and stops after a page instead of
sorting every match.

Each index holds the three sort terms of :func:`goldsieve.store.postgres.schema.sort_expressions`
(rank, number, text) and the id, the whole of an ``ORDER BY`` and of a cursor's row comparison;
a sort by another declared field still sorts its matches.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from goldsieve.store.postgres.schema import SORT_INDEXES, sort_expressions

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for path, name in SORT_INDEXES.items():
        terms = ", ".join(sort_expressions(path))
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON deals ({terms}, id)")


def downgrade() -> None:
    for name in SORT_INDEXES.values():
        op.execute(f"DROP INDEX IF EXISTS {name}")
