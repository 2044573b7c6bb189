r"""Recast of the CMS dimuon dark-photon limits for a broad dark photon that decays to Dirac dark matter.

Method: J. R. Felix, A. W. Thomas, X. G. Wang et al., "Relaxing constraints on a broad dark photon",
arXiv:2505.03241 (its equations are re-derived here),
formalism of Kribs, McKeen, Raj, arXiv:2007.15655 (exact kinetic-mixing diagonalisation, provided by
:class:`kinmix_stats.model.DarkPhoton`).

1. Dark width of the A' decay to Dirac dark matter (arXiv:2505.03241 Eq. 12).
2. Drell-Yan pp -> gamma*/Z/A' -> mu mu at 13 TeV with all interferences, LO PDFs, and Gaussian smearing
   sigma_M = r M (:mod:`.drell_yan`; arXiv:2505.03241 Eqs. 15-19).
3. Signal = the terms of the squared amplitude with the A' propagator; background = SM Drell-Yan.
4. Peak-height matching of the smeared S/B between the narrow CMS dark photon and the broad one
   (arXiv:2505.03241 Eq. 23, reconstructed), solved for eps_relaxed.

Steps 1, 3 and 4 at one mass are :mod:`.peak_matching` (with their equations); this module reads the CMS
curve (:func:`load_cms_limit`), runs the matching over it (:func:`compute_recast`) and writes the outputs
(:func:`recast_cms`).

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
from ..model.conventions import epsilon_from_epsilon_gamma
from .drell_yan import DrellYan, check_resolution, smearing_matrix
from .pdf import DEFAULT_PDF_SET, LHAPDFGrid, load_pdf
from .peak_matching import ALPHA_D_MAX, PeakMatcher, dirac_dm_width, relaxed_epsilon

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
