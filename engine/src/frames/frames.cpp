#include "frames/frames.hpp"

#include <erfa.h>

#include <cmath>

namespace satveto::frames {
namespace {

constexpr double mjd_zero_jd = 2400000.5;
constexpr double deg = M_PI / 180.0;

Vec3 multiply(const Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}

// Rotation of a vector's axes about z by angle (ERFA's eraRz convention, passive).
Vec3 rotate_z(double angle, const Vec3& v) {
    const double c = std::cos(angle), s = std::sin(angle);
    return {c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2]};
}

}  // namespace

JulianDate utc_from_mjd(double mjd_utc) {
    const double whole = std::floor(mjd_utc);
    return {mjd_zero_jd + whole, mjd_utc - whole};
}

bool tt_from_utc(const JulianDate& utc, JulianDate& tt) {
    double tai1 = 0, tai2 = 0;
    if (eraUtctai(utc.day, utc.fraction, &tai1, &tai2) < 0) return false;
    return eraTaitt(tai1, tai2, &tt.day, &tt.fraction) == 0;
}

Site rubin_site() { return {-30.244639 * deg, -70.749417 * deg, 2663.0}; }

Vec3 site_itrs_km(const Site& site) {
    double xyz_m[3];
    eraGd2gc(1 /* WGS84 */, site.longitude_rad, site.latitude_rad, site.height_m, xyz_m);
    return {xyz_m[0] / 1000.0, xyz_m[1] / 1000.0, xyz_m[2] / 1000.0};
}

FrameSnapshot::FrameSnapshot(double reference_mjd_utc, const Site& site)
    : reference_mjd_utc_(reference_mjd_utc), site_itrs_km_(site_itrs_km(site)) {
    const JulianDate utc = utc_from_mjd(reference_mjd_utc);
    JulianDate tt;
    if (!tt_from_utc(utc, tt)) tt = utc;  // outside ERFA's leap-second table: seconds matter little here
    // UT1 = UTC (DESIGN.md).  GMST in the TEME sense = GAST - equation of the equinoxes.
    const double equation_of_equinoxes = eraEe06a(tt.day, tt.fraction);
    const double gast = eraGst06a(utc.day, utc.fraction, tt.day, tt.fraction);
    gmst_at_reference_ = gast - equation_of_equinoxes;

    double npb[3][3];
    eraPnm06a(tt.day, tt.fraction, npb);  // GCRS -> true equator and equinox of date
    // TEME -> TOD is R3(-EqEq); TOD -> GCRS is NPB^T.  Compose them once.
    Mat3 npb_t{};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) npb_t[i][j] = npb[j][i];
    const double c = std::cos(-equation_of_equinoxes), s = std::sin(-equation_of_equinoxes);
    const Mat3 teme_to_tod{{{c, s, 0.0}, {-s, c, 0.0}, {0.0, 0.0, 1.0}}};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double sum = 0.0;
            for (int k = 0; k < 3; ++k) sum += npb_t[i][k] * teme_to_tod[k][j];
            teme_to_gcrs_[i][j] = sum;
        }
}

Vec3 FrameSnapshot::site_teme(double mjd_utc) const {
    // TEME x points to the mean equinox; the Greenwich meridian is GMST east of it.
    const double gmst = gmst_at_reference_ + earth_rotation_rad_per_day * (mjd_utc - reference_mjd_utc_);
    return rotate_z(-gmst, site_itrs_km_);
}

Vec3 FrameSnapshot::topocentric_gcrs(const Vec3& r_teme_km, double mjd_utc) const {
    const Vec3 site = site_teme(mjd_utc);
    return multiply(teme_to_gcrs_, {r_teme_km[0] - site[0], r_teme_km[1] - site[1], r_teme_km[2] - site[2]});
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
