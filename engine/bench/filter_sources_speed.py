"""filter_sources' veto time on a busy detector: honest-looking requests and a lattice.

A measurement, not a test: what the disclosure budget's bookkeeping (which objects veto a box)
costs the veto.  One engine (the venv's, or $SATVETO_ENGINE_BINARY, so two builds can be
compared), a demo catalog, a 30 s visit at the busiest pointing of a grid above 15 deg at the
night site, and the science detector the most corridors cross.  Three requests, each sent
`--repeat` times in turn:

* ``random boxes``: `--sources` boxes of 4 to 40 pixels at random on the detector, camera model
  (the common path: a few vetoed);
* ``sky corners``: the same boxes as ICRS corners from the independent camera model;
* ``lattice``: a square lattice of boxes tiling the detector (many vetoed: every box on a
  corridor pays for the bookkeeping).

Reported: the engine's veto time per call (stats' ``veto_ms``, decoding excluded), median and
minimum over the repeats.

    .venv/bin/python engine/bench/filter_sources_speed.py [--sources 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "frontend"), str(ROOT / "tests")]

from fake_engine import night_site  # noqa: E402
from oracle import camera  # noqa: E402
from reliability.insider import Insider, detector_quads, segments_hit_quads  # noqa: E402
from satveto.catalog.synthetic import build_demo_catalog  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from support import BlockingEngineClient  # noqa: E402

ROTATION_DEG = 0.0


def busiest(client: BlockingEngineClient, insider: Insider, unix: float) -> tuple[dict, int, int]:
    """(visit, detector, objects crossing it) for the grid pointing and science detector with
    the most distinct objects crossing it."""
    best: tuple[int, dict, int] = (-1, {}, 0)
    quads = detector_quads(ROTATION_DEG)
    for pointing in insider.visible_grid(unix, 15.0):
        visit = insider._visit(unix, 30.0, *pointing, ROTATION_DEG)
        client.call("register_visit", visit)
        tracks = client.call("visit_tracks", {"visit_id": visit["visit_id"]})
        if tracks["segments"]:
            segments = np.asarray([s[:5] for s in tracks["segments"]], dtype=float)
            owners = np.asarray([s[5] for s in tracks["segments"]])
            for detector in range(189):
                hit = segments_hit_quads(segments, quads[detector : detector + 1])
                crossing = len(set(owners[hit].tolist()))
                if crossing > best[0]:
                    best = (crossing, visit, detector)
        if best[1] is not visit:
            client.call("drop_visit", {"visit_id": visit["visit_id"]})
    return best[1], best[2], best[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--catalog", type=int, default=30_000)
    args = parser.parse_args()

    now = time.time()
    site = night_site(now)
    catalog = build_demo_catalog(dt.datetime.fromtimestamp(now, dt.UTC), count=args.catalog)
    with tempfile.TemporaryDirectory() as tmp:
        engine = EngineProcess(Path(tmp) / "e.sock")
        engine.start()
        asyncio.run(engine.wait_ready())
        client = BlockingEngineClient(engine.socket_path, timeout_s=300)
        client.call("configure", {"site": site})
        client.call("load_catalog", {"generation": "b", "fetched_at_unix": now, "objects": catalog})
        visit, detector, crossing = busiest(client, Insider(client, site, 3), now - 600.0)
        n_x, n_y = camera.detectors()[detector].n_pix
        rng = random.Random(3)
        boxes = []
        for _ in range(args.sources):
            w, h = rng.randrange(4, 40), rng.randrange(4, 40)
            x0, y0 = rng.randrange(0, n_x - w), rng.randrange(0, n_y - h)
            boxes.append([x0, y0, x0 + w, y0 + h])
        px = np.array([[b[0] - 0.5, b[2] + 0.5, b[2] + 0.5, b[0] - 0.5] for b in boxes])
        py = np.array([[b[1] - 0.5, b[1] - 0.5, b[3] + 0.5, b[3] + 0.5] for b in boxes])
        ra, dec = camera.pixel_to_sky(
            detector, px, py, visit["boresight_ra"], visit["boresight_dec"], ROTATION_DEG
        )
        corners = [
            [[float(r) % 360.0, float(d)] for r, d in zip(rr, dd, strict=True)]
            for rr, dd in zip(ra, dec, strict=True)
        ]
        side = int(np.sqrt(args.sources))
        step_x, step_y = n_x // side, n_y // side
        lattice = [
            [i * step_x, j * step_y, (i + 1) * step_x - 1, (j + 1) * step_y - 1]
            for i in range(side)
            for j in range(side)
        ]
        common = {"visit_id": visit["visit_id"], "detector_id": detector}
        shapes = {
            "random boxes": {**common, "ids": list(range(1, len(boxes) + 1)), "bboxes": boxes},
            "sky corners": {**common, "ids": list(range(1, len(boxes) + 1)), "sky_corners": corners},
            "lattice": {**common, "ids": list(range(1, len(lattice) + 1)), "bboxes": lattice},
        }
        veto_ms: dict[str, list[float]] = {name: [] for name in shapes}
        vetoed: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, params in shapes.items():
                before = client.call("stats")["visits"]["veto_ms"]
                allowed = len(client.call("filter_sources", params)["allowed"])
                vetoed[name] = len(params["ids"]) - allowed
                veto_ms[name].append(client.call("stats")["visits"]["veto_ms"] - before)
        print(
            f"{args.catalog:,} demo objects; detector {detector} crossed by {crossing} objects; "
            f"{args.repeat} rounds; veto time per call (engine, decoding excluded)"
        )
        for name, params in shapes.items():
            print(
                f"  {name:12s} {len(params['ids']):,} sources, {vetoed[name]:,} vetoed: "
                f"median {statistics.median(veto_ms[name]):.2f} ms, "
                f"min {min(veto_ms[name]):.2f} ms"
            )
        client.close()
        engine.stop()


if __name__ == "__main__":
    main()
