"""Regenerates protocol/vectors/*.msgpack from the readable twin protocol/vectors.json.

Run after editing vectors.json: ``.venv/bin/python protocol/make_vectors.py``.  The tests
check that the committed bytes and the twin agree, so a forgotten run fails the suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgpack

HERE = Path(__file__).resolve().parent


def canonical(value: object) -> object:
    """The protocol's canonical form of a value, as msgpack-c 4 writes it.

    msgpack-c packs a double whose value is integral as an integer (120.0 -> 120), so the
    canonical encoding does the same; every other float is a float64.  Readers on both sides
    accept an integer wherever a float is expected.
    """
    if isinstance(value, float) and value.is_integer() and -(2**63) <= value < 2**64:
        return int(value)
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    return value


def encode(value: object) -> bytes:
    """Canonical bytes: smallest integer forms, float64 floats, str (not bin) for text."""
    return msgpack.packb(canonical(value), use_bin_type=True)


def main() -> None:
    vectors = json.loads((HERE / "vectors.json").read_text())["vectors"]
    out = HERE / "vectors"
    out.mkdir(exist_ok=True)
    for vector in vectors:
        for part in ("request", "response"):
            (out / f"{vector['name']}.{part}.msgpack").write_bytes(encode(vector[part]))
    # A plain list for the C++ tests, which have no JSON parser.
    exact = sorted(v["name"] for v in vectors if v["engine_exact"])
    (out / "engine_exact.txt").write_text("".join(f"{name}\n" for name in exact))


if __name__ == "__main__":
    main()
