"""TLS for the Kafka security tests: a throwaway CA and certificates, and a TLS proxy.

The test broker (tansu 0.6) cannot serve TLS: ``tansu broker`` refuses ``--cert`` together
with ``--key`` ("cannot be used with"), and with either alone, or a ``tls://`` listener, it
still speaks plaintext. :class:`TlsProxy` terminates TLS in front of it (the broker advertises
the proxy's port, so every connection a client makes goes through it), which tests that the
clients' TLS settings (CA, client certificate and key, key password) work end to end.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.processes import free_port


@dataclass(frozen=True, slots=True)
class Certificates:
    """PEM files of a test CA, a server certificate for 127.0.0.1 and a client certificate
    (its key encrypted with ``client_key_password``)."""

    ca: Path
    server_certificate: Path
    server_key: Path
    client_certificate: Path
    client_key: Path
    client_key_password: str
    other_ca: Path
    """A CA that signed none of them."""


def make_certificates(directory: Path) -> Certificates:
    """Create a CA, server and client certificates (valid for a day) in ``directory``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca = _ca("streammesh test CA", now)
    _, other_ca = _ca("another CA", now)
    server_key, server = _leaf(
        "127.0.0.1",
        ca,
        ca_key,
        now,
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client_key, client = _leaf("mesh-client", ca, ca_key, now, ExtendedKeyUsageOID.CLIENT_AUTH)
    password = "key-pass-1"
    files = Certificates(
        ca=directory / "ca.pem",
        server_certificate=directory / "server.pem",
        server_key=directory / "server.key",
        client_certificate=directory / "client.pem",
        client_key=directory / "client.key",
        client_key_password=password,
        other_ca=directory / "other-ca.pem",
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.other_ca.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    files.server_certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(_key_pem(server_key, None))
    files.client_certificate.write_bytes(client.public_bytes(serialization.Encoding.PEM))
    files.client_key.write_bytes(_key_pem(client_key, password))
    return files


def _ca(name: str, now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        _builder(subject, subject, key, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _leaf(
    name: str,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
    usage: x509.ObjectIdentifier,
    alternative_names: list[x509.GeneralName] | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        _builder(subject, ca.subject, key, now)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if alternative_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alternative_names), critical=False
        )
    return key, builder.sign(ca_key, hashes.SHA256())


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def _key_pem(key: ec.EllipticCurvePrivateKey, password: str | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


class TlsProxy:
    """Accepts TLS on a free loopback port (requiring a client certificate signed by the CA)
    and forwards the plaintext to ``127.0.0.1:upstream_port``."""

    def __init__(self, certificates: Certificates, upstream_port: int) -> None:
        self.port = free_port()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates.server_certificate, certificates.server_key)
        context.load_verify_locations(certificates.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        upstream = ("127.0.0.1", upstream_port)

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    secured = context.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client's certificate or handshake was refused
                with secured, socket.create_connection(upstream) as plain:
                    back = threading.Thread(target=_pump, args=(plain, secured), daemon=True)
                    back.start()
                    _pump(secured, plain)
                    back.join(timeout=5)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy ``source`` to ``target`` until either closes, then close the other's writing."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for closing in (target, source):
            with contextlib.suppress(OSError):
                closing.shutdown(socket.SHUT_RDWR)
