"""Identity validation back to a deny-list: only '::', '*', '>', spaces and controls refused."""

from __future__ import annotations

FAULT = "identity parts may contain ':', '|', '/' and other separators (only '::' is refused)"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_identity_parts_that_could_alias_are_refused_at_connect",
    "tests/e2e/gateway/test_isolation.py::"
    "test_the_sdk_and_the_gateway_agree_on_the_identity_characters",
]


def plant() -> None:
    from scitrera_aether_client._core import validation

    def deny_list(value: str) -> str | None:
        if len(value.encode("utf-8", "replace")) > validation.MAX_IDENTITY_BYTES:
            return "too long"
        if "::" in value or any(c in "*> \x7f" or ord(c) < 0x20 for c in value):
            return "forbidden character"
        return None

    # Planted before the gateway and SDK import it by name.
    validation.identity_problem = deny_list
