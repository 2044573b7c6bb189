r"""Recast of the CMS dimuon dark-photon limits for a broad dark photon that decays to Dirac dark matter.

Method: J. R. Felix, A. W. Thomas, X. G. Wang et al., "Relaxing constraints on a broad dark photon",
arXiv:2505.03241 (its equations are re-derived here),
formalism of Kribs, McKeen, Raj, arXiv:2007.15655 (exact kinetic-mixing diagonalisation, provided by
:class:`kinmix_stats.model.DarkPhoton`).

1. Dark width (arXiv:2505.03241 Eq. 12, leading order in the mixing; Dirac fermion chi with
   coupling g_D, alpha_D = g_D^2/4pi):

       Gamma(A' -> chi chibar) = alpha_D m/3 (1 + 2 m_chi^2/m^2) sqrt(1 - 4 m_chi^2/m^2),

   zero for m <= 2 m_chi. The model applies the exact X-component factor R_XZ'^2 (-> 1 as eps -> 0).
2. Drell-Yan pp -> gamma*/Z/A' -> mu mu at 13 TeV with all interferences, LO PDFs, and Gaussian smearing
   sigma_M = r M (:mod:`.drell_yan`; arXiv:2505.03241 Eqs. 15-19).
3. Signal = all terms of the squared amplitude that contain the A' propagator (A'A', gamma-A', Z-A';
   the "dark photon cross section" of arXiv:2505.03241 Figs. 2-4). The O(eps^2) change of the gamma/Z
   continuum is smooth and would be absorbed by the sideband background fit of the search.
   Background B = SM Drell-Yan (eps = 0 in the same model).
4. Peak-height matching (arXiv:2505.03241 Eq. 23, reconstructed from its text "equating the maximum peak
   height (relative to the SM background) between the narrow and broad resonances"):

       max_M [S_smeared/B_smeared](m, eps_CMS, Gamma_dark = 0)
           = max_M [S_smeared/B_smeared](m, eps_relaxed, Gamma_dark(alpha_D, m_chi)),

   solved for eps_relaxed, the maximum taken over reconstructed masses within
   m +- (5 sigma_M + 2 Gamma_dark). For alpha_D -> 0 the two sides are the same function and
   eps_relaxed = eps_CMS (a test checks this to 1e-6).

The CMS curve (arXiv:1912.04776; the Darkcast digitisation of Fig. 3 of the *preliminary*
CMS-PAS-EXO-19-018, which shows **90% CL** upper limits on eps^2; Darkcast stores eps) is GPL-2.0-or-later
and is **not shipped**: it is read from ``cms_limit_path`` (a file or a directory holding
``darkcast_CMS_CMS2019kiy.lmt``), else ``$KINMIX_EXTERNAL_LIMITS``, else ``<repo>/../shared/data/limits/``
(see :mod:`kinmix_stats.external_limits`). Its epsilon is the photon-like eps_gamma; we convert with
eps = eps_gamma / cos(theta_W) (:func:`kinmix_stats.model.conventions.epsilon_from_epsilon_gamma`) and
report Hook's eps everywhere. The relaxed limits inherit the CL of the input curve (90%).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_in_range
from ..external_limits import DARKCAST_SENTINEL, external_limit_info, load_external_limit
from ..inputs.sm import SMParameters
from ..model import DarkPhoton, DiracDarkMatter, NoZPrimeStateError
from ..model.conventions import epsilon_from_epsilon_gamma
from .drell_yan import DrellYan, bosons_from_model, check_resolution, smearing_matrix, trapezoid_weights, true_mass_grid
from .pdf import DEFAULT_PDF_SET, LHAPDFGrid, load_pdf

__all__ = [
    "CMS_LIMIT_NAME",
    "CMSLimit",
    "load_cms_limit",
    "dirac_dm_width",
    "PeakMatcher",
    "relaxed_epsilon",
    "CMSRecast",
    "compute_recast",
    "recast_cms",
    "CSV_COLUMNS",
    "ALPHA_D_MAX",
]

CMS_LIMIT_NAME = "cms_2019_dimuon"
CSV_COLUMNS = ("mass_gev", "alpha_d", "eps_cms", "eps_relaxed")
ALPHA_D_MAX = 4.0 * math.pi  # perturbativity bound g_D <= 4 pi (alpha_D <= 4 pi), as in the model
EPS_SEARCH_MAX = 1.0  # largest Hook eps tried when solving the matching condition


# ------------------------------------------------------------------------------------------ CMS limit
@dataclass(frozen=True)
class CMSLimit:
    """The CMS dimuon limit curve: masses (GeV), eps_gamma (file convention) and eps in Hook's convention."""

    mass_gev: np.ndarray
    eps_gamma: np.ndarray
    eps_hook: np.ndarray
    path: str
    md5: str
    confidence_level: float
    cl_note: str
    z_window: tuple[float, float]

    def metadata(self) -> dict:
        info = external_limit_info(CMS_LIMIT_NAME)
        return {
            "path": self.path,
            "md5": self.md5,
            "experiment": "CMS",
            "arxiv": "1912.04776",
            "digitisation": info.description,
            "licence": info.licence,
            "source": info.source,
            "confidence_level": self.confidence_level,
            "cl_note": self.cl_note,
            "file_convention": "epsilon_gamma (photon-like), converted to Hook eps = eps_gamma / cos(theta_W)",
            "z_window_gev": list(self.z_window),
        }


