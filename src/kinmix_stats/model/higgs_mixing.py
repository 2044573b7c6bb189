"""Z-Z' mass mixing dM^2 induced by Higgs doublets that carry U(1)' charge (rho0 = 1 Higgs sectors).

Conventions (those of :mod:`.spectrum`)
--------------------------------------
    L > 1/2 m_Z0^2 Z0^2 + dM^2 Z0 X + 1/2 m_X^2 X^2 + g' B J_Y + g W3 J_3 + g_X X J_X,
    Z0 = c_W W3 - s_W B,   g = g_Z c_W,   g' = g_Z s_W,   g_Z = g / c_W.

The fermion couplings fix the covariant derivative up to an overall sign that cancels in |D Phi|^2:
D = d - i (g' Y B + g T3 W3 + g_X z X). Only the relative sign of the three terms matters, and the
code uses the same sign for all three (``ZPrime.chiral_all``: R_B g' Y + R_W3 g T3 + R_X g_X z).

Derivation
----------
Take Higgs doublets Phi_i of hypercharge Y = +1/2 with U(1)' charges z_i and vevs <Phi_i> = (0, v_i/sqrt2)
(neutral component T3 = -1/2), sum_i v_i^2 = v^2 = 4 m_Z0^2 / g_Z^2 (``SMParameters.vev``).
On the neutral component g' Y B + g T3 W3 = (g_Z/2)(s_W B - c_W W3) = -(g_Z/2) Z0, so

    |D Phi_i|^2 > (v_i^2/2) (-(g_Z/2) Z0 + g_X z_i X)^2
               = 1/2 (g_Z^2 v_i^2/4) Z0^2 - (g_Z g_X z_i v_i^2 / 2) Z0 X + 1/2 (g_X^2 z_i^2 v_i^2) X^2.

Summing over i and comparing with the Lagrangian above:

    dM^2 = -(g_Z g_X / 2) sum_i z_i v_i^2 = -(2 g_X / g_Z) m_Z0^2 z_eff,
    z_eff = sum_i z_i v_i^2 / v^2 = z_u sin^2(beta) + z_d cos^2(beta),   tan(beta) = v_u / v_d,

and the Higgs contribution to m_X^2 is g_X^2 sum_i z_i^2 v_i^2 (m_X^2 may also have a Stueckelberg or
singlet-vev part, which does not mix with Z0; singlets do not contribute to dM^2). The sign was
checked in ``tests/test_higgs_mixing.py``: for a U(1)' aligned with hypercharge (every fermion and
the Higgs with z = Y) and m_X^2 = g_X^2 v^2/4 from the Higgs alone, the exact diagonalisation finds a
second massless vector that couples to no SM fermion; with the opposite sign of dM^2 it does not.

Literature. The formula above is DERIVED here (not copied). We tried to retrieve the Z-Z' mixing
section of Langacker, Rev. Mod. Phys. 81 (2009) 1199 (arXiv:0801.1345), where the mass matrix is
written as [[M_Z^2, Delta^2], [Delta^2, M_Z'^2]] with Delta^2 a sum over Higgs fields of (gauge
couplings) x t_3i x Q'_i x vev_i^2 and tan(2 theta) = 2 Delta^2 / (M_Z'^2 - M_Z^2), with the
``search`` tool of this project's environment (docs, pages and code corpora); its text was not
available there, so we cannot quote the equation number, its vev normalisation or its sign
convention, and do not claim a match. What the PDG Z' review states and this module
reproduces: the mass mixing is a term dM^2 Z~ Z~' with the combination Z~ that couples like the SM Z
(text above its Eq. 2); B-xL "allow[s] all SM Yukawa couplings to a Higgs doublet which is neutral
under U(1)_B-xL, so that there is no tree-level Z~-Z~' mixing"; 10+x5bar "leads to Z~-Z~' mass
mixing at tree level, such that for a Z' mass close to the electroweak scale, the measurements at
the Z-pole require some fine tuning between the charges and VEVs of the two Higgs doublets" (our
z_eff(beta), which for x != -3 changes sign at some tan(beta)). The overall sign of a mixing angle
depends on the sign conventions of Z and Z' (ours: Z0 = c_W W3 - s_W B, Z' with a positive X
component, :mod:`.spectrum`); the sign here is the derived one, verified by the massless-state test.
For small mixing the Z eigenvector is Z0 + theta X with theta = dM^2 / (m_Z0^2 - M_Z'^2) + O(theta^2)
(the X component of the Z, Hook et al.'s xi; tested against the exact rotation).

Doublet charges from Yukawa invariance (PDG Table 1 charges, right-handed convention of
:mod:`.charges`: q, u, d, l, e are the charges of Q_L, u_R, d_R, L_L, e_R):

* up-type Yukawa  Qbar PhiTilde_u u_R  (PhiTilde = i sigma2 Phi*, charge -z): z_Phi_u = z_u - z_q;
* down-type and lepton Yukawas  Qbar Phi_d d_R,  Lbar Phi_d e_R  with one doublet:
  z_Phi_d = z_q - z_d = z_l - z_e (must agree, else no single Phi_d gives both masses).

Checks: B-xL gives z_Phi_u = z_Phi_d = 0 (PDG Z' review: the Higgs doublet is neutral under
U(1)_B-xL, no tree-level mixing); chi (10+x5bar, x = -3) gives z_Phi_u = z_Phi_d = -2/3, independent
of tan(beta). Cross-check in E6/SO(10) language: with the GUT-normalised fermion charges
2 sqrt10 Q_chi(Q, u^c, d^c, L, e^c) = (-1, -1, 3, 3, -1) (``model.zprime.LANGACKER_CHARGES``), the
Yukawas Q u^c H_u and Q d^c H_d require 2 sqrt10 Q_chi(H_u) = +2 and 2 sqrt10 Q_chi(H_d) = -2 (equal and
opposite, as for the 5 + 5bar of the SO(10) 10); divided by the PDG->Langacker factor
k_chi = -3/(2 sqrt10) this is -2/3 for Phi_u = H_u and for Phi_d = i sigma2 H_d* (tested); psi and eta
mix with a tan(beta)-dependent strength that changes sign. The sequential Z' (SSM) is not a U(1)'
charge assignment, so it has no Higgs charges: :func:`higgs_doublet_charges` raises for it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_finite, is_real_numeric
from ..inputs.sm import SMParameters
from .charges import SequentialCharges, U1Charges

__all__ = ["higgs_doublet_charges", "effective_higgs_charge", "higgs_mass_mixing", "higgs_x_mass2", "sin2_beta_from_tan_beta"]


def higgs_doublet_charges(charges: U1Charges, *, atol: float = 1e-12) -> tuple[float, float]:
    """(z_Phi_u, z_Phi_d) of the Y = +1/2 doublets giving up- and down-type/lepton masses.

    z_Phi_u = z_u - z_q, z_Phi_d = z_q - z_d = z_l - z_e (see the module docstring). Raises
    ``ValueError`` for the sequential Z' (no U(1)' charges) or when the down-quark and lepton
    Yukawas would need doublets of different charge.
    """
    if isinstance(charges, SequentialCharges):
        raise ValueError(
            "the sequential Z' (SSM) has the couplings of the SM Z, not U(1)' charges, so its Higgs-doublet "
            "charges (and the Higgs-induced Z-Z' mass mixing) are undefined; use delta_m2 = 0 or an explicit delta_m2"
        )
    if not isinstance(charges, U1Charges):
        raise ValueError(f"charges must be a U1Charges instance, got {type(charges).__name__}")
    z_up = charges.u - charges.q
    z_down_quark = charges.q - charges.d
    z_down_lepton = charges.l - charges.e
    if not math.isclose(z_down_quark, z_down_lepton, rel_tol=0.0, abs_tol=atol):
        raise ValueError(
            f"charges {charges.label!r}: the down-quark Yukawa needs a doublet of U(1)' charge z_q - z_d = {z_down_quark!r} "
            f"but the lepton Yukawa needs z_l - z_e = {z_down_lepton!r}; one doublet cannot give both masses"
        )
    return float(z_up) + 0.0, float(z_down_quark) + 0.0  # + 0.0: no -0.0


def sin2_beta_from_tan_beta(tan_beta) -> np.ndarray | float:
    """sin^2(beta) = tan^2 / (1 + tan^2) for tan(beta) in (0, inf) (raises ValueError otherwise)."""
    arr = np.asarray(tan_beta, dtype=float) if is_real_numeric(tan_beta) else None
    if arr is None:
        raise ValueError(f"tan_beta must be a finite number > 0 (accepted range (0, inf)), got {tan_beta!r}")
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if np.any(bad):
        raise ValueError(
            f"tan_beta must be finite and > 0 (accepted range (0, inf)), got {float(np.ravel(arr)[np.ravel(bad)][0])!r}"
        )
    out = arr**2 / (1.0 + arr**2)
    return float(out) if out.ndim == 0 else out


def effective_higgs_charge(charges: U1Charges, *, tan_beta=None, sin2_beta=None):
    """z_eff = z_Phi_u sin^2(beta) + z_Phi_d cos^2(beta) (exactly one of ``tan_beta``, ``sin2_beta``).

    If z_Phi_u = z_Phi_d the result does not depend on beta and either argument may be omitted.
    """
    z_u, z_d = higgs_doublet_charges(charges)
    if tan_beta is not None and sin2_beta is not None:
        raise ValueError("give tan_beta or sin2_beta, not both")
    if tan_beta is None and sin2_beta is None:
        if not math.isclose(z_u, z_d, rel_tol=0.0, abs_tol=1e-12):
            raise ValueError(
                f"charges {charges.label!r}: the Higgs doublets have different U(1)' charges (z_Phi_u={z_u!r}, "
                f"z_Phi_d={z_d!r}), so the mixing depends on tan_beta; give tan_beta or sin2_beta"
            )
        return z_u
    s2: Any
    if tan_beta is not None:
        s2 = sin2_beta_from_tan_beta(tan_beta)
    else:
        s2 = np.asarray(sin2_beta, dtype=float) if is_real_numeric(sin2_beta) else None
        if s2 is None or np.any(~np.isfinite(s2)) or np.any((s2 < 0.0) | (s2 > 1.0)):
            raise ValueError(f"sin2_beta must lie in [0, 1], got {sin2_beta!r}")
        s2 = float(s2) if s2.ndim == 0 else s2
    return z_u * s2 + z_d * (1.0 - s2)


def higgs_mass_mixing(g_x, charges: U1Charges, *, tan_beta=None, sin2_beta=None, sm: SMParameters | None = None):
    """dM^2 (GeV^2) = -(2 g_X / g_Z) m_Z0^2 z_eff from the Higgs doublets (module docstring).

    ``g_x``, ``tan_beta`` / ``sin2_beta`` broadcast (NumPy); scalars give a float. ``sm`` supplies
    m_Z0 and g_Z = g / c_W (default :class:`SMParameters`).
    """
    sm = SMParameters() if sm is None else sm
    if not isinstance(sm, SMParameters):
        raise ValueError(f"sm must be an SMParameters instance, got {type(sm).__name__}")
    if np.ndim(g_x) == 0:
        g_x = check_finite("g_x", g_x)
    else:
        g_x = np.asarray(g_x, dtype=float)
        if not np.all(np.isfinite(g_x)):
            raise ValueError("g_x must be finite")
    z_eff = effective_higgs_charge(charges, tan_beta=tan_beta, sin2_beta=sin2_beta)
    g_z = sm.g / sm.cw
    out = -(2.0 / g_z) * sm.mz0**2 * np.multiply(g_x, z_eff) + 0.0  # + 0.0: no -0.0 for neutral doublets
    return float(out) if np.ndim(out) == 0 else out


def higgs_x_mass2(g_x, charges: U1Charges, *, tan_beta=None, sin2_beta=None, sm: SMParameters | None = None):
    """The doublets' share of m_X^2 (GeV^2): g_X^2 sum_i z_i^2 v_i^2 = g_X^2 v^2 (z_u^2 sin^2 beta + z_d^2 cos^2 beta).

    From the same |D Phi_i|^2 expansion as :func:`higgs_mass_mixing` (module docstring). It does not
    fix the Z' mass (singlet vevs or a Stueckelberg mass add to m_X^2) but enters the h Z Z' coupling
    (``ZPrime(higgs_mass_terms=...)``). ``g_x`` is a scalar (float result) or an array (array result,
    element-wise); ``tan_beta`` / ``sin2_beta`` are scalars.
    """
    sm = SMParameters() if sm is None else sm
    if np.ndim(g_x) == 0:
        g_x = check_finite("g_x", g_x)
    else:
        g_x = np.asarray(g_x, dtype=float) if is_real_numeric(g_x) else None
        if g_x is None or not np.all(np.isfinite(g_x)):
            raise ValueError("g_x must be a finite real number or an array of finite numbers")
    z_u, z_d = higgs_doublet_charges(charges)
    if tan_beta is not None and sin2_beta is not None:
        raise ValueError("give tan_beta or sin2_beta, not both")
    if tan_beta is not None:
        s2 = sin2_beta_from_tan_beta(tan_beta)
    elif sin2_beta is not None:
        s2 = check_finite("sin2_beta", sin2_beta)
        if not 0.0 <= s2 <= 1.0:
            raise ValueError(f"sin2_beta must lie in [0, 1], got {sin2_beta!r}")
    elif math.isclose(z_u, z_d, rel_tol=0.0, abs_tol=1e-12):
        s2 = 1.0
    else:
        raise ValueError(
            f"charges {charges.label!r}: the Higgs doublets have different U(1)' charges (z_Phi_u={z_u!r}, "
            f"z_Phi_d={z_d!r}); give tan_beta or sin2_beta"
        )
    out = g_x**2 * sm.vev**2 * (z_u**2 * s2 + z_d**2 * (1.0 - s2))
    return float(out) if np.ndim(out) == 0 else out
