"""Drell-Yan partonic cross sections, decomposition and smearing (kinmix_stats.recast.drell_yan)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats.inputs import FERMIONS, SMParameters, alpha_s_running
from kinmix_stats.model import DarkPhoton
from kinmix_stats.recast.drell_yan import (
    VectorBoson,
    bosons_from_model,
    gaussian_smear,
    partonic_cross_section,
    partonic_terms,
    sm_bosons,
    smearing_matrix,
    trapezoid_weights,
    true_mass_grid,
)

SM = SMParameters()


@pytest.mark.parametrize("quark", ["u", "d", "c", "b"])
def test_photon_only_matches_textbook(quark):
    """sigma(q qbar -> gamma* -> mu mu) = 4 pi alpha^2 Q_q^2 / (9 s), colour averaged."""
    photon, _ = sm_bosons(SM)
    s = np.array([10.0, 400.0, 2500.0, 40000.0])
    expected = 4.0 * math.pi * SM.alpha**2 * FERMIONS[quark].charge ** 2 / (9.0 * s)
    np.testing.assert_allclose(partonic_cross_section(s, [photon], quark), expected, rtol=1e-12)


@pytest.mark.parametrize("quark", ["u", "d", "s"])
def test_z_peak_from_model_widths(quark):
    """At s = m_Z^2 the Z term is 12 pi Gamma_qq Gamma_mumu / (N_c^2 m_Z^2 Gamma_Z^2).

    Widths come from the model's independent width code (kinmix_stats.model.widths), with its
    QCD factor 1 + alpha_s/pi removed from Gamma_qq (the partonic cross section is tree level).
    """
    dp = DarkPhoton(50.0, 1e-6, sm=SM)
    (z,) = bosons_from_model(dp, include=("Z",))
    mz, gz = z.mass, z.width
    k_qcd = 1.0 + float(alpha_s_running(mz, SM.alpha_s_mz, SM.mz0)) / math.pi
    g_qq = float(dp.partial_width("Z", quark)) / k_qcd
    g_mm = float(dp.partial_width("Z", "mu"))
    expected = 12.0 * math.pi * g_qq * g_mm / (9.0 * mz**2 * gz**2)
    # massive-muon and massive-quark corrections to the model widths are < 1e-5 at m_Z
    assert partonic_cross_section(mz**2, [z], quark) == pytest.approx(expected, rel=1e-4)


def test_terms_sum_to_total_and_signal_terms():
    dp = DarkPhoton(40.0, 0.05, width=1.0, sm=SM)
    bosons = bosons_from_model(dp)
    s = np.linspace(30.0, 60.0, 37) ** 2
    for q in ("u", "d"):
        terms = partonic_terms(s, bosons, q)
        total = partonic_cross_section(s, bosons, q)
        np.testing.assert_allclose(sum(terms.values()), total, rtol=1e-10)
        signal = partonic_cross_section(s, bosons, q, only_with="Zp")
        np.testing.assert_allclose(signal, sum(v for k, v in terms.items() if "Zp" in k), rtol=1e-9, atol=1e-30)
        without = partonic_cross_section(s, bosons[:2], q)
        np.testing.assert_allclose(total - without, signal, rtol=1e-7, atol=1e-12 * float(np.max(total)))


def test_signal_vanishes_without_mixing():
    dp = DarkPhoton(40.0, 0.0, sm=SM)
    s = np.linspace(30.0, 60.0, 5) ** 2
    assert np.all(partonic_cross_section(s, bosons_from_model(dp), "u", only_with="Zp") == 0.0)


def test_sm_bosons_z_couplings_match_model_at_zero_mixing():
    dp = DarkPhoton(40.0, 0.0, sm=SM)
    _, z = sm_bosons(SM)
    for f in ("u", "d", "mu"):
        np.testing.assert_allclose(z.chiral(f), dp.chiral_couplings("Z", f), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("width", [1e-6, 1e-3, 0.5, 5.0])
def test_true_mass_grid_integrates_breit_wigner(width):
    """Trapezoid on the adaptive grid reproduces int dM of a Breit-Wigner in M^2 (arctan) to 1e-3."""
    m, lo, hi = 50.0, 40.0, 60.0
    grid = true_mass_grid(lo, hi, [(m, width)], step=0.05)
    f = 2.0 * grid / ((grid**2 - m**2) ** 2 + (m * width) ** 2)  # d/dM of arctan((M^2-m^2)/(m G))/(m G)
    exact = (math.atan((hi**2 - m**2) / (m * width)) - math.atan((lo**2 - m**2) / (m * width))) / (m * width)
    assert np.sum(trapezoid_weights(grid) * f) == pytest.approx(exact, rel=1e-3)


def test_smearing_conserves_the_peak_integral():
    """A 1e-6 GeV wide resonance smeared with 1.3 % keeps its integral (reco range covers +-8 sigma)."""
    m, width = 50.0, 1e-6
    a_prime = VectorBoson("Zp", m, width, {"u": (0.01, 0.01), "mu": (0.01, 0.01)})
    grid = true_mass_grid(45.0, 55.0, [(m, width)], step=0.02)
    sig = partonic_cross_section(grid**2, [a_prime], "u")
    reco = np.linspace(45.0 * (1 - 8 * 0.013), 55.0 * (1 + 8 * 0.013), 3001)
    smeared = gaussian_smear(reco, grid, sig, 0.013)
    unsmeared_integral = np.sum(trapezoid_weights(grid) * sig)
    assert np.trapezoid(smeared, reco) == pytest.approx(unsmeared_integral, rel=1e-4)
    # and the smeared peak is a Gaussian of width r*m: height = integral / (sqrt(2 pi) r m)
    assert smeared.max() == pytest.approx(unsmeared_integral / (math.sqrt(2 * math.pi) * 0.013 * m), rel=2e-3)


@pytest.mark.parametrize("bad", [-0.01, 0.0, 0.7, float("nan")])
def test_bad_resolution_raises(bad):
    with pytest.raises(ValueError, match=r"resolution .*\(0, 0\.5\]"):
        smearing_matrix([50.0], [49.0, 50.0, 51.0], bad)


def test_bad_shat_and_boson_raise():
    photon, _ = sm_bosons(SM)
    with pytest.raises(ValueError, match="shat"):
        partonic_cross_section([-1.0], [photon], "u")
    with pytest.raises(ValueError, match="width of Zp"):
        VectorBoson("Zp", 50.0, -1.0)
    with pytest.raises(ValueError, match="only_with"):
        partonic_cross_section([100.0], [photon], "u", only_with="Zp")
