#include "methods/element_states.hpp"

#include "frames/time_scales.hpp"
#include "methods/omm_params.hpp"
#include "methods/rpc_errors.hpp"
#include "methods/time_params.hpp"

#include <cstdint>
#include <string>

namespace satveto::engine {
namespace {

constexpr std::uint32_t max_propagate_instants = 1'000'000;

}  // namespace

std::vector<sgp4::StateVector> states_for(const rpc::Params& params, std::vector<double>& mjds_tai) {
    params.reject_unknown({"elements", "mjd", "time_scale"});
    const frames::TimeScale scale = read_time_scale(params);
    const sgp4::OmmElements omm = read_omm(params.sub("elements"));
    const sgp4::Expected<sgp4::Satellite> satellite = sgp4::init_satellite(omm);
    if (!satellite)
        throw rpc::RpcError(rpc::code::invalid_params,
                            "elements: " + std::string(sgp4::describe(satellite.error().code)));
    const msgpack::object& instants = params.require_array("mjd");
    const std::uint32_t n = instants.via.array.size;
    if (n > max_propagate_instants) params.fail("mjd", "at most 1000000 instants per call");
    mjds_tai.resize(n);
    std::vector<double> minutes(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        const double mjd = rpc::as_double(instants.via.array.ptr[i], rpc::indexed_name("mjd", i));
        // SGP4 counts UTC minutes from the UTC epoch; the frames want TAI.
        mjds_tai[i] = frames::mjd_tai_from(scale, mjd);
        const double mjd_utc = scale == frames::TimeScale::utc ? mjd : frames::mjd_utc_from_tai(mjd);
        minutes[i] = sgp4::minutes_since_epoch(*satellite, mjd_utc);
    }
    std::vector<sgp4::StateVector> states(n);
    sgp4::propagate_times(*satellite, minutes, states);
    return states;
}

}  // namespace satveto::engine
