"""Regenerate ``tests/golden/headline_limits.json``: the headline limits that ``tests/test_golden.py`` pins.

Run (from the repository root) only when the physics, the data catalogue or the statistics change on
purpose, then review ``git diff tests/golden`` and say in the commit message why the numbers moved::

    .venv/bin/python tools/regenerate_golden.py

The masses are every 22nd point of the log-spaced part of the default grid (1-1000 GeV, 200 points), both
widths of ``make demo``, CLs observed and median expected on Hook's eps with the full default likelihood.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import kinmix_stats as km
from kinmix_stats.likelihood.limits import default_likelihood

OUT = Path(__file__).resolve().parents[1] / "tests" / "golden" / "headline_limits.json"
MASSES = np.round(np.geomspace(1.0, 1000.0, 200), 6)[::22]
WIDTHS = ("narrow", "wide")


def compute() -> dict:
    like = default_likelihood()
    doc: dict = {
        "what": "CLs 95% upper limits on Hook's eps, default likelihood, kinmix_stats.scan(masses, width, method='cls')",
        "regenerate": "tools/regenerate_golden.py (only for a deliberate physics/data/statistics change)",
        "catalogue_hash": like.catalogue.catalogue_hash(),
        "mass_gev": MASSES.tolist(),
        "limits": {},
    }
    for width in WIDTHS:
        curve = km.scan(MASSES, width, method="cls", likelihood=like)
        doc["limits"][width] = {
            "eps95_obs": curve.eps95_obs.tolist(),
            "eps95_exp": curve.eps95_exp.tolist(),
            "status": list(curve.status),
        }
    return doc


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
