// Keeps a coarse ephemeris of the current catalog around the present, ahead of the clock.
//
// Visits arrive every ~40 s for exposures near now; with positions of the whole catalog
// already on a 30 s grid from a few minutes ago to several minutes ahead, register_visit only
// has to test chords instead of propagating every object.  The keeper rebuilds on a catalog
// swap and whenever the grid's end comes closer than `lead` to the present.  One thread, so
// requests keep the other cores.
#pragma once

#include "state/state.hpp"
#include "matching/coarse_ephemeris.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace satveto::engine {

struct KeptEphemeris {
    std::shared_ptr<const catalog::Catalog> catalog;   // the catalog it was computed from
    std::shared_ptr<const MatchingSettings> settings;  // the site its chord cones are for
    matching::CoarseEphemeris ephemeris;
    double build_ms = 0.0;
};

class EphemerisKeeper {
public:
    explicit EphemerisKeeper(const EngineState& state) : state_(state) {}
    ~EphemerisKeeper() { stop(); }

    void start();
    void stop();
    void catalog_changed();  // wakes the thread to rebuild now

    std::shared_ptr<const KeptEphemeris> current() const { return current_.load(); }
    std::uint64_t builds() const { return builds_.load(); }

private:
    void run(std::stop_token stop);

    const EngineState& state_;
    std::atomic<std::shared_ptr<const KeptEphemeris>> current_;
    std::atomic<std::uint64_t> builds_{0};
    std::mutex mutex_;
    std::condition_variable_any wake_;
    bool catalog_changed_ = false;
    std::jthread thread_;
};

}  // namespace satveto::engine
