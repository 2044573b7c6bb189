"""Higgs-doublet Z-Z' mass mixing (model/higgs_mixing.py): sign, normalisation, Yukawa charges, decoupling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats import zprime_limits as zl
from kinmix_stats.inputs.fermions import FERMIONS
from kinmix_stats.inputs.sm import SMParameters
from kinmix_stats.model import ZPrime, diagonalise
from kinmix_stats.model.charges import U1Charges, charge_family, named_model, sequential_charges
from kinmix_stats.model.higgs_mixing import (
    effective_higgs_charge,
    higgs_doublet_charges,
    higgs_mass_mixing,
    higgs_x_mass2,
    sin2_beta_from_tan_beta,
)

SM = SMParameters()
G_Z = SM.g / SM.cw
#: U(1)' aligned with hypercharge: every SM fermion carries z = Y (Q = T3 + Y)
HYPERCHARGE = U1Charges(q=1 / 6, u=2 / 3, d=-1 / 3, l=-1 / 2, e=-1.0, label="Y-aligned")


# ----------------------------------------------------------------------------- (a) exact sign/normalisation
@pytest.mark.parametrize("g_x", [0.05, 0.2])
@pytest.mark.parametrize("tan_beta", [0.5, 3.0])
def test_hypercharge_aligned_u1_has_a_massless_decoupled_vector(g_x, tan_beta):
    """z = Y for fermions and Higgs, m_X^2 = g_X^2 v^2/4 from the Higgs alone: only the combination
    g' B + g_X X is broken, so g_X B - g' X is a second massless vector coupling to no SM fermion."""
    assert higgs_doublet_charges(HYPERCHARGE) == pytest.approx((0.5, 0.5), abs=1e-15)
    mx2 = g_x**2 * SM.vev**2 / 4.0
    dm2 = higgs_mass_mixing(g_x, HYPERCHARGE, tan_beta=tan_beta, sm=SM)
    assert dm2 == pytest.approx(-(g_x / G_Z) * SM.mz0**2, rel=1e-12)  # -(2 g_X/g_Z) m_Z0^2 z, z = 1/2
    d = diagonalise(SM, 0.0, mx2, dm2)
    assert d.masses[0, 2] < 1e-5 * SM.mz0  # "Z'" is massless
    assert d.masses[0, 1] ** 2 == pytest.approx(SM.mz0**2 + mx2, rel=1e-10)  # trace
    model = ZPrime(math.sqrt(mx2), 0.0, gx=g_x, charges=HYPERCHARGE, delta_m2=dm2, sm=SM, mass_is_lagrangian=True)
    # The massless states span a 2-d space; the code splits off the photon (c_W, s_W, 0) exactly, so its
    # "Z'" is the null vector orthogonal to the photon. The decoupled vector is then Z' - kappa A with
    # kappa fixed on the electron: it must couple to NO fermion, i.e. the Z' current is purely e Q.
    kappa = model.chiral_couplings("Zp", "e")[0] / model.chiral_couplings("A", "e")[0]
    assert abs(model.chiral_couplings("Zp", "e")[0]) > 1e-3 * g_x  # non-trivial check
    for f in FERMIONS:
        for side in (0, 1):
            residual = model.chiral_couplings("Zp", f)[side] - kappa * model.chiral_couplings("A", f)[side]
            assert abs(residual) < 1e-12 * g_x, (f, side)
    # that decoupled combination is g_X B - g' X (up to normalisation and sign), with no W3 component
    r = model.rotation[0, :, 2] - kappa * model.rotation[0, :, 0]
    assert abs(r[1]) < 1e-12
    assert r[0] / r[2] == pytest.approx(-g_x / SM.g_prime, rel=1e-10)
    # the opposite sign of dM^2 still gives det = 0, but no massless combination is then decoupled:
    # the neutrino (Q = 0) couples to the massless Z'
    wrong = ZPrime(math.sqrt(mx2), 0.0, gx=g_x, charges=HYPERCHARGE, delta_m2=-dm2, sm=SM, mass_is_lagrangian=True)
    assert wrong.mzp < 1e-5 * SM.mz0
    assert abs(wrong.chiral_couplings("Zp", "nu_e")[0]) > 0.1 * g_x


# ----------------------------------------------------------------------------- (b) small mixing
@pytest.mark.parametrize("mass", [500.0, 1500.0, 4000.0])
@pytest.mark.parametrize("name", ["chi", "eta", "R"])
def test_small_mixing_angle(name, mass):
    g = zl.nominal_gz(name)
    dm2 = higgs_mass_mixing(g, named_model(name), tan_beta=2.0, sm=SM)
    model = ZPrime(mass, 0.0, gx=g, charges=named_model(name), delta_m2=dm2, sm=SM)
    theta = dm2 / (SM.mz0**2 - mass**2)
    assert abs(theta) > 1e-5
    assert model.xi == pytest.approx(theta, abs=3.0 * theta**2)
    # exact 2x2 rotation with the Lagrangian mass (eps = 0): tan 2 xi = 2 dM^2 / (m_Z0^2 - m_X^2)
    assert math.tan(2.0 * model.xi) == pytest.approx(2.0 * dm2 / (SM.mz0**2 - model.mx**2), rel=1e-9)


# ----------------------------------------------------------------------------- (c) Yukawa consistency
@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 1.0, 2.5, 7.0 / 3.0])
@pytest.mark.parametrize("family", ["B-xL", "10+x5bar", "d-xu", "q+xu"])
def test_doublet_charges_make_every_yukawa_invariant(family, x):
    ch = charge_family(family, x)
    z_u, z_d = higgs_doublet_charges(ch)
    # Qbar PhiTilde_u u_R, Qbar Phi_d d_R, Lbar Phi_d e_R: total U(1)' charge zero
    assert -ch.q - z_u + ch.u == pytest.approx(0.0, abs=1e-12)
    assert -ch.q + z_d + ch.d == pytest.approx(0.0, abs=1e-12)
    assert -ch.l + z_d + ch.e == pytest.approx(0.0, abs=1e-12)
    # closed forms worked out by hand from PDG Table 1
    expected = {
        "B-xL": (0.0, 0.0),
        "10+x5bar": (-2 / 3, (1 + x) / 3),
        "d-xu": (-x / 3, -1 / 3),
        "q+xu": ((x - 1) / 3, (x - 1) / 3),  # q+xu = (2(x-1)/3) Y + ...: Higgs charge (x-1)/3
    }[family]
    assert (z_u, z_d) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", ["chi", "psi", "eta"])
def test_e6_doublet_charges_from_so10_yukawas(name):
    """Langacker's GUT-normalised charges on (Q, u^c, d^c, L, e^c): Q u^c H_u and Q d^c H_d fix H_u, H_d."""
    q, uc, dc, _, _ = zl.LANGACKER_CHARGES[name]
    k = zl.e6_normalisation(name)
    q_hu, q_hd = -(q + uc), -(q + dc)
    # Phi_u = H_u, Phi_d = i sigma2 H_d^* (charge -Q(H_d)); PDG units = Langacker / k
    assert higgs_doublet_charges(named_model(name)) == pytest.approx((q_hu / k, -q_hd / k), rel=1e-12)
    if name == "chi":
        assert q_hu == pytest.approx(-q_hd, rel=1e-12)  # 5 + 5bar of the SO(10) 10


