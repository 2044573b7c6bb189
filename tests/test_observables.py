"""Physics tests of the observables layer: limits where the tree-level answer is known in closed
form (QED below the Z, the Z pole, small-angle Bhabha, the R ratio), the narrow-resonance treatment
with beam-energy spread, and the registry's behaviour on good and bad input.

Reference numbers are PDG 2024 (S. Navas et al., PRD 110, 030001), as dumped in
shared/data/sm_inputs_pdg.yaml with their pdgids.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import kinmix_stats as km
from kinmix_stats.inputs.fermions import FERMIONS
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.observables import REGISTRY, ee_ffbar, observables, predict
from kinmix_stats.observables.amplitudes import gaussian_average_propagator

HBARC2_PB = 0.3893793721e9  # (hbar c)^2 in GeV^2 pb, PDG 2024 physical constants (typed here, not imported)


@pytest.fixture(scope="module")
def like() -> PrecisionLikelihood:
    return PrecisionLikelihood()


@pytest.fixture(scope="module")
def sm_model():
    """The Standard Model: a decoupled (eps = 0) Z' far from every energy used below."""
    return km.DarkPhoton(700.0, 0.0)


# --------------------------------------------------------------------------- eps -> 0
EPS0_MASSES = [1.0, 3.7, 12.0, 29.93, 50.0, 58.22, 88.0, 95.0, 130.3, 189.0, 206.6, 500.0, 1000.0]


@pytest.mark.parametrize("width", ["narrow", "wide"])
def test_eps_to_zero_gives_zero_delta_th_for_every_entry(like, width):
    """delta_th(eps -> 0) = 0 for every catalogue entry, at masses on and off measured energies
    (12, 29.93, 58.22, 130.3, 206.6 GeV are R-ratio / LEP2 energies: the smeared resonance must vanish)."""
    delta, valid = like.delta_th(EPS0_MASSES, 1e-12, width)
    assert valid.all()
    assert delta.shape == (len(EPS0_MASSES), len(like.names))
    assert np.all(np.isfinite(delta))
    worst = np.unravel_index(np.argmax(np.abs(delta)), delta.shape)
    assert np.max(np.abs(delta)) < 1e-9, (EPS0_MASSES[worst[0]], like.names[worst[1]], delta[worst])


def test_eps_to_zero_narrow_zprime_on_a_bhabha_energy(like):
    # 188.6 GeV is a Bhabha energy and is in default_mass_grid(): the scan evaluates it.
    delta, valid = like.delta_th([188.6], 1e-12, "narrow")
    assert valid.all() and np.all(np.isfinite(delta))
    assert np.max(np.abs(delta)) < 1e-9
    delta0, _ = like.delta_th([188.6], 0.0, "narrow")
    assert np.all(np.isfinite(delta0)) and np.max(np.abs(delta0)) < 1e-9


# --------------------------------------------------------------------------- QED below the Z
@pytest.mark.parametrize("sqrt_s", [5.0, 7.0, 10.0])
def test_mumu_cross_section_is_qed_point_cross_section_far_below_the_z(sm_model, sqrt_s):
    alpha = sm_model.sm.alpha
    sigma_qed = 4.0 * math.pi * alpha**2 / (3.0 * sqrt_s**2) * HBARC2_PB
    sigma = predict("sigma_ee_ff", sm_model, sqrt_s=sqrt_s, final_state="mu")
    # gamma-Z interference ~ s/m_Z^2 g_V^2 (tiny g_V) and |Z|^2 ~ (s/m_Z^2)^2: well below 1e-3 here
    assert sigma == pytest.approx(sigma_qed, rel=1e-3)
    # and the deviation is not zero: the Z is there (order 1e-5 at 5-10 GeV)
    assert sigma != pytest.approx(sigma_qed, rel=1e-7)
    # A_FB is driven by g_A^e g_A^mu s/(s - m_Z^2) ~ -1e-3 ... -5e-3: negative and small
    afb = predict("AFB_ee_ff", sm_model, sqrt_s=sqrt_s, final_state="mu")
    assert -0.01 < afb < 0.0
    # the expected size: A_FB ~ -3/2 * g_A^2 / e^2 * s / (m_Z^2 - s) with g_A = g/(4 c_W) (tree level)
    sm = sm_model.sm
    ga2_over_e2 = 1.0 / (16.0 * sm.sin2_theta_w * (1.0 - sm.sin2_theta_w))
    expected = -1.5 * ga2_over_e2 * sqrt_s**2 / (sm.mz0**2 - sqrt_s**2)
    assert afb == pytest.approx(expected, rel=0.05)


