// Element input: ISO epochs, OMM conversion, TLE parsing, validation.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "common/angles.hpp"
#include "sgp4/sgp4.hpp"

namespace sg = satveto::sgp4;

namespace {

// Independent TLE checksum (sum of digits, '-' counts 1, modulo 10) to build test lines.
std::string with_checksum(std::string line68) {
    REQUIRE(line68.size() == 68);
    int sum = 0;
    for (char c : line68) sum += (c >= '0' && c <= '9') ? c - '0' : (c == '-' ? 1 : 0);
    return line68 + static_cast<char>('0' + sum % 10);
}

// ISS (ZARYA) element set, as published (checksums as published).
const std::string iss_line1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927";
const std::string iss_line2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537";

sg::OmmElements iss_omm() {
    sg::OmmElements omm;
    omm.norad_cat_id = 25544;
    // Day 264.51782528 of 2008 = 20 September, 0.51782528 d = 12:25:40.104192.
    omm.epoch = "2008-09-20T12:25:40.104192";
    omm.mean_motion = 15.72125391;
    omm.eccentricity = 0.0006703;
    omm.inclination = 51.6416;
    omm.ra_of_asc_node = 247.4627;
    omm.arg_of_pericenter = 130.5360;
    omm.mean_anomaly = 325.0288;
    omm.bstar = -0.11606e-4;
    omm.mean_motion_dot = -0.00002182;
    omm.mean_motion_ddot = 0.0;
    return omm;
}

}  // namespace

TEST_CASE("parse_epoch converts ISO 8601 UTC to MJD", "[sgp4][epoch]") {
    // J2000.0 is JD 2451545.0 = MJD 51544.5.
    auto j2000 = sg::parse_epoch("2000-01-01T12:00:00");
    REQUIRE(j2000.has_value());
    CHECK(j2000->mjd_day == 51544);
    CHECK(j2000->day_fraction == 0.5);
    CHECK(j2000->mjd() == 51544.5);

    auto z = sg::parse_epoch("2026-11-20T12:34:56.123456Z");
    REQUIRE(z.has_value());
    // 2026-11-20 is 9820 days after 2000-01-01.
    CHECK(z->mjd_day == 51544 + 9820);
    CHECK(z->day_fraction == Approx((12 * 3600 + 34 * 60 + 56.123456) / 86400.0).epsilon(1e-15));

    // Fewer fractional digits, leap days, and rounding of nanoseconds into the next day.
    CHECK(sg::parse_epoch("2024-02-29T00:00:00.5")->day_fraction == 0.5 / 86400.0);
    CHECK(sg::parse_epoch("2000-02-29T00:00:00").has_value());
    const auto carry = sg::parse_epoch("1999-12-31T23:59:59.9999996");
    REQUIRE(carry.has_value());
    CHECK(carry->mjd_day == 51544);
    CHECK(carry->day_fraction == 0.0);
}

TEST_CASE("parse_epoch rejects malformed text and names the problem", "[sgp4][epoch]") {
    const struct {
        const char* text;
        const char* problem;
    } bad[] = {
        {"", "too short"},
        {"2026-11-20 12:34:56", "expected 'T'"},
        {"2026/11/20T12:34:56", "expected '-'"},
        {"2026-13-20T12:34:56", "month 13"},
        {"2023-02-29T00:00:00", "day 29"},
        {"2100-02-29T00:00:00", "day 29"},
        {"2026-11-20T24:00:00", "hour 24"},
        {"2026-11-20T12:60:00", "minute 60"},
        {"2016-12-31T23:59:60", "second 60"},
        {"2026-11-20T12:34:56.", "no digits"},
        {"2026-11-20T12:34:56.1234567890", "more than 9"},
        {"2026-11-20T12:34:56+00:00", "unexpected text"},
        {"2026-11-20T12:34:56ZZ", "unexpected text"},
        {"1899-12-31T00:00:00", "year 1899"},
        {"2O26-11-20T12:34:56", "digits"},
    };
    for (const auto& b : bad) {
        INFO(b.text);
        const auto e = sg::parse_epoch(b.text);
        REQUIRE_FALSE(e.has_value());
        CHECK(e.error().code == sg::ErrorCode::invalid_epoch);
        CHECK_THAT(e.error().message, Catch::Contains(b.problem));
    }
}

