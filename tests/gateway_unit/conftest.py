"""Unit tests open many in-memory databases; close each one when its test ends.

Python 3.13's sqlite3 warns (ResourceWarning, an error under our warning filters) about a
connection that is garbage collected open, and the warning lands in whichever later test happens
to trigger the collection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aether_gateway.store.db import Database


@pytest.fixture(autouse=True)
def _close_databases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    opened: list[Database] = []
    original = Database.__init__

    def tracked(self: Database, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(Database, "__init__", tracked)
    yield
    for db in opened:
        db.close()
