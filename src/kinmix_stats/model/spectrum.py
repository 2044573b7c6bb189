"""Exact, non-perturbative diagonalisation of kinetic and mass mixing of B, W3 and a new U(1) field X.

Lagrangian (gauge basis, arXiv:1006.0973 Eq. 1 extended by the PDG Z' review text above its Eq. 2):

    L > -1/4 B^2 - 1/4 W3^2 - 1/4 X^2 - (sin eps / 2) X_{mu nu} B^{mu nu}
        + 1/2 m_Z0^2 Z0^2 + dM^2 Z0 X + 1/2 m_X^2 X^2
        + g' B J_Y + g W3 J_3 + g_X X J_X + g_D X J_D,           Z0 = c_W W3 - s_W B.

Step 1 (kinetic matrix -> identity): B = B^ - tan(eps) X^, X = X^ / cos(eps), W3 = W3^ (the matrix
``P`` below, P^T K P = 1; it keeps the SM fields canonical, as in arXiv:1006.0973).
Step 2 (mass matrix -> diagonal): the real symmetric M^2' = P^T M^2 P is diagonalised by an
orthogonal O: the photon (c_W, s_W, 0) is split off exactly (it is a null vector by U(1)_em gauge
invariance) and the remaining (Z0^, X^) block is diagonalised with ``numpy.linalg.eigh``, vectorised
over many parameter points. The gauge fields are
then ``phi_gauge = R phi_mass`` with R = P O, and eigenstate k couples to the currents with
``R_Bk g' J_Y + R_W3k g J_3 + R_Xk (g_X J_X + g_D J_D)``.

States are ordered (A, Z, Z'): A is the massless one; of the other two, "Z" is the one with the larger
Z0^ = c_W W3^ - s_W B^ component, so the labels never swap silently when m_Z' crosses m_Z0. Signs: A
couples as +eQ; Z has a positive Z0^ component; Z' has a positive X^ component (arXiv:1006.0973 Eq. 5).

Physical-mass input: in the (Z0^, X^) block [[a, b], [b, d]] (the photon decouples exactly) one
eigenvalue equals m_Z'^2 = lam iff d = lam + b^2/(a - lam); since d = d0 + m_X^2/cos^2 eps this
solves the Lagrangian mass in closed form. The state is Z'-like only if (lam - a)^2 > b^2, i.e. m_Z'
lies outside the window sqrt(a -+ |b|) around m_Z0 (half-width ~ m_Z0 s_W tan(eps)/2 for pure kinetic
mixing, about 0.2 GeV at eps = 0.01).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inputs.sm import SMParameters

__all__ = ["MixingInputs", "Diagonalisation", "diagonalise", "solve_mx2", "zprime_window", "NoZPrimeStateError"]


class NoZPrimeStateError(ValueError):
    """Raised when no Z'-like eigenstate of the requested physical mass exists."""


@dataclass(frozen=True)
class MixingInputs:
    """Broadcast arrays (N,) of the mixing parameters: eps (Hook), dM^2 (GeV^2)."""

    epsilon: np.ndarray
    delta_m2: np.ndarray


def _kinetic_transform(epsilon: np.ndarray) -> np.ndarray:
    """(N,3,3) matrix P with phi_gauge = P phi_hat in the basis (B, W3, X)."""
    n = epsilon.shape[0]
    p = np.zeros((n, 3, 3))
    p[:, 0, 0] = 1.0
    p[:, 1, 1] = 1.0
    p[:, 0, 2] = -np.tan(epsilon)
    p[:, 2, 2] = 1.0 / np.cos(epsilon)
    return p


