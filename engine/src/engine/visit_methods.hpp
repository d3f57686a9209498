// RPC methods of visits: configure, register_visit, filter_sources, drop_visit, visit_tracks.
#pragma once

#include "engine/background_precompute.hpp"
#include "engine/disclosure_budget.hpp"
#include "engine/ephemeris_keeper.hpp"
#include "engine/state.hpp"
#include "engine/visit_cache.hpp"
#include "rpc/dispatcher.hpp"

#include <atomic>

namespace satveto::engine {

struct VisitCounters {
    std::atomic<std::uint64_t> registered{0};
    std::atomic<std::uint64_t> with_kept_ephemeris{0};
    std::atomic<std::uint64_t> sources_checked{0};
    std::atomic<std::uint64_t> sources_vetoed{0};
    std::atomic<std::uint64_t> veto_us{0};  // time spent vetting boxes, decoding excluded
};

struct VisitContext {
    EngineState& state;
    VisitCache& cache;
    EphemerisKeeper& keeper;
    VisitCounters& counters;
    BackgroundPrecompute& precompute;
    DisclosureBudget& disclosure;  // one per engine: every client and catalog
};

void configure(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);
void register_visit(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
void filter_sources(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
void drop_visit(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
// Diagnostics for operator tools on the engine's own socket (plot-visit, tests): the
// candidates' NORAD ids and track segments.  The frontend never forwards this anywhere.
void visit_tracks(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);

}  // namespace satveto::engine
