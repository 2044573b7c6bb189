"""Decays of the new boson into a dark sector.

The dark current J_D couples to the gauge-basis field X with strength g_D. After diagonalisation a
mass eigenstate V_k couples to J_D with g_D R_Xk, where R_Xk is the X component of V_k
(arXiv:1006.0973 Eq. 5: R_XZ' = cos xi / cos eps, R_XZ = sin xi / cos eps). Hence the Z inherits an
exotic width from the mixing, Gamma_Z,exotic ~ tan^2 xi (m_Z/m_Z') Gamma_Z',dark (their Eq. 14).

Supported specifications (``width=`` argument of :class:`~kinmix_stats.model.ZPrime`):

* ``"narrow"``: no dark decays (arXiv:1006.0973 Eq. 13).
* ``"wide"``: Gamma(Z' -> dark) = 0.01 m_Z' (arXiv:1006.0973 Eq. 13), massless dark states.
* a float: Gamma(Z' -> dark) fixed to that value in GeV, massless dark states.
* :class:`DiracDarkMatter` (alpha_D, m_chi): a Dirac fermion chi of unit dark charge,
  Gamma(V -> chi chibar) = alpha_D R_XV^2 m_V / 3 (1 + 2 m_chi^2/m_V^2) sqrt(1 - 4 m_chi^2/m_V^2)
  (the vector-current width; for R_XZ' -> 1 the leading-order formula quoted in arXiv:2505.03241).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._checks import check_in_range

__all__ = ["DiracDarkMatter", "DarkWidthSpec", "dark_widths", "parse_width", "width_label"]

WIDE_FRACTION = 0.01  # arXiv:1006.0973 Eq. 13


@dataclass(frozen=True)
class DiracDarkMatter:
    """Dirac dark matter chi with coupling alpha_D = g_D^2/(4 pi) to the new U(1) and mass m_chi (GeV)."""

    alpha_d: float
    m_chi: float = 0.0

    def __post_init__(self) -> None:
        check_in_range("alpha_d", self.alpha_d, 0.0, 4.0 * math.pi)
        check_in_range("m_chi", self.m_chi, 0.0, math.inf, high_inclusive=False)


DarkWidthSpec = str | float | DiracDarkMatter


_ACCEPTED_WIDTHS = (
    "'narrow', 'wide', a dark width in GeV >= 0 (number or text such as '0.5'), "
    "'dirac:ALPHA_D:M_CHI' or DiracDarkMatter(alpha_d, m_chi)"
)


def parse_width(width: DarkWidthSpec) -> DarkWidthSpec:
    """Validate a width specification (the one place widths are parsed, for the API and the CLI).

    Returns ``"narrow"``/``"wide"``, a float dark width in GeV, or a :class:`DiracDarkMatter`; text forms
    ``"0.5"`` and ``"dirac:0.1:5"`` (alpha_D, m_chi in GeV) become the float / the DiracDarkMatter.
    """
    if isinstance(width, DiracDarkMatter):
        return width
    if isinstance(width, str):
        text = width.strip()
        if text in ("narrow", "wide"):
            return text
        if text.startswith("dirac:"):
            parts = text.split(":")
            try:
                alpha_d, m_chi = (float(x) for x in parts[1:])
            except ValueError:
                raise ValueError(
                    f"width {text!r}: expected dirac:ALPHA_D:M_CHI with two numbers, e.g. dirac:0.1:5"
                ) from None
            return DiracDarkMatter(alpha_d, m_chi)
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"unknown width {width!r}; accepted: {_ACCEPTED_WIDTHS}") from None
        return check_in_range("width (dark width of the Z', GeV)", value, 0.0, math.inf, high_inclusive=False)
    if isinstance(width, (int, float, np.floating, np.integer)) and not isinstance(width, bool):
        return check_in_range("width (dark width of the Z', GeV)", width, 0.0, math.inf, high_inclusive=False)
    raise ValueError(f"unknown width {width!r}; accepted: {_ACCEPTED_WIDTHS}")


def width_label(width) -> str:
    """Short text label of a width specification ("narrow", "wide", "1.5GeV", "diracDM_aD0.1_mchi5")."""
    width = parse_width(width)
    if isinstance(width, str):
        return width
    if isinstance(width, DiracDarkMatter):
        return f"diracDM_aD{width.alpha_d:g}_mchi{width.m_chi:g}"
    return f"{width:g}GeV"


def dark_widths(spec: DarkWidthSpec, masses: np.ndarray, x_components: np.ndarray) -> np.ndarray:
    """Partial widths into the dark sector of every massive eigenstate.

    Parameters
    ----------
    spec: the width specification.
    masses: (N, 3) physical masses of (A, Z, Z').
    x_components: (N, 3) X components R_Xk of (A, Z, Z').

    Returns
    -------
    (N, 3) dark widths in GeV (the photon's is exactly zero since R_XA = 0).
    """
    masses = np.asarray(masses, dtype=float)
    r2 = np.asarray(x_components, dtype=float) ** 2
    if isinstance(spec, DiracDarkMatter):
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = np.where(masses > 0, spec.m_chi**2 / np.where(masses > 0, masses, 1.0) ** 2, np.inf)
            open_ = rr < 0.25
            beta = np.sqrt(np.clip(1.0 - 4.0 * rr, 0.0, None))
            width = spec.alpha_d * r2 * masses / 3.0 * (1.0 + 2.0 * np.where(open_, rr, 0.0)) * beta
        return np.where(open_, width, 0.0)
    if spec == "narrow":
        return np.zeros_like(masses)
    gamma_zp = WIDE_FRACTION * masses[:, 2] if spec == "wide" else np.full(masses.shape[0], float(spec))
    # Gamma_k = kappa R_Xk^2 m_k with kappa fixed by the Z' dark width (massless dark states)
    with np.errstate(divide="ignore", invalid="ignore"):  # masked points (mass 0) only
        kappa = gamma_zp / (r2[:, 2] * masses[:, 2])
    return np.nan_to_num(kappa)[:, None] * r2 * masses
