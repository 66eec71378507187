"""Stays and amounts kept by a trigger on events, filled from the events already stored.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from goldsieve.store.postgres import stays as postgres_stays

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres_stays.create(op.execute)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER {postgres_stays.TRIGGER_NAME} ON events")
    op.execute("DROP FUNCTION goldsieve_apply_event(), goldsieve_rebuild_stays()")
    op.execute(f"DROP TABLE {postgres_stays.STAYS}, {postgres_stays.AMOUNTS}")
