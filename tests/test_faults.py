"""Fault battery (issue 17): bad inputs, tampered files, concurrent writers, kills in every phase.

Every CLI case asserts the exit status, exactly one stderr line ``kinmix: error: ...`` naming the culprit
(the value, the option or the file and line), no traceback, and what the watched directory holds
afterwards (unchanged for refused input). API cases assert the exception type and message. Grids are
tiny (3 masses); real subprocesses are used only where a process must die or two must race.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kinmix_stats._checks import MAX_MASSES, WORKERS_PER_CORE, usable_cores
from kinmix_stats.cli import cli
from kinmix_stats.io import outputset
from kinmix_stats.io.curves import content_sha256
from kinmix_stats.likelihood.limits import default_likelihood

BASE = ["scan", "--masses", "10:20:3", "--width", "narrow", "--method", "cls", "--no-plot", "--no-export", "--quiet"]
RUNNER = CliRunner()
TOO_MANY_WORKERS = str(WORKERS_PER_CORE * usable_cores() + 1)


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = ("dir",) if p.is_dir() else (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def _error(args, needle, watch: Path, *, env=None, code=2, names=()) -> str:
    """Run the CLI; assert one ``kinmix: error:`` line containing ``needle`` (and ``names``) and ``watch`` unchanged."""
    before = _snapshot(watch)
    res = RUNNER.invoke(cli, args, env=env)
    assert res.exit_code == code, (args, res.exit_code, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, (args, res.stderr)
    assert lines[0].startswith("kinmix: error: "), lines[0]
    for n in (needle, *names):
        assert n in lines[0], (n, lines[0])
    assert "Traceback" not in res.output and res.stdout == ""
    assert _snapshot(watch) == before, f"{args}: the directory changed"
    return lines[0]


def _with(args, extra):
    args = list(args)
    for opt, val in zip(extra[::2], extra[1::2]):
        if opt in args:
            args[args.index(opt) + 1] = val
        else:
            args += [opt, val]
    return args


def _ok(args, *, env=None):
    res = RUNNER.invoke(cli, args, env=env)
    assert res.exit_code == 0, (args, res.output)
    return res


# ================================================================== 1. scan: every input bounded, nothing created
SCAN_BAD = [
    (["--masses", "1e-300,10"], "1e-300 GeV (index 0) is outside the accepted range [0.001, 100000] GeV"),
    (["--masses", "10,1e300"], "1e+300 GeV (index 1) is outside the accepted range"),
    (["--masses", "1e-4:10:3"], "0.0001 GeV (index 0) is outside"),
    (["--masses", "10:1e6:3"], "1000000.0 GeV (index 1) is outside"),
    (["--masses", "1:1000:1000000000"], f"'--masses': 1000000000 masses (N) per scan is more than the {MAX_MASSES}"),
    (["--masses", "1:1000:10000000"], "'--masses': 10000000 masses (N) per scan is more than"),
    (["--masses", ""], "'--masses': ''"),
    (["--masses", "10,,20"], "'10,,20'"),
    (["--masses", "1:2:3:4"], "'1:2:3:4'"),
    (["--masses", "1e400,20"], "inf"),
    (["--masses", "10:20:0"], "N >= 1"),
    (["--workers", TOO_MANY_WORKERS], f"workers {TOO_MANY_WORKERS} is more than"),
    (["--workers", "1000"], "workers 1000 is more than"),
    (["--workers", "-1"], "'--workers': -1 is not in the range x>=1"),
    (["--workers", "1.5"], "'1.5'"),
    (["--workers", ""], "--workers"),
    (["--scheduler", "tcp://"], "scheduler address 'tcp://' is not valid"),
    (["--scheduler", "tcp://127.0.0.1:99999"], "'tcp://127.0.0.1:99999' is not valid"),
    (["--scheduler", "http://127.0.0.1:8786"], "unknown protocol 'http'"),
    (["--scheduler", "synchronous", "--workers", "2"], "workers must be 1"),
    (["--connect-timeout", "0"], "--connect-timeout"),
    (["--connect-timeout", "nan"], "--connect-timeout"),
    (["--connect-timeout", "abc"], "'abc'"),
    (["--connect-timeout", "1e9"], "connect_timeout must lie in"),
    (["--chunk", "-1"], "'--chunk': -1 is not in the range x>=1"),
    (["--chunk", "x"], "'x'"),
    (["--inspire-id", "foo"], "'--inspire-id': 'foo' is not an INSPIRE id"),
    (["--inspire-id", "ins123"], "'ins123'"),
    (["--inspire-id", "ins12345678"], "'ins12345678'"),
    (["--inspire-id", "INS1234567"], "'INS1234567'"),
    (["--width", "wide,"], "''"),
    (["--width", "dirac:a:b"], "dirac:ALPHA_D:M_CHI"),
    (["--width", "nan"], "width"),
    (["--method", ""], "''"),
    (["--method", "CLS"], "'CLS'"),
    (["--mw-choice", "nope"], "'nope'"),
    (["--beam-spread-rel", "-1"], "'--beam-spread-rel': beam_spread_rel must lie in (0, 0.1], got -1.0"),
    (["--g-z", "0.1"], "--g-z need(s) --model"),
    (["--model", "bogus"], "'bogus'"),
    (["--model", "B-xL:abc"], "abc"),
    (["--model", "chi", "--tan-beta", "-1"], "'--tan-beta': tan_beta must be > 0"),
    (["--model", "chi", "--tan-beta", "1", "--delta-m2", "1"], "not both"),
]


@pytest.mark.parametrize("extra, needle", SCAN_BAD, ids=[" ".join(e) for e, _ in SCAN_BAD])
def test_scan_refuses_bad_input_before_creating_anything(tmp_path, extra, needle):
    _error(_with(BASE, extra) + ["--out", str(tmp_path / "out")], needle, tmp_path)
    assert not (tmp_path / "out").exists()


SDE_BAD = [("abc", "got 'abc'"), ("-1", "SOURCE_DATE_EPOCH -1 is outside"), ("99999999999", "99999999999 is outside"),
           ("3.5", "got '3.5'"), ("0", "SOURCE_DATE_EPOCH 0 is outside"), ("1e9", "got '1e9'")]


@pytest.mark.parametrize("value, needle", SDE_BAD, ids=[v for v, _ in SDE_BAD])
def test_bad_source_date_epoch_refused_before_any_work(tmp_path, value, needle):
    _error(BASE + ["--out", str(tmp_path / "out")], needle, tmp_path, env={"SOURCE_DATE_EPOCH": value})
    assert not (tmp_path / "out").exists()


def test_bad_source_date_epoch_does_not_break_import(tmp_path):
    env = dict(os.environ, SOURCE_DATE_EPOCH="abc")
    res = subprocess.run([sys.executable, "-c", "import kinmix_stats, os; print(os.environ['SOURCE_DATE_EPOCH'])"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "abc", res.stderr  # imported; the value restored


def test_large_grid_warns_with_the_estimated_time(tmp_path):
    """Above ~10 min of estimated work a one-line warning says how long; refused before the grid is built."""
    from kinmix_stats._checks import scan_size_warning

    assert scan_size_warning(100, 2, ("cls", "chi2")) is None
    note = scan_size_warning(150_000, 2, ("cls", "chi2"), 1)
    assert note is not None and "150000 masses x 2 width(s)" in note and " h on 1 core(s)" in note


# ================================================================== 2. other commands
OTHER_BAD = [
    (["spectrum", "--mass", "1e-300", "--epsilon", "0.01"], "--mass 1e-300 GeV is outside the accepted range"),
    (["spectrum", "--mass", "1e300", "--epsilon", "0.01"], "--mass 1e+300 GeV is outside the accepted range"),
    (["spectrum", "--mass", "-1", "--epsilon", "0.01"], "--mass -1.0 GeV is outside"),
    (["limit", "--mass", "1e6"], "--mass 1000000.0 GeV is outside"),
    (["limit", "--mass", "1e-5"], "--mass 1e-05 GeV is outside"),
    (["limit", "--mass", "abc"], "'abc'"),
    (["spectrum", "--mass", "50"], "--epsilon"),
    (["--bogus"], "No such option '--bogus'"),
    (["scan", "--bogus"], "No such option '--bogus'"),
    (["nosuchcommand"], "No such command 'nosuchcommand'"),
    (["plot", "--from", "/nonexistent/dir", "--out", "x.png"], "/nonexistent/dir"),
    (["recast-cms", "--alpha-d", "x", "--resolution", "0.02", "--out", "OUT"], "'--alpha-d': 'x': expected comma-separated numbers"),
]


@pytest.mark.parametrize("args, needle", OTHER_BAD, ids=[" ".join(a) for a, _ in OTHER_BAD])
def test_other_commands_one_line_errors(tmp_path, args, needle):
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    _error(args, needle, tmp_path)


def test_recast_cms_garbage_limit_file_names_it_and_leaves_no_directory(tmp_path):
    bad = tmp_path / "cms.lmt"
    bad.write_bytes(b"mass eps\nten 0.1\n")
    out = tmp_path / "recast"
    _error(["recast-cms", "--alpha-d", "0.1", "--resolution", "0.02", "--out", str(out), "--cms-limit", str(bad)],
           "not a two-column table of numbers", tmp_path, names=(str(bad),))
    assert not out.exists()


def test_recast_cms_bad_resolution_leaves_no_directory(tmp_path):
    out = tmp_path / "recast"
    _error(["recast-cms", "--alpha-d", "0.1", "--resolution", "-1", "--out", str(out)], "resolution", tmp_path)
    assert not out.exists()


def test_group_usage_error_exits_2_in_a_real_process(tmp_path):
    res = subprocess.run([sys.executable, "-m", "kinmix_stats.cli", "--bogus"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kinmix: error: No such option '--bogus'.") and "(see 'kinmix --help')" in lines[0]


def test_ctrl_c_while_starting_up_is_one_line(tmp_path):
    """SIGINT while the command imports its dependencies: one line, exit 130, no traceback."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.Popen([sys.executable, "-m", "kinmix_stats.cli", *BASE, "--out", str(tmp_path / "o")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:  # numpy loaded: the package's imports are running
        try:
            if "_multiarray_umath" in maps.read_text():
                break
        except OSError:
            pass
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("kinmix: interrupted"), err
    assert not (tmp_path / "o").exists()


