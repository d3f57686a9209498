"""TLS for the HTTPS API: the server context, the listening socket that refuses strangers
before any TLS, and a throw-away CA and certificate for `make run`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import struct
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from satveto.web.security import address_in, parse_networks

# Forward-secret AEAD suites only, for the TLS 1.2 peers; TLS 1.3 suites are all modern.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


#: The one key-exchange group offered.  Python's ssl can name exactly one group
#: (SSLContext.set_ecdh_curve sets the list to that group alone); P-256 is the one every TLS
#: client supports.  It keeps OpenSSL's defaults X448 and secp521r1 (and X25519) off the list;
#: a client whose first key share is X25519 gets one HelloRetryRequest.
KEY_EXCHANGE_GROUP = "prime256v1"


def server_ssl_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS 1.2 or newer with modern ciphers, one modern group, and no session tickets.

    Tickets are off (TLS 1.2 ``OP_NO_TICKET``, TLS 1.3 ``num_tickets = 0``): a ticket is
    encrypted under a key the process keeps for its whole life, so a key stolen later would
    open every recorded session resumed with one.  AP keeps its connections open; a full
    handshake on a new one costs a millisecond.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.set_ecdh_curve(KEY_EXCHANGE_GROUP)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET
    context.num_tickets = 0
    context.load_cert_chain(cert_file, key_file)
    return context


class AllowlistListener(socket.socket):
    """A listening socket whose ``accept`` drops peers outside the allowlist at once.

    asyncio (and so aiohttp) accepts through ``sock.accept()`` and only then starts TLS; here a
    stranger's connection is reset (RST) before a byte of TLS is exchanged, so it learns
    nothing of the certificate or the protocol and costs no handshake.  The HTTP allowlist
    middleware stays as the second line (it also covers requests over other listeners).
    """

    def __init__(self, family: int, networks: Iterable[str]) -> None:
        super().__init__(family, socket.SOCK_STREAM)
        self._networks = parse_networks(networks)
        self.refused = 0

    def accept(self) -> tuple[socket.socket, object]:
        while True:
            connection, address = super().accept()  # BlockingIOError when none is pending
            if address_in(str(address[0]), self._networks):
                return connection, address
            self.refused += 1
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()


def allowlist_listener(host: str, port: int, networks: Iterable[str]) -> AllowlistListener:
    """A bound, listening, non-blocking :class:`AllowlistListener` (for ``web.SockSite`` or
    ``web.run_app(sock=...)``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = AllowlistListener(family, networks)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def write_self_signed_certificate(directory: Path, days: int = 7) -> tuple[Path, Path, Path]:
    """Writes a throw-away CA and a server certificate it signed, for localhost, 127.0.0.1 and
    ::1, into ``directory``: (certificate, key, CA certificate).

    For the demo only: production certificates come from the site's CA.  The server
    certificate is a leaf (CA:FALSE, digitalSignature, serverAuth), so a client that trusts
    the demo CA does not trust it to issue certificates; the CA's key is never written and is
    forgotten when this returns.  The key file is created with mode 0600.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "satveto demo CA (throw-away)")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "satveto demo (localhost)")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file = directory / "demo-cert.pem"
    key_file = directory / "demo-key.pem"
    ca_file = directory / "demo-ca.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_file, key_file, ca_file
