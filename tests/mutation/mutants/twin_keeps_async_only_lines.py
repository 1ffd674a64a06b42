"""The unasync step ignores `# async-only` markers: the sync twins grow the parameters the
reference gives only its asyncio client (sync create_task would take task_class)."""

from __future__ import annotations

FAULT = "lines marked # async-only are kept in the generated sync twins"
CAUGHT_BY = [
    "generator/tests/test_unasync.py::test_async_only_lines_are_left_out_and_the_marker_keeps_its_name_in_prose",
    "generator/tests/test_errors.py::test_check_is_green_on_the_repository",
]


def plant() -> None:
    from aether_codegen.render import unasync

    # unasync_source looks _drop_async_only up in the module at call time.
    unasync._drop_async_only = lambda source: source
