// The engine's RPC methods (protocol/README.md), one function each, each defined in the file
// named for it (methods/<name>.cpp).  A method reads its params, packs exactly one result or
// throws rpc::RpcError; rpc/method_table.cpp gives them their names on the dispatcher.
#pragma once

#include "methods/rpc_params.hpp"
#include "methods/services.hpp"
#include "state/state.hpp"

#include <functional>

namespace satveto::engine {

// Identity, uptime and the catalogs held (current and historical).
void ping(const EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);

// Counters only, no catalog content.  `pack_transport` packs the RPC layer's counters as the
// last two entries of the result map ("methods", "connections"): the layer above owns them.
void stats(const EngineServices& services, const std::function<void(rpc::ResultPacker&)>& pack_transport,
           const rpc::Params& params, rpc::ResultPacker& out);

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

// The matching settings (tolerance, site, Earth orientation, footprint limit, require_sunlit).
void configure(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out);

void register_visit(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
void filter_sources(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
void drop_visit(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);
// Diagnostics for operator tools on the engine's own socket (plot-visit, tests): the
// candidates' NORAD ids and track segments.  The frontend never forwards this anywhere.
void visit_tracks(VisitContext& context, const rpc::Params& params, rpc::ResultPacker& out);

}  // namespace satveto::engine
