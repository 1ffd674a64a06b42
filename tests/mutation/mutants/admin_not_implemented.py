"""EXPLAIN_ACCESS, which aether-gateway implements, answers "not implemented" like roles do."""

from __future__ import annotations

FAULT = 'the gateway answers EXPLAIN_ACCESS with success=false "not implemented"'
CAUGHT_BY = [
    "tests/e2e/test_admin_client.py::test_sync_every_method_in_dev_mode",
    "tests/e2e/test_admin_client.py::test_async_every_method_with_an_admin_key",
]


def plant() -> None:
    from aether_gateway.handlers import acl
    from scitrera_aether_client.proto import aether_pb2

    def not_implemented(*args: object) -> aether_pb2.ACLResponse:
        return aether_pb2.ACLResponse(success=False, error="not implemented")

    # _dispatch looks _explain up in the module at call time.
    acl._explain = not_implemented  # type: ignore[assignment]
