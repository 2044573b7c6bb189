r"""Whitened HistFactory encoding of a :class:`~kinmix_stats.likelihood.gaussian.LinearGaussianProblem`.

This is the default export: pyhf fits it with three parameters (``mu``, ``alpha_em``,
``sin2_theta_w``) instead of one nuisance per correlated measurement.

**Rotation.** The measurements are grouped into channels (the catalogue datasets; the covariance
must vanish between channels). For channel :math:`c` with covariance :math:`C_c = G_c G_c^T`
(:math:`G_c` the lower Cholesky factor) every residual vector is rotated to
:math:`\tilde v = G_c^{-1} v`, the observed residuals, the signal and the SM-parameter templates
alike, so that

.. math::  r^T C^{-1} r = \sum_c \lVert G_c^{-1} r_c \rVert^2 = \sum_j \tilde r_j^2,
   \qquad r = \delta_\mathrm{exp} - \mu s - T^T\theta,

exactly: the whitened components are independent unit Gaussians and no correlation nuisance is
needed. :math:`G_c` is lower triangular, so whitened component :math:`j` of a channel combines
measurements :math:`1..j` of it (the first is the first measurement divided by its error).
The per-measurement view is rebuilt with :math:`v = G_c \tilde v`; the factors are written next to
the workspace (:func:`rotation_document`, file ``whitening.json``).

**Counts.** Component :math:`j` becomes two mirrored bins observing ``K = count_scale`` events
with expected counts :math:`\nu_\pm = K \mp a\,\tilde r_j`, :math:`a = \sqrt{K/2}`. Every term is
linear in the parameters, as HistFactory needs:

* ``SM``: nominal :math:`K \mp a\,\tilde\delta_{\mathrm{exp},j}`; for every constrained nuisance a
  ``histosys`` with variations :math:`\pm(\pm a\,\sigma_k \tilde T_{kj})` (pyhf parameter
  :math:`\theta_k/\sigma_k`, unit Gaussian; symmetric variations are exactly linear in pyhf's code0
  and code4p interpolations);
* ``nuis_<name>``: per free nuisance, yields :math:`\pm a\,u_k \tilde T_{kj}` with a ``normfactor``
  (pyhf parameter :math:`\theta_k/u_k`, init 0), :math:`u_k` its profiled Gaussian uncertainty;
* ``kinetic_mixing`` (one patch operation per channel): yields :math:`\pm a\,\tilde s_j` with the
  ``normfactor`` POI ``mu``.

The Poisson deviance of a mirrored pair is exactly
:math:`-2K\ln(1 - \tilde r_j^2/2K) = \tilde r_j^2 + \tilde r_j^4/(4K) + \dots` (the odd terms
cancel), so the encoded :math:`-2\ln L` differs from the exact Gaussian one by
:math:`\sum_j \tilde r_j^4/(4K)`. :func:`encoded_chi2` evaluates it in closed form (what pyhf's
``logpdf`` computes, checked against pyhf in the tests) and :func:`max_nll_deviation` measures the
largest deviation over a grid of ``mu`` and nuisances for every exported hypothesis.

``K`` is not made arbitrarily large because pyhf evaluates :math:`n\ln\nu - \nu` directly: its
rounding (about :math:`K\ln K \times 10^{-16}` per bin) enters the finite-difference gradients
of the optimisers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonpatch
import numpy as np
import pyhf
from scipy import linalg

from .gaussian import LinearGaussianProblem
from .workspace import finite_float, sanitise_name

__all__ = [
    "ENCODING_NAME",
    "DEFAULT_COUNT_SCALE",
    "DEFAULT_NUISANCE_BOUND",
    "WhitenedEncoding",
    "encode_whitened",
    "dataset_channels",
    "background_only",
    "signal_ops",
    "whitened_workspace",
    "hypothesis_workspace",
    "pyhf_parameters",
    "encoded_chi2",
    "exact_chi2",
    "max_nll_deviation",
    "rotation_document",
    "rotation_text",
    "rotation_digest",
    "choose_mu_max",
    "check_hypotheses",
]

ENCODING_NAME = "whitened_mirrored_poisson"
#: observed count ``K`` in every bin (see the module docstring for the trade-off)
DEFAULT_COUNT_SCALE = 3.0e4
#: bounds of the nuisance parameters, in units of sigma_k (constrained) or u_k (free)
DEFAULT_NUISANCE_BOUND = 10.0
SIGNAL_SAMPLE = "kinetic_mixing"
SM_SAMPLE = "SM"
POI_NAME = "mu"
MEASUREMENT_NAME = "kinmix_residuals"
#: grid on which :func:`max_nll_deviation` measures the encoding (in units of the nuisance scales)
DEVIATION_GRID: dict[str, Any] = {"mu_points": 9, "nuisance_offsets": (-3.0, 0.0, 3.0)}
@dataclass(frozen=True, eq=False)
class WhitenedEncoding:
    """How a problem maps onto whitened HistFactory channels (see the module docstring).

    Attributes:
        channel_names: pyhf channel names (sanitised, unique).
        channel_members: per channel, the problem's measurement indices in bin order.
        cholesky: per channel, the lower Cholesky factor ``G_c`` of its covariance.
        count_scale: ``K``, the observed count of every bin.
        nuisance_param_names: pyhf parameter name of each problem nuisance (sanitised).
        units: per nuisance, the value of one pyhf unit: ``sigma_k`` (constrained) or ``u_k``, the
            profiled Gaussian uncertainty (free).
        constrained: per nuisance, whether it has a Gaussian constraint.
        nuisance_bound: symmetric bound of every nuisance parameter, in pyhf units.
        mu_max: upper bound of the POI (lower bound 0), declared in the background-only measurement.
    """

    channel_names: tuple[str, ...]
    channel_members: tuple[tuple[int, ...], ...]
    cholesky: tuple[np.ndarray, ...]
    count_scale: float
    nuisance_param_names: tuple[str, ...]
    units: tuple[float, ...]
    constrained: tuple[bool, ...]
    nuisance_bound: float
    mu_max: float

    @property
    def name(self) -> str:
        return ENCODING_NAME

    @property
    def scale(self) -> float:
        """Counts per unit whitened residual, ``a = sqrt(K/2)``."""
        return math.sqrt(self.count_scale / 2.0)

    @property
    def order(self) -> np.ndarray:
        """Measurement index of every whitened component, channel after channel."""
        return np.array([i for members in self.channel_members for i in members], dtype=int)

    def whiten(self, v: object) -> np.ndarray:
        """Rotate residual vectors ``(..., n)`` (problem order) to whitened components ``(..., n)`` (channel order)."""
        return self._per_channel(v, whiten=True)

    def unwhiten(self, w: object) -> np.ndarray:
        """Inverse of :meth:`whiten`: whitened components (channel order) back to residuals (problem order)."""
        return self._per_channel(w, whiten=False)

    def _per_channel(self, v: object, *, whiten: bool) -> np.ndarray:
        """Apply each channel's Cholesky factor G along the last axis: G^-1 (whiten) or G (unwhiten)."""
        arr = np.asarray(v, dtype=float)
        flat = arr.reshape(-1, arr.shape[-1])
        out = np.empty_like(flat)
        for members, g, block in zip(self.channel_members, self.cholesky, _channel_slices(self), strict=True):
            rows = list(members)  # this channel's measurements in problem order; ``block`` its whitened components
            if whiten:
                out[:, block] = linalg.solve_triangular(g, flat[:, rows].T, lower=True).T
            else:
                out[:, rows] = (g @ flat[:, block].T).T
        return out.reshape(arr.shape)

    def templates(self, problem: LinearGaussianProblem) -> np.ndarray:
        """Whitened nuisance responses per pyhf unit, shape ``(K_nuis, n)``."""
        return self.whiten(problem.nuisance_templates) * np.asarray(self.units)[:, None]