TEST_CASE("Alpha-5 catalog numbers", "[sgp4][tle]") {
    // Alpha-5: letter values A=10 .. Z=33 without I and O, followed by four digits.
    CHECK(sg::decode_catalog_number("00005") == 5);
    CHECK(sg::decode_catalog_number("    5") == 5);
    CHECK(sg::decode_catalog_number("99999") == 99999);
    CHECK(sg::decode_catalog_number("A0000") == 100000);
    CHECK(sg::decode_catalog_number("E8493") == 148493);
    CHECK(sg::decode_catalog_number("H9999") == 179999);
    CHECK(sg::decode_catalog_number("J0000") == 180000);
    CHECK(sg::decode_catalog_number("P0000") == 230000);
    CHECK(sg::decode_catalog_number("Z9999") == 339999);
    CHECK(sg::decode_catalog_number("I0000") == -1);
    CHECK(sg::decode_catalog_number("O0000") == -1);
    CHECK(sg::decode_catalog_number("a0000") == -1);
    CHECK(sg::decode_catalog_number("1234") == -1);
    CHECK(sg::decode_catalog_number("12 34") == -1);

    std::string l1 = iss_line1.substr(0, 68);
    std::string l2 = iss_line2.substr(0, 68);
    l1.replace(2, 5, "T2544");
    l2.replace(2, 5, "T2544");
    const auto e = sg::parse_tle(with_checksum(l1), with_checksum(l2));
    REQUIRE(e.has_value());
    CHECK(e->catalog_number == 272544);  // T = 27
}

TEST_CASE("TLE fields and units", "[sgp4][tle]") {
    const auto e = sg::parse_tle(iss_line1, iss_line2);
    REQUIRE(e.has_value());
    using satveto::common::deg;
    CHECK(e->catalog_number == 25544);
    CHECK(e->inclination == Approx(51.6416 * deg).epsilon(1e-15));
    CHECK(e->ra_of_asc_node == Approx(247.4627 * deg).epsilon(1e-15));
    CHECK(e->eccentricity == Approx(0.0006703).epsilon(1e-15));
    CHECK(e->arg_of_perigee == Approx(130.5360 * deg).epsilon(1e-15));
    CHECK(e->mean_anomaly == Approx(325.0288 * deg).epsilon(1e-15));
    CHECK(e->mean_motion == Approx(15.72125391 * 2 * satveto::common::pi / 1440.0).epsilon(1e-15));
    CHECK(e->bstar == Approx(-0.11606e-4).epsilon(1e-15));
    CHECK(e->mean_motion_dot == Approx(-0.00002182 * 2 * satveto::common::pi / (1440.0 * 1440.0)).epsilon(1e-15));
    // 2008 day 264.51782528: 2008-09-20 is MJD 54729.
    CHECK(e->epoch.mjd_day == 54729);
    CHECK(e->epoch.day_fraction == Approx(0.51782528).epsilon(1e-12));
    // Model epoch: days since 1949-12-31 (MJD 33281).
    CHECK(e->epoch_days == Approx(54729 - 33281 + 0.51782528).epsilon(1e-14));

    // Trailing whitespace and CR are ignored.
    CHECK(sg::parse_tle(iss_line1 + " \r", iss_line2 + "\n").has_value());
}

