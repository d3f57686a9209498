#include "methods/methods.hpp"
#include "common/angles.hpp"

#include "methods/time_params.hpp"

#include <cmath>
#include <memory>
#include <string_view>
#include <utility>

namespace satveto::engine {

using rpc::Params;
using rpc::ResultPacker;

void configure(EngineState& state, const Params& params, ResultPacker& out) {
    params.reject_unknown({"tolerance", "site", "max_footprint_deg", "earth_orientation", "require_sunlit"});
    auto settings = std::make_shared<MatchingSettings>(*state.matching());
    if (params.has("tolerance")) {
        const Params t = params.sub("tolerance");
        t.reject_unknown({"min_arcsec", "a_km", "b_km_per_day", "c_km", "d_km_per_day", "margin_arcsec"});
        matching::ToleranceModel& m = settings->tolerance;
        auto read = [&](std::string_view key, double& into) {
            if (!t.has(key)) return;
            into = t.require_double(key);
            if (into < 0.0 || into > 1e6) t.fail(key, "must be between 0 and 1e6");
        };
        read("min_arcsec", m.min_arcsec);
        read("a_km", m.a_km);
        read("b_km_per_day", m.b_km_per_day);
        read("c_km", m.c_km);
        read("d_km_per_day", m.d_km_per_day);
        read("margin_arcsec", m.margin_arcsec);
    }
    if (params.has("site")) {
        const Params s = params.sub("site");
        s.reject_unknown({"latitude_deg", "longitude_deg", "height_m"});
        const double lat = s.require_double("latitude_deg"), lon = s.require_double("longitude_deg");
        const double height = s.require_double("height_m");
        if (lat < -90.0 || lat > 90.0) s.fail("latitude_deg", "must be in [-90, 90]");
        if (lon < -180.0 || lon > 360.0) s.fail("longitude_deg", "must be in [-180, 360]");
        if (height < -500.0 || height > 10000.0) s.fail("height_m", "must be in [-500, 10000]");
        settings->site = {lat * common::deg, lon * common::deg, height};
    }
    if (params.has("max_footprint_deg")) {
        const double limit = params.require_double("max_footprint_deg");
        if (!(limit > 0.0 && limit <= 5.0)) params.fail("max_footprint_deg", "must be in (0, 5]");
        settings->max_footprint_deg = limit;
    }
    if (params.has("earth_orientation")) settings->earth_orientation = read_earth_orientation(params.sub("earth_orientation"));
    if (params.has("require_sunlit")) settings->require_sunlit = read_bool(params, "require_sunlit");
    state.set_matching(std::move(settings));
    out.pack_map(0);
}

}  // namespace satveto::engine
