// Registers the engine's RPC methods (protocol/README.md) with a dispatcher.
#pragma once

#include "engine/ephemeris_keeper.hpp"
#include "engine/state.hpp"
#include "engine/visit_cache.hpp"
#include "engine/visit_methods.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/unix_server.hpp"

namespace satveto::engine {

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

// `services` and `connections` must outlive the dispatcher.
void register_methods(rpc::Dispatcher& dispatcher, EngineServices& services,
                      const rpc::ConnectionCounters& connections);

}  // namespace satveto::engine