def test_tau_equals_mu_for_massless_leptons(sm_model):
    e = np.array([10.0, 60.0, 91.188, 189.0])
    np.testing.assert_allclose(
        ee_ffbar.sigma_ee_ff(sm_model, e, "tau"), ee_ffbar.sigma_ee_ff(sm_model, e, "mu"), rtol=1e-12
    )


# --------------------------------------------------------------------------- the Z peak
def test_hadronic_peak_cross_section_matches_sigma_had0(sm_model):
    mz = sm_model.mz
    sigma_full_nb = predict("sigma_ee_ff", sm_model, sqrt_s=mz, final_state="had") / 1000.0
    sigma0_nb = predict("sigma_had0", sm_model)
    # sigma0 from its definition with the model's own widths
    gee = sm_model.partial_width("Z", "e")
    ghad = sm_model.partial_width("Z", "hadrons")
    gz = sm_model.total_width("Z")
    assert sigma0_nb == pytest.approx(12.0 * math.pi * gee * ghad / (mz**2 * gz**2) * HBARC2_PB / 1000.0, rel=1e-12)
    # full gamma+Z amplitude at the peak: photon exchange and gamma-Z interference add < 1 %
    assert sigma_full_nb == pytest.approx(sigma0_nb, rel=0.01)
    # order of magnitude sanity: the famous ~41.5 nb
    assert 41.0 < sigma0_nb < 42.0


def test_mumu_afb_at_the_peak_is_three_quarters_ae_amu(sm_model):
    mz = sm_model.mz
    afb = predict("AFB_ee_ff", sm_model, sqrt_s=mz, final_state="mu")
    ae, amu = predict("A_e", sm_model), predict("A_mu", sm_model)
    assert afb == pytest.approx(0.75 * ae * amu, abs=0.01)
    assert afb == pytest.approx(0.75 * ae * amu, abs=1e-3)  # in fact much closer
    for f in ("e", "mu", "tau", "b", "c"):
        assert predict(f"AFB0_{f}", sm_model) == 0.75 * ae * predict(f"A_{f}", sm_model)


def test_asymmetry_parameter_from_vector_and_axial_couplings(sm_model):
    """A_f = 2 g_V g_A/(g_V^2 + g_A^2) and, at tree level, g_V/g_A = 1 - 4|Q| s2 for charged fermions."""
    s2 = sm_model.sm.sin2_theta_w
    for f in ("e", "mu", "b", "c"):
        gv, ga = sm_model.couplings("Z", f)
        assert predict(f"A_{f}", sm_model) == pytest.approx(2 * gv * ga / (gv**2 + ga**2), rel=1e-12)
        q = abs(FERMIONS[f].charge)
        assert gv / ga == pytest.approx(1.0 - 4.0 * q * s2, rel=1e-9)


def test_tree_level_sm_close_to_pdg_2024(sm_model):
    # Gamma_Z = 2.4955 +- 0.0023 GeV (PDG 2024, S044W)
    assert predict("GammaZ", sm_model) == pytest.approx(2.4955, rel=0.005)
    # R_l = 20.767 +- 0.025 (PDG 2024, S044R20, lepton universality)
    for lep in ("e", "mu", "tau"):
        assert predict(f"R_{lep}", sm_model) == pytest.approx(20.767, rel=0.01)
    # A_e = 0.1515 +- 0.0019 (PDG 2024, S044AE); 0.1469 ~ the SM value 0.147 quoted with the SLD/LEP entries
    ae = predict("A_e", sm_model)
    assert ae == pytest.approx(0.1515, rel=0.03)
    assert ae == pytest.approx(0.1469, rel=0.03)
    # sigma_had0 = 41.4802 +- 0.0325 nb (PDG 2024, S044XSH); tree level ~ 0.1 %
    assert predict("sigma_had0", sm_model) == pytest.approx(41.4802, rel=0.005)
    # m_W = m_Z0 c_W is a tree-level relation of the scheme, not the measured 80.3692
    assert predict("mW", sm_model) == pytest.approx(sm_model.sm.mz0 * sm_model.sm.cw, rel=1e-14)


