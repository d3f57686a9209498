#include "engine/catalog_methods.hpp"

#include "engine/catalog_build.hpp"
#include "engine/catalog_set.hpp"
#include "engine/log.hpp"
#include "engine/omm_params.hpp"
#include "engine/time_params.hpp"
#include "frames/frames.hpp"
#include "rpc/errors.hpp"

#include <cmath>
#include <optional>

namespace satveto::engine {
namespace {

constexpr std::size_t max_generation_chars = 128;
constexpr std::uint32_t max_propagate_instants = 1'000'000;

void pack_vector_or_nil(rpc::ResultPacker& out, const std::array<double, 3>& xyz, bool valid) {
    if (!valid) {
        out.pack_nil();
        return;
    }
    out.pack_array(3);
    for (double c : xyz) out.pack_double(c);
}

}  // namespace

bool load_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out) {
    params.reject_unknown({"generation", "fetched_at_unix", "objects", "catalog"});
    const std::string name = read_catalog_name(params);
    const bool current = name == current_catalog_name;
    std::string generation = params.require_string("generation");
    if (generation.empty() || generation.size() > max_generation_chars)
        params.fail("generation", "must have 1 to 128 characters");
    const double fetched_at_unix = params.require_double("fetched_at_unix");
    if (fetched_at_unix < 0) params.fail("fetched_at_unix", "must not be negative");
    const msgpack::object& objects = params.require_array("objects");

    CatalogBuild build = build_catalog(objects, generation, fetched_at_unix, state.threads());
    if (!build.catalog) {
        throw rpc::RpcError(rpc::code::invalid_params,
                            "objects: no valid object among " + std::to_string(objects.via.array.size) +
                                "; the current catalog is kept");
    }
    const std::size_t accepted = build.catalog->objects;
    if (current) {
        state.swap_catalog(std::move(build.catalog));
    } else if (!state.historical().store(name, std::move(build.catalog))) {
        params.fail("catalog", "at most " + std::to_string(max_historical_catalogs) +
                                   " historical catalogs are held; drop one first");
    }
    log_info("catalog loaded", {{"catalog", name},
                                {"generation", generation},
                                {"accepted", std::to_string(accepted)},
                                {"rejected", std::to_string(build.rejected.size())}});

    out.pack_map(2);
    out.pack("accepted");
    out.pack(static_cast<std::uint64_t>(accepted));
    out.pack("rejected");
    out.pack_array(static_cast<std::uint32_t>(build.rejected.size()));
    for (const Rejection& r : build.rejected) {
        out.pack_map(2);
        out.pack("norad_cat_id");
        if (r.norad_cat_id) out.pack(*r.norad_cat_id);
        else out.pack_nil();
        out.pack("reason");
        out.pack(r.reason);
    }
    return current;
}

void drop_catalog(EngineState& state, const rpc::Params& params, rpc::ResultPacker& out) {
    params.reject_unknown({"catalog"});
    if (!params.has("catalog")) params.fail("catalog", "required");
    const std::string name = read_catalog_name(params);
    if (name == current_catalog_name) params.fail("catalog", "the current catalog cannot be dropped");
    const bool dropped = state.historical().drop(name);
    if (dropped) log_info("historical catalog dropped", {{"catalog", name}});
    out.pack_map(1);
    out.pack("dropped");
    out.pack(dropped);
}

namespace {

// The states of {"elements", "mjd", "time_scale"?} params, with the instants read back for
// the caller as TAI MJDs.
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

}  // namespace

void propagate(const rpc::Params& params, rpc::ResultPacker& out) {
    std::vector<double> mjds;
    const std::vector<sgp4::StateVector> states = states_for(params, mjds);
    const auto n = static_cast<std::uint32_t>(states.size());

    out.pack_map(3);
    out.pack("r_km");
    out.pack_array(n);
    for (const auto& s : states) pack_vector_or_nil(out, s.r_km, s.error == sgp4::ErrorCode::ok);
    out.pack("v_km_s");
    out.pack_array(n);
    for (const auto& s : states) pack_vector_or_nil(out, s.v_km_s, s.error == sgp4::ErrorCode::ok);
    out.pack("errors");
    out.pack_array(n);
    for (const auto& s : states) out.pack(static_cast<int>(s.error));
}

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
            else out.pack_nil();
        }
    };
    out.pack_map(6);
    pack_column("ra_deg", ra, 180.0 / M_PI);
    pack_column("dec_deg", dec, 180.0 / M_PI);
    pack_column("geometric_ra_deg", geometric_ra, 180.0 / M_PI);
    pack_column("geometric_dec_deg", geometric_dec, 180.0 / M_PI);
    pack_column("range_km", range, 1.0);
    out.pack("errors");
    out.pack_array(n);
    for (const auto& s : states) out.pack(static_cast<int>(s.error));
}

}  // namespace satveto::engine
