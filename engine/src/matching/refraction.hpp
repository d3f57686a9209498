// Differential refraction across the field, for footprints placed by the camera model.
//
// Refraction lifts every source toward the zenith by about R0 tan z.  The part common to the
// whole field moves stars and satellites alike and is absorbed by the boresight (AP's pointing
// comes from stars); what the camera model cannot know is how it varies across the field.
// A point at angle theta from the boresight sits at zenith distance up to z + theta, so it is
// lifted by up to R0 (tan(z + theta) - tan z) more than the centre, and sideways its "up"
// turns by theta cot z, moving it by R0 tan z * theta cot z = R0 theta.  R0 = 60.4" is the
// sea-level standard atmosphere (at Rubin's 2663 m it is ~45"; the sea-level value covers
// cold, dense nights).  The tan z law overestimates refraction down to ~5 deg altitude; a
// field reaching lower gets 35', more than the whole refraction at the horizon.
// At 30 deg altitude across the 2.05 deg field radius: 11.4"; at 60 deg: 5.1".
// WCS and sky-corner footprints get none: AP's WCS is fitted to refracted stars.
#pragma once

namespace satveto::matching {

// Bound (rad) of the differential refraction between the boresight, at `altitude_rad`, and
// any point within `field_radius_rad` of it.
double camera_refraction_bound_rad(double altitude_rad, double field_radius_rad);

}  // namespace satveto::matching
