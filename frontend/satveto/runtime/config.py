"""The frontend's configuration: one TOML file, every key with a documented default.

Loading is strict on purpose: an operator who mistypes a key (``[server] prot = 443``) must
hear about it at start-up, not discover at night that the default was used.  Every error
names the key as ``section.key``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8443
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_networks: list[str] = field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    secret_file: Path | None = None
    # What 100,000 sky-corner sources need as `requests` writes them (~21 MiB), with room.
    max_body_bytes: int = 24 * 1024 * 1024
    body_timeout_s: float = 10.0  # a body slower than this is refused (408): no slow-loris hold
    peers: list[str] = field(default_factory=list)  # the other replicas' base URLs (https://)
    peer_ca_file: Path | None = None  # CA bundle the peers' certificates are checked against

    def check(self) -> None:
        _require_range("server.port", self.port, 1, 65535)
        _require_range("server.max_body_bytes", self.max_body_bytes, 1024, 1 << 31)
        _require_range("server.body_timeout_s", self.body_timeout_s, 0.1, 600.0)
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ConfigError(
                    f"server.allow_networks: {cidr!r} is not a CIDR network"
                ) from None
        for peer in self.peers:
            if not peer.startswith("https://"):
                raise ConfigError(f"server.peers: {peer!r} is not an https:// base URL")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("server.tls_cert: tls_cert and tls_key must be given together")


@dataclass(frozen=True)
class EngineConfig:
    socket: Path = Path("/run/satveto/engine.sock")
    timeout_s: float = 5.0
    connections: int = 4

    def check(self) -> None:
        _require_range("engine.timeout_s", self.timeout_s, 0.05, 600.0)
        _require_range("engine.connections", self.connections, 1, 256)


@dataclass(frozen=True)
class CatalogConfig:
    source: str = "spacetrack"
    file: Path | None = None
    max_age_s: float = 172800.0
    refresh_interval_s: float = 3600.0
    min_fraction: float = 0.8
    # Historical catalogs (reprocessing) held in engine memory at once, least recently used
    # evicted first.
    max_history_catalogs: int = 4

    def check(self) -> None:
        if self.source not in ("spacetrack", "file", "demo"):
            raise ConfigError("catalog.source: expected one of 'spacetrack', 'file', 'demo'")
        if self.source == "file" and self.file is None:
            raise ConfigError("catalog.file: required when catalog.source is 'file'")
        _require_range("catalog.max_age_s", self.max_age_s, 60.0, 30 * 86400.0)
        _require_range("catalog.refresh_interval_s", self.refresh_interval_s, 60.0, 7 * 86400.0)
        _require_range("catalog.min_fraction", self.min_fraction, 0.0, 1.0)
        _require_range("catalog.max_history_catalogs", self.max_history_catalogs, 1, 16)


@dataclass(frozen=True)
class SpacetrackConfig:
    base_url: str = "https://www.space-track.org"
    credentials_file: Path | None = None
    ca_file: Path | None = None
    timeout_s: float = 120.0
    # Merge the CUI element file (fileshare folder 59) into every refresh; the account needs
    # CUI access.  A refresh whose CUI part fails is a failed refresh.
    include_cui: bool = True

    def check(self) -> None:
        if not self.base_url.startswith("https://"):
            raise ConfigError("spacetrack.base_url: must be an https:// URL")
        _require_range("spacetrack.timeout_s", self.timeout_s, 1.0, 3600.0)


@dataclass(frozen=True)
class SiteConfig:
    """Rubin Observatory (geodetic, WGS84) unless configured otherwise."""

    latitude_deg: float = -30.244639
    longitude_deg: float = -70.749417
    height_m: float = 2663.0

    def check(self) -> None:
        _require_range("site.latitude_deg", self.latitude_deg, -90.0, 90.0)
        _require_range("site.longitude_deg", self.longitude_deg, -180.0, 360.0)
        _require_range("site.height_m", self.height_m, -500.0, 10000.0)


@dataclass(frozen=True)
class MatchingConfig:
    """The tolerance model of docs/design.md ("Matching").

    Corridor half-width: max(min_arcsec, atan((a_km + b_km_per_day * age) / range)).
    Time pad: (c_km + d_km_per_day * age) / speed + 1 s.  Defaults from the accuracy study
    (docs/accuracy.md); they must equal the engine's (engine/src/matching/tolerance.hpp).
    """

    min_arcsec: float = 20.0
    a_km: float = 1.0
    b_km_per_day: float = 0.2
    c_km: float = 4.0
    d_km_per_day: float = 6.0
    margin_arcsec: float = 5.0
    require_sunlit: bool = False

    def check(self) -> None:
        for name in ("min_arcsec", "a_km", "b_km_per_day", "c_km", "d_km_per_day", "margin_arcsec"):
            _require_range(f"matching.{name}", getattr(self, name), 0.0, 1e6)


@dataclass(frozen=True)
class LimitsConfig:
    """Request limits, and the one-telescope rules of docs/design.md ("Security model").

    ``enforce_one_camera`` (exposures may not overlap, length within [min, max]) and
    ``enforce_visible_sky`` (boresight altitude, Sun altitude) are test-only switches: a
    configuration that turns either off is refused unless ``catalog.source`` is ``file`` or
    ``demo`` (:meth:`Config.check_test_switches`), so a production configuration
    (``spacetrack``) always enforces them.
    """

    max_sources: int = 100_000
    min_exposure_s: float = 15.0
    max_exposure_s: float = 40.0
    max_visits_per_hour: int = 120
    past_window_s: float = 3600.0
    future_window_s: float = 300.0
    min_altitude_deg: float = 15.0
    max_sun_altitude_deg: float = -6.0
    enforce_one_camera: bool = True
    enforce_visible_sky: bool = True
    allow_reprocessing: bool = False
    rate_per_s: float = 200.0
    burst: int = 1000
    # The largest span of one sky-corner footprint; larger ones (and ones outside the field) are
    # left out of the allow list.  0.35 deg lets a streak piece covering a whole detector through.
    max_footprint_deg: float = 0.35
    # The disclosure budget (docs/design.md "Security model"): distinct (catalog, visit, object)
    # pairs the answers of the last hour may reveal, every client and catalog together; enforced
    # by the engine, which refuses every answer (503) once it is spent.  Not a test-only switch:
    # an operator raises it for a planned reprocessing campaign (docs/operations.md).
    max_revealed_per_hour: int = 300

    def check(self) -> None:
        _require_range("limits.max_sources", self.max_sources, 1, 10_000_000)
        _require_range("limits.min_exposure_s", self.min_exposure_s, 0.0, 3600.0)
        _require_range("limits.max_footprint_deg", self.max_footprint_deg, 0.001, 5.0)
        _require_range("limits.max_exposure_s", self.max_exposure_s, 0.001, 3600.0)
        if self.min_exposure_s > self.max_exposure_s:
            raise ConfigError("limits.min_exposure_s: must not exceed limits.max_exposure_s")
        _require_range("limits.max_visits_per_hour", self.max_visits_per_hour, 1, 100_000)
        _require_range("limits.past_window_s", self.past_window_s, 0.0, 10 * 365 * 86400.0)
        _require_range("limits.future_window_s", self.future_window_s, 0.0, 30 * 86400.0)
        _require_range("limits.min_altitude_deg", self.min_altitude_deg, -90.0, 90.0)
        _require_range("limits.max_sun_altitude_deg", self.max_sun_altitude_deg, -90.0, 90.0)
        _require_range("limits.rate_per_s", self.rate_per_s, 0.001, 1e6)
        _require_range("limits.burst", self.burst, 1, 1_000_000)
        _require_range("limits.max_revealed_per_hour", self.max_revealed_per_hour, 1, 1_000_000)


#: Catalog sources under which the test-only switches of ``limits`` may be turned off.
TEST_SWITCH_SOURCES = frozenset({"file", "demo"})


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    spacetrack: SpacetrackConfig = field(default_factory=SpacetrackConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)


def load_config(path: Path) -> Config:
    """Reads and validates a TOML file; raises ConfigError naming the first bad key."""
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return config_from_mapping(document)


def config_from_mapping(document: dict[str, Any]) -> Config:
    """Builds a Config from parsed TOML, refusing unknown sections, keys and bad values."""
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Config)
    for name, value in document.items():
        if name not in hints:
            raise ConfigError(f"{name}: unknown section")
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a table ([{name}])")
        sections[name] = _section_from_mapping(name, hints[name], value)
    config = Config(**sections)
    for section in dataclasses.fields(config):
        getattr(config, section.name).check()
    check_test_switches(config)
    return config


def check_test_switches(config: Config) -> None:
    """Refuses the test-only relaxations of ``limits`` next to a production catalog source.

    The rule: ``limits.enforce_one_camera`` and ``limits.enforce_visible_sky`` may be false only
    when ``catalog.source`` is ``file`` or ``demo``; with ``spacetrack`` (the real catalog) the
    one-telescope rules always hold.
    """
    if config.catalog.source in TEST_SWITCH_SOURCES:
        return
    for key in ("enforce_one_camera", "enforce_visible_sky"):
        if not getattr(config.limits, key):
            raise ConfigError(
                f"limits.{key}: test-only switch; it may be false only with catalog.source "
                "'file' or 'demo', never with the production source 'spacetrack'"
            )


def _section_from_mapping(section: str, cls: type, values: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    converted = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"{section}.{key}: unknown key")
        converted[key] = _convert(f"{section}.{key}", hints[key], value)
    return cls(**converted)


def _convert(key: str, hint: Any, value: Any) -> Any:
    """Checks one TOML value against the field's type hint and converts it."""
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        if value == "":
            return None
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer")
        return value
    if hint is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{key}: expected a finite number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string")
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}: expected a file path")
        return Path(value)
    if typing.get_origin(hint) is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{key}: expected a list of strings")
        return list(value)
    raise ConfigError(f"{key}: unsupported setting type")  # pragma: no cover - schema bug


def _require_range(key: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be between {low:g} and {high:g}, got {value:g}")
