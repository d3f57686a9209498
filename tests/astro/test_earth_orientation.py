"""Earth orientation: the frontend's finals2000A loader (on the file astropy-iers-data ships,
and on corrupt and short inputs), the table the engine receives, readiness and the age metric.

The reference for the loader is astropy's own IERS-A reader of the same file (a test-only
dependency: the service parses the file itself).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.utils import iers

from satveto.astro.earth_orientation import (
    MAX_OBSERVED_AGE_DAYS,
    EarthOrientationData,
    EarthOrientationError,
    finals2000a_path,
    load_earth_orientation,
    parse_finals2000a,
    table_for,
)
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineClient, EngineRpcError
from satveto.runtime.config import Config, EngineConfig, ServerConfig
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.readiness import ReadinessService
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.web.app import create_app
from satveto.web.app_keys import METRICS
from support import BlockingEngineClient

DAY = 86400.0


@pytest.fixture(scope="module")
def shipped_text() -> str:
    return finals2000a_path().read_text(encoding="ascii")


def test_the_shipped_file_parses_and_agrees_with_astropy(shipped_text: str) -> None:
    rows = parse_finals2000a(shipped_text)
    assert len(rows) > 15000  # daily since 1973
    reference = iers.IERS_A.open(str(finals2000a_path()))
    mjd = np.asarray(reference["MJD"].value)
    for row in rows[:: len(rows) // 50]:
        k = int(np.searchsorted(mjd, row.mjd))
        assert mjd[k] == row.mjd
        assert row.ut1_utc_s == pytest.approx(float(reference["UT1_UTC_A"][k].value), abs=1e-7)
        assert row.xp_arcsec == pytest.approx(float(reference["PM_x_A"][k].value), abs=1e-6)
        assert row.yp_arcsec == pytest.approx(float(reference["PM_y_A"][k].value), abs=1e-6)
        assert row.observed == (reference["UT1Flag_A"][k] == "I")


def test_the_table_covers_weeks_back_and_the_predictions(shipped_text: str) -> None:
    rows = parse_finals2000a(shipped_text)
    now = time.time()
    now_mjd = 40587.0 + now / DAY
    table = table_for(rows, now)
    assert table.mjd[0] <= min(now_mjd - 27.0, table.last_observed_mjd)
    assert table.mjd[-1] == rows[-1].mjd > now_mjd + 100  # the IERS predictions ahead
    assert np.all(np.diff(table.mjd) == 1.0)
    assert max(r.mjd for r in rows if r.observed) == table.last_observed_mjd
    params = table.to_params()
    assert set(params) == {"mjd", "ut1_utc_s", "xp_arcsec", "yp_arcsec", "last_observed_mjd"}
    assert len(params["mjd"]) == len(params["ut1_utc_s"]) == len(params["xp_arcsec"])


def _line(mjd: float, ut1: float = -0.04, flag: str = "I") -> str:
    """A finals2000A line in the file's fixed-width layout (ReadMe.finals2000A)."""
    text = (
        f"261020 {mjd:8.2f} {flag} {0.151351:9.6f}{0.000042:9.6f} {0.318689:9.6f}{0.000043:9.6f}  "
    )
    return text + f"{flag}{ut1:10.7f}{0.0000153:10.7f}  1.1276 0.0113  P     0.286    0.126"


def _file(days: int = 40, **override: str) -> str:
    lines = [_line(61300.0 + k, flag="I" if k < 30 else "P") for k in range(days)]
    for index, text in override.items():
        lines[int(index[1:])] = text
    return "\n".join(lines) + "\n61340.00\n61341.00\n"


