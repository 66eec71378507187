"""The scale-out backend: PostgreSQL through SQLAlchemy Core, its schema and Alembic migrations,
filters compiled to SQL, and the stays tables the SQL reports read."""
