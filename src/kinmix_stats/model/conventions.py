"""Converters between the three names of the kinetic-mixing parameter.

* Hook et al. (arXiv:1006.0973, Eq. 1): L > -(sin eps / 2) F'_{mu nu} B^{mu nu}. This is the package's
  ``epsilon`` everywhere (inputs, outputs, plots).
* PDG Z' review (Chen, Dobrescu, Willocq, rev. 2016, text above Eq. 2): L > -(chi / 2) B_{mu nu} Z~'^{mu nu},
  hence chi = sin(eps) exactly.
* The photon-like epsilon_gamma of CMS (arXiv:1912.04776), BaBar (arXiv:1406.2980), LHCb
  (arXiv:1910.06926) and Darkcast: at m_Z' << m_Z the dark photon couples as epsilon_gamma e Q.
  In Hook's convention the low-mass Z' couples as c_W tan(eps) e Q at leading order (the A' row of
  arXiv:1006.0973 Eq. 5 with xi -> 0), so epsilon_gamma = c_W * eps to leading order in eps; we use
  that linear relation, which is what those experiments mean by epsilon.
"""

from __future__ import annotations

import numpy as np

from ..inputs.sm import PDG

__all__ = ["chi_from_epsilon", "epsilon_from_chi", "epsilon_gamma_from_epsilon", "epsilon_from_epsilon_gamma"]


def _cw(sin2_theta_w: float | None) -> float:
    s2 = PDG.SIN2_THETA_W.value if sin2_theta_w is None else float(sin2_theta_w)
    if not 0.0 < s2 < 1.0:
        raise ValueError(f"sin2_theta_w must lie in (0, 1), got {s2!r}")
    return float(np.sqrt(1.0 - s2))


def chi_from_epsilon(epsilon):
    """PDG chi = sin(eps) (exact)."""
    return np.sin(epsilon)


def epsilon_from_chi(chi):
    """Hook eps = arcsin(chi) (exact); |chi| must be <= 1."""
    chi = np.asarray(chi, dtype=float)
    if np.any(np.abs(chi) > 1):
        raise ValueError(f"chi must lie in [-1, 1], got {chi!r}")
    return np.arcsin(chi)


def epsilon_gamma_from_epsilon(epsilon, sin2_theta_w: float | None = None):
    """Photon-like epsilon_gamma = c_W eps (leading order; CMS/BaBar/LHCb convention)."""
    return _cw(sin2_theta_w) * np.asarray(epsilon, dtype=float)


def epsilon_from_epsilon_gamma(epsilon_gamma, sin2_theta_w: float | None = None):
    """Hook eps = epsilon_gamma / c_W (leading order)."""
    return np.asarray(epsilon_gamma, dtype=float) / _cw(sin2_theta_w)
