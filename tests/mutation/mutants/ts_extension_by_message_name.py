"""The typescript target spots an extension principal by its message's name again."""

from __future__ import annotations

FAULT = "the TypeScript client template takes the extension arm only when the message is named so"
CAUGHT_BY = [
    "generator/tests/test_ts_operations.py"
    "::test_the_extension_flag_not_the_message_name_picks_the_extension_identity",
]


def plant() -> None:
    import dataclasses
    from typing import Any

    from aether_codegen.render import ts_build

    real = ts_build._principal

    def principal(p: Any, *args: Any) -> Any:
        view = real(p, *args)
        by_name = p.identity_message == "PrincipalIdentity"
        return dataclasses.replace(view, extension_identity=by_name)

    ts_build._principal = principal  # type: ignore[assignment]
