"""Benchmark of a Z'-model scan in g_z: vectorised over g_z vs the per-coupling baseline, in ONE run.

Both runs use the same likelihood (``ModelSpec(model).likelihood()``, all datasets) and the same
``km.scan(masses, model=..., method=("cls", "chi2"))`` on a fixed grid: ``--n`` masses (default
100) taken evenly from the default model grid (:func:`kinmix_stats.scan.default_model_mass_grid`,
10 GeV - 5 TeV refined at the measured energies).

* vectorised: the model's ``zprime_factory`` (``array_coupling = True``) gets every g_z of a
  re-linearisation step / chi^2 grid / window bisection in one call: one ZPrime for all masses;
* baseline: the same factory behind :class:`ScalarOnly`, a wrapper without ``array_coupling``, which
  the limit setting feeds one distinct coupling at a time (``likelihood.limits.coupling_delta_th``'s
  fallback): one ZPrime per distinct g_z, as every Z' model scan did before.

Printed: wall times, time per mass, the speed-up, and the largest relative difference between the
two sets of limits (every column: observed, expected band, chi2; also NaN pattern and statuses).
For reference the dark-photon scan (array epsilon, the same masses, CLs + chi2) is timed too.
``--cli`` additionally times ``kinmix scan --model MODEL --out TMP`` on the default grid (subprocess).

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_model_scan.py [--n 100] [--model chi] [--cli]``;
the summary is also written to ``benchmarks/output/bench_model_scan.txt``.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import kinmix_stats as km
from kinmix_stats.likelihood.limits import accepts_array_couplings
from kinmix_stats.model import ModelSpec
from kinmix_stats.scan import default_model_mass_grid

HERE = Path(__file__).resolve().parent
OUT = HERE / "output"
COLUMNS = ("eps95_obs", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2")


class ScalarOnly:
    """Per-coupling baseline: wraps a model factory and hides ``array_coupling`` (scalars one at a time)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.coupling = getattr(inner, "coupling", "g_z")
        self.__name__ = f"scalar_only_{getattr(inner, '__name__', 'factory')}"

    def __call__(self, masses, coupling, width, sm):
        if np.ndim(coupling) != 0:
            raise TypeError("the per-coupling baseline takes one scalar coupling per call")
        return self.inner(masses, float(coupling), width, sm)


def baseline_likelihood(like: km.PrecisionLikelihood) -> km.PrecisionLikelihood:
    """``like`` with its factory behind :class:`ScalarOnly` (data, SM reference and templates shared)."""
    other = copy.copy(like)
    other.model_factory = ScalarOnly(like.model_factory)
    return other


def fixed_grid(like: km.PrecisionLikelihood, n: int) -> np.ndarray:
    grid = default_model_mass_grid(likelihood=like)
    idx = np.unique(np.round(np.linspace(0, grid.size - 1, min(n, grid.size))).astype(int))
    return grid[idx]


def timed_scan(masses, spec, like):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = km.scan(masses, "narrow", ("cls", "chi2"), model=spec, likelihood=like)
    return curve, time.perf_counter() - t0


def compare(a, b) -> dict:
    worst, where, nan_mismatch = 0.0, None, 0
    for col in COLUMNS:
        x, y = getattr(a, col), getattr(b, col)
        fx, fy = np.isfinite(x), np.isfinite(y)
        nan_mismatch += int(np.sum(fx != fy))
        both = fx & fy
        if np.any(both):
            rel = np.abs(x[both] / y[both] - 1.0)
            k = int(np.argmax(rel))
            if rel[k] > worst or where is None:
                worst, where = float(rel[k]), (col, float(a.mass_gev[both][k]))
    status_diff = sum(s != t for s, t in zip(a.status, b.status))
    return {"max_rel_diff": worst, "at": where, "nan_mismatch": nan_mismatch, "status_mismatch": status_diff}


def time_cli(model: str, tan_beta: float | None) -> tuple[float, int]:
    exe = Path(sys.executable).with_name("kinmix")
    cmd = [str(exe), "scan", "--model", model] if exe.exists() else [sys.executable, "-m", "kinmix_stats.cli", "scan", "--model", model]
    if tan_beta is not None:
        cmd += ["--tan-beta", repr(tan_beta)]
    out = Path(tempfile.mkdtemp(prefix="bench_model_cli_"))
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd + ["--out", str(out / "scan")], capture_output=True, text=True, env=dict(os.environ))
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"kinmix scan failed ({proc.returncode}): {proc.stderr[-2000:]}")
        n = sum(1 for _ in open(out / "scan" / "limits_narrow.csv")) - 1
        return wall, n
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="masses taken evenly from the default model grid")
    ap.add_argument("--model", default="chi", help="model name or FAMILY:x (default chi)")
    ap.add_argument("--tan-beta", type=float, default=None, help="Higgs-sector mass mixing (optional)")
    ap.add_argument("--cli", action="store_true", help="also time `kinmix scan --model MODEL` on the default grid")
    args = ap.parse_args(argv)

    spec = ModelSpec(args.model, tan_beta=args.tan_beta)
    t0 = time.perf_counter()
    like = spec.likelihood()
    t_like = time.perf_counter() - t0
    slow = baseline_likelihood(like)
    assert accepts_array_couplings(like.model_factory) and not accepts_array_couplings(slow.model_factory)
    masses = fixed_grid(like, args.n)

    # warm-up (imports, caches) on two masses for both paths, untimed
    timed_scan(masses[:2], spec, like)
    timed_scan(masses[:2], spec, slow)

    fast_curve, t_fast = timed_scan(masses, spec, like)
    slow_curve, t_slow = timed_scan(masses, spec, slow)
    diff = compare(fast_curve, slow_curve)
    dark = km.likelihood.limits.default_likelihood()
    timed_scan(masses[:2], None, dark)
    _, t_dark = timed_scan(masses, None, dark)

    n = masses.size
    lines = [
        f"bench_model_scan: model {spec.name} (tan_beta={spec.tan_beta}), {n} masses {masses[0]:g}-{masses[-1]:g} GeV "
        f"from the default model grid, narrow, CLs + chi2",
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}",
        f"likelihood build: {t_like:.2f} s",
        f"vectorised over g_z (one ZPrime per call): {t_fast:8.2f} s  ({1e3 * t_fast / n:6.1f} ms per mass)",
        f"per-coupling baseline (one ZPrime per g_z):  {t_slow:8.2f} s  ({1e3 * t_slow / n:6.1f} ms per mass)",
        f"speed-up baseline / vectorised: x{t_slow / t_fast:.2f}",
        f"reference, dark photon (array eps), same masses: {t_dark:8.2f} s  ({1e3 * t_dark / n:6.1f} ms per mass)",
        f"limits vectorised vs baseline: max relative difference {diff['max_rel_diff']:.3g} (at {diff['at']}), "
        f"NaN mismatches {diff['nan_mismatch']}, status mismatches {diff['status_mismatch']}",
    ]
    if args.cli:
        wall, n_cli = time_cli(spec.name, spec.tan_beta)
        lines.append(f"kinmix scan --model {spec.name} (default grid, {n_cli} masses, CLs + chi2, plots, exports): "
                     f"{wall:.1f} s ({1e3 * wall / n_cli:.0f} ms per mass)")
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_model_scan.txt").write_text(text + "\n", encoding="utf-8")
    ok = diff["nan_mismatch"] == 0 and diff["status_mismatch"] == 0 and diff["max_rel_diff"] < 1e-6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
