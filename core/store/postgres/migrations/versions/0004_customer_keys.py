"""One customer per match key, and the reclaim scan's index.

Two concurrent creates of the same customer could both pass the duplicate check on
PostgreSQL; a unique index on ``customer_keys``' key makes the second one fail (the customers
service then answers it as the duplicate it is). Keys held twice before this revision keep
their oldest row (the first customer keeps the key; the later one keeps its other keys).
``customers`` gets an index on ``last_activity_at`` for the pool's reclaim scan.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from goldsieve.store.postgres.migrate import create_document_tables
from goldsieve.store.postgres.schema import RECLAIM_EXPRESSION

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_document_tables(op.get_bind())  # a database from before customers has no customer_keys yet
    op.execute("DELETE FROM customer_keys AS later USING customer_keys AS first "
               "WHERE later.doc ->> 'key' = first.doc ->> 'key' AND later.id > first.id")
    op.execute("CREATE UNIQUE INDEX IF NOT EXISTS customer_keys_key ON customer_keys ((doc ->> 'key'))")
    op.execute(f"CREATE INDEX IF NOT EXISTS customers_last_activity_at ON customers ({RECLAIM_EXPRESSION})")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS customers_last_activity_at")
    op.execute("DROP INDEX IF EXISTS customer_keys_key")
