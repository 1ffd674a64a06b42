"""MkDocs hook: a page in docs/ that the nav of mkdocs.yml does not list is added under "More",
so a new guide shows on the site before anyone edits the nav (and never breaks the build)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _listed(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _listed(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _listed(value)


def on_config(config: Any) -> Any:
    nav = config["nav"]
    if not nav:
        return config
    listed = set(_listed(nav))
    docs = Path(config["docs_dir"])
    extra = [p.name for p in sorted(docs.glob("*.md")) if p.name not in listed]
    if extra:
        nav.append({"More": extra})  # titled by each page's first heading
    return config
