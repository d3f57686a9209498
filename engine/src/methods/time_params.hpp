// Reading the time-related params of RPC requests: the `time_scale` of MJDs and configure's
// `earth_orientation` table (protocol/README.md).
#pragma once

#include "frames/earth_orientation.hpp"
#include "frames/time_scales.hpp"
#include "methods/rpc_params.hpp"

#include <memory>

namespace satveto::engine {

// `time_scale`: "tai" (also when absent or nil) or "utc"; anything else is invalid_params
// naming the field.
frames::TimeScale read_time_scale(const rpc::Params& params);

// A boolean param (true/false only), invalid_params naming it otherwise.
bool read_bool(const rpc::Params& params, std::string_view key);

// configure's `earth_orientation` map: {"mjd", "ut1_utc_s", "xp_arcsec", "yp_arcsec"} arrays
// of equal length and optional "last_observed_mjd" (default: the last row, all observed).
// Invalid tables are refused naming the column and row ("earth_orientation.mjd[3]: ...").
std::shared_ptr<const frames::EarthOrientation> read_earth_orientation(const rpc::Params& table);

}  // namespace satveto::engine