def test_ssm_and_inconsistent_charges_raise():
    with pytest.raises(ValueError, match="sequential"):
        higgs_doublet_charges(sequential_charges(SM.sin2_theta_w))
    with pytest.raises(ValueError, match=r"z_q - z_d = 0\.5.*z_l - z_e = -0\.25"):
        higgs_doublet_charges(U1Charges(q=0.5, u=0.0, d=0.0, l=0.0, e=0.25))
    with pytest.raises(ValueError, match="sequential"):
        zl.zprime_factory("SSM", tan_beta=1.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, "2", None])
def test_tan_beta_validation(bad):
    with pytest.raises(ValueError, match=r"tan_beta.*accepted range \(0, inf\)"):
        sin2_beta_from_tan_beta(bad)
    if bad is not None:
        with pytest.raises(ValueError, match="tan_beta"):
            higgs_mass_mixing(0.2, named_model("psi"), tan_beta=bad)


# ----------------------------------------------------------------------------- (d) named models
@pytest.mark.parametrize("tan_beta", [0.3, 1.0, 5.0, 50.0])
def test_named_model_patterns(tan_beta):
    assert higgs_mass_mixing(0.5, named_model("B-L"), tan_beta=tan_beta) == 0.0
    chi = higgs_mass_mixing(0.2, named_model("chi"), tan_beta=tan_beta)
    assert chi == pytest.approx(higgs_mass_mixing(0.2, named_model("chi"), tan_beta=1.0), rel=1e-14)
    assert chi == pytest.approx((2 * 0.2 / G_Z) * SM.mz0**2 * 2 / 3, rel=1e-12)  # z_eff = -2/3
    assert effective_higgs_charge(named_model("chi")) == pytest.approx(-2 / 3)  # no tan_beta needed


def test_tan_beta_dependent_models_cross_zero():
    assert higgs_mass_mixing(0.3, named_model("psi"), tan_beta=1.0) == pytest.approx(0.0, abs=1e-9)
    # eta: z_eff = -2/3 s^2 + 1/6 c^2 = 0 at tan^2 beta = 1/4
    assert higgs_mass_mixing(0.3, named_model("eta"), tan_beta=0.5) == pytest.approx(0.0, abs=1e-9)
    a, b = (higgs_mass_mixing(0.3, named_model("psi"), tan_beta=t) for t in (0.5, 2.0))
    assert a * b < 0
    with pytest.raises(ValueError, match="depends on tan_beta"):
        effective_higgs_charge(named_model("psi"))
    # vectorised over tan beta and g_x
    out = higgs_mass_mixing(np.array([0.1, 0.2]), named_model("psi"), tan_beta=np.array([1.0, 3.0]))
    assert out.shape == (2,) and out[0] == pytest.approx(0.0, abs=1e-9) and out[1] != 0.0


