"""Mass and coupling limits on the named Z' models of the PDG review (issue "General Z' models").

Source: M.-C. Chen, B. A. Dobrescu, S. Willocq, "Z'-boson searches", PDG review (rev. Jan. 2016):
Table 1 (charge families), Eq. 8 (c_u, c_d), Table 2 (mass limits).

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

Limits
------
For each mass on a grid, the exact tree-level theory residual delta_th at the nominal g_z is the
signal of a hypothesis mu = 1 of the linear Gaussian problem of
:class:`~kinmix_stats.likelihood.precision.PrecisionLikelihood`; CLs(mu = 1) (q~_mu, asymptotic) is
exact there (no linearisation: the signal at mu = 1 is the non-linear prediction itself). A mass is
excluded if CLs < 0.05. The mass limit is the smallest M such that every grid mass above M is
allowed, with log(CLs) interpolated linearly in log(M) between the last excluded and the first
allowed grid point above it. A Delta chi^2 = 3.84 (vs the SM, profiled over alpha and sin^2 theta_W)
variant is given too.

* "LEP-II" limits use all datasets except the low-energy ones (:data:`LOW_ENERGY_DATASETS`); the LEP-II
  ``lep2_ffbar``/``lep2_bhabha`` sets carry the signal of a heavy Z'. "Electroweak" limits use all datasets
  except the two LEP-II ones: Z pole, m_W, the PETRA/PEP/TRISTAN R ratio and the low-energy weak charges
  Q_W(Cs) (atomic parity violation) and Q_W(p) (Qweak), which see the Z' contact term and the
  mixing-shifted Z couplings (:mod:`kinmix_stats.observables.low_energy`).
* The PDG electroweak fit also uses Moller scattering, PVDIS and neutrino scattering, which we do not
  have (see ``data/README.md``).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_positive_array, check_choice, check_finite, check_finite_or_array, check_in_range
from .inputs.sm import SMParameters
from .likelihood.cls import cls_limits_batch, cls_qtilde
from .likelihood.gaussian import profile_fit_batch
from .likelihood.precision import PrecisionLikelihood
from .measurements import available_datasets
from .model.charges import U1Charges, charge_family, named_model, parse_family_point, sequential_charges
from .model.higgs_mixing import higgs_doublet_charges, higgs_mass_mixing, higgs_x_mass2, sin2_beta_from_tan_beta
from .model.vector_boson import ZPrime

__all__ = [
    "MODELS",
    "E6_MODELS",
    "LANGACKER_CHARGES",
    "CSV_COLUMNS",
    "LEP2_DATASETS",
    "LOW_ENERGY_DATASETS",
    "PDG_TABLE2",
    "lh_charge_vector",
    "e6_normalisation",
    "nominal_gz",
    "model_charges",
    "zprime_factory",
    "ZPrimeFactory",
    "factory_charges",
    "zprime_likelihood",
    "cls_at_nominal",
    "cls_scan",
    "ew_limits_higgs",
    "mass_limit_from_grid",
    "mass_limits",
    "coupling_limits",
    "lhc_coefficients",
    "lhc_coefficients_of",
    "zprime_limits",
]

MODELS = ("B-L", "chi", "psi", "eta", "R", "I", "SSM")
E6_MODELS = ("chi", "psi", "eta")
LEP2_DATASETS = ("lep2_ffbar", "lep2_bhabha")
#: low-energy neutral-current datasets: in the "electroweak" column only (the PDG's LEP-II column uses no such data)
LOW_ENERGY_DATASETS = ("apv_cesium", "qweak_proton")
CSV_COLUMNS = ("model", "g_z", "lep2_mass_limit_gev", "ew_mass_limit_gev")
GUT_HYPERCHARGE_NORM = math.sqrt(5.0 / 3.0)
DEFAULT_MASS_GRID = np.geomspace(100.0, 5000.0, 121)

_CHI = np.array([-1.0, -1.0, 3.0, 3.0, -1.0]) / (2.0 * math.sqrt(10.0))
_PSI = np.ones(5) / (2.0 * math.sqrt(6.0))
#: GUT-normalised E6 charges on (Q, u^c, d^c, L, e^c), Langacker arXiv:0801.1345
LANGACKER_CHARGES = {
    "chi": _CHI,
    "psi": _PSI,
    "eta": math.sqrt(3.0 / 8.0) * _CHI - math.sqrt(5.0 / 8.0) * _PSI,
}

#: PDG Z' review Table 2, 95% CL lower mass limits in GeV (None: not given)
PDG_TABLE2 = {
    "chi": {"electroweak": 1141, "LEP-II": 785},
    "psi": {"electroweak": 147, "LEP-II": 500},
    "eta": {"electroweak": 427, "LEP-II": 500},
    "S": {"electroweak": 1257, "LEP-II": None},
    "SSM": {"electroweak": 1403, "LEP-II": 1760},
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


def zprime_factory(
    name: str,
    sm_ref: SMParameters | None = None,
    *,
    epsilon: float = 0.0,
    delta_m2: float = 0.0,
    tan_beta: float | None = None,
) -> ZPrimeFactory:
    """A ``ModelFactory`` for model ``name`` whose "epsilon" (coupling) argument is the gauge coupling g_z.

    ``name``: a named model (:data:`MODELS`) or a point ``FAMILY:x`` of a PDG Table 1 family
    (:data:`~kinmix_stats.model.charges.FAMILIES`, case-insensitive, x a finite number, e.g. ``"B-xL:3"``;
    charges :func:`~kinmix_stats.model.charges.charge_family`).
    ``epsilon``: kinetic mixing in Hook et al.'s convention (as in :class:`~kinmix_stats.model.ZPrime`),
    fixed. ``delta_m2``: fixed Z0-X mass mixing in GeV^2. ``tan_beta``: instead of a fixed
    ``delta_m2``, the mass mixing of the rho0 = 1 two-doublet Higgs sector with these charges,
    dM^2 = -(2 g_z / g_Z) m_Z0^2 z_eff(tan beta) (:func:`~kinmix_stats.model.higgs_mixing.higgs_mass_mixing`),
    recomputed for every g_z and for the SM parameters the likelihood passes (nuisance shifts of m_Z0,
    g_Z). ``tan_beta`` and a non-zero ``delta_m2`` are mutually exclusive; ``tan_beta`` is undefined
    for the SSM (no U(1)' charges; ValueError). Models whose two doublets have equal charges (chi, R,
    B-L, ...) do not depend on tan_beta.

    The factory takes a scalar g_z or an array of them, one per mass (``array_coupling = True``: the
    likelihood evaluates a whole scan in one call); with ``tan_beta`` dM^2 and the doublets' m_X^2 share
    are then arrays too.

    g_z = 0 is the likelihood's "no Z'" reference (``PrecisionLikelihood`` builds its SM prediction
    with coupling 0), so at g_z = 0 exactly the factory returns the SM: kinetic and mass mixing are
    switched off too (element-wise for an array of couplings). With a fixed non-zero ``epsilon`` or
    ``delta_m2`` the signal therefore does not vanish continuously as g_z -> 0 (mixing alone is a
    signal) and a POI mu = (g_z/g_ref)^2 is only an approximation; exact CLs at each g_z
    (:func:`cls_at_nominal`) does not rely on it.

    Masses with no Z'-like eigenstate (the window around m_Z0, :func:`~kinmix_stats.model.zprime_window`;
    with dM^2 ~ 3000 GeV^2 it is ~ 73-106 GeV) come back masked (``valid`` False, NaN predictions).
    """
    charges = factory_charges(name, sm_ref)
    eps = check_in_range("epsilon", epsilon, -0.5 * math.pi, 0.5 * math.pi, low_inclusive=False, high_inclusive=False)
    dm2 = check_finite("delta_m2", delta_m2)
    sin2_beta = None
    if tan_beta is not None:
        if dm2 != 0.0:
            raise ValueError(
                f"give either tan_beta (Higgs-sector mass mixing) or a fixed delta_m2, not both "
                f"(got tan_beta={tan_beta!r}, delta_m2={dm2!r})"
            )
        sin2_beta = float(sin2_beta_from_tan_beta(tan_beta))  # validates: finite, > 0
        tan_beta = float(tan_beta)
    factory = _build_factory(name, charges, eps, dm2, sin2_beta)
    factory.mixing = {"epsilon": eps, "delta_m2": dm2, "tan_beta": tan_beta}
    return factory


def factory_charges(name: str, sm: SMParameters | None = None) -> U1Charges:
    """Charges of a named model (:func:`model_charges`), of a PDG Table 1 family point ``"FAMILY:x"`` or
    user-given ``"charges:Q,U,D,L,E"`` (:func:`~kinmix_stats.model.charges.parse_custom_charges`)."""
    from .model.charges import CUSTOM_PREFIX, parse_custom_charges

    if isinstance(name, str) and name.strip().lower().startswith(CUSTOM_PREFIX):
        return parse_custom_charges(name)[1]
    if isinstance(name, str) and ":" in name:
        return charge_family(*parse_family_point(name))
    return model_charges(name, sm)


class ZPrimeFactory:
    """The ``ModelFactory`` of :func:`zprime_factory` (a module-level class, so it pickles for Dask workers).

    ``factory(masses, g_z, width, sm)`` with ``g_z`` a scalar or an array broadcastable to the masses.
    ``sin2_beta`` (in [0, 1]) selects the Higgs-sector mixing (dM^2 and the doublets' m_X^2 share from g_z).
    """

    coupling = "g_z"
    array_coupling = True  # the coupling argument may be an array (one per mass): see likelihood.coupling

    def __init__(self, name: str, charges: U1Charges, eps: float, dm2: float, sin2_beta: float | None) -> None:
        if sin2_beta is not None:
            higgs_doublet_charges(charges)  # raises for the SSM and inconsistent charges
        self.name = name
        self.charges = charges
        self.eps = eps
        self.dm2 = dm2
        self.sin2_beta = sin2_beta
        self.__name__ = f"zprime_factory_{name}"
        self.mixing = {"epsilon": eps, "delta_m2": dm2, "tan_beta": None}

    def __repr__(self) -> str:
        return f"<{self.__name__} mixing={self.mixing}>"

    def __call__(self, masses, g_z, width, sm) -> ZPrime:
        charges, eps, sin2_beta = self.charges, self.eps, self.sin2_beta
        if np.ndim(g_z) == 0:
            g = float(g_z)
            if g == 0.0:
                return ZPrime(masses, 0.0, gx=0.0, charges=charges, width=width, sm=sm, on_invalid="mask")
            if sin2_beta is None:
                return ZPrime(masses, eps, gx=g, charges=charges, delta_m2=self.dm2, width=width, sm=sm, on_invalid="mask")
            dm = higgs_mass_mixing(g, charges, sin2_beta=sin2_beta, sm=sm)
            mxh2 = higgs_x_mass2(g, charges, sin2_beta=sin2_beta, sm=sm)
            return ZPrime(masses, eps, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask",
                          higgs_mass_terms=mxh2)
        # one g_z per mass: the same construction element-wise; g_z = 0 entries are the SM (no mixing)
        shape = np.shape(np.atleast_1d(np.asarray(masses, dtype=float)))
        g = check_finite_or_array("g_z", g_z, shape)
        off = g == 0.0
        any_off = bool(np.any(off))
        eps_arg = np.where(off, 0.0, eps) if any_off and eps != 0.0 else eps
        if sin2_beta is None:
            dm = np.where(off, 0.0, self.dm2) if any_off and self.dm2 != 0.0 else self.dm2
            return ZPrime(masses, eps_arg, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask")
        dm = higgs_mass_mixing(g, charges, sin2_beta=sin2_beta, sm=sm)  # exactly 0 where g_z = 0
        mxh2 = higgs_x_mass2(g, charges, sin2_beta=sin2_beta, sm=sm)
        return ZPrime(masses, eps_arg, gx=g, charges=charges, delta_m2=dm, width=width, sm=sm, on_invalid="mask",
                      higgs_mass_terms=mxh2)


def _build_factory(name: str, charges: U1Charges, eps: float, dm2: float, sin2_beta: float | None) -> ZPrimeFactory:
    """The factory of :func:`zprime_factory`; ``sin2_beta`` (in [0, 1]) selects the Higgs-sector mixing."""
    return ZPrimeFactory(name, charges, eps, dm2, sin2_beta)


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
    kinetic and mass mixing exactly as in :func:`zprime_factory`: the couplings are those of the
    physical Z' eigenstate and B(Z' -> e+e-) includes the WW and Zh widths that mixing opens.
    Also returned: ``br_ee`` and ``total_width_gev``. Raises ``ValueError`` if no Z'-like state of
    this mass exists (mixing window around m_Z0).
    """
    g_z = nominal_gz(model_name) if g_z is None else float(g_z)
    factory = zprime_factory(model_name, epsilon=epsilon, delta_m2=delta_m2, tan_beta=tan_beta)
    model = factory(np.array([float(mass)]), g_z, width, SMParameters())
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


# ------------------------------------------------------------------------------------ likelihoods
def _datasets(which: str) -> tuple[str, ...]:
    check_choice("dataset selection", which, ("lep2", "ew"))
    names = tuple(available_datasets())
    drop = LOW_ENERGY_DATASETS if which == "lep2" else LEP2_DATASETS
    return tuple(n for n in names if n not in drop)


@lru_cache(maxsize=32)
def zprime_likelihood(name: str, which: str = "lep2") -> PrecisionLikelihood:
    """The precision likelihood for model ``name`` on the "lep2" (all) or "ew" (no LEP-II) datasets."""
    return PrecisionLikelihood(datasets=list(_datasets(which)), model_factory=zprime_factory(name))


def _signals(lik: PrecisionLikelihood, masses: np.ndarray, g_z: float, width) -> np.ndarray:
    delta, valid = lik.delta_th(masses, g_z, width)
    if not np.all(valid):
        raise ValueError(
            f"no Z'-like state for masses {masses[~valid].tolist()} GeV (inside the Z-Z' mixing window around m_Z0)"
        )
    return delta


def _with_factory(lik: PrecisionLikelihood, factory) -> PrecisionLikelihood:
    """``lik`` with another model factory (shallow copy: data, SM reference and templates are shared).

    Valid only for factories whose coupling-0 model is the SM (all factories of this module), so
    that the SM reference of ``lik`` is also theirs.
    """
    other = copy.copy(lik)
    other.model_factory = factory
    return other


def cls_scan(lik: PrecisionLikelihood, masses, g_z: float, width="narrow") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CLs(mu=1), Delta chi^2 vs SM, valid) for signals delta_th(M, g_z), exact at mu = 1.

    Masses with no Z'-like state (``valid`` False; Z-Z' mixing window around m_Z0) get NaN CLs and
    Delta chi^2: they are neither excluded nor allowed, and must be removed before
    :func:`mass_limit_from_grid` (which rejects NaN).
    """
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    delta, valid = lik.delta_th(masses, g_z, width)
    valid = np.asarray(valid, dtype=bool)
    cls = np.full(masses.size, np.nan)
    dchi2 = np.full(masses.size, np.nan)
    if np.any(valid):
        dv = delta[valid]
        fit = profile_fit_batch(lik.base_problem(), dv)
        c = np.ones(dv.shape[0])
        ok = np.isfinite(fit.sigma_mu)
        if np.any(ok):
            c[ok] = cls_qtilde(1.0, fit.mu_hat[ok], fit.sigma_mu[ok])[0]
        cls[valid] = c
        dchi2[valid] = lik.chi2_profiled(dv) - lik.chi2_profiled(np.zeros((1, dv.shape[1])))[0]
    return cls, dchi2, valid


def cls_at_nominal(lik: PrecisionLikelihood, masses, g_z: float, width="narrow") -> tuple[np.ndarray, np.ndarray]:
    """(CLs(mu=1), Delta chi^2 vs SM) for signals delta_th(M, g_z); raises if a mass has no Z'-like state."""
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    cls, dchi2, valid = cls_scan(lik, masses, g_z, width)
    if not np.all(valid):
        raise ValueError(
            f"no Z'-like state for masses {masses[~valid].tolist()} GeV (inside the Z-Z' mixing window around m_Z0); "
            "use cls_scan, which masks them"
        )
    return cls, dchi2


