#include "matching/coarse_ephemeris.hpp"

#include <cmath>
#include <limits>

namespace satveto::matching {

CoarseEphemeris CoarseEphemeris::build(const engine::Catalog& catalog, double start_mjd, double step_s,
                                       std::size_t steps, unsigned threads) {
    CoarseEphemeris e;
    e.start_mjd_ = start_mjd;
    e.step_s_ = step_s;
    e.steps_ = steps;
    e.objects_ = catalog.objects;
    e.xyz_.assign(e.objects_ * steps, frames::Vec3{});
    std::vector<sgp4::StateVector> states(e.objects_);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < steps; ++k) {
        catalog.batch.propagate_at(e.time_of(k), states, threads);
        for (std::size_t i = 0; i < e.objects_; ++i) {
            const sgp4::StateVector& s = states[i];
            e.xyz_[i * steps + k] =
                s.error == sgp4::ErrorCode::ok ? frames::Vec3{s.r_km[0], s.r_km[1], s.r_km[2]} : frames::Vec3{nan, nan, nan};
        }
    }
    return e;
}

}  // namespace satveto::matching
