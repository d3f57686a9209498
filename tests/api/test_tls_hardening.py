"""TLS of the HTTPS API: strangers refused before TLS, one modern key-exchange group, no
session tickets, and a demo certificate that is a leaf of a throw-away CA."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from fake_engine import FakeHarness, Frontend, api_config, start_frontend
from satveto.web.tls import write_self_signed_certificate

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures


def port_of(front: Frontend) -> int:
    return int(front.base.rsplit(":", 1)[1])


def handshake(
    port: int, context: ssl.SSLContext, source: str = "127.0.0.1", request: bool = False
) -> ssl.SSLSocket:
    """A blocking TLS connection to localhost:port from ``source`` (raises if refused)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    tls = context.wrap_socket(raw, server_hostname="localhost")
    if request:  # TLS 1.3 tickets arrive after the handshake: read an answer to see them
        tls.sendall(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        while tls.recv(65536):
            pass
    return tls


async def in_thread(*args: object, **kwargs: object) -> ssl.SSLSocket:
    return await asyncio.to_thread(handshake, *args, **kwargs)  # type: ignore[arg-type]


async def test_stranger_is_reset_before_tls(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], client_tls: ssl.SSLContext
) -> None:
    config = api_config(
        tls_files, fake_harness.socket_path, server={"allow_networks": ["127.0.0.1/32"]}
    )
    front = await start_frontend(config)
    try:
        # From 127.0.0.2 (outside the allowlist) not even the ServerHello comes back.
        with pytest.raises((ConnectionResetError, ssl.SSLError, ConnectionAbortedError)):
            await in_thread(port_of(front), client_tls, "127.0.0.2")
        admitted = await in_thread(port_of(front), client_tls, "127.0.0.1")
        admitted.close()
    finally:
        await front.stop()


async def test_only_p256_is_offered_for_key_exchange(
    fake_frontend: Frontend, client_tls: ssl.SSLContext, tls_ca: object
) -> None:
    port = port_of(fake_frontend)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        for group, accepted in (
            ("prime256v1", True),
            ("X448", False),
            ("secp521r1", False),
            ("secp384r1", False),
        ):
            context = ssl.create_default_context()
            tls_ca.configure_trust(context)  # type: ignore[attr-defined]
            context.minimum_version = context.maximum_version = version
            context.set_ecdh_curve(group)
            if accepted:
                (await in_thread(port, context)).close()
            else:
                with pytest.raises(ssl.SSLError):
                    await in_thread(port, context)


async def test_no_session_tickets(fake_frontend: Frontend, tls_ca: object) -> None:
    port = port_of(fake_frontend)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = ssl.create_default_context()
        tls_ca.configure_trust(context)  # type: ignore[attr-defined]
        context.minimum_version = context.maximum_version = version
        tls = await in_thread(port, context, request=True)
        try:
            assert (
                tls.version()
                == {
                    ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                    ssl.TLSVersion.TLSv1_3: "TLSv1.3",
                }[version]
            )
            session = tls.session
            assert session is None or not session.has_ticket, version
        finally:
            tls.close()


def test_demo_certificate_is_a_leaf_of_a_throw_away_ca(tmp_path: Path) -> None:
    cert_file, key_file, ca_file = write_self_signed_certificate(tmp_path)
    leaf = x509.load_pem_x509_certificate(cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    assert leaf.issuer == ca.subject != leaf.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    public = ca.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    leaf.verify_directly_issued_by(ca)
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert "PRIVATE" not in ca_file.read_text()  # the CA's key is never written
    # A client that trusts the demo CA verifies the leaf for localhost.
    client = ssl.create_default_context(cafile=str(ca_file))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(client_in, client_out, server_hostname="localhost")
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        for side in (client_side, server_side):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    assert client_side.version() is not None
    assert client_side.getpeercert()["subject"] == ((("commonName", "satveto demo (localhost)"),),)
