"""Tree-level partial widths of a massive neutral vector boson V.

* V -> f fbar for L = V_mu fbar gamma^mu (g_V - g_A gamma5) f (standard two-body result):
      Gamma = N_c m beta / (12 pi) [g_V^2 (1 + 2 r) + g_A^2 (1 - 4 r)] K_QCD,   r = m_f^2/m^2, beta = sqrt(1 - 4r).
  For massless fermions this is (g_L^2 + g_R^2) m / (24 pi) N_c, the PDG Z' review Eq. 5.
  K_QCD = 1 + alpha_s(m)/pi for quarks (leading QCD correction, PDG QCD review Eq. 9.7 at O(alpha_s)).
* V -> W+W- through the W3 component (coupling g_WWV = g R_W3,V):
      Gamma = g_WWV^2 m / (192 pi) (m/m_W)^4 beta_W^3 (1 + 20 r_W + 12 r_W^2),   r_W = m_W^2/m^2
  (Altarelli, Mele, Ruiz-Altaba, Z. Phys. C45 (1989) 109; with the mixing angle written into g_WWV).
* V -> Z h through the Higgs-doublet mass terms 1/2 (1 + h/v)^2 [m_Z0^2 Z0^2 + 2 dM_H^2 Z0 X + m_XH^2 X^2]
  (SM-like h along the vev direction, i.e. the alignment limit of a multi-doublet sector), coupling
  g_hZV = (2/v) [m_Z0^2 a_Z a_V + dM_H^2 (a_Z b_V + b_Z a_V) + m_XH^2 b_Z b_V], a_k and b_k the Z0 and
  X components of eigenstate k; dM_H^2 and m_XH^2 = g_X^2 sum_i z_i^2 v_i^2 are the doublets' share of the
  mass mixing and of m_X^2 (both zero unless ``ZPrime(higgs_mass_terms=...)`` says dM^2 is the doublets'):
      Gamma = g_hZV^2 |p| (3 + |p|^2/m_Z^2) / (24 pi m^2)
  (derived here: polarisation sum of L = g h Z_mu V^mu). With Higgs-sector mixing the dM_H^2 term dominates
  for M >> m_Z and restores the equivalence theorem Gamma(Zh) -> Gamma(WW) (tested).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fermion_width", "ww_width", "zh_width", "two_body_momentum"]


def fermion_width(mass, g_v, g_a, m_f: float, n_colour: int, k_qcd=1.0):
    """Gamma(V -> f fbar) in GeV (zero below threshold); broadcasts over arrays."""
    mass = np.asarray(mass, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(mass > 0, (m_f / np.where(mass > 0, mass, 1.0)) ** 2, np.inf)
        open_ = r < 0.25
        beta = np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None))
        rr = np.where(open_, r, 0.0)
        width = n_colour * mass * beta / (12.0 * math.pi) * (g_v**2 * (1.0 + 2.0 * rr) + g_a**2 * (1.0 - 4.0 * rr)) * k_qcd
    return np.where(open_, width, 0.0)


def ww_width(mass, g_wwv, m_w: float):
    """Gamma(V -> W+ W-) in GeV (zero below threshold)."""
    mass = np.asarray(mass, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (m_w / mass) ** 2
        open_ = r < 0.25
        beta = np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None))
        width = g_wwv**2 * mass / (192.0 * math.pi) * (mass / m_w) ** 4 * beta**3 * (1.0 + 20.0 * r + 12.0 * r**2)
    return np.where(open_, width, 0.0)


def two_body_momentum(m, m1, m2):
    """Momentum of either daughter in the rest frame of m -> m1 m2 (0 below threshold)."""
    m = np.asarray(m, dtype=float)
    lam = (m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m > m1 + m2, np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * m), 0.0)


def zh_width(mass, g_hzv, m_z, m_h: float):
    """Gamma(V -> Z h) in GeV for L = g_hzv h Z_mu V^mu (zero below threshold)."""
    mass = np.asarray(mass, dtype=float)
    p = two_body_momentum(mass, m_z, m_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = g_hzv**2 * p * (3.0 + p**2 / np.asarray(m_z) ** 2) / (24.0 * math.pi * mass**2)
    return np.where(p > 0, width, 0.0)
