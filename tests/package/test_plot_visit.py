"""`satveto plot-visit` against the real engine: a visit pointed at a demo satellite, rendered.

The tool must draw what the engine decides (its corridors, its veto of the sources) and must
only ever talk to a local Unix socket.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oracle import camera
from satveto.astro.timescales import mjd_now
from satveto.catalog.synthetic import build_demo_catalog
from satveto.tools import plot
from support import BlockingEngineClient

pytest.importorskip("matplotlib")


def geo_visit(client: BlockingEngineClient, records: list[dict[str, Any]]) -> dict[str, Any]:
    """A 30 s visit centred on a GEO object above the horizon (as `satveto demo` does)."""
    start = mjd_now(time.time(), "tai")  # the default scale of observe and register_visit
    mid = start + 15 / 86400
    for record in records:
        if not record["OBJECT_NAME"].startswith("DEMO-GEO"):
            continue
        seen = client.call("observe", {"elements": record, "mjd": [mid]})
        if seen["errors"][0] == 0 and seen["range_km"][0] < 39_000:  # above the horizon
            return {
                "visit_id": 7001,
                "exposure_start_mjd": start,
                "exposure_end_mjd": start + 30 / 86400,
                "boresight_ra": seen["ra_deg"][0],
                # Half a degree off the object so its corridor is not hidden at the centre.
                "boresight_dec": seen["dec_deg"][0] - 0.5,
                "rotation_deg": 30.0,
                "_record": record,
            }
    raise AssertionError("no GEO object above the horizon in the demo catalog")


def sources_on_and_off_track(
    client: BlockingEngineClient, visit: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Sources on the object's track during the exposure, then a few far from it."""
    instants = visit["exposure_start_mjd"] + np.linspace(0, 30, 7) / 86400
    seen = client.call("observe", {"elements": visit["_record"], "mjd": instants.tolist()})
    sources: list[dict[str, Any]] = []
    pointing = (visit["boresight_ra"], visit["boresight_dec"], visit["rotation_deg"])
    for ra, dec in zip(seen["ra_deg"], seen["dec_deg"], strict=True):
        for detector, x, y in camera.sky_to_pixel(ra, dec, *pointing):
            if detector < 189 and 5 < x < 4000 and 5 < y < 3990:
                box = [round(x) - 3, round(y) - 3, round(x) + 3, round(y) + 3]
                sources.append(
                    {"detector_id": detector, "diasource_id": 100 + len(sources), "bbox": box}
                )
    on_track = len(sources)
    for k, detector in enumerate((10, 60, 120, 180)):  # far from the boresight's middle
        sources.append(
            {"detector_id": detector, "diasource_id": 500 + k, "bbox": [2000, 2000, 2010, 2010]}
        )
    return sources, on_track


def test_plot_visit_renders_the_engines_decision(engine_socket: Path, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    records = build_demo_catalog(now, count=400)
    client = BlockingEngineClient(engine_socket)
    try:
        client.call(
            "load_catalog",
            {"generation": "plot", "fetched_at_unix": time.time(), "objects": records},
        )
        visit = geo_visit(client, records)
        sources, on_track = sources_on_and_off_track(client, visit)
    finally:
        client.close()
    assert on_track >= 3

    visit_file = tmp_path / "visit.json"
    visit_file.write_text(json.dumps({k: v for k, v in visit.items() if not k.startswith("_")}))
    sources_file = tmp_path / "sources.json"
    sources_file.write_text(json.dumps(sources))
    out = tmp_path / "visit.png"
    parser = argparse.ArgumentParser()
    plot.add_arguments(parser)
    args = parser.parse_args(
        [
            "--socket", str(engine_socket),
            "--visit-id", str(visit["visit_id"]),
            "--visit", str(visit_file),
            "--sources", str(sources_file),
            "--out", str(out),
            "--size", "800",
        ]
    )  # fmt: skip
    assert plot.run(args) == 0

    from matplotlib.image import imread

    image = imread(out)
    assert image.shape[:2] == (800, 800)
    rgb = image[..., :3]
    assert rgb.std() > 0.02  # not blank
    # Corridor and vetoed markers are drawn in red/orange: strongly red pixels must exist.
    reddish = (rgb[..., 0] > 0.7) & (rgb[..., 1] < 0.55) & (rgb[..., 2] < 0.45)
    assert reddish.sum() > 20

    # The picture's colours are the engine's answer: every on-track source vetoed, the far
    # ones allowed (the same data the PNG was drawn from).
    picture = __import__("asyncio").run(
        plot.fetch(
            engine_socket,
            visit["visit_id"],
            30.0,
            None,
            plot.read_sources(sources_file),
        )
    )
    vetoed = {s["id"] for _, s, flag in picture.sources if flag}
    assert {s["diasource_id"] for s in sources[:on_track]} <= vetoed
    assert not {s["diasource_id"] for s in sources[on_track:]} & vetoed
    assert len(picture.segments) > 0


@pytest.mark.parametrize(
    "target", ["https://localhost:8443", "localhost:8443", "127.0.0.1:9000", "http://[::1]/x"]
)
def test_plot_visit_refuses_a_network_target(target: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "satveto.tools.cli", "plot-visit",
            "--socket", target, "--visit-id", "1", "--rotation-deg", "0",
            "--out", str(tmp_path / "x.png"),
        ],
        capture_output=True, text=True, timeout=60,
        # The working tree's package, as pytest imports it (not an installed copy).
        env={**os.environ, "PYTHONPATH": str(Path(plot.__file__).resolve().parents[2])},
    )  # fmt: skip
    assert result.returncode == 2
    assert "not a local socket" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_plot_visit_refuses_a_path_that_is_not_a_socket(tmp_path: Path) -> None:
    regular = tmp_path / "engine.sock"
    regular.write_text("")
    with pytest.raises(plot.PlotError, match="not a Unix socket"):
        plot.local_socket(str(regular))
