"""Validation of issue #14: limits near m_Z (two overlapping states) and at measured e+e- energies (energy ranges,
beam spread).

What is computed (written to ``validation/output/lineshape_near_mz/``, figure ``validation/figures/lineshape_near_mz.png``):
1. 75-107 GeV, narrow and wide, CLs observed: the current treatment (line-shape pseudo-observables from the two-state
   line shape, overlap check with the line shape + off-pole fallback) beside the previous one
   (single-eigenstate pseudo-observables, overlap check with the off-pole fallback: ``lineshape_window=0``), the
   oldest one (single-eigenstate everywhere, ``pole_overlap_check=False``) and Hook et al.'s EW-fit curve (HSL
   digitisation, log-log interpolated; it has points only every ~2.6 GeV here).
1b. Predictions only: the sigma_had line-shape distortion at the scan energies with and without the off-diagonal
   width, and the line-shape pseudo-observables of the summed line shape vs the Z eigenstate's, at the old limits.
(The narrow limits at measured energies with and without ISR / energy ranges moved to ``isr_spikes.py``.)

Run: ``python validation/lineshape_near_mz.py`` (about a minute on an idle 2-core machine).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hook_comparison import hook_curve, interp_loglog, new_fig, save_fig, write_csv

import kinmix_stats as km
from kinmix_stats.io.atomic import atomic_write_text
from kinmix_stats.likelihood.limits import cls_limits, window_epsilon
from kinmix_stats.model.vector_boson import DarkPhoton
from kinmix_stats.observables.lineshape import SCAN_OFFSETS_GEV, effective_pole_observables, two_state_sigma
from kinmix_stats.observables.registry import REGISTRY

OUT = HERE / "output" / "lineshape_near_mz"
WIDTHS = ("narrow", "wide")
OFFSETS = np.array([-15.5, -14.5, -10.0, -8.0, -5.0, -4.0, -3.0, -2.0, -1.8, -1.5, -1.0, -0.7, -0.5, -0.4, -0.3, -0.2,
                    -0.1, -0.05, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 1.8, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0, 14.5,
                    15.5])
#: offsets (GeV) and eps for the prediction-only line-shape distortion figure
FIG_OFFSETS = (-2.0, -0.5, 0.5, 2.0)
FIG_EPS = 1e-3


def fmt(x, p: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{p}g}"


def short(status: str) -> str:
    if status == "ok":
        return "ok"
    if "two states overlap" in status:
        return "two-state overlap" + (" (window edge)" if "window edge" in status else "")
    if "window edge" in status:
        return "window edge"
    return status[:40]


def main() -> int:
    t0 = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    like = km.PrecisionLikelihood()
    mz0 = like.sm.mz0
    masses = mz0 + OFFSETS
    hm, he = hook_curve()
    hook = interp_loglog(masses, hm, he)
    md = ["## Near m_Z and at measured energies (issue #14: two-state overlap, energy ranges, beam spread)", ""]

    # 1. near m_Z ------------------------------------------------------------------------------------------
    prev = km.PrecisionLikelihood(lineshape_window=0.0)  # single-eigenstate pseudo-observables (before this change)
    res = {
        w: (cls_limits(like, masses, w), cls_limits(prev, masses, w), cls_limits(prev, masses, w, pole_overlap_check=False))
        for w in WIDTHS
    }
    edge = window_epsilon(like, masses)
    rows = []
    for i, m in enumerate(masses):
        row = [m, hook[i], edge[i]]
        for w in WIDTHS:
            new, mid, old = res[w]
            row += [new.epsilon_observed[i], short(new.status[i]), mid.epsilon_observed[i], short(mid.status[i]), old.epsilon_observed[i]]
        rows.append(row)
    write_csv(OUT / "near_mz.csv", ["mass_GeV", "hook", "window_edge"]
              + [f"{w}_{k}" for w in WIDTHS for k in ("eps95_now", "status_now", "eps95_single_state", "status_single_state",
                                                      "eps95_pseudo_observables")], rows)
    md += ["### 1. 75-107 GeV: the Z line shape with both states", "",
           f"CLs observed ε₉₅ (Hook's convention), m_Z0 = {mz0:.4f} GeV. *now*: the line-shape "
           "pseudo-observables (m_Z, Γ_Z, σ⁰_had, R_ℓ, A_FB^0,ℓ) are predicted as what LEP's one-Breit–Wigner fit would "
           "report for the summed two-state line shape (γ + Z–Z′ propagator matrix with the off-diagonal width, beam spread, "
           "scan energies m_Z, m_Z ± 1.8 GeV; `observables/lineshape.py`); where the states overlap outright "
           "(|m_Z′ − m_Z| < 3 max(|Γ_ZZ′|, LEP-I spread)) the single-eigenstate on-peak observables are dropped "
           "(status). *single-state*: the previous treatment (Z-eigenstate pseudo-observables, overlap → off-pole data "
           "only; `lineshape_window=0`). *PO everywhere*: the oldest (no overlap check). *edge*: largest ε for which a "
           "Z′-like state of this mass exists. Hook: digitised EW-fit curve.", "",
           "| m_Z′ − m_Z0 [GeV] | Hook | edge | narrow now | status | narrow single-state | status | narrow PO everywhere "
           "| wide now | status | wide single-state | status | wide PO everywhere |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, off in enumerate(OFFSETS):
        r = rows[i]
        md.append(f"| {off:+.2f} | {fmt(r[1], 3)} | {fmt(r[2], 3)} | {fmt(r[3], 3)} | {r[4]} | {fmt(r[5], 3)} | {r[6]} | "
                  f"{fmt(r[7], 3)} | {fmt(r[8], 3)} | {r[9]} | {fmt(r[10], 3)} | {r[11]} | {fmt(r[12], 3)} |")
    near = np.abs(OFFSETS) <= 5.0
    for w, k in (("narrow", 3), ("wide", 8)):
        now = np.array([rows[i][k] for i in range(len(masses))])
        single = np.array([rows[i][k + 2] for i in range(len(masses))])
        ratio = now / single
        md.append(f"* {w}: now / single-state over ±5 GeV: min {np.nanmin(ratio[near]):.2f} (at {OFFSETS[near][np.nanargmin(ratio[near])]:+.2f} GeV), "
                  f"max {np.nanmax(ratio[near]):.2f} (at {OFFSETS[near][np.nanargmax(ratio[near])]:+.2f} GeV); now / Hook over ±5 GeV: "
                  f"{np.nanmin((now / hook)[near]):.2f}–{np.nanmax((now / hook)[near]):.2f}; away from m_Z (−15.5, −14.5, +14.5, +15.5 GeV) "
                  f"now / single-state = {', '.join(f'{x:.3f}' for x in ratio[np.isin(np.abs(OFFSETS), (14.5, 15.5))])}.")
    md += ["", "Data: the per-energy LEP-I cross sections (ALEPH EPJC 14 (2000) 1, DELPHI EPJC 16 (2000) 371, L3 EPJC 16 "
           "(2000) 1, OPAL EPJC 19 (2001) 587) could not be sourced with our tools: HEPData records of OPAL and DELPHI "
           "exist (hepdata.net listings) but their tables are not retrievable here; the ar5iv/arXiv pages we can read "
           "stop at the abstracts; no Rivet reference file carries them; the seven-energy LEP-averaged σ_had table in "
           "dsavoiu/kafe (examples/example8_BreitWigner/LEP-Data.dat, commit 1e8bd4e6) names no paper, so it is not "
           "used. The fit therefore uses the published pseudo-observables, with predictions that emulate how they "
           "were extracted (one Breit–Wigner through the summed line shape at the 1993–95 scan energies m_Z, "
           "m_Z ± 1.8 GeV, quoted in the L3 abstract, hep-ex/0002046; equal luminosity per energy assumed). "
           "Approximations: three energies instead of each experiment's scan and weights; γ exchange and γ–Z "
           "interference fixed to the SM in the emulated fit (as in LEP's model-independent fits); Born level "
           "(ISR is available in `two_state_sigma(isr_x_max=...)` but the emulated fit is unconvolved on both sides). "
           "Known bias, not fixed here: the emulated fit keeps the γ–Z interference at the SM mass, while ZFITTER-based "
           "fits evaluate it at the fitted m_Z, so a pure shift of the Z eigenstate (the ρ-like template of "
           "`validation/zprime_ablation.py`) moves the fitted Γ_Z by −0.558 instead of −0.5 per unit Δρ (recorded "
           "there).", ""]

    fig, ax = new_fig()
    for w, c in zip(WIDTHS, ("tab:blue", "tab:orange")):
        new, mid, old = res[w]
        ok = np.array([s == "ok" for s in new.status])
        ax.plot(masses, old.epsilon_observed, color=c, ls=":", lw=1.0, label=f"{w}: pseudo-observables everywhere (oldest)")
        ax.plot(masses, mid.epsilon_observed, color=c, ls="--", lw=1.0, label=f"{w}: single-state + off-pole fallback (previous)")
        ax.plot(masses, new.epsilon_observed, color=c, lw=1.5, label=f"{w}: two-state line shape (now)")
        ax.scatter(masses[~ok], new.epsilon_observed[~ok], color=c, marker="x", zorder=3, label=f"{w}: not ok (status)")
    sel = (hm > 74) & (hm < 108)
    ax.plot(hm[sel], he[sel], "k-o", lw=1.5, ms=3, label="Hook et al. (digitised)")
    ax.set_yscale("log"), ax.set_xlabel("physical $m_{Z'}$ [GeV]"), ax.set_ylabel("95% CL upper limit on ε (Hook)")
    ax.set_title("Near m_Z: two-state line shape vs single-eigenstate pseudo-observables")
    ax.legend(fontsize=6)
    save_fig(fig, "lineshape_near_mz.png")
    md += ["![near m_Z](figures/lineshape_near_mz.png)", ""]

    # 1b. predictions only ---------------------------------------------------------------------------------
    energies = km.PDG.MZ.value + np.array(SCAN_OFFSETS_GEV)
    spread = like.beam_spread_rel * energies
    sm_model = DarkPhoton(np.array([10.0]), 0.0)
    sig_sm = two_state_sigma(sm_model, energies, "had", spread)[0]
    obs = list(like.catalogue.observables)
    errs = {k: float(np.sqrt(like.residuals.covariance[obs.index(k), obs.index(k)]) * like.sm_tree_reference[obs.index(k)])
            for k in ("mZ", "GammaZ", "sigma_had0")}
    sel_off = [o for o in OFFSETS if abs(o) <= 5.0 and abs(o) >= 0.1]
    eps_old = {o: res["narrow"][2].epsilon_observed[list(OFFSETS).index(o)] for o in sel_off}
    md += ["### 1b. The line shape at the old limits (predictions only)", "",
           "Narrow Z′ at the oldest (pseudo-observables everywhere) CLs limit ε: relative σ_had distortion "
           f"σ/σ_SM − 1 at the scan energies ({', '.join(f'{e:.2f}' for e in energies)} GeV, spread "
           f"{like.beam_spread_rel:g}·√s) with the full propagator matrix and with diagonal widths only (two independent "
           "Breit–Wigners, the old amplitudes), and the shifts of the line-shape pseudo-observables from the SM in units of "
           f"the LEP errors (m_Z {errs['mZ'] * 1e3:.1f} MeV, Γ_Z {errs['GammaZ'] * 1e3:.1f} MeV, σ⁰_had {errs['sigma_had0']:.4f} nb): "
           "*eff*: one Breit–Wigner through the summed line shape (what the likelihood now uses), *single*: the Z eigenstate.", "",
           "| m_Z′ − m_Z0 | ε (old limit) | δσ matrix at −1.8 / 0 / +1.8 | δσ diagonal widths | Δm_Z eff / single [σ] | "
           "ΔΓ_Z eff / single [σ] | Δσ⁰ eff / single [σ] |", "|---|---|---|---|---|---|---|"]
    dist_rows = []
    for o in sel_off:
        eps = float(eps_old[o])
        dp = DarkPhoton(np.array([mz0 + o]), eps, width="narrow", on_invalid="mask")
        if not bool(np.asarray(dp.valid)[0]):
            continue
        d_mat = two_state_sigma(dp, energies, "had", spread)[0] / sig_sm - 1.0
        d_diag = two_state_sigma(dp, energies, "had", spread, off_diagonal=False)[0] / sig_sm - 1.0
        eff = effective_pole_observables(dp, like.beam_spread_rel)
        cells = []
        for k in ("mZ", "GammaZ", "sigma_had0"):
            ref = float(np.asarray(REGISTRY[k].function(sm_model))[0])
            e_eff = (float(eff[k][0]) - ref) / errs[k]
            e_single = (float(np.asarray(REGISTRY[k].function(dp))[0]) - ref) / errs[k]
            cells.append(f"{e_eff:+.2f} / {e_single:+.2f}")
        dist_rows.append([o, eps, *d_mat, *d_diag])
        md.append(f"| {o:+.2f} | {eps:.3g} | {' / '.join(f'{x:+.1e}' for x in d_mat)} | {' / '.join(f'{x:+.1e}' for x in d_diag)} | "
                  + " | ".join(cells) + " |")
    write_csv(OUT / "distortion.csv", ["offset_GeV", "eps", "dsig_matrix_m18", "dsig_matrix_0", "dsig_matrix_p18",
                                       "dsig_diag_m18", "dsig_diag_0", "dsig_diag_p18"], dist_rows)
    md += ["", "Reading: next to the pole the Z eigenstate's own width and peak move by several σ at the old limits "
           "(level repulsion: it hands ξ² of its Z0 content to the Z′), while one Breit–Wigner through the summed line "
           "shape moves far less, because both states sit inside the Z width; that is why the old limits were too strong "
           "at |m_Z′ − m_Z| ≲ 1 GeV. Where a narrow Z′ sits within a few spreads of a scan energy the summed line shape "
           "moves more than the eigenstate (its peak at that energy), which is why the limits near ±1.8 GeV are now "
           "stronger. The off-diagonal width changes the distortion by O(1) once the splitting is comparable to Γ_ZZ′.", ""]

    fig, ax = new_fig()
    grid = np.linspace(87.5, 95.0, 301)
    sig_grid = two_state_sigma(sm_model, grid, "had", like.beam_spread_rel * grid)[0]
    for o, c in zip(FIG_OFFSETS, ("tab:blue", "tab:green", "tab:red", "tab:purple")):
        dp = DarkPhoton(np.array([mz0 + o]), FIG_EPS, width="narrow")
        for off_diag, ls in ((True, "-"), (False, ":")):
            d = two_state_sigma(dp, grid, "had", like.beam_spread_rel * grid, off_diagonal=off_diag)[0] / sig_grid - 1.0
            ax.plot(grid, d, color=c, ls=ls, lw=1.2, label=f"m_Z' = m_Z0 {o:+.1f} GeV" + ("" if off_diag else " (diagonal widths)"))
    for e in energies:
        ax.axvline(e, color="grey", lw=0.6)
    ax.set_xlabel(r"$\sqrt{s}$ [GeV]"), ax.set_ylabel(r"$\sigma_{had}/\sigma_{had,SM} - 1$")
    ax.set_title(f"Two-state σ_had line shape, narrow Z', ε = {FIG_EPS:g} (grey: scan energies)")
    ax.legend(fontsize=6)
    save_fig(fig, "lineshape_distortion.png")
    md += ["![line-shape distortion](figures/lineshape_distortion.png)", ""]

    md += ["The narrow limits at measured energies (ISR, energy ranges, beam spread) are in the section of "
           "`validation/isr_spikes.py`.", "",
           f"Run time {time.perf_counter() - t0:.0f} s.", ""]
    atomic_write_text(OUT / "report_section.md", "\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
