"""Durable state of the embedded gateway, in one SQLite database (WAL mode)."""

from aether_gateway.store.db import Database

__all__ = ["Database"]