# --------------------------------------------------------------------------- Bhabha
def _qed_bhabha_dcos(alpha, sqrt_s, c):
    s = sqrt_s**2
    t = -0.5 * s * (1 - c)
    u = -0.5 * s * (1 + c)
    return alpha**2 / (2 * s) * ((s * s + u * u) / t**2 + 2 * u * u / (s * t) + (u * u + t * t) / s**2) * 2 * math.pi * HBARC2_PB


@pytest.mark.parametrize("sqrt_s", [189.0, 10.0])
def test_bhabha_reduces_to_qed_at_small_angle(sm_model, sqrt_s):
    d = float(ee_ffbar.dsigma_bhabha_dcos(sm_model, sqrt_s, 0.999)[0])
    assert d == pytest.approx(_qed_bhabha_dcos(sm_model.sm.alpha, sqrt_s, 0.999), rel=1e-3)


def test_bhabha_z_effect_grows_with_angle_at_lep2(sm_model):
    """At 189 GeV the Z matters at large angle (~-40 % at 90 deg) but not at 0.999: the comparison above is not trivial."""
    qed = _qed_bhabha_dcos(sm_model.sm.alpha, 189.0, 0.0)
    d = float(ee_ffbar.dsigma_bhabha_dcos(sm_model, 189.0, 0.0)[0])
    assert d / qed - 1 < -0.2


def test_bhabha_bins_positive_and_equal_to_integral_of_differential(sm_model):
    edges = np.array([-0.9, -0.72, -0.36, 0.0, 0.45, 0.81, 0.9])
    for sqrt_s in (10.0, 91.188, 189.0):
        lo, hi = edges[:-1], edges[1:]
        bins = ee_ffbar.dsigma_bhabha(sm_model, np.full(lo.size, sqrt_s), lo, hi)[0]
        assert np.all(bins > 0)
        for b, a, c in zip(bins, lo, hi):
            ref, _ = integrate.quad(lambda x: float(ee_ffbar.dsigma_bhabha_dcos(sm_model, sqrt_s, x)[0]), a, c, epsabs=0, epsrel=1e-10)
            assert b == pytest.approx(ref, rel=1e-6)
        # forward peaking from t-channel photon exchange, except on the Z pole where the s channel dominates
        fwd_bwd = (bins[-1] / (hi[-1] - lo[-1])) / (bins[0] / (hi[0] - lo[0]))
        assert fwd_bwd > (2 if sqrt_s == 91.188 else 10)
    # registry with Bhabha kinematics
    assert predict("dsigma_bhabha", sm_model, sqrt_s=189.0, cos_min=-0.9, cos_max=-0.72) > 0


# --------------------------------------------------------------------------- R ratio
def test_r_ratio_below_z_and_rise_at_tristan(sm_model):
    sm = sm_model.sm
    sum_q2 = 2 * (2 / 3) ** 2 + 3 * (1 / 3) ** 2  # u, c; d, s, b
    k30 = float(ee_ffbar.qcd_k_factor(30.0, sm.alpha_s_mz, sm.mz0))
    r30 = predict("R_ratio", sm_model, sqrt_s=30.0)
    assert 1.04 < k30 < 1.06
    # 3 sum Q^2 K_QCD = 3.84; the Z adds ~ +0.4 % at 30 GeV
    assert r30 == pytest.approx(3 * sum_q2 * k30, rel=0.01)
    assert r30 == pytest.approx(3.87, rel=0.01)
    # below ~20 GeV the Z part is tiny: closer to the parton model
    r12 = predict("R_ratio", sm_model, sqrt_s=12.0)
    k12 = float(ee_ffbar.qcd_k_factor(12.0, sm.alpha_s_mz, sm.mz0))
    assert abs(r12 / (3 * sum_q2 * k12) - 1) < 2e-3
    # TRISTAN: gamma-Z interference makes R rise, ~5 at 58 GeV (measured 4.7-5.5)
    r = [predict("R_ratio", sm_model, sqrt_s=e) for e in (30.0, 50.0, 58.0, 64.0)]
    assert np.all(np.diff(r) > 0)
    assert 4.6 < r[2] < 5.3


# --------------------------------------------------------------------------- narrow resonance and beam spread
@pytest.fixture(scope="module")
def narrow():
    dp = km.DarkPhoton(50.0, 0.02, width="narrow")
    return dp, float(dp.mzp), float(dp.total_width("Zp"))


