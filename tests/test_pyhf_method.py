"""``method="pyhf"``: pyhf's own upper_limit (minuit) on the exported workspace, with honest provenance.

Measured: at 50 GeV (wide) on the full default likelihood pyhf's observed eps95 equals the closed-form one to 2e-5
relative (asserted 0.5 %), the expected band to 1e-4 (asserted 1 %; both engines linearise the band at eps_ref
here because the fast engine's per-quantile points differ by < 1 % at this mass).
"""

from __future__ import annotations

import numpy as np
import pyhf
import pytest

import kinmix_stats as km
from kinmix_stats.likelihood import pyhf_engine
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.scan.metadata import scan_metadata


def test_pyhf_method_on_the_full_likelihood_equals_ours():
    before = pyhf.get_backend()
    fast = km.upper_limit(50.0, "wide")
    res = km.upper_limit(50.0, "wide", method="pyhf")
    assert pyhf.get_backend() == before  # the minuit backend is restored after the fit
    assert res.method == "pyhf" and res.status == "ok"  # scalar mass: scalar result
    assert res.limit_observed == pytest.approx(fast.limit_observed, rel=5e-3)
    np.testing.assert_allclose(res.expected_band, fast.expected_band, rtol=0.01)
    # eps95 = eps_ref * sqrt(mu95) with eps_ref the exported linearisation point
    assert res.limit_observed == pytest.approx(res.limit_ref[0] * np.sqrt(res.mu_observed), rel=1e-12)
    ws = res.workspace(0)
    assert sorted(ws.model().config.par_order) == ["alpha_em", "mu", "sin2_theta_w"]


def test_pyhf_failure_is_a_status_never_a_number(monkeypatch):
    like = km.PrecisionLikelihood(datasets=["pdg2024_mz", "w_mass", "lep_zpole_lineshape", "sld_lepton_asymmetries"])

    def failing(workspace, cl):
        raise pyhf.exceptions.FailedMinimization(type("R", (), {"message": "Optimization failed. (simulated)"})())

    monkeypatch.setattr(pyhf_engine, "_pyhf_upper_limit", failing)
    res = km.upper_limit([150.0], "wide", method="pyhf", likelihood=like)
    assert res.status[0].startswith("pyhf fit failed: FailedMinimization")
    assert np.isnan(res.epsilon_observed[0]) and np.all(np.isnan(res.expected_band[0]))


# scan(method="pyhf") on Dask workers gives the in-process number: tests/test_distributed.py (one cluster for all).


def test_metadata_records_only_the_libraries_that_computed_the_numbers():
    like = default_likelihood()
    meta = scan_metadata(like, "narrow", ("cls", "chi2"), None)
    assert set(meta["versions"]) == {"numpy", "scipy"}  # iminuit and pyhf compute none of these numbers
    assert set(meta["engines"]) == {"cls", "chi2"} and meta["engines"]["cls"]["engine"] == "closed form"
    meta = scan_metadata(like, "narrow", ("pyhf",), None)
    assert meta["versions"]["pyhf"] == pyhf.__version__ and "iminuit" in meta["versions"]
    assert meta["engines"]["pyhf"] == pyhf_engine.engine_description()


def test_bad_method_choices_are_refused():
    with pytest.raises(ValueError, match=r"method.*'bogus'.*cls.*chi2.*pyhf"):
        km.upper_limit(50.0, "wide", method="bogus")
    with pytest.raises(ValueError, match=r"'cls' and 'pyhf' both fill the CLs columns"):
        km.scan(np.array([50.0]), "wide", methods=("cls", "pyhf"))


def test_cli_refuses_cls_with_pyhf_before_any_work(tmp_path):
    from click.testing import CliRunner

    from kinmix_stats.cli import cli

    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["scan", "--masses", "50", "--method", "cls,pyhf", "--out", str(out)])
    assert res.exit_code == 2
    assert "kinmix: error: Invalid value for '--method': methods ('cls', 'pyhf'): 'cls' and 'pyhf' both fill the CLs columns" in res.output
    assert not out.exists()
