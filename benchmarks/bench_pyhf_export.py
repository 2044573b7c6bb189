"""Benchmark: the default (whitened) pyhf export as a reinterpretation user meets it, in ONE run, with ratios.

1. ``make demo``'s command (``kinmix scan --width narrow,wide``, default grid) in a child process: wall time and
   peak RSS; then ``kinmix export --from`` alone (peak RSS of the export step); patchset and workspace sizes.
2. ``pyhf patchset extract`` and ``pyhf cls bkgonly.json -p <patch> --test-poi 1`` (pyhf's CLI, numpy backend,
   default scipy optimiser): wall times, CLs_obs.
3. One ``pyhf.infer.mle.fit`` of a patched workspace with scipy and with minuit (median of 3).
4. ``pyhf.infer.intervals.upper_limits.upper_limit`` (observed + 5 expected, minuit) per mass, eps95 =
   eps_ref * sqrt(mu95) compared with our closed-form limits from the same scan, and the time ratio to our
   fast engine (``km.upper_limit``) for the same mass.
5. Baseline: the older one-nuisance-per-correlation layout (``--encoding per_measurement``) of the same hypothesis:
   its pyhf parameter count, one scipy ``mle.fit`` in a child process capped at ``--old-cap`` seconds, and its
   patch size (scaled to the patch count of the default export, labelled as an extrapolation).

Targets (issue #13/#17): pyhf cls < 5 s, one fit < 0.5 s, upper_limit < 15 s per mass with eps95 within 0.5 %,
patchset < 20 MB, extract < 5 s, demo peak RSS < 0.6 GB. Timings on a shared machine vary with its load; the
ratios measured in the same run are the meaningful part. ``--update-readme`` rewrites the README block between
``<!-- bench_pyhf_export:start -->`` and ``<!-- bench_pyhf_export:end -->`` with this run's table.

Usage::

    python benchmarks/bench_pyhf_export.py [--out DIR] [--masses 50,189] [--old-cap 120] [--update-readme]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from readme_block import README, RunConditions, markdown_table, replace_block

BIN = Path(sys.executable).parent
_WRAP = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); rc = subprocess.run(sys.argv[2:]).returncode; "
    "open(sys.argv[1], 'w').write(f'{rc} {time.perf_counter() - t} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')"
)


def run_measured(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> tuple[int, float, float]:
    """Run ``cmd`` in a child; return (exit code, wall s, peak RSS GB of that child alone)."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as fh:
        subprocess.run([sys.executable, "-c", _WRAP, fh.name, *cmd], check=False, timeout=timeout,
                       stdout=subprocess.DEVNULL, env=env)
        rc, wall, rss_kb = fh.read().split()
    return int(rc), float(wall), float(rss_kb) / 1024**2


