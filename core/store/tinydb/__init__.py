"""The embedded backend: documents in TinyDB, made durable by a checksummed journal and snapshots,
answered through hash and ordered indexes, owned by one process through a lock file."""
