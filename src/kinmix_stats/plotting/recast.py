"""Figures of the CMS dimuon recast (:mod:`kinmix_stats.recast.cms_dimuon`): signal shapes and relaxed limits.

* ``recast_cms_shapes.png`` -- A' signal over the SM Drell-Yan background, unsmeared and smeared, at the
  middle showcase mass: narrow at eps_CMS, broad at eps_CMS, broad at the matched eps (analogue of
  arXiv:2505.03241 Figs. 2-4).
* ``recast_cms_limits.png`` -- the CMS limit and the relaxed limits per alpha_D (analogue of its Fig. 5).

Built on ``matplotlib.figure.Figure`` with an explicit Agg canvas (never the global pyplot backend) and
saved atomically with :func:`~kinmix_stats.plotting.exclusion.save_figure`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._optional import optional_dependency
from ..recast.cms_dimuon import dirac_dm_width
from .exclusion import save_figure

with optional_dependency("plot"):
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

if TYPE_CHECKING:
    from ..recast.cms_dimuon import CMSRecast

__all__ = ["plot_recast", "recast_limits_figure", "recast_shapes_figure"]

_DPI = 130


def _new_figure(**kw) -> Figure:  # explicit Agg canvas: never touches the global pyplot backend
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def recast_shapes_figure(res: CMSRecast) -> Figure:
    """Signal/background at the middle showcase mass for the alpha_D closest to 0.1 (needs ``res.matchers``)."""
    alphas, m_pts, eps_pts, relaxed, m_chi, resolution = res.alpha_d, res.mass_gev, res.eps_cms, res.eps_relaxed, res.m_chi, res.resolution
    k = sorted(res.matchers)[len(res.matchers) // 2]
    pm = res.matchers[k]
    positive = [a for a in alphas if a > 0] or alphas
    a_show = min(positive, key=lambda a: abs(math.log10(a / 0.1)) if a > 0 else math.inf)  # closest to 0.1
    i_show = alphas.index(a_show)
    g_show = float(dirac_dm_width(m_pts[k], a_show, m_chi))
    x_lo = max(pm.reco_lo, m_pts[k] - 6 * resolution * m_pts[k] - 3 * g_show)
    x_hi = min(pm.reco_hi, m_pts[k] + 6 * resolution * m_pts[k] + 3 * g_show)
    fig = _new_figure(figsize=(15, 4.2), constrained_layout=True)
    axes = fig.subplots(1, 3)
    sel = (pm.m_true >= x_lo) & (pm.m_true <= x_hi)
    rsel = (pm.m_reco >= x_lo) & (pm.m_reco <= x_hi)
    cases = [
        (f"narrow, eps={eps_pts[k]:.3g} (CMS)", float(eps_pts[k]), 0.0),
        (f"alpha_D={a_show:g}, eps={eps_pts[k]:.3g} (CMS)", float(eps_pts[k]), a_show),
        (f"alpha_D={a_show:g}, eps={relaxed[i_show, k]:.3g} (matched)", float(relaxed[i_show, k]), a_show),
    ]
    for ax, (title, eps, a) in zip(axes, cases, strict=True):
        st = pm.signal_true(eps, a, m_chi)
        smeared = ((pm.kernel @ st) / pm.background)[rsel]
        raw = st[sel] / pm.background_true[sel]
        ax.plot(pm.m_true[sel], raw, color="tab:blue", lw=1.2, label="unsmeared")
        ax.plot(pm.m_reco[rsel], smeared, color="tab:red", lw=1.5, label=f"smeared ({100 * resolution:g}%)")
        span = np.max(np.abs(smeared))
        if np.max(np.abs(raw)) > 5.0 * span:  # narrow spike: keep the smeared curve readable
            ax.set_ylim(-1.5 * span, 1.5 * span)
            ax.annotate(f"unsmeared peak {np.max(raw):.3g} (off scale)", xy=(0.02, 0.92), xycoords="axes fraction", fontsize=8)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(r"$m_{\mu\mu}$ [GeV]")
        ax.set_ylabel(r"A' signal / SM Drell-Yan")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"A' signal at m = {m_pts[k]:.2f} GeV (13 TeV, LO, {Path(pm.dy.pdf.path).stem}); eps in Hook's convention", fontsize=10)
    return fig


def recast_limits_figure(res: CMSRecast) -> Figure:
    """The CMS limit and the relaxed limit per alpha_D versus the A' mass (Z window shaded, not joined)."""
    alphas, m_pts, relaxed, cms = res.alpha_d, res.mass_gev, res.eps_relaxed, res.cms
    fig = _new_figure(figsize=(9.5, 5), constrained_layout=True)
    ax = fig.subplots()
    zlo, zhi = cms.z_window
    seg_break = np.r_[False, (m_pts[:-1] <= zlo) & (m_pts[1:] >= zhi)] if m_pts.size else np.zeros(0, bool)

    def _broken(y):
        x = m_pts.astype(float).copy()
        yy = np.asarray(y, dtype=float).copy()
        ins = np.flatnonzero(seg_break)
        return np.insert(x, ins, np.nan), np.insert(yy, ins, np.nan)

    mk = "o" if m_pts.size < 30 else None
    ax.plot(*_broken(res.eps_cms), color="k", lw=1.5, marker=mk, ms=3, label=f"CMS (arXiv:1912.04776, {100 * cms.confidence_level:.0f}% CL)")
    cmap = mpl.colormaps["plasma"]
    order = np.argsort(alphas)
    if len(alphas) > 1:
        lo, hi = relaxed[order[0]], relaxed[order[-1]]
        xb, ylo = _broken(lo)
        _, yhi = _broken(hi)
        ax.fill_between(xb, ylo, yhi, color="tab:orange", alpha=0.2, lw=0, label=rf"$\alpha_D\in[{alphas[order[0]]:g},{alphas[order[-1]]:g}]$")
    for j, i in enumerate(order):
        if alphas[i] == 0:
            continue
        ax.plot(*_broken(relaxed[i]), color=cmap(0.1 + 0.7 * j / max(len(alphas) - 1, 1)), lw=1.2, marker=mk, ms=3, label=rf"$\alpha_D={alphas[i]:g}$")
    ax.set_yscale("log")
    ax.set_xlabel(r"$m_{A'}$ [GeV]")
    ax.set_ylabel(r"$\epsilon$ (Hook et al.; $\epsilon_\gamma=\cos\theta_W\,\epsilon$)")
    ax.set_title(rf"Relaxed CMS limit, $m_\chi$={res.m_chi:g} GeV, $\sigma_M/M$={100 * res.resolution:g}%", fontsize=10)
    ax.axvspan(cms.z_window[0], cms.z_window[1], color="0.9", lw=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_recast(res: CMSRecast, out_dir: str | Path) -> dict[str, str]:
    """Write ``recast_cms_shapes.png`` (if there is a showcase mass) and ``recast_cms_limits.png`` to ``out_dir``.

    Returns ``{"figure_shapes": path, "figure_limits": path}`` (the first only when written).
    """
    out = Path(out_dir)
    files = {}
    if res.matchers:
        files["figure_shapes"] = str(save_figure(recast_shapes_figure(res), out / "recast_cms_shapes.png", dpi=_DPI, tight=False))
    files["figure_limits"] = str(save_figure(recast_limits_figure(res), out / "recast_cms_limits.png", dpi=_DPI, tight=False))
    return files
