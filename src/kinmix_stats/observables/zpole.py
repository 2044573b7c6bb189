"""Z-pole pseudo-observables as properties of the physical Z eigenstate (tree level, full theory).

Definitions follow the LEP/SLD combination, hep-ex/0509008 (Phys. Rept. 427 (2006) 257), Sec. 1.4:
* Gamma_Z = sum of partial widths, including the exotic (dark) width the Z inherits from the mixing
  (arXiv:1006.0973 Eq. 14);
* sigma0_had = 12 pi Gamma_ee Gamma_had / (m_Z^2 Gamma_Z^2);
* R_l = Gamma_had / Gamma_ll, R_q = Gamma_qq / Gamma_had;
* A_f = 2 g_V g_A / (g_V^2 + g_A^2) = (g_L^2 - g_R^2)/(g_L^2 + g_R^2);  A_FB^{0,f} = 3/4 A_e A_f.
The pseudo-observables describe the Z resonance only; a Z' within a few widths of m_Z would also
distort the measured line shape, which these definitions (like the experiments' fits) do not include.
"""

from __future__ import annotations

import math

import numpy as np

from ..inputs.sm import HBARC2_GEV2_NB
from ..model.vector_boson import ZPrime
from .amplitudes import chiral_couplings_all

__all__ = ["gamma_z", "sigma_had0", "r_lepton", "r_quark", "asymmetry", "afb0"]


def _w(model: ZPrime, channel: str) -> np.ndarray:
    return np.atleast_1d(model.partial_width("Z", channel))


def gamma_z(model: ZPrime) -> np.ndarray:
    """Total Z width in GeV."""
    return np.atleast_1d(model.total_width("Z"))


def sigma_had0(model: ZPrime) -> np.ndarray:
    """Hadronic pole cross section in nb."""
    mz = np.atleast_1d(model.mz)
    return 12.0 * math.pi * _w(model, "e") * _w(model, "hadrons") / (mz**2 * gamma_z(model) ** 2) * HBARC2_GEV2_NB


def r_lepton(model: ZPrime, lepton: str) -> np.ndarray:
    """R_l = Gamma_had / Gamma(Z -> l l)."""
    return _w(model, "hadrons") / _w(model, lepton)


def r_quark(model: ZPrime, quark: str) -> np.ndarray:
    """R_q = Gamma(Z -> q qbar) / Gamma_had."""
    return _w(model, quark) / _w(model, "hadrons")


def asymmetry(model: ZPrime, fermion: str) -> np.ndarray:
    """A_f = (g_L^2 - g_R^2)/(g_L^2 + g_R^2) of the physical Z."""
    gl, gr = chiral_couplings_all(model, fermion)
    return (gl[:, 1] ** 2 - gr[:, 1] ** 2) / (gl[:, 1] ** 2 + gr[:, 1] ** 2)


def afb0(model: ZPrime, fermion: str) -> np.ndarray:
    """Pole forward-backward asymmetry A_FB^{0,f} = 3/4 A_e A_f."""
    return 0.75 * asymmetry(model, "e") * asymmetry(model, fermion)
