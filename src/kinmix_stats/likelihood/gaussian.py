r"""Exact linear-Gaussian likelihood for correlated relative residuals.

The model (Hook, Izaguirre, Wacker, arXiv:1006.0973, Eqs. 15-18, written as a likelihood) is

.. math::

    -2\ln L(\mu, \theta) = r^T C^{-1} r + \sum_{k\,\mathrm{constrained}} (\theta_k/\sigma_k)^2,
    \qquad r = \delta_\mathrm{exp} - \mu\, s - T^T \theta ,

with ``n`` measurements (observed residuals :math:`\delta_\mathrm{exp}`, covariance :math:`C`),
the signal residual :math:`s` at :math:`\mu = 1` (``mu = eps^2/eps_ref^2``), and ``K`` nuisance
parameters with response templates :math:`T` (shape ``(K, n)``), each either Gaussian-constrained
around 0 with width :math:`\sigma_k` or free. Normalisation constants are dropped everywhere:
``chi2`` means :math:`-2\ln L` up to a parameter-independent constant and ``nll`` is half of it.

Because the model is linear in every parameter the profile over the nuisances is exact linear
algebra (generalised least squares), no minimiser is involved:

* whiten with the Cholesky factor :math:`C = G G^T` and append one pseudo-measurement
  :math:`0 = \theta_k/\sigma_k` per constrained nuisance, so that
  :math:`-2\ln L = \lVert \hat y - \mu \hat s - X\theta \rVert^2`;
* project out the column space of :math:`X` with a thin QR decomposition;
  with :math:`\tilde y, \tilde s` the projected vectors,
  :math:`\chi^2_\mathrm{prof}(\mu) = \lVert \tilde y - \mu \tilde s \rVert^2`,
  :math:`\hat\mu = \tilde s\cdot\tilde y / \tilde s\cdot\tilde s`,
  :math:`\sigma_\mu = 1/\lVert\tilde s\rVert`.

:math:`\sigma_\mu` does not depend on :math:`\mu` or on the data, which is what makes the
asymptotic CLs formulae of :mod:`kinmix_stats.likelihood.cls` closed-form.

The ``*_batch`` functions take one problem (observed data, covariance, templates) and ``M``
signal vectors ``signals`` of shape ``(M, n)``: the hot path of a mass scan. They whiten and
project all signals with two matrix products and never loop in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy import linalg

__all__ = [
    "LinearGaussianProblem",
    "ProfileSolver",
    "ProfileFit",
    "BatchProfileFit",
    "profile_fit",
    "profile_fit_batch",
    "profile_chi2",
    "profile_chi2_batch",
    "profiled_nuisances",
    "profiled_nuisances_batch",
    "chi2",
    "nll",
    "nll_batch",
]

#: Relative threshold below which the projected signal norm counts as zero (no sensitivity).
_SENSITIVITY_RTOL = 1e-10


def _as_vector(name: str, value: object, n: int | None) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array, got {value!r}") from err
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        want = f"({n},)" if n is not None else "(n,)"
        raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    _check_finite_array(name, arr)
    return arr


def _check_finite_array(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be finite everywhere; got {arr[idx]!r} at index {idx}")


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, dtype=float, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class LinearGaussianProblem:
    """Correlated Gaussian measurements of residuals, linear in the POI and the nuisances.

    Attributes:
        names: ``n`` measurement ids (unique; become pyhf channel names after sanitising).
        observed: ``(n,)`` observed residuals :math:`\\delta_\\mathrm{exp}` (dimensionless).
        covariance: ``(n, n)`` covariance of the residuals, symmetric positive definite.
        signal: ``(n,)`` residual :math:`\\delta_\\mathrm{th}` at ``mu = 1``.
        nuisance_names: ``K`` nuisance names.
        nuisance_templates: ``(K, n)`` residual response per unit of each nuisance.
        nuisance_sigmas: per nuisance, the width of its Gaussian constraint centred at 0
            (in the nuisance's units) or ``None`` for a free nuisance.
        groups: optional disjoint index blocks covering ``0..n-1``; the covariance must vanish
            between blocks. Used by the workspace encoding; inferred from the covariance if ``None``.

    Equality is identity (``eq=False``): numpy fields make value equality ambiguous.
    Arrays are copied and made read-only on construction.

    Raises:
        ValueError: naming the field, if a shape is wrong, a value is not finite, the covariance
            is not symmetric positive definite, a sigma is not > 0, the nuisances are not
            identifiable (a free nuisance without effect, or degenerate templates), or the groups
            are not a partition compatible with the covariance.
    """

    names: tuple[str, ...]
    observed: np.ndarray
    covariance: np.ndarray
    signal: np.ndarray
    nuisance_names: tuple[str, ...]
    nuisance_templates: np.ndarray
    nuisance_sigmas: tuple[float | None, ...]
    groups: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        names = tuple(self.names)
        if not names or not all(isinstance(x, str) and x for x in names):
            raise ValueError(f"names must be a non-empty tuple of non-empty strings, got {self.names!r}")
        if len(set(names)) != len(names):
            dup = sorted({x for x in names if names.count(x) > 1})
            raise ValueError(f"names must be unique; duplicated: {dup}")
        n = len(names)
        observed = _as_vector("observed", self.observed, n)
        signal = _as_vector("signal", self.signal, n)

        try:
            cov = np.array(self.covariance, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"covariance must be a numeric (n, n) array, got {self.covariance!r}") from err
        if cov.shape != (n, n):
            raise ValueError(f"covariance must have shape ({n}, {n}), got shape {cov.shape}")
        _check_finite_array("covariance", cov)
        scale = float(np.max(np.abs(np.diag(cov)))) if n else 0.0
        asym = float(np.max(np.abs(cov - cov.T)))
        if asym > 1e-10 * max(scale, np.finfo(float).tiny):
            raise ValueError(
                f"covariance must be symmetric; max |C - C^T| = {asym:.3g} (diagonal scale {scale:.3g})"
            )
        cov = 0.5 * (cov + cov.T)
        diag = np.diag(cov)
        if np.any(diag <= 0):
            i = int(np.argmin(diag))
            raise ValueError(
                f"covariance must be positive definite; diagonal entry [{i},{i}] = {diag[i]!r} "
                "(accepted range (0, inf))"
            )
        corr = cov / np.sqrt(np.outer(diag, diag))
        lam_min = float(np.linalg.eigvalsh(corr)[0])
        if lam_min <= 1e-12:
            raise ValueError(
                f"covariance must be positive definite; smallest eigenvalue of the correlation "
                f"matrix is {lam_min:.3g} (accepted range (1e-12, inf))"
            )

        nuis_names = tuple(self.nuisance_names)
        k = len(nuis_names)
        if not all(isinstance(x, str) and x for x in nuis_names) or len(set(nuis_names)) != k:
            raise ValueError(f"nuisance_names must be unique non-empty strings, got {self.nuisance_names!r}")
        try:
            templates = np.array(self.nuisance_templates, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError("nuisance_templates must be a numeric (K, n) array") from err
        if k == 0 and templates.size == 0:
            templates = np.zeros((0, n))
        if templates.shape != (k, n):
            raise ValueError(f"nuisance_templates must have shape ({k}, {n}), got shape {templates.shape}")
        _check_finite_array("nuisance_templates", templates)
        sigmas = tuple(self.nuisance_sigmas)
        if len(sigmas) != k:
            raise ValueError(f"nuisance_sigmas must have {k} entries (one per nuisance), got {len(sigmas)}")
        clean_sigmas: list[float | None] = []
        for name, sig in zip(nuis_names, sigmas, strict=True):
            if sig is None:
                clean_sigmas.append(None)
                continue
            if isinstance(sig, bool) or not isinstance(sig, (int, float, np.integer, np.floating)):
                raise ValueError(f"nuisance_sigmas[{name!r}] must be a number > 0 or None, got {sig!r}")
            if not math.isfinite(float(sig)) or float(sig) <= 0:
                raise ValueError(
                    f"nuisance_sigmas[{name!r}] must be finite and > 0 (accepted range (0, inf)) "
                    f"or None for a free nuisance, got {sig!r}"
                )
            clean_sigmas.append(float(sig))

        groups = self.groups
        if groups is not None:
            groups = tuple(tuple(int(i) for i in g) for g in groups)
            flat = [i for g in groups for i in g]
            if any(len(g) == 0 for g in groups) or sorted(flat) != list(range(n)):
                raise ValueError(
                    f"groups must be non-empty disjoint index blocks covering 0..{n - 1} exactly once, got {self.groups!r}"
                )
            label = np.empty(n, dtype=int)
            for gi, g in enumerate(groups):
                label[list(g)] = gi
            cross = (label[:, None] != label[None, :]) & (cov != 0.0)
            if np.any(cross):
                i, j = (int(x) for x in np.argwhere(cross)[0])
                raise ValueError(
                    f"groups: covariance[{i},{j}] = {cov[i, j]!r} links measurements in different groups; "
                    "correlated measurements must share a group"
                )

        object.__setattr__(self, "names", names)
        object.__setattr__(self, "observed", _frozen(observed))
        object.__setattr__(self, "signal", _frozen(signal))
        object.__setattr__(self, "covariance", _frozen(cov))
        object.__setattr__(self, "nuisance_names", nuis_names)
        object.__setattr__(self, "nuisance_templates", _frozen(templates))
        object.__setattr__(self, "nuisance_sigmas", tuple(clean_sigmas))
        object.__setattr__(self, "groups", groups)
        # Identifiability of the nuisances is checked by building the projector now.
        _ = self.solver

    @property
    def n(self) -> int:
        """Number of measurements."""
        return len(self.names)

    @property
    def k(self) -> int:
        """Number of nuisance parameters."""
        return len(self.nuisance_names)

    @cached_property
    def solver(self) -> ProfileSolver:
        """The whitening + QR projector of this problem's data (built once, shared by :meth:`with_signal` copies)."""
        return ProfileSolver(self)

    def nuisance_units(self) -> list[float]:
        """Per nuisance: ``sigma_k`` if constrained, else its Gaussian uncertainty profiled over the others (mu fixed).

        The O(1) unit of each nuisance parameter of the pyhf encodings (:mod:`.whitened`, :mod:`.workspace`).
        """
        if self.k:
            rinv = linalg.solve_triangular(self.solver.r, np.eye(self.k), lower=False)
            theta_sd = np.sqrt(np.sum(rinv**2, axis=1))
        else:
            theta_sd = np.zeros(0)
        return [float(s) if s is not None else float(theta_sd[k]) for k, s in enumerate(self.nuisance_sigmas)]

    def with_signal(self, signal: object) -> LinearGaussianProblem:
        """A copy with another ``signal`` (n,), sharing the validated data, covariance and solver.

        Only the new signal is validated, so building many hypotheses on one dataset (a scan, a
        patchset export) costs no repeated covariance checks or factorisations.
        """
        new = object.__new__(type(self))
        for f in ("names", "observed", "covariance", "nuisance_names", "nuisance_templates", "nuisance_sigmas", "groups"):
            object.__setattr__(new, f, getattr(self, f))
        object.__setattr__(new, "signal", _frozen(_as_vector("signal", signal, self.n)))
        if "solver" in self.__dict__:
            new.__dict__["solver"] = self.__dict__["solver"]
        return new

    def blocks(self) -> tuple[tuple[int, ...], ...]:
        """Index blocks with no covariance between them: ``groups`` if given, else inferred."""
        if self.groups is not None:
            return self.groups
        from scipy.sparse.csgraph import connected_components

        ncomp, label = connected_components(self.covariance != 0.0, directed=False)
        return tuple(tuple(int(i) for i in np.flatnonzero(label == c)) for c in range(ncomp))


class ProfileSolver:
    """Whitening + QR projector of a :class:`LinearGaussianProblem` (``problem.solver``, cached per problem).

    Every profile fit of this module and the pyhf encodings use it: ``chol`` (Cholesky factor of the
    covariance), ``q``/``r`` (QR of the whitened nuisance design, constraint rows appended), ``y_white``
    (whitened, augmented data) and ``y_proj`` (its part orthogonal to the nuisances).
    """

    def __init__(self, p: LinearGaussianProblem) -> None:
        n, k = p.n, p.k
        self.chol = linalg.cholesky(p.covariance, lower=True)
        constrained = [i for i, s in enumerate(p.nuisance_sigmas) if s is not None]
        self.inv_sigma = np.array(
            [0.0 if s is None else 1.0 / s for s in p.nuisance_sigmas], dtype=float
        )
        t_white = linalg.solve_triangular(self.chol, p.nuisance_templates.T, lower=True)  # (n, K)
        prior = np.zeros((len(constrained), k))
        for row, i in enumerate(constrained):
            prior[row, i] = self.inv_sigma[i]
        self.design = np.vstack([t_white, prior])  # (n + Kc, K)
        self.n_aug = n + len(constrained)
        if k:
            self.q, self.r = linalg.qr(self.design, mode="economic")
            rdiag = np.abs(np.diag(self.r))
            colnorm = np.linalg.norm(self.design, axis=0)
            bad = (rdiag <= 1e-10 * np.maximum(colnorm, np.finfo(float).tiny)) | (colnorm == 0)
            if np.any(bad):
                j = int(np.argmax(bad))
                raise ValueError(
                    f"nuisance_templates: nuisance {p.nuisance_names[j]!r} is not identifiable "
                    "(free with no effect on the residuals, or degenerate with the other nuisances)"
                )
        else:
            self.q = np.zeros((self.n_aug, 0))
            self.r = np.zeros((0, 0))
        self.y_white = self.augment(self.whiten(p.observed))
        self.y_proj = self.project(self.y_white)

    def whiten(self, v: np.ndarray) -> np.ndarray:
        """``G^{-1} v`` for ``v`` of shape (n,) or (n, M)."""
        return linalg.solve_triangular(self.chol, v, lower=True)

    def augment(self, v: np.ndarray) -> np.ndarray:
        pad = self.n_aug - v.shape[0]
        return np.concatenate([v, np.zeros((pad,) + v.shape[1:])], axis=0)

    def project(self, v: np.ndarray) -> np.ndarray:
        """Remove the component of ``v`` in the nuisance column space (v: (n_aug,) or (n_aug, M))."""
        return v - self.q @ (self.q.T @ v)

    def theta_hat(self, resid_white_aug: np.ndarray) -> np.ndarray:
        """Least-squares nuisances for the whitened, augmented residual (before removing nuisances)."""
        if self.r.size == 0:
            return np.zeros((0,) + resid_white_aug.shape[1:])
        return linalg.solve_triangular(self.r, self.q.T @ resid_white_aug, lower=False)


class ProfileFit(NamedTuple):
    """Exact profile-likelihood fit of one :class:`LinearGaussianProblem`.

    Attributes:
        mu_hat: unconstrained maximum-likelihood POI (may be negative).
        sigma_mu: standard deviation of ``mu_hat`` (``inf`` if the signal is degenerate with
            the free nuisances or zero), independent of ``mu``.
        chi2_min: :math:`-2\\ln L` at the global best fit (up to a constant).
        chi2_mu0: profiled :math:`-2\\ln L` at ``mu = 0``.
        thetas_hat: ``(K,)`` nuisances at the global best fit.
        ndof: degrees of freedom of ``chi2_min`` (``n - 1 - K_free``).
    """

    mu_hat: float
    sigma_mu: float
    chi2_min: float
    chi2_mu0: float
    thetas_hat: np.ndarray
    ndof: int


class BatchProfileFit(NamedTuple):
    """Profile fits of ``M`` signal hypotheses sharing data, covariance and templates.

    Attributes:
        mu_hat: ``(M,)`` unconstrained best-fit POI (``0`` where there is no sensitivity).
        sigma_mu: ``(M,)`` standard deviation of ``mu_hat`` (``inf`` where there is no sensitivity).
        chi2_min: ``(M,)`` :math:`-2\\ln L` at the best fit.
        chi2_mu0: scalar profiled :math:`-2\\ln L` at ``mu = 0`` (the same for every signal).
    """

    mu_hat: np.ndarray
    sigma_mu: np.ndarray
    chi2_min: np.ndarray
    chi2_mu0: float


def _signals_matrix(problem: LinearGaussianProblem, signals: object) -> np.ndarray:
    try:
        arr = np.array(signals, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError("signals must be a numeric (M, n) array") from err
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != problem.n:
        raise ValueError(f"signals must have shape (M, {problem.n}), got shape {arr.shape}")
    _check_finite_array("signals", arr)
    return arr


def _projected_signals(problem: LinearGaussianProblem, signals: np.ndarray) -> np.ndarray:
    """Whitened, augmented, nuisance-projected signals, shape (n_aug, M)."""
    sv = problem.solver
    return sv.project(sv.augment(sv.whiten(signals.T)))


def profile_fit_batch(problem: LinearGaussianProblem, signals: object) -> BatchProfileFit:
    """Exact profile fits for ``M`` signal vectors (vectorised; the mass-scan hot path).

    Args:
        problem: supplies ``observed``, ``covariance`` and the nuisances; its ``signal`` is ignored.
        signals: ``(M, n)`` signal residuals at ``mu = 1``.

    Returns:
        :class:`BatchProfileFit` with ``mu_hat = s.y/s.s`` and ``sigma_mu = 1/|s|`` in the whitened,
        nuisance-projected metric (generalised least squares).
    """
    s = _signals_matrix(problem, signals)
    sv = problem.solver
    s_white = sv.augment(sv.whiten(s.T))
    s_proj = sv.project(s_white)
    y = sv.y_proj
    num = s_proj.T @ y
    den = np.einsum("im,im->m", s_proj, s_proj)
    raw = np.einsum("im,im->m", s_white, s_white)
    chi2_0 = float(y @ y)
    sensitive = den > _SENSITIVITY_RTOL * raw
    safe_den = np.where(sensitive, den, 1.0)
    mu_hat = np.where(sensitive, num / safe_den, 0.0)
    sigma_mu = np.where(sensitive, 1.0 / np.sqrt(safe_den), np.inf)
    chi2_min = np.where(sensitive, chi2_0 - num * mu_hat, chi2_0)
    return BatchProfileFit(mu_hat=mu_hat, sigma_mu=sigma_mu, chi2_min=chi2_min, chi2_mu0=chi2_0)


def profile_fit(problem: LinearGaussianProblem) -> ProfileFit:
    """Exact profile fit of ``problem`` (its own ``signal``).

    Returns:
        :class:`ProfileFit`; ``mu_hat`` is unconstrained (the ``mu >= 0`` bound enters only the
        test statistic, see :mod:`kinmix_stats.likelihood.cls`).
    """
    b = profile_fit_batch(problem, problem.signal[None, :])
    mu_hat = float(b.mu_hat[0])
    n_free = sum(1 for s in problem.nuisance_sigmas if s is None)
    return ProfileFit(
        mu_hat=mu_hat,
        sigma_mu=float(b.sigma_mu[0]),
        chi2_min=float(b.chi2_min[0]),
        chi2_mu0=b.chi2_mu0,
        thetas_hat=profiled_nuisances(problem, mu_hat),
        ndof=problem.n - 1 - n_free,
    )


def _mu_array(name: str, mu: object) -> np.ndarray:
    try:
        arr = np.array(mu, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a real number or array, got {mu!r}") from err
    _check_finite_array(name, np.atleast_1d(arr))
    return arr


def profile_chi2(problem: LinearGaussianProblem, mu: float | np.ndarray) -> float | np.ndarray:
    """Profiled :math:`-2\\ln L(\\mu)` (nuisances at their conditional best fit), exact.

    ``mu`` may be a scalar or an array (any shape); the result has the same shape.
    """
    mu_arr = _mu_array("mu", mu)
    sv = problem.solver
    s_proj = _projected_signals(problem, problem.signal[None, :])[:, 0]
    y = sv.y_proj
    a, b, c = float(y @ y), float(s_proj @ y), float(s_proj @ s_proj)
    out = a - 2.0 * mu_arr * b + mu_arr**2 * c
    return float(out) if out.ndim == 0 else out


def profile_chi2_batch(
    problem: LinearGaussianProblem, signals: object, mu: float | np.ndarray
) -> np.ndarray:
    """Profiled :math:`-2\\ln L` for ``M`` signals, at ``mu`` (scalar or ``(M,)``), shape ``(M,)``."""
    s = _signals_matrix(problem, signals)
    mu_arr = np.broadcast_to(_mu_array("mu", mu), (s.shape[0],))
    s_proj = _projected_signals(problem, s)
    y = problem.solver.y_proj
    a = float(y @ y)
    b = s_proj.T @ y
    c = np.einsum("im,im->m", s_proj, s_proj)
    return a - 2.0 * mu_arr * b + mu_arr**2 * c


def profiled_nuisances(problem: LinearGaussianProblem, mu: float | np.ndarray) -> np.ndarray:
    """Conditional best-fit nuisances :math:`\\hat{\\hat\\theta}(\\mu)`: shape ``(K,)``, or ``(len(mu), K)``."""
    mu_arr = _mu_array("mu", mu)
    sv = problem.solver
    y_w = sv.y_white
    s_w = sv.augment(sv.whiten(problem.signal))
    resid = y_w[:, None] - s_w[:, None] * np.atleast_1d(mu_arr)[None, :]
    th = sv.theta_hat(resid).T  # (len(mu), K)
    return th[0] if mu_arr.ndim == 0 else th


def profiled_nuisances_batch(problem: LinearGaussianProblem, signals: object, mu: float = 1.0) -> np.ndarray:
    """Conditional best-fit nuisances at ``mu`` for ``M`` signal vectors ``(M, n)``: shape ``(M, K)``."""
    s = _signals_matrix(problem, signals)
    sv = problem.solver
    resid = sv.y_white[:, None] - float(mu) * sv.augment(sv.whiten(s.T))
    return sv.theta_hat(resid).T


def _thetas(problem: LinearGaussianProblem, thetas: object, m: int | None) -> np.ndarray:
    try:
        arr = np.array(thetas, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"thetas must be a numeric array of length {problem.k}") from err
    want = (problem.k,) if m is None else (m, problem.k)
    if arr.shape != want:
        if m is not None and arr.shape == (problem.k,):
            arr = np.broadcast_to(arr, want)
        else:
            raise ValueError(f"thetas must have shape {want}, got shape {arr.shape}")
    _check_finite_array("thetas", arr)
    return arr


def chi2(problem: LinearGaussianProblem, mu: float, thetas: object) -> float:
    """:math:`-2\\ln L(\\mu, \\theta)` (unprofiled) up to a constant: ``r^T C^-1 r + sum (theta/sigma)^2``."""
    mu_v = float(_mu_array("mu", mu))
    th = _thetas(problem, thetas, None)
    sv = problem.solver
    r = problem.observed - mu_v * problem.signal - problem.nuisance_templates.T @ th
    rw = sv.whiten(r)
    return float(rw @ rw + np.sum((th * sv.inv_sigma) ** 2))


def nll(problem: LinearGaussianProblem, mu: float, thetas: object) -> float:
    """Negative log-likelihood :math:`-\\ln L(\\mu,\\theta)` up to a constant (half of :func:`chi2`)."""
    return 0.5 * chi2(problem, mu, thetas)


def nll_batch(
    problem: LinearGaussianProblem, signals: object, mu: object, thetas: object
) -> np.ndarray:
    """:func:`nll` for ``M`` signals at once: ``mu`` scalar or ``(M,)``, ``thetas`` ``(K,)`` or ``(M, K)``."""
    s = _signals_matrix(problem, signals)
    m = s.shape[0]
    mu_arr = np.broadcast_to(_mu_array("mu", mu), (m,))
    th = _thetas(problem, thetas, m)
    sv = problem.solver
    r = problem.observed[None, :] - mu_arr[:, None] * s - th @ problem.nuisance_templates  # (M, n)
    rw = sv.whiten(r.T)
    return 0.5 * (np.einsum("im,im->m", rw, rw) + np.sum((th * sv.inv_sigma[None, :]) ** 2, axis=1))
