"""Checkpoint and resume: a real ``kinmix scan`` killed with SIGTERM part-way stops cleanly (finished
points kept, no final or temporary file), and ``--resume`` completes it with outputs byte-identical to an
uninterrupted run. Plus the store format: mid-run readable lines, torn last line, incompatible stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.scan import scan
from kinmix_stats.scan.checkpoint import CheckpointStore, checkpoint_path, read_store, store_key

# chunk 1: one checkpoint line per mass (~0.05 s of CPU each); the run is interrupted after its 2nd line, so
# ~28 masses (well over 1 s) are still to do when SIGTERM is sent (the 10 ms poll below is far quicker)
N_MASSES = 30
ARGS = ["scan", "--masses", f"1:900:{N_MASSES}", "--width", "narrow", "--method", "cls", "--chunk", "1",
        "--no-plot", "--no-export", "--quiet"]


def _kinmix(args, **kw):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.Popen([sys.executable, "-m", "kinmix_stats.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_sigterm_then_resume_equals_uninterrupted_run(tmp_path):
    ref_dir, run_dir = tmp_path / "reference", tmp_path / "run"
    ref = _kinmix([*ARGS, "--out", str(ref_dir)])  # uninterrupted, runs alongside (2 cores)
    proc = _kinmix([*ARGS, "--out", str(run_dir)])
    store = run_dir / "checkpoint_narrow.jsonl"
    try:
        deadline = time.monotonic() + 60
        while _lines(store) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 1 and err_lines[0].startswith("kinmix: interrupted by SIGTERM"), err
    assert "--resume" in err_lines[0] and "Traceback" not in err
    # every finished point is in the store, as complete lines; no final output, no temporary file
    data = store.read_bytes()
    assert data.endswith(b"\n")
    header, done, good = read_store(store)
    assert good == len(data) and 1 <= len(done) < N_MASSES
    assert f"{len(done)}/{N_MASSES} masses" in err_lines[0]
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint_narrow.jsonl"]

    resumed = _kinmix([*ARGS, "--out", str(run_dir), "--resume"])
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    ref_out, ref_err = ref.communicate(timeout=120)
    assert ref.returncode == 0, ref_err
    _, done_after, _ = read_store(store)
    assert len(done_after) == N_MASSES
    # the points saved before the interruption were not recomputed: their lines are unchanged
    assert store.read_bytes().startswith(data)
    for name in ("limits_narrow.csv", "limits_narrow.json"):
        assert (run_dir / name).read_bytes() == (ref_dir / name).read_bytes(), name
    assert not list(run_dir.glob(".*.tmp"))


# ------------------------------------------------------------------------------ in-process store tests
MASSES = np.array([3.0, 12.0, 40.0, 150.0, 400.0])


@pytest.fixture(scope="module")
def like():
    return default_likelihood()


@pytest.fixture(scope="module")
def full(like):
    return scan(MASSES, "wide", ("cls",), likelihood=like, chunk=2)


def test_store_lines_have_all_columns_and_status(like, full, tmp_path):
    path = tmp_path / "store.jsonl"
    curve = scan(MASSES, "wide", ("cls",), likelihood=like, chunk=2, checkpoint=path)
    assert curve == full
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + MASSES.size
    header = json.loads(lines[0])
    assert header["key"] == json.loads(json.dumps(store_key(like, "wide", ("cls",), MASSES), sort_keys=True))
    for i, line in enumerate(lines[1:]):
        rec = json.loads(line)
        assert rec["index"] == i and rec["mass_gev"] == MASSES[i]
        assert rec["eps95_obs"] == full.eps95_obs[i] and rec["eps95_exp_p2"] == full.eps95_exp_p2[i]
        assert rec["eps95_chi2"] is None and rec["status"] == "ok" and rec["status_chi2"] == "not run"


def test_resume_after_partial_store_with_torn_line(like, full, tmp_path):
    path = tmp_path / "store.jsonl"
    scan(MASSES, "wide", ("cls",), likelihood=like, chunk=2, checkpoint=path)
    lines = path.read_bytes().split(b"\n")
    # keep the header and the first chunk (2 points), plus half of the next line (a torn write)
    path.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:25])
    resumed = scan(MASSES, "wide", ("cls",), likelihood=like, chunk=2, checkpoint=path, resume=True)
    assert resumed == full
    header, done, good = read_store(path)
    assert sorted(done) == list(range(MASSES.size)) and good == path.stat().st_size
    # resuming a finished store computes nothing and gives the same curve
    again = scan(MASSES, "wide", ("cls",), likelihood=like, chunk=2, checkpoint=path, resume=True)
    assert again == full


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"width": "narrow"}, "width"),
        ({"methods": ("cls", "chi2")}, "methods"),
        ({"masses": np.append(MASSES, 700.0)}, "grid_sha256"),
    ],
)
def test_incompatible_store_is_refused_and_untouched(like, tmp_path, change, needle):
    path = tmp_path / "store.jsonl"
    scan(MASSES[:2], "wide", ("cls",), likelihood=like, checkpoint=path)
    scan(MASSES, "wide", ("cls",), likelihood=like, checkpoint=path)
    before = path.read_bytes()
    args = {"masses": MASSES, "width": "wide", "methods": ("cls",)}
    args.update(change)
    with pytest.raises(ValueError, match=f"cannot resume from .*{needle}"):
        scan(args["masses"], args["width"], args["methods"], likelihood=like, checkpoint=path, resume=True)
    assert path.read_bytes() == before


def test_store_of_another_prediction_treatment_is_refused(like, tmp_path):
    """ISR and the line shape are not in the catalogue hash: a store scanned without ISR is not resumed with it."""
    from kinmix_stats.likelihood.precision import PrecisionLikelihood

    path = tmp_path / "store.jsonl"
    born = PrecisionLikelihood(datasets=[ds.name for ds in like.catalogue.datasets], isr=False)
    scan(MASSES[:2], "wide", ("cls",), likelihood=born, checkpoint=path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="cannot resume from .*predictions"):
        scan(MASSES[:2], "wide", ("cls",), likelihood=like, checkpoint=path, resume=True)
    assert path.read_bytes() == before


def test_store_refuses_a_foreign_or_corrupt_file(like, tmp_path):
    key = store_key(like, "wide", ("cls",), MASSES)
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="not a kinmix_stats checkpoint store"):
        CheckpointStore(foreign, key, MASSES, resume=True)
    assert foreign.read_text() == '{"hello": 1}\n'
    path = tmp_path / "store.jsonl"
    scan(MASSES[:2], "wide", ("cls",), likelihood=like, checkpoint=path)
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n{garbage\n" + lines[1] + "\n")
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        read_store(path)


def test_checkpoint_path_and_resume_needs_a_store(like, tmp_path):
    assert checkpoint_path(tmp_path, "wide") == tmp_path / "checkpoint_wide.jsonl"
    assert checkpoint_path(tmp_path, 1.5) == tmp_path / "checkpoint_1.5GeV.jsonl"
    with pytest.raises(ValueError, match="checkpoint"):
        scan(MASSES[:1], "wide", ("cls",), likelihood=like, resume=True)


# ---------------------------------------------------------------------------------- reproducibility
def test_same_inputs_give_byte_identical_outputs_with_provenance(tmp_path):
    import re

    from click.testing import CliRunner

    import kinmix_stats
    from kinmix_stats.cli import cli

    runner = CliRunner()
    args = ["scan", "--masses", "15,45,150", "--width", "narrow", "--method", "cls", "--no-plot", "--no-export", "--quiet"]
    for name, extra in (("a", []), ("b", ["--chunk", "1"])):  # execution options do not change outputs
        res = runner.invoke(cli, [*args, *extra, "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    for f in ("limits_narrow.csv", "limits_narrow.json", "hepdata/epsilon_upper_limits_narrow_width.yaml"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    text = (tmp_path / "a" / "limits_narrow.json").read_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)  # no wall-clock time stamps
    meta = json.loads(text)["metadata"]
    like = default_likelihood()
    assert meta["package_version"] == kinmix_stats.__version__
    assert meta["catalogue_hash"] == like.catalogue.catalogue_hash()
    assert meta["width"] == "narrow" and meta["methods"] == ["cls"]
    assert meta["inputs"] == {"command": "kinmix scan", "masses": "15,45,150", "mw_choice": "PDG2024",
                              "beam_spread_rel": like.beam_spread_rel}
    assert set(meta["versions"]) == {"numpy", "scipy"}  # only the libraries that computed the CLs numbers
    assert "iminuit" not in meta["versions"]  # iminuit computed none of these numbers (method cls)
    assert meta["engines"]["cls"]["engine"] == "closed form"
    assert "workers" not in text and "chunk" not in text