def mass_limit_from_grid(masses, stat, threshold: float, *, excluded_below: bool = True) -> float:
    """Smallest M such that every grid mass above M is allowed; NaN if nothing is excluded, inf if the top is.

    ``stat`` < ``threshold`` means excluded (CLs), or > with ``excluded_below=False`` (Delta chi^2).
    Between the last excluded and the next allowed point the crossing is interpolated linearly in
    (log M, log stat) for CLs and (log M, stat) for Delta chi^2. NaN in ``stat`` (e.g. a mass with
    no Z'-like state) is rejected: drop such masses explicitly first.
    """
    m = np.asarray(masses, dtype=float)
    s = np.asarray(stat, dtype=float)
    if np.any(np.isnan(s)):
        raise ValueError("stat contains NaN (masses with no Z'-like state?); remove them from the grid first")
    excl = s < threshold if excluded_below else s > threshold
    if not np.any(excl):
        return float("nan")
    k = int(np.flatnonzero(excl)[-1])
    if k == m.size - 1:
        return float("inf")
    if excluded_below:
        y0, y1, yt = math.log(max(s[k], 1e-300)), math.log(s[k + 1]), math.log(threshold)
    else:
        y0, y1, yt = s[k], s[k + 1], threshold
    t = (yt - y0) / (y1 - y0) if y1 != y0 else 0.0
    return float(math.exp(math.log(m[k]) + t * (math.log(m[k + 1]) - math.log(m[k]))))


