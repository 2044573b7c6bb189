"""Low-energy parity-violating neutral currents: nuclear and proton weak charges, tree level in the full theory.

Effective interaction
---------------------
At momentum transfer Q^2 = -q^2 << m_Z^2, exchange of a massive vector V with L = V_mu fbar gamma^mu (g_V^f - g_A^f
gamma5) f gives (integrate V out: L_eff = -J_V^2 / (2 m_V^2), the cross term between the electron and a quark current)

    L_eff  >  sum_V g_A^e(V) g_V^q(V) / (m_V^2 + Q^2)  (ebar gamma_mu gamma5 e)(qbar gamma^mu q).

Normalised to the PDG convention L = (G_F / sqrt 2) sum_q g_AV^{eq} (ebar gamma_mu gamma5 e)(qbar gamma^mu q)
(PDG electroweak review, "Low energy electroweak observables"; the same coupling is called C_1q),

    g_AV^{eq} = (sqrt 2 / G_F) sum_{V = Z, Z'} g_A^e(V) g_V^q(V) / (m_V^2 + Q^2),

with the couplings of the physical (mixed) Z and Z' from the exact diagonalisation
(:meth:`~kinmix_stats.model.ZPrime.couplings`) and their physical masses. The photon is vector-like (g_A = 0,
tested) and does not contribute. For the SM Z alone this reproduces the tree values g_AV^{eu} = -1/2 + 4/3 s_W^2,
g_AV^{ed} = 1/2 - 2/3 s_W^2 (tested), because G_F = pi alpha / (sqrt 2 m_W^2 s_W^2) in the package's tree scheme
(:class:`~kinmix_stats.inputs.SMParameters`); G_F is held fixed in fits and the W does not mix, so muon decay
does not see the Z'. The weak charge of a nucleus with Z protons and N neutrons is

    Q_W(Z, N) = -2 [ Z (2 g_AV^{eu} + g_AV^{ed}) + N (g_AV^{eu} + 2 g_AV^{ed}) ]

(tree level: Q_W(p) = 1 - 4 s_W^2, Q_W(n) = -1), the expression used with these couplings by Erler and Su,
arXiv:1303.5522 (Eqs. 96-97 there, as quoted in public fitting code).

What the Z' does
----------------
* contact term: its own g_A^e g_V^q / (M^2 + Q^2), i.e. the PDG review's "Z' exchange" shift of C_1q;
* mixing: the shifted couplings and mass of the physical Z (Z-Z' mass and kinetic mixing).
Both are in the sum above; nothing is linearised.

Radiative corrections
---------------------
The SM weak charges carry large loop corrections (Q_W(p): 0.0708 against 1 - 4 s_W^2 = 0.075 at tree level).
The new-physics shift is a tree-level effect on top of them, so the likelihood compares
Delta Q_W = Q_W^tree(model) - Q_W^tree(SM, p0) with the measured deviation from the SM value the experiment
quotes: delta_th = Delta Q_W / Q_W^SM,quoted (:data:`SHIFT_NORMALISED`, applied in
:class:`~kinmix_stats.likelihood.PrecisionLikelihood`). The quoted SM value and its source are in the data file.
"""

from __future__ import annotations

import numpy as np

from ..inputs.fermions import FERMIONS
from ..model.vector_boson import ZPrime

__all__ = ["SHIFT_NORMALISED", "c1_couplings", "weak_charge"]

#: observables whose theory residual is (X_th - X_th,SM(p0)) / X_SM,quoted instead of X_th / X_th,SM(p0) - 1
SHIFT_NORMALISED: tuple[str, ...] = ("Q_W",)


def c1_couplings(model: ZPrime, q2=0.0) -> tuple[np.ndarray, np.ndarray]:
    """(g_AV^{eu}, g_AV^{ed}) = (C_1u, C_1d) at momentum transfer ``q2`` = Q^2 >= 0 (GeV^2); shapes (N, K).

    ``q2`` is a scalar or an array of K values; masked model points (no Z'-like state) give NaN.
    """
    q2 = np.atleast_1d(np.asarray(q2, dtype=float))
    if np.any(~np.isfinite(q2) | (q2 < 0)):
        bad = q2[~np.isfinite(q2) | (q2 < 0)][0]
        raise ValueError(f"Q2 must be finite and >= 0 GeV^2 (spacelike momentum transfer, accepted range [0, inf)), got {float(bad)!r}")
    gv, ga = model.vector_axial_all()  # (N, 3, n_f): (A, Z, Z')
    masses = model.masses_all  # physical (A, Z, Z') masses, (N, 3)
    names = list(FERMIONS)
    i_e, i_u, i_d = names.index("e"), names.index("u"), names.index("d")
    norm = np.sqrt(2.0) / model.sm.gf
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points (no Z'-like state, mass 0) only
        prop = 1.0 / (masses[:, 1:, None] ** 2 + q2[None, None, :])  # (N, 2, K): Z, Z'
        for iq in (i_u, i_d):
            prod = (ga[:, 1:, i_e] * gv[:, 1:, iq])[:, :, None]  # (N, 2, 1)
            out.append(norm * np.sum(prod * prop, axis=1))
    return out[0], out[1]


def weak_charge(model: ZPrime, Z, N, Q2) -> np.ndarray:
    """Weak charge Q_W(Z, N) at momentum transfer Q2 (GeV^2), shape (N_models, K).

    ``Z``, ``N`` (proton and neutron numbers, >= 0) and ``Q2`` broadcast to K entries.
    """
    z, n, q2 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, dtype=float)) for x in (Z, N, Q2)))
    for name, arr in (("Z", z), ("N", n)):
        if np.any(~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))):
            raise ValueError(f"{name} must be a whole number >= 0 (accepted range [0, inf)), got {arr.tolist()!r}")
    c1u, c1d = c1_couplings(model, q2)
    with np.errstate(invalid="ignore"):  # masked points only
        return -2.0 * (z[None, :] * (2.0 * c1u + c1d) + n[None, :] * (c1u + 2.0 * c1d))
