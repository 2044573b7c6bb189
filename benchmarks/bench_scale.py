"""Scaling of the exclusion scan with Dask workers and with grid size, measured in ONE run.

For each grid size N (log-spaced masses 1-1000 GeV; CLs only; narrow width; chunk = 50 masses, so N = 100 gives one chunk per worker) the scan
runs (a) in this process (``workers=1``) and (b) on a Dask LocalCluster of W worker processes (one
thread each) started once beforehand, whose start-up time is reported separately. Printed: wall time,
cost per point, speed-up t(1)/t(W) and the ratio of cost per point to that of the smallest grid.
Results of (a) and (b) are checked to be bit-identical.

BLAS is single-threaded everywhere (OPENBLAS_NUM_THREADS=1), so W workers use W cores.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_scale.py [--sizes 100 1000 10000] [--workers 2]``;
the summary is also written to ``benchmarks/output/bench_scale.txt``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np

import kinmix_stats as km
from kinmix_stats.likelihood.limits import default_likelihood
from kinmix_stats.scan.parallel import connect

OUT = Path(__file__).resolve().parent / "output"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=50)
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"kinmix_stats {km.__version__}, python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    t0 = time.perf_counter()
    like = default_likelihood()
    say(f"likelihood build: {time.perf_counter() - t0:.2f} s; scans: CLs only, narrow, chunk={args.chunk}")

    t0 = time.perf_counter()
    conn = connect(workers=args.workers)
    startup = time.perf_counter() - t0
    say(f"LocalCluster start-up ({args.workers} worker processes x 1 thread): {startup:.2f} s (not in the times below)")
    rows = []
    try:
        # warm-up: imports and first-call costs in this process and on every worker
        km.scan(np.geomspace(1, 1000, 4), "narrow", ("cls",), likelihood=like, chunk=2)
        km.scan(np.geomspace(1, 1000, 4 * args.workers), "narrow", ("cls",), likelihood=like, chunk=2, client=conn.client)
        for n in args.sizes:
            masses = np.geomspace(1.0, 1000.0, n)
            t0 = time.perf_counter()
            serial = km.scan(masses, "narrow", ("cls",), likelihood=like, chunk=args.chunk)
            t1 = time.perf_counter() - t0
            t0 = time.perf_counter()
            par = km.scan(masses, "narrow", ("cls",), likelihood=like, chunk=args.chunk, client=conn.client)
            tw = time.perf_counter() - t0
            same = par == serial
            rows.append((n, t1, tw, same))
            say(f"  N={n:6d}: 1 worker {t1:8.2f} s ({1e3 * t1 / n:6.2f} ms/pt) | {args.workers} workers {tw:8.2f} s "
                f"({1e3 * tw / n:6.2f} ms/pt) | speed-up {t1 / tw:4.2f}x | bit-identical: {same}")
    finally:
        conn.close()

    base1 = rows[0][1] / rows[0][0]
    basew = rows[0][2] / rows[0][0]
    say()
    say("SUMMARY (cost per point; ratios to the smallest grid; speed-up = t(1 worker) / t(W workers))")
    say(f"  {'N':>6s}  {'1 worker':>12s}  {'ratio':>6s}  {f'{args.workers} workers':>12s}  {'ratio':>6s}  {'speed-up':>8s}")
    for n, t1, tw, same in rows:
        say(f"  {n:6d}  {1e3 * t1 / n:9.2f} ms  {t1 / n / base1:6.2f}  {1e3 * tw / n:9.2f} ms  {tw / n / basew:6.2f}  {t1 / tw:7.2f}x"
            + ("" if same else "  (NOT bit-identical)"))
    say(f"  cluster start-up {startup:.2f} s, paid once per scan when --workers > 1")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_scale.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
