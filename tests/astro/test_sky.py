"""satveto.astro.sky (the plausibility checks' sidereal time, Sun and altitude) against astropy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from satveto.astro import sky

astropy_units = pytest.importorskip("astropy.units")
from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_sun  # noqa: E402
from astropy.time import Time  # noqa: E402
from astropy.utils import iers  # noqa: E402

RUBIN = (-30.244639, -70.749417, 2663.0)
SITES = [RUBIN, (19.8207, -155.4681, 4205.0), (52.0, 5.0, 0.0), (-70.0, 120.0, 100.0)]


@pytest.fixture(autouse=True)
def offline_iers() -> None:
    """No download: astropy's bundled tables, extrapolated (UT1 - UTC under 1 s either way)."""
    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "warn"
    warnings.filterwarnings("ignore", module="astropy")
    warnings.filterwarnings("ignore", message=".*(dubious year|IERS|leap).*")


def instants(count: int, seed: int) -> np.ndarray:
    """POSIX times spread over 2020-2035 (every hour of the day and season)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(1.58e9, 2.05e9, count)


def altaz(unix: np.ndarray, site: tuple[float, float, float]) -> AltAz:
    location = EarthLocation.from_geodetic(
        site[1] * astropy_units.deg, site[0] * astropy_units.deg, site[2] * astropy_units.m
    )
    return AltAz(obstime=Time(unix, format="unix"), location=location, pressure=0)


def test_tai_utc_round_trip_and_offset() -> None:
    assert sky.mjd_to_unix(sky.unix_to_mjd(1.8e9, "tai"), "tai") == pytest.approx(1.8e9, abs=1e-4)
    # The same instant reads 37 s later on the TAI clock.
    gap_s = (sky.unix_to_mjd(1.8e9, "tai") - sky.unix_to_mjd(1.8e9, "utc")) * 86400.0
    assert gap_s == pytest.approx(37.0, abs=1e-4)
    assert Time(1.8e9, format="unix").tai.mjd == pytest.approx(sky.unix_to_mjd(1.8e9), abs=1e-9)
    with pytest.raises(ValueError, match="time scale"):
        sky.mjd_to_unix(60000.0, "tt")


def test_gmst_matches_astropy() -> None:
    unix = instants(400, 1)
    ours = sky.gmst_rad(unix)
    theirs = Time(unix, format="unix").sidereal_time("mean", "greenwich").rad
    difference = np.abs((ours - theirs + np.pi) % (2 * np.pi) - np.pi)
    # UT1 taken as UTC: up to 0.9 s of rotation (0.004 deg), nothing else.
    assert np.degrees(difference).max() < 0.005


@pytest.mark.parametrize("site", SITES)
def test_boresight_altitude_matches_astropy(site: tuple[float, float, float]) -> None:
    unix = instants(300, 2)
    rng = np.random.default_rng(3)
    ra = rng.uniform(0.0, 360.0, unix.size)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, unix.size)))
    theirs = SkyCoord(ra * astropy_units.deg, dec * astropy_units.deg).transform_to(
        altaz(unix, site)
    )
    ours = np.array(
        [
            sky.boresight_altitude_deg(r, d, t, site[0], site[1])
            for r, d, t in zip(ra, dec, unix, strict=True)
        ]
    )
    # Nutation, aberration and UT1 left out: well under the 0.05 deg asked of the checks.
    assert np.abs(ours - theirs.alt.deg).max() < 0.02


@pytest.mark.parametrize("site", SITES)
def test_sun_altitude_matches_astropy(site: tuple[float, float, float]) -> None:
    unix = instants(300, 4)
    theirs = get_sun(Time(unix, format="unix")).transform_to(altaz(unix, site)).alt.deg
    ours = np.array([sky.sun_altitude_deg(t, site[0], site[1]) for t in unix])
    assert np.abs(ours - theirs).max() < 0.02


def test_longitude_of_midnight_puts_the_sun_lowest() -> None:
    for unix in instants(50, 5):
        longitude = sky.longitude_of_midnight_deg(unix)
        assert -180.0 <= longitude < 180.0
        lowest = sky.sun_altitude_deg(unix, 0.0, longitude)
        _, sun_dec = sky.sun_radec_rad(unix)
        # At lower culmination on the equator the Sun is at -(90 - |dec|).
        assert lowest == pytest.approx(-(90.0 - abs(math.degrees(float(sun_dec)))), abs=0.02)
        for offset in (-30.0, 30.0):
            assert sky.sun_altitude_deg(unix, 0.0, longitude + offset) > lowest
