"""ClientOptions: every connection option of a client, checked once, in one immutable object.

The public constructors keep the reference's separate keyword arguments; each builds one
ClientOptions and hands it down (facade, connection, TLS resolution), so an option is named in
one place and a bad value fails at construction with an InvalidArgumentError naming it.

The environment is consulted the same way by sync and async clients (see docs/sdk.md, "TLS"):
``environ`` (default: the process environment, read when needed) supplies ``AETHER_TLS_*`` at
connect and ``AETHER_GRPC_KEEPALIVE_*`` when the connection is built.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from types import MappingProxyType
from typing import Any

from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

__all__ = ["DEFAULT_BUFFER", "ClientOptions", "choose_options"]

DEFAULT_BUFFER = 10_000

_MATERIAL = ("tls_root_cert", "tls_client_cert", "tls_client_key")
_PATHS = ("tls_root_cert_path", "tls_client_cert_path", "tls_client_key_path")


def _fail(argument: str, expected: str, value: object) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{argument} must be {expected}, got {type(value).__name__} {value!r}"[:300],
        argument=argument,
    )


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """The connection options of one client. Positional order is the reference constructors'
    (credentials ... extensions), then the base classes' ``backoff_multiplier``."""

    credentials: Mapping[str, str] | None = field(default=None, repr=False)  # secrets
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    auto_reconnect: bool = True
    #: True or False always wins; None detects from the environment (AETHER_TLS_ENABLED or a CA).
    tls_enabled: bool | None = None
    tls_root_cert: bytes | str | None = None
    tls_root_cert_path: str | os.PathLike[str] | None = None
    tls_client_cert: bytes | str | None = None
    tls_client_cert_path: str | os.PathLike[str] | None = None
    tls_client_key: bytes | str | None = field(default=None, repr=False)
    tls_client_key_path: str | os.PathLike[str] | None = None
    extensions: Iterable[aether_pb2.ExtensionDeclaration] | None = None
    backoff_multiplier: float = 2.0
    _: KW_ONLY
    #: The identity part of the handshake (set by the per-principal classes).
    init: aether_pb2.InitConnection | None = field(default=None, repr=False)
    buffer_size: int = DEFAULT_BUFFER
    #: Where AETHER_* variables are read; None means os.environ at the time they are needed.
    environ: Mapping[str, str] | None = field(default=None, repr=False)
    # Derived once from the fields above; not compared, so equal options stay equal.
    backoff: Backoff = field(init=False, repr=False, compare=False)
    retry_budget: RetryBudget = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: normalized copies are stored through object.__setattr__, so later changes to
        # the caller's dict, list or protos cannot reach a client that was already built.
        put = object.__setattr__
        put(self, "credentials", _credentials(self.credentials))
        put(self, "retry_budget", RetryBudget(self.max_retries))
        put(
            self,
            "backoff",
            Backoff(self.initial_backoff, self.max_backoff, self.backoff_multiplier),
        )
        if not isinstance(self.auto_reconnect, bool):
            raise _fail("auto_reconnect", "True or False", self.auto_reconnect)
        if self.tls_enabled is not None and not isinstance(self.tls_enabled, bool):
            raise _fail("tls_enabled", "True, False or None", self.tls_enabled)
        for name in _MATERIAL:
            if not isinstance(getattr(self, name), bytes | str | None):
                raise _fail(name, "PEM bytes (or a str: PEM text or a path)", getattr(self, name))
        for name in _PATHS:
            if not isinstance(getattr(self, name), str | os.PathLike | None):
                raise _fail(name, "a path", getattr(self, name))
        put(self, "extensions", _extensions(self.extensions))
        if self.init is not None:
            if not isinstance(self.init, aether_pb2.InitConnection):
                raise _fail("init", "an InitConnection", self.init)
            put(self, "init", _copy(self.init))
        size = self.buffer_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise _fail("buffer_size", "a positive int", size)
        if self.environ is not None and not isinstance(self.environ, Mapping):
            raise _fail("environ", "a mapping of str to str or None", self.environ)

    def env(self) -> Mapping[str, str]:
        """The environment the AETHER_* variables are read from."""
        return os.environ if self.environ is None else self.environ

    def connection_init(self) -> aether_pb2.InitConnection:
        """A fresh InitConnection: the identity, the credentials and the extensions."""
        out = aether_pb2.InitConnection()
        if self.init is not None:
            out.CopyFrom(self.init)
        out.credentials.update(self.credentials or {})
        out.extensions.extend(self.extensions or ())
        return out


def choose_options(
    options: ClientOptions | None, arguments: ClientOptions, defaults: ClientOptions
) -> ClientOptions:
    """The base constructors take either ``options=`` or the separate arguments; mixing them
    would silently drop one side, so it is refused."""
    if options is None:
        return arguments
    if not isinstance(options, ClientOptions):
        raise _fail("options", "a ClientOptions", options)
    if arguments != defaults:
        raise InvalidArgumentError(
            "pass either options= or the separate connection arguments, not both",
            argument="options",
        )
    return options


def _copy(message: Any) -> Any:
    out = type(message)()
    out.CopyFrom(message)
    return out


def _credentials(value: object) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail("credentials", "a dict of str to str", value)
    return MappingProxyType(dict(value))


def _extensions(value: object) -> tuple[aether_pb2.ExtensionDeclaration, ...]:
    if value is None:
        return ()
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise _fail("extensions", "a list of ExtensionDeclaration", value)
    items = tuple(value)
    for item in items:
        if not isinstance(item, aether_pb2.ExtensionDeclaration):
            raise _fail("extensions", "a list of ExtensionDeclaration", item)
    return tuple(_copy(item) for item in items)
