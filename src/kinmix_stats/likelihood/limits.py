"""95% CL upper limits on eps from the precision likelihood: CLs (pyhf-compatible linear Gaussian
model, re-linearised) and the chi^2 of Hook, Izaguirre, Wacker (arXiv:1006.0973 Eqs. 17-19).

CLs (README, "Statistics")
--------------------------
The signal sample is delta_th at a reference eps_ref with POI mu = eps^2/eps_ref^2 (the leading
effect is proportional to eps^2). The model is exactly linear in mu only at mu = 0 and mu = 1, so the
limit is re-linearised: eps_ref <- eps95 = eps_ref sqrt(mu95) until eps95 changes by less than
``rtol`` (1 %) -- a secant through eps = 0 and eps_ref. This is done separately for the observed
limit and for each of the five expected quantiles, vectorised over all masses (one batch of
predictions per iteration). The CLs values use the q~_mu asymptotic formulae
(:mod:`~kinmix_stats.likelihood.cls`).

Near m_Z0 a Z'-like state of mass m exists only for |tan eps| < |m^2 - m_Z0^2| / (m_Z0^2 s_W); if
the limit would lie beyond that edge, the edge is reported with a status saying so.

Other couplings (Z' models)
---------------------------
With a ``model_factory`` other than the dark photon's (e.g.
:func:`kinmix_stats.zprime_limits.zprime_factory`), the coupling argument of the factory is the
U(1)' gauge coupling g_z and the same machinery gives limits on it: POI mu = (g_z/g_ref)^2, start
g_ref = 0.1, largest reported limit :data:`G_Z_CAP`. Without mixing no window exists (the Z' mass
does not mix with m_Z0 at tree level, apart from the degenerate point m_Z' = m_Z0 itself); with kinetic
or Z-Z' mass mixing the edge is read from the factory's validity mask (:func:`coupling_window`).
The dark-photon factory and every factory with ``array_coupling = True`` (``zprime_factory``, hence
every ``ModelSpec``) take one coupling per mass, so each re-linearisation step, chi^2 grid or
window bisection is ONE vectorised model evaluation over all masses. A user factory without that
attribute (a ``ModelFactory`` typed with a scalar coupling) is still supported: it is evaluated once
per distinct coupling (:func:`coupling_delta_th`), which costs one model build per mass in a scan.

chi^2 (arXiv:1006.0973 Eqs. 17-19)
---------------------------------
Exact non-linear residuals on a grid of eps, chi^2 profiled over (alpha, sin^2 theta_W), and the bound
where Delta chi^2 = chi^2(eps) - chi^2(0) reaches 3.84. The filter of Eq. 19 (expected significance
E = |delta_th|/sigma-hat > E_min = 0.5) is read as: a measurement below E_min carries no signal
(its delta_th is set to 0) but still enters the fit of the SM parameters. Dropping it from the chi^2
altogether would, at a resonance where a single measurement passes the filter, let the two free SM
parameters absorb that measurement exactly (Delta chi^2 = 0 for every eps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._checks import as_positive_array, check_choice, check_in_range
from ..model.dark_sector import DarkWidthSpec, parse_width
from ..model.vector_boson import EPSILON_MAX
from ..observables.two_state import OVERLAP_FACTOR, PoleOverlap, pole_overlap
from .cls import cls_limits_batch
from .precision import PrecisionLikelihood, dark_photon_factory

__all__ = [
    "LimitResult",
    "cls_limits",
    "chi2_limits",
    "upper_limit",
    "window_epsilon",
    "coupling_window",
    "coupling_delta_th",
    "likelihood_coupling",
    "accepts_array_couplings",
    "DELTA_CHI2_95",
    "lep1_spread",
    "pole_overlap_at",
    "E_MIN",
    "EPS_CAP",
    "G_Z_CAP",
]

DELTA_CHI2_95 = 3.84  # one parameter, 95% CL (arXiv:1006.0973, Results)
E_MIN = 0.5  # arXiv:1006.0973 Eq. 19
EPS_CAP = 1.0  # largest eps we report a limit for (|sin eps| = 0.84)
#: largest g_z we report a limit for: below the |coupling| < pi/2 guard of the likelihood (g_z^2/4pi = 0.18)
G_Z_CAP = 1.5
_CAP = {"epsilon": EPS_CAP, "g_z": G_Z_CAP}
_START = {"epsilon": 0.03, "g_z": 0.1}
_SYMBOL = {"epsilon": "eps", "g_z": "g_z"}
_FLOOR = 1e-6  # smallest linearisation point of the CLs iteration
#: engine of "cls" and "chi2" results: numpy/scipy linear algebra, no fitting library
CLOSED_FORM_ENGINE = {"engine": "closed form", "algorithm": "linear Gaussian profile (generalised least squares), numpy/scipy"}
#: accepted values of ``method`` in :func:`upper_limit`
METHODS = ("cls", "chi2", "exact", "pyhf")


def likelihood_coupling(likelihood: PrecisionLikelihood) -> str:
    """What the coupling argument of ``likelihood``'s model factory is: "epsilon" (dark photon) or "g_z".

    A factory may say so itself with a ``coupling`` attribute; any factory other than the dark
    photon's is otherwise taken to be a Z' model whose coupling argument is g_z.
    """
    factory = likelihood.model_factory
    if factory is dark_photon_factory:
        return "epsilon"
    coupling = getattr(factory, "coupling", "g_z")
    check_choice("model factory coupling", coupling, tuple(_CAP))
    return coupling


def accepts_array_couplings(factory) -> bool:
    """True if ``factory`` takes one coupling per mass (an array): the dark photon's, or ``array_coupling = True``."""
    return factory is dark_photon_factory or bool(getattr(factory, "array_coupling", False))


