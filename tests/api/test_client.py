"""satveto.apclient against two real frontends over TLS: failover, and never an unverified list."""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from fake_engine import (
    FakeEngine,
    FakeHarness,
    Frontend,
    api_config,
    sample_sources,
    sample_visit,
    start_frontend,
)
from satveto.apclient import (
    SatvetoClient,
    SatvetoError,
    SatvetoRequestError,
    SatvetoUnavailable,
)
from satveto.web.tls import server_ssl_context

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures


class Replica:
    def __init__(self, harness: FakeHarness, front: Frontend) -> None:
        self.harness = harness
        self.front = front

    @property
    def fake(self) -> FakeEngine:
        return self.harness.fake


@pytest.fixture
async def pair(tls_files: tuple[Path, Path]) -> AsyncIterator[list[Replica]]:
    """Two frontends, each on its own fake engine, both with a fresh catalog."""
    replicas = []
    directories = []
    for _ in range(2):
        directory = Path(tempfile.mkdtemp(prefix="sv"))
        directories.append(directory)
        harness = FakeHarness(directory / "engine.sock")
        await harness.start()
        front = await start_frontend(api_config(tls_files, harness.socket_path))
        await front.install_catalog(harness)
        replicas.append(Replica(harness, front))
    yield replicas
    for replica in replicas:
        await replica.front.stop()
        await replica.harness.close()
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


def expected_allowed(replica: Replica, sources: list[dict[str, Any]]) -> list[int]:
    """The fake engine's answer, by its rule (fake_engine.fake_veto_allows)."""
    ids = [s["diasource_id"] for s in sources]
    return replica.harness.expected_allowed(ids, [s["bbox"] for s in sources])


def client_for(bases: list[str], client_tls: ssl.SSLContext, **options: object) -> SatvetoClient:
    return SatvetoClient(bases, ssl_context=client_tls, timeout_s=5.0, **options)  # type: ignore[arg-type]


