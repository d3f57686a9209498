#include "engine/visit_methods.hpp"

#include "engine/catalog_set.hpp"
#include "engine/footprint_params.hpp"
#include "engine/time_params.hpp"

#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"
#include "geometry/wcs_plausibility.hpp"
#include "matching/precompute.hpp"
#include "matching/veto_sky.hpp"
#include "rpc/errors.hpp"

#include <cmath>
#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;
using rpc::RpcError;

constexpr double max_exposure_s = 3600.0;     // engine sanity bound; the frontend's limit is stricter
constexpr std::uint32_t max_sources = 10'000'000;

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

// The catalog the visit names; no_catalog when it is not loaded.
std::shared_ptr<const Catalog> require_catalog(const VisitContext& context, const matching::VisitParams& v) {
    std::shared_ptr<const Catalog> catalog = catalog_named(context.state, v.catalog);
    if (catalog == nullptr)
        throw RpcError(rpc::code::no_catalog, v.catalog == current_catalog_name ? std::string("no catalog is loaded")
                                                                              : "catalog: " + v.catalog + " is not loaded");
    return catalog;
}

std::shared_ptr<const matching::VisitTracks> compute_and_store(VisitContext& context, const matching::VisitParams& v) {
    const std::shared_ptr<const Catalog> catalog = require_catalog(context, v);
    const std::shared_ptr<const MatchingSettings> settings = context.state.matching();
    const std::shared_ptr<const KeptEphemeris> kept = context.keeper.current();
    const matching::CoarseEphemeris* ephemeris = kept && kept->catalog == catalog ? &kept->ephemeris : nullptr;
    auto tracks = std::make_shared<const matching::VisitTracks>(matching::precompute_visit(
        *catalog, v, settings->tolerance, settings->site, settings->earth_orientation, ephemeris,
        context.state.threads(), settings->require_sunlit));
    context.counters.registered += 1;
    if (tracks->used_cached_ephemeris) context.counters.with_kept_ephemeris += 1;
    return context.cache.insert(std::move(tracks));
}

[[noreturn]] void budget_spent() {
    // No figure in the message: the count and the limit are the operator's (stats), and a
    // refusal must say nothing a client could not tell from its own earlier answers.
    throw RpcError(rpc::code::disclosure_budget_exhausted,
                   "max_revealed_per_hour: the answers of the last hour revealed as many catalogued objects as the "
                   "disclosure budget allows; no answer until the oldest fall out of the hour");
}

[[noreturn]] void conflict(std::uint64_t visit_id) {
    throw RpcError(rpc::code::visit_conflict,
                   "visit_id: visit " + std::to_string(visit_id) + " is registered with different parameters");
}

// The visit in force for `v`: the cached one, or the one being computed in the background
// (waited for; its failure is rethrown, never an allow list), or computed now.  Different
// parameters under the same id are a conflict.
std::shared_ptr<const matching::VisitTracks> obtain_visit(VisitContext& context, const matching::VisitParams& v) {
    std::shared_ptr<const matching::VisitTracks> visit = context.cache.find(v.visit_id);
    if (visit == nullptr) {
        if (const auto pending = context.precompute.find(v.visit_id); pending && !pending->failed()) {
            if (!(pending->params == v)) conflict(v.visit_id);
            visit = pending->result.get();
        }
    }
    if (visit == nullptr) visit = compute_and_store(context, v);
    if (!(visit->params == v)) conflict(v.visit_id);
    return visit;
}

// The registered visit `visit_id` (no embedded parameters): cached, or waited for.
std::shared_ptr<const matching::VisitTracks> registered_visit(VisitContext& context, std::uint64_t visit_id) {
    if (auto visit = context.cache.find(visit_id)) return visit;
    if (const auto pending = context.precompute.find(visit_id)) return pending->result.get();
    if (auto visit = context.cache.find(visit_id)) return visit;  // finished between the two looks
    throw RpcError(rpc::code::unknown_visit, "visit_id: visit " + std::to_string(visit_id) + " is not registered");
}

// An integer element of an array; its name ("ids[7]") is only built when it is wrong, since
// a request carries up to 10^5 sources.
std::int64_t int_at(const msgpack::object& array, std::size_t i, std::string_view array_name) {
    const msgpack::object& o = array.via.array.ptr[i];
    if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
    if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(o.via.u64);
    throw RpcError(rpc::code::invalid_params, rpc::indexed_name(array_name, i) + ": expected an integer");
}

