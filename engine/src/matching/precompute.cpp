#include "matching/precompute.hpp"

#include "common/angles.hpp"
#include "common/parallel.hpp"
#include "frames/star_frame.hpp"
#include "frames/time_scales.hpp"
#include "geometry/camera.hpp"
#include "matching/sky_field.hpp"
#include "matching/refraction.hpp"
#include "matching/shadow.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

namespace satveto::matching {
namespace {

using frames::Vec3;

constexpr double track_chord_tolerance_rad = 0.5 * common::arcsec;  // how far a dense track may leave its chords
constexpr double min_track_step_s = 0.02;
constexpr double max_projectable_angle_rad = 80.0 * common::deg;

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double length(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 scaled(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
Vec3 multiply(const frames::Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}
Vec3 multiply_transposed(const frames::Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[1][0] * v[1] + m[2][0] * v[2], m[0][1] * v[0] + m[1][1] * v[1] + m[2][1] * v[2],
            m[0][2] * v[0] + m[1][2] * v[1] + m[2][2] * v[2]};
}
double angle_between(const Vec3& u, const Vec3& v) { return std::atan2(length(cross(u, v)), dot(u, v)); }

// Smallest distance from the origin (the site) to the 3-d segment [p0, p1].
double origin_segment_distance(const Vec3& p0, const Vec3& p1) {
    const Vec3 d = sub(p1, p0);
    const double d2 = dot(d, d);
    const double t = d2 > 0.0 ? std::clamp(-dot(p0, d) / d2, 0.0, 1.0) : 0.0;
    return length({p0[0] + t * d[0], p0[1] + t * d[1], p0[2] + t * d[2]});
}

// Angle between unit vector b and the nearest direction of the segment [p0, p1] as seen from
// the origin.  The directions of a straight segment form a great-circle arc, so this is the
// angular distance from b to that arc.
double angle_to_chord(const Vec3& b, const Vec3& p0, const Vec3& p1) {
    const Vec3 u0 = scaled(p0, 1.0 / length(p0));
    const Vec3 u1 = scaled(p1, 1.0 / length(p1));
    const Vec3 n = cross(u0, u1);
    const double n_length = length(n);
    const double to_ends = std::min(angle_between(b, u0), angle_between(b, u1));
    if (n_length < 1e-15) return to_ends;
    const Vec3 normal = scaled(n, 1.0 / n_length);
    const double off_plane = dot(b, normal);
    const Vec3 in_plane = sub(b, scaled(normal, off_plane));
    // The foot of b on the great circle lies within the arc iff it is between u0 and u1.
    const bool within = dot(cross(u0, in_plane), normal) >= 0.0 && dot(cross(in_plane, u1), normal) >= 0.0;
    if (!within) return to_ends;
    return std::asin(std::min(1.0, std::fabs(off_plane)));
}

// An object's padded time window, and what the candidate search learned of it.
struct Window {
    double begin_mjd = 0.0, end_mjd = 0.0;  // padded track window (TAI)
    double age_days = 0.0;
    double min_range_km = INFINITY;  // lower bound of the range where it may approach the field
};

struct VisitGeometry {
    const catalog::Catalog& catalog;
    const VisitParams& params;
    const ToleranceModel& tolerance;
    const frames::FrameSnapshot& frame;
    frames::TangentBasis basis;  // GCRS axes
    Vec3 boresight_teme;
    double field_radius_rad;
    double start_mjd_tai;  // the exposure, converted once (not per object)
    double end_mjd_tai;
    double mid_mjd_tai;
    double mid_mjd_utc;           // element ages are UTC differences (OMM EPOCH is UTC)
    double star_offset_rad;       // bound of the star-frame direction's offset from the geometric one
    double site_displacement_km;  // Earth-orientation bound
    // A leap second within the coarse grid: the chords that overlap it get a wider bound.
    std::optional<frames::LeapSecond> leap_second = std::nullopt;
    bool require_sunlit = false;
    frames::Vec3 sun_gcrs_km{};  // at mid-exposure
    // Prefilter: no chord whose cone stays farther than this from the boresight can be a
    // candidate (for chords at range >= prefilter_range_floor_km).
    double prefilter_cos = -1.0;
    double prefilter_sin = 0.0;
};

// The corridor half-width of the tolerance model, plus the Earth-orientation bound seen at
// the same range (the site may be that far from where the frames put it).
double corridor_rad(const VisitGeometry& g, double age_days, double range_km) {
    return g.tolerance.corridor_rad(age_days, range_km) + std::atan(g.site_displacement_km / std::fmax(range_km, 1.0));
}

// The padded time window of every object: the exposure, widened by its along-track uncertainty.
void set_window(const VisitGeometry& g, std::size_t i, Window& w) {
    w.age_days = g.mid_mjd_utc - g.catalog.epoch_mjd[i];
    const double pad_days = g.tolerance.time_pad_s(w.age_days, g.catalog.slowest_speed_km_s[i]) / 86400.0;
    w.begin_mjd = g.start_mjd_tai - pad_days;
    w.end_mjd = g.end_mjd_tai + pad_days;
}

// The chords [begin, end) of the coarse grid that cover [begin_mjd, end_mjd] (monotone in both
// ends: a wider interval never gets fewer chords).
struct ChordSpan {
    std::size_t begin = 0, end = 0;
};
ChordSpan chords_covering(const CoarseEphemeris& e, double begin_mjd, double end_mjd) {
    const double step_days = e.step_s() / 86400.0;
    const auto k_begin = static_cast<std::size_t>(std::max(0.0, std::floor((begin_mjd - e.start_mjd()) / step_days)));
    const auto k_end = std::min(e.steps() - 1,
                                static_cast<std::size_t>(std::ceil((end_mjd - e.start_mjd()) / step_days)));
    return {k_begin, k_end};
}

// What the candidate search found: the chords that reach the field (object, range bound),
// and the objects with a chord that did not propagate within their window.
struct Findings {
    std::vector<std::pair<std::uint32_t, double>> reaching;
    std::vector<std::uint32_t> unpropagated;
};

// Chord k of one object, as the index gives it: kept when it lies within the object's window
// and, inflated by its bounds, reaches the field.  The cone prefilter rejects most chords with
// one dot product; the index only leaves out cones that it would reject (coarse_ephemeris.hpp).
void test_chord(const VisitGeometry& g, const CoarseEphemeris& e, const std::vector<Vec3>& site_teme, std::size_t k,
                bool across_leap, const IndexedCone& indexed, Findings& out) {
    const ChordCone& cone = indexed.cone;
    const bool unpropagated = std::isnan(cone.range_lo_km);
    if (!across_leap && prefilter_judges(cone) &&
        !prefilter_keeps(cone, g.boresight_teme, g.prefilter_cos, g.prefilter_sin))
        return;
    Window w;
    set_window(g, indexed.object, w);
    const ChordSpan span = chords_covering(e, w.begin_mjd, w.end_mjd);
    if (k < span.begin || k >= span.end) return;
    if (unpropagated) {
        out.unpropagated.push_back(indexed.object);
        return;
    }
    // Across a leap second the UTC-driven position pauses for a second while the site moves
    // on: the path leaves its chord by up to a second's travel more, which the cones do not
    // include.
    const double deviation_km = chord_deviation_bound_km(e.step_s()) +
                                (across_leap ? frames::max_satellite_speed_km_s * 1.0 : 0.0);
    const Vec3& r0 = e.position(indexed.object, k);
    const Vec3& r1 = e.position(indexed.object, k + 1);
    const Vec3 p0 = sub(r0, site_teme[k]);
    const Vec3 p1 = sub(r1, site_teme[k + 1]);
    const double range_lo = std::max(1.0, origin_segment_distance(p0, p1) - deviation_km);
    const double inflation = std::asin(std::min(1.0, deviation_km / range_lo));
    // The chord is geometric; the star-frame track is within star_offset_rad of it.
    const double reach = g.field_radius_rad + corridor_rad(g, w.age_days, range_lo) + g.tolerance.margin_rad() +
                         inflation + g.star_offset_rad;
    if (angle_to_chord(g.boresight_teme, p0, p1) <= reach) out.reaching.emplace_back(indexed.object, range_lo);
}

// With require_sunlit: true when every state is in the umbra with a margin covering the
// object's position uncertainty (cross- and along-track, as the tolerance model states them),
// the chords' deviation and the shadow's sweep over the window (shadow.hpp).
bool dark_throughout(const VisitGeometry& g, const Window& w, const std::vector<sgp4::StateVector>& states,
                     double deviation_km) {
    if (!g.require_sunlit || states.empty()) return false;
    const ToleranceModel& t = g.tolerance;
    const double age = std::fabs(w.age_days);
    const double half_window_days = std::max(g.mid_mjd_tai - w.begin_mjd, w.end_mjd - g.mid_mjd_tai);
    const double uncertainty_km = (t.a_km + t.b_km_per_day * age) + (t.c_km + t.d_km_per_day * age) + deviation_km;
    for (const sgp4::StateVector& s : states) {
        if (s.error != sgp4::ErrorCode::ok) return false;
        const Vec3 r = multiply(g.frame.teme_to_gcrs(), {s.r_km[0], s.r_km[1], s.r_km[2]});
        const double margin = uncertainty_km + shadow_sweep_km(length(r), half_window_days);
        if (!dark_with_margin(r, g.sun_gcrs_km, margin)) return false;
    }
    return true;
}

// Dense track of one candidate as tangent-plane segments (reach still in true angle).  Returns
// false when the candidate was left out as dark (require_sunlit).
bool trace_candidate(const VisitGeometry& g, std::size_t object, const Window& w, std::uint32_t candidate_index,
                     std::vector<TrackSegment>& out, bool& veto_everything) {
    const sgp4::Satellite& satellite = g.catalog.satellites[object];
    const double wanted_step_s =
        std::sqrt(8.0 * w.min_range_km * track_chord_tolerance_rad / max_relative_acceleration_km_s2);
    const double span_s = (w.end_mjd - w.begin_mjd) * 86400.0;
    const double step_goal = std::clamp(wanted_step_s, min_track_step_s, coarse_step_s);
    const auto n = static_cast<std::size_t>(std::ceil(span_s / step_goal)) + 1;
    const double step_s = span_s / static_cast<double>(n - 1);
    const double deviation_km = chord_deviation_bound_km(step_s);
    const double earth_speed_km_s = g.frame.earth_speed_km_s();

    const frames::UtcFromTai utc_of(w.begin_mjd, w.end_mjd);
    std::vector<double> mjd(n);
    for (std::size_t j = 0; j < n; ++j) mjd[j] = w.begin_mjd + static_cast<double>(j) * step_s / 86400.0;
    if (const auto& leap = utc_of.leap_second()) {
        // Vertices at the leap second's ends: each chord then lies on one smooth piece of the
        // path (before, during - the position paused -, after), and only gets shorter.
        for (double at : {leap->begin_mjd_tai, leap->end_mjd_tai})
            if (at > w.begin_mjd && at < w.end_mjd) mjd.push_back(at);
        std::sort(mjd.begin(), mjd.end());
    }
    const std::size_t vertices = mjd.size();
    std::vector<double> minutes(vertices);
    for (std::size_t j = 0; j < vertices; ++j) minutes[j] = sgp4::minutes_since_epoch(satellite, utc_of(mjd[j]));
    std::vector<sgp4::StateVector> states(vertices);
    sgp4::propagate_times(satellite, minutes, states);
    if (dark_throughout(g, w, states, deviation_km)) return false;

    struct Vertex {
        bool usable = false;  // propagated
        bool projectable = false;
        Vec3 topo_gcrs{};
        Point plane{};
    };
    std::vector<Vertex> v(vertices);
    for (std::size_t j = 0; j < vertices; ++j) {
        if (states[j].error != sgp4::ErrorCode::ok) continue;
        const Vec3 r{states[j].r_km[0], states[j].r_km[1], states[j].r_km[2]};
        const Vec3 velocity{states[j].v_km_s[0], states[j].v_km_s[1], states[j].v_km_s[2]};
        v[j].usable = true;
        v[j].topo_gcrs = g.frame.star_frame_gcrs(r, velocity, mjd[j]);
        const double range = length(v[j].topo_gcrs);
        const double cos_angle = dot(v[j].topo_gcrs, g.basis.center) / range;
        if (cos_angle < std::cos(max_projectable_angle_rad)) continue;
        v[j].projectable = true;
        v[j].plane = {dot(v[j].topo_gcrs, g.basis.east) / (range * cos_angle),
                      dot(v[j].topo_gcrs, g.basis.north) / (range * cos_angle)};
    }
    for (std::size_t j = 0; j + 1 < vertices; ++j) {
        if (!v[j].usable || !v[j + 1].usable) continue;
        // The star-frame path leaves its chord by the geometric path's bound plus the bending of
        // the light-time and aberration shift (frames/star_frame.hpp), evaluated at a range
        // lowered by both.
        const double closest = origin_segment_distance(v[j].topo_gcrs, v[j + 1].topo_gcrs);
        const double farthest = std::max(length(v[j].topo_gcrs), length(v[j + 1].topo_gcrs)) + deviation_km;
        const double h2_8 = step_s * step_s / 8.0;
        double bend_km = frames::star_frame_bending_km_s2(closest - deviation_km, farthest, earth_speed_km_s) * h2_8;
        bend_km = frames::star_frame_bending_km_s2(closest - deviation_km - bend_km, farthest, earth_speed_km_s) * h2_8;
        const double total_deviation_km = deviation_km + bend_km;
        const double range_lo = std::max(1.0, closest - total_deviation_km);
        const double reach = corridor_rad(g, w.age_days, range_lo) +
                             std::asin(std::min(1.0, total_deviation_km / range_lo)) + g.tolerance.margin_rad();
        const double angle = angle_to_chord(g.basis.center, v[j].topo_gcrs, v[j + 1].topo_gcrs);
        if (angle > g.field_radius_rad + reach) continue;  // cannot touch the field
        if (!v[j].projectable || !v[j + 1].projectable) {
            // Only a corridor tens of degrees wide gets here: it covers the whole field.
            veto_everything = true;
            continue;
        }
        TrackSegment s;
        s.a = v[j].plane;
        s.b = v[j + 1].plane;
        s.reach = reach;
        segment_radius_range(s.a, s.b, s.r_min, s.r_max);
        s.candidate = candidate_index;
        out.push_back(s);
    }
    return true;
}

// Every detector's whole area as field-angle corners, with its edges' bow bound and its
// radius range: fixed by the camera model, so worked out once for all visits.
struct DetectorOutline {
    int id = 0;
    geometry::Quad field_angle{};
    double bow_rad = 0.0;
    geometry::RadiusRange radii{};
};

const std::vector<DetectorOutline>& detector_outlines() {
    static const std::vector<DetectorOutline> outlines = [] {
        std::vector<DetectorOutline> all;
        for (const auto& d : geometry::all_detectors()) {
            const geometry::BBox whole{0, 0, d.n_pix_x - 1, d.n_pix_y - 1};
            DetectorOutline o;
            o.id = d.id;
            o.field_angle = geometry::bbox_field_angle_corners(d, whole);
            o.bow_rad = geometry::bbox_edge_bow_bound_rad(d);
            o.radii = geometry::field_angle_radius_range(o.field_angle);
            all.push_back(o);
        }
        return all;
    }();
    return outlines;
}

// Lists, for every detector, the segments that can touch it.
// `extra_rad`: added to every camera-model footprint's reach (the differential refraction).
void bin_by_detector(VisitTracks& visit, double extra_rad) {
    const std::vector<DetectorOutline>& detectors = detector_outlines();
    int max_id = 0;
    for (const auto& d : detectors) max_id = std::max(max_id, d.id);
    visit.by_detector.assign(static_cast<std::size_t>(max_id) + 1, {});
    const std::optional<double> rotation_deg = visit.params.rotation_deg;
    for (const auto& d : detectors) {
        const geometry::Quad& fa = d.field_angle;
        const double bow = d.bow_rad + extra_rad;
        auto& list = visit.by_detector[static_cast<std::size_t>(d.id)];
        if (rotation_deg) {
            Quad quad;
            Box box;
            for (int c = 0; c < 4; ++c) {
                quad[c] = geometry::field_angle_to_tangent(fa[c], *rotation_deg * common::deg);
                box.add(quad[c]);
            }
            for (std::uint32_t s = 0; s < visit.segments.size(); ++s) {
                const TrackSegment& seg = visit.segments[s];
                Box sbox;
                sbox.add(seg.a);
                sbox.add(seg.b);
                if (!sbox.grown(seg.reach + bow).overlaps(box)) continue;
                if (segment_quad_distance(seg.a, seg.b, quad) <= seg.reach + bow) list.push_back(s);
            }
        } else {
            const geometry::RadiusRange& radii = d.radii;
            for (std::uint32_t s = 0; s < visit.segments.size(); ++s) {
                const TrackSegment& seg = visit.segments[s];
                if (seg.r_max >= radii.min - seg.reach - bow && seg.r_min <= radii.max + seg.reach + bow)
                    list.push_back(s);
            }
        }
    }
}

}  // namespace

double field_of_view_radius_rad() { return geometry::camera_field_radius_rad(); }

VisitTracks precompute_visit(const catalog::Catalog& catalog, const VisitParams& params,
                             const ToleranceModel& tolerance, const frames::Site& site,
                             const std::shared_ptr<const frames::EarthOrientation>& earth_orientation,
                             const CoarseEphemeris* ephemeris, unsigned threads, bool require_sunlit) {
    const auto started = std::chrono::steady_clock::now();
    VisitTracks visit;
    visit.params = params;
    visit.tolerance = tolerance;

    const double start_mjd_tai = params.start_mjd_tai(), end_mjd_tai = params.end_mjd_tai();
    const double mid_mjd_tai = 0.5 * (start_mjd_tai + end_mjd_tai);
    const frames::FrameSnapshot frame(mid_mjd_tai, site, *earth_orientation);
    const double ra = params.boresight_ra_deg * common::deg;
    const double dec = params.boresight_dec_deg * common::deg;
    VisitGeometry g{catalog,
                    params,
                    tolerance,
                    frame,
                    frames::tangent_basis(ra, dec),
                    multiply_transposed(frame.teme_to_gcrs(), frames::unit_vector(ra, dec)),
                    sky_field_radius_rad(tolerance) /* the widest field a footprint may use */,
                    start_mjd_tai,
                    end_mjd_tai,
                    mid_mjd_tai,
                    frames::mjd_utc_from_tai(mid_mjd_tai),
                    frames::star_frame_offset_bound_rad(frame.earth_speed_km_s()),
                    frame.site_displacement_km()};
    visit.site_displacement_km = g.site_displacement_km;
    g.require_sunlit = require_sunlit;
    if (require_sunlit) g.sun_gcrs_km = sun_geocentric_km(mid_mjd_tai);

    // 1. The padded windows: every object's lies within the exposure widened by the longest
    //    pad, that of the oldest (or newest) elements at the lowest speed (the pad grows with
    //    the age and falls with the speed, and so does its floating-point value).
    const CoarseEphemeris* e = ephemeris;
    const bool kept_usable = e != nullptr && e->objects() == catalog.objects &&
                             e->has_cones_for(site, earth_orientation.get());
    const CatalogSpan span = kept_usable ? e->span() : catalog_span(catalog);
    // |mid - epoch| is largest at an extreme epoch (rounding keeps the order).
    const double max_age = catalog.objects == 0 ? 0.0
                                                : std::max(std::fabs(g.mid_mjd_utc - span.min_epoch_mjd),
                                                           std::fabs(g.mid_mjd_utc - span.max_epoch_mjd));
    const double longest_pad_days = tolerance.time_pad_s(max_age, span.min_speed_km_s) / 86400.0;
    const bool pad_is_monotone = tolerance.c_km >= 0.0 && tolerance.d_km_per_day >= 0.0;
    double need_begin = start_mjd_tai - longest_pad_days, need_end = end_mjd_tai + longest_pad_days;
    // The widest reach any chord at range >= the floor can have (its inflation is in its cone).
    const double prefilter_rad = g.field_radius_rad + tolerance.margin_rad() + g.star_offset_rad +
                                 corridor_rad(g, max_age, prefilter_range_floor_km) + cone_float_allowance_rad;
    g.prefilter_cos = std::cos(std::min(prefilter_rad, common::pi));
    g.prefilter_sin = std::sin(std::min(prefilter_rad, common::pi));
    if (!(pad_is_monotone && kept_usable && e->covers(need_begin, need_end))) {
        // The exact extent of the windows decides whether the kept ephemeris covers them.
        need_begin = start_mjd_tai, need_end = end_mjd_tai;
        for (std::size_t i = 0; i < catalog.objects; ++i) {
            Window w;
            set_window(g, i, w);
            need_begin = std::min(need_begin, w.begin_mjd);
            need_end = std::max(need_end, w.end_mjd);
        }
    }
    CoarseEphemeris own;
    if (!kept_usable || !e->covers(need_begin, need_end)) {
        const auto steps = static_cast<std::size_t>(std::ceil((need_end - need_begin) * 86400.0 / coarse_step_s)) + 1;
        own = CoarseEphemeris::build(catalog, need_begin, coarse_step_s, std::max<std::size_t>(steps, 2), threads);
        own.attach_cones(site, earth_orientation, threads);
        e = &own;
    } else {
        visit.used_cached_ephemeris = true;
    }
    g.leap_second = frames::UtcFromTai(e->start_mjd(), e->time_of(e->steps() - 1)).leap_second();
    std::vector<Vec3> site_teme(e->steps());
    for (std::size_t k = 0; k < e->steps(); ++k) site_teme[k] = frame.site_teme(e->time_of(k));

    // 2. Candidates: objects whose coarse chords, inflated, reach the field.  The cone index
    //    hands over only the chords near the boresight (and those the prefilter does not
    //    judge); a chord across a leap second is judged without the prefilter, so its whole
    //    step is looked at.
    const NearCells near = CoarseEphemeris::cells_near(g.boresight_teme, prefilter_rad);
    Findings found;
    const ChordSpan steps = chords_covering(*e, need_begin, need_end);
    for (std::size_t k = steps.begin; k < steps.end; ++k) {
        const bool across_leap = g.leap_second && g.leap_second->end_mjd_tai > e->time_of(k) &&
                                 g.leap_second->begin_mjd_tai < e->time_of(k + 1);
        e->for_each_cone(k, across_leap ? nullptr : &near, [&](const IndexedCone& indexed) {
            test_chord(g, *e, site_teme, k, across_leap, indexed, found);
        });
    }
    std::sort(found.unpropagated.begin(), found.unpropagated.end());
    visit.unpropagated_objects = static_cast<std::size_t>(
        std::unique(found.unpropagated.begin(), found.unpropagated.end()) - found.unpropagated.begin());

    // 3. Dense tracks of the candidates, in catalog order.
    std::sort(found.reaching.begin(), found.reaching.end());
    for (std::size_t j = 0; j < found.reaching.size();) {
        const std::uint32_t object = found.reaching[j].first;
        Window w;
        set_window(g, object, w);
        for (; j < found.reaching.size() && found.reaching[j].first == object; ++j)
            w.min_range_km = std::min(w.min_range_km, found.reaching[j].second);
        const auto index = static_cast<std::uint32_t>(visit.candidate_ids.size());
        if (trace_candidate(g, object, w, index, visit.segments, visit.veto_everything))
            visit.candidate_ids.push_back(catalog.norad_ids[object]);
        else
            ++visit.skipped_dark;
    }

    // 4. Reach in tangent-plane units: the gnomonic projection stretches angles by at most
    //    1/cos^2 of the largest angle from the boresight involved.
    double widest = 0.0;
    for (const auto& s : visit.segments) widest = std::max(widest, s.reach);
    const double theta_max = std::min(g.field_radius_rad + widest, max_projectable_angle_rad);
    const double stretch = 1.0 / (std::cos(theta_max) * std::cos(theta_max));
    for (auto& s : visit.segments) s.reach *= stretch;

    // Camera-model footprints: the differential refraction across the field at the visit's
    // altitude (WCS and sky-corner footprints are calibrated on refracted stars: none).
    const Vec3 zenith = frame.zenith_gcrs(site, mid_mjd_tai);
    const double altitude = common::half_pi - angle_between(zenith, g.basis.center);
    visit.camera_refraction_rad = stretch * camera_refraction_bound_rad(altitude, g.field_radius_rad);
    bin_by_detector(visit, visit.camera_refraction_rad);
    visit.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return visit;
}

}  // namespace satveto::matching
