"""Two overlapping states near m_Z (DESIGN.md, "Two overlapping states near m_Z").

Where the Z' and the Z overlap at a limit, the single-eigenstate Z-pole pseudo-observables cannot
describe the summed line shape: :func:`resolve_pole_overlap` recomputes such limits from the off-pole
data and says so in their status. Used by every limit engine ("cls", "chi2", "exact").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..model.vector_boson import EPSILON_MAX
from ..observables.two_state import OVERLAP_FACTOR, PoleOverlap, pole_overlap
from ..results import LimitResult
from .coupling import COUPLING_SYMBOL, accepts_array_couplings
from .precision import PrecisionLikelihood

__all__ = ["lep1_spread", "pole_overlap_at", "resolve_pole_overlap"]


def lep1_spread(likelihood: PrecisionLikelihood) -> float:
    """LEP-I centre-of-mass energy spread (GeV) used to decide whether two states overlap at m_Z.

    ASSUMPTION: the likelihood's relative spread times m_Z0 (``beam_spread_rel`` = 1e-3 by default, i.e.
    91 MeV), the same assumption that smears every other e+e- resonance in the likelihood.
    """
    return float(likelihood.beam_spread_rel * likelihood.sm.mz0)


def pole_overlap_at(likelihood: PrecisionLikelihood, masses, couplings, width) -> PoleOverlap:
    """:func:`~kinmix_stats.observables.two_state.pole_overlap` of the likelihood's model at one coupling per mass.

    Non-finite or non-positive couplings (no limit) are never flagged.
    """
    masses = np.asarray(masses, dtype=float)
    couplings = np.broadcast_to(np.asarray(couplings, dtype=float), masses.shape)
    n = masses.size
    out = PoleOverlap(np.zeros(n, dtype=bool), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan))
    usable = np.isfinite(couplings) & (couplings > 0) & (np.abs(couplings) < EPSILON_MAX)
    if not np.any(usable):
        return out
    spread = lep1_spread(likelihood)
    groups = [np.flatnonzero(usable)] if accepts_array_couplings(likelihood.model_factory) else [
        np.flatnonzero(usable & (couplings == c)) for c in np.unique(couplings[usable])
    ]
    for rows in groups:
        value = couplings[rows] if accepts_array_couplings(likelihood.model_factory) else float(couplings[rows[0]])
        model = likelihood.model_factory(masses[rows], value, width, likelihood.sm)
        res = pole_overlap(model, spread)
        for field_out, field_in in zip(out, res, strict=True):
            field_out[rows] = field_in
    return out


def resolve_pole_overlap(
    likelihood: PrecisionLikelihood, result: LimitResult, recompute: Callable[[PrecisionLikelihood, np.ndarray], LimitResult]
) -> LimitResult:
    """Re-derive limits where the Z' overlaps the Z at the limit (DESIGN.md, "Two overlapping states near m_Z").

    There the single-eigenstate pole pseudo-observables (on-peak A_f, R_b, R_c, A_FB^0,b/c; with
    ``lineshape_window=0`` also the line-shape ones) cannot describe the data, so such a point is never reported
    "ok": its limit is recomputed (``recompute(likelihood, masses)``) from :meth:`PrecisionLikelihood.overlap_fallback`
    -- the line-shape pseudo-observables predicted from the two-state line shape (issue #14,
    :func:`kinmix_stats.observables.lineshape.effective_pole_observables`) and the off-pole data (m_W, LEP-II, Bhabha,
    R ratio), which the model describes at any mass -- and its status names the overlap. This limit is conservative:
    it uses a subset of the data. The check is made at the limit of the full data; the subset's limit is larger,
    and the overlap only grows with the coupling.
    """
    if not likelihood.has_single_state_observables:
        return result
    limit = np.asarray(result.epsilon_observed, dtype=float)
    ov = pole_overlap_at(likelihood, result.mass, limit, result.width)
    rows = np.flatnonzero(ov.overlapping)
    if rows.size == 0:
        return result
    fallback = likelihood.overlap_fallback()
    sub = recompute(fallback, np.asarray(result.mass)[rows])
    kept = "the two-state line shape and the off-pole data" if fallback.has_pole_observables else "the off-pole data only"
    sym = COUPLING_SYMBOL[result.coupling]
    spread = lep1_spread(likelihood)

    def patched(full, part):
        arr = np.array(full, copy=True)
        arr[rows] = part
        return arr

    status = list(result.status)
    dominant = list(result.dominant)
    for k, i in enumerate(rows):
        note = (
            f"two states overlap at m_Z: |m_Z' - m_Z| = {ov.splitting[i]:.3g} GeV < {OVERLAP_FACTOR:g} x max(|Gamma_ZZ'| = "
            f"{ov.gamma_off[i]:.3g} GeV, LEP-I spread {spread:.3g} GeV) at {sym} = {limit[i]:.3g}, where the single-"
            f"eigenstate Z-pole pseudo-observables cannot describe the data; conservative limit from {kept}"
        )
        status[i] = note if sub.status[k] == "ok" else f"{note} ({sub.status[k]})"
        if sub.dominant:
            dominant[i] = sub.dominant[k]
    return replace(
        result,
        epsilon_observed=patched(result.epsilon_observed, sub.epsilon_observed),
        epsilon_expected=patched(result.epsilon_expected, sub.epsilon_expected),
        expected_band=patched(result.expected_band, sub.expected_band),
        mu_observed=patched(result.mu_observed, sub.mu_observed),
        mu_expected=patched(result.mu_expected, sub.mu_expected),
        epsilon_ref=patched(result.epsilon_ref, sub.epsilon_ref),
        status=tuple(status),
        dominant=tuple(dominant),
    )
