"""``kinmix limit|scan --model ...``: limits on the gauge coupling g_z of the PDG Z' models.

Physics that could fail: contact-interaction scaling g_z95 ~ M well above the LEP-II energies (PDG
Z' review Eq. 6), agreement with the mass limit of :func:`kinmix_stats.zprime_limits.mass_limits`
(g_z95 at the mass limit = nominal g_z), family points equal to the named models they contain (also
with Higgs-sector mass mixing: two independent factory implementations), the Z0 window of a fixed mass
mixing. Behaviour: g_z labels in every output, JSON/ROOT/CSV round trips (old files load as eps),
a pyhf-valid patchset carrying the model, checkpoints that refuse another model, Dask workers, and
one-line errors. No pyhf fit of the 278-channel model (minutes) is run.
"""

from __future__ import annotations

import json
import pickle

import jsonpatch
import numpy as np
import pyhf
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.io.curves import (
    CSV_HEADER,
    GZ_CSV_HEADER,
    read_limits_csv,
    read_limits_json,
    read_root,
    write_limits_csv,
    write_limits_json,
    write_root,
)
from kinmix_stats.io.workspaces import load_and_verify
from kinmix_stats.likelihood.limits import (
    G_Z_CAP,
    chi2_limits,
    cls_limits,
    coupling_window,
    likelihood_coupling,
    upper_limit,
)
from kinmix_stats.model import ModelSpec
from kinmix_stats.results import LimitCurve, output_columns
from kinmix_stats.scan import default_model_mass_grid, scan
from kinmix_stats.zprime_limits import mass_limits, nominal_gz, zprime_likelihood

GZ_COLUMNS = "mass_gev,gz95_obs,gz95_exp,gz95_exp_m2,gz95_exp_m1,gz95_exp_p1,gz95_exp_p2,gz95_chi2"
GZ_CSV_COLUMNS = GZ_COLUMNS + ",status"


