"""Physics tests of the exact kinetic/mass-mixing model against the closed forms it must reproduce."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats.inputs import FERMIONS, SMParameters
from kinmix_stats.model import (
    DarkPhoton,
    DiracDarkMatter,
    NoZPrimeStateError,
    ZPrime,
    chi_from_epsilon,
    epsilon_from_epsilon_gamma,
    epsilon_gamma_from_epsilon,
    named_model,
    zprime_window,
)

SM = SMParameters()
MASSES = np.array([1.0, 5.0, 10.0, 30.0, 50.0, 80.0, 89.5, 93.0, 100.0, 150.0, 200.0, 500.0, 1000.0])


def _hook_rows(sm, eps, xi):
    """Rows of arXiv:1006.0973 Eq. 5: coefficients of (e J_EM, g/c_W J_Z0, g~ J_A') for Z and Z'."""
    s, c = sm.sw, sm.cw
    t, ce = math.tan(eps), math.cos(eps)
    cx, sx = np.cos(xi), np.sin(xi)
    z = np.stack([-c * t * sx, s * t * sx + cx, sx / ce], axis=-1)
    zp = np.stack([-c * t * cx, s * t * cx - sx, cx / ce], axis=-1)
    return z, zp


def _current_coefficients(model):
    """Our R matrix re-expressed in the (e J_EM, g/c J_Z0, J_X) basis: alpha_k, beta_k, R_Xk."""
    s, c = model.sm.sw, model.sm.cw
    r = model.rotation
    beta = c * r[:, 1, :] - s * r[:, 0, :]
    alpha = r[:, 0, :] / c + beta * s / c
    return alpha, beta, r[:, 2, :]


@pytest.mark.parametrize("eps", [1e-3, 0.03, 0.3])
def test_matches_hook_eq5_rows(eps):
    """The exact eigenvectors reproduce arXiv:1006.0973 Eq. 5 with xi from the same diagonalisation."""
    masses = MASSES[(np.abs(MASSES - SM.mz0) > 3.0)]
    dp = DarkPhoton(masses, eps)
    alpha, beta, x = _current_coefficients(dp)
    z, zp = _hook_rows(SM, eps, dp.xi)
    np.testing.assert_allclose(np.stack([alpha[:, 1], beta[:, 1], x[:, 1]], -1), z, atol=1e-12)
    np.testing.assert_allclose(np.stack([alpha[:, 2], beta[:, 2], x[:, 2]], -1), zp, atol=1e-12)


@pytest.mark.parametrize("eps", [1e-3, 0.03, 0.3])
def test_hook_eqs_6_8_9_exact(eps):
    """tan 2xi (Eq. 6), m_Z^2 (Eq. 8) and m_Z'^2 (Eq. 9) hold exactly with the physical m_Z'."""
    masses = MASSES[(np.abs(MASSES - SM.mz0) > 3.0)]
    dp = DarkPhoton(masses, eps)
    m0sq, mzp2 = SM.mz0**2, dp.mzp**2
    delta = -m0sq * SM.sw * math.tan(eps)  # Eq. 7
    tan2xi = 2 * delta * (mzp2 - m0sq) / ((mzp2 - m0sq) ** 2 - delta**2)  # Eq. 6
    np.testing.assert_allclose(np.tan(2 * dp.xi), tan2xi, rtol=1e-9)
    mz2 = (m0sq - mzp2 * np.sin(dp.xi) ** 2) / np.cos(dp.xi) ** 2  # Eq. 8
    np.testing.assert_allclose(dp.mz**2, mz2, rtol=1e-12)
    # Eq. 9. The extracted seed prints (1 + s_W t_eps / t_xi)^2; with the signs of Eqs. 5-7 (which the
    # test above reproduces) the Z' eigenvalue is m_A'^2 c_xi^2/c_eps^2 + m_Z0^2 (s_xi - s_W t_eps c_xi)^2,
    # i.e. (1 - s_W t_eps / t_xi)^2: the sign is convention (xi -> -xi), the magnitude is what we check.
    mzp2_eq9 = dp.mx**2 * np.cos(dp.xi) ** 2 / math.cos(eps) ** 2 + m0sq * np.sin(dp.xi) ** 2 * (
        1 - SM.sw * math.tan(eps) / np.tan(dp.xi)
    ) ** 2
    np.testing.assert_allclose(mzp2, mzp2_eq9, rtol=1e-9)


@pytest.mark.parametrize("eps", [0.0, 1e-4, 0.05, 0.5, -0.2])
def test_photon_couples_exactly_as_eQ(eps):
    dp = DarkPhoton(np.array([0.5, 20.0, 130.0, 700.0]), eps, width="wide")
    for name, f in FERMIONS.items():
        g_v, g_a = dp.couplings("A", name)
        np.testing.assert_allclose(g_v, SM.e * f.charge, atol=1e-13)
        np.testing.assert_allclose(g_a, 0.0, atol=1e-13)
    np.testing.assert_allclose(dp.mass("A"), 0.0, atol=0)
    np.testing.assert_allclose(dp.dark_coupling("A"), 0.0, atol=1e-13)


def test_zero_mixing_returns_the_sm():
    dp = DarkPhoton(np.array([3.0, 40.0, 150.0]), 0.0, width="wide")
    np.testing.assert_allclose(dp.mz, SM.mz0, rtol=1e-12)
    for name, f in FERMIONS.items():
        g_v, g_a = dp.couplings("Z", name)
        gz = SM.g / SM.cw
        np.testing.assert_allclose(g_v, gz * (f.t3 / 2 - f.charge * SM.sin2_theta_w), atol=1e-12)
        np.testing.assert_allclose(g_a, gz * f.t3 / 2, atol=1e-12)
        np.testing.assert_allclose(dp.couplings("Zp", name), 0.0, atol=1e-12)
    # the Z gets no exotic width, the Z' no SM width
    np.testing.assert_allclose(dp.partial_width("Z", "dark"), 0.0, atol=1e-15)
    np.testing.assert_allclose(dp.partial_width("Zp", "mu"), 0.0, atol=1e-15)


def test_low_mass_zprime_is_photon_like_with_eps_cw():
    """m_Z' << m_Z: Z' couples as eps c_W e Q (up to sign) with vanishing axial part."""
    eps = 1e-3
    dp = DarkPhoton(0.1, eps)
    for name in ("e", "u", "d", "mu"):
        f = FERMIONS[name]
        g_v, g_a = dp.couplings("Zp", name)
        assert abs(g_v) == pytest.approx(eps * SM.cw * SM.e * abs(f.charge), rel=2e-6)
        assert abs(g_a) < 1e-5 * abs(g_v)
    g_nu = dp.couplings("Zp", "nu_mu")
    assert np.hypot(*g_nu) < 1e-5 * eps * SM.e
    assert float(epsilon_gamma_from_epsilon(eps)) == pytest.approx(eps * SM.cw)
    assert float(epsilon_from_epsilon_gamma(epsilon_gamma_from_epsilon(eps))) == pytest.approx(eps)
    assert float(chi_from_epsilon(eps)) == pytest.approx(math.sin(eps))


def test_high_mass_zprime_tends_to_hypercharge_coupling():
    """m_Z' >> m_Z: the Z' is the X^ field, coupling -tan(eps) g' Y (chiral), corrections O(m_Z^2/m_Z'^2)."""
    eps = 0.02
    dp = DarkPhoton(2.0e4, eps)
    for name, f in FERMIONS.items():
        g_l, g_r = dp.chiral_couplings("Zp", name)
        assert g_l == pytest.approx(-math.tan(eps) * SM.g_prime * f.y_left, rel=2e-4, abs=1e-12)
        if not f.is_neutrino:
            assert g_r == pytest.approx(-math.tan(eps) * SM.g_prime * f.y_right, rel=2e-4, abs=1e-12)


def test_z_mass_shift_obeys_hook_eq10():
    """(m_Z - m_Z0)/m_Z0 = -tan^2 xi dm/m_Z0 + O(dm^2) near m_Z0 (arXiv:1006.0973 Eq. 10)."""
    eps = 1e-3
    for dm in (-2.0, -0.5, 0.5, 2.0):
        dp = DarkPhoton(SM.mz0 + dm, eps)
        shift = (dp.mz - SM.mz0) / SM.mz0
        pred = -math.tan(dp.xi) ** 2 * dm / SM.mz0
        assert shift == pytest.approx(pred, rel=3 * abs(dm) / SM.mz0)
    # and the exact relation behind it: m_Z^2 - m_Z0^2 = -tan^2 xi (m_Z'^2 - m_Z0^2)
    dp = DarkPhoton(MASSES[np.abs(MASSES - SM.mz0) > 3], 0.05)
    np.testing.assert_allclose(dp.mz**2 - SM.mz0**2, -np.tan(dp.xi) ** 2 * (dp.mzp**2 - SM.mz0**2), rtol=1e-8)


def test_xi_changes_sign_through_mz0():
    lo, hi = zprime_window(SM, 0.01)
    below = DarkPhoton(lo[0] - 0.5, 0.01)
    above = DarkPhoton(hi[0] + 0.5, 0.01)
    assert below.xi > 0 > above.xi
    assert below.mz > SM.mz0 > above.mz  # level repulsion pushes the Z away from the Z'


def test_window_around_mz0_is_reported():
    lo, hi = zprime_window(SM, 0.01)
    half = 0.5 * (hi[0] - lo[0])
    expected = SM.mz0 * SM.sw * math.tan(0.01) / 2
    assert half == pytest.approx(expected, rel=1e-3)
    assert 0.15 < half < 0.3
    with pytest.raises(NoZPrimeStateError, match=r"window \(90\.9\d+, 91\.4\d+\) GeV around m_Z0=91\.188"):
        DarkPhoton(SM.mz0 + 0.1, 0.01)
    masked = DarkPhoton(np.array([50.0, SM.mz0, 150.0]), 0.01, on_invalid="mask")
    assert masked.valid.tolist() == [True, False, True]
    assert np.isnan(masked.mzp[1]) and masked.mzp[0] == pytest.approx(50.0)


@pytest.mark.parametrize("eps", [1e-3, 0.1])
def test_mass_matrix_invariants_and_normalisation(eps):
    """R^T K R = 1 and R^T M^2 R = diag(m^2): kinetic normalisation and mass invariants are preserved."""
    zp = ZPrime(np.array([20.0, 300.0]), eps, gx=0.1, charges=named_model("chi"), delta_m2=30.0)
    t = math.sin(eps)
    kin = np.array([[1, 0, t], [0, 1, 0], [t, 0, 1]])
    r = zp.rotation
    np.testing.assert_allclose(np.einsum("nji,jk,nkl->nil", r, kin, r), np.broadcast_to(np.eye(3), r.shape), atol=1e-12)
    s, c, m0sq = SM.sw, SM.cw, SM.mz0**2
    for n in range(2):
        m2 = m0sq * np.outer([-s, c, 0], [-s, c, 0])
        m2[0, 2] = m2[2, 0] = -s * 30.0
        m2[1, 2] = m2[2, 1] = c * 30.0
        m2[2, 2] = zp.mx[n] ** 2
        diag = r[n].T @ m2 @ r[n]
        masses2 = np.array([0.0, zp.mz[n] ** 2, zp.mzp[n] ** 2])
        np.testing.assert_allclose(diag, np.diag(masses2), atol=1e-9 * m0sq)
        # trace of K^-1 M^2 equals the sum of squared physical masses
        assert np.trace(np.linalg.solve(kin, m2)) == pytest.approx(masses2.sum(), rel=1e-12)


def test_lagrangian_mass_input_round_trip():
    dp = DarkPhoton(np.array([10.0, 250.0]), 0.04)
    back = DarkPhoton(dp.mx, 0.04, mass_is_lagrangian=True)
    np.testing.assert_allclose(back.mzp, [10.0, 250.0], rtol=1e-12)


def _pdg_linear(sm, f, chi, dm2, mzp, gz=0.0, zl=0.0, zr=0.0):
    """PDG Z' review Eqs. 2-3 at linear order in chi and dM^2 (re-derived; sigma3 = 2 T3)."""
    e, s, c, mz2 = sm.e, sm.sw, sm.cw, sm.mz0**2
    den = mzp**2 - mz2
    eps_pdg = (chi * (mzp**2 - c**2 * mz2) + s * dm2) / den
    sigma3 = 2 * f.t3
    g_l = gz * zl + e / c * ((chi * s * mzp**2 + dm2) / (2 * s * den) * sigma3 - eps_pdg * f.charge)
    g_r = gz * zr - e / c * eps_pdg * f.charge
    return g_l, g_r


