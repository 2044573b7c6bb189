"""Tree-level neutral-current helicity amplitudes for massless fermions with gamma, Z and Z' exchange.

For e+e- -> f fbar the reduced helicity amplitudes are

    f_ij(x) = sum_{V in A, Z, Z'} g_i^e(V) g_j^f(V) / (x - m_V^2 + i m_V Gamma_V),   i, j in {L, R},

with chiral couplings L = V_mu fbar gamma^mu (g_L P_L + g_R P_R) f from the exact diagonalisation.
s-channel propagators carry fixed-width Breit-Wigner denominators; t-channel ones (x = t < 0) carry
no width. With these

    dsigma/dcos(theta) (e+e- -> f fbar, f != e) = N_c s / (128 pi) [ (|f_LL|^2 + |f_RR|^2)(1 + c)^2
                                                             + (|f_LR|^2 + |f_RL|^2)(1 - c)^2 ],

which reduces to the QED result pi alpha^2 (1 + c^2) / (2 s) (normalisation fixed by that limit), and
sigma = N_c s / (48 pi) sum_ij |f_ij|^2, A_FB = 3/4 (|f_LL|^2 + |f_RR|^2 - |f_LR|^2 - |f_RL|^2) / sum_ij |f_ij|^2.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..inputs.fermions import FERMIONS
from ..model.vector_boson import ZPrime

__all__ = ["chiral_couplings_all", "boson_masses_widths", "reduced_amplitudes", "smeared_propagators", "range_average_propagator", "smeared_squared_sums", "smeared_s_channel", "gaussian_average_propagator"]

_FERMION_INDEX = {name: i for i, name in enumerate(FERMIONS)}


def chiral_couplings_all(model: ZPrime, fermion: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) left and right couplings of (A, Z, Z') to ``fermion``."""
    gl, gr = model.chiral_all()
    j = _FERMION_INDEX[fermion]
    return gl[:, :, j], gr[:, :, j]


