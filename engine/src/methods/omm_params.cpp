#include "methods/omm_params.hpp"

namespace satveto::engine {

sgp4::OmmElements read_omm(const rpc::Params& record) {
    sgp4::OmmElements omm;
    const std::int64_t id = record.require_int("NORAD_CAT_ID");
    if (id <= 0) record.fail("NORAD_CAT_ID", "must be a positive integer");
    omm.norad_cat_id = id;
    omm.epoch = record.require_string("EPOCH");
    omm.mean_motion = record.require_double("MEAN_MOTION");
    omm.eccentricity = record.require_double("ECCENTRICITY");
    omm.inclination = record.require_double("INCLINATION");
    omm.ra_of_asc_node = record.require_double("RA_OF_ASC_NODE");
    omm.arg_of_pericenter = record.require_double("ARG_OF_PERICENTER");
    omm.mean_anomaly = record.require_double("MEAN_ANOMALY");
    omm.bstar = record.require_double("BSTAR");
    omm.mean_motion_dot = record.require_double("MEAN_MOTION_DOT");
    omm.mean_motion_ddot = record.require_double("MEAN_MOTION_DDOT");
    return omm;
}

}  // namespace satveto::engine
