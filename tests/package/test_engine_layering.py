"""The engine's include arrows point down its layers, never up or sideways.

The order (docs/design.md, "Engine layering") is, from the top:

    main.cpp -> daemon, rpc -> methods -> state -> matching -> catalog -> frames, geometry, sgp4
    -> common

A file of engine/src may include headers of its own folder and of folders on lower layers
only. Two folders on one layer stay independent of each other. A new folder must be given its
place here before it is used.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_SRC = ROOT / "engine" / "src"

# Top first. "main.cpp" stands for engine/src/main.cpp, the program itself.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("main.cpp",),
    ("daemon", "rpc"),
    ("methods",),
    ("state",),
    ("matching",),
    ("catalog",),
    ("frames", "geometry", "sgp4"),
    ("common",),
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_SUFFIXES = {".cpp", ".hpp", ".inc"}


def part_of(relative: Path) -> str:
    """The layer part a path under engine/src belongs to: its first folder, or main.cpp."""
    return relative.parts[0] if len(relative.parts) > 1 else relative.name


def violations(src: Path) -> list[str]:
    """Every include of `src` that points up, sideways, or into a folder with no layer."""
    found = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(src)
        here = part_of(relative)
        if here not in RANK:
            found.append(f"{relative}: folder {here!r} has no place in the layer order")
            continue
        for target in INCLUDE.findall(path.read_text(encoding="utf-8")):
            if "/" not in target:
                continue  # a file beside it (sgp4's own CMake target includes that way)
            there = target.split("/", 1)[0]
            if there == here:
                continue
            if there not in RANK:
                found.append(f"{relative}: includes {target}, whose folder has no layer")
            elif RANK[there] < RANK[here]:
                found.append(f"{relative}: includes {target}, a layer above it")
            elif RANK[there] == RANK[here]:
                found.append(f"{relative}: includes {target}, a folder on its own layer")
    return found


def test_engine_includes_point_down() -> None:
    assert violations(ENGINE_SRC) == []


def test_every_engine_folder_has_a_layer() -> None:
    # Folders holding sources (a checkout may keep an emptied folder after a move).
    folders = {p.name for p in ENGINE_SRC.iterdir() if p.is_dir() and any(p.rglob("*.?pp"))}
    assert folders == set(RANK) - {"main.cpp"}


@pytest.mark.parametrize(
    ("path", "include", "expected"),
    [
        ("matching/veto.cpp", "state/state.hpp", "a layer above it"),
        ("rpc/server.cpp", "daemon/log.hpp", "a folder on its own layer"),
        ("common/log.cpp", "geometry/types.hpp", "a layer above it"),
        ("frames/frames.cpp", "sgp4/sgp4.hpp", "a folder on its own layer"),
        ("engine/state.cpp", "common/log.hpp", "has no place in the layer order"),
        ("methods/ping.cpp", "engine/state.hpp", "whose folder has no layer"),
    ],
)
def test_a_wrong_arrow_is_reported(tmp_path: Path, path: str, include: str, expected: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(f'#include "{include}"\n#include "common/parallel.hpp"\n')
    (found,) = violations(tmp_path)
    assert expected in found


def test_downward_and_local_includes_pass(tmp_path: Path) -> None:
    for path, include in [
        ("main.cpp", "rpc/dispatcher.hpp"),
        ("rpc/method_table.cpp", "methods/methods.hpp"),
        ("matching/precompute.cpp", "catalog/catalog.hpp"),
        ("catalog/catalog.hpp", "sgp4/sgp4.hpp"),
        ("sgp4/batch.cpp", "kernel.hpp"),
        ("geometry/camera.cpp", "geometry/lsstcam_detector_table.inc"),
    ]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f'#include "{include}"\n#include <vector>\n')
    assert violations(tmp_path) == []


def test_the_design_document_states_this_order() -> None:
    """docs/design.md writes the order on one line; it must be the order checked here."""
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    (line,) = [ln for ln in design.splitlines() if ln.startswith("Layers, top first:")]
    stated = [tuple(re.findall(r"`([\w.]+)`", group)) for group in line.split(":", 1)[1].split("→")]
    assert tuple(stated) == LAYERS
