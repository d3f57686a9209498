#include "engine/methods.hpp"

#include "engine/catalog_methods.hpp"
#include "rpc/errors.hpp"

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;

// The five summary fields of a catalog, as map entries (the caller sizes the map).
void pack_catalog_fields(ResultPacker& out, const Catalog& catalog) {
    out.pack("generation");
    out.pack(catalog.generation);
    out.pack("objects");
    out.pack(static_cast<std::uint64_t>(catalog.objects));
    out.pack("loaded_at_unix");
    out.pack(catalog.loaded_at_unix);
    out.pack("oldest_epoch_mjd");
    out.pack(catalog.oldest_epoch_mjd);
    out.pack("fetched_at_unix");
    out.pack(catalog.fetched_at_unix);
}

void pack_catalog_summary(ResultPacker& out, const Catalog* catalog) {
    if (catalog == nullptr) {
        out.pack_nil();
        return;
    }
    out.pack_map(5);
    pack_catalog_fields(out, *catalog);
}

// [{"name", "generation", "objects", "loaded_at_unix", "oldest_epoch_mjd", "fetched_at_unix"}]
void pack_historical_catalogs(ResultPacker& out, const EngineState& state) {
    const auto held = state.historical().list();
    out.pack_array(static_cast<std::uint32_t>(held.size()));
    for (const auto& [name, catalog] : held) {
        out.pack_map(6);
        out.pack("name");
        out.pack(name);
        pack_catalog_fields(out, *catalog);
    }
}

void ping(const EngineState& state, const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const std::shared_ptr<const Catalog> catalog = state.catalog();
    out.pack_map(5);
    out.pack("version");
    out.pack(SATVETO_VERSION);
    out.pack("instance_id");
    out.pack(state.instance_id());
    out.pack("uptime_s");
    out.pack(state.uptime_s());
    out.pack("catalog");
    pack_catalog_summary(out, catalog.get());
    out.pack("historical_catalogs");
    pack_historical_catalogs(out, state);
}

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

void stats(const EngineServices& services, const rpc::Dispatcher& dispatcher,
           const rpc::ConnectionCounters& connections, const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const EngineState& state = services.state;
    const std::shared_ptr<const Catalog> catalog = state.catalog();
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
    out.pack("methods");
    dispatcher.pack_counters(out);
    out.pack("connections");
    out.pack_map(6);
    out.pack("accepted");
    out.pack(connections.accepted.load());
    out.pack("active");
    out.pack(connections.active.load());
    out.pack("refused_peer");
    out.pack(connections.refused_peer.load());
    out.pack("refused_capacity");
    out.pack(connections.refused_capacity.load());
    out.pack("protocol_errors");
    out.pack(connections.protocol_errors.load());
    out.pack("invalid_requests");
    out.pack(dispatcher.invalid_requests());
}

}  // namespace

void register_methods(rpc::Dispatcher& dispatcher, EngineServices& services,
                      const rpc::ConnectionCounters& connections) {
    EngineState& state = services.state;
    dispatcher.add("ping", [&state](const Params& p, ResultPacker& out) { ping(state, p, out); });
    dispatcher.add("load_catalog", [&services](const Params& p, ResultPacker& out) {
        if (load_catalog(services.state, p, out)) services.keeper.catalog_changed();
    });
    dispatcher.add("drop_catalog", [&state](const Params& p, ResultPacker& out) { drop_catalog(state, p, out); });
    dispatcher.add("propagate", [](const Params& p, ResultPacker& out) { propagate(p, out); });
    dispatcher.add("observe", [&state](const Params& p, ResultPacker& out) { observe(state, p, out); });
    dispatcher.add("configure", [&state](const Params& p, ResultPacker& out) { configure(state, p, out); });
    auto visit_method = [&services](void (*method)(VisitContext&, const Params&, ResultPacker&)) {
        return [&services, method](const Params& p, ResultPacker& out) {
            VisitContext context{services.state, services.visits, services.keeper, services.visit_counters,
                                 services.precompute, services.disclosure};
            method(context, p, out);
        };
    };
    dispatcher.add("register_visit", visit_method(register_visit));
    dispatcher.add("filter_sources", visit_method(filter_sources));
    dispatcher.add("drop_visit", visit_method(drop_visit));
    dispatcher.add("visit_tracks", visit_method(visit_tracks));
    dispatcher.add("stats", [&services, &dispatcher, &connections](const Params& p, ResultPacker& out) {
        stats(services, dispatcher, connections, p, out);
    });
}

}  // namespace satveto::engine
