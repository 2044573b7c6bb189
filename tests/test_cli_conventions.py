"""CLI/API conventions: --cl, --json (= the API's to_dict), -v/--log-level, scan --config, overlay listing,
progress bars in masses, one spelling of ``method``, to_dataframe with pandas optional."""

from __future__ import annotations

import json
import logging
import sys
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.io.curves import read_limits_json
from kinmix_stats.likelihood.limits import default_likelihood, upper_limit
from kinmix_stats.scan import scan


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@pytest.fixture(autouse=True)
def _reset_kinmix_logger():
    logger = logging.getLogger("kinmix_stats")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


def test_limit_json_has_the_api_keys_and_numbers(runner):
    res = runner.invoke(cli, ["limit", "--mass", "50", "--width", "wide", "--method", "cls", "--json"])
    assert res.exit_code == 0, res.output
    (doc,) = json.loads(res.stdout)
    api = upper_limit(50.0, "wide", "cls").to_dict()
    assert set(doc) == set(api) | {"confidence_level"}
    assert doc["epsilon_observed"] == pytest.approx(api["epsilon_observed"], rel=1e-12)
    assert doc["confidence_level"] == 0.95 and doc["method"] == "cls" and doc["width"] == "wide"
    assert len(doc["expected_band"][0]) == 5 and doc["status"] == ["ok"]


def test_limit_cl_option_moves_the_limit_as_expected(runner):
    out = {}
    for cl in ("0.9", "0.95"):
        res = runner.invoke(cli, ["limit", "--mass", "50", "--width", "wide", "--method", "cls,chi2", "--cl", cl, "--json"])
        assert res.exit_code == 0, res.output
        out[cl] = {d["method"]: d["epsilon_observed"][0] for d in json.loads(res.stdout)}
    assert out["0.9"]["cls"] < out["0.95"]["cls"]  # a lower CL gives a stronger limit
    # Delta chi^2 of the CL (1 dof); it can jump across both thresholds at once (Eq. 19 filter), hence <=
    assert out["0.9"]["chi2"] <= out["0.95"]["chi2"]
    api = upper_limit(50.0, "wide", "cls", cl=0.9)
    assert out["0.9"]["cls"] == pytest.approx(float(api.limit_observed), rel=1e-12)  # scalar mass: scalar result
    api_chi2 = upper_limit(50.0, "wide", "chi2", delta_chi2=2.705543454095404)  # chi2.ppf(0.90, 1)
    assert out["0.9"]["chi2"] == pytest.approx(float(api_chi2.limit_observed), rel=1e-12)
    bad = runner.invoke(cli, ["limit", "--mass", "50", "--cl", "95"])
    assert bad.exit_code == 2 and "'--cl': 95.0 is not in the range 0.0<x<1.0" in bad.output


def test_verbose_and_log_level_use_the_logging_module(runner):
    quiet = runner.invoke(cli, ["limit", "--mass", "50", "--method", "cls"])
    assert "INFO" not in quiet.stderr
    loud = runner.invoke(cli, ["-v", "limit", "--mass", "50", "--method", "cls"])
    assert loud.exit_code == 0, loud.output
    assert "kinmix: INFO: kinmix_stats.cli: limit: method cls at m = 50 GeV" in loud.stderr
    assert "INFO" not in loud.stdout  # logs go to stderr only
    warn = runner.invoke(cli, ["-v", "--log-level", "warning", "limit", "--mass", "50", "--method", "cls"])
    assert "INFO" not in warn.stderr  # --log-level overrides -v
    bad = runner.invoke(cli, ["--log-level", "LOUD", "limit", "--mass", "50"])
    assert bad.exit_code == 2 and "LOUD" in bad.output


