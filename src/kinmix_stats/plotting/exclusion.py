"""Exclusion and Brazil-band figures for :class:`~kinmix_stats.results.LimitCurve` (matplotlib + mplhep).

Figures are built on ``matplotlib.figure.Figure`` with an explicit Agg canvas (we never call pyplot or
change the global backend; nothing is shown) and saved atomically: the image is written to a temporary
file in the destination directory and renamed over the target (PNG, PDF, SVG or EPS by suffix).

Layout of the exclusion figure (a paper-draft style): short axis labels (``m_Z' [GeV]``, ``ε``), an
mplhep experiment-style label, our observed limit with the excluded region above it shaded, the expected
limit with its ±1σ/±2σ band (one curve) and the thin Δχ² cross-check; published limits as lines (the
muon g−2 favoured band as a band) drawn in Hook's ε with :meth:`ExternalLimit.epsilon_hook`; the legend
below the axes and a caption line stating the ε convention and the conversion of photon-like limits.
The y range comes from our limits (robust to a single outlier), never from an overlay.

Curves of a Z' model (``coupling="g_z"``) are drawn on a g_z axis over their own mass range, with a
horizontal line at the tested coupling (``metadata["tested_g_z"]``, else the model's nominal g_z);
the external dark-photon limits are limits on ε and are not drawn with them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._optional import optional_dependency

with optional_dependency("plot"):
    import mplhep
    from matplotlib import style as mpl_style
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

from ..external_limits import ExternalLimit, available_external_limits, external_limit_info, load_external_limit
from ..io.atomic import atomic_write_bytes, check_output_dir
from ..results import LimitCurve

__all__ = ["EPSILON_LABEL", "GZ_LABEL", "MASS_LABEL", "MASS_RANGE_GEV", "EPSILON_CAPTION", "G2_BAND",
           "DEFAULT_OVERLAYS", "FavouredBand", "overlay_names", "resolve_overlays", "exclusion_figure",
           "plot_exclusion", "brazil_figure", "plot_brazil", "y_range", "save_figure"]

#: y-axis label of every ε figure; the convention is stated in :data:`EPSILON_CAPTION`.
EPSILON_LABEL = r"$\varepsilon$"
#: Caption line under every ε figure.
EPSILON_CAPTION = (r"$\varepsilon$ of Hook et al. (arXiv:1006.0973): $\mathcal{L} \supset -(\sin\varepsilon/2)\,"
                   r"F'_{\mu\nu}B^{\mu\nu}$. Photon-like limits converted with $\varepsilon = \varepsilon_\gamma/\cos\theta_W$"
                   "\n(exact below $m_Z$). Published limits at their own CL.")
#: y-axis label of a Z'-model (g_z) figure.
GZ_LABEL = "$g_z$"
#: Caption line under every g_z figure.
GZ_CAPTION = "$g_z$: U(1)$'$ gauge coupling of the PDG Z$'$ review; any kinetic or mass mixing is a fixed input."
#: x-axis label: the physical Z' mass.
MASS_LABEL = "$m_{Z'}$ [GeV]"
#: x range of :func:`plot_exclusion`.
MASS_RANGE_GEV = (1.0, 1000.0)
#: Overlay name of the muon g-2 favoured band (its two Darkcast edge files, drawn as one band).
G2_BAND = "amm_mu_bodas_2021_favoured"
_G2_EDGES = ("amm_mu_bodas_2021_favoured_low", "amm_mu_bodas_2021_favoured_high")
#: Overlays of the default plot, in drawing order: the shipped (MIT) ones are always drawn, the GPL Darkcast
#: ones when their files are found (``--external-dir`` / ``$KINMIX_EXTERNAL_LIMITS``).
DEFAULT_OVERLAYS = ("hook_izaguirre_wacker_2010_ewfit", "babar_2014_hsl", "lhcb_2019_prompt", "cms_2019_dimuon", G2_BAND)
_GREEN = "#00cc00"
_YELLOW = "#ffcc00"
_WIDTH_COLOURS = ("black", "tab:blue", "tab:red", "tab:purple", "tab:brown")
_OVERLAY_COLOURS = ("tab:orange", "tab:cyan", "tab:pink", "tab:olive", "tab:gray", "tab:green", "tab:blue",
                    "tab:red", "tab:purple")
_SHORT = {
    "hook_izaguirre_wacker_2010_ewfit": "Hook et al. 2010 EW fit",
    "babar_2014_hsl": "BaBar 2014",
    "babar_2014": "BaBar 2014 (Darkcast)",
    "lhcb_2019_prompt": "LHCb 2019 prompt",
    "cms_2019_dimuon": "CMS 2019 dimuon",
    "amm_mu_bodas_2021": "muon g-2 exclusion",
    "lep_invisible_fox_2011": "LEP invisible recast",
}
_RC = {
    "font.family": ["TeX Gyre Heros", "DejaVu Sans"],  # fallback for glyphs such as the prime
    "axes.labelsize": 20,
    "axes.titlesize": 16,
    "legend.fontsize": 12,
}
_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg", ".eps": "eps"}


@dataclass(frozen=True)
class FavouredBand:
    """A band between two published curves (e.g. the muon g-2 2σ favoured region), drawn filled."""

    name: str
    low: ExternalLimit
    high: ExternalLimit

    @property
    def label(self) -> str:
        return f"$(g-2)_\\mu$ favoured $\\pm 2\\sigma$ ({self.low.arxiv})"

    def band(self, sin2_theta_w: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mass, lower ε, upper ε) in Hook's ε on the lower edge's masses (upper edge interpolated in log-log)."""
        m = self.low.mass_gev
        lo = self.low.epsilon_hook(sin2_theta_w)
        hi = np.exp(np.interp(np.log(m), np.log(self.high.mass_gev), np.log(self.high.epsilon_hook(sin2_theta_w)),
                              left=np.nan, right=np.nan))
        return m, lo, hi


