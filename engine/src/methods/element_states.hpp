// The params shared by propagate and observe: one element set and the instants to place it at.
#pragma once

#include "methods/rpc_params.hpp"
#include "sgp4/sgp4.hpp"

#include <vector>

namespace satveto::engine {

// The states of {"elements", "mjd", "time_scale"?} params, with the instants read back for
// the caller as TAI MJDs.
std::vector<sgp4::StateVector> states_for(const rpc::Params& params, std::vector<double>& mjds_tai);

}  // namespace satveto::engine
