"""The frontend configures every engine instance from its own configuration (one source of
truth for the tolerance model and the site), before anything else, and again after a restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fake_engine import FakeHarness, api_config, start_frontend
from satveto.astro.earth_orientation import load_earth_orientation
from satveto.web.app import engine_settings

pytest_plugins = ["test_api_fixtures"]


async def wait_until(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_engine_is_configured_at_start_and_after_restart(
    fake_harness: FakeHarness, tls_files: tuple[Path, Path]
) -> None:
    config = api_config(
        tls_files,
        fake_harness.socket_path,
        matching={"min_arcsec": 12.5, "margin_arcsec": 3.0},
        site={"latitude_deg": -30.0, "longitude_deg": -70.5, "height_m": 2600.0},
    )
    expected = engine_settings(config, load_earth_orientation(time.time()))
    assert len(expected["earth_orientation"]["mjd"]) > 100  # the IERS table goes along
    assert expected["tolerance"]["min_arcsec"] == 12.5
    assert expected["site"] == {"latitude_deg": -30.0, "longitude_deg": -70.5, "height_m": 2600.0}
    front = await start_frontend(config)
    try:
        fake = fake_harness.fake
        await wait_until(lambda: getattr(fake, "configured", None) == expected)
        fake.configured = None
        await fake.restart()
        await wait_until(lambda: fake.configured == expected)
    finally:
        await front.stop()


def test_settings_carry_every_tolerance_key_the_engine_knows() -> None:
    settings = engine_settings(api_config((Path("c"), Path("k")), Path("s")))
    assert set(settings["tolerance"]) == {
        "min_arcsec",
        "a_km",
        "b_km_per_day",
        "c_km",
        "d_km_per_day",
        "margin_arcsec",
    }


def test_settings_carry_the_largest_sky_corner_footprint() -> None:
    config = api_config((Path("c"), Path("k")), Path("s"), limits={"max_footprint_deg": 0.2})
    assert engine_settings(config)["max_footprint_deg"] == 0.2


def test_settings_carry_the_disclosure_budget() -> None:
    default = api_config((Path("c"), Path("k")), Path("s"))
    assert engine_settings(default)["max_revealed_per_hour"] == 300
    config = api_config((Path("c"), Path("k")), Path("s"), limits={"max_revealed_per_hour": 4000})
    assert engine_settings(config)["max_revealed_per_hour"] == 4000
