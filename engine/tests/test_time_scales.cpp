// Time scales: TAI <-> UTC with ERFA's leap seconds, across the leap second at the end of
// 2016, and a visit whose exposure spans 2016-12-31T23:59:60 UTC.
#include "common/angles.hpp"
#include "methods/catalog_build.hpp"
#include "frames/frames.hpp"
#include "frames/time_scales.hpp"
#include "matching/precompute.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <cmath>

using namespace satveto;

namespace {

constexpr double day_s = 86400.0;
constexpr double mjd_2017 = 57754.0;  // 2017-01-01T00:00:00 UTC; the leap second ends 2016

}  // namespace

TEST_CASE("TAI - UTC from ERFA's table", "[time]") {
    REQUIRE(frames::tai_minus_utc_s(61365.25) == 37.0);        // 2026
    REQUIRE(frames::tai_minus_utc_s(mjd_2017 - 0.5) == 36.0);  // 2016-12-31 noon
    REQUIRE(frames::tai_minus_utc_s(mjd_2017) == 37.0);
    REQUIRE((frames::mjd_tai_from_utc(61365.25) - 61365.25) * day_s == Approx(37.0).margin(1e-6));
}

TEST_CASE("TAI to UTC across the leap second of 2016-12-31", "[time]") {
    // TAI 2017-01-01T00:00:35.5 is UTC 2016-12-31T23:59:59.5 (TAI - UTC = 36 s) ...
    REQUIRE((frames::mjd_utc_from_tai(mjd_2017 + 35.5 / day_s) - (mjd_2017 - 0.5 / day_s)) * day_s ==
            Approx(0.0).margin(1e-5));
    // ... TAI 00:00:36.5 is inside 23:59:60, which a UTC MJD cannot hold: the next day's start ...
    REQUIRE((frames::mjd_utc_from_tai(mjd_2017 + 36.5 / day_s) - mjd_2017) * day_s == Approx(0.0).margin(1e-5));
    // ... and TAI 00:00:37.5 is UTC 2017-01-01T00:00:00.5 (TAI - UTC = 37 s).
    REQUIRE((frames::mjd_utc_from_tai(mjd_2017 + 37.5 / day_s) - (mjd_2017 + 0.5 / day_s)) * day_s ==
            Approx(0.0).margin(1e-5));
    // Round trips away from the leap second, and at noon of the leap day itself.
    for (double utc : {mjd_2017 - 0.5, mjd_2017 - 1e-4, mjd_2017 + 1e-4, 61365.123456789}) {
        REQUIRE((frames::mjd_utc_from_tai(frames::mjd_tai_from_utc(utc)) - utc) * day_s == Approx(0.0).margin(1e-5));
    }
    REQUIRE(frames::mjd_tai_from(frames::TimeScale::tai, 61000.5) == 61000.5);
    REQUIRE(frames::parse_time_scale("tai") == frames::TimeScale::tai);
    REQUIRE(frames::parse_time_scale("utc") == frames::TimeScale::utc);
    REQUIRE_FALSE(frames::parse_time_scale("TT").has_value());
}

TEST_CASE("the fast TAI to UTC conversion agrees with the full one", "[time]") {
    for (double begin : {61365.25, mjd_2017 - 20.0 / day_s}) {  // an ordinary window, and one across the leap
        const double end = begin + 60.0 / day_s;
        const frames::UtcFromTai fast(begin, end);
        for (int k = 0; k <= 600; ++k) {
            const double tai = begin + k * 0.1 / day_s;
            REQUIRE((fast(tai) - frames::mjd_utc_from_tai(tai)) * day_s == Approx(0.0).margin(1e-5));
        }
    }
    REQUIRE_FALSE(frames::UtcFromTai(61365.25, 61365.26).leap_second().has_value());
    const auto leap = frames::UtcFromTai(mjd_2017 - 20.0 / day_s, mjd_2017 + 40.0 / day_s).leap_second();
    REQUIRE(leap.has_value());
    REQUIRE((leap->begin_mjd_tai - mjd_2017) * day_s == Approx(36.0).margin(1e-5));  // 23:59:60.0 UTC
    REQUIRE((leap->end_mjd_tai - mjd_2017) * day_s == Approx(37.0).margin(1e-5));    // 00:00:00.0 UTC
}

namespace {

void pack_elements(msgpack::packer<msgpack::sbuffer>& p, double raan_deg, double mean_anomaly_deg) {
    p.pack_map(11);
    p.pack("NORAD_CAT_ID");
    p.pack(40000);
    p.pack("EPOCH");
    p.pack("2016-12-31T12:00:00");
    p.pack("MEAN_MOTION");
    p.pack(14.2);  // ~800 km
    p.pack("ECCENTRICITY");
    p.pack(0.001);
    p.pack("INCLINATION");
    p.pack(98.0);
    p.pack("RA_OF_ASC_NODE");
    p.pack(raan_deg);
    p.pack("ARG_OF_PERICENTER");
    p.pack(90.0);
    p.pack("MEAN_ANOMALY");
    p.pack(mean_anomaly_deg);
    p.pack("BSTAR");
    p.pack(1e-5);
    p.pack("MEAN_MOTION_DOT");
    p.pack(0.0);
    p.pack("MEAN_MOTION_DDOT");
    p.pack(0.0);
}

std::shared_ptr<catalog::Catalog> one_object_catalog(double raan_deg, double mean_anomaly_deg) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_array(1);
    pack_elements(p, raan_deg, mean_anomaly_deg);
    const msgpack::object_handle h = msgpack::unpack(buffer.data(), buffer.size());
    return engine::build_catalog(h.get(), "leap", 0.0, 1).catalog;
}

