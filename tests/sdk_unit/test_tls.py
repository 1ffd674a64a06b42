"""TLS material resolution (explicit > path > environment), PEM repair and credential builders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from cryptography import x509

from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.tls import (
    ENV_CA_CERT,
    ENV_CLIENT_CERT,
    ENV_CLIENT_KEY,
    ENV_TLS_ENABLED,
    TLSOptions,
    channel_credentials,
    repair_pem,
    resolve_tls,
)
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.testing import TestPKI, make_test_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return make_test_pki(tmp_path_factory.mktemp("other-pki"))


def resolve(
    enabled: bool | None = True,
    *,
    root_cert: bytes | str | None = None,
    root_cert_path: str | Path | None = None,
    client_cert: bytes | str | None = None,
    client_cert_path: str | Path | None = None,
    client_key: bytes | str | None = None,
    client_key_path: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> TLSOptions | None:
    """resolve_tls with an explicit environment (empty unless given), so no test reads ours."""
    return resolve_tls(
        ClientOptions(
            tls_enabled=enabled,
            tls_root_cert=root_cert,
            tls_root_cert_path=root_cert_path,
            tls_client_cert=client_cert,
            tls_client_cert_path=client_cert_path,
            tls_client_key=client_key,
            tls_client_key_path=client_key_path,
            environ={} if env is None else env,
        )
    )


def folded(pem: bytes) -> str:
    """PEM as a secret store may inject it: every line break turned into a space."""
    return " ".join(pem.decode().split("\n"))


# --- the test PKI itself ------------------------------------------------------------------------


def test_pki_files_match_bytes_and_names(pki: TestPKI) -> None:
    assert pki.ca_cert_path.read_bytes() == pki.ca_cert
    assert pki.server_key_path.read_bytes() == pki.server_key
    assert pki.client_cert_path.read_bytes() == pki.client_cert
    assert b"PRIVATE KEY" in pki.client_key
    server = x509.load_pem_x509_certificate(pki.server_cert)
    ca = x509.load_pem_x509_certificate(pki.ca_cert)
    assert server.issuer == ca.subject
    server.verify_directly_issued_by(ca)
    x509.load_pem_x509_certificate(pki.client_cert).verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_pki_instances_are_independent(pki: TestPKI, other: TestPKI) -> None:
    assert pki.ca_cert != other.ca_cert
    with pytest.raises(ValueError, match="hostnames"):
        make_test_pki(Path("/nonexistent-never-written"), hostnames=())


# --- enabled / disabled / auto ------------------------------------------------------------------


def test_disabled_returns_none_and_reads_nothing() -> None:
    assert resolve(False, root_cert_path="/missing/ca.pem", client_cert=b"half") is None
    assert resolve(False, env={ENV_TLS_ENABLED: "true", ENV_CA_CERT: "/missing"}) is None


def test_enabled_without_material_uses_the_system_trust_store() -> None:
    options = resolve(True)
    assert options == TLSOptions()
    assert options is not None
    assert not options.mutual


@pytest.mark.parametrize("word", ["true", "1", "yes", "TRUE", " Yes "])
def test_auto_turns_on_with_the_enable_variable(word: str) -> None:
    assert resolve(None, env={ENV_TLS_ENABLED: word}) == TLSOptions()


@pytest.mark.parametrize("word", ["false", "0", "no", "", "on"])
def test_auto_stays_off_otherwise(word: str) -> None:
    assert resolve(None, env={ENV_TLS_ENABLED: word}) is None
    assert resolve(None, env={}) is None


def test_auto_turns_on_when_a_ca_is_available(pki: TestPKI) -> None:
    from_env = resolve(None, env={ENV_CA_CERT: str(pki.ca_cert_path)})
    assert from_env == TLSOptions(root_cert=pki.ca_cert)
    explicit = resolve(None, root_cert=pki.ca_cert, env={ENV_TLS_ENABLED: "false"})
    assert explicit == TLSOptions(root_cert=pki.ca_cert)


def test_auto_turns_on_with_an_explicit_ca_and_no_environment(pki: TestPKI) -> None:
    # One rule for both flavours: a CA from any source means TLS when tls_enabled is None.
    assert resolve(None, root_cert=pki.ca_cert) == TLSOptions(root_cert=pki.ca_cert)
    assert resolve(None, root_cert_path=pki.ca_cert_path) == TLSOptions(root_cert=pki.ca_cert)


def test_explicit_false_beats_the_environment(pki: TestPKI) -> None:
    env = {ENV_TLS_ENABLED: "true", ENV_CA_CERT: str(pki.ca_cert_path)}
    assert resolve(False, env=env) is None


def test_default_environ_is_os_environ(pki: TestPKI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CA_CERT, str(pki.ca_cert_path))
    assert resolve_tls(ClientOptions()) == TLSOptions(root_cert=pki.ca_cert)
    # Read at resolution time, not when the options were built.
    options = ClientOptions()
    monkeypatch.delenv(ENV_CA_CERT)
    assert resolve_tls(options) is None
    assert resolve_tls(ClientOptions(environ={ENV_CA_CERT: str(pki.ca_cert_path)})) is not None


# --- resolution order ---------------------------------------------------------------------------


def test_explicit_bytes_beat_path_and_env(pki: TestPKI, other: TestPKI) -> None:
    options = resolve(
        root_cert=pki.ca_cert,
        root_cert_path=other.ca_cert_path,
        env={ENV_CA_CERT: str(other.ca_cert_path)},
    )
    assert options == TLSOptions(root_cert=pki.ca_cert)


def test_path_beats_env(pki: TestPKI, other: TestPKI) -> None:
    options = resolve(root_cert_path=pki.ca_cert_path, env={ENV_CA_CERT: other.ca_cert.decode()})
    assert options == TLSOptions(root_cert=pki.ca_cert)


def test_an_explicit_environ_replaces_the_process_environment(
    pki: TestPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_CA_CERT, str(pki.ca_cert_path))
    monkeypatch.setenv(ENV_CLIENT_CERT, str(pki.client_cert_path))
    assert resolve(True) == TLSOptions()


def test_items_resolve_independently(pki: TestPKI) -> None:
    options = resolve(
        root_cert=pki.ca_cert,
        client_cert_path=str(pki.client_cert_path),
        env={ENV_CLIENT_KEY: pki.client_key.decode()},
    )
    assert options == TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)
    assert options is not None
    assert options.mutual


def test_empty_values_count_as_absent(pki: TestPKI) -> None:
    options = resolve(root_cert=b"", root_cert_path=pki.ca_cert_path)
    assert options == TLSOptions(root_cert=pki.ca_cert)
    assert resolve(root_cert_path="", env={ENV_CA_CERT: "  "}) == TLSOptions()


def test_path_objects_and_strings(pki: TestPKI) -> None:
    by_path = resolve(client_cert_path=pki.client_cert_path, client_key_path=pki.client_key_path)
    by_str = resolve(
        client_cert_path=str(pki.client_cert_path), client_key_path=str(pki.client_key_path)
    )
    assert by_path == by_str == TLSOptions(None, pki.client_cert, pki.client_key)


# --- env and str values: path, inline PEM, repair -----------------------------------------------


def test_env_value_naming_a_file_is_read(pki: TestPKI) -> None:
    env = {
        ENV_CA_CERT: str(pki.ca_cert_path),
        ENV_CLIENT_CERT: str(pki.client_cert_path),
        ENV_CLIENT_KEY: str(pki.client_key_path) + "\n",
    }
    assert resolve(env=env) == TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)


def test_env_inline_pem_is_used(pki: TestPKI) -> None:
    options = resolve(env={ENV_CA_CERT: pki.ca_cert.decode()})
    assert options == TLSOptions(root_cert=pki.ca_cert)


@pytest.mark.parametrize(
    "mangle",
    [
        folded,
        lambda pem: pem.decode().replace("\n", "\\n"),
        lambda pem: pem.decode().replace("\n", "\r\n"),
        lambda pem: "\n".join("    " + line for line in pem.decode().splitlines()),
        lambda pem: "  " + pem.decode().strip() + "  ",
        lambda pem: pem.decode().replace("-----\n", "-----  ").replace("\n-----", " -----"),
    ],
    ids=["spaces", "literal-backslash-n", "crlf", "indented", "padded", "markers-inline"],
)
def test_mangled_inline_pem_is_repaired_exactly(
    pki: TestPKI, mangle: Callable[[bytes], str]
) -> None:
    for pem in (pki.ca_cert, pki.client_key):
        text = mangle(pem)
        assert repair_pem(text) == pem
    options = resolve(env={ENV_CA_CERT: mangle(pki.ca_cert)})
    assert options == TLSOptions(root_cert=pki.ca_cert)


def test_repair_keeps_every_block_of_a_chain(pki: TestPKI, other: TestPKI) -> None:
    chain = pki.client_cert + other.ca_cert
    assert repair_pem(folded(chain)) == chain


def test_repaired_pem_parses(pki: TestPKI) -> None:
    repaired = repair_pem(folded(pki.server_cert))
    assert x509.load_pem_x509_certificate(repaired).subject == (
        x509.load_pem_x509_certificate(pki.server_cert).subject
    )


def test_str_pem_passed_as_bytes_is_normalized(pki: TestPKI) -> None:
    options = resolve(root_cert=folded(pki.ca_cert))
    assert options == TLSOptions(root_cert=pki.ca_cert)


def test_str_path_passed_as_bytes_is_read(pki: TestPKI) -> None:
    assert resolve(root_cert=str(pki.ca_cert_path)) == TLSOptions(root_cert=pki.ca_cert)


def test_path_argument_holding_inline_pem(pki: TestPKI) -> None:
    options = resolve(root_cert_path=folded(pki.ca_cert))
    assert options == TLSOptions(root_cert=pki.ca_cert)


def test_explicit_bytes_are_used_verbatim() -> None:
    assert resolve(root_cert=b"not-pem-at-all") == TLSOptions(root_cert=b"not-pem-at-all")


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"root_cert_path": "/missing/ca.pem"}, "tls_root_cert_path"),
        ({"root_cert": "/missing/ca.pem"}, "tls_root_cert"),
        ({"env": {ENV_CA_CERT: "/missing/ca.pem"}}, ENV_CA_CERT),
        ({"env": {ENV_CA_CERT: "neither-a-file-nor-pem"}}, ENV_CA_CERT),
        (
            {"client_cert_path": "/missing/c.pem", "client_key_path": "/missing/k.pem"},
            "tls_client_cert_path",
        ),
        ({"root_cert": 123}, "tls_root_cert"),
        ({"client_key_path": 1.5, "client_cert": b"x"}, "tls_client_key_path"),
    ],
)
def test_unusable_sources_name_the_argument(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve(**kwargs)  # type: ignore[arg-type]
    assert info.value.argument == argument


def test_unreadable_directory_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve(root_cert_path=tmp_path)
    assert info.value.argument == "tls_root_cert_path"


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"\n")
    with pytest.raises(InvalidArgumentError) as info:
        resolve(client_key_path=empty, client_cert=b"cert")
    assert info.value.argument == "tls_client_key_path"


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"client_cert": b"cert"}, "tls_client_key"),
        ({"client_key": b"key"}, "tls_client_cert"),
        ({"client_cert_path": "/whatever"}, "tls_client_key"),
        ({"client_key_path": "/whatever"}, "tls_client_cert"),
        ({"env": {ENV_CLIENT_CERT: "-----BEGIN CERTIFICATE-----"}}, "tls_client_key"),
        ({"env": {ENV_CLIENT_KEY: "/some/key.pem"}}, "tls_client_cert"),
    ],
)
def test_half_an_mtls_pair_names_the_missing_one(kwargs: dict[str, object], missing: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve(**kwargs)  # type: ignore[arg-type]
    assert info.value.argument == missing
    assert info.value.code == "INVALID_ARGUMENT"


def test_half_pair_is_dropped_when_tls_is_off() -> None:
    assert resolve(False, client_cert=b"cert") is None
    assert resolve(None, client_cert=b"cert", env={}) is None


def test_tls_enabled_must_be_bool_or_none() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve("yes")  # type: ignore[arg-type]
    assert info.value.argument == "tls_enabled"


def test_tls_options_checks_the_pair_and_hides_the_key(pki: TestPKI) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        TLSOptions(client_key=b"k")
    assert info.value.argument == "client_cert"
    options = TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)
    assert b"PRIVATE" not in repr(options).encode()
    assert "client_key" not in repr(options)


# --- gRPC credential objects (built only; no connection is made here) ---------------------------


def test_channel_credentials(pki: TestPKI) -> None:
    assert isinstance(channel_credentials(TLSOptions()), grpc.ChannelCredentials)
    mutual = TLSOptions(pki.ca_cert, pki.client_cert, pki.client_key)
    assert isinstance(channel_credentials(mutual), grpc.ChannelCredentials)