def _brute_force_smeared(dp, mass, gamma, energy, spread, final_state="mu", n=200001):
    """<sigma(E')>, E' ~ Gauss(energy, spread), on a grid E' = M + Gamma/2 tan(u) resolving the Breit-Wigner."""
    u_lo = math.atan((energy - 8 * spread - mass) / (gamma / 2))
    u_hi = math.atan((energy + 8 * spread - mass) / (gamma / 2))
    u = np.linspace(u_lo, u_hi, n)
    e = mass + 0.5 * gamma * np.tan(u)
    w = np.exp(-0.5 * ((e - energy) / spread) ** 2) / (math.sqrt(2 * math.pi) * spread) * 0.5 * gamma / np.cos(u) ** 2
    sig = ee_ffbar.sigma_ee_ff(dp, e, final_state)[0]
    return np.trapezoid(sig * w, u) / np.trapezoid(w, u)


def test_narrow_resonance_peak_is_finite_and_unitarity_sized(narrow):
    dp, m, g = narrow
    peak = float(ee_ffbar.sigma_ee_ff(dp, [m], "mu")[0, 0])
    assert np.isfinite(peak)
    # on-peak Breit-Wigner: sigma = 12 pi / M^2 BR_ee BR_mumu (plus a small photon/Z interference)
    br_e = dp.branching_ratio("Zp", "e")
    br_mu = dp.branching_ratio("Zp", "mu")
    bw = 12 * math.pi / m**2 * br_e * br_mu * HBARC2_PB
    assert peak == pytest.approx(bw, rel=0.02)
    # and it is far above the continuum (~50 pb)
    assert peak > 1000 * float(ee_ffbar.sigma_ee_ff(dp, [45.0], "mu")[0, 0])


@pytest.mark.parametrize("offset", [0.0, 1.0, -1.5, 3.0])
def test_faddeeva_smearing_equals_brute_force_gaussian_average(narrow, offset):
    dp, m, g = narrow
    spread = 0.01  # GeV, 2e-4 relative; the spread is ~30 Z' widths
    energy = m + offset * spread
    analytic = float(ee_ffbar.sigma_ee_ff(dp, [energy], "mu", beam_spread=spread)[0, 0])
    assert analytic == pytest.approx(_brute_force_smeared(dp, m, g, energy, spread), rel=1e-3)


def test_faddeeva_smearing_at_the_assumed_relative_spread(narrow):
    dp, m, g = narrow
    spread = 1e-3 * m  # ASSUMED_BEAM_SPREAD_REL used by the likelihood
    for offset in (1.0, -1.5):
        energy = m + offset * spread
        analytic = float(ee_ffbar.sigma_ee_ff(dp, [energy], "mu", beam_spread=spread)[0, 0])
        assert analytic == pytest.approx(_brute_force_smeared(dp, m, g, energy, spread), rel=1e-3)


def test_smearing_tends_to_unsmeared_as_spread_goes_to_zero(narrow):
    dp, m, g = narrow
    for energy in (m, m + g, m - 3 * g, 45.0):
        bare = float(ee_ffbar.sigma_ee_ff(dp, [energy], "mu")[0, 0])
        tiny = float(ee_ffbar.sigma_ee_ff(dp, [energy], "mu", beam_spread=1e-4 * g)[0, 0])
        assert tiny == pytest.approx(bare, rel=1e-5)
    # spread == 0 is the bare Breit-Wigner exactly
    bare = ee_ffbar.sigma_ee_ff(dp, [m], "mu")
    np.testing.assert_array_equal(ee_ffbar.sigma_ee_ff(dp, [m], "mu", beam_spread=0.0), bare)
    # the smeared peak is lower than the bare one
    assert float(ee_ffbar.sigma_ee_ff(dp, [m], "mu", beam_spread=0.01)[0, 0]) < 0.05 * float(bare[0, 0])


