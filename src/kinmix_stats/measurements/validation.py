"""Validation of a catalogue data file: strict YAML (no duplicate keys), the JSON schema
(:data:`~kinmix_stats.measurements.schema.DATASET_SCHEMA`, ``jsonschema``) and the semantic checks a schema
cannot express (finite numbers, unique ids, kinematics keys of the observable, correlation matrix square /
symmetric / unit diagonal / |rho| <= 1 / positive semi-definite, normalisation groups). Any problem raises
:class:`CatalogueError`, whose message names the file, the entry (measurement id and index, or the block)
and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema
import numpy as np
import yaml

from .schema import CATALOGUE_UNITS, DATASET_SCHEMA, OBSERVABLES

__all__ = ["CatalogueError", "catalogue_error", "parse_yaml", "validate_document"]

_PSD_TOL = 1e-10
_SYM_TOL = 1e-10
_DIAG_TOL = 1e-12


class CatalogueError(ValueError):
    """A catalogue file is malformed; the message names file, entry and field."""


def catalogue_error(file: str, entry: str, fld: str, problem: str) -> CatalogueError:
    """The error of ``problem`` in field ``fld`` of ``entry`` of ``file``."""
    return CatalogueError(f"{file}: entry {entry}: field '{fld}': {problem}")


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


def parse_yaml(label: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(
            f"{label}: entry <file>: field '<yaml>': malformed or truncated YAML{where}: {problem}"
        ) from exc


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
    return catalogue_error(label, entry, fld, problem)


_VALIDATOR = jsonschema.Draft202012Validator(DATASET_SCHEMA)


def _finite(label: str, entry: str, fld: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise catalogue_error(label, entry, fld, f"not a finite number: {x!r}")
    return float(x)


def _check_measurements(label: str, doc: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    variants = doc.get("variants")
    for i, m in enumerate(doc["measurements"]):
        entry = f"'{m['id']}' (measurements[{i}])"
        if m["id"] in seen:
            raise catalogue_error(label, entry, "id", f"duplicate id (first used by measurements[{seen[m['id']]}])")
        seen[m["id"]] = i
        for fld in ("value", "stat", "syst"):
            _finite(label, entry, fld, m[fld])
        if m["sm"] is not None:
            _finite(label, entry, "sm", m["sm"])
        spec = OBSERVABLES[m["observable"]]
        kin = m["kinematics"]
        if set(kin) != set(spec.kinematics):
            raise catalogue_error(
                label, entry, "kinematics",
                f"observable {spec.name!r} needs exactly the keys {sorted(spec.kinematics)}, got {sorted(kin)}",
            )
        for k, v in kin.items():
            if k != "final_state":
                _finite(label, entry, f"kinematics.{k}", v)
        if "cos_min" in kin and not kin["cos_min"] < kin["cos_max"]:
            raise catalogue_error(label, entry, "kinematics.cos_min", f"cos_min {kin['cos_min']} >= cos_max {kin['cos_max']}")
        units = CATALOGUE_UNITS[spec.name]
        if m["unit"] not in units:
            raise catalogue_error(label, entry, "unit", f"unit {m['unit']!r} not allowed for {spec.name!r}; allowed {list(units)}")
        if m["unit"] == "ratio_to_SM" and m["sm"] != 1.0:
            raise catalogue_error(label, entry, "sm", f"values stored as ratio_to_SM need sm = 1, got {m['sm']!r}")
        for j, e in enumerate(m.get("energy_range") or ()):
            _finite(label, entry, f"energy_range[{j}]", e)
        if "variant" in m:
            if variants is None:
                raise catalogue_error(label, entry, "variant", "dataset declares no 'variants' block")
            if m["variant"] not in variants["choices"]:
                raise catalogue_error(label, entry, "variant", f"{m['variant']!r} not in variants.choices {variants['choices']}")
    if variants is not None and variants["default"] not in variants["choices"]:
        raise catalogue_error(label, "variants", "default", f"{variants['default']!r} not in choices {variants['choices']}")


def _check_correlation(label: str, doc: dict[str, Any]) -> None:
    corr = doc.get("correlation")
    if corr is None:
        return
    ids = {m["id"] for m in doc["measurements"]}
    names, rows = corr["names"], corr["matrix"]
    for k, nm in enumerate(names):
        if nm not in ids:
            raise catalogue_error(label, "correlation", f"names[{k}]", f"{nm!r} is not a measurement id of this dataset")
        if names.index(nm) != k:
            raise catalogue_error(label, "correlation", f"names[{k}]", f"{nm!r} listed twice")
    n = len(names)
    if len(rows) != n:
        raise catalogue_error(label, "correlation", "matrix", f"dimension mismatch: {len(rows)} rows for {n} names")
    for i, row in enumerate(rows):
        if len(row) != n:
            raise catalogue_error(label, "correlation", f"matrix[{i}]", f"dimension mismatch: row has {len(row)} entries, expected {n}")
        for j, x in enumerate(row):
            _finite(label, "correlation", f"matrix[{i}][{j}]", x)
            if abs(x) > 1.0:
                raise catalogue_error(label, "correlation", f"matrix[{i}][{j}]", f"|rho| = {abs(x)} > 1")
    c = np.array(rows, dtype=float)
    for i in range(n):
        if abs(c[i, i] - 1.0) > _DIAG_TOL:
            raise catalogue_error(label, "correlation", f"matrix[{i}][{i}]", f"diagonal must be 1, got {c[i, i]}")
    asym = np.abs(c - c.T)
    if asym.max() > _SYM_TOL:
        i, j = (int(k) for k in np.unravel_index(int(np.argmax(asym)), asym.shape))
        raise catalogue_error(label, "correlation", f"matrix[{i}][{j}]",
                     f"not symmetric: {c[i, j]} vs matrix[{j}][{i}] = {c[j, i]}")
    eig = np.linalg.eigvalsh(c)
    if eig.min() < -_PSD_TOL:
        raise catalogue_error(label, "correlation", "matrix",
                     f"not positive semi-definite: smallest eigenvalue {eig.min():.3g} < -{_PSD_TOL}")


def _check_normalisation(label: str, doc: dict[str, Any]) -> None:
    ids = {m["id"] for m in doc["measurements"]}
    for g, grp in enumerate(doc.get("correlated_normalisation") or ()):
        entry = f"correlated_normalisation[{g}]"
        names = grp["names"]
        for k, nm in enumerate(names):
            if nm not in ids:
                raise catalogue_error(label, entry, f"names[{k}]", f"{nm!r} is not a measurement id of this dataset")
            if names.index(nm) != k:
                raise catalogue_error(label, entry, f"names[{k}]", f"{nm!r} listed twice")
        frac = grp["fraction"]
        if isinstance(frac, list):
            if len(frac) != len(names):
                raise catalogue_error(label, entry, "fraction", f"dimension mismatch: {len(frac)} fractions for {len(names)} names")
            for k, f in enumerate(frac):
                _finite(label, entry, f"fraction[{k}]", f)
        else:
            _finite(label, entry, "fraction", frac)


def validate_document(label: str, stem: str, doc: Any) -> None:
    """Check a parsed file (``label`` names it in messages; ``stem`` must equal its ``dataset`` id)."""
    if not isinstance(doc, dict):
        raise catalogue_error(label, "<file>", "<root>", f"expected a mapping at top level, got {type(doc).__name__} "
                                              "(empty or truncated file?)")
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise _schema_error(label, doc, errors[0], len(errors) - 1)
    if doc["dataset"] != stem:
        raise catalogue_error(label, "<dataset>", "dataset", f"dataset id {doc['dataset']!r} must equal the file stem {stem!r}")
    _check_measurements(label, doc)
    _check_correlation(label, doc)
    _check_normalisation(label, doc)