@pytest.mark.parametrize("mass", [10.0, 50.0, 150.0, 1000.0])
def test_pdg_eq2_eq3_linear_couplings(mass):
    chi, dm2, gz = 1e-4, 2.0e-2, 1e-3
    charges = named_model("psi")
    zp = ZPrime(mass, math.asin(chi), gx=gz, charges=charges, delta_m2=dm2)
    for name, f in FERMIONS.items():
        zl, zr = charges.chiral(f)
        ref = _pdg_linear(SM, f, chi, dm2, mass, gz, zl, zr)
        got = zp.chiral_couplings("Zp", name)
        scale = max(abs(ref[0]), abs(ref[1]), 1e-6)
        assert abs(got[0] - ref[0]) < 2e-3 * scale
        if not f.is_neutrino:
            assert abs(got[1] - ref[1]) < 2e-3 * scale


def test_gamma_zp_ee_obeys_pdg_eq5():
    zp = ZPrime(500.0, 0.0, gx=0.2, charges=named_model("chi"))
    g_l, g_r = zp.chiral_couplings("Zp", "e")
    assert zp.partial_width("Zp", "e") == pytest.approx((g_l**2 + g_r**2) * 500.0 / (24 * math.pi), rel=1e-10)
    assert zp.partial_width("Zp", "nu_e") == pytest.approx(g_l**2 * 500.0 / (24 * math.pi), rel=1e-10)


