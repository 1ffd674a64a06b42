"""ClientOptions: the one frozen object holding a client's connection options.

Covers immutability, typed validation errors, environment handling, and that every generated
constructor (both flavours) keeps the reference signature and puts each argument in its field.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.tls import ENV_CA_CERT, ENV_TLS_ENABLED
from scitrera_aether_client._generated import clients, clients_async
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

SYNC_CLASSES = [getattr(clients, name) for name in clients.__all__]
ASYNC_CLASSES = [getattr(clients_async, name) for name in clients_async.__all__]

# The reference constructors' connection parameters, in order, with their defaults
# (tls_enabled: False for sync, None for async).
REFERENCE = [
    ("credentials", None),
    ("max_retries", 5),
    ("initial_backoff", 1.0),
    ("max_backoff", 30.0),
    ("auto_reconnect", True),
    ("tls_enabled", "flavour"),
    ("tls_root_cert", None),
    ("tls_root_cert_path", None),
    ("tls_client_cert", None),
    ("tls_client_cert_path", None),
    ("tls_client_key", None),
    ("tls_client_key_path", None),
    ("extensions", None),
]


def _reference(is_async: bool) -> list[tuple[str, object]]:
    tls_default = None if is_async else False
    return [(n, tls_default if d == "flavour" else d) for n, d in REFERENCE]


def _connection_params(cls: type) -> list[tuple[str, object]]:
    params = list(inspect.signature(cls).parameters.values())
    names = [p.name for p in params]
    first = names.index("credentials")
    return [(p.name, p.default) for p in params[first : first + len(REFERENCE)]]


def _identity_args(cls: type) -> dict[str, Any]:
    """Valid values for a generated class's identity parameters, read off its signature."""
    out: dict[str, Any] = {}
    for p in inspect.signature(cls).parameters.values():
        if p.name in dict(REFERENCE):
            continue
        if "list" in str(p.annotation):
            out[p.name] = ["profile"]
        elif "bool" in str(p.annotation):
            out[p.name] = True
        else:
            out[p.name] = f"id-{len(out)}"
    return out


# --- frozen, copied, secrets hidden -----------------------------------------------------------


def test_options_are_frozen_and_keep_their_own_copies() -> None:
    creds = {"x-api-key": "k1"}
    exts = [aether_pb2.ExtensionDeclaration(uri="urn:one")]
    init = aether_pb2.InitConnection(agent=aether_pb2.AgentIdentity(workspace="w"))
    options = ClientOptions(credentials=creds, extensions=exts, init=init)

    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_retries = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.credentials["x-api-key"] = "k2"  # type: ignore[index]
    # What the caller changes afterwards does not reach the options.
    creds["x-api-key"] = "changed"
    exts[0].uri = "urn:changed"
    exts.append(aether_pb2.ExtensionDeclaration(uri="urn:two"))
    init.agent.workspace = "changed"
    assert dict(options.credentials or {}) == {"x-api-key": "k1"}
    assert [e.uri for e in options.extensions or ()] == ["urn:one"]
    assert options.init is not None and options.init.agent.workspace == "w"


def test_connection_init_merges_identity_credentials_and_extensions() -> None:
    options = ClientOptions(
        credentials={"x-api-key": "k"},
        extensions=[aether_pb2.ExtensionDeclaration(uri="urn:x")],
        init=aether_pb2.InitConnection(user=aether_pb2.UserIdentity(user_id="u", window_id="w")),
    )
    first = options.connection_init()
    assert first.WhichOneof("client_type") == "user" and first.user.user_id == "u"
    assert dict(first.credentials) == {"x-api-key": "k"}
    assert [e.uri for e in first.extensions] == ["urn:x"]
    first.credentials["x-api-key"] = "mutated"  # each call builds a fresh message
    assert dict(options.connection_init().credentials) == {"x-api-key": "k"}


def test_repr_hides_credentials_keys_and_the_environment() -> None:
    options = ClientOptions(
        credentials={"x-api-key": "secret-key-1"},
        tls_client_key=b"secret-pem-2",
        tls_client_cert=b"cert",
        environ={"AETHER_TLS_CLIENT_KEY": "secret-env-3"},
    )
    text = repr(options)
    assert "max_retries=5" in text
    for secret in ("secret-key-1", "secret-pem-2", "secret-env-3"):
        assert secret not in text


