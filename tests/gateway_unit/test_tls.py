"""The gateway's server TLS credentials: built from PEM, arguments checked before gRPC sees them.

That a client must then present a certificate the CA signed is shown end to end in
tests/e2e/gateway/test_security.py.
"""

from __future__ import annotations

import grpc
import pytest

from aether_gateway.tls import server_credentials
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.testing import TestPKI, make_test_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


def test_server_credentials(pki: TestPKI) -> None:
    plain = server_credentials(pki.server_cert, pki.server_key)
    mutual = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    assert isinstance(plain, grpc.ServerCredentials)
    assert isinstance(mutual, grpc.ServerCredentials)


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ((b"", b"key"), "cert_pem"),
        ((b"cert", b"  "), "key_pem"),
        (("cert", b"key"), "cert_pem"),
        ((b"cert", b"key", b""), "client_ca_pem"),
    ],
)
def test_server_credentials_validation(args: tuple[object, ...], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        server_credentials(*args)  # type: ignore[arg-type]
    assert info.value.argument == argument


def test_the_sdk_no_longer_carries_server_tls() -> None:
    from scitrera_aether_client._core import tls

    assert not hasattr(tls, "server_credentials")
