"""Validation: the fast closed-form CLs engine vs the exact non-linear iminuit profile (and pyhf if available).

For 2 widths (narrow, wide) at >= 60 masses over 1-1000 GeV -- 40 log-spaced, every LEP-2 energy of
the catalogue (130-207 GeV) and 12 R-ratio energies (12-64 GeV) -- it computes

* ``cls``: the fast engine (:func:`kinmix_stats.likelihood.limits.cls_limits`, linear Gaussian model
  re-linearised in mu = eps^2/eps_ref^2 until eps95 is stable to 1 %);
* ``exact``: :func:`kinmix_stats.likelihood.exact.exact_limits` (exact non-linear -2lnL minimised with
  iminuit, asymptotic q~_mu CLs, Asimov expected band);
* ``pyhf``: ``upper_limit(method="pyhf")`` when the installed package has that method (it is being
  added in parallel); otherwise the column says "not available" and the report says so.

observed and expected (-2..+2 sigma) limits, their relative differences, the largest deviations and,
for every deviation above 1 %, a diagnosis: whether the mass sits on a measured sqrt(s) (narrow
resonance within 5 beam spreads), how far the signal is from the eps^2 scaling the linear model
assumes (exponent p of delta_th(2 eps)/delta_th(eps) = 2^p for the most significant measurement at the
limit), and the fast engine's own 1 % re-linearisation tolerance.

It also measures the cost of ``method="exact"`` (wall time per mass, Minuit fits and likelihood
evaluations per mass) in the same run as the fast engine, and writes the README line for it between
the markers ``<!-- engines_comparison:begin -->`` / ``<!-- engines_comparison:end -->``.

Outputs: ``validation/output/engines_comparison/`` (CSV, ``report_section.md``), the figure
``validation/figures/engines_comparison.png``. Run: ``python validation/engines_comparison.py``
(two processes, one per width; a few minutes on a quiet 2-core machine).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kinmix_stats.io.atomic import atomic_write_bytes, atomic_write_text
from kinmix_stats.likelihood.limits import METHODS, cls_limits, default_likelihood, upper_limit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "output" / "engines_comparison"
FIG = HERE / "figures"
README = ROOT / "README.md"
MARK_BEGIN, MARK_END = "<!-- engines_comparison:begin -->", "<!-- engines_comparison:end -->"
WIDTHS = ("narrow", "wide")
N_LOG = 40
N_RRATIO = 12
THRESHOLD = 0.01  # deviations above 1 % are explained
COLS = ("obs", "exp_m2", "exp_m1", "exp", "exp_p1", "exp_p2")
#: pyhf upper_limit costs seconds per mass: it runs on every PYHF_STRIDE-th mass only
PYHF_STRIDE = 4
#: the exact CLs is recomputed from scratch at every CHECK_STRIDE-th returned observed limit
CHECK_STRIDE = 11


def mass_grid(like) -> tuple[np.ndarray, dict[float, str]]:
    """40 log-spaced masses 1-1000 GeV + every LEP-2 energy + 12 R-ratio energies; tag -> origin."""
    lep2 = sorted({round(float(k["sqrt_s"]), 2) for (obs, k), name in zip(like.entries, like.names)
                   if name.startswith(("lep2_ffbar", "lep2_bhabha")) and "sqrt_s" in k})
    rr = sorted({round(float(k["sqrt_s"]), 2) for (obs, k), name in zip(like.entries, like.names)
                 if name.startswith("r_ratio") and "sqrt_s" in k})
    rr_pick = [rr[int(i)] for i in np.linspace(0, len(rr) - 1, N_RRATIO).round()]
    origin: dict[float, str] = {}
    for m in np.round(np.geomspace(1.0, 1000.0, N_LOG), 4):
        origin[float(m)] = "log grid"
    for m in lep2:
        origin[float(m)] = "LEP-2 sqrt(s)"
    for m in rr_pick:
        origin[float(m)] = "R-ratio sqrt(s)"
    masses = np.array(sorted(origin))
    return masses, origin


def _run_width(args):
    """One width in its own process: fast + exact limits, timed in the same run."""
    masses, width = args
    from kinmix_stats.likelihood.exact import exact_cls, exact_limits

    like = default_likelihood()
    t0, c0 = time.perf_counter(), time.process_time()
    fast = cls_limits(like, masses, width)
    t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    exact = exact_limits(like, masses, width, fast=fast, errors=False)  # as in kinmix scan --method exact
    t_exact, c_exact = time.perf_counter() - t0, time.process_time() - c0
    # the exact CLs recomputed from scratch at a few returned observed limits (root-finding check)
    check = []
    for i in range(0, masses.size, CHECK_STRIDE):
        if np.isfinite(exact.epsilon_observed[i]):
            c = exact_cls(like, float(masses[i]), float(exact.epsilon_observed[i]), width)
            check.append((float(masses[i]), float(c["cls_observed"])))
    return {
        "c_fast": c_fast,
        "c_exact": c_exact,
        "check": check,
        "width": width,
        "fast": np.column_stack([fast.epsilon_observed, fast.expected_band]),
        "fast_status": list(fast.status),
        "fast_ref": np.asarray(fast.epsilon_ref, dtype=float),
        "exact": np.column_stack([exact.epsilon_observed, exact.expected_band]),
        "exact_status": list(exact.status),
        "diagnostics": list(exact.diagnostics),
        "t_fast": t_fast,
        "t_exact": t_exact,
        "engine": exact.engine,
    }


def _run_pyhf(masses: np.ndarray, width: str):
    like = default_likelihood()
    out = np.full((masses.size, 6), np.nan)
    refs = np.full(masses.size, np.nan)
    status = []
    for i, m in enumerate(masses):
        r = upper_limit(float(m), width, "pyhf", likelihood=like)  # scalar mass: scalar result
        out[i] = [r.limit_observed, *r.expected_band]
        refs[i] = float(np.ravel(r.epsilon_ref)[0])  # the workspace's linearisation point (observed)
        status.append(r.status)
    return out, status, refs


def signal_exponent(like, mass: float, eps: float, width: str) -> tuple[float, str, float]:
    """How the signal scales between eps and 1.2 eps: (p of the measurement most significant at eps, its name,
    p_eff of the signal norm |delta_th/sigma|), with delta(1.2 eps) = 1.2^p delta(eps); p = 2 is the linear model."""
    sig = np.sqrt(np.diag(like.residuals.covariance))
    d, v = like.delta_th(np.array([mass, mass]), np.array([eps, min(1.2 * eps, 1.0)]), width)
    if not np.all(v):
        return math.nan, "-", math.nan
    base = math.log(1.2)
    p_eff = float(np.log(np.linalg.norm(d[1] / sig) / np.linalg.norm(d[0] / sig)) / base)
    j = int(np.argmax(np.abs(d[0]) / sig))
    if d[0, j] == 0 or np.sign(d[1, j]) != np.sign(d[0, j]):
        return math.nan, like.names[j], p_eff
    return float(np.log(d[1, j] / d[0, j]) / base), like.names[j], p_eff


def near_energy(like, mass: float, n_spread: float = 5.0) -> float | None:
    """The measured sqrt(s) within ``n_spread`` beam spreads of ``mass`` (narrow resonance), else None."""
    r = like.beam_spread_rel
    best = None
    for _, k in like.entries:
        s = k.get("sqrt_s")
        if s is not None and abs(mass - s) <= n_spread * r * s and (best is None or abs(mass - s) < abs(mass - best)):
            best = float(s)
    return best


def pyhf_deviations(like, rows: list[dict], n: int = 6) -> list[str]:
    """The largest pyhf/exact differences with their cause measured, not guessed.

    pyhf fits the exported workspace, which is linear in mu = eps^2/eps_ref^2 at ONE point, eps_ref = the
    observed limit (pyhf_engine re-linearises only the observed limit); the fast and exact engines follow each
    expected quantile separately. So a pyhf band edge far from eps_ref carries the linearisation error of a
    signal that is not exactly proportional to eps^2 there: the table gives eps/eps_ref and the measured
    exponent p_eff of |delta_th/sigma| between the two (p_eff = 2 is the linear model).
    """
    worst = []
    for r in rows:
        k = int(np.nanargmax(np.abs(r["rel_pyhf"])))
        worst.append((abs(float(r["rel_pyhf"][k])), k, r))
    worst.sort(key=lambda t: t[0], reverse=True)
    md = ["| m [GeV] | width | column | exact | pyhf | pyhf/exact − 1 | ε/ε_ref (pyhf's linearisation point) | "
          "signal exponent p_eff between ε_ref and ε | expected from p_eff: (ε/ε_ref)^(p_eff/2 − 1) − 1 |",
          "|---|---|---|---|---|---|---|---|---|"]
    for _dev, k, r in worst[:n]:
        eps, ref = float(r["pyhf"][k]), float(r["pyhf_ref"])
        p_eff = math.nan
        if np.isfinite(eps) and np.isfinite(ref) and eps > 0 and abs(eps / ref - 1.0) > 1e-3:
            sig = np.sqrt(np.diag(like.residuals.covariance))
            d, v = like.delta_th(np.array([r["mass"], r["mass"]]), np.array([ref, min(eps, 1.0)]), r["width"])
            if np.all(v):
                p_eff = float(np.log(np.linalg.norm(d[1] / sig) / np.linalg.norm(d[0] / sig)) / math.log(eps / ref))
        md.append(f"| {r['mass']:g} | {r['width']} | {COLS[k]} | {fmt(r['exact'][k])} | {fmt(r['pyhf'][k])} | "
                  f"{pct(r['rel_pyhf'][k])} | {fmt(eps / ref if ref > 0 else math.nan)} | {fmt(p_eff)} | "
                  f"{pct((eps / ref) ** (p_eff / 2.0 - 1.0) - 1.0 if ref > 0 else math.nan)} |")
    md += ["", ("The pyhf workspace is linear in μ = ε²/ε_ref² at the observed limit only (as exported); where a band "
                "edge lies far from ε_ref and p_eff ≠ 2 its pyhf limit inherits that linearisation error, which the fast "
                "and exact engines avoid by following each quantile. If the signal grows as ε^p_eff, a template linear in "
                "ε² puts the limit at (ε/ε_ref)^(p_eff/2 − 1) times the true one: the last column, to compare with the "
                "measured pyhf/exact − 1."), ""]
    return md


def write_csv(path: Path, header, rows) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([f"{v:.6g}" if isinstance(v, (float, np.floating)) else v for v in r])
    atomic_write_text(path, buf.getvalue())


def fmt(x: float, nd: int = 4) -> str:
    return "—" if not np.isfinite(x) else f"{x:.{nd}g}"


def pct(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{100 * x:+.2f}%"


def main() -> int:
    t_start = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    like = default_likelihood()
    masses, origin = mass_grid(like)
    print(f"{masses.size} masses x {len(WIDTHS)} widths", flush=True)
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run_width, [(masses, w) for w in WIDTHS]))
    have_pyhf = "pyhf" in METHODS or importlib.util.find_spec("kinmix_stats.likelihood.pyhf_engine") is not None
    pyhf_res: dict[str, tuple[np.ndarray, list[str], np.ndarray]] = {}
    t_pyhf = math.nan
    pyhf_idx = np.arange(0, masses.size, PYHF_STRIDE)
    if have_pyhf:
        t0 = time.perf_counter()
        for w in WIDTHS:
            vals, st, ref = _run_pyhf(masses[pyhf_idx], w)
            full = np.full((masses.size, 6), np.nan)
            full[pyhf_idx] = vals
            full_ref = np.full(masses.size, np.nan)
            full_ref[pyhf_idx] = ref
            sts = ["not run"] * masses.size
            for j, i in enumerate(pyhf_idx):
                sts[i] = st[j]
            pyhf_res[w] = (full, sts, full_ref)
        t_pyhf = (time.perf_counter() - t0) / (2 * pyhf_idx.size)

    rows = []
    for res in results:
        w = res["width"]
        fast, exact = res["fast"], res["exact"]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = exact / fast - 1.0
        for i, m in enumerate(masses):
            p_exp, meas, p_eff = (signal_exponent(like, float(m), float(exact[i, 0]), w) if np.isfinite(exact[i, 0])
                                  else (math.nan, "-", math.nan))
            with np.errstate(invalid="ignore", divide="ignore"):
                ref_gap = fast[i] / res["fast_ref"][i] - 1.0  # fast limit vs its last linearisation point
            py = pyhf_res[w][0][i] if have_pyhf else np.full(6, np.nan)
            py_ref = float(pyhf_res[w][2][i]) if have_pyhf else math.nan
            with np.errstate(invalid="ignore", divide="ignore"):
                rel_py = py / exact[i] - 1.0
            rows.append({
                "mass": float(m), "width": w, "origin": origin[float(m)],
                "fast": fast[i], "exact": exact[i], "rel": rel[i], "pyhf": py, "rel_pyhf": rel_py, "pyhf_ref": py_ref,
                "status_fast": res["fast_status"][i], "status_exact": res["exact_status"][i],
                "p": p_exp, "dominant": meas, "p_eff": p_eff, "ref_gap": ref_gap, "near": near_energy(like, float(m)),
                "diag": res["diagnostics"][i],
            })

    header = (["mass_gev", "width", "origin"] + [f"fast_{c}" for c in COLS] + [f"exact_{c}" for c in COLS]
              + [f"rel_{c}" for c in COLS] + [f"pyhf_{c}" for c in COLS]
              + ["signal_exponent_p", "dominant_measurement", "signal_norm_exponent_p_eff", "fast_limit_over_eps_ref_obs_minus_1", "minuit_fits", "likelihood_evaluations", "status_fast", "status_exact"])
    write_csv(OUT / "engines_comparison.csv", header, [
        [r["mass"], r["width"], r["origin"], *r["fast"], *r["exact"], *r["rel"], *r["pyhf"], r["p"], r["dominant"], r["p_eff"], r["ref_gap"][0],
         r["diag"].get("minuit_fits", ""), r["diag"].get("nfcn", ""), r["status_fast"], r["status_exact"]] for r in rows])

    # ------------------------------------------------------------------ figure
    fig = Figure(figsize=(9, 6.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, w in zip(axes, WIDTHS):
        sel = [r for r in rows if r["width"] == w]
        mm = np.array([r["mass"] for r in sel])
        for k, label, style in ((0, "observed", "o"), (3, "expected median", "s"), (1, "expected -2σ", "v"), (5, "expected +2σ", "^")):
            ax.plot(mm, [100 * r["rel"][k] for r in sel], style, ms=4, label=label, alpha=0.8)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.axhline(-1.0, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_ylabel("exact / fast − 1 [%]")
        ax.set_title(f"{w} Z′: exact iminuit profile vs fast closed-form CLs (95% CL on ε)")
        ax.legend(fontsize=7, ncol=4)
    axes[-1].set_xlabel("m_Z′ [GeV]")
    fig.tight_layout()
    FIG.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(FIG / "engines_comparison.png", lambda fh: fig.savefig(fh, format="png", dpi=90))

    # ------------------------------------------------------------------ cost
    n_pts = masses.size
    t_exact_pt = [r["t_exact"] / n_pts for r in results]
    t_fast_pt = [r["t_fast"] / n_pts for r in results]
    c_exact_pt = [r["c_exact"] / n_pts for r in results]
    c_fast_pt = [r["c_fast"] / n_pts for r in results]
    checks = [(r["width"], m, c) for r in results for m, c in r["check"]]
    worst_check = max(abs(c - 0.05) for _, _, c in checks)
    fits = np.array([r["diag"].get("minuit_fits", np.nan) for r in rows], dtype=float)
    nfcn = np.array([r["diag"].get("nfcn", np.nan) for r in rows], dtype=float)
    cost_exact = float(np.mean(c_exact_pt))  # CPU time: what a free core would take (the machine is shared)
    cost_fast = float(np.mean(c_fast_pt))
    engine = results[0]["engine"]

    # ------------------------------------------------------------------ deviations
    ok_rows = [r for r in rows if np.all(np.isfinite(r["rel"]))]
    absmax = np.array([np.nanmax(np.abs(r["rel"])) for r in ok_rows])
    n_above = int(np.sum(absmax > THRESHOLD))
    order = np.argsort(absmax)[::-1]
    obs_rel = np.array([abs(r["rel"][0]) for r in ok_rows])
    exp_rel = np.array([np.max(np.abs(r["rel"][1:])) for r in ok_rows])
    not_ok = [r for r in rows if not np.all(np.isfinite(r["rel"]))]

    def explain(r, k: int) -> str:
        bits = []
        if r["near"] is not None and r["width"] == "narrow":
            bits.append(f"narrow resonance on the measured √s = {r['near']:.2f} GeV (within 5 beam spreads)")
        elif r["near"] is not None:
            bits.append(f"1 %-wide Z′ on the measured √s = {r['near']:.2f} GeV")
        nonlinear = bool(np.isfinite(r["p_eff"]) and abs(r["p_eff"] - 2.0) > 0.02)
        if nonlinear:
            bits.append(f"signal not ∝ ε²: ‖δ_th/σ‖ grows as ε^{r['p_eff']:.2f} near the limit")
        else:
            bits.append(f"signal ∝ ε^{r['p_eff']:.3f} near the limit")
        gap = r["ref_gap"][k]
        if np.isfinite(gap):
            bits.append(f"fast limit {100 * gap:+.2f} % from its last linearisation point (re-linearisation stops once a "
                        "step is < 1 %)" + (", where the secant mis-states a non-ε² signal" if nonlinear else ""))
        if "not converged" in r["status_fast"]:
            bits.append("fast re-linearisation not converged")
        return "; ".join(bits)

    md = ["## Engines: fast closed-form CLs vs exact iminuit profile" + (" vs pyhf" if have_pyhf else ""), ""]
    md += [f"Generated by `validation/engines_comparison.py`. {n_pts} masses × {len(WIDTHS)} widths: {N_LOG} log-spaced "
           f"1–1000 GeV, every LEP-2 energy of the catalogue (130–207 GeV) and {N_RRATIO} R-ratio energies (12–64 GeV). "
           "Both engines use the same measurements, covariance and α_EM constraint; `exact` minimises the exact non-linear "
           f"−2 ln L(ε, α_EM, sin²θ_W) with {engine['engine']} {engine['version']} (migrad; hesse only in `upper_limit`, scans and this run skip it) "
           "and computes q̃_μ CLs with Asimov data for the band; the fast engine's limits are only its starting points. "
           "Relative differences are exact/fast − 1.", ""]
    if not have_pyhf:
        md += ["**pyhf column: TODO.** `method=\"pyhf\"` was not available in the package when this ran "
               "(not merged on main yet); the `pyhf_*` CSV columns are empty. Re-run this script once it is.", ""]
    else:
        md += [f"pyhf (`upper_limit(method=\"pyhf\")` on the exported workspace) ran on every {PYHF_STRIDE}th mass "
               f"({pyhf_idx.size} masses per width, {t_pyhf:.1f} s per point); its difference is pyhf/exact − 1.", ""]
    md += ["| | observed | expected (worst of −2σ…+2σ) |", "|---|---|---|",
           f"| largest \\|exact/fast − 1\\| | {100 * obs_rel.max():.2f} % | {100 * exp_rel.max():.2f} % |",
           f"| median \\|exact/fast − 1\\| | {100 * np.median(obs_rel):.3f} % | {100 * np.median(exp_rel):.3f} % |",
           f"| points above 1 % (any column) | {int(np.sum(obs_rel > THRESHOLD))} | {int(np.sum(exp_rel > THRESHOLD))} |", ""]
    if have_pyhf:
        rp = np.array([np.nanmax(np.abs(r["rel_pyhf"])) for r in rows if np.any(np.isfinite(r["rel_pyhf"]))])
        if rp.size:
            md += [f"pyhf vs exact: largest |pyhf/exact − 1| = {100 * rp.max():.2f} %, median {100 * np.median(rp):.3f} % "
                   f"over {rp.size} points.", ""]
            md += pyhf_deviations(like, [r for r in rows if np.any(np.isfinite(r["rel_pyhf"]))])
    md += [f"Points without a limit in one of the engines: {len(not_ok)}"
           + ("" if not not_ok else " — " + "; ".join(f"{r['mass']:g} GeV {r['width']}: fast '{r['status_fast']}', exact '{r['status_exact']}'" for r in not_ok)), ""]
    md += ["![exact vs fast](figures/engines_comparison.png)", ""]
    md += ["### Largest deviations (max over observed and the five expected limits)", "",
           "| m [GeV] | width | origin | column | fast | exact | exact/fast − 1 | diagnosis |", "|---|---|---|---|---|---|---|---|"]
    for j in order[: max(10, n_above)]:
        r = ok_rows[j]
        k = int(np.nanargmax(np.abs(r["rel"])))
        why = explain(r, k)
        md.append(f"| {r['mass']:g} | {r['width']} | {r['origin']} | {COLS[k]} | {fmt(r['fast'][k])} | {fmt(r['exact'][k])} | "
                  f"{pct(r['rel'][k])} | {why} |")
    top = [ok_rows[j] for j in order[:10]]
    n_res = sum(r["near"] is not None for r in top)
    n_nonlin = sum(np.isfinite(r["p_eff"]) and abs(r["p_eff"] - 2.0) > 0.02 for r in top)
    md += ["", (f"{n_above} of {len(ok_rows)} points differ by more than 1 % in some column. Of the 10 largest differences, "
                f"{n_res} sit on a measured √s and {n_nonlin} have a signal that does not scale as ε² near the limit; the "
                "fast engine re-linearises (secant through ε = 0 and ε_ref) until a step is below 1 %, so where the signal "
                "is not ∝ ε² its limit can differ from the exact one by a fraction of that distance."), ""]
    md += [f"Root-finding check: the exact observed CLs recomputed from scratch (`exact_cls`) at {len(checks)} returned "
           f"observed limits is 0.05 within {worst_check:.1e} (" + ", ".join(f"{m:g} GeV {w}: {c:.4f}" for w, m, c in checks) + ").", ""]
    md += ["### Cost (measured in this run, same processes)", "",
           "| engine | CPU time per mass (narrow / wide) | wall time per mass (narrow / wide) | Minuit fits per mass "
           "| likelihood evaluations per mass |",
           "|---|---|---|---|---|",
           f"| fast closed form (`cls`) | {1e3 * c_fast_pt[0]:.1f} ms / {1e3 * c_fast_pt[1]:.1f} ms | "
           f"{1e3 * t_fast_pt[0]:.1f} ms / {1e3 * t_fast_pt[1]:.1f} ms | — | — |",
           f"| exact (`exact`, {engine['engine']} {engine['version']}, scan settings: no hesse) | {c_exact_pt[0]:.2f} s / "
           f"{c_exact_pt[1]:.2f} s | {t_exact_pt[0]:.2f} s / {t_exact_pt[1]:.2f} s | "
           f"{np.nanmean(fits):.1f} (median {np.nanmedian(fits):.0f}) | {np.nanmean(nfcn):.0f} (median {np.nanmedian(nfcn):.0f}) |"]
    if have_pyhf:
        md.append(f"| pyhf (`pyhf`, wall time of every {PYHF_STRIDE}th mass, one process) | — | {t_pyhf:.2f} s | — | — |")
    md += ["", (f"Ratio exact/fast CPU time: ×{cost_exact / cost_fast:.0f}. Timings on {platform.machine()} (2 cores shared "
                "with other jobs: wall times are upper bounds; CPU time is what one free core takes)."), ""]
    md += ["<details><summary>Full table (observed; expected median; relative differences)</summary>", "",
           "| m [GeV] | width | fast obs | exact obs | Δ obs | fast exp | exact exp | Δ exp | max \\|Δ\\| band | pyhf obs | status (exact) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        band = np.nanmax(np.abs(r["rel"][1:])) if np.any(np.isfinite(r["rel"][1:])) else math.nan
        md.append(f"| {r['mass']:g} | {r['width']} | {fmt(r['fast'][0])} | {fmt(r['exact'][0])} | {pct(r['rel'][0])} | "
                  f"{fmt(r['fast'][3])} | {fmt(r['exact'][3])} | {pct(r['rel'][3])} | {pct(band)} | "
                  f"{fmt(r['pyhf'][0]) if have_pyhf else 'TODO'} | {r['status_exact']} |")
    md += ["", "</details>", ""]
    atomic_write_text(OUT / "report_section.md", "\n".join(md) + "\n")

    # ------------------------------------------------------------------ README line (generated)
    line = (f"`method=\"exact\"` (`kinmix scan --method exact`): exact non-linear profile likelihood minimised with iminuit, "
            f"{cost_exact:.1f} s CPU per mass ({np.nanmedian(fits):.0f} Minuit fits, ×{cost_exact / cost_fast:.0f} the fast engine); "
            f"over {len(ok_rows)} points (1–1000 GeV, narrow and wide) the fast limits agree with it to "
            f"{100 * max(obs_rel.max(), exp_rel.max()):.2f} % at worst (median {100 * np.median(np.maximum(obs_rel, exp_rel)):.3f} %), "
            f"see [validation/REPORT.md](validation/REPORT.md#engines-fast-closed-form-cls-vs-exact-iminuit-profile"
            + ("-vs-pyhf" if have_pyhf else "") + ").")
    text = README.read_text(encoding="utf-8")
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        _, tail = rest.split(MARK_END, 1)
        atomic_write_text(README, f"{head}{MARK_BEGIN}\n{line}\n{MARK_END}{tail}")
        print("README line updated")
    atomic_write_text(OUT / "readme_line.md", line + "\n")
    print("\n".join(md[:40]))
    print(f"\nwritten {OUT}/ and {FIG}/engines_comparison.png; {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
