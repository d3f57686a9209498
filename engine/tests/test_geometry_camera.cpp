// LSSTCam camera model: detector table, pixel -> focal plane -> field angle -> tangent plane,
// rotation convention, source-box corners, radius ranges and the edge-bow bound.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/angles.hpp"
#include "geometry/camera.hpp"
#include "geometry/gnomonic.hpp"

namespace geo = satveto::geometry;

namespace {

using satveto::common::arcsec;
using satveto::common::deg;
using satveto::common::pi;

// The CSV is kept byte-for-byte as obtained, with CRLF line ends; std::getline keeps the '\r'.
std::string strip_cr(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    return fields;
}

double norm(geo::Vec2 v) { return std::hypot(v.x, v.y); }

// Distance from p to the straight line through a and b.
double line_distance(geo::Vec2 p, geo::Vec2 a, geo::Vec2 b) {
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    return std::fabs((p.x - a.x) * dy - (p.y - a.y) * dx) / std::hypot(dx, dy);
}

geo::Vec2 pixel_to_fa(const geo::Detector& d, geo::Vec2 pixel) {
    return geo::focal_plane_to_field_angle(geo::pixel_to_focal_plane(d, pixel));
}

// Uniform integer in [0, n).
std::int64_t random_below(std::mt19937_64& rng, std::int64_t n) {
    return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
}

double signed_area(const geo::Quad& q) {
    double a = 0.0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& p = q[i];
        const auto& n = q[(i + 1) % 4];
        a += p.x * n.y - n.x * p.y;
    }
    return 0.5 * a;
}

}  // namespace

TEST_CASE("detector table: 205 LSSTCam detectors with ids 0..204", "[geometry]") {
    const auto detectors = geo::all_detectors();
    REQUIRE(detectors.size() == 205);
    int science = 0, guider = 0, wavefront = 0, e2v = 0, itl = 0;
    for (std::size_t i = 0; i < detectors.size(); ++i) {
        const auto& d = detectors[i];
        CHECK(d.id == static_cast<int>(i));
        CHECK(geo::find_detector(d.id) == &d);
        CHECK(d.pixel_size_um == 10.0);
        switch (d.type) {
            case geo::DetectorType::science:
                ++science;
                CHECK(d.id <= 188);
                break;
            case geo::DetectorType::guider: ++guider; break;
            case geo::DetectorType::wavefront: ++wavefront; break;
        }
        if (d.physical_type == "E2V") ++e2v;
        if (d.physical_type == "ITL") ++itl;
    }
    CHECK(science == 189);
    CHECK(guider == 8);
    CHECK(wavefront == 8);
    CHECK(e2v == 117);
    CHECK(itl == 72);
    CHECK(geo::find_detector(-1) == nullptr);
    CHECK(geo::find_detector(205) == nullptr);

    const geo::Detector* center = geo::find_detector(94);
    REQUIRE(center != nullptr);
    CHECK(center->name == "R22_S11");
    CHECK(center->physical_type == "E2V");
    CHECK(center->center_mm.x == 0.0);
    CHECK(center->center_mm.y == 0.0);
    CHECK(center->n_pix_x == 4096);
    CHECK(center->n_pix_y == 4004);

    const geo::Detector* r01 = geo::find_detector(0);
    CHECK(r01->name == "R01_S00");
    CHECK(r01->physical_type == "ITL");
    CHECK(r01->center_mm.x == -169.26);
    CHECK(r01->center_mm.y == -296.26);
    CHECK(r01->n_pix_x == 4072);
    CHECK(r01->n_pix_y == 4000);

    const geo::Detector* sg0 = geo::find_detector(189);
    CHECK(sg0->name == "R00_SG0");
    CHECK(sg0->type == geo::DetectorType::guider);
    CHECK(sg0->yaw_deg == 90.0);
    CHECK(sg0->center_mm.x == -212.23);
    CHECK(sg0->center_mm.y == -258.75);

    const geo::Detector* sw1 = geo::find_detector(204);
    CHECK(sw1->name == "R44_SW1");
    CHECK(sw1->type == geo::DetectorType::wavefront);
    CHECK(sw1->physical_type == "ITL_WF");
    CHECK(sw1->yaw_deg == 180.0);
    CHECK(sw1->n_pix_y == 2000);
}