# --- validation: typed errors naming the argument ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"credentials": {"k": 1}}, "credentials"),
        ({"credentials": [("k", "v")]}, "credentials"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"initial_backoff": -0.5}, "initial_backoff"),
        ({"initial_backoff": 5.0, "max_backoff": 1.0}, "max_backoff"),
        ({"backoff_multiplier": 0.5}, "backoff_multiplier"),
        ({"auto_reconnect": "yes"}, "auto_reconnect"),
        ({"tls_enabled": "yes"}, "tls_enabled"),
        ({"tls_enabled": 1}, "tls_enabled"),
        ({"tls_root_cert": 123}, "tls_root_cert"),
        ({"tls_client_key": ["pem"]}, "tls_client_key"),
        ({"tls_client_cert_path": 1.5}, "tls_client_cert_path"),
        ({"extensions": "urn:x"}, "extensions"),
        ({"extensions": [object()]}, "extensions"),
        ({"init": aether_pb2.AgentIdentity()}, "init"),
        ({"buffer_size": 0}, "buffer_size"),
        ({"buffer_size": 2.5}, "buffer_size"),
        ({"environ": "AETHER_TLS_ENABLED=1"}, "environ"),
    ],
)
def test_invalid_values_raise_invalid_argument_naming_it(
    kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        ClientOptions(**kwargs)
    assert info.value.argument == argument
    assert argument in str(info.value)


@pytest.mark.parametrize("cls", [SYNC_CLASSES[0], ASYNC_CLASSES[0]])
def test_public_constructors_fail_at_construction(cls: type) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        cls(**_identity_args(cls), credentials={"x-api-key": None})
    assert info.value.argument == "credentials"


# --- environment --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [SYNC_CLASSES[0], ASYNC_CLASSES[0]])
def test_keepalive_variables_reach_the_channel(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AETHER_GRPC_KEEPALIVE_TIME_MS", "12345")
    client = cls(**_identity_args(cls))
    assert ("grpc.keepalive_time_ms", 12345) in client._conn.channel_options
    assert ("grpc.keepalive_timeout_ms", 10_000) in client._conn.channel_options


@pytest.mark.parametrize("cls", [SYNC_CLASSES[0], ASYNC_CLASSES[0]])
@pytest.mark.parametrize("raw", ["soon", "-5", "1.5"])
def test_a_bad_keepalive_variable_names_itself(
    cls: type, raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AETHER_GRPC_KEEPALIVE_TIMEOUT_MS", raw)
    with pytest.raises(InvalidArgumentError) as info:
        cls(**_identity_args(cls))
    assert info.value.argument == "AETHER_GRPC_KEEPALIVE_TIMEOUT_MS"


def test_environ_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TLS_ENABLED, "true")
    assert ClientOptions().env()[ENV_TLS_ENABLED] == "true"
    assert ENV_TLS_ENABLED not in ClientOptions(environ={}).env()


@pytest.mark.parametrize(
    ("cls", "tls_enabled", "expected"),
    [
        (SYNC_CLASSES[0], "default", False),  # reference sync default: explicit False
        (SYNC_CLASSES[0], None, True),  # None detects, in sync as in async
        (ASYNC_CLASSES[0], "default", True),  # reference async default: None, detects
        (ASYNC_CLASSES[0], False, False),  # an explicit False always wins
    ],
)
def test_tls_defaults_follow_one_rule_in_both_flavours(
    cls: type, tls_enabled: object, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_TLS_ENABLED, "yes")
    kwargs = {} if tls_enabled == "default" else {"tls_enabled": tls_enabled}
    client = cls(**_identity_args(cls), **kwargs)
    assert client.tls_enabled is expected
    monkeypatch.delenv(ENV_TLS_ENABLED)
    monkeypatch.setenv(ENV_CA_CERT, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
    assert cls(**_identity_args(cls), **kwargs).tls_enabled is expected


# --- generated constructors: reference signatures, one options object -------------------------


@pytest.mark.parametrize("cls", SYNC_CLASSES + ASYNC_CLASSES, ids=lambda c: c.__name__)
def test_generated_constructors_keep_the_reference_signature(cls: type) -> None:
    is_async = cls in ASYNC_CLASSES
    assert _connection_params(cls) == _reference(is_async)


@pytest.mark.parametrize("cls", [BaseAetherClient, BaseAsyncAetherClient])
def test_base_constructors_keep_the_reference_signature(cls: type) -> None:
    params = inspect.signature(cls).parameters
    positional = [(p.name, p.default) for p in params.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    expected = [*_reference(cls is BaseAsyncAetherClient), ("backoff_multiplier", 2.0)]
    assert positional == expected
    keyword_only = [p.name for p in params.values() if p.kind is p.KEYWORD_ONLY]
    assert keyword_only == ["init", "buffer_size", "options"]


@pytest.mark.parametrize("cls", SYNC_CLASSES + ASYNC_CLASSES, ids=lambda c: c.__name__)
def test_each_constructor_argument_lands_in_its_own_field(cls: type) -> None:
    # Distinct values of the right type for every option: a swapped pair would show.
    given: dict[str, Any] = {
        "credentials": {"x-api-key": "k"},
        "max_retries": 7,
        "initial_backoff": 0.25,
        "max_backoff": 9.0,
        "auto_reconnect": False,
        "tls_enabled": True,
        "tls_root_cert": b"root",
        "tls_root_cert_path": "/p/root",
        "tls_client_cert": b"cert",
        "tls_client_cert_path": "/p/cert",
        "tls_client_key": b"key",
        "tls_client_key_path": "/p/key",
        "extensions": [aether_pb2.ExtensionDeclaration(uri="urn:e")],
    }
    client = cls(**_identity_args(cls), **given)
    expected = ClientOptions(**given, init=client.options.init)
    assert client.options == expected
    assert client.options.init is not None and client.options.init.WhichOneof("client_type")
    assert (client.max_retries, client.initial_backoff, client.max_backoff) == (7, 0.25, 9.0)
    assert (client.auto_reconnect, client.tls_enabled) == (False, True)


@pytest.mark.parametrize("cls", [BaseAetherClient, BaseAsyncAetherClient])
def test_base_constructors_take_options_or_arguments_not_both(cls: type) -> None:
    options = ClientOptions(max_retries=2, credentials={"x-api-key": "k"})
    assert cls(options=options).options is options
    assert cls(max_retries=2, credentials={"x-api-key": "k"}).options == ClientOptions(
        max_retries=2,
        credentials={"x-api-key": "k"},
        tls_enabled=None if cls is BaseAsyncAetherClient else False,
    )
    with pytest.raises(InvalidArgumentError) as info:
        cls(max_retries=3, options=options)
    assert info.value.argument == "options"
    with pytest.raises(InvalidArgumentError) as info:
        cls(options={"max_retries": 3})
    assert info.value.argument == "options"
