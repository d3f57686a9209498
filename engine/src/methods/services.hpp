// What the RPC methods work with besides the request: the engine's state and the objects
// that keep visits (state/), and the counters the methods keep for `stats`.
#pragma once

#include "state/background_precompute.hpp"
#include "state/disclosure_budget.hpp"
#include "state/ephemeris_keeper.hpp"
#include "state/state.hpp"
#include "state/visit_cache.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace satveto::engine {

struct VisitCounters {
    std::atomic<std::uint64_t> registered{0};
    std::atomic<std::uint64_t> with_kept_ephemeris{0};
    std::atomic<std::uint64_t> sources_checked{0};
    std::atomic<std::uint64_t> sources_vetoed{0};
    std::atomic<std::uint64_t> veto_us{0};  // time spent vetting boxes, decoding excluded
};

// Everything the methods work with besides the catalog itself.
struct EngineServices {
    EngineServices(EngineState& engine_state, std::size_t visit_cache_size)
        : state(engine_state), visits(visit_cache_size), keeper(engine_state) {}

    EngineState& state;
    VisitCache visits;
    VisitCounters visit_counters;
    EphemerisKeeper keeper;  // started by main(); unit tests may leave it idle
    DisclosureBudget disclosure;
    BackgroundPrecompute precompute;  // last: its worker stops first, before what jobs use
};

// The part of EngineServices the visit methods use.
struct VisitContext {
    EngineState& state;
    VisitCache& cache;
    EphemerisKeeper& keeper;
    VisitCounters& counters;
    BackgroundPrecompute& precompute;
    DisclosureBudget& disclosure;  // one per engine: every client and catalog
};

}  // namespace satveto::engine
