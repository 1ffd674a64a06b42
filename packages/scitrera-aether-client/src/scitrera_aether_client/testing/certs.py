"""Throwaway PKI for TLS and mTLS tests: a CA, a server certificate and a client certificate.

Keys are ECDSA P-256 (fast to generate, accepted by gRPC). Certificates are valid from one hour
ago for 30 days, so small clock differences cannot make a fresh certificate "not yet valid".
``cryptography`` is an optional dependency, imported only when ``make_test_pki`` runs.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["TestPKI", "make_test_pki"]

_INSTALL_HINT = (
    "make_test_pki needs the optional 'cryptography' package; "
    "install it with: pip install cryptography"
)
_VALIDITY = datetime.timedelta(days=30)
_BACKDATE = datetime.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TestPKI:
    """PEM bytes and the files holding them (``tmp_dir``/{ca,server,client}.{crt,key})."""

    __test__: ClassVar[bool] = False  # a helper, not a pytest test class despite its name

    ca_cert: bytes
    ca_key: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes
    ca_cert_path: Path
    ca_key_path: Path
    server_cert_path: Path
    server_key_path: Path
    client_cert_path: Path
    client_key_path: Path


def make_test_pki(
    tmp_dir: Path,
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1"),
    *,
    client_common_name: str = "aether-test-client",
) -> TestPKI:
    """Create a CA plus a server and a client certificate it signed; write all six PEM files.

    The server certificate's subjectAltName lists every entry of ``hostnames`` (IP literals as
    IP addresses, everything else as DNS names); its CN is the first one. The client
    certificate's CN is ``client_common_name``. Each call makes a new, unrelated CA.
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if not hostnames:
        raise ValueError("hostnames must name at least one host")

    now = datetime.datetime.now(datetime.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def builder(
        subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        )

    def key_usage(*, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=not ca,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("Aether Test CA")
    ca_cert = (
        builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_key_id = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def leaf(
        common_name: str, usage: x509.ObjectIdentifier, san: x509.SubjectAlternativeName | None
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            builder(name(common_name), ca_name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(ca_key_id, critical=False)
        )
        if san is not None:
            cert = cert.add_extension(san, critical=False)
        return cert.sign(ca_key, hashes.SHA256()), key

    server_cert, server_key = leaf(
        hostnames[0],
        ExtendedKeyUsageOID.SERVER_AUTH,
        x509.SubjectAlternativeName([_general_name(host) for host in hostnames]),
    )
    client_cert, client_key = leaf(client_common_name, ExtendedKeyUsageOID.CLIENT_AUTH, None)

    def cert_pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        # PKCS#8, unencrypted: the form gRPC (BoringSSL) and every other consumer accept.
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pems = {
        "ca.crt": cert_pem(ca_cert),
        "ca.key": key_pem(ca_key),
        "server.crt": cert_pem(server_cert),
        "server.key": key_pem(server_key),
        "client.crt": cert_pem(client_cert),
        "client.key": key_pem(client_key),
    }
    tmp_dir.mkdir(parents=True, exist_ok=True)
    paths = {file_name: tmp_dir / file_name for file_name in pems}
    for file_name, data in pems.items():
        paths[file_name].write_bytes(data)
    return TestPKI(
        ca_cert=pems["ca.crt"],
        ca_key=pems["ca.key"],
        server_cert=pems["server.crt"],
        server_key=pems["server.key"],
        client_cert=pems["client.crt"],
        client_key=pems["client.key"],
        ca_cert_path=paths["ca.crt"],
        ca_key_path=paths["ca.key"],
        server_cert_path=paths["server.crt"],
        server_key_path=paths["server.key"],
        client_cert_path=paths["client.crt"],
        client_key_path=paths["client.key"],
    )


def _general_name(host: str) -> x509.GeneralName:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