def test_sm_z_width_and_invisible_width():
    """Tree-level SM: Gamma(Z -> nu nu) = G_F m_Z^3/(12 sqrt2 pi) and Gamma_Z within 0.5% of 2.4955 GeV."""
    dp = DarkPhoton(30.0, 0.0)
    assert dp.partial_width("Z", "nu_e") == pytest.approx(SM.gf * SM.mz0**3 / (12 * math.sqrt(2) * math.pi), rel=1e-12)
    assert dp.total_width("Z") == pytest.approx(2.4955, rel=5e-3)  # PDG 2024 S044W; tree level + O(alpha_s)


def test_wide_width_and_z_exotic_width_hook_eq13_eq14():
    dp = DarkPhoton(np.array([20.0, 60.0, 300.0]), 0.02, width="wide")
    np.testing.assert_allclose(dp.partial_width("Zp", "dark"), 0.01 * dp.mzp, rtol=1e-12)
    eq14 = np.tan(dp.xi) ** 2 * dp.mz / dp.mzp * dp.partial_width("Zp", "dark")
    np.testing.assert_allclose(dp.partial_width("Z", "dark"), eq14, rtol=1e-10)
    narrow = DarkPhoton(60.0, 0.02, width="narrow")
    assert narrow.partial_width("Zp", "dark") == 0.0
    fixed = DarkPhoton(60.0, 0.02, width=1.5)
    assert fixed.partial_width("Zp", "dark") == pytest.approx(1.5)


