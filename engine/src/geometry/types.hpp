// Small value types shared by the geometry routines.
//
// Units: angles are radians everywhere inside the engine (degrees only at the RPC edge);
// focal-plane lengths are mm; pixel coordinates are pixels, 0-based, pixel centres at
// integers.
#pragma once

#include <array>
#include <cstdint>

namespace satveto::geometry {

// A 2-vector. What the components mean (pixels, mm, radians, tangent-plane units) is
// stated by the function that returns it.
struct Vec2 {
    double x = 0.0;
    double y = 0.0;
};

// A direction on the celestial sphere, radians: ra in [0, 2*pi), dec in [-pi/2, pi/2].
struct RaDec {
    double ra = 0.0;
    double dec = 0.0;
};

// A source bounding box in a detector's pixel frame: inclusive 0-based pixel indices,
// x0 <= x1, y0 <= y1 (validated by the caller). The area it covers is the union of the
// pixels, [x0 - 0.5, x1 + 0.5] x [y0 - 0.5, y1 + 0.5].
struct BBox {
    std::int64_t x0 = 0;
    std::int64_t y0 = 0;
    std::int64_t x1 = 0;
    std::int64_t y1 = 0;
};

// Four corners in order around the boundary (counter-clockwise for boxes mapped through
// the camera model, which preserves orientation).
using Quad = std::array<Vec2, 4>;

// Smallest and largest distance from the origin over a region, in the region's units.
struct RadiusRange {
    double min = 0.0;
    double max = 0.0;
};

}  // namespace satveto::geometry
