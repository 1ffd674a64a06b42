"""The clients' operations, one mixin per concern; client.py and client_async.py compose them.

Where a mixin has an async source here (async_admin, async_tasks), its sync twin is generated from
it by aether-codegen (_generated/sync_*.py) and sync_*.py here only re-exports it.
"""