# ================================================================== 3. saved curves: verified on --from
@pytest.fixture(scope="module")
def ref_dir(tmp_path_factory):
    """A finished tiny scan (narrow and wide) with its checkpoints and output set."""
    out = tmp_path_factory.mktemp("ref") / "out"
    _ok(_with(BASE, ["--width", "narrow,wide"]) + ["--out", str(out)])
    return out


def _edit(doc, what):
    if what == "limit":
        doc["eps95_obs"][1] = doc["eps95_obs"][1] * 1.5
    elif what == "status":
        doc["status"][0] = "ok (edited)"
    elif what == "metadata":
        doc["metadata"]["catalogue_hash"] = "0" * 64
    elif what == "nohash":
        del doc["content_sha256"]
    elif what == "badhash":
        doc["content_sha256"] = "deadbeef"
    elif what == "order":
        doc["mass_gev"][0], doc["mass_gev"][1] = doc["mass_gev"][1], doc["mass_gev"][0]
    return doc


FROM_BAD = [
    ("binary", "not a text file"),
    ("empty", "not valid JSON"),
    ("truncated", "not valid JSON"),
    ("array", "not a kinmix_stats.limit_curve document"),
    ("limit", "does not match its content_sha256"),
    ("status", "does not match its content_sha256"),
    ("metadata", "does not match its content_sha256"),
    ("nohash", "no content_sha256"),
    ("badhash", "does not match its content_sha256"),
    ("order", "strictly increasing"),
    ("incomplete", "holds an incomplete output set"),
    ("none", "no limits_<width>.json"),
]


