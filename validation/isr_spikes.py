"""Validation of issue #14 items 2-3: narrow-Z' limits at measured e+e- energies with and without initial-state
radiation (ISR) and energy ranges, their sensitivity to the assumed beam spread, and the cost of the default scan.

What is computed (written to ``validation/output/isr_spikes/``):
1. CLs observed eps95 of a narrow Z' whose mass sits on a measured energy (R ratio with and without an
   ``energy_range``, LEP-II), for the four combinations ISR off/on x energy ranges off/on (ISR on + ranges on is
   the default), and the default with the assumed relative beam spread scaled by 0.5 and 1.5.
2. (unless ``--no-timing``) The default scan (``km.default_mass_grid()``, narrow and wide, CLs only) with the
   default likelihood and with the treatment before issue #14 (``PrecisionLikelihood(lineshape_window=0,
   isr=False)``), measured in the same run, with the load average.

Run: ``python validation/isr_spikes.py [--no-timing]`` (a few minutes on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hook_comparison import write_csv

import kinmix_stats as km
from kinmix_stats.io.atomic import atomic_write_text
from kinmix_stats.likelihood.closed_form import cls_limits

OUT = HERE / "output" / "isr_spikes"
#: (mass, what is measured there)
SPIKES = (
    (34.85, "R, MARK-J at 34.85 GeV over 33.0-36.7 GeV"),
    (41.4, "R, TASSO at 41.4 GeV over 38.7-43.1 GeV"),
    (57.77, "R, TRISTAN at 57.77 GeV (no range)"),
    (130.3, "LEP-II sigma, A_FB at 130.3 GeV"),
    (188.6, "LEP-II sigma, A_FB at 188.6 GeV"),
)
SPREAD_FACTORS = (0.5, 1.5)


def fmt(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.3g}"


def spike_table() -> list[str]:
    masses = np.array([m for m, _ in SPIKES])
    variants = {
        "ISR off, ranges off": km.PrecisionLikelihood(isr=False, energy_ranges=False),
        "ISR off, ranges on": km.PrecisionLikelihood(isr=False),
        "ISR on, ranges off": km.PrecisionLikelihood(energy_ranges=False),
        "ISR on, ranges on (default)": km.PrecisionLikelihood(),
    }
    rel = variants["ISR on, ranges on (default)"].beam_spread_rel
    for f in SPREAD_FACTORS:
        variants[f"default, spread x{f:g}"] = km.PrecisionLikelihood(beam_spread_rel=rel * f)
    res = {k: cls_limits(v, masses, "narrow") for k, v in variants.items()}
    lims = {k: np.asarray(r.epsilon_observed, dtype=float) for k, r in res.items()}
    not_ok = sorted({f"{masses[i]:g} ({k}): {s}" for k, r in res.items() for i, s in enumerate(r.status) if s != "ok"})
    write_csv(OUT / "spikes.csv", ["mass_GeV"] + list(lims), [[m] + [lims[k][i] for k in lims] for i, m in enumerate(masses)])
    first, default = "ISR off, ranges off", "ISR on, ranges on (default)"
    md = ["### Narrow limits at measured energies: ISR, energy ranges, beam spread", "",
          f"CLs observed ε₉₅, narrow Z′ with its mass on the measured energy; relative beam spread {rel:g} (an assumption, "
          "see `likelihood/precision.py`), scaled by 0.5 and 1.5 in the last columns. *ISR off, ranges off* is the "
          "treatment before issue #14 at these masses; *ISR on, ranges on* is the default.", "",
          "| m_Z′ [GeV] | measurement | " + " | ".join(lims) + " | default / before |",
          "|---|---|" + "---|" * (len(lims) + 1)]
    for i, (m, what) in enumerate(SPIKES):
        md.append(f"| {m:g} | {what} | " + " | ".join(fmt(lims[k][i]) for k in lims) + f" | {lims[default][i] / lims[first][i]:.2f} |")
    md += ["", "Measurement with the largest expected significance at the limit (ISR off / on, ranges on):", ""]
    for i, (m, _) in enumerate(SPIKES):
        off, on = (res[k].dominant[i][0][0] if res[k].dominant[i] else "none" for k in ("ISR off, ranges on", default))
        md.append(f"* {m:g} GeV: `{off}` / `{on}`")
    md += ["", "Statuses: " + ("all ok." if not not_ok else "; ".join(not_ok)), "",
           "ISR (Kuraev–Fadin radiator up to x = 1 − 0.85², on the Z′ part relative to the SM) lowers an on-peak "
           "narrow signal by ≈ (2σ_E/E)^β (×0.55–0.65), so every spike on a point energy gets weaker; energy ranges "
           "dilute a spike over the range, so a mass on a range-averaged energy is limited by nearby point energies "
           "(see the list), and there ISR can also strengthen the limit (radiative return: a Z′ a few per cent below "
           "a measured energy is produced with an ISR photon). The spread dependence (ε₉₅ roughly ∝ √spread on a point energy) remains the largest "
           "uncertainty of these spikes: no per-machine spreads could be sourced. Where we looked (this session's tools): "
           "the LEP Energy Working Group papers hep-ex/0410026 (LEP 2 per year) and hep-ex/9901002 are readable only "
           "to their abstracts (the latter says the spread was evaluated, without the number); hep-ex/0101027 and the "
           "L3 line-shape paper hep-ex/0002046 likewise; no copy of the PDG 'High-energy collider parameters' table "
           "(PETRA, PEP, TRISTAN, LEP) was found in the page, documentation or code indexes; full-text searches of "
           "public code for 'RMS energy spread', 'centre-of-mass energy spread', 'LEP/PETRA energy spread' gave "
           "nothing for these machines. The single relative spread therefore stays an assumption; zero is refused.", ""]
    return md


def timing() -> list[str]:
    masses = km.default_mass_grid()
    rows = []
    for name, kw in (("before #14 (lineshape_window=0, isr=False)", {"lineshape_window": 0.0, "isr": False}),
                     ("default (two-state line shape, ISR, ranges)", {})):
        like = km.PrecisionLikelihood(**kw)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        for width in ("narrow", "wide"):
            km.scan(masses, width, method=("cls",), likelihood=like)
        rows.append((name, time.perf_counter() - t0, load0, os.getloadavg()[0]))
    md = ["### Cost of the default scan (same run)", "",
          f"{masses.size} masses × narrow/wide, CLs only, one process, `OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}`.", "",
          "| likelihood | wall time [s] | load average (1 min) before / after |", "|---|---|---|"]
    md += [f"| {n} | {dt:.1f} | {a:.1f} / {b:.1f} |" for n, dt, a, b in rows]
    md += ["", f"Ratio default / before: {rows[1][1] / rows[0][1]:.2f} (target ≤ 2).", ""]
    return md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-timing", action="store_true", help="skip the default-scan timing")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    md = ["## ISR, energy ranges and beam spread at measured energies (issue #14)", ""]
    md += spike_table()
    if not args.no_timing:
        md += timing()
    md += [f"Run time {time.perf_counter() - t0:.0f} s.", ""]
    atomic_write_text(OUT / "report_section.md", "\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
