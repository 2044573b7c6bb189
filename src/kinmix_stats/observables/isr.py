"""Initial-state radiation (ISR): the Kuraev-Fadin electron structure-function radiator and its convolution.

Radiator (E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466, Eq. (28); the same expression is
implemented in the ISRSolver toolkit, github.com/sergeigribanov/ISRSolver ``src/KuraevFadin.cpp``, which we used
to check the transcription), for the fraction x of s lost to photons, s'' = s (1 - x):

    H(x, s) = beta x^(beta-1) C - beta (1 - x/2)
              + beta^2/8 [ -4 (2 - x) ln x - (1 + 3 (1 - x)^2)/x ln(1 - x) - 6 + x ],
    C = 1 + (alpha/pi)(pi^2/3 - 1/2) + 3 beta/4 - beta^2/24 (L/3 + 2 pi^2 - 37/4),
    beta = (2 alpha/pi)(L - 1),  L = ln(s/m_e^2),  alpha = alpha(0).

The O(alpha^2) e+e- pair-production term of Eq. (28) is not included.
The x^(beta-1) singularity is removed by integrating in u = x^beta (beta x^(beta-1) dx = du), with
Gauss-Legendre nodes; :func:`isr_nodes` adds a dense window of nodes around a resonance (tan-mapped).

How the convolution is used (:func:`kinmix_stats.observables.amplitudes.smeared_propagators`): only the Z'
propagator pieces are convolved, normalised by the SM radiator flux N = int_0^xmax H(x) s/s'' dx, i.e. the
prediction is delta_sigma^ISR / sigma_SM^ISR for a photon-like (1/s) SM, which is the ratio a measurement
corrected to the Born level with the SM radiative factor (or quoted with ISR and an s'/s cut, compared with an
SM prediction made with the same cut) would show. Far from a resonance a Z' piece with the SM's energy
dependence is unchanged; a narrow resonance on a measured energy is reduced by about (spread/M)^beta.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..inputs.fermions import FERMIONS
from ..inputs.sm import PDG

__all__ = ["isr_beta", "radiator", "soft_coefficient", "isr_nodes", "radiator_flux", "X_MAX_LEP2"]

#: LEP-II ff "non-radiative" signal definition sqrt(s'/s) > 0.85 (arXiv:1302.3415 Sec. 3; the cut quoted with the
#: data, lep2_ffbar.yaml): the largest radiated fraction x = 1 - s'/s = 1 - 0.85^2
X_MAX_LEP2 = 1.0 - 0.85**2
_ALPHA0 = 1.0 / PDG.ALPHA_0_INV.value
_ME = FERMIONS["e"].mass
_GL8 = np.polynomial.legendre.leggauss(8)
_GL24 = np.polynomial.legendre.leggauss(24)


def _log(s):
    return np.log(np.asarray(s, dtype=float) / _ME**2)


def isr_beta(s) -> np.ndarray:
    """beta = (2 alpha/pi)(ln(s/m_e^2) - 1)."""
    return 2.0 * _ALPHA0 / math.pi * (_log(s) - 1.0)


def soft_coefficient(s) -> np.ndarray:
    """C of the soft term beta x^(beta-1) C (Kuraev-Fadin Eq. 28)."""
    b, lg = isr_beta(s), _log(s)
    return 1.0 + _ALPHA0 / math.pi * (math.pi**2 / 3.0 - 0.5) + 0.75 * b - b**2 / 24.0 * (lg / 3.0 + 2.0 * math.pi**2 - 9.25)


def _hard(x, b):
    """H - beta x^(beta-1) C: the part regular at x -> 0 (up to an integrable ln x)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lnx = np.log(x)
        ln1mx = np.log1p(-x)
        h2 = -4.0 * (2.0 - x) * lnx - (1.0 + 3.0 * (1.0 - x) ** 2) / x * ln1mx - 6.0 + x
    return -b * (1.0 - 0.5 * x) + b**2 / 8.0 * h2


def radiator(x, s) -> np.ndarray:
    """H(x, s) of Kuraev-Fadin Eq. (28) without the pair term; x in (0, 1)."""
    x = np.asarray(x, dtype=float)
    b = isr_beta(s)
    return b * x ** (b - 1.0) * soft_coefficient(s) + _hard(x, b)


