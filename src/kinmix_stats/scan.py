"""Exclusion scans over the physical Z' mass: CLs and chi^2 limits -> :class:`~kinmix_stats.results.LimitCurve`,
and export of the likelihoods as a background-only workspace plus a pyhf patchset.

The default mass grid is logarithmic between 1 GeV and 1 TeV, refined (``refine=True``) at every
centre-of-mass energy in the catalogue (at sqrt(s) and sqrt(s)(1 +- 2 r), r the assumed relative beam
spread) so the narrow-resonance peaks are resolved, and around m_Z0 (m_Z0 +- 0.3 ... 5 GeV).

Z' models (``model=ModelSpec(...)``): a named model of the PDG review or a Table 1 family point,
with optional fixed kinetic mixing, fixed Z-Z' mass mixing or Higgs-sector mass mixing (tan beta).
The scanned coupling is then the U(1)' gauge coupling g_z (POI mu = (g_z/g_ref)^2), the curve has
``coupling="g_z"`` and every output is labelled accordingly. Their default grid
(:func:`default_model_mass_grid`) is log-spaced from 10 GeV to 5 TeV (150 points), refined in the
same way: a heavy Z' is still constrained by LEP-II through contact interactions (g_z95 grows like M).
"""

from __future__ import annotations

import math
import os
import platform
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._checks import check_choice, check_in_range
from .likelihood.closed_form import chi2_limits, cls_limits
from .likelihood.limits import default_likelihood
from .likelihood.precision import PrecisionLikelihood
from .model.dark_sector import DiracDarkMatter, parse_width
from .parallel import pinned_blas
from .results import STATUS_OK, LimitCurve, canonical_json

__all__ = [
    "scan",
    "ModelSpec",
    "default_mass_grid",
    "default_model_mass_grid",
    "export_workspaces",
    "width_label",
    "store_key",
    "checkpoint_path",
    "PLACEHOLDER_INSPIRE_ID",
]

#: The pyhf 1.0.0 patchset schema requires metadata.references.hepdata = "ins" + 7 digits. No HEPData
#: record exists for likelihoods made by this package, so this placeholder (meaning "none") is written
#: unless the user passes a real INSPIRE id; the metadata says so explicitly.
PLACEHOLDER_INSPIRE_ID = "ins0000000"
#: metadata key holding the observed CLs linearisation point of every mass (used by the export)
_REF_KEY = {"epsilon": "epsilon_ref_observed", "g_z": "g_z_ref_observed"}
#: patch value naming the linearisation point of a hypothesis
_REF_VALUE = {"epsilon": "eps_ref", "g_z": "g_z_ref"}
#: default grid of Z' model scans (see :func:`default_model_mass_grid`)
MODEL_GRID: dict[str, Any] = {"n": 150, "lo": 10.0, "hi": 5000.0}
G_Z_DEFINITION = (
    "U(1)' gauge coupling g_z of the PDG Z' review: L > g_z Z'_mu sum_f fbar gamma^mu (z_L P_L + z_R P_R) f, "
    "charges z of PDG Table 1 (SSM: those of the SM Z)"
)