TEST_CASE("TLE parser rejects malformed lines with a message naming the field", "[sgp4][tle]") {
    const auto expect_error = [](const std::string& l1, const std::string& l2, const char* fragment) {
        INFO(l1 << "\n" << l2);
        const auto e = sg::parse_tle(l1, l2);
        REQUIRE_FALSE(e.has_value());
        CHECK(e.error().code == sg::ErrorCode::invalid_tle);
        CHECK_THAT(e.error().message, Catch::Contains(fragment));
    };
    // Checksum failure: last digit changed.
    expect_error(iss_line1.substr(0, 68) + "8", iss_line2, "checksum");
    expect_error(iss_line1, iss_line2.substr(0, 68) + "0", "checksum");
    // Truncated line and swapped lines.
    expect_error(iss_line1.substr(0, 60), iss_line2, "characters, expected 69");
    expect_error(iss_line2, iss_line1, "must start with '1 '");

    auto edited = [](const std::string& line, std::size_t column, const std::string& text) {
        std::string l = line.substr(0, 68);
        l.replace(column, text.size(), text);
        return with_checksum(l);
    };
    expect_error(iss_line1, edited(iss_line2, 8, "51.6X16"), "inclination");
    expect_error(iss_line1, edited(iss_line2, 26, "00a6703"), "eccentricity");
    expect_error(iss_line1, edited(iss_line2, 52, "15.7212.391"), "mean motion");
    expect_error(edited(iss_line1, 53, "-11606*4"), iss_line2, "bstar");
    expect_error(edited(iss_line1, 20, "264.5178X528"), iss_line2, "epoch day");
    expect_error(edited(iss_line1, 20, "367.51782528"), iss_line2, "outside the year");
    expect_error(edited(iss_line1, 2, "2554!"), iss_line2, "catalog number");
    expect_error(iss_line1, edited(iss_line2, 2, "25545"), "differs from line 1");
    expect_error(edited(iss_line1, 32, "x"), iss_line2, "separator");

    // Checksums can be skipped on request (for files whose lines were edited by hand).
    CHECK(sg::parse_tle(iss_line1.substr(0, 68) + "8", iss_line2, sg::TleOptions{.verify_checksum = false}).has_value());
}

TEST_CASE("OMM and TLE of the same element set give the same orbit", "[sgp4][omm]") {
    const auto from_omm = sg::init_satellite(iss_omm());
    const auto from_tle_elements = sg::parse_tle(iss_line1, iss_line2);
    REQUIRE(from_omm.has_value());
    REQUIRE(from_tle_elements.has_value());
    const auto from_tle = sg::init_satellite(*from_tle_elements);
    REQUIRE(from_tle.has_value());
    CHECK(from_omm->elements.epoch.mjd_day == from_tle->elements.epoch.mjd_day);
    CHECK(from_omm->elements.epoch.day_fraction == Approx(from_tle->elements.epoch.day_fraction).epsilon(1e-12));
    // Both conversions are exact up to rounding, so states agree far below a metre.
    for (double t : {-1440.0, 0.0, 90.0, 4320.0}) {
        const auto a = sg::propagate(*from_omm, t);
        const auto b = sg::propagate(*from_tle, t);
        REQUIRE(a.error == sg::ErrorCode::ok);
        REQUIRE(b.error == sg::ErrorCode::ok);
        for (int k = 0; k < 3; ++k) CHECK(a.r_km[k] == Approx(b.r_km[k]).margin(1e-4));
    }
    // OMM ids above 99999 are plain integers.
    auto big = iss_omm();
    big.norad_cat_id = 270001;
    CHECK(sg::init_satellite(big)->elements.catalog_number == 270001);
}

