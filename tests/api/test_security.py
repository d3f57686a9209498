"""Admission over real TLS: client IP allowlist, bearer secret, rate limit, and their order."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from fake_engine import FakeHarness, Frontend, api_config, sample_visit, start_frontend
from satveto.runtime.config import ConfigError
from satveto.web.app import create_app
from satveto.web.security import TokenBuckets, client_address

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures

SECRET = "correct-horse-battery-staple-42"


async def get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, Any, Any]:
    async with session.get(url, headers=headers or {}) as response:
        return response.status, await response.json(), response.headers


@pytest.fixture
async def from_127_0_0_2(client_tls: ssl.SSLContext) -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose connections come from 127.0.0.2."""
    connector = aiohttp.TCPConnector(ssl=client_tls, local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def secret_file(tmp_path: Path, mode: int = 0o600, text: str = SECRET) -> Path:
    path = tmp_path / "secret"
    path.write_text(text + "\n")
    os.chmod(path, mode)
    return path


async def frontend_with(
    harness: FakeHarness, tls_files: tuple[Path, Path], **sections: dict[str, Any]
) -> Frontend:
    return await start_frontend(api_config(tls_files, harness.socket_path, **sections))


async def test_allowlist_refuses_other_addresses(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    http_session: aiohttp.ClientSession,
    from_127_0_0_2: aiohttp.ClientSession,
) -> None:
    front = await frontend_with(
        fake_harness, tls_files, server={"allow_networks": ["127.0.0.1/32"]}
    )
    try:
        # Refused at accept, before TLS (tls.AllowlistListener): no HTTP answer at all.
        with pytest.raises(aiohttp.ClientError):
            await get(from_127_0_0_2, f"{front.base}/v1/health")
        with pytest.raises(aiohttp.ClientError):
            async with from_127_0_0_2.post(f"{front.base}/v1/visits", json=sample_visit()):
                pass
        assert (await get(http_session, f"{front.base}/v1/health"))[0] == 200
    finally:
        await front.stop()


async def test_the_http_allowlist_refuses_strangers_the_listener_let_through(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    http_session: aiohttp.ClientSession,
    from_127_0_0_2: aiohttp.ClientSession,
) -> None:
    """The middleware is the second line (it also guards listeners without the accept-time
    check): a 403 for an address outside server.allow_networks, nothing else looked at."""
    config = api_config(
        tls_files, fake_harness.socket_path, server={"allow_networks": ["127.0.0.1/32"]}
    )
    front = await start_frontend(config, refuse_at_accept=False)
    try:
        for path in ("/v1/health", "/v1/ready"):
            status, body, _ = await get(from_127_0_0_2, f"{front.base}{path}")
            assert (status, body["error"]["code"]) == (403, "forbidden")
        async with from_127_0_0_2.post(f"{front.base}/v1/visits", json=sample_visit()) as answer:
            assert (answer.status, (await answer.json())["error"]["code"]) == (403, "forbidden")
        assert fake_harness.fake.count("register_visit") == 0
        assert (await get(http_session, f"{front.base}/v1/health"))[0] == 200
    finally:
        await front.stop()


async def test_allowlist_network_admits_its_members(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], from_127_0_0_2: Any
) -> None:
    front = await frontend_with(
        fake_harness, tls_files, server={"allow_networks": ["10.0.0.0/8", "127.0.0.0/30"]}
    )
    try:
        assert (await get(from_127_0_0_2, f"{front.base}/v1/health"))[0] == 200
    finally:
        await front.stop()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_allowlist_ipv6(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path], http_session: aiohttp.ClientSession
) -> None:
    for networks, admitted in ((["127.0.0.0/8"], False), (["127.0.0.0/8", "::1/128"], True)):
        config = api_config(
            tls_files, fake_harness.socket_path, server={"allow_networks": networks}
        )
        front = await start_frontend(config, host="::1")
        try:
            port = front.base.rsplit(":", 1)[1]
            if admitted:
                status, _, _ = await get(http_session, f"https://[::1]:{port}/v1/health")
                assert status == 200
            else:
                with pytest.raises(aiohttp.ClientError):
                    await get(http_session, f"https://[::1]:{port}/v1/health")
        finally:
            await front.stop()


def test_ipv4_mapped_addresses_count_as_ipv4() -> None:
    mapped = client_address(SimpleNamespace(remote="::ffff:127.0.0.1"))  # type: ignore[arg-type]
    assert str(mapped) == "127.0.0.1"
    assert client_address(SimpleNamespace(remote=None)) is None  # type: ignore[arg-type]
    assert client_address(SimpleNamespace(remote="not-an-ip")) is None  # type: ignore[arg-type]


