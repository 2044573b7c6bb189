r"""The exact non-linear profile likelihood of one hypothesis and its Minuit fits (used by ``method="exact"``,
:mod:`kinmix_stats.likelihood.exact`, which turns them into CLs and limits).

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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from .precision import ALPHA_REL_SIGMA, PrecisionLikelihood

__all__ = ["ExactLikelihood", "FitFailure", "Fit", "TOL"]

_H = 1e-5  # relative forward-difference step of the gradient given to Minuit (parameters are O(1))
#: migrad tolerance: converged when EDM < 0.002 tol (errordef 1), i.e. -2lnL within 1e-3 of its minimum,
#: which moves ln CLs by < 1e-3 (eps95 by < 1e-4 relative)
TOL = 0.5
_BIG = 1e12  # -2lnL returned where no Z'-like state exists (Minuit steps away; a fit ending there is flagged)


class FitFailure(RuntimeError):
    """A Minuit fit that did not converge (the message says which fit and why)."""


@dataclass
class Fit:
    """One Minuit fit: its -2 ln L, the scaled nuisances (a, b) and the calls it took."""

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
        self._bkg: tuple[Fit, np.ndarray] | None = None
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

    def conditional_fit(self, mass: float, eps: float, width, data: np.ndarray, aux: float, what: str) -> Fit:
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
        return Fit(chi2=float(m.fval), a=float(m.values["a"]), b=float(m.values["b"]), nfcn=int(m.fmin.nfcn))

    def background_fit(self) -> tuple[Fit, np.ndarray]:
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
