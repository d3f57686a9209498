// What the engine holds between requests: its identity, and the catalog.
//
// The catalog is an immutable object behind an atomic shared_ptr.  A request takes one
// snapshot at its start and works on it to the end; load_catalog builds a complete new
// catalog aside and swaps the pointer, so no request ever sees a mix of two catalogs and
// requests in flight finish on the one they started with.
#pragma once

#include "engine/catalog_set.hpp"
#include "engine/disclosure_budget.hpp"
#include "frames/frames.hpp"
#include "matching/sky_field.hpp"
#include "matching/tolerance.hpp"
#include "sgp4/sgp4.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace satveto::engine {

struct Catalog {
    std::string generation;        // opaque id chosen by the frontend
    std::size_t objects = 0;
    double loaded_at_unix = 0.0;   // wall-clock time of the swap
    double fetched_at_unix = 0.0;  // when the frontend obtained it from its source
    double oldest_epoch_mjd = 0.0; // UTC MJD of the oldest element set
    std::vector<std::int64_t> norad_ids;        // parallel to satellites
    std::vector<double> epoch_mjd;              // element epochs (UTC MJD)
    std::vector<double> slowest_speed_km_s;     // lower bounds of each object's speed
    std::vector<sgp4::Satellite> satellites;    // initialised SGP4/SDP4 state
    sgp4::SatelliteBatch batch;                 // the same objects, laid out for batch propagation
};

// Set by the frontend with `configure`; the documented defaults until then.
struct MatchingSettings {
    matching::ToleranceModel tolerance;
    frames::Site site = frames::rubin_site();
    double max_footprint_deg = matching::default_max_footprint_deg;  // sky-corner span limit (secrecy)
    // UT1 - UTC and polar motion (configure's `earth_orientation`); never null.
    std::shared_ptr<const frames::EarthOrientation> earth_orientation =
        std::make_shared<const frames::EarthOrientation>();
    bool require_sunlit = false;  // configure's `require_sunlit` (matching/shadow.hpp)
    // configure's `max_revealed_per_hour` (engine/disclosure_budget.hpp); strict until told.
    std::uint64_t max_revealed_per_hour = default_max_revealed_per_hour;
};

class EngineState {
public:
    explicit EngineState(unsigned threads);

    const std::string& instance_id() const { return instance_id_; }
    double uptime_s() const;
    unsigned threads() const { return threads_; }

    std::shared_ptr<const Catalog> catalog() const { return catalog_.load(); }
    void swap_catalog(std::shared_ptr<const Catalog> next) { catalog_.store(std::move(next)); }

    // The historical catalogs held beside the current one (engine/catalog_set.hpp).
    HistoricalCatalogs& historical() { return historical_; }
    const HistoricalCatalogs& historical() const { return historical_; }

    std::shared_ptr<const MatchingSettings> matching() const { return matching_.load(); }
    void set_matching(std::shared_ptr<const MatchingSettings> next) { matching_.store(std::move(next)); }

private:
    std::string instance_id_;  // random per process start: tells the frontend we restarted
    std::chrono::steady_clock::time_point started_;
    unsigned threads_;
    std::atomic<std::shared_ptr<const Catalog>> catalog_;
    HistoricalCatalogs historical_;
    std::atomic<std::shared_ptr<const MatchingSettings>> matching_{std::make_shared<const MatchingSettings>()};
};

// 128 random bits as 32 hex digits, from the kernel's CSPRNG.
std::string random_instance_id();

}  // namespace satveto::engine