def _cl(curves) -> str:
    """The confidence level(s) of ``curves`` for a label ("95%")."""
    return "/".join(dict.fromkeys(f"{100 * c.confidence_level:g}%" for c in curves))


def overlay_names() -> tuple[str, ...]:
    """Every name accepted as an overlay: the external-limit catalogue plus :data:`G2_BAND`."""
    return (*available_external_limits(), G2_BAND)


def _check_overlay_name(name: object) -> None:
    if name == G2_BAND:
        return
    if not isinstance(name, str) or name not in available_external_limits():
        raise ValueError(f"unknown overlay {name!r}; accepted: {', '.join(overlay_names())}")


def resolve_overlays(
    names: Sequence[str] = DEFAULT_OVERLAYS, directory: str | os.PathLike[str] | None = None
) -> tuple[list[ExternalLimit | FavouredBand], list[tuple[str, str]]]:
    """Load the overlays ``names``: ``(loaded, skipped)`` with ``skipped`` = ``[(name, reason), ...]``.

    Unknown names raise ``ValueError`` (naming them and the accepted ones) before anything is loaded; a
    missing or unreadable file is not an error here but a skipped entry whose reason names the file,
    the directory searched and the licence (the GPL Darkcast files are not shipped).
    """
    if isinstance(names, str):
        names = (names,)
    for n in names:
        _check_overlay_name(n)
    loaded: list[ExternalLimit | FavouredBand] = []
    skipped: list[tuple[str, str]] = []
    for n in names:
        try:
            if n == G2_BAND:
                low, high = (load_external_limit(e, directory) for e in _G2_EDGES)
                loaded.append(FavouredBand(G2_BAND, low, high))
            else:
                loaded.append(load_external_limit(n, directory))
        except (OSError, ValueError) as err:
            info = external_limit_info(_G2_EDGES[0] if n == G2_BAND else n)
            skipped.append((n, f"{err} [{info.licence}]"))
    return loaded, skipped


def _as_curves(curves: LimitCurve | Iterable[LimitCurve]) -> list[LimitCurve]:
    items = [curves] if isinstance(curves, LimitCurve) else list(curves)
    if not items:
        raise ValueError("no curves given to plot")
    for c in items:
        if not isinstance(c, LimitCurve):
            raise ValueError(f"expected LimitCurve objects, got {type(c).__name__}")
        if len(c) == 0:
            raise ValueError(f"curve for width {c.width!r} is empty (no mass points)")
        if c.coupling == "epsilon" and c.convention != "hook":
            raise ValueError(f"curve for width {c.width!r} is in convention {c.convention!r}; plots show Hook's ε only")
        if not any(np.any(np.isfinite(c.column(n))) for n in ("eps95_obs", "eps95_exp", "eps95_chi2")):
            raise ValueError(f"curve for width {c.width!r} has no finite limit to plot (all NaN)")
    kinds = sorted({f"{c.model} ({c.coupling})" for c in items})
    if len(kinds) > 1:
        raise ValueError(f"curves of different models or couplings cannot share a figure: {', '.join(kinds)}")
    return items


