"""What every admin request builder shares: the AdminRequest envelope (the operation, the client
primitive that carries it, the response type that answers it, and how a refusal in that answer is
raised) and the argument checks, each raising InvalidArgumentError naming the argument.

The builders are in admin_requests (tokens, workspaces, agents, workflow rules, sessions, health)
and admin_acl_requests (rules, fallback policies, roles, groups).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from scitrera_aether_client._core.validation import check_non_negative
from scitrera_aether_client.exceptions import (
    AetherError,
    InvalidArgumentError,
    PermissionDeniedError,
)

R = TypeVar("R")

INT32_MAX = 2**31 - 1
MAX_ACCESS_LEVEL = 50  # SUPERADMIN; READ=10, READWRITE=20, MANAGE=30, ADMIN=40
#: How a refusal reads in a success=false response: ours says "permission denied: ..."; the
#: reference gateway's ACL checks say "access denied: ...", so both count.
_DENIED = re.compile(r"permission[ _]denied|access denied", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AdminRequest(Generic[R]):
    """One admin operation ready to send."""

    primitive: str  # the client's raw method that carries it: "workspace_op", "acl_op", ...
    op: Any  # the operation proto that method takes
    expect: type[R]  # the response proto that answers it

    def accept(self, response: object) -> R | None:
        """The response, after turning a refusal into PermissionDeniedError; None on timeout.

        Our gateway refuses workspace, agent and token operations with a correlated
        ErrorResponse (raised by the client core) but ACL and session operations with
        `success=false` responses; both become PermissionDeniedError here. Other failures stay
        `success=false` responses, as in the reference.
        """
        if response is None:
            return None
        if not isinstance(response, self.expect):
            raise AetherError(
                f"{self.primitive} answered with {type(response).__name__}, "
                f"expected {self.expect.__name__}"
            )
        error = getattr(response, "error", "")
        if not getattr(response, "success", True) and _DENIED.search(error):
            raise PermissionDeniedError(error, code="ERR_PERMISSION_DENIED")
        return response


# ---------------------------------------------------------------------- argument checks


def check_client(client: object, wrong: type, hint: str) -> None:
    """Duck-typed like the reference, but catch a sync client given to the async facade (and
    the reverse), whose calls would otherwise return the wrong kind of result."""
    if isinstance(client, wrong) or not callable(getattr(client, "workspace_op", None)):
        raise InvalidArgumentError(
            f"client must be a connected Aether client (AgentClient, UserClient, ...), "
            f"got {type(client).__name__}{hint}",
            argument="client",
        )


def required_str(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{name} must be a non-empty str", argument=name)
    return value


def str_arg(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str", argument=name)
    return value


def id_arg(name: str, value: object) -> str:
    """A required id that may be given as an int (ACL and workflow rule ids)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidArgumentError(f"{name} must not be negative", argument=name)
        return str(value)
    return required_str(name, value)


def int32_arg(name: str, value: object) -> int:
    count = check_non_negative(name, value)
    if count > INT32_MAX:
        raise InvalidArgumentError(f"{name} must be at most {INT32_MAX}", argument=name)
    return count


def level_arg(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ACCESS_LEVEL:
        raise InvalidArgumentError(
            f"{name} must be an access level from 0 to {MAX_ACCESS_LEVEL}, got {value!r}",
            argument=name,
        )
    return value


def str_list_arg(name: str, values: Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidArgumentError(f"{name} must be a list of str", argument=name)
    items = list(values)
    for i, item in enumerate(items):
        required_str(f"{name}[{i}]", item)
    return items


def str_map_arg(name: str, values: Mapping[str, str] | None) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise InvalidArgumentError(f"{name} must be a mapping of str to str", argument=name)
    return dict(values)
