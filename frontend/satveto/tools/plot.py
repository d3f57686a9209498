"""`satveto plot-visit`: a PNG of one visit's focal plane, corridors and vetted sources.

An operator tool for the engine host.  It talks to the engine's Unix socket only: the
diagnostics it uses (`visit_tracks`) exist on that socket, whose access is already limited to
the engine's operators by file mode and SO_PEERCRED, and never on the HTTP API.  A target that
is not a local Unix socket (a URL, host:port, a regular file) is refused before anything is
sent.

The picture shows what the engine would decide and nothing more: detector outlines of
LSSTCam at the visit's rotation, each candidate's corridor (segment and reach exactly as the
engine tests them), and the sources of an optional file coloured by the engine's own
`filter_sources` answer.  No object names are drawn (the engine never gives them out); NORAD
ids only with --show-norad.

Coordinates are the gnomonic plane about the boresight in degrees, East to the left and
North up as on the sky.  The camera chain (pixel -> focal plane -> field angle -> tangent
plane) is the package's camera model (satveto.astro.camera, docs/camera.md), which needs
nothing but the detector table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from satveto.astro import camera
from satveto.astro.camera import (
    DEFAULT_DETECTORS,
    Detector,
    FloatArray,
    detector_outline,
    pixel_to_tangent,
)
from satveto.engine.rpc import EngineClient, EngineError

DEFAULT_SIZE_PX = 1000  # the PNG's side
_DPI = 100


class PlotError(Exception):
    """A reason to refuse or abandon the plot; the message is shown to the operator."""


# ------------------------------------------------------------------------ the detector table


def load_detectors(path: Path) -> dict[int, Detector]:
    if not path.is_file():
        raise PlotError(f"detector table {path} not found (give it with --detectors)")
    return camera.load_detectors(path)


# ------------------------------------------------------------------------ inputs


def local_socket(target: str) -> Path:
    """The engine socket path, or PlotError when the target is not a local Unix socket."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target) or re.match(r"^[^/]*:\d+$", target):
        raise PlotError(
            f"{target!r} is not a local socket: plot-visit talks to the engine's Unix socket "
            "on this host only, never over the network"
        )
    path = Path(target)
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise PlotError(f"{target}: {error.strerror}") from None
    if not stat.S_ISSOCK(mode):
        raise PlotError(f"{target} is not a Unix socket")
    return path


def read_sources(path: Path) -> dict[int, list[dict[str, Any]]]:
    """Sources file: a JSON list of {"detector_id", "diasource_id", "bbox"}, by detector."""
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise PlotError(f"{path}: {error}") from None
    if not isinstance(items, list):
        raise PlotError(f"{path}: expected a JSON list of sources")
    by_detector: dict[int, list[dict[str, Any]]] = {}
    for i, item in enumerate(items):
        try:
            detector, ident, box = item["detector_id"], item["diasource_id"], item["bbox"]
        except (KeyError, TypeError):
            raise PlotError(f"{path}: source {i} needs detector_id, diasource_id, bbox") from None
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int) for v in box)):
            raise PlotError(f"{path}: source {i}: bbox must be [x_min, y_min, x_max, y_max]")
        by_detector.setdefault(int(detector), []).append({"id": int(ident), "bbox": box})
    return by_detector


# ------------------------------------------------------------------------ engine


@dataclass
class VisitPicture:
    visit_id: int
    rotation_deg: float
    segments: FloatArray  # (n, 6): a_xi, a_eta, b_xi, b_eta, reach (rad), candidate index
    candidates: list[int]
    veto_everything: bool
    sources: list[tuple[int, dict[str, Any], bool]]  # (detector, source, vetoed)


async def fetch(
    socket_path: Path,
    visit_id: int,
    rotation_deg: float,
    visit: dict[str, Any] | None,
    sources: dict[int, list[dict[str, Any]]],
    timeout_s: float = 60.0,
) -> VisitPicture:
    client = EngineClient(socket_path, timeout_s=timeout_s, connections=1)
    try:
        if visit is not None:
            await client.call("register_visit", visit)
        tracks = await client.call("visit_tracks", {"visit_id": visit_id})
        vetted: list[tuple[int, dict[str, Any], bool]] = []
        for detector, items in sorted(sources.items()):
            answer = await client.call(
                "filter_sources",
                {
                    "visit_id": visit_id,
                    "detector_id": detector,
                    "ids": [s["id"] for s in items],
                    "bboxes": [s["bbox"] for s in items],
                },
            )
            allowed = set(answer["allowed"])
            vetted += [(detector, s, s["id"] not in allowed) for s in items]
    finally:
        await client.close()
    segments = np.array(tracks["segments"], dtype=float).reshape(-1, 6)
    return VisitPicture(
        visit_id=visit_id,
        rotation_deg=rotation_deg,
        segments=segments,
        candidates=list(tracks["candidates"]),
        veto_everything=bool(tracks["veto_everything"]),
        sources=vetted,
    )


# ------------------------------------------------------------------------ drawing


def corridor_polygon(a: FloatArray, b: FloatArray, reach: float, arc: int = 8) -> FloatArray:
    """The set within `reach` of segment ab (a stadium) as a polygon, same units as a, b."""
    d = b - a
    length = float(np.hypot(*d))
    angle = math.atan2(d[1], d[0]) if length > 0 else 0.0
    half = np.linspace(-math.pi / 2, math.pi / 2, arc)
    cap_b = b + reach * np.stack([np.cos(angle + half), np.sin(angle + half)], axis=1)
    cap_a = a + reach * np.stack(
        [np.cos(angle + math.pi + half), np.sin(angle + math.pi + half)], axis=1
    )
    return np.concatenate([cap_b, cap_a])


