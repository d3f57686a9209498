"""No catalog byte on disk: a refresh (GP and the CUI file) and a historical catalog fetched in a
child process leave HOME, TMPDIR and its cwd empty."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

import trustme

from fake_spacetrack import IDENTITY, PASSWORD, gp_catalog, running_fake, write_ca_file
from satveto.services.history import window_center_unix

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

# The frontend's refresh exactly as the service runs it: config, credentials file, refresher,
# the supervisor it asks about the engine, engine client; one refresh, then a clean stop.
# Prints the outcome and the engine's count.
CHILD = """
import asyncio, json, sys
from pathlib import Path
from satveto.runtime.config import CatalogConfig, Config, EngineConfig, SpacetrackConfig
from satveto.engine.rpc import EngineClient
from satveto.runtime.logs import configure_logging
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.refresh import CatalogRefresher
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry
from satveto.services.history import HistoricalCatalogs
from satveto.models import Visit

async def main() -> None:
    base_url, credentials, ca_file, socket, visit_mjd = sys.argv[1:6]
    config = Config(
        engine=EngineConfig(socket=Path(socket)),
        catalog=CatalogConfig(source="spacetrack"),
        spacetrack=SpacetrackConfig(
            base_url=base_url, credentials_file=Path(credentials), ca_file=Path(ca_file),
            timeout_s=10.0,
        ),
    )
    engine = EngineClient(config.engine.socket, 10.0)
    catalog, metrics = CatalogService(engine, 0.8), Metrics()
    supervisor = EngineSupervisor(engine, catalog, VisitRegistry(), metrics, 172800.0)
    refresher = CatalogRefresher(config, catalog, metrics, supervisor.status)
    await refresher.start()
    while refresher.attempts == 0:
        await asyncio.sleep(0.01)
    held = (await engine.call("ping"))["catalog"]
    history = HistoricalCatalogs(engine, Metrics(), refresher._source, enabled=True)
    start = float(visit_mjd)
    await history.ensure(Visit(1, start, start + 30 / 86400, 10.0, -30.0, None, historical=True))
    historical = (await engine.call("ping"))["historical_catalogs"]
    await refresher.stop()
    await engine.close()
    print(json.dumps({"outcome": refresher.last_outcome, "objects": held and held["objects"],
                      "historical": [h["objects"] for h in historical]}))

configure_logging()
asyncio.run(main())
"""


def everything_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


async def test_a_refresh_writes_nothing_to_home_tmpdir_or_cwd(
    tmp_path: Path, engine_socket: Path, tls_files: tuple[Path, Path], tls_ca: trustme.CA
) -> None:
    private = tmp_path / "etc"  # configuration, like /etc/satveto: not a place under test
    private.mkdir()
    credentials = private / "spacetrack.toml"
    credentials.write_text(f'identity = "{IDENTITY}"\npassword = "{PASSWORD}"\n')
    credentials.chmod(0o600)
    ca_file = write_ca_file(tls_ca, private)
    watched = {name: tmp_path / name for name in ("home", "tmp", "cwd")}
    for directory in watched.values():
        directory.mkdir()
    # A directory's mtime changes when an entry is created or removed, so a temporary file
    # made and deleted during the run shows up even though the folder ends empty.
    before = {name: directory.stat().st_mtime_ns for name, directory in watched.items()}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(watched["home"]),
        "TMPDIR": str(watched["tmp"]),
        "PYTHONPATH": str(FRONTEND),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }
    async with running_fake(tls_files, count=300) as fake:
        # gp_history around a visit three days ago: the same objects, older epochs.
        visit_time = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        center = dt.datetime.fromtimestamp(window_center_unix(visit_time.timestamp()), dt.UTC)
        fake.history = [
            {**record, "EPOCH": center.replace(tzinfo=None).isoformat()}
            for record in gp_catalog(center, 250)
        ]
        visit_mjd = 40587.0 + visit_time.timestamp() / 86400.0
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            fake.base_url,
            str(credentials),
            str(ca_file),
            str(engine_socket),
            str(visit_mjd),
            cwd=watched["cwd"],
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, stderr.decode()[-2000:]
    # The historical catalog: the 250 gp_history objects plus the CUI file's objects (copies
    # of the first five GP records, see fake_spacetrack.default_cui_file) not among them.
    cui_only = {int(r["NORAD_CAT_ID"]) for r in fake.records[:5]} - {
        int(r["NORAD_CAT_ID"]) for r in fake.history
    }
    expected = {"outcome": "ok", "objects": 300, "historical": [250 + len(cui_only)]}
    assert json.loads(stdout) == expected
    assert fake.queries == 1
    assert fake.downloads == 2  # the current CUI file, then the one for the historical visit
    for name, directory in watched.items():
        assert everything_under(directory) == [], name
        assert directory.stat().st_mtime_ns == before[name], name
    # The logs went to stderr: they name no object and carry no credential.
    assert b"DEMO-" not in stderr
    assert PASSWORD.encode() not in stderr
    assert IDENTITY.encode() not in stderr
