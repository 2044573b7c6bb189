"""Averages of a Breit-Wigner propagator over the c.m. energy: a Gaussian beam spread (Faddeeva function, exact)
and a uniform energy range convolved with it (:func:`range_average_propagator`). Used by :mod:`.amplitudes`,
:mod:`.isr_convolution` and :mod:`.lineshape`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_average_propagator", "range_average_propagator", "check_energy_range", "FAR_SPREADS"]


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
FAR_SPREADS = 12.0  # beyond this many spreads from the pole the asymptotic series of <ln(E' - z)> is used


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
    far = 0.5 * FAR_SPREADS if coarse else FAR_SPREADS
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
            # and the ISR tables (isr_correction) must not depend on which masses were computed together
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



def check_energy_range(sqrt_s: np.ndarray, energy_range) -> np.ndarray:
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


