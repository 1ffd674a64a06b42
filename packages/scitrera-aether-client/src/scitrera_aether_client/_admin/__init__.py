"""The parts of AsyncAdminClient, one module a job, each written once, async.

aether-codegen writes the sync twin of every part into _generated/admin_*.py (render/unasync.py),
and AdminClient is made of those twins as AsyncAdminClient is made of these parts.
"""
