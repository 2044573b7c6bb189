r"""``method="exact"``: asymptotic CLs and limits from the exact non-linear profile likelihood, the ground truth of
the fast engine. The likelihood and its Minuit fits are :mod:`kinmix_stats.likelihood.exact_fit`.

CLs (asymptotic q~_mu, arXiv:1007.1727 = CCGV)
-----------------------------------------------
* observed: q~_mu = -2 ln L(mu)/L(mu_hat) with mu_hat >= 0 the bounded best fit, 0 for mu_hat > mu
  (CCGV Eq. 16 with the bounded fit, which is what Eq. 16 evaluates for mu_hat < 0);
* Asimov (CCGV Sec. 5): background-only data delta_A = delta_th(0; theta_hat_0) and auxiliary
  datum a_hat_0, theta_hat_0 the conditional fit of the observed data at mu = 0 (pyhf's convention);
  q_{mu,A} = -2 ln L_A(mu)/L_A(0) with L_A maximal at mu = 0;
* CLs from CCGV Eqs. 65-66 with sqrt(q_{mu,A}) = mu/sigma; the expected band is
  CLs_N = Phi(N - sqrt(q_A))/Phi(N) for N = -2..2 (the same formula as the fast engine,
  :func:`~kinmix_stats.likelihood.cls.cls_qtilde`).

With eps = 0 the model does not depend on the mass or width, so the mu = 0 fit and the Asimov data are
shared by every point of a likelihood (cached).

Root finding (few Minuit fits per mass)
---------------------------------------
Each of the six limits (observed, five expected) solves g(x) = ln CLs(e^x) - ln 0.05 = 0 in x = ln eps,
warm-started at the fast engine's limit (:func:`~kinmix_stats.likelihood.closed_form.cls_limits`). The first
step solves the linear-model surrogate through the first exact point (q_A ~ eps^4, mu_hat/sigma fixed),
the next ones are secant steps on the exact points (kept inside any bracket found, at most a factor 1.5
per step), until |g| < ``gtol`` (default 0.03); the limit returned is then one more surrogate step from
that exact point (no new fit), which leaves |g| at the 1e-3 level (validated: the exact CLs recomputed
at returned limits, validation/engines_comparison.py, and tests/test_exact.py). Each
evaluation costs one conditional Minuit fit of (a, b) on the observed data (observed limit only) and one
on the Asimov data, started at the linear (GLS) solution; fits are cached by eps and shared between the
limits.

Status
------
Every point gets "ok" or a reason: a Minuit fit that is not valid (``fmin.is_valid`` False: call limit,
EDM above the maximum, ...) makes the limits that needed it NaN and names the fit, eps and Minuit's
diagnosis; a root not found in ``max_iter`` steps, the Z0 window edge, or no starting point from the
fast engine (its status is quoted) likewise. Never a silent number.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from .._checks import as_positive_array, check_in_range
from ..model.dark_sector import DarkWidthSpec, parse_width
from .cls import EXPECTED_NSIGMA
from .exact_fit import ExactLikelihood, FitFailure
from .gaussian import profile_fit_batch
from .precision import PrecisionLikelihood

__all__ = ["ExactLikelihood", "exact_limits", "exact_cls", "engine_description", "ENGINE", "EXACT_ALGORITHM"]

ENGINE = "iminuit"
EXACT_ALGORITHM = (
    "exact non-linear profile likelihood -2lnL(eps, alpha_EM, sin2_theta_W) minimised with iminuit.Minuit "
    "(migrad; hesse for the unconditional fit), asymptotic q~_mu CLs (arXiv:1007.1727) with Asimov expected band"
)
_ALPHA = 0.05  # 1 - CL
#: root-finding tolerance on ln CLs - ln 0.05 at the last exact evaluation (eps to ~3e-3); the returned
#: limit is one surrogate (Newton-like) step further, which leaves |ln CLs - ln 0.05| ~ 1e-3 or less
GTOL = 0.03


def engine_description() -> dict[str, str]:
    """What produced exact limits: ``{"engine": "iminuit", "version": ..., "algorithm": ...}``."""
    import iminuit

    return {"engine": ENGINE, "version": iminuit.__version__, "algorithm": EXACT_ALGORITHM}


def _cls_obs(q: float, qa: float) -> float:
    """CLs from the observed q~_mu and q_{mu,A} (CCGV Eqs. 65-66), as ln CLs."""
    sqa = math.sqrt(max(qa, 1e-300))
    q = max(q, 0.0)
    t = math.sqrt(q) - sqa if q <= qa else (q - qa) / (2.0 * sqa)
    return float(special.log_ndtr(-(t + sqa)) - special.log_ndtr(-t))


def _cls_exp(n: float, qa: float) -> float:
    """ln CLs of the N-sigma expected band at sqrt(q_A) (CCGV Sec. 4.3/5; q~ cut-off)."""
    s = math.sqrt(max(qa, 0.0))
    if n * 1.0 > s:
        return float(math.log(0.5) - special.log_ndtr(s))
    return float(special.log_ndtr(n - s) - special.log_ndtr(n))


class _Point:
    """Cached exact fits of one (mass, width) and the CLs functions built on them."""

    def __init__(self, ex: ExactLikelihood, mass: float, width, chi2_hat: float, mu_hat: float) -> None:
        self.ex, self.mass, self.width = ex, mass, width
        self.chi2_hat, self.mu_hat = chi2_hat, mu_hat
        self.bkg, self.asimov = ex.background_fit()
        self._obs: dict[float, float] = {}
        self._asi: dict[float, float] = {}

    def q_obs(self, eps: float) -> float:
        if eps * eps <= self.mu_hat:
            return 0.0
        if eps not in self._obs:
            fit = self.ex.conditional_fit(self.mass, eps, self.width, self.ex.y, 0.0, "observed conditional fit")
            self._obs[eps] = max(fit.chi2 - self.chi2_hat, 0.0)
        return self._obs[eps]

    def q_asimov(self, eps: float) -> float:
        if eps not in self._asi:
            fit = self.ex.conditional_fit(self.mass, eps, self.width, self.asimov, self.bkg.a, "Asimov conditional fit")
            self._asi[eps] = max(fit.chi2, 0.0)
        return self._asi[eps]

    def log_cls(self, k: int, eps: float) -> float:
        """ln CLs at eps: k = 0 observed, k = 1..5 the expected band (-2..+2 sigma)."""
        qa = self.q_asimov(eps)
        if k == 0:
            return _cls_obs(self.q_obs(eps), qa)
        return _cls_exp(EXPECTED_NSIGMA[k - 1], qa)

    def surrogate_step(self, k: int, eps: float) -> float:
        """Next eps from the linear-model surrogate through the exact point at eps (q_A ~ eps^4)."""
        qa = self.q_asimov(eps)
        s0 = math.sqrt(max(qa, 1e-300))
        if k:
            c = EXPECTED_NSIGMA[k - 1]
        else:  # c = mu_hat/sigma of the linear model with these q~ and q_A (CCGV Eq. 16, both branches)
            q = max(self.q_obs(eps), 0.0)
            c = s0 - math.sqrt(q) if q <= qa else (qa - q) / (2.0 * s0)
        # root of Phi(c - s)/Phi(c) = alpha in s = mu/sigma (upper_limit_qtilde with sigma = 1)
        s_star = c - float(special.ndtri_exp(math.log(_ALPHA) + special.log_ndtr(c)))
        return eps * math.sqrt(max(s_star, 1e-12) / s0)


def _solve(point: _Point, k: int, eps0: float, edge: float, gtol: float, max_iter: int) -> tuple[float, int, str]:
    """Root of ln CLs_k(eps) = ln 0.05 in x = ln eps (decreasing); returns (eps, evaluations, status)."""
    target = math.log(_ALPHA)
    x_edge = math.log(edge)
    x = min(math.log(eps0), x_edge)
    xs: list[float] = []
    gs: list[float] = []
    lo, hi = -math.inf, math.inf  # bracket: g(lo) > 0 > g(hi)
    for it in range(1, max_iter + 1):
        eps = math.exp(x)
        g = point.log_cls(k, eps) - target
        xs.append(x)
        gs.append(g)
        if abs(g) < gtol:  # converged: one more surrogate (Newton-like) step, no new fit, error O(g^2)
            return min(point.surrogate_step(k, eps), edge), it, "ok"
        if g > 0:
            lo = max(lo, x)
            if x >= x_edge - 1e-12:
                return edge, it, "edge"
        else:
            hi = min(hi, x)
        if len(xs) == 1:
            x_new = math.log(point.surrogate_step(k, eps))
        else:
            slope = (gs[-1] - gs[-2]) / (xs[-1] - xs[-2]) if xs[-1] != xs[-2] else 0.0
            x_new = x - g / slope if slope < 0 else math.log(point.surrogate_step(k, eps))
        x_new = min(max(x_new, x - math.log(1.5)), x + math.log(1.5), x_edge)
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi) if math.isfinite(lo) and math.isfinite(hi) else min(x_new, x_edge)
        if abs(x_new - x) < 1e-7:
            return eps, it, "ok" if abs(g) < 10 * gtol else "stalled"
        x = x_new
    return math.exp(x), max_iter, "not converged"


def exact_cls(
    likelihood: PrecisionLikelihood, mass: float, epsilon, width: DarkWidthSpec = "narrow", *, max_calls: int | None = None
) -> dict[str, Any]:
    """Exact asymptotic CLs at one mass and one or more eps: observed and the five expected values, q~_mu, q_A.

    One unconditional fit (shared), then the observed and Asimov conditional fits at every ``epsilon``.
    Values are floats for a scalar ``epsilon``, else arrays (``cls_expected``: (len, 5)).
    """
    mass = float(as_positive_array("mass", [mass], unit="GeV")[0])
    width = parse_width(width)
    eps_arr = np.atleast_1d(np.asarray(epsilon, dtype=float))
    for e in eps_arr:
        check_in_range("epsilon", e, 0.0, 1.0, low_inclusive=False)
    ex = ExactLikelihood(likelihood, max_calls=max_calls)
    top = float(eps_arr.max())
    chi2_hat, mu_hat, _, _ = ex.unconditional_fit(mass, width, top, min(10.0 * top, 1.0))
    p = _Point(ex, mass, width, chi2_hat, mu_hat)
    out: dict[str, Any] = {
        "cls_observed": np.array([math.exp(p.log_cls(0, float(e))) for e in eps_arr]),
        "cls_expected": np.array([[math.exp(p.log_cls(k, float(e))) for k in range(1, 6)] for e in eps_arr]),
        "q_tilde": np.array([p.q_obs(float(e)) for e in eps_arr]),
        "q_asimov": np.array([p.q_asimov(float(e)) for e in eps_arr]),
    }
    if np.ndim(epsilon) == 0:
        out = {k: (v[0] if k == "cls_expected" else float(v[0])) for k, v in out.items()}
    out["epsilon2_hat"] = mu_hat
    return out


def exact_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    fast=None,
    gtol: float = GTOL,
    max_iter: int = 12,
    max_calls: int | None = None,
    errors: bool = True,
    cl: float = 0.95,
):
    """Observed and expected CLs limits from the exact non-linear likelihood (iminuit), one mass at a time.

    ``fast`` is the fast engine's :class:`~kinmix_stats.results.LimitResult` at the same masses
    (computed here if None), used only as the starting point of every root find. ``max_calls`` is
    Minuit's call limit per fit. ``errors`` runs hesse after every unconditional fit (the hesse error
    of eps_hat^2 goes to ``diagnostics``; the limits do not use it, so scans switch it off). Returns a :class:`~kinmix_stats.results.LimitResult` with
    ``method="exact"`` and ``engine`` naming iminuit; per-point fit diagnostics are in ``diagnostics``.
    """
    from ..results import LimitResult
    from .closed_form import cls_limits, dominant_measurements
    from .coupling import COUPLING_CAP, coupling_delta_th, coupling_window, likelihood_coupling, window_epsilon
    from .pole_overlap import resolve_pole_overlap

    if abs(float(cl) - 0.95) > 1e-12:
        raise ValueError(f"method 'exact' computes 95% CL limits only (cl = 0.95), got cl = {cl!r}")
    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    check_in_range("gtol", gtol, 0.0, 0.5, low_inclusive=False)
    if isinstance(max_calls, bool) or (max_calls is not None and (not isinstance(max_calls, (int, np.integer)) or max_calls < 1)):
        raise ValueError(f"max_calls must be None or an integer >= 1 (Minuit's call limit per fit), got {max_calls!r}")
    coupling = likelihood_coupling(likelihood)
    if fast is None:
        fast = cls_limits(likelihood, masses, width)
    elif not np.array_equal(np.asarray(fast.mass), masses):
        raise ValueError("fast: the fast-engine result must be computed at the same masses")
    cap = COUPLING_CAP[coupling]
    if coupling == "epsilon":
        edges = np.minimum(window_epsilon(likelihood, masses) * 0.999, cap)
    else:
        edges = coupling_window(likelihood, masses, cap) * 0.999
    ex = ExactLikelihood(likelihood, max_calls=max_calls)
    m = masses.size
    # starting eps_hat^2 of the unconditional fits: the linear model's best fit at the fast engine's eps_ref
    ref_obs = np.asarray(fast.epsilon_ref, dtype=float)[:, 0]
    good_ref = np.isfinite(ref_obs) & (ref_obs > 0)
    eps2_lin = np.zeros(m)
    if np.any(good_ref):
        d_ref, v_ref = coupling_delta_th(likelihood, masses[good_ref], ref_obs[good_ref], width)
        lin = profile_fit_batch(likelihood.base_problem(), np.where(v_ref[:, None], d_ref, 0.0))
        eps2_lin[good_ref] = np.where(np.isfinite(lin.mu_hat), lin.mu_hat, 0.0) * ref_obs[good_ref] ** 2
    limits = np.full((m, 6), np.nan)
    status: list[str] = []
    diagnostics: list[dict[str, Any]] = []
    iterations = 0
    starts = np.column_stack([fast.epsilon_observed, fast.expected_band])
    for i, mass in enumerate(masses):
        diag: dict[str, Any] = {"mass_gev": float(mass)}
        n0 = ex.nfcn
        start = starts[i]
        if fast.status[i] != "ok" and not np.all(np.isfinite(start)):
            status.append(f"exact: no starting point from the fast engine ({fast.status[i]})")
            diagnostics.append(diag)
            continue
        edge = float(edges[i])
        try:
            finite = start[np.isfinite(start)]
            scale = float(np.min(finite)) if finite.size else 0.01
            chi2_hat, mu_hat, mu_err, _ = ex.unconditional_fit(float(mass), width, min(scale, edge), edge, float(eps2_lin[i]), errors=errors)
            diag.update({"epsilon2_hat": mu_hat, "epsilon2_hat_error": mu_err, "chi2_hat": chi2_hat})
            point = _Point(ex, float(mass), width, chi2_hat, mu_hat)
        except FitFailure as err:
            status.append(f"exact: {err}")
            diagnostics.append(diag)
            continue
        notes = []
        for k in range(6):
            eps0 = float(start[k]) if np.isfinite(start[k]) and start[k] > 0 else scale
            try:
                eps, its, how = _solve(point, k, min(eps0, edge), edge, gtol, max_iter)
            except FitFailure as err:
                notes.append(f"{_LABELS[k]}: {err}")
                continue
            iterations = max(iterations, its)
            if how == "ok":
                limits[i, k] = eps
            elif how == "edge":
                limits[i, k] = edge
                notes.append(f"{_LABELS[k]}: limit reaches the Z0 window edge eps={edge:.3g}" if coupling == "epsilon"
                             else f"{_LABELS[k]}: no sensitivity below the largest coupling {edge:.3g}")
            else:
                notes.append(f"{_LABELS[k]}: CLs root {how} after {its} steps (gtol {gtol:g})")
        diag["nfcn"] = ex.nfcn - n0
        diag["minuit_fits"] = 1 + len(point._obs) + len(point._asi)
        diagnostics.append(diag)
        status.append("ok" if not notes else "exact: " + "; ".join(notes))
    ref = np.asarray(fast.epsilon_ref, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (limits / ref) ** 2
    finite_obs = np.isfinite(limits[:, 0])
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(finite_obs, limits[:, 0], np.where(np.isfinite(ref[:, 0]), ref[:, 0], 1e-3)), width)
    result = LimitResult.from_table(
        masses, width, "exact", limits, mu, ref, iterations=iterations, status=status,
        dominant=dominant_measurements(likelihood, delta_obs), likelihood=likelihood, coupling=coupling,
        engine=engine_description(), diagnostics=tuple(diagnostics),
    )
    # Where the Z' overlaps the Z at the limit the pole pseudo-observables cannot describe the data: such
    # points are recomputed from the off-pole data with a status naming the overlap, exactly as for "cls"
    # and "chi2" -- here with the exact engine.
    return resolve_pole_overlap(likelihood, result, lambda like, sub: exact_limits(
        like, sub, width, gtol=gtol, max_iter=max_iter, max_calls=max_calls, errors=errors))


_LABELS = ("observed", "expected -2 sigma", "expected -1 sigma", "expected median", "expected +1 sigma", "expected +2 sigma")
