// One satellite catalog as the engine holds it: immutable once built.
//
// Built aside by load_catalog (methods/catalog_build.hpp) and swapped in behind an atomic
// pointer (state/state.hpp), so a request works on one catalog from start to end.  The
// matching reads it; nothing here knows about requests or threads.
#pragma once

#include "sgp4/sgp4.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace satveto::catalog {

struct Catalog {
    std::string generation;  // opaque id chosen by the frontend
    std::size_t objects = 0;
    double loaded_at_unix = 0.0;              // wall-clock time of the swap
    double fetched_at_unix = 0.0;             // when the frontend obtained it from its source
    double oldest_epoch_mjd = 0.0;            // UTC MJD of the oldest element set
    std::vector<std::int64_t> norad_ids;      // parallel to satellites
    std::vector<double> epoch_mjd;            // element epochs (UTC MJD)
    std::vector<double> slowest_speed_km_s;   // lower bounds of each object's speed
    std::vector<sgp4::Satellite> satellites;  // initialised SGP4/SDP4 state
    sgp4::SatelliteBatch batch;               // the same objects, laid out for batch propagation
};

}  // namespace satveto::catalog
