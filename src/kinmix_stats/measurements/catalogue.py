"""Load, validate and stack the measurement catalogue.

Every dataset file in ``kinmix_stats/data/*.yaml`` (one per publication or combination, read with
:mod:`importlib.resources`) is validated against :data:`~kinmix_stats.measurements.schema.DATASET_SCHEMA`
with ``jsonschema`` and then checked semantically (finite numbers, unique ids, kinematics keys of
the observable, correlation matrix square / symmetric / unit diagonal / |rho| <= 1 / positive
semi-definite, normalisation groups). Any problem raises :class:`CatalogueError`, whose message
names the file, the entry (measurement id and index, or the block) and the field.

Uncertainty model
-----------------
``stat`` and ``syst`` are absolute, combined in quadrature to the total error sigma_i; the dataset's
``correlation`` block (for TOTAL errors) gives C = D rho D with D = diag(sigma). Each
``correlated_normalisation`` group adds a fully correlated term f_i f_j r_i r_j, with r the
measured values unless another reference (e.g. the SM prediction) is passed. Different datasets
are uncorrelated (block-diagonal covariance).

Provenance of every number lives in the data files themselves (``source`` of the dataset and of each
entry); ``data/README.md`` lists the datasets, caveats and what is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import numpy as np
import yaml

from .schema import CATALOGUE_UNITS, DATASET_SCHEMA, OBSERVABLES

__all__ = [
    "CatalogueError",
    "Measurement",
    "Dataset",
    "Catalogue",
    "available_datasets",
    "load_dataset",
    "load_catalogue",
    "stack_datasets",
    "catalogue_hash",
    "DEFAULT_MW_CHOICE",
]

DEFAULT_MW_CHOICE = "PDG2024"
"""Default m_W variant: PDG 2024 (LHC-TeV MWWG combination without CDF 2022, arXiv:2308.09417)."""

_PSD_TOL = 1e-10
_SYM_TOL = 1e-10
_DIAG_TOL = 1e-12

PathOrName = str | Path


class CatalogueError(ValueError):
    """A catalogue file is malformed; the message names file, entry and field."""


def _error(file: str, entry: str, fld: str, problem: str) -> CatalogueError:
    return CatalogueError(f"{file}: entry {entry}: field '{fld}': {problem}")


# --------------------------------------------------------------------------------- data classes
@dataclass(frozen=True, eq=False)
class Measurement:
    """One measured quantity.

    Attributes
    ----------
    id: unique within its dataset.
    observable: registry name (:data:`~kinmix_stats.measurements.schema.OBSERVABLES`).
    kinematics: read-only mapping with exactly the observable's kinematics keys (may be empty).
    value, stat, syst: measured value and absolute uncertainties (in ``unit``).
    sm: SM prediction quoted by the experiment (or third party, see ``sm_source``); ``None`` when
        it must be computed by the package.
    sm_source: where ``sm`` comes from, or how it must be computed.
    unit: ``GeV``, ``nb``, ``pb``, ``1`` (dimensionless) or ``ratio_to_SM`` (then ``sm`` = 1).
    source: mapping with ``arxiv`` and ``table`` (and optionally ``reference``, ``no_arxiv``).
    note: free-text remark (how errors were stored, conversions applied).
    variant: alternative determination tag (e.g. the m_W choice), else ``None``.
    energy_range: (min, max) of sqrt(s) in GeV when the point averages over an energy range.
    """

    id: str
    observable: str
    kinematics: Mapping[str, Any]
    value: float
    stat: float
    syst: float
    sm: float | None
    sm_source: str
    unit: str
    source: Mapping[str, Any]
    note: str = ""
    variant: str | None = None
    energy_range: tuple[float, float] | None = None

    @property
    def total_error(self) -> float:
        """stat and syst added in quadrature."""
        return math.hypot(self.stat, self.syst)

    @property
    def is_ratio_to_sm(self) -> bool:
        """True when value and errors are stored relative to the SM prediction."""
        return self.unit == "ratio_to_SM"


@dataclass(frozen=True, eq=False)
class Dataset:
    """The validated content of one catalogue file.

    Attributes
    ----------
    name: dataset id (= file stem).
    description, caveats: as in the file.
    source: dataset-level source mapping (``reference``, ``arxiv``, ``table``).
    measurements: in file order (after variant selection).
    correlation: correlation of total uncertainties in measurement order (identity if absent).
    normalisation: tuple of (indices, fractions) of the fully correlated normalisation groups.
    path: file the dataset was read from.
    variant: selected variant (datasets with alternatives only), else ``None``.
    content_hash: sha256 of the canonical JSON form of the whole file content.
    """

    name: str
    description: str
    source: Mapping[str, Any]
    caveats: tuple[str, ...]
    measurements: tuple[Measurement, ...]
    correlation: np.ndarray
    normalisation: tuple[tuple[np.ndarray, np.ndarray], ...]
    path: str
    variant: str | None
    content_hash: str

    def __len__(self) -> int:
        return len(self.measurements)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.measurements]

    @property
    def observables(self) -> list[str]:
        return [m.observable for m in self.measurements]

    @property
    def values(self) -> np.ndarray:
        return np.array([m.value for m in self.measurements], dtype=float)

    @property
    def stat(self) -> np.ndarray:
        return np.array([m.stat for m in self.measurements], dtype=float)

    @property
    def syst(self) -> np.ndarray:
        return np.array([m.syst for m in self.measurements], dtype=float)

    @property
    def errors(self) -> np.ndarray:
        """Total uncertainties sqrt(stat^2 + syst^2) (without normalisation terms)."""
        return np.hypot(self.stat, self.syst)

    @property
    def sm(self) -> np.ndarray:
        """SM predictions; NaN where the file has ``sm: null`` (to be computed)."""
        return np.array([np.nan if m.sm is None else m.sm for m in self.measurements], dtype=float)

    @property
    def sources(self) -> list[Mapping[str, Any]]:
        return [m.source for m in self.measurements]

    def measurement(self, mid: str) -> Measurement:
        """The measurement with id ``mid`` (KeyError if absent)."""
        for m in self.measurements:
            if m.id == mid:
                return m
        raise KeyError(f"dataset {self.name!r} has no measurement {mid!r}; ids: {self.ids}")

    def covariance(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Covariance of the total uncertainties, in measurement order.

        ``D rho D`` with D the total errors, plus for every normalisation group ``f_i f_j r_i r_j``
        where ``r`` is ``norm_reference`` (default: the measured values).
        """
        d = self.errors
        cov = self.correlation * np.outer(d, d)
        if self.normalisation:
            ref = self.values if norm_reference is None else np.asarray(norm_reference, dtype=float)
            if ref.shape != (len(self),):
                raise ValueError(
                    f"norm_reference must have shape ({len(self)},) for dataset {self.name!r}, got {ref.shape}"
                )
            for idx, frac in self.normalisation:
                s = frac * ref[idx]
                cov[np.ix_(idx, idx)] += np.outer(s, s)
        return cov


