"""Benchmark of the exclusion scan, measured in ONE run: wall time, peak memory and ratios.

(a) full default scan (``km.default_mass_grid()``), narrow and wide, CLs only and CLs + chi2; CLs only also with
    the treatment before issue #14's two-state Z line shape, ``PrecisionLikelihood(lineshape_window=0, isr=False)``
    (single-eigenstate line-shape pseudo-observables, no ISR), interleaved with ours in the same run, and the ratio
    ours / pre-#14 (issue #14: "scan speed stays within 2x", target <= 2);
(b) 200 log-spaced masses (1-1000 GeV) x 2 widths, CLs only (target < 60 s);
(c) our batched CLs vs a naive loop of ``pyhf.infer.intervals.upper_limits.upper_limit`` (toms748,
    observed + 5 expected) over the same masses, each run on the background-only workspace patched
    with that mass's patch from the exported patchset (``km.export_workspaces`` ->
    ``pyhf.Workspace(bkg)`` + ``pyhf.patchset.PatchSet(...).apply``). The limits are compared as
    eps95 = eps_ref sqrt(mu95) with eps_ref from the patch values (target: equal to 1 %, ours >= 10x faster).

(c) runs on the Z-pole + m_Z + m_W likelihood (10 measurements) to keep this benchmark short; the full
likelihood with the default (whitened, 3-parameter) export is benchmarked in ``bench_pyhf_export.py``. The
last section measures the older one-nuisance-per-correlation layout (``encoding="per_measurement"``, ~280
pyhf parameters) of the full likelihood per logpdf call and extrapolates a fit (printed as such).

Peak memory: ``resource.getrusage`` max RSS of the process after each section (monotonic), and the
tracemalloc peak of a separate, untimed repeat of (b) (Python + numpy allocations).

Run: ``python benchmarks/bench_scan.py [--naive 5] [--no-full] [--update-readme]``; the summary is also written to
``benchmarks/output/bench_scan.txt``. ``--update-readme`` replaces the block between ``<!-- bench_scan:start -->`` and
``<!-- bench_scan:end -->`` in README.md with this run's table, headed by the date, commit, cores and load average
(``readme_block.py``, shared with ``bench_pyhf_export.py``). Run it on a quiet machine with OPENBLAS_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from readme_block import README, RunConditions, markdown_table, replace_block

import kinmix_stats as km

HERE = Path(__file__).resolve().parent
OUT = HERE / "output"
NAIVE_DATASETS = ["pdg2024_mz", "w_mass", "lep_zpole_lineshape"]


def rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0 if sys.platform != "darwin" else r / 1024.0**2


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def naive_pyhf(masses: np.ndarray, like: km.PrecisionLikelihood, workdir: Path) -> dict:
    """Our CLs vs naive pyhf upper_limit per mass, on workspaces exported by km.export_workspaces."""
    import pyhf

    curve, t_ours = timed(km.scan, masses, "narrow", method=("cls",), likelihood=like)
    bkg_path, ps_path = km.export_workspaces(curve, workdir, likelihood=like)
    bkg = pyhf.Workspace(json.loads(Path(bkg_path).read_text()))
    pset = pyhf.patchset.PatchSet(json.loads(Path(ps_path).read_text()))
    pyhf.set_backend("numpy", "scipy")
    rows = []
    failed: list[tuple[float, str]] = []
    t_naive = 0.0
    for patch in pset.patches:
        vals = dict(zip(pset.labels, patch.values))
        ws = pyhf.Workspace(pset.apply(bkg, patch.name))
        model = ws.model()
        data = ws.data(model)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                obs, exp = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=None, level=0.05)
            except ValueError as err:  # e.g. toms748: CLs(mu=0) is 0/0 = NaN in pyhf's asymptotic calculator
                failed.append((vals["mass_GeV"], str(err)))
                continue
        dt = time.perf_counter() - t0
        t_naive += dt
        mu_pyhf = np.array([float(obs)] + [float(e) for e in exp])
        eps_pyhf = vals["eps_ref"] * np.sqrt(mu_pyhf)
        i = int(np.argmin(np.abs(curve.mass_gev - vals["mass_GeV"])))
        eps_ours = np.array([curve.eps95_obs[i], curve.eps95_exp_m2[i], curve.eps95_exp_m1[i], curve.eps95_exp[i],
                             curve.eps95_exp_p1[i], curve.eps95_exp_p2[i]])
        # same linearisation point (the patch's eps_ref) for every quantile: closed form on the patched problem
        delta, _ = like.delta_th(np.array([vals["mass_GeV"]]), vals["eps_ref"], "narrow")
        from kinmix_stats.likelihood.cls import cls_limit

        r = cls_limit(like.base_problem(delta[0]))
        eps_same = vals["eps_ref"] * np.sqrt(np.array([r.observed_mu, *r.expected_mu]))
        rows.append({
            "mass": vals["mass_GeV"], "eps_ref": vals["eps_ref"], "t_pyhf": dt,
            "eps_pyhf": eps_pyhf, "eps_ours": eps_ours, "eps_same": eps_same,
            "rel_obs": abs(eps_ours[0] / eps_pyhf[0] - 1), "rel_all": float(np.max(np.abs(eps_ours / eps_pyhf - 1))),
            "rel_same": float(np.max(np.abs(eps_same / eps_pyhf - 1))),
        })
    return {"rows": rows, "failed": failed, "t_ours": t_ours, "t_naive": t_naive, "n_exported": len(pset.patches),
            "n_masses": masses.size}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive", type=int, default=5, help="masses for the naive pyhf loop")
    ap.add_argument("--no-full", action="store_true", help="skip (a), the full default scan")
    ap.add_argument("--update-readme", action="store_true", help="write this run's table into README.md (needs (a))")
    args = ap.parse_args(argv)
    if args.update_readme and args.no_full:
        ap.error("--update-readme needs the full default scan (a): drop --no-full")
    conditions = RunConditions()

    import iminuit
    import pyhf
    import scipy

    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    say(f"kinmix_stats {km.__version__}, python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pyhf {pyhf.__version__}, iminuit {iminuit.__version__}, {platform.machine()}")
    like, t_like = timed(km.PrecisionLikelihood)
    say(f"likelihood build (all datasets, {len(like.names)} measurements): {t_like:.2f} s")
    summary: list[tuple[str, str, str, str]] = []
    readme_rows: list[tuple[str, str]] = []

    # warm-up: imports, caches
    km.scan(np.array([10.0, 91.0]), "narrow", likelihood=like)

    # (a) full default scan; CLs only also with the pre-#14 treatment, interleaved (narrow: ours first, wide: baseline
    # first) so that a drifting load affects both alike
    if not args.no_full:
        grid = km.default_mass_grid(likelihood=like)
        base = km.PrecisionLikelihood(lineshape_window=0.0, isr=False)
        km.scan(np.array([10.0, 91.0]), "narrow", likelihood=base)  # warm-up of the baseline's own caches
        ours_desc = "two-state line shape" + (", ISR" if like.isr else "")
        say(f"(a) default grid: {grid.size} masses; ours = default likelihood ({ours_desc}); "
            "pre-#14 = PrecisionLikelihood(lineshape_window=0, isr=False)")
        t_cls: dict[str, float] = {}
        t_base: dict[str, float] = {}
        t_both: dict[str, float] = {}
        for w in ("narrow", "wide"):
            order = (("ours", like), ("pre-#14", base)) if w == "narrow" else (("pre-#14", base), ("ours", like))
            for label, lk in order:
                c, dt = timed(km.scan, grid, w, method=("cls",), likelihood=lk)
                (t_cls if label == "ours" else t_base)[w] = dt
                say(f"    {w:6s} CLs only, {label:7s}: {dt:7.2f} s  ({dt / grid.size * 1e3:.1f} ms/point), "
                    f"status ok {sum(s == 'ok' for s in c.status)}/{grid.size}")
        for w in ("narrow", "wide"):
            c, t_both[w] = timed(km.scan, grid, w, method=("cls", "chi2"), likelihood=like)
            say(f"    {w:6s} CLs + chi2, ours: {t_both[w]:7.2f} s  ({t_both[w] / grid.size * 1e3:.1f} ms/point)")
        a_cls, a_base, a_both = sum(t_cls.values()), sum(t_base.values()), sum(t_both.values())
        ratio_14 = a_cls / a_base
        say(f"    both widths: CLs only {a_cls:.1f} s (pre-#14 treatment {a_base:.1f} s: ratio ours / pre-#14 {ratio_14:.2f}, "
            f"target <= 2: {'PASS' if ratio_14 <= 2 else 'FAIL'}), CLs+chi2 {a_both:.1f} s (chi2 costs {a_both / a_cls:.2f}x "
            f"CLs alone); max RSS {rss_mb():.0f} MB")
        summary.append((f"(a) default grid {grid.size} x 2 widths, CLs", f"{a_cls:.1f} s", f"{a_cls / (2 * grid.size) * 1e3:.1f} ms/pt", f"{rss_mb():.0f} MB"))
        summary.append(("(a) same, pre-#14 treatment, same run", f"{a_base:.1f} s", f"{a_base / (2 * grid.size) * 1e3:.1f} ms/pt",
                        f"ratio ours / pre-#14 {ratio_14:.2f} (target <= 2)"))
        summary.append((f"(a) default grid {grid.size} x 2 widths, CLs+chi2", f"{a_both:.1f} s", f"{a_both / (2 * grid.size) * 1e3:.1f} ms/pt", f"{rss_mb():.0f} MB"))
        readme_rows += [
            (f"default grid ({grid.size} masses) × 2 widths, CLs only (observed + ±1σ/±2σ bands, re-linearised); "
             f"default likelihood ({ours_desc})", f"{a_cls:.1f} s ({a_cls / (2 * grid.size) * 1e3:.1f} ms per point)"),
            ("the same with the treatment before issue #14's line shape, interleaved in this run "
             "(`PrecisionLikelihood(lineshape_window=0, isr=False)`)", f"{a_base:.1f} s"),
            ("ratio ours / pre-#14 treatment (issue #14 target ≤ 2)", f"{ratio_14:.2f}"),
            (f"default grid ({grid.size} masses) × 2 widths, CLs + χ²", f"{a_both:.0f} s (peak memory {rss_mb() / 1024:.2f} GB)"),
        ]

    # (b) 200 x 2 CLs
    masses = np.geomspace(1.0, 1000.0, 200)
    t_b = 0.0
    for w in ("narrow", "wide"):
        _, dt = timed(km.scan, masses, w, method=("cls",), likelihood=like)
        t_b += dt
    say(f"(b) 200 masses x 2 widths, CLs: {t_b:.2f} s (target < 60 s: {'PASS' if t_b < 60 else 'FAIL'}); max RSS {rss_mb():.0f} MB")
    tracemalloc.start()
    for w in ("narrow", "wide"):
        km.scan(masses, w, method=("cls",), likelihood=like)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    say(f"    tracemalloc peak of an untimed repeat: {peak / 1e6:.1f} MB")
    summary.append(("(b) 200 masses x 2 widths, CLs", f"{t_b:.1f} s", f"{t_b / 400 * 1e3:.1f} ms/pt",
                    f"{rss_mb():.0f} MB RSS, {peak / 1e6:.0f} MB traced"))
    readme_rows.append(("200 masses × 2 widths, CLs", f"{t_b:.1f} s ({t_b / 400 * 1e3:.1f} ms per point)"))

    # (c) ours vs naive pyhf upper_limit
    like_small = km.PrecisionLikelihood(datasets=NAIVE_DATASETS)
    nm = np.geomspace(5.0, 500.0, args.naive)
    with tempfile.TemporaryDirectory() as tmp:
        res = naive_pyhf(nm, like_small, Path(tmp))
    say(f"(c) naive pyhf upper_limit (toms748, obs + 5 exp, numpy/scipy) vs ours, likelihood {NAIVE_DATASETS} "
        f"({len(like_small.names)} measurements); {res['n_exported']}/{res['n_masses']} masses exported")
    say("    mass[GeV]  eps_ref     t_pyhf[s]  eps95_obs pyhf  ours        |ours/pyhf-1| obs  max(obs+5exp)  same-eps_ref closed form")
    for r in res["rows"]:
        say(f"    {r['mass']:8.3f}  {r['eps_ref']:.5f}  {r['t_pyhf']:8.2f}   {r['eps_pyhf'][0]:.6f}       {r['eps_ours'][0]:.6f}    "
            f"{r['rel_obs']:.2e}           {r['rel_all']:.2e}       {r['rel_same']:.2e}")
    for m, why in res["failed"]:
        say(f"    {m:8.3f}  pyhf upper_limit failed (not timed, not compared): {why}")
    n_done = len(res["rows"])
    per_naive = res["t_naive"] / max(n_done, 1)
    per_ours = res["t_ours"] / res["n_masses"]
    ratio = per_naive / per_ours
    max_obs = max(r["rel_obs"] for r in res["rows"])
    max_all = max(r["rel_all"] for r in res["rows"])
    max_same = max(r["rel_same"] for r in res["rows"])
    say(f"    ours: {res['t_ours']:.3f} s for {res['n_masses']} masses ({per_ours * 1e3:.1f} ms/point, incl. re-linearisation and chi2-free scan)")
    say(f"    naive: {res['t_naive']:.1f} s for {n_done} masses ({per_naive:.2f} s/point); ratio naive/ours per point = {ratio:.0f}x "
        f"(target >= 10x: {'PASS' if ratio >= 10 else 'FAIL'})")
    say(f"    max |eps95 ours / pyhf - 1|: observed {max_obs:.2e}, obs + 5 expected {max_all:.2e} "
        f"; same linearisation point (patch eps_ref for all six): {max_same:.2e} "
        f"(target 1 %: {'PASS' if max(max_obs, max_same) < 0.01 else 'FAIL'}; the obs+5exp column also contains the "
        f"re-linearisation of our expected limits at their own eps_ref)")
    ext200 = per_naive * 400
    say(f"    extrapolated naive cost of (b) on this small likelihood: {ext200 / 60:.1f} min (ours {t_b:.1f} s on the full likelihood)")
    summary.append((f"(c) ours, {res['n_masses']} masses ({len(like_small.names)}-meas. likelihood)", f"{res['t_ours']:.3f} s", f"{per_ours * 1e3:.1f} ms/pt", ""))
    summary.append((f"(c) naive pyhf upper_limit, {n_done} masses", f"{res['t_naive']:.1f} s", f"{per_naive:.2f} s/pt", f"ratio {ratio:.0f}x"))
    summary.append(("(c) max rel. diff eps95 obs / obs+5exp same eps_ref", f"{max_obs:.1e}", f"{max_same:.1e}", f"(scan exp vs pyhf {max_all:.1e})"))
    readme_rows.append((f"ours vs naive `pyhf` `upper_limit` per mass ({len(like_small.names)}-measurement likelihood, obs + 5 exp)",
                        f"{per_ours * 1e3:.1f} ms vs {per_naive:.2f} s per point (×{ratio:.0f}); ε95 obs equal to {max_obs:.1e}"))

    # full-workspace pyhf cost per logpdf (the naive loop is not run there; see module docstring)
    import pyhf as _pyhf

    with tempfile.TemporaryDirectory() as tmp:
        c_full = km.scan(np.array([50.0, 91.0]), "narrow", method=("cls",), likelihood=like)
        bkg_path, ps_path = km.export_workspaces(c_full, tmp, likelihood=like, encoding="per_measurement")
        pset = _pyhf.patchset.PatchSet(json.loads(Path(ps_path).read_text()))
        ws = _pyhf.Workspace(pset.apply(_pyhf.Workspace(json.loads(Path(bkg_path).read_text())), pset.patches[0].name))
        model = ws.model()
        data = np.asarray(ws.data(model))
        pars = np.asarray(model.config.suggested_init())
        _pyhf.set_backend("numpy", "scipy")
        model.logpdf(pars, data)
        t0 = time.perf_counter()
        for _ in range(20):
            model.logpdf(pars, data)
        t_lp = (time.perf_counter() - t0) / 20
    nfit = 7000  # scipy SLSQP calls per fit measured on this workspace (7120, see module docstring)
    say(f"full workspace: {model.config.npars} pyhf parameters, logpdf {t_lp * 1e3:.1f} ms -> one fit ~{nfit * t_lp:.0f} s "
        f"(~{nfit} calls), one hypotest (5 fits) ~{5 * nfit * t_lp / 60:.0f} min: naive upper_limit not run")
    summary.append((f"full workspace pyhf logpdf ({model.config.npars} pars)", f"{t_lp * 1e3:.1f} ms", f"fit ~{nfit * t_lp:.0f} s", "extrapolated"))

    say()
    say("SUMMARY")
    w0 = max(len(s[0]) for s in summary)
    for s in summary:
        say(f"  {s[0]:<{w0}}  {s[1]:>10}  {s[2]:>14}  {s[3]}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_scan.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written {OUT / 'bench_scan.txt'}")
    if args.update_readme:
        note = conditions.note("python benchmarks/bench_scan.py --update-readme")
        replace_block(README, "bench_scan", f"{note}\n\n{markdown_table(('task', 'wall time'), readme_rows)}")
        print(f"updated {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
