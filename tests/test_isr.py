"""Initial-state radiation (issue #14): the Kuraev-Fadin radiator, its quadrature, and its action on e+e- -> f fbar:
the Born result is conserved far from resonances where the Z' has the SM's energy dependence, a narrow resonance on
a measured energy is reduced by the textbook factor C Gamma(1 + beta/2) 2^(beta/2) (2 sigma/E)^beta, and the
convolution with radiative return equals brute-force integration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gamma

import kinmix_stats as km
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.observables import ee_ffbar
from kinmix_stats.observables.amplitudes import _isr_pieces, gaussian_average_propagator, smeared_propagators
from kinmix_stats.observables.isr import X_MAX_LEP2, _hard, isr_beta, isr_nodes, radiator, radiator_flux, soft_coefficient

ALPHA0 = 1.0 / 137.035999177  # CODATA 2022, as kinmix_stats.inputs.PDG


def test_radiator_normalisation_and_soft_limit():
    s = 91.0**2
    b = isr_beta(s)
    # beta = (2 alpha/pi)(ln(s/m_e^2) - 1) = 0.108 at the Z
    assert b == pytest.approx(2 * ALPHA0 / math.pi * (math.log(s / 0.51099895e-3**2) - 1), rel=1e-12)
    assert 0.10 < b < 0.12
    # int_0^1 H dx = 1 + (alpha/pi)(pi^2/3 - 1/2) + O(beta^2): soft C and hard -3 beta/4 cancel at O(beta)
    total = soft_coefficient(s) + quad(lambda x: _hard(np.array(x), b), 0, 1, limit=200)[0]
    assert total == pytest.approx(1 + ALPHA0 / math.pi * (math.pi**2 / 3 - 0.5), abs=b**2)
    # soft limit: H -> beta C x^(beta - 1)
    assert radiator(1e-9, s) / (b * 1e-9 ** (b - 1) * soft_coefficient(s)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("centre, half", [(None, None), (0.01, 1e-3), (1e-4, 1e-3), (0.1, 0.02), (-0.01, 1e-3)])
def test_quadrature_matches_adaptive_integration(centre, half):
    s, xm = 189.0**2, X_MAX_LEP2
    b, c = isr_beta(s), soft_coefficient(s)
    f = (lambda x: 1.0 / (1.0 - x)) if centre is None else (lambda x: half**2 / ((x - centre) ** 2 + half**2))
    x, w = isr_nodes(s, xm, None if centre is None else (centre, half))
    g = lambda x: b * c * x ** (b - 1) * f(x) + _hard(np.array(x), b) * f(x)
    pts = [0.0, 1e-6] + ([] if centre is None else [min(max(centre, 2e-6), xm)]) + [xm]
    ref = sum(quad(g, lo, hi, limit=400)[0] for lo, hi in zip(pts[:-1], pts[1:]) if hi > lo)
    assert np.sum(w * f(x)) == pytest.approx(ref, rel=2e-4)
    if centre is None:
        assert radiator_flux(s, xm) == pytest.approx(ref, rel=1e-9)


def _delta_sigma(mass, e, isr, width="narrow"):
    dp, sm = km.DarkPhoton(np.atleast_1d(mass), 0.01, width=width), km.DarkPhoton(np.atleast_1d(mass), 0.0, width=width)
    kw = {"beam_spread": [1e-3 * e]} | ({"isr_x_max": [X_MAX_LEP2]} if isr else {})
    return ee_ffbar.sigma_ee_ff(dp, [e], "mu", **kw)[:, 0] - ee_ffbar.sigma_ee_ff(sm, [e], "mu", **kw)[:, 0]


@pytest.mark.parametrize("e", [34.0, 189.0])
def test_born_result_is_conserved_far_from_resonances(e):
    s, spread = np.array([e**2]), np.array([1e-3 * e])
    x_max = np.array([X_MAX_LEP2])
    for mass, lo, hi in ((1.0, 1.0 - 2e-4, 1.0 + 2e-4), (1000.0, 0.95, 0.99)):
        dp = km.DarkPhoton(np.array([mass]), 0.01)
        born = smeared_propagators(dp, s, spread)
        mzp, gzp = np.asarray(dp.mzp)[:, None], np.asarray(dp.total_width("Zp"))[:, None]
        p_isr, _, done = _isr_pieces(s, spread, None, x_max, mzp, gzp, everywhere=True)
        # a light Z' couples like a photon (signal ~ 1/s like the SM): the ISR ratio is the Born one;
        # a heavy one is contact-like (signal/SM ~ s): lowered by the mean radiated fraction, a few per cent
        ratio = np.real(s[0] * p_isr[0, 0]) / np.real(born.s_p[0, 0])
        assert lo < ratio < hi, (mass, ratio)
        # away from the resonance the likelihood keeps the Born ratio (the convolution is not done there)
        _, _, active = _isr_pieces(s, spread, None, x_max, mzp, gzp)
        assert not active.any()
        assert _delta_sigma(mass, e, True)[0] == _delta_sigma(mass, e, False)[0]


@pytest.mark.parametrize("e", [34.0, 189.0])
def test_textbook_narrow_resonance_reduction(e):
    s, spread = e**2, 1e-3 * e
    dp = km.DarkPhoton(np.array([e]), 0.01)
    born = smeared_propagators(dp, np.array([s]), np.array([spread]))
    rad = smeared_propagators(dp, np.array([s]), np.array([spread]), isr_x_max=X_MAX_LEP2)
    b = isr_beta(s)
    # Gaussian peak (Gamma << spread) convolved with beta C x^(beta-1): C Gamma(1+beta/2) 2^(beta/2) (2 spread/E)^beta
    textbook = soft_coefficient(s) * gamma(1 + b / 2) * 2 ** (b / 2) * (2 * spread / e) ** b / radiator_flux(s, X_MAX_LEP2)
    ratio = float((rad.s_p2 / born.s_p2)[0, 0])
    assert ratio == pytest.approx(float(textbook), rel=1e-3)
    assert 0.5 < ratio < 0.65  # "roughly x0.5 in rate" (issue #14)


def test_radiative_return_equals_brute_force():
    # narrow Z' 7 % below sqrt(s) = 189 GeV: the radiative tail feeds it (x_r = 0.135 < x_max)
    e, m = 189.0, 189.0 * 0.93
    s, spread = e**2, 1e-3 * e
    dp = km.DarkPhoton(np.array([m]), 0.01)
    rad = smeared_propagators(dp, np.array([s]), np.array([spread]), isr_x_max=X_MAX_LEP2)
    mass, width = float(np.asarray(dp.mzp)[0]), float(np.asarray(dp.total_width("Zp"))[0])
    b, c = isr_beta(s), soft_coefficient(s)
    u = (np.arange(400_000) + 0.5) / 400_000 * X_MAX_LEP2**b
    x = u ** (1 / b)
    wu = (c + _hard(x, b) * x ** (1 - b) / b) * X_MAX_LEP2**b / u.size
    cx = np.sqrt(1 - x)
    p, p2 = gaussian_average_propagator(e * cx, spread * cx, mass, width)
    z2 = mass**2 - 1j * mass * width
    brute_sp2 = np.sum(wu * (-np.imag(z2 * p) / (mass * width))) / radiator_flux(s, X_MAX_LEP2)
    brute_sp = s * np.sum(wu * p) / radiator_flux(s, X_MAX_LEP2)
    assert float(rad.s_p2[0, 0]) == pytest.approx(brute_sp2, rel=2e-3)
    assert complex(rad.s_p[0, 0]) == pytest.approx(complex(brute_sp), rel=2e-3)
    # and it is a genuine new signal: far above the Born one at 189 GeV
    assert _delta_sigma(m, e, True)[0] > 5 * _delta_sigma(m, e, False)[0]


def test_likelihood_applies_isr_to_sigma_afb_and_r_only():
    like = PrecisionLikelihood(["lep2_ffbar", "lep2_bhabha", "r_ratio_petra_pep_tristan"], isr=True)
    for obs, kin in like.entries:
        assert ("isr_x_max" in kin) == (obs in ("sigma_ee_ff", "AFB_ee_ff", "R_ratio") and "energy_range" not in kin)
        if "isr_x_max" in kin:
            assert kin["isr_x_max"] == pytest.approx(1 - 0.85**2, rel=1e-15)
    assert not any("isr_x_max" in kin for _, kin in PrecisionLikelihood(["lep2_ffbar"]).entries)  # off by default
    with pytest.raises(ValueError, match="isr_x_max must lie in"):
        ee_ffbar.sigma_ee_ff(km.DarkPhoton(np.array([50.0]), 0.01), [189.0], "mu", beam_spread=[0.189], isr_x_max=[1.0])
