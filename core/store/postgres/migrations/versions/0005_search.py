"""Indexed search of customers, contacts and deals (:mod:`goldsieve.store.search`).

Each of them keeps its folded search text at ``search``; a search is a substring of it. A
``pg_trgm`` GIN index on the text answers a query of three characters or more; trigrams cannot
answer one or two (common in Chinese: 白云), so a GIN index on the text's grams (every character
and every pair, ``goldsieve_grams``) answers those. ``pg_trgm`` is created in ``public`` when the
database has it nowhere yet (a schema dropped with its tables must not take the extension along).
The documents written before this revision get their text when the store is next opened
(:mod:`goldsieve.deals.search_fill`).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from goldsieve.store.postgres.schema import GRAMS, GRAMS_FUNCTION, SEARCH_TEXT
from goldsieve.store.search import SEARCHED

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    schema = bind.execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                  "WHERE extname = 'pg_trgm'")).scalar_one()
    op.execute(GRAMS_FUNCTION)
    for table in SEARCHED:
        op.execute(f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} "
                   f"USING gin ({SEARCH_TEXT} {schema}.gin_trgm_ops)")
        op.execute(f"CREATE INDEX IF NOT EXISTS {table}_search_grams ON {table} USING gin ({GRAMS}({SEARCH_TEXT}))")


def downgrade() -> None:
    for table in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS {table}_search_grams")
        op.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")
    op.execute(f"DROP FUNCTION IF EXISTS {GRAMS}(text)")
