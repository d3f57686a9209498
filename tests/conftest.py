"""Fixtures that start the real satveto-engine binary and the real frontend over TLS."""

from __future__ import annotations

import asyncio
import ssl
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))

from satveto.engine.process import EngineProcess
from support import BlockingEngineClient

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[Path]:
    """A running engine on a fresh socket; stopped (and checked to exit cleanly) afterwards."""
    engine = EngineProcess(tmp_path / "engine.sock")
    engine.start()
    asyncio.run(engine.wait_ready())
    yield engine.socket_path
    assert engine.stop() == 0


@pytest.fixture
def engine_process(tmp_path: Path) -> Iterator[EngineProcess]:
    """An engine the test may kill, stop or restart itself."""
    engine = EngineProcess(tmp_path / "engine.sock")
    engine.start()
    asyncio.run(engine.wait_ready())
    yield engine
    engine.stop()


@pytest.fixture
def engine_rpc(engine_socket: Path) -> Iterator[BlockingEngineClient]:
    client = BlockingEngineClient(engine_socket)
    yield client
    client.close()


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_files(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A server certificate for localhost/127.0.0.1 signed by the test CA: (cert, key)."""
    directory = tmp_path_factory.mktemp("tls")
    server = tls_ca.issue_cert("localhost", "127.0.0.1", "::1")
    cert, key = directory / "server.pem", directory / "server.key"
    server.private_key_and_cert_chain_pem.write_to_path(str(cert))
    server.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture
def client_tls(tls_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    return context


@pytest.fixture
async def http_session(client_tls: ssl.SSLContext) -> AsyncIterator[object]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as session:
        yield session
