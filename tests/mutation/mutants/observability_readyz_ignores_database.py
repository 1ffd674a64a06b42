"""/readyz says "ready" while the database cannot answer, so a load balancer keeps sending
traffic to a gateway that cannot store it."""

from __future__ import annotations

FAULT = "EmbeddedGateway.readiness never checks the database"
CAUGHT_BY = [
    "tests/e2e/gateway/test_observability.py::test_readyz_is_503_while_the_database_does_not_answer",
]


def plant() -> None:
    from aether_gateway.embedded import EmbeddedGateway

    def readiness(self: EmbeddedGateway) -> str | None:
        return None

    EmbeddedGateway.readiness = readiness  # type: ignore[method-assign]
