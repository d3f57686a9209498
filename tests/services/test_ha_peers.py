"""One URL for the HA pair: two frontends, each on its own engine, behind a round-robin TCP proxy.

AP's client has one base URL, opens a new connection per request and retries a 404 only once,
after re-sending the visit.  Behind a balancer its requests alternate between the replicas, so
each replica must know every visit the other accepted.  Here the proxy alternates strictly,
which is the worst case for the client's retry: after a 404 from one replica, the re-sent visit
reaches the other and the retry the first again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import trustme
from aiohttp import web
from prometheus_client import generate_latest

from ap_client import ApClient, ApVisitInfo
from fake_engine import (
    MJD_UNIX_EPOCH,
    EngineHarness,
    FakeHarness,
    api_config,
    engines_under_test,
    fake_veto_allows_corners,
    night_zenith,
    start_harness,
)
from satveto.runtime.config import Config
from satveto.web.app import create_app
from satveto.web.app_keys import CATALOG, METRICS, PEERS, VISITS
from satveto.web.tls import server_ssl_context

pytest_plugins = ["test_api_fixtures"]


class RoundRobinProxy:
    """A TCP proxy on loopback handing each new connection to the next backend in turn."""

    def __init__(self, backends: list[int]) -> None:
        self._backends = itertools.cycle(backends)
        self._server: asyncio.Server | None = None
        self.port = 0
        self.routed: list[int] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        backend = next(self._backends)
        self.routed.append(backend)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", backend)
        except OSError:
            writer.close()  # a replica that is down: the client sees a reset, as behind DNS
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class Replica:
    port: int
    config: Config
    harness: EngineHarness
    runner: web.AppRunner | None = None

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app  # type: ignore[return-value]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture(params=engines_under_test())
async def pair(
    request: pytest.FixtureRequest,
    tls_ca: trustme.CA,
    tls_files: tuple[Path, Path],
    socket_dir: Path,
    tmp_path: Path,
) -> AsyncIterator[tuple[list[Replica], RoundRobinProxy]]:
    ca_file = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca_file))
    ports = [free_port(), free_port()]
    replicas = []
    for index, port in enumerate(ports):
        harness = await start_harness(request.param, socket_dir / f"engine{index}.sock")
        other = ports[1 - index]
        config = api_config(
            tls_files,
            harness.socket_path,
            server={"peers": [f"https://localhost:{other}"], "peer_ca_file": ca_file},
        )
        replicas.append(Replica(port, config, harness))
    for replica in replicas:
        await _start(replica)
    proxy = RoundRobinProxy(ports)
    await proxy.start()
    yield replicas, proxy
    await proxy.stop()
    for replica in replicas:
        await replica.stop()
        await replica.harness.close()


async def _start(replica: Replica) -> None:
    app = create_app(replica.config)
    replica.runner = web.AppRunner(app, access_log=None)
    await replica.runner.setup()
    context = server_ssl_context(replica.config.server.tls_cert, replica.config.server.tls_key)
    await web.TCPSite(replica.runner, "127.0.0.1", replica.port, ssl_context=context).start()
    await app[CATALOG].install(replica.harness.catalog_records(), time.time(), source="test")


async def restart(replica: Replica) -> None:
    """The replica's frontend and engine both restart: it forgets every visit."""
    await replica.stop()
    await replica.harness.restart()
    await _start(replica)


def corner_sources(detector: int, count: int = 12) -> list[tuple[int, list[list[float]]]]:
    sources = []
    for i in range(count):
        ra = 150.0 + detector * 0.01 + i * 2.7e-4
        dec = -30.25 + i * 1e-3
        side = 3e-4
        corners = [[ra, dec], [ra + side, dec], [ra + side, dec + side], [ra, dec + side]]
        sources.append((detector * 1000 + i, corners))
    return sources


async def wait_until_known(replica: Replica, visit_id: int, within_s: float) -> float:
    started = time.monotonic()
    while replica.app[VISITS].get(visit_id) is None:
        assert time.monotonic() - started < within_s, "the peer did not learn the visit in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_ap_night_behind_one_name_with_a_replica_restarted(
    pair: tuple[list[Replica], RoundRobinProxy], client_tls: ssl.SSLContext
) -> None:
    replicas, proxy = pair
    client = ApClient(f"https://localhost:{proxy.port}", client_tls)
    mid = MJD_UNIX_EPOCH + (time.time() - 40.0) / 86400.0
    ra, dec = night_zenith(time.time() - 40.0)  # overhead: the service refuses low visits
    visits = [ApVisitInfo(8100 + n, mid + n * 40.0 / 86400.0, 30.0, ra, dec) for n in range(2)]

    # Visit 1: registered on one replica, known to the other within a second.
    await client.populate_visit_cache(visits[0])
    first = replicas.index(next(r for r in replicas if r.port == proxy.routed[-1]))
    await wait_until_known(replicas[1 - first], visits[0].visit_id, within_s=1.0)

    answers: dict[int, list[int]] = {}
    for detector in range(16):
        if detector == 6:
            await restart(replicas[1])  # mid-night: the restarted replica knows no visit
        answers[detector] = await client.allow_list(visits[0], detector, corner_sources(detector))

    # Visit 2, after the restart: forwarded to (and from) the restarted replica too.
    await client.populate_visit_cache(visits[1])
    for detector in range(4):
        answers[100 + detector] = await client.allow_list(
            visits[1], detector, corner_sources(detector)
        )

    statuses = [status for _, _, status in client.log.calls]
    assert all(status == 200 or status == 404 for status in statuses), client.log.calls
    assert statuses.count(404) <= 1  # at most the first request to the restarted replica
    for key, allowed in answers.items():
        sources = corner_sources(key % 100)
        ids = [source_id for source_id, _ in sources]
        assert allowed == [i for i in ids if i in set(allowed)]
        if isinstance(replicas[0].harness, FakeHarness):
            assert allowed == [i for i, c in sources if fake_veto_allows_corners(c)]
    forwards = [
        line
        for replica in replicas
        for line in generate_latest(replica.app[METRICS].registry).decode().splitlines()
        if line.startswith("satveto_peer_forwards_total")
    ]
    assert any('outcome="ok"' in line for line in forwards), forwards