def _gauge_mass_matrix(sm: SMParameters, mx2: np.ndarray, delta_m2: np.ndarray) -> np.ndarray:
    """(N,3,3) mass-squared matrix in (B, W3, X): m_Z0^2 Z0 Z0^T + dM^2 (Z0 X^T + X Z0^T) + m_X^2 X X^T."""
    s, c, m0sq = sm.sw, sm.cw, sm.mz0**2
    n = mx2.shape[0]
    m = np.zeros((n, 3, 3))
    z0 = np.array([-s, c, 0.0])
    m += m0sq * np.outer(z0, z0)
    m[:, 0, 2] = m[:, 2, 0] = -s * delta_m2
    m[:, 1, 2] = m[:, 2, 1] = c * delta_m2
    m[:, 2, 2] = mx2
    return m


def _block(sm: SMParameters, epsilon: np.ndarray, delta_m2: np.ndarray):
    """Entries a, b, d0 of the (Z0^, X^) mass block at m_X = 0."""
    s, m0sq = sm.sw, sm.mz0**2
    t, c_eps = np.tan(epsilon), np.cos(epsilon)
    a = np.full_like(epsilon, m0sq)
    b = m0sq * s * t + delta_m2 / c_eps
    d0 = m0sq * s**2 * t**2 + 2.0 * delta_m2 * s * t / c_eps
    return a, b, d0


