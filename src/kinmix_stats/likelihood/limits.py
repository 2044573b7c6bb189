"""The public limit API: :func:`upper_limit` (``km.upper_limit``) on any of the four engines.

The engines live in their own modules: "cls" and "chi2" in :mod:`.closed_form`, "exact" in
:mod:`.exact` (iminuit), "pyhf" in :mod:`.pyhf_engine`; what the coupling is (eps or g_z) and its
validity window in :mod:`.coupling`; the two-state check at m_Z in :mod:`.pole_overlap`; the result
container :class:`~kinmix_stats.results.LimitResult` in :mod:`kinmix_stats.results`. Their public names
are re-exported here, where code written against this module finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_masses, check_type
from ..model.dark_sector import DarkWidthSpec
from ..results import CLOSED_FORM_ENGINE, LimitResult
from .closed_form import DELTA_CHI2_95, E_MIN, chi2_limits, cls_limits
from .coupling import (
    EPS_CAP,
    G_Z_CAP,
    accepts_array_couplings,
    coupling_delta_th,
    coupling_window,
    likelihood_coupling,
    window_epsilon,
)
from .methods import METHODS, check_method
from .pole_overlap import lep1_spread, pole_overlap_at
from .precision import PrecisionLikelihood

__all__ = [
    "LimitResult",
    "cls_limits",
    "chi2_limits",
    "upper_limit",
    "window_epsilon",
    "coupling_window",
    "coupling_delta_th",
    "likelihood_coupling",
    "accepts_array_couplings",
    "default_likelihood",
    "CLOSED_FORM_ENGINE",
    "DELTA_CHI2_95",
    "METHODS",
    "lep1_spread",
    "pole_overlap_at",
    "E_MIN",
    "EPS_CAP",
    "G_Z_CAP",
]

#: keyword option of :func:`upper_limit` -> (its default there, the methods whose engine takes it)
_OPTIONS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "cl": (0.95, ("cls", "exact", "pyhf")),
    "rtol": (None, ("cls", "pyhf")),
    "max_iter": (None, ("cls", "exact", "pyhf")),
    "eps_start": (None, ("cls",)),
    "pole_overlap_check": (True, ("cls", "chi2")),
    "e_min": (E_MIN, ("chi2",)),
    "eps_grid": (None, ("chi2",)),
    "delta_chi2": (DELTA_CHI2_95, ("chi2",)),
    "n_bisect": (None, ("chi2",)),
    "fast": (None, ("exact", "pyhf")),
    "gtol": (None, ("exact",)),
    "max_calls": (None, ("exact",)),
    "errors": (True, ("exact",)),
}

_DEFAULT_LIKELIHOOD: PrecisionLikelihood | None = None


def default_likelihood() -> PrecisionLikelihood:
    """The precision likelihood with every dataset (built once per process)."""
    global _DEFAULT_LIKELIHOOD
    if _DEFAULT_LIKELIHOOD is None:
        _DEFAULT_LIKELIHOOD = PrecisionLikelihood()
    return _DEFAULT_LIKELIHOOD


def _engine_options(method: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options to forward to ``method``'s engine: those not at their default; ``TypeError`` for one that does not apply."""
    out = {}
    for name, value in given.items():
        default, methods = _OPTIONS[name]
        at_default = value is None if default is None else value is default or (not isinstance(value, np.ndarray) and value == default)
        if at_default:
            continue  # the engine's own default applies
        if method not in methods:
            raise TypeError(
                f"upper_limit() option {name!r} does not apply to method={method!r} (it applies to method "
                f"{' / '.join(map(repr, methods))})"
            )
        out[name] = value
    return out


