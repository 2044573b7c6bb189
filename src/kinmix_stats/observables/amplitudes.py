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
from .isr_convolution import isr_correction
from .smearing import check_energy_range, gaussian_average_propagator, range_average_propagator

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


def smeared_propagators(
    model: ZPrime, s: np.ndarray, spread: np.ndarray, energy_range=None, isr_x_max=None
) -> SmearedPropagators:
    """The propagator pieces of :class:`SmearedPropagators`; compute once, reuse for every fermion.

    ``energy_range`` (K, 2), optional: for energies with a finite [lo, hi] the Z' pieces are averaged
    uniformly over sqrt(s) in [lo, hi] before the Gaussian spread (:func:`range_average_propagator`).
    ``isr_x_max`` (scalar or (K,), optional): convolve the Z' pieces with the Kuraev-Fadin radiator up to that
    radiated fraction (:mod:`.isr`; :func:`.isr_convolution._isr_pieces`). Then ``s_p`` = s <P>/N and ``s_p2`` = <s''|P|^2>/N
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
        rng = check_energy_range(np.sqrt(s), energy_range)
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
        delta, done = isr_correction(s, spread, rng_isr, x_max, mzp, gzp)
        with np.errstate(divide="ignore", invalid="ignore"):
            q_isr = mean_p + delta  # Q_ISR = Q_Born(Gamma) + (Q_ISR - Q_Born)(Gamma_q), see isr_correction
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
