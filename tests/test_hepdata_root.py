"""HEPData and ROOT outputs opened with the tools their users use: hepdata-validate (-d and -a), uproot, PyROOT."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hepdata_validator.cli import validate as hepdata_validate

from kinmix_stats.io import read_root, write_hepdata, write_root
from kinmix_stats.io.hepdata import LIKELIHOOD_ARCHIVE, archive_path, reactions_for
from kinmix_stats.io.root import BANDS, MASS_TITLE
from kinmix_stats.results import CURVE_COLUMNS, LimitCurve

ALL_DATASETS = ["lep2_bhabha", "lep2_ffbar", "lep_sld_heavyflavour", "lep_tau_polarisation", "lep_zpole_lineshape",
                "pdg2024_mz", "r_ratio_petra_pep_tristan", "sld_lepton_asymmetries", "w_mass"]


def curve(width: str = "narrow", **meta) -> LimitCurve:
    mass = np.array([1.0, 10.0, 91.19, 200.0])
    exp = np.array([0.03, 0.029, np.nan, 0.02])
    return LimitCurve(
        width=width, mass_gev=mass, eps95_obs=np.array([0.031, 0.0305, np.nan, 0.013]), eps95_exp=exp,
        eps95_exp_m2=exp * 0.55, eps95_exp_m1=exp * 0.74, eps95_exp_p1=exp * 1.37, eps95_exp_p2=exp * 1.9,
        eps95_chi2=np.array([0.032, 0.03, np.nan, 0.014]),
        status=("ok", "ok", "no Z'-like state: |m - m_Z0| < 0.22 GeV", "cls: not converged, limit unreliable"),
        metadata={"datasets": ALL_DATASETS, "mw_choice": "PDG2024", **meta},
    )


@pytest.fixture
def submission(tmp_path):
    ws = tmp_path / "workspaces"
    ws.mkdir()
    (ws / "bkgonly.json").write_text('{"channels": []}\n')
    (ws / "patchset.json").write_text('{"patches": []}\n')
    out = write_hepdata([curve("narrow"), curve("wide")], tmp_path / "hepdata",
                        likelihoods=[ws / "bkgonly.json", ws / "patchset.json"])
    return out, ws


def test_hepdata_directory_and_archive_pass_hepdata_validate(submission):
    out, _ = submission
    runner = CliRunner()
    res_d = runner.invoke(hepdata_validate, ["-d", str(out)])
    assert res_d.exit_code == 0, res_d.output
    assert f"{out} is valid" in res_d.output
    res_a = runner.invoke(hepdata_validate, ["-a", str(archive_path(out))])
    assert res_a.exit_code == 0, res_a.output
    # the archive holds exactly the directory's files, byte for byte
    with tarfile.open(archive_path(out)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert members == {p.name: p.read_bytes() for p in out.iterdir()}


def test_hepdata_validate_catches_a_broken_submission(submission, tmp_path):
    """The validator test above can fail: an unreferenced file in the directory makes -d fail."""
    out, _ = submission
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "stray.tar.gz").write_bytes(b"x")
    res = CliRunner().invoke(hepdata_validate, ["-d", str(broken)])
    assert res.exit_code != 0 and "stray.tar.gz is not referenced" in res.output


def test_hepdata_likelihoods_attached_as_histfactory_resource(submission):
    out, ws = submission
    docs = list(yaml.safe_load_all((out / "submission.yaml").read_text()))
    resources = [r for r in docs[0]["additional_resources"] if r.get("type") == "HistFactory"]
    assert [r["location"] for r in resources] == [LIKELIHOOD_ARCHIVE]
    assert "bkgonly.json" in resources[0]["description"] and "patchset.json" in resources[0]["description"]
    with tarfile.open(out / LIKELIHOOD_ARCHIVE) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert files == {"bkgonly.json": (ws / "bkgonly.json").read_bytes(), "patchset.json": (ws / "patchset.json").read_bytes()}


def test_hepdata_missing_likelihood_file_is_refused_before_writing(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        write_hepdata(curve(), tmp_path / "hepdata", likelihoods=[tmp_path / "nope.json"])
    assert not (tmp_path / "hepdata").exists() and not archive_path(tmp_path / "hepdata").exists()


def _table(out: Path, width: str = "narrow") -> dict:
    return yaml.safe_load((out / f"epsilon_upper_limits_{width}_width.yaml").read_text())


def test_hepdata_expected_band_is_asymmetric_errors_on_the_expected_limit(submission):
    out, _ = submission
    c = curve()
    deps = {d["header"]["name"]: d for d in _table(out)["dependent_variables"]}
    assert set(deps) == {"EPSILON (observed)", "EPSILON (expected)", "EPSILON (observed, Delta chi2 = 3.84 cross-check)",
                         "status"}  # the band edges are not separate columns any more
    exp = deps["EPSILON (expected)"]["values"]
    for i, point in enumerate(exp):
        if np.isnan(c.eps95_exp[i]):
            assert point["value"] == "-" and "errors" not in point
            continue
        assert point["value"] == c.eps95_exp[i]
        errs = {e["label"]: e["asymerror"] for e in point["errors"]}
        for label, lo, hi in (("expected +-1 sigma", c.eps95_exp_m1, c.eps95_exp_p1),
                              ("expected +-2 sigma", c.eps95_exp_m2, c.eps95_exp_p2)):
            assert errs[label]["minus"] < 0 < errs[label]["plus"]
            assert point["value"] + errs[label]["minus"] == pytest.approx(lo[i], rel=1e-15)
            assert point["value"] + errs[label]["plus"] == pytest.approx(hi[i], rel=1e-15)
    assert [v["value"] for v in deps["status"]["values"]] == list(c.status)


def test_hepdata_reactions_are_the_inputs_and_convention_uses_supset(submission):
    out, _ = submission
    table = _table(out)
    entry = next(d for d in yaml.safe_load_all((out / "submission.yaml").read_text())
                 if d and d.get("data_file") == "epsilon_upper_limits_narrow_width.yaml")
    kw = {k["name"]: k["values"] for k in entry["keywords"]}
    assert "E+ E- --> E+ E-" in kw["reactions"] and "E+ E- --> HADRONS" in kw["reactions"]
    assert "P PBAR --> W X" in kw["reactions"]  # PDG 2024 m_W: LHC-Tevatron combination (arXiv:2308.09417)
    assert not any("L+ L- X" in r for r in kw["reactions"])  # no LHC dilepton search among the inputs
    assert kw["observables"][0] == "EPSILON" and "DSIG/DCOSTHETA" in kw["observables"]
    obs = next(d for d in table["dependent_variables"] if d["header"]["name"] == "EPSILON (observed)")
    quals = {q["name"]: q["value"] for q in obs["qualifiers"]}
    assert "L ⊃ -(sin eps / 2)" in quals["EPSILON CONVENTION"] and " > " not in quals["EPSILON CONVENTION"]
    assert quals["RE"].split(" ; ") == kw["reactions"]


def test_reactions_follow_the_datasets_and_w_mass_choice():
    only_lep2 = curve(datasets=["lep2_ffbar", "w_mass"], mw_choice="ATLAS2017")
    assert reactions_for(only_lep2) == ["E+ E- --> MU+ MU-", "E+ E- --> TAU+ TAU-", "P P --> W X"]
    cdf = curve(datasets=["w_mass"], mw_choice="CDF2022")
    assert reactions_for(cdf) == ["P PBAR --> W X"]


# --------------------------------------------------------------------------------------------- ROOT
def test_root_every_object_reads_back_with_uproot(tmp_path):
    import uproot

    narrow, wide = curve("narrow"), curve("wide")
    p = write_root([narrow, wide], tmp_path / "limits.root")
    with uproot.open(p) as f:
        classes = {k.split(";")[0]: v for k, v in f.classnames().items()}
        assert "ROOT::RNTuple" not in classes.values()  # ROOT < 6.34 cannot read RNTuples
        seen = set()
        for key, cls in classes.items():
            obj = f[key]
            seen.add(key)
            width = key.split("/")[0]
            c = narrow if width == "narrow" else wide
            if cls == "TDirectory":
                continue
            name = key.split("/", 1)[1]
            if cls == "TTree":
                assert name == "limits"
                arrays = obj.arrays(library="np")
                for col in CURVE_COLUMNS:
                    np.testing.assert_array_equal(arrays[col], c.column(col))
                assert list(arrays["status"]) == list(c.status)
            elif cls == "TGraph":
                x, y = obj.values()
                if name.startswith("band_"):
                    lo, hi, _ = BANDS[name]
                    ok = np.isfinite(c.column(lo))
                    assert x[0] == x[-1] and y[0] == y[-1]  # closed polygon
                    np.testing.assert_array_equal(y[: ok.sum()], c.column(lo)[ok])
                    np.testing.assert_array_equal(y[ok.sum(): 2 * ok.sum()], c.column(hi)[ok][::-1])
                else:
                    col = name[2:]
                    ok = np.isfinite(c.column(col))
                    np.testing.assert_array_equal(x, c.mass_gev[ok])
                    np.testing.assert_array_equal(y, c.column(col)[ok])
                assert "#varepsilon" in obj.member("fTitle")
            elif cls == "TObjString":
                json.loads(str(obj))
            else:
                pytest.fail(f"unexpected object {key} of class {cls}")
        assert {"narrow/band_1sigma", "narrow/band_2sigma", "wide/limits", "wide/status_json"} <= seen
    assert read_root(p, "narrow") == narrow


def test_root_graph_axis_titles_are_root_markup(tmp_path):
    import uproot

    p = write_root(curve(), tmp_path / "limits.root")
    with uproot.open(p) as f:
        for name in ("g_eps95_obs", "band_1sigma"):
            # ROOT's "title;x title;y title" convention (TGraph::SetTitle splits it onto the axes)
            title, x_title, y_title = f[f"narrow/{name}"].member("fTitle").split(";")
            assert "#varepsilon" in title and "#sigma" in title if name.startswith("band") else "#varepsilon" in title
            assert x_title == MASS_TITLE == "m_{Z'} [GeV]" and y_title == "#varepsilon (Hook et al.)"


_PYROOT_WALK = r"""
import json, sys
import ROOT
f = ROOT.TFile.Open(sys.argv[1])
seen = {}
def walk(d, prefix=""):
    for key in d.GetListOfKeys():
        obj = key.ReadObj()
        name = prefix + key.GetName()
        seen[name] = obj.ClassName()
        if obj.InheritsFrom("TDirectory"):
            walk(obj, name + "/")
        elif obj.InheritsFrom("TTree"):
            leaf = obj.GetLeaf("status")
            rows = []
            for entry in obj:
                rows.append([entry.mass_gev, leaf.GetValueString()])
            seen[name + ":rows"] = rows
        elif obj.InheritsFrom("TGraph"):
            seen[name + ":n"] = obj.GetN()
