"""filter_sources speed: 10,000 sky-corner sources vs the same 10,000 as pixel boxes.

A measurement, not a test.  One engine (the venv's, or $SATVETO_ENGINE_BINARY), a demo catalog,
a visit crossed by a low-LEO object at zenith, and the science detector its track crosses; the
sources are random boxes of 4 to 40 pixels on that detector, their sky corners computed with
the independent camera model of tests/oracle.  Each request is sent `--repeat` times in turn;
reported: the median round trip seen by the client (encode, socket, engine, decode), the
engine's own time per call and, within it, the veto (stats), so that decoding is the rest.

    .venv/bin/python engine/bench/sky_corners_speed.py [--sources 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgpack
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "frontend"), str(ROOT / "tests")]

from oracle import camera  # noqa: E402
from oracle.tracks import Oracle  # noqa: E402
from oracle.visits import NOW, generate_visits, visit_request  # noqa: E402
from satveto.catalog.synthetic import build_demo_catalog  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from support import BlockingEngineClient  # noqa: E402


def crossed_detector(visit: dict, segments: list) -> int:
    """The science detector that holds the most segment midpoints."""
    from oracle import wcs as tanwcs

    counts: dict[int, int] = {}
    for a_xi, a_eta, b_xi, b_eta, *_ in segments:
        for t in np.linspace(0, 1, 50):
            ra, dec = tanwcs.standard_to_sky(
                a_xi + t * (b_xi - a_xi),
                a_eta + t * (b_eta - a_eta),
                visit["boresight_ra"],
                visit["boresight_dec"],
            )
            hits = camera.sky_to_pixel(
                float(ra),
                float(dec),
                visit["boresight_ra"],
                visit["boresight_dec"],
                visit["rotation_deg"],
            )
            for detector, _, _ in hits:
                if detector < 189:
                    counts[detector] = counts.get(detector, 0) + 1
    return max(counts, key=lambda d: counts[d])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--catalog", type=int, default=3000)
    args = parser.parse_args()

    catalog = build_demo_catalog(NOW, count=args.catalog)
    visit = next(
        v for v in generate_visits(Oracle(catalog), random_count=0) if v["kind"] == "leo_zenith"
    )
    request = visit_request(visit)
    with tempfile.TemporaryDirectory() as tmp:
        engine = EngineProcess(Path(tmp) / "e.sock")
        engine.start()
        asyncio.run(engine.wait_ready())
        client = BlockingEngineClient(engine.socket_path, timeout_s=300)
        client.call(
            "load_catalog", {"generation": "b", "fetched_at_unix": time.time(), "objects": catalog}
        )
        client.call("register_visit", request)
        segments = client.call("visit_tracks", {"visit_id": request["visit_id"]})["segments"]
        detector = crossed_detector(visit, segments)
        n_x, n_y = camera.detectors()[detector].n_pix
        rng = random.Random(3)
        boxes, corners = [], []
        for _ in range(args.sources):
            w, h = rng.randrange(4, 40), rng.randrange(4, 40)
            x0, y0 = rng.randrange(0, n_x - w), rng.randrange(0, n_y - h)
            boxes.append([x0, y0, x0 + w, y0 + h])
        px = np.array([[b[0] - 0.5, b[2] + 0.5, b[2] + 0.5, b[0] - 0.5] for b in boxes])
        py = np.array([[b[1] - 0.5, b[1] - 0.5, b[3] + 0.5, b[3] + 0.5] for b in boxes])
        ra, dec = camera.pixel_to_sky(
            detector,
            px,
            py,
            request["boresight_ra"],
            request["boresight_dec"],
            request["rotation_deg"],
        )
        corners = [
            [[float(r), float(d)] for r, d in zip(rr, dd, strict=True)]
            for rr, dd in zip(ra, dec, strict=True)
        ]
        ids = list(range(1, args.sources + 1))
        common = {"visit_id": request["visit_id"], "detector_id": detector, "ids": ids}
        shapes = {
            "pixel boxes": {**common, "bboxes": boxes},
            "sky corners": {**common, "sky_corners": corners},
        }
        times: dict[str, list[float]] = {name: [] for name in shapes}
        engine_ms: dict[str, list[float]] = {name: [] for name in shapes}
        veto_ms: dict[str, list[float]] = {name: [] for name in shapes}
        allowed: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, params in shapes.items():
                before = client.call("stats")
                t0 = time.perf_counter()
                allowed[name] = len(client.call("filter_sources", params)["allowed"])
                times[name].append((time.perf_counter() - t0) * 1000)
                after = client.call("stats")
                m0, m1 = (
                    before["methods"].get("filter_sources", {}),
                    after["methods"]["filter_sources"],
                )
                engine_ms[name].append(m1["total_ms"] - m0.get("total_ms", 0.0))
                veto_ms[name].append(after["visits"]["veto_ms"] - before["visits"]["veto_ms"])
        size = {
            name: len(msgpack.packb([0, 1, "filter_sources", p], use_bin_type=True))
            for name, p in shapes.items()
        }
        print(
            f"visit {request['visit_id']} (leo_zenith), detector {detector}, "
            f"{len(segments)} segments, {args.sources} sources, {args.repeat} rounds"
        )
        for name in shapes:
            print(
                f"  {name:12s} request {size[name] / 1e6:.2f} MB, allowed {allowed[name]}, "
                f"round trip median {statistics.median(times[name]):.1f} ms "
                f"(min {min(times[name]):.1f}), "
                f"engine {statistics.median(engine_ms[name]):.1f} ms, "
                f"of which veto {statistics.median(veto_ms[name]):.2f} ms"
            )
        client.close()
        engine.stop()


if __name__ == "__main__":
    main()
