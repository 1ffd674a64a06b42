"""The generator orders the common callbacks by iterating a set of their names."""

from __future__ import annotations

FAULT = "build_model orders common_callbacks by set iteration, so the output follows the hash seed"
CAUGHT_BY = [
    "generator/tests/test_goldens.py::"
    "test_rendering_is_identical_across_hash_seeds_and_matches_the_goldens",
]


def plant() -> None:
    import dataclasses
    from typing import Any

    import aether_codegen.model
    from aether_codegen.model import build

    original = build.build_model

    def build_model(*args: Any, **kwargs: Any) -> Any:
        model = original(*args, **kwargs)
        by_name = {c.name: c for c in model.common_callbacks}
        names = set(by_name)  # the fault: a set's order depends on PYTHONHASHSEED
        return dataclasses.replace(model, common_callbacks=tuple(by_name[n] for n in names))

    # helpers.py and the CLI import the name from the package; patch both before they do.
    build.build_model = build_model
    aether_codegen.model.build_model = build_model