@pytest.fixture(scope="module")
def chi_like():
    return ModelSpec("chi").likelihood()


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def chi_scan_dir(tmp_path_factory, runner):
    """One small CLI model scan shared by the output tests (CLs + chi2, every output)."""
    out = tmp_path_factory.mktemp("chi_scan")
    res = runner.invoke(cli, ["scan", "--model", "chi", "--masses", "300,2000", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out, res.output


# ------------------------------------------------------------------------------------- physics
def test_heavy_zprime_contact_interaction_scaling(chi_like):
    """M >> sqrt(s) of LEP-II: only g_z^2/M^2 enters (PDG Eq. 6), so g_z95(4 TeV) / g_z95(2 TeV) = 2."""
    curve = scan([1000.0, 2000.0, 4000.0], "narrow", ("cls", "chi2"), likelihood=chi_like, model="chi")
    assert curve.coupling == "g_z" and curve.model == "chi"
    assert all(s == "ok" for s in curve.status), curve.status
    for col in ("gz95_obs", "gz95_exp", "gz95_exp_m2", "gz95_exp_m1", "gz95_exp_p1", "gz95_exp_p2"):
        g1, g2, g4 = curve.column(col)
        assert g2 / g1 == pytest.approx(2.0, rel=0.015), (col, g1, g2)  # Gamma/M <= 5 %: clean contact limit
    for col in ("gz95_obs", "gz95_exp"):
        g1, g2, g4 = curve.column(col)
        assert g4 / g2 == pytest.approx(2.0, rel=0.03), (col, g2, g4)
    # and the limit is a real constraint, below the perturbative cap
    assert 0.1 < curve.eps95_obs[0] < curve.eps95_obs[1] < G_Z_CAP
    # Delta chi^2 scales too once the E_min filter (Eq. 19, a step in which measurements count) is off;
    # with the filter the O(s/M^2) corrections move measurements across the step (ratio 2.13 measured)
    g2, g4 = chi2_limits(chi_like, [2000.0, 4000.0], e_min=None).epsilon_observed
    assert g4 / g2 == pytest.approx(2.0, rel=0.02)
    assert g4 / g2 == pytest.approx(curve.eps95_chi2[1] / curve.eps95_chi2[0], rel=0.1)


def test_broad_zprime_departure_from_contact_scaling_is_the_width(chi_like):
    """At g_z ~ 1 the chi Z' is broad (Gamma/M = 25 %); the fixed-width propagator -1/(M^2 (1 + (Gamma/M)^2))
    then reduces the signal below the pure contact value, which is why the upper bands scale a bit
    faster than M between 2 and 4 TeV."""
    from kinmix_stats.model.vector_boson import ZPrime

    charges = ModelSpec("chi").charges()
    rho = [ZPrime(m, 0.0, gx=g, charges=charges).total_width("Zp") / m for g, m in ((0.5, 2000.0), (1.0, 4000.0))]
    assert 0.2 < rho[1] < 0.3
    expected = (1 + rho[0] ** 2) / (1 + rho[1] ** 2)
    d2, _ = chi_like.delta_th(np.array([2000.0]), 0.5)
    d4, _ = chi_like.delta_th(np.array([4000.0]), 1.0)
    j = chi_like.names.index("lep2_ffbar/sigma_mumu_188.6")
    assert d4[0, j] / d2[0, j] == pytest.approx(expected, rel=0.01)


def test_gz_limit_at_the_mass_limit_equals_the_nominal_coupling():
    """Two routes to the same CLs = 0.05 contour: the mass limit at nominal g_z (exact CLs on a mass
    grid, zprime_limits) and the re-linearised g_z limit at that mass, on the same ("LEP-II") datasets."""
    m_lim = mass_limits("chi")["cls"]
    g_nom = nominal_gz("chi")
    assert 300.0 < m_lim < 3000.0
    res = cls_limits(zprime_likelihood("chi", "lep2"), [0.9 * m_lim, m_lim, 1.1 * m_lim])
    assert res.coupling == "g_z"
    assert res.epsilon_observed[1] == pytest.approx(g_nom, rel=0.02)
    assert res.epsilon_observed[0] < g_nom < res.epsilon_observed[2]


def test_family_points_equal_the_named_models(chi_like):
    """B-xL:1 is B-L and 10+x5bar:-3 is chi (also with tan(beta) mass mixing): both go through
    zprime_factory, the family points with charge_family charges parsed from FAMILY:x, and must agree."""
    masses = np.array([150.0, 700.0])
    for named, family, kw in (("B-L", "B-xL:1", {}), ("chi", "10+x5bar:-3", {"tan_beta": 2.0})):
        a = cls_limits(ModelSpec(named, **kw).likelihood(), masses)
        b = cls_limits(ModelSpec(family, **kw).likelihood(), masses)
        np.testing.assert_allclose(b.epsilon_observed, a.epsilon_observed, rtol=1e-10)
        np.testing.assert_allclose(b.expected_band, a.expected_band, rtol=1e-10)
    assert ModelSpec("10+x5bar:-3").nominal_gz() is None and ModelSpec("chi").nominal_gz() == nominal_gz("chi")


def test_mass_mixing_matters_and_opens_a_window_around_mz0():
    """No mixing: no window except the degenerate point m_Z0. dM^2 = 1 GeV^2 strengthens the g_z limit
    near m_Z (Z-Z' mixing angle ~ dM^2/(m_Z^2 - M^2)) but not far from it: at 89.39 GeV, where the narrow Z' sits on
    the m_Z - 1.8 GeV scan energy of the two-state line shape (issue #14; at 90.5 GeV the summed line shape hides
    the level repulsion that the single-eigenstate pseudo-observables credited); dM^2 = 3000 GeV^2 opens a
    window with no Z'-like state around m_Z0 (NaN + status) and is excluded on its own elsewhere."""
    plain = ModelSpec("psi").likelihood()
    mz0 = plain.sm.mz0
    edge_plain = coupling_window(plain, np.array([30.0, mz0, 95.0, 500.0]))
    assert edge_plain[0] == edge_plain[2] == edge_plain[3] == G_Z_CAP and edge_plain[1] == 0.0
    masses = [40.0, 89.39, 1000.0]
    ref = cls_limits(plain, masses)
    small = cls_limits(ModelSpec("psi", delta_m2=1.0).likelihood(), masses)
    assert all(s == "ok" for s in ref.status + small.status), (ref.status, small.status)
    assert small.epsilon_observed[1] < 0.8 * ref.epsilon_observed[1]  # 0.72 measured
    # at 91.0 GeV even the unmixed psi Z' overlaps the Z (shared fermion loops, off-diagonal width): never "ok"
    assert "two states overlap at m_Z" in cls_limits(plain, [91.0]).status[0]
    # 2 %: at 40 GeV the R-ratio points averaged over 38.7-43.1 GeV (energy ranges) now see the Z' directly
    np.testing.assert_allclose(small.epsilon_observed[[0, 2]], ref.epsilon_observed[[0, 2]], rtol=0.02)
    big = cls_limits(ModelSpec("psi", delta_m2=3000.0).likelihood(), masses)
    assert np.all(np.isnan(big.epsilon_observed))
    assert "no Z'-like state" in big.status[1]
    assert "mixing alone is excluded" in big.status[0] and "mixing alone is excluded" in big.status[2]


def test_steep_signal_converges():
    """psi at 40 GeV: the signal grows much faster than g_z^2 (mu95 falls ~ g^-6), where the eps update
    g sqrt(mu95) oscillates; the secant in log g must converge to mu95(g95) = 1."""
    like = ModelSpec("psi").likelihood()
    res = cls_limits(like, [40.0])
    assert res.status == ("ok",) and res.iterations < 12
    g95 = res.epsilon_observed[0]
    from kinmix_stats.likelihood.cls import cls_limits_batch

    d, _ = like.delta_th(np.array([40.0]), float(g95))
    assert cls_limits_batch(like.base_problem(), d).observed_mu[0] == pytest.approx(1.0, abs=0.05)


def test_fixed_kinetic_mixing_excluded_on_its_own_gives_no_gz_limit():
    """With eps fixed above the dark-photon limit the mixing alone is excluded: every g_z is, so the g_z
    limit is NaN with a status saying why (not a meaningless tiny number); at 500 GeV it is not."""
    from kinmix_stats.likelihood.limits import default_likelihood

    dark = upper_limit(50.0, "wide", likelihood=default_likelihood()).limit_observed
    assert dark < 0.05
    res = cls_limits(ModelSpec("chi", epsilon=0.05).likelihood(), [50.0, 500.0], "wide")
    assert np.isnan(res.epsilon_observed[0]) and "mixing alone is excluded" in res.status[0]
    assert np.isfinite(res.epsilon_observed[1]) and res.status[1] == "ok"


def test_higgs_mass_mixing_window_grows_with_gz():
    """tan(beta) mixing: dM^2 ~ g_z, so near m_Z0 a state exists only below an edge in g_z that the
    factory's validity mask reproduces."""
    like = ModelSpec("chi", tan_beta=1.0).likelihood()
    masses = np.array([88.0, 95.0])
    edge = coupling_window(like, masses)
    assert np.all((edge > 1e-4) & (edge < G_Z_CAP))
    for m, e in zip(masses, edge):
        assert like.model_factory(np.array([m]), 0.98 * e, "narrow", like.sm).valid[0]
        assert not like.model_factory(np.array([m]), 1.02 * e, "narrow", like.sm).valid[0]
    assert edge[1] > edge[0] * 0.5  # both sides of m_Z0 have a finite window edge


def test_dark_photon_likelihood_is_still_epsilon():
    from kinmix_stats.likelihood.limits import default_likelihood

    assert likelihood_coupling(default_likelihood()) == "epsilon"
    assert likelihood_coupling(ModelSpec("B-L").likelihood()) == "g_z"


def test_default_model_grid_reaches_multi_tev():
    grid = default_model_mass_grid()
    assert grid[0] == pytest.approx(10.0) and grid[-1] == pytest.approx(5000.0)
    assert np.all(np.diff(grid) > 0) and 300 < grid.size < 600
    assert np.any(np.isclose(grid, 188.6))  # refined at the LEP-II energies


# ------------------------------------------------------------------------------------ CLI limit
def test_cli_limit_model_reports_band_chi2_nominal_and_exclusion(runner):
    res = runner.invoke(cli, ["limit", "--model", "chi", "--mass", "1000"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "gz95_obs" in out and "gz95_exp" in out and "expected band: -2s" in out and "[chi2]" in out
    assert "eps95" not in out
    assert f"nominal g_z = {nominal_gz('chi'):.5g}" in out
    obs = float(out.split("gz95_obs = ")[1].split(",")[0])
    # exact CLs at the nominal coupling and the re-linearised limit must tell the same story
    assert ("EXCLUDED" in out) == (obs < nominal_gz("chi"))


def test_cli_limit_family_point_has_no_nominal_but_tests_given_gz(runner):
    res = runner.invoke(cli, ["limit", "--model", "B-xL:3", "--mass", "2000", "--method", "cls"])
    assert res.exit_code == 0, res.output
    assert "nominal g_z = none" in res.output and "EXCLUDED" not in res.output
    res = runner.invoke(cli, ["limit", "--model", "B-xL:3", "--mass", "2000", "--method", "cls", "--g-z", "1.4"])
    assert res.exit_code == 0, res.output
    obs = float(res.output.split("gz95_obs = ")[1].split(",")[0])
    assert obs < 1.4 and "--g-z = 1.4 at m_Z' = 2000 GeV: EXCLUDED" in res.output


# ------------------------------------------------------------------------------------- CLI scan
def test_cli_scan_model_writes_gz_outputs(chi_scan_dir):
    out, text = chi_scan_dir
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    for f in ("limits_narrow.csv", "limits_narrow.json", "limits.root", "exclusion_narrow.png",
              "workspaces/bkgonly.json", "workspaces/patchset.json", "hepdata/submission.yaml"):
        assert f in names, names
    assert not (out / "limits_wide.csv").exists()  # models default to the narrow width
    lines = (out / "limits_narrow.csv").read_text().splitlines()
    assert lines[0] == GZ_CSV_COLUMNS == GZ_CSV_HEADER != CSV_HEADER
    assert "gz95 from" in text and "nominal" in text
    curve = read_limits_json(out / "limits_narrow.json")
    assert curve.coupling == "g_z" and curve.model == "chi"
    assert curve.metadata["model"]["name"] == "chi" and curve.metadata["coupling"] == "g_z"
    assert "g_z_ref_observed" in curve.metadata and "epsilon_ref_observed" not in curve.metadata
    assert curve.eps95_obs[1] / curve.eps95_obs[0] > 3  # 300 GeV -> 2 TeV: much weaker
    hep = (out / "hepdata" / "g_z_upper_limits_narrow_width.yaml").read_text()
    assert "G_Z (observed)" in hep and "gz95_obs" in hep and "EPSILON (observed)" not in hep
    assert "hepdata.tar.gz" in names and "pyhf_likelihoods.tar.gz" in (out / "hepdata" / "submission.yaml").read_text()
    root = read_root(out / "limits.root", "narrow")
    assert root == curve


def test_exported_patchset_is_pyhf_valid_applies_and_names_the_model(chi_scan_dir):
    out, _ = chi_scan_dir
    workspace, patchset = load_and_verify(out / "workspaces")  # schema + digest
    doc = json.loads((out / "workspaces" / "patchset.json").read_text())
    pyhf.schema.validate(doc, "patchset.json", version="1.0.0")
    assert doc["metadata"]["labels"] == ["mass_GeV", "dark_width_GeV", "g_z_ref"]
    assert doc["metadata"]["model"]["name"] == "chi" and doc["metadata"]["coupling"] == "g_z"
    assert "chi Z'" in doc["metadata"]["description"] and "g_z^2/g_z_ref^2" in doc["metadata"]["description"]
    curve = read_limits_json(out / "limits_narrow.json")
    bkg = json.loads((out / "workspaces" / "bkgonly.json").read_text())
    assert len(doc["patches"]) == len(curve)
    for patch, g95 in zip(doc["patches"], curve.eps95_obs):
        mass, dark, g_ref = patch["metadata"]["values"]
        assert dark == 0.0 and g_ref == pytest.approx(g95, rel=0.02)  # linearised at the limit
        spec = jsonpatch.apply_patch(bkg, patch["patch"])
        ws = pyhf.Workspace(spec)  # validates
        assert ws.get_measurement()["config"]["poi"] == "mu"
        assert pyhf.Workspace(patchset[patch["metadata"]["name"]].apply(workspace)) == ws


def test_cli_export_and_plot_from_a_model_scan(chi_scan_dir, runner, tmp_path):
    out, _ = chi_scan_dir
    res = runner.invoke(cli, ["export", "--from", str(out), "--out", str(tmp_path / "ws")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ws" / "patchset.json").read_bytes() == (out / "workspaces" / "patchset.json").read_bytes()
    res = runner.invoke(cli, ["plot", "--from", str(out), "--out", str(tmp_path / "x.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x.png").stat().st_size > 10_000


def test_checkpoint_records_the_model_and_refuses_another(runner, tmp_path):
    base = ["scan", "--masses", "700", "--method", "cls", "--out", str(tmp_path), "--no-plot", "--no-export", "--quiet"]
    res = runner.invoke(cli, base + ["--model", "psi"])
    assert res.exit_code == 0, res.output
    header = json.loads((tmp_path / "checkpoint_narrow.jsonl").read_text().splitlines()[0])
    assert header["key"]["model"]["name"] == "psi"
    res = runner.invoke(cli, base + ["--model", "psi", "--resume"])  # same scan: resumes
    assert res.exit_code == 0, res.output
    for other in (["--model", "chi"], ["--model", "psi", "--tan-beta", "2"], []):  # another model, mixing, dark photon
        res = runner.invoke(cli, base + other + ["--resume", "--width", "narrow"])
        assert res.exit_code == 2, (other, res.output)
        assert "cannot resume" in res.output and "model" in res.output


def test_model_spec_and_its_likelihood_travel_to_dask_workers():
    import cloudpickle

    for name in ("B-xL:3", "chi"):
        like = ModelSpec(name, epsilon=0.01).likelihood()
        clone = cloudpickle.loads(cloudpickle.dumps(like))
        d0, _ = like.delta_th(np.array([300.0]), 0.2)
        d1, _ = clone.delta_th(np.array([300.0]), 0.2)
        np.testing.assert_array_equal(d0, d1)
    spec = ModelSpec("B-xL:3", tan_beta=3.0)
    assert pickle.loads(pickle.dumps(spec)) == spec


# A model scan on Dask workers equals the serial one: tests/test_distributed.py (it shares that module's cluster).


# ------------------------------------------------------------------------- results and round trips
def _gz_curve(**kw) -> LimitCurve:
    m = np.array([100.0, 1000.0])
    cols = {c: np.array([0.01, 0.2]) * (1 + 0.01 * i) for i, c in enumerate(
        ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2"))}
    cols["eps95_chi2"] = np.array([np.nan, 0.3])
    args = dict(width="narrow", mass_gev=m, status=("ok", "ok"), model="B-xL:3", coupling="g_z",
                metadata={"model": {"name": "B-xL:3"}})
    args.update(kw)
    return LimitCurve(**cols, **args)


def test_gz_curve_round_trips_keep_the_coupling(tmp_path):
    c = _gz_curve()
    assert c.output_columns == output_columns("g_z") == tuple(GZ_COLUMNS.split(","))
    d = c.to_dict()
    assert d["coupling"] == "g_z" and "gz95_obs" in d and "eps95_obs" not in d
    assert LimitCurve.from_dict(d) == c
    assert read_limits_json(write_limits_json(c, tmp_path / "c.json")) == c
    assert read_root(write_root(c, tmp_path / "c.root"), "narrow") == c
    back = read_limits_csv(write_limits_csv(c, tmp_path / "c.csv"), width="narrow", model="B-xL:3")
    assert back.coupling == "g_z" and np.array_equal(back.eps95_chi2, c.eps95_chi2, equal_nan=True)
    with pytest.raises(ValueError, match="model"):
        read_limits_csv(tmp_path / "c.csv", width="narrow")
    assert c.select([1]).coupling == "g_z"
    assert c != _gz_curve(coupling="epsilon", model="x")


def test_old_files_without_coupling_load_as_epsilon(tmp_path):
    c = _gz_curve(coupling="epsilon", model="dark_photon", metadata={})
    d = c.to_dict()
    assert "coupling" not in d and "eps95_obs" in d  # epsilon curves are written exactly as before
    assert LimitCurve.from_dict(d).coupling == "epsilon"
    doc = json.loads(write_limits_json(c, tmp_path / "e.json").read_text())
    assert "coupling" not in doc and "coupling_definition" not in doc
    assert read_limits_json(tmp_path / "e.json").coupling == "epsilon"


def test_gz_curve_needs_a_model():
    with pytest.raises(ValueError, match="needs the name of a Z' model"):
        _gz_curve(model="dark_photon")
    with pytest.raises(ValueError, match="coupling must be one of"):
        _gz_curve(coupling="chi")


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "args, needles",
    [
        (["--model", "zeta"], ["unknown Z' model 'zeta'", "B-L, chi, psi, eta, R, I, SSM", "B-xL, 10+x5bar, d-xu, q+xu"]),
        (["--model", "B-xL:abc"], ["'B-xL:abc'", "x must be a finite number", "'abc'"]),
        (["--model", "B-xL:nan"], ["x must be a finite number", "'nan'"]),
        (["--model", "E6:1"], ["unknown charge family 'E6'", "B-xL, 10+x5bar, d-xu, q+xu"]),
        (["--model", "chi", "--tan-beta", "0"], ["'--tan-beta': tan_beta must be > 0", "(0, inf)", "0.0"]),
        (["--model", "chi", "--tan-beta", "-2"], ["'--tan-beta': tan_beta must be > 0", "-2.0"]),
        (["--model", "chi", "--tan-beta", "2", "--delta-m2", "100"], ["either --delta-m2", "--tan-beta", "not both"]),
        (["--model", "SSM", "--tan-beta", "2"], ["sequential Z'"]),
        (["--model", "chi", "--epsilon", "2"], ["epsilon", "(-pi/2, pi/2)"]),
        (["--model", "chi", "--g-z", "-0.1"], ["'--g-z': -0.1 is not in the range 0.0<x<1.5"]),
        (["--tan-beta", "2"], ["--tan-beta", "need(s) --model"]),
        (["--g-z", "0.1"], ["--g-z", "need(s) --model"]),
    ],
)
@pytest.mark.parametrize("command", ["limit", "scan"])
def test_bad_model_input_is_one_line_exit_2(runner, tmp_path, command, args, needles):
    extra = ["--mass", "500"] if command == "limit" else ["--masses", "500", "--out", str(tmp_path / "o")]
    res = runner.invoke(cli, [command, *extra, *args])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinmix: error: "), res.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not (tmp_path / "o").exists()


def test_help_documents_models_and_the_default_grid(runner):
    res = runner.invoke(cli, ["scan", "--help"])
    text = " ".join(res.output.split())
    assert res.exit_code == 0 and "--model" in text and "10 GeV-5 TeV" in text and "gz95_obs" in text
    res = runner.invoke(cli, ["limit", "--help"])
    assert "--tan-beta" in res.output and "--delta-m2" in res.output and "--g-z" in res.output


@pytest.mark.parametrize(
    "mixing, needle",
    [
        ({"epsilon": 2.0}, "(-pi/2, pi/2), got 2.0"),
        ({"epsilon": float("nan")}, "epsilon (kinetic mixing) must be finite"),
        ({"delta_m2": float("inf")}, "delta_m2 (GeV^2) must be finite"),
        ({"tan_beta": 0.0}, "tan_beta must be > 0 (accepted range (0, inf)), got 0.0"),
        ({"tan_beta": 2.0, "delta_m2": 100.0}, "either tan_beta (Higgs-sector mass mixing) or a fixed delta_m2, not both"),
    ],
)
def test_model_spec_and_zprime_factory_refuse_mixing_alike(mixing, needle):
    """ModelSpec, zprime_factory and lhc_coefficients check the mixing inputs in one place: the same message."""
    from kinmix_stats.likelihood.zprime import zprime_factory
    from kinmix_stats.model.zprime import lhc_coefficients

    messages = []
    for build in (lambda: ModelSpec("chi", **mixing), lambda: zprime_factory("chi", **mixing),
                  lambda: lhc_coefficients("chi", 500.0, **mixing)):
        with pytest.raises(ValueError) as err:
            build()
        messages.append(str(err.value))
    assert needle in messages[0] and messages.count(messages[0]) == 3, messages