TEST_CASE("invalid elements give an error code and message, never a state", "[sgp4][validation]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const struct {
        const char* what;
        void (*edit)(sg::OmmElements&);
        sg::ErrorCode code;
        const char* fragment;
    } cases[] = {
        {"NaN eccentricity", [](sg::OmmElements& o) { o.eccentricity = std::nan(""); }, sg::ErrorCode::invalid_element,
         "ECCENTRICITY"},
        {"inf bstar", [](sg::OmmElements& o) { o.bstar = std::numeric_limits<double>::infinity(); },
         sg::ErrorCode::invalid_element, "BSTAR"},
        {"NaN mean anomaly", [](sg::OmmElements& o) { o.mean_anomaly = std::nan(""); }, sg::ErrorCode::invalid_element,
         "MEAN_ANOMALY"},
        {"e = 1", [](sg::OmmElements& o) { o.eccentricity = 1.0; }, sg::ErrorCode::mean_eccentricity, "eccentricity"},
        {"e < 0", [](sg::OmmElements& o) { o.eccentricity = -0.0005; }, sg::ErrorCode::mean_eccentricity, "eccentricity"},
        {"n = 0", [](sg::OmmElements& o) { o.mean_motion = 0.0; }, sg::ErrorCode::mean_motion, "mean_motion"},
        {"n < 0", [](sg::OmmElements& o) { o.mean_motion = -15.0; }, sg::ErrorCode::mean_motion, "mean_motion"},
        {"i < 0", [](sg::OmmElements& o) { o.inclination = -5.0; }, sg::ErrorCode::invalid_element, "INCLINATION"},
        {"i > 180", [](sg::OmmElements& o) { o.inclination = 200.0; }, sg::ErrorCode::invalid_element, "INCLINATION"},
        {"angle in the wrong unit", [](sg::OmmElements& o) { o.mean_anomaly = 1.0e6; }, sg::ErrorCode::invalid_element,
         "mean_anomaly"},
        {"bad epoch", [](sg::OmmElements& o) { o.epoch = "2026-11-31T00:00:00"; }, sg::ErrorCode::invalid_epoch, "day 31"},
        {"negative id", [](sg::OmmElements& o) { o.norad_cat_id = -1; }, sg::ErrorCode::invalid_element, "NORAD_CAT_ID"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto omm = iss_omm();
        c.edit(omm);
        const auto sat = sg::init_satellite(omm);
        REQUIRE_FALSE(sat.has_value());
        CHECK(sat.error().code == c.code);
        CHECK_THAT(sat.error().message, Catch::Contains(c.fragment));
    }

    // Direct MeanElements input is validated too.
    auto elements = *sg::to_mean_elements(iss_omm());
    elements.inclination = nan;
    CHECK(sg::init_satellite(elements).error().code == sg::ErrorCode::invalid_element);
    elements = *sg::to_mean_elements(iss_omm());
    elements.epoch_days = inf;
    CHECK(sg::init_satellite(elements).error().code == sg::ErrorCode::invalid_element);
}

TEST_CASE("propagation errors are reported per instant", "[sgp4][validation]") {
    const auto sat = sg::init_satellite(iss_omm());
    REQUIRE(sat.has_value());
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        const auto s = sg::propagate(*sat, bad);
        CHECK(s.error == sg::ErrorCode::invalid_time);
        CHECK(std::isnan(s.r_km[0]));
        CHECK(std::isnan(s.v_km_s[2]));
        CHECK(std::isnan(sg::minutes_since_epoch(*sat, bad)));
    }

    // A very low, draggy orbit: fine at epoch, decayed (error 6) or with its mean
    // eccentricity driven out of range (error 1) within days, never a silent state.
    auto low = iss_omm();
    low.mean_motion = 16.4;
    low.bstar = 0.05;
    const auto decaying = sg::init_satellite(low);
    REQUIRE(decaying.has_value());
    CHECK(sg::propagate(*decaying, 0.0).error == sg::ErrorCode::ok);
    const auto later = sg::propagate(*decaying, 3 * 1440.0);
    CHECK((later.error == sg::ErrorCode::decayed || later.error == sg::ErrorCode::mean_eccentricity));
    CHECK(std::isnan(later.r_km[1]));

    // Below the surface from the start.
    auto buried = iss_omm();
    buried.mean_motion = 30.0;
    const auto sub = sg::init_satellite(buried);
    REQUIRE(sub.has_value());
    CHECK(sg::propagate(*sub, 0.0).error == sg::ErrorCode::decayed);

    CHECK(sg::describe(sg::ErrorCode::decayed) == "satellite has decayed");
}

TEST_CASE("minutes_since_epoch uses the exact epoch", "[sgp4][time]") {
    const auto sat = sg::init_satellite(iss_omm());
    REQUIRE(sat.has_value());
    const sg::Epoch& epoch = sat->elements.epoch;
    CHECK(sg::minutes_since_epoch(*sat, epoch.mjd_day, epoch.day_fraction) == 0.0);
    CHECK(sg::minutes_since_epoch(*sat, epoch.mjd_day + 1, epoch.day_fraction) == 1440.0);
    CHECK(sg::minutes_since_epoch(*sat, epoch.mjd() + 0.5) == Approx(720.0).margin(1e-6));
    CHECK(sg::minutes_since_epoch(*sat, epoch.mjd() - 2.0) == Approx(-2880.0).margin(1e-6));
}
