"""``method="pyhf"``: limits computed by pyhf itself on exactly the workspace the export writes.

For each mass the fast engine (:func:`~kinmix_stats.likelihood.closed_form.cls_limits`) supplies the starting
linearisation point eps_ref (its observed limit) and the point's status. The hypothesis is then encoded
as the export encodes it (:mod:`kinmix_stats.likelihood.whitened`: the background-only workspace with
the POI bound of :func:`~kinmix_stats.likelihood.whitened.choose_mu_max` plus the patch at eps_ref) and
pyhf computes the observed and the five expected limits on mu = eps^2/eps_ref^2 with
``pyhf.infer.intervals.upper_limits.upper_limit`` (toms748 root finding of the asymptotic q~_mu CLs,
arXiv:1007.1727), numpy backend, minuit optimiser (iminuit's migrad + hesse). The limit is
eps95 = eps_ref * sqrt(mu95). If pyhf's observed limit moves eps95 by more than ``rtol`` from eps_ref, the
point is re-linearised at the new eps95 and pyhf run again (at most ``max_iter`` times), as the fast engine
does. The expected band is that of the observed linearisation point (the exported workspace); the fast
engine re-linearises each quantile separately.

A pyhf failure (failed minimisation, a limit that pyhf cannot bracket, a non-finite result) gives NaN with a
status naming it, never a number.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import as_positive_array, check_in_range
from ..model.dark_sector import DarkWidthSpec, parse_width
from .precision import PrecisionLikelihood

__all__ = ["ENGINE", "OPTIMIZER", "engine_description", "pyhf_limits"]

ENGINE = (
    "pyhf.infer.intervals.upper_limits.upper_limit (toms748, asymptotic q~_mu CLs, arXiv:1007.1727) on the exported "
    "whitened workspace, numpy backend"
)
OPTIMIZER = "pyhf minuit_optimizer (iminuit migrad + hesse)"


def engine_description() -> dict[str, str]:
    """What produced pyhf limits: pyhf (its version) with the minuit optimiser (iminuit's version)."""
    import iminuit
    import pyhf

    return {"engine": "pyhf", "version": pyhf.__version__, "algorithm": ENGINE, "optimizer": OPTIMIZER,
            "optimizer_version": iminuit.__version__}


def _pyhf_upper_limit(workspace, cl: float) -> tuple[float, np.ndarray]:
    """pyhf's observed and expected (-2..+2 sigma) limits on mu with the minuit optimiser; backend restored after."""
    import pyhf

    previous = pyhf.get_backend()
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer())
    try:
        model = workspace.model()
        data = workspace.data(model)
        obs, exp = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=None, level=1.0 - cl)
    finally:
        pyhf.set_backend(*previous)
    return float(obs), np.asarray(exp, dtype=float).reshape(5)


def pyhf_limits(
    likelihood: PrecisionLikelihood,
    masses,
    width: DarkWidthSpec = "narrow",
    *,
    rtol: float = 0.01,
    max_iter: int = 3,
    cl: float = 0.95,
    fast: Any = None,
) -> Any:
    """Observed and expected 95% CL limits from pyhf's ``upper_limit`` (minuit) at every mass; a ``LimitResult``.

    ``method`` of the result is ``"pyhf"``; ``status`` is "ok" or names the reason (the fast engine's status
    where it has no valid limit to start from, the pyhf error, or a POI bound that does not hold the limit).
    ``fast`` is the fast engine's result for the same masses and width (computed if not given).
    """
    from ..results import LimitResult
    from .closed_form import cls_limits, dominant_measurements
    from .coupling import coupling_delta_th, likelihood_coupling
    from .whitened import hypothesis_workspace

    masses = as_positive_array("masses", masses, unit="GeV")
    width = parse_width(width)
    check_in_range("rtol", rtol, 0.0, 0.5, low_inclusive=False)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or not 1 <= max_iter <= 20:
        raise ValueError(f"max_iter must be an integer in [1, 20], got {max_iter!r}")
    coupling = likelihood_coupling(likelihood)
    if fast is None:
        fast = cls_limits(likelihood, masses, width, cl=cl)
    elif fast.mass.shape != masses.shape or not np.array_equal(fast.mass, masses):
        raise ValueError("fast: the fast-engine result must be for the same masses")
    base = likelihood.base_problem()
    m = masses.size
    eps_obs = np.full(m, np.nan)
    band = np.full((m, 5), np.nan)
    mu_obs = np.full(m, np.nan)
    mu_exp = np.full((m, 5), np.nan)
    refs = np.full((m, 6), np.nan)
    status: list[str] = []
    iterations = 0
    for i in range(m):
        if fast.status[i] != "ok":
            status.append(f"pyhf not run: {fast.status[i]}")
            continue
        eps_ref = float(fast.epsilon_ref[i, 0])
        note = f"re-linearisation not converged to {rtol:g} after {max_iter} pyhf limits"
        for it in range(1, max_iter + 1):
            iterations = max(iterations, it)
            delta, valid = coupling_delta_th(likelihood, masses[i : i + 1], np.array([eps_ref]), width)
            if not valid[0]:
                note = f"no Z'-like state at the linearisation point {eps_ref:.4g}"
                break
            try:
                ws, enc, reason = hypothesis_workspace(base, delta[0])
            except ValueError as err:
                note = f"cannot encode the hypothesis: {err}"
                break
            if reason is not None:
                note = f"cannot encode the hypothesis: {reason}"
                break
            import pyhf

            try:
                obs, exp = _pyhf_upper_limit(ws, cl)
            except (pyhf.exceptions.FailedMinimization, ValueError, RuntimeError, ArithmeticError) as err:
                # failed fits, toms748 bracketing errors (ValueError), numerical failures
                note = f"pyhf fit failed: {type(err).__name__}: {err}"
                break
            if not (np.isfinite(obs) and 0.0 < obs < enc.mu_max and np.all(np.isfinite(exp)) and np.all(exp > 0)):
                note = f"pyhf returned no valid limit (mu95 = {obs!r}, expected {exp.tolist()}, POI bound {enc.mu_max:g})"
                break
            eps_new = eps_ref * math.sqrt(obs)
            if abs(eps_new / eps_ref - 1.0) < rtol or it == max_iter:
                mu_obs[i], mu_exp[i] = obs, exp
                refs[i] = eps_ref
                eps_obs[i] = eps_new
                band[i] = eps_ref * np.sqrt(exp)
                if abs(eps_new / eps_ref - 1.0) < rtol:
                    note = "ok"
                break
            eps_ref = eps_new
        if note != "ok":
            eps_obs[i], band[i] = np.nan, np.nan
        status.append(note)
    finite = np.where(np.isfinite(eps_obs), eps_obs, np.where(np.isfinite(refs[:, 0]), refs[:, 0], fast.epsilon_ref[:, 0]))
    delta_obs, _ = coupling_delta_th(likelihood, masses, np.where(np.isfinite(finite), finite, 1e-6), width)
    return LimitResult.from_table(
        masses, width, "pyhf", np.column_stack([eps_obs, band]), np.column_stack([mu_obs, mu_exp]), refs,
        iterations=iterations, status=status, dominant=dominant_measurements(likelihood, delta_obs),
        likelihood=likelihood, coupling=coupling, engine=engine_description(),
    )