def dataset_channels(names: Sequence[str]) -> list[tuple[str, list[int]]]:
    """One channel per dataset: measurement ids ``"<dataset>/<id>"`` grouped by ``<dataset>``.

    Names without a ``/`` all go into one channel ``measurements``.
    """
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        key = name.split("/", 1)[0] if "/" in name else "measurements"
        groups.setdefault(key, []).append(i)
    return list(groups.items())


def encode_whitened(
    problem: LinearGaussianProblem,
    *,
    channels: Sequence[tuple[str, Sequence[int]]] | None = None,
    count_scale: float = DEFAULT_COUNT_SCALE,
    nuisance_bound: float = DEFAULT_NUISANCE_BOUND,
    mu_max: float = 4.0,
) -> WhitenedEncoding:
    """The whitened encoding of ``problem`` (deterministic).

    Args:
        channels: ``(name, measurement indices)`` per channel, covering every measurement once; the
            covariance must vanish between channels. Default: :func:`dataset_channels`.
        count_scale: ``K`` in [1e2, 1e9].
        nuisance_bound: bound of the nuisance parameters in their pyhf units, in (0, 1e3].
        mu_max: POI upper bound (> 0).

    Raises:
        ValueError: naming the argument and the accepted range, or the pair of measurements that
            links two channels.
    """
    for nm, v, lo, hi in (("count_scale", count_scale, 1e2, 1e9), ("nuisance_bound", nuisance_bound, 0.0, 1e3),
                          ("mu_max", mu_max, 0.0, 1e6)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and lo < v <= hi):
            raise ValueError(f"{nm} must lie in ({lo:g}, {hi:g}], got {v!r}")
    chans = dataset_channels(problem.names) if channels is None else [(str(c), [int(i) for i in m]) for c, m in channels]
    flat = sorted(i for _, m in chans for i in m)
    if flat != list(range(problem.n)) or any(not m for _, m in chans):
        raise ValueError(f"channels must be non-empty index lists covering 0..{problem.n - 1} exactly once")
    label = np.empty(problem.n, dtype=int)
    for ci, (_, members) in enumerate(chans):
        label[members] = ci
    cross = (label[:, None] != label[None, :]) & (problem.covariance != 0.0)
    if np.any(cross):
        i, j = (int(x) for x in np.argwhere(cross)[0])
        raise ValueError(
            f"channels: measurements {problem.names[i]!r} and {problem.names[j]!r} are correlated but in different "
            "channels; correlated measurements must share a channel"
        )
    names: list[str] = []
    for c, _ in chans:
        cand = base = sanitise_name(c)
        k = 1
        while cand in names:
            k += 1
            cand = f"{base}_{k}"
        names.append(cand)
    par_names = tuple(sanitise_name(n) for n in problem.nuisance_names)
    reserved = {POI_NAME}
    if len(set(par_names)) != len(par_names) or reserved & set(par_names):
        raise ValueError(f"nuisance names {problem.nuisance_names} must stay unique after sanitising and differ from 'mu'")
    cov = problem.covariance
    chol = tuple(linalg.cholesky(cov[np.ix_(m, m)], lower=True) for _, m in chans)
    return WhitenedEncoding(
        channel_names=tuple(names),
        channel_members=tuple(tuple(m) for _, m in chans),
        cholesky=chol,
        count_scale=float(count_scale),
        nuisance_param_names=par_names,
        units=tuple(problem.nuisance_units()),
        constrained=tuple(s is not None for s in problem.nuisance_sigmas),
        nuisance_bound=float(nuisance_bound),
        mu_max=float(mu_max),
    )


