// Reads one OMM record (space-track GP field names) from RPC params.
#pragma once

#include "methods/rpc_params.hpp"
#include "sgp4/sgp4.hpp"

namespace satveto::engine {

// Throws RpcError(invalid_params) naming the field ("objects[12].MEAN_MOTION: expected a
// number").  Keys other than the OMM fields are ignored: space-track records carry many more.
// Messages never quote a value: they may end up in logs, and values are catalog content.
sgp4::OmmElements read_omm(const rpc::Params& record);

}  // namespace satveto::engine
