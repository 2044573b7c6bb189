"""Tests of the exact linear-Gaussian engine and the closed-form asymptotic CLs (no pyhf here)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from iminuit import Minuit
from scipy import optimize, stats

from kinmix_stats.likelihood import (
    EXPECTED_NSIGMA,
    LinearGaussianProblem,
    chi2,
    cls_limit,
    cls_limits_batch,
    cls_qtilde,
    expected_cls_qtilde,
    nll,
    nll_batch,
    profile_chi2,
    profile_chi2_batch,
    profile_fit,
    profile_fit_batch,
    profiled_nuisances,
    upper_limit_qtilde,
)

import toys


def correlated_toy(n: int = 8, seed: int = 3, scale: float = 1e-4, rho: float = 0.5) -> LinearGaussianProblem:
    """Two correlated blocks, one constrained and one free nuisance (see tests/toys.py)."""
    return toys.correlated_toy(n, seed, scale, rho)


def one_bin(observed: float = 0.0, sigma: float = 1.0, signal: float = 1.0) -> LinearGaussianProblem:
    return LinearGaussianProblem(("m",), [observed], [[sigma**2]], [signal], (), np.zeros((0, 1)), ())


# --- (a) analytic answers -------------------------------------------------------------------

def test_one_bin_expected_limit_is_1p96():
    res = cls_limit(one_bin())
    assert res.status == "ok"
    assert res.expected_mu[2] == pytest.approx(stats.norm.ppf(0.975), abs=1e-9)  # 1.95996
    assert res.expected_mu[2] == pytest.approx(1.96, abs=5e-4)
    assert res.observed_mu == pytest.approx(res.expected_mu[2], abs=1e-9)  # observed = 0 = median
    assert res.cls_observed_at_limit == pytest.approx(0.05, abs=1e-12)
    # band: sigma * (Phi^-1(1 - alpha Phi(N)) + N)  (CCGV, CLs version)
    for n_sigma, value in zip(EXPECTED_NSIGMA, res.expected_mu):
        assert value == pytest.approx(stats.norm.ppf(1 - 0.05 * stats.norm.cdf(n_sigma)) + n_sigma, abs=1e-9)
    d = res.to_dict()
    assert d["expected_nsigma"] == [-2.0, -1.0, 0.0, 1.0, 2.0] and d["status"] == "ok"


def test_one_bin_observed_limits_and_scaling():
    # observed +1 sigma: solve Phi(1 - mu) = 0.05 Phi(1) by hand
    res = cls_limit(one_bin(observed=1.0))
    assert res.observed_mu == pytest.approx(1.0 - stats.norm.ppf(0.05 * stats.norm.cdf(1.0)), abs=1e-9)
    # limits scale with sigma/signal
    res2 = cls_limit(one_bin(observed=0.5, sigma=2.0, signal=4.0))
    ref = cls_limit(one_bin(observed=0.125, sigma=0.5, signal=1.0))
    assert res2.observed_mu == pytest.approx(ref.observed_mu, rel=1e-12)


def test_cls_qtilde_matches_ccgv_piecewise_formulae():
    """Direct transcription of CCGV Eq. 16 (q~) and Eqs. 65-66 with sqrt(q_A) = mu/sigma."""
    sigma = 0.7
    for mu in (0.3, 1.0, 2.5):
        for mu_hat in (-2.0, -0.1, 0.0, 0.2, 0.99, 1.7, 4.0):
            if mu_hat < 0:
                q = mu**2 / sigma**2 - 2 * mu * mu_hat / sigma**2
            elif mu_hat <= mu:
                q = (mu - mu_hat) ** 2 / sigma**2
            else:
                q = 0.0
            qa = mu**2 / sigma**2
            if q <= qa:
                p_mu = 1 - stats.norm.cdf(math.sqrt(q))
                one_minus_pb = 1 - stats.norm.cdf(math.sqrt(q) - math.sqrt(qa))
            else:
                p_mu = 1 - stats.norm.cdf((q + qa) / (2 * math.sqrt(qa)))
                one_minus_pb = 1 - stats.norm.cdf((q - qa) / (2 * math.sqrt(qa)))
            cls, clsb, clb = cls_qtilde(mu, mu_hat, sigma)
            assert float(clsb) == pytest.approx(p_mu, rel=1e-10, abs=1e-15)
            assert float(clb) == pytest.approx(one_minus_pb, rel=1e-10)
            assert float(cls) == pytest.approx(p_mu / one_minus_pb, rel=1e-9)


def test_closed_form_limit_equals_brent_root():
    for mu_hat in (-30.0, -2.0, 0.0, 0.4, 3.0, 50.0):
        closed = float(upper_limit_qtilde(mu_hat, 0.5))
        root = optimize.brentq(lambda m: float(cls_qtilde(m, mu_hat, 0.5)[0]) - 0.05, 1e-9, 100.0, xtol=1e-14)
        assert closed == pytest.approx(root, rel=1e-9)
    prob = correlated_toy()
    fit = profile_fit(prob)
    closed_res = cls_limit(prob)
    band = expected_cls_qtilde(closed_res.expected_mu[2], fit.sigma_mu)
    assert band[2] == pytest.approx(0.05, rel=1e-9)
    # clipped (CCGV Eq. 16) and unclipped (pyhf default) bands agree at every expected limit
    for n, lim in enumerate(closed_res.expected_mu):
        assert expected_cls_qtilde(lim, fit.sigma_mu)[n] == pytest.approx(0.05, rel=1e-9)
        assert expected_cls_qtilde(lim, fit.sigma_mu, clipped=False)[n] == pytest.approx(0.05, rel=1e-9)


def test_extreme_fluctuations_stay_finite():
    lim = upper_limit_qtilde(np.array([-60.0, 0.0, 1e6]), np.array([1.0, 1e-12, 1.0]))
    assert np.all(np.isfinite(lim)) and np.all(lim > 0)
    assert lim[1] == pytest.approx(1.96e-12, rel=1e-3)


# --- exact profile fit ---------------------------------------------------------------------

def test_profile_fit_matches_minuit_on_full_likelihood():
    prob = correlated_toy()
    fit = profile_fit(prob)

    def f(mu, a, s):
        return chi2(prob, mu, [a, s])

    m = Minuit(f, mu=0.0, a=0.0, s=0.0)
    m.errordef = Minuit.LEAST_SQUARES
    m.migrad()
    m.hesse()
    assert m.valid
    assert m.values["mu"] == pytest.approx(fit.mu_hat, abs=1e-4 * fit.sigma_mu)
    assert m.errors["mu"] == pytest.approx(fit.sigma_mu, rel=1e-3)
    assert m.fval == pytest.approx(fit.chi2_min, abs=1e-6)
    assert np.allclose([m.values["a"], m.values["s"]], fit.thetas_hat, rtol=1e-3, atol=1e-4)
    # conditional fit at fixed mu
    for mu in (0.0, 1.5):
        m2 = Minuit(lambda a, s: chi2(prob, mu, [a, s]), a=0.0, s=0.0)
        m2.errordef = Minuit.LEAST_SQUARES
        m2.migrad()
        assert m2.fval == pytest.approx(profile_chi2(prob, mu), abs=1e-6)
        assert np.allclose([m2.values["a"], m2.values["s"]], profiled_nuisances(prob, mu), rtol=1e-3, atol=1e-4)
    assert fit.chi2_mu0 == pytest.approx(profile_chi2(prob, 0.0))
    assert fit.ndof == prob.n - 2


def test_nll_is_half_chi2_and_explicit_formula():
    prob = correlated_toy()
    th = np.array([0.3, -0.2])
    r = prob.observed - 0.7 * prob.signal - prob.nuisance_templates.T @ th
    explicit = r @ np.linalg.solve(prob.covariance, r) + th[0] ** 2
    assert chi2(prob, 0.7, th) == pytest.approx(explicit, rel=1e-12)
    assert nll(prob, 0.7, th) == pytest.approx(0.5 * explicit, rel=1e-12)


def test_batch_equals_loop():
    prob = correlated_toy()
    rng = np.random.default_rng(11)
    signals = prob.signal[None, :] * rng.uniform(0.2, 3.0, size=(25, 1)) + 1e-5 * rng.normal(size=(25, prob.n))
    batch = profile_fit_batch(prob, signals)
    lims = cls_limits_batch(prob, signals)
    for i in range(0, 25, 6):
        single = dataclasses.replace(prob, signal=signals[i])
        f = profile_fit(single)
        assert batch.mu_hat[i] == pytest.approx(f.mu_hat, rel=1e-10)
        assert batch.sigma_mu[i] == pytest.approx(f.sigma_mu, rel=1e-10)
        assert batch.chi2_min[i] == pytest.approx(f.chi2_min, rel=1e-9, abs=1e-12)
        r = cls_limit(single)
        assert lims.result(i).observed_mu == pytest.approx(r.observed_mu, rel=1e-10)
        assert np.allclose(lims.expected_mu[i], r.expected_mu, rtol=1e-10)
    mus = np.linspace(0, 2, 25)
    assert np.allclose(
        profile_chi2_batch(prob, signals, mus),
        [profile_chi2(dataclasses.replace(prob, signal=s), m) for s, m in zip(signals, mus)],
    )
    th = np.array([[0.1, 0.2]] * 25)
    assert np.allclose(
        nll_batch(prob, signals, mus, th),
        [nll(dataclasses.replace(prob, signal=s), m, t) for s, m, t in zip(signals, mus, th)],
    )
    assert len(lims.to_dict()["observed_mu"]) == 25 and len(lims.results()) == 25


def test_signal_degenerate_with_free_nuisance_reports_no_sensitivity():
    prob = correlated_toy()
    res = cls_limits_batch(prob, np.vstack([prob.signal, 2.5 * prob.nuisance_templates[1], np.zeros(prob.n)]))
    assert res.status[0] == "ok"
    assert res.status[1].startswith("no_sensitivity") and res.status[2].startswith("no_sensitivity")
    assert np.isinf(res.observed_mu[1]) and np.all(np.isinf(res.expected_mu[2]))


# --- (c) signal injection / under-fluctuation ------------------------------------------------

def test_injected_signal_raises_and_underfluctuation_lowers_the_limit():
    prob = correlated_toy()
    background_like = dataclasses.replace(prob, observed=np.zeros(prob.n))  # median background-only data
    base = cls_limit(background_like)
    assert base.observed_mu == pytest.approx(base.expected_mu[2], rel=1e-10)
    injected = cls_limit(dataclasses.replace(prob, observed=2.0 * base.sigma_mu * prob.signal))
    assert injected.mu_hat == pytest.approx(2.0 * base.sigma_mu, rel=1e-10)
    assert injected.observed_mu > base.expected_mu[3]  # above the +1 sigma band edge
    under = cls_limit(dataclasses.replace(prob, observed=-1.5 * base.sigma_mu * prob.signal))
    assert under.observed_mu < base.expected_mu[1]  # below the -1 sigma band edge
    # expected band does not depend on the data
    assert np.allclose(injected.expected_mu, base.expected_mu) and np.allclose(under.expected_mu, base.expected_mu)


# --- (d) bad inputs --------------------------------------------------------------------------

def _kwargs() -> dict:
    p = correlated_toy(n=4)
    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}


@pytest.mark.parametrize(
    "change, match",
    [
        ({"observed": [np.nan, 0, 0, 0]}, r"observed must be finite.*nan"),
        ({"signal": np.zeros(3)}, r"signal must have shape \(4,\)"),
        ({"covariance": np.diag([1.0, 1.0, -1.0, 1.0])}, r"covariance must be positive definite.*\[2,2\]"),
        ({"covariance": np.ones((4, 4))}, r"covariance must be positive definite; smallest eigenvalue"),
        ({"covariance": np.eye(4) + np.triu(np.full((4, 4), 0.1), 1)}, r"covariance must be symmetric"),
        ({"covariance": np.eye(3)}, r"covariance must have shape \(4, 4\)"),
        ({"nuisance_sigmas": (-0.1, None)}, r"nuisance_sigmas\['alpha_em'\] must be finite and > 0"),
        ({"nuisance_sigmas": (float("inf"), None)}, r"nuisance_sigmas\['alpha_em'\]"),
        ({"nuisance_sigmas": (1.0,)}, r"nuisance_sigmas must have 2 entries"),
        ({"nuisance_templates": np.zeros((2, 3))}, r"nuisance_templates must have shape \(2, 4\)"),
        ({"nuisance_templates": np.array([[1.0, 0, 0, 0], [0, 0, 0, 0]])}, r"'sin2_theta_w' is not identifiable"),
        ({"names": ("a", "a", "b", "c")}, r"names must be unique"),
        ({"groups": ((0, 1), (2,))}, r"groups must be non-empty disjoint"),
    ],
)
def test_bad_inputs_are_rejected(change, match):
    kw = _kwargs()
    kw.update(change)
    with pytest.raises(ValueError, match=match):
        LinearGaussianProblem(**kw)


def test_groups_must_respect_covariance_and_bad_cl_rejected():
    kw = _kwargs()
    kw["groups"] = ((0, 2), (1, 3))  # toy blocks are (0,1) and (2,3)
    with pytest.raises(ValueError, match=r"groups: covariance\[0,1\]"):
        LinearGaussianProblem(**kw)
    kw["groups"] = ((0, 1), (2, 3))
    assert LinearGaussianProblem(**kw).blocks() == ((0, 1), (2, 3))
    with pytest.raises(ValueError, match=r"cl must lie in \(0.5, 1\)"):
        cls_limit(correlated_toy(), cl=1.5)
    with pytest.raises(ValueError, match=r"signals must have shape \(M, 8\)"):
        profile_fit_batch(correlated_toy(), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"mu must be finite"):
        profile_chi2(correlated_toy(), np.nan)
    prob = correlated_toy()
    with pytest.raises(ValueError):
        prob.observed[0] = 1.0  # read-only arrays: a frozen problem cannot be mutated in place


def test_with_signal_shares_solver_and_validates_the_new_signal():
    prob = correlated_toy()
    new_signal = prob.signal * 1.7 + 1e-5
    fast = prob.with_signal(new_signal)
    slow = dataclasses.replace(prob, signal=new_signal)
    assert fast.solver is prob.solver
    assert cls_limit(fast).observed_mu == pytest.approx(cls_limit(slow).observed_mu, rel=1e-12)
    assert not fast.signal.flags.writeable
    with pytest.raises(ValueError, match=r"signal must have shape \(8,\)"):
        prob.with_signal(np.zeros(3))
    with pytest.raises(ValueError, match=r"signal must be finite"):
        prob.with_signal(np.full(8, np.inf))