def _limits_from_scan(grid: np.ndarray, cls: np.ndarray, dchi2: np.ndarray, valid: np.ndarray) -> dict:
    g, c, d = grid[valid], cls[valid], dchi2[valid]
    return {
        "cls": mass_limit_from_grid(g, c, 0.05) if g.size else float("nan"),
        "chi2": mass_limit_from_grid(g, d, 3.84, excluded_below=False) if g.size else float("nan"),
        "no_state_masses": grid[~valid],
    }


def mass_limits(
    name: str,
    which: str = "lep2",
    g_z: float | None = None,
    masses: ArrayLike | None = None,
    width="narrow",
    *,
    epsilon: float = 0.0,
    delta_m2: float = 0.0,
    tan_beta: float | None = None,
    sin2_beta: float | None = None,
) -> dict:
    """95% CL lower mass limits (GeV) of model ``name``: ``{"cls": ..., "chi2": ..., "no_state_masses": ...}``.

    Mixing options as in :func:`zprime_factory` (``sin2_beta`` in [0, 1] is an alternative to
    ``tan_beta`` that reaches the endpoints tan beta -> 0, inf). Grid masses with no Z'-like state
    (the mixing window around m_Z0) are removed from the grid before the limit is taken and
    returned in ``no_state_masses``; the limit is "every remaining grid mass above it is allowed".
    """
    g_z = nominal_gz(name) if g_z is None else float(g_z)
    grid = DEFAULT_MASS_GRID if masses is None else np.asarray(masses, dtype=float)
    lik = zprime_likelihood(name, which)
    if tan_beta is not None and sin2_beta is not None:
        raise ValueError("give tan_beta or sin2_beta, not both")
    if sin2_beta is not None:
        if delta_m2 != 0.0:
            raise ValueError(f"give either sin2_beta or a fixed delta_m2, not both (got delta_m2={delta_m2!r})")
        s2 = check_in_range("sin2_beta", sin2_beta, 0.0, 1.0)
        eps = check_in_range("epsilon", epsilon, -0.5 * math.pi, 0.5 * math.pi, low_inclusive=False, high_inclusive=False)
        lik = _with_factory(lik, _build_factory(name, model_charges(name), eps, 0.0, s2))
    elif epsilon != 0.0 or delta_m2 != 0.0 or tan_beta is not None:
        lik = _with_factory(lik, zprime_factory(name, epsilon=epsilon, delta_m2=delta_m2, tan_beta=tan_beta))
    return _limits_from_scan(grid, *cls_scan(lik, grid, g_z, width))


