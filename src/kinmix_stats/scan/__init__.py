"""Exclusion scans over the physical Z' mass: grids (:mod:`.grid`), orchestration (:mod:`.run`), provenance
(:mod:`.metadata`), checkpointing (:mod:`.checkpoint`) and execution here or on Dask workers (:mod:`.parallel`).

A scan gives a :class:`~kinmix_stats.results.LimitCurve`; its pyhf export is :mod:`kinmix_stats.io.workspaces`.
"""

from __future__ import annotations

from .grid import default_mass_grid, default_model_mass_grid
from .run import scan

__all__ = ["default_mass_grid", "default_model_mass_grid", "scan"]
