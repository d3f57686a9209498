// The engine's method table: every RPC method (methods/methods.hpp) under its protocol name
// (protocol/README.md) on a dispatcher.
#pragma once

#include "methods/services.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/unix_server.hpp"

namespace satveto::rpc {

// `services` and `connections` must outlive the dispatcher.
void register_methods(Dispatcher& dispatcher, engine::EngineServices& services, const ConnectionCounters& connections);

}  // namespace satveto::rpc
