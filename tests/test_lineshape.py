"""The Z line shape with both states (issue #14 item 1): the gamma + (Z, Z') propagator matrix with off-diagonal
widths (observables/lineshape.py) against the single-state code, direct inversion, brute-force averages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats.inputs.fermions import FERMIONS
from kinmix_stats.inputs.sm import alpha_s_running
from kinmix_stats.model.vector_boson import DarkPhoton
from kinmix_stats.observables.ee_ffbar import afb_ee_ff, sigma_ee_ff
from kinmix_stats.observables.isr import radiator
from kinmix_stats.observables.lineshape import (
    LINESHAPE_OBSERVABLES,
    SCAN_OFFSETS_GEV,
    effective_pole_observables,
    propagator_matrix,
    propagator_poles,
    two_state_afb,
    two_state_sigma,
    width_matrix,
)

LEP1 = np.array([88.4, 89.4, 90.2, 91.2, 92.0, 93.0, 93.9])  # a grid across the LEP-I scan range (GeV)
_SM = DarkPhoton(10.0, 0.0)  # scalar model: float attributes
REGISTRY_SM = {"mZ": _SM.mz, "GammaZ": _SM.total_width("Z")}


@pytest.mark.parametrize("final_state", ["had", "mu"])
def test_without_off_diagonal_width_it_is_the_single_state_result(final_state):
    # w = 0: two independent Breit-Wigners, i.e. exactly ee_ffbar's gamma + Z + Z' amplitude, also next to m_Z
    dp = DarkPhoton(np.array([30.0, 89.0, 90.6, 91.6, 93.0, 150.0]), 0.01, width="narrow")
    for fn_new, fn_old in ((two_state_sigma, sigma_ee_ff), (two_state_afb, afb_ee_ff)):
        new = fn_new(dp, LEP1, final_state, off_diagonal=False)
        old = fn_old(dp, LEP1, final_state)
        np.testing.assert_allclose(new, old, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("width", ["narrow", "wide"])
def test_far_apart_the_matrix_reduces_to_the_single_state_result_and_near_the_pole_it_does_not(width):
    # the off-diagonal width matters only through w^2 / ((s - m_Z^2)(s - m_Z'^2)): negligible for states far apart
    far = DarkPhoton(np.array([30.0, 60.0, 150.0]), 0.02, width=width)
    for fs in ("had", "mu"):
        np.testing.assert_allclose(two_state_sigma(far, LEP1, fs, 0.055), two_state_sigma(far, LEP1, fs, 0.055, off_diagonal=False), rtol=5e-5)
        np.testing.assert_allclose(two_state_afb(far, LEP1, fs, 0.055), two_state_afb(far, LEP1, fs, 0.055, off_diagonal=False), atol=5e-6)
    # a Z' 1.8 GeV above the Z at eps = 0.02 (splitting comparable to Gamma_ZZ'): the diagonal treatment is off by tens of %
    near = DarkPhoton(np.array([93.0]), 0.02, width=width)
    ratio = two_state_sigma(near, np.array([93.0]), "had", 0.055) / two_state_sigma(near, np.array([93.0]), "had", 0.055, off_diagonal=False)
    assert abs(float(ratio[0, 0]) - 1.0) > 0.1


def test_eps_to_zero_is_the_standard_model():
    sm = DarkPhoton(np.array([10.0]), 0.0)
    for mass in (20.0, 91.5, 150.0):
        dp = DarkPhoton(np.array([mass]), 0.0)
        for fs in ("had", "mu", "tau"):
            np.testing.assert_allclose(two_state_sigma(dp, LEP1, fs, 0.06), two_state_sigma(sm, LEP1, fs, 0.06), rtol=1e-12)
            np.testing.assert_allclose(two_state_sigma(dp, LEP1, fs), sigma_ee_ff(sm, LEP1, fs), rtol=1e-12)
    # and a tiny mixing next to the pole changes the line shape smoothly (quadratically in eps)
    d1 = two_state_sigma(DarkPhoton(np.array([91.6]), 1e-5), LEP1, "had", 0.06) / two_state_sigma(sm, LEP1, "had", 0.06) - 1
    d2 = two_state_sigma(DarkPhoton(np.array([91.6]), 2e-5), LEP1, "had", 0.06) / two_state_sigma(sm, LEP1, "had", 0.06) - 1
    np.testing.assert_allclose(d2, 4.0 * d1, rtol=2e-3, atol=1e-12)


def test_pole_decomposition_equals_direct_inversion_and_poles_lie_below_the_real_axis():
    masses = np.array([85.0, 90.6, 91.05, 91.35, 91.8, 97.0])
    for eps in (1e-4, 1e-3, 1e-2):
        dp = DarkPhoton(masses, eps, width="wide", on_invalid="mask")
        ok = np.asarray(dp.valid)
        s = np.linspace(86.0, 96.0, 101) ** 2
        lam, res = propagator_poles(dp)
        direct = propagator_matrix(dp, s)[ok]
        with np.errstate(invalid="ignore"):  # masked rows (no Z'-like state at eps = 1e-2 next to m_Z) are NaN
            poles = np.einsum("nkab,nsk->nsab", res, 1.0 / (s[None, :, None] - lam[:, None, :]))[ok]
        np.testing.assert_allclose(poles, direct, rtol=0, atol=1e-8 * np.max(np.abs(direct)))
        assert np.all(np.imag(lam[ok]) < 0)  # unitarity: W is positive semi-definite
        np.testing.assert_allclose(res[ok].sum(axis=1), np.broadcast_to(np.eye(2), (int(ok.sum()), 2, 2)), atol=1e-9)
        # D is symmetric (T invariance of the absorptive part: W_ZZ' = W_Z'Z)
        np.testing.assert_allclose(direct[..., 0, 1], direct[..., 1, 0], rtol=1e-13)


def test_width_matrix_normalisation_is_the_single_state_width():
    # Im Pi_ij(s) = s/(24 pi) sum_f N_c K (g_L^i g_L^j + g_R^i g_R^j) for massless fermions; its diagonal at s = m_i^2 is
    # m_i Gamma_i, the package's single-state width up to the fermion-mass factors it keeps (b, c, tau: 1.5e-3 measured)
    dp = DarkPhoton(np.array([60.0, 91.7, 120.0]), 0.01, width="narrow")
    gl, gr = dp._chiral
    masses = dp._diag.masses
    wm = width_matrix(dp)
    for i, k in ((0, 1), (1, 2)):
        m = masses[:, k]
        kq = 1.0 + alpha_s_running(m, dp.sm.alpha_s_mz, dp.sm.mz0) / math.pi
        total = np.zeros(m.shape)
        for j, f in enumerate(FERMIONS.values()):
            if f.name == "t":
                continue
            total = total + f.n_colour * (kq if f.is_quark else 1.0) * (gl[:, k, j] ** 2 + gr[:, k, j] ** 2)
        np.testing.assert_allclose(wm[:, i, i], m**2 / (24.0 * math.pi) * total, rtol=2.5e-3)
    assert np.all(wm[:, 0, 1] ** 2 <= wm[:, 0, 0] * wm[:, 1, 1] * (1 + 1e-12))  # Cauchy-Schwarz


def test_sign_of_epsilon_does_not_matter():
    # eps -> -eps flips the sign of the Z' field's couplings and of w: every observable is even
    masses = np.array([89.5, 90.8, 91.6, 92.8])
    a, b = DarkPhoton(masses, 2e-3), DarkPhoton(masses, -2e-3)
    for fn in (two_state_sigma, two_state_afb):
        np.testing.assert_allclose(fn(a, LEP1, "mu", 0.05), fn(b, LEP1, "mu", 0.05), rtol=1e-10)


def test_gaussian_spread_equals_brute_force_average_for_a_narrow_state_next_to_the_z():
    dp = DarkPhoton(np.array([90.6, 91.75]), 1e-3, width="narrow")  # Gamma_Z' of a few MeV, spread 55 MeV
    energies = np.array([90.6, 91.2, 91.75])
    spread = 0.055
    x = np.linspace(-8.0, 8.0, 16001)
    g = np.exp(-0.5 * x**2)
    g /= g.sum()
    for fs in ("had", "mu"):
        smeared = two_state_sigma(dp, energies, fs, spread)
        brute = np.stack([(two_state_sigma(dp, e + spread * x, fs) * g).sum(axis=1) for e in energies], axis=1)
        np.testing.assert_allclose(smeared, brute, rtol=2e-5)


def test_isr_convolution_equals_brute_force_integration():
    # int_0^x_max H(x, s) sigma_smeared(s (1 - x)) dx on a fine grid in u = x^beta (radiator of observables/isr.py)
    dp = DarkPhoton(np.array([90.4]), 1e-3, width="narrow")
    e, spread, x_max = 91.3, 0.055, 0.5
    conv = two_state_sigma(dp, np.array([e]), "had", spread, isr_x_max=x_max)[0, 0]
    from kinmix_stats.observables.isr import isr_beta

    beta = float(isr_beta(e**2))
    u = (np.arange(200000) + 0.5) / 200000 * x_max**beta  # midpoint rule in u: H dx = H x^(1-beta)/beta du
    xx = u ** (1.0 / beta)
    h = radiator(xx, e**2) * xx ** (1.0 - beta) / beta
    sig = two_state_sigma(dp, e * np.sqrt(1.0 - xx), "had", spread * np.sqrt(1.0 - xx))[0]
    brute = np.sum(h * sig) * (x_max**beta / 200000)
    assert conv == pytest.approx(brute, rel=2e-4)
    # ISR lowers the Z peak and moves it up (radiative tail above m_Z)
    sm = DarkPhoton(np.array([10.0]), 0.0)
    grid = np.linspace(90.0, 92.5, 26)
    born = two_state_sigma(sm, grid, "had", spread)[0]
    isr = two_state_sigma(sm, grid, "had", spread, isr_x_max=0.99)[0]
    assert isr.max() < born.max() and grid[isr.argmax()] > grid[born.argmax()]


def test_bad_inputs_are_refused():
    dp = DarkPhoton(np.array([91.6]), 1e-3)
    with pytest.raises(ValueError, match="final_state"):
        two_state_sigma(dp, LEP1, "ee")
    with pytest.raises(ValueError, match="beam_spread"):
        two_state_sigma(dp, LEP1, "had", 0.0)
    with pytest.raises(ValueError, match="isr_x_max"):
        two_state_sigma(dp, LEP1, "had", 0.05, isr_x_max=1.0)
    with pytest.raises(ValueError, match="sqrt_s"):
        two_state_sigma(dp, np.array([-1.0]), "had")


# ------------------------------------------------------------------ what a one-Breit-Wigner fit would report


def test_effective_pole_observables_are_the_single_state_ones_without_mixing_for_any_sm_parameters():
    # so the SM reference and the (alpha, sin^2 theta_W) templates of the likelihood do not change
    from kinmix_stats.likelihood.precision import PrecisionLikelihood
    from kinmix_stats.observables.registry import REGISTRY

    like = PrecisionLikelihood(["w_mass"])
    for sm in (like.sm, like.sm_at(3e-4, -2e-3)):
        dp = DarkPhoton(np.array([80.0, 91.6, 95.0]), 0.0, sm=sm)
        eff = effective_pole_observables(dp, 1e-3)
        for name in LINESHAPE_OBSERVABLES:
            np.testing.assert_allclose(eff[name], np.asarray(REGISTRY[name].function(dp)), rtol=1e-12, err_msg=name)


def test_effective_fit_reproduces_the_scan_cross_sections_and_tracks_the_z_far_from_it():
    from kinmix_stats.inputs.sm import PDG
    from kinmix_stats.observables.lineshape import _bw

    dp = DarkPhoton(np.array([60.0, 89.0, 91.6, 94.0]), 3e-3, width="wide")
    eff = effective_pole_observables(dp, 1e-3)
    # the hadronic Breit-Wigner + the fixed SM non-resonant part goes exactly through the three scan points
    e = PDG.MZ.value + np.array(SCAN_OFFSETS_GEV)
    sm = DarkPhoton(np.array([10.0]), 0.0)
    sm_eff = effective_pole_observables(sm, 1e-3)
    nonres = two_state_sigma(sm, e, "had", 1e-3 * e)[0] - _bw(e**2, sm_eff["mZ"][0], sm_eff["GammaZ"][0], sm_eff["sigma_had0"][0] * 1e3)
    fit = _bw(e[None, :] ** 2, eff["mZ"][:, None], eff["GammaZ"][:, None], eff["sigma_had0"][:, None] * 1e3) + nonres
    np.testing.assert_allclose(fit, two_state_sigma(dp, e, "had", 1e-3 * e), rtol=1e-9)
    # 31 GeV below m_Z the Z' is off resonance everywhere in the scan: the fit sees the Z eigenstate -- its mass shift
    # to 3 %; its width shift (0.014 sigma of LEP's 2.3 MeV) is comparable to the Z' tail's interference across the scan,
    # so there only the difference is bounded: < 2 % of that error
    far = DarkPhoton(60.0, 0.02)
    eff_far = effective_pole_observables(far, 1e-3)
    shift_single = float(far.mz) - float(REGISTRY_SM["mZ"])
    assert float(eff_far["mZ"][0]) - float(REGISTRY_SM["mZ"]) == pytest.approx(shift_single, rel=0.03)
    assert abs(float(eff_far["GammaZ"][0]) - float(far.total_width("Z"))) < 0.02 * 2.3e-3


def test_summed_line_shape_hides_level_repulsion_next_to_the_z():
    # 0.3 GeV from m_Z with eps = 5e-4 the Z eigenstate loses xi^2 of its width to the Z' (Gamma_Z falls by ~1.5 sigma of
    # LEP's 2.3 MeV), but both states sit inside the Z width, so one Breit-Wigner through the summed line shape keeps
    # almost all of it
    sm = DarkPhoton(10.0, 0.0)
    g_sm = float(sm.total_width("Z"))
    for off in (-0.3, 0.3):
        dp = DarkPhoton(sm.sm.mz0 + off, 5e-4)
        single = float(dp.total_width("Z")) - g_sm
        eff = float(effective_pole_observables(dp, 1e-3)["GammaZ"][0]) - g_sm
        assert single < -2e-3 and abs(eff) < 0.2 * abs(single), (off, single, eff)


def test_likelihood_switches_only_the_line_shape_predictions_and_only_inside_the_window():
    from kinmix_stats.likelihood.precision import PrecisionLikelihood

    window = 15.0
    new = PrecisionLikelihood(["lep_zpole_lineshape", "pdg2024_mz", "sld_lepton_asymmetries", "w_mass"], lineshape_window=window)
    old = PrecisionLikelihood(list(new.datasets), lineshape_window=0.0)
    np.testing.assert_array_equal(new.templates, old.templates)  # the SM reference is untouched
    np.testing.assert_array_equal(new.sm_tree_reference, old.sm_tree_reference)
    mz0 = new.sm.mz0
    masses = np.array([mz0 - window - 0.5, mz0 - 2.0, mz0 + 0.7, mz0 + window + 0.5])
    a, _ = new.delta_th(masses, 2e-3, "wide")
    b, _ = old.delta_th(masses, 2e-3, "wide")
    np.testing.assert_array_equal(a[[0, 3]], b[[0, 3]])
    lineshape = np.array([o in LINESHAPE_OBSERVABLES for o in new.catalogue.observables])
    np.testing.assert_array_equal(a[1:3][:, ~lineshape], b[1:3][:, ~lineshape])  # A_l (SLD), m_W: single-state as before
    assert np.all(np.abs(a[1:3][:, lineshape] - b[1:3][:, lineshape]) > 0)


def test_cached_sm_reference_is_the_uncached_one_for_each_sm_point_and_spread():
    # the SM side of the emulated fit is cached per (SM parameters, relative spread): a warm cache holding several
    # entries must give what a cold one gives for each, whatever the order of the calls
    from kinmix_stats.inputs.sm import SMParameters
    from kinmix_stats.observables import lineshape

    sm0 = SMParameters()
    sm1 = sm0.at_fixed_gf(sm0.alpha * (1.0 + 3e-3), sm0.sin2_theta_w - 2e-3)
    masses, eps = np.array([60.0, 89.0, 92.5, 94.0, 300.0]), np.array([3e-3, 1e-3, 5e-4, 1e-3, 1e-12])
    cases = [(sm0, 1e-3), (sm1, 1e-3), (sm0, 3e-3), (sm1, 3e-3)]
    cold = []
    for sm, rel in cases:
        lineshape._sm_lineshape.cache_clear()
        cold.append(effective_pole_observables(DarkPhoton(masses, eps, width="wide", sm=sm), rel))
    lineshape._sm_lineshape.cache_clear()
    for _ in range(2):
        for (sm, rel), expected in zip(cases[::-1], cold[::-1], strict=True):
            got = effective_pole_observables(DarkPhoton(masses, eps, width="wide", sm=sm), rel)
            for name in LINESHAPE_OBSERVABLES:
                np.testing.assert_array_equal(got[name], expected[name], err_msg=f"{name} {sm} {rel}")
    # the four cases do differ (else the test could not see a wrong key)
    assert all(not np.array_equal(cold[0]["mZ"], c["mZ"]) for c in cold[1:])
