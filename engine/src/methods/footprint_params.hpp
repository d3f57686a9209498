// Reading the footprints of filter_sources: `bboxes` and `sky_corners`, parallel to `ids`.
#pragma once

#include "geometry/camera.hpp"
#include "matching/veto_sky.hpp"
#include "methods/rpc_params.hpp"

#include <cstdint>

namespace satveto::engine {

// Reads the footprints of `n` sources from params' `bboxes` and `sky_corners`.
//
// Each array, when present, has n elements; element i is nil or source i's footprint, and
// exactly one of bboxes[i] and sky_corners[i] is non-nil.  Either array may be omitted when
// no source uses it; one of them must be given (without sky_corners, `bboxes` is required as
// it always was).  A bbox is [x_min, y_min, x_max, y_max] integer pixels inside `detector`;
// sky corners are four [ra_deg, dec_deg] pairs of finite numbers, RA in [0, 360), Dec in
// [-90, 90], stored in radians.  Anything else throws RpcError(invalid_params) whose message
// starts with the element's name ("sky_corners[3][2]: ...", "bboxes[5]: ...").  Element
// names are built only on failure: a request carries up to 10^5 sources.
matching::Footprints read_footprints(const rpc::Params& params, std::uint32_t n, const geometry::Detector& detector);

}  // namespace satveto::engine
