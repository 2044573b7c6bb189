"""Mass grids of a scan: log-spaced, refined where the likelihood has structure.

The default dark-photon grid is log-spaced between 1 GeV and 1 TeV, refined (``refine=True``) at every
centre-of-mass energy in the catalogue (at sqrt(s) and sqrt(s)(1 +- 2 r), r the assumed relative beam
spread) so the narrow-resonance peaks are resolved, and around m_Z0 (m_Z0 +- 0.3 ... 5 GeV). Z'-model
scans use :func:`default_model_mass_grid` (10 GeV to 5 TeV): a heavy Z' is still constrained by LEP-II
through contact interactions (g_z95 grows like M, PDG Z' review Eq. 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import check_in_range

if TYPE_CHECKING:
    from ..likelihood.precision import PrecisionLikelihood

__all__ = ["MODEL_GRID", "default_mass_grid", "default_model_mass_grid"]

#: default grid of Z' model scans (see :func:`default_model_mass_grid`)
MODEL_GRID: dict[str, Any] = {"n": 150, "lo": 10.0, "hi": 5000.0}

def default_mass_grid(
    n: int = 200, lo: float = 1.0, hi: float = 1000.0, *, likelihood: PrecisionLikelihood | None = None, refine: bool = True
) -> np.ndarray:
    """Log-spaced masses in [lo, hi] GeV, refined at measured energies and around m_Z0 (sorted, unique)."""
    check_in_range("n", n, 2, 1e6)
    lo = check_in_range("lo", lo, 0.0, np.inf, low_inclusive=False, high_inclusive=False)
    hi = check_in_range("hi", hi, lo, np.inf, low_inclusive=False, high_inclusive=False)
    grid = [np.geomspace(lo, hi, int(n))]
    if refine:
        from ..likelihood.limits import default_likelihood

        like = default_likelihood() if likelihood is None else likelihood
        energies = sorted({float(k["sqrt_s"]) for _, k in like.entries if "sqrt_s" in k})
        r = max(like.beam_spread_rel, 1e-4)
        grid.append(np.array([e * (1 + k * r) for e in energies for k in (-2.0, 0.0, 2.0)]))
        mz0 = like.sm.mz0
        offsets = np.array([0.3, 0.5, 1.0, 2.0, 3.0, 5.0])
        grid.append(np.concatenate([mz0 - offsets, mz0 + offsets]))
    masses = np.unique(np.round(np.concatenate(grid), 6))
    return masses[(masses >= lo) & (masses <= hi)]

def default_model_mass_grid(*, likelihood: PrecisionLikelihood | None = None, refine: bool = True) -> np.ndarray:
    """Default masses of a Z'-model scan: 150 log-spaced from 10 GeV to 5 TeV, refined as
    :func:`default_mass_grid` (measured energies, m_Z0 neighbourhood).

    The top reaches deep into the contact-interaction regime of LEP-II (sqrt(s) <= 209 GeV), where
    g_z95 grows like M (PDG Z' review Eq. 6) and reaches g_z ~ 1 at a few TeV for the E6 models.
    """
    return default_mass_grid(MODEL_GRID["n"], MODEL_GRID["lo"], MODEL_GRID["hi"], likelihood=likelihood, refine=refine)