TEST_CASE("detector table matches engine/data/lsstcam_detectors.csv", "[geometry]") {
    std::ifstream in(std::string(SATVETO_ENGINE_DATA_DIR) + "/lsstcam_detectors.csv");
    REQUIRE(in.good());
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(strip_cr(line) ==
          "detector_id,name,raft,sensor,physical_type,detector_type,center_x_mm,center_y_mm,"
          "yaw_deg,n_pix_x,n_pix_y,pixel_size_um");
    std::size_t rows = 0;
    while (std::getline(in, line)) {
        line = strip_cr(line);
        if (line.empty()) continue;
        const auto f = split_csv_line(line);
        REQUIRE(f.size() == 12);
        const int id = std::stoi(f[0]);
        const geo::Detector* d = geo::find_detector(id);
        REQUIRE(d != nullptr);
        INFO("detector " << id);
        CHECK(d->name == f[1]);
        CHECK(d->raft == f[2]);
        CHECK(d->sensor == f[3]);
        CHECK(d->physical_type == f[4]);
        const char* type = d->type == geo::DetectorType::science  ? "SCIENCE"
                           : d->type == geo::DetectorType::guider ? "GUIDER"
                                                                  : "WAVEFRONT";
        CHECK(f[5] == type);
        // Same text through the same parser: exact equality.
        CHECK(d->center_mm.x == std::strtod(f[6].c_str(), nullptr));
        CHECK(d->center_mm.y == std::strtod(f[7].c_str(), nullptr));
        CHECK(d->yaw_deg == std::strtod(f[8].c_str(), nullptr));
        CHECK(d->n_pix_x == std::stoi(f[9]));
        CHECK(d->n_pix_y == std::stoi(f[10]));
        CHECK(d->pixel_size_um == std::strtod(f[11].c_str(), nullptr));
        ++rows;
    }
    CHECK(rows == geo::all_detectors().size());
}