def test_smeared_peak_area_is_conserved(narrow):
    dp, m, g = narrow
    spread = 0.02
    half = 10 * spread
    # smeared: smooth, a plain grid suffices
    e = np.linspace(m - half, m + half, 4001)
    smeared = ee_ffbar.sigma_ee_ff(dp, e, "mu", beam_spread=spread)[0]
    area_smeared = np.trapezoid(smeared, e)
    # bare: resolve the Breit-Wigner with E = M + Gamma/2 tan(u)
    u = np.linspace(math.atan(-half / (g / 2)), math.atan(half / (g / 2)), 400001)
    eb = m + 0.5 * g * np.tan(u)
    area_bare = np.trapezoid(ee_ffbar.sigma_ee_ff(dp, eb, "mu")[0] * 0.5 * g / np.cos(u) ** 2, u)
    # subtract the continuum (same model far from the peak, ~constant over 0.4 GeV)
    cont = float(ee_ffbar.sigma_ee_ff(dp, [m - 5.0], "mu")[0, 0]) * (m - 5.0) ** 2 / m**2 * 2 * half
    assert (area_smeared - cont) == pytest.approx(area_bare - cont, rel=2e-3)
    # narrow-width area: 6 pi^2/M^2 * Gamma BR_ee BR_mumu (GeV pb) -- the Z' signal is mostly this
    bw_area = 6 * math.pi**2 / m**2 * g * dp.branching_ratio("Zp", "e") * dp.branching_ratio("Zp", "mu") * HBARC2_PB
    assert (area_bare - cont) == pytest.approx(bw_area, rel=0.05)


def test_gaussian_average_propagator_identity():
    """<|P|^2> = -Im<P>/(M Gamma) and <P> -> P as the spread -> 0 (off-resonance)."""
    m, g = 50.0, 0.3
    e = np.array([49.0, 50.0, 50.4])
    mean_p, mean_p2 = gaussian_average_propagator(e, 1e-6, m, g)
    p = 1.0 / (e**2 - m**2 + 1j * m * g)
    np.testing.assert_allclose(mean_p, p, rtol=1e-6)
    np.testing.assert_allclose(mean_p2, np.abs(p) ** 2, rtol=1e-6)


# --------------------------------------------------------------------------- registry
def test_registry_lists_names_with_units(like):
    obs = observables()
    assert set(obs) == set(REGISTRY)
    assert obs["GammaZ"] == "GeV" and obs["mZ"] == "GeV" and obs["mW"] == "GeV"
    assert obs["sigma_had0"] == "nb" and obs["sigma_ee_ff"] == "pb" and obs["dsigma_bhabha"] == "pb"
    assert obs["R_ratio"] == "" and obs["A_e"] == ""
    # every observable used in the catalogue is registered
    assert set(like.catalogue.observables) <= set(obs)


@pytest.mark.parametrize(
    "name, kin",
    [
        ("sigma_ee_ff", {"sqrt_s": 10.0}),  # missing final_state
        ("sigma_ee_ff", {"sqrt_s": 10.0, "final_state": "mu", "cos_min": 0.1}),  # extra
        ("GammaZ", {"sqrt_s": 91.0}),  # pole observable takes none
        ("dsigma_bhabha", {"sqrt_s": 189.0, "cos_min": -0.5}),
        ("R_ratio", {}),
    ],
)
def test_predict_wrong_kinematics_names_the_observable(sm_model, name, kin):
    with pytest.raises(ValueError, match=repr(name)):
        predict(name, sm_model, **kin)


def test_predict_bad_kinematic_values(sm_model):
    with pytest.raises(ValueError, match="final_state"):
        predict("sigma_ee_ff", sm_model, sqrt_s=10.0, final_state="electron")
    with pytest.raises(ValueError, match="sqrt_s"):
        predict("sigma_ee_ff", sm_model, sqrt_s=-10.0, final_state="mu")
    with pytest.raises(ValueError, match="cos_theta|cos_max|cos_min"):
        predict("dsigma_bhabha", sm_model, sqrt_s=189.0, cos_min=-0.5, cos_max=1.0)


def test_predict_unknown_observable_lists_accepted_names(sm_model):
    with pytest.raises(ValueError) as err:
        predict("Gamma_Z_total", sm_model)
    msg = str(err.value)
    assert "Gamma_Z_total" in msg
    for name in ("GammaZ", "sigma_ee_ff", "R_ratio", "dsigma_bhabha"):
        assert repr(name) in msg


def test_predict_returns_float_for_scalar_model_and_array_otherwise():
    scalar = km.DarkPhoton(50.0, 0.01)
    assert type(predict("GammaZ", scalar)) is float
    assert type(predict("sigma_ee_ff", scalar, sqrt_s=30.0, final_state="mu")) is float
    vec = km.DarkPhoton([50.0, 60.0, 70.0], 0.01)
    out = predict("sigma_ee_ff", vec, sqrt_s=30.0, final_state="mu")
    assert isinstance(out, np.ndarray) and out.shape == (3,)
    # the vectorised call agrees with scalar calls point by point
    for i, m in enumerate((50.0, 60.0, 70.0)):
        assert out[i] == pytest.approx(predict("sigma_ee_ff", km.DarkPhoton(m, 0.01), sqrt_s=30.0, final_state="mu"), rel=1e-12)


