#include "methods/visit_params.hpp"

#include "methods/catalog_params.hpp"
#include "methods/time_params.hpp"

namespace satveto::engine {
namespace {

using rpc::Params;

constexpr double max_exposure_s = 3600.0;     // engine sanity bound; the frontend's limit is stricter

}  // namespace

matching::VisitParams read_visit(const Params& p) {
    p.reject_unknown({"visit_id", "exposure_start_mjd", "exposure_end_mjd", "boresight_ra", "boresight_dec",
                      "rotation_deg", "catalog", "time_scale"});
    matching::VisitParams v;
    v.visit_id = p.require_uint("visit_id");
    v.exposure_start_mjd = p.require_double("exposure_start_mjd");
    v.exposure_end_mjd = p.require_double("exposure_end_mjd");
    v.boresight_ra_deg = p.require_double("boresight_ra");
    v.boresight_dec_deg = p.require_double("boresight_dec");
    v.rotation_deg = p.optional_double("rotation_deg");
    v.catalog = read_catalog_name(p);
    v.time_scale = read_time_scale(p);
    if (v.exposure_start_mjd < 15020.0 || v.exposure_start_mjd > 88069.0)  // years 1900-2099
        p.fail("exposure_start_mjd", "must be an MJD between 1900 and 2099");
    if (!(v.exposure_end_mjd > v.exposure_start_mjd)) p.fail("exposure_end_mjd", "must be after exposure_start_mjd");
    if ((v.exposure_end_mjd - v.exposure_start_mjd) * 86400.0 > max_exposure_s)
        p.fail("exposure_end_mjd", "exposure longer than 3600 s");
    if (v.boresight_ra_deg < 0.0 || v.boresight_ra_deg >= 360.0) p.fail("boresight_ra", "must be in [0, 360)");
    if (v.boresight_dec_deg < -90.0 || v.boresight_dec_deg > 90.0) p.fail("boresight_dec", "must be in [-90, 90]");
    return v;
}

}  // namespace satveto::engine
