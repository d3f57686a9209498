#include "methods/methods.hpp"
#include "common/angles.hpp"

#include "frames/frames.hpp"
#include "methods/element_states.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace satveto::engine {

void observe(const EngineState& state, const rpc::Params& params, rpc::ResultPacker& out) {
    std::vector<double> mjds_tai;
    const std::vector<sgp4::StateVector> states = states_for(params, mjds_tai);
    const auto n = static_cast<std::uint32_t>(states.size());
    const std::shared_ptr<const MatchingSettings> settings = state.matching();
    std::vector<double> ra(n), dec(n), geometric_ra(n), geometric_dec(n), range(n);
    std::optional<frames::FrameSnapshot> frame;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (states[i].error != sgp4::ErrorCode::ok) continue;
        // One snapshot serves instants within an hour of it (see frames.hpp).
        if (!frame || std::fabs(mjds_tai[i] - frame->reference_mjd_tai()) > 1.0 / 24.0)
            frame.emplace(mjds_tai[i], settings->site, *settings->earth_orientation);
        const frames::Vec3 r{states[i].r_km[0], states[i].r_km[1], states[i].r_km[2]};
        const frames::Vec3 v{states[i].v_km_s[0], states[i].v_km_s[1], states[i].v_km_s[2]};
        const frames::Vec3 d = frame->topocentric_gcrs(r, mjds_tai[i]);
        frames::ra_dec_of(d, geometric_ra[i], geometric_dec[i]);
        frames::ra_dec_of(frame->star_frame_gcrs(r, v, mjds_tai[i]), ra[i], dec[i]);
        range[i] = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    }
    auto pack_column = [&](const char* key, const std::vector<double>& values, double scale) {
        out.pack(key);
        out.pack_array(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (states[i].error == sgp4::ErrorCode::ok) out.pack_double(values[i] * scale);
            else
                out.pack_nil();
        }
    };
    out.pack_map(6);
    pack_column("ra_deg", ra, 1.0 / common::deg);
    pack_column("dec_deg", dec, 1.0 / common::deg);
    pack_column("geometric_ra_deg", geometric_ra, 1.0 / common::deg);
    pack_column("geometric_dec_deg", geometric_dec, 1.0 / common::deg);
    pack_column("range_km", range, 1.0);
    out.pack("errors");
    out.pack_array(n);
    for (const auto& s : states) out.pack(static_cast<int>(s.error));
}

}  // namespace satveto::engine
