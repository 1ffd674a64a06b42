"""SendMessage routing forgets the workspace a target topic names."""

from __future__ import annotations

FAULT = "the router sees no workspace in any topic, so sends into other workspaces go through"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_a_key_bound_to_ws_a_cannot_send_or_broadcast_into_ws_b",
]


def plant() -> None:
    from aether_gateway import router

    # Router.route looks topic_workspace up in its module at call time.
    router.topic_workspace = lambda topic: ""  # type: ignore[attr-defined]
