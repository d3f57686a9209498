// The tolerance model of docs/design.md ("Matching").
//
// Cross-track: the corridor half-width is the object's cross-track position uncertainty seen
// at its range, never less than a floor:  max(min_arcsec, atan((a + b*age) / range)).
// Along-track: the time window of the track is padded on both sides by the along-track
// uncertainty over the object's speed, plus a fixed second:  (c + d*age) / speed + 1 s.
// The geometry margin grows every source footprint.  The defaults are those the accuracy study
// chose (docs/accuracy.md: 100% recall on its study set at the least vetoed area); the frontend
// sends its configured values with `configure`.
#pragma once

#include <cmath>

#include "common/angles.hpp"

namespace satveto::matching {


struct ToleranceModel {
    double min_arcsec = 20.0;
    double a_km = 1.0;
    double b_km_per_day = 0.2;
    double c_km = 4.0;
    double d_km_per_day = 6.0;
    double margin_arcsec = 5.0;

    // Radians; `range_km` is a lower bound of the range over the part of track concerned.
    double corridor_rad(double age_days, double range_km) const {
        const double cross_track_km = a_km + b_km_per_day * std::fabs(age_days);
        return std::fmax(min_arcsec * common::arcsec, std::atan(cross_track_km / std::fmax(range_km, 1.0)));
    }

    // Seconds; `speed_km_s` is a lower bound of the object's speed over the window.
    double time_pad_s(double age_days, double speed_km_s) const {
        const double along_track_km = c_km + d_km_per_day * std::fabs(age_days);
        return along_track_km / std::fmax(speed_km_s, 0.1) + 1.0;
    }

    double margin_rad() const { return margin_arcsec * common::arcsec; }
};

}  // namespace satveto::matching