TEST_CASE("pixel to focal plane follows the afw Orientation convention", "[geometry]") {
    SECTION("yaw 0: pixel axes along focal-plane axes, 10 um pixels, centre of the array") {
        const geo::Detector& d = *geo::find_detector(95);  // R22_S12, E2V 4096 x 4004 at (42.25, 0)
        const geo::Vec2 c = geo::pixel_to_focal_plane(d, {2047.5, 2001.5});
        CHECK(c.x == Approx(42.25).margin(1e-12));
        CHECK(c.y == Approx(0.0).margin(1e-12));
        const geo::Vec2 corner = geo::pixel_to_focal_plane(d, {-0.5, -0.5});
        CHECK(corner.x == Approx(42.25 - 20.48).margin(1e-12));
        CHECK(corner.y == Approx(-20.02).margin(1e-12));
        const geo::Vec2 px = geo::pixel_to_focal_plane(d, {2147.5, 2001.5});
        CHECK(px.x == Approx(43.25).margin(1e-12));
        CHECK(px.y == Approx(0.0).margin(1e-12));
    }
    SECTION("ITL centre is at pixel (2035.5, 1999.5)") {
        const geo::Detector& d = *geo::find_detector(0);
        const geo::Vec2 c = geo::pixel_to_focal_plane(d, {2035.5, 1999.5});
        CHECK(c.x == Approx(-169.26).margin(1e-12));
        CHECK(c.y == Approx(-296.26).margin(1e-12));
    }
    SECTION("yaw 90 turns pixel +x onto focal-plane +y, pixel +y onto -x") {
        const geo::Detector& d = *geo::find_detector(189);  // R00_SG0, yaw 90
        const geo::Vec2 c = geo::pixel_to_focal_plane(d, {2035.5, 1999.5});
        const geo::Vec2 px = geo::pixel_to_focal_plane(d, {2135.5, 1999.5});
        const geo::Vec2 py = geo::pixel_to_focal_plane(d, {2035.5, 2099.5});
        CHECK(px.x - c.x == 0.0);
        CHECK(px.y - c.y == Approx(1.0).margin(1e-12));
        CHECK(py.x - c.x == Approx(-1.0).margin(1e-12));
        CHECK(py.y - c.y == 0.0);
    }
    SECTION("yaw 180 and 270") {
        const geo::Detector& d180 = *geo::find_detector(190);  // R00_SG1
        const geo::Detector& d270 = *geo::find_detector(194);  // R04_SG1
        REQUIRE(d180.yaw_deg == 180.0);
        REQUIRE(d270.yaw_deg == 270.0);
        const geo::Vec2 a = geo::pixel_to_focal_plane(d180, {2135.5, 1999.5});
        CHECK(a.x - d180.center_mm.x == Approx(-1.0).margin(1e-12));
        CHECK(a.y - d180.center_mm.y == Approx(0.0).margin(1e-12));
        const geo::Vec2 b = geo::pixel_to_focal_plane(d270, {2135.5, 1999.5});
        CHECK(b.x - d270.center_mm.x == Approx(0.0).margin(1e-12));
        CHECK(b.y - d270.center_mm.y == Approx(-1.0).margin(1e-12));
    }
    SECTION("focal_plane_to_pixel inverts it on every detector") {
        for (const auto& d : geo::all_detectors()) {
            for (geo::Vec2 p :
                 {geo::Vec2{-0.5, -0.5}, geo::Vec2{1234.25, 3210.75}, geo::Vec2{d.n_pix_x - 0.5, d.n_pix_y - 0.5}}) {
                const geo::Vec2 back = geo::focal_plane_to_pixel(d, geo::pixel_to_focal_plane(d, p));
                CHECK(back.x == Approx(p.x).margin(1e-9));
                CHECK(back.y == Approx(p.y).margin(1e-9));
            }
        }
    }
    SECTION("pixel_in_detector uses the grown pixel area") {
        const geo::Detector& d = *geo::find_detector(94);
        CHECK(geo::pixel_in_detector(d, {-0.5, -0.5}));
        CHECK(geo::pixel_in_detector(d, {4095.5, 4003.5}));
        CHECK_FALSE(geo::pixel_in_detector(d, {-0.51, 10.0}));
        CHECK_FALSE(geo::pixel_in_detector(d, {10.0, 4003.51}));
    }
}

TEST_CASE("radial distortion reproduces the engine/data/LSSTCAM.md theta(r) table", "[geometry]") {
    struct Row {
        double r_mm, theta_deg, minus_linear_arcsec;
    };
    // engine/data/LSSTCAM.md, "Plate scale and distortion" (rounded there to 5 decimals / 0.01 arcsec).
    const Row rows[] = {
        {100.0, 0.55567, -0.17}, {200.0, 1.11106, -1.34}, {300.0, 1.66589, -4.57}, {340.0, 1.88759, -6.68}};
    for (const Row& row : rows) {
        const double theta = geo::focal_plane_radius_to_field_angle(row.r_mm);
        CHECK(theta / deg == Approx(row.theta_deg).margin(5e-6));
        const double linear = row.r_mm * geo::plate_scale_arcsec_per_mm * arcsec;
        CHECK((theta - linear) / arcsec == Approx(row.minus_linear_arcsec).margin(0.0051));
        // The vector form keeps the direction and has this length.
        const geo::Vec2 fa = geo::focal_plane_to_field_angle({0.6 * row.r_mm, -0.8 * row.r_mm});
        CHECK(norm(fa) == Approx(theta).epsilon(1e-14));
        CHECK(fa.x / fa.y == Approx(-0.75).epsilon(1e-14));
    }
    CHECK(geo::focal_plane_radius_to_field_angle(0.0) == 0.0);
    // On the axis the scale is the plate scale: 0.2000587 arcsec per 10 um pixel.
    const geo::Vec2 small = geo::focal_plane_to_field_angle({0.01, 0.0});
    CHECK(small.x / arcsec == Approx(0.20005867576692737).epsilon(1e-9));
}