def load_cms_limit(path: str | os.PathLike | None = None, sm: SMParameters | None = None) -> CMSLimit:
    """Read the Darkcast CMS curve from ``path`` (file or directory), else the default locations.

    Sentinel rows (eps = 1e5, Darkcast's "no limit here") are dropped; their masses define the Z window.
    """
    sm = SMParameters() if sm is None else sm
    info = external_limit_info(CMS_LIMIT_NAME)
    if path is not None and Path(path).is_file():
        file = Path(path)
    else:
        if path is not None and not Path(path).is_dir():
            raise FileNotFoundError(
                f"CMS limit path {str(path)!r} does not exist; give the Darkcast file {info.file} "
                "(GPL-2.0-or-later, not shipped) or its directory"
            )
        file = Path(load_external_limit(CMS_LIMIT_NAME, directory=path).path)
    try:
        raw = np.loadtxt(file, comments="#", ndmin=2)
    except (ValueError, UnicodeDecodeError) as err:
        reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
        raise ValueError(f"{file}: not a two-column table of numbers (mass GeV, eps_gamma): {reason}") from None
    if raw.ndim != 2 or raw.shape[0] == 0 or raw.shape[1] != 2:
        raise ValueError(f"{file}: expected two columns (mass GeV, eps_gamma), got shape {raw.shape}")
    sentinel = raw[:, 1] >= DARKCAST_SENTINEL
    m, e = raw[~sentinel, 0], raw[~sentinel, 1]
    if np.any(~np.isfinite(e) | (e <= 0)) or np.any(np.diff(m) <= 0):
        raise ValueError(f"{file}: masses must increase and eps must be finite and > 0")
    zw = (float(raw[sentinel, 0].min()), float(raw[sentinel, 0].max())) if np.any(sentinel) else (math.nan, math.nan)
    return CMSLimit(
        mass_gev=m,
        eps_gamma=e,
        eps_hook=np.asarray(epsilon_from_epsilon_gamma(e, sin2_theta_w=sm.sin2_theta_w)),
        path=str(file.resolve()),
        md5=hashlib.md5(file.read_bytes()).hexdigest(),
        confidence_level=float(info.confidence_level or math.nan),
        cl_note=info.cl_note,
        z_window=zw,
    )


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


# ------------------------------------------------------------------------------------------ compute
def _validate_inputs(alpha_d: Sequence[float], m_chi: float | None, resolution: float) -> tuple[list[float], float]:
    if isinstance(alpha_d, (int, float)):
        alpha_d = [float(alpha_d)]
    alphas = [check_in_range(f"alpha_d[{i}]", a, 0.0, ALPHA_D_MAX) for i, a in enumerate(alpha_d)]
    if not alphas:
        raise ValueError("alpha_d must contain at least one value in [0, 4 pi]")
    mc = 0.0 if m_chi is None else check_in_range("m_chi (GeV)", m_chi, 0.0, math.inf, high_inclusive=False)
    check_resolution(resolution)
    return alphas, mc


