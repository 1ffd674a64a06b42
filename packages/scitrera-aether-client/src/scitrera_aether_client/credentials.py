"""Connection credentials: the map sent in ``InitConnection.credentials``.

The gateway reads credentials from the first stream frame, not from gRPC metadata, so a
``Credentials`` object is just a ``dict[str, str]`` with named constructors for the keys the
gateway understands. Builders validate their input and return the same object, so they chain::

    creds = Credentials.api_key("k-123").with_tenant("acme")
"""

from __future__ import annotations

from typing import Self

from scitrera_aether_client.exceptions import InvalidArgumentError

__all__ = [
    "API_KEY_HEADER",
    "AUTHORIZATION_HEADER",
    "TASK_TOKEN_KEY",
    "TENANT_HEADER",
    "Credentials",
]

API_KEY_HEADER = "x-api-key"
TASK_TOKEN_KEY = "token"
AUTHORIZATION_HEADER = "authorization"
TENANT_HEADER = "x-tenant-id"

# Keys whose values identify rather than authenticate; everything else is masked in repr.
_PUBLIC_KEYS = frozenset({TENANT_HEADER})
_MASK = "***"


def _non_empty(argument: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"{argument} must be a str, got {type(value).__name__}", argument=argument
        )
    if not value:
        raise InvalidArgumentError(f"{argument} must not be empty", argument=argument)
    return value


class Credentials(dict[str, str]):
    """Credentials for ``InitConnection``; a plain ``dict[str, str]`` on the wire."""

    @classmethod
    def api_key(cls, key: str) -> Self:
        """An API key, sent as ``x-api-key``."""
        return cls().with_api_key(key)

    @classmethod
    def task_token(cls, token: str) -> Self:
        """A task token issued by an orchestrator, sent as ``token``."""
        return cls().with_task_token(token)

    @classmethod
    def bearer_token(cls, token: str) -> Self:
        """A bearer token, sent as ``authorization: Bearer <token>``."""
        return cls().with_bearer_token(token)

    def with_api_key(self, key: str) -> Self:
        self[API_KEY_HEADER] = _non_empty("key", key)
        return self

    def with_task_token(self, token: str) -> Self:
        self[TASK_TOKEN_KEY] = _non_empty("token", token)
        return self

    def with_bearer_token(self, token: str) -> Self:
        self[AUTHORIZATION_HEADER] = f"Bearer {_non_empty('token', token)}"
        return self

    def with_tenant(self, tenant_id: str) -> Self:
        self[TENANT_HEADER] = _non_empty("tenant_id", tenant_id)
        return self

    def __repr__(self) -> str:
        # Credentials end up in logs and tracebacks; never print a secret.
        shown = {
            key: value if key in _PUBLIC_KEYS else _masked(key, value)
            for key, value in self.items()
        }
        return f"{type(self).__name__}({shown!r})"

    __str__ = __repr__


def _masked(key: str, value: object) -> str:
    if key == AUTHORIZATION_HEADER and isinstance(value, str) and " " in value:
        scheme = value.split(" ", 1)[0]
        return f"{scheme} {_MASK}"
    return _MASK
