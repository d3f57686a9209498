// RPC methods that work with orbital elements: load_catalog and propagate.
#pragma once

#include "engine/state.hpp"
#include "rpc/dispatcher.hpp"

namespace satveto::engine {

// Validates and initialises a whole catalog aside, then swaps it in atomically: the current
// catalog, or the historical one named by the optional `catalog` param.  Returns true when
// the current catalog changed.
bool load_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);

// Forgets the historical catalog named by `catalog`; result {"dropped": bool}.  Visits
// registered against it keep their precomputed tracks.
void drop_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);

// TEME states of one element set at the given instants (diagnostics; never a catalog lookup).
void propagate(const rpc::Params& params, rpc::ResultPacker& out);

// Topocentric star-frame RA/Dec (what a WCS fitted to stars reads; star_frame.hpp), the
// geometric RA/Dec (GCRS) and range from the configured site, through the same frame chain
// as the matching (diagnostics and tests; never a catalog lookup).
void observe(const EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);

}  // namespace satveto::engine
