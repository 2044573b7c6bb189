"""Figures: exclusion curves with external overlays, Brazil bands (Agg backend, saved atomically)."""

from __future__ import annotations

from .exclusion import brazil_figure, exclusion_figure, plot_brazil, plot_exclusion

__all__ = ["brazil_figure", "exclusion_figure", "plot_brazil", "plot_exclusion"]
