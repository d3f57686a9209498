"""Fixtures of the HTTP API tests (a pytest plugin: ``pytest_plugins = ["test_api_fixtures"]``).

They live in a plugin rather than in conftest.py so that the API test modules can share them
without importing fixture names (which linters read as redefinitions).  The module holds no
tests; the engines and frontends themselves are in fake_engine.py.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fake_engine import (
    EngineHarness,
    FakeHarness,
    Frontend,
    api_config,
    engines_under_test,
    start_frontend,
    start_harness,
)


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A short directory for Unix sockets (their paths are limited to 107 bytes)."""
    directory = Path(tempfile.mkdtemp(prefix="sv"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=engines_under_test())
async def engine(request: pytest.FixtureRequest, socket_dir: Path) -> AsyncIterator[EngineHarness]:
    """The engine under test, fake or real (see ``engines_under_test``)."""
    harness = await start_harness(request.param, socket_dir / "engine.sock")
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
async def fake_harness(socket_dir: Path) -> AsyncIterator[FakeHarness]:
    """The fake engine, for the tests that inject faults only a fake can produce."""
    harness = FakeHarness(socket_dir / "engine.sock")
    await harness.start()
    yield harness
    await harness.close()


@pytest.fixture
async def frontend(engine: EngineHarness, tls_files: tuple[Path, Path]) -> AsyncIterator[Frontend]:
    """A frontend over TLS on the engine under test, with a fresh catalog installed."""
    front = await start_frontend(api_config(tls_files, engine.socket_path))
    await front.install_catalog(engine)
    yield front
    await front.stop()


@pytest.fixture
async def fake_frontend(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path]
) -> AsyncIterator[Frontend]:
    """A frontend over TLS on the fake engine, with a fresh catalog installed."""
    front = await start_frontend(api_config(tls_files, fake_harness.socket_path))
    await front.install_catalog(fake_harness)
    yield front
    await front.stop()
