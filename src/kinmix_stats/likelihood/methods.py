"""The limit methods (one list for the API and the command line): which engine computes a limit.

* ``cls``: fast closed-form CLs of the linear Gaussian model re-linearised at the limit (:mod:`.limits`);
* ``exact``: CLs of the exact non-linear likelihood profiled with iminuit (:mod:`.exact`);
* ``pyhf``: pyhf's ``upper_limit`` on the exported workspace (:mod:`.pyhf_engine`);
* ``chi2``: the Delta chi^2 limit of arXiv:1006.0973 Eqs. 17-19.

``cls``, ``exact`` and ``pyhf`` fill the same CLs columns of a scan (observed and expected band); a scan runs
at most one of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._checks import check_choice

__all__ = ["CLS_METHODS", "METHODS", "check_method", "check_methods", "chi2_threshold", "cls_method"]

#: every limit method
METHODS = ("cls", "chi2", "exact", "pyhf")
#: methods that fill the CLs columns (observed limit and expected band); a scan runs at most one of them
CLS_METHODS = ("cls", "exact", "pyhf")


def check_method(method: object) -> str:
    """A validated method name (``ValueError`` naming the accepted ones otherwise)."""
    return check_choice("method", method, METHODS)


def chi2_threshold(cl: float) -> float:
    """Delta chi^2 of the ``chi2`` method at confidence level ``cl`` (one parameter): Hook et al.'s 3.84 at 95 %
    (arXiv:1006.0973, Results), otherwise the chi^2 quantile ``scipy.stats.chi2.ppf(cl, 1)``."""
    from .closed_form import DELTA_CHI2_95

    if cl == 0.95:
        return DELTA_CHI2_95
    from scipy.stats import chi2

    return float(chi2.ppf(cl, 1))


def cls_method(methods: Sequence[str]) -> str | None:
    """The method of ``methods`` that fills the CLs columns ("cls", "exact" or "pyhf"), or None."""
    found = [m for m in methods if m in CLS_METHODS]
    return found[0] if found else None


def check_methods(methods: Sequence[str], *, one_cls_engine: bool = True) -> tuple[str, ...]:
    """Validated methods: a non-empty, non-repeating sequence of :data:`METHODS`.

    ``one_cls_engine`` (a scan): at most one of the CLs engines "cls" (fast closed form), "exact" (iminuit) and
    "pyhf" (pyhf upper_limit), which fill the same columns; ``kinmix limit`` may compare them at one mass.
    """
    if isinstance(methods, str):
        raise ValueError(f"methods must be a sequence of method names like ('cls', 'chi2'), got the string {methods!r}")
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must name at least one of {', '.join(map(repr, METHODS))}")
    for m in methods:
        check_method(m)
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods {methods!r} repeats a method")
    if one_cls_engine and sum(m in CLS_METHODS for m in methods) > 1:
        both = " and ".join(repr(m) for m in methods if m in CLS_METHODS)
        raise ValueError(f"methods {methods!r}: {both} both fill the CLs columns (eps95_obs, expected band); choose one")
    return methods
