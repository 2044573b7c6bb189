"""95% CL upper limits on a coupling from the closed-form engine: CLs (pyhf-compatible linear Gaussian
model, re-linearised) and the chi^2 of Hook, Izaguirre, Wacker (arXiv:1006.0973 Eqs. 17-19).

CLs (README, "Statistics")
--------------------------
The signal sample is delta_th at a reference eps_ref with POI mu = eps^2/eps_ref^2 (the leading
effect is proportional to eps^2). The model is exactly linear in mu only at mu = 0 and mu = 1, so the
limit is re-linearised: eps_ref <- eps95 = eps_ref sqrt(mu95) until eps95 changes by less than
``rtol`` (1 %) -- a secant through eps = 0 and eps_ref. This is done separately for the observed
limit and for each of the five expected quantiles, vectorised over all masses (one batch of
predictions per iteration, for the rows not yet converged: a converged row keeps its eps_ref and its
mu95). The CLs values use the q~_mu asymptotic formulae
(:mod:`~kinmix_stats.likelihood.cls`).

Near m_Z0 a Z'-like state of mass m exists only for |tan eps| < |m^2 - m_Z0^2| / (m_Z0^2 s_W); if
the limit would lie beyond that edge, the edge is reported with a status saying so. Limits on the
g_z of a Z' model use the same machinery (:mod:`.coupling`).

chi^2 (arXiv:1006.0973 Eqs. 17-19)
---------------------------------
Exact non-linear residuals on a grid of eps, chi^2 profiled over (alpha, sin^2 theta_W), and the bound
where Delta chi^2 = chi^2(eps) - chi^2(0) reaches 3.84. The filter of Eq. 19 (expected significance
E = |delta_th|/sigma-hat > E_min = 0.5) is read as: a measurement below E_min carries no signal
(its delta_th is set to 0) but still enters the fit of the SM parameters. Dropping it from the chi^2
altogether would, at a resonance where a single measurement passes the filter, let the two free SM
parameters absorb that measurement exactly (Delta chi^2 = 0 for every eps).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_positive_array, check_in_range
from ..model.dark_sector import DarkWidthSpec, parse_width
from ..results import LimitResult
from .cls import cls_limits_batch
from .coupling import (
    COUPLING_CAP,
    COUPLING_START,
    COUPLING_SYMBOL,
    EPS_CAP,
    coupling_delta_th,
    coupling_window,
    likelihood_coupling,
    window_epsilon,
)
from .pole_overlap import resolve_pole_overlap
from .precision import PrecisionLikelihood

__all__ = ["DELTA_CHI2_95", "E_MIN", "chi2_limits", "cls_limits", "dominant_measurements"]

DELTA_CHI2_95 = 3.84  # one parameter, 95% CL (arXiv:1006.0973, Results)
E_MIN = 0.5  # arXiv:1006.0973 Eq. 19
_FLOOR = 1e-6  # smallest linearisation point of the CLs iteration
#: The CLs re-linearisation recomputes only the rows (mass, observed/expected column) that have not converged;
#: False recomputes every row on every iteration (the unoptimised path, kept for the test that both agree).
_SKIP_CONVERGED = True


def dominant_measurements(likelihood: PrecisionLikelihood, delta: np.ndarray, n: int = 3) -> tuple[tuple[tuple[str, float], ...], ...]:
    """Per row of ``delta`` (one hypothesis), the ``n`` measurements with the largest expected significance
    |delta_th| / sigma, as ``(name, significance)`` pairs (the ``dominant`` field of a ``LimitResult``)."""
    sig = np.sqrt(np.diag(likelihood.residuals.covariance))
    out = []
    for row in np.atleast_2d(delta):
        e = np.abs(row) / sig
        e = np.where(np.isfinite(e), e, -1)
        top = np.argsort(e)[::-1][:n]
        out.append(tuple((likelihood.names[j], float(e[j])) for j in top if e[j] > 0))
    return tuple(out)


def _secant_proposal(g_ref: np.ndarray, mu: np.ndarray, fallback: np.ndarray, history: dict) -> np.ndarray:
    """Next linearisation point of a g_z limit: secant root of log mu95 in log g_ref.

    The eps update g_ref sqrt(mu95) is exact for a signal ~ g^2 (dark photon) but oscillates for
    signal ~ g^4 and diverges for steeper growth, which a Z' with SM charges shows where its |Z'|^2
    term dominates (e.g. the psi model at 40 GeV). The secant on (log g, log mu95) is exact for any
    power law. Its first step, non-finite points and a non-decreasing mu95 use ``fallback``; a step is
    limited to a factor 10.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x, h = np.log(g_ref), np.log(mu)
        prev_x, prev_h = history.get("x"), history.get("h")
        out = fallback
        if prev_x is not None:
            slope = (h - prev_h) / (x - prev_x)
            ok = np.isfinite(slope) & (slope < 0) & np.isfinite(h)
            step = np.clip(-h / np.where(ok, slope, -1.0), -math.log(10.0), math.log(10.0))
            out = np.where(ok, np.exp(x + step), fallback)
    history["x"], history["h"] = x, h
    return out

