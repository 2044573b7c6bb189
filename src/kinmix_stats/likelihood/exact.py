r"""Exact non-linear profile likelihood with iminuit: ``method="exact"``, the ground truth of the fast engine.

Likelihood
----------
For one hypothesis (physical mass m, width) the same measurements, covariance and external
alpha_EM constraint as the fast engine (:class:`~kinmix_stats.likelihood.precision.PrecisionLikelihood`):

.. math::

    -2\ln L(\epsilon, \theta_\alpha, \delta s^2) = r^T C^{-1} r + (\theta_\alpha/\sigma_\alpha)^2,\qquad
    r = \delta_\mathrm{exp} - \delta_\mathrm{th}(\epsilon, m; \alpha_0(1+\theta_\alpha), s^2_0 + \delta s^2),

with delta_th the exact tree-level residual of arXiv:1006.0973 Eq. 15 (the full model is rebuilt and
every observable recomputed at every call: no templates, no linearisation in eps^2 or in the SM
parameters), sigma_alpha = 0.009/127.951 (PDG, see :data:`~kinmix_stats.likelihood.precision.ALPHA_REL_SIGMA`)
and sin^2 theta_W free. It is minimised with ``iminuit.Minuit`` (migrad; hesse for the errors of the
unconditional fit) in the scaled nuisances a = theta_alpha/sigma_alpha and b = delta s^2/s_b (s_b the
linearised standard deviation of delta s^2, so both are O(1)); the POI is mu = eps^2 >= 0 (observables
are even in eps: the field redefinition Z' -> -Z' flips its sign).

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from .._checks import as_positive_array, check_in_range
from ..model.dark_sector import DarkWidthSpec, parse_width
from .cls import EXPECTED_NSIGMA
from .gaussian import profile_fit_batch
from .precision import ALPHA_REL_SIGMA, PrecisionLikelihood

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
_H = 1e-5  # relative forward-difference step of the gradient given to Minuit (parameters are O(1))
#: migrad tolerance: converged when EDM < 0.002 tol (errordef 1), i.e. -2lnL within 1e-3 of its minimum,
#: which moves ln CLs by < 1e-3 (eps95 by < 1e-4 relative)
TOL = 0.5
_BIG = 1e12  # -2lnL returned where no Z'-like state exists (Minuit steps away; a fit ending there is flagged)


class FitFailure(RuntimeError):
    """A Minuit fit that did not converge (the message says which fit and why)."""


def engine_description() -> dict[str, str]:
    """What produced exact limits: ``{"engine": "iminuit", "version": ..., "algorithm": ...}``."""
    import iminuit

    return {"engine": ENGINE, "version": iminuit.__version__, "algorithm": EXACT_ALGORITHM}


@dataclass
class _Fit:
    chi2: float
    a: float
    b: float
    nfcn: int


class ExactLikelihood:
    """The exact -2 ln L of :class:`PrecisionLikelihood` ``like`` for one (mass, width) at a time.

    ``max_calls`` is Minuit's call limit per fit (default: Minuit's own); a fit that reaches it is
    reported as not converged.
    """

    def __init__(
        self, like: PrecisionLikelihood, *, max_calls: int | None = None, strategy: int = 0, tol: float = TOL
    ) -> None:
        self.like = like
        self.max_calls = max_calls
        self.strategy = int(strategy)
        self.tol = float(tol)
        self.y = np.asarray(like.residuals.observed, dtype=float)
        self.chol = np.linalg.cholesky(like.residuals.covariance)
        # scaled templates (linear response at p0, used ONLY for starting values of the fits)
        t = like.templates  # (2, n) d delta / d(theta_alpha, delta s2)
        tw = solve_triangular(self.chol, t.T, lower=True)  # (n, 2)
        prior = np.diag([1.0 / ALPHA_REL_SIGMA**2, 0.0])
        cov_lin = np.linalg.inv(tw.T @ tw + prior)
        self.scale = np.array([ALPHA_REL_SIGMA, math.sqrt(cov_lin[1, 1])])  # a, b -> theta_alpha, delta s2
        self.tw_scaled = tw * self.scale[None, :]
        normal = self.tw_scaled.T @ self.tw_scaled + np.diag([1.0, 0.0])
        self._normal = cho_factor(normal)
        self.start_errors = np.sqrt(np.diag(np.linalg.inv(normal)))
        self.nfcn = 0
        self._bkg: tuple[_Fit, np.ndarray] | None = None
        self._delta0: tuple[Any, np.ndarray | None] = (None, None)

    # ------------------------------------------------------------------ model and -2 ln L
    def predict(self, mass: float, eps: float, width, a: float, b: float) -> np.ndarray | None:
        """Exact delta_th (n,) at eps and scaled nuisances (a, b); None if no Z'-like state exists."""
        self.nfcn += 1
        try:
            delta, valid = self.like.delta_th(np.array([mass]), float(eps), width, a * self.scale[0], b * self.scale[1])
        except ValueError:  # a migrad step left the physical SM parameters (e.g. alpha <= 0): outside the domain
            return None
        return delta[0] if valid[0] else None

    def chi2(self, data: np.ndarray, aux: float, delta: np.ndarray | None, a: float) -> float:
        if delta is None:
            return _BIG
        r = solve_triangular(self.chol, data - delta, lower=True)
        return float(r @ r + (a - aux) ** 2)

    def _linear_start(self, data: np.ndarray, aux: float, delta0: np.ndarray) -> tuple[float, float]:
        """GLS nuisances of the linearised model delta0 + T theta (starting values only)."""
        rw = solve_triangular(self.chol, data - delta0, lower=True)
        rhs = self.tw_scaled.T @ rw + np.array([aux, 0.0])
        a, b = cho_solve(self._normal, rhs)
        return float(a), float(b)

    def _minuit(self, fcn: Callable[[np.ndarray], float], start, names, errors, limits=None, what: str = "fit"):
        from iminuit import Minuit

        cache: dict[bytes, float] = {}

        def f(p: np.ndarray) -> float:
            key = np.asarray(p, dtype=float).tobytes()
            if key not in cache:
                cache[key] = fcn(np.asarray(p, dtype=float))
            return cache[key]

        def grad(p: np.ndarray) -> np.ndarray:
            # forward differences sharing f(p) with migrad's own call: 1 new call per parameter (Minuit's
            # numerical gradient needs >= 2). Parameters are O(1) by construction, so h = 1e-5 gives
            # |error| ~ h |d2f| ~ 1e-5, far below what moves the minimum in chi^2 (roundoff ~1e-11/h).
            p = np.asarray(p, dtype=float)
            f0 = f(p)
            out = np.empty(p.size)
            for j in range(p.size):
                step = _H * max(1.0, abs(p[j]))
                q = p.copy()
                if limits is not None and limits[j][1] is not None and q[j] + step > limits[j][1]:
                    step = -step
                q[j] += step
                out[j] = (f(q) - f0) / step
            return out

        g2_seed = 2.0 / np.asarray(errors, dtype=float) ** 2  # seed of migrad's Hessian (1/error^2 of -2lnL/2)
        m = Minuit(f, np.asarray(start, dtype=float), grad=grad, g2=lambda _p: g2_seed, name=names)
        m.errordef = Minuit.LEAST_SQUARES
        m.errors = np.asarray(errors, dtype=float)
        m.strategy = self.strategy
        m.tol = self.tol
        if limits is not None:
            m.limits = limits
        m.migrad(ncall=self.max_calls)
        fm = m.fmin
        if not fm.is_valid or fm.fval >= _BIG:
            why = []
            if fm.has_reached_call_limit:
                why.append(f"call limit {self.max_calls if self.max_calls is not None else 'default'} reached")
            if fm.is_above_max_edm:
                why.append(f"EDM {fm.edm:.3g} above maximum")
            if fm.fval >= _BIG:
                why.append("minimum outside the Z'-like domain")
            if not why:
                why.append("fmin.is_valid False")
            raise FitFailure(f"Minuit migrad did not converge in the {what} ({', '.join(why)}; nfcn={fm.nfcn})")
        return m

    def conditional_fit(self, mass: float, eps: float, width, data: np.ndarray, aux: float, what: str) -> _Fit:
        """Nuisances profiled at fixed eps (2-parameter migrad), started at the GLS solution."""
        key = (mass, eps, str(width))
        if self._delta0[0] != key:  # the observed and Asimov fits at one eps share it
            self._delta0 = (key, self.predict(mass, eps, width, 0.0, 0.0))
        delta0 = self._delta0[1]
        if delta0 is None:
            raise FitFailure(f"no Z'-like state of mass {mass:g} GeV at eps = {eps:.6g} ({what})")
        a0, b0 = self._linear_start(data, aux, delta0)

        def fcn(p: np.ndarray) -> float:
            return self.chi2(data, aux, self.predict(mass, eps, width, p[0], p[1]), p[0])

        m = self._minuit(fcn, (a0, b0), ("a", "b"), self.start_errors, what=f"{what} at eps = {eps:.6g}")
        return _Fit(chi2=float(m.fval), a=float(m.values["a"]), b=float(m.values["b"]), nfcn=int(m.fmin.nfcn))

    def background_fit(self) -> tuple[_Fit, np.ndarray]:
        """Observed data at mu = 0 (mass independent): theta_hat_0 and the Asimov data delta_A (cached)."""
        if self._bkg is None:
            mass = 10.0  # any: eps = 0 decouples the Z'
            fit = self.conditional_fit(mass, 0.0, "narrow", self.y, 0.0, "background-only fit (mu = 0)")
            asimov = self.predict(mass, 0.0, "narrow", fit.a, fit.b)
            if asimov is None:  # pragma: no cover - eps = 0 always has a Z'-like state
                raise FitFailure("no SM prediction at the background-only fit")
            self._bkg = (fit, asimov)
        return self._bkg

    def unconditional_fit(
        self, mass: float, width, eps_scale: float, edge: float, eps2_start: float = 0.0, *, errors: bool = True
    ) -> tuple[float, float, float | None, int]:
        """Bounded best fit mu_hat = eps_hat^2 >= 0 (3-parameter migrad, + hesse if ``errors``).

        Returns (chi2 at mu_hat, eps_hat^2, its hesse error (None at the mu >= 0 bound or without
        ``errors``), nfcn). Parametrised as eps = eps_scale sqrt(u),
        started at eps^2 = ``eps2_start`` (e.g. the linear model's best fit) with GLS nuisances.
        """
        bkg, _ = self.background_fit()
        u_max = (edge / eps_scale) ** 2
        u0 = min(max(eps2_start / eps_scale**2, 0.01), 0.5 * u_max)
        a0, b0 = bkg.a, bkg.b
        delta0 = self.predict(mass, eps_scale * math.sqrt(u0), width, 0.0, 0.0)
        if delta0 is not None:
            a0, b0 = self._linear_start(self.y, 0.0, delta0)

        def fcn(p: np.ndarray) -> float:
            eps = eps_scale * math.sqrt(max(p[0], 0.0))
            return self.chi2(self.y, 0.0, self.predict(mass, eps, width, p[1], p[2]), p[1])

        m = self._minuit(
            fcn, (u0, a0, b0), ("u", "a", "b"), (0.25, *self.start_errors),
            limits=[(0.0, u_max), (None, None), (None, None)], what="unconditional fit",
        )
        if errors:
            m.hesse()
        u, err = float(m.values["u"]), float(m.errors["u"])
        chi2 = float(m.fval)
        if chi2 > bkg.chi2:  # the bounded minimum is at least as good as mu = 0
            chi2, u = bkg.chi2, 0.0
        if not errors or u < 2.0 * err:  # at (or near) the mu >= 0 bound the hesse error of a limited parameter is meaningless
            return chi2, u * eps_scale**2, None, int(m.fmin.nfcn)
        return chi2, u * eps_scale**2, err * eps_scale**2, int(m.fmin.nfcn)


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
