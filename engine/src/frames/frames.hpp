// Reference frames for the topocentric view of a satellite.
//
// SGP4 gives positions in TEME (true equator, mean equinox of date, the Earth's rotation
// measured by GMST 1982 as Vallado defines it).  The engine needs topocentric vectors from the
// site in GCRS axes.  The chain, with ERFA, every instant a TAI MJD (time_scales.hpp):
//
//   s_TIRS = W^T s_ITRS                  site; W polar motion (eraPom00, eraSp00)
//   s_TEME = R3(-GMST82(UT1)) s_TIRS     TEME's Earth rotation (eraGmst82)
//   d_GCRS = NPB^T R3(GMST82 - GAST) (r_TEME - s_TEME)
//                                        bias-precession-nutation, IAU 2006/2000A (eraPnm06a,
//                                        eraGst06 given its matrix, i.e. eraGst06a; TT = TAI + 32.184 s)
//
// UT1 and polar motion come from an EarthOrientation table (or UT1 = UTC without one); the
// table's error bound, as a displacement of the site, is `site_displacement_km()`, which the
// matching adds to its corridor.  Over the minutes of a visit precession-nutation changes by
// far less than a milliarcsecond, so one FrameSnapshot per visit serves every instant of it;
// only the Earth's rotation angle advances, at its constant rate.  The star-frame direction
// (light time and aberration) is in star_frame.hpp; the snapshot supplies the Earth's
// barycentric velocity for it.
#pragma once

#include "common/angles.hpp"
#include "frames/earth_orientation.hpp"

#include <array>
#include <cmath>
#include <cstdint>

namespace satveto::frames {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<std::array<double, 3>, 3>;

// An instant split into two parts (ERFA convention) for full precision.
struct JulianDate {
    double day = 0.0;       // e.g. 2400000.5 + whole MJD
    double fraction = 0.0;  // remaining part
};

// The two-part Julian date of an MJD, in the MJD's own scale.
JulianDate julian_date_of_mjd(double mjd);

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
    // `reference_mjd_tai`: any instant within ~an hour of the instants converted later.
    // `earth_orientation`: UT1 and polar motion (the default: none, UT1 = UTC).
    FrameSnapshot(double reference_mjd_tai, const Site& site,
                  const EarthOrientation& earth_orientation = EarthOrientation());

    // Geometric topocentric vector from the site to a TEME position at `mjd_tai`, in GCRS
    // axes (km).
    Vec3 topocentric_gcrs(const Vec3& r_teme_km, double mjd_tai) const;

    // Star-frame vector (star_frame.hpp) of a TEME state at `mjd_tai`, GCRS axes (km).
    Vec3 star_frame_gcrs(const Vec3& r_teme_km, const Vec3& v_teme_km_s, double mjd_tai) const;

    // The site's position in TEME axes at `mjd_tai` (km): lets hot loops subtract in TEME and
    // rotate once.
    Vec3 site_teme(double mjd_tai) const;

    // Rotation taking TEME axes to GCRS axes (a fixed matrix for the snapshot).
    const Mat3& teme_to_gcrs() const { return teme_to_gcrs_; }

    // The site's geodetic vertical (unit vector, GCRS axes) at `mjd_tai`; polar motion (< 1")
    // neglected.
    Vec3 zenith_gcrs(const Site& site, double mjd_tai) const;

    // The Earth's barycentric velocity (km/s, BCRS = GCRS axes) at `mjd_tai`: eraEpv00 at the
    // reference, advanced linearly (the error is below 1 mm/s within an hour).
    Vec3 earth_velocity_km_s(double mjd_tai) const;
    double earth_speed_km_s() const;

    double reference_mjd_tai() const { return reference_mjd_tai_; }
    const EarthOrientationSample& earth_orientation() const { return orientation_; }

    // Bound of the site's position error due to the Earth-orientation data (km).
    double site_displacement_km() const { return site_displacement_km_; }

private:
    double reference_mjd_tai_;
    double gmst_at_reference_ = 0.0;  // GMST 1982 of UT1: the angle from TEME x to the TIRS x
    EarthOrientationSample orientation_;
    Vec3 site_tirs_km_{};
    Mat3 teme_to_gcrs_{};
    Vec3 earth_velocity_km_s_{};
    Vec3 earth_acceleration_km_s_per_day_{};
    double site_displacement_km_ = 0.0;
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

// Rate of GMST 1982 (rad per day of UT1) used to advance sidereal time within a snapshot.
inline constexpr double earth_rotation_rad_per_day = common::two_pi * 1.002737909350795;

}  // namespace satveto::frames
