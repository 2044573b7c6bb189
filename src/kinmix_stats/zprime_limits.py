"""The ``kinmix zprime-limits`` table: 95% CL LEP-II and electroweak mass limits of the named Z' models of the
PDG review next to its Table 2 (M.-C. Chen, B. A. Dobrescu, S. Willocq, "Z'-boson searches", rev. Jan. 2016).

The models (charges, nominal g_z) are :mod:`kinmix_stats.model.zprime`; the limits (likelihoods, CLs at the
nominal g_z, mass-limit extraction, Higgs-sector mixing) are :mod:`kinmix_stats.likelihood.zprime`; the files
are written by the package's one CSV and JSON writers (:mod:`kinmix_stats.io.atomic`). The names of those two
modules are importable from here too, where earlier code finds them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._checks import as_positive_array
from .likelihood.zprime import (
    DEFAULT_MASS_GRID,
    LEP2_DATASETS,
    LOW_ENERGY_DATASETS,
    ZPrimeFactory,
    cls_at_nominal,
    cls_scan,
    coupling_limits,
    ew_limits_higgs,
    limits_from_scan,
    mass_limit_from_grid,
    mass_limits,
    with_factory,
    zprime_datasets,
    zprime_factory,
    zprime_likelihood,
)
from .model.zprime import (
    E6_MODELS,
    G_Z_RULE,
    GUT_HYPERCHARGE_NORM,
    LANGACKER_CHARGES,
    MODELS,
    e6_normalisation,
    factory_charges,
    lh_charge_vector,
    lhc_coefficients,
    lhc_coefficients_of,
    model_charges,
    nominal_gz,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MASS_GRID",
    "E6_MODELS",
    "GUT_HYPERCHARGE_NORM",
    "G_Z_RULE",
    "LANGACKER_CHARGES",
    "LEP2_DATASETS",
    "LOW_ENERGY_DATASETS",
    "MODELS",
    "PDG_TABLE2",
    "PDG_TABLE2_SOURCE",
    "ZPrimeFactory",
    "cls_at_nominal",
    "cls_scan",
    "coupling_limits",
    "e6_normalisation",
    "ew_limits_higgs",
    "factory_charges",
    "lh_charge_vector",
    "lhc_coefficients",
    "lhc_coefficients_of",
    "limits_from_scan",
    "mass_limit_from_grid",
    "mass_limits",
    "model_charges",
    "nominal_gz",
    "with_factory",
    "zprime_datasets",
    "zprime_factory",
    "zprime_likelihood",
    "zprime_limits",
]

CSV_COLUMNS = ("model", "g_z", "lep2_mass_limit_gev", "ew_mass_limit_gev")

#: PDG Z' review Table 2, 95% CL lower mass limits in GeV (None: not given)
PDG_TABLE2 = {
    "chi": {"electroweak": 1141, "LEP-II": 785},
    "psi": {"electroweak": 147, "LEP-II": 500},
    "eta": {"electroweak": 427, "LEP-II": 500},
    "S": {"electroweak": 1257, "LEP-II": None},
    "SSM": {"electroweak": 1403, "LEP-II": 1760},
}

PDG_TABLE2_SOURCE = "M.-C. Chen, B. A. Dobrescu, S. Willocq, PDG review 'Z'-boson searches' (rev. Jan. 2016), Table 2"


def _json_number(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 1)


def zprime_limits(out_dir, masses: Sequence[float] | None = None) -> Path:
    """Write ``out_dir/zprime_limits.csv`` (columns ``CSV_COLUMNS``; CLs limits; empty = none on the grid)
    and ``out_dir/zprime_limits.json`` (the same limits with their provenance: datasets, mixing treatment,
    tan(beta) of the weakest electroweak limit, grid, PDG Table 2 values, catalogue hash, versions).
    Returns the CSV path. Each file is written atomically (complete or not at all)."""
    import platform

    import scipy

    from . import __version__
    from .io.atomic import atomic_write_csv, atomic_write_json, check_output_dir
    from .results import canonical_json

    out = check_output_dir(out_dir, is_dir=True)
    grid = DEFAULT_MASS_GRID if masses is None else as_positive_array("masses", masses, unit="GeV")
    entries = []
    for name in MODELS:
        ew_all = ew_limits_higgs(name, masses=grid)
        ew = ew_all["weakest"]
        entries.append({
            "model": name,
            "g_z": nominal_gz(name),
            "g_z_rule": G_Z_RULE[name],
            "lep2_mass_limit_gev": _json_number(mass_limits(name, "lep2", masses=grid)["cls"]),
            "ew_mass_limit_gev": _json_number(ew["cls"]),
            "ew_higgs_mixing": bool(ew_all["higgs_mixing"]),
            "ew_weakest_tan_beta": None if not math.isfinite(ew["tan_beta"]) else float(ew["tan_beta"]),
            "ew_strongest_mass_limit_gev": _json_number(ew_all["strongest"]["cls"]),
            "pdg_table2": PDG_TABLE2.get(name),
        })
    # the CSV is the JSON's first columns: g_z to 6 decimals, limits to 0.1 GeV, "" for none
    rows = [[e["model"], f"{e['g_z']:.6f}"] + ["" if e[c] is None else f"{e[c]:.1f}" for c in CSV_COLUMNS[2:]] for e in entries]
    lep2_like, ew_like = zprime_likelihood("chi", "lep2"), zprime_likelihood("chi", "ew")
    doc = {
        "format": "kinmix_stats.zprime_limits",
        "format_version": 1,
        "confidence_level": 0.95,
        "method": "asymptotic CLs (q~_mu, arXiv:1007.1727) at the nominal g_z, excluded if CLs < 0.05; limit = smallest "
                  "grid mass with every grid mass above it allowed (log CLs interpolated in log M); null = no grid mass excluded",
        "mass_grid_gev": {"min": float(grid.min()), "max": float(grid.max()), "n": int(grid.size)},
        "lep2": {"datasets": [d.name for d in lep2_like.catalogue.datasets], "mixing": "none (as the LEP analyses)"},
        "electroweak": {
            "datasets": [d.name for d in ew_like.catalogue.datasets],
            "mixing": "rho0 = 1 Higgs-doublet Z-Z' mass mixing (kinmix_stats.model.higgs_mixing), weakest limit over "
                      "tan(beta) (21 sin^2 beta points and the z_eff = 0 point); the SSM has no U(1)' charges: no mixing",
        },
        "models": entries,
        "pdg_table2_source": PDG_TABLE2_SOURCE,
        "metadata": {
            "package": "kinmix_stats",
            "package_version": __version__,
            "python": platform.python_version(),
            "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
            "catalogue_hash": lep2_like.catalogue.catalogue_hash(),
            "beam_spread_rel": lep2_like.beam_spread_rel,
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    path = atomic_write_csv(out / "zprime_limits.csv", CSV_COLUMNS, rows)
    atomic_write_json(out / "zprime_limits.json", canonical_json(doc, "zprime_limits"), indent=1)
    return path