class ModelSpec:
    """A Z' model scanned in its gauge coupling g_z (immutable).

    ``name`` is a named model of the PDG review (:data:`kinmix_stats.zprime_limits.MODELS`: B-L, chi,
    psi, eta, R, I, SSM; case-insensitive) or a point ``FAMILY:x`` of a PDG Table 1 family
    (:data:`kinmix_stats.model.charges.FAMILIES`: B-xL, 10+x5bar, d-xu, q+xu; x any finite number).
    ``epsilon`` (kinetic mixing, Hook convention), ``delta_m2`` (Z0-X mass mixing in GeV^2) and
    ``tan_beta`` (mass mixing from the Higgs doublets, growing with g_z; exclusive with ``delta_m2``)
    are fixed inputs of the hypothesis. Every value is validated here (``ValueError`` naming it and the
    accepted choices or range), before any likelihood is built.
    """

    __slots__ = ("name", "family", "x", "epsilon", "delta_m2", "tan_beta")
    name: str
    family: str | None
    x: float | None
    epsilon: float
    delta_m2: float
    tan_beta: float | None

    def __init__(self, name: str, *, epsilon: float = 0.0, delta_m2: float = 0.0, tan_beta: float | None = None) -> None:
        from ._checks import check_finite
        from .model.charges import CUSTOM_PREFIX, FAMILIES, NAMED_MODELS, parse_custom_charges, parse_family_point
        from .zprime_limits import MODELS

        accepted = (
            f"a named model ({', '.join(MODELS)}) or a PDG Table 1 family point FAMILY:x with FAMILY one of "
            f"{', '.join(FAMILIES)} and x a finite number (e.g. B-xL:3, 10+x5bar:-1), or charges:Q,U,D,L,E"
        )
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"unknown Z' model {name!r}; accepted: {accepted}")
        text = name.strip()
        canonical: str | None
        family: str | None
        x: float | None
        if text.lower().startswith(CUSTOM_PREFIX):  # user-given charges: charges:Q,U,D,L,E
            canonical, _ = parse_custom_charges(text)
            family, x = "charges", None
        elif ":" in text:
            family, x = parse_family_point(text)  # ValueError names the bad family or x
            canonical = f"{family}:{x:.12g}"
        else:
            canonical = {m.lower(): m for m in MODELS}.get(text.lower())
            if canonical is None:
                raise ValueError(f"unknown Z' model {text!r}; accepted: {accepted}")
            family, x = NAMED_MODELS.get(canonical, (None, None))
        eps = check_finite("epsilon (kinetic mixing)", epsilon)
        if not abs(eps) < 0.5 * math.pi:
            raise ValueError(f"epsilon (kinetic mixing, Hook convention) must lie in (-pi/2, pi/2), got {eps!r}")
        dm2 = check_finite("delta_m2 (GeV^2)", delta_m2)
        if tan_beta is not None:
            tb = check_finite("tan_beta", tan_beta)
            if not tb > 0:
                raise ValueError(f"tan_beta must be > 0 (accepted range (0, inf)), got {tb!r}")
            if dm2 != 0.0:
                raise ValueError(
                    f"give either delta_m2 (fixed mass mixing, got {dm2!r} GeV^2) or tan_beta (Higgs-sector mass mixing, "
                    f"got {tb!r}), not both"
                )
            tan_beta = tb
        for slot, value in zip(self.__slots__, (canonical, family, x, eps + 0.0, dm2 + 0.0, tan_beta)):
            object.__setattr__(self, slot, value)
        if tan_beta is not None:
            from .model.higgs_mixing import higgs_doublet_charges

            higgs_doublet_charges(self.charges())  # SSM or charges without a consistent doublet: ValueError now

    def __setattr__(self, key, value):
        raise AttributeError("ModelSpec is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSpec) and self.to_metadata() == other.to_metadata()

    def __hash__(self) -> int:
        return hash((self.name, self.epsilon, self.delta_m2, self.tan_beta))

    def __repr__(self) -> str:
        return f"ModelSpec({self.name!r}, epsilon={self.epsilon!r}, delta_m2={self.delta_m2!r}, tan_beta={self.tan_beta!r})"

    def __reduce__(self):
        return (_model_spec, (self.name, self.epsilon, self.delta_m2, self.tan_beta))

    @property
    def is_named(self) -> bool:
        return ":" not in self.name

    @property
    def has_mixing(self) -> bool:
        return self.epsilon != 0.0 or self.delta_m2 != 0.0 or self.tan_beta is not None

    def nominal_gz(self, sm=None) -> float | None:
        """g_z of a named model (:func:`kinmix_stats.zprime_limits.nominal_gz`); None for a family point."""
        if not self.is_named:
            return None
        from .zprime_limits import nominal_gz

        return float(nominal_gz(self.name, sm))

    def charges(self, sm=None):
        """The U(1)' charges (SSM: the SM-Z couplings at ``sm``'s sin^2 theta_W)."""
        if self.is_named:
            from .zprime_limits import model_charges

            return model_charges(self.name, sm)
        from .model.charges import charge_family, parse_custom_charges

        if self.family == "charges":
            return parse_custom_charges(self.name)[1]
        return charge_family(self.family, self.x)

    def factory(self, sm_ref=None):
        """The ``ModelFactory`` (coupling argument = g_z, scalar or one per mass) of this hypothesis:
        :func:`kinmix_stats.zprime_limits.zprime_factory` for named models and family points alike
        (g_z = 0 is the SM, mixing off too; otherwise a ZPrime with the fixed kinetic mixing and dM^2
        fixed or from :func:`~kinmix_stats.model.higgs_mixing.higgs_mass_mixing`).
        """
        from .zprime_limits import zprime_factory

        # family points: x in full precision (the canonical name rounds it to 12 digits)
        name = self.name if (self.is_named or self.family == "charges") else f"{self.family}:{self.x!r}"
        factory = zprime_factory(name, sm_ref, epsilon=self.epsilon, delta_m2=self.delta_m2, tan_beta=self.tan_beta)
        factory.name, factory.__name__ = self.name, f"zprime_factory_{self.name}"
        return factory

    def likelihood(
        self, *, mw_choice: str | None = "PDG2024", beam_spread_rel: float | None = None, datasets: Sequence[str] | None = None
    ) -> PrecisionLikelihood:
        """The precision likelihood (``datasets``, default all) with this model's factory."""
        from .likelihood.precision import ASSUMED_BEAM_SPREAD_REL

        return PrecisionLikelihood(
            datasets=datasets,
            mw_choice=mw_choice,
            beam_spread_rel=ASSUMED_BEAM_SPREAD_REL if beam_spread_rel is None else beam_spread_rel,
            model_factory=self.factory(),
        )

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready description (recorded in every output and in the checkpoint key)."""
        return {
            "name": self.name,
            "family": self.family,
            "x": self.x,
            "coupling": "g_z",
            "nominal_g_z": self.nominal_gz(),
            "epsilon": self.epsilon,
            "delta_m2_gev2": self.delta_m2,
            "tan_beta": self.tan_beta,
        }

    @classmethod
    def from_metadata(cls, meta: Any) -> ModelSpec:
        """Inverse of :meth:`to_metadata`."""
        if not isinstance(meta, dict) or "name" not in meta:
            raise ValueError(f"not a Z' model description (no 'name'): {meta!r}")
        return cls(meta["name"], epsilon=meta.get("epsilon", 0.0), delta_m2=meta.get("delta_m2_gev2", 0.0),
                   tan_beta=meta.get("tan_beta"))


def _model_spec(name, epsilon, delta_m2, tan_beta) -> ModelSpec:
    return ModelSpec(name, epsilon=epsilon, delta_m2=delta_m2, tan_beta=tan_beta)


def width_label(width) -> str:
    """Short text label of a width specification ("narrow", "wide", "1.5GeV", "diracDM_aD0.1_mchi5")."""
    width = parse_width(width)
    if isinstance(width, str):
        return width
    if isinstance(width, DiracDarkMatter):
        return f"diracDM_aD{width.alpha_d:g}_mchi{width.m_chi:g}"
    return f"{width:g}GeV"


def default_mass_grid(
    n: int = 200, lo: float = 1.0, hi: float = 1000.0, *, likelihood: PrecisionLikelihood | None = None, refine: bool = True
) -> np.ndarray:
    """Log-spaced masses in [lo, hi] GeV, refined at measured energies and around m_Z0 (sorted, unique)."""
    check_in_range("n", n, 2, 1e6)
    lo = check_in_range("lo", lo, 0.0, np.inf, low_inclusive=False, high_inclusive=False)
    hi = check_in_range("hi", hi, lo, np.inf, low_inclusive=False, high_inclusive=False)
    grid = [np.geomspace(lo, hi, int(n))]
    if refine:
        like = default_likelihood() if likelihood is None else likelihood
        energies = sorted({float(k["sqrt_s"]) for _, k in like.entries if "sqrt_s" in k})
        r = max(like.beam_spread_rel, 1e-4)
        grid.append(np.array([e * (1 + k * r) for e in energies for k in (-2.0, 0.0, 2.0)]))
        mz0 = like.sm.mz0
        offsets = np.array([0.3, 0.5, 1.0, 2.0, 3.0, 5.0])
        grid.append(np.concatenate([mz0 - offsets, mz0 + offsets]))
    masses = np.unique(np.round(np.concatenate(grid), 6))
    return masses[(masses >= lo) & (masses <= hi)]


def default_model_mass_grid(*, likelihood: PrecisionLikelihood | None = None, refine: bool = True) -> np.ndarray:
    """Default masses of a Z'-model scan: 150 log-spaced from 10 GeV to 5 TeV, refined as
    :func:`default_mass_grid` (measured energies, m_Z0 neighbourhood).

    The top reaches deep into the contact-interaction regime of LEP-II (sqrt(s) <= 209 GeV), where
    g_z95 grows like M (PDG Z' review Eq. 6) and reaches g_z ~ 1 at a few TeV for the E6 models.
    """
    return default_mass_grid(MODEL_GRID["n"], MODEL_GRID["lo"], MODEL_GRID["hi"], likelihood=likelihood, refine=refine)


def _metadata(
    likelihood: PrecisionLikelihood, width, methods: Sequence[str], extra: dict | None, model: ModelSpec | None = None
) -> dict[str, Any]:
    import scipy

    from .results import CLOSED_FORM_ENGINE

    # a library's version is recorded only if it computed numbers of this scan (cls/chi2: numpy/scipy only)
    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    engines: dict[str, Any] = {m: dict(CLOSED_FORM_ENGINE) for m in methods if m in ("cls", "chi2")}
    if "exact" in methods:
        from .likelihood.exact import engine_description

        engines["exact"] = engine_description()
        versions["iminuit"] = engines["exact"]["version"]
    if "pyhf" in methods:
        from .likelihood.pyhf_engine import engine_description as pyhf_engine

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
        "confidence_level": 0.95,
        "cls": "asymptotic q~_mu (arXiv:1007.1727), linear Gaussian model re-linearised in mu = eps^2/eps_ref^2",
        "chi2": "arXiv:1006.0973 Eqs. 17-19, Delta chi^2 = 3.84, E_min = 0.5",
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
        },
    }
    if model is not None:
        meta["coupling"] = "g_z"
        meta["g_z_definition"] = G_Z_DEFINITION
        meta["model"] = model.to_metadata()
        meta["cls"] = "asymptotic q~_mu (arXiv:1007.1727), linear Gaussian model re-linearised in mu = g_z^2/g_ref^2"
        meta["chi2"] = "arXiv:1006.0973 Eqs. 17-19 applied to g_z, Delta chi^2 = 3.84, E_min = 0.5"
    if extra:
        meta.update(extra)
    return meta


def _chunks(n: int, size: int) -> Iterable[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


_COLUMNS = ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2", "eps_ref")
_CLS_COLUMNS = ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2")


def _combined_status(status_cls: str, status_chi2: str, methods: Sequence[str]) -> str:
    if status_cls == "ok" and status_chi2 == "ok":
        return "ok"
    limit_method = _limit_method(methods) or "cls"
    return "; ".join(f"{m}: {s}" for m, s in ((limit_method, status_cls), ("chi2", status_chi2)) if s != "ok" and m in methods) or "ok"


#: methods that fill the CLs columns (eps95_obs and the expected band); a scan runs at most one of them
CLS_METHODS = ("cls", "exact", "pyhf")
#: accepted scan methods
SCAN_METHODS = ("cls", "chi2", "exact", "pyhf")


def _limit_method(methods: Sequence[str]) -> str | None:
    """The method filling the CLs columns ("cls", "exact" or "pyhf"), or None."""
    found = [m for m in methods if m in CLS_METHODS]
    return found[0] if found else None


def check_methods(methods) -> tuple[str, ...]:
    """Validated scan methods: a non-empty, non-repeating sequence of :data:`SCAN_METHODS`, with at most
    one of the CLs engines "cls" (fast closed form), "exact" (iminuit) and "pyhf" (pyhf upper_limit), which fill
    the same columns."""
    if isinstance(methods, str):
        raise ValueError(f"methods must be a sequence of method names like ('cls', 'chi2'), got the string {methods!r}")
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must name at least one of {', '.join(map(repr, SCAN_METHODS))}")
    for m in methods:
        check_choice("method", m, SCAN_METHODS)
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods {methods!r} repeats a method")
    if sum(m in CLS_METHODS for m in methods) > 1:
        both = " and ".join(repr(m) for m in methods if m in CLS_METHODS)
        raise ValueError(f"methods {methods!r}: {both} both fill the CLs columns (eps95_obs, expected band); choose one")
    return methods


def _no_limit(name: str, value: float) -> str:
    return f"no limit ({name} = {value!r})"


def _scan_chunk(like: PrecisionLikelihood, masses: np.ndarray, width, methods: Sequence[str], start: int) -> list[dict[str, Any]]:
    """Limits for one chunk of masses: one record per mass (index, mass, columns, statuses).

    Runs in this process or on a Dask worker. A limit that is not a finite positive number (e.g. the
    window edge eps = 0 exactly at m_Z0) becomes NaN, and the point's status says why: never a silent NaN.
    """
    from .parallel import blas_single_thread

    with blas_single_thread():  # same bits in this process and on any worker (see kinmix_stats.parallel)
        return _scan_chunk_pinned(like, masses, width, methods, start)


def _scan_chunk_pinned(like: PrecisionLikelihood, masses: np.ndarray, width, methods: Sequence[str], start: int) -> list[dict[str, Any]]:
    n = masses.size
    cols = {k: np.full(n, np.nan) for k in _COLUMNS}
    st_cls = ["ok"] * n
    st_chi2 = ["ok"] * n
    limit_method = _limit_method(methods)
    if limit_method is not None:
        res = cls_limits(like, masses, width)
        if limit_method == "exact":  # warm-started at the fast limits; eps_ref stays the fast linearisation point
            from .likelihood.exact import exact_limits

            res = exact_limits(like, masses, width, fast=res, errors=False)
        elif limit_method == "pyhf":  # pyhf's upper_limit on the exported workspace, linearised at the fast limits
            from .likelihood.pyhf_engine import pyhf_limits

            res = pyhf_limits(like, masses, width, fast=res)
        cols["eps95_obs"] = np.array(res.epsilon_observed, dtype=float)
        band = np.asarray(res.expected_band, dtype=float)
        for j, c in enumerate(("eps95_exp_m2", "eps95_exp_m1", "eps95_exp", "eps95_exp_p1", "eps95_exp_p2")):
            cols[c] = band[:, j].copy()
        cols["eps_ref"] = np.array(res.epsilon_ref[:, 0], dtype=float)
        st_cls = list(res.status)
    if "chi2" in methods:
        res = chi2_limits(like, masses, width)
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


def store_key(
    likelihood: PrecisionLikelihood, width, methods: Sequence[str], masses: np.ndarray, model: ModelSpec | None = None
) -> dict[str, Any]:
    """What must match for a checkpoint store to be resumed (see :mod:`kinmix_stats.checkpoint`).

    A Z'-model scan adds its model (name, mixing): a store of another model, or of the dark photon
    (which has no ``model`` key), is refused.
    """
    from .checkpoint import grid_digest

    sm = likelihood.sm
    key = {
        "width": width_label(width),
        "methods": list(methods),
        "n_masses": int(masses.size),
        "grid_sha256": grid_digest(masses),
        "catalogue_hash": likelihood.catalogue.catalogue_hash(),
        "package_version": __version__,
        "beam_spread_rel": float(likelihood.beam_spread_rel),
        "sm_parameters": [float(sm.alpha), float(sm.sin2_theta_w), float(sm.mz0), float(sm.alpha_s_mz)],
    }
    if model is not None:
        key["model"] = model.to_metadata()
    return key


def checkpoint_path(out_dir: str | os.PathLike[str], width) -> Path:
    """The checkpoint store of a scan of ``width`` in ``out_dir``: ``checkpoint_<width label>.jsonl``."""
    return Path(out_dir) / f"checkpoint_{width_label(width)}.jsonl"


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
) -> LimitCurve:
    """95% CL limits on eps (Hook convention) at every mass; returns a :class:`LimitCurve`.

    With ``model`` (a :class:`ModelSpec` or its name, e.g. ``"chi"``, ``"B-xL:3"``) the limits are on
    the Z' gauge coupling g_z of that model instead: the curve has ``coupling="g_z"`` and
    ``model=model.name``; ``likelihood`` defaults to ``model.likelihood()`` (a given one must use a
    factory of that model) and ``masses`` to :func:`default_model_mass_grid`.

    ``method`` (the spelling of :func:`upper_limit`; the old keyword ``methods=`` still works with a
    ``DeprecationWarning``) is a name or a sequence of ("cls", "chi2", "exact") with at most one of "cls" (fast closed form) and
    "exact" (exact non-linear likelihood with iminuit, warm-started at the fast limits,
    :mod:`kinmix_stats.likelihood.exact`; about 100 model evaluations per mass), which fill the same CLs
    columns; columns of a method not run are NaN. ``masses`` defaults
    to :func:`default_mass_grid`. The observed eps_ref of every point (the linearisation point of its
    CLs likelihood) is kept in ``metadata["epsilon_ref_observed"]`` for :func:`export_workspaces`.

    Execution (:mod:`kinmix_stats.parallel`): the sorted masses are cut into chunks of ``chunk``; by
    default they run here, in order (``workers=1`` / ``scheduler="synchronous"``). ``workers=N > 1``
    starts a Dask LocalCluster of N single-threaded worker processes for this call, ``scheduler`` is the
    address of an existing Dask scheduler, ``client`` an existing ``distributed.Client`` (used, not
    closed). The likelihood is sent once per worker. The result does not depend on where chunks ran.

    Checkpointing (:mod:`kinmix_stats.checkpoint`): with ``checkpoint`` (a ``.jsonl`` path) every
    finished chunk is appended (one line per mass, fsync-ed) as it completes; with ``resume=True`` the
    points already in a compatible store are not recomputed (an incompatible store raises ``ValueError``
    before anything is written). Outputs and metadata are identical with and without resuming.
    Points without a limit keep NaN with a status saying why (e.g. at m_Z0, where no Z'-like state exists).
    """
    from ._checks import check_grid_size, check_masses, check_type
    from .checkpoint import scan_id
    from .likelihood.coupling import likelihood_coupling
    from .parallel import check_execution, connect, run_tasks

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
    meta = _metadata(like, width, methods, metadata, model)
    key = store_key(like, width, methods, masses, model)
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
    tasks = [(sl.start, (masses[sl], width, methods, sl.start)) for sl in todo]

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
    meta[_REF_KEY[coupling]] = [float(x) if np.isfinite(x) else None for x in cols["eps_ref"]]
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


def _width_spec(label: str):
    if label in ("narrow", "wide"):
        return label
    if label.endswith("GeV"):
        return float(label[:-3])
    raise ValueError(f"cannot rebuild the width from label {label!r}; export supports narrow, wide and fixed widths")


_UNSET = object()


def likelihood_from_metadata(metadata: dict[str, Any], spec: ModelSpec | None = None) -> PrecisionLikelihood:
    """Rebuild the likelihood a curve was scanned with from its ``metadata``.

    Uses the recorded ``datasets``, ``mw_choice`` (older files: ``inputs.mw_choice`` of the CLI, else the
    default PDG 2024) and ``assumptions.beam_spread_rel``, with the dark-photon factory or ``spec``'s Z'
    factory, and checks that the rebuilt catalogue has the recorded ``catalogue_hash``: a curve made from
    another catalogue (edited data files, another package version) is refused rather than exported against
    measurements it was not computed with.
    """
    from .likelihood.precision import ASSUMED_BEAM_SPREAD_REL

    mw_choice = metadata.get("mw_choice", _UNSET)
    if mw_choice is _UNSET:
        mw_choice = (metadata.get("inputs") or {}).get("mw_choice", "PDG2024")
    beam = (metadata.get("assumptions") or {}).get("beam_spread_rel", ASSUMED_BEAM_SPREAD_REL)
    datasets = metadata.get("datasets")
    default = default_likelihood()
    all_datasets = [ds.name for ds in default.catalogue.datasets]
    if spec is None and mw_choice == "PDG2024" and beam == ASSUMED_BEAM_SPREAD_REL and datasets in (None, all_datasets):
        like = default
    elif spec is None:
        like = PrecisionLikelihood(datasets=datasets, mw_choice=mw_choice, beam_spread_rel=beam)
    else:
        like = spec.likelihood(datasets=datasets, mw_choice=mw_choice, beam_spread_rel=beam)
    recorded = metadata.get("catalogue_hash")
    rebuilt = like.catalogue.catalogue_hash()
    if recorded is not None and recorded != rebuilt:
        raise ValueError(
            f"the curve was scanned on catalogue {str(recorded)[:12]}… (datasets {datasets}, mw_choice {mw_choice!r}) "
            f"but this installation rebuilds {rebuilt[:12]}…: pass the likelihood it was made with"
        )
    return like


#: exported encodings (see :mod:`kinmix_stats.likelihood.whitened` and :mod:`kinmix_stats.likelihood.workspace`)
ENCODINGS = ("whitened", "per_measurement")
#: prefixes of the limit part of a combined point status (see :func:`_combined_status`)
_LIMIT_METHODS = ("cls", "pyhf", "exact")


def limit_status(status: str) -> str:
    """The CLs part of a point's combined status: "ok", or the reason the CLs limit is not valid.

    A chi^2 failure does not invalidate the CLs likelihood of the point.
    """
    if status == STATUS_OK:
        return STATUS_OK
    for part in status.split("; "):
        head, _, rest = part.partition(": ")
        if head in _LIMIT_METHODS:
            return rest or part
    return STATUS_OK if all(p.partition(": ")[0] == "chi2" for p in status.split("; ")) else status


@pinned_blas  # the export's fits and rotations give the same bits whatever the caller's BLAS threads
def export_workspaces(
    curves: LimitCurve | Sequence[LimitCurve],
    out_dir: str | os.PathLike[str],
    *,
    likelihood: PrecisionLikelihood | None = None,
    inspire_id: str | None = None,
    encoding: str = "whitened",
) -> tuple[Path, Path]:
    """Write ``bkgonly.json`` and ``patchset.json`` (one patch per valid (mass, width)) into ``out_dir``.

    The background-only workspace (data, SM sample, alpha_em and sin2_theta_w) is shared by every
    hypothesis; each patch adds the kinetic-mixing sample at the point's eps_ref with POI
    mu = eps^2/eps_ref^2, so CLs(mu = 1) of a patch is the CLs of eps = eps_ref and
    eps95 = eps_ref * sqrt(mu95). Patch values are (mass_GeV, dark_width_GeV of the Z' (0 narrow,
    0.01 m wide), eps_ref). Exactly the points whose CLs limit is valid (status ok) are exported; the
    others are listed in the patchset metadata ``skipped_hypotheses`` with the reason.

    ``encoding``: ``"whitened"`` (default; :mod:`kinmix_stats.likelihood.whitened`: one channel per
    dataset, correlations rotated away, pyhf parameters mu, alpha_em, sin2_theta_w only; the rotation is
    written to ``whitening.json``) or ``"per_measurement"`` (one channel per measurement, one pyhf
    nuisance per correlated measurement, :mod:`kinmix_stats.likelihood.workspace`; minutes per pyhf fit).
    The patchset metadata ``encoding`` records the encoding, its count scale, the rotation's sha256 and
    the measured largest |Delta(-2 ln L)| against the exact Gaussian likelihood.

    Curves of a Z' model (``coupling="g_z"``, all of the same model) give patches of that model at
    g_z_ref with POI mu = (g_z/g_z_ref)^2; patch values (mass_GeV, dark_width_GeV, g_z_ref), the patchset
    metadata names the model and its mixing. ``likelihood`` defaults to the one the curves were made
    with, rebuilt by :func:`likelihood_from_metadata` (datasets, W-mass choice, beam spread and, for a
    model, ``metadata["model"]``). Patches are streamed to disk (memory does not grow with their number).
    """
    from ._checks import check_inspire_id
    from .likelihood.coupling import coupling_delta_th, likelihood_coupling

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
    ref_key, ref_value = _REF_KEY[coupling], _REF_VALUE[coupling]
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
        for i, (m, r) in enumerate(zip(curve.mass_gev, refs)):
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
        for m, e, d, v in zip(masses, eps, delta, valid):
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
    from .likelihood.patchset import export_workspaces as _export  # pyhf loads only when exporting

    return _export(bkg, patches, out_dir, description=description, references={"hepdata": ref}, extra_metadata=extra,
                   sidecars=sidecars)


def _whitened_export(base, labels, values, signals):
    """Background-only spec, patch generator, encoding metadata, sidecars and skipped points (whitened)."""
    import jsonpatch
    import pyhf

    from .likelihood import whitened as wh
    from .likelihood.cls import cls_limits_batch

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
    from .likelihood.gaussian import profiled_nuisances

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
        "rotation": {"file": wh.ROTATION_FILE, "sha256": wh.rotation_digest(text),
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

    return bkg, patches(), meta, {wh.ROTATION_FILE: text}, failed


def _per_measurement_export(base, labels, values, signals):
    """The one-channel-per-measurement layout (correlations as pyhf nuisances; slow to fit, kept as an option)."""
    import jsonpatch
    import pyhf

    from .likelihood import whitened as wh
    from .likelihood.gaussian import chi2 as exact_chi2
    from .likelihood.gaussian import profiled_nuisances
    from .likelihood.workspace import build_background_only, encode, pyhf_parameters, signal_patch_ops

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


def _json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)
