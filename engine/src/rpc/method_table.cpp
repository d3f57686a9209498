#include "rpc/method_table.hpp"

#include "methods/methods.hpp"

namespace satveto::rpc {
namespace {

using engine::EngineServices;
using engine::EngineState;
using engine::VisitContext;

// The transport's counters as two map entries of `stats` (the caller sized the map).
void pack_transport_counters(const Dispatcher& dispatcher, const ConnectionCounters& connections, ResultPacker& out) {
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

void register_methods(Dispatcher& dispatcher, EngineServices& services, const ConnectionCounters& connections) {
    EngineState& state = services.state;
    dispatcher.add("ping", [&state](const Params& p, ResultPacker& out) { engine::ping(state, p, out); });
    dispatcher.add("load_catalog", [&services](const Params& p, ResultPacker& out) {
        if (engine::load_catalog(services.state, p, out)) services.keeper.catalog_changed();
    });
    dispatcher.add("drop_catalog", [&state](const Params& p, ResultPacker& out) { engine::drop_catalog(state, p, out); });
    dispatcher.add("propagate", [](const Params& p, ResultPacker& out) { engine::propagate(p, out); });
    dispatcher.add("observe", [&state](const Params& p, ResultPacker& out) { engine::observe(state, p, out); });
    dispatcher.add("configure", [&state](const Params& p, ResultPacker& out) { engine::configure(state, p, out); });
    auto visit_method = [&services](void (*method)(VisitContext&, const Params&, ResultPacker&)) {
        return [&services, method](const Params& p, ResultPacker& out) {
            VisitContext context{services.state,          services.visits,     services.keeper,
                                 services.visit_counters, services.precompute, services.disclosure};
            method(context, p, out);
        };
    };
    dispatcher.add("register_visit", visit_method(engine::register_visit));
    dispatcher.add("filter_sources", visit_method(engine::filter_sources));
    dispatcher.add("drop_visit", visit_method(engine::drop_visit));
    dispatcher.add("visit_tracks", visit_method(engine::visit_tracks));
    dispatcher.add("stats", [&services, &dispatcher, &connections](const Params& p, ResultPacker& out) {
        engine::stats(
            services, [&](ResultPacker& o) { pack_transport_counters(dispatcher, connections, o); }, p, out);
    });
}

}  // namespace satveto::rpc