def boson_masses_widths(model: ZPrime) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) masses and total widths of (A, Z, Z') in GeV (photon: 0, 0)."""
    masses = model.masses_all
    widths = np.stack(
        [np.zeros(masses.shape[0]), np.atleast_1d(model.total_width("Z")), np.atleast_1d(model.total_width("Zp"))],
        axis=1,
    )
    return masses, np.nan_to_num(widths, nan=0.0)


def reduced_amplitudes(
    model: ZPrime, x: np.ndarray, fermion: str, *, with_width: bool = True, initial: str = "e"
) -> dict[str, np.ndarray]:
    """Reduced amplitudes f_ij(x) for i, j in {L, R}.

    ``x`` is s (timelike, Breit-Wigner widths) or t (spacelike, ``with_width=False``) in GeV^2. The
    result has shape (N, *x.shape); it is real for ``with_width=False`` (no pole in the spacelike region).
    """
    x = np.asarray(x, dtype=float)
    masses, widths = boson_masses_widths(model)
    gl_i, gr_i = chiral_couplings_all(model, initial)
    gl_f, gr_f = chiral_couplings_all(model, fermion)
    n = masses.shape[0]
    xb = x.reshape((1,) + x.shape)
    lead = (n,) + (1,) * x.ndim
    props = []  # one (N, *x.shape) propagator per boson (A, Z, Z'), no (..., 3) temporaries
    for k in range(3):
        m2 = masses[:, k].reshape(lead) ** 2
        if with_width:
            props.append(1.0 / (xb - m2 + 1j * (masses[:, k] * widths[:, k]).reshape(lead)))
        else:  # real arithmetic: the same values as the complex form with zero imaginary part, at half the cost
            props.append(1.0 / (xb - m2))

    def combo(gi, gf):
        c = (gi * gf).reshape(lead + (3,))
        return c[..., 0] * props[0] + c[..., 1] * props[1] + c[..., 2] * props[2]  # the order of np.sum over 3

    return {
        "LL": combo(gl_i, gl_f),
        "RR": combo(gr_i, gr_f),
        "LR": combo(gl_i, gr_f),
        "RL": combo(gr_i, gl_f),
    }


def gaussian_average_propagator(sqrt_s: np.ndarray, spread: np.ndarray, mass: np.ndarray, width: np.ndarray):
    """<P> and <|P|^2> for P = 1/(E'^2 - M^2 + i M Gamma), E' ~ Gauss(E = sqrt_s, spread).

    Exact for the Breit-Wigner pole: 1/(E'^2 - z^2) = [1/(E' - z) - 1/(E' + z)]/(2z) with
    z^2 = M^2 - i M Gamma; the Gaussian average of 1/(E' - z) is
    -i sqrt(pi)/(sqrt 2 spread) conj(w(conj(zeta))), zeta = (z - E)/(sqrt 2 spread), w the Faddeeva
    function (scipy.special.wofz); the non-resonant 1/(E' + z) is taken at E'= E. Since
    Im P = -M Gamma |P|^2, <|P|^2> = -Im<P>/(M Gamma). Shapes broadcast; spread > 0.
    """
    from scipy.special import wofz

    # rows of masked model points (no Z'-like state: mass 0) give inf/NaN here and are discarded downstream
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.sqrt(mass**2 - 1j * mass * width)  # principal root: Re z > 0, Im z < 0
        zeta = (z - sqrt_s) / (np.sqrt(2.0) * spread)
        mean_pole = -1j * np.sqrt(np.pi) / (np.sqrt(2.0) * spread) * np.conj(wofz(np.conj(zeta)))
        mean_p = (mean_pole - 1.0 / (sqrt_s + z)) / (2.0 * z)
        mean_p2 = -np.imag(mean_p) / (mass * width)
    return mean_p, mean_p2


_GL_RANGE_X, _GL_RANGE_W = np.polynomial.legendre.leggauss(32)
_FAR_SPREADS = 12.0  # beyond this many spreads from the pole the asymptotic series of <ln(E' - z)> is used


_GL_COARSE_X, _GL_COARSE_W = np.polynomial.legendre.leggauss(8)


def _smeared_log(x: np.ndarray, spread: np.ndarray, z: np.ndarray, coarse: bool = False) -> np.ndarray:
    """F(x) = <ln(E' - z)> for E' ~ Gauss(x, spread); x, spread real, z complex (Im z < 0), all one shape.

    Far from the pole (|x - Re z| > 12 spreads) the series ln d - spread^2/(2 d^2) - 3 spread^4/(4 d^4), d = x - z
    (Gaussian moments of ln(1 + spread u/d)), is used; near it F(x) = F(x0) + int_{x0}^{x} <1/(E' - z)> dt with
    x0 = x -+ 12 spreads on the side away from the pole, the integrand (Faddeeva form of
    :func:`gaussian_average_propagator`) integrated by 32-point Gauss-Legendre. ``spread = 0`` gives ln(x - z).
    ``coarse=True`` (the ISR convolution of ranges, which evaluates this at ~100 reduced energies per pair): 6
    spreads and 8 points (8 instead of 12 points changed the convolved range averages by < 3e-5;
    tested through the range + ISR brute-force comparison).
    """
    far = 0.5 * _FAR_SPREADS if coarse else _FAR_SPREADS
    gl_x, gl_w = (_GL_COARSE_X, _GL_COARSE_W) if coarse else (_GL_RANGE_X, _GL_RANGE_W)
    shape = np.shape(x)
    x, spread, z = np.atleast_1d(x), np.atleast_1d(spread), np.atleast_1d(z)
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points (mass 0) only
        d = x - z
        out = np.log(d) - spread**2 / (2.0 * d**2) - 0.75 * spread**4 / d**4
        near = (np.abs(x - z.real) <= far * spread) & (spread > 0)
        if np.any(near):
            from scipy.special import wofz

            xn, sn, zn = x[near], spread[near], z[near]
            x0 = xn + np.where(xn < zn.real, -1.0, 1.0) * far * sn
            d0 = x0 - zn
            f0 = np.log(d0) - sn**2 / (2.0 * d0**2) - 0.75 * sn**4 / d0**4
            half, mid = 0.5 * (xn - x0), 0.5 * (xn + x0)
            t = mid[:, None] + half[:, None] * gl_x[None, :]
            zeta = (zn[:, None] - t) / (np.sqrt(2.0) * sn[:, None])
            g = -1j * np.sqrt(np.pi) / (np.sqrt(2.0) * sn[:, None]) * np.conj(wofz(np.conj(zeta)))
            # np.sum, not g @ w: a BLAS product may round a row differently depending on how many rows it gets,
            # and the ISR tables (_isr_correction) must not depend on which masses were computed together
            out[near] = f0 + half * np.sum(g * gl_w, axis=-1)
    return out.reshape(shape)


def range_average_propagator(
    lo: np.ndarray, hi: np.ndarray, spread: np.ndarray, mass: np.ndarray, width: np.ndarray, centre: np.ndarray | None = None,
    coarse: bool = False,
):
    """<P>, <|P|^2> (and with ``centre`` E_c also <(E' - E_c) P>) for sqrt(s) uniform in [lo, hi], Gaussian-smeared.

    The kernel is K(E') = [Phi((hi - E')/spread) - Phi((lo - E')/spread)] / (hi - lo). With
    1/(E'^2 - z^2) = [1/(E' - z) - 1/(E' + z)]/(2z), integration by parts gives exactly
    int K(E')/(E' - z) dE' = [F(hi) - F(lo)]/(hi - lo), F(x) = <ln(E' - z)>_Gauss(x) (:func:`_smeared_log`); the
    non-resonant 1/(E' + z) is averaged over the box without the spread, (ln(hi + z) - ln(lo + z))/(hi - lo).
    <|P|^2> = -Im<P>/(M Gamma) holds for any real kernel. The first moment follows from
    (E' - E_c)/(E' -+ z) = 1 + (+-z - E_c)/(E' -+ z): <(E' - E_c) P> = [(z - E_c) <1/(E'-z)> + (z + E_c) <1/(E'+z)>]/(2z).
    Shapes broadcast; hi > lo. ``coarse``: see :func:`_smeared_log`.
    """
    z = np.sqrt(mass**2 - 1j * mass * width)
    lo, hi, spread, z = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), np.asarray(spread, dtype=float), z)
    length = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points (mass 0) only
        resonant = (_smeared_log(hi, spread, z, coarse) - _smeared_log(lo, spread, z, coarse)) / length
        nonresonant = (np.log(hi + z) - np.log(lo + z)) / length
        mean_p = (resonant - nonresonant) / (2.0 * z)
        mean_p2 = -np.imag(mean_p) / (np.real(mass) * width)
        if centre is None:
            return mean_p, mean_p2
        moment = ((z - centre) * resonant + (z + centre) * nonresonant) / (2.0 * z)
    return mean_p, mean_p2, moment


