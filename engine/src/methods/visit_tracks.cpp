#include "methods/methods.hpp"

#include "methods/visit_lookup.hpp"

namespace satveto::engine {

using rpc::Params;
using rpc::ResultPacker;

void visit_tracks(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id"});
    const auto visit = registered_visit(context, params.require_uint("visit_id"));
    out.pack_map(7);
    out.pack("skipped_dark");
    out.pack(static_cast<std::uint64_t>(visit->skipped_dark));
    out.pack("candidates");
    out.pack(visit->candidate_ids);
    out.pack("segments");  // [a_xi, a_eta, b_xi, b_eta, reach, candidate] in tangent-plane radians
    out.pack_array(static_cast<std::uint32_t>(visit->segments.size()));
    for (const auto& s : visit->segments) {
        out.pack_array(6);
        out.pack_double(s.a.x);
        out.pack_double(s.a.y);
        out.pack_double(s.b.x);
        out.pack_double(s.b.y);
        out.pack_double(s.reach);
        out.pack(s.candidate);
    }
    out.pack("elapsed_ms");
    out.pack_double(visit->elapsed_ms);
    out.pack("used_cached_ephemeris");
    out.pack(visit->used_cached_ephemeris);
    out.pack("unpropagated_objects");
    out.pack(static_cast<std::uint64_t>(visit->unpropagated_objects));
    out.pack("veto_everything");
    out.pack(visit->veto_everything);
}

}  // namespace satveto::engine
