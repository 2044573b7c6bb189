"""Standard-Model parameters in the tree-level scheme used throughout the package.

The model is defined at tree level by three Lagrangian inputs: the electromagnetic coupling
``alpha`` (taken at the Z scale), the weak mixing angle ``sin2_theta_w`` and the unmixed Z mass
``mz0``. ``G_F`` then follows from the tree relation ``G_F = pi alpha / (sqrt(2) m_W0^2 s_W^2)``
with ``m_W0 = mz0 c_W``. In fits, alpha and sin2_theta_w are profiled while G_F is held fixed
(Hook, Izaguirre, Wacker, arXiv:1006.0973, text below Eq. 16: "G_F is fit by mu decay and does
not vary in practice"), so mz0 moves with them (:meth:`SMParameters.at_fixed_gf`).

Because predictions enter the likelihood only as relative residuals with respect to the tree-level
SM at the reference point (arXiv:1006.0973 Eqs. 15-18), the difference between this effective G_F
and the muon-decay value (the radiative correction Delta r) cancels.

Default values and their sources
--------------------------------
* alpha(m_Z) MS-bar = 1/127.951 +- 0.009 : PDG 2023 electroweak review (Sec. 10), as quoted in
  flavio 2.7.1 ``parameters_uncorrelated.yml``.
* sin^2 theta_W(m_Z) MS-bar = 0.23121 +- 0.00004 : PDG 2023 review, via flavio 2.7.1 (same file).
* m_Z = 91.1880 +- 0.0020 GeV : PDG 2024, pdgid S044M (``pdg`` package 0.1.4).
* G_F (muon decay) = 1.1663787e-5 GeV^-2 : CODATA 2022 / PDG 2024 physical constants.
* alpha(0) = 1/137.035999177 : CODATA 2022.
* alpha_s(m_Z) = 0.1180 +- 0.0009 : PDG 2024 world average (QCD review).
* m_H = 125.20 GeV (S126M), m_W = 80.3692 +- 0.0133 GeV (S043M display value): PDG 2024.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._checks import check_in_range, check_positive

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["SMParameters", "PDG", "alpha_s_running", "HBARC2_GEV2_PB", "HBARC2_GEV2_NB"]


@dataclass(frozen=True)
class _Measured:
    value: float
    error: float
    source: str


class PDG:
    """Measured inputs with their uncertainties and sources (see module docstring)."""

    ALPHA_MZ_INV = _Measured(127.951, 0.009, "PDG 2023 EW review Sec. 10 via flavio 2.7.1 (MS-bar, 5 flavours)")
    SIN2_THETA_W = _Measured(0.23121, 0.00004, "PDG 2023 review Sec. 1 via flavio 2.7.1 (MS-bar at m_Z)")
    MZ = _Measured(91.1880, 0.0020, "PDG 2024, pdgid S044M")
    MW = _Measured(80.3692, 0.0133, "PDG 2024, pdgid S043M display value (LHC-TeV MWWG, arXiv:2308.09417)")
    MH = _Measured(125.20, 0.11, "PDG 2024, pdgid S126M")
    GF = _Measured(1.1663787e-5, 6.0e-12, "CODATA 2022 (= PDG 2024 physical constants)")
    ALPHA_0_INV = _Measured(137.035999177, 0.000000021, "CODATA 2022")
    ALPHA_S_MZ = _Measured(0.1180, 0.0009, "PDG 2024 QCD review world average")


@dataclass(frozen=True)
class SMParameters:
    """Tree-level Lagrangian inputs of the electroweak sector.

    Parameters
    ----------
    alpha: electromagnetic coupling e^2/(4 pi) of the photon eigenstate at the Z scale.
    sin2_theta_w: sin^2 of the weak mixing angle (defines g, g' with ``alpha``).
    mz0: mass of the unmixed Z0 in GeV (``m_Z0 = m_W / cos theta_W``, arXiv:1006.0973 below Eq. 7).
    alpha_s_mz: strong coupling at m_Z for the QCD correction to hadronic widths.
    mh: Higgs mass in GeV (threshold of Z' -> Z h).
    """

    alpha: float = 1.0 / PDG.ALPHA_MZ_INV.value
    sin2_theta_w: float = PDG.SIN2_THETA_W.value
    mz0: float = PDG.MZ.value
    alpha_s_mz: float = PDG.ALPHA_S_MZ.value
    mh: float = PDG.MH.value

    def __post_init__(self) -> None:
        check_in_range("alpha", self.alpha, 0.0, 1.0, low_inclusive=False)
        check_in_range("sin2_theta_w", self.sin2_theta_w, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
        check_positive("mz0", self.mz0, unit="GeV")
        check_in_range("alpha_s_mz", self.alpha_s_mz, 0.0, 1.0)
        check_positive("mh", self.mh, unit="GeV")

    # --- derived couplings -------------------------------------------------------------------
    @property
    def e(self) -> float:
        """Electromagnetic coupling e = sqrt(4 pi alpha)."""
        return math.sqrt(4.0 * math.pi * self.alpha)

    @property
    def sw(self) -> float:
        return math.sqrt(self.sin2_theta_w)

    @property
    def cw(self) -> float:
        return math.sqrt(1.0 - self.sin2_theta_w)

    @property
    def g(self) -> float:
        """SU(2)_L coupling g = e / s_W."""
        return self.e / self.sw

    @property
    def g_prime(self) -> float:
        """Hypercharge coupling g' = e / c_W."""
        return self.e / self.cw

    @property
    def mw0(self) -> float:
        """Tree-level W mass m_W = m_Z0 c_W (the W does not mix with the new boson)."""
        return self.mz0 * self.cw

    @property
    def vev(self) -> float:
        """Higgs vacuum expectation value v = 2 m_W / g (about 246 GeV)."""
        return 2.0 * self.mw0 / self.g

    @property
    def gf(self) -> float:
        """Effective Fermi constant of the tree-level scheme, pi alpha / (sqrt 2 m_W^2 s_W^2)."""
        return math.pi * self.alpha / (math.sqrt(2.0) * self.mw0**2 * self.sin2_theta_w)

    # --- variations ----------------------------------------------------------------------------
    def at_fixed_gf(self, alpha: float, sin2_theta_w: float) -> SMParameters:
        """Return parameters with new (alpha, sin^2 theta_W) and m_Z0 re-solved at this G_F.

        ``m_Z0^2 = pi alpha / (sqrt 2 G_F s_W^2 c_W^2)`` (tree level), the scheme of
        arXiv:1006.0973 where alpha(m_Z) and sin^2 theta_W are fitted and G_F is fixed.
        """
        check_in_range("alpha", alpha, 0.0, 1.0, low_inclusive=False)
        check_in_range("sin2_theta_w", sin2_theta_w, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
        mz0 = math.sqrt(
            math.pi * alpha / (math.sqrt(2.0) * self.gf * sin2_theta_w * (1.0 - sin2_theta_w))
        )
        return replace(self, alpha=float(alpha), sin2_theta_w=float(sin2_theta_w), mz0=mz0)


def alpha_s_running(mu: ArrayLike, alpha_s_mz: float = PDG.ALPHA_S_MZ.value, mz: float = PDG.MZ.value) -> Any:
    """One-loop running strong coupling with five active flavours.

    alpha_s(mu) = alpha_s(m_Z) / (1 + b0 alpha_s(m_Z) ln(mu^2/m_Z^2)), b0 = (33 - 2 n_f)/(12 pi),
    n_f = 5 (PDG 2024 QCD review, Eq. 9.4 at one loop). The scale is clipped from below at 2 GeV,
    where the perturbative hadronic width is only a rough stand-in for the R-ratio resonances.
    """
    import numpy as np

    scale = np.maximum(np.asarray(mu, dtype=float), 2.0)
    b0 = (33.0 - 2.0 * 5.0) / (12.0 * math.pi)
    return alpha_s_mz / (1.0 + b0 * alpha_s_mz * np.log(scale**2 / mz**2))


#: (hbar c)^2 = 0.3893793721 GeV^2 mbarn (PDG 2024 physical constants table), in GeV^2 pb and GeV^2 nb.
HBARC2_GEV2_PB = 0.3893793721e9
HBARC2_GEV2_NB = 0.3893793721e6
