#include "methods/methods.hpp"

#include "catalog/catalog_set.hpp"
#include "common/log.hpp"
#include "methods/catalog_params.hpp"

#include <string>

namespace satveto::engine {

void drop_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out) {
    params.reject_unknown({"catalog"});
    if (!params.has("catalog")) params.fail("catalog", "required");
    const std::string name = read_catalog_name(params);
    if (name == catalog::current_catalog_name) params.fail("catalog", "the current catalog cannot be dropped");
    const bool dropped = state.historical().drop(name);
    if (dropped) common::log_info("historical catalog dropped", {{"catalog", name}});
    out.pack_map(1);
    out.pack("dropped");
    out.pack(dropped);
}

}  // namespace satveto::engine
