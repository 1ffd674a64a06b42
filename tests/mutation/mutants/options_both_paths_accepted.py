"""A base constructor given options= and separate arguments keeps options= and silently drops
the arguments."""

from __future__ import annotations

FAULT = "choose_options ignores the separate arguments when options= is given"
CAUGHT_BY = [
    "tests/sdk_unit/test_client_options.py::test_base_constructors_take_options_or_arguments_not_both",
]


def plant() -> None:
    from scitrera_aether_client._core.options import ClientOptions
    from scitrera_aether_client._generated import constructors

    def choose_options(
        options: ClientOptions | None, arguments: ClientOptions, defaults: ClientOptions
    ) -> ClientOptions:
        return arguments if options is None else options

    constructors.choose_options = choose_options  # type: ignore[attr-defined]
