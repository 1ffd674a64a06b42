"""The unasync step leaves imports of other declared async sources as the general rules spell
them: AdminClient's twin imports `_admin.sync_acl` and kin, modules nobody writes."""

from __future__ import annotations

FAULT = "render_twin skips pointing imports of declared sources at their twins"
CAUGHT_BY = [
    "generator/tests/test_unasync.py::test_an_import_of_a_declared_source_becomes_an_import_of_its_twin",
    "generator/tests/test_errors.py::test_check_is_green_on_the_repository",
]


def plant() -> None:
    from aether_codegen.render import unasync

    # render_twin looks _twin_imports up in the module at call time.
    unasync._twin_imports = lambda text, package, twins: text