def zprime_window(sm: SMParameters, epsilon, delta_m2=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper physical masses (GeV) between which no Z'-like eigenstate exists.

    ``epsilon`` and ``delta_m2`` are scalars or arrays broadcast against each other (at least 1-d result).
    """
    shape = np.broadcast_shapes(np.shape(epsilon), np.shape(delta_m2))
    epsilon = np.atleast_1d(np.broadcast_to(np.asarray(epsilon, dtype=float), shape).astype(float))
    delta_m2 = np.broadcast_to(np.asarray(delta_m2, dtype=float), epsilon.shape)
    a, b, _ = _block(sm, epsilon, delta_m2)
    return np.sqrt(np.clip(a - np.abs(b), 0.0, None)), np.sqrt(a + np.abs(b))


def solve_mx2(sm: SMParameters, mass, epsilon, delta_m2=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Lagrangian m_X^2 giving a Z'-like eigenstate of physical mass ``mass`` (closed form, exact).

    ``epsilon`` and ``delta_m2`` are scalars or arrays broadcastable to the (1-d) masses.

    Returns ``(mx2, valid)``; ``valid`` is False where no Z'-like state of that mass exists (inside the
    window around m_Z0, or where it would need m_X^2 < 0). Invalid entries of ``mx2`` are NaN.
    """
    mass = np.atleast_1d(np.asarray(mass, dtype=float))
    epsilon = np.broadcast_to(np.asarray(epsilon, dtype=float), mass.shape).astype(float)
    delta_m2 = np.broadcast_to(np.asarray(delta_m2, dtype=float), mass.shape).astype(float)
    a, b, d0 = _block(sm, epsilon, delta_m2)
    lam = mass**2
    with np.errstate(divide="ignore", invalid="ignore"):
        d = lam + b**2 / (a - lam)
        mx2 = np.cos(epsilon) ** 2 * (d - d0)
    zp_like = (lam - a) ** 2 > b**2
    valid = zp_like & np.isfinite(mx2) & (mx2 >= -1e-12 * a)
    return np.where(valid, np.clip(mx2, 0.0, None), np.nan), valid


@dataclass(frozen=True)
class Diagonalisation:
    """Result of the exact diagonalisation for N parameter points.

    Attributes
    ----------
    masses: (N, 3) physical masses of (A, Z, Z') in GeV.
    rotation: (N, 3, 3) matrix R with (B, W3, X)_gauge = R (A, Z, Z')_mass.
    hat_vectors: (N, 3, 3) orthogonal O (columns: eigenvectors in the canonical basis (B^, W3^, X^)).
    z0_fraction: (N, 3) squared Z0^ component of each eigenstate.
    z0_hat: (3,) the Z0^ direction c_W W3^ - s_W B^ in the canonical basis.
    """

    masses: np.ndarray
    rotation: np.ndarray
    hat_vectors: np.ndarray
    z0_fraction: np.ndarray
    z0_hat: np.ndarray

    @property
    def xi(self) -> np.ndarray:
        """Hook et al.'s Z0^-X^ mixing angle xi (Z = cos xi Z0^ + sin xi X^, arXiv:1006.0973 Eq. 5)."""
        return np.arctan2(self.hat_vectors[:, 2, 1], self.z0_component[:, 1])

    @property
    def z0_component(self) -> np.ndarray:
        """(N, 3) signed Z0^ component of (A, Z, Z')."""
        o = self.hat_vectors
        return np.einsum("i,nik->nk", self.z0_hat, o)


def diagonalise(sm: SMParameters, epsilon, mx2, delta_m2=0.0) -> Diagonalisation:
    """Diagonalise kinetic + mass mixing exactly for arrays (broadcast to (N,)) of eps, m_X^2, dM^2."""
    mx2 = np.atleast_1d(np.asarray(mx2, dtype=float))
    shape = np.broadcast_shapes(mx2.shape, np.shape(epsilon), np.shape(delta_m2))
    mx2 = np.broadcast_to(mx2, shape).astype(float).ravel()
    epsilon = np.broadcast_to(np.asarray(epsilon, dtype=float), shape).astype(float).ravel()
    delta_m2 = np.broadcast_to(np.asarray(delta_m2, dtype=float), shape).astype(float).ravel()

    p = _kinetic_transform(epsilon)
    m2 = _gauge_mass_matrix(sm, mx2, delta_m2)
    m2_hat = np.einsum("nji,njk,nkl->nil", p, m2, p)

    # The photon (c, s, 0) is an exact null vector of M^2' (unbroken U(1)_em): split it off exactly and
    # diagonalise the remaining (Z0^, X^) block numerically, which keeps the photon coupling eQ to
    # machine precision even for nearly massless Z'.
    s, c = sm.sw, sm.cw
    z0_hat = np.array([-s, c, 0.0])
    photon_hat = np.array([c, s, 0.0])
    x_hat = np.array([0.0, 0.0, 1.0])
    u = np.stack([photon_hat, z0_hat, x_hat], axis=1)  # columns
    block = np.einsum("ji,njk,kl->nil", u[:, 1:], m2_hat, u[:, 1:])
    block = 0.5 * (block + np.swapaxes(block, 1, 2))
    evals, evecs = np.linalg.eigh(block)  # ascending; columns in the (Z0^, X^) basis
    # "Z" is the state with the larger Z0^ component
    z_first = evecs[:, 0, 0] ** 2 >= evecs[:, 0, 1] ** 2
    i_z = np.where(z_first, 0, 1)
    i_zp = 1 - i_z
    n = evals.shape[0]
    idx = np.arange(n)
    v_z = evecs[idx, :, i_z]
    v_zp = evecs[idx, :, i_zp]
    v_z = v_z * np.where(v_z[:, 0] < 0, -1.0, 1.0)[:, None]  # positive Z0^ component
    v_zp = v_zp * np.where(v_zp[:, 1] < 0, -1.0, 1.0)[:, None]  # positive X^ component
    o = np.empty((n, 3, 3))
    o[:, :, 0] = photon_hat
    o[:, :, 1] = v_z @ u[:, 1:].T
    o[:, :, 2] = v_zp @ u[:, 1:].T
    lam = np.stack([np.zeros(n), evals[idx, i_z], evals[idx, i_zp]], axis=1)

    rotation = np.einsum("nij,njk->nik", p, o)
    z0_comp = np.einsum("i,nik->nk", z0_hat, o)
    return Diagonalisation(
        masses=np.sqrt(np.clip(lam, 0.0, None)),
        rotation=rotation,
        hat_vectors=o,
        z0_fraction=z0_comp**2,
        z0_hat=z0_hat,
    )
