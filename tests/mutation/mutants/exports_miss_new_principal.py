"""The generated exports module lists the principals someone wrote down, not every principal in
principals.yaml, so a newly added principal's clients are not importable from the package."""

from __future__ import annotations

FAULT = "render_project renders _generated/exports.py without the last principal of the spec"
CAUGHT_BY = [
    "generator/tests/test_add_principal.py"
    "::test_the_new_principal_talks_through_the_embedded_gateway",
]


def plant() -> None:
    import dataclasses
    from typing import Any

    from aether_codegen import cli, render
    from aether_codegen.render import project

    original = project.render_project

    def render_project(model: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
        files = original(model, *args, **kwargs)
        stale = dataclasses.replace(model, principals=model.principals[:-1])
        for path, text in original(stale, *args, **kwargs).items():
            if path.endswith("/_generated/exports.py"):
                files[path] = text
        return files

    # Every place the name is looked up from: `python -m aether_codegen.cli` imports it afresh
    # from the render package, an imported cli module already holds it.
    project.render_project = render_project
    render.render_project = render_project
    cli.render_project = render_project