def _array_couplings(likelihood: PrecisionLikelihood) -> bool:
    return accepts_array_couplings(likelihood.model_factory)


def coupling_delta_th(likelihood: PrecisionLikelihood, masses, couplings, width) -> tuple[np.ndarray, np.ndarray]:
    """``likelihood.delta_th`` for one coupling per mass, whatever the factory accepts.

    The dark-photon factory (or one with ``array_coupling = True``) gets the arrays in one call; any
    other (fallback for scalar-only user factories) is called once per distinct coupling with the
    masses that share it (rows in input order).
    """
    masses = np.asarray(masses, dtype=float)
    couplings = np.broadcast_to(np.asarray(couplings, dtype=float), masses.shape)
    if _array_couplings(likelihood):
        return likelihood.delta_th(masses, couplings, width)
    delta = np.full((masses.size, len(likelihood.names)), np.nan)
    valid = np.zeros(masses.size, dtype=bool)
    for c in np.unique(couplings):
        rows = np.flatnonzero(couplings == c)
        d, v = likelihood.delta_th(masses[rows], float(c), width)
        delta[rows] = d
        valid[rows] = v
    return delta, valid


@dataclass(frozen=True, eq=False)
class LimitResult:
    """95% CL upper limits on a coupling at a set of masses (cabinetry ``LimitResults`` style).

    Read the limits through the coupling-neutral names :attr:`limit_observed`, :attr:`limit_expected`,
    :attr:`expected_band` and :attr:`coupling` (``"epsilon"``: Hook's eps of a dark photon; ``"g_z"``: the
    U(1)' gauge coupling of a Z' model). The stored ``epsilon_*`` fields are the same numbers under their
    historical names (kept so existing code and constructor calls work).

    Scalar in, scalar out: :func:`upper_limit` with a scalar mass returns a result whose per-mass fields are
    scalars (``float(res.limit_observed)``), ``expected_band`` of shape (5,), ``status`` a ``str``
    (see :meth:`squeeze`); with an array of masses every per-mass field has a leading axis (M,).

    Attributes
    ----------
    mass: (M,) physical Z' masses in GeV.
    width: the width hypothesis.
    method: "cls", "chi2", "exact" or "pyhf".
    coupling: what the limits are on: "epsilon" (Hook's eps, dark photon) or "g_z" (Z' model).
    epsilon_observed: (M,) observed 95% CL limits (= :attr:`limit_observed`).
    epsilon_expected: (M,) median expected limits (= :attr:`limit_expected`; CLs only, NaN for chi2).
    expected_band: (M, 5) expected limits at -2, -1, 0, +1, +2 sigma (CLs only).
    mu_observed, mu_expected: limits on mu = c^2/c_ref^2 at the final reference coupling c_ref (CLs only).
    epsilon_ref: (M, 6) final linearisation points (observed, then the five expected) (= :attr:`limit_ref`).
    iterations: number of re-linearisation steps used.
    status: per mass, "ok" or the reason a limit is capped or missing.
    dominant: per mass, the measurements with the largest expected significance at the limit.
    engine: what computed the numbers: {"engine": "closed form", ...} for "cls"/"chi2"; for "exact"
        {"engine": "iminuit", "version": ..., "algorithm": ...} (:mod:`~kinmix_stats.likelihood.exact`); for "pyhf"
        {"engine": "pyhf", "version": ..., "optimizer": ..., "optimizer_version": ...} (:mod:`~kinmix_stats.likelihood.pyhf_engine`).
    diagnostics: per mass, fit details of "exact" (eps_hat^2 with its hesse error, Minuit fits, calls).
    """

    # per-mass fields: arrays with a leading (M,) axis, or scalars / one row for a scalar result (squeeze)
    mass: np.ndarray | float
    width: Any
    method: str
    epsilon_observed: np.ndarray | float
    epsilon_expected: np.ndarray | float
    expected_band: np.ndarray
    mu_observed: np.ndarray | float
    mu_expected: np.ndarray
    epsilon_ref: np.ndarray
    iterations: int
    status: tuple[str, ...] | str
    dominant: tuple[Any, ...] = ()
    likelihood: PrecisionLikelihood | None = field(default=None, repr=False)
    coupling: str = "epsilon"
    engine: dict[str, str] = field(default_factory=lambda: dict(CLOSED_FORM_ENGINE))
    diagnostics: Any = field(default=(), repr=False)  # tuple of per-mass dicts; one dict for a scalar result

    # ------------------------------------------------------------ coupling-neutral names
    @property
    def limit_observed(self) -> Any:
        """Observed 95% CL upper limit on :attr:`coupling` (float for a scalar result, else (M,))."""
        return self.epsilon_observed

    @property
    def limit_expected(self) -> Any:
        """Median expected limit on :attr:`coupling` (CLs; NaN for chi2)."""
        return self.epsilon_expected

    @property
    def limit_ref(self) -> Any:
        """Final reference couplings of the re-linearisation (observed, then the five expected)."""
        return self.epsilon_ref

    @property
    def is_scalar(self) -> bool:
        """True for the result of a scalar mass (per-mass fields are scalars)."""
        return np.ndim(self.mass) == 0

    def squeeze(self) -> LimitResult:
        """The result of a single mass with scalar per-mass fields (``ValueError`` for several masses)."""
        if self.is_scalar:
            return self
        n = np.size(self.mass)
        if n != 1:
            raise ValueError(f"squeeze needs a result of exactly one mass, this one has {n}")
        return replace(
            self,
            mass=float(np.ravel(self.mass)[0]),
            epsilon_observed=float(np.ravel(self.epsilon_observed)[0]),
            epsilon_expected=float(np.ravel(self.epsilon_expected)[0]),
            expected_band=np.asarray(self.expected_band)[0],
            mu_observed=float(np.ravel(self.mu_observed)[0]),
            mu_expected=np.asarray(self.mu_expected)[0],
            epsilon_ref=np.asarray(self.epsilon_ref)[0],
            status=self.status[0],
            dominant=self.dominant[0] if self.dominant else (),
            diagnostics=self.diagnostics[0] if self.diagnostics else {},
        )

    def _as_batch(self) -> LimitResult:
        """Inverse of :meth:`squeeze`: per-mass fields with a leading axis of length 1."""
        return replace(
            self,
            mass=np.atleast_1d(self.mass),
            epsilon_observed=np.atleast_1d(self.epsilon_observed),
            epsilon_expected=np.atleast_1d(self.epsilon_expected),
            expected_band=np.atleast_2d(self.expected_band),
            mu_observed=np.atleast_1d(self.mu_observed),
            mu_expected=np.atleast_2d(self.mu_expected),
            epsilon_ref=np.atleast_2d(self.epsilon_ref),
            status=(str(self.status),),
            dominant=(self.dominant,),
            diagnostics=(self.diagnostics,) if self.diagnostics else (),
        )

    def __repr__(self) -> str:
        head = f"LimitResult(method={self.method!r}, coupling={self.coupling!r}, width={self.width!r}, "
        if self.is_scalar:
            return (
                head + f"mass={self.mass:g} GeV, limit_observed={self.limit_observed:.4g}, "
                f"limit_expected={self.limit_expected:.4g}, status={self.status!r})"
            )
        mass = np.atleast_1d(self.mass)
        obs = np.asarray(self.limit_observed, dtype=float)
        finite = obs[np.isfinite(obs)]
        span = f"{finite.min():.3g}..{finite.max():.3g}" if finite.size else "none finite"
        n_ok = sum(s == "ok" for s in self.status)
        where = f"{mass.min():g}..{mass.max():g} GeV" if mass.size else "no mass"
        return head + f"{mass.size} masses {where}, limit_observed {span}, {n_ok}/{mass.size} ok)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN -> ``None``), one list entry per mass; what ``kinmix limit --json`` prints.

        Keys: ``mass_gev, width, method, coupling, epsilon_observed, epsilon_expected, expected_band``
        (per mass the limits at -2, -1, 0, +1, +2 sigma), ``mu_observed, mu_expected, epsilon_ref, iterations,
        status, dominant`` (per mass ``[[measurement, expected significance], ...]``), ``engine`` (what computed
        the numbers). ``epsilon_*`` hold g_z
        for a Z'-model likelihood (``coupling == "g_z"``).
        """
        from ..scan import width_label  # lazy: scan imports this module

        if self.is_scalar:  # one entry per mass also for a scalar result
            return self._as_batch().to_dict()

        def clean(a: Any) -> Any:
            arr = np.asarray(a, dtype=float)
            return [clean(x) for x in arr] if arr.ndim > 1 else [None if np.isnan(v) else float(v) for v in arr.tolist()]

        return {
            "mass_gev": clean(self.mass),
            "width": width_label(self.width),
            "method": self.method,
            "coupling": self.coupling,
            "epsilon_observed": clean(self.epsilon_observed),
            "epsilon_expected": clean(self.epsilon_expected),
            "expected_band": clean(self.expected_band),
            "mu_observed": clean(self.mu_observed),
            "mu_expected": clean(self.mu_expected),
            "epsilon_ref": clean(self.epsilon_ref),
            "iterations": int(self.iterations),
            "status": list(self.status),
            "dominant": [[[str(m), float(e)] for m, e in d] for d in self.dominant],
            "engine": dict(self.engine),
        }

    def to_dataframe(self):
        """One row per mass (``pandas.DataFrame``): mass, observed and expected limits, the band, status.

        pandas is optional: without it this raises ``ImportError`` saying so (:meth:`to_dict` needs nothing).
        """
        pd = _pandas("LimitResult.to_dataframe")
        band = np.asarray(self.expected_band, dtype=float).reshape(len(self.mass), -1)
        cols: dict[str, Any] = {"mass_gev": np.asarray(self.mass, dtype=float),
                                "epsilon_observed": self.epsilon_observed, "epsilon_expected": self.epsilon_expected}
        if band.shape[1] == 5:
            for k, n in enumerate(("m2", "m1", "median", "p1", "p2")):
                cols[f"expected_{n}"] = band[:, k]
        cols["status"] = list(self.status)
        df = pd.DataFrame(cols)
        df.attrs.update({"method": self.method, "coupling": self.coupling})
        return df

    def workspace(self, i: int = 0):
        """The pyhf workspace of hypothesis ``i`` (signal at the observed eps_ref), as the export writes it."""
        from .whitened import hypothesis_workspace

        mass = np.atleast_1d(self.mass)
        ref = np.atleast_2d(self.epsilon_ref)
        if self.likelihood is None or self.method not in ("cls", "pyhf") or not np.isfinite(ref[i, 0]):
            raise ValueError("a workspace exists only for CLs/pyhf results with a linearisation point and a likelihood")
        delta, _ = coupling_delta_th(self.likelihood, mass[i : i + 1], np.array([float(ref[i, 0])]), self.width)
        return hypothesis_workspace(self.likelihood.base_problem(), delta[0])[0]


def window_epsilon(likelihood: PrecisionLikelihood, masses: np.ndarray) -> np.ndarray:
    """Largest eps for which a Z'-like state of physical mass m exists (pure kinetic mixing)."""
    sm = likelihood.sm
    t = np.abs(masses**2 - sm.mz0**2) / (sm.mz0**2 * sm.sw)
    return np.minimum(np.arctan(t), EPSILON_MAX * 0.999)


