// Registers the engine's RPC methods (protocol/README.md) with a dispatcher.
#pragma once

#include "engine/state.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/unix_server.hpp"

namespace satveto::engine {

// `state` and `connections` must outlive the dispatcher.
void register_methods(rpc::Dispatcher& dispatcher, EngineState& state,
                      const rpc::ConnectionCounters& connections);

}  // namespace satveto::engine
