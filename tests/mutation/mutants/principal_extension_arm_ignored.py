"""The gateway looks a principal up by its InitConnection arm alone, ignoring the extension arm's
principal type, so a principal added only in principals.yaml cannot connect."""

from __future__ import annotations

FAULT = "identity.resolve looks up BY_ARM by the bare arm, so extension-arm principals are unknown"
CAUGHT_BY = [
    "generator/tests/test_add_principal.py"
    "::test_the_new_principal_talks_through_the_embedded_gateway",
]


def plant() -> None:
    from aether_gateway import identity

    def arm_key(arm: str, principal_type: str = "") -> str:
        return arm  # the fault: the principal type named in PrincipalIdentity is dropped

    identity.arm_key = arm_key  # resolve() calls the module global