def _factory_valid(likelihood: PrecisionLikelihood, masses: np.ndarray, couplings: np.ndarray) -> np.ndarray:
    if _array_couplings(likelihood):
        model = likelihood.model_factory(masses, np.asarray(couplings, dtype=float), "narrow", likelihood.sm)
        return np.asarray(model.valid, dtype=bool).copy()
    out = np.zeros(masses.size, dtype=bool)
    for c in np.unique(couplings):
        rows = np.flatnonzero(couplings == c)
        model = likelihood.model_factory(masses[rows], float(c), "narrow", likelihood.sm)
        out[rows] = np.asarray(model.valid, dtype=bool)
    return out


def coupling_window(
    likelihood: PrecisionLikelihood, masses, cap: float | None = None, *, smallest: float = 1e-9, rtol: float = 1e-4
) -> np.ndarray:
    """Largest coupling (up to ``cap``) for which a Z'-like state of each physical mass exists.

    Dark photon: :func:`window_epsilon` (closed form, then capped). Other factories: read from the
    factory's validity mask, which already knows every mixing the model has (kinetic mixing, fixed dM^2,
    or dM^2 from the Higgs sector growing with g_z). 0 where no state exists even at the ``smallest``
    coupling (inside a window that the fixed mixing opens around m_Z0 whatever g_z is); ``cap`` where
    the state exists up to ``cap``; otherwise the edge is bisected (in log) to ``rtol``, assuming the
    state exists for every coupling below the edge. Without mixing this is ``cap`` at every mass
    except the degenerate point m_Z' = m_Z0 itself.
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    coupling = likelihood_coupling(likelihood)
    cap = _CAP[coupling] if cap is None else float(cap)
    if likelihood.model_factory is dark_photon_factory:
        return np.minimum(window_epsilon(likelihood, masses), cap)
    n = masses.size
    ok_low = _factory_valid(likelihood, masses, np.full(n, smallest))
    ok_cap = _factory_valid(likelihood, masses, np.full(n, cap))
    edge = np.where(ok_cap & ok_low, cap, 0.0)
    todo = np.flatnonzero(ok_low & ~ok_cap)
    if todo.size:
        lo = np.full(todo.size, smallest)
        hi = np.full(todo.size, cap)
        steps = math.ceil(math.log2(math.log(cap / smallest) / rtol)) + 1
        for _ in range(steps):
            mid = np.sqrt(lo * hi)
            good = _factory_valid(likelihood, masses[todo], mid)
            lo = np.where(good, mid, lo)
            hi = np.where(good, hi, mid)
        edge[todo] = lo
    return edge


def _dominant(likelihood: PrecisionLikelihood, delta: np.ndarray, n: int = 3):
    sig = np.sqrt(np.diag(likelihood.residuals.covariance))
    out = []
    for row in np.atleast_2d(delta):
        e = np.abs(row) / sig
        e = np.where(np.isfinite(e), e, -1)
        top = np.argsort(e)[::-1][:n]
        out.append(tuple((likelihood.names[j], float(e[j])) for j in top if e[j] > 0))
    return tuple(out)


def _secant_proposal(g_ref: np.ndarray, mu: np.ndarray, fallback: np.ndarray, history: dict) -> np.ndarray:
    """Next linearisation point of a g_z limit: secant root of log mu95 in log g_ref.

    The eps update g_ref sqrt(mu95) is exact for a signal ~ g^2 (dark photon) but oscillates for
    signal ~ g^4 and diverges for steeper growth, which a Z' with SM charges shows where its |Z'|^2
    term dominates (e.g. the psi model at 40 GeV). The secant on (log g, log mu95) is exact for any
    power law. Its first step, non-finite points and a non-decreasing mu95 use ``fallback``; a step is
    limited to a factor 10.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x, h = np.log(g_ref), np.log(mu)
        prev_x, prev_h = history.get("x"), history.get("h")
        out = fallback
        if prev_x is not None:
            slope = (h - prev_h) / (x - prev_x)
            ok = np.isfinite(slope) & (slope < 0) & np.isfinite(h)
            step = np.clip(-h / np.where(ok, slope, -1.0), -math.log(10.0), math.log(10.0))
            out = np.where(ok, np.exp(x + step), fallback)
    history["x"], history["h"] = x, h
    return out


