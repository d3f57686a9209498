// FITS TAN world coordinate system (Calabretta & Greisen 2002, "Paper II"), celestial
// RA---TAN / DEC--TAN with a CD matrix, no distortion terms.
#pragma once

#include "geometry/types.hpp"

namespace satveto::geometry {

// A detector's TAN WCS, in radians inside (the RPC edge converts from degrees, e.g. with
// tan_wcs_from_degrees):
//   crval  RA, Dec of the reference point (rad)
//   crpix  reference pixel in the FITS convention (1-based: 0-based pixel (x, y) is FITS
//          (x + 1, y + 1))
//   cd     CD matrix, rad per pixel; intermediate world coordinates (rad) are
//          (x, y) = cd * (p_fits - crpix), x toward increasing RA (for the usual
//          cd[0][0] < 0 that is East to the left on the image).
// LONPOLE and LATPOLE take their FITS defaults (LONPOLE = 180 deg unless CRVAL's Dec is
// exactly +90 deg, where it is 0), as in wcslib / astropy.
struct TanWcs {
    RaDec crval;
    Vec2 crpix;
    double cd[2][2] = {{0.0, 0.0}, {0.0, 0.0}};
};

// A TanWcs from the degree values of the API (crval in deg, cd in deg/pixel, crpix FITS).
TanWcs tan_wcs_from_degrees(double crval_ra_deg, double crval_dec_deg, Vec2 crpix,
                            const double (&cd_deg_per_pixel)[2][2]) noexcept;

// Sky position of a 0-based pixel position (pixel centres at integers).
RaDec wcs_pixel_to_sky(const TanWcs& wcs, Vec2 pixel0) noexcept;

// 0-based pixel position of a sky direction. *in_front (if not null) tells whether the
// direction is in the projection's hemisphere; behind it (and for a singular CD matrix) the
// result is NaN.
Vec2 wcs_sky_to_pixel(const TanWcs& wcs, RaDec sky, bool* in_front) noexcept;

}  // namespace satveto::geometry
