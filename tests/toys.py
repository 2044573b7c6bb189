"""Toy linear Gaussian problems shared by the likelihood-engine tests."""

from __future__ import annotations

import numpy as np

from kinmix_stats.likelihood.gaussian import LinearGaussianProblem


def correlated_toy(
    n: int = 8, seed: int = 3, scale: float = 1e-4, rho: float = 0.5, name_format: str = "obs{i}"
) -> LinearGaussianProblem:
    """Two correlated blocks, one constrained and one free nuisance, residuals ~1e-4 like the physics."""
    rng = np.random.default_rng(seed)
    sig = scale * rng.uniform(0.5, 2.0, size=n)
    cov = np.zeros((n, n))
    for block in np.array_split(np.arange(n), 2):
        corr = np.full((len(block), len(block)), rho) + (1 - rho) * np.eye(len(block))
        cov[np.ix_(block, block)] = corr * np.outer(sig[block], sig[block])
    observed = rng.multivariate_normal(np.zeros(n), cov)
    signal = scale * rng.uniform(-0.5, 1.5, size=n)
    templates = scale * rng.normal(size=(2, n))
    return LinearGaussianProblem(
        names=tuple(name_format.format(i=i) for i in range(n)),
        observed=observed,
        covariance=cov,
        signal=signal,
        nuisance_names=("alpha_em", "sin2_theta_w"),
        nuisance_templates=templates,
        nuisance_sigmas=(1.0, None),
    )
