"""Tests for satveto.catalog.omm: typing, rejection reasons, duplicates and sgp4 compatibility."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import pytest
from sgp4 import omm
from sgp4.api import WGS72, Satrec, jday

from satveto.catalog.omm import (
    FIELDS,
    TLE_REASONS,
    Rejection,
    RejectReason,
    sgp4_omm_fields,
    validate_catalog,
    validate_record,
)

# Shaped like one element of space-track's /class/gp/format/json answer: every value a string,
# plenty of keys the engine does not use, a null DECAY_DATE.  The elements are invented.
SPACE_TRACK_RECORD: dict[str, object] = {
    "CCSDS_OMM_VERS": "3.0",
    "COMMENT": "GENERATED VIA SPACE-TRACK.ORG API",
    "CREATION_DATE": "2026-11-20T18:06:47",
    "ORIGINATOR": "18 SPCS",
    "OBJECT_NAME": "ISS (ZARYA)",
    "OBJECT_ID": "1998-067A",
    "CENTER_NAME": "EARTH",
    "REF_FRAME": "TEME",
    "TIME_SYSTEM": "UTC",
    "MEAN_ELEMENT_THEORY": "SGP4",
    "EPOCH": "2026-11-20T12:34:56.123456",
    "MEAN_MOTION": "15.49560532",
    "ECCENTRICITY": "0.00070130",
    "INCLINATION": "51.6393",
    "RA_OF_ASC_NODE": "200.1234",
    "ARG_OF_PERICENTER": "60.1234",
    "MEAN_ANOMALY": "300.0000",
    "EPHEMERIS_TYPE": "0",
    "CLASSIFICATION_TYPE": "U",
    "NORAD_CAT_ID": "25544",
    "ELEMENT_SET_NO": "999",
    "REV_AT_EPOCH": "48000",
    "BSTAR": "0.00021570",
    "MEAN_MOTION_DOT": "0.00012345",
    "MEAN_MOTION_DDOT": "0.0000000000000",
    "SEMIMAJOR_AXIS": "6797.000",
    "PERIOD": "92.930",
    "APOAPSIS": "424.000",
    "PERIAPSIS": "414.000",
    "OBJECT_TYPE": "PAYLOAD",
    "RCS_SIZE": "LARGE",
    "COUNTRY_CODE": "ISS",
    "LAUNCH_DATE": "1998-11-20",
    "SITE": "TTMTR",
    "DECAY_DATE": None,
    "FILE": "4000000",
    "GP_ID": "280000000",
    "TLE_LINE0": "0 ISS (ZARYA)",
    "TLE_LINE1": "1 25544U 98067A   ...",
    "TLE_LINE2": "2 25544  51.6393 ...",
}

EXPECTED: dict[str, object] = {
    "NORAD_CAT_ID": 25544,
    "OBJECT_NAME": "ISS (ZARYA)",
    "EPOCH": "2026-11-20T12:34:56.123456",
    "MEAN_MOTION": 15.49560532,
    "ECCENTRICITY": 0.0007013,
    "INCLINATION": 51.6393,
    "RA_OF_ASC_NODE": 200.1234,
    "ARG_OF_PERICENTER": 60.1234,
    "MEAN_ANOMALY": 300.0,
    "BSTAR": 0.0002157,
    "MEAN_MOTION_DOT": 0.00012345,
    "MEAN_MOTION_DDOT": 0.0,
}

NOW = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
FLOAT_FIELDS = [f for f in FIELDS if f not in ("NORAD_CAT_ID", "OBJECT_NAME", "EPOCH")]
REQUIRED_FIELDS = [f for f in FIELDS if f != "OBJECT_NAME"]


def raw(**changes: object) -> dict[str, object]:
    """The space-track record with some fields replaced (a value of ``...`` deletes the key)."""
    record = dict(SPACE_TRACK_RECORD)
    for key, value in changes.items():
        if value is Ellipsis:
            del record[key]
        else:
            record[key] = value
    return record


def numeric(record: dict[str, object]) -> dict[str, object]:
    """The same record as a local JSON file with native numbers would give it."""
    out = dict(record)
    out["NORAD_CAT_ID"] = int(str(record["NORAD_CAT_ID"]))
    for key in FLOAT_FIELDS:
        out[key] = float(str(record[key]))
    return out


def assert_rejected(result: object, reason: RejectReason, field: str | None) -> None:
    assert isinstance(result, Rejection), result
    assert (result.reason, result.field) == (reason, field)


# --- accepted records ---------------------------------------------------------------------


def test_space_track_record_is_typed_exactly() -> None:
    result = validate_record(SPACE_TRACK_RECORD)
    assert not isinstance(result, Rejection)
    types = {key: type(value) for key, value in result.items()}
    assert types == {key: type(value) for key, value in EXPECTED.items()}
    assert result == EXPECTED
    assert list(result) == list(FIELDS)  # exactly the twelve keys, in a fixed order
    assert result.__class__ is dict  # a plain dict at runtime, as msgpack wants


def test_numeric_input_gives_identical_output() -> None:
    result = validate_record(numeric(SPACE_TRACK_RECORD))
    assert not isinstance(result, Rejection)
    assert result == EXPECTED
    assert type(result["MEAN_ANOMALY"]) is float


def test_ints_in_float_fields_become_floats() -> None:
    result = validate_record(raw(MEAN_ANOMALY=300, MEAN_MOTION_DDOT=0, INCLINATION="51"))
    assert not isinstance(result, Rejection)
    assert type(result["MEAN_ANOMALY"]) is float
    assert result["MEAN_ANOMALY"] == 300.0
    assert type(result["MEAN_MOTION_DDOT"]) is float
    assert result["INCLINATION"] == 51.0


def test_numpy_scalars_and_other_mappings_are_accepted() -> None:
    record = raw(NORAD_CAT_ID=np.int64(25544), MEAN_MOTION=np.float64(15.49560532))
    record["ECCENTRICITY"] = np.float32(0.5)
    result = validate_record(MappingProxyType(record))
    assert not isinstance(result, Rejection)
    assert type(result["NORAD_CAT_ID"]) is int
    assert result["NORAD_CAT_ID"] == 25544
    assert type(result["MEAN_MOTION"]) is float
    assert result["MEAN_MOTION"] == 15.49560532
    assert type(result["ECCENTRICITY"]) is float
    assert result["ECCENTRICITY"] == 0.5


def test_exponent_notation_and_integral_float_id() -> None:
    result = validate_record(raw(BSTAR="-1.1606E-4", NORAD_CAT_ID=25544.0))
    assert not isinstance(result, Rejection)
    assert result["BSTAR"] == -1.1606e-4
    assert result["NORAD_CAT_ID"] == 25544


@pytest.mark.parametrize("norad", ["100000", "270001", "999999999", 123456789])
def test_ids_above_99999_are_ordinary(norad: object) -> None:
    result = validate_record(raw(NORAD_CAT_ID=norad))
    assert not isinstance(result, Rejection)
    assert result["NORAD_CAT_ID"] == int(str(norad))


@pytest.mark.parametrize("name", [None, ...])
def test_missing_or_null_name_becomes_empty(name: object) -> None:
    result = validate_record(raw(OBJECT_NAME=name))
    assert not isinstance(result, Rejection)
    assert result["OBJECT_NAME"] == ""


@pytest.mark.parametrize(
    ("epoch", "normalised"),
    [
        ("2026-11-20T12:34:56", "2026-11-20T12:34:56.000000"),
        ("2026-11-20T12:34:56Z", "2026-11-20T12:34:56.000000"),
        ("2026-11-20T12:34:56.5", "2026-11-20T12:34:56.500000"),
        ("2026-11-20T12:34:56.123", "2026-11-20T12:34:56.123000"),
        ("2026-11-20T12:34:56.123456Z", "2026-11-20T12:34:56.123456"),
        ("2026-11-20T12:34:56.123456789", "2026-11-20T12:34:56.123456"),
        ("2026-11-20T12:34:56.123456+00:00", "2026-11-20T12:34:56.123456"),
        ("2028-02-29T00:00:00", "2028-02-29T00:00:00.000000"),
        ("1900-01-01T00:00:00", "1900-01-01T00:00:00.000000"),
        ("2199-12-31T23:59:59.999999999", "2199-12-31T23:59:59.999999"),
    ],
)
def test_epoch_normalisation(epoch: str, normalised: str) -> None:
    result = validate_record(raw(EPOCH=epoch))
    assert not isinstance(result, Rejection)
    assert result["EPOCH"] == normalised


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ECCENTRICITY", "0"),
        ("INCLINATION", "0"),
        ("INCLINATION", "180"),
        ("RA_OF_ASC_NODE", "360"),
        ("ARG_OF_PERICENTER", "0.0"),
        ("MEAN_ANOMALY", "360.0000"),
        ("MEAN_MOTION", "0.0001"),
        ("MEAN_MOTION", "19.99"),
        ("ECCENTRICITY", "0.9999999"),
        ("BSTAR", "-0.5"),
        ("MEAN_MOTION_DOT", "-0.99999999"),
        ("MEAN_MOTION_DDOT", "1.2345E-5"),
        ("NORAD_CAT_ID", "1"),
    ],
)
def test_boundary_values_are_accepted(field: str, value: str) -> None:
    assert not isinstance(validate_record(raw(**{field: value})), Rejection)


# --- rejections ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[1, 2], "not a record", None, 42, ("NORAD_CAT_ID", "1")])
def test_not_an_object(bad: object) -> None:
    assert_rejected(validate_record(bad), RejectReason.NOT_AN_OBJECT, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
@pytest.mark.parametrize("how", ["absent", "null", "empty", "blank"])
def test_missing_field(field: str, how: str) -> None:
    value = {"absent": ..., "null": None, "empty": "", "blank": "  "}[how]
    assert_rejected(validate_record(raw(**{field: value})), RejectReason.MISSING_FIELD, field)


@pytest.mark.parametrize("field", FLOAT_FIELDS)
@pytest.mark.parametrize(
    "value", ["abc", "1,5", "1_0", "0x10", True, False, [1.0], {"v": 1.0}, Decimal("1"), 1j]
)
def test_wrong_type_float_fields(field: str, value: object) -> None:
    assert_rejected(validate_record(raw(**{field: value})), RejectReason.WRONG_TYPE, field)


@pytest.mark.parametrize(
    "value", ["25544.0", "2554A", "+25544", "-1", "1_000", "\u0661\u0662", True, 25544.5, [1]]
)
def test_wrong_type_norad(value: object) -> None:
    result = validate_record(raw(NORAD_CAT_ID=value))
    assert_rejected(result, RejectReason.WRONG_TYPE, "NORAD_CAT_ID")


@pytest.mark.parametrize("value", [5, 1.5, True, ["ISS"]])
def test_wrong_type_name(value: object) -> None:
    assert_rejected(validate_record(raw(OBJECT_NAME=value)), RejectReason.WRONG_TYPE, "OBJECT_NAME")


@pytest.mark.parametrize("value", [1700000000, 1.7e9, True, datetime(2026, 11, 20)])
def test_wrong_type_epoch(value: object) -> None:
    assert_rejected(validate_record(raw(EPOCH=value)), RejectReason.WRONG_TYPE, "EPOCH")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NORAD_CAT_ID", "0"),
        ("NORAD_CAT_ID", 0),
        ("NORAD_CAT_ID", -5),
        ("NORAD_CAT_ID", "1000000000"),
        ("NORAD_CAT_ID", 10**20),
        ("MEAN_MOTION", "0"),
        ("MEAN_MOTION", "-15.5"),
        ("MEAN_MOTION", "20"),
        ("MEAN_MOTION", 20.0),
        ("ECCENTRICITY", "1"),
        ("ECCENTRICITY", "1.0000000"),
        ("ECCENTRICITY", 1.0),
        ("ECCENTRICITY", 1),
        ("ECCENTRICITY", "1.2"),
        ("ECCENTRICITY", "-0.0001"),
        ("INCLINATION", "180.0001"),
        ("INCLINATION", "-0.1"),
        ("RA_OF_ASC_NODE", "360.0001"),
        ("ARG_OF_PERICENTER", "-1"),
        ("MEAN_ANOMALY", "720"),
        ("BSTAR", "11"),
        ("BSTAR", -10.5),
        ("MEAN_MOTION_DOT", "1.5"),
        ("MEAN_MOTION_DDOT", "-2"),
        ("INCLINATION", "nan"),
        ("INCLINATION", "NaN"),
        ("BSTAR", "inf"),
        ("BSTAR", "-Infinity"),
        ("ECCENTRICITY", math.nan),
        ("MEAN_ANOMALY", math.inf),
        ("MEAN_MOTION_DOT", np.float64("nan")),
        ("MEAN_MOTION_DDOT", 10**400),
        ("MEAN_MOTION", "1e400"),
    ],
)
def test_out_of_range(field: str, value: object) -> None:
    assert_rejected(validate_record(raw(**{field: value})), RejectReason.OUT_OF_RANGE, field)


@pytest.mark.parametrize(
    "epoch",
    [
        "2026-11-20",
        "2026-11-20 12:34:56",
        "2026-11-20T12:34",
        "2026-11-20T12:34:56.",
        "2026-11-20T12:34:56.1234567890",
        "2026-11-20T12:34:56+01:00",
        "2026-11-20T12:34:56-05:00",
        "2026-11-20T12:34:56.123456 UTC",
        "2026-13-01T00:00:00",
        "2026-02-30T00:00:00",
        "2026-11-20T24:00:00",
        "2026-11-20T12:60:00",
        "2026-11-20T12:34:60",
        "20261120T123456",
        "26324.52425489",
        "2026-11-20T12:34:56z",
        "\u0662026-11-20T12:34:56",
        "1899-12-31T23:59:59.999999",
        "2200-01-01T00:00:00",
        "0000-01-01T00:00:00",
    ],
)
def test_bad_epoch(epoch: str) -> None:
    assert_rejected(validate_record(raw(EPOCH=epoch)), RejectReason.BAD_EPOCH, "EPOCH")


def test_rejection_text_names_the_field_but_never_the_value() -> None:
    secret = "1234.567891"
    result = validate_record(raw(INCLINATION=secret))
    assert_rejected(result, RejectReason.OUT_OF_RANGE, "INCLINATION")
    for text in (str(result), repr(result)):
        assert "INCLINATION" in text
        assert secret not in text
        assert "1234" not in text
    assert str(result) == "out_of_range: INCLINATION"
    assert str(Rejection(RejectReason.NOT_AN_OBJECT, None)) == "not_an_object"


def test_input_record_is_not_modified() -> None:
    record = raw()
    before = dict(record)
    validate_record(record)
    assert record == before


# --- whole catalogs -----------------------------------------------------------------------


def catalog_record(norad: int, epoch: str, **changes: object) -> dict[str, object]:
    return raw(NORAD_CAT_ID=str(norad), EPOCH=epoch, **changes)


def test_catalog_counts_every_reason_with_stable_keys() -> None:
    items: list[object] = [
        catalog_record(1, "2026-11-20T00:00:00"),
        catalog_record(2, "2026-11-20T00:00:00", INCLINATION=...),
        catalog_record(3, "2026-11-20T00:00:00", BSTAR="x"),
        catalog_record(4, "2026-11-20T00:00:00", ECCENTRICITY="1.5"),
        catalog_record(5, "yesterday"),
        catalog_record(6, "2026-10-01T00:00:00"),  # 51 days old
        catalog_record(7, "2026-11-23T00:00:00"),  # 2 days ahead
        catalog_record(1, "2026-11-19T00:00:00"),  # older duplicate of 1
        "garbage",
        catalog_record(8, "2026-11-21T23:59:59"),  # just inside the one-day future window
    ]
    result = validate_catalog(iter(items), now=NOW, max_epoch_age_days=30)
    assert [r["NORAD_CAT_ID"] for r in result.records] == [1, 8]
    assert result.total == len(items)
    assert result.accepted == 2
    assert result.rejected == len(items) - 2
    assert result.rejections == {
        reason.value: 0 if reason in TLE_REASONS else 1 for reason in RejectReason
    }
    assert result.rejections_by_field == {
        "missing_field": {"INCLINATION": 1},
        "wrong_type": {"BSTAR": 1},
        "out_of_range": {"ECCENTRICITY": 1},
        "bad_epoch": {"EPOCH": 1},
        "stale_epoch": {"EPOCH": 1},
        "future_epoch": {"EPOCH": 1},
        "duplicate_id": {"NORAD_CAT_ID": 1},
        "not_an_object": {"": 1},
    }
    assert all(type(k) is str for k in result.rejections)


def test_summary_is_log_safe() -> None:
    items = [catalog_record(25544, "2026-11-20T00:00:00", MEAN_MOTION="99.5")] * 2
    summary = validate_catalog(items).summary()
    assert summary == "total=2 accepted=0 out_of_range=2"
    assert "25544" not in summary
    assert "99.5" not in summary


@pytest.mark.parametrize("newest_first", [True, False])
def test_duplicates_keep_newest_epoch(newest_first: bool) -> None:
    old = catalog_record(42, "2026-11-19T10:00:00.000001", MEAN_ANOMALY="10")
    new = catalog_record(42, "2026-11-19T10:00:00.000002", MEAN_ANOMALY="20")
    other = catalog_record(7, "2026-11-18T00:00:00", MEAN_ANOMALY="30")
    items = [new, other, old] if newest_first else [old, other, new]
    result = validate_catalog(items)
    assert [(r["NORAD_CAT_ID"], r["MEAN_ANOMALY"]) for r in result.records] == [
        (42, 20.0),
        (7, 30.0),
    ]
    assert result.rejections["duplicate_id"] == 1


def test_duplicates_compare_normalised_epochs() -> None:
    # "…:56Z" and "…:56.5" would sort wrongly as raw strings; normalised they do not.
    a = catalog_record(9, "2026-11-20T12:34:56Z", MEAN_ANOMALY="1")
    b = catalog_record(9, "2026-11-20T12:34:56.5", MEAN_ANOMALY="2")
    for items in ([a, b], [b, a]):
        (kept,) = validate_catalog(items).records
        assert kept["MEAN_ANOMALY"] == 2.0


def test_duplicate_with_equal_epoch_keeps_first_and_mixed_id_types_collide() -> None:
    first = catalog_record(11, "2026-11-20T00:00:00", MEAN_ANOMALY="1")
    second = numeric(catalog_record(11, "2026-11-20T00:00:00.000000", MEAN_ANOMALY="2"))
    result = validate_catalog([first, second, second])
    assert [r["MEAN_ANOMALY"] for r in result.records] == [1.0]
    assert result.rejections["duplicate_id"] == 2


def test_invalid_or_out_of_window_records_never_displace_a_good_one() -> None:
    good = catalog_record(5, "2026-11-20T00:00:00", MEAN_ANOMALY="1")
    future = catalog_record(5, "2026-11-25T00:00:00", MEAN_ANOMALY="2")
    broken = catalog_record(5, "2026-11-20T06:00:00", MEAN_ANOMALY="-3")
    result = validate_catalog([good, future, broken], now=NOW)
    assert [r["MEAN_ANOMALY"] for r in result.records] == [1.0]
    assert result.rejections["future_epoch"] == 1
    assert result.rejections["out_of_range"] == 1
    assert result.rejections["duplicate_id"] == 0


def test_epoch_windows() -> None:
    items = [
        catalog_record(1, (NOW - timedelta(days=3, seconds=-1)).strftime("%Y-%m-%dT%H:%M:%S")),
        catalog_record(2, (NOW - timedelta(days=3, seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")),
        catalog_record(3, (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")),
        catalog_record(4, (NOW + timedelta(days=1, microseconds=1)).isoformat()[:26]),
    ]
    result = validate_catalog(items, now=NOW, max_epoch_age_days=3)
    assert [r["NORAD_CAT_ID"] for r in result.records] == [1, 3]
    assert result.rejections["stale_epoch"] == 1
    assert result.rejections["future_epoch"] == 1
    # Without max_epoch_age_days only the future check applies; without now, neither does.
    assert validate_catalog(items, now=NOW).accepted == 3
    assert validate_catalog(items).accepted == 4
    # Another time zone for now is converted, not misread.
    east = NOW.astimezone(timezone(timedelta(hours=10)))
    assert validate_catalog(items, now=east, max_epoch_age_days=3).accepted == 2
    assert validate_catalog(items, now=NOW, max_future_days=2).accepted == 4


def test_catalog_argument_errors() -> None:
    with pytest.raises(ValueError, match="aware"):
        validate_catalog([], now=datetime(2026, 11, 21))
    with pytest.raises(ValueError, match="now"):
        validate_catalog([], max_epoch_age_days=3)
    empty = validate_catalog([], now=NOW, max_epoch_age_days=1e12)
    assert empty.accepted == empty.total == empty.rejected == 0


def test_string_and_numeric_catalogs_agree() -> None:
    items = [catalog_record(n, f"2026-11-20T{n:02d}:00:00") for n in range(1, 20)]
    as_strings = validate_catalog(items).records
    as_numbers = validate_catalog(numeric(r) for r in items).records
    assert as_strings == as_numbers
    assert len(as_strings) == 19


# --- python-sgp4 --------------------------------------------------------------------------


def test_validated_record_initialises_in_sgp4() -> None:
    record = validate_record(SPACE_TRACK_RECORD)
    assert not isinstance(record, Rejection)
    fields = sgp4_omm_fields(record)
    assert all(type(v) is str for v in fields.values())

    sat = Satrec()
    omm.initialize(sat, fields)
    assert sat.error == 0
    assert sat.satnum == 25544
    jd, fr = jday(2026, 11, 20, 12, 34, 56.123456)
    assert (sat.jdsatepoch - jd) + (sat.jdsatepochF - fr) == pytest.approx(0.0, abs=1e-9)
    assert sat.no_kozai == pytest.approx(15.49560532 * 2 * math.pi / 1440.0, rel=1e-12)

    # Validation changes representation, never values: same satellite as from the raw strings.
    reference = Satrec()
    omm.initialize(reference, {k: v for k, v in SPACE_TRACK_RECORD.items() if v is not None})
    for minutes in (0.0, 90.0, 1440.0, -2880.0):
        e1, r1, v1 = sat.sgp4_tsince(minutes)
        e2, r2, v2 = reference.sgp4_tsince(minutes)
        assert e1 == e2 == 0
        assert r1 == r2
        assert v1 == v2
        assert 6700 < math.dist(r1, (0.0, 0.0, 0.0)) < 6850


def test_fractionless_and_numeric_records_initialise_in_sgp4() -> None:
    record = validate_record(numeric(raw(EPOCH="2026-11-20T12:34:56Z", NORAD_CAT_ID="270001")))
    assert not isinstance(record, Rejection)
    sat = Satrec()
    omm.initialize(sat, sgp4_omm_fields(record), gravconst=WGS72)
    assert sat.error == 0
    assert sat.satnum == 270001
    error, _, _ = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF + 1.0)
    assert error == 0


def test_python_sgp4_catalog_number_limit_is_a_library_limit() -> None:
    # Valid catalog numbers above 339999 exist but python-sgp4 cannot represent them; this
    # pins the limit so that a fix upstream (or a regression) is noticed.
    record = validate_record(raw(NORAD_CAT_ID="340000"))
    assert not isinstance(record, Rejection)
    with pytest.raises(ValueError, match="339999"):
        omm.initialize(Satrec(), sgp4_omm_fields(record))


@pytest.fixture
def many_records() -> list[dict[str, object]]:
    return [catalog_record(n, "2026-11-20T00:00:00") for n in range(1, 2001)]


def test_moderate_catalog_roundtrip(many_records: list[dict[str, object]]) -> None:
    result = validate_catalog(many_records, now=NOW, max_epoch_age_days=7)
    assert result.accepted == 2000
    assert result.rejected == 0
    assert all(list(r) == list(FIELDS) for r in result.records)