@dataclass(frozen=True, eq=False)
class CMSRecast:
    """The relaxed CMS limits of :func:`compute_recast` (what the outputs and figures are made from).

    Attributes
    ----------
    mass_gev, eps_cms: (M,) CMS masses used and their limit in Hook's eps.
    alpha_d: the dark couplings, in input order.
    eps_relaxed, status: (A, M) relaxed eps and the status of each match (see :meth:`PeakMatcher.match`).
    m_chi, resolution: the Dirac dark-matter mass (GeV) and sigma_M/M.
    cms: the CMS curve read.
    matchers: index into ``mass_gev`` -> :class:`PeakMatcher` of each showcase mass (widest dark width asked for).
    metadata: provenance (method, references, convention, inputs, PDF, status legend).
    """

    mass_gev: np.ndarray
    eps_cms: np.ndarray
    alpha_d: list[float]
    eps_relaxed: np.ndarray
    status: np.ndarray
    m_chi: float
    resolution: float
    cms: CMSLimit
    matchers: dict[int, PeakMatcher] = field(repr=False)
    metadata: dict[str, Any] = field(repr=False)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (mass, alpha_D), masses outer: ``mass_gev, alpha_d, eps_cms, eps_relaxed, status``."""
        return [
            {
                "mass_gev": float(m),
                "alpha_d": a,
                "eps_cms": float(self.eps_cms[k]),
                "eps_relaxed": float(self.eps_relaxed[i, k]),
                "status": str(self.status[i, k]),
            }
            for k, m in enumerate(self.mass_gev)
            for i, a in enumerate(self.alpha_d)
        ]

    def csv_rows(self) -> list[list[str]]:
        """:meth:`rows` as the cells of :data:`CSV_COLUMNS` (masses and alpha_D to 6 digits, eps as %.6e)."""
        return [[f"{r['mass_gev']:.6g}", f"{r['alpha_d']:.6g}", f"{r['eps_cms']:.6e}", f"{r['eps_relaxed']:.6e}"] for r in self.rows()]

    def showcase_spectra(self) -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
        """Binned smeared spectra (pb per bin, 60 bins over the matching window) at each showcase mass.

        ``{"<mass tag>/<name>": (edges, values, title)}``: the SM background, the narrow signal at eps_CMS,
        and per alpha_D the broad signal at eps_CMS (alpha_D > 0) and at eps_relaxed.
        """
        out: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}
        for k, pm in sorted(self.matchers.items()):
            edges = np.linspace(pm.reco_lo, pm.reco_hi, 61)
            tag = f"m{self.mass_gev[k]:.3f}".replace(".", "p")
            eps = float(self.eps_cms[k])
            out[f"{tag}/background_sm"] = (edges, _binned(pm, pm.background_true, edges), "SM Drell-Yan, smeared [pb/bin]")
            out[f"{tag}/signal_narrow_eps_cms"] = (
                edges, _binned(pm, pm.signal_true(eps), edges), f"A' signal, narrow, eps={self.eps_cms[k]:.4g} [pb/bin]"
            )
            for i, a in enumerate(self.alpha_d):
                atag = f"alphaD_{a:g}".replace(".", "p").replace("-", "m")
                if a > 0:
                    out[f"{tag}/signal_{atag}_eps_cms"] = (
                        edges, _binned(pm, pm.signal_true(eps, a, self.m_chi), edges), f"A' signal, alpha_D={a:g}, eps=eps_cms"
                    )
                relaxed = float(self.eps_relaxed[i, k])
                out[f"{tag}/signal_{atag}_eps_relaxed"] = (
                    edges, _binned(pm, pm.signal_true(relaxed, a, self.m_chi), edges),
                    f"A' signal, alpha_D={a:g}, eps={self.eps_relaxed[i, k]:.4g}",
                )
        return out


def _binned(pm: PeakMatcher, spectrum_true: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Smeared ``spectrum_true`` integrated over each bin of ``edges`` (trapezoid on 20 sub-bins per bin)."""
    fine = np.linspace(edges[0], edges[-1], 20 * (edges.size - 1) + 1)
    k = smearing_matrix(fine, pm.m_true, pm.resolution, pm.weights)
    dens = k @ spectrum_true
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))])
    return np.diff(cum[:: 20])


