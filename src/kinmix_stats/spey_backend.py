r"""spey back-end: the correlated Gaussian precision likelihood of kinmix_stats, with the exact signal.

Registered under the ``spey.backend.plugins`` entry point as ``kinmix_stats.correlated_gaussian``
(``pip install kinmix_stats[spey]``)::

    import spey
    model = spey.get_backend("kinmix_stats.correlated_gaussian")(mass=50.0, width="wide", epsilon_ref=0.03)
    mu95 = model.poi_upper_limit()                 # mu = eps^2 / eps_ref^2
    eps95 = 0.03 * mu95 ** 0.5

The likelihood is the one of :mod:`kinmix_stats.likelihood.gaussian` (Hook, Izaguirre, Wacker,
arXiv:1006.0973, Eqs. 15-18, written as a likelihood):

.. math::

    -2\ln L(\mu, \theta) = r^T C^{-1} r + (\theta_\alpha - a)^2, \qquad
    r = \delta_\mathrm{exp} - \delta_\mathrm{th}(m_{Z'}, \varepsilon_\mathrm{ref}\sqrt{\mu})
        - \sigma_\alpha\theta_\alpha T_\alpha - \sigma_s\theta_s T_s ,

with the observed relative residuals :math:`\delta_\mathrm{exp}` and their covariance :math:`C`, the
α(m_Z) nuisance constrained by its external measurement (pull :math:`\theta_\alpha`, auxiliary datum
:math:`a = 0` observed; the data vector is the residuals followed by :math:`a`, so spey's Asimov data
move it like pyhf's auxiliary data) and sin²θ_W free
(:math:`\theta_s` in units of its profiled uncertainty :math:`\sigma_s`, so the optimiser sees O(1)
parameters). Parameters: ``[mu, theta_alpha, theta_s]``.

* ``signal="exact"`` (default): :math:`\delta_\mathrm{th}` is the exact tree-level prediction at
  ε = ε_ref √μ (non-linear in μ). For μ < 0, which a fit of μ̂ may reach (q̃_μ needs μ̂ unbounded), the
  signal is continued as −δ_th(ε_ref √−μ), equal to the linearisation to first order in μ.
  No published spey back-end offers this for precision data.
* ``signal="linear"``: :math:`\delta_\mathrm{th} = \mu\, \delta_\mathrm{th}(\varepsilon_\mathrm{ref})`,
  the pyhf-compatible linearisation the package's CLs limits (and the exported workspaces) use at
  their final ε_ref. Then spey's asymptotic q̃_μ CLs is the same quantity as ours.

For a Z' model likelihood (``likelihood=ModelSpec(...).likelihood()``), ε is the model's g_z.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from scipy.linalg import solve_triangular
from spey import BackendBase, ExpectationType
from spey.base.model_config import ModelConfig

from .likelihood.coupling import coupling_delta_th, likelihood_coupling
from .likelihood.limits import default_likelihood
from .likelihood.precision import ALPHA_REL_SIGMA, PrecisionLikelihood
from .model.dark_sector import parse_width

__all__ = ["CorrelatedGaussianBackend", "SIGNAL_MODES"]

SIGNAL_MODES = ("exact", "linear")
_H_MU = 1e-6  # relative step of the central difference d s / d mu (exact signal)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kinmix_stats")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


class CorrelatedGaussianBackend(BackendBase):
    """spey back-end for one (mass, width) hypothesis of the kinmix_stats precision likelihood.

    Args:
        mass: physical Z' mass in GeV.
        width: ``"narrow"``, ``"wide"``, a dark width in GeV or a ``DiracDarkMatter`` (see ``parse_width``).
        epsilon_ref: coupling at μ = 1 (ε in Hook's convention, or g_z for a Z' model); μ = ε²/ε_ref².
        likelihood: a :class:`~kinmix_stats.likelihood.precision.PrecisionLikelihood` (default: all datasets).
        signal: ``"exact"`` (default) or ``"linear"`` (see the module docstring).

    Raises ``ValueError`` naming the value for a bad mode, a non-positive ε_ref, or a mass without a
    Z'-like state at ε_ref (the window around m_Z0).
    """

    name = "kinmix_stats.correlated_gaussian"
    version = _version()
    author = "kinmix_stats developers"
    spey_requires = ">=0.2.7,<0.3"
    doi: ClassVar[list[str]] = []
    arXiv: ClassVar[list[str]] = ["1006.0973"]

    def __init__(self, mass: float, width: Any = "narrow", epsilon_ref: float = 0.03, *,
                 likelihood: PrecisionLikelihood | None = None, signal: str = "exact") -> None:
        if signal not in SIGNAL_MODES:
            raise ValueError(f"signal must be one of {SIGNAL_MODES}, got {signal!r}")
        if not (np.isfinite(epsilon_ref) and epsilon_ref > 0):
            raise ValueError(f"epsilon_ref must be > 0 and finite, got {epsilon_ref!r}")
        self.likelihood = default_likelihood() if likelihood is None else likelihood
        self.coupling = likelihood_coupling(self.likelihood)
        self.mass = float(mass)
        self.width = parse_width(width)
        self.epsilon_ref = float(epsilon_ref)
        self.signal_mode = signal
        like = self.likelihood
        self._chol = np.linalg.cholesky(like.residuals.covariance)
        self._y = like.residuals.observed.copy()
        templates = like.templates  # (2, n): per unit delta alpha/alpha and per unit delta sin^2 theta_W
        # theta_s in units of the profiled sin^2 theta_W uncertainty (Fisher information, alpha constrained)
        tw = solve_triangular(self._chol, templates.T, lower=True)
        fisher = tw.T @ tw + np.diag([1.0 / ALPHA_REL_SIGMA**2, 0.0])
        self._sigma_s = float(np.sqrt(np.linalg.inv(fisher)[1, 1]))
        self._scales = np.array([ALPHA_REL_SIGMA, self._sigma_s])
        self._t = templates * self._scales[:, None]  # response per unit pull
        self._tw = solve_triangular(self._chol, self._t.T, lower=True)  # (n, 2)
        s_ref = self._delta(np.array([self.epsilon_ref]))[0]
        if not np.all(np.isfinite(s_ref)):
            raise ValueError(f"no Z'-like state of mass {mass!r} GeV at {self.coupling} = {epsilon_ref!r} "
                             "(inside the window around m_Z0); choose another mass or a smaller epsilon_ref")
        self._s_ref = s_ref
        self._s_ref_w = solve_triangular(self._chol, s_ref, lower=True)
        self._cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ signal
    def _delta(self, couplings: np.ndarray) -> np.ndarray:
        delta, valid = coupling_delta_th(self.likelihood, np.full(couplings.size, self.mass), couplings, self.width)
        return np.where(valid[:, None], delta, np.nan)

    def signal(self, mu: float) -> np.ndarray:
        """Theory residual δ_th at POI ``mu`` (exact or linear, see the module docstring)."""
        return self._signal(mu)[0]

    def _signal(self, mu: float) -> tuple[np.ndarray, np.ndarray]:
        """(δ_th, dδ_th/dμ) at ``mu``; the exact signal is cached per μ (the fits revisit the same μ)."""
        mu = float(mu)
        if self.signal_mode == "linear":
            return mu * self._s_ref, self._s_ref
        hit = self._cache.get(mu)
        if hit is not None:
            return hit
        # mu < 0 (a downward fluctuation of mu-hat; no physical eps): odd continuation s(mu) = -s(-mu), which
        # equals the linearisation to first order in mu and keeps q~_mu defined as in the linear model
        sign, a = (1.0, mu) if mu >= 0 else (-1.0, -mu)
        h = _H_MU * max(a, 1e-3)
        mus = np.array([a, max(a - h, 0.0), a + h])
        delta = self._delta(self.epsilon_ref * np.sqrt(mus))
        s = sign * delta[0]
        ds = (delta[2] - delta[1]) / (mus[2] - mus[1])
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[mu] = (s, ds)
        return s, ds

    # ------------------------------------------------------------------ spey interface
    @property
    def is_alive(self) -> bool:
        return bool(np.any(self._s_ref != 0.0))

    def config(self, allow_negative_signal: bool = True, poi_upper_bound: float = 10.0) -> ModelConfig:
        """POI μ = ε²/ε_ref² within [-poi_upper_bound, poi_upper_bound] (``allow_negative_signal``, spey's
        default for fits of q̃_μ: μ̂ < 0 enters q̃_μ, CCGV Eq. 16) or [0, poi_upper_bound]; pulls within ±20, ±50."""
        low = -float(poi_upper_bound) if allow_negative_signal else 0.0
        return ModelConfig(
            poi_index=0,
            minimum_poi=low,
            suggested_init=[1.0, 0.0, 0.0],
            suggested_bounds=[(low, poi_upper_bound), (-20.0, 20.0), (-50.0, 50.0)],
        )

    def _data(self, expected: ExpectationType, data: Any) -> np.ndarray:
        """Data vector: the n residuals and, last, the auxiliary measurement of the alpha pull (observed: 0)."""
        n = self._y.size
        if data is not None:
            y = np.asarray(data, dtype=float)
            if y.shape != (n + 1,):
                raise ValueError(f"data must have {n + 1} entries (one residual per measurement, then the alpha "
                                 f"auxiliary pull), got shape {y.shape}")
            return y
        if expected == ExpectationType.apriori:
            return np.zeros(n + 1)  # the SM at the reference point: every residual 0
        return np.append(self._y, 0.0)

    def get_logpdf_func(self, expected: ExpectationType = ExpectationType.observed,
                        data: Any = None) -> Callable[[np.ndarray], float]:
        obj = self.get_objective_function(expected, data, do_grad=False)
        return lambda pars: -float(obj(pars))

    def get_objective_function(self, expected: ExpectationType = ExpectationType.observed, data: Any = None,
                               do_grad: bool = True) -> Callable[[np.ndarray], Any]:
        """Negative log-likelihood (and its gradient): ½ ‖G⁻¹ r‖² + ½ θ_α²."""
        y = self._data(expected, data)
        y_w, aux = solve_triangular(self._chol, y[:-1], lower=True), float(y[-1])

        def nll(pars: np.ndarray):
            pars = np.asarray(pars, dtype=float)
            s, ds = self._signal(pars[0])
            s_w = solve_triangular(self._chol, s, lower=True)
            r_w = y_w - s_w - self._tw @ pars[1:]
            value = 0.5 * float(r_w @ r_w) + 0.5 * (float(pars[1]) - aux) ** 2
            if not do_grad:
                return value
            ds_w = self._s_ref_w if self.signal_mode == "linear" else solve_triangular(self._chol, ds, lower=True)
            grad = np.concatenate([[-float(ds_w @ r_w)], -(self._tw.T @ r_w)])
            grad[1] += float(pars[1]) - aux
            return value, grad

        return nll

    def expected_data(self, pars: list[float]) -> list[float]:
        """Expected data at ``pars``: residuals and the alpha auxiliary pull (spey's Asimov data, as in pyhf)."""
        p = np.asarray(pars, dtype=float)
        s, _ = self._signal(p[0])
        return [*(s + self._t.T @ p[1:]).tolist(), float(p[1])]
