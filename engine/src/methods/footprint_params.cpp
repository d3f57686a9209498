#include "methods/footprint_params.hpp"

#include "common/angles.hpp"
#include "methods/request_rules.hpp"
#include "methods/rpc_errors.hpp"

#include <cmath>
#include <string>

namespace satveto::engine {
namespace {

using rpc::RpcError;

[[noreturn]] void fail(const std::string& field, std::string_view what) {
    throw RpcError(rpc::code::invalid_params, field + ": " + std::string(what));
}

std::string element_name(std::string_view array, std::size_t i) { return rpc::indexed_name(array, i); }

std::string corner_name(std::size_t i, std::size_t k) {
    return rpc::indexed_name(rpc::indexed_name("sky_corners", i), k);
}

// The integer at o, or nullopt-like failure reported by the caller.
bool integer_of(const msgpack::object& o, std::int64_t& out) {
    if (o.type == msgpack::type::NEGATIVE_INTEGER) {
        out = o.via.i64;
        return true;
    }
    if (o.type == msgpack::type::POSITIVE_INTEGER && o.via.u64 <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(o.via.u64);
        return true;
    }
    return false;
}

// A number (integers accepted: msgpack-c encodes integral floats as integers).
bool number_of(const msgpack::object& o, double& out) {
    switch (o.type) {
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: out = o.via.f64; return true;
        case msgpack::type::POSITIVE_INTEGER: out = static_cast<double>(o.via.u64); return true;
        case msgpack::type::NEGATIVE_INTEGER: out = static_cast<double>(o.via.i64); return true;
        default: return false;
    }
}

geometry::BBox read_bbox(const msgpack::object& o, std::size_t i, const geometry::Detector& detector) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 4)
        fail(element_name("bboxes", i), "expected [x_min, y_min, x_max, y_max]");
    std::int64_t c[4];
    for (std::size_t k = 0; k < 4; ++k)
        if (!integer_of(o.via.array.ptr[k], c[k]))
            fail(rpc::indexed_name(element_name("bboxes", i), k), "expected an integer");
    if (c[0] < 0 || c[1] < 0 || c[0] > c[2] || c[1] > c[3])
        fail(element_name("bboxes", i), "need 0 <= x_min <= x_max and 0 <= y_min <= y_max");
    if (c[2] >= detector.n_pix_x || c[3] >= detector.n_pix_y)
        fail(element_name("bboxes", i), "outside the detector's " + std::to_string(detector.n_pix_x) + " x " +
                                            std::to_string(detector.n_pix_y) + " pixels");
    return {c[0], c[1], c[2], c[3]};
}

geometry::SkyQuad read_sky_quad(const msgpack::object& o, std::size_t i) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 4)
        fail(element_name("sky_corners", i), "expected four [ra_deg, dec_deg] corners");
    geometry::SkyQuad quad;
    for (std::size_t k = 0; k < 4; ++k) {
        const msgpack::object& corner = o.via.array.ptr[k];
        double ra = 0.0, dec = 0.0;
        if (corner.type != msgpack::type::ARRAY || corner.via.array.size != 2 ||
            !number_of(corner.via.array.ptr[0], ra) || !number_of(corner.via.array.ptr[1], dec))
            fail(corner_name(i, k), "expected [ra_deg, dec_deg], two numbers");
        if (!std::isfinite(ra) || !std::isfinite(dec)) fail(corner_name(i, k), "RA and Dec must be finite");
        if (ra < 0.0 || ra >= rules::ra_max_deg)
            fail(corner_name(i, k), "RA must be in [0, " + rules::text(rules::ra_max_deg) + ")");
        if (std::fabs(dec) > rules::dec_max_abs_deg)
            fail(corner_name(i, k), "Dec must be in [-" + rules::text(rules::dec_max_abs_deg) + ", " +
                                        rules::text(rules::dec_max_abs_deg) + "]");
        quad.corners[k] = {ra * common::deg, dec * common::deg};
    }
    return quad;
}

const msgpack::object* optional_array(const rpc::Params& params, std::string_view key, std::uint32_t n) {
    if (!params.has(key)) return nullptr;
    const msgpack::object& a = params.require_array(key);
    if (a.via.array.size != n)
        params.fail(key, "expected one entry per id (" + std::to_string(n) + " ids, " +
                             std::to_string(a.via.array.size) + " entries)");
    return &a;
}

}  // namespace

matching::Footprints read_footprints(const rpc::Params& params, std::uint32_t n, const geometry::Detector& detector) {
    const msgpack::object* sky = optional_array(params, "sky_corners", n);
    // Without sky corners every source needs a box: "bboxes: required" as before.
    const msgpack::object* boxes = sky == nullptr ? &params.require_array("bboxes") : optional_array(params, "bboxes", n);
    if (sky == nullptr && boxes->via.array.size != n)
        params.fail("bboxes", "expected one box per id (" + std::to_string(n) + " ids, " +
                                  std::to_string(boxes->via.array.size) + " boxes)");

    matching::Footprints out;
    if (sky == nullptr) {
        out.boxes.reserve(n);
        out.box_sources.reserve(n);
    } else if (boxes == nullptr) {
        out.sky.reserve(n);
        out.sky_sources.reserve(n);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        const msgpack::object* box = boxes != nullptr ? &boxes->via.array.ptr[i] : nullptr;
        const msgpack::object* corners = sky != nullptr ? &sky->via.array.ptr[i] : nullptr;
        const bool has_box = box != nullptr && box->type != msgpack::type::NIL;
        const bool has_corners = corners != nullptr && corners->type != msgpack::type::NIL;
        if (has_box && has_corners)
            fail(element_name("sky_corners", i), "source also has a bbox; give exactly one of bboxes[" +
                                                     std::to_string(i) + "] and sky_corners[" + std::to_string(i) + "]");
        if (has_corners) {
            out.sky.push_back(read_sky_quad(*corners, i));
            out.sky_sources.push_back(i);
        } else if (has_box || sky == nullptr) {
            out.boxes.push_back(read_bbox(*box, i, detector));
            out.box_sources.push_back(i);
        } else {
            fail(element_name("sky_corners", i), "source has neither a bbox nor sky corners; give exactly one");
        }
    }
    return out;
}

}  // namespace satveto::engine
