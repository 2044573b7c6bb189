"""Immutable result containers: the one result family of the package.

:class:`LimitResult` is what a limit engine returns (``km.upper_limit``, one entry per mass, with the fit
details); :class:`LimitCurve` is the one object every output writer (``io``) and figure (``plotting``)
consumes. Both follow cabinetry's ``LimitResults`` habit: a frozen container whose docstring lists every
field, carrying its band, its cross-check and a per-point status, never a bare tuple of arrays.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .likelihood.precision import PrecisionLikelihood

__all__ = [
    "CLOSED_FORM_ENGINE",
    "LimitCurve",
    "LimitResult",
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
#: engine of "cls" and "chi2" results: numpy/scipy linear algebra, no fitting library
CLOSED_FORM_ENGINE = {"engine": "closed form", "algorithm": "linear Gaussian profile (generalised least squares), numpy/scipy"}


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
    def confidence_level(self) -> float:
        """Confidence level of the limits (``metadata["confidence_level"]``; 0.95 where it is not recorded)."""
        return float(self.metadata.get("confidence_level", 0.95))

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
        pd = _pandas("LimitCurve.to_dataframe")
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


@dataclass(frozen=True, eq=False)
class LimitResult:
    """95% CL upper limits on a coupling at a set of masses (cabinetry ``LimitResults`` style).

    Read the limits through the coupling-neutral names :attr:`limit_observed`, :attr:`limit_expected`,
    :attr:`expected_band` and :attr:`coupling` (``"epsilon"``: Hook's eps of a dark photon; ``"g_z"``: the
    U(1)' gauge coupling of a Z' model). The stored ``epsilon_*`` fields are the same numbers under their
    historical names (kept so existing code and constructor calls work).

    Scalar in, scalar out: :func:`upper_limit` with a scalar mass returns a result whose per-mass fields are
    scalars (``float(res.limit_observed)``), ``expected_band`` of shape (5,), ``status`` a ``str``
    (see :meth:`squeeze`); with an array of masses every per-mass field has a leading axis (M,).

    Attributes
    ----------
    mass: (M,) physical Z' masses in GeV.
    width: the width hypothesis.
    method: "cls", "chi2", "exact" or "pyhf".
    coupling: what the limits are on: "epsilon" (Hook's eps, dark photon) or "g_z" (Z' model).
    epsilon_observed: (M,) observed 95% CL limits (= :attr:`limit_observed`).
    epsilon_expected: (M,) median expected limits (= :attr:`limit_expected`; CLs only, NaN for chi2).
    expected_band: (M, 5) expected limits at -2, -1, 0, +1, +2 sigma (CLs only).
    mu_observed, mu_expected: limits on mu = c^2/c_ref^2 at the final reference coupling c_ref (CLs only).
    epsilon_ref: (M, 6) final linearisation points (observed, then the five expected) (= :attr:`limit_ref`).
    iterations: number of re-linearisation steps used.
    status: per mass, "ok" or the reason a limit is capped or missing.
    dominant: per mass, the measurements with the largest expected significance at the limit.
    engine: what computed the numbers: {"engine": "closed form", ...} for "cls"/"chi2"; for "exact"
        {"engine": "iminuit", "version": ..., "algorithm": ...} (:mod:`~kinmix_stats.likelihood.exact`); for "pyhf"
        {"engine": "pyhf", "version": ..., "optimizer": ..., "optimizer_version": ...} (:mod:`~kinmix_stats.likelihood.pyhf_engine`).
    diagnostics: per mass, fit details of "exact" (eps_hat^2 with its hesse error, Minuit fits, calls).
    """

    # per-mass fields: arrays with a leading (M,) axis, or scalars / one row for a scalar result (squeeze)
    mass: np.ndarray | float
    width: Any
    method: str
    epsilon_observed: np.ndarray | float
    epsilon_expected: np.ndarray | float
    expected_band: np.ndarray
    mu_observed: np.ndarray | float
    mu_expected: np.ndarray
    epsilon_ref: np.ndarray
    iterations: int
    status: tuple[str, ...] | str
    dominant: tuple[Any, ...] = ()
    likelihood: PrecisionLikelihood | None = field(default=None, repr=False)
    coupling: str = "epsilon"
    engine: dict[str, str] = field(default_factory=lambda: dict(CLOSED_FORM_ENGINE))
    diagnostics: Any = field(default=(), repr=False)  # tuple of per-mass dicts; one dict for a scalar result

    @classmethod
    def from_table(
        cls, mass: Any, width: Any, method: str, limits: np.ndarray, mu: np.ndarray, ref: np.ndarray, *,
        iterations: int, status: Sequence[str], dominant: tuple[Any, ...], likelihood: PrecisionLikelihood | None,
        coupling: str, engine: dict[str, str] | None = None, diagnostics: Any = (),
    ) -> LimitResult:
        """A result of an engine from (M, 6) tables whose columns are the observed limit, then the expected ones
        at -2, -1, 0, +1, +2 sigma: ``limits`` (on the coupling), ``mu`` (mu95 at the final reference coupling)
        and ``ref`` (those reference couplings). ``engine`` defaults to :data:`CLOSED_FORM_ENGINE`."""
        limits, mu = np.asarray(limits, dtype=float), np.asarray(mu, dtype=float)
        return cls(
            mass=mass, width=width, method=method, epsilon_observed=limits[:, 0], epsilon_expected=limits[:, 3],
            expected_band=limits[:, 1:], mu_observed=mu[:, 0], mu_expected=mu[:, 1:], epsilon_ref=ref,
            iterations=iterations, status=tuple(status), dominant=dominant, likelihood=likelihood, coupling=coupling,
            engine=dict(CLOSED_FORM_ENGINE if engine is None else engine), diagnostics=diagnostics,
        )

    # ------------------------------------------------------------ coupling-neutral names
    @property
    def limit_observed(self) -> Any:
        """Observed 95% CL upper limit on :attr:`coupling` (float for a scalar result, else (M,))."""
        return self.epsilon_observed

    @property
    def limit_expected(self) -> Any:
        """Median expected limit on :attr:`coupling` (CLs; NaN for chi2)."""
        return self.epsilon_expected

    @property
    def limit_ref(self) -> Any:
        """Final reference couplings of the re-linearisation (observed, then the five expected)."""
        return self.epsilon_ref

    @property
    def is_scalar(self) -> bool:
        """True for the result of a scalar mass (per-mass fields are scalars)."""
        return np.ndim(self.mass) == 0

    def squeeze(self) -> LimitResult:
        """The result of a single mass with scalar per-mass fields (``ValueError`` for several masses)."""
        if self.is_scalar:
            return self
        n = np.size(self.mass)
        if n != 1:
            raise ValueError(f"squeeze needs a result of exactly one mass, this one has {n}")
        return replace(
            self,
            mass=float(np.ravel(self.mass)[0]),
            epsilon_observed=float(np.ravel(self.epsilon_observed)[0]),
            epsilon_expected=float(np.ravel(self.epsilon_expected)[0]),
            expected_band=np.asarray(self.expected_band)[0],
            mu_observed=float(np.ravel(self.mu_observed)[0]),
            mu_expected=np.asarray(self.mu_expected)[0],
            epsilon_ref=np.asarray(self.epsilon_ref)[0],
            status=self.status[0],
            dominant=self.dominant[0] if self.dominant else (),
            diagnostics=self.diagnostics[0] if self.diagnostics else {},
        )

    def _as_batch(self) -> LimitResult:
        """Inverse of :meth:`squeeze`: per-mass fields with a leading axis of length 1."""
        return replace(
            self,
            mass=np.atleast_1d(self.mass),
            epsilon_observed=np.atleast_1d(self.epsilon_observed),
            epsilon_expected=np.atleast_1d(self.epsilon_expected),
            expected_band=np.atleast_2d(self.expected_band),
            mu_observed=np.atleast_1d(self.mu_observed),
            mu_expected=np.atleast_2d(self.mu_expected),
            epsilon_ref=np.atleast_2d(self.epsilon_ref),
            status=(str(self.status),),
            dominant=(self.dominant,),
            diagnostics=(self.diagnostics,) if self.diagnostics else (),
        )

    def __repr__(self) -> str:
        head = f"LimitResult(method={self.method!r}, coupling={self.coupling!r}, width={self.width!r}, "
        if self.is_scalar:
            return (
                head + f"mass={self.mass:g} GeV, limit_observed={self.limit_observed:.4g}, "
                f"limit_expected={self.limit_expected:.4g}, status={self.status!r})"
            )
        mass = np.atleast_1d(self.mass)
        obs = np.asarray(self.limit_observed, dtype=float)
        finite = obs[np.isfinite(obs)]
        span = f"{finite.min():.3g}..{finite.max():.3g}" if finite.size else "none finite"
        n_ok = sum(s == "ok" for s in self.status)
        where = f"{mass.min():g}..{mass.max():g} GeV" if mass.size else "no mass"
        return head + f"{mass.size} masses {where}, limit_observed {span}, {n_ok}/{mass.size} ok)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN -> ``None``), one list entry per mass; what ``kinmix limit --json`` prints.

        Keys: ``mass_gev, width, method, coupling, epsilon_observed, epsilon_expected, expected_band``
        (per mass the limits at -2, -1, 0, +1, +2 sigma), ``mu_observed, mu_expected, epsilon_ref, iterations,
        status, dominant`` (per mass ``[[measurement, expected significance], ...]``), ``engine`` (what computed
        the numbers). ``epsilon_*`` hold g_z
        for a Z'-model likelihood (``coupling == "g_z"``).
        """
        from .model.dark_sector import width_label

        if self.is_scalar:  # one entry per mass also for a scalar result
            return self._as_batch().to_dict()

        def clean(a: Any) -> Any:
            arr = np.asarray(a, dtype=float)
            return [clean(x) for x in arr] if arr.ndim > 1 else [None if np.isnan(v) else float(v) for v in arr.tolist()]

        return {
            "mass_gev": clean(self.mass),
            "width": width_label(self.width),
            "method": self.method,
            "coupling": self.coupling,
            "epsilon_observed": clean(self.epsilon_observed),
            "epsilon_expected": clean(self.epsilon_expected),
            "expected_band": clean(self.expected_band),
            "mu_observed": clean(self.mu_observed),
            "mu_expected": clean(self.mu_expected),
            "epsilon_ref": clean(self.epsilon_ref),
            "iterations": int(self.iterations),
            "status": list(self.status),
            "dominant": [[[str(m), float(e)] for m, e in d] for d in self.dominant],
            "engine": dict(self.engine),
        }

    def to_dataframe(self) -> Any:
        """One row per mass (``pandas.DataFrame``): mass, observed and expected limits, the band, status.

        pandas is optional: without it this raises ``ImportError`` saying so (:meth:`to_dict` needs nothing).
        """
        pd = _pandas("LimitResult.to_dataframe")
        band = np.asarray(self.expected_band, dtype=float).reshape(np.size(self.mass), -1)
        cols: dict[str, Any] = {"mass_gev": np.asarray(self.mass, dtype=float),
                                "epsilon_observed": self.epsilon_observed, "epsilon_expected": self.epsilon_expected}
        if band.shape[1] == 5:
            for k, n in enumerate(("m2", "m1", "median", "p1", "p2")):
                cols[f"expected_{n}"] = band[:, k]
        cols["status"] = list(self.status)
        df = pd.DataFrame(cols)
        df.attrs.update({"method": self.method, "coupling": self.coupling})
        return df

    def workspace(self, i: int = 0):
        """The pyhf workspace of hypothesis ``i`` (signal at the observed eps_ref), as the export writes it."""
        from .likelihood.coupling import coupling_delta_th  # lazy: the likelihood layer imports this module
        from .likelihood.whitened import hypothesis_workspace

        mass = np.atleast_1d(self.mass)
        ref = np.atleast_2d(self.epsilon_ref)
        if self.likelihood is None or self.method not in ("cls", "pyhf") or not np.isfinite(ref[i, 0]):
            raise ValueError("a workspace exists only for CLs/pyhf results with a linearisation point and a likelihood")
        delta, _ = coupling_delta_th(self.likelihood, mass[i : i + 1], np.array([float(ref[i, 0])]), self.width)
        return hypothesis_workspace(self.likelihood.base_problem(), delta[0])[0]


def _pandas(where: str):
    """Import pandas for ``to_dataframe``; a clear ImportError if it is not installed (it is optional)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(f"{where} needs pandas, which is optional and not installed (pip install pandas); "
                          "to_dict() gives the same content without it") from None
    return pd


_canonical_json = canonical_json  # former private name, kept for code written against it