def test_scan_config_file_has_the_option_names_and_the_command_line_wins(runner, tmp_path):
    out = tmp_path / "out"
    cfg = tmp_path / "scan.yaml"
    cfg.write_text(f"width: [wide]\nmasses: '20:30:2'\nmethod: cls\nout: {out}\nplot: false\nexport: false\nquiet: true\n")
    res = runner.invoke(cli, ["scan", "--config", str(cfg), "--masses", "20,25,30"])
    assert res.exit_code == 0, res.output
    curve = json.loads((out / "limits_wide.json").read_text())
    assert curve["mass_gev"] == [20.0, 25.0, 30.0]  # --masses on the command line overrides the file
    assert all(v is None for v in curve["eps95_chi2"])  # method: cls from the file
    assert not list(out.glob("*.png"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("widht: narrow\n")
    res = runner.invoke(cli, ["scan", "--config", str(bad), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "unknown option 'widht'" in res.output and "width" in res.output


def test_plot_lists_drawn_and_skipped_overlays(runner, tmp_path):
    res = runner.invoke(cli, ["scan", "--width", "narrow", "--masses", "5,50,500", "--method", "cls", "--no-export",
                              "--quiet", "--out", str(tmp_path / "r"), "--external-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "overlays drawn: hook_izaguirre_wacker_2010_ewfit, babar_2014_hsl" in res.stdout
    assert "overlay skipped: cms_2019_dimuon:" in res.stdout and "GPL" in res.stdout
    assert (tmp_path / "r" / "exclusion_narrow.png").is_file() and (tmp_path / "r" / "exclusion_narrow.pdf").is_file()
    res = runner.invoke(cli, ["plot", "--from", str(tmp_path / "r"), "--out", str(tmp_path / "p.pdf"),
                              "--overlay", "babar_2014_hsl", "--external-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "overlays drawn: babar_2014_hsl" in res.stdout and "skipped" not in res.stdout
    assert (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    res = runner.invoke(cli, ["plot", "--from", str(tmp_path / "r"), "--out", str(tmp_path / "q.png"), "--overlay", "babar"])
    assert res.exit_code == 2 and "unknown overlay 'babar'" in res.output and not (tmp_path / "q.png").exists()


def test_progress_bar_counts_masses(capsys):
    like = default_likelihood()
    scan([10.0, 20.0, 30.0], "narrow", ("cls", "chi2"), likelihood=like, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "mass" in err and "6/6" not in err


def test_scan_method_spelling_and_deprecated_methods():
    like = default_likelihood()
    a = scan([20.0, 30.0], "narrow", method="cls", likelihood=like)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = scan([20.0, 30.0], "narrow", methods=("cls",), likelihood=like)
    assert any(issubclass(w.category, DeprecationWarning) and "method=" in str(w.message) for w in caught)
    np.testing.assert_array_equal(a.eps95_obs, b.eps95_obs)
    assert np.isnan(a.eps95_chi2).all()


def test_to_dataframe_or_a_clear_error_without_pandas(monkeypatch):
    like = default_likelihood()
    curve = scan([20.0, 30.0], "narrow", method="cls", likelihood=like)
    res = upper_limit([20.0, 30.0], "narrow", "cls", likelihood=like)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match="needs pandas.*to_dict"):
        curve.to_dataframe()
    with pytest.raises(ImportError, match="needs pandas"):
        res.to_dataframe()
    monkeypatch.delitem(sys.modules, "pandas")
    pd = pytest.importorskip("pandas")
    df = curve.to_dataframe()
    assert list(df.columns) == [*curve.output_columns, "status"]
    np.testing.assert_array_equal(df["eps95_obs"].to_numpy(), curve.eps95_obs)
    assert isinstance(res.to_dataframe(), pd.DataFrame)


def test_custom_charges_equal_the_named_model_they_spell(runner, tmp_path):
    """--charges 1/3,1/3,1/3,-1,-1 is B-L (PDG Table 1, x = 1): the same g_z limit to rounding."""
    from kinmix_stats.model.charges import named_model, parse_custom_charges

    name, ch = parse_custom_charges("charges:1/3,1/3,1/3,-1,-1")
    bl = named_model("B-L")
    assert name == "charges:1/3,1/3,1/3,-1,-1"
    assert (ch.q, ch.u, ch.d, ch.l, ch.e) == (bl.q, bl.u, bl.d, bl.l, bl.e)
    args = ["limit", "--mass", "1000", "--method", "cls", "--json"]
    named = json.loads(runner.invoke(cli, [*args, "--model", "B-L"]).stdout)[0]
    res = runner.invoke(cli, [*args, "--charges", "1/3,1/3,1/3,-1,-1"])
    assert res.exit_code == 0, res.output
    custom = json.loads(res.stdout)[0]
    assert custom["coupling"] == "g_z"
    assert custom["epsilon_observed"][0] == pytest.approx(named["epsilon_observed"][0], rel=1e-12)
    yml = tmp_path / "bl.yaml"
    yml.write_text("q: 1/3\nu: 1/3\nd: 1/3\nl: -1\ne: -1\n")
    from_file = json.loads(runner.invoke(cli, [*args, "--charges", str(yml)]).stdout)[0]
    assert from_file["epsilon_observed"] == custom["epsilon_observed"]
    bad = runner.invoke(cli, [*args, "--charges", "1,2,3"])
    assert bad.exit_code == 2 and "five comma-separated charges" in bad.output
    both = runner.invoke(cli, [*args, "--charges", "1,1,1,1,1", "--model", "chi"])
    assert both.exit_code == 2 and "not both" in both.output


def test_scan_at_another_confidence_level(runner, tmp_path):
    """#18: km.scan(cl=) and kinmix scan --cl. A 90 % limit is below the 95 % one and equals upper_limit(cl=0.9);
    the CL is in the metadata and in the checkpoint identity (a resumed scan with another CL is refused)."""
    like = default_likelihood()
    masses = [50.0, 150.0]
    c95 = scan(masses, "wide", ("cls", "chi2"), likelihood=like)
    c90 = scan(masses, "wide", ("cls", "chi2"), likelihood=like, cl=0.9)
    assert np.all(c90.eps95_obs < c95.eps95_obs) and np.all(c90.eps95_chi2 <= c95.eps95_chi2)
    for i, m in enumerate(masses):
        api = upper_limit(m, "wide", "cls", likelihood=like, cl=0.9)
        assert c90.eps95_obs[i] == pytest.approx(float(api.limit_observed), rel=1e-9)
    assert c95.confidence_level == 0.95 and c90.confidence_level == 0.9
    assert c90.metadata["confidence_level"] == 0.9 and c90.metadata["scan_id"] != c95.metadata["scan_id"]
    with pytest.raises(ValueError, match="cl must lie in"):
        scan(masses, "wide", "cls", likelihood=like, cl=95)
    store = tmp_path / "checkpoint_wide.jsonl"
    scan(masses, "wide", ("cls", "chi2"), likelihood=like, checkpoint=store)
    with pytest.raises(ValueError, match="confidence_level"):
        scan(masses, "wide", ("cls", "chi2"), likelihood=like, checkpoint=store, resume=True, cl=0.9)
    # the command line: the same numbers, the CL in the JSON and in the HEPData table
    out = tmp_path / "cli"
    args = ["scan", "--masses", "50,150", "--width", "wide", "--cl", "0.9", "--no-plot", "--no-export", "--quiet"]
    res = runner.invoke(cli, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "limits_wide.json").read_text())
    assert doc["confidence_level"] == 0.9 and doc["metadata"]["confidence_level"] == 0.9
    np.testing.assert_array_equal(read_limits_json(out / "limits_wide.json").eps95_obs, c90.eps95_obs)
    table = (out / "hepdata" / "epsilon_upper_limits_wide_width.yaml").read_text()
    assert "90%" in table and "95%" not in table
    res = runner.invoke(cli, [*args, "--cl", "0.95", "--out", str(out), "--resume"])
    assert res.exit_code == 2 and "confidence_level" in res.output


@pytest.mark.parametrize("value", ["0", "-1", "0.1000001", "5"])
def test_beam_spread_rel_option_refuses_what_the_likelihood_refuses(runner, value):
    """--beam-spread-rel has no range of its own: its error names the option and repeats the library's range."""
    from kinmix_stats.likelihood.precision import PrecisionLikelihood
    from kinmix_stats.measurements import available_datasets

    with pytest.raises(ValueError, match=r"beam_spread_rel must lie in \(0, 0\.1\]") as err:
        PrecisionLikelihood(datasets=available_datasets()[:1], beam_spread_rel=float(value))
    for command in (["limit", "--mass", "50"], ["scan", "--masses", "50", "--out", "unused"]):
        res = runner.invoke(cli, [*command, "--beam-spread-rel", value])
        assert res.exit_code == 2 and f"Invalid value for '--beam-spread-rel': {err.value}" in res.output, res.output
    help_text = " ".join(runner.invoke(cli, ["limit", "--help"]).output.split())
    assert "energy spread (default 1e-3), in (0, 0.1]" in help_text


def test_beam_spread_rel_option_accepts_the_likelihoods_upper_edge():
    from kinmix_stats._checks import BEAM_SPREAD_REL_RANGE
    from kinmix_stats.cli.options import BEAM_SPREAD_REL
    from kinmix_stats.likelihood.precision import PrecisionLikelihood
    from kinmix_stats.measurements import available_datasets

    edge = BEAM_SPREAD_REL_RANGE[1]
    assert BEAM_SPREAD_REL.convert(str(edge), None, None) == edge
    assert PrecisionLikelihood(datasets=available_datasets()[:1], beam_spread_rel=edge).beam_spread_rel == edge