# ----------------------------------------------------------------------------- (e) decoupling
def test_decoupling_with_higgs_mixing():
    """g_X -> 0: dM^2 -> 0 linearly, and the Z mass and couplings return to the SM ones."""
    ch = named_model("chi")
    sm_model = ZPrime(800.0, 0.0, gx=0.0, charges=ch, sm=SM)
    shifts = []
    for g in (1e-2, 1e-3, 1e-4):
        dm2 = higgs_mass_mixing(g, ch, tan_beta=2.0, sm=SM)
        m = ZPrime(800.0, 0.0, gx=g, charges=ch, delta_m2=dm2, sm=SM)
        dgv = max(abs(m.couplings("Z", f)[0] - sm_model.couplings("Z", f)[0]) for f in FERMIONS)
        shifts.append((dm2, abs(m.mz - SM.mz0), dgv))
    (d1, m1, c1), (d2, m2, c2), (d3, m3, c3) = shifts
    assert d2 / d1 == pytest.approx(0.1, rel=1e-12) and d3 / d1 == pytest.approx(0.01, rel=1e-12)
    assert m3 / m1 == pytest.approx(1e-4, rel=0.01) and m3 < 1e-7  # Delta m_Z ~ dM^4 ~ g_X^2
    assert c3 < 1e-6
    assert c2 / c1 == pytest.approx(0.01, rel=0.05)  # coupling shift ~ g_X theta ~ g_X^2


# ----------------------------------------------------------------- h Z Z' coupling and the equivalence theorem
@pytest.mark.parametrize("mass, tol", [(5000.0, 0.01), (10000.0, 0.003)])
def test_higgs_mixing_bosonic_widths_obey_the_equivalence_theorem(mass, tol):
    """For M >> m_Z, Z' -> W_L W_L and Z_L h are Z' -> G+ G- and G0 h (Goldstone equivalence).

    chi has both doublets at z = -2/3, so the Z' couples to the whole Higgs doublet with g_z z and each
    pair width is that of a complex scalar pair, g_z^2 z^2 M / (48 pi). This checks the size of dM^2
    (WW comes only through the mixing angle) and the doublet terms of the h Z Z' coupling (without
    them Gamma(Zh) would be suppressed by (m_Z/M)^4).
    """
    from kinmix_stats.zprime_limits import nominal_gz, zprime_factory

    g = nominal_gz("chi")
    model = zprime_factory("chi", tan_beta=1.0)(np.array([mass]), g, "narrow", SMParameters())
    expected = g**2 * (2.0 / 3.0) ** 2 * mass / (48.0 * math.pi)
    ww = float(np.ravel(model.partial_width("Zp", "WW"))[0])
    zh = float(np.ravel(model.partial_width("Zp", "Zh"))[0])
    assert ww == pytest.approx(expected, rel=tol)
    assert zh == pytest.approx(expected, rel=tol)


def test_zh_width_without_doublet_origin_is_mixing_suppressed():
    """The same dM^2 declared as non-doublet (no higgs_mass_terms) leaves only the Z0-component h Z Z' coupling."""
    sm = SMParameters()
    g = 0.2189
    dm2 = higgs_mass_mixing(g, named_model("chi"), tan_beta=1.0, sm=sm)
    generic = ZPrime(5000.0, gx=g, charges=named_model("chi"), delta_m2=dm2, sm=sm)
    doublet = ZPrime(5000.0, gx=g, charges=named_model("chi"), delta_m2=dm2, sm=sm,
                     higgs_mass_terms=higgs_x_mass2(g, named_model("chi"), sm=sm))
    assert generic.partial_width("Zp", "WW") == pytest.approx(doublet.partial_width("Zp", "WW"), rel=1e-12)
    assert generic.partial_width("Zp", "Zh") < 1e-3 * doublet.partial_width("Zp", "Zh")


def test_higgs_mass_terms_rejects_negative():
    with pytest.raises(ValueError, match="higgs_mass_terms"):
        ZPrime(500.0, gx=0.1, charges=named_model("chi"), higgs_mass_terms=-1.0)


def test_lhc_coefficients_with_higgs_mixing_diluted_by_bosonic_widths():
    """PDG Eq. 8 with mixing: WW + Zh open, B(ee) drops; the tiny coupling shift leaves c_u/c_d ~ unchanged."""
    from kinmix_stats.zprime_limits import lhc_coefficients

    plain = lhc_coefficients("chi", 3000.0)
    mixed = lhc_coefficients("chi", 3000.0, tan_beta=1.0)
    assert mixed["total_width_gev"] - plain["total_width_gev"] == pytest.approx(
        2 * 0.2189**2 * (2 / 3) ** 2 * 3000.0 / (48 * math.pi), rel=0.03)
    assert mixed["br_ee"] < plain["br_ee"]
    assert mixed["c_u"] / mixed["c_d"] == pytest.approx(plain["c_u"] / plain["c_d"], rel=1e-2)
    # B-L: no doublet charge, so tan beta changes nothing
    assert lhc_coefficients("B-L", 3000.0, tan_beta=3.0) == pytest.approx(lhc_coefficients("B-L", 3000.0), rel=1e-12)
