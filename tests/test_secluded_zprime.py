"""The PDG ``10+x5bar`` family as the E6 angle Z(beta) = cos(beta) Z_chi + sin(beta) Z_psi, and the x = -8 point.

Context: PDG Z' review (seed 004) Table 2 lists a "secluded Z_S" [its ref. 46: Erler, Langacker, Li,
hep-ph/0205001] that ``model.charges.NAMED_MODELS`` does not define. The E6 literature is believed to
place Z_S at tan(beta) = sqrt(15)/9 (Erler, Langacker, Munir, Rojas, arXiv:0906.2435), but that angle
could not be confirmed from a retrievable source, so "S" is NOT added to the package. What is checked
here is computed only: the map between x and beta, and that x = -8 is the member of the family with
tan(beta) = sqrt(15)/9 -- so that adding "S": ("10+x5bar", -8.0) is a one-line change once the angle
is sourced.

Derivation (checked numerically below): on the left-handed Weyl fields (Q, u^c, d^c, L, e^c) the
family is (1, 1, x, x, 1)/3 = a (-1,-1,3,3,-1) + b (1,1,1,1,1) with a = (x-1)/12, b = (x+3)/12.
With Langacker's GUT-normalised Q_chi = (-1,-1,3,3,-1)/(2 sqrt10), Q_psi = (1,1,1,1,1)/(2 sqrt6)
(arXiv:0801.1345) this is 2 sqrt10 a Q_chi + 2 sqrt6 b Q_psi, hence
tan(beta) = sqrt(3/5) (x+3)/(x-1): chi (x=-3) beta = 0, psi (x=1) beta = pi/2, eta (x=-1/2)
tan(beta) = -sqrt(5/3), and x = -8 gives sqrt(3/5) * 5/9 = sqrt(15)/9.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinmix_stats.inputs.sm import SMParameters
from kinmix_stats.model.charges import charge_family, named_model
from kinmix_stats.zprime_limits import LANGACKER_CHARGES, e6_normalisation, lh_charge_vector

Q_CHI = LANGACKER_CHARGES["chi"]
Q_PSI = LANGACKER_CHARGES["psi"]
TAN_BETA_S = math.sqrt(15.0) / 9.0  # the value to be sourced (see module docstring); not used by the package


def e6_decomposition(x: float) -> tuple[float, float]:
    """(c_chi, c_psi) with Q_PDG(x) = c_chi Q_chi + c_psi Q_psi exactly (raises if not in the span)."""
    pdg = lh_charge_vector(charge_family("10+x5bar", x))
    basis = np.stack([Q_CHI, Q_PSI], axis=1)
    coef, *_ = np.linalg.lstsq(basis, pdg, rcond=None)
    assert np.allclose(basis @ coef, pdg, rtol=0, atol=1e-14), "10+x5bar charges not in span(Q_chi, Q_psi)"
    return float(coef[0]), float(coef[1])


def tan_beta(x: float) -> float:
    c_chi, c_psi = e6_decomposition(x)
    return c_psi / c_chi


@pytest.mark.parametrize("x", [-8.0, -3.0, -1.0, -0.5, 0.0, 2.0, 1.0 / 3.0, 5.0])
def test_family_is_the_e6_angle_with_closed_form(x):
    assert tan_beta(x) == pytest.approx(math.sqrt(3.0 / 5.0) * (x + 3.0) / (x - 1.0), rel=1e-12)


def test_named_points_reproduce_the_known_angles():
    assert e6_decomposition(-3.0)[1] == pytest.approx(0.0, abs=1e-14)  # chi: beta = 0
    assert e6_decomposition(1.0)[0] == pytest.approx(0.0, abs=1e-14)  # psi: beta = pi/2
    assert tan_beta(-0.5) == pytest.approx(-math.sqrt(5.0 / 3.0), rel=1e-12)  # eta = sqrt(3/8) chi - sqrt(5/8) psi
    # the named models of the package sit on the same family
    for name, x in (("chi", -3.0), ("psi", 1.0), ("eta", -0.5)):
        assert np.allclose(lh_charge_vector(named_model(name)), lh_charge_vector(charge_family("10+x5bar", x)))


def test_x_minus_8_has_tan_beta_sqrt15_over_9():
    assert tan_beta(-8.0) == pytest.approx(TAN_BETA_S, rel=1e-12)
    # and it is the only member of the family with that angle (tan beta is monotonic in x away from x = 1)
    xs = np.linspace(-40.0, 0.9, 4001)
    tb = math.sqrt(3.0 / 5.0) * (xs + 3.0) / (xs - 1.0)
    assert np.all(np.diff(tb) < 0)
    assert tan_beta(1.5) > math.sqrt(3.0 / 5.0) > TAN_BETA_S  # the x > 1 branch never reaches it


def test_x_minus_8_charges_proportional_field_by_field_and_k():
    """Q(beta_S) = cos b Q_chi + sin b Q_psi equals k * Q_PDG(x=-8) field by field; k = -sqrt(3/80)."""
    beta = math.atan(TAN_BETA_S)
    target = math.cos(beta) * Q_CHI + math.sin(beta) * Q_PSI
    pdg = lh_charge_vector(charge_family("10+x5bar", -8.0))
    ratios = target / pdg
    assert np.allclose(ratios, ratios[0], rtol=1e-12, atol=0.0)
    k = float(ratios[0])
    assert k == pytest.approx(-math.sqrt(3.0 / 80.0), rel=1e-12)  # |k| = 1/|(1,1,-8,-8,1)/3| in the E6 norm
    # g_z = sqrt(5/3) g' |k| as for chi/psi/eta in zprime_limits: exactly g'/4
    g_prime = SMParameters().g_prime
    assert math.sqrt(5.0 / 3.0) * g_prime * abs(k) == pytest.approx(g_prime / 4.0, rel=1e-12)


def test_same_normalisation_rule_as_the_package_for_chi_psi_eta():
    """The |k| of this file's construction agrees with zprime_limits.e6_normalisation for the named models."""
    for name, x, beta in (("chi", -3.0, 0.0), ("psi", 1.0, math.pi / 2), ("eta", -0.5, math.atan(-math.sqrt(5.0 / 3.0)))):
        target = math.cos(beta) * Q_CHI + math.sin(beta) * Q_PSI
        pdg = lh_charge_vector(charge_family("10+x5bar", x))
        nz = np.abs(pdg) > 0
        k = target[nz] / pdg[nz]
        assert np.allclose(k, k[0], rtol=1e-12)
        assert abs(k[0]) == pytest.approx(abs(e6_normalisation(name)), rel=1e-12)


def test_x_minus_8_anomalies_need_coloured_vector_like_fermions():
    """With SM fermions only, the mixed gauge anomalies of 10+x5bar are proportional to (3 + x) (3 generations):
    SU3^2 U1' = SU2^2 U1' = 3 + x, Y^2 U1' = 5 (3 + x) / 6; they vanish only for chi (x = -3). For x = -8 they
    do not, so, as the PDG review says for x != -3, new coloured (vector-like under the SM) fermions are needed."""
    for x in (-8.0, -3.0, 1.0, -0.5):
        an = charge_family("10+x5bar", x).anomalies()
        assert an["SU3^2 U1'"] == pytest.approx(3.0 + x, abs=1e-12)
        assert an["SU2^2 U1'"] == pytest.approx(3.0 + x, abs=1e-12)
        assert an["Y^2 U1'"] == pytest.approx(5.0 * (3.0 + x) / 6.0, abs=1e-12)
        assert an["Y U1'^2"] == pytest.approx(0.0, abs=1e-12)
    an = charge_family("10+x5bar", -8.0).anomalies()
    assert an["SU3^2 U1'"] == pytest.approx(-5.0)
    assert an["U1'^3"] != pytest.approx(0.0) and an["grav U1'"] != pytest.approx(0.0)
