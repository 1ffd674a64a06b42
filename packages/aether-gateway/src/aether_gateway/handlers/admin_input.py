"""Checks on the numbers and strings that admin and storage operations take from the wire.

Each check returns why a value is refused, or None. Handlers turn a refusal into their typed
failure (`success=false`, `error="ERR_INVALID_ARGUMENT: ..."`) or an ErrorResponse, so that a
value SQLite cannot store (an int past int64), an enum number the schema does not know or a
100,000-character id is an answer to the caller, never an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from aether_gateway.store.acl import AccessLevel
from scitrera_aether_client.wire import identity_problem

INVALID = "ERR_INVALID_ARGUMENT"
MAX_TTL_S = 100 * 365 * 86_400  # a century: any longer TTL means "never", which 0 says
MAX_NAME_CHARS = 256  # ids, names and categories an admin types
MAX_TEXT_CHARS = 4_096  # descriptions and reasons
MAX_METADATA_ENTRIES = 64
DEFAULT_PAGE_LIMIT = 100  # a LIST that names no limit (or a negative one)
_INT64_MAX = 2**63 - 1
_ROW_ID = re.compile(r"[0-9]{1,19}")  # str.isdigit() also accepts '²', which int() refuses
LEVELS = frozenset(int(level) for level in AccessLevel)


def invalid(problem: str) -> str:
    """The typed-response error text for a refused argument."""
    return f"{INVALID}: {problem}"


def page(limit: int, offset: int) -> tuple[int, int]:
    """A LIST filter's limit and offset as the store takes them: no limit means the default."""
    return (limit if limit > 0 else DEFAULT_PAGE_LIMIT), max(offset, 0)


def enum_name(enum: EnumTypeWrapper, value: int) -> str:
    """The value's name; proto3 enums are open, so the wire can carry numbers without one."""
    return enum.Name(value) if value in enum.values() else str(value)


def ttl_problem(name: str, ttl_s: int) -> str | None:
    if ttl_s > MAX_TTL_S:
        return f"{name} must be at most {MAX_TTL_S} seconds (0 means no expiry)"
    return None


def level_problem(name: str, level: int) -> str | None:
    if level not in LEVELS:
        known = ", ".join(str(v) for v in sorted(LEVELS))
        return f"{name} must be one of the access levels {known}, not {level}"
    return None


def row_id(text: str) -> int | None:
    """A stored row id from its decimal text; None when it cannot name a row."""
    if _ROW_ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= _INT64_MAX else None


def text_problem(name: str, value: str, limit: int = MAX_NAME_CHARS) -> str | None:
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    return None


def texts_problem(fields: Mapping[str, str], limit: int = MAX_NAME_CHARS) -> str | None:
    for name, value in fields.items():
        if problem := text_problem(name, value, limit):
            return problem
    return None


def metadata_problem(name: str, metadata: Mapping[str, str]) -> str | None:
    if len(metadata) > MAX_METADATA_ENTRIES:
        return f"{name} has more than {MAX_METADATA_ENTRIES} entries"
    for key, value in metadata.items():
        if len(key) > MAX_NAME_CHARS or len(value) > MAX_TEXT_CHARS:
            return f"{name} entry {key[:40]!r} exceeds {MAX_NAME_CHARS}/{MAX_TEXT_CHARS} chars"
    return None


def workspace_id_problem(workspace_id: str) -> str | None:
    """A workspace id must be usable in an identity (at connect and in topics)."""
    if problem := identity_problem(workspace_id):
        return f"workspace_id {problem}"
    return None