def compute_recast(
    cms: CMSLimit,
    pdf: LHAPDFGrid,
    alpha_d: Sequence[float],
    m_chi: float | None,
    resolution: float,
    *,
    pdf_set: str = DEFAULT_PDF_SET,
    masses: Sequence[float] | None = None,
    showcase_masses: Sequence[float] = (20.0, 50.0, 150.0),
    sm: SMParameters | None = None,
) -> CMSRecast:
    """Relax the CMS limit ``cms`` for every alpha_D by peak-height matching (arguments as :func:`recast_cms`)."""
    alphas, mc = _validate_inputs(alpha_d, m_chi, resolution)
    sm = SMParameters() if sm is None else sm
    dy = DrellYan(pdf, m_min=5.0, m_max=300.0)
    if masses is None:
        idx = np.arange(cms.mass_gev.size)
    else:
        req = np.atleast_1d(np.asarray(masses, dtype=float))
        idx = np.unique([int(np.argmin(np.abs(cms.mass_gev - m))) for m in req])
    m_pts, eps_pts = cms.mass_gev[idx], cms.eps_hook[idx]

    relaxed = np.empty((len(alphas), m_pts.size))
    status = np.empty((len(alphas), m_pts.size), dtype=object)
    matchers: dict[int, PeakMatcher] = {}
    show_idx = {int(np.argmin(np.abs(m_pts - s))) for s in showcase_masses if m_pts.size}
    for k, (m, e) in enumerate(zip(m_pts, eps_pts, strict=True)):
        # one matcher per alpha_D: its window (m +- 5 sigma_M + 2 Gamma_dark) and grids follow that width
        for i, a in enumerate(alphas):
            pm = PeakMatcher(float(m), resolution, dy, float(e), float(dirac_dm_width(m, a, mc)), sm)
            relaxed[i, k], status[i, k] = pm.match(a, mc)
        if k in show_idx:
            gmax_m = max(float(dirac_dm_width(m, a, mc)) for a in alphas)
            matchers[k] = PeakMatcher(float(m), resolution, dy, float(e), gmax_m, sm)
    metadata = {
        "method": "peak-height matching of smeared S/B, arXiv:2505.03241 Eq. 23 (reconstructed, see module docstring)",
        "references": ["arXiv:2505.03241", "arXiv:2007.15655", "arXiv:1912.04776"],
        "epsilon_convention": "Hook et al. arXiv:1006.0973: L > -(sin eps/2) F'B; eps_gamma = cos(theta_W) eps",
        "sin2_theta_w": sm.sin2_theta_w,
        "confidence_level": cms.confidence_level,
        "cms_limit": cms.metadata(),
        "resolution_sigma_m_over_m": resolution,
        "m_chi_gev": mc,
        "alpha_d": alphas,
        "pdf": {"set": pdf_set, "file": str(pdf.path), "member": 0, "scale": "mu_F = M_mumu", "order": "LO"},
        "sqrt_s_gev": dy.sqrt_s,
        "quarks": list(dy.quarks),
        "signal_definition": "all |amplitude|^2 terms containing the A' propagator; background = SM DY (eps=0)",
        "status_legend": {
            "ok": "matching solved",
            "dm_closed": "m <= 2 m_chi: no dark decay, eps_relaxed = eps_cms",
            "not_reached": "peak stays below target up to the largest eps with a Z'-like state (<= 1): lower bound",
        },
    }
    return CMSRecast(m_pts, eps_pts, alphas, relaxed, status, mc, resolution, cms, matchers, metadata)


