"""A restarted engine is reloaded from the frontend's memory, without asking space-track again.

The reload itself (CatalogService); the supervisor noticing the restart and calling it is in
test_supervision.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import (
    FakeSpaceTrack,
    Rig,
    kill_and_restart,
    running_fake,
    source_for,
    write_ca_file,
)
from satveto.engine.process import EngineProcess

COUNT = 200


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=COUNT) as server:
        yield server


@pytest.fixture
async def rig(
    engine_process: EngineProcess, fake: FakeSpaceTrack, tls_ca: trustme.CA, tmp_path: Path
) -> AsyncIterator[Rig]:
    rig = Rig(engine_process.socket_path, source_for(fake, write_ca_file(tls_ca, tmp_path)))
    yield rig
    await rig.close()


async def test_reload_engine_if_needed_restores_the_catalog_without_a_fetch(
    rig: Rig, engine_process: EngineProcess, fake: FakeSpaceTrack
) -> None:
    assert await rig.refresher.refresh_once() == "ok"
    before = await rig.held_catalog()
    assert before is not None
    await kill_and_restart(engine_process)
    assert await rig.held_catalog() is None

    assert await rig.catalog.reload_engine_if_needed(None) is True

    after = await rig.held_catalog()
    assert after is not None
    assert after["objects"] == COUNT
    assert after["generation"] == before["generation"]
    assert after["fetched_at_unix"] == before["fetched_at_unix"]  # age is not reset
    assert fake.queries == 1
    assert fake.logins == 1
