#include "methods/methods.hpp"

#include "methods/visit_lookup.hpp"
#include "methods/visit_params.hpp"

#include <chrono>

namespace satveto::engine {

using rpc::Params;
using rpc::ResultPacker;

// Answers once the visit is validated and queued: the precompute runs in the background, so the
// answer's timing says nothing of how busy the field is (docs/design.md "Security model").
void register_visit(VisitContext& context, const Params& params, ResultPacker& out) {
    const auto started = std::chrono::steady_clock::now();
    const matching::VisitParams v = read_visit(params);
    if (const auto cached = context.cache.find(v.visit_id)) {
        if (!(cached->params == v)) conflict(v.visit_id);
    } else {
        (void)require_catalog(context, v);  // answered now; the precompute looks again
        const auto pending = context.precompute.submit(
            v, [context, v]() mutable { return compute_and_store(context, v); });
        if (!(pending.params == v)) conflict(v.visit_id);
    }
    out.pack_map(2);
    out.pack("visit_id");
    out.pack(v.visit_id);
    out.pack("elapsed_ms");  // this call's time; the precompute's is in visit_tracks
    out.pack(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace satveto::engine
