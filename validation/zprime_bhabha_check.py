"""Bhabha check for the LEP-II Z' limits (issue 15, item 3): is our use of the LEP-II Bhabha data sound?

Measured here, with the package's own data and likelihood:
(a) the covariance of ``lep2_bhabha``: chi^2 of the data against the SM (ratio = 1) with the full and the diagonal
    covariance, the size of the within- and cross-energy correlations, and the error-weighted mean ratio of the
    forward (cos theta >= 0) bins, which carry most of the chi-model sensitivity (zprime_lep2_diagnosis.md);
(b) how the LEP-II limits depend on an ASSUMED fully correlated normalisation uncertainty f on all 105 bins
    (e.g. a common theory uncertainty of the BHWIDE predictions, which the transcribed correlation matrix may or
    may not contain): f = 0 is our nominal treatment. The values of f are a sensitivity scan, not sourced numbers.

Writes ``validation/zprime_bhabha_check.md``. Run: ``python validation/zprime_bhabha_check.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

from kinmix_stats import zprime_limits as zl
from kinmix_stats.io.atomic import atomic_write_text
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.measurements import load_dataset

HERE = Path(__file__).resolve().parent
MODELS = ("chi", "psi", "eta", "SSM")
FRACTIONS = (0.0, 0.0025, 0.005, 0.01, 0.02)


def covariance_checks() -> list[str]:
    d = load_dataset("lep2_bhabha")
    r, cov, corr = d.values - 1.0, d.covariance(), d.correlation
    energy = np.array([m.kinematics["sqrt_s"] for m in d.measurements])
    forward = np.array([m.kinematics["cos_min"] >= 0.0 for m in d.measurements])
    chi2 = float(r @ np.linalg.solve(cov, r))
    chi2_diag = float(np.sum(r**2 / np.diag(cov)))
    same = energy[:, None] == energy[None, :]
    off = ~np.eye(len(r), dtype=bool)
    w = 1.0 / np.diag(cov)
    mean_fwd = float(np.sum(d.values[forward] * w[forward]) / np.sum(w[forward]))
    err_fwd = float(1.0 / np.sqrt(np.sum(w[forward])))
    return [
        "## (a) The Bhabha covariance",
        "",
        f"* chi^2 of the {len(r)} ratios against the SM (ratio 1): {chi2:.1f} with the full covariance (p = {stats.chi2.sf(chi2, len(r)):.2f}),",
        f"  {chi2_diag:.1f} with the diagonal only: the uncertainties describe the scatter of the data.",
        f"* correlations: within an energy mean {corr[same & off].mean():.4f} (max {corr[same & off].max():.3f}); between energies mean",
        f"  {corr[~same].mean():.4f} (max {corr[~same].max():.3f}). A common normalisation uncertainty of fraction f on bins with relative",
        "  errors of 1-10 % would produce correlations of about f^2 / (sigma_i sigma_j); the matrix therefore contains at most a",
        "  small common part.",
        f"* forward bins (cos theta >= 0, {int(forward.sum())} bins): error-weighted mean ratio {mean_fwd:.4f} +- {err_fwd:.4f} (diagonal errors).",
        "  The forward data lie about 1 % below the SM; for the chi model the Z' raises the forward cross section, so this",
        "  deficit is what tightens the chi limit (see zprime_lep2_diagnosis.md, part b).",
        "",
    ]


def normalisation_scan() -> tuple[list[str], dict]:
    src = yaml.safe_load(resources.files("kinmix_stats").joinpath("data/lep2_bhabha.yaml").read_text(encoding="utf-8"))
    others = [d for d in zl.zprime_datasets("lep2") if d != "lep2_bhabha"]
    grid = zl.DEFAULT_MASS_GRID
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lep2_bhabha.yaml"
        for f in FRACTIONS:
            doc = dict(src)
            if f:
                doc["correlated_normalisation"] = [
                    {"publication": "assumed", "names": [m["id"] for m in src["measurements"]], "fraction": f}
                ]
            path.write_text(yaml.safe_dump(doc), encoding="utf-8")
            lims = []
            for n in MODELS:
                lik = PrecisionLikelihood(datasets=others + [str(path)], model_factory=zl.zprime_factory(n))
                lims.append(zl.limits_from_scan(grid, *zl.cls_scan(lik, grid, zl.nominal_gz(n)))["cls"])
            rows.append((f, lims))
    no_bh = []
    for n in MODELS:
        lik = PrecisionLikelihood(datasets=others, model_factory=zl.zprime_factory(n))
        no_bh.append(zl.limits_from_scan(grid, *zl.cls_scan(lik, grid, zl.nominal_gz(n)))["cls"])
    out = [
        "## (b) LEP-II CLs mass limits (GeV) vs an assumed common Bhabha normalisation uncertainty f",
        "",
        "| Bhabha treatment | " + " | ".join(MODELS) + " |",
        "|---|" + "---|" * len(MODELS),
    ]
    for f, lims in rows:
        label = "nominal (f = 0)" if f == 0 else f"f = {100 * f:g} %"
        out.append(f"| {label} | " + " | ".join(f"{x:.0f}" for x in lims) + " |")
    out.append("| no Bhabha data | " + " | ".join(f"{x:.0f}" for x in no_bh) + " |")
    out.append("| PDG Table 2, LEP-II | " + " | ".join(str(zl.PDG_TABLE2[n]["LEP-II"]) for n in MODELS) + " |")
    out.append("")
    lim = {f: dict(zip(MODELS, lims, strict=True)) for f, lims in rows}
    lim["none"] = dict(zip(MODELS, no_bh, strict=True))
    return out, lim


def main() -> int:
    t0 = time.time()
    lines = [
        "# Bhabha check for the LEP-II Z' limits",
        "",
        "Generated by `python validation/zprime_bhabha_check.py` (do not edit by hand). Data: `lep2_bhabha` (arXiv:1302.3415",
        "Tables 3.11, 3.12 via flavio PR #236: ratios to BHWIDE with the 105x105 correlation of total uncertainties).",
        "LEP-II selection and mass grid as in `zprime_limits` (121 masses 100 GeV-5 TeV, CLs < 0.05).",
        "",
    ]
    lines += covariance_checks()
    scan, lim = normalisation_scan()
    lines += scan

    def removed(n: str, f: float) -> str:
        gap = lim[0.0][n] - lim["none"][n]
        return f"{(lim[0.0][n] - lim[f][n]) / gap:.0%}"

    lines += [
        "## What is right, what is open",
        "",
        "* Right (checked): the theory residual of each bin is the tree-level ratio (gamma, Z, Z' in s and t channel) to our",
        "  tree-level SM, compared with the measured ratio to BHWIDE, so normalisation-type radiative corrections cancel; the",
        "  covariance is consistent with the scatter of the data (part a).",
        "* The chi, eta excess over the PDG comes from the forward-bin deficit of about 1 %. A common normalisation",
        "  uncertainty on the Bhabha bins (part b) removes part of the difference between the nominal and the no-Bhabha limits:",
        f"  chi {removed('chi', 0.005)} at f = 0.5 %, {removed('chi', 0.01)} at f = 1 %; eta {removed('eta', 0.005)} and "
        f"{removed('eta', 0.01)}. Whether the LEP combination's Z' fit",
        "  (arXiv:1302.3415, PDG ref. [16]) used the Bhabha data, and with which theory uncertainty of BHWIDE, could not be",
        "  read from the sources available to us (the paper's Z' section was not retrievable), so the nominal treatment",
        "  (no extra uncertainty) is kept and the dependence is reported here instead of a change.",
        "",
        f"Wall time {time.time() - t0:.1f} s (shared 2-core machine).",
        "",
    ]
    text = "\n".join(lines)
    atomic_write_text(HERE / "zprime_bhabha_check.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
