"""The Z line shape with both neutral states: e+e- -> f fbar through the Z-Z' propagator matrix (issue #14).

Near m_Z the Z and a Z'-like state decay into the same fermions, so the absorptive part of the neutral-boson
self-energy is a matrix, not two numbers (:mod:`.two_state`). In the basis of the two massive mass eigenstates
(Z, Z') of :mod:`kinmix_stats.model` the inverse propagator is

    D(s)^-1 = s 1 - M^2 + i W,   M^2 = diag(m_Z^2, m_Z'^2),   W = [[m_Z Gamma_Z, w], [w, m_Z' Gamma_Z']],

with W_ij = Im Pi_ij, the fermion loops (and the dark current) shared by both states. For massless fermions
Im Pi_ij(s) = s/(24 pi) sum_f N_c K_f (g_L^i g_L^j + g_R^i g_R^j) (i.e. sqrt(s) Gamma_ij(s) with
Gamma_ij = sqrt(s) sum_f N_c K_f (g_V^i g_V^j + g_A^i g_A^j)/(12 pi)), whose diagonal at s = m_i^2 is m_i Gamma_i,
the widths of :mod:`kinmix_stats.model.widths`. This is the standard treatment of mixed unstable states (the
Dyson-resummed propagator matrix with off-diagonal absorptive parts; e.g. G. Cacciapaglia, A. Deandrea,
S. De Curtis, "Nearby resonances beyond the Breit-Wigner approximation", Phys. Lett. B 682 (2009) 43 -- cited from
memory, we could not open it here, so no equation numbers; every formula below is derived in this docstring). As everywhere in this package the widths are fixed (Im Pi taken at the poles; the same convention
as the single-state Breit-Wigners of :mod:`.amplitudes`): the diagonal of W is m_i Gamma_i with the model's total
widths (every open channel, thresholds, K_QCD), the off-diagonal w = Im Pi_ZZ'(s = m_Z^2) = m_Z^2 Gamma_ZZ'/sqrt(m_Z m_Z')
from :func:`.two_state.off_diagonal_width` (which is quoted at the geometric-mean mass; Im Pi grows like s, and the
line shape is measured at s ~ m_Z^2: for nearby states the two agree, for a far state the mean-mass value would
overstate the mixing by m_Z'/m_Z), clipped to the Cauchy-Schwarz bound |w| <= sqrt(W_11 W_22) (W is positive
semi-definite; the diagonal widths' quark-mass factors and alpha_s scale differ from those of the off-diagonal
one by < 2e-3). The photon is kept as the pure 1/s pole: its absorptive mixing Im Pi_gamma,Z(') is an O(alpha)
correction to the interference term, which this tree-level treatment neglects for the Z as well.

Pole decomposition. The complex symmetric matrix M^2 - i W has two eigenvalues lambda_k (Im lambda_k <= 0 since
W >= 0), and D(s) = sum_k R_k / (s - lambda_k) with residues R_k = adj(lambda_k - M^2 + i W)/(lambda_k - lambda_l),
R_1 + R_2 = 1 (two complex poles, each a Breit-Wigner with a complex residue: adj(s - M^2 + iW) is linear in s). The
helicity amplitudes are then

    f_ij(s) = Q_ij / s + sum_k C_k,ij / (s - lambda_k),   C_k,ij = u_i^T R_k v_j,

u_i = (g_i^e(Z), g_i^e(Z')), v_j = (g_j^f(Z), g_j^f(Z')), Q_ij = g_i^e(A) g_j^f(A), and sigma, A_FB follow as in
:mod:`.amplitudes`. With w = 0 (``off_diagonal=False``) this is exactly the single-state sum of two Breit-Wigners of
:func:`.ee_ffbar.sigma_ee_ff` (tested), and for eps -> 0 the SM.

Beam-energy spread: Gaussian in sqrt(s), applied exactly to *every* pole (Z included), since
s'|f|^2 is a combination of 1/(s' - lambda) terms:  s' P_k conj(P_l) = [lambda_k P_k - conj(lambda_l) conj(P_l)]
/(lambda_k - conj(lambda_l)), P_k = 1/(s' - lambda_k), whose Gaussian average is the Faddeeva form of
:func:`.amplitudes.gaussian_average_propagator`; <1/s'> = (1 + 3 spread^2/s)/s to second order.

Initial-state radiation (optional, ``isr_x_max``): the smeared cross sections (numerator and denominator of A_FB
separately) are convolved with the Kuraev-Fadin radiator of :mod:`.isr`, sigma(s) = int_0^x_max H(x, s)
sigma_smeared(s (1 - x)) dx, on a composite Gauss-Legendre rule in u = x^beta (48 panels x 8 nodes: resolves a
narrow Z' smeared by the LEP-I spread). The radiated fraction that the data accept (x_max) is an input: LEP-I
line-shape papers quote cross sections with ISR for their own acceptance, which our sources do not give.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..inputs.fermions import FERMIONS, QUARKS
from ..inputs.sm import HBARC2_GEV2_PB, PDG, SMParameters
from ..model.vector_boson import ZPrime
from .amplitudes import chiral_couplings_all
from .ee_ffbar import FINAL_STATES, qcd_k_factor
from .isr import isr_beta, radiator, soft_coefficient
from .smearing import gaussian_average_propagator
from .two_state import off_diagonal_width

__all__ = [
    "width_matrix", "propagator_poles", "propagator_matrix", "two_state_sigma", "two_state_afb",
    "effective_pole_observables", "LINESHAPE_OBSERVABLES", "SCAN_OFFSETS_GEV",
]

_HELICITIES = (("LL", "L", "L"), ("RR", "R", "R"), ("LR", "L", "R"), ("RL", "R", "L"))
_GL8 = np.polynomial.legendre.leggauss(8)
_ISR_PANELS = 48


def width_matrix(model: ZPrime, *, off_diagonal: bool = True) -> np.ndarray:
    """(N, 2, 2) absorptive matrix W = Im Pi in GeV^2 in the (Z, Z') mass basis (NaN rows for masked points).

    Diagonal m_i Gamma_i (the model's total widths); off-diagonal Im Pi_ZZ'(m_Z^2) = m_Z^2 Gamma_ZZ'/sqrt(m_Z m_Z')
    clipped to |w| <= sqrt(W_ZZ W_Z'Z'), or 0 with ``off_diagonal=False`` (two independent Breit-Wigners).
    """
    masses = model.masses_all
    valid = np.asarray(model.valid)
    w11 = masses[:, 1] * np.atleast_1d(model.total_width("Z"))
    w22 = masses[:, 2] * np.atleast_1d(model.total_width("Zp"))
    out = np.zeros((masses.shape[0], 2, 2))
    out[:, 0, 0], out[:, 1, 1] = w11, w22
    if off_diagonal:
        with np.errstate(invalid="ignore", divide="ignore"):  # masked rows (a zero mass) become NaN below
            # Im Pi_ZZ'(s) = s Gamma_ZZ'/sqrt(m_Z m_Z') for massless fermions, taken at s = m_Z^2 where the line shape is
            # measured (at the geometric-mean mass it would overstate the mixing of a far state by m_Z'/m_Z)
            w = masses[:, 1] ** 2 / np.sqrt(masses[:, 1] * masses[:, 2]) * off_diagonal_width(model)
            bound = np.sqrt(np.clip(w11 * w22, 0.0, None))
            w = np.clip(w, -bound, bound)
        out[:, 0, 1] = out[:, 1, 0] = w
    out[~valid] = np.nan
    return out


def propagator_poles(model: ZPrime, *, off_diagonal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Poles lambda_k (N, 2) in GeV^2 and residues R_k (N, 2, 2, 2) [k, a, b] with D(s) = sum_k R_k / (s - lambda_k).

    Closed form for the 2x2 complex symmetric M^2 - i W (a, b its diagonal, c = -i w): with h = (a - b)/2 and
    r = sqrt(h^2 + c^2) on the branch Re(conj(h) r) >= 0, delta = c^2/(r + h) = r - h, lambda_1 = (a + b)/2 + r = a + delta
    (-> a as w -> 0), lambda_2 = (a + b)/2 - r = b - delta (both written without cancellation),
    R_1 = [[h + r, c], [c, delta]]/(2 r), R_2 = [[delta, -c], [-c, h + r]]/(2 r).
    """
    masses = model.masses_all
    wm = width_matrix(model, off_diagonal=off_diagonal)
    a = masses[:, 1] ** 2 - 1j * wm[:, 0, 0]
    b = masses[:, 2] ** 2 - 1j * wm[:, 1, 1]
    c = -1j * wm[:, 0, 1]
    h = 0.5 * (a - b)
    r = np.sqrt(h * h + c * c)
    r = np.where(np.real(np.conj(h) * r) >= 0.0, r, -r)
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points only (NaN rows)
        delta = c * c / (r + h)
        lam = np.stack([a + delta, b - delta], axis=1)  # = (a + b)/2 +- r without cancellation for far-apart states
        res = np.empty((masses.shape[0], 2, 2, 2), dtype=complex)
        res[:, 0, 0, 0], res[:, 0, 0, 1], res[:, 0, 1, 0], res[:, 0, 1, 1] = h + r, c, c, delta
        res[:, 1, 0, 0], res[:, 1, 0, 1], res[:, 1, 1, 0], res[:, 1, 1, 1] = delta, -c, -c, h + r
        res = res / (2.0 * r)[:, None, None, None]
    # W >= 0 gives Im lambda <= 0; keep every pole strictly below the real axis (a state whose couplings are exactly
    # proportional to the other's has a zero-width partner, which decouples: its residue with any current vanishes)
    lam = np.real(lam) + 1j * np.minimum(np.imag(lam), -1e-12 * np.abs(np.real(lam)))
    return lam, res


def propagator_matrix(model: ZPrime, s, *, off_diagonal: bool = True) -> np.ndarray:
    """D(s) = (s - M^2 + i W)^-1 by direct inversion, shape (N, K, 2, 2): the reference for the pole form."""
    s = np.atleast_1d(np.asarray(s, dtype=float))
    masses = model.masses_all
    wm = width_matrix(model, off_diagonal=off_diagonal)
    inv = np.zeros((masses.shape[0], s.size, 2, 2), dtype=complex)
    inv[:, :, 0, 0] = s[None, :] - masses[:, 1:2] ** 2 + 1j * wm[:, 0:1, 0]
    inv[:, :, 1, 1] = s[None, :] - masses[:, 2:3] ** 2 + 1j * wm[:, 1:2, 1]
    inv[:, :, 0, 1] = inv[:, :, 1, 0] = 1j * wm[:, 0:1, 1]
    with np.errstate(invalid="ignore"):
        det = inv[:, :, 0, 0] * inv[:, :, 1, 1] - inv[:, :, 0, 1] * inv[:, :, 1, 0]
        out = np.empty_like(inv)
        out[:, :, 0, 0], out[:, :, 1, 1] = inv[:, :, 1, 1] / det, inv[:, :, 0, 0] / det
        out[:, :, 0, 1] = out[:, :, 1, 0] = -inv[:, :, 0, 1] / det
    return out


def _pole_average(e, spread, lam):
    """<1/(E'^2 - lambda)> for E' ~ Gauss(e, spread) (Faddeeva form; exact), broadcast shapes."""
    re = np.real(lam)
    with np.errstate(invalid="ignore", divide="ignore"):
        mass = np.sqrt(re)
        width = -np.imag(lam) / mass
    return gaussian_average_propagator(e, spread, mass, width)[0]


def _helicity_sums(model, s, final_states, spread, off_diagonal, zprime):
    """{f: (same, opposite)} for each final state f of ``final_states``, (N, K) each: same = N_c K s'(|f_LL|^2 + |f_RR|^2),
    opposite = N_c K s'(|f_LR|^2 + |f_RL|^2) averaged over the spread. The poles and their spread averages are computed
    once for all final states."""
    lam, res = propagator_poles(model, off_diagonal=off_diagonal)
    e = np.sqrt(s)[None, :]
    lam_b = lam[:, None, :]  # (N, 1, 2)
    if spread is None:
        p = 1.0 / (s[None, :, None] - lam_b)  # (N, K, 2)
        inv_s = 1.0 / s[None, :]
    else:
        sp = spread[None, :, None]
        p = _pole_average(e[..., None], sp, lam_b)
        inv_s = (1.0 + 3.0 * spread**2 / s)[None, :] / s[None, :]
    # <s' P_k conj(P_l)> for k, l in {1, 2}: [lam_k <P_k> - conj(lam_l) conj(<P_l>)] / (lam_k - conj(lam_l))
    lk, ll = lam_b[..., :, None], np.conj(lam_b[..., None, :])
    pk, pl = p[..., :, None], np.conj(p[..., None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        spp = (lk * pk - ll * pl) / (lk - ll)  # (N, K, 2, 2)
    gl_e, gr_e = chiral_couplings_all(model, "e")
    sqrt_s = np.sqrt(s)
    keep = np.array([1.0, 1.0 if zprime else 0.0])
    out = {}
    for final_state in final_states:
        fermions = (final_state,) if final_state in ("e", "mu", "tau") else QUARKS
        same = np.zeros((lam.shape[0], s.size))
        opp = np.zeros((lam.shape[0], s.size))
        for name in fermions:
            open_ = (sqrt_s > 2.0 * FERMIONS[name].mass).astype(float)[None, :]
            if not np.any(open_):
                continue
            gl_f, gr_f = chiral_couplings_all(model, name)
            gi = {"L": gl_e, "R": gr_e}
            gf = {"L": gl_f, "R": gr_f}
            for key, i, j in _HELICITIES:
                q = (gi[i][:, 0] * gf[j][:, 0])[:, None]  # photon
                u, v = gi[i][:, 1:] * keep, gf[j][:, 1:] * keep  # (N, 2) Z, Z'
                ck = np.einsum("na,nkab,nb->nk", u, res, v)[:, None, :]  # (N, 1, 2)
                term = q**2 * inv_s + 2.0 * q * np.real(np.sum(ck * p, axis=-1))
                term = term + np.real(np.einsum("nzk,nzl,nzkl->nz", ck, np.conj(ck), spp))
                n_c = float(FERMIONS[name].n_colour)
                if key in ("LL", "RR"):
                    same = same + n_c * open_ * term
                else:
                    opp = opp + n_c * open_ * term
        if final_state == "had":
            k = qcd_k_factor(sqrt_s, model.sm.alpha_s_mz, model.sm.mz0)[None, :]
            same, opp = same * k, opp * k
        out[final_state] = (same, opp)
    return out


def _isr_rule(s: np.ndarray, x_max: np.ndarray):
    """Nodes x (K, n) and weights w with sum w f(x) ~ int_0^x_max H(x, s) f(x) dx (composite Gauss-Legendre in u = x^beta)."""
    beta, c = isr_beta(s)[:, None], soft_coefficient(s)[:, None]
    u_max = x_max[:, None] ** beta
    edges = np.linspace(0.0, 1.0, _ISR_PANELS + 1)
    xg, wg = _GL8
    t = (0.5 * (edges[:-1, None] + edges[1:, None]) + 0.5 * (edges[1:, None] - edges[:-1, None]) * xg[None, :]).ravel()
    wt = (0.5 * (edges[1:, None] - edges[:-1, None]) * wg[None, :]).ravel()
    u = u_max * t[None, :]
    x = u ** (1.0 / beta)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        hard = radiator(x, s[:, None]) - beta * x ** (beta - 1.0) * c  # H - soft term, regular at x -> 0
        f = c + np.where(x > 0, hard * x ** (1.0 - beta) / beta, 0.0)  # H dx = f du
    return x, u_max * wt[None, :] * f


def _sums(model, sqrt_s, final_states, beam_spread, isr_x_max, off_diagonal, zprime):
    """{f: (same, opposite)} of :func:`_helicity_sums` for each f of ``final_states`` (checked; "e_s" = e+e- -> e+e-,
    s channel only), with the beam spread and the optional ISR convolution."""
    for final_state in final_states:
        if final_state not in FINAL_STATES and final_state != "e_s":
            raise ValueError(f"final_state must be one of {FINAL_STATES}, got {final_state!r}")
    sqrt_s = np.atleast_1d(np.asarray(sqrt_s, dtype=float))
    if np.any(~np.isfinite(sqrt_s) | (sqrt_s <= 0)):
        raise ValueError(f"sqrt_s must be finite and > 0 GeV (accepted range (0, inf)), got {sqrt_s!r}")
    spread = None
    if beam_spread is not None:
        spread = np.broadcast_to(np.asarray(beam_spread, dtype=float), sqrt_s.shape)
        if np.any(~np.isfinite(spread) | (spread <= 0)):
            raise ValueError(f"beam_spread must be finite and > 0 GeV (or None for no spread), got {beam_spread!r}")
    s = sqrt_s**2
    internal = {fs: "e" if fs == "e_s" else fs for fs in final_states}  # e+e- -> e+e-, s-channel part only (internal)
    if isr_x_max is None:
        sums = _helicity_sums(model, s, tuple(dict.fromkeys(internal.values())), spread, off_diagonal, zprime)
        return {fs: sums[internal[fs]] for fs in final_states}
    x_max = np.broadcast_to(np.asarray(isr_x_max, dtype=float), s.shape)
    if np.any(~np.isfinite(x_max) | (x_max <= 0) | (x_max >= 1)):
        raise ValueError(f"isr_x_max must lie in (0, 1) (largest radiated fraction 1 - s''/s), got {isr_x_max!r}")
    x, w = _isr_rule(s, x_max)  # (K, n)
    scale = np.sqrt(1.0 - x)
    s_red = (s[:, None] * (1.0 - x)).ravel()
    spread_red = None if spread is None else (spread[:, None] * scale).ravel()
    sums = _helicity_sums(model, s_red, tuple(dict.fromkeys(internal.values())), spread_red, off_diagonal, zprime)
    out = {}
    for fs in final_states:
        same, opp = sums[internal[fs]]
        shape = (same.shape[0],) + x.shape
        # sigma(s'') is proportional to s''|f(s'')|^2, so the convolution is int H(x) [s''|f|^2](s (1 - x)) dx
        factor = w[None]
        out[fs] = (np.sum(same.reshape(shape) * factor, axis=-1), np.sum(opp.reshape(shape) * factor, axis=-1))
    return out


def _sigma(same, opp):
    """sigma in pb from the helicity sums."""
    return (same + opp) / (48.0 * math.pi) * HBARC2_GEV2_PB


def _afb(same, opp):
    """A_FB from the helicity sums."""
    return 0.75 * (same - opp) / (same + opp)


def two_state_sigma(
    model: ZPrime,
    sqrt_s,
    final_state: str,
    beam_spread=None,
    *,
    isr_x_max=None,
    off_diagonal: bool = True,
    zprime: bool = True,
) -> np.ndarray:
    """sigma(e+e- -> f f bar) in pb from the gamma + (Z, Z') propagator matrix, shape (N, K); f = "mu", "tau", "had".

    ``beam_spread`` (GeV, scalar or one per energy; None = none): Gaussian spread of sqrt(s), exact for every pole.
    ``isr_x_max``: convolve with the initial-state radiator up to that radiated fraction of s (see module docstring).
    ``off_diagonal=False``: two independent Breit-Wigners (the single-state treatment); ``zprime=False``: drop the
    Z' from the amplitude (the single Z eigenstate that the pole pseudo-observables describe).
    """
    return _sigma(*_sums(model, sqrt_s, (final_state,), beam_spread, isr_x_max, off_diagonal, zprime)[final_state])


def two_state_afb(
    model: ZPrime,
    sqrt_s,
    final_state: str,
    beam_spread=None,
    *,
    isr_x_max=None,
    off_diagonal: bool = True,
    zprime: bool = True,
) -> np.ndarray:
    """Forward-backward asymmetry of e+e- -> f fbar from the propagator matrix, shape (N, K) (see :func:`two_state_sigma`)."""
    return _afb(*_sums(model, sqrt_s, (final_state,), beam_spread, isr_x_max, off_diagonal, zprime)[final_state])


# ----------------------------------------------------------------------------------------------------------------
# What a one-Breit-Wigner line-shape fit would report for the two-state line shape
# ----------------------------------------------------------------------------------------------------------------

#: LEP-I 1993-95 precision scan: sqrt(s) ~ m_Z and m_Z +- 1.8 GeV (L3, Eur. Phys. J. C16 (2000) 1, hep-ex/0002046,
#: abstract: "centre-of-mass energies sqrt(s) ~ m_Z and sqrt(s) ~ m_Z +- 1.8 GeV"); m_Z = PDG 2024 (inputs/sm.py)
SCAN_OFFSETS_GEV = (-1.8, 0.0, 1.8)
#: the pseudo-observables a LEP-I line-shape fit determines (hep-ex/0509008 Sec. 2: m_Z, Gamma_Z, sigma0_had, R_l, A_FB^0,l)
LINESHAPE_OBSERVABLES = ("mZ", "GammaZ", "sigma_had0", "R_e", "R_mu", "R_tau", "AFB0_e", "AFB0_mu", "AFB0_tau")
_LEPTON_STATES = {"e": "e_s", "mu": "mu", "tau": "tau"}
_H_AFB = 0.01  # GeV, finite-difference step for dA_FB/dsqrt(s) at the peak


def _bw(s, mass, gamma, peak):
    """Fixed-width Breit-Wigner peak * Gamma^2 s / ((s - M^2)^2 + M^2 Gamma^2) (the tree-level |Z|^2 term, pb)."""
    return peak * gamma**2 * s / ((s - mass**2) ** 2 + mass**2 * gamma**2)


@dataclass(frozen=True)
class _SMLineShape:
    """The SM side of the emulated fit of :func:`effective_pole_observables` (what LEP fixed to the SM, and the
    starting point of the Newton solve): a function of the SM parameters and the relative beam spread only."""

    mass: float  # m_Z (GeV)
    gamma: float  # Gamma_Z (GeV)
    peak_had: float  # sigma0_had (pb)
    sigma: Mapping[str, np.ndarray]  # cross sections (pb) at the scan energies, "had" and the lepton final states
    nonres: Mapping[str, np.ndarray]  # sigma - BW_SM at the scan energies: the gamma exchange and interference
    afb_peak: Mapping[str, float]  # A_FB,l at the peak scan energy
    afb_slope: Mapping[str, float]  # dA_FB,l/dsqrt(s) there
    afb0: Mapping[str, float]  # A_FB^0,l


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@functools.lru_cache(maxsize=16)
def _sm_lineshape(sm: SMParameters, beam_spread_rel: float) -> _SMLineShape:
    """The SM reference of the emulated fit, computed once per (SM parameters, relative beam spread): it does not depend
    on the hypothesis. The cache key is the *value* of both (``SMParameters`` is a frozen dataclass, hashed by its
    fields), so a different SM point or spread is a different entry; the cached arrays are read-only."""
    from ..model.vector_boson import DarkPhoton
    from . import zpole

    energies = np.array(SCAN_OFFSETS_GEV) + PDG.MZ.value
    s = energies**2
    sm_model = DarkPhoton(np.array([10.0]), 0.0, sm=sm)
    m_s = float(np.atleast_1d(sm_model.mz)[0])
    g_s = float(zpole.gamma_z(sm_model)[0])
    peak_had = float(zpole.sigma_had0(sm_model)[0]) * 1e3  # nb -> pb
    peaks = {"had": peak_had}
    for lep, fs in _LEPTON_STATES.items():
        peaks[fs] = (
            12.0 * math.pi * float(np.atleast_1d(sm_model.partial_width("Z", "e"))[0])
            * float(np.atleast_1d(sm_model.partial_width("Z", lep))[0]) / (m_s**2 * g_s**2) * HBARC2_GEV2_PB
        )
    sums = _sums(sm_model, energies, tuple(peaks), beam_spread_rel * energies, None, True, True)
    sigma = {fs: _frozen(_sigma(*sums[fs])[0]) for fs in peaks}
    nonres = {fs: _frozen(sigma[fs] - _bw(s, m_s, g_s, peaks[fs])) for fs in peaks}
    # A_FB at the peak scan energy and its slope there (central difference)
    i_peak = SCAN_OFFSETS_GEV.index(0.0)
    e3 = energies[i_peak] + np.array([-_H_AFB, 0.0, _H_AFB])
    sums3 = _sums(sm_model, e3, tuple(_LEPTON_STATES.values()), beam_spread_rel * e3, None, True, True)
    afb_s = {fs: _afb(*sums3[fs])[0] for fs in _LEPTON_STATES.values()}
    return _SMLineShape(
        mass=m_s, gamma=g_s, peak_had=peak_had, sigma=MappingProxyType(sigma), nonres=MappingProxyType(nonres),
        afb_peak=MappingProxyType({fs: float(a[1]) for fs, a in afb_s.items()}),
        afb_slope=MappingProxyType({fs: float((a[2] - a[0]) / (2.0 * _H_AFB)) for fs, a in afb_s.items()}),
        afb0=MappingProxyType({lep: float(zpole.afb0(sm_model, lep)[0]) for lep in _LEPTON_STATES}),
    )


def _single_state(model: ZPrime) -> dict[str, np.ndarray]:
    """The line-shape pseudo-observables of the single Z eigenstate (:mod:`.zpole`)."""
    from . import zpole

    out = {"mZ": np.atleast_1d(model.mz).astype(float), "GammaZ": zpole.gamma_z(model), "sigma_had0": zpole.sigma_had0(model)}
    for lep in _LEPTON_STATES:
        out[f"R_{lep}"] = zpole.r_lepton(model, lep)
        out[f"AFB0_{lep}"] = zpole.afb0(model, lep)
    return out


def effective_pole_observables(model: ZPrime, beam_spread_rel: float, *, n_iter: int = 8) -> dict[str, np.ndarray]:
    """Pseudo-observables that a one-Breit-Wigner fit to the model's summed two-state line shape would report, (N,) each.

    Emulates the LEP-I extraction (hep-ex/0509008 Sec. 2: one Breit-Wigner for the Z, the gamma exchange and gamma-Z
    interference fixed to the SM) on the three 1993-95 scan energies E_j = m_Z + (-1.8, 0, +1.8) GeV
    (:data:`SCAN_OFFSETS_GEV`), with the two-state cross sections of this module smeared by ``beam_spread_rel * E``:
    * hadrons: y_j = sigma_had(E_j) - [sigma_had,SM(E_j) - BW_SM(E_j)] (the non-resonant SM part at the same SM
      parameters) is solved exactly for (m_Z, Gamma_Z, sigma0_had) of a fixed-width Breit-Wigner (Newton, from the SM);
    * leptons l = e (s channel only), mu, tau: sigma0_l by least squares over the three energies with (m_Z, Gamma_Z)
      from the hadrons, weights 1/sigma_l,SM(E_j) (ASSUMPTION: equal luminosity per energy), R_l = sigma0_had/sigma0_l;
    * A_FB^0,l = A_FB^0,l,SM + A_FB,l(E_peak) - A_FB,l,SM(E_peak) + (dA_FB,SM/dE)(m_Z,fit - m_Z,SM): the peak point,
      moved to the fitted mass (A_FB^0 is the asymmetry at sqrt(s) = m_Z; the off-peak slope is the fixed interference).
    For eps -> 0 this returns the single-eigenstate values of :mod:`.zpole` exactly (the SM reference and its
    templates do not change). Rows where the Newton solve fails (a line shape no single Breit-Wigner describes,
    far above any limit) get the single-eigenstate values, which are then far off too. The SM side is computed once
    per (SM parameters, ``beam_spread_rel``) (:func:`_sm_lineshape`).
    """
    ref = _sm_lineshape(model.sm, float(beam_spread_rel))
    n = np.atleast_1d(model.mzp).size
    energies = np.array(SCAN_OFFSETS_GEV) + PDG.MZ.value
    s = energies**2
    # one pass over the propagator for every final state; sigma and A_FB come from the same helicity sums
    sums = _sums(model, energies, ("had", *_LEPTON_STATES.values()), beam_spread_rel * energies, None, True, True)
    sig_had = _sigma(*sums["had"])
    y = sig_had - ref.nonres["had"][None, :]
    sig_had_sm = ref.sigma["had"]
    # a line shape equal to the SM's to rounding (a decoupled Z', g -> 0): the single-eigenstate values, exactly
    trivial = np.all(np.abs(sig_had - sig_had_sm[None, :]) <= 1e-13 * sig_had_sm[None, :], axis=1)
    # Newton on ln BW(E_j; M, Gamma, sigma0) = ln y_j in p = (M, Gamma, ln sigma0)
    p = np.tile([ref.mass, ref.gamma, math.log(ref.peak_had)], (n, 1))
    ok = np.all(np.isfinite(y) & (y > 0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ly = np.log(np.where(ok[:, None], y, 1.0))
        for _ in range(n_iter):
            mass, gamma = p[:, 0:1], p[:, 1:2]
            d = (s[None, :] - mass**2) ** 2 + mass**2 * gamma**2
            f = p[:, 2:3] + 2.0 * np.log(gamma) + np.log(s)[None, :] - np.log(d) - ly
            jac = np.stack(
                [(4.0 * mass * (s[None, :] - mass**2) - 2.0 * mass * gamma**2) / d, 2.0 / gamma - 2.0 * mass**2 * gamma / d, np.ones_like(d)],
                axis=-1,
            )
            det = np.linalg.det(np.where(np.isfinite(jac), jac, 0.0))
            ok = ok & np.all(np.isfinite(jac), axis=(1, 2)) & np.all(np.isfinite(f), axis=1) & (np.abs(det) > 1e-300)
            step = np.linalg.solve(np.where(ok[:, None, None], jac, np.eye(3)), np.where(ok[:, None], f, 0.0)[..., None])[..., 0]
            p = np.where(ok[:, None], p - step, p)
        converged = ok & np.all(np.isfinite(p), axis=1) & (np.max(np.abs(step), axis=1) < 1e-9 * np.abs(p[:, 0]))
    with np.errstate(over="ignore"):  # rows whose Newton solve diverged are replaced below
        mass, gamma, peak_had = p[:, 0], p[:, 1], np.exp(p[:, 2])
    out = {"mZ": mass, "GammaZ": gamma, "sigma_had0": peak_had * 1e-3}
    shape = _bw(s[None, :], mass[:, None], gamma[:, None], 1.0)
    i_peak = SCAN_OFFSETS_GEV.index(0.0)
    for lep, fs in _LEPTON_STATES.items():
        same, opp = sums[fs]
        sig_l = _sigma(same, opp)
        sig_sm = ref.sigma[fs]
        trivial = trivial & np.all(np.abs(sig_l - sig_sm[None, :]) <= 1e-13 * sig_sm[None, :], axis=1)
        y_l = sig_l - ref.nonres[fs][None, :]
        wgt = 1.0 / sig_sm[None, :]
        peak_l = np.sum(wgt * y_l * shape, axis=1) / np.sum(wgt * shape**2, axis=1)
        out[f"R_{lep}"] = peak_had / peak_l
        afb_m = _afb(same[:, i_peak], opp[:, i_peak])
        # A_FB^0 is the asymmetry at sqrt(s) = m_Z of the fit, not at the scan energy: move both to their own mass
        # (linear in the MeV-scale offsets, slope of the SM)
        out[f"AFB0_{lep}"] = ref.afb0[lep] + afb_m - ref.afb_peak[fs] + ref.afb_slope[fs] * (mass - ref.mass)
    use = converged & ~trivial
    if np.all(use):
        return {k: out[k] for k in LINESHAPE_OBSERVABLES}
    single = _single_state(model)
    return {k: np.where(use, out[k], single[k]) for k in LINESHAPE_OBSERVABLES}
