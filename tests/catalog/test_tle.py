"""The TLE reader: layout, checksums, Alpha-5, epochs, orphan lines, truncation, file source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satveto.catalog.omm import RejectReason
from satveto.catalog.sources import FileSource, SourceError
from satveto.catalog.synthetic import build_demo_catalog
from satveto.catalog.tle import looks_like_tle, parse_tle_text, tle_checksum, validate_tle_text
from tle_writer import checksum, render, render_all

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
R = RejectReason

ISS_1 = "1 25544U 98067A   98324.28472222 -.00003657  11563-4  00000+0 0    10"
ISS_2 = "2 25544  51.5908 168.3788 0125362  86.4185 359.7454 16.05064833    05"


def with_checksum(line: str) -> str:
    return line[:68] + checksum(line)


def reasons(text: str) -> list[tuple[str, str | None]]:
    return [(r.reason.value, r.field) for r in parse_tle_text(text).rejections]


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    records = build_demo_catalog(NOW, count=300)
    for i, record in enumerate(records[:50]):  # Alpha-5 ids too
        record["NORAD_CAT_ID"] = 100000 + 4799 * i
    return records


def test_checksum_counts_digits_and_minus_signs() -> None:
    assert tle_checksum(ISS_1) == 0
    assert tle_checksum(ISS_2) == 5


def test_a_real_set_reads_exactly() -> None:
    parsed = parse_tle_text(f"ISS (ZARYA)\n{ISS_1}\n{ISS_2}\n")
    assert parsed.rejections == []
    assert parsed.records == [
        {
            "NORAD_CAT_ID": 25544,
            "OBJECT_NAME": "ISS (ZARYA)",
            "EPOCH": "1998-11-20T06:49:59.999808",  # day 324.28472222, exact in microseconds
            "MEAN_MOTION": 16.05064833,
            "ECCENTRICITY": 0.0125362,
            "INCLINATION": 51.5908,
            "RA_OF_ASC_NODE": 168.3788,
            "ARG_OF_PERICENTER": 86.4185,
            "MEAN_ANOMALY": 359.7454,
            "BSTAR": 0.0,
            "MEAN_MOTION_DOT": -0.00003657,
            "MEAN_MOTION_DDOT": 0.11563e-4,
        }
    ]


def test_writer_round_trip_in_two_and_three_line_forms(catalog: list[dict]) -> None:
    for names in (True, False):
        result, truncated = validate_tle_text(render_all(catalog, names=names), NOW)
        assert not truncated
        assert result.rejected == 0
        assert [r["NORAD_CAT_ID"] for r in result.records] == [r["NORAD_CAT_ID"] for r in catalog]
        for got, want in zip(result.records, catalog, strict=True):
            assert got["MEAN_MOTION"] == pytest.approx(want["MEAN_MOTION"], abs=1e-8)
            assert got["INCLINATION"] == pytest.approx(want["INCLINATION"], abs=1e-4)
            assert got["ECCENTRICITY"] == pytest.approx(want["ECCENTRICITY"], abs=1e-7)
            assert got["OBJECT_NAME"] == (want["OBJECT_NAME"] if names else "")


def test_space_track_3le_names_and_crlf() -> None:
    parsed = parse_tle_text(f"0 ISS (ZARYA)\r\n{ISS_1}\r\n{ISS_2}\r\n")
    assert parsed.records[0]["OBJECT_NAME"] == "ISS (ZARYA)"


@pytest.mark.parametrize(
    ("line1", "line2", "expected"),
    [
        (ISS_1[:-1], ISS_2, ("bad_length", "line1")),
        (ISS_1 + "0", ISS_2, ("bad_length", "line1")),
        (with_checksum(ISS_1[:8] + "X" + ISS_1[9:]), ISS_2, ("bad_layout", "line1")),
        (ISS_1, with_checksum(ISS_2[:7] + "0" + ISS_2[8:]), ("bad_layout", "line2")),
        (ISS_1[:68] + "9", ISS_2, ("bad_checksum", "line1")),
        (ISS_1, ISS_2[:68] + "9", ("bad_checksum", "line2")),
        (ISS_1, with_checksum(ISS_2[:2] + "25545" + ISS_2[7:]), ("id_mismatch", "NORAD_CAT_ID")),
        (
            with_checksum(ISS_1[:2] + "I5544" + ISS_1[7:]),
            with_checksum(ISS_2[:2] + "I5544" + ISS_2[7:]),
            ("wrong_type", "NORAD_CAT_ID"),
        ),
        (
            with_checksum(ISS_1[:2] + "a5544" + ISS_1[7:]),
            with_checksum(ISS_2[:2] + "a5544" + ISS_2[7:]),
            ("wrong_type", "NORAD_CAT_ID"),
        ),
        (with_checksum(ISS_1[:20] + "366" + ISS_1[23:]), ISS_2, ("bad_epoch", "EPOCH")),
        (with_checksum(ISS_1[:20] + "000" + ISS_1[23:]), ISS_2, ("bad_epoch", "EPOCH")),
        (with_checksum(ISS_1[:34] + "O" + ISS_1[35:]), ISS_2, ("wrong_type", "MEAN_MOTION_DOT")),
        (with_checksum(ISS_1[:54] + "l" + ISS_1[55:]), ISS_2, ("wrong_type", "BSTAR")),
        (ISS_1, with_checksum(ISS_2[:28] + "O" + ISS_2[29:]), ("wrong_type", "ECCENTRICITY")),
        (ISS_1, with_checksum(ISS_2[:10] + "X" + ISS_2[11:]), ("wrong_type", "INCLINATION")),
        (ISS_1, with_checksum(ISS_2[:53] + "x" + ISS_2[54:]), ("wrong_type", "MEAN_MOTION")),
    ],
)
def test_each_defect_is_refused_by_reason(line1: str, line2: str, expected: tuple) -> None:
    text = f"A\n{line1}\n{line2}\nB\n{ISS_1}\n{ISS_2}\n"
    parsed = parse_tle_text(text)
    assert [(r.reason.value, r.field) for r in parsed.rejections] == [expected]
    assert [r["OBJECT_NAME"] for r in parsed.records] == ["B"]  # the neighbour still loads


def test_day_366_is_valid_in_a_leap_year_only() -> None:
    leap = with_checksum(ISS_1[:18] + "24366.50000000" + ISS_1[32:])
    assert parse_tle_text(f"{leap}\n{ISS_2}\n").records[0]["EPOCH"] == "2024-12-31T12:00:00.000000"
    assert reasons(f"{with_checksum(ISS_1[:18] + '25366.5' + ISS_1[25:])}\n{ISS_2}\n") == [
        ("bad_epoch", "EPOCH")
    ]


def test_out_of_range_values_are_refused_by_the_shared_validator() -> None:
    fast = with_checksum(ISS_2[:52] + "25.00000000" + ISS_2[63:])  # 25 rev/day: below ground
    result, _ = validate_tle_text(f"{ISS_1}\n{fast}\n")
    assert result.rejections_by_field == {"out_of_range": {"MEAN_MOTION": 1}}


def test_orphan_lines_are_refused_and_reading_resumes() -> None:
    text = f"{ISS_2}\nX\n{ISS_1}\nY\n{ISS_1}\n{ISS_2}\n"
    parsed = parse_tle_text(text)
    assert [(r.reason.value, r.field) for r in parsed.rejections] == [
        ("missing_line", "line1"),
        ("missing_line", "line2"),
    ]
    assert [r["OBJECT_NAME"] for r in parsed.records] == ["Y"]
    assert not parsed.truncated


def test_a_text_cut_anywhere_is_flagged_or_loses_nothing(catalog: list[dict]) -> None:
    """Cut at every position of a few sets: either the cut is flagged as truncation, or every
    set that is returned is complete and identical to the uncut reading."""
    text = render_all(catalog[:4])
    full = parse_tle_text(text).records
    for cut in range(1, len(text)):
        parsed = parse_tle_text(text[:cut])
        assert all(r in full for r in parsed.records), cut
        if not parsed.truncated:
            # Undetectable only when the cut falls on a line boundary (a file may end there).
            assert text[cut - 1] == "\n" or text[cut] == "\n", cut
    assert parse_tle_text(text).records == full


def test_content_detection() -> None:
    assert looks_like_tle(f"{ISS_1}\n{ISS_2}\n".encode())
    assert looks_like_tle(f"ISS\n{ISS_1}\n{ISS_2}\n".encode())
    assert looks_like_tle(f"\r\n0 ISS\r\n{ISS_1}\r\n".encode())
    assert not looks_like_tle(b'[{"NORAD_CAT_ID": "25544"}]')
    assert not looks_like_tle(b"  {}")
    assert not looks_like_tle(b"OBJECT_NAME,OBJECT_ID\nISS,1998-067A\n")


def test_file_source_reads_tle_and_refuses_a_cut_file(tmp_path: Path, catalog: list[dict]) -> None:
    path = tmp_path / "cui.txt"
    text = render_all(catalog)
    path.write_text(text)
    raw = FileSource(path)._read()
    assert len(raw.records) == len(catalog)
    assert raw.rejected == ()
    path.write_text(text[: len(text) // 2 + 7])
    with pytest.raises(SourceError) as error:
        FileSource(path)._read()
    assert error.value.outcome == "truncated"
    assert "2 " not in str(error.value)  # the message quotes no line


def test_render_is_an_independent_writer() -> None:
    """The test writer reproduces a real line byte for byte (so it is a fair reference)."""
    record = parse_tle_text(f"{ISS_1}\n{ISS_2}\n").records[0]
    lines = render(record).splitlines()
    assert lines[1][8:16] == ISS_2[8:16]
    assert lines[1][52:63] == ISS_2[52:63]
    assert lines[0][18:32] == ISS_1[18:32]
    assert lines[0][33:61] == ISS_1[33:61]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_tle_text(text)
    assert parsed.sets >= len(parsed.records)


def test_every_single_digit_change_is_caught() -> None:
    """Each digit of both element lines changed to each other digit: the set is refused (by
    its checksum) and the neighbour still loads; never a record built from the edited line."""
    for which, line in ((1, ISS_1), (2, ISS_2)):
        for position, char in enumerate(line[:68]):
            if not char.isdigit() or (which, position) in ((1, 0), (2, 0)):
                continue  # the line number is layout, tested above
            for digit in "0123456789":
                if digit == char:
                    continue
                edited = line[:position] + digit + line[position + 1 :]
                pair = (edited, ISS_2) if which == 1 else (ISS_1, edited)
                parsed = parse_tle_text(f"A\n{pair[0]}\n{pair[1]}\nB\n{ISS_1}\n{ISS_2}\n")
                assert [r["OBJECT_NAME"] for r in parsed.records] == ["B"], (which, position)
                assert len(parsed.rejections) == 1
