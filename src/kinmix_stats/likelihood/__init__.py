"""Likelihood layer: exact linear-Gaussian fits, asymptotic CLs, limits and the pyhf workspace encodings.

* :mod:`.gaussian` -- :class:`LinearGaussianProblem` and its exact profile fits (batched).
* :mod:`.cls` -- asymptotic CLs limits with the q~_mu test statistic (arXiv:1007.1727).
* :mod:`.limits` -- ``upper_limit`` on the engines :mod:`.closed_form` (CLs re-linearised, Hook's chi^2),
  :mod:`.exact` (iminuit) and :mod:`.pyhf_engine`; :mod:`.coupling` (eps or g_z, validity window) and
  :mod:`.pole_overlap` (two states at m_Z) serve all of them.
* :mod:`.whitened` -- the default HistFactory (pyhf schema 1.0.0) encoding: whitened channels, 3 pyhf parameters.
* :mod:`.workspace` -- the one-channel-per-measurement encoding (correlations as pyhf nuisances).
* :mod:`.methods` -- the limit method names, checked in one place.

The export of the workspaces (files) is :mod:`kinmix_stats.io.workspaces`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .cls import (
    EXPECTED_NSIGMA,
    CLsBatchResult,
    CLsResult,
    cls_limit,
    cls_limits_batch,
    cls_qtilde,
    expected_cls_qtilde,
    expected_limits_qtilde,
    upper_limit_qtilde,
)
from .gaussian import (
    BatchProfileFit,
    LinearGaussianProblem,
    ProfileFit,
    chi2,
    nll,
    nll_batch,
    profile_chi2,
    profile_chi2_batch,
    profile_fit,
    profile_fit_batch,
    profiled_nuisances,
)

# pyhf-backed modules load on first use (PEP 562), so the CLs core does not import pyhf
_LAZY = {
    "WorkspaceEncoding": ".workspace",
    "build_background_only": ".workspace",
    "build_workspace": ".workspace",
    "encode": ".workspace",
    "pyhf_parameters": ".workspace",
    "sanitise_name": ".workspace",
    "signal_patch": ".workspace",
    "signal_patch_ops": ".workspace",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "EXPECTED_NSIGMA",
    "BatchProfileFit",
    "CLsBatchResult",
    "CLsResult",
    "LinearGaussianProblem",
    "ProfileFit",
    "WorkspaceEncoding",
    "build_background_only",
    "build_workspace",
    "chi2",
    "cls_limit",
    "cls_limits_batch",
    "cls_qtilde",
    "encode",
    "expected_cls_qtilde",
    "expected_limits_qtilde",
    "nll",
    "nll_batch",
    "profile_chi2",
    "profile_chi2_batch",
    "profile_fit",
    "profile_fit_batch",
    "profiled_nuisances",
    "pyhf_parameters",
    "sanitise_name",
    "signal_patch",
    "signal_patch_ops",
    "upper_limit_qtilde",
]