async def test_forwarding_is_marked_authenticated_and_awaited_only_for_repeats(
    tls_ca: trustme.CA,
    tls_files: tuple[Path, Path],
    fake_harness: FakeHarness,
    tmp_path: Path,
    client_tls: ssl.SSLContext,
) -> None:
    """A repeat registration (what AP sends after a 404 elsewhere) is answered only once the
    peer has answered the forward; a first registration is answered without waiting."""
    received: list[tuple[dict[str, str], bytes]] = []
    answered = asyncio.Event()

    async def peer_visits(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        await asyncio.sleep(0.3)
        answered.set()
        return web.json_response({"status": "ok"})

    peer_app = web.Application()
    peer_app.router.add_post("/v1/visits", peer_visits)
    peer_runner = web.AppRunner(peer_app, access_log=None)
    await peer_runner.setup()
    await web.TCPSite(
        peer_runner, "127.0.0.1", 0, ssl_context=server_ssl_context(*tls_files)
    ).start()
    peer_port = peer_runner.addresses[0][1]
    ca_file = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca_file))
    secret = tmp_path / "secret"
    secret.write_text("a-shared-secret-of-some-length\n")
    secret.chmod(0o600)
    config = api_config(
        tls_files,
        fake_harness.socket_path,
        server={
            "peers": [f"https://localhost:{peer_port}"],
            "peer_ca_file": ca_file,
            "secret_file": secret,
        },
    )
    replica = Replica(free_port(), config, fake_harness)
    await _start(replica)
    try:
        mid = MJD_UNIX_EPOCH + (time.time() - 40.0) / 86400.0
        # Overhead of the test's night site (the service refuses low and daytime visits).
        ra, dec = night_zenith(time.time() - 40.0)
        visit = ApVisitInfo(8200, mid, 30.0, ra, dec)
        half = 15.0 / 86400.0
        body = {
            "visit_id": 8200,
            "exposure_start_mjd": mid - half,
            "exposure_end_mjd": mid + half,
            "boresight_ra": ra,
            "boresight_dec": dec,
            "historical": False,
        }
        headers = {"Authorization": "Bearer a-shared-secret-of-some-length"}
        connector = aiohttp.TCPConnector(ssl=client_tls)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            url = f"https://localhost:{replica.port}/visit_cache"
            async with session.put(url, json=body) as response:
                assert response.status == 200
            assert not answered.is_set()  # the first registration did not wait for the peer
            await answered.wait()
            answered.clear()
            async with session.put(url, json=body) as response:
                assert response.status == 200
            assert answered.is_set()  # the repeat did
        assert visit.visit_id == 8200
        assert len(received) == 2
        for sent_headers, sent in received:
            assert sent_headers["Satveto-Forwarded"] == "1"
            assert sent_headers["Authorization"] == "Bearer a-shared-secret-of-some-length"
            assert json.loads(sent) == {
                **{k: v for k, v in body.items() if k != "historical"},
                "time_scale": "tai",
                "historical": False,
            }
    finally:
        await replica.stop()
        await peer_runner.cleanup()


async def test_a_forwarded_visit_is_not_forwarded_again(
    pair: tuple[list[Replica], RoundRobinProxy], client_tls: ssl.SSLContext
) -> None:
    replicas, _ = pair
    mid = MJD_UNIX_EPOCH + (time.time() - 40.0) / 86400.0
    client = ApClient(f"https://localhost:{replicas[0].port}", client_tls)
    ra, dec = night_zenith(time.time() - 40.0)  # overhead: the service refuses low visits
    await client.populate_visit_cache(ApVisitInfo(8300, mid, 30.0, ra, dec))
    await wait_until_known(replicas[1], 8300, within_s=1.0)

    def forwarded(replica: Replica) -> float:
        total = 0.0
        for line in generate_latest(replica.app[METRICS].registry).decode().splitlines():
            if line.startswith("satveto_peer_forwards_total"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    # Replica 0 counts its forward once replica 1 has answered it, and replica 1 decides
    # whether to forward before it answers: by then a forward of its own would be in flight.
    deadline = time.monotonic() + 5.0
    while forwarded(replicas[0]) == 0.0:
        assert time.monotonic() < deadline, "the forward was never answered"
        await asyncio.sleep(0.01)
    assert (forwarded(replicas[0]), forwarded(replicas[1])) == (1.0, 0.0)
    assert not replicas[1].app[PEERS]._pending  # nothing sent, nor being sent
