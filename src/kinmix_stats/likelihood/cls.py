r"""Asymptotic CLs upper limits with the :math:`\tilde q_\mu` test statistic.

Reference: G. Cowan, K. Cranmer, E. Gross, O. Vitells, "Asymptotic formulae for
likelihood-based tests of new physics", arXiv:1007.1727 (CCGV below).

Test statistic (CCGV Eq. 16, the POI bounded at :math:`\mu \ge 0`):

.. math::

    \tilde q_\mu = \begin{cases}
        \mu^2/\sigma^2 - 2\mu\hat\mu/\sigma^2 & \hat\mu < 0 \\
        (\mu - \hat\mu)^2/\sigma^2            & 0 \le \hat\mu \le \mu \\
        0                                    & \hat\mu > \mu
    \end{cases}

(for a Gaussian likelihood the Wald approximation behind this form is exact).
Its distributions (CCGV Eqs. 65-66) give :math:`p_\mu = \mathrm{CL}_{s+b}` and
:math:`1 - p_b = \mathrm{CL}_b`; with the Asimov value :math:`\sqrt{q_{\mu,A}} = \mu/\sigma`
(CCGV Eq. 32/Sec. 5) they collapse, for every :math:`\hat\mu \le \mu`, to

.. math::

    \mathrm{CL}_s(\mu) = \frac{\Phi((\hat\mu - \mu)/\sigma)}{\Phi(\hat\mu/\sigma)},
    \qquad \mathrm{CL}_s(\mu) = \frac{1/2}{\Phi(\mu/\sigma)} \ \ (\hat\mu > \mu).

The upper limit solves :math:`\mathrm{CL}_s = \alpha = 1 - \mathrm{CL}`; for a linear Gaussian
model :math:`\sigma = \sigma_\mu` does not depend on :math:`\mu`, and the root is closed-form,

.. math::

    \mu_\mathrm{up} = \hat\mu - \sigma\,\Phi^{-1}\!\left(\alpha\,\Phi(\hat\mu/\sigma)\right),

evaluated in log space (``log_ndtr``/``ndtri_exp``) so that it stays finite for any
:math:`\hat\mu/\sigma`. The expected limit for a background-only experiment fluctuating by
:math:`N` standard deviations is the same formula at :math:`\hat\mu = N\sigma`, i.e.
:math:`\mu_{\mathrm{up}+N} = \sigma(\Phi^{-1}(1 - \alpha\Phi(N)) + N)` (CCGV Sec. 4.3/5,
the CLs version of Eq. 89; pyhf's ``expected_pvalues`` with the :math:`\tilde q_\mu` cut-off
gives the same band). The median (:math:`N = 0`) at 95 % CL is :math:`1.96\,\sigma`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from .gaussian import LinearGaussianProblem, profile_fit_batch

__all__ = [
    "CLsResult",
    "CLsBatchResult",
    "EXPECTED_NSIGMA",
    "cls_qtilde",
    "expected_cls_qtilde",
    "upper_limit_qtilde",
    "expected_limits_qtilde",
    "cls_limit",
    "cls_limits_batch",
]

#: Order of the expected band everywhere in this package: -2, -1, 0 (median), +1, +2 sigma.
EXPECTED_NSIGMA: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0)

_STATUS_OK = "ok"
_STATUS_NO_SENS = "no_sensitivity: signal is zero or degenerate with the free nuisances (sigma_mu = inf)"


def _check_cl(cl: float) -> float:
    if isinstance(cl, bool) or not isinstance(cl, (int, float, np.floating, np.integer)):
        raise ValueError(f"cl must be a number in (0.5, 1), got {cl!r}")
    cl = float(cl)
    if not (0.5 < cl < 1.0):
        raise ValueError(f"cl must lie in (0.5, 1) (e.g. 0.95), got {cl!r}")
    return cl


class CLsResult(NamedTuple):
    """Asymptotic CLs upper limit on the POI ``mu`` (cabinetry ``LimitResults`` style).

    Attributes:
        observed_mu: observed upper limit on ``mu`` at confidence level ``cl``
            (``inf`` when ``status`` is not ``"ok"``).
        expected_mu: expected limits for background-only data, 5 values in the order
            ``EXPECTED_NSIGMA = (-2, -1, 0, +1, +2)`` sigma; index 2 is the median.
        cl: confidence level, e.g. 0.95 (CLs = 1 - cl at the limit).
        mu_hat: unconstrained best-fit ``mu`` (can be negative).
        sigma_mu: standard deviation of ``mu_hat`` used in the asymptotic formulae.
        cls_observed_at_limit: CLs evaluated at ``observed_mu`` (equals ``1 - cl`` up to the
            root-finding tolerance; a check, not an input).
        status: ``"ok"`` or the reason the limit is not meaningful.
        test_stat: the test statistic (always ``"qtilde"``).
    """

    observed_mu: float
    expected_mu: tuple[float, float, float, float, float]
    cl: float
    mu_hat: float
    sigma_mu: float
    cls_observed_at_limit: float
    status: str
    test_stat: str = "qtilde"

    @property
    def expected_median_mu(self) -> float:
        """Median expected limit (``expected_mu[2]``)."""
        return self.expected_mu[2]

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly dict (``inf`` is kept as float ``inf``; callers serialising must allow it)."""
        d = self._asdict()
        d["expected_mu"] = [float(x) for x in self.expected_mu]
        d["expected_nsigma"] = list(EXPECTED_NSIGMA)
        return d