TEST_CASE("field angle to focal plane inverts the distortion to < 1e-9 mm", "[geometry]") {
    for (double r = 0.0; r <= 450.0; r += 0.37) {
        const double theta = geo::focal_plane_radius_to_field_angle(r);
        CHECK(std::fabs(geo::field_angle_to_focal_plane_radius(theta) - r) < 1e-9);
    }
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-360.0, 360.0);
    for (int i = 0; i < 2000; ++i) {
        const geo::Vec2 fp{u(rng), u(rng)};
        const geo::Vec2 back = geo::field_angle_to_focal_plane(geo::focal_plane_to_field_angle(fp));
        CHECK(std::hypot(back.x - fp.x, back.y - fp.y) < 1e-9);
    }
    const geo::Vec2 origin = geo::field_angle_to_focal_plane({0.0, 0.0});
    CHECK(origin.x == 0.0);
    CHECK(origin.y == 0.0);
    // Outside the polynomial's monotonic range there is no inverse.
    CHECK(std::isnan(geo::field_angle_to_focal_plane_radius(1.0)));
    CHECK(std::isnan(geo::field_angle_to_focal_plane_radius(-1e-3)));
}

TEST_CASE("rotation convention: rotSkyPos is the position angle of focal-plane +Y", "[geometry]") {
    const geo::Vec2 plus_x{1e-3, 0.0};
    const geo::Vec2 plus_y{0.0, 1e-3};
    SECTION("rotSkyPos 0: +Y North, +X West") {
        const geo::Vec2 y = geo::field_angle_to_tangent(plus_y, 0.0);
        const geo::Vec2 x = geo::field_angle_to_tangent(plus_x, 0.0);
        CHECK(y.x == Approx(0.0).margin(1e-18));
        CHECK(y.y == Approx(1e-3));
        CHECK(x.x == Approx(-1e-3));
        CHECK(x.y == Approx(0.0).margin(1e-18));
    }
    SECTION("rotSkyPos 90: +Y East, +X North") {
        const geo::Vec2 y = geo::field_angle_to_tangent(plus_y, 90.0 * deg);
        const geo::Vec2 x = geo::field_angle_to_tangent(plus_x, 90.0 * deg);
        CHECK(y.x == Approx(1e-3));
        CHECK(y.y == Approx(0.0).margin(1e-18));
        CHECK(x.x == Approx(0.0).margin(1e-18));
        CHECK(x.y == Approx(1e-3));
    }
    SECTION("position angle of +Y equals rotSkyPos for any angle, +X is 90 deg behind") {
        for (double rot_deg = -350.0; rot_deg <= 360.0; rot_deg += 12.5) {
            const geo::Vec2 y = geo::field_angle_to_tangent(plus_y, rot_deg * deg);
            const geo::Vec2 x = geo::field_angle_to_tangent(plus_x, rot_deg * deg);
            // Position angle: from North (eta) through East (xi).
            const double pa_y = std::atan2(y.x, y.y);
            const double pa_x = std::atan2(x.x, x.y);
            CHECK(std::remainder(pa_y - rot_deg * deg, 2 * pi) == Approx(0.0).margin(1e-12));
            CHECK(std::remainder(pa_x - (rot_deg - 90.0) * deg, 2 * pi) == Approx(0.0).margin(1e-12));
            const geo::Vec2 back = geo::tangent_to_field_angle(y, rot_deg * deg);
            CHECK(back.x == Approx(0.0).margin(1e-18));
            CHECK(back.y == Approx(1e-3).epsilon(1e-14));
        }
    }
    SECTION("on the sky: R22_S11 pixel +y goes North at rotSkyPos 0, East at 90") {
        const geo::Detector& d = *geo::find_detector(94);
        const geo::RaDec boresight{150.0 * deg, -30.0 * deg};
        const geo::Vec2 c{2047.5, 2001.5};
        const geo::Vec2 up{2047.5, 3001.5};     // 10 mm toward focal-plane +Y
        const geo::Vec2 right{3047.5, 2001.5};  // 10 mm toward focal-plane +X
        const geo::RaDec c0 = geo::camera_pixel_to_sky(d, c, boresight, 0.0);
        CHECK(geo::angular_separation(c0, boresight) < 1e-12);
        const geo::RaDec up0 = geo::camera_pixel_to_sky(d, up, boresight, 0.0);
        CHECK(up0.dec > boresight.dec);
        CHECK(up0.ra == Approx(boresight.ra).margin(1e-12));
        const geo::RaDec right0 = geo::camera_pixel_to_sky(d, right, boresight, 0.0);
        CHECK(right0.ra < boresight.ra);  // West
        const geo::RaDec up90 = geo::camera_pixel_to_sky(d, up, boresight, 90.0 * deg);
        CHECK(up90.ra > boresight.ra);  // East
        const geo::RaDec right90 = geo::camera_pixel_to_sky(d, right, boresight, 90.0 * deg);
        CHECK(right90.dec > boresight.dec);  // North
        // 10 mm from the axis is 200.0587 arcsec (less 2e-7 arcsec of distortion).
        CHECK(geo::angular_separation(up0, boresight) / arcsec == Approx(200.0586).margin(1e-3));
    }
}

