"""Public API shape: scalar in -> scalar out, coupling-neutral result names, short reprs, lazy imports,
clear errors for missing optional extras, and the `kinmix recast-cms` command end to end."""

from __future__ import annotations

import csv
import functools
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import kinmix_stats as km
from kinmix_stats.likelihood.precision import PrecisionLikelihood

from shared_data import SHARED_DATA, needs

Z_POLE = ["pdg2024_mz", "w_mass", "lep_zpole_lineshape", "sld_lepton_asymmetries"]  # small and fast


@pytest.fixture(scope="module")
def like() -> PrecisionLikelihood:
    return PrecisionLikelihood(datasets=Z_POLE)


def test_scalar_mass_gives_scalar_limits_equal_to_the_array_call(like):
    one = km.upper_limit(150.0, width="wide", likelihood=like)
    many = km.upper_limit([150.0, 300.0], width="wide", likelihood=like)
    assert one.is_scalar and not many.is_scalar
    assert isinstance(one.limit_observed, float) and isinstance(one.status, str) and one.status == "ok"
    assert float(one.limit_observed) == many.limit_observed[0]  # same computation, no re-fit
    assert one.limit_expected == many.limit_expected[0]
    np.testing.assert_array_equal(one.expected_band, many.expected_band[0])
    assert one.expected_band.shape == (5,) and many.expected_band.shape == (2, 5)
    assert np.all(np.diff(one.expected_band) > 0)  # -2 sigma < ... < +2 sigma
    assert one.expected_band[2] == one.limit_expected  # the median is the middle of the band
    # the historical names are aliases of the coupling-neutral ones
    assert one.epsilon_observed is one.limit_observed and many.epsilon_ref is many.limit_ref
    assert one.coupling == "epsilon"
    assert one.workspace().model().config.npars > 1  # a scalar result still gives its pyhf workspace


def test_chi2_scalar_and_squeeze_of_several_masses_is_refused(like):
    chi = km.upper_limit(150.0, width="wide", method="chi2", likelihood=like)
    assert isinstance(chi.limit_observed, float) and np.isnan(chi.limit_expected)
    many = km.upper_limit([150.0, 300.0], width="wide", likelihood=like)
    with pytest.raises(ValueError, match="exactly one mass, this one has 2"):
        many.squeeze()


def test_upper_limit_options_reach_their_engine_and_misplaced_ones_are_named(like):
    """The documented keyword options change the engine's result; an unknown keyword or one that the chosen
    method's engine does not take raises a TypeError naming it (it is never silently ignored)."""
    loose = km.upper_limit([150.0, 300.0], "wide", likelihood=like, rtol=0.3, max_iter=1)
    tight = km.upper_limit([150.0, 300.0], "wide", likelihood=like, rtol=1e-4)
    assert loose.iterations == 1 and tight.iterations > 1
    assert not np.allclose(loose.limit_observed, tight.limit_observed, rtol=1e-6)
    at_90 = km.upper_limit(150.0, "wide", likelihood=like, cl=0.90)
    assert at_90.limit_observed < km.upper_limit(150.0, "wide", likelihood=like).limit_observed
    strict = km.upper_limit(150.0, "wide", "chi2", likelihood=like, delta_chi2=1.0)
    assert strict.limit_observed < km.upper_limit(150.0, "wide", "chi2", likelihood=like).limit_observed
    with pytest.raises(TypeError, match="unexpected keyword argument 'rtoll'"):
        km.upper_limit(150.0, likelihood=like, rtoll=0.1)
    with pytest.raises(TypeError, match=r"option 'gtol' does not apply to method='cls'"):
        km.upper_limit(150.0, likelihood=like, gtol=0.01)
    with pytest.raises(TypeError, match=r"option 'e_min' does not apply to method='pyhf'"):
        km.upper_limit(150.0, method="pyhf", likelihood=like, e_min=None)


def test_reprs_are_short_and_name_the_coupling(like):
    one = km.upper_limit(150.0, width="wide", likelihood=like)
    many = km.upper_limit(np.geomspace(120.0, 900.0, 12), width="wide", likelihood=like)
    for text in (repr(one), repr(many)):
        assert len(text) < 200 and "[" not in text and "coupling='epsilon'" in text
    assert f"limit_observed={one.limit_observed:.4g}" in repr(one)
    assert "12 masses 120..900 GeV" in repr(many)
    curve = km.scan(np.array([150.0, 300.0]), "wide", method="cls", likelihood=like)
    text = repr(curve)
    assert len(text) < 200 and "[" not in text and "2 masses 150..300 GeV" in text and "2/2 ok" in text
    np.testing.assert_array_equal(curve.limit_observed, curve.eps95_obs)
    band = km.upper_limit([150.0, 300.0], "wide", likelihood=like).expected_band
    assert curve.expected_band.shape == band.shape == (2, 5)
    np.testing.assert_array_equal(curve.expected_band, band)  # same column order as LimitResult


