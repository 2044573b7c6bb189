"""The initial-state-radiation convolution of the Z' propagator pieces, tabulated per (Z' mass, width node).

Split out of :mod:`.amplitudes` (which calls :func:`isr_correction` from ``smeared_propagators``); the radiator
is the Kuraev-Fadin one of :mod:`.isr`, the Born averages those of :mod:`.smearing`.
"""

from __future__ import annotations

import numpy as np

from .smearing import FAR_SPREADS, gaussian_average_propagator, range_average_propagator

__all__ = ["isr_correction"]


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
            near = np.abs(ee - mm) < FAR_SPREADS * sg
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
    """Cached ISR corrections of one group of energies (:func:`isr_correction`): rows of ``delta`` (complex) and
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


def isr_correction(s, spread, rng, x_max, mzp, gzp):
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

