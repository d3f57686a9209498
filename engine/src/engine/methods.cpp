#include "engine/methods.hpp"

#include "rpc/errors.hpp"

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;

void pack_catalog_summary(ResultPacker& out, const Catalog* catalog) {
    if (catalog == nullptr) {
        out.pack_nil();
        return;
    }
    out.pack_map(5);
    out.pack("generation");
    out.pack(catalog->generation);
    out.pack("objects");
    out.pack(static_cast<std::uint64_t>(catalog->objects));
    out.pack("loaded_at_unix");
    out.pack(catalog->loaded_at_unix);
    out.pack("oldest_epoch_mjd");
    out.pack(catalog->oldest_epoch_mjd);
    out.pack("fetched_at_unix");
    out.pack(catalog->fetched_at_unix);
}

void ping(const EngineState& state, const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const std::shared_ptr<const Catalog> catalog = state.catalog();
    out.pack_map(4);
    out.pack("version");
    out.pack(SATVETO_VERSION);
    out.pack("instance_id");
    out.pack(state.instance_id());
    out.pack("uptime_s");
    out.pack(state.uptime_s());
    out.pack("catalog");
    pack_catalog_summary(out, catalog.get());
}

void stats(const EngineState& state, const rpc::Dispatcher& dispatcher,
           const rpc::ConnectionCounters& connections, const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const std::shared_ptr<const Catalog> catalog = state.catalog();
    out.pack_map(6);
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

void register_methods(rpc::Dispatcher& dispatcher, EngineState& state,
                      const rpc::ConnectionCounters& connections) {
    dispatcher.add("ping", [&state](const Params& p, ResultPacker& out) { ping(state, p, out); });
    dispatcher.add("stats", [&state, &dispatcher, &connections](const Params& p, ResultPacker& out) {
        stats(state, dispatcher, connections, p, out);
    });
}

}  // namespace satveto::engine