TEST_CASE("camera chain agrees with the Python oracle (tests/oracle/camera.py)", "[geometry]") {
    // Produced with tests/oracle/camera.py (an independent numpy implementation):
    //   from oracle import camera
    //   camera.pixel_to_sky(det, x, y, boresight_ra_deg, boresight_dec_deg, rotation_deg)
    // for each row (det, x, y, boresight ra, dec, rotation; then the oracle's ra, dec in deg).
    struct Case {
        int det;
        double x, y, ra_deg, dec_deg, rot_deg, want_ra_deg, want_dec_deg;
    };
    const Case cases[] = {
        {94, 2047.5, 2001.5, 150.1, -30.2, 12.5, 150.1, -30.2},
        {0, 0.0, 0.0, 150.1, -30.2, 12.5, 150.8643368342793, -32.13860240186698},
        {161, 4095.0, 4003.0, 10.0, -89.0, 200.0, 124.46975129991671, -88.58047139262405},
        {189, 100.0, 3900.0, 300.0, 60.0, -45.0, 303.9699847472252, 59.756170187760645},
        {204, 4071.5, -0.5, 359.99, 0.5, 90.0, 1.2998580631518022, 1.576148919995375},
        {27, 2000.0, 1000.0, 0.001, -45.0, 0.0, 2.3695403702858564, -45.97056462622248},
        {123, 17.0, 3333.0, 150.0, 89.5, 33.0, 223.31582685900545, 87.88621784192821},
        {200, 1234.5, 1999.5, 45.0, -10.0, -170.0, 43.57952871283276, -11.003878441389293},
    };
    for (const Case& c : cases) {
        const geo::RaDec got = geo::camera_pixel_to_sky(*geo::find_detector(c.det), {c.x, c.y},
                                                        {c.ra_deg * deg, c.dec_deg * deg}, c.rot_deg * deg);
        INFO("detector " << c.det << " pixel " << c.x << "," << c.y);
        CHECK(geo::angular_separation(got, {c.want_ra_deg * deg, c.want_dec_deg * deg}) / arcsec < 1e-6);
    }
}

TEST_CASE("bbox corners are the grown pixel box in field angle, counter-clockwise", "[geometry]") {
    const geo::Detector& d = *geo::find_detector(161);  // R34_S22, far from the axis
    const geo::BBox box{1000, 2000, 1012, 2013};
    const geo::Quad q = geo::bbox_field_angle_corners(d, box);
    const geo::Vec2 want[4] = {pixel_to_fa(d, {999.5, 1999.5}), pixel_to_fa(d, {1012.5, 1999.5}),
                               pixel_to_fa(d, {1012.5, 2013.5}), pixel_to_fa(d, {999.5, 2013.5})};
    for (int i = 0; i < 4; ++i) {
        CHECK(q[i].x == want[i].x);
        CHECK(q[i].y == want[i].y);
    }
    CHECK(signed_area(q) > 0.0);
    // A one-pixel box is a 10 um square: about 0.2 arcsec on a side.
    const geo::Quad one = geo::bbox_field_angle_corners(d, {5, 5, 5, 5});
    const double side = std::hypot(one[1].x - one[0].x, one[1].y - one[0].y);
    CHECK(side / arcsec == Approx(0.1995).margin(5e-4));
    for (const auto& det : geo::all_detectors()) {
        const geo::BBox all{0, 0, det.n_pix_x - 1, det.n_pix_y - 1};
        const geo::Quad whole = geo::bbox_field_angle_corners(det, all);
        CHECK(signed_area(whole) > 0.0);
    }
}

