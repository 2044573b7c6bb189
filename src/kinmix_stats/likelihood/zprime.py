"""Mass and coupling limits on the named Z' models of the PDG review (issue "General Z' models").

Source: M.-C. Chen, B. A. Dobrescu, S. Willocq, "Z'-boson searches", PDG review (rev. Jan. 2016). The models
(charges, nominal g_z, mixing) are in :mod:`kinmix_stats.model.zprime`; :class:`ZPrimeFactory` makes one of
them the ``model_factory`` of a :class:`~kinmix_stats.likelihood.precision.PrecisionLikelihood` whose coupling
argument is g_z.

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
import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from .._checks import check_choice, check_in_range
from ..inputs.sm import SMParameters
from ..measurements import available_datasets
from ..model.charges import U1Charges
from ..model.higgs_mixing import higgs_doublet_charges
from ..model.vector_boson import ZPrime
from ..model.zprime import factory_charges, fixed_mixing, model_charges, nominal_gz, zprime_at
from .closed_form import cls_limits
from .cls import cls_qtilde
from .coupling import G_Z_CAP
from .gaussian import profile_fit_batch
from .precision import PrecisionLikelihood

__all__ = [
    "DEFAULT_MASS_GRID",
    "LEP2_DATASETS",
    "LOW_ENERGY_DATASETS",
    "ZPrimeFactory",
    "cls_at_nominal",
    "cls_scan",
    "coupling_limits",
    "ew_limits_higgs",
    "limits_from_scan",
    "mass_limit_from_grid",
    "mass_limits",
    "with_factory",
    "zprime_datasets",
    "zprime_factory",
    "zprime_likelihood",
]

LEP2_DATASETS = ("lep2_ffbar", "lep2_bhabha")
#: low-energy neutral-current datasets: in the "electroweak" column only (the PDG's LEP-II column uses no such data)
LOW_ENERGY_DATASETS = ("apv_cesium", "qweak_proton")
DEFAULT_MASS_GRID = np.geomspace(100.0, 5000.0, 121)


# ------------------------------------------------------------------------------------ model factory
def zprime_factory(
    name: str,
    sm_ref: SMParameters | None = None,
    *,
    epsilon: float = 0.0,
    delta_m2: float = 0.0,
    tan_beta: float | None = None,
) -> ZPrimeFactory:
    """A ``ModelFactory`` for model ``name`` whose "epsilon" (coupling) argument is the gauge coupling g_z.

    ``name``: a named model (:data:`~kinmix_stats.model.zprime.MODELS`), a point ``FAMILY:x`` of a PDG Table 1
    family (:data:`~kinmix_stats.model.charges.FAMILIES`, case-insensitive, x a finite number, e.g. ``"B-xL:3"``;
    charges :func:`~kinmix_stats.model.charges.charge_family`) or ``"charges:Q,U,D,L,E"``.
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
    eps, dm2, sin2_beta = fixed_mixing(epsilon, delta_m2, tan_beta)
    factory = ZPrimeFactory(name, charges, eps, dm2, sin2_beta)
    factory.mixing = {"epsilon": eps, "delta_m2": dm2, "tan_beta": None if tan_beta is None else float(tan_beta)}
    return factory


class ZPrimeFactory:
    """The ``ModelFactory`` of :func:`zprime_factory` (a module-level class, so it pickles for Dask workers).

    ``factory(masses, g_z, width, sm)`` with ``g_z`` a scalar or an array broadcastable to the masses
    (:func:`~kinmix_stats.model.zprime.zprime_at`). ``sin2_beta`` (in [0, 1]) selects the Higgs-sector mixing
    (dM^2 and the doublets' m_X^2 share from g_z).
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
        return zprime_at(masses, g_z, self.charges, epsilon=self.eps, delta_m2=self.dm2, sin2_beta=self.sin2_beta,
                         width=width, sm=sm)


# ------------------------------------------------------------------------------------ likelihoods
def zprime_datasets(which: str) -> tuple[str, ...]:
    """Dataset names of the "lep2" (all but the low-energy ones) or "ew" (all but LEP-II) likelihood."""
    check_choice("dataset selection", which, ("lep2", "ew"))
    names = tuple(available_datasets())
    drop = LOW_ENERGY_DATASETS if which == "lep2" else LEP2_DATASETS
    return tuple(n for n in names if n not in drop)


@lru_cache(maxsize=32)
def zprime_likelihood(name: str, which: str = "lep2") -> PrecisionLikelihood:
    """The precision likelihood for model ``name`` on the "lep2" (all) or "ew" (no LEP-II) datasets."""
    return PrecisionLikelihood(datasets=list(zprime_datasets(which)), model_factory=zprime_factory(name))


def with_factory(lik: PrecisionLikelihood, factory) -> PrecisionLikelihood:
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


def limits_from_scan(grid: np.ndarray, cls: np.ndarray, dchi2: np.ndarray, valid: np.ndarray) -> dict:
    """Mass limits ``{"cls", "chi2", "no_state_masses"}`` from a :func:`cls_scan` over ``grid`` (no-state masses dropped)."""
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
        lik = with_factory(lik, ZPrimeFactory(name, model_charges(name), eps, 0.0, s2))
    elif epsilon != 0.0 or delta_m2 != 0.0 or tan_beta is not None:
        lik = with_factory(lik, zprime_factory(name, epsilon=epsilon, delta_m2=delta_m2, tan_beta=tan_beta))
    return limits_from_scan(grid, *cls_scan(lik, grid, g_z, width))


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
    """95% CL CLs upper limits on g_z at ``masses`` on the "lep2" or "ew" datasets: the observed limits of
    :func:`~kinmix_stats.likelihood.closed_form.cls_limits` (mu = (g/g_ref)^2, re-linearised from ``g_ref``).

    NaN where no limit exists below :data:`~kinmix_stats.likelihood.coupling.G_Z_CAP` (the observed limit
    reaches the cap) or the limit would lie on the edge of the Z0 window: ``cls_limits`` returns the cap or
    the edge there with a status saying so, and this plain array cannot carry the status.
    """
    lik = zprime_likelihood(name, which)
    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    res = cls_limits(lik, masses, width, eps_start=g_ref)
    observed = np.atleast_1d(np.asarray(res.limit_observed, dtype=float))
    status = np.atleast_1d(np.asarray(res.status, dtype=object))
    at_edge = np.array([str(s).startswith("limit reaches the Z0 window edge") for s in status], dtype=bool)
    return np.where((observed >= 0.999 * G_Z_CAP) | at_edge, np.nan, observed)
