"""Exclusion and Brazil-band figures for :class:`~kinmix_stats.results.LimitCurve` (matplotlib + mplhep).

Figures are built on ``matplotlib.figure.Figure`` with an explicit Agg canvas (we never call pyplot or
change the global backend; nothing is shown) and saved atomically: the image is written to a temporary
file in the destination directory and renamed over the target. The y axis always states the ε convention (Hook et al.); external
overlays are converted to it with :meth:`ExternalLimit.epsilon_hook`.

Curves of a Z' model (``coupling="g_z"``) are drawn on a g_z axis over their own mass range, with a
horizontal line at the tested coupling (``metadata["tested_g_z"]``, else the model's nominal g_z);
the external dark-photon limits are limits on ε and are not drawn with them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import mplhep
import numpy as np
from matplotlib import style as mpl_style
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..external_limits import ExternalLimit, external_limit_info, load_external_limit
from ..io.atomic import atomic_write_bytes, check_output_dir
from ..results import LimitCurve

__all__ = ["EPSILON_LABEL", "GZ_LABEL", "MASS_LABEL", "MASS_RANGE_GEV", "exclusion_figure", "plot_exclusion",
           "brazil_figure", "plot_brazil"]

#: y-axis label of every figure (the package's ε convention).
EPSILON_LABEL = "ε (Hook et al. convention: −(sin ε/2) F′B)"
#: y-axis label of a Z'-model (g_z) figure.
GZ_LABEL = "$g_z$ (U(1)' gauge coupling)"
#: x-axis label: the physical Z' mass.
MASS_LABEL = "$m_{Z'}$ [GeV]"
#: x range of :func:`plot_exclusion`.
MASS_RANGE_GEV = (1.0, 1000.0)
_GREEN = "#00cc00"
_YELLOW = "#ffcc00"
_WIDTH_COLOURS = ("black", "tab:blue", "tab:red", "tab:purple", "tab:brown")
_OVERLAY_COLOURS = ("tab:orange", "tab:cyan", "tab:pink", "tab:olive", "tab:gray", "tab:green", "tab:blue",
                    "tab:red", "tab:purple")
_RC = {
    "font.family": ["TeX Gyre Heros", "DejaVu Sans"],  # fallback for glyphs such as the prime
    "axes.labelsize": 18,
    "axes.titlesize": 16,
    "legend.fontsize": 11,
}
_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg", ".eps": "eps"}


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


def _as_overlays(overlays: Sequence[str | ExternalLimit], directory: str | os.PathLike[str] | None) -> list[ExternalLimit]:
    if isinstance(overlays, (str, ExternalLimit)):
        overlays = (overlays,)
    # validate every name before loading anything
    for o in overlays:
        if not isinstance(o, ExternalLimit):
            external_limit_info(o)  # ValueError naming an unknown overlay
    return [o if isinstance(o, ExternalLimit) else load_external_limit(o, directory) for o in overlays]


def _overlay_label(lim: ExternalLimit) -> str:
    cl = f", {lim.confidence_level * 100:.0f}% CL" if lim.confidence_level is not None else ""
    conv = r", $\varepsilon_\gamma/\cos\theta_W$" if lim.convention == "epsilon_gamma" else ""
    return f"{lim.experiment} (arXiv:{lim.arxiv}){cl}{conv}"


def _draw_band(ax, curve: LimitCurve) -> None:
    m = curve.mass_gev
    for lo, hi, colour, label in (
        (curve.eps95_exp_m2, curve.eps95_exp_p2, _YELLOW, "Expected ±2σ"),
        (curve.eps95_exp_m1, curve.eps95_exp_p1, _GREEN, "Expected ±1σ"),
    ):
        ok = np.isfinite(lo) & np.isfinite(hi)
        if np.any(ok):
            ax.fill_between(m, lo, hi, where=ok, color=colour, linewidth=0, label=label)


def _new_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(12, 7))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def exclusion_figure(
    curves: LimitCurve | Iterable[LimitCurve],
    overlays: Sequence[str | ExternalLimit] = (),
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
        fig, ax = _new_figure()
        ax.set_xscale("log")
        ax.set_yscale("log")
        single = len(items) == 1
        for i, c in enumerate(items):
            colour = _WIDTH_COLOURS[i % len(_WIDTH_COLOURS)]
            tag = "" if single else f" ({c.width})"
            if single:
                _draw_band(ax, c)
            m = c.mass_gev
            if np.any(np.isfinite(c.eps95_exp)):
                ax.plot(m, c.eps95_exp, ls="--", color=colour, lw=1.8, label=f"Expected CLs{tag}")
            if np.any(np.isfinite(c.eps95_obs)):
                ax.plot(m, c.eps95_obs, ls="-", color=colour, lw=2.2, label=f"Observed CLs{tag}")
            if np.any(np.isfinite(c.eps95_chi2)):
                ax.plot(m, c.eps95_chi2, ls=":", color=colour if not single else "tab:blue", lw=2.0,
                        label=f"Δχ² = 3.84{tag}")
        for j, lim in enumerate(limits):
            x, y = lim.plot_arrays(sin2_theta_w)
            ax.plot(x, y, ls="-.", lw=1.5, color=_OVERLAY_COLOURS[j % len(_OVERLAY_COLOURS)], label=_overlay_label(lim))
        widths = ", ".join(c.width for c in items)
        if _is_gz(items):
            ref = _reference_coupling(items[0])
            if ref is not None:
                ax.axhline(ref[0], color="tab:red", ls="-.", lw=1.5, label=ref[1])
            ax.set_xlim(*_mass_range(items))
            ax.set_ylabel(GZ_LABEL)
            default_title = f"95% CL upper limits on $g_z$, {items[0].model} Z' ({widths} width)"
        else:
            ax.set_xlim(*MASS_RANGE_GEV)
            ax.set_ylabel(EPSILON_LABEL)
            default_title = f"95% CL upper limits on ε ({widths} width)"
        ax.set_xlabel(MASS_LABEL)
        ax.set_title(title if title is not None else default_title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
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


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    dest = check_output_dir(path)
    fmt = _FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported figure format {dest.suffix!r} for {str(dest)!r}; accepted: {', '.join(_FORMATS)}")
    with _quiet_missing_fonts():
        atomic_write_bytes(dest, lambda fh: fig.savefig(fh, format=fmt, dpi=150, bbox_inches="tight"))
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
    return _save(fig, path)


def brazil_figure(curve: LimitCurve, title: str | None = None) -> Figure:
    """Brazil plot of one curve: ±1σ/±2σ bands, expected (dashed) and observed (solid), log-log."""
    (c,) = _as_curves([curve])
    with mpl_style.context([mplhep.style.ROOT, _RC]), _quiet_missing_fonts():
        fig, ax = _new_figure()
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
        ax.set_xlabel(MASS_LABEL)
        gz = c.coupling == "g_z"
        ax.set_ylabel(GZ_LABEL if gz else EPSILON_LABEL)
        symbol = f"$g_z$, {c.model} Z'" if gz else "ε"
        ax.set_title(title if title is not None else f"95% CL CLs limits on {symbol} ({c.width} width)")
        ax.legend(loc="best", frameon=False)
        fig.tight_layout()
    return fig


def plot_brazil(curve: LimitCurve, path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Save :func:`brazil_figure` of ``curve`` atomically to ``path``; returns the path."""
    return _save(brazil_figure(curve, title), path)
