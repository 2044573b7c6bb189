"""The kinmix_stats spey back-end (entry point spey.backend.plugins) against our own CLs limits.

What is compared: with ``signal="linear"`` at our final linearisation point eps_ref, spey's likelihood is
exactly the one our closed-form CLs uses (same residuals, covariance, alpha constraint, free sin^2 theta_W,
q~_mu, asymptotic formulae, Asimov data with the auxiliary datum moved as in pyhf), so spey's
``poi_upper_limit`` must equal our mu95 at that eps_ref (to spey's root-finder tolerance; we ask 1e-6).
With the exact (non-linear) signal, the definitions differ only by the linearisation, which our
iteration makes small at the limit: eps95 agrees to 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest

spey = pytest.importorskip("spey")

from kinmix_stats.likelihood.limits import cls_limits, default_likelihood

NAME = "kinmix_stats.correlated_gaussian"


@pytest.fixture(scope="module")
def like():
    return default_likelihood()


@pytest.fixture(scope="module")
def ours(like):
    return cls_limits(like, [50.0], "wide")


def test_backend_is_registered_through_the_entry_point():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points().select(group="spey.backend.plugins") if e.name == NAME]
    assert ep.value == "kinmix_stats.spey_backend:CorrelatedGaussianBackend"
    assert NAME in spey.AvailableBackends()


def test_linear_signal_limit_equals_ours(like, ours):
    eps_ref = float(ours.epsilon_ref[0, 0])  # the observed limit's final linearisation point
    model = spey.get_backend(NAME)(mass=50.0, width="wide", epsilon_ref=eps_ref, likelihood=like, signal="linear")
    mu95 = model.poi_upper_limit()
    assert mu95 == pytest.approx(ours.mu_observed[0], rel=1e-6)
    assert eps_ref * np.sqrt(mu95) == pytest.approx(ours.epsilon_observed[0], rel=1e-6)
    # the backend's signal at mu = 1 is the one our CLs was computed with
    from kinmix_stats.likelihood.cls import cls_limit

    base = like.base_problem(model.backend.signal(1.0))
    ours_cls = cls_limit(base)
    assert ours_cls.observed_mu == pytest.approx(ours.mu_observed[0], rel=1e-9)


def test_linear_signal_expected_median_equals_ours(like, ours):
    eps_ref = float(ours.epsilon_ref[0, 3])  # median expected: column 3 of (obs, -2, -1, 0, +1, +2)
    model = spey.get_backend(NAME)(mass=50.0, width="wide", epsilon_ref=eps_ref, likelihood=like, signal="linear")
    mu_med = model.poi_upper_limit(expected=spey.ExpectationType.apriori)
    assert mu_med == pytest.approx(ours.mu_expected[0, 2], rel=1e-6)


def test_exact_signal_limit_agrees_with_ours(like, ours):
    eps_ref = float(ours.epsilon_ref[0, 0])
    model = spey.get_backend(NAME)(mass=50.0, width="wide", epsilon_ref=eps_ref, likelihood=like)
    eps95 = eps_ref * np.sqrt(model.poi_upper_limit())
    assert eps95 == pytest.approx(ours.epsilon_observed[0], rel=1e-4)


def test_bad_arguments_are_refused_with_the_value():
    backend = spey.get_backend(NAME)
    with pytest.raises(ValueError, match="'quadratic'"):
        backend(mass=50.0, signal="quadratic")
    with pytest.raises(ValueError, match="-0.1"):
        backend(mass=50.0, epsilon_ref=-0.1)
