#include "methods/methods.hpp"

#include "catalog/catalog_set.hpp"
#include "common/log.hpp"
#include "methods/catalog_build.hpp"
#include "methods/catalog_params.hpp"
#include "methods/rpc_errors.hpp"

#include <string>

namespace satveto::engine {
namespace {

constexpr std::size_t max_generation_chars = 128;

}  // namespace

bool load_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out) {
    params.reject_unknown({"generation", "fetched_at_unix", "objects", "catalog"});
    const std::string name = read_catalog_name(params);
    const bool current = name == catalog::current_catalog_name;
    std::string generation = params.require_string("generation");
    if (generation.empty() || generation.size() > max_generation_chars)
        params.fail("generation", "must have 1 to 128 characters");
    const double fetched_at_unix = params.require_double("fetched_at_unix");
    if (fetched_at_unix < 0) params.fail("fetched_at_unix", "must not be negative");
    const msgpack::object& objects = params.require_array("objects");

    CatalogBuild build = build_catalog(objects, generation, fetched_at_unix, state.threads());
    if (!build.catalog) {
        throw rpc::RpcError(rpc::code::invalid_params, "objects: no valid object among " +
                                                           std::to_string(objects.via.array.size) +
                                                           "; the current catalog is kept");
    }
    const std::size_t accepted = build.catalog->objects;
    if (current) {
        state.swap_catalog(std::move(build.catalog));
    } else if (!state.historical().store(name, std::move(build.catalog))) {
        params.fail("catalog", "at most " + std::to_string(catalog::max_historical_catalogs) +
                                   " historical catalogs are held; drop one first");
    }
    common::log_info("catalog loaded", {{"catalog", name},
                                        {"generation", generation},
                                        {"accepted", std::to_string(accepted)},
                                        {"rejected", std::to_string(build.rejected.size())}});

    out.pack_map(2);
    out.pack("accepted");
    out.pack(static_cast<std::uint64_t>(accepted));
    out.pack("rejected");
    out.pack_array(static_cast<std::uint32_t>(build.rejected.size()));
    for (const Rejection& r : build.rejected) {
        out.pack_map(2);
        out.pack("norad_cat_id");
        if (r.norad_cat_id) out.pack(*r.norad_cat_id);
        else
            out.pack_nil();
        out.pack("reason");
        out.pack(r.reason);
    }
    return current;
}

}  // namespace satveto::engine