TEST_CASE("field angle radius range over a quad", "[geometry]") {
    auto whole = [](int id) {
        const geo::Detector& d = *geo::find_detector(id);
        return geo::bbox_field_angle_corners(d, {0, 0, d.n_pix_x - 1, d.n_pix_y - 1});
    };
    // Brute force over the boundary and (for containment) a coarse interior test.
    auto brute = [](const geo::Quad& q) {
        geo::RadiusRange r{1e300, 0.0};
        for (int i = 0; i < 4; ++i) {
            const geo::Vec2 a = q[i];
            const geo::Vec2 b = q[(i + 1) % 4];
            for (int k = 0; k <= 20000; ++k) {
                const double t = k / 20000.0;
                const double n = std::hypot(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y));
                r.min = std::min(r.min, n);
                r.max = std::max(r.max, n);
            }
        }
        return r;
    };
    SECTION("origin inside: R22_S11 contains the optical axis") {
        const geo::Quad q = whole(94);
        const geo::RadiusRange r = geo::field_angle_radius_range(q);
        CHECK(r.min == 0.0);
        CHECK(r.max == Approx(brute(q).max).epsilon(1e-12));
        const double corner_deg = std::hypot(20.48, 20.02) * 20.005867576692737 / 3600;
        CHECK(r.max / deg == Approx(corner_deg).epsilon(1e-5));
    }
    SECTION("edge nearest: R22_S12 is closest to the axis along its left edge") {
        const geo::Quad q = whole(95);
        const geo::RadiusRange r = geo::field_angle_radius_range(q);
        const geo::RadiusRange b = brute(q);
        CHECK(r.min == Approx(b.min).epsilon(1e-8));
        CHECK(r.max == Approx(b.max).epsilon(1e-12));
        // The left edge is at x = 42.25 - 20.48 = 21.77 mm; the nearest point is (21.77, 0). The
        // quad's straight edge is the chord of the (bowed) true edge, so it passes slightly
        // closer to the axis: by less than the edge-bow bound.
        const double truth = geo::focal_plane_radius_to_field_angle(21.77);
        CHECK(r.min <= truth);
        CHECK(r.min >= truth - geo::bbox_edge_bow_bound_rad(*geo::find_detector(95)));
    }
    SECTION("corner nearest: R33_S00 is closest at its lower-left corner") {
        const geo::Quad q = whole(144);
        const geo::RadiusRange r = geo::field_angle_radius_range(q);
        CHECK(r.min == Approx(norm(q[0])).epsilon(1e-12));
        CHECK(r.min == Approx(brute(q).min).epsilon(1e-9));
        CHECK(r.max == Approx(norm(q[2])).epsilon(1e-12));
    }
    SECTION("small boxes anywhere, against brute force") {
        std::mt19937_64 rng(11);
        for (int i = 0; i < 300; ++i) {
            const geo::Detector& d = geo::all_detectors()[rng() % 205];
            const std::int64_t x0 = random_below(rng, d.n_pix_x);
            const std::int64_t y0 = random_below(rng, d.n_pix_y);
            const std::int64_t x1 = std::min<std::int64_t>(x0 + random_below(rng, 500), d.n_pix_x - 1);
            const std::int64_t y1 = std::min<std::int64_t>(y0 + random_below(rng, 500), d.n_pix_y - 1);
            const geo::BBox box{x0, y0, x1, y1};
            const geo::Quad q = geo::bbox_field_angle_corners(d, box);
            const geo::RadiusRange r = geo::field_angle_radius_range(q);
            const geo::RadiusRange b = brute(q);
            CHECK(r.min <= b.min * (1 + 1e-12));
            CHECK(r.min >= b.min - 1e-10);
            CHECK(r.max == Approx(b.max).epsilon(1e-12));
        }
    }
}

