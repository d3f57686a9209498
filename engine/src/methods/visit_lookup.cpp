#include "methods/visit_lookup.hpp"

#include "matching/precompute.hpp"
#include "methods/rpc_errors.hpp"

#include <string>
#include <utility>

namespace satveto::engine {

using rpc::RpcError;

std::shared_ptr<const catalog::Catalog> require_catalog(const VisitContext& context, const matching::VisitParams& v) {
    std::shared_ptr<const catalog::Catalog> catalog = catalog_named(context.state, v.catalog);
    if (catalog == nullptr)
        throw RpcError(rpc::code::no_catalog, v.catalog == catalog::current_catalog_name
                                                  ? std::string("no catalog is loaded")
                                                  : "catalog: " + v.catalog + " is not loaded");
    return catalog;
}

std::shared_ptr<const matching::VisitTracks> compute_and_store(VisitContext& context, const matching::VisitParams& v) {
    const std::shared_ptr<const catalog::Catalog> catalog = require_catalog(context, v);
    const std::shared_ptr<const MatchingSettings> settings = context.state.matching();
    const std::shared_ptr<const KeptEphemeris> kept = context.keeper.current();
    const matching::CoarseEphemeris* ephemeris = kept && kept->catalog == catalog ? &kept->ephemeris : nullptr;
    auto tracks = std::make_shared<const matching::VisitTracks>(
        matching::precompute_visit(*catalog, v, settings->tolerance, settings->site, settings->earth_orientation,
                                   ephemeris, context.state.threads(), settings->require_sunlit));
    context.counters.registered += 1;
    if (tracks->used_cached_ephemeris) context.counters.with_kept_ephemeris += 1;
    return context.cache.insert(std::move(tracks));
}

[[noreturn]] void conflict(std::uint64_t visit_id) {
    throw RpcError(rpc::code::visit_conflict,
                   "visit_id: visit " + std::to_string(visit_id) + " is registered with different parameters");
}

std::shared_ptr<const matching::VisitTracks> obtain_visit(VisitContext& context, const matching::VisitParams& v) {
    std::shared_ptr<const matching::VisitTracks> visit = context.cache.find(v.visit_id);
    if (visit == nullptr) {
        if (const auto pending = context.precompute.find(v.visit_id); pending && !pending->failed()) {
            if (!(pending->params == v)) conflict(v.visit_id);
            visit = pending->result.get();
        }
    }
    if (visit == nullptr) visit = compute_and_store(context, v);
    if (!(visit->params == v)) conflict(v.visit_id);
    return visit;
}

std::shared_ptr<const matching::VisitTracks> registered_visit(VisitContext& context, std::uint64_t visit_id) {
    if (auto visit = context.cache.find(visit_id)) return visit;
    if (const auto pending = context.precompute.find(visit_id)) return pending->result.get();
    if (auto visit = context.cache.find(visit_id)) return visit;  // finished between the two looks
    throw RpcError(rpc::code::unknown_visit, "visit_id: visit " + std::to_string(visit_id) + " is not registered");
}

}  // namespace satveto::engine