def test_import_is_lazy_and_cli_help_loads_no_heavy_library():
    """`import kinmix_stats` and `kinmix --help` must not load pyhf, scipy, matplotlib, Dask or uproot."""
    code = (
        "import sys, kinmix_stats, kinmix_stats.cli as c\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(c.cli, ['--help'])\n"
        "assert r.exit_code == 0 and 'recast-cms' in r.output, r.output\n"
        "heavy = ('pyhf', 'scipy', 'matplotlib', 'mplhep', 'dask', 'distributed', 'uproot', 'hist', 'hepdata_lib',"
        " 'iminuit', 'jsonschema')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = "import sys, kinmix_stats as km; km.scan; km.LimitCurve; print('pyhf' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]  # pyhf only when exporting, matplotlib only when plotting


def test_missing_optional_dependency_names_the_extra(monkeypatch):
    from kinmix_stats._optional import MissingDependencyError

    monkeypatch.setitem(sys.modules, "mplhep", None)  # as if not installed
    for name in [m for m in sys.modules if m.startswith("kinmix_stats.plotting")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(MissingDependencyError, match=r"pip install 'kinmix_stats\[plot\]'"):
        import kinmix_stats.plotting.exclusion  # noqa: F401
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        km.nope  # noqa: B018


CMS_FILE = SHARED_DATA / "limits" / "darkcast_CMS_CMS2019kiy.lmt"


@needs(CMS_FILE, "Darkcast CMS file")
def test_cli_recast_cms_several_alpha_d_exits_0_and_writes_consistent_files(tmp_path, monkeypatch):
    """Regression: `kinmix recast-cms --alpha-d 0.01,0.1,1` used to write its files and then fail with
    'operands could not be broadcast together with shapes (3,) (251,)' in its summary."""
    from kinmix_stats.cli import cli
    from kinmix_stats.recast import cms_dimuon

    # two CMS masses instead of 251 keep this test to seconds; the CLI path is otherwise unchanged
    monkeypatch.setattr(cms_dimuon, "recast_cms", functools.partial(cms_dimuon.recast_cms, masses=[30.0, 150.0],
                                                                     showcase_masses=(30.0,), make_plots=False))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["recast-cms", "--alpha-d", "0.01,0.1,1", "--resolution", "0.02", "--out", str(out),
                                   "--cms-limit", str(CMS_FILE)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("alpha_D")]
    assert [ln.split(":")[0] for ln in lines] == ["alpha_D = 0.01", "alpha_D = 0.1", "alpha_D = 1"]
    assert all("over 2 masses" in ln for ln in lines)
    with (out / "recast_cms.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 3
    ratio = {(float(r["mass_gev"]), float(r["alpha_d"])): float(r["eps_relaxed"]) / float(r["eps_cms"]) for r in rows}
    for m in {k[0] for k in ratio}:
        r = [ratio[(m, a)] for a in (0.01, 0.1, 1.0)]
        assert 1.0 < r[0] < r[1] < r[2]  # a broader dark photon is less constrained (arXiv:2505.03241)
    doc = json.loads((out / "recast_cms.json").read_text())
    assert doc["metadata"]["alpha_d"] == [0.01, 0.1, 1.0] and doc["metadata"]["resolution_sigma_m_over_m"] == 0.02


def test_public_functions_named_like_their_submodule_stay_functions():
    """`km.scan` and `km.observables` are functions even after their submodules were imported."""
    code = (
        "import kinmix_stats as km, kinmix_stats.scan, kinmix_stats.observables.registry\n"
        "from kinmix_stats import scan\n"
        "print(callable(km.scan), callable(scan), callable(km.observables), 'GammaZ' in km.observables())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"] * 4


def test_readme_layout_names_every_folder_and_top_level_module():
    """The README 'Layout' block lists every sub-package and top-level module of src, and nothing that is gone."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    text = (repo / "README.md").read_text()
    block = text[text.index("## Layout"):].split("```")[1]
    pkg = repo / "src" / "kinmix_stats"
    folders = {p.name for p in pkg.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.name for p in pkg.glob("*.py") if p.name != "__init__.py"}
    named = set(re.findall(r"([A-Za-z_]+)/", block)) | set(re.findall(r"\b([A-Za-z_]+\.py)\b", block))
    assert folders <= named, f"README Layout misses folders {sorted(folders - named)}"
    assert modules <= named, f"README Layout misses modules {sorted(modules - named)}"
    for name in re.findall(r"\b([a-z_]+\.py)\b", block):  # every file named exists somewhere in the package
        assert list(pkg.rglob(name)), f"README Layout names {name}, which is not in src/kinmix_stats"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("narrow", "narrow"), (" wide ", "wide"), ("0.5", 0.5), ("dirac:0.1:5", ("dirac", 0.1, 5.0))],
)
def test_one_width_parser_for_api_and_cli(text, expected):
    from kinmix_stats.model import DiracDarkMatter
    from kinmix_stats.model.dark_sector import parse_width

    got = parse_width(text)
    if isinstance(expected, tuple):
        assert isinstance(got, DiracDarkMatter) and (got.alpha_d, got.m_chi) == expected[1:]
    else:
        assert got == expected
    dp = km.DarkPhoton(50.0, 0.01, width=text)  # the model accepts the same text
    assert float(dp.total_width("Zp")) > 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("medium", "unknown width 'medium'; accepted: 'narrow', 'wide'"), ("-1", "-1.0"),
     ("dirac:0.1", "dirac:ALPHA_D:M_CHI"), ("dirac:-1:5", "alpha_d")],
)
def test_bad_width_text_names_the_value(text, message):
    from kinmix_stats.model.dark_sector import parse_width

    with pytest.raises(ValueError, match=message):
        parse_width(text)