def _mirror(values: np.ndarray) -> list[float]:
    return [finite_float(x) for x in values] + [finite_float(-x) for x in values]


def _channel_slices(enc: WhitenedEncoding) -> list[slice]:
    """The whitened components of each channel (channels are contiguous in the whitened order)."""
    out, start = [], 0
    for members in enc.channel_members:
        out.append(slice(start, start + len(members)))
        start += len(members)
    return out


def background_only(problem: LinearGaussianProblem, enc: WhitenedEncoding) -> dict[str, Any]:
    """Background-only workspace (pyhf schema 1.0.0): data, ``SM`` with the nuisance modifiers, free-nuisance samples.

    The measurement declares ``poi: "mu"`` and its bounds without a ``mu`` modifier (build a model
    with ``poi_name=None``, or apply a patch first); patches touch only ``/channels``, so they work
    with both ``pyhf.PatchSet`` and ``pyhf cls -p``.
    """
    _check(problem, enc)
    k_count, a = enc.count_scale, enc.scale
    y = enc.whiten(problem.observed)
    t = enc.templates(problem)
    channels, observations = [], []
    for cname, sl in zip(enc.channel_names, _channel_slices(enc), strict=True):
        nom = [k_count + v for v in _mirror(-a * y[sl])]
        mods: list[dict[str, Any]] = []
        free: list[dict[str, Any]] = []
        for kk, pname in enumerate(enc.nuisance_param_names):
            delta = _mirror(a * t[kk, sl])
            if not any(delta):
                continue
            if enc.constrained[kk]:
                mods.append({"name": pname, "type": "histosys",
                             "data": {"hi_data": [n + d for n, d in zip(nom, delta, strict=True)],
                                      "lo_data": [n - d for n, d in zip(nom, delta, strict=True)]}})
            else:
                free.append({"name": f"nuis_{pname}", "data": delta,
                             "modifiers": [{"name": pname, "type": "normfactor", "data": None}]})
        channels.append({"name": cname, "samples": [{"name": SM_SAMPLE, "data": nom, "modifiers": mods}] + free})
        observations.append({"name": cname, "data": [k_count] * len(nom)})
    b = enc.nuisance_bound
    parameters: list[dict[str, Any]] = []
    for kk, pname in enumerate(enc.nuisance_param_names):
        entry: dict[str, Any] = {"name": pname, "bounds": [[-b, b]]}
        if not enc.constrained[kk]:
            entry["inits"] = [0.0]
        parameters.append(entry)
    parameters.append({"name": POI_NAME, "bounds": [[0.0, enc.mu_max]], "inits": [1.0]})
    return {
        "channels": channels,
        "observations": observations,
        "measurements": [{"name": MEASUREMENT_NAME, "config": {"poi": POI_NAME, "parameters": parameters}}],
        "version": "1.0.0",
    }


