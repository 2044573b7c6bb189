"""Measurements averaged over an interval of sqrt(s) (``energy_range``, 14 R-ratio entries; issue #14): the range
average of the prediction equals brute-force integration of the pointwise (Gaussian-smeared) prediction, leaves
the SM unchanged, and turns an on-resonance narrow spike into its area over the range.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import kinmix_stats as km
from kinmix_stats.inputs.sm import HBARC2_GEV2_PB
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.observables import ee_ffbar
from kinmix_stats.observables.amplitudes import gaussian_average_propagator, range_average_propagator

LO, HI, E = 33.0, 36.7, 34.85  # MARK-J, BARBER 82C: R at 34.85 GeV averaged over 33.0-36.7 GeV
SPREAD = 1e-3 * E


def _delta_r_range(mass, width):
    dp, sm = km.DarkPhoton(np.array([mass]), 0.01, width=width), km.DarkPhoton(np.array([mass]), 0.0, width=width)
    kw = {"beam_spread": [SPREAD], "energy_range": [[LO, HI]]}
    return ee_ffbar.r_ratio(dp, [E], **kw)[0, 0] - ee_ffbar.r_ratio(sm, [E], **kw)[0, 0]


def _delta_r_brute(mass, width, n=20001):
    """<sigma_had(E) - sigma_had,SM(E)>, E uniform in [LO, HI] (Simpson on n points), / sigma_pt(E_nominal)."""
    dp, sm = km.DarkPhoton(np.array([mass]), 0.01, width=width), km.DarkPhoton(np.array([mass]), 0.0, width=width)
    grid = np.linspace(LO, HI, n)
    spread = np.full(n, SPREAD)
    diff = ee_ffbar.sigma_ee_ff(dp, grid, "had", beam_spread=spread)[0] - ee_ffbar.sigma_ee_ff(sm, grid, "had", beam_spread=spread)[0]
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    avg = np.sum(w * diff) * (grid[1] - grid[0]) / 3.0 / (HI - LO)
    return avg / (4.0 * math.pi * dp.sm.alpha**2 / (3.0 * E**2) * HBARC2_GEV2_PB)


@pytest.mark.parametrize(
    "mass, width",
    [(33.02, "narrow"), (34.85, "narrow"), (36.69, "narrow"), (38.0, "narrow"), (30.0, "narrow"), (33.02, "wide"), (36.69, "wide")],
)
def test_range_average_equals_brute_force_integration(mass, width):
    # inside the range, at both edges (within a spread), and outside; narrow and 1 %-wide Z'
    assert _delta_r_range(mass, width) == pytest.approx(_delta_r_brute(mass, width), rel=1.5e-2)


def test_range_turns_a_narrow_spike_into_its_area_over_the_range():
    on_peak = _delta_r_range(E, "narrow")
    dp, sm = km.DarkPhoton(np.array([E]), 0.01), km.DarkPhoton(np.array([E]), 0.0)
    point = ee_ffbar.r_ratio(dp, [E], beam_spread=[SPREAD])[0, 0] - ee_ffbar.r_ratio(sm, [E], beam_spread=[SPREAD])[0, 0]
    # Gaussian peak height ~ area / (sqrt(2 pi) spread), range average ~ area / (HI - LO)
    assert on_peak / point == pytest.approx(math.sqrt(2 * math.pi) * SPREAD / (HI - LO), rel=0.1)


def test_sm_prediction_is_unchanged_by_the_range():
    sm = km.DarkPhoton(np.array([20.0, 34.85]), 0.0)
    with_range = ee_ffbar.r_ratio(sm, [E], beam_spread=[SPREAD], energy_range=[[LO, HI]])
    np.testing.assert_array_equal(with_range, ee_ffbar.r_ratio(sm, [E], beam_spread=[SPREAD]))


def test_range_average_propagator_against_quadrature_without_spread():
    # a 1 GeV-wide pole inside and outside a 2 GeV range, zero spread: plain average of 1/(E^2 - M^2 + i M Gamma)
    lo, hi = 40.0, 42.0
    for m in (40.7, 43.0):
        p, p2 = range_average_propagator(np.array(lo), np.array(hi), np.array(0.0), np.array(m), np.array(1.0))
        e = np.linspace(lo, hi, 200001)
        prop = 1.0 / (e**2 - m**2 + 1j * m * 1.0)
        assert complex(p) == pytest.approx(np.trapezoid(prop, e) / (hi - lo), rel=1e-7)
        assert float(p2) == pytest.approx(np.trapezoid(np.abs(prop) ** 2, e) / (hi - lo), rel=1e-7)
    # a range far narrower than the spread reduces to the Gaussian average
    g, g2 = gaussian_average_propagator(np.array(41.0), np.array(0.05), np.array(41.02), np.array(1e-3))
    r, r2 = range_average_propagator(np.array(41.0 - 1e-6), np.array(41.0 + 1e-6), np.array(0.05), np.array(41.02), np.array(1e-3))
    assert complex(r) == pytest.approx(complex(g), rel=1e-6) and float(r2) == pytest.approx(float(g2), rel=1e-6)


@pytest.mark.parametrize(
    "rng, needle",
    [([[36.7, 33.0]], "0 < lo < hi"), ([[35.0, 36.7]], "sqrt_s=34.85"), ([[33.0, 36.7], [1, 2]], "shape (1, 2)")],
)
def test_bad_energy_range_is_refused(rng, needle):
    dp = km.DarkPhoton(np.array([30.0]), 0.01)
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        ee_ffbar.r_ratio(dp, [E], beam_spread=[SPREAD], energy_range=rng)
    with pytest.raises(ValueError, match="need a beam_spread > 0"):
        ee_ffbar.r_ratio(dp, [E], energy_range=[[LO, HI]])


def test_likelihood_averages_exactly_the_catalogue_ranges():
    like = PrecisionLikelihood(["r_ratio_petra_pep_tristan"])
    ranged = {m.id: m.energy_range for m in like.catalogue.measurements if m.energy_range is not None}
    assert len(ranged) == 14
    used = {name.split("/")[1]: kin["energy_range"] for name, (_, kin) in zip(like.names, like.entries) if "energy_range" in kin}
    assert used == ranged
    # predict() accepts it too, and agrees with the batched evaluation
    dp = km.DarkPhoton(34.85, 0.01)
    single = km.predict("R_ratio", dp, sqrt_s=E, beam_spread=SPREAD, energy_range=(LO, HI))
    assert single == pytest.approx(ee_ffbar.r_ratio(km.DarkPhoton(np.array([34.85]), 0.01), [E], beam_spread=[SPREAD], energy_range=[[LO, HI]])[0, 0], rel=1e-12)
