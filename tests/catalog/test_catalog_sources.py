"""The three catalog sources behind one interface: demo, file, spacetrack."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest

from fake_spacetrack import Rig, gp_catalog
from satveto.catalog.omm import validate_catalog
from satveto.catalog.sources import (
    DemoSource,
    FileSource,
    SourceError,
    SpacetrackSource,
    build_source,
)
from satveto.runtime.config import CatalogConfig, Config, ConfigError, SpacetrackConfig
from satveto.spacetrack.credentials import CredentialsError

NOW = 1795240000.0  # 2026-11-21


async def test_demo_source_builds_fresh_epochs_for_each_fetch() -> None:
    clock = [NOW]
    source = DemoSource(count=300, clock=lambda: clock[0])
    first = await source.fetch()
    clock[0] = NOW + 3 * 86400.0
    second = await source.fetch()
    assert (first.fetched_at_unix, second.fetched_at_unix) == (NOW, NOW + 3 * 86400.0)
    for raw in (first, second):
        at = dt.datetime.fromtimestamp(raw.fetched_at_unix, dt.UTC)
        checked = validate_catalog(raw.records, now=at, max_epoch_age_days=1.0)
        assert checked.accepted == 300  # every epoch within the day before its fetch


async def test_demo_refreshes_install_a_new_generation_each_time(engine_socket: Path) -> None:
    clock = [time.time() - 7200.0]
    rig = Rig(engine_socket, DemoSource(count=300, clock=lambda: clock[0]))
    try:
        assert await rig.refresher.refresh_once() == "ok"
        first = await rig.ping_catalog()
        clock[0] = time.time()
        assert await rig.refresher.refresh_once() == "ok"
        second = await rig.ping_catalog()
        assert first is not None
        assert second is not None
        assert second["generation"] != first["generation"]
        assert second["generation"].startswith("demo-")
        assert second["fetched_at_unix"] - first["fetched_at_unix"] == pytest.approx(7200, abs=5)
        assert second["oldest_epoch_mjd"] > first["oldest_epoch_mjd"]
    finally:
        await rig.close()


def write_json(path: Path, document: object, mtime: float | None = None) -> Path:
    path.write_text(json.dumps(document))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


async def test_file_source_reads_a_space_track_list_and_uses_its_mtime(tmp_path: Path) -> None:
    records = gp_catalog(dt.datetime.now(dt.UTC), 50)
    path = write_json(tmp_path / "gp.json", records, mtime=NOW)
    raw = await FileSource(path).fetch()
    assert raw.records == records
    assert raw.fetched_at_unix == NOW
    # A modification time in the future does not make the catalog younger than now.
    write_json(path, records, mtime=time.time() + 86400.0)
    assert (await FileSource(path).fetch()).fetched_at_unix <= time.time()


async def test_file_source_is_re_read_on_each_refresh(engine_socket: Path, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    path = write_json(tmp_path / "gp.json", gp_catalog(now, 100))
    rig = Rig(engine_socket, FileSource(path))
    try:
        assert await rig.refresher.refresh_once() == "ok"
        write_json(path, gp_catalog(now, 120))
        assert await rig.refresher.refresh_once() == "ok"
        held = await rig.ping_catalog()
        assert held is not None
        assert held["objects"] == 120
        assert held["generation"].startswith("file-")
    finally:
        await rig.close()


@pytest.mark.parametrize(
    ("content", "outcome"),
    [
        (None, "file_unreadable"),
        ("not json", "bad_response"),
        ('{"NORAD_CAT_ID": "1"}', "bad_response"),
        ("[" * 100000 + "]" * 100000, "bad_response"),
        ("[]" + " " * 5000, "too_large"),
    ],
    ids=["missing", "not-json", "not-a-list", "deep-nesting", "too-large"],
)
async def test_file_source_failures(tmp_path: Path, content: str | None, outcome: str) -> None:
    path = tmp_path / "gp.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SourceError) as failed:
        await FileSource(path, max_bytes=4096 if outcome == "too_large" else 10**7).fetch()
    assert failed.value.outcome == outcome


async def test_a_directory_is_not_a_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failed:
        await FileSource(tmp_path).fetch()
    assert failed.value.outcome == "file_unreadable"


def test_build_source_follows_catalog_source(tmp_path: Path) -> None:
    assert isinstance(build_source(Config(catalog=CatalogConfig(source="demo"))), DemoSource)
    file_config = Config(catalog=CatalogConfig(source="file", file=tmp_path / "gp.json"))
    assert isinstance(build_source(file_config), FileSource)
    with pytest.raises(ConfigError, match=r"catalog\.file"):
        build_source(Config(catalog=CatalogConfig(source="file")))
    with pytest.raises(CredentialsError, match="required"):
        build_source(Config(catalog=CatalogConfig(source="spacetrack")))
    credentials = tmp_path / "st.toml"
    credentials.write_text('identity = "a@example.org"\npassword = "b"\n')
    credentials.chmod(0o600)
    spacetrack = Config(
        catalog=CatalogConfig(source="spacetrack"),
        spacetrack=SpacetrackConfig(credentials_file=credentials),
    )
    source = build_source(spacetrack)
    assert isinstance(source, SpacetrackSource)
    assert source.name == "spacetrack"
