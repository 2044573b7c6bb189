"""Cost of ``kinmix scan --method exact`` on the default grid x 2 widths with 2 Dask workers, in ONE run with the
fast engine (``--method cls``) as the baseline, and how far the two curves are apart.

Runs the two commands exactly as a user would (default refined grid, narrow and wide, plots and pyhf
export included), times them (wall), then compares the CSVs: largest |exact/fast - 1| per column, and every
point above 1 % with the nearest measured sqrt(s) (a narrow resonance within 5 beam spreads, where the
signal is far from the eps^2 scaling of the linear model) or the Z0 window. Writes
``benchmarks/output/bench_exact.txt`` and, if README.md has the markers, the line between ``<!-- bench_exact:begin -->`` and
``<!-- bench_exact:end -->``.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_exact.py [--workers 2]`` (tens of minutes on a shared
2-core machine; the machine load during the run is printed).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "output"
README = ROOT / "README.md"
MARK_BEGIN, MARK_END = "<!-- bench_exact:begin -->", "<!-- bench_exact:end -->"
#: |m - m_Z0| below which a point counts as "near the Z0 window" (the default grid refines m_Z0 +- 5 GeV)
Z0_REGION = 6.0
COLS = ("eps95_obs", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2")


def read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) if r[k] not in ("", "nan") else np.nan for r in rows]) for k in ("mass_gev", *COLS)}


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import iminuit

    import kinmix_stats as km
    from kinmix_stats.io.atomic import atomic_write_text
    from kinmix_stats.likelihood.limits import default_likelihood

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"kinmix_stats {km.__version__}, iminuit {iminuit.__version__}, python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    loads = [os.getloadavg()[0]]
    kinmix = str(Path(sys.executable).with_name("kinmix"))
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in ("cls", "exact"):
            out = Path(tmp) / method
            cmd = [kinmix, "scan", "--method", method, "--workers", str(args.workers), "--out", str(out), "--quiet"]
            times[method] = run(cmd)
            say(f"kinmix scan --method {method} --workers {args.workers} (default grid, narrow,wide, plots + export): "
                f"{times[method]:.0f} s wall; load average after: {os.getloadavg()[0]:.1f}")
            loads.append(os.getloadavg()[0])
        curves = {m: {w: read_csv(Path(tmp) / m / f"limits_{w}.csv") for w in ("narrow", "wide")} for m in times}
    like = default_likelihood()
    energies = sorted({float(k["sqrt_s"]) for _, k in like.entries if "sqrt_s" in k})
    r = like.beam_spread_rel
    n_points = sum(c["mass_gev"].size for c in curves["exact"].values())
    say(f"{n_points} points; exact/fast wall-time ratio x{times['exact'] / times['cls']:.0f}")
    worst = 0.0
    above: list[str] = []
    worst_away = 0.0
    for w in ("narrow", "wide"):
        f, e = curves["cls"][w], curves["exact"][w]
        masses = e["mass_gev"]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.column_stack([e[c] / f[c] - 1.0 for c in COLS])
        both = np.all(np.isfinite(rel), axis=1)
        n_nan = int(np.sum(~both))
        amax = np.where(both, np.nanmax(np.abs(np.where(np.isfinite(rel), rel, 0.0)), axis=1), 0.0)
        worst = max(worst, float(amax.max()))
        window = np.abs(masses - like.sm.mz0) < Z0_REGION  # the Z0 window and the Z line shape
        for i in np.flatnonzero(amax > 0.01):
            near = [s for s in energies if abs(masses[i] - s) <= 5 * r * s]
            k = int(np.argmax(np.abs(rel[i])))
            why = (f"narrow resonance on sqrt(s) = {min(near, key=lambda s: abs(s - masses[i])):.2f} GeV" if near and w == "narrow"
                   else f"on sqrt(s) = {near[0]:.2f} GeV" if near else "near the Z0 window" if window[i] else "other")
            above.append(f"  {masses[i]:9.4f} GeV {w:6s} {COLS[k]:13s} {100 * rel[i, k]:+6.2f} %  {why}")
            if not near and not window[i]:
                worst_away = max(worst_away, float(amax[i]))
        away = both & ~window & ~np.array([any(abs(m - s) <= 5 * r * s for s in energies) for m in masses])
        worst_away = max(worst_away, float(amax[away].max()) if away.any() else 0.0)
        say(f"{w}: largest |exact/fast - 1| = {100 * amax.max():.2f} %, away from measured sqrt(s) and the Z0 window "
            f"{100 * (amax[away].max() if away.any() else 0):.2f} %; {int(np.sum(amax > 0.01))} points above 1 %; "
            f"{n_nan} points without a limit in one engine")
    say("points above 1 % (column of the largest deviation):" if above else "no point above 1 %")
    for a in above:
        say(a)
    OUT.mkdir(parents=True, exist_ok=True)
    atomic_write_text(OUT / "bench_exact.txt", "\n".join(lines) + "\n")
    line = (f"Default grid ({n_points // 2} masses) × narrow, wide with `kinmix scan --method exact --workers {args.workers}`: "
            f"{times['exact'] / 60:.0f} min wall on a 2-core machine at 1-min load average {min(loads):.1f}–{max(loads):.1f} "
            f"(`--method cls`: {times['cls']:.0f} s in the same run); "
            f"largest |exact/fast − 1| {100 * worst:.2f} %, {100 * worst_away:.2f} % away from measured √s and the Z0 window "
            f"(`python benchmarks/bench_exact.py`, points listed in `benchmarks/output/bench_exact.txt`).")
    text = README.read_text(encoding="utf-8")
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        _, tail = rest.split(MARK_END, 1)
        atomic_write_text(README, f"{head}{MARK_BEGIN}\n{line}\n{MARK_END}{tail}")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