// The index of the first element that repeats an earlier one, if any.  An open-addressing
// table sized to a power of two above twice the count: one cache-friendly probe per id.
std::optional<std::size_t> first_repeat(const std::vector<std::int64_t>& ids) {
    std::size_t capacity = 16;
    while (capacity < 2 * ids.size()) capacity *= 2;
    std::vector<std::int64_t> slots(capacity);
    std::vector<char> used(capacity, 0);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        // Fibonacci hashing spreads consecutive ids over the table.
        std::size_t slot = static_cast<std::size_t>(static_cast<std::uint64_t>(ids[i]) * 0x9E3779B97F4A7C15ULL) &
                           (capacity - 1);
        while (used[slot]) {
            if (slots[slot] == ids[i]) return i;
            slot = (slot + 1) & (capacity - 1);
        }
        used[slot] = 1;
        slots[slot] = ids[i];
    }
    return std::nullopt;
}

geometry::TanWcs read_wcs(const Params& w) {
    w.reject_unknown({"crval", "crpix", "cd"});
    auto pair = [&](std::string_view key) {
        const msgpack::object& a = w.require_array(key);
        if (a.via.array.size != 2) w.fail(key, "expected two numbers");
        return std::array<double, 2>{rpc::as_double(a.via.array.ptr[0], rpc::indexed_name(w.name(key), 0)),
                                     rpc::as_double(a.via.array.ptr[1], rpc::indexed_name(w.name(key), 1))};
    };
    const auto crval = pair("crval");
    const auto crpix = pair("crpix");
    const msgpack::object& cd = w.require_array("cd");
    if (cd.via.array.size != 2) w.fail("cd", "expected [[a, b], [c, d]]");
    double m[2][2];
    for (std::size_t i = 0; i < 2; ++i) {
        const msgpack::object& row = cd.via.array.ptr[i];
        const std::string row_name = rpc::indexed_name(w.name("cd"), i);
        if (row.type != msgpack::type::ARRAY || row.via.array.size != 2)
            throw RpcError(rpc::code::invalid_params, row_name + ": expected two numbers");
        for (std::size_t j = 0; j < 2; ++j) m[i][j] = rpc::as_double(row.via.array.ptr[j], rpc::indexed_name(row_name, j));
    }
    if (crval[0] < 0.0 || crval[0] >= 360.0) w.fail("crval", "RA must be in [0, 360)");
    if (crval[1] < -90.0 || crval[1] > 90.0) w.fail("crval", "Dec must be in [-90, 90]");
    const double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const double pixel_scale_deg = std::sqrt(std::fabs(det));
    if (!(pixel_scale_deg > 1e-7 && pixel_scale_deg < 0.01)) w.fail("cd", "not an invertible matrix of sensible pixel scale");
    return geometry::tan_wcs_from_degrees(crval[0], crval[1], {crpix[0], crpix[1]}, m);
}

}  // namespace

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
        settings->site = {lat * M_PI / 180.0, lon * M_PI / 180.0, height};
    }
    if (params.has("max_footprint_deg")) {
        const double limit = params.require_double("max_footprint_deg");
        if (!(limit > 0.0 && limit <= 5.0)) params.fail("max_footprint_deg", "must be in (0, 5]");
        settings->max_footprint_deg = limit;
    }
    if (params.has("earth_orientation")) settings->earth_orientation = read_earth_orientation(params.sub("earth_orientation"));
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

