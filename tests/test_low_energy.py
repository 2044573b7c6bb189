"""Low-energy weak charges (observables.low_energy) and their catalogue entries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats import DarkPhoton, ZPrime
from kinmix_stats import zprime_limits as zl
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.measurements import CatalogueError, load_dataset
from kinmix_stats.observables.low_energy import c1_couplings, weak_charge
from kinmix_stats.observables.registry import predict

CS = {"Z": 55, "N": 78, "Q2": 0.0}
PROTON = {"Z": 1, "N": 0, "Q2": 0.0248}


def test_sm_tree_couplings_and_weak_charges():
    """Z exchange alone gives the textbook tree values (G_F of the tree scheme)."""
    m = DarkPhoton(10.0, 0.0)
    s2 = m.sm.sin2_theta_w
    c1u, c1d = c1_couplings(m, 0.0)
    assert c1u[0, 0] == pytest.approx(-0.5 + 4.0 / 3.0 * s2, rel=1e-12)
    assert c1d[0, 0] == pytest.approx(0.5 - 2.0 / 3.0 * s2, rel=1e-12)
    assert predict("Q_W", m, Z=1, N=0, Q2=0.0) == pytest.approx(1.0 - 4.0 * s2, rel=1e-12)
    assert predict("Q_W", m, Z=0, N=1, Q2=0.0) == pytest.approx(-1.0, rel=1e-12)
    assert predict("Q_W", m, **CS) == pytest.approx(55 * (1.0 - 4.0 * s2) - 78, rel=1e-12)
    # the photon is vector-like: it cannot contribute to the parity-violating coupling
    assert DarkPhoton(10.0, 0.1).couplings("A", "e")[1] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("name, quoted, loop_size", [("apv_cesium", -73.16, 0.011), ("qweak_proton", 0.0708, 0.065)])
def test_quoted_sm_value_reproduced_up_to_known_loop_corrections(name, quoted, loop_size):
    """Our tree value vs the SM value quoted with the data: they differ by the radiative corrections only
    (Cs: ~1 %; proton: ~6 %, the gamma-Z box and the running of sin^2 theta_W), never more."""
    ds = load_dataset(name)
    (m,) = ds.measurements
    assert m.sm == quoted
    tree = predict("Q_W", DarkPhoton(10.0, 0.0), **dict(m.kinematics))
    assert abs(tree / quoted - 1.0) < loop_size
    assert np.sign(tree) == np.sign(quoted)


@pytest.mark.parametrize("mass", [1.0, 10.0, 150.0, 2000.0])
def test_dark_photon_leaves_weak_charges_unchanged_at_zero_momentum_transfer(mass):
    """At q^2 = 0 kinetic terms vanish: the neutral current is fixed by the (unchanged) mass matrix, and a dark
    photon couples to no SM current, so Q_W(Q2 = 0) is exactly the SM value; at Q2 > 0 it is not."""
    sm = predict("Q_W", DarkPhoton(mass, 0.0), **CS)
    dp = predict("Q_W", DarkPhoton(mass, 0.05), **CS)
    assert dp == pytest.approx(sm, rel=1e-12)
    shift = predict("Q_W", DarkPhoton(1.0, 0.05), **PROTON) - predict("Q_W", DarkPhoton(1.0, 0.0), **PROTON)
    assert shift != 0.0


def test_ssm_contact_term_is_the_z_term_scaled_by_mass_ratio():
    """A sequential Z' (SM-Z couplings, no mixing) adds the Z contribution times m_Z0^2 / M^2 at Q2 = 0."""
    g = zl.nominal_gz("SSM")
    for mass in (1000.0, 3000.0):
        z = ZPrime(mass, gx=g, charges=zl.model_charges("SSM"))
        sm = predict("Q_W", ZPrime(mass), **CS)
        assert predict("Q_W", z, **CS) - sm == pytest.approx(sm * z.sm.mz0**2 / mass**2, rel=1e-6)


def test_contact_shift_scales_as_g_squared_over_mass_squared():
    charges = zl.model_charges("chi")
    sm = predict("Q_W", ZPrime(1000.0), **CS)
    shifts = {(g, m): predict("Q_W", ZPrime(m, gx=g, charges=charges), **CS) - sm for g in (0.1, 0.2) for m in (1000.0, 2000.0)}
    assert shifts[(0.2, 1000.0)] / shifts[(0.1, 1000.0)] == pytest.approx(4.0, rel=1e-6)
    assert shifts[(0.1, 1000.0)] / shifts[(0.1, 2000.0)] == pytest.approx(4.0, rel=1e-4)


def test_likelihood_residual_is_shift_over_quoted_sm():
    """delta_th = (Q_th - Q_th,SM(p0)) / Q_SM,quoted for weak charges (not Q_th / Q_th,SM - 1)."""
    lik = PrecisionLikelihood(datasets=["apv_cesium", "qweak_proton"], model_factory=zl.zprime_factory("SSM"))
    g, mass = zl.nominal_gz("SSM"), 1500.0
    delta, _ = lik.delta_th([mass], g)
    z = ZPrime(mass, gx=g, charges=zl.model_charges("SSM"))
    for j, (kin, quoted) in enumerate(((CS, -73.16), (PROTON, 0.0708))):
        shift = predict("Q_W", z, **kin) - predict("Q_W", ZPrime(mass), **kin)
        assert delta[0, j] == pytest.approx(shift / quoted, rel=1e-9)
    np.testing.assert_allclose(lik.residuals.observed, [-73.16 / -73.16 - 1.0, 0.0719 / 0.0708 - 1.0])
    # the sin^2 theta_W template is dQ/ds2 / Q_quoted: -4 Z / Q_quoted at tree level for Q_W(Z, N) (Q2 = 0)
    assert lik.templates[1, 0] == pytest.approx(-4.0 * 55 / -73.16, rel=1e-3)


def test_bad_kinematics_rejected(tmp_path):
    with pytest.raises(ValueError, match="Q2 must be finite and >= 0"):
        weak_charge(DarkPhoton(10.0, 0.0), 55, 78, -1.0)
    with pytest.raises(ValueError, match="Z must be a whole number"):
        weak_charge(DarkPhoton(10.0, 0.0), 55.5, 78, 0.0)
    from importlib import resources

    src = resources.files("kinmix_stats").joinpath("data/apv_cesium.yaml").read_text()
    bad = tmp_path / "apv_cesium.yaml"
    bad.write_text(src.replace("{Z: 55, N: 78, Q2: 0.0}", "{Z: 55, Q2: 0.0}"))
    with pytest.raises(CatalogueError, match="QW_Cs133.*kinematics"):
        load_dataset(bad)


def test_low_energy_data_enter_the_electroweak_column_only():
    assert set(zl.LOW_ENERGY_DATASETS) <= set(zl.zprime_datasets("ew"))
    assert not set(zl.LOW_ENERGY_DATASETS) & set(zl.zprime_datasets("lep2"))
    assert math.isclose(load_dataset("qweak_proton").measurements[0].kinematics["Q2"], 0.0248)
