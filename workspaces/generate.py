"""Regenerate the committed likelihoods in this folder (run: ``make workspaces``).

Scans the default likelihood (all datasets, PDG 2024 m_W, assumed beam spread 1e-3) on 40 log-spaced
masses from 1 GeV to 1 TeV for the narrow and the wide Z' with CLs, and exports one background-only
workspace and one patchset (one patch per (mass, width)). The full default grid of ``make demo``
(524 masses per width) is written to ``results/workspaces`` instead; this folder
keeps a repository-sized subset with the same background-only workspace.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import kinmix_stats as km

HERE = Path(__file__).resolve().parent
MASSES = np.geomspace(1.0, 1000.0, 40)


def main() -> None:
    curves = [km.scan(MASSES, width, method="cls") for width in ("narrow", "wide")]
    bkg, patchset = km.export_workspaces(curves, HERE)
    print(f"wrote {bkg} and {patchset}")


if __name__ == "__main__":
    main()
