"""Two overlapping neutral states near m_Z: the off-diagonal width and where pole pseudo-observables fail.

The Z-pole pseudo-observables (:mod:`.zpole`) describe ONE Breit-Wigner eigenstate with its own width.
When a Z'-like state sits close to the Z, both states decay into the same fermions, so the absorptive
part of the neutral-boson self-energy has an off-diagonal element and the propagator is a matrix
(DESIGN.md, "Two overlapping states near m_Z"). For massless fermions f (and the dark current)

    Im Pi_ij(s) = s / (24 pi) sum_f N_c K_f (g_L^i g_L^j + g_R^i g_R^j),

whose diagonal at s = M_i^2 is M_i Gamma_i (the width formula of :mod:`kinmix_stats.model.widths`, PDG Z'
review Eq. 5). We quote the off-diagonal width Gamma_ZZ' = Im Pi_ZZ'(m_Z m_Z') / sqrt(m_Z m_Z'), which by
Cauchy-Schwarz obeys |Gamma_ZZ'| <= sqrt(Gamma_Z Gamma_Z') and equals xi Gamma_Z for a Z' whose couplings
are the Z's times a mixing angle xi. The dark-sector part comes from one current with coupling g_D R_Xk,
so its off-diagonal element is sign(R_XZ R_XZ') sqrt(Gamma_Z,dark Gamma_Z',dark).

When |m_Z' - m_Z| is not large compared with |Gamma_ZZ'|, the eigenstates with diagonal widths are not
the right basis (the width matrix is not diagonal in it) and LEP, which fitted one Breit-Wigner to the
summed line shape, could not have measured the pseudo-observables of either state. The same holds when the
two peaks lie within the LEP-I centre-of-mass energy spread of each other: the peak scan point then sees
both states at once. :func:`pole_overlap` flags both cases.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..inputs.fermions import FERMIONS
from ..inputs.sm import alpha_s_running
from ..model.vector_boson import ZPrime

__all__ = ["off_diagonal_width", "pole_overlap", "PoleOverlap", "OVERLAP_FACTOR"]

#: "a few" widths or spreads: the states count as overlapping within this many of them
OVERLAP_FACTOR = 3.0


def off_diagonal_width(model: ZPrime) -> np.ndarray:
    """Off-diagonal width Gamma_ZZ' in GeV (signed), shape (N,); NaN for masked points.

    Fermion loops above threshold (at the mean mass sqrt(m_Z m_Z'), K_QCD = 1 + alpha_s/pi for quarks as
    in the diagonal widths) plus the dark current; WW and Zh are closed near m_Z and are not included.
    """
    masses = model.masses_all
    mbar = np.sqrt(masses[:, 1] * masses[:, 2])
    gl, gr = model.chiral_all()
    k_qcd = 1.0 + alpha_s_running(mbar, model.sm.alpha_s_mz, model.sm.mz0) / math.pi
    total = np.zeros(mbar.shape)
    for j, f in enumerate(FERMIONS.values()):
        open_ = mbar > 2.0 * f.mass
        prod = gl[:, 1, j] * gl[:, 2, j] + gr[:, 1, j] * gr[:, 2, j]
        k = k_qcd if f.is_quark else 1.0
        total = total + np.where(open_, f.n_colour * k * prod, 0.0)
    gamma = mbar / (24.0 * math.pi) * total
    dark_z = np.atleast_1d(model.partial_width("Z", "dark"))
    dark_zp = np.atleast_1d(model.partial_width("Zp", "dark"))
    r = model.rotation
    sign = np.sign(r[:, 2, 1] * r[:, 2, 2])
    gamma = gamma + sign * np.sqrt(np.clip(dark_z * dark_zp, 0.0, None))
    return np.where(np.asarray(model.valid), gamma, np.nan)


class PoleOverlap(NamedTuple):
    """Result of :func:`pole_overlap` (all shape (N,))."""

    overlapping: np.ndarray  # bool: the single-eigenstate pseudo-observables cannot describe this point
    splitting: np.ndarray  # |m_Z' - m_Z| in GeV
    gamma_off: np.ndarray  # |Gamma_ZZ'| in GeV
    scale: np.ndarray  # max(|Gamma_ZZ'|, LEP-I spread) in GeV


def pole_overlap(model: ZPrime, lep1_spread: float, factor: float = OVERLAP_FACTOR) -> PoleOverlap:
    """Where the Z and Z' overlap: |m_Z' - m_Z| < factor * max(|Gamma_ZZ'|, lep1_spread).

    ``lep1_spread`` is the Gaussian spread of the LEP-I centre-of-mass energy in GeV (> 0). Masked
    points (no Z'-like state) are not flagged here; their status already says why.
    """
    if not (np.isfinite(lep1_spread) and lep1_spread > 0):
        raise ValueError(f"lep1_spread must be a finite energy spread > 0 GeV, got {lep1_spread!r}")
    masses = model.masses_all
    split = np.abs(masses[:, 2] - masses[:, 1])
    g_off = np.abs(off_diagonal_width(model))
    scale = np.maximum(np.nan_to_num(g_off, nan=0.0), lep1_spread)
    flag = np.asarray(model.valid) & (split < factor * scale)
    return PoleOverlap(flag, split, g_off, scale)
