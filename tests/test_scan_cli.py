"""Tests of the mass scan (:func:`kinmix_stats.scan.scan`, :func:`default_mass_grid`) and of the
``kinmix`` command line through click's CliRunner: output files, exact CSV header, one-line errors,
no traceback and no output on bad input.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.scan import default_mass_grid, scan

SCAN_MASSES = np.array([300.0, 5.0, 20.0, 45.0, 70.0, 130.0])  # unsorted on purpose
CSV_HEADER = "mass_gev,eps95_obs,eps95_exp,eps95_exp_m2,eps95_exp_m1,eps95_exp_p1,eps95_exp_p2,eps95_chi2,status"


@pytest.fixture(scope="module")
def like() -> PrecisionLikelihood:
    return PrecisionLikelihood()


@pytest.fixture(scope="module")
def curve(like):
    return scan(SCAN_MASSES, "wide", ("cls", "chi2"), likelihood=like)


# --------------------------------------------------------------------------- scan()
def test_scan_returns_sorted_curve_with_ordered_band(curve):
    np.testing.assert_array_equal(curve.mass_gev, np.sort(SCAN_MASSES))
    assert curve.width == "wide"
    for col in (curve.eps95_obs, curve.eps95_exp, curve.eps95_chi2):
        assert col.shape == SCAN_MASSES.shape and np.all(np.isfinite(col)) and np.all(col > 0)
    assert np.all(curve.eps95_exp_m2 < curve.eps95_exp_m1)
    assert np.all(curve.eps95_exp_m1 < curve.eps95_exp)
    assert np.all(curve.eps95_exp < curve.eps95_exp_p1)
    assert np.all(curve.eps95_exp_p1 < curve.eps95_exp_p2)
    # Gaussian asymptotics: the band is roughly symmetric in mu = eps^2, so in eps it is
    # sqrt((1.96 +- 1)/1.96)-like: +1 sigma / median ~ 1.18, -1 sigma / median ~ 0.85
    r_p1 = curve.eps95_exp_p1 / curve.eps95_exp
    r_m1 = curve.eps95_exp_m1 / curve.eps95_exp
    assert np.all((r_p1 > 1.1) & (r_p1 < 1.3)) and np.all((r_m1 > 0.75) & (r_m1 < 0.92))
    assert all(s == "ok" for s in curve.status)


def test_scan_physics_shape(curve):
    """Hook et al. Fig. 2: eps95 ~ 0.03 at low mass, strongest below the Z, weak at 300 GeV."""
    m = curve.mass_gev
    obs = dict(zip(m, curve.eps95_obs))
    assert 0.02 < obs[5.0] < 0.045
    assert obs[70.0] < obs[5.0]
    assert obs[300.0] > obs[130.0] > obs[70.0]
    # CLs and Hook's chi2 within 20 % where the same measurement dominates
    ratio = curve.eps95_obs / curve.eps95_chi2
    assert np.all((ratio > 1 / 1.2) & (ratio < 1.2)), ratio


def test_scan_metadata(curve, like):
    meta = curve.metadata
    assert meta["catalogue_hash"] == like.catalogue.catalogue_hash()
    assert isinstance(meta["catalogue_hash"], str) and len(meta["catalogue_hash"]) >= 16
    assert set(meta["versions"]) == {"numpy", "scipy"}  # pyhf/iminuit compute none of the cls/chi2 numbers
    assert "iminuit" not in meta["versions"]  # recorded only when method "exact" or "pyhf" ran
    assert meta["engines"]["cls"]["engine"] == "closed form"
    assert set(meta["engines"]) == set(meta["methods"])
    assert meta["versions"]["numpy"] == np.__version__
    refs = meta["epsilon_ref_observed"]
    assert len(refs) == curve.mass_gev.size
    # eps_ref is the last linearisation point: within the re-linearisation tolerance of the limit
    np.testing.assert_allclose(np.array(refs, dtype=float), curve.eps95_obs, rtol=0.02)
    assert meta["methods"] == ["cls", "chi2"]
    assert meta["width"] == "wide"
    assert meta["n_measurements"] == len(like.names)
    assert meta["assumptions"]["beam_spread_rel"] == like.beam_spread_rel
    json.dumps(meta)  # serialisable as is


def test_scan_is_deterministic(curve, like):
    again = scan(SCAN_MASSES, "wide", ("cls", "chi2"), likelihood=like)
    for name in ("mass_gev", "eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2"):
        np.testing.assert_array_equal(getattr(again, name), getattr(curve, name), err_msg=name)
    assert again.status == curve.status
    assert again.metadata["epsilon_ref_observed"] == curve.metadata["epsilon_ref_observed"]


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"masses": [10.0, -3.0]}, "-3.0"),
        ({"methods": ("cls", "bayes")}, "'bayes'"),
        ({"methods": ()}, "methods"),
        ({"width": "medium"}, "'medium'"),
    ],
)
def test_scan_bad_arguments(like, kwargs, needle):
    args = {"masses": [10.0], "width": "wide", "methods": ("cls",)}
    args.update(kwargs)
    with pytest.raises(ValueError) as err:
        scan(args.pop("masses"), args.pop("width"), args.pop("methods"), likelihood=like)
    assert needle in str(err.value)


# --------------------------------------------------------------------------- default_mass_grid()
def test_default_mass_grid_covers_measured_energies_and_the_z(like):
    grid = default_mass_grid(likelihood=like)
    assert np.all(np.diff(grid) > 0)
    assert grid[0] >= 1.0 and grid[-1] <= 1000.0
    assert grid[0] == pytest.approx(1.0) and grid[-1] == pytest.approx(1000.0)
    energies = {float(k["sqrt_s"]) for _, k in like.entries if "sqrt_s" in k}
    assert len(energies) > 50
    for e in sorted(energies):
        if 1.0 <= e <= 1000.0:
            assert np.min(np.abs(grid - e)) < 1e-9, e
            # and the beam-spread flanks sqrt(s)(1 +- 2 r) resolve the smeared narrow peak
            r = like.beam_spread_rel
            assert np.min(np.abs(grid - e * (1 + 2 * r))) < 1e-5 and np.min(np.abs(grid - e * (1 - 2 * r))) < 1e-5
    mz0 = like.sm.mz0
    below = grid[(grid < mz0) & (grid > mz0 - 1.0)]
    above = grid[(grid > mz0) & (grid < mz0 + 1.0)]
    assert below.size >= 1 and above.size >= 1
    # no grid point sits exactly on m_Z0 (no Z'-like state there)
    assert np.min(np.abs(grid - mz0)) > 1e-3
    # the log base grid: 200 points, so neighbouring ratios never exceed (1000)^(1/199)
    assert np.max(grid[1:] / grid[:-1]) <= 1000 ** (1 / 199) * (1 + 1e-5)  # masses rounded to 1e-6 GeV


def test_default_mass_grid_without_refinement_and_bad_range(like):
    plain = default_mass_grid(50, 2.0, 20.0, likelihood=like, refine=False)
    np.testing.assert_allclose(plain, np.geomspace(2.0, 20.0, 50), rtol=1e-6)
    refined = default_mass_grid(50, 2.0, 20.0, likelihood=like)
    assert refined.min() >= 2.0 and refined.max() <= 20.0 and refined.size > plain.size
    with pytest.raises(ValueError, match="hi"):
        default_mass_grid(10, 20.0, 2.0, likelihood=like)
    with pytest.raises(ValueError, match="lo"):
        default_mass_grid(10, -1.0, 2.0, likelihood=like)


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_every_command_has_help(runner):
    res = runner.invoke(cli, ["--help"])
    assert res.exit_code == 0
    assert set(cli.commands) >= {"spectrum", "limit", "scan", "export", "plot", "recast-cms"}
    for name in cli.commands:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)
        assert "Usage:" in res.output and name in res.output


def test_cli_limit_prints_eps(runner):
    res = runner.invoke(cli, ["limit", "--mass", "50", "--width", "wide", "--method", "cls"])
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[0]
    assert first.startswith("[cls]")
    eps = float(first.split("eps95_obs = ")[1].split(",")[0])
    assert 0.01 < eps < 0.05
    assert "pdg2024_mz/mZ_PDG2024" in res.stdout  # the dominant measurement is named


def test_cli_spectrum(runner):
    res = runner.invoke(cli, ["spectrum", "--mass", "50", "--epsilon", "0.01"])
    assert res.exit_code == 0, res.output
    assert "m_Z' = 50.000000 GeV" in res.stdout
    # the Z is pushed up by the mixing (m_Z > m_Z0 for m_Z' < m_Z0), by ~ a fraction eps^2 s_W^2
    mz = float(res.stdout.split("m_Z = ")[1].split()[0])
    assert 91.188 < mz < 91.188 * (1 + 0.01**2)


def _check_scan_outputs(out, chi2_run: bool):
    csv_path = out / "limits_wide.csv"
    lines = csv_path.read_text().splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.DictReader(lines))
    assert len(rows) == 3
    masses = [float(r["mass_gev"]) for r in rows]
    np.testing.assert_allclose(masses, np.geomspace(10, 100, 3), rtol=1e-9)
    for r in rows:
        if chi2_run:
            assert 0.005 < float(r["eps95_chi2"]) < 0.05
        else:
            assert r["eps95_chi2"] == ""  # chi2 not run: empty, not "nan"
        assert 0.005 < float(r["eps95_obs"]) < 0.05
        band = [float(r[k]) for k in ("eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2")]
        assert all(a < b for a, b in zip(band, band[1:]))
    data = json.loads((out / "limits_wide.json").read_text())
    assert isinstance(data, dict)
    assert (out / "limits.root").is_file() and (out / "limits.root").stat().st_size > 0
    assert (out / "hepdata").is_dir() and any((out / "hepdata").iterdir())
    assert not (out / "workspaces").exists()  # --no-export
    assert not list(out.glob("*.png"))  # --no-plot


def test_cli_scan_both_methods_writes_outputs(runner, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        cli, ["scan", "--masses", "10:100:3", "--width", "wide", "--method", "cls,chi2", "--out", str(out), "--no-plot", "--no-export", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    _check_scan_outputs(out, chi2_run=True)
    assert "wide: 3 masses" in res.stdout


def test_cli_scan_cls_only_writes_outputs(runner, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        cli, ["scan", "--masses", "10:100:3", "--width", "wide", "--method", "cls", "--out", str(out), "--no-plot", "--no-export", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    _check_scan_outputs(out, chi2_run=False)


def test_cls_only_curve_csv_has_exact_header_and_empty_chi2_column(like, tmp_path):
    from kinmix_stats.io.curves import write_limits_csv

    c = scan(np.geomspace(10, 100, 3), "wide", ("cls",), likelihood=like)
    assert np.isnan(c.eps95_chi2).all() and np.isfinite(c.eps95_obs).all()  # a method not run is NaN
    assert c.metadata["methods"] == ["cls"]
    path = write_limits_csv(c, tmp_path / "limits_wide.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.DictReader(lines))
    assert len(rows) == 3 and all(r["eps95_chi2"] == "" for r in rows)
    assert all(0.005 < float(r["eps95_obs"]) < 0.05 for r in rows)


BAD_INPUTS = [
    (["limit", "--mass", "-1", "--width", "wide", "--method", "cls"], "-1"),
    (["limit", "--mass", "50", "--width", "medium"], "medium"),
    (["limit", "--mass", "50", "--method", "bayes"], "bayes"),
    (["scan", "--masses", "1:2", "--width", "wide", "--method", "cls", "--no-plot", "--no-export"], "1:2"),
    (["scan", "--masses", "10:100:3", "--width", "medium", "--method", "cls", "--no-plot", "--no-export"], "medium"),
    (["scan", "--masses", "10:100:3", "--width", "wide", "--method", "bayes", "--no-plot", "--no-export"], "bayes"),
    (["scan", "--masses", "-5,10", "--width", "wide", "--method", "cls", "--no-plot", "--no-export"], "-5"),
]


@pytest.mark.parametrize("args, needle", BAD_INPUTS, ids=[" ".join(a[:1] + a[1:3]) + "..." for a, _ in BAD_INPUTS])
def test_cli_bad_input_one_line_error_no_traceback_no_files(runner, tmp_path, args, needle):
    out = tmp_path / "out"
    if args[0] == "scan":
        args = args + ["--out", str(out)]
    res = runner.invoke(cli, args)
    assert res.exit_code != 0
    assert res.exit_code == 2
    err_lines = res.stderr.strip().splitlines()
    assert len(err_lines) == 1, res.stderr
    assert err_lines[0].startswith("kinmix: error:")
    assert needle in err_lines[0]
    assert "Traceback" not in res.output and "Traceback" not in res.stderr
    assert res.stdout == ""
    # exceptions were handled, not propagated
    assert res.exception is None or isinstance(res.exception, SystemExit)
    # no output files anywhere under the output directory
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


def test_cli_scan_bad_method_creates_no_directory(runner, tmp_path):
    out = tmp_path / "never"
    res = runner.invoke(cli, ["scan", "--masses", "10:100:3", "--method", "bayes", "--out", str(out), "--no-plot", "--no-export"])
    assert res.exit_code == 2
    assert not out.exists()


def test_cli_debug_shows_the_exception(runner):
    res = runner.invoke(cli, ["--debug", "limit", "--mass", "-1", "--method", "cls"])
    assert res.exit_code != 0
    assert isinstance(res.exception, ValueError)
    assert "-1" in str(res.exception)
