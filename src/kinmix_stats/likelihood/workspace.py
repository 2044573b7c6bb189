r"""Encode a :class:`~kinmix_stats.likelihood.gaussian.LinearGaussianProblem` as a pyhf workspace, one channel
per measurement (the ``per_measurement`` export option; the default export is the whitened encoding of
:mod:`kinmix_stats.likelihood.whitened`, which needs no correlation nuisances).

HistFactory has Poisson main terms and unit-Gaussian constraint terms; the residual likelihood
is a correlated Gaussian. The encoding below reproduces the Gaussian NLL (up to a constant)
to a documented, tunable accuracy while using only standard pyhf 0.7.6 modifiers
(``histosys``, ``normfactor``), so the exported JSON is portable (``pyhf cls`` reads it).

**Covariance split.** For every block of correlated measurements (``problem.blocks()``),

.. math::  C = D + L L^T, \qquad D_i = f\,\lambda_\mathrm{min}(R)\,C_{ii},

with :math:`R` the block's correlation matrix and ``f = poisson_fraction`` in (0, 1], so that
:math:`C - D` is positive definite and :math:`L` is its Cholesky factor. Profiling the unit
Gaussian nuisances :math:`\alpha` of :math:`y = \mathrm{pred} + L\alpha + \varepsilon`,
:math:`\varepsilon \sim N(0, D)`, gives back exactly :math:`r^T C^{-1} r` (Woodbury identity;
:math:`\hat\alpha = L^T C^{-1} r`). A small ``f`` puts most of the variance into the exact
Gaussian constraint terms and keeps the pulls on the Poisson terms small.

**Poisson as Gaussian, symmetrised.** Channel ``i`` (one per measurement, name sanitised to
``[A-Za-z0-9_]``) has two bins, a "+" bin and its mirror "-" bin, each observing
``K = count_scale`` events. Residuals become counts with :math:`\pm a_i`,
:math:`a_i = \sqrt{K / (2 D_i)}`, and every sample is additive in counts:

* ``SM``: nominal :math:`K \mp a_i\,\delta_{\mathrm{exp},i}`, carrying

  - ``histosys`` ``corr_g<block>_<j>`` with up/down :math:`\pm(\pm a_i L_{ij})` (the :math:`\alpha_j`),
  - ``histosys`` ``<nuisance>`` with up/down :math:`\pm(\pm a_i \sigma_k T_{ki})` for every
    constrained nuisance (pyhf parameter :math:`= \theta_k/\sigma_k`, unit Gaussian, as
    pyhf requires; symmetric variations make the default piecewise-linear interpolation exact);
* ``nuis_<nuisance>``: one per free nuisance, yields :math:`\pm a_i u_k T_{ki}` with a
  ``normfactor`` ``<nuisance>`` of bounds ``[-free_bound, free_bound]`` and init 0; the pyhf
  parameter is :math:`\theta_k / u_k` where :math:`u_k` is the nuisance's profiled Gaussian
  uncertainty (:attr:`WorkspaceEncoding.free_units`), so the optimiser sees O(1) numbers;
* ``kinetic_mixing`` (added by :func:`signal_patch`): yields :math:`\pm a_i s_i` with the
  ``normfactor`` POI ``mu`` in ``[0, mu_max]``.

``pyhf cls`` switches ``histosys`` to interpolation ``code4p``; for symmetric variations (ours)
code4p, like the default code0, is exactly linear, so the CLI and the Python API see the same model.

With :math:`d = \nu_+ - K = -(\nu_- - K) = -a_i (r_i - (L\alpha)_i)` the Poisson deviance of one
bin is :math:`d^2/K - \tfrac23 d^3/K^2 + \tfrac12 d^4/K^3 - \dots`; the cubic terms of the two
mirrored bins cancel exactly, so the pair gives
:math:`z_i^2 + z_i^4/(4K) + O(z^6/K^2)` with :math:`z_i = (r - L\alpha)_i/\sqrt{D_i}`.
(A single bin would leave :math:`\tfrac23 z^3/\sqrt{K}`, ~100x larger here.) At the profiled
:math:`\alpha`, :math:`z_i \sim \sqrt{f/\lambda_\mathrm{min}}` times the usual pull.
Defaults ``K = 3e4, f = 0.05``; ``tests/test_workspace_pyhf.py`` bounds :math:`|\Delta(-2\ln L)|` on a
test grid (``mu`` up to 3x the limit, nuisances at +-3 sigma).
``K`` is not larger because pyhf evaluates :math:`n\ln\nu - \nu` directly: its rounding,
~``K ln K x 1e-16``, grows with ``K`` and spoils the finite-difference gradients of the scipy
optimiser, and :math:`\nu > 0`
needs :math:`|z| < \sqrt{2K}` wherever the optimiser steps (checked by :func:`signal_patch_ops`
at ``mu = mu_max`` with the other parameters at their inits).

**Background-only workspace.** :func:`build_background_only` declares the measurement with
``poi: "mu"`` (the schema requires a POI name) but has no ``mu`` modifier: build its model
with ``Workspace(spec).model(poi_name=None)``. The ``mu`` bounds ``[0, mu_max]`` are declared in
its measurement config (accepted by pyhf without a ``mu`` modifier) because a patch usable
both by ``pyhf.patchset.PatchSet`` (which patches the whole workspace) and by ``pyhf cls -p``
(which patches only ``{"channels", "parameters"}``) may touch nothing but ``/channels``.
:func:`signal_patch` adds the signal sample to every channel, so
``pyhf cls bkgonly.json -p patch.json`` works.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import jsonpatch
import numpy as np
import pyhf
from scipy import linalg

from .cls import cls_limit
from .gaussian import LinearGaussianProblem

__all__ = [
    "WorkspaceEncoding",
    "encode",
    "finite_float",
    "sanitise_name",
    "build_background_only",
    "signal_patch_ops",
    "signal_patch",
    "build_workspace",
    "pyhf_parameters",
    "DEFAULT_COUNT_SCALE",
    "DEFAULT_POISSON_FRACTION",
    "SIGNAL_SAMPLE",
    "SM_SAMPLE",
    "POI_NAME",
]

DEFAULT_COUNT_SCALE = 3.0e4
DEFAULT_POISSON_FRACTION = 0.05
SIGNAL_SAMPLE = "kinetic_mixing"
SM_SAMPLE = "SM"
POI_NAME = "mu"
DEFAULT_MEASUREMENT = "kinmix_residuals"
_NAME_RE = re.compile(r"[^A-Za-z0-9_]")


def sanitise_name(name: str) -> str:
    """Replace every character outside ``[A-Za-z0-9_]`` by ``_`` (empty -> ``"x"``)."""
    out = _NAME_RE.sub("_", name)
    return out or "x"


def _unique_sanitised(names: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        base = sanitise_name(n)
        cand = base
        while cand in seen:
            seen[base] += 1
            cand = f"{base}_{seen[base]}"
        seen.setdefault(cand, 1)
        out.append(cand)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class WorkspaceEncoding:
    """How a problem maps onto HistFactory (see the module docstring).

    Attributes:
        channel_names: sanitised, unique channel name per measurement.
        count_scale: ``K``, the observed count in every channel.
        poisson_fraction: ``f``; ``D_i = f * lambda_min(R_block) * C_ii``.
        scales: ``(n,)`` counts per unit residual, ``a_i = sqrt(K / D_i)``.
        poisson_var: ``(n,)`` the diagonal ``D``.
        corr_factor: ``(n, n_alpha)`` block-diagonal ``L`` with ``C = diag(D) + L L^T``.
        corr_names: ``n_alpha`` pyhf names of the decomposition nuisances.
        nuisance_param_names: pyhf parameter name of each problem nuisance (sanitised).
        free_units: per nuisance, ``u_k`` (pyhf value = theta_k / u_k) for free ones, ``sigma_k``
            for constrained ones (pyhf value = theta_k / sigma_k).
        corr_bound, free_bound: symmetric parameter bounds used in the measurement config.
        mu_max: upper bound of the POI ``mu`` (lower bound 0), declared in the background-only
            measurement and therefore shared by every hypothesis patched onto it.
        mirrored: two mirrored bins per channel (default) or one bin.
    """

    channel_names: tuple[str, ...]
    count_scale: float
    poisson_fraction: float
    scales: np.ndarray
    poisson_var: np.ndarray
    corr_factor: np.ndarray
    corr_names: tuple[str, ...]
    nuisance_param_names: tuple[str, ...]
    free_units: tuple[float, ...]
    corr_bound: float
    free_bound: float
    mu_max: float
    mirrored: bool = True

    @property
    def signs(self) -> list[float]:
        """Sign of the residual-to-count map in each bin: ``[+1, -1]`` if mirrored, else ``[+1]``."""
        return [1.0, -1.0] if self.mirrored else [1.0]


def encode(
    problem: LinearGaussianProblem,
    *,
    count_scale: float = DEFAULT_COUNT_SCALE,
    poisson_fraction: float = DEFAULT_POISSON_FRACTION,
    corr_bound: float = 30.0,
    free_bound: float = 100.0,
    mu_max: float | None = None,
    mirrored: bool = True,
) -> WorkspaceEncoding:
    """Compute the covariance split and count scales for ``problem`` (deterministic).

    ``mu_max`` defaults to 3x the larger of the closed-form observed and +2 sigma expected
    limits of ``problem.signal``. For a scan, pass one value that covers every hypothesis
    (with ``eps_ref`` near the limit, ``mu`` limits are O(1) and ``mu_max = 10`` is typical).
    """
    if not (isinstance(count_scale, (int, float)) and math.isfinite(count_scale) and 1.0 <= count_scale <= 1e12):
        raise ValueError(f"count_scale must lie in [1, 1e12], got {count_scale!r}")
    if not (isinstance(poisson_fraction, (int, float)) and 0.0 < poisson_fraction <= 1.0):
        raise ValueError(f"poisson_fraction must lie in (0, 1], got {poisson_fraction!r}")
    for nm, v in (("corr_bound", corr_bound), ("free_bound", free_bound)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{nm} must be finite and > 0, got {v!r}")
    n = problem.n
    cov = problem.covariance
    d = np.empty(n)
    lfac_cols: list[np.ndarray] = []
    corr_names: list[str] = []
    for bi, block in enumerate(problem.blocks()):
        idx = np.array(block)
        cb = cov[np.ix_(idx, idx)]
        sd = np.sqrt(np.diag(cb))
        lam = float(np.linalg.eigvalsh(cb / np.outer(sd, sd))[0])
        db = poisson_fraction * lam * sd**2
        d[idx] = db
        if poisson_fraction < 1.0:
            lb = linalg.cholesky(cb - np.diag(db), lower=True)
            for j in range(len(idx)):
                col = np.zeros(n)
                col[idx] = lb[:, j]
                lfac_cols.append(col)
                corr_names.append(f"corr_g{bi}_{j}")
        elif len(idx) > 1:  # f = 1 only allowed without correlations (lambda_min = 1 then)
            raise ValueError("poisson_fraction = 1 requires uncorrelated measurements; use f < 1")
    lfac = np.array(lfac_cols).T if lfac_cols else np.zeros((n, 0))
    if mu_max is None:
        mu_max = _default_mu_max(problem)
    if isinstance(mu_max, bool) or not isinstance(mu_max, (int, float)) or not (math.isfinite(mu_max) and mu_max > 0):
        raise ValueError(f"mu_max must be finite and > 0, got {mu_max!r}")
    scales = np.sqrt(count_scale / ((2.0 if mirrored else 1.0) * d))

    # Unit of each free nuisance: its Gaussian uncertainty profiled over the others (mu fixed).
    units = problem.nuisance_units()
    par_names = _unique_sanitised(problem.nuisance_names)
    clash = set(par_names) & ({POI_NAME} | set(corr_names))
    if clash:
        raise ValueError(f"nuisance_names {sorted(clash)} clash with reserved pyhf parameter names")
    return WorkspaceEncoding(
        channel_names=_unique_sanitised(problem.names),
        count_scale=float(count_scale),
        poisson_fraction=float(poisson_fraction),
        scales=scales,
        poisson_var=d,
        corr_factor=lfac,
        corr_names=tuple(corr_names),
        nuisance_param_names=par_names,
        free_units=tuple(units),
        corr_bound=float(corr_bound),
        free_bound=float(free_bound),
        mu_max=float(mu_max),
        mirrored=bool(mirrored),
    )


def finite_float(x: float) -> float:
    """``x`` as a Python float for the workspace JSON; ``ValueError`` if it is not finite (JSON has no NaN/inf)."""
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"non-finite value {v!r} while building the workspace")
    return v


def build_background_only(
    problem: LinearGaussianProblem,
    *,
    encoding: WorkspaceEncoding | None = None,
    measurement_name: str = DEFAULT_MEASUREMENT,
) -> dict[str, Any]:
    """Background-only workspace spec (pyhf schema 1.0.0), shared by every signal hypothesis.

    Contains the data, the ``SM`` sample with the correlation and constrained-nuisance
    ``histosys`` modifiers and one ``nuis_<name>`` sample per free nuisance. The measurement names
    ``poi: "mu"`` and its bounds but has no ``mu`` modifier: build its model with ``poi_name=None``.
    """
    enc = encoding if encoding is not None else encode(problem)
    _check_encoding(problem, enc)
    _check_positive_counts(problem, enc, 0.0)
    k_count = enc.count_scale
    channels = []
    observations = []
    sg = np.array(enc.signs)
    for i, ch in enumerate(enc.channel_names):
        a = enc.scales[i]
        nom = [finite_float(k_count - sgn * a * problem.observed[i]) for sgn in sg]
        mods: list[dict[str, Any]] = []
        for j, cname in enumerate(enc.corr_names):
            lij = enc.corr_factor[i, j]
            if lij != 0.0:
                mods.append(_histosys(cname, nom, sg * finite_float(a * lij)))
        free_samples = []
        for kk, (pname, sig) in enumerate(zip(enc.nuisance_param_names, problem.nuisance_sigmas, strict=True)):
            tki = problem.nuisance_templates[kk, i]
            if tki == 0.0:
                continue
            delta = sg * finite_float(a * enc.free_units[kk] * tki)
            if sig is not None:
                mods.append(_histosys(pname, nom, delta))
            else:
                free_samples.append({"name": f"nuis_{pname}", "data": [float(x) for x in delta],
                                     "modifiers": [{"name": pname, "type": "normfactor", "data": None}]})
        channels.append({"name": ch, "samples": [{"name": SM_SAMPLE, "data": nom, "modifiers": mods}] + free_samples})
        observations.append({"name": ch, "data": [k_count] * len(sg)})

    parameters: list[dict[str, Any]] = [
        {"name": c, "bounds": [[-enc.corr_bound, enc.corr_bound]]} for c in enc.corr_names
    ]
    for kk, (pname, sig) in enumerate(zip(enc.nuisance_param_names, problem.nuisance_sigmas, strict=True)):
        if not np.any(problem.nuisance_templates[kk] != 0.0):
            continue
        if sig is None:
            parameters.append({"name": pname, "bounds": [[-enc.free_bound, enc.free_bound]], "inits": [0.0]})
        else:
            parameters.append({"name": pname, "bounds": [[-enc.corr_bound, enc.corr_bound]]})
    # The POI is declared here, not in the patches: `pyhf cls WS -p PATCH` applies a patch to
    # {"channels", "parameters"} while PatchSet.apply patches the whole workspace, so only
    # /channels paths are valid for both.
    parameters.append({"name": POI_NAME, "bounds": [[0.0, enc.mu_max]], "inits": [enc.mu_max / 10.0]})
    return {
        "channels": channels,
        "observations": observations,
        "measurements": [{"name": measurement_name, "config": {"poi": POI_NAME, "parameters": parameters}}],
        "version": "1.0.0",
    }


def _histosys(name: str, nom: list[float], delta: np.ndarray) -> dict[str, Any]:
    return {
        "name": name,
        "type": "histosys",
        "data": {"hi_data": [n + float(d) for n, d in zip(nom, delta, strict=True)],
                 "lo_data": [n - float(d) for n, d in zip(nom, delta, strict=True)]},
    }


def _check_encoding(problem: LinearGaussianProblem, enc: WorkspaceEncoding) -> None:
    if len(enc.channel_names) != problem.n or enc.scales.shape != (problem.n,):
        raise ValueError(
            f"encoding has {len(enc.channel_names)} channels but the problem has {problem.n} measurements"
        )


def _default_mu_max(problem: LinearGaussianProblem) -> float:
    res = cls_limit(problem)
    if res.status != "ok":
        raise ValueError(f"cannot choose mu_max: {res.status}; pass mu_max explicitly")
    return float(3.0 * max(res.expected_mu[4], res.observed_mu))


def _check_positive_counts(problem: LinearGaussianProblem, enc: WorkspaceEncoding, mu_max: float) -> None:
    for mu in (0.0, mu_max):
        shift = np.abs(enc.scales * (problem.observed - mu * problem.signal))  # |nu - K| at nuisances = 0
        worst = int(np.argmax(shift))
        if shift[worst] >= 0.9 * enc.count_scale:
            raise ValueError(
                f"count_scale={enc.count_scale:g} too small for measurement {problem.names[worst]!r} at "
                f"mu={mu:g}: expected count would move by {shift[worst]:.3g} (accepted: < 0.9 * count_scale); "
                "increase count_scale or poisson_fraction, or lower mu_max"
            )


def signal_patch_ops(
    problem: LinearGaussianProblem,
    *,
    encoding: WorkspaceEncoding | None = None,
) -> list[dict[str, Any]]:
    """JSON-Patch operations adding the ``kinetic_mixing`` sample (normfactor POI ``mu``) to every channel.

    Only ``/channels/...`` paths are used, so the same operations work with
    ``pyhf.patchset.PatchSet`` (patches the workspace) and ``pyhf cls -p`` (patches the model spec).
    The POI bounds ``[0, encoding.mu_max]`` live in the background-only measurement.

    Raises:
        ValueError: if the hypothesis' closed-form observed or +2 sigma expected limit exceeds
            ``encoding.mu_max`` (pyhf could not bracket the limit; choose ``eps_ref`` nearer the
            limit or a larger ``mu_max``), or if some expected count would drop below 10 % of
            ``count_scale`` at ``mu = mu_max`` with the nuisances at 0.
    """
    enc = encoding if encoding is not None else encode(problem)
    _check_encoding(problem, enc)
    res = cls_limit(problem)
    worst = max(res.observed_mu, res.expected_mu[4])
    if not worst < enc.mu_max:
        raise ValueError(
            f"hypothesis limit mu = {worst:.4g} ({res.status}) is not below the POI bound "
            f"mu_max = {enc.mu_max:.4g} (accepted: limit < mu_max); rescale the signal or rebuild with a larger mu_max"
        )
    _check_positive_counts(problem, enc, enc.mu_max)
    return [
        {
            "op": "add",
            "path": f"/channels/{i}/samples/-",
            "value": {
                "name": SIGNAL_SAMPLE,
                "data": [finite_float(sgn * enc.scales[i] * problem.signal[i]) for sgn in enc.signs],
                "modifiers": [{"name": POI_NAME, "type": "normfactor", "data": None}],
            },
        }
        for i in range(problem.n)
    ]


def signal_patch(
    problem: LinearGaussianProblem,
    label: str,
    values: dict[str, float | str] | list[float | str],
    *,
    encoding: WorkspaceEncoding | None = None,
) -> dict[str, Any]:
    """One patchset entry ``{"metadata": {"name": label, "values": [...]}, "patch": ops}``.

    ``label`` must match ``^[a-zA-Z0-9_]+$``; ``values`` are the hypothesis coordinates (e.g.
    ``{"mass_GeV": 50.0, "width": "wide"}``; a dict keeps its order, the keys become the
    patchset ``labels``).
    """
    if not isinstance(label, str) or not re.fullmatch(r"[a-zA-Z0-9_]+", label):
        raise ValueError(f"label must match ^[a-zA-Z0-9_]+$, got {label!r}")
    vals = list(values.values()) if isinstance(values, dict) else list(values)
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float, str, np.floating, np.integer)):
            raise ValueError(f"patch values must be numbers or strings, got {v!r}")
        if not isinstance(v, str) and not math.isfinite(float(v)):
            raise ValueError(f"patch values must be finite, got {v!r}")
    vals = [v if isinstance(v, str) else float(v) for v in vals]
    return {
        "metadata": {"name": label, "values": vals},
        "patch": signal_patch_ops(problem, encoding=encoding),
    }


def build_workspace(
    problem: LinearGaussianProblem,
    *,
    encoding: WorkspaceEncoding | None = None,
    measurement_name: str = DEFAULT_MEASUREMENT,
) -> pyhf.Workspace:
    """Full workspace (background-only + signal patch), validated against pyhf's schema 1.0.0."""
    enc = encoding if encoding is not None else encode(problem)
    bkg = build_background_only(problem, encoding=enc, measurement_name=measurement_name)
    spec = jsonpatch.apply_patch(bkg, signal_patch_ops(problem, encoding=enc))
    return pyhf.Workspace(spec)


