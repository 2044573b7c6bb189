"""pyhf workspaces of a scan, the one export of this format (``kinmix scan``, ``kinmix export`` and the API).

What the files hold: ``bkgonly.json`` shared by every hypothesis, one patch per (width, mass) point of the
curves in ``patchset.json`` and, for the whitened encoding, ``whitening.json`` (the rotation). Encodings:
:mod:`kinmix_stats.likelihood.whitened` (default) and :mod:`kinmix_stats.likelihood.workspace` (one nuisance
per correlated measurement). The file pair itself (schemas, streaming, atomic writing, reading back) is
:mod:`kinmix_stats.io.patchset`; an export of one encoding removes the sidecar of the other, so a directory
never mixes two exports. ``pyhf patchset verify``, ``pyhf patchset extract --name LABEL`` and ``pyhf cls
bkgonly.json -p patch.json`` read the output (tested in ``tests/test_workspace_pyhf.py``).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from .._checks import check_choice
from ..model.spec import G_Z_DEFINITION, ModelSpec
from ..results import STATUS_OK, LimitCurve
from ..scan.parallel import pinned_blas
from .patchset import BKG_ONLY_FILE, PATCHSET_FILE, load_and_verify, write_patchset

if TYPE_CHECKING:
    from ..likelihood.precision import PrecisionLikelihood

__all__ = [
    "BKG_ONLY_FILE",
    "ENCODINGS",
    "PATCHSET_FILE",
    "PLACEHOLDER_INSPIRE_ID",
    "ROTATION_FILE",
    "WORKSPACE_FILES",
    "export_workspaces",
    "load_and_verify",
    "write_patchset",
]

#: the rotation of the whitened encoding (its sha256 is in the patchset metadata)
ROTATION_FILE = "whitening.json"
#: every file an export may write: a new export replaces all of them as one set
WORKSPACE_FILES = (BKG_ONLY_FILE, PATCHSET_FILE, ROTATION_FILE)

#: The pyhf 1.0.0 patchset schema requires metadata.references.hepdata = "ins" + 7 digits. No HEPData
#: record exists for likelihoods made by this package, so this placeholder (meaning "none") is written
#: unless the user passes a real INSPIRE id; the metadata says so explicitly.
PLACEHOLDER_INSPIRE_ID = "ins0000000"

#: exported encodings (see :mod:`kinmix_stats.likelihood.whitened` and :mod:`kinmix_stats.likelihood.workspace`)
ENCODINGS = ("whitened", "per_measurement")


@pinned_blas  # the export's fits and rotations give the same bits whatever the caller's BLAS threads
def export_workspaces(
    curves: LimitCurve | Sequence[LimitCurve],
    out_dir: str | os.PathLike[str],
    *,
    likelihood: PrecisionLikelihood | None = None,
    inspire_id: str | None = None,
    encoding: str = "whitened",
) -> tuple[Path, Path]:
    """Write ``bkgonly.json`` + ``patchset.json`` (+ ``whitening.json``) of ``curves`` into ``out_dir``, replacing
    any earlier export there (also one of the other encoding) as one atomic group.

    The background-only workspace (data, SM, alpha_em and sin2_theta_w) is shared by every hypothesis; each
    patch adds the signal at the point's linearisation point c_ref with POI mu = (c/c_ref)^2 (c = eps, Hook's
    convention, or g_z of a Z' model), so CLs(mu = 1) is the CLs of c_ref and c95 = c_ref sqrt(mu95). Patch
    values: (mass_GeV, dark_width_GeV, eps_ref or g_z_ref). Points without a valid CLs limit are listed in the
    patchset metadata ``skipped_hypotheses`` with the reason. Patches are streamed to disk.

    Parameters
    ----------
    curves : a :class:`~kinmix_stats.results.LimitCurve` or a sequence of them (one model and coupling), from a
        scan with a CLs method (its ``metadata`` holds the linearisation points).
    out_dir : target directory (created if missing).
    likelihood : default: the one the curves were scanned with, rebuilt by
        :func:`~kinmix_stats.scan.metadata.likelihood_from_metadata` (refused if the catalogue changed).
    inspire_id : ``insNNNNNNN`` for the patchset references (default: the schema's placeholder, said so in the metadata).
    encoding : ``"whitened"`` (default, :mod:`kinmix_stats.likelihood.whitened`: one channel per dataset, pyhf
        parameters mu, alpha_em, sin2_theta_w only, rotation in ``whitening.json``) or ``"per_measurement"``
        (:mod:`kinmix_stats.likelihood.workspace`: one nuisance per correlated measurement; slow to fit). The
        patchset metadata ``encoding`` records it and its largest |Delta(-2 ln L)| against the exact Gaussian.

    Returns
    -------
    ``(bkgonly_path, patchset_path)``.
    """
    from .._checks import check_inspire_id
    from ..likelihood.coupling import coupling_delta_th, likelihood_coupling
    from ..scan.metadata import REF_KEY, REF_VALUE, likelihood_from_metadata
    from ..scan.run import limit_status

    check_choice("encoding", encoding, ENCODINGS)
    if isinstance(curves, (str, bytes, os.PathLike)) or not isinstance(curves, (LimitCurve, Sequence)):
        raise TypeError(f"export_workspaces: curves must be a LimitCurve or a sequence of them, got {curves!r} ({type(curves).__name__})")
    curves = [curves] if isinstance(curves, LimitCurve) else list(curves)
    if not curves:
        raise ValueError("export_workspaces: no curves given")
    for c in curves:
        if not isinstance(c, LimitCurve):
            raise TypeError(f"export_workspaces: expected LimitCurve objects, got {c!r} ({type(c).__name__})")
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"export_workspaces: out_dir must be a path, got {out_dir!r} ({type(out_dir).__name__})")
    check_inspire_id(inspire_id)
    kinds = {(c.coupling, c.model, _json_key(c.metadata.get("model"))) for c in curves}
    if len(kinds) != 1:
        raise ValueError(
            "export_workspaces: all curves of one patchset must be of the same model and coupling, got "
            + ", ".join(sorted(f"{m} ({c})" for c, m, _ in kinds))
        )
    coupling = curves[0].coupling
    spec = None
    if coupling == "g_z":
        spec = ModelSpec.from_metadata(curves[0].metadata.get("model"))
        if spec.name != curves[0].model:
            raise ValueError(f"curve of model {curves[0].model!r} carries metadata of model {spec.name!r}")
    like = likelihood_from_metadata(curves[0].metadata, spec) if likelihood is None else likelihood
    if likelihood_coupling(like) != coupling:
        raise ValueError(f"the likelihood's model factory takes {likelihood_coupling(like)}, the curves are limits on {coupling}")
    ref_key, ref_value = REF_KEY[coupling], REF_VALUE[coupling]
    base = like.base_problem()
    labels: list[str] = []
    values: list[dict[str, Any]] = []
    rows: list[np.ndarray] = []
    skipped: list[dict[str, Any]] = []
    for curve in curves:
        refs = curve.metadata.get(ref_key)
        if refs is None or len(refs) != curve.mass_gev.size:
            raise ValueError(f"curve {curve.width!r} carries no {ref_key} metadata: run scan() with method 'cls'")
        width = _width_spec(curve.width)
        ok = []
        for i, (m, r) in enumerate(zip(curve.mass_gev, refs, strict=True)):
            reason = limit_status(curve.status[i]) if i < len(curve.status) else STATUS_OK
            if reason == STATUS_OK and not (r is not None and math.isfinite(r) and r > 0):
                reason = f"no CLs linearisation point {ref_value}"
            if reason != STATUS_OK:
                skipped.append({"mass_GeV": float(m), "width": curve.width, "reason": reason})
            else:
                ok.append(i)
        if not ok:
            continue
        masses = curve.mass_gev[ok]
        eps = np.array([refs[i] for i in ok], dtype=float)
        delta, valid = coupling_delta_th(like, masses, eps, width)
        for m, e, d, v in zip(masses, eps, delta, valid, strict=True):
            if not v:
                skipped.append({"mass_GeV": float(m), "width": curve.width, "reason": f"no Z'-like state at {ref_value}"})
                continue
            dark = 0.0 if width == "narrow" else 0.01 * float(m) if width == "wide" else float(width)
            labels.append(f"mass_{m:.6g}_{curve.width}".replace(".", "p").replace("-", "m"))
            values.append({"mass_GeV": float(m), "dark_width_GeV": dark, ref_value: float(e)})
            rows.append(d)
    if not rows:
        raise ValueError("no exportable hypothesis: no point has a valid CLs limit (status ok)"
                         + (f"; e.g. mass {skipped[0]['mass_GeV']:g} GeV: {skipped[0]['reason']}" if skipped else ""))
    signals = np.array(rows)
    del rows
    if encoding == "whitened":
        bkg, patches, enc_meta, sidecars, failed = _whitened_export(base, labels, values, signals)
    else:
        bkg, patches, enc_meta, sidecars, failed = _per_measurement_export(base, labels, values, signals)
    skipped.extend(failed)
    if skipped:
        warnings.warn(f"{len(skipped)} hypotheses not exported (listed in patchset metadata 'skipped_hypotheses')", stacklevel=2)
    ref = PLACEHOLDER_INSPIRE_ID if inspire_id is None else inspire_id
    extra: dict[str, Any] = {
        "kinmix_stats_version": __version__,
        "catalogue_hash": like.catalogue.catalogue_hash(),
        "encoding": enc_meta,
        "skipped_hypotheses": skipped,
        "references_note": (
            "no HEPData record exists for this likelihood: ins0000000 is a placeholder required by the pyhf 1.0.0 "
            "patchset schema" if inspire_id is None else "INSPIRE id given by the user"
        ),
    }
    if spec is None:
        description = (
            "kinmix_stats precision-electroweak likelihood for a kinetically mixed Z' (arXiv:1006.0973 method); "
            "POI mu = eps^2/eps_ref^2 with eps in Hook's convention"
        )
    else:
        mixing = "no kinetic or mass mixing" if not spec.has_mixing else (
            f"kinetic mixing eps = {spec.epsilon:g} (Hook convention), "
            + (f"Z-Z' mass mixing from the Higgs doublets with tan(beta) = {spec.tan_beta:g}" if spec.tan_beta is not None
               else f"Z-Z' mass mixing dM^2 = {spec.delta_m2:g} GeV^2")
        )
        description = (
            f"kinmix_stats precision-electroweak likelihood for the {spec.name} Z' of the PDG review ({mixing}); "
            "POI mu = g_z^2/g_z_ref^2 with g_z the U(1)' gauge coupling"
        )
        extra.update({"model": spec.to_metadata(), "coupling": "g_z", "g_z_definition": G_Z_DEFINITION})
    return write_patchset(bkg, patches, out_dir, description=description, references={"hepdata": ref},
                          extra_metadata=extra, sidecars=sidecars, replaces=WORKSPACE_FILES[2:])

def _whitened_export(base, labels, values, signals):
    """Background-only spec, patch generator, encoding metadata, sidecars and skipped points (whitened)."""
    import jsonpatch
    import pyhf

    from ..likelihood import whitened as wh
    from ..likelihood.cls import cls_limits_batch

    mu_max = wh.choose_mu_max(base, signals)
    enc = wh.encode_whitened(base, mu_max=mu_max)
    reasons = wh.check_hypotheses(base, enc, signals)
    failed = [{"mass_GeV": values[i]["mass_GeV"], "label": labels[i], "reason": r} for i, r in enumerate(reasons) if r]
    keep = [i for i, r in enumerate(reasons) if r is None]
    if not keep:
        raise ValueError(f"no exportable hypothesis: {failed[0]['reason']}")
    dev = wh.max_nll_deviation(base, enc, signals[keep])
    limits = cls_limits_batch(base, signals[keep])
    dev_limit = wh.max_nll_deviation(base, enc, signals[keep], mu_top=np.maximum(limits.observed_mu, limits.expected_mu[:, 4]))
    if not np.all(np.isfinite(dev)):
        bad = keep[int(np.argmax(~np.isfinite(dev)))]
        raise ValueError(f"encoded likelihood undefined (expected count <= 0) on the check grid of {labels[bad]}")
    worst = keep[int(np.argmax(dev))]
    bkg = wh.background_only(base, enc)
    # pyhf's own logpdf on the worst hypothesis equals the closed-form encoded likelihood (up to a constant)
    s_white = enc.whiten(signals[worst])
    model_ws = pyhf.Workspace(jsonpatch.apply_patch(bkg, wh.signal_ops(enc, s_white)))
    model = model_ws.model()
    data = model_ws.data(model)
    prob = base.with_signal(signals[worst])
    from ..likelihood.gaussian import profiled_nuisances

    diffs = []
    for mu in (0.0, 0.5 * mu_max, mu_max):
        th = profiled_nuisances(prob, mu)
        pars = wh.pyhf_parameters(model, enc, mu, th)
        closed = float(wh.encoded_chi2(base, enc, s_white, mu, th / np.asarray(enc.units)))
        diffs.append(-2.0 * float(model.logpdf(pars, data)[0]) - closed)
    check = float(np.max(np.abs(np.array(diffs) - diffs[0])))
    text = wh.rotation_text(wh.rotation_document(base, enc))
    meta = {
        "name": wh.ENCODING_NAME,
        "pyhf_parameters": [wh.POI_NAME, *enc.nuisance_param_names],
        "channels": "one per dataset; bins = whitened combinations of its measurements and their mirrors",
        "count_scale": enc.count_scale,
        "poisson_fraction": 1.0,
        "fractions_note": "all of each whitened component's variance is in its Poisson pair (no correlation nuisances)",
        "nuisance_bound": enc.nuisance_bound,
        "mu_max": enc.mu_max,
        "rotation": {"file": ROTATION_FILE, "sha256": wh.rotation_digest(text),
                     "kind": "per-channel lower Cholesky factor G of the covariance, C = G G^T; bins hold G^-1 residuals"},
        "max_abs_delta_minus2lnL": float(dev.max()),
        "max_abs_delta_minus2lnL_hypothesis": labels[worst],
        "max_abs_delta_minus2lnL_limit_range": float(dev_limit.max()),
        "delta_grid": (
            f"mu in {wh.DEVIATION_GRID['mu_points']} points over [0, mu_max] (limit_range: over [0, max(mu95_obs, "
            "mu95_exp+2sigma)] of each hypothesis) x nuisances at their conditional best fit shifted by their joint "
            "3 sigma (Delta chi^2 up to 9 per direction); closed-form encoded vs exact Gaussian -2 ln L, relative to "
            "mu = 0 at the best fit, every exported hypothesis"
        ),
        "pyhf_logpdf_check": {"hypothesis": labels[worst], "max_abs_diff_vs_closed_form": check},
    }

    def patches():
        for i in keep:
            yield labels[i], values[i], wh.signal_ops(enc, enc.whiten(signals[i]))

    return bkg, patches(), meta, {ROTATION_FILE: text}, failed

def _per_measurement_export(base, labels, values, signals):
    """The one-channel-per-measurement layout (correlations as pyhf nuisances; slow to fit, kept as an option)."""
    import jsonpatch
    import pyhf

    from ..likelihood import whitened as wh
    from ..likelihood.gaussian import chi2 as exact_chi2
    from ..likelihood.gaussian import profiled_nuisances
    from ..likelihood.workspace import build_background_only, encode, pyhf_parameters, signal_patch_ops

    mu_max = wh.choose_mu_max(base, signals)
    # If a hypothesis moves an effective count too far at mu_max (a single dominant measurement), more of the
    # variance goes into the Poisson terms (larger poisson_fraction) until every hypothesis fits.
    for fraction in (0.05, 0.1, 0.2, 0.4, 0.8):
        encoding = encode(base, mu_max=mu_max, poisson_fraction=fraction)
        failed, keep = [], []
        for i, sig in enumerate(signals):
            try:
                signal_patch_ops(base.with_signal(sig), encoding=encoding)
                keep.append(i)
            except ValueError as err:
                failed.append({"mass_GeV": values[i]["mass_GeV"], "label": labels[i], "reason": str(err)})
        if not failed:
            break
    if not keep:
        raise ValueError(f"no exportable hypothesis: {failed[0]['reason']}")
    bkg = build_background_only(base, encoding=encoding)
    # measured with pyhf's logpdf on the hypothesis with the largest signal (the correlation nuisances at their
    # exact conditional optimum): building this 280-parameter model once costs about a second
    worst = keep[int(np.argmax(np.abs(signals[keep]).max(axis=1)))]
    prob = base.with_signal(signals[worst])
    ws = pyhf.Workspace(jsonpatch.apply_patch(bkg, signal_patch_ops(prob, encoding=encoding)))
    model = ws.model()
    data = ws.data(model)
    diffs = []
    for mu in np.linspace(0.0, mu_max, 5):
        th = profiled_nuisances(prob, mu)
        pars = pyhf_parameters(model, prob, encoding, mu, th)
        diffs.append(-2.0 * float(model.logpdf(pars, data)[0]) - exact_chi2(prob, mu, th))
    meta = {
        "name": "per_measurement_correlation_nuisances",
        "pyhf_parameters": f"mu, alpha_em, sin2_theta_w and {len(encoding.corr_names)} correlation nuisances",
        "channels": "one per measurement (two mirrored bins)",
        "count_scale": encoding.count_scale,
        "poisson_fraction": encoding.poisson_fraction,
        "mu_max": encoding.mu_max,
        "rotation": None,
        "max_abs_delta_minus2lnL": float(np.max(np.abs(np.array(diffs) - diffs[0]))),
        "max_abs_delta_minus2lnL_hypothesis": labels[worst],
        "delta_grid": "pyhf logpdf vs exact Gaussian on the profile path, mu in 5 points over [0, mu_max], one hypothesis",
    }

    def patches():
        for i in keep:
            yield labels[i], values[i], signal_patch_ops(base.with_signal(signals[i]), encoding=encoding)

    return bkg, patches(), meta, {}, failed


def _width_spec(label: str):
    if label in ("narrow", "wide"):
        return label
    if label.endswith("GeV"):
        return float(label[:-3])
    raise ValueError(f"cannot rebuild the width from label {label!r}; export supports narrow, wide and fixed widths")

def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