// Answers once the visit is validated and queued: the precompute runs in the background, so the
// answer's timing says nothing of how busy the field is (docs/design.md "Security model").
void register_visit(VisitContext& context, const Params& params, ResultPacker& out) {
    const auto started = std::chrono::steady_clock::now();
    const matching::VisitParams v = read_visit(params);
    if (const auto cached = context.cache.find(v.visit_id)) {
        if (!(cached->params == v)) conflict(v.visit_id);
    } else {
        (void)require_catalog(context, v);  // answered now; the precompute looks again
        const auto pending = context.precompute.submit(v, [context, v]() mutable { return compute_and_store(context, v); });
        if (!(pending.params == v)) conflict(v.visit_id);
    }
    out.pack_map(2);
    out.pack("visit_id");
    out.pack(v.visit_id);
    out.pack("elapsed_ms");  // this call's time; the precompute's is in visit_tracks
    out.pack(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
}

void filter_sources(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id", "detector_id", "ids", "bboxes", "sky_corners", "visit", "wcs"});
    const std::uint64_t visit_id = params.require_uint("visit_id");
    const std::uint64_t detector_id = params.require_uint("detector_id");
    const geometry::Detector* detector = detector_id <= 1000 ? geometry::find_detector(static_cast<int>(detector_id)) : nullptr;
    if (detector == nullptr) params.fail("detector_id", "unknown detector " + std::to_string(detector_id));

    const msgpack::object& ids = params.require_array("ids");
    const std::uint32_t n = ids.via.array.size;
    if (n > max_sources) params.fail("ids", "more than 10000000 sources");
    std::vector<std::int64_t> source_ids(n);
    for (std::uint32_t i = 0; i < n; ++i) source_ids[i] = int_at(ids, i, "ids");
    const matching::Footprints footprints = read_footprints(params, n, *detector);
    if (const auto repeat = first_repeat(source_ids)) params.fail(rpc::indexed_name("ids", *repeat), "duplicate id");
    std::optional<geometry::TanWcs> wcs;
    if (params.has("wcs")) wcs = read_wcs(params.sub("wcs"));

    std::shared_ptr<const matching::VisitTracks> visit;
    if (params.has("visit")) {
        const matching::VisitParams embedded = read_visit(params.sub("visit"));
        if (embedded.visit_id != visit_id) params.fail("visit", "visit.visit_id differs from visit_id");
        visit = obtain_visit(context, embedded);
    } else {
        visit = registered_visit(context, visit_id);
    }
    if (wcs) {
        const auto& p = visit->params;
        const std::optional<double> rotation =
            p.rotation_deg ? std::optional<double>(*p.rotation_deg * M_PI / 180.0) : std::nullopt;
        if (auto problem = geometry::wcs_disagreement(
                *wcs, *detector, {p.boresight_ra_deg * M_PI / 180.0, p.boresight_dec_deg * M_PI / 180.0}, rotation))
            throw RpcError(rpc::code::invalid_params, *problem);
    }

    // The budget is looked at before the veto's work (a spent budget costs the engine nothing
    // per request) and decided after it; neither look depends on this request's sources.
    const std::uint64_t budget = context.state.matching()->max_revealed_per_hour;
    if (context.disclosure.refuses(DisclosureBudget::Clock::now(), budget)) budget_spent();

    const auto veto_started = std::chrono::steady_clock::now();
    const double max_footprint_rad = context.state.matching()->max_footprint_deg * M_PI / 180.0;
    matching::Revealed revealed(visit->candidate_ids.size());
    const std::vector<char> vetoed = matching::veto_footprints(*visit, *detector, footprints, n, wcs ? &*wcs : nullptr,
                                                               max_footprint_rad, &revealed);
    context.counters.veto_us += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - veto_started).count());
    std::vector<RevealedPair> pairs;
    pairs.reserve(revealed.candidates().size());
    const std::uint64_t catalog = catalog_key(visit->params.catalog);
    for (std::uint32_t c : revealed.candidates())
        pairs.push_back({catalog, visit->params.visit_id, visit->candidate_ids[c]});
    if (!context.disclosure.admit(pairs, DisclosureBudget::Clock::now(), budget)) budget_spent();
    std::uint32_t allowed = 0;
    for (char v : vetoed) allowed += v ? 0 : 1;
    context.counters.sources_checked += n;
    context.counters.sources_vetoed += n - allowed;
    out.pack_map(1);
    out.pack("allowed");
    out.pack_array(allowed);
    for (std::uint32_t i = 0; i < n; ++i)
        if (!vetoed[i]) out.pack(source_ids[i]);
}

void drop_visit(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id"});
    const std::uint64_t visit_id = params.require_uint("visit_id");
    context.precompute.forget(visit_id);
    context.cache.erase(visit_id);
    out.pack_map(0);
}

void visit_tracks(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id"});
    const auto visit = registered_visit(context, params.require_uint("visit_id"));
    out.pack_map(7);
    out.pack("skipped_dark");
    out.pack(static_cast<std::uint64_t>(visit->skipped_dark));
    out.pack("candidates");
    out.pack(visit->candidate_ids);
    out.pack("segments");  // [a_xi, a_eta, b_xi, b_eta, reach, candidate] in tangent-plane radians
    out.pack_array(static_cast<std::uint32_t>(visit->segments.size()));
    for (const auto& s : visit->segments) {
        out.pack_array(6);
        out.pack_double(s.a.x);
        out.pack_double(s.a.y);
        out.pack_double(s.b.x);
        out.pack_double(s.b.y);
        out.pack_double(s.reach);
        out.pack(s.candidate);
    }
    out.pack("elapsed_ms");
    out.pack_double(visit->elapsed_ms);
    out.pack("used_cached_ephemeris");
    out.pack(visit->used_cached_ephemeris);
    out.pack("unpropagated_objects");
    out.pack(static_cast<std::uint64_t>(visit->unpropagated_objects));
    out.pack("veto_everything");
    out.pack(visit->veto_everything);
}

}  // namespace satveto::engine