def _is_gz(items: list[LimitCurve]) -> bool:
    return items[0].coupling == "g_z"


def _reference_coupling(curve: LimitCurve) -> tuple[float, str] | None:
    """(g_z, label) of the horizontal line of a g_z figure: the tested or the nominal coupling, if any."""
    meta = curve.metadata
    tested = meta.get("tested_g_z")
    if isinstance(tested, (int, float)) and tested > 0:
        return float(tested), f"tested $g_z$ = {tested:.3g}"
    nominal = (meta.get("model") or {}).get("nominal_g_z") if isinstance(meta.get("model"), dict) else None
    if isinstance(nominal, (int, float)) and nominal > 0:
        return float(nominal), f"nominal $g_z$ of {curve.model} = {nominal:.3g}"
    return None


def _mass_range(items: list[LimitCurve]) -> tuple[float, float]:
    lo = min(float(c.mass_gev[0]) for c in items)
    hi = max(float(c.mass_gev[-1]) for c in items)
    return (lo, hi) if hi > lo else (lo / 1.5, hi * 1.5)


def _as_overlays(overlays: Sequence[str | ExternalLimit | FavouredBand],
                 directory: str | os.PathLike[str] | None) -> list[ExternalLimit | FavouredBand]:
    """Overlays given by name are loaded strictly (a missing file raises, naming it)."""
    if isinstance(overlays, (str, ExternalLimit, FavouredBand)):
        overlays = (overlays,)
    for o in overlays:  # validate every name before loading anything
        if not isinstance(o, (ExternalLimit, FavouredBand)):
            _check_overlay_name(o)
    out: list[ExternalLimit | FavouredBand] = []
    for o in overlays:
        if isinstance(o, (ExternalLimit, FavouredBand)):
            out.append(o)
        elif o == G2_BAND:
            low, high = (load_external_limit(e, directory) for e in _G2_EDGES)
            out.append(FavouredBand(G2_BAND, low, high))
        else:
            out.append(load_external_limit(o, directory))
    return out


def _overlay_label(lim: ExternalLimit) -> str:
    cl = f", {lim.confidence_level * 100:.0f}% CL" if lim.confidence_level is not None else ""
    return f"{_SHORT.get(lim.name, lim.experiment)} ({lim.arxiv}){cl}"


def _draw_band(ax, curve: LimitCurve) -> None:
    m = curve.mass_gev
    for lo, hi, colour, label in (
        (curve.eps95_exp_m2, curve.eps95_exp_p2, _YELLOW, r"Expected $\pm 2\sigma$"),
        (curve.eps95_exp_m1, curve.eps95_exp_p1, _GREEN, r"Expected $\pm 1\sigma$"),
    ):
        ok = np.isfinite(lo) & np.isfinite(hi)
        if np.any(ok):
            ax.fill_between(m, lo, hi, where=ok, color=colour, linewidth=0, label=label, zorder=1)


def y_range(items: Sequence[LimitCurve], xlim: tuple[float, float] | None = None) -> tuple[float, float]:
    """y range of a figure from our limits only, robust to a single outlier.

    Values: every finite limit (observed, expected band edges, Δχ²) inside ``xlim``. Points more than a
    factor 10 above the 95th percentile, or below the 5th (both in the "lower"/"higher" sense, so one point
    of a short curve cannot set them) are outliers and do not stretch the axis (a curve leaving the axes
    shows where they are); the range is then [min/2, max·3] of the rest. Resonance dips within a factor 10
    of the 5th percentile stay inside.
    """
    values = []
    for c in items:
        inside = np.ones(len(c), dtype=bool) if xlim is None else (c.mass_gev >= xlim[0]) & (c.mass_gev <= xlim[1])
        for name in ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_p2", "eps95_chi2"):
            v = c.column(name)[inside]
            values.append(v[np.isfinite(v)])
    v = np.concatenate(values) if values else np.empty(0)
    if v.size == 0:
        raise ValueError("no finite limit inside the plotted mass range")
    q95 = float(np.quantile(v, 0.95, method="lower"))
    q05 = float(np.quantile(v, 0.05, method="higher"))
    kept = v[(v <= 10.0 * q95) & (v >= q05 / 10.0)]
    return float(kept.min()) / 2.0, float(kept.max()) * 3.0


