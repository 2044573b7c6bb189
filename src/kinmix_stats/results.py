"""Immutable result containers for exclusion scans.

:class:`LimitCurve` is the one object every output writer (``io``) and figure (``plotting``) consumes.
It follows cabinetry's ``LimitResults`` habit: a frozen container whose docstring lists every field,
carrying its band, its cross-check and a per-point status, never a bare tuple of arrays.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "LimitCurve",
    "CURVE_COLUMNS",
    "LIMIT_COLUMNS",
    "KNOWN_CONVENTIONS",
    "COUPLINGS",
    "STATUS_OK",
    "output_columns",
    "canonical_json",
]

#: Per-point limit columns, in output order (the CSV header is ``mass_gev`` followed by these).
LIMIT_COLUMNS: tuple[str, ...] = (
    "eps95_obs",
    "eps95_exp",
    "eps95_exp_m2",
    "eps95_exp_m1",
    "eps95_exp_p1",
    "eps95_exp_p2",
    "eps95_chi2",
)
#: All numeric columns, in output order.
CURVE_COLUMNS: tuple[str, ...] = ("mass_gev", *LIMIT_COLUMNS)
#: Names of the kinetic-mixing conventions a curve may be expressed in (see ``model.conventions``).
KNOWN_CONVENTIONS: tuple[str, ...] = ("hook", "epsilon_gamma", "chi")
#: Status string of a point where every requested method ran normally.
STATUS_OK = "ok"
#: What the limit columns constrain: Hook's kinetic mixing ``"epsilon"`` (dark photon, default) or the
#: U(1)' gauge coupling ``"g_z"`` of a Z' model of the PDG review (kinetic/mass mixing then fixed inputs).
COUPLINGS: tuple[str, ...] = ("epsilon", "g_z")
_PREFIX = {"epsilon": "eps95", "g_z": "gz95"}


def output_columns(coupling: str = "epsilon") -> tuple[str, ...]:
    """Column names written to files for a curve on ``coupling``, in :data:`CURVE_COLUMNS` order.

    ``"epsilon"``: exactly :data:`CURVE_COLUMNS` (``mass_gev, eps95_obs, ...``); ``"g_z"``: the same
    with the ``eps95`` prefix replaced by ``gz95`` (``mass_gev, gz95_obs, ..., gz95_chi2``).
    """
    if coupling not in COUPLINGS:
        raise ValueError(f"unknown coupling {coupling!r}; accepted: {', '.join(map(repr, COUPLINGS))}")
    prefix = _PREFIX[coupling]
    return tuple(c.replace("eps95", prefix, 1) for c in CURVE_COLUMNS)


def _float_array(name: str, values: object) -> np.ndarray:
    try:
        arr = np.array(values, dtype=float, copy=True)
    except (TypeError, ValueError) as err:
        raise ValueError(f"LimitCurve.{name} must be a 1-d array of floats, got {values!r}") from err
    if arr.ndim != 1:
        raise ValueError(f"LimitCurve.{name} must be one-dimensional, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


def canonical_json(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types with dict keys sorted; raise ``ValueError`` naming ``where``."""
    if isinstance(value, Mapping):
        out = {}
        for key in sorted(value, key=str):
            if not isinstance(key, str):
                raise ValueError(f"metadata key {key!r} at {where} must be a string")
            out[key] = canonical_json(value[key], f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [canonical_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return canonical_json(value.tolist(), where)
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise ValueError(f"metadata value at {where} must be finite for JSON output, got {value!r}")
        return float(value)
    raise ValueError(
        f"metadata value at {where} has type {type(value).__name__}; "
        "accepted: dict, list, tuple, str, int, float, bool, None, numpy array"
    )


@dataclass(frozen=True, eq=False)
class LimitCurve:
    """95% CL upper limits on the kinetic mixing (or a Z' gauge coupling) versus the physical Z' mass.

    Fields
    ------
    width : str
        Width hypothesis of the scan, e.g. ``"narrow"`` (no dark width) or ``"wide"`` (Γ_dark = 0.01 m_Z').
    mass_gev : numpy.ndarray
        Physical Z' masses in GeV, finite, > 0 and strictly increasing.
    eps95_obs : numpy.ndarray
        Observed CLs upper limit on ε (q̃_μ, asymptotic).
    eps95_exp : numpy.ndarray
        Median expected CLs upper limit.
    eps95_exp_m2, eps95_exp_m1, eps95_exp_p1, eps95_exp_p2 : numpy.ndarray
        Expected limit at −2σ, −1σ, +1σ, +2σ of the background-only distribution.
    eps95_chi2 : numpy.ndarray
        Cross-check: Δχ² = 3.84 limit of Hook et al. Eq. 17 (with the Eq. 19 filter).
    status : tuple[str, ...]
        One entry per mass: ``"ok"`` or a human-readable reason why some or all limits are missing
        (e.g. ``"no Z'-like state: |m - m_Z0| < 0.22 GeV"``). Never silently NaN.
    model : str
        Name of the vector-boson model, default ``"dark_photon"``.
    convention : str
        Kinetic-mixing convention of every ε column; default ``"hook"``: L ⊃ −(sin ε/2) F′_{μν} B^{μν}.
    coupling : str
        What the limit columns constrain: ``"epsilon"`` (default; the columns are ε in ``convention``)
        or ``"g_z"``, the U(1)′ gauge coupling of a Z′ model (``model`` names it, e.g. ``"chi"`` or
        ``"B-xL:3"``; any kinetic or mass mixing is a fixed input recorded in ``metadata["model"]``).
        The attribute names stay ``eps95_*``; files use :meth:`output_columns` (``gz95_*`` for g_z).
    metadata : dict
        JSON-serialisable provenance: inputs, datasets, software versions, catalogue hash, ...
        Stored as a canonical deep copy (keys sorted, numpy values converted).

    All limit arrays are 1-d floats with the length of ``mass_gev``; NaN means the method was not run
    (or gave no limit) at that point, and ``status`` says why. Arrays are read-only.
    Equality (``==``) compares every field, treating NaN as equal to NaN.
    """

    width: str
    mass_gev: np.ndarray
    eps95_obs: np.ndarray
    eps95_exp: np.ndarray
    eps95_exp_m2: np.ndarray
    eps95_exp_m1: np.ndarray
    eps95_exp_p1: np.ndarray
    eps95_exp_p2: np.ndarray
    eps95_chi2: np.ndarray
    status: tuple[str, ...]
    model: str = "dark_photon"
    convention: str = "hook"
    metadata: dict = field(default_factory=dict)
    coupling: str = "epsilon"

    def __post_init__(self) -> None:
        for name in ("width", "model"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"LimitCurve.{name} must be a non-empty string, got {value!r}")
        if self.coupling not in COUPLINGS:
            raise ValueError(f"LimitCurve.coupling must be one of {COUPLINGS}, got {self.coupling!r}")
        if self.coupling == "g_z" and self.model == "dark_photon":
            raise ValueError("LimitCurve.coupling 'g_z' needs the name of a Z' model (a dark photon has no g_z)")
        if self.convention not in KNOWN_CONVENTIONS:
            raise ValueError(
                f"LimitCurve.convention must be one of {KNOWN_CONVENTIONS}, got {self.convention!r}"
            )
        arrays = {name: _float_array(name, getattr(self, name)) for name in CURVE_COLUMNS}
        n = arrays["mass_gev"].size
        for name, arr in arrays.items():
            if arr.size != n:
                raise ValueError(
                    f"LimitCurve.{name} has length {arr.size}, but mass_gev has length {n}; all columns "
                    "must have equal length"
                )
        mass = arrays["mass_gev"]
        bad = ~np.isfinite(mass) | (mass <= 0)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(f"LimitCurve.mass_gev must be finite and > 0 GeV; bad value {mass[i]!r} at index {i}")
        if n > 1 and np.any(np.diff(mass) <= 0):
            i = int(np.argmax(np.diff(mass) <= 0))
            raise ValueError(
                f"LimitCurve.mass_gev must be strictly increasing; mass_gev[{i}]={mass[i]!r} >= "
                f"mass_gev[{i + 1}]={mass[i + 1]!r}"
            )
        for name in LIMIT_COLUMNS:
            arr = arrays[name]
            bad = np.isinf(arr) | (arr <= 0)  # NaN compares False: allowed
            if np.any(bad):
                i = int(np.argmax(bad))
                raise ValueError(
                    f"LimitCurve.{name} must be > 0 and finite, or NaN (not run); bad value {arr[i]!r} at index {i}"
                )
        if isinstance(self.status, str) or not isinstance(self.status, Sequence):
            raise ValueError(f"LimitCurve.status must be a sequence of strings, got {self.status!r}")
        status = tuple(self.status)
        if len(status) != n:
            raise ValueError(f"LimitCurve.status has length {len(status)}, but mass_gev has length {n}")
        for i, s in enumerate(status):
            if not isinstance(s, str) or not s.strip():
                raise ValueError(f"LimitCurve.status[{i}] must be a non-empty string ('ok' or a reason), got {s!r}")
        if not isinstance(self.metadata, Mapping):
            raise ValueError(f"LimitCurve.metadata must be a dict, got {type(self.metadata).__name__}")
        metadata = canonical_json(copy.deepcopy(dict(self.metadata)), "metadata")
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "metadata", metadata)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.mass_gev.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LimitCurve):
            return NotImplemented
        return (
            self.width == other.width
            and self.model == other.model
            and self.convention == other.convention
            and self.coupling == other.coupling
            and self.status == other.status
            and self.metadata == other.metadata
            and all(np.array_equal(getattr(self, c), getattr(other, c), equal_nan=True) for c in CURVE_COLUMNS)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-by-value arrays; not hashable

    def __repr__(self) -> str:
        n = len(self)
        where = f"{self.mass_gev[0]:g}..{self.mass_gev[-1]:g} GeV" if n else "no mass"
        obs = self.eps95_obs[np.isfinite(self.eps95_obs)]
        span = f"{obs.min():.3g}..{obs.max():.3g}" if obs.size else "none finite"
        return (
            f"LimitCurve(model={self.model!r}, coupling={self.coupling!r}, width={self.width!r}, "
            f"{n} masses {where}, limit_observed {span}, {int(self.ok.sum())}/{n} ok)"
        )

    # -------------------------------------------------- coupling-neutral names
    @property
    def limit_observed(self) -> np.ndarray:
        """Observed CLs limit on :attr:`coupling` (the ``eps95_obs`` column, also for g_z curves)."""
        return self.eps95_obs

    @property
    def limit_expected(self) -> np.ndarray:
        """Median expected CLs limit (``eps95_exp``)."""
        return self.eps95_exp

    @property
    def expected_band(self) -> np.ndarray:
        """(N, 5) expected limits at -2, -1, 0, +1, +2 sigma (same layout as ``LimitResult.expected_band``)."""
        return np.column_stack(
            [self.eps95_exp_m2, self.eps95_exp_m1, self.eps95_exp, self.eps95_exp_p1, self.eps95_exp_p2]
        ).reshape(len(self), 5)

    @property
    def limit_chi2(self) -> np.ndarray:
        """Delta chi^2 cross-check limit (``eps95_chi2``)."""
        return self.eps95_chi2

    @property
    def output_columns(self) -> tuple[str, ...]:
        """File column names of this curve (:func:`output_columns` of its ``coupling``)."""
        return output_columns(self.coupling)

    def column(self, name: str) -> np.ndarray:
        """Return the numeric column ``name``: an attribute name of :data:`CURVE_COLUMNS` or its file name."""
        if name in CURVE_COLUMNS:
            return getattr(self, name)
        names = self.output_columns
        if name in names:
            return getattr(self, CURVE_COLUMNS[names.index(name)])
        raise ValueError(f"unknown LimitCurve column {name!r}; accepted: {', '.join(names)}")

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of points whose status is ``"ok"``."""
        return np.array([s == STATUS_OK for s in self.status], dtype=bool)

    # ------------------------------------------------------------- transforms
    def select(self, mask: object) -> LimitCurve:
        """Return a new curve with the points picked by ``mask``.

        ``mask`` is a boolean array of length ``len(self)`` or an array of integer indices (kept in
        increasing mass order; duplicates are refused because masses must stay strictly increasing).
        """
        sel = np.asarray(mask)
        n = len(self)
        if sel.dtype == bool:
            if sel.shape != (n,):
                raise ValueError(f"boolean mask must have shape ({n},), got {sel.shape}")
            idx = np.flatnonzero(sel)
        elif sel.size == 0 or np.issubdtype(sel.dtype, np.integer):
            idx = np.asarray(sel, dtype=int).ravel()
            if idx.size and (idx.min() < -n or idx.max() >= n):
                raise ValueError(f"index out of range for a curve of {n} points: {sel!r}")
            idx = np.sort(np.where(idx < 0, idx + n, idx))
            if np.any(np.diff(idx) == 0):
                raise ValueError(f"duplicate indices in selection: {sel!r}")
        else:
            raise ValueError(f"mask must be a boolean mask or integer indices, got dtype {sel.dtype}")
        kwargs: dict[str, Any] = {c: getattr(self, c)[idx] for c in CURVE_COLUMNS}
        return LimitCurve(
            width=self.width,
            status=tuple(self.status[i] for i in idx),
            model=self.model,
            convention=self.convention,
            metadata=self.metadata,
            coupling=self.coupling,
            **kwargs,
        )

    # ------------------------------------------------------------ (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready dict (NaN → ``None``) with a fixed key order; inverse of :meth:`from_dict`.

        Columns are keyed by their file names (:attr:`output_columns`). The ``coupling`` key is written
        only for a non-default coupling, so ε curves keep exactly the layout they always had.
        """
        out: dict[str, Any] = {"width": self.width, "model": self.model, "convention": self.convention}
        if self.coupling != "epsilon":
            out["coupling"] = self.coupling
        for c, name in zip(CURVE_COLUMNS, self.output_columns, strict=True):
            out[name] = [None if math.isnan(v) else float(v) for v in getattr(self, c).tolist()]
        out["status"] = list(self.status)
        out["metadata"] = copy.deepcopy(self.metadata)
        return out

    def to_dataframe(self):
        """The CSV content as a ``pandas.DataFrame`` (file column names, ``status`` last; width, model and
        coupling in ``DataFrame.attrs``). pandas is optional: without it this raises ``ImportError``."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("LimitCurve.to_dataframe needs pandas, which is optional and not installed "
                              "(pip install pandas); to_dict() gives the same content without it") from None
        df = pd.DataFrame({name: getattr(self, c) for c, name in zip(CURVE_COLUMNS, self.output_columns, strict=True)})
        df["status"] = list(self.status)
        df.attrs.update({"width": self.width, "model": self.model, "coupling": self.coupling,
                         "convention": self.convention})
        return df

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LimitCurve:
        """Build a curve from :meth:`to_dict` output (``None`` in a limit column → NaN).

        A dict without ``coupling`` (every file written before g_z curves existed) is an ε curve.
        """
        coupling = data.get("coupling", "epsilon")
        if coupling not in COUPLINGS:
            raise ValueError(f"LimitCurve.from_dict: unknown coupling {coupling!r}; accepted: {', '.join(map(repr, COUPLINGS))}")
        names = output_columns(coupling)
        missing = [k for k in ("width", *names, "status") if k not in data]
        if missing:
            raise ValueError(f"LimitCurve.from_dict: missing key(s) {', '.join(missing)} (coupling {coupling!r})")
        kwargs: dict[str, Any] = {}
        for c, name in zip(CURVE_COLUMNS, names, strict=True):
            values = data[name]
            if not isinstance(values, (list, tuple, np.ndarray)):
                raise ValueError(f"LimitCurve.from_dict: {name} must be a list, got {type(values).__name__}")
            kwargs[c] = np.array([np.nan if v is None else v for v in values], dtype=float)
        return cls(
            width=data["width"],
            status=tuple(data["status"]),
            model=data.get("model", "dark_photon"),
            convention=data.get("convention", "hook"),
            metadata=dict(data.get("metadata") or {}),
            coupling=coupling,
            **kwargs,
        )


_canonical_json = canonical_json  # former private name, kept for code written against it