class SmearedPropagators(NamedTuple):
    """Energy-dependent pieces shared by every final state at the energies ``s`` with Gaussian ``spread``.

    ``prop`` (N, K, 2): photon and Z propagators at the nominal s; ``mean_p``, ``mean_p2`` (N, K): <P> and
    <|P|^2> of the Z' (:func:`gaussian_average_propagator`, or :func:`range_average_propagator` for energies
    that carry an energy range); ``s_p``, ``s_p2`` (N, K): <s' P> and <s' |P|^2>. ``prop_res`` (N, K, 2):
    d/dE of the photon and Z propagators at the nominal energy E_c, and ``s_p1`` (N, K): <(E' - E_c) s' P>,
    zero for energies without a range (``None`` when no energy has a range): the smooth photon/Z amplitude is
    expanded linearly in E' across a range. ``isr_done`` (N, K): where ``s_p``, ``s_p2`` are ISR-convolved
    (``None`` without ISR).
    """

    prop: np.ndarray
    mean_p: np.ndarray
    mean_p2: np.ndarray
    s_p: np.ndarray
    s_p2: np.ndarray
    prop_d: np.ndarray | None = None
    s_p1: np.ndarray | None = None
    isr_done: np.ndarray | None = None


def _check_energy_range(sqrt_s: np.ndarray, energy_range) -> np.ndarray:
    """(K, 2) array of [lo, hi] per energy (NaN rows: none); lo < hi, both > 0, lo <= sqrt_s <= hi."""
    rng = np.asarray(energy_range, dtype=float)
    if rng.shape != (sqrt_s.size, 2):
        raise ValueError(f"energy_range must have shape ({sqrt_s.size}, 2) (one [lo, hi] in GeV per energy), got {rng.shape}")
    has = ~np.isnan(rng).any(axis=1)
    lo, hi, e = rng[has, 0], rng[has, 1], sqrt_s[has]
    bad = ~(np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi > lo) & (lo <= e * (1 + 1e-12)) & (e <= hi * (1 + 1e-12)))
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"energy_range must satisfy 0 < lo < hi and lo <= sqrt_s <= hi (GeV), got [{float(lo[k])!r}, {float(hi[k])!r}] at sqrt_s={float(e[k])!r}"
        )
    return rng