TEST_CASE("edge bow: distorted bbox edges stay within max_bbox_edge_bow_bound_rad of their chords", "[geometry]") {
    double worst_bound = 0.0;
    double worst_full_edge = 0.0;
    for (const auto& d : geo::all_detectors()) {
        const double bound = geo::bbox_edge_bow_bound_rad(d);
        worst_bound = std::max(worst_bound, bound);
        // Brute force: straight pixel lines across the whole detector, both axes, 11 offsets.
        const double x_hi = d.n_pix_x - 0.5;
        const double y_hi = d.n_pix_y - 0.5;
        for (int k = 0; k <= 10; ++k) {
            const double fx = -0.5 + (x_hi + 0.5) * k / 10.0;
            const double fy = -0.5 + (y_hi + 0.5) * k / 10.0;
            const geo::Vec2 h0 = pixel_to_fa(d, {-0.5, fy});
            const geo::Vec2 h1 = pixel_to_fa(d, {x_hi, fy});
            const geo::Vec2 v0 = pixel_to_fa(d, {fx, -0.5});
            const geo::Vec2 v1 = pixel_to_fa(d, {fx, y_hi});
            for (int j = 1; j < 100; ++j) {
                const double t = j / 100.0;
                const double dh = line_distance(pixel_to_fa(d, {-0.5 + t * (x_hi + 0.5), fy}), h0, h1);
                const double dv = line_distance(pixel_to_fa(d, {fx, -0.5 + t * (y_hi + 0.5)}), v0, v1);
                CHECK(dh <= bound);
                CHECK(dv <= bound);
                worst_full_edge = std::max({worst_full_edge, dh, dv});
            }
        }
    }
    CHECK(worst_bound <= geo::max_bbox_edge_bow_bound_rad);
    CHECK(worst_bound > 0.95 * geo::max_bbox_edge_bow_bound_rad);  // the constant is not loose
    // Values quoted in camera.hpp and docs/camera.md.
    CHECK(worst_bound / arcsec == Approx(0.0834).margin(0.0005));
    CHECK(worst_full_edge / arcsec == Approx(0.0233).margin(0.0005));

    // Random sub-boxes: every edge point within the bound of the chord of its corners.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
        const geo::Detector& d = geo::all_detectors()[rng() % 205];
        const std::int64_t x0 = random_below(rng, d.n_pix_x);
        const std::int64_t y0 = random_below(rng, d.n_pix_y);
        const std::int64_t x1 = x0 + random_below(rng, d.n_pix_x - x0);
        const std::int64_t y1 = y0 + random_below(rng, d.n_pix_y - y0);
        const geo::Quad q = geo::bbox_field_angle_corners(d, {x0, y0, x1, y1});
        const double xl = x0 - 0.5, xh = x1 + 0.5, yl = y0 - 0.5, yh = y1 + 0.5;
        for (int j = 1; j < 16; ++j) {
            const double t = j / 16.0;
            const double xm = xl + t * (xh - xl);
            const double ym = yl + t * (yh - yl);
            CHECK(line_distance(pixel_to_fa(d, {xm, yl}), q[0], q[1]) <= geo::max_bbox_edge_bow_bound_rad);
            CHECK(line_distance(pixel_to_fa(d, {xh, ym}), q[1], q[2]) <= geo::max_bbox_edge_bow_bound_rad);
            CHECK(line_distance(pixel_to_fa(d, {xm, yh}), q[2], q[3]) <= geo::max_bbox_edge_bow_bound_rad);
            CHECK(line_distance(pixel_to_fa(d, {xl, ym}), q[3], q[0]) <= geo::max_bbox_edge_bow_bound_rad);
        }
    }
}

TEST_CASE("camera field radius", "[geometry]") {
    const double r = geo::camera_field_radius_rad();
    // Largest field angle of any detector corner (outer corners of R14_S02, R30_S20, R34_S22);
    // quoted in camera.hpp and docs/camera.md, and the same as oracle camera.fov_radius_deg().
    CHECK(r / deg == Approx(2.04807).margin(1e-5));
    for (const auto& d : geo::all_detectors()) {
        const geo::Quad q = geo::bbox_field_angle_corners(d, {0, 0, d.n_pix_x - 1, d.n_pix_y - 1});
        CHECK(geo::field_angle_radius_range(q).max <= r);
    }
}
