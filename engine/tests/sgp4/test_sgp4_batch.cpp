// The batch APIs must give exactly (bit for bit) what the single-object API gives.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "sgp4/sgp4.hpp"
#include "verification_data.hpp"

namespace sg = satveto::sgp4;

namespace {

// Near-Earth and deep-space orbits of many shapes, including draggy ones that fail
// at some instants, so that error lanes sit next to good lanes in the same block.
std::vector<sg::Satellite> mixed_catalog() {
    std::vector<sg::Satellite> sats;
    for (const auto& c : satveto::sgp4::testdata::read_verification_cases()) {
        const auto e = sg::parse_tle(c.line1, c.line2, sg::TleOptions{.verify_checksum = false});
        REQUIRE(e.has_value());
        const auto s = sg::init_satellite(*e);
        REQUIRE(s.has_value());
        sats.push_back(*s);
    }
    std::mt19937_64 rng(20261120);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (int i = 0; i < 300; ++i) {
        sg::OmmElements o;
        o.norad_cat_id = 100000 + i;
        o.epoch = "2026-11-" + std::to_string(10 + i % 15) + "T0" + std::to_string(i % 10) + ":30:15.25";
        const bool deep = i % 7 == 0;
        o.mean_motion = deep ? 1.0 + 1.5 * uniform(rng) : 11.0 + 5.5 * uniform(rng);
        o.eccentricity = deep ? 0.7 * uniform(rng) : 0.05 * uniform(rng) * uniform(rng);
        o.inclination = 180.0 * uniform(rng);
        o.ra_of_asc_node = 360.0 * uniform(rng);
        o.arg_of_pericenter = 360.0 * uniform(rng);
        o.mean_anomaly = 360.0 * uniform(rng);
        o.bstar = (uniform(rng) - 0.2) * (i % 11 == 0 ? 0.05 : 5e-4);
        const auto s = sg::init_satellite(o);
        REQUIRE(s.has_value());
        sats.push_back(*s);
    }
    return sats;
}

bool identical(const sg::StateVector& a, const sg::StateVector& b) {
    if (a.error != b.error) return false;
    for (int k = 0; k < 3; ++k) {
        const bool same_r = a.r_km[k] == b.r_km[k] || (std::isnan(a.r_km[k]) && std::isnan(b.r_km[k]));
        const bool same_v = a.v_km_s[k] == b.v_km_s[k] || (std::isnan(a.v_km_s[k]) && std::isnan(b.v_km_s[k]));
        if (!same_r || !same_v) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("SatelliteBatch::propagate_at equals per-object propagate", "[sgp4][batch]") {
    const auto sats = mixed_catalog();
    const sg::SatelliteBatch batch(sats);
    REQUIRE(batch.size() == sats.size());

    int errors = 0;
    for (const double mjd : {61364.25, 61370.75, 61380.0}) {
        for (const unsigned threads : {1U, 3U}) {
            std::vector<sg::StateVector> out(sats.size());
            batch.propagate_at(mjd, out, threads);
            for (std::size_t i = 0; i < sats.size(); ++i) {
                const auto expected = sg::propagate(sats[i], sg::minutes_since_epoch(sats[i], mjd));
                INFO("object " << i << " mjd " << mjd << " threads " << threads);
                REQUIRE(identical(out[i], expected));
                errors += expected.error != sg::ErrorCode::ok ? 1 : 0;
            }
        }
    }
    // The catalog is meant to mix failing and good lanes; make sure it does.
    CHECK(errors > 0);
    CHECK(errors < static_cast<int>(sats.size()));

    std::vector<sg::StateVector> out(sats.size());
    batch.propagate_at(std::nan(""), out, 2);
    for (const auto& s : out) CHECK(s.error == sg::ErrorCode::invalid_time);
}

TEST_CASE("propagate_times equals per-instant propagate", "[sgp4][batch]") {
    const auto sats = mixed_catalog();
    std::vector<double> minutes;
    for (int k = -150; k < 151; ++k) minutes.push_back(k * 37.3);
    minutes.push_back(std::nan(""));
    for (const std::size_t index :
         {std::size_t{0}, std::size_t{2}, std::size_t{8}, std::size_t{33}, std::size_t{40}, std::size_t{77}}) {
        const sg::Satellite& sat = sats[index];
        for (const unsigned threads : {1U, 4U}) {
            std::vector<sg::StateVector> out(minutes.size());
            sg::propagate_times(sat, minutes, out, threads);
            for (std::size_t j = 0; j < minutes.size(); ++j) {
                INFO("object " << index << " t " << minutes[j] << " threads " << threads);
                REQUIRE(identical(out[j], sg::propagate(sat, minutes[j])));
            }
            CHECK(out.back().error == sg::ErrorCode::invalid_time);
        }
    }
}
