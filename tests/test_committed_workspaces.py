"""The likelihoods committed in workspaces/ are valid pyhf inputs, encode our Gaussian likelihood, and pyhf's own
command line reproduces our CLs on them (the whitened encoding makes a full pyhf fit take well under a second).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest

from kinmix_stats.likelihood import whitened as wh
from kinmix_stats.likelihood.cls import cls_qtilde
from kinmix_stats.likelihood.gaussian import chi2, profile_fit, profiled_nuisances
from kinmix_stats.likelihood.limits import default_likelihood

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
    enc = patchset["metadata"]["encoding"]
    assert enc["name"] == "whitened_mirrored_poisson"
    import hashlib

    assert enc["rotation"]["sha256"] == hashlib.sha256((WS / "whitening.json").read_bytes()).hexdigest()
    out = subprocess.run(PYHF + ["patchset", "verify", str(WS / "bkgonly.json"), str(WS / "patchset.json")],
                         capture_output=True, text=True, check=True)
    assert "All good" in out.stdout


def test_committed_background_is_what_the_code_builds(committed):
    """The committed background-only workspace equals a fresh build from the catalogue (numbers to 1e-9)."""
    bkg, patchset = committed
    base = default_likelihood().base_problem()
    enc = wh.encode_whitened(base, mu_max=patchset["metadata"]["encoding"]["mu_max"])
    fresh = wh.background_only(base, enc)
    assert [c["name"] for c in fresh["channels"]] == [c["name"] for c in bkg["channels"]]
    for a, b in zip(fresh["channels"], bkg["channels"]):
        for sa, sb in zip(a["samples"], b["samples"]):
            assert sa["name"] == sb["name"]
            np.testing.assert_allclose(sa["data"], sb["data"], rtol=1e-9)


def test_committed_patch_encodes_the_gaussian_likelihood(committed):
    """pyhf's logpdf along the profile path (mu = 0 ... 2) equals the exact Gaussian -2lnL up to a constant."""
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
    enc = wh.encode_whitened(base, mu_max=patchset["metadata"]["encoding"]["mu_max"])
    values = []
    for mu in (0.0, 1.0, 2.0):
        thetas = profiled_nuisances(problem, mu)
        pars = wh.pyhf_parameters(model, enc, mu, thetas)
        values.append((-2 * float(model.logpdf(pars, data)[0]), float(chi2(problem, mu, thetas))))
    d_pyhf = [v[0] - values[0][0] for v in values]
    d_gauss = [v[1] - values[0][1] for v in values]
    np.testing.assert_allclose(d_pyhf, d_gauss, atol=patchset["metadata"]["encoding"]["max_abs_delta_minus2lnL_limit_range"])


def test_pyhf_cli_cls_equals_ours_on_the_committed_export(committed, tmp_path):
    """`pyhf patchset extract` + `pyhf cls --test-poi 1` on the full 280-measurement likelihood."""
    bkg, patchset = committed
    like = default_likelihood()
    name = patchset["patches"][45]["metadata"]["name"]
    mass, dark_width, eps_ref = patchset["patches"][45]["metadata"]["values"]
    patch_file = tmp_path / "patch.json"
    patch_file.write_text(subprocess.run(PYHF + ["patchset", "extract", str(WS / "patchset.json"), "--name", name],
                                         capture_output=True, text=True, check=True).stdout)
    out = subprocess.run(PYHF + ["cls", str(WS / "bkgonly.json"), "-p", str(patch_file), "--test-poi", "1"],
                         capture_output=True, text=True, check=True)
    cls_pyhf = json.loads(out.stdout)["CLs_obs"]
    delta, _ = like.delta_th(np.array([mass]), eps_ref, "narrow" if dark_width == 0 else "wide")
    fit = profile_fit(like.base_problem().with_signal(delta[0]))
    ours = float(cls_qtilde(1.0, fit.mu_hat, fit.sigma_mu)[0])
    assert abs(cls_pyhf - ours) < 1e-3
    assert 0.03 < ours < 0.07  # eps_ref is the 95% CL limit: CLs(mu = 1) ~ 0.05