def pyhf_parameters(
    model: pyhf.pdf.Model,
    problem: LinearGaussianProblem,
    encoding: WorkspaceEncoding,
    mu: float | None,
    thetas: object,
    alphas: object | None = None,
) -> np.ndarray:
    """pyhf parameter vector for physical values ``(mu, thetas)``.

    ``alphas`` are the decomposition nuisances; by default their exact conditional best fit
    :math:`\\hat\\alpha = L^T C^{-1} r(\\mu, \\theta)`. ``mu`` may be ``None`` for a
    background-only model (then it is treated as 0 in ``r``).
    """
    th = np.asarray(thetas, dtype=float).reshape(problem.k)
    mu_v = 0.0 if mu is None else float(mu)
    if alphas is None:
        r = problem.observed - mu_v * problem.signal - problem.nuisance_templates.T @ th
        w = linalg.cho_solve((problem.solver.chol, True), r)
        al = encoding.corr_factor.T @ w
    else:
        al = np.asarray(alphas, dtype=float).reshape(len(encoding.corr_names))
    pars = np.array(model.config.suggested_init(), dtype=float)
    values: dict[str, float] = dict(zip(encoding.corr_names, al, strict=True))
    for kk, pname in enumerate(encoding.nuisance_param_names):
        values[pname] = th[kk] / encoding.free_units[kk]
    if mu is not None:
        values[POI_NAME] = mu_v
    for name in model.config.par_order:
        if name not in values:
            raise ValueError(f"model parameter {name!r} is not part of the encoding")
        pars[model.config.par_slice(name)] = values[name]
    return pars
