#include "methods/visit_params.hpp"

#include "methods/catalog_params.hpp"
#include "methods/request_rules.hpp"
#include "methods/time_params.hpp"

#include <cmath>
#include <string>

namespace satveto::engine {
namespace {

using rpc::Params;

void check_mjd(const Params& p, std::string_view key, double mjd) {
    if (mjd < rules::mjd_min || mjd > rules::mjd_max)
        p.fail(key, "must be an MJD in [" + rules::text(rules::mjd_min) + ", " + rules::text(rules::mjd_max) +
                        "] (1900-01-01 to 2100-01-01)");
}

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
    if (v.visit_id > static_cast<std::uint64_t>(rules::id_max))
        p.fail("visit_id", "must be at most " + std::to_string(rules::id_max));
    check_mjd(p, "exposure_start_mjd", v.exposure_start_mjd);
    check_mjd(p, "exposure_end_mjd", v.exposure_end_mjd);
    if (!(v.exposure_end_mjd > v.exposure_start_mjd)) p.fail("exposure_end_mjd", "must be after exposure_start_mjd");
    if ((v.exposure_end_mjd - v.exposure_start_mjd) * 86400.0 > rules::exposure_max_s)
        p.fail("exposure_end_mjd", "exposure longer than " + rules::text(rules::exposure_max_s) + " s");
    if (v.boresight_ra_deg < 0.0 || v.boresight_ra_deg >= rules::ra_max_deg)
        p.fail("boresight_ra", "must be in [0, " + rules::text(rules::ra_max_deg) + ")");
    if (std::fabs(v.boresight_dec_deg) > rules::dec_max_abs_deg)
        p.fail("boresight_dec",
               "must be in [-" + rules::text(rules::dec_max_abs_deg) + ", " + rules::text(rules::dec_max_abs_deg) + "]");
    if (v.rotation_deg && std::fabs(*v.rotation_deg) > rules::rotation_max_abs_deg)
        p.fail("rotation_deg", "must be in [-" + rules::text(rules::rotation_max_abs_deg) + ", " +
                                   rules::text(rules::rotation_max_abs_deg) + "]");
    return v;
}

}  // namespace satveto::engine
