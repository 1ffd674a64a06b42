"""aether-codegen forgets the sync twins: generate does not rewrite them and check does not
compare them, so a twin edited by hand or left behind by its async source goes unnoticed."""

from __future__ import annotations

FAULT = "render_repo leaves the sync twins out of generate and check"
CAUGHT_BY = ["generator/tests/test_errors.py::test_check_fails_on_a_hand_edited_sync_twin"]


def plant() -> None:
    from aether_codegen import cli

    def no_twins(*args: object, **kwargs: object) -> dict[str, str]:
        return {}

    cli.render_twins = no_twins  # type: ignore[assignment]