def render(
    picture: VisitPicture,
    detectors: dict[int, Detector],
    out: Path,
    size_px: int = DEFAULT_SIZE_PX,
    show_norad: bool = False,
) -> None:
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plot-visit needs matplotlib (pip install matplotlib)") from None
    matplotlib.use("Agg")
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size_px / _DPI, size_px / _DPI), dpi=_DPI)
    ax = fig.add_axes((0.08, 0.07, 0.88, 0.86))
    colours = {"SCIENCE": "0.35", "GUIDER": "tab:olive", "WAVEFRONT": "tab:purple"}
    outlines = [detector_outline(d, picture.rotation_deg) for d in detectors.values()]
    ax.add_collection(
        LineCollection(
            outlines,
            colors=[colours.get(d.kind, "0.5") for d in detectors.values()],
            linewidths=0.6,
        )
    )

    seg = picture.segments
    if len(seg):
        a, b = np.degrees(seg[:, 0:2]), np.degrees(seg[:, 2:4])
        reach = np.degrees(seg[:, 4])
        polygons = [corridor_polygon(a[i], b[i], reach[i]) for i in range(len(seg))]
        ax.add_collection(
            # Opaque and beneath the outlines: overlapping translucent stadiums would darken
            # the joints and look like structure that is not there.
            PolyCollection(
                polygons, facecolors="#fdd9b5", edgecolors="none", zorder=0, label="corridor"
            )
        )
        ax.add_collection(
            LineCollection(
                # One (2, 2) array per segment: matplotlib takes a sequence of lines.
                list(np.stack([a, b], axis=1)),
                colors="tab:red",
                linewidths=0.8,
                label="predicted track",
            )
        )
        if show_norad:
            for k, norad in enumerate(picture.candidates):
                own = np.flatnonzero(seg[:, 5] == k)
                if own.size:
                    middle = own[own.size // 2]
                    ax.annotate(
                        str(norad), (a[middle] + b[middle]) / 2, fontsize=7, color="tab:red"
                    )

    counts = {True: 0, False: 0}
    for vetoed in (True, False):
        points = []
        for detector, source, flag in picture.sources:
            if flag != vetoed or detector not in detectors:
                continue
            x0, y0, x1, y1 = source["bbox"]
            xi, eta = pixel_to_tangent(
                detectors[detector],
                np.array([(x0 + x1) / 2.0]),
                np.array([(y0 + y1) / 2.0]),
                picture.rotation_deg,
            )
            points.append((math.degrees(xi[0]), math.degrees(eta[0])))
        counts[vetoed] = len(points)
        if points:
            p = np.array(points)
            ax.scatter(
                p[:, 0],
                p[:, 1],
                s=10 if vetoed else 6,
                marker="x" if vetoed else "o",
                color="tab:red" if vetoed else "tab:green",
                label=f"{'vetoed' if vetoed else 'allowed'} ({len(points)})",
                zorder=3,
            )

    limit = 2.15
    ax.set_xlim(limit, -limit)  # East to the left, as on the sky
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("ξ, toward East (deg)")
    ax.set_ylabel("η, toward North (deg)")
    ax.grid(alpha=0.2)
    title = (
        f"visit {picture.visit_id}: rotation {picture.rotation_deg:g}°, "
        f"{len(picture.candidates)} candidate track(s), {len(seg)} corridor segments"
    )
    if picture.veto_everything:
        title += " — VETO EVERYTHING"
    ax.set_title(title, fontsize=10)
    if picture.sources or len(seg):
        ax.legend(loc="upper right", fontsize=8)
    fig.savefig(out, dpi=_DPI)


# ------------------------------------------------------------------------ command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--socket", required=True, help="the engine's Unix socket (local only)")
    parser.add_argument("--visit-id", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument(
        "--rotation-deg",
        type=float,
        help="rotSkyPos to draw the detectors at (taken from --visit when that is given)",
    )
    parser.add_argument(
        "--visit",
        type=Path,
        help="JSON file with the visit request fields; the visit is registered if it is not",
    )
    parser.add_argument("--sources", type=Path, help="JSON list of detector_id/diasource_id/bbox")
    parser.add_argument("--detectors", type=Path, default=DEFAULT_DETECTORS)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE_PX, help="PNG side in pixels")
    parser.add_argument("--show-norad", action="store_true", help="label corridors by NORAD id")


def run(args: argparse.Namespace) -> int:
    try:
        socket_path = local_socket(args.socket)
        visit = None
        rotation = args.rotation_deg
        if args.visit is not None:
            try:
                visit = json.loads(args.visit.read_text())
            except (OSError, ValueError) as error:
                raise PlotError(f"{args.visit}: {error}") from None
            if not isinstance(visit, dict) or visit.get("visit_id") != args.visit_id:
                raise PlotError(f"{args.visit}: visit_id must be {args.visit_id}")
            if rotation is None:
                rotation = visit.get("rotation_deg")
        if rotation is None:
            raise PlotError("the rotation is needed to draw the detectors: give --rotation-deg")
        if not 100 <= args.size <= 8000:
            raise PlotError("--size must be between 100 and 8000 pixels")
        detectors = load_detectors(args.detectors)
        sources = read_sources(args.sources) if args.sources is not None else {}
        unknown = sorted(set(sources) - set(detectors))
        if unknown:
            raise PlotError(f"unknown detector ids in the sources file: {unknown[:5]}")
        picture = asyncio.run(fetch(socket_path, args.visit_id, float(rotation), visit, sources))
        render(picture, detectors, args.out, size_px=args.size, show_norad=args.show_norad)
    except (PlotError, EngineError) as error:
        print(f"satveto plot-visit: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0