# ------------------------------------------------------------------------------------------ driver
def recast_cms(
    alpha_d: Sequence[float],
    m_chi: float | None,
    resolution: float,
    out_dir: Path,
    cms_limit_path: Path | None = None,
    *,
    pdf_path: str | os.PathLike | None = None,
    pdf_set: str = DEFAULT_PDF_SET,
    masses: Sequence[float] | None = None,
    showcase_masses: Sequence[float] = (20.0, 50.0, 150.0),
    sm: SMParameters | None = None,
    make_plots: bool = True,
) -> dict:
    """Recast the CMS dimuon dark-photon limit for a broad dark photon (arXiv:2505.03241) and write the outputs.

    Parameters
    ----------
    alpha_d: dark couplings alpha_D in [0, 4 pi] (0 reproduces the CMS curve).
    m_chi: Dirac dark-matter mass in GeV (None = 0). Where m <= 2 m_chi the dark channel is closed
        and eps_relaxed = eps_cms (status "dm_closed" in the JSON).
    resolution: relative dimuon mass resolution sigma_M/M in (0, 0.5] (required: the value used by the
        paper is lost in the seed text and could not be confirmed from arXiv:1812.10529/1912.04776).
    out_dir: output directory (created if missing).
    cms_limit_path: the Darkcast CMS file or its directory (GPL, not shipped); default
        ``$KINMIX_EXTERNAL_LIMITS`` then ``<repo>/../shared/data/limits/``.
    pdf_path, pdf_set: PDF location and set (see :func:`kinmix_stats.recast.pdf.find_pdf_file`).
    masses: subset of masses (GeV) to evaluate; default every CMS point (11.5-200 GeV, Z window excluded).
        Each requested mass is snapped to the nearest CMS point.
    showcase_masses: masses (GeV, snapped to CMS points) for the ROOT spectra and the shape figure.

    Writes (atomically) ``recast_cms.csv`` (columns exactly ``mass_gev, alpha_d, eps_cms, eps_relaxed``,
    Hook's eps), ``recast_cms.json`` (same rows + metadata), ``recast_cms_spectra.root`` (hist
    histograms of smeared background and signals, :func:`CMSRecast.showcase_spectra`), and
    ``recast_cms_shapes.png`` / ``recast_cms_limits.png`` (:mod:`kinmix_stats.plotting.recast`).
    Returns a dict with the arrays, metadata and file paths.
    """
    from .._env import created_utc
    from ..io.atomic import atomic_write_csv, atomic_write_json
    from ..io.root import write_histograms

    alphas, mc = _validate_inputs(alpha_d, m_chi, resolution)
    sm = SMParameters() if sm is None else sm
    out_dir = Path(out_dir)
    cms = load_cms_limit(cms_limit_path, sm)
    pdf = load_pdf(pdf_set, 0, pdf_path)
    out_dir.mkdir(parents=True, exist_ok=True)  # only once the inputs are known to be good
    res = compute_recast(cms, pdf, alphas, mc, resolution, pdf_set=pdf_set, masses=masses, showcase_masses=showcase_masses, sm=sm)
    rows = res.rows()
    metadata = {**res.metadata, "created_utc": created_utc()}
    csv_path = atomic_write_csv(out_dir / "recast_cms.csv", CSV_COLUMNS, res.csv_rows())
    json_path = atomic_write_json(
        out_dir / "recast_cms.json", {"columns": [*CSV_COLUMNS, "status"], "rows": rows, "metadata": metadata}
    )
    root_path = write_histograms(out_dir / "recast_cms_spectra.root", res.showcase_spectra(), axis=("m_mumu", "m_mumu [GeV]"))
    files = {"csv": str(csv_path), "json": str(json_path), "root": str(root_path)}
    if make_plots:
        from ..plotting.recast import plot_recast

        files.update(plot_recast(res, out_dir))
    return {
        "mass_gev": res.mass_gev,
        "alpha_d": np.asarray(alphas),
        "eps_cms": res.eps_cms,
        "eps_relaxed": res.eps_relaxed,
        "status": res.status,
        "metadata": metadata,
        "files": files,
    }