def _isr_pieces(s, spread, rng, x_max, mzp, gzp, everywhere=False):
    """ISR-convolved <P> and <s''|P|^2>, each divided by the SM flux N (:mod:`.isr`), shape (N, K), and the mask
    of the (mass, energy) pairs computed: those where the Z' is resonant within the radiator's reach (below), or
    every pair with ``everywhere=True`` (the others are NaN).

    The Z' is resonant at x_r = 1 - M^2/E^2 (for a range [lo, hi] at every x in [x_lo, x_hi] = [1 - M^2/lo^2,
    1 - M^2/hi^2]); h = 2 max(spread, Gamma/2)/E is its half-width in x (sqrt(s'') = E sqrt(1 - x) ~ E (1 - x/2)).
    A pair is computed if [x_lo - 40 h, x_hi + 40 h] overlaps [0, x_max]. Per pair the radiator integral uses
    8 + 24 + 8 nodes with a window of +- 40 h around x_r (:func:`.isr.isr_nodes`); for a range, whose range
    average is a plateau in x with edges of width ~h at x_lo and x_hi, [0, x_max] is split at the plateau's middle
    and each part gets its own window around its edge (80 nodes). Each node evaluates the Gaussian (or range)
    average at the reduced energy E sqrt(1 - x) with spread sigma sqrt(1 - x), since sqrt(s'') = E' sqrt(1 - x)
    for E' ~ Gauss(E, sigma).
    """
    from .isr import _NEAR_HALF_WIDTHS, isr_nodes, radiator_flux

    e = np.sqrt(s)
    has_rng = rng is not None and np.any(~np.isnan(rng))
    lo = e if not has_rng else np.where(np.isnan(rng[:, 0]), e, rng[:, 0])
    hi = e if not has_rng else np.where(np.isnan(rng[:, 1]), e, rng[:, 1])
    ranged_col = lo < hi
    n_rows = mzp.shape[0]

    def pieces(rows, cols, x, w, ranged, exact=True):
        """sum_k w_k <P>(x_k) and sum_k w_k <s''|P|^2>(x_k) for the (row, col) pairs given (broadcast shapes),
        all ranged or all point-like (``ranged``).

        Nodes more than 12 spreads off the pole (and every node with ``exact=False``) take the Gaussian average
        by its moment series 1/d + spread^2/d^3 + 3 spread^4/d^5 (d = E - z; relative error < 1e-6 there), the
        others the Faddeeva form. Ranges: the range average with the coarse smeared log (:func:`_smeared_log`).
        """
        rows, cols = np.broadcast_arrays(rows, cols)
        shape = rows.shape + (x.shape[-1],)
        c = np.broadcast_to(np.sqrt(1.0 - x), shape)
        m = np.broadcast_to(mzp[rows, 0][..., None], shape)
        g = np.broadcast_to(gzp[rows, 0][..., None], shape)
        sig = spread[cols][..., None] * c

        def point(ee, sg, mm, gg):
            z = np.sqrt(mm**2 - 1j * mm * gg)
            ss = sg**2
            dm, dp = 1.0 / (ee - z), 1.0 / (ee + z)
            out = (dm * (1.0 + ss * dm**2 * (1.0 + 3.0 * ss * dm**2)) - dp * (1.0 + ss * dp**2)) / (2.0 * z)
            near = np.abs(ee - mm) < _FAR_SPREADS * sg
            if exact and np.any(near):  # within 12 spreads of the pole: the exact Faddeeva form
                out[near] = gaussian_average_propagator(ee[near], sg[near], mm[near], gg[near])[0]
            return out

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # masked points (mass 0) only
            if ranged:
                p_g = range_average_propagator(lo[cols][..., None] * c, hi[cols][..., None] * c, sig, m, g, coarse=True)[0]
            else:
                p_g = point(e[cols][..., None] * c, np.ascontiguousarray(sig), np.ascontiguousarray(m), np.ascontiguousarray(g))
            sp2 = -np.imag((m**2 - 1j * m * g) * p_g) / (m * g)
        return np.sum(w * p_g, axis=-1), np.sum(w * sp2, axis=-1)

    mean_p = np.full((n_rows, s.size), np.nan, dtype=complex)
    s_p2 = np.full((n_rows, s.size), np.nan)
    if everywhere:
        x8, w8 = isr_nodes(s, x_max)  # (K, 8), mass independent
        for rk in (False, True):
            cols = np.flatnonzero(ranged_col == rk)
            if cols.size:  # actives are overwritten below
                mean_p[:, cols], s_p2[:, cols] = pieces(
                    np.arange(n_rows)[:, None], cols[None, :], x8[cols][None], w8[cols][None], rk, exact=rk
                )
    with np.errstate(invalid="ignore", divide="ignore"):
        x_a = 1.0 - (mzp / lo[None, :]) ** 2
        x_b = 1.0 - (mzp / hi[None, :]) ** 2
        half = 2.0 * np.maximum(spread[None, :], 0.5 * gzp) / e[None, :]
    active = (x_b + 40.0 * half > 0.0) & (x_a - 40.0 * half < x_max[None, :]) & np.isfinite(mzp) & (mzp > 0)
    def integrate(ri, ci, centre, hw, x_lo, x_hi, rk):
        """sum over the nodes of [x_lo, x_hi] with a window at ``centre``; pairs near x = 0 (88 nodes) apart."""
        p_out, s_out = np.zeros(ri.size, dtype=complex), np.zeros(ri.size)
        near = centre < _NEAR_HALF_WIDTHS * hw
        for sel in (near, ~near):
            if np.any(sel):
                xs, ws = isr_nodes(s[ci[sel]], x_hi[sel], (centre[sel], hw[sel]), x_min=x_lo[sel])
                p_out[sel], s_out[sel] = pieces(ri[sel], ci[sel], xs, ws, rk)
        return p_out, s_out

    for rk in (False, True):
        act = active & (ranged_col == rk)[None, :]
        if not np.any(act):
            continue
        ri, ci = np.nonzero(act)
        if not rk:
            mean_p[act], s_p2[act] = integrate(ri, ci, x_a[act], half[act], np.zeros(ri.size), x_max[ci], rk)
        else:  # split at the plateau's middle, one window per edge
            mid = np.clip(0.5 * (x_a[act] + x_b[act]), 0.0, x_max[ci])
            p1, s1 = integrate(ri, ci, x_a[act], half[act], np.zeros(ri.size), mid, rk)
            p2, s2 = integrate(ri, ci, x_b[act], half[act], mid, x_max[ci], rk)
            mean_p[act], s_p2[act] = p1 + p2, s1 + s2
    flux = radiator_flux(s, x_max)[None, :]
    return mean_p / flux, s_p2 / flux, (np.ones_like(active) if everywhere else active)