def _beta_samples(z_u: float, z_d: float, n: int) -> np.ndarray:
    """sin^2(beta) samples: n points uniform in [0, 1] (endpoints included) plus the z_eff = 0 point if inside."""
    s2 = list(np.linspace(0.0, 1.0, n))
    if not math.isclose(z_u, z_d, rel_tol=0.0, abs_tol=1e-12):
        zero = z_d / (z_d - z_u)
        if 0.0 < zero < 1.0 and not np.any(np.isclose(s2, zero, rtol=0.0, atol=1e-12)):
            s2.append(zero)
    return np.array(sorted(s2))


def ew_limits_higgs(name: str, masses: ArrayLike | None = None, n_beta: int = 21, width="narrow") -> dict:
    """Electroweak (no LEP-II) CLs mass limits with the rho0 = 1 Higgs-doublet Z-Z' mass mixing.

    tan(beta) = v_u/v_d is unknown, so z_eff = z_u sin^2(beta) + z_d cos^2(beta) is scanned over
    sin^2(beta) in [0, 1] (``n_beta`` uniform points including tan beta -> 0 and -> inf, plus the
    z_eff = 0 point if it lies inside; z_eff is linear in sin^2 beta, so this spans [min(z_u, z_d),
    max(z_u, z_d)]). Returns the no-mixing limit, the per-sample limits, and the WEAKEST (smallest;
    "none on the grid", NaN, counts as weakest) and strongest limits with their sin^2(beta) and
    tan(beta). The weakest is the conservative rho0 = 1 limit. Models whose doublets have equal charges
    (B-L, chi, R, q+xu) give the same limit for every sample. The SSM has no U(1)' charges: it gets
    dM^2 = 0 (``"higgs_mixing": False``), i.e. the no-mixing limit.
    """
    grid = DEFAULT_MASS_GRID if masses is None else np.asarray(masses, dtype=float)
    base = mass_limits(name, "ew", masses=grid, width=width)
    out = {"none": base, "higgs_mixing": name != "SSM"}
    if name == "SSM":
        out.update(samples=[], weakest=dict(base, sin2_beta=float("nan"), tan_beta=float("nan")),
                   strongest=dict(base, sin2_beta=float("nan"), tan_beta=float("nan")))
        return out
    z_u, z_d = higgs_doublet_charges(model_charges(name))
    same = math.isclose(z_u, z_d, rel_tol=0.0, abs_tol=1e-12)
    s2_grid = np.array([0.5]) if same else _beta_samples(z_u, z_d, n_beta)
    samples = []
    for s2 in s2_grid:
        lim = mass_limits(name, "ew", masses=grid, width=width, sin2_beta=float(s2))
        tb = math.inf if s2 >= 1.0 else math.sqrt(s2 / (1.0 - s2))
        samples.append(dict(lim, sin2_beta=float(s2), tan_beta=tb, z_eff=z_u * s2 + z_d * (1.0 - s2)))
    key = [(-math.inf if math.isnan(x["cls"]) else x["cls"]) for x in samples]
    out["samples"] = samples
    out["weakest"] = samples[int(np.argmin(key))]
    out["strongest"] = samples[int(np.argmax(key))]
    out["z_phi"] = (z_u, z_d)
    return out