def test_dirac_dark_matter_width():
    """Gamma(A' -> chi chibar) = alpha_D m/3 (1 + 2 r) sqrt(1 - 4 r) at leading order in the mixing."""
    alpha_d, m_chi, m = 0.1, 10.0, 50.0
    dp = DarkPhoton(m, 1e-4, width=DiracDarkMatter(alpha_d, m_chi))
    r = m_chi**2 / m**2
    assert dp.partial_width("Zp", "dark") == pytest.approx(alpha_d * m / 3 * (1 + 2 * r) * math.sqrt(1 - 4 * r), rel=1e-7)
    closed = DarkPhoton(15.0, 1e-4, width=DiracDarkMatter(alpha_d, 8.0))
    assert closed.partial_width("Zp", "dark") == 0.0


def test_equivalence_theorem_ww_vs_zh():
    """For m_Z' >> m_Z, Gamma(Z' -> WW) -> Gamma(Z' -> Zh) (Goldstone equivalence): a check of both formulae."""
    ratios = [float(DarkPhoton(m, 0.01).partial_width("Zp", "WW") / DarkPhoton(m, 0.01).partial_width("Zp", "Zh")) for m in (1000.0, 5000.0)]
    assert abs(ratios[1] - 1) < abs(ratios[0] - 1)
    assert ratios[1] == pytest.approx(1.0, abs=0.01)


