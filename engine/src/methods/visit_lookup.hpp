// Finding the visit a request is about: registered (cached or still being computed in the
// background) or computed now, with the conflicts and missing catalogs that refuse it.
#pragma once

#include "catalog/catalog.hpp"
#include "matching/visit.hpp"
#include "methods/services.hpp"

#include <cstdint>
#include <memory>

namespace satveto::engine {

// The catalog the visit names; no_catalog when it is not loaded.
std::shared_ptr<const catalog::Catalog> require_catalog(const VisitContext& context, const matching::VisitParams& v);

// Computes the visit's tracks now and stores them in the visit cache; returns the visit in
// force (the one already cached under the same id, if any).
std::shared_ptr<const matching::VisitTracks> compute_and_store(VisitContext& context, const matching::VisitParams& v);

// Throws visit_conflict for `visit_id`.
[[noreturn]] void conflict(std::uint64_t visit_id);

// The visit in force for `v`: the cached one, or the one being computed in the background
// (waited for; its failure is rethrown, never an allow list), or computed now.  Different
// parameters under the same id are a conflict.
std::shared_ptr<const matching::VisitTracks> obtain_visit(VisitContext& context, const matching::VisitParams& v);

// The registered visit `visit_id` (no embedded parameters): cached, or waited for;
// unknown_visit when there is none.
std::shared_ptr<const matching::VisitTracks> registered_visit(VisitContext& context, std::uint64_t visit_id);

}  // namespace satveto::engine