def _new_figure(legend_space: bool = True) -> tuple[Figure, Axes, Axes | None]:
    """Figure with the main axes and, below, an empty axes for the legend and caption."""
    if not legend_space:
        fig = Figure(figsize=(10, 7.5))
        FigureCanvasAgg(fig)
        return fig, fig.add_subplot(), None
    fig = Figure(figsize=(10, 9.6))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(3.4, 1.0), hspace=0.2, left=0.12, right=0.96, top=0.95, bottom=0.01)
    ax = fig.add_subplot(grid[0])
    below = fig.add_subplot(grid[1])
    below.set_axis_off()
    return fig, ax, below


def _legend_below(ax: Axes, below: Axes | None, caption: str) -> None:
    if below is None:
        return
    handles, labels = ax.get_legend_handles_labels()
    below.legend(handles, labels, loc="upper center", ncol=3 if len(labels) > 8 else 2, frameon=False,
                 bbox_to_anchor=(0.5, 1.02), handlelength=2.2, columnspacing=1.2, fontsize=11)
    below.text(0.0, 0.0, caption, transform=below.transAxes, ha="left", va="bottom", fontsize=11)


def _exp_label(ax, rlabel: str) -> None:
    mplhep.label.exp_label(exp="kinmix_stats", text="", llabel="", rlabel=rlabel, loc=0, ax=ax, fontsize=16)


def exclusion_figure(
    curves: LimitCurve | Iterable[LimitCurve],
    overlays: Sequence[str | ExternalLimit | FavouredBand] = (),
    title: str | None = None,
    *,
    overlay_directory: str | os.PathLike[str] | None = None,
    sin2_theta_w: float | None = None,
) -> Figure:
    """Build the exclusion figure (see :func:`plot_exclusion`) and return it without saving."""
    items = _as_curves(curves)
    if _is_gz(items) and overlays:
        raise ValueError("external limits are limits on the dark-photon ε; they cannot be drawn on a g_z figure")
    limits = _as_overlays(overlays, overlay_directory)
    with mpl_style.context([mplhep.style.ROOT, _RC]), _quiet_missing_fonts():
        fig, ax, below = _new_figure()
        ax.set_xscale("log")
        ax.set_yscale("log")
        xlim = _mass_range(items) if _is_gz(items) else MASS_RANGE_GEV
        ylim = y_range(items, xlim)
        single = len(items) == 1
        for i, c in enumerate(items):
            colour = _WIDTH_COLOURS[i % len(_WIDTH_COLOURS)]
            tag = "" if single else f" ({c.width})"
            if single:
                _draw_band(ax, c)
            m = c.mass_gev
            if np.any(np.isfinite(c.eps95_obs)):
                obs = c.eps95_obs
                ax.fill_between(m, obs, ylim[1] * 10, where=np.isfinite(obs), color=colour, alpha=0.10 if single else 0.06,
                                linewidth=0, zorder=0, label=f"Excluded (observed){tag}")
            if np.any(np.isfinite(c.eps95_exp)):
                ax.plot(m, c.eps95_exp, ls="--", color=colour, lw=1.6, label=f"Expected CLs{tag}", zorder=4)
            if np.any(np.isfinite(c.eps95_chi2)):
                ax.plot(m, c.eps95_chi2, ls=":", color="tab:blue" if single else colour, lw=1.1, alpha=0.9,
                        label=f"$\\Delta\\chi^2 = 3.84${tag}", zorder=3)
            if np.any(np.isfinite(c.eps95_obs)):
                ax.plot(m, c.eps95_obs, ls="-", color=colour, lw=2.4, label=f"Observed CLs{tag}", zorder=5)
        for j, lim in enumerate(limits):
            colour = _OVERLAY_COLOURS[j % len(_OVERLAY_COLOURS)]
            if isinstance(lim, FavouredBand):
                x, lo, hi = lim.band(sin2_theta_w)
                ax.fill_between(x, lo, hi, color="tab:red", alpha=0.25, linewidth=0, label=lim.label, zorder=2)
            else:
                x, y = lim.plot_arrays(sin2_theta_w)
                ax.plot(x, y, ls="-.", lw=1.6, color=colour, label=_overlay_label(lim), zorder=2)
        widths = ", ".join(c.width for c in items)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        if _is_gz(items):
            ref = _reference_coupling(items[0])
            if ref is not None:
                ax.axhline(ref[0], color="tab:red", ls="-.", lw=1.5, label=ref[1])
            ax.set_ylabel(GZ_LABEL)
            rlabel = f"{items[0].model} Z$'$, {widths} width, {_cl(items)} CL"
            caption = GZ_CAPTION
        else:
            ax.set_ylabel(EPSILON_LABEL)
            rlabel = f"dark photon, {widths} width, {_cl(items)} CL"
            caption = EPSILON_CAPTION
        ax.set_xlabel(MASS_LABEL)
        _exp_label(ax, title if title is not None else rlabel)
        _legend_below(ax, below, caption)
    return fig