def test_widths_positive_and_thresholds():
    dp = DarkPhoton(np.geomspace(0.3, 3000, 60), 0.05, width="wide")
    for ch in ("e", "mu", "tau", "b", "t", "hadrons", "WW", "Zh", "dark"):
        assert np.all(dp.partial_width("Zp", ch) >= 0)
    m = dp.mzp
    assert np.all(dp.partial_width("Zp", "tau")[m < 2 * FERMIONS["tau"].mass] == 0)
    assert np.all(dp.partial_width("Zp", "t")[m < 2 * FERMIONS["t"].mass] == 0)
    assert np.all(dp.partial_width("Zp", "t")[m > 400] > 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mass=-5.0, epsilon=0.01), r"mass must be finite and > 0 GeV .*-5\.0"),
        (dict(mass=0.0, epsilon=0.01), r"mass must be finite and > 0"),
        (dict(mass=float("nan"), epsilon=0.01), r"mass must be finite"),
        (dict(mass=float("inf"), epsilon=0.01), r"mass must be finite"),
        (dict(mass=50.0, epsilon=2.0), r"epsilon must lie in \(-1\.5708, 1\.5708\), got 2\.0"),
        (dict(mass=50.0, epsilon=float("nan")), r"epsilon must be finite"),
        (dict(mass=50.0, epsilon=0.01, width="medium"), r"unknown width 'medium'; accepted: 'narrow', 'wide'"),
        (dict(mass=50.0, epsilon=0.01, width=-1.0), r"width .* must lie in \[0, inf\), got -1\.0"),
        (dict(mass="fifty", epsilon=0.01), r"mass must be a positive number"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DarkPhoton(**kwargs)


def test_bad_names_are_rejected():
    dp = DarkPhoton(50.0, 0.01)
    with pytest.raises(ValueError, match=r"unknown fermion 'electron'; accepted: e, mu"):
        dp.couplings("Zp", "electron")
    with pytest.raises(ValueError, match=r"unknown boson 'W'; accepted: 'A', 'Z', 'Zp'"):
        dp.couplings("W", "e")
    with pytest.raises(ValueError, match=r"unknown decay channel 'gluons'"):
        dp.partial_width("Zp", "gluons")
    with pytest.raises(ValueError, match=r"alpha_d must lie in \[0, 12\.5664\]"):
        DiracDarkMatter(alpha_d=-0.1)