// UTC of a TAI instant near the end of 2016, written out by hand: TAI - UTC is 36 s before
// the leap second and 37 s after it.  (Instants inside the leap second are not used.)
double utc_by_hand(double tai_seconds_after_2017) {
    if (tai_seconds_after_2017 < 36.0) return mjd_2017 + (tai_seconds_after_2017 - 36.0) / day_s;
    REQUIRE(tai_seconds_after_2017 >= 37.0);
    return mjd_2017 + (tai_seconds_after_2017 - 37.0) / day_s;
}

// Star-frame direction of the catalog's object at a TAI instant, with the UTC given by hand.
frames::Vec3 seen_at(const catalog::Catalog& catalog, const frames::FrameSnapshot& frame, double tai_seconds) {
    const sgp4::Satellite& satellite = catalog.satellites[0];
    const sgp4::StateVector s = sgp4::propagate(satellite,
                                                sgp4::minutes_since_epoch(satellite, utc_by_hand(tai_seconds)));
    REQUIRE(s.error == sgp4::ErrorCode::ok);
    return frame.star_frame_gcrs({s.r_km[0], s.r_km[1], s.r_km[2]}, {s.v_km_s[0], s.v_km_s[1], s.v_km_s[2]},
                                 mjd_2017 + tai_seconds / day_s);
}

// Tangent-plane distance from the direction d to the nearest segment, less that segment's
// reach (negative: within reach).
double beyond_reach(const matching::VisitTracks& visit, const frames::TangentBasis& basis, const frames::Vec3& d,
                    double* to_track = nullptr) {
    const double z = d[0] * basis.center[0] + d[1] * basis.center[1] + d[2] * basis.center[2];
    const matching::Point p{(d[0] * basis.east[0] + d[1] * basis.east[1] + d[2] * basis.east[2]) / z,
                            (d[0] * basis.north[0] + d[1] * basis.north[1] + d[2] * basis.north[2]) / z};
    double best = INFINITY, nearest = INFINITY;
    for (const auto& s : visit.segments) {
        const double distance = matching::point_segment_distance(p, s.a, s.b);
        best = std::min(best, distance - s.reach);
        nearest = std::min(nearest, distance);
    }
    if (to_track) *to_track = nearest;
    return best;
}

}  // namespace

TEST_CASE("a visit whose exposure spans 2016-12-31T23:59:60 UTC is matched in TAI", "[time][matching]") {
    // Exposure from TAI 2017-01-01T00:00:10 to 00:00:40: UTC 2016-12-31T23:59:34 to
    // 2017-01-01T00:00:03, across the leap second.  Pick an orbit that passes high over the
    // site at the exposure's end, and point the boresight there.
    const double start_s = 10.0, end_s = 40.0;
    const double mid_tai = mjd_2017 + 0.5 * (start_s + end_s) / day_s;
    const frames::FrameSnapshot frame(mid_tai, frames::rubin_site());
    std::shared_ptr<catalog::Catalog> catalog;
    double best_range = INFINITY;
    for (int raan = 0; raan < 360; raan += 10)
        for (int anomaly = 0; anomaly < 360; anomaly += 5) {
            auto c = one_object_catalog(raan, anomaly);
            const frames::Vec3 d = seen_at(*c, frame, end_s);
            const double range = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (range < best_range) {
                best_range = range;
                catalog = c;
            }
        }
    REQUIRE(best_range < 1500.0);
    const frames::Vec3 aim = seen_at(*catalog, frame, end_s);
    double ra = 0, dec = 0;
    frames::ra_dec_of(aim, ra, dec);

    matching::VisitParams params;
    params.visit_id = 1;
    params.exposure_start_mjd = mjd_2017 + start_s / day_s;
    params.exposure_end_mjd = mjd_2017 + end_s / day_s;
    params.time_scale = frames::TimeScale::tai;
    params.boresight_ra_deg = ra / common::deg;
    params.boresight_dec_deg = dec / common::deg;
    params.rotation_deg = 0.0;
    const matching::ToleranceModel tolerance;
    const auto no_table = std::make_shared<const frames::EarthOrientation>();
    const matching::VisitTracks visit = matching::precompute_visit(*catalog, params, tolerance, frames::rubin_site(),
                                                                   no_table, nullptr, 1);
    REQUIRE(visit.candidate_ids.size() == 1);
    const frames::TangentBasis basis = frames::tangent_basis(ra, dec);

    // The positions of the last seconds of the exposure (after the leap second) lie on the
    // track's centre line, within the 0.5" chord tolerance.
    for (double t = end_s - 3.0; t <= end_s; t += 0.25) {
        double to_track = 0;
        REQUIRE(beyond_reach(visit, basis, seen_at(*catalog, frame, t), &to_track) < 0.0);
        REQUIRE(to_track < 0.6 * common::arcsec);
    }
    // The track stops at the end of the padded window: 0.6 s later (4 km along a LEO track,
    // several corridor widths) nothing reaches.  An engine a second late across the leap
    // second would still cover it.
    const double pad_s = tolerance.time_pad_s(mid_tai - catalog->epoch_mjd[0], catalog->slowest_speed_km_s[0]);
    REQUIRE(beyond_reach(visit, basis, seen_at(*catalog, frame, end_s + pad_s + 0.6)) > 0.0);

    // The same numbers read as UTC: the exposure moves 37 s earlier and the satellite's true
    // position at the exposure's end is nowhere near the track.
    params.time_scale = frames::TimeScale::utc;
    const matching::VisitTracks confused = matching::precompute_visit(*catalog, params, tolerance, frames::rubin_site(),
                                                                      no_table, nullptr, 1);
    REQUIRE(beyond_reach(confused, basis, seen_at(*catalog, frame, end_s)) > 0.0);
}
