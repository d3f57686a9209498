#include "frames/frames.hpp"

#include "common/angles.hpp"
#include "frames/star_frame.hpp"
#include "frames/time_scales.hpp"

#include <erfa.h>

#include <cmath>

namespace satveto::frames {
namespace {

constexpr double mjd_zero_jd = 2400000.5;

Vec3 multiply(const Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}

// Rotation of a vector's axes about z by angle (ERFA's eraRz convention, passive).
Vec3 rotate_z(double angle, const Vec3& v) {
    const double c = std::cos(angle), s = std::sin(angle);
    return {c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2]};
}

}  // namespace

JulianDate julian_date_of_mjd(double mjd) {
    const double whole = std::floor(mjd);
    return {mjd_zero_jd + whole, mjd - whole};
}

Site rubin_site() { return {-30.244639 * common::deg, -70.749417 * common::deg, 2663.0}; }

Vec3 site_itrs_km(const Site& site) {
    double xyz_m[3];
    eraGd2gc(1 /* WGS84 */, site.longitude_rad, site.latitude_rad, site.height_m, xyz_m);
    return {xyz_m[0] / 1000.0, xyz_m[1] / 1000.0, xyz_m[2] / 1000.0};
}

FrameSnapshot::FrameSnapshot(double reference_mjd_tai, const Site& site, const EarthOrientation& earth_orientation)
    : reference_mjd_tai_(reference_mjd_tai), orientation_(earth_orientation.at(reference_mjd_tai)) {
    const JulianDate tt = julian_date_of_mjd(reference_mjd_tai + tt_minus_tai_s / 86400.0);
    const JulianDate ut1 = julian_date_of_mjd(reference_mjd_tai + orientation_.ut1_minus_tai_s / 86400.0);

    // The site in the terrestrial intermediate frame: polar motion undone.
    double pom[3][3];
    eraPom00(orientation_.xp_rad, orientation_.yp_rad, eraSp00(tt.day, tt.fraction), pom);
    const Vec3 itrs = site_itrs_km(site);
    for (int i = 0; i < 3; ++i) site_tirs_km_[i] = pom[0][i] * itrs[0] + pom[1][i] * itrs[1] + pom[2][i] * itrs[2];
    const double axis_km = std::hypot(itrs[0], itrs[1]);
    const double geocentre_km = std::hypot(axis_km, itrs[2]);
    site_displacement_km_ = frames::site_displacement_km(orientation_, axis_km, geocentre_km);

    gmst_at_reference_ = eraGmst82(ut1.day, ut1.fraction);
    double npb[3][3];
    eraPnm06a(tt.day, tt.fraction, npb);  // GCRS -> true equator and equinox of date
    // eraGst06a is eraPnm06a then eraGst06: given the matrix, the nutation is not redone.
    const double gast = eraGst06(ut1.day, ut1.fraction, tt.day, tt.fraction, npb);
    // TEME -> TOD is R3(GMST82 - GAST); TOD -> GCRS is NPB^T.  Compose them once.
    Mat3 npb_t{};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) npb_t[i][j] = npb[j][i];
    const double angle = gmst_at_reference_ - gast;
    const double c = std::cos(angle), s = std::sin(angle);
    const Mat3 teme_to_tod{{{c, s, 0.0}, {-s, c, 0.0}, {0.0, 0.0, 1.0}}};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double sum = 0.0;
            for (int k = 0; k < 3; ++k) sum += npb_t[i][k] * teme_to_tod[k][j];
            teme_to_gcrs_[i][j] = sum;
        }

    // The Earth's barycentric velocity (TDB taken as TT: 1.7 ms apart at most), and its rate
    // from a second evaluation an hour later.
    constexpr double km_s_per_au_day = 149597870.7 / 86400.0;
    constexpr double hour_days = 1.0 / 24.0;
    double heliocentric[2][3], barycentric[2][3], later_h[2][3], later_b[2][3];
    eraEpv00(tt.day, tt.fraction, heliocentric, barycentric);
    eraEpv00(tt.day, tt.fraction + hour_days, later_h, later_b);
    for (int i = 0; i < 3; ++i) {
        earth_velocity_km_s_[i] = barycentric[1][i] * km_s_per_au_day;
        earth_acceleration_km_s_per_day_[i] = (later_b[1][i] - barycentric[1][i]) * km_s_per_au_day / hour_days;
    }
}

Vec3 FrameSnapshot::site_teme(double mjd_tai) const {
    // TEME x points to the mean equinox; the TIRS x (Greenwich) is GMST east of it.
    const double gmst = gmst_at_reference_ + earth_rotation_rad_per_day * (mjd_tai - reference_mjd_tai_);
    return rotate_z(-gmst, site_tirs_km_);
}

Vec3 FrameSnapshot::topocentric_gcrs(const Vec3& r_teme_km, double mjd_tai) const {
    const Vec3 site = site_teme(mjd_tai);
    return multiply(teme_to_gcrs_, {r_teme_km[0] - site[0], r_teme_km[1] - site[1], r_teme_km[2] - site[2]});
}

Vec3 FrameSnapshot::star_frame_gcrs(const Vec3& r_teme_km, const Vec3& v_teme_km_s, double mjd_tai) const {
    return star_frame_vector(topocentric_gcrs(r_teme_km, mjd_tai), multiply(teme_to_gcrs_, v_teme_km_s),
                             earth_velocity_km_s(mjd_tai));
}

Vec3 FrameSnapshot::zenith_gcrs(const Site& site, double mjd_tai) const {
    const double c = std::cos(site.latitude_rad);
    const Vec3 up{c * std::cos(site.longitude_rad), c * std::sin(site.longitude_rad), std::sin(site.latitude_rad)};
    const double gmst = gmst_at_reference_ + earth_rotation_rad_per_day * (mjd_tai - reference_mjd_tai_);
    return multiply(teme_to_gcrs_, rotate_z(-gmst, up));
}

Vec3 FrameSnapshot::earth_velocity_km_s(double mjd_tai) const {
    const double dt = mjd_tai - reference_mjd_tai_;
    return {earth_velocity_km_s_[0] + dt * earth_acceleration_km_s_per_day_[0],
            earth_velocity_km_s_[1] + dt * earth_acceleration_km_s_per_day_[1],
            earth_velocity_km_s_[2] + dt * earth_acceleration_km_s_per_day_[2]};
}

double FrameSnapshot::earth_speed_km_s() const {
    return std::sqrt(earth_velocity_km_s_[0] * earth_velocity_km_s_[0] +
                     earth_velocity_km_s_[1] * earth_velocity_km_s_[1] +
                     earth_velocity_km_s_[2] * earth_velocity_km_s_[2]);
}

TangentBasis tangent_basis(double ra_rad, double dec_rad) {
    return {unit_vector(ra_rad, dec_rad),
            {-std::sin(ra_rad), std::cos(ra_rad), 0.0},
            {-std::sin(dec_rad) * std::cos(ra_rad), -std::sin(dec_rad) * std::sin(ra_rad), std::cos(dec_rad)}};
}

Vec3 unit_vector(double ra_rad, double dec_rad) {
    const double c = std::cos(dec_rad);
    return {c * std::cos(ra_rad), c * std::sin(ra_rad), std::sin(dec_rad)};
}

void ra_dec_of(const Vec3& v, double& ra_rad, double& dec_rad) {
    double p[3] = {v[0], v[1], v[2]};
    eraC2s(p, &ra_rad, &dec_rad);
    ra_rad = eraAnp(ra_rad);
}

}  // namespace satveto::frames