def signal_ops(enc: WhitenedEncoding, signal_white: np.ndarray) -> list[dict[str, Any]]:
    """JSON-Patch operations adding ``kinetic_mixing`` (POI ``mu``) to every channel: one operation per channel.

    ``signal_white`` is the whitened signal (:meth:`WhitenedEncoding.whiten` of ``problem.signal``).
    """
    a = enc.scale
    return [
        {"op": "add", "path": f"/channels/{ci}/samples/-",
         "value": {"name": SIGNAL_SAMPLE, "data": _mirror(a * signal_white[sl]),
                   "modifiers": [{"name": POI_NAME, "type": "normfactor", "data": None}]}}
        for ci, sl in enumerate(_channel_slices(enc))
    ]


def whitened_workspace(problem: LinearGaussianProblem, enc: WhitenedEncoding | None = None) -> pyhf.Workspace:
    """Full workspace (background-only + the signal of ``problem``), validated by pyhf."""
    enc = encode_whitened(problem) if enc is None else enc
    spec = jsonpatch.apply_patch(background_only(problem, enc), signal_ops(enc, enc.whiten(problem.signal)))
    return pyhf.Workspace(spec)


def hypothesis_workspace(
    problem: LinearGaussianProblem, signal: object
) -> tuple[pyhf.Workspace, WhitenedEncoding, str | None]:
    """The workspace an export of this single hypothesis contains (background-only + its patch).

    Returns ``(workspace, encoding, reason)``: ``reason`` is ``None`` or why the export would skip the
    hypothesis (:func:`check_hypotheses`); the POI bound is :func:`choose_mu_max` of this signal.
    """
    sig = np.asarray(signal, dtype=float)
    enc = encode_whitened(problem, mu_max=choose_mu_max(problem, sig))
    reason = check_hypotheses(problem, enc, sig)[0]
    spec = jsonpatch.apply_patch(background_only(problem, enc), signal_ops(enc, enc.whiten(sig)))
    return pyhf.Workspace(spec), enc, reason