def coupling_limits(name: str, masses, which: str = "lep2", g_ref: float = 0.05, width="narrow") -> np.ndarray:
    """95% CL CLs upper limits on g_z at ``masses``: mu = (g/g_ref)^2 with one re-linearisation step.

    First pass: signal at g_ref, mu95 -> g1 = g_ref sqrt(mu95). Second pass: signal at g1 (capped
    at 1.5, below the factory's |epsilon| < pi/2 guard), g = g1 sqrt(mu95').
    """
    lik = zprime_likelihood(name, which)
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    problem = lik.base_problem()
    g1 = g_ref * np.sqrt(cls_limits_batch(problem, _signals(lik, masses, g_ref, width)).observed_mu)
    out = np.full(masses.size, np.nan)
    for i, (m, g_lin) in enumerate(zip(masses, g1, strict=True)):
        if not np.isfinite(g_lin):
            continue
        g = min(float(g_lin), 1.5)
        mu = cls_limits_batch(problem, _signals(lik, np.array([m]), g, width)).observed_mu[0]
        out[i] = g * math.sqrt(mu)
    return out


# ------------------------------------------------------------------------------------ table
_E6_RULE = "E6/SO(10) unification: sqrt(5/3) g' |k|, k from Langacker's GUT-normalised charges (arXiv:0801.1345)"
_BENCHMARK_RULE = "benchmark sqrt(5/3) g' (no unification condition in PDG Table 2)"
#: how :func:`nominal_gz` fixes g_z for each named model
G_Z_RULE = {
    "B-L": _BENCHMARK_RULE, "chi": _E6_RULE, "psi": _E6_RULE, "eta": _E6_RULE, "R": _BENCHMARK_RULE,
    "I": _BENCHMARK_RULE, "SSM": "g / cos(theta_W): couplings of the SM Z",
}
PDG_TABLE2_SOURCE = "M.-C. Chen, B. A. Dobrescu, S. Willocq, PDG review 'Z'-boson searches' (rev. Jan. 2016), Table 2"


