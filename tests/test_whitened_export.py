"""The default (whitened) pyhf export: pyhf's likelihood is the exact Gaussian one, three parameters, fast fits.

Measured with the defaults (K = 3e4) on the full default likelihood at 50 GeV (wide): pyhf logpdf vs the exact
Gaussian -2lnL over mu in [0, 2.5] x the nuisances' joint 3 sigma: |Delta| <= 3e-3 (asserted < 0.01); pyhf's
logpdf equals the closed-form encoded likelihood to ~1e-9; pyhf's best fit equals the closed-form profile fit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pyhf
import pytest

import kinmix_stats as km
from kinmix_stats.io.workspaces import write_patchset
from kinmix_stats.likelihood import whitened as wh
from kinmix_stats.likelihood.cls import cls_limit, cls_qtilde
from kinmix_stats.likelihood.gaussian import chi2, profile_fit, profiled_nuisances
from kinmix_stats.likelihood.limits import cls_limits, default_likelihood
from kinmix_stats.measurements import available_datasets

import toys

PYHF = str(Path(sys.executable).with_name("pyhf"))


@pytest.fixture(autouse=True)
def _numpy_backend():
    pyhf.set_backend("numpy", "scipy")
    yield
    pyhf.set_backend("numpy", "scipy")


def _toy():
    """Two correlated blocks in two 'datasets' (ids "<dataset>/<id>"), alpha_em constrained, sin2 free."""
    return toys.correlated_toy(8, 3, name_format="{i}").__class__(
        **{**{f.name: getattr(toys.correlated_toy(8, 3), f.name) for f in dataclasses.fields(toys.correlated_toy(8, 3))},
           "names": tuple(f"{'a' if i < 4 else 'b'}/m{i}" for i in range(8))}
    )


def _grid(problem, mus):
    """(mu, thetas) over mus x the nuisances' joint 3 sigma around their conditional best fit."""
    r = problem.solver.r
    for mu in mus:
        th0 = profiled_nuisances(problem, mu)
        for o in product((-3.0, 0.0, 3.0), repeat=problem.k):
            yield mu, th0 + np.linalg.solve(r, np.array(o))


def _pyhf_minus_exact(problem, enc, mus):
    ws = wh.whitened_workspace(problem, enc)
    model = ws.model()
    data = ws.data(model)
    out = []
    for mu, th in _grid(problem, mus):
        pars = wh.pyhf_parameters(model, enc, mu, th)
        pyhf_m2lnl = -2.0 * float(model.logpdf(pars, data)[0])
        closed = float(wh.encoded_chi2(problem, enc, enc.whiten(problem.signal), mu, th / np.asarray(enc.units)))
        out.append((pyhf_m2lnl - chi2(problem, mu, th), pyhf_m2lnl - closed))
    d = np.array(out)
    return d[:, 0] - d[0, 0], d[:, 1] - d[0, 1], model


def test_toy_pyhf_nll_equals_exact_gaussian_with_three_parameters():
    prob = _toy()
    enc = wh.encode_whitened(prob)
    assert enc.channel_names == ("a", "b")
    limit = cls_limit(prob).observed_mu
    d_exact, d_closed, model = _pyhf_minus_exact(prob, enc, np.linspace(0.0, 3.0 * limit, 7))
    assert sorted(model.config.par_order) == ["alpha_em", "mu", "sin2_theta_w"]
    assert np.max(np.abs(d_closed)) < 1e-6  # pyhf computes exactly the documented Poisson-pair likelihood
    assert np.max(np.abs(d_exact)) < 0.02  # ... the Gaussian one up to sum z^4/4K (measured 0.011 at the 3x-limit corners)
    # the deviation shrinks like 1/K: the encoding converges to the exact likelihood
    d_big, _, _ = _pyhf_minus_exact(prob, wh.encode_whitened(prob, count_scale=3e5), np.linspace(0.0, 3.0 * limit, 7))
    assert np.max(np.abs(d_big)) < 0.2 * np.max(np.abs(d_exact))


def test_channels_must_not_split_a_correlated_block():
    prob = _toy()
    with pytest.raises(ValueError, match=r"'a/m0' and 'a/m1' are correlated but in different channels"):
        wh.encode_whitened(prob, channels=[("x", [0]), ("y", [1, 2, 3, 4, 5, 6, 7])])
    with pytest.raises(ValueError, match=r"count_scale must lie in \(100, 1e\+09\]"):
        wh.encode_whitened(prob, count_scale=1.0)


