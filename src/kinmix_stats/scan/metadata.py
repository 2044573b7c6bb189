"""Provenance of a scan: the metadata recorded in every output, and the likelihood rebuilt from it."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import __version__
from ..likelihood.limits import default_likelihood
from ..likelihood.methods import chi2_threshold
from ..likelihood.precision import PrecisionLikelihood, dark_photon_factory
from ..model.dark_sector import width_label
from ..model.spec import G_Z_DEFINITION, ModelSpec

__all__ = ["REF_KEY", "REF_VALUE", "likelihood_from_metadata", "scan_metadata"]

#: metadata key holding the observed CLs linearisation point of every mass (used by the export)
REF_KEY = {"epsilon": "epsilon_ref_observed", "g_z": "g_z_ref_observed"}

#: patch value naming the linearisation point of a hypothesis
REF_VALUE = {"epsilon": "eps_ref", "g_z": "g_z_ref"}

def scan_metadata(
    likelihood: PrecisionLikelihood,
    width,
    methods: Sequence[str],
    extra: dict | None,
    model: ModelSpec | None = None,
    cl: float = 0.95,
) -> dict[str, Any]:
    import scipy

    from ..results import CLOSED_FORM_ENGINE

    # a library's version is recorded only if it computed numbers of this scan (cls/chi2: numpy/scipy only)
    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    engines: dict[str, Any] = {m: dict(CLOSED_FORM_ENGINE) for m in methods if m in ("cls", "chi2")}
    if "exact" in methods:
        from ..likelihood.exact import engine_description

        engines["exact"] = engine_description()
        versions["iminuit"] = engines["exact"]["version"]
    if "pyhf" in methods:
        from ..likelihood.pyhf_engine import engine_description as pyhf_engine

        engines["pyhf"] = pyhf_engine()
        versions["pyhf"] = engines["pyhf"]["version"]
        versions["iminuit"] = engines["pyhf"]["optimizer_version"]
    meta: dict[str, Any] = {
        "package": "kinmix_stats",
        "package_version": __version__,
        "python": platform.python_version(),
        "versions": versions,
        "engines": engines,
        "epsilon_convention": "hook: L > -(sin eps/2) F'_{mu nu} B^{mu nu} (arXiv:1006.0973 Eq. 1)",
        "width": width_label(width),
        "methods": list(methods),
        "confidence_level": cl,
        "cls": "asymptotic q~_mu (arXiv:1007.1727), linear Gaussian model re-linearised in mu = eps^2/eps_ref^2",
        "chi2": f"arXiv:1006.0973 Eqs. 17-19, Delta chi^2 = {chi2_threshold(cl):.4g}, E_min = 0.5",
        "datasets": [ds.name for ds in likelihood.catalogue.datasets],
        "mw_choice": getattr(likelihood, "mw_choice", None),
        "n_measurements": len(likelihood.names),
        "catalogue_hash": likelihood.catalogue.catalogue_hash(),
        "sm_parameters": {
            "alpha": likelihood.sm.alpha,
            "sin2_theta_w": likelihood.sm.sin2_theta_w,
            "mz0": likelihood.sm.mz0,
            "alpha_s_mz": likelihood.sm.alpha_s_mz,
        },
        "assumptions": {
            "beam_spread_rel": likelihood.beam_spread_rel,
            "beam_spread_note": "assumed relative c.m. energy spread (not a published value), smears narrow e+e- resonances",
            # how the predictions were made (PrecisionLikelihood's switches): an export rebuilds exactly this
            "isr": likelihood.isr,
            "energy_ranges": likelihood.energy_ranges,
            "lineshape_window_gev": likelihood.lineshape_window,
        },
    }
    if model is not None:
        meta["coupling"] = "g_z"
        meta["g_z_definition"] = G_Z_DEFINITION
        meta["model"] = model.to_metadata()
        meta["cls"] = "asymptotic q~_mu (arXiv:1007.1727), linear Gaussian model re-linearised in mu = g_z^2/g_ref^2"
        meta["chi2"] = f"arXiv:1006.0973 Eqs. 17-19 applied to g_z, Delta chi^2 = {chi2_threshold(cl):.4g}, E_min = 0.5"
    if extra:
        meta.update(extra)
    return meta

_UNSET = object()
#: the assumptions keys that record how the predictions were made (PrecisionLikelihood isr, energy_ranges, lineshape_window)
_TREATMENT = ("isr", "energy_ranges", "lineshape_window_gev")

def likelihood_from_metadata(metadata: dict[str, Any], spec: ModelSpec | None = None) -> PrecisionLikelihood:
    """Rebuild the likelihood a curve was scanned with from its ``metadata``.

    Uses the recorded ``datasets``, ``mw_choice`` (older files: ``inputs.mw_choice`` of the CLI, else the
    default PDG 2024), ``assumptions.beam_spread_rel`` and the prediction switches ``assumptions.isr``,
    ``energy_ranges`` and ``lineshape_window_gev`` (a file without them is refused: it predates ISR by default), with the dark-photon factory or ``spec``'s Z'
    factory, and checks that the rebuilt catalogue has the recorded ``catalogue_hash``: a curve made from
    another catalogue (edited data files, another package version) is refused rather than exported against
    measurements it was not computed with.
    """
    from ..likelihood.precision import ASSUMED_BEAM_SPREAD_REL

    mw_choice = metadata.get("mw_choice", _UNSET)
    if mw_choice is _UNSET:
        mw_choice = (metadata.get("inputs") or {}).get("mw_choice", "PDG2024")
    assumptions = metadata.get("assumptions") or {}
    beam = assumptions.get("beam_spread_rel", ASSUMED_BEAM_SPREAD_REL)
    missing = [key for key in _TREATMENT if key not in assumptions]
    if missing:
        raise ValueError(
            f"the curve's metadata does not record how its predictions were made ({', '.join(missing)} missing under "
            "'assumptions'; written before ISR became the default): rebuilding it with today's defaults could export "
            "a likelihood it was not scanned with; pass likelihood= (or rescan)"
        )
    isr, ranges = bool(assumptions["isr"]), bool(assumptions["energy_ranges"])
    window = float(assumptions["lineshape_window_gev"])
    datasets = metadata.get("datasets")
    default = default_likelihood()
    all_datasets = [ds.name for ds in default.catalogue.datasets]
    same_switches = (isr, ranges, window) == (default.isr, default.energy_ranges, default.lineshape_window)
    if (spec is None and mw_choice == "PDG2024" and beam == ASSUMED_BEAM_SPREAD_REL and same_switches
            and datasets in (None, all_datasets)):
        like = default
    else:
        like = PrecisionLikelihood(
            datasets=datasets, mw_choice=mw_choice, beam_spread_rel=beam, isr=isr, energy_ranges=ranges,
            lineshape_window=window, model_factory=dark_photon_factory if spec is None else spec.factory(),
        )
    recorded = metadata.get("catalogue_hash")
    rebuilt = like.catalogue.catalogue_hash()
    if recorded is not None and recorded != rebuilt:
        raise ValueError(
            f"the curve was scanned on catalogue {str(recorded)[:12]}… (datasets {datasets}, mw_choice {mw_choice!r}) "
            f"but this installation rebuilds {rebuilt[:12]}…: pass the likelihood it was made with"
        )
    return like
