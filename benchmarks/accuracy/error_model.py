"""A literature-based model of GP (TLE) element-set errors, and perturbed element sets.

The study needs element sets whose predictions are wrong the way real space-track GP data is
wrong: along-track dominated, a few hundred metres to a few kilometres at epoch, the
along-track part growing with age, cross-track and radial parts much smaller and slower.  We
cannot fetch real GP histories here, so we fabricate them: the "truth" is a demo catalog
element set propagated with SGP4, and the element set used for vetting is the same set with
its mean elements perturbed.  Perturbing elements rather than positions keeps the result an
ordinary GP record that the engine propagates like any other, and makes the error grow with
age through the dynamics (mean motion, drag, differential node precession) instead of through
a formula we would have to trust.

The 1-sigma budgets below are per orbit regime; docs/accuracy.md gives the published figures
they are drawn from.  The study measures the errors the perturbations actually produce and
reports them next to those figures, so the model is checked, not assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MU_KM3_S2 = 398600.8  # WGS-72, as SGP4
SECONDS_PER_DAY = 86400.0

#: Orbit regime of each demo-catalog class.
REGIME_OF_CLASS: dict[str, str] = {
    "starlink": "LEO",
    "oneweb": "LEO",
    "sso": "LEO",
    "leo_debris": "LEO",
    "gps": "MEO",
    "galileo": "MEO",
    "glonass": "MEO",
    "geo": "GEO",
    "gto_rocket_body": "HEO",
    "molniya": "HEO",
}


@dataclass(frozen=True)
class ErrorBudget:
    """1-sigma element-set errors of one orbit regime (km, km/day, relative)."""

    along_km: float  # along-track at epoch (mean anomaly)
    along_km_per_day: float  # along-track growth (mean motion)
    cross_km: float  # cross-track at epoch (inclination vector)
    radial_km: float  # radial at epoch (eccentricity vector)
    bstar_relative: float  # drag-term error, relative to B*


#: Budgets (1 sigma).  LEO: sub-km at epoch, along-track growth ~1-2 km/day, drag error on
#: top; MEO/GEO/HEO: km-level at epoch (fewer, sparser observations, deep-space theory).
BUDGETS: dict[str, ErrorBudget] = {
    "LEO": ErrorBudget(0.5, 1.5, 0.3, 0.2, 0.2),
    "MEO": ErrorBudget(1.0, 0.7, 0.5, 0.3, 0.0),
    "GEO": ErrorBudget(2.0, 1.0, 1.5, 0.5, 0.0),
    "HEO": ErrorBudget(2.0, 2.0, 1.0, 0.5, 0.2),
}

#: Gaussian draws are clipped here: beyond ~3 sigma a GP set is an outlier (a manoeuvre,
#: a cross-tag) that no tolerance of this form is meant to absorb.
CLIP_SIGMA = 3.0


def semi_major_axis_km(mean_motion_rev_day: float) -> float:
    n = mean_motion_rev_day * 2.0 * math.pi / SECONDS_PER_DAY
    return (MU_KM3_S2 / n**2) ** (1.0 / 3.0)


def perturb(record: dict, regime: str, rng: np.random.Generator) -> dict:
    """A copy of a GP record with its mean elements perturbed by one draw of the budget.

    Each perturbation is written so that it moves the position in one direction only:
    the inclination vector is moved (cross-track) with the argument of perigee compensated
    so that the along-track position is unchanged; the eccentricity vector is moved (radial)
    with the mean anomaly compensated; then the mean anomaly (along-track at epoch), the mean
    motion (along-track growth) and B* (drag, growth ~ age^2).
    """
    budget = BUDGETS[regime]
    z = [float(x) for x in np.clip(rng.standard_normal(6), -CLIP_SIGMA, CLIP_SIGMA)]
    a = semi_major_axis_km(record["MEAN_MOTION"])
    out = dict(record)

    inc = math.radians(record["INCLINATION"])
    raan = math.radians(record["RA_OF_ASC_NODE"])
    argp = math.radians(record["ARG_OF_PERICENTER"])
    mean_anomaly = math.radians(record["MEAN_ANOMALY"])
    e = record["ECCENTRICITY"]

    # Cross-track: the inclination vector i (sin RAAN, -cos RAAN) moved by d (radians) shifts
    # the orbit plane by a*|d| at most; this form is regular at i = 0 (GEO).  Moving the node
    # also moves the along-track origin by cos(i) dRAAN, which the perigee argument takes back.
    sigma_plane = budget.cross_km / a / math.sqrt(2.0)
    px = inc * math.sin(raan) + z[0] * sigma_plane
    py = -inc * math.cos(raan) + z[1] * sigma_plane
    new_inc = math.hypot(px, py)
    new_raan = math.atan2(px, -py) if new_inc > 0.0 else raan
    d_raan = math.remainder(new_raan - raan, 2.0 * math.pi)
    argp -= math.cos(inc) * d_raan

    # Radial: the eccentricity vector moved by sigma_r / a (radial excursion a*|de|), the mean
    # anomaly compensated for the change of perigee so that the mean argument of latitude holds.
    sigma_e = budget.radial_km / a / math.sqrt(2.0)
    ex = e * math.cos(argp) + z[2] * sigma_e
    ey = e * math.sin(argp) + z[3] * sigma_e
    new_e = min(math.hypot(ex, ey), 0.95)
    new_argp = math.atan2(ey, ex) if new_e > 0.0 else argp
    mean_anomaly -= math.remainder(new_argp - argp, 2.0 * math.pi)

    # Along-track: an offset at epoch, and a mean-motion error whose drift is the growth rate.
    mean_anomaly += z[4] * budget.along_km / a
    dn_rad_day = z[5] * budget.along_km_per_day / a
    n_rev_day = record["MEAN_MOTION"] + dn_rad_day / (2.0 * math.pi)
    bstar = record["BSTAR"] * (1.0 + budget.bstar_relative * float(rng.standard_normal()))

    out.update(
        INCLINATION=math.degrees(new_inc),
        RA_OF_ASC_NODE=math.degrees(new_raan) % 360.0,
        ECCENTRICITY=new_e,
        ARG_OF_PERICENTER=math.degrees(new_argp) % 360.0,
        MEAN_ANOMALY=math.degrees(mean_anomaly) % 360.0,
        MEAN_MOTION=n_rev_day,
        BSTAR=bstar,
    )
    return out


def rtn_difference_km(
    r_truth: np.ndarray, v_truth: np.ndarray, r_other: np.ndarray
) -> tuple[float, float, float]:
    """(radial, along-track, cross-track) components of r_other - r_truth in the truth's frame."""
    radial = r_truth / np.linalg.norm(r_truth)
    normal = np.cross(r_truth, v_truth)
    normal /= np.linalg.norm(normal)
    along = np.cross(normal, radial)
    d = r_other - r_truth
    return float(d @ radial), float(d @ along), float(d @ normal)
