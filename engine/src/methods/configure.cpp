#include "methods/methods.hpp"
#include "common/angles.hpp"

#include "methods/request_rules.hpp"
#include "methods/time_params.hpp"

#include <cmath>
#include <memory>
#include <string_view>
#include <utility>

namespace satveto::engine {

using rpc::Params;
using rpc::ResultPacker;

void configure(EngineState& state, const Params& params, ResultPacker& out) {
    params.reject_unknown(
        {"tolerance", "site", "max_footprint_deg", "earth_orientation", "require_sunlit", "max_revealed_per_hour"});
    auto settings = std::make_shared<MatchingSettings>(*state.matching());
    if (params.has("tolerance")) {
        const Params t = params.sub("tolerance");
        t.reject_unknown({"min_arcsec", "a_km", "b_km_per_day", "c_km", "d_km_per_day", "margin_arcsec"});
        matching::ToleranceModel& m = settings->tolerance;
        auto read = [&](std::string_view key, double& into) {
            if (!t.has(key)) return;
            into = t.require_double(key);
            if (into < 0.0 || into > rules::tolerance_max)
                t.fail(key, "must be between 0 and " + rules::text(rules::tolerance_max));
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
        auto check = [&](std::string_view key, double value, double min, double max) {
            if (value < min || value > max)
                s.fail(key, "must be in [" + rules::text(min) + ", " + rules::text(max) + "]");
        };
        check("latitude_deg", lat, -rules::site_latitude_max_abs_deg, rules::site_latitude_max_abs_deg);
        check("longitude_deg", lon, rules::site_longitude_min_deg, rules::site_longitude_max_deg);
        check("height_m", height, rules::site_height_min_m, rules::site_height_max_m);
        settings->site = {lat * common::deg, lon * common::deg, height};
    }
    if (params.has("max_footprint_deg")) {
        const double limit = params.require_double("max_footprint_deg");
        if (!(limit >= rules::footprint_min_deg && limit <= rules::footprint_max_deg))
            params.fail("max_footprint_deg", "must be in [" + rules::text(rules::footprint_min_deg) + ", " +
                                                 rules::text(rules::footprint_max_deg) + "]");
        settings->max_footprint_deg = limit;
    }
    if (params.has("earth_orientation"))
        settings->earth_orientation = read_earth_orientation(params.sub("earth_orientation"));
    if (params.has("require_sunlit")) settings->require_sunlit = read_bool(params, "require_sunlit");
    if (params.has("max_revealed_per_hour")) {
        const std::uint64_t limit = params.require_uint("max_revealed_per_hour");
        if (limit < 1 || limit > max_max_revealed_per_hour)
            params.fail("max_revealed_per_hour", "must be between 1 and 1000000");
        settings->max_revealed_per_hour = limit;
    }
    state.set_matching(std::move(settings));
    out.pack_map(0);
}

}  // namespace satveto::engine