def _u_weight(u, b, c_soft):
    """Integrand factor in u = x^beta: H dx = [C + (H - C beta x^(beta-1)) x^(1-beta)/beta] du."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = u ** (1.0 / b)
        corr = np.where(x > 0, _hard(x, b) * x ** (1.0 - b) / b, 0.0)
    return x, c_soft + corr


def _gl(lo, hi, rule):
    """Gauss-Legendre nodes and weights on [lo, hi] (arrays broadcast, nodes on a new last axis)."""
    xg, wg = rule
    lo, hi = np.asarray(lo, dtype=float)[..., None], np.asarray(hi, dtype=float)[..., None]
    half = 0.5 * (hi - lo)
    return 0.5 * (hi + lo) + half * xg, half * wg


#: a resonance closer to x = 0 than this many half-widths is integrated on geometric panels from x = 0 (isr_nodes)
_NEAR_HALF_WIDTHS = 8.0
#: their edges: half-width x 2^k, k = -3 .. 5
_NEAR_EDGES = 2.0 ** np.arange(-3, 6)


def isr_nodes(s, x_max, window=None, x_min=None):
    """Nodes x and weights w with sum_k w_k f(x_k) ~ int_x_min^x_max H(x, s) f(x) dx (x_min = 0 by default).

    ``s`` and ``x_max`` broadcast to a shape S. Without ``window``: 8 Gauss-Legendre nodes in u = x^beta over
    [x_min, x_max] (exact for the soft term times any polynomial of degree < 16 in u, on any interval). ``window``
    = (centre, half) in x (shape S, NaN = none) marks a resonance of half-width ``half`` at x = ``centre``:

    * centre >= 8 half: [x_min, x_max] is split into [x_min, a], [a, b], [b, x_max] with [a, b] = [max(centre - 40
      half, centre/2), centre + 40 half] and 8 + 24 + 8 nodes; on [a, b] the nodes follow x = centre + half
      tan(theta) (flat for a Breit-Wigner of that half-width; H is smooth there since a >= 4 half > 0);
    * centre < 8 half (the resonance sits on the soft singularity x^(beta - 1), e.g. a Z' on a measured energy):
      [x_min, centre + 40 half] on the geometric panels with edges half x 2^k (k = -3..5), 8 nodes in u each, and
      8 nodes on the rest. A tan map there would miss the singular weight between x = 0 and its first node.

    Returns x, w of shape S + (n,); n = 40, or 88 if some point is in the second case (the others padded with
    zero weights).
    """
    s, x_max = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(x_max, dtype=float))
    x_min = np.zeros(s.shape) if x_min is None else np.broadcast_to(np.asarray(x_min, dtype=float), s.shape)
    bb = isr_beta(s)
    b, c = bb[..., None], soft_coefficient(s)[..., None]
    u_max, u_min = x_max**bb, x_min**bb
    if window is None:
        u, w = _gl(u_min, u_max, _GL8)
        x, f = _u_weight(u, b, c)
        return x, w * f
    centre, half = (np.broadcast_to(np.asarray(v, dtype=float), s.shape) for v in window)
    has = np.isfinite(centre) & np.isfinite(half) & (half > 0)
    with np.errstate(invalid="ignore"):
        near = has & (centre < _NEAR_HALF_WIDTHS * half)
        tan_mode = has & ~near
        lo = np.where(tan_mode, np.maximum(centre - 40.0 * half, 0.5 * centre), np.where(near, x_min, x_max))
        hi = np.where(has, centre + 40.0 * half, x_max)
        lo, hi = np.clip(lo, x_min, x_max), np.clip(hi, x_min, x_max)
        tan_mode = tan_mode & (hi > lo)
    # [x_min, lo] and [hi, x_max] in u
    u1, w1 = _gl(u_min, lo**bb, _GL8)
    x1, f1 = _u_weight(u1, b, c)
    u3, w3 = _gl(hi**bb, u_max, _GL8)
    x3, f3 = _u_weight(u3, b, c)
    # [lo, hi] of the tan mode
    cc, hh = np.where(tan_mode, centre, 0.0)[..., None], np.where(tan_mode, half, 1.0)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t, wt = _gl(np.arctan((lo - cc[..., 0]) / hh[..., 0]), np.arctan((hi - cc[..., 0]) / hh[..., 0]), _GL24)
        xt = cc + hh * np.tan(t)
        ft = np.where(tan_mode[..., None], radiator(np.where(tan_mode[..., None], xt, 0.5), s[..., None]), 0.0)
        ft = ft * hh / np.cos(t) ** 2
    xt = np.where(tan_mode[..., None], xt, 0.5 * x_max[..., None])
    x = np.concatenate([x1, xt, x3], axis=-1)
    w = np.concatenate([w1 * f1, wt * ft, w3 * f3], axis=-1)
    if not np.any(near):
        return x, w
    # near mode: geometric panels on [x_min, hi] (lo = x_min there, so the first part above is empty)
    hn = np.where(near, half, 0.0)[..., None]
    edges = np.concatenate([x_min[..., None], np.clip(hn * _NEAR_EDGES, x_min[..., None], hi[..., None]), hi[..., None]], axis=-1)
    xs, ws = [], []
    for k in range(edges.shape[-1] - 1):
        uk, wk = _gl(edges[..., k] ** bb, edges[..., k + 1] ** bb, _GL8)
        xk, fk = _u_weight(uk, b, c)
        xs.append(np.where(near[..., None], xk, 0.5 * x_max[..., None]))
        ws.append(np.where(near[..., None], wk * fk, 0.0))
    x_near, w_near = np.concatenate(xs, axis=-1), np.concatenate(ws, axis=-1)
    pad = x_near.shape[-1] - (x.shape[-1] - 8)
    x = np.concatenate([x[..., :-8], np.broadcast_to(0.5 * x_max[..., None], s.shape + (pad,)), x3], axis=-1)
    w = np.concatenate([w[..., :-8], np.zeros(s.shape + (pad,)), w3 * f3], axis=-1)
    x = np.where(near[..., None], np.concatenate([x_near, x3], axis=-1), x)
    w = np.where(near[..., None], np.concatenate([w_near, w3 * f3], axis=-1), w)
    return x, w


def radiator_flux(s, x_max) -> np.ndarray:
    """N = int_0^x_max H(x, s) / (1 - x) dx: the ISR factor of a 1/s cross section (the SM normalisation)."""
    s, x_max = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(x_max, dtype=float))
    b, c = isr_beta(s)[..., None], soft_coefficient(s)[..., None]
    u_max = x_max**isr_beta(s)
    # 3 x 24 nodes: the 1/(1 - x) growth sits at large x, i.e. near u_max
    edges = [np.zeros_like(u_max), 0.5 * u_max, 0.85 * u_max, u_max]
    total = np.zeros(u_max.shape)
    for lo, hi in itertools.pairwise(edges):
        u, w = _gl(lo, hi, _GL24)
        x, f = _u_weight(u, b, c)
        total = total + np.sum(w * f / (1.0 - x), axis=-1)
    return total