walk(f)
print(json.dumps(seen))
"""


def _pyroot_python() -> str | None:
    env = os.environ.get("KINMIX_PYROOT_PYTHON")
    if env:
        return env
    try:
        import ROOT  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def test_pyroot_loops_over_every_key(tmp_path):
    """A generic PyROOT loop over all keys reads every object (KINMIX_PYROOT_PYTHON: a python with ROOT)."""
    python = _pyroot_python()
    if python is None:
        pytest.skip("PyROOT not available (pip install ROOT into another venv and set KINMIX_PYROOT_PYTHON)")
    c = curve()
    p = write_root([c, curve("wide")], tmp_path / "limits.root")
    script = tmp_path / "walk.py"
    script.write_text(_PYROOT_WALK)
    res = subprocess.run([python, str(script), str(p)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    seen = json.loads(res.stdout.strip().splitlines()[-1])
    assert seen["narrow/limits"] == "TTree" and seen["narrow/band_1sigma"] == "TGraph"
    rows = seen["narrow/limits:rows"]
    assert [r[1] for r in rows] == list(c.status)
    np.testing.assert_array_equal([r[0] for r in rows], c.mass_gev)
    assert seen["narrow/band_2sigma:n"] == 2 * int(np.isfinite(c.eps95_exp_m2).sum()) + 1
