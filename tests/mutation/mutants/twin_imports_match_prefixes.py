"""The unasync step points a module name at a twin when it only starts with a declared source's
name: an import of `_parts.sync_ab` becomes `_generated.part_a` + `b`."""

from __future__ import annotations

FAULT = "_twin_imports matches a declared source's module name as a prefix, not a whole name"
CAUGHT_BY = [
    "generator/tests/test_unasync.py::test_an_import_of_a_declared_source_becomes_an_import_of_its_twin",
]


def plant() -> None:
    from aether_codegen.render import unasync

    def prefixes(text: str, package: str, twins: tuple[unasync.Twin, ...]) -> str:
        for twin in twins:
            parts = unasync._module(package, twin.source).split(".")
            rewritten = ".".join(unasync.rename(part) for part in parts)
            text = text.replace(rewritten, unasync._module(package, twin.target))
        return text

    unasync._twin_imports = prefixes
