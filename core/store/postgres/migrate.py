"""Creating and upgrading the PostgreSQL schema with Alembic, from migrations shipped in the
package (``goldsieve/store/migrations``).

``upgrade`` runs when a :class:`~goldsieve.store.postgres.store.PostgresStore` opens: under a
transaction-scoped advisory lock, so of several processes starting at once one migrates and
the others then find nothing to do. Alembic records the revision in ``alembic_version``.

Every name in :data:`~goldsieve.store.base.TABLES` gets a document table: a table added to
``TABLES`` later is created by the next open without a migration of its own, because all
document tables have the same shape; migrations are for changes to that shape.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from .schema import tables

MIGRATIONS = Path(__file__).parent / "migrations"
#: Any constant both sides agree on; names the lock that makes the upgrade happen once.
ADVISORY_LOCK = 0x601D5E5E


def alembic_config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head() -> str | None:
    """The newest revision the installed package ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> None:
    """Bring the database's schema to :func:`head` and create missing document tables."""
    with conn.begin():
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        if current(conn) != head():
            command.upgrade(alembic_config(conn), "head")
        create_document_tables(conn)


def create_document_tables(conn: Connection) -> None:
    """Create the document table (and its indexes) of every store table not yet there."""
    for table in tables().values():
        table.create(conn, checkfirst=True)