async def test_visit_goes_to_both_and_sources_to_one(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    sources = sample_sources(100)
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        assert all(visit["visit_id"] in r.fake.visits for r in pair)
        allowed = await client.filter_diasources(visit["visit_id"], 94, sources)
    ids = [s["diasource_id"] for s in sources]
    assert allowed == pair[0].harness.expected_allowed(ids, [s["bbox"] for s in sources])
    assert pair[0].fake.count("filter_sources") == 1
    assert pair[1].fake.count("filter_sources") == 0


async def test_failover_when_a_frontend_dies_mid_visit(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        sources = sample_sources(10)
        expected = expected_allowed(pair[0], sources)
        assert 0 < len(expected) < len(sources)
        assert await client.filter_diasources(visit["visit_id"], 1, sources) == expected
        # B's engine restarts (B's frontend restores it) and A dies: B answers every request.
        await pair[1].harness.restart()
        await pair[0].front.stop()
        for detector in range(5):
            allowed = await client.filter_diasources(visit["visit_id"], detector, sources)
            assert allowed == expected
        assert pair[1].fake.count("filter_sources") >= 5  # plus the retry after the restart


async def test_failover_embeds_the_visit_for_a_replica_that_missed_it(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    pair[1].fake.errors["register_visit"] = ("internal", "boom")  # B fails the visit request
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        pair[1].fake.clear_faults()
        await pair[0].front.stop()
        sources = sample_sources(10)
        for detector in range(5):
            allowed = await client.filter_diasources(visit["visit_id"], detector, sources)
            assert allowed == expected_allowed(pair[1], sources)
    method, params = pair[1].fake.calls[-1]
    assert method == "filter_sources"
    assert params["visit"] == visit


async def test_failover_when_an_engine_hangs(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        await pair[0].harness.hang()
        allowed = await client.filter_diasources(visit["visit_id"], 94, sample_sources(30))
    assert allowed == pair[1].harness.expected_allowed(
        [s["diasource_id"] for s in sample_sources(30)], [s["bbox"] for s in sample_sources(30)]
    )


async def test_both_replicas_down_raises(pair: list[Replica], client_tls: ssl.SSLContext) -> None:
    visit = sample_visit()
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        for replica in pair:
            await replica.harness.kill()
        with pytest.raises(SatvetoUnavailable) as error:
            await client.filter_diasources(visit["visit_id"], 94, sample_sources(5))
        assert len(error.value.failures) == 2
        assert all("503 engine_unavailable" in failure for failure in error.value.failures)
        with pytest.raises(SatvetoUnavailable):
            await client.register_visit(sample_visit(visit_id=9, ago_s=120.0))


async def test_visit_registration_survives_one_replica_down(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    await pair[1].front.stop()
    visit = sample_visit()
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        assert visit["visit_id"] in pair[0].fake.visits


async def test_refusals_are_raised_without_failover(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    async with client_for([r.front.base for r in pair], client_tls) as client:
        await client.register_visit(visit)
        bad = sample_sources(3)
        bad[1]["bbox"] = [5, 5, 1, 1]
        with pytest.raises(SatvetoRequestError) as error:
            await client.filter_diasources(visit["visit_id"], 94, bad)
        assert (error.value.status, error.value.code) == (400, "invalid_request")
        assert pair[1].fake.count("filter_sources") == 0
        with pytest.raises(SatvetoRequestError) as error:
            await client.register_visit({**visit, "boresight_ra": 3.0})
        assert error.value.status == 409


async def test_unknown_visit_everywhere_is_404(
    pair: list[Replica], client_tls: ssl.SSLContext
) -> None:
    async with client_for([r.front.base for r in pair], client_tls) as client:
        with pytest.raises(SatvetoRequestError) as error:
            await client.filter_diasources(5, 94, sample_sources(3))
    assert (error.value.status, error.value.code) == (404, "unknown_visit")


@pytest.fixture(params=["stranger", "other_detector", "other_visit"])
async def lying_replica(
    tls_files: tuple[Path, Path], request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """An HTTPS server that answers 200 with a list no one may trust: one holding an id never
    sent, or a well-formed one (empty: a subset of anything) for another detector or visit."""
    lie_kind = request.param

    async def lie(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "visit_id": body["visit_id"] + (lie_kind == "other_visit"),
                "detector_id": body["detector_id"] + (lie_kind == "other_detector"),
                "id_allow_list": [-7] if lie_kind == "stranger" else [],
            }
        )

    app = web.Application()
    app.router.add_post("/v1/diasources", lie)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(*tls_files))
    await site.start()
    yield f"https://localhost:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_a_malformed_answer_is_never_returned(
    pair: list[Replica], lying_replica: str, client_tls: ssl.SSLContext
) -> None:
    visit = sample_visit()
    async with client_for([lying_replica], client_tls) as client:
        with pytest.raises(SatvetoError):
            await client.filter_diasources(visit["visit_id"], 94, sample_sources(3), visit=visit)
    async with client_for([lying_replica, pair[0].front.base], client_tls) as client:
        allowed = await client.filter_diasources(
            visit["visit_id"], 94, sample_sources(3), visit=visit
        )
    assert allowed == expected_allowed(pair[0], sample_sources(3))


async def test_secret_is_sent(
    tls_files: tuple[Path, Path], tmp_path: Path, client_tls: ssl.SSLContext
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-long-enough-shared-secret\n")
    os.chmod(secret, 0o600)
    harness = FakeHarness(tmp_path / "e.sock")
    await harness.start()
    front = await start_frontend(
        api_config(tls_files, harness.socket_path, server={"secret_file": secret})
    )
    try:
        await front.install_catalog(harness)
        async with client_for([front.base], client_tls, secret_file=secret) as client:
            await client.register_visit(sample_visit())
        async with client_for([front.base], client_tls, secret="wrong") as client:
            with pytest.raises(SatvetoRequestError) as error:
                await client.register_visit(sample_visit())
            assert error.value.status == 401
    finally:
        await front.stop()
        await harness.close()
