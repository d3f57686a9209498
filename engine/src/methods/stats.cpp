#include "methods/methods.hpp"

#include <cstdint>
#include <memory>

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;

void pack_visit_stats(const EngineServices& services, ResultPacker& out) {
    const auto kept = services.keeper.current();
    out.pack_map(8);
    out.pack("veto_ms");
    out.pack(static_cast<double>(services.visit_counters.veto_us.load()) / 1000.0);
    out.pack("cached");
    out.pack(static_cast<std::uint64_t>(services.visits.size()));
    out.pack("evictions");
    out.pack(services.visits.evictions());
    out.pack("registered");
    out.pack(services.visit_counters.registered.load());
    out.pack("with_kept_ephemeris");
    out.pack(services.visit_counters.with_kept_ephemeris.load());
    out.pack("sources_checked");
    out.pack(services.visit_counters.sources_checked.load());
    out.pack("sources_vetoed");
    out.pack(services.visit_counters.sources_vetoed.load());
    out.pack("ephemeris");
    out.pack_map(2);
    out.pack("builds");
    out.pack(services.keeper.builds());
    out.pack("last_build_ms");
    out.pack(kept ? kept->build_ms : 0.0);
}

}  // namespace

void stats(const EngineServices& services, const std::function<void(ResultPacker&)>& pack_transport,
           const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const EngineState& state = services.state;
    const std::shared_ptr<const catalog::Catalog> catalog = state.catalog();
    out.pack_map(8);
    out.pack("visits");
    pack_visit_stats(services, out);
    // Exact, on the engine's own socket only: the frontend's /metrics shows a coarse bucket.
    out.pack("disclosure");
    out.pack_map(3);
    out.pack("revealed_last_hour");
    out.pack(services.disclosure.revealed(DisclosureBudget::Clock::now()));
    out.pack("max_revealed_per_hour");
    out.pack(state.matching()->max_revealed_per_hour);
    out.pack("refusals");
    out.pack(services.disclosure.refusals());
    out.pack("instance_id");
    out.pack(state.instance_id());
    out.pack("uptime_s");
    out.pack(state.uptime_s());
    out.pack("threads");
    out.pack(state.threads());
    out.pack("catalog_objects");
    out.pack(static_cast<std::uint64_t>(catalog ? catalog->objects : 0));
    pack_transport(out);  // "methods" and "connections"
}

}  // namespace satveto::engine
