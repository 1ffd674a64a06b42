"""The one Jinja environment factory; tests import it too, so they render exactly as production."""

from __future__ import annotations

import jinja2


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aether_codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pascal"] = lambda s: "".join(part.capitalize() for part in str(s).split("_"))
    return env