@pytest.fixture(scope="module")
def point50():
    like = default_likelihood()
    res = cls_limits(like, [50.0], "wide")
    delta, _ = like.delta_th(np.array([50.0]), float(res.epsilon_ref[0, 0]), "wide")
    base = like.base_problem()
    return base, base.with_signal(delta[0]), res


def test_full_default_likelihood_pyhf_nll_equals_exact_gaussian(point50):
    base, prob, _ = point50
    enc = wh.encode_whitened(base)
    d_exact, d_closed, model = _pyhf_minus_exact(prob, enc, np.linspace(0.0, 2.5, 6))
    assert model.config.npars == 3 and len(model.config.channels) == len(available_datasets())  # one per dataset
    assert np.max(np.abs(d_closed)) < 1e-6
    assert np.max(np.abs(d_exact)) < 0.01  # measured 3e-3 (the +2 sigma expected mu95 is 2.35)
    # the export's own measure on the same grid family agrees in size
    assert wh.max_nll_deviation(base, enc, prob.signal, mu_top=2.5)[0] < 0.01


@pytest.mark.parametrize("optimizer", ["scipy", "minuit"])
def test_pyhf_fit_of_full_default_likelihood_equals_closed_form(point50, optimizer):
    """pyhf.infer.mle.fit (3 parameters) finds our closed-form profile fit; hypotest gives our CLs at eps_ref."""
    base, prob, res = point50
    pyhf.set_backend("numpy", optimizer)
    enc = wh.encode_whitened(base)
    ws = wh.whitened_workspace(prob, enc)
    model = ws.model()
    data = ws.data(model)
    best = pyhf.infer.mle.fit(data, model)
    fit = profile_fit(prob)
    mu_hat = float(best[model.config.poi_index])
    assert mu_hat == pytest.approx(max(fit.mu_hat, 0.0), abs=0.02 * fit.sigma_mu)
    cls_obs = float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde"))
    ours = float(cls_qtilde(1.0, fit.mu_hat, fit.sigma_mu)[0])
    assert cls_obs == pytest.approx(ours, abs=1e-3)
    assert ours == pytest.approx(0.05, abs=2e-3)  # eps_ref is the observed limit: CLs(mu = 1) = 0.05


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small export of the default likelihood with one point that has no valid CLs limit."""
    like = default_likelihood()
    mz0 = like.sm.mz0
    curve = km.scan(np.array([20.0, 50.0, mz0, 189.0, 400.0]), "wide", method="cls")
    status = list(curve.status)
    status[3] = "cls: re-linearisation not converged to 0.01 after 12 steps"  # as a failed point would carry it
    curve = dataclasses.replace(curve, status=tuple(status))
    out = tmp_path_factory.mktemp("ws")
    with pytest.warns(UserWarning, match="2 hypotheses not exported"):
        km.export_workspaces(curve, out)
    return like, curve, out


def test_export_contains_exactly_the_valid_points_and_records_the_encoding(exported):
    like, curve, out = exported
    assert sorted(p.name for p in out.iterdir()) == ["bkgonly.json", "patchset.json", "whitening.json"]
    ps = json.loads((out / "patchset.json").read_text())
    names = [p["metadata"]["name"] for p in ps["patches"]]
    assert names == ["mass_20_wide", "mass_50_wide", "mass_400_wide"]
    skipped = ps["metadata"]["skipped_hypotheses"]
    assert [s["mass_GeV"] for s in skipped] == [pytest.approx(like.sm.mz0), 189.0]
    assert "window edge" in skipped[0]["reason"] and skipped[1]["reason"].startswith("re-linearisation not converged")
    enc = ps["metadata"]["encoding"]
    assert enc["name"] == "whitened_mirrored_poisson"
    assert enc["pyhf_parameters"] == ["mu", "alpha_em", "sin2_theta_w"]
    assert enc["count_scale"] == wh.DEFAULT_COUNT_SCALE and enc["poisson_fraction"] == 1.0
    sidecar = (out / "whitening.json").read_bytes()
    assert enc["rotation"] == {**enc["rotation"], "file": "whitening.json", "sha256": hashlib.sha256(sidecar).hexdigest()}
    assert 0 < enc["max_abs_delta_minus2lnL_limit_range"] <= enc["max_abs_delta_minus2lnL"] < 0.5
    assert enc["pyhf_logpdf_check"]["max_abs_diff_vs_closed_form"] < 1e-6
    # one JSON-Patch operation per channel (dataset), not one per measurement
    assert {len(p["patch"]) for p in ps["patches"]} == {len(available_datasets())}


def test_sidecar_rebuilds_the_per_measurement_view(exported):
    """Observed residuals, covariance and signal per measurement come back from the three files alone."""
    like, curve, out = exported
    bkg = json.loads((out / "bkgonly.json").read_text())
    doc = json.loads((out / "whitening.json").read_text())
    patch = json.loads((out / "patchset.json").read_text())["patches"][1]  # 50 GeV
    k, a = doc["count_scale"], doc["scale_per_unit_residual"]
    ids, obs, sig, cov_blocks = [], [], [], []
    for ci, ch in enumerate(doc["channels"]):
        m = len(ch["measurements"])
        g = np.zeros((m, m))
        for r, row in enumerate(ch["cholesky_lower"]):
            g[r, : r + 1] = row
        sm = next(s for s in bkg["channels"][ci]["samples"] if s["name"] == "SM")["data"][:m]
        signal = next(op for op in patch["patch"] if op["path"] == f"/channels/{ci}/samples/-")["value"]["data"][:m]
        ids += ch["measurements"]
        obs.append(g @ ((np.array(sm) - k) / -a))
        sig.append(g @ (np.array(signal) / a))
        cov_blocks.append(g @ g.T)
    order = [like.names.index(i) for i in ids]
    np.testing.assert_allclose(np.concatenate(obs), like.residuals.observed[order], rtol=1e-9, atol=1e-13)
    from scipy.linalg import block_diag

    cov = like.residuals.covariance[np.ix_(order, order)]
    np.testing.assert_allclose(block_diag(*cov_blocks), cov, rtol=1e-9, atol=1e-15 * np.max(cov))
    mass, _, eps_ref = patch["metadata"]["values"]
    delta, _ = like.delta_th(np.array([mass]), eps_ref, "wide")
    np.testing.assert_allclose(np.concatenate(sig), delta[0][order], rtol=1e-9, atol=1e-13)


def test_pyhf_accepts_the_export_and_its_cli_computes_our_cls(exported, tmp_path):
    """pyhf's patchset verification (API), ``pyhf inspect`` and ``pyhf cls --test-poi 1`` (CLI) on the export."""
    like, curve, out = exported
    workspace = pyhf.Workspace(json.loads((out / "bkgonly.json").read_text()))
    patchset = pyhf.PatchSet(json.loads((out / "patchset.json").read_text()))
    patchset.verify(workspace)  # what `pyhf patchset verify` runs (the CLI is exercised on the committed files)
    patch = patchset["mass_50_wide"]
    (tmp_path / "patch.json").write_text(json.dumps(patch.patch))
    (tmp_path / "full.json").write_text(json.dumps(patch.apply(workspace)))
    inspect = subprocess.run([PYHF, "inspect", str(tmp_path / "full.json")], capture_output=True, text=True, check=True)
    assert "parameters  3" in inspect.stdout
    cls = subprocess.run([PYHF, "cls", str(out / "bkgonly.json"), "-p", str(tmp_path / "patch.json"), "--test-poi", "1"],
                         capture_output=True, text=True, check=True)
    assert json.loads(cls.stdout)["CLs_obs"] == pytest.approx(0.05, abs=1e-3)  # eps_ref is our observed limit


def test_streamed_export_failing_midway_leaves_nothing(tmp_path):
    prob = _toy()
    enc = wh.encode_whitened(prob)
    bkg = wh.background_only(prob, enc)

    def patches():
        yield "p0", {"mass_GeV": 1.0}, wh.signal_ops(enc, enc.whiten(prob.signal))
        yield "p1", {"mass_GeV": 2.0}, wh.signal_ops(enc, enc.whiten(2 * prob.signal))
        yield "bad-label", {"mass_GeV": 3.0}, wh.signal_ops(enc, enc.whiten(prob.signal))

    with pytest.raises(ValueError, match="patch label must match"):
        write_patchset(bkg, patches(), tmp_path, description="t", references={"hepdata": "ins1234567"},
                       sidecars={"whitening.json": "{}\n"})
    assert list(tmp_path.iterdir()) == []  # no partial file, no temporary file