def upper_limit(
    mass: float | Sequence[float] | np.ndarray,
    width: DarkWidthSpec = "narrow",
    method: str = "cls",
    *,
    likelihood: PrecisionLikelihood | None = None,
    cl: float = 0.95,
    rtol: float | None = None,
    max_iter: int | None = None,
    eps_start: float | None = None,
    pole_overlap_check: bool = True,
    e_min: float | None = E_MIN,
    eps_grid: Sequence[float] | np.ndarray | None = None,
    delta_chi2: float = DELTA_CHI2_95,
    n_bisect: int | None = None,
    fast: LimitResult | None = None,
    gtol: float | None = None,
    max_calls: int | None = None,
    errors: bool = True,
) -> LimitResult:
    """95% CL upper limit on the coupling (Hook's eps, or g_z for a Z'-model likelihood) at physical mass(es) ``mass``.

    Parameters
    ----------
    mass: physical Z' mass(es) in GeV. A scalar gives a scalar result (:meth:`LimitResult.squeeze`:
        ``float(res.limit_observed)``), an array one entry per mass.
    width: the width hypothesis: "narrow", "wide", a dark width in GeV or "dirac:ALPHA_D:M_CHI".
    method: "cls" (pyhf-compatible linear Gaussian likelihood, asymptotic q~_mu CLs with expected bands,
        :func:`~.closed_form.cls_limits`), "chi2" (arXiv:1006.0973 Eqs. 17-19, :func:`~.closed_form.chi2_limits`),
        "exact" (exact non-linear profile likelihood minimised with iminuit, :func:`~.exact.exact_limits`) or
        "pyhf" (pyhf's own ``upper_limit`` with the minuit optimiser on the exported workspace,
        :func:`~.pyhf_engine.pyhf_limits`; seconds per mass).
    likelihood: the :class:`PrecisionLikelihood` (default: every dataset, :func:`default_likelihood`).

    Options of the engines (keyword only). An option left at its default lets the engine use its own default;
    one given for a method whose engine does not take it raises ``TypeError`` naming it, as does an unknown keyword.

    cl: confidence level of the CLs limit ("cls", "pyhf"; "exact" computes 0.95 only).
    rtol: relative change of the limit that stops the re-linearisation ("cls", "pyhf"; default 0.01).
    max_iter: largest number of re-linearisation steps ("cls" and "exact": 12, "pyhf": 3 pyhf limits).
    eps_start: first linearisation point ("cls"; default 0.03 for eps, 0.1 for g_z).
    pole_overlap_check: recompute from the off-pole data where the Z' overlaps the Z at the limit
        ("cls", "chi2"; ``False`` only for comparisons with the old treatment; "exact" always checks).
    e_min: the Eq. 19 filter on the expected significance ("chi2"; ``None`` disables it).
    eps_grid: couplings of the chi^2 scan ("chi2"; default 49 log-spaced points from 1e-6 to the cap).
    delta_chi2: the Delta chi^2 of the bound ("chi2"; default 3.84).
    n_bisect: bisection steps refining the chi^2 crossing ("chi2"; default 12).
    fast: a "cls" result at the same masses to start from ("exact", "pyhf"; computed if not given).
    gtol: tolerance of the CLs root find ("exact"; default :data:`~.exact.GTOL`).
    max_calls: Minuit's call limit per fit ("exact"; default none).
    errors: run hesse after each unconditional fit ("exact"; the error goes to ``diagnostics`` only).

    Returns
    -------
    :class:`~kinmix_stats.results.LimitResult` (``method`` and ``coupling`` say what it holds).
    """
    check_method(method)
    if likelihood is not None:
        check_type("likelihood", likelihood, PrecisionLikelihood, "a PrecisionLikelihood or None")
    options = _engine_options(method, {
        "cl": cl, "rtol": rtol, "max_iter": max_iter, "eps_start": eps_start, "pole_overlap_check": pole_overlap_check,
        "e_min": e_min, "eps_grid": eps_grid, "delta_chi2": delta_chi2, "n_bisect": n_bisect, "fast": fast,
        "gtol": gtol, "max_calls": max_calls, "errors": errors,
    })
    mass = check_masses("mass", mass) if np.ndim(mass) else check_masses("mass", [mass])[0]
    like = default_likelihood() if likelihood is None else likelihood
    if method == "pyhf":
        from .pyhf_engine import pyhf_limits

        res = pyhf_limits(like, mass, width, **options)
    elif method == "cls":
        res = cls_limits(like, mass, width, **options)
    elif method == "exact":
        from .exact import exact_limits

        res = exact_limits(like, mass, width, **options)
    else:
        res = chi2_limits(like, mass, width, **options)
    return res.squeeze() if np.ndim(mass) == 0 else res