# -------------------------------------------------------------------------------- file access
def _data_dir() -> Any:  # importlib.resources Traversable
    return resources.files("kinmix_stats").joinpath("data")


def available_datasets() -> list[str]:
    """Names (file stems) of all dataset files shipped with the package, sorted."""
    return sorted(
        p.name[: -len(".yaml")]
        for p in _data_dir().iterdir()
        if p.name.endswith(".yaml") and not p.name.startswith("_")
    )


def _resolve(path_or_name: PathOrName) -> tuple[str, str, str]:
    """Return (label for messages, file stem, text)."""
    s = str(path_or_name)
    if isinstance(path_or_name, Path) or s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        p = Path(s)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogueError(f"{p}: entry <file>: field '<file>': cannot read file ({exc})") from exc
        return str(p), p.stem, text
    res = _data_dir().joinpath(f"{s}.yaml")
    if not res.is_file():
        raise CatalogueError(
            f"{s}.yaml: entry <file>: field '<file>': unknown dataset {s!r}; available: {available_datasets()}"
        )
    return f"kinmix_stats/data/{s}.yaml", s, res.read_text(encoding="utf-8")


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(label: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(
            f"{label}: entry <file>: field '<yaml>': malformed or truncated YAML{where}: {problem}"
        ) from exc


# ------------------------------------------------------------------------------------ validation
def _entry_label(doc: Any, path: Sequence[Any]) -> tuple[str, list[Any]]:
    """Entry description and remaining field path for a location inside the document."""
    if not path:
        return "<dataset>", []
    head = path[0]
    if head == "measurements" and len(path) >= 2 and isinstance(path[1], int):
        idx = path[1]
        mid = None
        if isinstance(doc, dict) and isinstance(doc.get("measurements"), list) and idx < len(doc["measurements"]):
            item = doc["measurements"][idx]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                mid = item["id"]
        label = f"'{mid}' (measurements[{idx}])" if mid else f"measurements[{idx}]"
        return label, list(path[2:])
    if head == "correlated_normalisation" and len(path) >= 2 and isinstance(path[1], int):
        return f"correlated_normalisation[{path[1]}]", list(path[2:])
    if head in ("correlation", "variants", "source", "caveats"):
        return str(head), list(path[1:])
    return "<dataset>", list(path)


def _field_str(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _schema_error(label: str, doc: Any, err: jsonschema.ValidationError, n_more: int) -> CatalogueError:
    entry, rest = _entry_label(doc, list(err.absolute_path))
    problem = err.message
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [k for k in err.validator_value if k not in err.instance]
        rest = rest + [missing[0] if missing else "?"]
        problem = f"required field missing ({', '.join(map(repr, missing))})"
    elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(str(k) for k in err.instance if k not in allowed)
        rest = rest + [extra[0] if extra else "?"]
        problem = f"unknown field(s) {extra}"
    elif err.validator == "enum" and rest and rest[-1] == "observable":
        problem = f"unknown observable {err.instance!r}; known: {sorted(OBSERVABLES)}"
    elif err.validator in ("type", "anyOf"):
        problem = f"wrong type: {err.instance!r} ({err.message})"
    fld = _field_str(rest) or "<root>"
    if n_more:
        problem += f" (+{n_more} more schema error(s))"
    return _error(label, entry, fld, problem)


_VALIDATOR = jsonschema.Draft202012Validator(DATASET_SCHEMA)


def _finite(label: str, entry: str, fld: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise _error(label, entry, fld, f"not a finite number: {x!r}")
    return float(x)


def _check_measurements(label: str, doc: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    variants = doc.get("variants")
    for i, m in enumerate(doc["measurements"]):
        entry = f"'{m['id']}' (measurements[{i}])"
        if m["id"] in seen:
            raise _error(label, entry, "id", f"duplicate id (first used by measurements[{seen[m['id']]}])")
        seen[m["id"]] = i
        for fld in ("value", "stat", "syst"):
            _finite(label, entry, fld, m[fld])
        if m["sm"] is not None:
            _finite(label, entry, "sm", m["sm"])
        spec = OBSERVABLES[m["observable"]]
        kin = m["kinematics"]
        if set(kin) != set(spec.kinematics):
            raise _error(
                label, entry, "kinematics",
                f"observable {spec.name!r} needs exactly the keys {sorted(spec.kinematics)}, got {sorted(kin)}",
            )
        for k, v in kin.items():
            if k != "final_state":
                _finite(label, entry, f"kinematics.{k}", v)
        if "cos_min" in kin and not kin["cos_min"] < kin["cos_max"]:
            raise _error(label, entry, "kinematics.cos_min", f"cos_min {kin['cos_min']} >= cos_max {kin['cos_max']}")
        units = CATALOGUE_UNITS[spec.name]
        if m["unit"] not in units:
            raise _error(label, entry, "unit", f"unit {m['unit']!r} not allowed for {spec.name!r}; allowed {list(units)}")
        if m["unit"] == "ratio_to_SM" and m["sm"] != 1.0:
            raise _error(label, entry, "sm", f"values stored as ratio_to_SM need sm = 1, got {m['sm']!r}")
        for j, e in enumerate(m.get("energy_range") or ()):
            _finite(label, entry, f"energy_range[{j}]", e)
        if "variant" in m:
            if variants is None:
                raise _error(label, entry, "variant", "dataset declares no 'variants' block")
            if m["variant"] not in variants["choices"]:
                raise _error(label, entry, "variant", f"{m['variant']!r} not in variants.choices {variants['choices']}")
    if variants is not None and variants["default"] not in variants["choices"]:
        raise _error(label, "variants", "default", f"{variants['default']!r} not in choices {variants['choices']}")


def _check_correlation(label: str, doc: dict[str, Any]) -> None:
    corr = doc.get("correlation")
    if corr is None:
        return
    ids = {m["id"] for m in doc["measurements"]}
    names, rows = corr["names"], corr["matrix"]
    for k, nm in enumerate(names):
        if nm not in ids:
            raise _error(label, "correlation", f"names[{k}]", f"{nm!r} is not a measurement id of this dataset")
        if names.index(nm) != k:
            raise _error(label, "correlation", f"names[{k}]", f"{nm!r} listed twice")
    n = len(names)
    if len(rows) != n:
        raise _error(label, "correlation", "matrix", f"dimension mismatch: {len(rows)} rows for {n} names")
    for i, row in enumerate(rows):
        if len(row) != n:
            raise _error(label, "correlation", f"matrix[{i}]", f"dimension mismatch: row has {len(row)} entries, expected {n}")
        for j, x in enumerate(row):
            _finite(label, "correlation", f"matrix[{i}][{j}]", x)
            if abs(x) > 1.0:
                raise _error(label, "correlation", f"matrix[{i}][{j}]", f"|rho| = {abs(x)} > 1")
    c = np.array(rows, dtype=float)
    for i in range(n):
        if abs(c[i, i] - 1.0) > _DIAG_TOL:
            raise _error(label, "correlation", f"matrix[{i}][{i}]", f"diagonal must be 1, got {c[i, i]}")
    asym = np.abs(c - c.T)
    if asym.max() > _SYM_TOL:
        i, j = (int(k) for k in np.unravel_index(int(np.argmax(asym)), asym.shape))
        raise _error(label, "correlation", f"matrix[{i}][{j}]",
                     f"not symmetric: {c[i, j]} vs matrix[{j}][{i}] = {c[j, i]}")
    eig = np.linalg.eigvalsh(c)
    if eig.min() < -_PSD_TOL:
        raise _error(label, "correlation", "matrix",
                     f"not positive semi-definite: smallest eigenvalue {eig.min():.3g} < -{_PSD_TOL}")


def _check_normalisation(label: str, doc: dict[str, Any]) -> None:
    ids = {m["id"] for m in doc["measurements"]}
    for g, grp in enumerate(doc.get("correlated_normalisation") or ()):
        entry = f"correlated_normalisation[{g}]"
        names = grp["names"]
        for k, nm in enumerate(names):
            if nm not in ids:
                raise _error(label, entry, f"names[{k}]", f"{nm!r} is not a measurement id of this dataset")
            if names.index(nm) != k:
                raise _error(label, entry, f"names[{k}]", f"{nm!r} listed twice")
        frac = grp["fraction"]
        if isinstance(frac, list):
            if len(frac) != len(names):
                raise _error(label, entry, "fraction", f"dimension mismatch: {len(frac)} fractions for {len(names)} names")
            for k, f in enumerate(frac):
                _finite(label, entry, f"fraction[{k}]", f)
        else:
            _finite(label, entry, "fraction", frac)


def _validate(label: str, stem: str, doc: Any) -> None:
    if not isinstance(doc, dict):
        raise _error(label, "<file>", "<root>", f"expected a mapping at top level, got {type(doc).__name__} "
                                              "(empty or truncated file?)")
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise _schema_error(label, doc, errors[0], len(errors) - 1)
    if doc["dataset"] != stem:
        raise _error(label, "<dataset>", "dataset", f"dataset id {doc['dataset']!r} must equal the file stem {stem!r}")
    _check_measurements(label, doc)
    _check_correlation(label, doc)
    _check_normalisation(label, doc)


def _canonical_hash(doc: Any) -> str:
    blob = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


# ------------------------------------------------------------------------------------- loading
def _freeze(x: Any) -> Any:
    if isinstance(x, dict):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, list):
        return tuple(_freeze(v) for v in x)
    return x


def _read(path_or_name: PathOrName) -> tuple[str, str, dict[str, Any]]:
    label, stem, text = _resolve(path_or_name)
    doc = _parse_yaml(label, text)
    _validate(label, stem, doc)
    return label, stem, doc


def load_dataset(path_or_name: PathOrName, variant: str | None = None) -> Dataset:
    """Load and validate one dataset.

    Parameters
    ----------
    path_or_name: a dataset name from :func:`available_datasets` (read from the installed package
        with :mod:`importlib.resources`) or a path to a ``.yaml`` file.
    variant: for datasets with alternatives (``variants`` block, e.g. m_W), the choice to keep;
        default: the file's ``variants.default``. Ignored for datasets without variants.

    Raises
    ------
    CatalogueError: malformed YAML, schema violation or failed semantic check; the message names
        the file, the entry and the field.
    """
    label, _, doc = _read(path_or_name)
    return _build(label, doc, variant)


def _build(label: str, doc: dict[str, Any], variant: str | None) -> Dataset:
    chosen: str | None = None
    raw = doc["measurements"]
    if "variants" in doc:
        chosen = doc["variants"]["default"] if variant is None else variant
        if chosen not in doc["variants"]["choices"]:
            raise _error(label, "variants", doc["variants"]["key"],
                         f"unknown choice {chosen!r}; accepted: {doc['variants']['choices']}")
        raw = [m for m in raw if m.get("variant") in (None, chosen)]

    meas = tuple(
        Measurement(
            id=m["id"], observable=m["observable"], kinematics=_freeze(m["kinematics"]),
            value=float(m["value"]), stat=float(m["stat"]), syst=float(m["syst"]),
            sm=None if m["sm"] is None else float(m["sm"]), sm_source=m["sm_source"], unit=m["unit"],
            source=_freeze(m["source"]), note=m.get("note", ""), variant=m.get("variant"),
            energy_range=(float(m["energy_range"][0]), float(m["energy_range"][1])) if "energy_range" in m else None,
        )
        for m in raw
    )
    index = {m.id: i for i, m in enumerate(meas)}
    corr = np.eye(len(meas))
    if "correlation" in doc:
        names = doc["correlation"]["names"]
        c = np.array(doc["correlation"]["matrix"], dtype=float)
        keep = [k for k, nm in enumerate(names) if nm in index]
        pos = [index[names[k]] for k in keep]
        corr[np.ix_(pos, pos)] = c[np.ix_(keep, keep)]
    corr.setflags(write=False)
    norm = []
    for grp in doc.get("correlated_normalisation") or ():
        frac = grp["fraction"]
        fr = np.asarray(frac if isinstance(frac, list) else [frac] * len(grp["names"]), dtype=float)
        keep = [k for k, nm in enumerate(grp["names"]) if nm in index]
        norm.append((np.array([index[grp["names"][k]] for k in keep], dtype=int), fr[keep]))
    return Dataset(
        name=doc["dataset"], description=doc["description"], source=_freeze(doc["source"]),
        caveats=tuple(doc["caveats"]), measurements=meas, correlation=corr, normalisation=tuple(norm),
        path=label, variant=chosen, content_hash=_canonical_hash(doc),
    )


def load_catalogue(names: Iterable[str] | None = None, mw_choice: str | None = DEFAULT_MW_CHOICE) -> list[Dataset]:
    """Load several datasets (default: all of :func:`available_datasets`), each validated.

    ``mw_choice`` selects the variant of datasets whose variant key is ``mw_choice`` (the W mass:
    ``PDG2024`` (default), ``CDF2022``, ``PDG2026``, ``Tevatron2013``, ``ATLAS2017``); ``None`` leaves
    such datasets out entirely.
    """
    selected = available_datasets() if names is None else list(names)
    out = []
    for name in selected:
        label, _, doc = _read(name)
        if doc.get("variants", {}).get("key") == "mw_choice":
            if mw_choice is None:
                continue
            out.append(_build(label, doc, mw_choice))
        else:
            out.append(_build(label, doc, None))
    return out


def catalogue_hash(datasets: Iterable[Dataset]) -> str:
    """sha256 over the canonical content of the files used and the variants selected."""
    h = hashlib.sha256()
    for ds in datasets:
        h.update(f"{ds.name}\0{ds.variant or ''}\0{ds.content_hash}\n".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------- stacking
@dataclass(frozen=True, eq=False)
class Catalogue:
    """Measurements of several datasets stacked into flat arrays (block-diagonal covariance).

    ``ids`` are ``"<dataset>/<measurement id>"`` and unique across the catalogue. ``sm`` is NaN where
    the SM prediction must be computed by the package (m_Z, m_W, R ratio).
    """

    datasets: tuple[Dataset, ...]
    ids: tuple[str, ...] = field(init=False)
    observables: tuple[str, ...] = field(init=False)
    kinematics: tuple[Mapping[str, Any], ...] = field(init=False)
    units: tuple[str, ...] = field(init=False)
    values: np.ndarray = field(init=False)
    sm: np.ndarray = field(init=False)
    stat: np.ndarray = field(init=False)
    syst: np.ndarray = field(init=False)
    dataset_index: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ms = [(k, ds, m) for k, ds in enumerate(self.datasets) for m in ds.measurements]
        set_ = object.__setattr__
        set_(self, "ids", tuple(f"{ds.name}/{m.id}" for _, ds, m in ms))
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("duplicate dataset in catalogue: ids are not unique")
        set_(self, "observables", tuple(m.observable for _, _, m in ms))
        set_(self, "kinematics", tuple(m.kinematics for _, _, m in ms))
        set_(self, "units", tuple(m.unit for _, _, m in ms))
        for name, attr in (("values", "value"), ("stat", "stat"), ("syst", "syst")):
            arr = np.array([getattr(m, attr) for _, _, m in ms], dtype=float)
            arr.setflags(write=False)
            set_(self, name, arr)
        sm = np.array([np.nan if m.sm is None else m.sm for _, _, m in ms], dtype=float)
        sm.setflags(write=False)
        set_(self, "sm", sm)
        idx = np.array([k for k, _, _ in ms], dtype=int)
        idx.setflags(write=False)
        set_(self, "dataset_index", idx)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def measurements(self) -> list[Measurement]:
        return [m for ds in self.datasets for m in ds.measurements]

    @property
    def errors(self) -> np.ndarray:
        """Total uncertainties without normalisation terms."""
        return np.hypot(self.stat, self.syst)

    def covariance(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Block-diagonal covariance of total uncertainties (see :meth:`Dataset.covariance`)."""
        n = len(self)
        cov = np.zeros((n, n))
        ref = None if norm_reference is None else np.asarray(norm_reference, dtype=float)
        start = 0
        for ds in self.datasets:
            stop = start + len(ds)
            cov[start:stop, start:stop] = ds.covariance(None if ref is None else ref[start:stop])
            start = stop
        return cov

    def correlation(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Correlation matrix derived from :meth:`covariance`."""
        cov = self.covariance(norm_reference)
        d = np.sqrt(np.diag(cov))
        return cov / np.outer(d, d)

    def index(self, full_id: str) -> int:
        """Position of ``"<dataset>/<id>"`` in the stacked arrays."""
        return self.ids.index(full_id)

    def catalogue_hash(self) -> str:
        """Provenance hash of the files and variants used (see :func:`catalogue_hash`)."""
        return catalogue_hash(self.datasets)


def stack_datasets(datasets: Iterable[Dataset]) -> Catalogue:
    """Stack datasets into a :class:`Catalogue`."""
    return Catalogue(tuple(datasets))
