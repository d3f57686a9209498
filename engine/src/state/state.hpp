// What the engine holds between requests: its identity, and the catalog.
//
// The catalog is an immutable object behind an atomic shared_ptr.  A request takes one
// snapshot at its start and works on it to the end; load_catalog builds a complete new
// catalog aside and swaps the pointer, so no request ever sees a mix of two catalogs and
// requests in flight finish on the one they started with.
#pragma once

#include "catalog/catalog_set.hpp"
#include "state/disclosure_budget.hpp"
#include "frames/frames.hpp"
#include "matching/sky_field.hpp"
#include "matching/tolerance.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace satveto::engine {

// Set by the frontend with `configure`; the documented defaults until then.
struct MatchingSettings {
    matching::ToleranceModel tolerance;
    frames::Site site = frames::rubin_site();
    double max_footprint_deg = matching::default_max_footprint_deg;  // sky-corner span limit (secrecy)
    // UT1 - UTC and polar motion (configure's `earth_orientation`); never null.
    std::shared_ptr<const frames::EarthOrientation> earth_orientation = std::make_shared<const frames::EarthOrientation>();
    bool require_sunlit = false;  // configure's `require_sunlit` (matching/shadow.hpp)
    // configure's `max_revealed_per_hour` (state/disclosure_budget.hpp); strict until told.
    std::uint64_t max_revealed_per_hour = default_max_revealed_per_hour;
};

class EngineState {
public:
    explicit EngineState(unsigned threads);

    const std::string& instance_id() const { return instance_id_; }
    double uptime_s() const;
    unsigned threads() const { return threads_; }

    std::shared_ptr<const catalog::Catalog> catalog() const { return catalog_.load(); }
    void swap_catalog(std::shared_ptr<const catalog::Catalog> next) { catalog_.store(std::move(next)); }

    // The historical catalogs held beside the current one (catalog/catalog_set.hpp).
    catalog::HistoricalCatalogs& historical() { return historical_; }
    const catalog::HistoricalCatalogs& historical() const { return historical_; }

    std::shared_ptr<const MatchingSettings> matching() const { return matching_.load(); }
    void set_matching(std::shared_ptr<const MatchingSettings> next) { matching_.store(std::move(next)); }

private:
    std::string instance_id_;  // random per process start: tells the frontend we restarted
    std::chrono::steady_clock::time_point started_;
    unsigned threads_;
    std::atomic<std::shared_ptr<const catalog::Catalog>> catalog_;
    catalog::HistoricalCatalogs historical_;
    std::atomic<std::shared_ptr<const MatchingSettings>> matching_{std::make_shared<const MatchingSettings>()};
};

// 128 random bits as 32 hex digits, from the kernel's CSPRNG.
std::string random_instance_id();

// The catalog a request names: the current one for "current", else the historical one.
// Null when there is none under that name.
std::shared_ptr<const catalog::Catalog> catalog_named(const EngineState& state, std::string_view name);

}  // namespace satveto::engine
