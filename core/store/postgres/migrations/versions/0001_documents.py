"""Document tables for the store's tables, the deal columns and the case-folding function.

Revision ID: 0001
Revises:
"""
from alembic import op

from goldsieve.store.postgres.migrate import create_document_tables
from goldsieve.store.postgres.schema import CASEFOLD, casefold_function

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(casefold_function())
    create_document_tables(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError(
        f"0001 is the first revision; drop the schema instead (it holds every table and {CASEFOLD})"
    )
