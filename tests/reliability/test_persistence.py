"""After a full run, no catalog content anywhere on disk nor in either process's log.

A full run: the engine binary and `satveto serve` (child processes, each with its own HOME,
TMPDIR and cwd under the test's temporary directory), the catalog fetched from the fake
space-track over TLS (login, GP query, logout), visit and DIASource traffic
over HTTPS, then SIGTERM to both.  Then every file under the run's temporary directories
(HOME, TMPDIR, cwd, the socket directory, the log directory) and both captured logs are
searched for the catalog as it appeared in the records: object names, epochs, and the element
values in space-track's text form and as IEEE doubles (either byte order), so that a pickle, a
msgpack or a core file would be caught as well as a JSON copy.  /dev/shm is checked for new
entries.

test_no_disk.py checks the same for one refresh in a child process (mtimes included); this
suite adds the engine, traffic, logs of both and binary forms.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import ssl
import struct
import time
from pathlib import Path
from typing import Any

import trustme

from fake_engine import night_site
from fake_spacetrack import CuiFile, FakeSpaceTrack, gp_strings, write_ca_file
from reliability.scale import report
from reliability.stack import (
    FrontendProcess,
    demo_records,
    free_port,
    https_session,
    post,
    start_engine,
    wait_status,
    write_toml,
)
from reliability.workload import geo_pointings, mjd_of, plan_visit, visit_body
from satveto.services.history import window_center_unix
from tle_writer import render_all

pytest_plugins = ["test_api_fixtures"]  # socket_dir

OBJECTS = 500


def needles(gp: list[dict[str, Any]], records: list[dict[str, Any]]) -> set[bytes]:
    """What a leak would contain: names, epochs, element strings and doubles."""
    found: set[bytes] = set()
    for text_record, record in zip(gp, records, strict=True):
        found.add(str(text_record["OBJECT_NAME"]).encode())
        found.add(str(text_record["EPOCH"]).encode())
        for key in ("MEAN_MOTION", "ECCENTRICITY", "BSTAR", "MEAN_ANOMALY", "RA_OF_ASC_NODE"):
            text = str(text_record[key])
            if len(text.replace("-", "").replace(".", "").strip("0")) >= 6:  # distinctive only
                found.add(text.encode())
        for key in ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "MEAN_ANOMALY"):
            value = float(record[key])
            found.add(struct.pack("<d", value))
            found.add(struct.pack(">d", value))
    return found


def files_under(*directories: Path) -> list[Path]:
    return sorted(
        p for d in directories for p in d.rglob("*") if p.is_file() and not p.is_symlink()
    )


def leaks(paths: list[Path], patterns: set[bytes]) -> list[str]:
    found = []
    for path in paths:
        data = path.read_bytes()
        hits = [p for p in patterns if p in data]
        if hits:
            found.append(f"{path.name}: {len(hits)} catalog strings, e.g. {hits[0]!r}")
    return found


async def test_a_full_run_leaves_no_catalog_content(
    socket_dir: Path,
    tmp_path: Path,
    tls_files: tuple[Path, Path],
    tls_ca: trustme.CA,
    client_tls: ssl.SSLContext,
) -> None:
    etc = tmp_path / "etc"  # inputs, like /etc/satveto: configuration, no catalog content
    logs = tmp_path / "logs"
    places = {name: tmp_path / name for name in ("home", "tmp", "cwd", "engine-cwd")}
    for directory in (etc, logs, *places.values()):
        directory.mkdir()
    shm_before = shm_entries()

    records = demo_records(OBJECTS)
    gp = [gp_strings(r, i) for i, r in enumerate(records)]
    patterns = needles(gp, records)
    # A historical visit three days ago: gp_history holds other element sets of the same
    # objects, and folder 59 a CUI file for that time; neither may reach the disk either.
    old_time = time.time() - 3 * 86400.0
    center = window_center_unix(old_time)
    old_records = [
        {**r, "EPOCH": time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime(center))}
        for r in demo_records(OBJECTS, center)
    ]
    old_gp = [gp_strings(r, i) for i, r in enumerate(old_records)]
    patterns |= needles(old_gp, old_records)
    import json

    assert len(leaks([_written(tmp_path / "control.json", json.dumps(gp))], patterns)) == 1
    (tmp_path / "control.json").unlink()

    cert, key = tls_files
    fake = FakeSpaceTrack(cert, key, gp)
    fake.history = old_gp
    fake.cui_files.append(
        CuiFile(77, dt.datetime.fromtimestamp(center, dt.UTC), render_all(old_records[:50]))
    )
    await fake.start()
    credentials = etc / "spacetrack.toml"
    credentials.write_text(f'identity = "{fake.identity}"\npassword = "{fake.password}"\n')
    credentials.chmod(0o600)
    ca_file = write_ca_file(tls_ca, etc)
    issued = tls_ca.issue_cert("localhost", "127.0.0.1")
    server_cert, server_key = etc / "server.pem", etc / "server.key"
    issued.private_key_and_cert_chain_pem.write_to_path(str(server_cert))
    issued.private_key_pem.write_to_path(str(server_key))
    port = free_port()
    socket_path = socket_dir / "engine.sock"
    write_toml(
        etc / "frontend.toml",
        {
            "server": {"port": port, "tls_cert": server_cert, "tls_key": server_key},
            "engine": {"socket": socket_path, "timeout_s": 10.0},
            "catalog": {"source": "spacetrack"},
            "site": night_site(),  # strict one-telescope rules: a site where it is night
            "limits": {"allow_reprocessing": True},
            "spacetrack": {
                "base_url": fake.base_url,
                "credentials_file": credentials,
                "ca_file": ca_file,
                "timeout_s": 30.0,
            },
        },
    )
    env = FrontendProcess.environment(home=places["home"], tmp=places["tmp"])
    engine = await start_engine(socket_path, logs / "engine.log", env=env, cwd=places["engine-cwd"])
    frontend = FrontendProcess(etc / "frontend.toml", logs / "frontend.log", env, places["cwd"])
    answered = 0
    try:
        frontend.start()
        base = f"https://localhost:{port}"
        async with https_session(client_tls) as session:
            await wait_status(session, f"{base}/v1/ready")
            start = mjd_of(time.time() - 120.0)
            ra, dec, track = (await geo_pointings(socket_path, records, start, 1))[0]
            rng = random.Random(5)
            visit = visit_body(4242, start, ra, dec, rotation=30.0)
            plan = plan_visit(rng, visit, track, [40] * 189, embed_every=3)
            assert (await post(session, f"{base}/v1/visits", visit)).status == 200
            old_visit = {**visit_body(4243, mjd_of(old_time), ra, dec, None), "historical": True}
            assert (await post(session, f"{base}/v1/visits", old_visit)).status == 200
            answers = await asyncio.gather(
                *(post(session, f"{base}/v1/diasources", b) for b in plan.requests)
            )
            answered = sum(a.status == 200 for a in answers)
            for path in ("/v1", "/v1/ready", "/metrics"):
                async with session.get(f"{base}{path}") as response:
                    assert response.status == 200
                    assert not leaks([_written(tmp_path / "page", await response.text())], patterns)
            (tmp_path / "page").unlink()
        assert frontend.stop() == 0
    finally:
        frontend.stop()
        engine.stop()
        await fake.stop()
    assert fake.queries >= 1
    assert len(fake.history_windows) == 1  # the historical catalog was fetched
    scanned = files_under(*places.values(), socket_dir, logs)
    shm_after = shm_entries()
    report(
        "full run, then a search for catalog content",
        [
            f"{OBJECTS} objects fetched ({fake.queries} GP queries), {answered} DIASource "
            f"answers, {len(patterns)} catalog strings searched",
            f"files searched: {[p.name for p in scanned]}",
            f"new /dev/shm entries: {sorted(shm_after - shm_before)}",
        ],
    )
    assert answered == len(plan.requests)
    assert (logs / "engine.log").stat().st_size > 0
    assert (logs / "frontend.log").stat().st_size > 0
    assert leaks(scanned, patterns) == []
    for name in ("home", "tmp", "cwd", "engine-cwd"):
        assert files_under(places[name]) == [], name
    assert shm_after - shm_before == set()


def shm_entries() -> set[str]:
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
