"""Bad-input battery: every bad input, through the API, the ``kinmix`` CLI or a file, fails with a clear
error naming the problem -- and leaves nothing half-written behind.

CLI cases assert: exit code != 0, exactly one stderr line ``kinmix: error: ...`` containing the
offending value, no traceback (no ``--debug``), nothing on stdout, and the watched directory unchanged
(no file or directory created, existing files byte- and mtime-identical).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats.cli import cli
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.scan import scan

DATA = Path(__file__).resolve().parents[1] / "src" / "kinmix_stats" / "data"
SCAN = ["scan", "--masses", "10:100:2", "--width", "wide", "--method", "cls", "--no-plot", "--no-export", "--quiet"]


@pytest.fixture(scope="module")
def like():
    return default_likelihood()


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        out[str(p.relative_to(root))] = ("dir",) if p.is_dir() else (p.read_bytes(), st.st_mtime_ns)
    return out


def _assert_cli_error(runner, args, needle, watch: Path):
    before = _snapshot(watch)
    res = runner.invoke(cli, args)
    assert res.exit_code not in (0, None), (args, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, (args, res.stderr)
    assert lines[0].startswith("kinmix: error: "), lines[0]
    assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert _snapshot(watch) == before, f"{args}: files changed"
    return lines[0]


# ------------------------------------------------------------------------------------ CLI: scan
SCAN_CASES = [
    # (extra args replacing defaults, needle)
    (["--masses", "1:2"], "1:2"),  # bad --masses syntax: two fields
    (["--masses", "a,b"], "'a,b'"),  # not numbers
    (["--masses", "1:10:x"], "1:10:x"),  # N not an integer
    (["--masses", "10:1:5"], "LO < HI"),  # reversed range
    (["--masses", "0,10"], "bad value 0.0"),  # zero mass
    (["--masses", "-5,10"], "-5"),  # negative mass
    (["--masses", "nan,10"], "nan"),  # NaN mass
    (["--masses", "10,inf"], "inf"),  # infinite mass
    (["--width", "medium"], "'medium'"),  # unknown width
    (["--width", "-1"], "-1.0"),  # negative dark width
    (["--width", "dirac:0.1"], "dirac:ALPHA_D:M_CHI"),  # malformed Dirac spec
    (["--width", "dirac:-1:5"], "alpha_d"),  # alpha_D out of range
    (["--width", "wide,wide"], "repeats a width"),
    (["--method", "bayes"], "'bayes'"),  # unknown method
    (["--method", "cls,cls"], "repeats"),
    (["--mw-choice", "XYZ"], "'XYZ'"),  # unknown m_W choice
    (["--beam-spread-rel", "5"], "'--beam-spread-rel': beam_spread_rel must lie in (0, 0.1], got 5.0"),  # out of range
    (["--workers", "0"], "'--workers': 0 is not in the range x>=1"),
    (["--workers", "two"], "'two'"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
    (["--scheduler", "localhost:8786"], "'localhost:8786' is not valid"),  # no protocol
    (["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"], "cannot connect to the Dask scheduler"),
    (["--connect-timeout", "-3"], "--connect-timeout"),
    (["--chunk", "0"], "'--chunk': 0 is not in the range x>=1"),
    (["--cl", "nan"], "'--cl': 'nan' is not a finite number"),  # NaN passes click's own FloatRange
    (["--beam-spread-rel", "nan"], "'--beam-spread-rel': beam_spread_rel must be finite, got nan"),
    (["--scheduler", "localhost:8786"], "Invalid value for '--scheduler'"),
    (["--model", "chi", "--delta-m2", "nan"], "'--delta-m2'"),
]


def _with(args, extra):
    """``args`` with the (option, value) pairs of ``extra`` replaced or appended."""
    args = list(args)
    for opt, val in zip(extra[::2], extra[1::2]):
        if opt in args:
            args[args.index(opt) + 1] = val
        else:
            args += [opt, val]
    return args


@pytest.mark.parametrize("extra, needle", SCAN_CASES, ids=[" ".join(e) for e, _ in SCAN_CASES])
def test_cli_scan_bad_input(runner, tmp_path, extra, needle):
    args = _with(SCAN, extra) + ["--out", str(tmp_path / "out")]
    _assert_cli_error(runner, args, needle, tmp_path)
    assert not (tmp_path / "out").exists()


def test_cli_scan_out_is_an_existing_file(runner, tmp_path):
    target = tmp_path / "results"
    target.write_text("precious\n")
    _assert_cli_error(runner, SCAN + ["--out", str(target)], "is an existing file", tmp_path)


def test_cli_scan_out_under_a_file(runner, tmp_path):
    (tmp_path / "file").write_text("x")
    _assert_cli_error(runner, SCAN + ["--out", str(tmp_path / "file" / "sub" / "dir")], "is a file, not a directory", tmp_path)


def test_cli_scan_out_empty(runner, tmp_path):
    _assert_cli_error(runner, SCAN + ["--out", ""], "--out", tmp_path)


def test_cli_resume_with_incompatible_store_keeps_outputs(runner, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(cli, SCAN + ["--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "limits_wide.csv").is_file() and (out / "checkpoint_wide.jsonl").is_file()
    # same width, other methods / other grid: the store belongs to another scan
    _assert_cli_error(runner, _with(SCAN, ["--method", "cls,chi2"]) + ["--out", str(out), "--resume"], "methods", tmp_path)
    _assert_cli_error(runner, _with(SCAN, ["--masses", "10:100:3"]) + ["--out", str(out), "--resume"], "grid_sha256", tmp_path)


def test_cli_resume_with_a_garbage_store(runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "checkpoint_wide.jsonl").write_text("this is not json\n")
    _assert_cli_error(runner, SCAN + ["--out", str(out), "--resume"], "line 1 is not valid JSON", tmp_path)


# ------------------------------------------------------------------------- CLI: other commands
@pytest.mark.parametrize(
    "args, needle",
    [
        (["limit", "--mass", "0", "--method", "cls"], "--mass 0.0 GeV is outside the accepted range"),
        (["limit", "--mass", "50", "--method", "bayes"], "bayes"),
        (["spectrum", "--mass", "50", "--epsilon", "2.0"], "epsilon must lie in"),  # |eps| < pi/2
        (["spectrum", "--mass", "nan", "--epsilon", "0.1"], "nan"),
        (["spectrum", "--mass", "50", "--epsilon", "inf"], "epsilon"),
    ],
)
def test_cli_other_commands_bad_input(runner, tmp_path, args, needle):
    _assert_cli_error(runner, args, needle, tmp_path)


VALID_CURVE = None


def _limits_doc(like) -> dict:
    global VALID_CURVE
    if VALID_CURVE is None:
        from kinmix_stats.io.curves import write_limits_json

        tmp = Path(__import__("tempfile").mkdtemp())
        try:
            curve = scan([20.0, 60.0], "wide", ("cls",), likelihood=like)
            VALID_CURVE = json.loads(write_limits_json(curve, tmp / "limits_wide.json").read_text())
        finally:
            shutil.rmtree(tmp)
    return json.loads(json.dumps(VALID_CURVE))


@pytest.mark.parametrize(
    "content, needle",
    [
        ('{"format": "kinmix_stats.limit_curve", "mass_gev": [1.0, 2', "Expecting"),  # truncated JSON
        ("mass_gev,eps95_obs\n1,2\n", "Expecting value"),  # not JSON at all
        ('{"hello": "world"}', "not a kinmix_stats.limit_curve document"),  # valid JSON, wrong document
        ("VALID:format_version=99", "format_version 99"),
        ("VALID:negative_limit", "must be > 0"),
        ("VALID:string_mass", "mass_gev"),
    ],
)
def test_cli_plot_from_bad_limits_json(runner, tmp_path, like, content, needle):
    src = tmp_path / "from"
    src.mkdir()
    if content.startswith("VALID:"):
        doc = _limits_doc(like)
        what = content.split(":", 1)[1]
        if what == "format_version=99":
            doc["format_version"] = 99
        elif what == "negative_limit":
            doc["eps95_obs"][0] = -0.01
        elif what == "string_mass":
            doc["mass_gev"] = "twenty"
        content = json.dumps(doc)
    (src / "limits_wide.json").write_text(content)
    _assert_cli_error(runner, ["plot", "--from", str(src), "--out", str(tmp_path / "fig.png")], needle, tmp_path)
    _assert_cli_error(runner, ["export", "--from", str(src), "--out", str(tmp_path / "ws")], needle, tmp_path)


# ------------------------------------------------------------------------------------------- API
@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"masses": [10.0, float("nan")]}, "nan"),
        ({"masses": [10.0, -1.0]}, "-1.0"),
        ({"masses": [0.0]}, "0.0"),
        ({"masses": "abc"}, "abc"),
        ({"masses": [[10.0, 20.0]]}, "one-dimensional"),
        ({"methods": "toys"}, "'toys'"),  # a single name is accepted (method="cls", as in upper_limit); a bad one is not
        ({"methods": ("cls", "toys")}, "'toys'"),
        ({"width": "medium"}, "'medium'"),
        ({"width": float("inf")}, "width"),
        ({"width": None}, "unknown width"),
        ({"chunk": 0}, "chunk"),
        ({"chunk": 2.5}, "chunk"),
        ({"workers": 0}, "workers"),
        ({"scheduler": "udp://x:1"}, "not valid"),
        ({"metadata": {"note": float("nan")}}, "finite"),
        ({"metadata": {1: "x"}}, "must be a string"),
    ],
)
def test_api_scan_bad_arguments_write_nothing(like, tmp_path, kwargs, needle):
    args = {"masses": [10.0, 50.0], "width": "wide", "methods": ("cls",)}
    args.update(kwargs)
    store = tmp_path / "store.jsonl"
    with pytest.raises(ValueError) as err:
        scan(args.pop("masses"), args.pop("width"), args.pop("methods"), likelihood=like, checkpoint=store, **args)
    assert needle in str(err.value)
    assert not any(tmp_path.iterdir())


def test_api_model_bad_inputs():
    from kinmix_stats.model import DarkPhoton, named_model

    with pytest.raises(ValueError, match="epsilon must lie in"):
        DarkPhoton(50.0, 1.6)  # |eps| >= pi/2: kinetic term not positive definite
    with pytest.raises(ValueError, match="epsilon must be finite"):
        DarkPhoton(50.0, float("nan"))
    with pytest.raises(ValueError, match="epsilon must be a finite real number"):
        DarkPhoton(50.0, "0.01")  # wrong type
    with pytest.raises(ValueError, match="mass must be"):
        DarkPhoton(-3.0, 0.01)
    with pytest.raises(ValueError, match="'foo'"):
        named_model("foo")


def test_api_unknown_dataset_and_mw_choice():
    from kinmix_stats.likelihood.precision import PrecisionLikelihood

    with pytest.raises(ValueError, match="no_such_dataset"):
        PrecisionLikelihood(["no_such_dataset"])
    with pytest.raises(ValueError, match="'XYZ'"):
        PrecisionLikelihood(mw_choice="XYZ")


# ------------------------------------------------------------------------------------------ files
def _yaml_case(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda t: t[: len(t) // 2], "pdg2024_mz"),  # truncated file
        (lambda t: t.replace("measurements:", "measurements: [", 1), "pdg2024_mz"),  # malformed YAML
        (lambda t: t.replace("value: 91.188", "value: ninety-one"), "value"),  # wrong type
        (lambda t: t.replace("value: 91.188", "value: .nan"), "value"),  # NaN
        (lambda t: t.replace("stat: 0.002", "stat: -0.002"), "stat"),  # negative uncertainty
        (lambda t: "", "pdg2024_mz"),  # empty file
    ],
    ids=["truncated", "malformed", "wrong-type", "nan", "negative-sigma", "empty"],
)
def test_load_dataset_bad_yaml(tmp_path, mutate, needle):
    from kinmix_stats.measurements.catalogue import CatalogueError, load_dataset

    text = (DATA / "pdg2024_mz.yaml").read_text()
    path = _yaml_case(tmp_path, "pdg2024_mz", mutate(text))
    with pytest.raises(CatalogueError) as err:
        load_dataset(path)
    msg = str(err.value)
    assert needle in msg and "pdg2024_mz" in msg, msg
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def _problem(cov):
    from kinmix_stats.likelihood.gaussian import LinearGaussianProblem

    return LinearGaussianProblem(
        names=("a", "b"),
        observed=np.array([0.1, -0.2]),
        covariance=np.asarray(cov, dtype=float),
        signal=np.array([0.01, 0.02]),
        nuisance_names=("theta",),
        nuisance_templates=np.array([[1.0, 0.5]]),
        nuisance_sigmas=(1.0,),
    )


@pytest.mark.parametrize(
    "cov, needle",
    [
        ([[1.0, 2.0], [2.0, 1.0]], "positive definite"),  # indefinite
        ([[1.0, 0.3], [0.1, 1.0]], "symmetric"),  # not symmetric
        ([[1.0, math.nan], [math.nan, 1.0]], "finite"),
        ([[1.0, 0.0], [0.0, 0.0]], "positive definite"),  # singular
    ],
)
def test_linear_gaussian_problem_bad_covariance(cov, needle):
    with pytest.raises(ValueError) as err:
        _problem(cov)
    assert needle in str(err.value) and "covariance" in str(err.value)


def test_patchset_that_does_not_match_its_workspace(tmp_path):
    from kinmix_stats.io.workspaces import load_and_verify, write_patchset

    bkg = {
        "channels": [{"name": "ch", "samples": [{"name": "sm", "data": [10.0], "modifiers": [
            {"name": "lumi_free", "type": "normfactor", "data": None}]}]}],
        "observations": [{"name": "ch", "data": [10.0]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    ops = [{"op": "add", "path": "/channels/0/samples/1", "value": {"name": "sig", "data": [1.0], "modifiers": [
        {"name": "mu", "type": "normfactor", "data": None}]}}]
    out = tmp_path / "ws"
    write_patchset(bkg, [("mass_10", {"mass_GeV": 10.0}, ops)], out, description="test", references={"hepdata": "ins0000000"})
    load_and_verify(out)  # consistent pair
    tampered = json.loads((out / "bkgonly.json").read_text())
    tampered["observations"][0]["data"] = [11.0]
    (out / "bkgonly.json").write_text(json.dumps(tampered))
    before = _snapshot(tmp_path)
    with pytest.raises(ValueError, match="does not belong to"):
        load_and_verify(out)
    (out / "patchset.json").write_text((out / "patchset.json").read_text()[:100])  # truncated patchset
    with pytest.raises(ValueError, match="not valid JSON"):
        load_and_verify(out)
    assert set(_snapshot(tmp_path)) == set(before)  # nothing created
