// Time scales and reference frames for the topocentric view of a satellite.
//
// SGP4 gives positions in TEME (true equator, mean equinox of date).  The engine needs
// geometric topocentric directions from the site in GCRS axes (what RA/Dec of a DIASource
// are given in).  The chain, with ERFA:
//
//   r_TOD  = R3(-EqEq) r_TEME                  equation of the equinoxes, IAU 2006/2000A
//   s_TOD  = R3(-GAST) s_ITRS                  site; polar motion ignored
//   d_GCRS = NPB^T (r_TOD - s_TOD)             bias-precession-nutation, IAU 2006/2000A
//
// UT1 is taken equal to UTC and polar motion is ignored (DESIGN.md): both are covered by
// the matching tolerance.  Over the minutes of a visit precession-nutation changes by far less
// than a milliarcsecond, so one FrameSnapshot per visit serves every instant of it; only the
// Earth's rotation angle advances, at its constant rate.
#pragma once

#include <array>
#include <cstdint>

namespace satveto::frames {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<std::array<double, 3>, 3>;

// A UTC instant split into two parts (ERFA convention) for full precision.
struct JulianDate {
    double day = 0.0;       // e.g. 2400000.5 + whole MJD
    double fraction = 0.0;  // remaining part
};

JulianDate utc_from_mjd(double mjd_utc);
// TT for a UTC instant (leap seconds from ERFA's table).  Returns false outside its range.
bool tt_from_utc(const JulianDate& utc, JulianDate& tt);

// Geodetic site on the WGS84 ellipsoid.
struct Site {
    double latitude_rad = 0.0;
    double longitude_rad = 0.0;
    double height_m = 0.0;
};
Site rubin_site();
Vec3 site_itrs_km(const Site& site);

// Everything needed to turn TEME positions into topocentric GCRS directions near one instant.
class FrameSnapshot {
public:
    // `reference_mjd_utc`: any instant within ~an hour of the instants converted later.
    FrameSnapshot(double reference_mjd_utc, const Site& site);

    // Topocentric vector from the site to a TEME position at `mjd_utc`, in GCRS axes (km).
    Vec3 topocentric_gcrs(const Vec3& r_teme_km, double mjd_utc) const;

    // The site's position in TEME axes at `mjd_utc` (km): lets hot loops subtract in TEME and
    // rotate once.
    Vec3 site_teme(double mjd_utc) const;

    // Rotation taking TEME axes to GCRS axes (a fixed matrix for the snapshot).
    const Mat3& teme_to_gcrs() const { return teme_to_gcrs_; }

    double reference_mjd_utc() const { return reference_mjd_utc_; }

private:
    double reference_mjd_utc_;
    double gmst_at_reference_ = 0.0;  // GAST - EqEq: the angle from TEME x to the Greenwich meridian
    Vec3 site_itrs_km_{};
    Mat3 teme_to_gcrs_{};
};

// A direction with the unit vectors toward East and North at it: the axes of the gnomonic
// (tangent-plane) projection about it, xi toward East and eta toward North.
struct TangentBasis {
    Vec3 center, east, north;
};
TangentBasis tangent_basis(double ra_rad, double dec_rad);

// Unit vector of (ra, dec) in radians, and back.
Vec3 unit_vector(double ra_rad, double dec_rad);
void ra_dec_of(const Vec3& v, double& ra_rad, double& dec_rad);

// Earth rotation rate (rad per day of UT1) used to advance sidereal time within a snapshot.
inline constexpr double earth_rotation_rad_per_day = 6.300387486749187;  // 2 pi * 1.00273781191135448

}  // namespace satveto::frames