class _IsrTable:
    """Cached ISR corrections of one group of energies (:func:`_isr_correction`): rows of ``delta`` (complex) and
    ``done`` (bool), shape (K,) each, indexed by (Z' mass, tabulation width)."""

    def __init__(self, k: int) -> None:
        self.index: dict[tuple[float, float], int] = {}
        self.delta = np.zeros((0, k), dtype=complex)
        self.done = np.zeros((0, k), dtype=bool)


#: ISR corrections per (energies, spreads, ranges, x_max) group; cleared when they hold more than _ISR_CACHE_MAX rows
_ISR_CACHE: dict[bytes, _IsrTable] = {}
_ISR_CACHE_MAX = 200_000
#: rows of missing corrections convolved at once (bounds the temporaries of :func:`_isr_pieces`)
_ISR_BLOCK_ROWS = 256
#: tabulation widths: "zero" and the end of the linear range, in units of the smallest relative spread of the group
#: times the Z' mass; above it 2^(k/16) GeV (steps of 4.4 %, interpolated linearly in log2 Gamma)
_WIDTH_ZERO_SPREADS = 1e-6
_WIDTH_SMALL_SPREADS = 0.03
_WIDTH_STEPS_PER_OCTAVE = 16


def _width_nodes(gzp: np.ndarray, mass: np.ndarray, rel_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Tabulation widths (N, 2) and interpolation weights (N, 2) for the widths ``gzp`` (N,) of Z's of ``mass``.

    With sigma_M = rel_spread M (the smallest spread at the energies where a Z' of mass M can be resonant,
    sqrt(s) in [M, M/0.85]): Gamma <= g1 = 0.03 sigma_M is interpolated linearly between g0 = 1e-6 sigma_M ("zero")
    and g1; the correction is analytic in Gamma << spread, so this errs by O((g1/spread)^2/8) ~ 1e-4 of it, and
    every narrow width of a scan (Gamma/M < 3e-5 up to eps = 0.03 away from m_Z) shares these two widths. Above:
    2^(k/16), 2^((k+1)/16) GeV with weights linear in log2 Gamma (error ~1e-4 of the correction, tested).
    """
    sig = rel_spread * np.nan_to_num(mass, nan=1.0)
    g0, g1 = _WIDTH_ZERO_SPREADS * sig, _WIDTH_SMALL_SPREADS * sig
    g = np.nan_to_num(gzp, nan=0.0)
    small = g <= g1
    with np.errstate(invalid="ignore", divide="ignore"):
        lg = np.log2(np.maximum(g, g1)) * _WIDTH_STEPS_PER_OCTAVE
        k = np.floor(lg)
        t_log = lg - k
        t_lin = (np.maximum(g, g0) - g0) / (g1 - g0)
        nodes = np.stack([np.where(small, g0, np.exp2(k / _WIDTH_STEPS_PER_OCTAVE)),
                          np.where(small, g1, np.exp2((k + 1.0) / _WIDTH_STEPS_PER_OCTAVE))], axis=1)
        t = np.where(small, t_lin, t_log)
    return nodes, np.stack([1.0 - t, t], axis=1)


def _born_pairs(sqrt_s, spread, rng, mass, width, cols) -> np.ndarray:
    """Born <P> for the (mass[i], energy cols[i]) pairs: the Gaussian average, or the range average where the energy
    has a range (as :func:`_smeared_propagators` computes it)."""
    out = gaussian_average_propagator(sqrt_s[cols], spread[cols], mass, width)[0]
    if rng is not None:
        r = ~np.isnan(rng[cols]).any(axis=1)
        if np.any(r):
            c = cols[r]
            out[r] = range_average_propagator(rng[c, 0], rng[c, 1], spread[c], mass[r], width[r])[0]
    return out


def _isr_correction(s, spread, rng, x_max, mzp, gzp):
    """Delta = Q_ISR - Q_Born (N, K) interpolated in the width, and the mask of pairs where it was computed.

    Q_ISR = sum_k w_k <P>(x_k) / N (:func:`_isr_pieces`), Q_Born the Born (spread or range) average of P. The
    likelihood uses Q_Born(Gamma) + Delta with the exact Born term at the model's width; Delta is a smooth function
    of the width, tabulated (:func:`_width_nodes`) and interpolated (relative error ~1e-5 of Delta, tested); its
    imaginary part enters s''|P|^2 = -Im(z^2 Q)/(M Gamma) with the exact z. Delta depends only on (mass,
    tabulation width) for a given group of energies, so each row is computed once and cached: a limit scan
    re-evaluates the same masses at ~10 couplings, whose narrow widths all share two tabulation widths. The
    result does not depend on what is cached (each row is computed alone: the same bits either way).
    """
    g_nodes, g_weights = _width_nodes(gzp[:, 0], np.round(mzp[:, 0], 9), float(np.min(spread / np.sqrt(s))))
    key = b"|".join(
        np.ascontiguousarray(a, dtype=float).tobytes()
        for a in (s, spread, np.zeros(0) if rng is None else rng, x_max)
    )
    if sum(len(v.index) for v in _ISR_CACHE.values()) > _ISR_CACHE_MAX:
        _ISR_CACHE.clear()
    table = _ISR_CACHE.setdefault(key, _IsrTable(s.size))
    # the model's masses carry rounding that depends on the coupling (13.000000000000002 vs 12.999999999999998):
    # the correction is tabulated at the mass rounded to 1e-9 GeV, so every coupling of a scan shares one row
    masses = np.round(mzp[:, 0], 9)
    valid = np.flatnonzero(np.isfinite(masses) & (masses > 0))
    m_list = masses[valid].tolist()
    keys = [list(zip(m_list, g_nodes[valid, j].tolist(), strict=True)) for j in range(2)]
    missing = sorted({k for kk in keys for k in kk if k not in table.index})
    if missing:
        # in blocks of rows: the convolution's temporaries scale with rows x energies x nodes (each row is computed
        # alone, so the blocking changes no bit; unblocked, the first pass of a scan doubled its peak memory)
        deltas, dones = [], []
        for lo in range(0, len(missing), _ISR_BLOCK_ROWS):
            block = missing[lo : lo + _ISR_BLOCK_ROWS]
            mm = np.array([k[0] for k in block])[:, None]
            gg = np.array([k[1] for k in block])[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                q_isr, _, done = _isr_pieces(s, spread, rng, x_max, mm, gg)
                ri, ci = np.nonzero(done)
                delta = np.zeros(done.shape, dtype=complex)
                delta[ri, ci] = q_isr[ri, ci] - _born_pairs(np.sqrt(s), spread, rng, mm[ri, 0], gg[ri, 0], ci)
            deltas.append(delta)
            dones.append(done)
        start = len(table.index)
        table.index.update({k: start + j for j, k in enumerate(missing)})
        table.delta = np.concatenate([table.delta, *deltas])
        table.done = np.concatenate([table.done, *dones])
    delta = np.zeros((masses.size, s.size), dtype=complex)
    done = np.zeros((masses.size, s.size), dtype=bool)
    for j in range(2):
        idx = np.array([table.index[k] for k in keys[j]], dtype=int)
        delta[valid] += g_weights[valid, j][:, None] * table.delta[idx]
        done[valid] |= table.done[idx]
    return delta, done


def smeared_propagators(
    model: ZPrime, s: np.ndarray, spread: np.ndarray, energy_range=None, isr_x_max=None
) -> SmearedPropagators:
    """The propagator pieces of :class:`SmearedPropagators`; compute once, reuse for every fermion.

    ``energy_range`` (K, 2), optional: for energies with a finite [lo, hi] the Z' pieces are averaged
    uniformly over sqrt(s) in [lo, hi] before the Gaussian spread (:func:`range_average_propagator`).
    ``isr_x_max`` (scalar or (K,), optional): convolve the Z' pieces with the Kuraev-Fadin radiator up to that
    radiated fraction (:mod:`.isr`; :func:`_isr_pieces`). Then ``s_p`` = s <P>/N and ``s_p2`` = <s''|P|^2>/N
    (photon-like SM flux N), ``mean_p``/``mean_p2`` stay the Born (spread/range) averages. Only where the Z' is
    resonant within reach of the radiator (its window overlaps [0, x_max]) is the convolution done; elsewhere
    the Born ratio is kept: there ISR changes a Z' signal with the SM's 1/s dependence by < 2e-4 and a
    contact-like one (M >> sqrt(s)) by the mean radiated fraction, 1-5 % (tests/test_isr.py), which we neglect.
    The result is cached on the model instance for identical inputs (sigma and A_FB of mu and tau at the same
    LEP-II energies share it within one evaluation of the catalogue).
    """
    key = tuple(
        None if v is None else np.ascontiguousarray(np.asarray(v, dtype=float)).tobytes() + str(np.shape(v)).encode()
        for v in (s, spread, energy_range, isr_x_max)
    )
    cache = model.__dict__.setdefault("_smeared_cache", {})
    if key not in cache:
        cache[key] = _smeared_propagators(model, s, spread, energy_range, isr_x_max)
    return cache[key]


def _smeared_propagators(model: ZPrime, s, spread, energy_range, isr_x_max) -> SmearedPropagators:
    """Uncached :func:`smeared_propagators`."""
    s = np.asarray(s, dtype=float)
    spread = np.broadcast_to(np.asarray(spread, dtype=float), s.shape)
    masses, widths = boson_masses_widths(model)
    m2 = masses[:, None, :2] ** 2
    prop = 1.0 / (s[None, :, None] - m2 + 1j * (masses * widths)[:, None, :2])
    mzp = masses[:, 2:3]
    gzp = np.maximum(widths[:, 2:3], 1e-300)
    mean_p, mean_p2 = gaussian_average_propagator(np.sqrt(s)[None, :], spread[None, :], mzp, gzp)
    z2 = mzp**2 - 1j * mzp * gzp
    prop_d = s_p1 = done = None
    if energy_range is not None:
        rng = _check_energy_range(np.sqrt(s), energy_range)
        cols = np.flatnonzero(~np.isnan(rng).any(axis=1))
        if cols.size:
            lo, hi = rng[cols, 0][None, :], rng[cols, 1][None, :]
            centre = np.sqrt(s[cols])[None, :]
            mp, mp2, moment = range_average_propagator(lo, hi, spread[cols][None, :], mzp, gzp, centre)
            mean_p, mean_p2 = mean_p.copy(), mean_p2.copy()
            mean_p[:, cols], mean_p2[:, cols] = mp, mp2
            prop_d = -2.0 * np.sqrt(s)[None, :, None] * prop**2  # d/dE of 1/(E^2 - m^2 + i m Gamma)
            s_p1 = np.zeros(mean_p.shape, dtype=complex)
            with np.errstate(invalid="ignore"):  # masked points (mass 0) only
                # (E' - E_c) s' P = (E' - E_c) + z^2 (E' - E_c) P
                s_p1[:, cols] = (0.5 * (lo + hi) - centre) + z2 * moment
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points (mass 0) only
        s_p = 1.0 + z2 * mean_p
        s_p2 = -np.imag(z2 * mean_p) / (mzp * gzp)
    if isr_x_max is not None:
        x_max = np.broadcast_to(np.asarray(isr_x_max, dtype=float), s.shape)
        if np.any(~np.isfinite(x_max) | (x_max <= 0) | (x_max >= 1)):
            raise ValueError(f"isr_x_max must lie in (0, 1) (largest radiated fraction 1 - s''/s), got {isr_x_max!r}")
        rng_isr = None if energy_range is None else np.asarray(energy_range, dtype=float).reshape(s.size, 2)
        delta, done = _isr_correction(s, spread, rng_isr, x_max, mzp, gzp)
        with np.errstate(divide="ignore", invalid="ignore"):
            q_isr = mean_p + delta  # Q_ISR = Q_Born(Gamma) + (Q_ISR - Q_Born)(Gamma_q), see _isr_correction
            s_p = np.where(done, s[None, :] * q_isr, s_p)
            s_p2 = np.where(done, -np.imag(z2 * q_isr) / (mzp * gzp), s_p2)
    return SmearedPropagators(prop, mean_p, mean_p2, s_p, s_p2, prop_d, s_p1, done)


def smeared_squared_sums(
    model: ZPrime, s: np.ndarray, fermion: str, spread: np.ndarray, props: SmearedPropagators | None = None
) -> dict[str, np.ndarray]:
    """Gaussian averages <s' |f_ij(s')|^2> over the beam-energy spread (s' = E'^2), shape (N, K).

    f_ij = a_ij + b_ij P with a the photon + Z part (smooth over the spread, taken at the nominal s)
    and b_ij the Z' coupling product. The s' weight of the cross section is averaged exactly with
    the propagator: s' P = 1 + z^2 P gives <s' P> = 1 + z^2 <P>, and Im(s' P) = -M Gamma s' |P|^2 gives
    <s' |P|^2> = -Im(z^2 <P>)/(M Gamma); <s'> = s + spread^2. Hence
    <s' |f|^2> = |a|^2 (s + spread^2) + 2 Re(conj(a) b <s' P>) + b^2 <s' |P|^2>.
    For an energy averaged over a range the Z' pieces are range averages and the smooth a in the
    interference is expanded to first order in E' - E_c, adding 2 Re(conj(a') b <(E' - E_c) s' P>); the SM part
    |a|^2 stays at the nominal energy, so the SM prediction (hence every limit away from a resonance) is
    unchanged. The error is second order in the variation of a over the range (tested against brute force).
    ``props`` (from :func:`smeared_propagators` at the same s, spread) saves recomputing them per fermion.
    """
    s = np.asarray(s, dtype=float)
    spread = np.broadcast_to(np.asarray(spread, dtype=float), s.shape)
    props = smeared_propagators(model, s, spread) if props is None else props
    a_parts, b_parts = _coupling_parts(model, fermion, props.prop)
    s_mean = (s + spread**2)[None, :]
    s_p, s_p2 = props.s_p, props.s_p2
    with np.errstate(invalid="ignore"):  # masked points (mass 0) only
        out = {
            k: np.abs(a_parts[k]) ** 2 * s_mean + 2.0 * np.real(np.conj(a_parts[k]) * b_parts[k] * s_p) + b_parts[k] ** 2 * s_p2
            for k in a_parts
        }
        if props.prop_d is not None and props.s_p1 is not None:  # energy ranges: a(E') = a + a' (E' - E_c)
            a_d = _coupling_parts(model, fermion, props.prop_d)[0]
            out = {k: v + 2.0 * np.real(np.conj(a_d[k]) * b_parts[k] * props.s_p1) for k, v in out.items()}
    return out


def _coupling_parts(model: ZPrime, fermion: str, prop: np.ndarray):
    """Smooth photon + Z parts a_ij (N, K) and Z' coupling products b_ij (N, 1) for e+e- -> fermion."""
    gl_i, gr_i = chiral_couplings_all(model, "e")
    gl_f, gr_f = chiral_couplings_all(model, fermion)
    a_parts, b_parts = {}, {}
    for key, gi, gf in (("LL", gl_i, gl_f), ("RR", gr_i, gr_f), ("LR", gl_i, gr_f), ("RL", gr_i, gl_f)):
        # the photon and Z terms added explicitly: bit-identical to np.sum over the last axis, ~5x faster
        a_parts[key] = (gi[:, None, 0] * gf[:, None, 0]) * prop[..., 0] + (gi[:, None, 1] * gf[:, None, 1]) * prop[..., 1]
        b_parts[key] = (gi[:, 2] * gf[:, 2])[:, None]
    return a_parts, b_parts


