"""TLS and mTLS material: where it comes from, and the gRPC credentials built from it.

Each item (CA bundle, client certificate, client key) is resolved on its own; the first source
that is present wins:

1. explicit bytes (``tls_root_cert``, ``tls_client_cert``, ``tls_client_key``);
2. an explicit path (``tls_*_path``);
3. the environment (``ClientOptions.environ``, by default the process's): ``AETHER_TLS_CA_CERT``,
   ``AETHER_TLS_CLIENT_CERT``, ``AETHER_TLS_CLIENT_KEY``.

Sync and async clients follow the same rule; they differ only in the reference's constructor
default (sync ``tls_enabled=False``, async ``None``, which detects TLS from the environment).

A path string or environment value that names an existing file is read as a file; one that
contains ``-----BEGIN`` is inline PEM; anything else is taken as a path (and fails if unreadable).
Inline PEM is repaired, because secret stores and ``env:`` injection often fold the line breaks
into spaces or literal ``\\n``. A ``str`` passed where bytes are expected gets the same treatment.
Empty values count as absent. Errors name the argument (or variable) the user set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

import grpc

from scitrera_aether_client.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from scitrera_aether_client._core.options import ClientOptions

__all__ = [
    "ENV_CA_CERT",
    "ENV_CLIENT_CERT",
    "ENV_CLIENT_KEY",
    "ENV_TLS_ENABLED",
    "TLSOptions",
    "channel_credentials",
    "repair_pem",
    "resolve_tls",
    "tls_wanted",
]

ENV_TLS_ENABLED = "AETHER_TLS_ENABLED"
ENV_CA_CERT = "AETHER_TLS_CA_CERT"
ENV_CLIENT_CERT = "AETHER_TLS_CLIENT_CERT"
ENV_CLIENT_KEY = "AETHER_TLS_CLIENT_KEY"

_TRUE_WORDS = frozenset({"true", "1", "yes"})
_PEM_MARKER = "-----BEGIN"
_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+?)\s*-----(?P<body>.*?)-----END (?P=label)\s*-----",
    re.DOTALL,
)
_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")

CertInput: TypeAlias = bytes | str | None
PathInput: TypeAlias = str | os.PathLike[str] | None


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """Resolved PEM material for a TLS channel; no CA means the system trust store."""

    root_cert: bytes | None = None
    client_cert: bytes | None = None
    client_key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.client_cert is None) != (self.client_key is None):
            missing = "client_key" if self.client_key is None else "client_cert"
            raise InvalidArgumentError(
                f"mutual TLS needs both a client certificate and its key; {missing} is missing",
                argument=missing,
            )

    @property
    def mutual(self) -> bool:
        """True when a client certificate is presented (mTLS)."""
        return self.client_cert is not None


def repair_pem(text: str) -> bytes:
    """Normalize inline PEM: one marker per line, base64 bodies re-wrapped at 64 columns.

    Text outside BEGIN/END blocks is dropped. Bodies that are not plain base64 (legacy encrypted
    keys with headers) keep their lines, with only surrounding whitespace trimmed.
    """
    text = text.replace("\\r", "").replace("\\n", "\n")
    blocks: list[str] = []
    for match in _PEM_BLOCK.finditer(text):
        label = " ".join(match["label"].split())
        body = match["body"]
        compact = "".join(body.split())
        if _BASE64.fullmatch(compact):
            lines = [compact[i : i + 64] for i in range(0, len(compact), 64)]
        else:
            lines = [line.strip() for line in body.strip().splitlines()]
        blocks.append("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]))
    if not blocks:
        return text.strip().encode() + b"\n"
    return ("\n".join(blocks) + "\n").encode()


def _read(path: str | os.PathLike[str], argument: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(
            f"{argument}: cannot read {os.fspath(path)!r}: {exc.strerror or exc}",
            argument=argument,
        ) from exc
    if not data.strip():
        raise InvalidArgumentError(f"{argument}: {os.fspath(path)!r} is empty", argument=argument)
    return data


def _interpret(value: str, argument: str) -> bytes:
    """A string that is a path to an existing file, inline PEM, or else a path."""
    stripped = value.strip()
    if os.path.isfile(stripped):
        return _read(stripped, argument)
    if _PEM_MARKER in value:
        return repair_pem(value)
    return _read(stripped, argument)


class _Source:
    """One item's chosen source; loading (file reads) is deferred until TLS is known to be on."""

    __slots__ = ("argument", "value")

    def __init__(self, argument: str, value: bytes | str | os.PathLike[str]) -> None:
        self.argument = argument
        self.value = value

    def load(self) -> bytes:
        value = self.value
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return _interpret(value, self.argument)
        return _read(value, self.argument)


class _Item(NamedTuple):
    """The user-facing names of one item's three possible sources, for error messages."""

    explicit: str
    path: str
    env: str


_CA = _Item("tls_root_cert", "tls_root_cert_path", ENV_CA_CERT)
_CERT = _Item("tls_client_cert", "tls_client_cert_path", ENV_CLIENT_CERT)
_KEY = _Item("tls_client_key", "tls_client_key_path", ENV_CLIENT_KEY)


def _pick(
    item: _Item, explicit: CertInput, path: PathInput, env: Mapping[str, str]
) -> _Source | None:
    # Types were checked when the ClientOptions was built; empty values count as absent.
    if explicit:
        return _Source(item.explicit, explicit)
    if path is not None and os.fspath(path):
        return _Source(item.path, path)
    if env.get(item.env, "").strip():
        return _Source(item.env, env[item.env])
    return None


def tls_wanted(options: ClientOptions) -> bool:
    """Whether the channel will use TLS: True or False always wins; None (auto) means on when
    ``AETHER_TLS_ENABLED`` is true/1/yes or a CA is available from any source. Reads no file."""
    if options.tls_enabled is not None:
        return options.tls_enabled
    env = options.env()
    if env.get(ENV_TLS_ENABLED, "").strip().lower() in _TRUE_WORDS:
        return True
    return _pick(_CA, options.tls_root_cert, options.tls_root_cert_path, env) is not None


def resolve_tls(options: ClientOptions) -> TLSOptions | None:
    """The TLS material to use, or None for a plaintext channel (see `tls_wanted`).

    Called at connect, so certificate files and variables may appear after construction. When
    TLS ends up off nothing is read, so stray client material cannot fail the connection.
    """
    if not tls_wanted(options):
        return None
    env = options.env()
    ca = _pick(_CA, options.tls_root_cert, options.tls_root_cert_path, env)
    cert = _pick(_CERT, options.tls_client_cert, options.tls_client_cert_path, env)
    key = _pick(_KEY, options.tls_client_key, options.tls_client_key_path, env)
    if (cert is None) != (key is None):
        missing = "tls_client_key" if key is None else "tls_client_cert"
        raise InvalidArgumentError(
            f"mutual TLS needs both a client certificate and its key; {missing} is missing",
            argument=missing,
        )
    return TLSOptions(
        root_cert=ca.load() if ca else None,
        client_cert=cert.load() if cert else None,
        client_key=key.load() if key else None,
    )


def channel_credentials(options: TLSOptions) -> grpc.ChannelCredentials:
    """Client-side credentials for ``grpc.secure_channel`` / ``grpc.aio.secure_channel``."""
    return grpc.ssl_channel_credentials(
        root_certificates=options.root_cert,
        private_key=options.client_key,
        certificate_chain=options.client_cert,
    )