def _pandas(where: str):
    """Import pandas for ``to_dataframe``; a clear ImportError if it is not installed (it is optional)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(f"{where} needs pandas, which is optional and not installed (pip install pandas); "
                          "to_dict() gives the same content without it") from None
    return pd


def cls_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    eps_start: float | None = None,
    rtol: float = 0.01,
    max_iter: int = 12,
    cl: float = 0.95,
    pole_overlap_check: bool = True,
) -> LimitResult:
    """Observed and expected CLs limits on eps for every mass, re-linearised until stable to ``rtol``.

    For a Z'-model likelihood (:func:`likelihood_coupling` "g_z") the limits are on g_z. ``eps_start``
    is the first linearisation point (default 0.03 for eps, 0.1 for g_z). ``pole_overlap_check=False``
    skips the two-state check at m_Z (:func:`_resolve_pole_overlap`; only for comparisons with the old treatment).
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    coupling = likelihood_coupling(likelihood)
    cap_value, sym = _CAP[coupling], _SYMBOL[coupling]
    eps_start = _START[coupling] if eps_start is None else eps_start
    check_in_range("eps_start", eps_start, 0.0, cap_value, low_inclusive=False)
    check_in_range("rtol", rtol, 0.0, 0.5, low_inclusive=False)
    m = masses.size
    if coupling == "epsilon":
        edge = np.minimum(window_epsilon(likelihood, masses) * 0.999, EPS_CAP)
    else:
        edge = coupling_window(likelihood, masses, cap_value) * 0.999
        edge = np.where(edge >= cap_value * 0.999, cap_value, edge)
    eps_ref = np.minimum(np.full((m, 6), eps_start), edge[:, None])
    base = likelihood.base_problem()
    # g_z with a fixed kinetic or mass mixing: the mixing alone is a signal that does not vanish as
    # g_z -> 0. Where it is excluded on its own (mu95 < 1 already at the smallest coupling) every g_z is
    # excluded and no upper limit exists: NaN with a status, no iteration.
    floor_excluded = np.zeros((m, 6), dtype=bool)
    if coupling != "epsilon":
        d0, v0 = coupling_delta_th(likelihood, masses, np.full(m, _FLOOR), width)
        r0 = cls_limits_batch(base, np.where(v0[:, None], d0, 0.0), cl)
        mu0 = np.concatenate([r0.observed_mu[:, None], r0.expected_mu], axis=1)
        floor_excluded = v0[:, None] & (edge[:, None] > _FLOOR) & (mu0 < 1.0)
    mu = np.full((m, 6), np.nan)
    converged = np.zeros((m, 6), dtype=bool)
    capped = np.zeros((m, 6), dtype=bool)
    history: dict[str, np.ndarray] = {}
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        flat_mass = np.repeat(masses, 6)
        delta, valid = coupling_delta_th(likelihood, flat_mass, eps_ref.ravel(), width)
        delta = np.where(valid[:, None], delta, 0.0)
        res = cls_limits_batch(base, delta, cl)
        mu_all = np.where(valid, 0.0, np.nan)
        obs = res.observed_mu.reshape(m, 6)[:, 0]
        exp = res.expected_mu.reshape(m, 6, 5)
        mu = np.concatenate([obs[:, None], exp[np.arange(m)[:, None], np.arange(1, 6)[None, :], np.arange(5)[None, :]]], axis=1)
        mu = np.where(valid.reshape(m, 6), mu, np.nan) + mu_all.reshape(m, 6)
        with np.errstate(invalid="ignore"):  # masked points (no Z'-like state): NaN, the status says why
            eps_new = eps_ref * np.sqrt(mu)
        eps_new = np.where(np.isfinite(eps_new), eps_new, np.inf)
        capped = eps_new >= edge[:, None]
        converged = (np.abs(eps_new / eps_ref - 1.0) < rtol) | (capped & (eps_ref >= edge[:, None] * 0.999)) | floor_excluded
        eps_next = np.minimum(eps_new, edge[:, None])
        if coupling != "epsilon":
            eps_next = np.minimum(_secant_proposal(eps_ref, mu, eps_next, history), edge[:, None])
        if np.all(converged):
            break  # mu was computed at this eps_ref: keep the pair consistent
        eps_ref = np.where(converged, eps_ref, np.maximum(eps_next, _FLOOR))
    with np.errstate(invalid="ignore"):
        eps_final = np.where(capped, edge[:, None], eps_ref * np.sqrt(mu))
    no_sensitivity = ~np.isfinite(mu)  # sigma_mu = inf: the signal vanishes or the free SM parameters absorb it
    eps_final = np.where(no_sensitivity & (edge[:, None] > 1e-9), np.nan, eps_final)  # no limit; the status says why
    eps_final = np.where(edge[:, None] <= 1e-9, np.nan, eps_final)  # exactly at m_Z0: no Z'-like state for any eps
    eps_final = np.where(floor_excluded, np.nan, eps_final)
    status = []
    for i in range(m):
        if np.any(floor_excluded[i]):
            status.append(f"excluded for every {sym} >= {_FLOOR:g}: the fixed kinetic/mass mixing alone is excluded at this mass")
        elif np.all(converged[i]) and not np.any(capped[i]):
            status.append("ok")
        elif np.any(no_sensitivity[i]) and edge[i] > 1e-9:
            status.append("no sensitivity: the signal is absorbed by the profiled SM parameters (sigma_mu = inf)")
        elif coupling != "epsilon" and edge[i] <= 1e-9:
            status.append(f"no Z'-like state of this mass for any {sym}: degenerate with m_Z0 or inside the window of the fixed mixing")
        elif np.any(capped[i]) and edge[i] < cap_value * 0.999:
            status.append(f"limit reaches the Z0 window edge {sym}={edge[i]:.3g}: no Z'-like state of this mass above it")
        elif np.any(capped[i]):
            status.append(f"no sensitivity below {sym}={cap_value:g}")
        else:
            status.append(f"re-linearisation not converged to {rtol:g} after {max_iter} steps")
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(np.isfinite(eps_final[:, 0]), eps_final[:, 0], eps_ref[:, 0]), width)
    result = LimitResult(
        mass=masses,
        width=width,
        method="cls",
        epsilon_observed=eps_final[:, 0],
        epsilon_expected=eps_final[:, 3],
        expected_band=eps_final[:, 1:],
        mu_observed=mu[:, 0],
        mu_expected=mu[:, 1:],
        epsilon_ref=eps_ref,
        iterations=iterations,
        status=tuple(status),
        dominant=_dominant(likelihood, delta_obs),
        likelihood=likelihood,
        coupling=coupling,
    )
    if not pole_overlap_check:
        return result
    return _resolve_pole_overlap(
        likelihood, result, lambda like, m: cls_limits(like, m, width, eps_start=eps_start, rtol=rtol, max_iter=max_iter, cl=cl)
    )