def test_a_well_formed_synthetic_file_round_trips() -> None:
    rows = parse_finals2000a(_file())
    assert len(rows) == 40
    assert rows[0].ut1_utc_s == pytest.approx(-0.04)
    assert [r.observed for r in rows].count(True) == 30


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (_file(l5=_line(61305.0)[:60]), "line 6: truncated"),
        (_file(l5=_line(61305.0).replace("I  0.15", "X  0.15")), "line 6: flags"),
        (_file(l5=_line(61305.0).replace("61305.00", "6130x.00")), "line 6: MJD is not a number"),
        (_file(l5=_line(61307.0)), "line 6: MJD 61307 does not follow"),
        (_file(l5=_line(61305.0, ut1=3.5)), "line 6: value out of range"),
        (_file(days=10), "only 10 rows"),
        ("", "only 0 rows"),
    ],
)
def test_corrupt_and_short_files_are_refused(text: str, problem: str) -> None:
    with pytest.raises(EarthOrientationError, match=problem):
        parse_finals2000a(text)


def test_a_bad_file_leaves_no_table_and_a_reason(tmp_path: Path) -> None:
    broken = tmp_path / "finals2000A.all"
    broken.write_text(_file(days=5))
    data = load_earth_orientation(time.time(), broken)
    assert data.table is None
    assert "only 5 rows" in (data.not_ready_reason(time.time()) or "")
    assert math.isinf(data.age_s(time.time()))
    missing = load_earth_orientation(time.time(), tmp_path / "absent")
    assert missing.table is None
    assert missing.problem


def _aged(days: float) -> EarthOrientationData:
    """The shipped table as if its last observed value were `days` old."""
    data = load_earth_orientation(time.time())
    assert data.table is not None
    shift = 40587.0 + time.time() / DAY - days - data.table.last_observed_mjd
    table = dataclasses.replace(
        data.table,
        mjd=[m + shift for m in data.table.mjd],
        last_observed_mjd=data.table.last_observed_mjd + shift,
    )
    return EarthOrientationData(table, None, "test")


async def test_readiness_names_old_earth_orientation_data(engine_socket: Path) -> None:
    client = BlockingEngineClient(engine_socket)
    client.call(
        "load_catalog",
        {
            "generation": "g",
            "fetched_at_unix": time.time(),
            "objects": build_demo_catalog(dt.datetime.now(dt.UTC), count=50),
        },
    )
    client.close()
    engine = EngineClient(engine_socket, 5.0, 1)
    catalog = CatalogService(engine, 0.8)
    supervisor = EngineSupervisor(engine, catalog, VisitRegistry(), Metrics(), 86400.0)
    try:
        fresh = await ReadinessService(supervisor, _aged(10.0)).check()
        assert fresh.ready, fresh.reason
        old = await ReadinessService(supervisor, _aged(MAX_OBSERVED_AGE_DAYS + 5)).check()
        assert not old.ready
        assert old.reason.startswith("Earth-orientation data is 65 days old")
    finally:
        await engine.close()


def test_the_age_metric_reports_the_last_observed_value(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    config = Config(
        server=ServerConfig(tls_cert=cert, tls_key=key), engine=EngineConfig(socket=Path("s"))
    )
    app = create_app(config, earth_orientation=_aged(12.0))
    age = app[METRICS].registry.get_sample_value("satveto_earth_orientation_age_seconds")
    assert age == pytest.approx(12.0 * DAY, abs=60.0)


def test_the_engine_takes_the_table_and_refuses_a_bad_one(engine_rpc: BlockingEngineClient) -> None:
    data = load_earth_orientation(time.time())
    assert data.table is not None
    assert engine_rpc.call("configure", {"earth_orientation": data.table.to_params()}) == {}
    bad = data.table.to_params()
    bad["mjd"] = list(bad["mjd"])
    bad["mjd"][3] = bad["mjd"][2]
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("configure", {"earth_orientation": bad})
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith("earth_orientation.mjd[3]: not increasing")
    short = {**data.table.to_params(), "ut1_utc_s": [0.1]}
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("configure", {"earth_orientation": short})
    assert caught.value.message == "earth_orientation.ut1_utc_s: expected one value per mjd"
