"""No catalog byte on disk: a refresh in a child process leaves HOME, TMPDIR and its cwd empty."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import trustme

from fake_spacetrack import IDENTITY, PASSWORD, running_fake, write_ca_file

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"

# The frontend's refresh exactly as the service runs it: config, credentials file, refresher,
# engine client; one refresh, then a clean stop.  Prints the outcome and the engine's count.
CHILD = """
import asyncio, json, sys
from pathlib import Path
from satveto.config import CatalogConfig, Config, EngineConfig, SpacetrackConfig
from satveto.engine_client import EngineClient
from satveto.logs import configure_logging
from satveto.metrics import Metrics
from satveto.services.catalog import CatalogService
from satveto.services.refresh import CatalogRefresher

async def main() -> None:
    base_url, credentials, ca_file, socket = sys.argv[1:5]
    config = Config(
        engine=EngineConfig(socket=Path(socket)),
        catalog=CatalogConfig(source="spacetrack"),
        spacetrack=SpacetrackConfig(
            base_url=base_url, credentials_file=Path(credentials), ca_file=Path(ca_file),
            timeout_s=10.0,
        ),
    )
    engine = EngineClient(config.engine.socket, 10.0)
    refresher = CatalogRefresher(config, CatalogService(engine, 0.8), engine, Metrics())
    await refresher.start()
    while refresher.attempts == 0:
        await asyncio.sleep(0.01)
    held = (await engine.call("ping"))["catalog"]
    await refresher.stop()
    await engine.close()
    print(json.dumps({"outcome": refresher.last_outcome, "objects": held and held["objects"]}))

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
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            fake.base_url,
            str(credentials),
            str(ca_file),
            str(engine_socket),
            cwd=watched["cwd"],
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, stderr.decode()[-2000:]
    assert json.loads(stdout) == {"outcome": "ok", "objects": 300}
    assert fake.queries == 1
    for name, directory in watched.items():
        assert everything_under(directory) == [], name
        assert directory.stat().st_mtime_ns == before[name], name
    # The logs went to stderr: they name no object and carry no credential.
    assert b"DEMO-" not in stderr
    assert PASSWORD.encode() not in stderr
    assert IDENTITY.encode() not in stderr