class CLsBatchResult(NamedTuple):
    """CLs limits for ``M`` signal hypotheses (arrays of length ``M``; ``expected_mu`` is ``(M, 5)``).

    Attributes: as :class:`CLsResult`, vectorised; ``status`` is a tuple of ``M`` strings.
    """

    observed_mu: np.ndarray
    expected_mu: np.ndarray
    cl: float
    mu_hat: np.ndarray
    sigma_mu: np.ndarray
    cls_observed_at_limit: np.ndarray
    status: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.observed_mu.shape[0])

    def result(self, i: int) -> CLsResult:
        """The ``i``-th hypothesis as a :class:`CLsResult`."""
        return CLsResult(
            observed_mu=float(self.observed_mu[i]),
            expected_mu=tuple(float(x) for x in self.expected_mu[i]),  # type: ignore[arg-type]
            cl=self.cl,
            mu_hat=float(self.mu_hat[i]),
            sigma_mu=float(self.sigma_mu[i]),
            cls_observed_at_limit=float(self.cls_observed_at_limit[i]),
            status=self.status[i],
        )

    def results(self) -> list[CLsResult]:
        """All hypotheses as a list of :class:`CLsResult`."""
        return [self.result(i) for i in range(int(self.observed_mu.shape[0]))]

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly dict of lists."""
        return {
            "observed_mu": self.observed_mu.tolist(),
            "expected_mu": self.expected_mu.tolist(),
            "expected_nsigma": list(EXPECTED_NSIGMA),
            "cl": self.cl,
            "mu_hat": self.mu_hat.tolist(),
            "sigma_mu": self.sigma_mu.tolist(),
            "cls_observed_at_limit": self.cls_observed_at_limit.tolist(),
            "status": list(self.status),
            "test_stat": "qtilde",
        }


def cls_qtilde(
    mu: float | np.ndarray, mu_hat: float | np.ndarray, sigma: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Asymptotic ``(CLs, CLs+b, CLb)`` for :math:`\tilde q_\mu` (CCGV Eqs. 16, 65, 66).

    Vectorised over broadcastable ``mu`` (>= 0), ``mu_hat`` and ``sigma`` (> 0). ``CLb`` is
    :math:`1 - p_b` as in pyhf. Piecewise by :math:`\hat\mu` vs :math:`\mu`, see the module docstring.
    """
    mu = np.asarray(mu, dtype=float)
    mu_hat = np.asarray(mu_hat, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if np.any(~np.isfinite(mu)) or np.any(mu < 0):
        raise ValueError(f"mu must be finite and >= 0 (accepted range [0, inf)), got {mu!r}")
    if np.any(~np.isfinite(mu_hat)):
        raise ValueError(f"mu_hat must be finite, got {mu_hat!r}")
    if np.any(~(sigma > 0)) or np.any(np.isnan(sigma)):
        raise ValueError(f"sigma must be > 0 (accepted range (0, inf]), got {sigma!r}")
    below = mu_hat <= mu
    clsb = np.where(below, special.ndtr((mu_hat - mu) / sigma), 0.5)
    clb = np.where(below, special.ndtr(mu_hat / sigma), special.ndtr(mu / sigma))
    log_cls = np.where(
        below,
        special.log_ndtr((mu_hat - mu) / sigma) - special.log_ndtr(mu_hat / sigma),
        math.log(0.5) - special.log_ndtr(mu / sigma),
    )
    return np.exp(log_cls), clsb, clb


def expected_cls_qtilde(
    mu: float | np.ndarray, sigma: float | np.ndarray, *, clipped: bool = True
) -> np.ndarray:
    r"""Expected CLs band at ``mu`` for background-only data: shape ``(5,) + broadcast shape``.

    Rows follow ``EXPECTED_NSIGMA`` (-2..+2). With ``clipped=True`` (CCGV Eq. 16; pyhf's
    ``calc_base_dist="clipped_normal"``) the band is ``cls_qtilde(mu, N*sigma, sigma)``, i.e.
    :math:`\tilde q_\mu = 0` when the expected :math:`\hat\mu = N\sigma` exceeds ``mu``. With
    ``clipped=False`` (pyhf 0.7's default ``"normal"``) the formula
    :math:`\Phi(N - \mu/\sigma)/\Phi(N)` is used for every ``N``. The two differ only where
    :math:`N\sigma > \mu`, i.e. at CLs > 1 - cl, so expected *limits* are identical.
    """
    mu_arr = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    rows = []
    for n in EXPECTED_NSIGMA:
        if clipped:
            rows.append(cls_qtilde(mu_arr, n * sigma, sigma)[0])
        else:
            cls_qtilde(mu_arr, 0.0 * sigma, sigma)  # input validation only
            rows.append(np.exp(special.log_ndtr(n - mu_arr / sigma) - special.log_ndtr(n)))
    return np.stack(rows)


def upper_limit_qtilde(mu_hat: float | np.ndarray, sigma: float | np.ndarray, cl: float = 0.95) -> np.ndarray:
    r"""Closed-form asymptotic CLs upper limit for a Gaussian POI estimate.

    :math:`\mu_\mathrm{up} = \hat\mu - \sigma\Phi^{-1}(\alpha\Phi(\hat\mu/\sigma))`, ``alpha = 1 - cl``,
    vectorised; ``inf`` where ``sigma`` is ``inf``.
    """
    alpha = 1.0 - _check_cl(cl)
    mu_hat = np.asarray(mu_hat, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    finite = np.isfinite(sigma)
    s = np.where(finite, sigma, 1.0)
    x = mu_hat / s
    z = special.ndtri_exp(math.log(alpha) + special.log_ndtr(x))
    return np.where(finite, mu_hat - s * z, np.inf)


def expected_limits_qtilde(sigma: float | np.ndarray, cl: float = 0.95) -> np.ndarray:
    r"""Expected limits :math:`\sigma(\Phi^{-1}(1-\alpha\Phi(N)) + N)` for ``N`` in ``EXPECTED_NSIGMA``.

    Shape ``sigma.shape + (5,)``.
    """
    sigma = np.asarray(sigma, dtype=float)
    return np.stack([upper_limit_qtilde(n * np.where(np.isfinite(sigma), sigma, 1.0), sigma, cl) for n in EXPECTED_NSIGMA], axis=-1)


def cls_limits_batch(
    problem: LinearGaussianProblem, signals: object, cl: float = 0.95
) -> CLsBatchResult:
    """Observed and expected CLs limits for ``M`` signals sharing ``problem``'s data and covariance.

    One exact profile fit per signal (:func:`~kinmix_stats.likelihood.gaussian.profile_fit_batch`)
    and the closed-form limits of this module; fully vectorised.

    Args:
        problem: data, covariance and nuisances (its own ``signal`` is ignored).
        signals: ``(M, n)`` signal residuals at ``mu = 1``.
        cl: confidence level in (0.5, 1).
    """
    cl = _check_cl(cl)
    fit = profile_fit_batch(problem, signals)
    obs = upper_limit_qtilde(fit.mu_hat, fit.sigma_mu, cl)
    exp = expected_limits_qtilde(fit.sigma_mu, cl)
    ok = np.isfinite(fit.sigma_mu)
    cls_at = np.full(obs.shape, np.nan)
    if np.any(ok):
        cls_at[ok] = cls_qtilde(obs[ok], fit.mu_hat[ok], fit.sigma_mu[ok])[0]
    status = tuple(_STATUS_OK if o else _STATUS_NO_SENS for o in ok)
    return CLsBatchResult(
        observed_mu=obs,
        expected_mu=exp,
        cl=cl,
        mu_hat=fit.mu_hat,
        sigma_mu=fit.sigma_mu,
        cls_observed_at_limit=cls_at,
        status=status,
    )


def cls_limit(problem: LinearGaussianProblem, cl: float = 0.95) -> CLsResult:
    """Asymptotic CLs (:math:`\\tilde q_\\mu`) observed and expected limits on ``mu`` for ``problem``.

    Exact for the linear Gaussian model (closed form, see the module docstring); the non-linear
    likelihood has its own engine (:mod:`kinmix_stats.likelihood.exact`).
    """
    return cls_limits_batch(problem, problem.signal[None, :], cl).result(0)