def chi2_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    e_min: float | None = E_MIN,
    eps_grid: np.ndarray | None = None,
    delta_chi2: float = DELTA_CHI2_95,
    n_bisect: int = 12,
    pole_overlap_check: bool = True,
) -> LimitResult:
    """Hook et al.'s chi^2 bound (Eqs. 17-19) on exact non-linear residuals; ``e_min=None`` disables Eq. 19.

    For a Z'-model likelihood the bound is on g_z (grid up to :data:`G_Z_CAP`). ``pole_overlap_check`` as in
    :func:`cls_limits`.
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    coupling = likelihood_coupling(likelihood)
    cap_value, sym = _CAP[coupling], _SYMBOL[coupling]
    grid = np.geomspace(1e-6, cap_value, 49) if eps_grid is None else np.asarray(eps_grid, dtype=float)
    sig = np.sqrt(np.diag(likelihood.residuals.covariance))
    if coupling == "epsilon":
        edge = np.minimum(window_epsilon(likelihood, masses) * 0.999, EPS_CAP)
    else:
        edge = coupling_window(likelihood, masses, cap_value) * 0.999
        edge = np.where(edge >= cap_value * 0.999, cap_value, edge)

    chi2_sm = float(likelihood.chi2_profiled(np.zeros((1, len(likelihood.names))))[0])

    def dchi2(mass_arr: np.ndarray, eps_arr: np.ndarray) -> np.ndarray:
        delta, valid = coupling_delta_th(likelihood, mass_arr, eps_arr, width)
        delta = np.where(valid[:, None], delta, 0.0)
        if e_min is not None:
            delta = np.where(np.abs(delta) / sig > e_min, delta, 0.0)
        return np.where(valid, likelihood.chi2_profiled(delta) - chi2_sm, np.nan)

    m = masses.size
    eps_tab = np.minimum(grid[None, :], edge[:, None])
    values = dchi2(np.repeat(masses, grid.size), eps_tab.ravel()).reshape(m, grid.size)
    crossed = values >= delta_chi2
    has = np.asarray(crossed.any(axis=1))
    j = np.where(has, np.argmax(crossed, axis=1), grid.size - 1)
    rows = np.arange(m)
    lo = np.where(j > 0, eps_tab[rows, np.maximum(j - 1, 0)], eps_tab[:, 0])
    hi = eps_tab[rows, j]
    bisect = np.asarray(has & (j > 0))
    if np.any(bisect):
        for _ in range(n_bisect):  # vectorised over masses
            mid = np.sqrt(lo[bisect] * hi[bisect])
            above = dchi2(masses[bisect], mid) >= delta_chi2
            hi[bisect] = np.where(above, mid, hi[bisect])
            lo[bisect] = np.where(above, lo[bisect], mid)
    limits = np.where(bisect, np.sqrt(lo * hi), np.where(has, eps_tab[:, 0], edge))
    limits = np.where(edge <= 1e-9, np.nan, limits)  # exactly at m_Z0: no Z'-like state for any eps (status says so)
    status = []
    for i in range(m):
        if bisect[i]:
            status.append("ok")
        elif has[i]:
            status.append(f"excluded down to the smallest {sym} probed ({eps_tab[i, 0]:g})")
        elif coupling != "epsilon" and edge[i] <= 1e-9:
            status.append(f"no Z'-like state of this mass for any {sym}: degenerate with m_Z0 or inside the window of the fixed mixing")
        elif edge[i] < cap_value * 0.999:
            status.append(f"limit reaches the Z0 window edge {sym}={edge[i]:.3g}")
        else:
            status.append(f"no sensitivity below {sym}={cap_value:g}")
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(np.isfinite(limits), limits, 0.0), width)
    nan = np.full(m, np.nan)
    result = LimitResult(
        mass=masses,
        width=width,
        method="chi2",
        epsilon_observed=limits,
        epsilon_expected=nan,
        expected_band=np.full((m, 5), np.nan),
        mu_observed=nan,
        mu_expected=np.full((m, 5), np.nan),
        epsilon_ref=np.repeat(limits[:, None], 6, axis=1),
        iterations=n_bisect,
        status=tuple(status),
        dominant=_dominant(likelihood, delta_obs),
        likelihood=likelihood,
        coupling=coupling,
    )
    if not pole_overlap_check:
        return result
    return _resolve_pole_overlap(
        likelihood,
        result,
        lambda like, m: chi2_limits(like, m, width, e_min=e_min, eps_grid=eps_grid, delta_chi2=delta_chi2, n_bisect=n_bisect),
    )


def lep1_spread(likelihood: PrecisionLikelihood) -> float:
    """LEP-I centre-of-mass energy spread (GeV) used to decide whether two states overlap at m_Z.

    ASSUMPTION: the likelihood's relative spread times m_Z0 (``beam_spread_rel`` = 1e-3 by default, i.e.
    91 MeV), the same assumption that smears every other e+e- resonance in the likelihood.
    """
    return float(likelihood.beam_spread_rel * likelihood.sm.mz0)


def pole_overlap_at(likelihood: PrecisionLikelihood, masses, couplings, width) -> PoleOverlap:
    """:func:`~kinmix_stats.observables.two_state.pole_overlap` of the likelihood's model at one coupling per mass.

    Non-finite or non-positive couplings (no limit) are never flagged.
    """
    masses = np.asarray(masses, dtype=float)
    couplings = np.broadcast_to(np.asarray(couplings, dtype=float), masses.shape)
    n = masses.size
    out = PoleOverlap(np.zeros(n, dtype=bool), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan))
    usable = np.isfinite(couplings) & (couplings > 0) & (np.abs(couplings) < EPSILON_MAX)
    if not np.any(usable):
        return out
    spread = lep1_spread(likelihood)
    groups = [np.flatnonzero(usable)] if _array_couplings(likelihood) else [
        np.flatnonzero(usable & (couplings == c)) for c in np.unique(couplings[usable])
    ]
    for rows in groups:
        value = couplings[rows] if _array_couplings(likelihood) else float(couplings[rows[0]])
        model = likelihood.model_factory(masses[rows], value, width, likelihood.sm)
        res = pole_overlap(model, spread)
        for field_out, field_in in zip(out, res):
            field_out[rows] = field_in
    return out


def _resolve_pole_overlap(likelihood: PrecisionLikelihood, result: LimitResult, recompute) -> LimitResult:
    """Re-derive limits where the Z' overlaps the Z at the limit (DESIGN.md, "Two overlapping states near m_Z").

    There the single-eigenstate Z-pole pseudo-observables cannot describe the summed line shape, so such a
    point is never reported "ok": its limit is recomputed (``recompute(likelihood, masses)``) from the
    off-pole data alone (:meth:`PrecisionLikelihood.off_pole`: m_W, LEP-II, Bhabha, R ratio), which the
    model describes at any mass, and its status names the overlap. This limit is conservative: it uses a
    subset of the data and drops the line-shape measurements, which (at tree level with the full 2x2
    propagator, issue #14) would only add sensitivity. The check is made at the limit of the full data;
    the off-pole limit is larger, and the overlap only grows with the coupling.
    """
    if not likelihood.has_pole_observables:
        return result
    limit = np.asarray(result.epsilon_observed, dtype=float)
    ov = pole_overlap_at(likelihood, result.mass, limit, result.width)
    rows = np.flatnonzero(ov.overlapping)
    if rows.size == 0:
        return result
    sub = recompute(likelihood.off_pole(), np.asarray(result.mass)[rows])
    sym = _SYMBOL[result.coupling]
    spread = lep1_spread(likelihood)

    def patched(full, part):
        arr = np.array(full, copy=True)
        arr[rows] = part
        return arr

    status = list(result.status)
    dominant = list(result.dominant)
    for k, i in enumerate(rows):
        note = (
            f"two states overlap at m_Z: |m_Z' - m_Z| = {ov.splitting[i]:.3g} GeV < {OVERLAP_FACTOR:g} x max(|Gamma_ZZ'| = "
            f"{ov.gamma_off[i]:.3g} GeV, LEP-I spread {spread:.3g} GeV) at {sym} = {limit[i]:.3g}, where the Z-pole "
            "pseudo-observables cannot describe the line shape; conservative limit from the off-pole data only"
        )
        status[i] = note if sub.status[k] == "ok" else f"{note} ({sub.status[k]})"
        if sub.dominant:
            dominant[i] = sub.dominant[k]
    return replace(
        result,
        epsilon_observed=patched(result.epsilon_observed, sub.epsilon_observed),
        epsilon_expected=patched(result.epsilon_expected, sub.epsilon_expected),
        expected_band=patched(result.expected_band, sub.expected_band),
        mu_observed=patched(result.mu_observed, sub.mu_observed),
        mu_expected=patched(result.mu_expected, sub.mu_expected),
        epsilon_ref=patched(result.epsilon_ref, sub.epsilon_ref),
        status=tuple(status),
        dominant=tuple(dominant),
    )


_DEFAULT_LIKELIHOOD: PrecisionLikelihood | None = None


def default_likelihood() -> PrecisionLikelihood:
    """The precision likelihood with every dataset (built once per process)."""
    global _DEFAULT_LIKELIHOOD
    if _DEFAULT_LIKELIHOOD is None:
        _DEFAULT_LIKELIHOOD = PrecisionLikelihood()
    return _DEFAULT_LIKELIHOOD


def upper_limit(
    mass,
    width: DarkWidthSpec = "narrow",
    method: str = "cls",
    *,
    likelihood: PrecisionLikelihood | None = None,
    **options: Any,
) -> LimitResult:
    """95% CL upper limit on eps (Hook convention) at physical Z' mass(es) ``mass`` in GeV.

    ``method`` is "cls" (pyhf-compatible linear Gaussian likelihood, asymptotic q~_mu CLs with
    expected bands), "chi2" (arXiv:1006.0973 Eqs. 17-19), "exact" (exact non-linear profile
    likelihood minimised with iminuit, :func:`kinmix_stats.likelihood.exact.exact_limits`) or "pyhf"
    (pyhf's own ``upper_limit`` with the minuit optimiser on the exported workspace,
    :func:`kinmix_stats.likelihood.pyhf_engine.pyhf_limits`; seconds per mass). Options go to
    :func:`cls_limits`, :func:`chi2_limits`, ``exact_limits`` or ``pyhf_limits``. A scalar ``mass`` gives a
    scalar result (:meth:`LimitResult.squeeze`), an array of masses a result with one entry per mass.
    """
    from .._checks import check_masses, check_type

    check_choice("method", method, METHODS)
    if likelihood is not None:
        check_type("likelihood", likelihood, PrecisionLikelihood, "a PrecisionLikelihood or None")
    mass = check_masses("mass", mass) if np.ndim(mass) else check_masses("mass", [mass])[0]
    like = default_likelihood() if likelihood is None else likelihood
    if method == "pyhf":
        from .pyhf_engine import pyhf_limits

        res = pyhf_limits(like, mass, width, **options)
    elif method == "cls":
        res = cls_limits(like, mass, width, **options)
    elif method == "exact":
        from .exact import exact_limits

        res = exact_limits(like, mass, width, **options)
    else:
        res = chi2_limits(like, mass, width, **options)
    return res.squeeze() if np.ndim(mass) == 0 else res