def cls_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    eps_start: float | None = None,
    rtol: float = 0.01,
    max_iter: int = 12,
    cl: float = 0.95,
    pole_overlap_check: bool = True,
) -> LimitResult:
    """Observed and expected CLs limits on eps for every mass, re-linearised until stable to ``rtol``.

    For a Z'-model likelihood (:func:`likelihood_coupling` "g_z") the limits are on g_z. ``eps_start``
    is the first linearisation point (default 0.03 for eps, 0.1 for g_z). ``pole_overlap_check=False``
    skips the two-state check at m_Z (:func:`~.pole_overlap.resolve_pole_overlap`; only for comparisons with the old treatment).
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    coupling = likelihood_coupling(likelihood)
    cap_value, sym = COUPLING_CAP[coupling], COUPLING_SYMBOL[coupling]
    eps_start = COUPLING_START[coupling] if eps_start is None else eps_start
    check_in_range("eps_start", eps_start, 0.0, cap_value, low_inclusive=False)
    check_in_range("rtol", rtol, 0.0, 0.5, low_inclusive=False)
    m = masses.size
    if coupling == "epsilon":
        edge = np.minimum(window_epsilon(likelihood, masses) * 0.999, EPS_CAP)
    else:
        edge = coupling_window(likelihood, masses, cap_value) * 0.999
        edge = np.where(edge >= cap_value * 0.999, cap_value, edge)
    eps_ref = np.minimum(np.full((m, 6), eps_start), edge[:, None])
    base = likelihood.base_problem()
    # g_z with a fixed kinetic or mass mixing: the mixing alone is a signal that does not vanish as
    # g_z -> 0. Where it is excluded on its own (mu95 < 1 already at the smallest coupling) every g_z is
    # excluded and no upper limit exists: NaN with a status, no iteration.
    floor_excluded = np.zeros((m, 6), dtype=bool)
    if coupling != "epsilon":
        d0, v0 = coupling_delta_th(likelihood, masses, np.full(m, _FLOOR), width)
        r0 = cls_limits_batch(base, np.where(v0[:, None], d0, 0.0), cl)
        mu0 = np.concatenate([r0.observed_mu[:, None], r0.expected_mu], axis=1)
        floor_excluded = v0[:, None] & (edge[:, None] > _FLOOR) & (mu0 < 1.0)
    mu = np.full((m, 6), np.nan)
    converged = np.zeros((m, 6), dtype=bool)
    capped = np.zeros((m, 6), dtype=bool)
    history: dict[str, np.ndarray] = {}
    flat_mass = np.repeat(masses, 6)
    column = np.tile(np.arange(6), m)  # 0: observed limit, 1..5: expected quantile column - 1
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        # Only rows not yet converged are recomputed: a converged row keeps its eps_ref (below), so its
        # delta_th and mu would come out the same, and its mu is carried forward instead.
        rows = np.flatnonzero(~converged.ravel()) if _SKIP_CONVERGED else np.arange(m * 6)
        delta, valid = coupling_delta_th(likelihood, flat_mass[rows], eps_ref.ravel()[rows], width)
        delta = np.where(valid[:, None], delta, 0.0)
        res = cls_limits_batch(base, delta, cl)
        col = column[rows]
        row_mu = np.where(col == 0, res.observed_mu, res.expected_mu[np.arange(rows.size), np.maximum(col - 1, 0)])
        mu_flat = mu.ravel().copy()
        mu_flat[rows] = np.where(valid, row_mu, np.nan)
        mu = mu_flat.reshape(m, 6)
        with np.errstate(invalid="ignore"):  # masked points (no Z'-like state): NaN, the status says why
            eps_new = eps_ref * np.sqrt(mu)
        eps_new = np.where(np.isfinite(eps_new), eps_new, np.inf)
        capped = eps_new >= edge[:, None]
        converged = (np.abs(eps_new / eps_ref - 1.0) < rtol) | (capped & (eps_ref >= edge[:, None] * 0.999)) | floor_excluded
        eps_next = np.minimum(eps_new, edge[:, None])
        if coupling != "epsilon":
            eps_next = np.minimum(_secant_proposal(eps_ref, mu, eps_next, history), edge[:, None])
        if np.all(converged):
            break  # mu was computed at this eps_ref: keep the pair consistent
        eps_ref = np.where(converged, eps_ref, np.maximum(eps_next, _FLOOR))
    with np.errstate(invalid="ignore"):
        eps_final = np.where(capped, edge[:, None], eps_ref * np.sqrt(mu))
    no_sensitivity = ~np.isfinite(mu)  # sigma_mu = inf: the signal vanishes or the free SM parameters absorb it
    eps_final = np.where(no_sensitivity & (edge[:, None] > 1e-9), np.nan, eps_final)  # no limit; the status says why
    eps_final = np.where(edge[:, None] <= 1e-9, np.nan, eps_final)  # exactly at m_Z0: no Z'-like state for any eps
    eps_final = np.where(floor_excluded, np.nan, eps_final)
    status = []
    for i in range(m):
        if np.any(floor_excluded[i]):
            status.append(f"excluded for every {sym} >= {_FLOOR:g}: the fixed kinetic/mass mixing alone is excluded at this mass")
        elif np.all(converged[i]) and not np.any(capped[i]):
            status.append("ok")
        elif np.any(no_sensitivity[i]) and edge[i] > 1e-9:
            status.append("no sensitivity: the signal is absorbed by the profiled SM parameters (sigma_mu = inf)")
        elif coupling != "epsilon" and edge[i] <= 1e-9:
            status.append(f"no Z'-like state of this mass for any {sym}: degenerate with m_Z0 or inside the window of the fixed mixing")
        elif np.any(capped[i]) and edge[i] < cap_value * 0.999:
            status.append(f"limit reaches the Z0 window edge {sym}={edge[i]:.3g}: no Z'-like state of this mass above it")
        elif np.any(capped[i]):
            status.append(f"no sensitivity below {sym}={cap_value:g}")
        else:
            status.append(f"re-linearisation not converged to {rtol:g} after {max_iter} steps")
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(np.isfinite(eps_final[:, 0]), eps_final[:, 0], eps_ref[:, 0]), width)
    result = LimitResult.from_table(
        masses, width, "cls", eps_final, mu, eps_ref, iterations=iterations, status=status,
        dominant=dominant_measurements(likelihood, delta_obs), likelihood=likelihood, coupling=coupling,
    )
    if not pole_overlap_check:
        return result
    return resolve_pole_overlap(
        likelihood, result, lambda like, m: cls_limits(like, m, width, eps_start=eps_start, rtol=rtol, max_iter=max_iter, cl=cl)
    )


def chi2_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    e_min: float | None = E_MIN,
    eps_grid: np.ndarray | None = None,
    delta_chi2: float = DELTA_CHI2_95,
    n_bisect: int = 12,
    pole_overlap_check: bool = True,
) -> LimitResult:
    """Hook et al.'s chi^2 bound (Eqs. 17-19) on exact non-linear residuals; ``e_min=None`` disables Eq. 19.

    For a Z'-model likelihood the bound is on g_z (grid up to :data:`G_Z_CAP`). ``pole_overlap_check`` as in
    :func:`cls_limits`.
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    coupling = likelihood_coupling(likelihood)
    cap_value, sym = COUPLING_CAP[coupling], COUPLING_SYMBOL[coupling]
    grid = np.geomspace(1e-6, cap_value, 49) if eps_grid is None else np.asarray(eps_grid, dtype=float)
    sig = np.sqrt(np.diag(likelihood.residuals.covariance))
    if coupling == "epsilon":
        edge = np.minimum(window_epsilon(likelihood, masses) * 0.999, EPS_CAP)
    else:
        edge = coupling_window(likelihood, masses, cap_value) * 0.999
        edge = np.where(edge >= cap_value * 0.999, cap_value, edge)

    chi2_sm = float(likelihood.chi2_profiled(np.zeros((1, len(likelihood.names))))[0])

    def dchi2(mass_arr: np.ndarray, eps_arr: np.ndarray) -> np.ndarray:
        delta, valid = coupling_delta_th(likelihood, mass_arr, eps_arr, width)
        delta = np.where(valid[:, None], delta, 0.0)
        if e_min is not None:
            delta = np.where(np.abs(delta) / sig > e_min, delta, 0.0)
        return np.where(valid, likelihood.chi2_profiled(delta) - chi2_sm, np.nan)

    m = masses.size
    eps_tab = np.minimum(grid[None, :], edge[:, None])
    values = dchi2(np.repeat(masses, grid.size), eps_tab.ravel()).reshape(m, grid.size)
    crossed = values >= delta_chi2
    has = np.asarray(crossed.any(axis=1))
    j = np.where(has, np.argmax(crossed, axis=1), grid.size - 1)
    rows = np.arange(m)
    lo = np.where(j > 0, eps_tab[rows, np.maximum(j - 1, 0)], eps_tab[:, 0])
    hi = eps_tab[rows, j]
    bisect = np.asarray(has & (j > 0))
    if np.any(bisect):
        for _ in range(n_bisect):  # vectorised over masses
            mid = np.sqrt(lo[bisect] * hi[bisect])
            above = dchi2(masses[bisect], mid) >= delta_chi2
            hi[bisect] = np.where(above, mid, hi[bisect])
            lo[bisect] = np.where(above, lo[bisect], mid)
    limits = np.where(bisect, np.sqrt(lo * hi), np.where(has, eps_tab[:, 0], edge))
    limits = np.where(edge <= 1e-9, np.nan, limits)  # exactly at m_Z0: no Z'-like state for any eps (status says so)
    status = []
    for i in range(m):
        if bisect[i]:
            status.append("ok")
        elif has[i]:
            status.append(f"excluded down to the smallest {sym} probed ({eps_tab[i, 0]:g})")
        elif coupling != "epsilon" and edge[i] <= 1e-9:
            status.append(f"no Z'-like state of this mass for any {sym}: degenerate with m_Z0 or inside the window of the fixed mixing")
        elif edge[i] < cap_value * 0.999:
            status.append(f"limit reaches the Z0 window edge {sym}={edge[i]:.3g}")
        else:
            status.append(f"no sensitivity below {sym}={cap_value:g}")
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(np.isfinite(limits), limits, 0.0), width)
    table = np.column_stack([limits, np.full((m, 5), np.nan)])  # chi2: an observed limit only
    result = LimitResult.from_table(
        masses, width, "chi2", table, np.full((m, 6), np.nan), np.repeat(limits[:, None], 6, axis=1),
        iterations=n_bisect, status=status, dominant=dominant_measurements(likelihood, delta_obs),
        likelihood=likelihood, coupling=coupling,
    )
    if not pole_overlap_check:
        return result
    return resolve_pole_overlap(
        likelihood,
        result,
        lambda like, m: chi2_limits(like, m, width, e_min=e_min, eps_grid=eps_grid, delta_chi2=delta_chi2, n_bisect=n_bisect),
    )