def test_predict_sm_argument_replaces_parameters(sm_model):
    """Passing sm= moves the prediction: m_Z tracks m_Z0 of the new parameters."""
    sm2 = sm_model.sm.at_fixed_gf(sm_model.sm.alpha * 1.001, sm_model.sm.sin2_theta_w)
    assert predict("mZ", sm_model, sm=sm2) == pytest.approx(sm2.mz0, rel=1e-9)
    assert predict("mZ", sm_model, sm=sm2) / predict("mZ", sm_model) - 1 == pytest.approx(0.0005, rel=1e-3)


def _brute_force_smeared_bhabha(dp, mass, gamma, energy, spread, cos_theta, n=200001):
    """<dsigma/dcos(E')> of Bhabha scattering, E' ~ Gauss(energy, spread), resolving the Z' Breit-Wigner."""
    u_lo = math.atan((energy - 8 * spread - mass) / (gamma / 2))
    u_hi = math.atan((energy + 8 * spread - mass) / (gamma / 2))
    u = np.linspace(u_lo, u_hi, n)
    e = mass + 0.5 * gamma * np.tan(u)
    w = np.exp(-0.5 * ((e - energy) / spread) ** 2) / (math.sqrt(2 * math.pi) * spread) * 0.5 * gamma / np.cos(u) ** 2
    ds = ee_ffbar.dsigma_bhabha_dcos(dp, e, np.full(e.shape, cos_theta))[0]
    return np.trapezoid(ds * w, u) / np.trapezoid(w, u)


@pytest.mark.parametrize("cos_theta", [-0.8, 0.0, 0.85])
@pytest.mark.parametrize("offset", [0.0, 1.5])
def test_smeared_bhabha_equals_brute_force_gaussian_average(cos_theta, offset):
    """The smeared Bhabha cross section (s-channel Z' propagator averaged exactly, the real t-channel term and
    the s, t, u weights at the nominal energy) agrees with a brute-force Gaussian average of the unsmeared one.

    The resonant part is produced at E' ~ M, so the weights taken at E instead of M err by ~2|E - M|/E
    (measured: 1e-5 on the peak, 2.8e-3 at 1.5 spreads off it, below the 2|offset| spread/M bound used here)."""
    dp = km.DarkPhoton(189.0, 0.05, width="narrow")
    m, g = float(dp.mzp), float(dp.total_width("Zp"))
    spread = 1e-3 * m
    energy = m + offset * spread
    analytic = float(ee_ffbar.dsigma_bhabha_dcos(dp, energy, cos_theta, spread)[0])
    brute = _brute_force_smeared_bhabha(dp, m, g, energy, spread, cos_theta)
    unsmeared = float(ee_ffbar.dsigma_bhabha_dcos(dp, energy, cos_theta)[0])
    assert abs(analytic / unsmeared - 1) > 0.05  # the smearing matters at this point
    assert analytic == pytest.approx(brute, rel=2.0 * abs(offset) * spread / m + 1e-4)


def test_smeared_bhabha_batches_equal_pointwise_calls():
    """Energies repeated across bins and quadrature points are computed once and mapped back: a mixed
    batch equals the same points evaluated one by one."""
    dp = km.ZPrime(np.array([150.0, 200.0, 600.0]), 0.03, width="wide")
    sqrt_s = np.array([[188.6, 199.5, 188.6], [206.6, 188.6, 199.5]])
    cos_theta = np.array([[-0.5, 0.1, 0.7], [0.3, -0.9, 0.7]])
    spread = 1e-3 * sqrt_s
    batch = ee_ffbar.dsigma_bhabha_dcos(dp, sqrt_s, cos_theta, spread)
    for idx in np.ndindex(sqrt_s.shape):
        one = ee_ffbar.dsigma_bhabha_dcos(dp, sqrt_s[idx], cos_theta[idx], spread[idx])
        np.testing.assert_allclose(batch[(slice(None),) + idx], one, rtol=1e-13)
