"""Residuals of Hook, Izaguirre, Wacker (arXiv:1006.0973) Eqs. 15-18 for the measurement catalogue.

* theory:      delta_th(i; eps, m, p) = X_th(i; eps, m, p) / X_th,SM(i; p0) - 1            (Eq. 15)
               (low-energy weak charges: (X_th - X_th,SM(p0)) / X_SM,quoted, see
               :mod:`kinmix_stats.observables.low_energy`; computed in ``PrecisionLikelihood.delta_th``)
* experiment:  delta_exp(i) = X_exp(i) / X_SM,quoted(i) - 1                               (Eq. 16)
* accuracy:    sigma-hat(i) = sigma_exp(i) / X_SM,quoted(i), correlations kept             (Eq. 18)

p = (alpha(m_Z), sin^2 theta_W) are the profiled SM parameters (G_F fixed, see
:meth:`kinmix_stats.inputs.SMParameters.at_fixed_gf`); p0 is the reference point. Loop corrections
cancel in the ratios because both X_th and X_th,SM are tree level while X_exp is compared with the
loop-level SM prediction quoted with it.

Reference values X_SM,quoted where the catalogue has none (``sm: null``):
* m_Z and m_W: no SM prediction with provenance is available in our sources, so the measured value
  itself is the reference (delta_exp = 0): these measurements constrain the *shifts* of m_Z and m_W
  (the Z-mass bound of arXiv:1006.0973 Eq. 10 is of this kind). This assumes the SM describes them,
  which global fits find within about one standard deviation.
* R ratio: the package's tree-level SM (gamma + Z) times the QCD K-factor at p0
  (:mod:`kinmix_stats.observables.ee_ffbar`).
Bhabha entries are stored as ratios to the SM (BHWIDE) already: delta_exp = ratio - 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..measurements import Catalogue

__all__ = ["ExperimentalResiduals", "experimental_residuals"]

_SELF_REFERENCED = ("mZ", "mW")


@dataclass(frozen=True, eq=False)
class ExperimentalResiduals:
    """delta_exp, its covariance (sigma-hat units) and the reference value used for every entry."""

    observed: np.ndarray
    covariance: np.ndarray
    reference: np.ndarray
    reference_kind: tuple[str, ...]  # "quoted", "ratio_to_SM", "measured", "computed"


def experimental_residuals(catalogue: Catalogue, sm_tree_reference: np.ndarray) -> ExperimentalResiduals:
    """Eqs. 16 and 18 for every catalogue entry; ``sm_tree_reference`` is X_th,SM(p0) per entry."""
    values = np.asarray(catalogue.values, dtype=float)
    quoted = np.asarray(catalogue.sm, dtype=float)
    ratio = np.array([u == "ratio_to_SM" for u in catalogue.units])
    self_ref = np.array([o in _SELF_REFERENCED for o in catalogue.observables]) & np.isnan(quoted)
    computed = np.isnan(quoted) & ~self_ref & ~ratio
    reference = np.where(ratio, 1.0, np.where(self_ref, values, np.where(computed, sm_tree_reference, quoted)))
    kinds = tuple(
        "ratio_to_SM" if r else "measured" if s else "computed" if c else "quoted"
        for r, s, c in zip(ratio, self_ref, computed, strict=True)
    )
    observed = values / reference - 1.0
    cov = catalogue.covariance(norm_reference=reference) / np.outer(reference, reference)
    return ExperimentalResiduals(observed=observed, covariance=cov, reference=reference, reference_kind=kinds)