def timed(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.perf_counter() - t, proc


_OLD_FIT = """
import json, sys, time, pyhf
spec = json.load(open(sys.argv[1]))
ws = pyhf.Workspace(spec); model = ws.model(); data = ws.data(model)
print(model.config.npars, flush=True)
t = time.perf_counter(); pyhf.infer.mle.fit(data, model); print(time.perf_counter() - t, flush=True)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="work directory (default: a temporary one)")
    ap.add_argument("--masses", default="50,189", help="masses (GeV) for the pyhf upper_limit comparison (wide)")
    ap.add_argument("--old-cap", type=float, default=120.0, help="time cap (s) of the old-layout fit")
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench_pyhf_"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    rows: list[tuple[str, str, str]] = []
    say = lambda s: print(s, flush=True)
    conditions = RunConditions()

    # 1. make demo's scan, then the export step alone
    demo = work / "demo"
    rc, t_demo, rss_demo = run_measured([str(BIN / "kinmix"), "scan", "--width", "narrow,wide", "--out", str(demo), "--quiet"], env=env)
    assert rc == 0, "kinmix scan failed"
    rc, t_export, rss_export = run_measured([str(BIN / "kinmix"), "export", "--from", str(demo), "--out", str(work / "export")], env=env)
    assert rc == 0, "kinmix export failed"
    ws_dir = demo / "workspaces"
    size_ps = (ws_dir / "patchset.json").stat().st_size / 1e6
    size_bkg = (ws_dir / "bkgonly.json").stat().st_size / 1e6
    ps = json.loads((ws_dir / "patchset.json").read_text())
    n_patches = len(ps["patches"])
    enc = ps["metadata"]["encoding"]
    say(f"demo scan: {t_demo:.1f} s, peak RSS {rss_demo:.2f} GB; export alone {t_export:.1f} s, peak RSS {rss_export:.2f} GB")
    rows.append(("`make demo` (`kinmix scan --width narrow,wide`, 524 masses): wall / peak RSS", f"{t_demo:.0f} s / {rss_demo:.2f} GB", "target < 0.6 GB"))
    rows.append(("`kinmix export --from` alone: wall / peak RSS", f"{t_export:.1f} s / {rss_export:.2f} GB", ""))
    rows.append((f"patchset ({n_patches} patches) / bkgonly.json size", f"{size_ps:.1f} MB / {size_bkg:.2f} MB", "target < 20 MB"))
    rows.append(("largest abs(Δ(−2 ln L)) vs exact Gaussian: μ ≤ μ_max / μ ≤ μ95 (+2σ exp)",
                 f"{enc['max_abs_delta_minus2lnL']:.2g} / {enc['max_abs_delta_minus2lnL_limit_range']:.2g}", "patchset metadata"))

    # 2. pyhf CLI
    limits = {w: json.loads((demo / f"limits_{w}.json").read_text()) for w in ("narrow", "wide")}
    targets = [float(x) for x in args.masses.split(",")]
    wide = [p for p in ps["patches"] if p["metadata"]["name"].endswith("_wide")]
    chosen = [min(wide, key=lambda p: abs(p["metadata"]["values"][0] - m)) for m in targets]
    name = chosen[0]["metadata"]["name"]
    t_extract, proc = timed([str(BIN / "pyhf"), "patchset", "extract", str(ws_dir / "patchset.json"), "--name", name], env=env)
    assert proc.returncode == 0, proc.stderr
    patch_file = work / "patch.json"
    patch_file.write_text(proc.stdout)
    t_cls, proc = timed([str(BIN / "pyhf"), "cls", str(ws_dir / "bkgonly.json"), "-p", str(patch_file), "--test-poi", "1"], env=env)
    assert proc.returncode == 0, proc.stderr
    cls_obs = json.loads(proc.stdout)["CLs_obs"]
    t_import, _ = timed([str(BIN / "pyhf"), "--version"], env=env)
    say(f"pyhf patchset extract {t_extract:.2f} s; pyhf cls --test-poi 1 {t_cls:.2f} s (CLs_obs {cls_obs:.4f}); pyhf --version {t_import:.2f} s")
    rows.append(("`pyhf patchset extract` (CLI, wall)", f"{t_extract:.1f} s", "target < 5 s"))
    rows.append((f"`pyhf cls bkgonly.json -p {name}.json --test-poi 1` (CLI, wall)", f"{t_cls:.1f} s (CLs = {cls_obs:.4f})", f"target < 5 s; `pyhf --version` alone {t_import:.1f} s"))

    # 3./4. in-process fits and upper limits
    import pyhf

    import kinmix_stats as km

    t = time.perf_counter()
    workspace = pyhf.Workspace(json.loads((ws_dir / "bkgonly.json").read_text()))
    patchset = pyhf.PatchSet(json.loads((ws_dir / "patchset.json").read_text()))  # schema validation of every patch
    patchset[name].apply(workspace)
    t_load = time.perf_counter() - t
    say(f"in-process json.load + pyhf.PatchSet + apply one patch: {t_load:.2f} s")
    rows.append(("in-process `pyhf.PatchSet(json.load(...))` + apply one patch (what `extract` does after importing pyhf)",
                 f"{t_load:.1f} s", ""))
    for opt in ("scipy", "minuit"):
        pyhf.set_backend("numpy", opt)
        model_ws = patchset.apply(workspace, name)
        model, data = model_ws.model(), model_ws.data(model_ws.model())
        times = []
        for _ in range(3):
            t = time.perf_counter()
            pyhf.infer.mle.fit(data, model)
            times.append(time.perf_counter() - t)
        say(f"mle.fit {opt}: {np.median(times):.3f} s ({model.config.npars} parameters)")
        rows.append((f"one `pyhf.infer.mle.fit`, {opt} ({model.config.npars} parameters)", f"{np.median(times):.2f} s", "target < 0.5 s"))
    pyhf.set_backend("numpy", "minuit")
    from kinmix_stats.likelihood.limits import default_likelihood

    like = default_likelihood()
    for patch in chosen:
        pname = patch["metadata"]["name"]
        mass, _, eps_ref = patch["metadata"]["values"]
        model_ws = patchset.apply(workspace, pname)
        model, data = model_ws.model(), model_ws.data(model_ws.model())
        t = time.perf_counter()
        obs, exp = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=None, level=0.05)
        t_ul = time.perf_counter() - t
        eps_pyhf = eps_ref * math.sqrt(float(obs))
        eps_pyhf_exp = eps_ref * math.sqrt(float(exp[2]))
        i = int(np.argmin(np.abs(np.array(limits["wide"]["mass_gev"]) - mass)))
        ours_obs, ours_exp = limits["wide"]["eps95_obs"][i], limits["wide"]["eps95_exp"][i]
        t = time.perf_counter()
        km.upper_limit(mass, "wide", likelihood=like)
        t_fast = time.perf_counter() - t
        say(f"{pname}: upper_limit (minuit) {t_ul:.1f} s vs ours {t_fast * 1e3:.0f} ms; eps95 pyhf/ours obs "
            f"{eps_pyhf / ours_obs:.5f}, median exp {eps_pyhf_exp / ours_exp:.5f}")
        rows.append((f"`upper_limit` obs + 5 exp, minuit, {pname} (ours: `km.upper_limit`)",
                     f"{t_ul:.1f} s (ours {t_fast * 1e3:.0f} ms, ×{t_ul / t_fast:.0f})",
                     f"ε95 pyhf/ours: obs {eps_pyhf / ours_obs:.4f}, median exp {eps_pyhf_exp / ours_exp:.4f}; target < 15 s, 0.5 %"))
    pyhf.set_backend("numpy", "scipy")

    # 5. old layout baseline on the same hypothesis (one patch), fit capped
    one = km.scan(np.array([chosen[0]["metadata"]["values"][0]]), "wide", method="cls", likelihood=like)
    old_dir = work / "old"
    km.export_workspaces(one, old_dir, likelihood=like, encoding="per_measurement")
    old_ps = json.loads((old_dir / "patchset.json").read_text())
    old_patch_bytes = len(json.dumps(old_ps["patches"][0], separators=(",", ":")))
    full = pyhf.PatchSet(old_ps).apply(pyhf.Workspace(json.loads((old_dir / "bkgonly.json").read_text())), old_ps["patches"][0]["metadata"]["name"])
    (work / "old_full.json").write_text(json.dumps(full))
    t = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _OLD_FIT, str(work / "old_full.json")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        out, _ = child.communicate(timeout=args.old_cap)
        npars, t_old = out.split()[0], f"{float(out.split()[1]):.1f} s"
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
        npars, t_old = (out.split() or ["?"])[0], f"not finished after {args.old_cap:.0f} s (cap; {time.perf_counter() - t:.0f} s incl. model build)"
    say(f"old layout: {npars} parameters, one scipy mle.fit: {t_old}; patch {old_patch_bytes / 1e3:.0f} kB")
    rows.append((f"baseline: old per-measurement layout, same hypothesis: one scipy `mle.fit` ({npars} parameters)", t_old, "capped"))
    rows.append(("baseline: old layout patch size × patch count (extrapolated)",
                 f"{old_patch_bytes * n_patches / 1e6:.0f} MB (whitened: {size_ps:.1f} MB, ×{old_patch_bytes * n_patches / 1e6 / size_ps:.1f})", ""))

    text = markdown_table(("measurement", "result", "note"), rows)
    print("\n" + text)
    (work / "bench_pyhf_export.md").write_text(text + "\n")
    if args.update_readme:
        note = conditions.note("python benchmarks/bench_pyhf_export.py --update-readme")
        replace_block(README, "bench_pyhf_export", f"{note}\n\n{text}")
        print(f"updated {README}")


if __name__ == "__main__":
    main()
