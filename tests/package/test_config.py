"""Configuration: defaults for every key, and every bad key or value refused by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from satveto.runtime.config import Config, ConfigError, config_from_mapping, load_config


def test_empty_file_gives_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("")
    config = load_config(path)
    assert config == Config()
    assert config.server.allow_networks == ["127.0.0.0/8", "::1/128"]
    assert config.catalog.max_age_s == 172800
    assert config.limits.max_sources == 100_000
    # One telescope's rules (docs/design.md "Security model"): strict by default.
    limits = config.limits
    assert (limits.min_exposure_s, limits.max_exposure_s) == (15, 40)
    assert (limits.past_window_s, limits.future_window_s) == (3600, 300)
    assert (limits.min_altitude_deg, limits.max_sun_altitude_deg) == (15, -6)
    assert limits.enforce_one_camera
    assert limits.enforce_visible_sky
    assert limits.max_revealed_per_hour == 300  # the disclosure budget
    assert (config.site.latitude_deg, config.site.longitude_deg, config.site.height_m) == (
        -30.244639,
        -70.749417,
        2663.0,
    )


def test_values_are_read_and_typed(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[server]\nport = 443\nallow_networks = ["10.1.0.0/16", "2001:db8::/32"]\n'
        "[engine]\ntimeout_s = 2\n[matching]\nmin_arcsec = 15\n"
        '[catalog]\nsource = "file"\nfile = "/etc/satveto/omm.json"\n'
    )
    config = load_config(path)
    assert config.server.port == 443
    assert config.engine.timeout_s == 2.0
    assert isinstance(config.engine.timeout_s, float)
    assert config.matching.min_arcsec == 15.0
    assert config.catalog.file == Path("/etc/satveto/omm.json")


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"server": {"prot": 443}}, "server.prot: unknown key"),
        ({"sever": {}}, "sever: unknown section"),
        ({"server": 5}, "server: expected a table"),
        ({"server": {"port": "443"}}, "server.port: expected an integer"),
        ({"server": {"port": 70000}}, "server.port: must be between"),
        ({"server": {"port": True}}, "server.port: expected an integer"),
        ({"server": {"allow_networks": ["10.0.0.0/33"]}}, "server.allow_networks:"),
        ({"server": {"allow_networks": "127.0.0.1/32"}}, "server.allow_networks: expected a list"),
        ({"server": {"tls_cert": "/x.pem"}}, "server.tls_cert: tls_cert and tls_key"),
        ({"engine": {"timeout_s": 0}}, "engine.timeout_s: must be between"),
        ({"engine": {"timeout_s": float("nan")}}, "engine.timeout_s: expected a finite number"),
        ({"catalog": {"source": "ftp"}}, "catalog.source: expected one of"),
        ({"catalog": {"source": "file"}}, "catalog.file: required"),
        (
            {"spacetrack": {"base_url": "http://example.org"}},
            "spacetrack.base_url: must be an https",
        ),
        ({"site": {"latitude_deg": 91}}, "site.latitude_deg: must be between"),
        ({"matching": {"min_arcsec": -1}}, "matching.min_arcsec: must be between"),
        (
            {"matching": {"require_sunlit": "yes"}},
            "matching.require_sunlit: expected true or false",
        ),
        ({"limits": {"max_sources": 0}}, "limits.max_sources: must be between"),
        ({"limits": {"max_revealed_per_hour": 0}}, "limits.max_revealed_per_hour: must be"),
        (
            {"limits": {"max_revealed_per_hour": 1_000_001}},
            "limits.max_revealed_per_hour: must be between 1 and 1e+06",
        ),
        (
            {"limits": {"max_revealed_per_hour": 300.5}},
            "limits.max_revealed_per_hour: expected an integer",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_key(document: dict, named: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_mapping(document)
    assert str(error.value).startswith(named)


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[server\nport = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_serve_refuses_a_bad_key_at_start(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[limits]\nmax_source = 5\n")
    result = subprocess.run(
        [sys.executable, "-m", "satveto.tools.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "limits.max_source: unknown key" in result.stderr


def test_serve_requires_tls(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "satveto.tools.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "server.tls_cert" in result.stderr


def test_matching_defaults_equal_the_engine_defaults() -> None:
    """The frontend sends its tolerance to the engine, but an unconfigured engine must agree."""
    import re

    header = Path(__file__).resolve().parents[2] / "engine/src/matching/tolerance.hpp"
    engine = {
        name: float(value)
        for name, value in re.findall(r"double (\w+) = ([0-9.]+);", header.read_text())
    }
    frontend = Config().matching
    for name in ("min_arcsec", "a_km", "b_km_per_day", "c_km", "d_km_per_day", "margin_arcsec"):
        assert engine[name] == getattr(frontend, name), name


@pytest.mark.parametrize("switch", ["enforce_one_camera", "enforce_visible_sky"])
def test_test_only_switches_are_refused_with_the_production_source(
    tmp_path: Path, switch: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[catalog]\nsource = "spacetrack"\n[limits]\n{switch} = false\n')
    with pytest.raises(ConfigError, match=rf"limits\.{switch}: test-only switch"):
        load_config(path)
    path.write_text(f"[limits]\n{switch} = false\n")  # spacetrack is the default source
    with pytest.raises(ConfigError, match=rf"limits\.{switch}"):
        load_config(path)
    path.write_text(f'[catalog]\nsource = "demo"\n[limits]\n{switch} = false\n')
    assert getattr(load_config(path).limits, switch) is False


def test_the_budget_default_equals_the_engine_default() -> None:
    """An engine not yet configured is as strict as the frontend's default budget."""
    import re

    header = Path(__file__).resolve().parents[2] / "engine/src/state/disclosure_budget.hpp"
    found = re.search(r"default_max_revealed_per_hour = (\d+);", header.read_text())
    assert found is not None
    assert int(found.group(1)) == Config().limits.max_revealed_per_hour


def test_the_budget_may_be_raised_with_the_production_source(tmp_path: Path) -> None:
    """Not a test-only switch: an operator raises it for a planned reprocessing campaign."""
    path = tmp_path / "c.toml"
    path.write_text('[catalog]\nsource = "spacetrack"\n[limits]\nmax_revealed_per_hour = 5000\n')
    assert load_config(path).limits.max_revealed_per_hour == 5000


def test_min_exposure_above_max_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[limits]\nmin_exposure_s = 50\nmax_exposure_s = 40\n")
    with pytest.raises(ConfigError, match=r"limits\.min_exposure_s"):
        load_config(path)