async def test_secret_is_required(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    tmp_path: Path,
    http_session: aiohttp.ClientSession,
) -> None:
    front = await frontend_with(
        fake_harness, tls_files, server={"secret_file": secret_file(tmp_path)}
    )
    try:
        url = f"{front.base}/v1"
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": SECRET},
            {"Authorization": f"Basic {SECRET}"},
            {"Authorization": f"Bearer {SECRET}x"},
        ):
            status, body, answer_headers = await get(http_session, url, headers)
            assert (status, body["error"]["code"]) == (401, "unauthorized")
            assert answer_headers["WWW-Authenticate"].startswith("Bearer")
        status, _, _ = await get(http_session, url, {"Authorization": f"Bearer {SECRET}"})
        assert status == 200
        # The scheme is case-insensitive (RFC 9110 11.1): any spelling of "Bearer" is accepted.
        for scheme in ("bearer", "BEARER", "bEaReR"):
            headers = {"Authorization": f"{scheme} {SECRET}"}
            assert (await get(http_session, url, headers))[0] == 200, scheme
        # Liveness needs no secret (it reveals nothing and probes must not hold it).
        assert (await get(http_session, f"{front.base}/v1/health"))[0] == 200
    finally:
        await front.stop()


@pytest.mark.parametrize(
    ("mode", "text", "message"),
    [
        (0o644, SECRET, "readable or writable by group or others"),
        (0o640, SECRET, "readable or writable by group or others"),
        (0o602, SECRET, "readable or writable by group or others"),
        (0o600, "short", "at least 16 characters"),
    ],
)
def test_unsafe_secret_file_refuses_to_start(
    tls_files: tuple[Path, Path], tmp_path: Path, mode: int, text: str, message: str
) -> None:
    config = api_config(
        tls_files, tmp_path / "e.sock", server={"secret_file": secret_file(tmp_path, mode, text)}
    )
    with pytest.raises(ConfigError, match=message) as error:
        create_app(config)
    assert str(error.value).startswith("server.secret_file: ")
    assert SECRET not in str(error.value)


def test_missing_secret_file_refuses_to_start(tls_files: tuple[Path, Path], tmp_path: Path) -> None:
    config = api_config(tls_files, tmp_path / "e.sock", server={"secret_file": tmp_path / "absent"})
    with pytest.raises(ConfigError, match=r"server\.secret_file: cannot open"):
        create_app(config)


async def test_rate_limit_per_client(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    http_session: aiohttp.ClientSession,
    from_127_0_0_2: aiohttp.ClientSession,
) -> None:
    front = await frontend_with(fake_harness, tls_files, limits={"rate_per_s": 0.5, "burst": 3})
    try:
        url = f"{front.base}/v1"
        statuses = [(await get(http_session, url))[0] for _ in range(3)]
        assert statuses == [200, 200, 200]
        status, body, headers = await get(http_session, url)
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        assert int(headers["Retry-After"]) == 2  # one token at 0.5 per second
        # Liveness is exempt, and another client has its own bucket.
        assert (await get(http_session, f"{front.base}/v1/health"))[0] == 200
        assert (await get(from_127_0_0_2, url))[0] == 200
    finally:
        await front.stop()


async def test_admission_order_allowlist_then_secret_then_rate(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    tmp_path: Path,
    http_session: aiohttp.ClientSession,
    from_127_0_0_2: aiohttp.ClientSession,
) -> None:
    front = await frontend_with(
        fake_harness,
        tls_files,
        server={"secret_file": secret_file(tmp_path), "allow_networks": ["127.0.0.1/32"]},
        limits={"rate_per_s": 0.01, "burst": 1},
    )
    try:
        url = f"{front.base}/v1"
        good = {"Authorization": f"Bearer {SECRET}"}
        # A stranger with the right secret is still refused by address (at accept, before TLS).
        with pytest.raises(aiohttp.ClientError):
            await get(from_127_0_0_2, url, good)
        assert (await get(http_session, url, good))[0] == 200
        assert (await get(http_session, url, good))[0] == 429
        # Without the secret: 401, not 429 (the secret is checked before the rate limit).
        assert (await get(http_session, url))[0] == 401
    finally:
        await front.stop()


def test_token_bucket_refills_and_stays_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=2, max_clients=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert buckets.take("a") == 0.0
    for client in ("b", "c", "d", "e"):
        buckets.take(client)
    assert len(buckets._buckets) <= 3
