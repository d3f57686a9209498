// Reading a visit's params: register_visit's, and the `visit` embedded in filter_sources.
#pragma once

#include "matching/visit.hpp"
#include "methods/rpc_params.hpp"

namespace satveto::engine {

// The visit of `p` (visit_id, exposure MJDs, boresight, rotation, catalog, time_scale);
// invalid_params naming the field when one is missing, unknown or out of range.
matching::VisitParams read_visit(const rpc::Params& p);

}  // namespace satveto::engine
