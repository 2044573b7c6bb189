"""The named Z' models of the PDG review: charges, gauge couplings, the Z' at a given g_z, LHC coefficients.

Source: M.-C. Chen, B. A. Dobrescu, S. Willocq, "Z'-boson searches", PDG review (rev. Jan. 2016):
Table 1 (charge families), Eq. 8 (c_u, c_d).

Gauge couplings
---------------
* chi, psi, eta (E6/SO(10)): g_z = sqrt(5/3) g' x |k|, with g' = e / c_W (``SMParameters.g_prime``),
  sqrt(5/3) g' the GUT-normalised hypercharge coupling, and k the factor converting the
  un-normalised PDG Table 1 ``10+x5bar`` charges into the GUT-normalised E6 charges of Langacker,
  Rev. Mod. Phys. 81 (2009) 1199 (arXiv:0801.1345): on the left-handed Weyl fields (Q, u^c, d^c, L, e^c),
  Q_chi = (-1,-1,3,3,-1)/(2 sqrt10), Q_psi = (1,1,1,1,1)/(2 sqrt6), Q_eta = sqrt(3/8) Q_chi - sqrt(5/8) Q_psi.
  PDG right-handed charges map to conjugates with a sign flip (z(f^c) = -z(f_R)). Comparing the vectors
  field by field gives a constant ratio k: chi -3/(2 sqrt10) = -0.4743, psi 3/(2 sqrt6) = 0.6124,
  eta -sqrt(3/5) = -0.7746 (the overall sign of g_z is unobservable without Z-Z' mixing).
  Hence g_z(chi) = sqrt(3/8) g', g_z(psi) = sqrt(5/8) g', g_z(eta) = g'.
* B-L, R, I: the PDG table gives no unification condition. We use the SAME g_z = sqrt(5/3) g' applied
  directly to the Table 1 charges as a benchmark, not a prediction of those models.
* SSM: couplings of the SM Z (:class:`~kinmix_stats.model.charges.SequentialCharges`), g_z = g / c_W.

Mixing
------
A Z' of charges z at gauge coupling g_z may carry a fixed kinetic mixing eps (Hook convention), a fixed
Z0-X mass mixing dM^2, or the dM^2 of the rho0 = 1 two-doublet Higgs sector at tan(beta)
(:func:`~kinmix_stats.model.higgs_mixing.higgs_mass_mixing`), which grows with g_z: :func:`zprime_at`.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_choice, check_finite, check_finite_or_array
from ..inputs.sm import SMParameters
from .charges import U1Charges, charge_family, named_model, parse_family_point, sequential_charges
from .higgs_mixing import higgs_doublet_charges, higgs_mass_mixing, higgs_x_mass2, sin2_beta_from_tan_beta
from .vector_boson import ZPrime

__all__ = [
    "MODELS",
    "E6_MODELS",
    "GUT_HYPERCHARGE_NORM",
    "LANGACKER_CHARGES",
    "G_Z_RULE",
    "lh_charge_vector",
    "e6_normalisation",
    "nominal_gz",
    "model_charges",
    "factory_charges",
    "check_kinetic_mixing",
    "check_tan_beta",
    "fixed_mixing",
    "zprime_at",
    "lhc_coefficients",
    "lhc_coefficients_of",
]

MODELS = ("B-L", "chi", "psi", "eta", "R", "I", "SSM")
E6_MODELS = ("chi", "psi", "eta")
GUT_HYPERCHARGE_NORM = math.sqrt(5.0 / 3.0)

_CHI = np.array([-1.0, -1.0, 3.0, 3.0, -1.0]) / (2.0 * math.sqrt(10.0))
_PSI = np.ones(5) / (2.0 * math.sqrt(6.0))
#: GUT-normalised E6 charges on (Q, u^c, d^c, L, e^c), Langacker arXiv:0801.1345
LANGACKER_CHARGES = {
    "chi": _CHI,
    "psi": _PSI,
    "eta": math.sqrt(3.0 / 8.0) * _CHI - math.sqrt(5.0 / 8.0) * _PSI,
}

_E6_RULE = "E6/SO(10) unification: sqrt(5/3) g' |k|, k from Langacker's GUT-normalised charges (arXiv:0801.1345)"
_BENCHMARK_RULE = "benchmark sqrt(5/3) g' (no unification condition in PDG Table 2)"
#: how :func:`nominal_gz` fixes g_z for each named model
G_Z_RULE = {
    "B-L": _BENCHMARK_RULE, "chi": _E6_RULE, "psi": _E6_RULE, "eta": _E6_RULE, "R": _BENCHMARK_RULE,
    "I": _BENCHMARK_RULE, "SSM": "g / cos(theta_W): couplings of the SM Z",
}


# ------------------------------------------------------------------------------------ couplings
def lh_charge_vector(charges: U1Charges) -> np.ndarray:
    """PDG Table 1 charges as left-handed Weyl charges on (Q, u^c, d^c, L, e^c): (q, -u, -d, l, -e)."""
    return np.array([charges.q, -charges.u, -charges.d, charges.l, -charges.e])


def e6_normalisation(name: str) -> float:
    """k with Q_Langacker = k * Q_PDG field by field for chi, psi, eta (raises if not proportional)."""
    check_choice("E6 model", name, E6_MODELS)
    pdg = lh_charge_vector(named_model(name))
    ratios = LANGACKER_CHARGES[name] / pdg
    if not np.allclose(ratios, ratios[0], rtol=1e-12, atol=0.0):
        raise ValueError(f"PDG and Langacker {name} charges are not proportional: ratios {ratios}")
    return float(ratios[0])


def nominal_gz(name: str, sm: SMParameters | None = None) -> float:
    """g_z of a named model (see the module docstring; B-L, R, I: benchmark sqrt(5/3) g')."""
    check_choice("Z' model", name, MODELS)
    sm = SMParameters() if sm is None else sm
    if name == "SSM":
        return sm.g / sm.cw
    g_gut = GUT_HYPERCHARGE_NORM * sm.g_prime
    return g_gut * abs(e6_normalisation(name)) if name in E6_MODELS else g_gut


def model_charges(name: str, sm: SMParameters | None = None) -> U1Charges:
    """Charges of a named model; the SSM couplings use sin^2 theta_W of ``sm`` (default reference)."""
    check_choice("Z' model", name, MODELS)
    if name == "SSM":
        return sequential_charges((SMParameters() if sm is None else sm).sin2_theta_w)
    return named_model(name)


def factory_charges(name: str, sm: SMParameters | None = None) -> U1Charges:
    """Charges of a named model (:func:`model_charges`), of a PDG Table 1 family point ``"FAMILY:x"`` or
    user-given ``"charges:Q,U,D,L,E"`` (:func:`~kinmix_stats.model.charges.parse_custom_charges`)."""
    from .charges import CUSTOM_PREFIX, parse_custom_charges

    if isinstance(name, str) and name.strip().lower().startswith(CUSTOM_PREFIX):
        return parse_custom_charges(name)[1]
    if isinstance(name, str) and ":" in name:
        return charge_family(*parse_family_point(name))
    return model_charges(name, sm)


# ------------------------------------------------------------------------------------ the Z' at g_z
def check_kinetic_mixing(epsilon: object) -> float:
    """The fixed kinetic mixing of a Z' hypothesis (Hook convention): a finite number in (-pi/2, pi/2)."""
    eps = check_finite("epsilon (kinetic mixing)", epsilon)
    if not abs(eps) < 0.5 * math.pi:
        raise ValueError(f"epsilon (kinetic mixing, Hook convention) must lie in (-pi/2, pi/2), got {eps!r}")
    return eps


def check_tan_beta(tan_beta: object) -> float:
    """tan(beta) of the Higgs-sector mass mixing: a finite number > 0."""
    tb = check_finite("tan_beta", tan_beta)
    if not tb > 0:
        raise ValueError(f"tan_beta must be > 0 (accepted range (0, inf)), got {tb!r}")
    return tb


def fixed_mixing(epsilon: float = 0.0, delta_m2: float = 0.0, tan_beta: float | None = None) -> tuple[float, float, float | None]:
    """Validated mixing inputs ``(epsilon, delta_m2, sin2_beta)`` of a Z' hypothesis (the one check of them).

    ``epsilon``: kinetic mixing (Hook convention), |eps| < pi/2. ``delta_m2``: fixed Z0-X mass mixing in GeV^2.
    ``tan_beta``: instead of a fixed ``delta_m2``, the Higgs-sector mass mixing (returned as sin^2 beta);
    ``tan_beta`` and a non-zero ``delta_m2`` are mutually exclusive (``ValueError``).
    """
    eps = check_kinetic_mixing(epsilon)
    dm2 = check_finite("delta_m2 (GeV^2)", delta_m2)
    if tan_beta is None:
        return eps, dm2, None
    tb = check_tan_beta(tan_beta)
    if dm2 != 0.0:
        raise ValueError(
            f"give either tan_beta (Higgs-sector mass mixing) or a fixed delta_m2, not both "
            f"(got tan_beta={tb!r}, delta_m2={dm2!r})"
        )
    return eps, dm2, float(sin2_beta_from_tan_beta(tb))


def zprime_at(
    masses, g_z, charges: U1Charges, *, epsilon: float = 0.0, delta_m2: float = 0.0, sin2_beta: float | None = None,
    width="narrow", sm: SMParameters | None = None,
) -> ZPrime:
    """The Z' of ``charges`` at gauge coupling(s) ``g_z`` (scalar, or one per mass), masked where no Z'-like state exists.

    ``epsilon`` and ``delta_m2`` are fixed kinetic and mass mixing; ``sin2_beta`` (in [0, 1]) instead takes dM^2 and
    the doublets' share of m_X^2 from the rho0 = 1 Higgs sector at this g_z. g_z = 0 is the SM: the mixing is
    switched off too (element-wise for an array of couplings).
    """
    if np.ndim(g_z) == 0:
        g = float(g_z)
        if g == 0.0:
            return ZPrime(masses, 0.0, gx=0.0, charges=charges, width=width, sm=sm, on_invalid="mask")
        if sin2_beta is None:
            return ZPrime(masses, epsilon, gx=g, charges=charges, delta_m2=delta_m2, width=width, sm=sm, on_invalid="mask")
        dm = higgs_mass_mixing(g, charges, sin2_beta=sin2_beta, sm=sm)
        mxh2 = higgs_x_mass2(g, charges, sin2_beta=sin2_beta, sm=sm)
        return ZPrime(masses, epsilon, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask",
                      higgs_mass_terms=mxh2)
    # one g_z per mass: the same construction element-wise; g_z = 0 entries are the SM (no mixing)
    shape = np.shape(np.atleast_1d(np.asarray(masses, dtype=float)))
    g = check_finite_or_array("g_z", g_z, shape)
    off = g == 0.0
    any_off = bool(np.any(off))
    eps_arg = np.where(off, 0.0, epsilon) if any_off and epsilon != 0.0 else epsilon
    if sin2_beta is None:
        dm = np.where(off, 0.0, delta_m2) if any_off and delta_m2 != 0.0 else delta_m2
        return ZPrime(masses, eps_arg, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask")
    dm = higgs_mass_mixing(g, charges, sin2_beta=sin2_beta, sm=sm)  # exactly 0 where g_z = 0
    mxh2 = higgs_x_mass2(g, charges, sin2_beta=sin2_beta, sm=sm)
    return ZPrime(masses, eps_arg, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask",
                  higgs_mass_terms=mxh2)


# ------------------------------------------------------------------------------------ LHC
def lhc_coefficients(
    model_name: str,
    mass: float,
    g_z: float | None = None,
    width="narrow",
    *,
    epsilon: float = 0.0,
    delta_m2: float = 0.0,
    tan_beta: float | None = None,
) -> dict[str, float]:
    """PDG Eq. 8: c_q^f = [(g_L^q)^2 + (g_R^q)^2] B(Z' -> f fbar) for q = u, d and f = e (= mu).

    ``g_z`` defaults to :func:`nominal_gz`; ``width`` adds a dark-sector width to the total width
    (as in :class:`~kinmix_stats.model.ZPrime`). ``epsilon``, ``delta_m2`` and ``tan_beta`` switch on
    kinetic and mass mixing as in :func:`fixed_mixing` and :func:`zprime_at`: the couplings are those of
    the physical Z' eigenstate and B(Z' -> e+e-) includes the WW and Zh widths that mixing opens.
    Also returned: ``br_ee`` and ``total_width_gev``. Raises ``ValueError`` if no Z'-like state of
    this mass exists (mixing window around m_Z0).
    """
    g_z = nominal_gz(model_name) if g_z is None else float(g_z)
    charges = factory_charges(model_name)
    eps, dm2, sin2_beta = fixed_mixing(epsilon, delta_m2, tan_beta)
    if sin2_beta is not None:
        higgs_doublet_charges(charges)  # raises for the SSM and inconsistent charges
    model = zprime_at(np.array([float(mass)]), g_z, charges, epsilon=eps, delta_m2=dm2, sin2_beta=sin2_beta, width=width,
                      sm=SMParameters())
    if not bool(np.all(model.valid)):
        raise ValueError(
            f"no Z'-like state of mass {mass!r} GeV for model {model_name!r} with this mixing "
            f"(epsilon={epsilon!r}, delta_m2={delta_m2!r}, tan_beta={tan_beta!r}); see model.zprime_window"
        )
    return lhc_coefficients_of(model)


def lhc_coefficients_of(model: ZPrime) -> dict[str, float]:
    """PDG Eq. 8 for the (first) physical Z' of a built ``model``: ``c_u``, ``c_d``, ``br_ee``, ``total_width_gev``.

    c_q = [(g_L^q)^2 + (g_R^q)^2] B(Z' -> e+e-) with the chiral couplings of the mass eigenstate.
    """
    br = float(np.asarray(model.branching_ratio("Zp", "e")).reshape(-1)[0])
    out = {}
    for q in ("u", "d"):
        gl, gr = (float(np.asarray(c).reshape(-1)[0]) for c in model.chiral_couplings("Zp", q))
        out[f"c_{q}"] = (gl**2 + gr**2) * br
    out["br_ee"] = br
    out["total_width_gev"] = float(np.asarray(model.total_width("Zp")).reshape(-1)[0])
    return out