@pytest.mark.parametrize("command", ["plot", "export"])
@pytest.mark.parametrize("what, needle", FROM_BAD, ids=[w for w, _ in FROM_BAD])
def test_from_refuses_garbage_and_tampered_curves(ref_dir, tmp_path, command, what, needle):
    src = tmp_path / "from"
    src.mkdir()
    good = (ref_dir / "limits_narrow.json").read_text()
    target = src / "limits_narrow.json"
    if what == "binary":
        target.write_bytes(b"\xff\xfe\x00garbage")
    elif what == "empty":
        target.write_text("")
    elif what == "truncated":
        target.write_text(good[: len(good) // 2])
    elif what == "array":
        target.write_text("[1, 2, 3]")
    elif what == "incomplete":
        target.write_text(good)
        (src / outputset.INCOMPLETE_NAME).write_text("interrupted\n")
    elif what != "none":
        target.write_text(json.dumps(_edit(json.loads(good), what)))
    out = tmp_path / ("fig.png" if command == "plot" else "ws")
    names = () if what in ("none", "incomplete") else ("limits_narrow.json",)
    _error([command, "--from", str(src), "--out", str(out)], needle, tmp_path, names=names)
    assert not out.exists()


def test_untampered_curve_roundtrips_and_hash_is_canonical(ref_dir):
    from kinmix_stats.io.curves import read_limits_json

    doc = json.loads((ref_dir / "limits_narrow.json").read_text())
    assert doc["content_sha256"] == content_sha256(doc)
    assert read_limits_json(ref_dir / "limits_narrow.json").metadata["scan_id"] == doc["metadata"]["scan_id"]


# ================================================================== 4. checkpoints: identity on every line
def _store_case(store: Path, wide: Path, what: str) -> None:
    lines = store.read_text().splitlines()
    point = json.loads(lines[2])
    if what == "wide_line":
        lines.append(wide.read_text().splitlines()[2])
    elif what in ("negative", "string", "nan", "zero", "inf_token"):
        value = {"negative": -0.01, "string": "abc", "zero": 0, "nan": "NaN", "inf_token": "Infinity"}[what]
        point["eps95_obs"] = value
        text = json.dumps(point)
        lines[2] = text.replace('"NaN"', "NaN").replace('"Infinity"', "Infinity")
    elif what == "mass_off_grid":
        point["mass_gev"] = 10.5
        lines[2] = json.dumps(point)
    elif what == "index_off_grid":
        point["index"] = 99
        lines[2] = json.dumps(point)
    elif what == "index_negative":
        point["index"] = -1
        lines[2] = json.dumps(point)
    elif what == "index_bool":
        point["index"] = True
        lines[2] = json.dumps(point)
    elif what == "duplicate":
        point["eps95_obs"] *= 2
        lines.append(json.dumps(point))
    elif what == "empty_status":
        point["status"] = ""
        lines[2] = json.dumps(point)
    elif what == "missing_field":
        del point["eps95_exp"]
        lines[2] = json.dumps(point)
    elif what == "no_scan_id":
        del point["scan"]
        lines[2] = json.dumps(point)
    elif what == "ok_without_limit":
        point["eps95_exp_p2"] = None
        lines[2] = json.dumps(point)
    elif what == "edited_header":
        header = json.loads(lines[0])
        header["key"]["beam_spread_rel"] = 0.002
        lines[0] = json.dumps(header)
    elif what == "old_format":
        header = json.loads(lines[0])
        header["format_version"] = 1
        lines[0] = json.dumps(header)
    elif what == "not_json":
        lines[2] = "{not json"
    elif what == "list_line":
        lines[2] = "[1, 2]"
    elif what == "binary":
        store.write_bytes(b"\x00\xff\xfe\n")
        return
    elif what == "empty":
        store.write_text("")
        return
    store.write_text("\n".join(lines) + "\n")


STORE_BAD = [
    ("wide_line", "line 5 belongs to another scan"),
    ("negative", "line 3: bad value: eps95_obs -0.01"),
    ("string", "line 3: bad value: eps95_obs 'abc'"),
    ("zero", "line 3: bad value: eps95_obs 0"),
    ("nan", "line 3: bad value: eps95_obs nan"),
    ("inf_token", "line 3: bad value: eps95_obs inf"),
    ("mass_off_grid", "line 3: point 1 (mass 10.5 GeV) is not on this grid"),
    ("index_off_grid", "line 3: point 99"),
    ("index_negative", "line 3: bad value: index -1"),
    ("index_bool", "line 3: bad value: index True"),
    ("duplicate", "line 5 records point 1 again with other values (first on line 3)"),
    ("empty_status", "line 3: bad value: status ''"),
    ("missing_field", "line 3: missing field 'eps95_exp'"),
    ("no_scan_id", "line 3 belongs to another scan"),
    ("ok_without_limit", "line 3: point 1 (mass"),
    ("edited_header", "line 1: the header's scan_id does not match its key"),
    ("old_format", "format_version 1"),
    ("not_json", "line 3 is not valid JSON"),
    ("list_line", "line 3 is not a point record"),
    ("binary", "line 1 is not valid JSON"),
    ("empty", "is empty"),
]


@pytest.mark.parametrize("what, needle", STORE_BAD, ids=[w for w, _ in STORE_BAD])
def test_resume_refuses_a_bad_or_foreign_checkpoint_line_before_computing(ref_dir, tmp_path, what, needle):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    store = run / "checkpoint_narrow.jsonl"
    _store_case(store, run / "checkpoint_wide.jsonl", what)
    _error(BASE + ["--out", str(run), "--resume"], needle, tmp_path, names=("checkpoint_narrow.jsonl",))


def test_store_directory_is_refused(ref_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    (run / "checkpoint_narrow.jsonl").unlink()
    (run / "checkpoint_narrow.jsonl").mkdir()
    _error(BASE + ["--out", str(run), "--resume"], "is a directory", tmp_path, names=("checkpoint_narrow.jsonl",))


def test_resume_with_a_torn_last_line_completes_identically(ref_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    store = run / "checkpoint_narrow.jsonl"
    data = store.read_bytes()
    store.write_bytes(data[: len(data) - 40])  # the last point line is torn
    _ok(BASE + ["--out", str(run), "--resume"])
    assert (run / "limits_narrow.csv").read_bytes() == (ref_dir / "limits_narrow.csv").read_bytes()
    from kinmix_stats.scan.checkpoint import read_store

    strip = lambda recs: {i: {k: v for k, v in r.items() if k != "_line"} for i, r in recs.items()}
    assert strip(read_store(store)[1]) == strip(read_store(ref_dir / "checkpoint_narrow.jsonl")[1])
    outputset.verify(run)


def test_every_point_line_and_output_carries_the_scan_id(ref_dir):
    ids = {}
    for w in ("narrow", "wide"):
        lines = [json.loads(x) for x in (ref_dir / f"checkpoint_{w}.jsonl").read_text().splitlines()]
        ids[w] = lines[0]["scan_id"]
        assert all(p["scan"] == ids[w] for p in lines[1:]) and len(lines) == 4
        assert json.loads((ref_dir / f"limits_{w}.json").read_text())["metadata"]["scan_id"] == ids[w]
    assert ids["narrow"] != ids["wide"]
    manifest = outputset.verify(ref_dir)
    assert manifest["scan_ids"] == ids
    assert set(manifest["files"]) >= {"limits_narrow.csv", "limits_wide.json", "limits.root"}


# ================================================================== 5. output directory: lock, staging, commit
def test_second_writer_is_refused_while_the_directory_is_locked(ref_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    with outputset.locked(run, "kinmix scan (test holder)"):
        line = _error(BASE + ["--out", str(run)], "is being written by another kinmix process", tmp_path,
                      names=(str(run), f"pid {os.getpid()}"))
        assert "choose another --out" in line
        _error(["export", "--from", str(run), "--out", str(run)], "is being written by another", tmp_path)
    assert not (run / outputset.LOCK_NAME).exists()  # released and removed


def test_stale_lock_file_and_stale_staging_are_cleaned_on_start(ref_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    (run / outputset.LOCK_NAME).write_text(json.dumps({"pid": 999999, "command": "kinmix scan"}))  # its owner died
    (run / ".kinmix-staging-4242").mkdir()
    (run / ".kinmix-staging-4242" / "limits.root").write_bytes(b"\0" * 10000)
    (run / ".limits_narrow.csv.abc123.tmp").write_text("partial")
    (run / "hepdata" / ".x.yaml.zz.tmp").write_text("partial")
    (run / ".hepdata.staging-q1").mkdir()
    _ok(BASE + ["--out", str(run), "--resume"])
    left = sorted(p.name for p in run.iterdir())
    manifest = outputset.verify(run)
    tops = {rel.split("/")[0] for rel in manifest["files"]}
    assert left == sorted({"MANIFEST.json", "checkpoint_narrow.jsonl", "checkpoint_wide.jsonl", *tops})  # nothing stale
    assert {"limits_narrow.csv", "limits_narrow.json", "limits.root", "hepdata"} <= tops
    assert not list((run / "hepdata").glob(".*"))
    outputset.verify(run)


def test_a_new_set_replaces_the_old_one_entirely(ref_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ref_dir, run)
    (run / "notes.txt").write_text("mine")  # not part of any set: kept
    _ok(_with(BASE, ["--masses", "10:30:3"]) + ["--out", str(run)])
    manifest = outputset.verify(run)
    assert not (run / "limits_wide.csv").exists() and not (run / "limits_wide.json").exists()
    assert "limits_wide.csv" not in manifest["files"] and (run / "notes.txt").read_text() == "mine"
    assert list(manifest["scan_ids"]) == ["narrow"]


def test_export_commits_a_verified_set(ref_dir, tmp_path):
    out = tmp_path / "ws"
    _ok(["export", "--from", str(ref_dir), "--out", str(out)])
    manifest = outputset.verify(out)
    assert {"bkgonly.json", "patchset.json"} <= set(manifest["files"])
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], "MANIFEST.json"])  # nothing else


def test_export_into_a_scans_workspaces_folder_updates_the_scans_manifest(tmp_path, monkeypatch):
    """``kinmix export --out DIR/workspaces`` used to leave DIR's MANIFEST.json listing the old workspace files
    (verify(DIR) failed on their sha256, a whitening.json the new encoding removed stayed listed)."""
    run = tmp_path / "run"
    _ok([a for a in BASE if a != "--no-export"] + ["--out", str(run)])
    before = outputset.verify(run)
    assert "workspaces/whitening.json" in before["files"]
    res = RUNNER.invoke(cli, ["export", "--from", str(run), "--out", str(run / "workspaces"), "--encoding", "per_measurement"])
    assert res.exit_code == 0, res.output
    assert f"updated {run / 'MANIFEST.json'}" in res.output
    after = outputset.verify(run)  # every listed file has its listed sha256
    listed = {name for name in after["files"] if name.startswith("workspaces/")}
    assert listed == {"workspaces/bkgonly.json", "workspaces/patchset.json"}  # whitening.json is gone from both
    assert after["files"]["workspaces/patchset.json"] == outputset.verify(run / "workspaces")["files"]["patchset.json"]
    assert after["files"]["workspaces/patchset.json"] != before["files"]["workspaces/patchset.json"]

    def others(manifest):
        return {k: v for k, v in manifest["files"].items() if not k.startswith("workspaces/")}

    assert others(after) == others(before)  # the scan's own files as they were
    assert after["amended_by"][-1]["command"] == "kinmix export" and after["amended_by"][-1]["folder"] == "workspaces"
    assert not (run / outputset.INCOMPLETE_NAME).exists() and not (run / outputset.LOCK_NAME).exists()
    # an export into the scan's own directory would replace the scan's set: refused, nothing touched
    _error(["export", "--from", str(run), "--out", str(run)], "holds the output set of 'kinmix scan'", tmp_path,
           names=("'--out'", str(run / "workspaces")))
    # interrupted while replacing the folder: the scan's directory is marked incomplete, not silently stale

    def fail(src, dest):
        raise OSError("disk pulled")

    monkeypatch.setattr(outputset, "_move", fail)
    res = RUNNER.invoke(cli, ["export", "--from", str(run), "--out", str(run / "workspaces")])
    assert res.exit_code != 0
    with pytest.raises(ValueError, match="incomplete output set"):
        outputset.verify(run)


def test_export_bad_inspire_id_refused_before_writing(ref_dir, tmp_path):
    _error(["export", "--from", str(ref_dir), "--out", str(tmp_path / "ws"), "--inspire-id", "foo"],
           "'--inspire-id': 'foo' is not an INSPIRE id", tmp_path)


def test_enospc_names_the_file(tmp_path, monkeypatch):
    import errno

    from kinmix_stats.io import atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    out = tmp_path / "out"
    res = RUNNER.invoke(cli, BASE + ["--out", str(out)])
    assert res.exit_code == 2
    line = res.stderr.strip().splitlines()
    assert len(line) == 1 and "No space left on device" in line[0] and "checkpoint_narrow.jsonl" in line[0], res.stderr
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".kinmix-staging-*"))


# ------------------------------------------------------------------------ kills in every phase (real SIGKILL)
_DRIVER = r"""
import os, signal, sys
phase, n, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
from kinmix_stats import cli
from kinmix_stats.scan import checkpoint
from kinmix_stats.io import curves, outputset
count = [0]
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def after(fn):
    def wrapped(*a, **k):
        r = fn(*a, **k)
        count[0] += 1
        if count[0] >= n:
            die()
        return r
    return wrapped
if phase == "startup":
    outputset.remove_stale = lambda *a, **k: die()
elif phase == "compute":
    checkpoint.CheckpointStore.append = after(checkpoint.CheckpointStore.append)
elif phase == "outputs":
    curves.write_root = lambda *a, **k: die()
elif phase == "commit":
    outputset._move = after(outputset._move)
sys.argv = ["kinmix", *args]
cli.main()
"""


def _killed(phase: str, n: int, args) -> subprocess.Popen:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.Popen([sys.executable, "-c", _DRIVER, phase, str(n), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def killed_runs(ref_dir, tmp_path_factory):
    """Four scans over a complete older set, each SIGKILLed in another phase (run side by side)."""
    root = tmp_path_factory.mktemp("kills")
    new = _with(BASE, ["--masses", "10:30:3", "--chunk", "1"])
    procs = {}
    for phase, n in (("startup", 1), ("compute", 1), ("outputs", 1), ("commit", 2)):
        run = root / phase
        shutil.copytree(ref_dir, run)
        procs[phase] = (run, _killed(phase, n, new + ["--out", str(run)]))
    done = {}
    for phase, (run, proc) in procs.items():
        proc.communicate(timeout=300)
        done[phase] = (run, proc.returncode)
    return done, new


@pytest.mark.parametrize("phase", ["startup", "compute", "outputs", "commit"])
def test_sigkill_in_each_phase_leaves_a_complete_or_marked_set_and_resume_completes(ref_dir, killed_runs, phase):
    done, new = killed_runs
    run, code = done[phase]
    assert code == -signal.SIGKILL
    if phase == "commit":  # mid-swap: clearly marked, and refused as a --from source
        assert (run / outputset.INCOMPLETE_NAME).exists() and not (run / outputset.MANIFEST_NAME).exists()
        _error(["plot", "--from", str(run), "--out", str(run.parent / "x.png")], "holds an incomplete output set", run.parent)
    else:  # the old set is intact and verifies
        manifest = outputset.verify(run)
        assert manifest["files"] == outputset.verify(ref_dir)["files"]
    if phase == "startup":
        assert (run / outputset.LOCK_NAME).exists()  # stale lock of a dead process: must not block
    if phase == "compute":
        header, recs, good = __import__("kinmix_stats.scan.checkpoint", fromlist=["read_store"]).read_store(run / "checkpoint_narrow.jsonl")
        assert good == (run / "checkpoint_narrow.jsonl").stat().st_size and len(recs) == 1
    _ok(new + ["--out", str(run)] + ([] if phase == "startup" else ["--resume"]))  # startup: no store of this scan yet
    manifest = outputset.verify(run)
    assert not (run / outputset.INCOMPLETE_NAME).exists() and not list(run.glob(".kinmix-*"))
    assert not list(run.glob(".*.tmp")) and not (run / outputset.LOCK_NAME).exists()
    assert list(manifest["scan_ids"]) == ["narrow"] and not (run / "limits_wide.csv").exists()


def test_two_concurrent_real_writers(tmp_path):
    """A running scan holds the directory: a second process is refused at once and the first completes."""
    out = tmp_path / "out"
    slow = _with(BASE, ["--masses", "1:900:30", "--chunk", "1"]) + ["--out", str(out)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    first = subprocess.Popen([sys.executable, "-m", "kinmix_stats.cli", *slow], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / outputset.LOCK_NAME).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert first.poll() is None, "the first scan ended before the race"
        res = RUNNER.invoke(cli, slow)
        lines = res.stderr.strip().splitlines()
        assert res.exit_code == 2 and len(lines) == 1, res.stderr
        assert lines[0].startswith("kinmix: error: output directory") and f"pid {first.pid}, kinmix scan" in lines[0]
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    manifest = outputset.verify(out)
    assert {"limits_narrow.csv", "limits_narrow.json", "limits.root", "hepdata/submission.yaml"} <= set(manifest["files"])
    assert manifest["scan_ids"] == {"narrow": json.loads((out / "limits_narrow.json").read_text())["metadata"]["scan_id"]}


# ================================================================== 6. Dask connection: every failure within the timeout
def _server(mode: str):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    conns = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            conns.append(c)
            if mode == "http":
                try:
                    c.recv(65536)
                    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1], conns


@pytest.mark.parametrize("mode, needle", [("silent", "within 1 s (no answer)"), ("http", "does not answer like a Dask scheduler")])
def test_scheduler_that_never_answers_or_speaks_http(tmp_path, mode, needle):
    srv, port, conns = _server(mode)
    try:
        t0 = time.monotonic()
        _error(BASE + ["--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1"],
               needle, tmp_path, names=(f"tcp://127.0.0.1:{port}",))
        assert time.monotonic() - t0 < 10
    finally:
        srv.close()
        for c in conns:
            c.close()
    assert not (tmp_path / "out").exists()


def test_closed_port_fails_within_the_timeout(tmp_path):
    t0 = time.monotonic()
    _error(BASE + ["--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
           "cannot connect to the Dask scheduler 'tcp://127.0.0.1:9' within 1 s", tmp_path)
    assert time.monotonic() - t0 < 10


# ================================================================== 7. same numbers whatever --workers
def test_blas_is_pinned_to_one_thread_inside_every_chunk(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    scan_mod = importlib.import_module("kinmix_stats.scan.run")
    seen = []
    original = scan_mod._scan_chunk_pinned

    def spy(*a, **k):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return original(*a, **k)

    monkeypatch.setattr(scan_mod, "_scan_chunk_pinned", spy)
    with threadpool_limits(limits=2):  # the caller allows more threads ...
        scan_mod.scan([10.0, 20.0], "narrow", ("cls",), likelihood=default_likelihood(), chunk=1)
    assert seen and set(seen) == {1}  # ... the computation uses one


def test_workers_1_and_2_give_byte_identical_outputs(tmp_path):
    from threadpoolctl import threadpool_limits

    args = _with(BASE, ["--masses", "10:200:4", "--chunk", "2"])
    args.remove("--no-export")
    with threadpool_limits(limits=2):  # in-process run with multi-threaded BLAS allowed
        _ok(args + ["--out", str(tmp_path / "w1"), "--workers", "1"])
    _ok(args + ["--out", str(tmp_path / "w2"), "--workers", "2"])
    files = sorted(outputset.verify(tmp_path / "w1")["files"])  # the committed output set (not the checkpoint)
    assert "workspaces/patchset.json" in files and "limits.root" in files
    for f in [*files, "MANIFEST.json"]:  # the manifest last: a difference names its file
        assert (tmp_path / "w1" / f).read_bytes() == (tmp_path / "w2" / f).read_bytes(), f
    # the checkpoint holds the same lines; on 2 workers chunks are appended in completion order
    lines = [sorted((tmp_path / w / "checkpoint_narrow.jsonl").read_text().splitlines()) for w in ("w1", "w2")]
    assert lines[0] == lines[1]


# ================================================================== 8. API
def _curve():
    from kinmix_stats.scan import scan

    return scan([10.0, 20.0], "narrow", ("cls",), likelihood=default_likelihood())


API_BAD = [
    ("upper_limit", ("50",), {}, ValueError, "mass must be numbers"),
    ("upper_limit", (True,), {}, ValueError, "mass must be numbers"),
    ("upper_limit", ([True, False],), {}, ValueError, "mass must be numbers"),
    ("upper_limit", (["50"],), {}, ValueError, "mass must be numbers"),
    ("upper_limit", (1e-300,), {}, ValueError, "1e-300 GeV (index 0) is outside the accepted range"),
    ("upper_limit", (1e300,), {}, ValueError, "is outside the accepted range"),
    ("upper_limit", (50.0,), {"likelihood": "x"}, TypeError, "likelihood must be a PrecisionLikelihood"),
    ("upper_limit", (50.0,), {"method": "bayes"}, ValueError, "'bayes'"),
    ("scan", ([],), {}, ValueError, "masses is empty"),
    ("scan", ("abc",), {}, ValueError, "masses must be numbers"),
    ("scan", ([1e6],), {}, ValueError, "1000000.0 GeV (index 0) is outside"),
    ("scan", ([10.0],), {"likelihood": "x"}, TypeError, "likelihood must be a PrecisionLikelihood"),
    ("scan", (np.geomspace(1, 10, MAX_MASSES + 1),), {}, ValueError, f"more than the {MAX_MASSES} accepted"),
    ("scan", ([10.0],), {"workers": 10**6}, ValueError, "workers 1000000 is more than"),
    ("export_workspaces", ("abc", "ws"), {}, TypeError, "curves must be a LimitCurve"),
    ("export_workspaces", (["abc"], "ws"), {}, TypeError, "expected LimitCurve objects, got 'abc'"),
    ("export_workspaces", ("CURVE", 5), {}, TypeError, "out_dir must be a path"),
    ("export_workspaces", ("CURVE", "ws"), {"inspire_id": "foo"}, ValueError, "'foo' is not an INSPIRE id"),
    ("PrecisionLikelihood", ([1, 2],), {}, TypeError, "datasets must be dataset names"),
    ("PrecisionLikelihood", (), {"model_factory": 3}, TypeError, "model_factory must be callable"),
    ("check_execution", (), {"scheduler": "tcp://host:notaport"}, ValueError, "is not valid"),
    ("source_date_epoch", ({"SOURCE_DATE_EPOCH": "abc"},), {}, ValueError, "got 'abc'"),
    ("source_date_epoch", ({"SOURCE_DATE_EPOCH": "3000000000"},), {}, ValueError, "3000000000 is outside"),
]


@pytest.mark.parametrize("func, args, kwargs, exc, needle", API_BAD,
                         ids=[f"{f}-{i}" for i, (f, *_) in enumerate(API_BAD)])
def test_api_refuses_bad_arguments(tmp_path, monkeypatch, func, args, kwargs, exc, needle):
    import kinmix_stats as km
    from kinmix_stats._env import source_date_epoch
    from kinmix_stats.scan.parallel import check_execution

    monkeypatch.chdir(tmp_path)
    fn = {"upper_limit": km.upper_limit, "scan": km.scan, "export_workspaces": km.export_workspaces,
          "PrecisionLikelihood": km.PrecisionLikelihood, "check_execution": check_execution,
          "source_date_epoch": source_date_epoch}[func]
    args = tuple(_curve() if isinstance(a, str) and a == "CURVE" else a for a in args)
    with pytest.raises(exc) as err:
        fn(*args, **kwargs)
    assert needle in str(err.value), str(err.value)
    assert not any(tmp_path.iterdir())  # nothing written


def test_api_dataset_name_is_one_dataset_not_its_characters():
    from kinmix_stats import PrecisionLikelihood

    like = PrecisionLikelihood(datasets="pdg2024_mz")
    assert [ds.name for ds in like.catalogue.datasets] == ["pdg2024_mz"]


def test_writers_refuse_a_bad_source_date_epoch_before_writing(tmp_path, monkeypatch):
    from kinmix_stats.io.curves import write_hepdata, write_root

    curve = _curve()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "-5")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH -5 is outside"):
        write_root(curve, tmp_path / "limits.root")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH -5 is outside"):
        write_hepdata(curve, tmp_path / "hepdata")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ================================================================== 9. status travels with every number
def test_non_converged_and_floor_limits_are_not_ok(monkeypatch):
    """A CLs re-linearisation that does not converge, and a chi2 limit stuck at the smallest coupling probed,
    give a non-ok status in the LimitResult and in the LimitCurve (so every writer can carry it)."""
    from kinmix_stats.likelihood.limits import chi2_limits, cls_limits

    scan_mod = importlib.import_module("kinmix_stats.scan.run")
    like = default_likelihood()
    res = cls_limits(like, [50.0], "narrow", max_iter=1)
    assert res.status[0].startswith("re-linearisation not converged")
    floor = chi2_limits(like, [50.0], "narrow", eps_grid=np.array([0.5, 1.0]))
    assert floor.status[0].startswith("excluded down to the smallest eps probed (0.5)")
    monkeypatch.setattr(scan_mod, "cls_limits", lambda *a, **k: cls_limits(*a, max_iter=1, **k))
    monkeypatch.setattr(scan_mod, "chi2_limits", lambda *a, **k: chi2_limits(*a, eps_grid=np.array([0.5, 1.0]), **k))
    curve = scan_mod.scan([50.0], "narrow", ("cls", "chi2"), likelihood=like)
    assert not curve.ok[0]
    assert "cls: re-linearisation not converged" in curve.status[0] and "chi2: excluded down to" in curve.status[0]