def pyhf_parameters(model: Any, enc: WhitenedEncoding, mu: float | None, thetas: object) -> np.ndarray:
    """pyhf parameter vector for physical values ``(mu, thetas)`` (``thetas`` in the problem's units)."""
    th = np.asarray(thetas, dtype=float).reshape(len(enc.units))
    values = {p: th[k] / enc.units[k] for k, p in enumerate(enc.nuisance_param_names)}
    if mu is not None:
        values[POI_NAME] = float(mu)
    pars = np.array(model.config.suggested_init(), dtype=float)
    for name in model.config.par_order:
        if name not in values:
            raise ValueError(f"model parameter {name!r} is not part of the encoding")
        pars[model.config.par_slice(name)] = values[name]
    return pars


def _residual_white(problem: LinearGaussianProblem, enc: WhitenedEncoding, signal_white, mu, pars) -> np.ndarray:
    """Whitened residuals for broadcastable ``mu`` (...,) and pyhf-unit nuisances ``pars`` (..., K)."""
    y = enc.whiten(problem.observed)
    t = enc.templates(problem)
    mu = np.asarray(mu, dtype=float)[..., None]
    return y - mu * np.asarray(signal_white) - np.asarray(pars) @ t


def _constraint(enc: WhitenedEncoding, pars: np.ndarray) -> np.ndarray:
    mask = np.asarray(enc.constrained, dtype=float)
    return np.sum(np.asarray(pars) ** 2 * mask, axis=-1)


def exact_chi2(problem: LinearGaussianProblem, enc: WhitenedEncoding, signal_white, mu, pars) -> np.ndarray:
    """Exact Gaussian :math:`-2\\ln L` (up to a constant) at ``mu`` and pyhf-unit nuisances ``pars``."""
    r = _residual_white(problem, enc, signal_white, mu, pars)
    return np.sum(r**2, axis=-1) + _constraint(enc, pars)


