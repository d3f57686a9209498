#include "methods/methods.hpp"

#include <cstdint>
#include <memory>

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;

// The five summary fields of a catalog, as map entries (the caller sizes the map).
void pack_catalog_fields(ResultPacker& out, const catalog::Catalog& catalog) {
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

void pack_catalog_summary(ResultPacker& out, const catalog::Catalog* catalog) {
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

}  // namespace

void ping(const EngineState& state, const Params& params, ResultPacker& out) {
    params.reject_unknown({});
    const std::shared_ptr<const catalog::Catalog> catalog = state.catalog();
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

}  // namespace satveto::engine