def _json_number(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 1)


def zprime_limits(out_dir, masses: Sequence[float] | None = None) -> Path:
    """Write ``out_dir/zprime_limits.csv`` (columns ``CSV_COLUMNS``; CLs limits; empty = none on the grid)
    and ``out_dir/zprime_limits.json`` (the same limits with their provenance: datasets, mixing treatment,
    tan(beta) of the weakest electroweak limit, grid, PDG Table 2 values, catalogue hash, versions).
    Returns the CSV path. Each file is written atomically (complete or not at all)."""
    import platform

    import scipy

    from . import __version__
    from .io.atomic import atomic_write_text, check_output_dir
    from .results import canonical_json

    out = check_output_dir(out_dir, is_dir=True)
    grid = DEFAULT_MASS_GRID if masses is None else as_positive_array("masses", masses, unit="GeV")
    entries = []
    for name in MODELS:
        ew_all = ew_limits_higgs(name, masses=grid)
        ew = ew_all["weakest"]
        entries.append({
            "model": name,
            "g_z": nominal_gz(name),
            "g_z_rule": G_Z_RULE[name],
            "lep2_mass_limit_gev": _json_number(mass_limits(name, "lep2", masses=grid)["cls"]),
            "ew_mass_limit_gev": _json_number(ew["cls"]),
            "ew_higgs_mixing": bool(ew_all["higgs_mixing"]),
            "ew_weakest_tan_beta": None if not math.isfinite(ew["tan_beta"]) else float(ew["tan_beta"]),
            "ew_strongest_mass_limit_gev": _json_number(ew_all["strongest"]["cls"]),
            "pdg_table2": PDG_TABLE2.get(name),
        })
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:  # the CSV is the JSON's first columns: g_z to 6 decimals, limits to 0.1 GeV, "" for none
        writer.writerow([e["model"], f"{e['g_z']:.6f}"] + ["" if e[c] is None else f"{e[c]:.1f}" for c in CSV_COLUMNS[2:]])
    lep2_like, ew_like = zprime_likelihood("chi", "lep2"), zprime_likelihood("chi", "ew")
    doc = {
        "format": "kinmix_stats.zprime_limits",
        "format_version": 1,
        "confidence_level": 0.95,
        "method": "asymptotic CLs (q~_mu, arXiv:1007.1727) at the nominal g_z, excluded if CLs < 0.05; limit = smallest "
                  "grid mass with every grid mass above it allowed (log CLs interpolated in log M); null = no grid mass excluded",
        "mass_grid_gev": {"min": float(grid.min()), "max": float(grid.max()), "n": int(grid.size)},
        "lep2": {"datasets": [d.name for d in lep2_like.catalogue.datasets], "mixing": "none (as the LEP analyses)"},
        "electroweak": {
            "datasets": [d.name for d in ew_like.catalogue.datasets],
            "mixing": "rho0 = 1 Higgs-doublet Z-Z' mass mixing (kinmix_stats.model.higgs_mixing), weakest limit over "
                      "tan(beta) (21 sin^2 beta points and the z_eff = 0 point); the SSM has no U(1)' charges: no mixing",
        },
        "models": entries,
        "pdg_table2_source": PDG_TABLE2_SOURCE,
        "metadata": {
            "package": "kinmix_stats",
            "package_version": __version__,
            "python": platform.python_version(),
            "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
            "catalogue_hash": lep2_like.catalogue.catalogue_hash(),
            "beam_spread_rel": lep2_like.beam_spread_rel,
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    path = atomic_write_text(out / "zprime_limits.csv", buf.getvalue())
    atomic_write_text(out / "zprime_limits.json", json.dumps(canonical_json(doc, "zprime_limits"), indent=1, allow_nan=False) + "\n")
    return path
