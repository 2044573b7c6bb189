r"""Peak-height matching of a broad dark photon to a narrow one at one mass (J. R. Felix, A. W. Thomas,
X. G. Wang et al., "Relaxing constraints on a broad dark photon", arXiv:2505.03241; its equations are
re-derived here): steps 1, 3 and 4 of the recast of :mod:`.cms_dimuon`.

1. Dark width (arXiv:2505.03241 Eq. 12, leading order in the mixing; Dirac fermion chi with
   coupling g_D, alpha_D = g_D^2/4pi), :func:`dirac_dm_width`:

       Gamma(A' -> chi chibar) = alpha_D m/3 (1 + 2 m_chi^2/m^2) sqrt(1 - 4 m_chi^2/m^2),

   zero for m <= 2 m_chi. The model applies the exact X-component factor R_XZ'^2 (-> 1 as eps -> 0).
3. Signal = all terms of the squared amplitude that contain the A' propagator (A'A', gamma-A', Z-A';
   the "dark photon cross section" of arXiv:2505.03241 Figs. 2-4). The O(eps^2) change of the gamma/Z
   continuum is smooth and would be absorbed by the sideband background fit of the search.
   Background B = SM Drell-Yan (eps = 0 in the same model); both smeared with sigma_M = r M (:mod:`.drell_yan`).
4. Peak-height matching (arXiv:2505.03241 Eq. 23, reconstructed from its text "equating the maximum peak
   height (relative to the SM background) between the narrow and broad resonances"), :meth:`PeakMatcher.match`:

       max_M [S_smeared/B_smeared](m, eps_CMS, Gamma_dark = 0)
           = max_M [S_smeared/B_smeared](m, eps_relaxed, Gamma_dark(alpha_D, m_chi)),

   solved for eps_relaxed, the maximum taken over reconstructed masses within
   m +- (5 sigma_M + 2 Gamma_dark). For alpha_D -> 0 the two sides are the same function and
   eps_relaxed = eps_CMS (a test checks this to 1e-6).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_in_range
from ..inputs.sm import SMParameters
from ..model import DarkPhoton, DiracDarkMatter, NoZPrimeStateError
from .drell_yan import DrellYan, bosons_from_model, check_resolution, smearing_matrix, trapezoid_weights, true_mass_grid

__all__ = ["ALPHA_D_MAX", "EPS_SEARCH_MAX", "PeakMatcher", "dirac_dm_width", "relaxed_epsilon"]

ALPHA_D_MAX = 4.0 * math.pi  # perturbativity bound g_D <= 4 pi (alpha_D <= 4 pi), as in the model
EPS_SEARCH_MAX = 1.0  # largest Hook eps tried when solving the matching condition


# ------------------------------------------------------------------------------------------ dark width
def dirac_dm_width(mass, alpha_d: float, m_chi: float = 0.0) -> np.ndarray | float:
    """Gamma(A' -> chi chibar) in GeV at leading order in the mixing (arXiv:2505.03241 Eq. 12).

    alpha_D m/3 (1 + 2 m_chi^2/m^2) sqrt(1 - 4 m_chi^2/m^2); exactly 0 where m <= 2 m_chi (closed).
    Raises ``ValueError`` for alpha_D outside [0, 4 pi], m_chi < 0 or non-positive masses.
    """
    a = check_in_range("alpha_d", alpha_d, 0.0, ALPHA_D_MAX)
    mc = check_in_range("m_chi (GeV)", m_chi, 0.0, math.inf, high_inclusive=False)
    m = np.asarray(mass, dtype=float)
    if np.any(~np.isfinite(m) | (m <= 0)):
        raise ValueError(f"mass must be finite and > 0 GeV (accepted range (0, inf)), got {mass!r}")
    r = mc**2 / m**2
    open_ = r < 0.25
    width = np.where(open_, a * m / 3.0 * (1.0 + 2.0 * r) * np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None)), 0.0)
    return float(width) if np.ndim(width) == 0 else width


# ------------------------------------------------------------------------------------------ matching
class PeakMatcher:
    """Signal-over-background machinery at one dark-photon mass (grids and smearing built once).

    Parameters
    ----------
    mass: physical A' mass (GeV).
    resolution: relative dimuon-mass resolution r = sigma_M/M (required; see :mod:`.drell_yan`).
    dy: a :class:`~kinmix_stats.recast.drell_yan.DrellYan` (PDF + collider energy).
    eps_narrow: Hook eps of the narrow reference (the CMS limit); sets the narrowest width to resolve.
    max_dark_width: the largest dark width (GeV) that will be asked for; sets the window.
    sm: SM parameters of the model.
    """

    def __init__(
        self,
        mass: float,
        resolution: float,
        dy: DrellYan,
        eps_narrow: float,
        max_dark_width: float = 0.0,
        sm: SMParameters | None = None,
    ) -> None:
        self.mass = check_in_range("mass (GeV)", mass, dy.m_min, dy.m_max, low_inclusive=False, high_inclusive=False)
        self.resolution = check_resolution(resolution)
        self.sm = SMParameters() if sm is None else sm
        self.dy = dy
        self.eps_narrow = check_in_range("eps_narrow", eps_narrow, 0.0, 0.5 * math.pi, low_inclusive=False, high_inclusive=False)
        sigma_m = self.resolution * self.mass
        half = min(5.0 * sigma_m + 2.0 * float(max_dark_width), 0.5 * self.mass)
        self.reco_lo, self.reco_hi = self.mass - half, self.mass + half
        true_lo = max(self.reco_lo * (1.0 - 7.0 * self.resolution), dy.m_min)
        true_hi = min(self.reco_hi * (1.0 + 7.0 * self.resolution), dy.m_max)
        narrow = DarkPhoton(self.mass, self.eps_narrow, width="narrow", sm=self.sm)
        self.narrow_width = float(narrow.total_width("Zp"))
        poles = [(self.mass, self.narrow_width)]
        bkg_model = DarkPhoton(self.mass, 0.0, width="narrow", sm=self.sm)
        mz, gz = float(bkg_model.mz), float(bkg_model.total_width("Z"))
        if true_lo - 10 * gz < mz < true_hi + 10 * gz:
            poles.append((mz, gz))
        self.m_true = true_mass_grid(true_lo, true_hi, poles, step=sigma_m / 8.0)
        self.weights = trapezoid_weights(self.m_true)
        n_reco = int(min(max(2.0 * half / (sigma_m / 8.0), 101), 2001))
        self.m_reco = np.linspace(self.reco_lo, self.reco_hi, n_reco)
        self.kernel = smearing_matrix(self.m_reco, self.m_true, self.resolution, self.weights)
        self.lum = dy.luminosity(self.m_true)
        self.bkg_bosons = bosons_from_model(bkg_model, include=("A", "Z"))
        self.background_true = dy.dsigma_dm(self.m_true, self.bkg_bosons, lum=self.lum)
        self.background = self.kernel @ self.background_true
        self._target: float | None = None

    # -- spectra ---------------------------------------------------------------------------------
    def model(self, epsilon: float, alpha_d: float = 0.0, m_chi: float = 0.0) -> DarkPhoton:
        width = "narrow" if alpha_d == 0.0 else DiracDarkMatter(alpha_d=alpha_d, m_chi=m_chi)
        return DarkPhoton(self.mass, epsilon, width=width, sm=self.sm)

    def signal_true(self, epsilon: float, alpha_d: float = 0.0, m_chi: float = 0.0) -> np.ndarray:
        """Unsmeared A' signal dsigma/dM (pb/GeV) on ``m_true`` (terms containing the A' propagator)."""
        bosons = bosons_from_model(self.model(epsilon, alpha_d, m_chi))
        return self.dy.dsigma_dm(self.m_true, bosons, only_with="Zp", lum=self.lum)

    def signal_smeared(self, epsilon: float, alpha_d: float = 0.0, m_chi: float = 0.0) -> np.ndarray:
        """Smeared A' signal dsigma/dM_reco (pb/GeV) on ``m_reco``."""
        return self.kernel @ self.signal_true(epsilon, alpha_d, m_chi)

    def peak_height(self, epsilon: float, alpha_d: float = 0.0, m_chi: float = 0.0) -> float:
        """max over m_reco of S_smeared/B_smeared (parabolic refinement around the best grid point)."""
        ratio = self.signal_smeared(epsilon, alpha_d, m_chi) / self.background
        k = int(np.argmax(ratio))
        if 0 < k < ratio.size - 1:
            y0, y1, y2 = ratio[k - 1 : k + 2]
            denom = y0 - 2.0 * y1 + y2
            if denom < 0:
                return float(y1 - 0.125 * (y2 - y0) ** 2 / denom)
        return float(ratio[k])

    # -- matching --------------------------------------------------------------------------------
    def match(self, alpha_d: float, m_chi: float = 0.0, *, rtol: float = 1e-7) -> tuple[float, str]:
        """Solve Eq. 23: eps with peak_height(eps; alpha_D) = peak_height(eps_narrow; 0).

        Returns (eps_relaxed, status) with status "ok", "dm_closed" (m <= 2 m_chi: eps_CMS returned),
        or "not_reached" (the broad peak stays below the target up to the largest eps for which a
        Z'-like state of this mass exists, at most 1.0; that eps is returned as a lower bound).
        """
        from scipy.optimize import toms748

        alpha_d = check_in_range("alpha_d", alpha_d, 0.0, ALPHA_D_MAX)
        m_chi = check_in_range("m_chi (GeV)", m_chi, 0.0, math.inf, high_inclusive=False)
        if alpha_d > 0.0 and 2.0 * m_chi >= self.mass:
            return self.eps_narrow, "dm_closed"
        if self._target is None:
            self._target = self.peak_height(self.eps_narrow)
        target = self._target

        if not target > 0:
            return self.eps_narrow, "no_positive_narrow_peak"

        def f(log_eps: float) -> float:
            # The smeared A' excess can be negative everywhere when the gamma-A' interference dominates
            # the resonance (small eps, broad A'): such a point lies below the target peak height.
            ratio = self.peak_height(math.exp(log_eps), alpha_d, m_chi) / target
            return math.log(ratio) if ratio > 1e-300 else -700.0

        # bracket: the peak grows at least like eps^2, so steps of x4 in eps raise it by >= 16
        log_max = math.log(EPS_SEARCH_MAX)
        lo = math.log(0.5 * self.eps_narrow)
        f_lo = f(lo)
        if f_lo > 0:  # cannot happen for alpha_D >= 0 (the dark width only lowers the peak)
            return 0.5 * self.eps_narrow, "below_bracket"
        while True:
            hi = min(lo + math.log(4.0), log_max)
            try:
                f_hi = f(hi)
            except NoZPrimeStateError:
                return self._edge(lo, hi, f)
            if f_hi >= 0:
                break
            if hi >= log_max - 1e-12:
                return EPS_SEARCH_MAX, "not_reached"
            lo, f_lo = hi, f_hi
        root = toms748(f, lo, hi, args=(), k=2, xtol=1e-12, rtol=rtol, maxiter=100, full_output=False)
        return math.exp(root), "ok"

    def _edge(self, lo: float, hi: float, f) -> tuple[float, str]:
        """The largest eps in [e^lo, e^hi] with a Z'-like state (bisection); solve there if the target is reached."""
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            try:
                val = f(mid)
            except NoZPrimeStateError:
                hi = mid
                continue
            if val >= 0:
                from scipy.optimize import brentq

                return math.exp(brentq(f, lo, mid, xtol=1e-12, rtol=1e-8)), "ok"
            lo = mid
        return math.exp(lo), "not_reached"


def relaxed_epsilon(
    mass: float,
    eps_cms: float,
    alpha_d: float,
    m_chi: float,
    resolution: float,
    dy: DrellYan,
    sm: SMParameters | None = None,
) -> float:
    """eps_relaxed (Hook) at one mass for one alpha_D (see :meth:`PeakMatcher.match`)."""
    gmax = float(dirac_dm_width(mass, alpha_d, m_chi))
    return PeakMatcher(mass, resolution, dy, eps_cms, gmax, sm).match(alpha_d, m_chi)[0]
