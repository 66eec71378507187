"""Stays remember a bypassed gate: the columns, and the trigger and rebuild that fill them.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

from goldsieve.store.postgres import stays as postgres_stays

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres_stays.add_bypass(op.execute)


def downgrade() -> None:
    """Nothing to undo for revision 0002's code: it names the columns it writes in every
    statement, so the two added ones (false by default) and the functions that fill them leave
    it working as before; dropping them would break those functions."""
