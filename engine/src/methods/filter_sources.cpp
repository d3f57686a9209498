#include "methods/methods.hpp"
#include "common/angles.hpp"

#include "methods/footprint_params.hpp"
#include "methods/request_rules.hpp"
#include "methods/visit_lookup.hpp"
#include "methods/visit_params.hpp"

#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"
#include "geometry/wcs_plausibility.hpp"
#include "matching/veto_sky.hpp"
#include "methods/rpc_errors.hpp"

#include <cmath>
#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <utility>

namespace satveto::engine {
namespace {

using rpc::Params;
using rpc::ResultPacker;
using rpc::RpcError;

[[noreturn]] void budget_spent() {
    // No figure in the message: the count and the limit are the operator's (stats), and a
    // refusal must say nothing a client could not tell from its own earlier answers.
    throw RpcError(rpc::code::disclosure_budget_exhausted,
                   "max_revealed_per_hour: the answers of the last hour revealed as many catalogued objects as the "
                   "disclosure budget allows; no answer until the oldest fall out of the hour");
}

// An id element of an array, in [0, rules::id_max]; its name ("ids[7]") is only built when it
// is wrong, since a request carries up to 10^5 sources.
std::int64_t id_at(const msgpack::object& array, std::size_t i, std::string_view array_name) {
    const msgpack::object& o = array.via.array.ptr[i];
    if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= static_cast<std::uint64_t>(rules::id_max))
        return static_cast<std::int64_t>(o.via.u64);
    throw RpcError(rpc::code::invalid_params, rpc::indexed_name(array_name, i) + ": expected an integer in [0, " +
                                                  std::to_string(rules::id_max) + "]");
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
        for (std::size_t j = 0; j < 2; ++j)
            m[i][j] = rpc::as_double(row.via.array.ptr[j], rpc::indexed_name(row_name, j));
    }
    if (crval[0] < 0.0 || crval[0] >= rules::ra_max_deg)
        w.fail("crval", "RA must be in [0, " + rules::text(rules::ra_max_deg) + ")");
    if (std::fabs(crval[1]) > rules::dec_max_abs_deg)
        w.fail("crval", "Dec must be in [-" + rules::text(rules::dec_max_abs_deg) + ", " +
                            rules::text(rules::dec_max_abs_deg) + "]");
    const double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const double pixel_scale_deg = std::sqrt(std::fabs(det));
    if (!(pixel_scale_deg > rules::pixel_scale_min_deg && pixel_scale_deg < rules::pixel_scale_max_deg))
        w.fail("cd", "pixel scale sqrt(|det cd|) must be in (" + rules::text(rules::pixel_scale_min_deg) + ", " +
                         rules::text(rules::pixel_scale_max_deg) + ") deg");
    return geometry::tan_wcs_from_degrees(crval[0], crval[1], {crpix[0], crpix[1]}, m);
}

}  // namespace

void filter_sources(VisitContext& context, const Params& params, ResultPacker& out) {
    params.reject_unknown({"visit_id", "detector_id", "ids", "bboxes", "sky_corners", "visit", "wcs"});
    const std::uint64_t visit_id = params.require_uint("visit_id");
    const std::uint64_t detector_id = params.require_uint("detector_id");
    const geometry::Detector* detector = detector_id <= 1000 ? geometry::find_detector(static_cast<int>(detector_id))
                                                             : nullptr;
    if (detector == nullptr) params.fail("detector_id", "unknown detector " + std::to_string(detector_id));

    const msgpack::object& ids = params.require_array("ids");
    const std::uint32_t n = ids.via.array.size;
    if (n > rules::sources_max) params.fail("ids", "more than " + std::to_string(rules::sources_max) + " sources");
    std::vector<std::int64_t> source_ids(n);
    for (std::uint32_t i = 0; i < n; ++i) source_ids[i] = id_at(ids, i, "ids");
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
        const std::optional<double> rotation = p.rotation_deg ? std::optional<double>(*p.rotation_deg * common::deg)
                                                              : std::nullopt;
        if (auto problem = geometry::wcs_disagreement(
                *wcs, *detector, {p.boresight_ra_deg * common::deg, p.boresight_dec_deg * common::deg}, rotation))
            throw RpcError(rpc::code::invalid_params, *problem);
    }

    // The budget is looked at before the veto's work (a spent budget costs the engine nothing
    // per request) and decided after it; neither look depends on this request's sources.
    const std::uint64_t budget = context.state.matching()->max_revealed_per_hour;
    if (context.disclosure.refuses(DisclosureBudget::Clock::now(), budget)) budget_spent();

    const auto veto_started = std::chrono::steady_clock::now();
    const double max_footprint_rad = context.state.matching()->max_footprint_deg * common::deg;
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

}  // namespace satveto::engine
