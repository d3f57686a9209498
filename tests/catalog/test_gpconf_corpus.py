"""Real element sets from the gpconf conformance corpus through the TLE and OMM paths.

gpconf ships Alpha-5 TLE sets derived from real CelesTrak records (letters A and T: objects
100000-100789 and analyst objects 27xxxx), synthetic-derived sets for every Alpha-5 letter and
every two-digit epoch year, and corrupt inputs (a wrong checksum digit, a short line 2, a letter
in the epoch, a missing line 2, JSON cut before its closing bracket, CSV cut mid-row).  Its
``expected.json`` files are the independent reference for catalog numbers and values, and
python-sgp4 (``Satrec.twoline2rv`` on the same lines) the reference for propagation.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from sgp4.api import WGS72, Satrec

from satveto.catalog.omm import RejectReason, validate_catalog
from satveto.catalog.sources import FileSource, SourceError
from satveto.catalog.tle import alpha5_decode, parse_tle_text, validate_tle_text
from support import BlockingEngineClient

CORPUS = Path(str(files("gpconf") / "corpus"))
DERIVED = CORPUS / "derived"
ALPHA5_FILES = sorted((DERIVED / "alpha5-tle").glob("*.tle"))
CORRUPT = DERIVED / "corrupt-input"
EXPECTED = json.loads((CORPUS / "fixtures/alpha5-tle-derived/expected.json").read_text())
VECTORS = json.loads((CORPUS / "vectors/alpha5.json").read_text())

# Offsets from each set's epoch at which the engine and python-sgp4 are compared (days).
OFFSETS_D = (-1.0, -0.25, 0.0, 0.1, 0.5, 1.0)
POSITION_TOLERANCE_KM = 1e-5  # 1 cm: both read the same lines; only the epoch path differs


def read(path: Path) -> str:
    return path.read_text(encoding="ascii")  # CRLF kept: the files are served that way


def test_the_corpus_is_the_one_described() -> None:
    assert len(ALPHA5_FILES) == 6
    assert len(EXPECTED["records"]) == 750


# --- Alpha-5 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector",
    VECTORS["official_examples"]
    + VECTORS["boundaries"]
    + VECTORS["skip_boundaries"]
    + VECTORS["below_100000"],
    ids=lambda v: v["field"],
)
def test_alpha5_vectors_decode(vector: dict[str, Any]) -> None:
    assert alpha5_decode(vector["field"]) == vector["norad_cat_id"]


@pytest.mark.parametrize("vector", VECTORS["decode_invalid"], ids=lambda v: v["field"])
def test_alpha5_invalid_fields_are_refused(vector: dict[str, Any]) -> None:
    assert alpha5_decode(vector["field"]) is None


# --- the valid sets -------------------------------------------------------------------------


def _all_valid_sets() -> list[dict[str, Any]]:
    records = []
    for path in ALPHA5_FILES:
        result, truncated = validate_tle_text(read(path))
        assert not truncated
        assert result.rejected == 0, (path.name, result.summary())
        for record in result.records:
            records.append({**record, "_file": path.name})
    return records


@pytest.fixture(scope="module")
def valid_sets() -> list[dict[str, Any]]:
    return _all_valid_sets()


def test_every_valid_set_loads_under_its_catalog_number(valid_sets: list[dict[str, Any]]) -> None:
    expected = Counter((r["derived_file"], r["norad_cat_id"]) for r in EXPECTED["records"])
    got = Counter((r["_file"], r["NORAD_CAT_ID"]) for r in valid_sets)
    assert got == expected
    assert len(valid_sets) == 750
    assert min(r["NORAD_CAT_ID"] for r in valid_sets) == 100000
    assert all(r["NORAD_CAT_ID"] > 99999 for r in valid_sets)


def test_values_match_the_corpus_reference(valid_sets: list[dict[str, Any]]) -> None:
    """Each set's values against the corpus's canonical OMM values (TLE precision allowed)."""
    by_id = {(r["_file"], r["NORAD_CAT_ID"]): r for r in valid_sets}
    for ref in EXPECTED["records"]:
        got = by_id[(ref["derived_file"], ref["norad_cat_id"])]
        canon = ref["canonical"]
        tle_differs = ref["by_format"]["tle"].get("differs_from_omm", {})
        epoch = dt.datetime.fromisoformat(got["EPOCH"])
        assert abs((epoch - dt.datetime.fromisoformat(canon["epoch"])).total_seconds()) < 1e-3
        assert got["MEAN_MOTION"] == pytest.approx(float(canon["mean_motion"]), abs=1e-8)
        for key in ("inclination", "ra_of_asc_node", "arg_of_pericenter", "mean_anomaly"):
            assert got[key.upper()] == pytest.approx(float(canon[key]), abs=1e-4), key
        ecc = float(tle_differs.get("eccentricity", canon["eccentricity"]))
        assert got["ECCENTRICITY"] == pytest.approx(ecc, abs=1e-7)
        bstar = float(tle_differs.get("bstar", canon["bstar"]))
        assert got["BSTAR"] == pytest.approx(bstar, rel=1e-4, abs=1e-12)
        assert got["MEAN_MOTION_DOT"] == pytest.approx(float(canon["mean_motion_dot"]), abs=1e-8)


def _mjd_of(satrec: Satrec) -> float:
    return (satrec.jdsatepoch - 2400000.5) + satrec.jdsatepochF


def test_every_valid_set_propagates_as_python_sgp4(
    valid_sets: list[dict[str, Any]], engine_rpc: BlockingEngineClient
) -> None:
    """The engine, fed our OMM-shaped record, against python-sgp4 fed the original lines."""
    by_id = {(r["_file"], r["NORAD_CAT_ID"]): r for r in valid_sets}
    compared = 0
    for path in ALPHA5_FILES:
        lines = [line for line in read(path).splitlines() if line.strip()]
        for i in range(0, len(lines), 3):
            line1, line2 = lines[i + 1].rstrip(), lines[i + 2].rstrip()
            satrec = Satrec.twoline2rv(line1, line2, WGS72)
            record = by_id[(path.name, satrec.satnum)]
            epoch_mjd = _mjd_of(satrec)
            mjds = [epoch_mjd + off for off in OFFSETS_D]
            # python-sgp4 is given UTC Julian dates: the engine is told the scale.
            ours = engine_rpc.call(
                "propagate", {"elements": record, "mjd": mjds, "time_scale": "utc"}
            )
            for k, mjd in enumerate(mjds):
                jd = 2400000.5 + math.floor(mjd)
                error, r, _ = satrec.sgp4(jd, mjd - math.floor(mjd))
                assert ours["errors"][k] == error, (path.name, satrec.satnum, k)
                if error == 0:
                    distance = math.dist(ours["r_km"][k], r)
                    assert distance < POSITION_TOLERANCE_KM, (path.name, satrec.satnum, distance)
                compared += 1
    assert compared == 750 * len(OFFSETS_D)


def test_every_valid_set_loads_into_the_engine(
    valid_sets: list[dict[str, Any]], engine_rpc: BlockingEngineClient
) -> None:
    # Same id in two files (the saramago-first set is also in the snapshot): one catalog per file.
    for path in ALPHA5_FILES:
        records = [
            {k: v for k, v in r.items() if k != "_file"}
            for r in valid_sets
            if r["_file"] == path.name
        ]
        result = engine_rpc.call(
            "load_catalog",
            {"generation": path.stem[:100], "fetched_at_unix": 1.0, "objects": records},
        )
        assert result == {"accepted": len(records), "rejected": []}


# --- the corrupt inputs ---------------------------------------------------------------------

CORRUPT_CASES = {
    "c1-checksum-digit.tle": (RejectReason.BAD_CHECKSUM, "line1"),
    "c2-line-2-short.tle": (RejectReason.BAD_LENGTH, "line2"),
    "c3-letter-in-epoch.tle": (RejectReason.BAD_EPOCH, "EPOCH"),
    "c4-line-2-missing.tle": (RejectReason.MISSING_LINE, "line2"),
}


@pytest.mark.parametrize("name", sorted(CORRUPT_CASES))
def test_each_corrupt_set_is_refused_by_reason_and_the_neighbours_load(name: str) -> None:
    unedited, _ = validate_tle_text(read(CORRUPT / "unedited-sets.tle"))
    assert unedited.accepted == 3
    result, truncated = validate_tle_text(read(CORRUPT / name))
    reason, field = CORRUPT_CASES[name]
    assert not truncated
    assert result.rejected == 1
    assert result.rejections_by_field == {reason.value: {field: 1}}
    # The neighbours are exactly what the unedited file gives; the corrupt one is absent.
    neighbours = [r for r in unedited.records if r["NORAD_CAT_ID"] != 69999]
    assert result.records == neighbours


def test_a_corrupt_tle_file_through_the_file_source_keeps_its_reasons(tmp_path: Path) -> None:
    """The file source reads TLE text by content and hands the TLE rejections on."""
    path = tmp_path / "elements.txt"
    path.write_bytes((CORRUPT / "c2-line-2-short.tle").read_bytes())
    raw = FileSource(path)._read()
    assert [r.reason for r in raw.rejected] == [RejectReason.BAD_LENGTH]
    assert sorted(r["NORAD_CAT_ID"] for r in raw.records) == [20453, 25544]  # type: ignore[index]


def test_the_omm_json_path_reads_the_same_records(tmp_path: Path) -> None:
    path = tmp_path / "gp.json"
    path.write_bytes((CORRUPT / "unedited-array.json").read_bytes())
    raw = FileSource(path)._read()
    json_result = validate_catalog(raw.records)
    tle_result, _ = validate_tle_text(read(CORRUPT / "unedited-sets.tle"))
    assert json_result.accepted == 3
    assert json_result.rejected == 0
    by_id = {r["NORAD_CAT_ID"]: r for r in tle_result.records}
    for record in json_result.records:
        other = by_id[record["NORAD_CAT_ID"]]
        # Same objects; TLE precision (7-digit eccentricity, 5-digit BSTAR, 864 us epochs).
        assert record["MEAN_MOTION"] == other["MEAN_MOTION"]
        assert record["ECCENTRICITY"] == pytest.approx(other["ECCENTRICITY"], abs=1e-7)
        assert record["EPOCH"][:19] == other["EPOCH"][:19]


@pytest.mark.parametrize("name", ["c5-cut-closing-bracket.json", "c5-cut-last-row.csv"])
def test_a_cut_omm_file_is_refused_as_a_whole(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes((CORRUPT / name).read_bytes())
    with pytest.raises(SourceError) as error:
        FileSource(path)._read()
    assert error.value.outcome == "bad_response"


def test_corpus_counts() -> None:
    """The counts the issue asks for, printed for the report (``pytest -s``) and asserted."""
    counts: Counter[str] = Counter()
    for path in [*ALPHA5_FILES, *sorted(CORRUPT.glob("c*.tle"))]:
        parsed = parse_tle_text(read(path))
        result, _ = validate_tle_text(read(path))
        counts["sets"] += parsed.sets
        counts["accepted"] += result.accepted
        for reason, n in result.rejections.items():
            if n:
                counts[f"rejected:{reason}"] += n
    print(dict(counts))
    assert counts == {
        "sets": 762,
        "accepted": 758,
        "rejected:bad_checksum": 1,
        "rejected:bad_length": 1,
        "rejected:bad_epoch": 1,
        "rejected:missing_line": 1,
    }
