// Reading the `catalog` param that names the catalog a request is about.
#pragma once

#include "methods/rpc_params.hpp"

#include <string>

namespace satveto::engine {

// The `catalog` parameter of a request: "current" when absent; otherwise 1 to 64 characters
// of [A-Za-z0-9._:-].  Fails with invalid_params naming `catalog` otherwise.
std::string read_catalog_name(const rpc::Params& params);

}  // namespace satveto::engine