@contextlib.contextmanager
def _quiet_missing_fonts() -> Iterator[None]:
    """Silence matplotlib's "findfont: ... not found" warnings while drawing: the mplhep ROOT style names
    TeX Gyre Heros and generic families that most machines lack, and matplotlib falls back to DejaVu Sans
    (which we list as the fallback anyway); the warnings are noise in every scan's output."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 150, tight: bool = True) -> Path:
    """Save ``fig`` atomically to ``path`` in the format of its suffix (.png, .pdf, .svg, .eps).

    ``tight`` crops the figure to its drawn content (``bbox_inches="tight"``); ``dpi`` sets raster resolution.
    """
    dest = check_output_dir(path)
    fmt = _FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported figure format {dest.suffix!r} for {str(dest)!r}; accepted: {', '.join(_FORMATS)}")
    with _quiet_missing_fonts():
        atomic_write_bytes(dest, lambda fh: fig.savefig(fh, format=fmt, dpi=dpi, bbox_inches="tight" if tight else None))
    return dest


def plot_exclusion(
    curves: LimitCurve | Iterable[LimitCurve],
    path: str | os.PathLike[str],
    overlays: Sequence[str | ExternalLimit] = (),
    title: str | None = None,
    *,
    overlay_directory: str | os.PathLike[str] | None = None,
    sin2_theta_w: float | None = None,
) -> Path:
    """Draw ε₉₅ versus m_Z' on log-log axes (1-1000 GeV) and save it atomically to ``path``.

    Z'-model curves: g_z95 over the curves' mass range, with the tested/nominal g_z as a line.

    Per curve: observed CLs (solid), expected (dashed) and the Δχ² cross-check (dotted); with a single
    curve also the green/yellow ±1σ/±2σ bands. ``overlays`` are names from
    :func:`~kinmix_stats.external_limits.available_external_limits` (or loaded ``ExternalLimit``s),
    drawn dash-dotted in Hook's ε. NaN points (status not "ok") leave gaps. Returns the path written.
    Raises ``ValueError`` for an empty/all-NaN curve or an unknown overlay name (naming it).
    """
    fig = exclusion_figure(curves, overlays, title, overlay_directory=overlay_directory, sin2_theta_w=sin2_theta_w)
    return save_figure(fig, path)


def brazil_figure(curve: LimitCurve, title: str | None = None) -> Figure:
    """Brazil plot of one curve: ±1σ/±2σ bands, expected (dashed) and observed (solid), log-log."""
    (c,) = _as_curves([curve])
    with mpl_style.context([mplhep.style.ROOT, _RC]), _quiet_missing_fonts():
        fig, ax, _ = _new_figure(legend_space=False)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _draw_band(ax, c)
        if np.any(np.isfinite(c.eps95_exp)):
            ax.plot(c.mass_gev, c.eps95_exp, ls="--", color="black", lw=1.8, label="Expected CLs")
        if np.any(np.isfinite(c.eps95_obs)):
            ax.plot(c.mass_gev, c.eps95_obs, ls="-", color="black", lw=2.2, label="Observed CLs")
        lo, hi = float(c.mass_gev[0]), float(c.mass_gev[-1])
        if hi > lo:
            ax.set_xlim(lo, hi)
        ax.set_ylim(*y_range([c]))
        ax.set_xlabel(MASS_LABEL)
        gz = c.coupling == "g_z"
        ax.set_ylabel(GZ_LABEL if gz else EPSILON_LABEL)
        symbol = f"{c.model} Z$'$" if gz else "dark photon"
        _exp_label(ax, title if title is not None else f"{symbol}, {c.width} width, {_cl([c])} CL CLs")
        ax.legend(loc="upper left", frameon=False)
        fig.tight_layout()
    return fig


def plot_brazil(curve: LimitCurve, path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Save :func:`brazil_figure` of ``curve`` atomically to ``path``; returns the path."""
    return save_figure(brazil_figure(curve, title), path)
