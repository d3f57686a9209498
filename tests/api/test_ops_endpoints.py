"""Health, readiness and discovery over real TLS against the real engine."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from satveto.engine.process import EngineProcess
from satveto.runtime.config import Config, EngineConfig, ServerConfig
from satveto.web.app import create_app
from satveto.web.tls import server_ssl_context


async def start_frontend(config: Config) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    site = web.TCPSite(
        runner,
        "127.0.0.1",
        0,
        ssl_context=server_ssl_context(config.server.tls_cert, config.server.tls_key),
    )
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"https://localhost:{port}"


@pytest.fixture
async def frontend(tls_files: tuple[Path, Path], engine_socket: Path) -> AsyncIterator[str]:
    cert, key = tls_files
    config = Config(
        server=ServerConfig(tls_cert=cert, tls_key=key),
        engine=EngineConfig(socket=engine_socket, timeout_s=2.0),
    )
    runner, base = await start_frontend(config)
    yield base
    await runner.cleanup()


async def test_health_is_ok(frontend: str, http_session: aiohttp.ClientSession) -> None:
    async with http_session.get(f"{frontend}/v1/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        assert len(response.headers["X-Request-Id"]) == 32


async def test_ready_is_503_without_catalog(
    frontend: str, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.get(f"{frontend}/v1/ready") as response:
        assert response.status == 503
        body = await response.json()
        assert body == {"error": {"code": "not_ready", "message": "the engine holds no catalog"}}


async def test_ready_is_503_when_engine_is_down(
    tls_files: tuple[Path, Path], tmp_path: Path, http_session: aiohttp.ClientSession
) -> None:
    cert, key = tls_files
    config = Config(
        server=ServerConfig(tls_cert=cert, tls_key=key),
        engine=EngineConfig(socket=tmp_path / "nobody.sock", timeout_s=1.0),
    )
    runner, base = await start_frontend(config)
    try:
        async with http_session.get(f"{base}/v1/ready") as response:
            assert response.status == 503
            body = await response.json()
            assert body["error"]["code"] == "not_ready"
            assert body["error"]["message"].startswith("engine unavailable")
        async with http_session.get(f"{base}/v1/health") as response:
            assert response.status == 200  # liveness is about this process only
    finally:
        await runner.cleanup()


async def test_ready_recovers_when_engine_restarts(
    tls_files: tuple[Path, Path], tmp_path: Path, http_session: aiohttp.ClientSession
) -> None:
    cert, key = tls_files
    engine = EngineProcess(tmp_path / "e.sock")
    engine.start()
    await engine.wait_ready()
    config = Config(
        server=ServerConfig(tls_cert=cert, tls_key=key),
        engine=EngineConfig(socket=tmp_path / "e.sock", timeout_s=1.0),
    )
    runner, base = await start_frontend(config)
    try:
        async with http_session.get(f"{base}/v1") as response:
            first = (await response.json())["catalog"]["reason"]
        engine.stop()
        async with http_session.get(f"{base}/v1/ready") as response:
            assert (await response.json())["error"]["message"].startswith("engine unavailable")
        engine.start()
        await engine.wait_ready()
        async with http_session.get(f"{base}/v1") as response:
            assert (await response.json())["catalog"]["reason"] == first
    finally:
        await runner.cleanup()
        engine.stop()


async def test_discovery_document(frontend: str, http_session: aiohttp.ClientSession) -> None:
    async with http_session.get(f"{frontend}/v1") as response:
        assert response.status == 200
        body = await response.json()
    assert body["service"] == "satveto"
    assert body["version"] == "0.1.0"
    assert body["endpoints"]["diasources"] == {"method": "POST", "path": "/v1/diasources"}
    assert body["catalog"] == {
        "ready": False,
        "reason": "the engine holds no catalog",
        "age_s": None,
    }


async def test_unknown_path_is_a_json_404(
    frontend: str, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.get(f"{frontend}/v2/nothing") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
async def test_tls_1_1_is_refused(
    frontend: str, tls_ca: object, tls_files: tuple[Path, Path]
) -> None:
    assert server_ssl_context(*tls_files).minimum_version == ssl.TLSVersion.TLSv1_2
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls_ca.configure_trust(old)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client really offer TLS 1.1
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=old)) as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(f"{frontend}/v1/health"):
                pass


async def test_plain_http_is_not_served(frontend: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(frontend.replace("https://", "http://") + "/v1/health"):
                pass


async def test_tls12_client_gets_a_forward_secret_aead_suite(frontend: str, tls_ca: object) -> None:
    tls12 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls_ca.configure_trust(tls12)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    port = int(frontend.rsplit(":", 1)[1])
    _reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls12, server_hostname="localhost"
    )
    ssl_object = writer.get_extra_info("ssl_object")
    assert ssl_object.version() == "TLSv1.2"
    name = ssl_object.cipher()[0]
    assert name.startswith("ECDHE-")
    assert "GCM" in name or "CHACHA20" in name
    writer.close()
    # A client that offers only suites without forward secrecy or without AEAD gets none.
    for suites in (
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA",
        "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384",
    ):
        weak = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls_ca.configure_trust(weak)  # type: ignore[attr-defined]
        weak.maximum_version = ssl.TLSVersion.TLSv1_2
        weak.set_ciphers(suites)
        # The server's alert, or its reset when the client has not read the alert yet.
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await asyncio.open_connection("127.0.0.1", port, ssl=weak, server_hostname="localhost")
