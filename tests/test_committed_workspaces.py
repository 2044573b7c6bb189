"""The likelihoods committed in workspaces/ are valid pyhf inputs and encode our Gaussian likelihood.

A full ``pyhf cls`` on the 278-channel model takes many minutes (~130 constrained nuisances with
numerical gradients), so the pyhf command-line CLs round trip runs here on a reduced-dataset export
made by the same code path (:func:`kinmix_stats.export_workspaces`); the committed files are checked
for schema, digest, patch count and, through pyhf's own ``logpdf``, for equality with the exact
Gaussian likelihood at the profiled best fit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest

import kinmix_stats as km
from kinmix_stats.likelihood.gaussian import profile_fit
from kinmix_stats.likelihood.cls import cls_qtilde
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.likelihood.workspace import encode, pyhf_parameters

WS = Path(__file__).resolve().parents[1] / "workspaces"
PYHF = [str(Path(sys.executable).with_name("pyhf"))]


@pytest.fixture(scope="module")
def committed():
    bkg = json.loads((WS / "bkgonly.json").read_text())
    patchset = json.loads((WS / "patchset.json").read_text())
    return bkg, patchset


def test_committed_files_pass_pyhf_verify_and_digest(committed):
    bkg, patchset = committed
    ps = pyhf.PatchSet(patchset)
    ws = pyhf.Workspace(bkg)
    ps.verify(ws)  # raises if the digest does not match
    assert patchset["metadata"]["digests"]["sha256"] == pyhf.utils.digest(bkg)
    assert patchset["metadata"]["labels"] == ["mass_GeV", "dark_width_GeV", "eps_ref"]
    assert len(patchset["patches"]) == 80  # 40 masses x (narrow, wide), none skipped
    assert patchset["metadata"]["skipped_hypotheses"] == []
    out = subprocess.run(PYHF + ["patchset", "verify", str(WS / "bkgonly.json"), str(WS / "patchset.json")],
                         capture_output=True, text=True, check=True)
    assert "All good" in out.stdout


def test_committed_patch_encodes_the_gaussian_likelihood(committed):
    """pyhf's logpdf at our profiled best fit (mu = 1) equals the exact Gaussian -2lnL up to a constant."""
    bkg, patchset = committed
    like = default_likelihood()
    patch = patchset["patches"][45]
    mass, dark_width, eps_ref = patch["metadata"]["values"]
    width = "narrow" if dark_width == 0 else "wide"
    assert dark_width in (0.0, pytest.approx(0.01 * mass))
    delta, valid = like.delta_th(np.array([mass]), eps_ref, width)
    assert valid[0]
    base = like.base_problem()
    problem = base.with_signal(delta[0])
    ws = pyhf.PatchSet(patchset).apply(pyhf.Workspace(bkg), patch["metadata"]["name"])
    model = ws.model()
    data = ws.data(model)
    enc = encode(base, mu_max=4.0)
    values = []
    for mu in (0.0, 1.0, 2.0):
        from kinmix_stats.likelihood.gaussian import profiled_nuisances, profile_chi2

        thetas = profiled_nuisances(problem, mu)
        pars = pyhf_parameters(model, problem, enc, mu, thetas)
        values.append((-2 * float(model.logpdf(pars, data)[0]), float(profile_chi2(problem, mu))))
    d_pyhf = [v[0] - values[0][0] for v in values]
    d_gauss = [v[1] - values[0][1] for v in values]
    np.testing.assert_allclose(d_pyhf, d_gauss, atol=2e-3)


def test_pyhf_cli_cls_equals_ours_on_a_reduced_export(tmp_path):
    like = km.PrecisionLikelihood(datasets=["pdg2024_mz", "w_mass", "lep_zpole_lineshape", "sld_lepton_asymmetries"])
    curve = km.scan(np.array([150.0, 300.0]), "wide", methods=("cls",), likelihood=like)
    bkg_path, ps_path = km.export_workspaces(curve, tmp_path, likelihood=like)
    patchset = json.loads(ps_path.read_text())
    name = patchset["patches"][0]["metadata"]["name"]
    mass, _, eps_ref = patchset["patches"][0]["metadata"]["values"]
    patch_file = tmp_path / "patch.json"
    patch_file.write_text(subprocess.run(PYHF + ["patchset", "extract", str(ps_path), "--name", name],
                                         capture_output=True, text=True, check=True).stdout)
    out = subprocess.run(PYHF + ["cls", str(bkg_path), "-p", str(patch_file), "--test-poi", "1.0"],
                         capture_output=True, text=True, check=True)
    cls_pyhf = json.loads(out.stdout)["CLs_obs"]
    delta, _ = like.delta_th(np.array([mass]), eps_ref, "wide")
    fit = profile_fit(like.base_problem().with_signal(delta[0]))
    ours = float(cls_qtilde(1.0, fit.mu_hat, fit.sigma_mu)[0])
    assert abs(cls_pyhf - ours) < 1e-3
    assert 0.03 < ours < 0.07  # eps_ref is the 95% CL limit: CLs(mu = 1) ~ 0.05
