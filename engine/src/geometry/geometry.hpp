// The engine's geometry: LSSTCam camera model, gnomonic projection, FITS TAN WCS.
#pragma once

#include "geometry/camera.hpp"
#include "geometry/gnomonic.hpp"
#include "geometry/tan_wcs.hpp"
#include "geometry/types.hpp"