def encoded_chi2(problem: LinearGaussianProblem, enc: WhitenedEncoding, signal_white, mu, pars) -> np.ndarray:
    """:math:`-2\\ln L` of the encoded Poisson model (up to a constant): what pyhf's ``logpdf`` computes.

    Per mirrored pair :math:`-2K\\ln(1 - \\tilde r^2/2K)`; NaN where an expected count is <= 0.
    """
    r = _residual_white(problem, enc, signal_white, mu, pars)
    x = r**2 / (2.0 * enc.count_scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = np.where(x < 1.0, -2.0 * enc.count_scale * np.log1p(-np.minimum(x, 1.0)), np.nan)
    return np.sum(pair, axis=-1) + _constraint(enc, pars)


def max_nll_deviation(
    problem: LinearGaussianProblem, enc: WhitenedEncoding, signals: object, *, mu_top: object = None, chunk: int = 64
) -> np.ndarray:
    """Largest :math:`|\\Delta(-2\\ln L)|` between the encoding and the exact Gaussian, per signal ``(M,)``.

    Grid: ``mu`` in ``DEVIATION_GRID["mu_points"]`` points over ``[0, mu_top]`` (default ``mu_max``; or
    one value per signal, e.g. its largest ``mu95`` for the range the limit setting explores); at each ``mu`` the
    nuisances at their exact conditional best fit :math:`\\hat\\theta(\\mu)`, shifted by
    :math:`R^{-1} o` for every ``o`` in ``DEVIATION_GRID["nuisance_offsets"]`` to the power K, with
    :math:`R^T R` the nuisances' Fisher matrix: each shift raises the exact :math:`-2\\ln L` by
    :math:`|o|^2` (up to 9 per direction, 18 at the corners), i.e. it spans their joint 3 sigma range.
    :math:`\\Delta` is taken relative to its value at ``mu = 0`` with the nuisances at their best fit
    (the likelihoods agree up to one constant). NaN if an expected count is <= 0 on the grid.
    """
    from itertools import product

    sig = np.atleast_2d(np.asarray(signals, dtype=float))
    top = np.broadcast_to(np.asarray(enc.mu_max if mu_top is None else mu_top, dtype=float), (sig.shape[0],))
    frac = np.linspace(0.0, 1.0, DEVIATION_GRID["mu_points"])
    offs = np.array(list(product(DEVIATION_GRID["nuisance_offsets"], repeat=problem.k)), dtype=float).reshape(-1, problem.k)
    units = np.asarray(enc.units)
    sv = problem.solver
    # offsets o along the profile's own metric: theta = theta_hat + R^-1 o raises -2lnL by |o|^2 at fixed mu
    steps = linalg.solve_triangular(sv.r, offs.T, lower=False).T if problem.k else offs
    out = np.empty(sig.shape[0])
    for start in range(0, sig.shape[0], chunk):
        s = sig[start : start + chunk]
        m = s.shape[0]
        s_white = enc.whiten(s)  # (m, n)
        mus = top[start : start + m, None] * frac[None, :]  # (m, G)
        s_w = sv.augment(sv.whiten(s.T))  # (n_aug, m)
        resid = sv.y_white[:, None, None] - s_w[:, :, None] * mus[None, :, :]  # (n_aug, m, G)
        th = sv.theta_hat(resid.reshape(resid.shape[0], -1)).T.reshape(m, frac.size, problem.k)  # exact profile
        pars = (th[:, :, None, :] + steps[None, None, :, :]) / units  # (m, G, O, K) in pyhf units
        mu_b = np.broadcast_to(mus[:, :, None], pars.shape[:3])
        sw = s_white[:, None, None, :]
        d = encoded_chi2(problem, enc, sw, mu_b, pars) - exact_chi2(problem, enc, sw, mu_b, pars)
        ref = d[:, 0, offs.shape[0] // 2]  # mu = 0, nuisances at their best fit (offset 0 is the middle)
        out[start : start + chunk] = np.max(np.abs(d - ref[:, None, None]), axis=(1, 2))
    return out


def check_hypotheses(problem: LinearGaussianProblem, enc: WhitenedEncoding, signals: object) -> list[str | None]:
    """Per signal, ``None`` if it can be exported, else the reason (limit above ``mu_max``, count <= 0 in the box).

    The box is ``mu`` in ``[0, mu_max]`` and every nuisance within its bounds: the smallest expected count
    over it must stay above ``count_scale / 10`` (far from the region where pyhf's Poisson term is undefined).
    """
    from .cls import cls_limits_batch

    sig = np.atleast_2d(np.asarray(signals, dtype=float))
    res = cls_limits_batch(problem, sig)
    worst_mu = np.maximum(res.observed_mu, res.expected_mu[:, 4])
    a = enc.scale
    base = np.abs(enc.whiten(problem.observed)) + enc.nuisance_bound * np.sum(np.abs(enc.templates(problem)), axis=0)
    reach = a * (base[None, :] + enc.mu_max * np.abs(enc.whiten(sig)))  # (M, n): largest |nu - K|
    out: list[str | None] = []
    for m in range(sig.shape[0]):
        if not np.isfinite(worst_mu[m]) or not worst_mu[m] < enc.mu_max:
            out.append(f"limit mu = {worst_mu[m]:.4g} is not below the POI bound mu_max = {enc.mu_max:g}")
        elif reach[m].max() >= 0.9 * enc.count_scale:
            j = int(np.argmax(reach[m]))
            out.append(
                f"expected count of whitened component {j} could fall to {enc.count_scale - reach[m, j]:.3g} "
                f"(accepted: >= {0.1 * enc.count_scale:g}) within mu <= {enc.mu_max:g}, |nuisances| <= {enc.nuisance_bound:g}"
            )
        else:
            out.append(None)
    return out


def _check(problem: LinearGaussianProblem, enc: WhitenedEncoding) -> None:
    if sum(len(m) for m in enc.channel_members) != problem.n or len(enc.units) != problem.k:
        raise ValueError("the encoding was built for another problem (measurement or nuisance count differs)")


def rotation_document(problem: LinearGaussianProblem, enc: WhitenedEncoding) -> dict[str, Any]:
    """The sidecar ``whitening.json``: everything needed to rebuild the per-measurement view."""
    return {
        "encoding": ENCODING_NAME,
        "description": (
            "Whitened encoding of a correlated Gaussian likelihood of relative residuals delta = X/X_SM - 1 "
            "(arXiv:1006.0973 Eqs. 15-16). Channel c holds the measurements listed below; with C_c = G_c G_c^T "
            "(G_c = cholesky_lower) its bins 0..m-1 hold the whitened components z = G_c^-1 r and bins m..2m-1 "
            "their mirrors: expected counts K - a z_j and K + a z_j, observed K, a = sqrt(K/2)."
        ),
        "rebuild": (
            "per-measurement residuals of any sample: delta = G_c @ w with w_j = (data_j - K)/(-a) for the SM "
            "sample's first m bins (observed residuals), w_j = data_j/a for kinetic_mixing (signal at mu = 1) and "
            "data_j/(a * unit) for nuis_<name> / histosys (hi - nominal) per unit of the nuisance; "
            "covariance of the measurements = G_c @ G_c.T"
        ),
        "count_scale": enc.count_scale,
        "scale_per_unit_residual": enc.scale,
        "nuisances": [
            {"pyhf_parameter": p, "name": n, "unit": u, "constrained": c}
            for p, n, u, c in zip(enc.nuisance_param_names, problem.nuisance_names, enc.units, enc.constrained, strict=True)
        ],
        "channels": [
            {
                "name": cname,
                "measurements": [problem.names[i] for i in members],
                "cholesky_lower": [[float(x) for x in g[r, : r + 1]] for r in range(g.shape[0])],
            }
            for cname, members, g in zip(enc.channel_names, enc.channel_members, enc.cholesky, strict=True)
        ],
    }


def rotation_text(document: dict[str, Any]) -> str:
    """The sidecar's file content: canonical JSON (sorted keys, no spaces) and a newline."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def rotation_digest(text: str) -> str:
    """sha256 (hex) of the sidecar's file content, as recorded in the patchset metadata."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def choose_mu_max(problem: LinearGaussianProblem, signals: object, floor: float = 4.0) -> float:
    """POI upper bound shared by the hypotheses ``signals``: ``max(floor, 1.25 x`` their largest observed or
    +2 sigma expected closed-form ``mu95)``. With ``eps_ref`` at the observed limit, ``mu95 ~ 1`` and the
    +2 sigma expected ``mu ~ 2``, so the floor 4 usually applies; a strong downward fluctuation raises it.
    """
    from .cls import cls_limits_batch

    sig = np.atleast_2d(np.asarray(signals, dtype=float))
    if sig.size == 0:
        return float(floor)
    res = cls_limits_batch(problem, sig)
    vals = np.concatenate([res.observed_mu, res.expected_mu[:, 4]])
    vals = vals[np.isfinite(vals)]
    return float(max(floor, 1.25 * float(vals.max()))) if vals.size else float(floor)
