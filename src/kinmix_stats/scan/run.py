"""One exclusion scan: masses cut into chunks, limits per chunk (here or on Dask workers, :mod:`.parallel`),
finished chunks appended to a checkpoint store (:mod:`.checkpoint`), assembled into a
:class:`~kinmix_stats.results.LimitCurve`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..likelihood.closed_form import chi2_limits, cls_limits
from ..likelihood.limits import default_likelihood
from ..likelihood.methods import CLS_METHODS, check_methods, chi2_threshold, cls_method
from ..likelihood.precision import PrecisionLikelihood
from ..model.dark_sector import parse_width, width_label
from ..model.spec import ModelSpec
from ..results import STATUS_OK, LimitCurve, canonical_json
from .checkpoint import store_key
from .grid import default_mass_grid, default_model_mass_grid
from .metadata import REF_KEY, scan_metadata

__all__ = ["limit_status", "scan"]

def _chunks(n: int, size: int) -> Iterable[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))

_COLUMNS = ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2", "eps_ref")

_CLS_COLUMNS = ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2")

def _combined_status(status_cls: str, status_chi2: str, methods: Sequence[str]) -> str:
    if status_cls == "ok" and status_chi2 == "ok":
        return "ok"
    limit_method = cls_method(methods) or "cls"
    return "; ".join(f"{m}: {s}" for m, s in ((limit_method, status_cls), ("chi2", status_chi2)) if s != "ok" and m in methods) or "ok"

def _no_limit(name: str, value: float) -> str:
    return f"no limit ({name} = {value!r})"

def _scan_chunk(
    like: PrecisionLikelihood, masses: np.ndarray, width, methods: Sequence[str], start: int, cl: float = 0.95
) -> list[dict[str, Any]]:
    """Limits for one chunk of masses: one record per mass (index, mass, columns, statuses).

    Runs in this process or on a Dask worker. A limit that is not a finite positive number (e.g. the
    window edge eps = 0 exactly at m_Z0) becomes NaN, and the point's status says why: never a silent NaN.
    """
    from .parallel import blas_single_thread

    with blas_single_thread():  # same bits in this process and on any worker (see kinmix_stats.scan.parallel)
        return _scan_chunk_pinned(like, masses, width, methods, start, cl)

def _scan_chunk_pinned(
    like: PrecisionLikelihood, masses: np.ndarray, width, methods: Sequence[str], start: int, cl: float
) -> list[dict[str, Any]]:
    n = masses.size
    cols = {k: np.full(n, np.nan) for k in _COLUMNS}
    st_cls = ["ok"] * n
    st_chi2 = ["ok"] * n
    limit_method = cls_method(methods)
    if limit_method is not None:
        res = cls_limits(like, masses, width, cl=cl)
        if limit_method == "exact":  # warm-started at the fast limits; eps_ref stays the fast linearisation point
            from ..likelihood.exact import exact_limits

            res = exact_limits(like, masses, width, fast=res, errors=False, cl=cl)
        elif limit_method == "pyhf":  # pyhf's upper_limit on the exported workspace, linearised at the fast limits
            from ..likelihood.pyhf_engine import pyhf_limits

            res = pyhf_limits(like, masses, width, fast=res, cl=cl)
        cols["eps95_obs"] = np.array(res.epsilon_observed, dtype=float)
        band = np.asarray(res.expected_band, dtype=float)
        for j, c in enumerate(("eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2")):
            cols[c] = band[:, j].copy()
        cols["eps_ref"] = np.array(res.epsilon_ref[:, 0], dtype=float)
        st_cls = list(res.status)
    if "chi2" in methods:
        res = chi2_limits(like, masses, width, delta_chi2=chi2_threshold(cl))
        cols["eps95_chi2"] = np.array(res.epsilon_observed, dtype=float)
        st_chi2 = list(res.status)
    records = []
    for i in range(n):
        for method, names, st in ((limit_method, _CLS_COLUMNS, st_cls), ("chi2", ("eps95_chi2",), st_chi2)):
            if method not in methods:
                continue
            bad = [c for c in names if not (np.isfinite(cols[c][i]) and cols[c][i] > 0)]
            if bad:
                note = _no_limit(bad[0], float(cols[bad[0]][i]))
                st[i] = note if st[i] == "ok" else f"{st[i]} ({note})"
                for c in bad:
                    cols[c][i] = np.nan
        if not (np.isfinite(cols["eps_ref"][i]) and cols["eps_ref"][i] > 0):
            cols["eps_ref"][i] = np.nan
        rec: dict[str, Any] = {"index": start + i, "mass_gev": float(masses[i])}
        rec.update({c: float(cols[c][i]) for c in _COLUMNS})
        rec["status_cls"] = st_cls[i] if limit_method is not None else "not run"
        rec["status_chi2"] = st_chi2[i] if "chi2" in methods else "not run"
        rec["status"] = _combined_status(st_cls[i], st_chi2[i], methods)
        records.append(rec)
    return records

def scan(
    masses=None,
    width="narrow",
    method: str | Sequence[str] = ("cls", "chi2"),
    *,
    methods: Sequence[str] | None = None,
    likelihood: PrecisionLikelihood | None = None,
    progress: bool = False,
    chunk: int = 100,
    metadata: dict | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    connect_timeout: float = 10.0,
    model: ModelSpec | str | None = None,
    cl: float = 0.95,
) -> LimitCurve:
    """Upper limits on the coupling at every mass: eps of the dark photon (Hook et al., arXiv:1006.0973), or g_z of
    a Z' model; CLs with the asymptotic q~_mu (arXiv:1007.1727) and Hook et al.'s Delta chi^2 (Eqs. 17-19).

    Parameters
    ----------
    masses : physical Z' masses in GeV (default :func:`~.grid.default_mass_grid`, with ``model``
        :func:`~.grid.default_model_mass_grid`); sorted and made unique.
    width : "narrow", "wide", a dark width in GeV or a :class:`~kinmix_stats.model.DiracDarkMatter`.
    method : a name or a sequence of :data:`~kinmix_stats.likelihood.methods.METHODS` with at most one CLs engine
        ("cls" fast closed form, "exact" iminuit, "pyhf"); a method not run leaves its columns NaN. ``methods=``
        is the deprecated spelling.
    likelihood : default the dark photon's default likelihood, or ``model.likelihood()``.
    model : a :class:`~kinmix_stats.model.ModelSpec` or its name ("chi", "B-xL:3"): limits on its g_z.
    cl : confidence level in (0, 1): CLs = 1 - cl; the chi^2 threshold of :func:`~kinmix_stats.likelihood.methods.chi2_threshold`.
    progress : a progress bar counting masses.
    workers, scheduler, client, connect_timeout, chunk : where the chunks of ``chunk`` masses run (:mod:`.parallel`):
        here (default), a local Dask cluster of ``workers`` processes, a scheduler address or a ``distributed.Client``.
        The result does not depend on it.
    checkpoint, resume : a ``.jsonl`` store (:mod:`.checkpoint`) that every finished chunk is appended to; with
        ``resume`` the points of a compatible store are not recomputed (an incompatible one raises ``ValueError``).
    metadata : extra JSON-ready keys recorded in the curve's metadata.

    Returns
    -------
    :class:`~kinmix_stats.results.LimitCurve`; a point without a limit is NaN with a status saying why. The
    linearisation point of every CLs limit is kept in ``metadata["epsilon_ref_observed"]`` (``g_z_ref_observed``)
    for :func:`~kinmix_stats.io.workspaces.export_workspaces`.
    """
    from .._checks import check_grid_size, check_in_range, check_masses, check_type
    from ..likelihood.coupling import likelihood_coupling
    from .checkpoint import scan_id
    from .parallel import check_execution, connect, run_tasks

    cl = check_in_range("cl", cl, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    if likelihood is not None:
        check_type("likelihood", likelihood, PrecisionLikelihood, "a PrecisionLikelihood or None")
    if masses is not None:  # before any likelihood is built: a bad grid fails at once
        masses = np.unique(check_masses("masses", masses))
        check_grid_size(masses.size)
    if isinstance(model, str):
        model = ModelSpec(model)
    if model is not None and not isinstance(model, ModelSpec):
        raise ValueError(f"model must be a ModelSpec or a model name like 'chi' or 'B-xL:3', got {model!r}")
    if likelihood is None:
        like = default_likelihood() if model is None else model.likelihood()
    else:
        like = likelihood
    coupling = likelihood_coupling(like)
    if (coupling == "g_z") != (model is not None):
        raise ValueError(
            "a likelihood whose model factory takes g_z needs model=ModelSpec(...)" if model is None
            else f"model={model.name!r} needs a likelihood built with that model's factory (ModelSpec.likelihood()); "
                 "the given one is the dark photon's"
        )
    width = parse_width(width)
    if methods is not None:
        import warnings

        warnings.warn("scan(methods=...) is deprecated; use method=... (a name or a sequence of names), as in "
                      "upper_limit", DeprecationWarning, stacklevel=2)
        method = methods  # the old keyword keeps its old rule: a bare string is refused (check_methods)
    else:
        method = (method,) if isinstance(method, str) else method
    methods = check_methods(method)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be an integer >= 1 (masses per task), got {chunk!r}")
    chunk = int(chunk)
    workers, scheduler, connect_timeout = check_execution(workers, scheduler, connect_timeout)
    if client is not None and (workers > 1 or scheduler is not None):
        raise ValueError("give a Dask client, or workers/scheduler, not both")
    if masses is None:
        masses = default_mass_grid(likelihood=like) if model is None else default_model_mass_grid(likelihood=like)
    n = masses.size
    meta = scan_metadata(like, width, methods, metadata, model, cl)
    key = store_key(like, width, methods, masses, model, cl)
    meta["scan_id"] = scan_id(key)  # the identity of this scan, also on every checkpoint line
    canonical_json(meta, "metadata")  # a bad user metadata value fails now, not after the scan

    done: dict[int, dict[str, Any]] = {}
    if checkpoint is not None:
        from .checkpoint import CheckpointStore

        if resume and Path(checkpoint).exists():
            done, _ = CheckpointStore.check_resumable(checkpoint, key, masses)  # read-only: refuse before any work
    elif resume:
        raise ValueError("resume=True needs a checkpoint store path (checkpoint=...)")
    todo = [sl for sl in _chunks(n, chunk) if any(i not in done for i in range(sl.start, sl.stop))]
    tasks = [(sl.start, (masses[sl], width, methods, sl.start, cl)) for sl in todo]

    records: dict[int, dict[str, Any]] = {}
    store = None
    bar = None
    connection = None
    try:
        if client is None and tasks:
            connection = connect(workers, scheduler, connect_timeout)  # fails fast, before the store is touched
            client = None if connection is None else connection.client
        if checkpoint is not None:
            store = CheckpointStore(checkpoint, key, masses, resume=resume)
            records.update(store.done)
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, initial=len(records), desc=f"scan {width_label(width)} ({'+'.join(methods)})", unit="mass")
        for _, recs in run_tasks(_scan_chunk, like, tasks, client=client):
            if store is not None:
                store.append(recs)
            for r in recs:
                records[r["index"]] = r
            if bar is not None:
                bar.update(len(recs))
    finally:
        if bar is not None:
            bar.close()
        if connection is not None:
            connection.close()
        if store is not None:
            store.close()

    cols = {c: np.array([records[i][c] for i in range(n)], dtype=float) for c in _COLUMNS}
    status = tuple(records[i]["status"] for i in range(n))
    meta[REF_KEY[coupling]] = [float(x) if np.isfinite(x) else None for x in cols["eps_ref"]]
    return LimitCurve(
        width=width_label(width),
        model="dark_photon" if model is None else model.name,
        coupling=coupling,
        mass_gev=masses,
        eps95_obs=cols["eps95_obs"],
        eps95_exp=cols["eps95_exp"],
        eps95_exp_m2=cols["eps95_exp_m2"],
        eps95_exp_m1=cols["eps95_exp_m1"],
        eps95_exp_p1=cols["eps95_exp_p1"],
        eps95_exp_p2=cols["eps95_exp_p2"],
        eps95_chi2=cols["eps95_chi2"],
        status=status,
        metadata=meta,
    )

def limit_status(status: str) -> str:
    """The CLs part of a point's combined status: "ok", or the reason the CLs limit is not valid.

    A chi^2 failure does not invalidate the CLs likelihood of the point.
    """
    if status == STATUS_OK:
        return STATUS_OK
    for part in status.split("; "):
        head, _, rest = part.partition(": ")
        if head in CLS_METHODS:
            return rest or part
    return STATUS_OK if all(p.partition(": ")[0] == "chi2" for p in status.split("; ")) else status