def smeared_s_channel(model: ZPrime, s: np.ndarray, fermion: str, spread: np.ndarray, isr_x_max=None):
    """Pieces for observables with extra amplitudes (Bhabha): a_ij (N, K), b_ij (N, 1), <P>, <|P|^2> (N, K).

    With ``isr_x_max`` the Z' pieces are ISR-convolved as in :func:`smeared_propagators`, relative to a 1/s SM
    (the Bhabha weights u^2, t^2 scale like s^2, so the rate scales like sigma_ff's s |f|^2): <P> -> <s P>_ISR / s and
    <|P|^2> -> <s''|P|^2>_ISR / s where the convolution is done, the Born averages elsewhere.
    """
    props = smeared_propagators(model, s, spread, None, isr_x_max)
    a_parts, b_parts = _coupling_parts(model, fermion, props.prop)
    if isr_x_max is None:
        return a_parts, b_parts, props.mean_p, props.mean_p2
    done = props.isr_done
    assert done is not None  # set whenever isr_x_max is given
    with np.errstate(invalid="ignore"):  # masked points (mass 0) only
        mean_p = np.where(done, props.s_p / s[None, :], props.mean_p)
        mean_p2 = np.where(done, props.s_p2 / s[None, :], props.mean_p2)
    return a_parts, b_parts, mean_p, mean_p2
