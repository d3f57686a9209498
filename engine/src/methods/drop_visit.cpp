#include "methods/methods.hpp"

namespace satveto::engine {

using rpc::Params;
using rpc::ResultPacker;

void drop_visit(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id"});
    const std::uint64_t visit_id = params.require_uint("visit_id");
    context.precompute.forget(visit_id);
    context.cache.erase(visit_id);
    out.pack_map(0);
}

}  // namespace satveto::engine
